/**
 * RDS and Aurora detectors. Pure over the listed databases and their daily metrics.
 *
 * Module protections (status 'protected', the reason in evidence.protection), from what
 * DescribeDBInstances reports:
 * - anything mid-maintenance: a DBInstanceStatus other than `available` (or `stopped` where the
 *   action allows it): `modifying`, `backing-up`, `storage-optimization`, `maintenance`,
 *   `upgrading`, `rebooting`, `starting`, `stopping`, `creating`, `deleting`, … (RDS User Guide,
 *   "Viewing Amazon RDS DB instance status");
 * - read replicas and replication sources: AWS refuses to stop either ("You can't stop a DB
 *   instance that has a read replica, or that is a read replica", RDS User Guide, "Stopping an
 *   Amazon RDS DB instance temporarily"), and deleting a source promotes its replicas;
 * - the writer of an Aurora cluster, and Aurora instances for stop/delete (StopDBInstance does
 *   not apply to Aurora; the cluster is stopped as a whole);
 * - `trimtab:skip` (the engine's core protection).
 * Deletion protection is not a detector protection: it is the plan's conflict for the
 * destructive action only (a person turned it on; trimtab never turns it off).
 */
import * as z from 'zod';
import type { Detection, Detector } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { supportsZeroMinCapacity, classSpec, gp2BaselineIops, gp2BurstIops, gp3Included, hourlyPrice, instanceMonthly, nextSmallerClass, noPriceWhy, pricedEngine, storageMonthly, successorOf } from './classes.ts';

/** The basis line of a class without a price: Oracle says why (licence model), the others as before. */
const noPrice = (db: { engine: string; licenseModel?: string }, dbClass: string, otherwise: string) =>
  /^oracle-/.test(db.engine) ? `No price: ${noPriceWhy(db, dbClass)}; saving not estimated.` : otherwise;
import { checkStopDecision, tagDate } from './decision.ts';
import { DECISIONS_NEED, metricsNeed, STOP_DECISION_TAG, type AuroraCluster, type RdsDatabase, type RdsDay, type RdsInstance } from './resource.ts';

const DAY_MS = 86_400_000;
/** AWS starts a stopped DB instance again after seven days (StopDBInstance API reference). */
export const AUTO_START_DAYS = 7;
export const STOPPED_AT_TAG = 'trimtab:stopped-at';
export { STOP_DECISION_TAG };
export const STOP_DECIDED_AT_TAG = 'trimtab:stop-decided-at';

const values = (days: RdsDay[], key: keyof RdsDay) => days.map((d) => d[key]).filter((v): v is number => typeof v === 'number');
/** The decision the database's tag points to, checked against its audit record (see decision.ts). */
const decisionOf = (db: RdsInstance) => checkStopDecision(db, db.tags[STOP_DECISION_TAG], db.decision?.record, db.decision ? db.decision.error : 'the audit trail was not read for this run');
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const GIB = 1024 ** 3;

/** Why the instance must not be touched now, or undefined. */
export function instanceProtection(db: RdsInstance, opts: { allowStopped: boolean; stopOrDelete: boolean; storageOnly?: boolean; stop?: boolean }): string | undefined {
  const okStates = opts.allowStopped ? ['available', 'stopped'] : ['available'];
  if (!okStates.includes(db.status)) return `status is ${db.status}: mid-maintenance or changing; AWS refuses most changes until it is ${okStates.join(' or ')}`;
  // A storage type change runs online on a source or a replica alike; anything else touches replication.
  if (db.readReplicaSource && !opts.storageOnly) return `a read replica of ${db.readReplicaSource}`;
  if (db.readReplicas.length && !opts.storageOnly) return `the replication source of ${db.readReplicas.join(', ')}`;
  if (db.clusterId && db.isClusterWriter) return `the writer of Aurora cluster ${db.clusterId}`;
  if (db.clusterId && opts.stopOrDelete) return `a member of Aurora cluster ${db.clusterId}: Aurora instances are stopped and deleted with their cluster, not one by one`;
  // RDS User Guide, "Stopping an Amazon RDS DB instance temporarily": "You can't stop an Amazon RDS for SQL Server DB instance in a Multi-AZ configuration."
  if (opts.stop && db.multiAz && db.engine.startsWith('sqlserver')) return 'an RDS for SQL Server Multi-AZ instance: AWS cannot stop SQL Server in a Multi-AZ configuration';
  return undefined;
}

