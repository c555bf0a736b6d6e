/**
 * RDS and Aurora end to end on the AWS-like sandbox (timed states, stale reads, small pages):
 * the default scenario's waste is found and its traps survive, every action writes what its plan
 * says, AWS's 7-day restart is answered by a re-stop under the recorded decision, undo works or
 * refuses with AWS's rule, and the listing is list calls only.
 */
import { describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, RDSClient, StopDBInstanceCommand } from '@aws-sdk/client-rds';
import { undoAction } from '../../lib/engine/undo.ts';
import { STOP_DECISION_TAG, STOPPED_AT_TAG } from '../../lib/resources/rds-instance/detectors.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { rdsState } from '../../lib/sandbox/services/rds.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { UndoRefusedError } from '../../lib/util/errors.ts';
import { TEST_START, testEnv } from '../helpers.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const AWS_TIMING = { scale: 1, consistencyMs: 2000 };

function rdsEnv() {
  const clock = new VirtualClock(TEST_START);
  const env = testEnv('small-company', { clock, timing: AWS_TIMING });
  const rds = () => rdsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
  return { env, clock, rds };
}

const policy = (detector: string, action: string | undefined, mode = 'auto') => `
version: 1
policies:
  - id: p
    resource: rds-instance
    detector: ${detector}
${action ? `    action: ${action}\n` : ''}    mode: ${mode}
    scope: { regions: [us-east-1] }
    limits: { maxActionsPerRun: 100, cooldownHours: 0 }
`;

const writesOf = (env: ReturnType<typeof testEnv>, op: string) => env.sandbox.successfulWrites(op).map((w) => w.input as Record<string, any>);

describe('rds-instance scan on the default scenario', () => {
  it('finds the waste of every detector, protects every trap, and lists with list calls only', async () => {
    // Prepare
    const { env } = rdsEnv();
    env.sandbox.resetCounters();
    const yaml = `
version: 1
policies:
${[
  ['idle', '{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'],
  ['restop', '{ type: auto-started-db-instance }', '{ type: restop-db-instance }'],
  ['gp3', '{ type: gp2-storage }', '{ type: modify-storage-gp3 }'],
  ['oversized', '{ type: oversized-db-instance }', '{ type: downsize-db-instance }'],
  ['prevgen', '{ type: previous-generation-class }', ''],
  ['serverless', '{ type: aurora-serverless-min-capacity }', '{ type: lower-min-capacity }'],
  ['saturated', '{ type: saturated-db-instance }', ''],
]
  .map(([id, d, a]) => `  - { id: ${id}, resource: rds-instance, detector: ${d}${a ? `, action: ${a}` : ''}, scope: { regions: [us-east-1] } }`)
  .join('\n')}
`;
    // Act
    const result = await env.run(yaml);
    // Assess
    const status = (policyId: string, id: string) => result.findings.find((f) => f.policy === policyId && f.resource.id === id)?.status;
    expect(status('idle', 'staging-reports-db')).toBe('actionable');
    expect(status('idle', 'billing-sandbox-db')).toBe('actionable');
    expect(status('idle', 'orders-db-replica')).toBe('protected');
    expect(status('idle', 'finance-archive-db')).toBe('protected');
    expect(status('idle', 'payments-batch-db')).toBe('protected');
    expect(status('idle', 'new-import-db')).toBeUndefined();
    // Under a stop decision: the re-stop policy owns it, not the idle one.
    expect(status('idle', 'qa-perf-db')).toBeUndefined();
    expect(status('restop', 'qa-perf-db')).toBe('actionable');
    expect(status('gp3', 'staging-reports-db')).toBe('actionable');
    expect(status('gp3', 'orders-db')).toBe('actionable');
    expect(status('gp3', 'search-db')).toBe('protected');
    expect(status('oversized', 'analytics-pg')).toBe('actionable');
    expect(status('oversized', 'core-aurora-writer')).toBe('protected');
    expect(status('oversized', 'wiki-db')).toBeUndefined();
    expect(status('prevgen', 'legacy-crm-db')).toBe('report-only');
    expect(status('serverless', 'events-aurora')).toBe('actionable');
    expect(status('serverless', 'api-aurora')).toBeUndefined();
    const saturated = result.findings.find((f) => f.policy === 'saturated')!;
    expect(saturated.resource.id).toBe('checkout-db');
    expect(saturated.benefit).toEqual(['performance']);
    expect(saturated.risk?.summary).toMatch(/CPU p95 at or above 90%/);
    // Savings with their basis in every finding.
    const oversized = result.findings.find((f) => f.policy === 'oversized' && f.resource.id === 'analytics-pg')!;
    expect(oversized.savings.monthlyUsd).toBeCloseTo(365, 2);
    expect(oversized.evidence.candidate).toBe('db.r5.xlarge');
    expect(result.findings.find((f) => f.policy === 'serverless')!.savings.monthlyUsd).toBeCloseTo(700.8, 2);
    for (const f of result.findings) expect(f.savings.basis.length).toBeGreaterThan(0);
    // Listing: 18 instances at 5 a page (the test page cap) in one region; no per-database tag call.
    const calls = env.sandbox.callsByOperation();
    expect(calls['rds:DescribeDBInstances']).toBe(Math.ceil(Object.keys(rdsEnv().rds().instances).length / 5));
    expect(calls['rds:DescribeDBClusters']).toBe(1);
    expect(calls['rds:ListTagsForResource']).toBeUndefined();
    expect(result.errors).toEqual([]);
  });
});

