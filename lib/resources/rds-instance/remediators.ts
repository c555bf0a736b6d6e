/**
 * RDS remediators. Each re-reads the database right before writing (status, tags, replication,
 * deletion protection) and treats DBInstanceNotFound as already done.
 *
 * - stop-db-instance: StopDBInstance, then tags the instance with pointers to the decision (the
 *   action id) and the stop time. The action's audit record is the decision; its params bind the
 *   DbiResourceId. AWS starts it again after seven days (StopDBInstance API reference); the
 *   `auto-started-db-instance` detector and `restop-db-instance` keep it stopped under that
 *   decision once its record is verified (decision.ts). Undo: StartDBInstance once it is `stopped`.
 * - restop-db-instance: StopDBInstance under the recorded decision (the tags stay; the stop time
 *   is renewed), after re-reading the decision's record right before the write. Approval by default.
 * - snapshot-and-delete: CreateDBSnapshot needs `available` (or `storage-optimization`), so a
 *   stopped instance is deleted with DeleteDBInstance's final snapshot (FinalDBSnapshotIdentifier);
 *   a running one gets CreateDBSnapshot (tagged `trimtab:snapshot-of`), a wait through the clock
 *   until it is `available`, a re-check, then DeleteDBInstance with SkipFinalSnapshot; each step
 *   recorded (snapshot-requested, snapshot-available, deleted) and, with an ApplyEnv, the wait
 *   handed back as `resumeAt` after a short poll (lib/aws/wait.ts). Automated
 *   backups are kept (DeleteAutomatedBackups false). Undo: RestoreDBInstanceFromDBSnapshot under
 *   the same identifier with the recorded settings (what a restore cannot set is named).
 * Every plan is bound to the database and state it was made on (BoundState) and re-checked right
 * before each write: replaced, started, resized → ProtectedResourceError, nothing changed.
 * - modify-storage-gp3: ModifyDBInstance StorageType gp3 (ApplyImmediately: storage changes
 *   need no reboot). AWS refuses another storage change for six hours or until storage
 *   optimization completes, whichever is later (RDS User Guide, "Working with storage"): undo
 *   says so and refuses until the instance shows no storage operation and six hours passed.
 * - downsize-db-instance: ModifyDBInstance DBInstanceClass with ApplyImmediately false: the
 *   change waits in PendingModifiedValues for the maintenance window. Undo sets the recorded
 *   class back (replacing the pending change, or at the next window once applied).
 * - lower-min-capacity: ModifyDBCluster ServerlessV2ScalingConfiguration (MaxCapacity kept).
 *   Undo restores the recorded minimum.
 */
import {
  AddTagsToResourceCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import * as z from 'zod';
import { retryTransient } from '../../aws/consistency.ts';
import { MIN_STEP_MS, pollUntilDeadline, type WaitBudget } from '../../aws/wait.ts';
import { SKIP_TAG } from '../protection.ts';
import type { AppliedChange, Finding, Remediator } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import type { Clock } from '../../util/clock.ts';
import { ProtectedResourceError, UndoRefusedError, errorMessage } from '../../util/errors.ts';
import { gp3ThresholdGiB, storageMonthly } from './classes.ts';
import { checkStopDecision } from './decision.ts';
import {
  AUTO_START_DAYS,
  instanceProtection,
  STOP_DECIDED_AT_TAG,
  STOP_DECISION_TAG,
  STOPPED_AT_TAG,
  type Gp2Before,
  type IdleBefore,
  type MinCapacityBefore,
  type OversizedBefore,
  type RestartedBefore,
} from './detectors.ts';
import { toAuroraCluster, toRdsInstance, type AuroraCluster, type RdsInstance } from './resource.ts';
import { snapshotDeletePending, stepLog } from '../steps.ts';

export const SNAPSHOT_OF_TAG = 'trimtab:snapshot-of';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** RDS sends wire codes (DBInstanceNotFound); SDK v3 names some of them …Fault: match both. */
export function rdsErrorIs(error: unknown, code: string): boolean {
  const e = error as { name?: string; Code?: string } | undefined;
  const names = [e?.name, e?.Code];
  return names.includes(code) || names.includes(`${code}Fault`);
}

/**
 * The instance as it is now, or undefined when it no longer exists. With `withWriter`, an Aurora
 * member's cluster is read too, so the writer is known (DescribeDBInstances does not say).
 */
export async function describeInstance(rds: RDSClient, id: string, withWriter = false): Promise<RdsInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    const i = out.DBInstances?.[0];
    if (!i) return undefined;
    const writers = new Map<string, boolean>();
    if (withWriter && i.DBClusterIdentifier) {
      const cluster = await describeCluster(rds, i.DBClusterIdentifier);
      for (const m of cluster?.members ?? []) writers.set(m.id, m.writer);
    }
    return toRdsInstance(i, writers);
  } catch (error) {
    if (rdsErrorIs(error, 'DBInstanceNotFound')) return undefined;
    throw error;
  }
}

async function describeCluster(rds: RDSClient, id: string): Promise<AuroraCluster | undefined> {
  try {
    const c = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
    return c ? toAuroraCluster(c) : undefined;
  } catch (error) {
    if (rdsErrorIs(error, 'DBClusterNotFound')) return undefined;
    throw error;
  }
}

/** Tags a user may set: `aws:` keys are reserved. */
const copyableTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).filter(([k]) => !k.startsWith('aws:')).map(([Key, Value]) => ({ Key, Value }));

