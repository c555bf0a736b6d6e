/**
 * The DynamoDB remediators against a scripted DynamoDB / Application Auto Scaling
 * (test/unit/resources/fake-aws.ts): the apply-time re-checks (trimtab:skip, protection, another table,
 * another state), the exact writes, AWS's refusals, verify and undo. Written for the mutation score of
 * lib/resources/dynamodb-table/remediators.ts (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../lib/engine/types.ts';
import { identityOf, lowerProvisioned, nextDecreaseAllowed, raiseMax, raiseTarget, setTableClass, switchToOnDemand, tableAction } from '../../../../lib/resources/dynamodb-table/remediators.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, recordOf, type Handlers } from '../fake-aws.ts';

const NAME = 'orders';
const ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders';
const CREATED = '2026-01-01T00:00:00.000Z';
const IDENTITY = { arn: ARN, createdAt: CREATED };
const WRITES = ['UpdateTable', 'PutScalingPolicy', 'RegisterScalableTarget'];
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const plan = <P>(params: P) => ({ kind: 'change', summary: 's', undo: 'u', params }) as unknown as Plan<P>;

/** DescribeTable's answer: a provisioned 10/5 ACTIVE STANDARD table unless overridden. */
function table(extra: Record<string, unknown> = {}) {
  return {
    TableName: NAME,
    TableArn: ARN,
    TableStatus: 'ACTIVE',
    CreationDateTime: new Date(CREATED),
    BillingModeSummary: { BillingMode: 'PROVISIONED' },
    ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5, NumberOfDecreasesToday: 0 },
    TableClassSummary: { TableClass: 'STANDARD' },
    ...extra,
  };
}
const onDemand = (extra: Record<string, unknown> = {}) => table({ BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' }, ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 }, ...extra });

function aws(t: Record<string, unknown> | null = table(), over: Handlers = {}, tags: Array<{ Key: string; Value: string }> = [{ Key: 'team', Value: 'a' }]) {
  return fakeAws({
    DescribeTable: () => {
      if (!t) throw awsError('ResourceNotFoundException');
      return { Table: t };
    },
    ListTagsOfResource: () => ({ Tags: tags }),
    UpdateTable: () => ({}),
    ...over,
  });
}

describe('tableAction: the apply-time re-checks every DynamoDB action opens with', () => {
  it('refuses a plan without a table identity before reading anything', async () => {
    const a = aws();
    const err = await caught(tableAction(a.ctx, NAME, { identity: undefined }));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err!.message).toBe('the plan for orders names no table identity (ARN): it was made before trimtab bound plans to the table; scan again. Nothing was changed');
    expect(a.ops()).toEqual([]);
  });

  it('refuses a table tagged trimtab:skip since the finding, and writes nothing', async () => {
    // Prepare: the tag was added after the scan that made the finding
    const a = aws(table(), {}, [{ Key: 'trimtab:skip', Value: '' }]);
    // Act
    const err = await caught(switchToOnDemand.apply(a.ctx, plan({ tableName: NAME, table: IDENTITY, from: { billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, indexes: [] } }), undefined as never));
    // Assess
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err!.message).toBe('orders is now tagged trimtab:skip; nothing was changed');
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeTable', { TableName: NAME }],
      ['ListTagsOfResource', { ResourceArn: ARN }],
    ]);
  });

  it('refuses a table that became a global table, naming the protection', async () => {
    const a = aws(table({ Replicas: [{ RegionName: 'eu-west-1' }] }));
    const err = await caught(tableAction(a.ctx, NAME, { identity: IDENTITY }));
    expect(err!.message).toBe('orders: global table (replicas in eu-west-1): billing mode, capacity and class changes apply across replicas; a person decides; nothing was changed');
  });

  it('refuses another table under the same ARN name and a table re-created since the plan', async () => {
    const other = await caught(tableAction(aws(table({ TableArn: 'arn:other' })).ctx, NAME, { identity: IDENTITY }));
    expect(other).toBeInstanceOf(ProtectedResourceError);
    expect(other!.message).toBe(`orders is not the table the plan was made on (ARN arn:other, planned ${ARN}); nothing was changed`);
    const recreated = await caught(tableAction(aws(table({ CreationDateTime: new Date('2026-06-01T00:00:00Z') })).ctx, NAME, { identity: IDENTITY }));
    expect(recreated!.message).toBe(`orders is not the table the plan was made on (created 2026-06-01T00:00:00.000Z, planned ${CREATED}: a table re-created under the same name); nothing was changed`);
    const both = await caught(tableAction(aws(table({ TableArn: 'arn:other', CreationDateTime: new Date('2026-06-01T00:00:00Z') })).ctx, NAME, { identity: IDENTITY }));
    expect(both!.message).toBe(`orders is not the table the plan was made on (ARN arn:other, planned ${ARN}; created 2026-06-01T00:00:00.000Z, planned ${CREATED}: a table re-created under the same name); nothing was changed`);
    const unknown = await caught(tableAction(aws(table({ CreationDateTime: undefined })).ctx, NAME, { identity: IDENTITY }));
    expect(unknown!.message).toBe(`orders is not the table the plan was made on (created at an unknown time, planned ${CREATED}: a table re-created under the same name); nothing was changed`);
  });

  it('accepts the planned table when the plan recorded no creation time, and returns it with its tags', async () => {
    const out = await tableAction(aws(table()).ctx, NAME, { identity: { arn: ARN } });
    expect(out.table!.tags).toEqual({ team: 'a' });
    expect(out.table!.arn).toBe(ARN);
    expect(out.done).toBeUndefined();
    expect(out.gone).toBeUndefined();
  });

  it('names every state difference from the plan (billing mode, capacity, class)', async () => {
    const err = await caught(tableAction(aws(onDemand({ TableClassSummary: { TableClass: 'STANDARD_INFREQUENT_ACCESS' } })).ctx, NAME, { identity: IDENTITY, state: { billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, tableClass: 'STANDARD' } }));
    expect(err!.message).toBe('orders changed since the plan (billing mode PAY_PER_REQUEST, planned PROVISIONED; 0 RCU / 0 WCU, planned 10 / 5; class STANDARD_INFREQUENT_ACCESS, planned STANDARD); nothing was changed');
  });

  it('refuses a change of write capacity alone', async () => {
    const err = await caught(tableAction(aws(table({ ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 6 } })).ctx, NAME, { identity: IDENTITY, state: { readCapacity: 10, writeCapacity: 5 } }));
    expect(err!.message).toBe('orders changed since the plan (10 RCU / 6 WCU, planned 10 / 5); nothing was changed');
  });

  it('accepts a table in exactly the planned state', async () => {
    const out = await tableAction(aws().ctx, NAME, { identity: IDENTITY, state: { billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, tableClass: 'STANDARD' } });
    expect(out.table!.readCapacity).toBe(10);
    expect(out.done).toBeUndefined();
  });

  it('reports a table that is gone without reading its tags', async () => {
    const a = aws(null);
    expect(await tableAction(a.ctx, NAME, { identity: IDENTITY })).toEqual({ gone: true });
    expect(a.ops()).toEqual(['DescribeTable']);
  });
});

describe('nextDecreaseAllowed', () => {
  const now = new Date('2026-11-01T10:30:00Z');
  it('blocks a fifth decrease within the hour after the day\'s fourth, until an hour after the last', () => {
    expect(nextDecreaseAllowed({ decreasesToday: 4, lastDecrease: '2026-11-01T10:00:00Z' }, now)?.toISOString()).toBe('2026-11-01T11:00:00.000Z');
  });
  it('allows it when the last decrease is an hour old, when fewer than four were made, or when the count is from yesterday', () => {
    expect(nextDecreaseAllowed({ decreasesToday: 4, lastDecrease: '2026-11-01T09:30:00Z' }, now)).toBeUndefined();
    expect(nextDecreaseAllowed({ decreasesToday: 3, lastDecrease: '2026-11-01T10:00:00Z' }, now)).toBeUndefined();
    expect(nextDecreaseAllowed({ decreasesToday: 9, lastDecrease: '2026-10-31T23:59:00Z' }, new Date('2026-11-01T00:30:00Z'))).toBeUndefined();
    expect(nextDecreaseAllowed({ decreasesToday: 4 }, now)).toBeUndefined();
  });
  it('counts a decrease made exactly at midnight UTC as today\'s', () => {
    expect(nextDecreaseAllowed({ decreasesToday: 4, lastDecrease: '2026-11-01T00:00:00Z' }, new Date('2026-11-01T00:30:00Z'))?.toISOString()).toBe('2026-11-01T01:00:00.000Z');
  });
  it('allows it exactly an hour after the last', () => {
    expect(nextDecreaseAllowed({ decreasesToday: 4, lastDecrease: '2026-11-01T09:30:00Z' }, now)).toBeUndefined();
    expect(nextDecreaseAllowed({ decreasesToday: 4, lastDecrease: '2026-11-01T09:30:00.001Z' }, now)?.toISOString()).toBe('2026-11-01T10:30:00.001Z');
  });
});

