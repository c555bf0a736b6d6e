import { describe, expect, it } from 'vitest';
import { estimatedLambdaS, fitLabel, fitVerdict, functionLimits, isHeapOutOfMemory, lambdaHeapFlags, resumedVerdict } from '../../../lib/bench/fit.ts';
import { serverlessConfig } from '../../../lib/bench/lambda.ts';
import { fitTargets } from '../../../lib/bench/report.ts';
import type { ScanResult } from '../../../lib/bench/scan.ts';

const scanFunction = { function: 'scan', memoryMb: 512, timeoutS: 300 };

describe('running a scan case as Lambda runs the scan function', () => {
  it('reads the scan function\'s memory and timeout from serverless.yml', () => {
    // Act
    const limits = functionLimits(serverlessConfig());

    // Assess
    expect(limits).toEqual(scanFunction);
    expect(() => functionLimits(serverlessConfig(), 'nope')).toThrow(/serverless.yml has no function 'nope'; functions: scan, /);
  });

  it('caps the heap as the Lambda Node.js bootstrap does: a tenth of the memory is new space, two semi-spaces, the rest old space', () => {
    // Act
    const at512 = lambdaHeapFlags(512);
    const at1024 = lambdaHeapFlags(1024);

    // Assess
    expect(at512.flags).toEqual(['--max-semi-space-size=25', '--max-old-space-size=461']);
    expect(at1024.flags).toEqual(['--max-semi-space-size=51', '--max-old-space-size=922']);
  });

  it('scales this machine\'s CPU time to the function\'s share of a vCPU and adds at most every call\'s latency as waiting', () => {
    // Act: 10 s wall, 2 s CPU, 100 calls at 20 ms on 512 MB (0.29 vCPU).
    const estimate = estimatedLambdaS(10_000, 2_000, 512, 2_000);

    // Assess: 2 s × 1769/512 = 6.9 s of CPU, 2 s of waiting (not the 8 s this loaded machine spent).
    expect(estimate).toBe(8.9);
    expect(estimatedLambdaS(10_000, 2_000, 4096)).toBe(10);
  });

  it('leaves the sandbox\'s CPU (AWS building its answers) out of the function\'s estimate and reports the estimate with it beside', () => {
    // Act: as above, of the 2 s of CPU 1.5 s were the sandbox answering.
    const own = estimatedLambdaS(10_000, 2_000, 512, 2_000, 1_500);
    const verdict = fitVerdict(scanFunction, { outOfMemory: false, timedOut: false, wallMs: 10_000, cpuMs: 2_000, sandboxCpuMs: 1_500, callWaitMs: 2_000, scanRssMiB: 300 });

    // Assess: 0.5 s × 1769/512 = 1.7 s of CPU + 2 s of waiting; with the sandbox's CPU counted, 8.9 s as before.
    expect(own).toBe(3.7);
    expect(verdict.estimatedS).toBe(3.7);
    expect(verdict.estimatedWithSandboxS).toBe(8.9);
    expect(estimatedLambdaS(10_000, 2_000, 512, 2_000, 5_000)).toBe(2);
  });

  it('passes a case only when it stayed under the memory and the estimated time, and says why', () => {
    // Act
    const fits = fitVerdict(scanFunction, { outOfMemory: false, timedOut: false, wallMs: 20_000, cpuMs: 10_000, callWaitMs: 1_000, scanRssMiB: 300 });
    const tooBig = fitVerdict(scanFunction, { outOfMemory: false, timedOut: false, wallMs: 20_000, cpuMs: 10_000, callWaitMs: 1_000, scanRssMiB: 600 });
    const tooSlow = fitVerdict(scanFunction, { outOfMemory: false, timedOut: false, wallMs: 200_000, cpuMs: 100_000, callWaitMs: 1_000, scanRssMiB: 300 });
    const oom = fitVerdict(scanFunction, { outOfMemory: true, timedOut: false });

    // Assess
    expect([fits.fits, tooBig.fits, tooSlow.fits, oom.fits]).toEqual([true, false, false, false]);
    expect(fits.why).toBe('300 MiB ≤ 512 MB, ~35.6 s ≤ 300 s (estimated)');
    expect(tooBig.why).toBe('600 MiB > 512 MB, ~35.6 s ≤ 300 s (estimated)');
    expect(tooSlow.why).toBe('300 MiB ≤ 512 MB, ~346.5 s > 300 s (estimated)');
    expect(oom.why).toBe('out of heap under --max-semi-space-size=25 --max-old-space-size=461 (the 512 MB function\'s cap)');
  });

  it('recognises V8 running out of heap in a child\'s stderr', () => {
    expect(isHeapOutOfMemory('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', null)).toBe(true);
    expect(isHeapOutOfMemory('Error: boom', null)).toBe(false);
  });

  it('prints one target per case that says PASS or MISSED with the reason', () => {
    // Prepare
    const result = (id: string, fits: boolean) => ({ id, fit: { ...fitVerdict(scanFunction, { outOfMemory: !fits, timedOut: false, wallMs: 1000, cpuMs: 100, scanRssMiB: 200 }) } }) as ScanResult;

    // Act
    const targets = fitTargets([result('ebs-1k', true), result('dynamodb-2000', false)]);

    // Assess
    expect(targets.map((t) => [t.target, t.met, t.note])).toEqual([
      ['fits the scan function (512 MB, heap capped --max-semi-space-size=25 --max-old-space-size=461; 300 s): ebs-1k', true, 'met: 200 MiB ≤ 512 MB, ~1.2 s ≤ 300 s (estimated)'],
      ['fits the scan function (512 MB, heap capped --max-semi-space-size=25 --max-old-space-size=461; 300 s): dynamodb-2000', false, "MISSED: out of heap under --max-semi-space-size=25 --max-old-space-size=461 (the 512 MB function's cap)"],
    ]);
  });

  it('says a case that took three invocations RESUMES when each stayed under the memory and the timeout, and FAIL naming the one that did not', () => {
    // Prepare: three invocations of about 250 s (20 s of waiting, 70 s CPU here) and one of 400 s.
    const ok = { outOfMemory: false, timedOut: false, wallMs: 100_000, cpuMs: 70_000, callWaitMs: 20_000, scanRssMiB: 420 };
    const slow = { ...ok, cpuMs: 110_000, wallMs: 120_000 };

    // Act
    const resumes = resumedVerdict(scanFunction, [ok, ok, { ...ok, scanRssMiB: 300 }]);
    const fails = resumedVerdict(scanFunction, [ok, slow, ok]);
    const once = resumedVerdict(scanFunction, [ok]);

    // Assess
    expect([fitLabel(resumes), fitLabel(fails), fitLabel(once)]).toEqual(['RESUMES (3)', 'FAIL', 'PASS']);
    expect(resumes.why).toBe('resumes: 3 invocations from checkpoints, each ≤ 420 MiB ≤ 512 MB and ~261.9 s ≤ 300 s at most (estimated)');
    expect(fails.why).toBe('invocation 2 of 3: 420 MiB ≤ 512 MB, ~390.1 s > 300 s (estimated)');
    expect(once.invocations).toBe(1);
  });
});
