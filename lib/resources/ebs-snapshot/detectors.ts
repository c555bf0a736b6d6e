/**
 * EBS snapshot detectors. All three are stateful passes over the streamed snapshots, because
 * two decisions need the whole stream: "the newest snapshot of a volume that still exists" and
 * "keep the newest K per volume". State is compact and per volume (at most one held snapshot
 * per existing volume, or K for too-many-per-volume), so 100,000 snapshots fit in Lambda memory.
 *
 * Module protections (status 'protected', the reason in evidence.protection): referenced by an
 * owned AMI (disabled and deprecated included), made by AWS Backup or Data Lifecycle Manager,
 * public (unless allowShared), the newest snapshot of an existing volume (unless
 * allowNewestOfVolume). `trimtab:skip` is the core's.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detection, DetectEnv, Detector, DetectorPass } from '../../engine/types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { coverageFor, tagsAtDelete, type RecycleBinCoverage } from './recycle-bin.ts';
import { BACKUP_TAG, COPIED_SNAPSHOT_VOLUME, DLM_TAG, ebsSnapshotResource, NEED_PUBLIC_CONFIRMATION, type EbsPrepared, type EbsSnapshot } from './resource.ts';

const DAY_MS = 86_400_000;

const commonOptions = {
  /** Act on snapshots shared with other accounts (createVolumePermission). Default: protected. */
  allowShared: z.boolean().default(false),
  /** Act on the newest snapshot of a volume that still exists. Default: protected. */
  allowNewestOfVolume: z.boolean().default(false),
};

export interface CommonOptions {
  allowShared: boolean;
  allowNewestOfVolume: boolean;
}

/** Public marks are confirmed (DescribeSnapshotAttribute) only when the policy protects shared snapshots. */
const needs = (options: CommonOptions) => (options.allowShared ? [] : [NEED_PUBLIC_CONFIRMATION]);

/** What a remediator needs from the finding (kept in `before`). */
export interface SnapshotBefore {
  snapshot: EbsSnapshot;
  allowShared: boolean;
  /** Whether this snapshot's delete (with trimtab's tag) lands in the Recycle Bin, judged from the region's rules. */
  recycleBin: RecycleBinCoverage;
  /** Snapshots of the same (deleted) volume in the account, when the detector counted them. */
  snapshotsOfVolume?: number;
  /** `snapshotsOfVolume` is a lower bound (the count when the finding was released mid-stream): never 1 then. */
  snapshotsOfVolumeAtLeast?: boolean;
  volumeExists: boolean;
}

type Env = DetectEnv<EbsPrepared>;

export const ageDays = (s: EbsSnapshot, now: Date) => Math.floor((now.getTime() - s.startTime) / DAY_MS);

/** Billed size assumption: the full size AWS reports, else the volume size (both upper bounds). */
export const sizeBasisGb = (s: EbsSnapshot) => s.fullSizeGb ?? s.volumeSizeGb;

/** Monthly storage cost of the snapshot as it is stored now, with the basis spelled out. */
export function monthlyCost(s: EbsSnapshot, prices: PriceTable): { monthlyUsd: number; basis: string[] } {
  const gb = sizeBasisGb(s);
  const source = s.fullSizeGb !== undefined ? 'full snapshot size (FullSnapshotSizeInBytes)' : 'volume size';
  if (s.storageTier === 'archive') {
    const monthlyUsd = gb * prices.ebsSnapshotArchiveGbMonth;
    return { monthlyUsd, basis: [`Archive tier stores the snapshot in full: ${gb} GiB (${source}) × $${prices.ebsSnapshotArchiveGbMonth}/GB-month = $${usd(monthlyUsd)}/month.`] };
  }
  const monthlyUsd = gb * prices.ebsSnapshotStandardGbMonth;
  return {
    monthlyUsd,
    basis: [
      `Up to ${gb} GiB (${source}) × $${prices.ebsSnapshotStandardGbMonth}/GB-month standard tier = $${usd(monthlyUsd)}/month (an upper bound).`,
      'Snapshots are incremental: deleting one frees only the blocks no other snapshot of the volume still references, so the real saving can be lower; deleting every snapshot of a volume frees all of it.',
    ],
  };
}

