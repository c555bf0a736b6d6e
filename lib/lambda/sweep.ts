/**
 * The scheduled sweep: which policies a schedule event runs. Records, events and metrics come
 * from the audit trail wired into the deps (lib/lambda/deps.ts), flushed by `deps.finish()`.
 * Kept out of functions/ so tests drive it without Lambda.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Context } from 'aws-lambda';
import { runPolicies, type FindingSink } from '../engine/run.ts';
import { policiesForSchedule, scheduledInput } from './input.ts';
import { lambdaDeps, remainingMs, type LambdaDeps } from './deps.ts';
import { logger } from './powertools.ts';

/**
 * The input the schedule rules pass (serverless.yml): which schedule fired. Empty = every
 * policy. Strict: an unknown key means the function was invoked with something that is not
 * its schedule input, and a malformed input must never start a full sweep.
 */
export const sweepInputSchema = z.strictObject({
  schedule: z.string().min(1).max(256).optional(),
  policies: z.array(z.string().max(256)).max(1000).optional(),
});

export { scheduledInput } from './input.ts';

export { policiesForSchedule } from './input.ts';

/** The sweep's sink: nothing to add, the audit trail already recorded each finding through onFindings. */
const RECORDED_BY_TRAIL: FindingSink = { write: () => undefined };

export async function runSweep(event: unknown, context: Context | undefined, given?: LambdaDeps) {
  const deps = given ?? (await lambdaDeps({}, context));
  const parsed = { data: scheduledInput(event, sweepInputSchema, 'sweep') };
  const policies = policiesForSchedule(deps.policies.policies, parsed.data);
  // Every log line of this invocation says which schedule ran (the context keys are cleared per invocation).
  if (parsed.data.schedule) logger.appendKeys({ schedule: parsed.data.schedule });
  logger.info('sweep started', { policies: policies.map((p) => p.id) });
  deps.begin(context);
  deps.metrics.policies(policies.map((p) => p.id));
  let result;
  try {
    // Streaming: the audit trail records every finding page by page (onFindings), so the sweep keeps only
    // what it acts on or sends for approval, and memory stays flat as the account grows (docs/performance.md).
    // The summary, errors and actions it returns come from the engine's tally and store, not the findings.
    result = await runPolicies({ policies, actor: 'auto', sink: RECORDED_BY_TRAIL }, { ...deps.engine, remainingMs: remainingMs(context) });
  } finally {
    await deps.finish();
  }
  logger.info('sweep finished', { ...result.summary, errors: result.errors.length });
  // Detectors a failed read kept from running: logged as a warning (and recorded per resource by the audit trail).
  if (result.unevaluated?.length) logger.warn('sweep could not evaluate some detectors', { notEvaluated: result.unevaluated });
  return {
    summary: result.summary,
    actions: result.actions.map((a) => ({ id: a.id, policy: a.policy, resourceId: a.resource.id, action: a.action, status: a.status })),
    errors: result.errors,
    ...(result.unevaluated?.length ? { notEvaluated: result.unevaluated } : {}),
  };
}
