/**
 * snapshot-and-delete (unattached volumes) and modify-to-gp3 (gp2 volumes).
 *
 * snapshot-and-delete re-reads the volume right before acting (still available, not attached,
 * not tagged trimtab:skip), snapshots it with its tags plus `trimtab:snapshot-of` and the spec
 * undo needs (`trimtab:volume-spec`), waits until the snapshot is `completed`, then deletes the
 * volume. Each step is recorded (ApplyEnv.record: snapshot-requested, snapshot-completed,
 * deleted) before the next; with an ApplyEnv the wait is handed back as `resumeAt` after a short
 * poll (lib/aws/wait.ts), and a resume reuses the recorded snapshot and re-reads the volume before
 * the delete. A snapshot that does not complete in time leaves the volume in place (the action
 * fails, nothing is deleted), and the next run reuses that snapshot instead of taking another.
 * Undo creates a volume from the snapshot in the same AZ, with the same type, size, IOPS,
 * throughput and tags (a new volume id: AWS cannot bring the old id back).
 *
 * verify after the delete: on AWS the volume stays `deleting` for minutes after DeleteVolume;
 * `deleting` and InvalidVolume.NotFound both mean the delete worked.
 *
 * modify-to-gp3 calls ModifyVolume online (no detach, no downtime). Undo reads
 * DescribeVolumesModifications first: while the last modification is `modifying` or
 * `optimizing` AWS refuses another (IncorrectModificationState), so undo refuses clearly, with
 * the state and when to retry; so does a refusal from AWS's rolling limit (four modifications
 * in 24 hours). It also refuses when someone changed the volume since.
 *
 * Reads right after a write (the new snapshot, the new modification) can be NotFound for a
 * while (EC2 eventual consistency): they are retried with bounded backoff through ctx.clock.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  EC2Client,
  ModifyVolumeCommand,
  type Tag,
  type VolumeType,
} from '@aws-sdk/client-ec2';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { SKIP_TAG } from '../protection.ts';
import type { ActionRecord, AppliedChange, Remediator, RegionContext } from '../../engine/types.ts';
import { retryTransient } from '../../aws/consistency.ts';
import { MIN_STEP_MS, pollUntilDeadline, type WaitBudget } from '../../aws/wait.ts';
import { usd } from '../../savings/prices.ts';
import type { Clock } from '../../util/clock.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { modificationInProgress, type Gp2Before, type UnattachedBefore } from './detectors.ts';
import { toEbsVolume, type EbsVolume } from './resource.ts';
import { snapshotDeletePending, stepLog } from '../steps.ts';

const NOT_FOUND = 'InvalidVolume.NotFound';
export const SNAPSHOT_OF_TAG = 'trimtab:snapshot-of';
export const VOLUME_SPEC_TAG = 'trimtab:volume-spec';
/** Not found right after the write that created it: EC2 eventual consistency, retried. */
const SNAPSHOT_NOT_FOUND = 'InvalidSnapshot.NotFound';
const MODIFICATION_NOT_FOUND = 'InvalidVolumeModification.NotFound';