/** Re-read checks every instance action makes before writing. */
function refuseIfProtected(current: RdsInstance, opts: { allowStopped: boolean; stopOrDelete: boolean; storageOnly?: boolean; stop?: boolean }) {
  if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${current.id} is now tagged ${SKIP_TAG}`);
  const protection = instanceProtection(current, opts);
  if (protection) throw new ProtectedResourceError(`${current.id} is now ${protection}; nothing was changed`);
}

/**
 * What a plan was made on: the database's immutable identity and the state the approver saw.
 * Apply re-reads the database and refuses (recorded as protected, nothing changed) when any of
 * it differs: a database replaced under the same name, started since, resized or re-engined.
 */
export interface BoundState {
  dbiResourceId?: string;
  instanceCreateTime?: string;
  engine: string;
  dbClass: string;
  status: string;
}

export const boundOf = (db: RdsInstance): BoundState => ({
  ...(db.resourceId ? { dbiResourceId: db.resourceId } : {}),
  ...(db.createTime ? { instanceCreateTime: db.createTime } : {}),
  engine: db.engine,
  dbClass: db.dbClass,
  status: db.status,
});

/** Why the database is no longer the one, in the state, the plan was made on; undefined when it is. */
export function changedSincePlan(current: RdsInstance, bound: BoundState | undefined): string | undefined {
  if (!bound) return `the plan records no identity for ${current.id} (made before plans were bound to DbiResourceId): a person decides again`;
  if (!bound.dbiResourceId || current.resourceId !== bound.dbiResourceId) return `${current.id} is now DbiResourceId ${current.resourceId ?? 'unknown'}, not ${bound.dbiResourceId ?? 'the one planned'}: replaced under the same identifier since the plan`;
  if (bound.instanceCreateTime && current.createTime !== bound.instanceCreateTime) return `${current.id} was created ${current.createTime ?? 'at an unknown time'}, not ${bound.instanceCreateTime}: replaced since the plan`;
  if (current.engine !== bound.engine) return `${current.id} is now ${current.engine}, not ${bound.engine}`;
  if (current.dbClass !== bound.dbClass) return `${current.id} is now ${current.dbClass}, not ${bound.dbClass}`;
  if (current.status !== bound.status) return `${current.id} is now ${current.status}, not ${bound.status} as when the plan was made (started or changed since)`;
  return undefined;
}

function refuseIfChanged(current: RdsInstance, bound: BoundState | undefined) {
  const changed = changedSincePlan(current, bound);
  if (changed) throw new ProtectedResourceError(`${changed}; nothing was changed`);
}

/** Re-reads the stop decision's audit record right before a write under it. */
async function refuseUnlessDecision(ctx: Parameters<Remediator['apply']>[0], current: RdsInstance, decision: string | undefined) {
  const tagged = current.tags[STOP_DECISION_TAG];
  if (!decision || tagged !== decision) throw new ProtectedResourceError(`${current.id} no longer carries the stop decision ${decision ?? '(none planned)'} (now ${tagged ?? 'none'}): a person changed it; nothing was changed`);
  let record;
  try {
    record = ctx.audit ? ((await ctx.audit.actions([decision])).get(decision) ?? null) : null;
  } catch (error) {
    throw new ProtectedResourceError(`stop decision ${decision} could not be re-read from the audit trail (${errorMessage(error)}); nothing was changed`, { cause: error });
  }
  const check = checkStopDecision(current, decision, record, ctx.audit ? undefined : 'no audit trail is connected');
  if (!check.ok) throw new ProtectedResourceError(`${check.why}; nothing was changed`);
  return check;
}

const actionIdOf = (finding: Finding) => (finding as Finding & { actionId?: string }).actionId ?? finding.id;

// ---------------------------------------------------------------------------------------------
// stop-db-instance and restop-db-instance

export interface StopParams {
  dbInstanceIdentifier: string;
  arn: string;
  /** The immutable identity the stop is decided for (the decision record binds it). */
  dbiResourceId?: string;
  /** The database and state the plan was made on. */
  bound?: BoundState;
  /** For restop: the recorded decision it acts under, and the stop it renews. */
  decision?: string;
  decidedAt?: string;
  previousStopAt?: string;
}

interface StopAfter {
  stopped: true;
  stoppedAt?: string;
  autoStartAbout?: string;
  alreadyStopped?: boolean;
  alreadyGone?: boolean;
}

async function stopInstance(ctx: Parameters<Remediator['apply']>[0], plan: { params: StopParams }, decision: string, decidedAt: string, restop: boolean) {
  // The tags written after the stop only point to the decision's audit record (decision.ts).
  const rds = ctx.clients.get(RDSClient, ctx.region);
  const id = plan.params.dbInstanceIdentifier;
  const current = await describeInstance(rds, id);
  if (!current) return { after: { stopped: true, alreadyGone: true } satisfies StopAfter, detail: `${id} no longer exists: counts as done` };
  // Identity first: a database replaced under this name is not the one decided on, stopped or not.
  const bound = plan.params.bound;
  if (bound && bound.dbiResourceId !== current.resourceId) refuseIfChanged(current, bound);
  if (current.status === 'stopped' || current.status === 'stopping') {
    return { before: { instance: current }, after: { stopped: true, alreadyStopped: true } satisfies StopAfter, detail: `${id} is already ${current.status}` };
  }
  refuseIfProtected(current, { allowStopped: false, stopOrDelete: true, stop: true });
  refuseIfChanged(current, bound);
  if (restop) {
    const check = await refuseUnlessDecision(ctx, current, plan.params.decision);
    decidedAt = check.decidedAt;
  }
  try {
    await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: id }));
  } catch (error) {
    if (rdsErrorIs(error, 'DBInstanceNotFound')) return { after: { stopped: true, alreadyGone: true } satisfies StopAfter, detail: `${id} vanished: counts as done` };
    // AWS's own refusals (a replica appeared, SQL Server Multi-AZ, a state change meanwhile).
    if (rdsErrorIs(error, 'InvalidDBInstanceState') || rdsErrorIs(error, 'InvalidParameterCombination') || rdsErrorIs(error, 'UnsupportedDBEngineVersion')) {
      throw new ProtectedResourceError(`AWS refused to stop ${id}: ${errorMessage(error)}`, { cause: error });
    }
    throw error;
  }
  const stoppedAt = ctx.now.toISOString();
  await rds.send(
    new AddTagsToResourceCommand({
      ResourceName: current.arn || plan.params.arn,
      Tags: [
        { Key: STOPPED_AT_TAG, Value: stoppedAt },
        { Key: STOP_DECISION_TAG, Value: decision },
        { Key: STOP_DECIDED_AT_TAG, Value: decidedAt },
      ],
    }),
  );
  const autoStartAbout = new Date(ctx.now.getTime() + AUTO_START_DAYS * DAY_MS).toISOString();
  return {
    before: { instance: current },
    after: { stopped: true, stoppedAt, autoStartAbout } satisfies StopAfter,
    detail: `StopDBInstance sent; AWS starts ${id} again about ${autoStartAbout} (7 days) unless the re-stop policy stops it again${restop ? ` (under decision ${decision})` : ''}`,
  };
}

async function verifyStopped(ctx: Parameters<Remediator['verify']>[0], id: string, after: StopAfter) {
  if (after.alreadyGone) return { ok: true, detail: `${id} is gone` };
  const rds = ctx.clients.get(RDSClient, ctx.region);
  const now = await describeInstance(rds, id);
  if (!now) return { ok: true, detail: `${id} is gone` };
  return now.status === 'stopping' || now.status === 'stopped' ? { ok: true, detail: `${id} is ${now.status}` } : { ok: false, detail: `${id} is ${now.status} after StopDBInstance` };
}

async function undoStop(ctx: Parameters<NonNullable<Remediator['undo']>>[0], record: Parameters<NonNullable<Remediator['undo']>>[1]) {
  const rds = ctx.clients.get(RDSClient, ctx.region);
  const id = record.resource.id;
  const after = record.after as StopAfter | undefined;
  if (!after || after.alreadyGone) throw new UndoRefusedError(`${id} no longer existed when trimtab acted; nothing to undo.`);
  if (after.alreadyStopped) throw new UndoRefusedError(`${id} was already stopped when trimtab acted; trimtab changed nothing to undo.`);
  const current = await describeInstance(rds, id);
  if (!current) throw new UndoRefusedError(`${id} no longer exists.`);
  if (current.status === 'stopping') throw new UndoRefusedError(`${id} is still stopping: AWS starts an instance only once it is stopped (InvalidDBInstanceState). Try the undo again in a few minutes; nothing was changed.`);
  const untag = () => rds.send(new RemoveTagsFromResourceCommand({ ResourceName: current.arn || record.resource.arn, TagKeys: [STOPPED_AT_TAG, STOP_DECISION_TAG, STOP_DECIDED_AT_TAG] }));
  if (current.status !== 'stopped') {
    await untag();
    return { detail: `${id} is ${current.status} already (AWS restarts stopped instances after 7 days); trimtab's stop tags removed so it is not re-stopped.` };
  }
  await rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: id }));
  // Without the tags, the re-stop policy leaves it alone.
  await untag();
  return { detail: `StartDBInstance sent for ${id}; trimtab's stop tags removed.`, after: { started: true } };
}

