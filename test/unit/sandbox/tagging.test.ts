/**
 * The sandbox's Resource Groups Tagging API: GetResources answered on the wire (awsJson1_1)
 * and parsed by the SDK's own deserializer, derived from the S3 buckets' tags, with the
 * API's rules (regional, untagged never returned, ResourceARNList exclusive, pagination).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GetResourcesCommand, paginateGetResources, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { seedBucket } from '../../../lib/resources/s3-bucket/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { s3State } from '../../../lib/sandbox/services/s3.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

/** Five tagged buckets and one untagged in us-east-1, one tagged in eu-west-1. */
function account() {
  const sandbox = emptySandbox({ clock, pageCap: undefined });
  for (let i = 0; i < 5; i++) seedBucket(sandbox, SANDBOX_ACCOUNT, { name: `tagged-${i}`, region: 'us-east-1', ageDays: 10, tags: { team: i % 2 ? 'web' : 'data', n: String(i) } });
  seedBucket(sandbox, SANDBOX_ACCOUNT, { name: 'untagged', region: 'us-east-1', ageDays: 10 });
  seedBucket(sandbox, SANDBOX_ACCOUNT, { name: 'eu-bucket', region: 'eu-west-1', ageDays: 10, tags: { team: 'eu' } });
  const env = envFor(sandbox, ['us-east-1']);
  return { sandbox, client: (region = 'us-east-1') => env.clients.get(ResourceGroupsTaggingAPIClient, region) };
}

const CREDENTIALS = { accessKeyId: 'TEST', secretAccessKey: 'TEST' };

