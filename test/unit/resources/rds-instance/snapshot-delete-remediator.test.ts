/**
 * snapshot-and-delete against a scripted RDS (test/unit/resources/fake-aws.ts): the apply-time re-checks
 * before the first write and again right before the delete (a skip tag added since the plan, a replaced,
 * started or changed database, deletion protection, the stop decision), AWS's errors at each write, the
 * exact calls written and the calls not made on a refusal, the recorded steps of a resumed apply,
 * verify and undo. Written for the mutation score of lib/resources/rds-instance/remediators.ts
 * (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { DBInstance, DBSnapshot } from '@aws-sdk/client-rds';
import type { ActionRecord, ApplyEnv, Plan, StepProgress } from '../../../../lib/engine/types.ts';
import { boundOf, restoreStorage, snapshotAndDelete, type InstanceSpec, type SnapshotDeleteParams } from '../../../../lib/resources/rds-instance/remediators.ts';
import { toRdsInstance, type RdsInstance } from '../../../../lib/resources/rds-instance/resource.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'db1';
const ARN = `arn:${ID}`;
const CREATED = '2026-01-01T00:00:00.000Z';
/** snapshotIdFor(db1, 2026-11-01T00:00Z): the minute, without separators. */
const SNAP = 'trimtab-final-db1-202611010000';
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

function wire(over: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: ID,
    DBInstanceArn: ARN,
    DbiResourceId: 'db-ABC',
    Engine: 'postgres',
    DBInstanceClass: 'db.m5.large',
    DBInstanceStatus: 'available',
    AllocatedStorage: 100,
    StorageType: 'gp2',
    InstanceCreateTime: new Date(CREATED),
    TagList: [{ Key: 'team', Value: 'data' }, { Key: 'aws:cloudformation:stack-name', Value: 's1' }],
    ReadReplicaDBInstanceIdentifiers: [],
    ...over,
  };
}
const instanceOf = (over: Partial<DBInstance> = {}): RdsInstance => toRdsInstance(wire(over), new Map());

/**
 * DescribeDBInstances answers `reads` in turn (the last repeats; null: not found). DescribeDBSnapshots by
 * instance (the earlier-run look-up) answers `earlier`; by snapshot id it answers `snapshots` in turn.
 */
function aws(reads: Array<DBInstance | null>, o: { earlier?: DBSnapshot[]; snapshots?: Array<DBSnapshot | null>; over?: Handlers } = {}) {
  const snaps = o.snapshots ?? [{ DBSnapshotIdentifier: SNAP, Status: 'available' }];
  let snapReads = 0;
  return fakeAws({
    DescribeDBInstances: (_i, n) => {
      const r = reads[Math.min(n, reads.length) - 1];
      return { DBInstances: r ? [r] : [] };
    },
    DescribeDBSnapshots: (input) => {
      if (input.DBInstanceIdentifier) return { DBSnapshots: o.earlier ?? [] };
      snapReads += 1;
      const s = snaps[Math.min(snapReads, snaps.length) - 1];
      return { DBSnapshots: s ? [s] : [] };
    },
    CreateDBSnapshot: () => ({}),
    DeleteDBInstance: () => ({}),
    ...o.over,
  });
}

const PARAMS: SnapshotDeleteParams = {
  dbInstanceIdentifier: ID,
  spec: { dbClass: 'db.m5.large', engine: 'postgres', allocatedGiB: 100, securityGroups: [], multiAz: false, storageType: 'gp2' },
  tags: { team: 'data' },
  snapshotTimeoutMinutes: 12,
  pollSeconds: 30,
  bound: boundOf(instanceOf()),
};
const planOf = (params: Partial<SnapshotDeleteParams> = {}) => ({ kind: 'change', summary: 's', undo: 'u', params: { ...PARAMS, ...params } }) as unknown as Plan<SnapshotDeleteParams>;
const STOPPED = { DBInstanceStatus: 'stopped' };
const stoppedPlan = (params: Partial<SnapshotDeleteParams> = {}) => planOf({ bound: boundOf(instanceOf(STOPPED)), ...params });
const finding = findingOf('rds-instance', ID, {});

/** An ApplyEnv holding `progress`, recording into `recorded`, with `remaining` ms left. */
function envOf(progress: StepProgress[] = [], remaining = 600_000) {
  const recorded: StepProgress[] = [];
  const env: ApplyEnv = { progress, record: async (s) => { recorded.push(s); }, remainingMs: () => remaining };
  return { env, recorded };
}

const DECIDED = '2026-10-01T00:00:00.000Z';
const decisionRecord = (over: Partial<ActionRecord> = {}) => ({ ...recordOf('rds-instance', ID, 'stop-db-instance', { dbiResourceId: 'db-ABC' }, {}), id: 'dec-1', transitions: [{ at: DECIDED }], ...over }) as ActionRecord;
function withAudit(ctx: unknown, actions: (ids: string[]) => Promise<Map<string, ActionRecord>>) {
  (ctx as { audit: unknown }).audit = { actions };
  return ctx as Parameters<typeof snapshotAndDelete.apply>[0];
}

