/**
 * Sandbox DynamoDB, control plane of the account's own tables (the ones trimtab inspects).
 *
 * dynalite 4.0.0 (which serves trimtab's audit, idempotency and approvals tables, see
 * dynamodb.ts) accepts BillingMode and flips tables to UPDATING on a real-time timer, but it
 * has no TableClass, no DeletionProtectionEnabled, no Replicas, and enforces none of AWS's
 * limits on capacity decreases or billing-mode switches. The seeded tables are therefore
 * answered here, in-process, from the sandbox's JSON state — one truth per table: a table
 * lives either here (seeded) or in dynalite (created by the stack or CreateTable), never both.
 * ListTables merges both sets, in name order.
 *
 * Modelled (from the DynamoDB API reference and Developer Guide):
 * - UpdateTable: UPDATING for an AWS-like duration (sandbox.duration), computed lazily from
 *   the stored timestamp; ResourceInUseException while UPDATING; ValidationException for
 *   nothing to change, unchanged throughput, throughput on an on-demand table, a switch to
 *   provisioned without throughput (and for each index); LimitExceededException for a fifth
 *   switch to on-demand in a rolling 24 hours (Constraints in Amazon DynamoDB), for a decrease within an hour of the last one once the day's first-hour
 *   allowance of four is used, and for a third table-class change in 30 days.
 * - ListTables: ExclusiveStartTableName / LastEvaluatedTableName, Limit 1..100.
 * - ListTagsOfResource / TagResource / UntagResource by table ARN.
 * Answers are output objects, not wire bodies: the service as a whole is forwarded to
 * dynalite, so the SDK's DynamoDB client is not wired to the sandbox's encoder.
 */
import { awsError, type OperationEnv, type OperationHandler, type Sandbox, type AccountState } from '../sandbox.ts';

export interface ModelledTable {
  name: string;
  createdAt: string;
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  read: number;
  write: number;
  tableClass: 'STANDARD' | 'STANDARD_INFREQUENT_ACCESS';
  deletionProtection: boolean;
  /** Other regions holding a replica (global table). */
  replicas: string[];
  sizeBytes: number;
  itemCount: number;
  indexes: Array<{ name: string; read: number; write: number }>;
  tags: Record<string, string>;
  /** Status UPDATING until this instant. */
  updatingUntil?: string;
  /** Instants of switches to on-demand, decreases, class changes (for AWS's limits). */
  switchesToOnDemand: string[];
  decreases: string[];
  classChanges: string[];
  lastIncrease?: string;
}

export interface DynamoControlState {
  tables: Record<string, ModelledTable>;
}

export const dynamoControlState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<DynamoControlState>(account, region, 'dynamodb-control', () => ({ tables: {} }));

/** AWS-like durations of UpdateTable's UPDATING state (minutes for a mode switch; seconds for capacity). */
export const UPDATE_MS = { billingMode: 5 * 60_000, capacity: 60_000, tableClass: 10 * 60_000, other: 30_000 };
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Switches to on-demand AWS allows in a rolling 24 hours (Constraints in Amazon DynamoDB). */
const SWITCHES_TO_ON_DEMAND_PER_DAY = 4;

