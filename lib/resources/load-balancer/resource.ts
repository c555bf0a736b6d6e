/**
 * Elastic Load Balancing v2 load balancers (application, network, gateway), per region:
 * - one paginated DescribeLoadBalancers (400 a page), regrouped into pages of up to 250 so one
 *   GetMetricData call (≤500 queries: at most two per load balancer) covers a page;
 * - one paginated DescribeTargetGroups per region, made once and only when there is a load
 *   balancer: each group names its LoadBalancerArns, which maps groups to load balancers;
 * - tags with DescribeTags, 20 ARNs a call (the API's limit);
 * - traffic with GetMetricData, daily: AWS/ApplicationELB RequestCount Sum, AWS/NetworkELB and
 *   AWS/GatewayELB NewFlowCount Sum and ActiveFlowCount Maximum, by the LoadBalancer dimension
 *   ("app/name/id", the end of the ARN);
 * - DescribeTargetHealth only for the target groups of load balancers whose traffic is under the
 *   detectors' thresholds: the API takes one target group per call and no list call returns
 *   target counts, so it is kept to the few quiet load balancers.
 */
import { CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { dailyMetricSeries, METRIC_QUERIES_PER_CALL } from '../../aws/metrics.ts';
import {
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  type LoadBalancer as AwsLoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { batches, chunked, mapLimit } from '../../util/async.ts';

export type LoadBalancerType = 'application' | 'network' | 'gateway';

export const LB_NEEDS = { traffic: 'traffic' } as const;
export const windowNeed = (days: number) => `window:${days}`;
/** Read target health for load balancers with at most this many requests (ALB) / flows (NLB, GWLB) on every day. */
export const healthNeed = (kind: 'requests' | 'flows', max: number) => `target-health-if-${kind}-at-most:${max}`;
export const DEFAULT_WINDOW_DAYS = 14;
/** At most two metric queries per load balancer: 250 fill one GetMetricData call. */
export const LOAD_BALANCERS_PER_PAGE = METRIC_QUERIES_PER_CALL / 2;
/** DescribeTags takes at most 20 ARNs. */
export const TAG_ARNS_PER_CALL = 20;
const DESCRIBE_PAGE_SIZE = 400;
/** Concurrent DescribeTargetHealth calls (reads; ELB's describe limits are generous but not infinite). */
const TARGET_HEALTH_CONCURRENCY = 5;
const DAY_MS = 86_400_000;

const NAMESPACE: Record<LoadBalancerType, string> = { application: 'AWS/ApplicationELB', network: 'AWS/NetworkELB', gateway: 'AWS/GatewayELB' };

export interface DailyLbTraffic {
  day: string;
  /** ALB RequestCount Sum; NLB/GWLB NewFlowCount Sum. null: no datapoint (ELB publishes none on a day without traffic). */
  count: number | null;
  /** NLB/GWLB ActiveFlowCount Maximum (flows opened earlier and still open); undefined for ALBs. */
  peakActiveFlows?: number | null;
}

export interface TargetGroupRef {
  arn: string;
  name: string;
  protocol?: string;
  port?: number;
  targetType?: string;
}

export interface TargetGroupHealth {
  name: string;
  arn: string;
  /** Targets registered (any state but draining). */
  registered: number;
  healthy: number;
  /** Count per TargetHealth.State. */
  states: Record<string, number>;
}

export interface LoadBalancer {
  /** The load balancer's name (unique per account and region across types). */
  id: string;
  arn: string;
  region: string;
  type: LoadBalancerType;
  scheme?: string;
  state: string;
  vpcId?: string;
  dnsName?: string;
  createdTime?: string;
  availabilityZones: string[];
  /** The CloudWatch LoadBalancer dimension: "app/name/id" (the end of the ARN). */
  metricDimension: string;
  tags: Record<string, string>;
  targetGroups: TargetGroupRef[];
  /** Oldest day first (need `traffic`). */
  traffic?: { windowDays: number; days: DailyLbTraffic[] };
  /** Only for load balancers under the traffic thresholds (one DescribeTargetHealth per group). */
  targetHealth?: { registered: number; healthy: number; groups: TargetGroupHealth[] };
}

/** "arn:…:loadbalancer/app/name/id" → "app/name/id" (the LoadBalancer metric dimension). */
export function metricDimensionOf(arn: string): string {
  const marker = ':loadbalancer/';
  const at = arn.indexOf(marker);
  if (at < 0) throw new Error(`Not a load balancer ARN: ${arn}`);
  return arn.slice(at + marker.length);
}

export function toLoadBalancer(lb: AwsLoadBalancer, region: string): LoadBalancer {
  return {
    id: lb.LoadBalancerName!,
    arn: lb.LoadBalancerArn!,
    region,
    type: (lb.Type ?? 'application') as LoadBalancerType,
    ...(lb.Scheme ? { scheme: lb.Scheme } : {}),
    state: lb.State?.Code ?? 'unknown',
    ...(lb.VpcId ? { vpcId: lb.VpcId } : {}),
    ...(lb.DNSName ? { dnsName: lb.DNSName } : {}),
    ...(lb.CreatedTime ? { createdTime: new Date(lb.CreatedTime).toISOString() } : {}),
    availabilityZones: (lb.AvailabilityZones ?? []).map((z) => z.ZoneName).filter((z): z is string => Boolean(z)),
    metricDimension: metricDimensionOf(lb.LoadBalancerArn!),
    tags: {},
    targetGroups: [],
  };
}

/** Thresholds that decide "quiet": shared by the detector and the target-health gate. */
export interface QuietThresholds {
  maxRequests: number;
  maxFlows: number;
}

/** Traffic totals over the last `windowDays` days; a day without a datapoint counts as zero. */
export function trafficSummary(lb: LoadBalancer, windowDays: number) {
  const days = (lb.traffic?.days ?? []).slice(-windowDays);
  const daysWithData = days.filter((d) => d.count !== null || (d.peakActiveFlows ?? null) !== null).length;
  // Counts are integers in CloudWatch; rounding keeps generated or averaged series readable.
  const total = Math.round(days.reduce((sum, d) => sum + (d.count ?? 0), 0));
  const busiest = days.reduce<DailyLbTraffic | undefined>((best, d) => ((d.count ?? 0) > (best?.count ?? 0) ? d : best), undefined);
  const peakActiveFlows = Math.max(0, ...days.map((d) => d.peakActiveFlows ?? 0));
  return { days, daysWithData, total, maxDaily: busiest?.count ?? 0, busiestDay: busiest?.day, peakActiveFlows };
}

/**
 * Quiet: every day of the window at or under the threshold (Trusted Advisor's idle load balancer
 * test is "fewer than 100 requests a day for the last 7 days"). NLB/GWLB also need the peak of
 * long-lived flows under it: a few persistent connections carry traffic without new flows.
 */
export function isQuiet(lb: LoadBalancer, windowDays: number, t: QuietThresholds): boolean {
  const s = trafficSummary(lb, windowDays);
  return lb.type === 'application' ? s.maxDaily <= t.maxRequests : s.maxDaily <= t.maxFlows && s.peakActiveFlows <= t.maxFlows;
}

const windowDaysOf = (needs: ReadonlySet<string>) =>
  Math.max(0, ...[...needs].filter((n) => n.startsWith('window:')).map((n) => Number(n.slice(7)))) || DEFAULT_WINDOW_DAYS;

/** The loosest thresholds any policy asked target health for (-1: none asked). */
function healthThresholdsOf(needs: ReadonlySet<string>): QuietThresholds {
  const max = (kind: string) => Math.max(-1, ...[...needs].filter((n) => n.startsWith(`target-health-if-${kind}-at-most:`)).map((n) => Number(n.split(':')[1])));
  return { maxRequests: max('requests'), maxFlows: max('flows') };
}

async function readTraffic(ctx: RegionContext, lbs: LoadBalancer[], windowDays: number): Promise<Map<string, DailyLbTraffic[]>> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  // Whole UTC days ending at midnight: today's partial day would look quiet.
  const end = new Date(Math.floor(ctx.now.getTime() / DAY_MS) * DAY_MS);
  const start = new Date(end.getTime() - windowDays * DAY_MS);
  const metric = (id: string, lb: LoadBalancer, name: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: NAMESPACE[lb.type], MetricName: name, Dimensions: [{ Name: 'LoadBalancer', Value: lb.metricDimension }] }, Period: 86_400, Stat: stat },
    ReturnData: true,
  });
  const queries = lbs.flatMap((lb, i) =>
    lb.type === 'application' ? [metric(`req${i}`, lb, 'RequestCount', 'Sum')] : [metric(`new${i}`, lb, 'NewFlowCount', 'Sum'), metric(`act${i}`, lb, 'ActiveFlowCount', 'Maximum')],
  );
  const series = await dailyMetricSeries(cw, queries, start, end, windowDays);
  return new Map(
    lbs.map((lb, i) => [
      lb.arn,
      Array.from({ length: windowDays }, (_, d) => {
        const day = new Date(start.getTime() + d * DAY_MS).toISOString().slice(0, 10);
        return lb.type === 'application'
          ? { day, count: series.get(`req${i}`)?.[d] ?? null }
          : { day, count: series.get(`new${i}`)?.[d] ?? null, peakActiveFlows: series.get(`act${i}`)?.[d] ?? null };
      }),
    ]),
  );
}

