/**
 * The RDS part of the "small company" scenario, with hourly AWS/RDS metrics for 30 days.
 * Waste: an idle staging database on gp2, a previous-generation class, an oversized analytics
 * database, a large gp2 database, an Aurora Serverless v2 cluster whose minimum never lets it
 * scale down, and a saturated database (performance). Traps: two databases carrying trimtab's
 * stop tags with no audit record behind them (`qa-perf-db`, stopped 8 days ago and restarted by
 * AWS; `old-reporting-db`, stopped 35 days ago): a tag is never a decision, so neither is
 * re-stopped or offered for deletion (tests record real decisions when they need one); an idle read replica, an idle database tagged
 * trimtab:skip, an idle database mid-backup (backing-up), an idle database created 3 days ago,
 * an idle database with deletion protection (stop yes, delete no), the writer of an Aurora
 * cluster, a gp2 database whose storage is still optimizing, a burstable (t3) database with
 * low CPU, and a Serverless v2 cluster that does scale above its minimum.
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import { rdsState, type SandboxDbInstance } from '../../sandbox/services/rds.ts';
import { classSpec } from './classes.ts';
import { STOP_DECIDED_AT_TAG, STOP_DECISION_TAG, STOPPED_AT_TAG } from './detectors.ts';

const GIB = 1024 ** 3;

export interface DbSeed {
  id: string;
  engine?: string;
  /** LicenseModel (Oracle: license-included or bring-your-own-license); default the engine's. */
  licenseModel?: string;
  dbClass: string;
  storageType?: string;
  allocatedGiB?: number;
  iops?: number;
  multiAz?: boolean;
  ageDays?: number;
  tags?: Record<string, string>;
  deletionProtection?: boolean;
  clusterId?: string;
  readReplicaSource?: string;
  readReplicas?: string[];
  status?: string;
  /** Metrics: connections, CPU percent, free memory as a fraction of the class's memory, IOPS. */
  connections?: number;
  cpu?: number;
  cpuAmplitude?: number;
  freeMemory?: number;
  readIops?: number;
  writeIops?: number;
  region?: string;
}

const hourly = (base: number, extra: Partial<SeriesSpec> = {}): SeriesSpec => ({ resolutionSeconds: 3600, base, min: 0, ...extra });

/** Adds one DB instance and its AWS/RDS metrics; returns the instance. */
export function seedDbInstance(sandbox: Sandbox, accountId: string, spec: DbSeed): SandboxDbInstance {
  const region = spec.region ?? 'us-east-1';
  const now = sandbox.now();
  const created = daysAgo(now, spec.ageDays ?? 400).toISOString();
  const engine = spec.engine ?? 'mysql';
  const i: SandboxDbInstance = {
    id: spec.id,
    engine,
    engineVersion: engine.includes('postgres') ? '16.4' : '8.0.39',
    dbClass: spec.dbClass,
    ...(spec.licenseModel ? { licenseModel: spec.licenseModel } : {}),
    status: spec.status ?? 'available',
    storageType: spec.storageType ?? (engine.startsWith('aurora') ? 'aurora' : 'gp3'),
    allocatedGiB: spec.allocatedGiB ?? (engine.startsWith('aurora') ? 1 : 100),
    ...(spec.iops !== undefined ? { iops: spec.iops } : {}),
    multiAz: spec.multiAz ?? false,
    deletionProtection: spec.deletionProtection ?? false,
    createTime: created,
    availabilityZone: `${region}a`,
    ...(spec.clusterId ? { clusterId: spec.clusterId } : {}),
    ...(spec.readReplicaSource ? { readReplicaSource: spec.readReplicaSource } : {}),
    ...(spec.readReplicas ? { readReplicas: spec.readReplicas } : {}),
    subnetGroup: 'acme-db-private',
    parameterGroup: `acme-${engine}`,
    securityGroups: ['sg-0db0acme00000001'],
    maintenanceWindow: 'sun:05:00-sun:05:30',
    tags: { team: 'platform', ...spec.tags },
  };
  if (i.storageType === 'gp3' && i.iops === undefined) {
    i.iops = i.allocatedGiB >= 400 ? 12_000 : 3000;
    i.throughput = i.allocatedGiB >= 400 ? 500 : 125;
  }
  rdsState(sandbox, sandbox.account(accountId), region).instances[i.id] = i;
  const memory = (classSpec(spec.dbClass)?.memoryGiB ?? 8) * GIB;
  const metrics = cloudwatchState(sandbox, sandbox.account(accountId), region).metrics;
  const dims = { DBInstanceIdentifier: i.id };
  const startsAt = created;
  const add = (metricName: string, series: SeriesSpec) => metrics.push({ namespace: 'AWS/RDS', metricName, dimensions: dims, series: { ...series, startsAt } });
  const busy = spec.connections ?? 0;
  add('DatabaseConnections', hourly(busy, busy ? { noise: Math.min(busy, 5), amplitude: busy / 3 } : {}));
  add('CPUUtilization', hourly(spec.cpu ?? 3, { noise: 2, amplitude: spec.cpuAmplitude ?? 0, max: 100 }));
  add('FreeableMemory', hourly((spec.freeMemory ?? 0.5) * memory, { noise: 0.02 * memory }));
  add('ReadIOPS', hourly(spec.readIops ?? 5, { noise: (spec.readIops ?? 5) / 10 }));
  add('WriteIOPS', hourly(spec.writeIops ?? 5, { noise: (spec.writeIops ?? 5) / 10 }));
  return i;
}

