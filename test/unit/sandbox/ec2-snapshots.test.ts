import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeSnapshotTierStatusCommand,
  EC2Client,
  ListSnapshotsInRecycleBinCommand,
  ModifySnapshotTierCommand,
  RestoreSnapshotFromRecycleBinCommand,
  RestoreSnapshotTierCommand,
} from '@aws-sdk/client-ec2';
import { CreateRuleCommand, GetRuleCommand, ListRulesCommand, RbinClient } from '@aws-sdk/client-rbin';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { getRule } from '../../../lib/resources/ebs-snapshot/recycle-bin.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { ec2State, mimicEmulatorSnapshots, type SandboxSnapshot } from '../../../lib/sandbox/services/ec2.ts';
import { rbinState } from '../../../lib/sandbox/services/rbin.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { emptySandbox } from '../../helpers.ts';

const START = '2026-11-01T00:00:00Z';
const HOUR = 3_600_000;

/** An AWS-like sandbox (scale 1, 2 s consistency) with two completed snapshots, one public. */
function setup() {
  const clock = new VirtualClock(START);
  const sandbox = emptySandbox({ clock, timing: { scale: 1, consistencyMs: 2_000 } });
  const account = sandbox.account(SANDBOX_ACCOUNT);
  const ec2 = ec2State(sandbox, account, 'us-east-1');
  const snap = (id: string, extra: Partial<SandboxSnapshot> = {}) =>
    (ec2.snapshots[id] = { id, volumeId: 'vol-gone', startTime: '2026-01-01T00:00:00Z', volumeSizeGb: 100, state: 'completed', storageTier: 'standard', tags: { team: 'data' }, ...extra });
  snap('snap-private');
  snap('snap-public', { createVolumePermissions: [{ group: 'all' }], tags: {} });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: true, interceptor: sandbox, writePacing: false });
  return { clock, sandbox, account, ec2, client: clients.get(EC2Client, 'us-east-1'), rbin: clients.get(RbinClient, 'us-east-1') };
}

const ids = (out: { Snapshots?: { SnapshotId?: string }[] }) => (out.Snapshots ?? []).map((s) => s.SnapshotId).sort();

