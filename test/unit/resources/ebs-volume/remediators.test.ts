/**
 * snapshot-and-delete and modify-to-gp3 against a scripted EC2 (test/unit/resources/fake-aws.ts): the
 * apply-time re-checks (trimtab:skip, attached, changed, gone), the exact writes and their order, the
 * recorded steps and resumes, AWS's refusals, verify and undo. Written for the mutation score of
 * lib/resources/ebs-volume/remediators.ts (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { ApplyEnv, Plan, StepProgress } from '../../../../lib/engine/types.ts';
import { describeVolume, modifyToGp3, snapshotAndDelete, tooManyTagsForSnapshot, type Gp3Params, type SnapshotDeleteParams } from '../../../../lib/resources/ebs-volume/remediators.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'vol-1';
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const plan = <P>(params: P) => ({ kind: 'change', summary: 's', undo: 'u', params }) as unknown as Plan<P>;
const SPEC = { availabilityZone: 'us-east-1a', volumeType: 'gp3', sizeGb: 100, iops: 3000, throughput: 125 };
const sdParams: SnapshotDeleteParams = { volumeId: ID, spec: SPEC, tags: { app: 'web' }, snapshotTimeoutMinutes: 10, pollSeconds: 15 };
const WRITES = ['CreateSnapshot', 'DeleteVolume', 'CreateVolume', 'ModifyVolume'];

/** DescribeVolumes' answer: an available, unattached 100 GiB gp3 volume tagged app=web unless overridden. */
const vol = (extra: Record<string, unknown> = {}) => ({ VolumeId: ID, Size: 100, VolumeType: 'gp3', Iops: 3000, Throughput: 125, State: 'available', AvailabilityZone: 'us-east-1a', Tags: [{ Key: 'app', Value: 'web' }, { Key: 'aws:cloudformation:stack-name', Value: 's' }], ...extra });

/** `volumes` answers DescribeVolumes in turn (the last repeats); null = InvalidVolume.NotFound. */
function aws(volumes: Array<Record<string, unknown> | null> = [vol()], over: Handlers = {}) {
  return fakeAws({
    DescribeVolumes: (_i, n) => {
      const v = volumes[Math.min(n, volumes.length) - 1];
      if (v === null) throw awsError('InvalidVolume.NotFound');
      return { Volumes: [v] };
    },
    DescribeSnapshots: (i) => (i.OwnerIds ? { Snapshots: [] } : { Snapshots: [{ SnapshotId: 'snap-new', State: 'completed' }] }),
    CreateSnapshot: () => ({ SnapshotId: 'snap-new' }),
    DeleteVolume: () => ({}),
    ...over,
  });
}

function env(progress: StepProgress[] = [], remaining = 600_000) {
  const recorded: StepProgress[] = [];
  const e: ApplyEnv = { progress, record: async (s) => void recorded.push(s), remainingMs: () => remaining };
  return { env: e, recorded };
}

