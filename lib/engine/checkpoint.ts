/**
 * A checkpoint inside one unit (one resource type in one region) of a resumable sweep: a listing
 * that stops after a page and goes on from there in the next invocation (issue 29 §1).
 *
 * - A resource module whose `list` can go on from a cursor (ResourceType.resumable) attaches to
 *   every page it yields where the listing goes on after it (`withCursor`): the AWS NextToken of
 *   the page the next item comes from and how many items of that page were handed out already.
 *   The engine reads it back with `cursorOf` and passes it to `list(…, from)` in the next invocation.
 * - A stateful detector pass (DetectorPass) that can be split says what it holds (`save`); the
 *   next invocation hands that back to `Detector.pass(options, env, saved)`.
 * - The passes' state can be large (one million EBS snapshots: the per-volume windows), so it never
 *   travels in the Step Functions state, nor in the function's input: it goes to trimtab's own
 *   CheckpointStore under the SHA-256 of its text, and the checkpoint names only that hash. The
 *   engine checks the hash of what it reads back, so an input can only name a state trimtab wrote.
 *
 * No imports: resource modules and the engine both use it (no cycle).
 */

/** Where a resumable listing goes on: opaque to the engine, small (an AWS NextToken and an offset). */
export type ListCursor = string;

const CURSOR = Symbol('trimtab.listCursor');

/** Marks a page with where its listing goes on (undefined: the listing ends with this page). */
export function withCursor<T>(page: T[], cursor: ListCursor | undefined): T[] {
  Object.defineProperty(page, CURSOR, { value: cursor ?? null, enumerable: false });
  return page;
}

/** Where the listing goes on after this page: a cursor; null when it ended; undefined for a page without one (a module that cannot resume). */
export function cursorOf(page: unknown[]): ListCursor | null | undefined {
  return (page as unknown as Record<symbol, ListCursor | null | undefined>)[CURSOR];
}

/** A position in a paginated AWS listing: the token of the page to read (null: the first) and the items of it already handed out. */
export interface PagePosition {
  token: string | null;
  skip: number;
  /** The key of the last item of that page already handed out (when the listing has keys): the re-read page may have shifted. */
  last?: string;
}

export const encodePosition = (p: PagePosition): ListCursor => JSON.stringify({ t: p.token, k: p.skip, ...(p.last !== undefined ? { l: p.last } : {}) });

/** Reads a cursor this module wrote; a malformed one is an error naming the problem (it came through the function's input). */
export function decodePosition(cursor: ListCursor): PagePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw new Error(`The listing cursor is not valid: not JSON (${cursor.slice(0, 40)}…).`);
  }
  const { t, k, l } = (parsed ?? {}) as { t?: unknown; k?: unknown; l?: unknown };
  if (!(t === null || (typeof t === 'string' && t.length > 0)) || !Number.isInteger(k) || (k as number) < 0 || (k as number) > 100_000 || !(l === undefined || (typeof l === 'string' && l.length <= 2048))) {
    throw new Error('The listing cursor is not valid: expected {"t": token or null, "k": items to skip}.');
  }
  return { token: t as string | null, skip: k as number, ...(typeof l === 'string' ? { last: l } : {}) };
}

/**
 * A paginated AWS listing regrouped into pages of `size` items (or the pages as AWS gives them:
 * `size` undefined), each marked with its cursor, going on from `from`. `fetch` reads one AWS page.
 */
