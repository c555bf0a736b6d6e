/**
 * Which resources an event is about. One small resolver per event source and detail-type,
 * in a registry: a resource module adds its own entry (or a dimension name for alarms)
 * without touching the handlers.
 *
 * Each resolver parses the event's `detail` with its zod schema inside the EventBridge
 * envelope: a detail that does not fit is malformed (InvalidEventError); a well-formed event
 * that names nothing trimtab handles is "unrelated" (a reason, no error).
 *
 * The envelope schema is trimtab's own, not the Powertools parser's: its EventBridge envelope
 * imports every Powertools schema, each with a named `{ z }` import, and that keeps all of zod
 * (445 KiB minified with its locales) in the event and alarm functions (docs/performance.md).
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { InvalidEventError } from '../util/errors.ts';

/**
 * The EventBridge event envelope, as AWS documents it ("Amazon EventBridge events" in the
 * EventBridge user guide: version, id, detail-type, source, account, time, region, resources,
 * detail) and with the same rules as the Powertools schema it replaces (time is ISO 8601,
 * `replay-name` is set on replayed events). Unknown top-level fields are dropped.
 */
export const EventBridgeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});

export type EventBridgeEnvelopeData = z.infer<typeof EventBridgeSchema>;

type ParsedDetail<D> = { success: true; data: D } | { success: false; error: z.ZodError };

/** The event's `detail` parsed with `schema` inside the envelope: issue paths start at `detail`. */
export function parseDetail<D>(event: unknown, schema: z.ZodType<D>): ParsedDetail<D> {
  const parsed = EventBridgeSchema.extend({ detail: schema }).safeParse(event);
  return parsed.success ? { success: true, data: parsed.data.detail as D } : { success: false, error: parsed.error };
}

/** The resources of one type an event names, in one region. */
export interface Target {
  resourceType: string;
  region: string;
  ids: string[];
}

export type Resolution = { kind: 'targets'; targets: Target[] } | { kind: 'unrelated'; reason: string };

export interface EventResolver<D = any> {
  source: string;
  detailType: string;
  title: string;
  detail: z.ZodType<D>;
  resolve(detail: D, envelope: EventBridgeEnvelopeData): Resolution;
}

const resolvers = new Map<string, EventResolver>();
const keyOf = (source: string, detailType: string) => `${source} / ${detailType}`;

export function registerResolver<D>(resolver: EventResolver<D>): EventResolver<D> {
  const key = keyOf(resolver.source, resolver.detailType);
  if (resolvers.has(key)) throw new Error(`an event resolver for '${key}' is registered twice`);
  resolvers.set(key, resolver);
  return resolver;
}

export const resolverKeys = () => [...resolvers.keys()].sort();

type Issue = { path: PropertyKey[]; message: string };
/** The zod issues of a ZodError (or of an error whose cause is one), as `path: message; …`. */
export function issuesOf(error: unknown, prefix = ''): string {
  const cause = (error as { cause?: unknown })?.cause;
  const list: Issue[] | undefined = Array.isArray(cause) ? cause : ((cause as { issues?: Issue[] })?.issues ?? (error as { issues?: Issue[] })?.issues);
  return list?.length ? list.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)'}: ${i.message}`).join('; ') : String((error as Error)?.message ?? error);
}