export const stopDbInstance: Remediator<StopParams, Record<string, never>> = {
  id: 'stop-db-instance',
  resource: 'rds-instance',
  title: 'Stop the idle DB instance (AWS starts it again after 7 days; the re-stop policy keeps it stopped)',
  options: z.object({}),
  permissions: ['rds:DescribeDBInstances', 'rds:StopDBInstance', 'rds:StartDBInstance', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Connections the stop dropped and the database's memory (buffer cache: the first queries after the start are slower); RDS starts a stopped instance by itself after 7 days.",
  plan(finding) {
    const db = (finding.before as IdleBefore).instance;
    if (db.status === 'stopped') return { kind: 'noop', reason: `${db.id} is already stopped` };
    if (!db.resourceId) return { kind: 'conflict', reason: `${db.id}: DescribeDBInstances gave no DbiResourceId, so a decision could not be bound to this database` };
    return {
      kind: 'change',
      summary: `Stop ${db.id} (${db.dbClass} ${db.engine}, DbiResourceId ${db.resourceId}). AWS starts a stopped DB instance again after 7 days: this action's audit record is the decision (the tags ${STOP_DECISION_TAG}, ${STOPPED_AT_TAG} on the instance only point to it), and the re-stop policy may stop it again under it. Storage stays billed.`,
      params: { dbInstanceIdentifier: db.id, arn: db.arn, dbiResourceId: db.resourceId, bound: boundOf(db) },
      undo: 'trimtab undo starts it again (StartDBInstance, once it is stopped) and removes the stop tags so it is not re-stopped.',
    };
  },
  apply: (ctx, plan, finding) => stopInstance(ctx, plan, actionIdOf(finding), ctx.now.toISOString(), false),
  verify: (ctx, plan, applied) => verifyStopped(ctx, plan.params.dbInstanceIdentifier, applied.after as StopAfter),
  undo: undoStop,
};

export const restopDbInstance: Remediator<StopParams, Record<string, never>> = {
  id: 'restop-db-instance',
  resource: 'rds-instance',
  title: 'Stop again an instance AWS restarted after 7 days, under the recorded stop decision',
  options: z.object({}),
  permissions: ['rds:DescribeDBInstances', 'rds:StopDBInstance', 'rds:StartDBInstance', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
  // It carries out a verified decision, but a person approves by default (trimtab.yml keeps it in approval too).
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Connections the stop dropped and the database's memory (buffer cache: the first queries after the start are slower).",
  plan(finding) {
    const b = finding.before as RestartedBefore;
    return {
      kind: 'change',
      summary: `Stop ${b.instance.id} again: AWS restarted it 7 days after trimtab stopped it (${b.stoppedAt}). Acts under decision ${b.decision} (verified in the audit trail: the same ARN and DbiResourceId ${b.instance.resourceId}), not a new one.`,
      // The previous stop time makes each weekly re-stop its own idempotency key.
      params: { dbInstanceIdentifier: b.instance.id, arn: b.instance.arn, ...(b.instance.resourceId ? { dbiResourceId: b.instance.resourceId } : {}), bound: boundOf(b.instance), decision: b.decision, decidedAt: b.decidedAt ?? b.stoppedAt, previousStopAt: b.stoppedAt },
      undo: 'trimtab undo starts it and removes the stop tags (ending the decision).',
    };
  },
  apply: (ctx, plan) => stopInstance(ctx, plan, plan.params.decision!, plan.params.decidedAt ?? plan.params.previousStopAt!, true),
  verify: (ctx, plan, applied) => verifyStopped(ctx, plan.params.dbInstanceIdentifier, applied.after as StopAfter),
  undo: undoStop,
};

// ---------------------------------------------------------------------------------------------
// snapshot-and-delete

/** What undo needs to rebuild the instance. */
export interface InstanceSpec {
  dbClass: string;
  engine: string;
  allocatedGiB?: number;
  subnetGroup?: string;
  parameterGroup?: string;
  optionGroup?: string;
  securityGroups: string[];
  multiAz: boolean;
  storageType: string;
  iops?: number;
  throughput?: number;
  availabilityZone?: string;
  publiclyAccessible?: boolean;
  port?: number;
  backupRetentionDays?: number;
  backupWindow?: string;
  iamAuth?: boolean;
  logExports?: string[];
  caCertificate?: string;
  autoMinorUpgrade?: boolean;
  /** Not settable on RestoreDBInstanceFromDBSnapshot: undo reports them as different. */
  monitoringIntervalSeconds?: number;
  performanceInsights?: boolean;
  maxAllocatedGiB?: number;
}

export interface SnapshotDeleteParams {
  dbInstanceIdentifier: string;
  spec: InstanceSpec;
  tags: Record<string, string>;
  snapshotTimeoutMinutes: number;
  pollSeconds: number;
  /** The database and state the approver saw. */
  bound?: BoundState;
  /** For a stopped instance: the verified stop decision it was stopped under (re-checked before the delete). */
  decision?: string;
}

interface SnapshotDeleteAfter {
  deleted: true;
  alreadyGone?: boolean;
  snapshotId?: string;
  reusedSnapshot?: boolean;
  /** Taken by DeleteDBInstance (FinalDBSnapshotIdentifier): the way to snapshot a stopped instance. */
  finalSnapshot?: boolean;
}

/**
 * Whether RDS accepts Iops/StorageThroughput on gp3 at this size: below the engine's threshold
 * (400 GiB, Oracle 200 GiB) the baseline is fixed and RDS answers InvalidParameterCombination.
 * SQL Server has no threshold.
 */
export function gp3Provisionable(engine: string, allocatedGiB: number | undefined): boolean {
  const threshold = gp3ThresholdGiB(engine);
  return threshold === undefined || (allocatedGiB ?? 0) >= threshold;
}

const specOf = (db: RdsInstance): InstanceSpec => ({
  dbClass: db.dbClass,
  engine: db.engine,
  allocatedGiB: db.allocatedGiB,
  ...(db.subnetGroup ? { subnetGroup: db.subnetGroup } : {}),
  ...(db.parameterGroup ? { parameterGroup: db.parameterGroup } : {}),
  ...(db.optionGroup ? { optionGroup: db.optionGroup } : {}),
  securityGroups: db.securityGroups,
  multiAz: db.multiAz,
  storageType: db.storageType,
  ...(db.iops !== undefined && db.storageType !== 'gp2' ? { iops: db.iops } : {}),
  ...(db.throughput !== undefined && db.storageType === 'gp3' ? { throughput: db.throughput } : {}),
  ...(db.availabilityZone && !db.multiAz ? { availabilityZone: db.availabilityZone } : {}),
  ...(db.publiclyAccessible !== undefined ? { publiclyAccessible: db.publiclyAccessible } : {}),
  ...(db.port !== undefined ? { port: db.port } : {}),
  ...(db.backupRetentionDays !== undefined ? { backupRetentionDays: db.backupRetentionDays } : {}),
  ...(db.backupWindow ? { backupWindow: db.backupWindow } : {}),
  ...(db.iamAuth !== undefined ? { iamAuth: db.iamAuth } : {}),
  ...(db.logExports?.length ? { logExports: db.logExports } : {}),
  ...(db.caCertificate ? { caCertificate: db.caCertificate } : {}),
  ...(db.autoMinorUpgrade !== undefined ? { autoMinorUpgrade: db.autoMinorUpgrade } : {}),
  ...(db.monitoringIntervalSeconds ? { monitoringIntervalSeconds: db.monitoringIntervalSeconds } : {}),
  ...(db.performanceInsights ? { performanceInsights: true } : {}),
  ...(db.maxAllocatedGiB !== undefined ? { maxAllocatedGiB: db.maxAllocatedGiB } : {}),
});

/** The storage part of RestoreDBInstanceFromDBSnapshot: Iops/StorageThroughput only where RDS accepts them. */
export function restoreStorage(spec: InstanceSpec): { StorageType: string; Iops?: number; StorageThroughput?: number } {
  if (spec.storageType === 'gp3') {
    if (!gp3Provisionable(spec.engine, spec.allocatedGiB)) return { StorageType: 'gp3' };
    return { StorageType: 'gp3', ...(spec.iops !== undefined ? { Iops: spec.iops } : {}), ...(spec.throughput !== undefined ? { StorageThroughput: spec.throughput } : {}) };
  }
  if (spec.storageType === 'io1' || spec.storageType === 'io2') return { StorageType: spec.storageType, ...(spec.iops !== undefined ? { Iops: spec.iops } : {}) };
  return { StorageType: spec.storageType };
}

/** What a restore cannot set (RestoreDBInstanceFromDBSnapshot has no parameter for it): said in words. */
export function restoreDiffers(spec: InstanceSpec): string[] {
  return [
    ...(spec.monitoringIntervalSeconds ? [`Enhanced Monitoring (every ${spec.monitoringIntervalSeconds} s) is off on the restored instance: set MonitoringInterval and MonitoringRoleArn with ModifyDBInstance`] : []),
    ...(spec.performanceInsights ? ['Performance Insights is off on the restored instance: enable it with ModifyDBInstance'] : []),
    ...(spec.maxAllocatedGiB !== undefined ? [`storage autoscaling (MaxAllocatedStorage ${spec.maxAllocatedGiB} GiB) is off on the restored instance: set it with ModifyDBInstance`] : []),
  ];
}

/** A snapshot identifier: letters, digits, hyphens; starts with a letter; at most 255 characters. */
const snapshotIdFor = (id: string, now: Date) => `trimtab-final-${id}-${now.toISOString().slice(0, 16).replace(/[-:T]/g, '')}`.slice(0, 255);

async function existingTrimtabSnapshot(rds: RDSClient, id: string): Promise<{ id: string; status: string } | undefined> {
  const out = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id, SnapshotType: 'manual' }));
  const mine = (out.DBSnapshots ?? [])
    .filter((s) => (s.TagList ?? []).some((t) => t.Key === SNAPSHOT_OF_TAG && t.Value === id) && ['creating', 'available'].includes(s.Status ?? ''))
    .sort((a, b) => new Date(b.SnapshotCreateTime ?? 0).getTime() - new Date(a.SnapshotCreateTime ?? 0).getTime())[0];
  return mine?.DBSnapshotIdentifier ? { id: mine.DBSnapshotIdentifier, status: mine.Status ?? 'creating' } : undefined;
}

