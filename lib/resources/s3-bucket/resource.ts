/**
 * S3 buckets: listed per region with ListBuckets' BucketRegion filter (paginated). Tags come
 * with the listing from the Resource Groups Tagging API: one GetResources per 100 buckets
 * (ResourceARNList), in the buckets' own region (the API returns only resources located in the
 * Region it is called in, and never untagged ones: a bucket it does not return has no tags).
 * With tags known at listing, the engine applies policy scopes (names, tags) before
 * enrichment, so excluded buckets cost no per-bucket read. Each page is then enriched with
 * only the per-bucket reads the policies' detectors need (lifecycle, versioning, multipart
 * uploads) and one batched CloudWatch read for sizes.
 */
import { readTagsByArn } from '../../aws/tagging.ts';
import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  ListMultipartUploadsCommand,
  S3Client,
  paginateListBuckets,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { enrichmentRead } from '../../engine/partial.ts';
import { batches, mapLimit } from '../../util/async.ts';
import { awsErrorName } from '../../util/errors.ts';
import { readBucketSizes } from './metrics.ts';
import type { BucketSizes } from './savings.ts';
import { partitionOf } from '../../aws/regions.ts';

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

/** Buckets per ListBuckets call (MaxBuckets: 1 to 10,000). */
const LIST_BUCKETS_PAGE = 10_000;
/** Buckets per page handed to enrichment and the detectors. */
const BUCKETS_PER_PAGE = 1000;

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

export { TAGGING_ARNS_PER_CALL } from '../../aws/tagging.ts';

/** A bucket's ARN in the partition of the region it is in (S3 ARNs name no region or account). */
export const bucketArn = (name: string, region: string) => `arn:${partitionOf(region)}:s3:::${name}`;

/**
 * Tags of the named buckets (all in `ctx.region`), ⌈n/100⌉ GetResources calls. A bucket the
 * API does not return is untagged (GetResources never returns untagged resources).
 */
export async function readBucketTags(ctx: RegionContext, names: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const byArn = await readTagsByArn(ctx, names.map((name) => bucketArn(name, ctx.region)));
  return new Map(names.map((name) => [name, byArn.get(bucketArn(name, ctx.region)) ?? {}]));
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
  // Tags come with the listing (GetResources), so tag scopes apply before enrichment.
  tagsListed: true,
  permissions: [
    's3:ListAllMyBuckets',
    'tag:GetResources',
    's3:GetLifecycleConfiguration',
    's3:GetBucketVersioning',
    's3:ListBucketMultipartUploads',
    'cloudwatch:GetMetricData',
  ],

  async *list(ctx, _prepared, ids) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    const wanted = ids ? new Set(ids) : undefined;
    // MaxBuckets takes up to 10,000 (ListBuckets reference); the detectors see pages of 1,000.
    for await (const page of paginateListBuckets({ client: s3, pageSize: LIST_BUCKETS_PAGE }, { BucketRegion: ctx.region })) {
      const listed = (page.Buckets ?? []).filter((b) => b.Name && (!wanted || wanted.has(b.Name)));
      for (const chunk of batches(listed, BUCKETS_PER_PAGE)) {
        const tags = await readBucketTags(ctx, chunk.map((b) => b.Name!));
        yield chunk.map((b): Bucket => ({ name: b.Name!, region: b.BucketRegion ?? ctx.region, createdAt: b.CreationDate?.toISOString(), tags: tags.get(b.Name!)! }));
      }
    }
  },

  async enrich(ctx, page, _prepared, needs) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    // Sizes for the whole page in a few GetMetricData calls (≤500 queries each), alongside the per-bucket reads.
    // Each read runs through enrichmentRead: a failure costs only the detectors needing it, on the buckets it was for (lib/engine/partial.ts).
    const sizes = needs.has(S3_NEEDS.sizes)
      ? enrichmentRead(ctx, { provides: [S3_NEEDS.sizes], items: page, operation: 'cloudwatch:GetMetricData' }, () => readBucketSizes(ctx, page.map((b) => b.name)))
      : Promise.resolve(undefined);
    // S3 has no batch read for these: one call per bucket and kind, only those asked for, bounded concurrency.
    const reads = mapLimit(page, BUCKET_READ_CONCURRENCY, async (bucket) => {
      const [lifecycle, versioning, multipartUploads] = await Promise.all([
        needs.has(S3_NEEDS.lifecycle) ? enrichmentRead(ctx, { provides: [S3_NEEDS.lifecycle], items: [bucket], operation: 's3:GetBucketLifecycleConfiguration' }, () => readLifecycle(s3, bucket.name)) : undefined,
        needs.has(S3_NEEDS.versioning) ? enrichmentRead(ctx, { provides: [S3_NEEDS.versioning], items: [bucket], operation: 's3:GetBucketVersioning' }, () => readVersioning(s3, bucket.name)) : undefined,
        needs.has(S3_NEEDS.multipart) ? enrichmentRead(ctx, { provides: [S3_NEEDS.multipart], items: [bucket], operation: 's3:ListMultipartUploads' }, () => readMultipartUploads(s3, bucket.name)) : undefined,
      ]);
      const enriched: Bucket = { ...bucket };
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
    return { type: 's3-bucket', id: bucket.name, arn: bucketArn(bucket.name, bucket.region), account: ctx.account, region: bucket.region, tags: bucket.tags };
  },
};
