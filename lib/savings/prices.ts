/**
 * The one price table. us-east-1 list prices as published around early 2026
 * (see the "Savings math" section of each docs/resources/<type>.md). A policy may override any entry with `prices:`.
 */
import { EC2_TYPE_PRICES } from './ec2-instance-types.ts';
import { RDS_ORACLE_HOURLY, RDS_SQLSERVER_SE_HOURLY, derivedLicensedHourly } from './licensed.ts';

export const PRICE_TABLE_DATE = '2026-01';

export const DEFAULT_PRICES = {
  /** EBS snapshot storage, standard tier, $/GB-month (incremental: only changed blocks billed). */
  ebsSnapshotStandardGbMonth: 0.05,
  /** EBS snapshot storage, archive tier, $/GB-month (stored in full, 90-day minimum). */
  ebsSnapshotArchiveGbMonth: 0.0125,
  ebsSnapshotArchiveRestoreGb: 0.03,
  ebsGp2GbMonth: 0.1,
  ebsGp3GbMonth: 0.08,
  /** gp3 IOPS above the included 3,000, $/IOPS-month; throughput above the included 125 MiB/s, $/MiB/s-month. */
  ebsGp3IopsMonth: 0.005,
  ebsGp3ThroughputMbpsMonth: 0.04,
  ebsIo1GbMonth: 0.125,
  ebsIo2GbMonth: 0.125,
  ebsIo1IopsMonth: 0.065,
  ebsIo2IopsMonth: 0.065,
  ebsSt1GbMonth: 0.045,
  ebsSc1GbMonth: 0.015,
  ebsStandardGbMonth: 0.05,
  /** Magnetic (standard) volumes also bill I/O requests, $ per million (added 2026-01). */
  ebsStandardIoPerMillion: 0.05,
  /** io2 provisioned IOPS tiers above 32,000 and above 64,000 IOPS, $/IOPS-month (added 2026-01; the first 32,000 bill at ebsIo2IopsMonth). */
  ebsIo2IopsMonthTier2: 0.0455,
  ebsIo2IopsMonthTier3: 0.032,
  s3StandardGbMonth: 0.023,
  s3StandardIaGbMonth: 0.0125,
  s3IntelligentTieringFrequentGbMonth: 0.023,
  s3IntelligentTieringInfrequentGbMonth: 0.0125,
  /** Intelligent-Tiering monitoring and automation, per 1,000 objects (over 128 KB) a month. */
  s3IntelligentTieringMonitoringPer1000Objects: 0.0025,
  s3GlacierInstantGbMonth: 0.004,
  s3GlacierFlexibleGbMonth: 0.0036,
  s3DeepArchiveGbMonth: 0.00099,
  /** Lifecycle transition requests, per 1,000 objects. */
  s3TransitionToIaPer1000: 0.01,
  s3TransitionToIntelligentTieringPer1000: 0.01,
  publicIpv4Hour: 0.005,
  /** CloudWatch Logs storage (archived log data), $/GB-month. */
  cloudwatchLogsStorageGbMonth: 0.03,
  hoursPerMonth: 730,
  /** On-demand Linux $/hour for common instance types (us-east-1). */
  ec2OnDemandHourly: {
    't3.micro': 0.0104,
    't3.small': 0.0208,
    't3.medium': 0.0416,
    't3.large': 0.0832,
    't3.xlarge': 0.1664,
    'm5.large': 0.096,
    'm5.xlarge': 0.192,
    'm5.2xlarge': 0.384,
    'm6i.large': 0.096,
    'm6i.xlarge': 0.192,
    'm6i.2xlarge': 0.384,
    'm7g.large': 0.0816,
    'm7g.xlarge': 0.1632,
    'm4.large': 0.1,
    'm4.xlarge': 0.2,
    'c5.large': 0.085,
    'c5.xlarge': 0.17,
    'c6i.large': 0.085,
    'c6i.xlarge': 0.17,
    'c4.large': 0.1,
    'c4.xlarge': 0.199,
    'r5.large': 0.126,
    'r5.xlarge': 0.252,
    'r6i.large': 0.126,
    'r4.large': 0.133,
    // Added 2026-01 (us-east-1 on-demand Linux list prices) for previous-generation and idle-instance findings.
    't2.micro': 0.0116,
    't2.small': 0.023,
    't2.medium': 0.0464,
    't2.large': 0.0928,
    't2.xlarge': 0.1856,
    't3.2xlarge': 0.3328,
    'm4.2xlarge': 0.4,
    'm7g.2xlarge': 0.3264,
    'c4.2xlarge': 0.398,
    'c6i.2xlarge': 0.34,
    'r4.xlarge': 0.266,
    'r4.2xlarge': 0.532,
    'r6i.xlarge': 0.252,
    'r6i.2xlarge': 0.504,
    // --- ec2-instance right-sizing (issue 19): every type of the instance type table
    // (lib/savings/ec2-instance-types.ts: t2/t3/t3a/t4g, m4/m5/m5d/m6i/m7i/m6g/m7g, c4/c5/c5d/c6i/c6g/c7g,
    // r4/r5/r6i/r6g/r7g; us-east-1 on-demand Linux, early 2026). Same values as the entries above where both list a type.
    ...EC2_TYPE_PRICES,
  } as Record<string, number>,
  /**
   * On-demand licence-included $/hour by operating system, keyed '<OS>:<type>' (Windows, RHEL;
   * issue 27): Linux + vCPU × the OS premium (lib/savings/licensed.ts). Filled below from
   * ec2OnDemandHourly, so no number is typed twice.
   */
  ec2LicensedHourly: {} as Record<string, number>,
  /** ec2-instance right-sizing (issue 19): T2/T3/T3a surplus CPU credits in unlimited mode, Linux, $ per vCPU-hour (EC2 On-Demand pricing, "T2/T3/T4g Unlimited Mode Pricing"). */
  ec2CpuCreditVcpuHour: 0.05,
  /** The same for T4g (Graviton), Linux: $0.04 per vCPU-hour (same page). */
  ec2CpuCreditVcpuHourT4g: 0.04,
  natGatewayHour: 0.045,
  albHour: 0.0225,
  nlbHour: 0.0225,
  /** Gateway Load Balancer, $/hour (added 2026-01; its GLCUs, like ALB LCUs and NLB NLCUs, are usage and not estimated). */
  gwlbHour: 0.0125,
  // --- RDS and Aurora (rds-instance module). us-east-1 on-demand list prices, Single-AZ, from the
  // Amazon RDS pricing pages (MySQL, PostgreSQL, Aurora) as of 2026-01. Multi-AZ (one standby)
  // bills instance hours and storage twice. RDS gp3 costs the same per GB as gp2 (the gain of gp3
  // is its baseline performance): see docs/resources/rds-instance.md.
  /** DB instance classes, $/hour, keyed '<engine family>:<class>' (mysql also prices mariadb; postgres; aurora-mysql; aurora-postgresql). */
  rdsInstanceHourly: {
    'mysql:db.t2.micro': 0.017, 'mysql:db.t2.small': 0.034, 'mysql:db.t2.medium': 0.068, 'mysql:db.t2.large': 0.136,
    'mysql:db.t3.micro': 0.017, 'mysql:db.t3.small': 0.034, 'mysql:db.t3.medium': 0.068, 'mysql:db.t3.large': 0.136,
    'mysql:db.t3.xlarge': 0.272, 'mysql:db.m4.large': 0.175, 'mysql:db.m4.xlarge': 0.35, 'mysql:db.m4.2xlarge': 0.7,
    'mysql:db.m4.4xlarge': 1.401, 'mysql:db.m5.large': 0.171, 'mysql:db.m5.xlarge': 0.342, 'mysql:db.m5.2xlarge': 0.684,
    'mysql:db.m5.4xlarge': 1.368, 'mysql:db.m6i.large': 0.171, 'mysql:db.m6i.xlarge': 0.342, 'mysql:db.m6i.2xlarge': 0.684,
    'mysql:db.m6i.4xlarge': 1.368, 'mysql:db.m6g.large': 0.152, 'mysql:db.m6g.xlarge': 0.304, 'mysql:db.m6g.2xlarge': 0.608,
    'mysql:db.m6g.4xlarge': 1.216, 'mysql:db.r4.large': 0.24, 'mysql:db.r4.xlarge': 0.48, 'mysql:db.r4.2xlarge': 0.96,
    'mysql:db.r4.4xlarge': 1.92, 'mysql:db.r5.large': 0.24, 'mysql:db.r5.xlarge': 0.48, 'mysql:db.r5.2xlarge': 0.96,
    'mysql:db.r5.4xlarge': 1.92, 'mysql:db.r6i.large': 0.24, 'mysql:db.r6i.xlarge': 0.48, 'mysql:db.r6i.2xlarge': 0.96,
    'mysql:db.r6i.4xlarge': 1.92, 'mysql:db.r6g.large': 0.215, 'mysql:db.r6g.xlarge': 0.43, 'mysql:db.r6g.2xlarge': 0.86,
    'mysql:db.r6g.4xlarge': 1.72,
    'postgres:db.t2.micro': 0.018, 'postgres:db.t2.small': 0.036, 'postgres:db.t2.medium': 0.073, 'postgres:db.t2.large': 0.145,
    'postgres:db.t3.micro': 0.018, 'postgres:db.t3.small': 0.036, 'postgres:db.t3.medium': 0.072, 'postgres:db.t3.large': 0.145,
    'postgres:db.t3.xlarge': 0.29, 'postgres:db.m4.large': 0.182, 'postgres:db.m4.xlarge': 0.365, 'postgres:db.m4.2xlarge': 0.73,
    'postgres:db.m4.4xlarge': 1.461, 'postgres:db.m5.large': 0.178, 'postgres:db.m5.xlarge': 0.356, 'postgres:db.m5.2xlarge': 0.712,
    'postgres:db.m5.4xlarge': 1.424, 'postgres:db.m6i.large': 0.178, 'postgres:db.m6i.xlarge': 0.356, 'postgres:db.m6i.2xlarge': 0.712,
    'postgres:db.m6i.4xlarge': 1.424, 'postgres:db.m6g.large': 0.159, 'postgres:db.m6g.xlarge': 0.318, 'postgres:db.m6g.2xlarge': 0.636,
    'postgres:db.m6g.4xlarge': 1.272, 'postgres:db.r4.large': 0.25, 'postgres:db.r4.xlarge': 0.5, 'postgres:db.r4.2xlarge': 1.0,
    'postgres:db.r4.4xlarge': 2.0, 'postgres:db.r5.large': 0.25, 'postgres:db.r5.xlarge': 0.5, 'postgres:db.r5.2xlarge': 1.0,
    'postgres:db.r5.4xlarge': 2.0, 'postgres:db.r6i.large': 0.25, 'postgres:db.r6i.xlarge': 0.5, 'postgres:db.r6i.2xlarge': 1.0,
    'postgres:db.r6i.4xlarge': 2.0, 'postgres:db.r6g.large': 0.225, 'postgres:db.r6g.xlarge': 0.449, 'postgres:db.r6g.2xlarge': 0.898,
    'postgres:db.r6g.4xlarge': 1.796,
    'aurora-mysql:db.t3.medium': 0.082, 'aurora-mysql:db.t3.large': 0.164, 'aurora-mysql:db.r4.large': 0.29, 'aurora-mysql:db.r4.xlarge': 0.58,
    'aurora-mysql:db.r5.large': 0.29, 'aurora-mysql:db.r5.xlarge': 0.58, 'aurora-mysql:db.r5.2xlarge': 1.16, 'aurora-mysql:db.r6g.large': 0.26,
    'aurora-mysql:db.r6g.xlarge': 0.519, 'aurora-mysql:db.r6g.2xlarge': 1.038, 'aurora-mysql:db.r6i.large': 0.29, 'aurora-mysql:db.r6i.xlarge': 0.58,
    'aurora-postgresql:db.t3.medium': 0.082, 'aurora-postgresql:db.t3.large': 0.164, 'aurora-postgresql:db.r4.large': 0.29, 'aurora-postgresql:db.r4.xlarge': 0.58,
    // RDS for SQL Server Standard Edition, licence included (issue 27; lib/savings/licensed.ts).
    ...Object.fromEntries(Object.entries(RDS_SQLSERVER_SE_HOURLY).map(([dbClass, usd]) => [`sqlserver-se:${dbClass}`, usd])),
    // RDS for Oracle by licence model (lib/savings/licensed.ts RDS_ORACLE_HOURLY, belief).
    ...Object.fromEntries(Object.entries(RDS_ORACLE_HOURLY).flatMap(([family, classes]) => Object.entries(classes).map(([dbClass, usd]) => [`${family}:${dbClass}`, usd]))),
    'aurora-postgresql:db.r5.large': 0.29, 'aurora-postgresql:db.r5.xlarge': 0.58, 'aurora-postgresql:db.r5.2xlarge': 1.16, 'aurora-postgresql:db.r6g.large': 0.26,
    'aurora-postgresql:db.r6g.xlarge': 0.519, 'aurora-postgresql:db.r6g.2xlarge': 1.038, 'aurora-postgresql:db.r6i.large': 0.29, 'aurora-postgresql:db.r6i.xlarge': 0.58,
  } as Record<string, number>,
  /** RDS storage, $/GB-month (Single-AZ): gp2 and gp3 are the same price; gp3 bills IOPS and throughput above its included baseline. */
  rdsGp2GbMonth: 0.115,
  rdsGp3GbMonth: 0.115,
  /** gp3 IOPS above the included 3,000 (12,000 at 400 GiB and more, 200 GiB for Oracle), $/IOPS-month. */
  rdsGp3IopsMonth: 0.02,
  /** gp3 throughput above the included 125 MiB/s (500 MiB/s at the threshold), $/MiB/s-month. */
  rdsGp3ThroughputMbpsMonth: 0.08,
  rdsIo1GbMonth: 0.125,
  rdsIo1IopsMonth: 0.1,
  /**
   * RDS storage in a Multi-AZ (one standby) deployment, $/GB-month, by storage type ('gp2', 'gp3',
   * 'io1'): the price list's own `deploymentOption: Multi-AZ` Database Storage products (issue 27).
   * Empty here (the embedded table has none): without the list, Multi-AZ storage is the Single-AZ
   * rate × 2 and the basis says so (lib/resources/rds-instance/classes.ts storageMonthly).
   */
  rdsStorageMultiAzGbMonth: {} as Record<string, number>,
  rdsMagneticGbMonth: 0.1,
  /** Manual DB snapshots and backups beyond the free allowance, $/GB-month. */
  rdsSnapshotGbMonth: 0.095,
  /** Aurora Serverless v2 capacity, $/ACU-hour (Aurora Standard). */
  auroraServerlessV2AcuHour: 0.12,
  // --- Lambda (lambda-function; us-east-1, 2026-01, first pricing tier; docs/resources/lambda-function.md) ---
  /** Lambda duration, $/GB-second, x86_64. */
  lambdaGbSecondX86: 0.0000166667,
  /** Lambda duration, $/GB-second, arm64 (Graviton): about 20 % less than x86_64. */
  lambdaGbSecondArm64: 0.0000133334,
  /** Lambda requests, $ per million (both architectures). */
  lambdaRequestsPerMillion: 0.2,
  /** CloudWatch Logs Insights queries, $ per GB of log data scanned (aws.amazon.com/cloudwatch/pricing, "Logs Insights"). */
  logsInsightsScannedGb: 0.005,
  // ---- DynamoDB and ElastiCache (dynamodb-table, elasticache-cluster; us-east-1, 2026-01) ----
  // Sources: aws.amazon.com/dynamodb/pricing/provisioned and /on-demand (on-demand after the
  // November 2024 price cut), aws.amazon.com/elasticache/pricing (on-demand nodes).
  /** Provisioned capacity, Standard table class, $ per RCU-hour and per WCU-hour. */
  dynamodbRcuHour: 0.00013,
  dynamodbWcuHour: 0.00065,
  /** Provisioned capacity, Standard-IA table class (about 25 % more). */
  dynamodbIaRcuHour: 0.00016,
  dynamodbIaWcuHour: 0.00081,
  /** On-demand, Standard table class, $ per million read / write request units. */
  dynamodbOnDemandReadPerMillion: 0.125,
  dynamodbOnDemandWritePerMillion: 0.625,
  /** On-demand, Standard-IA table class. */
  dynamodbIaOnDemandReadPerMillion: 0.155,
  dynamodbIaOnDemandWritePerMillion: 0.78,
  /** Table storage, $/GB-month: Standard (first 25 GB a month free per account, not counted) and Standard-IA. */
  dynamodbStandardGbMonth: 0.25,
  dynamodbIaGbMonth: 0.1,
  /** ElastiCache on-demand nodes (Redis OSS / Memcached), $/hour. */
  elasticacheNodeHourly: {
    'cache.t2.micro': 0.017,
    'cache.t2.small': 0.034,
    'cache.t2.medium': 0.068,
    'cache.t3.micro': 0.017,
    'cache.t3.small': 0.034,
    'cache.t3.medium': 0.068,
    'cache.t4g.micro': 0.016,
    'cache.t4g.small': 0.032,
    'cache.t4g.medium': 0.065,
    'cache.m3.medium': 0.09,
    'cache.m3.large': 0.182,
    'cache.m4.large': 0.156,
    'cache.m4.xlarge': 0.311,
    'cache.m5.large': 0.156,
    'cache.m5.xlarge': 0.311,
    'cache.m6g.large': 0.149,
    'cache.m6g.xlarge': 0.297,
    'cache.m7g.large': 0.158,
    'cache.r3.large': 0.228,
    'cache.r4.large': 0.228,
    'cache.r4.xlarge': 0.455,
    'cache.r5.large': 0.216,
    'cache.r5.xlarge': 0.432,
    'cache.r6g.large': 0.206,
    'cache.r6g.xlarge': 0.411,
    'cache.r7g.large': 0.219,
  } as Record<string, number>,
  /**
   * ElastiCache for Valkey, node-based: "up to 20% lower cost per node" than Redis OSS and
   * Memcached (ElastiCache FAQ, "Why should I use ElastiCache for Valkey?"). A Valkey node is
   * priced at elasticacheNodeHourly × (1 − this); at the full 20 % the estimate is the lowest.
   */
  elasticacheValkeyNodeDiscount: 0.2,
  // ---- end DynamoDB and ElastiCache ----
};

