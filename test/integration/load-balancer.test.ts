import { describe, expect, it } from 'vitest';
import { addLoadBalancer } from '../../lib/resources/load-balancer/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { elbState } from '../../lib/sandbox/services/elasticloadbalancingv2.ts';
import { idleLoadBalancer, type IdleLoadBalancerOptions } from '../../lib/resources/load-balancer/detectors.ts';
import { loadBalancerResource, type LoadBalancer } from '../../lib/resources/load-balancer/resource.ts';
import type { RegionContext } from '../../lib/engine/types.ts';
import { DEFAULT_PRICES } from '../../lib/savings/prices.ts';
import { emptySandbox, envFor, testEnv } from '../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

const POLICY = `
version: 1
defaults: { mode: auto }
policies:
  - { id: lb, resource: load-balancer, detector: { type: idle-load-balancer } }
`;

/** The sandbox calls made to ELBv2 and CloudWatch (other modules' services are not called). */
const elbCalls = (calls: Record<string, number>) => Object.fromEntries(Object.entries(calls).filter(([k]) => k.startsWith('elasticloadbalancingv2:') || k.startsWith('cloudwatch:')));

describe('load-balancer idle-load-balancer on the small-company sandbox', () => {
  it('reports the idle NLB, the idle ALB with an empty target group and the targetless ALB, protects the traps, and writes nothing even in auto mode', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    const lbs = Object.values(elbState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').loadBalancers);
    // Act
    const result = await env.run(POLICY);
    // Assess
    const byName = Object.fromEntries(result.findings.map((f) => [f.resource.id, f]));
    expect(Object.keys(byName).sort()).toEqual(['acme-campaign-2025-alb', 'acme-dr-alb', 'acme-old-shop-alb', 'acme-preview-alb', 'acme-staging-nlb']);
    expect(byName['acme-web-alb']).toBeUndefined(); // busy: the trap for "idle"
    expect(lbs.map((lb) => lb.name)).toContain('acme-web-alb');

    expect(byName['acme-staging-nlb']).toMatchObject({ status: 'report-only', evidence: { reasons: ['no-traffic'], type: 'NLB', newFlowsTotal: 0, registeredTargets: 2, healthyTargets: 2 } });
    expect(byName['acme-campaign-2025-alb']).toMatchObject({ status: 'report-only', evidence: { reasons: ['no-traffic', 'no-registered-targets'], registeredTargets: 0 } });
    expect(byName['acme-old-shop-alb']).toMatchObject({ status: 'report-only', evidence: { reasons: ['no-registered-targets'], maxDailyRequests: 288, targetGroups: [] } });
    for (const name of ['acme-staging-nlb', 'acme-campaign-2025-alb', 'acme-old-shop-alb']) {
      expect(byName[name].savings.monthlyUsd).toBeCloseTo(16.425, 6); // $0.0225/h × 730 h
      expect(byName[name].plan).toBeUndefined();
    }
    expect(byName['acme-preview-alb'].status).toBe('protected');
    expect(byName['acme-preview-alb'].outcomeDetail).toBe('too little data: created 2 days ago, 7 are needed');
    expect(byName['acme-dr-alb'].status).toBe('protected');
    expect(byName['acme-dr-alb'].outcomeDetail).toBe('tagged trimtab:skip');
    expect(result.summary.estimatedMonthlySavingsUsd).toBeCloseTo(3 * 16.43, 1);
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(result.actions).toEqual([]);
    expect(result.errors).toEqual([]);
  });

  it('lists once, tags and metrics batched, and reads target health only for the quiet load balancers', async () => {
    // Prepare
    const env = testEnv('small-company', { clock, pageCap: undefined }); // counts calls at AWS's full page size
    const healthReads: string[] = [];
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'DescribeTargetHealth') healthReads.push(input.TargetGroupArn.split('/')[1]);
      return undefined;
    };
    // Act
    await env.run(POLICY, { forceDryRun: true });
    // Assess: 6 load balancers in us-east-1 = one page; the 4 quiet ones with target groups have 4 groups.
    expect(elbCalls(env.sandbox.callsByOperation())).toEqual({
      'cloudwatch:GetMetricData': 1,
      'elasticloadbalancingv2:DescribeLoadBalancers': env.deps.defaultRegions.length, // one per region (the other regions are empty)
      'elasticloadbalancingv2:DescribeTags': 1,
      'elasticloadbalancingv2:DescribeTargetGroups': 1,
      'elasticloadbalancingv2:DescribeTargetHealth': 4,
    });
    expect(healthReads.sort()).toEqual(['acme-campaign-2025-tg', 'acme-dr-tg', 'acme-preview-tg', 'acme-staging-tcp']); // never acme-web-tg (busy)
  });

  it('narrows an event-driven run to the named load balancer (by name or ARN) without failing on one that is gone', async () => {
    const env = testEnv('small-company', { clock });
    const nlbArn = Object.values(elbState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').loadBalancers).find((lb) => lb.name === 'acme-staging-nlb')!.arn;
    const byName = await env.run(POLICY, { targets: { resourceType: 'load-balancer', ids: ['acme-campaign-2025-alb', 'acme-deleted-alb'], region: 'us-east-1' } });
    const byArn = await env.run(POLICY, { targets: { resourceType: 'load-balancer', ids: [nlbArn], region: 'us-east-1' } });
    expect(byName.findings.map((f) => f.resource.id)).toEqual(['acme-campaign-2025-alb']);
    expect(byArn.findings.map((f) => f.resource.id)).toEqual(['acme-staging-nlb']);
    expect(byName.errors).toEqual([]);
  });
});

