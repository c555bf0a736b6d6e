/** The modelled DynamoDB control plane and Application Auto Scaling: states, limits and error codes, through the SDK. */
import { ApplicationAutoScalingClient, DescribeScalingPoliciesCommand, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { addDynamoTable } from '../../../lib/resources/dynamodb-table/sandbox-seed.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../../lib/sandbox/sandbox.ts';
import { dynamoControlState } from '../../../lib/sandbox/services/dynamodb-control.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { emptySandbox } from '../../helpers.ts';

const opened: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function setup() {
  const clock = new VirtualClock('2026-11-01T12:00:00Z');
  const sandbox = emptySandbox({ clock, timing: { scale: 1, consistencyMs: 0 } });
  opened.push(sandbox);
  addDynamoTable(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { name: 'orders', ageDays: 10, billingMode: 'PROVISIONED', read: 100, write: 50, indexes: [{ name: 'by-date', read: 10, write: 10 }], scaling: { read: { min: 5, max: 100, target: 30 } } });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: true, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  return { sandbox, clock, ddb: clients.get(DynamoDBClient, 'us-east-1'), aas: clients.get(ApplicationAutoScalingClient, 'us-east-1') };
}
const nameOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: Error) => e.name);

describe('sandbox DynamoDB control plane (seeded tables)', () => {
  it('is UPDATING for minutes after a billing-mode switch and refuses another update meanwhile', async () => {
    const { ddb, clock } = setup();
    const out = await ddb.send(new UpdateTableCommand({ TableName: 'orders', BillingMode: 'PAY_PER_REQUEST' }));
    expect(out.TableDescription).toMatchObject({ TableStatus: 'UPDATING', BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } });
    expect(await nameOf(ddb.send(new UpdateTableCommand({ TableName: 'orders', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })))).toBe('ResourceInUseException');
    await clock.sleep(5 * 60_000);
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'orders' }));
    expect(Table!.TableStatus).toBe('ACTIVE');
    expect(Table!.BillingModeSummary!.LastUpdateToPayPerRequestDateTime!.toISOString()).toBe('2026-11-01T12:00:00.000Z');
  });

  it('answers AWS\'s validation errors', async () => {
    const { ddb } = setup();
    expect(await nameOf(ddb.send(new UpdateTableCommand({ TableName: 'orders', ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: 50 } })))).toBe('ValidationException');
    expect(await nameOf(ddb.send(new UpdateTableCommand({ TableName: 'orders', BillingMode: 'PAY_PER_REQUEST', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })))).toBe('ValidationException');
    expect(await nameOf(ddb.send(new UpdateTableCommand({ TableName: 'missing' })))).toBe('ValidationException');
    expect(await nameOf(ddb.send(new DescribeTableCommand({ TableName: 'missing' })))).toBe('ResourceNotFoundException');
  });

  it('needs every index\'s throughput to switch back to provisioned', async () => {
    const { ddb, clock } = setup();
    await ddb.send(new UpdateTableCommand({ TableName: 'orders', BillingMode: 'PAY_PER_REQUEST' }));
    await clock.sleep(5 * 60_000);
    const back = { TableName: 'orders', BillingMode: 'PROVISIONED' as const, ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: 50 } };
    await expect(ddb.send(new UpdateTableCommand(back))).rejects.toThrow('ProvisionedThroughput must be specified for index: by-date');
    const out = await ddb.send(new UpdateTableCommand({ ...back, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-date', ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 10 } } }] }));
    expect(out.TableDescription!.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 100, WriteCapacityUnits: 50 });
  });

  it('allows four decreases in a UTC day, then one an hour', async () => {
    const { ddb, clock } = setup();
    for (let n = 0; n < 4; n++) {
      await ddb.send(new UpdateTableCommand({ TableName: 'orders', ProvisionedThroughput: { ReadCapacityUnits: 90 - n * 10, WriteCapacityUnits: 50 } }));
      await clock.sleep(2 * 60_000);
    }
    await expect(ddb.send(new UpdateTableCommand({ TableName: 'orders', ProvisionedThroughput: { ReadCapacityUnits: 40, WriteCapacityUnits: 50 } }))).rejects.toThrow(/After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds/);
    expect((await ddb.send(new DescribeTableCommand({ TableName: 'orders' }))).Table!.ProvisionedThroughput!.NumberOfDecreasesToday).toBe(4);
    // An increase is allowed at any time.
    expect(await nameOf(ddb.send(new UpdateTableCommand({ TableName: 'orders', ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 50 } })))).toBe('ok');
    await clock.sleep(61 * 60_000);
    expect(await nameOf(ddb.send(new UpdateTableCommand({ TableName: 'orders', ProvisionedThroughput: { ReadCapacityUnits: 40, WriteCapacityUnits: 50 } })))).toBe('ok');
  });

  it('allows four switches to on-demand in a rolling 24 hours, refuses the fifth, and back to provisioned at any time (Constraints in Amazon DynamoDB)', async () => {
    // Prepare
    const { ddb, clock } = setup();
    const toOnDemand = () => ddb.send(new UpdateTableCommand({ TableName: 'orders', BillingMode: 'PAY_PER_REQUEST' }));
    const toProvisioned = () =>
      ddb.send(new UpdateTableCommand({ TableName: 'orders', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 10 }, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'by-date', ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } } }] }));
    // Act: four round trips, 20 minutes apart, from 12:00 (each switch back to provisioned is allowed at once)
    const answers: string[] = [];
    for (let n = 0; n < 4; n++) {
      answers.push(await nameOf(toOnDemand()));
      await clock.sleep(10 * 60_000);
      answers.push(await nameOf(toProvisioned()));
      await clock.sleep(10 * 60_000);
    }
    // Assess: all eight allowed; the fifth switch to on-demand within 24 hours of the first is refused
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    await expect(toOnDemand()).rejects.toMatchObject({
      name: 'LimitExceededException',
      message: 'Subscriber limit exceeded: Update to PayPerRequest mode are limited to 4 in a rolling 24 hour window. Last update at Sun, 01 Nov 2026 13:00:00 GMT. Next update can be made at Mon, 02 Nov 2026 12:00:00 GMT',
    });
    await clock.sleep(22 * 3_600_000 + 39 * 60_000); // 11:59 the next day
    expect(await nameOf(toOnDemand())).toBe('LimitExceededException');
    await clock.sleep(60_000); // 12:00: the first switch left the window
    expect(await nameOf(toOnDemand())).toBe('ok');
  });

  it('after the first hour of the day, a decrease needs an hour without one, even before the fourth (Service quotas)', async () => {
    // Prepare: the day's first decrease at 12:00
    const { ddb, clock } = setup();
    const lower = (read: number) => ddb.send(new UpdateTableCommand({ TableName: 'orders', ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: 50 } }));
    await lower(90);
    // Act: a second at 14:00 (no decrease in the preceding hour), a third at 14:10 (the first hour is over)
    await clock.sleep(2 * 3_600_000);
    const second = await nameOf(lower(80));
    await clock.sleep(10 * 60_000);
    const third = await nameOf(lower(70));
    await clock.sleep(50 * 60_000);
    const fourth = await nameOf(lower(70));
    // Assess
    expect([second, third, fourth]).toEqual(['ok', 'LimitExceededException', 'ok']);
  });

  it('allows two table-class changes in 30 days', async () => {
    const { ddb, clock } = setup();
    await ddb.send(new UpdateTableCommand({ TableName: 'orders', TableClass: 'STANDARD_INFREQUENT_ACCESS' }));
    await clock.sleep(60 * 60_000);
    await ddb.send(new UpdateTableCommand({ TableName: 'orders', TableClass: 'STANDARD' }));
    await clock.sleep(60 * 60_000);
    expect(await nameOf(ddb.send(new UpdateTableCommand({ TableName: 'orders', TableClass: 'STANDARD_INFREQUENT_ACCESS' })))).toBe('LimitExceededException');
  });

  it('pages ListTables by LastEvaluatedTableName', async () => {
    const { ddb, sandbox } = setup();
    for (const name of ['b-table', 'c-table']) addDynamoTable(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { name, ageDays: 1, billingMode: 'PAY_PER_REQUEST' });
    const first = await ddb.send(new ListTablesCommand({ Limit: 2 }));
    const second = await ddb.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: first.LastEvaluatedTableName }));
    expect([first.TableNames, first.LastEvaluatedTableName, second.TableNames, second.LastEvaluatedTableName]).toEqual([['b-table', 'c-table'], 'c-table', ['orders'], undefined]);
    expect(await nameOf(ddb.send(new ListTablesCommand({ Limit: 101 })))).toBe('ValidationException');
  });
});

