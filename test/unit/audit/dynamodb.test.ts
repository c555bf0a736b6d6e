/** The DynamoDB audit store on the sandbox's DynamoDB, and the sandbox's own DynamoDB semantics. */
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { AuditConflictError, DynamoActionStore, resourceIdCandidates } from '../../../lib/audit/dynamodb.ts';
import { ensureSandboxAuditTables } from '../../../lib/audit/sandbox-tables.ts';
import { findingRecord } from '../../../lib/audit/store.ts';
import type { ActionRecord } from '../../../lib/engine/types.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const TABLE = 'trimtab-test-audit';

function setup() {
  const sandbox = emptySandbox({ clock: () => new Date('2026-11-01T00:00:00Z') });
  ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { auditTable: TABLE, idempotencyTable: 'trimtab-test-idempotency', ttlAttribute: 'expiresAt' });
  const env = envFor(sandbox, ['us-east-1']);
  const clients = env.clients.withWrites(true);
  const store = new DynamoActionStore({ tableName: TABLE, region: 'us-east-1', clients, retentionDays: 30 });
  return { sandbox, store, client: clients.get(DynamoDBClient, 'us-east-1') };
}

function record(id: string, at: string, overrides: Partial<ActionRecord> = {}): ActionRecord {
  return {
    id,
    findingId: `f-${id}`,
    policy: 'p1',
    resource: { type: 's3-bucket', id: `bucket-${id}`, arn: `arn:aws:s3:::bucket-${id}`, account: SANDBOX_ACCOUNT, region: 'us-east-1', tags: {} },
    action: 'add-lifecycle-rules',
    summary: 'Add a rule',
    params: { bucket: `bucket-${id}` },
    planHash: 'h1',
    mode: 'auto',
    actor: 'auto',
    status: 'planned',
    transitions: [{ status: 'planned', at }],
    before: { lifecycle: null, when: new Date(at) },
    estimatedMonthlySavingsUsd: 1.5,
    undo: { supported: 'yes', how: 'Delete it.' },
    ...overrides,
  };
}

describe('DynamoActionStore', () => {
  it('keeps the newest transition of a record and reads it back as plain JSON', async () => {
    // Prepare
    const { store } = setup();
    const r = record('a1', '2026-10-01T00:00:00.000Z');

    // Act
    await store.put(r);
    r.status = 'applied';
    r.transitions.push({ status: 'applied', at: '2026-10-01T00:00:01.000Z', detail: 'done' });
    await store.put(r);

    // Assess
    const back = await store.get('a1');
    expect(back!.transitions.map((t) => t.status)).toEqual(['planned', 'applied']);
    expect((back!.before as { when: string }).when).toBe('2026-10-01T00:00:00.000Z');
    expect(await store.get('nope')).toBeUndefined();
  });

  it('refuses to overwrite a newer state with an older one (a stale writer)', async () => {
    // Prepare
    const { store } = setup();
    const r = record('a1', '2026-10-01T00:00:00.000Z');
    const stale = structuredClone(r);
    r.status = 'verified';
    r.transitions.push({ status: 'applied', at: '2026-10-01T00:00:01.000Z' }, { status: 'verified', at: '2026-10-01T00:00:02.000Z' });
    await store.put(r);

    // Act
    const put = store.put(stale);

    // Assess
    await expect(put).rejects.toThrow(AuditConflictError);
    await expect(store.put(stale)).rejects.toThrow(/recorded as 'verified' by another writer/);
    expect((await store.get('a1'))!.status).toBe('verified');
  });

  it('answers every history filter with a Query on an index, never a Scan', async () => {
    // Prepare
    const { store, sandbox } = setup();
    await store.put(record('a1', '2026-10-01T00:00:00.000Z'));
    await store.put(record('a2', '2026-10-05T00:00:00.000Z', { policy: 'p2' }));
    await store.put(record('a3', '2026-10-09T00:00:00.000Z'));
    sandbox.resetCounters();

    // Act
    const all = await store.list();
    const byPolicy = await store.list({ policy: 'p1' });
    const byResource = await store.list({ resource: 'bucket-a2' });
    const byArn = await store.list({ resource: 'arn:aws:s3:::bucket-a3' });
    const since = await store.list({ since: new Date('2026-10-04T00:00:00Z') });
    const both = await store.list({ policy: 'p1', since: new Date('2026-10-04T00:00:00Z') });

    // Assess
    expect(all.map((r) => r.id)).toEqual(['a1', 'a2', 'a3']);
    expect(byPolicy.map((r) => r.id)).toEqual(['a1', 'a3']);
    expect(byResource.map((r) => r.id)).toEqual(['a2']);
    expect(byArn.map((r) => r.id)).toEqual(['a3']);
    expect(since.map((r) => r.id)).toEqual(['a2', 'a3']);
    expect(both.map((r) => r.id)).toEqual(['a3']);
    expect(Object.keys(sandbox.callsByOperation())).toEqual(['dynamodb:Query']);
  });

  it('writes findings in batches of 25 and sets the TTL from the retention', async () => {
    // Prepare
    const { store, sandbox } = setup();
    const at = new Date('2026-11-01T00:00:00Z');
    const findings = Array.from({ length: 60 }, (_, i) =>
      findingRecord(
        {
          id: `f${i}`, policy: i % 2 ? 'p1' : 'p2', detector: 'd', mode: 'dry-run', status: 'actionable', reason: 'r', evidence: { i },
          resource: { type: 's3-bucket', id: `b${i}`, arn: `arn:aws:s3:::b${i}`, account: SANDBOX_ACCOUNT, region: 'us-east-1', tags: {} },
          savings: { monthlyUsd: 2, basis: [] },
        },
        at,
      ),
    );

    // Act
    await store.putFindings(findings);

    // Assess
    expect(sandbox.callCount('dynamodb:BatchWriteItem')).toBe(3);
    expect(await store.listFindings()).toHaveLength(60);
    expect((await store.listFindings({ policy: 'p1' })).map((f) => f.id)).toHaveLength(30);
    expect((await store.listFindings({ resource: 'b7' })).map((f) => f.id)).toEqual(['f7']);
    const item = Object.values(sandbox.account(SANDBOX_ACCOUNT).regions['us-east-1'].dynamodb.tables[TABLE].items)[0] as any;
    expect(Number(item.expiresAt.N)).toBe(at.getTime() / 1000 + 30 * 86_400);
  });

  it('derives the ids an ARN may be indexed under', () => {
    expect(resourceIdCandidates('arn:aws:s3:::my-bucket')).toContain('my-bucket');
    expect(resourceIdCandidates('arn:aws:ec2:us-east-1:123456789012:snapshot/snap-0abc')).toContain('snap-0abc');
    expect(resourceIdCandidates('arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*')).toContain('/aws/lambda/x');
    expect(resourceIdCandidates('snap-1')).toEqual(['snap-1']);
  });
});