export const tableArn = (region: string, account: string, name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;

/** The modelled table an input names (TableName, or ResourceArn for tagging), if any. */
export function modelledTableOf(input: any, env: Pick<OperationEnv, 'sandbox' | 'account' | 'region'>): ModelledTable | undefined {
  const tables = dynamoControlState(env.sandbox, env.account, env.region).tables;
  const name = input?.TableName ?? (typeof input?.ResourceArn === 'string' ? input.ResourceArn.replace(/^arn:aws:dynamodb:[^:]+:\d+:table\//, '') : undefined);
  return typeof name === 'string' ? tables[name] : undefined;
}

const statusOf = (t: ModelledTable, now: Date) => (t.updatingUntil && Date.parse(t.updatingUntil) > now.getTime() ? 'UPDATING' : 'ACTIVE');

const notFound = (name: string) => awsError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);

function find(input: any, env: OperationEnv): ModelledTable {
  const t = modelledTableOf(input, env);
  if (!t) throw notFound(input?.TableName ?? input?.ResourceArn);
  return t;
}

function describe(t: ModelledTable, env: OperationEnv) {
  const status = statusOf(t, env.now);
  const at = (iso: string | undefined) => (iso ? new Date(iso) : undefined);
  const lastDecrease = t.decreases.at(-1);
  const dayStart = Math.floor(env.now.getTime() / DAY_MS) * DAY_MS;
  const throughput = (read: number, write: number) => ({
    ReadCapacityUnits: t.billingMode === 'PROVISIONED' ? read : 0,
    WriteCapacityUnits: t.billingMode === 'PROVISIONED' ? write : 0,
    NumberOfDecreasesToday: t.decreases.filter((d) => Date.parse(d) >= dayStart).length,
    ...(lastDecrease ? { LastDecreaseDateTime: at(lastDecrease) } : {}),
    ...(t.lastIncrease ? { LastIncreaseDateTime: at(t.lastIncrease) } : {}),
  });
  return {
    TableName: t.name,
    TableArn: tableArn(env.region, env.account.id, t.name),
    TableId: `5a4d1c2e-${Buffer.from(t.name).toString('hex').slice(0, 4).padEnd(4, '0')}-4000-8000-000000000000`,
    TableStatus: status,
    CreationDateTime: new Date(t.createdAt),
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    ProvisionedThroughput: throughput(t.read, t.write),
    BillingModeSummary: { BillingMode: t.billingMode, ...(t.switchesToOnDemand.length ? { LastUpdateToPayPerRequestDateTime: at(t.switchesToOnDemand.at(-1)) } : {}) },
    TableSizeBytes: t.sizeBytes,
    ItemCount: t.itemCount,
    TableClassSummary: { TableClass: t.tableClass, ...(t.classChanges.length ? { LastUpdateDateTime: at(t.classChanges.at(-1)) } : {}) },
    DeletionProtectionEnabled: t.deletionProtection,
    ...(t.indexes.length
      ? { GlobalSecondaryIndexes: t.indexes.map((i) => ({ IndexName: i.name, IndexStatus: status === 'UPDATING' ? 'UPDATING' : 'ACTIVE', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: throughput(i.read, i.write), IndexSizeBytes: 0, ItemCount: 0, IndexArn: `${tableArn(env.region, env.account.id, t.name)}/index/${i.name}` })) }
      : {}),
    ...(t.replicas.length ? { GlobalTableVersion: '2019.11.21', Replicas: [env.region, ...t.replicas].map((RegionName) => ({ RegionName, ReplicaStatus: 'ACTIVE' })) } : {}),
  };
}

function validUnits(value: unknown, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw awsError('ValidationException', `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  if ((value as number) > 40_000) throw awsError('LimitExceededException', `Subscriber limit exceeded: Provisioned throughput for a table cannot exceed 40000 (the account's per-table quota; requested ${value}).`);
  return value as number;
}

function updateTable(input: any, env: OperationEnv) {
  const t = find(input, env);
  const now = env.now;
  const nowIso = now.toISOString();
  const changesMode = input.BillingMode !== undefined && input.BillingMode !== t.billingMode;
  const pt = input.ProvisionedThroughput;
  if (!input.BillingMode && !pt && input.TableClass === undefined && input.DeletionProtectionEnabled === undefined && !input.GlobalSecondaryIndexUpdates) {
    throw awsError('ValidationException', 'At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required');
  }
  if (statusOf(t, now) === 'UPDATING') throw awsError('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being updated: ${t.name}`);
  const mode = input.BillingMode ?? t.billingMode;
  if (mode === 'PAY_PER_REQUEST' && pt) throw awsError('ValidationException', 'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
  if (mode === 'PROVISIONED' && changesMode && !pt) throw awsError('ValidationException', 'One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED');
  const indexUpdates = new Map<string, { read: number; write: number }>();
  for (const u of (input.GlobalSecondaryIndexUpdates ?? []) as any[]) {
    const index = t.indexes.find((i) => i.name === u.Update?.IndexName);
    if (!index) throw awsError('ValidationException', `One or more parameter values were invalid: Index ${u.Update?.IndexName ?? '?'} does not exist on table ${t.name}`);
    indexUpdates.set(index.name, { read: validUnits(u.Update.ProvisionedThroughput?.ReadCapacityUnits, 'indexReadCapacityUnits'), write: validUnits(u.Update.ProvisionedThroughput?.WriteCapacityUnits, 'indexWriteCapacityUnits') });
  }
  if (mode === 'PROVISIONED' && changesMode) {
    const missing = t.indexes.filter((i) => !indexUpdates.has(i.name));
    if (missing.length) throw awsError('ValidationException', `One or more parameter values were invalid: ProvisionedThroughput must be specified for index: ${missing[0].name}`);
  }
  // AWS's limits (Developer Guide: switching capacity modes; service quotas: decreases; table classes).
  if (changesMode && mode === 'PAY_PER_REQUEST') {
    // Developer Guide, "Constraints in Amazon DynamoDB" (Read/write capacity mode) and "Considerations when switching
    // capacity modes": provisioned → on-demand up to four times in a rolling 24 hours; on-demand → provisioned at any time.
    // (The older "Service, account, and table quotas" page said once per 24 hours; AWS relaxed it.)
    const window = t.switchesToOnDemand.filter((s) => now.getTime() - Date.parse(s) < DAY_MS);
    if (window.length >= SWITCHES_TO_ON_DEMAND_PER_DAY) {
      throw awsError('LimitExceededException', `Subscriber limit exceeded: Update to PayPerRequest mode are limited to ${SWITCHES_TO_ON_DEMAND_PER_DAY} in a rolling 24 hour window. Last update at ${new Date(window.at(-1)!).toUTCString()}. Next update can be made at ${new Date(Date.parse(window[window.length - SWITCHES_TO_ON_DEMAND_PER_DAY]) + DAY_MS).toUTCString()}`);
    }
  }
  let read = t.read;
  let write = t.write;
  if (pt) {
    read = validUnits(pt.ReadCapacityUnits, 'provisionedThroughput.readCapacityUnits');
    write = validUnits(pt.WriteCapacityUnits, 'provisionedThroughput.writeCapacityUnits');
    if (!changesMode && read === t.read && write === t.write && !indexUpdates.size && input.TableClass === undefined && input.DeletionProtectionEnabled === undefined) {
      throw awsError('ValidationException', `The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: ${t.read}. Requested ReadCapacityUnits: ${read}. Current WriteCapacityUnits provisioned for the table: ${t.write}. Requested WriteCapacityUnits: ${write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.`);
    }
  }
  const decreasing = !changesMode && mode === 'PROVISIONED' && (read < t.read || write < t.write);
  if (decreasing) {
    const dayStart = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
    const today = t.decreases.filter((d) => Date.parse(d) >= dayStart);
    const last = today.at(-1);
    // Service quotas ("Decreasing provisioned throughput"): a day starts with up to four decreases within one hour
    // (from its first decrease); after that, one more whenever there was no decrease in the preceding hour (27 a day at most).
    const inFirstHour = today.length > 0 && today.length < 4 && now.getTime() - Date.parse(today[0]) < HOUR_MS;
    if (last && now.getTime() - Date.parse(last) < HOUR_MS && !inFirstHour) {
      throw awsError('LimitExceededException', `Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds. Number of decreases today: ${today.length}. Last decrease at ${new Date(last).toUTCString()}. Next decrease can be made at ${new Date(Date.parse(last) + HOUR_MS).toUTCString()}`);
    }
  }
  if (input.TableClass !== undefined && input.TableClass !== t.tableClass) {
    if (!['STANDARD', 'STANDARD_INFREQUENT_ACCESS'].includes(input.TableClass)) throw awsError('ValidationException', `1 validation error detected: Value '${input.TableClass}' at 'tableClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD_INFREQUENT_ACCESS, STANDARD]`);
    const recent = t.classChanges.filter((c) => now.getTime() - Date.parse(c) < 30 * DAY_MS);
    if (recent.length >= 2) throw awsError('LimitExceededException', `Subscriber limit exceeded: table class updates are limited to 2 in a trailing 30-day period for table: ${t.name}`);
  }
  // The change.
  let duration = UPDATE_MS.other;
  if (changesMode) {
    duration = UPDATE_MS.billingMode;
    if (mode === 'PAY_PER_REQUEST') t.switchesToOnDemand.push(nowIso);
    t.billingMode = mode;
  }
  if (pt) {
    if (decreasing) t.decreases.push(nowIso);
    if (read > t.read || write > t.write) t.lastIncrease = nowIso;
    t.read = read;
    t.write = write;
    if (!changesMode) duration = UPDATE_MS.capacity;
  }
  for (const i of t.indexes) {
    const u = indexUpdates.get(i.name);
    if (u) Object.assign(i, u);
  }
  if (input.TableClass !== undefined && input.TableClass !== t.tableClass) {
    t.tableClass = input.TableClass;
    t.classChanges.push(nowIso);
    duration = Math.max(duration, UPDATE_MS.tableClass);
  }
  if (input.DeletionProtectionEnabled !== undefined) t.deletionProtection = Boolean(input.DeletionProtectionEnabled);
  const ms = env.sandbox.duration(duration);
  if (ms > 0) t.updatingUntil = new Date(now.getTime() + ms).toISOString();
  else delete t.updatingUntil;
  return { TableDescription: describe(t, env) };
}

/** ListTables over the seeded tables and `otherNames` (dynalite's), in name order. */
export function listTables(input: any, env: OperationEnv, otherNames: string[]) {
  const limit = input.Limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw awsError('ValidationException', `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100`);
  const names = [...new Set([...Object.keys(dynamoControlState(env.sandbox, env.account, env.region).tables), ...otherNames])].sort();
  const after = input.ExclusiveStartTableName as string | undefined;
  const rest = after ? names.filter((n) => n > after) : names;
  const page = rest.slice(0, limit);
  return { TableNames: page, ...(rest.length > limit ? { LastEvaluatedTableName: page.at(-1) } : {}) };
}

export const dynamoControlOperations: Record<string, OperationHandler> = {
  DescribeTable: (input, env) => ({ Table: describe(find(input, env), env) }),
  UpdateTable: updateTable,
  ListTagsOfResource(input, env) {
    const t = find(input, env);
    return { Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) };
  },
  TagResource(input, env) {
    const t = find(input, env);
    for (const tag of (input.Tags ?? []) as Array<{ Key: string; Value: string }>) t.tags[tag.Key] = tag.Value;
    return {};
  },
  UntagResource(input, env) {
    const t = find(input, env);
    for (const key of (input.TagKeys ?? []) as string[]) delete t.tags[key];
    return {};
  },
};

/** Seed one of the account's tables (sandbox seeds). */
export function addModelledTable(sandbox: Sandbox, account: AccountState, region: string, table: Omit<ModelledTable, 'switchesToOnDemand' | 'decreases' | 'classChanges'> & Partial<Pick<ModelledTable, 'switchesToOnDemand' | 'decreases' | 'classChanges'>>): ModelledTable {
  const state = dynamoControlState(sandbox, account, region);
  return (state.tables[table.name] = { switchesToOnDemand: [], decreases: [], classChanges: [], ...table });
}