DEFAULT_PRICES.ec2LicensedHourly = derivedLicensedHourly(DEFAULT_PRICES.ec2OnDemandHourly);

/** Where a table's prices come from (issue 27): the finding's savings basis names it. */
export interface PriceSource {
  /** 'price-list': AWS Price List Query API (or a price file written from it); 'embedded': DEFAULT_PRICES. */
  kind: 'price-list' | 'embedded';
  /** The region the prices are for ('us-east-1' for the embedded table, whatever region is scanned). */
  region: string;
  /** The price list's publication date, or the embedded table's date. */
  date: string;
  /** The region scanned, when the prices are not its own (embedded table outside us-east-1). */
  scannedRegion?: string;
  /** Why the price list was not used (denied, offline, ...). */
  reason?: string;
  /** Table fields a policy's `prices:` pinned. */
  pinned?: string[];
  /** Table fields the price list had no product for (kept from the embedded table). */
  missing?: string[];
}

export type PriceTable = typeof DEFAULT_PRICES & { source?: PriceSource };

/** One line for a finding's savings basis: where its prices come from. */
export function sourceLine(source: PriceSource | undefined): string {
  if (!source || source.kind === 'embedded') {
    const scanned = source?.scannedRegion;
    const date = source?.date ?? PRICE_TABLE_DATE;
    const where = scanned && scanned !== 'us-east-1' ? `us-east-1 list price; ${scanned} not priced` : 'us-east-1 list price';
    return `Prices: embedded table (${date}), ${where}${source?.reason ? ` (${source.reason})` : ''}${pinnedNote(source)}.`;
  }
  const missing = source.missing?.length ? `; not in the list, kept from the embedded us-east-1 table: ${source.missing.join(', ')}` : '';
  return `Prices: AWS Price List, ${source.region}, ${source.date.slice(0, 10)}${source.reason ? ` (${source.reason})` : ''}${missing}${pinnedNote(source)}.`;
}

