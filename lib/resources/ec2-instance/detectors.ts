/**
 * EC2 instance detectors.
 * - idle-instance: Trusted Advisor's low-utilization test made configurable: a day is idle when
 *   its average CPU is ≤ maxCpuPercent and NetworkIn + NetworkOut ≤ maxNetworkMb; the instance
 *   is idle when at least minIdleDays of the window's days are. Module protections (status
 *   'protected', reason in evidence.protection): instance-store root (cannot be stopped),
 *   instance-store volumes on an EBS-backed instance (c5d, m5d, i3, …: a stop erases them; the
 *   option allowInstanceStoreLoss acts anyway), in an Auto Scaling group (the group would
 *   replace it), spot (cannot be stopped), too little data.
 * - previous-generation-type: m4/c4/r4/t2/… with the current-generation successor (report only).
 * - previous-generation-volumes: attached io1 and magnetic volumes (report only).
 * Prices come from the one price table; unknown prices give 0, never a guess.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detection, Detector } from '../../engine/types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { ec2HourlyFor } from '../../savings/licensed.ts';
import { instanceGenerationAdvice, volumeGenerationAdvice } from './generations.ts';
import { ASG_TAG, EC2_NEEDS, ec2InstanceResource, windowNeed, type Ec2Instance, type Ec2InstancePrepared } from './resource.ts';

const MB = 1_000_000;

export interface IdleOptions {
  windowDays: number;
  maxCpuPercent: number;
  maxNetworkMb: number;
  minIdleDays: number;
  allowInstanceStoreLoss: boolean;
}

/** What stop-instance needs from the finding. */
export interface InstanceBefore {
  instanceId: string;
  instanceType: string;
  state: string;
  rootDeviceType: string;
  volumeIds: string[];
  launchTime?: string;
  /** Instance storage of its type, GB (0: none; null: AWS did not describe the type; absent: not asked). */
  instanceStorageGb?: number | null;
  /** The policy accepted losing instance-store data (detector option allowInstanceStoreLoss). */
  allowInstanceStoreLoss?: boolean;
  /** Its public IPv4 address: `ephemeral` (released by the stop), `elastic` (kept); absent: none. */
  publicIpv4?: 'ephemeral' | 'elastic';
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Why stopping this instance is not safe (module protections), or undefined. Instance-store
 * volumes lose their data on stop even when the root is EBS (EC2 User Guide, "Instance store
 * temporary block storage": data persists only during the instance's lifetime).
 */
export function stopProtection(i: Pick<Ec2Instance, 'rootDeviceType' | 'tags' | 'lifecycle' | 'instanceType' | 'instanceStorageGb'>, allowInstanceStoreLoss = false): string | undefined {
  if (i.rootDeviceType !== 'ebs') return `its root device is ${i.rootDeviceType}, not EBS: it cannot be stopped, only terminated (its data would be lost)`;
  if (i.instanceStorageGb === null && !allowInstanceStoreLoss) {
    return `DescribeInstanceTypes did not describe ${i.instanceType}, so instance-store volumes (erased by a stop) cannot be ruled out (set allowInstanceStoreLoss to stop it anyway)`;
  }
  if (i.instanceStorageGb && !allowInstanceStoreLoss) {
    return `${i.instanceType} has ${i.instanceStorageGb} GB of instance-store volumes: stopping erases their data (set allowInstanceStoreLoss to stop it anyway)`;
  }
  if (ASG_TAG in i.tags) return `it belongs to Auto Scaling group ${i.tags[ASG_TAG]} (tag ${ASG_TAG}): a stopped instance fails health checks and the group replaces it; resize the group instead`;
  if (i.lifecycle === 'spot') return 'it is a spot instance: one-time spot instances cannot be stopped';
  return undefined;
}

/** Compute cost of the instance for a month, from the price table: its type, operating system (PlatformDetails) and tenancy. */
export function instanceMonthly(instanceType: string, prices: PriceTable, volumeCount: number, platform?: { platformDetails?: string; tenancy?: string }): { monthlyUsd: number; basis: string[] } {
  const priced = ec2HourlyFor(prices, instanceType, platform?.platformDetails, platform?.tenancy);
  const ebs = `Its ${volumeCount} EBS volume${volumeCount === 1 ? '' : 's'} stay${volumeCount === 1 ? 's' : ''} billed while it is stopped (storage is not part of this saving); an attached Elastic IP is billed too.`;
  if ('why' in priced) return { monthlyUsd: 0, basis: [`${priced.why}: saving not estimated.`, ebs] };
  const monthlyUsd = priced.hourly * prices.hoursPerMonth;
  return { monthlyUsd, basis: [`${priced.label} on-demand $${priced.hourly}/h × ${prices.hoursPerMonth} h = $${usd(monthlyUsd)}/month of compute (list price; Savings Plans or RIs lower it).`, ebs] };
}

export const idleInstance: Detector<Ec2Instance, IdleOptions, Ec2InstancePrepared> = {
  id: 'idle-instance',
  resource: ec2InstanceResource.id,
  title: 'Running instances whose CPU and network stayed under thresholds on most days of the window (Trusted Advisor-style)',
  options: z.object({
    /** Whole UTC days of CloudWatch metrics to judge by, ending at midnight. */
    windowDays: z.number().int().min(4).max(63).default(14),
    /** A day is idle when its average CPU is at most this. Trusted Advisor: 10. */
    maxCpuPercent: z.number().min(0).max(100).default(10),
    /** …and NetworkIn + NetworkOut over the day is at most this many MB (10^6 bytes). Trusted Advisor: 5. */
    maxNetworkMb: z.number().min(0).default(5),
    /** Idle days needed in the window. Trusted Advisor flags at 4 of 14; stopping asks for most days. */
    minIdleDays: z.number().int().min(1).default(10),
    /** Stop EBS-backed instances that have instance-store volumes too (their data is lost). Default: protected. */
    allowInstanceStoreLoss: z.boolean().default(false),
  }),
  needs: (o) => [EC2_NEEDS.usage, windowNeed(o.windowDays), EC2_NEEDS.instanceStorage],
  permissions: ['cloudwatch:GetMetricData'],

  detect(i, o, { ctx }) {
    if (i.state !== 'running' || !i.usage) return undefined;
    if (o.minIdleDays > o.windowDays) throw new Error(`idle-instance: minIdleDays (${o.minIdleDays}) cannot exceed windowDays (${o.windowDays}).`);
    const days = i.usage.days.slice(-o.windowDays);
    const known = days.filter((d) => d.cpuPercent !== null && d.networkBytes !== null);
    const idle = known.filter((d) => d.cpuPercent! <= o.maxCpuPercent && d.networkBytes! <= o.maxNetworkMb * MB);
    // Busy on some day and short of the idle days needed: not idle.
    if (idle.length < o.minIdleDays && idle.length < known.length) return undefined;
    const evidence: Record<string, unknown> = {
      instanceType: i.instanceType,
      windowDays: o.windowDays,
      daysWithData: known.length,
      idleDays: idle.length,
      thresholds: { maxCpuPercent: o.maxCpuPercent, maxNetworkMb: o.maxNetworkMb, minIdleDays: o.minIdleDays },
      maxDailyCpuPercent: known.length ? round(Math.max(...known.map((d) => d.cpuPercent!))) : null,
      maxDailyNetworkMb: known.length ? round(Math.max(...known.map((d) => d.networkBytes!)) / MB) : null,
      daily: days.map((d) => ({ day: d.day, cpuPercent: d.cpuPercent === null ? null : round(d.cpuPercent, 1), networkMb: d.networkBytes === null ? null : round(d.networkBytes / MB, 2) })),
      rootDeviceType: i.rootDeviceType,
      ...(i.instanceStorageGb ? { instanceStorageGb: i.instanceStorageGb } : {}),
      ...(i.tags[ASG_TAG] ? { autoScalingGroup: i.tags[ASG_TAG] } : {}),
      ...(i.lifecycle ? { lifecycle: i.lifecycle } : {}),
    };
    if (idle.length < o.minIdleDays) {
      // Idle on every day with data, but not enough days to judge (new instance, missing metrics).
      const protection = `too little data: ${known.length} of ${o.windowDays} days have metrics, ${o.minIdleDays} idle days are needed`;
      return { reason: `${i.id} looks idle but has only ${known.length} days of metrics.`, evidence: { ...evidence, protection }, status: 'protected' };
    }
    const savings = instanceMonthly(i.instanceType, ctx.prices, i.volumeIds.length, { platformDetails: i.platformDetails, tenancy: i.placement?.tenancy });
    const reason = `${i.id} (${i.instanceType}) was idle on ${idle.length} of ${o.windowDays} days: CPU ≤ ${o.maxCpuPercent}% and network ≤ ${o.maxNetworkMb} MB a day.`;
    const before: InstanceBefore = {
      instanceId: i.id, instanceType: i.instanceType, state: i.state, rootDeviceType: i.rootDeviceType, volumeIds: i.volumeIds,
      ...(i.launchTime ? { launchTime: i.launchTime } : {}),
      ...(i.instanceStorageGb !== undefined ? { instanceStorageGb: i.instanceStorageGb } : {}),
      ...(o.allowInstanceStoreLoss ? { allowInstanceStoreLoss: true } : {}),
      ...(i.publicIpv4 ? { publicIpv4: i.publicIpv4 } : {}),
    };
    const protection = stopProtection(i, o.allowInstanceStoreLoss);
    if (protection) return { reason, evidence: { ...evidence, protection }, status: 'protected', savings, before };
    return { reason, evidence, savings, before };
  },
};

export const previousGenerationType: Detector<Ec2Instance, Record<string, never>> = {
  id: 'previous-generation-type',
  resource: ec2InstanceResource.id,
  title: 'Running instances of a previous-generation type (m4, c4, r4, t2, …) with their current-generation successor',
  options: z.object({}),

  detect(i, _o, { ctx }) {
    if (i.state !== 'running') return undefined;
    const advice = instanceGenerationAdvice(i.instanceType, ctx.prices, { platformDetails: i.platformDetails, tenancy: i.placement?.tenancy });
    if (!advice) return undefined;
    return {
      reason: `${i.id} runs ${advice.from}, a previous generation: ${advice.to}${advice.graviton ? ` (or Graviton ${advice.graviton})` : ''} gives more for the same or less.`,
      evidence: { instanceType: advice.from, successor: advice.to, ...(advice.graviton ? { graviton: advice.graviton } : {}) },
      savings: { monthlyUsd: advice.monthlyUsd, basis: advice.basis },
    };
  },
};

export const previousGenerationVolumes: Detector<Ec2Instance, Record<string, never>> = {
  id: 'previous-generation-volumes',
  resource: ec2InstanceResource.id,
  title: 'Instances with attached volumes of a previous-generation EBS type (io1 → io2, magnetic standard → gp3)',
  options: z.object({}),
  needs: [EC2_NEEDS.volumes],

  detect(i, _o, { ctx }): Detection | undefined {
    const advice = (i.volumes ?? []).map((v) => volumeGenerationAdvice(v, ctx.prices)).filter((a) => a !== undefined);
    if (advice.length === 0) return undefined;
    const monthlyUsd = advice.reduce((sum, a) => sum + a.monthlyUsd, 0);
    return {
      reason: `${i.id} has ${advice.length} volume${advice.length === 1 ? '' : 's'} of a previous-generation type: ${advice.map((a) => `${a.volumeId} ${a.from} → ${a.to}`).join(', ')}.`,
      evidence: { volumes: advice.map((a) => ({ volumeId: a.volumeId, from: a.from, to: a.to, monthlyUsd: usd(a.monthlyUsd) })) },
      savings: { monthlyUsd, basis: advice.flatMap((a) => a.basis) },
    };
  },
};
