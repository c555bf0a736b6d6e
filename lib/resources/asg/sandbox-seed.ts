/**
 * The Auto Scaling part of the sandbox: groups whose CloudWatch series are steady-low,
 * diurnal, spiky and too short to judge; a step-policy group; a flapping group; a group
 * already at the bound; a protected one. `seedAutoScalingGroups` generates many such groups
 * for the benchmark.
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { autoscalingState, putPolicy, type SandboxActivity, type SandboxGroup } from '../../sandbox/services/autoscaling.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';

const HOUR_MS = 3_600_000;

export interface GroupSeed extends Omit<SandboxGroup, 'createdAt'> {
  ageDays: number;
  /** CPUUtilization by AutoScalingGroupName. */
  cpu: Omit<SeriesSpec, 'resolutionSeconds'> & { resolutionSeconds?: number };
  /** GroupInServiceInstances; absent: group metrics not enabled. */
  inService?: Omit<SeriesSpec, 'resolutionSeconds'>;
  policies?: Record<string, any>[];
  /** Scale-out/in pairs per day over the last `days` (flapping), and calm launches per day. */
  flapping?: { pairsPerDay: number; days: number };
}

const targetTracking = (group: string, target: number, extra: Record<string, unknown> = {}) => ({
  AutoScalingGroupName: group,
  PolicyName: 'cpu-target-tracking',
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: target, DisableScaleIn: false },
  ...extra,
});

/** Adds one group with its policies, metrics and activities. */
export function addGroup(sandbox: Sandbox, accountId: string, region: string, seed: GroupSeed) {
  const account = sandbox.account(accountId);
  const now = sandbox.now();
  const state = autoscalingState(sandbox, account, region);
  const { ageDays, cpu, inService, policies = [], flapping, ...group } = seed;
  const createdAt = daysAgo(now, ageDays).toISOString();
  state.groups[group.name] = { ...group, createdAt, enabledMetrics: inService ? ['GroupInServiceInstances', 'GroupDesiredCapacity'] : [] };
  for (const policy of policies) putPolicy(state, account.id, region, policy);
  const metrics = cloudwatchState(sandbox, account, region).metrics;
  const dimensions = { AutoScalingGroupName: group.name };
  const seed32 = [...group.name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000, 7);
  metrics.push({ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions, series: { resolutionSeconds: 300, min: 0, max: 100, seed: seed32, startsAt: createdAt, ...cpu } });
  if (inService) metrics.push({ namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances', dimensions, series: { resolutionSeconds: 300, min: 0, startsAt: createdAt, ...inService } });
  if (flapping) {
    const activities: SandboxActivity[] = [];
    const hourNow = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const every = 24 / flapping.pairsPerDay;
    for (let h = 1; h < flapping.days * 24; h += every) {
      const out = hourNow - Math.round(h * HOUR_MS);
      activities.push({ groupName: group.name, startTime: new Date(out).toISOString(), direction: 1 });
      activities.push({ groupName: group.name, startTime: new Date(out + 20 * 60_000).toISOString(), direction: -1 });
    }
    state.activities.push(...activities);
  }
}

export function seedAsgSmallCompany(sandbox: Sandbox, accountId: string) {
  const region = 'us-east-1';
  const add = (seed: GroupSeed) => addGroup(sandbox, accountId, region, seed);
  const lt = (name: string) => ({ LaunchTemplateId: `lt-${name.length.toString(16).padStart(17, '0')}`, LaunchTemplateName: name, Version: '$Default' });

  // Steady low load, pinned at a MinSize of 6: MinSize is the lever (raising the target saves nothing).
  add({
    name: 'acme-web', ageDays: 200, minSize: 6, maxSize: 20, desiredCapacity: 6, defaultCooldown: 300, instanceType: 'm5.large', launchTemplate: lt('acme-web'),
    tags: { team: 'web' }, cpu: { base: 12, noise: 3 }, inService: { base: 6 },
    policies: [targetTracking('acme-web', 50)],
  });
  // Diurnal load tracked at a 30% target: the fleet is sized for idle CPU; raise the target.
  add({
    name: 'acme-api', ageDays: 300, minSize: 2, maxSize: 24, desiredCapacity: 8, defaultCooldown: 300, instanceType: 'c5.xlarge', launchTemplate: lt('acme-api'),
    tags: { team: 'api' }, cpu: { base: 30, amplitude: 4, noise: 2 }, inService: { base: 8, amplitude: 5 },
    policies: [targetTracking('acme-api', 30, { EstimatedInstanceWarmup: 300 })],
  });
  // Spiky: an hour at 100% every 4 hours. p95 is near the top, so nothing is flagged (a trap for averages).
  add({
    name: 'acme-batch', ageDays: 120, minSize: 2, maxSize: 10, desiredCapacity: 2, defaultCooldown: 300, instanceType: 'm5.xlarge', launchTemplate: lt('acme-batch'),
    tags: { team: 'data' }, cpu: { resolutionSeconds: 3600, base: 25, noise: 5, spikeValue: 100, spikeEveryHours: 4 }, inService: { base: 2 },
    policies: [targetTracking('acme-batch', 50)],
  });
  // Too little data: 20 hours of metrics. Looks idle, must not be tuned.
  add({
    name: 'acme-new-worker', ageDays: 30, minSize: 4, maxSize: 8, desiredCapacity: 4, defaultCooldown: 300, instanceType: 'm5.large', launchTemplate: lt('acme-new-worker'),
    tags: { team: 'data' }, cpu: { base: 8, noise: 2, onlyLastHours: 20 }, inService: { base: 4, onlyLastHours: 20 },
    policies: [targetTracking('acme-new-worker', 50)],
  });
  // Legacy step + simple scaling on a launch configuration: report only.
  autoscalingStateFor(sandbox, accountId, region).launchConfigurations['acme-legacy-lc'] = { name: 'acme-legacy-lc', instanceType: 't3.large', imageId: 'ami-0abcdef1234567890', createdAt: daysAgo(sandbox.now(), 900).toISOString() };
  add({
    name: 'acme-legacy', ageDays: 900, minSize: 2, maxSize: 6, desiredCapacity: 2, defaultCooldown: 300, launchConfigurationName: 'acme-legacy-lc',
    tags: { team: 'ops' }, cpu: { base: 35, noise: 5 },
    policies: [
      {
        AutoScalingGroupName: 'acme-legacy', PolicyName: 'scale-out-steps', PolicyType: 'StepScaling', AdjustmentType: 'ChangeInCapacity', MetricAggregationType: 'Average', EstimatedInstanceWarmup: 300,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 }],
      },
      { AutoScalingGroupName: 'acme-legacy', PolicyName: 'scale-in-simple', PolicyType: 'SimpleScaling', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: -1, Cooldown: 300 },
    ],
  });
  // Flapping: 8 scale-out/scale-in pairs a day, warm-up of 60 s.
  add({
    name: 'acme-queue', ageDays: 60, minSize: 2, maxSize: 12, desiredCapacity: 4, defaultCooldown: 60, instanceType: 'c6i.large', launchTemplate: lt('acme-queue'),
    tags: { team: 'platform' }, cpu: { base: 45, amplitude: 10, noise: 8 }, inService: { base: 4, amplitude: 1 },
    policies: [targetTracking('acme-queue', 45, { EstimatedInstanceWarmup: 60 })],
    flapping: { pairsPerDay: 8, days: 14 },
  });
  // Already at the bound: target 70% (the default maximum) at 10% CPU, MinSize 1.
  add({
    name: 'acme-reports', ageDays: 400, minSize: 1, maxSize: 4, desiredCapacity: 1, defaultCooldown: 300, instanceType: 't3.medium', launchTemplate: lt('acme-reports'),
    tags: { team: 'finance' }, cpu: { base: 10, noise: 2 }, inService: { base: 1 },
    policies: [targetTracking('acme-reports', 70)],
  });
  // Trap: idle and over-provisioned, but its owners said hands off.
  add({
    name: 'acme-payments', ageDays: 500, minSize: 4, maxSize: 12, desiredCapacity: 4, defaultCooldown: 300, instanceType: 'm6i.large', launchTemplate: lt('acme-payments'),
    tags: { team: 'payments', 'trimtab:skip': 'PCI change freeze' }, cpu: { base: 9, noise: 2 }, inService: { base: 4 },
    policies: [targetTracking('acme-payments', 35)],
  });
}

