/**
 * Idempotency for the trigger handlers, with Powertools idempotency. In Lambda the records
 * live in the DynamoDB table serverless.yml defines (TRIMTAB_IDEMPOTENCY_TABLE); locally, in
 * tests and with TRIMTAB_SANDBOX=1 they live in memory, in the same Powertools record model,
 * so the code path is the one that runs in Lambda.
 *
 * A Powertools persistence layer takes its expiry from the first config it sees, so there is
 * one layer per expiry (policies with different cooldowns), all sharing one backing store.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { AwsClients } from '../aws/clients.ts';
import { MemoryPersistenceLayer } from '../audit/idempotency.ts';
import { DeferredCompletionLayer, type PendingWrites } from '../audit/pending.ts';

/** Records by idempotency key: what a DynamoDB table holds, for local runs and tests. */
export type MemoryIdempotencyStore = Map<string, IdempotencyRecord>;

/** Hands out one persistence layer per expiry, over one backing store. */
export interface IdempotencyPersistence {
  forExpiry(seconds: number): BasePersistenceLayer;
  /** 'dynamodb:<table>' or 'memory'. */
  describe(): string;
}

export function memoryPersistence(store: MemoryIdempotencyStore = new Map()): IdempotencyPersistence & { store: MemoryIdempotencyStore } {
  const layers = new Map<number, BasePersistenceLayer>();
  return {
    store,
    forExpiry(seconds) {
      let layer = layers.get(seconds);
      if (!layer) layers.set(seconds, (layer = new MemoryPersistenceLayer(store)));
      return layer;
    },
    describe: () => 'memory',
  };
}

/**
 * Records in DynamoDB, written through the one client factory (trimtab's own table: writable). With
 * `pending` (the audit's, lib/audit/pending.ts), completions are sent without waiting and awaited at the
 * end of the invocation; claims are always awaited.
 */
export function dynamoDbPersistence(tableName: string, clients: AwsClients, region = process.env.AWS_REGION ?? 'us-east-1', pending?: PendingWrites): IdempotencyPersistence {
  const layers = new Map<number, BasePersistenceLayer>();
  const client = clients.withWrites(true).get(DynamoDBClient, region);
  return {
    forExpiry(seconds) {
      let layer = layers.get(seconds);
      const options = { tableName, awsSdkV3Client: client };
      if (!layer) layers.set(seconds, (layer = pending ? new DeferredCompletionLayer(options, pending) : new DynamoDBPersistenceLayer(options)));
      return layer;
    },
    describe: () => `dynamodb:${tableName}`,
  };
}

let shared: IdempotencyPersistence | undefined;

/** DynamoDB when the table is configured and not in the sandbox; memory otherwise (per process). */
export function defaultPersistence(clients: AwsClients, pending?: PendingWrites): IdempotencyPersistence {
  if (!shared) {
    const table = process.env.TRIMTAB_IDEMPOTENCY_TABLE;
    const sandboxed = process.env.TRIMTAB_SANDBOX === '1' || process.env.TRIMTAB_SANDBOX === 'true';
    shared = table && !sandboxed ? dynamoDbPersistence(table, clients, undefined, pending) : memoryPersistence();
  }
  return shared;
}