const readSnapshot = (rds: RDSClient, clock: Clock, snapshotId: string) =>
  retryTransient(clock, ['DBSnapshotNotFound', 'DBSnapshotNotFoundFault'], async () => (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }))).DBSnapshots?.[0]);

/** Steps of snapshot-and-delete of a running instance recorded through ApplyEnv.record, in order. */
export const SNAPSHOT_DELETE_STEPS = { requested: 'snapshot-requested', available: 'snapshot-available', deleted: 'deleted' } as const;

export type { SnapshotDeletePending } from '../steps.ts';

/** Waits until the snapshot is available (inline without a budget); throws (nothing deleted) on failure or at the deadline. */
async function waitAvailable(rds: RDSClient, clock: Clock, snapshotId: string, id: string, since: number, timeoutMinutes: number, pollSeconds: number, budget: WaitBudget | undefined) {
  let last: { Status?: string; PercentProgress?: number } = {};
  return pollUntilDeadline({
    clock,
    deadline: since + timeoutMinutes * 60_000,
    pollMs: pollSeconds * 1000,
    budget,
    check: async () => {
      const s = await readSnapshot(rds, clock, snapshotId);
      if (s?.Status === 'available') return true;
      if (!s || s.Status === 'failed' || s.Status === 'deleted') throw new Error(`Snapshot ${snapshotId} of ${id} ${s ? `is ${s.Status}` : 'disappeared'}; the instance was not deleted.`);
      last = s;
      return undefined;
    },
    timeout: () => new Error(`Snapshot ${snapshotId} of ${id} is still ${last.Status} (${last.PercentProgress ?? 0}%) after ${timeoutMinutes} min; the instance was not deleted. The next run reuses this snapshot.`),
  });
}

async function deleteInstance(rds: RDSClient, id: string, finalSnapshotId: string | undefined, current: RdsInstance, snapshotNote: string) {
  try {
    await rds.send(
      new DeleteDBInstanceCommand(
        finalSnapshotId
          ? { DBInstanceIdentifier: id, SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: finalSnapshotId, DeleteAutomatedBackups: false }
          : { DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: false },
      ),
    );
  } catch (error) {
    if (rdsErrorIs(error, 'DBInstanceNotFound')) return { before: { instance: current }, after: { deleted: true, alreadyGone: true } satisfies SnapshotDeleteAfter, detail: `${id} vanished before the delete${snapshotNote}` };
    // DBInstanceAutomatedBackupQuotaExceeded: the Region's quota of retained automated backups (DeleteAutomatedBackups false) is full.
    if (
      rdsErrorIs(error, 'InvalidDBInstanceState') ||
      rdsErrorIs(error, 'InvalidParameterCombination') ||
      rdsErrorIs(error, 'DBSnapshotAlreadyExists') ||
      rdsErrorIs(error, 'SnapshotQuotaExceeded') ||
      rdsErrorIs(error, 'DBInstanceAutomatedBackupQuotaExceeded')
    ) {
      throw new ProtectedResourceError(`AWS refused to delete ${id}: ${errorMessage(error)}${snapshotNote}`, { cause: error });
    }
    throw error;
  }
  return undefined;
}

