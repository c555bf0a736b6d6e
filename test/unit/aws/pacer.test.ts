import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../lib/aws/pacer.ts';

describe('TokenBucket', () => {
  it('serves the burst at once, then paces at the sustained rate', async () => {
    // Prepare: a fake clock that only moves when the bucket waits.
    let now = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket(5, 3, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    // Act: 8 writes.
    for (let i = 0; i < 8; i++) await bucket.take();
    // Assess: 3 free, then 5 more at 200 ms each = 1 s of pacing.
    expect(waits).toHaveLength(5);
    expect(now).toBeCloseTo(1000, 5);
    waits.forEach((w) => expect(w).toBeCloseTo(200, 5));
  });

  it('refills while idle, up to the burst', async () => {
    let now = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket(2, 2, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    await bucket.take();
    await bucket.take();
    now += 10_000; // long idle: refills to 2, not 20
    await bucket.take();
    await bucket.take();
    await bucket.take();
    expect(waits).toEqual([500]);
  });
});
