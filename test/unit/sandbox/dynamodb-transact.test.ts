/**
 * The sandbox's TransactWriteItems (dynalite has none): AWS's request rules and its cancellation
 * answer, through the SDK (TransactWriteItemsCommand.d.ts).
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, type TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../../lib/sandbox/sandbox.ts';
import { dynamoState, ensureSandboxTable } from '../../../lib/sandbox/services/dynamodb.ts';
import { emptySandbox } from '../../helpers.ts';

const opened: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function setup() {
  const sandbox = emptySandbox({ clock: () => new Date('2026-11-01T00:00:00Z') });
  opened.push(sandbox);
  const account = sandbox.account(SANDBOX_ACCOUNT);
  ensureSandboxTable(sandbox, account, 'us-east-1', { name: 'claims', key: { pk: 'id' } });
  ensureSandboxTable(sandbox, account, 'us-east-1', { name: 'records', key: { pk: 'pk', sk: 'sk' } });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: true, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  const ddb = clients.get(DynamoDBClient, 'us-east-1');
  const stored = async (table: string, key: Record<string, { S: string }>) => (await ddb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  return { sandbox, ddb, stored };
}

const claim = (id: string) => ({ Put: { TableName: 'claims', Item: { id: { S: id }, status: { S: 'INPROGRESS' } }, ConditionExpression: 'attribute_not_exists(#id)', ExpressionAttributeNames: { '#id': 'id' }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } });
const record = (pk: string) => ({ Put: { TableName: 'records', Item: { pk: { S: pk }, sk: { S: 'ACTION' }, status: { S: 'planned' } }, ConditionExpression: 'attribute_not_exists(pk)' } });

describe('sandbox DynamoDB TransactWriteItems', () => {
  it('writes every item of a transaction whose conditions hold, in both tables, and keeps them in the state', async () => {
    // Prepare
    const { sandbox, ddb, stored } = setup();

    // Act
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: [claim('k1'), record('ACTION#a1')] }));

    // Assess
    expect(await stored('claims', { id: { S: 'k1' } })).toEqual({ id: { S: 'k1' }, status: { S: 'INPROGRESS' } });
    expect(await stored('records', { pk: { S: 'ACTION#a1' }, sk: { S: 'ACTION' } })).toEqual({ pk: { S: 'ACTION#a1' }, sk: { S: 'ACTION' }, status: { S: 'planned' } });
    expect(Object.keys(dynamoState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').tables.records.items)).toEqual([JSON.stringify([{ S: 'ACTION#a1' }, { S: 'ACTION' }])]);
    expect(sandbox.successfulWrites('dynamodb:TransactWriteItems')).toHaveLength(1);
  });

  it('cancels the whole transaction when one condition fails: the reasons in request order, the item under ALL_OLD, nothing written', async () => {
    // Prepare: the claim exists already (another delivery holds it).
    const { ddb, stored } = setup();
    await ddb.send(new PutItemCommand({ TableName: 'claims', Item: { id: { S: 'k1' }, status: { S: 'COMPLETED' } } }));

    // Act
    const error = (await ddb.send(new TransactWriteItemsCommand({ TransactItems: [record('ACTION#a1'), claim('k1')] })).catch((e) => e)) as TransactionCanceledException;

    // Assess
    expect(error.name).toBe('TransactionCanceledException');
    expect(error.message).toBe('Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]');
    expect(error.CancellationReasons).toEqual([{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { id: { S: 'k1' }, status: { S: 'COMPLETED' } } }]);
    expect(await stored('records', { pk: { S: 'ACTION#a1' }, sk: { S: 'ACTION' } })).toBeUndefined();
  });

  it('refuses two actions on one item, more than 100 actions and an action that is not exactly one kind, as AWS does', async () => {
    // Prepare
    const { ddb, stored } = setup();
    const nameAndMessage = (p: Promise<unknown>) => p.then(() => 'ok', (e: Error) => `${e.name}: ${e.message}`);

    // Act
    const twice = await nameAndMessage(ddb.send(new TransactWriteItemsCommand({ TransactItems: [claim('k1'), claim('k1')] })));
    const tooMany = await nameAndMessage(ddb.send(new TransactWriteItemsCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => claim(`k${i}`)) })));
    const both = await nameAndMessage(ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ ...claim('k1'), Delete: { TableName: 'claims', Key: { id: { S: 'k2' } } } }] })));
    const missing = await nameAndMessage(ddb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'nope', Item: { id: { S: 'x' } } } }] })));

    // Assess
    expect(twice).toBe('ValidationException: Transaction request cannot include multiple operations on one item');
    expect(tooMany).toBe("ValidationException: 1 validation error detected: Value '101 items' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100");
    expect(both).toBe('ValidationException: TransactItems can only contain one of Check, Put, Update or Delete');
    expect(missing).toBe('ResourceNotFoundException: Requested resource not found');
    expect(await stored('claims', { id: { S: 'k1' } })).toBeUndefined();
  });

  it('takes 100 actions in one transaction', async () => {
    // Prepare
    const { ddb, stored } = setup();

    // Act
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: Array.from({ length: 100 }, (_, i) => claim(`k${i}`)) }));

    // Assess
    expect(await stored('claims', { id: { S: 'k99' } })).toEqual({ id: { S: 'k99' }, status: { S: 'INPROGRESS' } });
  });
});
