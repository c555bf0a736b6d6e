/**
 * Hourly I/O use of gp3/io1/io2 volumes (the `io-usage:<days>` need), read in batches for the
 * provisioned-performance detectors (performance.ts). Apart from them so that the resource module
 * can enrich with it without importing the detectors (no import cycle in the bundles).
 */
import { CloudWatchClient, paginateGetMetricData, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { RegionContext } from '../../engine/types.ts';
import { batches } from '../../util/async.ts';
import type { EbsVolume } from './volume.ts';

const HOUR_MS = 3_600_000;
const MIB = 1024 * 1024;
const METRICS = ['VolumeReadOps', 'VolumeWriteOps', 'VolumeReadBytes', 'VolumeWriteBytes', 'VolumeIdleTime'] as const;
/** 5 queries per volume fill one GetMetricData call (≤500 queries) with 100 volumes. */
export const VOLUMES_PER_METRIC_CALL = 100;

/** The need `io-usage:<days>`: hourly IOPS and throughput of in-use gp3/io1/io2 volumes. */
export const ioUsageNeed = (days: number) => `io-usage:${days}`;
export const PERFORMANCE_TYPES = ['gp3', 'io1', 'io2'];

export interface IoUsage {
  windowDays: number;
  /** Hourly IOPS while active, oldest first; null where EBS published no datapoint. */
  iops: (number | null)[];
  /** Hourly MiB/s while active. */
  throughput: (number | null)[];
}

export type VolumeWithIo = EbsVolume & { ioUsage?: IoUsage };

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function usageDays(needs: ReadonlySet<string>): number | undefined {
  const days = [...needs].filter((n) => n.startsWith('io-usage:')).map((n) => Number(n.slice('io-usage:'.length)));
  return days.length ? Math.max(...days) : undefined;
}

/** Adds `ioUsage` to the in-use gp3/io1/io2 volumes of a page when a detector asked for it. */
export async function withIoUsage(ctx: RegionContext, page: EbsVolume[], needs: ReadonlySet<string>): Promise<EbsVolume[]> {
  const days = usageDays(needs);
  if (days === undefined) return page;
  const candidates = page.filter((v) => v.state === 'in-use' && PERFORMANCE_TYPES.includes(v.volumeType));
  if (candidates.length === 0) return page;
  const usage = await readIoUsage(ctx, candidates, days);
  return page.map((v) => (usage.has(v.id) ? { ...v, ioUsage: usage.get(v.id) } : v));
}

/** Hourly IOPS and throughput per volume: one GetMetricData call per 100 volumes. */
export async function readIoUsage(ctx: RegionContext, volumes: EbsVolume[], days: number): Promise<Map<string, IoUsage>> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const end = new Date(Math.floor(ctx.now.getTime() / HOUR_MS) * HOUR_MS);
  const hours = days * 24;
  const start = new Date(end.getTime() - hours * HOUR_MS);
  const out = new Map<string, IoUsage>();
  for (const batch of batches(volumes, VOLUMES_PER_METRIC_CALL)) {
    const queries: MetricDataQuery[] = batch.flatMap((v, i) =>
      METRICS.map((metric, m) => ({
        Id: `v${i}m${m}`,
        MetricStat: { Metric: { Namespace: 'AWS/EBS', MetricName: metric, Dimensions: [{ Name: 'VolumeId', Value: v.id }] }, Period: 3600, Stat: 'Sum' },
        ReturnData: true,
      })),
    );
    const series = new Map<string, (number | null)[]>();
    for await (const page of paginateGetMetricData({ client: cw }, { MetricDataQueries: queries, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending' })) {
      for (const r of page.MetricDataResults ?? []) {
        const values = series.get(r.Id!) ?? new Array<number | null>(hours).fill(null);
        (r.Timestamps ?? []).forEach((t, k) => {
          const slot = Math.floor((new Date(t).getTime() - start.getTime()) / HOUR_MS);
          if (slot >= 0 && slot < hours) values[slot] = r.Values![k];
        });
        series.set(r.Id!, values);
      }
    }
    batch.forEach((v, i) => {
      const get = (m: number) => series.get(`v${i}m${m}`) ?? new Array<number | null>(hours).fill(null);
      const [rOps, wOps, rBytes, wBytes, idle] = [0, 1, 2, 3, 4].map(get);
      const iops: (number | null)[] = [];
      const throughput: (number | null)[] = [];
      for (let h = 0; h < hours; h++) {
        if (rOps[h] === null && wOps[h] === null) {
          iops.push(null);
          throughput.push(null);
          continue;
        }
        const active = Math.max(1, 3600 - (idle[h] ?? 0));
        iops.push(round(((rOps[h] ?? 0) + (wOps[h] ?? 0)) / active));
        throughput.push(round(((rBytes[h] ?? 0) + (wBytes[h] ?? 0)) / active / MIB, 2));
      }
      out.set(v.id, { windowDays: days, iops, throughput });
    });
  }
  return out;
}
