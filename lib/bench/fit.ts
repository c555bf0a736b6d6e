/**
 * Does a scan case fit the deployed function that runs it? The bench runs each case in a child
 * `node` with the heap capped the way the Lambda Node.js runtime caps it for the function's
 * configured memory, kills it at the function's timeout, and judges the result here.
 *
 * How the runtime sizes the heap: its `/var/runtime/bootstrap` (Lambda Node.js base image,
 * public.ecr.aws/lambda/nodejs:18, quoted in full in "Custom Binaries on AWS Lambda + Poking
 * Around"; the same lines in the nodejs14.x bootstrap, and `new_space=M/10` again in the
 * nodejs24.x one, DEV "Deep Dive into AWS Lambda (3): Official Node.js Runtime Analysis"):
 *
 *   new_space=$(expr $AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 10)
 *   semi_space=$(expr $new_space / 2)
 *   old_space=$(expr $AWS_LAMBDA_FUNCTION_MEMORY_SIZE - $new_space)
 *   node --max-semi-space-size=$semi_space --max-old-space-size=$old_space …
 *
 * (unless NODE_OPTIONS already sets either). For 512 MB: 25 MB semi-space, 461 MB old space.
 * Beyond the heap, Lambda stops a function whose whole process (RSS) passes the configured memory.
 *
 * Time: a function gets CPU in proportion to its memory, one vCPU at 1,769 MB (Lambda developer
 * guide, "Configuring Lambda function memory"); 512 MB is 0.29 of one. The bench machine's CPU
 * time is scaled by 1,769 / memory and added to the time spent waiting for AWS (estimatedLambdaS):
 * an estimate of the function's duration, stated as such, on the assumption that one core of this
 * machine is worth one Lambda vCPU. The CPU the sandbox spent building and encoding its answers
 * (Sandbox.answerCpuUs: AWS's work, inside each call's simulated latency on the function's clock)
 * is left out of the function's CPU; the estimate with it counted is reported beside it.
 */
import type { ServerlessConfig } from './lambda.ts';

/** The function a scheduled sweep of one account and region runs in (serverless.yml `functions.scan`). */
export const SCAN_FUNCTION = 'scan';

/** One vCPU at this much memory (Lambda developer guide, "Configuring Lambda function memory"). */
export const MB_PER_VCPU = 1769;

export interface FunctionLimits {
  function: string;
  memoryMb: number;
  timeoutS: number;
}

/** The memory and timeout serverless.yml gives a function: its own, else the provider's, else the Serverless Framework's defaults (1024 MB, 6 s). */
export function functionLimits(config: Pick<ServerlessConfig, 'provider' | 'functions'>, name = SCAN_FUNCTION): FunctionLimits {
  const fn = (config.functions?.[name] ?? {}) as { memorySize?: number; timeout?: number };
  if (!config.functions?.[name]) throw new Error(`serverless.yml has no function '${name}'; functions: ${Object.keys(config.functions ?? {}).join(', ')}`);
  const provider = config.provider as { memorySize?: number; timeout?: number };
  return { function: name, memoryMb: Number(fn.memorySize ?? provider.memorySize ?? 1024), timeoutS: Number(fn.timeout ?? provider.timeout ?? 6) };
}

/** The V8 flags the Lambda Node.js runtime starts node with for `memoryMb` (see the file comment). */
export function lambdaHeapFlags(memoryMb: number): { flags: string[]; oldSpaceMb: number; semiSpaceMb: number } {
  const newSpace = Math.floor(memoryMb / 10);
  const semiSpaceMb = Math.floor(newSpace / 2);
  const oldSpaceMb = memoryMb - newSpace;
  return { flags: [`--max-semi-space-size=${semiSpaceMb}`, `--max-old-space-size=${oldSpaceMb}`], oldSpaceMb, semiSpaceMb };
}

/** What a capped child run gave: measured figures, or how it ended early. */
export interface CaseRun {
  /** The child ran out of heap under the cap (V8's "heap out of memory"). */
  outOfMemory: boolean;
  /** The child was stopped at the function's timeout (wall clock on this machine). */
  timedOut: boolean;
  wallMs?: number;
  cpuMs?: number;
  /** Every call's simulated latency added up, ms: the most the run can have waited for AWS. */
  callWaitMs?: number;
  /** Of cpuMs, the sandbox's answering (AWS's work): not the function's. */
  sandboxCpuMs?: number;
  peakRssMiB?: number;
  /** Peak RSS without the sandbox's own copy of the inventory (ScanResult.scanRssMiB). */
  scanRssMiB?: number;
  /** The run stopped at a checkpoint and resumed in further invocations (bench resume mode). */
  invocations?: number;
}

export interface FitVerdict extends FunctionLimits {
  heapFlags: string[];
  /** Invocations of the function the case took through the sweep's checkpoints (1: it fits one). */
  invocations?: number;
  /** Estimated duration on the function, s: (wall − CPU) + (CPU − sandbox CPU) × 1,769 / memory; resumed: of the longest invocation. */
  estimatedS?: number;
  /** The same estimate with the sandbox's CPU counted as the function's (the figure before it was measured). */
  estimatedWithSandboxS?: number;
  memoryOk: boolean;
  timeOk: boolean;
  fits: boolean;
  /** One sentence: why it fits or not. */
  why: string;
}

