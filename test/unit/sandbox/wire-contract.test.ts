/**
 * Contract tests of trimtab's sandbox: its answers reach the SDK on the wire (lib/sandbox/wire/encode.ts)
 * and are held to the shapes of real AWS answers, operation by operation: recorded bodies
 * (test/fixtures/wire) parsed by the SDK, and recorded parsed outputs (test/fixtures/wire/samples).
 * That the SDK parses those recordings at all is checked apart, in wire-fixtures.test.ts: those
 * tests exercise the SDK's parser and our fixtures, not trimtab.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  EC2Client,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type DescribeVolumesCommandOutput,
} from '@aws-sdk/client-ec2';
import { GetBucketLifecycleConfigurationCommand, GetBucketTaggingCommand, GetBucketVersioningCommand, ListBucketsCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribePoliciesCommand, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { envFor, testEnv } from '../../helpers.ts';
import { Sandbox } from '../../../lib/sandbox/sandbox.ts';
import { s3State } from '../../../lib/sandbox/services/s3.ts';
import { encodeOutput } from '../../../lib/sandbox/wire/encode.ts';

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

// ---------------------------------------------------------------------------------------------
// Shapes: member names, types and nesting, not values.

type Shape = string | { [key: string]: Shape } | { '[]': Shape };

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/;

/** boto3/placebo parsed output → SDK v3 types (datetime objects are Dates; ResponseMetadata is boto's). */
function fromPlacebo(data: any, isoStringsAreDates = false): any {
  if (Array.isArray(data)) return data.map((d) => fromPlacebo(d, isoStringsAreDates));
  if (data && typeof data === 'object') {
    if (data.__class__ === 'datetime') return new Date(Date.UTC(data.year, data.month - 1, data.day, data.hour, data.minute, data.second));
    return Object.fromEntries(Object.entries(data).filter(([k]) => k !== 'ResponseMetadata').map(([k, v]) => [k, fromPlacebo(v, isoStringsAreDates)]));
  }
  if (isoStringsAreDates && typeof data === 'string' && ISO.test(data)) return new Date(data);
  return data;
}

function shapeOf(value: unknown): Shape {
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) {
    let item: Shape = 'empty';
    for (const v of value) item = merge(item, shapeOf(v));
    return { '[]': item };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, Shape> = {};
    for (const [k, v] of Object.entries(value)) if (k !== '$metadata' && v !== undefined) out[k] = shapeOf(v);
    return out;
  }
  return typeof value;
}

function merge(a: Shape, b: Shape): Shape {
  if (a === 'empty') return b;
  if (b === 'empty') return a;
  if (typeof a === 'string' || typeof b === 'string') return a === b ? a : `${String(a)}|${String(b)}`;
  if ('[]' in a && '[]' in b) return { '[]': merge(a['[]'] as Shape, b['[]'] as Shape) };
  const out: Record<string, Shape> = { ...(a as Record<string, Shape>) };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

/**
 * Where the sandbox's shape disagrees with the real one: a member both have but with another
 * type or nesting. Members only one side shows are listed apart by oneSided().
 */
function disagreements(sandbox: Shape, real: Shape, path = '$'): string[] {
  if (sandbox === 'empty' || real === 'empty') return [];
  if (typeof sandbox === 'string' || typeof real === 'string') return sandbox === real ? [] : [`${path}: sandbox ${JSON.stringify(sandbox)}, AWS ${JSON.stringify(real)}`];
  if ('[]' in sandbox || '[]' in real) {
    if (!('[]' in sandbox && '[]' in real)) return [`${path}: sandbox ${'[]' in sandbox ? 'list' : 'structure'}, AWS ${'[]' in real ? 'list' : 'structure'}`];
    return disagreements(sandbox['[]'] as Shape, real['[]'] as Shape, `${path}[]`);
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(sandbox)) if (k in real) out.push(...disagreements(v, (real as Record<string, Shape>)[k], `${path}.${k}`));
  return out;
}

/**
 * Members only one side shows, as paths: `sandbox only` (a model member no recording shows) or
 * `AWS only` (a member AWS sends that the sandbox leaves out). Each contract lists the ones it
 * accepts, so a new one (a sandbox member renamed, dropped or added) fails the contract.
 */
function oneSided(sandbox: Shape, real: Shape, path = '$'): string[] {
  if (sandbox === 'empty' || real === 'empty' || typeof sandbox === 'string' || typeof real === 'string') return [];
  if ('[]' in sandbox || '[]' in real) return '[]' in sandbox && '[]' in real ? oneSided(sandbox['[]'] as Shape, real['[]'] as Shape, `${path}[]`) : [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(sandbox)) {
    if (k in real) out.push(...oneSided(v, (real as Record<string, Shape>)[k], `${path}.${k}`));
    else out.push(`${path}.${k}: sandbox only`);
  }
  for (const k of Object.keys(real)) if (!(k in sandbox)) out.push(`${path}.${k}: AWS only`);
  return out.sort();
}

/** Members both sides show: the comparison must have something to compare. */
function shared(sandbox: Shape, real: Shape): number {
  if (typeof sandbox === 'string' || typeof real === 'string') return 1;
  if ('[]' in sandbox && '[]' in real) return shared(sandbox['[]'] as Shape, real['[]'] as Shape);
  if ('[]' in sandbox || '[]' in real) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(sandbox)) if (k in real) n += shared(v, (real as Record<string, Shape>)[k]);
  return n;
}

