/**
 * Unattached volumes, gp2 → gp3, Elastic IPs and log retention end to end on the sandbox: traps
 * survive, writes are what the plans say, undo works or refuses with the reason, and the
 * listing cost is list calls only.
 */
import { describe, expect, it } from 'vitest';
import { undoAction } from '../../lib/engine/undo.ts';
import { seedRateLimitedVolume, seedVolume } from '../../lib/resources/ebs-volume/sandbox-seed.ts';
import { seedAddress } from '../../lib/resources/elastic-ip/sandbox-seed.ts';
import { seedLogGroup } from '../../lib/resources/log-group/sandbox-seed.ts';
import { awsError, SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { logsState } from '../../lib/sandbox/services/cloudwatchlogs.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { ec2VolumeState } from '../../lib/sandbox/services/ec2-volumes.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { UndoRefusedError } from '../../lib/util/errors.ts';
import { emptySandbox, envFor, testEnv } from '../helpers.ts';

const start = new Date('2026-11-01T00:00:00Z').getTime();
/** AWS-like time: intermediate states last as on AWS, new writes are invisible to reads for 2 s. */
const AWS_TIMING = { scale: 1, consistencyMs: 2000 };
/** A clock tests can move forward. */
function movableClock() {
  let t = start;
  return { clock: () => new Date(t), advanceHours: (h: number) => void (t += h * 3_600_000) };
}
const clock = () => new Date(start);

const policy = (resource: string, detector: string, action: string, mode = 'auto', extra = '') => `
version: 1
policies:
  - id: p
    resource: ${resource}
    detector: ${detector}
    action: ${action}
    mode: ${mode}
    limits: { maxActionsPerRun: 1000, cooldownHours: 0 }
    ${extra}
`;
const UNATTACHED = policy('ebs-volume', '{ type: unattached, days: 30 }', '{ type: snapshot-and-delete, pollSeconds: 0 }', 'auto', 'scope: { regions: [us-east-1] }');
const GP3 = policy('ebs-volume', '{ type: gp2-to-gp3 }', '{ type: modify-to-gp3 }', 'auto', 'scope: { regions: [us-east-1] }');

const ec2Of = (env: ReturnType<typeof testEnv>, region = 'us-east-1') => ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), region);
const extraOf = (env: ReturnType<typeof testEnv>, region = 'us-east-1') => ec2VolumeState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), region);
const byName = (env: ReturnType<typeof testEnv>, name: string) => Object.values(ec2Of(env).volumes).find((v) => v.tags?.Name === name)!;
const nameOf = (env: ReturnType<typeof testEnv>, id: string) => ec2Of(env).volumes[id]?.tags?.Name ?? id;
/** The gp2 volumes the gp3 policy modifies on small-company (sorted), every trap left out. */
const GP3_PLANNED = ['jenkins-old-data', 'reporting-db data', 'vol-00000000000000058', 'web-2 root']; // vol-…058 has no Name tag

