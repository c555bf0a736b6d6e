/**
 * ElastiCache findings, report only (a cache's deletion or node-type change is a design decision
 * with a maintenance window; a person acts on it):
 * - idle-cluster: no client connections (CurrConnections daily Maximum) and near-zero commands
 *   (the engine's read + write command counts) over the window;
 * - previous-generation-node: a node type of an older family (t2, m3, m4, r3, r4, …), with its
 *   current-generation successor and the saving from the price table.
 */
import * as z from 'zod';
import type { Detector } from '../../engine/types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { CACHE_NEEDS, commandMetrics, elasticacheClusterResource, windowNeed, type CacheCluster } from './resource.ts';

/**
 * A node's on-demand $/hour for the engine, or undefined when the node type is not priced. The
 * table holds Redis OSS / Memcached rates; Valkey nodes cost up to 20 % less (ElastiCache FAQ,
 * prices.elasticacheValkeyNodeDiscount).
 */
export function nodeHourly(nodeType: string, engine: string, prices: PriceTable): number | undefined {
  // The price list's own Valkey rate when the region's table has it (issue 27, lib/pricing/lookup.ts).
  const valkey = engine === 'valkey' ? prices.elasticacheNodeHourly[`valkey:${nodeType}`] : undefined;
  if (valkey !== undefined) return valkey;
  const hourly = prices.elasticacheNodeHourly[nodeType];
  if (hourly === undefined) return undefined;
  return engine === 'valkey' ? Math.round(hourly * (1 - prices.elasticacheValkeyNodeDiscount) * 100_000) / 100_000 : hourly;
}

/** The cluster's nodes for a month at the on-demand price, or undefined when the node type is not priced. */
export function clusterMonthly(c: Pick<CacheCluster, 'nodeType' | 'nodes' | 'engine'>, prices: PriceTable): number | undefined {
  const hourly = nodeHourly(c.nodeType, c.engine, prices);
  return hourly === undefined ? undefined : hourly * c.nodes * prices.hoursPerMonth;
}

const priceNote = (engine: string, prices: PriceTable) => (engine === 'valkey' ? ` (Valkey: the Redis OSS rate less ${Math.round(prices.elasticacheValkeyNodeDiscount * 100)} %, ElastiCache FAQ)` : '');

/**
 * Connections ElastiCache itself holds, counted in CurrConnections (ElastiCache User Guide,
 * "Metrics for Valkey and Redis OSS": "ElastiCache uses 4 to 6 of the connections to monitor the
 * cluster"; "Metrics for Memcached": 2 to 3 for monitoring, plus internal connections equal to
 * twice the threads of the node type). Memcached's thread count is node-type specific; 4 threads
 * (8 internal connections) is a belief: a cluster with more threads reads as busier, never idler.
 */
export const MONITORING_CONNECTIONS: Record<string, number> = { redis: 6, valkey: 6, memcached: 3 + 2 * 4 };
export const monitoringConnections = (engine: string) => MONITORING_CONNECTIONS[engine] ?? MONITORING_CONNECTIONS.redis;

export interface IdleClusterOptions {
  windowDays: number;
  maxClientConnections: number;
  maxPeakConnections?: number;
  maxCommandsPerDay: number;
  minDaysWithData: number;
}

export const idleCluster: Detector<CacheCluster, IdleClusterOptions> = {
  id: 'idle-cluster',
  resource: elasticacheClusterResource.id,
  title: 'ElastiCache clusters with no connections and (almost) no commands over the window',
  options: z.object({
    /** Whole UTC days of CloudWatch metrics to judge by, ending at midnight. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /**
     * Client connections allowed at the busiest moment, above the ones ElastiCache's own monitoring
     * holds (Valkey / Redis OSS 6, Memcached 11: see MONITORING_CONNECTIONS).
     */
    maxClientConnections: z.number().min(0).default(0),
    /** Instead: the highest daily CurrConnections Maximum allowed, monitoring included (absent: the engine's monitoring connections + maxClientConnections). */
    maxPeakConnections: z.number().min(0).optional(),
    /** Read + write commands a day, on average, at most. */
    maxCommandsPerDay: z.number().min(0).default(100),
    /** Days with metrics needed to judge; fewer: protected (too little data). */
    minDaysWithData: z.number().int().min(1).default(7),
  }),
  needs: (o) => [CACHE_NEEDS.usage, CACHE_NEEDS.tags, windowNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],

  detect(c, o, { ctx }) {
    if (c.status !== 'available' || !c.usage) return undefined;
    const days = c.usage.days.slice(-o.windowDays);
    const known = days.filter((d) => d.peakConnections !== null || d.reads !== null || d.writes !== null);
    const peak = Math.max(0, ...known.map((d) => d.peakConnections ?? 0));
    const commands = known.reduce((n, d) => n + (d.reads ?? 0) + (d.writes ?? 0), 0);
    const perDay = known.length ? commands / known.length : 0;
    const monitoring = monitoringConnections(c.engine);
    const allowed = o.maxPeakConnections ?? monitoring + o.maxClientConnections;
    if (peak > allowed || perDay > o.maxCommandsPerDay) return undefined;
    const [get, set] = commandMetrics(c.engine);
    const evidence: Record<string, unknown> = {
      windowDays: o.windowDays,
      daysWithData: known.length,
      peakConnections: peak,
      monitoringConnections: monitoring,
      clientConnectionsAtMost: Math.max(0, peak - monitoring),
      maxPeakConnectionsAllowed: allowed,
      commandsPerDay: Math.round(perDay * 10) / 10,
      commandMetrics: [get, set],
      engine: c.engine,
      nodeType: c.nodeType,
      nodes: c.nodes,
      ...(c.replicationGroupId ? { replicationGroupId: c.replicationGroupId } : {}),
    };
    if (known.length < o.minDaysWithData) {
      return { reason: `${c.id} looks idle but has only ${known.length} days of metrics.`, evidence: { ...evidence, protection: `too little data: ${known.length} of ${o.windowDays} days have metrics, ${o.minDaysWithData} are needed` }, status: 'protected' };
    }
    const monthly = clusterMonthly(c, ctx.prices);
    const group = c.replicationGroupId ? ` It belongs to replication group ${c.replicationGroupId}: delete the group (with a final snapshot), not the member.` : ' Take a final snapshot before deleting it.';
    return {
      reason: `${c.id} (${c.engine}, ${c.nodes} × ${c.nodeType}) had at most ${peak} connection${peak === 1 ? '' : 's'} (ElastiCache's own monitoring holds up to ${monitoring}) and ${evidence.commandsPerDay} commands a day over ${o.windowDays} days.${group}`,
      evidence,
      savings: monthly === undefined
        ? { monthlyUsd: 0, basis: [`${c.nodeType} is not in the price table (elasticacheNodeHourly): no saving estimated.`] }
        : { monthlyUsd: usd(monthly), basis: [`${c.nodes} × ${c.nodeType} at $${nodeHourly(c.nodeType, c.engine, ctx.prices)}/h${priceNote(c.engine, ctx.prices)} × ${ctx.prices.hoursPerMonth} h = $${usd(monthly)}/month (on-demand; reserved nodes bill anyway until their term ends).`] },
    };
  },
};