const pinnedNote = (source: PriceSource | undefined) => (source?.pinned?.length ? `; pinned by the policy: ${source.pinned.join(', ')}` : '');

/** The price table with a policy's overrides applied (overrides are validated by the policy schema). */
export function pricesWith(overrides: Partial<Record<string, unknown>> | undefined, base: PriceTable = DEFAULT_PRICES): PriceTable {
  if (!overrides) return base;
  const merged = { ...base, ...overrides } as PriceTable;
  const pinned: string[] = [];
  for (const [field, value] of Object.entries(overrides)) {
    if (field === 'source') continue;
    if (value && typeof value === 'object') {
      (merged as unknown as Record<string, unknown>)[field] = { ...((base as unknown as Record<string, Record<string, number>>)[field] ?? {}), ...(value as Record<string, number>) };
      for (const entry of Object.keys(value)) pinned.push(`${field}.${entry}`);
    } else pinned.push(field);
  }
  if (base.source) merged.source = { ...base.source, pinned };
  return merged;
}

export { usd } from './usd.ts';

export const GIB = 1024 ** 3;

/**
 * What running trimtab itself costs (the benchmark's running-cost estimate): us-east-1 list
 * prices as of 2026-11. Not part of DEFAULT_PRICES: policies do not price their own runs.
 */
export const RUNNING_PRICES_DATE = '2026-11';
export const RUNNING_PRICES = {
  /** Lambda duration, $/GB-second, x86_64. */
  lambdaGbSecondX86: 0.0000166667,
  /** Lambda duration, $/GB-second, arm64 (serverless.yml deploys arm64). */
  lambdaGbSecondArm64: 0.0000133334,
  /** Lambda requests, $ per 1M. */
  lambdaPerMillionRequests: 0.2,
  /** Step Functions standard workflows, $ per 1,000 state transitions. */
  stepFunctionsPer1000Transitions: 0.025,
  /** The price cache's DynamoDB on-demand requests (the audit table), $ per million write / read request units: the same list prices as DEFAULT_PRICES. */
  dynamodbWritePerMillion: DEFAULT_PRICES.dynamodbOnDemandWritePerMillion,
  dynamodbReadPerMillion: DEFAULT_PRICES.dynamodbOnDemandReadPerMillion,
  /** Price List Query API (GetProducts), $ per call: belief: no charge is listed for the Price List APIs (AWS Billing User Guide, "Calling AWS services and prices using the AWS Price List" names none). */
  pricingGetProductsPerCall: 0,
} as const;
