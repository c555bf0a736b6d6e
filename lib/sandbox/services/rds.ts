/**
 * Sandbox RDS (awsQuery: answers are encoded as RDS's XML by lib/sandbox/wire/encode.ts and
 * parsed by the SDK). DB instances, Aurora clusters and manual DB snapshots, with the states
 * AWS shows and the time they take, kept as timestamps in the state (saved to JSON between CLI
 * runs) and settled lazily on every call:
 * - stop: `stopping` → `stopped`; a stopped instance is started again by AWS seven days later
 *   (`starting` → `available`; StopDBInstance API reference), a fact, not scaled;
 * - start: `starting` → `available`;
 * - storage change applied now: `modifying` → `storage-optimization` (StorageOperationStatus
 *   `Optimizing`) → `available`; another storage change is refused for six hours or until the
 *   optimization completes, whichever is later (InvalidParameterCombination);
 * - class change with ApplyImmediately false: PendingModifiedValues until the next maintenance
 *   window (PreferredMaintenanceWindow), then applied (`modifying` → `available`);
 * - snapshot: `creating` (the instance `backing-up` if it was available) → `available`; a new
 *   snapshot is DBSnapshotNotFound to reads for `consistencyMs`;
 * - delete: `deleting` → gone; restore: `creating` → `available`.
 * Errors carry RDS's wire codes (DBInstanceNotFound, InvalidDBInstanceState,
 * DBSnapshotAlreadyExists, InvalidParameterCombination, …); the SDK names some `…Fault`.
 * Listings page with Marker and refuse MaxRecords outside 20–100.
 */
import { createHash } from 'node:crypto';
import { awsError, paginate, tagList, type AccountState, type OperationEnv, type Sandbox, type SandboxService } from '../sandbox.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** AWS starts a stopped instance after seven days: not scaled (a rule, not a state's duration). */
export const AUTO_START_MS = 7 * DAY;
/** The next storage change is allowed six hours after the last (RDS User Guide, "Working with storage"). */
export const STORAGE_COOLDOWN_MS = 6 * HOUR;

/** AWS-like durations of the intermediate states, scaled by sandbox.duration. */
export const RDS_DURATIONS = {
  stopping: 4 * MINUTE,
  starting: 6 * MINUTE,
  modifying: 8 * MINUTE,
  storageOptimization: 2 * HOUR,
  snapshotBase: 5 * MINUTE,
  snapshotPerGiB: 3_000,
  deleting: 6 * MINUTE,
  creating: 12 * MINUTE,
  classChange: 10 * MINUTE,
};

export interface Phase {
  status: string;
  until: string;
  storageOperation?: string;
}

/** RDS's default LicenseModel per engine (RDS API reference, CreateDBInstance LicenseModel). */
export function defaultLicenseModel(engine: string): string {
  if (engine.startsWith('oracle-ee')) return 'bring-your-own-license';
  if (engine.startsWith('oracle-se2') || engine.startsWith('sqlserver')) return 'license-included';
  if (engine.includes('postgres')) return 'postgresql-license';
  return 'general-public-license';
}

export interface SandboxDbInstance {
  id: string;
  /** LicenseModel; absent: the engine's default (defaultLicenseModel). */
  licenseModel?: string;
  /** DbiResourceId; absent in older saved states: derived from the identifier and the create time. */
  resourceId?: string;
  port?: number;
  backupRetentionDays?: number;
  iamAuth?: boolean;
  logExports?: string[];
  caCertificate?: string;
  autoMinorUpgrade?: boolean;
  engine: string;
  engineVersion: string;
  dbClass: string;
  /** The status when no phase is running. */
  status: string;
  /** Timed intermediate states, oldest first; `then` is the status after the last. */
  phases?: Phase[];
  then?: string;
  storageType: string;
  allocatedGiB: number;
  iops?: number;
  throughput?: number;
  multiAz: boolean;
  deletionProtection: boolean;
  createTime: string;
  availabilityZone: string;
  clusterId?: string;
  readReplicaSource?: string;
  readReplicas?: string[];
  subnetGroup: string;
  parameterGroup: string;
  securityGroups: string[];
  maintenanceWindow: string;
  tags: Record<string, string>;
  stoppedAt?: string;
  lastStorageChangeAt?: string;
  pending?: { dbClass?: string; storageType?: string; since: string };
}

export interface SandboxDbCluster {
  id: string;
  engine: string;
  engineVersion: string;
  status: string;
  minAcu?: number;
  maxAcu?: number;
  members: { id: string; writer: boolean }[];
  deletionProtection: boolean;
  createTime: string;
  tags: Record<string, string>;
}

