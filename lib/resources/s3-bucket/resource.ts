/**
 * S3 buckets: listed per region with ListBuckets' BucketRegion filter (paginated), then
 * enriched page by page with only the reads the policies' detectors need.
 */
import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  ListMultipartUploadsCommand,
  S3Client,
  paginateListBuckets,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { mapLimit } from '../../util/async.ts';
import { awsErrorName } from '../../util/errors.ts';
import { readBucketSizes } from './metrics.ts';
import type { BucketSizes } from './savings.ts';

export interface LifecycleConfiguration {
  Rules: LifecycleRule[];
  TransitionDefaultMinimumObjectSize?: string;
}

export interface Bucket {
  name: string;
  region: string;
  createdAt?: string;
  tags: Record<string, string>;
  /** null: the bucket has no lifecycle configuration (NoSuchLifecycleConfiguration). */
  lifecycle?: LifecycleConfiguration | null;
  versioning?: 'Enabled' | 'Suspended' | 'Never';
  /** From the first page of ListMultipartUploads. */
  multipartUploads?: { count: number; oldestInitiated?: string; truncated: boolean };
  /** From CloudWatch AWS/S3 BucketSizeBytes / NumberOfObjects, read for the whole page at once. */
  sizes?: BucketSizes;
}

/** Data the S3 detectors can ask for. */
export const S3_NEEDS = { lifecycle: 'lifecycle', versioning: 'versioning', multipart: 'multipart-uploads', sizes: 'sizes' } as const;

/** Per-bucket reads run this many at a time. */
const BUCKET_READ_CONCURRENCY = 16;

export async function readLifecycle(s3: S3Client, bucket: string): Promise<LifecycleConfiguration | null> {
  try {
    const out = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    return { Rules: out.Rules ?? [], TransitionDefaultMinimumObjectSize: out.TransitionDefaultMinimumObjectSize };
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchLifecycleConfiguration') return null;
    throw error;
  }
}

async function readTags(s3: S3Client, bucket: string): Promise<Record<string, string>> {
  try {
    const out = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key!, t.Value ?? '']));
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchTagSet') return {};
    throw error;
  }
}

async function readVersioning(s3: S3Client, bucket: string): Promise<NonNullable<Bucket['versioning']>> {
  const out = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  // A bucket that was never versioned has no Status at all.
  return (out.Status as Bucket['versioning']) ?? 'Never';
}

/** The first page of ListMultipartUploads: enough for "how many, and how old". */
async function readMultipartUploads(s3: S3Client, bucket: string): Promise<NonNullable<Bucket['multipartUploads']>> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, MaxUploads: 1000 }));
  const initiated = (out.Uploads ?? []).map((u) => u.Initiated?.getTime()).filter((t): t is number => t !== undefined);
  return {
    count: out.Uploads?.length ?? 0,
    oldestInitiated: initiated.length ? new Date(Math.min(...initiated)).toISOString() : undefined,
    truncated: Boolean(out.IsTruncated),
  };
}

export const s3BucketResource: ResourceType<Bucket> = {
  id: 's3-bucket',
  title: 'S3 bucket',
  permissions: [
    's3:ListAllMyBuckets',
    's3:GetBucketTagging',
    's3:GetLifecycleConfiguration',
    's3:GetBucketVersioning',
    's3:ListBucketMultipartUploads',
    'cloudwatch:GetMetricData',
  ],

  async *list(ctx, _prepared, ids) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    const wanted = ids ? new Set(ids) : undefined;
    for await (const page of paginateListBuckets({ client: s3, pageSize: 1000 }, { BucketRegion: ctx.region })) {
      const buckets = (page.Buckets ?? [])
        .filter((b) => b.Name && (!wanted || wanted.has(b.Name)))
        .map((b): Bucket => ({ name: b.Name!, region: b.BucketRegion ?? ctx.region, createdAt: b.CreationDate?.toISOString(), tags: {} }));
      if (buckets.length > 0) yield buckets;
    }
  },

  async enrich(ctx, page, _prepared, needs) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    // Sizes for the whole page in a few GetMetricData calls (≤500 queries each), alongside the per-bucket reads.
    const sizes = needs.has(S3_NEEDS.sizes) ? readBucketSizes(ctx, page.map((b) => b.name)) : Promise.resolve(undefined);
    // S3 has no batch read for these: one call per bucket and kind, each at most once, bounded concurrency.
    const reads = mapLimit(page, BUCKET_READ_CONCURRENCY, async (bucket) => {
      const [tags, lifecycle, versioning, multipartUploads] = await Promise.all([
        readTags(s3, bucket.name),
        needs.has(S3_NEEDS.lifecycle) ? readLifecycle(s3, bucket.name) : undefined,
        needs.has(S3_NEEDS.versioning) ? readVersioning(s3, bucket.name) : undefined,
        needs.has(S3_NEEDS.multipart) ? readMultipartUploads(s3, bucket.name) : undefined,
      ]);
      const enriched: Bucket = { ...bucket, tags };
      if (lifecycle !== undefined) enriched.lifecycle = lifecycle;
      if (versioning !== undefined) enriched.versioning = versioning;
      if (multipartUploads !== undefined) enriched.multipartUploads = multipartUploads;
      return enriched;
    });
    const [enrichedPage, byName] = await Promise.all([reads, sizes]);
    if (byName) for (const bucket of enrichedPage) bucket.sizes = byName.get(bucket.name);
    return enrichedPage;
  },

  ref(bucket, ctx: RegionContext) {
    return { type: 's3-bucket', id: bucket.name, arn: `arn:aws:s3:::${bucket.name}`, account: ctx.account, region: bucket.region, tags: bucket.tags };
  },
};