const protectedDetection = (d: Detection, protection: string | undefined): Detection =>
  protection ? { ...d, reason: `${d.reason} Protected: ${protection}.`, status: 'protected', evidence: { ...d.evidence, protection } } : d;

/** The instance facts every finding shows. */
const facts = (db: RdsInstance) => ({
  engine: db.engine,
  ...(db.engineVersion ? { engineVersion: db.engineVersion } : {}),
  dbClass: db.dbClass,
  status: db.status,
  multiAz: db.multiAz,
  storage: { type: db.storageType, allocatedGiB: db.allocatedGiB, ...(db.iops !== undefined ? { iops: db.iops } : {}), ...(db.throughput !== undefined ? { throughputMiBps: db.throughput } : {}) },
  deletionProtection: db.deletionProtection,
  ...(db.clusterId ? { cluster: db.clusterId } : {}),
});

/** What the idle remediators need (kept in `before`). */
export interface IdleBefore {
  instance: RdsInstance;
  /** For a stopped instance: the verified stop decision it was stopped under. */
  decision?: string;
}

export interface IdleOptions {
  days: number;
  stoppedByTrimtab: boolean;
}

export const idleDbInstance: Detector<RdsDatabase, IdleOptions> = {
  id: 'idle-db-instance',
  resource: 'rds-instance',
  title: 'DB instance with no connections for N days',
  options: z.object({
    /** Flag instances whose daily maximum DatabaseConnections was 0 on each of the last N days (every day must have data). */
    days: z.number().int().min(1).max(60).default(14),
    /**
     * false: running instances with no connections. true: instances trimtab stopped at least
     * `days` ago that nobody started since (the step after stop: snapshot-and-delete).
     */
    stoppedByTrimtab: z.boolean().default(false),
  }),
  needs: (o) => (o.stoppedByTrimtab ? [DECISIONS_NEED] : [metricsNeed(o.days), DECISIONS_NEED]),
  permissions: ['cloudwatch:GetMetricData'],
  detect(db, options, { ctx }): Detection | undefined {
    if (db.kind !== 'instance') return undefined;
    const instanceCost = instanceMonthly(ctx.prices, pricedEngine(db), db.dbClass, db.multiAz);
    const storage = storageMonthly(db, ctx.prices);
    const savings = {
      monthlyUsd: instanceCost?.monthlyUsd ?? 0,
      basis: [
        instanceCost ? `Instance hours: ${instanceCost.basis}/month.` : noPrice(db, db.dbClass, `No price for ${db.dbClass} (${db.engine}) in the price table (rdsInstanceHourly): saving not estimated.`),
        `Storage stays billed while stopped: ${storage.basis}/month (deleting saves it too, minus the final snapshot).`,
        `AWS starts a stopped instance again after ${AUTO_START_DAYS} days; the saving assumes the re-stop policy keeps it stopped.`,
      ],
    };
    // Stopped by trimtab and still unused: the next step (snapshot-and-delete) may apply. The
    // decision's time counts, from its audit record (the weekly re-stop renews trimtab:stopped-at;
    // tags only point to the record and prove nothing).
    if (options.stoppedByTrimtab !== (db.status === 'stopped')) return undefined;
    if (db.status === 'stopped') {
      if (!db.tags[STOP_DECISION_TAG] && !db.tags[STOPPED_AT_TAG]) return undefined;
      const decision = decisionOf(db);
      const decidedAt = decision.ok ? decision.decidedAt : undefined;
      const stoppedDays = decidedAt ? Math.floor((ctx.now.getTime() - Date.parse(decidedAt)) / DAY_MS) : undefined;
      if (stoppedDays !== undefined && stoppedDays < options.days) return undefined;
      const d: Detection = {
        reason: decision.ok
          ? `Stopped by trimtab under decision ${decision.id} (${decision.mode === 'approval' ? `approved by ${decision.actor}` : 'auto policy'}) since ${decidedAt} (${stoppedDays} days, re-stopped after each AWS restart) and still stopped; ${db.allocatedGiB} GiB of ${db.storageType} storage is still billed.`
          : `Stopped, with trimtab's stop tags, but no stop decision trimtab can verify; ${db.allocatedGiB} GiB of ${db.storageType} storage is still billed.`,
        evidence: { ...facts(db), ...(decidedAt ? { decidedAt, stoppedDays } : {}), ...(db.tags[STOP_DECISION_TAG] ? { stopDecision: db.tags[STOP_DECISION_TAG] } : {}), decisionVerified: decision.ok },
        savings: { monthlyUsd: 0, basis: ['Instance hours are already not billed (stopped); deleting saves the storage: see the plan.'] },
        before: { instance: db, ...(decision.ok ? { decision: decision.id } : {}) } satisfies IdleBefore,
      };
      return protectedDetection(d, decision.ok ? instanceProtection(db, { allowStopped: true, stopOrDelete: true }) : decision.why);
    }
    // Under a verified stop decision: the re-stop policy (auto-started-db-instance) owns it. A
    // decision tag that does not verify changes nothing here: the instance is judged on its use.
    if (!db.metrics || (db.tags[STOP_DECISION_TAG] && decisionOf(db).ok)) return undefined;
    const window = db.metrics.days.slice(-options.days);
    const withData = window.filter((d) => d.connectionsMax !== null);
    const peak = Math.max(0, ...values(window, 'connectionsMax'));
    if (peak > 0) return undefined;
    const age = db.createTime ? Math.floor((ctx.now.getTime() - Date.parse(db.createTime)) / DAY_MS) : undefined;
    if (age !== undefined && age < options.days) return undefined;
    const tooLittle = withData.length < options.days ? `too little data: DatabaseConnections on ${withData.length} of the last ${options.days} days` : undefined;
    const d: Detection = {
      reason: `No connections on any of the last ${options.days} days (daily maximum DatabaseConnections 0); ${db.dbClass} ${db.engine}${db.multiAz ? ' Multi-AZ' : ''} costs $${usd(instanceCost?.monthlyUsd ?? 0)}/month in instance hours.`,
      evidence: { ...facts(db), windowDays: options.days, daysWithData: withData.length, maxConnections: peak, ...(age !== undefined ? { ageDays: age } : {}), autoStartAfterDays: AUTO_START_DAYS },
      savings,
      before: { instance: db } satisfies IdleBefore,
    };
    return protectedDetection(d, instanceProtection(db, { allowStopped: false, stopOrDelete: true, stop: true }) ?? tooLittle);
  },
};