const modeParams = (indexes: Array<{ name: string; readCapacity: number; writeCapacity: number }> = []) => ({ tableName: NAME, table: IDENTITY, from: { billingMode: 'PROVISIONED' as const, readCapacity: 10, writeCapacity: 5, tableClass: 'STANDARD' as const, indexes } });

describe('switch-to-on-demand', () => {
  it('plans the switch with the indexes counted and the saving', () => {
    const finding = { resource: { arn: ARN }, evidence: { monthly: { provisionedNow: 20, onDemand: 5.5 } }, before: { table: { name: NAME, arn: ARN, createdAt: CREATED, billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, tableClass: 'STANDARD', indexes: [{ name: 'i1', readCapacity: 1, writeCapacity: 1 }] } } } as never;
    const p = switchToOnDemand.plan(finding, {}, {} as never);
    expect(p).toEqual({
      kind: 'change',
      summary: 'Switch orders from provisioned (10 RCU / 5 WCU, 1 index) to on-demand. $14.5/month less.',
      params: { tableName: NAME, table: IDENTITY, from: { billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, tableClass: 'STANDARD', indexes: [{ name: 'i1', readCapacity: 1, writeCapacity: 1 }] } },
      undo: "trimtab undo switches it back to provisioned at 10 RCU / 5 WCU (and the indexes' recorded units): AWS allows on-demand → provisioned at any time, once the table is ACTIVE again. Auto scaling settings made through the API are kept by AWS.",
      savings: { monthlyUsd: 14.5, basis: ['Provisioned $20/month → on-demand at the measured use $5.5/month.'] },
    });
    const two = switchToOnDemand.plan({ resource: {}, evidence: {}, before: { table: { name: NAME, arn: ARN, billingMode: 'PROVISIONED', readCapacity: 1, writeCapacity: 1, indexes: [{ name: 'a' }, { name: 'b' }] } } } as never, {}, {} as never);
    expect(two.kind === 'change' && two.summary).toBe('Switch orders from provisioned (1 RCU / 1 WCU, 2 indexes) to on-demand.');
    expect(two.kind === 'change' && 'savings' in two).toBe(false);
    expect(switchToOnDemand.plan({ resource: {}, evidence: {}, before: { table: { name: NAME, billingMode: 'PAY_PER_REQUEST', indexes: [] } } } as never, {}, {} as never)).toEqual({ kind: 'noop', reason: 'orders is already on-demand' });
  });

  it('writes BillingMode PAY_PER_REQUEST after the re-checks and records when', async () => {
    const a = aws();
    const out = await switchToOnDemand.apply(a.ctx, plan(modeParams()), undefined as never);
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ TableName: NAME, BillingMode: 'PAY_PER_REQUEST' }]);
    expect(out.after).toEqual({ billingMode: 'PAY_PER_REQUEST', switchedAt: '2026-11-01T00:00:00.000Z' });
    expect(out.detail).toBe('orders: switch to on-demand started (UPDATING for a few minutes; the table keeps serving)');
    expect((out.before as { name: string }).name).toBe(NAME);
  });

  it('refuses a table whose capacity changed since the plan, writing nothing', async () => {
    const a = aws(table({ ProvisionedThroughput: { ReadCapacityUnits: 20, WriteCapacityUnits: 5 } }));
    const err = await caught(switchToOnDemand.apply(a.ctx, plan(modeParams()), undefined as never));
    expect(err!.message).toBe('orders changed since the plan (20 RCU / 5 WCU, planned 10 / 5); nothing was changed');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a table whose class changed since the plan', async () => {
    const a = aws(table({ TableClassSummary: { TableClass: 'STANDARD_INFREQUENT_ACCESS' } }));
    const err = await caught(switchToOnDemand.apply(a.ctx, plan(modeParams()), undefined as never));
    expect(err!.message).toBe('orders changed since the plan (class STANDARD_INFREQUENT_ACCESS, planned STANDARD); nothing was changed');
  });

  it('does not check the class when the plan recorded none', async () => {
    const a = aws(table({ TableClassSummary: { TableClass: 'STANDARD_INFREQUENT_ACCESS' } }));
    const p = modeParams();
    const out = await switchToOnDemand.apply(a.ctx, plan({ ...p, from: { ...p.from, tableClass: undefined } }), undefined as never);
    expect(a.writes('UpdateTable')).toHaveLength(1);
    expect((out.after as { switchedAt: string }).switchedAt).toBe('2026-11-01T00:00:00.000Z');
  });

  it('counts an already on-demand table or a gone one as done, writing nothing', async () => {
    const a = aws(onDemand());
    const out = await switchToOnDemand.apply(a.ctx, plan(modeParams()), undefined as never);
    expect(out.after).toEqual({ billingMode: 'PAY_PER_REQUEST', alreadyOnDemand: true });
    expect(out.detail).toBe('orders is already on-demand');
    expect((out.before as { billingMode: string }).billingMode).toBe('PAY_PER_REQUEST');
    expect(a.writes(...WRITES)).toEqual([]);
    const g = aws(null);
    expect(await switchToOnDemand.apply(g.ctx, plan(modeParams()), undefined as never)).toEqual({ after: { billingMode: 'PAY_PER_REQUEST', alreadyGone: true }, detail: 'orders no longer exists: counts as done' });
  });

  it('counts a table deleted between the re-read and the write as done', async () => {
    const a = aws(table(), { UpdateTable: () => { throw awsError('ResourceNotFoundException'); } });
    expect(await switchToOnDemand.apply(a.ctx, plan(modeParams()), undefined as never)).toEqual({ after: { billingMode: 'PAY_PER_REQUEST', alreadyGone: true }, detail: 'orders vanished: counts as done' });
  });

  it('turns AWS\'s switch limit and a busy table into clear refusals, and passes other errors through', async () => {
    const limit = await caught(switchToOnDemand.apply(aws(table(), { UpdateTable: () => { throw awsError('LimitExceededException', 'four a day'); } }).ctx, plan(modeParams()), undefined as never));
    expect(limit).toBeInstanceOf(ProtectedResourceError);
    expect(limit!.message).toBe('AWS refused the switch to on-demand (AWS allows four in a rolling 24 hours) on orders (LimitExceededException: four a day); nothing was changed. A later run retries.');
    expect((limit as Error & { cause: Error }).cause.name).toBe('LimitExceededException');
    const busy = await caught(switchToOnDemand.apply(aws(table(), { UpdateTable: () => { throw awsError('ResourceInUseException', 'updating'); } }).ctx, plan(modeParams()), undefined as never));
    expect(busy!.message).toBe('orders is being updated (ResourceInUseException: updating); the switch to on-demand (AWS allows four in a rolling 24 hours) was not made. Try again when DescribeTable shows it ACTIVE (usually minutes).');
    expect((busy as Error & { cause: Error }).cause.message).toBe('updating');
    const other = await caught(switchToOnDemand.apply(aws(table(), { UpdateTable: () => { throw awsError('AccessDeniedException'); } }).ctx, plan(modeParams()), undefined as never));
    expect(other).not.toBeInstanceOf(ProtectedResourceError);
    expect(other!.name).toBe('AccessDeniedException');
  });

  it('verifies on-demand, still provisioned, disappeared and gone', async () => {
    const applied = { after: { billingMode: 'PAY_PER_REQUEST' } } as never;
    expect(await switchToOnDemand.verify(aws(onDemand({ TableStatus: 'UPDATING' })).ctx, plan(modeParams()), applied)).toEqual({ ok: true, detail: 'orders is on-demand (UPDATING)' });
    expect(await switchToOnDemand.verify(aws(table()).ctx, plan(modeParams()), applied)).toEqual({ ok: false, detail: 'orders is still PROVISIONED' });
    expect(await switchToOnDemand.verify(aws(null).ctx, plan(modeParams()), applied)).toEqual({ ok: false, detail: 'orders disappeared after the switch' });
    const g = aws(null);
    expect(await switchToOnDemand.verify(g.ctx, plan(modeParams()), { after: { billingMode: 'PAY_PER_REQUEST', alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'orders is gone' });
    expect(g.ops()).toEqual([]);
  });

  it('undoes to the recorded capacity and only the indexes that still exist', async () => {
    const a = aws(onDemand({ GlobalSecondaryIndexes: [{ IndexName: 'i1' }, { IndexName: 'i3' }] }));
    const rec = recordOf('dynamodb-table', NAME, 'switch-to-on-demand', modeParams([{ name: 'i1', readCapacity: 3, writeCapacity: 2 }, { name: 'i2', readCapacity: 4, writeCapacity: 4 }]), {}, { billingMode: 'PAY_PER_REQUEST', switchedAt: 'x' });
    const out = await switchToOnDemand.undo!(a.ctx, rec);
    expect(a.writes('UpdateTable').map((c) => c.input)).toEqual([{ TableName: NAME, BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 }, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'i1', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 2 } } }] }]);
    expect(out).toEqual({ detail: 'orders: switch back to provisioned at 10 RCU / 5 WCU started.', after: { billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5 } });
  });

  it('undoes without index updates when none of the recorded indexes exists', async () => {
    const a = aws(onDemand({ GlobalSecondaryIndexes: [{ IndexName: 'i3' }] }));
    await switchToOnDemand.undo!(a.ctx, recordOf('dynamodb-table', NAME, 'x', modeParams([{ name: 'i1', readCapacity: 3, writeCapacity: 2 }]), {}, { billingMode: 'PAY_PER_REQUEST' }));
    expect(a.writes('UpdateTable').map((c) => c.input)).toEqual([{ TableName: NAME, BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 } }]);
  });

  it('refuses to undo what trimtab did not switch, a gone, switched-back or busy table, and AWS\'s refusal', async () => {
    const undo = (t: Record<string, unknown> | null, after: unknown, over: Handlers = {}) => {
      const a = aws(t, over);
      return caught(switchToOnDemand.undo!(a.ctx, recordOf('dynamodb-table', NAME, 'x', modeParams(), {}, after))).then((e) => ({ e: e!, writes: a.writes('UpdateTable').length }));
    };
    expect((await undo(onDemand(), { alreadyGone: true })).e.message).toBe('trimtab did not switch orders (it was gone); nothing to undo.');
    expect((await undo(onDemand(), { alreadyOnDemand: true })).e.message).toBe('trimtab did not switch orders (it was already on-demand); nothing to undo.');
    expect((await undo(onDemand(), undefined)).e.message).toBe('trimtab did not switch orders (it was already on-demand); nothing to undo.');
    expect((await undo(null, { billingMode: 'PAY_PER_REQUEST' })).e.message).toBe('orders no longer exists.');
    expect((await undo(table(), { billingMode: 'PAY_PER_REQUEST' })).e.message).toBe('orders is already PROVISIONED (someone switched it back): not undone.');
    const busy = await undo(onDemand({ TableStatus: 'UPDATING' }), { billingMode: 'PAY_PER_REQUEST' });
    expect(busy.e).toBeInstanceOf(UndoRefusedError);
    expect(busy.e.message).toBe('orders is UPDATING: AWS refuses UpdateTable until it is ACTIVE (usually minutes after the switch). Nothing was changed; try the undo again then.');
    expect(busy.writes).toBe(0);
    const refused = await undo(onDemand(), { billingMode: 'PAY_PER_REQUEST' }, { UpdateTable: () => { throw awsError('ResourceInUseException', 'busy'); } });
    expect(refused.e).toBeInstanceOf(UndoRefusedError);
    expect(refused.e.message).toBe('orders is being updated (ResourceInUseException: busy); the switch back to provisioned was not made. Try again when DescribeTable shows it ACTIVE (usually minutes).');
    const other = await undo(onDemand(), { billingMode: 'PAY_PER_REQUEST' }, { UpdateTable: () => { throw awsError('InternalServerError'); } });
    expect(other.e.name).toBe('InternalServerError');
  });
});

