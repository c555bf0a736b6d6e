/**
 * The pricing calls a daily sweep adds (issue 27): one sweep a day for `days` days, each a cold
 * start (a new PriceBook, as a new Lambda container has), with the stack's price cache in the
 * audit table on the sandbox (lib/pricing/cache.ts). Counted per day: GetProducts calls (the
 * Price List), and the cache's DynamoDB Query and PutItem calls and the bytes written, which the
 * running-cost figure prices (lib/bench/cost.ts).
 *
 * What it shows: the first day asks every product family of every region (one GetProducts per
 * page); the next days read the stored sets (one Query per region), check once a day whether AWS
 * published a newer price list (ListPriceLists: one call per service code, every region at once,
 * shared by the run's regions), and ask again only the families of a republished service, or any
 * set older than `maxAgeDays` (7). `publish` models AWS republishing a service's list on a day.
 */
import { ensureSandboxAuditTables } from '../audit/sandbox-tables.ts';
import { AwsClients } from '../aws/clients.ts';
import { DynamoPriceCache } from '../pricing/cache.ts';
import { PriceBook } from '../pricing/lookup.ts';
import { Sandbox, SANDBOX_ACCOUNT } from '../sandbox/sandbox.ts';
import { SANDBOX_SERVICES } from '../sandbox/services/index.ts';
import { publishPriceList } from '../sandbox/services/pricing.ts';
import { round } from './stats.ts';

export interface PricingSweepResult {
  regions: string[];
  days: number;
  /** GetProducts calls each day (index 0: the first run, empty cache). */
  getProductsByDay: number[];
  /** ListPriceLists calls each day (the publication-date check). */
  listPriceListsByDay: number[];
  /** Mean ListPriceLists calls per region per day over the days after the first. */
  listPerRegionPerDayAfterFirst: number;
  /** The republications modelled: AWS publishes a new list of `serviceCode` on `day`. */
  publish: { day: number; serviceCode: string }[];
  firstRun: number;
  /** Mean GetProducts calls per region per day over the days after the first. */
  perRegionPerDayAfterFirst: number;
  /** Cache reads (DynamoDB Query pages) and writes (PutItem) over all days, and the bytes written. */
  cacheQueries: number;
  cachePuts: number;
  cacheWrittenKiB: number;
  /** Largest price set stored (KiB): what one Query reads back per region, roughly. */
  cacheReadKiBPerRegionDay: number;
}

const TABLE = 'trimtab-bench-audit';

export async function pricingSweepCalls(
  regions: string[] = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'],
  days = 14,
  publish: { day: number; serviceCode: string }[] = [],
): Promise<PricingSweepResult> {
  let now = new Date('2026-12-01T06:00:00Z');
  const sandbox = new Sandbox(Sandbox.emptyState('bench-pricing', now), SANDBOX_SERVICES, { clock: () => now });
  ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { auditTable: TABLE, ttlAttribute: 'expiresAt' });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  const cache = new DynamoPriceCache({ tableName: TABLE, region: 'us-east-1', clients: clients.withWrites(true), now: () => now });
  const getProductsByDay: number[] = [];
  const listPriceListsByDay: number[] = [];
  let storedBytes = 0;
  for (let day = 0; day < days; day++) {
    for (const p of publish.filter((x) => x.day === day)) publishPriceList(sandbox, p.serviceCode, new Date(now.getTime() - 3_600_000).toISOString());
    const book = new PriceBook({ clients, cache, now: () => now });
    for (const region of regions) await book.forRegion(region);
    getProductsByDay.push(book.calls);
    listPriceListsByDay.push(book.listCalls);
    if (day === 0) storedBytes = cache.calls.writtenBytes;
    now = new Date(now.getTime() + 86_400_000);
  }
  const after = getProductsByDay.slice(1);
  const listAfter = listPriceListsByDay.slice(1);
  return {
    regions,
    days,
    getProductsByDay,
    listPriceListsByDay,
    listPerRegionPerDayAfterFirst: round(listAfter.reduce((a, b) => a + b, 0) / Math.max(1, listAfter.length) / regions.length, 2),
    publish,
    firstRun: getProductsByDay[0],
    perRegionPerDayAfterFirst: round(after.reduce((a, b) => a + b, 0) / Math.max(1, after.length) / regions.length, 2),
    cacheQueries: cache.calls.query,
    cachePuts: cache.calls.put,
    cacheWrittenKiB: round(cache.calls.writtenBytes / 1024, 1),
    cacheReadKiBPerRegionDay: round(storedBytes / 1024 / regions.length, 1),
  };
}
