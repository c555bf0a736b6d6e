/**
 * rds-instance detectors and class/price helpers: pure, over hand-built databases.
 */
import { describe, expect, it } from 'vitest';
import type { ActionRecord, DetectEnv, Detection } from '../../../../lib/engine/types.ts';
import { classSpec, gp3Included, instanceMonthly, nextSmallerClass, storageMonthly, successorOf } from '../../../../lib/resources/rds-instance/classes.ts';
import {
  auroraServerlessMinCapacity,
  autoStartedDbInstance,
  gp2Storage,
  idleDbInstance,
  oversizedDbInstance,
  previousGenerationClass,
  saturatedDbInstance,
} from '../../../../lib/resources/rds-instance/detectors.ts';
import type { AuroraCluster, RdsDay, RdsInstance } from '../../../../lib/resources/rds-instance/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { systemClock } from '../../../../lib/util/clock.ts';

const NOW = new Date('2026-11-15T12:00:00Z');
const GIB = 1024 ** 3;
const env: DetectEnv = { ctx: { account: '1', region: 'us-east-1', clients: undefined as never, now: NOW, clock: systemClock, prices: DEFAULT_PRICES, log: () => {} }, prepared: {} };

function days(n: number, day: Partial<RdsDay>): RdsDay[] {
  return Array.from({ length: n }, (_, i) => ({
    day: new Date(NOW.getTime() - (n - i) * 86_400_000).toISOString().slice(0, 10),
    connectionsMax: 0,
    cpuP95: 5,
    freeableMemoryMinBytes: 6 * GIB,
    readIopsP95: 10,
    writeIopsP95: 10,
    ...day,
  }));
}

function instance(over: Partial<RdsInstance> = {}): RdsInstance {
  return {
    kind: 'instance',
    id: 'db1',
    arn: 'arn:aws:rds:us-east-1:1:db:db1',
    resourceId: 'db-AAAAAAAAAAAAAAAAAAAAAAAAAA',
    engine: 'mysql',
    dbClass: 'db.m5.large',
    status: 'available',
    storageType: 'gp3',
    allocatedGiB: 100,
    multiAz: false,
    deletionProtection: false,
    createTime: '2025-01-01T00:00:00.000Z',
    readReplicas: [],
    securityGroups: ['sg-1'],
    pending: {},
    tags: {},
    metrics: { windowDays: 14, days: days(14, {}) },
    ...over,
  };
}

const DECISION = 'act-mhg0abcd-0123abcd';

/** The audit record of an approved, verified stop of `db` decided at `at`: what a real stop leaves. */
function stopRecord(db: RdsInstance, at: string, over: Partial<ActionRecord> = {}): ActionRecord {
  return {
    id: DECISION,
    findingId: 'f1',
    policy: 'rds-idle-stop',
    resource: { type: 'rds-instance', id: db.id, arn: db.arn, account: '1', region: 'us-east-1', tags: {} },
    action: 'stop-db-instance',
    summary: `Stop ${db.id}`,
    params: { dbInstanceIdentifier: db.id, arn: db.arn, dbiResourceId: db.resourceId },
    planHash: 'h1',
    mode: 'approval',
    actor: 'dba@example.com',
    status: 'verified',
    transitions: [
      { status: 'planned', at },
      { status: 'applied', at },
      { status: 'verified', at },
    ],
    before: { instance: db },
    estimatedMonthlySavingsUsd: 124.83,
    undo: { supported: 'yes', how: 'start it' },
    ...over,
  };
}

/** The database as enrich hands it to detectors: its decision tag resolved against the audit trail. */
const withDecision = (db: RdsInstance, record: ActionRecord | null): RdsInstance => ({ ...db, decision: { id: db.tags['trimtab:stop-decision'], record } });

const detect = (d: { detect?: (...a: any[]) => unknown }, db: unknown, options: Record<string, unknown>) => d.detect!(db, options, env) as Detection | undefined;

