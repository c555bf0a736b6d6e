/**
 * raise-target, lower-min-size, lengthen-warmup (lib/resources/asg/remediators.ts): each action's metadata and
 * options, and each plan's answers (change, noop, conflict) with exact texts and values, for the mutation run
 * (docs/testing.md "Mutation testing (issue 30)"). The proposals' arithmetic is tested in remediators.test.ts;
 * apply, verify and undo against a scripted Auto Scaling in tuning-remediators.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import type { Finding } from '../../../../lib/engine/types.ts';
import { lengthenWarmup, lowerMinSize, putInputFrom, raiseTarget } from '../../../../lib/resources/asg/remediators.ts';
import { findingOf, planCtx } from '../fake-aws.ts';

const NAME = 'web';
const LINUX = { platformDetails: 'Linux/UNIX', tenancy: 'default' };
const tt = (target: number, extra: Partial<ScalingPolicy> = {}): ScalingPolicy => ({
  AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', Enabled: true,
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: target }, ...extra,
});
const simple = (name: string, cooldown: number): ScalingPolicy => ({ AutoScalingGroupName: NAME, PolicyName: name, PolicyType: 'SimpleScaling', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1, Cooldown: cooldown });

function finding(group: Record<string, number>, policies: ScalingPolicy[], evidence: Record<string, unknown>, detector = 'over-provisioned-target-tracking'): Finding {
  return findingOf('asg', NAME, { group: { name: NAME, minSize: 2, maxSize: 24, desiredCapacity: 8, defaultCooldown: 300, ...group }, policies }, { detector, evidence });
}
const MODEL = 'Model: ceil(load / target) instances per hour within [MinSize, MaxSize], load = in-service × CPU%;';
const C5 = 'c5.xlarge Linux, Shared on-demand $0.17/hour (list price); Spot, Savings Plans and RIs make the real saving smaller.';
const NO_PROFILE = "Finding from detector 'other' carries no usage profile; this action needs one from 'over-provisioned-target-tracking' or 'min-size-unneeded'.";

/** Each bad value refused naming the option; each bound itself accepted. */
function expectBounds(schema: { safeParse: (v: unknown) => { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } }, good: Record<string, unknown>[], bad: Record<string, unknown>[]) {
  for (const g of good) expect(schema.safeParse(g).success, JSON.stringify(g)).toBe(true);
  for (const b of bad) {
    const parsed = schema.safeParse(b);
    expect(parsed.success, JSON.stringify(b)).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(Object.keys(b));
  }
}

