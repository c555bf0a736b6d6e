/**
 * Sandbox DynamoDB: answered by dynalite (lib/sandbox/local-services.ts), a maintained local
 * DynamoDB that validates requests and evaluates condition, key, filter and update
 * expressions as DynamoDB does. The SDK serialises each call and parses dynalite's JSON
 * answer, so trimtab's audit store, approval store and Powertools idempotency run exactly
 * their AWS code paths. One dynalite per account and region, started on the first call.
 *
 * The sandbox's JSON state stays the place tables live between CLI invocations:
 * - a table declared in the state (ensureSandboxTable: the tables the stack would create) is
 *   created in dynalite with its items before the first call that reaches it;
 * - every successful write is mirrored into the state: a put as the item sent, a delete by
 *   removing it, an update by a consistent read of its key (the state is a copy for
 *   persistence; dynalite answers every read).
 *
 * The account's seeded tables (the ones trimtab inspects) are not in dynalite: a modelled control
 * plane answers them (dynamodb-control.ts), with AWS's states and limits that dynalite lacks.
 *
 * What dynalite 4.0.0 lacks, and how the sandbox handles it:
 * - `ReturnValuesOnConditionCheckFailure` (added to DynamoDB in 2023) is ignored: a refused
 *   conditional write carries no `Item`. The sandbox reads the item right after the refusal
 *   and attaches it, as AWS would have returned it.
 * - Time to live: no UpdateTimeToLive, and DescribeTimeToLive always says DISABLED. The TTL
 *   attribute is kept in the table's declaration here; expired items are not deleted (AWS
 *   deletes them lazily, within days, so readers must not rely on deletion either).
 * - TransactWriteItems: answered here (LocalDynamo.transactWrite) on top of dynalite: AWS's request
 *   rules (1 to 100 actions, one of Put/Update/Delete/ConditionCheck each, no two on one item, tables
 *   that exist) answered with its ValidationException / ResourceNotFoundException, every condition
 *   evaluated by dynalite's own expression code against a consistent read, and a refused condition
 *   answered with TransactionCanceledException and its CancellationReasons in request order
 *   (`ConditionalCheckFailed` with the item under ALL_OLD, `None` for the others); nothing is written
 *   then. Transactions are serialised with each other in the sandbox; a plain write that lands on the
 *   same item between a transaction's check and its write is not (AWS would cancel with
 *   TransactionConflict): docs/limitations.md. TransactGetItems and streams: not implemented.
 */
import { BatchWriteItemCommand, CreateTableCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactionCanceledException, UpdateItemCommand, type AttributeDefinition, type KeySchemaElement, type TableDescription } from '@aws-sdk/client-dynamodb';
import { awsError, type LocalBackend, type OperationEnv, type SandboxCall, type SandboxService, type AccountState, type Sandbox } from '../sandbox.ts';
import { startDynalite, type LocalServer } from '../local-services.ts';
import { dynamoControlOperations, listTables, modelledTableOf } from './dynamodb-control.ts';

export type AttributeValue = { S?: string; N?: string; B?: Uint8Array | string; BOOL?: boolean; NULL?: boolean; M?: Item; L?: AttributeValue[]; SS?: string[]; NS?: string[] };
export type Item = Record<string, AttributeValue>;

export interface KeySpec {
  pk: string;
  sk?: string;
}

export interface SandboxTable {
  name: string;
  key: KeySpec;
  indexes: Record<string, KeySpec>;
  /** Key attribute types (S when absent). */
  attributeTypes?: Record<string, 'S' | 'N' | 'B'>;
  ttlAttribute?: string;
  createdAt: string;
  /** Items by their primary key (stable JSON of the key attributes): the persisted copy. */
  items: Record<string, Item>;
}

export interface DynamoState {
  tables: Record<string, SandboxTable>;
}

export const dynamoState = (sandbox: Sandbox, account: AccountState, region: string) => sandbox.regional<DynamoState>(account, region, 'dynamodb', () => ({ tables: {} }));

/**
 * Declare a table in the sandbox's state (as the stack would create it): dynalite creates it,
 * with the items held here, before the first call that reaches this account and region. A
 * name DynamoDB refuses (under 3 characters, other characters than a-z A-Z 0-9 _ - .) fails
 * that call with dynalite's ValidationException.
 */