describe('unattached volumes: snapshot, then delete', () => {
  it('deletes only volumes unattached for 30+ days, each after a completed snapshot, and never a trap', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    const traps = ['api-1 data', 'legal-archive-disk', 'new-migration-target', 'build-cache (detached on Friday)', 'pvc-postgres-retained'].map((n) => byName(env, n).id);
    const waste = ['jenkins-old-data', 'analytics-scratch-2', 'perf-test-io1'].map((n) => byName(env, n));
    // Act
    const result = await env.run(UNATTACHED);
    // Assess
    const deleted = env.sandbox.successfulWrites('DeleteVolume').map((w) => (w.input as { VolumeId: string }).VolumeId);
    for (const v of waste) expect(deleted).toContain(v.id);
    for (const id of traps) {
      expect(deleted).not.toContain(id);
      expect(ec2Of(env).volumes[id]).toBeDefined();
    }
    expect(env.sandbox.successfulWrites('CreateSnapshot')).toHaveLength(deleted.length);
    const snap = Object.values(ec2Of(env).snapshots).find((s) => s.tags?.['trimtab:snapshot-of'] === waste[2].id)!;
    expect(snap.state).toBe('completed');
    expect(snap.tags).toMatchObject({ Name: 'perf-test-io1', team: 'qa' });
    expect(JSON.parse(snap.tags!['trimtab:volume-spec'])).toEqual({ availabilityZone: 'us-east-1a', volumeType: 'io1', sizeGb: 200, iops: 4000 });
    expect(result.summary.actionsFailed).toBe(0);
    expect(result.findings.find((f) => f.resource.id === traps[4])!.outcomeDetail).toContain('Kubernetes');
  });

  it('restores a deleted volume from its snapshot with the same AZ, type, size, IOPS and tags', async () => {
    const env = testEnv('small-company', { clock });
    const io1 = byName(env, 'perf-test-io1');
    const result = await env.run(UNATTACHED);
    const action = result.actions.find((a) => a.resource.id === io1.id)!;
    expect(action.status).toBe('verified');
    // Act
    const undone = await undoAction(action.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    const restored = Object.values(ec2Of(env).volumes).find((v) => v.tags?.['trimtab:restored-from'] === io1.id)!;
    expect(restored).toMatchObject({ availabilityZone: 'us-east-1a', volumeType: 'io1', sizeGb: 200, iops: 4000 });
    expect(['creating', 'available']).toContain(restored.state); // CreateVolume answers 'creating' for about 30 s
    expect(restored.tags).toMatchObject({ Name: 'perf-test-io1', team: 'qa' });
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/already undone/);
  });

  it('waits for a slow snapshot, and keeps the volume when the snapshot fails', async () => {
    // Prepare: snapshots need 3 reads to complete.
    const env = testEnv('small-company', { clock });
    extraOf(env).snapshotPolls = 3;
    const slow = await env.run(UNATTACHED.replace("scope: { regions: [us-east-1] }", "scope: { regions: [us-east-1], includeNames: ['vol-*'], includeTags: { team: qa } }"));
    expect(slow.actions.map((a) => a.status)).toEqual(['verified']);
    // Act: a snapshot that ends in error
    const failing = testEnv('small-company', { clock });
    extraOf(failing).snapshotPolls = 'error';
    const failed = await failing.run(UNATTACHED);
    // Assess
    expect(failed.actions.length).toBeGreaterThan(0);
    expect(failed.actions.map((a) => a.status)).toEqual(failed.actions.map(() => 'failed'));
    expect(failed.actions[0].error!.message).toMatch(/failed \(state error\); the volume was not deleted/);
    expect(failing.sandbox.successfulWrites('DeleteVolume')).toEqual([]);
  });

  it('fails without deleting when the snapshot is not done in time, and the next run reuses that snapshot', async () => {
    const env = testEnv('small-company', { clock });
    extraOf(env).snapshotPolls = 50;
    const qa = UNATTACHED.replace('pollSeconds: 0', 'pollSeconds: 0, snapshotTimeoutMinutes: 0').replace('scope: { regions: [us-east-1] }', 'scope: { regions: [us-east-1], includeTags: { team: qa } }');
    const first = await env.run(qa);
    expect(first.actions[0].status).toBe('failed');
    expect(first.actions[0].error!.message).toMatch(/still pending .* The next run reuses this snapshot/);
    expect(env.sandbox.successfulWrites('DeleteVolume')).toEqual([]);
    // Act: the snapshot completes; the next run picks it up
    for (const s of Object.values(ec2Of(env).snapshots)) if (s.state === 'pending') s.pollsUntilCompleted = 1;
    const second = await env.run(qa.replace('snapshotTimeoutMinutes: 0', 'snapshotTimeoutMinutes: 1'));
    // Assess
    expect(second.actions[0].status).toBe('verified');
    expect(env.sandbox.successfulWrites('CreateSnapshot')).toHaveLength(1);
    expect(second.actions[0].transitions.find((t) => t.status === 'applied')!.detail).toContain('from an earlier run');
  });

  it('counts a volume someone deleted since the scan (still listed as deleting) as done, without a snapshot or a second delete', async () => {
    // Prepare: the volume is being deleted when apply re-reads it
    const env = testEnv('small-company', { clock });
    const target = byName(env, 'analytics-scratch-2');
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'DescribeVolumes' && input.VolumeIds?.includes(target.id)) Object.assign(target, { state: 'deleting', until: '2026-11-01T00:03:00.000Z' });
      return undefined;
    };
    // Act
    const result = await env.run(UNATTACHED);
    // Assess
    const action = result.actions.find((a) => a.resource.id === target.id)!;
    expect(action.status).toBe('verified');
    expect(action.transitions.find((t) => t.status === 'applied')!.detail).toBe(`${target.id} is already being deleted (deleting): counts as done`);
    expect(env.sandbox.writes.filter((w) => (w.input as any).VolumeId === target.id)).toEqual([]);
  });

  it('records a volume attached between the scan and the delete as protected, keeping the snapshot', async () => {
    const env = testEnv('small-company', { clock });
    const target = byName(env, 'analytics-scratch-2');
    env.sandbox.faults.failWhen = ({ operation, input }) => (operation === 'DeleteVolume' && input.VolumeId === target.id ? awsError('VolumeInUse', `Volume ${target.id} is currently attached to i-0new`) : undefined);
    const result = await env.run(UNATTACHED);
    const finding = result.findings.find((f) => f.resource.id === target.id)!;
    expect(finding.status).toBe('protected');
    expect(finding.outcomeDetail).toMatch(/VolumeInUse.*snapshot snap-/);
    expect(ec2Of(env).volumes[target.id]).toBeDefined();
  });

  it('asks for approval by default and writes nothing in dry-run or approval mode', async () => {
    const env = testEnv('small-company', { clock });
    const scan = await env.run(UNATTACHED, { forceDryRun: true });
    const approval = await env.run(UNATTACHED.replace('mode: auto', 'mode: approval\n    approval: { approvers: [ops@example.com] }'));
    expect(scan.findings.filter((f) => f.outcome === 'would-apply').length).toBeGreaterThanOrEqual(3);
    expect(approval.summary.awaitingApproval).toBeGreaterThanOrEqual(3);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});