describe('RDS classes and prices', () => {
  it('knows sizes, the next size down, and previous-generation successors', () => {
    expect(classSpec('db.r5.2xlarge')).toEqual({ family: 'r5', size: '2xlarge', vcpu: 8, memoryGiB: 64, burstable: false });
    expect(classSpec('db.t3.medium')).toMatchObject({ vcpu: 2, memoryGiB: 4, burstable: true });
    expect(classSpec('db.serverless')).toBeUndefined();
    expect(nextSmallerClass('db.m6i.xlarge')).toBe('db.m6i.large');
    expect(nextSmallerClass('db.m5.large')).toBeUndefined();
    expect(nextSmallerClass('db.t3.large')).toBeUndefined();
    expect(successorOf('db.m4.xlarge')).toEqual({ successor: 'db.m6i.xlarge', graviton: 'db.m6g.xlarge' });
    expect(successorOf('db.t2.small')).toEqual({ successor: 'db.t3.small' });
    expect(successorOf('db.m5.large')).toBeUndefined();
  });

  it('prices instances by engine family and bills the Multi-AZ standby', () => {
    expect(instanceMonthly(DEFAULT_PRICES, 'mariadb', 'db.m5.large', false)!.monthlyUsd).toBeCloseTo(0.171 * 730, 6);
    expect(instanceMonthly(DEFAULT_PRICES, 'postgres', 'db.m5.large', true)!.monthlyUsd).toBeCloseTo(0.178 * 730 * 2, 6);
    expect(instanceMonthly(DEFAULT_PRICES, 'aurora-postgresql', 'db.r6g.large', false)!.monthlyUsd).toBeCloseTo(0.26 * 730, 6);
    expect(instanceMonthly(DEFAULT_PRICES, 'sqlserver-se', 'db.m5.large', false)!.monthlyUsd).toBeCloseTo(0.977 * 730, 6);
  });

  it('gives gp3 its engine-dependent baseline: 12,000 IOPS from 400 GiB, 200 GiB for Oracle, never for SQL Server', () => {
    expect(gp3Included('postgres', 399)).toEqual({ iops: 3000, throughput: 125 });
    expect(gp3Included('mysql', 400)).toEqual({ iops: 12_000, throughput: 500 });
    expect(gp3Included('oracle-ee', 200)).toEqual({ iops: 12_000, throughput: 500 });
    expect(gp3Included('sqlserver-se', 4000)).toEqual({ iops: 3000, throughput: 125 });
    expect(storageMonthly({ storageType: 'gp3', allocatedGiB: 500, iops: 15_000, multiAz: false, engine: 'mysql' }, DEFAULT_PRICES).monthlyUsd).toBeCloseTo(500 * 0.115 + 3000 * 0.02, 6);
  });
});

