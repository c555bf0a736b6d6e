/**
 * Time as the engine and the sandbox see it. Code that waits for AWS (a snapshot to complete,
 * a delete to become visible, a read-after-write to settle) waits through a Clock, never
 * through setTimeout or Date.now() directly, so the tests can run hours of AWS time in
 * milliseconds and stay deterministic.
 */
export interface Clock {
  now(): Date;
  /** Wait `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** Real time: what the CLI and the Lambdas use against AWS. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * Virtual time over a base clock: `sleep` moves time forward at once instead of waiting.
 * The base may be fixed (`() => START`) or movable by the test; sleeps add to it.
 */
export class VirtualClock implements Clock {
  private offsetMs = 0;
  private readonly base: () => Date;

  constructor(start: Date | string | (() => Date) = '2026-11-01T00:00:00Z') {
    if (typeof start === 'function') this.base = start;
    else {
      const fixed = new Date(start);
      this.base = () => fixed;
    }
  }

  now(): Date {
    return new Date(this.base().getTime() + this.offsetMs);
  }

  async sleep(ms: number): Promise<void> {
    this.offsetMs += Math.max(0, ms);
    // Yield a whole event-loop turn, not just a microtask: a poll loop waiting on real I/O (a
    // local DynamoDB answer, say) would otherwise starve the very I/O it waits for.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Move time forward without waiting (tests). */
  advance(ms: number): void {
    this.offsetMs += Math.max(0, ms);
  }
}

/** A clock from what callers pass: nothing (real time), a clock, or a `() => Date` (virtual time over it). */
export function toClock(clock: Clock | (() => Date) | undefined): Clock {
  if (!clock) return systemClock;
  if (typeof clock === 'function') return new VirtualClock(clock);
  return clock;
}