export function ensureSandboxTable(sandbox: Sandbox, account: AccountState, region: string, spec: { name: string; key: KeySpec; indexes?: Record<string, KeySpec>; ttlAttribute?: string; attributeTypes?: SandboxTable['attributeTypes'] }): SandboxTable {
  const state = dynamoState(sandbox, account, region);
  return (state.tables[spec.name] ??= {
    name: spec.name,
    key: spec.key,
    indexes: spec.indexes ?? {},
    ...(spec.attributeTypes ? { attributeTypes: spec.attributeTypes } : {}),
    ttlAttribute: spec.ttlAttribute,
    createdAt: sandbox.now().toISOString(),
    items: {},
  });
}

/** The state's key for an item: the key attributes' values, in key order. */
export function itemKey(table: Pick<SandboxTable, 'key'>, item: Item): string {
  return JSON.stringify([table.key.pk, table.key.sk].filter((k): k is string => Boolean(k)).map((k) => item[k]));
}

const keyOnly = (table: Pick<SandboxTable, 'key'>, item: Item): Item => Object.fromEntries([table.key.pk, table.key.sk].filter((k): k is string => Boolean(k)).map((k) => [k, item[k]]));

const schema = (key: KeySpec): KeySchemaElement[] => [{ AttributeName: key.pk, KeyType: 'HASH' }, ...(key.sk ? [{ AttributeName: key.sk, KeyType: 'RANGE' as const }] : [])];

function createTableInput(table: SandboxTable) {
  const names = new Set([table.key.pk, table.key.sk, ...Object.values(table.indexes).flatMap((k) => [k.pk, k.sk])].filter((n): n is string => Boolean(n)));
  const definitions: AttributeDefinition[] = [...names].map((AttributeName) => ({ AttributeName, AttributeType: table.attributeTypes?.[AttributeName] ?? 'S' }));
  const indexes = Object.entries(table.indexes);
  return new CreateTableCommand({
    TableName: table.name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: definitions,
    KeySchema: schema(table.key),
    // As serverless.yml declares trimtab's indexes: every attribute projected.
    ...(indexes.length ? { GlobalSecondaryIndexes: indexes.map(([IndexName, key]) => ({ IndexName, KeySchema: schema(key), Projection: { ProjectionType: 'ALL' as const } })) } : {}),
  });
}

const keySpecOf = (elements: KeySchemaElement[] = []): KeySpec => ({
  pk: elements.find((k) => k.KeyType === 'HASH')!.AttributeName!,
  sk: elements.find((k) => k.KeyType === 'RANGE')?.AttributeName,
});

interface Instance {
  server: LocalServer;
  /** Talks to dynalite directly: loading, mirroring (not counted as trimtab's calls). */
  client: DynamoDBClient;
  created: Map<string, Promise<void>>;
}

/**
 * dynalite answers CreateTable with CREATING and flips the table to ACTIVE on a timer, even with
 * `createTableMs: 0`; a call that lands before the timer fires gets ResourceNotFoundException, as
 * on AWS. Loading waits for ACTIVE, as a client of AWS would (DescribeTable, bounded).
 */
async function untilActive(client: DynamoDBClient, name: string): Promise<TableDescription> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') return Table;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`sandbox DynamoDB: table ${name} did not become ACTIVE in dynalite`);
}

/** Startup times of the dynalite servers started in this process (ms), for the docs and the benchmark. */
export const dynaliteStartups: number[] = [];

/** dynalite's own expression code (its parser and evaluator), loaded by a name esbuild cannot follow. */
interface DynaliteExpressions {
  validateExpressions(data: Record<string, unknown>): string | undefined;
  checkConditional(data: Record<string, unknown>, existing: Item | undefined): { body?: { message?: string } } | null | undefined;
}
let dynaliteExpressions: Promise<DynaliteExpressions> | undefined;
function expressions(): Promise<DynaliteExpressions> {
  const load = async (name: string) => {
    const m = (await import(/* @vite-ignore */ name)) as { default?: unknown };
    return (m.default ?? m) as Record<string, any>;
  };
  return (dynaliteExpressions ??= (async () => {
    const [validations, db] = await Promise.all([load(['dynalite', 'validations', 'index.js'].join('/')), load(['dynalite', 'db', 'index.js'].join('/'))]);
    return { validateExpressions: validations.validateExpressions, checkConditional: db.checkConditional };
  })());
}

