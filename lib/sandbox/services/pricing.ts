/**
 * Sandbox AWS Price List Query API (service "Pricing", awsJson1_1 on the wire, like AWS;
 * botocore pricing/2017-10-15). GetProducts and ListPriceLists (the version check): the products come from
 * lib/pricing/catalog.ts priceListProducts, which generates them from the embedded price table
 * (us-east-1) and the regional model, so the sandbox's prices and the fallback's are one source.
 *
 * What it enforces, with AWS's error codes (botocore GetProducts errors):
 * - the endpoint exists only in a few regions (AWS Price List guide, "Price List Query API
 *   endpoints": us-east-1, eu-central-1, ap-south-1): elsewhere the call fails as a DNS lookup
 *   of api.pricing.<region>.amazonaws.com would (not an AWS error);
 * - ServiceCode is required (1..32 characters); an unknown one: NotFoundException (belief);
 * - FormatVersion other than aws_v1, a Filter with an unknown Type or an empty Field/Value,
 *   MaxResults outside 1..100 (botocore GetProductsMaxResults): InvalidParameterException;
 * - NextToken: one this service did not issue for the same ServiceCode and Filters:
 *   InvalidNextTokenException; one older than 15 minutes of sandbox time: ExpiredNextTokenException
 *   (the lifetime is a belief: AWS documents only that tokens expire);
 * - throttling and access denied through the sandbox's faults (lib/sandbox/faults.ts:
 *   `pricing:GetProducts` → ThrottlingException / AccessDeniedException).
 * Filter types: TERM_MATCH and EQUALS (exact), CONTAINS (substring), ANY_OF / NONE_OF (a
 * comma-separated list of values), on ServiceCode, productFamily and every product attribute.
 * PriceList holds one JSON string per product (botocore PriceListJsonItems, jsonvalue).
 */
import { createHash } from 'node:crypto';
import { awsError, type OperationEnv, type SandboxService } from '../sandbox.ts';
import { SANDBOX_PUBLICATION_DATE, priceListProducts, type PriceListProduct } from '../../pricing/catalog.ts';
import type { Sandbox } from '../sandbox.ts';

/** The regions with a Price List Query API endpoint (AWS Price List guide). */
export const PRICING_ENDPOINT_REGIONS = ['us-east-1', 'eu-central-1', 'ap-south-1'];
/** The regions the sandbox's price list covers. */
export const SANDBOX_PRICED_REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-south-1'];
const SERVICE_CODES = new Set(['AmazonEC2', 'AmazonRDS', 'AmazonElastiCache', 'AmazonS3', 'AWSELB', 'AmazonVPC', 'AWSLambda', 'AmazonCloudWatch', 'AmazonDynamoDB']);
const FILTER_TYPES = new Set(['TERM_MATCH', 'EQUALS', 'CONTAINS', 'ANY_OF', 'NONE_OF']);
const TOKEN_LIFETIME_MS = 15 * 60_000;
const DEFAULT_MAX = 100;

interface Filter {
  Type?: string;
  Field?: string;
  Value?: string;
}

let cache: { region: string; products: PriceListProduct[] }[] = [];
function productsOf(region: string): PriceListProduct[] {
  let hit = cache.find((c) => c.region === region);
  if (!hit) cache = [...cache, (hit = { region, products: priceListProducts(region) })];
  return hit.products;
}

function fieldValue(p: PriceListProduct, field: string): string | undefined {
  if (field === 'ServiceCode') return p.serviceCode;
  if (field === 'productFamily') return p.product.productFamily;
  return p.product.attributes[field];
}

function matches(p: PriceListProduct, f: Filter): boolean {
  const value = fieldValue(p, f.Field!);
  const list = f.Value!.split(',').map((v) => v.trim());
  switch (f.Type) {
    case 'TERM_MATCH':
    case 'EQUALS':
      return value === f.Value;
    case 'CONTAINS':
      return value !== undefined && value.includes(f.Value!);
    case 'ANY_OF':
      return value !== undefined && list.includes(value);
    case 'NONE_OF':
      return value === undefined || !list.includes(value);
    default:
      return false;
  }
}

