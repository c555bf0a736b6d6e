/** The deployed checkpoint store (lib/audit/checkpoints.ts): detector state in the audit table, in chunks, checked on read. */
import { createHash } from 'node:crypto';
import { BatchWriteItemCommand, DeleteItemCommand, DynamoDBClient, QueryCommand, type BatchWriteItemCommandInput } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { byteChunks, DynamoCheckpointStore, MAX_WRITE_ATTEMPTS, SHARDS } from '../../../lib/audit/checkpoints.ts';
import { ensureSandboxAuditTables } from '../../../lib/audit/sandbox-tables.ts';
import type { AwsClients } from '../../../lib/aws/clients.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const TABLE = 'trimtab-test-audit';
const NOW = new Date('2026-11-01T00:00:00Z');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** 40 lines of JSON with multi-byte characters: about 3 KB, some 50 chunks of 64 bytes (two BatchWriteItem calls). */
const LINES = Array.from({ length: 40 }, (_, i) => `${JSON.stringify({ p: 'many', k: `vol-${i}`, a: [`snap-${i}`, 'Zürich €', '日本'] })}\n`);
const TEXT = LINES.join('');

function setup(chunkBytes = 64) {
  const sandbox = emptySandbox({ clock: () => NOW });
  ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { auditTable: TABLE, idempotencyTable: 'trimtab-test-idempotency', ttlAttribute: 'expiresAt' });
  const clients = envFor(sandbox, ['us-east-1']).clients.withWrites(true);
  const store = new DynamoCheckpointStore({ tableName: TABLE, region: 'us-east-1', clients, now: () => NOW, chunkBytes });
  const client = clients.get(DynamoDBClient, 'us-east-1');
  // Every shard's chunks, in chunk order.
  const items = async (hash: string) => {
    const shards = await Promise.all(Array.from({ length: SHARDS }, async (_, shard) => (await client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `CHECKPOINT#${hash}#${shard}` } } }))).Items ?? []));
    return shards.flat().sort((a, b) => a.sk.S!.localeCompare(b.sk.S!));
  };
  return { sandbox, store, client, items };
}

