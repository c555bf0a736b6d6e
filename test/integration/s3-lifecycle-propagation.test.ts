/**
 * S3 lifecycle propagation: after a put or delete, GetBucketLifecycleConfiguration returns the
 * previous configuration for a few minutes (S3 User Guide, "Lifecycle configuration propagation
 * delay"). The sandbox models it; verify and undo must allow for it.
 */
import { describe, expect, it } from 'vitest';
import { undoAction } from '../../lib/engine/undo.ts';
import { regionContext } from '../../lib/engine/run.ts';
import { addLifecycleRules } from '../../lib/resources/s3-bucket/remediators.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../lib/sandbox/sandbox.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { UndoRefusedError } from '../../lib/util/errors.ts';
import { testEnv } from '../helpers.ts';

const START = '2026-11-01T00:00:00Z';

const ABORT_AUTO = `
version: 1
defaults: { mode: auto, limits: { maxActionsPerRun: 100, cooldownHours: 0 } }
policies:
  - id: abort
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules }
    scope: { includeNames: [acme-web-assets] }
`;

const bucket = (sandbox: Sandbox, name: string) => s3State(sandbox, sandbox.account(SANDBOX_ACCOUNT)).buckets[name];

/** scale 1: S3 shows a change two minutes after it; scale 3: six minutes, longer than verify re-reads for. */
const envWith = (scale: number) => testEnv('small-company', { clock: new VirtualClock(START), timing: { scale, consistencyMs: 2000 } });

describe('add-lifecycle-rules under S3 lifecycle propagation', () => {
  it('verifies the put once S3 shows it, re-reading through the clock instead of failing at once', async () => {
    // Prepare
    const env = envWith(1);

    // Act
    const result = await env.run(ABORT_AUTO);

    // Assess
    const [action] = result.actions;
    expect(action.status).toBe('verified');
    expect(action.verification).toEqual({ ok: true, detail: '1 trimtab rule(s) and 0 other rule(s) present, in order' });
    expect(env.sandbox.callCount('s3:GetBucketLifecycleConfiguration')).toBeGreaterThan(2); // the scan, apply's read, then re-reads
    expect(env.sandbox.now().getTime() - Date.parse(START)).toBeGreaterThanOrEqual(120_000); // waited (virtually) for propagation
  });

  it('leaves the action applied and undoable, saying verification is pending and how to re-verify, when S3 lags longer', async () => {
    // Prepare
    const env = envWith(3);

    // Act
    const result = await env.run(ABORT_AUTO);

    // Assess
    const [action] = result.actions;
    expect(action.status).toBe('applied');
    expect(action.transitions.map((t) => t.status)).not.toContain('failed');
    expect(action.verification?.pending).toBe(true);
    expect(action.verification?.detail).toMatch(/^verification pending: S3 still showed the earlier lifecycle configuration of s3:\/\/acme-web-assets after 8 reads over 182 s/);
    expect(action.verification?.detail).toContain("'aws s3api get-bucket-lifecycle-configuration --bucket acme-web-assets'");
    expect(result.summary.actionsFailed).toBe(0);
    expect(bucket(env.sandbox, 'acme-web-assets').lifecycle!.Rules.map((r) => r.ID)).toEqual(['trimtab-abort-incomplete-multipart-uploads']);
  });

  it('undo right after apply waits for the put to show instead of calling it a change by someone else', async () => {
    // Prepare: apply without verify, so the undo's first read still sees the old (no) configuration.
    const env = envWith(1);
    const scan = await env.run(ABORT_AUTO, { forceDryRun: true });
    const finding = scan.findings.find((f) => f.resource.id === 'acme-web-assets')!;
    const ctx = regionContext(env.deps, 'us-east-1', env.clients.withWrites(true), env.sandbox.now());
    const applied = await addLifecycleRules.apply(ctx, finding.plan as never, finding);
    const record = {
      ...structuredClone(scan.actions[0] ?? {}),
      id: 'act-1',
      findingId: finding.id,
      policy: 'abort',
      resource: finding.resource,
      action: 'add-lifecycle-rules',
      summary: '',
      params: finding.plan!.params,
      planHash: finding.plan!.hash,
      mode: 'auto' as const,
      actor: 'auto',
      status: 'applied' as const,
      transitions: [],
      before: applied.before,
      after: applied.after,
      estimatedMonthlySavingsUsd: 0,
      undo: { supported: 'yes' as const, how: '' },
    };
    await env.store.put(record);

    // Act
    const undone = await undoAction('act-1', { ...env.deps, store: env.store });

    // Assess
    expect(undone.status).toBe('undone');
    expect(bucket(env.sandbox, 'acme-web-assets').lifecycle).toBeUndefined();
  });

  it('undo refuses with "retry in a few minutes", changing nothing, while the change has not propagated', async () => {
    // Prepare: ten minutes of propagation, longer than verify's and undo's re-reads together.
    const env = envWith(5);
    const result = await env.run(ABORT_AUTO);
    const action = result.actions[0];
    env.sandbox.resetCounters();

    // Act
    const undo = undoAction(action.id, { ...env.deps, store: env.store });

    // Assess
    await expect(undo).rejects.toThrow(UndoRefusedError);
    await expect(undo).rejects.toThrow(/has not propagated yet \(S3 can take a few minutes\)\. Nothing was changed; retry the undo in a few minutes\./);
    expect(env.sandbox.successfulWrites()).toEqual([]);

    // And once S3 shows the change, the same undo goes through.
    (env.sandbox.clock as VirtualClock).advance(10 * 60_000);
    const later = await undoAction(action.id, { ...env.deps, store: env.store });
    expect(later.status).toBe('undone');
  });
});
