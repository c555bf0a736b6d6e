/**
 * A checkpoint inside one unit (issue 29 §1): a unit (one resource type in one region) that does
 * not fit one invocation stops after a page and the sweep state machine goes on from its cursor
 * and its detectors' saved state. Small pages (the sandbox's page cap) and a context that is
 * always short of time make every invocation stop after its first page.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { localStateMachine, polyfillPromiseWithResolvers } from '../../lib/approval/local.ts';
import { MemoryCheckpointStore } from '../../lib/engine/checkpoint.ts';
import type { FindingResult } from '../../lib/engine/run.ts';
import { lambdaDeps, type LambdaDeps } from '../../lib/lambda/deps.ts';
import { SWEEP_STATE, sweepDefinition } from '../../lib/lambda/sweep-machine.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { seedAutoScalingGroups } from '../../lib/resources/asg/sandbox-seed.ts';
import { seedSnapshots } from '../../lib/resources/ebs-snapshot/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { faultRules } from '../../lib/sandbox/faults.ts';
import { DynamoCheckpointStore } from '../../lib/audit/checkpoints.ts';
import { ensureSandboxAuditTables } from '../../lib/audit/sandbox-tables.ts';
import { lambdaDepsFor, policiesFrom, testEnv, type TestSandboxOptions } from '../helpers.ts';

polyfillPromiseWithResolvers();

const NOW = new Date('2026-11-01T00:00:00Z');

/** 30 s left, always: under the 60 s a further page needs, over the 10 s an action needs. */
const shortOfTime = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

const SNAPSHOT_POLICIES = `policies:
  - { id: orphans, resource: ebs-snapshot, detector: { type: orphaned, minAgeDays: 0 }, action: { type: delete-snapshot }, mode: auto, limits: { maxActionsPerRun: 4 }, scope: { regions: [us-east-1] }, triggers: [{ schedule: rate(1 day) }] }
  - { id: old, resource: ebs-snapshot, detector: { type: older-than, days: 30 }, mode: dry-run, scope: { regions: [us-east-1] }, triggers: [{ schedule: rate(1 day) }] }
  - { id: many, resource: ebs-snapshot, detector: { type: too-many-per-volume, keep: 2 }, mode: dry-run, scope: { regions: [us-east-1] }, triggers: [{ schedule: rate(1 day) }] }
`;

/** An account with only what the test seeds, swept by `yaml`; every finding the audit trail gets is recorded with its reason. */
function account(yaml: string, seed: (env: ReturnType<typeof testEnv>) => void, options: TestSandboxOptions = {}, store = true) {
  const env = testEnv('empty', { clock: () => NOW, regions: ['us-east-1'], ...options });
  seed(env);
  const deps: LambdaDeps = lambdaDepsFor(env, { file: 'test.yml', policies: policiesFrom(yaml) });
  const checkpoints = new MemoryCheckpointStore();
  if (store) deps.engine.checkpoints = checkpoints;
  const recorded: string[] = [];
  const record = deps.engine.onFindings!;
  deps.engine.onFindings = async (findings: FindingResult[]) => {
    for (const f of findings) recorded.push(`${f.policy} ${f.resource.arn} ${f.status} ${f.reason}`);
    await record(findings);
  };
  const writes = () => env.sandbox.successfulWrites().map((w) => `${w.service}:${w.operation} ${JSON.stringify(w.input)}`);
  return { env, deps, recorded, writes, checkpoints };
}

/** The sweep state machine in-process, its Task being runSweep with `context`; every input it was invoked with. */
async function sweepLoop(deps: LambdaDeps, context: Context | undefined) {
  const machine = localStateMachine(sweepDefinition({ functionName: 'trimtab-local-scan' }));
  const inputs: any[] = [];
  const run = machine.run({ schedule: 'rate(1 day)' } as never, {
    overrides: {
      taskResourceLocalHandlers: {
        [SWEEP_STATE.sweep]: async (event: any) => {
          inputs.push(event.Payload);
          return { Payload: await runSweep(event.Payload, context, deps) };
        },
      } as never,
    },
  });
  const output = (await run.result) as { done: boolean };
  return { output, inputs, invocations: inputs.length };
}