/** Why a snapshot must not be touched (module protections), or undefined. */
export function snapshotProtection(s: EbsSnapshot, prepared: EbsPrepared, options: CommonOptions): string | undefined {
  const amis = prepared.amiRefs.get(s.id);
  if (amis?.length) {
    const list = amis.map((a) => `${a.imageId}${a.name ? ` (${a.name})` : ''}${a.state && a.state !== 'available' ? ` [${a.state}]` : ''}${a.deprecated ? ' [deprecated]' : ''}`);
    return `referenced by AMI ${list.join(', ')}; deleting it would fail (InvalidSnapshot.InUse) and break the AMI`;
  }
  if (BACKUP_TAG in s.tags) return `made by AWS Backup (tag ${BACKUP_TAG}); AWS Backup owns its retention`;
  if (DLM_TAG in s.tags) return `made by Data Lifecycle Manager policy ${s.tags[DLM_TAG]} (tag ${DLM_TAG}); DLM owns its retention`;
  if (!options.allowShared && prepared.publicSnapshots.has(s.id)) {
    // Confirmed with DescribeSnapshotAttribute, or only marked by the filtered listing (checked for candidates only).
    const source = prepared.publicConfirmed?.get(s.id) ? 'createVolumePermission: all' : "listed by DescribeSnapshots RestorableByUserIds ['all']";
    return `shared publicly (${source}) and the policy does not allow shared snapshots`;
  }
  return undefined;
}

function volumeState(s: EbsSnapshot, prepared: EbsPrepared): string {
  if (s.volumeId === COPIED_SNAPSHOT_VOLUME) return 'none (copied snapshot)';
  return prepared.volumes.get(s.volumeId) ?? 'deleted';
}

/** The detection for one snapshot: evidence, estimate, and the protection if any. */
function detectionFor(s: EbsSnapshot, reason: string, options: CommonOptions, env: Env, extra: Record<string, unknown> = {}, forcedProtection?: string): Detection {
  const { prepared, ctx } = env;
  const protection = snapshotProtection(s, prepared, options) ?? forcedProtection;
  const cost = monthlyCost(s, ctx.prices);
  const amis = prepared.amiRefs.get(s.id) ?? [];
  const rb = coverageFor(prepared.recycleBin, tagsAtDelete(s.tags));
  return {
    // Detections released later than their observe() (held back, or at finish) name their resource.
    resource: ebsSnapshotResource.ref(s, ctx),
    reason: protection ? `${reason} Protected: ${protection}.` : reason,
    status: protection ? 'protected' : 'actionable',
    evidence: {
      ageDays: ageDays(s, ctx.now),
      startTime: new Date(s.startTime).toISOString(),
      volumeId: s.volumeId,
      volumeState: volumeState(s, prepared),
      volumeSizeGb: s.volumeSizeGb,
      ...(s.fullSizeGb !== undefined ? { fullSizeGb: s.fullSizeGb } : {}),
      storageTier: s.storageTier,
      amiReferences: amis.map((a) => a.imageId),
      tags: s.tags,
      estimatedMonthlyCostUsd: usd(cost.monthlyUsd),
      recycleBin: rb.covered
        ? `rule ${rb.ruleId} keeps a delete recoverable for ${rb.retentionDays} days${rb.lockState ? ` (rule ${rb.lockState})` : ''}`
        : rb.unknown
          ? `unknown (${rb.unknown})`
          : `no rule covers this snapshot's delete${rb.reason ? ` (${rb.reason})` : ''}: a delete is final`,
      ...(prepared.publicConfirmed?.has(s.id) ? { publicShare: prepared.publicConfirmed.get(s.id) ? 'public (createVolumePermission: all)' : 'not public (createVolumePermission read; the listing filter marked it)' } : {}),
      ...(prepared.publicFilterIgnored ? { endpointWarning: prepared.publicFilterIgnored } : {}),
      ...extra,
      ...(protection ? { protection } : {}),
    },
    savings: cost,
    before: { snapshot: s, allowShared: options.allowShared, recycleBin: rb, volumeExists: prepared.volumes.has(s.volumeId), ...(typeof extra.snapshotsOfVolume === 'number' ? { snapshotsOfVolume: extra.snapshotsOfVolume } : {}), ...(extra.snapshotsOfVolumeAtLeast === true ? { snapshotsOfVolumeAtLeast: true } : {}) } satisfies SnapshotBefore,
  };
}

const isCompleted = (s: EbsSnapshot) => s.state === 'completed';

