/**
 * Prices for the CLI (issue 27): the price book a scan uses (the AWS Price List through
 * GetProducts, cached in a price file in this user's private folder) and the
 * `trimtab prices refresh` command that writes that file.
 *
 * The price file lives in `<tmp>/trimtab-prices-<uid>/` (lib/cli/private-dir.mjs: a folder only
 * this user controls; when it is not private, no file is read or written and every run asks
 * the price list). The sandbox has its own file, so sandbox prices never mix with real ones.
 * A file is input: only finite, non-negative numbers are read from it.
 */
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PriceBook, type PriceFile, type PriceFileStore } from '../pricing/lookup.ts';
import { SHIPPED_PRICE_FILE } from '../pricing/shipped.ts';
import { privateTempDir } from './private-dir.mjs';
import { TrimtabError } from '../util/errors.ts';
import type { CliEnvironment } from './env.ts';

/** The default price file, or undefined when the private folder cannot be used. */
export function defaultPriceFile(sandbox: boolean): string | undefined {
  if (process.env.TRIMTAB_PRICE_FILE) return resolve(process.env.TRIMTAB_PRICE_FILE);
  const { dir, problem } = privateTempDir('trimtab-prices');
  return problem ? undefined : join(dir, sandbox ? 'prices-sandbox.json' : 'prices.json');
}

/** Only well-formed entries of a price file (it is input: another tool or a person may have written it). */
export function sanitizePriceFile(raw: unknown): PriceFile | undefined {
  const file = raw as Partial<PriceFile> | undefined;
  if (!file || file.version !== 1 || typeof file.regions !== 'object' || file.regions === null) return undefined;
  const regions: PriceFile['regions'] = {};
  for (const [region, entry] of Object.entries(file.regions)) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region) || !entry || typeof entry.publicationDate !== 'string' || Number.isNaN(Date.parse(entry.fetchedAt))) continue;
    const prices: Record<string, number> = {};
    for (const [path, usd] of Object.entries(entry.prices ?? {})) if (typeof usd === 'number' && Number.isFinite(usd) && usd >= 0) prices[path] = usd;
    regions[region] = { publicationDate: entry.publicationDate, fetchedAt: entry.fetchedAt, prices };
  }
  return { version: 1, source: 'AWS Price List Query API (GetProducts)', regions };
}

/** `mode`: 0600 in the private folder; a shipped file is 0644 (public list prices, and the Lambda runtime's user must read it from the zip). */
export function priceFileStore(path: string, mode = 0o600): PriceFileStore {
  return {
    read() {
      try {
        return sanitizePriceFile(JSON.parse(readFileSync(path, 'utf8')));
      } catch {
        return undefined;
      }
    },
    write(file) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(file, null, 1)}\n`, { mode });
      renameSync(tmp, path);
    },
  };
}

/** The price book of a CLI run. TRIMTAB_PRICES_OFFLINE=1: never ask the price list. */
export function cliPriceBook(env: Pick<CliEnvironment, 'clients' | 'sandbox'>): PriceBook {
  const file = defaultPriceFile(Boolean(env.sandbox));
  return new PriceBook({
    clients: env.clients,
    ...(file ? { store: priceFileStore(file) } : {}),
    online: process.env.TRIMTAB_PRICES_OFFLINE !== '1',
    ...(env.sandbox ? { now: () => env.sandbox!.now() } : {}),
  });
}

/** `trimtab prices refresh`: ask the price list for each region and write the price file. */
export function registerPricesCommands(program: Command, environment: (options: { sandbox?: boolean; regions?: string[] }) => Promise<CliEnvironment>) {
  const prices = program.command('prices').description('list prices: where savings figures come from (docs/prices.md)');
  prices
    .command('refresh')
    .description('ask the AWS Price List (pricing:GetProducts) for each region and write the price file later runs use')
    .option('--region <region...>', 'regions to price (default: the regions a scan would cover)')
    .option('--file <path>', 'where to write the price file (default: the private per-user folder, or TRIMTAB_PRICE_FILE)')
    .option('--ship', `write ${SHIPPED_PRICE_FILE} in this folder, which \`osls package\` ships to the deployed functions`)
    .option('--sandbox', 'against the sandbox account')
    .action(async (options: { region?: string[]; file?: string; ship?: boolean; sandbox?: boolean }) => {
      const env = await environment({ sandbox: options.sandbox, regions: options.region });
      try {
        if (options.ship && options.file) throw new TrimtabError('Pass --ship or --file, not both.');
        const path = options.ship ? resolve(SHIPPED_PRICE_FILE) : options.file ? resolve(options.file) : defaultPriceFile(Boolean(env.sandbox));
        if (!path) throw new TrimtabError('No private folder for the price file: pass --file <path>.');
        const store = priceFileStore(path, options.ship ? 0o644 : 0o600);
        const book = new PriceBook({ clients: env.clients, ...(env.sandbox ? { now: () => env.sandbox!.now() } : {}) });
        const file: PriceFile = store.read() ?? { version: 1, source: 'AWS Price List Query API (GetProducts)', regions: {} };
        for (const region of options.region ?? env.defaultRegions) {
          const fetched = await book.fetch(region);
          if (Object.keys(fetched.prices).length === 0) throw new TrimtabError(`The price list has no products for ${region}: nothing written.`);
          file.regions[region] = fetched;
          console.log(`${region}: ${Object.keys(fetched.prices).length} prices, price list of ${fetched.publicationDate.slice(0, 10)}`);
        }
        store.write(file);
        console.log(`wrote ${path} (${book.calls} GetProducts calls)`);
      } finally {
        env.close();
      }
    });
}
