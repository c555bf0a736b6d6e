/**
 * The price file shipped with the stack (issue 27): `trimtab prices refresh --file prices/prices.json`
 * writes the regions a user needs into the repository; `osls package` ships it when it is present
 * (serverless.yml package.patterns), at the root of every function zip. The deployed PriceBook reads
 * it as a source after the stack's cache (lib/pricing/cache.ts) and before the embedded table: when
 * GetProducts is denied or unreachable and the stack holds no set for the region, the region is
 * priced from the shipped file and the basis says so ("price file shipped 2026-12-01; ...").
 *
 * The file is input (anyone who can commit to the repository or edit the zip wrote it): it is
 * validated with zod like a stored set (cache.ts `implausiblePrice`: every path a price trimtab
 * knows, every price finite, ≥ 0 and within 1/50..50× of the embedded us-east-1 one), and one bad
 * region or price refuses the whole file, with a warning naming the problem; the run then uses the
 * embedded table and says why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { fetchedAtSchema, implausiblePrice, isoDate } from './cache.ts';
import type { PriceFile } from './lookup.ts';

/** Where the shipped file sits, in the repository and at the root of every function zip. */
export const SHIPPED_PRICE_FILE = 'prices/prices.json';
/** Largest shipped file read (bytes): a few regions' full price lists are well under 2 MB. */
export const MAX_SHIPPED_BYTES = 8_000_000;

/** The shipped file's schema; `now` refuses a file fetched in the future. */
export function shippedFileSchema(now: Date) {
  return z.object({
    version: z.literal(1),
    source: z.string().max(200),
    regions: z
      .record(
        z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'not a region code'),
        z
          .object({
            publicationDate: isoDate,
            fetchedAt: fetchedAtSchema(now),
            prices: z.record(z.string().max(200), z.number()),
          })
          .superRefine((entry, ctx) => {
            for (const [path, usd] of Object.entries(entry.prices)) {
              const why = implausiblePrice(path, usd);
              if (why) {
                ctx.addIssue({ code: 'custom', message: why, path: ['prices', path] });
                return;
              }
            }
          }),
      )
      .refine((r) => Object.keys(r).length > 0, 'no regions'),
  });
}

/** The file, or why it is refused (the whole file: one bad entry and nothing in it is trusted). */
export function parseShippedPrices(text: string, now: Date = new Date()): { file: PriceFile } | { problem: string } {
  if (text.length > MAX_SHIPPED_BYTES) return { problem: `larger than ${MAX_SHIPPED_BYTES} bytes` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message.slice(0, 120)})` };
  }
  const parsed = shippedFileSchema(now).safeParse(raw);
  if (!parsed.success) return { problem: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { file: { version: 1, source: 'AWS Price List Query API (GetProducts)', regions: parsed.data.regions } };
}

/**
 * The shipped file of a deployed function (`LAMBDA_TASK_ROOT/prices/prices.json`), read once.
 * Absent: undefined, silently (shipping one is optional). Refused: undefined, with a warning.
 */
export function shippedPriceReader(options: { root?: string; now?: () => Date; log?: (message: string, data?: Record<string, unknown>) => void } = {}): () => PriceFile | undefined {
  let held: { file?: PriceFile } | undefined;
  return () => {
    if (held) return held.file;
    held = {};
    const root = options.root ?? process.env.LAMBDA_TASK_ROOT;
    if (!root) return undefined;
    const path = join(root, SHIPPED_PRICE_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = parseShippedPrices(text, options.now?.() ?? new Date());
    if ('problem' in parsed) {
      options.log?.('shipped price file refused: the embedded table is used instead', { file: SHIPPED_PRICE_FILE, problem: parsed.problem });
      return undefined;
    }
    held.file = parsed.file;
    return held.file;
  };
}
