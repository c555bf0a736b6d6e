/**
 * ElastiCache clusters (report only), listed with DescribeCacheClusters (paginated by Marker,
 * MaxRecords 20..100, ShowCacheNodeInfo) and regrouped into pages of 125 so one GetMetricData
 * call (4 daily queries per cluster: CurrConnections Maximum, and the engine's read and write
 * command counts, Sum) covers a page. Redis OSS / Valkey publish GetTypeCmds and SetTypeCmds;
 * Memcached publishes CmdGet and CmdSet. Metrics are read at the cluster level (dimension
 * CacheClusterId only: ElastiCache aggregates the nodes). Tags: ListTagsForResource per
 * cluster (ElastiCache has no batch tag read), only when a detector needs them.
 */
import { CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient, ListTagsForResourceCommand, paginateDescribeCacheClusters, type CacheCluster as AwsCacheCluster } from '@aws-sdk/client-elasticache';
import { dailyMetricSeries } from '../../aws/metrics.ts';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { chunked, mapLimit } from '../../util/async.ts';
import { partitionOf } from '../../aws/regions.ts';

export const CACHE_NEEDS = { usage: 'usage', tags: 'tags' } as const;
export const windowNeed = (days: number) => `window:${days}`;
export const DEFAULT_WINDOW_DAYS = 14;
export const CLUSTERS_PER_PAGE = 125;
const DAY_MS = 86_400_000;

export interface DailyCacheUse {
  day: string;
  peakConnections: number | null;
  reads: number | null;
  writes: number | null;
}

export interface CacheCluster {
  id: string;
  arn: string;
  region: string;
  status: string;
  engine: string;
  engineVersion?: string;
  nodeType: string;
  nodes: number;
  replicationGroupId?: string;
  createdAt?: string;
  tags: Record<string, string>;
  /** Why the tags could not be read (the cluster is not available): no detector reports it then. */
  tagsUnknown?: string;
  usage?: { windowDays: number; days: DailyCacheUse[] };
}

export function toCacheCluster(c: AwsCacheCluster, region: string, account: string): CacheCluster {
  return {
    id: c.CacheClusterId!,
    arn: c.ARN ?? `arn:${partitionOf(region)}:elasticache:${region}:${account}:cluster:${c.CacheClusterId}`,
    region,
    status: c.CacheClusterStatus ?? 'unknown',
    engine: c.Engine ?? 'redis',
    ...(c.EngineVersion ? { engineVersion: c.EngineVersion } : {}),
    nodeType: c.CacheNodeType ?? 'unknown',
    nodes: c.NumCacheNodes ?? c.CacheNodes?.length ?? 1,
    ...(c.ReplicationGroupId ? { replicationGroupId: c.ReplicationGroupId } : {}),
    ...(c.CacheClusterCreateTime ? { createdAt: new Date(c.CacheClusterCreateTime).toISOString() } : {}),
    tags: {},
  };
}

/** The engine's read and write command metrics. */
export const commandMetrics = (engine: string): [string, string] => (engine === 'memcached' ? ['CmdGet', 'CmdSet'] : ['GetTypeCmds', 'SetTypeCmds']);

const windowDaysOf = (needs: ReadonlySet<string>) =>
  Math.max(0, ...[...needs].filter((n) => n.startsWith('window:')).map((n) => Number(n.slice(7)))) || DEFAULT_WINDOW_DAYS;

async function readUsage(ctx: RegionContext, clusters: CacheCluster[], windowDays: number): Promise<Map<string, DailyCacheUse[]>> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const end = new Date(Math.floor(ctx.now.getTime() / DAY_MS) * DAY_MS);
  const start = new Date(end.getTime() - windowDays * DAY_MS);
  const q = (id: string, cluster: string, name: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/ElastiCache', MetricName: name, Dimensions: [{ Name: 'CacheClusterId', Value: cluster }] }, Period: 86_400, Stat: stat },
    ReturnData: true,
  });
  const queries = clusters.flatMap((c, i) => {
    const [get, set] = commandMetrics(c.engine);
    return [q(`con${i}`, c.id, 'CurrConnections', 'Maximum'), q(`get${i}`, c.id, get, 'Sum'), q(`set${i}`, c.id, set, 'Sum')];
  });
  const series = await dailyMetricSeries(cw, queries, start, end, windowDays);
  return new Map(
    clusters.map((c, i) => [
      c.id,
      Array.from({ length: windowDays }, (_, d) => ({
        day: new Date(start.getTime() + d * DAY_MS).toISOString().slice(0, 10),
        peakConnections: series.get(`con${i}`)?.[d] ?? null,
        reads: series.get(`get${i}`)?.[d] ?? null,
        writes: series.get(`set${i}`)?.[d] ?? null,
      })),
    ]),
  );
}

export const elasticacheClusterResource: ResourceType<CacheCluster> = {
  id: 'elasticache-cluster',
  title: 'ElastiCache cluster',
  permissions: ['elasticache:DescribeCacheClusters', 'elasticache:ListTagsForResource', 'cloudwatch:GetMetricData'],

  async *list(ctx, _prepared, ids) {
    const ec = ctx.clients.get(ElastiCacheClient, ctx.region);
    const inputs = ids?.length ? ids.map((CacheClusterId) => ({ CacheClusterId, ShowCacheNodeInfo: true })) : [{ ShowCacheNodeInfo: true }];
    async function* pages() {
      for (const input of inputs) {
        try {
          for await (const page of paginateDescribeCacheClusters({ client: ec, pageSize: 100 }, input)) {
            yield (page.CacheClusters ?? []).filter((c) => c.CacheClusterId).map((c) => toCacheCluster(c, ctx.region, ctx.account));
          }
        } catch (error) {
          // An event naming a cluster that is gone: nothing to list.
          if ((error as { name?: string }).name !== 'CacheClusterNotFound' || !ids?.length) throw error;
        }
      }
    }
    yield* chunked(pages(), CLUSTERS_PER_PAGE);
  },

  async enrich(ctx, page, _prepared, needs) {
    if (!page.length) return page;
    let clusters = page;
    if (needs.has(CACHE_NEEDS.tags)) {
      const ec = ctx.clients.get(ElastiCacheClient, ctx.region);
      // "If the cluster is not in the available state, ListTagsForResource returns an error"
      // (ListTagsForResourceCommand.d.ts): a cluster being created, modified or snapshotted would
      // fail the whole page. Its tags stay unknown (tagsUnknown) and the detectors leave it alone.
      const tags = await mapLimit(clusters, 8, async (c) =>
        c.status === 'available' ? Object.fromEntries(((await ec.send(new ListTagsForResourceCommand({ ResourceName: c.arn }))).TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) : undefined,
      );
      clusters = clusters.map((c, i) => (tags[i] ? { ...c, tags: tags[i] } : { ...c, tagsUnknown: `its tags cannot be read while it is ${c.status} (ListTagsForResource answers only for an available cluster)` }));
    }
    if (needs.has(CACHE_NEEDS.usage)) {
      const windowDays = windowDaysOf(needs);
      const usage = await readUsage(ctx, clusters, windowDays);
      clusters = clusters.map((c) => ({ ...c, usage: { windowDays, days: usage.get(c.id)! } }));
    }
    return clusters;
  },

  ref(c, ctx) {
    return { type: 'elasticache-cluster', id: c.id, arn: c.arn, account: ctx.account, region: c.region, tags: c.tags };
  },
};
