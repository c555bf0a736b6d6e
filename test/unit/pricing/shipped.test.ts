/**
 * The price file shipped with the stack (lib/pricing/shipped.ts): `prices/prices.json` in every
 * function zip, read by the Lambda PriceBook after the stack's cache and before the embedded
 * table, refused whole when malformed or absurd.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ensureSandboxAuditTables } from '../../../lib/audit/sandbox-tables.ts';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { DynamoPriceCache } from '../../../lib/pricing/cache.ts';
import { PriceBook, type PriceFile } from '../../../lib/pricing/lookup.ts';
import { SHIPPED_PRICE_FILE, parseShippedPrices, shippedPriceReader } from '../../../lib/pricing/shipped.ts';
import { faultRules } from '../../../lib/sandbox/faults.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox } from '../../helpers.ts';

const TABLE = 'trimtab-test-audit';
const DAY = 86_400_000;

function setup() {
  let now = new Date('2026-12-07T06:00:00Z');
  const sandbox = emptySandbox({ pageCap: undefined, clock: () => now });
  ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { auditTable: TABLE, ttlAttribute: 'expiresAt' });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  const logs: { message: string; data?: Record<string, unknown> }[] = [];
  const log = (message: string, data?: Record<string, unknown>) => logs.push({ message, data });
  const cache = new DynamoPriceCache({ tableName: TABLE, region: 'us-east-1', clients: clients.withWrites(true), now: () => now, log });
  const run = (shipped?: () => PriceFile | undefined) => new PriceBook({ clients, cache, now: () => now, log, ...(shipped ? { shipped } : {}) });
  const deny = () => {
    sandbox.faults.failWhen = faultRules([{ operation: 'pricing:GetProducts', error: 'denied' }]).failWhen;
  };
  return { sandbox, run, deny, logs, advance: (ms: number) => { now = new Date(now.getTime() + ms); } };
}

/** A shipped file as `trimtab prices refresh --file prices/prices.json` writes it (here for eu-central-1, 2026-12-01). */
function shippedFile(prices: Record<string, number> = { 'ec2OnDemandHourly.m5.large': 0.115, natGatewayHour: 0.052 }): PriceFile {
  return { version: 1, source: 'AWS Price List Query API (GetProducts)', regions: { 'eu-central-1': { publicationDate: '2026-11-30T00:00:00Z', fetchedAt: '2026-12-01T09:00:00.000Z', prices } } };
}

function shipToDir(text: string): string {
  const root = mkdtempSync(join(tmpdir(), 'trimtab-shipped-'));
  mkdirSync(join(root, 'prices'));
  writeFileSync(join(root, SHIPPED_PRICE_FILE), text);
  return root;
}