export interface SandboxDbSnapshot {
  id: string;
  instanceId: string;
  engine: string;
  engineVersion: string;
  allocatedGiB: number;
  storageType: string;
  status: string;
  createdAt: string;
  availableAt: string;
  visibleAt: string;
  tags: Record<string, string>;
  /** While creating, the instance shows backing-up. */
}

export interface RdsState {
  instances: Record<string, SandboxDbInstance>;
  clusters: Record<string, SandboxDbCluster>;
  snapshots: Record<string, SandboxDbSnapshot>;
}

export const rdsState = (sandbox: Sandbox, account: AccountState, region: string) => sandbox.regional<RdsState>(account, region, 'rds', () => ({ instances: {}, clusters: {}, snapshots: {} }));

const arnOf = (region: string, account: string, kind: 'db' | 'cluster' | 'snapshot', id: string) => `arn:aws:rds:${region}:${account}:${kind}:${id}`;

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** The start of the first maintenance window ("sun:05:00-sun:05:30") after `from`. */
export function nextWindowStart(window: string, from: number): number {
  const m = /^([a-z]{3}):(\d\d):(\d\d)-/.exec(window);
  if (!m) return from + 7 * DAY;
  const day = DAYS.indexOf(m[1]);
  const d = new Date(from);
  const base = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), Number(m[2]), Number(m[3]));
  let start = base + ((day - d.getUTCDay() + 7) % 7) * DAY;
  if (start <= from) start += 7 * DAY;
  return start;
}

/** Brings an instance up to `now`: expired phases end, AWS's auto-start, pending changes at the window. */
export function settleInstance(sandbox: Sandbox, i: SandboxDbInstance, now: number, state: RdsState): boolean {
  for (;;) {
    let changed = false;
    while (i.phases?.length && Date.parse(i.phases[0].until) <= now) {
      const ended = i.phases.shift()!;
      changed = true;
      if (!i.phases.length) {
        i.status = i.then ?? 'available';
        delete i.phases;
        delete i.then;
        if (i.status === 'deleted') {
          delete state.instances[i.id];
          return false;
        }
        if (i.status === 'stopped' && !i.stoppedAt) i.stoppedAt = ended.until;
      }
    }
    // AWS starts it again seven days after the stop.
    if (!i.phases && i.status === 'stopped' && i.stoppedAt && Date.parse(i.stoppedAt) + AUTO_START_MS <= now) {
      const at = Date.parse(i.stoppedAt) + AUTO_START_MS;
      delete i.stoppedAt;
      i.status = 'available';
      i.phases = [{ status: 'starting', until: new Date(at + sandbox.duration(RDS_DURATIONS.starting)).toISOString() }];
      i.then = 'available';
      changed = true;
    }
    if (!i.phases && i.pending && i.status === 'available') {
      const at = nextWindowStart(i.maintenanceWindow, Date.parse(i.pending.since));
      if (at <= now) {
        if (i.pending.dbClass) i.dbClass = i.pending.dbClass;
        if (i.pending.storageType) i.storageType = i.pending.storageType;
        delete i.pending;
        i.phases = [{ status: 'modifying', until: new Date(at + sandbox.duration(RDS_DURATIONS.classChange)).toISOString() }];
        i.then = 'available';
        changed = true;
      }
    }
    if (!changed) return true;
  }
}

/** RDS's DbiResourceId shape (`db-` and 26 upper-case letters and digits), stable for one instance, new for a re-created one. */
export function dbiResourceIdOf(i: Pick<SandboxDbInstance, 'id' | 'createTime' | 'resourceId'>): string {
  if (i.resourceId) return i.resourceId;
  const digest = createHash('sha256').update(`${i.id}|${i.createTime}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `db-${Array.from(digest.subarray(0, 26), (b) => alphabet[b % 32]).join('')}`;
}

/** gp3 below this size has a fixed baseline: RDS refuses Iops/StorageThroughput (none for SQL Server). */
export function gp3ThresholdGiBOf(engine: string): number | undefined {
  if (engine.startsWith('sqlserver')) return undefined;
  return engine.startsWith('oracle') ? 200 : 400;
}

function refuseGp3Provisioning(engine: string, storageType: string | undefined, allocatedGiB: number, iops: unknown, throughput: unknown) {
  if (storageType !== 'gp3' || (iops === undefined && throughput === undefined)) return;
  const threshold = gp3ThresholdGiBOf(engine);
  if (threshold !== undefined && allocatedGiB < threshold) {
    throw awsError('InvalidParameterCombination', `You can't specify IOPS or storage throughput for engine ${engine} and a storage size less than ${threshold}.`);
  }
}

