/**
 * RDS DB instances and Aurora clusters, one resource type (`rds-instance`) whose items are
 * either a DB instance (`kind: 'instance'`) or an Aurora cluster (`kind: 'cluster'`, for the
 * Serverless v2 capacity detector). Batched, never one call per database:
 * - prepare: DescribeDBClusters, paginated (MaxRecords 100), once per region: which instance is
 *   the writer of its cluster (DBClusterMembers.IsClusterWriter);
 * - list: DescribeDBInstances, paginated (MaxRecords 100, Marker), then the clusters. Tags come
 *   from the TagList both calls return: no ListTagsForResource per database;
 * - enrich (need `metrics:<days>`): one GetMetricData call per page (≤500 queries): per
 *   instance DatabaseConnections (daily Maximum), CPUUtilization (daily p95), FreeableMemory
 *   (daily Minimum), ReadIOPS and WriteIOPS (daily p95); per Serverless v2 cluster
 *   ServerlessDatabaseCapacity (daily Maximum) and CPUUtilization (daily p95). AWS/RDS by
 *   DBInstanceIdentifier / DBClusterIdentifier. RDS publishes nothing while an instance is
 *   stopped, so a stopped day is a day without data, never a day with zero connections.
 * Neptune and DocumentDB share these APIs (engine `neptune`, `docdb`): they are skipped.
 */
import { CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { paginateDescribeDBClusters, paginateDescribeDBInstances, RDSClient, type DBCluster, type DBInstance } from '@aws-sdk/client-rds';
import { dailyMetricSeries, METRIC_QUERIES_PER_CALL } from '../../aws/metrics.ts';
import type { ActionRecord, RegionContext, ResourceType } from '../../engine/types.ts';
import { enrichmentRead, needsStartingWith } from '../../engine/partial.ts';
import { batches } from '../../util/async.ts';
import { partitionOf } from '../../aws/regions.ts';

/** DescribeDBInstances/DescribeDBClusters accept MaxRecords 20 to 100 (API reference). */
export const RDS_PAGE_SIZE = 100;
/** Five metric queries per instance: a page of 100 fills one GetMetricData call. */
const QUERIES_PER_INSTANCE = 5;
const DAY_MS = 86_400_000;
const SKIPPED_ENGINES = new Set(['neptune', 'docdb']);

export const metricsNeed = (days: number) => `metrics:${days}`;
/** Detectors that act under an earlier stop decision: enrich reads the records the tags point to. */
export const DECISIONS_NEED = 'decisions';
/** The tag that points to the stop decision (an action id); never proof by itself. */
export const STOP_DECISION_TAG = 'trimtab:stop-decision';
export const windowDaysOf = (needs: ReadonlySet<string>) => Math.max(0, ...[...needs].filter((n) => n.startsWith('metrics:')).map((n) => Number(n.slice(8))));

/** One UTC day of a database's metrics; null where CloudWatch has no datapoint. */
export interface RdsDay {
  day: string;
  connectionsMax: number | null;
  cpuP95: number | null;
  freeableMemoryMinBytes: number | null;
  readIopsP95: number | null;
  writeIopsP95: number | null;
  /** Clusters: the highest Serverless v2 capacity in ACUs that day. */
  capacityMaxAcu?: number | null;
}

export interface RdsMetrics {
  windowDays: number;
  /** Oldest first; the last slot is yesterday (today's partial day would look idle). */
  days: RdsDay[];
}

/**
 * What the audit trail holds for the action id a database's `trimtab:stop-decision` tag names,
 * read in enrich (need `decisions`). The tag only points; detectors check the record itself
 * (lib/resources/rds-instance/decision.ts).
 */
export interface DecisionLookup {
  id: string;
  /** The record, or null when the audit trail has none with that id. */
  record: ActionRecord | null;
  /** The audit trail could not be read: nothing may act under this decision now. */
  error?: string;
}

export interface RdsInstance {
  kind: 'instance';
  id: string;
  arn: string;
  /** DbiResourceId: immutable, unique in the region; a database re-created or restored under the same name gets a new one. */
  resourceId?: string;
  engine: string;
  engineVersion?: string;
  /** DescribeDBInstances LicenseModel (license-included, bring-your-own-license, general-public-license, …): sets Oracle's price. */
  licenseModel?: string;
  dbClass: string;
  status: string;
  storageType: string;
  allocatedGiB: number;
  iops?: number;
  throughput?: number;
  multiAz: boolean;
  deletionProtection: boolean;
  createTime?: string;
  availabilityZone?: string;
  clusterId?: string;
  /** Only for instances in a cluster: whether it is the writer. */
  isClusterWriter?: boolean;
  readReplicaSource?: string;
  readReplicas: string[];
  subnetGroup?: string;
  parameterGroup?: string;
  optionGroup?: string;
  securityGroups: string[];
  publiclyAccessible?: boolean;
  maintenanceWindow?: string;
  /** Changes waiting for the maintenance window (ApplyImmediately false). */
  pending: { dbClass?: string; storageType?: string; allocatedGiB?: number; iops?: number; multiAz?: boolean };
  /** While storage is optimizing after a modification (StorageOperationStatus, percent). */
  storageOperation?: { status: string; progress?: number };
  /** When AWS restarts a stopped instance on its own (seven days after the stop). */
  automaticRestartTime?: string;
  /** Settings undo restores (RestoreDBInstanceFromDBSnapshot) or reports as different. */
  port?: number;
  backupRetentionDays?: number;
  backupWindow?: string;
  iamAuth?: boolean;
  logExports?: string[];
  caCertificate?: string;
  autoMinorUpgrade?: boolean;
  monitoringIntervalSeconds?: number;
  monitoringRoleArn?: string;
  performanceInsights?: boolean;
  maxAllocatedGiB?: number;
  tags: Record<string, string>;
  metrics?: RdsMetrics;
  /** The stop decision its tag points to, as the audit trail holds it (need `decisions`). */
  decision?: DecisionLookup;
}

export interface AuroraCluster {
  kind: 'cluster';
  id: string;
  arn: string;
  engine: string;
  engineVersion?: string;
  status: string;
  deletionProtection: boolean;
  serverlessV2?: { minAcu: number; maxAcu: number };
  members: { id: string; writer: boolean }[];
  /** Members of class db.serverless (each bills ACU-hours), counted from the instance listing. */
  serverlessInstances: number;
  tags: Record<string, string>;
  metrics?: RdsMetrics;
}

export type RdsDatabase = RdsInstance | AuroraCluster;

export interface RdsPrepared {
  clusters: AuroraCluster[];
  /** Instance id → whether it is its cluster's writer. */
  writers: Map<string, boolean>;
}

const tagsOf = (list: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
const iso = (d: Date | string | undefined) => (d ? new Date(d).toISOString() : undefined);

export function toRdsInstance(i: DBInstance, writers: Map<string, boolean>): RdsInstance {
  const p = i.PendingModifiedValues ?? {};
  const storageOp = (i as { StorageOperationStatus?: string }).StorageOperationStatus;
  return {
    kind: 'instance',
    id: i.DBInstanceIdentifier!,
    arn: i.DBInstanceArn ?? '',
    ...(i.DbiResourceId ? { resourceId: i.DbiResourceId } : {}),
    engine: i.Engine ?? 'unknown',
    ...(i.EngineVersion ? { engineVersion: i.EngineVersion } : {}),
    ...(i.LicenseModel ? { licenseModel: i.LicenseModel } : {}),
    dbClass: i.DBInstanceClass ?? 'unknown',
    status: i.DBInstanceStatus ?? 'unknown',
    storageType: i.StorageType ?? 'unknown',
    allocatedGiB: i.AllocatedStorage ?? 0,
    ...(i.Iops !== undefined ? { iops: i.Iops } : {}),
    ...(i.StorageThroughput !== undefined ? { throughput: i.StorageThroughput } : {}),
    multiAz: Boolean(i.MultiAZ),
    deletionProtection: Boolean(i.DeletionProtection),
    ...(i.InstanceCreateTime ? { createTime: iso(i.InstanceCreateTime) } : {}),
    ...(i.AvailabilityZone ? { availabilityZone: i.AvailabilityZone } : {}),
    ...(i.DBClusterIdentifier ? { clusterId: i.DBClusterIdentifier, isClusterWriter: writers.get(i.DBInstanceIdentifier!) ?? false } : {}),
    ...(i.ReadReplicaSourceDBInstanceIdentifier ? { readReplicaSource: i.ReadReplicaSourceDBInstanceIdentifier } : {}),
    readReplicas: i.ReadReplicaDBInstanceIdentifiers ?? [],
    ...(i.DBSubnetGroup?.DBSubnetGroupName ? { subnetGroup: i.DBSubnetGroup.DBSubnetGroupName } : {}),
    ...(i.DBParameterGroups?.[0]?.DBParameterGroupName ? { parameterGroup: i.DBParameterGroups[0].DBParameterGroupName } : {}),
    ...(i.OptionGroupMemberships?.[0]?.OptionGroupName ? { optionGroup: i.OptionGroupMemberships[0].OptionGroupName } : {}),
    securityGroups: (i.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '').filter(Boolean),
    ...(i.PubliclyAccessible !== undefined ? { publiclyAccessible: i.PubliclyAccessible } : {}),
    ...(i.PreferredMaintenanceWindow ? { maintenanceWindow: i.PreferredMaintenanceWindow } : {}),
    pending: {
      ...(p.DBInstanceClass ? { dbClass: p.DBInstanceClass } : {}),
      ...(p.StorageType ? { storageType: p.StorageType } : {}),
      ...(p.AllocatedStorage !== undefined ? { allocatedGiB: p.AllocatedStorage } : {}),
      ...(p.Iops !== undefined ? { iops: p.Iops } : {}),
      ...(p.MultiAZ !== undefined ? { multiAz: p.MultiAZ } : {}),
    },
    ...(storageOp ? { storageOperation: { status: storageOp, ...((i as { StorageOperationPercentProgress?: number }).StorageOperationPercentProgress !== undefined ? { progress: (i as { StorageOperationPercentProgress?: number }).StorageOperationPercentProgress } : {}) } } : {}),
    ...(i.AutomaticRestartTime ? { automaticRestartTime: iso(i.AutomaticRestartTime) } : {}),
    ...(i.Endpoint?.Port !== undefined ? { port: i.Endpoint.Port } : i.DbInstancePort ? { port: i.DbInstancePort } : {}),
    ...(i.BackupRetentionPeriod !== undefined ? { backupRetentionDays: i.BackupRetentionPeriod } : {}),
    ...(i.PreferredBackupWindow ? { backupWindow: i.PreferredBackupWindow } : {}),
    ...(i.IAMDatabaseAuthenticationEnabled !== undefined ? { iamAuth: i.IAMDatabaseAuthenticationEnabled } : {}),
    ...(i.EnabledCloudwatchLogsExports?.length ? { logExports: i.EnabledCloudwatchLogsExports } : {}),
    ...(i.CACertificateIdentifier ? { caCertificate: i.CACertificateIdentifier } : {}),
    ...(i.AutoMinorVersionUpgrade !== undefined ? { autoMinorUpgrade: i.AutoMinorVersionUpgrade } : {}),
    ...(i.MonitoringInterval ? { monitoringIntervalSeconds: i.MonitoringInterval } : {}),
    ...(i.MonitoringRoleArn ? { monitoringRoleArn: i.MonitoringRoleArn } : {}),
    ...(i.PerformanceInsightsEnabled !== undefined ? { performanceInsights: i.PerformanceInsightsEnabled } : {}),
    ...(i.MaxAllocatedStorage !== undefined ? { maxAllocatedGiB: i.MaxAllocatedStorage } : {}),
    tags: tagsOf(i.TagList),
  };
}

export function toAuroraCluster(c: DBCluster): AuroraCluster {
  const sv2 = c.ServerlessV2ScalingConfiguration;
  return {
    kind: 'cluster',
    id: c.DBClusterIdentifier!,
    arn: c.DBClusterArn ?? '',
    engine: c.Engine ?? 'unknown',
    ...(c.EngineVersion ? { engineVersion: c.EngineVersion } : {}),
    status: c.Status ?? 'unknown',
    deletionProtection: Boolean(c.DeletionProtection),
    ...(sv2?.MinCapacity !== undefined && sv2.MaxCapacity !== undefined ? { serverlessV2: { minAcu: sv2.MinCapacity, maxAcu: sv2.MaxCapacity } } : {}),
    members: (c.DBClusterMembers ?? []).map((m) => ({ id: m.DBInstanceIdentifier ?? '', writer: Boolean(m.IsClusterWriter) })),
    serverlessInstances: 0,
    tags: tagsOf(c.TagList),
  };
}

/** Daily metrics for a page: one GetMetricData call per 100 instances (5 queries each). */
async function readMetrics(ctx: RegionContext, page: RdsDatabase[], windowDays: number): Promise<RdsDatabase[]> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const end = new Date(Math.floor(ctx.now.getTime() / DAY_MS) * DAY_MS);
  const start = new Date(end.getTime() - windowDays * DAY_MS);
  const q = (id: string, name: string, stat: string, dimension: string, value: string): MetricDataQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: name, Dimensions: [{ Name: dimension, Value: value }] }, Period: 86_400, Stat: stat },
    ReturnData: true,
  });
  const queries: MetricDataQuery[] = [];
  page.forEach((db, i) => {
    if (db.kind === 'instance') {
      // A stopped instance publishes nothing: no query, no empty series mistaken for idleness.
      if (db.status === 'stopped') return;
      const d = 'DBInstanceIdentifier';
      queries.push(q(`c${i}`, 'DatabaseConnections', 'Maximum', d, db.id), q(`p${i}`, 'CPUUtilization', 'p95', d, db.id), q(`m${i}`, 'FreeableMemory', 'Minimum', d, db.id), q(`r${i}`, 'ReadIOPS', 'p95', d, db.id), q(`w${i}`, 'WriteIOPS', 'p95', d, db.id));
    } else if (db.serverlessV2) {
      const d = 'DBClusterIdentifier';
      queries.push(q(`a${i}`, 'ServerlessDatabaseCapacity', 'Maximum', d, db.id), q(`p${i}`, 'CPUUtilization', 'p95', d, db.id));
    }
  });
  if (queries.length === 0) return page;
  const series = await dailyMetricSeries(cw, queries, start, end, windowDays);
  return page.map((db, i) => {
    if ((db.kind === 'instance' && db.status === 'stopped') || (db.kind === 'cluster' && !db.serverlessV2)) return db;
    const at = (prefix: string, d: number) => series.get(`${prefix}${i}`)?.[d] ?? null;
    const days: RdsDay[] = Array.from({ length: windowDays }, (_, d) => ({
      day: new Date(start.getTime() + d * DAY_MS).toISOString().slice(0, 10),
      connectionsMax: at('c', d),
      cpuP95: at('p', d),
      freeableMemoryMinBytes: at('m', d),
      readIopsP95: at('r', d),
      writeIopsP95: at('w', d),
      ...(db.kind === 'cluster' ? { capacityMaxAcu: at('a', d) } : {}),
    }));
    return { ...db, metrics: { windowDays, days } };
  });
}

