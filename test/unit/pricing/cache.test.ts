/**
 * The price cache in the stack (lib/pricing/cache.ts): price sets per region and product family in
 * the audit table, read before asking the Price List, asked again when stale, validated on read.
 */
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { ensureSandboxAuditTables } from '../../../lib/audit/sandbox-tables.ts';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { DynamoPriceCache, implausiblePrice } from '../../../lib/pricing/cache.ts';
import { PriceBook, familyOf, regionQueries, versionOfArn } from '../../../lib/pricing/lookup.ts';
import { publishPriceList } from '../../../lib/sandbox/services/pricing.ts';
import { faultRules } from '../../../lib/sandbox/faults.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox } from '../../helpers.ts';

const TABLE = 'trimtab-test-audit';
const DAY = 86_400_000;

function setup() {
  let now = new Date('2026-12-01T06:00:00Z');
  const sandbox = emptySandbox({ pageCap: undefined, clock: () => now });
  ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { auditTable: TABLE, ttlAttribute: 'expiresAt' });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  const logs: { message: string; data?: Record<string, unknown> }[] = [];
  const log = (message: string, data?: Record<string, unknown>) => logs.push({ message, data });
  const cache = new DynamoPriceCache({ tableName: TABLE, region: 'us-east-1', clients: clients.withWrites(true), now: () => now, log });
  /** A new book per run: a cold Lambda container. */
  const run = () => new PriceBook({ clients, cache, now: () => now, log });
  const table = clients.withWrites(true).get(DynamoDBClient, 'us-east-1');
  const items = async (region: string) =>
    ((await table.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `PRICES#${region}` } } }))).Items ?? []).map((i) => unmarshall(i));
  return { sandbox, cache, run, table, items, logs, advance: (ms: number) => { now = new Date(now.getTime() + ms); } };
}