describe('sandbox GetResources (Resource Groups Tagging API)', () => {
  it('answers on the wire as awsJson1_1 with the shape of the documented AWS example', async () => {
    // Prepare: the AWS CLI documentation's response body, through the SDK's own deserializer.
    const body = readFileSync(new URL('../../fixtures/wire/resourcegroupstaggingapi/GetResources-cli-doc.json', import.meta.url), 'utf8');
    const real = new ResourceGroupsTaggingAPIClient({
      region: 'us-east-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
      requestHandler: { handle: async () => ({ response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(body) } }) },
    });
    const { sandbox, client } = account();

    // Act
    const documented = await real.send(new GetResourcesCommand({}));
    const wire = await sandbox.respond({ account: SANDBOX_ACCOUNT, region: 'us-east-1', service: 'resourcegroupstaggingapi', operation: 'GetResources', input: { ResourcesPerPage: 2 }, protocol: 'awsJson1_1' });
    const ours = await client().send(new GetResourcesCommand({ ResourceARNList: ['arn:aws:s3:::tagged-0'] }));

    // Assess: same members and nesting as AWS's; the raw body is JSON 1.1 with a string token.
    expect(Object.keys(documented.ResourceTagMappingList![0]).sort()).toEqual(['ResourceARN', 'Tags']);
    expect(Object.keys(ours.ResourceTagMappingList![0]).sort()).toEqual(['ResourceARN', 'Tags']);
    expect(ours.ResourceTagMappingList).toEqual([{ ResourceARN: 'arn:aws:s3:::tagged-0', Tags: [{ Key: 'team', Value: 'data' }, { Key: 'n', Value: '0' }] }]);
    expect(wire.statusCode).toBe(200);
    const raw = JSON.parse(new TextDecoder().decode(wire.body as Uint8Array));
    expect(raw.ResourceTagMappingList).toHaveLength(2);
    expect(typeof raw.PaginationToken).toBe('string');
    expect(raw.PaginationToken.length).toBeGreaterThan(0);
  });

  it('pages through the tagged buckets of the Region called, ResourcesPerPage at a time, and never returns untagged ones', async () => {
    // Prepare
    const { sandbox, client } = account();

    // Act
    const pages = [];
    for await (const page of paginateGetResources({ client: client(), pageSize: 2 }, { ResourceTypeFilters: ['s3'] })) pages.push(page);
    const eu = await client('eu-west-1').send(new GetResourcesCommand({ ResourceTypeFilters: ['s3:bucket'] }));

    // Assess: 5 tagged buckets in 3 pages; the last page's token is empty; eu-west-1 sees only its own.
    expect(pages.map((p) => p.ResourceTagMappingList!.map((m) => m.ResourceARN))).toEqual([
      ['arn:aws:s3:::tagged-0', 'arn:aws:s3:::tagged-1'],
      ['arn:aws:s3:::tagged-2', 'arn:aws:s3:::tagged-3'],
      ['arn:aws:s3:::tagged-4'],
    ]);
    expect(pages.at(-1)!.PaginationToken).toBe('');
    expect(eu.ResourceTagMappingList!.map((m) => m.ResourceARN)).toEqual(['arn:aws:s3:::eu-bucket']);
    expect(sandbox.callsByOperation()).toEqual({ 'resourcegroupstaggingapi:GetResources': 4 });
  });

  it('filters by tag: every filter must hold, any of a filter’s values', async () => {
    // Prepare
    const { client } = account();

    // Act
    const out = await client().send(new GetResourcesCommand({ TagFilters: [{ Key: 'team', Values: ['web'] }, { Key: 'n' }] }));

    // Assess
    expect(out.ResourceTagMappingList!.map((m) => m.ResourceARN)).toEqual(['arn:aws:s3:::tagged-1', 'arn:aws:s3:::tagged-3']);
  });

  it('answers a ResourceARNList with the tagged buckets it names, leaving out unknown, untagged and other-Region ARNs', async () => {
    // Prepare
    const { client } = account();

    // Act
    const out = await client().send(
      new GetResourcesCommand({ ResourceARNList: ['arn:aws:s3:::tagged-3', 'arn:aws:s3:::untagged', 'arn:aws:s3:::no-such-bucket', 'arn:aws:s3:::eu-bucket'] }),
    );

    // Assess
    expect(out.ResourceTagMappingList!.map((m) => m.ResourceARN)).toEqual(['arn:aws:s3:::tagged-3']);
  });

  it('shows a tag change made through S3 at once: the tags are the buckets’ own', async () => {
    // Prepare
    const { sandbox, client } = account();
    s3State(sandbox, sandbox.account(SANDBOX_ACCOUNT)).buckets.untagged.tags = { owner: 'ops' };

    // Act
    const out = await client().send(new GetResourcesCommand({ ResourceARNList: ['arn:aws:s3:::untagged'] }));

    // Assess
    expect(out.ResourceTagMappingList).toEqual([{ ResourceARN: 'arn:aws:s3:::untagged', Tags: [{ Key: 'owner', Value: 'ops' }] }]);
  });

  it('throttles with ThrottledException, which the SDK retries', async () => {
    // Prepare: the first call is throttled, the next is not.
    const draws = [0, 1];
    const sandbox = emptySandbox({ clock, pageCap: undefined, faults: { throttleRate: 0.5, random: () => draws.shift() ?? 1 } });
    seedBucket(sandbox, SANDBOX_ACCOUNT, { name: 'tagged', region: 'us-east-1', ageDays: 1, tags: { team: 'web' } });
    const client = envFor(sandbox, ['us-east-1']).clients.get(ResourceGroupsTaggingAPIClient, 'us-east-1');

    // Act
    const out = await client.send(new GetResourcesCommand({ ResourceARNList: ['arn:aws:s3:::tagged'] }));

    // Assess
    expect(out.ResourceTagMappingList).toHaveLength(1);
    expect(out.$metadata.attempts).toBe(2);
    expect(sandbox.callsByOperation()).toEqual({ 'resourcegroupstaggingapi:GetResources': 2 });
  });

  it.each([
    ['ResourceARNList with ResourcesPerPage', { ResourceARNList: ['arn:aws:s3:::tagged-0'], ResourcesPerPage: 10 }, /pagination parameters/],
    ['ResourceARNList with ResourceTypeFilters', { ResourceARNList: ['arn:aws:s3:::tagged-0'], ResourceTypeFilters: ['s3'] }, /ResourceTypeFilters/],
    ['101 ARNs', { ResourceARNList: Array.from({ length: 101 }, (_, i) => `arn:aws:s3:::b${i}`) }, /1 to 100 ARNs, not 101/],
    ['ResourcesPerPage 101', { ResourcesPerPage: 101 }, /ResourcesPerPage must be 1 to 100, not 101/],
    ['a forged PaginationToken', { PaginationToken: 'not-a-token' }, /pagination token is invalid/],
  ])('refuses %s with InvalidParameterException, naming the problem', async (_what, input, message) => {
    // Prepare
    const { client } = account();

    // Act
    const error = await client().send(new GetResourcesCommand(input)).catch((e) => e);

    // Assess
    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toMatch(message);
  });
});
