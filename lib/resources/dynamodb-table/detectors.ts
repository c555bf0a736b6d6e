/**
 * dynamodb-table detectors. Pure over the table as listed (DescribeTable, tags, Application
 * Auto Scaling settings, hourly CloudWatch use).
 *
 * Protections for every detector that leads to a change: trimtab's own tables (audit,
 * idempotency, approvals), global tables (a billing-mode or capacity change is a replica-wide
 * decision), tables not ACTIVE (UpdateTable is refused while UPDATING), too little data.
 * trimtab:skip is the engine's (lib/engine/scope.ts). Deletion protection matters only where
 * an action would remove or replace a table: no action here does; unused-table reports it.
 */
import * as z from 'zod';
import type { Detection, Detector } from '../../engine/types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { DYNAMO_NEEDS, windowNeed, dynamodbTableResource, type Dimension, type DynamoTable, type ScalingSetting } from './resource.ts';
import { isIa, onDemandMonthly, overProvisionedSavings, provisionedMonthly, rightSized, storageMonthly, totalUnits, usageStats, type UsageStats } from './savings.ts';

/** What every dynamodb-table finding records: enough to plan, re-check and undo. */
export interface TableBefore {
  table: Pick<DynamoTable, 'name' | 'billingMode' | 'readCapacity' | 'writeCapacity' | 'tableClass' | 'indexes' | 'replicas' | 'deletionProtection'> & {
    lastUpdateToPayPerRequest?: string;
    /** The table's identity when detected: a plan is bound to it (a table re-created under the name has another CreationDateTime). */
    arn?: string;
    createdAt?: string;
  };
  scaling: Partial<Record<Dimension, ScalingSetting>>;
  /** over-provisioned: the right-sized table units at the target utilisation. */
  target?: { read: number; write: number };
}

export const beforeOf = (t: DynamoTable, extra: Partial<TableBefore> = {}): TableBefore => ({
  table: {
    name: t.name,
    arn: t.arn,
    ...(t.createdAt ? { createdAt: t.createdAt } : {}),
    billingMode: t.billingMode,
    readCapacity: t.readCapacity,
    writeCapacity: t.writeCapacity,
    tableClass: t.tableClass,
    indexes: t.indexes,
    replicas: t.replicas,
    deletionProtection: t.deletionProtection,
    ...(t.lastUpdateToPayPerRequest ? { lastUpdateToPayPerRequest: t.lastUpdateToPayPerRequest } : {}),
  },
  scaling: t.scaling ?? {},
  ...extra,
});

/** Why a table must not be changed, or undefined. */
export function tableProtection(t: DynamoTable): string | undefined {
  if (t.own) return `trimtab's own table (${t.name}): never changed by trimtab`;
  if (t.replicas.length) return `global table (replicas in ${t.replicas.join(', ')}): billing mode, capacity and class changes apply across replicas; a person decides`;
  if (t.status !== 'ACTIVE') return `table is ${t.status}: UpdateTable is refused until it is ACTIVE`;
  return undefined;
}

const minHoursOption = z.number().int().min(1).default(7 * 24);

function statsOrProtected(t: DynamoTable, minHours: number): { stats: UsageStats } | { detection: Detection } | undefined {
  if (!t.usage) return undefined;
  const stats = usageStats(t.usage.hours);
  if (stats.hoursWithData < minHours) {
    return { detection: { reason: `${t.name}: only ${stats.hoursWithData} hours of metrics, ${minHours} needed to judge.`, evidence: { hoursWithData: stats.hoursWithData, protection: `too little data: ${stats.hoursWithData} of ${minHours} hours` }, status: 'protected' } };
  }
  return { stats };
}

const pct = (x: number) => Math.round(x * 1000) / 10;

export interface OverProvisionedOptions {
  windowDays: number;
  /** p95 consumed ÷ provisioned at or under this fraction, on either dimension. */
  maxUtilization: number;
  /** Utilisation lower-provisioned sizes the p95 hour for. */
  targetUtilization: number;
  minHoursWithData: number;
  minMonthlySavingsUsd: number;
}

