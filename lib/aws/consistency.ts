/**
 * Reads right after writes. EC2 and S3 are eventually consistent: a resource just created can
 * be "not found" for a while, a tag write can fail on a resource another call just restored,
 * and a lifecycle read can return the previous configuration. AWS's guidance is to retry such
 * calls with a bounded, capped exponential backoff ("Eventual consistency in the Amazon EC2
 * API", EC2 API Reference; "lifecycle configuration propagation", S3 User Guide).
 *
 * Waits go through the caller's Clock, so tests run this in virtual time.
 */
import type { Clock } from '../util/clock.ts';
import { awsErrorName } from '../util/errors.ts';

export interface SettleOptions {
  /** Attempts in all, the first included (default 6). */
  attempts?: number;
  /** First wait (default 1 s); doubles each time up to `maxDelayMs`. */
  baseDelayMs?: number;
  /** Cap on one wait (default 20 s). */
  maxDelayMs?: number;
}

const DEFAULTS: Required<SettleOptions> = { attempts: 6, baseDelayMs: 1_000, maxDelayMs: 20_000 };

/**
 * Calls `read` until it does not throw one of the `transient` error codes, waiting with backoff
 * in between. Any other error, or the last transient one, is thrown.
 */
export async function retryTransient<T>(clock: Clock, transient: readonly string[], read: () => Promise<T>, options: SettleOptions = {}): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs } = { ...DEFAULTS, ...options };
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const code = awsErrorName(error);
      if (attempt >= attempts || !code || !transient.includes(code)) throw error;
      await clock.sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Calls `read` until `settled(value)` is true, waiting with backoff in between. Returns the last
 * value and whether it settled, so the caller can say honestly that the state has not caught up
 * yet (a retryable outcome) instead of calling the change failed.
 */
export async function readUntil<T>(
  clock: Clock,
  read: () => Promise<T>,
  settled: (value: T) => boolean,
  options: SettleOptions = {},
): Promise<{ value: T; settled: boolean; attempts: number }> {
  const { attempts, baseDelayMs, maxDelayMs } = { ...DEFAULTS, ...options };
  for (let attempt = 1; ; attempt++) {
    const value = await read();
    if (settled(value)) return { value, settled: true, attempts: attempt };
    if (attempt >= attempts) return { value, settled: false, attempts: attempt };
    await clock.sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
  }
}
