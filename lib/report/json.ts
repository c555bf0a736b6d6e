/** `--output json`: the machine-readable result (the shape is documented in docs/cli.md). */
import type { FindingResult, RunResult } from '../engine/run.ts';
import { benefitGroup } from '../engine/tally.ts';
import { usd } from '../savings/prices.ts';
import { benefitText, totalsOf } from './totals.ts';
import { ownerLabel } from './owner-groups.ts';

export interface JsonOptions {
  verbose?: boolean;
  includeActions?: boolean;
}

/** Protected findings are listed only with --verbose (they never count in the totals). */
export const jsonShows = (f: FindingResult, options: JsonOptions) => Boolean(options.verbose) || f.status !== 'protected';

export function findingJson(f: FindingResult) {
  return {
    policy: f.policy,
    resourceType: f.resource.type,
    resourceId: f.resource.id,
    arn: f.resource.arn,
    account: f.resource.account,
    region: f.resource.region,
    detector: f.detector,
    status: f.status,
    reason: f.reason,
    action: f.plan?.action ?? null,
    plan: f.plan?.summary ?? null,
    mode: f.mode,
    outcome: f.outcome,
    ...(f.outcomeDetail ? { outcomeDetail: f.outcomeDetail } : {}),
    /** Who owns the resource (lib/ownership), and the group it is shown under (lib/report/owner-groups.ts). */
    ...(f.owner ? { owner: { ...f.owner, group: ownerLabel(f.owner) } } : {}),
    /** cost, performance or cost+performance. */
    benefit: benefitText(benefitGroup(f)),
    ...(f.risk ? { risk: f.risk } : {}),
    estimatedMonthlySavingsUsd: usd(f.savings.monthlyUsd),
    savingsBasis: f.savings.basis,
    evidence: f.evidence,
  };
}

/** Everything after the findings: the summary (totals by benefit included), actions, errors. */
export function resultTailJson(result: RunResult, apiCalls: number, options: JsonOptions = {}) {
  const totals = totalsOf(result);
  return {
    summary: {
      findings: result.summary.findings,
      protected: result.summary.protected,
      conflicts: result.summary.conflicts,
      estimatedMonthlySavingsUsd: result.summary.estimatedMonthlySavingsUsd,
      byBenefit: totals.byBenefit,
      apiCalls,
      durationMs: result.summary.durationMs,
      ...(result.summary.notEvaluated ? { notEvaluated: result.summary.notEvaluated } : {}),
    },
    ...(options.includeActions
      ? { actions: result.actions.map((a) => ({ id: a.id, policy: a.policy, resourceId: a.resource.id, action: a.action, status: a.status })) }
      : {}),
    ...(result.errors.length ? { errors: result.errors } : {}),
    // Detectors a failed read kept from running on some resources (docs/partial-failures.md).
    ...(result.unevaluated?.length ? { notEvaluated: result.unevaluated } : {}),
  };
}
