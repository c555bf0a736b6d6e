import { describe, expect, it } from 'vitest';
import type { ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import { addedCost, pinnedAtMax, proposeMaxSize, raiseMaxSize, underProvisionedAtMax } from '../../../../lib/resources/asg/capacity.ts';
import type { Group } from '../../../../lib/resources/asg/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import type { DetectEnv, Detection, Finding } from '../../../../lib/engine/types.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const env = { ctx: { now: NOW, prices: DEFAULT_PRICES }, prepared: {} } as unknown as DetectEnv;
const HOURS = 14 * 24;

const tt = (target: number): ScalingPolicy => ({
  AutoScalingGroupName: 'g', PolicyName: 'cpu-tt', PolicyType: 'TargetTrackingScaling', Enabled: true,
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: target },
});

/** 40 % of hours at MaxSize 8 with CPU 80 %, the rest at 4 instances and 40 % CPU. */
function busyProfile(hotShare = 0.4, max = 8) {
  const cpu: number[] = [];
  const inService: number[] = [];
  for (let h = 0; h < HOURS; h++) {
    const hot = h % 10 < hotShare * 10;
    cpu.push(hot ? 80 : 40);
    inService.push(hot ? max : 4);
  }
  return { cpu, inService };
}

function group(overrides: Partial<Group> & { cpu?: (number | null)[]; inService?: (number | null)[] } = {}): Group {
  const { cpu, inService, ...rest } = { ...busyProfile(), ...overrides };
  return {
    name: 'g', arn: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/g', region: 'us-east-1', tags: {},
    minSize: 2, maxSize: 8, desiredCapacity: 8, defaultCooldown: 300, inServiceNow: 8, enabledMetrics: ['GroupInServiceInstances'],
    instanceType: 'm5.large', instanceTypeSource: 'instances', createdAt: '2026-01-01T00:00:00.000Z',
    policies: [tt(50)],
    usage: { windowDays: 14, cpu: cpu!, inService: inService!, inServiceSource: 'GroupInServiceInstances' },
    ...rest,
  };
}

const detectOpts = (o: Record<string, unknown> = {}) => underProvisionedAtMax.options.parse(o) as never;
const actOpts = (o: Record<string, unknown> = {}) => raiseMaxSize.options.parse(o) as never;
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;

function findingFrom(d: Detection): Finding {
  return {
    ...d, id: 'f', policy: 'p', detector: 'under-provisioned-at-max', mode: 'approval', status: 'actionable',
    resource: { type: 'asg', id: 'g', arn: 'arn:g', account: '123456789012', region: 'us-east-1', tags: {} },
    savings: d.savings!,
  };
}

describe('pinnedAtMax', () => {
  it('counts the hours at MaxSize with CPU above the target', () => {
    // Act
    const share = pinnedAtMax(busyProfile(), 8, 50);

    // Assess
    expect(share).toEqual({ hours: HOURS, atMaxShare: 0.4, atMaxHotShare: 0.4, hotShare: 0.4 });
  });
});

describe('proposeMaxSize', () => {
  it('adds at most the step percent, rounded up, and at least one instance', () => {
    expect(proposeMaxSize(8, 30, { maxStepPercent: 25, maxSizeCap: 100 })).toBe(10);
    expect(proposeMaxSize(2, 30, { maxStepPercent: 25, maxSizeCap: 100 })).toBe(3);
    // Demand of 9.2 instances: 10 are enough, the step allows 10.
    expect(proposeMaxSize(8, 9.2, { maxStepPercent: 50, maxSizeCap: 100 })).toBe(10);
    // Measured demand below MaxSize (CPU capped at 100 %): still +1.
    expect(proposeMaxSize(8, 6, { maxStepPercent: 25, maxSizeCap: 100 })).toBe(9);
  });

  it('never goes above the cap', () => {
    expect(proposeMaxSize(8, 30, { maxStepPercent: 25, maxSizeCap: 9 })).toBe(9);
    expect(proposeMaxSize(9, 30, { maxStepPercent: 25, maxSizeCap: 9 })).toBe(9);
  });
});

