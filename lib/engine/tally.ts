/**
 * Counting findings without keeping them: the engine's totals (summary, per policy, by status,
 * by benefit, by resource type) are built one finding at a time, so a run over a million
 * snapshots needs no array of a million findings to print exact totals.
 */
import { usd } from '../savings/usd.ts';
import { benefitOf, type Benefit, type Finding, type FindingStatus } from './types.ts';

/** How a finding helps, as reports group it: one benefit, or both. */
export type BenefitGroup = 'cost' | 'performance' | 'both';
export const BENEFIT_GROUPS: readonly BenefitGroup[] = ['cost', 'performance', 'both'];

export function benefitGroup(finding: { benefit?: Benefit[] }): BenefitGroup {
  const benefit = benefitOf(finding);
  const cost = benefit.includes('cost');
  const performance = benefit.includes('performance');
  return cost && performance ? 'both' : performance ? 'performance' : 'cost';
}

export const BENEFIT_LABEL: Record<BenefitGroup, string> = { cost: 'Cost', performance: 'Performance', both: 'Cost and performance' };

/** A count and the monthly saving of what was counted (protected findings count, but save nothing). */
export interface Tally {
  count: number;
  monthlyUsd: number;
}

export interface PolicyTally {
  policy: string;
  resourceType: string;
  /** Every finding of the policy, protected ones included. */
  findings: number;
  /** Savings of the policy's findings, protected excluded; overlaps with other policies count in each. */
  monthlyUsd: number;
  byStatus: Partial<Record<FindingStatus, Tally>>;
  byBenefit: Partial<Record<BenefitGroup, Tally>>;
  /** By outcome (would-apply, awaiting-approval, applied, …): counts only. */
  byOutcome: Record<string, number>;
}

/**
 * Savings counted once per resource and change: two policies may flag the same resource for
 * the same action (e.g. "older than 90 days" and "orphaned" on one snapshot), and only the
 * larger estimate counts. The keys are 64-bit hashes in typed arrays (16 bytes a key at half
 * load, against ~100 for a Map of strings): a million keys hold ~32 MiB, and the odds of two
 * keys colliding (one saving counted once too few) are about 3 in 100 million at a million keys.
 */
export class SavingsDedup {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private values = new Float64Array(1024);
  private used = new Uint8Array(1024);
  private size = 0;

  /** Keys added more than once. */
  repeats = 0;

  /** Records `monthlyUsd` for `key`; returns how much the total grows (0 when an equal or larger estimate was seen). */
  add(key: string, monthlyUsd: number): number {
    if (this.size * 2 >= this.used.length) this.grow();
    const [h, l] = hash64(key);
    const mask = this.used.length - 1;
    let i = (h ^ Math.imul(l, 0x9e3779b1)) & mask;
    while (this.used[i]) {
      if (this.hi[i] === h && this.lo[i] === l) {
        this.repeats += 1;
        const delta = Math.max(0, monthlyUsd - this.values[i]);
        this.values[i] = Math.max(this.values[i], monthlyUsd);
        return delta;
      }
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.hi[i] = h;
    this.lo[i] = l;
    this.values[i] = monthlyUsd;
    this.size += 1;
    return monthlyUsd;
  }

  private grow() {
    const { hi, lo, values, used } = this;
    const n = used.length * 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.values = new Float64Array(n);
    this.used = new Uint8Array(n);
    const mask = n - 1;
    for (let j = 0; j < used.length; j++) {
      if (!used[j]) continue;
      let i = (hi[j] ^ Math.imul(lo[j], 0x9e3779b1)) & mask;
      while (this.used[i]) i = (i + 1) & mask;
      this.used[i] = 1;
      this.hi[i] = hi[j];
      this.lo[i] = lo[j];
      this.values[i] = values[j];
    }
  }
}

/** Two independent 32-bit FNV-1a hashes of the UTF-16 code units (different offset bases). */
function hash64(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, b >>> 0];
}

const addTo = (t: Tally | undefined, monthlyUsd: number): Tally => ({ count: (t?.count ?? 0) + 1, monthlyUsd: (t?.monthlyUsd ?? 0) + monthlyUsd });

