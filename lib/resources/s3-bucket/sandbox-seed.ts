/** The S3 part of the sandbox's "small company" scenario: waste, and traps that must survive. */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState } from '../../sandbox/services/cloudwatch.ts';
import { s3State, type SandboxBucket } from '../../sandbox/services/s3.ts';

const GB = 1024 ** 3;

export function seedS3SmallCompany(sandbox: Sandbox, accountId: string) {
  const account = sandbox.account(accountId);
  const now = sandbox.now();
  const { buckets } = s3State(sandbox, account);
  const add = (bucket: Omit<SandboxBucket, 'createdAt' | 'multipartUploads'> & { ageDays: number; uploads?: number[]; standardGb?: number }) => {
    const { ageDays, uploads = [], standardGb, ...rest } = bucket;
    buckets[bucket.name] = {
      ...rest,
      createdAt: daysAgo(now, ageDays).toISOString(),
      multipartUploads: uploads.map((age, i) => ({ key: `uploads/part-${i}.bin`, uploadId: `upload-${bucket.name}-${i}`, initiated: daysAgo(now, age).toISOString() })),
    };
    if (standardGb !== undefined) {
      cloudwatchState(sandbox, account, bucket.region).metrics.push({
        namespace: 'AWS/S3',
        metricName: 'BucketSizeBytes',
        dimensions: { BucketName: bucket.name, StorageType: 'StandardStorage' },
        series: { resolutionSeconds: 86_400, base: standardGb * GB },
      });
    }
  };

  // Waste: no lifecycle at all, and failed uploads piling up.
  add({ name: 'acme-web-assets', region: 'us-east-1', ageDays: 700, uploads: [41, 12, 3], standardGb: 820, tags: { team: 'web' } });
  // Rules written by someone else: they must survive trimtab's merge, untouched and in order.
  add({
    name: 'acme-app-logs',
    region: 'us-east-1',
    ageDays: 400,
    uploads: [95],
    standardGb: 2300,
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
    standardGb: 5400,
    tags: { team: 'data' },
    lifecycle: { Rules: [{ ID: 'abort-uploads', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }] },
  });
  // Trap: looks wasteful, but its owners said hands off.
  add({ name: 'acme-legal-hold', region: 'us-east-1', ageDays: 1200, uploads: [200], standardGb: 310, tags: { 'trimtab:skip': 'legal hold', team: 'legal' } });
  // Small: a transition would cost more than it saves.
  add({ name: 'acme-config', region: 'us-east-1', ageDays: 300, standardGb: 0.02, tags: { team: 'platform' } });
  // Another region.
  add({ name: 'acme-eu-exports', region: 'eu-west-1', ageDays: 150, uploads: [8], standardGb: 640, tags: { team: 'data' } });
}