describe('gp2 volumes to gp3', () => {
  it('modifies gp2 volumes online with at least gp2 performance, skipping the optimizing, rate-limited and skip traps', async () => {
    const env = testEnv('small-company', { clock });
    seedRateLimitedVolume(env.sandbox, SANDBOX_ACCOUNT);
    const result = await env.run(GP3);
    const writes = env.sandbox.successfulWrites('ModifyVolume').map((w) => w.input as { VolumeId: string; VolumeType: string; Iops: number; Throughput: number });
    const db = byName(env, 'reporting-db data');
    expect(writes.find((w) => w.VolumeId === db.id)).toEqual({ VolumeId: db.id, VolumeType: 'gp3', Iops: 6000, Throughput: 250 });
    expect(byName(env, 'web-2 root')).toMatchObject({ volumeType: 'gp3', iops: 3000, throughput: 128 });
    for (const trap of ['queue-worker data', 'legal-archive-disk', 'bastion root', 'ci-cache data (grown 4x today)']) expect(byName(env, trap).volumeType).toBe('gp2');
    const optimizing = result.findings.find((f) => f.resource.id === byName(env, 'queue-worker data').id)!;
    expect(optimizing.status).toBe('protected');
    expect(optimizing.outcomeDetail).toContain('is still optimizing');
    // Four modifications in the last 24 hours: AWS refuses a fifth, and trimtab records that as protected.
    const rateLimited = result.findings.find((f) => f.resource.id === byName(env, 'ci-cache data (grown 4x today)').id)!;
    expect(rateLimited.status).toBe('protected');
    expect(rateLimited.outcomeDetail).toMatch(/VolumeModificationRateExceeded: .*4 in 24 hours.*again after 2026-11-01T04:00:00.000Z/);
    const done = result.actions.filter((a) => a.status !== 'skipped');
    expect(done.map((a) => [nameOf(env, a.resource.id), a.status]).sort()).toEqual(GP3_PLANNED.map((name) => [name, 'verified']));
    expect(result.summary.actionsFailed).toBe(0);
  });

  it('on AWS-like time: verifies through the not-yet-visible modification, refuses undo while it is modifying or optimizing, then undoes once completed', async () => {
    // Prepare: intermediate states last as on AWS; a new modification is NotFound for 2 s
    const clock = new VirtualClock(new Date(start));
    const env = testEnv('small-company', { clock, timing: AWS_TIMING });
    const db = byName(env, 'reporting-db data');
    // Act
    const result = await env.run(GP3);
    const action = result.actions.find((a) => a.resource.id === db.id)!;
    clock.advance(30_000);
    const whileModifying = undoAction(action.id, env.deps);
    await expect(whileModifying).rejects.toThrow(UndoRefusedError);
    await expect(whileModifying).rejects.toThrow(/is still modifying.*Try the undo again when DescribeVolumesModifications shows it completed; nothing was changed/);
    clock.advance(60 * 60_000);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/is still optimizing \(\d+%, about \d+ h \d+ min more at this rate\)/);
    const refusedWrites = env.sandbox.writes.filter((w) => w.operation === 'ModifyVolume' && (w.input as any).VolumeType === 'gp2');
    // 2,000 GiB: modifying 2 min + optimizing 10 min + 200 min; completed 3 h 32 min after the start
    clock.advance(3 * 3_600_000);
    const undone = await undoAction(action.id, env.deps);
    // Assess
    expect(action.status).toBe('verified');
    expect(action.verification!.detail).toMatch(/modification to gp3 modifying \(6000 IOPS, 250 MiB\/s\)/);
    expect(refusedWrites).toEqual([]);
    expect(undone.status).toBe('undone');
    expect(ec2Of(env).volumes[db.id]).toMatchObject({ volumeType: 'gp2', iops: 6000 });
    expect(ec2Of(env).volumes[db.id].throughput).toBeUndefined();
  });

  it('turns an AWS refusal of the undo (rolling limit) into a clear UndoRefusedError', async () => {
    const time = movableClock();
    const env = testEnv('small-company', { clock: time.clock });
    const result = await env.run(GP3);
    const web = byName(env, 'web-2 root');
    time.advanceHours(1);
    env.sandbox.faults.failWhen = ({ operation }) => (operation === 'ModifyVolume' ? awsError('VolumeModificationRateExceeded', "You've reached the maximum modification rate per volume limit.") : undefined);
    await expect(undoAction(result.actions.find((a) => a.resource.id === web.id)!.id, env.deps)).rejects.toThrow(/AWS refused the modification back to gp2 \(VolumeModificationRateExceeded: .*\)\. Nothing was changed; try the undo again later/);
  });

  it('refuses to undo when someone changed the volume since', async () => {
    const time = movableClock();
    const env = testEnv('small-company', { clock: time.clock });
    const result = await env.run(GP3);
    const web = byName(env, 'web-2 root');
    web.iops = 4000; // a person raised the IOPS
    time.advanceHours(7);
    await expect(undoAction(result.actions.find((a) => a.resource.id === web.id)!.id, env.deps)).rejects.toThrow(UndoRefusedError);
  });

  it('records the cooldown error from AWS as protected, not failed', async () => {
    const env = testEnv('small-company', { clock });
    env.sandbox.faults.failWhen = ({ operation }) => (operation === 'ModifyVolume' ? awsError('VolumeModificationRateExceeded', 'Wait at least 6 hours between modifications per EBS volume.') : undefined);
    const result = await env.run(GP3);
    // Exactly the four planned modifications were attempted and refused.
    expect(result.actions.map((a) => [nameOf(env, a.resource.id), a.status]).sort()).toEqual(GP3_PLANNED.map((name) => [name, 'skipped']));
    expect(env.sandbox.writes.filter((w) => w.operation === 'ModifyVolume').map((w) => w.outcome)).toEqual(result.actions.map(() => 'VolumeModificationRateExceeded'));
    expect(result.summary.actionsFailed).toBe(0);
  });
});

