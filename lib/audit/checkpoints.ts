/**
 * The deployed functions' checkpoint store (issue 29 §1): the detector state of a sweep unit split
 * across invocations (lib/engine/checkpoint.ts), kept in the audit table trimtab already writes,
 * with the rights its functions already have (BatchWriteItem and Query on that table; no new IAM,
 * no new resource).
 *
 * The state's text is cut into chunks of at most CHUNK_BYTES (UTF-8; DynamoDB's item limit is
 * 400 KB, attribute names and values included), one item each:
 *
 *   pk `CHECKPOINT#<sha256>#<i mod 8>`   sk `CHUNK#<i: 000000..>`   kind, last (true on the last chunk), text, expiresAt (TTL)
 *
 * (eight partition keys: one key's partition takes about 1 MB of writes a second; SHARDS).
 *
 * - Written with BatchWriteItem, 25 items a call (AWS's limit; 25 × 350 KB stays under its 16 MB
 *   request limit), as the text is produced (a generator, read once): at most one call's chunks are held at once. Items AWS
 *   leaves unprocessed are sent again with exponential backoff; still unprocessed after
 *   MAX_WRITE_ATTEMPTS, the write fails with an error naming the hash.
 * - Read with one paginated, strongly consistent Query per shard, all at once (the previous
 *   invocation wrote it seconds ago) and checked before anything is returned: chunks 0, 1, … in order up to the one marked
 *   last, none after it, and the joined text's SHA-256 equal to the key. Anything else is refused with an error that
 *   names the hash (the engine then reports the unit as failed; it never guesses).
 * - No index attributes (byPolicy/byResource/byTime): no history query ever sees these items.
 * - The TTL drops them CHECKPOINT_TTL_DAYS after they were written (a sweep goes on within
 *   minutes; AWS deletes expired items lazily, so nothing relies on the deletion).
 *
 * Anyone who can write the table can write these items: the hash check is what makes a stored
 * state trustworthy (the checkpoint naming the hash travels through the function's input).
 */