/** The sandbox's own copy of the zero-ACU version rule (lib/resources/rds-instance/classes.ts has trimtab's). */
function zeroMinCapacityVersion(engine: string, version: string): boolean {
  const pg = engine === 'aurora-postgresql' ? /^(\d+)\.(\d+)/.exec(version) : null;
  if (pg) return Number(pg[1]) > 16 || Number(pg[2]) >= ({ 13: 15, 14: 12, 15: 7, 16: 3 } as Record<string, number>)[pg[1]];
  const my = engine === 'aurora-mysql' ? /mysql_aurora\.(\d+)\.(\d+)/.exec(version) : null;
  return Boolean(my && (Number(my[1]) > 3 || (Number(my[1]) === 3 && Number(my[2]) >= 8)));
}

function currentStatus(i: SandboxDbInstance): string {
  return i.phases?.length ? i.phases[0].status : i.status;
}

function settleAll(env: OperationEnv): RdsState {
  const state = rdsState(env.sandbox, env.account, env.region);
  const now = env.now.getTime();
  for (const i of Object.values(state.instances)) settleInstance(env.sandbox, i, now, state);
  for (const s of Object.values(state.snapshots)) if (s.status === 'creating' && Date.parse(s.availableAt) <= now) s.status = 'available';
  return state;
}

function instanceOf(state: RdsState, id: string | undefined): SandboxDbInstance {
  const i = id ? state.instances[id] : undefined;
  if (!i) throw awsError('DBInstanceNotFound', `DBInstance ${id ?? ''} not found.`, 404);
  return i;
}

function describeInstance(i: SandboxDbInstance, env: OperationEnv) {
  const status = currentStatus(i);
  const phase = i.phases?.[0];
  const pending = i.pending ? { ...(i.pending.dbClass ? { DBInstanceClass: i.pending.dbClass } : {}), ...(i.pending.storageType ? { StorageType: i.pending.storageType } : {}) } : {};
  return {
    DBInstanceIdentifier: i.id,
    DBInstanceArn: arnOf(env.region, env.account.id, 'db', i.id),
    DbiResourceId: dbiResourceIdOf(i),
    DBInstanceClass: i.dbClass,
    Engine: i.engine,
    EngineVersion: i.engineVersion,
    LicenseModel: i.licenseModel ?? defaultLicenseModel(i.engine),
    DBInstanceStatus: status,
    ...(status === 'available' || status === 'storage-optimization' || status === 'modifying' || status === 'backing-up' ? { Endpoint: { Address: `${i.id}.c0ffee12abcd.${env.region}.rds.amazonaws.com`, Port: i.port ?? (i.engine.includes('postgres') ? 5432 : 3306) } } : {}),
    DbInstancePort: i.port ?? 0,
    AllocatedStorage: i.allocatedGiB,
    StorageType: i.storageType,
    ...(i.iops !== undefined ? { Iops: i.iops } : {}),
    ...(i.throughput !== undefined ? { StorageThroughput: i.throughput } : {}),
    MultiAZ: i.multiAz,
    DeletionProtection: i.deletionProtection,
    InstanceCreateTime: new Date(i.createTime),
    AvailabilityZone: i.availabilityZone,
    PreferredMaintenanceWindow: i.maintenanceWindow,
    PreferredBackupWindow: '03:00-03:30',
    BackupRetentionPeriod: i.backupRetentionDays ?? 7,
    IAMDatabaseAuthenticationEnabled: i.iamAuth ?? false,
    ...(i.logExports?.length ? { EnabledCloudwatchLogsExports: i.logExports } : {}),
    CACertificateIdentifier: i.caCertificate ?? 'rds-ca-rsa2048-g1',
    AutoMinorVersionUpgrade: i.autoMinorUpgrade ?? true,
    DBSubnetGroup: { DBSubnetGroupName: i.subnetGroup, VpcId: 'vpc-0a1b2c3d', SubnetGroupStatus: 'Complete' },
    DBParameterGroups: [{ DBParameterGroupName: i.parameterGroup, ParameterApplyStatus: 'in-sync' }],
    VpcSecurityGroups: i.securityGroups.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
    PendingModifiedValues: pending,
    ReadReplicaDBInstanceIdentifiers: i.readReplicas ?? [],
    ...(i.readReplicaSource ? { ReadReplicaSourceDBInstanceIdentifier: i.readReplicaSource } : {}),
    ...(i.clusterId ? { DBClusterIdentifier: i.clusterId } : {}),
    ...(phase?.storageOperation ? { StorageOperationStatus: phase.storageOperation, StorageOperationPercentProgress: 50 } : {}),
    ...(status === 'stopped' && i.stoppedAt ? { AutomaticRestartTime: new Date(Date.parse(i.stoppedAt) + AUTO_START_MS) } : {}),
    PubliclyAccessible: false,
    StorageEncrypted: true,
    TagList: tagList(i.tags),
  };
}

