/**
 * The one source of prices in code (issue 27). Every price trimtab uses is a field of the price
 * table (lib/savings/prices.ts, DEFAULT_PRICES: us-east-1 list prices with their date). This file
 * says, for each field it can look up, which AWS Price List product prices it: the service code
 * and the attributes the price list keys products by (instanceType, operatingSystem, tenancy,
 * databaseEngine, licenseModel, deploymentOption, cacheEngine, volumeApiName, group, ...), and
 * the unit. From that one mapping:
 * - the lookup (lib/pricing/lookup.ts) asks GetProducts for those products and writes the
 *   answers back into a per-region price table;
 * - the sandbox's GetProducts (lib/sandbox/services/pricing.ts) answers from `priceListProducts`,
 *   which generates products from the same DEFAULT_PRICES numbers, so no number is typed twice.
 *
 * Regions in the sandbox: us-east-1 is DEFAULT_PRICES itself; other regions are modelled as
 * per-service-group ratios to us-east-1 (REGION_MODEL), each from one anchor product whose two
 * list prices are written next to it. The anchors are `belief`: recalled from the public AWS
 * pricing pages, not read from the price list this session. The real price list, when
 * GetProducts answers, replaces every one of them.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_PRICES, PRICE_TABLE_DATE, type PriceTable } from '../savings/prices.ts';

export type RatioGroup = 'compute' | 'database' | 'cache' | 'storage' | 'network' | 'objectStorage' | 'serverless' | 'logs' | 'nosql';

/** A price list product key: the service code and the attributes that set its price. */
export interface PriceKey {
  serviceCode: string;
  productFamily: string;
  /** Attributes besides regionCode (the lookup adds the region). */
  attributes: Record<string, string>;
  /** The price dimension's unit, as the price list writes it. */
  unit: string;
}

/** One price of the table, with its key. `path` is the table field, or `field.entry` for a map. */
export interface CatalogEntry {
  path: string;
  key: PriceKey;
  group: RatioGroup;
  /** The us-east-1 list price ($ per unit). */
  usd: number;
}

export { EC2_OS_PREMIUM_VCPU_HOUR, RDS_SQLSERVER_SE_HOURLY, derivedLicensedHourly, type Ec2Os } from '../savings/licensed.ts';
import type { Ec2Os } from '../savings/licensed.ts';

/**
 * Products the sandbox's price list has that the embedded table never had (belief: us-east-1
 * Linux on-demand as recalled). They prove that a type missing from the embedded table is priced
 * when GetProducts answers.
 */
export const PRICE_LIST_ONLY_EC2: Record<string, number> = { 'c7i.large': 0.08925, 'c7i.xlarge': 0.1785 };

/** The price list's publication date the sandbox answers with. */
export const SANDBOX_PUBLICATION_DATE = '2026-11-30T00:00:00Z';

/** What the price list calls each region (its `location` attribute), and the sandbox's regional ratios. */
export const REGION_MODEL: Record<string, { location: string; ratios: Record<RatioGroup, number> }> = {
  'us-east-1': { location: 'US East (N. Virginia)', ratios: ratios({}) },
  // belief: m5.large $0.107 vs $0.096; db.m5.large MySQL $0.19 vs $0.171; cache.m5.large $0.173 vs $0.156;
  // gp3 $0.088 vs $0.08; NAT gateway $0.048 vs $0.045; S3 Standard $0.023 both; Lambda the same; logs $0.03 both.
  'eu-west-1': { location: 'EU (Ireland)', ratios: ratios({ compute: [0.096, 0.107], database: [0.171, 0.19], cache: [0.156, 0.173], storage: [0.08, 0.088], network: [0.045, 0.048], nosql: [0.25, 0.283] }) },
  // belief: m5.large $0.115; db.m5.large $0.205; cache.m5.large $0.187; gp3 $0.0952; NAT $0.052; S3 $0.0245; logs $0.0324; DynamoDB storage $0.306.
  'eu-central-1': { location: 'EU (Frankfurt)', ratios: ratios({ compute: [0.096, 0.115], database: [0.171, 0.205], cache: [0.156, 0.187], storage: [0.08, 0.0952], network: [0.045, 0.052], objectStorage: [0.023, 0.0245], logs: [0.03, 0.0324], nosql: [0.25, 0.306] }) },
  // belief: m5.large $0.12; db.m5.large $0.236; cache.m5.large $0.202; gp3 $0.096; NAT $0.059; S3 $0.025; logs $0.033; DynamoDB storage $0.285.
  'ap-southeast-2': { location: 'Asia Pacific (Sydney)', ratios: ratios({ compute: [0.096, 0.12], database: [0.171, 0.236], cache: [0.156, 0.202], storage: [0.08, 0.096], network: [0.045, 0.059], objectStorage: [0.023, 0.025], logs: [0.03, 0.033], nosql: [0.25, 0.285] }) },
  // belief: m5.large $0.101; gp3 $0.0912; NAT $0.056.
  'ap-south-1': { location: 'Asia Pacific (Mumbai)', ratios: ratios({ compute: [0.096, 0.101], database: [0.171, 0.2], cache: [0.156, 0.17], storage: [0.08, 0.0912], network: [0.045, 0.056] }) },
};

