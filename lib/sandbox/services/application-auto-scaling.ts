/**
 * Sandbox Application Auto Scaling (awsJson1_1, encoded on the wire by lib/sandbox/wire):
 * scalable targets and target-tracking policies, as the DynamoDB module reads and tunes them.
 *
 * Modelled after the API reference: DescribeScalableTargets pages at most 50 (MaxResults
 * 1..50, ResourceIds ≤ 50), DescribeScalingPolicies at most 10 (MaxResults 1..10), both with
 * NextToken and ServiceNamespace required; RegisterScalableTarget creates a target (Min and Max
 * required) or updates an existing one (either alone), refusing Min > Max (ValidationException);
 * PutScalingPolicy needs a registered target (ObjectNotFoundException) and, for DynamoDB, a
 * target value between 20 and 90 (ValidationException), and replaces the whole configuration.
 * Scaling itself (moving the table's capacity) is not simulated.
 */
import { awsError, paginate, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface SandboxScalableTarget {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: string;
}

export interface SandboxScalingPolicy {
  PolicyARN: string;
  PolicyName: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  PolicyType: 'TargetTrackingScaling' | 'StepScaling';
  TargetTrackingScalingPolicyConfiguration?: Record<string, unknown> & { TargetValue: number };
  Alarms: Array<{ AlarmName: string; AlarmARN: string }>;
  CreationTime: string;
}

export interface AppAutoScalingState {
  targets: SandboxScalableTarget[];
  policies: SandboxScalingPolicy[];
}

export const appAutoScalingState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<AppAutoScalingState>(account, region, 'applicationautoscaling', () => ({ targets: [], policies: [] }));

const validation = (message: string) => awsError('ValidationException', message);
const sameTarget = (a: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }, b: typeof a) =>
  a.ServiceNamespace === b.ServiceNamespace && a.ResourceId === b.ResourceId && a.ScalableDimension === b.ScalableDimension;

function requireNamespace(input: any) {
  if (!input.ServiceNamespace) throw validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null");
}

export function addScalableTarget(sandbox: Sandbox, account: AccountState, region: string, target: Omit<SandboxScalableTarget, 'RoleARN' | 'CreationTime'>, policy?: { name: string; targetValue: number; metric: string }) {
  const state = appAutoScalingState(sandbox, account, region);
  const at = sandbox.now().toISOString();
  state.targets.push({ ...target, RoleARN: `arn:aws:iam::${account.id}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable`, CreationTime: at });
  if (policy) {
    state.policies.push({
      PolicyARN: `arn:aws:autoscaling:${region}:${account.id}:scalingPolicy:${sandbox.mintId('policy')}:resource/dynamodb/${target.ResourceId}:policyName/${policy.name}`,
      PolicyName: policy.name,
      ServiceNamespace: target.ServiceNamespace,
      ResourceId: target.ResourceId,
      ScalableDimension: target.ScalableDimension,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: policy.targetValue, PredefinedMetricSpecification: { PredefinedMetricType: policy.metric }, ScaleInCooldown: 0, ScaleOutCooldown: 0, DisableScaleIn: false },
      Alarms: [],
      CreationTime: at,
    });
  }
}