export interface RestartedBefore {
  instance: RdsInstance;
  stoppedAt: string;
  decision: string;
  decidedAt?: string;
}

export interface RestartedOptions {
  maxWeeks: number;
}

/**
 * An instance trimtab stopped that AWS started again after seven days, still unused since. The
 * re-stop refers to the recorded decision (the `trimtab:stop-decision` tag names the approved
 * action), so it is not a new decision; after `maxWeeks` a person decides again.
 */
export const autoStartedDbInstance: Detector<RdsDatabase, RestartedOptions> = {
  id: 'auto-started-db-instance',
  resource: 'rds-instance',
  title: 'DB instance trimtab stopped that AWS started again after 7 days, unused since',
  options: z.object({
    /** Keep re-stopping under the original decision for at most this many weeks; then a person decides again. */
    maxWeeks: z.number().int().min(1).max(52).default(8),
  }),
  needs: [metricsNeed(AUTO_START_DAYS + 1), DECISIONS_NEED],
  permissions: ['cloudwatch:GetMetricData'],
  detect(db, options, { ctx }): Detection | undefined {
    if (db.kind !== 'instance' || db.status !== 'available') return undefined;
    const decisionTag = db.tags[STOP_DECISION_TAG];
    if (!db.tags[STOPPED_AT_TAG] || !decisionTag) return undefined;
    const cost = instanceMonthly(ctx.prices, pricedEngine(db), db.dbClass, db.multiAz);
    const savings = { monthlyUsd: cost?.monthlyUsd ?? 0, basis: [cost ? `Instance hours: ${cost.basis}/month while kept stopped.` : noPrice(db, db.dbClass, `No price for ${db.dbClass}: saving not estimated.`)] };
    const refuse = (why: string): Detection => ({
      reason: `${db.id} carries trimtab's stop tags (decision ${decisionTag}) but is not re-stopped: ${why}.`,
      evidence: { ...facts(db), stopDecision: decisionTag, protection: why },
      savings,
      status: 'protected',
    });
    const decision = decisionOf(db);
    if (!decision.ok) return refuse(decision.why);
    const stopped = tagDate(db.tags, STOPPED_AT_TAG, ctx.now);
    if (!stopped) return undefined;
    if ('why' in stopped) return refuse(stopped.why);
    const decidedMs = Date.parse(decision.decidedAt);
    // A stop before the decision was made is not a stop under it.
    if (stopped.at < decidedMs - DAY_MS) return refuse(`${STOPPED_AT_TAG} (${db.tags[STOPPED_AT_TAG]}) is before decision ${decision.id} was made (${decision.decidedAt})`);
    const stoppedAt = new Date(stopped.at).toISOString();
    const restartAt = stopped.at + AUTO_START_DAYS * DAY_MS;
    // Started before the seven days: a person started it; that is their decision, not AWS's.
    if (ctx.now.getTime() < restartAt) return undefined;
    // Unused since: every complete day after the stop day, and always the last complete metrics
    // day (a stop time set to make the window empty still leaves yesterday in it). A stopped
    // day has no data; a day with any connection means someone uses it.
    if (!db.metrics?.days.length) return refuse('no DatabaseConnections data was read: trimtab cannot tell whether it is used');
    const stopDay = stoppedAt.slice(0, 10);
    const lastDay = db.metrics.days[db.metrics.days.length - 1];
    const window = db.metrics.days.filter((d) => d.day > stopDay || d === lastDay);
    const used = window.filter((d) => (d.connectionsMax ?? 0) > 0);
    if (used.length) return undefined;
    const weeks = Math.floor((ctx.now.getTime() - decidedMs) / (7 * DAY_MS));
    const decidedAt = decision.decidedAt;
    const d: Detection = {
      reason: `AWS started ${db.id} again about ${new Date(restartAt).toISOString()} (${AUTO_START_DAYS} days after trimtab stopped it on ${stoppedAt}); no connection on ${window.map((w) => w.day).join(', ')}. Re-stopping it under decision ${decision.id} (${decision.mode === 'approval' ? `approved by ${decision.actor}` : 'auto policy'}, verified in the audit trail).`,
      evidence: { ...facts(db), stoppedAt, autoStartedAbout: new Date(restartAt).toISOString(), decision: decision.id, decidedAt, decidedBy: decision.actor, weeksSinceDecision: weeks, daysChecked: window.map((w) => w.day) },
      savings,
      before: { instance: db, stoppedAt, decision: decision.id, decidedAt } satisfies RestartedBefore,
    };
    const stale = weeks >= options.maxWeeks ? `decision ${decision.id} is ${weeks} weeks old (maxWeeks ${options.maxWeeks}): a person decides again (stop it under the idle policy, or snapshot and delete it)` : undefined;
    return protectedDetection(d, instanceProtection(db, { allowStopped: false, stopOrDelete: true, stop: true }) ?? stale);
  },
};