describe('the price cache in the audit table', () => {
  it('stores one price set per product family on the first run, and a later cold start reads them without asking the price list', async () => {
    // Prepare
    const s = setup();
    const first = s.run();

    // Act
    const a = await first.forRegion('eu-west-1');
    s.advance(DAY);
    const second = s.run();
    const b = await second.forRegion('eu-west-1');

    // Assess
    const stored = await s.items('eu-west-1');
    expect(first.calls).toBeGreaterThanOrEqual(regionQueries().length);
    expect(second.calls).toBe(0);
    expect(stored.map((i) => i.sk).filter((sk) => sk !== 'CHECKED').sort()).toEqual(regionQueries().map((q) => `${q.serviceCode}#${q.productFamily}`).sort());
    expect(stored[0]).toMatchObject({ pk: 'PRICES#eu-west-1', kind: 'PRICES', publicationDate: '2026-11-30T00:00:00Z', fetchedAt: '2026-12-01T06:00:00.000Z', expiresAt: Date.parse('2026-12-31T06:00:00Z') / 1000 });
    expect(stored.every((i) => i.byTimePk === undefined && i.byPolicyPk === undefined)).toBe(true);
    expect(b.ec2OnDemandHourly['m5.large']).toBe(0.107);
    expect(b.ec2OnDemandHourly['m5.large']).toBe(a.ec2OnDemandHourly['m5.large']);
    expect(b.source).toEqual(a.source);
  });

  it('asks again only for the families older than maxAgeDays', async () => {
    // Prepare: every family stored 8 days ago except EC2 instances, stored 1 day ago.
    const s = setup();
    const first = s.run();
    await first.forRegion('us-east-1');
    const probe = s.run();
    await probe.fetchFamilies('us-east-1', regionQueries().filter((q) => familyOf(q) === 'AmazonEC2#Compute Instance'));
    s.advance(7 * DAY);
    const fresh = (await s.items('us-east-1')).find((i) => i.sk === 'AmazonEC2#Compute Instance')!;
    await s.table.send(new PutItemCommand({ TableName: TABLE, Item: marshall({ ...fresh, fetchedAt: new Date(Date.parse(fresh.fetchedAt) + 6 * DAY).toISOString() }) }));
    s.advance(DAY);
    const book = s.run();

    // Act
    const table = await book.forRegion('us-east-1');

    // Assess: the EC2 instance family (its pages) is not asked; every other family is.
    expect(probe.calls).toBeGreaterThan(0);
    expect(book.calls).toBe(first.calls - probe.calls);
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.096);
    const after = await s.items('us-east-1');
    expect(after.find((i) => i.sk === 'AmazonEC2#Storage')!.fetchedAt).toBe('2026-12-09T06:00:00.000Z');
    expect(after.find((i) => i.sk === 'AmazonEC2#Compute Instance')!.fetchedAt).toBe('2026-12-07T06:00:00.000Z');
  });

  it('does not trust a tampered price set: a negative or absurd price, or a malformed record, is looked up again with a warning', async () => {
    // Prepare: three stored sets broken three ways.
    const s = setup();
    await s.run().forRegion('us-east-1');
    const stored = await s.items('us-east-1');
    const ec2 = stored.find((i) => i.sk === 'AmazonEC2#Compute Instance')!;
    const nat = stored.find((i) => i.sk === 'AmazonEC2#NAT Gateway')!;
    const s3 = stored.find((i) => i.sk === 'AmazonS3#Storage')!;
    const put = (item: Record<string, unknown>) => s.table.send(new PutItemCommand({ TableName: TABLE, Item: marshall(item) }));
    await put({ ...ec2, prices: JSON.stringify({ ...JSON.parse(ec2.prices), 'ec2OnDemandHourly.m5.large': 9_999 }) });
    await put({ ...nat, prices: JSON.stringify({ natGatewayHour: -0.045 }) });
    await put({ ...s3, prices: '{not json', fetchedAt: 'yesterday' });
    s.advance(DAY);
    const book = s.run();

    // Act
    const table = await book.forRegion('us-east-1');

    // Assess: the three families asked again (EC2 instances take several pages), the right prices used, each refusal logged.
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.096);
    expect(table.natGatewayHour).toBe(0.045);
    expect(table.s3StandardGbMonth).toBe(0.023);
    expect(book.calls).toBeGreaterThanOrEqual(3);
    const warnings = s.logs.filter((l) => l.message.startsWith('price cache: a stored price set is malformed'));
    expect(warnings.map((w) => w.data!.sk).sort()).toEqual(['AmazonEC2#Compute Instance', 'AmazonEC2#NAT Gateway', 'AmazonS3#Storage']);
    expect(JSON.stringify(warnings)).toContain('ec2OnDemandHourly.m5.large = $9999: more than 50× from the embedded $0.096');
    expect(JSON.stringify(warnings)).toContain('natGatewayHour = -0.045: not a price');
    expect((await s.items('us-east-1')).find((i) => i.sk === 'AmazonEC2#NAT Gateway')!.prices).toBe(JSON.stringify({ natGatewayHour: 0.045 }));
  });

  it('does not store a price set too large for one item, says so, and stores the others', async () => {
    // Prepare: one set whose prices JSON is over the 350,000-character limit (DynamoDB items are at most 400 KB).
    const s = setup();
    const big: Record<string, number> = {};
    for (let i = 0; i < 12_000; i++) big[`ec2OnDemandHourly.x${i}.metal-48xl`] = 1.234567;

    // Act
    await s.cache.write('eu-west-1', [
      { family: 'AmazonEC2#Compute Instance', publicationDate: '2026-11-30T00:00:00Z', fetchedAt: '2026-12-01T06:00:00.000Z', prices: big },
      { family: 'AmazonEC2#Storage', publicationDate: '2026-11-30T00:00:00Z', fetchedAt: '2026-12-01T06:00:00.000Z', prices: { ebsGp3GbMonth: 0.088 } },
    ]);

    // Assess
    expect((await s.items('eu-west-1')).map((i) => i.sk)).toEqual(['AmazonEC2#Storage']);
    expect(s.logs.filter((l) => l.message === 'price cache: a price set is too large to store').map((l) => l.data?.family)).toEqual(['AmazonEC2#Compute Instance']);
  });

  it('keeps scanning when the table cannot be read: the price list is asked and the reason logged', async () => {
    // Prepare
    const s = setup();
    s.sandbox.faults.failWhen = faultRules([{ operation: 'dynamodb:Query', error: 'denied' }]).failWhen;
    const book = s.run();

    // Act
    const table = await book.forRegion('us-east-1');

    // Assess
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.096);
    expect(table.source).toMatchObject({ kind: 'price-list', region: 'us-east-1' });
    expect(s.logs.find((l) => l.message === 'price cache not readable: looking prices up')!.data).toMatchObject({ region: 'us-east-1' });
  });

  it('uses the stored sets, saying so, when the price list is denied after they went stale', async () => {
    // Prepare
    const s = setup();
    await s.run().forRegion('eu-west-1');
    s.advance(8 * DAY);
    s.sandbox.faults.failWhen = faultRules([{ operation: 'pricing:GetProducts', error: 'denied' }]).failWhen;

    // Act
    const table = await s.run().forRegion('eu-west-1');

    // Assess
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.107);
    expect(table.source!.reason).toBe('stored prices from 2026-12-01; refresh failed: pricing:GetProducts denied');
  });
});

