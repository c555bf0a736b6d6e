/**
 * Provisioned performance of gp3, io1 and io2 volumes, both ways:
 * - `volume-at-ceiling` (performance): the volume's IOPS or throughput sits at what is
 *   provisioned for a share of hours → action `raise-volume-performance`;
 * - `iops-over-provisioned` (cost): provisioned IOPS far above the peak use → action
 *   `lower-volume-iops`.
 *
 * Use comes from one batched GetMetricData per 100 volumes (5 queries each, ≤500 a call):
 * hourly Sums of AWS/EBS VolumeReadOps, VolumeWriteOps, VolumeReadBytes, VolumeWriteBytes and
 * VolumeIdleTime. Per hour, IOPS = ops / active seconds, where active seconds = 3,600 −
 * VolumeIdleTime (EBS User Guide, "Amazon EBS metrics": average IOPS while the volume was
 * active); throughput likewise in MiB/s. Hourly figures smooth bursts, so the raise uses a
 * share of hours at ≥ ceilingPercent and the lowering keeps headroom over the hourly peak.
 *
 * Limits (EC2 API reference, ModifyVolume Iops/Throughput; EBS User Guide, volume types):
 * gp3 3,000–80,000 IOPS at most 500 per GiB, 125–2,000 MiB/s at most 0.25 MiB/s per IOPS;
 * io1 100–64,000 IOPS at most 50 per GiB; io2 100–256,000 IOPS at most 1,000 per GiB.
 * Both actions use ModifyVolume and its rules: one modification at a time (the last must be
 * `completed`, else IncorrectModificationState) and four per volume in a rolling 24 hours
 * (VolumeModificationRateExceeded): both are reported as protected, never retried in a loop.
 */