describe('idle-db-instance', () => {
  it('flags an available instance with no connection on any of the last N days, saving its instance hours', () => {
    const d = detect(idleDbInstance, instance(), { days: 14, stoppedByTrimtab: false })!;
    expect(d.status).toBeUndefined();
    expect(d.savings!.monthlyUsd).toBeCloseTo(124.83, 2);
    expect(d.savings!.basis.join(' ')).toMatch(/starts a stopped instance again after 7 days/);
  });

  it('does not flag an instance with one connection, and protects one with too little data', () => {
    const used = instance({ metrics: { windowDays: 14, days: days(14, {}).map((x, i) => (i === 3 ? { ...x, connectionsMax: 1 } : x)) } });
    expect(detect(idleDbInstance, used, { days: 14, stoppedByTrimtab: false })).toBeUndefined();
    const gaps = instance({ metrics: { windowDays: 14, days: days(14, {}).map((x, i) => (i < 4 ? { ...x, connectionsMax: null } : x)) } });
    const d = detect(idleDbInstance, gaps, { days: 14, stoppedByTrimtab: false })!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toBe('too little data: DatabaseConnections on 10 of the last 14 days');
  });

  it('protects read replicas, replication sources, Aurora members and instances mid-maintenance', () => {
    const options = { days: 14, stoppedByTrimtab: false };
    expect(detect(idleDbInstance, instance({ readReplicaSource: 'src' }), options)!.evidence.protection).toBe('a read replica of src');
    expect(detect(idleDbInstance, instance({ readReplicas: ['r1'] }), options)!.evidence.protection).toBe('the replication source of r1');
    expect(detect(idleDbInstance, instance({ clusterId: 'c1', isClusterWriter: true }), options)!.evidence.protection).toBe('the writer of Aurora cluster c1');
    expect(detect(idleDbInstance, instance({ clusterId: 'c1', isClusterWriter: false }), options)!.evidence.protection).toMatch(/stopped and deleted with their cluster/);
    expect(detect(idleDbInstance, instance({ status: 'backing-up' }), options)!.evidence.protection).toMatch(/status is backing-up/);
  });

  it('protects an idle RDS for SQL Server Multi-AZ instance from a stop, which AWS refuses, but not a single-AZ one', () => {
    // Prepare
    const options = { days: 14, stoppedByTrimtab: false };
    // Act
    const multiAz = detect(idleDbInstance, instance({ engine: 'sqlserver-se', multiAz: true }), options)!;
    const singleAz = detect(idleDbInstance, instance({ engine: 'sqlserver-se', multiAz: false }), options)!;
    const mysqlMultiAz = detect(idleDbInstance, instance({ engine: 'mysql', multiAz: true }), options)!;
    // Assess
    expect(multiAz.status).toBe('protected');
    expect(multiAz.evidence.protection).toBe('an RDS for SQL Server Multi-AZ instance: AWS cannot stop SQL Server in a Multi-AZ configuration');
    expect(singleAz.status).not.toBe('protected');
    expect(singleAz.evidence.protection).toBeUndefined();
    expect(mysqlMultiAz.evidence.protection).toBeUndefined();
  });

  it('with stoppedByTrimtab, flags only instances stopped under a verified decision at least N days old', () => {
    const options = { days: 30, stoppedByTrimtab: true };
    const tags = { 'trimtab:stopped-at': '2026-10-01T00:00:00.000Z', 'trimtab:stop-decision': DECISION };
    const old = instance({ status: 'stopped', metrics: undefined, tags });
    expect(detect(idleDbInstance, withDecision(old, stopRecord(old, '2026-10-01T00:00:00.000Z')), options)!.evidence.stoppedDays).toBe(45);
    expect(detect(idleDbInstance, withDecision(old, stopRecord(old, '2026-11-01T00:00:00.000Z')), options)).toBeUndefined();
    expect(detect(idleDbInstance, instance({ status: 'stopped', metrics: undefined }), options)).toBeUndefined();
    expect(detect(idleDbInstance, instance(), options)).toBeUndefined();
  });

  it('counts from the decision record, not from the last weekly re-stop nor a decided-at tag', () => {
    const tags = { 'trimtab:stopped-at': '2026-11-13T00:00:00.000Z', 'trimtab:stop-decided-at': '2020-01-01T00:00:00.000Z', 'trimtab:stop-decision': DECISION };
    const db = instance({ status: 'stopped', metrics: undefined, tags });
    const d = detect(idleDbInstance, withDecision(db, stopRecord(db, '2026-10-06T12:00:00.000Z')), { days: 30, stoppedByTrimtab: true })!;
    expect(d.evidence).toMatchObject({ stoppedDays: 40, stopDecision: DECISION, decisionVerified: true });
    expect(d.status).toBeUndefined();
  });

  it('protects a stopped instance whose decision tags are forged, never asking to delete it', () => {
    // Prepare: stopped-at and decided-at garbage or old, a decision id with no record (the attack of issue 24).
    const options = { days: 30, stoppedByTrimtab: true };
    const forged = instance({ status: 'stopped', metrics: undefined, tags: { 'trimtab:stopped-at': 'yesterday-ish', 'trimtab:stop-decided-at': 'garbage', 'trimtab:stop-decision': 'act-nobody-approved-this' } });
    // Act
    const d = detect(idleDbInstance, withDecision(forged, null), options)!;
    // Assess
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toMatch(/names act-nobody-approved-this, but the audit trail holds no such action/);
    expect(d.reason).not.toMatch(/Stopped by trimtab/);
  });

  it('judges an available instance with an unverified decision tag on its use, not as re-stop territory', () => {
    const db = instance({ tags: { 'trimtab:stop-decision': 'act-nobody-approved-this', 'trimtab:stopped-at': '2026-11-01T00:00:00.000Z' } });
    expect(detect(idleDbInstance, withDecision(db, null), { days: 14, stoppedByTrimtab: false })!.status).toBeUndefined();
    expect(detect(idleDbInstance, withDecision(db, stopRecord(db, '2026-11-01T00:00:00.000Z')), { days: 14, stoppedByTrimtab: false })).toBeUndefined();
  });
});