export interface Gp2Before {
  instance: RdsInstance;
  target: { iops: number; throughput: number; provisionIops: boolean };
}

export const gp2Storage: Detector<RdsDatabase, Record<string, never>> = {
  id: 'gp2-storage',
  resource: 'rds-instance',
  title: 'gp2 storage that gp3 serves with a higher baseline at no extra cost',
  options: z.object({}),
  detect(db, _options, { ctx }): Detection | undefined {
    if (db.kind !== 'instance' || db.storageType !== 'gp2' || db.clusterId) return undefined;
    const included = gp3Included(db.engine, db.allocatedGiB);
    const baseline = gp2BaselineIops(db.allocatedGiB);
    // Above 4,000 GiB gp2's baseline passes gp3's included 12,000: provision IOPS to match it.
    const provisionIops = baseline > included.iops;
    const target = { iops: Math.max(included.iops, baseline), throughput: included.throughput, provisionIops };
    const now = storageMonthly(db, ctx.prices);
    const after = storageMonthly({ ...db, storageType: 'gp3', ...(provisionIops ? { iops: target.iops } : {}) }, ctx.prices);
    const saving = now.monthlyUsd - after.monthlyUsd;
    if (saving < -0.005) return undefined;
    const busy = db.storageOperation
      ? `storage is ${db.storageOperation.status}${db.storageOperation.progress !== undefined ? ` (${db.storageOperation.progress}%)` : ''}: AWS allows the next storage change 6 hours after the last one or when optimization completes, whichever is later`
      : db.pending.storageType || db.pending.allocatedGiB !== undefined || db.pending.iops !== undefined
        ? `a storage change is already pending (${JSON.stringify(db.pending)})`
        : undefined;
    const d: Detection = {
      reason: `gp2 ${db.allocatedGiB} GiB has a baseline of ${baseline} IOPS (bursting to ${gp2BurstIops(db.allocatedGiB)} on credits); gp3 includes ${included.iops} IOPS and ${included.throughput} MiB/s at this size for ${saving > 0.005 ? `$${usd(saving)}/month less` : 'the same price'}.`,
      evidence: {
        ...facts(db),
        gp2: { baselineIops: baseline, burstIops: gp2BurstIops(db.allocatedGiB) },
        gp3: { iops: target.iops, throughputMiBps: target.throughput, includedIops: included.iops, provisionedIops: provisionIops },
        monthlyCostUsd: { gp2: usd(now.monthlyUsd), gp3: usd(after.monthlyUsd) },
      },
      savings: { monthlyUsd: Math.max(0, saving), basis: [`Now: ${now.basis}/month.`, `As gp3: ${after.basis}/month.`, 'RDS bills gp3 at the same $/GB as gp2: the gain is the baseline performance.'] },
      benefit: saving > 0.005 ? ['cost', 'performance'] : ['performance'],
      risk: {
        summary: `gp2 at ${db.allocatedGiB} GiB sustains ${baseline} IOPS once its burst credits run out; gp3 sustains ${target.iops} IOPS and ${target.throughput} MiB/s without credits.`,
        evidence: { gp2BaselineIops: baseline, gp3BaselineIops: target.iops },
      },
      before: { instance: db, target } satisfies Gp2Before,
    };
    return protectedDetection(d, instanceProtection(db, { allowStopped: false, stopOrDelete: false, storageOnly: true }) ?? busy);
  },
};