describe('sandbox DynamoDB', () => {
  it('evaluates Powertools-style condition expressions and returns the old item on failure', async () => {
    // Prepare
    const { client } = setup();
    const put = (status: string, expiry: number) =>
      client.send(
        new PutItemCommand({
          TableName: 'trimtab-test-idempotency',
          Item: { id: { S: 'k' }, status: { S: status }, expiration: { N: String(expiry) } },
          ConditionExpression: 'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#ipe) AND #ipe < :nowms)',
          ExpressionAttributeNames: { '#id': 'id', '#expiry': 'expiration', '#status': 'status', '#ipe': 'in_progress_expiration' },
          ExpressionAttributeValues: { ':now': { N: '1000' }, ':nowms': { N: '1000000' }, ':inprogress': { S: 'INPROGRESS' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    await put('COMPLETED', 5000);

    // Act
    const error = await put('INPROGRESS', 6000).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error.Item.status).toEqual({ S: 'COMPLETED' });
  });

  it('applies SET with arithmetic and if_not_exists, and rejects unused expression values', async () => {
    // Prepare
    const { client } = setup();
    const update = (extra: Record<string, any> = {}) =>
      client.send(
        new UpdateItemCommand({
          TableName: 'trimtab-test-idempotency',
          Key: { id: { S: 'c' } },
          UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one, #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':s': { S: 'x' }, ...extra },
          ReturnValues: 'ALL_NEW',
        }),
      );

    // Act
    await update();
    const second = await update();

    // Assess
    expect(second.Attributes).toMatchObject({ n: { N: '2' }, status: { S: 'x' } });
    await expect(update({ ':unused': { S: 'u' } })).rejects.toThrow(/unused in expressions/);
  });

  it('requires the partition key in a Query and pages with LastEvaluatedKey', async () => {
    // Prepare
    const { client, store } = setup();
    for (let i = 0; i < 5; i++) await store.put(record(`a${i}`, `2026-10-0${i + 1}T00:00:00.000Z`));

    // Act
    const page = await client.send(new QueryCommand({ TableName: TABLE, IndexName: 'byPolicy', KeyConditionExpression: 'byPolicyPk = :p', ExpressionAttributeValues: { ':p': { S: 'POLICY#p1#ACTION' } }, Limit: 2 }));
    const noKey = client.send(new QueryCommand({ TableName: TABLE, IndexName: 'byPolicy', KeyConditionExpression: 'byPolicySk > :s', ExpressionAttributeValues: { ':s': { S: '2' } } }));

    // Assess
    expect(page.Items).toHaveLength(2);
    expect(page.LastEvaluatedKey).toMatchObject({ pk: { S: 'ACTION#a1' }, sk: { S: 'ACTION' }, byPolicyPk: { S: 'POLICY#p1#ACTION' } });
    await expect(noKey).rejects.toThrow('Query condition missed key schema element: byPolicyPk');
  });
});