/**
 * Target health per target group; a group deleted since DescribeTargetGroups (AWS answers
 * TargetGroupNotFoundException) is left out of the map instead of failing the whole page.
 */
async function readTargetHealth(ctx: RegionContext, groups: TargetGroupRef[]): Promise<Map<string, TargetGroupHealth>> {
  const elb = ctx.clients.get(ElasticLoadBalancingV2Client, ctx.region);
  const unique = [...new Map(groups.map((g) => [g.arn, g])).values()];
  const read = await mapLimit(unique, TARGET_HEALTH_CONCURRENCY, async (g): Promise<TargetGroupHealth | undefined> => {
    let out;
    try {
      out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.arn }));
    } catch (err) {
      if ((err as { name?: string }).name === 'TargetGroupNotFoundException') return undefined;
      throw err;
    }
    const states: Record<string, number> = {};
    for (const d of out.TargetHealthDescriptions ?? []) {
      const state = d.TargetHealth?.State ?? 'unknown';
      states[state] = (states[state] ?? 0) + 1;
    }
    const total = (out.TargetHealthDescriptions ?? []).length;
    return { name: g.name, arn: g.arn, registered: total - (states.draining ?? 0), healthy: states.healthy ?? 0, states };
  });
  return new Map(read.filter((h): h is TargetGroupHealth => h !== undefined).map((h) => [h.arn, h]));
}

