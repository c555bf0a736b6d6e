/**
 * Bucket sizes from CloudWatch: AWS/S3 BucketSizeBytes per StorageType and NumberOfObjects,
 * published once a day in the bucket's region. One GetMetricData call carries up to 500
 * queries, so a page of 1,000 buckets costs ⌈1000 × 27 / 500⌉ = 54 calls, never one per bucket.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { RegionContext } from '../../engine/types.ts';
import { batches } from '../../util/async.ts';
import { STORAGE_TYPE_INFO, type BucketSizes, type StorageType } from './savings.ts';

/** AWS's limit of queries in one GetMetricData call. */
export const MAX_QUERIES_PER_CALL = 500;

/**
 * The storage types read for every bucket: all of them (CloudWatch publishes only those that
 * hold bytes). Missing one skews the Standard share of NumberOfObjects used in savings.
 */
export const STORAGE_TYPES = Object.keys(STORAGE_TYPE_INFO) as StorageType[];

/** Queries per bucket: one per storage type plus NumberOfObjects. */
export const QUERIES_PER_BUCKET = STORAGE_TYPES.length + 1;

const DAY_S = 86_400;
/** Storage metrics are daily and can lag up to two days: look back three. */
const LOOKBACK_DAYS = 3;

interface QueryRef {
  bucket: string;
  kind: 'bytes' | 'objects';
  storageType: string;
}

/** Sizes for every named bucket; buckets with no BucketSizeBytes datapoint get `known: false`. */
export async function readBucketSizes(ctx: RegionContext, buckets: string[]): Promise<Map<string, BucketSizes>> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const refs = new Map<string, QueryRef>();
  const queries: MetricDataQuery[] = [];
  buckets.forEach((bucket, b) => {
    const add = (kind: QueryRef['kind'], metricName: string, storageType: string, k: number) => {
      const id = `b${b}_${k}`;
      refs.set(id, { bucket, kind, storageType });
      queries.push({
        Id: id,
        MetricStat: {
          Metric: { Namespace: 'AWS/S3', MetricName: metricName, Dimensions: [{ Name: 'BucketName', Value: bucket }, { Name: 'StorageType', Value: storageType }] },
          Period: DAY_S,
          Stat: 'Average',
        },
        ReturnData: true,
      });
    };
    STORAGE_TYPES.forEach((type, k) => add('bytes', 'BucketSizeBytes', type, k));
    add('objects', 'NumberOfObjects', 'AllStorageTypes', STORAGE_TYPES.length);
  });

  const sizes = new Map<string, BucketSizes>(buckets.map((name) => [name, { known: false, bytes: {} }]));
  const endTime = ctx.now;
  const startTime = new Date(ctx.now.getTime() - LOOKBACK_DAYS * DAY_S * 1000);
  // Newest datapoint per query, across pages of one batch.
  const newest = new Map<string, { at: number; value: number }>();
  for (const batch of batches(queries, MAX_QUERIES_PER_CALL)) {
    let nextToken: string | undefined;
    do {
      const out = await cw.send(new GetMetricDataCommand({ MetricDataQueries: batch, StartTime: startTime, EndTime: endTime, NextToken: nextToken }));
      for (const result of out.MetricDataResults ?? []) {
        (result.Timestamps ?? []).forEach((ts, i) => {
          const at = new Date(ts).getTime();
          const value = result.Values?.[i];
          const seen = newest.get(result.Id!);
          if (value !== undefined && (!seen || at > seen.at)) newest.set(result.Id!, { at, value });
        });
      }
      nextToken = out.NextToken;
    } while (nextToken);
  }
  for (const [id, { at, value }] of newest) {
    const ref = refs.get(id);
    if (!ref) continue;
    const size = sizes.get(ref.bucket)!;
    if (ref.kind === 'objects') size.objects = Math.round(value);
    else {
      size.known = true;
      size.bytes[ref.storageType] = value;
      if (!size.asOf || new Date(at).toISOString() > size.asOf) size.asOf = new Date(at).toISOString();
    }
  }
  return sizes;
}
