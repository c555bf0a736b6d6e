/** The approval record only moves forward: every status update is conditional on the states it may follow. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { allowedFrom, DynamoApprovalStore, MAY_FOLLOW, MemoryApprovalStore, type ApprovalRecord, type ApprovalStatus } from '../../../lib/approval/store.ts';
import { applyApproved, recordFailure, recordNotApproved } from '../../../lib/approval/workflow.ts';
import { sealApproval } from '../../../lib/approval/seal.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { ensureSandboxTable } from '../../../lib/sandbox/services/dynamodb.ts';
import { CLOCK } from '../../approval-helpers.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const STATUSES = Object.keys(MAY_FOLLOW) as ApprovalStatus[];

const record = (status: ApprovalStatus, approvalId = 'apr-abc123def4'): ApprovalRecord => ({
  approvalId,
  status,
  createdAt: CLOCK().toISOString(),
  updatedAt: CLOCK().toISOString(),
  account: '123456789012',
  policy: { id: 'p1', resource: 's3-bucket', detector: { type: 'missing-abort-multipart-rule' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 } } as never,
  findings: [],
  approvers: ['oncall@example.com'],
  timeoutSeconds: 3600,
  ttl: 0,
});

/**
 * The approvals table as serverless.yml declares it (key approvalId), on the sandbox's DynamoDB.
 * Items are read back with the plain client: the sandbox answers in `finalizeRequest`, before
 * lib-dynamodb's output unmarshalling (a deserialize-step middleware) would run.
 */
function dynamoStore() {
  const sandbox = emptySandbox({ clock: CLOCK });
  ensureSandboxTable(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1', { name: 'trimtab-test-approvals', key: { pk: 'approvalId' } });
  const client = envFor(sandbox, ['us-east-1']).clients.withWrites(true).get(DynamoDBClient, 'us-east-1');
  const store = new DynamoApprovalStore('trimtab-test-approvals', client, CLOCK);
  const read = async (id: string) => unmarshall((await client.send(new GetItemCommand({ TableName: 'trimtab-test-approvals', Key: { approvalId: { S: id } }, ConsistentRead: true }))).Item!) as ApprovalRecord;
  return { store, read };
}

describe('the approval status transitions', () => {
  it('never lets a late writer move a fixed record back to not-approved (memory store)', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record('fixed'));

    // Act: what decide() used to write after a TaskTimedOut, unconditionally
    const moved = await store.update('apr-abc123def4', { status: 'not-approved', notApproved: { reason: 'timed-out', detail: 'late' } });

    // Assess
    expect(moved).toBe(false);
    const after = (await store.get('apr-abc123def4'))!;
    expect(after.status).toBe('fixed');
    expect(after.notApproved).toBeUndefined();
  });

  it('allows exactly the transitions in the table, for every pair of statuses (memory store)', async () => {
    const store = new MemoryApprovalStore(CLOCK);
    const refused: string[] = [];
    const allowed: string[] = [];
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        const id = `apr-${from.replace('-', '')}x${to.replace('-', '')}`.slice(0, 36).toLowerCase().replace(/[^a-z0-9-]/g, '');
        await store.create(record(from, id));
        const moved = await store.update(id, { status: to });
        (moved ? allowed : refused).push(`${from}→${to}`);
        expect((await store.get(id))!.status).toBe(moved ? to : from);
      }
    }
    expect(allowed.sort()).toEqual(STATUSES.flatMap((to) => MAY_FOLLOW[to].map((from) => `${from}→${to}`)).sort());
    for (const backwards of ['fixed→not-approved', 'fixed→waiting', 'not-approved→approved', 'failed→fixed', 'applying→waiting', 'approved→approved', 'fixed→failed']) {
      expect(refused).toContain(backwards);
    }
  });

  it('refuses a caller condition that the table does not allow, naming both statuses', () => {
    expect(() => allowedFrom({ status: 'waiting' }, ['fixed'])).toThrow("An approval cannot move from 'fixed' to 'waiting' (allowed from: recorded, waiting, approved, rejected).");
    expect(allowedFrom({ status: 'approved' })).toEqual(['waiting']);
    expect(allowedFrom({}, undefined)).toBeUndefined();
  });

  it('puts the same rule into the DynamoDB ConditionExpression: fixed → not-approved is refused by the table itself', async () => {
    // Prepare
    const { store, read } = dynamoStore();
    await store.create(record('fixed'));

    // Act
    const moved = await store.update('apr-abc123def4', { status: 'not-approved' });
    const forward = await store.update('apr-abc123def4', { status: 'fixed', verification: { verified: 2, failed: 0 } });

    // Assess
    expect(moved).toBe(false);
    expect(forward).toBe(true);
    const after = await read('apr-abc123def4');
    expect(after.status).toBe('fixed');
    expect(after.verification).toEqual({ verified: 2, failed: 0 });
  });

  it('updates a field that is not the status without naming #status (DynamoDB refuses unused expression names)', async () => {
    const { store, read } = dynamoStore();
    await store.create(record('waiting'));

    const ok = await store.update('apr-abc123def4', { notified: ['oncall@example.com'] });

    expect(ok).toBe(true);
    expect((await read('apr-abc123def4')).notified).toEqual(['oncall@example.com']);
  });

  it('moves a DynamoDB record through the whole approved path, one step at a time, and never back', async () => {
    const { store, read } = dynamoStore();
    await store.create(record('requested'));
    const path: ApprovalStatus[] = ['recorded', 'waiting', 'approved', 'applying', 'applied', 'fixed'];
    const results: boolean[] = [];
    for (const status of path) results.push(await store.update('apr-abc123def4', { status }));
    const back = await Promise.all((['waiting', 'approved', 'not-approved', 'applying'] as const).map((status) => store.update('apr-abc123def4', { status })));

    expect(results).toEqual(path.map(() => true));
    expect(back).toEqual([false, false, false, false]);
    expect((await read('apr-abc123def4')).status).toBe('fixed');
  });
});