const lowerParams = { tableName: NAME, table: IDENTITY, from: { read: 10, write: 5 }, to: { read: 4, write: 2 } };

describe('lower-provisioned', () => {
  const before = (extra: Record<string, unknown> = {}, scaling = {}) => ({ resource: { arn: ARN }, evidence: { monthly: { provisionedNow: 12, lowerProvisioned: 4.25 } }, before: { table: { name: NAME, arn: ARN, createdAt: CREATED, billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, ...extra }, target: { read: 4, write: 2 }, scaling } }) as never;

  it('plans the lower capacity with the saving, and refuses what auto scaling manages', () => {
    expect(lowerProvisioned.plan(before(), {}, {} as never)).toEqual({
      kind: 'change',
      summary: 'Lower orders from 10 RCU / 5 WCU to 4 RCU / 2 WCU. $7.75/month less.',
      params: lowerParams,
      undo: 'trimtab undo raises it back to 10 RCU / 5 WCU (increases are allowed at any time, once the table is ACTIVE).',
      savings: { monthlyUsd: 7.75, basis: ['Provisioned $12/month → $4.25/month.'] },
    });
    expect(lowerProvisioned.plan(before({}, { write: { minCapacity: 1, maxCapacity: 9 } }), {}, {} as never)).toEqual({ kind: 'conflict', reason: "Application Auto Scaling manages orders's write capacity and would move it back: lower the scalable target's MinCapacity, or switch to on-demand." });
    expect(lowerProvisioned.plan(before({ readCapacity: 4, writeCapacity: 2 }), {}, {} as never)).toEqual({ kind: 'noop', reason: 'orders is already at or below 4 RCU / 2 WCU' });
    expect(lowerProvisioned.plan(before({ billingMode: 'PAY_PER_REQUEST' }), {}, {} as never)).toEqual({ kind: 'noop', reason: 'orders has no provisioned capacity to lower' });
  });

  it('lowers one dimension only and never raises the other', () => {
    const p = lowerProvisioned.plan(before({ writeCapacity: 1 }), {}, {} as never);
    expect(p.kind === 'change' && p.params.to).toEqual({ read: 4, write: 1 });
  });

  it('writes the planned capacity after the re-checks', async () => {
    const a = aws();
    const out = await lowerProvisioned.apply(a.ctx, plan(lowerParams), undefined as never);
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ TableName: NAME, ProvisionedThroughput: { ReadCapacityUnits: 4, WriteCapacityUnits: 2 } }]);
    expect(out.after).toEqual({ read: 4, write: 2 });
    expect(out.detail).toBe('orders: capacity lowered to 4 RCU / 2 WCU');
    expect((out.before as { readCapacity: number }).readCapacity).toBe(10);
  });

  it('refuses a table tagged trimtab:skip since the finding and one whose capacity moved, writing nothing', async () => {
    const skip = aws(table(), {}, [{ Key: 'trimtab:skip', Value: 'yes' }]);
    expect((await caught(lowerProvisioned.apply(skip.ctx, plan(lowerParams), undefined as never)))!.message).toBe('orders is now tagged trimtab:skip; nothing was changed');
    const moved = aws(table({ ProvisionedThroughput: { ReadCapacityUnits: 12, WriteCapacityUnits: 5 } }));
    expect((await caught(lowerProvisioned.apply(moved.ctx, plan(lowerParams), undefined as never)))!.message).toBe('orders changed since the plan (12 RCU / 5 WCU, planned 10 / 5); nothing was changed');
    const switched = aws(onDemand());
    expect((await caught(lowerProvisioned.apply(switched.ctx, plan(lowerParams), undefined as never)))!.message).toBe('orders changed since the plan (billing mode PAY_PER_REQUEST, planned PROVISIONED; 0 RCU / 0 WCU, planned 10 / 5); nothing was changed');
    expect([...skip.writes(...WRITES), ...moved.writes(...WRITES), ...switched.writes(...WRITES)]).toEqual([]);
  });

  it('refuses a decrease AWS would refuse, naming when it is allowed, writing nothing', async () => {
    // Prepare: the sandbox clock is at 2026-11-01T00:00Z; the day's fourth decrease was made right then
    const a = aws(table({ ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5, NumberOfDecreasesToday: 4, LastDecreaseDateTime: new Date('2026-11-01T00:00:00Z') } }));
    a.clock.advance(60_000);
    // Act
    const err = await caught(lowerProvisioned.apply(a.ctx, plan(lowerParams), undefined as never));
    // Assess
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err!.message).toBe('orders had 4 capacity decreases today; AWS allows the next one from 2026-11-01T01:00:00.000Z (after the first four within an hour, one per hour with no decrease in the preceding hour). Nothing was changed.');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('counts a gone table as done and turns AWS\'s refusals into clear errors', async () => {
    expect(await lowerProvisioned.apply(aws(null).ctx, plan(lowerParams), undefined as never)).toEqual({ after: { read: 4, write: 2, alreadyGone: true }, detail: 'orders no longer exists: counts as done' });
    const limit = await caught(lowerProvisioned.apply(aws(table(), { UpdateTable: () => { throw awsError('LimitExceededException', 'no'); } }).ctx, plan(lowerParams), undefined as never));
    expect(limit!.message).toBe('AWS refused the capacity decrease on orders (LimitExceededException: no); nothing was changed. A later run retries.');
    const other = await caught(lowerProvisioned.apply(aws(table(), { UpdateTable: () => { throw awsError('ValidationException'); } }).ctx, plan(lowerParams), undefined as never));
    expect(other!.name).toBe('ValidationException');
  });

  it('verifies the capacity', async () => {
    const applied = { after: { read: 4, write: 2 } } as never;
    const at = (r: number, w: number) => table({ TableStatus: 'UPDATING', ProvisionedThroughput: { ReadCapacityUnits: r, WriteCapacityUnits: w } });
    expect(await lowerProvisioned.verify(aws(at(4, 2)).ctx, plan(lowerParams), applied)).toEqual({ ok: true, detail: 'orders is at 4 RCU / 2 WCU (UPDATING)' });
    expect(await lowerProvisioned.verify(aws(at(4, 5)).ctx, plan(lowerParams), applied)).toEqual({ ok: false, detail: 'orders is at 4 RCU / 5 WCU, not the planned 4 / 2' });
    expect(await lowerProvisioned.verify(aws(at(10, 2)).ctx, plan(lowerParams), applied)).toEqual({ ok: false, detail: 'orders is at 10 RCU / 2 WCU, not the planned 4 / 2' });
    expect(await lowerProvisioned.verify(aws(null).ctx, plan(lowerParams), applied)).toEqual({ ok: false, detail: 'orders disappeared' });
    const g = aws(null);
    expect(await lowerProvisioned.verify(g.ctx, plan(lowerParams), { after: { alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'orders is gone' });
    expect(g.ops()).toEqual([]);
  });

  it('undoes to the recorded capacity', async () => {
    const a = aws(table({ ProvisionedThroughput: { ReadCapacityUnits: 4, WriteCapacityUnits: 2 } }));
    const out = await lowerProvisioned.undo!(a.ctx, recordOf('dynamodb-table', NAME, 'lower-provisioned', lowerParams, {}, { read: 4, write: 2 }));
    expect(a.writes('UpdateTable').map((c) => c.input)).toEqual([{ TableName: NAME, ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 } }]);
    expect(out).toEqual({ detail: 'orders: capacity raised back to 10 RCU / 5 WCU.', after: { read: 10, write: 5 } });
  });

  it('refuses to undo a gone, changed or busy table, and AWS\'s refusal', async () => {
    const undo = async (t: Record<string, unknown> | null, after: unknown = { read: 4, write: 2 }, over: Handlers = {}) => {
      const a = aws(t, over);
      const e = await caught(lowerProvisioned.undo!(a.ctx, recordOf('dynamodb-table', NAME, 'x', lowerParams, {}, after)));
      return { e: e!, writes: a.writes('UpdateTable').length, ops: a.ops() };
    };
    const at = (r: number, w: number, extra = {}) => table({ ProvisionedThroughput: { ReadCapacityUnits: r, WriteCapacityUnits: w }, ...extra });
    const gone = await undo(at(4, 2), { alreadyGone: true });
    expect(gone.e.message).toBe('orders was gone when trimtab acted; nothing to undo.');
    expect(gone.ops).toEqual([]);
    expect((await undo(null)).e.message).toBe('orders no longer exists.');
    expect((await undo(at(5, 2))).e.message).toBe('orders changed since trimtab lowered it (now PROVISIONED, 5 RCU / 2 WCU): not undone.');
    expect((await undo(at(4, 3))).e.message).toBe('orders changed since trimtab lowered it (now PROVISIONED, 4 RCU / 3 WCU): not undone.');
    expect((await undo(onDemand())).e.message).toBe('orders changed since trimtab lowered it (now PAY_PER_REQUEST, 0 RCU / 0 WCU): not undone.');
    const busy = await undo(at(4, 2, { TableStatus: 'UPDATING' }));
    expect(busy.e.message).toBe('orders is UPDATING: AWS refuses UpdateTable until it is ACTIVE. Nothing was changed; try the undo again in a few minutes.');
    expect(busy.writes).toBe(0);
    const refused = await undo(at(4, 2), undefined, { UpdateTable: () => { throw awsError('LimitExceededException', 'x'); } });
    expect(refused.e).toBeInstanceOf(UndoRefusedError);
    expect(refused.e.message).toBe('AWS refused the capacity increase on orders (LimitExceededException: x); nothing was changed. A later run retries.');
  });
});