describe('the price cache refreshed by the price list\'s publication date', () => {
  it('asks again only the families of a service whose price list AWS republished since they were stored, checking once a day', async () => {
    // Prepare: day 0 stores every set; a day later AWS publishes a new EC2 price list.
    const s = setup();
    const first = s.run();
    await first.forRegion('eu-west-1');
    s.advance(DAY);
    publishPriceList(s.sandbox, 'AmazonEC2', '2026-12-02T01:02:03Z');
    const ec2Pages = await (async () => {
      const probe = s.run();
      await probe.fetchFamilies('eu-west-1', regionQueries().filter((q) => q.serviceCode === 'AmazonEC2'));
      return probe.calls;
    })();

    // Act: that day's run, one an hour later, and one the next day.
    const day1 = s.run();
    const table = await day1.forRegion('eu-west-1');
    s.advance(3_600_000);
    const sameDay = s.run();
    await sameDay.forRegion('eu-west-1');
    s.advance(DAY);
    const day2 = s.run();
    await day2.forRegion('eu-west-1');

    // Assess: one ListPriceLists per service code, the EC2 families asked again, the others kept.
    const serviceCodes = new Set(regionQueries().map((q) => q.serviceCode)).size;
    expect(day1.listCalls).toBe(serviceCodes);
    expect(day1.calls).toBe(ec2Pages);
    const stored = await s.items('eu-west-1');
    expect(stored.find((i) => i.sk === 'AmazonEC2#Compute Instance')!.publicationDate).toBe('2026-12-02T01:02:03Z');
    expect(stored.find((i) => i.sk === 'AmazonRDS#Database Storage')!.publicationDate).toBe('2026-11-30T00:00:00Z');
    expect(stored.find((i) => i.sk === 'CHECKED')).toMatchObject({ checkedAt: '2026-12-03T07:00:00.000Z', kind: 'PRICES' });
    expect(table.source!.date).toBe('2026-12-02T01:02:03Z');
    expect(s.logs.find((l) => l.message === 'price list: a newer version is published; asking again')!.data!.families).toEqual(regionQueries().filter((q) => q.serviceCode === 'AmazonEC2').map(familyOf));
    expect([sameDay.listCalls, sameDay.calls]).toEqual([0, 0]);
    expect([day2.listCalls, day2.calls]).toEqual([serviceCodes, 0]);
  });

  it('asks a republished service again at most once a check, and says so, while GetProducts still answers the older version', async () => {
    // Prepare: day 0 stores every set; a day later ListPriceLists names a new EC2 version that GetProducts does not answer yet.
    const s = setup();
    await s.run().forRegion('eu-west-1');
    s.advance(DAY);
    publishPriceList(s.sandbox, 'AmazonEC2', '2026-12-02T01:02:03Z', { queryApiLagging: true });
    const ec2Pages = await (async () => {
      const probe = s.run();
      await probe.fetchFamilies('eu-west-1', regionQueries().filter((q) => q.serviceCode === 'AmazonEC2'));
      return probe.calls;
    })();

    // Act: that day's run, one an hour later, and one the next day.
    const day1 = s.run();
    const table = await day1.forRegion('eu-west-1');
    s.advance(3_600_000);
    const sameDay = s.run();
    await sameDay.forRegion('eu-west-1');
    s.advance(DAY);
    const day2 = s.run();
    await day2.forRegion('eu-west-1');

    // Assess: the EC2 families are asked once a day, not every run; the lag is logged; the prices are the ones answered.
    const ec2Families = regionQueries().filter((q) => q.serviceCode === 'AmazonEC2').map(familyOf);
    expect([day1.calls, sameDay.calls, day2.calls]).toEqual([ec2Pages, 0, ec2Pages]);
    const lagged = s.logs.filter((l) => l.message === 'price list: GetProducts still answers an older version than ListPriceLists names; asked again at the next check');
    expect(lagged.map((l) => l.data!.families)).toEqual([ec2Families, ec2Families]);
    expect(table.source!.date).toBe('2026-11-30T00:00:00Z');
  });

  it('keeps the stored sets by age when ListPriceLists is denied, says why, and does not ask again until the next check', async () => {
    // Prepare
    const s = setup();
    await s.run().forRegion('eu-west-1');
    s.advance(DAY);
    s.sandbox.faults.failWhen = faultRules([{ operation: 'pricing:ListPriceLists', error: 'denied' }]).failWhen;

    // Act
    const denied = s.run();
    const table = await denied.forRegion('eu-west-1');
    s.advance(3_600_000);
    const later = s.run();
    await later.forRegion('eu-west-1');

    // Assess
    expect([denied.listCalls, denied.calls]).toEqual([1, 0]);
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.107);
    expect(s.logs.find((l) => l.message === 'price list version check failed: stored prices kept by age')!.data).toEqual({ region: 'eu-west-1', reason: 'pricing:ListPriceLists denied' });
    expect(later.listCalls).toBe(0);
  });
});

