/**
 * Prices per scanned region from the AWS Price List Query API (issue 27), with the embedded
 * table (lib/savings/prices.ts) as the fallback.
 *
 * - One PriceBook per run: the first detector pass in a region asks for that region's table;
 *   every later pass, plan and apply in the run reuses it (in memory, one promise per region).
 * - What is asked: one GetProducts query per price list product family the table uses
 *   (EC2 instances, EBS storage / IOPS / throughput / snapshots, NAT, load balancers, public
 *   IPv4, RDS instances and storage, ElastiCache nodes, S3 storage classes, Lambda, CloudWatch
 *   Logs, DynamoDB storage), each narrowed by regionCode and the attributes that set the price
 *   (Shared tenancy, OS Linux/Windows/RHEL/SUSE, Single-AZ, the engines trimtab prices),
 *   paginated with NextToken at MaxResults 100. Every page is one call; the answers replace the
 *   table's entries for that region.
 * - The Price List API answers only in a few regions (us-east-1, eu-central-1, ap-south-1): the
 *   client region is `endpointRegion` (default us-east-1), never the scanned one.
 * - Across runs (CLI): a price file (PriceFile) keyed by region and publication date, read before
 *   asking and written after; an entry older than `maxAgeDays` is stale and asked again. When
 *   asking fails, a stale entry is still used (and says so); with no entry the embedded table
 *   is used, and every finding says "us-east-1 list price; <region> not priced".
 */
import { GetProductsCommand, ListPriceListsCommand, PricingClient } from '@aws-sdk/client-pricing';
import type { AwsClients } from '../aws/clients.ts';
import { DEFAULT_PRICES, PRICE_TABLE_DATE, type PriceSource, type PriceTable } from '../savings/prices.ts';
import { MAP_KEYS, RDS_STORAGE_VOLUME_TYPE, SCALAR_KEYS, rdsEngineAttributes, tableUsd, type PriceListProduct } from './catalog.ts';

/** Prices of one region as the price list gave them: table paths ('ebsGp3GbMonth', 'ec2OnDemandHourly.m5.large') → $. */
export interface RegionPrices {
  publicationDate: string;
  fetchedAt: string;
  prices: Record<string, number>;
}

/** The price file: what `trimtab prices refresh` writes and later runs read. */
export interface PriceFile {
  version: 1;
  source: 'AWS Price List Query API (GetProducts)';
  regions: Record<string, RegionPrices>;
}

export interface PriceFileStore {
  read(): PriceFile | undefined;
  write(file: PriceFile): void;
}

export interface PriceBookOptions {
  clients: AwsClients;
  /** The Price List API's region (us-east-1, eu-central-1 or ap-south-1). */
  endpointRegion?: string;
  /** Across runs: the price file (CLI). Absent: per run only (Lambda). */
  store?: PriceFileStore;
  /** A cached region older than this is asked again (default 7). */
  maxAgeDays?: number;
  now?: () => Date;
  log?: (message: string, data?: Record<string, unknown>) => void;
  /** How long a region's table is kept in memory (hours, default 6): a warm Lambda container asks again after it. */
  memoryHours?: number;
  /** false: never call GetProducts (offline): the price file, else the embedded table. */
  online?: boolean;
  /**
   * Across runs (Lambdas): price sets per region and product family in the stack (the audit
   * table, lib/pricing/cache.ts), read before asking; only the families missing, malformed or
   * older than `maxAgeDays` are asked again. Takes the place of `store`.
   */
  cache?: PriceCache;
  /**
   * The price file shipped with the stack (lib/pricing/shipped.ts, `prices/prices.json` in the zip),
   * already validated: used after the stack's cache (or the CLI's price file) and before the
   * embedded table, when the price list cannot be asked.
   */
  shipped?: () => PriceFile | undefined;
  /**
   * With `cache`: how often (hours, default 24) the stored sets are checked against the price list's
   * current version (ListPriceLists, one call per service code for every region); a set older than
   * the version AWS has published since is asked again. 0: never check (age only).
   */
  checkHours?: number;
}

