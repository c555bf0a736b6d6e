/**
 * The recorded AWS answers (test/fixtures/wire) through the SDK's own deserializers. These tests
 * exercise the SDK's parser and our fixtures, not trimtab: they show that the recordings the
 * sandbox's answers are compared with (wire-contract.test.ts) parse into what the code reads.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EC2Client, DescribeInstancesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { ListBucketsCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { AutoScalingClient, DescribePoliciesCommand } from '@aws-sdk/client-auto-scaling';

const CREDENTIALS = { accessKeyId: 'TEST', secretAccessKey: 'TEST' };
const fixture = (path: string) => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');

/** A client whose transport answers every request with this body (what AWS sent). */
function replaying<C>(Ctor: new (config: any) => C, body: string, statusCode = 200, contentType = 'text/xml'): C {
  return new Ctor({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { handle: async () => ({ response: { statusCode, headers: { 'content-type': contentType }, body: Buffer.from(body) } }) },
  });
}

describe('real AWS bodies through the SDK deserializers', () => {
  it('parses the EC2 DescribeSnapshots recording: item-wrapped sets, lowerCamel names, Dates, empty description as ""', async () => {
    // Prepare
    const ec2 = replaying(EC2Client, fixture('wire/ec2/DescribeSnapshots-2014.xml'));
    // Act
    const out = await ec2.send(new DescribeSnapshotsCommand({}));
    // Assess
    expect(out.Snapshots!.length).toBeGreaterThan(0);
    const first = out.Snapshots![0];
    expect(first.SnapshotId).toMatch(/^snap-/);
    expect(first.StartTime).toBeInstanceOf(Date);
    expect(typeof first.VolumeSize).toBe('number');
    expect(first.Progress).toMatch(/%$/);
  });

  it('parses the EC2 error body into the named exception with its HTTP status', async () => {
    // Prepare
    const ec2 = replaying(EC2Client, fixture('wire/ec2/Error-InvalidInstanceID.Malformed.xml'), 400);
    // Act
    const error = await ec2.send(new DescribeInstancesCommand({})).catch((e) => e);
    // Assess
    expect(error.name).toBe('InvalidInstanceID.Malformed');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('parses the S3 ListMultipartUploads truncated page with its markers, and S3 and Query error bodies', async () => {
    // Prepare
    const s3 = replaying(S3Client, fixture('wire/s3/ListMultipartUploads-truncated.xml'), 200, 'application/xml');
    const denied = replaying(S3Client, fixture('wire/s3/Error-AccessDenied.xml'), 403, 'application/xml');
    const asg = replaying(AutoScalingClient, fixture('wire/autoscaling/Error-ValidationError.xml'), 400);
    // Act
    const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'b' }));
    const s3Error = await denied.send(new ListBucketsCommand({})).catch((e) => e);
    const asgError = await asg.send(new DescribePoliciesCommand({})).catch((e) => e);
    // Assess
    expect(page.IsTruncated).toBe(true);
    expect(page.NextKeyMarker).toBeTruthy();
    expect(page.NextUploadIdMarker).toBeTruthy();
    expect(page.Uploads![0].Initiated).toBeInstanceOf(Date);
    expect([s3Error.name, s3Error.$metadata.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(asgError.name).toBe('ValidationError');
  });
});
