/**
 * Sandbox DynamoDB: tables with a partition/sort key and global secondary indexes, holding
 * items in the low-level AttributeValue shape ({S}, {N}, {M}, {L}, {BOOL}, {NULL}), as the
 * wire carries them. It answers what trimtab's audit store and Powertools idempotency send:
 * CreateTable, DescribeTable, PutItem, GetItem, DeleteItem, UpdateItem, Query, BatchWriteItem,
 * with ConditionExpression / KeyConditionExpression / FilterExpression / UpdateExpression
 * parsed and evaluated as DynamoDB does (names #n, values :v, AND/OR/NOT, comparisons,
 * BETWEEN, IN, attribute_exists, attribute_not_exists, begins_with, contains; SET with
 * if_not_exists and +/-, REMOVE, ADD).
 *
 * A failed condition throws the SDK's own ConditionalCheckFailedException (with `Item` when
 * ReturnValuesOnConditionCheckFailure is ALL_OLD), so code that checks `instanceof` behaves
 * as against AWS. Conflicts can also be injected with the sandbox's `faults.failWhen`.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { awsError, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export type AttributeValue = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; M?: Item; L?: AttributeValue[]; SS?: string[]; NS?: string[] };
export type Item = Record<string, AttributeValue>;

export interface KeySpec {
  pk: string;
  sk?: string;
}

export interface SandboxTable {
  name: string;
  key: KeySpec;
  indexes: Record<string, KeySpec>;
  ttlAttribute?: string;
  createdAt: string;
  /** Items by their primary key (stable JSON of the key attributes). */
  items: Record<string, Item>;
}

export interface DynamoState {
  tables: Record<string, SandboxTable>;
}

/** AWS's limit on one item, attribute names included (400 KB). */
export const MAX_ITEM_BYTES = 400 * 1024;

export const dynamoState = (sandbox: Sandbox, account: AccountState, region: string) => sandbox.regional<DynamoState>(account, region, 'dynamodb', () => ({ tables: {} }));

/** Create a table directly in the sandbox's state (tests, `TRIMTAB_SANDBOX` local runs). */
export function ensureSandboxTable(sandbox: Sandbox, account: AccountState, region: string, spec: { name: string; key: KeySpec; indexes?: Record<string, KeySpec>; ttlAttribute?: string }): SandboxTable {
  const state = dynamoState(sandbox, account, region);
  return (state.tables[spec.name] ??= { name: spec.name, key: spec.key, indexes: spec.indexes ?? {}, ttlAttribute: spec.ttlAttribute, createdAt: sandbox.now().toISOString(), items: {} });
}

const validation = (message: string) => awsError('ValidationException', message);

function tableOf(state: DynamoState, name: string | undefined): SandboxTable {
  const table = name ? state.tables[name] : undefined;
  if (!table) throw awsError('ResourceNotFoundException', 'Requested resource not found', 400);
  return table;
}

function keyOf(table: SandboxTable, item: Item, what = 'item'): string {
  const parts = [table.key.pk, table.key.sk].filter((k): k is string => Boolean(k));
  for (const k of parts) {
    const v = item[k];
    if (!v || (v.S === undefined && v.N === undefined)) throw validation(`One or more parameter values were invalid: Missing the key ${k} in the ${what}`);
  }
  return JSON.stringify(parts.map((k) => item[k]));
}

function itemBytes(item: Item): number {
  return Buffer.byteLength(JSON.stringify(item));
}

// ───────────────────────── expressions ─────────────────────────

type Token = { kind: 'punct' | 'word' | 'name' | 'value' | 'number'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(<>|<=|>=|[=<>(),.[\]+-]|#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|[0-9]+|[A-Za-z_][A-Za-z0-9_]*)/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    re.lastIndex = index;
    const match = re.exec(text);
    if (!match) throw validation(`Invalid expression: Syntax error; token: "${text.slice(index).trim().slice(0, 10)}", near: "${text.slice(Math.max(0, index - 5), index + 10)}"`);
    const t = match[1];
    const kind = t.startsWith('#') ? 'name' : t.startsWith(':') ? 'value' : /^[0-9]/.test(t) ? 'number' : /^[A-Za-z_]/.test(t) ? 'word' : 'punct';
    tokens.push({ kind, text: t });
    index = re.lastIndex;
  }
  return tokens;
}