export const overProvisioned: Detector<DynamoTable, OverProvisionedOptions> = {
  id: 'over-provisioned',
  resource: dynamodbTableResource.id,
  title: 'Provisioned tables whose p95 consumed capacity sits far below what is provisioned',
  options: z.object({
    /** Days of hourly CloudWatch metrics to judge by, ending at the last full hour. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** Flag when p95 consumed ÷ provisioned is at or under this fraction on read or on write. */
    maxUtilization: z.number().gt(0).max(1).default(0.3),
    /** Utilisation lower-provisioned sizes the p95 hour for (units = ceil(p95 ÷ this)). */
    targetUtilization: z.number().min(0.2).max(0.9).default(0.7),
    /** Hours with metrics needed to judge; fewer: protected (too little data). */
    minHoursWithData: minHoursOption,
    /** Findings saving less than this a month (the better of the two ways) are not reported. */
    minMonthlySavingsUsd: z.number().min(0).default(1),
  }),
  needs: (o) => [DYNAMO_NEEDS.usage, DYNAMO_NEEDS.scaling, DYNAMO_NEEDS.tags, windowNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],

  detect(t, o, { ctx }) {
    if (t.billingMode !== 'PROVISIONED' || !t.usage) return undefined;
    const judged = statsOrProtected(t, o.minHoursWithData);
    if (!judged) return undefined;
    if ('detection' in judged) return judged.detection;
    const { stats } = judged;
    const readUtil = t.readCapacity ? stats.p95Read / t.readCapacity : 1;
    const writeUtil = t.writeCapacity ? stats.p95Write / t.writeCapacity : 1;
    if (readUtil > o.maxUtilization && writeUtil > o.maxUtilization) return undefined;
    const target = { read: rightSized(stats.p95Read, t.readCapacity, o.targetUtilization), write: rightSized(stats.p95Write, t.writeCapacity, o.targetUtilization) };
    const priced = overProvisionedSavings(t, stats, target, ctx.prices);
    const best = Math.max(priced.switchSaving, priced.lowerSaving);
    if (best < o.minMonthlySavingsUsd) return undefined;
    const evidence: Record<string, unknown> = {
      windowDays: t.usage.windowDays,
      hoursWithData: stats.hoursWithData,
      provisioned: { read: t.readCapacity, write: t.writeCapacity },
      p95Consumed: { read: stats.p95Read, write: stats.p95Write },
      maxConsumed: { read: stats.maxRead, write: stats.maxWrite },
      p95UtilizationPercent: { read: pct(readUtil), write: pct(writeUtil) },
      candidate: target,
      monthly: { provisionedNow: usd(priced.provisionedNow), onDemand: usd(priced.onDemand), lowerProvisioned: usd(priced.lowered) },
      tableClass: t.tableClass,
    };
    const managed = (['read', 'write'] as const).filter((d) => t.scaling?.[d]);
    const protection = tableProtection(t);
    if (protection) return { reason: `${t.name} is over-provisioned but protected: ${protection}.`, evidence: { ...evidence, protection }, status: 'protected', before: beforeOf(t, { target }) };
    const reason = `${t.name} uses at most ${pct(Math.min(readUtil, writeUtil))} % of its provisioned ${readUtil <= writeUtil ? 'read' : 'write'} capacity at p95 over ${t.usage.windowDays} days: on-demand would cost $${usd(priced.onDemand)}/month, ${target.read} RCU / ${target.write} WCU $${usd(priced.lowered)}/month, against $${usd(priced.provisionedNow)} now.`;
    return {
      reason: managed.length ? `${reason} Application Auto Scaling manages its ${managed.join(' and ')} capacity: a lower provisioned value is moved back to its MinCapacity; switching to on-demand keeps the scaling settings for a later switch back.` : reason,
      evidence: { ...evidence, ...(managed.length ? { autoScaling: t.scaling } : {}) },
      savings: { monthlyUsd: usd(best), basis: [...priced.basis, `The estimate is the better of the two; each action prices its own.`] },
      before: beforeOf(t, { target }),
    };
  },
};