/**
 * The key under which overlapping estimates count once (the same as totalSavings in run.ts): every
 * planned change to one resource (a run makes at most one change per resource, or merges changes
 * that compose: lib/engine/run.ts onePerResource), else each detector's report on it.
 */
export const overlapKey = (f: Pick<Finding, 'resource' | 'plan' | 'detector'>) => `${f.resource.arn}|${f.plan ? 'change' : f.detector}`;

/**
 * The running totals of one run. `add` once per finding, when its outcome is final.
 * Totals exclude protected findings, as they always have; overlapping estimates count once.
 */
export class FindingTally {
  private readonly dedup = new SavingsDedup();
  private readonly policies = new Map<string, PolicyTally>();
  /** Non-protected findings. */
  findings = 0;
  protectedCount = 0;
  actionable = 0;
  conflicts = 0;
  awaitingApproval = 0;
  private monthlyUsd = 0;
  private readonly benefit: Record<BenefitGroup, Tally> = { cost: { count: 0, monthlyUsd: 0 }, performance: { count: 0, monthlyUsd: 0 }, both: { count: 0, monthlyUsd: 0 } };
  private readonly resourceTypes = new Map<string, number>();

  add(f: Finding & { outcome?: string }) {
    const isProtected = f.status === 'protected';
    const saving = isProtected ? 0 : f.savings.monthlyUsd;
    const group = benefitGroup(f);
    const p = this.policies.get(f.policy) ?? { policy: f.policy, resourceType: f.resource.type, findings: 0, monthlyUsd: 0, byStatus: {}, byBenefit: {}, byOutcome: {} };
    this.policies.set(f.policy, p);
    p.findings += 1;
    p.monthlyUsd += saving;
    p.byStatus[f.status] = addTo(p.byStatus[f.status], saving);
    if (f.outcome) p.byOutcome[f.outcome] = (p.byOutcome[f.outcome] ?? 0) + 1;
    if (f.status === 'actionable') this.actionable += 1;
    if (f.status === 'conflict') this.conflicts += 1;
    if (f.outcome === 'awaiting-approval') this.awaitingApproval += 1;
    if (isProtected) {
      this.protectedCount += 1;
      return;
    }
    p.byBenefit[group] = addTo(p.byBenefit[group], saving);
    this.findings += 1;
    const delta = this.dedup.add(overlapKey(f), saving);
    this.monthlyUsd += delta;
    this.benefit[group].count += 1;
    this.benefit[group].monthlyUsd += delta;
    this.resourceTypes.set(f.resource.type, (this.resourceTypes.get(f.resource.type) ?? 0) + delta);
  }

  /** Non-protected findings whose change another finding already proposed for the same resource (counted once in the totals). */
  get overlapping(): number {
    return this.dedup.repeats;
  }

  /** The run's saving with overlaps counted once, rounded to cents. */
  get estimatedMonthlySavingsUsd(): number {
    return usd(this.monthlyUsd);
  }

  /** Non-protected findings and their (overlap-free) savings by benefit: the three groups always present. */
  byBenefit(): Record<BenefitGroup, Tally> {
    return Object.fromEntries(BENEFIT_GROUPS.map((g) => [g, { count: this.benefit[g].count, monthlyUsd: usd(this.benefit[g].monthlyUsd) }])) as Record<BenefitGroup, Tally>;
  }

  /** Overlap-free savings by resource type. */
  byResourceType(): Record<string, number> {
    return Object.fromEntries([...this.resourceTypes].map(([type, v]) => [type, usd(v)]));
  }

  byPolicy(): PolicyTally[] {
    return [...this.policies.values()].map((p) => ({
      ...p,
      monthlyUsd: usd(p.monthlyUsd),
      byStatus: Object.fromEntries(Object.entries(p.byStatus).map(([k, t]) => [k, { count: t.count, monthlyUsd: usd(t.monthlyUsd) }])),
      byBenefit: Object.fromEntries(Object.entries(p.byBenefit).map(([k, t]) => [k, { count: t.count, monthlyUsd: usd(t.monthlyUsd) }])),
    }));
  }
}
