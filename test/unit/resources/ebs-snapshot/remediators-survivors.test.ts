/**
 * delete-snapshot and archive-snapshot: what the first Stryker run of lib/resources/ebs-snapshot/remediators.ts
 * (2026-12-07 21:12 UTC, 31 survivors) showed untested: the exact plan and metadata texts an approver reads, AWS
 * answers with a member missing, the cause kept on an "in use" refusal, the record of a delete not confirmed in the
 * Recycle Bin, undo of records without an after-state, and which restore undo makes permanent.
 */
import { describe, expect, it } from 'vitest';
import type { Finding, Plan } from '../../../../lib/engine/types.ts';
import type { SnapshotBefore } from '../../../../lib/resources/ebs-snapshot/detectors.ts';
import { archiveSnapshot, deleteSnapshot, type ArchiveParams, type DeleteParams } from '../../../../lib/resources/ebs-snapshot/remediators.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'snap-1';
const SNAP = { SnapshotId: ID, VolumeId: 'vol-1', VolumeSize: 100, State: 'completed', StorageTier: 'standard', StartTime: new Date('2026-01-01T00:00:00Z') };
const SNAP_READ = { id: ID, volumeId: 'vol-1', volumeSizeGb: 100, state: 'completed', storageTier: 'standard', startTime: Date.parse('2026-01-01T00:00:00Z'), tags: {} };
const rule = { Identifier: 'rule-1', RetentionPeriod: { RetentionPeriodValue: 7, RetentionPeriodUnit: 'DAYS' }, ResourceTags: [{ ResourceTagKey: 'trimtab:deleted-by', ResourceTagValue: 'trimtab' }], Status: 'available' };
const WRITES = ['CreateTags', 'DeleteSnapshot', 'DeleteTags', 'CreateRule', 'ModifySnapshotTier', 'RestoreSnapshotTier', 'RestoreSnapshotFromRecycleBin'];

const deletePlan = (p: Partial<DeleteParams> = {}) =>
  ({ kind: 'change', summary: 's', undo: 'u', params: { snapshotId: ID, allowShared: false, recoverable: true, createRecycleBinRule: false, recycleBinRetentionDays: 14, requireRecycleBin: false, ...p } }) as unknown as Plan<DeleteParams>;
const archivePlan = () => ({ kind: 'change', summary: 's', undo: 'u', params: { snapshotId: ID, allowShared: false } }) as unknown as Plan<ArchiveParams>;
const finding = findingOf('ebs-snapshot', ID, {});
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

