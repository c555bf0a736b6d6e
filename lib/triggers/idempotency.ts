/**
 * Idempotency for the trigger handlers, with Powertools idempotency. In Lambda the records
 * live in the DynamoDB table serverless.yml defines (TRIMTAB_IDEMPOTENCY_TABLE); locally, in
 * tests and with TRIMTAB_SANDBOX=1 they live in memory, in the same Powertools record model,
 * so the code path is the one that runs in Lambda.
 *
 * A Powertools persistence layer takes its expiry from the first config it sees, so there is
 * one layer per expiry (policies with different cooldowns), all sharing one backing store.
 */
import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';

/** Records by idempotency key: what a DynamoDB table holds, for local runs and tests. */
export type MemoryIdempotencyStore = Map<string, IdempotencyRecord>;

/** An in-memory persistence layer with DynamoDB's conditional-put semantics. */
export class MemoryPersistenceLayer extends BasePersistenceLayer {
  constructor(readonly store: MemoryIdempotencyStore = new Map()) {
    super();
  }

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const record = this.store.get(idempotencyKey);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.store.get(record.idempotencyKey);
    // The same condition DynamoDBPersistenceLayer puts on its PutItem.
    const inProgressExpired =
      existing?.getStatus() === IdempotencyRecordStatus.INPROGRESS && existing.inProgressExpiryTimestamp !== undefined && existing.inProgressExpiryTimestamp < Date.now();
    if (existing && !existing.isExpired() && !inProgressExpired) {
      throw new IdempotencyItemAlreadyExistsError(`Failed to put record for already existing idempotency key: ${record.idempotencyKey}`, existing);
    }
    this.store.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.store.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.store.delete(record.idempotencyKey);
  }
}

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

export function dynamoDbPersistence(tableName: string): IdempotencyPersistence {
  const layers = new Map<number, BasePersistenceLayer>();
  return {
    forExpiry(seconds) {
      let layer = layers.get(seconds);
      if (!layer) layers.set(seconds, (layer = new DynamoDBPersistenceLayer({ tableName })));
      return layer;
    },
    describe: () => `dynamodb:${tableName}`,
  };
}

let shared: IdempotencyPersistence | undefined;

/** DynamoDB when the table is configured and not in the sandbox; memory otherwise (per process). */
export function defaultPersistence(): IdempotencyPersistence {
  if (!shared) {
    const table = process.env.TRIMTAB_IDEMPOTENCY_TABLE;
    const sandboxed = process.env.TRIMTAB_SANDBOX === '1' || process.env.TRIMTAB_SANDBOX === 'true';
    shared = table && !sandboxed ? dynamoDbPersistence(table) : memoryPersistence();
  }
  return shared;
}
