/**
 * The price cache in the stack (issue 27): the Lambdas keep looked-up price sets in the audit
 * table, so a daily sweep asks the Price List only when a set is stale, not on every cold start.
 *
 * One item per (region, price list product family), in the audit table trimtab already writes
 * (lib/audit/dynamodb.ts), with the rights its functions already have (GetItem, PutItem, Query,
 * BatchWriteItem on that table; no new IAM):
 *
 *   pk `PRICES#<region>`   sk `<ServiceCode>#<productFamily>`   publicationDate, fetchedAt, prices (JSON), expiresAt (TTL)
 *
 * The items carry none of the index attributes (byPolicy/byResource/byTime), so no history
 * query ever sees them. A region's sets are read with one Query (pk = PRICES#<region>); each set
 * is written with one PutItem after a lookup. The TTL attribute drops a set 30 days after it was
 * fetched (it is stale long before: `maxAgeDays`, 7 by default).
 *
 * A stored set is account-controlled data (anyone who can write the table can write it): every
 * item is validated on read (zod: the shape, dates, a known family, table paths trimtab knows,
 * and each price finite, ≥ 0 and within 1/50..50× the embedded us-east-1 price of the same key,
 * or ≤ $10,000 where the embedded table has none). A malformed item is logged as a warning and
 * its family is looked up afresh; it is never trusted and never crashes the run.
 */
import { DynamoDBClient, PutItemCommand, paginateQuery } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { AwsClients } from '../aws/clients.ts';
import { DEFAULT_PRICES } from '../savings/prices.ts';
import { MAP_KEYS, RDS_STORAGE_VOLUME_TYPE, SCALAR_KEYS } from './catalog.ts';
import { familyOf, regionQueries, type CachedFamily, type PriceCache } from './lookup.ts';

/** One product family's prices in one region, as the price list gave them. */
export type { CachedFamily, PriceCache } from './lookup.ts';

/** Largest price a set may hold for a path the embedded table has no price for ($ per unit). */
export const MAX_UNKNOWN_USD = 10_000;
/** A cached price further than this factor from the embedded us-east-1 one is refused (regional list prices differ by well under 2×). */
export const MAX_RATIO_TO_EMBEDDED = 50;
/** Stored items are dropped by the table's TTL this long after they were fetched. */
export const CACHE_TTL_DAYS = 30;
/** DynamoDB's item limit is 400 KB; a set larger than this is not stored (looked up again next run). */
const MAX_ITEM_BYTES = 350_000;

const embedded = DEFAULT_PRICES as unknown as Record<string, number | Record<string, number>>;

/** The embedded price of a table path, or undefined when the path is a known map entry without one; null: not a path trimtab knows. */
export function embeddedPriceOf(path: string): number | undefined | null {
  if (Object.hasOwn(SCALAR_KEYS, path)) return embedded[path] as number;
  const dot = path.indexOf('.');
  if (dot <= 0) return null;
  const field = path.slice(0, dot);
  if (!Object.hasOwn(MAP_KEYS, field)) return null;
  const entry = path.slice(dot + 1);
  if (!entry || entry.length > 120) return null;
  // Multi-AZ storage: only the storage types trimtab keys, measured against twice the embedded Single-AZ rate.
  if (field === 'rdsStorageMultiAzGbMonth') return Object.hasOwn(RDS_STORAGE_VOLUME_TYPE, entry) ? (embedded[RDS_STORAGE_VOLUME_TYPE[entry].singleAz] as number) * 2 : null;
  const map = embedded[field] as Record<string, number>;
  return Object.hasOwn(map, entry) ? map[entry] : undefined;
}

/** Why a cached price cannot be trusted, or undefined. */
export function implausiblePrice(path: string, usd: number): string | undefined {
  const base = embeddedPriceOf(path);
  if (base === null) return `${path} is not a price trimtab knows`;
  if (!Number.isFinite(usd) || usd < 0) return `${path} = ${usd}: not a price`;
  if (base === undefined || base === 0) return usd > MAX_UNKNOWN_USD ? `${path} = $${usd}: above $${MAX_UNKNOWN_USD}` : undefined;
  if (usd > base * MAX_RATIO_TO_EMBEDDED || (usd > 0 && usd < base / MAX_RATIO_TO_EMBEDDED) || usd === 0) {
    return `${path} = $${usd}: more than ${MAX_RATIO_TO_EMBEDDED}× from the embedded $${base}`;
  }
  return undefined;
}

/** An ISO date as stored or shipped (account- or repository-controlled text). */
export const isoDate = z.string().max(40).refine((s) => Number.isFinite(Date.parse(s)), 'not a date');
/** When a price set was fetched: a date, at most a day ahead of `now` (clock skew), never further. */
export const fetchedAtSchema = (now: Date) => isoDate.refine((s) => Date.parse(s) <= now.getTime() + 86_400_000, 'fetched in the future');

/** The sort key of a region's version-check item (not a product family). */
export const CHECKED_SK = 'CHECKED';
const checkedSchema = (now: Date) => isoDate.refine((s) => Date.parse(s) <= now.getTime() + 60_000, 'checked in the future');

