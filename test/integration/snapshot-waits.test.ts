/**
 * snapshot-and-delete (rds-instance, ebs-volume) as resumable steps (issue 25, last point): the
 * wait for the snapshot is a workflow wait, not a sleep inside one Lambda. Each step is recorded
 * through ApplyEnv.record before the next; an invocation with a short budget hands the wait back
 * as resumeAt; the resume reuses the recorded snapshot (never a second one) and runs the
 * apply-time re-checks again before the delete. A fake ApplyEnv stands in for the engine.
 */
import { describe, expect, it } from 'vitest';
import type { AppliedChange, ApplyEnv, Finding, Plan, RegionContext, StepProgress } from '../../lib/engine/types.ts';
import type { FindingResult } from '../../lib/engine/run.ts';
import { snapshotAndDelete as ebsSnapshotAndDelete, type SnapshotDeleteParams as EbsParams } from '../../lib/resources/ebs-volume/remediators.ts';
import { snapshotAndDelete as rdsSnapshotAndDelete, type SnapshotDeleteParams as RdsParams } from '../../lib/resources/rds-instance/remediators.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { ec2VolumeState } from '../../lib/sandbox/services/ec2-volumes.ts';
import { rdsState } from '../../lib/sandbox/services/rds.ts';
import { DEFAULT_PRICES } from '../../lib/savings/prices.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { ProtectedResourceError } from '../../lib/util/errors.ts';
import { TEST_START, testEnv } from '../helpers.ts';

const SHORT_BUDGET_MS = 40_000;
const LONG_BUDGET_MS = 600_000;

const awsLike = () => testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 0 } });
type Env = ReturnType<typeof awsLike>;
const ctxOf = (env: Env): RegionContext => ({
  account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: env.clients.withWrites(true), now: env.sandbox.now(), clock: env.sandbox.clock, prices: DEFAULT_PRICES, log: () => {},
});
const writesOf = (env: Env, op: string) => env.sandbox.successfulWrites(op).map((w) => w.input as Record<string, unknown>);

/** A fake engine side: the steps recorded so far (appended to `recorded`) and a fixed budget. */
const fakeEnv = (recorded: StepProgress[], remainingMs: number): ApplyEnv => ({
  progress: [...recorded],
  record: async (step) => {
    recorded.push(step);
  },
  remainingMs: () => remainingMs,
});

const approvalPolicy = (resource: string, detector: string, action: string) => `
version: 1
policies:
  - id: p
    resource: ${resource}
    detector: ${detector}
    action: ${action}
    mode: approval
    approval: { approvers: [ops@example.com] }
    scope: { regions: [us-east-1] }
    limits: { maxActionsPerRun: 100, cooldownHours: 0 }
`;

/** The approved plan of the first finding awaiting approval that `pick` accepts (nothing written). */
async function plannedFinding(env: Env, yaml: string, pick: (f: FindingResult) => boolean = () => true) {
  const planned = await env.run(yaml);
  const finding = planned.findings.find((f) => f.outcome === 'awaiting-approval' && pick(f));
  if (!finding?.plan) throw new Error('no finding awaiting approval');
  expect(env.sandbox.successfulWrites()).toEqual([]);
  return finding;
}

/** Invokes apply with `budget` until it no longer asks to resume, moving the clock to each resumeAt. */
async function resumeToEnd(env: Env, apply: (e: ApplyEnv) => Promise<AppliedChange>, recorded: StepProgress[], budget: number, max = 60) {
  for (let n = 0; n < max; n++) {
    const applied = await apply(fakeEnv(recorded, budget));
    if (!applied.resumeAt) return { applied, invocations: n + 1 };
    const wait = Date.parse(applied.resumeAt) - env.sandbox.now().getTime();
    if (wait > 0) await env.sandbox.clock.sleep(wait);
  }
  throw new Error(`not finished after ${max} invocations`);
}

