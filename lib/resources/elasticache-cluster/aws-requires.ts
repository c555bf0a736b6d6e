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
    reviewed: "fresh-context review 2026-12-07: ElastiCache User Guide metrics tables (CurrConnections: \"ElastiCache uses 4 to 6 of the connections to monitor the cluster\"; Memcached 2 to 3 plus twice the node type's threads), which supersede the issue's 2–4; thresholds 6 / 11 in detectors.ts; test run; agrees",
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
    reviewed: "fresh-context review 2026-12-07: client-elasticache models_0.d.ts DescribeCacheClustersMessage.MaxRecords (\"Constraints: minimum 20; maximum 100\"); paginator pageSize 100; test run; agrees",
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
    reviewed: "fresh-context review 2026-12-07: Supported node types page; successorOf maps only to sizes FAMILY_SIZES lists; test run; agrees",
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
    reviewed: "fresh-context review 2026-12-07: ElastiCache FAQ (\"up to 20% lower\"); priced with elasticacheValkeyNodeDiscount, said in the basis; test run; agrees",
  },
  {
    operation: 'elasticache:ListTagsForResource',
    elements: ['idle-cluster', 'previous-generation-node'],
    rule: '"If the cluster is not in the available state, ListTagsForResource returns an error"; there is no batch tag read',
    awsAnswers: 'an error (code not documented; InvalidCacheClusterState is a belief) for a cluster creating, modifying, snapshotting or rebooting',
    source: 'client-elasticache ListTagsForResourceCommand.d.ts',
    trimtabDoes: 'reads tags (one call per cluster) only of available clusters; others get tagsUnknown and no detector reports them (idle-cluster already skipped them; previous-generation-node now does)',
    sandbox: 'lib/sandbox/services/elasticache.ts ListTagsForResource (InvalidCacheClusterState unless available)',
    test: { file: INTEGRATION, name: 'scans past a cluster that is being modified (ListTagsForResource answers only an available cluster) and reports nothing for it, its tags being unknown' },
    reviewed: 'fresh-context review 2026-12-07: row added by the reviewer. Before the fix one modifying cluster failed the tag read of its whole page (no finding at all); test fails on the old code',
  },
];
