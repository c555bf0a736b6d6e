/**
 * delete-snapshot and archive-snapshot. apply() re-reads the snapshot right before writing and
 * re-checks what can change between scan and apply: the protection tags, and shares with
 * other accounts (DescribeSnapshotAttribute for this one snapshot: a per-action read, bounded
 * by maxActionsPerRun, never a per-listed-snapshot call). EC2 writes are paced by the client
 * factory (4/s, below DeleteSnapshot's ~5/s) and throttling is retried by the SDK's adaptive
 * retry mode. InvalidSnapshot.NotFound counts as done; InvalidSnapshot.InUse becomes
 * "protected" (ProtectedResourceError) and is never retried.
 *
 * EC2 is eventually consistent ("Eventual consistency in the Amazon EC2 API"): a deleted
 * snapshot can still be listed for a moment, a snapshot restored from the Recycle Bin can be
 * "not found" (and is `recovering`) for a while. Reads and tag writes right after such writes
 * retry with bounded backoff through ctx.clock (lib/aws/consistency.ts).
 */
import {
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  DescribeSnapshotTierStatusCommand,
  DescribeVolumesCommand,
  EC2Client,
  ListSnapshotsInRecycleBinCommand,
  ModifySnapshotTierCommand,
  RestoreSnapshotFromRecycleBinCommand,
  RestoreSnapshotTierCommand,
} from '@aws-sdk/client-ec2';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { SKIP_TAG } from '../protection.ts';
import type { Remediator, RegionContext } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { sizeBasisGb, type SnapshotBefore } from './detectors.ts';
import { readUntil, retryTransient } from '../../aws/consistency.ts';
import { coverageFor, DELETED_BY_TAG, DELETED_BY_VALUE, ensureTrimtabRule, readRecycleBinRules, tagsAtDelete, type RecycleBinCoverage } from './recycle-bin.ts';
import { BACKUP_TAG, COPIED_SNAPSHOT_VOLUME, DLM_TAG, toEbsSnapshot, type EbsSnapshot } from './resource.ts';

const NOT_FOUND = 'InvalidSnapshot.NotFound';
const IN_USE = 'InvalidSnapshot.InUse';

/** The snapshot as it is now, or undefined when it no longer exists. */
export async function describeSnapshot(ec2: EC2Client, id: string): Promise<EbsSnapshot | undefined> {
  try {
    const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
    const s = out.Snapshots?.[0];
    return s ? toEbsSnapshot(s) : undefined;
  } catch (error) {
    if (awsErrorName(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

/** Re-checks, right before a write, the protections that can change after the scan. */
async function recheckProtections(ec2: EC2Client, s: EbsSnapshot, allowShared: boolean) {
  if (SKIP_TAG in s.tags) throw new ProtectedResourceError(`${s.id} is now tagged ${SKIP_TAG}`);
  if (BACKUP_TAG in s.tags) throw new ProtectedResourceError(`${s.id} is made by AWS Backup (tag ${BACKUP_TAG})`);
  if (DLM_TAG in s.tags) throw new ProtectedResourceError(`${s.id} is made by Data Lifecycle Manager (tag ${DLM_TAG})`);
  if (allowShared) return;
  const out = await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: s.id, Attribute: 'createVolumePermission' }));
  const shares = (out.CreateVolumePermissions ?? []).map((p) => (p.Group === 'all' ? 'everyone (public)' : (p.UserId ?? p.Group ?? '?')));
  if (shares.length) throw new ProtectedResourceError(`${s.id} is shared with ${shares.join(', ')} (createVolumePermission) and the policy does not allow shared snapshots`);
}

/**
 * The source volume the finding took as deleted, when it did (none for a copied snapshot's `vol-ffffffff`).
 * The scan's volume set is read once per unit, and a split unit carries it over invocations
 * (savePrepared): a volume created after that read, and snapshotted since, is missing from it, so
 * its snapshot looks orphaned (with `minAgeDays: 0`, or a unit that outlives `minAgeDays`).
 */
export function volumeTakenAsGone(before: SnapshotBefore): string | undefined {
  return before.volumeExists === false && before.snapshot.volumeId !== COPIED_SNAPSHOT_VOLUME ? before.snapshot.volumeId : undefined;
}

/**
 * Refuses, right before a write, a snapshot whose source volume the plan took as deleted but that
 * exists now. Volume ids are never reused, so a volume seen now was missing from the scan's read
 * because it is newer than that read (or because the saved read was altered): its snapshot is
 * not an orphan. A filter, not VolumeIds, so a deleted volume is an empty answer, not an error.
 */
async function recheckVolumeGone(ec2: EC2Client, snapshotId: string, volumeId: string | undefined) {
  if (!volumeId) return;
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [volumeId] }] }));
  const volume = (out.Volumes ?? []).find((v) => v.VolumeId === volumeId);
  if (volume) {
    throw new ProtectedResourceError(`${snapshotId}'s source volume ${volumeId} exists (state ${volume.State ?? '?'}, created ${volume.CreateTime ? new Date(volume.CreateTime).toISOString() : '?'}), although the scan took it as deleted: the snapshot is not an orphan; nothing was written`);
  }
}