/** A snapshot that exists, shared with nobody, a Recycle Bin rule covering trimtab's tag, and every write succeeding. */
function aws(over: Handlers = {}, snap: Record<string, unknown> | null = SNAP) {
  return fakeAws({
    DescribeSnapshots: () => ({ Snapshots: snap ? [snap] : [] }),
    DescribeSnapshotAttribute: () => ({ CreateVolumePermissions: [] }),
    ListRules: () => ({ Rules: [{ Identifier: 'rule-1' }] }),
    GetRule: () => rule,
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

const NOW = new Date('2026-11-01T00:00:00Z');
function planFinding(recycleBin: SnapshotBefore['recycleBin']): Finding {
  const snapshot = { id: ID, volumeId: 'vol-gone', startTime: NOW.getTime() - 200 * 86_400_000, volumeSizeGb: 500, fullSizeGb: 400, state: 'completed', storageTier: 'standard', tags: {} };
  return {
    ...findingOf('ebs-snapshot', ID, {}),
    before: { snapshot, allowShared: false, recycleBin, volumeExists: false, snapshotsOfVolume: 1 } satisfies SnapshotBefore,
  } as Finding;
}
const options = { createRecycleBinRule: false, recycleBinRetentionDays: 14, requireRecycleBin: false };

describe('what the approver reads', () => {
  it('gives each action its exact title, undo limits and option description', () => {
    expect(deleteSnapshot.title).toBe('Delete the snapshot (recoverable from the Recycle Bin when a rule covers trimtab deletes)');
    expect(deleteSnapshot.undoLimits).toBe("A deleted snapshot's data comes back only from the Recycle Bin, and only within the rule's retention; past it, or with no rule covering the delete, the data is gone for good.");
    expect(archiveSnapshot.title).toBe('Move the snapshot to the archive tier, only where that saves money');
    expect(archiveSnapshot.undoLimits).toBe('The 90-day archive minimum is billed whatever happens; a restore costs $0.03/GB and takes up to 72 h, and until it ends the snapshot cannot be used to create volumes.');
    expect(archiveSnapshot.options.shape.minMonthlySavingsUsd.description).toBe('Archive only when it saves at least this many USD a month (an archived snapshot is stored in full, so it can cost more).');
  });

  it('plans a covered delete with its size, rule, retention, undo and what the undo cannot bring back', () => {
    const plan = deleteSnapshot.plan(planFinding({ covered: true, kind: 'tag', ruleId: 'rule-9', retentionDays: 30 }), options, { now: NOW, prices: DEFAULT_PRICES });
    expect(plan).toMatchObject({
      kind: 'change',
      summary: 'Delete snapshot snap-1 (vol-gone, 400 GiB, standard); recoverable for 30 days (Recycle Bin rule rule-9).',
      undo: 'trimtab undo restores it from the Recycle Bin (RestoreSnapshotFromRecycleBin) within 30 days of the delete.',
      undoLimits: "The snapshot's data once the 30-day Recycle Bin retention has passed: then it is gone for good.",
    });
  });

  it("plans a delete under the rule trimtab creates with the policy's retention, and a final one saying so", () => {
    const created = deleteSnapshot.plan(planFinding({ covered: false }), { ...options, createRecycleBinRule: true }, { now: NOW, prices: DEFAULT_PRICES });
    const final = deleteSnapshot.plan(planFinding({ covered: false }), options, { now: NOW, prices: DEFAULT_PRICES });
    expect(created).toMatchObject({ summary: 'Delete snapshot snap-1 (vol-gone, 400 GiB, standard); recoverable for 14 days (trimtab creates a Recycle Bin rule for its tag trimtab:deleted-by first).' });
    expect(final).toMatchObject({
      summary: 'Delete snapshot snap-1 (vol-gone, 400 GiB, standard); FINAL: no Recycle Bin rule covers it, so it cannot be recovered.',
      undo: 'Not possible: no Recycle Bin rule covers this delete, so it is final.',
      undoLimits: "Everything: the snapshot's data is gone for good once it is deleted.",
    });
  });

  it('names the reason in a required Recycle Bin conflict only when there is one', () => {
    const bare = deleteSnapshot.plan(planFinding({ covered: false }), { ...options, requireRecycleBin: true }, { now: NOW, prices: DEFAULT_PRICES });
    const why = deleteSnapshot.plan(planFinding({ covered: false, reason: 'rule r1 excludes team=data' }), { ...options, requireRecycleBin: true }, { now: NOW, prices: DEFAULT_PRICES });
    expect(bare).toEqual({ kind: 'conflict', reason: "No Recycle Bin rule covers this snapshot's delete and the policy requires one (requireRecycleBin); set createRecycleBinRule or add a rule." });
    expect(why).toEqual({ kind: 'conflict', reason: "No Recycle Bin rule covers this snapshot's delete (rule r1 excludes team=data) and the policy requires one (requireRecycleBin); set createRecycleBinRule or add a rule." });
  });
});

describe('AWS answers with a member missing', () => {
  it('counts a DescribeSnapshots answer without Snapshots as gone, writing nothing', async () => {
    const a = aws({ DescribeSnapshots: () => ({}) });
    expect(await deleteSnapshot.apply(a.ctx, deletePlan(), finding)).toEqual({ after: { deleted: true, alreadyGone: true }, detail: 'snap-1 was already gone (InvalidSnapshot.NotFound): counts as done' });
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('deletes a snapshot whose attribute answer has no CreateVolumePermissions: shared with nobody', async () => {
    const a = aws({ DescribeSnapshotAttribute: () => ({}) });
    const out = await deleteSnapshot.apply(a.ctx, deletePlan(), finding);
    expect(out.detail).toBe('deleted; in the Recycle Bin until 2026-11-08T00:00:00.000Z (rule rule-1)');
    expect(a.writes('DeleteSnapshot').map((c) => c.input)).toEqual([{ SnapshotId: ID }]);
  });

  it('archives a snapshot whose tier status answer has no SnapshotTierStatuses', async () => {
    const a = aws({ DescribeSnapshotTierStatus: () => ({}) });
    const out = await archiveSnapshot.apply(a.ctx, archivePlan(), finding);
    expect(out.after).toEqual({ storageTier: 'archive', archivalInProgress: true, tieringStartTime: '2026-11-01T00:00:00.000Z' });
    expect(a.writes('ModifySnapshotTier').map((c) => c.input)).toEqual([{ SnapshotId: ID, StorageTier: 'archive' }]);
  });
});

describe('refusals and records', () => {
  it("keeps AWS's InvalidSnapshot.InUse error as the cause of the protected refusal, for the delete and the archive", async () => {
    const inUse = awsError('InvalidSnapshot.InUse', 'used by ami-1');
    const del = aws({ DeleteSnapshot: () => { throw inUse; } });
    const arc = aws({ ModifySnapshotTier: () => { throw inUse; } });
    const errors = [await caught(deleteSnapshot.apply(del.ctx, deletePlan(), finding)), await caught(archiveSnapshot.apply(arc.ctx, archivePlan(), finding))];
    expect(errors.map((e) => [e instanceof ProtectedResourceError, e?.message, (e as Error & { cause?: unknown }).cause])).toEqual([
      [true, 'InvalidSnapshot.InUse: used by ami-1', inUse],
      [true, 'InvalidSnapshot.InUse: used by ami-1', inUse],
    ]);
  });

  it('records what it read before a delete the Recycle Bin never showed', async () => {
    const a = aws({ ListSnapshotsInRecycleBin: () => ({}) });
    const out = await deleteSnapshot.apply(a.ctx, deletePlan(), finding);
    expect(out.before).toEqual({ snapshot: SNAP_READ });
  });

  it('says "Error" for a tag-removal failure that has no name, keeping the restore', async () => {
    const a = aws({ DeleteTags: () => { throw 'connection reset'; } });
    const out = await deleteSnapshot.undo!(a.ctx, recordOf('ebs-snapshot', ID, 'delete-snapshot', deletePlan().params, null, { deleted: true, recycleBin: { covered: true, kind: 'tag', ruleId: 'rule-1', retentionDays: 7 } }));
    expect(out.detail).toBe('Restored snap-1 from the Recycle Bin (same snapshot id, tags kept); its trimtab:deleted-by tag could not be removed yet (Error): remove it later (aws ec2 delete-tags --resources snap-1 --tags Key=trimtab:deleted-by).');
  });
});

describe('undo of records without an after-state', () => {
  it('refuses to undo a delete whose record says nothing of the Recycle Bin once it is no longer there, restoring nothing', async () => {
    const a = aws({ ListSnapshotsInRecycleBin: () => ({ Snapshots: [] }) }, null);
    const err = await caught(deleteSnapshot.undo!(a.ctx, recordOf('ebs-snapshot', ID, 'delete-snapshot', deletePlan().params, null, { deleted: true })));
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect(err?.message).toBe('snap-1 was deleted with no Recycle Bin rule covering it: the delete is final.');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('restores an archived snapshot whose record has no after-state, without a billing date when AWS gives no start', async () => {
    const a = aws({ DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: [{ SnapshotId: ID, LastTieringOperationStatus: 'archival-completed' }] }) }, { ...SNAP, StorageTier: 'archive' });
    const out = await archiveSnapshot.undo!(a.ctx, recordOf('ebs-snapshot', ID, 'archive-snapshot', archivePlan().params, null, undefined));
    expect(out.detail).toBe('Permanent restore of snap-1 to the standard tier started (AWS: up to 72 h, $0.03/GB). The archive tier bills at least 90 days whatever happens now: restoring or deleting earlier is charged pro rata for the rest.');
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ SnapshotId: ID, PermanentRestore: true }]);
  });

  it('says "since ?" when an archival in progress has no start time, writing nothing', async () => {
    const a = aws({ DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: [{ SnapshotId: ID, LastTieringOperationStatus: 'archival-in-progress' }] }) });
    const err = await caught(archiveSnapshot.undo!(a.ctx, recordOf('ebs-snapshot', ID, 'archive-snapshot', archivePlan().params, null, { storageTier: 'archive' })));
    expect(err?.message).toMatch(/^snap-1 is still being archived \(archival-in-progress since \?\), and AWS has no way to cancel an archival\. /);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('makes permanent only a temporary restore: a standard snapshot with a restore expiry after another operation is left alone', async () => {
    const a = aws({ DescribeSnapshotTierStatus: () => ({ SnapshotTierStatuses: [{ SnapshotId: ID, LastTieringOperationStatus: 'permanent-restore-completed', RestoreExpiryTime: new Date('2026-11-10T00:00:00Z') }] }) });
    const err = await caught(archiveSnapshot.undo!(a.ctx, recordOf('ebs-snapshot', ID, 'archive-snapshot', archivePlan().params, null, { storageTier: 'archive' })));
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect(err?.message).toBe('snap-1 is in the standard tier already: nothing to restore.');
    expect(a.writes(...WRITES)).toEqual([]);
  });
});