describe('snapshot-and-delete: apply on a running instance', () => {
  it('snapshots it with its own tags, waits until the snapshot is available, re-reads it, then deletes it keeping automated backups', async () => {
    // Prepare
    const { ctx, calls } = aws([wire()], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }, { DBSnapshotIdentifier: SNAP, Status: 'available' }] });
    // Act
    const out = await snapshotAndDelete.apply(ctx, planOf(), finding);
    // Assess
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['DescribeDBSnapshots', { DBInstanceIdentifier: ID, SnapshotType: 'manual' }],
      ['CreateDBSnapshot', { DBInstanceIdentifier: ID, DBSnapshotIdentifier: SNAP, Tags: [{ Key: 'team', Value: 'data' }, { Key: 'trimtab:snapshot-of', Value: ID }] }],
      ['DescribeDBSnapshots', { DBSnapshotIdentifier: SNAP }],
      ['DescribeDBSnapshots', { DBSnapshotIdentifier: SNAP }],
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['DeleteDBInstance', { DBInstanceIdentifier: ID, SkipFinalSnapshot: true, DeleteAutomatedBackups: false }],
    ]);
    expect(out).toEqual({ before: { instance: instanceOf() }, after: { deleted: true, snapshotId: SNAP }, detail: `snapshot ${SNAP} available; db1 deleting` });
  });

  it('reuses the newest creating or available snapshot an earlier run took of this instance, creating none', async () => {
    // Prepare
    const earlier: DBSnapshot[] = [
      { DBSnapshotIdentifier: 'old', Status: 'available', SnapshotCreateTime: new Date('2026-10-01T00:00:00Z'), TagList: [{ Key: 'trimtab:snapshot-of', Value: ID }] },
      { DBSnapshotIdentifier: 'newest', Status: 'creating', SnapshotCreateTime: new Date('2026-10-30T00:00:00Z'), TagList: [{ Key: 'trimtab:snapshot-of', Value: ID }] },
      { DBSnapshotIdentifier: 'failed', Status: 'failed', SnapshotCreateTime: new Date('2026-10-31T00:00:00Z'), TagList: [{ Key: 'trimtab:snapshot-of', Value: ID }] },
      { DBSnapshotIdentifier: 'other-db', Status: 'available', SnapshotCreateTime: new Date('2026-10-31T00:00:00Z'), TagList: [{ Key: 'trimtab:snapshot-of', Value: 'db2' }] },
      { DBSnapshotIdentifier: 'a-person', Status: 'available', SnapshotCreateTime: new Date('2026-10-31T00:00:00Z'), TagList: [{ Key: 'team', Value: ID }] },
    ];
    const { ctx, calls, ops } = aws([wire()], { earlier, snapshots: [{ DBSnapshotIdentifier: 'newest', Status: 'available' }] });
    // Act
    const out = await snapshotAndDelete.apply(ctx, planOf(), finding);
    // Assess
    expect(ops()).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots', 'DescribeDBSnapshots', 'DescribeDBInstances', 'DeleteDBInstance']);
    expect(calls[2]!.input).toEqual({ DBSnapshotIdentifier: 'newest' });
    expect(out).toEqual({ before: { instance: instanceOf() }, after: { deleted: true, snapshotId: 'newest', reusedSnapshot: true }, detail: 'snapshot newest (from an earlier run) available; db1 deleting' });
  });

  it('waits for the snapshot another delivery of this action created a moment ago (DBSnapshotAlreadyExists)', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()], { over: { CreateDBSnapshot: () => { throw awsError('DBSnapshotAlreadyExistsFault'); } } });
    // Act
    const out = await snapshotAndDelete.apply(ctx, planOf(), finding);
    // Assess
    expect(ops()).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots', 'CreateDBSnapshot', 'DescribeDBSnapshots', 'DescribeDBInstances', 'DeleteDBInstance']);
    expect(out.after).toEqual({ deleted: true, snapshotId: SNAP });
  });

  it("turns AWS's refusal to snapshot into a protected refusal, deleting nothing, and passes on other snapshot errors", async () => {
    // Prepare
    const refused = aws([wire()], { over: { CreateDBSnapshot: () => { throw awsError('InvalidDBInstanceStateFault', 'Instance is not available.'); } } });
    const broken = aws([wire()], { over: { CreateDBSnapshot: () => { throw awsError('SnapshotQuotaExceeded', 'quota'); } } });
    // Act
    const e1 = await caught(snapshotAndDelete.apply(refused.ctx, planOf(), finding));
    const e2 = await caught(snapshotAndDelete.apply(broken.ctx, planOf(), finding));
    // Assess
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('AWS refused to snapshot db1: Instance is not available.; nothing was changed');
    expect((e1?.cause as Error).name).toBe('InvalidDBInstanceStateFault');
    expect(e2).not.toBeInstanceOf(ProtectedResourceError);
    expect(e2?.name).toBe('SnapshotQuotaExceeded');
    for (const f of [refused, broken]) expect(f.ops()).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots', 'CreateDBSnapshot']);
  });

  it('deletes nothing when the snapshot failed or disappeared while trimtab waited', async () => {
    // Prepare
    const failed = aws([wire()], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'failed' }] });
    const gone = aws([wire()], { snapshots: [null] });
    const deleted = aws([wire()], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'deleted' }] });
    // Act
    const e1 = await caught(snapshotAndDelete.apply(failed.ctx, planOf(), finding));
    const e2 = await caught(snapshotAndDelete.apply(gone.ctx, planOf(), finding));
    const e3 = await caught(snapshotAndDelete.apply(deleted.ctx, planOf(), finding));
    // Assess
    expect(e1?.message).toBe(`Snapshot ${SNAP} of db1 is failed; the instance was not deleted.`);
    expect(e2?.message).toBe(`Snapshot ${SNAP} of db1 disappeared; the instance was not deleted.`);
    expect(e3?.message).toBe(`Snapshot ${SNAP} of db1 is deleted; the instance was not deleted.`);
    for (const f of [failed, gone, deleted]) expect(f.writes('DeleteDBInstance')).toEqual([]);
  });

  it('reads the new snapshot again when RDS does not list it yet (DBSnapshotNotFound, under either name), and deletes once it is available', async () => {
    // Prepare
    let reads = 0;
    const lagging = aws([wire()], {
      over: {
        DescribeDBSnapshots: (input) => {
          if (input.DBInstanceIdentifier) return { DBSnapshots: [] };
          reads += 1;
          if (reads === 1) throw awsError('DBSnapshotNotFound');
          if (reads === 2) throw awsError('DBSnapshotNotFoundFault');
          return { DBSnapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'available' }] };
        },
      },
    });
    // Act
    const out = await snapshotAndDelete.apply(lagging.ctx, planOf(), finding);
    // Assess
    expect(reads).toBe(3);
    expect(out.after).toEqual({ deleted: true, snapshotId: SNAP });
    expect(lagging.writes('DeleteDBInstance').map((c) => c.input)).toEqual([{ DBInstanceIdentifier: ID, SkipFinalSnapshot: true, DeleteAutomatedBackups: false }]);
  });

  it('deletes nothing when RDS answers the snapshot read without a snapshot list', async () => {
    // Prepare
    const { ctx, writes } = aws([wire()], { over: { DescribeDBSnapshots: (input) => (input.DBInstanceIdentifier ? { DBSnapshots: [] } : {}) } });
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e?.message).toBe(`Snapshot ${SNAP} of db1 disappeared; the instance was not deleted.`);
    expect(writes('DeleteDBInstance')).toEqual([]);
  });

  it('reuses an earlier snapshot that carries the instance tags besides its own, and an available one newer than a creating one, whatever the listing order', async () => {
    // Prepare
    const tagged = { TagList: [{ Key: 'team', Value: 'data' }, { Key: 'trimtab:snapshot-of', Value: ID }] };
    const earlier: DBSnapshot[] = [
      { DBSnapshotIdentifier: 'newer-available', Status: 'available', SnapshotCreateTime: new Date('2026-10-30T00:00:00Z'), ...tagged },
      { DBSnapshotIdentifier: 'older-creating', Status: 'creating', SnapshotCreateTime: new Date('2026-10-01T00:00:00Z'), ...tagged },
    ];
    const a = aws([wire()], { earlier, snapshots: [{ DBSnapshotIdentifier: 'newer-available', Status: 'available' }] });
    const b = aws([wire()], { earlier: [...earlier].reverse(), snapshots: [{ DBSnapshotIdentifier: 'newer-available', Status: 'available' }] });
    // Act
    const out1 = await snapshotAndDelete.apply(a.ctx, planOf(), finding);
    const out2 = await snapshotAndDelete.apply(b.ctx, planOf(), finding);
    // Assess
    expect(out1.after).toEqual({ deleted: true, snapshotId: 'newer-available', reusedSnapshot: true });
    expect(out2.after).toEqual({ deleted: true, snapshotId: 'newer-available', reusedSnapshot: true });
    for (const f of [a, b]) expect(f.writes('CreateDBSnapshot')).toEqual([]);
  });

  it('gives up at the snapshot timeout, deleting nothing and saying the next run reuses the snapshot', async () => {
    // Prepare
    const { ctx, clock, writes } = aws([wire()], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating', PercentProgress: 40 }] });
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf({ snapshotTimeoutMinutes: 2, pollSeconds: 30 }), finding));
    // Assess
    expect(e?.message).toBe(`Snapshot ${SNAP} of db1 is still creating (40%) after 2 min; the instance was not deleted. The next run reuses this snapshot.`);
    expect(clock.now().toISOString()).toBe('2026-11-01T00:02:00.000Z');
    expect(writes('DeleteDBInstance')).toEqual([]);
  });

  it('says 0% at the timeout when RDS gives no progress', async () => {
    // Prepare
    const { ctx } = aws([wire()], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }] });
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf({ snapshotTimeoutMinutes: 1, pollSeconds: 30 }), finding));
    // Assess
    expect(e?.message).toBe(`Snapshot ${SNAP} of db1 is still creating (0%) after 1 min; the instance was not deleted. The next run reuses this snapshot.`);
  });
});

