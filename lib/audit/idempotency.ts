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
 *
 * On DynamoDB (ClaimWithRecordLayer), the claim and the action record's first put (`planned`) are one
 * TransactWriteItems when the engine's store is the audit table this idempotency was made with: both
 * or neither. The claim is Powertools' own item under Powertools' own condition, so it blocks (and is
 * blocked by) the same key claimed by a plain PutItem anywhere else (the sweep, an approval).
 */
import { DynamoDBClient, TransactWriteItemsCommand, type AttributeValue, type TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { IdempotencyConfig, IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError, IdempotencyRecordStatus, makeIdempotent, PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { AwsClients } from '../aws/clients.ts';
import type { ActionIdempotency, ActionKey, ClaimOptions } from '../engine/run.ts';
import type { ActionRecord } from '../engine/types.ts';
import { ActionInProgressError, TrimtabError } from '../util/errors.ts';
import type { DynamoActionStore } from './dynamodb.ts';
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
  /** The audit table whose action records may be written in the claim's transaction (ClaimWithRecordLayer). */
  recordStore?: DynamoActionStore;
}

/** The attribute names DynamoDBPersistenceLayer uses by default (trimtab never changes them): the key is `id`. */
const ATTR = { key: 'id', ...PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS };

/** DynamoDBPersistenceLayer's condition on a claim, word for word: a free key, an expired one, or an abandoned in-progress one. */
export const CLAIM_CONDITION = 'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)';

/** A put that goes in one transaction with a claim, and what its own refusal means. */
export interface ClaimCompanion {
  put: ReturnType<DynamoActionStore['putRequest']>;
  /** What to throw when its condition refused it (`stored`: the item AWS returned). */
  conflict(stored: Record<string, AttributeValue> | undefined, cause: unknown): Error;
}

/**
 * Powertools' DynamoDB persistence (completions deferred, lib/audit/pending.ts) whose claim of a key may
 * carry one more put: the claim and the put are then one TransactWriteItems (TransactWriteItemsCommand.d.ts:
 * up to 100 actions, one per item, all or nothing). A refused claim is Powertools' "already exists" with the
 * stored record (the transaction's CancellationReasons carry it under ALL_OLD), so replays and in-progress
 * answers are Powertools' own; a refused companion is the companion's error, naming the key; nothing is
 * written in either case.
 */
export class ClaimWithRecordLayer extends DeferredCompletionLayer {
  private readonly companions = new Map<string, ClaimCompanion>();

  constructor(
    options: { tableName: string; awsSdkV3Client: DynamoDBClient },
    pending: PendingWrites,
  ) {
    super(options, pending);
    this.table = options.tableName;
    this.ddb = options.awsSdkV3Client;
  }

  private readonly table: string;
  private readonly ddb: DynamoDBClient;

  /** The next claim of `data`'s key carries `companion`; the returned function forgets it (call it when done). */
  attach(data: unknown, companion: ClaimCompanion): () => void {
    const key = this.getHashedIdempotencyKey(data as never);
    this.companions.set(key, companion);
    return () => this.companions.delete(key);
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const companion = this.companions.get(record.idempotencyKey);
    if (!companion) return super._putRecord(record);
    this.companions.delete(record.idempotencyKey);
    const claim = marshall({
      [ATTR.key]: record.idempotencyKey,
      [ATTR.expiryAttr]: record.expiryTimestamp,
      [ATTR.statusAttr]: record.getStatus(),
      ...(record.inProgressExpiryTimestamp !== undefined ? { [ATTR.inProgressExpiryAttr]: record.inProgressExpiryTimestamp } : {}),
    });
    const now = Date.now();
    try {
      await this.ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: claim,
                ConditionExpression: CLAIM_CONDITION,
                ExpressionAttributeNames: { '#id': ATTR.key, '#expiry': ATTR.expiryAttr, '#in_progress_expiry': ATTR.inProgressExpiryAttr, '#status': ATTR.statusAttr },
                ExpressionAttributeValues: marshall({ ':now': now / 1000, ':now_in_millis': now, ':inprogress': IdempotencyRecordStatus.INPROGRESS }),
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Put: companion.put },
          ],
        }),
      );
    } catch (error) {
      const reasons = (error as TransactionCanceledException).CancellationReasons;
      if ((error as Error).name !== 'TransactionCanceledException' || !reasons) throw error;
      if (reasons[0]?.Code === 'ConditionalCheckFailed') {
        const item = reasons[0].Item && unmarshall(reasons[0].Item);
        const existing =
          item &&
          new IdempotencyRecord({
            idempotencyKey: item[ATTR.key],
            status: item[ATTR.statusAttr],
            expiryTimestamp: item[ATTR.expiryAttr],
            inProgressExpiryTimestamp: item[ATTR.inProgressExpiryAttr],
            responseData: item[ATTR.dataAttr],
            payloadHash: item[ATTR.validationKeyAttr],
          });
        throw new IdempotencyItemAlreadyExistsError(`Failed to put record for already existing idempotency key: ${record.idempotencyKey}`, existing);
      }
      if (reasons[1]?.Code === 'ConditionalCheckFailed') {
        const refused = companion.conflict(reasons[1].Item, error);
        refused.message = `${refused.message} Nothing was written: the claim of idempotency key ${record.idempotencyKey} was in the same transaction.`;
        throw refused;
      }
      throw new TrimtabError(`Claiming idempotency key ${record.idempotencyKey} together with its action record was cancelled (${reasons.map((r) => r.Code ?? 'None').join(', ')}); nothing was written.`, { cause: error });
    }
  }
}