/** The four kinds of action a TransactWriteItems item holds (exactly one each). */
const TRANSACT_KINDS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;
export const TRANSACT_WRITE_MAX_ITEMS = 100;

export class LocalDynamo implements LocalBackend {
  private readonly instances = new Map<string, Promise<Instance>>();
  /** Transactions run one at a time (see the header). */
  private transactions: Promise<unknown> = Promise.resolve();

  constructor(private readonly sandbox: Sandbox) {}

  private instance(env: OperationEnv): Promise<Instance> {
    const key = `${env.account.id}/${env.region}`;
    let instance = this.instances.get(key);
    if (!instance) {
      instance = (async () => {
        const server = await startDynalite();
        dynaliteStartups.push(server.startupMs);
        const client = new DynamoDBClient({ region: env.region, endpoint: server.url, credentials: { accessKeyId: 'SANDBOX', secretAccessKey: 'SANDBOX' }, maxAttempts: 1 });
        return { server, client, created: new Map() };
      })();
      this.instances.set(key, instance);
    }
    return instance;
  }

  /** Create, with their items, the tables declared in the state that dynalite does not hold yet. */
  private async load(instance: Instance, env: OperationEnv) {
    const tables = Object.values(dynamoState(this.sandbox, env.account, env.region).tables);
    await Promise.all(
      tables.map((table) => {
        let done = instance.created.get(table.name);
        if (!done) {
          done = (async () => {
            await instance.client.send(createTableInput(table));
            await untilActive(instance.client, table.name);
            const items = Object.values(table.items);
            for (let i = 0; i < items.length; i += 25) {
              let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
              while (pending.length) {
                const { UnprocessedItems } = await instance.client.send(new BatchWriteItemCommand({ RequestItems: { [table.name]: pending as never } }));
                pending = (UnprocessedItems?.[table.name] ?? []) as typeof pending;
              }
            }
          })();
          // A refused table (a bad name) is refused again on the next call, not remembered as created.
          done.catch(() => instance.created.delete(table.name));
          instance.created.set(table.name, done);
        }
        return done;
      }),
    );
  }

  /**
   * dynalite answers trimtab's own tables; the account's seeded tables and ListTables (which
   * merges both) are answered in-process by the modelled control plane (dynamodb-control.ts).
   */
  serves(call: SandboxCall, env: OperationEnv): boolean {
    if (call.operation === 'ListTables') return false;
    return !modelledTableOf(call.input, env);
  }

  async prepare(env: OperationEnv): Promise<void> {
    await this.load(await this.instance(env), env);
  }

  answers(call: SandboxCall): boolean {
    return call.operation === 'TransactWriteItems';
  }

  answer(call: SandboxCall, env: OperationEnv): Promise<any> {
    const run = this.transactions.then(() => this.transactWrite(call.input ?? {}, env));
    this.transactions = run.catch(() => {});
    return run;
  }

