import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws/clients.ts';
import { undoAction } from '../../lib/engine/undo.ts';
import { seedSnapshots, PARTNER_ACCOUNT } from '../../lib/resources/ebs-snapshot/sandbox-seed.ts';
import { awsError, SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { ec2State, settleSnapshot, SNAPSHOT_TIMES } from '../../lib/sandbox/services/ec2.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { UndoRefusedError } from '../../lib/util/errors.ts';
import { emptySandbox, envFor, testEnv } from '../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

const policy = (detector: string, action = 'type: delete-snapshot', extra = '') => `
version: 1
policies:
  - id: ebs-test
    resource: ebs-snapshot
    detector: ${detector}
    action: { ${action} }
    mode: auto
    limits: { maxActionsPerRun: 1000, cooldownHours: 0 }
    ${extra}
`;

const snapshotsOf = (env: ReturnType<typeof testEnv>, region = 'us-east-1') => ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), region);

describe('ebs-snapshot on the small-company sandbox', () => {
  it('never deletes a protected snapshot, across every trap and all three detectors', async () => {
    // Prepare: every detector in auto mode with a high limit, so only protections stand in the way.
    const env = testEnv('small-company', { clock });
    const state = snapshotsOf(env);
    const amiSnapshots = new Set(Object.values(state.images).flatMap((i) => i.snapshotIds));
    const traps = Object.values(state.snapshots).filter(
      (s) =>
        amiSnapshots.has(s.id) ||
        Object.keys(s.tags ?? {}).some((k) => k === 'aws:backup:source-resource' || k === 'aws:dlm:lifecycle-policy-id' || k === 'trimtab:skip') ||
        (s.createVolumePermissions ?? []).length > 0 ||
        s.state !== 'completed',
    );
    const newestOfBatch = Object.values(state.snapshots).find((s) => s.tags?.Name === 'batch-before-upgrade')!;
    expect(traps.length).toBeGreaterThanOrEqual(24);

    // Act
    const result = await env.run(`
version: 1
defaults: { mode: auto, limits: { maxActionsPerRun: 1000, cooldownHours: 0 } }
policies:
  - { id: old, resource: ebs-snapshot, detector: { type: older-than, days: 1 }, action: { type: delete-snapshot } }
  - { id: orphans, resource: ebs-snapshot, detector: { type: orphaned, minAgeDays: 0 }, action: { type: delete-snapshot } }
  - { id: many, resource: ebs-snapshot, detector: { type: too-many-per-volume, keep: 1, existingVolumesOnly: false }, action: { type: delete-snapshot } }
`);

    // Assess: no write ever touched a trap, and every trap still exists.
    const deleted = new Set(env.sandbox.successfulWrites('DeleteSnapshot').map((w) => (w.input as { SnapshotId: string }).SnapshotId));
    expect(deleted.size).toBeGreaterThan(20);
    for (const trap of [...traps, newestOfBatch]) {
      expect(deleted.has(trap.id), `${trap.id} (${JSON.stringify(trap.tags)}) was deleted`).toBe(false);
      expect(state.snapshots[trap.id]).toBeDefined();
    }
    // The partner share is only visible per snapshot: apply found it and recorded it as protected.
    const partner = result.findings.filter((f) => f.resource.tags.Name === 'dr-copy-for-partner');
    expect(partner.length).toBeGreaterThan(0);
    // One change per resource per run: the first policy's delete reached apply and was refused as
    // protected; the other policies' deletes of the same snapshot were left out, never attempted.
    const tried = partner.filter((f) => f.status === 'protected');
    expect(tried).toHaveLength(1);
    expect(tried[0].outcomeDetail).toContain(PARTNER_ACCOUNT);
    expect(partner.filter((f) => f !== tried[0]).map((f) => [f.outcome, /one change per resource per run/.test(f.outcomeDetail ?? '')])).toEqual(partner.slice(1).map(() => ['skipped', true]));
    expect(result.summary.actionsFailed).toBe(0);
    expect(result.errors).toEqual([]);
  });

  it('records InvalidSnapshot.InUse as protected and never retries it', async () => {
    // Prepare: an AMI appears between the scan and the delete (AWS answers InUse).
    const env = testEnv('small-company', { clock });
    const target = Object.values(snapshotsOf(env).snapshots).find((s) => s.tags?.Name === 'ci-cache-final')!;
    env.sandbox.faults.failWhen = ({ operation, input }) =>
      operation === 'DeleteSnapshot' && input.SnapshotId === target.id ? awsError('InvalidSnapshot.InUse', `The snapshot ${target.id} is currently in use by ami-0new`) : undefined;
    // Act
    const result = await env.run(policy('{ type: orphaned }'));
    // Assess
    const finding = result.findings.find((f) => f.resource.id === target.id)!;
    expect(finding.status).toBe('protected');
    expect(finding.outcomeDetail).toContain('ami-0new');
    expect(env.sandbox.writes.filter((w) => w.operation === 'DeleteSnapshot' && (w.input as any).SnapshotId === target.id)).toHaveLength(1);
    expect(result.actions.find((a) => a.resource.id === target.id)!.status).toBe('skipped');
    expect(snapshotsOf(env).snapshots[target.id].tags?.['trimtab:deleted-by']).toBeUndefined();
  });

  it('counts InvalidSnapshot.NotFound as done', async () => {
    const env = testEnv('small-company', { clock });
    const target = Object.values(snapshotsOf(env).snapshots).find((s) => s.tags?.Name === 'ci-cache-final')!;
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation !== 'DeleteSnapshot' || input.SnapshotId !== target.id) return undefined;
      delete snapshotsOf(env).snapshots[target.id]; // someone else deleted it a moment ago
      return awsError('InvalidSnapshot.NotFound', `The snapshot '${target.id}' does not exist.`);
    };
    const result = await env.run(policy('{ type: orphaned }'));
    const action = result.actions.find((a) => a.resource.id === target.id)!;
    expect(action.status).toBe('verified');
    expect(action.transitions.find((t) => t.status === 'applied')!.detail).toMatch(/counts as done/);
  });

  it('honours maxActionsPerRun', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(policy('{ type: orphaned }', 'type: delete-snapshot', '').replace('maxActionsPerRun: 1000', 'maxActionsPerRun: 2'));
    expect(env.sandbox.successfulWrites('DeleteSnapshot')).toHaveLength(2);
    expect(result.findings.filter((f) => f.outcomeDetail?.startsWith('limit:')).length).toBeGreaterThan(0);
  });

  it('makes no write in dry-run, neither in a scan of auto policies nor in a dry-run policy', async () => {
    const env = testEnv('small-company', { clock });
    const scan = await env.run(policy('{ type: orphaned }', 'type: delete-snapshot, createRecycleBinRule: true'), { forceDryRun: true });
    const dry = await env.run(policy('{ type: too-many-per-volume }').replace('mode: auto', 'mode: dry-run'));
    expect(scan.findings.filter((f) => f.outcome === 'would-apply').length).toBeGreaterThan(5);
    expect(dry.findings.filter((f) => f.outcome === 'would-apply').length).toBe(13);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('reports approval-mode deletes as awaiting approval, with no write', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(policy('{ type: orphaned }', undefined, 'approval: { approvers: [ops@example.com] }').replace('mode: auto', 'mode: approval'));
    expect(result.summary.awaitingApproval).toBeGreaterThan(0);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('undoes a delete from the Recycle Bin when trimtab created the covering rule, and refuses a final one', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    const covered = await env.run(policy('{ type: orphaned }', 'type: delete-snapshot, createRecycleBinRule: true, recycleBinRetentionDays: 7', 'scope: { regions: [us-east-1] }'));
    const action = covered.actions.find((a) => a.status === 'verified')!;
    expect(env.sandbox.successfulWrites('CreateRule')).toHaveLength(1);
    expect(snapshotsOf(env).snapshots[action.resource.id]).toBeUndefined();
    // Act
    const undone = await undoAction(action.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    const restored = snapshotsOf(env).snapshots[action.resource.id];
    expect(restored).toBeDefined();
    expect(restored.tags?.['trimtab:deleted-by']).toBeUndefined();

    const final = testEnv('small-company', { clock });
    const run = await final.run(policy('{ type: orphaned }', 'type: delete-snapshot', 'scope: { regions: [us-east-1] }'));
    const finalAction = run.actions.find((a) => a.status === 'verified')!;
    expect(finalAction.summary).toContain('FINAL');
    await expect(undoAction(finalAction.id, final.deps)).rejects.toThrow(UndoRefusedError);
    await expect(undoAction(finalAction.id, final.deps)).rejects.toThrow(/final/);
  });

  it('uses an existing Recycle Bin rule without creating one (eu-west-1)', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(policy('{ type: orphaned }', 'type: delete-snapshot', 'scope: { regions: [eu-west-1] }'));
    expect(result.actions).toHaveLength(2);
    expect(result.actions[0].summary).toContain('recoverable for 30 days (Recycle Bin rule euTrimtab01)');
    expect(env.sandbox.successfulWrites('CreateRule')).toHaveLength(0);
    await undoAction(result.actions[0].id, env.deps);
    expect(snapshotsOf(env, 'eu-west-1').snapshots[result.actions[0].resource.id]).toBeDefined();
  });

  it('archives the only snapshot of a deleted volume and restores its tier on undo', async () => {
    // Works with instant and with AWS-like timing: time moves past the archival and the restore.
    const virtual = new VirtualClock(clock());
    const env = testEnv('small-company', { clock: virtual });
    const result = await env.run(policy('{ type: orphaned }', 'type: archive-snapshot'));
    // The other sole snapshot of a deleted volume is shared with a partner: found at apply, not archived.
    expect(result.actions.map((a) => a.status).sort()).toEqual(['skipped', 'verified']);
    const action = result.actions.find((a) => a.status === 'verified')!;
    const id = action.resource.id;
    const snapshot = () => settleSnapshot(snapshotsOf(env).snapshots[id], env.sandbox.now());
    expect(snapshot().tags?.Name).toBe('ci-cache-final');
    virtual.advance(SNAPSHOT_TIMES.archivalMs);
    expect(snapshot().storageTier).toBe('archive');
    // 310 GiB × ($0.05 − $0.0125)
    expect(action.estimatedMonthlySavingsUsd).toBe(11.63);
    await undoAction(action.id, env.deps);
    virtual.advance(SNAPSHOT_TIMES.permanentRestoreMs);
    expect(snapshot().storageTier).toBe('standard');
  });
});