/** The query per price list product family: service code, product family, extra filters. */
export interface Query {
  serviceCode: string;
  productFamily: string;
  filters: { Type: 'TERM_MATCH' | 'ANY_OF'; Field: string; Value: string }[];
}

export const RDS_ENGINES_PRICED = ['mysql', 'mariadb', 'postgres', 'aurora-mysql', 'aurora-postgresql', 'sqlserver-se', 'sqlserver-ee', 'sqlserver-web', 'sqlserver-ex', 'oracle-se2', 'oracle-se2-byol', 'oracle-ee-byol'];
/** Oracle products: edition and licence model → the table's engine family. */
const ORACLE_FAMILY: Record<string, string> = { 'Standard Two|License included': 'oracle-se2', 'Standard Two|Bring your own license': 'oracle-se2-byol', 'Enterprise|Bring your own license': 'oracle-ee-byol' };
const DATABASE_ENGINE_FAMILY: Record<string, string> = { MySQL: 'mysql', MariaDB: 'mysql', PostgreSQL: 'postgres', 'Aurora MySQL': 'aurora-mysql', 'Aurora PostgreSQL': 'aurora-postgresql' };
const SQLSERVER_EDITION: Record<string, string> = { Standard: 'sqlserver-se', Enterprise: 'sqlserver-ee', Web: 'sqlserver-web', Express: 'sqlserver-ex' };

/** A stored price set (lib/pricing/cache.ts keeps them in the audit table). */
export interface CachedFamily {
  /** `<ServiceCode>#<productFamily>`, one of the lookup's queries (lib/pricing/lookup.ts regionQueries). */
  family: string;
  publicationDate: string;
  fetchedAt: string;
  /** Table paths ('ebsGp3GbMonth', 'ec2OnDemandHourly.m5.large') → $. */
  prices: Record<string, number>;
}

/** Where the Lambdas keep price sets across runs. */
export interface PriceCache {
  /** The region's valid sets (malformed ones are dropped, with a warning). Throws only when the store cannot be read. */
  read(region: string): Promise<CachedFamily[]>;
  write(region: string, families: CachedFamily[]): Promise<void>;
  /** When the region's sets were last checked against the price list's current versions (as the last `read` found it). */
  checkedAt?(region: string): string | undefined;
  /** Records that check (one small item a region). */
  markChecked?(region: string, at: string): Promise<void>;
}

/**
 * The publication time of a price list version from its ARN
 * (`arn:aws:pricing:::price-list/aws/AmazonEC2/USD/20220603151047/us-east-1`: yyyymmddhhmmss, UTC),
 * or undefined when the ARN does not have that shape.
 */