describe('stop-db-instance and the 7-day restart', () => {
  it('stops an idle instance under a recorded decision, and re-stops it after AWS restarts it 7 days later without a new approval', async () => {
    // Prepare
    const { env, clock, rds } = rdsEnv();
    const stop = await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    const action = stop.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(action.status).toBe('verified');
    expect(stop.findings.find((f) => f.resource.id === 'staging-reports-db')!.plan!.summary).toMatch(/AWS starts a stopped DB instance again after 7 days/);
    const stopped = rds().instances['staging-reports-db'];
    expect(stopped.tags[STOP_DECISION_TAG]).toBe(action.id);
    expect((action.after as { autoStartAbout: string }).autoStartAbout).toBe(new Date(Date.parse(TEST_START) + 7 * DAY).toISOString());
    // Act: 7 days and an hour later AWS has started it again.
    clock.advance(7 * DAY + HOUR);
    const listed = await env.clients.get(RDSClient, 'us-east-1').send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'staging-reports-db' }));
    expect(listed.DBInstances![0].DBInstanceStatus).toBe('available');
    env.sandbox.resetCounters();
    const restop = await env.run(policy('{ type: auto-started-db-instance }', '{ type: restop-db-instance }'));
    // Assess
    const again = restop.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(again.status).toBe('verified');
    expect(again.mode).toBe('auto');
    expect(again.summary).toContain(`under decision ${action.id}`);
    expect(writesOf(env, 'StopDBInstance').map((w) => w.DBInstanceIdentifier)).toContain('staging-reports-db');
    const tags = rds().instances['staging-reports-db'].tags;
    expect(tags[STOP_DECISION_TAG]).toBe(action.id);
    expect(tags[STOPPED_AT_TAG]).toBe(clock.now().toISOString());
    // The next run finds nothing to do: it is stopping/stopped.
    const third = await env.run(policy('{ type: auto-started-db-instance }', '{ type: restop-db-instance }'));
    expect(third.findings.filter((f) => f.resource.id === 'staging-reports-db')).toEqual([]);
  });

  it('does not re-stop an instance someone used after the restart, nor one whose decision is older than maxWeeks', async () => {
    // Prepare: qa-perf-db was stopped 8 days ago and AWS restarted it; a person now connects to it.
    const { env, rds } = rdsEnv();
    rds().instances['qa-perf-db'].tags['trimtab:stop-decided-at'] = new Date(Date.parse(TEST_START) - 9 * 7 * DAY).toISOString();
    // Act
    const result = await env.run(policy('{ type: auto-started-db-instance, maxWeeks: 8 }', '{ type: restop-db-instance }'));
    // Assess
    const f = result.findings.find((x) => x.resource.id === 'qa-perf-db')!;
    expect(f.status).toBe('protected');
    expect(f.outcomeDetail).toMatch(/9 weeks old .*a person decides again/);
    expect(env.sandbox.successfulWrites('StopDBInstance')).toEqual([]);
  });

  it('refuses undo while the instance is stopping, then starts it and removes the decision', async () => {
    // Prepare
    const { env, clock, rds } = rdsEnv();
    const stop = await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    const action = stop.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    // Act + Assess: still stopping (about 4 minutes on AWS).
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/still stopping/);
    clock.advance(10 * 60_000);
    const undone = await undoAction(action.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(writesOf(env, 'StartDBInstance').map((w) => w.DBInstanceIdentifier)).toEqual(['staging-reports-db']);
    expect(rds().instances['staging-reports-db'].tags[STOP_DECISION_TAG]).toBeUndefined();
  });

  it('records AWS refusing to stop (a replica appeared since the scan) as protected, nothing stopped', async () => {
    // Prepare: a replica of staging-reports-db appears between the scan and the stop.
    const { env, rds } = rdsEnv();
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'StopDBInstance' && input.DBInstanceIdentifier === 'staging-reports-db') rds().instances['staging-reports-db'].readReplicas = ['staging-reports-replica'];
      return undefined;
    };
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    // Assess
    const f = result.findings.find((x) => x.resource.id === 'staging-reports-db')!;
    expect(f.status).toBe('protected');
    expect(f.outcomeDetail).toMatch(/AWS refused to stop staging-reports-db: .*read replica/);
    expect(rds().instances['staging-reports-db'].status).toBe('available');
  });
});