export const snapshotAndDelete: Remediator<SnapshotDeleteParams, { snapshotTimeoutMinutes: number; pollSeconds: number }> = {
  id: 'snapshot-and-delete',
  resource: 'rds-instance',
  title: 'Snapshot the instance and delete it (a stopped instance: DeleteDBInstance takes the final snapshot; a running one: CreateDBSnapshot, wait until available, then delete)',
  options: z.object({
    /** How long trimtab waits for the snapshot of a running instance, counted from the snapshot request (each invocation polls about a minute; the workflow waits between them; a later run reuses it). */
    snapshotTimeoutMinutes: z.number().min(0).max(14).default(12),
    /** How often apply re-reads the snapshot while it waits for it to become available, in seconds. */
    pollSeconds: z.number().min(0).max(120).default(30),
  }),
  permissions: ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots', 'rds:CreateDBSnapshot', 'rds:AddTagsToResource', 'rds:DeleteDBInstance', 'rds:RestoreDBInstanceFromDBSnapshot'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "The instance itself: undo restores a new instance (new DbiResourceId) from the snapshot under the same name; settings RDS cannot set on a restore are listed in the undo; point-in-time restore covers only what the kept automated backups hold, until their retention ends.",
  plan(finding, options, { prices }) {
    const { instance: db, decision } = finding.before as IdleBefore;
    if (db.deletionProtection) return { kind: 'conflict', reason: `${db.id} has deletion protection on: a person asked AWS to refuse deletes; trimtab never turns it off` };
    if (!db.resourceId) return { kind: 'conflict', reason: `${db.id}: DescribeDBInstances gave no DbiResourceId, so the delete could not be bound to this database` };
    const spec = specOf(db);
    const storage = storageMonthly(db, prices);
    const snapshotUpper = db.allocatedGiB * prices.rdsSnapshotGbMonth;
    const instanceSaving = db.status === 'stopped' ? 0 : finding.savings.monthlyUsd;
    const monthlyUsd = Math.max(0, instanceSaving + storage.monthlyUsd - snapshotUpper);
    const retention = db.backupRetentionDays ?? 0;
    // Automated backups kept (DeleteAutomatedBackups false) bill as backup storage until their retention ends.
    const backupsUpper = retention > 0 ? db.allocatedGiB * prices.rdsSnapshotGbMonth * (Math.min(retention, 35) / 30) : 0;
    const how =
      db.status === 'stopped'
        ? `delete it with a final snapshot (DeleteDBInstance FinalDBSnapshotIdentifier: RDS refuses CreateDBSnapshot on a stopped instance and keeps the instance 'deleting' until the final snapshot is taken; it is not started, so no instance hours are billed)`
        : `snapshot it (CreateDBSnapshot), wait until the snapshot is available, then delete it`;
    return {
      kind: 'change',
      summary: `${db.id} (${db.dbClass} ${db.engine}, ${db.status}, ${db.allocatedGiB} GiB ${db.storageType}, DbiResourceId ${db.resourceId}): ${how}. Automated backups are kept for their retention (${retention} days). Refused at apply if the database was started, replaced or changed since.`,
      params: { dbInstanceIdentifier: db.id, spec, tags: db.tags, ...options, bound: boundOf(db), ...(decision ? { decision } : {}) },
      undo: `trimtab undo restores ${db.id} under the same identifier from the snapshot with class ${spec.dbClass}, subnet group ${spec.subnetGroup ?? 'default'}, parameter group ${spec.parameterGroup ?? 'default'}, security groups ${spec.securityGroups.join(', ') || 'default'}${spec.multiAz ? ', Multi-AZ' : ''}, port, backup retention and window, IAM authentication, log exports, CA certificate, auto minor upgrade and the same tags. The snapshot is kept.${restoreDiffers(spec).length ? ` Not restored (RDS cannot set them on a restore): ${restoreDiffers(spec).join('; ')}.` : ''} The restored instance keeps the endpoint name and gets a new DbiResourceId.`,
      savings: {
        monthlyUsd,
        basis: [
          ...(instanceSaving ? [`Instance hours: $${usd(instanceSaving)}/month.`] : ['Instance hours: already stopped, $0.']),
          `Storage: ${storage.basis}/month.`,
          `Minus the final snapshot: at most ${db.allocatedGiB} GiB × $${prices.rdsSnapshotGbMonth}/GB-month = $${usd(snapshotUpper)} (a snapshot bills the data written, not the allocation).`,
          retention > 0
            ? `Automated backups kept (${retention}-day retention, DeleteAutomatedBackups false): up to $${usd(backupsUpper)} once, billed as backup storage until the retention ends; not in the monthly figure.`
            : 'No automated backups (retention 0): nothing kept after the delete.',
        ],
      },
    };
  },

  /**
   * A running instance: snapshot-requested (the snapshot id) → snapshot-available → deleted, each
   * recorded before the next. With an ApplyEnv the wait for the snapshot is handed back as
   * `resumeAt`; a resume reuses the recorded snapshot (never a second one) and runs every
   * apply-time re-check again before the delete.
   */
  async apply(ctx, plan, _finding, env) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const id = plan.params.dbInstanceIdentifier;
    const { stepOf, lastStep, record } = stepLog(env, ctx.clock);
    const requested = stepOf(SNAPSHOT_DELETE_STEPS.requested);
    let snapshotId = typeof requested?.state?.snapshotId === 'string' ? requested.state.snapshotId : undefined;
    let reused = requested?.state?.reused === true;
    const result = (extra: Partial<SnapshotDeleteAfter> = {}): SnapshotDeleteAfter => ({ deleted: true, ...extra, ...(snapshotId ? { snapshotId } : {}), ...(reused ? { reusedSnapshot: true } : {}) });
    const pending = (resumeAt: string, waitingFor: string) => snapshotDeletePending(id, lastStep(), snapshotId, resumeAt, waitingFor);
    if (stepOf(SNAPSHOT_DELETE_STEPS.deleted)) return { after: result(), detail: `${id} deleting (recorded); snapshot ${snapshotId} kept` };
    /** The apply-time re-checks: before the first write, and again right before the delete. */
    const recheck = async (): Promise<{ done: AppliedChange } | { instance: RdsInstance }> => {
      const current = await describeInstance(rds, id);
      if (!current) return { done: { after: result({ alreadyGone: true }), detail: snapshotId ? `${id} vanished before the delete (snapshot ${snapshotId} kept)` : `${id} was already gone: counts as done` } };
      if (current.status === 'deleting' && current.resourceId === plan.params.bound?.dbiResourceId) return { done: { before: { instance: current }, after: result({ alreadyGone: true }), detail: `${id} is already deleting: counts as done` } };
      try {
        // The database the approver saw, in the state they saw: not one started, used or replaced since.
        // After the snapshot, identity first: a database replaced meanwhile is named as replaced.
        if (snapshotId) refuseIfChanged(current, plan.params.bound);
        refuseIfProtected(current, { allowStopped: true, stopOrDelete: true });
        if (!snapshotId) refuseIfChanged(current, plan.params.bound);
        if (current.deletionProtection) throw new ProtectedResourceError(`${id} now has deletion protection on; nothing was changed`);
        if (plan.params.decision) await refuseUnlessDecision(ctx, current, plan.params.decision);
      } catch (error) {
        // After the snapshot: say so (the snapshot is kept, the instance is not deleted).
        if (snapshotId && error instanceof ProtectedResourceError) throw new ProtectedResourceError(`${error.message.replace(/; nothing was changed$/, '')}; not deleted (snapshot ${snapshotId} kept)`, { cause: error });
        throw error;
      }
      return { instance: current };
    };
    // While its snapshot is taken the instance is `backing-up`: a resume mid-wait polls the
    // snapshot first and runs the re-checks once it is available, right before the delete.
    let checked: { instance: RdsInstance } | undefined;
    if (!snapshotId || stepOf(SNAPSHOT_DELETE_STEPS.available)) {
      const c = await recheck();
      if ('done' in c) return c.done;
      checked = c;
    }
    if (!snapshotId && checked!.instance.status === 'stopped') {
      const current = checked!.instance;
      // CreateDBSnapshot needs `available`; a stopped instance gets its snapshot from the delete.
      const finalId = snapshotIdFor(id, ctx.now);
      const refused = await deleteInstance(rds, id, finalId, current, '');
      if (refused) return refused;
      return {
        before: { instance: current },
        after: { deleted: true, snapshotId: finalId, finalSnapshot: true } satisfies SnapshotDeleteAfter,
        detail: `${id} deleting with final snapshot ${finalId} (RDS keeps it 'deleting' until the snapshot is taken)`,
      };
    }
    if (!snapshotId) {
      if (env && env.remainingMs() < MIN_STEP_MS) return pending(ctx.clock.now().toISOString(), `the snapshot request (${env.remainingMs()} ms left in this invocation)`);
      const current = checked!.instance;
      const prior = await existingTrimtabSnapshot(rds, id);
      reused = prior !== undefined;
      snapshotId = prior?.id;
      if (!snapshotId) {
        snapshotId = snapshotIdFor(id, ctx.now);
        try {
          await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: snapshotId, Tags: [...copyableTags(current.tags), { Key: SNAPSHOT_OF_TAG, Value: id }] }));
        } catch (error) {
          if (rdsErrorIs(error, 'InvalidDBInstanceState')) throw new ProtectedResourceError(`AWS refused to snapshot ${id}: ${errorMessage(error)}; nothing was changed`, { cause: error });
          // Another delivery of this action created it a moment ago: wait for that one.
          if (!rdsErrorIs(error, 'DBSnapshotAlreadyExists')) throw error;
        }
      }
      await record(SNAPSHOT_DELETE_STEPS.requested, { snapshotId, ...(reused ? { reused: true } : {}) });
    }
    if (!stepOf(SNAPSHOT_DELETE_STEPS.available)) {
      const since = Date.parse(stepOf(SNAPSHOT_DELETE_STEPS.requested)!.at);
      const w = await waitAvailable(rds, ctx.clock, snapshotId, id, since, plan.params.snapshotTimeoutMinutes, plan.params.pollSeconds, env);
      if ('resumeAt' in w) return pending(w.resumeAt, `snapshot ${snapshotId} to be available`);
      await record(SNAPSHOT_DELETE_STEPS.available, { snapshotId });
      // Right before the delete: still the same database, still unused (not started, not replaced).
      const c = await recheck();
      if ('done' in c) return c.done;
      checked = c;
    }
    if (env && env.remainingMs() < MIN_STEP_MS) return pending(ctx.clock.now().toISOString(), `the delete (${env.remainingMs()} ms left in this invocation)`);
    const before = checked!.instance;
    const refused = await deleteInstance(rds, id, undefined, before, ` (snapshot ${snapshotId} kept)`);
    if (refused) return { ...refused, after: { ...refused.after, snapshotId } };
    await record(SNAPSHOT_DELETE_STEPS.deleted, { snapshotId });
    return {
      before: { instance: before },
      after: result(),
      detail: `snapshot ${snapshotId}${reused ? ' (from an earlier run)' : ''} available; ${id} deleting`,
    };
  },

  async verify(ctx, plan, applied) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const still = await describeInstance(rds, plan.params.dbInstanceIdentifier);
    if (still && still.status !== 'deleting') return { ok: false, detail: `${plan.params.dbInstanceIdentifier} is ${still.status} after the delete` };
    const gone = still ? `${plan.params.dbInstanceIdentifier} is deleting` : `${plan.params.dbInstanceIdentifier} is gone`;
    const after = applied.after as SnapshotDeleteAfter;
    const snapshotId = after.snapshotId;
    if (!snapshotId) return { ok: true, detail: gone };
    const s = await readSnapshot(rds, ctx.clock, snapshotId).catch((error) => {
      if (rdsErrorIs(error, 'DBSnapshotNotFound')) return undefined;
      throw error;
    });
    if (s?.Status === 'available') return { ok: true, detail: `${gone}; snapshot ${snapshotId} is available` };
    // A final snapshot is taken while the instance is 'deleting': creating is the expected state.
    if (after.finalSnapshot && s?.Status === 'creating' && still) return { ok: true, detail: `${gone}; final snapshot ${snapshotId} is creating (RDS deletes the instance once it is taken)` };
    return { ok: false, detail: `${gone} but snapshot ${snapshotId} is ${s?.Status ?? 'missing'}` };
  },

  async undo(ctx, record) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const id = record.resource.id;
    const after = record.after as SnapshotDeleteAfter | undefined;
    if (!after?.snapshotId) throw new UndoRefusedError(`${id} was already gone when trimtab acted; trimtab took no snapshot to restore from.`);
    const params = record.params as SnapshotDeleteParams;
    const before = (record.before as IdleBefore | null)?.instance;
    const spec = before ? specOf(before) : params.spec;
    const s = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: after.snapshotId })).then((o) => o.DBSnapshots?.[0]).catch((error) => {
      if (rdsErrorIs(error, 'DBSnapshotNotFound')) return undefined;
      throw error;
    });
    if (!s) throw new UndoRefusedError(`Snapshot ${after.snapshotId} of ${id} no longer exists: the instance cannot be restored.`);
    if (s.Status !== 'available') throw new UndoRefusedError(`Snapshot ${after.snapshotId} is ${s.Status}: only an available snapshot can be restored. Try the undo again once it is available; nothing was changed.`);
    const tags = Object.entries(before?.tags ?? params.tags).filter(([k]) => ![STOPPED_AT_TAG, STOP_DECISION_TAG, STOP_DECIDED_AT_TAG].includes(k));
    const differs = restoreDiffers(spec);
    try {
      await rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: id,
          DBSnapshotIdentifier: after.snapshotId,
          DBInstanceClass: spec.dbClass,
          ...(spec.subnetGroup ? { DBSubnetGroupName: spec.subnetGroup } : {}),
          ...(spec.parameterGroup ? { DBParameterGroupName: spec.parameterGroup } : {}),
          ...(spec.optionGroup ? { OptionGroupName: spec.optionGroup } : {}),
          ...(spec.securityGroups.length ? { VpcSecurityGroupIds: spec.securityGroups } : {}),
          MultiAZ: spec.multiAz,
          ...(spec.availabilityZone ? { AvailabilityZone: spec.availabilityZone } : {}),
          ...restoreStorage(spec),
          ...(spec.publiclyAccessible !== undefined ? { PubliclyAccessible: spec.publiclyAccessible } : {}),
          ...(spec.port !== undefined ? { Port: spec.port } : {}),
          ...(spec.backupRetentionDays !== undefined ? { BackupRetentionPeriod: spec.backupRetentionDays } : {}),
          ...(spec.backupWindow ? { PreferredBackupWindow: spec.backupWindow } : {}),
          ...(spec.iamAuth !== undefined ? { EnableIAMDatabaseAuthentication: spec.iamAuth } : {}),
          ...(spec.logExports?.length ? { EnableCloudwatchLogsExports: spec.logExports } : {}),
          ...(spec.caCertificate ? { CACertificateIdentifier: spec.caCertificate } : {}),
          ...(spec.autoMinorUpgrade !== undefined ? { AutoMinorVersionUpgrade: spec.autoMinorUpgrade } : {}),
          Tags: [...copyableTags(Object.fromEntries(tags)), { Key: 'trimtab:restored-from', Value: after.snapshotId }],
        }),
      );
    } catch (error) {
      if (rdsErrorIs(error, 'DBInstanceAlreadyExists')) throw new UndoRefusedError(`An instance named ${id} exists again: not restored over it (restore the snapshot ${after.snapshotId} under another name).`, { cause: error });
      throw error;
    }
    return {
      detail: `Restoring ${id} from ${after.snapshotId} (class ${spec.dbClass}, subnet group ${spec.subnetGroup ?? 'default'}, parameter group ${spec.parameterGroup ?? 'default'}, security groups ${spec.securityGroups.join(', ') || 'default'}, port, backups, IAM auth, log exports, CA certificate and minor upgrades as before, tags copied). It is 'creating' for several minutes; the snapshot is kept.${differs.length ? ` Differs from before: ${differs.join('; ')}.` : ''}`,
      after: { restoredFrom: after.snapshotId, ...(differs.length ? { differs } : {}) },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// modify-storage-gp3

export interface Gp3Params {
  dbInstanceIdentifier: string;
  allocatedGiB: number;
  iops?: number;
}

interface Gp3After {
  storageType: 'gp3';
  modifiedAt?: string;
  alreadyGone?: boolean;
  alreadyGp3?: boolean;
}

/** Why AWS would refuse a storage change now, or undefined. */
function storageBusy(current: RdsInstance, modifiedAt: string | undefined, now: Date): string | undefined {
  if (current.status === 'modifying' || current.status === 'storage-optimization') return `${current.id} is ${current.status}`;
  if (current.storageOperation) return `${current.id} storage is ${current.storageOperation.status}${current.storageOperation.progress !== undefined ? ` (${current.storageOperation.progress}%)` : ''}`;
  if (modifiedAt && now.getTime() - Date.parse(modifiedAt) < 6 * HOUR_MS) {
    return `${current.id} storage was modified at ${modifiedAt}; AWS allows the next storage change 6 hours after the last (at ${new Date(Date.parse(modifiedAt) + 6 * HOUR_MS).toISOString()}) or when optimization completes, whichever is later`;
  }
  return undefined;
}

export const modifyStorageGp3: Remediator<Gp3Params, Record<string, never>> = {
  id: 'modify-storage-gp3',
  resource: 'rds-instance',
  title: 'Modify gp2 storage to gp3 (no reboot; the storage optimizes for hours)',
  options: z.object({}),
  permissions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
  defaultMode: 'approval',
  undoable: 'best-effort',
  undoLimits: "Nothing stored is lost; AWS allows the storage change back only 6 hours after this one and after storage optimization completes, so the undo may have to wait.",
  plan(finding) {
    const { instance: db, target } = finding.before as Gp2Before;
    return {
      kind: 'change',
      summary: `Modify ${db.id} storage (${db.allocatedGiB} GiB) from gp2 to gp3 (${target.iops} IOPS, ${target.throughput} MiB/s${target.provisionIops ? ', IOPS provisioned to match gp2' : ''}), applied now: no reboot, elevated latency while the storage optimizes (often hours).`,
      params: { dbInstanceIdentifier: db.id, allocatedGiB: db.allocatedGiB, ...(target.provisionIops ? { iops: target.iops } : {}) },
      undo: 'trimtab undo modifies it back to gp2 only when AWS allows another storage change: 6 hours after this one and once storage optimization has completed, whichever is later. Until then it refuses and says when.',
    };
  },
  async apply(ctx, plan) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const id = plan.params.dbInstanceIdentifier;
    const current = await describeInstance(rds, id);
    if (!current) return { after: { storageType: 'gp3', alreadyGone: true } satisfies Gp3After, detail: `${id} no longer exists: counts as done` };
    if (current.storageType === 'gp3' || current.pending.storageType === 'gp3') return { before: { instance: current }, after: { storageType: 'gp3', alreadyGp3: true } satisfies Gp3After, detail: `${id} is already gp3` };
    // The storage the plan was made for: another type (io1 set by a person) or size (the IOPS were sized for it) is a new decision.
    if (current.storageType !== 'gp2') throw new ProtectedResourceError(`${id} storage is now ${current.storageType}, not gp2: someone changed it since the scan; nothing was changed`);
    if (current.allocatedGiB !== plan.params.allocatedGiB) throw new ProtectedResourceError(`${id} storage is now ${current.allocatedGiB} GiB, not the ${plan.params.allocatedGiB} GiB planned (the gp3 IOPS were sized for it): changed since the scan; nothing was changed`);
    refuseIfProtected(current, { allowStopped: false, stopOrDelete: false, storageOnly: true });
    const busy = storageBusy(current, undefined, ctx.now);
    if (busy) throw new ProtectedResourceError(`${busy}; nothing was changed`);
    try {
      await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, StorageType: 'gp3', ...(plan.params.iops ? { Iops: plan.params.iops } : {}), ApplyImmediately: true }));
    } catch (error) {
      if (rdsErrorIs(error, 'DBInstanceNotFound')) return { after: { storageType: 'gp3', alreadyGone: true } satisfies Gp3After, detail: `${id} vanished: counts as done` };
      if (rdsErrorIs(error, 'InvalidDBInstanceState') || rdsErrorIs(error, 'InvalidParameterCombination')) throw new ProtectedResourceError(`AWS refused the storage change on ${id}: ${errorMessage(error)} A later run retries.`, { cause: error });
      throw error;
    }
    return { before: { instance: current }, after: { storageType: 'gp3', modifiedAt: ctx.now.toISOString() } satisfies Gp3After, detail: `ModifyDBInstance StorageType gp3 applied now; ${id} is modifying, then storage-optimization` };
  },
  async verify(ctx, plan, applied) {
    const after = applied.after as Gp3After;
    if (after.alreadyGone || after.alreadyGp3) return { ok: true, detail: after.alreadyGone ? `${plan.params.dbInstanceIdentifier} is gone` : `${plan.params.dbInstanceIdentifier} was already gp3` };
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const now = await describeInstance(rds, plan.params.dbInstanceIdentifier);
    if (!now) return { ok: false, detail: `${plan.params.dbInstanceIdentifier} disappeared after the storage change` };
    const ok = now.storageType === 'gp3' || now.pending.storageType === 'gp3';
    return ok ? { ok: true, detail: `${now.id}: storage ${now.storageType}${now.pending.storageType ? ` (pending ${now.pending.storageType})` : ''}, status ${now.status}` } : { ok: false, detail: `${now.id}: storage is ${now.storageType}, nothing pending` };
  },
  async undo(ctx, record) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const id = record.resource.id;
    const after = record.after as Gp3After | undefined;
    if (!after || after.alreadyGone || after.alreadyGp3) throw new UndoRefusedError(`trimtab changed nothing on ${id} to undo.`);
    const current = await describeInstance(rds, id);
    if (!current) throw new UndoRefusedError(`${id} no longer exists.`);
    if (current.storageType !== 'gp3') throw new UndoRefusedError(`${id} storage is now ${current.storageType}, not the gp3 trimtab set: not undone.`);
    const busy = storageBusy(current, after.modifiedAt, ctx.now);
    if (busy) throw new UndoRefusedError(`${busy}. Nothing was changed; try the undo again then.`);
    try {
      await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, StorageType: 'gp2', ApplyImmediately: true }));
    } catch (error) {
      if (rdsErrorIs(error, 'InvalidParameterCombination') || rdsErrorIs(error, 'InvalidDBInstanceState')) throw new UndoRefusedError(`AWS refused the change back to gp2 on ${id}: ${errorMessage(error)} Nothing was changed.`, { cause: error });
      throw error;
    }
    return { detail: `Modification of ${id} back to gp2 started (storage optimizes again).`, after: { storageType: 'gp2' } };
  },
};

