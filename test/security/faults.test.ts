/**
 * Faults: the run completes what it can, records what failed, never acts twice and never
 * loses an action record. The audit trail is the deployed one (DynamoDB audit table and
 * Powertools idempotency on DynamoDB, in the sandbox), so throttling and conditional-write
 * conflicts hit trimtab's own records too.
 */
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { afterAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws/clients.ts';
import { ensureSandboxAuditTables } from '../../lib/audit/sandbox-tables.ts';
import { createAudit } from '../../lib/audit/setup.ts';
import { MemoryActionStore } from '../../lib/audit/store.ts';
import { runPolicies, type EngineDeps } from '../../lib/engine/run.ts';
import { awsError, SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { abortRuleOf } from '../../lib/resources/s3-bucket/lifecycle.ts';
import { emptySandbox, policiesFrom, SETTLED_TIMING } from '../helpers.ts';
import { CLOCK, summary } from './harness.ts';

const BUCKETS = 20;
const POLICY = policiesFrom(`
policies:
  - id: abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
    limits: { maxActionsPerRun: 100, cooldownHours: 0 }
`);
const counts = { faultsInjected: 0, actionsAttempted: 0, actionsRecorded: 0, duplicateWrites: 0, lostRecords: 0 };
afterAll(() => summary('faults', counts));

/** A deterministic random source (mulberry32). */
function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** BUCKETS buckets without an abort rule, the stage's audit tables, and engine deps over them. */
function faultEnv(options: { dynamo?: boolean } = { dynamo: true }) {
  const sandbox = emptySandbox({ clock: CLOCK, timing: SETTLED_TIMING });
  const { buckets } = s3State(sandbox, sandbox.account());
  for (let i = 0; i < BUCKETS; i++) {
    const name = `fault-bucket-${String(i).padStart(2, '0')}`;
    buckets[name] = { name, region: 'us-east-1', tags: {}, createdAt: '2025-01-01T00:00:00.000Z', multipartUploads: [{ key: 'k', uploadId: 'u', initiated: '2026-10-01T00:00:00.000Z' }] };
  }
  // The SDK's own retry strategy, without the waiting (tests stay fast; the retry logic is real).
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { retryStrategy: new ConfiguredRetryStrategy(6, 1) } });
  const settings = { auditTable: 'trimtab-test-audit', idempotencyTable: 'trimtab-test-idempotency', ttlAttribute: 'expiresAt', retentionDays: 30 };
  if (options.dynamo) ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, 'us-east-1', settings);
  const audit = createAudit({ clients, region: 'us-east-1', settings: options.dynamo ? settings : { ttlAttribute: 'expiresAt', retentionDays: 30 }, fallbackStore: () => new MemoryActionStore(), now: CLOCK });
  const deps: EngineDeps = { account: SANDBOX_ACCOUNT, clients, defaultRegions: ['us-east-1'], now: CLOCK, clock: sandbox.clock, ...audit.trail.engineDeps(), idempotency: audit.idempotency };
  const fixed = () => Object.values(buckets).filter((b) => abortRuleOf(b.lifecycle?.Rules ?? [])).map((b) => b.name).sort();
  /** Successful lifecycle puts per bucket: more than one is acting twice. */
  const putsPerBucket = () => {
    const per = new Map<string, number>();
    for (const w of sandbox.successfulWrites('s3:PutBucketLifecycleConfiguration')) per.set((w.input as { Bucket: string }).Bucket, (per.get((w.input as { Bucket: string }).Bucket) ?? 0) + 1);
    return per;
  };
  return { sandbox, deps, audit, fixed, putsPerBucket, run: () => runPolicies({ policies: POLICY, actor: 'auto' }, deps) };
}

/** Every action the run returned is in the store with the same, final status; none is left 'planned'. */
async function expectRecorded(env: ReturnType<typeof faultEnv>, actions: { id: string; status: string }[]) {
  counts.actionsAttempted += actions.length;
  for (const action of actions) {
    const stored = await env.deps.store.get(action.id);
    if (!stored) counts.lostRecords += 1;
    expect(stored?.status, `record ${action.id}`).toBe(action.status);
    expect(['verified', 'failed', 'skipped']).toContain(stored!.status);
    counts.actionsRecorded += 1;
  }
}

function expectNoDuplicates(env: ReturnType<typeof faultEnv>) {
  const duplicates = [...env.putsPerBucket().values()].filter((n) => n > 1).length;
  counts.duplicateWrites += duplicates;
  expect(duplicates).toBe(0);
}

