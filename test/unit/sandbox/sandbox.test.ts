import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, S3Client, paginateListBuckets } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { paginate, Sandbox } from '../../../lib/sandbox/sandbox.ts';
import { SANDBOX_SERVICES } from '../../../lib/sandbox/services/index.ts';
import { s3State } from '../../../lib/sandbox/services/s3.ts';
import { emptySandbox } from '../../helpers.ts';

function bucketsSandbox(count: number, options: { pageCap?: number; kind?: boolean } = {}) {
  const sandbox = emptySandbox(options);
  const { buckets } = s3State(sandbox, sandbox.account());
  for (let i = 0; i < count; i++) {
    const name = `bucket-${String(i).padStart(4, '0')}`;
    buckets[name] = { name, region: i % 2 ? 'eu-west-1' : 'us-east-1', createdAt: '2026-01-01T00:00:00.000Z', multipartUploads: [] };
  }
  const clients = new AwsClients({ allowWrites: true, interceptor: sandbox, account: sandbox.account().id, writePacing: false });
  return { sandbox, s3: clients.get(S3Client, 'us-east-1') };
}

describe('sandbox pagination', () => {
  it('pages with opaque tokens and page-size limits, as AWS does', () => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    const limits = { defaultMax: 10, maxMax: 10, operation: 'Test' };
    const first = paginate(items, {}, limits);
    const second = paginate(items, { token: first.nextToken }, limits);
    const third = paginate(items, { token: second.nextToken }, limits);
    expect([first.page.length, second.page.length, third.page.length]).toEqual([10, 10, 5]);
    expect(third.nextToken).toBeUndefined();
    expect(() => paginate(items, { max: 11 }, limits)).toThrow(/page size 11 is out of range/);
    expect(() => paginate(items, { token: 'garbage' }, limits)).toThrow(expect.objectContaining({ name: 'InvalidNextToken' }));
  });

  it('serves the SDK paginator page by page, filtered by region', async () => {
    const { sandbox, s3 } = bucketsSandbox(2500, { pageCap: undefined }); // AWS's full page size
    const names: string[] = [];
    for await (const page of paginateListBuckets({ client: s3, pageSize: 1000 }, { BucketRegion: 'us-east-1' })) names.push(...page.Buckets!.map((b) => b.Name!));
    expect(names).toHaveLength(1250);
    expect(sandbox.callCount('s3:ListBuckets')).toBe(2);
  });
});

describe('sandbox S3 lifecycle', () => {
  it('answers NoSuchLifecycleConfiguration, then replaces the whole configuration on every put', async () => {
    const { sandbox, s3 } = bucketsSandbox(1, { kind: true }); // read-after-write consistent: lifecycle propagation has its own tests (s3-lifecycle-propagation)
    const Bucket = 'bucket-0000';
    await expect(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration', $metadata: { httpStatusCode: 404 } });
    const rule = (ID: string) => ({ ID, Status: 'Enabled' as const, Filter: {}, Expiration: { Days: 30 } });
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [rule('a'), rule('b')] } }));
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [rule('c')] } }));
    const out = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
    expect(out.Rules!.map((r) => r.ID)).toEqual(['c']);
    expect(sandbox.successfulWrites()).toHaveLength(2);
  });

  it('rejects what S3 rejects, with its error codes', async () => {
    const { s3 } = bucketsSandbox(1);
    const put = (Rules: any[]) => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'bucket-0000', LifecycleConfiguration: { Rules } }));
    await expect(put([{ ID: 'x', Status: 'Enabled', Filter: {}, Transitions: [{ Days: 10, StorageClass: 'STANDARD_IA' }] }])).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(put([{ ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }, { ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 2 } }])).rejects.toMatchObject({
      name: 'InvalidArgument',
      message: expect.stringContaining('RuleId must be unique'),
    });
    await expect(put([{ ID: 'x', Status: 'Enabled', Filter: {} }])).rejects.toMatchObject({ name: 'InvalidRequest' });
  });

  it('names an operation it does not simulate', async () => {
    const sandbox = emptySandbox();
    await expect(sandbox.handle({ account: '1', region: 'us-east-1', service: 's3', operation: 'PutObject', input: {} })).rejects.toThrow(/does not simulate s3:PutObject/);
  });
});

describe('sandbox persistence', () => {
  it('saves and reloads state atomically', () => {
    const { sandbox } = bucketsSandbox(3);
    const file = join(mkdtempSync(join(tmpdir(), 'trimtab-')), 'sandbox.json');
    sandbox.save(file);
    const reloaded = new Sandbox(Sandbox.readState(file)!, SANDBOX_SERVICES);
    expect(Object.keys(s3State(reloaded, reloaded.account()).buckets)).toHaveLength(3);
  });
});