// ---------------------------------------------------------------------------------------------
// downsize-db-instance

export interface DownsizeParams {
  dbInstanceIdentifier: string;
  fromClass: string;
  toClass: string;
}

export const downsizeDbInstance: Remediator<DownsizeParams, Record<string, never>> = {
  id: 'downsize-db-instance',
  resource: 'rds-instance',
  title: 'Change to the next smaller class at the next maintenance window',
  options: z.object({}),
  permissions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:ModifyDBInstance'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "The class change restarts the instance (at the change and again at the undo): connections drop and the buffer cache starts cold; queries slowed by the smaller class are not replayed.",
  plan(finding) {
    const { instance: db, target } = finding.before as OversizedBefore;
    return {
      kind: 'change',
      summary: `Change ${db.id} from ${db.dbClass} to ${target} at its next maintenance window (${db.maintenanceWindow ?? 'per the instance'}; ApplyImmediately false). The change restarts the instance${db.multiAz ? ' (Multi-AZ: a failover, about a minute)' : ''}.`,
      params: { dbInstanceIdentifier: db.id, fromClass: db.dbClass, toClass: target },
      undo: `trimtab undo sets ${db.dbClass} back: it replaces the pending change before the window, or applies at the next window after it.`,
    };
  },
  async apply(ctx, plan) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const { dbInstanceIdentifier: id, fromClass, toClass } = plan.params;
    const current = await describeInstance(rds, id, true);
    if (!current) return { after: { alreadyGone: true }, detail: `${id} no longer exists: counts as done` };
    if (current.dbClass === toClass || current.pending.dbClass === toClass) return { before: { instance: current }, after: { already: true, dbClass: toClass }, detail: `${id} is already ${current.dbClass === toClass ? '' : 'pending '}${toClass}` };
    if (current.dbClass !== fromClass) throw new ProtectedResourceError(`${id} is now ${current.dbClass}, not ${fromClass}: someone changed it since the scan; nothing was changed`);
    refuseIfProtected(current, { allowStopped: false, stopOrDelete: false });
    if (current.pending.dbClass) throw new ProtectedResourceError(`${id} already has a pending class change to ${current.pending.dbClass}; nothing was changed`);
    try {
      await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DBInstanceClass: toClass, ApplyImmediately: false }));
    } catch (error) {
      if (rdsErrorIs(error, 'DBInstanceNotFound')) return { after: { alreadyGone: true }, detail: `${id} vanished: counts as done` };
      if (rdsErrorIs(error, 'InvalidDBInstanceState') || rdsErrorIs(error, 'InvalidDBInstanceClass') || rdsErrorIs(error, 'InvalidParameterCombination')) throw new ProtectedResourceError(`AWS refused ${toClass} for ${id}: ${errorMessage(error)}`, { cause: error });
      throw error;
    }
    return { before: { instance: current }, after: { pendingClass: toClass, maintenanceWindow: current.maintenanceWindow }, detail: `${toClass} pending for ${id}'s maintenance window ${current.maintenanceWindow ?? ''}`.trim() };
  },
  async verify(ctx, plan, applied) {
    const a = applied.after as { alreadyGone?: boolean };
    if (a.alreadyGone) return { ok: true, detail: `${plan.params.dbInstanceIdentifier} is gone` };
    const rds = ctx.clients.get(RDSClient, ctx.region);
    // Right after ModifyDBInstance a read may not show the pending value yet: re-read briefly.
    const now = await retryTransient(ctx.clock, ['Stale'], async () => {
      const i = await describeInstance(rds, plan.params.dbInstanceIdentifier);
      if (i && i.dbClass !== plan.params.toClass && i.pending.dbClass !== plan.params.toClass) throw Object.assign(new Error('pending class not visible yet'), { name: 'Stale' });
      return i;
    }).catch(() => undefined);
    if (!now) return { ok: false, detail: `${plan.params.dbInstanceIdentifier}: ${plan.params.toClass} is neither current nor pending` };
    return { ok: true, detail: now.dbClass === plan.params.toClass ? `${now.id} is ${now.dbClass}` : `${now.id}: ${plan.params.toClass} pending for the maintenance window` };
  },
  async undo(ctx, record) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const id = record.resource.id;
    const p = record.params as DownsizeParams;
    const current = await describeInstance(rds, id);
    if (!current) throw new UndoRefusedError(`${id} no longer exists.`);
    if (current.dbClass !== p.toClass && current.pending.dbClass !== p.toClass) throw new UndoRefusedError(`${id} is ${current.dbClass}${current.pending.dbClass ? ` (pending ${current.pending.dbClass})` : ''}, not the ${p.toClass} trimtab set: someone changed it since; not undone.`);
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DBInstanceClass: p.fromClass, ApplyImmediately: false }));
    return { detail: current.dbClass === p.toClass ? `${p.fromClass} pending for ${id}'s next maintenance window.` : `${id}: the pending change is now back to ${p.fromClass} (no change at the window).`, after: { pendingClass: p.fromClass } };
  },
};

