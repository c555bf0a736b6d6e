/**
 * The scheduled sweep: which policies a schedule event runs, and the metrics it emits.
 * Kept out of functions/ so tests drive it without Lambda.
 */
import { z } from 'zod';
import type { Context } from 'aws-lambda';
import { runPolicies, type RunResult } from '../engine/run.ts';
import type { Policy } from '../policy/load.ts';
import { InvalidEventError } from '../util/errors.ts';
import { lambdaDeps, remainingMs, type LambdaDeps } from './deps.ts';
import { logger, metrics, MetricUnit } from './powertools.ts';

/** The input the schedule rules pass (serverless.yml): which schedule fired. Empty = every policy. */
export const sweepInputSchema = z
  .object({
    schedule: z.string().optional(),
    policies: z.array(z.string()).optional(),
  })
  .passthrough();

/** The policies a sweep runs: those on the schedule that fired, or every scheduled policy. Event- and alarm-only policies never. */
export function policiesForSchedule(policies: Policy[], input: z.infer<typeof sweepInputSchema>): Policy[] {
  let selected = policies.filter((p) => p.triggers.some((t) => 'schedule' in t && (!input.schedule || t.schedule === input.schedule)));
  if (input.policies) {
    const unknown = input.policies.filter((id) => !policies.some((p) => p.id === id));
    if (unknown.length) throw new InvalidEventError(`Unknown policy id(s) ${unknown.join(', ')}. Valid: ${policies.map((p) => p.id).join(', ')}`);
    selected = selected.filter((p) => input.policies!.includes(p.id));
  }
  return selected;
}

export function emitRunMetrics(result: RunResult) {
  for (const policy of new Set(result.findings.map((f) => f.policy))) {
    const mine = result.findings.filter((f) => f.policy === policy && f.status !== 'protected');
    const single = metrics.singleMetric();
    single.addDimension('policy', policy);
    single.addMetric('FindingsDetected', MetricUnit.Count, mine.length);
    single.addMetric('EstimatedMonthlySavingsUsd', MetricUnit.NoUnit, mine.reduce((s, f) => s + f.savings.monthlyUsd, 0));
    single.addMetric('RemediationsApplied', MetricUnit.Count, result.actions.filter((a) => a.policy === policy && a.status === 'verified').length);
    single.addMetric('RemediationsFailed', MetricUnit.Count, result.actions.filter((a) => a.policy === policy && a.status === 'failed').length);
  }
  metrics.addMetric('FindingsDetected', MetricUnit.Count, result.summary.findings);
  metrics.addMetric('RemediationsApplied', MetricUnit.Count, result.summary.actionsApplied);
  metrics.addMetric('RemediationsFailed', MetricUnit.Count, result.summary.actionsFailed);
  metrics.addMetric('EstimatedMonthlySavingsUsd', MetricUnit.NoUnit, result.summary.estimatedMonthlySavingsUsd);
}

export async function runSweep(event: unknown, context: Context | undefined, deps: LambdaDeps = lambdaDeps({}, context)) {
  const parsed = sweepInputSchema.safeParse(event ?? {});
  if (!parsed.success) throw new InvalidEventError(`The sweep input is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const policies = policiesForSchedule(deps.policies.policies, parsed.data);
  logger.info('sweep started', { schedule: parsed.data.schedule, policies: policies.map((p) => p.id) });
  const result = await runPolicies({ policies, actor: 'auto' }, { ...deps.engine, remainingMs: remainingMs(context) });
  deps.flush();
  emitRunMetrics(result);
  logger.info('sweep finished', { ...result.summary, errors: result.errors.length });
  return {
    summary: result.summary,
    actions: result.actions.map((a) => ({ id: a.id, policy: a.policy, resourceId: a.resource.id, action: a.action, status: a.status })),
    errors: result.errors,
  };
}