describe('auto-started-db-instance', () => {
  const tags = { 'trimtab:stopped-at': '2026-11-05T00:00:00.000Z', 'trimtab:stop-decision': DECISION, 'trimtab:stop-decided-at': '2026-11-05T00:00:00.000Z' };
  const restarted = (over: Partial<RdsInstance> = {}, record?: Partial<ActionRecord> | null) => {
    const db = instance({ tags, ...over });
    return withDecision(db, record === null ? null : stopRecord(db, '2026-11-05T00:00:00.000Z', record));
  };

  it('flags an instance AWS restarted 7 days after trimtab stopped it, under the decision verified in the audit trail', () => {
    const d = detect(autoStartedDbInstance, restarted(), { maxWeeks: 8 })!;
    expect(d.status).toBeUndefined();
    expect(d.evidence).toMatchObject({ decision: DECISION, decidedBy: 'dba@example.com', autoStartedAbout: '2026-11-12T00:00:00.000Z' });
  });

  it('leaves alone an instance started before the 7 days (a person did) or used since the restart', () => {
    expect(detect(autoStartedDbInstance, restarted({ tags: { ...tags, 'trimtab:stopped-at': '2026-11-10T00:00:00.000Z' } }), { maxWeeks: 8 })).toBeUndefined();
    const used = restarted({ metrics: { windowDays: 14, days: days(14, {}).map((x) => (x.day === '2026-11-13' ? { ...x, connectionsMax: 3 } : x)) } });
    expect(detect(autoStartedDbInstance, used, { maxWeeks: 8 })).toBeUndefined();
  });

  it('protects a busy instance whose decision tags name no audit record (forged tags)', () => {
    // Prepare: the attack: stop tags set by anyone who may tag, on a busy database.
    const busy = instance({ tags: { 'trimtab:stopped-at': '2026-11-08T00:00:00.000Z', 'trimtab:stop-decision': 'act-nobody-approved-this', 'trimtab:stop-decided-at': '2026-11-08T00:00:00.000Z' }, metrics: { windowDays: 8, days: days(8, { connectionsMax: 200, cpuP95: 93 }) } });
    // Act
    const d = detect(autoStartedDbInstance, withDecision(busy, null), { maxWeeks: 8 })!;
    // Assess
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toMatch(/holds no such action: a tag alone is never a decision/);
  });

  it('protects an instance carrying a real decision copied from another database (another ARN)', () => {
    const other = instance({ id: 'db2', arn: 'arn:aws:rds:us-east-1:1:db:db2', resourceId: 'db-BBBBBBBBBBBBBBBBBBBBBBBBBB' });
    const d = detect(autoStartedDbInstance, withDecision(instance({ tags }), stopRecord(other, '2026-11-05T00:00:00.000Z')), { maxWeeks: 8 })!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toMatch(/made for arn:aws:rds:us-east-1:1:db:db2, not arn:aws:rds:us-east-1:1:db:db1/);
  });

  it('protects an instance restored from a snapshot under the same name: same ARN, new DbiResourceId', () => {
    const original = instance({ tags });
    const restored = withDecision(instance({ tags, resourceId: 'db-RESTOREDRESTOREDRESTORED12' }), stopRecord(original, '2026-11-05T00:00:00.000Z'));
    const d = detect(autoStartedDbInstance, restored, { maxWeeks: 8 })!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toMatch(/DbiResourceId db-AAAAAAAAAAAAAAAAAAAAAAAAAA; db1 is now db-RESTOREDRESTOREDRESTORED12/);
  });

  it('protects under a decision that was undone, failed, or is another kind of action', () => {
    expect(detect(autoStartedDbInstance, restarted({}, { status: 'undone' }), { maxWeeks: 8 })!.evidence.protection).toMatch(/was undone/);
    expect(detect(autoStartedDbInstance, restarted({}, { status: 'failed' }), { maxWeeks: 8 })!.evidence.protection).toMatch(/is failed, not a verified stop/);
    expect(detect(autoStartedDbInstance, restarted({}, { action: 'modify-storage-gp3' }), { maxWeeks: 8 })!.evidence.protection).toMatch(/modify-storage-gp3 action, not a stop-db-instance/);
  });

  it('protects, and says why, when stopped-at is not a date; maxWeeks counts from the record whatever decided-at says', () => {
    // Prepare
    const garbage = restarted({ tags: { ...tags, 'trimtab:stopped-at': 'not-a-date' } });
    const oldDecision = withDecision(instance({ tags: { ...tags, 'trimtab:stop-decided-at': 'garbage' } }), stopRecord(instance({ tags }), '2026-08-01T00:00:00.000Z'));
    // Act
    const a = () => detect(autoStartedDbInstance, garbage, { maxWeeks: 8 });
    const b = detect(autoStartedDbInstance, oldDecision, { maxWeeks: 8 })!;
    // Assess: no exception (it would abort the region's listing), no NaN weeks.
    expect(a).not.toThrow();
    expect(a()!.status).toBe('protected');
    expect(a()!.evidence.protection).toMatch(/trimtab:stopped-at is "not-a-date", not a date/);
    expect(b.status).toBe('protected');
    expect(b.evidence.protection).toMatch(/is 15 weeks old \(maxWeeks 8\)/);
  });

  it('keeps the last complete metrics day in the usage window, however recent stopped-at claims the stop was', () => {
    // Prepare: a real decision; stopped-at set so the restart falls today; the database was busy yesterday.
    const stoppedAt = new Date(NOW.getTime() - 7 * 86_400_000 - 3_600_000).toISOString();
    const busyYesterday = days(8, {}).map((x, i, all) => (i === all.length - 1 ? { ...x, connectionsMax: 150 } : x));
    const db = restarted({ tags: { ...tags, 'trimtab:stopped-at': stoppedAt }, metrics: { windowDays: 8, days: busyYesterday } });
    // Act + Assess
    expect(detect(autoStartedDbInstance, db, { maxWeeks: 8 })).toBeUndefined();
  });
});