type PathPart = string | number;
type Operand = { path: PathPart[] } | { value: AttributeValue } | { fn: 'if_not_exists' | 'list_append' | 'size'; args: Operand[] } | { op: '+' | '-'; left: Operand; right: Operand };
type Cond =
  | { and: [Cond, Cond] }
  | { or: [Cond, Cond] }
  | { not: Cond }
  | { cmp: string; left: Operand; right: Operand }
  | { between: Operand; low: Operand; high: Operand }
  | { in: Operand; list: Operand[] }
  | { fn: string; args: Operand[] };

interface ExprEnv {
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
  usedNames: Set<string>;
  usedValues: Set<string>;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly env: ExprEnv,
    private readonly source: string,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }
  private isWord(word: string, offset = 0) {
    const t = this.peek(offset);
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }
  private expect(text: string) {
    const t = this.tokens[this.i++];
    if (!t || t.text.toUpperCase() !== text) throw validation(`Invalid expression: Syntax error; expected "${text}" in "${this.source}"`);
  }
  done() {
    return this.i >= this.tokens.length;
  }
  end() {
    if (!this.done()) throw validation(`Invalid expression: Syntax error; token: "${this.peek()!.text}", near: "${this.source}"`);
  }

  condition(): Cond {
    let left = this.conjunction();
    while (this.isWord('OR')) {
      this.i++;
      left = { or: [left, this.conjunction()] };
    }
    return left;
  }
  private conjunction(): Cond {
    let left = this.negation();
    while (this.isWord('AND')) {
      this.i++;
      left = { and: [left, this.negation()] };
    }
    return left;
  }
  private negation(): Cond {
    if (this.isWord('NOT')) {
      this.i++;
      return { not: this.negation() };
    }
    return this.primary();
  }
  private primary(): Cond {
    const t = this.peek();
    if (t?.text === '(') {
      this.i++;
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (t?.kind === 'word' && this.peek(1)?.text === '(' && t.text !== 'size') {
      const fn = t.text;
      if (!['attribute_exists', 'attribute_not_exists', 'begins_with', 'contains', 'attribute_type'].includes(fn)) throw validation(`Invalid expression: Invalid function name; function: ${fn}`);
      this.i += 2;
      const args = this.arguments();
      return { fn, args };
    }
    const left = this.operand();
    if (this.isWord('BETWEEN')) {
      this.i++;
      const low = this.operand();
      this.expect('AND');
      return { between: left, low, high: this.operand() };
    }
    if (this.isWord('IN')) {
      this.i++;
      this.expect('(');
      return { in: left, list: this.arguments() };
    }
    const op = this.tokens[this.i++];
    if (!op || !['=', '<>', '<', '<=', '>', '>='].includes(op.text)) throw validation(`Invalid expression: Syntax error; a comparison was expected in "${this.source}"`);
    return { cmp: op.text, left, right: this.operand() };
  }
  /** Comma-separated operands up to the closing parenthesis (the opening one is consumed). */
  private arguments(): Operand[] {
    const args: Operand[] = [this.operand()];
    while (this.peek()?.text === ',') {
      this.i++;
      args.push(this.operand());
    }
    this.expect(')');
    return args;
  }

  operand(): Operand {
    const t = this.tokens[this.i];
    if (!t) throw validation(`Invalid expression: Syntax error; an operand is missing in "${this.source}"`);
    if (t.kind === 'value') {
      this.i++;
      this.env.usedValues.add(t.text);
      const value = this.env.values?.[t.text];
      if (!value) throw validation(`Invalid expression: An expression attribute value used in expression is not defined; attribute value: ${t.text}`);
      return { value };
    }
    if (t.kind === 'word' && ['if_not_exists', 'list_append', 'size'].includes(t.text) && this.peek(1)?.text === '(') {
      this.i += 2;
      return { fn: t.text as 'if_not_exists', args: this.arguments() };
    }
    return { path: this.path() };
  }

  path(): PathPart[] {
    const parts: PathPart[] = [this.name()];
    for (;;) {
      if (this.peek()?.text === '.') {
        this.i++;
        parts.push(this.name());
      } else if (this.peek()?.text === '[') {
        this.i++;
        const n = this.tokens[this.i++];
        if (n?.kind !== 'number') throw validation(`Invalid expression: a list index must be a number in "${this.source}"`);
        parts.push(Number(n.text));
        this.expect(']');
      } else return parts;
    }
  }

  private name(): string {
    const t = this.tokens[this.i++];
    if (t?.kind === 'name') {
      this.env.usedNames.add(t.text);
      const name = this.env.names?.[t.text];
      if (name === undefined) throw validation(`Invalid expression: An expression attribute name used in the document path is not defined; attribute name: ${t.text}`);
      return name;
    }
    if (t?.kind === 'word') {
      if (RESERVED.has(t.text.toUpperCase())) throw validation(`Invalid expression: Attribute name is a reserved keyword; reserved keyword: ${t.text}`);
      return t.text;
    }
    throw validation(`Invalid expression: Syntax error; an attribute name was expected in "${this.source}"`);
  }

  /** SET a = b, REMOVE c, ADD d :n */
  update(): Array<{ kind: 'SET'; path: PathPart[]; value: Operand } | { kind: 'REMOVE'; path: PathPart[] } | { kind: 'ADD'; path: PathPart[]; value: Operand }> {
    const actions: ReturnType<Parser['update']> = [];
    while (!this.done()) {
      const clause = this.tokens[this.i++].text.toUpperCase();
      if (!['SET', 'REMOVE', 'ADD'].includes(clause)) throw validation(`Invalid UpdateExpression: Syntax error; token: "${clause}"`);
      do {
        if (this.peek()?.text === ',') this.i++;
        const path = this.path();
        if (clause === 'REMOVE') actions.push({ kind: 'REMOVE', path });
        else if (clause === 'ADD') actions.push({ kind: 'ADD', path, value: this.operand() });
        else {
          this.expect('=');
          let value = this.operand();
          while (this.peek()?.text === '+' || this.peek()?.text === '-') {
            const op = this.tokens[this.i++].text as '+' | '-';
            value = { op, left: value, right: this.operand() };
          }
          actions.push({ kind: 'SET', path, value });
        }
      } while (this.peek()?.text === ',');
    }
    return actions;
  }
}

