import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import type { Finding } from '../../../../lib/engine/types.ts';
import { lengthenWarmup, lowerMinSize, putInputFrom, raiseTarget } from '../../../../lib/resources/asg/remediators.ts';
import type { AsgBefore } from '../../../../lib/resources/asg/tuning.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const ctx = { now: new Date('2026-11-01T00:00:00Z'), prices: DEFAULT_PRICES };
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../fixtures/auto-scaling/${name}`, import.meta.url), 'utf8'));

const tt = (target: number, extra: Partial<ScalingPolicy> = {}): ScalingPolicy => ({
  AutoScalingGroupName: 'g', PolicyName: 'cpu-tt', PolicyType: 'TargetTrackingScaling', Enabled: true,
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: target }, ...extra,
});

function finding(before: Partial<AsgBefore['group']>, policies: ScalingPolicy[], evidence: Record<string, unknown> = {}): Finding {
  const hours = 100;
  return {
    id: 'f', policy: 'p', detector: 'over-provisioned-target-tracking', mode: 'auto', status: 'actionable', reason: 'r',
    resource: { type: 'asg', id: 'g', arn: 'arn:g', account: '123456789012', region: 'us-east-1', tags: {} },
    savings: { monthlyUsd: 0, basis: [] },
    evidence: { instanceType: 'c5.xlarge', profile: { cpu: Array(hours).fill(30), inService: Array(hours).fill(8) }, ...evidence },
    before: { group: { name: 'g', minSize: 2, maxSize: 24, desiredCapacity: 8, defaultCooldown: 300, ...before }, policies },
  };
}

describe('raise-target plan', () => {
  it('raises by at most maxStepPoints, with the saving of the new target', () => {
    // Act
    const plan = raiseTarget.plan(finding({}, [tt(30)]), raiseTarget.options.parse({}) as never, ctx);

    // Assess: 8 → 6 instances of c5.xlarge ($0.17) for 730 h
    expect(plan).toMatchObject({ kind: 'change', params: { group: 'g', policyName: 'cpu-tt', fromTarget: 30, toTarget: 40 }, savings: { monthlyUsd: 248.2 } });
  });

  it('never goes above maxTarget', () => {
    // 14 instances at 60%: 13 instances at a 65% target, 12 at 70%
    const plan = raiseTarget.plan(finding({}, [tt(65)], { profile: { cpu: [60], inService: [14] } }), raiseTarget.options.parse({ maxTarget: 70 }) as never, ctx);
    expect(plan).toMatchObject({ kind: 'change', params: { toTarget: 70 } });
  });

  it('does nothing for a target already at the bound', () => {
    const plan = raiseTarget.plan(finding({}, [tt(70)]), raiseTarget.options.parse({}) as never, ctx);
    expect(plan).toEqual({ kind: 'noop', reason: "Already at the bound: target 70% is at or above the policy's maximum 70%." });
  });

  it('asks for a 7-day cooldown by default and follows the option', () => {
    expect(raiseTarget.minCooldownHours!(raiseTarget.options.parse({}) as never)).toBe(168);
    expect(raiseTarget.minCooldownHours!(raiseTarget.options.parse({ tuningCooldownDays: 2 }) as never)).toBe(48);
  });
});

describe('lower-min-size plan', () => {
  const f = (minSize: number, recommendedMinSize: number, policies = [tt(50)]) =>
    finding({ minSize }, policies, { recommendedMinSize, demandTargetCpu: 50, profile: { cpu: Array(10).fill(12), inService: Array(10).fill(minSize) } });

  it('lowers to the recommendation within the step limit and the floor', () => {
    expect(lowerMinSize.plan(f(6, 2), lowerMinSize.options.parse({}) as never, ctx)).toMatchObject({ kind: 'change', params: { fromMinSize: 6, toMinSize: 3 } });
    expect(lowerMinSize.plan(f(6, 0), lowerMinSize.options.parse({ maxReductionPercent: 100, floor: 2 }) as never, ctx)).toMatchObject({ params: { toMinSize: 2 } });
  });

  it('does nothing at the floor, or when no policy scales the group in', () => {
    expect(lowerMinSize.plan(f(1, 0), lowerMinSize.options.parse({}) as never, ctx)).toMatchObject({ kind: 'noop' });
    expect(lowerMinSize.plan(f(6, 2, [tt(50, { TargetTrackingConfiguration: { TargetValue: 50, DisableScaleIn: true, PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' } } })]), lowerMinSize.options.parse({}) as never, ctx)).toMatchObject({
      kind: 'noop',
      reason: expect.stringContaining('No enabled scaling policy scales the group in'),
    });
  });
});

describe('lengthen-warmup plan', () => {
  it('doubles a short warm-up up to at least minSeconds, never above maxSeconds', () => {
    const plan = lengthenWarmup.plan(finding({}, [tt(45, { EstimatedInstanceWarmup: 60 })]), lengthenWarmup.options.parse({}) as never, ctx);
    expect(plan).toMatchObject({ kind: 'change', params: { changes: [{ policyName: 'cpu-tt', field: 'EstimatedInstanceWarmup', from: 60, to: 300 }] } });
    const capped = lengthenWarmup.plan(finding({}, [tt(45, { EstimatedInstanceWarmup: 600 })]), lengthenWarmup.options.parse({}) as never, ctx);
    expect(capped).toMatchObject({ params: { changes: [{ from: 600, to: 900 }] } });
  });

  it('does nothing when every warm-up is already at the bound', () => {
    const plan = lengthenWarmup.plan(finding({}, [tt(45, { EstimatedInstanceWarmup: 900 })]), lengthenWarmup.options.parse({}) as never, ctx);
    expect(plan.kind).toBe('noop');
  });

  it('lengthens a simple policy cooldown, and the group default cooldown when there is no policy', () => {
    const simple = fixture('DescribePolicies-simple-scaling.botocore-example.json').ScalingPolicies as ScalingPolicy[];
    const plan = lengthenWarmup.plan(finding({ defaultCooldown: 120 }, simple), lengthenWarmup.options.parse({}) as never, ctx);
    expect(plan).toMatchObject({ params: { changes: [{ policyName: 'ScaleIn', field: 'Cooldown', from: 120, to: 300 }, { policyName: 'ScalePercentChange', field: 'Cooldown', from: 60, to: 300 }] } });
    const none = lengthenWarmup.plan(finding({ defaultCooldown: 120 }, []), lengthenWarmup.options.parse({}) as never, ctx);
    expect(none).toMatchObject({ params: { changes: [{ field: 'DefaultCooldown', from: 120, to: 300 }] } });
  });
});

describe('putInputFrom', () => {
  it('turns a recorded target-tracking policy into a PutScalingPolicy input without alarms or an empty step list', () => {
    // Prepare: the recorded policy (cloud-custodian placebo)
    const [policy] = fixture('DescribePolicies-target-tracking.json').data.ScalingPolicies as ScalingPolicy[];

    // Act
    const input = putInputFrom(policy);

    // Assess
    expect(input).toEqual({
      AutoScalingGroupName: 'asg-test-scaling-policy',
      PolicyName: 'Target Tracking Policy',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50, DisableScaleIn: false },
      Enabled: true,
    });
  });
});