/** The [volume id, value] entries of a pass's saved state (trimtab's own checkpoint store; its hash was checked by the engine). */
function savedEntries<V>(saved: unknown, what: string): [string, V][] {
  if (!Array.isArray(saved) || !saved.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) {
    throw new Error(`The saved state of an EBS snapshot detector (${what}) is not a list of [volume id, value] entries.`);
  }
  return saved as [string, V][];
}

/**
 * Holds back, per existing volume, the newest snapshot seen so far when it is a candidate:
 * only at the end of the stream is it known to be the newest. Others are released at once.
 */
class NewestOfVolumeHold {
  private readonly held: Map<string, { time: number; candidate?: EbsSnapshot }>;

  /** `saved`: what `save()` returned in an earlier invocation of the same sweep (a split unit). */
  constructor(saved?: unknown) {
    this.held = new Map(saved === undefined ? [] : savedEntries<{ time: number; candidate?: EbsSnapshot }>(saved, 'held'));
  }

  save(): [string, { time: number; candidate?: EbsSnapshot }][] {
    return [...this.held];
  }

  /** Returns the candidates now known not to be their volume's newest. */
  offer(s: EbsSnapshot, isCandidate: boolean): EbsSnapshot[] {
    const current = this.held.get(s.volumeId);
    if (!current || s.startTime > current.time) {
      this.held.set(s.volumeId, { time: s.startTime, candidate: isCandidate ? s : undefined });
      return current?.candidate ? [current.candidate] : [];
    }
    return isCandidate ? [s] : [];
  }

  /** Candidates that are their volume's newest snapshot. */
  newest(): EbsSnapshot[] {
    return [...this.held.values()].flatMap((h) => (h.candidate ? [h.candidate] : []));
  }
}

/** Shared shape of the "is it a candidate" detectors, with the newest-of-volume protection. */
function candidatePass(options: CommonOptions, env: Env, isCandidate: (s: EbsSnapshot) => boolean, reasonOf: (s: EbsSnapshot) => string, saved?: unknown): DetectorPass<EbsSnapshot> {
  const hold = new NewestOfVolumeHold(saved);
  const exists = (s: EbsSnapshot) => env.prepared.volumes.has(s.volumeId);
  return {
    observe(s) {
      if (!isCompleted(s)) return [];
      const candidate = isCandidate(s);
      if (!exists(s) || options.allowNewestOfVolume) return candidate ? [detectionFor(s, reasonOf(s), options, env)] : [];
      return hold.offer(s, candidate).map((c) => detectionFor(c, reasonOf(c), options, env));
    },
    finish() {
      return hold.newest().map((s) =>
        detectionFor(s, reasonOf(s), options, env, {}, `the newest snapshot of volume ${s.volumeId}, which still exists (${env.prepared.volumes.get(s.volumeId)}); set allowNewestOfVolume to act on it`),
      );
    },
    save: () => hold.save(),
  };
}

export const olderThan: Detector<EbsSnapshot, CommonOptions & { days: number }, EbsPrepared> = {
  id: 'older-than',
  resource: 'ebs-snapshot',
  title: 'Snapshot older than N days',
  needs,
  options: z.object({ days: z.number().int().min(1).max(36_500).default(90).describe('Flag snapshots created at least this many days ago.'), ...commonOptions }),
  pass(options, env, saved) {
    return candidatePass(
      options,
      env,
      (s) => ageDays(s, env.ctx.now) >= options.days,
      (s) => `Snapshot is ${ageDays(s, env.ctx.now)} days old (policy: older than ${options.days} days).`,
      saved,
    );
  },
};

