/**
 * Batched CloudWatch reads shared by the resource modules: never one metric call per
 * resource, at most 500 queries per GetMetricData call (AWS's limit).
 */
import { paginateGetMetricData, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { batches } from '../util/async.ts';

/** AWS's limit on queries in one GetMetricData call. */
export const METRIC_QUERIES_PER_CALL = 500;

const DAY_MS = 86_400_000;

/**
 * Daily values per query id: one slot per day from `start` (`windowDays` slots), `null` where
 * AWS returned no datapoint for that day. The queries should use a one-day Period.
 */
export async function dailyMetricSeries(cw: CloudWatchClient, queries: MetricDataQuery[], start: Date, end: Date, windowDays: number): Promise<Map<string, (number | null)[]>> {
  const series = new Map<string, (number | null)[]>();
  for (const batch of batches(queries, METRIC_QUERIES_PER_CALL)) {
    for await (const page of paginateGetMetricData({ client: cw }, { MetricDataQueries: batch, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending' })) {
      for (const r of page.MetricDataResults ?? []) {
        const values = series.get(r.Id!) ?? new Array<number | null>(windowDays).fill(null);
        (r.Timestamps ?? []).forEach((t, k) => {
          const slot = Math.floor((new Date(t).getTime() - start.getTime()) / DAY_MS);
          if (slot >= 0 && slot < windowDays) values[slot] = r.Values![k];
        });
        series.set(r.Id!, values);
      }
    }
  }
  return series;
}
