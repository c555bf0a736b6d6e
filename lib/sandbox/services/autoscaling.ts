/**
 * Sandbox EC2 Auto Scaling: groups (with generated InService instances), launch
 * configurations, scaling policies (target tracking with their own alarms, step, simple) and
 * scaling activities. Shapes follow the recorded samples in test/fixtures/auto-scaling/. Behaves like
 * AWS where trimtab depends on it: MaxRecords limits and NextToken pagination,
 * PutScalingPolicy replacing the whole policy, UpdateAutoScalingGroup raising DesiredCapacity
 * to a new MinSize, ValidationError for bad sizes and unknown groups.
 */
import { createHash } from 'node:crypto';
import { awsError, paginate, tagList, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';
import { findTemplate, findVersion, launchTemplatesState, offeredIn } from './ec2-launch-templates.ts';
import { callerMay } from './iam.ts';
import { ec2InstanceOperations } from './ec2-instances.ts';

export interface SandboxGroup {
  name: string;
  createdAt: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  defaultCooldown: number;
  defaultInstanceWarmup?: number;
  /** The type its instances run (launch template groups). */
  instanceType?: string;
  launchConfigurationName?: string;
  launchTemplate?: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string };
  tags?: Record<string, string>;
  enabledMetrics?: string[];
  /** The first N instances are protected from scale in, the next M are in Standby. */
  protectedInstances?: number;
  standbyInstances?: number;
  /** The group launches through a mixed instances policy on its launch template (types by overrides). */
  mixedInstancesPolicy?: { overrides: string[] };
}

export interface SandboxActivity {
  groupName: string;
  startTime: string;
  /** +1 launch, −1 terminate. */
  direction: 1 | -1;
  statusCode?: 'Successful' | 'Failed';
}

export interface AutoScalingState {
  groups: Record<string, SandboxGroup>;
  /** Stored as PutScalingPolicy input plus PolicyARN and Alarms. */
  policies: Record<string, any>[];
  activities: SandboxActivity[];
  launchConfigurations: Record<string, { name: string; instanceType: string; imageId: string; createdAt: string }>;
  /** StartInstanceRefresh calls (absent in states saved before refreshes existed). */
  instanceRefreshes?: SandboxInstanceRefresh[];
}

/**
 * An instance refresh: Pending, then InProgress, then Successful, settled lazily from its start
 * time (sandbox.duration of AWS-like times). On success the group's instances run the type of
 * the launch template version the group pointed at when the refresh started.
 */
export interface SandboxInstanceRefresh {
  id: string;
  groupName: string;
  startTime: string;
  /** When it leaves Pending, and when it ends (ISO). */
  inProgressAt: string;
  endsAt: string;
  instancesToUpdate: number;
  targetType?: string;
  status: 'Pending' | 'InProgress' | 'Successful' | 'Cancelled' | 'Failed';
  /** Set when AWS would fail it: when, and AWS's reason. */
  failsAt?: string;
  statusReason?: string;
}

/** AWS-like refresh timing before timing.scale: a minute pending, then the default 300 s instance warmup per instance. */
export const REFRESH_PENDING_MS = 60_000;
export const REFRESH_PER_INSTANCE_MS = 300_000;

export const autoscalingState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<AutoScalingState>(account, region, 'autoscaling', () => ({ groups: {}, policies: [], activities: [], launchConfigurations: {} }));

