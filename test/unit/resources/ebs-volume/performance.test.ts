import { describe, expect, it } from 'vitest';
import type { DetectEnv, Detection, Finding } from '../../../../lib/engine/types.ts';
import {
  iopsOverProvisioned,
  limitsFor,
  lowerVolumeIops,
  performanceSavings,
  proposeLower,
  proposeRaise,
  raiseVolumePerformance,
  volumeAtCeiling,
  type VolumeWithIo,
} from '../../../../lib/resources/ebs-volume/performance.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const HOURS = 14 * 24;
const env = (modifications = new Map()) => ({ ctx: { now: NOW, prices: DEFAULT_PRICES }, prepared: { modifications } }) as unknown as DetectEnv;

function volume(overrides: Partial<VolumeWithIo> = {}, iops: (number | null)[] = Array(HOURS).fill(1000), throughput: (number | null)[] = Array(HOURS).fill(20)): VolumeWithIo {
  return {
    id: 'vol-1', sizeGb: 500, volumeType: 'gp3', iops: 3000, throughput: 125, state: 'in-use', availabilityZone: 'us-east-1a', createTime: 0,
    attachedTo: ['i-1'], multiAttach: false, encrypted: false, tags: {},
    ioUsage: { windowDays: 14, iops, throughput },
    ...overrides,
  };
}
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;
const findingOf = (d: Detection, detector: string): Finding => ({
  ...d, id: 'f', policy: 'p', detector, mode: 'approval', status: 'actionable', savings: d.savings!,
  resource: { type: 'ebs-volume', id: 'vol-1', arn: 'arn:aws:ec2:us-east-1:123456789012:volume/vol-1', account: '123456789012', region: 'us-east-1', tags: {} },
});
/** `share` of the hours at `hot`, the rest at `cool`. */
const series = (share: number, hot: number, cool: number) => Array.from({ length: HOURS }, (_, h) => (h % 20 < share * 20 ? hot : cool));

describe('limitsFor', () => {
  it('follows the ModifyVolume ranges and IOPS per GiB ratios', () => {
    expect(limitsFor('gp3', 500)).toEqual({ minIops: 3000, maxIops: 80_000, minThroughput: 125, maxThroughput: 2000 });
    expect(limitsFor('gp3', 8)).toMatchObject({ maxIops: 4000 });
    expect(limitsFor('io1', 400)).toEqual({ minIops: 100, maxIops: 20_000 });
    expect(limitsFor('io1', 2000)).toEqual({ minIops: 100, maxIops: 64_000 });
    expect(limitsFor('io2', 400)).toEqual({ minIops: 100, maxIops: 256_000 });
    expect(limitsFor('io2', 100)).toEqual({ minIops: 100, maxIops: 100_000 });
    expect(limitsFor('gp2', 100)).toBeUndefined();
  });
});

describe('proposeRaise', () => {
  it('raises gp3 IOPS by the step', () => {
    expect(proposeRaise(volume(), { iops: true, throughput: false }, { maxStepPercent: 50 })).toEqual({ iops: 4500, throughput: 125 });
  });

  it('raises gp3 throughput and the IOPS it needs (0.25 MiB/s per IOPS)', () => {
    // 125 → 600 MiB/s needs 2,400 IOPS: the 3,000 included are enough; 1,000 MiB/s needs 4,000
    expect(proposeRaise(volume(), { iops: false, throughput: true }, { maxStepPercent: 380 })).toEqual({ iops: 3000, throughput: 600 });
    expect(proposeRaise(volume({ throughput: 800 }), { iops: false, throughput: true }, { maxStepPercent: 25 })).toEqual({ iops: 4000, throughput: 1000 });
  });

  it('stops at the per-GiB limit and says so at the limit', () => {
    // io1 100 GiB: at most 5,000 IOPS
    expect(proposeRaise(volume({ volumeType: 'io1', sizeGb: 100, iops: 4000, throughput: undefined }), { iops: true, throughput: false }, { maxStepPercent: 50 })).toEqual({ iops: 5000 });
    expect(proposeRaise(volume({ volumeType: 'io1', sizeGb: 100, iops: 5000, throughput: undefined }), { iops: true, throughput: false }, { maxStepPercent: 50 })).toMatch(/Already at the limit for a 100 GiB io1 volume \(5000 IOPS\)/);
  });
});