describe('unattached volumes on AWS-like time', () => {
  it('waits through a snapshot reads cannot see yet, and verifies a volume still deleting as deleted', async () => {
    // Prepare: a new snapshot is NotFound for 2 s; a deleted volume stays 'deleting' for 3 min
    const clock = new VirtualClock(new Date(start));
    const env = testEnv('small-company', { clock, timing: AWS_TIMING });
    const io1 = byName(env, 'perf-test-io1');
    // Act
    const result = await env.run(UNATTACHED.replace('pollSeconds: 0', 'pollSeconds: 5'));
    const action = result.actions.find((a) => a.resource.id === io1.id)!;
    const stateRightAfter = ec2Of(env).volumes[io1.id]?.state;
    clock.advance(3 * 60_000);
    const { DescribeVolumesCommand, EC2Client } = await import('@aws-sdk/client-ec2');
    const later = env.clients.get(EC2Client, 'us-east-1').send(new DescribeVolumesCommand({ VolumeIds: [io1.id] }));
    // Assess
    expect(result.actions.length).toBeGreaterThan(0);
    expect(result.actions.map((a) => a.status)).toEqual(result.actions.map(() => 'verified'));
    expect(action.verification!.detail).toMatch(new RegExp(`${io1.id} is deleting; snapshot snap-\\w+ is completed`));
    expect(stateRightAfter).toBe('deleting');
    await expect(later).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' });
    // The engine waited through the sandbox clock (retries and polls), not through real time.
    expect(clock.now().getTime() - start).toBeGreaterThanOrEqual(3 * 60_000 + 1000);
  });
});