export interface OversizedBefore {
  instance: RdsInstance;
  target: string;
}

export interface OversizedOptions {
  windowDays: number;
  maxCpuP95Percent: number;
  minFreeMemoryPercent: number;
}

export const oversizedDbInstance: Detector<RdsDatabase, OversizedOptions> = {
  id: 'oversized-db-instance',
  resource: 'rds-instance',
  title: 'DB instance whose CPU p95 is low and memory ample: the next size down',
  options: z.object({
    /** Days of metrics read; every day must have CPU and memory data. */
    windowDays: z.number().int().min(7).max(60).default(14),
    /** The highest daily CPU p95 allowed; halving the vCPUs roughly doubles it. */
    maxCpuP95Percent: z.number().min(1).max(50).default(30),
    /** The lowest daily minimum FreeableMemory allowed, as a percentage of the class's memory; the smaller class has half. */
    minFreeMemoryPercent: z.number().min(50).max(95).default(60),
  }),
  needs: (o) => [metricsNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],
  detect(db, options, { ctx }): Detection | undefined {
    if (db.kind !== 'instance' || !db.metrics) return undefined;
    const spec = classSpec(db.dbClass);
    const target = nextSmallerClass(db.dbClass);
    // Burstable classes: CPU percent is of a credit baseline, not of the vCPUs; not sized here.
    if (!spec || spec.burstable || !target) return undefined;
    const window = db.metrics.days.slice(-options.windowDays);
    const cpu = values(window, 'cpuP95');
    const mem = values(window, 'freeableMemoryMinBytes');
    if (cpu.length < options.windowDays || mem.length < options.windowDays) return undefined;
    const cpuP95 = Math.max(...cpu);
    const freeMin = Math.min(...mem);
    const freePercent = (freeMin / (spec.memoryGiB * GIB)) * 100;
    if (cpuP95 > options.maxCpuP95Percent || freePercent < options.minFreeMemoryPercent) return undefined;
    const now = instanceMonthly(ctx.prices, pricedEngine(db), db.dbClass, db.multiAz);
    const after = instanceMonthly(ctx.prices, pricedEngine(db), target, db.multiAz);
    const saving = now && after ? now.monthlyUsd - after.monthlyUsd : 0;
    const pendingClass = db.pending.dbClass ? `a class change to ${db.pending.dbClass} is already pending for the maintenance window` : undefined;
    const d: Detection = {
      reason: `CPU p95 peaked at ${round(cpuP95)}% over ${options.windowDays} days and at least ${round(freePercent)}% of ${spec.memoryGiB} GiB stayed free: ${target} (half the vCPUs and memory) at the next maintenance window saves $${usd(saving)}/month.`,
      evidence: { ...facts(db), windowDays: options.windowDays, maxDailyCpuP95: round(cpuP95), minFreeableMemoryGiB: round(freeMin / GIB, 2), minFreeMemoryPercent: round(freePercent), vcpu: spec.vcpu, memoryGiB: spec.memoryGiB, candidate: target, maintenanceWindow: db.maintenanceWindow },
      savings: {
        monthlyUsd: Math.max(0, saving),
        basis: now && after ? [`Now: ${now.basis}/month.`, `As ${target}: ${after.basis}/month.`] : [noPrice(db, now ? target : db.dbClass, `No price for ${now ? target : db.dbClass} (${db.engine}) in the price table (rdsInstanceHourly): saving not estimated.`)],
      },
      before: { instance: db, target } satisfies OversizedBefore,
    };
    return protectedDetection(d, instanceProtection(db, { allowStopped: false, stopOrDelete: false }) ?? pendingClass);
  },
};