function ratios(anchors: Partial<Record<RatioGroup, [number, number]>>): Record<RatioGroup, number> {
  const groups: RatioGroup[] = ['compute', 'database', 'cache', 'storage', 'network', 'objectStorage', 'serverless', 'logs', 'nosql'];
  return Object.fromEntries(groups.map((g) => [g, anchors[g] ? anchors[g]![1] / anchors[g]![0] : 1])) as Record<RatioGroup, number>;
}

const EC2_COMPUTE = { tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used', licenseModel: 'No License required' };

/** The price list key of an on-demand EC2 instance hour. */
export const ec2InstanceKey = (instanceType: string, os: Ec2Os = 'Linux', tenancy = 'Shared'): PriceKey => ({
  serviceCode: 'AmazonEC2',
  productFamily: 'Compute Instance',
  attributes: { ...EC2_COMPUTE, tenancy, instanceType, operatingSystem: os },
  unit: 'Hrs',
});

/** RDS engine names → the price list's databaseEngine / databaseEdition / licenseModel. */
export function rdsEngineAttributes(engine: string): Record<string, string> | undefined {
  if (engine === 'mysql') return { databaseEngine: 'MySQL', licenseModel: 'No license required' };
  if (engine === 'mariadb') return { databaseEngine: 'MariaDB', licenseModel: 'No license required' };
  if (engine === 'postgres') return { databaseEngine: 'PostgreSQL', licenseModel: 'No license required' };
  if (engine === 'aurora-mysql') return { databaseEngine: 'Aurora MySQL', licenseModel: 'No license required' };
  if (engine === 'aurora-postgresql') return { databaseEngine: 'Aurora PostgreSQL', licenseModel: 'No license required' };
  const sql = /^sqlserver-(se|ee|web|ex)$/.exec(engine);
  if (sql) return { databaseEngine: 'SQL Server', databaseEdition: { se: 'Standard', ee: 'Enterprise', web: 'Web', ex: 'Express' }[sql[1]]!, licenseModel: 'License included' };
  // Oracle by licence model (the table's families: rds-instance classes.ts pricedEngine): SE2 licence included, SE2 and EE BYOL.
  if (engine === 'oracle-se2') return { databaseEngine: 'Oracle', databaseEdition: 'Standard Two', licenseModel: 'License included' };
  const byol = /^oracle-(se2|ee)-byol$/.exec(engine);
  if (byol) return { databaseEngine: 'Oracle', databaseEdition: byol[1] === 'se2' ? 'Standard Two' : 'Enterprise', licenseModel: 'Bring your own license' };
  return undefined;
}

/** The price list key of an RDS instance hour (`family` is the table's '<engine family>' prefix). */
export const rdsInstanceKey = (family: string, dbClass: string, deploymentOption = 'Single-AZ'): PriceKey | undefined => {
  const engine = rdsEngineAttributes(family);
  return engine && { serviceCode: 'AmazonRDS', productFamily: 'Database Instance', attributes: { instanceType: dbClass, ...engine, deploymentOption }, unit: 'Hrs' };
};

/** The price list key of an ElastiCache node hour. */
export const elasticacheNodeKey = (nodeType: string, engine: 'Redis' | 'Valkey' | 'Memcached' = 'Redis'): PriceKey => ({
  serviceCode: 'AmazonElastiCache',
  productFamily: 'Cache Instance',
  attributes: { instanceType: nodeType, cacheEngine: engine },
  unit: 'Hrs',
});

const ebs = (volumeApiName: string): PriceKey => ({ serviceCode: 'AmazonEC2', productFamily: 'Storage', attributes: { volumeApiName }, unit: 'GB-Mo' });
const ebsIops = (volumeApiName: string, group = 'EBS IOPS'): PriceKey => ({ serviceCode: 'AmazonEC2', productFamily: 'System Operation', attributes: { volumeApiName, group }, unit: 'IOPS-Mo' });

/**
 * Scalar fields of the table and their keys. Attribute names and values follow the price list
 * (AWS Price List file format, "Product details"); the ones marked belief in docs/prices.md were
 * not checked against a live answer. Fields absent here (hoursPerMonth, tiers the list prices
 * per usage, CPU credits, transition requests) keep the embedded value and say so.
 */
export const SCALAR_KEYS: Partial<Record<keyof PriceTable, { key: PriceKey; group: RatioGroup; perListUnit?: number; freeFirst?: number }>> = {
  ebsGp2GbMonth: { key: ebs('gp2'), group: 'storage' },
  ebsGp3GbMonth: { key: ebs('gp3'), group: 'storage' },
  ebsIo1GbMonth: { key: ebs('io1'), group: 'storage' },
  ebsIo2GbMonth: { key: ebs('io2'), group: 'storage' },
  ebsSt1GbMonth: { key: ebs('st1'), group: 'storage' },
  ebsSc1GbMonth: { key: ebs('sc1'), group: 'storage' },
  ebsStandardGbMonth: { key: ebs('standard'), group: 'storage' },
  ebsIo1IopsMonth: { key: ebsIops('io1'), group: 'storage' },
  ebsIo2IopsMonth: { key: ebsIops('io2'), group: 'storage' },
  ebsIo2IopsMonthTier2: { key: ebsIops('io2', 'EBS IOPS Tier 2'), group: 'storage' },
  ebsIo2IopsMonthTier3: { key: ebsIops('io2', 'EBS IOPS Tier 3'), group: 'storage' },
  ebsGp3IopsMonth: { key: ebsIops('gp3'), group: 'storage' },
  // The price list sells gp3 throughput per GiBps-mo ($40.96 in us-east-1); the table is per MiB/s-month ($0.04).
  ebsGp3ThroughputMbpsMonth: { key: { serviceCode: 'AmazonEC2', productFamily: 'Provisioned Throughput', attributes: { volumeApiName: 'gp3' }, unit: 'GiBps-mo' }, group: 'storage', perListUnit: 1024 },
  ebsSnapshotStandardGbMonth: { key: { serviceCode: 'AmazonEC2', productFamily: 'Storage Snapshot', attributes: { snapshotTier: 'Standard' }, unit: 'GB-Mo' }, group: 'storage' },
  ebsSnapshotArchiveGbMonth: { key: { serviceCode: 'AmazonEC2', productFamily: 'Storage Snapshot', attributes: { snapshotTier: 'Archive' }, unit: 'GB-Mo' }, group: 'storage' },
  natGatewayHour: { key: { serviceCode: 'AmazonEC2', productFamily: 'NAT Gateway', attributes: { group: 'NGW:NatGateway' }, unit: 'Hrs' }, group: 'network' },
  publicIpv4Hour: { key: { serviceCode: 'AmazonVPC', productFamily: 'VpcPublicIPv4Address', attributes: { group: 'VPCPublicIPv4Address' }, unit: 'Hrs' }, group: 'network' },
  albHour: { key: { serviceCode: 'AWSELB', productFamily: 'Load Balancer-Application', attributes: { group: 'ELB:Balancer' }, unit: 'Hrs' }, group: 'network' },
  nlbHour: { key: { serviceCode: 'AWSELB', productFamily: 'Load Balancer-Network', attributes: { group: 'ELB:Balancer' }, unit: 'Hrs' }, group: 'network' },
  gwlbHour: { key: { serviceCode: 'AWSELB', productFamily: 'Load Balancer-Gateway', attributes: { group: 'ELB:Balancer' }, unit: 'Hrs' }, group: 'network' },
  s3StandardGbMonth: { key: { serviceCode: 'AmazonS3', productFamily: 'Storage', attributes: { volumeType: 'Standard' }, unit: 'GB-Mo' }, group: 'objectStorage' },
  s3StandardIaGbMonth: { key: { serviceCode: 'AmazonS3', productFamily: 'Storage', attributes: { volumeType: 'Standard - Infrequent Access' }, unit: 'GB-Mo' }, group: 'objectStorage' },
  s3GlacierInstantGbMonth: { key: { serviceCode: 'AmazonS3', productFamily: 'Storage', attributes: { volumeType: 'Glacier Instant Retrieval' }, unit: 'GB-Mo' }, group: 'objectStorage' },
  s3GlacierFlexibleGbMonth: { key: { serviceCode: 'AmazonS3', productFamily: 'Storage', attributes: { volumeType: 'Amazon Glacier' }, unit: 'GB-Mo' }, group: 'objectStorage' },
  s3DeepArchiveGbMonth: { key: { serviceCode: 'AmazonS3', productFamily: 'Storage', attributes: { volumeType: 'Glacier Deep Archive' }, unit: 'GB-Mo' }, group: 'objectStorage' },
  rdsGp2GbMonth: { key: { serviceCode: 'AmazonRDS', productFamily: 'Database Storage', attributes: { volumeType: 'General Purpose', deploymentOption: 'Single-AZ' }, unit: 'GB-Mo' }, group: 'database' },
  rdsGp3GbMonth: { key: { serviceCode: 'AmazonRDS', productFamily: 'Database Storage', attributes: { volumeType: 'General Purpose-GP3', deploymentOption: 'Single-AZ' }, unit: 'GB-Mo' }, group: 'database' },
  rdsIo1GbMonth: { key: { serviceCode: 'AmazonRDS', productFamily: 'Database Storage', attributes: { volumeType: 'Provisioned IOPS', deploymentOption: 'Single-AZ' }, unit: 'GB-Mo' }, group: 'database' },
  rdsSnapshotGbMonth: { key: { serviceCode: 'AmazonRDS', productFamily: 'Storage Snapshot', attributes: { usageFamily: 'ChargedBackupUsage' }, unit: 'GB-Mo' }, group: 'database' },
  lambdaGbSecondX86: { key: { serviceCode: 'AWSLambda', productFamily: 'Serverless', attributes: { group: 'AWS-Lambda-Duration' }, unit: 'Lambda-GB-Second' }, group: 'serverless' },
  lambdaGbSecondArm64: { key: { serviceCode: 'AWSLambda', productFamily: 'Serverless', attributes: { group: 'AWS-Lambda-Duration-ARM' }, unit: 'Lambda-GB-Second' }, group: 'serverless' },
  cloudwatchLogsStorageGbMonth: { key: { serviceCode: 'AmazonCloudWatch', productFamily: 'Storage Snapshot', attributes: { group: 'TimedStorage-ByteHrs' }, unit: 'GB-Mo' }, group: 'logs' },
  // The price list writes the free tier as a $0 first tier: "$0.00 per GB-Month of storage for first 25 free GB-Months".
  dynamodbStandardGbMonth: { key: { serviceCode: 'AmazonDynamoDB', productFamily: 'Database Storage', attributes: { volumeType: 'Amazon DynamoDB - Indexed DataStore' }, unit: 'GB-Mo' }, group: 'nosql', freeFirst: 25 },
  dynamodbIaGbMonth: { key: { serviceCode: 'AmazonDynamoDB', productFamily: 'Database Storage', attributes: { volumeType: 'Amazon DynamoDB - Indexed DataStore - IA' }, unit: 'GB-Mo' }, group: 'nosql' },
};

/**
 * A table price from a price list one: the list's unit can be larger than the table's
 * (`perListUnit` table units in one list unit: gp3 throughput GiBps-mo vs MiB/s-month).
 */
export function tableUsd(path: string, listUsd: number): number {
  const per = SCALAR_KEYS[path as keyof PriceTable]?.perListUnit ?? 1;
  return per === 1 ? listUsd : Math.round((listUsd / per) * 1e10) / 1e10;
}

/** RDS storage types → the price list's Database Storage volumeType (Single-AZ keys: SCALAR_KEYS rdsGp2GbMonth, rdsGp3GbMonth, rdsIo1GbMonth). */
export const RDS_STORAGE_VOLUME_TYPE: Record<string, { volumeType: string; singleAz: 'rdsGp2GbMonth' | 'rdsGp3GbMonth' | 'rdsIo1GbMonth' }> = {
  gp2: { volumeType: 'General Purpose', singleAz: 'rdsGp2GbMonth' },
  gp3: { volumeType: 'General Purpose-GP3', singleAz: 'rdsGp3GbMonth' },
  io1: { volumeType: 'Provisioned IOPS', singleAz: 'rdsIo1GbMonth' },
};

/** The price list key of RDS storage in a Multi-AZ (one standby) deployment. */
export const rdsMultiAzStorageKey = (storageType: string): PriceKey | undefined => {
  const t = Object.hasOwn(RDS_STORAGE_VOLUME_TYPE, storageType) ? RDS_STORAGE_VOLUME_TYPE[storageType] : undefined;
  return t && { serviceCode: 'AmazonRDS', productFamily: 'Database Storage', attributes: { volumeType: t.volumeType, deploymentOption: 'Multi-AZ' }, unit: 'GB-Mo' };
};

/** Map fields of the table: how an entry's name becomes a key. */
export const MAP_KEYS: Record<'ec2OnDemandHourly' | 'ec2LicensedHourly' | 'rdsInstanceHourly' | 'elasticacheNodeHourly' | 'rdsStorageMultiAzGbMonth', { key: (entry: string) => PriceKey | undefined; group: RatioGroup }> = {
  ec2OnDemandHourly: { key: (type) => ec2InstanceKey(type), group: 'compute' },
  /** '<OS>:<type>' (Windows, RHEL, SUSE), licence included, Shared tenancy. */
  ec2LicensedHourly: { key: (entry) => { const [os, type] = entry.split(':'); return ec2InstanceKey(type, os as Ec2Os); }, group: 'compute' },
  /** '<engine family>:<class>', Single-AZ; '<engine family>:<class>:Multi-AZ' the list's Multi-AZ (one standby) rate. */
  rdsInstanceHourly: { key: (entry) => { const [family, dbClass, option] = entry.split(':'); return rdsInstanceKey(family, dbClass, option ?? 'Single-AZ'); }, group: 'database' },
  /** Redis OSS rates (Valkey: lib/resources/elasticache-cluster nodeHourly). */
  elasticacheNodeHourly: { key: (type) => elasticacheNodeKey(type), group: 'cache' },
  /** '<storage type>' (gp2, gp3, io1): the list's Multi-AZ Database Storage rate. */
  rdsStorageMultiAzGbMonth: { key: (type) => rdsMultiAzStorageKey(type), group: 'database' },
};

/** Every price of a table that has a price list key, us-east-1. */
export function catalogEntries(table: PriceTable = DEFAULT_PRICES): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  for (const [field, spec] of Object.entries(SCALAR_KEYS)) {
    const usd = table[field as keyof PriceTable];
    if (typeof usd === 'number' && spec) out.push({ path: field, key: spec.key, group: spec.group, usd });
  }
  for (const [field, spec] of Object.entries(MAP_KEYS)) {
    for (const [entry, usd] of Object.entries((table as unknown as Record<string, Record<string, number>>)[field] ?? {})) {
      const key = spec.key(entry);
      if (key) out.push({ path: `${field}.${entry}`, key, group: spec.group, usd });
    }
  }
  return out;
}

