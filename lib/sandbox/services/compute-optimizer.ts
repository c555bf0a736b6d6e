/**
 * Sandbox AWS Compute Optimizer (awsJson1_0 on the wire, like AWS). Recommendations are
 * derived at call time from the sandbox's own resources and CloudWatch series, with simple
 * published-style rules (not Compute Optimizer's model):
 * - EC2 instance (AWS/EC2 CPUUtilization by InstanceId, hourly, 14 days): p95 < 40 % →
 *   Overprovisioned, one size down in the family; p95 > 90 % → Underprovisioned, one size up;
 *   else Optimized (the current type).
 * - Auto Scaling group (CPU by AutoScalingGroupName): an instance type, as Compute Optimizer
 *   recommends for groups (AutoScalingGroupConfiguration.instanceType; the option's sizes are the
 *   group's own): p95 ≥ 70 % → Underprovisioned, one size up; p95 < 30 % → Overprovisioned, one
 *   size down; else Optimized.
 * - EBS volume (VolumeReadOps + VolumeWriteOps over active seconds): IOPS only. Hourly peak
 *   ≥ 90 % of what is provisioned → NotOptimized at peak × 1.5; ≤ 30 % → NotOptimized at the
 *   peak × 1.3 (never below the type's minimum); else Optimized. It does not judge throughput,
 *   so it disagrees with trimtab about a throughput-bound volume (a seeded disagreement).
 * - Lambda: no sandbox functions carry the data Compute Optimizer needs: no recommendation.
 * Fewer than 30 hourly datapoints in 14 days: no recommendation (Compute Optimizer's minimum).
 * An account that is not opted in (the default: enrollment is per account) gets
 * OptInRequiredException from every Get*Recommendations. Answers page with nextToken.
 *
 * Two forms, as AWS: with ARNs, recommendations for those resources; without (or with an empty
 * list), every recommendation of the account in the region, in the sandbox's resource order.
 * `maxResults` is 0 to 1,000 (botocore compute-optimizer 2019-11-01, shape MaxResults): outside
 * that, InvalidParameterValueException (400); 0 gives the default page (100; belief: AWS documents
 * neither the default nor what 0 does).
 *
 * Savings (EC2, Auto Scaling groups, EBS): each option carries `savingsOpportunity` (public
 * pricing: the embedded us-east-1 list prices, lib/savings/prices.ts, × 730 hours) and, when the
 * account's savings estimation mode is AfterDiscounts (PutRecommendationPreferences
 * savingsEstimationMode, or setSavingsEstimationMode), `savingsOpportunityAfterDiscounts` at the
 * account's discount share off list (a stand-in for its Savings Plans and Reserved Instances), with
 * `effectiveRecommendationPreferences.savingsEstimationMode.source` CostOptimizationHub; otherwise
 * the after-discounts figure repeats the public-pricing one and the source is PublicPricing.
 */
import { awsError, paginate, type AccountState, type OperationEnv, type Sandbox, type SandboxService } from '../sandbox.ts';
import { autoscalingState, groupArn } from './autoscaling.ts';
import { cloudwatchState, seriesValue, type StoredMetric } from './cloudwatch.ts';
import { ec2State } from './ec2.ts';
import { ec2InstancesState } from './ec2-instances.ts';
import { DEFAULT_PRICES } from '../../savings/prices.ts';

const HOUR_MS = 3_600_000;
const WINDOW_HOURS = 14 * 24;
const MIN_DATAPOINTS = 30;
const SIZES = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];

export interface ComputeOptimizerState {
  status: 'Active' | 'Inactive' | 'Pending' | 'Failed';
  /** The account's savings estimation mode preference (PutRecommendationPreferences); BeforeDiscounts by default. */
  savingsEstimationMode?: 'AfterDiscounts' | 'BeforeDiscounts';
  /** The share off list price the account's Savings Plans and Reserved Instances give (sandbox stand-in). */
  discountShare?: number;
}

export const computeOptimizerState = (sandbox: Sandbox, account: AccountState) =>
  sandbox.global<ComputeOptimizerState>(account, 'computeoptimizer', () => ({ status: 'Inactive' }));

/** Turn an account's savings estimation mode on (AfterDiscounts, with the share its discounts take off list) or off: the seed and the tests. */
export function setSavingsEstimationMode(sandbox: Sandbox, accountId: string, mode: 'AfterDiscounts' | 'BeforeDiscounts', discountShare = 0.3) {
  Object.assign(computeOptimizerState(sandbox, sandbox.account(accountId)), { savingsEstimationMode: mode, discountShare });
}

