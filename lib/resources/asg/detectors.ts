/**
 * Auto Scaling detectors: pure decisions over a group enriched with its policies, hourly
 * usage (CPU and in-service count) and scaling activities. None tunes on too little data:
 * below `minDatapoints` hourly datapoints the finding is `protected` with the reason.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detection, Detector } from '../../engine/types.ts';
import type { PriceTable } from '../../savings/prices.ts';
import { ec2RatesFor } from '../../savings/licensed.ts';
import { ASG_NEEDS, DEFAULT_WINDOW_DAYS, windowNeed, type Group } from './resource.ts';
import { DEFAULT_LOWER_MIN, DEFAULT_RAISE_TARGET, canScaleIn, cpuTargetPolicy, policyTypeOf, proposeLowerMin, proposeRaiseTarget, type AsgBefore } from './tuning.ts';
import { compactProfile, demandPerHour, percentile, pinnedShare, stats, type HourlyProfile } from './usage.ts';

const windowOptions = {
  /** Days of CloudWatch history to judge by. */
  windowDays: z.number().int().min(1).max(63).default(DEFAULT_WINDOW_DAYS),
  /** Hourly datapoints needed before judging (Compute Optimizer: 30 hours in 14 days). */
  minDatapoints: z.number().int().min(1).default(30),
};
type WindowOptions = { windowDays: number; minDatapoints: number };

export const beforeOf = (g: Group): AsgBefore => ({
  group: {
    name: g.name,
    minSize: g.minSize,
    maxSize: g.maxSize,
    desiredCapacity: g.desiredCapacity,
    defaultCooldown: g.defaultCooldown,
    ...(g.defaultInstanceWarmup !== undefined ? { defaultInstanceWarmup: g.defaultInstanceWarmup } : {}),
  },
  policies: structuredClone(g.policies ?? []),
});

/** The last `days` of the fetched profile (the fetch covers the longest window any policy asked for). */
function windowed(g: Group, days: number): HourlyProfile {
  const hours = days * 24;
  return { cpu: (g.usage?.cpu ?? []).slice(-hours), inService: (g.usage?.inService ?? []).slice(-hours) };
}

/** Evidence every usage-based finding carries. */
function usageEvidence(g: Group, profile: HourlyProfile, days: number, prices: PriceTable) {
  const cpu = stats(profile.cpu);
  const inService = stats(profile.inService);
  const instanceHours = Math.round(profile.inService.reduce<number>((sum, v) => sum + (v ?? 0), 0) * 10) / 10;
  return {
    windowDays: days,
    cpuAverage: cpu.average,
    cpuP95: cpu.p95,
    cpuMax: cpu.max,
    cpuDatapoints: cpu.datapoints,
    inServiceAverage: inService.average,
    inServiceP95: inService.p95,
    inServiceMax: inService.max,
    inServiceSource: g.usage?.inServiceSource,
    instanceHours,
    minSize: g.minSize,
    maxSize: g.maxSize,
    desiredCapacity: g.desiredCapacity,
    instanceType: g.instanceType ?? null,
    instanceTypeSource: g.instanceTypeSource,
    onDemandHourlyUsd: g.instanceType ? (ec2RatesFor(prices, g.platform ?? { unknown: 'not read' }).hourly(g.instanceType) ?? null) : null,
    /** What the instance hours are priced as (the launch template's AMI); the plan prices with it. */
    platform: g.platform ?? null,
    profile: compactProfile(profile),
  };
}

/** Too little data: reported as protected, never tuned. */
function tooLittleData(g: Group, options: WindowOptions, datapoints: number): Detection {
  return {
    reason: `Too little data to tune: ${datapoints} hourly CPU datapoints in ${options.windowDays} days (needs ${options.minDatapoints}).`,
    evidence: { cpuDatapoints: datapoints, minDatapoints: options.minDatapoints, windowDays: options.windowDays },
    status: 'protected',
    before: beforeOf(g),
  };
}

export interface OverProvisionedOptions extends WindowOptions {
  headroomPoints: number;
  lowTarget: number;
}