/** Tags for a page of load balancers, 20 ARNs a DescribeTags call. */
async function readTags(ctx: RegionContext, arns: string[]): Promise<Map<string, Record<string, string>>> {
  const elb = ctx.clients.get(ElasticLoadBalancingV2Client, ctx.region);
  const tags = new Map<string, Record<string, string>>();
  for (const chunk of batches(arns, TAG_ARNS_PER_CALL)) {
    const out = await elb.send(new DescribeTagsCommand({ ResourceArns: chunk }));
    for (const d of out.TagDescriptions ?? []) {
      tags.set(d.ResourceArn!, Object.fromEntries((d.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ''])));
    }
  }
  return tags;
}

/** Every target group in the region, by the load balancers it is attached to (one paginated call). */
async function targetGroupsByLoadBalancer(ctx: RegionContext): Promise<Map<string, TargetGroupRef[]>> {
  const elb = ctx.clients.get(ElasticLoadBalancingV2Client, ctx.region);
  const byLb = new Map<string, TargetGroupRef[]>();
  for await (const page of paginateDescribeTargetGroups({ client: elb }, { PageSize: DESCRIBE_PAGE_SIZE })) {
    for (const tg of page.TargetGroups ?? []) {
      const ref: TargetGroupRef = {
        arn: tg.TargetGroupArn!,
        name: tg.TargetGroupName!,
        ...(tg.Protocol ? { protocol: tg.Protocol } : {}),
        ...(tg.Port !== undefined ? { port: tg.Port } : {}),
        ...(tg.TargetType ? { targetType: tg.TargetType } : {}),
      };
      for (const lbArn of tg.LoadBalancerArns ?? []) byLb.set(lbArn, [...(byLb.get(lbArn) ?? []), ref]);
    }
  }
  return byLb;
}

