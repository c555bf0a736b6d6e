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
}

/** Data the S3 detectors can ask for. */
export const S3_NEEDS = { lifecycle: 'lifecycle', versioning: 'versioning', multipart: 'multipart-uploads' } as const;

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

export const s3BucketResource: ResourceType<Bucket> = {
  id: 's3-bucket',
  title: 'S3 bucket',
  permissions: ['s3:ListAllMyBuckets', 's3:GetBucketTagging', 's3:GetLifecycleConfiguration', 's3:GetBucketVersioning', 's3:ListBucketMultipartUploads'],

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
    return mapLimit(page, BUCKET_READ_CONCURRENCY, async (bucket) => {
      const tags = await readTags(s3, bucket.name);
      const enriched: Bucket = { ...bucket, tags };
      if (needs.has(S3_NEEDS.lifecycle)) enriched.lifecycle = await readLifecycle(s3, bucket.name);
      if (needs.has(S3_NEEDS.versioning)) {
        const out = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket.name }));
        enriched.versioning = (out.Status as Bucket['versioning']) ?? 'Never';
      }
      if (needs.has(S3_NEEDS.multipart)) {
        const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket.name, MaxUploads: 1000 }));
        const initiated = (out.Uploads ?? []).map((u) => u.Initiated?.getTime()).filter((t): t is number => t !== undefined);
        enriched.multipartUploads = {
          count: out.Uploads?.length ?? 0,
          oldestInitiated: initiated.length ? new Date(Math.min(...initiated)).toISOString() : undefined,
          truncated: Boolean(out.IsTruncated),
        };
      }
      return enriched;
    });
  },

  ref(bucket, ctx: RegionContext) {
    return { type: 's3-bucket', id: bucket.name, arn: `arn:aws:s3:::${bucket.name}`, account: ctx.account, region: bucket.region, tags: bucket.tags };
  },
};