describe('snapshot-and-delete', () => {
  it('snapshots an instance trimtab stopped 30 days ago, deletes it once the snapshot is available, and undo restores it with its class, groups and tags', async () => {
    // Prepare: stopped 31 days ago by trimtab.
    const { env, clock, rds } = rdsEnv();
    await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    clock.advance(31 * DAY);
    // AWS restarted it every 7 days; the re-stop kept it stopped. Model the outcome: stopped, stop 31 days old.
    const i = rds().instances['staging-reports-db'];
    i.status = 'stopped';
    delete i.phases;
    i.stoppedAt = new Date(clock.now().getTime() - HOUR).toISOString();
    i.tags[STOPPED_AT_TAG] = new Date(clock.now().getTime() - 31 * DAY).toISOString();
    const before = structuredClone(i);
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete, pollSeconds: 30 }'));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(action.status).toBe('verified');
    const snap = writesOf(env, 'CreateDBSnapshot').find((w) => w.DBInstanceIdentifier === 'staging-reports-db')!;
    expect(writesOf(env, 'DeleteDBInstance')).toContainEqual({ DBInstanceIdentifier: 'staging-reports-db', SkipFinalSnapshot: true, DeleteAutomatedBackups: false });
    // The delete came after the snapshot was available.
    const deleteAt = env.sandbox.successfulWrites('DeleteDBInstance').find((w) => (w.input as { DBInstanceIdentifier: string }).DBInstanceIdentifier === 'staging-reports-db')!.at;
    expect(Date.parse(deleteAt)).toBeGreaterThanOrEqual(Date.parse(rds().snapshots[snap.DBSnapshotIdentifier].availableAt));
    const f = result.findings.find((x) => x.resource.id === 'staging-reports-db')!;
    expect(f.savings.monthlyUsd).toBeCloseTo(100 * 0.115 - 100 * 0.095, 5);
    clock.advance(HOUR);
    expect(rds().instances['staging-reports-db']).toBeDefined(); // settles on the next call
    // Act: undo
    const undone = await undoAction(action.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    const restore = writesOf(env, 'RestoreDBInstanceFromDBSnapshot').find((w) => w.DBInstanceIdentifier === 'staging-reports-db')!;
    expect(restore).toMatchObject({
      DBInstanceIdentifier: 'staging-reports-db',
      DBSnapshotIdentifier: snap.DBSnapshotIdentifier,
      DBInstanceClass: before.dbClass,
      DBSubnetGroupName: before.subnetGroup,
      DBParameterGroupName: before.parameterGroup,
      VpcSecurityGroupIds: before.securityGroups,
      MultiAZ: false,
      StorageType: 'gp2',
    });
    expect(restore.Tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'platform' }, { Key: 'env', Value: 'staging' }]));
    expect(restore.Tags.map((t: { Key: string }) => t.Key)).not.toContain(STOP_DECISION_TAG);
    expect(rds().instances['staging-reports-db'].phases?.[0].status).toBe('creating');
  });

  it('plans a conflict, never a delete, for an instance with deletion protection', async () => {
    // Prepare
    const { env, clock, rds } = rdsEnv();
    const i = rds().instances['billing-sandbox-db'];
    i.status = 'stopped';
    i.stoppedAt = clock.now().toISOString();
    i.tags[STOPPED_AT_TAG] = new Date(clock.now().getTime() - 40 * DAY).toISOString();
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete }'));
    // Assess
    const f = result.findings.find((x) => x.resource.id === 'billing-sandbox-db')!;
    expect(f.status).toBe('conflict');
    expect(f.outcomeDetail).toMatch(/deletion protection/);
    expect(writesOf(env, 'DeleteDBInstance').filter((w) => w.DBInstanceIdentifier === 'billing-sandbox-db')).toEqual([]);
    expect(writesOf(env, 'CreateDBSnapshot').filter((w) => w.DBInstanceIdentifier === 'billing-sandbox-db')).toEqual([]);
  });

  it('keeps the instance when the snapshot is not available in time, and reuses that snapshot on the next run', async () => {
    // Prepare: a 2,000 GiB instance (its snapshot takes about 1.7 hours here), stopped by trimtab 40 days ago.
    const { env, clock, rds } = rdsEnv();
    const i = rds().instances['staging-reports-db'];
    i.allocatedGiB = 2000;
    i.status = 'stopped';
    i.stoppedAt = clock.now().toISOString();
    i.tags[STOPPED_AT_TAG] = new Date(clock.now().getTime() - 40 * DAY).toISOString();
    const yaml = policy('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete, snapshotTimeoutMinutes: 10, pollSeconds: 60 }');
    // Act
    const first = await env.run(yaml);
    // Assess
    const mine = (r: typeof first) => r.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(mine(first).status).toBe('failed');
    expect(mine(first).error?.message).toMatch(/still creating .*the instance was not deleted/);
    expect(rds().instances['staging-reports-db']).toBeDefined();
    clock.advance(2 * HOUR);
    const second = await env.run(yaml);
    expect(mine(second).status).toBe('verified');
    expect(mine(second).after).toMatchObject({ reusedSnapshot: true });
    expect(writesOf(env, 'CreateDBSnapshot').filter((w) => w.DBInstanceIdentifier === 'staging-reports-db')).toHaveLength(1);
  });
});