describe('snapshot-and-delete: apply-time re-checks before the first write', () => {
  it('refuses a database tagged trimtab:skip since the plan, snapshotting and deleting nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire({ TagList: [{ Key: 'trimtab:skip', Value: '' }] })]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now tagged trimtab:skip');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('names the skip tag before a change since the plan when both happened', async () => {
    // Prepare
    const { ctx } = aws([wire({ TagList: [{ Key: 'trimtab:skip', Value: '' }], DBInstanceClass: 'db.m5.xlarge' })]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e?.message).toBe('db1 is now tagged trimtab:skip');
  });

  it('refuses a database replaced, started or resized since the plan, and a plan with no binding, writing nothing', async () => {
    // Prepare
    const replaced = aws([wire({ DbiResourceId: 'db-NEW' })]);
    const started = aws([wire()]);
    const resized = aws([wire({ DBInstanceClass: 'db.m5.xlarge' })]);
    const unbound = aws([wire()]);
    // Act
    const e1 = await caught(snapshotAndDelete.apply(replaced.ctx, planOf(), finding));
    const e2 = await caught(snapshotAndDelete.apply(started.ctx, stoppedPlan(), finding));
    const e3 = await caught(snapshotAndDelete.apply(resized.ctx, planOf(), finding));
    const e4 = await caught(snapshotAndDelete.apply(unbound.ctx, planOf({ bound: undefined }), finding));
    // Assess
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('db1 is now DbiResourceId db-NEW, not db-ABC: replaced under the same identifier since the plan; nothing was changed');
    expect(e2).toBeInstanceOf(ProtectedResourceError);
    expect(e2?.message).toBe('db1 is now available, not stopped as when the plan was made (started or changed since); nothing was changed');
    expect(e3?.message).toBe('db1 is now db.m5.xlarge, not db.m5.large; nothing was changed');
    expect(e4?.message).toBe('the plan records no identity for db1 (made before plans were bound to DbiResourceId): a person decides again; nothing was changed');
    for (const f of [replaced, started, resized, unbound]) expect(f.ops()).toEqual(['DescribeDBInstances']);
  });

  it('refuses a database with deletion protection turned on since the plan, writing nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire({ DeletionProtection: true })]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 now has deletion protection on; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('refuses a database that became a read replica or a replication source, writing nothing', async () => {
    // Prepare
    const replica = aws([wire({ ReadReplicaSourceDBInstanceIdentifier: 'src' })]);
    const source = aws([wire({ ReadReplicaDBInstanceIdentifiers: ['r1'] })]);
    // Act
    const e1 = await caught(snapshotAndDelete.apply(replica.ctx, planOf(), finding));
    const e2 = await caught(snapshotAndDelete.apply(source.ctx, planOf(), finding));
    // Assess
    expect(e1?.message).toBe('db1 is now a read replica of src; nothing was changed');
    expect(e2?.message).toBe('db1 is now the replication source of r1; nothing was changed');
    for (const f of [replica, source]) expect(f.ops()).toEqual(['DescribeDBInstances']);
  });

  it('refuses a member of an Aurora cluster (deleted with its cluster, not one by one), writing nothing', async () => {
    // Prepare
    const member = { DBClusterIdentifier: 'c1' };
    const { ctx, ops } = aws([wire(member)]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf({ bound: boundOf(instanceOf(member)) }), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now a member of Aurora cluster c1: Aurora instances are stopped and deleted with their cluster, not one by one; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('counts a database already gone as done, and one already deleting as done only when it is the same database', async () => {
    // Prepare
    const gone = aws([null]);
    const deleting = aws([wire({ DBInstanceStatus: 'deleting' })]);
    const other = aws([wire({ DBInstanceStatus: 'deleting', DbiResourceId: 'db-NEW' })]);
    // Act
    const out1 = await snapshotAndDelete.apply(gone.ctx, planOf(), finding);
    const out2 = await snapshotAndDelete.apply(deleting.ctx, planOf(), finding);
    const e3 = await caught(snapshotAndDelete.apply(other.ctx, planOf(), finding));
    // Assess
    expect(out1).toEqual({ after: { deleted: true, alreadyGone: true }, detail: 'db1 was already gone: counts as done' });
    expect(out2).toEqual({ before: { instance: instanceOf({ DBInstanceStatus: 'deleting' }) }, after: { deleted: true, alreadyGone: true }, detail: 'db1 is already deleting: counts as done' });
    expect(e3).toBeInstanceOf(ProtectedResourceError);
    expect(e3?.message).toBe('db1 is now status is deleting: mid-maintenance or changing; AWS refuses most changes until it is available or stopped; nothing was changed');
    for (const f of [gone, deleting, other]) expect(f.ops()).toEqual(['DescribeDBInstances']);
  });

  it('does not count a deleting database as done under a plan that binds no DbiResourceId', async () => {
    // Prepare
    const { ctx, ops } = aws([wire({ DBInstanceStatus: 'deleting' })]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf({ bound: undefined }), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now status is deleting: mid-maintenance or changing; AWS refuses most changes until it is available or stopped; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });
});

describe('snapshot-and-delete: apply on a stopped instance', () => {
  it('deletes it with a final snapshot (RDS refuses CreateDBSnapshot on a stopped instance), keeping automated backups', async () => {
    // Prepare
    const { ctx, calls } = aws([wire(STOPPED)]);
    // Act
    const out = await snapshotAndDelete.apply(ctx, stoppedPlan(), finding);
    // Assess
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['DeleteDBInstance', { DBInstanceIdentifier: ID, SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: SNAP, DeleteAutomatedBackups: false }],
    ]);
    expect(out).toEqual({
      before: { instance: instanceOf(STOPPED) },
      after: { deleted: true, snapshotId: SNAP, finalSnapshot: true },
      detail: `db1 deleting with final snapshot ${SNAP} (RDS keeps it 'deleting' until the snapshot is taken)`,
    });
  });

  it('re-reads the stop decision from the audit trail and deletes under it', async () => {
    // Prepare
    const tagged = wire({ ...STOPPED, TagList: [{ Key: 'trimtab:stop-decision', Value: 'dec-1' }] });
    const { ctx: raw, ops } = aws([tagged]);
    const asked: string[][] = [];
    const ctx = withAudit(raw, async (ids) => { asked.push(ids); return new Map([['dec-1', decisionRecord()]]); });
    // Act
    const out = await snapshotAndDelete.apply(ctx, stoppedPlan({ bound: boundOf(toRdsInstance(tagged, new Map())), decision: 'dec-1' }), finding);
    // Assess
    expect(asked).toEqual([['dec-1']]);
    expect(ops()).toEqual(['DescribeDBInstances', 'DeleteDBInstance']);
    expect(out.after).toEqual({ deleted: true, snapshotId: SNAP, finalSnapshot: true });
  });

  it('refuses, deleting nothing, when the stop decision tag changed or its record was undone since the plan', async () => {
    // Prepare
    const retagged = wire({ ...STOPPED, TagList: [{ Key: 'trimtab:stop-decision', Value: 'dec-2' }] });
    const tagged = wire({ ...STOPPED, TagList: [{ Key: 'trimtab:stop-decision', Value: 'dec-1' }] });
    const a = aws([retagged]);
    const b = aws([tagged]);
    // Act
    const e1 = await caught(snapshotAndDelete.apply(withAudit(a.ctx, async () => new Map([['dec-1', decisionRecord()]])), stoppedPlan({ bound: boundOf(toRdsInstance(retagged, new Map())), decision: 'dec-1' }), finding));
    const e2 = await caught(snapshotAndDelete.apply(withAudit(b.ctx, async () => new Map([['dec-1', decisionRecord({ status: 'undone' })]])), stoppedPlan({ bound: boundOf(toRdsInstance(tagged, new Map())), decision: 'dec-1' }), finding));
    // Assess
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('db1 no longer carries the stop decision dec-1 (now dec-2): a person changed it; nothing was changed');
    expect(e2?.message).toBe('decision dec-1 was undone by a person; nothing was changed');
    for (const f of [a, b]) expect(f.ops()).toEqual(['DescribeDBInstances']);
  });

  it('counts a database that vanished at the delete as done, and turns AWS refusals of the delete into a protected refusal', async () => {
    // Prepare
    const vanished = aws([wire(STOPPED)], { over: { DeleteDBInstance: () => { throw awsError('DBInstanceNotFoundFault'); } } });
    const refusals = ['InvalidDBInstanceStateFault', 'InvalidParameterCombination', 'DBSnapshotAlreadyExistsFault', 'SnapshotQuotaExceeded', 'DBInstanceAutomatedBackupQuotaExceededFault'];
    const refused = refusals.map((name) => aws([wire(STOPPED)], { over: { DeleteDBInstance: () => { throw awsError(name, `${name} says no`); } } }));
    const broken = aws([wire(STOPPED)], { over: { DeleteDBInstance: () => { throw awsError('Throttling'); } } });
    // Act
    const out = await snapshotAndDelete.apply(vanished.ctx, stoppedPlan(), finding);
    const errors = await Promise.all(refused.map((f) => caught(snapshotAndDelete.apply(f.ctx, stoppedPlan(), finding))));
    const e = await caught(snapshotAndDelete.apply(broken.ctx, stoppedPlan(), finding));
    // Assess
    expect(out).toEqual({ before: { instance: instanceOf(STOPPED) }, after: { deleted: true, alreadyGone: true }, detail: 'db1 vanished before the delete' });
    expect(errors.map((x) => [x instanceof ProtectedResourceError, x?.message, (x?.cause as Error).name])).toEqual(refusals.map((name) => [true, `AWS refused to delete db1: ${name} says no`, name]));
    expect(e).not.toBeInstanceOf(ProtectedResourceError);
    expect(e?.name).toBe('Throttling');
  });
});

describe('snapshot-and-delete: the re-check right before the delete', () => {
  const creatingThenAvailable = [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }, { DBSnapshotIdentifier: SNAP, Status: 'available' }];

  it('refuses a database tagged trimtab:skip while its snapshot was taken, deleting nothing and keeping the snapshot', async () => {
    // Prepare
    const { ctx, ops } = aws([wire(), wire({ TagList: [{ Key: 'trimtab:skip', Value: '' }] })], { snapshots: creatingThenAvailable });
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe(`db1 is now tagged trimtab:skip; not deleted (snapshot ${SNAP} kept)`);
    expect((e?.cause as Error).message).toBe('db1 is now tagged trimtab:skip');
    expect(ops()).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots', 'CreateDBSnapshot', 'DescribeDBSnapshots', 'DescribeDBSnapshots', 'DescribeDBInstances']);
  });

  it('names a database replaced meanwhile as replaced, before any other refusal, deleting nothing', async () => {
    // Prepare: the new database is also tagged trimtab:skip; identity is named first after the snapshot.
    const { ctx, writes } = aws([wire(), wire({ DbiResourceId: 'db-NEW', TagList: [{ Key: 'trimtab:skip', Value: '' }] })]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe(`db1 is now DbiResourceId db-NEW, not db-ABC: replaced under the same identifier since the plan; not deleted (snapshot ${SNAP} kept)`);
    expect(writes('DeleteDBInstance')).toEqual([]);
  });

  it('refuses a database that turned deletion protection on meanwhile, deleting nothing', async () => {
    // Prepare
    const { ctx, writes } = aws([wire(), wire({ DeletionProtection: true })]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e?.message).toBe(`db1 now has deletion protection on; not deleted (snapshot ${SNAP} kept)`);
    expect(writes('DeleteDBInstance')).toEqual([]);
  });

  it('counts a database that vanished meanwhile or at the delete as done, naming the kept snapshot', async () => {
    // Prepare
    const meanwhile = aws([wire(), null]);
    const atDelete = aws([wire()], { over: { DeleteDBInstance: () => { throw awsError('DBInstanceNotFound'); } } });
    // Act
    const out1 = await snapshotAndDelete.apply(meanwhile.ctx, planOf(), finding);
    const out2 = await snapshotAndDelete.apply(atDelete.ctx, planOf(), finding);
    // Assess
    expect(out1).toEqual({ after: { deleted: true, alreadyGone: true, snapshotId: SNAP }, detail: `db1 vanished before the delete (snapshot ${SNAP} kept)` });
    expect(meanwhile.writes('DeleteDBInstance')).toEqual([]);
    expect(out2).toEqual({ before: { instance: instanceOf() }, after: { deleted: true, alreadyGone: true, snapshotId: SNAP }, detail: `db1 vanished before the delete (snapshot ${SNAP} kept)` });
  });

  it('replaces only the final "nothing was changed" of a refusal after the snapshot, whatever the audit record says', async () => {
    // Prepare: the decision verifies before the snapshot; right before the delete its record names an odd actor.
    const { ctx: raw, writes } = aws([wire({ TagList: [{ Key: 'trimtab:stop-decision', Value: 'dec-1' }] })]);
    let reads = 0;
    const ctx = withAudit(raw, async () => {
      reads += 1;
      return new Map([['dec-1', reads === 1 ? decisionRecord() : decisionRecord({ mode: 'manual' as never, actor: 'x; nothing was changed' })]]);
    });
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf({ decision: 'dec-1' }), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe(`decision dec-1 was neither approved by a person nor made by an auto policy (mode manual, actor x; nothing was changed); not deleted (snapshot ${SNAP} kept)`);
    expect(reads).toBe(2);
    expect(writes('DeleteDBInstance')).toEqual([]);
  });

  it("turns AWS's refusal of the delete into a protected refusal naming the kept snapshot", async () => {
    // Prepare
    const { ctx } = aws([wire()], { over: { DeleteDBInstance: () => { throw awsError('InvalidDBInstanceState', 'backing-up'); } } });
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe(`AWS refused to delete db1: backing-up (snapshot ${SNAP} kept)`);
  });
});

describe('snapshot-and-delete: recorded steps (ApplyEnv)', () => {
  it('records the snapshot request, hands the wait back as resumeAt, and deletes nothing yet', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }] });
    const { env, recorded } = envOf([], 50_000);
    // Act
    const out = await snapshotAndDelete.apply(ctx, planOf(), finding, env);
    // Assess
    expect(recorded).toEqual([{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: SNAP } }]);
    expect(out).toEqual({
      after: { step: 'snapshot-requested', snapshotId: SNAP, waitingFor: `snapshot ${SNAP} to be available` },
      resumeAt: '2026-11-01T00:00:30.000Z',
      detail: `db1: snapshot-requested (${SNAP}); waiting for snapshot ${SNAP} to be available, resume at 2026-11-01T00:00:30.000Z`,
    });
    expect(ops()).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots', 'CreateDBSnapshot', 'DescribeDBSnapshots']);
  });

  it('records a reused snapshot as reused', async () => {
    // Prepare
    const earlier = [{ DBSnapshotIdentifier: 'prior', Status: 'creating', TagList: [{ Key: 'trimtab:snapshot-of', Value: ID }] }];
    const { ctx } = aws([wire()], { earlier, snapshots: [{ DBSnapshotIdentifier: 'prior', Status: 'creating' }] });
    const { env, recorded } = envOf([], 100_000);
    // Act
    await snapshotAndDelete.apply(ctx, planOf(), finding, env);
    // Assess
    expect(recorded[0]!.state).toEqual({ snapshotId: 'prior', reused: true });
  });

  it('resumes the recorded snapshot without requesting another, re-checks once it is available, and records the delete', async () => {
    // Prepare
    const { ctx, calls, ops } = aws([wire()]);
    const { env, recorded } = envOf([{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: 'snap-r', reused: true } }]);
    // Act
    const out = await snapshotAndDelete.apply(ctx, planOf(), finding, env);
    // Assess
    expect(ops()).toEqual(['DescribeDBSnapshots', 'DescribeDBInstances', 'DeleteDBInstance']);
    expect(calls[0]!.input).toEqual({ DBSnapshotIdentifier: 'snap-r' });
    expect(recorded.map((s) => [s.step, s.state])).toEqual([['snapshot-available', { snapshotId: 'snap-r' }], ['deleted', { snapshotId: 'snap-r' }]]);
    expect(out).toEqual({ before: { instance: instanceOf() }, after: { deleted: true, snapshotId: 'snap-r', reusedSnapshot: true }, detail: 'snapshot snap-r (from an earlier run) available; db1 deleting' });
  });

  it('refuses on resume a database tagged trimtab:skip since the snapshot became available, deleting nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire({ TagList: [{ Key: 'trimtab:skip', Value: '' }] })]);
    const { env, recorded } = envOf([
      { step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: 'snap-r' } },
      { step: 'snapshot-available', at: '2026-11-01T00:05:00.000Z', state: { snapshotId: 'snap-r' } },
    ]);
    // Act
    const e = await caught(snapshotAndDelete.apply(ctx, planOf(), finding, env));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now tagged trimtab:skip; not deleted (snapshot snap-r kept)');
    expect(ops()).toEqual(['DescribeDBInstances']);
    expect(recorded).toEqual([]);
  });

  it('does nothing again once the delete is recorded', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()]);
    const { env } = envOf([{ step: 'snapshot-requested', at: 'x', state: { snapshotId: 'snap-r' } }, { step: 'deleted', at: 'y', state: { snapshotId: 'snap-r' } }]);
    // Act
    const out = await snapshotAndDelete.apply(ctx, planOf(), finding, env);
    // Assess
    expect(out).toEqual({ after: { deleted: true, snapshotId: 'snap-r' }, detail: 'db1 deleting (recorded); snapshot snap-r kept' });
    expect(ops()).toEqual([]);
  });

  it('does not start the snapshot request or the delete with less than a step left in the invocation', async () => {
    // Prepare
    const first = aws([wire()]);
    const later = aws([wire()]);
    const a = envOf([], 29_999);
    const b = envOf([{ step: 'snapshot-requested', at: 'x', state: { snapshotId: 'snap-r' } }, { step: 'snapshot-available', at: 'y', state: { snapshotId: 'snap-r' } }], 29_999);
    // Act
    const out1 = await snapshotAndDelete.apply(first.ctx, planOf(), finding, a.env);
    const out2 = await snapshotAndDelete.apply(later.ctx, planOf(), finding, b.env);
    // Assess
    expect(out1).toEqual({ after: { step: 'none', waitingFor: 'the snapshot request (29999 ms left in this invocation)' }, resumeAt: '2026-11-01T00:00:00.000Z', detail: 'db1: none; waiting for the snapshot request (29999 ms left in this invocation), resume at 2026-11-01T00:00:00.000Z' });
    expect(first.ops()).toEqual(['DescribeDBInstances']);
    expect(out2.resumeAt).toBe('2026-11-01T00:00:00.000Z');
    expect(out2.after).toEqual({ step: 'snapshot-available', snapshotId: 'snap-r', waitingFor: 'the delete (29999 ms left in this invocation)' });
    expect(later.ops()).toEqual(['DescribeDBInstances']);
  });

  it('deletes on resume with exactly a step left in the invocation', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()]);
    const { env, recorded } = envOf([{ step: 'snapshot-requested', at: 'x', state: { snapshotId: 'snap-r' } }, { step: 'snapshot-available', at: 'y', state: { snapshotId: 'snap-r' } }], 30_000);
    // Act
    const out = await snapshotAndDelete.apply(ctx, planOf(), finding, env);
    // Assess
    expect(ops()).toEqual(['DescribeDBInstances', 'DeleteDBInstance']);
    expect(out.after).toEqual({ deleted: true, snapshotId: 'snap-r' });
    expect(recorded.map((r) => r.step)).toEqual(['deleted']);
  });

  it('treats a snapshot request recorded without its state as not made: re-checks and requests the snapshot', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()]);
    const { env, recorded } = envOf([{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z' } as StepProgress]);
    // Act
    await snapshotAndDelete.apply(ctx, planOf(), finding, env);
    // Assess
    expect(ops().slice(0, 3)).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots', 'CreateDBSnapshot']);
    expect(recorded[0]).toMatchObject({ step: 'snapshot-requested', state: { snapshotId: SNAP } });
  });

  it('starts the snapshot request and the delete with exactly a step left', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()]);
    const { env } = envOf([], 30_000);
    // Act
    await snapshotAndDelete.apply(ctx, planOf(), finding, env);
    // Assess
    expect(ops().slice(0, 3)).toEqual(['DescribeDBInstances', 'DescribeDBSnapshots', 'CreateDBSnapshot']);
  });
});

