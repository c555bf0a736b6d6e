/**
 * modify-storage-gp3 against a scripted RDS (test/unit/resources/fake-aws.ts): the apply-time re-checks (a skip
 * tag, a busy instance or storage operation), the exact ModifyDBInstance inputs, AWS's refusals, verify, and the
 * undo's six-hour rule. Written for the mutation score of lib/resources/rds-instance/remediators.ts
 * (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { DBInstance } from '@aws-sdk/client-rds';
import type { Plan } from '../../../../lib/engine/types.ts';
import { modifyStorageGp3, type Gp3Params } from '../../../../lib/resources/rds-instance/remediators.ts';
import { toRdsInstance } from '../../../../lib/resources/rds-instance/resource.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'db1';
const NOW = '2026-11-01T00:00:00.000Z';
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const wire = (over: Partial<DBInstance> = {}): DBInstance => ({ DBInstanceIdentifier: ID, DBInstanceArn: `arn:${ID}`, DbiResourceId: 'db-ABC', Engine: 'postgres', DBInstanceClass: 'db.m5.large', DBInstanceStatus: 'available', StorageType: 'gp2', AllocatedStorage: 500, TagList: [], ReadReplicaDBInstanceIdentifiers: [], ...over });
const plan = (params: Partial<Gp3Params> = {}) => ({ kind: 'change', summary: 's', undo: 'u', params: { dbInstanceIdentifier: ID, allocatedGiB: 500, ...params } }) as unknown as Plan<Gp3Params>;
const finding = findingOf('rds-instance', ID, {});
const record = (after: unknown) => recordOf('rds-instance', ID, 'modify-storage-gp3', plan().params, {}, after);

function rds(reads: Array<DBInstance | null>, over: Handlers = {}) {
  return fakeAws({
    DescribeDBInstances: (_i, n) => {
      const r = reads[Math.min(n, reads.length) - 1];
      return { DBInstances: r ? [r] : [] };
    },
    ModifyDBInstance: () => ({}),
    ...over,
  });
}

describe('modify-storage-gp3: metadata and plan', () => {
  it('declares its id, permissions, mode and undo limits', () => {
    expect(modifyStorageGp3).toMatchObject({
      id: 'modify-storage-gp3',
      resource: 'rds-instance',
      title: 'Modify gp2 storage to gp3 (no reboot; the storage optimizes for hours)',
      permissions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
      defaultMode: 'approval',
      undoable: 'best-effort',
      undoLimits: 'Nothing stored is lost; AWS allows the storage change back only 6 hours after this one and after storage optimization completes, so the undo may have to wait.',
    });
    expect(modifyStorageGp3.options.parse({})).toEqual({});
  });

  it('plans gp3 with IOPS only when they must be provisioned to match gp2', () => {
    const instance = toRdsInstance(wire(), new Map());
    const provisioned = modifyStorageGp3.plan(findingOf('rds-instance', ID, { instance, target: { iops: 12000, throughput: 500, provisionIops: true } }), {}, planCtx);
    const baseline = modifyStorageGp3.plan(findingOf('rds-instance', ID, { instance, target: { iops: 3000, throughput: 125, provisionIops: false } }), {}, planCtx);
    expect(provisioned).toEqual({
      kind: 'change',
      summary: 'Modify db1 storage (500 GiB) from gp2 to gp3 (12000 IOPS, 500 MiB/s, IOPS provisioned to match gp2), applied now: no reboot, elevated latency while the storage optimizes (often hours).',
      params: { dbInstanceIdentifier: ID, allocatedGiB: 500, iops: 12000 },
      undo: 'trimtab undo modifies it back to gp2 only when AWS allows another storage change: 6 hours after this one and once storage optimization has completed, whichever is later. Until then it refuses and says when.',
    });
    expect(baseline.kind === 'change' && [baseline.summary, baseline.params]).toEqual(['Modify db1 storage (500 GiB) from gp2 to gp3 (3000 IOPS, 125 MiB/s), applied now: no reboot, elevated latency while the storage optimizes (often hours).', { dbInstanceIdentifier: ID, allocatedGiB: 500 }]);
  });
});

describe('modify-storage-gp3: apply', () => {
  it('modifies the storage to gp3 now, with the planned IOPS', async () => {
    const { ctx, calls } = rds([wire()]);
    const out = await modifyStorageGp3.apply(ctx, plan({ iops: 12000 }), finding);
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['ModifyDBInstance', { DBInstanceIdentifier: ID, StorageType: 'gp3', Iops: 12000, ApplyImmediately: true }],
    ]);
    expect(out).toEqual({ before: { instance: toRdsInstance(wire(), new Map()) }, after: { storageType: 'gp3', modifiedAt: NOW }, detail: 'ModifyDBInstance StorageType gp3 applied now; db1 is modifying, then storage-optimization' });
  });

  it('sends no IOPS when none are planned', async () => {
    const { ctx, writes } = rds([wire()]);
    await modifyStorageGp3.apply(ctx, plan(), finding);
    expect(writes('ModifyDBInstance').map((c) => c.input)).toEqual([{ DBInstanceIdentifier: ID, StorageType: 'gp3', ApplyImmediately: true }]);
  });

  it('counts a gone database, gp3 storage and a pending gp3 as done, writing nothing', async () => {
    const gone = rds([null]);
    const gp3 = rds([wire({ StorageType: 'gp3' })]);
    const pending = rds([wire({ PendingModifiedValues: { StorageType: 'gp3' } })]);
    expect(await modifyStorageGp3.apply(gone.ctx, plan(), finding)).toEqual({ after: { storageType: 'gp3', alreadyGone: true }, detail: 'db1 no longer exists: counts as done' });
    expect(await modifyStorageGp3.apply(gp3.ctx, plan(), finding)).toEqual({ before: { instance: toRdsInstance(wire({ StorageType: 'gp3' }), new Map()) }, after: { storageType: 'gp3', alreadyGp3: true }, detail: 'db1 is already gp3' });
    expect(await modifyStorageGp3.apply(pending.ctx, plan(), finding)).toEqual({ before: { instance: toRdsInstance(wire({ PendingModifiedValues: { StorageType: 'gp3' } }), new Map()) }, after: { storageType: 'gp3', alreadyGp3: true }, detail: 'db1 is already gp3' });
    for (const f of [gone, gp3, pending]) expect(f.writes('ModifyDBInstance')).toEqual([]);
  });

  it('apply-time re-check: refuses a skip tag, a busy instance and a storage operation in progress, writing nothing', async () => {
    const cases: Array<[DBInstance, string]> = [
      [wire({ TagList: [{ Key: 'trimtab:skip', Value: '' }] }), 'db1 is now tagged trimtab:skip'],
      [wire({ DBInstanceStatus: 'stopped' }), 'db1 is now status is stopped: mid-maintenance or changing; AWS refuses most changes until it is available; nothing was changed'],
      [{ ...wire(), StorageOperationStatus: 'optimizing', StorageOperationPercentProgress: 40 } as DBInstance, 'db1 storage is optimizing (40%); nothing was changed'],
      [{ ...wire(), StorageOperationStatus: 'optimizing' } as DBInstance, 'db1 storage is optimizing; nothing was changed'],
    ];
    for (const [current, message] of cases) {
      const { ctx, writes } = rds([current]);
      const e = await caught(modifyStorageGp3.apply(ctx, plan(), finding));
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e?.message).toBe(message);
      expect(writes('ModifyDBInstance')).toEqual([]);
    }
  });

  it('apply-time re-check: refuses storage changed since the scan to another type or size, writing nothing', async () => {
    // Prepare
    const io1 = rds([wire({ StorageType: 'io1', Iops: 5000 })]);
    const grown = rds([wire({ AllocatedStorage: 1000 })]);
    // Act
    const e1 = await caught(modifyStorageGp3.apply(io1.ctx, plan({ iops: 12000 }), finding));
    const e2 = await caught(modifyStorageGp3.apply(grown.ctx, plan({ iops: 12000 }), finding));
    // Assess
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('db1 storage is now io1, not gp2: someone changed it since the scan; nothing was changed');
    expect(e2).toBeInstanceOf(ProtectedResourceError);
    expect(e2?.message).toBe('db1 storage is now 1000 GiB, not the 500 GiB planned (the gp3 IOPS were sized for it): changed since the scan; nothing was changed');
    for (const f of [io1, grown]) expect(f.ops()).toEqual(['DescribeDBInstances']);
  });

  it('changes the storage of a read replica (a storage change runs online on a replica)', async () => {
    const { ctx, writes } = rds([wire({ ReadReplicaSourceDBInstanceIdentifier: 'src' })]);
    await modifyStorageGp3.apply(ctx, plan(), finding);
    expect(writes('ModifyDBInstance')).toHaveLength(1);
  });

  it("counts a database gone at the write as done, turns AWS's refusals into a protected refusal and passes on other errors", async () => {
    const gone = rds([wire()], { ModifyDBInstance: () => { throw awsError('DBInstanceNotFound'); } });
    expect(await modifyStorageGp3.apply(gone.ctx, plan(), finding)).toEqual({ after: { storageType: 'gp3', alreadyGone: true }, detail: 'db1 vanished: counts as done' });
    for (const code of ['InvalidDBInstanceState', 'InvalidParameterCombination']) {
      const refusal = awsError(code, `${code}: no.`);
      const { ctx } = rds([wire()], { ModifyDBInstance: () => { throw refusal; } });
      const e = await caught(modifyStorageGp3.apply(ctx, plan(), finding));
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e?.message).toBe(`AWS refused the storage change on db1: ${code}: no. A later run retries.`);
      expect(e?.cause).toBe(refusal);
    }
    const other = rds([wire()], { ModifyDBInstance: () => { throw awsError('Throttling'); } });
    const e = await caught(modifyStorageGp3.apply(other.ctx, plan(), finding));
    expect(e).not.toBeInstanceOf(ProtectedResourceError);
    expect(e?.name).toBe('Throttling');
  });
});

describe('modify-storage-gp3: verify', () => {
  const applied = { after: { storageType: 'gp3', modifiedAt: NOW } } as never;

  it('passes gp3 current or pending, naming the pending value and the status', async () => {
    expect(await modifyStorageGp3.verify(rds([wire({ StorageType: 'gp3' })]).ctx, plan(), applied)).toEqual({ ok: true, detail: 'db1: storage gp3, status available' });
    expect(await modifyStorageGp3.verify(rds([wire({ DBInstanceStatus: 'modifying', PendingModifiedValues: { StorageType: 'gp3' } })]).ctx, plan(), applied)).toEqual({ ok: true, detail: 'db1: storage gp2 (pending gp3), status modifying' });
  });

  it('fails gp2 with nothing pending and a database gone since, and trusts the already-done cases without reading', async () => {
    const gone = rds([null]);
    const { ctx, calls } = rds([wire()]);
    expect(await modifyStorageGp3.verify(ctx, plan(), applied)).toEqual({ ok: false, detail: 'db1: storage is gp2, nothing pending' });
    expect(calls[0]!.input).toEqual({ DBInstanceIdentifier: ID });
    expect(await modifyStorageGp3.verify(gone.ctx, plan(), applied)).toEqual({ ok: false, detail: 'db1 disappeared after the storage change' });
    const unread = rds([wire()]);
    expect(await modifyStorageGp3.verify(unread.ctx, plan(), { after: { storageType: 'gp3', alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'db1 is gone' });
    expect(await modifyStorageGp3.verify(unread.ctx, plan(), { after: { storageType: 'gp3', alreadyGp3: true } } as never)).toEqual({ ok: true, detail: 'db1 was already gp3' });
    expect(unread.ops()).toEqual([]);
  });
});

describe('modify-storage-gp3: undo', () => {
  const SIX_H = 6 * 3_600_000;
  const modifiedAt = (msBefore: number) => new Date(Date.parse(NOW) - msBefore).toISOString();

  it('modifies back to gp2 once six hours passed and the storage is idle', async () => {
    const { ctx, writes } = rds([wire({ StorageType: 'gp3' })]);
    const out = await modifyStorageGp3.undo!(ctx, record({ storageType: 'gp3', modifiedAt: modifiedAt(SIX_H) }));
    expect(writes('ModifyDBInstance').map((c) => c.input)).toEqual([{ DBInstanceIdentifier: ID, StorageType: 'gp2', ApplyImmediately: true }]);
    expect(out).toEqual({ detail: 'Modification of db1 back to gp2 started (storage optimizes again).', after: { storageType: 'gp2' } });
  });

  it('refuses within six hours of the change, saying when AWS allows the next one', async () => {
    const { ctx, writes } = rds([wire({ StorageType: 'gp3' })]);
    const at = modifiedAt(SIX_H - 1);
    const e = await caught(modifyStorageGp3.undo!(ctx, record({ storageType: 'gp3', modifiedAt: at })));
    expect(e).toBeInstanceOf(UndoRefusedError);
    expect(e?.message).toBe(`db1 storage was modified at ${at}; AWS allows the next storage change 6 hours after the last (at 2026-11-01T00:00:00.001Z) or when optimization completes, whichever is later. Nothing was changed; try the undo again then.`);
    expect(writes('ModifyDBInstance')).toEqual([]);
  });

  it('refuses, changing nothing, when trimtab changed nothing, the database is gone, not gp3, or busy', async () => {
    const done = { storageType: 'gp3', modifiedAt: modifiedAt(SIX_H) };
    const cases: Array<[unknown, DBInstance | null, string]> = [
      [undefined, wire(), 'trimtab changed nothing on db1 to undo.'],
      [{ storageType: 'gp3', alreadyGone: true }, wire(), 'trimtab changed nothing on db1 to undo.'],
      [{ storageType: 'gp3', alreadyGp3: true }, wire(), 'trimtab changed nothing on db1 to undo.'],
      [done, null, 'db1 no longer exists.'],
      [done, wire({ StorageType: 'io1' }), 'db1 storage is now io1, not the gp3 trimtab set: not undone.'],
      [done, wire({ StorageType: 'gp3', DBInstanceStatus: 'storage-optimization' }), 'db1 is storage-optimization. Nothing was changed; try the undo again then.'],
      [done, wire({ StorageType: 'gp3', DBInstanceStatus: 'modifying' }), 'db1 is modifying. Nothing was changed; try the undo again then.'],
    ];
    for (const [after, current, message] of cases) {
      const { ctx, writes } = rds([current]);
      const e = await caught(modifyStorageGp3.undo!(ctx, record(after)));
      expect(e).toBeInstanceOf(UndoRefusedError);
      expect(e?.message).toBe(message);
      expect(writes('ModifyDBInstance')).toEqual([]);
    }
  });

  it("turns AWS's refusal of the change back into an undo refusal and passes on other errors", async () => {
    const after = { storageType: 'gp3', modifiedAt: modifiedAt(SIX_H) };
    for (const code of ['InvalidParameterCombination', 'InvalidDBInstanceState']) {
      const refusal = awsError(code, `${code}: not yet.`);
      const { ctx } = rds([wire({ StorageType: 'gp3' })], { ModifyDBInstance: () => { throw refusal; } });
      const e = await caught(modifyStorageGp3.undo!(ctx, record(after)));
      expect(e).toBeInstanceOf(UndoRefusedError);
      expect(e?.message).toBe(`AWS refused the change back to gp2 on db1: ${code}: not yet. Nothing was changed.`);
      expect(e?.cause).toBe(refusal);
    }
    const { ctx } = rds([wire({ StorageType: 'gp3' })], { ModifyDBInstance: () => { throw awsError('Throttling'); } });
    const e = await caught(modifyStorageGp3.undo!(ctx, record(after)));
    expect(e).not.toBeInstanceOf(UndoRefusedError);
    expect(e?.name).toBe('Throttling');
  });
});
