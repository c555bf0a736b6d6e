/**
 * stop-db-instance and restop-db-instance against a scripted RDS (test/unit/resources/fake-aws.ts): the
 * apply-time re-checks (a skip tag added since the plan, a replaced, started or resized database, the stop
 * decision re-read from the audit trail), the exact calls written, AWS's refusals, verify and undo.
 * Written for the mutation score of lib/resources/rds-instance/remediators.ts (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { DBInstance } from '@aws-sdk/client-rds';
import type { ActionRecord, Plan } from '../../../../lib/engine/types.ts';
import { boundOf, changedSincePlan, describeInstance, rdsErrorIs, restopDbInstance, stopDbInstance, type BoundState, type StopParams } from '../../../../lib/resources/rds-instance/remediators.ts';
import { toRdsInstance, type RdsInstance } from '../../../../lib/resources/rds-instance/resource.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, TEST_START, type Handlers } from '../fake-aws.ts';
import { RDSClient } from '@aws-sdk/client-rds';

const ID = 'db1';
const ARN = `arn:${ID}`;
const CREATED = '2026-01-01T00:00:00.000Z';
const TAG_KEYS = ['trimtab:stopped-at', 'trimtab:stop-decision', 'trimtab:stop-decided-at'];
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

function wire(over: Partial<DBInstance> = {}): DBInstance {
  return { DBInstanceIdentifier: ID, DBInstanceArn: ARN, DbiResourceId: 'db-ABC', Engine: 'postgres', DBInstanceClass: 'db.m5.large', DBInstanceStatus: 'available', InstanceCreateTime: new Date(CREATED), TagList: [], ReadReplicaDBInstanceIdentifiers: [], ...over };
}
const instanceOf = (over: Partial<DBInstance> = {}): RdsInstance => toRdsInstance(wire(over), new Map());
const BOUND = boundOf(instanceOf());

/** DescribeDBInstances answers `reads` in turn (the last repeats); writes succeed unless overridden. */
function aws(reads: Array<DBInstance | null>, over: Handlers = {}) {
  return fakeAws({
    DescribeDBInstances: (_i, n) => {
      const r = reads[Math.min(n, reads.length) - 1];
      return { DBInstances: r ? [r] : [] };
    },
    StopDBInstance: () => ({}),
    StartDBInstance: () => ({}),
    AddTagsToResource: () => ({}),
    RemoveTagsFromResource: () => ({}),
    ...over,
  });
}
const stopPlan = (params: Partial<StopParams> = {}) => ({ kind: 'change', summary: 's', undo: 'u', params: { dbInstanceIdentifier: ID, arn: ARN, dbiResourceId: 'db-ABC', bound: BOUND, ...params } }) as unknown as Plan<StopParams>;
const finding = findingOf('rds-instance', ID, {});
const DECIDED = '2026-10-01T00:00:00.000Z';
const decisionRecord = (over: Partial<ActionRecord> = {}) => ({ ...recordOf('rds-instance', ID, 'stop-db-instance', { dbiResourceId: 'db-ABC' }, {}), id: 'dec-1', transitions: [{ at: DECIDED }], ...over }) as ActionRecord;
function withAudit(ctx: unknown, actions: (ids: string[]) => Promise<Map<string, ActionRecord>>) {
  (ctx as { audit: unknown }).audit = { actions };
  return ctx as Parameters<typeof stopDbInstance.apply>[0];
}

describe('rdsErrorIs', () => {
  it('matches the wire code and the SDK …Fault name, in name or Code, and nothing else', () => {
    expect(rdsErrorIs(awsError('DBInstanceNotFound'), 'DBInstanceNotFound')).toBe(true);
    expect(rdsErrorIs(awsError('DBInstanceNotFoundFault'), 'DBInstanceNotFound')).toBe(true);
    expect(rdsErrorIs({ Code: 'DBInstanceNotFound' }, 'DBInstanceNotFound')).toBe(true);
    expect(rdsErrorIs({ Code: 'DBInstanceNotFoundFault' }, 'DBInstanceNotFound')).toBe(true);
    expect(rdsErrorIs(awsError('InvalidDBInstanceState'), 'DBInstanceNotFound')).toBe(false);
    expect(rdsErrorIs(undefined, 'DBInstanceNotFound')).toBe(false);
  });
});