/** The reserved words trimtab's own expressions could trip over (DynamoDB has ~570). */
const RESERVED = new Set(['STATUS', 'NAME', 'TTL', 'DATA', 'KEY', 'TIMESTAMP', 'TYPE', 'SIZE', 'VALUE', 'RESOURCE', 'POLICY', 'ACTION', 'KIND', 'ID', 'DATE', 'TIME', 'COUNT', 'ORDER', 'USER', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN']);

function resolvePath(item: Item, path: PathPart[]): AttributeValue | undefined {
  let current: AttributeValue | undefined = { M: item };
  for (const part of path) {
    if (!current) return undefined;
    current = typeof part === 'number' ? current.L?.[part] : current.M?.[part];
  }
  return current;
}

function evalOperand(item: Item, operand: Operand): AttributeValue | undefined {
  if ('value' in operand) return operand.value;
  if ('path' in operand) return resolvePath(item, operand.path);
  if ('op' in operand) {
    const l = evalOperand(item, operand.left);
    const r = evalOperand(item, operand.right);
    if (l?.N === undefined || r?.N === undefined) throw validation('An operand in the update expression has an incorrect data type');
    return { N: String(operand.op === '+' ? Number(l.N) + Number(r.N) : Number(l.N) - Number(r.N)) };
  }
  if (operand.fn === 'if_not_exists') return evalOperand(item, operand.args[0]) ?? evalOperand(item, operand.args[1]);
  if (operand.fn === 'list_append') return { L: [...(evalOperand(item, operand.args[0])?.L ?? []), ...(evalOperand(item, operand.args[1])?.L ?? [])] };
  const v = evalOperand(item, operand.args[0]);
  const size = v?.S?.length ?? v?.L?.length ?? (v?.M ? Object.keys(v.M).length : undefined) ?? v?.SS?.length ?? v?.NS?.length;
  return size === undefined ? undefined : { N: String(size) };
}

/** -1/0/1, or undefined when DynamoDB would say the comparison is false (different types). */
function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (!a || !b) return undefined;
  if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  return undefined;
}

const sameValue = (a: AttributeValue | undefined, b: AttributeValue | undefined) => a !== undefined && b !== undefined && canonical(a) === canonical(b);
function canonical(v: AttributeValue): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => p.localeCompare(q))) : x));
}

