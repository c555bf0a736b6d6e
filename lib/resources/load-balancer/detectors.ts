/**
 * idle-load-balancer: an ALB, NLB or GWLB that is paid for by the hour but
 * - carried (almost) no traffic on every day of the window (ALB RequestCount, NLB/GWLB
 *   NewFlowCount and ActiveFlowCount; Trusted Advisor's test is "fewer than 100 requests a day for
 *   7 days"), or
 * - has no registered targets even though traffic reaches it (no target group attached: every
 *   request gets an error from the load balancer itself).
 * Report only: deleting a load balancer breaks DNS names and listeners that point at it, so a
 * person decides. A load balancer younger than `minDays` is protected (too little data).
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detector } from '../../engine/types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { healthNeed, isQuiet, LB_NEEDS, loadBalancerResource, trafficSummary, windowNeed, type LoadBalancer, type LoadBalancerType } from './resource.ts';

const DAY_MS = 86_400_000;

export interface IdleLoadBalancerOptions {
  windowDays: number;
  maxRequests: number;
  maxFlows: number;
  minDays: number;
}

const TYPE_NAME: Record<LoadBalancerType, string> = { application: 'ALB', network: 'NLB', gateway: 'GWLB' };
const CAPACITY_UNIT: Record<LoadBalancerType, string> = { application: 'LCU', network: 'NLCU', gateway: 'GLCU' };

/** The load balancer's hourly charge for a month; capacity units (usage) are not estimated. */
export function loadBalancerMonthly(lb: Pick<LoadBalancer, 'type' | 'scheme' | 'availabilityZones'>, prices: PriceTable): { monthlyUsd: number; basis: string[] } {
  const [key, hourly] = lb.type === 'application' ? ['albHour', prices.albHour] : lb.type === 'network' ? ['nlbHour', prices.nlbHour] : ['gwlbHour', prices.gwlbHour];
  const monthlyUsd = hourly * prices.hoursPerMonth;
  const basis = [
    `${TYPE_NAME[lb.type]} ${key} $${hourly}/h × ${prices.hoursPerMonth} h = $${usd(monthlyUsd)}/month.`,
    `${CAPACITY_UNIT[lb.type]} charges (usage: new and active connections, processed bytes) are not estimated: ~$0 for an idle load balancer, usage-dependent otherwise.`,
  ];
  if (lb.scheme === 'internet-facing' && lb.type !== 'gateway' && lb.availabilityZones.length) {
    const ipv4 = lb.availabilityZones.length * prices.publicIpv4Hour * prices.hoursPerMonth;
    basis.push(`As internet-facing, it holds at least ${lb.availabilityZones.length} public IPv4 address${lb.availabilityZones.length === 1 ? '' : 'es'} (one per zone, $${prices.publicIpv4Hour}/h each, ≥ $${usd(ipv4).toFixed(2)}/month) that a delete also frees; not counted here.`);
  }
  return { monthlyUsd, basis };
}