const policy = (dim: 'Read' | 'Write', target: number, extra: Record<string, unknown> = {}) => ({ PolicyName: `${dim}Policy`, PolicyType: 'TargetTrackingScaling', ScalableDimension: `dynamodb:table:${dim}CapacityUnits`, ResourceId: 'table/orders', TargetTrackingScalingPolicyConfiguration: { TargetValue: target, ScaleInCooldown: 60 }, ...extra });
const targetParams = { tableName: NAME, table: IDENTITY, changes: [{ dimension: 'read' as const, policyName: 'ReadPolicy', from: 40, to: 60 }] };

describe('raise-target', () => {
  it('plans a bounded step up of each low target', () => {
    const finding = { resource: { arn: ARN }, evidence: { targetValuePercent: { read: 10, write: 10 } }, before: { table: { name: NAME, arn: ARN, createdAt: CREATED }, scaling: { read: { policy: { name: 'ReadPolicy', targetValue: 40 } }, write: { policy: { name: 'WritePolicy', targetValue: 65 } } } } } as never;
    expect(raiseTarget.plan(finding, { maxStepPoints: 20, maxTargetPercent: 70, tuningCooldownDays: 7 }, {} as never)).toEqual({
      kind: 'change',
      summary: "Raise orders's target utilisation: read 40 % → 60 %, write 65 % → 70 %.",
      params: { tableName: NAME, table: IDENTITY, changes: [{ dimension: 'read', policyName: 'ReadPolicy', from: 40, to: 60 }, { dimension: 'write', policyName: 'WritePolicy', from: 65, to: 70 }] },
      undo: 'trimtab undo puts the policies back at 40 % / 65 % (only if nobody changed them since).',
    });
    expect(raiseTarget.plan({ ...(finding as object), evidence: {} } as never, { maxStepPoints: 20, maxTargetPercent: 70, tuningCooldownDays: 7 }, {} as never)).toEqual({ kind: 'noop', reason: 'orders: the targets are already at or above 70 %' });
    expect(raiseTarget.minCooldownHours!({ maxStepPoints: 1, maxTargetPercent: 20, tuningCooldownDays: 3 })).toBe(72);
  });

  it('re-reads the policies (every page) and writes the new target keeping the rest of the configuration', async () => {
    const a = aws(table(), {
      DescribeScalingPolicies: (_i, n) => (n === 1 ? { ScalingPolicies: [policy('Write', 50), { PolicyName: 'step', PolicyType: 'StepScaling', ScalableDimension: 'dynamodb:table:ReadCapacityUnits' }], NextToken: 'p2' } : { ScalingPolicies: [policy('Read', 40)] }),
      PutScalingPolicy: () => ({}),
    });
    const out = await raiseTarget.apply(a.ctx, plan(targetParams), undefined as never);
    expect(a.calls.filter((c) => c.op === 'DescribeScalingPolicies').map((c) => c.input)).toEqual([{ ServiceNamespace: 'dynamodb', ResourceId: 'table/orders' }, { ServiceNamespace: 'dynamodb', ResourceId: 'table/orders', NextToken: 'p2' }]);
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ PolicyName: 'ReadPolicy', ServiceNamespace: 'dynamodb', ResourceId: 'table/orders', ScalableDimension: 'dynamodb:table:ReadCapacityUnits', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, ScaleInCooldown: 60 } }]);
    expect(out.after).toEqual({ targets: { read: 60 } });
    expect(out.before).toEqual({ policies: { read: policy('Read', 40), write: policy('Write', 50) } });
    expect(out.detail).toBe('ReadPolicy: 40 % → 60 %');
  });

  it('raises both dimensions and names each change', async () => {
    const a = aws(table(), { DescribeScalingPolicies: () => ({ ScalingPolicies: [policy('Read', 40), policy('Write', 50)] }), PutScalingPolicy: () => ({}) });
    const two = { ...targetParams, changes: [...targetParams.changes, { dimension: 'write' as const, policyName: 'WritePolicy', from: 50, to: 70 }] };
    const out = await raiseTarget.apply(a.ctx, plan(two), undefined as never);
    expect(out.detail).toBe('ReadPolicy: 40 % → 60 %; WritePolicy: 50 % → 70 %');
    expect(a.writes('PutScalingPolicy').map((c) => c.input.TargetTrackingScalingPolicyConfiguration.TargetValue)).toEqual([60, 70]);
  });

  it('refuses a policy changed, renamed or gone since the scan, and a skip-tagged table, writing nothing', async () => {
    const run = async (policies: unknown[], tags?: Array<{ Key: string; Value: string }>) => {
      const a = aws(table(), { DescribeScalingPolicies: () => ({ ScalingPolicies: policies }), PutScalingPolicy: () => ({}) }, tags);
      const e = await caught(raiseTarget.apply(a.ctx, plan(targetParams), undefined as never));
      expect(a.writes(...WRITES)).toEqual([]);
      return e!;
    };
    expect((await run([policy('Read', 45)])).message).toBe('orders: the read policy changed since the scan (ReadPolicy at 45 %; planned from 40 %); nothing was changed');
    expect((await run([policy('Read', 40, { PolicyName: 'Other' })])).message).toBe('orders: the read policy changed since the scan (Other at 40 %; planned from 40 %); nothing was changed');
    expect((await run([])).message).toBe('orders: the read policy changed since the scan (gone; planned from 40 %); nothing was changed');
    expect((await run([policy('Read', 40, { TargetTrackingScalingPolicyConfiguration: undefined })])).message).toBe('orders: the read policy changed since the scan (ReadPolicy at undefined %; planned from 40 %); nothing was changed');
    expect((await run([policy('Read', 40)], [{ Key: 'trimtab:skip', Value: '' }])).message).toBe('orders is now tagged trimtab:skip; nothing was changed');
  });

  it('counts a gone table as done; verifies and undoes the targets', async () => {
    expect(await raiseTarget.apply(aws(null).ctx, plan(targetParams), undefined as never)).toEqual({ after: { gone: true }, detail: 'orders no longer exists: counts as done' });
    const at = (v: number | undefined) => aws(table(), { DescribeScalingPolicies: () => ({ ScalingPolicies: v === undefined ? [] : [policy('Read', v)] }), PutScalingPolicy: () => ({}) });
    expect(await raiseTarget.verify(at(60).ctx, plan(targetParams), { after: {} } as never)).toEqual({ ok: true, detail: 'read target 60 %' });
    expect(await raiseTarget.verify(at(40).ctx, plan(targetParams), { after: {} } as never)).toEqual({ ok: false, detail: 'target not set: read is 40, not 60' });
    expect(await raiseTarget.verify(at(undefined).ctx, plan(targetParams), { after: {} } as never)).toEqual({ ok: false, detail: 'target not set: read is missing, not 60' });
    const g = aws(null);
    expect(await raiseTarget.verify(g.ctx, plan(targetParams), { after: { gone: true } } as never)).toEqual({ ok: true, detail: 'orders is gone' });
    expect(g.ops()).toEqual([]);
    const u = at(60);
    expect(await raiseTarget.undo!(u.ctx, recordOf('dynamodb-table', NAME, 'raise-target', targetParams, {}))).toEqual({ detail: 'orders: targets back at read 40 %.' });
    expect(u.writes('PutScalingPolicy').map((c) => c.input.TargetTrackingScalingPolicyConfiguration)).toEqual([{ TargetValue: 40, ScaleInCooldown: 60 }]);
    const moved = at(50);
    const e = await caught(raiseTarget.undo!(moved.ctx, recordOf('dynamodb-table', NAME, 'raise-target', targetParams, {})));
    expect(e).toBeInstanceOf(UndoRefusedError);
    expect(e!.message).toBe('orders: the read policy is at 50 %, not the 60 % trimtab set: not undone.');
    expect(moved.writes(...WRITES)).toEqual([]);
    expect((await caught(raiseTarget.undo!(at(undefined).ctx, recordOf('dynamodb-table', NAME, 'raise-target', targetParams, {}))))!.message).toBe('orders: the read policy is at nothing %, not the 60 % trimtab set: not undone.');
  });
});

