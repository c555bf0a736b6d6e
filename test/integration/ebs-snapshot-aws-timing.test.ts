/**
 * ebs-snapshot against an AWS-like sandbox: timing on (intermediate states, eventual
 * consistency), Recycle Bin rules as AWS judges them, and an emulator that ignores the
 * RestorableByUserIds filter. Issue 16, points 3 (snapshot and Recycle Bin parts), 4, 7 and 12.
 */
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws/clients.ts';
import { regionContext } from '../../lib/engine/run.ts';
import { undoAction } from '../../lib/engine/undo.ts';
import { deleteSnapshot } from '../../lib/resources/ebs-snapshot/remediators.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { ec2State, mimicEmulatorSnapshots } from '../../lib/sandbox/services/ec2.ts';
import { rbinState, type SandboxRule } from '../../lib/sandbox/services/rbin.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { UndoRefusedError } from '../../lib/util/errors.ts';
import { testEnv, type TestEnv } from '../helpers.ts';

const START = '2026-11-01T00:00:00Z';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The small-company scenario on an AWS-like sandbox: AWS state durations and a 2 s consistency window. */
function awsLike() {
  const clock = new VirtualClock(START);
  const env = testEnv('small-company', { clock, timing: { scale: 1, consistencyMs: 2_000 } });
  return { env, clock };
}

const ec2Of = (env: TestEnv, region = 'us-east-1') => ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), region);
const rulesOf = (env: TestEnv, region = 'us-east-1') => rbinState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), region).rules;
const byName = (env: TestEnv, name: string) => Object.values(ec2Of(env).snapshots).filter((s) => s.tags?.Name === name);

const policy = (action: string, detector = '{ type: orphaned }') => `
version: 1
policies:
  - id: snap-truth
    resource: ebs-snapshot
    detector: ${detector}
    action: { ${action} }
    mode: auto
    scope: { regions: [us-east-1] }
    limits: { maxActionsPerRun: 1000, cooldownHours: 0 }
`;

/** A region-level rule (no resource tags) that excludes snapshots tagged team=data. */
const regionRuleExcludingData: SandboxRule = {
  identifier: 'regionKeep14',
  resourceType: 'EBS_SNAPSHOT',
  retentionPeriod: { RetentionPeriodValue: 14, RetentionPeriodUnit: 'DAYS' },
  resourceTags: [],
  excludeResourceTags: [{ ResourceTagKey: 'team', ResourceTagValue: 'data' }],
  status: 'available',
  lockState: 'locked',
};

