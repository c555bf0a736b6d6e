/**
 * `npm run bench`: scan scale, Lambda package size and init time, end-to-end alarm → fix time,
 * running cost. Prints a table and writes bench/results.json. A benchmark, not a test: targets
 * are reported (with how far they are missed), never asserted.
 *
 *   npm run bench                       # everything (packages with `npx osls package` first)
 *   npm run bench -- --quick            # small scan cases, fewer runs, reuses .serverless/ if there
 *   npm run bench -- --latency-ms 50    # simulated latency per API call (default 20)
 *   npm run bench -- --skip-package     # reuse the zips in .serverless/
 *   npm run bench -- --cli-only         # only the CLI start times (lib/bench/cli-start.ts)
 *   npm run bench -- --million          # also the 1,000,000-snapshot scan case (minutes; lib/bench/scan.ts)
 *   npm run bench -- --lambda-only      # only the Lambda packages: zip and init against SDK-only baselines
 *   npm run bench -- --cases ebs-10k,s3-1k   # only these scan cases, each capped as Lambda caps the scan function (fit.ts)
 *   npm run bench -- --cases asg-5000 --wall-slack 10   # the wall-clock safety kill at 10× the timeout (a loaded machine)
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTargets, render, type BenchResults } from './report.ts';
import type { ScanResult } from './scan.ts';

// Quiet libraries before anything loads them: the table is the output.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_DEV ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    million: { type: 'boolean', default: false },
    org: { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '20' },
    'init-runs': { type: 'string' },
    'e2e-runs': { type: 'string' },
    'skip-package': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results.json' },
    case: { type: 'string' },
    sweep: { type: 'boolean', default: false },
    'cli-only': { type: 'boolean', default: false },
    'lambda-only': { type: 'boolean', default: false },
    'cli-runs': { type: 'string' },
    cases: { type: 'string' },
    'wall-slack': { type: 'string', default: '3' },
  },
});

const latencyMs = Number(args['latency-ms']);
if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`--latency-ms must be a number ≥ 0, not '${args['latency-ms']}'`);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** Runs this script in a child process (so its peak RSS is its own) and returns the JSON it prints last. */
function child<T>(extra: string[], script?: string): T {
  const out = spawnSync(process.execPath, [...(script ? [script] : ['--import', 'tsx', 'lib/bench/main.ts']), ...extra, '--latency-ms', String(latencyMs)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env },
  });
  if (out.status !== 0) throw new Error(`bench child ${extra.join(' ')} failed (exit ${out.status}): ${out.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  const last = out.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}

async function main() {
  // Child modes: one scan case, or the running-cost sweep; JSON on the last line.
  if (args.case) {
    const { runScanCase } = await import('./scan.ts');
    process.stdout.write(`${JSON.stringify(await runScanCase(args.case, latencyMs))}\n`);
    return;
  }
  if (args.org) {
    // 50 accounts × 4 regions (1 account unreachable), swept the way the Distributed Map does it.
    const { organizationBench } = await import('../org/bench.ts');
    const bench = organizationBench({ sandbox: { latencyMs } });
    const { summary } = await bench.run();
    const calls = bench.sandbox.callsByOperation();
    const apiCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    process.stdout.write(`${JSON.stringify({ ...summary, apiCalls, assumeRoleCalls: calls['sts:AssumeRole'] ?? 0, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
    return;
  }
  if (args.sweep) {
    const { runSweepCase } = await import('./scan.ts');
    process.stdout.write(`${JSON.stringify(await runSweepCase(latencyMs))}\n`);
    return;
  }

  const started = performance.now();
  const quick = args.quick;
  const initRuns = Number(args['init-runs'] ?? (quick ? 3 : 7));
  const e2eRuns = Number(args['e2e-runs'] ?? (quick ? 5 : 20));
  const { SCAN_CASES, QUICK_CASES, MILLION_CASES } = await import('./scan.ts');
  const results: Omit<BenchResults, 'targets'> = {
    startedAt: new Date().toISOString(),
    command: `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`.replace(/ --$/, ''),
    node: process.version,
    cpus: cpus().length,
    latencyMs,
    quick,
    scan: [],
    endToEnd: [],
  };

  const lambdaOnly = args['lambda-only'];
  // 0. CLI start: the built command vs a bare node loading the same SDK clients.
  const cliRuns = Number(args['cli-runs'] ?? (quick ? 5 : 11));
  if (!args.cases) log(`CLI start, ${cliRuns} runs per command …`);
  const { cliStartTimings } = await import('./cli-start.ts');
  if (!lambdaOnly && !args.cases) results.cliStart = await cliStartTimings(cliRuns, log);
  if (args['cli-only']) return finish(results, started);

  // 1. Scan scale, one child per case, on an esbuild bundle (the code path the CLI ships) so tsx's
  // own ~200 MiB is not counted as the scan's (lib/bench/scan-child.ts, docs/performance.md).
  // Each child runs the way the scan function runs: heap capped as the Lambda Node.js runtime caps
  // it for the function's memory, stopped at the function's timeout (lib/bench/fit.ts).
  const picked = args.cases?.split(',').map((c) => c.trim()).filter(Boolean);
  const unknown = picked?.filter((id) => !SCAN_CASES.some((c) => c.id === id)) ?? [];
  if (unknown.length) throw new Error(`unknown scan case(s) ${unknown.join(', ')}; cases: ${SCAN_CASES.map((c) => c.id).join(', ')}`);
  const scanCases = picked
    ? SCAN_CASES.filter((c) => picked.includes(c.id))
    : SCAN_CASES.filter((c) => !lambdaOnly && (!quick || QUICK_CASES.includes(c.id)) && (args.million || !MILLION_CASES.includes(c.id)));
  const { bundleScanChild } = await import('./scan-bundle.ts');
  const scanChild = scanCases.length ? await bundleScanChild(resolve('bench', '.bundles')) : undefined;
  const { serverlessConfig } = await import('./lambda.ts');
  const { functionLimits } = await import('./fit.ts');
  const limits = functionLimits(serverlessConfig());
  for (const c of scanCases) {
    log(`scan ${c.id} (${c.title}), capped as the ${limits.function} function (${limits.memoryMb} MB, ${limits.timeoutS} s) …`);
    results.scan.push(await cappedScanCase(c, scanChild!, limits));
  }
  if (picked) return finish(results, started);

  // 2. Lambda: package, sizes, init time.
  const { functionSizes, initTimings, packageFunctions } = await import('./lambda.ts');
  const haveZips = existsSync('.serverless') && readdirSync('.serverless').some((f) => f.endsWith('.zip'));
  const packageMs = args['skip-package'] || (quick && haveZips) ? undefined : packageFunctions(log);
  const bundleDir = resolve('bench', '.bundles');
  mkdirSync(bundleDir, { recursive: true });
  log('sizes and bundle analysis …');
  const sizes = await functionSizes(bundleDir);
  log(`init time, ${initRuns} runs per bundle …`);
  const init = await initTimings(sizes, bundleDir, initRuns);
  results.lambda = { packageMs, sizes, init };
  if (lambdaOnly) return finish(results, started);

  // 3. End to end.
  const { endToEnd } = await import('./e2e.ts');
  for (const l of [...new Set([0, latencyMs])]) {
    log(`end to end, latency ${l} ms, ${e2eRuns} runs …`);
    results.endToEnd.push(await endToEnd(l, e2eRuns));
  }

  // 4. Running cost.
  log('running-cost sweep …');
  const sweep = child<NonNullable<BenchResults['sweep']>>(['--sweep']);
  results.sweep = sweep;
  const { runningCost, transitionsPerExecution } = await import('./cost.ts');
  const { approvalDefinition } = await import('../approval/state-machine.ts');
  const definition = approvalDefinition({ functionName: (fn) => fn }) as unknown as { StartAt: string; States: Record<string, { Type: string }> };
  const transitions = transitionsPerExecution(definition);
  const tasks = Object.values(definition.States).filter((s) => s.Type === 'Task').length;
  const config = serverlessConfig();
  const memoryMb = (config.functions.scan?.memorySize ?? config.provider.memorySize ?? 1024) as number;
  const arm64 = (config.provider as { architecture?: string }).architecture === 'arm64';
  const approvalTaskMs = 1000;
  // The price lookups a daily sweep adds, with the stack's price cache (issue 27): 14 days, 4 regions.
  log('price lookups of a daily sweep, 14 days …');
  const { pricingSweepCalls } = await import('./pricing.ts');
  // AWS republishes price lists often (EC2's several times a month): modelled as EC2 on day 3 and RDS on day 10.
  const prices = await pricingSweepCalls(undefined, 14, [{ day: 3, serviceCode: 'AmazonEC2' }, { day: 10, serviceCode: 'AmazonRDS' }]);
  results.pricing = prices;
  const pricing = {
    getProductsPerDay: prices.getProductsByDay.reduce((a, b) => a + b, 0) / prices.days,
    cacheWriteKiBPerDay: prices.cacheWrittenKiB / prices.days,
    cachePutsPerDay: prices.cachePuts / prices.days,
    cacheReadKiBPerDay: prices.cacheReadKiBPerRegionDay * prices.regions.length,
    cacheQueriesPerDay: prices.cacheQueries / prices.days,
  };
  results.runningCost = {
    ...runningCost({ sweepMs: sweep.wallMs, memoryMb, arm64, approvalExecutionsPerSweep: sweep.approvalExecutions, transitionsPerExecution: transitions, lambdaInvocationsPerExecution: tasks, approvalTaskMs, pricing }),
    assumptions: [
      `one sweep a day, 30 days; sweep duration measured on the sandbox at ${latencyMs} ms per call (read side: dry-run)`,
      `${memoryMb} MB, ${arm64 ? 'arm64' : 'x86_64'} (serverless.yml)`,
      `${sweep.approvalExecutions} approval execution(s) a day (approval-mode policies with findings), ${transitions} state transitions each (longest approved path), every one approved`,
      `${tasks} Lambda task invocations per execution at ${approvalTaskMs} ms each (assumed, not measured)`,
      `price lookups: ${prices.regions.length} regions, ${prices.firstRun} GetProducts calls on the first day, ${prices.perRegionPerDayAfterFirst} per region per day after it (price sets stored in the audit table, asked again after 7 days or when AWS republishes the service's list: EC2 on day 3, RDS on day 10), ${prices.listPerRegionPerDayAfterFirst} ListPriceLists per region per day (the daily publication check); GetProducts priced at $0 (belief: no charge listed); the cache's DynamoDB request units at on-demand list prices`,
      'excludes the audit trail\'s own DynamoDB writes, EventBridge, CloudWatch Logs/metrics and X-Ray, and the free tier',
    ],
  };

  // 5. A sweep of an organization: 50 accounts × 4 regions.
  if (!quick) {
    log('organization sweep, 50 accounts × 4 regions …');
    results.organization = child<NonNullable<BenchResults['organization']>>(['--org']);
  }

  finish(results, started);
}

/**
 * One scan case in a child `node` started with the Lambda runtime's heap flags for the function's
 * memory and stopped at its timeout; the verdict (fit.ts) goes into the result. A child that ran
 * out of heap or time still gives a row, with what it did not finish.
 */
/** The wall-clock safety kill, × the function's timeout: this machine is shared and slower than its CPU time says. */
const WALL_CLOCK_SLACK = Number(args['wall-slack']);
if (!(WALL_CLOCK_SLACK >= 1)) throw new Error(`--wall-slack must be a number ≥ 1, not '${args['wall-slack']}'`);

/** More invocations than this for one case: the bench stops it (a loop that does not move on). */
const MAX_BENCH_INVOCATIONS = 20;

/**
 * A case run the way the scheduled sweep runs it: one capped child per invocation of the scan
 * function, each resumable (lib/engine/run.ts RunOptions.resumable) with the function's remaining
 * time estimated on its clock, handing its checkpoint (and its detectors' saved state, in a
 * directory) to the next child, until one finishes. The case fits when every invocation did.
 */
async function cappedScanCase(c: { id: string; title: string; resource: string; resources: number }, script: string, limits: import('./fit.ts').FunctionLimits): Promise<ScanResult> {
  const { estimatedLambdaS, resumedVerdict } = await import('./fit.ts');
  const { compareCalls, callsPerThousand } = await import('./minimum.ts');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), `trimtab-bench-${c.id}-`));
  const runs: ScanResult[] = [];
  try {
    let checkpointFile: string | undefined;
    for (let n = 1; n <= MAX_BENCH_INVOCATIONS; n++) {
      const one = await cappedInvocation(c, script, limits, dir, checkpointFile);
      if (one.failed) return runs.length ? { ...one, invocations: figuresOf(runs, estimatedLambdaS, limits), fit: { ...one.fit!, why: `invocation ${n}: ${one.fit!.why}` } } : one;
      runs.push(one);
      if (!one.checkpoint) break;
      log(`scan ${c.id}: invocation ${n} stopped at a checkpoint (${one.checkpoint.partial ? `inside ${one.checkpoint.partial.unit}` : `${one.checkpoint.done.length} unit(s) done`}); resuming`);
      checkpointFile = join(dir, `checkpoint-${n}.json`);
      writeFileSync(checkpointFile, JSON.stringify(one.checkpoint));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const last = runs.at(-1)!;
  if (last.checkpoint) throw new Error(`scan ${c.id}: still not done after ${MAX_BENCH_INVOCATIONS} invocations`);
  const calls: Record<string, number> = {};
  for (const r of runs) for (const [op, n] of Object.entries(r.calls)) calls[op] = (calls[op] ?? 0) + n;
  const minimum = Object.fromEntries(Object.entries(last.vsMinimum.byOperation).map(([op, v]) => [op, v.minimum]));
  const vsMinimum = runs.length === 1 ? last.vsMinimum : compareCalls(calls, minimum, last.perItemOperations ?? []);
  const sum = (f: (r: ScanResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  const max = (f: (r: ScanResult) => number) => Math.max(...runs.map(f));
  const invocations = figuresOf(runs, estimatedLambdaS, limits);
  return {
    ...last,
    wallMs: sum((r) => r.wallMs),
    cpuMs: sum((r) => r.cpuMs ?? 0),
    sandboxCpuMs: sum((r) => r.sandboxCpuMs ?? 0),
    calls,
    vsMinimum,
    callsPer1000: callsPerThousand(vsMinimum.actual, c.resources),
    findings: sum((r) => r.findings),
    reportBytes: sum((r) => r.reportBytes ?? 0),
    peakRssMiB: max((r) => r.peakRssMiB),
    scanRssMiB: max((r) => r.scanRssMiB),
    errors: runs.flatMap((r) => r.errors),
    invocations,
    fit: resumedVerdict(
      limits,
      runs.map((r) => ({ outOfMemory: false, timedOut: false, wallMs: r.wallMs, cpuMs: r.cpuMs, sandboxCpuMs: r.sandboxCpuMs, callWaitMs: Object.values(r.calls).reduce((a, b) => a + b, 0) * latencyMs, peakRssMiB: r.peakRssMiB, scanRssMiB: r.scanRssMiB })),
    ),
  };
}

function figuresOf(runs: ScanResult[], estimate: typeof import('./fit.ts').estimatedLambdaS, limits: import('./fit.ts').FunctionLimits): NonNullable<ScanResult['invocations']> {
  return runs.map((r) => {
    const calls = Object.values(r.calls).reduce((a, b) => a + b, 0);
    return {
      wallMs: r.wallMs,
      cpuMs: r.cpuMs ?? 0,
      sandboxCpuMs: r.sandboxCpuMs ?? 0,
      calls,
      findings: r.findings,
      peakRssMiB: r.peakRssMiB,
      scanRssMiB: r.scanRssMiB,
      estimatedS: estimate(r.wallMs, r.cpuMs ?? 0, limits.memoryMb, calls * latencyMs, r.sandboxCpuMs ?? 0),
      estimatedWithSandboxS: estimate(r.wallMs, r.cpuMs ?? 0, limits.memoryMb, calls * latencyMs),
      ...(r.checkpoint?.partial ? { stoppedAt: r.checkpoint.partial.unit } : {}),
    };
  });
}

/** One invocation: a child `node` with the Lambda runtime's heap flags, resumable from `checkpointFile`. */
async function cappedInvocation(c: { id: string; title: string; resource: string; resources: number }, script: string, limits: import('./fit.ts').FunctionLimits, dir: string, checkpointFile?: string): Promise<ScanResult> {
  const { fitVerdict, isHeapOutOfMemory, lambdaHeapFlags } = await import('./fit.ts');
  const { flags } = lambdaHeapFlags(limits.memoryMb);
  // The child watches its own estimated function time (scan.ts, fit.ts) and stops at the timeout; the
  // wall-clock kill is a safety net, at WALL_CLOCK_SLACK × the timeout for this shared machine.
  const resumeArgs = ['--resume-dir', dir, ...(checkpointFile ? ['--checkpoint', checkpointFile] : [])];
  const out = spawnSync(process.execPath, [...flags, script, '--case', c.id, '--latency-ms', String(latencyMs), '--timeout-s', String(limits.timeoutS), '--memory-mb', String(limits.memoryMb), ...resumeArgs], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: limits.timeoutS * 1000 * WALL_CLOCK_SLACK,
    killSignal: 'SIGKILL',
  });
  const lastLine = () => JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
  if (out.status === 3) {
    const over = lastLine() as unknown as import('./scan.ts').OverBudget;
    log(`scan ${c.id}: stopped at ~${over.estimatedS} s estimated on the function (${over.calls} calls, ${(over.cpuMs / 1000).toFixed(1)} s CPU here, of which ${(over.sandboxCpuMs / 1000).toFixed(1)} s the sandbox's)`);
    const fit = fitVerdict(limits, { outOfMemory: false, timedOut: true });
    return {
      id: c.id, title: c.title, resource: c.resource, resources: c.resources, latencyMs, policies: [], wallMs: over.wallMs, cpuMs: over.cpuMs, sandboxCpuMs: over.sandboxCpuMs, seedMs: 0, calls: {}, callsPer1000: 0,
      vsMinimum: { actual: over.calls, minimum: 0, ratio: 0, byOperation: {} }, findings: 0, peakRssMiB: 0, seededRssMiB: 0, startRssMiB: 0, scanRssMiB: 0,
      errors: [], runtime: 'bundle', failed: 'timed-out',
      fit: { ...fit, estimatedS: over.estimatedS, why: `passed the function's ${limits.timeoutS} s timeout (estimated ~${over.estimatedS} s after ${over.calls} calls; stopped there)` },
    };
  }
  if (out.status === 0) {
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '') as ScanResult;
    // One invocation's verdict (the caller judges the whole case).
    return { ...result, fit: fitVerdict(limits, { outOfMemory: false, timedOut: false, wallMs: result.wallMs, cpuMs: result.cpuMs, sandboxCpuMs: result.sandboxCpuMs, callWaitMs: Object.values(result.calls).reduce((a, b) => a + b, 0) * latencyMs, peakRssMiB: result.peakRssMiB, scanRssMiB: result.scanRssMiB }) };
  }
  const timedOut = (out.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  const outOfMemory = !timedOut && isHeapOutOfMemory(out.stderr ?? '', out.signal);
  const failed = timedOut ? 'timed-out' : outOfMemory ? 'out-of-memory' : 'error';
  const tail = (out.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  log(`scan ${c.id}: ${failed}${failed === 'error' ? ` (exit ${out.status}, ${out.signal ?? 'no signal'}): ${tail}` : ''}`);
  const fit = fitVerdict(limits, { outOfMemory, timedOut });
  return {
    id: c.id, title: c.title, resource: c.resource, resources: c.resources, latencyMs, policies: [], wallMs: timedOut ? limits.timeoutS * 1000 : 0, seedMs: 0, calls: {}, callsPer1000: 0,
    vsMinimum: { actual: 0, minimum: 0, ratio: 0, byOperation: {} }, findings: 0, peakRssMiB: 0, seededRssMiB: 0, startRssMiB: 0, scanRssMiB: 0,
    errors: failed === 'error' ? [`child exited ${out.status ?? out.signal}: ${tail}`] : [], runtime: 'bundle', failed,
    fit: failed === 'error' ? { ...fit, memoryOk: false, timeOk: false, fits: false, why: `the case failed: ${tail.slice(0, 200)}` } : fit,
  };
}

function finish(results: Omit<BenchResults, 'targets'>, started: number) {
  results.durationMs = Math.round(performance.now() - started);
  const full: BenchResults = { ...results, targets: checkTargets(results) };
  mkdirSync(join(args.out!, '..'), { recursive: true });
  writeFileSync(args.out!, `${JSON.stringify(full, null, 2)}\n`);
  process.stdout.write(`${render(full)}\n\nWrote ${args.out} in ${(full.durationMs! / 1000).toFixed(0)} s.\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