describe('snapshot-and-delete: verify', () => {
  const applied = (after: unknown) => ({ after }) as never;

  it('passes a database deleting or gone whose snapshot is available, and trusts no snapshot when none was taken', async () => {
    // Prepare
    const deleting = aws([wire({ DBInstanceStatus: 'deleting' })]);
    const gone = aws([null]);
    const none = aws([null]);
    // Act
    const v1 = await snapshotAndDelete.verify(deleting.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP }));
    const v2 = await snapshotAndDelete.verify(gone.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP }));
    const v3 = await snapshotAndDelete.verify(none.ctx, planOf(), applied({ deleted: true, alreadyGone: true }));
    // Assess
    expect(v1).toEqual({ ok: true, detail: `db1 is deleting; snapshot ${SNAP} is available` });
    expect(v2).toEqual({ ok: true, detail: `db1 is gone; snapshot ${SNAP} is available` });
    expect(v3).toEqual({ ok: true, detail: 'db1 is gone' });
    expect(none.ops()).toEqual(['DescribeDBInstances']);
  });

  it('fails a database still there and not deleting, and a snapshot missing or not available', async () => {
    // Prepare
    const running = aws([wire()]);
    const missing = aws([null], { over: { DescribeDBSnapshots: () => { throw awsError('DBSnapshotNotFoundFault'); } } });
    const creating = aws([null], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }] });
    // Act
    const v1 = await snapshotAndDelete.verify(running.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP }));
    const v2 = await snapshotAndDelete.verify(missing.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP }));
    const v3 = await snapshotAndDelete.verify(creating.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP, finalSnapshot: true }));
    // Assess
    expect(v1).toEqual({ ok: false, detail: 'db1 is available after the delete' });
    expect(v2).toEqual({ ok: false, detail: `db1 is gone but snapshot ${SNAP} is missing` });
    expect(v3).toEqual({ ok: false, detail: `db1 is gone but snapshot ${SNAP} is creating` });
  });

  it('passes a final snapshot still creating while the instance is deleting', async () => {
    // Prepare
    const { ctx } = aws([wire({ DBInstanceStatus: 'deleting' })], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }] });
    const plain = aws([wire({ DBInstanceStatus: 'deleting' })], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }] });
    // Act
    const v = await snapshotAndDelete.verify(ctx, planOf(), applied({ deleted: true, snapshotId: SNAP, finalSnapshot: true }));
    const w = await snapshotAndDelete.verify(plain.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP }));
    // Assess
    expect(v).toEqual({ ok: true, detail: `db1 is deleting; final snapshot ${SNAP} is creating (RDS deletes the instance once it is taken)` });
    expect(w).toEqual({ ok: false, detail: `db1 is deleting but snapshot ${SNAP} is creating` });
  });

  it('fails a final snapshot missing or failed while the instance is deleting', async () => {
    // Prepare
    const missing = aws([wire({ DBInstanceStatus: 'deleting' })], { over: { DescribeDBSnapshots: () => { throw awsError('DBSnapshotNotFoundFault'); } } });
    const failed = aws([wire({ DBInstanceStatus: 'deleting' })], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'failed' }] });
    // Act
    const v1 = await snapshotAndDelete.verify(missing.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP, finalSnapshot: true }));
    const v2 = await snapshotAndDelete.verify(failed.ctx, planOf(), applied({ deleted: true, snapshotId: SNAP, finalSnapshot: true }));
    // Assess
    expect(v1).toEqual({ ok: false, detail: `db1 is deleting but snapshot ${SNAP} is missing` });
    expect(v2).toEqual({ ok: false, detail: `db1 is deleting but snapshot ${SNAP} is failed` });
  });

  it('passes on a snapshot read error other than not found', async () => {
    // Prepare
    const { ctx } = aws([null], { over: { DescribeDBSnapshots: () => { throw awsError('AccessDenied'); } } });
    // Act
    const e = await caught(snapshotAndDelete.verify(ctx, planOf(), applied({ deleted: true, snapshotId: SNAP })));
    // Assess
    expect(e?.name).toBe('AccessDenied');
  });
});

