/** "What AWS requires" for `elasticache-cluster`: see lib/resources/aws-requires.ts and docs/resources/elasticache-cluster.md. */
import type { AwsRequirement } from '../aws-requires.ts';

const UNIT = 'test/unit/resources/elasticache-cluster/detectors.test.ts';
const INTEGRATION = 'test/integration/elasticache-cluster.test.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'cloudwatch:GetMetricData',
    elements: ['idle-cluster'],
    rule: 'CurrConnections counts ElastiCache\'s own connections: "ElastiCache uses 4 to 6 of the connections to monitor the cluster" (Valkey, Redis OSS); Memcached 2 to 3 plus internal connections equal to twice the node type\'s threads',
    awsAnswers: 'no error: an idle cluster never shows 0 connections',
    source: 'ElastiCache User Guide, "Metrics for Valkey and Redis OSS" and "Metrics for Memcached" (CurrConnections)',
    trimtabDoes: 'allows 6 (Valkey, Redis OSS) or 11 (Memcached, 4 threads: a belief) before counting a client; evidence shows peak, monitoring and client connections',
    sandbox: 'lib/resources/elasticache-cluster/sandbox-seed.ts seeds idle clusters at 5 connections',
    test: { file: UNIT, name: "counts ElastiCache's own monitoring connections as no client: Redis OSS and Valkey up to 6, Memcached up to 11" },
  },
  {
    operation: 'elasticache:DescribeCacheClusters',
    elements: ['idle-cluster', 'previous-generation-node'],
    rule: 'MaxRecords 20 to 100 (default 100), pages by Marker',
    awsAnswers: 'InvalidParameterValue (400) out of range',
    source: 'client-elasticache DescribeCacheClustersCommand.d.ts (MaxRecords)',
    trimtabDoes: 'MaxRecords 100, follows Marker',
    sandbox: 'lib/sandbox/services/elasticache.ts DescribeCacheClusters',
    test: { file: INTEGRATION, name: 'lists 260 clusters in pages of 100, one tag read per cluster (no batch API) and one GetMetricData per 125 clusters' },
  },
  {
    operation: 'elasticache:DescribeCacheClusters',
    elements: ['previous-generation-node'],
    rule: 'node types exist only in the sizes AWS lists: t4g micro to medium, m6g and r6g from large (no cache.m6g.small or .medium)',
    awsAnswers: 'belief: a modification to a type that does not exist is refused (InvalidParameterValue / InvalidParameterCombination)',
    source: 'ElastiCache User Guide, "Supported node types"',
    trimtabDoes: 'proposes only existing types; sizes m6g lacks map by memory (m3.medium → t4g.medium, m1.small → t4g.small, m1.medium → m6g.large)',
    sandbox: 'not enforced: the detector is report only and never writes',
    test: { file: UNIT, name: 'never proposes a node type that does not exist: m6g has no small or medium size' },
  },
  {
    operation: 'elasticache:DescribeCacheClusters',
    elements: ['idle-cluster', 'previous-generation-node'],
    rule: 'Valkey node-based clusters cost "up to 20% lower" per node than Redis OSS',
    awsAnswers: 'a price, not an API answer',
    source: 'ElastiCache FAQ, "Why should I use ElastiCache for Valkey?"',
    trimtabDoes: 'prices Valkey nodes at the table rate less elasticacheValkeyNodeDiscount (0.2) and says so in the basis',
    sandbox: 'not enforced: a price, not an API behaviour',
    test: { file: UNIT, name: 'prices Valkey nodes 20 % below the Redis OSS rate (ElastiCache FAQ), saying so' },
  },
];