function describeCluster(c: SandboxDbCluster, env: OperationEnv) {
  return {
    DBClusterIdentifier: c.id,
    DBClusterArn: arnOf(env.region, env.account.id, 'cluster', c.id),
    Engine: c.engine,
    EngineVersion: c.engineVersion,
    Status: c.status,
    DeletionProtection: c.deletionProtection,
    ClusterCreateTime: new Date(c.createTime),
    MultiAZ: c.members.length > 1,
    DBClusterMembers: c.members.map((m) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: m.writer, PromotionTier: 1, DBClusterParameterGroupStatus: 'in-sync' })),
    ...(c.minAcu !== undefined && c.maxAcu !== undefined ? { ServerlessV2ScalingConfiguration: { MinCapacity: c.minAcu, MaxCapacity: c.maxAcu } } : {}),
    TagList: tagList(c.tags),
  };
}

function describeSnapshot(s: SandboxDbSnapshot, env: OperationEnv, now: number) {
  const total = Date.parse(s.availableAt) - Date.parse(s.createdAt);
  const progress = s.status === 'available' || total <= 0 ? 100 : Math.min(99, Math.floor(((now - Date.parse(s.createdAt)) / total) * 100));
  return {
    DBSnapshotIdentifier: s.id,
    DBSnapshotArn: arnOf(env.region, env.account.id, 'snapshot', s.id),
    DBInstanceIdentifier: s.instanceId,
    SnapshotCreateTime: new Date(s.createdAt),
    Engine: s.engine,
    EngineVersion: s.engineVersion,
    AllocatedStorage: s.allocatedGiB,
    StorageType: s.storageType,
    Status: s.status,
    PercentProgress: progress,
    SnapshotType: 'manual',
    Encrypted: true,
    TagList: tagList(s.tags),
  };
}

const pageLimits = (operation: string) => ({ defaultMax: 100, maxMax: 100, minMax: 20, operation, invalidTokenCode: 'InvalidParameterValue' });

/** DescribeDB* filters: `db-instance-id`, `db-cluster-id`, `engine`. */
function filtered<T extends { id: string; engine: string; clusterId?: string }>(items: T[], filters: { Name?: string; Values?: string[] }[] | undefined): T[] {
  let out = items;
  for (const f of filters ?? []) {
    const values = new Set(f.Values ?? []);
    if (f.Name === 'db-instance-id' || f.Name === 'db-cluster-id') out = out.filter((i) => values.has(f.Name === 'db-cluster-id' && 'clusterId' in i ? (i.clusterId ?? '') : i.id) || [...values].some((v) => v.endsWith(`:${i.id}`)));
    else if (f.Name === 'engine') out = out.filter((i) => values.has(i.engine));
    else throw awsError('InvalidParameterValue', `Unrecognized filter name: ${f.Name}.`);
  }
  return out;
}

function resourceOf(state: RdsState, arn: string | undefined): { tags: Record<string, string> } {
  const m = /^arn:aws:rds:[^:]+:\d+:(db|cluster|snapshot):(.+)$/.exec(arn ?? '');
  const target = m ? (m[1] === 'db' ? state.instances[m[2]] : m[1] === 'cluster' ? state.clusters[m[2]] : state.snapshots[m[2]]) : undefined;
  if (!target) {
    if (m?.[1] === 'cluster') throw awsError('DBClusterNotFoundFault', `DBCluster ${m[2]} not found.`, 404);
    if (m?.[1] === 'snapshot') throw awsError('DBSnapshotNotFound', `DBSnapshot ${m[2]} not found.`, 404);
    throw awsError('DBInstanceNotFound', `DBInstance ${m?.[2] ?? arn} not found.`, 404);
  }
  return target;
}

function later(env: OperationEnv, ms: number) {
  return new Date(env.now.getTime() + env.sandbox.duration(ms)).toISOString();
}

