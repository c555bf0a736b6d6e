/** The S3 part of the sandbox's "small company" scenario: waste, and traps that must survive. */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState } from '../../sandbox/services/cloudwatch.ts';
import { s3State, type SandboxBucket } from '../../sandbox/services/s3.ts';

const GB = 1024 ** 3;

export interface SeedBucket extends Omit<SandboxBucket, 'createdAt' | 'multipartUploads'> {
  ageDays: number;
  /** Ages in days of incomplete multipart uploads. */
  uploads?: number[];
  /** Bytes per CloudWatch StorageType, in GB (no entry: no BucketSizeBytes metric at all). */
  gb?: Record<string, number>;
  /** NumberOfObjects (AllStorageTypes). */
  objects?: number;
}

/** Add one bucket with its S3 state and its daily CloudWatch storage metrics. */
export function seedBucket(sandbox: Sandbox, accountId: string, bucket: SeedBucket) {
  const account = sandbox.account(accountId);
  const now = sandbox.now();
  const { ageDays, uploads = [], gb, objects, ...rest } = bucket;
  s3State(sandbox, account).buckets[bucket.name] = {
    ...rest,
    createdAt: daysAgo(now, ageDays).toISOString(),
    multipartUploads: uploads.map((age, i) => ({ key: `uploads/part-${i}.bin`, uploadId: `upload-${bucket.name}-${i}`, initiated: daysAgo(now, age).toISOString() })),
  };
  const metrics = cloudwatchState(sandbox, account, bucket.region).metrics;
  const startsAt = daysAgo(now, ageDays).toISOString();
  for (const [storageType, size] of Object.entries(gb ?? {})) {
    metrics.push({
      namespace: 'AWS/S3',
      metricName: 'BucketSizeBytes',
      dimensions: { BucketName: bucket.name, StorageType: storageType },
      series: { resolutionSeconds: 86_400, base: size * GB, startsAt },
    });
  }
  if (objects !== undefined) {
    metrics.push({
      namespace: 'AWS/S3',
      metricName: 'NumberOfObjects',
      dimensions: { BucketName: bucket.name, StorageType: 'AllStorageTypes' },
      series: { resolutionSeconds: 86_400, base: objects, startsAt },
    });
  }
}

