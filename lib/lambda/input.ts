/** Scheduled functions' inputs (the sweep, the alarm reconciler): apart from sweep.ts so the reconciler does not bundle the engine's deps. */
import type * as z from 'zod';
import type { Policy } from '../policy/load.ts';
import { InvalidEventError } from '../util/errors.ts';

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
export function policiesForSchedule(policies: Policy[], input: { schedule?: string; policies?: string[] }): Policy[] {
  let selected = policies.filter((p) => p.triggers.some((t) => 'schedule' in t && (!input.schedule || t.schedule === input.schedule)));
  if (input.policies) {
    const unknown = input.policies.filter((id) => !policies.some((p) => p.id === id));
    if (unknown.length) throw new InvalidEventError(`Unknown policy id(s) ${unknown.join(', ')}. Valid: ${policies.map((p) => p.id).join(', ')}`);
    selected = selected.filter((p) => input.policies!.includes(p.id));
  }
  return selected;
}
