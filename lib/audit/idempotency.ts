/**
 * Idempotent actions through Powertools idempotency. The key is policy + resource ARN + plan
 * hash (the plan hash already covers the action and its exact parameters), under one fixed
 * prefix, so the scheduled sweep, an event-triggered run and an approved plan all share it:
 * whichever delivery comes first acts; a redelivered event, a retried invocation or a second
 * function gets the first result back and acts no more.
 *
 * - Lambda: DynamoDBPersistenceLayer on TrimtabIdempotencyTable, with the client from the
 *   one client factory (so X-Ray captures it and the sandbox can answer it).
 * - CLI and tests: MemoryPersistenceLayer below (a process lives for one run).
 *
 * A concurrent execution of the same key raises ActionInProgressError (a name Step Functions
 * can Retry on). When `work` says its result must not be kept (the write never happened, e.g.
 * apply threw before changing anything), the key is released so a later delivery may retry.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { AwsClients } from '../aws/clients.ts';
import type { ActionIdempotency, ActionKey } from '../engine/run.ts';
import type { ActionRecord } from '../engine/types.ts';
import { ActionInProgressError } from '../util/errors.ts';
import { DeferredCompletionLayer, PendingWrites } from './pending.ts';

/** Shared by every function: the key must not depend on which function acts. */
export const IDEMPOTENCY_KEY_PREFIX = 'trimtab-action';
/** How long a completed action's result answers replays. Longer than any redelivery or retry window. */
export const DEFAULT_IDEMPOTENCY_SECONDS = 24 * 3600;
/** Outside Lambda (CLI), an in-progress key is considered abandoned after this long (a crashed run must not block it for a day). */
export const CLI_IN_PROGRESS_MS = 15 * 60_000;

/** Powertools persistence in process memory: for the CLI (one run per process) and tests. */
export class MemoryPersistenceLayer extends BasePersistenceLayer {
  /** Several layers (one per expiry) may share one store, as they would share one table. */
  constructor(readonly records: Map<string, IdempotencyRecord> = new Map()) {
    super();
  }

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const record = this.records.get(idempotencyKey);
    if (!record) throw new IdempotencyItemNotFoundError(`No idempotency record for ${idempotencyKey}`);
    return record;
  }

  /** The same condition DynamoDBPersistenceLayer puts on its PutItem. */
  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    if (existing) {
      const expired = existing.isExpired();
      const inProgressExpired = existing.getStatus() === 'INPROGRESS' && existing.inProgressExpiryTimestamp !== undefined && existing.inProgressExpiryTimestamp < Date.now();
      if (!expired && !inProgressExpired) throw new IdempotencyItemAlreadyExistsError(`Failed to put record for already existing idempotency key: ${record.idempotencyKey}`, existing);
    }
    this.records.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

/** Thrown through Powertools so it deletes the in-progress record: the action may be retried. */
class ReleaseKey extends Error {
  constructor(readonly record: ActionRecord) {
    super('released');
  }
}

export interface PowertoolsIdempotencyOptions {
  expiresAfterSeconds?: number;
}

/** The engine's ActionIdempotency on a Powertools persistence layer. */
export class PowertoolsActionIdempotency implements ActionIdempotency {
  readonly config: IdempotencyConfig;
  private readonly guarded: (key: ActionKey, work: () => Promise<ActionRecord>) => Promise<ActionRecord>;

  constructor(
    readonly persistenceStore: BasePersistenceLayer,
    options: PowertoolsIdempotencyOptions = {},
  ) {
    this.config = new IdempotencyConfig({ expiresAfterSeconds: options.expiresAfterSeconds ?? DEFAULT_IDEMPOTENCY_SECONDS });
    // Each action's in-progress record expires after a fixed window; Lambda replaces it with the invocation's remaining time.
    this.config.registerLambdaContext({ getRemainingTimeInMillis: () => CLI_IN_PROGRESS_MS } as Context);
    // The first argument (the key) is hashed; the second (the work) is not part of it.
    this.guarded = makeIdempotent(async (_key: ActionKey, work: () => Promise<ActionRecord>) => work(), {
      persistenceStore,
      config: this.config,
      dataIndexArgument: 0,
      keyPrefix: IDEMPOTENCY_KEY_PREFIX,
    }) as never;
  }

  /** In Lambda: in-progress records expire with the invocation, so a crash does not block the key for a day. */
  registerLambdaContext(context: Context | undefined) {
    if (context) this.config.registerLambdaContext(context);
  }

  async once(key: ActionKey, work: () => Promise<{ record: ActionRecord; keep: boolean }>): Promise<{ record: ActionRecord; replayed: boolean }> {
    let ran = false;
    try {
      const record = await this.guarded({ policy: key.policy, resource: key.resource, planHash: key.planHash }, async () => {
        ran = true;
        const result = await work();
        if (!result.keep) throw new ReleaseKey(result.record);
        return result.record;
      });
      return { record: record as ActionRecord, replayed: !ran };
    } catch (error) {
      if (error instanceof ReleaseKey) return { record: error.record, replayed: false };
      if ((error as Error).name === 'IdempotencyAlreadyInProgressError') {
        throw new ActionInProgressError(`Another invocation is applying the same change to ${key.resource} (plan ${key.planHash}) right now; not acting twice.`, { cause: error });
      }
      throw error;
    }
  }
}

/**
 * Lambda: Powertools' DynamoDB persistence on the idempotency table, through the client factory. With
 * `pending`, the completion of a record is sent without waiting and awaited with `pending.settle()` at the
 * end of the invocation (lib/audit/pending.ts); the claim is always awaited before the action.
 */
export function dynamoIdempotency(options: { tableName: string; region: string; clients: AwsClients; expiresAfterSeconds?: number; pending?: PendingWrites }): PowertoolsActionIdempotency {
  const client = options.clients.get(DynamoDBClient, options.region);
  const layerOptions = { tableName: options.tableName, awsSdkV3Client: client };
  return new PowertoolsActionIdempotency(options.pending ? new DeferredCompletionLayer(layerOptions, options.pending) : new DynamoDBPersistenceLayer(layerOptions), options);
}

export const memoryIdempotency = (options: PowertoolsIdempotencyOptions = {}) => new PowertoolsActionIdempotency(new MemoryPersistenceLayer(), options);
