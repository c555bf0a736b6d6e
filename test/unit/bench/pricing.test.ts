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
    // Every set twice per region, and one CHECKED item per region on each day the sets were checked (days 1-6 and 8).
    expect(r.cachePuts).toBe(2 * 2 * regionQueries().length + 7 * 2);
    expect(r.cacheWrittenKiB).toBeGreaterThan(0);
  });

  it('checks the publication date once a day with one ListPriceLists per service code for all regions, and asks again only the republished service', async () => {
    // Act: two regions, nine daily sweeps; AWS republishes the EC2 price list on day 3.
    const r = await pricingSweepCalls(['us-east-1', 'ap-southeast-2'], 9, [{ day: 3, serviceCode: 'AmazonEC2' }]);

    // Assess
    const codes = new Set(regionQueries().map((q) => q.serviceCode)).size;
    const ec2Families = regionQueries().filter((q) => q.serviceCode === 'AmazonEC2').length;
    const first = r.getProductsByDay[0];
    expect(r.listPriceListsByDay).toEqual([0, codes, codes, codes, codes, codes, codes, 1, codes]);
    expect(r.getProductsByDay[3]).toBeGreaterThanOrEqual(2 * ec2Families);
    expect(r.getProductsByDay[3]).toBeLessThan(first);
    expect(r.getProductsByDay.filter((_, day) => day !== 0 && day !== 3 && day !== 7)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.listPerRegionPerDayAfterFirst).toBe(Math.round(((7 * codes + 1) / 8 / 2) * 100) / 100);
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