// ---------------------------------------------------------------------------------------------
// lower-min-capacity

export interface MinCapacityParams {
  dbClusterIdentifier: string;
  fromMinAcu: number;
  toMinAcu: number;
  maxAcu: number;
}

export const lowerMinCapacity: Remediator<MinCapacityParams, Record<string, never>> = {
  id: 'lower-min-capacity',
  resource: 'rds-instance',
  title: 'Lower an Aurora Serverless v2 cluster MinCapacity (MaxCapacity kept)',
  options: z.object({}),
  permissions: ['rds:DescribeDBClusters', 'rds:ModifyDBCluster'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Queries slowed while the cluster scaled up from the lower minimum are not replayed; no data is lost.",
  plan(finding) {
    const { cluster, targetMinAcu } = finding.before as MinCapacityBefore;
    return {
      kind: 'change',
      summary: `Lower ${cluster.id} Serverless v2 MinCapacity from ${cluster.serverlessV2!.minAcu} to ${targetMinAcu} ACU (MaxCapacity ${cluster.serverlessV2!.maxAcu} kept); no restart, capacity scales within the new range.`,
      params: { dbClusterIdentifier: cluster.id, fromMinAcu: cluster.serverlessV2!.minAcu, toMinAcu: targetMinAcu, maxAcu: cluster.serverlessV2!.maxAcu },
      undo: `trimtab undo sets MinCapacity back to ${cluster.serverlessV2!.minAcu} ACU.`,
    };
  },
  async apply(ctx, plan) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const { dbClusterIdentifier: id, fromMinAcu, toMinAcu } = plan.params;
    const current = await describeCluster(rds, id);
    if (!current) return { after: { alreadyGone: true }, detail: `${id} no longer exists: counts as done` };
    if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}`);
    if (current.status !== 'available') throw new ProtectedResourceError(`${id} is ${current.status}; nothing was changed`);
    if (current.serverlessV2?.minAcu === toMinAcu) return { before: { cluster: current }, after: { minAcu: toMinAcu, already: true }, detail: `${id} MinCapacity is already ${toMinAcu}` };
    if (current.serverlessV2?.minAcu !== fromMinAcu) throw new ProtectedResourceError(`${id} MinCapacity is now ${current.serverlessV2?.minAcu ?? 'unset'}, not ${fromMinAcu}: changed since the scan; nothing was changed`);
    try {
      await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: id, ServerlessV2ScalingConfiguration: { MinCapacity: toMinAcu, MaxCapacity: current.serverlessV2.maxAcu }, ApplyImmediately: true }));
    } catch (error) {
      if (rdsErrorIs(error, 'InvalidDBClusterState')) throw new ProtectedResourceError(`AWS refused: ${errorMessage(error)}`, { cause: error });
      throw error;
    }
    return { before: { cluster: current }, after: { minAcu: toMinAcu, maxAcu: current.serverlessV2.maxAcu }, detail: `${id} MinCapacity ${fromMinAcu} → ${toMinAcu} ACU` };
  },
  async verify(ctx, plan, applied) {
    if ((applied.after as { alreadyGone?: boolean }).alreadyGone) return { ok: true, detail: `${plan.params.dbClusterIdentifier} is gone` };
    const c = await describeCluster(ctx.clients.get(RDSClient, ctx.region), plan.params.dbClusterIdentifier);
    return c?.serverlessV2?.minAcu === plan.params.toMinAcu ? { ok: true, detail: `${c.id} MinCapacity is ${c.serverlessV2.minAcu} ACU` } : { ok: false, detail: `${plan.params.dbClusterIdentifier} MinCapacity is ${c?.serverlessV2?.minAcu ?? 'unknown'}` };
  },
  async undo(ctx, record) {
    const rds = ctx.clients.get(RDSClient, ctx.region);
    const p = record.params as MinCapacityParams;
    const c = await describeCluster(rds, p.dbClusterIdentifier);
    if (!c?.serverlessV2) throw new UndoRefusedError(`${p.dbClusterIdentifier} no longer exists or is no longer Serverless v2.`);
    if (c.serverlessV2.minAcu !== p.toMinAcu) throw new UndoRefusedError(`${p.dbClusterIdentifier} MinCapacity is ${c.serverlessV2.minAcu}, not the ${p.toMinAcu} trimtab set: changed since; not undone.`);
    await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: p.dbClusterIdentifier, ServerlessV2ScalingConfiguration: { MinCapacity: p.fromMinAcu, MaxCapacity: Math.max(c.serverlessV2.maxAcu, p.fromMinAcu) }, ApplyImmediately: true }));
    return { detail: `${p.dbClusterIdentifier} MinCapacity back to ${p.fromMinAcu} ACU.`, after: { minAcu: p.fromMinAcu } };
  },
};