describe('snapshot-and-delete plan', () => {
  it('plans the snapshot and delete with the spec undo needs', () => {
    const finding = { before: { volume: { id: ID, sizeGb: 100, volumeType: 'io1', availabilityZone: 'us-east-1a', iops: 500, throughput: 9, tags: { app: 'web' } } } } as never;
    expect(snapshotAndDelete.plan(finding, { snapshotTimeoutMinutes: 10, pollSeconds: 15 }, {} as never)).toStrictEqual({
      kind: 'change',
      summary: 'Snapshot vol-1 (100 GiB io1, us-east-1a), wait for the snapshot to complete, then delete the volume.',
      params: { volumeId: ID, spec: { availabilityZone: 'us-east-1a', volumeType: 'io1', sizeGb: 100, iops: 500 }, tags: { app: 'web' }, snapshotTimeoutMinutes: 10, pollSeconds: 15 },
      undo: 'trimtab undo creates a new volume from the snapshot in us-east-1a (io1, 100 GiB, 500 IOPS, same tags). It gets a new volume id; the snapshot is kept.',
    });
    const gp3 = snapshotAndDelete.plan({ before: { volume: { id: ID, sizeGb: 8, volumeType: 'gp3', availabilityZone: 'a', iops: 3000, throughput: 125, tags: {} } } } as never, { snapshotTimeoutMinutes: 1, pollSeconds: 1 }, {} as never);
    expect(gp3.kind === 'change' && gp3.undo).toBe('trimtab undo creates a new volume from the snapshot in a (gp3, 8 GiB, 3000 IOPS, 125 MiB/s, same tags). It gets a new volume id; the snapshot is kept.');
    const gp2 = snapshotAndDelete.plan({ before: { volume: { id: ID, sizeGb: 8, volumeType: 'gp2', availabilityZone: 'a', iops: 100, tags: {} } } } as never, { snapshotTimeoutMinutes: 1, pollSeconds: 1 }, {} as never);
    expect(gp2.kind === 'change' && gp2.params.spec).toStrictEqual({ availabilityZone: 'a', volumeType: 'gp2', sizeGb: 8 });
    expect(gp2.kind === 'change' && gp2.undo).toBe('trimtab undo creates a new volume from the snapshot in a (gp2, 8 GiB, same tags). It gets a new volume id; the snapshot is kept.');
  });

  it('keeps IOPS and throughput out of the spec when the volume reports none', () => {
    const options = { snapshotTimeoutMinutes: 1, pollSeconds: 1 };
    const gp3 = snapshotAndDelete.plan({ before: { volume: { id: ID, sizeGb: 8, volumeType: 'gp3', availabilityZone: 'a', tags: {} } } } as never, options, {} as never);
    expect(gp3.kind === 'change' && gp3.params.spec).toStrictEqual({ availabilityZone: 'a', volumeType: 'gp3', sizeGb: 8 });
    expect(gp3.kind === 'change' && gp3.undo).toBe('trimtab undo creates a new volume from the snapshot in a (gp3, 8 GiB, same tags). It gets a new volume id; the snapshot is kept.');
    const io1 = snapshotAndDelete.plan({ before: { volume: { id: ID, sizeGb: 8, volumeType: 'io1', availabilityZone: 'a', throughput: 125, tags: {} } } } as never, options, {} as never);
    expect(io1.kind === 'change' && io1.params.spec).toStrictEqual({ availabilityZone: 'a', volumeType: 'io1', sizeGb: 8 });
  });

  it('refuses a volume with more than 48 copyable tags, counting aws: tags out', () => {
    const tags = (n: number) => Object.fromEntries([...Array.from({ length: n }, (_, i) => [`k${i}`, 'v']), ['aws:x', 'y']]);
    expect(tooManyTagsForSnapshot(ID, tags(48))).toBeUndefined();
    expect(tooManyTagsForSnapshot(ID, tags(49))).toBe("vol-1 has 49 tags: its final snapshot would carry 51 (its tags plus trimtab:snapshot-of and trimtab:volume-spec), over EC2's 50 per resource (TagLimitExceeded); remove tags or snapshot it by hand");
    expect(snapshotAndDelete.plan({ before: { volume: { id: ID, sizeGb: 1, volumeType: 'gp2', availabilityZone: 'a', tags: tags(49) } } } as never, { snapshotTimeoutMinutes: 1, pollSeconds: 1 }, {} as never)).toMatchObject({ kind: 'conflict' });
  });

  it('names both actions, their resource, permissions, mode and undo limits exactly', () => {
    expect([snapshotAndDelete.id, snapshotAndDelete.resource, snapshotAndDelete.title, snapshotAndDelete.defaultMode, snapshotAndDelete.undoable]).toEqual(['snapshot-and-delete', 'ebs-volume', 'Snapshot the volume, wait until the snapshot completes, then delete the volume', 'approval', 'yes']);
    expect(snapshotAndDelete.permissions).toEqual(['ec2:DescribeVolumes', 'ec2:DescribeSnapshots', 'ec2:CreateSnapshot', 'ec2:CreateTags', 'ec2:DeleteVolume', 'ec2:CreateVolume']);
    expect(snapshotAndDelete.undoLimits).toBe('The volume itself: undo makes a new volume (new id, attached to nothing) from the snapshot, and its first read of each block is slow (loaded lazily from the snapshot). Anything written to the volume after the snapshot was taken.');
    expect([modifyToGp3.id, modifyToGp3.resource, modifyToGp3.title, modifyToGp3.defaultMode, modifyToGp3.undoable]).toEqual(['modify-to-gp3', 'ebs-volume', 'Modify the gp2 volume to gp3 online, with IOPS and throughput at least gp2 delivers', 'auto', 'yes']);
    expect(modifyToGp3.permissions).toEqual(['ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications', 'ec2:ModifyVolume']);
    expect(modifyToGp3.undoLimits).toBe("Nothing stored on the volume is lost; the undo waits until this modification completes (hours for a large volume) and counts toward AWS's four modifications in 24 hours.");
    expect(modifyToGp3.options.parse({})).toEqual({});
  });

  it('bounds its options', () => {
    expect(snapshotAndDelete.options.parse({})).toEqual({ snapshotTimeoutMinutes: 10, pollSeconds: 15 });
    expect(snapshotAndDelete.options.parse({ snapshotTimeoutMinutes: 0, pollSeconds: 0 })).toEqual({ snapshotTimeoutMinutes: 0, pollSeconds: 0 });
    expect(snapshotAndDelete.options.parse({ snapshotTimeoutMinutes: 14, pollSeconds: 60 })).toEqual({ snapshotTimeoutMinutes: 14, pollSeconds: 60 });
    expect(snapshotAndDelete.options.safeParse({ snapshotTimeoutMinutes: -1 }).success).toBe(false);
    expect(snapshotAndDelete.options.safeParse({ pollSeconds: -1 }).success).toBe(false);
    expect(snapshotAndDelete.options.safeParse({ snapshotTimeoutMinutes: 15 }).success).toBe(false);
    expect(snapshotAndDelete.options.safeParse({ pollSeconds: 61 }).success).toBe(false);
  });
});