describe('the shipped price file, read by the Lambda PriceBook', () => {
  it('prices a region from the shipped file when GetProducts is denied and the stack holds no set, and the basis names the file', async () => {
    // Prepare
    const s = setup();
    s.deny();
    const root = shipToDir(JSON.stringify(shippedFile()));
    const book = s.run(shippedPriceReader({ root, now: () => new Date('2026-12-07T06:00:00Z') }));

    // Act
    const table = await book.forRegion('eu-central-1');

    // Assess
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.115);
    expect(table.natGatewayHour).toBe(0.052);
    expect(table.source).toMatchObject({ kind: 'price-list', region: 'eu-central-1', date: '2026-11-30T00:00:00Z', reason: 'price file shipped 2026-12-01; pricing:GetProducts denied' });
  });

  it('prefers the stack\'s stored sets, even stale, over the shipped file', async () => {
    // Prepare: the stack stored eu-central-1's sets, they went stale, then the price list was denied.
    const s = setup();
    await s.run().forRegion('eu-central-1');
    s.advance(8 * DAY);
    s.deny();
    const book = s.run(() => shippedFile({ 'ec2OnDemandHourly.m5.large': 0.2 }));

    // Act
    const table = await book.forRegion('eu-central-1');

    // Assess: the stored (sandbox list) price, not the shipped one.
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.115);
    expect(table.source!.reason).toBe('stored prices from 2026-12-07; refresh failed: pricing:GetProducts denied');
  });

  it('prefers the price list over the shipped file when GetProducts answers', async () => {
    // Prepare
    const s = setup();
    const book = s.run(() => shippedFile({ 'ec2OnDemandHourly.m5.large': 0.2 }));

    // Act
    const table = await book.forRegion('eu-central-1');

    // Assess
    expect(table.ec2OnDemandHourly['m5.large']).toBe(0.115);
    expect(table.source!.reason).toBeUndefined();
    expect(book.calls).toBeGreaterThan(0);
  });

  it('uses the embedded table, saying why, for a region the shipped file does not hold', async () => {
    // Prepare
    const s = setup();
    s.deny();
    const book = s.run(() => shippedFile());

    // Act
    const table = await book.forRegion('ap-southeast-2');

    // Assess
    expect(table.source).toEqual({ kind: 'embedded', region: 'us-east-1', date: '2026-01', scannedRegion: 'ap-southeast-2', reason: 'pricing:GetProducts denied' });
  });

  it('refuses a shipped file with an absurd price: the whole file is ignored with a warning and the embedded table is used', async () => {
    // Prepare: one price 1000× the embedded m5.large rate.
    const s = setup();
    s.deny();
    const root = shipToDir(JSON.stringify(shippedFile({ 'ec2OnDemandHourly.m5.large': 96, natGatewayHour: 0.052 })));
    const book = s.run(shippedPriceReader({ root, log: (message, data) => s.logs.push({ message, data }) }));

    // Act
    const table = await book.forRegion('eu-central-1');

    // Assess
    expect(table.source).toMatchObject({ kind: 'embedded', scannedRegion: 'eu-central-1', reason: 'pricing:GetProducts denied' });
    expect(table.natGatewayHour).toBe(0.045);
    const warning = s.logs.find((l) => l.message === 'shipped price file refused: the embedded table is used instead')!;
    expect(warning.data).toEqual({ file: 'prices/prices.json', problem: 'regions.eu-central-1.prices.ec2OnDemandHourly.m5.large: ec2OnDemandHourly.m5.large = $96: more than 50× from the embedded $0.096' });
  });
});

describe('parseShippedPrices', () => {
  it('refuses a file that is not JSON, of another version, with an unknown price path, a negative price, a bad region or a future fetch date', () => {
    // Prepare
    const now = new Date('2026-12-07T06:00:00Z');
    const base = shippedFile();
    const cases: [string, string][] = [
      ['{ not json', 'not JSON'],
      [JSON.stringify({ ...base, version: 2 }), 'version: Invalid input: expected 1'],
      [JSON.stringify(shippedFile({ 'ec2OnDemandHourly.m5.large': 0.115, 'rm -rf': 1 })), 'rm -rf is not a price trimtab knows'],
      [JSON.stringify(shippedFile({ natGatewayHour: -1 })), 'natGatewayHour = -1: not a price'],
      [JSON.stringify({ ...base, regions: { 'eu central': base.regions['eu-central-1'] } }), 'Invalid key in record'],
      [JSON.stringify({ ...base, regions: { 'eu-central-1': { ...base.regions['eu-central-1'], fetchedAt: '2027-06-01T00:00:00Z' } } }), 'fetched in the future'],
      [JSON.stringify({ ...base, regions: {} }), 'no regions'],
    ];

    // Act
    const problems = cases.map(([text]) => {
      const parsed = parseShippedPrices(text, now);
      return 'problem' in parsed ? parsed.problem : 'accepted';
    });

    // Assess
    cases.forEach(([, want], i) => expect(problems[i]).toContain(want));
  });

  it('accepts the file trimtab prices refresh writes', () => {
    // Prepare
    const text = JSON.stringify(shippedFile(), null, 1);

    // Act
    const parsed = parseShippedPrices(text, new Date('2026-12-07T06:00:00Z'));

    // Assess
    expect(parsed).toEqual({ file: shippedFile() });
  });
});

describe('packaging the shipped price file', () => {
  it('lists prices/prices.json in serverless.yml package patterns, so osls package ships it when present', () => {
    // Prepare
    const config = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'error' }) as { package: { patterns: string[] } };

    // Act
    const patterns = config.package.patterns;

    // Assess
    expect(patterns).toContain(SHIPPED_PRICE_FILE);
  });
});