describe('gp2-storage', () => {
  it('reports gp2 → gp3 as a performance gain at the same price below 4,000 GiB', () => {
    const d = detect(gp2Storage, instance({ storageType: 'gp2', allocatedGiB: 100 }), {})!;
    expect(d.savings!.monthlyUsd).toBe(0);
    expect(d.benefit).toEqual(['performance']);
    expect(d.risk!.summary).toMatch(/sustains 300 IOPS .* gp3 sustains 3000 IOPS/);
    expect(d.evidence.gp3).toMatchObject({ iops: 3000, provisionedIops: false });
  });

  it('above 4,000 GiB provisions gp3 IOPS to match the gp2 baseline, and skips it when that costs more', () => {
    const d = detect(gp2Storage, instance({ storageType: 'gp2', allocatedGiB: 5000 }), {});
    // gp2 5,000 GiB: 15,000 IOPS baseline; gp3 needs 3,000 IOPS above the 12,000 included, which costs more.
    expect(d).toBeUndefined();
  });

  it('protects an instance whose storage is optimizing, and leaves Aurora alone', () => {
    const d = detect(gp2Storage, instance({ storageType: 'gp2', storageOperation: { status: 'Optimizing', progress: 40 } }), {})!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toMatch(/Optimizing \(40%\).*6 hours/);
    expect(detect(gp2Storage, instance({ storageType: 'gp2', clusterId: 'c' }), {})).toBeUndefined();
  });
});