/** A stable, order-free identity of a key in a region (the cache's and the sandbox's). */
export function keyId(key: PriceKey, region: string): string {
  const attrs = Object.entries(key.attributes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
  return `${key.serviceCode}|${key.productFamily}|${region}|${attrs}|${key.unit}`;
}

/** The embedded price of a key (us-east-1 only), or undefined. */
export function embeddedPrice(key: PriceKey, table: PriceTable = DEFAULT_PRICES): number | undefined {
  const id = keyId(key, 'us-east-1');
  return catalogEntries(table).find((e) => keyId(e.key, 'us-east-1') === id)?.usd;
}

/** One product of the price list, as GetProducts answers it (parsed from its JSON string). */
export interface PriceListProduct {
  product: { productFamily: string; attributes: Record<string, string>; sku: string };
  serviceCode: string;
  terms: { OnDemand: Record<string, { offerTermCode: string; sku: string; effectiveDate: string; termAttributes: Record<string, string>; priceDimensions: Record<string, { rateCode: string; description: string; unit: string; beginRange: string; endRange: string; appliesTo: string[]; pricePerUnit: { USD: string } }> }> };
  version: string;
  publicationDate: string;
}

const ON_DEMAND_TERM = 'JRTCKXETXF';
const RATE = '6YS6EN2CT7';

function sku(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 16).toUpperCase();
}