const snapshots = (env: ReturnType<typeof testEnv>) => seedSnapshots(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { snapshots: 40, amis: 2, volumes: 4 });

describe('one unit split across invocations', () => {
  it('lists 40 snapshots five a page over many invocations with the same findings, reasons and writes as one invocation, none twice', async () => {
    // Prepare: the same account twice (five snapshots a page); three stateful detectors, one of them deleting (at most 4 a run).
    const whole = account(SNAPSHOT_POLICIES, snapshots);
    const split = account(SNAPSHOT_POLICIES, snapshots);

    // Act
    const once = await sweepLoop(whole.deps, undefined);
    const resumed = await sweepLoop(split.deps, shortOfTime);

    // Assess: one unit, one invocation against one per page; the union of findings is exactly the single run's, each once.
    expect(once.invocations).toBe(1);
    expect(resumed.invocations).toBe(8);
    expect(resumed.output.done).toBe(true);
    expect(resumed.inputs.slice(1).every((input) => input.checkpoint.partial.unit === 'ebs-snapshot@us-east-1' && /^[0-9a-f]{64}$/.test(input.checkpoint.partial.state))).toBe(true);
    expect(whole.recorded.length).toBeGreaterThan(20);
    expect(new Set(split.recorded).size).toBe(split.recorded.length);
    expect([...split.recorded].sort()).toEqual([...whole.recorded].sort());
    // The same four deletes, once each: the per-run limit counted across the invocations.
    const deletes = (w: string[]) => w.filter((x) => x.startsWith('ec2:DeleteSnapshot'));
    expect(deletes(whole.writes())).toHaveLength(4);
    expect(deletes(split.writes()).sort()).toEqual(deletes(whole.writes()).sort());
    expect([...split.writes()].sort()).toEqual([...whole.writes()].sort());
    expect(resumed.inputs.at(-1).checkpoint.acted).toEqual({ orphans: 4 });
  }, 120_000);

  it('reads the AMIs, volumes, public snapshots and Recycle Bin rules once for a unit split over 8 invocations, as one invocation does', async () => {
    // Prepare: the same account twice (five snapshots a page, so each read of the preparation is one call).
    const whole = account(SNAPSHOT_POLICIES, snapshots);
    const split = account(SNAPSHOT_POLICIES, snapshots);
    const preparation = (env: ReturnType<typeof testEnv>) => ['ec2:DescribeImages', 'ec2:DescribeVolumes', 'rbin:ListRules'].map((op) => `${op} ${env.sandbox.callCount(op)}`);
    const publicListings = (env: ReturnType<typeof testEnv>) => env.sandbox.callCount('ec2:DescribeSnapshots') - env.sandbox.successfulWrites().length;

    // Act
    await sweepLoop(whole.deps, undefined);
    const resumed = await sweepLoop(split.deps, shortOfTime);

    // Assess: 8 invocations, one read of each (not 8), the snapshot listings as one run's, and the same findings.
    // DescribeVolumes: the one read, then one volume re-read right before each of the four deletes.
    expect(resumed.invocations).toBe(8);
    expect(whole.env.sandbox.successfulWrites().filter((w) => w.operation === 'DeleteSnapshot')).toHaveLength(4);
    expect(preparation(whole.env)).toEqual(['ec2:DescribeImages 1', 'ec2:DescribeVolumes 5', 'rbin:ListRules 1']);
    expect(preparation(split.env)).toEqual(preparation(whole.env));
    expect(publicListings(split.env)).toBe(publicListings(whole.env));
    expect([...split.recorded].sort()).toEqual([...whole.recorded].sort());
  }, 120_000);

  it('never deletes a snapshot an AMI registered between two invocations uses, although the saved preparation does not know that AMI', async () => {
    // Prepare: the snapshots one invocation deletes; in the split run, after the first invocation, an AMI is registered from the first of them.
    const whole = account(SNAPSHOT_POLICIES, snapshots);
    await sweepLoop(whole.deps, undefined);
    const deletedOnce = whole.writes().filter((w) => w.startsWith('ec2:DeleteSnapshot')).map((w) => JSON.parse(w.slice(w.indexOf(' ') + 1)).SnapshotId as string);
    const split = account(SNAPSHOT_POLICIES, snapshots);
    let step = await runSweep({ schedule: 'rate(1 day)' }, shortOfTime, split.deps);
    const images = ec2State(split.env.sandbox, split.env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').images;
    images['ami-0000000000000new1'] = { id: 'ami-0000000000000new1', name: 'registered-meanwhile', state: 'available', creationDate: NOW.toISOString(), snapshotIds: [deletedOnce[0]] };

    // Act: the rest of the sweep, from the checkpoints.
    let invocations = 1;
    while (step.next) {
      step = await runSweep(step.next, shortOfTime, split.deps);
      invocations += 1;
    }

    // Assess: the preparation was not read again (one DescribeImages), the AMI's snapshot still exists and is recorded
    // as protected by AWS's InvalidSnapshot.InUse; the other deletes are the single run's.
    expect(invocations).toBe(8);
    expect(deletedOnce).toHaveLength(4);
    expect(split.env.sandbox.callCount('ec2:DescribeImages')).toBe(1);
    const deleted = split.writes().filter((w) => w.startsWith('ec2:DeleteSnapshot')).map((w) => JSON.parse(w.slice(w.indexOf(' ') + 1)).SnapshotId as string);
    expect(deleted).not.toContain(deletedOnce[0]);
    expect(ec2State(split.env.sandbox, split.env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').snapshots[deletedOnce[0]]).toBeDefined();
    expect(deleted.sort()).toEqual(deletedOnce.slice(1).sort());
    expect(split.env.sandbox.writes.some((w) => w.operation === 'DeleteSnapshot' && (w.input as { SnapshotId?: string }).SnapshotId === deletedOnce[0] && w.outcome === 'InvalidSnapshot.InUse')).toBe(true);
  }, 120_000);

  it('never deletes a snapshot whose volume exists although the saved preparation lacks it (created after the read, or left out), with minAgeDays 0', async () => {
    // Prepare: orphans deleted without a limit. After the first invocation the saved preparation's volume set is
    // stored without the existing volumes (what a volume created after the read looks like, or a forged state),
    // under its own hash: every snapshot of those volumes then looks orphaned.
    const split = account(SNAPSHOT_POLICIES.replace('maxActionsPerRun: 4', 'maxActionsPerRun: 100'), snapshots);
    let step = await runSweep({ schedule: 'rate(1 day)' }, shortOfTime, split.deps);
    const state = ec2State(split.env.sandbox, split.env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
    const existing = new Set(Object.keys(state.volumes));
    const volumeOfSnapshot = new Map(Object.values(state.snapshots).map((snap) => [snap.id, snap.volumeId]));
    const text = split.checkpoints.texts.get(step.next!.checkpoint.partial!.state!)!;
    const lines = text.split('\n').map((line) => {
      if (!line) return line;
      const l = JSON.parse(line) as { p: string; k?: string; a?: [string, unknown][] };
      return l.p === '#prepared' && l.k === 'volumes' ? JSON.stringify({ ...l, a: [] }) : line;
    });
    const altered = lines.join('\n');
    const hash = createHash('sha256').update(altered).digest('hex');
    expect(altered).not.toBe(text);
    await split.checkpoints.put(hash, [altered]);
    step.next!.checkpoint.partial!.state = hash;

    // Act: the rest of the sweep, from the altered checkpoint.
    while (step.next) step = await runSweep(step.next, shortOfTime, split.deps);

    // Assess: snapshots of existing volumes were found as orphans, delete-snapshot read their volume right before the
    // write, found it and wrote nothing to them; the real orphans were deleted.
    const volumeOf = (id: string) => volumeOfSnapshot.get(id);
    const wroteTo = split.writes().filter((w) => w.startsWith('ec2:')).map((w) => JSON.parse(w.slice(w.indexOf(' ') + 1)) as { SnapshotId?: string; Resources?: string[] });
    const orphanArns = split.recorded.filter((r) => r.startsWith('orphans ')).map((r) => r.split(' ')[1].split('/')[1]);
    expect(orphanArns.filter((id) => existing.has(volumeOf(id)!)).length).toBeGreaterThan(0);
    for (const w of wroteTo) for (const id of [w.SnapshotId, ...(w.Resources ?? [])].filter(Boolean)) expect([id, existing.has(volumeOf(id as string)!)]).toEqual([id, false]);
    expect(wroteTo.filter((w) => w.SnapshotId).length).toBeGreaterThan(0);
    expect(split.env.sandbox.callCount('ec2:DescribeVolumes')).toBeGreaterThan(1);
  }, 120_000);

  it('ends the unit without a resume point, after acting on what it found, when DynamoDB keeps throttling the checkpoint write, and says so', async () => {
    // Prepare: the audit table as the checkpoint store (lib/audit/checkpoints.ts); every BatchWriteItem of checkpoint
    // chunks is throttled (ThrottlingException, as DynamoDB answers), the SDK's retries without their real backoff.
    const split = account(SNAPSHOT_POLICIES, snapshots, {}, false);
    ensureSandboxAuditTables(split.env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { auditTable: AUDIT_TABLE, idempotencyTable: 'trimtab-dev-idempotency', ttlAttribute: 'expiresAt' });
    split.deps.engine.checkpoints = new DynamoCheckpointStore({ tableName: AUDIT_TABLE, region: 'us-east-1', clients: split.env.clients.withWrites(true), now: () => NOW, sleep: async () => {} });
    const throttled = faultRules([{ operation: 'dynamodb:BatchWriteItem', error: 'throttled', when: (input) => JSON.stringify(input).includes('CHECKPOINT#') }]);
    split.env.sandbox.faults = { failWhen: throttled.failWhen };

    // Act
    const first = await runSweep({ schedule: 'rate(1 day)' }, shortOfTime, split.deps);
    const listedBefore = split.env.sandbox.callCount('ec2:DescribeSnapshots');
    const second = await runSweep(first.next, shortOfTime, split.deps);

    // Assess: the SDK retried the write (6 attempts) before giving up; the invocation did not fail: it recorded the first
    // page's findings, ended the unit (done, no partial) and named what was not done; the next invocation lists nothing.
    expect(throttled.hits[0]).toBe(6);
    expect(first.done).toBe(false);
    expect(first.next!.checkpoint.partial).toBeUndefined();
    expect(first.next!.checkpoint.done).toEqual(['ebs-snapshot@us-east-1']);
    expect(first.errors.map((e) => e.error)).toEqual([
      'The checkpoint state of ebs-snapshot@us-east-1 could not be kept (Rate exceeded): the unit stopped after 5 resources and is not resumed in this sweep. What was found so far was acted on; the rest of the unit, and the conclusions of orphans, old, many over the whole unit, wait for the next scheduled sweep.',
    ]);
    expect(split.recorded.length).toBeGreaterThan(0);
    expect(split.recorded.every((r) => r.startsWith('old '))).toBe(true);
    expect(split.writes().filter((w) => w.startsWith('ec2:'))).toEqual([]);
    expect(second.done).toBe(true);
    expect(second.errors).toEqual([]);
    expect(split.env.sandbox.callCount('ec2:DescribeSnapshots')).toBe(listedBefore);
  }, 120_000);

  it('goes on from the middle of an Auto Scaling listing page (250 groups a detector page, 100 an AWS page) with the same findings', async () => {
    // Prepare: 300 groups at AWS's full page size: the first detector page ends half-way through AWS's third page.
    const yaml = `policies:
  - { id: targets, resource: asg, detector: { type: over-provisioned-target-tracking }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
  - { id: mins, resource: asg, detector: { type: min-size-unneeded }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
`;
    const groups = (env: ReturnType<typeof testEnv>) => seedAutoScalingGroups(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { groups: 300 });
    const whole = account(yaml, groups, { pageCap: undefined });
    const split = account(yaml, groups, { pageCap: undefined }, false);

    // Act
    const once = await sweepLoop(whole.deps, undefined);
    const resumed = await sweepLoop(split.deps, shortOfTime);

    // Assess: two invocations, the second from token + offset 50 and without detector state (none held); the same findings.
    expect(once.invocations).toBe(1);
    expect(resumed.invocations).toBe(2);
    const partial = resumed.inputs[1].checkpoint.partial;
    expect(partial.state).toBeUndefined();
    expect(JSON.parse(partial.cursor).k).toBe(50);
    expect(whole.recorded.length).toBeGreaterThan(100);
    expect(new Set(split.recorded).size).toBe(split.recorded.length);
    expect([...split.recorded].sort()).toEqual([...whole.recorded].sort());
  }, 120_000);

  it('reads the region-wide scaling policies and activities once for an Auto Scaling unit split over two invocations, keeping them in the saved state', async () => {
    // Prepare: as above, with a checkpoint store (the audit table when deployed).
    const yaml = `policies:
  - { id: targets, resource: asg, detector: { type: over-provisioned-target-tracking }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
  - { id: mins, resource: asg, detector: { type: min-size-unneeded }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
  - { id: flaps, resource: asg, detector: { type: flapping }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
`;
    const groups = (env: ReturnType<typeof testEnv>) => seedAutoScalingGroups(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { groups: 300 });
    const whole = account(yaml, groups, { pageCap: undefined });
    const split = account(yaml, groups, { pageCap: undefined });
    const regionWide = (env: ReturnType<typeof testEnv>) => ['autoscaling:DescribePolicies', 'autoscaling:DescribeScalingActivities'].map((op) => `${op} ${env.sandbox.callCount(op)}`);

    // Act
    await sweepLoop(whole.deps, undefined);
    const resumed = await sweepLoop(split.deps, shortOfTime);

    // Assess: the second invocation resumed with a saved state holding the reads, made none of them again, and found the same.
    expect(resumed.invocations).toBe(2);
    const state = resumed.inputs[1].checkpoint.partial.state as string;
    expect(state).toMatch(/^[0-9a-f]{64}$/);
    expect(split.checkpoints.texts.get(state)).toContain('"p":"#prepared","k":"policiesByGroup"');
    expect(split.checkpoints.texts.get(state)).toContain('"p":"#prepared","k":"activitiesByGroup"');
    // 300 policies and 50 flapping groups' 7,000 activities, 100 a page.
    expect(regionWide(whole.env)).toEqual(['autoscaling:DescribePolicies 3', 'autoscaling:DescribeScalingActivities 70']);
    expect(regionWide(split.env)).toEqual(regionWide(whole.env));
    expect(whole.recorded.length).toBeGreaterThan(100);
    expect([...split.recorded].sort()).toEqual([...whole.recorded].sort());
  }, 120_000);

  it('goes on from the cursor alone when DynamoDB keeps throttling the write of an Auto Scaling unit\'s saved reads (its detectors hold nothing), reading them again', async () => {
    // Prepare: the audit table as the checkpoint store, every checkpoint write throttled; the same account swept in one invocation.
    const yaml = `policies:
  - { id: targets, resource: asg, detector: { type: over-provisioned-target-tracking }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
  - { id: flaps, resource: asg, detector: { type: flapping }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
`;
    const groups = (env: ReturnType<typeof testEnv>) => seedAutoScalingGroups(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { groups: 300 });
    const whole = account(yaml, groups, { pageCap: undefined });
    const split = account(yaml, groups, { pageCap: undefined }, false);
    ensureSandboxAuditTables(split.env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { auditTable: AUDIT_TABLE, idempotencyTable: 'trimtab-dev-idempotency', ttlAttribute: 'expiresAt' });
    split.deps.engine.checkpoints = new DynamoCheckpointStore({ tableName: AUDIT_TABLE, region: 'us-east-1', clients: split.env.clients.withWrites(true), now: () => NOW, sleep: async () => {} });
    const throttled = faultRules([{ operation: 'dynamodb:BatchWriteItem', error: 'throttled', when: (input) => JSON.stringify(input).includes('CHECKPOINT#') }]);
    split.env.sandbox.faults = { failWhen: throttled.failWhen };

    // Act
    await sweepLoop(whole.deps, undefined);
    const resumed = await sweepLoop(split.deps, shortOfTime);

    // Assess: the write was tried (and retried), the second invocation resumed from the cursor without a state,
    // read the region-wide policies and activities again (twice the single run's calls) and found the same.
    expect(throttled.hits[0]).toBe(6);
    expect(resumed.invocations).toBe(2);
    expect(resumed.inputs[1].checkpoint.partial.state).toBeUndefined();
    expect(JSON.parse(resumed.inputs[1].checkpoint.partial.cursor).k).toBe(50);
    expect(split.env.sandbox.callCount('autoscaling:DescribeScalingActivities')).toBe(2 * whole.env.sandbox.callCount('autoscaling:DescribeScalingActivities'));
    expect(whole.recorded.length).toBeGreaterThan(100);
    expect([...split.recorded].sort()).toEqual([...whole.recorded].sort());
  }, 120_000);

  it('does not split a unit whose detectors hold state when the run has nowhere to keep it (no audit table)', async () => {
    // Prepare
    const split = account(SNAPSHOT_POLICIES, snapshots, {}, false);

    // Act
    const resumed = await sweepLoop(split.deps, shortOfTime);

    // Assess: the unit in one invocation, as before.
    expect(resumed.invocations).toBe(1);
    expect(split.recorded.length).toBeGreaterThan(20);
  });

  it('refuses a checkpoint whose detector state is not the one trimtab saved, and writes nothing', async () => {
    // Prepare: a real split, then the second invocation's input with the state swapped for forged text under the same hash.
    const split = account(SNAPSHOT_POLICIES, snapshots);
    const first = await runSweep({ schedule: 'rate(1 day)' }, shortOfTime, split.deps);
    const hash = first.next!.checkpoint.partial!.state!;
    await split.checkpoints.put(hash, ['{"p":"orphans","k":"seen","a":[]}\n', '{"p":"orphans","k":"waiting","a":[]}\n', '{"p":"old","a":[]}\n', '{"p":"many","a":[]}\n']);
    const writesBefore = split.env.sandbox.writes.length;

    // Act
    const forged = await runSweep(first.next, shortOfTime, split.deps);

    // Assess: the unit is reported as failed with the reason; nothing was written.
    expect(forged.errors.map((e) => e.error)).toEqual([`The detector state read for ebs-snapshot@us-east-1 does not match its hash ${hash}; the unit was not resumed.`]);
    expect(split.env.sandbox.writes.length).toBe(writesBefore);
  });

  it('refuses a partial checkpoint whose state is not a SHA-256, naming the field', async () => {
    // Prepare
    const split = account(SNAPSHOT_POLICIES, snapshots);

    // Act
    const forged = runSweep({ checkpoint: { done: [], acted: {}, invocations: 1, partial: { unit: 'ebs-snapshot@us-east-1', cursor: '{"t":"x","k":0}', state: '../etc' } } }, shortOfTime, split.deps);

    // Assess
    await expect(forged).rejects.toThrow(/checkpoint\.partial\.state: a SHA-256 in hex/);
    expect(split.env.sandbox.writes).toHaveLength(0);
  });
});

const ENV_KEYS = ['TRIMTAB_SANDBOX', 'TRIMTAB_SANDBOX_FILE', 'TRIMTAB_POLICY_FILE', 'AWS_REGION', 'TRIMTAB_REGIONS', 'TRIMTAB_AUDIT_TABLE', 'TRIMTAB_IDEMPOTENCY_TABLE', 'TRIMTAB_EVENT_BUS'];
const AUDIT_TABLE = 'trimtab-dev-audit';

describe('one unit split across invocations, as deployed (the detectors\' state in the audit table)', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const key of ENV_KEYS) saved[key] = process.env[key];
  });
  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  /** The deployed functions' deps (lib/lambda/deps.ts) over a sandbox account holding only the 40 snapshots, five a page. */
  async function deployed() {
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-split-'));
    const seeded = testEnv('empty', { regions: ['us-east-1'] });
    snapshots(seeded);
    seeded.sandbox.save(join(dir, 'sandbox.json'));
    writeFileSync(join(dir, 'trimtab.yml'), SNAPSHOT_POLICIES);
    Object.assign(process.env, {
      TRIMTAB_SANDBOX: '1',
      TRIMTAB_SANDBOX_FILE: join(dir, 'sandbox.json'),
      TRIMTAB_POLICY_FILE: join(dir, 'trimtab.yml'),
      AWS_REGION: 'us-east-1',
      TRIMTAB_REGIONS: 'us-east-1',
      TRIMTAB_AUDIT_TABLE: AUDIT_TABLE,
      TRIMTAB_IDEMPOTENCY_TABLE: 'trimtab-dev-idempotency',
      TRIMTAB_EVENT_BUS: 'default',
    });
    // Overrides bypass the per-container cache: a fresh container each time.
    const deps = await lambdaDeps({ flush: () => {} });
    const sandbox = deps.sandbox!;
    sandbox.pageCap = 5;
    const recorded: string[] = [];
    const record = deps.engine.onFindings!;
    deps.engine.onFindings = async (findings: FindingResult[]) => {
      for (const f of findings) recorded.push(`${f.policy} ${f.resource.arn} ${f.status} ${f.reason}`);
      await record(findings);
    };
    // The account's writes (trimtab's own table and events, stamped with the time, are compared apart).
    const writes = () => sandbox.successfulWrites().filter((w) => w.service === 'ec2').map((w) => `${w.service}:${w.operation} ${JSON.stringify(w.input)}`);
    const dynamo = deps.engine.clients.withWrites(true).get(DynamoDBClient, 'us-east-1');
    const chunksOf = async (hash: string) => (await dynamo.send(new QueryCommand({ TableName: AUDIT_TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `CHECKPOINT#${hash}#0` } } }))).Items ?? [];
    return { deps, recorded, writes, dynamo, chunksOf };
  }

  it('splits an EBS snapshot unit over invocations through the audit table with the same findings and writes as one invocation', async () => {
    // Prepare: the same account twice, with the deployed composition (no store set by the test).
    const whole = await deployed();
    const wholeRun = await sweepLoop(whole.deps, undefined);
    const split = await deployed();

    // Act
    const resumed = await sweepLoop(split.deps, shortOfTime);

    // Assess: one invocation against one per page, each after the first naming a state kept in the audit table.
    expect(wholeRun.invocations).toBe(1);
    expect(resumed.invocations).toBe(8);
    expect(resumed.output.done).toBe(true);
    const hashes = resumed.inputs.slice(1).map((input) => input.checkpoint.partial.state as string);
    expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
    for (const hash of hashes) {
      const items = await split.chunksOf(hash);
      // One chunk each (a small state: shard 0), marked last, with a TTL and none of the history indexes' attributes.
      expect(items.map((i) => [i.sk.S, i.kind.S, i.last.BOOL])).toEqual([['CHUNK#000000', 'CHECKPOINT', true]]);
      expect(Object.keys(items[0]).filter((k) => k.startsWith('by'))).toEqual([]);
      expect(Number(items[0].expiresAt.N)).toBeGreaterThan(Date.now() / 1000 + 86_400);
    }
    // The same findings, each once, and the same account writes (four deletes, the per-run limit across invocations).
    expect(whole.recorded.length).toBeGreaterThan(20);
    expect(new Set(split.recorded).size).toBe(split.recorded.length);
    expect([...split.recorded].sort()).toEqual([...whole.recorded].sort());
    expect(whole.writes().filter((w) => w.startsWith('ec2:DeleteSnapshot'))).toHaveLength(4);
    expect([...split.writes()].sort()).toEqual([...whole.writes()].sort());
    // The history reads only audit records: as many findings as the single run's.
    expect((await split.deps.audit.store.listFindings!()).length).toBe((await whole.deps.audit.store.listFindings!()).length);
  }, 180_000);

  it('refuses a state whose chunk in the audit table was changed, naming the hash, and writes nothing to the account', async () => {
    // Prepare: a real split, then its chunk rewritten in the table (the hash the checkpoint names stays).
    const split = await deployed();
    const first = await runSweep({ schedule: 'rate(1 day)' }, shortOfTime, split.deps);
    const hash = first.next!.checkpoint.partial!.state!;
    const [chunk] = await split.chunksOf(hash);
    await split.dynamo.send(new PutItemCommand({ TableName: AUDIT_TABLE, Item: { ...chunk, text: { S: '{"p":"orphans","k":"seen","a":[]}\n{"p":"orphans","k":"waiting","a":[]}\n{"p":"old","a":[]}\n{"p":"many","a":[]}\n' } } }));
    const writesBefore = split.writes().length;

    // Act
    const forged = await runSweep(first.next, shortOfTime, split.deps);

    // Assess: the unit failed with the reason; nothing was done in the account.
    expect(forged.errors.map((e) => e.error)).toEqual([`The checkpoint state ${hash} in the audit table is not usable: its text does not match the hash; the unit was not resumed.`]);
    expect(split.writes().length).toBe(writesBefore);
  }, 120_000);
});
