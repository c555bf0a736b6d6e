import { afterEach, describe, expect, it } from 'vitest';
import { addCacheCluster } from '../../lib/resources/elasticache-cluster/sandbox-seed.ts';
import { elasticacheState } from '../../lib/sandbox/services/elasticache.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../lib/sandbox/sandbox.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { emptySandbox, envFor, testEnv } from '../helpers.ts';

const START = '2026-11-01T00:00:00Z';
const opened: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const POLICY = `
version: 1
defaults: { mode: auto }
policies:
  - { id: idle, resource: elasticache-cluster, detector: { type: idle-cluster } }
  - { id: oldgen, resource: elasticache-cluster, detector: { type: previous-generation-node } }
`;

describe('elasticache-cluster on the small-company sandbox', () => {
  it('reports the idle cluster and the previous-generation one with their savings, protects the traps, and writes nothing even in auto mode', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: new VirtualClock(START) });
    opened.push(env.sandbox);
    // Act
    const result = await env.run(POLICY);
    // Assess
    const idle = Object.fromEntries(result.findings.filter((f) => f.policy === 'idle').map((f) => [f.resource.id, f]));
    const oldgen = Object.fromEntries(result.findings.filter((f) => f.policy === 'oldgen').map((f) => [f.resource.id, f]));
    expect(Object.keys(idle).sort()).toEqual(['acme-dr-redis', 'acme-new-redis', 'acme-promo-2025-redis']);
    expect(idle['acme-promo-2025-redis']).toMatchObject({ status: 'report-only', evidence: { peakConnections: 5, monitoringConnections: 6, clientConnectionsAtMost: 0, commandsPerDay: 0, commandMetrics: ['GetTypeCmds', 'SetTypeCmds'] } });
    expect(idle['acme-promo-2025-redis'].savings.monthlyUsd).toBe(150.38); // $0.206/h × 730
    expect(idle['acme-dr-redis'].outcomeDetail).toBe('tagged trimtab:skip');
    expect(idle['acme-new-redis'].evidence.protection).toBe('too little data: 2 of 14 days have metrics, 7 are needed');
    expect(Object.keys(oldgen)).toEqual(['acme-sessions-memcached']);
    expect(oldgen['acme-sessions-memcached'].evidence.candidate).toBe('cache.m6g.large');
    expect(oldgen['acme-sessions-memcached'].savings.monthlyUsd).toBe(15.33); // 3 × ($0.156 − $0.149) × 730
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(result.actions).toEqual([]);
  });

  it('lists 260 clusters in pages of 100, one tag read per cluster (no batch API) and one GetMetricData per 125 clusters', async () => {
    const sandbox = emptySandbox({ clock: new VirtualClock(START), pageCap: undefined });
    opened.push(sandbox);
    for (let n = 0; n < 260; n++) addCacheCluster(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: `c-${String(n).padStart(3, '0')}`, engine: n % 2 ? 'redis' : 'memcached', engineVersion: '7.1.0', nodeType: 'cache.t4g.small', nodes: 1, ageDays: 60, connections: { base: n % 5 ? 10 : 0 }, commands: { base: n % 5 ? 1000 : 0 } });
    const result = await envFor(sandbox, ['us-east-1']).run(POLICY.replace(/\n  - \{ id: oldgen.*\n/, '\n'));
    expect(sandbox.callsByOperation()).toEqual({ 'cloudwatch:GetMetricData': 3, 'elasticache:DescribeCacheClusters': 3, 'elasticache:ListTagsForResource': 260 });
    expect(result.findings).toHaveLength(52);
  });

  it('scans past a cluster that is being modified (ListTagsForResource answers only an available cluster) and reports nothing for it, its tags being unknown', async () => {
    // Prepare
    const sandbox = emptySandbox({ clock: new VirtualClock(START) });
    opened.push(sandbox);
    const account = sandbox.account(SANDBOX_ACCOUNT);
    const idle = { connections: { base: 5 }, commands: { base: 0 } };
    addCacheCluster(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'old-idle', engine: 'redis', engineVersion: '7.1.0', nodeType: 'cache.m4.large', nodes: 1, ageDays: 60, ...idle });
    addCacheCluster(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'resizing', engine: 'redis', engineVersion: '7.1.0', nodeType: 'cache.m4.large', nodes: 1, ageDays: 60, tags: { 'trimtab:skip': 'being moved' }, ...idle });
    elasticacheState(sandbox, account, 'us-east-1').clusters['resizing'].status = 'modifying';
    // Act
    const result = await envFor(sandbox, ['us-east-1']).run(POLICY);
    // Assess
    const found = result.findings.map((f) => `${f.policy}:${f.resource.id}`).sort();
    expect(found).toEqual(['idle:old-idle', 'oldgen:old-idle']);
    expect(sandbox.callsByOperation()['elasticache:ListTagsForResource']).toBe(1);
    expect(sandbox.successfulWrites()).toEqual([]);
  });
});
