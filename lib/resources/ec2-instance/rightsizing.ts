/**
 * EC2 right-sizing, both ways.
 * - oversized-instance: 14 days of CPU (busiest day's p95, and the maximum), network p95 and,
 *   when the CloudWatch agent publishes it, memory (CWAgent mem_used_percent). The candidate is
 *   the cheapest type in the instance's family or its successor generations (same architecture:
 *   the AMI decides; never crossing to a type the instance's drivers may lack: ENA/NVMe) whose
 *   projected CPU p95 stays under the headroom target, whose projected peak stays under 100 %,
 *   whose network covers the p95, and whose memory covers the p95 under its target; without
 *   memory data, memory never shrinks. A tie goes to the newer generation.
 *   Burstable instances stay burstable and must keep their busiest day's mean under the
 *   candidate's baseline; a burstable instance whose credits ran out is never shrunk.
 * - undersized-instance (performance): CPU p95 above a threshold, or a burstable instance whose
 *   CPUCreditBalance ran out (standard mode: throttled to the baseline; unlimited: surplus
 *   credits billed). Candidate: the next size up, or for burstables the non-burstable
 *   equivalent (same architecture, at least the vCPU and memory).
 * Prices come from the one price table at the instance's own operating system (PlatformDetails)
 * and tenancy, on both sides of the change (lib/savings/licensed.ts ec2RatesFor): a Windows
 * instance is compared at Windows rates, and the candidate ranking uses them too.
 */
import * as z from 'zod';
import type { Detection, Detector } from '../../engine/types.ts';
import { familyTypes, instanceTypeInfo, EC2_INSTANCE_TYPES, SIZE_ORDER, type InstanceTypeInfo } from '../../savings/ec2-instance-types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { ec2RatesFor, type Ec2Platform, type Ec2Rates } from '../../savings/licensed.ts';
import { stopProtection } from './detectors.ts';
import { placementMisfit } from './change-type.ts';
import { computeOptimizerPermissions } from '../../compute-optimizer/recommendations.ts';
import { EC2_NEEDS, ec2InstanceResource, windowNeed, type Ec2Instance, type Ec2InstancePrepared, type Utilization } from './resource.ts';

export type { ResizeBefore } from './resize-before.ts';
import type { ResizeBefore } from './resize-before.ts';

/** The finding's `before` for change-instance-type. */
export function resizeBefore(i: Ec2Instance, targetType: string, architecture: string): ResizeBefore {
  return {
    instanceId: i.id, instanceType: i.instanceType, targetType, architecture, state: i.state,
    ...(i.launchTime ? { launchTime: i.launchTime } : {}),
    ...(i.placement?.groupName ? { placementGroup: i.placement.groupName } : {}),
    ...(i.publicIpv4 ? { publicIpv4: i.publicIpv4 } : {}),
  };
}

export interface OversizedOptions {
  windowDays: number;
  targetCpuPercent: number;
  targetMemoryPercent: number;
  targetNetworkPercent: number;
  minDataDays: number;
}