describe('addedCost', () => {
  it('prices the added instance-hours as a negative saving', () => {
    // Prepare: every hour 8 instances at 80 % (load 640): at target 50 the group wants 13; MaxSize 8 → 10 adds 2 every hour.
    const profile = { cpu: Array(100).fill(80), inService: Array(100).fill(8) };

    // Act
    const cost = addedCost(profile, 50, 2, 8, 10, 'm5.large', DEFAULT_PRICES);

    // Assess: 2 × 730 h × $0.096 = $140.16 a month more
    expect(cost.addedInstanceHoursPerMonth).toBe(1460);
    expect(cost.monthlyUsd).toBe(-140.16);
    expect(cost.basis.join(' ')).toContain('negative saving');
  });

  it('says the cost is unknown for a type without a price', () => {
    const cost = addedCost({ cpu: [80], inService: [8] }, 50, 2, 8, 10, 'x9.mystery', DEFAULT_PRICES);
    expect(cost.monthlyUsd).toBe(0);
    expect(cost.basis.join(' ')).toContain('No on-demand price for x9.mystery');
  });
});

describe('under-provisioned-at-max', () => {
  it('flags a group pinned at MaxSize above its target as a performance finding with the risk stated', () => {
    // Act
    const d = one(underProvisionedAtMax.detect!(group(), detectOpts(), env));

    // Assess
    expect(d?.benefit).toEqual(['performance']);
    expect(d?.risk?.summary).toBe('at MaxSize 8 with CPU above the 50 % target for 40 % of hours');
    expect(d?.evidence).toMatchObject({ target: 50, maxSize: 8, atMaxAboveTargetShare: 0.4, candidate: 10, policyName: 'cpu-tt' });
    // More instances: an added cost, never a saving.
    expect(d?.savings?.monthlyUsd).toBeLessThan(0);
  });

  it('ignores a group that reaches MaxSize with CPU under the target', () => {
    const cool = group({ cpu: Array(HOURS).fill(45), inService: Array(HOURS).fill(8) });
    expect(underProvisionedAtMax.detect!(cool, detectOpts(), env)).toBeUndefined();
  });

  it('ignores a hot group that is not at MaxSize (target tracking can still scale out)', () => {
    const roomy = group({ maxSize: 20 });
    expect(underProvisionedAtMax.detect!(roomy, detectOpts(), env)).toBeUndefined();
  });

  it('ignores a share below minShare', () => {
    expect(underProvisionedAtMax.detect!(group(), detectOpts({ minShare: 0.5 }), env)).toBeUndefined();
  });

  it('ignores groups without CPU target tracking and groups with too little data', () => {
    expect(underProvisionedAtMax.detect!(group({ policies: [] }), detectOpts(), env)).toBeUndefined();
    const short = group({ cpu: [...Array(HOURS - 20).fill(null), ...Array(20).fill(90)], inService: [...Array(HOURS - 20).fill(null), ...Array(20).fill(8)] });
    expect(underProvisionedAtMax.detect!(short, detectOpts(), env)).toBeUndefined();
  });
});

describe('raise-max-size plan', () => {
  it('raises MaxSize by the bounded step and prices the added instances', () => {
    // Prepare
    const finding = findingFrom(one(underProvisionedAtMax.detect!(group(), detectOpts(), env))!);

    // Act
    const plan = raiseMaxSize.plan(finding, actOpts(), { now: NOW, prices: DEFAULT_PRICES });

    // Assess
    expect(plan).toMatchObject({ kind: 'change', params: { group: 'g', fromMaxSize: 8, toMaxSize: 10 } });
    expect(plan.kind === 'change' && plan.savings!.monthlyUsd).toBeLessThan(0);
    expect(plan.kind === 'change' && plan.undo).toContain('Set MaxSize back to 8');
  });

  it('does nothing at the cap, and refuses a fixed-size group', () => {
    const finding = findingFrom(one(underProvisionedAtMax.detect!(group(), detectOpts(), env))!);
    expect(raiseMaxSize.plan(finding, actOpts({ maxSizeCap: 8 }), { now: NOW, prices: DEFAULT_PRICES })).toMatchObject({ kind: 'noop', reason: expect.stringContaining('cap 8') });
    const fixed = findingFrom(one(underProvisionedAtMax.detect!(group({ minSize: 8 }), detectOpts(), env))!);
    expect(raiseMaxSize.plan(fixed, actOpts(), { now: NOW, prices: DEFAULT_PRICES })).toMatchObject({ kind: 'conflict', reason: expect.stringContaining('fixed-size') });
  });

  it('refuses a finding of another detector', () => {
    const other = { ...findingFrom({ reason: 'r', evidence: {} }), before: { group: { minSize: 1, maxSize: 4 } } } as Finding;
    expect(raiseMaxSize.plan(other, actOpts(), { now: NOW, prices: DEFAULT_PRICES })).toMatchObject({ kind: 'conflict' });
  });

  it('asks for approval by default and a 7-day cooldown', () => {
    expect(raiseMaxSize.defaultMode).toBe('approval');
    expect(raiseMaxSize.minCooldownHours!(actOpts())).toBe(168);
  });
});