export async function* resumablePages<T>(
  fetch: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  from: ListCursor | undefined,
  size?: number,
  /**
   * An item's identity (a group name). With it, the cursor also names the last item handed out of the
   * page it stops in, and a resumed listing skips up to that item in the re-read page rather than by
   * count: items created or deleted before it in between would otherwise be handed out twice or never.
   */
  keyOf?: (item: T) => string,
): AsyncGenerator<T[]> {
  const start: PagePosition = from ? decodePosition(from) : { token: null, skip: 0 };
  // Items waiting to be handed out, each with the position it came from.
  let buffer: { item: T; token: string | null; index: number }[] = [];
  let token: string | null = start.token;
  let skip = start.skip;
  let last = start.last;
  let more = true;
  let handedOut: { item: T; token: string | null } | undefined;
  const cursorAfter = (): ListCursor | undefined => {
    if (buffer.length) {
      const before = keyOf && buffer[0].index > 0 && handedOut && handedOut.token === buffer[0].token ? keyOf(handedOut.item) : undefined;
      return encodePosition({ token: buffer[0].token, skip: buffer[0].index, ...(before !== undefined ? { last: before } : {}) });
    }
    return more && token !== null ? encodePosition({ token, skip: 0 }) : undefined;
  };
  while (more) {
    const pageToken = token;
    const { items, next } = await fetch(pageToken ?? undefined);
    if (keyOf && last !== undefined) {
      // The page as it is now: go on after the item handed out last, wherever it moved; gone: by count.
      const at = items.findIndex((item) => keyOf(item) === last);
      if (at >= 0) skip = at + 1;
      last = undefined;
    }
    items.forEach((item, index) => index >= skip && buffer.push({ item, token: pageToken, index }));
    skip = 0;
    token = next ?? null;
    more = Boolean(next);
    const limit = size ?? buffer.length;
    while (buffer.length && buffer.length >= limit) {
      const out = buffer.slice(0, limit);
      buffer = buffer.slice(limit);
      handedOut = out[out.length - 1];
      yield withCursor(
        out.map((b) => b.item),
        cursorAfter(),
      );
    }
  }
  if (buffer.length) {
    const out = buffer.map((b) => b.item);
    buffer = [];
    yield withCursor(out, undefined);
  }
}

/**
 * Where the detector state of a split unit is kept between invocations: trimtab's own store
 * (the audit table for the deployed functions: lib/audit/checkpoints.ts; a file directory for the
 * bench and the CLI, memory in tests). Keys are SHA-256 hex digests of
 * the text.
 */
export interface CheckpointStore {
  /** The text in pieces (lines), so that a state of tens of MB is never one string in memory. */
  put(key: string, chunks: Iterable<string>): Promise<void>;
  get(key: string): Promise<string | undefined>;
  delete?(key: string): Promise<void>;
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly texts = new Map<string, string>();
  async put(key: string, chunks: Iterable<string>) {
    this.texts.set(key, [...chunks].join(''));
  }
  async get(key: string) {
    return this.texts.get(key);
  }
  async delete(key: string) {
    this.texts.delete(key);
  }
}

/** Entries per line of a saved state: a line stays a few hundred KB, whatever the state's size. */
const ENTRIES_PER_LINE = 2000;

type StateLine = { p: string; k?: string; a?: unknown[]; v?: unknown };

/**
 * The passes' states as JSON lines: arrays (and arrays one level down, in an object) are cut into
 * slices of ENTRIES_PER_LINE, so the text is written a line at a time and no string holds it all.
 */
export function* stateLines(states: Record<string, unknown>): Generator<string> {
  const line = (l: StateLine) => `${JSON.stringify(l)}\n`;
  const slices = function* (p: string, k: string | undefined, items: unknown[]) {
    if (items.length === 0) yield line({ p, ...(k !== undefined ? { k } : {}), a: [] });
    for (let i = 0; i < items.length; i += ENTRIES_PER_LINE) yield line({ p, ...(k !== undefined ? { k } : {}), a: items.slice(i, i + ENTRIES_PER_LINE) });
  };
  for (const [p, state] of Object.entries(states)) {
    if (Array.isArray(state)) yield* slices(p, undefined, state);
    else if (state && typeof state === 'object') {
      for (const [k, value] of Object.entries(state)) {
        if (Array.isArray(value)) yield* slices(p, k, value);
        else yield line({ p, k, v: value });
      }
    } else yield line({ p, v: state });
  }
}

/** The states back from stateLines' text (the engine checked its hash first). */
export function statesFromLines(text: string): Record<string, unknown> {
  const states: Record<string, any> = {};
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const l = JSON.parse(text.slice(start, end === -1 ? text.length : end)) as StateLine;
    start = end === -1 ? text.length : end + 1;
    if (typeof l.p !== 'string') throw new Error('A saved detector state line names no policy.');
    if (l.k === undefined) {
      if (l.a) (states[l.p] ??= []).push(...l.a);
      else states[l.p] = l.v;
    } else {
      const holder = (states[l.p] ??= {});
      if (l.a) (holder[l.k] ??= []).push(...l.a);
      else holder[l.k] = l.v;
    }
  }
  return states;
}

/**
 * A Map saved in a split unit's state (ResourceType.savePrepared writes `[...map]`): an array of
 * `[key, value]` pairs with string keys. Checked when read back, before it is trusted.
 */
export function isSavedPairs(value: unknown): value is [string, unknown][] {
  return Array.isArray(value) && value.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string');
}
