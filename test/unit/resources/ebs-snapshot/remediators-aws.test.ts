/**
 * delete-snapshot and archive-snapshot against a scripted EC2 and Recycle Bin (test/unit/resources/fake-aws.ts):
 * the calls made and not made, the exact values written, the refusals' messages, the undo's calls.
 * Written for the mutation score of lib/resources/ebs-snapshot/remediators.ts (docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../lib/engine/types.ts';
import type { SnapshotBefore } from '../../../../lib/resources/ebs-snapshot/detectors.ts';
import { archiveSnapshot, deleteSnapshot, type ArchiveParams, type DeleteParams } from '../../../../lib/resources/ebs-snapshot/remediators.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'snap-1';
const SNAP = { SnapshotId: ID, VolumeId: 'vol-1', VolumeSize: 100, State: 'completed', StorageTier: 'standard', StartTime: new Date('2026-01-01T00:00:00Z') };
const SNAP_READ = { id: ID, volumeId: 'vol-1', volumeSizeGb: 100, state: 'completed', storageTier: 'standard', startTime: Date.parse('2026-01-01T00:00:00Z'), tags: {} };
const MARK = [{ Key: 'trimtab:deleted-by', Value: 'trimtab' }];
const rule = (extra: Record<string, unknown> = {}) => ({ Identifier: 'rule-1', RetentionPeriod: { RetentionPeriodValue: 7, RetentionPeriodUnit: 'DAYS' }, ResourceTags: [{ ResourceTagKey: 'trimtab:deleted-by', ResourceTagValue: 'trimtab' }], Status: 'available', ...extra });

function deletePlan(p: Partial<DeleteParams> = {}): Plan<DeleteParams> {
  return { kind: 'change', summary: 's', undo: 'u', params: { snapshotId: ID, allowShared: false, recoverable: true, createRecycleBinRule: false, recycleBinRetentionDays: 14, requireRecycleBin: false, ...p } } as unknown as Plan<DeleteParams>;
}
const archivePlan = (allowShared = false) => ({ kind: 'change', summary: 's', undo: 'u', params: { snapshotId: ID, allowShared } }) as unknown as Plan<ArchiveParams>;
const finding = findingOf('ebs-snapshot', ID, {});

/** A snapshot that exists, shared with nobody, a Recycle Bin rule covering trimtab's tag, and every write succeeding. */
function aws(over: Handlers = {}, snap: Record<string, unknown> | null = SNAP) {
  return fakeAws({
    DescribeSnapshots: () => ({ Snapshots: snap ? [snap] : [] }),
    DescribeSnapshotAttribute: () => ({ CreateVolumePermissions: [] }),
    ListRules: () => ({ Rules: [{ Identifier: 'rule-1' }] }),
    GetRule: () => rule(),
    CreateTags: () => ({}),
    DeleteTags: () => ({}),
    DeleteSnapshot: () => ({}),
    ListSnapshotsInRecycleBin: () => ({ Snapshots: [{ SnapshotId: ID, RecycleBinExitTime: new Date('2026-11-08T00:00:00Z') }] }),
    RestoreSnapshotFromRecycleBin: () => ({}),
    DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: [] }),
    ModifySnapshotTier: () => ({ TieringStartTime: new Date('2026-11-01T00:00:00Z') }),
    RestoreSnapshotTier: () => ({}),
    ...over,
  });
}
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const WRITES = ['CreateTags', 'DeleteSnapshot', 'DeleteTags', 'CreateRule', 'ModifySnapshotTier', 'RestoreSnapshotTier', 'RestoreSnapshotFromRecycleBin'];

