import { describe, expect, it } from 'vitest';
import { memoryIdempotency, MemoryPersistenceLayer, PowertoolsActionIdempotency } from '../../../lib/audit/idempotency.ts';
import type { ActionRecord } from '../../../lib/engine/types.ts';
import { ActionInProgressError } from '../../../lib/util/errors.ts';

const key = { policy: 'p1', resource: 'arn:aws:s3:::b1', planHash: 'h1' };
const record = (id: string, status: ActionRecord['status'] = 'verified') => ({ id, status, transitions: [] }) as unknown as ActionRecord;

describe('PowertoolsActionIdempotency', () => {
  it('runs the work once per key and replays the first record after', async () => {
    // Prepare
    const idempotency = memoryIdempotency();
    let runs = 0;
    const work = async () => ({ record: record(`act-${++runs}`), keep: true });

    // Act
    const first = await idempotency.once(key, work);
    const second = await idempotency.once(key, work);
    const other = await idempotency.once({ ...key, planHash: 'h2' }, work);

    // Assess
    expect(first).toEqual({ record: record('act-1'), replayed: false });
    expect(second).toEqual({ record: record('act-1'), replayed: true });
    expect(other.record.id).toBe('act-2');
    expect(runs).toBe(2);
  });

  it('throws ActionInProgressError for a concurrent run of the same key', async () => {
    // Prepare
    const idempotency = memoryIdempotency();
    let release!: () => void;
    const slow = idempotency.once(key, () => new Promise((resolve) => (release = () => resolve({ record: record('act-1'), keep: true }))));
    await new Promise((r) => setTimeout(r, 5));

    // Act
    const concurrent = idempotency.once(key, async () => ({ record: record('act-2'), keep: true }));

    // Assess
    await expect(concurrent).rejects.toThrow(ActionInProgressError);
    release();
    expect((await slow).record.id).toBe('act-1');
  });

  it('releases the key when the work says nothing was written', async () => {
    // Prepare
    const persistence = new MemoryPersistenceLayer();
    const idempotency = new PowertoolsActionIdempotency(persistence);

    // Act
    const failed = await idempotency.once(key, async () => ({ record: record('act-1', 'failed'), keep: false }));
    const retried = await idempotency.once(key, async () => ({ record: record('act-2'), keep: true }));

    // Assess
    expect(failed).toEqual({ record: record('act-1', 'failed'), replayed: false });
    expect(retried).toEqual({ record: record('act-2'), replayed: false });
    expect([...persistence.records.keys()]).toEqual([expect.stringMatching(/^trimtab-action#/)]);
  });
});
