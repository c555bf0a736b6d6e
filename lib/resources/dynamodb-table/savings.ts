/**
 * Pure pricing of a table's throughput and storage, both ways (provisioned RCU/WCU-hours and
 * on-demand request units estimated from consumed capacity). One consumed read capacity unit
 * is one read request unit (a strongly consistent 4 KB read; an eventually consistent read is
 * half of either), and likewise for writes, so consumed units price on-demand directly.
 */
import { usd, type PriceTable } from '../../savings/prices.ts';
import type { DynamoTable, HourlyUsage } from './resource.ts';

const GB = 1_000_000_000;

export const isIa = (t: Pick<DynamoTable, 'tableClass'>) => t.tableClass === 'STANDARD_INFREQUENT_ACCESS';

/** Provisioned throughput, $/month, for the table and its indexes at the given units. */
export function provisionedMonthly(read: number, write: number, prices: PriceTable, ia = false): number {
  return (read * (ia ? prices.dynamodbIaRcuHour : prices.dynamodbRcuHour) + write * (ia ? prices.dynamodbIaWcuHour : prices.dynamodbWcuHour)) * prices.hoursPerMonth;
}

/** The p-th percentile (nearest rank) of the known values; undefined when none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface UsageStats {
  hoursWithData: number;
  p95Read: number;
  p95Write: number;
  maxRead: number;
  maxWrite: number;
  /** Mean consumed units per second over the hours with data. */
  meanRead: number;
  meanWrite: number;
  /** Mean provisioned units over the hours with data (autoscaling moves it). */
  meanProvisionedRead?: number;
  meanProvisionedWrite?: number;
  readThrottles: number;
  writeThrottles: number;
  hoursThrottled: number;
}

const known = (values: Array<number | null>) => values.filter((v): v is number => v !== null);
const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function usageStats(hours: HourlyUsage[]): UsageStats {
  const reads = known(hours.map((h) => h.consumedRead));
  const writes = known(hours.map((h) => h.consumedWrite));
  const pr = known(hours.map((h) => h.provisionedRead));
  const pw = known(hours.map((h) => h.provisionedWrite));
  const rt = known(hours.map((h) => h.readThrottles));
  const wt = known(hours.map((h) => h.writeThrottles));
  return {
    hoursWithData: hours.filter((h) => h.consumedRead !== null || h.consumedWrite !== null).length,
    p95Read: round(percentile(reads, 95) ?? 0, 3),
    p95Write: round(percentile(writes, 95) ?? 0, 3),
    maxRead: round(Math.max(0, ...reads), 3),
    maxWrite: round(Math.max(0, ...writes), 3),
    meanRead: round(mean(reads), 4),
    meanWrite: round(mean(writes), 4),
    ...(pr.length ? { meanProvisionedRead: round(mean(pr)) } : {}),
    ...(pw.length ? { meanProvisionedWrite: round(mean(pw)) } : {}),
    readThrottles: rt.reduce((a, b) => a + b, 0),
    writeThrottles: wt.reduce((a, b) => a + b, 0),
    hoursThrottled: hours.filter((h) => (h.readThrottles ?? 0) + (h.writeThrottles ?? 0) > 0).length,
  };
}

/** On-demand cost of the measured use, $/month: mean units per second × seconds in a month. */
export function onDemandMonthly(stats: Pick<UsageStats, 'meanRead' | 'meanWrite'>, prices: PriceTable, ia = false): { monthlyUsd: number; readUnitsPerMonth: number; writeUnitsPerMonth: number } {
  const seconds = prices.hoursPerMonth * 3600;
  const readUnitsPerMonth = stats.meanRead * seconds;
  const writeUnitsPerMonth = stats.meanWrite * seconds;
  const readPrice = ia ? prices.dynamodbIaOnDemandReadPerMillion : prices.dynamodbOnDemandReadPerMillion;
  const writePrice = ia ? prices.dynamodbIaOnDemandWritePerMillion : prices.dynamodbOnDemandWritePerMillion;
  return { monthlyUsd: (readUnitsPerMonth / 1e6) * readPrice + (writeUnitsPerMonth / 1e6) * writePrice, readUnitsPerMonth, writeUnitsPerMonth };
}

/** Units that serve the p95 hour at the target utilisation (at least 1, never above the current). */
export function rightSized(p95: number, current: number, targetUtilization: number): number {
  return Math.min(current, Math.max(1, Math.ceil(p95 / targetUtilization)));
}

/** Provisioned units of the table plus its indexes (indexes are billed like the table). */
export function totalUnits(t: Pick<DynamoTable, 'readCapacity' | 'writeCapacity' | 'indexes'>): { read: number; write: number } {
  return {
    read: t.readCapacity + t.indexes.reduce((n, i) => n + i.readCapacity, 0),
    write: t.writeCapacity + t.indexes.reduce((n, i) => n + i.writeCapacity, 0),
  };
}

export function storageMonthly(t: Pick<DynamoTable, 'sizeBytes'>, prices: PriceTable, ia: boolean): number {
  return (t.sizeBytes / GB) * (ia ? prices.dynamodbIaGbMonth : prices.dynamodbStandardGbMonth);
}

/** Both ways of pricing an over-provisioned table, with the basis a person can check. */
export function overProvisionedSavings(t: DynamoTable, stats: UsageStats, target: { read: number; write: number }, prices: PriceTable) {
  const ia = isIa(t);
  const units = totalUnits(t);
  const now = provisionedMonthly(units.read, units.write, prices, ia);
  // Indexes keep their own capacity: lower-provisioned changes the table's units only.
  const lowered = provisionedMonthly(units.read - t.readCapacity + target.read, units.write - t.writeCapacity + target.write, prices, ia);
  const od = onDemandMonthly(stats, prices, ia);
  const rcuPrice = ia ? prices.dynamodbIaRcuHour : prices.dynamodbRcuHour;
  const wcuPrice = ia ? prices.dynamodbIaWcuHour : prices.dynamodbWcuHour;
  const basis = [
    `Provisioned now: ${units.read} RCU × $${rcuPrice}/h + ${units.write} WCU × $${wcuPrice}/h (table${t.indexes.length ? ' and its indexes' : ''}) × ${prices.hoursPerMonth} h = $${usd(now)}/month.`,
    `On-demand at the measured use: mean ${stats.meanRead} read + ${stats.meanWrite} write units/s → ${Math.round(od.readUnitsPerMonth).toLocaleString('en-US')} read and ${Math.round(od.writeUnitsPerMonth).toLocaleString('en-US')} write request units/month × $${ia ? prices.dynamodbIaOnDemandReadPerMillion : prices.dynamodbOnDemandReadPerMillion}/$${ia ? prices.dynamodbIaOnDemandWritePerMillion : prices.dynamodbOnDemandWritePerMillion} per million = $${usd(od.monthlyUsd)}/month.`,
    `Lower provisioned: ${target.read} RCU / ${target.write} WCU (p95 ${stats.p95Read} / ${stats.p95Write} units/s at the target utilisation) = $${usd(lowered)}/month.`,
  ];
  return { provisionedNow: now, onDemand: od.monthlyUsd, lowered, switchSaving: Math.max(0, now - od.monthlyUsd), lowerSaving: Math.max(0, now - lowered), basis };
}