/** Every setting specOf copies and a restore sets (or names as not settable). */
const FULL: Partial<DBInstance> = {
  AllocatedStorage: 500,
  StorageType: 'gp3',
  Iops: 12000,
  StorageThroughput: 500,
  TagList: [{ Key: 'team', Value: 'data' }],
  DBSubnetGroup: { DBSubnetGroupName: 'sub1' },
  DBParameterGroups: [{ DBParameterGroupName: 'pg1' }],
  OptionGroupMemberships: [{ OptionGroupName: 'og1' }],
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }, { VpcSecurityGroupId: 'sg-2' }],
  MultiAZ: false,
  AvailabilityZone: 'eu-west-1a',
  PubliclyAccessible: false,
  Endpoint: { Port: 5432 },
  BackupRetentionPeriod: 7,
  PreferredBackupWindow: '03:00-03:30',
  IAMDatabaseAuthenticationEnabled: true,
  EnabledCloudwatchLogsExports: ['postgresql'],
  CACertificateIdentifier: 'rds-ca-rsa2048-g1',
  AutoMinorVersionUpgrade: false,
  MonitoringInterval: 60,
  PerformanceInsightsEnabled: true,
  MaxAllocatedStorage: 1000,
};
const FULL_SPEC: InstanceSpec = {
  dbClass: 'db.m5.large',
  engine: 'postgres',
  allocatedGiB: 500,
  subnetGroup: 'sub1',
  parameterGroup: 'pg1',
  optionGroup: 'og1',
  securityGroups: ['sg-1', 'sg-2'],
  multiAz: false,
  storageType: 'gp3',
  iops: 12000,
  throughput: 500,
  availabilityZone: 'eu-west-1a',
  publiclyAccessible: false,
  port: 5432,
  backupRetentionDays: 7,
  backupWindow: '03:00-03:30',
  iamAuth: true,
  logExports: ['postgresql'],
  caCertificate: 'rds-ca-rsa2048-g1',
  autoMinorUpgrade: false,
  monitoringIntervalSeconds: 60,
  performanceInsights: true,
  maxAllocatedGiB: 1000,
};
const NOT_RESTORED = [
  'Enhanced Monitoring (every 60 s) is off on the restored instance: set MonitoringInterval and MonitoringRoleArn with ModifyDBInstance',
  'Performance Insights is off on the restored instance: enable it with ModifyDBInstance',
  'storage autoscaling (MaxAllocatedStorage 1000 GiB) is off on the restored instance: set it with ModifyDBInstance',
];

