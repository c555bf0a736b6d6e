/**
 * downsize-db-instance and lower-min-capacity against a scripted RDS (test/unit/resources/fake-aws.ts): the
 * apply-time re-checks (a skip tag, a class or capacity changed since the scan, a pending change, a busy
 * cluster), the exact ModifyDBInstance / ModifyDBCluster inputs, AWS's refusals, verify and undo.
 * Written for the mutation score of lib/resources/rds-instance/remediators.ts (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import type { ActionRecord, Plan } from '../../../../lib/engine/types.ts';
import { downsizeDbInstance, lowerMinCapacity, type DownsizeParams, type MinCapacityParams } from '../../../../lib/resources/rds-instance/remediators.ts';
import { toAuroraCluster, toRdsInstance } from '../../../../lib/resources/rds-instance/resource.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'db1';
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const wire = (over: Partial<DBInstance> = {}): DBInstance => ({ DBInstanceIdentifier: ID, DBInstanceArn: `arn:${ID}`, DbiResourceId: 'db-ABC', Engine: 'postgres', DBInstanceClass: 'db.m5.xlarge', DBInstanceStatus: 'available', TagList: [], ReadReplicaDBInstanceIdentifiers: [], PreferredMaintenanceWindow: 'sun:03:00-sun:03:30', ...over });

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

describe('downsize-db-instance', () => {
  const plan = { kind: 'change', summary: 's', undo: 'u', params: { dbInstanceIdentifier: ID, fromClass: 'db.m5.xlarge', toClass: 'db.m5.large' } } as unknown as Plan<DownsizeParams>;
  const finding = findingOf('rds-instance', ID, {});
  const record = recordOf('rds-instance', ID, 'downsize-db-instance', plan.params, {});

  it('declares its id, permissions, mode and undo limits', () => {
    expect(downsizeDbInstance).toMatchObject({
      id: 'downsize-db-instance',
      resource: 'rds-instance',
      title: 'Change to the next smaller class at the next maintenance window',
      permissions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:ModifyDBInstance'],
      defaultMode: 'approval',
      undoable: 'yes',
      undoLimits: 'The class change restarts the instance (at the change and again at the undo): connections drop and the buffer cache starts cold; queries slowed by the smaller class are not replayed.',
    });
    expect(downsizeDbInstance.options.parse({})).toEqual({});
  });

  it('plans the class change for the maintenance window, naming a Multi-AZ failover', () => {
    const single = downsizeDbInstance.plan(findingOf('rds-instance', ID, { instance: toRdsInstance(wire(), new Map()), target: 'db.m5.large' }), {}, planCtx);
    const multi = downsizeDbInstance.plan(findingOf('rds-instance', ID, { instance: toRdsInstance(wire({ MultiAZ: true, PreferredMaintenanceWindow: undefined }), new Map()), target: 'db.m5.large' }), {}, planCtx);
    expect(single).toEqual({
      kind: 'change',
      summary: 'Change db1 from db.m5.xlarge to db.m5.large at its next maintenance window (sun:03:00-sun:03:30; ApplyImmediately false). The change restarts the instance.',
      params: { dbInstanceIdentifier: ID, fromClass: 'db.m5.xlarge', toClass: 'db.m5.large' },
      undo: 'trimtab undo sets db.m5.xlarge back: it replaces the pending change before the window, or applies at the next window after it.',
    });
    expect(multi.kind === 'change' && multi.summary).toBe('Change db1 from db.m5.xlarge to db.m5.large at its next maintenance window (per the instance; ApplyImmediately false). The change restarts the instance (Multi-AZ: a failover, about a minute).');
  });

  it('sets the smaller class pending for the maintenance window', async () => {
    // Prepare
    const { ctx, calls } = rds([wire()]);
    // Act
    const out = await downsizeDbInstance.apply(ctx, plan, finding);
    // Assess
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['ModifyDBInstance', { DBInstanceIdentifier: ID, DBInstanceClass: 'db.m5.large', ApplyImmediately: false }],
    ]);
    expect(out).toEqual({ before: { instance: toRdsInstance(wire(), new Map()) }, after: { pendingClass: 'db.m5.large', maintenanceWindow: 'sun:03:00-sun:03:30' }, detail: "db.m5.large pending for db1's maintenance window sun:03:00-sun:03:30" });
  });

  it('trims the detail when the instance names no maintenance window', async () => {
    const { ctx } = rds([wire({ PreferredMaintenanceWindow: undefined })]);
    expect((await downsizeDbInstance.apply(ctx, plan, finding)).detail).toBe("db.m5.large pending for db1's maintenance window");
  });

  it('reads the writer of an Aurora member, and refuses the writer, changing nothing', async () => {
    // Prepare
    const { ctx, ops } = rds([wire({ DBClusterIdentifier: 'c1' })], { DescribeDBClusters: () => ({ DBClusters: [{ DBClusterIdentifier: 'c1', DBClusterMembers: [{ DBInstanceIdentifier: ID, IsClusterWriter: true }] }] }) });
    // Act
    const e = await caught(downsizeDbInstance.apply(ctx, plan, finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now the writer of Aurora cluster c1; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances', 'DescribeDBClusters']);
  });

  it('changes the class of an Aurora reader (a member that is not the writer) like any instance', async () => {
    // Prepare
    const { ctx, writes } = rds([wire({ DBClusterIdentifier: 'c1' })], { DescribeDBClusters: () => ({ DBClusters: [{ DBClusterIdentifier: 'c1', DBClusterMembers: [{ DBInstanceIdentifier: ID, IsClusterWriter: false }] }] }) });
    // Act
    await downsizeDbInstance.apply(ctx, plan, finding);
    // Assess
    expect(writes('ModifyDBInstance').map((c) => c.input)).toEqual([{ DBInstanceIdentifier: ID, DBInstanceClass: 'db.m5.large', ApplyImmediately: false }]);
  });

  it('counts a gone database as done and a class already current or pending as done, writing nothing', async () => {
    const gone = rds([null]);
    const current = rds([wire({ DBInstanceClass: 'db.m5.large' })]);
    const pending = rds([wire({ PendingModifiedValues: { DBInstanceClass: 'db.m5.large' } })]);
    expect(await downsizeDbInstance.apply(gone.ctx, plan, finding)).toEqual({ after: { alreadyGone: true }, detail: 'db1 no longer exists: counts as done' });
    expect(await downsizeDbInstance.apply(current.ctx, plan, finding)).toEqual({ before: { instance: toRdsInstance(wire({ DBInstanceClass: 'db.m5.large' }), new Map()) }, after: { already: true, dbClass: 'db.m5.large' }, detail: 'db1 is already db.m5.large' });
    expect(await downsizeDbInstance.apply(pending.ctx, plan, finding)).toEqual({ before: { instance: toRdsInstance(wire({ PendingModifiedValues: { DBInstanceClass: 'db.m5.large' } }), new Map()) }, after: { already: true, dbClass: 'db.m5.large' }, detail: 'db1 is already pending db.m5.large' });
    for (const f of [gone, current, pending]) expect(f.writes('ModifyDBInstance')).toEqual([]);
  });

  it('apply-time re-check: refuses a class changed since the scan, a skip tag, and a pending class change, writing nothing', async () => {
    const cases: Array<[DBInstance, string]> = [
      [wire({ DBInstanceClass: 'db.m5.2xlarge' }), 'db1 is now db.m5.2xlarge, not db.m5.xlarge: someone changed it since the scan; nothing was changed'],
      [wire({ TagList: [{ Key: 'trimtab:skip', Value: 'yes' }] }), 'db1 is now tagged trimtab:skip'],
      [wire({ DBInstanceStatus: 'modifying' }), 'db1 is now status is modifying: mid-maintenance or changing; AWS refuses most changes until it is available; nothing was changed'],
      [wire({ PendingModifiedValues: { DBInstanceClass: 'db.m5.4xlarge' } }), 'db1 already has a pending class change to db.m5.4xlarge; nothing was changed'],
    ];
    for (const [current, message] of cases) {
      const { ctx, writes } = rds([current]);
      const e = await caught(downsizeDbInstance.apply(ctx, plan, finding));
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e?.message).toBe(message);
      expect(writes('ModifyDBInstance')).toEqual([]);
    }
  });

  it("counts a database gone at the write as done, turns AWS's refusals into a protected refusal and passes on other errors", async () => {
    const gone = rds([wire()], { ModifyDBInstance: () => { throw awsError('DBInstanceNotFoundFault'); } });
    expect(await downsizeDbInstance.apply(gone.ctx, plan, finding)).toEqual({ after: { alreadyGone: true }, detail: 'db1 vanished: counts as done' });
    for (const code of ['InvalidDBInstanceState', 'InvalidDBInstanceClass', 'InvalidParameterCombination']) {
      const refusal = awsError(code, `${code}: no`);
      const { ctx } = rds([wire()], { ModifyDBInstance: () => { throw refusal; } });
      const e = await caught(downsizeDbInstance.apply(ctx, plan, finding));
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e?.message).toBe(`AWS refused db.m5.large for db1: ${code}: no`);
      expect(e?.cause).toBe(refusal);
    }
    const other = rds([wire()], { ModifyDBInstance: () => { throw awsError('Throttling'); } });
    const e = await caught(downsizeDbInstance.apply(other.ctx, plan, finding));
    expect(e).not.toBeInstanceOf(ProtectedResourceError);
    expect(e?.name).toBe('Throttling');
  });

  it('verifies a class current or pending, re-reading while the pending value is not visible yet', async () => {
    const current = rds([wire({ DBInstanceClass: 'db.m5.large' })]);
    const later = rds([wire(), wire({ PendingModifiedValues: { DBInstanceClass: 'db.m5.large' } })]);
    expect(await downsizeDbInstance.verify(current.ctx, plan, { after: {} } as never)).toEqual({ ok: true, detail: 'db1 is db.m5.large' });
    expect(await downsizeDbInstance.verify(later.ctx, plan, { after: {} } as never)).toEqual({ ok: true, detail: 'db1: db.m5.large pending for the maintenance window' });
    expect(later.calls.map((c) => c.input)).toEqual([{ DBInstanceIdentifier: ID }, { DBInstanceIdentifier: ID }]);
  });

  it('fails verify when the class is neither current nor pending, or the database is gone, and trusts one gone at apply', async () => {
    const never = rds([wire()]);
    const gone = rds([null]);
    const atApply = rds([wire()]);
    expect(await downsizeDbInstance.verify(never.ctx, plan, { after: {} } as never)).toEqual({ ok: false, detail: 'db1: db.m5.large is neither current nor pending' });
    expect(await downsizeDbInstance.verify(gone.ctx, plan, { after: {} } as never)).toEqual({ ok: false, detail: 'db1: db.m5.large is neither current nor pending' });
    expect(await downsizeDbInstance.verify(atApply.ctx, plan, { after: { alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'db1 is gone' });
    expect(atApply.ops()).toEqual([]);
  });

  it('undoes by setting the old class pending, before or after the window', async () => {
    const applied = rds([wire({ DBInstanceClass: 'db.m5.large' })]);
    const pending = rds([wire({ PendingModifiedValues: { DBInstanceClass: 'db.m5.large' } })]);
    expect(await downsizeDbInstance.undo!(applied.ctx, record)).toEqual({ detail: "db.m5.xlarge pending for db1's next maintenance window.", after: { pendingClass: 'db.m5.xlarge' } });
    expect(await downsizeDbInstance.undo!(pending.ctx, record)).toEqual({ detail: 'db1: the pending change is now back to db.m5.xlarge (no change at the window).', after: { pendingClass: 'db.m5.xlarge' } });
    expect(applied.writes('ModifyDBInstance').map((c) => c.input)).toEqual([{ DBInstanceIdentifier: ID, DBInstanceClass: 'db.m5.xlarge', ApplyImmediately: false }]);
  });

  it('refuses the undo, changing nothing, when the database is gone or its class was changed since', async () => {
    const cases: Array<[DBInstance | null, string]> = [
      [null, 'db1 no longer exists.'],
      [wire({ DBInstanceClass: 'db.m5.2xlarge' }), 'db1 is db.m5.2xlarge, not the db.m5.large trimtab set: someone changed it since; not undone.'],
      [wire({ DBInstanceClass: 'db.m5.2xlarge', PendingModifiedValues: { DBInstanceClass: 'db.m5.4xlarge' } }), 'db1 is db.m5.2xlarge (pending db.m5.4xlarge), not the db.m5.large trimtab set: someone changed it since; not undone.'],
    ];
    for (const [current, message] of cases) {
      const { ctx, writes } = rds([current]);
      const e = await caught(downsizeDbInstance.undo!(ctx, record));
      expect(e).toBeInstanceOf(UndoRefusedError);
      expect(e?.message).toBe(message);
      expect(writes('ModifyDBInstance')).toEqual([]);
    }
  });
});

describe('lower-min-capacity', () => {
  const C = 'c1';
  const cwire = (over: Partial<DBCluster> = {}): DBCluster => ({ DBClusterIdentifier: C, DBClusterArn: `arn:${C}`, Engine: 'aurora-postgresql', Status: 'available', ServerlessV2ScalingConfiguration: { MinCapacity: 4, MaxCapacity: 16 }, TagList: [], DBClusterMembers: [], ...over });
  const plan = { kind: 'change', summary: 's', undo: 'u', params: { dbClusterIdentifier: C, fromMinAcu: 4, toMinAcu: 0.5, maxAcu: 16 } } as unknown as Plan<MinCapacityParams>;
  const finding = findingOf('rds-instance', C, {});
  const record = recordOf('rds-instance', C, 'lower-min-capacity', plan.params, {}) as ActionRecord;
  function aws(reads: Array<DBCluster | null>, over: Handlers = {}) {
    return fakeAws({
      DescribeDBClusters: (_i, n) => {
        const r = reads[Math.min(n, reads.length) - 1];
        return { DBClusters: r ? [r] : [] };
      },
      ModifyDBCluster: () => ({}),
      ...over,
    });
  }

  it('declares its id, permissions, mode and undo limits', () => {
    expect(lowerMinCapacity).toMatchObject({
      id: 'lower-min-capacity',
      resource: 'rds-instance',
      title: 'Lower an Aurora Serverless v2 cluster MinCapacity (MaxCapacity kept)',
      permissions: ['rds:DescribeDBClusters', 'rds:ModifyDBCluster'],
      defaultMode: 'approval',
      undoable: 'yes',
      undoLimits: 'Queries slowed while the cluster scaled up from the lower minimum are not replayed; no data is lost.',
    });
    expect(lowerMinCapacity.options.parse({})).toEqual({});
  });

  it('plans the lower minimum, keeping the maximum', () => {
    const p = lowerMinCapacity.plan(findingOf('rds-instance', C, { cluster: toAuroraCluster(cwire()), targetMinAcu: 0.5 }), {}, planCtx);
    expect(p).toEqual({
      kind: 'change',
      summary: 'Lower c1 Serverless v2 MinCapacity from 4 to 0.5 ACU (MaxCapacity 16 kept); no restart, capacity scales within the new range.',
      params: { dbClusterIdentifier: C, fromMinAcu: 4, toMinAcu: 0.5, maxAcu: 16 },
      undo: 'trimtab undo sets MinCapacity back to 4 ACU.',
    });
  });

  it('writes the lower minimum with the maximum read now, applied immediately', async () => {
    const { ctx, calls } = aws([cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 4, MaxCapacity: 32 } })]);
    const out = await lowerMinCapacity.apply(ctx, plan, finding);
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBClusters', { DBClusterIdentifier: C }],
      ['ModifyDBCluster', { DBClusterIdentifier: C, ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 32 }, ApplyImmediately: true }],
    ]);
    expect(out).toEqual({ before: { cluster: toAuroraCluster(cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 4, MaxCapacity: 32 } })) }, after: { minAcu: 0.5, maxAcu: 32 }, detail: 'c1 MinCapacity 4 → 0.5 ACU' });
  });

  it('counts a gone cluster or one already at the minimum as done, writing nothing', async () => {
    const gone = aws([null]);
    const notFound = aws([], { DescribeDBClusters: () => { throw awsError('DBClusterNotFoundFault'); } });
    const already = aws([cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 } })]);
    expect(await lowerMinCapacity.apply(gone.ctx, plan, finding)).toEqual({ after: { alreadyGone: true }, detail: 'c1 no longer exists: counts as done' });
    expect(await lowerMinCapacity.apply(notFound.ctx, plan, finding)).toEqual({ after: { alreadyGone: true }, detail: 'c1 no longer exists: counts as done' });
    expect(await lowerMinCapacity.apply(already.ctx, plan, finding)).toEqual({ before: { cluster: toAuroraCluster(cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 } })) }, after: { minAcu: 0.5, already: true }, detail: 'c1 MinCapacity is already 0.5' });
    for (const f of [gone, notFound, already]) expect(f.writes('ModifyDBCluster')).toEqual([]);
  });

  it('apply-time re-check: refuses a cluster tagged trimtab:skip, busy, or whose minimum changed since the scan, writing nothing', async () => {
    const cases: Array<[DBCluster, string]> = [
      [cwire({ TagList: [{ Key: 'trimtab:skip', Value: '' }] }), 'c1 is now tagged trimtab:skip'],
      [cwire({ Status: 'modifying' }), 'c1 is modifying; nothing was changed'],
      [cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 2, MaxCapacity: 16 } }), 'c1 MinCapacity is now 2, not 4: changed since the scan; nothing was changed'],
      [cwire({ ServerlessV2ScalingConfiguration: undefined }), 'c1 MinCapacity is now unset, not 4: changed since the scan; nothing was changed'],
    ];
    for (const [current, message] of cases) {
      const { ctx, writes } = aws([current]);
      const e = await caught(lowerMinCapacity.apply(ctx, plan, finding));
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e?.message).toBe(message);
      expect(writes('ModifyDBCluster')).toEqual([]);
    }
  });

  it("turns AWS's state refusal into a protected refusal and passes on other errors", async () => {
    for (const code of ['InvalidDBClusterStateFault', 'InvalidDBClusterState']) {
      const refusal = awsError(code, 'busy');
      const { ctx } = aws([cwire()], { ModifyDBCluster: () => { throw refusal; } });
      const e = await caught(lowerMinCapacity.apply(ctx, plan, finding));
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e?.message).toBe('AWS refused: busy');
      expect(e?.cause).toBe(refusal);
    }
    const other = aws([cwire()], { ModifyDBCluster: () => { throw awsError('Throttling'); } });
    const e = await caught(lowerMinCapacity.apply(other.ctx, plan, finding));
    expect(e).not.toBeInstanceOf(ProtectedResourceError);
    expect(e?.name).toBe('Throttling');
  });

  it('verifies the minimum read back, and trusts a cluster gone at apply without reading', async () => {
    const ok = aws([cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 } })]);
    const not = aws([cwire()]);
    const gone = aws([null]);
    const atApply = aws([cwire()]);
    expect(await lowerMinCapacity.verify(ok.ctx, plan, { after: {} } as never)).toEqual({ ok: true, detail: 'c1 MinCapacity is 0.5 ACU' });
    expect(ok.calls[0]!.input).toEqual({ DBClusterIdentifier: C });
    expect(await lowerMinCapacity.verify(not.ctx, plan, { after: {} } as never)).toEqual({ ok: false, detail: 'c1 MinCapacity is 4' });
    expect(await lowerMinCapacity.verify(gone.ctx, plan, { after: {} } as never)).toEqual({ ok: false, detail: 'c1 MinCapacity is unknown' });
    expect(await lowerMinCapacity.verify(atApply.ctx, plan, { after: { alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'c1 is gone' });
    expect(atApply.ops()).toEqual([]);
  });

  it('fails the verify of a cluster that is no longer Serverless v2, naming its minimum unknown', async () => {
    const provisioned = aws([cwire({ ServerlessV2ScalingConfiguration: undefined })]);
    expect(await lowerMinCapacity.verify(provisioned.ctx, plan, { after: { minAcu: 0.5, maxAcu: 16 } } as never)).toEqual({ ok: false, detail: 'c1 MinCapacity is unknown' });
    expect(provisioned.ops()).toEqual(['DescribeDBClusters']);
  });

  it('undoes by restoring the recorded minimum, raising the maximum to it when someone lowered it below', async () => {
    const a = aws([cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 } })]);
    const b = aws([cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 } })]);
    expect(await lowerMinCapacity.undo!(a.ctx, record)).toEqual({ detail: 'c1 MinCapacity back to 4 ACU.', after: { minAcu: 4 } });
    await lowerMinCapacity.undo!(b.ctx, record);
    expect(a.writes('ModifyDBCluster').map((c) => c.input)).toEqual([{ DBClusterIdentifier: C, ServerlessV2ScalingConfiguration: { MinCapacity: 4, MaxCapacity: 16 }, ApplyImmediately: true }]);
    expect(b.writes('ModifyDBCluster').map((c) => c.input)).toEqual([{ DBClusterIdentifier: C, ServerlessV2ScalingConfiguration: { MinCapacity: 4, MaxCapacity: 4 }, ApplyImmediately: true }]);
  });

  it('refuses the undo, changing nothing, when the cluster is gone, no longer Serverless v2, or its minimum changed since', async () => {
    const cases: Array<[DBCluster | null, string]> = [
      [null, 'c1 no longer exists or is no longer Serverless v2.'],
      [cwire({ ServerlessV2ScalingConfiguration: undefined }), 'c1 no longer exists or is no longer Serverless v2.'],
      [cwire({ ServerlessV2ScalingConfiguration: { MinCapacity: 1, MaxCapacity: 16 } }), 'c1 MinCapacity is 1, not the 0.5 trimtab set: changed since; not undone.'],
    ];
    for (const [current, message] of cases) {
      const { ctx, writes } = aws([current]);
      const e = await caught(lowerMinCapacity.undo!(ctx, record));
      expect(e).toBeInstanceOf(UndoRefusedError);
      expect(e?.message).toBe(message);
      expect(writes('ModifyDBCluster')).toEqual([]);
    }
  });
});