/** The volume as it is now, or undefined when it no longer exists. */
export async function describeVolume(ec2: EC2Client, id: string): Promise<EbsVolume | undefined> {
  try {
    const out = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }));
    const v = out.Volumes?.[0];
    return v ? toEbsVolume(v) : undefined;
  } catch (error) {
    if (awsErrorName(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

/** Tags a user may copy: `aws:` keys are reserved and CreateSnapshot/CreateVolume refuse them. */
const copyableTags = (tags: Record<string, string>): Tag[] => Object.entries(tags).filter(([k]) => !k.startsWith('aws:')).map(([Key, Value]) => ({ Key, Value }));

/**
 * "Each resource can have a maximum of 50 tags" (CreateTagsCommand.d.ts; tag-on-create too): the
 * final snapshot carries the volume's tags plus trimtab's 2, so a volume with more than 48 cannot
 * be snapshotted this way (CreateSnapshot would fail with TagLimitExceeded). Undefined when it fits.
 */
export function tooManyTagsForSnapshot(id: string, tags: Record<string, string>): string | undefined {
  const n = copyableTags(tags).length;
  return n > 48 ? `${id} has ${n} tags: its final snapshot would carry ${n + 2} (its tags plus ${SNAPSHOT_OF_TAG} and ${VOLUME_SPEC_TAG}), over EC2's 50 per resource (TagLimitExceeded); remove tags or snapshot it by hand` : undefined;
}

/** What undo needs to rebuild the volume: stored on the snapshot too, so the snapshot alone suffices. */
export interface VolumeSpec {
  availabilityZone: string;
  volumeType: string;
  sizeGb: number;
  iops?: number;
  throughput?: number;
}

export interface SnapshotDeleteParams {
  volumeId: string;
  spec: VolumeSpec;
  tags: Record<string, string>;
  snapshotTimeoutMinutes: number;
  pollSeconds: number;
}

interface SnapshotDeleteOptions {
  snapshotTimeoutMinutes: number;
  pollSeconds: number;
}

interface SnapshotDeleteAfter {
  deleted: true;
  alreadyGone?: boolean;
  snapshotId?: string;
  reusedSnapshot?: boolean;
}

const specOf = (v: EbsVolume): VolumeSpec => ({
  availabilityZone: v.availabilityZone,
  volumeType: v.volumeType,
  sizeGb: v.sizeGb,
  ...(v.iops !== undefined && ['gp3', 'io1', 'io2'].includes(v.volumeType) ? { iops: v.iops } : {}),
  ...(v.throughput !== undefined && v.volumeType === 'gp3' ? { throughput: v.throughput } : {}),
});

/** A snapshot trimtab already started for this volume (a previous run that timed out), if any. */
async function existingTrimtabSnapshot(ec2: EC2Client, volumeId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${SNAPSHOT_OF_TAG}`, Values: [volumeId] }, { Name: 'status', Values: ['pending', 'completed'] }] }));
  const s = (out.Snapshots ?? []).sort((a, b) => new Date(b.StartTime ?? 0).getTime() - new Date(a.StartTime ?? 0).getTime())[0];
  return s?.SnapshotId || undefined; // pending or completed: the wait below handles both
}

/** One snapshot by id, retrying InvalidSnapshot.NotFound right after CreateSnapshot (eventual consistency). */
const readSnapshot = (ec2: EC2Client, clock: Clock, snapshotId: string) =>
  retryTransient(clock, [SNAPSHOT_NOT_FOUND], async () => (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots?.[0]);

/** Steps of snapshot-and-delete recorded through ApplyEnv.record, in the order they happen. */
export const SNAPSHOT_DELETE_STEPS = { requested: 'snapshot-requested', completed: 'snapshot-completed', deleted: 'deleted' } as const;

export type { SnapshotDeletePending } from '../steps.ts';

/** Waits until the snapshot is completed (inline without a budget); throws (nothing deleted) on error or at the deadline. */
async function waitCompleted(ec2: EC2Client, clock: Clock, snapshotId: string, volumeId: string, since: number, timeoutMinutes: number, pollSeconds: number, budget: WaitBudget | undefined) {
  let last: { State?: string; Progress?: string } = {};
  return pollUntilDeadline({
    clock,
    deadline: since + timeoutMinutes * 60_000,
    pollMs: pollSeconds * 1000,
    budget,
    check: async () => {
      const s = await readSnapshot(ec2, clock, snapshotId);
      if (s?.State === 'completed') return true;
      if (!s || s.State === 'error') throw new Error(`Snapshot ${snapshotId} of ${volumeId} ${s ? 'failed (state error)' : 'disappeared'}; the volume was not deleted.`);
      last = s;
      return undefined;
    },
    timeout: () => new Error(`Snapshot ${snapshotId} of ${volumeId} is still ${last.State} (${last.Progress ?? '?'}) after ${timeoutMinutes} min; the volume was not deleted. The next run reuses this snapshot.`),
  });
}

export const snapshotAndDelete: Remediator<SnapshotDeleteParams, SnapshotDeleteOptions> = {
  id: 'snapshot-and-delete',
  resource: 'ebs-volume',
  title: 'Snapshot the volume, wait until the snapshot completes, then delete the volume',
  options: z.object({
    /** How long trimtab waits for the snapshot, counted from the snapshot request (each invocation polls about a minute; the workflow waits between them). */
    snapshotTimeoutMinutes: z.number().min(0).max(14).default(10),
    /** How often apply re-reads the snapshot while it waits for it to complete, in seconds. */
    pollSeconds: z.number().min(0).max(60).default(15),
  }),
  permissions: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots', 'ec2:CreateSnapshot', 'ec2:CreateTags', 'ec2:DeleteVolume', 'ec2:CreateVolume'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "The volume itself: undo makes a new volume (new id, attached to nothing) from the snapshot, and its first read of each block is slow (loaded lazily from the snapshot). Anything written to the volume after the snapshot was taken.",

  plan(finding, options) {
    const v = (finding.before as UnattachedBefore).volume;
    const spec = specOf(v);
    const tooMany = tooManyTagsForSnapshot(v.id, v.tags);
    if (tooMany) return { kind: 'conflict', reason: tooMany };
    return {
      kind: 'change',
      summary: `Snapshot ${v.id} (${v.sizeGb} GiB ${v.volumeType}, ${v.availabilityZone}), wait for the snapshot to complete, then delete the volume.`,
      params: { volumeId: v.id, spec, tags: v.tags, ...options },
      undo: `trimtab undo creates a new volume from the snapshot in ${spec.availabilityZone} (${spec.volumeType}, ${spec.sizeGb} GiB${spec.iops ? `, ${spec.iops} IOPS` : ''}${spec.throughput ? `, ${spec.throughput} MiB/s` : ''}, same tags). It gets a new volume id; the snapshot is kept.`,
    };
  },

  /**
   * Steps: snapshot-requested (the snapshot id) → snapshot-completed → deleted, each recorded
   * before the next. With an ApplyEnv the wait for the snapshot is handed back as `resumeAt`; a
   * resume reuses the recorded snapshot (never a second one) and re-checks the volume before the delete.
   */
  async apply(ctx, plan, _finding, env) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = plan.params.volumeId;
    const { stepOf, lastStep, record } = stepLog(env, ctx.clock);
    const requested = stepOf(SNAPSHOT_DELETE_STEPS.requested);
    let snapshotId = typeof requested?.state?.snapshotId === 'string' ? requested.state.snapshotId : undefined;
    let reused = requested?.state?.reused === true;
    const result = (extra: Partial<SnapshotDeleteAfter> = {}): SnapshotDeleteAfter => ({ deleted: true, ...extra, ...(snapshotId ? { snapshotId } : {}), ...(reused ? { reusedSnapshot: true } : {}) });
    const pending = (resumeAt: string, waitingFor: string) => snapshotDeletePending(id, lastStep(), snapshotId, resumeAt, waitingFor);
    if (stepOf(SNAPSHOT_DELETE_STEPS.deleted)) return { after: result(), detail: `${id} deleted (recorded); snapshot ${snapshotId} kept` };
    const kept = () => (snapshotId ? `; not deleted (snapshot ${snapshotId} kept)` : '; nothing was changed');
    /** The apply-time re-checks, run before the snapshot and again right before the delete. */
    const recheck = async (): Promise<{ done: AppliedChange } | { volume: EbsVolume }> => {
      const current = await describeVolume(ec2, id);
      if (!current) return { done: { after: result({ alreadyGone: true }), detail: `${id} was already gone (${NOT_FOUND}): counts as done${snapshotId ? ` (snapshot ${snapshotId} kept)` : ''}` } };
      // Someone else deleted it since the scan: AWS lists it as 'deleting' for minutes.
      if (current.state === 'deleting') return { done: { before: { volume: current }, after: result({ alreadyGone: true }), detail: `${id} is already being deleted (deleting): counts as done` } };
      if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}${kept()}`);
      if (current.state !== 'available' || current.attachedTo.length) throw new ProtectedResourceError(`${id} is now ${current.state}${current.attachedTo.length ? ` (attached to ${current.attachedTo.join(', ')})` : ''}${kept()}`);
      return { volume: current };
    };
    let checked = await recheck();
    if ('done' in checked) return checked.done;

    if (!snapshotId) {
      const current = checked.volume;
      const tooMany = tooManyTagsForSnapshot(id, current.tags);
      if (tooMany) throw new Error(`${tooMany}; nothing was changed`);
      if (env && env.remainingMs() < MIN_STEP_MS) return pending(ctx.clock.now().toISOString(), `the snapshot request (${env.remainingMs()} ms left in this invocation)`);
      const prior = await existingTrimtabSnapshot(ec2, id);
      reused = prior !== undefined;
      snapshotId = prior;
      if (!snapshotId) {
        const created = await ec2.send(
          new CreateSnapshotCommand({
            VolumeId: id,
            Description: `trimtab: final snapshot of ${id} before deleting it`,
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...copyableTags(current.tags), { Key: SNAPSHOT_OF_TAG, Value: id }, { Key: VOLUME_SPEC_TAG, Value: JSON.stringify(specOf(current)) }] }],
          }),
        );
        snapshotId = created.SnapshotId!;
      }
      await record(SNAPSHOT_DELETE_STEPS.requested, { snapshotId, ...(reused ? { reused: true } : {}) });
    }
    if (!stepOf(SNAPSHOT_DELETE_STEPS.completed)) {
      const since = Date.parse(stepOf(SNAPSHOT_DELETE_STEPS.requested)!.at);
      const w = await waitCompleted(ec2, ctx.clock, snapshotId, id, since, plan.params.snapshotTimeoutMinutes, plan.params.pollSeconds, env);
      if ('resumeAt' in w) return pending(w.resumeAt, `snapshot ${snapshotId} to complete`);
      await record(SNAPSHOT_DELETE_STEPS.completed, { snapshotId });
      // The wait may have been long: the re-checks again, right before the delete.
      checked = await recheck();
      if ('done' in checked) return checked.done;
    }
    if (env && env.remainingMs() < MIN_STEP_MS) return pending(ctx.clock.now().toISOString(), `the delete (${env.remainingMs()} ms left in this invocation)`);
    const current = checked.volume;
    try {
      await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
    } catch (error) {
      const name = awsErrorName(error);
      if (name === NOT_FOUND) return { before: { volume: current }, after: result({ alreadyGone: true }), detail: `${id} vanished before the delete: counts as done (snapshot ${snapshotId} kept)` };
      // Attached between the re-read and the delete: the snapshot stays, the volume too.
      if (name === 'VolumeInUse') throw new ProtectedResourceError(`VolumeInUse: ${errorMessage(error)} (snapshot ${snapshotId} kept)`, { cause: error });
      throw error;
    }
    await record(SNAPSHOT_DELETE_STEPS.deleted, { snapshotId });
    return {
      before: { volume: current },
      after: result(),
      detail: `snapshot ${snapshotId}${reused ? ' (from an earlier run)' : ''} completed; ${id} deleted`,
    };
  },

  async verify(ctx, plan, applied) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const still = await describeVolume(ec2, plan.params.volumeId);
    // AWS lists the volume as 'deleting' for minutes after DeleteVolume: that is the delete working.
    if (still && still.state !== 'deleting') return { ok: false, detail: `${plan.params.volumeId} still exists (state ${still.state}) after the delete` };
    const gone = still ? `${plan.params.volumeId} is deleting` : `${plan.params.volumeId} is gone`;
    const snapshotId = (applied.after as SnapshotDeleteAfter).snapshotId;
    if (!snapshotId) return { ok: true, detail: gone };
    let s;
    try {
      s = await readSnapshot(ec2, ctx.clock, snapshotId);
    } catch (error) {
      if (awsErrorName(error) !== SNAPSHOT_NOT_FOUND) throw error;
    }
    return s?.State === 'completed' ? { ok: true, detail: `${gone}; snapshot ${snapshotId} is completed` } : { ok: false, detail: `${gone} but snapshot ${snapshotId} is ${s?.State ?? 'missing'}` };
  },

  async undo(ctx, record) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const after = record.after as SnapshotDeleteAfter | undefined;
    if (!after?.snapshotId) throw new UndoRefusedError(`${record.resource.id} was already gone when trimtab acted; trimtab took no snapshot of it to restore from.`);
    const params = record.params as SnapshotDeleteParams;
    const before = (record.before as UnattachedBefore | null)?.volume;
    const spec = before ? specOf(before) : params.spec;
    let snapshot;
    try {
      snapshot = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [after.snapshotId] }))).Snapshots?.[0];
    } catch (error) {
      if (awsErrorName(error) !== 'InvalidSnapshot.NotFound') throw error;
    }
    if (!snapshot) throw new UndoRefusedError(`Snapshot ${after.snapshotId} of ${record.resource.id} no longer exists: the volume cannot be restored.`);
    if (snapshot.State !== 'completed') throw new UndoRefusedError(`Snapshot ${after.snapshotId} is ${snapshot.State}: only a completed snapshot can be restored.`);
    const out = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: spec.availabilityZone,
        SnapshotId: after.snapshotId,
        VolumeType: spec.volumeType as VolumeType,
        Size: spec.sizeGb,
        ...(spec.iops !== undefined ? { Iops: spec.iops } : {}),
        ...(spec.throughput !== undefined ? { Throughput: spec.throughput } : {}),
        TagSpecifications: [{ ResourceType: 'volume', Tags: [...copyableTags(before?.tags ?? params.tags), { Key: 'trimtab:restored-from', Value: record.resource.id }] }],
      }),
    );
    return {
      detail: `Restored ${record.resource.id} as ${out.VolumeId} from ${after.snapshotId} in ${spec.availabilityZone} (${spec.volumeType}, ${spec.sizeGb} GiB, tags copied). Attach it where it is needed; the snapshot is kept.`,
      after: { volumeId: out.VolumeId, snapshotId: after.snapshotId },
    };
  },
};