describe('snapshot-and-delete: undo', () => {
  const before = {
    instance: instanceOf({
      DBSubnetGroup: { DBSubnetGroupName: 'sub1' },
      DBParameterGroups: [{ DBParameterGroupName: 'pg1' }],
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
      TagList: [{ Key: 'team', Value: 'data' }, { Key: 'aws:cloudformation:stack-name', Value: 's1' }, { Key: 'trimtab:stop-decision', Value: 'dec-1' }, { Key: 'trimtab:stopped-at', Value: 'x' }, { Key: 'trimtab:stop-decided-at', Value: 'y' }],
      Endpoint: { Port: 5432 },
      MaxAllocatedStorage: 200,
    }),
  };
  const record = (after: unknown, b: unknown = before) => recordOf('rds-instance', ID, 'snapshot-and-delete', PARAMS, b, after);

  it('restores the instance under its name from the snapshot with the recorded settings and tags, naming what a restore cannot set', async () => {
    // Prepare
    const { ctx, calls } = aws([null], { over: { RestoreDBInstanceFromDBSnapshot: () => ({}) } });
    // Act
    const out = await snapshotAndDelete.undo!(ctx, record({ deleted: true, snapshotId: SNAP }));
    // Assess
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBSnapshots', { DBSnapshotIdentifier: SNAP }],
      ['RestoreDBInstanceFromDBSnapshot', {
        DBInstanceIdentifier: ID,
        DBSnapshotIdentifier: SNAP,
        DBInstanceClass: 'db.m5.large',
        DBSubnetGroupName: 'sub1',
        DBParameterGroupName: 'pg1',
        VpcSecurityGroupIds: ['sg-1'],
        MultiAZ: false,
        StorageType: 'gp2',
        Port: 5432,
        Tags: [{ Key: 'team', Value: 'data' }, { Key: 'trimtab:restored-from', Value: SNAP }],
      }],
    ]);
    const differs = ['storage autoscaling (MaxAllocatedStorage 200 GiB) is off on the restored instance: set it with ModifyDBInstance'];
    expect(out).toEqual({
      detail: `Restoring db1 from ${SNAP} (class db.m5.large, subnet group sub1, parameter group pg1, security groups sg-1, port, backups, IAM auth, log exports, CA certificate and minor upgrades as before, tags copied). It is 'creating' for several minutes; the snapshot is kept. Differs from before: ${differs[0]}.`,
      after: { restoredFrom: SNAP, differs },
    });
  });

  it('restores every recorded setting a restore can set, and names the three it cannot', async () => {
    // Prepare
    const { ctx, calls } = aws([null], { over: { RestoreDBInstanceFromDBSnapshot: () => ({}) } });
    // Act
    const out = await snapshotAndDelete.undo!(ctx, record({ deleted: true, snapshotId: SNAP }, { instance: instanceOf(FULL) }));
    // Assess
    expect(calls[1]!.input).toEqual({
      DBInstanceIdentifier: ID,
      DBSnapshotIdentifier: SNAP,
      DBInstanceClass: 'db.m5.large',
      DBSubnetGroupName: 'sub1',
      DBParameterGroupName: 'pg1',
      OptionGroupName: 'og1',
      VpcSecurityGroupIds: ['sg-1', 'sg-2'],
      MultiAZ: false,
      AvailabilityZone: 'eu-west-1a',
      StorageType: 'gp3',
      Iops: 12000,
      StorageThroughput: 500,
      PubliclyAccessible: false,
      Port: 5432,
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '03:00-03:30',
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      AutoMinorVersionUpgrade: false,
      Tags: [{ Key: 'team', Value: 'data' }, { Key: 'trimtab:restored-from', Value: SNAP }],
    });
    expect(out).toEqual({
      detail: `Restoring db1 from ${SNAP} (class db.m5.large, subnet group sub1, parameter group pg1, security groups sg-1, sg-2, port, backups, IAM auth, log exports, CA certificate and minor upgrades as before, tags copied). It is 'creating' for several minutes; the snapshot is kept. Differs from before: ${NOT_RESTORED.join('; ')}.`,
      after: { restoredFrom: SNAP, differs: NOT_RESTORED },
    });
  });

  it('restores the spec the plan recorded, with its tags, when the record holds no instance', async () => {
    // Prepare
    const { ctx, calls } = aws([null], { over: { RestoreDBInstanceFromDBSnapshot: () => ({}) } });
    const params = { ...PARAMS, spec: { ...FULL_SPEC, monitoringIntervalSeconds: undefined, performanceInsights: undefined, maxAllocatedGiB: undefined, multiAz: true, availabilityZone: undefined }, tags: { team: 'ml', 'trimtab:stop-decision': 'dec-1' } };
    // Act
    const out = await snapshotAndDelete.undo!(ctx, recordOf('rds-instance', ID, 'snapshot-and-delete', params, null, { deleted: true, snapshotId: SNAP }));
    // Assess
    expect(calls[1]!.input).toMatchObject({ MultiAZ: true, OptionGroupName: 'og1', Iops: 12000, Tags: [{ Key: 'team', Value: 'ml' }, { Key: 'trimtab:restored-from', Value: SNAP }] });
    expect(calls[1]!.input).not.toHaveProperty('AvailabilityZone');
    expect(out.after).toEqual({ restoredFrom: SNAP });
  });

  it('restores from the plan when the record holds no instance, with the defaults named', async () => {
    // Prepare
    const { ctx, calls } = aws([null], { over: { RestoreDBInstanceFromDBSnapshot: () => ({}) } });
    // Act
    const out = await snapshotAndDelete.undo!(ctx, record({ deleted: true, snapshotId: SNAP }, null));
    // Assess
    expect(calls[1]!.input).toStrictEqual({ DBInstanceIdentifier: ID, DBSnapshotIdentifier: SNAP, DBInstanceClass: 'db.m5.large', MultiAZ: false, StorageType: 'gp2', Tags: [{ Key: 'team', Value: 'data' }, { Key: 'trimtab:restored-from', Value: SNAP }] });
    expect(out).toEqual({
      detail: `Restoring db1 from ${SNAP} (class db.m5.large, subnet group default, parameter group default, security groups default, port, backups, IAM auth, log exports, CA certificate and minor upgrades as before, tags copied). It is 'creating' for several minutes; the snapshot is kept.`,
      after: { restoredFrom: SNAP },
    });
  });

  it('refuses, restoring nothing, without a snapshot, with a snapshot gone or not available, or over an instance that exists again', async () => {
    // Prepare
    const noSnapshot = aws([null]);
    const gone = aws([null], { over: { DescribeDBSnapshots: () => { throw awsError('DBSnapshotNotFound'); } } });
    const empty = aws([null], { snapshots: [null] });
    const creating = aws([null], { snapshots: [{ DBSnapshotIdentifier: SNAP, Status: 'creating' }] });
    const exists = aws([null], { over: { RestoreDBInstanceFromDBSnapshot: () => { throw awsError('DBInstanceAlreadyExistsFault'); } } });
    const broken = aws([null], { over: { DescribeDBSnapshots: () => { throw awsError('Throttling'); } } });
    // Act
    const e1 = await caught(snapshotAndDelete.undo!(noSnapshot.ctx, record({ deleted: true, alreadyGone: true })));
    const e2 = await caught(snapshotAndDelete.undo!(gone.ctx, record({ deleted: true, snapshotId: SNAP })));
    const e3 = await caught(snapshotAndDelete.undo!(empty.ctx, record({ deleted: true, snapshotId: SNAP })));
    const e4 = await caught(snapshotAndDelete.undo!(creating.ctx, record({ deleted: true, snapshotId: SNAP })));
    const e5 = await caught(snapshotAndDelete.undo!(exists.ctx, record({ deleted: true, snapshotId: SNAP })));
    const e6 = await caught(snapshotAndDelete.undo!(broken.ctx, record({ deleted: true, snapshotId: SNAP })));
    // Assess
    expect(e1).toBeInstanceOf(UndoRefusedError);
    expect(e1?.message).toBe('db1 was already gone when trimtab acted; trimtab took no snapshot to restore from.');
    expect(e2?.message).toBe(`Snapshot ${SNAP} of db1 no longer exists: the instance cannot be restored.`);
    expect(e3?.message).toBe(`Snapshot ${SNAP} of db1 no longer exists: the instance cannot be restored.`);
    expect(e4).toBeInstanceOf(UndoRefusedError);
    expect(e4?.message).toBe(`Snapshot ${SNAP} is creating: only an available snapshot can be restored. Try the undo again once it is available; nothing was changed.`);
    expect(e5).toBeInstanceOf(UndoRefusedError);
    expect(e5?.message).toBe(`An instance named db1 exists again: not restored over it (restore the snapshot ${SNAP} under another name).`);
    expect((e5?.cause as Error).name).toBe('DBInstanceAlreadyExistsFault');
    expect(e6?.name).toBe('Throttling');
    for (const f of [noSnapshot, gone, empty, creating]) expect(f.writes('RestoreDBInstanceFromDBSnapshot')).toEqual([]);
  });
});