import { DescribeVolumesModificationsCommand, EC2Client, ModifyVolumeCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { retryTransient } from '../../aws/consistency.ts';
import { computeOptimizerPermissions } from '../../compute-optimizer/recommendations.ts';
import { SKIP_TAG } from '../protection.ts';
import type { ActionRecord, Detection, Detector, Finding, RegionContext, Remediator } from '../../engine/types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { modificationInProgress } from './detectors.ts';
import { describeVolume } from './remediators.ts';
import { VOLUME_NEEDS, type EbsVolume, type EbsVolumePrepared } from './resource.ts';
import { volumeMonthlyCost } from './savings.ts';
import { ioUsageNeed, PERFORMANCE_TYPES, round, type IoUsage, type VolumeWithIo } from './io-usage.ts';

export { ioUsageNeed, readIoUsage, withIoUsage, VOLUMES_PER_METRIC_CALL, PERFORMANCE_TYPES, type IoUsage, type VolumeWithIo } from './io-usage.ts';

const MIB = 1024 * 1024;

// ── limits ───────────────────────────────────────────────────────────────────────────────

export interface PerformanceLimits {
  minIops: number;
  maxIops: number;
  /** MiB/s; undefined: throughput is not provisioned separately (io1/io2). */
  minThroughput?: number;
  maxThroughput?: number;
}

/** What ModifyVolume accepts for a type and size (see the header for the sources). */
export function limitsFor(volumeType: string, sizeGb: number): PerformanceLimits | undefined {
  switch (volumeType) {
    case 'gp3':
      return { minIops: 3000, maxIops: Math.max(3000, Math.min(80_000, 500 * sizeGb)), minThroughput: 125, maxThroughput: 2000 };
    case 'io1':
      return { minIops: 100, maxIops: Math.max(100, Math.min(64_000, 50 * sizeGb)) };
    case 'io2':
      return { minIops: 100, maxIops: Math.max(100, Math.min(256_000, 1000 * sizeGb)) };
    default:
      return undefined;
  }
}

/** gp3: at most 0.25 MiB/s per provisioned IOPS above the included 125 MiB/s. */
export const gp3MinIopsFor = (throughput: number) => (throughput > 125 ? Math.ceil(throughput / 0.25) : 3000);

export interface PerformanceTarget {
  iops: number;
  throughput?: number;
}

export interface RaiseOptions {
  maxStepPercent: number;
}

/**
 * The raised settings: the saturated dimension(s) up by at most maxStepPercent, within the
 * type's limits for the size; gp3 IOPS raised too when throughput needs them (0.25 MiB/s per IOPS).
 */
export function proposeRaise(v: EbsVolume, saturated: { iops: boolean; throughput: boolean }, options: RaiseOptions): PerformanceTarget | string {
  const limits = limitsFor(v.volumeType, v.sizeGb);
  if (!limits) return `${v.volumeType} has no provisioned IOPS to raise.`;
  const iopsNow = v.iops ?? limits.minIops;
  const grow = (x: number) => Math.ceil(x * (1 + options.maxStepPercent / 100));
  let iops = saturated.iops ? Math.min(limits.maxIops, grow(iopsNow)) : iopsNow;
  let throughput: number | undefined;
  if (v.volumeType === 'gp3') {
    const tpNow = v.throughput ?? 125;
    throughput = saturated.throughput ? Math.min(limits.maxThroughput!, grow(tpNow)) : tpNow;
    // Throughput needs IOPS: raise them within the limit, else hold throughput to what the IOPS allow.
    iops = Math.max(iops, Math.min(limits.maxIops, gp3MinIopsFor(throughput)));
    if (throughput > 125 && throughput > iops * 0.25) throughput = Math.max(tpNow, Math.floor(iops * 0.25));
  }
  if (iops <= iopsNow && (throughput === undefined || throughput <= (v.throughput ?? 125))) {
    return `Already at the limit for a ${v.sizeGb} GiB ${v.volumeType} volume (${limits.maxIops} IOPS${limits.maxThroughput ? `, ${limits.maxThroughput} MiB/s` : ''}): grow the volume or change its type.`;
  }
  return { iops, ...(throughput !== undefined ? { throughput } : {}) };
}

export interface LowerOptions {
  headroomPercent: number;
}

/** The lowered IOPS: the hourly peak plus headroom, never below the type's minimum (gp3: what its throughput needs). */
export function proposeLower(v: EbsVolume, peakIops: number, options: LowerOptions): number {
  const limits = limitsFor(v.volumeType, v.sizeGb)!;
  const floor = v.volumeType === 'gp3' ? Math.max(limits.minIops, gp3MinIopsFor(v.throughput ?? 125)) : limits.minIops;
  // Round up to 100 IOPS: a tidy number a person can read, never below the peak + headroom.
  return Math.max(floor, Math.ceil((peakIops * (1 + options.headroomPercent / 100)) / 100) * 100);
}

/** Monthly cost now and after, as savings (negative: the change costs more). */
export function performanceSavings(v: EbsVolume, target: PerformanceTarget, prices: PriceTable) {
  const now = volumeMonthlyCost(v, prices);
  const after = volumeMonthlyCost({ volumeType: v.volumeType, sizeGb: v.sizeGb, iops: target.iops, throughput: target.throughput ?? v.throughput }, prices);
  const delta = usd(now.monthlyUsd - after.monthlyUsd);
  return { monthlyUsd: delta, basis: [`Now: ${now.basis}/month.`, `After: ${after.basis}/month.`, delta < 0 ? `Added cost $${usd(-delta)}/month, shown as a negative saving.` : `Saves $${usd(delta)}/month.`] };
}

// ── detectors ────────────────────────────────────────────────────────────────────────────

const present = (values: (number | null)[]) => values.filter((x): x is number => x !== null);
const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

/** What a remediator needs from a performance finding. */
export interface PerformanceBefore {
  volume: EbsVolume;
  target: PerformanceTarget;
}

const busyProtection = (v: EbsVolume, prepared: EbsVolumePrepared, now: Date) => modificationInProgress(prepared.modifications.get(v.id), now);

export interface CeilingOptions {
  windowDays: number;
  minDatapoints: number;
  ceilingPercent: number;
  minShare: number;
}

export const DEFAULT_RAISE: RaiseOptions = { maxStepPercent: 50 };
export const DEFAULT_LOWER: LowerOptions = { headroomPercent: 50 };

export const volumeAtCeiling: Detector<VolumeWithIo, CeilingOptions, EbsVolumePrepared> = {
  id: 'volume-at-ceiling',
  resource: 'ebs-volume',
  title: 'gp3/io1/io2 volume whose IOPS or throughput sits at what is provisioned (performance)',
  options: z.object({
    /** Days of EBS metrics to judge by. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** Hourly datapoints needed before judging. */
    minDatapoints: z.number().int().min(1).default(30),
    /** An hour counts as "at the ceiling" at this share of the provisioned IOPS or throughput, percent. */
    ceilingPercent: z.number().min(50).max(100).default(90),
    /** Flag when at least this share of hours is at the ceiling. */
    minShare: z.number().min(0.01).max(1).default(0.1),
  }),
  needs: (o) => [ioUsageNeed(o.windowDays ?? 14), VOLUME_NEEDS.modifications],
  // It proposes a size (evidence.candidate): the engine asks Compute Optimizer for a second opinion.
  permissions: ['cloudwatch:GetMetricData', ...computeOptimizerPermissions('ebs-volume')],
  detect(v, options, { ctx, prepared }): Detection | undefined {
    if (!v.ioUsage || !PERFORMANCE_TYPES.includes(v.volumeType)) return undefined;
    const iops = v.ioUsage.iops.slice(-options.windowDays * 24);
    const tp = v.ioUsage.throughput.slice(-options.windowDays * 24);
    const hours = present(iops).length;
    if (hours < options.minDatapoints) return undefined;
    const limit = options.ceilingPercent / 100;
    const provIops = v.iops ?? 0;
    const provTp = v.volumeType === 'gp3' ? (v.throughput ?? 125) : undefined;
    const iopsHot = iops.filter((x) => x !== null && provIops > 0 && x >= provIops * limit).length / hours;
    const tpHot = provTp ? tp.filter((x) => x !== null && x >= provTp * limit).length / hours : 0;
    const saturated = { iops: iopsHot >= options.minShare, throughput: tpHot >= options.minShare };
    if (!saturated.iops && !saturated.throughput) return undefined;
    const target = proposeRaise(v, saturated, DEFAULT_RAISE);
    const words = [
      saturated.iops ? `IOPS at ≥${options.ceilingPercent} % of the ${provIops.toLocaleString('en-US')} provisioned for ${Math.round(iopsHot * 100)} % of hours` : '',
      saturated.throughput ? `throughput at ≥${options.ceilingPercent} % of the ${provTp} MiB/s provisioned for ${Math.round(tpHot * 100)} % of hours` : '',
    ].filter(Boolean);
    const summary = words.join('; ');
    const protection = busyProtection(v, prepared, ctx.now);
    const atLimit = typeof target === 'string' ? target : undefined;
    return {
      reason: `${v.id} (${v.sizeGb} GiB ${v.volumeType}): ${summary}.${atLimit ? ` ${atLimit}` : ''}${protection ? ` Protected: ${protection}.` : ''}`,
      status: protection ? 'protected' : 'actionable',
      evidence: {
        volumeType: v.volumeType,
        sizeGb: v.sizeGb,
        attachedTo: v.attachedTo,
        provisionedIops: provIops,
        ...(provTp ? { provisionedThroughputMiBps: provTp } : {}),
        hoursWithData: hours,
        iopsAtCeilingShare: round(iopsHot, 2),
        throughputAtCeilingShare: round(tpHot, 2),
        saturated,
        iopsP95: round(percentile(present(iops), 95)),
        iopsMax: round(Math.max(0, ...present(iops))),
        throughputP95MiBps: round(percentile(present(tp), 95), 2),
        /** Compute Optimizer convention: the proposed size (IOPS) in `candidate`. */
        ...(typeof target === 'string' ? {} : { candidate: target.iops, candidateThroughputMiBps: target.throughput ?? null, candidateDetail: describeTarget(target) }),
        ...(protection ? { protection } : {}),
      },
      savings: typeof target === 'string' ? { monthlyUsd: 0, basis: [target] } : performanceSavings(v, target, ctx.prices),
      benefit: ['performance'],
      risk: { summary, evidence: { iopsAtCeilingShare: round(iopsHot, 2), throughputAtCeilingShare: round(tpHot, 2), provisionedIops: provIops, ...(provTp ? { provisionedThroughputMiBps: provTp } : {}) } },
      before: { volume: stripUsage(v), target: typeof target === 'string' ? { iops: provIops, ...(provTp ? { throughput: provTp } : {}) } : target } satisfies PerformanceBefore,
    };
  },
};

export interface OverProvisionedOptions {
  windowDays: number;
  minDatapoints: number;
  maxUsePercent: number;
  minMonthlySavingsUsd: number;
}

export const iopsOverProvisioned: Detector<VolumeWithIo, OverProvisionedOptions, EbsVolumePrepared> = {
  id: 'iops-over-provisioned',
  resource: 'ebs-volume',
  title: 'io1/io2 (or gp3 above 3,000) volume whose provisioned IOPS stay far above the peak use',
  options: z.object({
    /** Days of EBS metrics to judge by. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** Hourly datapoints needed before judging (a volume whose metrics are missing is never lowered). */
    minDatapoints: z.number().int().min(1).default(300),
    /** Flag when the hourly IOPS peak stays under this share of what is provisioned, percent. */
    maxUsePercent: z.number().min(1).max(90).default(30),
    /** Flag only when lowering saves at least this many USD a month. */
    minMonthlySavingsUsd: z.number().min(0).default(5),
  }),
  needs: (o) => [ioUsageNeed(o.windowDays ?? 14), VOLUME_NEEDS.modifications],
  // It proposes a size (evidence.candidate): the engine asks Compute Optimizer for a second opinion.
  permissions: ['cloudwatch:GetMetricData', ...computeOptimizerPermissions('ebs-volume')],
  detect(v, options, { ctx, prepared }): Detection | undefined {
    if (!v.ioUsage || !PERFORMANCE_TYPES.includes(v.volumeType) || v.iops === undefined) return undefined;
    const limits = limitsFor(v.volumeType, v.sizeGb)!;
    if (v.iops <= limits.minIops) return undefined;
    const iops = present(v.ioUsage.iops.slice(-options.windowDays * 24));
    if (iops.length < options.minDatapoints) return undefined;
    const peak = Math.max(0, ...iops);
    if (peak > (v.iops * options.maxUsePercent) / 100) return undefined;
    const to = proposeLower(v, peak, DEFAULT_LOWER);
    if (to >= v.iops) return undefined;
    const target: PerformanceTarget = { iops: to, ...(v.volumeType === 'gp3' ? { throughput: v.throughput ?? 125 } : {}) };
    const savings = performanceSavings(v, target, ctx.prices);
    if (savings.monthlyUsd < options.minMonthlySavingsUsd) return undefined;
    const protection = busyProtection(v, prepared, ctx.now);
    return {
      reason: `${v.id} (${v.sizeGb} GiB ${v.volumeType}) has ${v.iops.toLocaleString('en-US')} IOPS provisioned; the busiest hour of ${options.windowDays} days used ${round(peak)} (${Math.round((peak / v.iops) * 100)} %). ${to.toLocaleString('en-US')} IOPS keep ${DEFAULT_LOWER.headroomPercent} % headroom for $${usd(savings.monthlyUsd)}/month less.${protection ? ` Protected: ${protection}.` : ''}`,
      status: protection ? 'protected' : 'actionable',
      evidence: {
        volumeType: v.volumeType,
        sizeGb: v.sizeGb,
        attachedTo: v.attachedTo,
        provisionedIops: v.iops,
        hoursWithData: iops.length,
        iopsPeakHourly: round(peak),
        iopsP95: round(percentile(iops, 95)),
        candidate: to,
        ...(protection ? { protection } : {}),
      },
      savings,
      before: { volume: stripUsage(v), target } satisfies PerformanceBefore,
    };
  },
};

/** The finding keeps the volume, not its 336-hour series. */
function stripUsage(v: VolumeWithIo): EbsVolume {
  const { ioUsage: _usage, ...volume } = v;
  return volume;
}

// ── remediators ──────────────────────────────────────────────────────────────────────────

export interface PerformanceParams {
  volumeId: string;
  volumeType: string;
  from: PerformanceTarget;
  to: PerformanceTarget;
}

interface PerformanceAfter {
  to: PerformanceTarget;
  modificationStartTime?: string;
  alreadyGone?: boolean;
  alreadyDone?: boolean;
}

const NOT_FOUND = 'InvalidVolume.NotFound';
const MODIFICATION_NOT_FOUND = 'InvalidVolumeModification.NotFound';
const describeTarget = (t: PerformanceTarget) => `${t.iops.toLocaleString('en-US')} IOPS${t.throughput !== undefined ? `, ${t.throughput} MiB/s` : ''}`;
const sameAs = (v: EbsVolume, t: PerformanceTarget) => v.iops === t.iops && (t.throughput === undefined || v.throughput === t.throughput);

async function latestModification(ec2: EC2Client, id: string) {
  const out = await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [id] }));
  return out.VolumesModifications?.sort((a, b) => new Date(b.StartTime ?? 0).getTime() - new Date(a.StartTime ?? 0).getTime())[0];
}

