import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../../lib/aws/clients.ts';
import type { DetectEnv, Detection, RegionContext } from '../../../../lib/engine/types.ts';
import { memoryOversized, memoryUndersized, x86ToArm64, type ArmOptions, type OversizedOptions, type UndersizedOptions } from '../../../../lib/resources/lambda-function/detectors.ts';
import type { LambdaFunction } from '../../../../lib/resources/lambda-function/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { systemClock } from '../../../../lib/util/clock.ts';

const now = new Date('2026-11-01T00:00:00Z');
const env: DetectEnv = {
  ctx: { account: '123456789012', region: 'us-east-1', now, prices: DEFAULT_PRICES, clock: systemClock, clients: new AwsClients({ allowWrites: false }), log: () => {} } as RegionContext,
  prepared: undefined,
};
const OVER = memoryOversized.options.parse({}) as unknown as OversizedOptions;
const UNDER = memoryUndersized.options.parse({}) as unknown as UndersizedOptions;
const ARM = x86ToArm64.options.parse({}) as unknown as ArmOptions;

/** 100,000 invocations a day for 14 days, 200 ms each, 1,024 MB on x86_64. */
function fn(overrides: Partial<LambdaFunction> = {}, usage: Partial<NonNullable<LambdaFunction['usage']>> = {}): LambdaFunction {
  return {
    name: 'orders-api',
    arn: 'arn:aws:lambda:us-east-1:123456789012:function:orders-api',
    runtime: 'nodejs20.x',
    architecture: 'x86_64',
    memoryMb: 1024,
    timeoutS: 30,
    packageType: 'Zip',
    layers: [],
    codeSize: 1000,
    logGroup: '/aws/lambda/orders-api',
    tags: {},
    usage: { days: 14, invocations: 1_400_000, errors: 0, throttles: 0, durationAvgMs: 200, durationP99Ms: 400, durationMaxMs: 900, insightsMemoryMaxMb: 150, insightsCpuAvgMs: 20, ...usage },
    memory: { source: 'lambda-insights', maxUsedMb: 150 },
    ...overrides,
  };
}
const one = (d: Detection | Detection[] | undefined) => (Array.isArray(d) ? d[0] : d);

describe('memory-oversized', () => {
  it('proposes max used + 40 % in 64 MB steps when measured CPU fits, and prices the GB-seconds saved', () => {
    // Prepare: 150 MB used → 210 → 256 MB; CPU 20/200 ms = 0.1 vCPU needs 0.1 × 1769 / 0.7 = 253 MB.
    const f = fn();
    // Act
    const d = one(memoryOversized.detect!(f, OVER, env))!;
    // Assess: 3,041,667 invocations a month × 0.2 s × (1 − 0.25) GB × $0.0000166667 = $7.60.
    expect(d.status).toBe('actionable');
    expect(d.evidence.candidate).toBe(256);
    expect(d.savings!.monthlyUsd).toBeCloseTo(((1_400_000 / 14) * (730 / 24) * 0.2 * 0.75 * 0.0000166667), 6);
    expect(d.savings!.monthlyUsd).toBeCloseTo(7.6, 2);
    expect(d.benefit).toEqual(['cost']);
    expect(d.before).toMatchObject({ functionName: 'orders-api', memoryMb: 1024, candidateMb: 256 });
  });

  it('prices arm64 functions at the arm64 rate', () => {
    const d = one(memoryOversized.detect!(fn({ architecture: 'arm64' }), OVER, env))!;
    expect(d.savings!.monthlyUsd).toBeCloseTo((1_400_000 / 14) * (730 / 24) * 0.2 * 0.75 * 0.0000133334, 6);
  });

  it('keeps enough memory for the CPU the function uses: a CPU-bound function is not shrunk', () => {
    // 150 of 200 ms on CPU = 0.75 vCPU: at most 0.7 of the candidate's share → 1,895 MB, above 1,024.
    expect(memoryOversized.detect!(fn({}, { insightsCpuAvgMs: 150 }), OVER, env)).toBeUndefined();
    // 60 of 200 ms = 0.3 vCPU → 0.3 × 1769 / 0.7 = 758 MB → 768 MB, not 256.
    expect(one(memoryOversized.detect!(fn({}, { insightsCpuAvgMs: 60 }), OVER, env))!.evidence.candidate).toBe(768);
  });

  it('protects a function whose CPU use is not measured, unless the policy allows it within half the timeout', () => {
    const f = fn({ memory: { source: 'report-lines', maxUsedMb: 150, reports: 1_400_000 } }, { insightsCpuAvgMs: undefined, insightsMemoryMaxMb: undefined });
    const d = one(memoryOversized.detect!(f, OVER, env))!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toMatch(/CPU use unknown/);
    expect(one(memoryOversized.detect!(f, { ...OVER, allowUnmeasuredCpu: true }, env))!.status).toBe('actionable');
    // Worst case p99 400 ms × 1024/256 = 1.6 s: over half a 3 s timeout.
    expect(one(memoryOversized.detect!({ ...f, timeoutS: 3 }, { ...OVER, allowUnmeasuredCpu: true }, env))!.evidence.protection).toMatch(/over half the 3 s timeout/);
  });

  it("protects trimtab's own functions by name and by stack tag", () => {
    expect(one(memoryOversized.detect!(fn({ name: 'trimtab-prod-scan' }), OVER, env))!.status).toBe('protected');
    expect(one(memoryOversized.detect!(fn({ tags: { 'aws:cloudformation:stack-name': 'trimtab-dev' } }), OVER, env))!.evidence.protection).toMatch(/stack trimtab-dev/);
  });

  it('is a conflict when provisioned concurrency on an alias keeps a published version warm', () => {
    const f = fn({ aliases: [{ name: 'live', version: '7', provisionedConcurrency: 20 }] });
    const d = one(memoryOversized.detect!(f, OVER, env))!;
    expect(d.status).toBe('conflict');
    expect(d.evidence.conflict).toMatch(/live \(version 7, 20\).*saves nothing/);
  });

  it('says nothing on too few invocations, on memory near the size, or when the function exits out of memory', () => {
    expect(memoryOversized.detect!(fn({}, { invocations: 50 }), OVER, env)).toBeUndefined();
    expect(memoryOversized.detect!(fn({ memory: { source: 'lambda-insights', maxUsedMb: 600 } }), OVER, env)).toBeUndefined();
    expect(memoryOversized.detect!(fn({ memory: { source: 'report-lines', maxUsedMb: 150, runtimeExits: 1 } }), OVER, env)).toBeUndefined();
    expect(memoryOversized.detect!(fn({ memory: undefined }), OVER, env)).toBeUndefined();
  });
});