export const orphaned: Detector<EbsSnapshot, CommonOptions & { minAgeDays: number }, EbsPrepared> = {
  id: 'orphaned',
  resource: 'ebs-snapshot',
  title: 'Snapshot whose source volume no longer exists',
  needs,
  options: z.object({
    /** A fresh snapshot of a just-deleted volume is often a deliberate final backup: wait this long. */
    minAgeDays: z.number().int().min(0).max(36_500).default(30),
    ...commonOptions,
  }),
  pass(options, env, saved) {
    // Each orphan states how many snapshots its volume has, because whether it holds the volume's
    // only copy decides if archiving it can save money. Streamed, not kept to the end: an orphan
    // is released as soon as a second snapshot of its volume is seen ("at least n": the count so
    // far, a lower bound, which is all archive-snapshot needs: not the only one). Only the first
    // candidate of each deleted volume waits, and goes out at the end as that volume's only
    // snapshot: the pass holds at most one snapshot per deleted volume, never one per candidate.
    const restored = saved === undefined ? undefined : (saved as { seen?: unknown; waiting?: unknown });
    const seen = new Map<string, number>(restored ? savedEntries<number>(restored.seen, 'seen') : []);
    const waiting = new Map<string, EbsSnapshot>(restored ? savedEntries<EbsSnapshot>(restored.waiting, 'waiting') : []);
    const detect = (s: EbsSnapshot, n: number, exact: boolean) =>
      detectionFor(
        s,
        `Source volume ${s.volumeId} no longer exists; the snapshot is ${ageDays(s, env.ctx.now)} days old (${exact ? `${n} snapshot${n === 1 ? '' : 's'}` : `at least ${n} snapshots`} of that volume left).`,
        options,
        env,
        { snapshotsOfVolume: n, ...(exact ? {} : { snapshotsOfVolumeAtLeast: true }) },
      );
    return {
      observe(s) {
        if (!isCompleted(s) || s.volumeId === COPIED_SNAPSHOT_VOLUME || env.prepared.volumes.has(s.volumeId)) return [];
        const n = (seen.get(s.volumeId) ?? 0) + 1;
        seen.set(s.volumeId, n);
        const out: Detection[] = [];
        const first = waiting.get(s.volumeId);
        if (first) {
          waiting.delete(s.volumeId);
          out.push(detect(first, n, false));
        }
        if (ageDays(s, env.ctx.now) >= options.minAgeDays) {
          if (n === 1) waiting.set(s.volumeId, s);
          else out.push(detect(s, n, false));
        }
        return out;
      },
      // The candidates still waiting are their deleted volume's only snapshot (a generator: taken a page at a time).
      *finish() {
        for (const s of waiting.values()) yield detect(s, 1, true);
        waiting.clear();
      },
      save: () => ({ seen: [...seen], waiting: [...waiting] }),
    };
  },
};

/** Up to this `keep`, a too-many-per-volume finding lists the snapshots kept (evidence.keptNewer). */
export const MAX_KEPT_LISTED = 20;

export const tooManyPerVolume: Detector<EbsSnapshot, CommonOptions & { keep: number; existingVolumesOnly: boolean }, EbsPrepared> = {
  id: 'too-many-per-volume',
  resource: 'ebs-snapshot',
  title: 'More than K snapshots of one volume: keep the newest K',
  needs,
  options: z.object({
    /** Snapshots kept per volume: the newest this many; older ones are findings. */
    keep: z.number().int().min(1).max(1000).default(7),
    /** Snapshots of deleted volumes are the orphaned detector's job. */
    existingVolumesOnly: z.boolean().default(true),
    ...commonOptions,
  }),
  pass(options, env, saved) {
    // Per volume: the newest `keep` snapshots seen so far, newest first. Anything pushed out has
    // at least `keep` newer snapshots of its volume and is emitted at once.
    const windows = new Map<string, EbsSnapshot[]>(saved === undefined ? [] : savedEntries<EbsSnapshot[]>(saved, 'windows'));
    // Each finding names the newest `keep` snapshots kept at that moment (up to MAX_KEPT_LISTED), so
    // a report can draw the kept ones beside the deleted ones: the last finding's list is the final one.
    const detect = (s: EbsSnapshot, kept: EbsSnapshot[]) =>
      detectionFor(s, `Volume ${s.volumeId} has more than ${options.keep} snapshots and this one is not among the newest ${options.keep}.`, options, env, {
        keep: options.keep,
        ...(options.keep <= MAX_KEPT_LISTED ? { keptNewer: kept.map((k) => ({ snapshotId: k.id, startTime: new Date(k.startTime).toISOString() })) } : {}),
      });
    return {
      observe(s) {
        if (!isCompleted(s) || s.volumeId === COPIED_SNAPSHOT_VOLUME) return [];
        if (options.existingVolumesOnly && !env.prepared.volumes.has(s.volumeId)) return [];
        const window = windows.get(s.volumeId) ?? [];
        if (!windows.has(s.volumeId)) windows.set(s.volumeId, window);
        if (window.length >= options.keep && s.startTime <= window[window.length - 1].startTime) return [detect(s, window)];
        const at = window.findIndex((w) => w.startTime < s.startTime);
        window.splice(at === -1 ? window.length : at, 0, s);
        if (window.length <= options.keep) return [];
        const out = window.pop()!;
        return [detect(out, window)];
      },
      finish: () => [],
      save: () => [...windows],
    };
  },
};
