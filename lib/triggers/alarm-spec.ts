/**
 * `alarm: { prefix, create }`: an alarm trimtab keeps for every in-scope resource of the
 * policy (named prefix + resource id), reconciled by lib/triggers/alarms.ts.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles

export const alarmCreateSchema = z.strictObject({
  /** Defaults per resource type (ALARM_METRIC_DEFAULTS): AWS/EC2 for asg, AWS/S3 for s3-bucket. */
  namespace: z.string().min(1).optional(),
  metric: z.string().min(1),
  /** The dimension holding the resource id; defaults per resource type (AutoScalingGroupName, BucketName). */
  dimension: z.string().min(1).optional(),
  /** Fixed extra dimensions, e.g. { StorageType: StandardStorage } for S3 sizes. */
  dimensions: z.record(z.string(), z.string()).optional(),
  statistic: z.enum(['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount']).default('Average'),
  comparison: z.enum(['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold']),
  threshold: z.number(),
  periodSeconds: z.number().int().min(10).max(86_400).default(300),
  evaluationPeriods: z.number().int().min(1).max(288).default(1),
  datapointsToAlarm: z.number().int().min(1).optional(),
  treatMissingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']).default('notBreaching'),
});

export type AlarmCreate = z.infer<typeof alarmCreateSchema>;
