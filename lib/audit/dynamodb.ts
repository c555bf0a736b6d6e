/**
 * The audit trail in DynamoDB: one table (TrimtabAuditTable in serverless.yml) holding action
 * records and finding records, with three global secondary indexes so that every history
 * filter is a Query, never a Scan:
 *
 *   item             pk                  sk          byPolicy (pk / sk)                 byResource (pk / sk)                  byTime (pk / sk)
 *   action record    ACTION#<id>         ACTION      POLICY#<policy>#ACTION / <at>#<id>  RESOURCE#<resource id>#ACTION / …      KIND#ACTION / <at>#<id>
 *   finding record   FINDING#<id>        <at>        POLICY#<policy>#FINDING / <at>#<id> RESOURCE#<resource id>#FINDING / …     KIND#FINDING / <at>#<id>
 *
 * `<at>` is when the action started (its first transition) or when the finding was detected,
 * so `--since` is a key condition (`sk >= :since`). Items expire through the table's TTL
 * attribute (configurable name, `retentionDays` after `<at>`).
 *
 * Every transition rewrites the action item with a version (the number of transitions) under
 * a condition, so a stale writer (an older invocation, a retried one) can never overwrite a
 * newer state: it gets an AuditConflictError instead.
 *
 * The store talks to DynamoDB through the one client factory (lib/aws/clients.ts), with the
 * low-level client and @aws-sdk/util-dynamodb's marshalling: the same conversion the
 * DocumentClient does, but done here so the sandbox account (which answers before the SDK's
 * deserialize step, where the DocumentClient unmarshalls) behaves exactly like AWS.
 */
import { BatchWriteItemCommand, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, paginateQuery, PutItemCommand, type AttributeValue, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AwsClients } from '../aws/clients.ts';
import type { ActionRecord } from '../engine/types.ts';
import { sleep } from '../util/async.ts';
import { TrimtabError } from '../util/errors.ts';
import type { PendingWrites } from './pending.ts';
import { findingMatches, matches, type ActionStore, type FindingRecord, type HistoryFilter } from './store.ts';

/** The table's key schema; serverless.yml declares the same (test/package/audit.test.ts holds them together). */
export const AUDIT_TABLE_KEYS = {
  key: { pk: 'pk', sk: 'sk' },
  indexes: {
    byPolicy: { pk: 'byPolicyPk', sk: 'byPolicySk' },
    byResource: { pk: 'byResourcePk', sk: 'byResourceSk' },
    byTime: { pk: 'byTimePk', sk: 'byTimeSk' },
  },
} as const;

export const DEFAULT_TTL_ATTRIBUTE = 'expiresAt';
export const DEFAULT_RETENTION_DAYS = 365;

/** A newer transition of this action was already recorded by someone else. */
export class AuditConflictError extends TrimtabError {}

export interface DynamoActionStoreOptions {
  tableName: string;
  region: string;
  /** The factory the client comes from; its dry-run guard must allow writes (this is trimtab's own table). */
  clients: AwsClients;
  ttlAttribute?: string;
  retentionDays?: number;
  /** BatchWriteItem retries for unprocessed items before giving up. */
  maxBatchAttempts?: number;
  /** Writes that may land after the fix (the `verified` record), awaited at the end of the invocation. */
  pending?: PendingWrites;
}

type Kind = 'ACTION' | 'FINDING';

const started = (record: ActionRecord) => record.transitions[0]?.at ?? new Date(0).toISOString();

/**
 * Ids a `--resource` filter may be keyed under. Records are indexed by resource id; given an
 * ARN, the id is its last path segment for most types (snapshot/snap-…, bucket names after
 * ":::", autoScalingGroupName/…), so each plausible tail is queried and the ARN checked after.
 */
export function resourceIdCandidates(resource: string): string[] {
  if (!resource.startsWith('arn:')) return [resource];
  const rest = resource.split(':').slice(5).join(':');
  const candidates = [rest, rest.split('/').at(-1)!, rest.replace(/:\*$/, '').split(':').at(-1)!, rest.replace(/^[^/:]+[/:]/, '').replace(/:\*$/, '')];
  return [...new Set(candidates.filter(Boolean))];
}

export class DynamoActionStore implements ActionStore {
  readonly tableName: string;
  private readonly ttlAttribute: string;
  private readonly retentionSeconds: number;

  constructor(private readonly options: DynamoActionStoreOptions) {
    if (!options.tableName) throw new TrimtabError('The audit table name is empty: set TRIMTAB_AUDIT_TABLE (the deployed stack sets it).');
    this.tableName = options.tableName;
    this.ttlAttribute = options.ttlAttribute || DEFAULT_TTL_ATTRIBUTE;
    this.retentionSeconds = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
  }

  private get client(): DynamoDBClient {
    return this.options.clients.get(DynamoDBClient, this.options.region);
  }

  private indexKeys(kind: Kind, at: string, id: string, policy: string, resourceId: string) {
    const { byPolicy, byResource, byTime } = AUDIT_TABLE_KEYS.indexes;
    const sort = `${at}#${id}`;
    return {
      [byPolicy.pk]: `POLICY#${policy}#${kind}`,
      [byPolicy.sk]: sort,
      [byResource.pk]: `RESOURCE#${resourceId}#${kind}`,
      [byResource.sk]: sort,
      [byTime.pk]: `KIND#${kind}`,
      [byTime.sk]: sort,
      kind,
      [this.ttlAttribute]: Math.floor(Date.parse(at) / 1000) + this.retentionSeconds,
    };
  }