const autoscalingStateFor = (sandbox: Sandbox, accountId: string, region: string) => autoscalingState(sandbox, sandbox.account(accountId), region);

const INSTANCE_TYPES = ['m5.large', 'c5.large', 't3.large', 'm6i.large', 'r5.large', 'x9.mystery'];

/**
 * Many groups for the benchmark, cycling through the small company's shapes (steady-low,
 * diurnal, spiky, too-little-data, step policies, flapping). Deterministic.
 */
export function seedAutoScalingGroups(sandbox: Sandbox, account: string, region: string, options: { groups: number; prefix?: string }) {
  const prefix = options.prefix ?? 'bench';
  for (let i = 0; i < options.groups; i++) {
    const name = `${prefix}-${String(i).padStart(5, '0')}`;
    const kind = i % 6;
    const instanceType = INSTANCE_TYPES[i % INSTANCE_TYPES.length];
    const base = { name, ageDays: 90, defaultCooldown: 300, instanceType, tags: { bench: 'true', shape: ['steady-low', 'diurnal', 'spiky', 'too-little-data', 'step', 'flapping'][kind] } };
    if (kind === 0) add({ ...base, minSize: 4, maxSize: 12, desiredCapacity: 4, cpu: { base: 10, noise: 3 }, inService: { base: 4 }, policies: [targetTracking(name, 50)] });
    if (kind === 1) add({ ...base, minSize: 2, maxSize: 20, desiredCapacity: 6, cpu: { base: 30, amplitude: 4, noise: 2 }, inService: { base: 6, amplitude: 3 }, policies: [targetTracking(name, 30)] });
    if (kind === 2) add({ ...base, minSize: 2, maxSize: 8, desiredCapacity: 2, cpu: { resolutionSeconds: 3600, base: 25, noise: 5, spikeValue: 100, spikeEveryHours: 4 }, inService: { base: 2 }, policies: [targetTracking(name, 50)] });
    if (kind === 3) add({ ...base, minSize: 3, maxSize: 6, desiredCapacity: 3, cpu: { base: 8, onlyLastHours: 12 }, inService: { base: 3, onlyLastHours: 12 }, policies: [targetTracking(name, 50)] });
    if (kind === 4) {
      add({
        ...base, minSize: 2, maxSize: 6, desiredCapacity: 2, cpu: { base: 35, noise: 5 },
        policies: [{ AutoScalingGroupName: name, PolicyName: 'scale-in-simple', PolicyType: 'SimpleScaling', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: -1, Cooldown: 300 }],
      });
    }
    if (kind === 5) add({ ...base, minSize: 2, maxSize: 10, desiredCapacity: 3, cpu: { base: 45, amplitude: 10, noise: 8 }, inService: { base: 3, amplitude: 1 }, policies: [targetTracking(name, 45, { EstimatedInstanceWarmup: 60 })], flapping: { pairsPerDay: 5, days: 14 } });
  }

  function add(seed: GroupSeed) {
    addGroup(sandbox, account, region, seed);
  }
}