/** The engine's ActionIdempotency on a Powertools persistence layer. */
export class PowertoolsActionIdempotency implements ActionIdempotency {
  readonly config: IdempotencyConfig;
  private readonly guarded: (key: ActionKey, work: () => Promise<ActionRecord>) => Promise<ActionRecord>;

  private readonly recordStore?: DynamoActionStore;

  constructor(
    readonly persistenceStore: BasePersistenceLayer,
    options: PowertoolsIdempotencyOptions = {},
  ) {
    this.config = new IdempotencyConfig({ expiresAfterSeconds: options.expiresAfterSeconds ?? DEFAULT_IDEMPOTENCY_SECONDS });
    this.recordStore = options.recordStore;
    // Each action's in-progress record expires after a fixed window; Lambda replaces it with the invocation's remaining time.
    this.config.registerLambdaContext({ getRemainingTimeInMillis: () => CLI_IN_PROGRESS_MS } as Context);
    // Configured now (makeIdempotent would on the first call, with the same config) so that a key can be hashed before the claim.
    persistenceStore.configure({ config: this.config, keyPrefix: IDEMPOTENCY_KEY_PREFIX });
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

  async once(key: ActionKey, work: (claim: { recorded: boolean }) => Promise<{ record: ActionRecord; keep: boolean }>, options: ClaimOptions = {}): Promise<{ record: ActionRecord; replayed: boolean }> {
    let ran = false;
    const data = { policy: key.policy, resource: key.resource, planHash: key.planHash };
    // The first record goes in the claim's transaction only into the very table the engine records in.
    const layer = this.persistenceStore;
    const store = this.recordStore;
    const planned = options.record;
    const detach =
      planned && store && options.store === store && layer instanceof ClaimWithRecordLayer
        ? layer.attach(data, { put: store.putRequest(planned), conflict: (stored, cause) => store.conflict(planned, stored, cause) })
        : undefined;
    try {
      const record = await this.guarded(data, async () => {
        ran = true;
        const result = await work({ recorded: detach !== undefined });
        if (!result.keep) throw new ReleaseKey(result.record);
        return result.record;
      });
      return { record: record as ActionRecord, replayed: !ran };
    } catch (error) {
      if (error instanceof ReleaseKey) return { record: error.record, replayed: false };
      if ((error as Error).name === 'IdempotencyAlreadyInProgressError') {
        throw new ActionInProgressError(`Another invocation is applying the same change to ${key.resource} (plan ${key.planHash}) right now; not acting twice.`, { cause: error });
      }
      // Powertools wraps a failed claim; trimtab's own error (a refused action record) says more.
      const cause = (error as Error & { cause?: unknown }).cause;
      if ((error as Error).name === 'IdempotencyPersistenceLayerError' && cause instanceof TrimtabError) throw cause;
      throw error;
    } finally {
      detach?.();
    }
  }
}

/**
 * Lambda: Powertools' DynamoDB persistence on the idempotency table, through the client factory. With
 * `pending`, the completion of a record is sent without waiting and awaited with `pending.settle()` at the
 * end of the invocation (lib/audit/pending.ts); the claim is always awaited before the action.
 */
export function dynamoIdempotency(options: { tableName: string; region: string; clients: AwsClients; expiresAfterSeconds?: number; pending?: PendingWrites; recordStore?: DynamoActionStore }): PowertoolsActionIdempotency {
  const client = options.clients.get(DynamoDBClient, options.region);
  const layerOptions = { tableName: options.tableName, awsSdkV3Client: client };
  return new PowertoolsActionIdempotency(options.pending ? new ClaimWithRecordLayer(layerOptions, options.pending) : new DynamoDBPersistenceLayer(layerOptions), options);
}

export const memoryIdempotency = (options: PowertoolsIdempotencyOptions = {}) => new PowertoolsActionIdempotency(new MemoryPersistenceLayer(), options);
