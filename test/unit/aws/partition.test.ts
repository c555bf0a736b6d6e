/**
 * ARNs in the partition of their region (lib/aws/regions.ts partitionOf): an ARN with the wrong
 * partition names nothing, so a tag read for a bucket in China would find no tags, and a
 * `trimtab:skip` bucket would look untagged.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { partitionOf } from '../../../lib/aws/regions.ts';
import { stateMachineArn } from '../../../lib/lambda/deps.ts';
import { MemberRoles } from '../../../lib/org/roles.ts';
import { readBucketTags, s3BucketResource } from '../../../lib/resources/s3-bucket/resource.ts';
import { seedBucket } from '../../../lib/resources/s3-bucket/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

describe('partitionOf', () => {
  it('puts the China regions in aws-cn, GovCloud in aws-us-gov and every other region in aws', () => {
    // Act / Assess
    expect(['cn-north-1', 'cn-northwest-1', 'us-gov-west-1', 'us-gov-east-1', 'us-east-1', 'eu-west-1', 'ca-west-1'].map(partitionOf)).toEqual([
      'aws-cn', 'aws-cn', 'aws-us-gov', 'aws-us-gov', 'aws', 'aws', 'aws',
    ]);
  });
});

describe('S3 bucket tags outside the aws partition', () => {
  it('reads the tags of buckets in China and GovCloud, trimtab:skip included, under their own partition\'s ARNs', async () => {
    // Prepare
    const sandbox = emptySandbox({ pageCap: undefined });
    seedBucket(sandbox, SANDBOX_ACCOUNT, { name: 'cn-logs', region: 'cn-north-1', ageDays: 10, tags: { 'trimtab:skip': 'legal hold' } });
    seedBucket(sandbox, SANDBOX_ACCOUNT, { name: 'gov-data', region: 'us-gov-west-1', ageDays: 10, tags: { team: 'gov' } });
    const env = envFor(sandbox, ['cn-north-1', 'us-gov-west-1']);
    const ctx = (region: string) => ({ clients: env.clients, region, account: SANDBOX_ACCOUNT }) as Parameters<typeof readBucketTags>[0];

    // Act
    const china = await readBucketTags(ctx('cn-north-1'), ['cn-logs']);
    const gov = await readBucketTags(ctx('us-gov-west-1'), ['gov-data']);
    const ref = s3BucketResource.ref({ name: 'cn-logs', region: 'cn-north-1', tags: {} } as never, ctx('cn-north-1'));

    // Assess
    expect(china.get('cn-logs')).toEqual({ 'trimtab:skip': 'legal hold' });
    expect(gov.get('gov-data')).toEqual({ team: 'gov' });
    expect(ref.arn).toBe('arn:aws-cn:s3:::cn-logs');
  });
});

describe('member roles outside the aws partition', () => {
  it('assumes the member role under the hub region\'s partition', () => {
    // Prepare
    const roles = (region: string) => new MemberRoles({ hub: new AwsClients({ allowWrites: false }), hubAccount: '111111111111', config: { memberRole: { name: 'trimtab-member-{stage}', durationSeconds: 3600 } }, stage: 'prod', region });

    // Act
    const arns = ['cn-northwest-1', 'us-gov-east-1', 'eu-west-1'].map((region) => roles(region).roleArn('222222222222'));

    // Assess
    expect(arns).toEqual(['arn:aws-cn:iam::222222222222:role/trimtab-member-prod', 'arn:aws-us-gov:iam::222222222222:role/trimtab-member-prod', 'arn:aws:iam::222222222222:role/trimtab-member-prod']);
  });

  it('is refused AccessDenied (403), not a validation error, when it names a role of another partition than the caller\'s', async () => {
    // Prepare: a hub in aws (the sandbox's partition) and a member account
    const sandbox = emptySandbox();
    sandbox.account('222222222222');
    const sts = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false }).get(STSClient, 'us-east-1');
    const assume = (RoleArn: string) => sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 's' }));

    // Act / Assess: a well-formed role ARN of aws-cn names no role an aws caller can assume; only a malformed ARN is invalid
    await expect(assume('arn:aws-cn:iam::222222222222:role/trimtab-member-prod')).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 }, message: expect.stringContaining('sts:AssumeRole on resource: arn:aws-cn:iam::222222222222:role/trimtab-member-prod') });
    await expect(assume('arn:aws:iam::222222222222:user/someone')).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(assume('arn:aws:iam::222222222222:role/trimtab-member-prod')).resolves.toMatchObject({ AssumedRoleUser: { Arn: 'arn:aws:iam::222222222222:role/trimtab-member-prod/s' } });
  });
});

describe('the approval state machine outside the aws partition', () => {
  it('starts executions of the state machine named in the function region\'s partition', () => {
    // Act / Assess
    expect(stateMachineArn('us-gov-west-1', '123456789012', 'trimtab-prod-approval')).toBe('arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:trimtab-prod-approval');
    expect(stateMachineArn('cn-north-1', '123456789012', 'trimtab-prod-approval')).toBe('arn:aws-cn:states:cn-north-1:123456789012:stateMachine:trimtab-prod-approval');
    expect(stateMachineArn('eu-west-1', '123456789012', 'trimtab-prod-approval')).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:trimtab-prod-approval');
  });
});
