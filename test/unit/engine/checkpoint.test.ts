import { describe, expect, it } from 'vitest';
import { cursorOf, decodePosition, resumablePages, stateLines, statesFromLines } from '../../../lib/engine/checkpoint.ts';

/** An AWS-like listing of `n` items, `per` a page, its tokens offsets; counts the pages read. */
function listing(n: number, per: number) {
  const reads: (string | undefined)[] = [];
  const fetch = async (token: string | undefined) => {
    reads.push(token);
    const at = token ? Number(token) : 0;
    const items = Array.from({ length: Math.min(per, n - at) }, (_, i) => at + i);
    return { items, next: at + per < n ? String(at + per) : undefined };
  };
  return { fetch, reads };
}

async function all<T>(pages: AsyncIterable<T[]>) {
  const out: { items: T[]; cursor: string | null | undefined }[] = [];
  for await (const page of pages) out.push({ items: page, cursor: cursorOf(page) });
  return out;
}

describe('resumable listings (lib/engine/checkpoint.ts)', () => {
  it('regroups AWS pages of 100 into pages of 250, each marked with the token and offset the listing goes on from', async () => {
    // Prepare
    const { fetch } = listing(600, 100);

    // Act
    const pages = await all(resumablePages(fetch, undefined, 250));

    // Assess: 250, 250, 100; after the first, the rest of AWS's third page (token 200) from its 51st item.
    expect(pages.map((p) => p.items.length)).toEqual([250, 250, 100]);
    expect(pages.map((p) => p.cursor)).toEqual(['{"t":"200","k":50}', '{"t":"500","k":0}', null]);
  });

  it('goes on from a cursor with exactly the items not yet handed out, none twice', async () => {
    // Prepare: stop after the first page of 250, as an invocation short of time does.
    const first = listing(600, 100);
    const [page1] = await all(resumablePages(first.fetch, undefined, 250));
    const second = listing(600, 100);

    // Act
    const rest = await all(resumablePages(second.fetch, page1.cursor!, 250));

    // Assess: the second invocation reads from AWS's third page on, skips its first 50 items, and ends with the listing.
    expect(second.reads[0]).toBe('200');
    expect([...page1.items, ...rest.flatMap((p) => p.items)]).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('goes on after the last item handed out, by key, when items before it in the re-read page were deleted or created in between', async () => {
    // Prepare: names g000..g599 in AWS pages of 100; the first invocation stops after 250 (in the third page).
    const names = Array.from({ length: 600 }, (_, i) => `g${String(i).padStart(3, '0')}`);
    const named = (list: string[]) => async (token: string | undefined) => {
      const at = token ? Number(token) : 0;
      return { items: list.slice(at, at + 100), next: at + 100 < list.length ? String(at + 100) : undefined };
    };
    const [page1] = await all(resumablePages(named(names), undefined, 250, (n) => n));
    // Between the invocations: two groups of the third page already handed out are deleted, one is created after them.
    const changed = names.filter((n) => n !== 'g210' && n !== 'g220');
    changed.splice(changed.indexOf('g230'), 0, 'g225x');

    // Act
    const rest = await all(resumablePages(named(changed), page1.cursor!, 250, (n) => n));

    // Assess: every group not handed out yet, once; none skipped, none twice.
    expect(page1.cursor).toBe('{"t":"200","k":50,"l":"g249"}');
    const second = rest.flatMap((p) => p.items);
    expect(second[0]).toBe('g250');
    expect(second).toEqual(names.slice(250));
  });

  it('refuses a cursor it did not write, naming what is wrong', () => {
    expect(() => decodePosition('not json')).toThrow('The listing cursor is not valid: not JSON (not json…).');
    expect(() => decodePosition('{"t":"x","k":-1}')).toThrow('The listing cursor is not valid: expected {"t": token or null, "k": items to skip}.');
  });

  it('writes a large detector state as lines of at most 2,000 entries and reads back the same state', () => {
    // Prepare: a pass holding 4,500 windows, one holding an object of arrays (orphaned), one plain value.
    const states = {
      many: Array.from({ length: 4500 }, (_, i) => [`vol-${i}`, [{ id: `snap-${i}`, startTime: i }]]),
      orphans: { seen: [['vol-a', 2]], waiting: [] as unknown[] },
      odd: 7,
    };

    // Act
    const lines = [...stateLines(states)];
    const back = statesFromLines(lines.join(''));

    // Assess
    expect(lines).toHaveLength(3 + 2 + 1);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(back).toEqual(states);
  });
});