/** The EventBridge envelope, or InvalidEventError naming what is wrong. */
export function parseEnvelope(event: unknown): EventBridgeEnvelopeData {
  const parsed = EventBridgeSchema.safeParse(event);
  if (!parsed.success) throw new InvalidEventError(`Not an EventBridge event: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

/** The targets of an event, "unrelated" with a reason, or InvalidEventError for a malformed detail. */
export function resolveEvent(event: unknown, envelope = parseEnvelope(event)): Resolution {
  const resolver = resolvers.get(keyOf(envelope.source, envelope['detail-type']));
  if (!resolver) {
    return { kind: 'unrelated', reason: `no resolver for '${keyOf(envelope.source, envelope['detail-type'])}'; trimtab resolves: ${resolverKeys().join('; ')}` };
  }
  const detail = parseDetail(event, resolver.detail);
  if (!detail.success) throw new InvalidEventError(`Malformed '${envelope['detail-type']}' event ${envelope.id}: ${issuesOf(detail.error)}`);
  return resolver.resolve(detail.data, envelope);
}

// ---------------------------------------------------------------------------------------
// CloudTrail CreateBucket (via EventBridge) → s3-bucket

/** S3's legacy location constraints: `EU` is eu-west-1, none is us-east-1. */
const bucketRegion = (constraint: string | undefined, fallback: string) => (constraint === 'EU' ? 'eu-west-1' : constraint || fallback);

registerResolver({
  source: 'aws.s3',
  detailType: 'AWS API Call via CloudTrail',
  title: 'CloudTrail CreateBucket → the new bucket',
  detail: z.object({
    eventName: z.string(),
    eventSource: z.string().optional(),
    awsRegion: z.string().optional(),
    errorCode: z.string().optional(),
    requestParameters: z
      .object({
        bucketName: z.string().min(1).optional(),
        CreateBucketConfiguration: z.object({ LocationConstraint: z.string().optional() }).passthrough().optional(),
      })
      .passthrough()
      .nullable()
      .optional(),
  }),
  resolve(detail, envelope) {
    if (detail.eventName !== 'CreateBucket') return { kind: 'unrelated', reason: `CloudTrail ${detail.eventName} is not CreateBucket` };
    if (detail.errorCode) return { kind: 'unrelated', reason: `CreateBucket failed (${detail.errorCode}): no bucket was created` };
    const bucket = detail.requestParameters?.bucketName;
    if (!bucket) throw new InvalidEventError(`Malformed CreateBucket event ${envelope.id}: detail.requestParameters.bucketName is missing`);
    const region = bucketRegion(detail.requestParameters?.CreateBucketConfiguration?.LocationConstraint, detail.awsRegion ?? envelope.region);
    return { kind: 'targets', targets: [{ resourceType: 's3-bucket', region, ids: [bucket] }] };
  },
});

// ---------------------------------------------------------------------------------------
// EBS Snapshot Notification → ebs-snapshot

/** The id after `snapshot/`: the documented ARNs move the region between fields, so positions are not relied on. */
export const snapshotIdOf = (arn: string) => /(?:^|:snapshot\/|^snapshot\/)(snap-[0-9a-f]+)$/.exec(arn)?.[1];

registerResolver({
  source: 'aws.ec2',
  detailType: 'EBS Snapshot Notification',
  title: 'EBS snapshot created/copied/shared → the snapshot',
  detail: z.object({
    event: z.string(),
    result: z.string(),
    snapshot_id: z.string().optional(),
    snapshots: z.array(z.object({ snapshot_id: z.string() }).passthrough()).optional(),
  }),
  resolve(detail, envelope) {
    if (detail.result !== 'succeeded') return { kind: 'unrelated', reason: `${detail.event} ${detail.result}: no snapshot to look at` };
    const arns = [detail.snapshot_id, ...(detail.snapshots ?? []).map((s) => s.snapshot_id), ...envelope.resources].filter((a): a is string => Boolean(a));
    const ids = [...new Set(arns.map(snapshotIdOf).filter((id): id is string => Boolean(id)))];
    if (ids.length === 0) throw new InvalidEventError(`Malformed EBS Snapshot Notification ${envelope.id}: no snapshot id in detail.snapshot_id or resources`);
    return { kind: 'targets', targets: [{ resourceType: 'ebs-snapshot', region: envelope.region, ids }] };
  },
});

// ---------------------------------------------------------------------------------------
// Auto Scaling "EC2 Instance Launch Successful" → asg

registerResolver({
  source: 'aws.autoscaling',
  detailType: 'EC2 Instance Launch Successful',
  title: 'Auto Scaling group launched an instance → the group',
  detail: z.object({ AutoScalingGroupName: z.string().min(1) }).passthrough(),
  resolve(detail, envelope) {
    return { kind: 'targets', targets: [{ resourceType: 'asg', region: envelope.region, ids: [detail.AutoScalingGroupName] }] };
  },
});

// ---------------------------------------------------------------------------------------
// CloudWatch Alarm State Change → the resources named by the alarm's metric dimensions

/** Alarm metric dimension → the resource type whose id it holds. A module adds its own line. */
export const ALARM_DIMENSIONS = new Map<string, string>([
  ['AutoScalingGroupName', 'asg'],
  ['BucketName', 's3-bucket'],
  ['InstanceId', 'ec2-instance'],
  ['FunctionName', 'lambda-function'],
  ['DBInstanceIdentifier', 'rds-instance'],
  ['TableName', 'dynamodb-table'],
]);

const metricSchema = z
  .object({
    id: z.string(),
    expression: z.string().optional(),
    metricStat: z
      .object({
        metric: z.object({ namespace: z.string().optional(), name: z.string(), dimensions: z.record(z.string(), z.string()).default({}) }).passthrough(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

const stateSchema = z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), reason: z.string().optional(), timestamp: z.string() }).passthrough();

export const alarmDetailSchema = z
  .object({
    alarmName: z.string().min(1),
    state: stateSchema,
    previousState: stateSchema.partial().optional(),
    configuration: z.object({ metrics: z.array(metricSchema).default([]) }).passthrough().default({ metrics: [] }),
  })
  .passthrough();

export type AlarmDetail = z.infer<typeof alarmDetailSchema>;

/** Every dimension of every metric the alarm reads, metric math included (the expression has none). */
export function alarmDimensions(detail: AlarmDetail): Array<[string, string]> {
  return detail.configuration.metrics.flatMap((m) => Object.entries(m.metricStat?.metric.dimensions ?? {}));
}

export function alarmTargets(detail: AlarmDetail, region: string): Resolution {
  const byType = new Map<string, Set<string>>();
  const dimensions = alarmDimensions(detail);
  for (const [name, value] of dimensions) {
    const type = ALARM_DIMENSIONS.get(name);
    if (type) byType.set(type, (byType.get(type) ?? new Set()).add(value));
  }
  if (byType.size === 0) {
    const seen = [...new Set(dimensions.map(([n]) => n))];
    return {
      kind: 'unrelated',
      reason: `alarm '${detail.alarmName}' reads no dimension trimtab maps to a resource (${seen.length ? `it has ${seen.join(', ')}` : 'it has no dimensions'}; mapped: ${[...ALARM_DIMENSIONS.keys()].join(', ')})`,
    };
  }
  return { kind: 'targets', targets: [...byType].map(([resourceType, ids]) => ({ resourceType, region, ids: [...ids].sort() })) };
}

export const ALARM_SOURCE = 'aws.cloudwatch';
export const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';

registerResolver({
  source: ALARM_SOURCE,
  detailType: ALARM_DETAIL_TYPE,
  title: 'CloudWatch alarm → the resources in its metric dimensions',
  detail: alarmDetailSchema,
  resolve: (detail, envelope) => alarmTargets(detail, envelope.region),
});
