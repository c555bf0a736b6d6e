/**
 * `alarm: { prefix, create }`: an alarm trimtab keeps for every in-scope resource of the
 * policy (named prefix + resource id), reconciled by lib/triggers/alarms.ts.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles

/** PutMetricAlarm: "Valid values are 10, 20, 30, and any multiple of 60." */
export const validAlarmPeriod = (period: number) => period === 10 || period === 20 || period === 30 || (period > 0 && period % 60 === 0);

/**
 * The rules PutMetricAlarm enforces that a policy can break, as AWS words them (CloudWatch API
 * reference, PutMetricAlarm `Period` and `DatapointsToAlarm`): "Period multiplied by
 * EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of less than
 * one hour (3,600 seconds), the total evaluation period can't be longer than one day (86,400
 * seconds)"; DatapointsToAlarm ≤ EvaluationPeriods. Each problem names the key it is about.
 */
export function alarmProblems(a: { periodSeconds: number; evaluationPeriods: number; datapointsToAlarm?: number }): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  if (!validAlarmPeriod(a.periodSeconds)) {
    problems.push({ key: 'periodSeconds', message: `period ${a.periodSeconds} s is not one CloudWatch accepts: use 10, 20, 30 or a multiple of 60` });
  }
  const total = a.periodSeconds * a.evaluationPeriods;
  const cap = a.periodSeconds < 3600 ? 86_400 : 604_800;
  if (total > cap) {
    problems.push({
      key: 'evaluationPeriods',
      message:
        `periodSeconds × evaluationPeriods = ${a.periodSeconds} × ${a.evaluationPeriods} = ${total} s, over CloudWatch's limit of ${cap.toLocaleString('en-US')} s` +
        (cap === 86_400 ? ' (one day, for periods under an hour)' : ' (seven days)'),
    });
  }
  if (a.datapointsToAlarm !== undefined && a.datapointsToAlarm > a.evaluationPeriods) {
    problems.push({ key: 'datapointsToAlarm', message: `datapointsToAlarm ${a.datapointsToAlarm} must be less than or equal to evaluationPeriods (${a.evaluationPeriods})` });
  }
  return problems;
}

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
  /** 10, 20, 30 or a multiple of 60 (checked with the evaluation window below). */
  periodSeconds: z.number().int().min(10).max(604_800).default(300),
  evaluationPeriods: z.number().int().min(1).default(1),
  datapointsToAlarm: z.number().int().min(1).optional(),
  treatMissingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']).default('notBreaching'),
}).superRefine((a, ctx) => {
  // Checked when the policy loads, so an alarm AWS would refuse never reaches PutMetricAlarm.
  for (const { key, message } of alarmProblems(a)) ctx.addIssue({ code: 'custom', path: [key], message });
});

export type AlarmCreate = z.infer<typeof alarmCreateSchema>;
