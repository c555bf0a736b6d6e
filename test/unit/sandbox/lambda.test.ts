import { describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand, ListTagsCommand, UpdateFunctionConfigurationCommand, paginateListFunctions } from '@aws-sdk/client-lambda';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { setSandboxRolePolicy } from '../../../lib/sandbox/services/iam.ts';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { seedFunction } from '../../../lib/resources/lambda-function/sandbox-seed.ts';
import { REPORT_QUERY } from '../../../lib/resources/lambda-function/resource.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { logsState } from '../../../lib/sandbox/services/cloudwatchlogs.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { testEnv } from '../../helpers.ts';

const START = '2026-11-01T00:00:00Z';
const awsLike = () => testEnv('empty', { clock: new VirtualClock(START), timing: { scale: 1, consistencyMs: 2000 }, pageCap: undefined });

describe('sandbox Lambda', () => {
  it('returns at most 50 functions a response whatever MaxItems says, with NextMarker until the last page', async () => {
    // Prepare
    const env = awsLike();
    for (let i = 0; i < 120; i++) seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: `fn-${String(i).padStart(3, '0')}`, memoryMb: 128, timeoutS: 3 });
    const lambda = env.clients.get(LambdaClient, 'us-east-1');
    // Act
    const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 100 }));
    const sizes: number[] = [];
    for await (const page of paginateListFunctions({ client: lambda, pageSize: 50 }, {})) sizes.push(page.Functions!.length);
    // Assess
    expect(first.Functions).toHaveLength(50);
    expect(first.NextMarker).toEqual(expect.any(String));
    expect(sizes).toEqual([50, 50, 20]);
    await expect(lambda.send(new ListFunctionsCommand({ MaxItems: 0 }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });

  it('lists functions without State and LastUpdateStatus, which only GetFunctionConfiguration answers, even while an update is in progress', async () => {
    // Prepare
    const env = awsLike();
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'api', memoryMb: 512, timeoutS: 3 });
    const lambda = env.clients.withWrites(true).get(LambdaClient, 'us-east-1');
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'api', MemorySize: 1024 }));
    // Act
    const listed = (await lambda.send(new ListFunctionsCommand({}))).Functions![0];
    const read = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'api' }));
    // Assess
    expect(listed).toMatchObject({ FunctionName: 'api', MemorySize: 1024 });
    expect(listed.State).toBeUndefined();
    expect(listed.LastUpdateStatus).toBeUndefined();
    expect(read).toMatchObject({ State: 'Active', LastUpdateStatus: 'InProgress', MemorySize: 1024 });
  });

  it('returns GetFunction Tags only to a caller with an explicit lambda:ListTags allow, and refuses ListTags without it (AccessDeniedException)', async () => {
    // Prepare
    const env = awsLike();
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'api', memoryMb: 512, timeoutS: 3, tags: { 'trimtab:skip': 'yes', team: 'shop' } });
    const lambda = env.clients.get(LambdaClient, 'us-east-1');
    const arn = `arn:aws:lambda:us-east-1:${SANDBOX_ACCOUNT}:function:api`;
    // Act / Assess: allowed (the sandbox role starts as Allow *).
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'api' }))).Tags).toEqual({ 'trimtab:skip': 'yes', team: 'shop' });
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ 'trimtab:skip': 'yes', team: 'shop' });
    // Act: a role without lambda:ListTags.
    setSandboxRolePolicy(env.sandbox, SANDBOX_ACCOUNT, 'trimtab', [{ Effect: 'Allow', Action: ['lambda:GetFunction', 'tag:GetResources'], Resource: '*' }]);
    const hidden = await lambda.send(new GetFunctionCommand({ FunctionName: 'api' }));
    // Assess: no error, no Tags; the configuration is still there.
    expect(hidden.Tags).toBeUndefined();
    expect(hidden.Configuration!.FunctionName).toBe('api');
    await expect(lambda.send(new ListTagsCommand({ Resource: arn }))).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    // The Resource Groups Tagging API lists the function's tags (tag:GetResources).
    const tagging = env.clients.get(ResourceGroupsTaggingAPIClient, 'us-east-1');
    const out = await tagging.send(new GetResourcesCommand({ ResourceARNList: [arn, `arn:aws:lambda:us-east-1:${SANDBOX_ACCOUNT}:function:missing`] }));
    expect(out.ResourceTagMappingList).toEqual([{ ResourceARN: arn, Tags: [{ Key: 'trimtab:skip', Value: 'yes' }, { Key: 'team', Value: 'shop' }] }]);
  });

  it('answers unknown functions, bad sizes and stale revisions with the real error codes and statuses', async () => {
    const env = awsLike();
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'api', memoryMb: 512, timeoutS: 3 });
    const lambda = env.clients.withWrites(true).get(LambdaClient, 'us-east-1');
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'api', MemorySize: 64 }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'api', MemorySize: 256, RevisionId: 'stale' }))).rejects.toMatchObject({ name: 'PreconditionFailedException', $metadata: { httpStatusCode: 412 } });
  });

  it('shows a new memory size at once with LastUpdateStatus InProgress, then Successful after the update time', async () => {
    const env = awsLike();
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'api', memoryMb: 512, timeoutS: 3 });
    const lambda = env.clients.withWrites(true).get(LambdaClient, 'us-east-1');
    const out = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:api', MemorySize: 1024 }));
    expect(out).toMatchObject({ MemorySize: 1024, LastUpdateStatus: 'InProgress' });
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'api', MemorySize: 2048 }))).rejects.toMatchObject({ name: 'ResourceConflictException', $metadata: { httpStatusCode: 409 } });
    await env.sandbox.clock.sleep(5_000);
    const after = await lambda.send(new GetFunctionCommand({ FunctionName: 'api' }));
    expect(after.Configuration).toMatchObject({ MemorySize: 1024, LastUpdateStatus: 'Successful', Architectures: ['x86_64'] });
  });
});

