import { describe, expect, it } from 'vitest';
import { idleLoadBalancer, loadBalancerMonthly, type IdleLoadBalancerOptions } from '../../../../lib/resources/load-balancer/detectors.ts';
import { isQuiet, metricDimensionOf, type DailyLbTraffic, type LoadBalancer } from '../../../../lib/resources/load-balancer/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import type { DetectEnv, Detection } from '../../../../lib/engine/types.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const env = { ctx: { now: NOW, prices: DEFAULT_PRICES }, prepared: undefined } as unknown as DetectEnv;
const opts = (o: Partial<IdleLoadBalancerOptions> = {}) => idleLoadBalancer.options.parse(o) as unknown as IdleLoadBalancerOptions;
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;
const created = (ageDays: number) => new Date(NOW.getTime() - ageDays * 86_400_000).toISOString();

/** 14 days: `count` a day (null: no datapoint, as ELB publishes nothing without traffic). */
const days = (count: number | null, peakActiveFlows?: number | null): DailyLbTraffic[] =>
  Array.from({ length: 14 }, (_, d) => ({ day: `2026-10-${String(18 + d).padStart(2, '0')}`, count, ...(peakActiveFlows !== undefined ? { peakActiveFlows } : {}) }));

const ALB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188';
const TG = { arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067', name: 'web-tg' };

const alb = (traffic: DailyLbTraffic[], overrides: Partial<LoadBalancer> = {}): LoadBalancer => ({
  id: 'web', arn: ALB_ARN, region: 'us-east-1', type: 'application', scheme: 'internet-facing', state: 'active', createdTime: created(300),
  availabilityZones: ['us-east-1a', 'us-east-1b'], metricDimension: 'app/web/50dc6c495c0c9188', tags: {}, targetGroups: [TG],
  traffic: { windowDays: 14, days: traffic }, ...overrides,
});
const nlb = (traffic: DailyLbTraffic[], overrides: Partial<LoadBalancer> = {}): LoadBalancer =>
  alb(traffic, { id: 'db', type: 'network', scheme: 'internal', arn: ALB_ARN.replace('/app/web/', '/net/db/'), metricDimension: 'net/db/50dc6c495c0c9188', ...overrides });

describe('idle-load-balancer: no traffic', () => {
  it('flags an ALB with no datapoints at all (ELB publishes none without requests), with its target health and the ALB hourly saving', () => {
    // Prepare
    const lb = alb(days(null), { targetHealth: { registered: 2, healthy: 1, groups: [{ name: 'web-tg', arn: TG.arn, registered: 2, healthy: 1, states: { healthy: 1, unhealthy: 1 } }] } });
    // Act
    const d = one(idleLoadBalancer.detect!(lb, opts(), env))!;
    // Assess
    expect(d.status).toBeUndefined();
    expect(d.evidence).toMatchObject({ reasons: ['no-traffic'], type: 'ALB', requestsTotal: 0, maxDailyRequests: 0, daysWithData: 0, registeredTargets: 2, healthyTargets: 1, targetGroups: ['web-tg'], ageDays: 300 });
    expect(d.evidence.targetHealthCalls).toMatch(/^1 DescribeTargetHealth call \(the API takes one target group/);
    expect(d.reason).toBe('ALB web carried 0 requests over 14 days (at most 0 a day) and has 2 registered targets (1 healthy) in 1 target group: delete it if nothing points at it.');
    // $0.0225/h × 730 h
    expect(d.savings!.monthlyUsd).toBeCloseTo(16.425, 6);
    expect(d.savings!.basis[1]).toMatch(/LCU charges .* not estimated/);
    expect(d.savings!.basis[2]).toMatch(/at least 2 public IPv4 addresses .* ≥ \$7\.30\/month/);
  });

  it('uses the per-day threshold like Trusted Advisor: 100 requests a day pass, 101 on one day do not', () => {
    const quiet = days(100);
    const busyDay = days(100).map((d, i) => (i === 13 ? { ...d, count: 101 } : d));
    expect(one(idleLoadBalancer.detect!(alb(quiet), opts(), env))!.evidence.requestsTotal).toBe(1400);
    expect(one(idleLoadBalancer.detect!(alb(busyDay), opts(), env))).toBeUndefined();
    expect(one(idleLoadBalancer.detect!(alb(busyDay), opts({ maxRequests: 200 }), env))).toBeDefined();
  });

  it('judges an NLB on new flows and on its peak of long-lived active flows', () => {
    // An NLB with no new flows but 300 persistent connections is in use.
    expect(one(idleLoadBalancer.detect!(nlb(days(0, 300)), opts(), env))).toBeUndefined();
    expect(one(idleLoadBalancer.detect!(nlb(days(500, 0)), opts(), env))).toBeUndefined();
    const d = one(idleLoadBalancer.detect!(nlb(days(3, 1)), opts(), env))!;
    expect(d.evidence).toMatchObject({ type: 'NLB', newFlowsTotal: 42, maxDailyNewFlows: 3, peakActiveFlows: 1, thresholds: { maxNewFlowsPerDay: 100, maxActiveFlows: 100 } });
    expect(d.savings!.basis[0]).toBe('NLB nlbHour $0.0225/h × 730 h = $16.43/month.');
    expect(d.savings!.basis).toHaveLength(2); // internal: no public IPv4 line
  });

  it('prices a Gateway Load Balancer with gwlbHour', () => {
    const s = loadBalancerMonthly({ type: 'gateway', scheme: 'internal', availabilityZones: ['us-east-1a'] }, DEFAULT_PRICES);
    expect(s.monthlyUsd).toBeCloseTo(9.125, 6); // $0.0125/h × 730 h
    expect(s.basis[1]).toMatch(/^GLCU charges/);
  });
});

describe('idle-load-balancer: no registered targets', () => {
  it('flags an ALB that receives traffic but has no target group, with both reasons only when it is also quiet', () => {
    // Prepare: 288 requests a day, no target group attached.
    const busy = alb(days(288), { targetGroups: [] });
    const idle = alb(days(null), { targetGroups: [] });
    // Act
    const d = one(idleLoadBalancer.detect!(busy, opts(), env))!;
    const both = one(idleLoadBalancer.detect!(idle, opts(), env))!;
    // Assess
    expect(d.evidence).toMatchObject({ reasons: ['no-registered-targets'], requestsTotal: 4032, maxDailyRequests: 288, registeredTargets: 0, healthyTargets: 0, targetGroups: [] });
    expect(d.reason).toMatch(/^ALB web receives traffic, 4032 requests over 14 days \(at most 288 a day\), but has no target group/);
    expect(d.savings!.monthlyUsd).toBeCloseTo(16.425, 6);
    expect(both.evidence.reasons).toEqual(['no-traffic', 'no-registered-targets']);
  });

  it('adds the reason for a quiet load balancer whose target groups are all empty', () => {
    const lb = alb(days(null), { targetHealth: { registered: 0, healthy: 0, groups: [{ name: 'web-tg', arn: TG.arn, registered: 0, healthy: 0, states: {} }] } });
    const d = one(idleLoadBalancer.detect!(lb, opts(), env))!;
    expect(d.evidence.reasons).toEqual(['no-traffic', 'no-registered-targets']);
    expect(d.reason).toContain('has 0 registered targets (0 healthy) in 1 target group');
  });

  it('does not flag a busy load balancer with target groups (their health is not read for busy ones)', () => {
    expect(one(idleLoadBalancer.detect!(alb(days(50_000)), opts(), env))).toBeUndefined();
  });
});

describe('idle-load-balancer: protections', () => {
  it('protects a load balancer younger than minDays (too little data), whichever reason applies', () => {
    const young = one(idleLoadBalancer.detect!(alb(days(null), { createdTime: created(2) }), opts(), env))!;
    const youngTargetless = one(idleLoadBalancer.detect!(alb(days(500), { createdTime: created(3), targetGroups: [] }), opts(), env))!;
    expect(young.status).toBe('protected');
    expect(young.evidence.protection).toBe('too little data: created 2 days ago, 7 are needed');
    expect(youngTargetless.status).toBe('protected');
    expect(young.savings).toBeUndefined();
    expect(one(idleLoadBalancer.detect!(alb(days(null), { createdTime: created(2) }), opts({ minDays: 2 }), env))!.status).toBeUndefined();
  });

  it('protects a load balancer whose creation time is unknown', () => {
    const d = one(idleLoadBalancer.detect!(alb(days(null), { createdTime: undefined }), opts(), env))!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toBe('too little data: its creation time is unknown');
  });

  it('says nothing about a load balancer that was not enriched with traffic', () => {
    expect(one(idleLoadBalancer.detect!(alb(days(null), { traffic: undefined }), opts(), env))).toBeUndefined();
  });
});

describe('idle-load-balancer options and resource helpers', () => {
  it('has the documented defaults and rejects bad values', () => {
    expect(opts()).toEqual({ windowDays: 14, maxRequests: 100, maxFlows: 100, minDays: 7 });
    expect(() => idleLoadBalancer.options.parse({ windowDays: 0 })).toThrow();
    expect(() => idleLoadBalancer.options.parse({ maxRequests: -1 })).toThrow();
  });

  it('asks the listing for traffic over the window and for target health under its own thresholds', () => {
    const needs = (idleLoadBalancer.needs as (o: IdleLoadBalancerOptions) => string[])(opts({ windowDays: 7, maxRequests: 5 }));
    expect(needs).toEqual(['traffic', 'window:7', 'target-health-if-requests-at-most:5', 'target-health-if-flows-at-most:100']);
  });

  it('judges only the last windowDays days and takes the metric dimension from the ARN', () => {
    const traffic = days(null).map((d, i) => (i === 0 ? { ...d, count: 10_000 } : d));
    expect(isQuiet(alb(traffic), 14, { maxRequests: 100, maxFlows: 100 })).toBe(false);
    expect(isQuiet(alb(traffic), 13, { maxRequests: 100, maxFlows: 100 })).toBe(true);
    expect(metricDimensionOf(ALB_ARN)).toBe('app/web/50dc6c495c0c9188');
    expect(() => metricDimensionOf('arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1')).toThrow(/Not a load balancer ARN/);
  });
});