export const idleLoadBalancer: Detector<LoadBalancer, IdleLoadBalancerOptions> = {
  id: 'idle-load-balancer',
  resource: loadBalancerResource.id,
  title: 'Load balancers with (almost) no traffic over the window, or with no registered targets',
  options: z.object({
    /** Whole UTC days of CloudWatch metrics to judge by, ending at midnight. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** ALB: the most requests (RequestCount Sum) a day may have on every day of the window. */
    maxRequests: z.number().min(0).default(100),
    /** NLB/GWLB: the most new flows a day (NewFlowCount Sum), and the highest ActiveFlowCount, on every day. */
    maxFlows: z.number().min(0).default(100),
    /** Days the load balancer must have existed to be judged; younger: protected (too little data). */
    minDays: z.number().int().min(1).default(7),
  }),
  needs: (o) => [LB_NEEDS.traffic, windowNeed(o.windowDays), healthNeed('requests', o.maxRequests), healthNeed('flows', o.maxFlows)],
  permissions: ['cloudwatch:GetMetricData', 'elasticloadbalancing:DescribeTargetHealth'],

  detect(lb, o, { ctx }) {
    if (!lb.traffic) return undefined;
    const quiet = isQuiet(lb, o.windowDays, o);
    const noTargetGroups = lb.targetGroups.length === 0;
    if (!quiet && !noTargetGroups) return undefined;

    const s = trafficSummary(lb, o.windowDays);
    const isAlb = lb.type === 'application';
    const registered = lb.targetHealth?.registered ?? (noTargetGroups ? 0 : undefined);
    const noTargets = registered === 0;
    const reasons = [...(quiet ? ['no-traffic'] : []), ...(noTargets ? ['no-registered-targets'] : [])];
    const ageDays = lb.createdTime ? Math.floor((ctx.now.getTime() - Date.parse(lb.createdTime)) / DAY_MS) : undefined;
    const evidence: Record<string, unknown> = {
      reasons,
      type: TYPE_NAME[lb.type],
      scheme: lb.scheme,
      windowDays: o.windowDays,
      ...(isAlb
        ? { requestsTotal: s.total, maxDailyRequests: s.maxDaily }
        : { newFlowsTotal: s.total, maxDailyNewFlows: s.maxDaily, peakActiveFlows: s.peakActiveFlows }),
      ...(s.busiestDay ? { busiestDay: s.busiestDay } : {}),
      daysWithData: s.daysWithData,
      thresholds: isAlb ? { maxRequestsPerDay: o.maxRequests } : { maxNewFlowsPerDay: o.maxFlows, maxActiveFlows: o.maxFlows },
      targetGroups: lb.targetGroups.map((g) => g.name),
      ...(lb.targetHealth
        ? {
            registeredTargets: lb.targetHealth.registered,
            healthyTargets: lb.targetHealth.healthy,
            targetHealth: lb.targetHealth.groups.map((g) => ({ targetGroup: g.name, registered: g.registered, healthy: g.healthy, states: g.states })),
            targetHealthCalls: `${lb.targetHealth.groups.length} DescribeTargetHealth call${lb.targetHealth.groups.length === 1 ? '' : 's'} (the API takes one target group; made only for load balancers under the traffic thresholds)`,
          }
        : noTargetGroups
          ? { registeredTargets: 0, healthyTargets: 0 }
          : {}),
      ...(ageDays !== undefined ? { ageDays } : {}),
      createdTime: lb.createdTime,
      vpcId: lb.vpcId,
      dnsName: lb.dnsName,
    };

    if (ageDays === undefined || ageDays < o.minDays) {
      const protection = ageDays === undefined ? 'too little data: its creation time is unknown' : `too little data: created ${ageDays} day${ageDays === 1 ? '' : 's'} ago, ${o.minDays} are needed`;
      return { reason: `${lb.id} looks ${quiet ? 'idle' : 'targetless'} but is too new to judge.`, evidence: { ...evidence, protection }, status: 'protected' };
    }

    const trafficWords = isAlb
      ? `${s.total} request${s.total === 1 ? '' : 's'} over ${o.windowDays} days (at most ${s.maxDaily} a day)`
      : `${s.total} new flow${s.total === 1 ? '' : 's'} over ${o.windowDays} days (at most ${s.maxDaily} a day, ${s.peakActiveFlows} active at peak)`;
    const targetWords = noTargetGroups
      ? 'no target group'
      : registered === undefined
        ? `${lb.targetGroups.length} target group${lb.targetGroups.length === 1 ? '' : 's'}`
        : `${registered} registered target${registered === 1 ? '' : 's'} (${lb.targetHealth!.healthy} healthy) in ${lb.targetGroups.length} target group${lb.targetGroups.length === 1 ? '' : 's'}`;
    const reason = quiet
      ? `${TYPE_NAME[lb.type]} ${lb.id} carried ${trafficWords} and has ${targetWords}: delete it if nothing points at it.`
      : `${TYPE_NAME[lb.type]} ${lb.id} receives traffic, ${trafficWords}, but has no target group, so no registered target serves it: fix it or delete it (unless its listeners only redirect or answer fixed responses).`;
    return { reason, evidence, savings: loadBalancerMonthly(lb, ctx.prices) };
  },
};
