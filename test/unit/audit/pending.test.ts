/** Writes sent after the fix (lib/audit/pending.ts): deferred only inside an invocation's begin…finish, never lost. */
import { describe, expect, it } from 'vitest';
import { PendingWrites } from '../../../lib/audit/pending.ts';

describe('PendingWrites', () => {
  it('awaits a write where it is made outside an open scope (the CLI, approval steps), so its failure is thrown there', async () => {
    // Prepare
    const pending = new PendingWrites();
    const order: string[] = [];

    // Act
    await pending.defer('w1', async () => void order.push('written'));
    order.push('after');
    const failing = pending.defer('w2', async () => {
      throw new Error('AccessDenied');
    });

    // Assess
    expect(order).toEqual(['written', 'after']);
    await expect(failing).rejects.toThrow('AccessDenied');
    expect(pending.size).toBe(0);
  });

  it('inside an open scope, returns before the write lands and settle() waits for it', async () => {
    // Prepare
    const pending = new PendingWrites();
    let release!: () => void;
    let landed = false;
    pending.open();

    // Act
    await pending.defer('completion', () => new Promise<void>((resolve) => (release = () => ((landed = true), resolve()))));
    const inFlight = pending.size;
    const settled = pending.settle();
    release();
    await settled;

    // Assess
    expect(inFlight).toBe(1);
    expect(landed).toBe(true);
    expect(pending.size).toBe(0);
  });

  it('settle() throws naming how many writes failed and the first, after every write has landed', async () => {
    // Prepare
    const pending = new PendingWrites();
    let okLanded = false;
    pending.open();
    await pending.defer('completing idempotency record k1', async () => {
      throw new Error('Throttled');
    });
    await pending.defer('completing idempotency record k2', async () => {
      throw new Error('AccessDenied');
    });
    await pending.defer('completing idempotency record k3', async () => void (okLanded = true));

    // Act
    const settled = pending.settle();

    // Assess
    await expect(settled).rejects.toThrow('2 deferred write(s) failed; the first: completing idempotency record k1: Throttled');
    expect(okLanded).toBe(true);
  });

  it('closes the scope at settle(): a write after it is awaited where it is made again', async () => {
    // Prepare
    const pending = new PendingWrites();
    pending.open();
    await pending.settle();

    // Act
    const failing = pending.defer('late', async () => {
      throw new Error('late failure');
    });

    // Assess
    await expect(failing).rejects.toThrow('late failure');
    expect(pending.size).toBe(0);
  });
});