const hex = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);
const uuid = (text: string) => {
  const h = hex(text, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export const groupArn = (account: string, region: string, name: string) =>
  `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${uuid(`group:${name}`)}:autoScalingGroupName/${name}`;

/** Newest first (ISO times sort as strings). */
const newestFirst = (activities: SandboxActivity[]) => activities.sort((a, b) => (a.startTime < b.startTime ? 1 : a.startTime > b.startTime ? -1 : 0));

/**
 * The region's activities newest first, sorted once per state of the list rather than once per
 * page (a bench region holds 100,000+ activities, read 100 a call): kept while the list is the
 * same array with the same length and the same first and last activity.
 */
const sortedActivities = new WeakMap<SandboxActivity[], { length: number; first: SandboxActivity; last: SandboxActivity; sorted: SandboxActivity[] }>();
function regionNewestFirst(activities: SandboxActivity[]): SandboxActivity[] {
  const hit = sortedActivities.get(activities);
  if (hit && hit.length === activities.length && hit.first === activities[0] && hit.last === activities[activities.length - 1]) return hit.sorted;
  const sorted = newestFirst([...activities]);
  sortedActivities.set(activities, { length: activities.length, first: activities[0], last: activities[activities.length - 1], sorted });
  return sorted;
}

function groupOf(state: AutoScalingState, name: string | undefined): SandboxGroup {
  const group = name ? state.groups[name] : undefined;
  if (!group) throw awsError('ValidationError', `AutoScalingGroup name not found - ${name ?? 'null'}`);
  return group;
}

function describeGroup(g: SandboxGroup, state: AutoScalingState, account: string, region: string) {
  const lc = g.launchConfigurationName ? state.launchConfigurations[g.launchConfigurationName] : undefined;
  const instanceType = g.instanceType ?? lc?.instanceType;
  const zones = [`${region}a`, `${region}b`];
  return {
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: groupArn(account, region, g.name),
    ...(g.launchConfigurationName ? { LaunchConfigurationName: g.launchConfigurationName } : {}),
    ...(g.launchTemplate && !g.mixedInstancesPolicy ? { LaunchTemplate: g.launchTemplate } : {}),
    ...(g.launchTemplate && g.mixedInstancesPolicy
      ? { MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: g.launchTemplate, Overrides: g.mixedInstancesPolicy.overrides.map((InstanceType) => ({ InstanceType })) } } }
      : {}),
    MinSize: g.minSize,
    MaxSize: g.maxSize,
    DesiredCapacity: g.desiredCapacity,
    DefaultCooldown: g.defaultCooldown,
    ...(g.defaultInstanceWarmup !== undefined ? { DefaultInstanceWarmup: g.defaultInstanceWarmup } : {}),
    AvailabilityZones: zones,
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    Instances: Array.from({ length: g.desiredCapacity }, (_, i) => ({
      InstanceId: `i-${hex(`${g.name}:${i}`, 17)}`,
      ...(instanceType ? { InstanceType: instanceType } : {}),
      AvailabilityZone: zones[i % zones.length],
      LifecycleState: i >= (g.protectedInstances ?? 0) && i < (g.protectedInstances ?? 0) + (g.standbyInstances ?? 0) ? 'Standby' : 'InService',
      HealthStatus: 'Healthy',
      ...(g.launchConfigurationName ? { LaunchConfigurationName: g.launchConfigurationName } : {}),
      ...(g.launchTemplate ? { LaunchTemplate: g.launchTemplate } : {}),
      ProtectedFromScaleIn: i < (g.protectedInstances ?? 0),
    })),
    CreatedTime: new Date(g.createdAt),
    SuspendedProcesses: [],
    VPCZoneIdentifier: 'subnet-0a1b2c3d,subnet-4e5f6a7b',
    EnabledMetrics: (g.enabledMetrics ?? []).map((Metric) => ({ Metric, Granularity: '1Minute' })),
    Tags: tagList(g.tags).map((t) => ({ ResourceId: g.name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true, ...t })),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    TrafficSources: [],
  };
}

