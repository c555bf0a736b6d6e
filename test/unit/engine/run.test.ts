import { describe, expect, it } from 'vitest';
import { totalSavings } from '../../../lib/engine/run.ts';
import { undoAction } from '../../../lib/engine/undo.ts';
import { s3State } from '../../../lib/sandbox/services/s3.ts';
import { UndoRefusedError } from '../../../lib/util/errors.ts';
import { fourBucketsEnv, policiesFrom, SETTLED_TIMING } from '../../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

const testEnv = (_scenario: string, options: { clock: () => Date }) => fourBucketsEnv({ ...options, timing: SETTLED_TIMING });

const abortPolicy = (mode: string, extra = '') =>
  policiesFrom(`policies:
  - id: abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: ${mode}
${extra}`);

describe('the engine', () => {
  it('reports in dry-run and makes no write, even for an auto-worthy plan', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('dry-run'));
    expect(result.findings.filter((f) => f.status === 'actionable').map((f) => f.resource.id).sort()).toEqual([
      'acme-app-logs',
      'acme-config',
      'acme-eu-exports',
      'acme-web-assets',
    ]);
    expect(result.findings.every((f) => f.outcome !== 'applied')).toBe(true);
    expect(env.sandbox.writes).toHaveLength(0);
    expect(result.actions).toHaveLength(0);
  });

  it('forces dry-run for a scan whatever the policy mode says', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('auto'), { forceDryRun: true });
    expect(result.findings.filter((f) => f.plan).every((f) => f.outcome === 'would-apply' && f.mode === 'dry-run')).toBe(true);
    expect(env.sandbox.writes).toHaveLength(0);
  });

  it('applies, verifies and records auto-mode actions, keeping rules written by others', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('auto'));
    expect(result.summary.actionsApplied).toBe(4);
    const logs = s3State(env.sandbox, env.sandbox.account()).buckets['acme-app-logs'];
    expect(logs.lifecycle!.Rules.map((r) => r.ID)).toEqual(['expire-debug-logs', 'archive-audit', 'trimtab-abort-incomplete-multipart-uploads']);
    const record = result.actions.find((a) => a.resource.id === 'acme-app-logs')!;
    expect(record.status).toBe('verified');
    expect(record.transitions.map((t) => t.status)).toEqual(['planned', 'applied', 'verified']);
    expect((record.before as any).lifecycle.Rules).toHaveLength(2);
    expect((await env.store.list()).map((r) => r.id).sort()).toEqual(result.actions.map((a) => a.id).sort());
  });

  it('never touches a resource tagged trimtab:skip, and reports it as protected', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('auto'));
    const legal = result.findings.find((f) => f.resource.id === 'acme-legal-hold')!;
    expect(legal.status).toBe('protected');
    expect(legal.reason).toMatch(/Protected: tagged trimtab:skip/);
    expect(env.sandbox.successfulWrites().some((w) => (w.input as any).Bucket === 'acme-legal-hold')).toBe(false);
  });

  it('finds nothing left to do on a second run, and never acts twice', async () => {
    const env = testEnv('small-company', { clock });
    await env.run(abortPolicy('auto'));
    const writes = env.sandbox.successfulWrites().length;
    const second = await env.run(abortPolicy('auto'));
    expect(second.findings.filter((f) => f.status === 'actionable')).toHaveLength(0);
    expect(env.sandbox.successfulWrites().length).toBe(writes);
  });

  it('caps actions per run and leaves the rest for later, saying why', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('auto', '    limits: { maxActionsPerRun: 1 }'));
    expect(result.actions).toHaveLength(1);
    const skipped = result.findings.filter((f) => f.outcome === 'skipped');
    expect(skipped).toHaveLength(3);
    expect(skipped[0].outcomeDetail).toMatch(/at most 1 actions per run/);
  });

  it('respects the per-resource cooldown after an undo-free outside change', async () => {
    const env = testEnv('small-company', { clock });
    await env.run(abortPolicy('auto'));
    // Someone removes the rules by hand; within the cooldown trimtab does not put them back.
    for (const bucket of Object.values(s3State(env.sandbox, env.sandbox.account()).buckets)) delete bucket.lifecycle;
    const again = await env.run(abortPolicy('auto', '    limits: { cooldownHours: 24 }'));
    const web = again.findings.find((f) => f.resource.id === 'acme-web-assets')!;
    expect(web.outcome).toBe('skipped');
    expect(web.outcomeDetail).toMatch(/already applied|cooldown/);
  });

  it('undoes an action exactly, refuses a second undo, and does not redo an undone change', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('auto'));
    const logs = result.actions.find((a) => a.resource.id === 'acme-app-logs')!;
    const webAssets = result.actions.find((a) => a.resource.id === 'acme-web-assets')!;
    await undoAction(logs.id, env.deps);
    await undoAction(webAssets.id, env.deps);
    const buckets = s3State(env.sandbox, env.sandbox.account()).buckets;
    expect(buckets['acme-app-logs'].lifecycle!.Rules.map((r) => r.ID)).toEqual(['expire-debug-logs', 'archive-audit']);
    expect(buckets['acme-web-assets'].lifecycle).toBeUndefined();
    await expect(undoAction(logs.id, env.deps)).rejects.toThrow(/already undone/);
    // The next scheduled run comes later: S3 has propagated the undo by then (reads lag a put for a while).
    await env.sandbox.clock.sleep(60_000);
    const rerun = await env.run(abortPolicy('auto'));
    expect(rerun.findings.find((f) => f.resource.id === 'acme-app-logs')!.outcomeDetail).toMatch(/a person undid it/);
  });

  it('refuses undo when the configuration changed after the action', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('auto'));
    const web = result.actions.find((a) => a.resource.id === 'acme-web-assets')!;
    s3State(env.sandbox, env.sandbox.account()).buckets['acme-web-assets'].lifecycle!.Rules.push({ ID: 'manual', Status: 'Enabled', Filter: {}, Expiration: { Days: 9 } });
    const writes = env.sandbox.successfulWrites().length;
    await expect(undoAction(web.id, env.deps)).rejects.toBeInstanceOf(UndoRefusedError);
    expect(env.sandbox.successfulWrites().length).toBe(writes);
  });

  it('asks for confirmation before the first write, and writes nothing when refused', async () => {
    const env = testEnv('small-company', { clock });
    let asked = 0;
    const result = await env.run(abortPolicy('auto'), { confirm: async (pending) => (asked = pending.length, false) });
    expect(asked).toBe(4);
    expect(env.sandbox.writes).toHaveLength(0);
    expect(result.findings.filter((f) => f.outcome === 'skipped')).toHaveLength(4);
  });

  it('reports approval-mode findings as awaiting approval without writing', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('approval', '    approval: { approvers: [ops@example.com] }'));
    expect(result.summary.awaitingApproval).toBe(4);
    expect(env.sandbox.writes).toHaveLength(0);
  });

  it('applies scope filters: names and tags', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(abortPolicy('dry-run', "    scope: { excludeNames: ['acme-eu-*'], includeTags: { team: [web, platform] } }"));
    expect(result.findings.map((f) => f.resource.id).sort()).toEqual(['acme-app-logs', 'acme-config', 'acme-web-assets']);
  });

  it('completes other regions when one region cannot be listed, and records the failure', async () => {
    const env = testEnv('small-company', { clock });
    env.sandbox.faults = { failWhen: ({ operation, input }) => (operation === 'ListBuckets' && input.BucketRegion === 'eu-west-1' ? Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }) : undefined) };
    const result = await env.run(abortPolicy('dry-run'));
    expect(result.errors).toEqual([{ policies: ['abort-uploads'], region: 'eu-west-1', resourceType: 's3-bucket', error: 'Access Denied' }]);
    expect(result.findings.some((f) => f.resource.region === 'us-east-1')).toBe(true);
  });

  it('stops starting actions when the invocation is about to time out', async () => {
    const env = testEnv('small-company', { clock });
    let left = 60_000;
    env.deps.remainingMs = () => (left -= 30_000);
    const result = await env.run(abortPolicy('auto'));
    expect(result.actions).toHaveLength(1);
    expect(result.findings.filter((f) => f.outcomeDetail?.startsWith('deferred'))).toHaveLength(3);
  });
});

describe('totalSavings', () => {
  const finding = (arn: string, action: string, monthlyUsd: number) => ({ resource: { arn }, detector: 'd', plan: { action }, savings: { monthlyUsd } }) as any;

  it('counts a saving once when two policies plan the same action on one resource', () => {
    expect(totalSavings([finding('arn:1', 'delete-snapshot', 10), finding('arn:1', 'delete-snapshot', 12), finding('arn:2', 'delete-snapshot', 5)])).toBe(17);
  });

  it('counts one change per resource: different actions on the same resource count as the larger (a run makes only one)', () => {
    expect(totalSavings([finding('arn:1', 'add-lifecycle-rules', 3), finding('arn:1', 'archive-snapshot', 4), finding('arn:2', 'archive-snapshot', 1)])).toBe(5);
  });
});