describe('oversized-db-instance', () => {
  const options = { windowDays: 14, maxCpuP95Percent: 30, minFreeMemoryPercent: 60 };

  it('proposes the next size down when CPU p95 is low and memory ample on every day', () => {
    const db = instance({ dbClass: 'db.r5.2xlarge', engine: 'postgres', metrics: { windowDays: 14, days: days(14, { cpuP95: 12, freeableMemoryMinBytes: 48 * GIB }) } });
    const d = detect(oversizedDbInstance, db, options)!;
    expect(d.evidence.candidate).toBe('db.r5.xlarge');
    expect(d.savings!.monthlyUsd).toBeCloseTo(365, 6);
  });

  it('does not size down on high CPU, tight memory, missing days or a burstable class', () => {
    const m = (day: Partial<RdsDay>, n = 14) => ({ windowDays: 14, days: days(n, day) });
    expect(detect(oversizedDbInstance, instance({ dbClass: 'db.m5.xlarge', metrics: m({ cpuP95: 31, freeableMemoryMinBytes: 12 * GIB }) }), options)).toBeUndefined();
    expect(detect(oversizedDbInstance, instance({ dbClass: 'db.m5.xlarge', metrics: m({ cpuP95: 10, freeableMemoryMinBytes: 9 * GIB }) }), options)).toBeUndefined();
    expect(detect(oversizedDbInstance, instance({ dbClass: 'db.m5.xlarge', metrics: m({ cpuP95: 10, freeableMemoryMinBytes: 12 * GIB }, 10) }), options)).toBeUndefined();
    expect(detect(oversizedDbInstance, instance({ dbClass: 'db.t3.xlarge', metrics: m({ cpuP95: 2, freeableMemoryMinBytes: 15 * GIB }) }), options)).toBeUndefined();
  });
});

describe('previous-generation-class', () => {
  it('names the successor, the Graviton alternative and the saving', () => {
    const d = detect(previousGenerationClass, instance({ dbClass: 'db.m4.xlarge', engine: 'postgres' }), {})!;
    expect(d.evidence).toMatchObject({ successor: 'db.m6i.xlarge', graviton: 'db.m6g.xlarge', candidate: 'db.m6i.xlarge' });
    expect(d.savings!.monthlyUsd).toBeCloseTo((0.365 - 0.356) * 730, 6);
    expect(d.savings!.basis.join(' ')).toMatch(/Graviton alternative db\.m6g\.xlarge/);
  });
});