/** The checks AWS makes on PutScalingPolicy that trimtab could trip. */
function validatePolicy(input: Record<string, any>) {
  const type = input.PolicyType ?? 'SimpleScaling';
  if (!['SimpleScaling', 'StepScaling', 'TargetTrackingScaling', 'PredictiveScaling'].includes(type)) {
    throw awsError('ValidationError', `Invalid policy type: ${type}`);
  }
  if (!input.PolicyName) throw awsError('ValidationError', 'PolicyName is required.');
  if (type === 'TargetTrackingScaling') {
    const tt = input.TargetTrackingConfiguration;
    if (!tt || typeof tt.TargetValue !== 'number') throw awsError('ValidationError', 'TargetTrackingConfiguration with a TargetValue is required for a TargetTrackingScaling policy.');
    for (const key of ['AdjustmentType', 'ScalingAdjustment', 'StepAdjustments', 'Cooldown', 'MinAdjustmentMagnitude', 'MetricAggregationType']) {
      if (input[key] !== undefined) throw awsError('ValidationError', `${key} is not supported for policy type TargetTrackingScaling.`);
    }
  }
  // "Valid only if the policy type is …" (PutScalingPolicy API reference, per field).
  if (type === 'SimpleScaling' && input.EstimatedInstanceWarmup !== undefined) throw awsError('ValidationError', 'EstimatedInstanceWarmup is not supported for policy type SimpleScaling.');
  if (type === 'StepScaling' && input.Cooldown !== undefined) throw awsError('ValidationError', 'Cooldown is not supported for policy type StepScaling.');
  const minAdjustment = input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep;
  if (minAdjustment !== undefined && input.AdjustmentType !== 'PercentChangeInCapacity') {
    throw awsError('ValidationError', 'MinAdjustmentMagnitude may only be specified with an AdjustmentType of PercentChangeInCapacity.');
  }
  if (input.MinAdjustmentStep !== undefined && input.MinAdjustmentMagnitude !== undefined && input.MinAdjustmentStep !== input.MinAdjustmentMagnitude) {
    throw awsError('ValidationError', 'MinAdjustmentStep (deprecated) and MinAdjustmentMagnitude must not differ.');
  }
  if (type === 'StepScaling' && !input.StepAdjustments?.length) throw awsError('ValidationError', 'StepAdjustments is required for policy type StepScaling.');
  if (type === 'SimpleScaling' && input.ScalingAdjustment === undefined) throw awsError('ValidationError', 'ScalingAdjustment is required for policy type SimpleScaling.');
  if (input.EstimatedInstanceWarmup !== undefined && input.EstimatedInstanceWarmup < 0) throw awsError('ValidationError', 'EstimatedInstanceWarmup must be at least 0.');
}

const policyArn = (account: string, region: string, group: string, name: string) =>
  `arn:aws:autoscaling:${region}:${account}:scalingPolicy:${uuid(`policy:${group}:${name}`)}:autoScalingGroupName/${group}:policyName/${name}`;

/** Stores a policy as PutScalingPolicy would leave it (used by the seed too). */
export function putPolicy(state: AutoScalingState, account: string, region: string, input: Record<string, any>) {
  groupOf(state, input.AutoScalingGroupName);
  validatePolicy(input);
  const { AutoScalingGroupName: group, PolicyName: name } = input;
  const arn = policyArn(account, region, group, name);
  const alarms =
    (input.PolicyType ?? 'SimpleScaling') === 'TargetTrackingScaling'
      ? ['AlarmHigh', 'AlarmLow'].map((kind) => {
          const alarmName = `TargetTracking-${group}-${kind}-${uuid(`${arn}:${kind}`)}`;
          return { AlarmName: alarmName, AlarmARN: `arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}` };
        })
      : [];
  // Whole replace: fields the caller left out are gone ("The original values are not kept", EC2
  // Auto Scaling User Guide, clearing a policy's instance warmup); AWS fills its own defaults.
  const stored: Record<string, any> = { ...structuredClone(input), PolicyARN: arn, Alarms: alarms, Enabled: input.Enabled ?? true };
  // MinAdjustmentStep is the deprecated alias of MinAdjustmentMagnitude: kept as one setting.
  const minAdjustment = input.MinAdjustmentMagnitude ?? input.MinAdjustmentStep;
  delete stored.MinAdjustmentStep;
  if (minAdjustment !== undefined) stored.MinAdjustmentMagnitude = minAdjustment;
  if (stored.TargetTrackingConfiguration) stored.TargetTrackingConfiguration.DisableScaleIn ??= false;
  const index = state.policies.findIndex((p) => p.AutoScalingGroupName === group && p.PolicyName === name);
  if (index >= 0) state.policies[index] = stored;
  else state.policies.push(stored);
  return { PolicyARN: arn, Alarms: alarms };
}