export function versionOfArn(arn: string | undefined, region?: string): number | undefined {
  const m = /^arn:[a-z-]+:pricing:::price-list\/[^/]+\/[^/]+\/[A-Z]{3}\/(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\/([a-z0-9-]+)$/.exec(arn ?? '');
  if (!m || (region && m[7] !== region)) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isFinite(t) ? t : undefined;
}

/** A query's key in the cache: `<ServiceCode>#<productFamily>`. */
export const familyOf = (q: Pick<Query, 'serviceCode' | 'productFamily'>) => `${q.serviceCode}#${q.productFamily}`;

/** The queries a region's table needs (one per product family; each paginated). */
export function regionQueries(): Query[] {
  const seen = new Map<string, Query>();
  for (const spec of Object.values(SCALAR_KEYS)) {
    const k = `${spec!.key.serviceCode}|${spec!.key.productFamily}`;
    if (!seen.has(k)) seen.set(k, { serviceCode: spec!.key.serviceCode, productFamily: spec!.key.productFamily, filters: [] });
  }
  seen.set('AmazonEC2|Compute Instance', {
    serviceCode: 'AmazonEC2',
    productFamily: 'Compute Instance',
    filters: [
      { Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared' },
      { Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA' },
      { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
      { Type: 'TERM_MATCH', Field: 'licenseModel', Value: 'No License required' },
      { Type: 'ANY_OF', Field: 'operatingSystem', Value: 'Linux,Windows,RHEL,SUSE' },
    ],
  });
  seen.set('AmazonRDS|Database Instance', {
    serviceCode: 'AmazonRDS',
    productFamily: 'Database Instance',
    filters: [
      { Type: 'ANY_OF', Field: 'deploymentOption', Value: 'Single-AZ,Multi-AZ' },
      { Type: 'ANY_OF', Field: 'databaseEngine', Value: 'MySQL,MariaDB,PostgreSQL,Aurora MySQL,Aurora PostgreSQL,SQL Server,Oracle' },
    ],
  });
  seen.set('AmazonElastiCache|Cache Instance', {
    serviceCode: 'AmazonElastiCache',
    productFamily: 'Cache Instance',
    filters: [{ Type: 'ANY_OF', Field: 'cacheEngine', Value: 'Redis,Valkey' }],
  });
  return [...seen.values()];
}

/**
 * The on-demand $ of a product: of its tiers (priceDimensions, beginRange..endRange, in no
 * promised order), the lowest-starting one with a price above $0. AWS lists a free allowance as
 * a $0 first tier (DynamoDB storage: "$0.00 per GB-Month of storage for first 25 free
 * GB-Months"), and trimtab's prices are the rate paid past it, as the embedded table's are.
 * A product whose every tier is $0 is $0. Undefined: no usable dimension.
 */
export function onDemandUsd(product: PriceListProduct): { usd: number; unit: string } | undefined {
  const dims: { begin: number; usd: number; unit: string }[] = [];
  for (const term of Object.values(product.terms?.OnDemand ?? {})) {
    for (const dim of Object.values(term.priceDimensions ?? {})) {
      const usd = Number(dim.pricePerUnit?.USD);
      const begin = Number(dim.beginRange ?? '0');
      if (Number.isFinite(usd) && Number.isFinite(begin)) dims.push({ begin, usd, unit: dim.unit });
    }
  }
  dims.sort((a, b) => a.begin - b.begin);
  const paid = dims.find((d) => d.usd > 0) ?? dims[0];
  return paid && { usd: paid.usd, unit: paid.unit };
}

/** The table paths a product prices (usually one). */
export function pathsOf(product: PriceListProduct): string[] {
  const a = product.product?.attributes ?? {};
  const family = product.product?.productFamily;
  const priced = onDemandUsd(product);
  if (!priced) return [];
  // A region's list also sells in its Local Zones, Wavelength Zones and Outposts (locationType other than 'AWS Region'), at other prices.
  if (a.locationType !== undefined && a.locationType !== 'AWS Region') return [];
  if (product.serviceCode === 'AmazonEC2' && family === 'Compute Instance' && a.instanceType) {
    if (a.tenancy !== 'Shared') return [];
    return a.operatingSystem === 'Linux' ? [`ec2OnDemandHourly.${a.instanceType}`] : a.operatingSystem ? [`ec2LicensedHourly.${a.operatingSystem}:${a.instanceType}`] : [];
  }
  if (product.serviceCode === 'AmazonRDS' && family === 'Database Instance' && a.instanceType) {
    // Single-AZ, and Multi-AZ with one standby (its own rate); Multi-AZ DB clusters ("readable standbys") are not priced.
    if (a.deploymentOption !== 'Single-AZ' && a.deploymentOption !== 'Multi-AZ') return [];
    const engine =
      a.databaseEngine === 'SQL Server' ? SQLSERVER_EDITION[a.databaseEdition ?? '']
      : a.databaseEngine === 'Oracle' ? ORACLE_FAMILY[`${a.databaseEdition ?? ''}|${a.licenseModel ?? ''}`]
      : DATABASE_ENGINE_FAMILY[a.databaseEngine ?? ''];
    if (!engine || rdsEngineAttributes(engine)?.licenseModel !== a.licenseModel) return [];
    return [`rdsInstanceHourly.${engine}:${a.instanceType}${a.deploymentOption === 'Multi-AZ' ? ':Multi-AZ' : ''}`];
  }
  if (product.serviceCode === 'AmazonRDS' && family === 'Database Storage' && a.deploymentOption === 'Multi-AZ') {
    // Multi-AZ (one standby) storage: its own rate per storage type (Single-AZ storage is SCALAR_KEYS').
    if (priced.unit !== 'GB-Mo') return [];
    const type = Object.entries(RDS_STORAGE_VOLUME_TYPE).find(([, t]) => t.volumeType === a.volumeType)?.[0];
    return type ? [`rdsStorageMultiAzGbMonth.${type}`] : [];
  }
  if (product.serviceCode === 'AmazonElastiCache' && family === 'Cache Instance' && a.instanceType) {
    return a.cacheEngine === 'Redis' ? [`elasticacheNodeHourly.${a.instanceType}`] : a.cacheEngine === 'Valkey' ? [`elasticacheNodeHourly.valkey:${a.instanceType}`] : [];
  }
  const out: string[] = [];
  for (const [field, spec] of Object.entries(SCALAR_KEYS)) {
    const key = spec!.key;
    if (key.serviceCode !== product.serviceCode || key.productFamily !== family || key.unit !== priced.unit) continue;
    if (Object.entries(key.attributes).every(([k, v]) => a[k] === v)) out.push(field);
  }
  return out;
}

/** A region's table: the embedded one with the price list's answers written over it. */
export function tableFrom(found: RegionPrices, region: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  const table = structuredClone(base) as PriceTable;
  const record = table as unknown as Record<string, unknown>;
  // A map the price list answered for is the price list's alone: a type it does not sell in this region is not priced.
  for (const field of Object.keys(MAP_KEYS)) {
    if (Object.keys(found.prices).some((p) => p.startsWith(`${field}.`))) record[field] = {};
  }
  const missing: string[] = [];
  for (const [path, usd] of Object.entries(found.prices)) {
    const dot = path.indexOf('.');
    if (dot > 0 && path.slice(0, dot) in MAP_KEYS) (record[path.slice(0, dot)] as Record<string, number>)[path.slice(dot + 1)] = usd;
    else record[path] = usd;
  }
  for (const field of Object.keys(SCALAR_KEYS)) if (!(field in found.prices)) missing.push(field);
  table.source = { kind: 'price-list', region, date: found.publicationDate, ...(missing.length ? { missing } : {}) };
  return table;
}

/** The embedded table, saying which region it is not the price of and why. */
export function embeddedFor(region: string, reason: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  const source: PriceSource = { kind: 'embedded', region: 'us-east-1', date: PRICE_TABLE_DATE, scannedRegion: region, reason };
  return { ...base, source };
}

/** Why asking failed, in words for the finding. */
export function describePriceError(error: unknown, operation = 'pricing:GetProducts'): string {
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'AccessDeniedException') return `${operation} denied`;
  if (e?.name === 'ThrottlingException') return 'the price list throttled the lookup';
  if (e?.code === 'ENOTFOUND' || e?.name === 'TimeoutError' || /ENOTFOUND|ECONNREFUSED|timed out/i.test(e?.message ?? '')) return 'the price list was unreachable (offline)';
  return `the price list lookup failed (${e?.name ?? 'Error'}: ${e?.message ?? String(error)})`;
}

export class PriceBook {
  private readonly tables = new Map<string, { at: number; table: Promise<PriceTable> }>();
  /** GetProducts calls made by this book (the bench's and the tests' count). */
  calls = 0;
  /** ListPriceLists calls made by this book (the version check). */
  listCalls = 0;
  /** The current price list version per service code and region (one ListPriceLists per service code, every region), per book. */
  private readonly versions = new Map<string, { at: number; list: Promise<Map<string, number>> }>();

  constructor(private readonly options: PriceBookOptions) {}

  /**
   * The region's table for this run (asked once per run). A book that outlives a run (a warm
   * Lambda container keeps its deps) asks again after `memoryHours` (default 6).
   */
  forRegion(region: string): Promise<PriceTable> {
    const now = this.now().getTime();
    const held = this.tables.get(region);
    if (held && now - held.at < (this.options.memoryHours ?? 6) * 3_600_000) return held.table;
    const table = this.resolve(region);
    this.tables.set(region, { at: now, table });
    return table;
  }

  private now() {
    return this.options.now?.() ?? new Date();
  }

  /**
   * When the price list cannot be asked and nothing is stored for the region: the shipped price
   * file's entry for the region (its basis names the file's date and why), else the embedded table.
   */
  private fallback(region: string, reason: string): PriceTable {
    let entry: RegionPrices | undefined;
    try {
      entry = this.options.shipped?.()?.regions[region];
    } catch (error) {
      this.options.log?.('shipped price file not readable', { region, reason: describePriceError(error) });
    }
    if (!entry) return embeddedFor(region, reason);
    const table = tableFrom(entry, region);
    table.source = { ...table.source!, reason: `price file shipped ${entry.fetchedAt.slice(0, 10)}; ${reason}` };
    return table;
  }

  private async resolve(region: string): Promise<PriceTable> {
    if (this.options.cache) return this.resolveCached(region, this.options.cache);
    const file = this.options.store?.read();
    const cached = file?.regions[region];
    const maxAgeMs = (this.options.maxAgeDays ?? 7) * 86_400_000;
    if (cached && this.now().getTime() - Date.parse(cached.fetchedAt) < maxAgeMs) return tableFrom(cached, region);
    if (this.options.online === false) return cached ? tableFrom(cached, region) : this.fallback(region, 'offline: no price file for the region');
    try {
      const fetched = await this.fetch(region);
      if (Object.keys(fetched.prices).length === 0) {
        return cached ? tableFrom(cached, region) : this.fallback(region, `the price list has no products for ${region}`);
      }
      if (this.options.store) {
        const latest = this.options.store.read() ?? { version: 1, source: 'AWS Price List Query API (GetProducts)', regions: {} };
        latest.regions[region] = fetched;
        this.options.store.write(latest);
      }
      return tableFrom(fetched, region);
    } catch (error) {
      const reason = describePriceError(error);
      this.options.log?.('price list lookup failed', { region, reason });
      if (cached) {
        const table = tableFrom(cached, region);
        table.source = { ...table.source!, reason: `price file from ${cached.fetchedAt.slice(0, 10)}; refresh failed: ${reason}` };
        return table;
      }
      return this.fallback(region, reason);
    }
  }

  /**
   * The region's table from the stack's cache: the fresh sets as stored, the rest asked for
   * (one query per family) and stored. A cache that cannot be read or written costs only the
   * cache (the lookup goes on, logged); asking that fails falls back to the stale sets, else the
   * embedded table, and says why.
   */
  private async resolveCached(region: string, cache: PriceCache): Promise<PriceTable> {
    const maxAgeMs = (this.options.maxAgeDays ?? 7) * 86_400_000;
    const now = this.now().getTime();
    let stored: CachedFamily[] = [];
    try {
      stored = await cache.read(region);
    } catch (error) {
      this.options.log?.('price cache not readable: looking prices up', { region, reason: describePriceError(error) });
    }
    const byFamily = new Map(stored.map((f) => [f.family, f]));
    const queries = regionQueries();
    const stale = queries.filter((q) => {
      const f = byFamily.get(familyOf(q));
      return !f || now - Date.parse(f.fetchedAt) >= maxAgeMs;
    });
    // Fresh by age but maybe superseded: once every checkHours, compare each set with the version AWS publishes now.
    const checkMs = (this.options.checkHours ?? 24) * 3_600_000;
    let supersededBy: Map<string, number> | undefined;
    const fresh = queries.filter((q) => !stale.includes(q));
    const checkedAt = Date.parse(cache.checkedAt?.(region) ?? '');
    if (checkMs > 0 && this.options.online !== false && fresh.length && !(now - checkedAt < checkMs)) {
      const superseded = await this.superseded(region, fresh.map((q) => byFamily.get(familyOf(q))!), [...new Set(fresh.map((q) => q.serviceCode))]);
      for (const q of fresh) if (superseded?.has(familyOf(q))) stale.push(q);
      supersededBy = superseded;
      // Recorded even when the check failed (denied, throttled): the next one is checkHours away, so the calls stay bounded.
      try {
        await cache.markChecked?.(region, new Date(now).toISOString());
      } catch (error) {
        this.options.log?.('price cache not writable: prices used for this run only', { region, reason: describePriceError(error) });
      }
    }
    const combine = (families: CachedFamily[]): RegionPrices => ({
      publicationDate: families.reduce((d, f) => (f.publicationDate > d ? f.publicationDate : d), ''),
      fetchedAt: families.reduce((d, f) => (d === '' || f.fetchedAt < d ? f.fetchedAt : d), ''),
      prices: Object.assign({}, ...families.map((f) => f.prices)) as Record<string, number>,
    });
    if (stale.length === 0) return tableFrom(combine([...byFamily.values()]), region);
    if (this.options.online === false) return byFamily.size ? tableFrom(combine([...byFamily.values()]), region) : this.fallback(region, 'offline: no stored prices for the region');
    try {
      const fetched = await this.fetchFamilies(region, stale);
      const found = fetched.filter((f) => Object.keys(f.prices).length > 0);
      try {
        if (found.length) await cache.write(region, found);
      } catch (error) {
        this.options.log?.('price cache not writable: prices used for this run only', { region, reason: describePriceError(error) });
      }
      for (const f of found) byFamily.set(f.family, f);
      // belief: GetProducts answers the version ListPriceLists names; if it still answers an older one (the Query API
      // lagging the bulk list), the set is kept and asked again at the next check only (once every checkHours).
      const lagging = found.filter((f) => supersededBy?.has(f.family) && Date.parse(f.publicationDate) < supersededBy.get(f.family)!).map((f) => f.family);
      if (lagging.length) this.options.log?.('price list: GetProducts still answers an older version than ListPriceLists names; asked again at the next check', { region, families: lagging });
      if (byFamily.size === 0) return this.fallback(region, `the price list has no products for ${region}`);
      return tableFrom(combine([...byFamily.values()]), region);
    } catch (error) {
      const reason = describePriceError(error);
      this.options.log?.('price list lookup failed', { region, reason });
      if (byFamily.size) {
        const held = combine([...byFamily.values()]);
        const table = tableFrom(held, region);
        table.source = { ...table.source!, reason: `stored prices from ${held.fetchedAt.slice(0, 10)}; refresh failed: ${reason}` };
        return table;
      }
      return this.fallback(region, reason);
    }
  }

  /**
   * The families whose stored set is older than the price list version AWS publishes now for the
   * region, or undefined when the check could not be made (logged; the sets are then kept by age).
   */
  private async superseded(region: string, families: CachedFamily[], serviceCodes: string[]): Promise<Map<string, number> | undefined> {
    try {
      const out = new Map<string, number>();
      for (const code of serviceCodes) {
        const current = (await this.currentVersions(code)).get(region);
        if (current === undefined) continue;
        for (const f of families) if (f.family.startsWith(`${code}#`) && Date.parse(f.publicationDate) < current) out.set(f.family, current);
      }
      if (out.size) this.options.log?.('price list: a newer version is published; asking again', { region, families: [...out.keys()] });
      return out;
    } catch (error) {
      this.options.log?.('price list version check failed: stored prices kept by age', { region, reason: describePriceError(error, 'pricing:ListPriceLists') });
      return undefined;
    }
  }

  /** The current version of a service's price list per region: ListPriceLists without RegionCode (every region), once per book. */
  private currentVersions(serviceCode: string): Promise<Map<string, number>> {
    const at = this.now().getTime();
    const kept = this.versions.get(serviceCode);
    if (kept && at - kept.at < (this.options.memoryHours ?? 6) * 3_600_000) return kept.list;
    const held = this.listVersions(serviceCode);
    held.catch(() => this.versions.delete(serviceCode));
    this.versions.set(serviceCode, { at, list: held });
    return held;
  }

  /** ListPriceLists for one service code, every page: the newest version per region. */
  private async listVersions(serviceCode: string): Promise<Map<string, number>> {
    const client = this.options.clients.withWrites(false).get(PricingClient, this.options.endpointRegion ?? 'us-east-1');
    const out = new Map<string, number>();
    let token: string | undefined;
    do {
      this.listCalls += 1;
      const answer = await client.send(new ListPriceListsCommand({ ServiceCode: serviceCode, CurrencyCode: 'USD', EffectiveDate: this.now(), MaxResults: 100, NextToken: token }));
      for (const list of answer.PriceLists ?? []) {
        const version = list.RegionCode ? versionOfArn(list.PriceListArn, list.RegionCode) : undefined;
        if (version !== undefined && list.RegionCode && version > (out.get(list.RegionCode) ?? 0)) out.set(list.RegionCode, version);
      }
      token = answer.NextToken;
    } while (token);
    return out;
  }

  /** Every product of the region's queries, paginated. */
  async fetch(region: string): Promise<RegionPrices> {
    const families = await this.fetchFamilies(region, regionQueries());
    const prices: Record<string, number> = Object.assign({}, ...families.map((f) => f.prices));
    const publicationDate = families.reduce((d, f) => (f.publicationDate > d ? f.publicationDate : d), '');
    return { publicationDate: publicationDate || this.now().toISOString(), fetchedAt: this.now().toISOString(), prices };
  }

  /** The products of some of the region's queries, one price set per product family. */
  async fetchFamilies(region: string, queries: Query[]): Promise<CachedFamily[]> {
    const client = this.options.clients.withWrites(false).get(PricingClient, this.options.endpointRegion ?? 'us-east-1');
    /** Two products of one key with different prices: the first is kept and the others are logged (not merged, not averaged). */
    const conflicts: string[] = [];
    const out: CachedFamily[] = [];
    for (const query of queries) {
      const prices: Record<string, number> = {};
      let publicationDate = '';
      let token: string | undefined;
      do {
        this.calls += 1;
        const answer = await client.send(
          new GetProductsCommand({
            ServiceCode: query.serviceCode,
            FormatVersion: 'aws_v1',
            MaxResults: 100,
            NextToken: token,
            Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: region }, { Type: 'TERM_MATCH', Field: 'productFamily', Value: query.productFamily }, ...query.filters],
          }),
        );
        for (const item of answer.PriceList ?? []) {
          const product = JSON.parse(String(item)) as PriceListProduct;
          const priced = onDemandUsd(product);
          if (!priced) continue;
          for (const path of pathsOf(product)) {
            const usd = tableUsd(path, priced.usd);
            if (!(path in prices)) prices[path] = usd;
            else if (prices[path] !== usd) conflicts.push(`${path}: ${prices[path]} kept, ${usd} (sku ${product.product?.sku}) ignored`);
          }
          if (product.publicationDate > publicationDate) publicationDate = product.publicationDate;
        }
        token = answer.NextToken;
      } while (token);
      out.push({ family: familyOf(query), publicationDate: publicationDate || this.now().toISOString(), fetchedAt: this.now().toISOString(), prices });
    }
    if (conflicts.length) this.options.log?.('price list: several products for one price', { region, conflicts: conflicts.slice(0, 20), count: conflicts.length });
    return out;
  }
}
