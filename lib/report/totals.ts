/**
 * The totals every output shows (table, JSON, CSV summary, HTML): counts and savings overall,
 * per policy, per resource type and by benefit. A run that streamed its findings carries them
 * in its summary (the engine's tally); a result built by hand or merged from several accounts
 * (lib/org) has every finding, and the same tally is built from them.
 */
import type { FindingResult, RunResult } from '../engine/run.ts';
import { BENEFIT_GROUPS, FindingTally, type BenefitGroup, type Tally } from '../engine/tally.ts';
import type { Finding } from '../engine/types.ts';
import { usd } from '../savings/usd.ts';

export interface Bar {
  label: string;
  value: number;
}

export interface ReportTotals {
  /** Non-protected findings. */
  findings: number;
  protected: number;
  /** Overlaps counted once. */
  estimatedMonthlySavingsUsd: number;
  overlapping: number;
  byBenefit: Record<BenefitGroup, Tally>;
  /** Each policy's own savings (an overlap counts in each policy), largest first. */
  byPolicy: Bar[];
  /** Overlap-free savings per resource type, largest first. */
  byResourceType: Bar[];
}

const bars = (entries: [string, number][]): Bar[] =>
  entries.map(([label, value]) => ({ label, value: usd(value) })).sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));

/** The engine's tally of a run, or one built from `result.findings` when the result carries none. */
export function totalsOf(result: RunResult): ReportTotals {
  const s = result.summary;
  if (s.byBenefit && s.byResourceType && result.policies) {
    return {
      findings: s.findings,
      protected: s.protected,
      estimatedMonthlySavingsUsd: s.estimatedMonthlySavingsUsd,
      overlapping: s.overlapping ?? 0,
      byBenefit: s.byBenefit,
      // Policies whose findings were all protected have no bar (nothing they found can be saved).
      byPolicy: bars(result.policies.filter((p) => p.findings > (p.byStatus.protected?.count ?? 0)).map((p) => [p.policy, p.monthlyUsd])),
      byResourceType: bars(Object.entries(s.byResourceType)),
    };
  }
  return totalsOfFindings(result.findings);
}

export function totalsOfFindings(findings: FindingResult[]): ReportTotals {
  const tally = new FindingTally();
  for (const f of findings) tally.add(f);
  return {
    findings: tally.findings,
    protected: tally.protectedCount,
    estimatedMonthlySavingsUsd: tally.estimatedMonthlySavingsUsd,
    overlapping: tally.overlapping,
    byBenefit: tally.byBenefit(),
    byPolicy: bars(tally.byPolicy().filter((p) => p.findings > (p.byStatus.protected?.count ?? 0)).map((p) => [p.policy, p.monthlyUsd])),
    byResourceType: bars(Object.entries(tally.byResourceType())),
  };
}

export { BENEFIT_GROUPS };

/** "cost", "performance" or "cost+performance": one CSV/JSON-friendly word for a finding's benefit. */
export const benefitText = (group: BenefitGroup) => (group === 'both' ? 'cost+performance' : group);

/** What a performance finding protects against, when the detector said. */
export const riskText = (f: Pick<Finding, 'risk'>) => f.risk?.summary ?? '';

/** Money as people read it: `$1,234.50`, `-$67.08` (the sign before the dollar), always two decimals. */
export function money(value: number): string {
  const v = usd(value);
  const text = `$${Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return v < 0 ? `-${text}` : text;
}

/** A saving that may be negative (a performance fix that costs more): `$24.70/month`, or `costs $67.08/month more`. */
export const savingText = (value: number): string => (usd(value) < 0 ? `costs ${money(-value)}/month more` : `${money(value)}/month`);