/** States in which a load balancer is billed and judged (provisioning and failed ones are not). */
const JUDGED_STATES = new Set(['active', 'active_impaired']);

export const loadBalancerResource: ResourceType<LoadBalancer> = {
  id: 'load-balancer',
  title: 'Load balancer (ALB, NLB, GWLB)',
  permissions: [
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeTags',
    'elasticloadbalancing:DescribeTargetHealth',
    'cloudwatch:GetMetricData',
  ],

  async *list(ctx, _prepared, ids) {
    const elb = ctx.clients.get(ElasticLoadBalancingV2Client, ctx.region);
    // Event-driven runs name load balancers by name or ARN. DescribeLoadBalancers fails the whole
    // call when one name is gone (LoadBalancerNotFound), so narrow the full listing instead.
    const wanted = ids?.length ? new Set(ids) : undefined;
    async function* pages() {
      for await (const page of paginateDescribeLoadBalancers({ client: elb }, { PageSize: DESCRIBE_PAGE_SIZE })) {
        yield (page.LoadBalancers ?? [])
          .filter((lb) => lb.LoadBalancerArn && lb.LoadBalancerName && JUDGED_STATES.has(lb.State?.Code ?? ''))
          .filter((lb) => !wanted || wanted.has(lb.LoadBalancerName!) || wanted.has(lb.LoadBalancerArn!))
          .map((lb) => toLoadBalancer(lb, ctx.region));
      }
    }
    let groups: Map<string, TargetGroupRef[]> | undefined;
    for await (const page of chunked(pages(), LOAD_BALANCERS_PER_PAGE)) {
      groups ??= await targetGroupsByLoadBalancer(ctx); // once per region, only when there is a load balancer
      const tags = await readTags(ctx, page.map((lb) => lb.arn));
      yield page.map((lb) => ({ ...lb, tags: tags.get(lb.arn) ?? {}, targetGroups: groups!.get(lb.arn) ?? [] }));
    }
  },

  async enrich(ctx, page, _prepared, needs) {
    if (!needs.has(LB_NEEDS.traffic) || page.length === 0) return page;
    const windowDays = windowDaysOf(needs);
    const traffic = await readTraffic(ctx, page, windowDays);
    const withTraffic = page.map((lb) => ({ ...lb, traffic: { windowDays, days: traffic.get(lb.arn)! } }));
    const thresholds = healthThresholdsOf(needs);
    const quiet = withTraffic.filter((lb) => isQuiet(lb, windowDays, thresholds));
    if (quiet.length === 0) return withTraffic;
    const health = await readTargetHealth(ctx, quiet.flatMap((lb) => lb.targetGroups));
    const quietArns = new Set(quiet.map((lb) => lb.arn));
    return withTraffic.map((lb) => {
      if (!quietArns.has(lb.arn)) return lb;
      // Groups deleted since the listing no longer route anything to this load balancer.
      const targetGroups = lb.targetGroups.filter((g) => health.has(g.arn));
      const groups = targetGroups.map((g) => health.get(g.arn)!);
      return { ...lb, targetGroups, targetHealth: { registered: groups.reduce((s, g) => s + g.registered, 0), healthy: groups.reduce((s, g) => s + g.healthy, 0), groups } };
    });
  },

  ref(lb, ctx) {
    return { type: 'load-balancer', id: lb.id, arn: lb.arn, account: ctx.account, region: lb.region, tags: lb.tags };
  },
};