const HOURS_PER_MONTH = 730;
const cents = (x: number) => Math.round(x * 100) / 100;

/** An option's savings fields and the resource's effective preference, as Compute Optimizer states them. */
function savings(env: OperationEnv, listMonthly: number | undefined) {
  const state = computeOptimizerState(env.sandbox, env.account);
  const after = state.savingsEstimationMode === 'AfterDiscounts';
  const preference = { effectiveRecommendationPreferences: { savingsEstimationMode: { source: after ? 'CostOptimizationHub' : 'PublicPricing' } } };
  if (listMonthly === undefined) return { option: {}, preference };
  const afterMonthly = after ? listMonthly * (1 - (state.discountShare ?? 0)) : listMonthly;
  return {
    option: {
      savingsOpportunity: { estimatedMonthlySavings: { currency: 'USD', value: cents(listMonthly) } },
      savingsOpportunityAfterDiscounts: { estimatedMonthlySavings: { currency: 'USD', value: cents(afterMonthly) } },
    },
    preference,
  };
}

const ec2Hourly = (type: string | undefined) => (type ? (DEFAULT_PRICES.ec2OnDemandHourly as Record<string, number>)[type] : undefined);
const typeSaving = (from: string | undefined, to: string | undefined, count = 1) => {
  const a = ec2Hourly(from);
  const b = ec2Hourly(to);
  return a === undefined || b === undefined ? undefined : (a - b) * HOURS_PER_MONTH * count;
};
/** io1/io2/gp3 provisioned IOPS saving of a change from one baseline to another (gp3: above the included 3,000). */
const iopsSaving = (volumeType: string, from: number, to: number) => {
  const rate = volumeType === 'gp3' ? DEFAULT_PRICES.ebsGp3IopsMonth : volumeType === 'io1' ? DEFAULT_PRICES.ebsIo1IopsMonth : volumeType === 'io2' ? DEFAULT_PRICES.ebsIo2IopsMonth : undefined;
  if (rate === undefined) return undefined;
  const billed = (x: number) => (volumeType === 'gp3' ? Math.max(0, x - 3000) : x);
  return (billed(from) - billed(to)) * rate;
};

/** Opt an account in (or out): the seed and the tests. */
export function setComputeOptimizerEnrollment(sandbox: Sandbox, accountId: string, status: ComputeOptimizerState['status']) {
  computeOptimizerState(sandbox, sandbox.account(accountId)).status = status;
}

function requireOptIn(env: OperationEnv) {
  if (computeOptimizerState(env.sandbox, env.account).status !== 'Active') {
    throw awsError('OptInRequiredException', 'The account is not opted in to AWS Compute Optimizer. Opt in with UpdateEnrollmentStatus or the console.', 403);
  }
}

/** Hourly values of a stored metric over the last 14 days (hour starts). */
function hourly(env: OperationEnv, namespace: string, metricName: string, dimension: [string, string]): number[] {
  const metric = cloudwatchState(env.sandbox, env.account, env.region).metrics.find(
    (m: StoredMetric) => m.namespace === namespace && m.metricName === metricName && m.dimensions[dimension[0]] === dimension[1] && Object.keys(m.dimensions).length === 1,
  );
  if (!metric) return [];
  const end = Math.floor(env.now.getTime() / HOUR_MS) * HOUR_MS;
  const out: number[] = [];
  for (let t = end - WINDOW_HOURS * HOUR_MS; t < end; t += HOUR_MS) {
    const v = seriesValue(metric.series, t, env.now.getTime());
    if (v !== undefined) out.push(v);
  }
  return out;
}

const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.95 * values.length) - 1)];

function resize(type: string | undefined, step: 1 | -1): string | undefined {
  const [family, size] = (type ?? '').split('.');
  const i = SIZES.indexOf(size);
  return i < 0 || !SIZES[i + step] ? undefined : `${family}.${SIZES[i + step]}`;
}

/** The largest page (maxResults 0 to 1,000: botocore compute-optimizer 2019-11-01, shape MaxResults). */
export const CO_MAX_RESULTS = 1000;
const CO_DEFAULT_RESULTS = 100;

