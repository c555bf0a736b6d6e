import { describe, expect, it } from 'vitest';
import { regionContext } from '../../../../lib/engine/run.ts';
import { seedFunction } from '../../../../lib/resources/lambda-function/sandbox-seed.ts';
import { lambdaFunctionResource, type LambdaFunction } from '../../../../lib/resources/lambda-function/resource.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { logsState } from '../../../../lib/sandbox/services/cloudwatchlogs.ts';
import { lambdaState } from '../../../../lib/sandbox/services/lambda.ts';
import { VirtualClock } from '../../../../lib/util/clock.ts';
import { testEnv, type TestEnv } from '../../../helpers.ts';

const NEEDS = new Set(['usage:14', 'aliases:over:0.5', 'aliases:under:0.9:0.8']);

/** n functions that log REPORT lines (no Lambda Insights), on AWS-like timing and AWS's page sizes. */
function account(n: number): TestEnv {
  const env = testEnv('empty', { clock: new VirtualClock('2026-11-01T00:00:00Z'), timing: { scale: 1, consistencyMs: 2000 }, pageCap: undefined });
  for (let i = 0; i < n; i++) {
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: `svc-${String(i).padStart(3, '0')}`, memoryMb: 1024, timeoutS: 30, perHour: 60, durationMs: { base: 100 }, reports: { usedMb: { base: 100 + i, noise: 5 } } });
  }
  return env;
}

async function listAll(env: TestEnv, needs: ReadonlySet<string> = NEEDS): Promise<LambdaFunction[]> {
  const ctx = regionContext(env.deps, 'us-east-1', env.clients, env.sandbox.now());
  const out: LambdaFunction[] = [];
  for await (const page of lambdaFunctionResource.list(ctx, undefined)) out.push(...(await lambdaFunctionResource.enrich!(ctx, page, undefined, needs)));
  return out;
}

/** listAll, then the lazy reads as the engine makes them for flagged functions (here: every one). */
async function listAllRefined(env: TestEnv, needs: ReadonlySet<string> = NEEDS): Promise<LambdaFunction[]> {
  const ctx = regionContext(env.deps, 'us-east-1', env.clients, env.sandbox.now());
  return lambdaFunctionResource.refine!(ctx, await listAll(env, needs), undefined, needs);
}