export function seedS3SmallCompany(sandbox: Sandbox, accountId: string) {
  const add = (bucket: SeedBucket) => seedBucket(sandbox, accountId, bucket);

  // Waste: no lifecycle at all, failed uploads piling up, 820 GB of large objects in Standard.
  add({ name: 'acme-web-assets', region: 'us-east-1', ageDays: 700, uploads: [41, 12, 3], gb: { StandardStorage: 820 }, objects: 150_000, tags: { team: 'web' } });
  // Rules written by someone else: they must survive trimtab's merge, untouched and in order.
  add({
    name: 'acme-app-logs',
    region: 'us-east-1',
    ageDays: 400,
    uploads: [95],
    // 100,000 archived objects: S3 bills 8 KB (Standard) + 32 KB (Glacier) of metadata for each (overhead, not objects).
    gb: { StandardStorage: 2300, GlacierStorage: 410, GlacierS3ObjectOverhead: 0.76, GlacierObjectOverhead: 3.05 },
    objects: 800_000,
    tags: { team: 'platform' },
    lifecycle: {
      Rules: [
        { ID: 'expire-debug-logs', Status: 'Enabled', Filter: { Prefix: 'debug/' }, Expiration: { Days: 14 } },
        { ID: 'archive-audit', Status: 'Enabled', Filter: { Prefix: 'audit/' }, Transitions: [{ Days: 90, StorageClass: 'GLACIER' }] },
      ],
    },
  });
  // Versioned, noncurrent versions kept forever; already aborts uploads (after 3 days, its owner's choice).
  add({
    name: 'acme-data-lake',
    region: 'us-east-1',
    ageDays: 900,
    versioning: 'Enabled',
    gb: { StandardStorage: 5400, IntelligentTieringFAStorage: 120, IntelligentTieringIAStorage: 880 },
    objects: 2_000_000,
    tags: { team: 'data' },
    lifecycle: { Rules: [{ ID: 'abort-uploads', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }] },
  });
  // Conflict: versioned, and its owners keep noncurrent database dumps for a year; a whole-bucket
  // 90-day expiry would override that, so trimtab must report a conflict and write nothing.
  add({
    name: 'acme-backups',
    region: 'us-east-1',
    ageDays: 1000,
    versioning: 'Enabled',
    uploads: [30],
    gb: { StandardStorage: 60, OneZoneIAStorage: 40, OneZoneIASizeOverhead: 0.2, ReducedRedundancyStorage: 2 },
    objects: 4_000,
    tags: { team: 'platform' },
    lifecycle: { Rules: [{ ID: 'keep-db-versions-1y', Status: 'Enabled', Filter: { Prefix: 'db/' }, NoncurrentVersionExpiration: { NoncurrentDays: 365 } }] },
  });
  // Excluded by name pattern (the noncurrent-version policy skips '*-terraform-state'): state history is kept forever.
  add({ name: 'acme-terraform-state', region: 'us-east-1', ageDays: 800, versioning: 'Enabled', gb: { StandardStorage: 0.05 }, objects: 300, tags: { team: 'platform' } });
  // Excluded by tag (the transition policy skips access-pattern=hot): read all day by training jobs.
  add({ name: 'acme-ml-training', region: 'us-east-1', ageDays: 200, gb: { StandardStorage: 1200 }, objects: 90_000, tags: { team: 'ml', 'access-pattern': 'hot' }, lifecycle: { Rules: [{ ID: 'abort-mpu', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } }] } });
  // Trap: looks wasteful, but its owners said hands off.
  add({ name: 'acme-legal-hold', region: 'us-east-1', ageDays: 1200, uploads: [200], gb: { StandardStorage: 310 }, objects: 20_000, tags: { 'trimtab:skip': 'legal hold', team: 'legal' } });
  // Small: a transition would cost more (requests, monitoring) than it saves.
  add({ name: 'acme-config', region: 'us-east-1', ageDays: 300, gb: { StandardStorage: 0.02 }, objects: 150, tags: { team: 'platform' } });
  // Big but made of tiny objects (average ~5 KB): under the 128 KB floor, a transition does not pay.
  add({ name: 'acme-thumbnails', region: 'us-east-1', ageDays: 500, gb: { StandardStorage: 150 }, objects: 30_000_000, tags: { team: 'web' }, lifecycle: { Rules: [{ ID: 'abort-mpu', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] } });
  // New: CloudWatch has no size datapoint yet, so every estimate is 0 with "size unknown".
  add({ name: 'acme-new-uploads', region: 'us-east-1', ageDays: 1, uploads: [0], tags: { team: 'web' } });
  // Another region.
  add({ name: 'acme-eu-exports', region: 'eu-west-1', ageDays: 150, uploads: [8], gb: { StandardStorage: 640 }, objects: 90_000, tags: { team: 'data' } });
}

export interface BucketInventoryOptions {
  buckets: number;
  region?: string;
  prefix?: string;
}

/**
 * Many buckets for the benchmark, deterministic, cycling through the shapes above: no
 * lifecycle with failed uploads, a foreign rule set, versioned with an abort rule, small, tagged
 * trimtab:skip. Every bucket but every 10th has daily BucketSizeBytes (Standard, plus Glacier
 * on every 4th) and NumberOfObjects metrics; the 10th has none yet ("size unknown").
 */
export function seedBuckets(sandbox: Sandbox, accountId: string, options: BucketInventoryOptions) {
  const region = options.region ?? 'us-east-1';
  const prefix = options.prefix ?? 'bench';
  const names: string[] = [];
  for (let i = 0; i < options.buckets; i++) {
    const name = `${prefix}-${String(i).padStart(6, '0')}`;
    const kind = i % 5;
    const gb = i % 10 === 9 ? undefined : { StandardStorage: 1 + ((i * 37) % 2000), ...(i % 4 === 0 ? { GlacierStorage: (i * 13) % 500 } : {}) };
    seedBucket(sandbox, accountId, {
      name,
      region,
      ageDays: 30 + (i % 700),
      uploads: kind === 0 ? [40, 9] : [],
      gb,
      objects: gb ? 1000 + ((i * 7919) % 2_000_000) : undefined,
      tags: kind === 4 && i % 3 === 0 ? { 'trimtab:skip': 'bench' } : { team: ['web', 'data', 'platform'][i % 3] },
      ...(kind === 1 ? { lifecycle: { Rules: [{ ID: 'expire-tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } }] } } : {}),
      ...(kind === 2
        ? { versioning: 'Enabled' as const, lifecycle: { Rules: [{ ID: 'abort-uploads', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }] } }
        : {}),
    });
    names.push(name);
  }
  return { bucketNames: names };
}
