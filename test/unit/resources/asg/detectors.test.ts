import { describe, expect, it } from 'vitest';
import type { ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import { countPairs, flapping, minSizeUnneeded, overProvisionedTargetTracking, stepScalingPolicies } from '../../../../lib/resources/asg/detectors.ts';
import type { Group } from '../../../../lib/resources/asg/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import type { DetectEnv, Detection } from '../../../../lib/engine/types.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const env = { ctx: { now: NOW, prices: DEFAULT_PRICES }, prepared: {} } as unknown as DetectEnv;
const HOURS = 14 * 24;

const tt = (target: number, extra: Partial<ScalingPolicy> = {}): ScalingPolicy => ({
  AutoScalingGroupName: 'g',
  PolicyName: 'cpu-tt',
  PolicyType: 'TargetTrackingScaling',
  Enabled: true,
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: target },
  ...extra,
});

function group(overrides: Partial<Group> & { cpu?: (number | null)[]; inService?: (number | null)[] } = {}): Group {
  const { cpu = Array(HOURS).fill(12), inService = Array(HOURS).fill(6), ...rest } = overrides;
  return {
    name: 'g', arn: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/g', region: 'us-east-1', tags: {},
    minSize: 6, maxSize: 20, desiredCapacity: 6, defaultCooldown: 300, inServiceNow: 6, enabledMetrics: ['GroupInServiceInstances'],
    instanceType: 'm5.large', instanceTypeSource: 'instances', createdAt: '2026-01-01T00:00:00.000Z',
    policies: [tt(50)],
    usage: { windowDays: 14, cpu, inService, inServiceSource: 'GroupInServiceInstances' },
    ...rest,
  };
}

const opts = <T>(detector: { options: { parse(v: unknown): unknown } }, o: Record<string, unknown> = {}) => detector.options.parse(o) as T;
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;

describe('over-provisioned-target-tracking', () => {
  it('flags CPU whose p95 stays far below the target, with the statistics as evidence', () => {
    // Act
    const d = one(overProvisionedTargetTracking.detect!(group(), opts(overProvisionedTargetTracking), env));

    // Assess
    expect(d?.status).toBeUndefined();
    expect(d?.evidence).toMatchObject({ target: 50, cpuAverage: 12, cpuP95: 12, cpuMax: 12, cpuDatapoints: HOURS, instanceHours: 6 * HOURS, pinnedAtMinShare: 1 });
    expect(d?.reason).toContain('sat at MinSize 6 100% of hours');
    // Pinned at MinSize: a higher target saves nothing.
    expect(d?.savings?.monthlyUsd).toBe(0);
  });

  it('flags a low target on a group that tracks it, with the saving of +10 points', () => {
    // Prepare: 8 instances at 30% CPU, target 30
    const g = group({ minSize: 2, maxSize: 24, cpu: Array(HOURS).fill(30), inService: Array(HOURS).fill(8), policies: [tt(30)] });

    // Act
    const d = one(overProvisionedTargetTracking.detect!(g, opts(overProvisionedTargetTracking), env));

    // Assess: 8 → 6 instances all month: 2 × 730 h × $0.096
    expect(d?.reason).toContain('target of 30%');
    expect(d?.savings?.monthlyUsd).toBe(140.16);
  });

  it('protects a group with too little data instead of tuning it', () => {
    // Prepare: only 20 hours of CPU
    const cpu = [...Array(HOURS - 20).fill(null), ...Array(20).fill(8)];

    // Act
    const d = one(overProvisionedTargetTracking.detect!(group({ cpu }), opts(overProvisionedTargetTracking), env));

    // Assess
    expect(d?.status).toBe('protected');
    expect(d?.reason).toBe('Too little data to tune: 20 hourly CPU datapoints in 14 days (needs 30).');
  });

  it('honours a configurable minimum and window', () => {
    const cpu = [...Array(HOURS - 20).fill(null), ...Array(20).fill(8)];
    const d = one(overProvisionedTargetTracking.detect!(group({ cpu }), opts(overProvisionedTargetTracking, { minDatapoints: 10, windowDays: 1 }), env));
    expect(d?.status).toBeUndefined();
    expect(d?.evidence).toMatchObject({ windowDays: 1, cpuDatapoints: 20 });
    expect(overProvisionedTargetTracking.needs).toBeTypeOf('function');
    expect((overProvisionedTargetTracking.needs as (o: unknown) => string[])({ windowDays: 21 })).toContain('window:21');
  });

  it('leaves a group alone when CPU runs near a reasonable target, or it has no CPU target tracking', () => {
    expect(overProvisionedTargetTracking.detect!(group({ cpu: Array(HOURS).fill(45) }), opts(overProvisionedTargetTracking), env)).toBeUndefined();
    expect(overProvisionedTargetTracking.detect!(group({ policies: [] }), opts(overProvisionedTargetTracking), env)).toBeUndefined();
  });

  it('reports a group already at the bound with no saving from raising the target', () => {
    const d = one(overProvisionedTargetTracking.detect!(group({ minSize: 1, policies: [tt(70)], inService: Array(HOURS).fill(1) }), opts(overProvisionedTargetTracking), env));
    expect(d?.savings?.basis[0]).toMatch(/^Already at the bound: target 70%/);
  });
});

