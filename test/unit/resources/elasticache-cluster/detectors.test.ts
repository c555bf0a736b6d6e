import { describe, expect, it } from 'vitest';
import type { DetectEnv, Detection } from '../../../../lib/engine/types.ts';
import { idleCluster, previousGenerationNode, successorOf, type IdleClusterOptions } from '../../../../lib/resources/elasticache-cluster/detectors.ts';
import type { CacheCluster, DailyCacheUse } from '../../../../lib/resources/elasticache-cluster/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const env = { ctx: { now: new Date('2026-11-01T00:00:00Z'), prices: DEFAULT_PRICES }, prepared: undefined } as unknown as DetectEnv;
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;
const opts = (o: Partial<IdleClusterOptions> = {}) => idleCluster.options.parse(o) as unknown as IdleClusterOptions;
const days = (use: Partial<DailyCacheUse>, n = 14): DailyCacheUse[] => Array.from({ length: 14 }, (_, d) => (d < 14 - n ? { day: `d${d}`, peakConnections: null, reads: null, writes: null } : { day: `d${d}`, peakConnections: 0, reads: 0, writes: 0, ...use }));
const cluster = (overrides: Partial<CacheCluster> = {}, usage = days({})): CacheCluster => ({
  id: 'c1', arn: 'arn:aws:elasticache:us-east-1:123456789012:cluster:c1', region: 'us-east-1', status: 'available', engine: 'redis', nodeType: 'cache.r6g.large', nodes: 2, tags: {}, usage: { windowDays: 14, days: usage }, ...overrides,
});

describe('idle-cluster', () => {
  it('reports a cluster with no connections and no commands, priced per node', () => {
    const d = one(idleCluster.detect!(cluster(), opts(), env))!;
    expect(d.status).toBeUndefined();
    expect(d.savings!.monthlyUsd).toBe(300.76); // 2 × $0.206 × 730
  });

  it('leaves a cluster with clients or commands alone, and names the group of a member', () => {
    expect(one(idleCluster.detect!(cluster({}, days({ peakConnections: 7 })), opts(), env))).toBeUndefined();
    expect(one(idleCluster.detect!(cluster({}, days({ reads: 500 })), opts(), env))).toBeUndefined();
    expect(one(idleCluster.detect!(cluster({ replicationGroupId: 'rg-1' }), opts(), env))!.reason).toMatch(/replication group rg-1: delete the group/);
  });

  it("counts ElastiCache's own monitoring connections as no client: Redis OSS and Valkey up to 6, Memcached up to 11", () => {
    // Prepare: CurrConnections never drops to 0 on AWS; the monitoring holds 4 to 6 (Valkey / Redis OSS).
    const redisAt6 = cluster({}, days({ peakConnections: 6 }));
    const memcachedAt11 = cluster({ engine: 'memcached' }, days({ peakConnections: 11 }));
    // Act
    const idle = one(idleCluster.detect!(redisAt6, opts(), env))!;
    // Assess
    expect(idle.evidence).toMatchObject({ peakConnections: 6, monitoringConnections: 6, clientConnectionsAtMost: 0, maxPeakConnectionsAllowed: 6 });
    expect(idle.reason).toMatch(/at most 6 connections \(ElastiCache's own monitoring holds up to 6\)/);
    expect(one(idleCluster.detect!(memcachedAt11, opts(), env))!.evidence).toMatchObject({ monitoringConnections: 11 });
    expect(one(idleCluster.detect!(cluster({}, days({ peakConnections: 7 })), opts(), env))).toBeUndefined();
    // A policy may allow a client or two, or set the raw peak itself.
    expect(one(idleCluster.detect!(cluster({}, days({ peakConnections: 7 })), opts({ maxClientConnections: 1 }), env))).toBeDefined();
    expect(one(idleCluster.detect!(redisAt6, opts({ maxPeakConnections: 2 }), env))).toBeUndefined();
  });

  it('prices Valkey nodes 20 % below the Redis OSS rate (ElastiCache FAQ), saying so', () => {
    const d = one(idleCluster.detect!(cluster({ engine: 'valkey' }), opts(), env))!;
    // 2 × $0.206 × 0.8 × 730
    expect(d.savings!.monthlyUsd).toBe(240.61);
    expect(d.savings!.basis[0]).toContain('$0.1648/h (Valkey: the Redis OSS rate less 20 %, ElastiCache FAQ)');
  });

  it('protects a cluster with too few days of metrics and ignores one that is not available', () => {
    expect(one(idleCluster.detect!(cluster({}, days({}, 3)), opts(), env))!.status).toBe('protected');
    expect(one(idleCluster.detect!(cluster({ status: 'modifying' }), opts(), env))).toBeUndefined();
  });
});

describe('previous-generation-node', () => {
  it('maps older families to their current-generation successor of the same size', () => {
    expect(successorOf('cache.t2.micro')).toBe('cache.t4g.micro');
    expect(successorOf('cache.m4.large')).toBe('cache.m6g.large');
    expect(successorOf('cache.r4.xlarge')).toBe('cache.r6g.xlarge');
    expect(successorOf('cache.r6g.large')).toBeUndefined();
  });

  it('never proposes a node type that does not exist: m6g has no small or medium size', () => {
    expect(successorOf('cache.m3.medium')).toBe('cache.t4g.medium');
    expect(successorOf('cache.m1.small')).toBe('cache.t4g.small');
    expect(successorOf('cache.m1.medium')).toBe('cache.m6g.large');
    expect(successorOf('cache.m1.large')).toBe('cache.m6g.large');
    expect(successorOf('cache.t2.large')).toBeUndefined();
    for (const t of ['cache.t1.micro', 'cache.t2.small', 'cache.m3.xlarge', 'cache.m2.4xlarge', 'cache.c1.xlarge', 'cache.r3.8xlarge', 'cache.m4.10xlarge']) {
      const s = successorOf(t);
      if (s) expect(s).toMatch(/^cache\.(t4g\.(micro|small|medium)|[mr]6g\.(large|xlarge|2xlarge|4xlarge|8xlarge|12xlarge|16xlarge))$/);
    }
  });

  it('prices the change, or says the price is unknown', () => {
    const d = one(previousGenerationNode.detect!(cluster({ nodeType: 'cache.r4.large', nodes: 2 }), {}, env))!;
    expect(d.evidence.candidate).toBe('cache.r6g.large');
    expect(d.savings!.monthlyUsd).toBe(32.12); // 2 × (0.228 − 0.206) × 730
    const unknown = one(previousGenerationNode.detect!(cluster({ nodeType: 'cache.m3.2xlarge' }), {}, env))!;
    expect(unknown.savings).toEqual({ monthlyUsd: 0, basis: ['cache.m3.2xlarge is not in the price table (elasticacheNodeHourly): no saving estimated.'] });
  });
});
