import { describe, expect, it } from 'vitest';
import { GetProductsCommand, ListPriceListsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { publishPriceList } from '../../../lib/sandbox/services/pricing.ts';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { faultRules } from '../../../lib/sandbox/faults.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox } from '../../helpers.ts';
import type { TestSandboxOptions } from '../../helpers.ts';

function pricing(region = 'us-east-1', options: TestSandboxOptions = {}) {
  const sandbox = emptySandbox({ pageCap: undefined, ...options });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  return { sandbox, client: clients.get(PricingClient, region) };
}

const m5Large = (region: string) => [
  { Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: region },
  { Type: 'TERM_MATCH' as const, Field: 'instanceType', Value: 'm5.large' },
  { Type: 'TERM_MATCH' as const, Field: 'operatingSystem', Value: 'Linux' },
  { Type: 'TERM_MATCH' as const, Field: 'tenancy', Value: 'Shared' },
];

const usdOf = (json: string) => {
  const product = JSON.parse(json);
  const term = Object.values(product.terms.OnDemand)[0] as any;
  return Number((Object.values(term.priceDimensions)[0] as any).pricePerUnit.USD);
};

describe('sandbox Price List Query API (GetProducts)', () => {
  it('answers a product in the price list file shape, a JSON string per product, for the region asked', async () => {
    // Prepare
    const { client } = pricing();

    // Act
    const out = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: m5Large('eu-central-1') }));

    // Assess
    expect(out.FormatVersion).toBe('aws_v1');
    expect(out.PriceList).toHaveLength(1);
    // On the wire a JSON string; the SDK hands it over as a LazyJsonString (a String).
    expect(String(out.PriceList![0]).startsWith('{"product":')).toBe(true);
    const product = JSON.parse(String(out.PriceList![0]));
    expect(product.product.attributes).toMatchObject({ instanceType: 'm5.large', operatingSystem: 'Linux', regionCode: 'eu-central-1', location: 'EU (Frankfurt)' });
    const [termCode, term] = Object.entries(product.terms.OnDemand)[0] as [string, any];
    expect(termCode).toBe(`${product.product.sku}.JRTCKXETXF`);
    const [rateCode, dimension] = Object.entries(term.priceDimensions)[0] as [string, any];
    expect(rateCode).toBe(`${termCode}.6YS6EN2CT7`);
    expect(dimension).toMatchObject({ unit: 'Hrs', pricePerUnit: { USD: '0.1150000000' } });
  });

  it('pages with NextToken and MaxResults, every product once', async () => {
    // Prepare
    const { client } = pricing();
    const filters = [
      { Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: 'us-east-1' },
      { Type: 'TERM_MATCH' as const, Field: 'productFamily', Value: 'Storage' },
    ];

    // Act
    const skus: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: filters, MaxResults: 3, NextToken: token }));
      skus.push(...out.PriceList!.map((p: unknown) => JSON.parse(String(p)).product.sku));
      token = out.NextToken;
      pages += 1;
    } while (token);

    // Assess: seven EBS volume types, three a page.
    expect(skus).toHaveLength(7);
    expect(new Set(skus).size).toBe(7);
    expect(pages).toBe(3);
  });

  it('answers ANY_OF, NONE_OF and CONTAINS filters', async () => {
    // Prepare
    const { client } = pricing();
    const base = [{ Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: 'us-east-1' }, { Type: 'TERM_MATCH' as const, Field: 'productFamily', Value: 'Storage' }];

    // Act
    const anyOf = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [...base, { Type: 'ANY_OF', Field: 'volumeApiName', Value: 'gp2,gp3' }] }));
    const noneOf = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [...base, { Type: 'NONE_OF', Field: 'volumeApiName', Value: 'gp2,gp3' }] }));
    const contains = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [...base, { Type: 'CONTAINS', Field: 'volumeApiName', Value: 'io' }] }));

    // Assess
    const names = (out: { PriceList?: unknown[] }) => out.PriceList!.map((p) => JSON.parse(p as string).product.attributes.volumeApiName).sort();
    expect(names(anyOf)).toEqual(['gp2', 'gp3']);
    expect(names(noneOf)).toEqual(['io1', 'io2', 'sc1', 'st1', 'standard']);
    expect(names(contains)).toEqual(['io1', 'io2']);
  });

  it('answers InvalidParameterException for MaxResults over 100 and an unknown filter type', async () => {
    // Prepare
    const { client } = pricing();

    // Act
    const tooMany = client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', MaxResults: 101 }));
    const badType = client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [{ Type: 'LIKE' as 'EQUALS', Field: 'instanceType', Value: 'm5.large' }] }));

    // Assess
    await expect(tooMany).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(badType).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('answers ExpiredNextTokenException for a token older than its lifetime and InvalidNextTokenException for another query', async () => {
    // Prepare
    const { client, sandbox } = pricing();
    const filters = [{ Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: 'us-east-1' }, { Type: 'TERM_MATCH' as const, Field: 'productFamily', Value: 'Storage' }];
    const first = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: filters, MaxResults: 2 }));

    // Act
    const other = client.send(new GetProductsCommand({ ServiceCode: 'AmazonS3', NextToken: first.NextToken }));
    (sandbox.clock as unknown as { advance(ms: number): void }).advance(16 * 60_000);
    const expired = client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: filters, MaxResults: 2, NextToken: first.NextToken }));

    // Assess
    await expect(other).rejects.toMatchObject({ name: 'InvalidNextTokenException' });
    await expect(expired).rejects.toMatchObject({ name: 'ExpiredNextTokenException' });
  });

  it('has no endpoint in eu-west-1: the client region must be one of the Price List API regions', async () => {
    // Prepare
    const { client } = pricing('eu-west-1');

    // Act
    const call = client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: m5Large('eu-west-1') }));

    // Assess
    await expect(call).rejects.toThrow('getaddrinfo ENOTFOUND api.pricing.eu-west-1.amazonaws.com');
  });

  it('answers AccessDeniedException when pricing:GetProducts is denied', async () => {
    // Prepare
    const { client } = pricing('us-east-1', { faults: { failWhen: faultRules([{ operation: 'pricing:GetProducts', error: 'denied' }]).failWhen } });

    // Act
    const call = client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: m5Large('us-east-1') }));

    // Assess
    await expect(call).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('pricing:GetProducts') });
  });

  it('prices the same product differently per region, from the one table', async () => {
    // Prepare
    const { client } = pricing();

    // Act
    const prices: Record<string, number> = {};
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
      const out = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: m5Large(region) }));
      prices[region] = usdOf(out.PriceList![0] as string);
    }

    // Assess
    expect(prices).toEqual({ 'us-east-1': 0.096, 'eu-west-1': 0.107, 'ap-southeast-2': 0.12 });
  });
});