describe('snapshot-and-delete apply', () => {
  it('re-reads the volume, snapshots it with its tags and the spec, waits, re-reads, then deletes', async () => {
    const a = aws();
    const out = await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never);
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeVolumes', { VolumeIds: [ID] }],
      ['DescribeSnapshots', { OwnerIds: ['self'], Filters: [{ Name: 'tag:trimtab:snapshot-of', Values: [ID] }, { Name: 'status', Values: ['pending', 'completed'] }] }],
      ['CreateSnapshot', { VolumeId: ID, Description: 'trimtab: final snapshot of vol-1 before deleting it', TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'app', Value: 'web' }, { Key: 'trimtab:snapshot-of', Value: ID }, { Key: 'trimtab:volume-spec', Value: JSON.stringify(SPEC) }] }] }],
      ['DescribeSnapshots', { SnapshotIds: ['snap-new'] }],
      ['DescribeVolumes', { VolumeIds: [ID] }],
      ['DeleteVolume', { VolumeId: ID }],
    ]);
    expect(out.after).toEqual({ deleted: true, snapshotId: 'snap-new' });
    expect(out.detail).toBe('snapshot snap-new completed; vol-1 deleted');
    expect((out.before as { volume: { id: string } }).volume.id).toBe(ID);
  });

  it('records each step before the next, with the snapshot id', async () => {
    const a = aws();
    const e = env();
    await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never, e.env);
    expect(e.recorded.map((s) => [s.step, s.state])).toEqual([
      ['snapshot-requested', { snapshotId: 'snap-new' }],
      ['snapshot-completed', { snapshotId: 'snap-new' }],
      ['deleted', { snapshotId: 'snap-new' }],
    ]);
  });

  it('refuses a volume tagged trimtab:skip since the finding, taking no snapshot', async () => {
    const a = aws([vol({ Tags: [{ Key: 'trimtab:skip', Value: '' }] })]);
    const err = await caught(snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err!.message).toBe('vol-1 is now tagged trimtab:skip; nothing was changed');
    expect(a.ops()).toEqual(['DescribeVolumes']);
  });

  it('refuses a volume attached since the finding, taking no snapshot', async () => {
    const a = aws([vol({ State: 'in-use', Attachments: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] })]);
    const err = await caught(snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never));
    expect(err!.message).toBe('vol-1 is now in-use (attached to i-1, i-2); nothing was changed');
    expect(a.ops()).toEqual(['DescribeVolumes']);
    const attached = aws([vol({ Attachments: [{ InstanceId: 'i-3' }] })]);
    expect((await caught(snapshotAndDelete.apply(attached.ctx, plan(sdParams), undefined as never)))!.message).toBe('vol-1 is now available (attached to i-3); nothing was changed');
    const creating = aws([vol({ State: 'creating' })]);
    expect((await caught(snapshotAndDelete.apply(creating.ctx, plan(sdParams), undefined as never)))!.message).toBe('vol-1 is now creating; nothing was changed');
  });

  it('refuses a volume attached while the snapshot was taken, keeping the volume and the snapshot', async () => {
    const a = aws([vol(), vol({ State: 'in-use', Attachments: [{ InstanceId: 'i-1' }] })]);
    const err = await caught(snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err!.message).toBe('vol-1 is now in-use (attached to i-1); not deleted (snapshot snap-new kept)');
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['CreateSnapshot']);
  });

  it('counts a volume gone or being deleted as done, before or after the snapshot', async () => {
    const gone = aws([null]);
    expect(await snapshotAndDelete.apply(gone.ctx, plan(sdParams), undefined as never)).toEqual({ after: { deleted: true, alreadyGone: true }, detail: 'vol-1 was already gone (InvalidVolume.NotFound): counts as done' });
    const deleting = aws([vol({ State: 'deleting' })]);
    const d = await snapshotAndDelete.apply(deleting.ctx, plan(sdParams), undefined as never);
    expect(d.after).toEqual({ deleted: true, alreadyGone: true });
    expect(d.detail).toBe('vol-1 is already being deleted (deleting): counts as done');
    expect((d.before as { volume: { state: string } }).volume.state).toBe('deleting');
    const later = aws([vol(), null]);
    expect(await snapshotAndDelete.apply(later.ctx, plan(sdParams), undefined as never)).toEqual({ after: { deleted: true, alreadyGone: true, snapshotId: 'snap-new' }, detail: 'vol-1 was already gone (InvalidVolume.NotFound): counts as done (snapshot snap-new kept)' });
    expect(later.writes('DeleteVolume')).toEqual([]);
    expect([...gone.writes(...WRITES), ...deleting.writes(...WRITES)]).toEqual([]);
  });

  it('reuses the newest snapshot an earlier run started instead of taking another', async () => {
    const a = aws([vol()], { DescribeSnapshots: (i) => (i.OwnerIds ? { Snapshots: [{ SnapshotId: 'snap-old', StartTime: new Date('2026-10-01'), State: 'pending' }, { SnapshotId: 'snap-newer', StartTime: new Date('2026-10-02'), State: 'pending' }] } : { Snapshots: [{ SnapshotId: i.SnapshotIds[0], State: 'completed' }] }) });
    const e = env();
    const out = await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never, e.env);
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([['DeleteVolume', { VolumeId: ID }]]);
    expect(out.after).toEqual({ deleted: true, snapshotId: 'snap-newer', reusedSnapshot: true });
    expect(out.detail).toBe('snapshot snap-newer (from an earlier run) completed; vol-1 deleted');
    expect(e.recorded[0]).toMatchObject({ step: 'snapshot-requested', state: { snapshotId: 'snap-newer', reused: true } });
    // Whatever order DescribeSnapshots lists them in, and with one undated: the newest dated one.
    for (const listed of [[{ SnapshotId: 'snap-newer', StartTime: new Date('2026-10-02') }, { SnapshotId: 'snap-old', StartTime: new Date('2026-10-01') }], [{ SnapshotId: 'snap-undated' }, { SnapshotId: 'snap-newer', StartTime: new Date('2026-10-02') }, { SnapshotId: 'snap-old', StartTime: new Date('2026-10-01') }]]) {
      const b = aws([vol()], { DescribeSnapshots: (i) => (i.OwnerIds ? { Snapshots: listed.map((x) => ({ ...x, State: 'pending' })) } : { Snapshots: [{ SnapshotId: i.SnapshotIds[0], State: 'completed' }] }) });
      expect((await snapshotAndDelete.apply(b.ctx, plan(sdParams), undefined as never)).after).toEqual({ deleted: true, snapshotId: 'snap-newer', reusedSnapshot: true });
      expect(b.writes('CreateSnapshot')).toEqual([]);
    }
    // An answer without Snapshots: none to reuse, a new one is taken.
    const none = aws([vol()], { DescribeSnapshots: (i) => (i.OwnerIds ? {} : { Snapshots: [{ SnapshotId: 'snap-new', State: 'completed' }] }) });
    expect((await snapshotAndDelete.apply(none.ctx, plan(sdParams), undefined as never)).after).toEqual({ deleted: true, snapshotId: 'snap-new' });
    expect(none.writes('CreateSnapshot')).toHaveLength(1);
  });

  it('refuses, before any write, a volume that gained too many tags since the plan', async () => {
    const a = aws([vol({ Tags: Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })]);
    const err = await caught(snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never));
    expect(err!.message).toBe("vol-1 has 49 tags: its final snapshot would carry 51 (its tags plus trimtab:snapshot-of and trimtab:volume-spec), over EC2's 50 per resource (TagLimitExceeded); remove tags or snapshot it by hand; nothing was changed");
    expect(a.ops()).toEqual(['DescribeVolumes']);
  });

  it('hands the snapshot request back when too little of the invocation is left', async () => {
    const a = aws();
    const e = env([], 29_999);
    const out = await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never, e.env);
    expect(out).toEqual({ after: { step: 'none', waitingFor: 'the snapshot request (29999 ms left in this invocation)' }, resumeAt: '2026-11-01T00:00:00.000Z', detail: 'vol-1: none; waiting for the snapshot request (29999 ms left in this invocation), resume at 2026-11-01T00:00:00.000Z' });
    expect(a.ops()).toEqual(['DescribeVolumes']);
    const enough = aws();
    await snapshotAndDelete.apply(enough.ctx, plan(sdParams), undefined as never, env([], 30_000).env);
    expect(enough.writes('DeleteVolume')).toHaveLength(1);
  });

  it('hands the delete back when too little is left after the snapshot completed', async () => {
    const a = aws();
    const progress = [{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: 'snap-r' } }, { step: 'snapshot-completed', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: 'snap-r' } }];
    const out = await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never, env(progress, 1000).env);
    expect(out).toEqual({ after: { step: 'snapshot-completed', snapshotId: 'snap-r', waitingFor: 'the delete (1000 ms left in this invocation)' }, resumeAt: '2026-11-01T00:00:00.000Z', detail: 'vol-1: snapshot-completed (snap-r); waiting for the delete (1000 ms left in this invocation), resume at 2026-11-01T00:00:00.000Z' });
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('resumes from a recorded completed snapshot: one re-read, then the delete, no second snapshot', async () => {
    const a = aws();
    const progress = [{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: 'snap-r', reused: true } }, { step: 'snapshot-completed', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: 'snap-r' } }];
    const out = await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never, env(progress).env);
    expect(a.ops()).toEqual(['DescribeVolumes', 'DeleteVolume']);
    expect(out.after).toEqual({ deleted: true, snapshotId: 'snap-r', reusedSnapshot: true });
  });

  it('answers a recorded delete without calling AWS', async () => {
    const a = aws();
    const progress = [{ step: 'snapshot-requested', at: 'x', state: { snapshotId: 'snap-r' } }, { step: 'deleted', at: 'y', state: { snapshotId: 'snap-r' } }];
    expect(await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never, env(progress).env)).toEqual({ after: { deleted: true, snapshotId: 'snap-r' }, detail: 'vol-1 deleted (recorded); snapshot snap-r kept' });
    expect(a.ops()).toEqual([]);
  });

  it('ignores a recorded snapshot id that is not a string', async () => {
    const a = aws();
    const progress = [{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z', state: { snapshotId: 7 } }];
    await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never, env(progress).env);
    expect(a.writes('CreateSnapshot')).toHaveLength(1);
    const stateless = aws();
    const out = await snapshotAndDelete.apply(stateless.ctx, plan(sdParams), undefined as never, env([{ step: 'snapshot-requested', at: '2026-11-01T00:00:00.000Z' }]).env);
    expect(stateless.writes('CreateSnapshot')).toHaveLength(1);
    expect(out.after).toEqual({ deleted: true, snapshotId: 'snap-new' });
  });

  it('waits for a pending snapshot, polling at the planned interval, and hands the wait back with a budget', async () => {
    let reads = 0;
    const a = aws([vol()], { DescribeSnapshots: (i) => (i.OwnerIds ? { Snapshots: [] } : { Snapshots: [{ SnapshotId: 'snap-new', State: ++reads < 3 ? 'pending' : 'completed', Progress: '40%' }] }) });
    const out = await snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never);
    expect(out.detail).toBe('snapshot snap-new completed; vol-1 deleted');
    expect(a.clock.now().toISOString()).toBe('2026-11-01T00:00:30.000Z');
    reads = -100;
    const b = aws([vol()], { DescribeSnapshots: (i) => (i.OwnerIds ? { Snapshots: [] } : { Snapshots: [{ SnapshotId: 'snap-new', State: 'pending' }] }) });
    const e = env();
    const w = await snapshotAndDelete.apply(b.ctx, plan(sdParams), undefined as never, e.env);
    expect(w.resumeAt).toBeDefined();
    expect(w.after).toEqual({ step: 'snapshot-requested', snapshotId: 'snap-new', waitingFor: 'snapshot snap-new to complete' });
    expect(b.writes('DeleteVolume')).toEqual([]);
  });

  it('fails without deleting when the snapshot errors, disappears or times out', async () => {
    const run = async (answer: () => unknown) => {
      const a = aws([vol()], { DescribeSnapshots: (i) => (i.OwnerIds ? { Snapshots: [] } : answer()) });
      const e = await caught(snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never));
      expect(a.writes('DeleteVolume')).toEqual([]);
      return e!.message;
    };
    expect(await run(() => ({ Snapshots: [{ State: 'error' }] }))).toBe('Snapshot snap-new of vol-1 failed (state error); the volume was not deleted.');
    expect(await run(() => ({ Snapshots: [] }))).toBe('Snapshot snap-new of vol-1 disappeared; the volume was not deleted.');
    expect(await run(() => ({ Snapshots: [{ State: 'pending', Progress: '12%' }] }))).toBe('Snapshot snap-new of vol-1 is still pending (12%) after 10 min; the volume was not deleted. The next run reuses this snapshot.');
    expect(await run(() => ({ Snapshots: [{ State: 'pending' }] }))).toBe('Snapshot snap-new of vol-1 is still pending (?) after 10 min; the volume was not deleted. The next run reuses this snapshot.');
  });

  it('counts a volume that vanished at the delete as done, refuses one attached at the delete, passes other errors', async () => {
    const gone = aws([vol()], { DeleteVolume: () => { throw awsError('InvalidVolume.NotFound'); } });
    const g = await snapshotAndDelete.apply(gone.ctx, plan(sdParams), undefined as never);
    expect(g.after).toEqual({ deleted: true, alreadyGone: true, snapshotId: 'snap-new' });
    expect(g.detail).toBe('vol-1 vanished before the delete: counts as done (snapshot snap-new kept)');
    expect((g.before as { volume: { id: string } }).volume.id).toBe(ID);
    const inUse = await caught(snapshotAndDelete.apply(aws([vol()], { DeleteVolume: () => { throw awsError('VolumeInUse', 'attached'); } }).ctx, plan(sdParams), undefined as never));
    expect(inUse).toBeInstanceOf(ProtectedResourceError);
    expect(inUse!.message).toBe('VolumeInUse: attached (snapshot snap-new kept)');
    expect((inUse as Error & { cause: Error }).cause.name).toBe('VolumeInUse');
    const other = await caught(snapshotAndDelete.apply(aws([vol()], { DeleteVolume: () => { throw awsError('UnauthorizedOperation'); } }).ctx, plan(sdParams), undefined as never));
    expect(other).not.toBeInstanceOf(ProtectedResourceError);
    expect(other!.name).toBe('UnauthorizedOperation');
  });

  it('passes through an error reading the volume other than NotFound', async () => {
    const a = aws([vol()], { DescribeVolumes: () => { throw awsError('RequestLimitExceeded'); } });
    expect((await caught(snapshotAndDelete.apply(a.ctx, plan(sdParams), undefined as never)))!.name).toBe('RequestLimitExceeded');
    expect(await describeVolume(aws([vol()], { DescribeVolumes: () => ({ Volumes: [] }) }).ctx.clients.get((await import('@aws-sdk/client-ec2')).EC2Client, 'us-east-1'), ID)).toBeUndefined();
    expect(await describeVolume(aws([vol()], { DescribeVolumes: () => ({}) }).ctx.clients.get((await import('@aws-sdk/client-ec2')).EC2Client, 'us-east-1'), ID)).toBeUndefined();
  });
});