// ---------------------------------------------------------------------------------------------

describe('the sandbox answers on the wire', () => {
  it('sends the EC2 error body, so the SDK throws the named exception with status and request id', async () => {
    // Prepare
    const env = testEnv('small-company');
    const ec2 = env.clients.get(EC2Client, 'us-east-1');
    // Act
    const error = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0000000000000dead'] })).catch((e) => e);
    // Assess
    expect(error.name).toBe('InvalidSnapshot.NotFound');
    expect(error.$fault).toBe('client');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends S3 NoSuchLifecycleConfiguration as a 404 <Error> body', async () => {
    // Prepare
    const env = testEnv('small-company');
    const bucket = Object.values(s3State(env.sandbox, env.sandbox.account()).buckets).find((b) => !b.lifecycle)!;
    // Act
    const error = await env.clients.get(S3Client, 'us-east-1').send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket.name })).catch((e) => e);
    // Assess
    expect(error.name).toBe('NoSuchLifecycleConfiguration');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('sends injected throttling as a real throttling error response, which the SDK retries', async () => {
    // Prepare: the first two DescribeVolumes calls are throttled.
    const env = testEnv('small-company');
    env.sandbox.faults.failWhen = ({ operation, count }) => (operation === 'DescribeVolumes' && count <= 2 ? Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }) : undefined);
    // Act
    const out = await env.clients.get(EC2Client, 'us-east-1').send(new DescribeVolumesCommand({}));
    // Assess
    expect(out.$metadata.attempts).toBe(3);
    expect(env.sandbox.callCount('ec2:DescribeVolumes')).toBe(3);
  });

  it('drops a member that is not in the AWS model when strict encoding is off, as the SDK does with AWS answers, and refuses it when strict (the tests\' default)', async () => {
    // Prepare: a sandbox whose DescribeVolumes handler returns a member AWS does not have.
    const extra = () => ({ Volumes: [{ VolumeId: 'vol-1', Size: 8, SizeGb: 8 }] });
    const env = envFor(new Sandbox(Sandbox.emptyState('wire'), [{ id: 'ec2', operations: { DescribeVolumes: extra } }]));
    const ec2 = env.clients.get(EC2Client, 'us-east-1');
    const previous = process.env.TRIMTAB_WIRE_STRICT;
    // Act
    let lenient: DescribeVolumesCommandOutput | undefined;
    let strict: unknown;
    try {
      process.env.TRIMTAB_WIRE_STRICT = '0';
      lenient = await ec2.send(new DescribeVolumesCommand({}));
      process.env.TRIMTAB_WIRE_STRICT = '1';
      strict = await ec2.send(new DescribeVolumesCommand({})).catch((e) => e);
    } finally {
      if (previous === undefined) delete process.env.TRIMTAB_WIRE_STRICT;
      else process.env.TRIMTAB_WIRE_STRICT = previous;
    }
    // Assess: dropped on the wire, so the code under test never sees it; strict names it.
    expect(lenient!.Volumes).toEqual([{ VolumeId: 'vol-1', Size: 8 }]);
    expect(strict).toBeInstanceOf(TypeError);
    expect((strict as Error).message).toBe("Sandbox output Volume: 'SizeGb' is not a member of the AWS model.");
  });

  it('encodes strictly in the tests by default (test/setup.ts sets TRIMTAB_WIRE_STRICT=1)', () => {
    expect(process.env.TRIMTAB_WIRE_STRICT).toBe('1');
  });
});

