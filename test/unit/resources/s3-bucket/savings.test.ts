import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, GIB } from '../../../../lib/savings/prices.ts';
import { transitionEconomics, type BucketSizes, type TransitionInput } from '../../../../lib/resources/s3-bucket/savings.ts';

const sizes = (standardGb: number, objects?: number): BucketSizes => ({ known: true, bytes: { StandardStorage: standardGb * GIB }, objects, asOf: '2026-10-31T00:00:00.000Z' });

const input = (over: Partial<TransitionInput>): TransitionInput => ({
  sizes: sizes(1000, 100_000),
  storageClass: 'INTELLIGENT_TIERING',
  afterDays: 30,
  minObjectSizeBytes: 131072,
  assumptions: { coldFraction: 0.5, maxPaybackMonths: 6 },
  prices: DEFAULT_PRICES,
  ...over,
});

describe('transitionEconomics', () => {
  it('prices Intelligent-Tiering as cold bytes × tier difference minus monitoring (worked README example)', () => {
    // Act: 1,000 GB, 100,000 objects (~10 MB each), half cold.
    const result = transitionEconomics(input({}));

    // Assess: 500 GB × (0.023 − 0.0125) = 5.25; monitoring 100 × 0.0025 = 0.25 → 5.00; one-off 100 × 0.01 = 1.00.
    expect(result.worthIt).toBe(true);
    expect(result.estimate.monthlyUsd).toBe(5);
    expect(result.worthIt && result.oneTimeUsd).toBe(1);
    expect(result.estimate.basis.join(' ')).toContain('Assumed: 50% of those bytes are not read for 30+ days');
  });

  it('prices Standard-IA without monitoring but only for the cold share', () => {
    const result = transitionEconomics(input({ storageClass: 'STANDARD_IA' }));

    expect(result.estimate.monthlyUsd).toBe(5.25);
  });

  it('gives 0 and says "size unknown" when CloudWatch has no datapoint', () => {
    const result = transitionEconomics(input({ sizes: { known: false, bytes: {} } }));

    expect(result).toMatchObject({ worthIt: false, estimate: { monthlyUsd: 0 } });
    expect(result.estimate.basis[0]).toContain('size unknown');
  });

  it('refuses a transition for a small bucket, where requests and monitoring cost more than the saving', () => {
    const result = transitionEconomics(input({ sizes: sizes(0.02, 150) }));

    expect(result.worthIt).toBe(false);
    expect(result.worthIt === false && result.why).toMatch(/^the transition would cost more than it saves: fees outweigh the storage saving by \$0\.000[0-9]\/month$/);
  });

  it('refuses a transition when objects average under the 128 KB floor', () => {
    const result = transitionEconomics(input({ sizes: sizes(150, 30_000_000) }));

    expect(result.worthIt === false && result.why).toMatch(/^average object size 5 KB is under the 128 KB size filter/);
  });

  it('refuses Standard-IA when objects expire before its 30-day minimum has passed', () => {
    const result = transitionEconomics(input({ storageClass: 'STANDARD_IA', afterDays: 30, expirationDays: 45 }));

    expect(result.worthIt === false && result.why).toContain('30-day minimum');
  });

  it('refuses when the one-off transition cost takes longer than the payback limit to earn back', () => {
    // 100 GB in 800,000 objects (~131 KB): at IA 50 GB × 0.0105 = 0.525/month vs 400 × 0.01 = 4.00 one-off (7.6 months).
    const result = transitionEconomics(input({ storageClass: 'STANDARD_IA', sizes: sizes(100, 800_000) }));

    expect(result.worthIt === false && result.why).toContain('months to earn back');
  });
});