describe('ebs-volume listing cost', () => {
  it('lists 1,200 volumes with list calls only: 3 DescribeVolumes pages, 3 GetMetricData, 1 DescribeVolumesModifications', async () => {
    // Prepare: 600 unattached and 600 attached gp2 volumes.
    const sandbox = emptySandbox({ clock, pageCap: undefined }); // counts calls at full page size
    for (let i = 0; i < 1200; i++) seedVolume(sandbox, SANDBOX_ACCOUNT, { name: `v${i}`, sizeGb: 100, type: 'gp2', ageDays: 100, ...(i % 2 ? { attachedTo: `i-${i}` } : { detachedDaysAgo: i % 4 === 0 ? 2 : 60 }) });
    const env = envFor(sandbox, ['us-east-1']);
    // Act
    const result = await env.run(`
version: 1
policies:
  - { id: unattached, resource: ebs-volume, detector: { type: unattached }, action: { type: snapshot-and-delete } }
  - { id: gp3, resource: ebs-volume, detector: { type: gp2-to-gp3 }, action: { type: modify-to-gp3 } }
`, { forceDryRun: true });
    // Assess
    expect(sandbox.callsByOperation()).toEqual({ 'cloudwatch:GetMetricData': 3, 'ec2:DescribeVolumes': 3, 'ec2:DescribeVolumesModifications': 1 });
    expect(result.findings.filter((f) => f.policy === 'unattached')).toHaveLength(300);
    expect(result.findings.filter((f) => f.policy === 'gp3')).toHaveLength(1200);
  });
});

