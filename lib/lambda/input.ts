/** Scheduled functions' inputs (the sweep, the alarm reconciler): apart from sweep.ts so the reconciler does not bundle the engine's deps. */
import type * as z from 'zod';
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