describe('sandbox Price List Bulk API (ListPriceLists)', () => {
  it('lists one price list reference per region, its version in the PriceListArn, and the newer one after AWS publishes it', async () => {
    // Prepare
    const { sandbox, client } = pricing();
    const ask = (RegionCode?: string) => client.send(new ListPriceListsCommand({ ServiceCode: 'AmazonEC2', CurrencyCode: 'USD', EffectiveDate: new Date('2026-12-07T00:00:00Z'), ...(RegionCode ? { RegionCode } : {}) }));

    // Act
    const all = await ask();
    const one = await ask('eu-west-1');
    publishPriceList(sandbox, 'AmazonEC2', '2026-12-05T10:20:30Z');
    const after = await ask('eu-west-1');

    // Assess
    expect(all.PriceLists!.map((p) => p.RegionCode)).toEqual(['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-south-1']);
    expect(one.PriceLists).toEqual([{ PriceListArn: 'arn:aws:pricing:::price-list/aws/AmazonEC2/USD/20261130000000/eu-west-1', RegionCode: 'eu-west-1', CurrencyCode: 'USD', FileFormats: ['json', 'csv'] }]);
    expect(after.PriceLists![0].PriceListArn).toBe('arn:aws:pricing:::price-list/aws/AmazonEC2/USD/20261205102030/eu-west-1');
  });

  it('answers GetProducts with the republished version\'s publicationDate, for that service only', async () => {
    // Prepare
    const { sandbox, client } = pricing();
    publishPriceList(sandbox, 'AmazonEC2', '2026-12-05T10:20:30Z');

    // Act
    const ec2 = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: m5Large('eu-west-1') }));
    const rds = await client.send(new GetProductsCommand({ ServiceCode: 'AmazonRDS', MaxResults: 1, Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-west-1' }] }));

    // Assess
    expect(JSON.parse(String(ec2.PriceList![0])).publicationDate).toBe('2026-12-05T10:20:30Z');
    expect(usdOf(String(ec2.PriceList![0]))).toBe(0.107);
    expect(JSON.parse(String(rds.PriceList![0])).publicationDate).toBe('2026-11-30T00:00:00Z');
  });

  it('refuses ListPriceLists without a CurrencyCode or with MaxResults above 100 (InvalidParameterException), and an unknown service (NotFoundException)', async () => {
    // Prepare
    const { client } = pricing();
    const base = { ServiceCode: 'AmazonEC2', CurrencyCode: 'USD', EffectiveDate: new Date('2026-12-07T00:00:00Z') };

    // Act
    const errors = await Promise.all(
      [{ ...base, CurrencyCode: 'usd' }, { ...base, MaxResults: 101 }, { ...base, ServiceCode: 'AmazonNothing' }].map((input) => client.send(new ListPriceListsCommand(input)).then(() => 'answered', (e: Error) => e.name)),
    );

    // Assess
    expect(errors).toEqual(['InvalidParameterException', 'InvalidParameterException', 'NotFoundException']);
  });

  it('answers ListPriceLists AccessDeniedException when the role lacks pricing:ListPriceLists', async () => {
    // Prepare
    const { client } = pricing('us-east-1', { faults: { failWhen: faultRules([{ operation: 'pricing:ListPriceLists', error: 'denied' }]).failWhen } });

    // Act
    const error = await client.send(new ListPriceListsCommand({ ServiceCode: 'AmazonEC2', CurrencyCode: 'USD', EffectiveDate: new Date() })).catch((e: Error) => e);

    // Assess
    expect((error as Error).name).toBe('AccessDeniedException');
  });
});