describe('raise-target metadata and plan', () => {
  const opts = (o: Record<string, unknown> = {}) => raiseTarget.options.parse(o) as { maxTarget: number; maxStepPoints: number; tuningCooldownDays: number };
  const profile = { cpu: Array(100).fill(30), inService: Array(100).fill(8) };

  it('names the action, its resource, title, permissions and undo limits, and is dry-run by default', () => {
    expect([raiseTarget.id, raiseTarget.resource, raiseTarget.defaultMode, raiseTarget.undoable]).toEqual(['raise-target', 'asg', 'dry-run', 'yes']);
    expect(raiseTarget.title).toBe('Raise a CPU target-tracking target, bounded (never above maxTarget, at most +maxStepPoints a change)');
    expect(raiseTarget.permissions).toEqual(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies', 'autoscaling:PutScalingPolicy']);
    expect(raiseTarget.undoLimits).toBe("Instances Auto Scaling did not launch, or terminated, under the higher target: the group scales back toward the old target from its size at the time, with new instances (new ids and addresses, nothing of the old instances' local disks).");
  });

  it('defaults to a 70 % bound, +10 points a change and a 7-day cooldown, and refuses options past their bounds', () => {
    expect(opts()).toEqual({ maxTarget: 70, maxStepPoints: 10, tuningCooldownDays: 7 });
    expect(raiseTarget.minCooldownHours!(opts({ tuningCooldownDays: 3 }))).toBe(72);
    expectBounds(raiseTarget.options, [{ maxTarget: 1, maxStepPoints: 1, tuningCooldownDays: 0 }, { maxTarget: 100, maxStepPoints: 50, tuningCooldownDays: 365 }], [
      { maxTarget: 0.5 }, { maxTarget: 101 }, { maxStepPoints: 0.5 }, { maxStepPoints: 51 }, { tuningCooldownDays: -1 }, { tuningCooldownDays: 366 },
    ]);
  });

  it('plans the raised target with its summary, undo and the saving of the instances it removes', () => {
    // Act: 8 instances at 30 % (load 240): 8 at a 30 % target, 6 at 40 %.
    const plan = raiseTarget.plan(finding({}, [tt(30)], { profile, instanceType: 'c5.xlarge', platform: LINUX }), opts(), planCtx);

    // Assess: 2 × 100 h → 1460 h a month × $0.17 = $248.20
    expect(plan).toEqual({
      kind: 'change',
      summary: "Raise the CPU target of 'cpu' on web from 30% to 40% (bound 70%).",
      params: { group: NAME, policyName: 'cpu', fromTarget: 30, toTarget: 40 },
      undo: 'Put the policy back with target 30% and its full recorded configuration.',
      savings: { monthlyUsd: 248.2, basis: [`${MODEL} 200 instance-hours fewer over 100 hours with data → 1460 instance-hours/month.`, C5] },
    });
  });

  it('does not price a finding without an instance type', () => {
    const plan = raiseTarget.plan(finding({}, [tt(30)], { profile, instanceType: null }), opts(), planCtx);
    expect(plan.kind === 'change' && plan.savings!.monthlyUsd).toBe(0);
  });

  it('answers the proposal\'s noop as it is, and a conflict naming the detector for a finding without a usage profile', () => {
    expect(raiseTarget.plan(finding({}, [tt(70)], { profile }), opts(), planCtx)).toEqual({ kind: 'noop', reason: "Already at the bound: target 70% is at or above the policy's maximum 70%." });
    expect(raiseTarget.plan(finding({}, [tt(30)], {}, 'other'), opts(), planCtx)).toEqual({ kind: 'conflict', reason: NO_PROFILE });
  });
});

describe('lower-min-size metadata and plan', () => {
  const opts = (o: Record<string, unknown> = {}) => lowerMinSize.options.parse(o) as { floor: number; maxReductionPercent: number; tuningCooldownDays: number };
  const evidence = { profile: { cpu: Array(10).fill(12), inService: Array(10).fill(6) }, recommendedMinSize: 2, demandTargetCpu: 50, instanceType: 'c5.xlarge', platform: LINUX };

  it('names the action, its resource, title, permissions and undo limits, and is dry-run by default', () => {
    expect([lowerMinSize.id, lowerMinSize.resource, lowerMinSize.defaultMode, lowerMinSize.undoable]).toEqual(['lower-min-size', 'asg', 'dry-run', 'yes']);
    expect(lowerMinSize.title).toBe('Lower MinSize to what the load needs, bounded by a floor and a step limit');
    expect(lowerMinSize.permissions).toEqual(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies', 'autoscaling:UpdateAutoScalingGroup']);
    expect(lowerMinSize.undoLimits).toBe('Instances Auto Scaling terminated under the lower MinSize are gone, with their instance-store and local data; raising MinSize back launches new ones from the launch template (new ids and IP addresses).');
  });

  it('defaults to a floor of 1, −50 % a change and a 7-day cooldown, and refuses options past their bounds', () => {
    expect(opts()).toEqual({ floor: 1, maxReductionPercent: 50, tuningCooldownDays: 7 });
    expect(lowerMinSize.minCooldownHours!(opts({ tuningCooldownDays: 1 }))).toBe(24);
    expectBounds(lowerMinSize.options, [{ floor: 0, maxReductionPercent: 1, tuningCooldownDays: 0 }, { floor: 500, maxReductionPercent: 100, tuningCooldownDays: 365 }], [
      { floor: -1 }, { floor: 1.5 }, { maxReductionPercent: 0.5 }, { maxReductionPercent: 101 }, { tuningCooldownDays: -0.5 }, { tuningCooldownDays: 365.5 },
    ]);
  });

  it('plans the lower MinSize within the step limit with its summary, undo and saving', () => {
    // Act: MinSize 6, the load needs 2, −50 % allows 3.
    const plan = lowerMinSize.plan(finding({ minSize: 6 }, [tt(50)], evidence, 'min-size-unneeded'), opts(), planCtx);

    // Assess: 3 fewer × 10 h → 2190 h a month × $0.17 = $372.30
    expect(plan).toEqual({
      kind: 'change',
      summary: 'Lower MinSize of web from 6 to 3 (floor 1, at most −50% a change).',
      params: { group: NAME, fromMinSize: 6, toMinSize: 3 },
      undo: 'Set MinSize back to 6 (Auto Scaling raises the desired capacity to it if needed).',
      savings: { monthlyUsd: 372.3, basis: [`${MODEL} 30 instance-hours fewer over 10 hours with data → 2190 instance-hours/month.`, C5] },
    });
  });

  it('does not price a finding without an instance type', () => {
    const plan = lowerMinSize.plan(finding({ minSize: 6 }, [tt(50)], { ...evidence, instanceType: null }, 'min-size-unneeded'), opts(), planCtx);
    expect(plan.kind === 'change' && plan.savings!.monthlyUsd).toBe(0);
  });

  it('refuses a finding without a usage profile, a recommended MinSize or a demand target, naming the detector', () => {
    const noRecommendation = { kind: 'conflict', reason: "Finding from detector 'other' has no recommended MinSize; use 'min-size-unneeded' with this action." };
    expect(lowerMinSize.plan(finding({ minSize: 6 }, [tt(50)], { ...evidence, profile: undefined }, 'other'), opts(), planCtx)).toEqual({ kind: 'conflict', reason: NO_PROFILE });
    expect(lowerMinSize.plan(finding({ minSize: 6 }, [tt(50)], { ...evidence, recommendedMinSize: undefined }, 'other'), opts(), planCtx)).toEqual(noRecommendation);
    expect(lowerMinSize.plan(finding({ minSize: 6 }, [tt(50)], { ...evidence, demandTargetCpu: undefined }, 'other'), opts(), planCtx)).toEqual(noRecommendation);
  });

  it("answers the proposal's noop as it is", () => {
    expect(lowerMinSize.plan(finding({ minSize: 1 }, [tt(50)], { ...evidence, recommendedMinSize: 0 }, 'min-size-unneeded'), opts(), planCtx)).toEqual({
      kind: 'noop',
      reason: 'Already at the bound: MinSize 1 is at the floor (1) or the step limit allows no lower value.',
    });
  });
});

describe('lengthen-warmup metadata and plan', () => {
  const opts = (o: Record<string, unknown> = {}) => lengthenWarmup.options.parse(o) as { minSeconds: number; factor: number; maxSeconds: number; tuningCooldownDays: number };

  it('names the action, its resource, title, permissions and undo limits, and is dry-run by default', () => {
    expect([lengthenWarmup.id, lengthenWarmup.resource, lengthenWarmup.defaultMode, lengthenWarmup.undoable]).toEqual(['lengthen-warmup', 'asg', 'dry-run', 'yes']);
    expect(lengthenWarmup.title).toBe("Lengthen the scaling policies' instance warm-up (or cooldown), bounded");
    expect(lengthenWarmup.permissions).toEqual(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies', 'autoscaling:PutScalingPolicy', 'autoscaling:UpdateAutoScalingGroup']);
    expect(lengthenWarmup.undoLimits).toBe('Scaling decisions Auto Scaling made while the longer warm-up and cooldown applied (later scale-outs, instances it did or did not launch) are not replayed; no data is lost.');
  });

  it('defaults to 300 s at least, ×2 a change, 900 s at most and a 7-day cooldown, and refuses options past their bounds', () => {
    expect(opts()).toEqual({ minSeconds: 300, factor: 2, maxSeconds: 900, tuningCooldownDays: 7 });
    expect(lengthenWarmup.minCooldownHours!(opts({ tuningCooldownDays: 10 }))).toBe(240);
    expectBounds(lengthenWarmup.options, [{ minSeconds: 0, factor: 1.1, maxSeconds: 60, tuningCooldownDays: 0 }, { minSeconds: 3600, factor: 10, maxSeconds: 3600, tuningCooldownDays: 365 }], [
      { minSeconds: -1 }, { minSeconds: 3601 }, { minSeconds: 30.5 }, { factor: 1.05 }, { factor: 10.5 }, { maxSeconds: 59 }, { maxSeconds: 3601 }, { maxSeconds: 120.5 }, { tuningCooldownDays: -1 }, { tuningCooldownDays: 366 },
    ]);
  });

  it('plans each policy change and the group cooldown in one summary, with a saving of 0 it explains', () => {
    // Act
    const plan = lengthenWarmup.plan(finding({ defaultCooldown: 120 }, [simple('up', 60), simple('down', 120)], {}), opts(), planCtx);

    // Assess
    expect(plan).toEqual({
      kind: 'change',
      summary: "Lengthen warm-up/cooldown on web: 'up' Cooldown 60s → 300s; 'down' Cooldown 120s → 300s.",
      params: { group: NAME, changes: [{ policyName: 'up', field: 'Cooldown', from: 60, to: 300 }, { policyName: 'down', field: 'Cooldown', from: 120, to: 300 }] },
      undo: 'Put back the recorded policy configurations and group cooldown.',
      savings: { monthlyUsd: 0, basis: ['Fewer launch/terminate pairs; the churn saving is not estimated.'] },
    });
  });

  it('names the group for its DefaultCooldown, and answers the noop as it is', () => {
    const group = lengthenWarmup.plan(finding({ defaultCooldown: 120 }, [], {}), opts(), planCtx);
    expect(group.kind === 'change' && group.summary).toBe('Lengthen warm-up/cooldown on web: group DefaultCooldown 120s → 300s.');
    const noop = lengthenWarmup.plan(finding({}, [tt(45, { EstimatedInstanceWarmup: 900 })], {}), opts(), planCtx);
    expect(noop).toEqual({ kind: 'noop', reason: "Already at the bound: every warm-up/cooldown is at least 900 s (the policy's maximum)." });
  });
});

describe('putInputFrom: the whole PutScalingPolicy input of a described policy', () => {
  it('sends a policy described without a type or Enabled flag as an enabled simple scaling policy, with its simple fields only', () => {
    // Prepare: an old policy: no PolicyType, no Enabled, a warm-up (not a simple scaling field).
    const policy = { AutoScalingGroupName: NAME, PolicyName: 'old', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 2, Cooldown: 60, EstimatedInstanceWarmup: 90 } as ScalingPolicy;

    // Act
    const input = putInputFrom(policy);

    // Assess
    expect(input).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'old', PolicyType: 'SimpleScaling', Enabled: true, AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 2, Cooldown: 60 });
  });

  it('keeps a disabled policy disabled and sends a legacy MinAdjustmentStep as MinAdjustmentMagnitude', () => {
    // Prepare
    const policy = { AutoScalingGroupName: NAME, PolicyName: 'pct', PolicyType: 'SimpleScaling', Enabled: false, AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentStep: 2, ScalingAdjustment: 10 } as ScalingPolicy;

    // Act
    const input = putInputFrom(policy);

    // Assess
    expect(input).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'pct', PolicyType: 'SimpleScaling', Enabled: false, AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 2, ScalingAdjustment: 10 });
  });

  it('prefers MinAdjustmentMagnitude to the legacy MinAdjustmentStep when AWS describes both', () => {
    const input = putInputFrom({ AutoScalingGroupName: NAME, PolicyName: 'pct', PolicyType: 'SimpleScaling', AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 3, MinAdjustmentStep: 2, ScalingAdjustment: 10 } as ScalingPolicy);
    expect(input.MinAdjustmentMagnitude).toBe(3);
  });

  it('sends the steps of a step scaling policy, and leaves out null members and empty lists', () => {
    // Prepare
    const steps = [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }];
    const policy = { AutoScalingGroupName: NAME, PolicyName: 'step', PolicyType: 'StepScaling', Enabled: true, AdjustmentType: 'ChangeInCapacity', MetricAggregationType: null, StepAdjustments: steps, EstimatedInstanceWarmup: 120 } as unknown as ScalingPolicy;
    const empty = { AutoScalingGroupName: NAME, PolicyName: 'step', PolicyType: 'StepScaling', Enabled: true, AdjustmentType: 'ChangeInCapacity', StepAdjustments: [] } as ScalingPolicy;

    // Act
    const input = putInputFrom(policy);
    const none = putInputFrom(empty);

    // Assess
    expect(input).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'step', PolicyType: 'StepScaling', Enabled: true, AdjustmentType: 'ChangeInCapacity', StepAdjustments: steps, EstimatedInstanceWarmup: 120 });
    expect(none).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'step', PolicyType: 'StepScaling', Enabled: true, AdjustmentType: 'ChangeInCapacity' });
  });

  it('sends every field of its type: a step policy\'s magnitude and aggregation, a target tracking policy\'s warm-up', () => {
    // Prepare
    const steps = [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 10 }];
    const step = { AutoScalingGroupName: NAME, PolicyName: 'step', PolicyType: 'StepScaling', Enabled: true, AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 2, MetricAggregationType: 'Maximum', StepAdjustments: steps, EstimatedInstanceWarmup: 90 } as ScalingPolicy;
    const tracking = { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' } };
    const target = { AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', Enabled: true, TargetTrackingConfiguration: tracking, EstimatedInstanceWarmup: 300 } as ScalingPolicy;

    // Act / Assess
    expect(putInputFrom(step)).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'step', PolicyType: 'StepScaling', Enabled: true, AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 2, MetricAggregationType: 'Maximum', StepAdjustments: steps, EstimatedInstanceWarmup: 90 });
    expect(putInputFrom(target)).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', Enabled: true, TargetTrackingConfiguration: tracking, EstimatedInstanceWarmup: 300 });
  });

  it('copies the configuration, so changing the input leaves the recorded policy as it was', () => {
    // Prepare
    const policy = tt(50);

    // Act
    const input = putInputFrom(policy);
    input.TargetTrackingConfiguration!.TargetValue = 60;

    // Assess
    expect(policy.TargetTrackingConfiguration!.TargetValue).toBe(50);
  });

  it('sends only the common fields of a policy type it does not know', () => {
    const input = putInputFrom({ AutoScalingGroupName: NAME, PolicyName: 'x', PolicyType: 'FutureScaling', Enabled: true, Cooldown: 60 } as ScalingPolicy);
    expect(input).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'x', PolicyType: 'FutureScaling', Enabled: true });
  });

  it('sends the predictive configuration of a predictive scaling policy', () => {
    const config = { MetricSpecifications: [{ TargetValue: 40, PredefinedMetricPairSpecification: { PredefinedMetricType: 'ASGCPUUtilization' } }], Mode: 'ForecastOnly' };
    const input = putInputFrom({ AutoScalingGroupName: NAME, PolicyName: 'p', PolicyType: 'PredictiveScaling', Enabled: true, PredictiveScalingConfiguration: config } as ScalingPolicy);
    expect(input).toStrictEqual({ AutoScalingGroupName: NAME, PolicyName: 'p', PolicyType: 'PredictiveScaling', Enabled: true, PredictiveScalingConfiguration: config });
  });
});
