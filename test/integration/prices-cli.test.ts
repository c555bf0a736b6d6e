import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';
import { parseShippedPrices } from '../../lib/pricing/shipped.ts';

let dir: string;
const trimtab = (args: string[], env: Record<string, string> = {}) => runTrimtab(dir, args, { env });

vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-prices-cli-'));
});

describe('trimtab prices refresh', () => {
  it('writes a price file per region that a later offline scan prices from, naming the price list', async () => {
    // Prepare
    const file = join(dir, 'prices.json');

    // Act
    const refresh = await trimtab(['prices', 'refresh', '--sandbox', '--region', 'us-east-1', 'eu-west-1', '--file', file]);
    const scan = await trimtab(['scan', '--sandbox', '--output', 'json'], { TRIMTAB_PRICE_FILE: file, TRIMTAB_PRICES_OFFLINE: '1' });

    // Assess
    expect(refresh.code).toBe(0);
    expect(refresh.stdout).toContain('eu-west-1:');
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written.regions['eu-west-1'].prices['ec2OnDemandHourly.m5.large']).toBe(0.107);
    expect(written.regions['us-east-1'].prices['ec2OnDemandHourly.m5.large']).toBe(0.096);
    expect(scan.code).toBe(0);
    expect(scan.stdout).toContain('Prices: AWS Price List, us-east-1, 2026-11-30.');
  });

  it('writes prices/prices.json in the current folder with --ship, a file the deployed functions accept', async () => {
    // Act
    const refresh = await runTrimtab(dir, ['prices', 'refresh', '--sandbox', '--region', 'eu-central-1', '--ship'], { cwd: dir });

    // Assess
    expect(refresh.code).toBe(0);
    const parsed = parseShippedPrices(readFileSync(join(dir, 'prices', 'prices.json'), 'utf8'));
    // Readable by others: the Lambda runtime's user reads it from the zip (public list prices, not a secret).
    expect(statSync(join(dir, 'prices', 'prices.json')).mode & 0o044).toBe(0o044);
    expect('file' in parsed && parsed.file.regions['eu-central-1'].prices['ec2OnDemandHourly.m5.large']).toBe(0.115);
  });

  it('scans offline without a price file from the embedded table, and says so', async () => {
    // Act
    const scan = await trimtab(['scan', '--sandbox', '--output', 'json'], { TRIMTAB_PRICE_FILE: join(dir, 'none.json'), TRIMTAB_PRICES_OFFLINE: '1' });

    // Assess
    expect(scan.code).toBe(0);
    expect(scan.stdout).toContain('Prices: embedded table (2026-01), us-east-1 list price (offline: no price file for the region).');
  });
});
