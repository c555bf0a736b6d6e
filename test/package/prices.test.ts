/**
 * The price file shipped with the stack (issue 27, lib/pricing/shipped.ts): `osls package` puts the
 * repository's prices/prices.json, when there is one, at the root of every function zip, where the
 * deployed PriceBook reads it (LAMBDA_TASK_ROOT/prices/prices.json).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readZip } from '../../lib/bench/zip.ts';
import { SHIPPED_PRICE_FILE, parseShippedPrices } from '../../lib/pricing/shipped.ts';

const ZIPS = readdirSync('.serverless').filter((f) => f.endsWith('.zip'));

describe('the packaged functions: the shipped price file', () => {
  it('carries the repository\'s prices/prices.json in every function zip when it exists at package time, byte for byte, and none otherwise', () => {
    // Prepare
    const present = existsSync(SHIPPED_PRICE_FILE);

    // Act
    const shipped = ZIPS.map((zip) => readZip(join('.serverless', zip)).find((e) => e.name === SHIPPED_PRICE_FILE)?.read().toString('utf8'));

    // Assess
    expect(ZIPS.length).toBeGreaterThan(0);
    if (present) {
      const text = readFileSync(SHIPPED_PRICE_FILE, 'utf8');
      expect(shipped).toEqual(ZIPS.map(() => text));
      expect('file' in parseShippedPrices(text)).toBe(true);
    } else expect(shipped).toEqual(ZIPS.map(() => undefined));
  });
});
