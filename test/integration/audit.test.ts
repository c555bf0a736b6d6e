/**
 * The audit trail end to end on the sandbox account: the Lambda deps as deployed (DynamoDB
 * audit table, Powertools idempotency on DynamoDB, EventBridge events), the sweep handler,
 * redelivered and concurrent deliveries, and undo against a stage from the CLI side.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSandboxAuditTables } from '../../lib/audit/sandbox-tables.ts';
import { createAudit, stageTables } from '../../lib/audit/setup.ts';
import { MemoryActionStore } from '../../lib/audit/store.ts';
import { memoryIdempotency } from '../../lib/audit/idempotency.ts';
import { applyOne, runPolicies } from '../../lib/engine/run.ts';
import { undoAction } from '../../lib/engine/undo.ts';
import { lambdaDeps, type LambdaDeps } from '../../lib/lambda/deps.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { dynamoState } from '../../lib/sandbox/services/dynamodb.ts';
import { eventBridgeState } from '../../lib/sandbox/services/eventbridge.ts';
import { UndoRefusedError } from '../../lib/util/errors.ts';
import { policiesFrom, testEnv, SETTLED_TIMING } from '../helpers.ts';
import { seededSandbox } from '../../lib/sandbox/index.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { abortRuleOf } from '../../lib/resources/s3-bucket/lifecycle.ts';

const POLICIES = `
version: 1
policies:
  - id: s3-abort-incomplete-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
  - id: s3-no-lifecycle
    resource: s3-bucket
    detector: { type: missing-lifecycle }
`;

/** Buckets of the small-company scenario the abort policy fixes: no abort rule yet, not tagged trimtab:skip. */
const FIXES = (() => {
  const sandbox = seededSandbox('small-company');
  return Object.values(s3State(sandbox, sandbox.account(SANDBOX_ACCOUNT)).buckets).filter((b) => !b.tags?.['trimtab:skip'] && !abortRuleOf(b.lifecycle?.Rules ?? [])).length;
})();

const ENV_KEYS = ['TRIMTAB_SANDBOX', 'TRIMTAB_SANDBOX_FILE', 'TRIMTAB_POLICY_FILE', 'AWS_REGION', 'TRIMTAB_REGIONS', 'TRIMTAB_AUDIT_TABLE', 'TRIMTAB_IDEMPOTENCY_TABLE', 'TRIMTAB_EVENT_BUS'];
const fakeContext = { getRemainingTimeInMillis: () => 280_000, functionName: 'trimtab-dev-scan', awsRequestId: 'req-1' } as unknown as Context;

