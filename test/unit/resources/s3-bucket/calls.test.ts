/**
 * How many API calls an S3 scan makes: tags batched through the Resource Groups Tagging API,
 * per-bucket reads only for the needs of the policies in the run, and scopes applied before
 * any per-bucket read.
 */
import { describe, expect, it } from 'vitest';
import { sweepPolicies } from '../../../../lib/bench/account.ts';
import { seedBucket, seedBuckets } from '../../../../lib/resources/s3-bucket/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { emptySandbox, envFor } from '../../../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

/** The benchmark's bucket inventory (lib/resources/s3-bucket/sandbox-seed.ts seedBuckets), counted at full page size. */
function inventory(buckets: number) {
  const sandbox = emptySandbox({ clock, pageCap: undefined });
  seedBuckets(sandbox, SANDBOX_ACCOUNT, { buckets, region: 'us-east-1' });
  return envFor(sandbox, ['us-east-1']);
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

describe('S3 scan call counts', () => {
  it('scans 300 buckets with the shipped policies in 2 per-bucket reads and batched tags: 621 calls, no GetBucketTagging', async () => {
    // Prepare: the scheduled S3 policies of trimtab.yml, as the daily sweep runs them.
    const env = inventory(300);
    const policies = sweepPolicies('s3-bucket');

    // Act
    const result = await env.run(policies, { forceDryRun: true });

    // Assess
    expect(policies.map((p) => p.id)).toEqual(['s3-abort-incomplete-uploads', 's3-no-lifecycle', 's3-expire-noncurrent-versions', 's3-transition-large-standard']);
    expect(env.sandbox.callsByOperation()).toEqual({
      'cloudwatch:GetMetricData': 17, // ⌈300 × 27 queries / 500⌉
      'resourcegroupstaggingapi:GetResources': 3, // ⌈300 / 100⌉
      's3:GetBucketLifecycleConfiguration': 300,
      's3:GetBucketVersioning': 300,
      's3:ListBuckets': 1,
    });
    expect(total(env.sandbox.callsByOperation()) / 300).toBeCloseTo(2.07, 2);
    // Every bucket but those with an abort rule (every 5th from the 3rd) is flagged; the skip-tagged ones are protected.
    const abort = result.findings.filter((f) => f.policy === 's3-abort-incomplete-uploads');
    expect(abort).toHaveLength(240);
    expect(abort.filter((f) => f.status === 'protected')).toHaveLength(20);
    expect(result.errors).toEqual([]);
  });

  it('reads multipart uploads only when a policy’s count threshold needs them, and then names the count', async () => {
    // Prepare
    const env = inventory(50);

    // Act
    const result = await env.run(
      `
version: 1
policies:
  - id: abort-busy
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule, minIncompleteUploads: 1 }
`,
      { forceDryRun: true },
    );

    // Assess: lifecycle and uploads per bucket, no versioning, no sizes.
    expect(env.sandbox.callsByOperation()).toEqual({
      'resourcegroupstaggingapi:GetResources': 1,
      's3:GetBucketLifecycleConfiguration': 50,
      's3:ListBuckets': 1,
      's3:ListMultipartUploads': 50,
    });
    // Only the buckets with failed uploads (every 5th) are flagged, each with its count.
    expect(result.findings).toHaveLength(10);
    expect(result.findings[0].reason).toBe('2 incomplete multipart uploads are billed until aborted, and no lifecycle rule aborts them.');
    expect(result.findings[0].evidence).toMatchObject({ incompleteUploads: 2, oldestIncompleteUploadAgeDays: 40 });
  });

  it('says the uploads were not counted when the policy flags every bucket without the rule', async () => {
    // Prepare
    const env = inventory(5);

    // Act
    const result = await env.run('version: 1\npolicies:\n  - { id: abort, resource: s3-bucket, detector: { type: missing-abort-multipart-rule } }\n', { forceDryRun: true });

    // Assess
    expect(env.sandbox.callCount('s3:ListMultipartUploads')).toBe(0);
    expect(result.findings.map((f) => f.resource.id)).toEqual(['bench-000000', 'bench-000001', 'bench-000003', 'bench-000004']);
    expect(result.findings[0].evidence).toEqual({ incompleteUploads: 'not counted', lifecycleRules: 0 });
    expect(result.findings[0].reason).toMatch(/^No lifecycle rule aborts incomplete multipart uploads/);
  });

  it('makes no versioning read for a run whose detectors do not need it', async () => {
    // Prepare
    const env = inventory(100);

    // Act
    await env.run('version: 1\npolicies:\n  - { id: big, resource: s3-bucket, detector: { type: large-standard-without-transition } }\n', { forceDryRun: true });

    // Assess
    expect(env.sandbox.callsByOperation()).toEqual({
      'cloudwatch:GetMetricData': 6, // ⌈100 × 27 / 500⌉
      'resourcegroupstaggingapi:GetResources': 1,
      's3:GetBucketLifecycleConfiguration': 100,
      's3:ListBuckets': 1,
    });
  });
});

describe('S3 scopes before enrichment', () => {
  it('reads nothing per bucket for buckets outside every policy’s name scope', async () => {
    // Prepare: 200 buckets; the policy wants the ten named bench-00001*.
    const env = inventory(200);

    // Act
    const result = await env.run(
      `
version: 1
policies:
  - id: some
    resource: s3-bucket
    detector: { type: missing-lifecycle }
    scope: { includeNames: ['bench-00001*'] }
`,
      { forceDryRun: true },
    );

    // Assess: the listing and its tags cover all 200; the per-bucket reads only the 10.
    expect(env.sandbox.callsByOperation()).toEqual({
      'cloudwatch:GetMetricData': 1,
      'resourcegroupstaggingapi:GetResources': 2,
      's3:GetBucketLifecycleConfiguration': 10,
      's3:GetBucketVersioning': 10,
      's3:ListBuckets': 1,
    });
    expect(new Set(result.findings.map((f) => f.resource.id))).toEqual(new Set(['bench-000010', 'bench-000013', 'bench-000014', 'bench-000015', 'bench-000018', 'bench-000019']));
  });

  it('applies tag scopes before enrichment too, since the tags come with the listing', async () => {
    // Prepare: 30 buckets tagged team web/data/platform in turn; one policy excludes web, one wants only data.
    const env = inventory(30);

    // Act
    await env.run(
      `
version: 1
policies:
  - id: not-web
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    scope: { excludeTags: { team: web } }
  - id: data-only
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    scope: { includeTags: { team: data } }
`,
      { forceDryRun: true },
    );

    // Assess: the web buckets (i % 3 === 0, bar the skip-tagged ones that carry no team tag) are never read.
    const web = Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === 0 && !(i % 5 === 4)).length;
    expect(env.sandbox.callCount('s3:GetBucketLifecycleConfiguration')).toBe(30 - web);
  });

  it('reads one bucket’s tags with one GetResources call in an event-driven run', async () => {
    // Prepare: an eu-west-1 bucket among many in us-east-1.
    const env = inventory(150);
    seedBucket(env.sandbox, SANDBOX_ACCOUNT, { name: 'eu-new', region: 'eu-west-1', ageDays: 0, tags: { team: 'eu', 'trimtab:skip': 'hands off' } });

    // Act
    const result = await env.run('version: 1\npolicies:\n  - { id: abort, resource: s3-bucket, detector: { type: missing-abort-multipart-rule } }\n', {
      forceDryRun: true,
      regions: ['eu-west-1'],
      targets: { resourceType: 's3-bucket', region: 'eu-west-1', ids: ['eu-new'] },
    });

    // Assess: the tags were read in the bucket's own Region and protect it.
    expect(env.sandbox.callsByOperation()).toEqual({ 'resourcegroupstaggingapi:GetResources': 1, 's3:GetBucketLifecycleConfiguration': 1, 's3:ListBuckets': 1 });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0].resource.tags).toEqual({ team: 'eu', 'trimtab:skip': 'hands off' });
    expect(result.findings[0].status).toBe('protected');
  });
});
