/**
 * EBS volume detectors: unattached volumes (snapshot, then delete) and gp2 volumes that gp3
 * serves at equal or better performance for less.
 *
 * Module protections (status 'protected', the reason in evidence.protection): volumes that
 * Kubernetes keeps for a retained PersistentVolume (unless allowKubernetes), and gp2 volumes
 * whose last modification is still `modifying` or `optimizing`: AWS refuses another
 * (IncorrectModificationState) until it is `completed` (EC2 API reference, ModifyVolume). There
 * is no fixed cooldown any more: a completed modification allows the next, up to four in a
 * rolling 24 hours, which DescribeVolumesModifications cannot show (it returns only the latest),
 * so apply records AWS's VolumeModificationRateExceeded as protected. `trimtab:skip` is the core's.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detection, Detector } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { historyNeed, VOLUME_NEEDS, type EbsVolume, type EbsVolumePrepared } from './resource.ts';
import { gp2BaselineIops, gp2BurstIops, gp2MaxThroughput, gp3Equivalent, volumeMonthlyCost } from './savings.ts';

const DAY_MS = 86_400_000;

/**
 * Why AWS would refuse to modify the volume now (its last modification is not completed), or
 * undefined. With `now` and a progress between 1 and 99 %, a linear estimate of the time left
 * (AWS gives no end time; progress is not guaranteed to be linear, so it says "about").
 */
export function modificationInProgress(mod: { state: string; startTime: number; progress?: number } | undefined, now?: Date): string | undefined {
  if (!mod || (mod.state !== 'modifying' && mod.state !== 'optimizing')) return undefined;
  const p = mod.progress;
  const elapsed = now ? now.getTime() - mod.startTime : 0;
  const left = p !== undefined && p > 0 && p < 100 && elapsed > 0 ? Math.ceil((elapsed * (100 - p)) / p / 60_000) : undefined;
  const estimate = left !== undefined ? `, about ${Math.floor(left / 60)} h ${left % 60} min more at this rate` : '';
  return `a modification started ${new Date(mod.startTime).toISOString()} is still ${mod.state}${p !== undefined ? ` (${p}%${estimate})` : ''}; AWS allows the next one once it is completed (optimizing can take hours on large volumes)`;
}

/** Tags the EBS CSI driver and the in-tree provisioner put on PersistentVolumes. */
const KUBERNETES_TAGS = ['kubernetes.io/created-for/pv/name', 'ebs.csi.aws.com/cluster', 'CSIVolumeName'];

export const ageDays = (v: EbsVolume, now: Date) => Math.floor((now.getTime() - v.createTime) / DAY_MS);

/** What a remediator needs from an unattached-volume finding (kept in `before`). */
export interface UnattachedBefore {
  volume: EbsVolume;
}

/** What a remediator needs from a gp2 finding. */
export interface Gp2Before {
  volume: EbsVolume;
  target: { iops: number; throughput: number };
}

export interface UnattachedOptions {
  days: number;
  allowKubernetes: boolean;
}

export const unattached: Detector<EbsVolume, UnattachedOptions, EbsVolumePrepared> = {
  id: 'unattached',
  resource: 'ebs-volume',
  title: 'Volume unattached (available) for more than N days',
  options: z.object({
    /** Flag volumes created at least this many days ago and with no EBS metric (not attached) in the last this many days. */
    days: z.number().int().min(1).max(365).default(30),
    /** Act on volumes a Kubernetes PersistentVolume with reclaim policy Retain keeps. Default: protected. */
    allowKubernetes: z.boolean().default(false),
  }),
  // The window must cover N days: a volume with an EBS metric in it was attached then.
  needs: (options) => [historyNeed(options.days)],
  permissions: ['cloudwatch:GetMetricData'],
  detect(v, options, { ctx }): Detection | undefined {
    if (v.state !== 'available' || v.attachedTo.length) return undefined;
    const age = ageDays(v, ctx.now);
    if (age < options.days) return undefined;
    // A metric datapoint in the window: the volume was attached within the last N days.
    const detachedDays = v.lastMetricAt == null ? undefined : Math.floor((ctx.now.getTime() - v.lastMetricAt) / DAY_MS);
    if (detachedDays !== undefined && detachedDays < options.days) return undefined;
    const cost = volumeMonthlyCost(v, ctx.prices);
    const snapshotUpperBound = v.sizeGb * ctx.prices.ebsSnapshotStandardGbMonth;
    const saving = Math.max(0, cost.monthlyUsd - snapshotUpperBound);
    const k8s = KUBERNETES_TAGS.find((t) => t in v.tags);
    const protection = k8s && !options.allowKubernetes ? `kept for a Kubernetes PersistentVolume (tag ${k8s}=${v.tags[k8s]}); set allowKubernetes to act on it` : undefined;
    const unattachedFor = detachedDays !== undefined ? `${detachedDays} days (last EBS metric ${new Date(v.lastMetricAt!).toISOString().slice(0, 10)})` : `at least ${Math.min(age, v.historyDays ?? options.days)} days (no EBS metric in the last ${v.historyDays ?? options.days} days; created ${age} days ago)`;
    return {
      reason: `Volume is unattached (available) for ${unattachedFor}; ${v.sizeGb} GiB ${v.volumeType} costs $${usd(cost.monthlyUsd)}/month.${protection ? ` Protected: ${protection}.` : ''}`,
      status: protection ? 'protected' : 'actionable',
      evidence: {
        state: v.state,
        ageDays: age,
        createTime: new Date(v.createTime).toISOString(),
        lastAttachedApprox: v.lastMetricAt ? new Date(v.lastMetricAt).toISOString() : `not in the last ${v.historyDays ?? options.days} days`,
        volumeType: v.volumeType,
        sizeGb: v.sizeGb,
        ...(v.iops !== undefined ? { iops: v.iops } : {}),
        ...(v.throughput !== undefined ? { throughputMiBps: v.throughput } : {}),
        availabilityZone: v.availabilityZone,
        ...(v.snapshotId ? { createdFromSnapshot: v.snapshotId } : {}),
        encrypted: v.encrypted,
        tags: v.tags,
        estimatedMonthlyCostUsd: usd(cost.monthlyUsd),
        ...(protection ? { protection } : {}),
      },
      savings: {
        monthlyUsd: saving,
        basis: [
          `Volume: ${cost.basis}/month.`,
          `Minus the snapshot kept for undo: at most ${v.sizeGb} GiB × $${ctx.prices.ebsSnapshotStandardGbMonth}/GB-month = $${usd(snapshotUpperBound)} (snapshots bill only written blocks, so the real saving is at least $${usd(saving)}/month).`,
        ],
      },
      before: { volume: v } satisfies UnattachedBefore,
    };
  },
};

