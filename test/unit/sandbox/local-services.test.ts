/**
 * The sandbox's local services: DynamoDB answered by dynalite through the client factory, with
 * the sandbox state as the persisted copy; SES answered by aws-ses-v2-local, read back from its
 * `GET /store`. Both on 127.0.0.1, started on first use, never keeping a process alive.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalMailbox } from '../../../lib/approval/local.ts';
import { ensureSandboxAuditTables } from '../../../lib/audit/sandbox-tables.ts';
import { stageTables } from '../../../lib/audit/setup.ts';
import { DynamoApprovalStore } from '../../../lib/approval/store.ts';
import { SANDBOX_SERVICES } from '../../../lib/sandbox/services/index.ts';
import { Sandbox, SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { dynamoState, dynaliteStartups, ensureSandboxTable } from '../../../lib/sandbox/services/dynamodb.ts';
import { startLocalSes } from '../../../lib/sandbox/local-services.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const exec = promisify(execFile);
const NOW = new Date('2026-11-01T00:00:00Z');
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A sandbox with one table declared as the stack would create it, and a writable DynamoDB client over it. */
function tableEnv(table = 'trimtab-test-idempotency', sandbox = emptySandbox({ clock: () => NOW })) {
  ensureSandboxTable(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1', { name: table, key: { pk: 'id' } });
  open.push(sandbox);
  const env = envFor(sandbox, ['us-east-1']);
  return { sandbox, client: env.clients.withWrites(true).get(DynamoDBClient, 'us-east-1') };
}

describe('sandbox DynamoDB on dynalite', () => {
  it('refuses a table name DynamoDB refuses (under 3 characters) with its ValidationException', async () => {
    // Prepare
    const { client } = tableEnv('ab');

    // Act
    const error = await client.send(new GetItemCommand({ TableName: 'ab', Key: { id: { S: 'k' } } })).catch((e: Error) => e);

    // Assess
    expect(error).toMatchObject({ name: 'ValidationException', message: 'TableName must be at least 3 characters long and at most 255 characters long' });
  });

  it('answers through the SDK parser from a 127.0.0.1 endpoint, counting each call in the sandbox', async () => {
    // Prepare
    const { client, sandbox } = tableEnv();
    const seen: string[] = [];
    client.middlewareStack.add((next: any) => async (args: any) => {
      const out = await next(args);
      seen.push(`${args.request.hostname} ${out.response.statusCode} ${out.response.headers['content-type']}`);
      return out;
    }, { step: 'deserialize', name: 'testWire' });

    // Act
    await client.send(new PutItemCommand({ TableName: 'trimtab-test-idempotency', Item: { id: { S: 'k' }, n: { N: '1' } } }));
    const read = await client.send(new GetItemCommand({ TableName: 'trimtab-test-idempotency', Key: { id: { S: 'k' } } }));

    // Assess
    expect(seen).toEqual(['127.0.0.1 200 application/x-amz-json-1.0', '127.0.0.1 200 application/x-amz-json-1.0']);
    expect(read.Item).toEqual({ id: { S: 'k' }, n: { N: '1' } });
    expect(read.$metadata.httpStatusCode).toBe(200);
    expect(sandbox.callsByOperation()).toEqual({ 'dynamodb:GetItem': 1, 'dynamodb:PutItem': 1 });
    expect(sandbox.successfulWrites().map((w) => w.operation)).toEqual(['PutItem']);
    expect(dynaliteStartups.length).toBeGreaterThan(0);
  });

  it('refuses a conditional update with ConditionalCheckFailedException and returns the stored item (ALL_OLD), which dynalite leaves out', async () => {
    // Prepare
    const { client } = tableEnv();
    await client.send(new PutItemCommand({ TableName: 'trimtab-test-idempotency', Item: { id: { S: 'k' }, status: { S: 'COMPLETED' } } }));

    // Act
    const error = await client
      .send(
        new UpdateItemCommand({
          TableName: 'trimtab-test-idempotency',
          Key: { id: { S: 'k' } },
          UpdateExpression: 'SET #s = :new',
          ConditionExpression: '#s = :old',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':new': { S: 'INPROGRESS' }, ':old': { S: 'EXPIRED' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error.message).toBe('The conditional request failed');
    expect(error.Item).toEqual({ id: { S: 'k' }, status: { S: 'COMPLETED' } });
  });

  it('lets the approval store tell a record in another state from a missing one (conditional update on status)', async () => {
    // Prepare
    const sandbox = emptySandbox({ clock: () => NOW });
    ensureSandboxTable(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1', { name: 'trimtab-test-approvals', key: { pk: 'approvalId' } });
    open.push(sandbox);
    const store = new DynamoApprovalStore('trimtab-test-approvals', envFor(sandbox, ['us-east-1']).clients.withWrites(true).get(DynamoDBClient, 'us-east-1'), () => NOW);
    const record = { approvalId: 'apr-abcdef', status: 'waiting', createdAt: NOW.toISOString(), updatedAt: NOW.toISOString(), account: SANDBOX_ACCOUNT, findings: [], approvers: ['a@example.com'], timeoutSeconds: 60, ttl: 1 } as never;
    await store.create(record);

    // Act
    const created = await store.create(record);
    const moved = await store.update('apr-abcdef', { status: 'approved' }, ['waiting']);
    const again = await store.update('apr-abcdef', { status: 'approved' }, ['waiting']);
    const missing = store.update('apr-nothere', { status: 'approved' }, ['waiting']);

    // Assess
    expect(created).toBe(false);
    expect(moved).toBe(true);
    expect(again).toBe(false);
    await expect(missing).rejects.toThrow("No approval 'apr-nothere'");
    expect((await store.get('apr-abcdef'))!.status).toBe('approved');
  });

  it('keeps the tables in the saved state: a new sandbox from the file answers with the same items', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-dynalite-'));
    const file = join(dir, 'sandbox.json');
    const { client, sandbox } = tableEnv();
    await client.send(new PutItemCommand({ TableName: 'trimtab-test-idempotency', Item: { id: { S: 'kept' }, v: { N: '7' } } }));
    await client.send(new PutItemCommand({ TableName: 'trimtab-test-idempotency', Item: { id: { S: 'gone' } } }));
    await client.send(new UpdateItemCommand({ TableName: 'trimtab-test-idempotency', Key: { id: { S: 'kept' } }, UpdateExpression: 'ADD v :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
    await client.send(new (await import('@aws-sdk/client-dynamodb')).DeleteItemCommand({ TableName: 'trimtab-test-idempotency', Key: { id: { S: 'gone' } } }));

    // Act
    sandbox.save(file);
    await sandbox.close();
    const reopened = new Sandbox(Sandbox.readState(file)!, SANDBOX_SERVICES, { clock: () => NOW });
    open.push(reopened);
    const again = envFor(reopened, ['us-east-1']).clients.get(DynamoDBClient, 'us-east-1');
    const kept = await again.send(new GetItemCommand({ TableName: 'trimtab-test-idempotency', Key: { id: { S: 'kept' } } }));
    const gone = await again.send(new GetItemCommand({ TableName: 'trimtab-test-idempotency', Key: { id: { S: 'gone' } } }));

    // Assess
    expect(kept.Item).toEqual({ id: { S: 'kept' }, v: { N: '8' } });
    expect(gone.Item).toBeUndefined();
    expect(Object.keys(dynamoState(reopened, reopened.account(SANDBOX_ACCOUNT), 'us-east-1').tables['trimtab-test-idempotency'].items)).toEqual(['[{"S":"kept"}]']);
  });

  it('starts again from the state after close(), with the audit table and its indexes', async () => {
    // Prepare
    const sandbox = emptySandbox({ clock: () => NOW });
    ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...stageTables('unit'), ttlAttribute: 'expiresAt' });
    open.push(sandbox);
    const client = envFor(sandbox, ['us-east-1']).clients.withWrites(true).get(DynamoDBClient, 'us-east-1');
    const item = { pk: { S: 'ACTION#a1' }, sk: { S: 'ACTION' }, byTimePk: { S: 'KIND#ACTION' }, byTimeSk: { S: '2026-10-01#a1' } };
    await client.send(new PutItemCommand({ TableName: 'trimtab-unit-audit', Item: item }));

    // Act
    await sandbox.close();
    const page = await client.send(new QueryCommand({ TableName: 'trimtab-unit-audit', IndexName: 'byTime', KeyConditionExpression: 'byTimePk = :k', ExpressionAttributeValues: { ':k': { S: 'KIND#ACTION' } } }));

    // Assess
    expect(page.Items).toEqual([item]);
  });
});

describe('stageTables', () => {
  it('names tables DynamoDB accepts, and refuses a stage that would make a name too long', () => {
    // Act
    const names = stageTables('dev');

    // Assess
    for (const name of Object.values(names)) expect(name).toMatch(/^[a-zA-Z0-9_.-]{3,255}$/);
    expect(() => stageTables('x'.repeat(240))).toThrow(/longer than DynamoDB's 255 characters/);
  });
});

describe('local SES (aws-ses-v2-local)', () => {
  it('stores what the real SesMailer sends, read back from GET /store, each mailbox seeing only its own mail', async () => {
    // Prepare
    const ses = await startLocalSes();
    open.push(ses);
    const mine = new LocalMailbox(ses);
    const other = new LocalMailbox(ses);

    // Act
    const sent = await mine.send({ to: ['oncall@example.com'], subject: 'trimtab asks to approve', text: 'Approve: http://127.0.0.1/approvals/apr-x', html: '<p>Approve</p>' });
    await other.send({ to: ['lead@example.com'], subject: 'other', text: 't', html: '<p>t</p>' });
    const stored = await ses.store();

    // Assess
    expect(sent.messageId).toMatch(/^ses-\d+$/);
    expect(mine.emails).toEqual([{ id: sent.messageId, at: expect.any(String), to: ['oncall@example.com'], subject: 'trimtab asks to approve', text: 'Approve: http://127.0.0.1/approvals/apr-x', html: '<p>Approve</p>' }]);
    expect(other.emails.map((e) => e.subject)).toEqual(['other']);
    expect(stored.find((e) => e.messageId === sent.messageId)).toMatchObject({ from: 'trimtab@example.com', destination: { to: ['oncall@example.com'] } });
    expect((await fetch(`${ses.url}/`)).headers.get('content-type')).toMatch(/text\/html/);
  });

  it('refuses a port already in use with an error naming it', async () => {
    // Prepare
    const ses = await startLocalSes();
    open.push(ses);
    const port = Number(new URL(ses.url).port);

    // Act
    const second = startLocalSes(port);

    // Assess
    await expect(second).rejects.toThrow(`could not listen on 127.0.0.1:${port}`);
  });
});

describe('local servers and the process', () => {
  it('never keep a process alive: a script that starts both, calls them and never closes them exits by itself', async () => {
    // Prepare: what a CLI run does, without any close()
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-exit-'));
    const script = join(dir, 'run.mts');
    writeFileSync(
      script,
      `import { startDynalite, startLocalSes } from ${JSON.stringify(resolve('lib/sandbox/local-services.ts'))};
import { createRequire } from 'node:module';
const { DynamoDBClient, ListTablesCommand } = createRequire(${JSON.stringify(resolve('package.json'))})('@aws-sdk/client-dynamodb');
const dynamo = await startDynalite();
const ses = await startLocalSes();
const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
await client.send(new ListTablesCommand({}));
await ses.store();
console.log(JSON.stringify({ dynaliteMs: dynamo.startupMs, sesMs: ses.startupMs }));
// Once the work is done, anything still holding the event loop 30 s later says so (an unref'd timer
// fires only while something else keeps the process alive). Not a kill timeout on the whole script:
// at a load average of 25 starting tsx, dynalite and the SDK alone took over 20 s.
setTimeout(() => { console.log('STILL ALIVE'); process.exit(3); }, 30_000).unref();
`,
    );
    const started = Date.now();

    // Act
    const run = await exec(process.execPath, ['--import', 'tsx', script], { cwd: resolve('.'), timeout: 300_000, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

    // Assess: exited on its own (a listening server or an idle server-side socket would have held it past the 30 s)
    expect(run.stdout).not.toContain('STILL ALIVE');
    expect(run.code).toBe(0);
    const startup = JSON.parse(run.stdout.trim());
    console.log(`[local services] startup: dynalite ${startup.dynaliteMs} ms, aws-ses-v2-local ${startup.sesMs} ms; child process exited after ${Date.now() - started} ms`);
    expect(startup.dynaliteMs).toBeGreaterThan(0);
    expect(startup.sesMs).toBeGreaterThan(0);
  }, 330_000);
});