function evalCond(item: Item, cond: Cond): boolean {
  if ('and' in cond) return evalCond(item, cond.and[0]) && evalCond(item, cond.and[1]);
  if ('or' in cond) return evalCond(item, cond.or[0]) || evalCond(item, cond.or[1]);
  if ('not' in cond) return !evalCond(item, cond.not);
  if ('between' in cond) {
    const v = evalOperand(item, cond.between);
    return (compare(v, evalOperand(item, cond.low)) ?? -1) >= 0 && (compare(v, evalOperand(item, cond.high)) ?? 1) <= 0;
  }
  if ('in' in cond) {
    const v = evalOperand(item, cond.in);
    return cond.list.some((o) => sameValue(v, evalOperand(item, o)));
  }
  if ('cmp' in cond) {
    const l = evalOperand(item, cond.left);
    const r = evalOperand(item, cond.right);
    if (cond.cmp === '=') return sameValue(l, r);
    if (cond.cmp === '<>') return l !== undefined && r !== undefined && !sameValue(l, r);
    const c = compare(l, r);
    if (c === undefined) return false;
    return { '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[cond.cmp as '<'] ?? false;
  }
  const [first, second] = cond.args;
  const target = evalOperand(item, first);
  switch (cond.fn) {
    case 'attribute_exists':
      return target !== undefined;
    case 'attribute_not_exists':
      return target === undefined;
    case 'begins_with': {
      const prefix = evalOperand(item, second);
      return target?.S !== undefined && prefix?.S !== undefined && target.S.startsWith(prefix.S);
    }
    case 'contains': {
      const needle = evalOperand(item, second);
      if (target?.S !== undefined && needle?.S !== undefined) return target.S.includes(needle.S);
      if (target?.L) return target.L.some((v) => sameValue(v, needle));
      if (target?.SS && needle?.S !== undefined) return target.SS.includes(needle.S);
      return false;
    }
    default: {
      const type = evalOperand(item, second)?.S;
      return target !== undefined && type !== undefined && type in target;
    }
  }
}

function newEnv(input: { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> }): ExprEnv {
  return { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues, usedNames: new Set(), usedValues: new Set() };
}

function parseCondition(text: string | undefined, env: ExprEnv): Cond | undefined {
  if (text === undefined) return undefined;
  if (!text.trim()) throw validation('Invalid ConditionExpression: The expression can not be empty;');
  const parser = new Parser(tokenize(text), env, text);
  const cond = parser.condition();
  parser.end();
  return cond;
}

/** DynamoDB refuses names and values that no expression uses. */
function checkAllUsed(env: ExprEnv) {
  const unusedNames = Object.keys(env.names ?? {}).filter((n) => !env.usedNames.has(n));
  if (unusedNames.length) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
  const unusedValues = Object.keys(env.values ?? {}).filter((v) => !env.usedValues.has(v));
  if (unusedValues.length) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
}

function conditionFailed(existing: Item | undefined, returnOld: boolean): never {
  throw new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(returnOld && existing ? { Item: structuredClone(existing) as any } : {}),
  });
}

function setPath(item: Item, path: PathPart[], value: AttributeValue | undefined) {
  let container: AttributeValue = { M: item };
  for (const part of path.slice(0, -1)) {
    const next: AttributeValue | undefined = typeof part === 'number' ? container.L?.[part] : container.M?.[part];
    if (!next) throw validation('The document path provided in the update expression is invalid for update');
    container = next;
  }
  const last = path.at(-1)!;
  if (typeof last === 'number') {
    if (!container.L) throw validation('The document path provided in the update expression is invalid for update');
    if (value === undefined) container.L.splice(last, 1);
    else container.L[Math.min(last, container.L.length)] = value;
  } else {
    if (!container.M) throw validation('The document path provided in the update expression is invalid for update');
    if (value === undefined) delete container.M[last];
    else container.M[last] = value;
  }
}

/** Items of a table or index that have the index's key attributes (GSIs are sparse), sorted by its keys. */
function indexItems(table: SandboxTable, indexName: string | undefined): { spec: KeySpec; items: Item[] } {
  const spec = indexName ? table.indexes[indexName] : table.key;
  if (!spec) throw validation(`The table does not have the specified index: ${indexName}`);
  const items = Object.values(table.items).filter((item) => item[spec.pk] !== undefined && (!spec.sk || item[spec.sk] !== undefined));
  const tie = (a: Item, b: Item) => keyOf(table, a).localeCompare(keyOf(table, b));
  items.sort((a, b) => (spec.sk ? (compare(a[spec.sk], b[spec.sk]) ?? 0) : 0) || tie(a, b));
  return { spec, items };
}

