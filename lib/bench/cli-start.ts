/**
 * CLI start time: the built `trimtab validate` and `trimtab scan --sandbox` (on an empty sandbox
 * account, so the run itself is a handful of calls and the time is start-up: Node, the bundle,
 * the SDK clients the scan creates) against a bare `node` that only loads the SDK clients that
 * command needs: none for validate, and for the scan the packages the built command reports it
 * loaded (TRIMTAB_SDK_LOAD_LOG). The baseline requires the clients' CommonJS builds (one file per
 * package: the faster of the SDK's two builds, so the stricter baseline). Runs alternate
 * between the command and its baseline, so a busy machine slows both alike; medians are compared.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureBuilt } from '../cli/build.mjs';
import { median, round } from './stats.ts';

export interface CliStartResult {
  command: string;
  /** The SDK packages the command loaded, and the baseline loads. */
  sdkPackages: string[];
  runs: number;
  medianMs: number;
  baselineMedianMs: number;
  /** medianMs / baselineMedianMs. */
  ratio: number;
}

const BIN = resolve('lib/cli/trimtab.mjs');

function timed(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): number {
  const started = performance.now();
  const out = spawnSync(process.execPath, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (out.status !== 0) throw new Error(`node ${args.join(' ')} failed (exit ${out.status}): ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return ms;
}

/** A node that only requires these packages (resolved from the project's node_modules). */
export const baselineArgs = (packages: string[]) => ['-e', `for (const m of ${JSON.stringify(packages)}) require(m)`];

export async function cliStartTimings(runs: number, log: (line: string) => void = () => {}): Promise<CliStartResult[]> {
  await ensureBuilt({ log });
  const dir = mkdtempSync(join(tmpdir(), 'trimtab-bench-cli-'));
  const env = { ...process.env, TRIMTAB_SANDBOX_FILE: join(dir, 'sandbox.json'), TRIMTAB_SANDBOX_HISTORY_FILE: join(dir, 'actions.jsonl') };
  const policies = resolve('trimtab.yml');
  try {
    timed([BIN, 'sandbox', 'reset', '--scenario', 'empty'], { cwd: dir, env });
    const commands = [
      { command: 'trimtab validate', args: ['validate', '-p', policies] },
      { command: 'trimtab scan --sandbox', args: ['scan', '--sandbox', '-p', policies] },
    ];
    const results: CliStartResult[] = [];
    for (const c of commands) {
      // Which SDK packages this command loads (and a warm-up run for the file cache).
      const logFile = join(dir, 'sdk-loads.json');
      timed([BIN, ...c.args], { cwd: dir, env: { ...env, TRIMTAB_SDK_LOAD_LOG: logFile } });
      const sdkPackages = (JSON.parse(readFileSync(logFile, 'utf8')) as string[]).sort();
      timed(baselineArgs(sdkPackages), { cwd: process.cwd() });
      const own: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < runs; i++) {
        own.push(timed([BIN, ...c.args], { cwd: dir, env }));
        base.push(timed(baselineArgs(sdkPackages), { cwd: process.cwd() }));
      }
      const medianMs = round(median(own), 0);
      const baselineMedianMs = round(median(base), 0);
      results.push({ command: c.command, sdkPackages, runs, medianMs, baselineMedianMs, ratio: round(medianMs / baselineMedianMs, 2) });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
