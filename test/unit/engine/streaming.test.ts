import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPolicies, type FindingResult } from '../../../lib/engine/run.ts';
import { benefitOfItem, registerSynthetic, savingOfItem, setSyntheticCount, syntheticDeps, syntheticPolicy } from '../../synthetic.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

beforeAll(() => registerSynthetic());

/** What the test detector makes of items 0..n-1 (every 11th is tagged trimtab:skip, so protected). */
function expected(n: number) {
  let findings = 0;
  let saving = 0;
  const byBenefit = { cost: { count: 0, monthlyUsd: 0 }, performance: { count: 0, monthlyUsd: 0 }, both: { count: 0, monthlyUsd: 0 } };
  for (let i = 0; i < n; i++) {
    if (i % 11 === 0) continue;
    findings += 1;
    saving += savingOfItem(i);
    const b = benefitOfItem(i);
    const group = b.length === 2 ? 'both' : b[0];
    byBenefit[group].count += 1;
    byBenefit[group].monthlyUsd += savingOfItem(i);
  }
  return { findings, protected: n - findings, saving: Math.round(saving * 100) / 100, byBenefit };
}

describe('runPolicies with a sink (streaming)', () => {
  it('writes every finding to the sink once, keeps none in a dry-run, and keeps the totals exact', async () => {
    // Prepare
    setSyntheticCount(5_000);
    const seen = new Map<string, number>();
    const sink = { write: (f: FindingResult) => void seen.set(f.resource.id, (seen.get(f.resource.id) ?? 0) + 1) };

    // Act
    const result = await runPolicies({ policies: [syntheticPolicy('hot')], sink }, syntheticDeps());

    // Assess
    const want = expected(5_000);
    expect(seen.size).toBe(5_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(result.findings).toHaveLength(0);
    expect(result.detail).toBe('acted-on');
    expect(result.summary.findings).toBe(want.findings);
    expect(result.summary.protected).toBe(want.protected);
    expect(result.summary.estimatedMonthlySavingsUsd).toBe(want.saving);
    expect(result.summary.byBenefit).toEqual(want.byBenefit);
    expect(result.policies).toEqual([
      expect.objectContaining({ policy: 'hot', findings: 5_000, byOutcome: { 'would-apply': want.findings, reported: want.protected } }),
    ]);
  });

  it('keeps the findings it acts on until they are done, then writes them with their final outcome', async () => {
    // Prepare
    setSyntheticCount(300);
    const written: FindingResult[] = [];

    // Act
    const result = await runPolicies({ policies: [syntheticPolicy('fix', 'auto')], sink: { write: (f) => void written.push(f) } }, syntheticDeps());

    // Assess
    const want = expected(300);
    expect(result.findings).toHaveLength(want.findings);
    expect(result.findings.every((f) => f.outcome === 'applied' && f.actionId)).toBe(true);
    expect(result.summary.actionsApplied).toBe(want.findings);
    expect(written).toHaveLength(300);
    // The protected ones were final at once; the acted-on ones come last, applied.
    expect(written.slice(0, want.protected).every((f) => f.status === 'protected')).toBe(true);
    expect(written.slice(want.protected).every((f) => f.outcome === 'applied')).toBe(true);
  });

  it('hands the audit listener each page of findings once, all before the first action', async () => {
    // Prepare
    setSyntheticCount(2_500);
    const batches: number[] = [];
    let actedBeforeLastBatch = false;
    const deps = { ...syntheticDeps(), onFindings: (f: FindingResult[]) => void batches.push(f.length), onTransition: () => void (actedBeforeLastBatch ||= batches.length < 3) };

    // Act
    await runPolicies({ policies: [syntheticPolicy('fix', 'auto')], sink: { write() {} } }, deps);

    // Assess: three listed pages (1000, 1000, 500); the passes' finish adds none
    expect(batches).toEqual([1000, 1000, 500]);
    expect(actedBeforeLastBatch).toBe(false);
  });

  it("takes a pass's final detections a page at a time, so a lazy finish() never holds them all", async () => {
    // Prepare
    setSyntheticCount(2_500);
    const batches: number[] = [];
    const deps = { ...syntheticDeps(), onFindings: (f: FindingResult[]) => void batches.push(f.length) };

    // Act
    const result = await runPolicies({ policies: [syntheticPolicy('late', 'dry-run', true, 'test-at-end')], sink: { write() {} } }, deps);

    // Assess: nothing while listing, then the 2,500 final detections in pages of 1,000
    expect(batches).toEqual([1000, 1000, 500]);
    expect(result.summary.findings + result.summary.protected).toBe(2_500);
  });

  it('counts once the same change two policies propose for the same resource, keeping the larger estimate', async () => {
    // Prepare
    setSyntheticCount(1_000);

    // Act
    const result = await runPolicies({ policies: [syntheticPolicy('a'), syntheticPolicy('b')], sink: { write() {} } }, syntheticDeps());

    // Assess
    const want = expected(1_000);
    expect(result.summary.findings).toBe(2 * want.findings);
    expect(result.summary.estimatedMonthlySavingsUsd).toBe(want.saving);
    expect(result.summary.overlapping).toBe(want.findings);
    expect(result.policies!.map((p) => [p.policy, p.monthlyUsd])).toEqual([
      ['a', want.saving],
      ['b', want.saving],
    ]);
  });

  it('without a sink keeps every finding, as callers that show them all expect', async () => {
    // Prepare
    setSyntheticCount(1_200);

    // Act
    const result = await runPolicies({ policies: [syntheticPolicy('hot')] }, syntheticDeps());

    // Assess
    expect(result.detail).toBe('all');
    expect(result.findings).toHaveLength(1_200);
    expect(result.summary.byBenefit).toEqual(expected(1_200).byBenefit);
  });
});

describe('engine memory', () => {
  /** Heap in use after a full collection, with the run's result still held. */
  async function heapGrowth(streaming: boolean, items: number): Promise<{ growth: number; held: number }> {
    setSyntheticCount(items);
    gc();
    const before = process.memoryUsage().heapUsed;
    const result = await runPolicies({ policies: [syntheticPolicy('hot')], ...(streaming ? { sink: { write() {} } } : {}) }, syntheticDeps());
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    return { growth, held: result.findings.length };
  }

  it('holds no finding of a 20,000-item scan: heap growth stays a small fraction of what keeping them costs', async () => {
    // Act
    const kept = await heapGrowth(false, 20_000);
    const streamed = await heapGrowth(true, 20_000);

    // Assess: keeping them costs tens of MiB; streaming only the tally and the overlap keys (~2 MiB)
    expect(kept.held).toBe(20_000);
    expect(streamed.held).toBe(0);
    expect(kept.growth).toBeGreaterThan(10 * 2 ** 20);
    expect(streamed.growth).toBeLessThan(3 * 2 ** 20);
    expect(streamed.growth).toBeLessThan(kept.growth / 8);
  }, 60_000);

  it('does not grow with the account: four times the items, about the same heap', async () => {
    // Act
    const small = await heapGrowth(true, 5_000);
    const large = await heapGrowth(true, 20_000);

    // Assess: only the overlap table (16 bytes a key at half load) grows: about 1 MiB more for 15,000 more findings
    expect(large.growth - small.growth).toBeLessThan(1.5 * 2 ** 20);
  }, 60_000);
});