describe('the wire encoder', () => {
  const describeVolumes = () => (new DescribeVolumesCommand({}) as any).schema as readonly unknown[];

  it('writes EC2 names, item-wrapped sets and ISO timestamps that the SDK reads back to the same values', async () => {
    // Prepare
    const created = new Date('2026-10-01T12:00:00.123Z');
    const body = encodeOutput({ service: 'ec2', operation: 'DescribeVolumes', protocol: 'ec2Query', operationSchema: describeVolumes() }, {
      Volumes: [{ VolumeId: 'vol-1', Size: 100, CreateTime: created, Encrypted: false, Tags: [], Attachments: [{ InstanceId: 'i-1', State: 'attached' }] }],
    });
    const text = Buffer.from(body.body).toString('utf8');
    // Act
    const parsed = await replaying(EC2Client, text).send(new DescribeVolumesCommand({}));
    // Assess
    expect(text).toContain('<volumeSet><item>');
    expect(text).toContain('<volumeId>vol-1</volumeId>');
    expect(text).toContain('<attachmentSet><item><instanceId>i-1</instanceId><status>attached</status></item></attachmentSet>');
    expect(text).toContain('<tagSet/>');
    expect(text).toContain('<createTime>2026-10-01T12:00:00.123Z</createTime>');
    expect(parsed.Volumes).toEqual([{ VolumeId: 'vol-1', Size: 100, CreateTime: created, Encrypted: false, Tags: [], Attachments: [{ InstanceId: 'i-1', State: 'attached' }] }]);
  });

  it('refuses a member of the wrong type, naming it, and in strict mode a member AWS does not have', () => {
    // Prepare
    const call = { service: 'ec2', operation: 'DescribeVolumes', protocol: 'ec2Query' as const, operationSchema: describeVolumes() };
    // Act / Assess (strict is the tests' default)
    expect(() => encodeOutput(call, { Volumes: [{ VolumeId: 'vol-1', Size: '100' }] })).toThrow(/Size: expected a number/);
    expect(() => encodeOutput(call, { Volumes: [{ VolumeId: 'vol-1', SizeGb: 100 }] })).toThrow(/'SizeGb' is not a member of the AWS model/);
  });
});

/**
 * Operation → (sandbox answer, real answers, the members only one side shows). `sandbox only`:
 * model members the recordings are too old or too plain to show; `AWS only`: members the
 * sandbox leaves out (optional in the model). A change to either list is a decision to review.
 */