const maxParams = { tableName: NAME, table: IDENTITY, changes: [{ dimension: 'write' as const, from: 100, to: 150, minCapacity: 5 }] };
const targetsOf = (...t: Array<[string, number, number]>) => ({ ScalableTargets: t.map(([d, min, max]) => ({ ScalableDimension: `dynamodb:table:${d}CapacityUnits`, MinCapacity: min, MaxCapacity: max })) });

describe('raise-max', () => {
  it('plans the raised maximum within the limit, and says why not otherwise', () => {
    const finding = (cappedBy: string[], scaling: unknown) => ({ resource: { arn: ARN }, evidence: { cappedBy }, before: { table: { name: NAME, arn: ARN, createdAt: CREATED }, scaling } }) as never;
    const o = { factor: 1.5, maxCapacityLimit: 40_000 };
    expect(raiseMax.plan(finding(['write:throttled'], { write: { minCapacity: 5, maxCapacity: 100 } }), o, {} as never)).toEqual({
      kind: 'change',
      summary: "Raise orders's auto scaling maximum: write 100 → 150 units.",
      params: maxParams,
      undo: 'trimtab undo sets MaxCapacity back to 100 (only if nobody changed it since).',
    });
    expect(raiseMax.plan(finding(['write:x'], { write: { minCapacity: 5, maxCapacity: 101 } }), { factor: 1.5, maxCapacityLimit: 120 }, {} as never)).toMatchObject({ params: { changes: [{ from: 101, to: 120 }] } });
    expect(raiseMax.plan(finding(['read:x'], {}), o, {} as never)).toEqual({ kind: 'conflict', reason: 'orders has no auto scaling on its capped capacity: switch it to on-demand (switch-to-on-demand) or register a scalable target.' });
    expect(raiseMax.plan(finding(['read:x'], { read: { minCapacity: 1, maxCapacity: 100 } }), { factor: 1.5, maxCapacityLimit: 100 }, {} as never)).toEqual({ kind: 'noop', reason: 'orders: MaxCapacity is already at the limit 100' });
    expect(raiseMax.plan(finding([], {}), o, {} as never)).toEqual({ kind: 'noop', reason: 'orders: MaxCapacity is already at the limit 40000' });
  });

  it('re-reads the scalable targets and registers the new maximum with the current minimum', async () => {
    const a = aws(table(), { DescribeScalableTargets: () => targetsOf(['Read', 1, 10], ['Write', 7, 100]), RegisterScalableTarget: () => ({}) });
    const out = await raiseMax.apply(a.ctx, plan(maxParams), undefined as never);
    expect(a.calls.find((c) => c.op === 'DescribeScalableTargets')!.input).toEqual({ ServiceNamespace: 'dynamodb', ResourceIds: ['table/orders'] });
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ ServiceNamespace: 'dynamodb', ResourceId: 'table/orders', ScalableDimension: 'dynamodb:table:WriteCapacityUnits', MinCapacity: 7, MaxCapacity: 150 }]);
    expect(out).toEqual({ before: { targets: { read: { min: 1, max: 10 }, write: { min: 7, max: 100 } } }, after: { max: { write: 150 } }, detail: 'write MaxCapacity 100 → 150' });
  });

  it('raises both dimensions and names each change', async () => {
    const a = aws(table(), { DescribeScalableTargets: () => targetsOf(['Read', 1, 10], ['Write', 7, 100]), RegisterScalableTarget: () => ({}) });
    const two = { ...maxParams, changes: [{ dimension: 'read' as const, from: 10, to: 15, minCapacity: 1 }, ...maxParams.changes] };
    const out = await raiseMax.apply(a.ctx, plan(two), undefined as never);
    expect(out.detail).toBe('read MaxCapacity 10 → 15; write MaxCapacity 100 → 150');
    expect(a.writes('RegisterScalableTarget').map((c) => [c.input.ScalableDimension, c.input.MinCapacity, c.input.MaxCapacity])).toEqual([['dynamodb:table:ReadCapacityUnits', 1, 15], ['dynamodb:table:WriteCapacityUnits', 7, 150]]);
  });

  it('refuses a maximum changed or gone since the scan and a skip-tagged table, writing nothing', async () => {
    const run = async (t: unknown, tags?: Array<{ Key: string; Value: string }>) => {
      const a = aws(table(), { DescribeScalableTargets: () => t, RegisterScalableTarget: () => ({}) }, tags);
      const e = await caught(raiseMax.apply(a.ctx, plan(maxParams), undefined as never));
      expect(a.writes(...WRITES)).toEqual([]);
      return e!.message;
    };
    expect(await run(targetsOf(['Write', 7, 120]))).toBe('orders: the write scalable target changed since the scan (MaxCapacity 120, planned from 100); nothing was changed');
    expect(await run({})).toBe('orders: the write scalable target changed since the scan (MaxCapacity gone, planned from 100); nothing was changed');
    expect(await run(targetsOf(['Write', 7, 100]), [{ Key: 'trimtab:skip', Value: '' }])).toBe('orders is now tagged trimtab:skip; nothing was changed');
  });

  it('counts a gone table as done; verifies and undoes the maximum', async () => {
    expect(await raiseMax.apply(aws(null).ctx, plan(maxParams), undefined as never)).toEqual({ after: { gone: true }, detail: 'orders no longer exists: counts as done' });
    const at = (t: unknown) => aws(table(), { DescribeScalableTargets: () => t, RegisterScalableTarget: () => ({}) });
    expect(await raiseMax.verify(at(targetsOf(['Write', 7, 150])).ctx, plan(maxParams), { after: {} } as never)).toEqual({ ok: true, detail: 'write MaxCapacity 150' });
    expect(await raiseMax.verify(at(targetsOf(['Write', 7, 100])).ctx, plan(maxParams), { after: {} } as never)).toEqual({ ok: false, detail: 'write MaxCapacity is 100, not 150' });
    expect(await raiseMax.verify(at({ ScalableTargets: [{ ScalableDimension: 'dynamodb:table:WriteCapacityUnits' }] }).ctx, plan(maxParams), { after: {} } as never)).toEqual({ ok: false, detail: 'write MaxCapacity is 0, not 150' });
    expect(await raiseMax.verify(at({}).ctx, plan(maxParams), { after: {} } as never)).toEqual({ ok: false, detail: 'write MaxCapacity is missing, not 150' });
    const g = aws(null);
    expect(await raiseMax.verify(g.ctx, plan(maxParams), { after: { gone: true } } as never)).toEqual({ ok: true, detail: 'orders is gone' });
    expect(g.ops()).toEqual([]);
    const u = at(targetsOf(['Write', 9, 150]));
    expect(await raiseMax.undo!(u.ctx, recordOf('dynamodb-table', NAME, 'raise-max', maxParams, {}))).toEqual({ detail: 'orders: MaxCapacity back at write 100.' });
    expect(u.writes(...WRITES).map((c) => c.input)).toEqual([{ ServiceNamespace: 'dynamodb', ResourceId: 'table/orders', ScalableDimension: 'dynamodb:table:WriteCapacityUnits', MinCapacity: 9, MaxCapacity: 100 }]);
    const moved = at(targetsOf(['Write', 9, 200]));
    const e = await caught(raiseMax.undo!(moved.ctx, recordOf('dynamodb-table', NAME, 'raise-max', maxParams, {})));
    expect(e).toBeInstanceOf(UndoRefusedError);
    expect(e!.message).toBe('orders: write MaxCapacity is 200, not the 150 trimtab set: not undone.');
    expect(moved.writes(...WRITES)).toEqual([]);
    expect((await caught(raiseMax.undo!(at({}).ctx, recordOf('dynamodb-table', NAME, 'raise-max', maxParams, {}))))!.message).toBe('orders: write MaxCapacity is gone, not the 150 trimtab set: not undone.');
  });

  it('bounds its options', () => {
    expect(raiseMax.options.parse({})).toEqual({ factor: 1.5, maxCapacityLimit: 40_000 });
    expect(raiseMax.options.safeParse({ factor: 1 }).success).toBe(false);
    expect(raiseMax.options.safeParse({ factor: 4.1 }).success).toBe(false);
    expect(raiseMax.options.safeParse({ maxCapacityLimit: 0 }).success).toBe(false);
    expect(raiseTarget.options.parse({})).toEqual({ maxStepPoints: 20, maxTargetPercent: 70, tuningCooldownDays: 7 });
  });
});