describe('delete-snapshot and archive-snapshot: what they are', () => {
  it('both start in approval mode, best effort to undo, with exactly the permissions they call', () => {
    expect([deleteSnapshot.id, deleteSnapshot.resource, deleteSnapshot.defaultMode, deleteSnapshot.undoable]).toEqual(['delete-snapshot', 'ebs-snapshot', 'approval', 'best-effort']);
    expect([archiveSnapshot.id, archiveSnapshot.resource, archiveSnapshot.defaultMode, archiveSnapshot.undoable]).toEqual(['archive-snapshot', 'ebs-snapshot', 'approval', 'best-effort']);
    expect(deleteSnapshot.permissions).toEqual(['ec2:DescribeSnapshots', 'ec2:DescribeSnapshotAttribute', 'ec2:DescribeVolumes', 'ec2:CreateTags', 'ec2:DeleteTags', 'ec2:DeleteSnapshot', 'ec2:ListSnapshotsInRecycleBin', 'ec2:RestoreSnapshotFromRecycleBin', 'rbin:ListRules', 'rbin:GetRule', 'rbin:CreateRule', 'rbin:TagResource']);
    expect(archiveSnapshot.permissions).toEqual(['ec2:DescribeSnapshots', 'ec2:DescribeSnapshotAttribute', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshotTierStatus', 'ec2:ModifySnapshotTier', 'ec2:RestoreSnapshotTier']);
  });

  it('delete-snapshot creates no Recycle Bin rule, keeps 14 days and does not require one unless the policy says', () => {
    expect(deleteSnapshot.options.parse({})).toEqual({ createRecycleBinRule: false, recycleBinRetentionDays: 14, requireRecycleBin: false });
    expect(deleteSnapshot.options.safeParse({ recycleBinRetentionDays: 0 }).success).toBe(false);
    expect(deleteSnapshot.options.safeParse({ recycleBinRetentionDays: 366 }).success).toBe(false);
    expect(deleteSnapshot.options.parse({ recycleBinRetentionDays: 365 }).recycleBinRetentionDays).toBe(365);
    expect(archiveSnapshot.options.parse({})).toEqual({ minMonthlySavingsUsd: 1 });
    expect(archiveSnapshot.options.safeParse({ minMonthlySavingsUsd: -1 }).success).toBe(false);
  });
});

describe('delete-snapshot apply', () => {
  it('re-reads the snapshot and its shares, tags it for the Recycle Bin, deletes it and records until when it is recoverable', async () => {
    // Prepare
    const a = aws();
    // Act
    const out = await deleteSnapshot.apply(a.ctx, deletePlan(), finding);
    // Assess
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeSnapshots', { SnapshotIds: [ID] }],
      ['DescribeSnapshotAttribute', { SnapshotId: ID, Attribute: 'createVolumePermission' }],
      ['ListRules', { ResourceType: 'EBS_SNAPSHOT', NextToken: undefined }],
      ['GetRule', { Identifier: 'rule-1' }],
      ['CreateTags', { Resources: [ID], Tags: MARK }],
      ['DeleteSnapshot', { SnapshotId: ID }],
      ['ListSnapshotsInRecycleBin', { SnapshotIds: [ID] }],
    ]);
    expect(out).toEqual({
      before: { snapshot: SNAP_READ },
      after: { deleted: true, recycleBin: { covered: true, kind: 'tag', ruleId: 'rule-1', retentionDays: 7 }, recoverableUntil: '2026-11-08T00:00:00.000Z' },
      detail: 'deleted; in the Recycle Bin until 2026-11-08T00:00:00.000Z (rule rule-1)',
    });
  });

  it('keeps looking for the Recycle Bin entry while it is not listed yet, and says "?" when AWS gives no exit time', async () => {
    const a = aws({ ListSnapshotsInRecycleBin: (_i, n) => ({ Snapshots: n < 3 ? [{ SnapshotId: 'snap-other' }] : [{ SnapshotId: ID }] }) });
    const out = await deleteSnapshot.apply(a.ctx, deletePlan(), finding);
    expect(a.writes('ListSnapshotsInRecycleBin')).toHaveLength(3);
    expect(out.after).toEqual({ deleted: true, recycleBin: { covered: true, kind: 'tag', ruleId: 'rule-1', retentionDays: 7 } });
    expect(out.detail).toBe('deleted; in the Recycle Bin until ? (rule rule-1)');
  });

  it('does not promise an undo when the Recycle Bin never shows the snapshot: six reads over 25 s, then "treat the delete as final"', async () => {
    const a = aws({ ListSnapshotsInRecycleBin: () => ({}) });
    const start = a.clock.now().getTime();
    const out = await deleteSnapshot.apply(a.ctx, deletePlan(), finding);
    expect(a.writes('ListSnapshotsInRecycleBin')).toHaveLength(6);
    expect(a.clock.now().getTime() - start).toBe(1_000 + 2_000 + 4_000 + 8_000 + 10_000);
    expect(out.after).toEqual({ deleted: true, recycleBin: { covered: false, kind: 'tag', ruleId: 'rule-1', retentionDays: 7, reason: 'rule rule-1 should cover it, but ListSnapshotsInRecycleBin did not show it after 6 reads' } });
    expect(out.detail).toBe('deleted; NOT confirmed in the Recycle Bin (rule rule-1 should cover it, but ListSnapshotsInRecycleBin did not show it after 6 reads): treat the delete as final');
  });

  it('counts a snapshot no longer listed, or InvalidSnapshot.NotFound on the re-read, as done, writing nothing', async () => {
    const gone = aws({}, null);
    const notFound = aws({ DescribeSnapshots: () => { throw awsError('InvalidSnapshot.NotFound'); } });
    expect(await deleteSnapshot.apply(gone.ctx, deletePlan(), finding)).toEqual({ after: { deleted: true, alreadyGone: true }, detail: 'snap-1 was already gone (InvalidSnapshot.NotFound): counts as done' });
    expect((await deleteSnapshot.apply(notFound.ctx, deletePlan(), finding)).after).toEqual({ deleted: true, alreadyGone: true });
    expect([...gone.ops(), ...notFound.ops()]).toEqual(['DescribeSnapshots', 'DescribeSnapshots']);
  });

  it('fails on any other error of the re-read, writing nothing', async () => {
    const a = aws({ DescribeSnapshots: () => { throw awsError('UnauthorizedOperation'); } });
    expect((await caught(deleteSnapshot.apply(a.ctx, deletePlan(), finding)))?.name).toBe('UnauthorizedOperation');
    expect(a.ops()).toEqual(['DescribeSnapshots']);
  });

  it.each([
    ['trimtab:skip', 'snap-1 is now tagged trimtab:skip'],
    ['aws:backup:source-resource', 'snap-1 is made by AWS Backup (tag aws:backup:source-resource)'],
    ['aws:dlm:lifecycle-policy-id', 'snap-1 is made by Data Lifecycle Manager (tag aws:dlm:lifecycle-policy-id)'],
  ])('refuses a snapshot tagged %s since the scan, writing nothing', async (key, message) => {
    const a = aws({}, { ...SNAP, Tags: [{ Key: key, Value: 'x' }] });
    const err = await caught(deleteSnapshot.apply(a.ctx, deletePlan({ allowShared: true }), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe(message);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a snapshot shared since the scan, naming who it is shared with, writing nothing', async () => {
    const a = aws({ DescribeSnapshotAttribute: () => ({ CreateVolumePermissions: [{ Group: 'all' }, { UserId: '111122223333' }, {}] }) });
    const err = await caught(deleteSnapshot.apply(a.ctx, deletePlan(), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe('snap-1 is shared with everyone (public), 111122223333, ? (createVolumePermission) and the policy does not allow shared snapshots');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('does not read the shares when the policy allows shared snapshots', async () => {
    const a = aws({ DescribeSnapshotAttribute: () => { throw new Error('must not be read'); } });
    await deleteSnapshot.apply(a.ctx, deletePlan({ allowShared: true }), finding);
    expect(a.ops()).not.toContain('DescribeSnapshotAttribute');
    expect(a.ops()).toContain('DeleteSnapshot');
  });

  it('refuses a delete planned as recoverable when no rule covers it now, naming why, writing nothing', async () => {
    const excluded = aws({ GetRule: () => rule({ ResourceTags: [], ExcludeResourceTags: [{ ResourceTagKey: 'keep' }] }) }, { ...SNAP, Tags: [{ Key: 'keep', Value: '1' }] });
    const none = aws({ ListRules: () => ({ Rules: [] }) });
    const unreadable = aws({ ListRules: () => { throw awsError('AccessDeniedException', 'no'); } });
    expect((await caught(deleteSnapshot.apply(excluded.ctx, deletePlan(), finding)))?.message).toBe('The delete of snap-1 was planned as recoverable, but no Recycle Bin rule covers it now (region-level rule rule-1 excludes snapshots tagged keep); nothing was deleted.');
    expect((await caught(deleteSnapshot.apply(none.ctx, deletePlan(), finding)))?.message).toBe('The delete of snap-1 was planned as recoverable, but no Recycle Bin rule covers it now (no matching rule); nothing was deleted.');
    expect((await caught(deleteSnapshot.apply(unreadable.ctx, deletePlan(), finding)))?.message).toBe('The delete of snap-1 was planned as recoverable, but no Recycle Bin rule covers it now (AccessDeniedException: no); nothing was deleted.');
    expect([...excluded.writes(...WRITES), ...none.writes(...WRITES), ...unreadable.writes(...WRITES)]).toEqual([]);
  });

  it('refuses when the policy requires a Recycle Bin and no rule (or only another tag’s rule) covers the delete, writing nothing', async () => {
    const none = aws({ ListRules: () => ({ Rules: [] }) });
    const pending = aws({ GetRule: () => rule({ Status: 'pending', ResourceTags: [{ ResourceTagKey: 'other' }] }) });
    expect((await caught(deleteSnapshot.apply(none.ctx, deletePlan({ recoverable: false, requireRecycleBin: true }), finding)))?.message).toBe('No Recycle Bin rule covers the delete of snap-1 and the policy requires one; nothing was deleted.');
    const withReason = await caught(deleteSnapshot.apply(pending.ctx, deletePlan({ recoverable: false, requireRecycleBin: true }), finding));
    expect(withReason?.message).toBe("No Recycle Bin rule covers the delete of snap-1 and the policy requires one; nothing was deleted.");
    expect([...none.writes(...WRITES), ...pending.writes(...WRITES)]).toEqual([]);
  });

  it('names the reason in the requireRecycleBin refusal when a rule exists but does not cover it', async () => {
    const a = aws({ GetRule: () => rule({ ResourceTags: [], ExcludeResourceTags: [{ ResourceTagKey: 'keep', ResourceTagValue: 'yes' }] }) }, { ...SNAP, Tags: [{ Key: 'keep', Value: 'yes' }] });
    const err = await caught(deleteSnapshot.apply(a.ctx, deletePlan({ recoverable: false, requireRecycleBin: true }), finding));
    expect(err?.message).toBe('No Recycle Bin rule covers the delete of snap-1 (region-level rule rule-1 excludes snapshots tagged keep=yes) and the policy requires one; nothing was deleted.');
  });

  it('creates trimtab’s Recycle Bin rule first when none covers the delete and the policy asks for it', async () => {
    const a = aws({ ListRules: () => ({ Rules: [] }), CreateRule: () => ({ Identifier: 'rule-new', Status: 'available' }) });
    const out = await deleteSnapshot.apply(a.ctx, deletePlan({ createRecycleBinRule: true, recycleBinRetentionDays: 21 }), finding);
    expect(a.writes('CreateRule').map((c) => c.input.RetentionPeriod)).toEqual([{ RetentionPeriodValue: 21, RetentionPeriodUnit: 'DAYS' }]);
    expect(a.ops().indexOf('CreateRule')).toBeLessThan(a.ops().indexOf('DeleteSnapshot'));
    expect(out.after).toMatchObject({ deleted: true, recycleBin: { covered: true, ruleId: 'rule-new', retentionDays: 21 } });
  });

  it('does not create a rule when one already covers the delete, even if the policy asks for it', async () => {
    const a = aws();
    await deleteSnapshot.apply(a.ctx, deletePlan({ createRecycleBinRule: true }), finding);
    expect(a.ops()).not.toContain('CreateRule');
  });

  it('makes a final delete only when the plan said final, and says so with the reason', async () => {
    const none = aws({ ListRules: () => ({ Rules: [] }) });
    const excluded = aws({ GetRule: () => rule({ ResourceTags: [], ExcludeResourceTags: [{ ResourceTagKey: 'keep' }] }) }, { ...SNAP, Tags: [{ Key: 'keep', Value: '1' }] });
    const out = await deleteSnapshot.apply(none.ctx, deletePlan({ recoverable: false }), finding);
    const out2 = await deleteSnapshot.apply(excluded.ctx, deletePlan({ recoverable: false }), finding);
    expect(out).toEqual({ before: { snapshot: SNAP_READ }, after: { deleted: true, recycleBin: { covered: false } }, detail: 'deleted; final (no Recycle Bin rule covers it)' });
    expect(out2.detail).toBe('deleted; final (no Recycle Bin rule covers it: region-level rule rule-1 excludes snapshots tagged keep)');
    expect(none.ops()).toEqual(['DescribeSnapshots', 'DescribeSnapshotAttribute', 'ListRules', 'CreateTags', 'DeleteSnapshot']);
  });

  it('counts InvalidSnapshot.NotFound on the delete as done, with what it read', async () => {
    const a = aws({ DeleteSnapshot: () => { throw awsError('InvalidSnapshot.NotFound'); } });
    expect(await deleteSnapshot.apply(a.ctx, deletePlan(), finding)).toEqual({ before: { snapshot: SNAP_READ }, after: { deleted: true, alreadyGone: true }, detail: 'snap-1 vanished before the delete (InvalidSnapshot.NotFound): counts as done' });
  });

  it('records InvalidSnapshot.InUse as protected and takes its Recycle Bin tag off again, even when that fails', async () => {
    for (const untag of [() => ({}), () => { throw awsError('RequestLimitExceeded'); }]) {
      const a = aws({ DeleteSnapshot: () => { throw awsError('InvalidSnapshot.InUse', 'used by ami-1'); }, DeleteTags: untag });
      const err = await caught(deleteSnapshot.apply(a.ctx, deletePlan(), finding));
      expect(err).toBeInstanceOf(ProtectedResourceError);
      expect(err?.message).toBe('InvalidSnapshot.InUse: used by ami-1');
      expect(a.writes('DeleteTags').map((c) => c.input)).toEqual([{ Resources: [ID], Tags: [{ Key: 'trimtab:deleted-by' }] }]);
    }
  });

  it('fails on any other error of the delete, without taking the tag off', async () => {
    const a = aws({ DeleteSnapshot: () => { throw awsError('InternalError'); } });
    const err = await caught(deleteSnapshot.apply(a.ctx, deletePlan(), finding));
    expect(err?.name).toBe('InternalError');
    expect(err).not.toBeInstanceOf(ProtectedResourceError);
    expect(a.ops()).not.toContain('DeleteTags');
  });
});

describe('delete-snapshot and archive-snapshot: a source volume the scan took as deleted', () => {
  const NEW_VOLUME = { VolumeId: 'vol-1', State: 'in-use', CreateTime: new Date('2026-10-31T23:50:00Z') };
  const orphanBefore = (extra: Partial<SnapshotBefore> = {}): SnapshotBefore => ({ snapshot: { ...SNAP_READ, fullSizeGb: 400 }, allowShared: false, recycleBin: { covered: true, kind: 'tag', ruleId: 'rule-1', retentionDays: 7 }, volumeExists: false, snapshotsOfVolume: 1, ...extra }) as SnapshotBefore;

  it('plans both writes with the volume taken as deleted, and none for an existing volume or a copied snapshot', () => {
    const del = (b: SnapshotBefore) => deleteSnapshot.plan(findingOf('ebs-snapshot', ID, b), { createRecycleBinRule: false, recycleBinRetentionDays: 14, requireRecycleBin: false }, planCtx);
    const arc = (b: SnapshotBefore) => archiveSnapshot.plan(findingOf('ebs-snapshot', ID, b), { minMonthlySavingsUsd: 1 }, planCtx);
    expect(del(orphanBefore())).toMatchObject({ kind: 'change', params: { volumeGone: 'vol-1' } });
    expect(arc(orphanBefore())).toMatchObject({ kind: 'change', params: { volumeGone: 'vol-1' } });
    const live = del(orphanBefore({ volumeExists: true }));
    expect(live.kind === 'change' && 'volumeGone' in live.params).toBe(false);
    const copied = del(orphanBefore({ snapshot: { ...SNAP_READ, volumeId: 'vol-ffffffff' } }));
    expect(copied.kind === 'change' && 'volumeGone' in copied.params).toBe(false);
  });

  it('delete-snapshot refuses a snapshot whose volume exists now (created after the scan read the volumes), writing nothing', async () => {
    // Prepare: the plan took vol-1 as deleted; AWS lists it now.
    const a = aws({ DescribeVolumes: () => ({ Volumes: [NEW_VOLUME] }) });
    // Act
    const error = await caught(deleteSnapshot.apply(a.ctx, deletePlan({ volumeGone: 'vol-1' }), finding));
    // Assess
    expect(error).toBeInstanceOf(ProtectedResourceError);
    expect(error?.message).toBe("snap-1's source volume vol-1 exists (state in-use, created 2026-10-31T23:50:00.000Z), although the scan took it as deleted: the snapshot is not an orphan; nothing was written");
    expect(a.calls.find((c) => c.op === 'DescribeVolumes')?.input).toEqual({ Filters: [{ Name: 'volume-id', Values: ['vol-1'] }] });
    expect(a.calls.filter((c) => WRITES.includes(c.op))).toEqual([]);
  });

  it('delete-snapshot goes on when the volume is still gone (an empty answer), and reads no volume for a plan without one', async () => {
    const gone = aws({ DescribeVolumes: () => ({ Volumes: [] }) });
    await deleteSnapshot.apply(gone.ctx, deletePlan({ volumeGone: 'vol-1' }), finding);
    expect(gone.writes('DeleteSnapshot').map((c) => c.input)).toEqual([{ SnapshotId: ID }]);
    const older = aws();
    await deleteSnapshot.apply(older.ctx, deletePlan(), finding);
    expect(older.calls.filter((c) => c.op === 'DescribeVolumes')).toEqual([]);
    expect(older.writes('DeleteSnapshot').map((c) => c.input)).toEqual([{ SnapshotId: ID }]);
  });

  it('delete-snapshot names an unknown state and creation time of a volume that exists now with "?", writing nothing', async () => {
    // Prepare: AWS lists vol-1 without State or CreateTime.
    const a = aws({ DescribeVolumes: () => ({ Volumes: [{ VolumeId: 'vol-1' }] }) });
    // Act
    const error = await caught(deleteSnapshot.apply(a.ctx, deletePlan({ volumeGone: 'vol-1' }), finding));
    // Assess
    expect(error).toBeInstanceOf(ProtectedResourceError);
    expect(error?.message).toBe("snap-1's source volume vol-1 exists (state ?, created ?), although the scan took it as deleted: the snapshot is not an orphan; nothing was written");
    expect(a.calls.filter((c) => WRITES.includes(c.op))).toEqual([]);
  });

  it('delete-snapshot takes only the source volume as existing: another volume in the answer does not refuse the delete', async () => {
    // Prepare: an answer naming only another volume (the filter is on vol-1; the check still matches the id).
    const a = aws({ DescribeVolumes: () => ({ Volumes: [{ ...NEW_VOLUME, VolumeId: 'vol-2' }] }) });
    // Act
    await deleteSnapshot.apply(a.ctx, deletePlan({ volumeGone: 'vol-1' }), finding);
    // Assess
    expect(a.writes('DeleteSnapshot').map((c) => c.input)).toEqual([{ SnapshotId: ID }]);
  });

  it('archive-snapshot refuses a snapshot whose volume exists now, writing nothing', async () => {
    const a = aws({ DescribeVolumes: () => ({ Volumes: [NEW_VOLUME] }) });
    const error = await caught(archiveSnapshot.apply(a.ctx, { ...archivePlan(), params: { snapshotId: ID, allowShared: false, volumeGone: 'vol-1' } } as Plan<ArchiveParams>, finding));
    expect(error).toBeInstanceOf(ProtectedResourceError);
    expect(error?.message).toContain('source volume vol-1 exists');
    expect(a.calls.filter((c) => WRITES.includes(c.op))).toEqual([]);
  });
});

describe('delete-snapshot verify', () => {
  it('passes once the snapshot is no longer listed, re-reading while it still is', async () => {
    const a = aws({ DescribeSnapshots: (_i, n) => ({ Snapshots: n < 3 ? [SNAP] : [] }) });
    expect(await deleteSnapshot.verify(a.ctx, deletePlan(), { after: {} })).toEqual({ ok: true, detail: 'snap-1 is gone' });
    expect(a.writes('DescribeSnapshots')).toHaveLength(3);
  });

  it('fails, naming the state, when the snapshot is still listed after six reads', async () => {
    const a = aws({}, { ...SNAP, State: 'pending' });
    expect(await deleteSnapshot.verify(a.ctx, deletePlan(), { after: {} })).toEqual({ ok: false, detail: 'snap-1 still exists (state pending) after the delete' });
    expect(a.writes('DescribeSnapshots')).toHaveLength(6);
  });
});

describe('delete-snapshot undo', () => {
  const covered = { deleted: true, recycleBin: { covered: true, kind: 'tag', ruleId: 'rule-1', retentionDays: 7 }, recoverableUntil: '2026-11-08T00:00:00.000Z' };
  const record = (after: unknown) => recordOf('ebs-snapshot', ID, 'delete-snapshot', deletePlan().params, null, after);

  it('restores the snapshot from the Recycle Bin and takes trimtab’s tag off it', async () => {
    const a = aws();
    const out = await deleteSnapshot.undo!(a.ctx, record(covered));
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['ListSnapshotsInRecycleBin', { SnapshotIds: [ID] }],
      ['RestoreSnapshotFromRecycleBin', { SnapshotId: ID }],
      ['DeleteTags', { Resources: [ID], Tags: [{ Key: 'trimtab:deleted-by' }] }],
    ]);
    expect(out).toEqual({ detail: 'Restored snap-1 from the Recycle Bin (same snapshot id, tags kept).', after: { restored: true } });
  });

  it('restores even a delete recorded final when the Recycle Bin has it', async () => {
    const a = aws();
    await deleteSnapshot.undo!(a.ctx, record({ deleted: true, recycleBin: { covered: false } }));
    expect(a.ops()).toContain('RestoreSnapshotFromRecycleBin');
  });

  it('retries the tag removal while the restored snapshot is not found yet', async () => {
    const a = aws({ DeleteTags: (_i, n) => { if (n < 3) throw awsError(n === 1 ? 'InvalidSnapshot.NotFound' : 'IncorrectState'); return {}; } });
    const out = await deleteSnapshot.undo!(a.ctx, record(covered));
    expect(a.writes('DeleteTags')).toHaveLength(3);
    expect(out.after).toEqual({ restored: true });
  });

  it('keeps the restore and says how to remove the tag when it cannot be removed', async () => {
    const a = aws({ DeleteTags: () => { throw awsError('UnauthorizedOperation'); } });
    const out = await deleteSnapshot.undo!(a.ctx, record(covered));
    expect(a.writes('DeleteTags')).toHaveLength(1);
    expect(out).toEqual({
      detail: 'Restored snap-1 from the Recycle Bin (same snapshot id, tags kept); its trimtab:deleted-by tag could not be removed yet (UnauthorizedOperation): remove it later (aws ec2 delete-tags --resources snap-1 --tags Key=trimtab:deleted-by).',
      after: { restored: true, tagLeft: 'trimtab:deleted-by' },
    });
  });

  it('refuses when the snapshot was already gone when trimtab acted, asking AWS nothing', async () => {
    const a = aws();
    const err = await caught(deleteSnapshot.undo!(a.ctx, record({ deleted: true, alreadyGone: true })));
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect(err?.message).toBe("snap-1 was already gone when trimtab acted; there is nothing of trimtab's to restore.");
    expect(a.calls).toEqual([]);
  });

  it('refuses, restoring nothing, when the snapshot is back already, when the delete was final, and when the retention has passed', async () => {
    const back = aws({ ListSnapshotsInRecycleBin: () => ({ Snapshots: [] }) });
    const final = aws({ ListSnapshotsInRecycleBin: () => ({ Snapshots: [] }) }, null);
    const finalWhy = aws({ ListSnapshotsInRecycleBin: () => ({ Snapshots: [] }) }, null);
    const expired = aws({ ListSnapshotsInRecycleBin: () => ({ Snapshots: [] }) }, null);
    const expiredNoDate = aws({ ListSnapshotsInRecycleBin: () => ({ Snapshots: [] }) }, null);
    const messages = [
      await caught(deleteSnapshot.undo!(back.ctx, record(covered))),
      await caught(deleteSnapshot.undo!(final.ctx, record(undefined))),
      await caught(deleteSnapshot.undo!(finalWhy.ctx, record({ deleted: true, recycleBin: { covered: false, reason: 'excluded' } }))),
      await caught(deleteSnapshot.undo!(expired.ctx, record(covered))),
      await caught(deleteSnapshot.undo!(expiredNoDate.ctx, record({ ...covered, recoverableUntil: undefined }))),
    ];
    expect(messages.every((e) => e instanceof UndoRefusedError)).toBe(true);
    expect(messages.map((e) => e?.message)).toEqual([
      'snap-1 is not in the Recycle Bin: it was already restored.',
      'snap-1 was deleted with no Recycle Bin rule covering it: the delete is final.',
      'snap-1 was deleted with no Recycle Bin rule covering it (excluded): the delete is final.',
      'snap-1 is no longer in the Recycle Bin (retention 7 days, until 2026-11-08T00:00:00.000Z): it cannot be restored.',
      'snap-1 is no longer in the Recycle Bin (retention 7 days, until ?): it cannot be restored.',
    ]);
    expect([back, final, finalWhy, expired, expiredNoDate].flatMap((x) => x.writes(...WRITES))).toEqual([]);
  });
});

describe('archive-snapshot plan, exact text', () => {
  const before = (extra: Partial<SnapshotBefore> = {}): SnapshotBefore => ({ snapshot: { id: ID, volumeId: 'vol-gone', startTime: 0, volumeSizeGb: 500, fullSizeGb: 400, state: 'completed', storageTier: 'standard', tags: {} }, allowShared: false, recycleBin: { covered: false }, volumeExists: false, snapshotsOfVolume: 1, ...extra }) as SnapshotBefore;
  const plan = (b: SnapshotBefore, min = 1) => archiveSnapshot.plan(findingOf('ebs-snapshot', ID, b), { minMonthlySavingsUsd: min }, planCtx);

  it('shows the approver the prices, the 90-day minimum, the restore cost and the undo', () => {
    const p = plan(before());
    expect(p).toMatchObject({ kind: 'change', params: { snapshotId: ID, allowShared: false } });
    if (p.kind !== 'change') return;
    expect(p.summary).toBe('Archive snapshot snap-1 (400 GiB, the only snapshot of deleted volume vol-gone): $20 → $5/month. Archive bills at least 90 days; restoring costs $0.03/GB and takes up to 72 h.');
    expect(p.undo).toBe('AWS cannot cancel an archival: while it is in progress (hours) trimtab undo refuses and says when to retry; once archived, undo starts a permanent restore to the standard tier (RestoreSnapshotTier PermanentRestore): up to 72 h, $0.03/GB, and the 90-day archive minimum is still billed.');
    expect(p.savings).toEqual({
      monthlyUsd: 15,
      basis: [
        'Standard: 400 GiB × $0.05/GB-month = $20 (it is the only snapshot of its deleted volume, so it holds every block).',
        'Archive: the full 400 GiB × $0.0125/GB-month = $5, billed for at least 90 days ($15).',
        'Restore: $0.03/GB ($12) if it is ever needed again.',
      ],
    });
  });

  it('says why a snapshot of a lineage or of a live volume is not archived', () => {
    expect(plan(before({ snapshotsOfVolume: 3, snapshotsOfVolumeAtLeast: true }))).toEqual({ kind: 'noop', reason: "Not archived: it is one of at least 3 snapshots of vol-gone, so its standard-tier cost is only its changed blocks, while the archive stores all 400 GiB ($5/month, 90-day minimum); the estimate cannot show a saving." });
    expect(plan(before({ volumeExists: true, snapshotsOfVolume: 0 }))).toEqual({ kind: 'noop', reason: "Not archived: it is part of vol-gone's snapshot lineage, so its standard-tier cost is only its changed blocks, while the archive stores all 400 GiB ($5/month, 90-day minimum); the estimate cannot show a saving." });
    expect(plan(before({ volumeExists: true }))).toMatchObject({ kind: 'noop', reason: expect.stringContaining('one of 1 snapshots of vol-gone') });
  });

  it('archives at exactly the minimum saving, and says the minimum when under it', () => {
    expect(plan(before(), 15).kind).toBe('change');
    expect(plan(before(), 15.01)).toEqual({ kind: 'noop', reason: "Archiving would save $15/month, under the policy's minimum of $15.01." });
    expect(plan({ ...before(), snapshot: { ...before().snapshot, storageTier: 'archive' } })).toEqual({ kind: 'noop', reason: 'snap-1 is already in the archive tier.' });
  });
});

describe('archive-snapshot apply', () => {
  it('re-reads the snapshot, its tiering status and shares, then asks for the archive tier and records when it started', async () => {
    const a = aws();
    const out = await archiveSnapshot.apply(a.ctx, archivePlan(), finding);
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeSnapshots', { SnapshotIds: [ID] }],
      ['DescribeSnapshotTierStatus', { Filters: [{ Name: 'snapshot-id', Values: [ID] }] }],
      ['DescribeSnapshotAttribute', { SnapshotId: ID, Attribute: 'createVolumePermission' }],
      ['ModifySnapshotTier', { SnapshotId: ID, StorageTier: 'archive' }],
    ]);
    expect(out).toEqual({ before: { snapshot: SNAP_READ }, after: { storageTier: 'archive', archivalInProgress: true, tieringStartTime: '2026-11-01T00:00:00.000Z' }, detail: 'archival started (AWS keeps the snapshot usable in the standard tier until it completes, typically hours)' });
  });

  it('counts a gone snapshot and an archived one as done, writing nothing', async () => {
    const gone = aws({}, null);
    const archived = aws({}, { ...SNAP, StorageTier: 'archive' });
    expect(await archiveSnapshot.apply(gone.ctx, archivePlan(), finding)).toEqual({ after: { gone: true }, detail: 'snap-1 no longer exists (InvalidSnapshot.NotFound): nothing to archive, counts as done' });
    expect(await archiveSnapshot.apply(archived.ctx, archivePlan(), finding)).toEqual({ before: { snapshot: { ...SNAP_READ, storageTier: 'archive' } }, after: { storageTier: 'archive' }, detail: 'snap-1 was already archived' });
    expect([...gone.ops(), ...archived.ops()]).toEqual(['DescribeSnapshots', 'DescribeSnapshots']);
  });

  it('refuses a snapshot that is not completed, writing nothing', async () => {
    const a = aws({}, { ...SNAP, State: 'pending' });
    const err = await caught(archiveSnapshot.apply(a.ctx, archivePlan(), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe("snap-1 is 'pending': AWS archives only completed snapshots");
    expect(a.ops()).toEqual(['DescribeSnapshots']);
  });

  it('counts an archival already in progress as done, with its start time, writing nothing', async () => {
    const tiers = [{ SnapshotId: 'snap-other', LastTieringOperationStatus: 'archival-failed' }, { SnapshotId: ID, LastTieringOperationStatus: 'archival-in-progress', LastTieringStartTime: new Date('2026-10-31T00:00:00Z') }];
    const a = aws({ DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: tiers }) });
    const b = aws({ DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: [{ SnapshotId: ID, LastTieringOperationStatus: 'archival-in-progress' }] }) });
    expect(await archiveSnapshot.apply(a.ctx, archivePlan(), finding)).toEqual({ before: { snapshot: SNAP_READ }, after: { storageTier: 'archive', archivalInProgress: true, tieringStartTime: '2026-10-31T00:00:00.000Z' }, detail: 'snap-1 is already being archived (since 2026-10-31T00:00:00.000Z)' });
    expect((await archiveSnapshot.apply(b.ctx, archivePlan(), finding)).detail).toBe('snap-1 is already being archived (since ?)');
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('refuses a snapshot tagged trimtab:skip since the scan, writing nothing', async () => {
    const a = aws({}, { ...SNAP, Tags: [{ Key: 'trimtab:skip', Value: '' }] });
    expect((await caught(archiveSnapshot.apply(a.ctx, archivePlan(true), finding)))?.message).toBe('snap-1 is now tagged trimtab:skip');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('maps ModifySnapshotTier’s answers: not found is done, in use is protected, anything else fails', async () => {
    const gone = aws({ ModifySnapshotTier: () => { throw awsError('InvalidSnapshot.NotFound'); } });
    const inUse = aws({ ModifySnapshotTier: () => { throw awsError('InvalidSnapshot.InUse', 'busy'); } });
    const other = aws({ ModifySnapshotTier: () => { throw awsError('InternalError'); } });
    expect(await archiveSnapshot.apply(gone.ctx, archivePlan(), finding)).toEqual({ after: { gone: true }, detail: 'snap-1 vanished (InvalidSnapshot.NotFound): counts as done' });
    const e1 = await caught(archiveSnapshot.apply(inUse.ctx, archivePlan(), finding));
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('InvalidSnapshot.InUse: busy');
    const e2 = await caught(archiveSnapshot.apply(other.ctx, archivePlan(), finding));
    expect(e2?.name).toBe('InternalError');
    expect(e2).not.toBeInstanceOf(ProtectedResourceError);
  });

  it('records no start time when AWS returns none', async () => {
    const a = aws({ ModifySnapshotTier: () => ({}) });
    expect((await archiveSnapshot.apply(a.ctx, archivePlan(), finding)).after).toEqual({ storageTier: 'archive', archivalInProgress: true, tieringStartTime: undefined });
  });
});

describe('archive-snapshot verify', () => {
  const tier = (status?: string) => aws({ DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: status ? [{ SnapshotId: ID, LastTieringOperationStatus: status }] : [] }) });

  it('passes for the archive tier, or an archival in progress or completed', async () => {
    expect(await archiveSnapshot.verify(aws({}, { ...SNAP, StorageTier: 'archive' }).ctx, archivePlan(), { after: {} })).toEqual({ ok: true, detail: 'snap-1 is in the archive tier' });
    expect(await archiveSnapshot.verify(tier('archival-in-progress').ctx, archivePlan(), { after: {} })).toEqual({ ok: true, detail: 'snap-1: archival-in-progress' });
    expect(await archiveSnapshot.verify(tier('archival-completed').ctx, archivePlan(), { after: {} })).toEqual({ ok: true, detail: 'snap-1: archival-completed' });
  });

  it('fails while the snapshot is still standard with no archival, naming the status', async () => {
    expect(await archiveSnapshot.verify(tier('archival-failed').ctx, archivePlan(), { after: {} })).toEqual({ ok: false, detail: 'snap-1 is still in the standard tier (tiering status: archival-failed)' });
    expect(await archiveSnapshot.verify(tier().ctx, archivePlan(), { after: {} })).toEqual({ ok: false, detail: 'snap-1 is still in the standard tier (tiering status: none)' });
  });

  it('passes for a snapshot that was gone when trimtab acted, and fails for one that disappeared after archiving', async () => {
    expect(await archiveSnapshot.verify(aws({}, null).ctx, archivePlan(), { after: { gone: true } })).toEqual({ ok: true, detail: 'snap-1 is gone' });
    expect(await archiveSnapshot.verify(aws({}, null).ctx, archivePlan(), { after: { storageTier: 'archive' } })).toEqual({ ok: false, detail: 'snap-1 disappeared after archiving' });
  });
});

describe('archive-snapshot undo', () => {
  const record = (after: unknown) => recordOf('ebs-snapshot', ID, 'archive-snapshot', archivePlan().params, null, after);
  const tier = (t: Record<string, unknown>, snap: Record<string, unknown> | null = { ...SNAP, StorageTier: 'archive' }) => aws({ DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: [{ SnapshotId: ID, ...t }] }) }, snap);

  it('starts a permanent restore of an archived snapshot and says until when the 90-day minimum is billed', async () => {
    const a = tier({ LastTieringOperationStatus: 'archival-completed', LastTieringStartTime: new Date('2026-10-01T12:00:00Z') });
    const out = await archiveSnapshot.undo!(a.ctx, record({ storageTier: 'archive' }));
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([['RestoreSnapshotTier', { SnapshotId: ID, PermanentRestore: true }]]);
    expect(out).toEqual({
      detail: 'Permanent restore of snap-1 to the standard tier started (AWS: up to 72 h, $0.03/GB). The archive tier bills at least 90 days (until 2026-12-30) whatever happens now: restoring or deleting earlier is charged pro rata for the rest.',
      after: { storageTier: 'standard', restore: 'permanent-restore-in-progress' },
    });
  });

  it('takes the start of the archival from the record when AWS no longer shows it, and leaves the date out when neither has it', async () => {
    const fromRecord = tier({ LastTieringOperationStatus: 'archival-completed' });
    const neither = tier({ LastTieringOperationStatus: 'archival-completed' });
    expect((await archiveSnapshot.undo!(fromRecord.ctx, record({ tieringStartTime: '2026-11-01T00:00:00.000Z' }))).detail).toContain('at least 90 days (until 2027-01-30) whatever');
    expect((await archiveSnapshot.undo!(neither.ctx, record({}))).detail).toContain('The archive tier bills at least 90 days whatever happens now');
  });

  it('refuses while the archival is in progress: AWS cannot cancel it; says when to retry and until when it is billed, writing nothing', async () => {
    const a = tier({ LastTieringOperationStatus: 'archival-in-progress', LastTieringStartTime: new Date('2026-10-31T00:00:00Z') }, SNAP);
    const err = await caught(archiveSnapshot.undo!(a.ctx, record({ storageTier: 'archive' })));
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect(err?.message).toBe(
      'snap-1 is still being archived (archival-in-progress since 2026-10-31T00:00:00.000Z), and AWS has no way to cancel an archival. It stays usable in the standard tier until the archival completes (AWS: hours). Run trimtab undo again once DescribeSnapshotTierStatus shows archival-completed: undo then starts a permanent restore (up to 72 h, $0.03/GB). The archive tier bills at least 90 days (until 2027-01-29) whatever happens now: restoring or deleting earlier is charged pro rata for the rest.',
    );
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a restore already in progress, a temporary restore in progress, a standard snapshot, a gone one, writing nothing', async () => {
    const cases = [
      [tier({ LastTieringOperationStatus: 'permanent-restore-in-progress', LastTieringStartTime: new Date('2026-10-31T00:00:00Z') }), { storageTier: 'archive' }, 'snap-1 is already being restored to the standard tier (permanent-restore-in-progress since 2026-10-31T00:00:00.000Z): nothing more to do.'],
      [tier({ LastTieringOperationStatus: 'permanent-restore-in-progress' }), { storageTier: 'archive' }, 'snap-1 is already being restored to the standard tier (permanent-restore-in-progress since ?): nothing more to do.'],
      [tier({ LastTieringOperationStatus: 'temporary-restore-in-progress' }), { storageTier: 'archive' }, 'snap-1 has a temporary restore in progress; retry trimtab undo when it completes to make the restore permanent.'],
      [tier({ LastTieringOperationStatus: 'permanent-restore-completed' }, SNAP), { storageTier: 'archive' }, 'snap-1 is in the standard tier already: nothing to restore.'],
      [tier({ LastTieringOperationStatus: 'temporary-restore-completed' }, SNAP), { storageTier: 'archive' }, 'snap-1 is in the standard tier already: nothing to restore.'],
      [tier({}, null), { storageTier: 'archive' }, 'snap-1 no longer exists (deleted after it was archived): it cannot be restored.'],
      [tier({}), { gone: true }, 'snap-1 no longer existed when trimtab acted; nothing to restore.'],
    ] as const;
    for (const [a, after, message] of cases) {
      const err = await caught(archiveSnapshot.undo!(a.ctx, record(after)));
      expect(err).toBeInstanceOf(UndoRefusedError);
      expect(err?.message).toBe(message);
      expect(a.writes(...WRITES)).toEqual([]);
    }
  });

  it('makes a temporarily restored copy permanent', async () => {
    const a = tier({ LastTieringOperationStatus: 'temporary-restore-completed', RestoreExpiryTime: new Date('2026-11-10T00:00:00Z') }, SNAP);
    await archiveSnapshot.undo!(a.ctx, record({ storageTier: 'archive' }));
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ SnapshotId: ID, PermanentRestore: true }]);
  });
});