describe('sandbox Logs Insights', () => {
  const seeded = () => {
    const env = awsLike();
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'api', memoryMb: 512, timeoutS: 3, perHour: 100, reports: { usedMb: { base: 200, noise: 10 }, runtimeExitsPerDay: 2 } });
    return { env, logs: env.clients.get(CloudWatchLogsClient, 'us-east-1') };
  };
  const window = (env: ReturnType<typeof awsLike>) => ({ startTime: Math.floor(env.sandbox.now().getTime() / 1000) - 14 * 86_400, endTime: Math.floor(env.sandbox.now().getTime() / 1000) });

  it('runs a REPORT query for a few seconds, then returns the statistics per log group computed over the window', async () => {
    const { env, logs } = seeded();
    const { queryId } = await logs.send(new StartQueryCommand({ logGroupNames: ['/aws/lambda/api'], queryString: REPORT_QUERY, ...window(env) }));
    expect((await logs.send(new GetQueryResultsCommand({ queryId }))).status).toBe('Running');
    await env.sandbox.clock.sleep(4_000);
    const done = await logs.send(new GetQueryResultsCommand({ queryId }));
    expect(done.status).toBe('Complete');
    const row = Object.fromEntries(done.results![0].map((f) => [f.field, f.value]));
    expect(row['@log']).toBe('123456789012:/aws/lambda/api');
    expect(Number(row.maxMemoryUsedMB)).toBeGreaterThan(190);
    expect(Number(row.maxMemoryUsedMB)).toBeLessThanOrEqual(210);
    expect(row.reports).toBe(String(14 * 24 * 100 + 100));
    expect(row.runtimeExits).toBe('28');
  });

  it('refuses more than 50 log groups, a missing group, and a query past the concurrency limit, by their AWS names', async () => {
    const { env, logs } = seeded();
    const many = Array.from({ length: 51 }, () => '/aws/lambda/api');
    await expect(logs.send(new StartQueryCommand({ logGroupNames: many, queryString: REPORT_QUERY, ...window(env) }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(logs.send(new StartQueryCommand({ logGroupNames: ['/aws/lambda/gone'], queryString: REPORT_QUERY, ...window(env) }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    logsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').queryConcurrency = 1;
    await logs.send(new StartQueryCommand({ logGroupNames: ['/aws/lambda/api'], queryString: REPORT_QUERY, ...window(env) }));
    // The SDK classifies LimitExceededException as throttling and retries it: one attempt here.
    const once = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: env.sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } }).get(CloudWatchLogsClient, 'us-east-1');
    await expect(once.send(new StartQueryCommand({ logGroupNames: ['/aws/lambda/api'], queryString: REPORT_QUERY, ...window(env) }))).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  it('lets a dry-run client start a query: StartQuery only reads', async () => {
    const { env } = seeded();
    const readOnly = env.clients.withWrites(false).get(CloudWatchLogsClient, 'us-east-1');
    await expect(readOnly.send(new StartQueryCommand({ logGroupNames: ['/aws/lambda/api'], queryString: REPORT_QUERY, ...window(env) }))).resolves.toMatchObject({ queryId: expect.any(String) });
  });
});
