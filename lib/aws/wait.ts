/**
 * Long AWS waits (a snapshot becoming available, an instance stopping) as workflow waits: one
 * invocation polls for a short while, then hands the wait back as `resumeAt` (AppliedChange) so
 * the engine or the Step Functions workflow waits between invocations, not a Lambda asleep.
 * Without a budget (an old caller) it waits inline up to the deadline, as before.
 *
 * Waits go through the caller's Clock, so tests run this in virtual time.
 */
import type { Clock } from '../util/clock.ts';

/** With a budget, an invocation polls at most this long before it hands the wait back as `resumeAt`. */
export const INLINE_WAIT_MS = 60_000;
/** …and never starts a step (or another poll) with less than this left in the invocation. */
export const MIN_STEP_MS = 30_000;

/** What is left of this invocation (ApplyEnv.remainingMs). */
export interface WaitBudget {
  remainingMs(): number;
}

export interface PollOptions<T> {
  clock: Clock;
  /** Epoch ms: a read that is still not done at or after it throws `timeout()`. */
  deadline: number;
  pollMs: number;
  /** Present: poll at most INLINE_WAIT_MS and stop early while under pollMs + MIN_STEP_MS remain. Absent: wait inline to the deadline. */
  budget?: WaitBudget;
  /** One read: the value once done, undefined while still waiting; throws on a state that will never be done. */
  check: () => Promise<T | undefined>;
  /** The error thrown at the deadline (say what was not done and what is kept). */
  timeout: () => Error;
}

export type Polled<T> = { value: T } | { resumeAt: string };

/**
 * Reads until `check` answers, the deadline passes (throws `timeout()`), or (with a budget) this
 * invocation has polled long enough: then `{ resumeAt }`, one poll interval from now.
 */
export async function pollUntilDeadline<T>(o: PollOptions<T>): Promise<Polled<T>> {
  // With a budget a zero interval would spin in virtual time: poll at least once a second.
  const pollMs = o.budget ? Math.max(o.pollMs, 1_000) : o.pollMs;
  const inlineUntil = o.budget ? o.clock.now().getTime() + INLINE_WAIT_MS : Number.POSITIVE_INFINITY;
  for (;;) {
    const value = await o.check();
    if (value !== undefined) return { value };
    const t = o.clock.now().getTime();
    if (t >= o.deadline) throw o.timeout();
    if (o.budget && (t + pollMs > inlineUntil || o.budget.remainingMs() < pollMs + MIN_STEP_MS)) return { resumeAt: new Date(t + pollMs).toISOString() };
    await o.clock.sleep(pollMs);
  }
}