describe('ebs-snapshot listing cost', () => {
  it('scans 10,000 snapshots with its pages, one DescribeImages pass and the volume pages, never a call per snapshot', async () => {
    // Prepare
    const sandbox = emptySandbox({ clock, pageCap: undefined }); // counts calls at AWS's full page size
    const seeded = seedSnapshots(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { snapshots: 10_000, amis: 300, volumes: 1_500 });
    const env = envFor(sandbox, ['us-east-1']);
    // Act: three policies on the same resource share one listing.
    const result = await env.run(
      `
version: 1
policies:
  - { id: old, resource: ebs-snapshot, detector: { type: older-than }, action: { type: delete-snapshot } }
  - { id: orphans, resource: ebs-snapshot, detector: { type: orphaned } }
  - { id: many, resource: ebs-snapshot, detector: { type: too-many-per-volume, keep: 3 } }
`,
      { forceDryRun: true },
    );
    // Assess
    expect(sandbox.callsByOperation()).toEqual({
      'ec2:DescribeImages': 1,
      'ec2:DescribeSnapshots': 10 + 1, // 10 pages of 1,000, and the public-share listing
      'ec2:DescribeVolumes': 2, // 1,500 volumes: 2 pages
      'rbin:ListRules': 1, // one paginated read of the region's rules (no rules here, so no GetRule)
    });
    const amiProtected = result.findings.filter((f) => seeded.amiSnapshotIds.includes(f.resource.id));
    expect(amiProtected.length).toBeGreaterThan(0);
    expect(amiProtected.every((f) => f.status === 'protected')).toBe(true);
    expect(result.findings.filter((f) => seeded.backupSnapshotIds.includes(f.resource.id)).every((f) => f.status === 'protected')).toBe(true);
  });
});

