/**
 * The scan-case child as a bundle entry: main.ts bundles this file with esbuild and runs it with
 * plain node, so a case's RSS is the scan's on the code path the CLI ships (a bundle), not tsx
 * transpiling the TypeScript sources (~200 MiB of start RSS by itself).
 *
 *   node bench/.bundles/scan-child.mjs --case ebs-100k --latency-ms 0
 *
 * With --resume-dir (and the function's --timeout-s and --memory-mb) the child is one invocation
 * of the scheduled sweep: resumable, from the checkpoint in --checkpoint (a JSON file) if given,
 * the detectors' saved state in the directory; its result names the checkpoint for the next one.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runScanCase } from './scan.ts';

const { values } = parseArgs({
  options: {
    case: { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    'timeout-s': { type: 'string' },
    'memory-mb': { type: 'string' },
    'resume-dir': { type: 'string' },
    checkpoint: { type: 'string' },
  },
});
if (!values.case) throw new Error('--case is required');
// With the function's timeout and memory, the case stops itself once its estimated time there passes the timeout (exit 3).
const budget = values['timeout-s'] && values['memory-mb'] ? { timeoutS: Number(values['timeout-s']), memoryMb: Number(values['memory-mb']) } : undefined;
const resume = values['resume-dir'] ? { storeDir: values['resume-dir'], ...(values.checkpoint ? { checkpoint: JSON.parse(readFileSync(values.checkpoint, 'utf8')) } : {}) } : undefined;
runScanCase(values.case, Number(values['latency-ms']), budget, resume).then(
  (result) => process.stdout.write(`${JSON.stringify({ ...result, runtime: 'bundle' })}\n`),
  (error) => {
    process.stderr.write(`scan child failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