describe('Recycle Bin coverage per snapshot (issue 16, point 4)', () => {
  it('treats a snapshot excluded by a region-level rule as a final delete, and never offers its undo', async () => {
    // Prepare: the region-level rule retains everything but snapshots tagged team=data.
    const { env } = awsLike();
    rulesOf(env).regionKeep14 = structuredClone(regionRuleExcludingData);
    const [ci] = byName(env, 'ci-cache-final'); // team=platform: retained
    const legacy = byName(env, 'legacy-db nightly'); // team=data: excluded

    // Act
    const result = await env.run(policy('type: delete-snapshot'));

    // Assess: the plan, the record and the Recycle Bin agree, snapshot by snapshot.
    const ciAction = result.actions.find((a) => a.resource.id === ci.id)!;
    expect(ciAction.status).toBe('verified');
    expect(ciAction.summary).toContain('recoverable for 14 days (Recycle Bin rule regionKeep14)');
    expect((ciAction.after as { recoverableUntil?: string }).recoverableUntil).toBe(ec2Of(env).recycleBin[ci.id].exitTime);
    const legacyActions = result.actions.filter((a) => legacy.some((s) => s.id === a.resource.id));
    expect(legacyActions).toHaveLength(3);
    for (const action of legacyActions) {
      expect(action.status).toBe('verified');
      expect(action.summary).toContain('FINAL: no Recycle Bin rule covers it (region-level rule regionKeep14 excludes snapshots tagged team=data)');
      expect(action.after).not.toHaveProperty('recoverableUntil');
      expect(ec2Of(env).recycleBin[action.resource.id]).toBeUndefined();
      await expect(undoAction(action.id, env.deps)).rejects.toThrow(/final/);
    }
    const finding = result.findings.find((f) => f.resource.id === legacy[0].id)!;
    expect(finding.evidence.recycleBin).toBe("no rule covers this snapshot's delete (region-level rule regionKeep14 excludes snapshots tagged team=data): a delete is final");

    // The covered one comes back, tag removed, once the restore settles.
    const undone = await undoAction(ciAction.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(ec2Of(env).snapshots[ci.id].tags?.['trimtab:deleted-by']).toBeUndefined();
  });

  it('reads the rules with one ListRules and one GetRule per rule, whatever the number of snapshots', async () => {
    // Prepare: a region-level rule and a tag-level rule.
    const { env } = awsLike();
    rulesOf(env).regionKeep14 = structuredClone(regionRuleExcludingData);
    rulesOf(env).tagKeep30 = { ...structuredClone(regionRuleExcludingData), identifier: 'tagKeep30', resourceTags: [{ ResourceTagKey: 'trimtab:deleted-by', ResourceTagValue: 'trimtab' }], excludeResourceTags: [], retentionPeriod: { RetentionPeriodValue: 30, RetentionPeriodUnit: 'DAYS' } };
    // Act
    const scan = await env.run(policy('type: delete-snapshot'), { forceDryRun: true });
    // Assess: the tag-level rule matches trimtab's tag, so even team=data snapshots are recoverable, for its 30 days.
    expect(env.sandbox.callCount('rbin:ListRules')).toBe(1);
    expect(env.sandbox.callCount('rbin:GetRule')).toBe(2);
    const legacy = scan.findings.find((f) => f.resource.tags.Name === 'legacy-db nightly')!;
    expect(legacy.plan!.summary).toContain('recoverable for 30 days (Recycle Bin rule tagKeep30)');
  });

  it('does not count a pending rule, waits for it through the clock instead of creating a second one', async () => {
    // Prepare: trimtab's own rule, created by an earlier run, still pending for 30 s.
    const { env, clock } = awsLike();
    rulesOf(env).pendingTrimtab = {
      ...structuredClone(regionRuleExcludingData),
      identifier: 'pendingTrimtab',
      resourceTags: [{ ResourceTagKey: 'trimtab:deleted-by', ResourceTagValue: 'trimtab' }],
      excludeResourceTags: [],
      status: 'pending',
      availableAt: new Date(Date.parse(START) + 30_000).toISOString(),
    };
    const [ci] = byName(env, 'ci-cache-final');
    // Act: a scan first (pending: a delete now would be final), then a run that may create a rule.
    const scan = await env.run(policy('type: delete-snapshot'), { forceDryRun: true });
    const run = await env.run(policy('type: delete-snapshot, createRecycleBinRule: true', '{ type: orphaned }'));
    // Assess
    expect(scan.findings.find((f) => f.resource.id === ci.id)!.evidence.recycleBin).toMatch(/rule pendingTrimtab is 'pending' and retains nothing yet/);
    expect(env.sandbox.successfulWrites('CreateRule')).toHaveLength(0);
    const action = run.actions.find((a) => a.resource.id === ci.id)!;
    expect(action.status).toBe('verified');
    expect(ec2Of(env).recycleBin[ci.id]).toBeDefined();
    expect(clock.now().getTime() - Date.parse(START)).toBeGreaterThanOrEqual(30_000);
  });

  it('waits for the rule it creates to leave pending before the first delete', async () => {
    // Prepare: no rule; the policy asks trimtab to create one (AWS: pending for a while).
    const { env, clock } = awsLike();
    const [ci] = byName(env, 'ci-cache-final');
    // Act
    const started = performance.now();
    const run = await env.run(policy('type: delete-snapshot, createRecycleBinRule: true, recycleBinRetentionDays: 7'));
    // Assess: one rule, every delete retained by it, the wait spent in virtual time.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(env.sandbox.successfulWrites('CreateRule')).toHaveLength(1);
    const action = run.actions.find((a) => a.resource.id === ci.id)!;
    expect(action.status).toBe('verified');
    expect(action.summary).toContain('recoverable for 7 days');
    expect(ec2Of(env).recycleBin[ci.id].exitTime).toBe((action.after as { recoverableUntil: string }).recoverableUntil);
    expect(clock.now().getTime() - Date.parse(START)).toBeGreaterThanOrEqual(30_000);
  });
});

describe('Recycle Bin promises kept at apply time (issue 16, point 4)', () => {
  it('deletes nothing when a delete planned as recoverable is no longer covered at apply time', async () => {
    // Prepare: the plan was made (and approved) while a rule covered the snapshot; the rule is gone now.
    const { env } = awsLike();
    rulesOf(env).regionKeep14 = structuredClone(regionRuleExcludingData);
    const scan = await env.run(policy('type: delete-snapshot'), { forceDryRun: true });
    const finding = scan.findings.find((f) => f.resource.tags.Name === 'ci-cache-final')!;
    expect(finding.plan!.summary).toContain('recoverable for 14 days');
    delete rulesOf(env).regionKeep14;
    // A later invocation (the approval's apply) has its own clients, so it reads the rules afresh.
    const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: true, interceptor: env.sandbox, writePacing: false });
    const ctx = regionContext(env.deps, 'us-east-1', clients, env.sandbox.now());
    // Act
    const apply = deleteSnapshot.apply(ctx, finding.plan as never, finding);
    // Assess
    await expect(apply).rejects.toThrow(/planned as recoverable, but no Recycle Bin rule covers it now .*nothing was deleted/);
    expect(env.sandbox.successfulWrites('DeleteSnapshot')).toHaveLength(0);
    expect(ec2Of(env).snapshots[finding.resource.id]).toBeDefined();
  });

  it('records a delete the Recycle Bin does not show as final, without recoverableUntil, even when a rule was expected to keep it', async () => {
    // Prepare: a region-level rule without exclusions, read at the start of the run, disappears before the first delete.
    const { env } = awsLike();
    rulesOf(env).regionKeep14 = { ...structuredClone(regionRuleExcludingData), excludeResourceTags: [] };
    env.sandbox.faults.failWhen = ({ operation }) => {
      if (operation === 'CreateTags') delete rulesOf(env).regionKeep14;
      return undefined;
    };
    // Act
    const run = await env.run(policy('type: delete-snapshot'));
    // Assess: every delete was planned recoverable, none landed in the bin, none is recorded recoverable.
    const deleted = run.actions.filter((a) => a.status === 'verified');
    expect(deleted.length).toBeGreaterThanOrEqual(6);
    for (const action of deleted) {
      expect(action.summary).toContain('recoverable for 14 days (Recycle Bin rule regionKeep14)');
      expect(action.after).not.toHaveProperty('recoverableUntil');
      expect(action.transitions.find((t) => t.status === 'applied')!.detail).toMatch(/NOT confirmed in the Recycle Bin .*treat the delete as final/);
    }
    await expect(undoAction(deleted[0].id, env.deps)).rejects.toThrow(/final/);
  });
});