describe('faults during a run', () => {
  it('under throttling on 30% of all calls (account and audit tables), fixes every bucket once and records every action', async () => {
    // Prepare
    const env = faultEnv();
    const random = seeded(30);
    let injected = 0;
    env.sandbox.faults = { throttleRate: 0.3, random: () => { const r = random(); if (r < 0.3) injected += 1; return r; } };

    // Act: the run, then the next scheduled run under the same throttling
    const first = await env.run();
    const second = await env.run();

    // Assess
    counts.faultsInjected += injected;
    expect(injected).toBeGreaterThan(30);
    expect(first.errors).toEqual([]);
    expect(first.actions).toHaveLength(BUCKETS);
    expect(first.actions.every((a) => a.status === 'verified')).toBe(true);
    expect(env.fixed()).toHaveLength(BUCKETS);
    await expectRecorded(env, first.actions);
    expect(second.actions).toEqual([]);
    expectNoDuplicates(env);
    expect(env.sandbox.successfulWrites('s3:PutBucketLifecycleConfiguration')).toHaveLength(BUCKETS);
  });

  it('with a failure in the middle of the batch (the 7th lifecycle put is denied), fixes the others, records the failure, and retries only it next run', async () => {
    const env = faultEnv();
    env.sandbox.faults = { failWhen: ({ operation, count }) => (operation === 'PutBucketLifecycleConfiguration' && count === 7 ? awsError('AccessDenied', 'Access Denied', 403) : undefined) };
    counts.faultsInjected += 1;

    const first = await env.run();

    expect(first.actions).toHaveLength(BUCKETS);
    const failed = first.actions.filter((a) => a.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toMatchObject({ name: 'AccessDenied' });
    expect(env.fixed()).toHaveLength(BUCKETS - 1);
    expect(env.fixed()).not.toContain(failed[0].resource.id);
    await expectRecorded(env, first.actions);

    // The next run (fault gone) acts on the failed bucket only.
    env.sandbox.faults = {};
    const second = await env.run();
    expect(second.actions.map((a) => [a.resource.id, a.status])).toEqual([[failed[0].resource.id, 'verified']]);
    await expectRecorded(env, second.actions);
    expect(env.fixed()).toHaveLength(BUCKETS);
    expectNoDuplicates(env);
  });

  it('when the Lambda is about to time out mid-run, starts no new action, loses none, and the next run finishes the rest', async () => {
    const env = faultEnv();
    // 60 s left for the first 8 checks, then under the 10 s margin.
    let checks = 0;
    env.deps.remainingMs = () => (checks++ < 8 ? 60_000 : 4_000);
    counts.faultsInjected += 1;

    const first = await env.run();

    expect(first.actions).toHaveLength(8);
    const deferred = first.findings.filter((f) => f.outcome === 'skipped');
    expect(deferred).toHaveLength(BUCKETS - 8);
    expect(deferred.every((f) => /deferred: the invocation is about to time out/.test(f.outcomeDetail!))).toBe(true);
    await expectRecorded(env, first.actions);
    expect((await env.deps.store.list({ policy: 'abort-uploads' })).length).toBe(8);

    env.deps.remainingMs = () => 60_000;
    const second = await env.run();
    expect(second.actions).toHaveLength(BUCKETS - 8);
    await expectRecorded(env, second.actions);
    expect(env.fixed()).toHaveLength(BUCKETS);
    expectNoDuplicates(env);
  });

  it('with two runs at once (real conditional-write conflicts on the idempotency table), acts once per bucket and records each action once', async () => {
    const env = faultEnv();
    // Both runs share the account, the audit table and the idempotency table, like two Lambda invocations.
    const [a, b] = await Promise.all([env.run(), env.run()]);

    // A claim refused alone (ConditionalCheckFailedException) or inside the claim-and-record transaction (TransactionCanceledException).
    const conflicts = env.sandbox.writes.filter((w) => w.service === 'dynamodb' && (w.outcome === 'ConditionalCheckFailedException' || w.outcome === 'TransactionCanceledException')).length;
    counts.faultsInjected += conflicts;
    expect(conflicts).toBeGreaterThan(0);
    expect(a.actions.length + b.actions.length).toBe(BUCKETS);
    await expectRecorded(env, [...a.actions, ...b.actions]);
    const records = await env.deps.store.list({ policy: 'abort-uploads' });
    expect(new Set(records.map((r) => r.resource.arn)).size).toBe(BUCKETS);
    expect(records).toHaveLength(BUCKETS);
    expect(env.fixed()).toHaveLength(BUCKETS);
    expectNoDuplicates(env);
  });

  it('with ConditionalCheckFailedException injected on audit writes, never writes a change it could not record, and the next run completes', async () => {
    const env = faultEnv();
    // Another writer "wins" the 3rd and 10th PutItem on the audit table.
    env.sandbox.faults = {
      failWhen: ({ service, operation, input, count }) =>
        service === 'dynamodb' && operation === 'PutItem' && input.TableName === 'trimtab-test-audit' && (count === 3 || count === 10)
          ? awsError('ConditionalCheckFailedException', 'The conditional request failed', 400)
          : undefined,
    };
    counts.faultsInjected += 2;

    const first = await env.run();

    // The run went on past the two refused records. A refused 'planned' record stops its action
    // before any change; a refused later transition is followed by a 'failed' record that keeps
    // the 'applied' step (the change is on record, and verify did not vouch for it).
    const refused = first.findings.filter((f) => f.outcome === 'failed');
    expect(refused).toHaveLength(2);
    for (const f of refused) expect(f.outcomeDetail).toMatch(/by another writer after this one read it/);
    expect(first.actions.filter((a) => a.status === 'verified')).toHaveLength(BUCKETS - 2);
    await expectRecorded(env, first.actions);
    // Every bucket that was changed has an action record saying so.
    const records = await env.deps.store.list({ policy: 'abort-uploads' });
    const recorded = new Set(records.filter((r) => r.transitions.some((t) => t.status === 'applied')).map((r) => r.resource.id));
    for (const bucket of env.fixed()) expect(recorded.has(bucket), `${bucket} changed without a record`).toBe(true);
    expect(env.fixed().length).toBeGreaterThanOrEqual(BUCKETS - 2);

    env.sandbox.faults = {};
    const second = await env.run();
    expect(second.actions.every((a) => a.status === 'verified')).toBe(true);
    await expectRecorded(env, second.actions);
    expect(env.fixed()).toHaveLength(BUCKETS);
    expectNoDuplicates(env);
  });
});