export interface UndersizedOptions {
  windowDays: number;
  maxCpuP95Percent: number;
  minExhaustedDays: number;
  minDataDays: number;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
/** The instance's platform (PlatformDetails and tenancy), for its rates. */
export const platformOf = (i: Pick<Ec2Instance, 'platformDetails' | 'placement'>): Ec2Platform => ({ platformDetails: i.platformDetails, tenancy: i.placement?.tenancy });

/**
 * The saving line of a type change at the platform's rates: `from` − `to` per hour, and the
 * words naming operating system and tenancy. An unpriced platform gives 0 and says why.
 */
export function changeBasis(rates: Ec2Rates, fromType: string, from: number, toType: string, to: number, hours: number, multiplier?: { count: number; words: string }): { monthlyUsd: number; line: string } {
  const n = multiplier?.count ?? 1;
  if (!rates.priced) return { monthlyUsd: 0, line: `${rates.why}: saving not estimated (${fromType} → ${toType}; candidates ranked by Linux list prices).` };
  const monthlyUsd = (from - to) * n * hours;
  const times = multiplier ? `) × ${n} ${multiplier.words}` : '';
  return {
    monthlyUsd,
    line: `${multiplier ? '(' : ''}${fromType} ${rates.words} $${from}/h − ${toType} ${rates.words} $${to}/h${multiplier ? times : ` = $${usd(from - to)}/h`} × ${hours} h = $${usd(monthlyUsd)}/month (on-demand ${rates.words} tenancy list prices; Savings Plans or RIs change the real figure)${rates.assumed ? `; ${rates.assumed}` : ''}.`,
  };
}

/** The family and its successor generations, oldest first (m5 → m6i → m7i). */
export function generationChain(family: string): string[] {
  const chain = [family];
  for (let f = family; ; ) {
    const next = familyTypes(f).find((t) => t.successor)?.successor?.split('.')[0];
    if (!next || chain.includes(next)) return chain;
    chain.push(next);
    f = next;
  }
}

/** Whether the instance can run `target` as it is: same architecture, and drivers for ENA/NVMe if the target needs them. */
export function driverMismatch(current: InstanceTypeInfo, target: InstanceTypeInfo, architecture: string | undefined, enaSupport: boolean | undefined): string | undefined {
  const arch = architecture ?? current.architecture;
  if (target.architecture !== arch) return `${target.type} is ${target.architecture} and the instance's AMI is ${arch}`;
  if (target.ena === 'required' && enaSupport !== true) return `${target.type} requires ENA and the instance's EnaSupport attribute is not set`;
  if (target.nvme && !current.nvme) return `${target.type} exposes EBS volumes as NVMe devices and ${current.type} does not: the AMI's NVMe drivers are not known`;
  return undefined;
}

export interface Fit {
  type: InstanceTypeInfo;
  projectedCpuP95: number;
  projectedCpuMax: number;
  projectedMemoryP95: number | null;
}

/** Projected figures of the current load on `target`. */
function project(current: InstanceTypeInfo, target: InstanceTypeInfo, u: Utilization): Fit {
  const cpuScale = current.vcpu / target.vcpu;
  return {
    type: target,
    projectedCpuP95: (u.cpuP95 ?? 0) * cpuScale,
    projectedCpuMax: (u.cpuMax ?? 0) * cpuScale,
    projectedMemoryP95: u.memoryP95 === null ? null : (u.memoryP95 * current.memoryGib) / target.memoryGib,
  };
}

/** Why `target` cannot carry the load, or undefined when it can. */
function misfit(current: InstanceTypeInfo, target: InstanceTypeInfo, u: Utilization, o: OversizedOptions): string | undefined {
  const p = project(current, target, u);
  if (p.projectedCpuP95 > o.targetCpuPercent) return 'cpu p95';
  if (p.projectedCpuMax > 100) return 'cpu peak';
  if (current.burstable && target.baselinePercent !== undefined && (u.cpuDailyMeanMax ?? 100) * (current.vcpu / target.vcpu) > target.baselinePercent) return 'baseline';
  // The sustained baseline, not the "up to" burst figure (a burst lasts minutes); the burst figure where AWS publishes no baseline.
  if (u.networkGbpsP95 !== null && u.networkGbpsP95 > (target.networkBaselineGbps ?? target.networkGbps) * (o.targetNetworkPercent / 100)) return 'network';
  if (p.projectedMemoryP95 === null ? target.memoryGib < current.memoryGib : p.projectedMemoryP95 > o.targetMemoryPercent) return 'memory';
  return undefined;
}

/**
 * The types a downsize may move to: for a burstable instance its own family and successors (it
 * stays burstable); otherwise every non-burstable, EBS-only type of the table with the same
 * architecture (c, m and r families: fewer vCPU with the same memory is often the saving).
 * Drivers are checked per type (driverMismatch).
 */
function downsizeSpace(current: InstanceTypeInfo): InstanceTypeInfo[] {
  if (current.burstable) return generationChain(current.family).flatMap(familyTypes);
  // Never from a Nitro type back to a previous-generation (Xen) one: the previous-generation detector
  // would flag it next, and AWS publishes no sustained network baseline for those families.
  return [...EC2_INSTANCE_TYPES.values()].filter((t) => !t.burstable && t.instanceStoreGb === 0 && t.architecture === current.architecture && (t.nvme || !current.nvme));
}

/**
 * The cheapest type that carries the load; undefined if none is cheaper than the current type.
 * Ties go to the instance's own generation chain, newest generation first (m5 → m6i at the
 * same price: the successor).
 */
export function downsizeCandidate(i: Pick<Ec2Instance, 'instanceType' | 'architecture' | 'enaSupport'>, u: Utilization, o: OversizedOptions, prices: PriceTable, rates: Ec2Rates = ec2RatesFor(prices)): Fit | undefined {
  const hourly = (_: PriceTable, type: string) => rates.hourly(type);
  const current = instanceTypeInfo(i.instanceType);
  const currentPrice = hourly(prices, i.instanceType);
  if (!current || currentPrice === undefined) return undefined;
  const chain = generationChain(current.family);
  // Own chain first (newest first), then other families, the newest generation (no successor) first.
  const rank = (t: InstanceTypeInfo) => (chain.includes(t.family) ? -chain.indexOf(t.family) : t.successor ? 2 : 1);
  const fits = downsizeSpace(current).filter((t) => {
    const price = hourly(prices, t.type);
    return price !== undefined && price < currentPrice && !driverMismatch(current, t, i.architecture, i.enaSupport) && !misfit(current, t, u, o);
  });
  fits.sort((a, b) => hourly(prices, a.type)! - hourly(prices, b.type)! || rank(a) - rank(b));
  return fits[0] ? project(current, fits[0], u) : undefined;
}

/** The next size up in the family (or its cheapest successor of that size); for burstables, the non-burstable equivalent. */
export function upsizeCandidate(i: Pick<Ec2Instance, 'instanceType' | 'architecture' | 'enaSupport'>, reason: 'cpu' | 'credits', prices: PriceTable, rates: Ec2Rates = ec2RatesFor(prices)): InstanceTypeInfo | undefined {
  const hourly = (_: PriceTable, type: string) => rates.hourly(type);
  const current = instanceTypeInfo(i.instanceType);
  if (!current) return undefined;
  const usable = (t: InstanceTypeInfo) => hourly(prices, t.type) !== undefined && !driverMismatch(current, t, i.architecture, i.enaSupport) && t.instanceStoreGb === 0;
  // Cheapest first; on a tie the smaller size, then the newer family (m6i before m5).
  const cheapest = (list: InstanceTypeInfo[]) =>
    list.filter(usable).sort((a, b) => hourly(prices, a.type)! - hourly(prices, b.type)! || SIZE_ORDER.indexOf(a.size) - SIZE_ORDER.indexOf(b.size) || b.family.localeCompare(a.family))[0];
  if (current.burstable && reason === 'credits') {
    // Same vCPU and memory or more, without credits: the general-purpose families of its architecture.
    const fixed = [...EC2_INSTANCE_TYPES.values()].filter((t) => !t.burstable && t.family.startsWith('m') && t.nvme && t.vcpu >= current.vcpu && t.memoryGib >= current.memoryGib);
    return cheapest(fixed);
  }
  const sizes = familyTypes(current.family);
  const next = sizes[sizes.findIndex((t) => t.type === current.type) + 1];
  if (!next) return undefined;
  const sameSize = generationChain(current.family).map((f) => instanceTypeInfo(`${f}.${next.size}`)).filter((t): t is InstanceTypeInfo => Boolean(t));
  return cheapest(sameSize);
}

const percent = (v: number | null) => (v === null ? null : round(v));

function utilizationEvidence(u: Utilization) {
  return {
    windowDays: u.windowDays,
    daysWithData: u.daysWithData,
    cpuP95Percent: percent(u.cpuP95),
    cpuMaxPercent: percent(u.cpuMax),
    networkMbpsP95: u.networkGbpsP95 === null ? null : round(u.networkGbpsP95 * 1000, 1),
    memory: u.memoryP95 === null ? 'unknown (no CWAgent mem_used_percent): memory is never shrunk' : { p95Percent: percent(u.memoryP95), maxPercent: percent(u.memoryMax) },
  };
}

export const oversizedInstance: Detector<Ec2Instance, OversizedOptions, Ec2InstancePrepared> = {
  id: 'oversized-instance',
  resource: ec2InstanceResource.id,
  title: 'Running instances whose CPU, network and memory over 14 days fit a smaller, cheaper type of the same architecture',
  options: z.object({
    /** Whole UTC days of metrics. */
    windowDays: z.number().int().min(4).max(63).default(14),
    /** The candidate's projected CPU p95 must stay at or under this (headroom target). */
    targetCpuPercent: z.number().min(5).max(95).default(50),
    /** With agent memory data: the candidate's projected memory p95 must stay at or under this. */
    targetMemoryPercent: z.number().min(5).max(95).default(80),
    /** The network p95 must stay under this share of the candidate's bandwidth. */
    targetNetworkPercent: z.number().min(5).max(100).default(50),
    /** Days with CPU data needed before resizing (Compute Optimizer wants at least 30 hours). */
    minDataDays: z.number().int().min(1).default(12),
  }),
  needs: (o) => [EC2_NEEDS.usage, EC2_NEEDS.utilization, EC2_NEEDS.credits, EC2_NEEDS.instanceStorage, windowNeed(o.windowDays)],
  // It proposes a type (evidence.candidate): the engine asks Compute Optimizer for its recommendation.
  permissions: ['cloudwatch:GetMetricData', 'ec2:DescribeInstanceCreditSpecifications', ...computeOptimizerPermissions('ec2-instance')],

  detect(i, o, { ctx }): Detection | undefined {
    if (i.state !== 'running' || !i.utilization || i.utilization.cpuP95 === null) return undefined;
    const u = i.utilization;
    const current = instanceTypeInfo(i.instanceType);
    if (!current) return undefined;
    // A burstable instance whose credits ran out only looks quiet: it was held at its baseline.
    if (i.credits && i.credits.daysExhausted > 0) return undefined;
    const rates = ec2RatesFor(ctx.prices, platformOf(i));
    const fit = downsizeCandidate(i, u, o, ctx.prices, rates);
    if (!fit) return undefined;
    const from = rates.hourly(i.instanceType)!;
    const to = rates.hourly(fit.type.type)!;
    const change = changeBasis(rates, i.instanceType, from, fit.type.type, to, ctx.prices.hoursPerMonth);
    const monthlyUsd = change.monthlyUsd;
    const evidence: Record<string, unknown> = {
      instanceType: i.instanceType,
      candidate: fit.type.type,
      architecture: i.architecture ?? current.architecture,
      pricedAs: { operatingSystem: rates.os, words: rates.words, priced: rates.priced, ...(rates.assumed ? { assumed: rates.assumed } : {}) },
      current: { vcpu: current.vcpu, memoryGib: current.memoryGib, networkGbps: current.networkGbps, networkBaselineGbps: current.networkBaselineGbps ?? null },
      proposed: { vcpu: fit.type.vcpu, memoryGib: fit.type.memoryGib, networkGbps: fit.type.networkGbps, networkBaselineGbps: fit.type.networkBaselineGbps ?? null },
      ...utilizationEvidence(u),
      projected: { cpuP95Percent: round(fit.projectedCpuP95), cpuMaxPercent: round(fit.projectedCpuMax), memoryP95Percent: fit.projectedMemoryP95 === null ? null : round(fit.projectedMemoryP95) },
      thresholds: { targetCpuPercent: o.targetCpuPercent, targetMemoryPercent: o.targetMemoryPercent, targetNetworkPercent: o.targetNetworkPercent, minDataDays: o.minDataDays },
    };
    const savings = {
      monthlyUsd,
      basis: [
        change.line,
        `CPU p95 ${round(u.cpuP95!)}% on ${current.vcpu} vCPU projects to ${round(fit.projectedCpuP95)}% on ${fit.type.vcpu} (target ≤ ${o.targetCpuPercent}%).`,
        u.memoryP95 === null ? `Memory unknown (no CloudWatch agent data): ${fit.type.type} keeps at least ${current.memoryGib} GiB.` : `Memory p95 ${round(u.memoryP95)}% of ${current.memoryGib} GiB projects to ${round(fit.projectedMemoryP95!)}% of ${fit.type.memoryGib} GiB (target ≤ ${o.targetMemoryPercent}%).`,
      ],
    };
    const reason = `${i.id} (${i.instanceType}) used at most ${round(u.cpuP95!)}% CPU at p95 over ${u.windowDays} days: ${fit.type.type} carries the same load for $${usd(monthlyUsd)}/month less.`;
    const before = resizeBefore(i, fit.type.type, i.architecture ?? current.architecture);
    if (u.daysWithData < o.minDataDays) {
      return { reason, evidence: { ...evidence, protection: `too little data: ${u.daysWithData} days with CPU metrics, ${o.minDataDays} needed` }, status: 'protected', savings, before };
    }
    const protection = stopProtection(i) ?? (current.instanceStoreGb > 0 ? `${i.instanceType} has instance-store volumes: the stop a type change needs erases them` : undefined) ?? placementMisfit(i, fit.type.type, { memoryMib: fit.type.memoryGib * 1024 }, current.memoryGib * 1024);
    if (protection) return { reason, evidence: { ...evidence, protection }, status: 'protected', savings, before };
    return { reason, evidence, savings, before, benefit: ['cost'] };
  },
};

export const undersizedInstance: Detector<Ec2Instance, UndersizedOptions, Ec2InstancePrepared> = {
  id: 'undersized-instance',
  resource: ec2InstanceResource.id,
  title: 'Running instances that are too small: CPU p95 above a threshold, or a burstable instance that runs out of CPU credits',
  options: z.object({
    /** Whole UTC days of metrics. */
    windowDays: z.number().int().min(4).max(63).default(14),
    /** The busiest day's CPU p95 above this counts as saturated. */
    maxCpuP95Percent: z.number().min(50).max(100).default(90),
    /** Burstable: days on which the credit balance ran out before it counts. */
    minExhaustedDays: z.number().int().min(1).default(3),
    /** Days with CPU data needed before judging. */
    minDataDays: z.number().int().min(1).default(7),
  }),
  needs: (o) => [EC2_NEEDS.usage, EC2_NEEDS.utilization, EC2_NEEDS.credits, EC2_NEEDS.instanceStorage, windowNeed(o.windowDays)],
  // It proposes a type (evidence.candidate): the engine asks Compute Optimizer for its recommendation.
  permissions: ['cloudwatch:GetMetricData', 'ec2:DescribeInstanceCreditSpecifications', ...computeOptimizerPermissions('ec2-instance')],

  detect(i, o, { ctx }): Detection | undefined {
    if (i.state !== 'running' || !i.utilization || i.utilization.daysWithData < o.minDataDays) return undefined;
    const u = i.utilization;
    const current = instanceTypeInfo(i.instanceType);
    const credits = i.credits && i.credits.daysExhausted >= o.minExhaustedDays ? i.credits : undefined;
    const saturated = u.cpuP95 !== null && u.cpuP95 > o.maxCpuP95Percent;
    if (!credits && !saturated) return undefined;
    const rates = ec2RatesFor(ctx.prices, platformOf(i));
    const target = upsizeCandidate(i, credits ? 'credits' : 'cpu', ctx.prices, rates);
    const from = rates.hourly(i.instanceType);
    const to = target ? rates.hourly(target.type) : undefined;
    const extra = rates.priced && from !== undefined && to !== undefined ? (to - from) * ctx.prices.hoursPerMonth : undefined;
    // Unlimited mode bills surplus credits: $ per vCPU-hour, one credit = one vCPU-minute.
    // T4g surplus credits cost less than T2/T3/T3a ones ("T2/T3/T4g Unlimited Mode Pricing").
    const creditPrice = i.instanceType.startsWith('t4g.') ? ctx.prices.ec2CpuCreditVcpuHourT4g : ctx.prices.ec2CpuCreditVcpuHour;
    const surplusMonthly = credits?.mode === 'unlimited' ? (credits.surplusCreditsCharged / 60) * creditPrice * (30 / u.windowDays) : 0;
    const summary = credits
      ? `CPU credits ran out on ${credits.daysExhausted} of ${u.windowDays} days (${credits.mode === 'unlimited' ? `unlimited mode: ${round(credits.surplusCreditsCharged, 0)} surplus credits billed` : credits.mode === 'standard' ? `standard mode: throttled to the ${current?.baselinePercent ?? '?'}% baseline` : 'credit mode unknown'})`
      : `CPU p95 ${round(u.cpuP95!)}% on the busiest of ${u.windowDays} days (max ${round(u.cpuMax ?? 0)}%), above ${o.maxCpuP95Percent}%`;
    const saves = surplusMonthly - (extra ?? 0);
    const benefit: Detection['benefit'] = saves > 0 ? ['performance', 'cost'] : ['performance'];
    const basis = [
      !rates.priced ? `${rates.why}: the extra cost is not estimated.` : extra === undefined ? `No ${rates.os} price for ${target?.type ?? 'a larger type'} or ${i.instanceType} in the price table (${rates.field}): the extra cost is not estimated.` : `${target!.type} $${to}/h − ${i.instanceType} $${from}/h = $${usd(extra)}/month more (on-demand ${rates.words} tenancy)${rates.assumed ? `; ${rates.assumed}` : ''}.`,
      ...(surplusMonthly > 0 ? [`Surplus credits: ${round(credits!.surplusCreditsCharged, 0)} in ${u.windowDays} days ≈ $${usd(surplusMonthly)}/month at $${creditPrice}/vCPU-hour, which the change ends.`] : []),
      'This is a performance finding: it removes the risk below rather than saving money.',
    ];
    const evidence: Record<string, unknown> = {
      instanceType: i.instanceType,
      ...(target ? { candidate: target.type } : {}),
      architecture: i.architecture ?? current?.architecture,
      ...utilizationEvidence(u),
      ...(i.credits ? { credits: { mode: i.credits.mode, daysExhausted: i.credits.daysExhausted, minBalance: i.credits.minBalance, surplusCreditsCharged: round(i.credits.surplusCreditsCharged, 0) } } : {}),
      thresholds: { maxCpuP95Percent: o.maxCpuP95Percent, minExhaustedDays: o.minExhaustedDays },
    };
    const reason = `${i.id} (${i.instanceType}) is too small: ${summary}.${target ? ` ${target.type} removes the pressure.` : ' No larger type of its family is in the type table.'}`;
    const detection: Detection = {
      reason,
      evidence,
      savings: { monthlyUsd: Math.max(0, saves), basis },
      benefit,
      risk: { summary, evidence: { cpuP95Percent: percent(u.cpuP95), cpuMaxPercent: percent(u.cpuMax), ...(credits ? { creditDaysExhausted: credits.daysExhausted, creditMode: credits.mode } : {}) } },
    };
    if (!target) return { ...detection, status: 'protected', evidence: { ...evidence, protection: 'no larger type in the type table' } };
    detection.before = resizeBefore(i, target.type, i.architecture ?? current!.architecture);
    const protection = stopProtection(i) ?? (current && current.instanceStoreGb > 0 ? `${i.instanceType} has instance-store volumes: the stop a type change needs erases them` : undefined) ?? placementMisfit(i, target.type, { memoryMib: target.memoryGib * 1024 }, current ? current.memoryGib * 1024 : undefined);
    if (protection) return { ...detection, status: 'protected', evidence: { ...evidence, protection } };
    return detection;
  },
};