  /** Plain JSON, as the JSONL store keeps it: Dates become ISO strings, undefined disappears. */
  private static plain<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
  }

  actionItem(record: ActionRecord): Record<string, AttributeValue> {
    const plain = DynamoActionStore.plain(record);
    return marshall(
      {
        pk: `ACTION#${record.id}`,
        sk: 'ACTION',
        ...this.indexKeys('ACTION', started(record), record.id, record.policy, record.resource.id),
        status: record.status,
        version: record.transitions.length,
        record: plain,
      },
      { removeUndefinedValues: true },
    );
  }

  /**
   * The conditional put of an action record, as one `Put` of a TransactWriteItems (or a PutItem): only a
   * newer state may replace the stored one, versions only go up.
   */
  putRequest(record: ActionRecord) {
    return {
      TableName: this.tableName,
      Item: this.actionItem(record),
      ConditionExpression: 'attribute_not_exists(pk) OR #version < :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': { N: String(record.transitions.length) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  /** The error a refused put of this record means: another writer recorded a newer state (`stored`: its item, when AWS returned it). */
  conflict(record: ActionRecord, stored: Record<string, AttributeValue> | undefined, cause: unknown): AuditConflictError {
    const status = stored ? (unmarshall(stored).status as string) : 'unknown';
    return new AuditConflictError(
      `Action ${record.id} was recorded as '${status}' by another writer after this one read it; not overwriting it with '${record.status}'. Check 'trimtab history --resource ${record.resource.id}'.`,
      { cause },
    );
  }

  async put(record: ActionRecord): Promise<void> {
    const request = this.putRequest(record);
    // The last record of a fix that worked (`verified`) may land after the invocation goes on: sent now,
    // awaited at its end with the idempotency completions (lib/audit/pending.ts); every earlier state
    // (planned, the applied record with the before-state) is awaited here, before the next step.
    if (record.status === 'verified' && this.options.pending) {
      await this.options.pending.defer(`recording action ${record.id} as verified`, () => this.send(record, request));
      return;
    }
    await this.send(record, request);
  }

  private async send(record: ActionRecord, request: ReturnType<DynamoActionStore['putRequest']>): Promise<void> {
    try {
      await this.client.send(new PutItemCommand(request));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        throw this.conflict(record, (error as ConditionalCheckFailedException).Item, error);
      }
      throw error;
    }
  }

  async get(id: string): Promise<ActionRecord | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: `ACTION#${id}`, sk: 'ACTION' }), ConsistentRead: true }));
    return Item ? (unmarshall(Item).record as ActionRecord) : undefined;
  }

  async list(filter: HistoryFilter = {}): Promise<ActionRecord[]> {
    const items = await this.query('ACTION', filter);
    const records = items.map((item) => item.record as ActionRecord).filter((r) => matches(r, filter));
    return records.sort((a, b) => started(a).localeCompare(started(b)));
  }

  async putFindings(records: FindingRecord[]): Promise<void> {
    const requests = records.map((r) => ({
      PutRequest: {
        Item: marshall(
          { pk: `FINDING#${r.id}`, sk: r.at, ...this.indexKeys('FINDING', r.at, r.id, r.policy, r.resource.id), status: r.status, record: DynamoActionStore.plain(r) },
          { removeUndefinedValues: true },
        ),
      },
    }));
    // BatchWriteItem: 25 items a call; unprocessed items (throttling) are retried with backoff.
    for (let i = 0; i < requests.length; i += 25) {
      let pending: typeof requests = requests.slice(i, i + 25);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const { UnprocessedItems } = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (pending.length === 0) break;
        if (attempt >= (this.options.maxBatchAttempts ?? 5)) throw new TrimtabError(`${pending.length} finding record(s) could not be written to ${this.tableName} after ${attempt} attempts (throttled).`);
        await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }

  async listFindings(filter: Omit<HistoryFilter, 'status'> = {}): Promise<FindingRecord[]> {
    const items = await this.query('FINDING', filter);
    return items.map((item) => item.record as FindingRecord).filter((r) => findingMatches(r, filter)).sort((a, b) => a.at.localeCompare(b.at));
  }

  /** The narrowest index for the filter; `since` becomes a key condition on the sort key. */
  private async query(kind: Kind, filter: Omit<HistoryFilter, 'status'>): Promise<Record<string, any>[]> {
    const { byPolicy, byResource, byTime } = AUDIT_TABLE_KEYS.indexes;
    const plans: Array<{ index: string; keys: { pk: string; sk: string }; value: string }> = filter.resource
      ? resourceIdCandidates(filter.resource).map((id) => ({ index: 'byResource', keys: byResource, value: `RESOURCE#${id}#${kind}` }))
      : filter.policy
        ? [{ index: 'byPolicy', keys: byPolicy, value: `POLICY#${filter.policy}#${kind}` }]
        : [{ index: 'byTime', keys: byTime, value: `KIND#${kind}` }];
    const items: Record<string, any>[] = [];
    const seen = new Set<string>();
    for (const plan of plans) {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: plan.index,
        KeyConditionExpression: filter.since ? '#pk = :pk AND #sk >= :since' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': plan.keys.pk, ...(filter.since ? { '#sk': plan.keys.sk } : {}) },
        ExpressionAttributeValues: marshall({ ':pk': plan.value, ...(filter.since ? { ':since': filter.since.toISOString() } : {}) }),
      };
      for await (const page of paginateQuery({ client: this.client }, input)) {
        for (const raw of page.Items ?? []) {
          const item = unmarshall(raw);
          const key = `${item.pk}|${item.sk}`;
          if (seen.has(key)) continue;
          seen.add(key);
          items.push(item);
        }
      }
    }
    return items;
  }
}