describe('proposeLower', () => {
  it('keeps headroom over the peak, rounded up to 100, and never goes below the type minimum', () => {
    expect(proposeLower(volume({ volumeType: 'io1', iops: 16_000, throughput: undefined }), 1480, { headroomPercent: 50 })).toBe(2300);
    expect(proposeLower(volume({ volumeType: 'io1', iops: 16_000, throughput: undefined }), 10, { headroomPercent: 50 })).toBe(100);
    expect(proposeLower(volume({ iops: 12_000 }), 100, { headroomPercent: 50 })).toBe(3000);
    // gp3 at 1,000 MiB/s needs 4,000 IOPS
    expect(proposeLower(volume({ iops: 12_000, throughput: 1000 }), 100, { headroomPercent: 50 })).toBe(4000);
  });
});

describe('performanceSavings', () => {
  it('prices io1 IOPS from the one price table', () => {
    const s = performanceSavings(volume({ volumeType: 'io1', sizeGb: 400, iops: 16_000, throughput: undefined }), { iops: 2300 }, DEFAULT_PRICES);
    // (16,000 − 2,300) × $0.065
    expect(s.monthlyUsd).toBe(890.5);
  });

  it('prices io2 IOPS by tier when lowering and raising: above 32,000 and above 64,000 IOPS cost less than the first 32,000', () => {
    // Prepare: a 2,000 GiB io2 volume with 80,000 IOPS.
    const v = volume({ volumeType: 'io2', sizeGb: 2000, iops: 80_000, throughput: undefined });
    // Act
    const lower = performanceSavings(v, { iops: 20_000 }, DEFAULT_PRICES);
    const raise = performanceSavings(volume({ volumeType: 'io2', sizeGb: 2000, iops: 30_000, throughput: undefined }), { iops: 40_000 }, DEFAULT_PRICES);
    // Assess: 80,000 = 32,000 × $0.065 + 32,000 × $0.0455 + 16,000 × $0.032 = $4,048; 20,000 × $0.065 = $1,300.
    expect(lower.monthlyUsd).toBe(2748);
    expect(lower.basis[0]).toContain('80000 IOPS (tiered: first 32,000 × $0.065, next up to 32,000 × $0.0455, above 64,000 × $0.032)');
    // 30,000 → 40,000: 2,000 more at $0.065 and 8,000 at $0.0455 = $494 more (flat would say $650).
    expect(raise.monthlyUsd).toBe(-494);
  });

  it('shows a raise as a negative saving', () => {
    const s = performanceSavings(volume(), { iops: 4500, throughput: 125 }, DEFAULT_PRICES);
    // 1,500 IOPS above the included 3,000 × $0.005
    expect(s.monthlyUsd).toBe(-7.5);
    expect(s.basis.join(' ')).toContain('negative saving');
  });
});

describe('volume-at-ceiling', () => {
  it('flags a gp3 volume at its IOPS ceiling as a performance finding with the risk and the candidate', () => {
    // Act
    const d = one(volumeAtCeiling.detect!(volume({}, series(0.25, 2950, 800)), volumeAtCeiling.options.parse({}) as never, env()));

    // Assess
    expect(d).toMatchObject({ status: 'actionable', benefit: ['performance'], evidence: { candidate: 4500, iopsAtCeilingShare: 0.25, saturated: { iops: true, throughput: false } } });
    expect(d!.risk!.summary).toBe('IOPS at ≥90 % of the 3,000 provisioned for 25 % of hours');
  });

  it('flags throughput at the ceiling', () => {
    const d = one(volumeAtCeiling.detect!(volume({}, Array(HOURS).fill(500), series(0.5, 124, 60)), volumeAtCeiling.options.parse({}) as never, env()));
    expect(d?.evidence).toMatchObject({ saturated: { iops: false, throughput: true }, candidate: 3000, candidateThroughputMiBps: 188 });
  });

  it('ignores volumes below the ceiling, too little data, and gp2', () => {
    const opts = volumeAtCeiling.options.parse({}) as never;
    expect(volumeAtCeiling.detect!(volume({}, series(0.05, 2950, 800)), opts, env())).toBeUndefined();
    expect(volumeAtCeiling.detect!(volume({}, [...Array(HOURS - 10).fill(null), ...Array(10).fill(3000)]), opts, env())).toBeUndefined();
    expect(volumeAtCeiling.detect!(volume({ volumeType: 'gp2' }, series(1, 3000, 3000)), opts, env())).toBeUndefined();
  });

  it('protects a volume whose last modification is still optimizing', () => {
    const mods = new Map([['vol-1', { state: 'optimizing', startTime: NOW.getTime() - 3_600_000, progress: 40 }]]);
    const d = one(volumeAtCeiling.detect!(volume({}, series(0.5, 3000, 800)), volumeAtCeiling.options.parse({}) as never, env(mods)));
    expect(d).toMatchObject({ status: 'protected', evidence: { protection: expect.stringContaining('still optimizing') } });
  });
});

