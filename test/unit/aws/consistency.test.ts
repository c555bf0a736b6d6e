import { describe, expect, it } from 'vitest';
import { readUntil, retryTransient } from '../../../lib/aws/consistency.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';

const awsError = (name: string) => Object.assign(new Error(name), { name });

describe('retryTransient', () => {
  it('retries a transient NotFound with backoff in virtual time, then returns the value', async () => {
    const clock = new VirtualClock('2026-11-01T00:00:00Z');
    let calls = 0;
    const value = await retryTransient(clock, ['InvalidSnapshot.NotFound'], async () => {
      calls += 1;
      if (calls < 3) throw awsError('InvalidSnapshot.NotFound');
      return 'snap-1';
    });
    expect(value).toBe('snap-1');
    expect(calls).toBe(3);
    expect(clock.now().toISOString()).toBe('2026-11-01T00:00:03.000Z'); // 1 s + 2 s
  });

  it('throws other errors at once, and the transient one after the last attempt', async () => {
    const clock = new VirtualClock();
    await expect(retryTransient(clock, ['X.NotFound'], async () => Promise.reject(awsError('AccessDenied')))).rejects.toThrow('AccessDenied');
    let calls = 0;
    await expect(
      retryTransient(clock, ['X.NotFound'], async () => {
        calls += 1;
        throw awsError('X.NotFound');
      }, { attempts: 4 }),
    ).rejects.toThrow('X.NotFound');
    expect(calls).toBe(4);
  });
});

describe('readUntil', () => {
  it('reports an unsettled read instead of throwing, with the attempts made', async () => {
    const clock = new VirtualClock();
    const out = await readUntil(clock, async () => 'old', (v) => v === 'new', { attempts: 3, baseDelayMs: 500 });
    expect(out).toEqual({ value: 'old', settled: false, attempts: 3 });
  });

  it('returns as soon as the read settles', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const out = await readUntil(clock, async () => ++n, (v) => v >= 2);
    expect(out).toEqual({ value: 2, settled: true, attempts: 2 });
  });
});