describe('describeInstance', () => {
  it('reads the instance by its identifier', async () => {
    // Prepare
    const { ctx, calls } = aws([wire()]);
    // Act
    const db = await describeInstance(ctx.clients.get(RDSClient, 'us-east-1'), ID);
    // Assess
    expect(db).toMatchObject({ id: ID, resourceId: 'db-ABC', status: 'available' });
    expect(calls).toEqual([{ op: 'DescribeDBInstances', input: { DBInstanceIdentifier: ID }, client: 'RDSClient@us-east-1' }]);
  });

  it('answers undefined for an empty answer, DBInstanceNotFound and DBInstanceNotFoundFault, and rethrows anything else', async () => {
    // Prepare
    const rds = (h: Handlers) => fakeAws(h).ctx.clients.get(RDSClient, 'us-east-1');
    // Act + Assess
    expect(await describeInstance(rds({ DescribeDBInstances: () => ({}) }), ID)).toBeUndefined();
    expect(await describeInstance(rds({ DescribeDBInstances: () => { throw awsError('DBInstanceNotFound'); } }), ID)).toBeUndefined();
    expect(await describeInstance(rds({ DescribeDBInstances: () => { throw awsError('DBInstanceNotFoundFault'); } }), ID)).toBeUndefined();
    const e = await caught(describeInstance(rds({ DescribeDBInstances: () => { throw awsError('Throttling'); } }), ID));
    expect(e?.name).toBe('Throttling');
  });

  it('reads an Aurora member\'s cluster only when asked, to know its writer', async () => {
    // Prepare
    const cluster = { DBClusters: [{ DBClusterIdentifier: 'c1', DBClusterMembers: [{ DBInstanceIdentifier: ID, IsClusterWriter: true }] }] };
    const a = aws([wire({ DBClusterIdentifier: 'c1' })], { DescribeDBClusters: () => cluster });
    const b = aws([wire({ DBClusterIdentifier: 'c1' })], { DescribeDBClusters: () => cluster });
    // Act
    const withWriter = await describeInstance(a.ctx.clients.get(RDSClient, 'us-east-1'), ID, true);
    const without = await describeInstance(b.ctx.clients.get(RDSClient, 'us-east-1'), ID);
    // Assess
    expect(withWriter).toMatchObject({ clusterId: 'c1', isClusterWriter: true });
    expect(a.calls[1]).toEqual({ op: 'DescribeDBClusters', input: { DBClusterIdentifier: 'c1' }, client: 'RDSClient@us-east-1' });
    expect(without).toMatchObject({ clusterId: 'c1', isClusterWriter: false });
    expect(b.ops()).toEqual(['DescribeDBInstances']);
  });

  it('does not read a cluster for an instance outside one', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()]);
    // Act
    const db = await describeInstance(ctx.clients.get(RDSClient, 'us-east-1'), ID, true);
    // Assess
    expect(db?.clusterId).toBeUndefined();
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('takes a member whose cluster is gone or answers empty as no writer, and rethrows other cluster errors', async () => {
    // Prepare
    const member = [wire({ DBClusterIdentifier: 'c1' })];
    const gone = aws(member, { DescribeDBClusters: () => { throw awsError('DBClusterNotFoundFault'); } });
    const empty = aws(member, { DescribeDBClusters: () => ({}) });
    const broken = aws(member, { DescribeDBClusters: () => { throw awsError('Throttling'); } });
    // Act
    const a = await describeInstance(gone.ctx.clients.get(RDSClient, 'us-east-1'), ID, true);
    const b = await describeInstance(empty.ctx.clients.get(RDSClient, 'us-east-1'), ID, true);
    const e = await caught(describeInstance(broken.ctx.clients.get(RDSClient, 'us-east-1'), ID, true));
    // Assess
    expect(a).toMatchObject({ clusterId: 'c1', isClusterWriter: false });
    expect(b).toMatchObject({ clusterId: 'c1', isClusterWriter: false });
    expect(e?.name).toBe('Throttling');
  });
});

