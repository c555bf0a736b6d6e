/** Small async helpers used by the engine and the resource modules. */

/** Group an async stream into arrays of at most `size` (the last may be shorter). */
export async function* chunked<T>(source: AsyncIterable<T[]> | AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let buffer: T[] = [];
  for await (const item of source as AsyncIterable<T | T[]>) {
    if (Array.isArray(item)) buffer.push(...item);
    else buffer.push(item);
    while (buffer.length >= size) {
      yield buffer.slice(0, size);
      buffer = buffer.slice(size);
    }
  }
  if (buffer.length > 0) yield buffer;
}

/** Map with bounded concurrency, keeping input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Split an array into arrays of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