/** A product as listed in a later version of its price list (same prices, the new dates). */
function republished(p: PriceListProduct, publicationDate: string): PriceListProduct {
  if (publicationDate === p.publicationDate) return p;
  const terms = Object.fromEntries(Object.entries(p.terms.OnDemand).map(([k, t]) => [k, { ...t, effectiveDate: publicationDate }]));
  return { ...p, terms: { OnDemand: terms }, version: publicationDate.slice(0, 10).replace(/-/g, ''), publicationDate };
}

const queryHash = (input: any) => createHash('sha256').update(JSON.stringify([input.ServiceCode, input.Filters ?? []])).digest('hex').slice(0, 16);

function validate(input: any) {
  if (typeof input.ServiceCode !== 'string' || input.ServiceCode.length < 1 || input.ServiceCode.length > 32) {
    throw awsError('InvalidParameterException', 'Input validation failed: ServiceCode is required and must be 1 to 32 characters.');
  }
  if (input.FormatVersion !== undefined && input.FormatVersion !== 'aws_v1') {
    throw awsError('InvalidParameterException', `Input validation failed: FormatVersion ${input.FormatVersion} is not supported (aws_v1).`);
  }
  if (input.MaxResults !== undefined && (!Number.isInteger(input.MaxResults) || input.MaxResults < 1 || input.MaxResults > 100)) {
    throw awsError('InvalidParameterException', `Input validation failed: MaxResults ${input.MaxResults} is not in 1..100.`);
  }
  for (const f of (input.Filters ?? []) as Filter[]) {
    if (!f.Type || !FILTER_TYPES.has(f.Type)) throw awsError('InvalidParameterException', `Input validation failed: filter type ${f.Type} is not one of ${[...FILTER_TYPES].join(', ')}.`);
    if (!f.Field || !f.Value) throw awsError('InvalidParameterException', 'Input validation failed: a filter needs a Field and a Value.');
  }
  if (!SERVICE_CODES.has(input.ServiceCode)) throw awsError('NotFoundException', `Service code ${input.ServiceCode} not found.`);
}

function pageStart(input: any, env: OperationEnv): number {
  if (!input.NextToken) return 0;
  let token: { o: number; t: number; q: string };
  try {
    token = JSON.parse(Buffer.from(String(input.NextToken), 'base64url').toString('utf8'));
  } catch {
    throw awsError('InvalidNextTokenException', 'The pagination token is invalid. Try again without a pagination token.');
  }
  if (!Number.isInteger(token?.o) || token.q !== queryHash(input)) throw awsError('InvalidNextTokenException', 'The pagination token is invalid. Try again without a pagination token.');
  if (env.now.getTime() - token.t > TOKEN_LIFETIME_MS) throw awsError('ExpiredNextTokenException', 'The pagination token expired. Try again without a pagination token.');
  return token.o;
}

/**
 * A newer price list version of a service, as AWS publishes one (tests and the bench): from then on
 * GetProducts answers that service's products with this publicationDate and ListPriceLists names
 * it in the PriceListArn. The price list is AWS's, not the account's: kept in the sandbox account's
 * global state only because that is what the sandbox persists.
 */
export function publishPriceList(sandbox: Sandbox, serviceCode: string, publicationDate: string, options: { queryApiLagging?: boolean } = {}): void {
  const global = sandbox.account().global;
  // queryApiLagging: ListPriceLists names the new version while GetProducts still answers the old one (belief: can happen while the Query API catches up).
  const key = options.queryApiLagging ? 'listedOnly' : 'publications';
  global.pricing = { ...(global.pricing ?? {}), [key]: { ...(global.pricing?.[key] ?? {}), [serviceCode]: publicationDate } };
}

function publicationOf(env: OperationEnv, serviceCode: string): string {
  return (env.sandbox.account().global.pricing?.publications?.[serviceCode] as string | undefined) ?? SANDBOX_PUBLICATION_DATE;
}

/** The version ListPriceLists names: a lagging publication if one was set, else the one GetProducts answers. */
function listedOf(env: OperationEnv, serviceCode: string): string {
  return (env.sandbox.account().global.pricing?.listedOnly?.[serviceCode] as string | undefined) ?? publicationOf(env, serviceCode);
}

function noEndpoint(env: OperationEnv) {
  if (!PRICING_ENDPOINT_REGIONS.includes(env.region)) {
    const error = new Error(`getaddrinfo ENOTFOUND api.pricing.${env.region}.amazonaws.com`) as Error & { code: string };
    error.code = 'ENOTFOUND';
    throw error;
  }
}