describe('sandbox Recycle Bin rules', () => {
  it('creates rules pending, makes them available after a while, and lists summaries without tags or status', async () => {
    // Prepare
    const { clock, rbin } = setup();
    // Act
    const created = await rbin.send(new CreateRuleCommand({ ResourceType: 'EBS_SNAPSHOT', RetentionPeriod: { RetentionPeriodValue: 7, RetentionPeriodUnit: 'DAYS' }, ExcludeResourceTags: [{ ResourceTagKey: 'team', ResourceTagValue: 'data' }] } as never));
    const listed = await rbin.send(new ListRulesCommand({ ResourceType: 'EBS_SNAPSHOT' }));
    const early = await rbin.send(new GetRuleCommand({ Identifier: created.Identifier! }));
    clock.advance(30_000);
    const later = await rbin.send(new GetRuleCommand({ Identifier: created.Identifier! }));
    const laterWithExclusions = await getRule(rbin, created.Identifier!);
    // Assess
    expect(created.Status).toBe('pending');
    expect(early.Status).toBe('pending');
    expect(later.Status).toBe('available');
    // The exclusion is on the wire; client-rbin 3.523's parser drops it, and trimtab's getRule() reads it from the raw body.
    expect((later as { ExcludeResourceTags?: unknown }).ExcludeResourceTags).toBeUndefined();
    expect(laterWithExclusions.ExcludeResourceTags).toEqual([{ ResourceTagKey: 'team', ResourceTagValue: 'data' }]);
    // ListRules answers summaries: no resource tags, exclusions or status (rbin RuleSummary).
    expect(Object.keys(listed.Rules![0]).sort()).toEqual(['Identifier', 'RetentionPeriod', 'RuleArn']);
  });

  it('refuses a snapshot retention over 365 days and exclusion tags on a tag-level rule', async () => {
    const { rbin } = setup();
    await expect(rbin.send(new CreateRuleCommand({ ResourceType: 'EBS_SNAPSHOT', RetentionPeriod: { RetentionPeriodValue: 366, RetentionPeriodUnit: 'DAYS' } }))).rejects.toThrow(
      expect.objectContaining({ name: 'ValidationException', message: expect.stringMatching(/between 1 and 365 DAYS/) }),
    );
    await expect(
      rbin.send(new CreateRuleCommand({ ResourceType: 'EBS_SNAPSHOT', RetentionPeriod: { RetentionPeriodValue: 7, RetentionPeriodUnit: 'DAYS' }, ResourceTags: [{ ResourceTagKey: 'a' }], ExcludeResourceTags: [{ ResourceTagKey: 'b' }] } as never)),
    ).rejects.toThrow(expect.objectContaining({ name: 'ValidationException' }));
  });

  it('retains a deleted snapshot under a region-level rule unless it carries an exclusion tag, visible after the consistency window', async () => {
    // Prepare: a region-level rule excluding team=data.
    const { clock, sandbox, account, client } = setup();
    rbinState(sandbox, account, 'us-east-1').rules.r1 = { identifier: 'r1', resourceType: 'EBS_SNAPSHOT', retentionPeriod: { RetentionPeriodValue: 10, RetentionPeriodUnit: 'DAYS' }, resourceTags: [], excludeResourceTags: [{ ResourceTagKey: 'team', ResourceTagValue: 'data' }], status: 'available' };
    // Act
    await client.send(new DeleteSnapshotCommand({ SnapshotId: 'snap-private' })); // team=data: excluded
    await client.send(new DeleteSnapshotCommand({ SnapshotId: 'snap-public' }));
    const stale = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-private'] }));
    const binEarly = await client.send(new ListSnapshotsInRecycleBinCommand({}));
    clock.advance(2_000);
    const binLater = await client.send(new ListSnapshotsInRecycleBinCommand({}));
    // Assess: reads lag the delete; only the non-excluded snapshot is in the bin.
    expect(ids(stale)).toEqual(['snap-private']);
    expect(ids(binEarly)).toEqual([]);
    expect(ids(binLater)).toEqual(['snap-public']);
    await expect(client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-private'] }))).rejects.toThrow(expect.objectContaining({ name: 'InvalidSnapshot.NotFound' }));
  });

  it('restores from the Recycle Bin into a recovering snapshot that reads and tag writes cannot see at first', async () => {
    // Prepare
    const { clock, sandbox, account, client } = setup();
    rbinState(sandbox, account, 'us-east-1').rules.r1 = { identifier: 'r1', resourceType: 'EBS_SNAPSHOT', retentionPeriod: { RetentionPeriodValue: 10, RetentionPeriodUnit: 'DAYS' }, resourceTags: [], status: 'available' };
    await client.send(new DeleteSnapshotCommand({ SnapshotId: 'snap-private' }));
    clock.advance(10_000);
    // Act
    const restored = await client.send(new RestoreSnapshotFromRecycleBinCommand({ SnapshotId: 'snap-private' }));
    const tagWrite = client.send(new CreateTagsCommand({ Resources: ['snap-private'], Tags: [{ Key: 'k', Value: 'v' }] }));
    // Assess
    expect(restored.State).toBe('recovering');
    await expect(tagWrite).rejects.toThrow(expect.objectContaining({ name: 'InvalidSnapshot.NotFound' }));
    clock.advance(2_000);
    const seen = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-private'] }));
    expect(seen.Snapshots![0].State).toBe('recovering');
    clock.advance(5 * 60_000);
    expect((await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-private'] }))).Snapshots![0].State).toBe('completed');
  });
});

describe('sandbox snapshot archive tier', () => {
  it('keeps an archiving snapshot in the standard tier with archival-in-progress for hours, then archives it and drops its shares', async () => {
    // Prepare
    const { clock, ec2, client } = setup();
    // Act
    await client.send(new ModifySnapshotTierCommand({ SnapshotId: 'snap-public', StorageTier: 'archive' }));
    const during = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-public'] }));
    const status = await client.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: 'snapshot-id', Values: ['snap-public'] }] }));
    const again = client.send(new ModifySnapshotTierCommand({ SnapshotId: 'snap-public', StorageTier: 'archive' }));
    const restoreEarly = client.send(new RestoreSnapshotTierCommand({ SnapshotId: 'snap-public', PermanentRestore: true }));
    // Assess
    expect(during.Snapshots![0].StorageTier).toBe('standard');
    expect(status.SnapshotTierStatuses![0].LastTieringOperationStatus).toBe('archival-in-progress');
    await expect(again).rejects.toThrow(expect.objectContaining({ name: 'IncorrectState' }));
    await expect(restoreEarly).rejects.toThrow(expect.objectContaining({ name: 'IncorrectState' }));
    clock.advance(6 * HOUR);
    const after = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-public'] }));
    expect(after.Snapshots![0].StorageTier).toBe('archive');
    expect(ec2.snapshots['snap-public'].createVolumePermissions).toEqual([]);
    // A permanent restore takes hours too.
    await client.send(new RestoreSnapshotTierCommand({ SnapshotId: 'snap-public', PermanentRestore: true }));
    expect((await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-public'] }))).Snapshots![0].StorageTier).toBe('archive');
    clock.advance(24 * HOUR);
    expect((await client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-public'] }))).Snapshots![0].StorageTier).toBe('standard');
  });

  it('refuses to archive a snapshot an enabled AMI uses, or one that is not completed', async () => {
    const { ec2, client } = setup();
    ec2.images['ami-1'] = { id: 'ami-1', name: 'golden', state: 'available', creationDate: START, snapshotIds: ['snap-private'] };
    ec2.snapshots['snap-public'].state = 'pending';
    await expect(client.send(new ModifySnapshotTierCommand({ SnapshotId: 'snap-private', StorageTier: 'archive' }))).rejects.toThrow(expect.objectContaining({ name: 'InvalidSnapshot.InUse' }));
    await expect(client.send(new ModifySnapshotTierCommand({ SnapshotId: 'snap-public', StorageTier: 'archive' }))).rejects.toThrow(expect.objectContaining({ name: 'IncorrectState' }));
  });
});

describe('sandbox EC2 tags', () => {
  it('refuses a 51st tag on a snapshot with TagLimitExceeded, tagging nothing, and still overwrites an existing key', async () => {
    // Prepare
    const { ec2, client } = setup();
    ec2.snapshots['snap-private'].tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    // Act
    const refused = client.send(new CreateTagsCommand({ Resources: ['snap-public', 'snap-private'], Tags: [{ Key: 'trimtab:deleted-by', Value: 'trimtab' }] }));
    // Assess
    await expect(refused).rejects.toThrow(expect.objectContaining({ name: 'TagLimitExceeded' }));
    expect(ec2.snapshots['snap-public'].tags).toEqual({});
    expect(Object.keys(ec2.snapshots['snap-private'].tags!)).toHaveLength(50);
    await client.send(new CreateTagsCommand({ Resources: ['snap-private'], Tags: [{ Key: 'k0', Value: 'w' }] }));
    expect(ec2.snapshots['snap-private'].tags!.k0).toBe('w');
  });
});

describe('sandbox emulator switch', () => {
  it('makes DescribeSnapshots ignore RestorableByUserIds, as LocalStack and moto do', async () => {
    // Prepare
    const { sandbox, account, client } = setup();
    const filtered = () => client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], RestorableByUserIds: ['all'] }));
    // Act
    const asAws = await filtered();
    mimicEmulatorSnapshots(sandbox, account, 'us-east-1');
    const asEmulator = await filtered();
    // Assess
    expect(ids(asAws)).toEqual(['snap-public']);
    expect(ids(asEmulator)).toEqual(['snap-private', 'snap-public']);
  });
});