describe('modify-storage-gp3', () => {
  it('moves gp2 to gp3 now, and undo refuses until 6 hours passed and optimization completed', async () => {
    // Prepare
    const { env, clock, rds } = rdsEnv();
    // Act
    const result = await env.run(policy('{ type: gp2-storage }', '{ type: modify-storage-gp3 }'));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'orders-db')!;
    expect(action.status).toBe('verified');
    expect(writesOf(env, 'ModifyDBInstance').find((w) => w.DBInstanceIdentifier === 'orders-db')).toEqual({ DBInstanceIdentifier: 'orders-db', StorageType: 'gp3', ApplyImmediately: true });
    expect(rds().instances['orders-db']).toMatchObject({ storageType: 'gp3', iops: 12_000, throughput: 500 });
    expect(result.findings.find((f) => f.resource.id === 'search-db')!.status).toBe('protected');
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(UndoRefusedError);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/6 hours after the last|storage-optimization|modifying/);
    clock.advance(5 * HOUR);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/6 hours after the last/);
    clock.advance(2 * HOUR);
    const undone = await undoAction(action.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(rds().instances['orders-db'].storageType).toBe('gp2');
  });
});

describe('downsize-db-instance', () => {
  it('puts the smaller class in PendingModifiedValues, AWS applies it at the maintenance window, and undo sets the recorded class back', async () => {
    // Prepare
    const { env, clock, rds } = rdsEnv();
    // Act
    const result = await env.run(policy('{ type: oversized-db-instance }', '{ type: downsize-db-instance }'));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'analytics-pg')!;
    expect(action.status).toBe('verified');
    expect(writesOf(env, 'ModifyDBInstance')).toEqual([{ DBInstanceIdentifier: 'analytics-pg', DBInstanceClass: 'db.r5.xlarge', ApplyImmediately: false }]);
    expect(rds().instances['analytics-pg'].dbClass).toBe('db.r5.2xlarge');
    expect(rds().instances['analytics-pg'].pending?.dbClass).toBe('db.r5.xlarge');
    // The window is Sunday 05:00 UTC; 2026-11-01 is a Sunday, 00:00: the window is 5 hours away.
    clock.advance(6 * HOUR);
    const rdsClient = env.clients.get(RDSClient, 'us-east-1');
    const after = (await rdsClient.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'analytics-pg' }))).DBInstances![0];
    expect(after.DBInstanceClass).toBe('db.r5.xlarge');
    expect(after.PendingModifiedValues).toEqual({});
    const undone = await undoAction(action.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(rds().instances['analytics-pg'].pending?.dbClass).toBe('db.r5.2xlarge');
  });
});

describe('lower-min-capacity', () => {
  it('halves a binding Serverless v2 minimum and undo restores it', async () => {
    // Prepare
    const { env, rds } = rdsEnv();
    // Act
    const result = await env.run(policy('{ type: aurora-serverless-min-capacity }', '{ type: lower-min-capacity }'));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'events-aurora')!;
    expect(action.status).toBe('verified');
    expect(writesOf(env, 'ModifyDBCluster')).toEqual([{ DBClusterIdentifier: 'events-aurora', ServerlessV2ScalingConfiguration: { MinCapacity: 4, MaxCapacity: 32 }, ApplyImmediately: true }]);
    expect(rds().clusters['events-aurora']).toMatchObject({ minAcu: 4, maxAcu: 32 });
    expect(result.actions.map((a) => a.resource.id)).not.toContain('api-aurora');
    await undoAction(action.id, env.deps);
    expect(rds().clusters['events-aurora'].minAcu).toBe(8);
  });
});

describe('the sandbox answers like RDS', () => {
  it('refuses a page size outside 20 to 100, an unknown instance, and stopping a read replica, with RDS error names', async () => {
    // Prepare
    const { env } = rdsEnv();
    const rds = env.clients.withWrites(true).get(RDSClient, 'us-east-1');
    // Act + Assess
    await expect(rds.send(new DescribeDBInstancesCommand({ MaxRecords: 10 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    await expect(rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'orders-db-replica' }))).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    await expect(rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'core-aurora-reader' }))).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  });
});