/** `20261130000000` from `2026-11-30T00:00:00Z`: the version segment of a PriceListArn. */
const versionSegment = (iso: string) => new Date(iso).toISOString().slice(0, 19).replace(/[-:T]/g, '');

export const pricingService: SandboxService = {
  id: 'pricing',
  operations: {
    /**
     * ListPriceLists (client-pricing ListPriceListsCommand.d.ts): ServiceCode, EffectiveDate and
     * CurrencyCode required; RegionCode optional (absent: every region); MaxResults 1..100 with
     * NextToken. One price list reference per region, its PriceListArn
     * `arn:aws:pricing:::price-list/aws/<ServiceCode>/USD/<yyyymmddhhmmss>/<region>` (the API
     * reference's sample answer), FileFormats json and csv.
     */
    ListPriceLists(input: any, env: OperationEnv) {
      noEndpoint(env);
      if (typeof input.ServiceCode !== 'string' || input.ServiceCode.length < 1 || input.ServiceCode.length > 32) {
        throw awsError('InvalidParameterException', 'Input validation failed: ServiceCode is required and must be 1 to 32 characters.');
      }
      if (input.EffectiveDate === undefined) throw awsError('InvalidParameterException', 'Input validation failed: EffectiveDate is required.');
      if (typeof input.CurrencyCode !== 'string' || !/^[A-Z]{3}$/.test(input.CurrencyCode)) throw awsError('InvalidParameterException', 'Input validation failed: CurrencyCode is required and must be three capital letters.');
      if (input.MaxResults !== undefined && (!Number.isInteger(input.MaxResults) || input.MaxResults < 1 || input.MaxResults > 100)) {
        throw awsError('InvalidParameterException', `Input validation failed: MaxResults ${input.MaxResults} is not in 1..100.`);
      }
      if (!SERVICE_CODES.has(input.ServiceCode)) throw awsError('NotFoundException', `Service code ${input.ServiceCode} not found.`);
      // belief: the list is priced in USD only (CNY for the China partition, not modelled): another currency lists nothing.
      const regions = input.CurrencyCode !== 'USD' ? [] : input.RegionCode ? SANDBOX_PRICED_REGIONS.filter((r) => r === input.RegionCode) : SANDBOX_PRICED_REGIONS;
      const version = versionSegment(listedOf(env, input.ServiceCode));
      const all = regions.map((r) => ({ PriceListArn: `arn:aws:pricing:::price-list/aws/${input.ServiceCode}/USD/${version}/${r}`, RegionCode: r, CurrencyCode: 'USD', FileFormats: ['json', 'csv'] }));
      const start = pageStart({ ServiceCode: input.ServiceCode, Filters: [input.RegionCode ?? '', input.CurrencyCode], NextToken: input.NextToken }, env);
      const max = input.MaxResults ?? DEFAULT_MAX;
      const next = start + max;
      return {
        PriceLists: all.slice(start, next),
        ...(next < all.length ? { NextToken: Buffer.from(JSON.stringify({ o: next, t: env.now.getTime(), q: queryHash({ ServiceCode: input.ServiceCode, Filters: [input.RegionCode ?? '', input.CurrencyCode] }) })).toString('base64url') } : {}),
      };
    },
    GetProducts(input: any, env: OperationEnv) {
      noEndpoint(env);
      validate(input);
      const filters = (input.Filters ?? []) as Filter[];
      const regionFilter = filters.find((f) => f.Field === 'regionCode' && (f.Type === 'TERM_MATCH' || f.Type === 'EQUALS'));
      const regions = regionFilter ? [regionFilter.Value!] : SANDBOX_PRICED_REGIONS;
      const all = regions.flatMap((r) => productsOf(r)).filter((p) => p.serviceCode === input.ServiceCode && filters.every((f) => matches(p, f)));
      const start = pageStart(input, env);
      const max = input.MaxResults ?? DEFAULT_MAX;
      const page = all.slice(start, start + max);
      const next = start + max;
      return {
        FormatVersion: 'aws_v1',
        PriceList: page.map((p) => JSON.stringify(republished(p, publicationOf(env, p.serviceCode)))),
        ...(next < all.length ? { NextToken: Buffer.from(JSON.stringify({ o: next, t: env.now.getTime(), q: queryHash(input) })).toString('base64url') } : {}),
      };
    },
  },
};