export interface ClusterSeed {
  id: string;
  engine?: string;
  minAcu?: number;
  maxAcu?: number;
  /** Hourly ServerlessDatabaseCapacity: base and daily swing. */
  capacity?: number;
  capacityAmplitude?: number;
  cpu?: number;
  members: { id: string; writer: boolean; dbClass: string }[];
  tags?: Record<string, string>;
  region?: string;
}

/** Adds an Aurora cluster, its member instances and metrics. */
export function seedAuroraCluster(sandbox: Sandbox, accountId: string, spec: ClusterSeed) {
  const region = spec.region ?? 'us-east-1';
  const engine = spec.engine ?? 'aurora-postgresql';
  const state = rdsState(sandbox, sandbox.account(accountId), region);
  state.clusters[spec.id] = {
    id: spec.id,
    engine,
    engineVersion: '16.4',
    status: 'available',
    ...(spec.minAcu !== undefined ? { minAcu: spec.minAcu, maxAcu: spec.maxAcu ?? 64 } : {}),
    members: spec.members.map((m) => ({ id: m.id, writer: m.writer })),
    deletionProtection: false,
    createTime: daysAgo(sandbox.now(), 300).toISOString(),
    tags: { team: 'platform', ...spec.tags },
  };
  for (const m of spec.members) seedDbInstance(sandbox, accountId, { id: m.id, engine, dbClass: m.dbClass, clusterId: spec.id, connections: 20, cpu: spec.cpu ?? 10, freeMemory: 0.7, region });
  const metrics = cloudwatchState(sandbox, sandbox.account(accountId), region).metrics;
  const startsAt = daysAgo(sandbox.now(), 300).toISOString();
  if (spec.minAcu !== undefined) {
    metrics.push({ namespace: 'AWS/RDS', metricName: 'ServerlessDatabaseCapacity', dimensions: { DBClusterIdentifier: spec.id }, series: { ...hourly(spec.capacity ?? spec.minAcu, { amplitude: spec.capacityAmplitude ?? 0, min: spec.minAcu }), startsAt } });
  }
  metrics.push({ namespace: 'AWS/RDS', metricName: 'CPUUtilization', dimensions: { DBClusterIdentifier: spec.id }, series: { ...hourly(spec.cpu ?? 10, { noise: 2, max: 100 }), startsAt } });
}