describe('unassociated Elastic IPs', () => {
  it('releases idle addresses in every region and leaves associated, skipped, service-managed and BYOIP ones', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(policy('elastic-ip', '{ type: unassociated }', '{ type: release-address }'));
    const released = env.sandbox.successfulWrites('ReleaseAddress').map((w) => (w.input as { AllocationId: string }).AllocationId);
    expect(released).toHaveLength(3);
    const left = Object.values(extraOf(env).addresses).map((a) => a.tags?.Name);
    expect(left.sort()).toEqual(['byoip-spare', 'nlb-static-ip', 'partner-allowlisted', 'web-1']);
    expect(Object.keys(extraOf(env, 'eu-west-1').addresses)).toEqual([]);
    expect(result.summary.estimatedMonthlySavingsUsd).toBeCloseTo(3 * 3.65, 2);
    expect(result.actions.map((a) => a.undo.supported)).toEqual(['best-effort', 'best-effort', 'best-effort']);
  });

  it('recovers the same address on undo when AWS still can, and refuses with the reason when it cannot', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(policy('elastic-ip', '{ type: unassociated }', '{ type: release-address }', 'auto', 'scope: { regions: [us-east-1] }'));
    const [first, second] = result.actions;
    const undone = await undoAction(first.id, env.deps);
    expect(undone.transitions.at(-1)!.detail).toContain(`Recovered ${(first.params as any).publicIp}`);
    expect(Object.values(extraOf(env).addresses).some((a) => a.publicIp === (first.params as any).publicIp)).toBe(true);
    extraOf(env).released[(second.params as any).publicIp].recoverable = false; // another account took it
    await expect(undoAction(second.id, env.deps)).rejects.toThrow(/could not give .* back/);
  });

  it('records an address associated after the scan as protected', async () => {
    const env = testEnv('small-company', { clock });
    env.sandbox.faults.failWhen = ({ operation }) => (operation === 'ReleaseAddress' ? awsError('InvalidIPAddress.InUse', 'Address is in use.') : undefined);
    const result = await env.run(policy('elastic-ip', '{ type: unassociated }', '{ type: release-address }'));
    expect(result.findings.filter((f) => f.status === 'protected' && f.outcomeDetail?.includes('InUse'))).toHaveLength(3);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('re-reads the address right before ReleaseAddress and never releases one associated since the scan (a default VPC would silently disassociate it)', async () => {
    // Prepare: between the scan and the apply-time read, someone associates the old bastion's address in the default VPC.
    const env = testEnv('small-company', { clock });
    const bastion = Object.values(extraOf(env).addresses).find((a) => a.tags?.Name === 'old-bastion-eip')!;
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'DescribeAddresses' && input.AllocationIds?.includes(bastion.allocationId)) {
        Object.assign(bastion, { associationId: 'eipassoc-0new', instanceId: 'i-0new', networkInterfaceId: 'eni-0new', defaultVpc: true });
      }
      return undefined;
    };
    // Act
    const result = await env.run(policy('elastic-ip', '{ type: unassociated }', '{ type: release-address }', 'auto', 'scope: { regions: [us-east-1] }'));
    // Assess
    const finding = result.findings.find((f) => f.resource.id === bastion.allocationId)!;
    expect(finding.status).toBe('protected');
    expect(finding.outcomeDetail).toBe(`${bastion.publicIp} is now associated (eipassoc-0new); releasing it would disassociate it (default VPC) or fail; nothing was changed`);
    expect(env.sandbox.writes.filter((w) => w.operation === 'ReleaseAddress' && (w.input as any).AllocationId === bastion.allocationId)).toEqual([]);
    expect(extraOf(env).addresses[bastion.allocationId]).toMatchObject({ associationId: 'eipassoc-0new', instanceId: 'i-0new' });
    expect(env.sandbox.successfulWrites('ReleaseAddress')).toHaveLength(1);
  });

  it('lists with one DescribeAddresses call per region', async () => {
    const sandbox = emptySandbox({ clock });
    for (let i = 0; i < 40; i++) seedAddress(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { publicIp: `198.51.100.${i}`, ...(i % 2 ? { associationId: `eipassoc-${i}` } : {}) });
    const env = envFor(sandbox, ['us-east-1']);
    const result = await env.run(policy('elastic-ip', '{ type: unassociated }', '{ type: release-address }'), { forceDryRun: true });
    expect(sandbox.callsByOperation()).toEqual({ 'ec2:DescribeAddresses': 1 });
    expect(result.findings).toHaveLength(20);
  });
});

