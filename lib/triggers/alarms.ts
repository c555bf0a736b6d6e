/**
 * The alarm reconciler: for each policy with `alarm: { prefix, create }`, keep one CloudWatch
 * alarm per in-scope resource, named prefix + resource id. It creates missing alarms, updates
 * drifted ones and deletes alarms whose resource is gone or out of scope — only alarms under
 * the policy's prefix that trimtab marked as its own (AlarmDescription), never anyone else's.
 *
 * Why a reconciler and not CloudFormation resources: "each in-scope group" is only known by
 * listing the account, and groups come and go between deploys. `osls package` runs offline
 * without credentials, so the template cannot know them; a reconciler on a schedule (and
 * after every deploy) follows the account. See docs/triggers.md.
 */
import { CloudWatchClient, DeleteAlarmsCommand, PutMetricAlarmCommand, paginateDescribeAlarms, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { EngineDeps } from '../engine/run.ts';
import { regionContext } from '../engine/run.ts';
import { inScope, protectionOf } from '../engine/scope.ts';
import type { Policy } from '../policy/load.ts';
import { resourceTypes } from '../resources/registry.ts';
import { alarmCreateSchema, type AlarmCreate } from './alarm-spec.ts';

/** Where a resource type's alarms look by default: the metric namespace and the id's dimension. */
export const ALARM_METRIC_DEFAULTS: Record<string, { namespace: string; dimension: string }> = {
  asg: { namespace: 'AWS/EC2', dimension: 'AutoScalingGroupName' },
  's3-bucket': { namespace: 'AWS/S3', dimension: 'BucketName' },
  // Dimension names per each service's CloudWatch metrics docs (EC2/Lambda/RDS/DynamoDB user guides).
  'ec2-instance': { namespace: 'AWS/EC2', dimension: 'InstanceId' },
  'lambda-function': { namespace: 'AWS/Lambda', dimension: 'FunctionName' },
  'rds-instance': { namespace: 'AWS/RDS', dimension: 'DBInstanceIdentifier' },
  'dynamodb-table': { namespace: 'AWS/DynamoDB', dimension: 'TableName' },
};

/** Marks alarms trimtab owns; the reconciler deletes no alarm without it. */
export const MANAGED_MARKER = 'Managed by trimtab';
/** DeleteAlarms takes at most 100 names a call. */
const DELETE_BATCH = 100;

export interface ManagedAlarmSpec {
  policy: Policy;
  prefix: string;
  create: AlarmCreate;
}

export function managedAlarmSpecs(policies: Policy[]): ManagedAlarmSpec[] {
  return policies.flatMap((policy) =>
    policy.triggers.flatMap((t) =>
      'alarm' in t && typeof t.alarm === 'object' && t.alarm.create ? [{ policy, prefix: t.alarm.prefix, create: alarmCreateSchema.parse(t.alarm.create) }] : [],
    ),
  );
}

/** The PutMetricAlarm input for one resource. */
export function desiredAlarm(spec: ManagedAlarmSpec, resourceId: string) {
  const defaults = ALARM_METRIC_DEFAULTS[spec.policy.resource];
  const namespace = spec.create.namespace ?? defaults?.namespace;
  const dimension = spec.create.dimension ?? defaults?.dimension;
  if (!namespace || !dimension) {
    throw new Error(`policy '${spec.policy.id}': alarm.create needs 'namespace' and 'dimension' for ${spec.policy.resource} (no defaults for it)`);
  }
  const c = spec.create;
  return {
    AlarmName: `${spec.prefix}${resourceId}`,
    AlarmDescription: `${MANAGED_MARKER} (policy ${spec.policy.id}): ${c.metric} ${c.comparison} ${c.threshold} for ${resourceId}.`,
    Namespace: namespace,
    MetricName: c.metric,
    Dimensions: [{ Name: dimension, Value: resourceId }, ...Object.entries(c.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value }))],
    Statistic: c.statistic,
    Period: c.periodSeconds,
    EvaluationPeriods: c.evaluationPeriods,
    DatapointsToAlarm: c.datapointsToAlarm ?? c.evaluationPeriods,
    Threshold: c.threshold,
    ComparisonOperator: c.comparison,
    TreatMissingData: c.treatMissingData,
    // No alarm actions: the EventBridge rule on "CloudWatch Alarm State Change" is the action.
    ActionsEnabled: true,
    Tags: [
      { Key: 'trimtab:policy', Value: spec.policy.id },
      { Key: 'trimtab:managed', Value: 'true' },
    ],
  };
}