import { BatchWriteItemCommand, DynamoDBClient, paginateQuery, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import type { AwsClients } from '../aws/clients.ts';
import type { CheckpointStore } from '../engine/checkpoint.ts';
import { TrimtabError } from '../util/errors.ts';

/** Bytes of state text per item: DynamoDB's item limit is 400 KB (names and values); the rest of the item is under 200 bytes. */
export const CHUNK_BYTES = 350_000;
/** Items per BatchWriteItem call: AWS's limit. */
export const BATCH_ITEMS = 25;
/** Calls of BatchWriteItem for one batch before its unprocessed items fail the write. */
export const MAX_WRITE_ATTEMPTS = 8;
/** Checkpoint items are dropped by the table's TTL this long after they were written. */
export const CHECKPOINT_TTL_DAYS = 2;

const HASH = /^[0-9a-f]{64}$/;
const SK = /^CHUNK#(\d{6})$/;

/**
 * Partition keys a state's chunks are spread over (chunk i under shard i mod SHARDS): DynamoDB
 * serves one partition key value from one partition, about 1,000 write units (1 MB) a second, so
 * tens of MB under a single key would take tens of seconds to write and be throttled; eight keys
 * take eight times that.
 */
export const SHARDS = 8;
export const checkpointPk = (hash: string, shard: number) => `CHECKPOINT#${hash}#${shard}`;
const chunkSk = (index: number) => `CHUNK#${String(index).padStart(6, '0')}`;

/** The text in pieces of at most `maxBytes` UTF-8 bytes, never cutting a character. */
export function* byteChunks(pieces: Iterable<string>, maxBytes = CHUNK_BYTES): Generator<string> {
  let buffer = '';
  let bytes = 0;
  for (const piece of pieces) {
    buffer += piece;
    bytes += Buffer.byteLength(piece);
    while (bytes > maxBytes) {
      const encoded = Buffer.from(buffer);
      let cut = maxBytes;
      // Back off continuation bytes (10xxxxxx): the cut lands on the first byte of a character.
      while (cut > 0 && (encoded[cut] & 0xc0) === 0x80) cut -= 1;
      yield encoded.subarray(0, cut).toString('utf8');
      buffer = encoded.subarray(cut).toString('utf8');
      bytes = encoded.length - cut;
    }
  }
  if (bytes > 0) yield buffer;
}

export interface DynamoCheckpointStoreOptions {
  tableName: string;
  region: string;
  /** Must allow writes (trimtab's own table), like the audit store's. */
  clients: AwsClients;
  ttlAttribute?: string;
  now?: () => Date;
  /** Bytes of text per item (default CHUNK_BYTES; tests cut small states into several chunks). */
  chunkBytes?: number;
  /** Waits between retries of unprocessed items (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** The audit table as the sweep's checkpoint store (the deployed sweep and organization functions). */
export class DynamoCheckpointStore implements CheckpointStore {
  constructor(private readonly options: DynamoCheckpointStoreOptions) {}

  /** DynamoDB calls made and chunks written (tests, the docs' cost figures). */
  calls = { batchWrite: 0, query: 0, chunks: 0 };

  private get client() {
    return this.options.clients.get(DynamoDBClient, this.options.region);
  }

  async put(key: string, chunks: Iterable<string>): Promise<void> {
    if (!HASH.test(key)) throw new TrimtabError(`A checkpoint state key must be a SHA-256 in hex; got ${JSON.stringify(key.slice(0, 80))}. Nothing was written.`);
    const expires = Math.floor((this.options.now?.() ?? new Date()).getTime() / 1000) + CHECKPOINT_TTL_DAYS * 86_400;
    const ttl = this.options.ttlAttribute ?? 'expiresAt';
    let batch: WriteRequest[] = [];
    let index = 0;
    const add = async (text: string, last: boolean) => {
      batch.push({
        PutRequest: {
          Item: { pk: { S: checkpointPk(key, index % SHARDS) }, sk: { S: chunkSk(index) }, kind: { S: 'CHECKPOINT' }, last: { BOOL: last }, text: { S: text }, [ttl]: { N: String(expires) } },
        },
      });
      index += 1;
      if (batch.length === BATCH_ITEMS || last) {
        await this.writeBatch(key, batch);
        batch = [];
      }
    };
    // One chunk held back: the last one is marked, so a reader knows none is missing at the end.
    let held: string | undefined;
    for (const text of byteChunks(chunks, this.options.chunkBytes ?? CHUNK_BYTES)) {
      if (held !== undefined) await add(held, false);
      held = text;
    }
    await add(held ?? '', true);
  }

  private async writeBatch(key: string, requests: WriteRequest[]) {
    let pending = requests;
    for (let attempt = 1; ; attempt += 1) {
      this.calls.batchWrite += 1;
      const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.options.tableName]: pending } }));
      const left = out.UnprocessedItems?.[this.options.tableName] ?? [];
      this.calls.chunks += pending.length - left.length;
      if (left.length === 0) return;
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new TrimtabError(`The checkpoint state ${key} could not be written: ${left.length} chunk(s) still unprocessed by DynamoDB after ${attempt} BatchWriteItem calls (throttled).`);
      }
      pending = left;
      await (this.options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))))(Math.min(5_000, 50 * 2 ** (attempt - 1)));
    }
  }

  async get(key: string): Promise<string | undefined> {
    if (!HASH.test(key)) throw new TrimtabError(`A checkpoint state key must be a SHA-256 in hex; got ${JSON.stringify(key.slice(0, 80))}.`);
    const refuse = (why: string) => new TrimtabError(`The checkpoint state ${key} in the audit table is not usable: ${why}; the unit was not resumed.`);
    // Every shard's items, read at once (most states fit shard 0: the others answer empty).
    const byIndex = new Map<number, { last: boolean; text: string }>();
    await Promise.all(
      Array.from({ length: SHARDS }, async (_, shard) => {
        const pages = paginateQuery(
          { client: this.client },
          { TableName: this.options.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: checkpointPk(key, shard) } }, ConsistentRead: true },
        );
        for await (const page of pages) {
          this.calls.query += 1;
          for (const item of page.Items ?? []) {
            const index = Number(SK.exec(item.sk?.S ?? '')?.[1] ?? NaN);
            if (!Number.isInteger(index) || index % SHARDS !== shard || typeof item.last?.BOOL !== 'boolean' || typeof item.text?.S !== 'string') throw refuse(`item ${JSON.stringify(item.sk?.S ?? null)} is not a checkpoint chunk`);
            byIndex.set(index, { last: item.last.BOOL, text: item.text.S });
          }
        }
      }),
    );
    if (byIndex.size === 0) return undefined;
    const texts: string[] = [];
    for (let index = 0; ; index += 1) {
      const chunk = byIndex.get(index);
      if (!chunk) throw refuse(texts.length === byIndex.size ? `its last chunk is missing (after chunk ${index - 1})` : `chunk ${index} is missing`);
      texts.push(chunk.text);
      if (chunk.last) break;
    }
    if (texts.length !== byIndex.size) throw refuse(`chunk ${texts.length} follows the last one`);
    const hash = createHash('sha256');
    for (const text of texts) hash.update(text);
    if (hash.digest('hex') !== key) throw refuse('its text does not match the hash');
    return texts.join('');
  }
}