describe('listing cost: list calls and batched metrics, never a call per load balancer', () => {
  it('scans 620 load balancers and 744 target groups with 2 + 2 list calls, 32 tag calls, 3 GetMetricData and one DescribeTargetHealth per target group of an idle one', async () => {
    // Prepare: ALBs, NLBs and GWLBs in turn; every 4th is idle (no datapoints); every 5th has two target groups.
    const sandbox = emptySandbox({ clock, pageCap: undefined }); // counts calls at AWS's full page size
    let groups = 0;
    let idleGroups = 0;
    for (let n = 0; n < 620; n++) {
      const type = (['application', 'network', 'gateway'] as const)[n % 3];
      const idle = n % 4 === 0;
      const tgCount = n % 5 === 0 ? 2 : 1;
      groups += tgCount;
      if (idle) idleGroups += tgCount;
      addLoadBalancer(sandbox, SANDBOX_ACCOUNT, 'us-east-1', {
        name: `lb-${n}`, type, ageDays: 60, tags: { n: String(n) },
        targetGroups: Array.from({ length: tgCount }, (_, k) => ({ name: `tg-${n}-${k}`, targets: [{ id: `i-${n}`, port: 80, state: 'healthy' as const }] })),
        ...(idle ? {} : { requests: { base: 50 }, activeFlows: { base: 5 } }),
      });
    }
    const metricBatches: number[] = [];
    sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'GetMetricData') metricBatches.push(input.MetricDataQueries.length);
      return undefined;
    };
    const env = envFor(sandbox, ['us-east-1']);
    // Act
    const result = await env.run(POLICY, { forceDryRun: true });
    // Assess
    expect(groups).toBe(744);
    expect(sandbox.callsByOperation()).toEqual({
      'cloudwatch:GetMetricData': 3, // pages of 250, 250, 120 load balancers
      'elasticloadbalancingv2:DescribeLoadBalancers': 2, // 400 a page
      'elasticloadbalancingv2:DescribeTags': 13 + 13 + 6, // 20 ARNs a call
      'elasticloadbalancingv2:DescribeTargetGroups': 2, // 744 groups, 400 a page
      'elasticloadbalancingv2:DescribeTargetHealth': idleGroups, // only the idle ones' groups
    });
    expect(Math.max(...metricBatches)).toBeLessThanOrEqual(500);
    const findings = result.findings.filter((f) => f.policy === 'lb');
    expect(findings).toHaveLength(155); // n % 4 === 0 for n < 620
    expect(new Set(findings.map((f) => f.evidence.type))).toEqual(new Set(['ALB', 'NLB', 'GWLB']));
    expect(findings.every((f) => f.status === 'report-only' && f.evidence.registeredTargets !== undefined)).toBe(true);
    expect(sandbox.successfulWrites()).toEqual([]);
  });
});

describe('target groups deleted between the listing and the target-health read', () => {
  it('leaves a target group deleted since DescribeTargetGroups out of the load balancer instead of failing the page with TargetGroupNotFoundException', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    const ctx = { account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: env.clients, now: env.sandbox.now(), clock: env.sandbox.clock, prices: DEFAULT_PRICES, log: () => {} } as unknown as RegionContext;
    const listed: LoadBalancer[] = [];
    for await (const page of loadBalancerResource.list(ctx, undefined, undefined)) listed.push(...page);
    const state = elbState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
    const gone = Object.values(state.targetGroups).find((g) => g.name === 'acme-staging-tcp')!;
    delete state.targetGroups[gone.arn];
    const needs = new Set<string>((idleLoadBalancer.needs as (o: IdleLoadBalancerOptions) => string[])(idleLoadBalancer.options.parse({}) as unknown as IdleLoadBalancerOptions));
    // Act
    const enriched = await loadBalancerResource.enrich!(ctx, listed, undefined, needs);
    // Assess
    const nlb = enriched.find((lb) => lb.id === 'acme-staging-nlb')!;
    const campaign = enriched.find((lb) => lb.id === 'acme-campaign-2025-alb')!;
    expect(nlb.targetGroups).toEqual([]);
    expect(nlb.targetHealth).toEqual({ registered: 0, healthy: 0, groups: [] });
    expect(campaign.targetGroups.map((g) => g.name)).toEqual(['acme-campaign-2025-tg']);
    expect(campaign.targetHealth!.registered).toBe(0);
  });
});