describe('the deployed sweep with its audit trail (sandbox)', () => {
  const saved: Record<string, string | undefined> = {};
  let deps: LambdaDeps;

  beforeEach(async () => {
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-audit-'));
    writeFileSync(join(dir, 'trimtab.yml'), POLICIES);
    Object.assign(process.env, {
      TRIMTAB_SANDBOX: '1',
      TRIMTAB_SANDBOX_FILE: join(dir, 'sandbox.json'),
      TRIMTAB_POLICY_FILE: join(dir, 'trimtab.yml'),
      AWS_REGION: 'us-east-1',
      TRIMTAB_REGIONS: 'us-east-1,eu-west-1',
      TRIMTAB_AUDIT_TABLE: 'trimtab-dev-audit',
      TRIMTAB_IDEMPOTENCY_TABLE: 'trimtab-dev-idempotency',
      TRIMTAB_EVENT_BUS: 'default',
    });
    // Overrides bypass the per-container cache: a fresh container per test.
    deps = await lambdaDeps({ flush: () => {} });
  });

  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  const region = () => deps.sandbox!.account(SANDBOX_ACCOUNT).regions['us-east-1'];
  const events = () => eventBridgeState(deps.sandbox!, deps.sandbox!.account(SANDBOX_ACCOUNT), 'us-east-1').events;
  const table = (name: string) => dynamoState(deps.sandbox!, deps.sandbox!.account(SANDBOX_ACCOUNT), 'us-east-1').tables[name];

  it('records every finding and every transition in the table and publishes one event for each', async () => {
    // Act
    const out = await runSweep(JSON.parse(readFileSync('events/schedule-daily.json', 'utf8')), fakeContext, deps);

    // Assess: every bucket without an abort rule fixed, each planned → applied → verified.
    expect(out.summary.actionsApplied).toBe(FIXES);
    const actions = await deps.audit.store.list();
    expect(actions.map((a) => a.transitions.map((t) => t.status))).toEqual(Array(FIXES).fill(['planned', 'applied', 'verified']));
    const findings = await deps.audit.store.listFindings!();
    expect(findings).toHaveLength(out.summary.findings + out.summary.protected);
    expect(findings.filter((f) => f.status === 'protected').map((f) => f.resource.id)).toEqual(['acme-legal-hold', 'acme-legal-hold']);
    const types = events().reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.detailType]: (acc[e.detailType] ?? 0) + 1 }), {});
    expect(types).toEqual({ 'Finding Detected': out.summary.findings, 'Remediation Planned': FIXES, 'Remediation Applied': FIXES, 'Remediation Verified': FIXES });
    expect(events().every((e) => e.source === 'trimtab' && e.bus === 'default' && e.resources[0].startsWith('arn:aws:s3:::'))).toBe(true);
    const applied = events().find((e) => e.detailType === 'Remediation Applied')!.detail as Record<string, any>;
    expect(applied).toMatchObject({ version: '1', policy: 's3-abort-incomplete-uploads', status: 'applied', mode: 'auto', actor: 'auto', action: 'add-lifecycle-rules', resource: { type: 's3-bucket' } });
    expect(applied.undo.command).toBe(`trimtab undo ${applied.actionId}`);
    // Batched: 11 + 12 events in ≤10-entry PutEvents calls, queries instead of scans.
    const calls = deps.sandbox!.callsByOperation();
    expect(calls['eventbridge:PutEvents']).toBe(Math.ceil(events().length / 10));
    expect(calls['dynamodb:Scan']).toBeUndefined();
    // The sweep streams: findings are recorded as each listed page settles, one batched write per
    // page here (two pages with findings, under 25 each), not one write per finding.
    expect(calls['dynamodb:BatchWriteItem']).toBe(2);
    expect(Object.keys(table('trimtab-dev-idempotency').items)).toHaveLength(FIXES);
    expect(region().dynamodb.tables['trimtab-dev-audit'].ttlAttribute).toBe('expiresAt');
  });

  it('acts once when every sample schedule event is delivered twice', async () => {
    // Prepare
    const samples = readdirSync('events').filter((f) => f.startsWith('schedule')).map((f) => JSON.parse(readFileSync(join('events', f), 'utf8')));
    expect(samples.length).toBeGreaterThan(0);

    // Act
    for (const sample of samples) {
      await runSweep(sample, fakeContext, deps);
      await runSweep(structuredClone(sample), fakeContext, deps);
    }

    // Assess
    expect(deps.sandbox!.successfulWrites('PutBucketLifecycleConfiguration')).toHaveLength(FIXES);
    expect(await deps.audit.store.list()).toHaveLength(FIXES);
    expect(events().filter((e) => e.detailType === 'Remediation Applied')).toHaveLength(FIXES);
  });
});

