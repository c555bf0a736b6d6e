/**
 * RDS and Aurora end to end on the AWS-like sandbox (timed states, stale reads, small pages):
 * the default scenario's waste is found and its traps survive, every action writes what its plan
 * says, AWS's 7-day restart is answered by a re-stop under the recorded decision, undo works or
 * refuses with AWS's rule, and the listing is list calls only.
 */
import { describe, expect, it } from 'vitest';
import { CreateDBSnapshotCommand, DescribeDBInstancesCommand, ModifyDBClusterCommand, RDSClient, RestoreDBInstanceFromDBSnapshotCommand, StopDBInstanceCommand } from '@aws-sdk/client-rds';
import { newActionId } from '../../lib/audit/store.ts';
import { applyOne } from '../../lib/engine/run.ts';
import type { ActionRecord } from '../../lib/engine/types.ts';
import { undoAction } from '../../lib/engine/undo.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { STOP_DECIDED_AT_TAG, STOP_DECISION_TAG, STOPPED_AT_TAG } from '../../lib/resources/rds-instance/detectors.ts';
import { awsError, SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { dbiResourceIdOf, rdsState } from '../../lib/sandbox/services/rds.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { UndoRefusedError } from '../../lib/util/errors.ts';
import { policiesFrom, TEST_START, testEnv } from '../helpers.ts';

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
${mode === 'approval' ? '    approval: { approvers: [dba@example.com] }\n' : ''}
    scope: { regions: [us-east-1] }
    limits: { maxActionsPerRun: 100, cooldownHours: 0 }
`;

/**
 * An approved, verified stop of `id` decided at `at`, in the env's audit store, and the tags that
 * point to it on the instance: what a real stop under approval leaves behind.
 */
async function recordStopDecision(env: ReturnType<typeof testEnv>, id: string, at: string, over: Partial<ActionRecord> = {}): Promise<ActionRecord> {
  const i = rdsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').instances[id];
  const arn = `arn:aws:rds:us-east-1:${SANDBOX_ACCOUNT}:db:${id}`;
  const record: ActionRecord = {
    id: newActionId(new Date(at)),
    findingId: `f-${id}`,
    policy: 'rds-idle-stop',
    resource: { type: 'rds-instance', id, arn, account: SANDBOX_ACCOUNT, region: 'us-east-1', tags: {} },
    action: 'stop-db-instance',
    summary: `Stop ${id}`,
    params: { dbInstanceIdentifier: id, arn, dbiResourceId: dbiResourceIdOf(i) },
    planHash: `h-${id}`,
    mode: 'approval',
    actor: 'dba@example.com',
    status: 'verified',
    transitions: [
      { status: 'planned', at },
      { status: 'applied', at },
      { status: 'verified', at },
    ],
    before: null,
    estimatedMonthlySavingsUsd: 124.83,
    undo: { supported: 'yes', how: 'start it' },
    ...over,
  };
  await env.store.put(record);
  Object.assign(i.tags, { [STOP_DECISION_TAG]: record.id, [STOP_DECIDED_AT_TAG]: at, [STOPPED_AT_TAG]: at });
  return record;
}

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
    // Stop tags with no audit record behind them: no re-stop; the idle policy judges it on its use.
    expect(status('restop', 'qa-perf-db')).toBe('protected');
    expect(result.findings.find((f) => f.policy === 'restop' && f.resource.id === 'qa-perf-db')!.outcomeDetail).toMatch(/audit trail holds no such action/);
    expect(status('idle', 'qa-perf-db')).toBe('actionable');
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
    // Prepare: qa-perf-db was stopped under a decision made 9 weeks ago; its last stop was 8 days ago.
    const { env, rds } = rdsEnv();
    await recordStopDecision(env, 'qa-perf-db', new Date(Date.parse(TEST_START) - 9 * 7 * DAY).toISOString());
    rds().instances['qa-perf-db'].tags[STOPPED_AT_TAG] = new Date(Date.parse(TEST_START) - 8 * DAY).toISOString();
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
  it('deletes an instance trimtab stopped 30 days ago with a final snapshot (CreateDBSnapshot refuses stopped instances), and undo restores it with its settings', async () => {
    // Prepare: stopped 31 days ago by trimtab under a recorded decision.
    const { env, clock, rds } = rdsEnv();
    await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    clock.advance(31 * DAY);
    // AWS restarted it every 7 days; the re-stop kept it stopped. Model the outcome: stopped, stop 31 days old.
    const i = rds().instances['staging-reports-db'];
    i.status = 'stopped';
    delete i.phases;
    i.stoppedAt = new Date(clock.now().getTime() - HOUR).toISOString();
    i.tags[STOPPED_AT_TAG] = new Date(clock.now().getTime() - 2 * DAY).toISOString();
    Object.assign(i, { port: 3307, iamAuth: true, logExports: ['error', 'slowquery'], caCertificate: 'rds-ca-ecc384-g1', autoMinorUpgrade: false, backupRetentionDays: 14 });
    const before = structuredClone(i);
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete, pollSeconds: 30 }'));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(action.status).toBe('verified');
    expect(writesOf(env, 'CreateDBSnapshot')).toEqual([]);
    const del = writesOf(env, 'DeleteDBInstance').find((w) => w.DBInstanceIdentifier === 'staging-reports-db')!;
    expect(del).toMatchObject({ DBInstanceIdentifier: 'staging-reports-db', SkipFinalSnapshot: false, DeleteAutomatedBackups: false });
    const snapshotId = del.FinalDBSnapshotIdentifier as string;
    expect(snapshotId).toMatch(/^trimtab-final-staging-reports-db-/);
    const f = result.findings.find((x) => x.resource.id === 'staging-reports-db')!;
    expect(f.savings.monthlyUsd).toBeCloseTo(100 * 0.115 - 100 * 0.095, 5);
    expect(f.savings.basis.join(' ')).toMatch(/Automated backups kept \(14-day retention, DeleteAutomatedBackups false\): up to \$4\.43 once/);
    expect(f.plan!.summary).toMatch(/delete it with a final snapshot .*it is not started/);
    // The instance stays 'deleting' until its final snapshot is taken, then it is gone.
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/is creating: only an available snapshot can be restored/);
    clock.advance(HOUR);
    const rdsClient = env.clients.get(RDSClient, 'us-east-1');
    await expect(rdsClient.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'staging-reports-db' }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    expect(rds().snapshots[snapshotId].status).toBe('available');
    // Act: undo
    const undone = await undoAction(action.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    const restore = writesOf(env, 'RestoreDBInstanceFromDBSnapshot').find((w) => w.DBInstanceIdentifier === 'staging-reports-db')!;
    expect(restore).toMatchObject({
      DBInstanceIdentifier: 'staging-reports-db',
      DBSnapshotIdentifier: snapshotId,
      DBInstanceClass: before.dbClass,
      DBSubnetGroupName: before.subnetGroup,
      DBParameterGroupName: before.parameterGroup,
      VpcSecurityGroupIds: before.securityGroups,
      MultiAZ: false,
      StorageType: 'gp2',
      Port: 3307,
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '03:00-03:30',
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['error', 'slowquery'],
      CACertificateIdentifier: 'rds-ca-ecc384-g1',
      AutoMinorVersionUpgrade: false,
    });
    expect(restore.Iops).toBeUndefined();
    expect(restore.Tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'platform' }, { Key: 'env', Value: 'staging' }]));
    expect(restore.Tags.map((t: { Key: string }) => t.Key)).not.toContain(STOP_DECISION_TAG);
    expect(rds().instances['staging-reports-db'].phases?.[0].status).toBe('creating');
    expect(rds().instances['staging-reports-db']).toMatchObject({ port: 3307, iamAuth: true, backupRetentionDays: 14 });
  });

  it('records a DeleteDBInstance refused for the retained automated backups quota as protected with the reason AWS gives, deleting nothing', async () => {
    // Prepare: stopped 31 days ago by trimtab under a recorded decision; the Region's retained-backups quota is full.
    const { env, clock, rds } = rdsEnv();
    await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    clock.advance(31 * DAY);
    const i = rds().instances['staging-reports-db'];
    i.status = 'stopped';
    delete i.phases;
    i.stoppedAt = new Date(clock.now().getTime() - HOUR).toISOString();
    i.tags[STOPPED_AT_TAG] = new Date(clock.now().getTime() - 2 * DAY).toISOString();
    env.sandbox.faults.failWhen = ({ operation, input }) =>
      operation === 'DeleteDBInstance' && input.DBInstanceIdentifier === 'staging-reports-db' && input.DeleteAutomatedBackups === false
        ? awsError('DBInstanceAutomatedBackupQuotaExceeded', 'The quota for retained automated backups was exceeded.')
        : undefined;
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete, pollSeconds: 30 }'));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(action.status).toBe('skipped');
    expect(action.error?.message).toMatch(/AWS refused to delete staging-reports-db: The quota for retained automated backups was exceeded/);
    expect(rds().instances['staging-reports-db'].status).toBe('stopped');
    expect(Object.keys(rds().snapshots).filter((k) => k.startsWith('trimtab-final-staging-reports-db'))).toEqual([]);
  });

  it('restores a gp3 instance under 400 GiB without Iops or StorageThroughput, which RDS refuses there', async () => {
    // Prepare: a running gp3 100 GiB instance (3,000 IOPS and 125 MiB/s included) deleted by trimtab.
    const { env, clock, rds } = rdsEnv();
    const i = rds().instances['staging-reports-db'];
    Object.assign(i, { storageType: 'gp3', iops: 3000, throughput: 125 });
    const result = await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: snapshot-and-delete }'));
    const action = result.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(action.status).toBe('verified');
    clock.advance(HOUR);
    // Act
    const undone = await undoAction(action.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    const restore = writesOf(env, 'RestoreDBInstanceFromDBSnapshot')[0];
    expect(restore.StorageType).toBe('gp3');
    expect(restore.Iops).toBeUndefined();
    expect(restore.StorageThroughput).toBeUndefined();
  });

  it('plans a conflict, never a delete, for an instance with deletion protection', async () => {
    // Prepare
    const { env, clock, rds } = rdsEnv();
    await recordStopDecision(env, 'billing-sandbox-db', new Date(clock.now().getTime() - 40 * DAY).toISOString());
    const i = rds().instances['billing-sandbox-db'];
    i.status = 'stopped';
    i.stoppedAt = clock.now().toISOString();
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete }'));
    // Assess
    const f = result.findings.find((x) => x.resource.id === 'billing-sandbox-db')!;
    expect(f.status).toBe('conflict');
    expect(f.outcomeDetail).toMatch(/deletion protection/);
    expect(writesOf(env, 'DeleteDBInstance').filter((w) => w.DBInstanceIdentifier === 'billing-sandbox-db')).toEqual([]);
    expect(writesOf(env, 'CreateDBSnapshot').filter((w) => w.DBInstanceIdentifier === 'billing-sandbox-db')).toEqual([]);
  });

  it('keeps a running instance when its snapshot is not available in time, and reuses that snapshot on the next run', async () => {
    // Prepare: an idle running 2,000 GiB instance (its snapshot takes about 1.7 hours here).
    const { env, clock, rds } = rdsEnv();
    rds().instances['staging-reports-db'].allocatedGiB = 2000;
    const yaml = policy('{ type: idle-db-instance, days: 14 }', '{ type: snapshot-and-delete, snapshotTimeoutMinutes: 10, pollSeconds: 60 }');
    // Act
    const first = await env.run(yaml);
    // Assess
    const mine = (r: typeof first) => r.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(mine(first).status).toBe('failed');
    expect(mine(first).error?.message).toMatch(/still creating .*the instance was not deleted/);
    expect(writesOf(env, 'DeleteDBInstance').filter((w) => w.DBInstanceIdentifier === 'staging-reports-db')).toEqual([]);
    clock.advance(2 * HOUR);
    const second = await env.run(yaml);
    expect(mine(second).status).toBe('verified');
    expect(mine(second).after).toMatchObject({ reusedSnapshot: true });
    expect(writesOf(env, 'CreateDBSnapshot').filter((w) => w.DBInstanceIdentifier === 'staging-reports-db')).toHaveLength(1);
  });
});

describe('plans bound to the database and the state that were approved (issue 24, point 2)', () => {
  const approvalYaml = (detector: string, action: string) => policy(detector, action, 'approval');
  /** Plans in approval mode (nothing written), then applies the approved finding after `change` ran. */
  async function approveThenApply(env: ReturnType<typeof testEnv>, yaml: string, id: string, change: () => void) {
    const planned = await env.run(yaml);
    const finding = planned.findings.find((f) => f.resource.id === id && f.outcome === 'awaiting-approval')!;
    expect(finding.plan).toBeDefined();
    change();
    const [p] = policiesFrom(yaml);
    return { finding, record: await applyOne(p, finding, 'dba@example.com', env.deps, 'approval') };
  }

  it('refuses snapshot-and-delete of a database started and used after the approval email, changing nothing', async () => {
    // Prepare: stopped by trimtab 40 days ago under a recorded decision.
    const { env, clock, rds } = rdsEnv();
    await recordStopDecision(env, 'staging-reports-db', new Date(clock.now().getTime() - 40 * DAY).toISOString());
    Object.assign(rds().instances['staging-reports-db'], { status: 'stopped', stoppedAt: clock.now().toISOString() });
    // Act: a person starts it after the email went out; then the approval is applied.
    const { record, finding } = await approveThenApply(env, approvalYaml('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete }'), 'staging-reports-db', () => {
      rds().instances['staging-reports-db'].status = 'available';
    });
    // Assess
    expect(record.status).toBe('skipped');
    expect(record.transitions.at(-1)!.detail).toMatch(/staging-reports-db is now available, not stopped as when the plan was made/);
    expect(finding.status).toBe('protected');
    expect(writesOf(env, 'DeleteDBInstance')).toEqual([]);
    expect(writesOf(env, 'CreateDBSnapshot')).toEqual([]);
  });

  it('refuses snapshot-and-delete of a database replaced under the same identifier (new engine, new class), recording why', async () => {
    // Prepare
    const { env, clock, rds } = rdsEnv();
    await recordStopDecision(env, 'staging-reports-db', new Date(clock.now().getTime() - 40 * DAY).toISOString());
    Object.assign(rds().instances['staging-reports-db'], { status: 'stopped', stoppedAt: clock.now().toISOString() });
    // Act: replaced: deleted and created again under the same name, keeping the tags.
    const { record } = await approveThenApply(env, approvalYaml('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete }'), 'staging-reports-db', () => {
      Object.assign(rds().instances['staging-reports-db'], { createTime: clock.now().toISOString(), engine: 'postgres', dbClass: 'db.r6g.large' });
    });
    // Assess
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(/replaced under the same identifier since the plan; nothing was changed/);
    expect(writesOf(env, 'DeleteDBInstance')).toEqual([]);
  });

  it('refuses stop-db-instance on a database replaced under the same identifier after the approval', async () => {
    // Prepare + Act
    const { env, clock, rds } = rdsEnv();
    const { record } = await approveThenApply(env, approvalYaml('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'), 'staging-reports-db', () => {
      rds().instances['staging-reports-db'].createTime = clock.now().toISOString();
    });
    // Assess
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(/staging-reports-db is now DbiResourceId db-\w+, not db-\w+: replaced/);
    expect(writesOf(env, 'StopDBInstance')).toEqual([]);
    expect(rds().instances['staging-reports-db'].tags[STOP_DECISION_TAG]).toBeUndefined();
  });

  it('refuses stop-db-instance at apply time on a database tagged trimtab:skip after the approval', async () => {
    // Prepare + Act
    const { env, rds } = rdsEnv();
    const { record } = await approveThenApply(env, approvalYaml('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'), 'staging-reports-db', () => {
      rds().instances['staging-reports-db'].tags['trimtab:skip'] = 'owner asked';
    });
    // Assess
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(/is now tagged trimtab:skip/);
    expect(writesOf(env, 'StopDBInstance')).toEqual([]);
  });

  it('refuses restop-db-instance when its decision was undone after the re-stop was proposed', async () => {
    // Prepare: a real stop, AWS's restart 7 days later, the re-stop proposed for approval.
    const { env, clock } = rdsEnv();
    const stop = await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    const decision = stop.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    clock.advance(7 * DAY + HOUR);
    env.sandbox.resetCounters();
    // Act: a person undoes the stop decision in the audit trail meanwhile (as `trimtab undo` records it).
    const { record } = await approveThenApply(env, approvalYaml('{ type: auto-started-db-instance }', '{ type: restop-db-instance }'), 'staging-reports-db', () => {
      env.store.records.get(decision.id)!.status = 'undone';
    });
    // Assess
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(new RegExp(`decision ${decision.id} was undone by a person; nothing was changed`));
    expect(writesOf(env, 'StopDBInstance')).toEqual([]);
  });

  it('refuses snapshot-and-delete at apply time on a database tagged trimtab:skip after the approval', async () => {
    const { env, clock, rds } = rdsEnv();
    await recordStopDecision(env, 'staging-reports-db', new Date(clock.now().getTime() - 40 * DAY).toISOString());
    Object.assign(rds().instances['staging-reports-db'], { status: 'stopped', stoppedAt: clock.now().toISOString() });
    const { record } = await approveThenApply(env, approvalYaml('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete }'), 'staging-reports-db', () => {
      rds().instances['staging-reports-db'].tags['trimtab:skip'] = 'keep';
    });
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(/is now tagged trimtab:skip/);
    expect(writesOf(env, 'DeleteDBInstance')).toEqual([]);
  });

  it('re-checks a running database right before the delete: replaced while its snapshot was taken, it is not deleted and the snapshot is kept', async () => {
    // Prepare: an idle running database; while trimtab waits for the snapshot, it is replaced under the same name.
    const { env, clock, rds } = rdsEnv();
    let replaced = false;
    env.sandbox.faults.failWhen = ({ operation }) => {
      if (operation === 'DescribeDBSnapshots' && !replaced && writesOf(env, 'CreateDBSnapshot').some((w) => w.DBInstanceIdentifier === 'staging-reports-db')) {
        replaced = true;
        rds().instances['staging-reports-db'].createTime = clock.now().toISOString();
      }
      return undefined;
    };
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: snapshot-and-delete }'));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    expect(replaced).toBe(true);
    expect(action.status).toBe('skipped');
    expect(action.error?.message).toMatch(/replaced under the same identifier since the plan; not deleted \(snapshot trimtab-final-staging-reports-db-\d+ kept\)/);
    expect(writesOf(env, 'DeleteDBInstance').filter((w) => w.DBInstanceIdentifier === 'staging-reports-db')).toEqual([]);
  });

  it('refuses modify-storage-gp3 at apply time on a database tagged trimtab:skip after the approval', async () => {
    const { env, rds } = rdsEnv();
    const { record } = await approveThenApply(env, approvalYaml('{ type: gp2-storage }', '{ type: modify-storage-gp3 }'), 'staging-reports-db', () => {
      rds().instances['staging-reports-db'].tags['trimtab:skip'] = 'migration';
    });
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(/is now tagged trimtab:skip/);
    expect(writesOf(env, 'ModifyDBInstance')).toEqual([]);
  });

  it('refuses downsize-db-instance when the class changed since the plan, or the database was tagged trimtab:skip', async () => {
    // Prepare + Act: someone resized analytics-pg after the approval email.
    const { env, rds } = rdsEnv();
    const yaml = approvalYaml('{ type: oversized-db-instance }', '{ type: downsize-db-instance }');
    const resized = await approveThenApply(env, yaml, 'analytics-pg', () => {
      rds().instances['analytics-pg'].dbClass = 'db.r5.4xlarge';
    });
    rds().instances['analytics-pg'].dbClass = 'db.r5.2xlarge';
    const skipped = await approveThenApply(env, yaml, 'analytics-pg', () => {
      rds().instances['analytics-pg'].tags['trimtab:skip'] = 'quarter end';
    });
    // Assess
    expect(resized.record.error?.message).toMatch(/analytics-pg is now db.r5.4xlarge, not db.r5.2xlarge: someone changed it since the scan/);
    expect(skipped.record.error?.message).toMatch(/is now tagged trimtab:skip/);
    expect(writesOf(env, 'ModifyDBInstance')).toEqual([]);
  });

  it('refuses lower-min-capacity when MinCapacity changed since the plan, or the cluster was tagged trimtab:skip', async () => {
    const { env, rds } = rdsEnv();
    const yaml = approvalYaml('{ type: aurora-serverless-min-capacity }', '{ type: lower-min-capacity }');
    const changed = await approveThenApply(env, yaml, 'events-aurora', () => {
      rds().clusters['events-aurora'].minAcu = 6;
    });
    rds().clusters['events-aurora'].minAcu = 8;
    const skipped = await approveThenApply(env, yaml, 'events-aurora', () => {
      rds().clusters['events-aurora'].tags['trimtab:skip'] = 'launch week';
    });
    expect(changed.record.error?.message).toMatch(/events-aurora MinCapacity is now 6, not 8: changed since the scan/);
    expect(skipped.record.error?.message).toMatch(/events-aurora is now tagged trimtab:skip/);
    expect(writesOf(env, 'ModifyDBCluster')).toEqual([]);
  });

  it('refuses stop-db-instance on a database resized since the plan', async () => {
    const { env, rds } = rdsEnv();
    const { record } = await approveThenApply(env, approvalYaml('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'), 'staging-reports-db', () => {
      rds().instances['staging-reports-db'].dbClass = 'db.m5.xlarge';
    });
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(/staging-reports-db is now db.m5.xlarge, not db.m5.large/);
    expect(writesOf(env, 'StopDBInstance')).toEqual([]);
  });
});

describe('forged, copied and restored decisions (issue 24, point 1)', () => {
  const shippedRestop = (mode: 'auto' | 'approval' = 'auto') => {
    const p = loadPolicies('trimtab.yml').policies.find((x) => x.id === 'rds-restop-auto-started')!;
    return [{ ...p, mode, scope: { ...p.scope, regions: ['us-east-1'] } }];
  };

  it('ships the re-stop policy in approval mode', () => {
    expect(loadPolicies('trimtab.yml').policies.find((x) => x.id === 'rds-restop-auto-started')!.mode).toBe('approval');
  });

  it('never stops a busy database whose stop tags are forged, even with the re-stop policy in auto', async () => {
    // Prepare: checkout-db (200 connections, CPU 93 %) tagged by anyone who may tag; stopped-at puts the "restart" today.
    const { env, clock, rds } = rdsEnv();
    const stoppedAt = new Date(clock.now().getTime() - 7 * DAY - HOUR).toISOString();
    Object.assign(rds().instances['checkout-db'].tags, { [STOPPED_AT_TAG]: stoppedAt, [STOP_DECISION_TAG]: 'act-nobody-approved-this', [STOP_DECIDED_AT_TAG]: stoppedAt });
    // Act
    const result = await env.run(shippedRestop('auto'));
    // Assess
    const f = result.findings.find((x) => x.resource.id === 'checkout-db')!;
    expect(f.status).toBe('protected');
    expect(f.outcomeDetail).toMatch(/names act-nobody-approved-this, but the audit trail holds no such action/);
    expect(writesOf(env, 'StopDBInstance')).toEqual([]);
    expect(result.errors).toEqual([]);
  });

  it('never stops a database carrying a real decision copied from another database', async () => {
    // Prepare: staging-reports-db stopped under a real decision; its tags copied onto idle billing-sandbox-db.
    const { env, clock, rds } = rdsEnv();
    const stop = await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    const decision = stop.actions.find((a) => a.resource.id === 'staging-reports-db')!;
    const stopTags = Object.fromEntries(Object.entries(rds().instances['staging-reports-db'].tags).filter(([k]) => k.startsWith('trimtab:')));
    const billing = rds().instances['billing-sandbox-db'];
    if (billing.phases) billing.phases = undefined;
    billing.status = 'available';
    Object.assign(billing.tags, stopTags);
    clock.advance(7 * DAY + HOUR);
    env.sandbox.resetCounters();
    // Act
    const result = await env.run(shippedRestop('auto'));
    // Assess
    const copied = result.findings.find((x) => x.resource.id === 'billing-sandbox-db')!;
    expect(copied.status).toBe('protected');
    expect(copied.outcomeDetail).toMatch(new RegExp(`decision ${decision.id} was made for arn:aws:rds:us-east-1:\\d+:db:staging-reports-db`));
    // qa-perf-db was stopped by the first run under its own recorded decision: re-stopped rightly.
    expect(writesOf(env, 'StopDBInstance').map((w) => w.DBInstanceIdentifier).sort()).toEqual(['qa-perf-db', 'staging-reports-db']);
  });

  it('never stops a database restored from a snapshot that carries the decision tags, under the same name', async () => {
    // Prepare: staging-reports-db stopped under a real decision, snapshotted with its tags, deleted, restored.
    const { env, clock, rds } = rdsEnv();
    await env.run(policy('{ type: idle-db-instance, days: 14 }', '{ type: stop-db-instance }'));
    const writer = env.clients.withWrites(true).get(RDSClient, 'us-east-1');
    clock.advance(7 * DAY + HOUR);
    await writer.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'staging-reports-db', DBSnapshotIdentifier: 'copy-with-tags', Tags: Object.entries(rds().instances['staging-reports-db'].tags).map(([Key, Value]) => ({ Key, Value })) }));
    clock.advance(HOUR);
    delete rds().instances['staging-reports-db'];
    const tags = rds().snapshots['copy-with-tags'].tags;
    await writer.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'staging-reports-db', DBSnapshotIdentifier: 'copy-with-tags', DBInstanceClass: 'db.m5.large', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    clock.advance(HOUR);
    env.sandbox.resetCounters();
    // Act
    const result = await env.run(shippedRestop('auto'));
    // Assess
    const f = result.findings.find((x) => x.resource.id === 'staging-reports-db')!;
    expect(f.status).toBe('protected');
    expect(f.outcomeDetail).toMatch(/was made for the database with DbiResourceId db-\w+; staging-reports-db is now db-\w+ \(re-created or restored under the same name\)/);
    expect(writesOf(env, 'StopDBInstance').map((w) => w.DBInstanceIdentifier)).not.toContain('staging-reports-db');
  });

  it('protects, with the reason, a database whose stopped-at tag is not a date, and still lists every other database', async () => {
    // Prepare: a real decision on qa-perf-db, its stopped-at tag garbled.
    const { env, clock, rds } = rdsEnv();
    await recordStopDecision(env, 'qa-perf-db', new Date(clock.now().getTime() - 8 * DAY).toISOString());
    rds().instances['qa-perf-db'].tags[STOPPED_AT_TAG] = 'last tuesday';
    const yaml = `
version: 1
policies:
  - { id: restop, resource: rds-instance, detector: { type: auto-started-db-instance }, action: { type: restop-db-instance }, mode: auto, scope: { regions: [us-east-1] } }
  - { id: idle, resource: rds-instance, detector: { type: idle-db-instance, days: 14 }, scope: { regions: [us-east-1] } }
`;
    // Act
    const result = await env.run(yaml);
    // Assess
    expect(result.errors).toEqual([]);
    const f = result.findings.find((x) => x.policy === 'restop' && x.resource.id === 'qa-perf-db')!;
    expect(f.status).toBe('protected');
    expect(f.outcomeDetail).toMatch(/trimtab:stopped-at is "last tuesday", not a date/);
    expect(result.findings.filter((x) => x.policy === 'idle').map((x) => x.resource.id)).toContain('staging-reports-db');
    expect(writesOf(env, 'StopDBInstance')).toEqual([]);
  });

  it('protects a stopped database whose decided-at is garbage and whose decision has no record, never asking to delete it', async () => {
    // Prepare: the chain of issue 24: forged tags on a stopped database.
    const { env, clock, rds } = rdsEnv();
    const i = rds().instances['staging-reports-db'];
    Object.assign(i, { status: 'stopped', stoppedAt: clock.now().toISOString() });
    Object.assign(i.tags, { [STOPPED_AT_TAG]: '2026-01-01T00:00:00.000Z', [STOP_DECISION_TAG]: 'act-nobody-approved-this', [STOP_DECIDED_AT_TAG]: 'garbage' });
    // Act
    const result = await env.run(policy('{ type: idle-db-instance, days: 30, stoppedByTrimtab: true }', '{ type: snapshot-and-delete }', 'approval'));
    // Assess
    const f = result.findings.find((x) => x.resource.id === 'staging-reports-db')!;
    expect(f.status).toBe('protected');
    expect(f.outcome).not.toBe('awaiting-approval');
    expect(f.reason).not.toMatch(/Stopped by trimtab since/);
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

  it('refuses RestoreDBInstanceFromDBSnapshot with both MultiAZ and an AvailabilityZone, and restores Multi-AZ without one', async () => {
    // Prepare
    const { env, clock, rds: state } = rdsEnv();
    const rds = env.clients.withWrites(true).get(RDSClient, 'us-east-1');
    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'qa-perf-db', DBSnapshotIdentifier: 'qa-snap' }));
    clock.advance(HOUR);
    // Act + Assess
    await expect(rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'qa-copy', DBSnapshotIdentifier: 'qa-snap', MultiAZ: true, AvailabilityZone: 'us-east-1a' }))).rejects.toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringMatching(/availability zone is not valid for Multi-AZ/) });
    expect(state().instances['qa-copy']).toBeUndefined();
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'qa-copy', DBSnapshotIdentifier: 'qa-snap', MultiAZ: true }));
    expect(state().instances['qa-copy'].multiAz).toBe(true);
  });

  it('refuses StopDBInstance on an RDS for SQL Server Multi-AZ instance, leaving it available', async () => {
    // Prepare
    const { env, rds: state } = rdsEnv();
    const rds = env.clients.withWrites(true).get(RDSClient, 'us-east-1');
    state().instances['staging-reports-db'].engine = 'sqlserver-se';
    state().instances['staging-reports-db'].multiAz = true;
    // Act + Assess
    await expect(rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'staging-reports-db' }))).rejects.toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringMatching(/SQL Server in a Multi-AZ configuration/) });
    const after = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'staging-reports-db' }));
    expect(after.DBInstances?.[0]?.DBInstanceStatus).toBe('available');
  });

  it('refuses CreateDBSnapshot of a stopped instance, Iops on gp3 under 400 GiB, and MinCapacity 0 on a version without automatic pause', async () => {
    // Prepare
    const { env, clock, rds: state } = rdsEnv();
    const rds = env.clients.withWrites(true).get(RDSClient, 'us-east-1');
    state().instances['staging-reports-db'].status = 'stopped';
    state().clusters['events-aurora'].engineVersion = '15.4';
    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'qa-perf-db', DBSnapshotIdentifier: 'qa-snap' }));
    clock.advance(HOUR);
    // Act + Assess
    await expect(rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'staging-reports-db', DBSnapshotIdentifier: 's1' }))).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    await expect(rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'qa-copy', DBSnapshotIdentifier: 'qa-snap', StorageType: 'gp3', Iops: 3000, StorageThroughput: 125 }))).rejects.toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringMatching(/storage size less than 400/) });
    await expect(rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: 'events-aurora', ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 32 } }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(state().instances['qa-copy']).toBeUndefined();
    expect(state().clusters['events-aurora'].minAcu).toBe(8);
  });
});