export const rdsService: SandboxService = {
  id: 'rds',
  operations: {
    DescribeDBInstances(input, env) {
      const state = settleAll(env);
      if (input.DBInstanceIdentifier) return { DBInstances: [describeInstance(instanceOf(state, input.DBInstanceIdentifier), env)] };
      const all = filtered(Object.values(state.instances).sort((a, b) => a.id.localeCompare(b.id)), input.Filters);
      const { page, nextToken } = paginate(all, { token: input.Marker, max: input.MaxRecords }, pageLimits('DescribeDBInstances'));
      return { DBInstances: page.map((i) => describeInstance(i, env)), ...(nextToken ? { Marker: nextToken } : {}) };
    },

    DescribeDBClusters(input, env) {
      const state = settleAll(env);
      if (input.DBClusterIdentifier) {
        const c = state.clusters[input.DBClusterIdentifier];
        if (!c) throw awsError('DBClusterNotFoundFault', `DBCluster ${input.DBClusterIdentifier} not found.`, 404);
        return { DBClusters: [describeCluster(c, env)] };
      }
      const all = filtered(Object.values(state.clusters).sort((a, b) => a.id.localeCompare(b.id)), input.Filters);
      const { page, nextToken } = paginate(all, { token: input.Marker, max: input.MaxRecords }, pageLimits('DescribeDBClusters'));
      return { DBClusters: page.map((c) => describeCluster(c, env)), ...(nextToken ? { Marker: nextToken } : {}) };
    },

    DescribeDBSnapshots(input, env) {
      const state = settleAll(env);
      const now = env.now.getTime();
      // A snapshot just created may not be visible yet (eventual consistency).
      const visible = Object.values(state.snapshots).filter((s) => Date.parse(s.visibleAt) <= now);
      if (input.DBSnapshotIdentifier) {
        const s = visible.find((v) => v.id === input.DBSnapshotIdentifier);
        if (!s) throw awsError('DBSnapshotNotFound', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`, 404);
        return { DBSnapshots: [describeSnapshot(s, env, now)] };
      }
      const all = visible.filter((s) => !input.DBInstanceIdentifier || s.instanceId === input.DBInstanceIdentifier).sort((a, b) => a.id.localeCompare(b.id));
      const { page, nextToken } = paginate(all, { token: input.Marker, max: input.MaxRecords }, pageLimits('DescribeDBSnapshots'));
      return { DBSnapshots: page.map((s) => describeSnapshot(s, env, now)), ...(nextToken ? { Marker: nextToken } : {}) };
    },

    StopDBInstance(input, env) {
      const state = settleAll(env);
      const i = instanceOf(state, input.DBInstanceIdentifier);
      if (i.clusterId) throw awsError('InvalidParameterCombination', `Cannot stop DB instance ${i.id}: it is part of Aurora cluster ${i.clusterId}; use StopDBCluster.`);
      if (i.readReplicaSource || i.readReplicas?.length) throw awsError('InvalidDBInstanceState', `Cannot stop DB instance ${i.id}: it is a read replica or has read replicas.`);
      // The exact code for SQL Server Multi-AZ is not documented; trimtab treats both refusals alike.
      if (i.multiAz && i.engine.startsWith('sqlserver')) throw awsError('InvalidParameterCombination', `Cannot stop DB instance ${i.id}: RDS for SQL Server in a Multi-AZ configuration cannot be stopped.`);
      if (currentStatus(i) !== 'available') throw awsError('InvalidDBInstanceState', `Instance ${i.id} is not in available state.`);
      i.phases = [{ status: 'stopping', until: later(env, RDS_DURATIONS.stopping) }];
      i.then = 'stopped';
      i.stoppedAt = i.phases[0].until;
      return { DBInstance: describeInstance(i, env) };
    },

    StartDBInstance(input, env) {
      const state = settleAll(env);
      const i = instanceOf(state, input.DBInstanceIdentifier);
      if (currentStatus(i) !== 'stopped') throw awsError('InvalidDBInstanceState', `Instance ${i.id} is not stopped, it is ${currentStatus(i)}.`);
      delete i.stoppedAt;
      i.phases = [{ status: 'starting', until: later(env, RDS_DURATIONS.starting) }];
      i.then = 'available';
      return { DBInstance: describeInstance(i, env) };
    },

    CreateDBSnapshot(input, env) {
      const state = settleAll(env);
      const i = instanceOf(state, input.DBInstanceIdentifier);
      const id = input.DBSnapshotIdentifier;
      if (!id || !/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/.test(id) || id.includes('--') || id.endsWith('-')) throw awsError('InvalidParameterValue', `Invalid snapshot identifier: ${id}`);
      if (state.snapshots[id]) throw awsError('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`);
      const status = currentStatus(i);
      // CreateDBSnapshotCommand.d.ts: "The source DB instance must be in the available or storage-optimization state."
      if (status !== 'available' && status !== 'storage-optimization') throw awsError('InvalidDBInstanceState', `Cannot create a snapshot because the database instance ${i.id} is not currently in the available state.`);
      const availableAt = later(env, RDS_DURATIONS.snapshotBase + i.allocatedGiB * RDS_DURATIONS.snapshotPerGiB);
      state.snapshots[id] = {
        id,
        instanceId: i.id,
        engine: i.engine,
        engineVersion: i.engineVersion,
        allocatedGiB: i.allocatedGiB,
        storageType: i.storageType,
        status: Date.parse(availableAt) <= env.now.getTime() ? 'available' : 'creating',
        createdAt: env.now.toISOString(),
        availableAt,
        visibleAt: new Date(env.now.getTime() + env.sandbox.timing.consistencyMs).toISOString(),
        tags: Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value?: string }) => [t.Key, t.Value ?? ''])),
      };
      if (status === 'available' && Date.parse(availableAt) > env.now.getTime()) {
        i.phases = [{ status: 'backing-up', until: availableAt }];
        i.then = 'available';
      }
      return { DBSnapshot: describeSnapshot(state.snapshots[id], env, env.now.getTime()) };
    },

    DeleteDBInstance(input, env) {
      const state = settleAll(env);
      const i = instanceOf(state, input.DBInstanceIdentifier);
      if (i.deletionProtection) throw awsError('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
      if (!input.SkipFinalSnapshot && !input.FinalDBSnapshotIdentifier) throw awsError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
      if (input.SkipFinalSnapshot && input.FinalDBSnapshotIdentifier) throw awsError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier can not be specified when deleting with SkipFinalSnapshot.');
      const finalId: string | undefined = input.SkipFinalSnapshot ? undefined : input.FinalDBSnapshotIdentifier;
      if (finalId && (!/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/.test(finalId) || finalId.includes('--') || finalId.endsWith('-'))) throw awsError('InvalidParameterValue', `Invalid snapshot identifier: ${finalId}`);
      if (finalId && state.snapshots[finalId]) throw awsError('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${finalId} already exists.`);
      const status = currentStatus(i);
      if (status === 'deleting') throw awsError('InvalidDBInstanceState', `Instance ${i.id} is already being deleted.`);
      if (!['available', 'stopped', 'backing-up', 'storage-optimization', 'failed', 'incompatible-parameters'].includes(status)) throw awsError('InvalidDBInstanceState', `Instance ${i.id} is ${status}; it cannot be deleted now.`);
      if (i.clusterId && state.clusters[i.clusterId]?.members.find((m) => m.id === i.id)?.writer && (state.clusters[i.clusterId]?.members.length ?? 0) > 1) {
        throw awsError('InvalidDBClusterStateFault', `Cannot delete the writer instance ${i.id} of cluster ${i.clusterId} while it has readers.`);
      }
      let deletingUntil = later(env, RDS_DURATIONS.deleting);
      if (finalId) {
        // The final snapshot is taken first; the instance stays 'deleting' until it is available.
        const availableAt = later(env, RDS_DURATIONS.snapshotBase + i.allocatedGiB * RDS_DURATIONS.snapshotPerGiB);
        state.snapshots[finalId] = {
          id: finalId,
          instanceId: i.id,
          engine: i.engine,
          engineVersion: i.engineVersion,
          allocatedGiB: i.allocatedGiB,
          storageType: i.storageType,
          status: 'creating',
          createdAt: env.now.toISOString(),
          availableAt,
          visibleAt: new Date(env.now.getTime() + env.sandbox.timing.consistencyMs).toISOString(),
          tags: {},
        };
        if (Date.parse(availableAt) > Date.parse(deletingUntil)) deletingUntil = availableAt;
      }
      i.phases = [{ status: 'deleting', until: deletingUntil }];
      i.then = 'deleted';
      delete i.stoppedAt;
      const out = { DBInstance: describeInstance(i, env) };
      settleInstance(env.sandbox, i, env.now.getTime(), state);
      return out;
    },

    RestoreDBInstanceFromDBSnapshot(input, env) {
      const state = settleAll(env);
      if (state.instances[input.DBInstanceIdentifier]) throw awsError('DBInstanceAlreadyExists', `DB instance already exists: ${input.DBInstanceIdentifier}`);
      const s = state.snapshots[input.DBSnapshotIdentifier];
      if (!s || Date.parse(s.visibleAt) > env.now.getTime()) throw awsError('DBSnapshotNotFound', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`, 404);
      if (s.status !== 'available') throw awsError('InvalidDBSnapshotState', `Snapshot ${s.id} is ${s.status}, not available.`);
      // RestoreDBInstanceFromDBSnapshotMessage.AvailabilityZone: "You can't specify the AvailabilityZone parameter if the DB instance is a Multi-AZ deployment."
      if (input.MultiAZ && input.AvailabilityZone) throw awsError('InvalidParameterCombination', 'Requesting a specific availability zone is not valid for Multi-AZ instances.');
      refuseGp3Provisioning(s.engine, input.StorageType ?? s.storageType, input.AllocatedStorage ?? s.allocatedGiB, input.Iops, input.StorageThroughput);
      const i: SandboxDbInstance = {
        id: input.DBInstanceIdentifier,
        engine: s.engine,
        engineVersion: s.engineVersion,
        dbClass: input.DBInstanceClass ?? 'db.m5.large',
        status: 'available',
        phases: [{ status: 'creating', until: later(env, RDS_DURATIONS.creating) }],
        then: 'available',
        storageType: input.StorageType ?? s.storageType,
        allocatedGiB: s.allocatedGiB,
        ...(input.Iops !== undefined ? { iops: input.Iops } : {}),
        ...(input.StorageThroughput !== undefined ? { throughput: input.StorageThroughput } : {}),
        multiAz: Boolean(input.MultiAZ),
        deletionProtection: Boolean(input.DeletionProtection),
        createTime: env.now.toISOString(),
        availabilityZone: input.AvailabilityZone ?? `${env.region}a`,
        subnetGroup: input.DBSubnetGroupName ?? 'default',
        parameterGroup: input.DBParameterGroupName ?? `default.${s.engine}`,
        securityGroups: input.VpcSecurityGroupIds ?? ['sg-default'],
        maintenanceWindow: 'sun:05:00-sun:05:30',
        ...(input.Port !== undefined ? { port: input.Port } : {}),
        ...(input.BackupRetentionPeriod !== undefined ? { backupRetentionDays: input.BackupRetentionPeriod } : {}),
        ...(input.EnableIAMDatabaseAuthentication !== undefined ? { iamAuth: input.EnableIAMDatabaseAuthentication } : {}),
        ...(input.EnableCloudwatchLogsExports?.length ? { logExports: input.EnableCloudwatchLogsExports } : {}),
        ...(input.CACertificateIdentifier ? { caCertificate: input.CACertificateIdentifier } : {}),
        ...(input.AutoMinorVersionUpgrade !== undefined ? { autoMinorUpgrade: input.AutoMinorVersionUpgrade } : {}),
        tags: Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value?: string }) => [t.Key, t.Value ?? ''])),
      };
      state.instances[i.id] = i;
      settleInstance(env.sandbox, i, env.now.getTime(), state);
      return { DBInstance: describeInstance(i, env) };
    },

    ModifyDBInstance(input, env) {
      const state = settleAll(env);
      const i = instanceOf(state, input.DBInstanceIdentifier);
      const status = currentStatus(i);
      if (status !== 'available') throw awsError('InvalidDBInstanceState', `Database instance ${i.id} is not in available state (it is ${status}).`);
      const storage = input.StorageType !== undefined || input.AllocatedStorage !== undefined || input.Iops !== undefined || input.StorageThroughput !== undefined;
      if (storage) {
        const last = i.lastStorageChangeAt ? Date.parse(i.lastStorageChangeAt) : undefined;
        if (last !== undefined && env.now.getTime() - last < STORAGE_COOLDOWN_MS) {
          throw awsError('InvalidParameterCombination', `You can't currently modify the storage of DB instance ${i.id} because less than 6 hours have passed since the last storage modification.`);
        }
        if (i.storageType === 'gp3' && input.StorageType === 'gp3' && input.Iops === undefined) throw awsError('InvalidParameterCombination', `DB instance ${i.id} already uses gp3 storage.`);
        if (input.StorageType && !['gp2', 'gp3', 'io1', 'io2', 'standard'].includes(input.StorageType)) throw awsError('InvalidParameterValue', `Invalid storage type: ${input.StorageType}`);
        refuseGp3Provisioning(i.engine, input.StorageType ?? i.storageType, input.AllocatedStorage ?? i.allocatedGiB, input.Iops, input.StorageThroughput);
      }
      if (input.DBInstanceClass && !/^db\.[a-z0-9]+\.[0-9]*x?[a-z]+$/.test(input.DBInstanceClass)) throw awsError('InvalidParameterValue', `Invalid DB instance class: ${input.DBInstanceClass}`);
      if (input.ApplyImmediately) {
        if (storage) {
          if (input.StorageType) i.storageType = input.StorageType;
          if (input.Iops !== undefined) i.iops = input.Iops;
          if (i.storageType === 'gp3' && i.iops === undefined) {
            const big = i.allocatedGiB >= (i.engine.startsWith('oracle') ? 200 : 400) && !i.engine.startsWith('sqlserver');
            i.iops = big ? 12_000 : 3000;
            i.throughput = big ? 500 : 125;
          }
          if (i.storageType === 'gp2') {
            delete i.iops;
            delete i.throughput;
          }
          i.lastStorageChangeAt = env.now.toISOString();
          const modifying = later(env, RDS_DURATIONS.modifying);
          i.phases = [{ status: 'modifying', until: modifying }, { status: 'storage-optimization', until: new Date(Date.parse(modifying) + env.sandbox.duration(RDS_DURATIONS.storageOptimization)).toISOString(), storageOperation: 'Optimizing' }];
          i.then = 'available';
        }
        if (input.DBInstanceClass) {
          i.dbClass = input.DBInstanceClass;
          i.phases = [...(i.phases ?? []), { status: 'modifying', until: later(env, RDS_DURATIONS.classChange) }];
          i.then = 'available';
        }
        if (input.DBInstanceClass || storage) delete i.pending;
      } else if (input.DBInstanceClass || input.StorageType) {
        // Waits for the maintenance window; a second modification replaces the pending value.
        const pending = { ...(i.pending ?? {}), since: env.now.toISOString() } as NonNullable<SandboxDbInstance['pending']>;
        if (input.DBInstanceClass) pending.dbClass = input.DBInstanceClass === i.dbClass ? undefined : input.DBInstanceClass;
        if (input.StorageType) pending.storageType = input.StorageType;
        if (!pending.dbClass) delete pending.dbClass;
        i.pending = pending.dbClass || pending.storageType ? pending : undefined;
        if (!i.pending) delete i.pending;
      }
      if (input.DeletionProtection !== undefined) i.deletionProtection = input.DeletionProtection;
      settleInstance(env.sandbox, i, env.now.getTime(), state);
      return { DBInstance: describeInstance(i, env) };
    },

    ModifyDBCluster(input, env) {
      const state = settleAll(env);
      const c = state.clusters[input.DBClusterIdentifier];
      if (!c) throw awsError('DBClusterNotFoundFault', `DBCluster ${input.DBClusterIdentifier} not found.`, 404);
      if (c.status !== 'available') throw awsError('InvalidDBClusterStateFault', `DB cluster ${c.id} is not in available state.`);
      const sv2 = input.ServerlessV2ScalingConfiguration;
      if (sv2) {
        const min = sv2.MinCapacity ?? c.minAcu;
        const max = sv2.MaxCapacity ?? c.maxAcu;
        const valid = (v: number | undefined) => v !== undefined && v >= 0 && v <= 256 && Math.round(v * 2) === v * 2;
        // Aurora User Guide, "Scaling to Zero ACUs": 0 only on engine versions with automatic pause.
        if (min === 0 && !zeroMinCapacityVersion(c.engine, c.engineVersion)) throw awsError('InvalidParameterValue', `Serverless v2 MinCapacity 0 (automatic pause) is not supported for ${c.engine} version ${c.engineVersion}.`);
        if (!valid(min) || !valid(max) || min! > max! || max! < 1) throw awsError('InvalidParameterValue', `Invalid Serverless v2 scaling configuration: MinCapacity ${min}, MaxCapacity ${max} (0 to 256 in steps of 0.5, MaxCapacity at least 1 and not below MinCapacity).`);
        c.minAcu = min;
        c.maxAcu = max;
      }
      return { DBCluster: describeCluster(c, env) };
    },

    AddTagsToResource(input, env) {
      const target = resourceOf(settleAll(env), input.ResourceName);
      for (const t of input.Tags ?? []) {
        if (String(t.Key).startsWith('aws:')) throw awsError('InvalidParameterValue', 'Tag keys starting with aws: are reserved.');
        target.tags[t.Key] = t.Value ?? '';
      }
      if (Object.keys(target.tags).length > 50) throw awsError('TagQuotaPerResourceExceeded', 'A resource can have at most 50 tags.');
      return {};
    },

    RemoveTagsFromResource(input, env) {
      const target = resourceOf(settleAll(env), input.ResourceName);
      for (const key of input.TagKeys ?? []) delete target.tags[key];
      return {};
    },
  },
};