const describeSize = (s: EbsSnapshot) => `${sizeBasisGb(s)} GiB`;

export interface DeleteParams {
  snapshotId: string;
  allowShared: boolean;
  /** What the plan promised (and an approver saw): apply refuses to make a final delete of a snapshot promised recoverable. */
  recoverable: boolean;
  createRecycleBinRule: boolean;
  recycleBinRetentionDays: number;
  requireRecycleBin: boolean;
  /** The source volume the finding took as deleted: apply refuses if it exists (plans made before this field: not checked). */
  volumeGone?: string;
}

interface DeleteOptions {
  createRecycleBinRule: boolean;
  recycleBinRetentionDays: number;
  requireRecycleBin: boolean;
}

interface DeleteAfter {
  deleted: true;
  alreadyGone?: boolean;
  recycleBin?: RecycleBinCoverage;
  /** Set only when ListSnapshotsInRecycleBin showed the snapshot there after the delete (its RecycleBinExitTime). */
  recoverableUntil?: string;
}

/** Bounded re-reads after a write (a few seconds to ~30 s on AWS). */
const SETTLE = { attempts: 6, baseDelayMs: 1_000, maxDelayMs: 10_000 };

/** The snapshot's Recycle Bin entry, or undefined. */
async function binEntry(ec2: EC2Client, id: string) {
  const out = await ec2.send(new ListSnapshotsInRecycleBinCommand({ SnapshotIds: [id] }));
  return out.Snapshots?.find((s) => s.SnapshotId === id);
}

