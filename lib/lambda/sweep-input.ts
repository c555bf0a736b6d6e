/** The sweep function's input and its invocation bound (lib/lambda/sweep.ts, lib/org/lambda.ts). */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles

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