describe('the workflow steps under the transition table', () => {
  const deps = (store: MemoryApprovalStore) => ({ store, mailer: { send: async () => ({ messageId: 'x' }) }, secret: async () => 'x'.repeat(32), baseUrl: 'https://a.example', now: CLOCK, engine: {} as never });
  const approved = { decision: 'approve' as const, actor: 'oncall@example.com', at: CLOCK().toISOString(), excluded: [], via: 'link' as const };
  const action = { findingId: 'f1', actionId: 'act-1', resourceId: 'acme-web', region: 'us-east-1', status: 'verified' as const, detail: 'done', undo: { supported: 'yes' as const, how: 'x' } };

  it('answers a retried Apply whose first run finished with what it did, and acts on nothing', async () => {
    const store = new MemoryApprovalStore(CLOCK);
    await store.create({ ...record('applied'), decision: approved, actions: [action], seal: sealApproval(record('applied'), 'x'.repeat(32)) });

    const result = await applyApproved(deps(store), { approvalId: 'apr-abc123def4' });

    expect(result).toEqual({ approvalId: 'apr-abc123def4', applied: 1, failed: 0, waitUntil: null, more: false });
    expect((await store.get('apr-abc123def4'))!.status).toBe('applied');
  });

  it('does not record "not approved" over a record that is being applied, and says why', async () => {
    const store = new MemoryApprovalStore(CLOCK);
    await store.create({ ...record('applying'), decision: approved });

    await expect(recordNotApproved(deps(store), { approvalId: 'apr-abc123def4', error: { Error: 'States.Timeout' } })).rejects.toThrow("Approval apr-abc123def4 is 'applying'; it cannot be recorded as not approved.");
    expect((await store.get('apr-abc123def4'))!.status).toBe('applying');
  });

  it('keeps a fixed outcome when a later step fails, and keeps the error beside it', async () => {
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record('fixed'));

    await recordFailure(deps(store), { approvalId: 'apr-abc123def4', error: { Error: 'ThrottlingException', Cause: 'Maximum sending rate exceeded.' } });

    const after = (await store.get('apr-abc123def4'))!;
    expect(after.status).toBe('fixed');
    expect(after.error).toEqual({ Error: 'ThrottlingException', Cause: 'Maximum sending rate exceeded.' });
  });
});