describe('idempotency when the history cannot tell (sandbox)', () => {
  const clock = () => new Date('2026-11-01T00:00:00Z');

  it('never applies a planned change twice when a retried invocation carries it again, even with its records lost', async () => {
    // Prepare: the plans (as an approval workflow holds them), and two "containers" sharing the idempotency table but not the history.
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const tables = { auditTable: undefined, idempotencyTable: 'trimtab-dev-idempotency', ttlAttribute: 'expiresAt', retentionDays: 30 };
    ensureSandboxAuditTables(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', tables);
    const container = () => createAudit({ clients: env.clients, region: 'us-east-1', settings: tables, fallbackStore: () => new MemoryActionStore() });
    const policy = policiesFrom(POLICIES)[0];
    const planned = (await runPolicies({ policies: [policy], forceDryRun: true }, env.deps)).findings.filter((f) => f.plan);
    const deliver = async () => {
      const audit = container();
      const deps = { ...env.deps, ...audit.trail.engineDeps(), idempotency: audit.idempotency };
      const findings = structuredClone(planned);
      const records = [];
      for (const finding of findings) records.push(await applyOne(policy, finding, 'auto', deps));
      return { findings, records, audit };
    };

    // Act
    const first = await deliver();
    const retry = await deliver();

    // Assess
    expect(planned).toHaveLength(FIXES);
    expect(first.findings.map((f) => f.outcome)).toEqual(Array(FIXES).fill('applied'));
    expect(retry.findings.map((f) => f.outcome)).toEqual(Array(FIXES).fill('skipped'));
    expect(retry.findings[0].outcomeDetail).toMatch(/^already done: act-.* \(verified\) made this exact change/);
    expect(retry.records.map((r) => r.id)).toEqual(first.records.map((r) => r.id));
    expect(await retry.audit.store.list()).toEqual([]);
    expect(env.sandbox.successfulWrites('PutBucketLifecycleConfiguration')).toHaveLength(FIXES);
    expect(Object.keys(dynamoState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').tables['trimtab-dev-idempotency'].items)).toHaveLength(FIXES);
  });

  it('lets only one of two concurrent deliveries act; the other is told it is in progress', async () => {
    // Prepare: one shared history, so both runs read it before either has written.
    const env = testEnv('small-company', { clock, latencyMs: 1, kind: true }); // read-after-write consistent: this is about the idempotency layer alone
    const idempotency = memoryIdempotency();
    const policies = policiesFrom(POLICIES);

    // Act
    const [a, b] = await Promise.all([runPolicies({ policies }, { ...env.deps, idempotency }), runPolicies({ policies }, { ...env.deps, idempotency })]);

    // Assess
    expect(a.summary.actionsApplied + b.summary.actionsApplied).toBe(FIXES);
    expect(env.sandbox.successfulWrites('PutBucketLifecycleConfiguration')).toHaveLength(FIXES);
    const loser = [...a.findings, ...b.findings].filter((f) => f.outcome === 'skipped');
    expect(loser).toHaveLength(FIXES);
    expect(loser.every((f) => /^in progress: Another invocation is applying the same change/.test(f.outcomeDetail!))).toBe(true);
  });

  it('releases the key when apply failed before writing, so the next delivery retries', async () => {
    // Prepare: the first PutBucketLifecycleConfiguration is refused.
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    let refused = false;
    env.sandbox.faults.failWhen = ({ operation }) => {
      if (operation !== 'PutBucketLifecycleConfiguration' || refused) return undefined;
      refused = true;
      return Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError', $fault: 'client' as const, $metadata: { httpStatusCode: 400 } });
    };
    const idempotency = memoryIdempotency();
    const policies = policiesFrom(POLICIES);

    // Act
    const first = await runPolicies({ policies }, { ...env.deps, idempotency });
    const second = await runPolicies({ policies }, { ...env.deps, idempotency });

    // Assess
    expect(first.summary.actionsFailed).toBe(1);
    expect(second.actions.map((a) => a.status)).toEqual(['verified']);
    expect(env.sandbox.successfulWrites('PutBucketLifecycleConfiguration')).toHaveLength(FIXES);
  });
});

describe('undo against a deployed stage (sandbox)', () => {
  const clock = () => new Date('2026-11-01T00:00:00Z');
  const stage = { ...stageTables('dev'), eventBus: 'default', ttlAttribute: 'expiresAt', retentionDays: 30 };

  function stageEnv() {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    ensureSandboxAuditTables(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', stage);
    const audit = createAudit({ clients: env.clients, region: 'us-east-1', settings: stage, fallbackStore: () => new MemoryActionStore(), now: clock });
    return { env, audit, deps: { ...env.deps, ...audit.trail.engineDeps(), idempotency: audit.idempotency } };
  }

  it('restores the bucket from the record in the table and records the undo with an event', async () => {
    // Prepare
    const { env, audit, deps } = stageEnv();
    const run = await runPolicies({ policies: policiesFrom(POLICIES) }, deps);
    await audit.trail.flush();
    const target = run.actions.find((a) => a.resource.id === 'acme-web-assets')!;

    // Act
    const undone = await undoAction(target.id, deps, 'oncall@example.com');
    await audit.trail.flush();

    // Assess
    expect(undone.status).toBe('undone');
    expect((await audit.store.get(target.id))!.transitions.map((t) => t.status)).toEqual(['planned', 'applied', 'verified', 'undone']);
    const state = env.sandbox.account(SANDBOX_ACCOUNT).global.s3.buckets['acme-web-assets'];
    expect(state.lifecycle).toBeUndefined();
    const last = eventBridgeState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').events.at(-1)!;
    expect(last.detailType).toBe('Remediation Undone');
    expect(last.detail).toMatchObject({ actionId: target.id, status: 'undone' });
    expect((last.detail as { detail: string }).detail).toContain('(by oncall@example.com)');
  });

  it('refuses with the reason when the resource changed since the action, and records nothing', async () => {
    // Prepare: someone edits the bucket's lifecycle after trimtab's action.
    const { env, audit, deps } = stageEnv();
    const run = await runPolicies({ policies: policiesFrom(POLICIES) }, deps);
    const target = run.actions.find((a) => a.resource.id === 'acme-app-logs')!;
    env.sandbox.account(SANDBOX_ACCOUNT).global.s3.buckets['acme-app-logs'].lifecycle.Rules.push({ ID: 'by-hand', Status: 'Enabled', Filter: {}, Expiration: { Days: 400 } });

    // Act
    const refusal = undoAction(target.id, deps);

    // Assess
    await expect(refusal).rejects.toThrow(UndoRefusedError);
    await expect(undoAction(target.id, deps)).rejects.toThrow(/changed after trimtab's action/);
    expect((await audit.store.get(target.id))!.status).toBe('verified');
  });
});