describe('the price cache\'s CHECKED item', () => {
  it('ignores a forged CHECKED item dated in the future, with a warning, and checks the publication date all the same', async () => {
    // Prepare
    const s = setup();
    await s.run().forRegion('eu-west-1');
    await s.table.send(new PutItemCommand({ TableName: TABLE, Item: marshall({ pk: 'PRICES#eu-west-1', sk: 'CHECKED', kind: 'PRICES', checkedAt: '2099-01-01T00:00:00Z' }) }));
    s.advance(DAY);

    // Act
    const book = s.run();
    await book.forRegion('eu-west-1');

    // Assess
    expect(book.listCalls).toBe(new Set(regionQueries().map((q) => q.serviceCode)).size);
    expect(s.logs.find((l) => l.message === 'price cache: the stored version check is malformed and is not used')!.data).toEqual({ region: 'eu-west-1' });
  });
});

describe('versionOfArn', () => {
  it('reads the publication time from a PriceListArn, and nothing from another shape or region', () => {
    // Act
    const read = [
      versionOfArn('arn:aws:pricing:::price-list/aws/AmazonEC2/USD/20220603151047/us-east-1', 'us-east-1'),
      versionOfArn('arn:aws:pricing:::price-list/aws/AmazonEC2/USD/20220603151047/us-east-1', 'eu-west-1'),
      versionOfArn('arn:aws:pricing:::price-list/aws/AmazonEC2/USD/2022-06-03/us-east-1'),
      versionOfArn(undefined),
    ];

    // Assess
    expect(read).toEqual([Date.parse('2022-06-03T15:10:47Z'), undefined, undefined, undefined]);
  });
});

describe('implausiblePrice', () => {
  it('refuses unknown paths, negatives, zeros where the list has a price, and prices 50× off the embedded one', () => {
    expect(implausiblePrice('ec2OnDemandHourly.m5.large', 0.107)).toBeUndefined();
    expect(implausiblePrice('ec2OnDemandHourly.x99.mega', 12)).toBeUndefined();
    expect(implausiblePrice('ec2OnDemandHourly.x99.mega', 20_000)).toBe('ec2OnDemandHourly.x99.mega = $20000: above $10000');
    expect(implausiblePrice('natGatewayHour', 0)).toBe('natGatewayHour = $0: more than 50× from the embedded $0.045');
    expect(implausiblePrice('natGatewayHour', Number.NaN)).toBe('natGatewayHour = NaN: not a price');
    expect(implausiblePrice('ec2OnDemandHourly.m5.large', 0.001)).toBe('ec2OnDemandHourly.m5.large = $0.001: more than 50× from the embedded $0.096');
    expect(implausiblePrice('hoursPerMonth', 730)).toBe('hoursPerMonth is not a price trimtab knows');
    expect(implausiblePrice('__proto__.x', 1)).toBe('__proto__.x is not a price trimtab knows');
  });
});
