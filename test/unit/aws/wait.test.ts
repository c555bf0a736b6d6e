/**
 * pollUntilDeadline (lib/aws/wait.ts): the one poll loop of the snapshot waits. With a budget it
 * polls at most INLINE_WAIT_MS, or less when the invocation is short, then answers resumeAt;
 * without one it waits inline up to the deadline. Virtual time throughout.
 */
import { describe, expect, it } from 'vitest';
import { INLINE_WAIT_MS, pollUntilDeadline } from '../../../lib/aws/wait.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';

const START = '2026-11-01T00:00:00.000Z';

/** A check that is done on read number `doneAt` (1-based), counting the reads. */
function countingCheck(doneAt: number) {
  const reads: string[] = [];
  return { reads, check: async (clock: VirtualClock) => (reads.push(clock.now().toISOString()), reads.length >= doneAt ? 'done' : undefined) };
}

describe('pollUntilDeadline', () => {
  it('hands the wait back as resumeAt after polling about a minute when a budget is given', async () => {
    // Prepare
    const clock = new VirtualClock(START);
    const c = countingCheck(100);
    // Act
    const out = await pollUntilDeadline({ clock, deadline: Date.parse(START) + 3_600_000, pollMs: 15_000, budget: { remainingMs: () => 600_000 }, check: () => c.check(clock), timeout: () => new Error('late') });
    // Assess
    expect(INLINE_WAIT_MS).toBe(60_000);
    expect(out).toEqual({ resumeAt: '2026-11-01T00:01:15.000Z' });
    expect(c.reads).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-01T00:00:15.000Z', '2026-11-01T00:00:30.000Z', '2026-11-01T00:00:45.000Z', '2026-11-01T00:01:00.000Z']);
  });

  it('reads once and hands back at once when under a poll interval plus 30 s is left', async () => {
    const clock = new VirtualClock(START);
    const c = countingCheck(100);
    const out = await pollUntilDeadline({ clock, deadline: Date.parse(START) + 3_600_000, pollMs: 15_000, budget: { remainingMs: () => 44_999 }, check: () => c.check(clock), timeout: () => new Error('late') });
    expect(out).toEqual({ resumeAt: '2026-11-01T00:00:15.000Z' });
    expect(c.reads).toHaveLength(1);
  });

  it('waits inline until done without a budget, as old callers expect', async () => {
    const clock = new VirtualClock(START);
    const c = countingCheck(10);
    const out = await pollUntilDeadline({ clock, deadline: Date.parse(START) + 3_600_000, pollMs: 15_000, check: () => c.check(clock), timeout: () => new Error('late') });
    expect(out).toEqual({ value: 'done' });
    expect(clock.now().toISOString()).toBe('2026-11-01T00:02:15.000Z');
  });

  it('throws the timeout error at the deadline, with or without a budget', async () => {
    const clock = new VirtualClock(START);
    const c = countingCheck(100);
    await expect(pollUntilDeadline({ clock, deadline: Date.parse(START) + 30_000, pollMs: 15_000, check: () => c.check(clock), timeout: () => new Error('still pending after 0.5 min') })).rejects.toThrow('still pending after 0.5 min');
    expect(c.reads).toHaveLength(3);
  });
});
