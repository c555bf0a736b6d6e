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
import { InvalidEventError } from '../util/errors.ts';

/**
 * The input the schedule rules pass (serverless.yml): which schedule fired. Empty = every
 * policy. Strict: an unknown key means the function was invoked with something that is not
 * its schedule input, and a malformed input must never start a full sweep.
 */
export const sweepInputSchema = z.strictObject({
  schedule: z.string().min(1).max(256).optional(),
  policies: z.array(z.string().max(256)).max(1000).optional(),
  /**
   * Where the previous invocation of this sweep stopped (the sweep state machine passes it back,
   * lib/lambda/sweep-machine.ts): the units it did are skipped. Anyone who may invoke the function
   * can only make a sweep skip units or act less, never act twice on a unit it did.
   */
  checkpoint: z
    .strictObject({
      done: z.array(z.string().regex(/^[a-z0-9-]{1,64}@[a-z0-9-]{1,64}$/, 'a unit is <resource type>@<region>')).max(2000),
      acted: z.record(z.string().max(256), z.number().int().min(0).max(1_000_000)),
      invocations: z.number().int().min(1).max(1000),
      /**
       * A unit stopped part-way (lib/engine/checkpoint.ts): where its listing goes on, and the SHA-256
       * of its detectors' state in trimtab's checkpoint store. A forged cursor can only make the sweep
       * list part of a unit again (an action already made is not made twice: history and idempotency
       * keys) or skip some of it; a forged hash names no state trimtab wrote and is refused.
       */
      partial: z
        .strictObject({
          unit: z.string().regex(/^[a-z0-9-]{1,64}@[a-z0-9-]{1,64}$/, 'a unit is <resource type>@<region>'),
          cursor: z.string().min(1).max(8192),
          state: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex').optional(),
        })
        .optional(),
    })
    .optional(),
});

/** A sweep that needs more invocations than this is stopped with an error (a loop that does not move on, or an account far past what one sweep should take). */
export const MAX_SWEEP_INVOCATIONS = 100;

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