/**
 * Estimated duration on a function with `memoryMb`, from this machine's wall and CPU time: the
 * CPU time scaled to the function's share of a vCPU, plus the time spent waiting, which is at most
 * the simulated latency of every call one after the other (`callWaitMs`) and at most wall − CPU
 * (on a loaded machine that includes the run queue, so the smaller of the two is taken).
 * `sandboxCpuMs`, the part of the CPU time the sandbox spent answering (AWS's work, which on the
 * function's clock passes inside the calls' latency), is not scaled: it is left out.
 */
export function estimatedLambdaS(wallMs: number, cpuMs: number, memoryMb: number, callWaitMs = Number.POSITIVE_INFINITY, sandboxCpuMs = 0): number {
  const cpu = Math.min(cpuMs, wallMs);
  const scale = Math.max(1, MB_PER_VCPU / memoryMb);
  const wait = Math.min(wallMs - cpu, callWaitMs);
  const own = Math.max(0, cpu - Math.min(sandboxCpuMs, cpu));
  return Math.round((wait + own * scale) / 100) / 10;
}

export function fitVerdict(limits: FunctionLimits, run: CaseRun): FitVerdict {
  const { flags } = lambdaHeapFlags(limits.memoryMb);
  const base = { ...limits, heapFlags: flags };
  if (run.outOfMemory) return { ...base, memoryOk: false, timeOk: false, fits: false, why: `out of heap under ${flags.join(' ')} (the ${limits.memoryMb} MB function's cap)` };
  if (run.timedOut) return { ...base, memoryOk: true, timeOk: false, fits: false, why: `still running at ${limits.timeoutS} s × the wall-clock slack on this machine (stopped)` };
  const estimatedS = estimatedLambdaS(run.wallMs ?? 0, run.cpuMs ?? 0, limits.memoryMb, run.callWaitMs, run.sandboxCpuMs);
  const estimatedWithSandboxS = estimatedLambdaS(run.wallMs ?? 0, run.cpuMs ?? 0, limits.memoryMb, run.callWaitMs);
  const rss = run.scanRssMiB ?? run.peakRssMiB ?? 0;
  const memoryOk = rss <= limits.memoryMb;
  const timeOk = estimatedS <= limits.timeoutS;
  const fits = memoryOk && timeOk;
  const parts = [
    memoryOk ? `${rss} MiB ≤ ${limits.memoryMb} MB` : `${rss} MiB > ${limits.memoryMb} MB`,
    timeOk ? `~${estimatedS} s ≤ ${limits.timeoutS} s (estimated)` : `~${estimatedS} s > ${limits.timeoutS} s (estimated)`,
  ];
  return { ...base, estimatedS, estimatedWithSandboxS, memoryOk, timeOk, fits, why: `${parts.join(', ')}${run.invocations && run.invocations > 1 ? ` per invocation, ${run.invocations} invocations` : ''}` };
}

/**
 * A case run through the sweep's checkpoints, one capped child per invocation: it fits when every
 * invocation stayed under the memory and the timeout. One invocation: PASS; more: RESUMES in N.
 */
export function resumedVerdict(limits: FunctionLimits, runs: CaseRun[]): FitVerdict {
  if (runs.length === 0) throw new Error('resumedVerdict needs at least one invocation');
  const each = runs.map((run) => fitVerdict(limits, run));
  const bad = each.findIndex((v) => !v.fits);
  const estimatedS = Math.max(...each.map((v) => v.estimatedS ?? 0));
  const estimatedWithSandboxS = Math.max(...each.map((v) => v.estimatedWithSandboxS ?? 0));
  if (runs.length === 1) return { ...each[0], invocations: 1 };
  const peak = Math.max(...runs.map((r) => r.scanRssMiB ?? r.peakRssMiB ?? 0));
  if (bad >= 0) return { ...each[bad], invocations: runs.length, estimatedS, estimatedWithSandboxS, fits: false, why: `invocation ${bad + 1} of ${runs.length}: ${each[bad].why}` };
  return {
    ...each[0],
    invocations: runs.length,
    estimatedS,
    estimatedWithSandboxS,
    memoryOk: true,
    timeOk: true,
    fits: true,
    why: `resumes: ${runs.length} invocations from checkpoints, each ≤ ${peak} MiB ≤ ${limits.memoryMb} MB and ~${estimatedS} s ≤ ${limits.timeoutS} s at most (estimated)`,
  };
}

/** The fit column: PASS (one invocation), RESUMES (N) or FAIL. */
export const fitLabel = (f: FitVerdict): string => (!f.fits ? 'FAIL' : (f.invocations ?? 1) > 1 ? `RESUMES (${f.invocations})` : 'PASS');

/** Whether a child's stderr says V8 ran out of heap. */
export const isHeapOutOfMemory = (stderr: string, signal: string | null): boolean =>
  /heap out of memory|Reached heap limit|Allocation failed - JavaScript heap/i.test(stderr) || signal === 'SIGABRT';
