/**
 * The read-only audit lookup modules get (RegionContext.audit): batched, deduplicated, and never
 * a read for a tag value that cannot be a trimtab action id.
 */
import { describe, expect, it } from 'vitest';
import { auditReader, MemoryActionStore, newActionId, type ActionStore } from '../../../lib/audit/store.ts';
import type { ActionRecord } from '../../../lib/engine/types.ts';

const record = (id: string): ActionRecord => ({
  id,
  findingId: 'f',
  policy: 'p',
  resource: { type: 'rds-instance', id: 'db1', arn: 'arn:aws:rds:us-east-1:1:db:db1', account: '1', region: 'us-east-1', tags: {} },
  action: 'stop-db-instance',
  summary: 's',
  params: {},
  planHash: 'h',
  mode: 'approval',
  actor: 'dba@example.com',
  status: 'verified',
  transitions: [{ status: 'planned', at: '2026-11-01T00:00:00.000Z' }],
  before: null,
  estimatedMonthlySavingsUsd: 0,
  undo: { supported: 'yes', how: '' },
});

describe('auditReader', () => {
  it('reads a page of decision ids in one batched call, once per id, and skips values that are not action ids', async () => {
    // Prepare
    const store = new MemoryActionStore();
    const real = newActionId(new Date('2026-11-01T00:00:00Z'));
    await store.put(record(real));
    const calls: string[][] = [];
    const counting: ActionStore = { ...store, put: store.put.bind(store), get: store.get.bind(store), list: store.list.bind(store), getMany: async (ids) => (calls.push([...ids]), store.getMany(ids)) };
    // Act
    const found = await auditReader(counting).actions([real, real, 'act-nobody-approved-this', 'x'.repeat(300), newActionId()]);
    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(2);
    expect(calls[0][0]).toBe(real);
    expect([...found.keys()]).toEqual([real]);
    expect(found.get(real)!.actor).toBe('dba@example.com');
  });

  it('falls back to one get per id for a store without getMany, and makes no read for no ids', async () => {
    const store = new MemoryActionStore();
    const id = newActionId();
    await store.put(record(id));
    const gets: string[] = [];
    const plain: ActionStore = { put: store.put.bind(store), list: store.list.bind(store), get: async (x) => (gets.push(x), store.get(x)) };
    expect([...(await auditReader(plain).actions([])).keys()]).toEqual([]);
    expect(gets).toEqual([]);
    expect([...(await auditReader(plain).actions([id])).keys()]).toEqual([id]);
    expect(gets).toEqual([id]);
  });
});