describe('lambda-function listing', () => {
  it('reads 60 functions with 2 ListFunctions, 2 GetMetricData and 2 Logs Insights queries (50 log groups each at most)', async () => {
    // Prepare
    const env = account(60);
    // Act
    const functions = await listAll(env, new Set(['usage:14']));
    // Assess
    expect(functions).toHaveLength(60);
    expect(functions.every((f) => f.memory?.source === 'report-lines' && f.memory.maxUsedMb > 90)).toBe(true);
    expect(functions[59].memory!.maxUsedMb).toBeGreaterThan(functions[0].memory!.maxUsedMb);
    expect(functions[0].usage).toMatchObject({ days: 14, invocations: 60 * 24 * 14 });
    const calls = env.sandbox.callsByOperation();
    expect(calls['lambda:ListFunctions']).toBe(2);
    expect(calls['cloudwatch:GetMetricData']).toBe(2);
    expect(calls['cloudwatchlogs:StartQuery']).toBe(2);
    expect(calls['lambda:ListAliases']).toBeUndefined();
    // Tags: one GetResources per 100 ARNs (ResourceARNList's limit), never one ListTags per function.
    expect(calls['resourcegroupstaggingapi:GetResources']).toBe(1);
    expect(calls['lambda:ListTags']).toBeUndefined();
  });

  it('reads tags with the listing, so an includeTags scope matches functions and a trimtab:skip function is protected at scan time', async () => {
    // Prepare: three oversized functions; one in team shop, one in team shop tagged trimtab:skip, one untagged.
    const env = testEnv('empty', { clock: new VirtualClock('2026-11-01T00:00:00Z') });
    const spec = { memoryMb: 1024, timeoutS: 30, perHour: 4000, durationMs: { base: 200, noise: 10 }, insights: { usedMb: 150, cpuMs: 20 } };
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'shop-api', tags: { team: 'shop' } });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'shop-batch', tags: { team: 'shop', 'trimtab:skip': 'load test' } });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'other-api' });
    // Act
    const result = await env.run(`
version: 1
policies:
  - { id: shop, resource: lambda-function, detector: { type: memory-oversized }, scope: { includeTags: { team: shop } } }
`);
    // Assess
    expect(result.findings.map((f) => [f.resource.id, f.status]).sort()).toEqual([['shop-api', 'report-only'], ['shop-batch', 'protected']]);
    expect(result.findings.find((f) => f.resource.id === 'shop-api')!.resource.tags).toEqual({ team: 'shop' });
  });

  it('reads aliases and provisioned concurrency only for functions whose memory could change', async () => {
    const env = account(0);
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'busy', memoryMb: 1536, timeoutS: 15, perHour: 60, insights: { usedMb: 200, cpuMs: 10 }, versions: { '7': 1536 }, aliases: { live: { version: '7', provisionedConcurrency: 20 } } });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'fits', memoryMb: 256, timeoutS: 15, perHour: 60, insights: { usedMb: 200, cpuMs: 10 } });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'idle', memoryMb: 256, timeoutS: 15 });
    const functions = await listAllRefined(env);
    expect(functions.find((f) => f.name === 'busy')!.aliases).toEqual([{ name: 'live', version: '7', provisionedConcurrency: 20 }]);
    expect(functions.find((f) => f.name === 'fits')!.aliases).toBeUndefined();
    expect(functions.find((f) => f.name === 'idle')!.memoryUnknown).toBe('not invoked in the last 14 days');
    expect(env.sandbox.callCount('lambda:ListAliases')).toBe(1);
    expect(env.sandbox.callCount('cloudwatchlogs:StartQuery')).toBe(0); // Lambda Insights answered
  });

  it('keeps the page when a function is deleted between the listing and its alias read (ResourceNotFoundException), leaving its memory unknown', async () => {
    // Prepare
    const env = account(0);
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'busy', memoryMb: 1536, timeoutS: 15, perHour: 60, insights: { usedMb: 200, cpuMs: 10 }, aliases: { live: { version: '$LATEST' } } });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'gone', memoryMb: 1536, timeoutS: 15, perHour: 60, insights: { usedMb: 200, cpuMs: 10 } });
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'ListAliases' && input.FunctionName === 'gone') delete lambdaState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').functions['gone'];
      return undefined;
    };
    // Act
    const functions = await listAllRefined(env);
    // Assess
    expect(functions.find((f) => f.name === 'busy')!.aliases).toEqual([{ name: 'live', version: '$LATEST' }]);
    const gone = functions.find((f) => f.name === 'gone')!;
    expect(gone.memory).toBeUndefined();
    expect(gone.memoryUnknown).toBe('the function was deleted during the scan (ListAliases: ResourceNotFoundException)');
  });

  it('reads aliases only for the functions a memory detector flags: a candidate whose saving is under the minimum costs no ListAliases', async () => {
    // Prepare: both use a fifth of their memory; only 'busy' runs enough for a saving over $1 a month.
    const env = testEnv('empty', { clock: new VirtualClock('2026-11-01T00:00:00Z'), pageCap: undefined });
    const spec = { memoryMb: 1024, timeoutS: 30, durationMs: { base: 200, noise: 10 }, insights: { usedMb: 200, cpuMs: 20 }, versions: { '3': 1024 }, aliases: { live: { version: '3', provisionedConcurrency: 5 } } };
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'busy', perHour: 4000 });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'quiet', perHour: 10 });

    // Act
    const result = await env.run(`
version: 1
policies:
  - { id: big, resource: lambda-function, detector: { type: memory-oversized, days: 14, maxUsedShare: 0.5 } }
`);

    // Assess: one alias read (and its provisioned concurrency) for the flagged function; the finding states them.
    expect(env.sandbox.callCount('lambda:ListAliases')).toBe(1);
    expect(env.sandbox.callCount('lambda:ListProvisionedConcurrencyConfigs')).toBe(1);
    expect(result.findings.map((f) => [f.resource.id, f.status])).toEqual([['busy', 'conflict']]);
    expect(result.findings[0].evidence.aliases).toBe('live → version 3, 5 provisioned');
  });

  it('splits a query around a log group that does not exist, keeping the others', async () => {
    const env = account(8);
    delete logsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').groups['/aws/lambda/svc-005'];
    const functions = await listAll(env);
    expect(functions.filter((f) => f.memory).map((f) => f.name)).toHaveLength(7);
    expect(functions.find((f) => f.name === 'svc-005')!.memoryUnknown).toMatch(/log group does not exist/);
    // 8 → 4 + 4 → 2 + 2 → 1 + 1: five failed starts, then the good halves.
    expect(env.sandbox.callCount('cloudwatchlogs:StartQuery')).toBeLessThanOrEqual(1 + 2 + 2 + 2);
  });

  it('reads the memory of a function that logs JSON (platform.report records), not only plain-text REPORT lines', async () => {
    // Prepare: one Text and one JSON function, no Lambda Insights.
    const env = testEnv('empty', { clock: new VirtualClock('2026-11-01T00:00:00Z'), timing: { scale: 1, consistencyMs: 2000 }, pageCap: undefined });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'text-fn', memoryMb: 1024, timeoutS: 30, perHour: 60, durationMs: { base: 100 }, reports: { usedMb: { base: 120 } } });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'json-fn', memoryMb: 1024, timeoutS: 30, perHour: 60, durationMs: { base: 100 }, logFormat: 'JSON', reports: { usedMb: { base: 140 } } });
    // Act
    const functions = await listAll(env, new Set(['usage:14']));
    // Assess
    const json = functions.find((f) => f.name === 'json-fn')!;
    expect(json.logFormat).toBe('JSON');
    expect(json.memoryUnknown).toBeUndefined();
    expect(json.memory).toMatchObject({ source: 'report-lines', maxUsedMb: 140 });
    expect(functions.find((f) => f.name === 'text-fn')!.memory).toMatchObject({ source: 'report-lines', maxUsedMb: 120 });
  });

  it('refuses to measure functions that share one log group, saying why, and queries (and pays for) nothing for them', async () => {
    // Prepare: two functions write to one custom log group; a third has its own.
    const env = testEnv('empty', { clock: new VirtualClock('2026-11-01T00:00:00Z'), timing: { scale: 1, consistencyMs: 2000 }, pageCap: undefined });
    const spec = { memoryMb: 1024, timeoutS: 30, perHour: 60, durationMs: { base: 100 }, reports: { usedMb: { base: 120 } } };
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'orders-a', logGroup: '/shop/orders' });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'orders-b', logGroup: '/shop/orders' });
    seedFunction(env.sandbox, SANDBOX_ACCOUNT, { ...spec, name: 'alone' });
    // Act
    const functions = await listAll(env, new Set(['usage:14']));
    // Assess
    const by = (n: string) => functions.find((f) => f.name === n)!;
    expect(by('orders-a').memory).toBeUndefined();
    expect(by('orders-a').memoryUnknown).toBe('its log group /shop/orders is shared with orders-b: report records name no function, so their memory figures cannot be told apart (give each function its own log group, or install Lambda Insights)');
    expect(by('orders-b').memoryUnknown).toMatch(/shared with orders-a/);
    expect(by('alone').memory).toMatchObject({ maxUsedMb: 120 });
    const queries = (logsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1') as { queries?: Record<string, { groups: string[] }> }).queries ?? {};
    const queried = Object.values(queries).flatMap((q) => q.groups);
    expect(queried).toEqual(['/aws/lambda/alone']);
  });

  it("counts what the memory reads cost: each function's share of the bytes its Logs Insights query scanned, at $0.005 per GB", async () => {
    // Prepare: 3 functions in one query, 60 invocations an hour each.
    const env = account(3);
    // Act
    const functions = await listAll(env, new Set(['usage:14']));
    // Assess: the sandbox scans 4 records of 300 bytes per invocation over 14 days = 24,192,000 bytes per group.
    for (const f of functions) expect(f.memory!.logsInsights).toEqual({ bytesScanned: 24_192_000, usd: 0.000121 });
  });

  it('leaves memory unknown, with the reason, when a query ends Timeout', async () => {
    const env = account(3);
    logsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').lambdaReports!['/aws/lambda/svc-001'].queryOutcome = 'Timeout';
    const functions = await listAll(env);
    expect(functions.map((f) => f.memoryUnknown)).toEqual(['the Logs Insights query ended Timeout', 'the Logs Insights query ended Timeout', 'the Logs Insights query ended Timeout']);
  });
});