describe('Reads after writes on snapshots (issue 16, point 3)', () => {
  it('verifies a delete the listing still shows for a moment, and restores through a not-yet-visible snapshot', async () => {
    // Prepare: the eu-west-1 tag-level rule covers trimtab deletes.
    const { env } = awsLike();
    const run = await env.run(policy('type: delete-snapshot').replace('[us-east-1]', '[eu-west-1]'));
    const action = run.actions[0];
    expect(action.status).toBe('verified');
    // Act: undo right away; the restored snapshot is hidden from reads and tag writes for 2 s.
    const undone = await undoAction(action.id, env.deps);
    // Assess: the restore is recorded as done, and the tag write was retried until it landed.
    expect(undone.status).toBe('undone');
    const failedTagWrites = env.sandbox.writes.filter((w) => w.operation === 'DeleteTags' && w.outcome === 'InvalidSnapshot.NotFound');
    expect(failedTagWrites.length).toBeGreaterThan(0);
    const restored = ec2Of(env, 'eu-west-1').snapshots[action.resource.id];
    expect(restored.tags?.['trimtab:deleted-by']).toBeUndefined();
    expect(restored.state).toBe('recovering');
  });
});

describe('archive-snapshot while AWS is archiving (issue 16, point 7)', () => {
  it('refuses undo while archival is in progress, with when to retry and the 90-day minimum, then restores once archived', async () => {
    // Prepare: archive the only snapshot of a deleted volume; AWS takes hours.
    const { env, clock } = awsLike();
    const run = await env.run(policy('type: archive-snapshot'));
    const action = run.actions.find((a) => a.status === 'verified')!;
    const snap = ec2Of(env).snapshots[action.resource.id];
    expect(snap.storageTier).toBe('standard');
    expect(snap.lastTieringOperation).toBe('archival-in-progress');

    // Act + Assess: undo during archival is refused clearly, nothing written.
    const writes = env.sandbox.successfulWrites().length;
    const refusal = undoAction(action.id, env.deps);
    await expect(refusal).rejects.toThrow(UndoRefusedError);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/still being archived.*no way to cancel.*archival-completed.*at least 90 days \(until 2027-01-30\)/s);
    expect(env.sandbox.successfulWrites().length).toBe(writes);

    // Once AWS has archived it, undo starts a permanent restore that completes a day later.
    clock.advance(7 * HOUR);
    const undone = await undoAction(action.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(env.sandbox.successfulWrites('RestoreSnapshotTier').map((w) => (w.input as { PermanentRestore?: boolean }).PermanentRestore)).toEqual([true]);
    clock.advance(DAY);
    await env.run(policy('type: archive-snapshot'), { forceDryRun: true }); // any read settles the timed state
    expect(ec2Of(env).snapshots[action.resource.id].storageTier).toBe('standard');
  });

  it('does not start a second archival of a snapshot someone is already archiving', async () => {
    // Prepare: someone started archiving the snapshot in the console an hour ago; it still shows 'standard'.
    const { env } = awsLike();
    const [ci] = byName(env, 'ci-cache-final');
    Object.assign(ec2Of(env).snapshots[ci.id], { lastTieringOperation: 'archival-in-progress', tieringStartTime: new Date(Date.parse(START) - HOUR).toISOString(), tieringCompletesAt: new Date(Date.parse(START) + 5 * HOUR).toISOString() });
    // Act
    const run = await env.run(policy('type: archive-snapshot'));
    // Assess: no ModifySnapshotTier (AWS would refuse it), and the action says what is going on.
    expect(env.sandbox.successfulWrites('ModifySnapshotTier')).toHaveLength(0);
    expect(env.sandbox.writes.filter((w) => w.operation === 'ModifySnapshotTier')).toHaveLength(0);
    const action = run.actions.find((a) => a.resource.id === ci.id)!;
    expect(action.status).toBe('verified');
    expect(action.transitions.find((t) => t.status === 'applied')!.detail).toBe(`${ci.id} is already being archived (since 2026-10-31T23:00:00.000Z)`);
  });
});