export const deleteSnapshot: Remediator<DeleteParams, DeleteOptions> = {
  id: 'delete-snapshot',
  resource: 'ebs-snapshot',
  title: 'Delete the snapshot (recoverable from the Recycle Bin when a rule covers trimtab deletes)',
  options: z.object({
    /** Create a Recycle Bin rule matching trimtab's tag when none covers its deletes. */
    createRecycleBinRule: z.boolean().default(false),
    /** Retention of the Recycle Bin rule trimtab creates (createRecycleBinRule): how many days a deleted snapshot stays restorable. */
    recycleBinRetentionDays: z.number().int().min(1).max(365).default(14),
    /** Refuse to delete when no Recycle Bin rule covers the delete (and none will be created). */
    requireRecycleBin: z.boolean().default(false),
  }),
  permissions: [
    'ec2:DescribeSnapshots',
    'ec2:DescribeSnapshotAttribute',
    'ec2:DescribeVolumes',
    'ec2:CreateTags',
    'ec2:DeleteTags',
    'ec2:DeleteSnapshot',
    'ec2:ListSnapshotsInRecycleBin',
    'ec2:RestoreSnapshotFromRecycleBin',
    'rbin:ListRules',
    'rbin:GetRule',
    'rbin:CreateRule',
    // The rule is created with Tags: AWS authorises tag-on-create as rbin:TagResource too.
    'rbin:TagResource',
  ],
  // Deletes are the riskiest action trimtab has: a person approves them unless a policy says otherwise.
  defaultMode: 'approval',
  undoable: 'best-effort',
  undoLimits: "A deleted snapshot's data comes back only from the Recycle Bin, and only within the rule's retention; past it, or with no rule covering the delete, the data is gone for good.",

  plan(finding, options) {
    const before = finding.before as SnapshotBefore;
    const s = before.snapshot;
    const rb = before.recycleBin;
    // trimtab's own rule is tag-level, and exclusion tags apply to region-level rules only: it always covers.
    const recoverable = rb.covered || options.createRecycleBinRule;
    if (!recoverable && options.requireRecycleBin) {
      return { kind: 'conflict', reason: `No Recycle Bin rule covers this snapshot's delete${rb.reason ? ` (${rb.reason})` : ''} and the policy requires one (requireRecycleBin); set createRecycleBinRule or add a rule.` };
    }
    const days = rb.covered ? rb.retentionDays : options.recycleBinRetentionDays;
    const recovery = rb.covered
      ? `recoverable for ${days} days (Recycle Bin rule ${rb.ruleId})`
      : options.createRecycleBinRule
        ? `recoverable for ${days} days (trimtab creates a Recycle Bin rule for its tag ${DELETED_BY_TAG} first)`
        : `FINAL: no Recycle Bin rule covers it${rb.reason ? ` (${rb.reason})` : ''}, so it cannot be recovered`;
    return {
      kind: 'change',
      summary: `Delete snapshot ${s.id} (${s.volumeId}, ${describeSize(s)}, ${s.storageTier}); ${recovery}.`,
      params: { snapshotId: s.id, allowShared: before.allowShared, recoverable, ...options, ...(volumeTakenAsGone(before) ? { volumeGone: volumeTakenAsGone(before) } : {}) },
      undo: recoverable
        ? `trimtab undo restores it from the Recycle Bin (RestoreSnapshotFromRecycleBin) within ${days} days of the delete.`
        : 'Not possible: no Recycle Bin rule covers this delete, so it is final.',
      undoLimits: recoverable
        ? `The snapshot's data once the ${days}-day Recycle Bin retention has passed: then it is gone for good.`
        : "Everything: the snapshot's data is gone for good once it is deleted.",
    };
  },

  async apply(ctx, plan) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = plan.params.snapshotId;
    const current = await describeSnapshot(ec2, id);
    if (!current) return { after: { deleted: true, alreadyGone: true } satisfies DeleteAfter, detail: `${id} was already gone (${NOT_FOUND}): counts as done` };
    await recheckProtections(ec2, current, plan.params.allowShared);
    await recheckVolumeGone(ec2, id, plan.params.volumeGone);

    // Coverage as of now, for the snapshot's tags as of now (rules read once per run and region).
    const rules = await readRecycleBinRules(ctx);
    let coverage = coverageFor(rules, tagsAtDelete(current.tags));
    if (!coverage.covered && plan.params.createRecycleBinRule) coverage = await ensureTrimtabRule(ctx, rules, plan.params.recycleBinRetentionDays);
    if (!coverage.covered && plan.params.requireRecycleBin) throw new Error(`No Recycle Bin rule covers the delete of ${id}${coverage.reason ? ` (${coverage.reason})` : ''} and the policy requires one; nothing was deleted.`);
    // The plan (and its approver) was told the delete is recoverable: never make it final instead.
    if (!coverage.covered && plan.params.recoverable === true) {
      throw new Error(`The delete of ${id} was planned as recoverable, but no Recycle Bin rule covers it now (${coverage.reason ?? coverage.unknown ?? 'no matching rule'}); nothing was deleted.`);
    }

    // The tag makes a tag-level Recycle Bin rule retain this snapshot when it is deleted.
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: DELETED_BY_TAG, Value: DELETED_BY_VALUE }] }));
    try {
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    } catch (error) {
      const name = awsErrorName(error);
      if (name === NOT_FOUND) return { before: { snapshot: current }, after: { deleted: true, alreadyGone: true } satisfies DeleteAfter, detail: `${id} vanished before the delete (${NOT_FOUND}): counts as done` };
      if (name === IN_USE) {
        await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: DELETED_BY_TAG }] })).catch(() => undefined);
        throw new ProtectedResourceError(`${IN_USE}: ${errorMessage(error)}`, { cause: error });
      }
      throw error;
    }
    if (!coverage.covered) return { before: { snapshot: current }, after: { deleted: true, recycleBin: coverage } satisfies DeleteAfter, detail: `deleted; final (no Recycle Bin rule covers it${coverage.reason ? `: ${coverage.reason}` : ''})` };
    // Promise an undo only for what the Recycle Bin shows: the entry appears after a moment (eventual consistency).
    const seen = await readUntil(ctx.clock, () => binEntry(ec2, id), (e) => e !== undefined, SETTLE);
    if (!seen.settled) {
      const missing: RecycleBinCoverage = { ...coverage, covered: false, reason: `rule ${coverage.ruleId} should cover it, but ListSnapshotsInRecycleBin did not show it after ${seen.attempts} reads` };
      return { before: { snapshot: current }, after: { deleted: true, recycleBin: missing } satisfies DeleteAfter, detail: `deleted; NOT confirmed in the Recycle Bin (${missing.reason}): treat the delete as final` };
    }
    const until = seen.value?.RecycleBinExitTime ? new Date(seen.value.RecycleBinExitTime).toISOString() : undefined;
    const after: DeleteAfter = { deleted: true, recycleBin: coverage, ...(until ? { recoverableUntil: until } : {}) };
    return { before: { snapshot: current }, after, detail: `deleted; in the Recycle Bin until ${until ?? '?'} (rule ${coverage.ruleId})` };
  },

  async verify(ctx, plan) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    // A deleted snapshot can still be listed for a moment (eventual consistency).
    const { value: still } = await readUntil(ctx.clock, () => describeSnapshot(ec2, plan.params.snapshotId), (s) => s === undefined, SETTLE);
    return still ? { ok: false, detail: `${plan.params.snapshotId} still exists (state ${still.state}) after the delete` } : { ok: true, detail: `${plan.params.snapshotId} is gone` };
  },

  async undo(ctx, record) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = record.resource.id;
    const after = record.after as DeleteAfter | undefined;
    if (after?.alreadyGone) throw new UndoRefusedError(`${id} was already gone when trimtab acted; there is nothing of trimtab's to restore.`);
    // The Recycle Bin is the truth: even a delete recorded final is restored if it is there.
    const entry = await binEntry(ec2, id);
    if (!entry) {
      const back = await describeSnapshot(ec2, id);
      if (back) throw new UndoRefusedError(`${id} is not in the Recycle Bin: it was already restored.`);
      if (!after?.recycleBin?.covered) throw new UndoRefusedError(`${id} was deleted with no Recycle Bin rule covering it${after?.recycleBin?.reason ? ` (${after.recycleBin.reason})` : ''}: the delete is final.`);
      throw new UndoRefusedError(`${id} is no longer in the Recycle Bin (retention ${after.recycleBin.retentionDays} days, until ${after.recoverableUntil ?? '?'}): it cannot be restored.`);
    }
    await ec2.send(new RestoreSnapshotFromRecycleBinCommand({ SnapshotId: id }));
    // The restore succeeded. The restored snapshot is 'recovering' and may be "not found" for a
    // moment: retry the tag removal, and if it still fails, say so without failing the restore.
    try {
      await retryTransient(ctx.clock, [NOT_FOUND, 'IncorrectState'], () => ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: DELETED_BY_TAG }] })), SETTLE);
    } catch (error) {
      return {
        detail: `Restored ${id} from the Recycle Bin (same snapshot id, tags kept); its ${DELETED_BY_TAG} tag could not be removed yet (${awsErrorName(error) ?? 'Error'}): remove it later (aws ec2 delete-tags --resources ${id} --tags Key=${DELETED_BY_TAG}).`,
        after: { restored: true, tagLeft: DELETED_BY_TAG },
      };
    }
    return { detail: `Restored ${id} from the Recycle Bin (same snapshot id, tags kept).`, after: { restored: true } };
  },
};