export const previousGenerationClass: Detector<RdsDatabase, Record<string, never>> = {
  id: 'previous-generation-class',
  resource: 'rds-instance',
  title: 'DB instance on a previous-generation class: the successor and the saving',
  options: z.object({}),
  detect(db, _options, { ctx }): Detection | undefined {
    if (db.kind !== 'instance') return undefined;
    const next = successorOf(db.dbClass);
    if (!next) return undefined;
    const now = instanceMonthly(ctx.prices, pricedEngine(db), db.dbClass, db.multiAz);
    const succ = instanceMonthly(ctx.prices, pricedEngine(db), next.successor, db.multiAz);
    const grav = next.graviton ? instanceMonthly(ctx.prices, pricedEngine(db), next.graviton, db.multiAz) : undefined;
    const saving = now && succ ? now.monthlyUsd - succ.monthlyUsd : 0;
    const basis = now && succ ? [`Now: ${now.basis}/month.`, `As ${next.successor}: ${succ.basis}/month.`] : [noPrice(db, now ? next.successor : db.dbClass, `No price for ${now ? next.successor : db.dbClass} (${db.engine}) in the price table: saving not estimated.`)];
    if (now && grav) basis.push(`Graviton alternative ${next.graviton}: ${grav.basis}/month ($${usd(now.monthlyUsd - grav.monthlyUsd)}/month less than now; check the engine version supports it).`);
    return {
      reason: `${db.dbClass} is a previous-generation class; ${next.successor} is its current successor${saving > 0 ? ` and costs $${usd(saving)}/month less` : ''}${next.graviton ? ` (Graviton ${next.graviton} costs less still)` : ''}. Class changes need a reboot: plan them for a maintenance window.`,
      evidence: { ...facts(db), successor: next.successor, ...(next.graviton ? { graviton: next.graviton } : {}), candidate: next.successor, hourlyUsd: { now: hourlyPrice(ctx.prices, pricedEngine(db), db.dbClass) ?? null, successor: hourlyPrice(ctx.prices, pricedEngine(db), next.successor) ?? null } },
      savings: { monthlyUsd: Math.max(0, saving), basis },
    };
  },
};

export interface MinCapacityBefore {
  cluster: AuroraCluster;
  targetMinAcu: number;
}

export interface MinCapacityOptions {
  windowDays: number;
  floorAcu: number;
  maxCpuP95Percent: number;
}