/** A price list product for a key, region and price (the sandbox's answers, and tests). */
export function toProduct(key: PriceKey, region: string, usd: number, publicationDate = SANDBOX_PUBLICATION_DATE, freeFirst?: number): PriceListProduct {
  const model = REGION_MODEL[region];
  const code = sku(keyId(key, region));
  const term = `${code}.${ON_DEMAND_TERM}`;
  const rate = `${term}.${RATE}`;
  return {
    product: {
      productFamily: key.productFamily,
      attributes: { ...key.attributes, regionCode: region, location: model?.location ?? region, locationType: 'AWS Region', servicecode: key.serviceCode },
      sku: code,
    },
    serviceCode: key.serviceCode,
    terms: {
      OnDemand: {
        [term]: {
          offerTermCode: ON_DEMAND_TERM,
          sku: code,
          effectiveDate: publicationDate,
          termAttributes: {},
          priceDimensions: freeFirst
            ? {
                // Listed like AWS lists a free tier: a $0 first tier, then the price (order as the list gives it is not promised).
                [`${term}.PGHJ3S3EYE`]: { rateCode: `${term}.PGHJ3S3EYE`, description: `$${usd} per ${key.unit} used beyond first ${freeFirst} free ${key.unit}s`, unit: key.unit, beginRange: String(freeFirst), endRange: 'Inf', appliesTo: [], pricePerUnit: { USD: usd.toFixed(10) } },
                [rate]: { rateCode: rate, description: `$0.00 per ${key.unit} for first ${freeFirst} free ${key.unit}s`, unit: key.unit, beginRange: '0', endRange: String(freeFirst), appliesTo: [], pricePerUnit: { USD: '0.0000000000' } },
              }
            : {
                [rate]: { rateCode: rate, description: `$${usd} per ${key.unit} (${Object.values(key.attributes).join(', ')})`, unit: key.unit, beginRange: '0', endRange: 'Inf', appliesTo: [], pricePerUnit: { USD: usd.toFixed(10) } },
              },
        },
      },
    },
    version: publicationDate.slice(0, 10).replace(/-/g, ''),
    publicationDate,
  };
}

