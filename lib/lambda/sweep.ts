/**
 * The scheduled sweep: which policies a schedule event runs. Records, events and metrics come
 * from the audit trail wired into the deps (lib/lambda/deps.ts), flushed by `deps.finish()`.
 * Kept out of functions/ so tests drive it without Lambda.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Context } from 'aws-lambda';
import { runPolicies, type FindingSink } from '../engine/run.ts';
import type { Policy } from '../policy/load.ts';
import { InvalidEventError } from '../util/errors.ts';
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

/**
 * A scheduled function's input: the rule's Input (parsed with `schema`), or a bare EventBridge
 * "Scheduled Event" (a rule without Input: the empty input). Any other EventBridge event was
 * sent to the wrong function: InvalidEventError, nothing runs.
 */
export function scheduledInput<T>(event: unknown, schema: z.ZodType<T>, what: string): T {
  const input = event ?? {};
  if (typeof input === 'object' && !Array.isArray(input) && 'detail-type' in input) {
    const envelope = input as { source?: unknown; 'detail-type'?: unknown };
    if (envelope.source === 'aws.events' && envelope['detail-type'] === 'Scheduled Event') return schema.parse({});
    throw new InvalidEventError(`The ${what} runs on its schedule, not on '${String(envelope['detail-type']).slice(0, 100)}' events from ${String(envelope.source).slice(0, 100)}; nothing was run.`);
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidEventError(`The ${what} input is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

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

/** The sweep's sink: nothing to add, the audit trail already recorded each finding through onFindings. */
const RECORDED_BY_TRAIL: FindingSink = { write: () => undefined };

export async function runSweep(event: unknown, context: Context | undefined, deps: LambdaDeps = lambdaDeps({}, context)) {
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
  return {
    summary: result.summary,
    actions: result.actions.map((a) => ({ id: a.id, policy: a.policy, resourceId: a.resource.id, action: a.action, status: a.status })),
    errors: result.errors,
  };
}