/**
 * Serverless v2 capacity never goes below MinCapacity, so ServerlessDatabaseCapacity cannot show
 * how far below the floor the workload would go. The signal is a floor that binds every day
 * (the daily maximum capacity at the minimum) with low CPU: the floor is above what the
 * workload uses. The new minimum is half the old one, never below `floorAcu`.
 */
export const auroraServerlessMinCapacity: Detector<RdsDatabase, MinCapacityOptions> = {
  id: 'aurora-serverless-min-capacity',
  resource: 'rds-instance',
  title: 'Aurora Serverless v2 minimum capacity far above what the cluster uses',
  options: z.object({
    /** Days of ServerlessDatabaseCapacity and CPU read; the minimum must bind on every one of them. */
    windowDays: z.number().int().min(7).max(60).default(14),
    /** The lowest MinCapacity trimtab proposes (0.5 ACU; 0 allows auto-pause where the engine version supports it). */
    floorAcu: z.number().min(0).max(256).default(0.5),
    /** The highest daily CPU p95 (percent of the current capacity) allowed. */
    maxCpuP95Percent: z.number().min(1).max(80).default(25),
  }),
  needs: (o) => [metricsNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],
  detect(db, options, { ctx }): Detection | undefined {
    if (db.kind !== 'cluster' || !db.serverlessV2 || !db.metrics || db.serverlessInstances === 0) return undefined;
    const { minAcu, maxAcu } = db.serverlessV2;
    // Half the old minimum in 0.5 ACU steps (Serverless v2's granularity), never below the floor;
    // 0 ACU only where the engine version supports automatic pause (else AWS refuses it).
    const zeroOk = supportsZeroMinCapacity(db.engine, db.engineVersion);
    const floor = options.floorAcu === 0 && !zeroOk ? 0.5 : options.floorAcu;
    const target = Math.max(floor, Math.floor(minAcu) / 2);
    if (target >= minAcu) return undefined;
    const window = db.metrics.days.slice(-options.windowDays);
    const capacity = values(window, 'capacityMaxAcu');
    const cpu = values(window, 'cpuP95');
    if (capacity.length < options.windowDays || cpu.length < options.windowDays) return undefined;
    const peak = Math.max(...capacity);
    const cpuP95 = Math.max(...cpu);
    // The floor binds: capacity never rose meaningfully above the minimum, and CPU stayed low.
    if (peak > minAcu * 1.05 || cpuP95 > options.maxCpuP95Percent) return undefined;
    const acuHours = (minAcu - target) * db.serverlessInstances * ctx.prices.hoursPerMonth;
    const saving = acuHours * ctx.prices.auroraServerlessV2AcuHour;
    const busy = db.status !== 'available' ? `cluster status is ${db.status}` : undefined;
    const d: Detection = {
      reason: `MinCapacity ${minAcu} ACU bound all ${options.windowDays} days (peak ServerlessDatabaseCapacity ${round(peak, 2)} ACU, CPU p95 at most ${round(cpuP95)}%): a minimum of ${target} ACU lets it scale down, saving up to $${usd(saving)}/month.`,
      evidence: {
        engine: db.engine,
        ...(db.engineVersion ? { engineVersion: db.engineVersion } : {}),
        status: db.status,
        minAcu,
        maxAcu,
        serverlessInstances: db.serverlessInstances,
        windowDays: options.windowDays,
        peakCapacityAcu: round(peak, 2),
        maxDailyCpuP95: round(cpuP95),
        candidate: target,
        ...(floor !== options.floorAcu ? { floorRaised: `floorAcu 0 needs automatic pause, which ${db.engine} ${db.engineVersion ?? '(version unknown)'} does not support: 0.5 ACU is its lowest minimum` } : {}),
      },
      savings: {
        monthlyUsd: saving,
        basis: [
          `(${minAcu} − ${target}) ACU × ${db.serverlessInstances} db.serverless instance(s) × ${ctx.prices.hoursPerMonth} h × $${ctx.prices.auroraServerlessV2AcuHour}/ACU-hour = $${usd(saving)} (an upper bound: capacity at the old floor could not show how far below it the load goes).`,
        ],
      },
      before: { cluster: db, targetMinAcu: target } satisfies MinCapacityBefore,
    };
    return protectedDetection(d, busy);
  },
};

export interface SaturatedOptions {
  windowDays: number;
  cpuP95Percent: number;
  readIopsPercent: number;
  minDays: number;
}