const classParams = { tableName: NAME, table: IDENTITY, state: { billingMode: 'PROVISIONED' as const, readCapacity: 10, writeCapacity: 5 }, from: 'STANDARD' as const, to: 'STANDARD_INFREQUENT_ACCESS' as const };
const ia = (extra: Record<string, unknown> = {}) => table({ TableClassSummary: { TableClass: 'STANDARD_INFREQUENT_ACCESS' }, ...extra });

describe('set-table-class', () => {
  it('plans Standard → Standard-IA with the state the savings were computed on', () => {
    const finding = { resource: { arn: ARN }, savings: { monthlyUsd: 12 }, evidence: {}, before: { table: { name: NAME, arn: ARN, createdAt: CREATED, billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, tableClass: 'STANDARD' } } } as never;
    expect(setTableClass.plan(finding, {}, {} as never)).toEqual({
      kind: 'change',
      summary: 'Change orders to the Standard-IA table class (storage $12/month less net of dearer throughput; a background change, no downtime).',
      params: classParams,
      undo: 'trimtab undo changes it back to Standard once the table is ACTIVE; AWS allows two class changes in a trailing 30 days, so the undo is the second and a third is refused until the first is 30 days old.',
    });
    expect(setTableClass.plan({ resource: {}, evidence: {}, before: { table: { name: NAME, tableClass: 'STANDARD_INFREQUENT_ACCESS' } } } as never, {}, {} as never)).toEqual({ kind: 'noop', reason: 'orders is already STANDARD_INFREQUENT_ACCESS' });
  });

  it('writes TableClass after the re-checks', async () => {
    const a = aws();
    const out = await setTableClass.apply(a.ctx, plan(classParams), undefined as never);
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ TableName: NAME, TableClass: 'STANDARD_INFREQUENT_ACCESS' }]);
    expect(out.after).toEqual({ tableClass: 'STANDARD_INFREQUENT_ACCESS' });
    expect(out.detail).toBe('orders: change to STANDARD_INFREQUENT_ACCESS started (UPDATING in the background)');
    expect((out.before as { tableClass: string }).tableClass).toBe('STANDARD');
  });

  it('refuses a skip-tagged table or one whose capacity changed since the plan, writing nothing', async () => {
    const skip = aws(table(), {}, [{ Key: 'trimtab:skip', Value: '' }]);
    expect((await caught(setTableClass.apply(skip.ctx, plan(classParams), undefined as never)))!.message).toBe('orders is now tagged trimtab:skip; nothing was changed');
    const moved = aws(onDemand());
    expect((await caught(setTableClass.apply(moved.ctx, plan(classParams), undefined as never)))!.message).toBe('orders changed since the plan (billing mode PAY_PER_REQUEST, planned PROVISIONED; 0 RCU / 0 WCU, planned 10 / 5); nothing was changed');
    expect([...skip.writes(...WRITES), ...moved.writes(...WRITES)]).toEqual([]);
  });

  it('counts an already Standard-IA or gone table as done, and turns AWS\'s refusal into a clear error', async () => {
    const a = aws(ia());
    const out = await setTableClass.apply(a.ctx, plan(classParams), undefined as never);
    expect(out.after).toEqual({ tableClass: 'STANDARD_INFREQUENT_ACCESS', already: true });
    expect(out.detail).toBe('orders is already STANDARD_INFREQUENT_ACCESS');
    expect(out.before).toBeDefined();
    expect(a.writes(...WRITES)).toEqual([]);
    expect(await setTableClass.apply(aws(null).ctx, plan(classParams), undefined as never)).toEqual({ after: { tableClass: 'STANDARD_INFREQUENT_ACCESS', alreadyGone: true }, detail: 'orders no longer exists: counts as done' });
    const limit = await caught(setTableClass.apply(aws(table(), { UpdateTable: () => { throw awsError('LimitExceededException', 'two'); } }).ctx, plan(classParams), undefined as never));
    expect(limit).toBeInstanceOf(ProtectedResourceError);
    expect(limit!.message).toBe('AWS refused the table-class change (AWS allows two in a trailing 30 days) on orders (LimitExceededException: two); nothing was changed. A later run retries.');
    const other = await caught(setTableClass.apply(aws(table(), { UpdateTable: () => { throw awsError('ValidationException'); } }).ctx, plan(classParams), undefined as never));
    expect(other!.name).toBe('ValidationException');
  });

  it('verifies the class', async () => {
    expect(await setTableClass.verify(aws(ia({ TableStatus: 'UPDATING' })).ctx, plan(classParams), { after: {} } as never)).toEqual({ ok: true, detail: 'orders is STANDARD_INFREQUENT_ACCESS (UPDATING)' });
    expect(await setTableClass.verify(aws(table()).ctx, plan(classParams), { after: {} } as never)).toEqual({ ok: false, detail: 'orders is still STANDARD' });
    expect(await setTableClass.verify(aws(null).ctx, plan(classParams), { after: {} } as never)).toEqual({ ok: false, detail: 'orders disappeared' });
    const g = aws(null);
    expect(await setTableClass.verify(g.ctx, plan(classParams), { after: { alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'orders is gone' });
    expect(g.ops()).toEqual([]);
  });

  it('undoes to Standard, and refuses what trimtab did not change, a gone, changed or busy table and AWS\'s refusal', async () => {
    const a = aws(ia());
    expect(await setTableClass.undo!(a.ctx, recordOf('dynamodb-table', NAME, 'set-table-class', classParams, {}, { tableClass: 'STANDARD_INFREQUENT_ACCESS' }))).toEqual({ detail: 'orders: change back to STANDARD started.', after: { tableClass: 'STANDARD' } });
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ TableName: NAME, TableClass: 'STANDARD' }]);
    const undo = async (t: Record<string, unknown> | null, after: unknown = { tableClass: 'STANDARD_INFREQUENT_ACCESS' }, over: Handlers = {}) => {
      const x = aws(t, over);
      const e = await caught(setTableClass.undo!(x.ctx, recordOf('dynamodb-table', NAME, 'x', classParams, {}, after)));
      expect(x.writes(...WRITES).length).toBe(Object.keys(over).length);
      return e!;
    };
    expect((await undo(ia(), { already: true })).message).toBe("trimtab did not change orders's table class; nothing to undo.");
    expect((await undo(ia(), { alreadyGone: true })).message).toBe("trimtab did not change orders's table class; nothing to undo.");
    expect((await undo(ia(), null)).message).toBe("trimtab did not change orders's table class; nothing to undo.");
    expect((await undo(null)).message).toBe('orders no longer exists.');
    expect((await undo(table())).message).toBe('orders is STANDARD, not the STANDARD_INFREQUENT_ACCESS trimtab set: not undone.');
    const busy = await undo(ia({ TableStatus: 'UPDATING' }));
    expect(busy).toBeInstanceOf(UndoRefusedError);
    expect(busy.message).toBe('orders is UPDATING: AWS refuses UpdateTable until it is ACTIVE. Nothing was changed; try the undo again when the class change has finished.');
    const refused = await undo(ia(), undefined, { UpdateTable: () => { throw awsError('LimitExceededException', 'two'); } });
    expect(refused).toBeInstanceOf(UndoRefusedError);
    expect(refused.message).toBe('AWS refused the change back to Standard (AWS allows two class changes in a trailing 30 days) on orders (LimitExceededException: two); nothing was changed. A later run retries.');
  });
});

