/**
 * Sandbox ElastiCache (awsQuery, XML on the wire through lib/sandbox/wire/encode.ts): the
 * account's cache clusters, read-only as the elasticache-cluster module uses them.
 * DescribeCacheClusters pages by Marker with MaxRecords 20..100 (default 100; outside the range
 * InvalidParameterValue), answers CacheClusterNotFound (404) for an unknown CacheClusterId, and
 * includes CacheNodes only with ShowCacheNodeInfo. ListTagsForResource takes the cluster ARN.
 */
import { awsError, paginate, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface SandboxCacheCluster {
  id: string;
  engine: 'redis' | 'valkey' | 'memcached';
  engineVersion: string;
  nodeType: string;
  nodes: number;
  status: string;
  createdAt: string;
  replicationGroupId?: string;
  tags: Record<string, string>;
}

export interface ElastiCacheState {
  clusters: Record<string, SandboxCacheCluster>;
}

export const elasticacheState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<ElastiCacheState>(account, region, 'elasticache', () => ({ clusters: {} }));

const arnOf = (region: string, account: string, id: string) => `arn:aws:elasticache:${region}:${account}:cluster:${id}`;
const notFound = (id: string) => awsError('CacheClusterNotFound', `CacheCluster not found: ${id}`, 404);

export const elasticacheService: SandboxService = {
  id: 'elasticache',
  operations: {
    DescribeCacheClusters(input, { sandbox, account, region }) {
      const all = Object.values(elasticacheState(sandbox, account, region).clusters).sort((a, b) => a.id.localeCompare(b.id));
      const wanted = input.CacheClusterId ? all.filter((c) => c.id === input.CacheClusterId) : all;
      if (input.CacheClusterId && !wanted.length) throw notFound(input.CacheClusterId);
      const { page, nextToken } = paginate(wanted, { token: input.Marker, max: input.MaxRecords }, { defaultMax: 100, maxMax: 100, minMax: 20, operation: 'DescribeCacheClusters' });
      return {
        CacheClusters: page.map((c) => ({
          CacheClusterId: c.id,
          ARN: arnOf(region, account.id, c.id),
          CacheNodeType: c.nodeType,
          Engine: c.engine,
          EngineVersion: c.engineVersion,
          CacheClusterStatus: c.status,
          NumCacheNodes: c.nodes,
          PreferredAvailabilityZone: `${region}a`,
          CacheClusterCreateTime: new Date(c.createdAt),
          ...(c.replicationGroupId ? { ReplicationGroupId: c.replicationGroupId } : {}),
          ...(input.ShowCacheNodeInfo
            ? { CacheNodes: Array.from({ length: c.nodes }, (_, n) => ({ CacheNodeId: String(n + 1).padStart(4, '0'), CacheNodeStatus: c.status, CacheNodeCreateTime: new Date(c.createdAt), CustomerAvailabilityZone: `${region}a` })) }
            : {}),
        })),
        ...(nextToken ? { Marker: nextToken } : {}),
      };
    },

    ListTagsForResource(input, { sandbox, account, region }) {
      const id = String(input.ResourceName ?? '').replace(/^arn:aws:elasticache:[^:]+:\d+:cluster:/, '');
      const c = elasticacheState(sandbox, account, region).clusters[id];
      if (!c) throw notFound(id);
      // "If the cluster is not in the available state, ListTagsForResource returns an error"
      // (client-elasticache ListTagsForResourceCommand.d.ts). The code is not documented: a belief.
      if (c.status !== 'available') throw awsError('InvalidCacheClusterState', `Cluster ${id} is not in the available state (${c.status}).`, 400);
      return { TagList: Object.entries(c.tags).map(([Key, Value]) => ({ Key, Value })) };
    },
  },
};