describe('snapshot-and-delete verify and undo', () => {
  const applied = { after: { deleted: true, snapshotId: 'snap-new' } } as never;
  it('verifies the volume gone or deleting and the snapshot completed', async () => {
    expect(await snapshotAndDelete.verify(aws([null]).ctx, plan(sdParams), applied)).toEqual({ ok: true, detail: 'vol-1 is gone; snapshot snap-new is completed' });
    expect(await snapshotAndDelete.verify(aws([vol({ State: 'deleting' })]).ctx, plan(sdParams), applied)).toEqual({ ok: true, detail: 'vol-1 is deleting; snapshot snap-new is completed' });
    expect(await snapshotAndDelete.verify(aws([vol()]).ctx, plan(sdParams), applied)).toEqual({ ok: false, detail: 'vol-1 still exists (state available) after the delete' });
    expect(await snapshotAndDelete.verify(aws([null]).ctx, plan(sdParams), { after: { deleted: true, alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'vol-1 is gone' });
    expect(await snapshotAndDelete.verify(aws([null], { DescribeSnapshots: () => ({ Snapshots: [{ State: 'pending' }] }) }).ctx, plan(sdParams), applied)).toEqual({ ok: false, detail: 'vol-1 is gone but snapshot snap-new is pending' });
    const missing = aws([null], { DescribeSnapshots: () => { throw awsError('InvalidSnapshot.NotFound'); } });
    expect(await snapshotAndDelete.verify(missing.ctx, plan(sdParams), applied)).toEqual({ ok: false, detail: 'vol-1 is gone but snapshot snap-new is missing' });
    // InvalidSnapshot.NotFound is retried (eventual consistency right after CreateSnapshot): 6 reads through the clock.
    expect(missing.ops().filter((o) => o === 'DescribeSnapshots')).toHaveLength(6);
    expect(await snapshotAndDelete.verify(aws([null], { DescribeSnapshots: () => ({}) }).ctx, plan(sdParams), applied)).toEqual({ ok: false, detail: 'vol-1 is gone but snapshot snap-new is missing' });
    const late = aws([null], { DescribeSnapshots: (_i, n) => { if (n === 1) throw awsError('InvalidSnapshot.NotFound'); return { Snapshots: [{ State: 'completed' }] }; } });
    expect(await snapshotAndDelete.verify(late.ctx, plan(sdParams), applied)).toEqual({ ok: true, detail: 'vol-1 is gone; snapshot snap-new is completed' });
    const denied = aws([null], { DescribeSnapshots: () => { throw awsError('UnauthorizedOperation'); } });
    expect((await caught(snapshotAndDelete.verify(denied.ctx, plan(sdParams), applied)))!.name).toBe('UnauthorizedOperation');
  });

  const before = { volume: { id: ID, sizeGb: 50, volumeType: 'io2', availabilityZone: 'us-east-1b', iops: 900, tags: { team: 'x', 'aws:y': 'z' } } };
  it('restores a volume from the snapshot with the recorded spec and tags', async () => {
    const a = aws([vol()], { DescribeSnapshots: () => ({ Snapshots: [{ State: 'completed' }] }), CreateVolume: () => ({ VolumeId: 'vol-2' }) });
    const out = await snapshotAndDelete.undo!(a.ctx, recordOf('ebs-volume', ID, 'snapshot-and-delete', sdParams, before, { deleted: true, snapshotId: 'snap-new' }));
    expect(a.calls.map((c) => [c.op, c.input])).toStrictEqual([
      ['DescribeSnapshots', { SnapshotIds: ['snap-new'] }],
      ['CreateVolume', { AvailabilityZone: 'us-east-1b', SnapshotId: 'snap-new', VolumeType: 'io2', Size: 50, Iops: 900, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'team', Value: 'x' }, { Key: 'trimtab:restored-from', Value: ID }] }] }],
    ]);
    expect(out).toEqual({ detail: 'Restored vol-1 as vol-2 from snap-new in us-east-1b (io2, 50 GiB, tags copied). Attach it where it is needed; the snapshot is kept.', after: { volumeId: 'vol-2', snapshotId: 'snap-new' } });
  });

  it('restores from the plan\'s spec and tags when the record has no volume', async () => {
    const a = aws([vol()], { DescribeSnapshots: () => ({ Snapshots: [{ State: 'completed' }] }), CreateVolume: () => ({ VolumeId: 'vol-2' }) });
    await snapshotAndDelete.undo!(a.ctx, { ...recordOf('ebs-volume', ID, 'snapshot-and-delete', sdParams, null, { deleted: true, snapshotId: 'snap-new' }), before: null } as never);
    expect(a.writes('CreateVolume').map((c) => c.input)).toStrictEqual([{ AvailabilityZone: 'us-east-1a', SnapshotId: 'snap-new', VolumeType: 'gp3', Size: 100, Iops: 3000, Throughput: 125, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'app', Value: 'web' }, { Key: 'trimtab:restored-from', Value: ID }] }] }]);
    // A gp2 volume: no Iops or Throughput written (CreateVolume refuses Iops for gp2).
    const b = aws([vol()], { DescribeSnapshots: () => ({ Snapshots: [{ State: 'completed' }] }), CreateVolume: () => ({ VolumeId: 'vol-3' }) });
    await snapshotAndDelete.undo!(b.ctx, { ...recordOf('ebs-volume', ID, 'snapshot-and-delete', { ...sdParams, spec: { availabilityZone: 'us-east-1a', volumeType: 'gp2', sizeGb: 8 } }, null, { deleted: true, snapshotId: 'snap-new' }), before: null } as never);
    expect(b.writes('CreateVolume').map((c) => c.input)).toStrictEqual([{ AvailabilityZone: 'us-east-1a', SnapshotId: 'snap-new', VolumeType: 'gp2', Size: 8, TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'app', Value: 'web' }, { Key: 'trimtab:restored-from', Value: ID }] }] }]);
  });

  it('refuses to restore without a snapshot, from a missing or unfinished snapshot', async () => {
    const undo = async (after: unknown, over: Handlers = {}) => {
      const a = aws([vol()], { CreateVolume: () => ({ VolumeId: 'vol-2' }), ...over });
      const e = await caught(snapshotAndDelete.undo!(a.ctx, recordOf('ebs-volume', ID, 'x', sdParams, before, after)));
      expect(a.writes('CreateVolume')).toEqual([]);
      return e!;
    };
    const none = await undo({ deleted: true, alreadyGone: true });
    expect(none).toBeInstanceOf(UndoRefusedError);
    expect(none.message).toBe('vol-1 was already gone when trimtab acted; trimtab took no snapshot of it to restore from.');
    expect((await undo(undefined)).message).toBe('vol-1 was already gone when trimtab acted; trimtab took no snapshot of it to restore from.');
    expect((await undo({ snapshotId: 's' }, { DescribeSnapshots: () => { throw awsError('InvalidSnapshot.NotFound'); } })).message).toBe('Snapshot s of vol-1 no longer exists: the volume cannot be restored.');
    expect((await undo({ snapshotId: 's' }, { DescribeSnapshots: () => ({ Snapshots: [] }) })).message).toBe('Snapshot s of vol-1 no longer exists: the volume cannot be restored.');
    const bare = await undo({ snapshotId: 's' }, { DescribeSnapshots: () => ({}) });
    expect(bare).toBeInstanceOf(UndoRefusedError);
    expect(bare.message).toBe('Snapshot s of vol-1 no longer exists: the volume cannot be restored.');
    expect((await undo({ snapshotId: 's' }, { DescribeSnapshots: () => ({ Snapshots: [{ State: 'pending' }] }) })).message).toBe('Snapshot s is pending: only a completed snapshot can be restored.');
    expect((await undo({ snapshotId: 's' }, { DescribeSnapshots: () => { throw awsError('UnauthorizedOperation'); } })).name).toBe('UnauthorizedOperation');
  });
});