export interface ArchiveParams {
  snapshotId: string;
  allowShared: boolean;
  /** The source volume the finding took as deleted (the saving assumes the only snapshot of a deleted volume): apply refuses if it exists. */
  volumeGone?: string;
}

/**
 * The snapshot's last tiering operation (DescribeSnapshotTierStatus). While archiving, AWS
 * still shows the snapshot as `StorageTier: standard` (DescribeSnapshots) with
 * `archival-in-progress` here, for hours; the snapshot stays usable until `archival-completed`.
 */
async function tierStatus(ec2: EC2Client, id: string) {
  const out = await ec2.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: 'snapshot-id', Values: [id] }] }));
  const status = out.SnapshotTierStatuses?.find((t) => t.SnapshotId === id) ?? out.SnapshotTierStatuses?.[0];
  return {
    operation: status?.LastTieringOperationStatus,
    startTime: status?.LastTieringStartTime ? new Date(status.LastTieringStartTime) : undefined,
    restoreExpiry: status?.RestoreExpiryTime ? new Date(status.RestoreExpiryTime) : undefined,
  };
}

const ARCHIVE_MINIMUM_DAYS = 90;

export const archiveSnapshot: Remediator<ArchiveParams, { minMonthlySavingsUsd: number }> = {
  id: 'archive-snapshot',
  resource: 'ebs-snapshot',
  title: 'Move the snapshot to the archive tier, only where that saves money',
  options: z.object({ minMonthlySavingsUsd: z.number().min(0).default(1).describe('Archive only when it saves at least this many USD a month (an archived snapshot is stored in full, so it can cost more).') }),
  permissions: ['ec2:DescribeSnapshots', 'ec2:DescribeSnapshotAttribute', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshotTierStatus', 'ec2:ModifySnapshotTier', 'ec2:RestoreSnapshotTier'],
  defaultMode: 'approval',
  undoable: 'best-effort',
  undoLimits: "The 90-day archive minimum is billed whatever happens; a restore costs $0.03/GB and takes up to 72 h, and until it ends the snapshot cannot be used to create volumes.",

  plan(finding, options, { prices }) {
    const before = finding.before as SnapshotBefore;
    const s = before.snapshot;
    if (s.storageTier === 'archive') return { kind: 'noop', reason: `${s.id} is already in the archive tier.` };
    const gb = sizeBasisGb(s);
    const archiveMonthly = gb * prices.ebsSnapshotArchiveGbMonth;
    // Only the sole snapshot of a deleted volume is known to be billed for all its blocks in the
    // standard tier. For any other, the standard bill is its changed blocks only (unknown to the
    // API), and blocks shared with other snapshots stay billed after archiving.
    if (before.volumeExists || before.snapshotsOfVolume !== 1) {
      const lineage = before.snapshotsOfVolume ? `one of ${before.snapshotsOfVolumeAtLeast ? 'at least ' : ''}${before.snapshotsOfVolume} snapshots of ${s.volumeId}` : `part of ${s.volumeId}'s snapshot lineage`;
      return {
        kind: 'noop',
        reason: `Not archived: it is ${lineage}, so its standard-tier cost is only its changed blocks, while the archive stores all ${gb} GiB ($${usd(archiveMonthly)}/month, 90-day minimum); the estimate cannot show a saving.`,
      };
    }
    const standardMonthly = gb * prices.ebsSnapshotStandardGbMonth;
    const saving = standardMonthly - archiveMonthly;
    if (saving < options.minMonthlySavingsUsd) return { kind: 'noop', reason: `Archiving would save $${usd(saving)}/month, under the policy's minimum of $${options.minMonthlySavingsUsd}.` };
    return {
      kind: 'change',
      summary: `Archive snapshot ${s.id} (${gb} GiB, the only snapshot of deleted volume ${s.volumeId}): $${usd(standardMonthly)} → $${usd(archiveMonthly)}/month. Archive bills at least 90 days; restoring costs $${prices.ebsSnapshotArchiveRestoreGb}/GB and takes up to 72 h.${before.allowShared ? ' AWS turns off sharing of an archived snapshot: accounts it is shared with lose access.' : ''}`,
      params: { snapshotId: s.id, allowShared: before.allowShared, ...(volumeTakenAsGone(before) ? { volumeGone: volumeTakenAsGone(before) } : {}) },
      undo: 'AWS cannot cancel an archival: while it is in progress (hours) trimtab undo refuses and says when to retry; once archived, undo starts a permanent restore to the standard tier (RestoreSnapshotTier PermanentRestore): up to 72 h, $0.03/GB, and the 90-day archive minimum is still billed.',
      savings: {
        monthlyUsd: saving,
        basis: [
          `Standard: ${gb} GiB × $${prices.ebsSnapshotStandardGbMonth}/GB-month = $${usd(standardMonthly)} (it is the only snapshot of its deleted volume, so it holds every block).`,
          `Archive: the full ${gb} GiB × $${prices.ebsSnapshotArchiveGbMonth}/GB-month = $${usd(archiveMonthly)}, billed for at least 90 days ($${usd(archiveMonthly * 3)}).`,
          `Restore: $${prices.ebsSnapshotArchiveRestoreGb}/GB ($${usd(gb * prices.ebsSnapshotArchiveRestoreGb)}) if it is ever needed again.`,
        ],
      },
    };
  },

  async apply(ctx: RegionContext, plan) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = plan.params.snapshotId;
    const current = await describeSnapshot(ec2, id);
    if (!current) return { after: { gone: true }, detail: `${id} no longer exists (${NOT_FOUND}): nothing to archive, counts as done` };
    if (current.storageTier === 'archive') return { before: { snapshot: current }, after: { storageTier: 'archive' }, detail: `${id} was already archived` };
    // AWS archives only completed snapshots you own (EBS User Guide, "Archive an Amazon EBS snapshot").
    if (current.state !== 'completed') throw new ProtectedResourceError(`${id} is '${current.state}': AWS archives only completed snapshots`);
    const tier = await tierStatus(ec2, id);
    if (tier.operation === 'archival-in-progress') {
      return { before: { snapshot: current }, after: { storageTier: 'archive', archivalInProgress: true, tieringStartTime: tier.startTime?.toISOString() }, detail: `${id} is already being archived (since ${tier.startTime?.toISOString() ?? '?'})` };
    }
    await recheckProtections(ec2, current, plan.params.allowShared);
    await recheckVolumeGone(ec2, id, plan.params.volumeGone);
    try {
      const out = await ec2.send(new ModifySnapshotTierCommand({ SnapshotId: id, StorageTier: 'archive' }));
      return { before: { snapshot: current }, after: { storageTier: 'archive', archivalInProgress: true, tieringStartTime: out.TieringStartTime?.toISOString() }, detail: 'archival started (AWS keeps the snapshot usable in the standard tier until it completes, typically hours)' };
    } catch (error) {
      if (awsErrorName(error) === NOT_FOUND) return { after: { gone: true }, detail: `${id} vanished (${NOT_FOUND}): counts as done` };
      if (awsErrorName(error) === IN_USE) throw new ProtectedResourceError(`${IN_USE}: ${errorMessage(error)}`, { cause: error });
      throw error;
    }
  },

  async verify(ctx, plan, applied) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = plan.params.snapshotId;
    const now = await describeSnapshot(ec2, id);
    if (!now) return (applied.after as { gone?: boolean }).gone ? { ok: true, detail: `${id} is gone` } : { ok: false, detail: `${id} disappeared after archiving` };
    if (now.storageTier === 'archive') return { ok: true, detail: `${id} is in the archive tier` };
    // AWS takes hours to archive: an archival in progress is what a successful call leaves.
    const { operation: status } = await tierStatus(ec2, id);
    if (status === 'archival-in-progress' || status === 'archival-completed') return { ok: true, detail: `${id}: ${status}` };
    return { ok: false, detail: `${id} is still in the ${now.storageTier} tier (tiering status: ${status ?? 'none'})` };
  },

  async undo(ctx, record) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = record.resource.id;
    if ((record.after as { gone?: boolean } | undefined)?.gone) throw new UndoRefusedError(`${id} no longer existed when trimtab acted; nothing to restore.`);
    const now = await describeSnapshot(ec2, id);
    if (!now) throw new UndoRefusedError(`${id} no longer exists (deleted after it was archived): it cannot be restored.`);
    const tier = await tierStatus(ec2, id);
    const started = tier.startTime ?? (record.after as { tieringStartTime?: string } | undefined)?.tieringStartTime;
    const minimumEnds = started ? new Date(new Date(started).getTime() + ARCHIVE_MINIMUM_DAYS * 86_400_000).toISOString().slice(0, 10) : undefined;
    const minimum = `The archive tier bills at least ${ARCHIVE_MINIMUM_DAYS} days${minimumEnds ? ` (until ${minimumEnds})` : ''} whatever happens now: restoring or deleting earlier is charged pro rata for the rest.`;
    // StorageTier still says 'standard' while archiving: the tiering status is what tells.
    if (tier.operation === 'archival-in-progress') {
      throw new UndoRefusedError(
        `${id} is still being archived (archival-in-progress since ${tier.startTime?.toISOString() ?? '?'}), and AWS has no way to cancel an archival. ` +
          `It stays usable in the standard tier until the archival completes (AWS: hours). Run trimtab undo again once DescribeSnapshotTierStatus shows archival-completed: undo then starts a permanent restore (up to 72 h, $0.03/GB). ${minimum}`,
      );
    }
    if (tier.operation === 'permanent-restore-in-progress') throw new UndoRefusedError(`${id} is already being restored to the standard tier (permanent-restore-in-progress since ${tier.startTime?.toISOString() ?? '?'}): nothing more to do.`);
    if (tier.operation === 'temporary-restore-in-progress') throw new UndoRefusedError(`${id} has a temporary restore in progress; retry trimtab undo when it completes to make the restore permanent.`);
    // A temporarily restored copy expires; only a permanent restore moves the snapshot back for good.
    const temporary = tier.operation === 'temporary-restore-completed' && tier.restoreExpiry !== undefined;
    if (now.storageTier !== 'archive' && !temporary) throw new UndoRefusedError(`${id} is in the ${now.storageTier} tier already: nothing to restore.`);
    await ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: id, PermanentRestore: true }));
    return { detail: `Permanent restore of ${id} to the standard tier started (AWS: up to 72 h, $0.03/GB). ${minimum}`, after: { storageTier: 'standard', restore: 'permanent-restore-in-progress' } };
  },
};