function page<T>(items: T[], input: any, operation: string) {
  const max = input.maxResults;
  if (max !== undefined && max !== null && (!Number.isInteger(max) || max < 0 || max > CO_MAX_RESULTS)) {
    throw awsError('InvalidParameterValueException', `${operation}: maxResults ${String(max)} is out of range (0 to ${CO_MAX_RESULTS}).`, 400);
  }
  return paginate(items, { token: input.nextToken, max: max || CO_DEFAULT_RESULTS }, { defaultMax: CO_DEFAULT_RESULTS, maxMax: CO_MAX_RESULTS, operation, invalidTokenCode: 'InvalidParameterValueException' });
}

/**
 * The ARNs asked for, or (none given) every resource of the type in the account and region. An
 * asked ARN of another account or region, or of another partition, is answered with nothing (the
 * sandbox never looks a resource up by its id alone: the same id elsewhere is another resource).
 */
const asked = (arns: unknown, all: () => string[], env: OperationEnv): string[] =>
  Array.isArray(arns) && arns.length
    ? (arns as string[]).filter((a) => {
        const [prefix, partition, , region, account] = String(a).split(':');
        return prefix === 'arn' && partition === 'aws' && region === env.region && account === env.account.id;
      })
    : all();

const lastRefresh = (env: OperationEnv) => new Date(Math.floor(env.now.getTime() / 86_400_000) * 86_400_000);