describe('aurora-serverless-min-capacity', () => {
  const cluster = (over: Partial<AuroraCluster> = {}): AuroraCluster => ({
    kind: 'cluster',
    id: 'c1',
    arn: 'arn:aws:rds:us-east-1:1:cluster:c1',
    engine: 'aurora-postgresql',
    status: 'available',
    deletionProtection: false,
    serverlessV2: { minAcu: 8, maxAcu: 32 },
    members: [{ id: 'c1-1', writer: true }],
    serverlessInstances: 2,
    tags: {},
    metrics: { windowDays: 14, days: days(14, { capacityMaxAcu: 8, cpuP95: 6 }) },
    ...over,
  });
  const options = { windowDays: 14, floorAcu: 0.5, maxCpuP95Percent: 25 };

  it('halves a minimum that binds every day with low CPU, priced per db.serverless instance', () => {
    const d = detect(auroraServerlessMinCapacity, cluster(), options)!;
    expect(d.evidence.candidate).toBe(4);
    expect(d.savings!.monthlyUsd).toBeCloseTo(4 * 2 * 730 * 0.12, 6);
  });

  it('leaves a cluster that scales above its minimum, one with busy CPU, and a floor already at 0.5', () => {
    expect(detect(auroraServerlessMinCapacity, cluster({ metrics: { windowDays: 14, days: days(14, { capacityMaxAcu: 12, cpuP95: 6 }) } }), options)).toBeUndefined();
    expect(detect(auroraServerlessMinCapacity, cluster({ metrics: { windowDays: 14, days: days(14, { capacityMaxAcu: 8, cpuP95: 60 }) } }), options)).toBeUndefined();
    expect(detect(auroraServerlessMinCapacity, cluster({ serverlessV2: { minAcu: 0.5, maxAcu: 4 }, metrics: { windowDays: 14, days: days(14, { capacityMaxAcu: 0.5 }) } }), options)).toBeUndefined();
  });

  it('proposes 0 ACU with floorAcu 0 only on engine versions that support automatic pause', () => {
    // Prepare: a 0.5 ACU minimum that binds every day.
    const low = (engineVersion: string, engine = 'aurora-postgresql') => cluster({ engine, engineVersion, serverlessV2: { minAcu: 0.5, maxAcu: 8 }, metrics: { windowDays: 14, days: days(14, { capacityMaxAcu: 0.5, cpuP95: 5 }) } });
    const zero = { ...options, floorAcu: 0 };
    // Act + Assess
    expect(detect(auroraServerlessMinCapacity, low('16.4'), zero)!.evidence.candidate).toBe(0);
    expect(detect(auroraServerlessMinCapacity, low('8.0.mysql_aurora.3.08.0', 'aurora-mysql'), zero)!.evidence.candidate).toBe(0);
    // AWS refuses MinCapacity 0 on these versions: 0.5 is already their lowest minimum.
    expect(detect(auroraServerlessMinCapacity, low('15.4'), zero)).toBeUndefined();
    expect(detect(auroraServerlessMinCapacity, low('8.0.mysql_aurora.3.05.2', 'aurora-mysql'), zero)).toBeUndefined();
    expect(detect(auroraServerlessMinCapacity, low('13.9'), zero)).toBeUndefined();
  });
});

describe('saturated-db-instance', () => {
  it('is a performance finding with a risk statement, recommending a read replica when reads dominate', () => {
    const db = instance({ metrics: { windowDays: 14, days: days(14, { cpuP95: 95, readIopsP95: 2800, writeIopsP95: 300 }) } });
    const d = detect(saturatedDbInstance, db, { windowDays: 14, cpuP95Percent: 90, readIopsPercent: 90, minDays: 3 })!;
    expect(d.benefit).toEqual(['performance']);
    expect(d.risk!.evidence).toMatchObject({ cpuSaturatedDays: 14, ioSaturatedDays: 14 });
    expect(d.evidence.recommendation).toBe('add a read replica and send reads to it, or move to db.m5.xlarge');
    expect(d.savings!.monthlyUsd).toBe(0);
  });

  it('does not flag fewer saturated days than minDays', () => {
    const db = instance({ metrics: { windowDays: 14, days: days(14, {}).map((x, i) => (i < 2 ? { ...x, cpuP95: 99 } : x)) } });
    expect(detect(saturatedDbInstance, db, { windowDays: 14, cpuP95Percent: 90, readIopsPercent: 90, minDays: 3 })).toBeUndefined();
  });
});