describe('snapshot-and-delete: undo of a record without a change', () => {
  it('refuses a record with no outcome, one whose snapshot read lists nothing, and passes on a restore error other than an existing instance', async () => {
    // Prepare
    const noAfter = aws([null]);
    const noList = aws([null], { over: { DescribeDBSnapshots: () => ({}) } });
    const throttled = aws([null], { over: { RestoreDBInstanceFromDBSnapshot: () => { throw awsError('Throttling'); } } });
    const rec = (after: unknown) => recordOf('rds-instance', ID, 'snapshot-and-delete', PARAMS, null, after);
    // Act
    const e1 = await caught(snapshotAndDelete.undo!(noAfter.ctx, { ...rec(undefined), after: undefined } as ActionRecord));
    const e2 = await caught(snapshotAndDelete.undo!(noList.ctx, rec({ deleted: true, snapshotId: SNAP })));
    const e3 = await caught(snapshotAndDelete.undo!(throttled.ctx, rec({ deleted: true, snapshotId: SNAP })));
    // Assess
    expect(e1).toBeInstanceOf(UndoRefusedError);
    expect(e1?.message).toBe('db1 was already gone when trimtab acted; trimtab took no snapshot to restore from.');
    expect(noAfter.ops()).toEqual([]);
    expect(e2).toBeInstanceOf(UndoRefusedError);
    expect(e2?.message).toBe(`Snapshot ${SNAP} of db1 no longer exists: the instance cannot be restored.`);
    expect(noList.writes('RestoreDBInstanceFromDBSnapshot')).toEqual([]);
    expect(e3).not.toBeInstanceOf(UndoRefusedError);
    expect(e3?.name).toBe('Throttling');
  });
});

