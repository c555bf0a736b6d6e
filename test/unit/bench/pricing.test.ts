/** The pricing calls a daily sweep adds (lib/bench/pricing.ts) and their place in the running cost (lib/bench/cost.ts). */
import { describe, expect, it } from 'vitest';
import { runningCost } from '../../../lib/bench/cost.ts';
import { pricingSweepCalls } from '../../../lib/bench/pricing.ts';
import { regionQueries } from '../../../lib/pricing/lookup.ts';

describe('price lookups of a daily sweep', () => {
  it('asks the price list on the first day and again only when the stored sets turn 7 days old', async () => {
    // Act: two regions, nine daily sweeps, each a cold start.
    const r = await pricingSweepCalls(['us-east-1', 'ap-southeast-2'], 9);

    // Assess
    const first = r.getProductsByDay[0];
    expect(first).toBeGreaterThanOrEqual(2 * regionQueries().length);
    expect(r.getProductsByDay).toEqual([first, 0, 0, 0, 0, 0, 0, first, 0]);
    expect(r.perRegionPerDayAfterFirst).toBe(Math.round((first / 8 / 2) * 100) / 100);
    expect(r.cacheQueries).toBe(9 * 2);
    expect(r.cachePuts).toBe(2 * 2 * regionQueries().length);
    expect(r.cacheWrittenKiB).toBeGreaterThan(0);
  });

  it('adds the price cache\'s DynamoDB request units to the running cost, and GetProducts at $0', () => {
    // Prepare
    const base = { sweepMs: 10_000, memoryMb: 1024, arm64: true, approvalExecutionsPerSweep: 0, transitionsPerExecution: 0, lambdaInvocationsPerExecution: 0, approvalTaskMs: 0 };

    // Act
    const without = runningCost(base);
    const withPricing = runningCost({ ...base, pricing: { getProductsPerDay: 12, cacheWriteKiBPerDay: 100, cachePutsPerDay: 4, cacheReadKiBPerDay: 80, cacheQueriesPerDay: 4 } });

    // Assess: (100 + 4) × 30 = 3,120 write units; (80 / 4 + 4) × 0.5 × 30 = 360 read units.
    expect(withPricing.pricing).toEqual({ getProductsPerMonth: 360, writeUnitsPerMonth: 3120, readUnitsPerMonth: 360, usd: 0.001995 });
    expect(withPricing.totalUsdPerMonth).toBeCloseTo(without.totalUsdPerMonth + 0.001995, 4);
  });
});