describe('log groups with no retention', () => {
  const LOGS = policy('log-group', '{ type: no-retention }', '{ type: set-retention, retentionDays: 90 }');

  it('sets the retention, leaves groups with one alone, and skips a group tagged trimtab:skip at apply time', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(LOGS);
    const groups = logsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').groups;
    expect(groups['/aws/lambda/orders-api'].retentionInDays).toBe(90);
    expect(groups['/ecs/web'].retentionInDays).toBe(30);
    expect(groups['/audit/cloudtrail'].retentionInDays).toBeUndefined();
    const audit = result.findings.find((f) => f.resource.id === '/audit/cloudtrail')!;
    expect(audit.status).toBe('protected');
    expect(audit.outcomeDetail).toContain('trimtab:skip');
    expect(env.sandbox.successfulWrites('PutRetentionPolicy').map((w) => (w.input as any).logGroupName).sort()).toEqual(['/aws/lambda/legacy-cron', '/aws/lambda/orders-api', '/aws/vpc/flow-logs']);
  });

  it('undo restores never expire, and refuses when the retention changed since', async () => {
    const env = testEnv('small-company', { clock });
    const result = await env.run(LOGS);
    const groups = logsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').groups;
    const orders = result.actions.find((a) => a.resource.id === '/aws/lambda/orders-api')!;
    await undoAction(orders.id, env.deps);
    expect(groups['/aws/lambda/orders-api'].retentionInDays).toBeUndefined();
    const cron = result.actions.find((a) => a.resource.id === '/aws/lambda/legacy-cron')!;
    groups['/aws/lambda/legacy-cron'].retentionInDays = 365;
    await expect(undoAction(cron.id, env.deps)).rejects.toThrow(/changed since trimtab set it \(now 365/);
  });

  it('pages 120 groups at 50 a call and reads tags only for the groups it changes', async () => {
    const sandbox = emptySandbox({ clock, pageCap: undefined }); // counts calls at full page size
    for (let i = 0; i < 120; i++) seedLogGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', `/app/g${String(i).padStart(3, '0')}`, { ageDays: 200, storedGb: 2, ...(i % 3 ? { retentionInDays: 14 } : {}) });
    const env = envFor(sandbox, ['us-east-1']);
    const scan = await env.run(LOGS, { forceDryRun: true });
    expect(sandbox.callsByOperation()).toEqual({ 'cloudwatchlogs:DescribeLogGroups': 3 });
    expect(scan.findings).toHaveLength(40);
    sandbox.resetCounters();
    await env.run(LOGS.replace('maxActionsPerRun: 1000', 'maxActionsPerRun: 5'));
    expect(sandbox.callsByOperation()['cloudwatchlogs:ListTagsForResource']).toBe(5);
    expect(sandbox.callsByOperation()['cloudwatchlogs:PutRetentionPolicy']).toBe(5);
  });

  it('the sandbox refuses retention values CloudWatch Logs does not accept', async () => {
    const env = testEnv('small-company', { clock });
    const { CloudWatchLogsClient, PutRetentionPolicyCommand } = await import('@aws-sdk/client-cloudwatch-logs');
    const logs = env.clients.withWrites(true).get(CloudWatchLogsClient, 'us-east-1');
    await expect(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/web', retentionInDays: 45 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/nope', retentionInDays: 30 }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