type Desired = ReturnType<typeof desiredAlarm>;

const drifted = (want: Desired, have: MetricAlarm) =>
  want.AlarmDescription !== have.AlarmDescription ||
  want.Namespace !== have.Namespace ||
  want.MetricName !== have.MetricName ||
  want.Statistic !== have.Statistic ||
  want.Period !== have.Period ||
  want.EvaluationPeriods !== have.EvaluationPeriods ||
  want.DatapointsToAlarm !== have.DatapointsToAlarm ||
  want.Threshold !== have.Threshold ||
  want.ComparisonOperator !== have.ComparisonOperator ||
  want.TreatMissingData !== have.TreatMissingData ||
  JSON.stringify(want.Dimensions) !== JSON.stringify((have.Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })));

export interface ReconcileReport {
  policy: string;
  region: string;
  prefix: string;
  inScope: number;
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: number;
}

/** Bring the managed alarms in line with the account. `dryRun`: report only. */
export async function reconcileAlarms(policies: Policy[], deps: Pick<EngineDeps, 'account' | 'clients' | 'defaultRegions' | 'now' | 'log'>, options: { dryRun?: boolean } = {}): Promise<ReconcileReport[]> {
  const reports: ReconcileReport[] = [];
  const now = deps.now?.() ?? new Date();
  for (const spec of managedAlarmSpecs(policies)) {
    const resourceType = resourceTypes.get(spec.policy.resource);
    for (const region of spec.policy.scope.regions ?? deps.defaultRegions) {
      const ctx = regionContext(deps as EngineDeps, region, deps.clients.withWrites(false), now);
      const prepared = await resourceType.prepare?.(ctx, new Set());
      const desired = new Map<string, Desired>();
      for await (const page of resourceType.list(ctx, prepared)) {
        // Tags come from enrich; no detector data is needed.
        const enriched = resourceType.enrich ? await resourceType.enrich(ctx, page, prepared, new Set()) : page;
        for (const item of enriched) {
          const ref = resourceType.ref(item, ctx);
          if (ref.region !== region || !inScope(spec.policy.scope, ref) || protectionOf(ref)) continue;
          const alarm = desiredAlarm(spec, ref.id);
          desired.set(alarm.AlarmName, alarm);
        }
      }
      const cloudwatch = deps.clients.withWrites(!options.dryRun).get(CloudWatchClient, region);
      const existing = new Map<string, MetricAlarm>();
      for await (const page of paginateDescribeAlarms({ client: cloudwatch, pageSize: 100 }, { AlarmNamePrefix: spec.prefix, AlarmTypes: ['MetricAlarm'] })) {
        for (const alarm of page.MetricAlarms ?? []) if (alarm.AlarmName) existing.set(alarm.AlarmName, alarm);
      }
      const report: ReconcileReport = { policy: spec.policy.id, region, prefix: spec.prefix, inScope: desired.size, created: [], updated: [], deleted: [], unchanged: 0 };
      for (const [name, want] of desired) {
        const have = existing.get(name);
        if (have && !drifted(want, have)) {
          report.unchanged += 1;
          continue;
        }
        (have ? report.updated : report.created).push(name);
        if (!options.dryRun) await cloudwatch.send(new PutMetricAlarmCommand(want));
      }
      const stale = [...existing.values()].filter((a) => !desired.has(a.AlarmName!) && a.AlarmDescription?.startsWith(`${MANAGED_MARKER} (policy ${spec.policy.id})`)).map((a) => a.AlarmName!);
      report.deleted.push(...stale);
      if (!options.dryRun) {
        for (let i = 0; i < stale.length; i += DELETE_BATCH) await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: stale.slice(i, i + DELETE_BATCH) }));
      }
      deps.log?.('alarms reconciled', { ...report, created: report.created.length, updated: report.updated.length, deleted: report.deleted.length });
      reports.push(report);
    }
  }
  return reports;
}
