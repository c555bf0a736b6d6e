/**
 * Pure planning shared by detectors (estimate at the default bounds) and remediators (exact
 * plan at the policy's bounds): which policy to change, to what, and what it saves.
 */
import type { ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import type { SavingsEstimate } from '../../engine/types.ts';
import type { PriceTable } from '../../savings/prices.ts';
import { ec2RatesFor, type Ec2Platform } from '../../savings/licensed.ts';
import { instanceHoursSaved, type HourlyProfile, type Settings } from './usage.ts';

/** The group's sizes and warm-up settings as recorded before a change. */
export interface GroupSizes {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  defaultCooldown: number;
  defaultInstanceWarmup?: number;
}

/** Before-state of every asg finding: the group's sizes and its policies' full configuration. */
export interface AsgBefore {
  group: GroupSizes;
  policies: ScalingPolicy[];
}

export const policyTypeOf = (p: ScalingPolicy) => p.PolicyType ?? 'SimpleScaling';

/** The enabled target-tracking policy on average CPU, if the group has one. */
export const cpuTargetPolicy = (policies: ScalingPolicy[] = []) =>
  policies.find(
    (p) =>
      policyTypeOf(p) === 'TargetTrackingScaling' &&
      p.Enabled !== false &&
      p.TargetTrackingConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType === 'ASGAverageCPUUtilization',
  );

/** Whether some policy can remove instances (else a lower MinSize removes nothing by itself). */
export function canScaleIn(policies: ScalingPolicy[] = []): boolean {
  return policies.some((p) => {
    if (p.Enabled === false) return false;
    const type = policyTypeOf(p);
    if (type === 'TargetTrackingScaling') return !p.TargetTrackingConfiguration?.DisableScaleIn;
    if (type === 'SimpleScaling') return (p.ScalingAdjustment ?? 0) < 0;
    if (type === 'StepScaling') return (p.StepAdjustments ?? []).some((s) => (s.ScalingAdjustment ?? 0) < 0);
    return false;
  });
}

/** Savings of a settings change: instance-hours saved × the on-demand price of the group's type. */
export function savingsFor(
  profile: HourlyProfile,
  from: Settings,
  to: Settings,
  instanceType: string | undefined,
  prices: PriceTable,
  platform?: Ec2Platform,
): SavingsEstimate & { instanceHoursPerMonth: number } {
  const hours = instanceHoursSaved(profile, from, to, prices.hoursPerMonth);
  // The group's operating system and tenancy (its launch template's AMI) when the run read it (the `platform` need of
  // oversized-group-instances; the alarm-driven tuning detectors do not ask for it, to keep the alarm path's calls): Linux otherwise, and the basis says so.
  const rates = ec2RatesFor(prices, platform ?? { unknown: 'not read' });
  const price = instanceType && rates.priced ? rates.hourly(instanceType) : undefined;
  const model = `Model: ceil(load / target) instances per hour within [MinSize, MaxSize], load = in-service × CPU%; ${hours.savedInWindow} instance-hours fewer over ${hours.windowHours} hours with data → ${hours.monthly} instance-hours/month.`;
  if (price === undefined) {
    return {
      monthlyUsd: 0,
      instanceHoursPerMonth: hours.monthly,
      basis: [model, !instanceType ? 'Instance type unknown (no instances, launch template not read): estimate 0.' : !rates.priced ? `${rates.why}: estimate 0.` : `No on-demand price for ${instanceType} (${rates.os}) in the price table (add it under prices.${rates.field}): estimate 0.`],
    };
  }
  return {
    monthlyUsd: Math.round(hours.monthly * price * 100) / 100,
    instanceHoursPerMonth: hours.monthly,
    basis: [model, `${instanceType} ${rates.words} on-demand $${price}/hour (list price); Spot, Savings Plans and RIs make the real saving smaller${rates.assumed ? `; ${rates.assumed}` : ''}.`],
  };
}

export interface RaiseTargetOptions {
  maxTarget: number;
  maxStepPoints: number;
}

export type Proposal<T> = { kind: 'noop'; reason: string } | ({ kind: 'change'; savings: SavingsEstimate & { instanceHoursPerMonth: number } } & T);

export function proposeRaiseTarget(
  before: AsgBefore,
  profile: HourlyProfile,
  instanceType: string | undefined,
  options: RaiseTargetOptions,
  prices: PriceTable,
  platform?: Ec2Platform,
): Proposal<{ policyName: string; fromTarget: number; toTarget: number }> {
  const policy = cpuTargetPolicy(before.policies);
  if (!policy) return { kind: 'noop', reason: 'The group has no enabled target-tracking policy on ASGAverageCPUUtilization.' };
  const from = policy.TargetTrackingConfiguration!.TargetValue!;
  if (from >= options.maxTarget) return { kind: 'noop', reason: `Already at the bound: target ${from}% is at or above the policy's maximum ${options.maxTarget}%.` };
  const to = Math.min(options.maxTarget, from + options.maxStepPoints);
  const { minSize, maxSize } = before.group;
  const savings = savingsFor(profile, { target: from, minSize, maxSize }, { target: to, minSize, maxSize }, instanceType, prices, platform);
  if (savings.instanceHoursPerMonth === 0) {
    return { kind: 'noop', reason: `Raising the target ${from}% → ${to}% would remove no instance-hours: the group sits at MinSize ${minSize}; lowering MinSize is the lever.` };
  }
  return { kind: 'change', policyName: policy.PolicyName!, fromTarget: from, toTarget: to, savings };
}

export interface LowerMinOptions {
  floor: number;
  maxReductionPercent: number;
}

export function proposeLowerMin(
  before: AsgBefore,
  profile: HourlyProfile,
  demandTarget: number,
  recommendedMinSize: number,
  instanceType: string | undefined,
  options: LowerMinOptions,
  prices: PriceTable,
  platform?: Ec2Platform,
): Proposal<{ fromMinSize: number; toMinSize: number }> {
  const { minSize, maxSize } = before.group;
  const stepFloor = Math.ceil(minSize * (1 - options.maxReductionPercent / 100));
  const to = Math.max(options.floor, recommendedMinSize, stepFloor);
  if (to >= minSize) return { kind: 'noop', reason: `Already at the bound: MinSize ${minSize} is at the floor (${options.floor}) or the step limit allows no lower value.` };
  if (!canScaleIn(before.policies)) {
    return { kind: 'noop', reason: 'No enabled scaling policy scales the group in, so a lower MinSize would remove no instance by itself.' };
  }
  const savings = savingsFor(profile, { target: demandTarget, minSize, maxSize }, { target: demandTarget, minSize: to, maxSize }, instanceType, prices, platform);
  return { kind: 'change', fromMinSize: minSize, toMinSize: to, savings };
}

export interface WarmupOptions {
  minSeconds: number;
  factor: number;
  maxSeconds: number;
}

/** One setting to lengthen: a policy's warm-up / cooldown, or the group's default cooldown. */
export interface WarmupChange {
  policyName?: string;
  field: 'EstimatedInstanceWarmup' | 'Cooldown' | 'DefaultCooldown';
  from: number;
  to: number;
}

/** The warm-up (target tracking, step) or cooldown (simple) each scaling policy has now. */
export function proposeWarmup(before: AsgBefore, options: WarmupOptions): { kind: 'noop'; reason: string } | { kind: 'change'; changes: WarmupChange[] } {
  const g = before.group;
  const groupWarmup = g.defaultInstanceWarmup ?? g.defaultCooldown;
  const lengthen = (from: number) => Math.min(options.maxSeconds, Math.max(options.minSeconds, Math.round(from * options.factor)));
  const candidates: WarmupChange[] = [];
  const dynamic = before.policies.filter((p) => p.Enabled !== false && policyTypeOf(p) !== 'PredictiveScaling');
  for (const p of dynamic) {
    const type = policyTypeOf(p);
    const field = type === 'SimpleScaling' ? 'Cooldown' : 'EstimatedInstanceWarmup';
    const from = (type === 'SimpleScaling' ? p.Cooldown : p.EstimatedInstanceWarmup) ?? (type === 'SimpleScaling' ? g.defaultCooldown : groupWarmup);
    candidates.push({ policyName: p.PolicyName!, field, from, to: lengthen(from) });
  }
  if (dynamic.length === 0) candidates.push({ field: 'DefaultCooldown', from: g.defaultCooldown, to: lengthen(g.defaultCooldown) });
  const changes = candidates.filter((c) => c.to > c.from);
  if (changes.length === 0) return { kind: 'noop', reason: `Already at the bound: every warm-up/cooldown is at least ${options.maxSeconds} s (the policy's maximum).` };
  return { kind: 'change', changes };
}

/** The remediators' default bounds; detectors estimate savings with them when no action is set. */
export const DEFAULT_RAISE_TARGET: RaiseTargetOptions = { maxTarget: 70, maxStepPoints: 10 };
export const DEFAULT_LOWER_MIN: LowerMinOptions = { floor: 1, maxReductionPercent: 50 };
export const DEFAULT_WARMUP: WarmupOptions = { minSeconds: 300, factor: 2, maxSeconds: 900 };