/**
 * The records the page's stop-decision tags point to: one audit read per page (ids deduplicated,
 * ids that are not trimtab action ids never read). A failed read marks those databases (nothing
 * acts under an unread decision) and never fails the listing.
 */
async function readDecisions(ctx: RegionContext, page: RdsDatabase[]): Promise<RdsDatabase[]> {
  const ids = page.flatMap((db) => (db.kind === 'instance' && db.tags[STOP_DECISION_TAG] ? [db.tags[STOP_DECISION_TAG]] : []));
  if (ids.length === 0) return page;
  let records: Map<string, ActionRecord> = new Map();
  let error: string | undefined;
  if (!ctx.audit) error = 'no audit trail is connected to this run';
  else {
    try {
      records = await ctx.audit.actions(ids);
    } catch (e) {
      error = `the audit trail could not be read (${(e as Error).message ?? String(e)})`;
    }
  }
  return page.map((db) => {
    if (db.kind !== 'instance' || !db.tags[STOP_DECISION_TAG]) return db;
    const id = db.tags[STOP_DECISION_TAG];
    return { ...db, decision: { id, record: records.get(id) ?? null, ...(error ? { error } : {}) } };
  });
}

export const rdsInstanceResource: ResourceType<RdsDatabase, RdsPrepared> = {
  id: 'rds-instance',
  title: 'RDS DB instance or Aurora cluster',
  permissions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'cloudwatch:GetMetricData'],

  async prepare(ctx) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const clusters: AuroraCluster[] = [];
    const writers = new Map<string, boolean>();
    for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: RDS_PAGE_SIZE }, {})) {
      for (const c of page.DBClusters ?? []) {
        if (!c.DBClusterIdentifier || SKIPPED_ENGINES.has(c.Engine ?? '')) continue;
        const cluster = toAuroraCluster(c);
        clusters.push(cluster);
        for (const m of cluster.members) writers.set(m.id, m.writer);
      }
    }
    return { clusters, writers };
  },

  async *list(ctx, prepared, ids) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const serverless = new Map<string, number>();
    // Event-driven runs name the databases: a db-instance-id filter (a gone id is no error, unlike DBInstanceIdentifier).
    const inputs = ids?.length ? batches(ids, 100).map((chunk) => ({ Filters: [{ Name: 'db-instance-id', Values: chunk }] })) : [{}];
    for (const input of inputs) {
      for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: RDS_PAGE_SIZE }, input)) {
        const instances = (page.DBInstances ?? []).filter((i) => i.DBInstanceIdentifier && !SKIPPED_ENGINES.has(i.Engine ?? ''));
        for (const i of instances) if (i.DBClusterIdentifier && i.DBInstanceClass === 'db.serverless') serverless.set(i.DBClusterIdentifier, (serverless.get(i.DBClusterIdentifier) ?? 0) + 1);
        if (instances.length) yield instances.map((i) => toRdsInstance(i, prepared.writers));
      }
    }
    const clusters = prepared.clusters.filter((c) => !ids?.length || ids.includes(c.id)).map((c) => ({ ...c, serverlessInstances: serverless.get(c.id) ?? 0 }));
    for (const chunk of batches(clusters, Math.floor(METRIC_QUERIES_PER_CALL / 2))) yield chunk;
  },

  async enrich(ctx, page, _prepared, needs) {
    const days = windowDaysOf(needs);
    let withMetrics = page;
    if (days > 0) {
      // A failed read costs only the metric detectors, on the databases it was for (lib/engine/partial.ts).
      const queried = page.filter((db) => (db.kind === 'instance' ? db.status !== 'stopped' : Boolean(db.serverlessV2)));
      const read = { provides: needsStartingWith(needs, 'metrics:'), items: queried, operation: 'cloudwatch:GetMetricData' };
      withMetrics = (await enrichmentRead(ctx, read, () => readMetrics(ctx, page, days))) ?? page;
    }
    return needs.has(DECISIONS_NEED) ? readDecisions(ctx, withMetrics) : withMetrics;
  },

  ref(db, ctx) {
    const arn = db.arn || `arn:${partitionOf(ctx.region)}:rds:${ctx.region}:${ctx.account}:${db.kind === 'instance' ? 'db' : 'cluster'}:${db.id}`;
    return { type: 'rds-instance', id: db.id, arn, account: ctx.account, region: ctx.region, tags: db.tags };
  },
};

export { QUERIES_PER_INSTANCE };