export interface TargetLowOptions {
  windowDays: number;
  /** A target at or below this (percent) keeps capacity mostly idle. */
  lowTargetPercent: number;
  minHoursWithData: number;
}

export const autoscalingTargetLow: Detector<DynamoTable, TargetLowOptions> = {
  id: 'autoscaling-target-low',
  resource: dynamodbTableResource.id,
  title: 'Target-tracking policies whose target utilisation keeps most provisioned capacity idle',
  options: z.object({
    /** Days of hourly CloudWatch metrics to judge by, ending at the last full hour. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** A target-tracking target at or below this percent keeps capacity mostly idle. */
    lowTargetPercent: z.number().min(20).max(90).default(40),
    /** Hours with metrics needed to judge; fewer: protected (too little data). */
    minHoursWithData: minHoursOption,
  }),
  needs: (o) => [DYNAMO_NEEDS.usage, DYNAMO_NEEDS.scaling, DYNAMO_NEEDS.tags, windowNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],

  detect(t, o, { ctx }) {
    if (t.billingMode !== 'PROVISIONED' || !t.scaling) return undefined;
    const low = (['read', 'write'] as const).filter((d) => {
      const p = t.scaling?.[d]?.policy;
      return p && p.targetValue <= o.lowTargetPercent;
    });
    if (!low.length) return undefined;
    const judged = statsOrProtected(t, o.minHoursWithData);
    if (!judged) return undefined;
    if ('detection' in judged) return judged.detection;
    const { stats } = judged;
    const targets = Object.fromEntries(low.map((d) => [d, t.scaling![d]!.policy!.targetValue]));
    // Capacity follows consumed ÷ target: at target T', about T/T' of today's provisioned units.
    const ia = isIa(t);
    const provisioned = { read: stats.meanProvisionedRead ?? t.readCapacity, write: stats.meanProvisionedWrite ?? t.writeCapacity };
    const monthlyAt = (d: Dimension, units: number) => (d === 'read' ? provisionedMonthly(units, 0, ctx.prices, ia) : provisionedMonthly(0, units, ctx.prices, ia));
    const evidence = { windowDays: t.usage?.windowDays, targetValuePercent: targets, meanProvisioned: provisioned, p95Consumed: { read: stats.p95Read, write: stats.p95Write }, scaling: t.scaling, lowTargetPercent: o.lowTargetPercent };
    const protection = tableProtection(t);
    if (protection) return { reason: `${t.name}'s scaling target is low but the table is protected: ${protection}.`, evidence: { ...evidence, protection }, status: 'protected', before: beforeOf(t) };
    const basis: string[] = [];
    let monthly = 0;
    for (const d of low) {
      const from = targets[d];
      const to = Math.min(70, from + 20);
      const units = provisioned[d];
      const saved = monthlyAt(d, units) * (1 - from / to);
      monthly += saved;
      basis.push(`${d}: mean ${units} units provisioned at a ${from} % target; at ${to} % about ${Math.round((units * from) / to)} units → $${usd(saved)}/month less (${d === 'read' ? 'RCU' : 'WCU'}-hours at list price).`);
    }
    basis.push('Estimated at the default bounds of raise-target (+20 points, at most 70 %); the plan prices the policy\'s bounds.');
    return {
      reason: `${t.name}: target tracking at ${low.map((d) => `${targets[d]} % (${d})`).join(', ')} keeps most provisioned capacity idle; raise the target within bounds.`,
      evidence,
      savings: { monthlyUsd: usd(monthly), basis },
      before: beforeOf(t),
    };
  },
};

export interface ThrottledOptions {
  windowDays: number;
  /** Throttle events over the window at or above this count. */
  minThrottleEvents: number;
  /** Hours with throttling at or above this. */
  minHoursThrottled: number;
  minHoursWithData: number;
}

