/**
 * The scheduled sweep: which policies a schedule event runs. Records, events and metrics come
 * from the audit trail wired into the deps (lib/lambda/deps.ts), flushed by `deps.finish()`.
 * Kept out of functions/ so tests drive it without Lambda.
 */
import type { Context } from 'aws-lambda';
import { runPolicies, type FindingSink } from '../engine/run.ts';
import { policiesForSchedule, scheduledInput } from './input.ts';
import { lambdaDeps, remainingMs, type LambdaDeps } from './deps.ts';
import { logger } from './powertools.ts';
import { InvalidEventError } from '../util/errors.ts';

// In its own module so the organization's item functions can check it without bundling the engine's stores.
export { MAX_SWEEP_INVOCATIONS, sweepInputSchema } from './sweep-input.ts';
import { MAX_SWEEP_INVOCATIONS, sweepInputSchema } from './sweep-input.ts';

export { scheduledInput } from './input.ts';

export { policiesForSchedule } from './input.ts';

/** The sweep's sink: nothing to add, the audit trail already recorded each finding through onFindings. */
const RECORDED_BY_TRAIL: FindingSink = { write: () => undefined };

export async function runSweep(event: unknown, context: Context | undefined, given?: LambdaDeps) {
  const deps = given ?? (await lambdaDeps({}, context));
  const parsed = { data: scheduledInput(event, sweepInputSchema, 'sweep') };
  const policies = policiesForSchedule(deps.policies.policies, parsed.data);
  const checkpoint = parsed.data.checkpoint;
  if (checkpoint && checkpoint.invocations >= MAX_SWEEP_INVOCATIONS) {
    throw new InvalidEventError(`This sweep has already taken ${checkpoint.invocations} invocations (at most ${MAX_SWEEP_INVOCATIONS}); nothing more was run. ${checkpoint.done.length} unit(s) were done.`);
  }
  // Every log line of this invocation says which schedule ran (the context keys are cleared per invocation).
  if (parsed.data.schedule) logger.appendKeys({ schedule: parsed.data.schedule });
  logger.info('sweep started', { policies: policies.map((p) => p.id), ...(checkpoint ? { resumedAfter: checkpoint.done.length, invocation: checkpoint.invocations + 1 } : {}) });
  deps.begin(context);
  deps.metrics.policies(policies.map((p) => p.id));
  let result;
  try {
    // Streaming: the audit trail records every finding page by page (onFindings), so the sweep keeps only
    // what it acts on or sends for approval, and memory stays flat as the account grows (docs/performance.md).
    // The summary, errors and actions it returns come from the engine's tally and store, not the findings.
    // Resumable: with too little time left for the next unit (resource type × region) it stops and
    // returns a checkpoint; the sweep state machine invokes the function again with it (docs/architecture.md).
    result = await runPolicies({ policies, actor: 'auto', sink: RECORDED_BY_TRAIL, resumable: { checkpoint } }, { ...deps.engine, remainingMs: remainingMs(context) });
  } finally {
    await deps.finish();
  }
  logger.info('sweep finished', { ...result.summary, errors: result.errors.length });
  // Detectors a failed read kept from running: logged as a warning (and recorded per resource by the audit trail).
  if (result.unevaluated?.length) logger.warn('sweep could not evaluate some detectors', { notEvaluated: result.unevaluated });
  const next = result.checkpoint ? { ...(parsed.data.schedule ? { schedule: parsed.data.schedule } : {}), ...(parsed.data.policies ? { policies: parsed.data.policies } : {}), checkpoint: result.checkpoint } : null;
  if (next) logger.info('sweep continues in another invocation', { done: next.checkpoint.done.length, invocations: next.checkpoint.invocations });
  return {
    /** false: invoke again with `next` (the sweep state machine does). */
    done: next === null,
    next,
    summary: result.summary,
    actions: result.actions.map((a) => ({ id: a.id, policy: a.policy, resourceId: a.resource.id, action: a.action, status: a.status })),
    errors: result.errors,
    ...(result.unevaluated?.length ? { notEvaluated: result.unevaluated } : {}),
  };
}
