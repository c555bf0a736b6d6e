/**
 * The action's claim and its first record as one TransactWriteItems (lib/audit/idempotency.ts
 * ClaimWithRecordLayer), on the deployed tables in the sandbox's DynamoDB: all or nothing, and the same
 * key still blocks (and is blocked by) a plain Powertools claim, as the sweep and approvals make it.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditConflictError } from '../../../lib/audit/dynamodb.ts';
import { dynamoIdempotency } from '../../../lib/audit/idempotency.ts';
import { ensureSandboxAuditTables } from '../../../lib/audit/sandbox-tables.ts';
import { createAudit } from '../../../lib/audit/setup.ts';
import { MemoryActionStore } from '../../../lib/audit/store.ts';
import { AwsClients } from '../../../lib/aws/clients.ts';
import type { ActionRecord } from '../../../lib/engine/types.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../../lib/sandbox/sandbox.ts';
import { ActionInProgressError } from '../../../lib/util/errors.ts';
import { emptySandbox } from '../../helpers.ts';

const TABLES = { auditTable: 'trimtab-t-audit', idempotencyTable: 'trimtab-t-idempotency', ttlAttribute: 'expiresAt', retentionDays: 30 };
const key = { policy: 'asg-raise', resource: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/acme-api', planHash: 'h1' };

const opened: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function planned(id: string, status: ActionRecord['status'] = 'planned', transitions = 1): ActionRecord {
  return {
    id,
    findingId: 'f1',
    policy: key.policy,
    resource: { type: 'asg', id: 'acme-api', arn: key.resource, account: SANDBOX_ACCOUNT, region: 'us-east-1' },
    action: 'raise-target',
    summary: 'raise the target',
    params: {},
    planHash: key.planHash,
    mode: 'auto',
    actor: 'alarm:acme-api-low-cpu',
    status,
    transitions: Array.from({ length: transitions }, (_, i) => ({ status: i === 0 ? 'planned' : status, at: `2026-11-01T00:00:0${i}.000Z` })),
    before: null,
    estimatedMonthlySavingsUsd: 10,
    undo: { supported: 'yes', how: 'set the target back' },
  } as unknown as ActionRecord;
}

function setup() {
  const sandbox = emptySandbox({ clock: () => new Date('2026-11-01T00:00:00Z') });
  opened.push(sandbox);
  ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', TABLES);
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: true, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  const audit = createAudit({ clients, region: 'us-east-1', settings: TABLES, fallbackStore: () => new MemoryActionStore() });
  audit.pending.open();
  // The sweep's and the approvals' idempotency: Powertools' own layer, a plain conditional PutItem per claim.
  const plain = dynamoIdempotency({ tableName: TABLES.idempotencyTable, region: 'us-east-1', clients });
  const items = async (table: string) => (await clients.get(DynamoDBClient, 'us-east-1').send(new ScanCommand({ TableName: table }))).Items ?? [];
  return { sandbox, audit, plain, items };
}

describe('the action claim and its first record in one transaction', () => {
  it('writes the claim and the planned record in one TransactWriteItems, and tells the work the record is stored', async () => {
    // Prepare
    const { sandbox, audit, items } = setup();
    const record = planned('act-1');
    const told: boolean[] = [];

    // Act
    const out = await audit.idempotency.once(key, async ({ recorded }) => (told.push(recorded), { record, keep: true }), { record, store: audit.store });
    await audit.pending.settle();

    // Assess
    expect(out).toEqual({ record, replayed: false });
    expect(told).toEqual([true]);
    expect(sandbox.successfulWrites('dynamodb:TransactWriteItems')).toHaveLength(1);
    expect(sandbox.successfulWrites('dynamodb:PutItem')).toEqual([]);
    expect((await audit.store.get('act-1'))?.status).toBe('planned');
    expect((await items(TABLES.idempotencyTable)).map((i) => [i.id.S?.split('#')[0], i.status.S])).toEqual([['trimtab-action', 'COMPLETED']]);
  });

  it('refuses, naming the action and the key, when the record was already written by another writer; nothing is written and the work never runs', async () => {
    // Prepare: the same action id already recorded further along (a stale writer must not overwrite it).
    const { audit, items } = setup();
    await audit.store.put(planned('act-1', 'applied', 2));
    let ran = false;

    // Act
    const out = audit.idempotency.once(key, async () => ((ran = true), { record: planned('act-1'), keep: true }), { record: planned('act-1'), store: audit.store });

    // Assess
    const error = await out.catch((e: Error) => e);
    expect(error).toBeInstanceOf(AuditConflictError);
    expect((error as Error).message).toMatch(
      /^Action act-1 was recorded as 'applied' by another writer after this one read it; not overwriting it with 'planned'\. Check 'trimtab history --resource acme-api'\. Nothing was written: the claim of idempotency key trimtab-action#\S+ was in the same transaction\.$/,
    );
    expect(ran).toBe(false);
    expect(await items(TABLES.idempotencyTable)).toEqual([]);
    expect((await audit.store.get('act-1'))?.status).toBe('applied');
  });

  it('replays what the sweep did under the same key, writing no record, when the sweep claimed it with a plain PutItem first', async () => {
    // Prepare
    const { audit, plain, items } = setup();
    await plain.once(key, async () => ({ record: planned('act-sweep', 'verified', 3), keep: true }));
    let ran = false;

    // Act
    const out = await audit.idempotency.once(key, async () => ((ran = true), { record: planned('act-alarm'), keep: true }), { record: planned('act-alarm'), store: audit.store });

    // Assess
    expect(out.replayed).toBe(true);
    expect(out.record.id).toBe('act-sweep');
    expect(ran).toBe(false);
    expect(await audit.store.get('act-alarm')).toBeUndefined();
    expect(await items(TABLES.auditTable)).toEqual([]);
  });

  it('blocks a plain claim of the same key while the transaction\'s claim is in progress', async () => {
    // Prepare: the alarm path holds the key (claimed in its transaction) and has not finished.
    const { audit, plain } = setup();
    let finish!: () => void;
    const holding = audit.idempotency.once(key, () => new Promise((resolve) => (finish = () => resolve({ record: planned('act-alarm'), keep: true }))), { record: planned('act-alarm'), store: audit.store });
    while (!finish) await new Promise((r) => setTimeout(r, 5));

    // Act
    const sweep = plain.once(key, async () => ({ record: planned('act-sweep'), keep: true }));

    // Assess
    await expect(sweep).rejects.toThrow(ActionInProgressError);
    finish();
    expect((await holding).record.id).toBe('act-alarm');
  });

  it('claims alone (a plain PutItem) when the engine records in another store than the audit table it was made with', async () => {
    // Prepare
    const { sandbox, audit } = setup();
    const told: boolean[] = [];

    // Act
    await audit.idempotency.once(key, async ({ recorded }) => (told.push(recorded), { record: planned('act-1'), keep: true }), { record: planned('act-1'), store: new MemoryActionStore() });

    // Assess
    expect(told).toEqual([false]);
    expect(sandbox.successfulWrites('dynamodb:TransactWriteItems')).toEqual([]);
    expect(sandbox.successfulWrites('dynamodb:PutItem')).toHaveLength(1);
  });
});
