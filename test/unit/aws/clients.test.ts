import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteSnapshotCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { isReadOnlyOperation, serviceKey } from '../../../lib/aws/operations.ts';
import { DryRunViolationError } from '../../../lib/util/errors.ts';
import { emptySandbox } from '../../helpers.ts';
import { s3State } from '../../../lib/sandbox/services/s3.ts';

const putRule = new PutBucketLifecycleConfigurationCommand({
  Bucket: 'b1',
  LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] },
});

function sandboxWithBucket() {
  const sandbox = emptySandbox();
  s3State(sandbox, sandbox.account()).buckets.b1 = { name: 'b1', region: 'us-east-1', createdAt: new Date().toISOString(), multipartUploads: [] };
  return sandbox;
}

describe('the dry-run guard', () => {
  it('refuses a mutating command sent directly on a client, before anything leaves the process', async () => {
    // Prepare: a real client with no sandbox and no credentials; only the guard stands in the way.
    const clients = new AwsClients({ allowWrites: false });
    const s3 = clients.get(S3Client, 'us-east-1');
    // Act / Assess
    await expect(s3.send(putRule)).rejects.toBeInstanceOf(DryRunViolationError);
    await expect(clients.get(EC2Client, 'us-east-1').send(new DeleteSnapshotCommand({ SnapshotId: 'snap-1' }))).rejects.toThrow(
      /Refused ec2:DeleteSnapshot: trimtab is in dry-run/,
    );
  });

  it('lets reads through and leaves the sandbox write log empty', async () => {
    const sandbox = sandboxWithBucket();
    const clients = new AwsClients({ allowWrites: false, interceptor: sandbox, account: sandbox.account().id });
    const s3 = clients.get(S3Client, 'us-east-1');
    await expect(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'b1' }))).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
    await expect(s3.send(putRule)).rejects.toBeInstanceOf(DryRunViolationError);
    expect(sandbox.writes).toHaveLength(0);
    expect(sandbox.callCount('s3:PutBucketLifecycleConfiguration')).toBe(0);
  });

  it('allows the write through a writable view of the same factory', async () => {
    const sandbox = sandboxWithBucket();
    const readOnly = new AwsClients({ allowWrites: false, interceptor: sandbox, account: sandbox.account().id });
    await readOnly.withWrites(true).get(S3Client, 'us-east-1').send(putRule);
    expect(sandbox.successfulWrites('s3:PutBucketLifecycleConfiguration')).toHaveLength(1);
    expect(readOnly.calls.get('s3:PutBucketLifecycleConfiguration')).toBe(1);
  });
});

describe('retries through the sandbox', () => {
  it('retries injected throttling with the SDK retry strategy until the call succeeds', async () => {
    const sandbox = sandboxWithBucket();
    let n = 0;
    // Throttle the first two attempts only.
    sandbox.faults = { throttleRate: 1, random: () => (n++ < 2 ? 0 : 1) };
    const clients = new AwsClients({ allowWrites: false, interceptor: sandbox, account: sandbox.account().id, clientConfig: { retryMode: 'standard' } });
    await expect(clients.get(S3Client, 'us-east-1').send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'b1' }))).rejects.toMatchObject({
      name: 'NoSuchLifecycleConfiguration',
    });
    expect(sandbox.callCount('s3:GetBucketLifecycleConfiguration')).toBe(3);
  });
});

describe('operation classification', () => {
  it('treats only known read verbs as read-only (fail closed)', () => {
    expect(isReadOnlyOperation('ec2', 'DescribeSnapshots')).toBe(true);
    expect(isReadOnlyOperation('s3', 'GetBucketLifecycleConfiguration')).toBe(true);
    expect(isReadOnlyOperation('sts', 'AssumeRole')).toBe(true);
    expect(isReadOnlyOperation('ec2', 'DeleteSnapshot')).toBe(false);
    expect(isReadOnlyOperation('ec2', 'Describe')).toBe(false);
    expect(isReadOnlyOperation('s3', 'RestoreObject')).toBe(false);
    expect(isReadOnlyOperation('ec2', 'ModifySnapshotTier')).toBe(false);
  });

  it('derives service keys from SDK service ids', () => {
    expect(serviceKey('Auto Scaling')).toBe('autoscaling');
    expect(serviceKey('CloudWatch Logs')).toBe('cloudwatchlogs');
    expect(serviceKey('S3')).toBe('s3');
  });
});