/** Moves refreshes along their timeline; a finished one leaves the group's instances on its target type. */
export function settleRefreshes(state: AutoScalingState, now: Date) {
  for (const r of state.instanceRefreshes ?? []) {
    if ((r.status === 'Pending' || r.status === 'InProgress') && r.failsAt && now.getTime() >= Date.parse(r.failsAt)) {
      r.status = 'Failed';
      continue;
    }
    if (r.status === 'Pending' && now.getTime() >= Date.parse(r.inProgressAt)) r.status = 'InProgress';
    if (r.status === 'InProgress' && !r.failsAt && now.getTime() >= Date.parse(r.endsAt)) {
      r.status = 'Successful';
      const group = state.groups[r.groupName];
      if (group && r.targetType) group.instanceType = r.targetType;
    }
  }
}

const WAIT_MS = 3_600_000;

/**
 * Why and when AWS would fail a refresh: a launch of the new version fails (type not offered in a zone of the group,
 * CPU options or network interfaces the type does not take: EC2 checks these only at launch), or protected / standby
 * instances met with the default `Wait` preference (the refresh waits one hour, then fails; StartInstanceRefresh
 * RefreshPreferences in the .d.ts).
 */
function refreshFailure(group: SandboxGroup, data: Record<string, any> | undefined, prefs: Record<string, any>, region: string, offered: (type: string, zone: string) => boolean, inProgressAt: number) {
  const type: string | undefined = data?.InstanceType;
  if (type && data) {
    const zones = [`${region}a`, `${region}b`];
    const missing = zones.filter((z) => !offered(type, z));
    let launch: string | undefined = missing.length ? `We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${missing[0]}). Launching EC2 instance failed.` : undefined;
    const info = (ec2InstanceOperations.DescribeInstanceTypes as (input: any) => any)({ InstanceTypes: [type] }).InstanceTypes[0];
    const cpu = data.CpuOptions;
    if (!launch && cpu && ((cpu.CoreCount !== undefined && !(info.VCpuInfo?.ValidCores ?? []).includes(cpu.CoreCount)) || (cpu.ThreadsPerCore !== undefined && !(info.VCpuInfo?.ValidThreadsPerCore ?? []).includes(cpu.ThreadsPerCore)))) {
      launch = `The specified CPU options are not supported by the instance type ${type}. Launching EC2 instance failed.`;
    }
    if (!launch && (data.NetworkInterfaces?.length ?? 0) > (info.NetworkInfo?.MaximumNetworkInterfaces ?? Infinity)) {
      launch = `The maximum number of network interfaces for ${type} has been exceeded. Launching EC2 instance failed.`;
    }
    if (launch) return { failsAt: new Date(inProgressAt).toISOString(), statusReason: launch };
  }
  if ((group.protectedInstances ?? 0) > 0 && (prefs.ScaleInProtectedInstances ?? 'Wait') === 'Wait') {
    return { failsAt: new Date(inProgressAt + WAIT_MS).toISOString(), statusReason: 'Instance refresh failed: instances protected from scale in were found and not released within one hour.' };
  }
  if ((group.standbyInstances ?? 0) > 0 && (prefs.StandbyInstances ?? 'Wait') === 'Wait') {
    return { failsAt: new Date(inProgressAt + WAIT_MS).toISOString(), statusReason: 'Instance refresh failed: instances in Standby were found and not returned to service within one hour.' };
  }
  return {};
}

