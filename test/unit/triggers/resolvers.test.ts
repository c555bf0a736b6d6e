import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alarmDetailSchema, issuesOf, parseDetail, parseEnvelope, resolveEvent, snapshotIdOf } from '../../../lib/triggers/resolvers.ts';
import { InvalidEventError } from '../../../lib/util/errors.ts';

const sample = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, 'utf8'));
/** The sample alarm event with its one metric moved to another namespace and dimensions. */
const withDimensions = (event: any, namespace: string, dimensions: Record<string, string>) => {
  event.detail.configuration.metrics[0].metricStat.metric = { ...event.detail.configuration.metrics[0].metricStat.metric, namespace, dimensions };
  return event;
};

describe('resolveEvent', () => {
  it('resolves CloudTrail CreateBucket to the bucket, in the region of its location constraint', () => {
    expect(resolveEvent(sample('cloudtrail-create-bucket'))).toEqual({ kind: 'targets', targets: [{ resourceType: 's3-bucket', region: 'eu-west-1', ids: ['acme-eu-exports'] }] });
  });

  it('resolves an EBS Snapshot Notification to the snapshot id after snapshot/ in the ARN', () => {
    expect(resolveEvent(sample('ebs-snapshot-notification'))).toEqual({ kind: 'targets', targets: [{ resourceType: 'ebs-snapshot', region: 'us-east-1', ids: ['snap-0a1b2c3d4e5f60718'] }] });
    expect(snapshotIdOf('arn:aws:ec2:us-west-2::snapshot/snap-01234567')).toBe('snap-01234567');
  });

  it('resolves an Auto Scaling launch to the group', () => {
    expect(resolveEvent(sample('asg-launch-successful'))).toEqual({ kind: 'targets', targets: [{ resourceType: 'asg', region: 'us-east-1', ids: ['acme-web-asg'] }] });
  });

  it('resolves a metric-math alarm to every AutoScalingGroupName inside its metrics', () => {
    expect(resolveEvent(sample('alarm-asg-low-cpu-metric-math'))).toEqual({
      kind: 'targets',
      targets: [{ resourceType: 'asg', region: 'us-east-1', ids: ['acme-web-asg', 'acme-web-asg-canary'] }],
    });
  });

  it('calls an alarm on an unmapped dimension unrelated, naming the dimensions it saw', () => {
    const resolution = resolveEvent(withDimensions(sample('alarm-instance-cpu-unmapped'), 'AWS/ELB', { LoadBalancerName: 'acme-lb' }));
    expect(resolution).toEqual({ kind: 'unrelated', reason: expect.stringContaining('it has LoadBalancerName') });
  });

  it.each([
    ['AWS/EC2', 'InstanceId', 'i-12345678901234567', 'ec2-instance'],
    ['AWS/Lambda', 'FunctionName', 'acme-thumbnailer', 'lambda-function'],
    ['AWS/RDS', 'DBInstanceIdentifier', 'acme-orders-db', 'rds-instance'],
    ['AWS/DynamoDB', 'TableName', 'acme-sessions', 'dynamodb-table'],
  ])('resolves a %s alarm on %s to the %s named by it as %s', (namespace, dimension, id, resourceType) => {
    // Prepare
    const event = withDimensions(sample('alarm-instance-cpu-unmapped'), namespace, { [dimension]: id });
    // Act
    const resolution = resolveEvent(event);
    // Assess
    expect(resolution).toEqual({ kind: 'targets', targets: [{ resourceType, region: 'us-east-1', ids: [id] }] });
  });

  it('calls a CloudTrail call that is not CreateBucket unrelated', () => {
    const event = sample('cloudtrail-create-bucket');
    event.detail.eventName = 'PutBucketPolicy';
    expect(resolveEvent(event)).toEqual({ kind: 'unrelated', reason: 'CloudTrail PutBucketPolicy is not CreateBucket' });
  });

  it('calls an unknown source unrelated and lists what it resolves', () => {
    const event = { ...sample('cloudtrail-create-bucket'), source: 'aws.rds', 'detail-type': 'RDS DB Instance Event' };
    expect(resolveEvent(event)).toMatchObject({ kind: 'unrelated', reason: expect.stringContaining("no resolver for 'aws.rds / RDS DB Instance Event'") });
  });

  it('rejects input that is not an EventBridge event, naming the missing fields', () => {
    expect(() => resolveEvent(sample('malformed-not-eventbridge'))).toThrow(InvalidEventError);
    expect(() => resolveEvent(sample('malformed-not-eventbridge'))).toThrow(/version: Invalid input/);
  });

  it('rejects a CreateBucket event without a bucket name', () => {
    expect(() => resolveEvent(sample('malformed-create-bucket-no-bucket-name'))).toThrow('detail.requestParameters.bucketName is missing');
  });
});

describe('the EventBridge envelope (trimtab\'s own schema, in place of the Powertools parser)', () => {
  it('keeps the documented envelope fields and the replay name, and drops fields EventBridge does not send', () => {
    // Prepare
    const event = { ...sample('alarm-s3-growth-alarm'), 'replay-name': 'replay-1', extra: true };
    // Act
    const envelope = parseEnvelope(event);
    // Assess
    expect(Object.keys(envelope).sort()).toEqual(['account', 'detail', 'detail-type', 'id', 'region', 'replay-name', 'resources', 'source', 'time', 'version']);
    expect(envelope).toMatchObject({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', 'replay-name': 'replay-1' });
  });

  it('rejects a time that is not ISO 8601 and an array input, naming the field', () => {
    expect(() => parseEnvelope({ ...sample('asg-launch-successful'), time: 'yesterday' })).toThrow('Not an EventBridge event: time: Invalid ISO datetime');
    expect(() => parseEnvelope([])).toThrow('Not an EventBridge event: (root): Invalid input: expected object, received array');
  });

  it('parses the detail inside the envelope, so issue paths start at detail', () => {
    // Prepare
    const malformed = sample('malformed-alarm-no-state');
    // Act
    const bad = parseDetail(malformed, alarmDetailSchema);
    const good = parseDetail(sample('alarm-s3-growth-alarm'), alarmDetailSchema);
    // Assess
    expect(bad.success).toBe(false);
    expect(bad.success ? '' : issuesOf(bad.error)).toBe('detail.state: Invalid input: expected object, received undefined');
    expect(good.success && good.data.state.value).toBe('ALARM');
    expect(good.success && good.data.configuration.metrics[0].metricStat?.metric.dimensions).toMatchObject({ BucketName: 'acme-web-assets' });
  });
});