/** The stored item as read back: checked field by field before anything in it is used. */
export function cachedItemSchema(region: string, knownFamilies: ReadonlySet<string>, now: Date) {
  return z
    .object({
      pk: z.literal(`PRICES#${region}`),
      sk: z.string().max(200).refine((s) => knownFamilies.has(s), 'not a product family trimtab looks up'),
      publicationDate: isoDate,
      fetchedAt: fetchedAtSchema(now),
      prices: z
        .string()
        .max(MAX_ITEM_BYTES)
        .transform((s, ctx) => {
          try {
            return JSON.parse(s) as unknown;
          } catch {
            ctx.addIssue({ code: 'custom', message: 'prices is not JSON' });
            return z.NEVER;
          }
        })
        .pipe(z.record(z.string().max(200), z.number())),
    })
    .superRefine((item, ctx) => {
      for (const [path, usd] of Object.entries(item.prices)) {
        const why = implausiblePrice(path, usd);
        if (why) {
          ctx.addIssue({ code: 'custom', message: why, path: ['prices', path] });
          return;
        }
      }
    });
}

/** The audit table as the price cache (the deployed Lambdas). */
export class DynamoPriceCache implements PriceCache {
  constructor(
    private readonly options: {
      tableName: string;
      region: string;
      /** Must allow writes (trimtab's own table), like the audit store's. */
      clients: AwsClients;
      /** The families a stored item may name (default: the lookup's queries). */
      knownFamilies?: ReadonlySet<string>;
      ttlAttribute?: string;
      now?: () => Date;
      log?: (message: string, data?: Record<string, unknown>) => void;
    },
  ) {}

  /** DynamoDB read and write calls made (the bench's count). */
  calls = { query: 0, put: 0, writtenBytes: 0 };
  /** The region's last version check, as the last read found it (the `CHECKED` item). */
  private readonly checked = new Map<string, string>();

  checkedAt(region: string): string | undefined {
    return this.checked.get(region);
  }

  /** One small item (`sk` CHECKED) saying when the region's sets were last compared with the price list's current versions. */
  async markChecked(region: string, at: string): Promise<void> {
    this.calls.put += 1;
    const item = { pk: `PRICES#${region}`, sk: CHECKED_SK, kind: 'PRICES', checkedAt: at, [this.options.ttlAttribute ?? 'expiresAt']: Math.floor(Date.parse(at) / 1000) + CACHE_TTL_DAYS * 86_400 };
    await this.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: marshall(item) }));
    this.checked.set(region, at);
  }

  private get client() {
    return this.options.clients.get(DynamoDBClient, this.options.region);
  }

  async read(region: string): Promise<CachedFamily[]> {
    const now = this.options.now?.() ?? new Date();
    const schema = cachedItemSchema(region, this.options.knownFamilies ?? new Set(regionQueries().map(familyOf)), now);
    const out: CachedFamily[] = [];
    const pages = paginateQuery({ client: this.client }, { TableName: this.options.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `PRICES#${region}` } } });
    for await (const page of pages) {
      this.calls.query += 1;
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        if (item.sk === CHECKED_SK) {
          // Account-controlled like the sets: a date, not in the future (a forged one only delays a check; age still applies).
          const at = checkedSchema(now).safeParse(item.checkedAt);
          if (at.success) this.checked.set(region, at.data);
          else this.options.log?.('price cache: the stored version check is malformed and is not used', { region });
          continue;
        }
        const parsed = schema.safeParse(item);
        if (!parsed.success) {
          this.options.log?.('price cache: a stored price set is malformed and is not used; it is looked up again', {
            region,
            sk: typeof item.sk === 'string' ? item.sk.slice(0, 200) : undefined,
            problems: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`),
          });
          continue;
        }
        out.push({ family: parsed.data.sk, publicationDate: parsed.data.publicationDate, fetchedAt: parsed.data.fetchedAt, prices: parsed.data.prices });
      }
    }
    return out;
  }

  async write(region: string, families: CachedFamily[]): Promise<void> {
    for (const f of families) {
      const prices = JSON.stringify(f.prices);
      if (prices.length > MAX_ITEM_BYTES) {
        this.options.log?.('price cache: a price set is too large to store', { region, family: f.family, bytes: prices.length });
        continue;
      }
      const item = {
        pk: `PRICES#${region}`,
        sk: f.family,
        kind: 'PRICES',
        publicationDate: f.publicationDate,
        fetchedAt: f.fetchedAt,
        prices,
        [this.options.ttlAttribute ?? 'expiresAt']: Math.floor(Date.parse(f.fetchedAt) / 1000) + CACHE_TTL_DAYS * 86_400,
      };
      this.calls.put += 1;
      this.calls.writtenBytes += prices.length;
      await this.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: marshall(item) }));
    }
  }
}

/** In memory (tests, the bench's sweep model). */
export class MemoryPriceCache implements PriceCache {
  readonly items = new Map<string, CachedFamily>();
  readonly checks = new Map<string, string>();
  calls = { query: 0, put: 0 };
  checkedAt(region: string) {
    return this.checks.get(region);
  }
  async markChecked(region: string, at: string) {
    this.calls.put += 1;
    this.checks.set(region, at);
  }
  async read(region: string) {
    this.calls.query += 1;
    return [...this.items.entries()].filter(([k]) => k.startsWith(`${region}|`)).map(([, v]) => structuredClone(v));
  }
  async write(region: string, families: CachedFamily[]) {
    for (const f of families) {
      this.calls.put += 1;
      this.items.set(`${region}|${f.family}`, structuredClone(f));
    }
  }
}