/** Older node families and the current-generation successor of each size (same engine, same memory class). */
const SUCCESSOR_FAMILY: Record<string, string> = { t1: 't4g', t2: 't4g', m1: 'm6g', m2: 'r6g', m3: 'm6g', m4: 'm6g', c1: 'm6g', r3: 'r6g', r4: 'r6g' };

/** The sizes each successor family offers (ElastiCache User Guide, "Supported node types"): m6g and r6g start at large. */
const FAMILY_SIZES: Record<string, readonly string[]> = {
  t4g: ['micro', 'small', 'medium'],
  m6g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  r6g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
};

/**
 * Sizes whose family successor does not exist (there is no cache.m6g.small or .medium): the
 * smallest current type with at least the same memory (Supported node types: m1.small 1.3 GiB →
 * t4g.small 1.37 GiB; m1.medium 3.35 GiB → m6g.large 6.38 GiB, as t4g.medium has 3.09 GiB;
 * m3.medium 2.78 GiB → t4g.medium 3.09 GiB).
 */
const SUCCESSOR_OVERRIDE: Record<string, string> = {
  'cache.m1.small': 'cache.t4g.small',
  'cache.m1.medium': 'cache.m6g.large',
  'cache.m3.medium': 'cache.t4g.medium',
};

export function successorOf(nodeType: string): string | undefined {
  if (SUCCESSOR_OVERRIDE[nodeType]) return SUCCESSOR_OVERRIDE[nodeType];
  const m = /^cache\.([a-z]+\d)\.(\w+)$/.exec(nodeType);
  if (!m) return undefined;
  const family = SUCCESSOR_FAMILY[m[1]];
  // A successor of a size its family does not offer would be a type that does not exist: none.
  return family && FAMILY_SIZES[family]?.includes(m[2]) ? `cache.${family}.${m[2]}` : undefined;
}

export const previousGenerationNode: Detector<CacheCluster, Record<string, never>> = {
  id: 'previous-generation-node',
  resource: elasticacheClusterResource.id,
  title: 'ElastiCache clusters on previous-generation node types, with the successor and the saving',
  options: z.object({}),
  needs: [CACHE_NEEDS.tags],

  detect(c, _o, { ctx }) {
    // Tags unknown (not available: ListTagsForResource refuses): a trimtab:skip would be invisible.
    if (c.tagsUnknown) return undefined;
    const successor = successorOf(c.nodeType);
    if (!successor) return undefined;
    const now = clusterMonthly(c, ctx.prices);
    const next = clusterMonthly({ nodeType: successor, nodes: c.nodes, engine: c.engine }, ctx.prices);
    const known = now !== undefined && next !== undefined;
    return {
      reason: `${c.id} runs ${c.nodes} × ${c.nodeType}, a previous-generation node type: ${successor} is its current-generation successor${known ? ` ($${usd(now! - next!)}/month less)` : ''}. Changing the node type is an online scaling operation (ModifyCacheCluster / ModifyReplicationGroup) a person schedules.`,
      evidence: { nodeType: c.nodeType, nodes: c.nodes, engine: c.engine, engineVersion: c.engineVersion, candidate: successor, ...(c.replicationGroupId ? { replicationGroupId: c.replicationGroupId } : {}) },
      savings: known
        ? { monthlyUsd: usd(Math.max(0, now! - next!)), basis: [`${c.nodes} × ${c.nodeType} $${nodeHourly(c.nodeType, c.engine, ctx.prices)}/h → ${successor} $${nodeHourly(successor, c.engine, ctx.prices)}/h${priceNote(c.engine, ctx.prices)}, × ${ctx.prices.hoursPerMonth} h.`, 'Graviton (g) successors need an engine version that supports them (Redis OSS 5.0.6+, Memcached 1.5.16+).'] }
        : { monthlyUsd: 0, basis: [`${now === undefined ? c.nodeType : successor} is not in the price table (elasticacheNodeHourly): no saving estimated.`] },
    };
  },
};