export interface Gp3Params {
  volumeId: string;
  sizeGb: number;
  iops: number;
  throughput: number;
}

interface Gp3After {
  volumeType: 'gp3';
  iops: number;
  throughput: number;
  modificationStartTime?: string;
  alreadyGone?: boolean;
  alreadyGp3?: boolean;
}

/** The latest modification of one volume (DescribeVolumesModifications returns only the most recent). */
async function latestModificationOrThrow(ec2: EC2Client, id: string) {
  const out = await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [id] }));
  return out.VolumesModifications?.sort((a, b) => new Date(b.StartTime ?? 0).getTime() - new Date(a.StartTime ?? 0).getTime())[0];
}

/** The latest modification, or undefined when the volume has none. */
async function latestModification(ec2: EC2Client, id: string) {
  try {
    return await latestModificationOrThrow(ec2, id);
  } catch (error) {
    if (awsErrorName(error) === MODIFICATION_NOT_FOUND) return undefined;
    throw error;
  }
}

export const modifyToGp3: Remediator<Gp3Params, Record<string, never>> = {
  id: 'modify-to-gp3',
  resource: 'ebs-volume',
  title: 'Modify the gp2 volume to gp3 online, with IOPS and throughput at least gp2 delivers',
  options: z.object({}),
  permissions: ['ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications', 'ec2:ModifyVolume'],
  // Online, no detach, no data movement a person must watch: safe to run unattended.
  defaultMode: 'auto',
  undoable: 'yes',
  undoLimits: "Nothing stored on the volume is lost; the undo waits until this modification completes (hours for a large volume) and counts toward AWS's four modifications in 24 hours.",
  // No minCooldownHours: AWS has no fixed cooldown any more (the next modification is allowed
  // once the last one is completed, up to four in 24 hours); the detector and apply check those.

  plan(finding) {
    const { volume: v, target } = finding.before as Gp2Before;
    return {
      kind: 'change',
      summary: `Modify ${v.id} (${v.sizeGb} GiB) from gp2 to gp3 with ${target.iops} IOPS and ${target.throughput} MiB/s, online: $${usd(finding.savings.monthlyUsd)}/month less.`,
      params: { volumeId: v.id, sizeGb: v.sizeGb, iops: target.iops, throughput: target.throughput },
      undo: 'trimtab undo modifies it back to gp2 once this modification is completed (AWS refuses another while it is modifying or optimizing, and allows at most four in 24 hours), and only if nobody changed the volume since.',
    };
  },

  async apply(ctx: RegionContext, plan) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const { volumeId: id, iops, throughput } = plan.params;
    const current = await describeVolume(ec2, id);
    if (!current) return { after: { volumeType: 'gp3', iops, throughput, alreadyGone: true } satisfies Gp3After, detail: `${id} no longer exists: counts as done` };
    if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}`);
    if (current.volumeType === 'gp3' && (current.iops ?? 0) >= iops && (current.throughput ?? 0) >= throughput) {
      return { before: { volume: current }, after: { volumeType: 'gp3', iops: current.iops!, throughput: current.throughput!, alreadyGp3: true } satisfies Gp3After, detail: `${id} is already gp3 at ${current.iops} IOPS / ${current.throughput} MiB/s` };
    }
    if (current.volumeType !== 'gp2') throw new ProtectedResourceError(`${id} is now ${current.volumeType}, not gp2: someone changed it since the scan; nothing was changed`);
    try {
      const out = await ec2.send(new ModifyVolumeCommand({ VolumeId: id, VolumeType: 'gp3', Iops: iops, Throughput: throughput }));
      const start = out.VolumeModification?.StartTime ? new Date(out.VolumeModification.StartTime).toISOString() : ctx.now.toISOString();
      return { before: { volume: current }, after: { volumeType: 'gp3', iops, throughput, modificationStartTime: start } satisfies Gp3After, detail: `modification to gp3 started ${start} (${out.VolumeModification?.ModificationState ?? 'modifying'})` };
    } catch (error) {
      const name = awsErrorName(error);
      if (name === NOT_FOUND) return { after: { volumeType: 'gp3', iops, throughput, alreadyGone: true } satisfies Gp3After, detail: `${id} vanished: counts as done` };
      if (name === 'VolumeModificationRateExceeded' || name === 'IncorrectModificationState') {
        throw new ProtectedResourceError(`${name}: ${errorMessage(error)} A later run retries.`, { cause: error });
      }
      throw error;
    }
  },

  async verify(ctx, plan, applied) {
    const after = applied.after as Gp3After;
    if (after.alreadyGone) return { ok: true, detail: `${plan.params.volumeId} is gone` };
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    if (after.alreadyGp3) return { ok: true, detail: `${plan.params.volumeId} was already gp3` };
    // The modification record says so at once, but right after ModifyVolume a read may not know
    // it yet (InvalidVolumeModification.NotFound): retried with backoff through the clock.
    let m;
    try {
      m = await retryTransient(ctx.clock, [MODIFICATION_NOT_FOUND], () => latestModificationOrThrow(ec2, plan.params.volumeId));
    } catch (error) {
      if (awsErrorName(error) !== MODIFICATION_NOT_FOUND) throw error;
    }
    if (!m || m.TargetVolumeType !== 'gp3' || m.ModificationState === 'failed') {
      return { ok: false, detail: `${plan.params.volumeId}: no modification to gp3 in progress (${m ? `${m.ModificationState} → ${m.TargetVolumeType}` : 'none found'})` };
    }
    if ((m.TargetIops ?? 0) < plan.params.iops || (m.TargetThroughput ?? 0) < plan.params.throughput) {
      return { ok: false, detail: `${plan.params.volumeId}: target ${m.TargetIops} IOPS / ${m.TargetThroughput} MiB/s is below the planned ${plan.params.iops} / ${plan.params.throughput}` };
    }
    return { ok: true, detail: `${plan.params.volumeId}: modification to gp3 ${m.ModificationState} (${m.TargetIops} IOPS, ${m.TargetThroughput} MiB/s)` };
  },

  async undo(ctx, record: ActionRecord) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = record.resource.id;
    const after = record.after as Gp3After | undefined;
    if (!after || after.alreadyGone) throw new UndoRefusedError(`${id} no longer existed when trimtab acted; nothing to undo.`);
    if (after.alreadyGp3) throw new UndoRefusedError(`${id} was already gp3 when trimtab acted; trimtab changed nothing to undo.`);
    const current = await describeVolume(ec2, id);
    if (!current) throw new UndoRefusedError(`${id} no longer exists.`);
    if (current.volumeType !== 'gp3' || current.iops !== after.iops || current.throughput !== after.throughput) {
      throw new UndoRefusedError(`${id} changed since trimtab modified it (now ${current.volumeType}, ${current.iops ?? '-'} IOPS, ${current.throughput ?? '-'} MiB/s; trimtab set gp3, ${after.iops}, ${after.throughput}): not undone.`);
    }
    // Read the modification state first: AWS refuses a new one until the last is completed.
    const m = await latestModification(ec2, id);
    if (m?.StartTime && after.modificationStartTime && new Date(m.StartTime).getTime() > Date.parse(after.modificationStartTime)) {
      throw new UndoRefusedError(`${id} was modified again after trimtab's change (at ${new Date(m.StartTime).toISOString()}): not undone.`);
    }
    const busy = m && m.StartTime ? modificationInProgress({ state: m.ModificationState ?? 'unknown', startTime: new Date(m.StartTime).getTime(), ...(m.Progress !== undefined ? { progress: m.Progress } : {}) }, ctx.now) : undefined;
    if (busy) throw new UndoRefusedError(`${id}: ${busy}. Try the undo again when DescribeVolumesModifications shows it completed; nothing was changed.`);
    try {
      await ec2.send(new ModifyVolumeCommand({ VolumeId: id, VolumeType: 'gp2' }));
    } catch (error) {
      const name = awsErrorName(error);
      // The rolling limit (four modifications in 24 hours) or a modification that started meanwhile.
      if (name === 'VolumeModificationRateExceeded' || name === 'IncorrectModificationState') {
        throw new UndoRefusedError(`${id}: AWS refused the modification back to gp2 (${name}: ${errorMessage(error)}). Nothing was changed; try the undo again later.`, { cause: error });
      }
      throw error;
    }
    return { detail: `Modification of ${id} back to gp2 started.`, after: { volumeType: 'gp2' } };
  },
};