export function seedRdsSmallCompany(sandbox: Sandbox, accountId: string) {
  const db = (spec: DbSeed) => seedDbInstance(sandbox, accountId, spec);
  const now = sandbox.now();
  // Waste.
  db({ id: 'staging-reports-db', dbClass: 'db.m5.large', storageType: 'gp2', allocatedGiB: 100, tags: { env: 'staging' } });
  db({ id: 'legacy-crm-db', engine: 'postgres', dbClass: 'db.m4.xlarge', connections: 12, cpu: 35, freeMemory: 0.3, tags: { team: 'sales' } });
  db({ id: 'analytics-pg', engine: 'postgres', dbClass: 'db.r5.2xlarge', connections: 8, cpu: 8, cpuAmplitude: 3, freeMemory: 0.75, tags: { team: 'data' } });
  db({ id: 'orders-db', dbClass: 'db.m5.xlarge', storageType: 'gp2', allocatedGiB: 500, multiAz: true, connections: 120, cpu: 45, freeMemory: 0.35, readIops: 800, writeIops: 400, readReplicas: ['orders-db-replica'], deletionProtection: true });
  db({ id: 'checkout-db', dbClass: 'db.m5.large', connections: 200, cpu: 93, cpuAmplitude: 4, freeMemory: 0.2, readIops: 2500, writeIops: 900 });
  const stoppedAt = daysAgo(now, 8).toISOString();
  db({ id: 'qa-perf-db', dbClass: 'db.m5.large', ageDays: 200, tags: { env: 'qa', [STOPPED_AT_TAG]: stoppedAt, [STOP_DECISION_TAG]: 'act-seeded-qa-stop', [STOP_DECIDED_AT_TAG]: stoppedAt } });
  // Stopped by trimtab 35 days ago and kept stopped by the weekly re-stop (last one 2 days ago).
  const parked = db({ id: 'old-reporting-db', engine: 'postgres', dbClass: 'db.m5.large', storageType: 'gp2', allocatedGiB: 200, ageDays: 600, tags: { [STOPPED_AT_TAG]: daysAgo(now, 2).toISOString(), [STOP_DECISION_TAG]: 'act-seeded-reporting-stop', [STOP_DECIDED_AT_TAG]: daysAgo(now, 35).toISOString() } });
  parked.status = 'stopped';
  parked.stoppedAt = daysAgo(now, 2).toISOString();
  seedAuroraCluster(sandbox, accountId, { id: 'events-aurora', minAcu: 8, maxAcu: 32, capacity: 8, cpu: 6, members: [{ id: 'events-aurora-1', writer: true, dbClass: 'db.serverless' }, { id: 'events-aurora-2', writer: false, dbClass: 'db.serverless' }] });

  // Traps.
  db({ id: 'orders-db-replica', dbClass: 'db.m5.large', readReplicaSource: 'orders-db' });
  db({ id: 'finance-archive-db', engine: 'postgres', dbClass: 'db.m5.large', tags: { 'trimtab:skip': 'audit retention 2026' } });
  const backingUp = db({ id: 'payments-batch-db', dbClass: 'db.m5.large' });
  // Mid-backup for the next three hours (a fact of the scenario, not scaled).
  backingUp.phases = [{ status: 'backing-up', until: new Date(now.getTime() + 3 * 3_600_000).toISOString() }];
  backingUp.then = 'available';
  db({ id: 'new-import-db', dbClass: 'db.m5.large', ageDays: 3 });
  db({ id: 'billing-sandbox-db', dbClass: 'db.m5.large', deletionProtection: true, tags: { env: 'sandbox' } });
  const optimizing = db({ id: 'search-db', engine: 'postgres', dbClass: 'db.m5.large', storageType: 'gp2', allocatedGiB: 200, connections: 40, cpu: 40, freeMemory: 0.3 });
  // Grown two hours ago: still optimizing, and the six-hour rule applies (facts, not scaled).
  optimizing.lastStorageChangeAt = new Date(now.getTime() - 2 * 3_600_000).toISOString();
  optimizing.phases = [{ status: 'storage-optimization', until: new Date(now.getTime() + 4 * 3_600_000).toISOString(), storageOperation: 'Optimizing' }];
  optimizing.then = 'available';
  db({ id: 'wiki-db', dbClass: 'db.t3.medium', connections: 3, cpu: 4, freeMemory: 0.6 });
  seedAuroraCluster(sandbox, accountId, { id: 'core-aurora', engine: 'aurora-mysql', cpu: 8, members: [{ id: 'core-aurora-writer', writer: true, dbClass: 'db.r5.xlarge' }, { id: 'core-aurora-reader', writer: false, dbClass: 'db.r5.large' }] });
  seedAuroraCluster(sandbox, accountId, { id: 'api-aurora', minAcu: 2, maxAcu: 16, capacity: 6, capacityAmplitude: 4, cpu: 30, members: [{ id: 'api-aurora-1', writer: true, dbClass: 'db.serverless' }] });
}