export const autoscalingService: SandboxService = {
  id: 'autoscaling',
  operations: {
    DescribeAutoScalingGroups(input, { sandbox, account, region, now }) {
      const state = autoscalingState(sandbox, account, region);
      settleRefreshes(state, now);
      const wanted: string[] | undefined = input.AutoScalingGroupNames;
      const all = Object.values(state.groups)
        .filter((g) => !wanted || wanted.includes(g.name))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = paginate(all, { token: input.NextToken, max: input.MaxRecords }, { defaultMax: 50, maxMax: 100, operation: 'DescribeAutoScalingGroups' });
      return { AutoScalingGroups: page.map((g) => describeGroup(g, state, account.id, region)), NextToken: nextToken };
    },

    DescribePolicies(input, { sandbox, account, region }) {
      const state = autoscalingState(sandbox, account, region);
      const selected = state.policies.filter(
        (p) =>
          (!input.AutoScalingGroupName || p.AutoScalingGroupName === input.AutoScalingGroupName) &&
          (!input.PolicyNames?.length || input.PolicyNames.includes(p.PolicyName)) &&
          (!input.PolicyTypes?.length || input.PolicyTypes.includes(p.PolicyType ?? 'SimpleScaling')),
      );
      const { page, nextToken } = paginate(selected, { token: input.NextToken, max: input.MaxRecords }, { defaultMax: 50, maxMax: 100, operation: 'DescribePolicies' });
      // Target tracking policies are described with an empty StepAdjustments list and DisableScaleIn
      // filled in, as in the AWS CLI's describe-policies example; the legacy MinAdjustmentStep is
      // described alongside MinAdjustmentMagnitude (both are ScalingPolicy members).
      return {
        ScalingPolicies: page.map((p) => ({
          ...p,
          ...(p.PolicyType === 'TargetTrackingScaling' ? { StepAdjustments: [] } : {}),
          ...(p.MinAdjustmentMagnitude !== undefined ? { MinAdjustmentStep: p.MinAdjustmentMagnitude } : {}),
        })),
        NextToken: nextToken,
      };
    },

    DescribeScalingActivities(input, { sandbox, account, region }) {
      const state = autoscalingState(sandbox, account, region);
      if (input.AutoScalingGroupName) groupOf(state, input.AutoScalingGroupName);
      const selected = input.AutoScalingGroupName ? newestFirst(state.activities.filter((a) => a.groupName === input.AutoScalingGroupName)) : regionNewestFirst(state.activities);
      const { page, nextToken } = paginate(selected, { token: input.NextToken, max: input.MaxRecords }, { defaultMax: 100, maxMax: 100, operation: 'DescribeScalingActivities' });
      return {
        Activities: page.map((a) => {
          const instance = `i-${hex(`${a.groupName}:${a.startTime}`, 17)}`;
          const launch = a.direction === 1;
          return {
            ActivityId: uuid(`activity:${a.groupName}:${a.startTime}`),
            AutoScalingGroupName: a.groupName,
            AutoScalingGroupARN: groupArn(account.id, region, a.groupName),
            Description: launch ? `Launching a new EC2 instance: ${instance}` : `Terminating EC2 instance: ${instance}`,
            Cause: `At ${a.startTime} a monitor alarm TargetTracking-${a.groupName}-Alarm${launch ? 'High' : 'Low'} in state ALARM triggered policy cpu-target-tracking changing the desired capacity.`,
            StartTime: new Date(a.startTime),
            EndTime: new Date(Date.parse(a.startTime) + 45_000),
            StatusCode: a.statusCode ?? 'Successful',
            Progress: 100,
            Details: JSON.stringify({ 'Subnet ID': 'subnet-0a1b2c3d', 'Availability Zone': `${region}a` }),
          };
        }),
        NextToken: nextToken,
      };
    },

    DescribeLaunchConfigurations(input, { sandbox, account, region }) {
      const state = autoscalingState(sandbox, account, region);
      if ((input.LaunchConfigurationNames?.length ?? 0) > 50) throw awsError('ValidationError', 'LaunchConfigurationNames: at most 50 names per call.');
      const all = Object.values(state.launchConfigurations)
        .filter((lc) => !input.LaunchConfigurationNames?.length || input.LaunchConfigurationNames.includes(lc.name))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = paginate(all, { token: input.NextToken, max: input.MaxRecords }, { defaultMax: 50, maxMax: 100, operation: 'DescribeLaunchConfigurations' });
      return {
        LaunchConfigurations: page.map((lc) => ({
          LaunchConfigurationName: lc.name,
          LaunchConfigurationARN: `arn:aws:autoscaling:${region}:${account.id}:launchConfiguration:${uuid(`lc:${lc.name}`)}:launchConfigurationName/${lc.name}`,
          ImageId: lc.imageId,
          InstanceType: lc.instanceType,
          SecurityGroups: [],
          BlockDeviceMappings: [],
          InstanceMonitoring: { Enabled: false },
          EbsOptimized: false,
          CreatedTime: new Date(lc.createdAt),
        })),
        NextToken: nextToken,
      };
    },

    PutScalingPolicy(input, { sandbox, account, region }) {
      return putPolicy(autoscalingState(sandbox, account, region), account.id, region, input);
    },

    UpdateAutoScalingGroup(input, { sandbox, account, region }) {
      const group = groupOf(autoscalingState(sandbox, account, region), input.AutoScalingGroupName);
      const min = input.MinSize ?? group.minSize;
      const max = input.MaxSize ?? group.maxSize;
      if (min > max) throw awsError('ValidationError', `Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
      let desired = input.DesiredCapacity;
      if (desired !== undefined && (desired < min || desired > max)) {
        throw awsError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
      }
      // Without a DesiredCapacity, AWS moves the current one into the new bounds.
      desired ??= Math.min(max, Math.max(min, group.desiredCapacity));
      Object.assign(group, { minSize: min, maxSize: max, desiredCapacity: desired });
      if (input.DefaultCooldown !== undefined) group.defaultCooldown = input.DefaultCooldown;
      if (input.DefaultInstanceWarmup !== undefined) group.defaultInstanceWarmup = input.DefaultInstanceWarmup;
      if (input.LaunchTemplate) {
        // The version must exist (the template's own error codes otherwise); instances already
        // running keep their type: only launches after this use the new version.
        const spec = input.LaunchTemplate;
        const template = findTemplate(launchTemplatesState(sandbox, account, region), spec);
        const data = findVersion(template, spec.Version).data;
        // Auto Scaling checks the caller may launch from the template (EC2 Auto Scaling User Guide, "Control Amazon EC2
        // launch template usage"): ec2:RunInstances, iam:PassRole for its instance profile, ec2:CreateTags for its tag specifications.
        const needs = [['ec2:RunInstances', `arn:aws:ec2:${region}:${account.id}:launch-template/${template.id}`]];
        if (data.IamInstanceProfile) needs.push(['iam:PassRole', data.IamInstanceProfile.Arn ?? `arn:aws:iam::${account.id}:role/${data.IamInstanceProfile.Name ?? '*'}`]);
        if (data.TagSpecifications?.length) needs.push(['ec2:CreateTags', `arn:aws:ec2:${region}:${account.id}:instance/*`]);
        if (needs.some(([action, resource]) => !callerMay(sandbox, account, action, resource))) {
          throw awsError('AccessDenied', `You are not authorized to use launch template: ${template.id}`, 403);
        }
        group.launchTemplate = { LaunchTemplateId: template.id, LaunchTemplateName: template.name, Version: spec.Version ?? '$Default' };
        delete group.launchConfigurationName;
      }
      return {};
    },

    StartInstanceRefresh(input, { sandbox, account, region, now }) {
      const state = autoscalingState(sandbox, account, region);
      const group = groupOf(state, input.AutoScalingGroupName);
      settleRefreshes(state, now);
      const refreshes = (state.instanceRefreshes ??= []);
      if (refreshes.some((r) => r.groupName === group.name && (r.status === 'Pending' || r.status === 'InProgress'))) {
        throw awsError('InstanceRefreshInProgress', `An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.`);
      }
      const lt = group.launchTemplate;
      const ltState = launchTemplatesState(sandbox, account, region);
      const targetData = lt ? findVersion(findTemplate(ltState, { LaunchTemplateId: lt.LaunchTemplateId }), lt.Version).data : undefined;
      const targetType: string | undefined = targetData?.InstanceType;
      const prefs = input.Preferences ?? {};
      for (const [key, allowed] of [['ScaleInProtectedInstances', ['Refresh', 'Ignore', 'Wait']], ['StandbyInstances', ['Terminate', 'Ignore', 'Wait']]] as const) {
        if (prefs[key] !== undefined && !(allowed as readonly string[]).includes(prefs[key])) throw awsError('ValidationError', `1 validation error detected: Value '${prefs[key]}' at 'preferences.${key[0].toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
      }
      const inProgressAt = now.getTime() + sandbox.duration(REFRESH_PENDING_MS);
      const refresh: SandboxInstanceRefresh = {
        id: uuid(`refresh:${group.name}:${now.toISOString()}:${refreshes.length}`),
        groupName: group.name,
        startTime: now.toISOString(),
        inProgressAt: new Date(inProgressAt).toISOString(),
        endsAt: new Date(inProgressAt + sandbox.duration(REFRESH_PER_INSTANCE_MS * Math.max(1, group.desiredCapacity))).toISOString(),
        instancesToUpdate: group.desiredCapacity,
        ...(targetType ? { targetType } : {}),
        status: 'Pending',
        ...refreshFailure(group, targetData, prefs, region, (type, zone) => offeredIn(ltState, type, zone), inProgressAt),
      };
      refreshes.push(refresh);
      settleRefreshes(state, now);
      return { InstanceRefreshId: refresh.id };
    },

    DescribeInstanceRefreshes(input, { sandbox, account, region, now }) {
      const state = autoscalingState(sandbox, account, region);
      groupOf(state, input.AutoScalingGroupName);
      settleRefreshes(state, now);
      const selected = (state.instanceRefreshes ?? [])
        .filter((r) => r.groupName === input.AutoScalingGroupName && (!input.InstanceRefreshIds?.length || input.InstanceRefreshIds.includes(r.id)))
        .sort((a, b) => b.startTime.localeCompare(a.startTime));
      const { page, nextToken } = paginate(selected, { token: input.NextToken, max: input.MaxRecords }, { defaultMax: 50, maxMax: 100, operation: 'DescribeInstanceRefreshes' });
      return {
        InstanceRefreshes: page.map((r) => {
          const total = Date.parse(r.endsAt) - Date.parse(r.inProgressAt);
          const done = r.status === 'Successful' ? 100 : r.status === 'InProgress' && total > 0 ? Math.floor(((now.getTime() - Date.parse(r.inProgressAt)) / total) * 100) : 0;
          return {
            InstanceRefreshId: r.id,
            AutoScalingGroupName: r.groupName,
            Status: r.status,
            StartTime: new Date(r.startTime),
            ...(r.status === 'Successful' || r.status === 'Cancelled' ? { EndTime: new Date(r.endsAt) } : r.status === 'Failed' && r.failsAt ? { EndTime: new Date(r.failsAt) } : {}),
            PercentageComplete: done,
            ...(r.status === 'Failed' && r.statusReason ? { StatusReason: r.statusReason } : {}),
            InstancesToUpdate: r.status === 'Successful' ? 0 : Math.ceil((r.instancesToUpdate * (100 - done)) / 100),
          };
        }),
        NextToken: nextToken,
      };
    },
  },
};