export interface Gp2Options {
  matchGp2Throughput: boolean;
  minMonthlySavingsUsd: number;
}

export const gp2ToGp3: Detector<EbsVolume, Gp2Options, EbsVolumePrepared> = {
  id: 'gp2-to-gp3',
  resource: 'ebs-volume',
  title: 'gp2 volume that gp3 serves at equal or better performance for less',
  options: z.object({
    /** gp3 throughput at least gp2's maximum for the size (128 or 250 MiB/s); false: gp3's included 125 MiB/s. */
    matchGp2Throughput: z.boolean().default(true),
    /** Flag only volumes where gp3 at equal performance saves at least this many USD a month. */
    minMonthlySavingsUsd: z.number().min(0).default(0.5),
  }),
  needs: [VOLUME_NEEDS.modifications],
  detect(v, options, { ctx, prepared }): Detection | undefined {
    if (v.volumeType !== 'gp2' || (v.state !== 'in-use' && v.state !== 'available')) return undefined;
    const target = gp3Equivalent(v.sizeGb, options.matchGp2Throughput);
    const now = volumeMonthlyCost(v, ctx.prices);
    const after = volumeMonthlyCost({ volumeType: 'gp3', sizeGb: v.sizeGb, ...target }, ctx.prices);
    const saving = now.monthlyUsd - after.monthlyUsd;
    if (saving < options.minMonthlySavingsUsd || saving <= 0) return undefined;
    const mod = prepared.modifications.get(v.id);
    const protection = modificationInProgress(mod, ctx.now);
    return {
      reason: `gp2 ${v.sizeGb} GiB (baseline ${gp2BaselineIops(v.sizeGb)} IOPS, burst ${gp2BurstIops(v.sizeGb)}, up to ${gp2MaxThroughput(v.sizeGb)} MiB/s) would cost $${usd(after.monthlyUsd)} instead of $${usd(now.monthlyUsd)}/month as gp3 with ${target.iops} IOPS and ${target.throughput} MiB/s.${protection ? ` Protected: ${protection}.` : ''}`,
      status: protection ? 'protected' : 'actionable',
      evidence: {
        state: v.state,
        sizeGb: v.sizeGb,
        attachedTo: v.attachedTo,
        gp2: { baselineIops: gp2BaselineIops(v.sizeGb), burstIops: gp2BurstIops(v.sizeGb), maxThroughputMiBps: gp2MaxThroughput(v.sizeGb) },
        gp3: { iops: target.iops, throughputMiBps: target.throughput },
        monthlyCostUsd: { gp2: usd(now.monthlyUsd), gp3: usd(after.monthlyUsd) },
        ...(mod ? { lastModification: { state: mod.state, startTime: new Date(mod.startTime).toISOString() } } : {}),
        ...(protection ? { protection } : {}),
      },
      savings: { monthlyUsd: saving, basis: [`Now: ${now.basis}/month.`, `As gp3: ${after.basis}/month.`] },
      before: { volume: v, target } satisfies Gp2Before,
    };
  },
};