export const overProvisionedTargetTracking: Detector<Group, OverProvisionedOptions> = {
  id: 'over-provisioned-target-tracking',
  resource: 'asg',
  title: 'CPU target tracking keeps far more capacity than the load uses',
  options: z.object({
    ...windowOptions,
    /** Flag when p95 CPU stays at least this many points below the target. */
    headroomPoints: z.number().min(1).max(100).default(20),
    /** Flag a target below this (percent): the fleet is sized for mostly idle CPU. */
    lowTarget: z.number().min(1).max(100).default(40),
  }),
  needs: (o) => [ASG_NEEDS.policies, ASG_NEEDS.usage, windowNeed(o.windowDays ?? DEFAULT_WINDOW_DAYS)],
  detect(g, options, { ctx }) {
    const policy = cpuTargetPolicy(g.policies);
    if (!policy) return undefined;
    const target = policy.TargetTrackingConfiguration!.TargetValue!;
    const profile = windowed(g, options.windowDays);
    const cpu = stats(profile.cpu);
    if (cpu.datapoints < options.minDatapoints) return tooLittleData(g, options, cpu.datapoints);
    const farBelow = cpu.p95 <= target - options.headroomPoints;
    const lowTarget = target < options.lowTarget;
    if (!farBelow && !lowTarget) return undefined;
    const pinned = pinnedShare(profile, g.minSize);
    const before = beforeOf(g);
    const estimate = proposeRaiseTarget(before, profile, g.instanceType, DEFAULT_RAISE_TARGET, ctx.prices, g.platform);
    const why = farBelow
      ? `CPU p95 ${cpu.p95}% stays ${Math.round(target - cpu.p95)} points below the ${target}% target of '${policy.PolicyName}'`
      : `the '${policy.PolicyName}' target of ${target}% sizes the fleet for mostly idle CPU (average ${cpu.average}%)`;
    return {
      reason: `${why}${pinned >= 0.5 ? `; the group sat at MinSize ${g.minSize} ${Math.round(pinned * 100)}% of hours` : ''}.`,
      evidence: {
        policyName: policy.PolicyName,
        target,
        scaleInDisabled: Boolean(policy.TargetTrackingConfiguration?.DisableScaleIn),
        pinnedAtMinShare: pinned,
        ...usageEvidence(g, profile, options.windowDays, ctx.prices),
      },
      savings: estimate.kind === 'change' ? estimate.savings : { monthlyUsd: 0, basis: [estimate.reason] },
      before,
    };
  },
};

export interface MinSizeOptions extends WindowOptions {
  headroomPercent: number;
  demandTargetCpu: number;
}

export const minSizeUnneeded: Detector<Group, MinSizeOptions> = {
  id: 'min-size-unneeded',
  resource: 'asg',
  title: 'MinSize keeps instances the load never needs',
  options: z.object({
    ...windowOptions,
    /** Capacity kept above p95 demand: recommended MinSize = ceil(p95 demand × (1 + headroom)). */
    headroomPercent: z.number().min(0).max(500).default(20),
    /** CPU per instance that counts as "needed" when the group has no CPU target-tracking policy. */
    demandTargetCpu: z.number().min(1).max(100).default(50),
  }),
  needs: (o) => [ASG_NEEDS.policies, ASG_NEEDS.usage, windowNeed(o.windowDays ?? DEFAULT_WINDOW_DAYS)],
  detect(g, options, { ctx }) {
    if (g.minSize <= 0) return undefined;
    const profile = windowed(g, options.windowDays);
    const cpu = stats(profile.cpu);
    if (cpu.datapoints < options.minDatapoints) return tooLittleData(g, options, cpu.datapoints);
    const policy = cpuTargetPolicy(g.policies);
    const demandTarget = policy?.TargetTrackingConfiguration?.TargetValue ?? options.demandTargetCpu;
    const demand = demandPerHour(profile, demandTarget);
    const p95Demand = Math.round(percentile(demand, 95) * 100) / 100;
    const recommendedMinSize = Math.max(0, Math.ceil(p95Demand * (1 + options.headroomPercent / 100) - 1e-9));
    if (recommendedMinSize >= g.minSize) return undefined;
    const before = beforeOf(g);
    const estimate = proposeLowerMin(before, profile, demandTarget, recommendedMinSize, g.instanceType, DEFAULT_LOWER_MIN, ctx.prices, g.platform);
    return {
      reason: `p95 demand is ${p95Demand} instance(s) at ${demandTarget}% CPU, well below MinSize ${g.minSize}: ${recommendedMinSize} would do with ${options.headroomPercent}% headroom.`,
      evidence: {
        demandTargetCpu: demandTarget,
        demandTargetSource: policy ? `target of '${policy.PolicyName}'` : 'detector option demandTargetCpu',
        p95DemandInstances: p95Demand,
        recommendedMinSize,
        canScaleIn: canScaleIn(g.policies),
        ...usageEvidence(g, profile, options.windowDays, ctx.prices),
      },
      savings: estimate.kind === 'change' ? estimate.savings : { monthlyUsd: 0, basis: [estimate.reason] },
      before,
    };
  },
};

export interface FlappingOptions {
  windowDays: number;
  minDays: number;
  minPairsPerDay: number;
  pairWithinMinutes: number;
}

/** Scale-out followed by a scale-in within `withinMs`: each launch pairs at most once. */
export function countPairs(events: { at: string; direction: 1 | -1 }[], withinMs: number): { pairs: number; byDay: Record<string, number> } {
  const byDay: Record<string, number> = {};
  let pairs = 0;
  let openOut: number | undefined;
  for (const e of events) {
    const t = Date.parse(e.at);
    if (e.direction === 1) openOut ??= t;
    else if (openOut !== undefined && t - openOut <= withinMs) {
      pairs += 1;
      const day = e.at.slice(0, 10);
      byDay[day] = (byDay[day] ?? 0) + 1;
      openOut = undefined;
    } else openOut = undefined;
  }
  return { pairs, byDay };
}

