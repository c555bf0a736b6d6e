import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { GetProductsCommand, PricingClient, type GetProductsCommandOutput } from '@aws-sdk/client-pricing';
import { catalogEntries, ec2InstanceKey, toProduct, type PriceListProduct } from '../../../lib/pricing/catalog.ts';
import { PriceBook, onDemandUsd, type PriceFile } from '../../../lib/pricing/lookup.ts';
import { faultRules } from '../../../lib/sandbox/faults.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { DEFAULT_PRICES } from '../../../lib/savings/prices.ts';
import { emptySandbox, type TestSandboxOptions } from '../../helpers.ts';

function book(options: TestSandboxOptions = {}, store?: { file?: PriceFile }, extra: { online?: boolean; maxAgeDays?: number } = {}) {
  const sandbox = emptySandbox({ pageCap: undefined, ...options });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  const fileStore = store && { read: () => store.file && structuredClone(store.file), write: (f: PriceFile) => { store.file = structuredClone(f); } };
  return { sandbox, book: new PriceBook({ clients, now: () => sandbox.now(), store: fileStore, ...extra }) };
}

const read = (table: object, path: string): unknown => {
  const dot = path.indexOf('.');
  const record = table as Record<string, unknown>;
  return dot < 0 ? record[path] : (record[path.slice(0, dot)] as Record<string, number>)[path.slice(dot + 1)];
};

describe('PriceBook (lib/pricing/lookup.ts)', () => {
  it('reads through GetProducts, for us-east-1, exactly the price the embedded fallback gives for every key', async () => {
    // Prepare
    const { book: prices } = book();
    const entries = catalogEntries(DEFAULT_PRICES);

    // Act
    const table = await prices.forRegion('us-east-1');

    // Assess: every key of the table (scalars, instance types, OS variants, RDS classes, cache nodes).
    expect(entries.length).toBeGreaterThan(300);
    const differing = entries.filter((e) => read(table, e.path) !== e.usd).map((e) => `${e.path}: ${String(read(table, e.path))} ≠ ${e.usd}`);
    expect(differing).toEqual([]);
    expect(table.source).toEqual({ kind: 'price-list', region: 'us-east-1', date: '2026-11-30T00:00:00Z' });
  });

  it('reads gp3 throughput listed per GiBps-month as $ per MiB/s-month, and DynamoDB storage at the rate past its $0 free tier', async () => {
    // Prepare: the products as AWS lists them (gp3 throughput $40.96 per GiBps-mo; DynamoDB storage "$0.00 for first 25 free GB-Months", then $0.25).
    const { sandbox, book: prices } = book();
    const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
    const pricing: PricingClient = clients.get(PricingClient, 'us-east-1');
    const listed = async (serviceCode: string, productFamily: string): Promise<PriceListProduct[]> => {
      const out: GetProductsCommandOutput = await pricing.send(new GetProductsCommand({ ServiceCode: serviceCode, Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' }, { Type: 'TERM_MATCH', Field: 'productFamily', Value: productFamily }] }));
      return (out.PriceList ?? []).map((item: unknown) => JSON.parse(String(item)) as PriceListProduct);
    };
    const throughput = (await listed('AmazonEC2', 'Provisioned Throughput')).find((p) => p.product.attributes.volumeApiName === 'gp3')!;
    const storage = (await listed('AmazonDynamoDB', 'Database Storage')).find((p) => p.product.attributes.volumeType === 'Amazon DynamoDB - Indexed DataStore')!;
    const dims = (p: PriceListProduct) => Object.values(Object.values(p.terms.OnDemand)[0].priceDimensions).map((d) => [d.beginRange, d.unit, d.pricePerUnit.USD]);

    // Act
    const table = await prices.forRegion('us-east-1');

    // Assess
    expect(dims(throughput)).toEqual([['0', 'GiBps-mo', '40.9600000000']]);
    expect(dims(storage).sort()).toEqual([['0', 'GB-Mo', '0.0000000000'], ['25', 'GB-Mo', '0.2500000000']]);
    expect(table.ebsGp3ThroughputMbpsMonth).toBe(0.04);
    expect(table.dynamodbStandardGbMonth).toBe(0.25);
    expect(onDemandUsd(storage)).toEqual({ usd: 0.25, unit: 'GB-Mo' });
  });

  it('writes the price file, and a later run reads it without calling GetProducts', async () => {
    // Prepare
    const store: { file?: PriceFile } = {};
    const first = book({}, store);
    await first.book.forRegion('eu-central-1');

    // Act
    const second = book({}, store);
    const table = await second.book.forRegion('eu-central-1');

    // Assess
    expect(first.book.calls).toBeGreaterThan(0);
    expect(second.book.calls).toBe(0);
    expect(store.file!.regions['eu-central-1'].publicationDate).toBe('2026-11-30T00:00:00Z');
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.115);
    expect(table.source).toMatchObject({ kind: 'price-list', region: 'eu-central-1' });
  });

  it('asks again when the price file is older than maxAgeDays', async () => {
    // Prepare
    const store: { file?: PriceFile } = {};
    await book({}, store).book.forRegion('eu-west-1');
    store.file!.regions['eu-west-1'].fetchedAt = '2026-10-01T00:00:00Z';

    // Act
    const again = book({}, store, { maxAgeDays: 7 });
    await again.book.forRegion('eu-west-1');

    // Assess
    expect(again.book.calls).toBeGreaterThan(0);
    expect(store.file!.regions['eu-west-1'].fetchedAt).toBe('2026-11-01T00:00:00.000Z');
  });

  it('uses a stale price file when the refresh is denied, and says so', async () => {
    // Prepare
    const store: { file?: PriceFile } = {};
    await book({}, store).book.forRegion('ap-southeast-2');
    store.file!.regions['ap-southeast-2'].fetchedAt = '2026-10-01T00:00:00Z';

    // Act
    const denied = book({ faults: { failWhen: faultRules([{ operation: 'pricing:GetProducts', error: 'denied' }]).failWhen } }, store);
    const table = await denied.book.forRegion('ap-southeast-2');

    // Assess
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.12);
    expect(table.source).toMatchObject({ kind: 'price-list', region: 'ap-southeast-2', reason: 'price file from 2026-10-01; refresh failed: pricing:GetProducts denied' });
  });

  it('falls back to the embedded table when the price list throttles (ThrottlingException), and says so', async () => {
    // Prepare
    const throttled = book({ faults: { failWhen: faultRules([{ operation: 'pricing:GetProducts', error: 'throttled' }]).failWhen } });

    // Act
    const table = await throttled.book.forRegion('eu-west-1');

    // Assess
    expect(throttled.book.calls).toBe(1);
    expect(table.source).toEqual({ kind: 'embedded', region: 'us-east-1', date: '2026-01', scannedRegion: 'eu-west-1', reason: 'the price list throttled the lookup' });
  });

  it('names the Price List InternalErrorException when its server fails, and falls back to the embedded table', async () => {
    // Prepare
    const failing = book({ faults: { failWhen: faultRules([{ operation: 'pricing:GetProducts', error: 'server-error' }]).failWhen } });

    // Act
    const table = await failing.book.forRegion('eu-west-1');

    // Assess
    expect(table.source).toMatchObject({ kind: 'embedded', scannedRegion: 'eu-west-1' });
    expect((table.source as { reason: string }).reason).toMatch(/^the price list lookup failed \(InternalErrorException: /);
  });

  it('answers from the embedded table offline with no price file, naming the region it does not price', async () => {
    // Prepare
    const { book: prices } = book({}, undefined, { online: false });

    // Act
    const table = await prices.forRegion('eu-central-1');

    // Assess
    expect(prices.calls).toBe(0);
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.096);
    expect(table.source).toEqual({ kind: 'embedded', region: 'us-east-1', date: '2026-01', scannedRegion: 'eu-central-1', reason: 'offline: no price file for the region' });
  });
});

describe('PriceBook reading several products for one price', () => {
  it('keeps the first of two Region products for one key and logs the other, and ignores a Local Zone product', async () => {
    // Prepare: a price list page as AWS can answer a regionCode query: two products for m5.large Linux, and a Local Zone's m5.xlarge.
    const first = toProduct(ec2InstanceKey('m5.large'), 'us-east-1', 0.096);
    const second = toProduct(ec2InstanceKey('m5.large'), 'us-east-1', 0.5);
    second.product.sku = 'SECONDSKU';
    const localZone = toProduct(ec2InstanceKey('m5.xlarge'), 'us-east-1', 0.9);
    localZone.product.attributes = { ...localZone.product.attributes, locationType: 'AWS Local Zone', location: 'US East (Boston)' };
    const page = [first, second, localZone].map((p) => JSON.stringify(p));
    const clients = { withWrites: () => ({ get: () => ({ send: async (c: GetProductsCommand) => ({ FormatVersion: 'aws_v1', PriceList: c.input.Filters?.some((f) => f.Field === 'productFamily' && f.Value === 'Compute Instance') ? page : [] }) }) }) } as unknown as AwsClients;
    const logged: { message: string; data?: Record<string, unknown> }[] = [];
    const prices = new PriceBook({ clients, log: (message, data) => logged.push({ message, data }) });

    // Act
    const table = await prices.forRegion('us-east-1');

    // Assess
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.096);
    expect(table.ec2OnDemandHourly['m5.xlarge']).toBeUndefined();
    expect(logged).toEqual([{ message: 'price list: several products for one price', data: { region: 'us-east-1', conflicts: ['ec2OnDemandHourly.m5.large: 0.096 kept, 0.5 (sku SECONDSKU) ignored'], count: 1 } }]);
  });
});

