/**
 * The ElastiCache part of the sandbox: an idle Redis left by a finished project, a busy
 * previous-generation Memcached (cache.m4.large: the successor saving), a busy current cluster
 * (the trap for both), an idle one tagged trimtab:skip, and an idle one too new to judge.
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import { elasticacheState, type SandboxCacheCluster } from '../../sandbox/services/elasticache.ts';

export interface CacheSeed extends Omit<SandboxCacheCluster, 'createdAt' | 'status' | 'tags'> {
  ageDays: number;
  tags?: Record<string, string>;
  /** CurrConnections and commands per 5-minute datapoint (absent: no metrics). */
  connections?: Omit<SeriesSpec, 'resolutionSeconds'>;
  commands?: Omit<SeriesSpec, 'resolutionSeconds'>;
}

export function addCacheCluster(sandbox: Sandbox, accountId: string, region: string, seed: CacheSeed) {
  const account = sandbox.account(accountId);
  const { ageDays, connections, commands, tags, ...rest } = seed;
  const createdAt = daysAgo(sandbox.now(), ageDays).toISOString();
  elasticacheState(sandbox, account, region).clusters[rest.id] = { ...rest, status: 'available', createdAt, tags: tags ?? {} };
  const metrics = cloudwatchState(sandbox, account, region).metrics;
  const base = { resolutionSeconds: 300, min: 0, startsAt: createdAt };
  const dimensions = { CacheClusterId: rest.id };
  const [get, set] = rest.engine === 'memcached' ? ['CmdGet', 'CmdSet'] : ['GetTypeCmds', 'SetTypeCmds'];
  if (connections) metrics.push({ namespace: 'AWS/ElastiCache', metricName: 'CurrConnections', dimensions, series: { ...base, ...connections } });
  if (commands) {
    metrics.push({ namespace: 'AWS/ElastiCache', metricName: get, dimensions, series: { ...base, ...commands } });
    metrics.push({ namespace: 'AWS/ElastiCache', metricName: set, dimensions, series: { ...base, ...commands, base: commands.base / 4 } });
  }
}

export function seedElastiCacheSmallCompany(sandbox: Sandbox, accountId: string) {
  const region = 'us-east-1';
  const add = (seed: CacheSeed) => addCacheCluster(sandbox, accountId, region, seed);
  // Idle on AWS is not 0 connections: ElastiCache's own monitoring holds 4 to 6 (Valkey / Redis OSS CurrConnections).
  const idle = { connections: { base: 5 }, commands: { base: 0 } };
  add({ id: 'acme-promo-2025-redis', engine: 'redis', engineVersion: '7.1.0', nodeType: 'cache.r6g.large', nodes: 1, ageDays: 300, tags: { project: 'promo-2025' }, ...idle });
  add({ id: 'acme-sessions-memcached', engine: 'memcached', engineVersion: '1.6.22', nodeType: 'cache.m4.large', nodes: 3, ageDays: 1500, tags: { team: 'web' }, connections: { base: 120, amplitude: 40 }, commands: { base: 30_000, amplitude: 10_000, seed: 2 } });
  add({ id: 'acme-api-cache', engine: 'valkey', engineVersion: '8.0.1', nodeType: 'cache.r7g.large', nodes: 2, ageDays: 400, tags: { team: 'api' }, connections: { base: 300, amplitude: 50 }, commands: { base: 90_000, amplitude: 20_000, seed: 3 } });
  add({ id: 'acme-dr-redis', engine: 'redis', engineVersion: '7.1.0', nodeType: 'cache.t3.medium', nodes: 1, ageDays: 500, tags: { 'trimtab:skip': 'warm standby for disaster recovery' }, ...idle });
  add({ id: 'acme-new-redis', engine: 'redis', engineVersion: '7.1.0', nodeType: 'cache.t4g.small', nodes: 1, ageDays: 2, tags: { team: 'ml' }, ...idle });
}