const gp3Params: Gp3Params = { volumeId: ID, sizeGb: 100, iops: 3000, throughput: 125 };
const gp2 = (extra: Record<string, unknown> = {}) => vol({ VolumeType: 'gp2', Iops: 300, Throughput: undefined, ...extra });

describe('modify-to-gp3', () => {
  it('plans the online modification with the saving', () => {
    const finding = { savings: { monthlyUsd: 1.999 }, before: { volume: { id: ID, sizeGb: 100 }, target: { iops: 3000, throughput: 125 } } } as never;
    expect(modifyToGp3.plan(finding, {}, {} as never)).toEqual({
      kind: 'change',
      summary: 'Modify vol-1 (100 GiB) from gp2 to gp3 with 3000 IOPS and 125 MiB/s, online: $2/month less.',
      params: gp3Params,
      undo: 'trimtab undo modifies it back to gp2 once this modification is completed (AWS refuses another while it is modifying or optimizing, and allows at most four in 24 hours), and only if nobody changed the volume since.',
    });
    expect(modifyToGp3.defaultMode).toBe('auto');
  });

  it('re-reads the volume and modifies it to the planned IOPS and throughput', async () => {
    const a = aws([gp2()], { ModifyVolume: () => ({ VolumeModification: { StartTime: new Date('2026-11-01T00:00:05Z'), ModificationState: 'optimizing' } }) });
    const out = await modifyToGp3.apply(a.ctx, plan(gp3Params), undefined as never);
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([['DescribeVolumes', { VolumeIds: [ID] }], ['ModifyVolume', { VolumeId: ID, VolumeType: 'gp3', Iops: 3000, Throughput: 125 }]]);
    expect(out.after).toEqual({ volumeType: 'gp3', iops: 3000, throughput: 125, modificationStartTime: '2026-11-01T00:00:05.000Z' });
    expect(out.detail).toBe('modification to gp3 started 2026-11-01T00:00:05.000Z (optimizing)');
    expect((out.before as { volume: { volumeType: string } }).volume.volumeType).toBe('gp2');
    const bare = aws([gp2()], { ModifyVolume: () => ({}) });
    const b = await modifyToGp3.apply(bare.ctx, plan(gp3Params), undefined as never);
    expect(b.detail).toBe('modification to gp3 started 2026-11-01T00:00:00.000Z (modifying)');
  });

  it('refuses a volume tagged trimtab:skip since the finding, writing nothing', async () => {
    const a = aws([gp2({ Tags: [{ Key: 'trimtab:skip', Value: '' }] })], { ModifyVolume: () => ({}) });
    const err = await caught(modifyToGp3.apply(a.ctx, plan(gp3Params), undefined as never));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err!.message).toBe('vol-1 is now tagged trimtab:skip');
    expect(a.ops()).toEqual(['DescribeVolumes']);
  });

  it('refuses a volume changed to another type since the scan, writing nothing', async () => {
    const a = aws([vol({ VolumeType: 'io1' })], { ModifyVolume: () => ({}) });
    expect((await caught(modifyToGp3.apply(a.ctx, plan(gp3Params), undefined as never)))!.message).toBe('vol-1 is now io1, not gp2: someone changed it since the scan; nothing was changed');
    const low = aws([vol({ Iops: 2999 })], { ModifyVolume: () => ({}) });
    expect((await caught(modifyToGp3.apply(low.ctx, plan(gp3Params), undefined as never)))!.message).toBe('vol-1 is now gp3, not gp2: someone changed it since the scan; nothing was changed');
    const slow = aws([vol({ Throughput: 124 })], { ModifyVolume: () => ({}) });
    expect((await caught(modifyToGp3.apply(slow.ctx, plan(gp3Params), undefined as never)))!.message).toBe('vol-1 is now gp3, not gp2: someone changed it since the scan; nothing was changed');
    const bare = aws([vol({ Iops: undefined, Throughput: undefined })], { ModifyVolume: () => ({}) });
    expect((await caught(modifyToGp3.apply(bare.ctx, plan({ ...gp3Params, iops: 0, throughput: 1 }), undefined as never)))!.message).toBe('vol-1 is now gp3, not gp2: someone changed it since the scan; nothing was changed');
    expect([...a.writes(...WRITES), ...low.writes(...WRITES), ...slow.writes(...WRITES), ...bare.writes(...WRITES)]).toEqual([]);
  });

  it('counts a volume already gp3 at or above the plan, or gone, as done', async () => {
    const a = aws([vol({ Iops: 3000, Throughput: 125 })]);
    const out = await modifyToGp3.apply(a.ctx, plan(gp3Params), undefined as never);
    expect(out.after).toEqual({ volumeType: 'gp3', iops: 3000, throughput: 125, alreadyGp3: true });
    expect(out.detail).toBe('vol-1 is already gp3 at 3000 IOPS / 125 MiB/s');
    expect((out.before as { volume: { id: string; volumeType: string } }).volume).toMatchObject({ id: ID, volumeType: 'gp3' });
    expect(await modifyToGp3.apply(aws([null]).ctx, plan(gp3Params), undefined as never)).toEqual({ after: { volumeType: 'gp3', iops: 3000, throughput: 125, alreadyGone: true }, detail: 'vol-1 no longer exists: counts as done' });
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('turns AWS\'s refusals into clear errors and a vanished volume into done', async () => {
    const run = (name: string) => caught(modifyToGp3.apply(aws([gp2()], { ModifyVolume: () => { throw awsError(name, 'msg.'); } }).ctx, plan(gp3Params), undefined as never));
    for (const name of ['VolumeModificationRateExceeded', 'IncorrectModificationState']) {
      const e = await run(name);
      expect(e).toBeInstanceOf(ProtectedResourceError);
      expect(e!.message).toBe(`${name}: msg. A later run retries.`);
      expect((e as Error & { cause: Error }).cause.name).toBe(name);
    }
    expect((await run('UnauthorizedOperation'))!.name).toBe('UnauthorizedOperation');
    const gone = aws([gp2()], { ModifyVolume: () => { throw awsError('InvalidVolume.NotFound'); } });
    expect(await modifyToGp3.apply(gone.ctx, plan(gp3Params), undefined as never)).toEqual({ after: { volumeType: 'gp3', iops: 3000, throughput: 125, alreadyGone: true }, detail: 'vol-1 vanished: counts as done' });
  });

  const mods = (...m: Array<Record<string, unknown>>) => ({ DescribeVolumesModifications: () => ({ VolumesModifications: m }) });
  it('verifies the latest modification targets gp3 at the planned IOPS and throughput', async () => {
    const verify = (over: Handlers, after: unknown = { volumeType: 'gp3' }) => modifyToGp3.verify(aws([vol()], over).ctx, plan(gp3Params), { after } as never);
    expect(await verify(mods({ StartTime: new Date(1), TargetVolumeType: 'gp2', ModificationState: 'completed' }, { StartTime: new Date(2), TargetVolumeType: 'gp3', ModificationState: 'optimizing', TargetIops: 3000, TargetThroughput: 125 }))).toEqual({ ok: true, detail: 'vol-1: modification to gp3 optimizing (3000 IOPS, 125 MiB/s)' });
    expect(await verify(mods({ StartTime: new Date(2), TargetVolumeType: 'gp3', ModificationState: 'optimizing', TargetIops: 3000, TargetThroughput: 125 }, { StartTime: new Date(1), TargetVolumeType: 'gp2', ModificationState: 'completed' }))).toEqual({ ok: true, detail: 'vol-1: modification to gp3 optimizing (3000 IOPS, 125 MiB/s)' });
    expect(await verify(mods({ StartTime: new Date(1), TargetVolumeType: 'gp3', ModificationState: 'completed', TargetIops: 3000, TargetThroughput: 125 }, { StartTime: new Date(2), TargetVolumeType: 'gp2', ModificationState: 'modifying' }))).toEqual({ ok: false, detail: 'vol-1: no modification to gp3 in progress (modifying → gp2)' });
    expect(await verify(mods({ TargetVolumeType: 'gp2', ModificationState: 'completed' }, { StartTime: new Date(2), TargetVolumeType: 'gp3', ModificationState: 'optimizing', TargetIops: 3000, TargetThroughput: 125 }))).toEqual({ ok: true, detail: 'vol-1: modification to gp3 optimizing (3000 IOPS, 125 MiB/s)' });
    expect(await verify(mods({ TargetVolumeType: 'gp3', ModificationState: 'failed' }))).toEqual({ ok: false, detail: 'vol-1: no modification to gp3 in progress (failed → gp3)' });
    expect(await verify(mods({ TargetVolumeType: 'io1', ModificationState: 'completed' }))).toEqual({ ok: false, detail: 'vol-1: no modification to gp3 in progress (completed → io1)' });
    expect(await verify(mods())).toEqual({ ok: false, detail: 'vol-1: no modification to gp3 in progress (none found)' });
    expect(await verify({ DescribeVolumesModifications: () => ({}) })).toEqual({ ok: false, detail: 'vol-1: no modification to gp3 in progress (none found)' });
    expect(await verify(mods({ TargetVolumeType: 'gp3', ModificationState: 'modifying', TargetIops: 2999, TargetThroughput: 125 }))).toEqual({ ok: false, detail: 'vol-1: target 2999 IOPS / 125 MiB/s is below the planned 3000 / 125' });
    expect(await verify(mods({ TargetVolumeType: 'gp3', ModificationState: 'modifying', TargetIops: 3000, TargetThroughput: 124 }))).toEqual({ ok: false, detail: 'vol-1: target 3000 IOPS / 124 MiB/s is below the planned 3000 / 125' });
    expect(await verify(mods({ TargetVolumeType: 'gp3', ModificationState: 'modifying' }))).toEqual({ ok: false, detail: 'vol-1: target undefined IOPS / undefined MiB/s is below the planned 3000 / 125' });
    expect(await verify({ DescribeVolumesModifications: () => { throw awsError('InvalidVolumeModification.NotFound'); } })).toEqual({ ok: false, detail: 'vol-1: no modification to gp3 in progress (none found)' });
    expect((await caught(verify({ DescribeVolumesModifications: () => { throw awsError('UnauthorizedOperation'); } })))!.name).toBe('UnauthorizedOperation');
    const g = aws([vol()]);
    expect(await modifyToGp3.verify(g.ctx, plan(gp3Params), { after: { alreadyGone: true } } as never)).toEqual({ ok: true, detail: 'vol-1 is gone' });
    expect(await modifyToGp3.verify(g.ctx, plan(gp3Params), { after: { alreadyGp3: true } } as never)).toEqual({ ok: true, detail: 'vol-1 was already gp3' });
    expect(g.ops()).toEqual([]);
  });

  it('retries a modification not yet visible right after ModifyVolume', async () => {
    const a = aws([vol()], { DescribeVolumesModifications: (_i, n) => { if (n === 1) throw awsError('InvalidVolumeModification.NotFound'); return { VolumesModifications: [{ TargetVolumeType: 'gp3', ModificationState: 'modifying', TargetIops: 3000, TargetThroughput: 125 }] }; } });
    expect((await modifyToGp3.verify(a.ctx, plan(gp3Params), { after: {} } as never)).ok).toBe(true);
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([['DescribeVolumesModifications', { VolumeIds: [ID] }], ['DescribeVolumesModifications', { VolumeIds: [ID] }]]);
  });

  const after = { volumeType: 'gp3', iops: 3000, throughput: 125, modificationStartTime: '2026-10-31T00:00:00.000Z' };
  it('undoes to gp2 once the modification completed', async () => {
    const a = aws([vol()], { ...mods({ StartTime: new Date('2026-10-31T00:00:00Z'), ModificationState: 'completed' }), ModifyVolume: () => ({}) });
    expect(await modifyToGp3.undo!(a.ctx, recordOf('ebs-volume', ID, 'modify-to-gp3', gp3Params, {}, after))).toEqual({ detail: 'Modification of vol-1 back to gp2 started.', after: { volumeType: 'gp2' } });
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([['DescribeVolumes', { VolumeIds: [ID] }], ['DescribeVolumesModifications', { VolumeIds: [ID] }], ['ModifyVolume', { VolumeId: ID, VolumeType: 'gp2' }]]);
    const none = aws([vol()], { DescribeVolumesModifications: () => { throw awsError('InvalidVolumeModification.NotFound'); }, ModifyVolume: () => ({}) });
    await modifyToGp3.undo!(none.ctx, recordOf('ebs-volume', ID, 'modify-to-gp3', gp3Params, {}, after));
    expect(none.writes('ModifyVolume')).toHaveLength(1);
  });

  it('refuses to undo what it did not change, a gone, changed, re-modified or busy volume, and AWS\'s refusal', async () => {
    const undo = async (volume: Record<string, unknown> | null, over: Handlers = {}, a: unknown = after) => {
      const x = aws([volume], { ...mods({ StartTime: new Date('2026-10-31T00:00:00Z'), ModificationState: 'completed' }), ModifyVolume: () => ({}), ...over });
      const e = await caught(modifyToGp3.undo!(x.ctx, recordOf('ebs-volume', ID, 'x', gp3Params, {}, a)));
      expect(e).toBeInstanceOf(UndoRefusedError);
      return { message: e!.message, writes: x.writes('ModifyVolume').length, cause: (e as Error & { cause?: Error }).cause?.name };
    };
    expect(await undo(vol(), {}, { alreadyGone: true })).toEqual({ message: 'vol-1 no longer existed when trimtab acted; nothing to undo.', writes: 0 });
    expect((await undo(vol(), {}, null)).message).toBe('vol-1 no longer existed when trimtab acted; nothing to undo.');
    expect((await undo(vol(), {}, { alreadyGp3: true })).message).toBe('vol-1 was already gp3 when trimtab acted; trimtab changed nothing to undo.');
    expect((await undo(null)).message).toBe('vol-1 no longer exists.');
    expect((await undo(gp2())).message).toBe('vol-1 changed since trimtab modified it (now gp2, 300 IOPS, - MiB/s; trimtab set gp3, 3000, 125): not undone.');
    expect((await undo(vol({ VolumeType: 'io2' }))).message).toBe('vol-1 changed since trimtab modified it (now io2, 3000 IOPS, 125 MiB/s; trimtab set gp3, 3000, 125): not undone.');
    expect((await undo(vol({ Iops: 4000 }))).message).toBe('vol-1 changed since trimtab modified it (now gp3, 4000 IOPS, 125 MiB/s; trimtab set gp3, 3000, 125): not undone.');
    expect((await undo(vol({ Throughput: 250 }))).message).toBe('vol-1 changed since trimtab modified it (now gp3, 3000 IOPS, 250 MiB/s; trimtab set gp3, 3000, 125): not undone.');
    expect((await undo(vol({ Iops: undefined, Throughput: undefined }))).message).toBe('vol-1 changed since trimtab modified it (now gp3, - IOPS, - MiB/s; trimtab set gp3, 3000, 125): not undone.');
    expect(await undo(vol(), mods({ StartTime: new Date('2026-10-31T00:00:01Z'), ModificationState: 'completed' }))).toEqual({ message: 'vol-1 was modified again after trimtab\'s change (at 2026-10-31T00:00:01.000Z): not undone.', writes: 0 });
    const busy = await undo(vol(), mods({ StartTime: new Date('2026-10-31T00:00:00Z'), ModificationState: 'optimizing', Progress: 50 }));
    expect(busy).toEqual({ message: 'vol-1: a modification started 2026-10-31T00:00:00.000Z is still optimizing (50%, about 24 h 0 min more at this rate); AWS allows the next one once it is completed (optimizing can take hours on large volumes). Try the undo again when DescribeVolumesModifications shows it completed; nothing was changed.', writes: 0 });
    for (const name of ['VolumeModificationRateExceeded', 'IncorrectModificationState']) {
      const r = await undo(vol(), { ModifyVolume: () => { throw awsError(name, 'no.'); } });
      expect(r.message).toBe(`vol-1: AWS refused the modification back to gp2 (${name}: no.). Nothing was changed; try the undo again later.`);
      expect(r.writes).toBe(1);
      expect(r.cause).toBe(name);
    }
    const other = aws([vol()], { ...mods(), ModifyVolume: () => { throw awsError('UnauthorizedOperation'); } });
    expect((await caught(modifyToGp3.undo!(other.ctx, recordOf('ebs-volume', ID, 'x', gp3Params, {}, after))))!.name).toBe('UnauthorizedOperation');
    const denied = aws([vol()], { DescribeVolumesModifications: () => { throw awsError('UnauthorizedOperation'); } });
    expect((await caught(modifyToGp3.undo!(denied.ctx, recordOf('ebs-volume', ID, 'x', gp3Params, {}, after))))!.name).toBe('UnauthorizedOperation');
    expect(denied.writes('ModifyVolume')).toEqual([]);
  });

  it('undoes when the latest modification has no start time or the record has none', async () => {
    const a = aws([vol()], { ...mods({ ModificationState: 'optimizing' }), ModifyVolume: () => ({}) });
    await modifyToGp3.undo!(a.ctx, recordOf('ebs-volume', ID, 'x', gp3Params, {}, { ...after, modificationStartTime: undefined }));
    expect(a.writes('ModifyVolume')).toHaveLength(1);
  });
});
