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

describe('the views of one factory (killing the mutants Stryker found alive in lib/aws/clients.ts)', () => {
  it('takes writes away in a read-only view of a writable factory, and keeps them in the writable one', async () => {
    // Prepare
    const sandbox = sandboxWithBucket();
    const writable = new AwsClients({ allowWrites: true, interceptor: sandbox, account: sandbox.account().id });
    // Act / Assess: the read-only view refuses before anything is sent
    await expect(writable.withWrites(false).get(S3Client, 'us-east-1').send(putRule)).rejects.toBeInstanceOf(DryRunViolationError);
    expect(sandbox.writes).toHaveLength(0);
    expect(writable.withWrites(false).allowWrites).toBe(false);
    // The writable factory itself (and asking it for writes again) still writes
    expect(writable.withWrites(true)).toBe(writable);
    await writable.get(S3Client, 'us-east-1').send(putRule);
    expect(sandbox.successfulWrites('s3:PutBucketLifecycleConfiguration')).toHaveLength(1);
  });

  it('keeps the dry-run guard in another account and counts every view\'s calls in one place', async () => {
    // Prepare
    const sandbox = sandboxWithBucket();
    const readOnly = new AwsClients({ allowWrites: false, interceptor: sandbox, account: sandbox.account().id });
    // Act
    const member = readOnly.forAccount('210987654321');
    const refused = member.get(S3Client, 'us-east-1').send(putRule);
    await readOnly.get(S3Client, 'us-east-1').send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'b1' })).catch(() => undefined);
    // Assess
    await expect(refused).rejects.toBeInstanceOf(DryRunViolationError);
    expect(member.account).toBe('210987654321');
    expect(member.allowWrites).toBe(false);
    expect(readOnly.calls.get('s3:PutBucketLifecycleConfiguration')).toBe(1);
    expect(readOnly.calls.get('s3:GetBucketLifecycleConfiguration')).toBe(1);
    expect(member.callCount()).toBe(2);
    expect(sandbox.writes).toHaveLength(0);
  });

  it('names the failed call on the error after the retries, without adding an enumerable key to what AWS sent', async () => {
    // Prepare
    const sandbox = sandboxWithBucket();
    const clients = new AwsClients({ allowWrites: false, interceptor: sandbox, account: sandbox.account().id });
    // Act
    const error = (await clients.get(S3Client, 'us-east-1').send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'b1' })).catch((e: unknown) => e)) as Record<string, unknown>;
    // Assess
    expect(error).toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
    expect(error.$trimtabOperation).toBe('s3:GetBucketLifecycleConfiguration');
    expect(Object.keys(error)).not.toContain('$trimtabOperation'); // not enumerable: logs and JSON stay as AWS sent them
  });

  it('builds each client once per service and region, with adaptive retries over six attempts and path-style S3 on a custom endpoint', async () => {
    // Prepare
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4566';
    try {
      const clients = new AwsClients({ allowWrites: false });
      // Act
      const s3 = clients.get(S3Client, 'eu-west-1');
      const ec2 = clients.get(EC2Client, 'eu-west-1');
      // Assess
      expect(clients.get(S3Client, 'eu-west-1')).toBe(s3);
      expect(clients.get(S3Client, 'us-east-1')).not.toBe(s3);
      expect(await s3.config.region()).toBe('eu-west-1');
      expect(await s3.config.maxAttempts()).toBe(6);
      expect(((await ec2.config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
      expect(s3.config.forcePathStyle).toBe(true);
      expect(s3.config.followRegionRedirects).toBe(true);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
    }
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