/** Performance: CPU or read IOPS saturated on several days. Report only: a larger class or a read replica. */
export const saturatedDbInstance: Detector<RdsDatabase, SaturatedOptions> = {
  id: 'saturated-db-instance',
  resource: 'rds-instance',
  title: 'DB instance whose CPU or read IOPS is saturated: a larger class or a read replica',
  options: z.object({
    /** Days of CPU and IOPS metrics read. */
    windowDays: z.number().int().min(3).max(60).default(14),
    /** A day counts as saturated when its CPU p95 is at least this. */
    cpuP95Percent: z.number().min(50).max(100).default(90),
    /** … or its ReadIOPS p95 is at least this percentage of the storage's IOPS baseline. */
    readIopsPercent: z.number().min(50).max(100).default(90),
    /** Flag when at least this many days were saturated. */
    minDays: z.number().int().min(1).max(60).default(3),
  }),
  needs: (o) => [metricsNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],
  detect(db, options, { ctx }): Detection | undefined {
    if (db.kind !== 'instance' || !db.metrics) return undefined;
    const window = db.metrics.days.slice(-options.windowDays);
    const iopsLimit = db.storageType === 'gp2' ? gp2BaselineIops(db.allocatedGiB) : db.storageType === 'gp3' ? Math.max(db.iops ?? 0, gp3Included(db.engine, db.allocatedGiB).iops) : db.iops;
    const cpuDays = window.filter((d) => (d.cpuP95 ?? 0) >= options.cpuP95Percent);
    const ioDays = iopsLimit ? window.filter((d) => (d.readIopsP95 ?? 0) + (d.writeIopsP95 ?? 0) >= (iopsLimit * options.readIopsPercent) / 100) : [];
    if (cpuDays.length < options.minDays && ioDays.length < options.minDays) return undefined;
    const readHeavy = ioDays.length >= options.minDays && window.every((d) => (d.readIopsP95 ?? 0) >= (d.writeIopsP95 ?? 0));
    const larger = Object.entries({ large: 'xlarge', xlarge: '2xlarge', '2xlarge': '4xlarge', '4xlarge': '8xlarge' }).find(([s]) => db.dbClass.endsWith(`.${s}`));
    const biggerClass = larger ? db.dbClass.replace(new RegExp(`\\.${larger[0]}$`), `.${larger[1]}`) : undefined;
    const now = instanceMonthly(ctx.prices, pricedEngine(db), db.dbClass, db.multiAz);
    const bigger = biggerClass ? instanceMonthly(ctx.prices, pricedEngine(db), biggerClass, db.multiAz) : undefined;
    const recommendation = readHeavy ? `add a read replica and send reads to it${biggerClass ? `, or move to ${biggerClass}` : ''}` : biggerClass ? `move to ${biggerClass}` : 'move to a larger class';
    const parts = [cpuDays.length ? `CPU p95 at or above ${options.cpuP95Percent}% on ${cpuDays.length} of ${window.length} days` : '', ioDays.length ? `read + write IOPS p95 at or above ${options.readIopsPercent}% of the ${iopsLimit} IOPS the storage sustains on ${ioDays.length} days` : ''].filter(Boolean);
    return {
      reason: `${parts.join('; ')}: ${recommendation}.`,
      evidence: { ...facts(db), windowDays: options.windowDays, saturatedCpuDays: cpuDays.map((d) => d.day), saturatedIoDays: ioDays.map((d) => d.day), storageIopsLimit: iopsLimit ?? null, ...(biggerClass ? { candidate: biggerClass } : {}), recommendation },
      savings: { monthlyUsd: 0, basis: [bigger && now ? `Not a saving: ${biggerClass} costs $${usd(bigger.monthlyUsd - now.monthlyUsd)}/month more (${bigger.basis}).` : 'Not a saving: a larger class or a replica costs more.'] },
      benefit: ['performance'],
      risk: {
        summary: `${parts.join('; ')}: queries queue and latency rises at peaks.`,
        evidence: { cpuSaturatedDays: cpuDays.length, ioSaturatedDays: ioDays.length, windowDays: window.length, maxCpuP95: Math.max(0, ...values(window, 'cpuP95')) },
      },
    };
  },
};