/** A regional price from the us-east-1 one, rounded to the price list's 10 decimals. */
export const regionalUsd = (usd: number, region: string, group: RatioGroup): number | undefined => {
  const model = REGION_MODEL[region];
  return model ? Math.round(usd * model.ratios[group] * 1e10) / 1e10 : undefined;
};

/**
 * The sandbox's price list for a region: every catalog entry (us-east-1 prices from
 * DEFAULT_PRICES, other regions by REGION_MODEL's ratios), the OS variants of every instance type
 * of the instance type table, RDS SQL Server licence-included classes and the types only the
 * price list has.
 */
export function priceListProducts(region: string): PriceListProduct[] {
  if (!REGION_MODEL[region]) return [];
  const out: PriceListProduct[] = [];
  const add = (key: PriceKey, usd: number, group: RatioGroup, freeFirst?: number) => out.push(toProduct(key, region, regionalUsd(usd, region, group)!, SANDBOX_PUBLICATION_DATE, freeFirst));
  for (const entry of catalogEntries(DEFAULT_PRICES)) {
    const spec = SCALAR_KEYS[entry.path as keyof PriceTable];
    add(entry.key, entry.usd * (spec?.perListUnit ?? 1), entry.group, spec?.freeFirst);
  }
  for (const [type, usd] of Object.entries(PRICE_LIST_ONLY_EC2)) add(ec2InstanceKey(type), usd, 'compute');
  // RDS Multi-AZ (one standby): its own products (deploymentOption Multi-AZ), at twice the Single-AZ
  // rate (belief: the RDS pricing pages' Multi-AZ rates are double; derived, not typed again).
  for (const [entry, usd] of Object.entries(DEFAULT_PRICES.rdsInstanceHourly as Record<string, number>)) {
    const [family, dbClass, option] = entry.split(':');
    const key = option ? undefined : rdsInstanceKey(family, dbClass, 'Multi-AZ');
    if (key) add(key, usd * 2, 'database');
  }
  // RDS Multi-AZ storage: its own Database Storage products (deploymentOption Multi-AZ), at twice the
  // Single-AZ rate (belief: the RDS pricing pages list Multi-AZ storage at double; derived, not typed again).
  for (const [type, t] of Object.entries(RDS_STORAGE_VOLUME_TYPE)) add(rdsMultiAzStorageKey(type)!, DEFAULT_PRICES[t.singleAz] * 2, 'database');
  // Valkey nodes: the Redis OSS rate less the FAQ's 20 % (derived, not typed again).
  for (const [type, usd] of Object.entries(DEFAULT_PRICES.elasticacheNodeHourly)) add(elasticacheNodeKey(type, 'Valkey'), usd * (1 - DEFAULT_PRICES.elasticacheValkeyNodeDiscount), 'cache');
  return out;
}

export const EMBEDDED_DATE = PRICE_TABLE_DATE;