  /**
   * TransactWriteItems (TransactWriteItemsCommand.d.ts): validated as AWS validates it, every
   * condition checked against a consistent read, then every write made; a refused condition cancels
   * the whole transaction with the reasons in request order and writes nothing.
   */
  private async transactWrite(input: { TransactItems?: Array<Record<string, any>> }, env: OperationEnv): Promise<Record<string, never>> {
    const items = input.TransactItems ?? [];
    if (items.length === 0 || items.length > TRANSACT_WRITE_MAX_ITEMS) {
      throw awsError('ValidationException', `1 validation error detected: Value '${items.length} items' at 'transactItems' failed to satisfy constraint: Member must have length ${items.length === 0 ? 'greater than or equal to 1' : `less than or equal to ${TRANSACT_WRITE_MAX_ITEMS}`}`);
    }
    const tables = dynamoState(this.sandbox, env.account, env.region).tables;
    const seen = new Set<string>();
    const actions = items.map((item) => {
      const kinds = TRANSACT_KINDS.filter((k) => item[k] !== undefined);
      if (kinds.length !== 1) throw awsError('ValidationException', 'TransactItems can only contain one of Check, Put, Update or Delete');
      const kind = kinds[0];
      const request = item[kind] as Record<string, any>;
      const table = tables[request.TableName];
      if (!table) throw awsError('ResourceNotFoundException', 'Requested resource not found');
      const key = keyOnly(table, kind === 'Put' ? request.Item : request.Key);
      const id = `${table.name}|${itemKey(table, key)}`;
      if (seen.has(id)) throw awsError('ValidationException', 'Transaction request cannot include multiple operations on one item');
      seen.add(id);
      return { kind, request, table, key };
    });
    const instance = await this.instance(env);
    await this.load(instance, env);
    const { validateExpressions, checkConditional } = await expressions();
    // Every condition, against the item as it is now.
    const reasons = await Promise.all(
      actions.map(async ({ request, table, key }) => {
        if (!request.ConditionExpression) return { Code: 'None' };
        const data: Record<string, unknown> = { ConditionExpression: request.ConditionExpression, ExpressionAttributeNames: request.ExpressionAttributeNames, ExpressionAttributeValues: request.ExpressionAttributeValues, ...(request.UpdateExpression ? { UpdateExpression: request.UpdateExpression } : {}) };
        const invalid = validateExpressions(data);
        if (invalid) throw awsError('ValidationException', invalid);
        const { Item } = await instance.client.send(new GetItemCommand({ TableName: table.name, Key: key as never, ConsistentRead: true }));
        if (!checkConditional(data, Item as Item | undefined)) return { Code: 'None' };
        return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(Item && request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item } : {}) };
      }),
    );
    if (reasons.some((r) => r.Code !== 'None')) {
      throw new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: reasons as never,
      });
    }
    // Then every write (the conditions held a moment ago; they are sent again, so a plain write in between is refused, not overwritten).
    for (const { kind, request, table, key } of actions) {
      const condition = request.ConditionExpression ? { ConditionExpression: request.ConditionExpression, ExpressionAttributeNames: request.ExpressionAttributeNames, ExpressionAttributeValues: request.ExpressionAttributeValues } : {};
      if (kind === 'Put') await instance.client.send(new PutItemCommand({ TableName: table.name, Item: request.Item, ...condition }));
      else if (kind === 'Delete') await instance.client.send(new DeleteItemCommand({ TableName: table.name, Key: key as never, ...condition }));
      else if (kind === 'Update') await instance.client.send(new UpdateItemCommand({ TableName: table.name, Key: key as never, UpdateExpression: request.UpdateExpression, ...condition, ExpressionAttributeNames: request.ExpressionAttributeNames, ExpressionAttributeValues: request.ExpressionAttributeValues }));
      else continue;
      // Mirrored into the state as the plain write would be.
      const stored = kind === 'Put' ? (request.Item as Item) : kind === 'Delete' ? undefined : ((await instance.client.send(new GetItemCommand({ TableName: table.name, Key: key as never, ConsistentRead: true }))).Item as Item | undefined);
      if (stored) table.items[itemKey(table, key)] = structuredClone(stored);
      else delete table.items[itemKey(table, key)];
    }
    return {};
  }

  async endpoint(_call: SandboxCall, env: OperationEnv): Promise<string> {
    const instance = await this.instance(env);
    await this.load(instance, env);
    return instance.server.url;
  }

  /**
   * What a successful write left under each key it touched: the item put (as sent), null for a
   * delete, or undefined where only a read can tell (UpdateItem). Unprocessed batch items are left out.
   */
  private touched(call: SandboxCall, output: any, env: OperationEnv): Array<{ table: SandboxTable; key: Item; item: Item | null | undefined }> {
    const tables = dynamoState(this.sandbox, env.account, env.region).tables;
    const input = call.input ?? {};
    const table = tables[input.TableName];
    switch (call.operation) {
      case 'PutItem':
        return table ? [{ table, key: keyOnly(table, input.Item), item: input.Item }] : [];
      case 'UpdateItem':
        return table ? [{ table, key: keyOnly(table, input.Key), item: undefined }] : [];
      case 'DeleteItem':
        return table ? [{ table, key: keyOnly(table, input.Key), item: null }] : [];
      case 'BatchWriteItem': {
        const unprocessed = new Set(Object.values((output?.UnprocessedItems ?? {}) as Record<string, unknown[]>).flat().map((r) => JSON.stringify(r)));
        return Object.entries((input.RequestItems ?? {}) as Record<string, any[]>).flatMap(([name, requests]) =>
          tables[name]
            ? requests
                .filter((r) => !unprocessed.has(JSON.stringify(r)))
                .map((r) => ({ table: tables[name], key: keyOnly(tables[name], r.PutRequest?.Item ?? r.DeleteRequest?.Key), item: r.PutRequest ? (r.PutRequest.Item as Item) : null }))
            : [],
        );
      }
      default:
        return [];
    }
  }

  /** Mirror the call's effect into the state, so `sandbox.save()` persists what dynalite holds. */
  async after(call: SandboxCall, output: any, env: OperationEnv): Promise<void> {
    const instance = await this.instance(env);
    const state = dynamoState(this.sandbox, env.account, env.region);
    if (call.operation === 'CreateTable') {
      const Table = await untilActive(instance.client, call.input.TableName);
      const types = Object.fromEntries((Table.AttributeDefinitions ?? []).map((d) => [d.AttributeName!, d.AttributeType as 'S' | 'N' | 'B']));
      ensureSandboxTable(this.sandbox, env.account, env.region, {
        name: call.input.TableName,
        key: keySpecOf(Table.KeySchema),
        indexes: Object.fromEntries((Table.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName!, keySpecOf(g.KeySchema)])),
        attributeTypes: types,
      });
      instance.created.set(call.input.TableName, Promise.resolve());
      return;
    }
    if (call.operation === 'DeleteTable') {
      delete state.tables[call.input.TableName];
      instance.created.delete(call.input.TableName);
      return;
    }
    for (const { table, key, item } of this.touched(call, output, env)) {
      // A put stores the item as sent and a delete removes it; an update is read back (consistent).
      const stored = item !== undefined ? item : ((await instance.client.send(new GetItemCommand({ TableName: table.name, Key: key as never, ConsistentRead: true }))).Item as Item | undefined);
      if (stored) table.items[itemKey(table, key)] = structuredClone(stored);
      else delete table.items[itemKey(table, key)];
    }
  }

  /**
   * A refused conditional write: dynalite ignores ReturnValuesOnConditionCheckFailure, so the
   * item AWS would return with the refusal is read here (the approval store tells "no such
   * approval" from "not in that state any more" by it; Powertools idempotency reads it too).
   */
  async failed(call: SandboxCall, error: Error, env: OperationEnv): Promise<Error> {
    const input = call.input ?? {};
    const refused = error.name === 'ConditionalCheckFailedException' && input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && !(error as { Item?: unknown }).Item;
    const table = dynamoState(this.sandbox, env.account, env.region).tables[input.TableName];
    if (!refused || !table) return error;
    const instance = await this.instance(env);
    const { Item } = await instance.client.send(new GetItemCommand({ TableName: table.name, Key: keyOnly(table, input.Item ?? input.Key) as never, ConsistentRead: true }));
    if (Item) Object.assign(error, { Item });
    return error;
  }

  async close(): Promise<void> {
    const instances = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(
      instances.map(async (pending) => {
        const instance = await pending.catch(() => undefined);
        if (!instance) return;
        instance.client.destroy();
        await instance.server.close();
      }),
    );
  }
}

export const dynamodbService: SandboxService = {
  id: 'dynamodb',
  // Only calls that `serves` leaves out reach these (the account's seeded tables, ListTables).
  operations: {
    ...dynamoControlOperations,
    ListTables: (input, env) => listTables(input, env, Object.keys(dynamoState(env.sandbox, env.account, env.region).tables)),
  },
  local: (sandbox) => new LocalDynamo(sandbox),
};