describe('snapshot-and-delete: plan', () => {
  const idle = (over: Partial<DBInstance> = {}, decision?: string) => findingOf('rds-instance', ID, { instance: instanceOf(over), ...(decision ? { decision } : {}) });

  it('declares its id, permissions, mode, undo limits and options', () => {
    expect(snapshotAndDelete).toMatchObject({
      id: 'snapshot-and-delete',
      resource: 'rds-instance',
      title: 'Snapshot the instance and delete it (a stopped instance: DeleteDBInstance takes the final snapshot; a running one: CreateDBSnapshot, wait until available, then delete)',
      permissions: ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots', 'rds:CreateDBSnapshot', 'rds:AddTagsToResource', 'rds:DeleteDBInstance', 'rds:RestoreDBInstanceFromDBSnapshot'],
      defaultMode: 'approval',
      undoable: 'yes',
      undoLimits: 'The instance itself: undo restores a new instance (new DbiResourceId) from the snapshot under the same name; settings RDS cannot set on a restore are listed in the undo; point-in-time restore covers only what the kept automated backups hold, until their retention ends.',
    });
    expect(snapshotAndDelete.options.parse({})).toEqual({ snapshotTimeoutMinutes: 12, pollSeconds: 30 });
    expect(snapshotAndDelete.options.parse({ snapshotTimeoutMinutes: 0, pollSeconds: 0 })).toEqual({ snapshotTimeoutMinutes: 0, pollSeconds: 0 });
    expect(snapshotAndDelete.options.parse({ snapshotTimeoutMinutes: 14, pollSeconds: 120 })).toEqual({ snapshotTimeoutMinutes: 14, pollSeconds: 120 });
    for (const bad of [{ snapshotTimeoutMinutes: -1 }, { snapshotTimeoutMinutes: 15 }, { pollSeconds: -1 }, { pollSeconds: 121 }]) expect(snapshotAndDelete.options.safeParse(bad).success).toBe(false);
  });

  it('plans a running instance: snapshot, wait, delete; its spec, the undo naming what a restore cannot set, and the savings less the snapshot', () => {
    // Prepare
    const f = findingOf('rds-instance', ID, { instance: instanceOf(FULL) }, { savings: { monthlyUsd: 100, basis: [] } });
    // Act
    const plan = snapshotAndDelete.plan(f, { snapshotTimeoutMinutes: 12, pollSeconds: 30 }, planCtx);
    // Assess (strict: no setting the instance lacks appears as an undefined key)
    expect(plan).toStrictEqual({
      kind: 'change',
      summary: 'db1 (db.m5.large postgres, available, 500 GiB gp3, DbiResourceId db-ABC): snapshot it (CreateDBSnapshot), wait until the snapshot is available, then delete it. Automated backups are kept for their retention (7 days). Refused at apply if the database was started, replaced or changed since.',
      params: {
        dbInstanceIdentifier: ID,
        spec: FULL_SPEC,
        tags: { team: 'data' },
        snapshotTimeoutMinutes: 12,
        pollSeconds: 30,
        bound: { dbiResourceId: 'db-ABC', instanceCreateTime: CREATED, engine: 'postgres', dbClass: 'db.m5.large', status: 'available' },
      },
      undo: `trimtab undo restores db1 under the same identifier from the snapshot with class db.m5.large, subnet group sub1, parameter group pg1, security groups sg-1, sg-2, port, backup retention and window, IAM authentication, log exports, CA certificate, auto minor upgrade and the same tags. The snapshot is kept. Not restored (RDS cannot set them on a restore): ${NOT_RESTORED.join('; ')}. The restored instance keeps the endpoint name and gets a new DbiResourceId.`,
      savings: {
        // 100 (instance) + 500 × 0.115 (gp3 storage) − 500 × 0.095 (snapshot)
        monthlyUsd: 110,
        basis: [
          'Instance hours: $100/month.',
          'Storage: gp3 500 GiB × $0.115 + (0 IOPS above the included 12000 × $0.02 + 0 MiB/s above 500 × $0.08) = $57.5/month.',
          'Minus the final snapshot: at most 500 GiB × $0.095/GB-month = $47.5 (a snapshot bills the data written, not the allocation).',
          // 500 × 0.095 × 7 / 30
          'Automated backups kept (7-day retention, DeleteAutomatedBackups false): up to $11.08 once, billed as backup storage until the retention ends; not in the monthly figure.',
        ],
      },
    });
  });

  it('plans a stopped Multi-AZ instance: the final snapshot, no instance hours, no zone or gp2 IOPS in the spec, no backups kept', () => {
    // Prepare
    const f = findingOf('rds-instance', ID, { instance: instanceOf({ ...STOPPED, MultiAZ: true, AvailabilityZone: 'eu-west-1a', Iops: 300, StorageThroughput: 125, BackupRetentionPeriod: 0, TagList: [], InstanceCreateTime: undefined }) }, { savings: { monthlyUsd: 100, basis: [] } });
    // Act
    const plan = snapshotAndDelete.plan(f, { snapshotTimeoutMinutes: 12, pollSeconds: 30 }, planCtx);
    // Assess (strict: no setting the instance lacks appears as an undefined key)
    expect(plan).toStrictEqual({
      kind: 'change',
      summary: "db1 (db.m5.large postgres, stopped, 100 GiB gp2, DbiResourceId db-ABC): delete it with a final snapshot (DeleteDBInstance FinalDBSnapshotIdentifier: RDS refuses CreateDBSnapshot on a stopped instance and keeps the instance 'deleting' until the final snapshot is taken; it is not started, so no instance hours are billed). Automated backups are kept for their retention (0 days). Refused at apply if the database was started, replaced or changed since.",
      params: {
        dbInstanceIdentifier: ID,
        spec: { dbClass: 'db.m5.large', engine: 'postgres', allocatedGiB: 100, securityGroups: [], multiAz: true, storageType: 'gp2', backupRetentionDays: 0 },
        tags: {},
        snapshotTimeoutMinutes: 12,
        pollSeconds: 30,
        bound: { dbiResourceId: 'db-ABC', engine: 'postgres', dbClass: 'db.m5.large', status: 'stopped' },
      },
      undo: 'trimtab undo restores db1 under the same identifier from the snapshot with class db.m5.large, subnet group default, parameter group default, security groups default, Multi-AZ, port, backup retention and window, IAM authentication, log exports, CA certificate, auto minor upgrade and the same tags. The snapshot is kept. The restored instance keeps the endpoint name and gets a new DbiResourceId.',
      savings: {
        // 0 (stopped) + 100 × 0.115 × 2 − 100 × 0.095
        monthlyUsd: 13.5,
        basis: [
          'Instance hours: already stopped, $0.',
          'Storage: gp2 100 GiB × $0.115 × 2 (Multi-AZ; no Multi-AZ storage rate in the price table, Single-AZ × 2)/GB-month = $23/month.',
          'Minus the final snapshot: at most 100 GiB × $0.095/GB-month = $9.5 (a snapshot bills the data written, not the allocation).',
          'No automated backups (retention 0): nothing kept after the delete.',
        ],
      },
    });
  });

  it('records no IOPS or throughput for gp3 storage that reports none', () => {
    // Prepare
    const f = findingOf('rds-instance', ID, { instance: instanceOf({ StorageType: 'gp3' }) }, { savings: { monthlyUsd: 10, basis: [] } });
    // Act
    const plan = snapshotAndDelete.plan(f, { snapshotTimeoutMinutes: 12, pollSeconds: 30 }, planCtx);
    // Assess
    expect(plan.kind === 'change' && plan.params.spec).toStrictEqual({ dbClass: 'db.m5.large', engine: 'postgres', allocatedGiB: 100, securityGroups: [], multiAz: false, storageType: 'gp3' });
  });

  it('plans no negative saving when the snapshot costs more than what the delete saves, and keeps backups of a retention over 35 days at 35', () => {
    // Prepare: an instance with no retention recorded, and one whose retention RDS caps at 35 days
    const none = findingOf('rds-instance', ID, { instance: instanceOf({ ...STOPPED, StorageType: 'magnetic', AllocatedStorage: 1000 }) }, { savings: { monthlyUsd: 0, basis: [] } });
    const capped = findingOf('rds-instance', ID, { instance: instanceOf({ BackupRetentionPeriod: 60 }) }, { savings: { monthlyUsd: 30, basis: [] } });
    // Act
    const a = snapshotAndDelete.plan(none, { snapshotTimeoutMinutes: 12, pollSeconds: 30 }, planCtx);
    const b = snapshotAndDelete.plan(capped, { snapshotTimeoutMinutes: 12, pollSeconds: 30 }, planCtx);
    // Assess
    expect(a.kind === 'change' && a.savings!.monthlyUsd).toBe(0);
    expect(a.kind === 'change' && a.summary).toContain('Automated backups are kept for their retention (0 days).');
    expect(a.kind === 'change' && a.savings!.basis.at(-1)).toBe('No automated backups (retention 0): nothing kept after the delete.');
    // 100 × 0.095 × 35 / 30 = 11.0833
    expect(b.kind === 'change' && b.savings!.basis.at(-1)).toBe('Automated backups kept (60-day retention, DeleteAutomatedBackups false): up to $11.08 once, billed as backup storage until the retention ends; not in the monthly figure.');
  });

  it('refuses a database with deletion protection on or without a DbiResourceId', () => {
    expect(snapshotAndDelete.plan(idle({ DeletionProtection: true }), { snapshotTimeoutMinutes: 12, pollSeconds: 30 }, planCtx)).toEqual({ kind: 'conflict', reason: 'db1 has deletion protection on: a person asked AWS to refuse deletes; trimtab never turns it off' });
    expect(snapshotAndDelete.plan(idle({ DbiResourceId: undefined }), { snapshotTimeoutMinutes: 12, pollSeconds: 30 }, planCtx)).toEqual({ kind: 'conflict', reason: 'db1: DescribeDBInstances gave no DbiResourceId, so the delete could not be bound to this database' });
  });

  it('binds the plan to the database and state seen, with its options, spec, tags and stop decision', () => {
    // Act
    const plan = snapshotAndDelete.plan(idle(STOPPED, 'dec-1'), { snapshotTimeoutMinutes: 5, pollSeconds: 10 }, planCtx) as unknown as Plan<SnapshotDeleteParams>;
    // Assess
    expect(plan.params).toEqual({
      dbInstanceIdentifier: ID,
      spec: { dbClass: 'db.m5.large', engine: 'postgres', allocatedGiB: 100, securityGroups: [], multiAz: false, storageType: 'gp2' },
      tags: { team: 'data', 'aws:cloudformation:stack-name': 's1' },
      snapshotTimeoutMinutes: 5,
      pollSeconds: 10,
      bound: { dbiResourceId: 'db-ABC', instanceCreateTime: CREATED, engine: 'postgres', dbClass: 'db.m5.large', status: 'stopped' },
      decision: 'dec-1',
    });
    expect(plan.summary).toContain('delete it with a final snapshot (DeleteDBInstance FinalDBSnapshotIdentifier');
  });
});

describe('snapshot-and-delete: restoreStorage', () => {
  const spec = (over: Partial<InstanceSpec>): InstanceSpec => ({ dbClass: 'db.m5.large', engine: 'postgres', allocatedGiB: 500, securityGroups: [], multiAz: false, storageType: 'gp3', iops: 12000, throughput: 500, ...over });

  it('sets gp3 IOPS and throughput only at or above the engine threshold (400 GiB, Oracle 200 GiB, SQL Server none)', () => {
    expect(restoreStorage(spec({}))).toStrictEqual({ StorageType: 'gp3', Iops: 12000, StorageThroughput: 500 });
    expect(restoreStorage(spec({ allocatedGiB: 400 }))).toStrictEqual({ StorageType: 'gp3', Iops: 12000, StorageThroughput: 500 });
    expect(restoreStorage(spec({ allocatedGiB: 399 }))).toStrictEqual({ StorageType: 'gp3' });
    expect(restoreStorage(spec({ allocatedGiB: undefined }))).toStrictEqual({ StorageType: 'gp3' });
    expect(restoreStorage(spec({ engine: 'oracle-ee', allocatedGiB: 200 }))).toStrictEqual({ StorageType: 'gp3', Iops: 12000, StorageThroughput: 500 });
    expect(restoreStorage(spec({ engine: 'sqlserver-se', allocatedGiB: 20 }))).toStrictEqual({ StorageType: 'gp3', Iops: 12000, StorageThroughput: 500 });
    expect(restoreStorage(spec({ iops: undefined, throughput: undefined }))).toStrictEqual({ StorageType: 'gp3' });
  });

  it('sets the IOPS of io1 and io2, and nothing but the type for other storage', () => {
    expect(restoreStorage(spec({ storageType: 'io1', iops: 3000 }))).toStrictEqual({ StorageType: 'io1', Iops: 3000 });
    expect(restoreStorage(spec({ storageType: 'io2', iops: 4000 }))).toStrictEqual({ StorageType: 'io2', Iops: 4000 });
    expect(restoreStorage(spec({ storageType: 'io1', iops: undefined }))).toStrictEqual({ StorageType: 'io1' });
    expect(restoreStorage(spec({ storageType: 'gp2', iops: 300 }))).toStrictEqual({ StorageType: 'gp2' });
    expect(restoreStorage(spec({ storageType: 'standard' }))).toStrictEqual({ StorageType: 'standard' });
  });
});