describe('Public snapshots on an endpoint that ignores RestorableByUserIds (issue 16, point 12)', () => {
  it('confirms the marked candidates with DescribeSnapshotAttribute and warns that the filter is ignored', async () => {
    // Prepare: DescribeSnapshots ignores the filter, as LocalStack and moto do.
    const { env } = awsLike();
    mimicEmulatorSnapshots(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
    const logs: string[] = [];
    env.deps.log = (message) => logs.push(message);
    // Act
    const scan = await env.run(policy('type: delete-snapshot'), { forceDryRun: true });
    // Assess: only the really public snapshot is protected as public.
    const publicOnes = scan.findings.filter((f) => String(f.outcomeDetail ?? '').includes('shared publicly'));
    expect(publicOnes.map((f) => f.resource.tags.Name)).toEqual(['public-dataset-v1']);
    expect(scan.findings.filter((f) => f.status === 'actionable').length).toBeGreaterThanOrEqual(6);
    const ci = scan.findings.find((f) => f.resource.tags.Name === 'ci-cache-final')!;
    expect(ci.evidence.publicShare).toMatch(/^not public/);
    // The warning needs the whole listing: findings released at its end (orphaned) carry it, and the log has it.
    expect(ci.evidence.endpointWarning).toMatch(/returned all \d+ snapshots: the endpoint seems to ignore the filter/);
    expect(logs.some((l) => /seems to ignore the filter/.test(l))).toBe(true);
    // One DescribeSnapshotAttribute per marked snapshot that could be acted on, never for AMI, Backup, DLM or skip-tagged ones.
    const state = ec2Of(env);
    const amiSnaps = new Set(Object.values(state.images).flatMap((i) => i.snapshotIds));
    const couldAct = Object.values(state.snapshots).filter(
      (s) => s.state === 'completed' && !amiSnaps.has(s.id) && !Object.keys(s.tags ?? {}).some((k) => ['aws:backup:source-resource', 'aws:dlm:lifecycle-policy-id', 'trimtab:skip'].includes(k)),
    );
    expect(env.sandbox.callCount('ec2:DescribeSnapshotAttribute')).toBe(couldAct.length);
  });

  it('makes one DescribeSnapshotAttribute call per public candidate on AWS, where the filter works', async () => {
    // Prepare
    const { env } = awsLike();
    const logs: string[] = [];
    env.deps.log = (message) => logs.push(message);
    // Act
    const scan = await env.run(policy('type: delete-snapshot'), { forceDryRun: true });
    // Assess
    expect(env.sandbox.callCount('ec2:DescribeSnapshotAttribute')).toBe(1);
    expect(scan.findings.find((f) => f.resource.tags.Name === 'public-dataset-v1')!.status).toBe('protected');
    expect(logs.some((l) => /ignore the filter/.test(l))).toBe(false);
  });
});