describe('boundOf and changedSincePlan', () => {
  it('binds the identity and the state, leaving out what DescribeDBInstances did not give', () => {
    expect(BOUND).toEqual({ dbiResourceId: 'db-ABC', instanceCreateTime: CREATED, engine: 'postgres', dbClass: 'db.m5.large', status: 'available' });
    expect(boundOf(instanceOf({ DbiResourceId: undefined, InstanceCreateTime: undefined }))).toEqual({ engine: 'postgres', dbClass: 'db.m5.large', status: 'available' });
  });

  it('says nothing changed for the same database in the same state', () => {
    expect(changedSincePlan(instanceOf(), BOUND)).toBeUndefined();
    expect(changedSincePlan(instanceOf({ InstanceCreateTime: undefined }), { ...BOUND, instanceCreateTime: undefined })).toBeUndefined();
  });

  it('names each difference: no binding, another DbiResourceId, another create time, engine, class, status', () => {
    expect(changedSincePlan(instanceOf(), undefined)).toBe('the plan records no identity for db1 (made before plans were bound to DbiResourceId): a person decides again');
    expect(changedSincePlan(instanceOf(), { ...BOUND, dbiResourceId: undefined })).toBe('db1 is now DbiResourceId db-ABC, not the one planned: replaced under the same identifier since the plan');
    expect(changedSincePlan(instanceOf({ DbiResourceId: 'db-NEW' }), BOUND)).toBe('db1 is now DbiResourceId db-NEW, not db-ABC: replaced under the same identifier since the plan');
    expect(changedSincePlan(instanceOf({ DbiResourceId: undefined }), BOUND)).toBe('db1 is now DbiResourceId unknown, not db-ABC: replaced under the same identifier since the plan');
    expect(changedSincePlan(instanceOf({ InstanceCreateTime: new Date('2026-02-01T00:00:00Z') }), BOUND)).toBe('db1 was created 2026-02-01T00:00:00.000Z, not 2026-01-01T00:00:00.000Z: replaced since the plan');
    expect(changedSincePlan(instanceOf({ InstanceCreateTime: undefined }), BOUND)).toBe('db1 was created at an unknown time, not 2026-01-01T00:00:00.000Z: replaced since the plan');
    expect(changedSincePlan(instanceOf({ Engine: 'mysql' }), BOUND)).toBe('db1 is now mysql, not postgres');
    expect(changedSincePlan(instanceOf({ DBInstanceClass: 'db.m5.xlarge' }), BOUND)).toBe('db1 is now db.m5.xlarge, not db.m5.large');
    expect(changedSincePlan(instanceOf({ DBInstanceStatus: 'stopped' }), BOUND)).toBe('db1 is now stopped, not available as when the plan was made (started or changed since)');
  });
});