export const computeOptimizerService: SandboxService = {
  id: 'computeoptimizer',
  operations: {
    GetEnrollmentStatus(_input, env) {
      return { status: computeOptimizerState(env.sandbox, env.account).status, memberAccountsEnrolled: false };
    },

    PutRecommendationPreferences(input, env) {
      const types = ['Ec2Instance', 'AutoScalingGroup', 'EbsVolume', 'LambdaFunction', 'NotApplicable', 'EcsService', 'License', 'RdsDBInstance', 'AuroraDBClusterStorage', 'Idle'];
      if (!types.includes(input.resourceType)) {
        throw awsError('InvalidParameterValueException', `Invalid resourceType: ${String(input.resourceType)}.`, 400);
      }
      const mode = input.savingsEstimationMode;
      if (mode !== undefined && mode !== 'AfterDiscounts' && mode !== 'BeforeDiscounts') {
        throw awsError('InvalidParameterValueException', `Invalid savingsEstimationMode: ${String(mode)}. Valid values: AfterDiscounts, BeforeDiscounts.`, 400);
      }
      requireOptIn(env);
      // One account-wide mode in the sandbox (AWS keeps it per resource type and scope).
      if (mode) computeOptimizerState(env.sandbox, env.account).savingsEstimationMode = mode;
      return {};
    },

    GetEC2InstanceRecommendations(input, env) {
      requireOptIn(env);
      const instances = ec2InstancesState(env.sandbox, env.account, env.region).instances;
      const recs = asked(input.instanceArns, () => Object.keys(instances).map((id) => `arn:aws:ec2:${env.region}:${env.account.id}:instance/${id}`), env).flatMap((arn) => {
        const instance = instances[arn.split('/').pop() ?? ''];
        if (!instance) return [];
        const cpu = hourly(env, 'AWS/EC2', 'CPUUtilization', ['InstanceId', instance.id]);
        if (cpu.length < MIN_DATAPOINTS) return [];
        const high = p95(cpu);
        const [finding, type] = high < 40 ? ['Overprovisioned', resize(instance.instanceType, -1)] : high > 90 ? ['Underprovisioned', resize(instance.instanceType, 1)] : ['Optimized', instance.instanceType];
        const money = savings(env, typeSaving(instance.instanceType, type ?? instance.instanceType));
        return [{
          ...money.preference,
          instanceArn: arn,
          accountId: env.account.id,
          currentInstanceType: instance.instanceType,
          finding: type ? finding : 'Optimized',
          utilizationMetrics: [{ name: 'Cpu', statistic: 'Maximum', value: Math.round(Math.max(...cpu) * 10) / 10 }],
          lookBackPeriodInDays: 14,
          recommendationOptions: [{ instanceType: type ?? instance.instanceType, rank: 1, ...money.option }],
          lastRefreshTimestamp: lastRefresh(env),
        }];
      });
      const { page: items, nextToken } = page(recs, input, 'GetEC2InstanceRecommendations');
      return { instanceRecommendations: items, nextToken, errors: [] };
    },

    GetAutoScalingGroupRecommendations(input, env) {
      requireOptIn(env);
      const groups = autoscalingState(env.sandbox, env.account, env.region).groups;
      const recs = asked(input.autoScalingGroupArns, () => Object.values(groups).map((g) => groupArn(env.account.id, env.region, g.name)), env).flatMap((arn) => {
        const group = groups[arn.split('autoScalingGroupName/').pop() ?? ''];
        if (!group) return [];
        const cpu = hourly(env, 'AWS/EC2', 'CPUUtilization', ['AutoScalingGroupName', group.name]);
        if (cpu.length < MIN_DATAPOINTS) return [];
        const high = p95(cpu);
        const current = { desiredCapacity: group.desiredCapacity, minSize: group.minSize, maxSize: group.maxSize, ...(group.instanceType ? { instanceType: group.instanceType } : {}) };
        // Compute Optimizer recommends the group's instance type; the sizes in an option are the group's own.
        const smaller = resize(group.instanceType, -1);
        const larger = resize(group.instanceType, 1);
        const [finding, configuration] =
          high >= 70 && larger ? ['Underprovisioned', { ...current, instanceType: larger }] : high < 30 && smaller ? ['Overprovisioned', { ...current, instanceType: smaller }] : ['Optimized', current];
        const money = savings(env, typeSaving(group.instanceType, configuration.instanceType, group.desiredCapacity));
        return [{ accountId: env.account.id, autoScalingGroupArn: arn, autoScalingGroupName: group.name, finding, currentConfiguration: current, recommendationOptions: [{ configuration, rank: 1, ...money.option }], lookBackPeriodInDays: 14, lastRefreshTimestamp: lastRefresh(env), ...money.preference }];
      });
      const { page: items, nextToken } = page(recs, input, 'GetAutoScalingGroupRecommendations');
      return { autoScalingGroupRecommendations: items, nextToken, errors: [] };
    },

    GetEBSVolumeRecommendations(input, env) {
      requireOptIn(env);
      const volumes = ec2State(env.sandbox, env.account, env.region).volumes;
      const recs = asked(input.volumeArns, () => Object.keys(volumes).map((id) => `arn:aws:ec2:${env.region}:${env.account.id}:volume/${id}`), env).flatMap((arn) => {
        const v = volumes[arn.split('/').pop() ?? ''];
        if (!v || v.iops === undefined) return [];
        const reads = hourly(env, 'AWS/EBS', 'VolumeReadOps', ['VolumeId', v.id]);
        const writes = hourly(env, 'AWS/EBS', 'VolumeWriteOps', ['VolumeId', v.id]);
        const idle = hourly(env, 'AWS/EBS', 'VolumeIdleTime', ['VolumeId', v.id]);
        if (reads.length < MIN_DATAPOINTS) return [];
        const peak = Math.max(...reads.map((r, h) => (r + (writes[h] ?? 0)) / Math.max(1, 3600 - (idle[h] ?? 0))));
        const floor = v.volumeType === 'gp3' ? 3000 : 100;
        const current = { volumeType: v.volumeType, volumeSize: v.sizeGb, volumeBaselineIOPS: v.iops, ...(v.throughput !== undefined ? { volumeBaselineThroughput: v.throughput } : {}) };
        const round100 = (x: number) => Math.ceil(x / 100) * 100;
        const iops = peak >= 0.9 * v.iops ? round100(peak * 1.5) : peak <= 0.3 * v.iops ? Math.max(floor, round100(peak * 1.3)) : v.iops;
        const money = savings(env, iopsSaving(v.volumeType, v.iops, iops));
        return [{
          ...money.preference,
          volumeArn: arn,
          accountId: env.account.id,
          currentConfiguration: current,
          finding: iops === v.iops ? 'Optimized' : 'NotOptimized',
          lookBackPeriodInDays: 14,
          volumeRecommendationOptions: [{ configuration: { ...current, volumeBaselineIOPS: iops }, rank: 1, ...money.option }],
          lastRefreshTimestamp: lastRefresh(env),
        }];
      });
      const { page: items, nextToken } = page(recs, input, 'GetEBSVolumeRecommendations');
      return { volumeRecommendations: items, nextToken, errors: [] };
    },

    GetLambdaFunctionRecommendations(input, env) {
      requireOptIn(env);
      const { page: items, nextToken } = page([], input, 'GetLambdaFunctionRecommendations');
      return { lambdaFunctionRecommendations: items, nextToken };
    },
  },
};
