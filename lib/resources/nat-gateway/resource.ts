/**
 * NAT gateways, listed with DescribeNatGateways (state available, 1,000 a page) and regrouped
 * into pages of up to 250, so one GetMetricData call (≤500 queries: BytesOutToDestination Sum
 * and ActiveConnectionCount Maximum per gateway, daily, AWS/NATGateway by NatGatewayId) covers a
 * whole page. Never a call per gateway.
 */
import { CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { dailyMetricSeries, METRIC_QUERIES_PER_CALL } from '../../aws/metrics.ts';
import { EC2Client, paginateDescribeNatGateways, type NatGateway as AwsNatGateway } from '@aws-sdk/client-ec2';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { batches, chunked } from '../../util/async.ts';
import { partitionOf } from '../../aws/regions.ts';

export const NAT_NEEDS = { traffic: 'traffic' } as const;
export const windowNeed = (days: number) => `window:${days}`;
export const DEFAULT_WINDOW_DAYS = 14;
/** Two metric queries per gateway: 250 gateways fill one GetMetricData call. */
export const GATEWAYS_PER_PAGE = METRIC_QUERIES_PER_CALL / 2;
const DAY_MS = 86_400_000;

export interface DailyTraffic {
  day: string;
  /** BytesOutToDestination Sum over the day. */
  bytesOut: number | null;
  /** ActiveConnectionCount Maximum over the day. */
  peakConnections: number | null;
}

export interface NatGateway {
  id: string;
  arn: string;
  region: string;
  state: string;
  vpcId?: string;
  subnetId?: string;
  createTime?: string;
  connectivityType: string;
  /** Elastic IP allocations of a public gateway (they stay billed until released). */
  allocationIds: string[];
  tags: Record<string, string>;
  /** Oldest day first (need `traffic`). */
  traffic?: { windowDays: number; days: DailyTraffic[] };
}

export function toNatGateway(n: AwsNatGateway, region: string, account: string): NatGateway {
  const tags: Record<string, string> = {};
  for (const t of n.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    id: n.NatGatewayId!,
    arn: `arn:${partitionOf(region)}:ec2:${region}:${account}:natgateway/${n.NatGatewayId}`,
    region,
    state: n.State ?? 'unknown',
    ...(n.VpcId ? { vpcId: n.VpcId } : {}),
    ...(n.SubnetId ? { subnetId: n.SubnetId } : {}),
    ...(n.CreateTime ? { createTime: new Date(n.CreateTime).toISOString() } : {}),
    connectivityType: n.ConnectivityType ?? 'public',
    allocationIds: (n.NatGatewayAddresses ?? []).map((a) => a.AllocationId).filter((a): a is string => Boolean(a)),
    tags,
  };
}

const windowDaysOf = (needs: ReadonlySet<string>) =>
  Math.max(0, ...[...needs].filter((n) => n.startsWith('window:')).map((n) => Number(n.slice(7)))) || DEFAULT_WINDOW_DAYS;

async function readTraffic(ctx: RegionContext, gateways: NatGateway[], windowDays: number): Promise<Map<string, DailyTraffic[]>> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const end = new Date(Math.floor(ctx.now.getTime() / DAY_MS) * DAY_MS);
  const start = new Date(end.getTime() - windowDays * DAY_MS);
  const metric = (id: string, gateway: string, name: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/NATGateway', MetricName: name, Dimensions: [{ Name: 'NatGatewayId', Value: gateway }] }, Period: 86_400, Stat: stat },
    ReturnData: true,
  });
  const queries = gateways.flatMap((g, i) => [metric(`out${i}`, g.id, 'BytesOutToDestination', 'Sum'), metric(`con${i}`, g.id, 'ActiveConnectionCount', 'Maximum')]);
  const series = await dailyMetricSeries(cw, queries, start, end, windowDays);
  return new Map(
    gateways.map((g, i) => [
      g.id,
      Array.from({ length: windowDays }, (_, d) => ({
        day: new Date(start.getTime() + d * DAY_MS).toISOString().slice(0, 10),
        bytesOut: series.get(`out${i}`)?.[d] ?? null,
        peakConnections: series.get(`con${i}`)?.[d] ?? null,
      })),
    ]),
  );
}

export const natGatewayResource: ResourceType<NatGateway> = {
  id: 'nat-gateway',
  title: 'NAT gateway',
  permissions: ['ec2:DescribeNatGateways', 'cloudwatch:GetMetricData'],

  async *list(ctx, _prepared, ids) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const available = { Name: 'state', Values: ['available'] };
    const inputs = ids?.length ? batches(ids, 200).map((chunk) => ({ Filter: [available, { Name: 'nat-gateway-id', Values: chunk }] })) : [{ Filter: [available] }];
    async function* pages() {
      for (const input of inputs) {
        for await (const page of paginateDescribeNatGateways({ client: ec2, pageSize: 1000 }, input)) {
          yield (page.NatGateways ?? []).filter((n) => n.NatGatewayId).map((n) => toNatGateway(n, ctx.region, ctx.account));
        }
      }
    }
    yield* chunked(pages(), GATEWAYS_PER_PAGE);
  },

  async enrich(ctx, page, _prepared, needs) {
    if (!needs.has(NAT_NEEDS.traffic) || page.length === 0) return page;
    const windowDays = windowDaysOf(needs);
    const traffic = await readTraffic(ctx, page, windowDays);
    return page.map((g) => ({ ...g, traffic: { windowDays, days: traffic.get(g.id)! } }));
  },

  ref(g, ctx) {
    return { type: 'nat-gateway', id: g.id, arn: g.arn, account: ctx.account, region: g.region, tags: g.tags };
  },
};