describe('stop-db-instance: metadata and plan', () => {
  it('declares its id, permissions, mode and undo limits', () => {
    expect(stopDbInstance).toMatchObject({
      id: 'stop-db-instance',
      resource: 'rds-instance',
      title: 'Stop the idle DB instance (AWS starts it again after 7 days; the re-stop policy keeps it stopped)',
      permissions: ['rds:DescribeDBInstances', 'rds:StopDBInstance', 'rds:StartDBInstance', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
      defaultMode: 'approval',
      undoable: 'yes',
      undoLimits: "Connections the stop dropped and the database's memory (buffer cache: the first queries after the start are slower); RDS starts a stopped instance by itself after 7 days.",
    });
    expect(stopDbInstance.options.parse({})).toEqual({});
  });

  it('plans a stop bound to the DbiResourceId and the state seen', () => {
    // Prepare
    const f = findingOf('rds-instance', ID, { instance: instanceOf() });
    // Act
    const plan = stopDbInstance.plan(f, {}, planCtx);
    // Assess
    expect(plan).toEqual({
      kind: 'change',
      summary: 'Stop db1 (db.m5.large postgres, DbiResourceId db-ABC). AWS starts a stopped DB instance again after 7 days: this action\'s audit record is the decision (the tags trimtab:stop-decision, trimtab:stopped-at on the instance only point to it), and the re-stop policy may stop it again under it. Storage stays billed.',
      params: { dbInstanceIdentifier: ID, arn: ARN, dbiResourceId: 'db-ABC', bound: BOUND },
      undo: 'trimtab undo starts it again (StartDBInstance, once it is stopped) and removes the stop tags so it is not re-stopped.',
    });
  });

  it('plans nothing for a stopped instance and refuses one without a DbiResourceId', () => {
    expect(stopDbInstance.plan(findingOf('rds-instance', ID, { instance: instanceOf({ DBInstanceStatus: 'stopped' }) }), {}, planCtx)).toEqual({ kind: 'noop', reason: 'db1 is already stopped' });
    expect(stopDbInstance.plan(findingOf('rds-instance', ID, { instance: instanceOf({ DbiResourceId: undefined }) }), {}, planCtx)).toEqual({ kind: 'conflict', reason: 'db1: DescribeDBInstances gave no DbiResourceId, so a decision could not be bound to this database' });
  });
});

describe('stop-db-instance: apply', () => {
  it('stops the instance, then tags it with the stop time and the action as decision', async () => {
    // Prepare
    const { ctx, calls } = aws([wire()]);
    // Act
    const out = await stopDbInstance.apply(ctx, stopPlan(), { ...finding, actionId: 'act-9' } as never);
    // Assess
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['StopDBInstance', { DBInstanceIdentifier: ID }],
      ['AddTagsToResource', { ResourceName: ARN, Tags: [{ Key: 'trimtab:stopped-at', Value: TEST_START.replace('Z', '.000Z') }, { Key: 'trimtab:stop-decision', Value: 'act-9' }, { Key: 'trimtab:stop-decided-at', Value: '2026-11-01T00:00:00.000Z' }] }],
    ]);
    expect(out).toEqual({
      before: { instance: instanceOf() },
      after: { stopped: true, stoppedAt: '2026-11-01T00:00:00.000Z', autoStartAbout: '2026-11-08T00:00:00.000Z' },
      detail: 'StopDBInstance sent; AWS starts db1 again about 2026-11-08T00:00:00.000Z (7 days) unless the re-stop policy stops it again',
    });
  });

  it('names the finding as the decision when it carries no action id, and tags the planned ARN when RDS gives none', async () => {
    // Prepare
    const { ctx, writes } = aws([wire({ DBInstanceArn: undefined })]);
    // Act
    await stopDbInstance.apply(ctx, stopPlan({ arn: 'arn:planned' }), finding);
    // Assess
    expect(writes('AddTagsToResource')[0]!.input.ResourceName).toBe('arn:planned');
    expect(writes('AddTagsToResource')[0]!.input.Tags[1]).toEqual({ Key: 'trimtab:stop-decision', Value: 'f1' });
  });

  it('counts a database that no longer exists as done, writing nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([null]);
    // Act
    const out = await stopDbInstance.apply(ctx, stopPlan(), finding);
    // Assess
    expect(out).toEqual({ after: { stopped: true, alreadyGone: true }, detail: 'db1 no longer exists: counts as done' });
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('answers already stopped or stopping without writing', async () => {
    for (const status of ['stopped', 'stopping']) {
      // Prepare
      const { ctx, ops } = aws([wire({ DBInstanceStatus: status })]);
      // Act
      const out = await stopDbInstance.apply(ctx, stopPlan(), finding);
      // Assess
      expect(out).toEqual({ before: { instance: instanceOf({ DBInstanceStatus: status }) }, after: { stopped: true, alreadyStopped: true }, detail: `db1 is already ${status}` });
      expect(ops()).toEqual(['DescribeDBInstances']);
    }
  });

  it('refuses a database replaced under the same name even when it is stopped, writing nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire({ DbiResourceId: 'db-NEW', DBInstanceStatus: 'stopped' })]);
    // Act
    const e = await caught(stopDbInstance.apply(ctx, stopPlan(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now DbiResourceId db-NEW, not db-ABC: replaced under the same identifier since the plan; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('apply-time re-check: refuses a database tagged trimtab:skip since the plan, stopping and tagging nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire({ TagList: [{ Key: 'trimtab:skip', Value: '' }] })]);
    // Act
    const e = await caught(stopDbInstance.apply(ctx, stopPlan(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now tagged trimtab:skip');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('apply-time re-check: refuses a database that became a read replica, stopping nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire({ ReadReplicaSourceDBInstanceIdentifier: 'src' })]);
    // Act
    const e = await caught(stopDbInstance.apply(ctx, stopPlan(), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now a read replica of src; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('apply-time re-check: refuses a database busy since the plan, naming available as the only state it stops from', async () => {
    // Prepare
    const busy = { DBInstanceStatus: 'backing-up' };
    const { ctx, ops } = aws([wire(busy)]);
    // Act
    const e = await caught(stopDbInstance.apply(ctx, stopPlan({ bound: boundOf(instanceOf(busy)) }), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now status is backing-up: mid-maintenance or changing; AWS refuses most changes until it is available; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('apply-time re-check: refuses a member of an Aurora cluster (stopped with its cluster), stopping nothing', async () => {
    // Prepare
    const member = { DBClusterIdentifier: 'c1' };
    const { ctx, ops } = aws([wire(member)]);
    // Act
    const e = await caught(stopDbInstance.apply(ctx, stopPlan({ bound: boundOf(instanceOf(member)) }), finding));
    // Assess
    expect(e).toBeInstanceOf(ProtectedResourceError);
    expect(e?.message).toBe('db1 is now a member of Aurora cluster c1: Aurora instances are stopped and deleted with their cluster, not one by one; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('apply-time re-check: refuses a SQL Server Multi-AZ instance, which AWS cannot stop', async () => {
    // Prepare
    const sql = { Engine: 'sqlserver-se', MultiAZ: true };
    const { ctx, ops } = aws([wire(sql)]);
    // Act
    const e = await caught(stopDbInstance.apply(ctx, stopPlan({ bound: boundOf(instanceOf(sql)) }), finding));
    // Assess
    expect(e?.message).toBe('db1 is now an RDS for SQL Server Multi-AZ instance: AWS cannot stop SQL Server in a Multi-AZ configuration; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('apply-time re-check: refuses a database resized since the plan, and a plan with no binding', async () => {
    // Prepare
    const resized = aws([wire({ DBInstanceClass: 'db.m5.xlarge' })]);
    const unbound = aws([wire()]);
    // Act
    const e1 = await caught(stopDbInstance.apply(resized.ctx, stopPlan(), finding));
    const e2 = await caught(stopDbInstance.apply(unbound.ctx, stopPlan({ bound: undefined }), finding));
    // Assess
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('db1 is now db.m5.xlarge, not db.m5.large; nothing was changed');
    expect(e2?.message).toBe('the plan records no identity for db1 (made before plans were bound to DbiResourceId): a person decides again; nothing was changed');
    expect(resized.ops()).toEqual(['DescribeDBInstances']);
    expect(unbound.ops()).toEqual(['DescribeDBInstances']);
  });

  it('counts a database that vanished at the stop as done, tagging nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()], { StopDBInstance: () => { throw awsError('DBInstanceNotFoundFault'); } });
    // Act
    const out = await stopDbInstance.apply(ctx, stopPlan(), finding);
    // Assess
    expect(out).toEqual({ after: { stopped: true, alreadyGone: true }, detail: 'db1 vanished: counts as done' });
    expect(ops()).toEqual(['DescribeDBInstances', 'StopDBInstance']);
  });

  it("turns AWS's refusals to stop into a protected refusal with AWS's words, tagging nothing", async () => {
    for (const code of ['InvalidDBInstanceState', 'InvalidParameterCombination', 'UnsupportedDBEngineVersion']) {
      // Prepare
      const refusal = awsError(code, `${code}: no`);
      const { ctx, ops } = aws([wire()], { StopDBInstance: () => { throw refusal; } });
      // Act
      const e = await caught(stopDbInstance.apply(ctx, stopPlan(), finding));
      // Assess
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e?.message).toBe(`AWS refused to stop db1: ${code}: no`);
      expect(e?.cause).toBe(refusal);
      expect(ops()).toEqual(['DescribeDBInstances', 'StopDBInstance']);
    }
  });

  it('passes on any other stop error as it is, tagging nothing', async () => {
    // Prepare
    const { ctx, ops } = aws([wire()], { StopDBInstance: () => { throw awsError('Throttling'); } });
    // Act
    const e = await caught(stopDbInstance.apply(ctx, stopPlan(), finding));
    // Assess
    expect(e).not.toBeInstanceOf(ProtectedResourceError);
    expect(e?.name).toBe('Throttling');
    expect(ops()).toEqual(['DescribeDBInstances', 'StopDBInstance']);
  });
});

describe('stop-db-instance: verify', () => {
  it('trusts a database gone at apply without reading', async () => {
    const { ctx, ops } = aws([wire()]);
    expect(await stopDbInstance.verify(ctx, stopPlan(), { after: { stopped: true, alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'db1 is gone' });
    expect(ops()).toEqual([]);
  });

  it('passes a stopping, stopped or gone database and fails an available one', async () => {
    const applied = { after: { stopped: true } } as never;
    expect(await stopDbInstance.verify(aws([wire({ DBInstanceStatus: 'stopping' })]).ctx, stopPlan(), applied)).toEqual({ ok: true, detail: 'db1 is stopping' });
    expect(await stopDbInstance.verify(aws([wire({ DBInstanceStatus: 'stopped' })]).ctx, stopPlan(), applied)).toEqual({ ok: true, detail: 'db1 is stopped' });
    expect(await stopDbInstance.verify(aws([null]).ctx, stopPlan(), applied)).toEqual({ ok: true, detail: 'db1 is gone' });
    expect(await stopDbInstance.verify(aws([wire()]).ctx, stopPlan(), applied)).toEqual({ ok: false, detail: 'db1 is available after StopDBInstance' });
  });

  it('reads the planned identifier', async () => {
    const { ctx, calls } = aws([wire({ DBInstanceStatus: 'stopped' })]);
    await stopDbInstance.verify(ctx, stopPlan(), { after: { stopped: true } } as never);
    expect(calls[0]!.input).toEqual({ DBInstanceIdentifier: ID });
  });
});

describe('stop-db-instance: undo', () => {
  const record = (after: unknown, arn = ARN) => ({ ...recordOf('rds-instance', ID, 'stop-db-instance', {}, {}, after), resource: { type: 'rds-instance', id: ID, arn, account: '123456789012', region: 'us-east-1', tags: {} } }) as ActionRecord;

  it('starts a stopped instance, then removes the stop tags', async () => {
    // Prepare
    const { ctx, calls } = aws([wire({ DBInstanceStatus: 'stopped' })]);
    // Act
    const out = await stopDbInstance.undo!(ctx, record({ stopped: true }));
    // Assess
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['StartDBInstance', { DBInstanceIdentifier: ID }],
      ['RemoveTagsFromResource', { ResourceName: ARN, TagKeys: TAG_KEYS }],
    ]);
    expect(out).toEqual({ detail: "StartDBInstance sent for db1; trimtab's stop tags removed.", after: { started: true } });
  });

  it('only removes the tags of an instance AWS already started, on the recorded ARN when RDS gives none', async () => {
    // Prepare
    const { ctx, calls } = aws([wire({ DBInstanceArn: undefined })]);
    // Act
    const out = await stopDbInstance.undo!(ctx, record({ stopped: true }, 'arn:recorded'));
    // Assess
    expect(calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeDBInstances', { DBInstanceIdentifier: ID }],
      ['RemoveTagsFromResource', { ResourceName: 'arn:recorded', TagKeys: TAG_KEYS }],
    ]);
    expect(out).toEqual({ detail: "db1 is available already (AWS restarts stopped instances after 7 days); trimtab's stop tags removed so it is not re-stopped." });
  });

  it('refuses, changing nothing, when trimtab changed nothing or the instance is gone or still stopping', async () => {
    const cases: Array<[unknown, DBInstance | null, string]> = [
      [undefined, wire(), 'db1 no longer existed when trimtab acted; nothing to undo.'],
      [{ stopped: true, alreadyGone: true }, wire(), 'db1 no longer existed when trimtab acted; nothing to undo.'],
      [{ stopped: true, alreadyStopped: true }, wire(), 'db1 was already stopped when trimtab acted; trimtab changed nothing to undo.'],
      [{ stopped: true }, null, 'db1 no longer exists.'],
      [{ stopped: true }, wire({ DBInstanceStatus: 'stopping' }), 'db1 is still stopping: AWS starts an instance only once it is stopped (InvalidDBInstanceState). Try the undo again in a few minutes; nothing was changed.'],
    ];
    for (const [after, current, message] of cases) {
      // Prepare
      const { ctx, writes } = aws([current]);
      // Act
      const e = await caught(stopDbInstance.undo!(ctx, record(after)));
      // Assess
      expect(e).toBeInstanceOf(UndoRefusedError);
      expect(e?.message).toBe(message);
      expect(writes('StartDBInstance', 'RemoveTagsFromResource')).toEqual([]);
    }
  });
});

describe('restop-db-instance', () => {
  const restopPlan = (params: Partial<StopParams> = {}) => stopPlan({ decision: 'dec-1', decidedAt: DECIDED, previousStopAt: '2026-10-20T00:00:00.000Z', ...params });
  const tagged = (decision = 'dec-1') => wire({ TagList: [{ Key: 'trimtab:stop-decision', Value: decision }] });
  const restarted = instanceOf({ TagList: [{ Key: 'trimtab:stop-decision', Value: 'dec-1' }] });

  it('declares its id, permissions, mode and undo limits', () => {
    expect(restopDbInstance).toMatchObject({
      id: 'restop-db-instance',
      resource: 'rds-instance',
      title: 'Stop again an instance AWS restarted after 7 days, under the recorded stop decision',
      permissions: ['rds:DescribeDBInstances', 'rds:StopDBInstance', 'rds:StartDBInstance', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
      defaultMode: 'approval',
      undoable: 'yes',
      undoLimits: "Connections the stop dropped and the database's memory (buffer cache: the first queries after the start are slower).",
    });
    expect(restopDbInstance.options.parse({})).toEqual({});
  });

  it('plans a stop under the recorded decision, keyed by the previous stop', () => {
    // Prepare
    const f = findingOf('rds-instance', ID, { instance: restarted, decision: 'dec-1', decidedAt: DECIDED, stoppedAt: '2026-10-20T00:00:00.000Z' });
    // Act
    const plan = restopDbInstance.plan(f, {}, planCtx);
    // Assess
    expect(plan).toEqual({
      kind: 'change',
      summary: 'Stop db1 again: AWS restarted it 7 days after trimtab stopped it (2026-10-20T00:00:00.000Z). Acts under decision dec-1 (verified in the audit trail: the same ARN and DbiResourceId db-ABC), not a new one.',
      params: { dbInstanceIdentifier: ID, arn: ARN, dbiResourceId: 'db-ABC', bound: boundOf(restarted), decision: 'dec-1', decidedAt: DECIDED, previousStopAt: '2026-10-20T00:00:00.000Z' },
      undo: 'trimtab undo starts it and removes the stop tags (ending the decision).',
    });
  });

  it('plans the previous stop as the decision time when none is recorded, and no DbiResourceId when none is known', () => {
    const db = instanceOf({ DbiResourceId: undefined });
    const plan = restopDbInstance.plan(findingOf('rds-instance', ID, { instance: db, decision: 'dec-1', stoppedAt: '2026-10-20T00:00:00.000Z' }), {}, planCtx);
    expect(plan.kind === 'change' && plan.params).toEqual({ dbInstanceIdentifier: ID, arn: ARN, bound: boundOf(db), decision: 'dec-1', decidedAt: '2026-10-20T00:00:00.000Z', previousStopAt: '2026-10-20T00:00:00.000Z' });
  });

  it('re-reads the decision from the audit trail and stops under it, tagging the recorded decision time', async () => {
    // Prepare
    const { ctx: raw, calls } = aws([tagged()]);
    const asked: string[][] = [];
    const ctx = withAudit(raw, async (ids) => { asked.push(ids); return new Map([['dec-1', decisionRecord()]]); });
    // Act
    const out = await restopDbInstance.apply(ctx, restopPlan({ decidedAt: '2026-10-05T00:00:00.000Z', bound: boundOf(restarted) }), finding);
    // Assess
    expect(asked).toEqual([['dec-1']]);
    expect(calls.map((c) => c.op)).toEqual(['DescribeDBInstances', 'StopDBInstance', 'AddTagsToResource']);
    expect(calls[2]!.input.Tags).toEqual([{ Key: 'trimtab:stopped-at', Value: '2026-11-01T00:00:00.000Z' }, { Key: 'trimtab:stop-decision', Value: 'dec-1' }, { Key: 'trimtab:stop-decided-at', Value: DECIDED }]);
    expect(out.detail).toBe('StopDBInstance sent; AWS starts db1 again about 2026-11-08T00:00:00.000Z (7 days) unless the re-stop policy stops it again (under decision dec-1)');
  });

  it('refuses, stopping nothing, when the tag no longer names the planned decision or none was planned', async () => {
    // Prepare
    const a = aws([tagged('dec-2')]);
    const b = aws([tagged()]);
    const audit = async () => new Map([['dec-1', decisionRecord()]]);
    // Act
    const e1 = await caught(restopDbInstance.apply(withAudit(a.ctx, audit), restopPlan({ bound: boundOf(restarted) }), finding));
    const e2 = await caught(restopDbInstance.apply(withAudit(b.ctx, audit), restopPlan({ decision: undefined, bound: boundOf(restarted) }), finding));
    // Assess
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('db1 no longer carries the stop decision dec-1 (now dec-2): a person changed it; nothing was changed');
    expect(e2?.message).toBe('db1 no longer carries the stop decision (none planned) (now dec-1): a person changed it; nothing was changed');
    expect(a.ops()).toEqual(['DescribeDBInstances']);
    expect(b.ops()).toEqual(['DescribeDBInstances']);
  });

  it('names "none" when the decision tag was removed', async () => {
    const { ctx, ops } = aws([wire()]);
    const e = await caught(restopDbInstance.apply(withAudit(ctx, async () => new Map()), restopPlan(), finding));
    expect(e?.message).toBe('db1 no longer carries the stop decision dec-1 (now none): a person changed it; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('refuses, stopping nothing, when the audit trail cannot be read, holds no such record, or is not connected', async () => {
    // Prepare
    const failure = new Error('table unreachable');
    const unreadable = aws([tagged()]);
    const missing = aws([tagged()]);
    const unconnected = aws([tagged()]);
    const plan = restopPlan({ bound: boundOf(restarted) });
    // Act
    const e1 = await caught(restopDbInstance.apply(withAudit(unreadable.ctx, async () => { throw failure; }), plan, finding));
    const e2 = await caught(restopDbInstance.apply(withAudit(missing.ctx, async () => new Map()), plan, finding));
    const e3 = await caught(restopDbInstance.apply(unconnected.ctx, plan, finding));
    // Assess
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('stop decision dec-1 could not be re-read from the audit trail (table unreachable); nothing was changed');
    expect(e1?.cause).toBe(failure);
    expect(e2).toBeInstanceOf(ProtectedResourceError);
    expect(e2?.message).toBe('trimtab:stop-decision names dec-1, but the audit trail holds no such action: a tag alone is never a decision; nothing was changed');
    expect(e3?.message).toBe('stop decision dec-1 could not be checked: no audit trail is connected; nothing was changed');
    for (const f of [unreadable, missing, unconnected]) expect(f.ops()).toEqual(['DescribeDBInstances']);
  });

  it('refuses a decision record that was undone, stopping nothing', async () => {
    const { ctx, ops } = aws([tagged()]);
    const e = await caught(restopDbInstance.apply(withAudit(ctx, async () => new Map([['dec-1', decisionRecord({ status: 'undone' })]])), restopPlan({ bound: boundOf(restarted) }), finding));
    expect(e?.message).toBe('decision dec-1 was undone by a person; nothing was changed');
    expect(ops()).toEqual(['DescribeDBInstances']);
  });

  it('verifies and undoes like stop-db-instance', async () => {
    expect(await restopDbInstance.verify(aws([wire({ DBInstanceStatus: 'stopped' })]).ctx, restopPlan(), { after: { stopped: true } } as never)).toEqual({ ok: true, detail: 'db1 is stopped' });
    expect(restopDbInstance.undo).toBe(stopDbInstance.undo);
  });
});