function project(item: Item, attributes: string[]): Item {
  return Object.fromEntries(attributes.filter((a) => item[a] !== undefined).map((a) => [a, item[a]]));
}

export const dynamodbService: SandboxService = {
  id: 'dynamodb',
  operations: {
    CreateTable(input, { sandbox, account, region }) {
      const state = dynamoState(sandbox, account, region);
      if (state.tables[input.TableName]) throw awsError('ResourceInUseException', `Table already exists: ${input.TableName}`);
      const keyOfSchema = (schema: { AttributeName: string; KeyType: string }[]): KeySpec => ({
        pk: schema.find((k) => k.KeyType === 'HASH')!.AttributeName,
        sk: schema.find((k) => k.KeyType === 'RANGE')?.AttributeName,
      });
      const table = ensureSandboxTable(sandbox, account, region, {
        name: input.TableName,
        key: keyOfSchema(input.KeySchema),
        indexes: Object.fromEntries((input.GlobalSecondaryIndexes ?? []).map((g: any) => [g.IndexName, keyOfSchema(g.KeySchema)])),
      });
      return { TableDescription: { TableName: table.name, TableStatus: 'ACTIVE' } };
    },

    DescribeTable(input, { sandbox, account, region }) {
      const table = tableOf(dynamoState(sandbox, account, region), input.TableName);
      return {
        Table: {
          TableName: table.name,
          TableStatus: 'ACTIVE',
          ItemCount: Object.keys(table.items).length,
          KeySchema: [{ AttributeName: table.key.pk, KeyType: 'HASH' }, ...(table.key.sk ? [{ AttributeName: table.key.sk, KeyType: 'RANGE' }] : [])],
          GlobalSecondaryIndexes: Object.entries(table.indexes).map(([IndexName, k]) => ({
            IndexName,
            KeySchema: [{ AttributeName: k.pk, KeyType: 'HASH' }, ...(k.sk ? [{ AttributeName: k.sk, KeyType: 'RANGE' }] : [])],
            IndexStatus: 'ACTIVE',
          })),
        },
      };
    },

    PutItem(input, { sandbox, account, region }) {
      const table = tableOf(dynamoState(sandbox, account, region), input.TableName);
      const item = input.Item as Item;
      const key = keyOf(table, item);
      if (itemBytes(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
      const env = newEnv(input);
      const cond = parseCondition(input.ConditionExpression, env);
      checkAllUsed(env);
      const existing = table.items[key];
      if (cond && !evalCond(existing ?? {}, cond)) conditionFailed(existing, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
      table.items[key] = structuredClone(item);
      return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: existing } : {};
    },

    GetItem(input, { sandbox, account, region }) {
      const table = tableOf(dynamoState(sandbox, account, region), input.TableName);
      const item = table.items[keyOf(table, input.Key, 'key')];
      if (!item) return {};
      return { Item: input.ProjectionExpression ? project(item, input.ProjectionExpression.split(',').map((p: string) => input.ExpressionAttributeNames?.[p.trim()] ?? p.trim())) : item };
    },

    DeleteItem(input, { sandbox, account, region }) {
      const table = tableOf(dynamoState(sandbox, account, region), input.TableName);
      const key = keyOf(table, input.Key, 'key');
      const env = newEnv(input);
      const cond = parseCondition(input.ConditionExpression, env);
      checkAllUsed(env);
      const existing = table.items[key];
      if (cond && !evalCond(existing ?? {}, cond)) conditionFailed(existing, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
      delete table.items[key];
      return input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: existing } : {};
    },

    UpdateItem(input, { sandbox, account, region }) {
      const table = tableOf(dynamoState(sandbox, account, region), input.TableName);
      const key = keyOf(table, input.Key, 'key');
      const env = newEnv(input);
      const cond = parseCondition(input.ConditionExpression, env);
      if (!input.UpdateExpression) throw validation('UpdateExpression is required');
      const parser = new Parser(tokenize(input.UpdateExpression), env, input.UpdateExpression);
      const actions = parser.update();
      checkAllUsed(env);
      const existing = table.items[key];
      if (cond && !evalCond(existing ?? {}, cond)) conditionFailed(existing, input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD');
      const item: Item = structuredClone(existing ?? (input.Key as Item));
      for (const action of actions) {
        if ([table.key.pk, table.key.sk].includes(action.path[0] as string)) {
          throw validation(`One or more parameter values were invalid: Cannot update attribute ${action.path[0]}. This attribute is part of the key`);
        }
        if (action.kind === 'REMOVE') setPath(item, action.path, undefined);
        else if (action.kind === 'SET') setPath(item, action.path, evalOperand(existing ?? {}, action.value));
        else {
          const current = resolvePath(item, action.path);
          const add = evalOperand(item, action.value);
          setPath(item, action.path, { N: String(Number(current?.N ?? 0) + Number(add?.N ?? 0)) });
        }
      }
      if (itemBytes(item) > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
      table.items[key] = item;
      return input.ReturnValues === 'ALL_NEW' ? { Attributes: item } : input.ReturnValues === 'ALL_OLD' && existing ? { Attributes: existing } : {};
    },

    Query(input, { sandbox, account, region }) {
      const table = tableOf(dynamoState(sandbox, account, region), input.TableName);
      if (!input.KeyConditionExpression) throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
      if (input.ConsistentRead && input.IndexName) throw validation('Consistent reads are not supported on global secondary indexes');
      const env = newEnv(input);
      const keyCond = parseCondition(input.KeyConditionExpression, env)!;
      const filter = parseCondition(input.FilterExpression, env);
      checkAllUsed(env);
      const { spec, items } = indexItems(table, input.IndexName);
      // The key condition must pin the partition key with "=".
      const pinsPartition = (c: Cond): boolean => ('cmp' in c && c.cmp === '=' && 'path' in c.left && c.left.path[0] === spec.pk) || ('and' in c && (pinsPartition(c.and[0]) || pinsPartition(c.and[1])));
      if (!pinsPartition(keyCond)) throw validation(`Query condition missed key schema element: ${spec.pk}`);
      let matching = items.filter((item) => evalCond(item, keyCond));
      if (input.ScanIndexForward === false) matching.reverse();
      if (input.ExclusiveStartKey) {
        const start = JSON.stringify([table.key.pk, table.key.sk].filter(Boolean).map((k) => input.ExclusiveStartKey[k!]));
        const at = matching.findIndex((item) => keyOf(table, item) === start);
        matching = at >= 0 ? matching.slice(at + 1) : matching;
      }
      // Limit counts items evaluated, before the filter, as DynamoDB does (1 MB page cap too).
      const limit = input.Limit ?? Number.POSITIVE_INFINITY;
      const page: Item[] = [];
      let bytes = 0;
      for (const item of matching) {
        if (page.length >= limit || bytes >= 1024 * 1024) break;
        page.push(item);
        bytes += itemBytes(item);
      }
      const last = page.length < matching.length ? page.at(-1) : undefined;
      const returned = filter ? page.filter((item) => evalCond(item, filter)) : page;
      const keyAttributes = [...new Set([table.key.pk, table.key.sk, spec.pk, spec.sk].filter((k): k is string => Boolean(k)))];
      return {
        Items: input.Select === 'COUNT' ? undefined : returned,
        Count: returned.length,
        ScannedCount: page.length,
        ...(last ? { LastEvaluatedKey: project(last, keyAttributes) } : {}),
      };
    },

    BatchWriteItem(input, { sandbox, account, region }) {
      const requests = Object.entries((input.RequestItems ?? {}) as Record<string, any[]>);
      const count = requests.reduce((n, [, r]) => n + r.length, 0);
      if (count === 0) throw validation('1 validation error detected: Value at \'requestItems\' failed to satisfy constraint: Member must have length greater than or equal to 1');
      if (count > 25) throw validation('Too many items requested for the BatchWriteItem call');
      const state = dynamoState(sandbox, account, region);
      for (const [name, writes] of requests) {
        const table = tableOf(state, name);
        for (const write of writes) {
          if (write.PutRequest) {
            const item = write.PutRequest.Item as Item;
            if (itemBytes(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
            table.items[keyOf(table, item)] = structuredClone(item);
          } else if (write.DeleteRequest) delete table.items[keyOf(table, write.DeleteRequest.Key, 'key')];
        }
      }
      return { UnprocessedItems: {} };
    },
  },
};