export const applicationAutoScalingService: SandboxService = {
  id: 'applicationautoscaling',
  operations: {
    DescribeScalableTargets(input, { sandbox, account, region }) {
      requireNamespace(input);
      if (input.ResourceIds && input.ResourceIds.length > 50) throw validation('1 validation error detected: Value at \'resourceIds\' failed to satisfy constraint: Member must have length less than or equal to 50');
      const targets = appAutoScalingState(sandbox, account, region).targets.filter(
        (t) => t.ServiceNamespace === input.ServiceNamespace && (!input.ResourceIds?.length || input.ResourceIds.includes(t.ResourceId)) && (!input.ScalableDimension || t.ScalableDimension === input.ScalableDimension),
      );
      const { page, nextToken } = paginate(targets, { token: input.NextToken, max: input.MaxResults }, { defaultMax: 50, maxMax: 50, operation: 'DescribeScalableTargets', invalidTokenCode: 'InvalidNextTokenException' });
      return { ScalableTargets: page, ...(nextToken ? { NextToken: nextToken } : {}) };
    },

    DescribeScalingPolicies(input, { sandbox, account, region }) {
      requireNamespace(input);
      const policies = appAutoScalingState(sandbox, account, region).policies.filter(
        (p) =>
          p.ServiceNamespace === input.ServiceNamespace &&
          (!input.ResourceId || p.ResourceId === input.ResourceId) &&
          (!input.ScalableDimension || p.ScalableDimension === input.ScalableDimension) &&
          (!input.PolicyNames?.length || input.PolicyNames.includes(p.PolicyName)),
      );
      const { page, nextToken } = paginate(policies, { token: input.NextToken, max: input.MaxResults }, { defaultMax: 10, maxMax: 10, operation: 'DescribeScalingPolicies', invalidTokenCode: 'InvalidNextTokenException' });
      return { ScalingPolicies: page, ...(nextToken ? { NextToken: nextToken } : {}) };
    },

    RegisterScalableTarget(input, { sandbox, account, region, now }) {
      requireNamespace(input);
      const state = appAutoScalingState(sandbox, account, region);
      const existing = state.targets.find((t) => sameTarget(t, input));
      const min = input.MinCapacity ?? existing?.MinCapacity;
      const max = input.MaxCapacity ?? existing?.MaxCapacity;
      if (min === undefined || max === undefined) throw validation('MinCapacity and MaxCapacity are required when registering a new scalable target');
      if (min > max) throw validation(`Minimum capacity cannot be greater than maximum capacity (${min} > ${max})`);
      if (existing) Object.assign(existing, { MinCapacity: min, MaxCapacity: max });
      else state.targets.push({ ServiceNamespace: input.ServiceNamespace, ResourceId: input.ResourceId, ScalableDimension: input.ScalableDimension, MinCapacity: min, MaxCapacity: max, RoleARN: input.RoleARN ?? `arn:aws:iam::${account.id}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable`, CreationTime: now.toISOString() });
      return { ScalableTargetARN: `arn:aws:application-autoscaling:${region}:${account.id}:scalable-target/${Buffer.from(`${input.ResourceId}|${input.ScalableDimension}`).toString('hex').slice(0, 28)}` };
    },

    PutScalingPolicy(input, { sandbox, account, region, now }) {
      requireNamespace(input);
      const state = appAutoScalingState(sandbox, account, region);
      if (!state.targets.some((t) => sameTarget(t, input))) {
        throw awsError('ObjectNotFoundException', `No scalable target registered for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}`);
      }
      const config = input.TargetTrackingScalingPolicyConfiguration;
      if ((input.PolicyType ?? 'StepScaling') === 'TargetTrackingScaling') {
        if (!config || typeof config.TargetValue !== 'number') throw validation('TargetTrackingScalingPolicyConfiguration with a TargetValue is required for a TargetTrackingScaling policy');
        if (input.ServiceNamespace === 'dynamodb' && (config.TargetValue < 20 || config.TargetValue > 90)) throw validation(`The target value for a DynamoDB target tracking policy must be between 20 and 90 (got ${config.TargetValue})`);
      }
      const existing = state.policies.find((p) => p.PolicyName === input.PolicyName && sameTarget(p, input));
      const arn = existing?.PolicyARN ?? `arn:aws:autoscaling:${region}:${account.id}:scalingPolicy:${sandbox.mintId('policy')}:resource/${input.ServiceNamespace}/${input.ResourceId}:policyName/${input.PolicyName}`;
      const policy: SandboxScalingPolicy = { PolicyARN: arn, PolicyName: input.PolicyName, ServiceNamespace: input.ServiceNamespace, ResourceId: input.ResourceId, ScalableDimension: input.ScalableDimension, PolicyType: input.PolicyType ?? 'StepScaling', ...(config ? { TargetTrackingScalingPolicyConfiguration: structuredClone(config) } : {}), Alarms: existing?.Alarms ?? [], CreationTime: existing?.CreationTime ?? now.toISOString() };
      if (existing) Object.assign(existing, policy);
      else state.policies.push(policy);
      return { PolicyARN: arn, Alarms: policy.Alarms };
    },
  },
};