describe('verify and undo of two changes, and records without an after-state', () => {
  it('raise-target names each dimension in verify and undo, and reads a policy without a configuration as missing', async () => {
    const two = { ...targetParams, changes: [...targetParams.changes, { dimension: 'write' as const, policyName: 'WritePolicy', from: 50, to: 70 }] };
    const at = (...p: unknown[]) => aws(table(), { DescribeScalingPolicies: () => ({ ScalingPolicies: p }), PutScalingPolicy: () => ({}) });
    expect(await raiseTarget.verify(at(policy('Read', 60), policy('Write', 70)).ctx, plan(two), { after: {} } as never)).toEqual({ ok: true, detail: 'read target 60 %, write target 70 %' });
    expect(await raiseTarget.verify(at(policy('Read', 40), policy('Write', 50)).ctx, plan(two), { after: {} } as never)).toEqual({ ok: false, detail: 'target not set: read is 40, not 60; write is 50, not 70' });
    expect(await raiseTarget.verify(at(policy('Read', 60, { TargetTrackingScalingPolicyConfiguration: undefined }), policy('Write', 70)).ctx, plan(two), { after: {} } as never)).toEqual({ ok: false, detail: 'target not set: read is missing, not 60' });
    expect(await raiseTarget.undo!(at(policy('Read', 60), policy('Write', 70)).ctx, recordOf('dynamodb-table', NAME, 'raise-target', two, {}))).toEqual({ detail: 'orders: targets back at read 40 %, write 50 %.' });
    const bare = at(policy('Read', 60, { TargetTrackingScalingPolicyConfiguration: undefined }));
    expect((await caught(raiseTarget.undo!(bare.ctx, recordOf('dynamodb-table', NAME, 'raise-target', targetParams, {}))))!.message).toBe('orders: the read policy is at nothing %, not the 60 % trimtab set: not undone.');
  });

  it('raise-max names each dimension in verify and undo', async () => {
    const two = { ...maxParams, changes: [{ dimension: 'read' as const, from: 10, to: 15, minCapacity: 1 }, ...maxParams.changes] };
    const at = (t: unknown) => aws(table(), { DescribeScalableTargets: () => t, RegisterScalableTarget: () => ({}) });
    expect(await raiseMax.verify(at(targetsOf(['Read', 1, 15], ['Write', 7, 150])).ctx, plan(two), { after: {} } as never)).toEqual({ ok: true, detail: 'read MaxCapacity 15, write MaxCapacity 150' });
    expect(await raiseMax.verify(at(targetsOf(['Read', 1, 10], ['Write', 7, 100])).ctx, plan(two), { after: {} } as never)).toEqual({ ok: false, detail: 'read MaxCapacity is 10, not 15; write MaxCapacity is 100, not 150' });
    expect(await raiseMax.undo!(at(targetsOf(['Read', 1, 15], ['Write', 7, 150])).ctx, recordOf('dynamodb-table', NAME, 'raise-max', two, {}))).toEqual({ detail: 'orders: MaxCapacity back at read 10, write 100.' });
  });

  it('lower-provisioned undoes a record without an after-state', async () => {
    const a = aws(table({ ProvisionedThroughput: { ReadCapacityUnits: 4, WriteCapacityUnits: 2 } }));
    await lowerProvisioned.undo!(a.ctx, recordOf('dynamodb-table', NAME, 'lower-provisioned', lowerParams, {}, undefined));
    expect(a.writes('UpdateTable').map((c) => c.input)).toEqual([{ TableName: NAME, ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 5 } }]);
  });
});