describe('the checkpoint store in the audit table', () => {
  it('writes a state in chunks of at most the byte limit, 25 a call, and reads back the same text', async () => {
    // Prepare
    const { sandbox, store, items } = setup();
    const hash = sha256(TEXT);

    // Act
    await store.put(hash, LINES.values());
    const back = await store.get(hash);

    // Assess: every chunk within 64 UTF-8 bytes, in order, the last one marked, with a two-day TTL.
    const stored = await items(hash);
    expect(stored.length).toBe(Math.ceil(Buffer.byteLength(TEXT) / 64));
    expect(stored.length).toBeGreaterThan(25);
    expect(stored.every((i) => Buffer.byteLength(i.text.S!) <= 64)).toBe(true);
    // Chunk i under partition key CHECKPOINT#<hash>#<i mod 8>.
    expect(stored.slice(0, 9).map((i) => i.pk.S)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0].map((shard) => `CHECKPOINT#${hash}#${shard}`));
    expect(stored.map((i) => i.last.BOOL)).toEqual([...Array(stored.length - 1).fill(false), true]);
    expect(stored[0].expiresAt.N).toBe(String(NOW.getTime() / 1000 + 2 * 86_400));
    expect(back).toBe(TEXT);
    expect(sandbox.callsByOperation()['dynamodb:BatchWriteItem']).toBe(Math.ceil(stored.length / 25));
    expect(store.calls.chunks).toBe(stored.length);
  });

  it('refuses a state with a chunk missing in the middle or at the end, naming the hash', async () => {
    // Prepare
    const { store, client, items } = setup();
    const hash = sha256(TEXT);
    await store.put(hash, LINES.values());
    const stored = await items(hash);
    const lastIndex = stored.length - 1;
    const remove = (index: number) => client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: stored[index].pk, sk: stored[index].sk } }));

    // Act
    await remove(lastIndex);
    const noLast = store.get(hash).catch((e: Error) => e.message);
    await remove(1);
    const noSecond = store.get(hash).catch((e: Error) => e.message);

    // Assess
    expect(await noLast).toBe(`The checkpoint state ${hash} in the audit table is not usable: its last chunk is missing (after chunk ${lastIndex - 1}); the unit was not resumed.`);
    expect(await noSecond).toBe(`The checkpoint state ${hash} in the audit table is not usable: chunk 1 is missing; the unit was not resumed.`);
  });

  it('answers undefined for a hash it holds nothing under, and refuses a key that is not a SHA-256', async () => {
    // Prepare
    const { store } = setup();

    // Act
    const absent = await store.get(sha256('never written'));
    const bad = store.get('../etc/passwd');

    // Assess
    expect(absent).toBeUndefined();
    await expect(bad).rejects.toThrow('A checkpoint state key must be a SHA-256 in hex; got "../etc/passwd".');
  });

  it('sends the items DynamoDB left unprocessed again, with growing waits', async () => {
    // Prepare: AWS leaves the last two items of every call unprocessed twice, then takes them.
    const sent: number[] = [];
    let refusals = 2;
    const send = async (command: BatchWriteItemCommand) => {
      const requests = (command.input as BatchWriteItemCommandInput).RequestItems![TABLE];
      sent.push(requests.length);
      if (refusals > 0 && requests.length >= 2) {
        refusals -= 1;
        return { UnprocessedItems: { [TABLE]: requests.slice(-2) } };
      }
      return { UnprocessedItems: {} };
    };
    const waits: number[] = [];
    const clients = { get: () => ({ send }) } as unknown as AwsClients;
    const store = new DynamoCheckpointStore({ tableName: TABLE, region: 'us-east-1', clients, chunkBytes: 1000, sleep: async (ms) => void waits.push(ms) });

    // Act: three chunks of 1000 bytes.
    await store.put(sha256('x'.repeat(3000)), ['x'.repeat(3000)]);

    // Assess
    expect(sent).toEqual([3, 2, 2]);
    expect(waits).toEqual([50, 100]);
    expect(store.calls.chunks).toBe(3);
  });

  it('fails the write naming the hash when DynamoDB keeps items unprocessed', async () => {
    // Prepare: every call leaves everything unprocessed (throttled).
    let calls = 0;
    const send = async (command: BatchWriteItemCommand) => {
      calls += 1;
      return { UnprocessedItems: { [TABLE]: (command.input as BatchWriteItemCommandInput).RequestItems![TABLE] } };
    };
    const clients = { get: () => ({ send }) } as unknown as AwsClients;
    const store = new DynamoCheckpointStore({ tableName: TABLE, region: 'us-east-1', clients, sleep: async () => {} });
    const hash = sha256('state');

    // Act
    const write = store.put(hash, ['state']);

    // Assess
    await expect(write).rejects.toThrow(`The checkpoint state ${hash} could not be written: 1 chunk(s) still unprocessed by DynamoDB after ${MAX_WRITE_ATTEMPTS} BatchWriteItem calls (throttled).`);
    expect(calls).toBe(MAX_WRITE_ATTEMPTS);
  });

  it('cuts text at character boundaries, never inside a multi-byte character', () => {
    // Prepare: 'é' is two bytes, '€' three.
    const pieces = ['aé€', 'é€b', '€€€'];

    // Act
    const chunks = [...byteChunks(pieces, 4)];

    // Assess
    expect(chunks.join('')).toBe(pieces.join(''));
    expect(chunks.map((c) => Buffer.byteLength(c))).toEqual([3, 3, 2, 4, 3, 3, 3]);
  });

  it('is answered by the sandbox as AWS answers a batch of 26 items and an item over 400 KB (the limits the chunks stay under)', async () => {
    // Prepare
    const { client } = setup();
    const put = (sk: string, text: string) => ({ PutRequest: { Item: { pk: { S: 'CHECKPOINT#limits' }, sk: { S: sk }, text: { S: text } } } });

    // Act
    const tooMany = client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: Array.from({ length: 26 }, (_, i) => put(`CHUNK#${i}`, 'x')) } })).catch((e: Error) => `${e.name}: ${e.message}`);
    const tooLarge = client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: [put('CHUNK#0', 'x'.repeat(400 * 1024))] } })).catch((e: Error) => `${e.name}: ${e.message}`);
    const largest = await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: Array.from({ length: 25 }, (_, i) => put(`CHUNK#${i}`, 'x'.repeat(350_000))) } }));

    // Assess
    expect(await tooMany).toMatch(/^ValidationException: .*length less than or equal to 25/);
    expect(await tooLarge).toMatch(/^ValidationException: Item size has exceeded the maximum allowed size/);
    expect(largest.UnprocessedItems).toEqual({});
  });

  it('reads a state larger than one Query page (1 MB) across the pages, in order', async () => {
    // Prepare: about 6 MB of text in lines of 10 KB: 18 chunks of at most 350,000 bytes, so shard 0 holds three (chunks 0, 8, 16: over 1 MB).
    const { store } = setup(350_000);
    const lines = Array.from({ length: 600 }, (_, i) => `${createHash('sha256').update(String(i)).digest('hex').repeat(156)}\n`);
    const hash = sha256(lines.join(''));
    await store.put(hash, lines.values());

    // Act
    const back = await store.get(hash);

    // Assess: one Query per shard and at least one more page; the same text.
    expect(store.calls.chunks).toBe(18);
    expect(store.calls.query).toBeGreaterThan(SHARDS);
    expect(back).toBe(lines.join(''));
  });
});