describe('PriceBook memory', () => {
  it('asks once per region while it is held, and again after memoryHours (a warm Lambda container)', async () => {
    // Prepare
    const sandbox = emptySandbox({ pageCap: undefined });
    const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false });
    const prices = new PriceBook({ clients, now: () => sandbox.now(), memoryHours: 6 });
    await prices.forRegion('us-east-1');
    const once = prices.calls;

    // Act
    await prices.forRegion('us-east-1');
    const held = prices.calls;
    (sandbox.clock as unknown as { advance(ms: number): void }).advance(7 * 3_600_000);
    await prices.forRegion('us-east-1');

    // Assess
    expect(once).toBeGreaterThan(0);
    expect(held).toBe(once);
    expect(prices.calls).toBe(2 * once);
  });
});

describe('ElastiCache Valkey from the price list', () => {
  it('prices a Valkey node at the price list\'s Valkey rate for its region, not the Redis rate', async () => {
    // Prepare
    const { nodeHourly } = await import('../../../lib/resources/elasticache-cluster/detectors.ts');
    const { book: prices } = book();

    // Act
    const table = await prices.forRegion('eu-central-1');

    // Assess: cache.m5.large Redis $0.156 × 0.187/0.156 (eu-central-1) = $0.187; Valkey 20 % less.
    expect(nodeHourly('cache.m5.large', 'redis', table)).toBe(0.187);
    expect(table.elasticacheNodeHourly['valkey:cache.m5.large']).toBe(0.1496);
    expect(nodeHourly('cache.m5.large', 'valkey', table)).toBe(0.1496);
  });
});