describe('min-size-unneeded', () => {
  it('recommends the MinSize that covers p95 demand with headroom', () => {
    // Act: demand = 6 × 12% / 50% = 1.44 → ceil(1.44 × 1.2) = 2
    const d = one(minSizeUnneeded.detect!(group(), opts(minSizeUnneeded), env));

    // Assess
    expect(d?.evidence).toMatchObject({ p95DemandInstances: 1.44, recommendedMinSize: 2, demandTargetCpu: 50, canScaleIn: true });
    // Default step limit: at most −50% a change → 6 → 3 instances: 3 × 730 × $0.096
    expect(d?.savings?.monthlyUsd).toBe(210.24);
  });

  it('does not flag a MinSize the load needs, nor one already at the floor', () => {
    expect(minSizeUnneeded.detect!(group({ cpu: Array(HOURS).fill(45) }), opts(minSizeUnneeded), env)).toBeUndefined();
    expect(minSizeUnneeded.detect!(group({ minSize: 1, inService: Array(HOURS).fill(1) }), opts(minSizeUnneeded), env)).toBeUndefined();
  });

  it('protects a group with too little data', () => {
    const d = one(minSizeUnneeded.detect!(group({ cpu: Array(HOURS).fill(null) }), opts(minSizeUnneeded), env));
    expect(d?.status).toBe('protected');
  });

  it('gives no dollars for an instance type missing from the price table, and says so', () => {
    const d = one(minSizeUnneeded.detect!(group({ instanceType: 'x9.mystery' }), opts(minSizeUnneeded), env));
    expect(d?.savings?.monthlyUsd).toBe(0);
    expect(d?.savings?.basis.join(' ')).toContain('No on-demand price for x9.mystery');
  });
});

describe('flapping', () => {
  const events = (pairsPerDay: number, days: number) => {
    const out: { at: string; direction: 1 | -1 }[] = [];
    for (let h = days * 24 - 1; h >= 1; h -= 24 / pairsPerDay) {
      const t = NOW.getTime() - h * 3_600_000;
      out.push({ at: new Date(t).toISOString(), direction: 1 }, { at: new Date(t + 20 * 60_000).toISOString(), direction: -1 });
    }
    return out;
  };

  it('counts a scale-in within the pairing window after a scale-out as one pair', () => {
    const { pairs } = countPairs(
      [
        { at: '2026-10-01T00:00:00Z', direction: 1 },
        { at: '2026-10-01T00:30:00Z', direction: -1 },
        { at: '2026-10-01T02:00:00Z', direction: 1 },
        { at: '2026-10-01T05:00:00Z', direction: -1 },
      ],
      60 * 60_000,
    );
    expect(pairs).toBe(1);
  });

  it('flags many pairs a day with activity counts as evidence', () => {
    const d = one(flapping.detect!(group({ activities: { events: events(8, 14) } }), opts(flapping), env));
    expect(d?.evidence).toMatchObject({ pairs: 112, pairsPerDay: 8, scaleOuts: 112, scaleIns: 112 });
  });

  it('ignores calm groups and protects groups too new to judge', () => {
    expect(flapping.detect!(group({ activities: { events: events(2, 14) } }), opts(flapping), env)).toBeUndefined();
    const young = one(flapping.detect!(group({ createdAt: '2026-10-31T12:00:00.000Z', activities: { events: events(8, 0.5) } }), opts(flapping), env));
    expect(young?.status).toBe('protected');
  });
});

describe('step-scaling-policies', () => {
  it('reports step and simple policies, never target tracking alone', () => {
    const step: ScalingPolicy = { PolicyName: 'up', PolicyType: 'StepScaling', StepAdjustments: [{ ScalingAdjustment: 1, MetricIntervalLowerBound: 0 }] };
    const simple: ScalingPolicy = { PolicyName: 'down', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: -1 };
    const d = one(stepScalingPolicies.detect!(group({ policies: [step, simple] }), {}, env));
    expect(d?.reason).toContain('StepScaling/SimpleScaling');
    expect((d?.evidence.policies as unknown[]).length).toBe(2);
    expect(stepScalingPolicies.detect!(group(), {}, env)).toBeUndefined();
  });
});