describe('sandbox Application Auto Scaling', () => {
  it('refuses a DynamoDB target outside 20–90 and a policy without a scalable target', async () => {
    const { aas } = setup();
    const base = { PolicyName: 'p', ServiceNamespace: 'dynamodb' as const, ResourceId: 'table/orders', PolicyType: 'TargetTrackingScaling' as const };
    await expect(aas.send(new PutScalingPolicyCommand({ ...base, ScalableDimension: 'dynamodb:table:ReadCapacityUnits', TargetTrackingScalingPolicyConfiguration: { TargetValue: 95 } }))).rejects.toThrow(/between 20 and 90/);
    expect(await nameOf(aas.send(new PutScalingPolicyCommand({ ...base, ScalableDimension: 'dynamodb:table:WriteCapacityUnits', TargetTrackingScalingPolicyConfiguration: { TargetValue: 50 } })))).toBe('ObjectNotFoundException');
    expect(await nameOf(aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'dynamodb', ResourceId: 'table/orders', ScalableDimension: 'dynamodb:table:ReadCapacityUnits', MinCapacity: 500 })))).toBe('ValidationException');
  });

  it('pages DescribeScalingPolicies at most 10 a page', async () => {
    const { aas } = setup();
    await expect(aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', MaxResults: 11 }))).rejects.toThrow();
    const out = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb' }));
    expect(out.ScalingPolicies!.map((p) => p.TargetTrackingScalingPolicyConfiguration!.TargetValue)).toEqual([30]);
  });
});