describe('the plans: identity, savings, bounds and every dimension', () => {
  const o = { maxStepPoints: 20, maxTargetPercent: 70, tuningCooldownDays: 7 };
  const summaryOf = (p: { kind: string; summary?: string }) => (p.kind === 'change' ? p.summary : p.kind);

  it("binds a plan to the table's ARN and creation time, else the resource's ARN, else to nothing", () => {
    // Prepare
    const full = { resource: { arn: 'arn:other' }, before: { table: { arn: ARN, createdAt: CREATED } } } as never;
    const noCreation = { resource: { arn: 'arn:other' }, before: { table: { arn: ARN } } } as never;
    const resourceOnly = { resource: { arn: ARN }, before: { table: {} } } as never;
    const noBefore = { resource: { arn: ARN } } as never;
    const nothing = { resource: {}, before: { table: {} } } as never;
    const noResource = { before: { table: {} } } as never;
    // Act
    const identities = [full, noCreation, resourceOnly, noBefore, nothing, noResource].map((f) => identityOf(f));
    // Assess
    expect(identities).toStrictEqual([{ arn: ARN, createdAt: CREATED }, { arn: ARN }, { arn: ARN }, { arn: ARN }, undefined, undefined]);
  });

  it('switch-to-on-demand: names no index count without indexes, rounds the saving, never below zero, and claims none without both prices', () => {
    // Prepare
    const finding = (monthly: Record<string, number> | undefined) => ({ resource: { arn: ARN }, evidence: monthly ? { monthly } : {}, before: { table: { name: NAME, arn: ARN, billingMode: 'PROVISIONED', readCapacity: 3, writeCapacity: 2, tableClass: 'STANDARD', indexes: [] } } }) as never;
    // Act
    const rounded = switchToOnDemand.plan(finding({ provisionedNow: 20.123, onDemand: 5.1 }), {}, {} as never);
    const dearer = switchToOnDemand.plan(finding({ provisionedNow: 5, onDemand: 8 }), {}, {} as never);
    const onlyNow = switchToOnDemand.plan(finding({ provisionedNow: 5 }), {}, {} as never);
    const onlyOnDemand = switchToOnDemand.plan(finding({ onDemand: 5 }), {}, {} as never);
    // Assess
    expect(rounded).toMatchObject({ summary: 'Switch orders from provisioned (3 RCU / 2 WCU) to on-demand. $15.02/month less.', savings: { monthlyUsd: 15.02, basis: ['Provisioned $20.12/month → on-demand at the measured use $5.1/month.'] } });
    expect(dearer).toMatchObject({ summary: 'Switch orders from provisioned (3 RCU / 2 WCU) to on-demand. $0/month less.', savings: { monthlyUsd: 0, basis: ['Provisioned $5/month → on-demand at the measured use $8/month.'] } });
    for (const p of [onlyNow, onlyOnDemand]) {
      expect(summaryOf(p)).toBe('Switch orders from provisioned (3 RCU / 2 WCU) to on-demand.');
      expect('savings' in p).toBe(false);
    }
  });

  it('lower-provisioned: needs a target, claims no saving without both prices, and refuses only the dimensions auto scaling manages and the plan lowers (not one already at its target)', () => {
    // Prepare
    const finding = (table: Record<string, unknown>, scaling: Record<string, unknown>, target: unknown = { read: 4, write: 2 }, monthly: Record<string, number> = {}) =>
      ({ resource: { arn: ARN }, evidence: { monthly }, before: { table: { name: NAME, arn: ARN, createdAt: CREATED, billingMode: 'PROVISIONED', readCapacity: 10, writeCapacity: 5, ...table }, scaling, ...(target ? { target } : {}) } }) as never;
    const scaled = { minCapacity: 1, maxCapacity: 100 };
    // Act
    const noTarget = lowerProvisioned.plan(finding({}, {}, null), {}, {} as never);
    const both = lowerProvisioned.plan(finding({}, { read: scaled, write: scaled }), {}, {} as never);
    const readScaledNotLowered = lowerProvisioned.plan(finding({ readCapacity: 4 }, { read: scaled }), {}, {} as never);
    const writeScaledNotLowered = lowerProvisioned.plan(finding({ writeCapacity: 2 }, { write: scaled }), {}, {} as never);
    const onlyNow = lowerProvisioned.plan(finding({}, {}, undefined, { provisionedNow: 12 }), {}, {} as never);
    const onlyLowered = lowerProvisioned.plan(finding({}, {}, undefined, { lowerProvisioned: 4 }), {}, {} as never);
    // Assess
    expect(noTarget).toEqual({ kind: 'noop', reason: 'orders has no provisioned capacity to lower' });
    expect(both).toEqual({ kind: 'conflict', reason: "Application Auto Scaling manages orders's read and write capacity and would move it back: lower the scalable target's MinCapacity, or switch to on-demand." });
    expect(readScaledNotLowered).toMatchObject({ kind: 'change', params: { to: { read: 4, write: 2 } } });
    expect(writeScaledNotLowered).toMatchObject({ kind: 'change', params: { to: { read: 4, write: 2 } } });
    for (const p of [onlyNow, onlyLowered]) {
      expect(summaryOf(p)).toBe('Lower orders from 10 RCU / 5 WCU to 4 RCU / 2 WCU.');
      expect('savings' in p).toBe(false);
    }
  });

  it('raise-target: raises only the dimensions with a policy and a low target, to at least 20 % and at most 90 %, and leaves one already at the bound', () => {
    // Prepare
    const finding = (low: Record<string, number>, scaling: Record<string, number>) =>
      ({ resource: { arn: ARN }, evidence: { targetValuePercent: low }, before: { table: { name: NAME, arn: ARN, createdAt: CREATED }, scaling: Object.fromEntries(Object.entries(scaling).map(([d, v]) => [d, { policy: { name: `${d}-policy`, targetValue: v } }])) } }) as never;
    // Act
    const readPolicyOnly = raiseTarget.plan(finding({ read: 10, write: 10 }, { read: 40 }), o, {} as never);
    const writeLowOnly = raiseTarget.plan(finding({ write: 10 }, { read: 40, write: 50 }), o, {} as never);
    const floor = raiseTarget.plan(finding({ read: 1 }, { read: 5 }), { ...o, maxStepPoints: 10 }, {} as never);
    const ceiling = raiseTarget.plan(finding({ read: 1 }, { read: 80 }), { ...o, maxTargetPercent: 95 }, {} as never);
    const oneAtBound = raiseTarget.plan(finding({ read: 10, write: 10 }, { read: 70, write: 50 }), o, {} as never);
    // Assess
    expect(readPolicyOnly).toMatchObject({ params: { changes: [{ dimension: 'read', policyName: 'read-policy', from: 40, to: 60 }] } });
    expect(writeLowOnly).toMatchObject({ params: { changes: [{ dimension: 'write', policyName: 'write-policy', from: 50, to: 70 }] } });
    expect(floor).toMatchObject({ params: { changes: [{ dimension: 'read', from: 5, to: 20 }] } });
    expect(ceiling).toMatchObject({ params: { changes: [{ dimension: 'read', from: 80, to: 90 }] } });
    expect(oneAtBound).toMatchObject({ summary: "Raise orders's target utilisation: write 50 % → 70 %.", undo: 'trimtab undo puts the policies back at 50 % (only if nobody changed them since).' });
    expect([readPolicyOnly, writeLowOnly, floor, ceiling, oneAtBound].map((p) => p.kind === 'change' && (p.params as { changes: unknown[] }).changes.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('raise-max: raises every capped dimension, rounds up, and says a capped dimension without auto scaling is a conflict even beside one at the limit', () => {
    // Prepare
    const finding = (cappedBy: string[] | undefined, scaling: unknown) => ({ resource: { arn: ARN }, evidence: cappedBy ? { cappedBy } : {}, before: { table: { name: NAME, arn: ARN, createdAt: CREATED }, scaling } }) as never;
    const limits = { factor: 1.5, maxCapacityLimit: 40_000 };
    // Act
    const both = raiseMax.plan(finding(['read:throttled', 'write:throttled'], { read: { minCapacity: 1, maxCapacity: 10 }, write: { minCapacity: 5, maxCapacity: 101 } }), limits, {} as never);
    const mixed = raiseMax.plan(finding(['read:x', 'write:x'], { write: { minCapacity: 5, maxCapacity: 40_000 } }), limits, {} as never);
    const none = raiseMax.plan(finding(undefined, { read: { minCapacity: 1, maxCapacity: 10 } }), limits, {} as never);
    // Assess
    expect(both).toEqual({
      kind: 'change',
      summary: "Raise orders's auto scaling maximum: read 10 → 15, write 101 → 152 units.",
      params: { tableName: NAME, table: IDENTITY, changes: [{ dimension: 'read', from: 10, to: 15, minCapacity: 1 }, { dimension: 'write', from: 101, to: 152, minCapacity: 5 }] },
      undo: 'trimtab undo sets MaxCapacity back to 10 / 101 (only if nobody changed it since).',
    });
    expect(mixed).toEqual({ kind: 'conflict', reason: 'orders has no auto scaling on its capped capacity: switch it to on-demand (switch-to-on-demand) or register a scalable target.' });
    expect(none).toEqual({ kind: 'noop', reason: 'orders: MaxCapacity is already at the limit 40000' });
  });
});