async function busy(ec2: EC2Client, id: string, now: Date): Promise<string | undefined> {
  let m;
  try {
    m = await latestModification(ec2, id);
  } catch (error) {
    if (awsErrorName(error) === MODIFICATION_NOT_FOUND) return undefined;
    throw error;
  }
  if (!m?.StartTime) return undefined;
  return modificationInProgress({ state: m.ModificationState ?? 'unknown', startTime: new Date(m.StartTime).getTime(), ...(m.Progress !== undefined ? { progress: m.Progress } : {}) }, now);
}

async function modify(ctx: RegionContext, id: string, to: PerformanceTarget) {
  const ec2 = ctx.clients.get(EC2Client, ctx.region);
  const out = await ec2.send(new ModifyVolumeCommand({ VolumeId: id, Iops: to.iops, ...(to.throughput !== undefined ? { Throughput: to.throughput } : {}) }));
  return out.VolumeModification?.StartTime ? new Date(out.VolumeModification.StartTime).toISOString() : ctx.now.toISOString();
}

function performanceRemediator<O>(spec: {
  id: string;
  title: string;
  options: z.ZodObject<any>;
  defaultMode: 'approval' | 'dry-run';
  undoable: 'yes';
  undoLimits: string;
  plan(finding: Finding, before: PerformanceBefore, options: O, prices: PriceTable): ReturnType<Remediator<PerformanceParams, O>['plan']>;
}): Remediator<PerformanceParams, O> {
  return {
    id: spec.id,
    resource: 'ebs-volume',
    title: spec.title,
    options: spec.options,
    permissions: ['ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications', 'ec2:ModifyVolume'],
    defaultMode: spec.defaultMode,
    undoable: spec.undoable,
    undoLimits: spec.undoLimits,

    plan(finding, options, { prices }) {
      const before = finding.before as PerformanceBefore | undefined;
      if (!before?.volume || !before.target) return { kind: 'conflict', reason: `Finding from detector '${finding.detector}' carries no volume performance; use 'volume-at-ceiling' or 'iops-over-provisioned' with this action.` };
      return spec.plan(finding, before, options, prices);
    },

    async apply(ctx, plan) {
      const ec2 = ctx.clients.get(EC2Client, ctx.region);
      const { volumeId: id, from, to } = plan.params;
      const current = await describeVolume(ec2, id);
      if (!current) return { after: { to, alreadyGone: true } satisfies PerformanceAfter, detail: `${id} no longer exists: counts as done` };
      if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}`);
      if (current.volumeType === plan.params.volumeType && sameAs(current, to)) {
        return { before: { volume: current }, after: { to, alreadyDone: true } satisfies PerformanceAfter, detail: `${id} already has ${describeTarget(to)}` };
      }
      if (current.volumeType !== plan.params.volumeType || !sameAs(current, from)) {
        throw new ProtectedResourceError(`${id} is now ${current.volumeType} with ${current.iops ?? '-'} IOPS${current.throughput ? `, ${current.throughput} MiB/s` : ''}, not ${plan.params.volumeType} with ${describeTarget(from)} as when detected: someone changed it; nothing was changed`);
      }
      const inProgress = await busy(ec2, id, ctx.now);
      if (inProgress) throw new ProtectedResourceError(`${id}: ${inProgress}; nothing was changed, a later run retries`);
      try {
        const start = await modify(ctx, id, to);
        return { before: { volume: current }, after: { to, modificationStartTime: start } satisfies PerformanceAfter, detail: `${describeTarget(from)} → ${describeTarget(to)} (modification started ${start})` };
      } catch (error) {
        const name = awsErrorName(error);
        if (name === NOT_FOUND) return { after: { to, alreadyGone: true } satisfies PerformanceAfter, detail: `${id} vanished: counts as done` };
        // One modification at a time, four per rolling 24 hours (ModifyVolume): a later run retries.
        if (name === 'VolumeModificationRateExceeded' || name === 'IncorrectModificationState') throw new ProtectedResourceError(`${name}: ${errorMessage(error)} A later run retries.`, { cause: error });
        throw error;
      }
    },

    async verify(ctx, plan, applied) {
      const after = applied.after as PerformanceAfter;
      if (after.alreadyGone) return { ok: true, detail: `${plan.params.volumeId} is gone` };
      if (after.alreadyDone) return { ok: true, detail: `${plan.params.volumeId} already had ${describeTarget(plan.params.to)}` };
      const ec2 = ctx.clients.get(EC2Client, ctx.region);
      // Right after ModifyVolume the record may not be readable yet: retried through the clock.
      let m;
      try {
        m = await retryTransient(ctx.clock, [MODIFICATION_NOT_FOUND], () => latestModification(ec2, plan.params.volumeId));
      } catch (error) {
        if (awsErrorName(error) !== MODIFICATION_NOT_FOUND) throw error;
      }
      const to = plan.params.to;
      if (!m || m.ModificationState === 'failed' || m.TargetIops !== to.iops || (to.throughput !== undefined && m.TargetThroughput !== to.throughput)) {
        return { ok: false, detail: `${plan.params.volumeId}: no modification to ${describeTarget(to)} (${m ? `${m.ModificationState}: ${m.TargetIops} IOPS, ${m.TargetThroughput ?? '-'} MiB/s` : 'none found'})` };
      }
      return { ok: true, detail: `${plan.params.volumeId}: modification to ${describeTarget(to)} ${m.ModificationState}` };
    },

    async undo(ctx, record: ActionRecord) {
      const ec2 = ctx.clients.get(EC2Client, ctx.region);
      const params = record.params as PerformanceParams;
      const after = record.after as PerformanceAfter | undefined;
      const id = params.volumeId;
      if (!after || after.alreadyGone) throw new UndoRefusedError(`${id} no longer existed when trimtab acted; nothing to undo.`);
      if (after.alreadyDone) throw new UndoRefusedError(`${id} already had ${describeTarget(params.to)} when trimtab acted; trimtab changed nothing to undo.`);
      const current = await describeVolume(ec2, id);
      if (!current) throw new UndoRefusedError(`${id} no longer exists.`);
      if (current.volumeType !== params.volumeType || !sameAs(current, params.to)) {
        throw new UndoRefusedError(`${id} changed since trimtab modified it (now ${current.volumeType}, ${current.iops ?? '-'} IOPS, ${current.throughput ?? '-'} MiB/s; trimtab set ${describeTarget(params.to)}): not undone.`);
      }
      const inProgress = await busy(ec2, id, ctx.now);
      if (inProgress) throw new UndoRefusedError(`${id}: ${inProgress}. Try the undo again when DescribeVolumesModifications shows it completed; nothing was changed.`);
      try {
        await modify(ctx, id, params.from);
      } catch (error) {
        const name = awsErrorName(error);
        if (name === 'VolumeModificationRateExceeded' || name === 'IncorrectModificationState') {
          throw new UndoRefusedError(`${id}: AWS refused the modification back to ${describeTarget(params.from)} (${name}: ${errorMessage(error)}). Nothing was changed; try the undo again later.`, { cause: error });
        }
        throw error;
      }
      return { detail: `Modification of ${id} back to ${describeTarget(params.from)} started.`, after: { to: params.from } };
    },
  };
}

const fromOf = (v: EbsVolume): PerformanceTarget => ({ iops: v.iops ?? 0, ...(v.volumeType === 'gp3' ? { throughput: v.throughput ?? 125 } : {}) });

export const raiseVolumePerformance = performanceRemediator<RaiseOptions>({
  id: 'raise-volume-performance',
  title: 'Raise the provisioned IOPS/throughput of a volume at its ceiling, by a bounded step, online (ModifyVolume)',
  options: z.object({
    /** At most this share added to IOPS (and gp3 throughput) per change, percent. */
    maxStepPercent: z.number().min(1).max(400).default(DEFAULT_RAISE.maxStepPercent),
  }),
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "IOPS and throughput already billed at the higher level; no data is lost. The undo waits until this modification completes and counts toward AWS's four modifications in 24 hours.",
  plan(finding, before, options, prices) {
    const v = before.volume;
    const saturated = (finding.evidence as { saturated?: { iops: boolean; throughput: boolean } }).saturated;
    if (!saturated) return { kind: 'conflict', reason: `Finding from detector '${finding.detector}' is not a ceiling finding; use 'volume-at-ceiling' with this action.` };
    const target = proposeRaise(v, saturated, options);
    if (typeof target === 'string') return { kind: 'noop', reason: target };
    const from = fromOf(v);
    return {
      kind: 'change',
      summary: `Raise ${v.id} (${v.sizeGb} GiB ${v.volumeType}) from ${describeTarget(from)} to ${describeTarget(target)}, online (at most +${options.maxStepPercent}% a change).`,
      params: { volumeId: v.id, volumeType: v.volumeType, from, to: target },
      undo: `trimtab undo modifies it back to ${describeTarget(from)} once this modification is completed (AWS allows one at a time and four in 24 hours), and only if nobody changed the volume since.`,
      savings: performanceSavings(v, target, prices),
    };
  },
});

export const lowerVolumeIops = performanceRemediator<LowerOptions>({
  id: 'lower-volume-iops',
  title: 'Lower the provisioned IOPS of a volume to its hourly peak plus headroom, online (ModifyVolume)',
  options: z.object({
    /** IOPS kept above the busiest hour, percent. */
    headroomPercent: z.number().min(10).max(500).default(DEFAULT_LOWER.headroomPercent),
  }),
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "I/O throttled at the lower IOPS meanwhile is not replayed; no data is lost. The undo waits until this modification completes and counts toward AWS's four modifications in 24 hours.",
  plan(finding, before, options, prices) {
    const v = before.volume;
    const peak = (finding.evidence as { iopsPeakHourly?: number }).iopsPeakHourly;
    if (peak === undefined) return { kind: 'conflict', reason: `Finding from detector '${finding.detector}' has no IOPS peak; use 'iops-over-provisioned' with this action.` };
    const to = proposeLower(v, peak, options);
    if (to >= (v.iops ?? 0)) return { kind: 'noop', reason: `${peak} IOPS + ${options.headroomPercent}% headroom needs ${to} IOPS: no lower than the ${v.iops} provisioned.` };
    const from = fromOf(v);
    const target: PerformanceTarget = { iops: to, ...(from.throughput !== undefined ? { throughput: from.throughput } : {}) };
    return {
      kind: 'change',
      summary: `Lower ${v.id} (${v.sizeGb} GiB ${v.volumeType}) from ${describeTarget(from)} to ${describeTarget(target)}, online (busiest hour ${peak} IOPS + ${options.headroomPercent}% headroom).`,
      params: { volumeId: v.id, volumeType: v.volumeType, from, to: target },
      undo: `trimtab undo modifies it back to ${describeTarget(from)} once this modification is completed (AWS allows one at a time and four in 24 hours), and only if nobody changed the volume since.`,
      savings: performanceSavings(v, target, prices),
    };
  },
});