export const throttled: Detector<DynamoTable, ThrottledOptions> = {
  id: 'throttled',
  resource: dynamodbTableResource.id,
  title: 'Tables throttled while their capacity is capped (performance)',
  options: z.object({
    /** Days of hourly CloudWatch metrics to judge by, ending at the last full hour. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** Read plus write throttle events over the window at or above this count. */
    minThrottleEvents: z.number().int().min(1).default(100),
    /** Hours with throttling at or above this count (one burst is not a pattern). */
    minHoursThrottled: z.number().int().min(1).default(3),
    /** Hours with metrics needed before claiming a risk. */
    minHoursWithData: z.number().int().min(1).default(24),
  }),
  needs: (o) => [DYNAMO_NEEDS.usage, DYNAMO_NEEDS.scaling, DYNAMO_NEEDS.tags, windowNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],

  detect(t, o, { ctx }) {
    if (!t.usage) return undefined;
    const judged = statsOrProtected(t, o.minHoursWithData);
    if (!judged || 'detection' in judged) return undefined; // too little data: no claim of risk
    const { stats } = judged;
    const events = stats.readThrottles + stats.writeThrottles;
    if (events < o.minThrottleEvents || stats.hoursThrottled < o.minHoursThrottled) return undefined;
    // Capped: provisioned without scaling, or scaling that reached its MaxCapacity in a throttled hour.
    const cappedBy: string[] = [];
    for (const d of ['read', 'write'] as const) {
      const throttles = d === 'read' ? stats.readThrottles : stats.writeThrottles;
      if (!throttles) continue;
      const setting = t.scaling?.[d];
      if (t.billingMode === 'PAY_PER_REQUEST') cappedBy.push(`${d}: on-demand (table or partition throughput limit)`);
      else if (!setting) cappedBy.push(`${d}: fixed ${d === 'read' ? t.readCapacity : t.writeCapacity} units, no auto scaling`);
      else {
        const atMax = t.usage.hours.some((h) => (d === 'read' ? h.readThrottles : h.writeThrottles) && (d === 'read' ? h.provisionedRead : h.provisionedWrite) !== null && (d === 'read' ? h.provisionedRead! : h.provisionedWrite!) >= setting.maxCapacity * 0.95);
        if (atMax) cappedBy.push(`${d}: auto scaling at its MaxCapacity ${setting.maxCapacity}`);
      }
    }
    if (!cappedBy.length) return undefined; // throttled while scaling could still grow: scaling lag, not a cap
    const risk = {
      summary: `${t.name} was throttled ${events.toLocaleString('en-US')} times in ${stats.hoursThrottled} hours over ${t.usage.windowDays} days while its capacity was capped (${cappedBy.join('; ')}): requests failed or retried.`,
      evidence: { readThrottleEvents: stats.readThrottles, writeThrottleEvents: stats.writeThrottles, hoursThrottled: stats.hoursThrottled, cappedBy },
    };
    const evidence: Record<string, unknown> = { ...risk.evidence, windowDays: t.usage.windowDays, billingMode: t.billingMode, provisioned: { read: t.readCapacity, write: t.writeCapacity }, maxConsumed: { read: stats.maxRead, write: stats.maxWrite }, scaling: t.scaling ?? {} };
    const protection = tableProtection(t);
    const base = { benefit: ['performance' as const], risk, before: beforeOf(t) };
    if (protection) return { ...base, reason: `${t.name} is throttled but protected: ${protection}.`, evidence: { ...evidence, protection }, status: 'protected' };
    if (t.billingMode === 'PAY_PER_REQUEST') return { ...base, reason: `${risk.summary} On-demand throttling is a key or partition design issue (or a configured maximum throughput): a person decides.`, evidence, status: 'conflict' };
    // A higher cap costs more when used: estimate 0 (usage-driven), say so.
    const od = onDemandMonthly(stats, ctx.prices, isIa(t));
    return {
      ...base,
      reason: `${risk.summary} Raise the auto scaling maximum, or switch to on-demand (about $${usd(od.monthlyUsd)}/month at the measured use).`,
      evidence,
      savings: { monthlyUsd: 0, basis: ['A performance fix: more capacity costs more only when used; no saving is claimed.', `On-demand at the measured use: $${usd(od.monthlyUsd)}/month.`] },
    };
  },
};

export interface UnusedOptions {
  windowDays: number;
  minHoursWithData: number;
}