export const flapping: Detector<Group, FlappingOptions> = {
  id: 'flapping',
  resource: 'asg',
  title: 'The group scales out and back in many times a day',
  options: z.object({
    /** Days of scaling activity to judge by (DescribeScalingActivities returns the last 6 weeks, hence at most 42). */
    windowDays: z.number().int().min(1).max(42).default(DEFAULT_WINDOW_DAYS),
    /** Days of activity history needed before judging (a new group has none). */
    minDays: z.number().min(0.5).default(2),
    /** Scale-out/scale-in pairs per day (averaged over the window) that count as flapping. */
    minPairsPerDay: z.number().min(0.1).default(4),
    /** A scale-in at most this long after a scale-out completes a pair. */
    pairWithinMinutes: z.number().int().min(1).max(1440).default(60),
  }),
  needs: (o) => [ASG_NEEDS.policies, ASG_NEEDS.activities, windowNeed(o.windowDays ?? DEFAULT_WINDOW_DAYS)],
  detect(g, options, { ctx }) {
    const windowStart = ctx.now.getTime() - options.windowDays * 86_400_000;
    const since = Math.max(windowStart, g.createdAt ? Date.parse(g.createdAt) : windowStart);
    const days = (ctx.now.getTime() - since) / 86_400_000;
    const events = (g.activities?.events ?? []).filter((e) => Date.parse(e.at) >= windowStart);
    if (days < options.minDays) {
      if (events.length === 0) return undefined;
      return {
        reason: `Too little history to judge flapping: the group is ${days.toFixed(1)} days old (needs ${options.minDays}).`,
        evidence: { historyDays: Math.round(days * 10) / 10, minDays: options.minDays },
        status: 'protected',
        before: beforeOf(g),
      };
    }
    const { pairs, byDay } = countPairs(events, options.pairWithinMinutes * 60_000);
    const perDay = Math.round((pairs / days) * 10) / 10;
    if (perDay < options.minPairsPerDay) return undefined;
    const warmups = (g.policies ?? []).map((p) => ({
      policy: p.PolicyName,
      type: policyTypeOf(p),
      estimatedInstanceWarmup: p.EstimatedInstanceWarmup ?? null,
      cooldown: p.Cooldown ?? null,
    }));
    return {
      reason: `${pairs} scale-out/scale-in pairs in ${Math.round(days)} days (${perDay}/day): the warm-up or cooldown is likely too short, or the target too tight.`,
      evidence: {
        windowDays: options.windowDays,
        scaleOuts: events.filter((e) => e.direction === 1).length,
        scaleIns: events.filter((e) => e.direction === -1).length,
        pairs,
        pairsPerDay: perDay,
        busiestDayPairs: Math.max(0, ...Object.values(byDay)),
        defaultCooldown: g.defaultCooldown,
        defaultInstanceWarmup: g.defaultInstanceWarmup ?? null,
        policies: warmups,
      },
      savings: { monthlyUsd: 0, basis: ['Churn is billed as partial instance-hours (per-second, 60 s minimum) per launch; not estimated.'] },
      before: beforeOf(g),
    };
  },
};

export const stepScalingPolicies: Detector<Group, Record<string, never>> = {
  id: 'step-scaling-policies',
  resource: 'asg',
  title: 'Step or simple scaling where target tracking would serve better (report only)',
  options: z.object({}),
  needs: [ASG_NEEDS.policies],
  detect(g) {
    const legacy = (g.policies ?? []).filter((p) => p.Enabled !== false && ['StepScaling', 'SimpleScaling'].includes(policyTypeOf(p)));
    if (legacy.length === 0) return undefined;
    const hasTracking = (g.policies ?? []).some((p) => policyTypeOf(p) === 'TargetTrackingScaling');
    return {
      reason: `${legacy.length} ${legacy.map((p) => policyTypeOf(p)).join('/')} polic${legacy.length === 1 ? 'y' : 'ies'} (${legacy.map((p) => p.PolicyName).join(', ')}): a target-tracking policy scales in proportion to the load and manages its own alarms${hasTracking ? '; the group also has target tracking, and the two can fight' : ''}.`,
      evidence: {
        policies: legacy.map((p) => ({
          name: p.PolicyName,
          type: policyTypeOf(p),
          adjustmentType: p.AdjustmentType ?? null,
          scalingAdjustment: p.ScalingAdjustment ?? null,
          stepAdjustments: p.StepAdjustments?.length ?? 0,
          cooldown: p.Cooldown ?? null,
          alarms: (p.Alarms ?? []).map((a) => a.AlarmName),
        })),
        hasTargetTracking: hasTracking,
      },
      savings: { monthlyUsd: 0, basis: ['Report only: the saving depends on the target chosen when converting.'] },
      before: beforeOf(g),
    };
  },
};