describe('iops-over-provisioned', () => {
  const io1 = (iops: (number | null)[]) => volume({ volumeType: 'io1', sizeGb: 400, iops: 16_000, throughput: undefined }, iops);

  it('flags io1 IOPS far above the busiest hour, with the saving', () => {
    const d = one(iopsOverProvisioned.detect!(io1(series(0.1, 1480, 600)), iopsOverProvisioned.options.parse({}) as never, env()));
    expect(d).toMatchObject({ status: 'actionable', evidence: { provisionedIops: 16_000, iopsPeakHourly: 1480, candidate: 2300 }, savings: { monthlyUsd: 890.5 } });
    expect(d!.benefit).toBeUndefined();
  });

  it('ignores a volume whose busiest hour uses more than maxUsePercent, and one with too little data', () => {
    const opts = iopsOverProvisioned.options.parse({}) as never;
    expect(iopsOverProvisioned.detect!(io1(series(0.1, 9000, 600)), opts, env())).toBeUndefined();
    expect(iopsOverProvisioned.detect!(io1([...Array(HOURS - 10).fill(null), ...Array(10).fill(50)]), opts, env())).toBeUndefined();
  });
});

describe('plans', () => {
  it('raise-volume-performance plans from the ceiling finding with the policy step', () => {
    const d = one(volumeAtCeiling.detect!(volume({}, series(0.25, 2950, 800)), volumeAtCeiling.options.parse({}) as never, env()))!;
    const plan = raiseVolumePerformance.plan(findingOf(d, 'volume-at-ceiling'), raiseVolumePerformance.options.parse({ maxStepPercent: 100 }) as never, { now: NOW, prices: DEFAULT_PRICES });
    expect(plan).toMatchObject({ kind: 'change', params: { volumeId: 'vol-1', volumeType: 'gp3', from: { iops: 3000, throughput: 125 }, to: { iops: 6000, throughput: 125 } }, savings: { monthlyUsd: -15 } });
  });

  it('lower-volume-iops plans with the policy headroom and refuses other findings', () => {
    const d = one(iopsOverProvisioned.detect!(volume({ volumeType: 'io1', sizeGb: 400, iops: 16_000, throughput: undefined }, series(0.1, 1480, 600)), iopsOverProvisioned.options.parse({}) as never, env()))!;
    const plan = lowerVolumeIops.plan(findingOf(d, 'iops-over-provisioned'), lowerVolumeIops.options.parse({ headroomPercent: 100 }) as never, { now: NOW, prices: DEFAULT_PRICES });
    expect(plan).toMatchObject({ kind: 'change', params: { from: { iops: 16_000 }, to: { iops: 3000 } } });
    expect(lowerVolumeIops.plan(findingOf({ reason: 'r', evidence: {} }, 'unattached'), lowerVolumeIops.options.parse({}) as never, { now: NOW, prices: DEFAULT_PRICES })).toMatchObject({ kind: 'conflict' });
    expect(raiseVolumePerformance.defaultMode).toBe('approval');
    expect(lowerVolumeIops.defaultMode).toBe('approval');
  });
});