export const unusedTable: Detector<DynamoTable, UnusedOptions> = {
  id: 'unused-table',
  resource: dynamodbTableResource.id,
  title: 'Tables with no reads and no writes over the window (report only)',
  options: z.object({
    /** Days of hourly metrics that must show no reads and no writes. */
    windowDays: z.number().int().min(1).max(63).default(30),
    /** A table younger than this many hours is protected (too new to call unused). */
    minHoursWithData: z.number().int().min(1).default(14 * 24),
  }),
  needs: (o) => [DYNAMO_NEEDS.usage, DYNAMO_NEEDS.tags, windowNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],

  detect(t, o, { ctx }) {
    if (!t.usage) return undefined;
    const hours = t.usage.hours.slice(-o.windowDays * 24);
    const stats = usageStats(hours);
    if (stats.maxRead > 0 || stats.maxWrite > 0) return undefined;
    const ia = isIa(t);
    const units = totalUnits(t);
    const throughput = t.billingMode === 'PROVISIONED' ? provisionedMonthly(units.read, units.write, ctx.prices, ia) : 0;
    const storage = storageMonthly(t, ctx.prices, ia);
    const evidence: Record<string, unknown> = {
      windowDays: o.windowDays,
      hoursWithData: stats.hoursWithData,
      billingMode: t.billingMode,
      provisioned: { read: t.readCapacity, write: t.writeCapacity },
      sizeBytes: t.sizeBytes,
      itemCount: t.itemCount,
      deletionProtection: t.deletionProtection,
      ...(t.replicas.length ? { replicas: t.replicas } : {}),
      createdAt: t.createdAt,
    };
    if (t.own) return { reason: `${t.name} had no reads or writes, but it is trimtab's own table.`, evidence: { ...evidence, protection: "trimtab's own table" }, status: 'protected' };
    // A table with no metrics at all (CloudWatch publishes consumed capacity only for active tables) still counts, once it is old enough.
    const ageHours = t.createdAt ? (ctx.now.getTime() - Date.parse(t.createdAt)) / 3_600_000 : Infinity;
    if (ageHours < o.minHoursWithData) return { reason: `${t.name} is too new to call unused (${Math.floor(ageHours)} hours old).`, evidence: { ...evidence, protection: `too new: ${Math.floor(ageHours)} of ${o.minHoursWithData} hours` }, status: 'protected' };
    const notes = [
      t.deletionProtection ? 'Deletion protection is on: deleting needs it turned off first (UpdateTable DeletionProtectionEnabled=false).' : undefined,
      t.replicas.length ? `A global table: replicas in ${t.replicas.join(', ')} are billed too.` : undefined,
      'Take an on-demand backup (or export to S3) before deleting; a backup is billed per GB-month.',
    ].filter((n): n is string => Boolean(n));
    return {
      reason: `${t.name} had no reads and no writes for ${o.windowDays} days: delete it (after a backup) if nothing needs it. ${notes.join(' ')}`,
      evidence,
      savings: {
        monthlyUsd: usd(throughput + storage),
        basis: [
          t.billingMode === 'PROVISIONED' ? `Provisioned ${units.read} RCU / ${units.write} WCU = $${usd(throughput)}/month.` : 'On-demand with no requests: no throughput charge.',
          `Storage ${(t.sizeBytes / 1e9).toFixed(2)} GB × $${ia ? ctx.prices.dynamodbIaGbMonth : ctx.prices.dynamodbStandardGbMonth}/GB-month = $${usd(storage)}/month (the first 25 GB a month per account are free: not counted).`,
        ],
      },
    };
  },
};

export interface TableClassOptions {
  windowDays: number;
  /** Storage cost at or above this share of throughput cost (AWS's guidance: 50 %). */
  minStorageShare: number;
  minMonthlySavingsUsd: number;
  minHoursWithData: number;
}