describe('memory-undersized', () => {
  it('flags a function near its timeout and memory limit as a performance finding with the risk it removes', () => {
    const f = fn({ memoryMb: 512, timeoutS: 60, memory: { source: 'report-lines', maxUsedMb: 505, runtimeExits: 4, timeouts: 2, reports: 9000 } }, { invocations: 9000, durationAvgMs: 30_000, durationP99Ms: 55_000 });
    const d = one(memoryUndersized.detect!(f, UNDER, env))!;
    expect(d.status).toBe('actionable');
    expect(d.benefit).toEqual(['performance']);
    expect(d.evidence.candidate).toBe(768);
    expect(d.risk!.summary).toMatch(/p99 duration 55000 ms is 92 % of the 60 s timeout/);
    expect(d.risk!.summary).toMatch(/4 "Runtime exited"/);
    expect(d.risk!.evidence).toMatchObject({ maxMemoryUsedMb: 505, memoryMb: 512, timeouts: 2 });
    expect(d.savings!.monthlyUsd).toBe(0);
  });

  it('leaves a comfortable function alone', () => {
    expect(memoryUndersized.detect!(fn(), UNDER, env)).toBeUndefined();
  });
});

describe('x86-to-arm64', () => {
  it('reports an x86_64 Node.js function with no layers, priced at the difference per GB-second', () => {
    const d = one(x86ToArm64.detect!(fn(), ARM, env))!;
    const gbSeconds = (1_400_000 / 14) * (730 / 24) * 0.2 * 1;
    expect(d.savings!.monthlyUsd).toBeCloseTo(gbSeconds * (0.0000166667 - 0.0000133334), 6);
    expect(d.evidence.caveat).toMatch(/native modules/);
  });

  it('skips functions that may hold native code: layers, custom runtimes, go1.x, container images, and arm64 ones', () => {
    expect(x86ToArm64.detect!(fn({ layers: ['arn:aws:lambda:us-east-1:1:layer:sharp:1'] }), ARM, env)).toBeUndefined();
    expect(x86ToArm64.detect!(fn({ runtime: 'provided.al2023' }), ARM, env)).toBeUndefined();
    expect(x86ToArm64.detect!(fn({ runtime: 'go1.x' }), ARM, env)).toBeUndefined();
    expect(x86ToArm64.detect!(fn({ runtime: undefined, packageType: 'Image' }), ARM, env)).toBeUndefined();
    expect(x86ToArm64.detect!(fn({ architecture: 'arm64' }), ARM, env)).toBeUndefined();
  });
});