describe('ebs-volume snapshot-and-delete as recorded, resumable steps', () => {
  async function prepare() {
    const env = awsLike();
    // The snapshot completes on the third read that names it (AWS: minutes to hours).
    ec2VolumeState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').snapshotPolls = 3;
    const finding = await plannedFinding(env, approvalPolicy('ebs-volume', '{ type: unattached, days: 30 }', '{ type: snapshot-and-delete, pollSeconds: 15 }'), (f) => f.resource.region === 'us-east-1');
    const volumeId = finding.resource.id;
    const apply = (e: ApplyEnv) => ebsSnapshotAndDelete.apply(ctxOf(env), finding.plan as unknown as Plan<EbsParams>, finding as Finding, e);
    const volume = () => ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes[volumeId];
    return { env, volumeId, apply, volume };
  }

  it('records the snapshot request and hands the wait back as resumeAt without deleting, then resumes with the same snapshot and deletes', async () => {
    // Prepare
    const { env, volumeId, apply, volume } = await prepare();
    const recorded: StepProgress[] = [];
    // Act: a first invocation with 40 s left.
    const first = await apply(fakeEnv(recorded, SHORT_BUDGET_MS));
    // Assess
    const snapshotId = writesOf(env, 'CreateSnapshot').length === 1 ? String(recorded[0]?.state?.snapshotId) : 'none';
    expect(recorded).toEqual([{ step: 'snapshot-requested', at: TEST_START.replace('Z', '.000Z'), state: { snapshotId } }]);
    expect(snapshotId).toMatch(/^snap-/);
    expect(first.resumeAt).toBe('2026-11-01T00:00:15.000Z');
    expect(first.after).toEqual({ step: 'snapshot-requested', snapshotId, waitingFor: `snapshot ${snapshotId} to complete` });
    expect(writesOf(env, 'DeleteVolume')).toEqual([]);
    expect(volume().state).toBe('available');

    // Act: the resume, at resumeAt, with time to finish.
    await env.sandbox.clock.sleep(15_000);
    const { applied } = await resumeToEnd(env, apply, recorded, LONG_BUDGET_MS);
    // Assess
    expect(recorded.map((s) => [s.step, s.state?.snapshotId])).toEqual([
      ['snapshot-requested', snapshotId],
      ['snapshot-completed', snapshotId],
      ['deleted', snapshotId],
    ]);
    expect(writesOf(env, 'CreateSnapshot')).toHaveLength(1);
    expect(writesOf(env, 'DeleteVolume')).toEqual([{ VolumeId: volumeId }]);
    expect(applied.resumeAt).toBeUndefined();
    expect(applied.after).toEqual({ deleted: true, snapshotId });
  });

  it('refuses the delete on a resume after the volume was attached, keeping the snapshot and taking no second one', async () => {
    // Prepare: the first invocation requested the snapshot and handed the wait back.
    const { env, apply, volume } = await prepare();
    const recorded: StepProgress[] = [];
    const first = await apply(fakeEnv(recorded, SHORT_BUDGET_MS));
    const snapshotId = String(recorded[0].state?.snapshotId);
    expect(first.resumeAt).toBeDefined();
    // Someone attaches the volume while the snapshot is taken.
    Object.assign(volume(), { state: 'in-use', attachments: [{ instanceId: 'i-0fe1100000000a001', device: '/dev/sdf', attachTime: TEST_START }] });
    await env.sandbox.clock.sleep(15_000);
    // Act
    const resumed = apply(fakeEnv(recorded, LONG_BUDGET_MS));
    // Assess
    await expect(resumed).rejects.toThrow(ProtectedResourceError);
    await expect(resumed).rejects.toThrow(`is now in-use (attached to i-0fe1100000000a001); not deleted (snapshot ${snapshotId} kept)`);
    expect(writesOf(env, 'CreateSnapshot')).toHaveLength(1);
    expect(writesOf(env, 'DeleteVolume')).toEqual([]);
    expect(ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').snapshots[snapshotId]).toBeDefined();
  });
});

describe('snapshot-and-delete never starts a step with under 30 s left', () => {
  it('ebs-volume: takes no snapshot and answers resumeAt now when the invocation has 20 s left', async () => {
    // Prepare
    const env = awsLike();
    const finding = await plannedFinding(env, approvalPolicy('ebs-volume', '{ type: unattached, days: 30 }', '{ type: snapshot-and-delete }'), (f) => f.resource.region === 'us-east-1');
    const recorded: StepProgress[] = [];
    // Act
    const applied = await ebsSnapshotAndDelete.apply(ctxOf(env), finding.plan as unknown as Plan<EbsParams>, finding as Finding, fakeEnv(recorded, 20_000));
    // Assess
    expect(applied.resumeAt).toBe('2026-11-01T00:00:00.000Z');
    expect(applied.after).toEqual({ step: 'none', waitingFor: 'the snapshot request (20000 ms left in this invocation)' });
    expect(recorded).toEqual([]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('rds-instance: takes no snapshot and answers resumeAt now when the invocation has 20 s left', async () => {
    // Prepare
    const env = awsLike();
    const finding = await plannedFinding(env, approvalPolicy('rds-instance', '{ type: idle-db-instance, days: 14 }', '{ type: snapshot-and-delete }'), (f) => f.resource.id === 'staging-reports-db');
    const recorded: StepProgress[] = [];
    // Act
    const applied = await rdsSnapshotAndDelete.apply(ctxOf(env), finding.plan as unknown as Plan<RdsParams>, finding as Finding, fakeEnv(recorded, 20_000));
    // Assess
    expect(applied.resumeAt).toBe('2026-11-01T00:00:00.000Z');
    expect(applied.after).toEqual({ step: 'none', waitingFor: 'the snapshot request (20000 ms left in this invocation)' });
    expect(recorded).toEqual([]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});

describe('rds-instance snapshot-and-delete of a running instance as recorded, resumable steps', () => {
  const ID = 'staging-reports-db';
  async function prepare() {
    const env = awsLike();
    const finding = await plannedFinding(env, approvalPolicy('rds-instance', '{ type: idle-db-instance, days: 14 }', '{ type: snapshot-and-delete, pollSeconds: 30 }'), (f) => f.resource.id === ID);
    const apply = (e: ApplyEnv) => rdsSnapshotAndDelete.apply(ctxOf(env), finding.plan as unknown as Plan<RdsParams>, finding as Finding, e);
    const rds = () => rdsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
    return { env, apply, rds };
  }

  it('records the snapshot request and hands the wait back as resumeAt without deleting, then resumes with the same snapshot and deletes', async () => {
    // Prepare
    const { env, apply, rds } = await prepare();
    expect(rds().instances[ID].status).toBe('available');
    const recorded: StepProgress[] = [];
    // Act: a first invocation with 40 s left.
    const first = await apply(fakeEnv(recorded, SHORT_BUDGET_MS));
    // Assess
    const snapshotId = 'trimtab-final-staging-reports-db-202611010000';
    expect(recorded).toEqual([{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z', state: { snapshotId } }]);
    expect(writesOf(env, 'CreateDBSnapshot')).toEqual([expect.objectContaining({ DBInstanceIdentifier: ID, DBSnapshotIdentifier: snapshotId })]);
    expect(first.resumeAt).toBe('2026-11-01T00:00:30.000Z');
    expect(first.after).toEqual({ step: 'snapshot-requested', snapshotId, waitingFor: `snapshot ${snapshotId} to be available` });
    expect(writesOf(env, 'DeleteDBInstance')).toEqual([]);

    // Act: the resumes, each with 10 minutes left (each polls at most about a minute).
    await env.sandbox.clock.sleep(30_000);
    const { applied, invocations } = await resumeToEnd(env, apply, recorded, LONG_BUDGET_MS);
    // Assess
    expect(invocations).toBeGreaterThan(1);
    expect(recorded.map((s) => [s.step, s.state?.snapshotId])).toEqual([
      ['snapshot-requested', snapshotId],
      ['snapshot-available', snapshotId],
      ['deleted', snapshotId],
    ]);
    expect(writesOf(env, 'CreateDBSnapshot')).toHaveLength(1);
    expect(writesOf(env, 'DeleteDBInstance')).toEqual([{ DBInstanceIdentifier: ID, SkipFinalSnapshot: true, DeleteAutomatedBackups: false }]);
    expect(applied.after).toEqual({ deleted: true, snapshotId });
    expect(rds().snapshots[snapshotId].status).toBe('available');
  });

  it('refuses the delete on a resume after the database was tagged trimtab:skip, keeping the snapshot and taking no second one', async () => {
    // Prepare: the first invocation requested the snapshot and handed the wait back.
    const { env, apply, rds } = await prepare();
    const recorded: StepProgress[] = [];
    const first = await apply(fakeEnv(recorded, SHORT_BUDGET_MS));
    const snapshotId = String(recorded[0].state?.snapshotId);
    expect(first.resumeAt).toBeDefined();
    rds().instances[ID].tags['trimtab:skip'] = 'keep it, we need it next quarter';
    await env.sandbox.clock.sleep(30_000);
    // Act
    const resumed = resumeToEnd(env, apply, recorded, LONG_BUDGET_MS);
    // Assess
    await expect(resumed).rejects.toThrow(ProtectedResourceError);
    await expect(resumed).rejects.toThrow(`${ID} is now tagged trimtab:skip; not deleted (snapshot ${snapshotId} kept)`);
    expect(recorded.map((s) => s.step)).toEqual(['snapshot-requested', 'snapshot-available']);
    expect(writesOf(env, 'CreateDBSnapshot')).toHaveLength(1);
    expect(writesOf(env, 'DeleteDBInstance')).toEqual([]);
    expect(rds().snapshots[snapshotId].status).toBe('available');
    expect(rds().instances[ID].status).toBe('available');
  });
});