const contracts: { operation: string; sandbox: (env: ReturnType<typeof testEnv>) => Promise<unknown>; real: () => Promise<unknown[]>; oneSided: string[] }[] = [
  {
    operation: 'ec2:DescribeSnapshots',
    oneSided: [
      '$.Snapshots[].FullSnapshotSizeInBytes: sandbox only',
      '$.Snapshots[].StorageTier: sandbox only',
    ],
    sandbox: (env) => env.clients.get(EC2Client, 'us-east-1').send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] })),
    real: async () => [
      await replaying(EC2Client, fixture('wire/ec2/DescribeSnapshots-2014.xml')).send(new DescribeSnapshotsCommand({})),
      fromPlacebo(JSON.parse(fixture('wire/samples/ec2/DescribeSnapshots-ami-graph.json')).data),
      fromPlacebo(JSON.parse(fixture('ec2/DescribeSnapshots-aws-backup-tag.json')).data),
    ],
  },
  {
    operation: 'ec2:DescribeVolumes',
    oneSided: [
      '$.Volumes[].MultiAttachEnabled: sandbox only',
      '$.Volumes[].Throughput: sandbox only',
    ],
    sandbox: (env) => env.clients.get(EC2Client, 'us-east-1').send(new DescribeVolumesCommand({})),
    real: async () => [
      await replaying(EC2Client, fixture('wire/ec2/DescribeVolumes-2014.xml')).send(new DescribeVolumesCommand({})),
      fromPlacebo(JSON.parse(fixture('ec2/DescribeVolumes-available-and-in-use.json')).data),
    ],
  },
  {
    operation: 'ec2:DescribeImages',
    oneSided: [
      '$.Images[].Architecture: AWS only',
      '$.Images[].BlockDeviceMappings[].VirtualName: AWS only',
      '$.Images[].DeprecationTime: sandbox only',
      '$.Images[].Description: AWS only',
      '$.Images[].EnaSupport: AWS only',
      '$.Images[].Hypervisor: AWS only',
      '$.Images[].ImageLocation: AWS only',
      '$.Images[].ImageOwnerAlias: AWS only',
      '$.Images[].Platform: AWS only',
      // The boto2-era sample predates PlatformDetails (a string, ImageAttribute docs in the DescribeImages .d.ts); asg/platform.ts reads it.
      '$.Images[].PlatformDetails: sandbox only',
      '$.Images[].SriovNetSupport: AWS only',
    ],
    sandbox: (env) => env.clients.get(EC2Client, 'us-east-1').send(new DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: true })),
    real: async () => [
      await replaying(EC2Client, fixture('wire/ec2/DescribeImages-boto2.xml')).send(new DescribeImagesCommand({})),
      fromPlacebo(JSON.parse(fixture('wire/samples/ec2/DescribeImages-ami-graph.json')).data),
    ],
  },
  {
    operation: 'ec2:DescribeAddresses',
    oneSided: [
      '$.Addresses[].ServiceManaged: sandbox only',
    ],
    sandbox: (env) => env.clients.get(EC2Client, 'us-east-1').send(new DescribeAddressesCommand({})),
    real: async () => [
      await replaying(EC2Client, fixture('wire/ec2/DescribeAddresses-2014.xml')).send(new DescribeAddressesCommand({})),
      fromPlacebo(JSON.parse(fixture('ec2/DescribeAddresses-associated.json')).data),
      fromPlacebo(JSON.parse(fixture('ec2/DescribeAddresses-unassociated.json')).data),
    ],
  },
  {
    operation: 'ec2:DescribeInstances',
    oneSided: [
      '$.Reservations[].Instances[].AmiLaunchIndex: AWS only',
      '$.Reservations[].Instances[].CapacityReservationSpecification: sandbox only',
      '$.Reservations[].Instances[].ClientToken: AWS only',
      '$.Reservations[].Instances[].EbsOptimized: AWS only',
      '$.Reservations[].Instances[].EnaSupport: sandbox only',
      '$.Reservations[].Instances[].HibernationOptions: sandbox only',
      '$.Reservations[].Instances[].Hypervisor: AWS only',
      '$.Reservations[].Instances[].InstanceLifecycle: sandbox only',
      '$.Reservations[].Instances[].KernelId: AWS only',
      '$.Reservations[].Instances[].KeyName: AWS only',
      '$.Reservations[].Instances[].Placement.GroupName: AWS only',
      '$.Reservations[].Instances[].Platform: AWS only',
      '$.Reservations[].Instances[].PlatformDetails: sandbox only',
      '$.Reservations[].Instances[].PrivateDnsName: AWS only',
      '$.Reservations[].Instances[].PrivateIpAddress: AWS only',
      '$.Reservations[].Instances[].ProductCodes: AWS only',
      '$.Reservations[].Instances[].PublicDnsName: AWS only',
      '$.Reservations[].Instances[].PublicIpAddress: AWS only',
      '$.Reservations[].Instances[].SecurityGroups: AWS only',
      '$.Reservations[].Instances[].StateReason: AWS only',
    ],
    sandbox: (env) => env.clients.get(EC2Client, 'us-east-1').send(new DescribeInstancesCommand({})),
    real: async () => [await replaying(EC2Client, fixture('wire/ec2/DescribeInstances-2014.xml')).send(new DescribeInstancesCommand({}))],
  },
  {
    operation: 's3:ListBuckets',
    oneSided: [
      '$.Buckets[].BucketRegion: sandbox only',
      '$.ContinuationToken: sandbox only',
    ],
    sandbox: (env) => env.clients.get(S3Client, 'us-east-1').send(new ListBucketsCommand({})),
    real: async () => [
      await replaying(S3Client, fixture('wire/s3/ListBuckets.xml'), 200, 'application/xml').send(new ListBucketsCommand({})),
      fromPlacebo(JSON.parse(fixture('wire/samples/s3/ListBuckets.json')).data),
    ],
  },
  {
    operation: 's3:ListMultipartUploads',
    oneSided: [
      '$.CommonPrefixes: AWS only',
      '$.Delimiter: AWS only',
      '$.KeyMarker: AWS only',
      '$.NextKeyMarker: AWS only',
      '$.NextUploadIdMarker: AWS only',
      '$.Prefix: AWS only',
      '$.UploadIdMarker: AWS only',
      '$.Uploads[].Initiator: AWS only',
      '$.Uploads[].Owner: AWS only',
    ],
    sandbox: async (env) => {
      const bucket = Object.values(s3State(env.sandbox, env.sandbox.account()).buckets).find((b) => b.multipartUploads.length)!;
      return env.clients.get(S3Client, 'us-east-1').send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
    },
    real: async () => [
      await replaying(S3Client, fixture('wire/s3/ListMultipartUploads-truncated.xml'), 200, 'application/xml').send(new ListMultipartUploadsCommand({ Bucket: 'b' })),
      await replaying(S3Client, fixture('wire/s3/ListMultipartUploads-common-prefixes.xml'), 200, 'application/xml').send(new ListMultipartUploadsCommand({ Bucket: 'b' })),
    ],
  },
  {
    operation: 's3:GetBucketLifecycleConfiguration',
    oneSided: [
      '$.Rules[].AbortIncompleteMultipartUpload: AWS only',
      '$.Rules[].Expiration.Days: sandbox only',
      '$.Rules[].Expiration.ExpiredObjectDeleteMarker: AWS only',
      '$.Rules[].NoncurrentVersionExpiration: AWS only',
    ],
    sandbox: async (env) => {
      const bucket = Object.values(s3State(env.sandbox, env.sandbox.account()).buckets).find((b) => b.lifecycle)!;
      return env.clients.get(S3Client, 'us-east-1').send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket.name }));
    },
    real: async () => [
      fromPlacebo(JSON.parse(fixture('s3/GetBucketLifecycleConfiguration-two-rules-glacier-transition.json')).data),
      fromPlacebo(JSON.parse(fixture('s3/GetBucketLifecycleConfiguration-noncurrent-expiration-abort-mpu.json')).data),
    ],
  },
  {
    operation: 's3:GetBucketTagging',
    oneSided: [],
    sandbox: async (env) => {
      const bucket = Object.values(s3State(env.sandbox, env.sandbox.account()).buckets).find((b) => Object.keys(b.tags ?? {}).length)!;
      return env.clients.get(S3Client, 'us-east-1').send(new GetBucketTaggingCommand({ Bucket: bucket.name }));
    },
    real: async () => [fromPlacebo(JSON.parse(fixture('wire/samples/s3/GetBucketTagging.json')).data)],
  },
  {
    operation: 's3:GetBucketVersioning',
    oneSided: [],
    sandbox: async (env) => {
      const bucket = Object.values(s3State(env.sandbox, env.sandbox.account()).buckets).find((b) => b.versioning)!;
      return env.clients.get(S3Client, 'us-east-1').send(new GetBucketVersioningCommand({ Bucket: bucket.name }));
    },
    real: async () => [fromPlacebo(JSON.parse(fixture('wire/samples/s3/GetBucketVersioning-enabled.json')).data)],
  },
  {
    operation: 'autoscaling:DescribeAutoScalingGroups',
    oneSided: [
      '$.AutoScalingGroups[].Instances[].InstanceType: sandbox only',
      '$.AutoScalingGroups[].Instances[].LaunchTemplate: sandbox only',
      '$.AutoScalingGroups[].LaunchTemplate: sandbox only',
      '$.AutoScalingGroups[].TrafficSources: sandbox only',
      '$.NextToken: sandbox only',
    ],
    sandbox: (env) => env.clients.get(AutoScalingClient, 'us-east-1').send(new DescribeAutoScalingGroupsCommand({})),
    real: async () => [fromPlacebo(JSON.parse(fixture('wire/samples/auto-scaling/DescribeAutoScalingGroups-enabled-metrics.json')).data)],
  },
  {
    operation: 'autoscaling:DescribePolicies',
    oneSided: [
      '$.NextToken: sandbox only',
      '$.ScalingPolicies[].Cooldown: AWS only',
      '$.ScalingPolicies[].EstimatedInstanceWarmup: sandbox only',
      '$.ScalingPolicies[].MetricAggregationType: sandbox only',
      '$.ScalingPolicies[].MinAdjustmentStep: AWS only',
      '$.ScalingPolicies[].ScalingAdjustment: AWS only',
    ],
    sandbox: (env) => env.clients.get(AutoScalingClient, 'us-east-1').send(new DescribePoliciesCommand({})),
    real: async () => [
      fromPlacebo(JSON.parse(fixture('auto-scaling/DescribePolicies-target-tracking.json')).data),
      fromPlacebo(JSON.parse(fixture('auto-scaling/DescribePolicies-simple-scaling.botocore-example.json'))),
    ],
  },
  {
    operation: 'autoscaling:DescribeScalingActivities',
    oneSided: [],
    sandbox: async (env) => {
      const groups = await env.clients.get(AutoScalingClient, 'us-east-1').send(new DescribeAutoScalingGroupsCommand({}));
      return env.clients.get(AutoScalingClient, 'us-east-1').send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: groups.AutoScalingGroups![0].AutoScalingGroupName }));
    },
    // AWS CLI output: timestamps are ISO strings there.
    real: async () => [fromPlacebo(JSON.parse(fixture('wire/samples/auto-scaling/DescribeScalingActivities-successful.awscli-example.json')), true)],
  },
  {
    operation: 'cloudwatch:GetMetricData',
    oneSided: [],
    sandbox: async (env) => {
      const groups = await env.clients.get(AutoScalingClient, 'us-east-1').send(new DescribeAutoScalingGroupsCommand({}));
      const now = env.sandbox.now();
      return env.clients.get(CloudWatchClient, 'us-east-1').send(
        new GetMetricDataCommand({
          StartTime: new Date(now.getTime() - 3 * 86_400_000),
          EndTime: now,
          MetricDataQueries: [
            { Id: 'cpu', MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: groups.AutoScalingGroups![0].AutoScalingGroupName }] }, Period: 86_400, Stat: 'Average' } },
          ],
        }),
      );
    },
    real: async () => [fromPlacebo(JSON.parse(fixture('wire/samples/cloudwatch/GetMetricData.json')).data)],
  },
  {
    operation: 'cloudwatch:DescribeAlarms',
    oneSided: [
      '$.MetricAlarms[].ActionsEnabled: AWS only',
      '$.MetricAlarms[].AlarmActions: AWS only',
      '$.MetricAlarms[].Dimensions: AWS only',
      '$.MetricAlarms[].InsufficientDataActions: AWS only',
      '$.MetricAlarms[].OKActions: AWS only',
      '$.MetricAlarms[].StateReason: AWS only',
      '$.MetricAlarms[].StateReasonData: AWS only',
      '$.MetricAlarms[].StateTransitionedTimestamp: AWS only',
      '$.MetricAlarms[].StateUpdatedTimestamp: AWS only',
    ],
    sandbox: async (env) => {
      await env.clients.withWrites(true).get(CloudWatchClient, 'us-east-1').send(
        new (await import('@aws-sdk/client-cloudwatch')).PutMetricAlarmCommand({
          AlarmName: 'contract-alarm',
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
          Threshold: 10,
          Period: 300,
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          Statistic: 'Average',
        }),
      );
      return env.clients.get(CloudWatchClient, 'us-east-1').send(new DescribeAlarmsCommand({}));
    },
    real: async () => [fromPlacebo(JSON.parse(fixture('wire/samples/cloudwatch/DescribeAlarms-metric-alarm.json')).data)],
  },
  {
    operation: 'lambda:ListFunctions',
    oneSided: [
      '$.Functions[].Architectures: sandbox only',
      '$.Functions[].EphemeralStorage: sandbox only',
      '$.Functions[].LoggingConfig: sandbox only',
      '$.Functions[].PackageType: sandbox only',
      '$.Functions[].VpcConfig: AWS only',
      '$.NextMarker: sandbox only',
    ],
    sandbox: (env) => env.clients.get(LambdaClient, 'us-east-1').send(new ListFunctionsCommand({})),
    real: async () => [await replaying(LambdaClient, fixture('wire/lambda/ListFunctions-cli-doc.json'), 200, 'application/json').send(new ListFunctionsCommand({}))],
  },
  {
    operation: 'lambda:GetFunctionConfiguration',
    oneSided: [
      '$.Architectures: sandbox only',
      '$.Environment: AWS only',
      '$.EphemeralStorage: sandbox only',
      '$.KMSKeyArn: AWS only',
      '$.LoggingConfig: sandbox only',
      '$.PackageType: sandbox only',
    ],
    sandbox: (env) => env.clients.get(LambdaClient, 'us-east-1').send(new GetFunctionConfigurationCommand({ FunctionName: 'orders-api' })),
    real: async () => [await replaying(LambdaClient, fixture('wire/lambda/GetFunctionConfiguration-sdk-example.json'), 200, 'application/json').send(new GetFunctionConfigurationCommand({ FunctionName: 'f' }))],
  },
  {
    operation: 'logs:DescribeLogGroups',
    oneSided: [
      '$.logGroups[].logGroupArn: sandbox only',
      '$.logGroups[].logGroupClass: sandbox only',
      '$.nextToken: sandbox only',
    ],
    sandbox: (env) => env.clients.get(CloudWatchLogsClient, 'us-east-1').send(new DescribeLogGroupsCommand({})),
    real: async () => [fromPlacebo(JSON.parse(fixture('cloudwatch-logs/DescribeLogGroups.json')).data)],
  },
];

describe('sandbox answers have the shapes of real AWS answers', () => {
  for (const contract of contracts) {
    it(`${contract.operation}: every member the sandbox and AWS both show has the same type and nesting, and only the listed members are one-sided`, async () => {
      // Prepare
      const env = testEnv('small-company');
      const realShape = (await contract.real()).map(shapeOf).reduce(merge);
      // Act
      const sandboxShape = shapeOf(await contract.sandbox(env));
      // Assess
      expect(shared(sandboxShape, realShape)).toBeGreaterThan(0);
      expect(disagreements(sandboxShape, realShape)).toEqual([]);
      expect(oneSided(sandboxShape, realShape)).toEqual(contract.oneSided);
    });
  }
});