describe('ebs-snapshot pacing and throttling', () => {
  it('paces deletes through the client factory token bucket', async () => {
    // Prepare: 10 orphans, so 20 writes (CreateTags + DeleteSnapshot each) at 20/s with a burst of 1: ≥ 19 × 50 ms.
    const sandbox = emptySandbox({ clock });
    seedSnapshots(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { snapshots: 20, volumes: 2 });
    const env = envFor(sandbox, ['us-east-1']);
    env.deps.clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: { ec2: { perSecond: 20, burst: 1 } } });
    const started = performance.now();
    // Act
    const result = await env.run(policy('{ type: orphaned, minAgeDays: 0 }'));
    const elapsed = performance.now() - started;
    // Assess: each action writes twice (CreateTags, DeleteSnapshot), all through the 20/s bucket.
    const writes = sandbox.successfulWrites().length;
    expect(result.actions.filter((a) => a.status === 'verified')).toHaveLength(10);
    expect(writes).toBe(20);
    expect(elapsed).toBeGreaterThanOrEqual(((writes - 1) / 20) * 1000 * 0.9);
  });

  it('retries injected throttling and still deletes every candidate once', async () => {
    // Prepare: EC2 answers RequestLimitExceeded to the first attempt of every DeleteSnapshot.
    const sandbox = emptySandbox({ clock });
    seedSnapshots(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { snapshots: 4, volumes: 2 });
    sandbox.faults = { failWhen: ({ operation, count }) => (operation === 'DeleteSnapshot' && count % 2 === 1 ? awsError('RequestLimitExceeded', 'Request limit exceeded.', 503) : undefined) };
    const env = envFor(sandbox, ['us-east-1']);
    // Act
    const result = await env.run(policy('{ type: orphaned, minAgeDays: 0 }'));
    // Assess: 2 throttled attempts, each retried by the SDK; 2 deletes, each exactly once.
    expect(sandbox.writes.filter((w) => w.outcome === 'RequestLimitExceeded')).toHaveLength(2);
    expect(result.summary.actionsFailed).toBe(0);
    const deletes = sandbox.successfulWrites('DeleteSnapshot').map((w) => (w.input as { SnapshotId: string }).SnapshotId);
    expect(deletes).toHaveLength(2);
    expect(new Set(deletes).size).toBe(2);
  });
});