/** Standard-IA: storage 60 % cheaper, throughput about 25 % dearer; a class change is allowed twice per 30 days. */
export function tableClassSavings(t: DynamoTable, stats: UsageStats, prices: PriceTable) {
  const units = totalUnits(t);
  const throughput = (ia: boolean) => (t.billingMode === 'PROVISIONED' ? provisionedMonthly(units.read, units.write, prices, ia) : onDemandMonthly(stats, prices, ia).monthlyUsd);
  const std = { storage: storageMonthly(t, prices, false), throughput: throughput(false) };
  const ia = { storage: storageMonthly(t, prices, true), throughput: throughput(true) };
  const saving = std.storage + std.throughput - (ia.storage + ia.throughput);
  return {
    std,
    ia,
    saving,
    basis: [
      `Standard: storage ${(t.sizeBytes / 1e9).toFixed(1)} GB × $${prices.dynamodbStandardGbMonth} = $${usd(std.storage)} + throughput $${usd(std.throughput)} (${t.billingMode === 'PROVISIONED' ? `${units.read} RCU / ${units.write} WCU` : 'on-demand at the measured use'}) = $${usd(std.storage + std.throughput)}/month.`,
      `Standard-IA: storage × $${prices.dynamodbIaGbMonth} = $${usd(ia.storage)} + throughput at IA rates $${usd(ia.throughput)} = $${usd(ia.storage + ia.throughput)}/month.`,
    ],
  };
}

export const tableClass: Detector<DynamoTable, TableClassOptions> = {
  id: 'table-class',
  resource: dynamodbTableResource.id,
  title: 'Standard tables whose storage dominates their cost: Standard-IA is cheaper',
  options: z.object({
    /** Days of hourly CloudWatch metrics to judge by, ending at the last full hour. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** Storage cost at or above this share of throughput cost (AWS's guidance for Standard-IA: 0.5). */
    minStorageShare: z.number().min(0).default(0.5),
    /** Tables saving less than this a month with Standard-IA are not reported. */
    minMonthlySavingsUsd: z.number().min(0).default(1),
    /** Hours with metrics needed to judge; fewer: protected (too little data). */
    minHoursWithData: minHoursOption,
  }),
  needs: (o) => [DYNAMO_NEEDS.usage, DYNAMO_NEEDS.tags, windowNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],

  detect(t, o, { ctx }) {
    if (t.tableClass !== 'STANDARD' || !t.usage) return undefined;
    // Not worth judging when the whole storage bill could not reach the minimum saving.
    if (storageMonthly(t, ctx.prices, false) - storageMonthly(t, ctx.prices, true) < o.minMonthlySavingsUsd) return undefined;
    const judged = statsOrProtected(t, o.minHoursWithData);
    if (!judged) return undefined;
    if ('detection' in judged) return judged.detection;
    const priced = tableClassSavings(t, judged.stats, ctx.prices);
    if (priced.std.storage < o.minStorageShare * priced.std.throughput || priced.saving < o.minMonthlySavingsUsd) return undefined;
    const evidence = { sizeBytes: t.sizeBytes, billingMode: t.billingMode, monthly: { standard: usd(priced.std.storage + priced.std.throughput), standardIa: usd(priced.ia.storage + priced.ia.throughput) }, storageShareOfThroughput: Math.round((priced.std.storage / Math.max(priced.std.throughput, 0.0001)) * 100) / 100, candidate: 'STANDARD_INFREQUENT_ACCESS' };
    const protection = tableProtection(t);
    if (protection) return { reason: `${t.name} would be cheaper as Standard-IA but is protected: ${protection}.`, evidence: { ...evidence, protection }, status: 'protected', before: beforeOf(t) };
    return {
      reason: `${t.name} stores ${(t.sizeBytes / 1e9).toFixed(1)} GB; storage is ${evidence.storageShareOfThroughput}× its throughput cost: the Standard-IA table class saves $${usd(priced.saving)}/month. AWS allows two table-class changes per 30 days; the change runs in the background with no downtime.`,
      evidence,
      savings: { monthlyUsd: usd(priced.saving), basis: priced.basis },
      before: beforeOf(t),
    };
  },
};

export const DYNAMODB_DETECTORS = [overProvisioned, autoscalingTargetLow, throttled, unusedTable, tableClass];
