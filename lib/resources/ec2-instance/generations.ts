/**
 * Previous-generation EC2 instance families and EBS volume types, and what replaces them.
 * One small table; the prices come from the one price table (lib/savings/prices.ts).
 */
import { usd, type PriceTable } from '../../savings/prices.ts';
import { ec2RatesFor, type Ec2Platform } from '../../savings/licensed.ts';

/**
 * Family → current-generation successor (same size name: m4.large → m6i.large) and a Graviton
 * alternative that is usually cheaper still but needs arm64 builds.
 */
export const INSTANCE_GENERATIONS: Record<string, { successor: string; graviton?: string }> = {
  m4: { successor: 'm6i', graviton: 'm7g' },
  c4: { successor: 'c6i', graviton: 'c7g' },
  r4: { successor: 'r6i', graviton: 'r7g' },
  t2: { successor: 't3', graviton: 't4g' },
  m3: { successor: 'm6i', graviton: 'm7g' },
  c3: { successor: 'c6i', graviton: 'c7g' },
  r3: { successor: 'r6i', graviton: 'r7g' },
};

/** Volume type → current-generation successor. */
export const VOLUME_GENERATIONS: Record<string, string> = { io1: 'io2', standard: 'gp3' };

export interface MonthlyComparison {
  /** Positive when the successor costs less; 0 when a price is unknown (never a guess). */
  monthlyUsd: number;
  basis: string[];
}

export interface InstanceAdvice extends MonthlyComparison {
  from: string;
  to: string;
  graviton?: string;
}

/**
 * The successor of a previous-generation instance type with the monthly difference, or undefined.
 * Both sides are priced at the instance's operating system and tenancy (`platform`: its
 * PlatformDetails and Placement.Tenancy; Linux, Shared when absent).
 */
export function instanceGenerationAdvice(instanceType: string, prices: PriceTable, platform?: Ec2Platform): InstanceAdvice | undefined {
  const [family, size] = instanceType.split('.');
  const entry = INSTANCE_GENERATIONS[family];
  if (!entry || !size) return undefined;
  const to = `${entry.successor}.${size}`;
  const graviton = entry.graviton ? `${entry.graviton}.${size}` : undefined;
  const hours = prices.hoursPerMonth;
  const rates = ec2RatesFor(prices, platform);
  const fromHourly = rates.hourly(instanceType);
  const toHourly = rates.hourly(to);
  const gravitonHourly = graviton ? rates.hourly(graviton) : undefined;
  const basis: string[] = [];
  let monthlyUsd = 0;
  if (!rates.priced) {
    basis.push(`${rates.why}: saving not estimated (${instanceType} → ${to}).`);
  } else if (fromHourly === undefined || toHourly === undefined) {
    basis.push(`No on-demand price for ${fromHourly === undefined ? instanceType : to} (${rates.os}) in the price table (${rates.field}): saving not estimated.`);
  } else {
    monthlyUsd = Math.max(0, (fromHourly - toHourly) * hours);
    basis.push(`${instanceType} $${fromHourly}/h − ${to} $${toHourly}/h = $${usd(fromHourly - toHourly)}/h × ${hours} h = $${usd(monthlyUsd)}/month (on-demand, ${rates.words} tenancy)${rates.assumed ? `; ${rates.assumed}` : ''}.`);
    if (fromHourly <= toHourly) basis.push(`${to} costs no less per hour; the gain is performance per dollar (newer CPUs, Nitro networking and EBS bandwidth).`);
  }
  if (rates.priced && graviton && gravitonHourly !== undefined && fromHourly !== undefined) {
    basis.push(`Graviton alternative ${graviton} at $${gravitonHourly}/h would save $${usd(Math.max(0, (fromHourly - gravitonHourly) * hours))}/month (needs arm64 builds).`);
  }
  basis.push('Changing the type needs a stop and start (ModifyInstanceAttribute); Savings Plans or Reserved Instances change the real figure.');
  return { from: instanceType, to, ...(graviton ? { graviton } : {}), monthlyUsd, basis };
}

export interface VolumeFacts {
  volumeId: string;
  volumeType: string;
  sizeGb: number;
  iops?: number;
}

export interface VolumeAdvice extends MonthlyComparison {
  volumeId: string;
  from: string;
  to: string;
}

/** io2's tiered provisioned-IOPS price: the first 32,000 at the base rate, then two cheaper tiers. */
export function io2IopsMonthly(iops: number, prices: PriceTable): number {
  const tier1 = Math.min(iops, 32_000);
  const tier2 = Math.min(Math.max(iops - 32_000, 0), 32_000);
  const tier3 = Math.max(iops - 64_000, 0);
  return tier1 * prices.ebsIo2IopsMonth + tier2 * prices.ebsIo2IopsMonthTier2 + tier3 * prices.ebsIo2IopsMonthTier3;
}

/** The successor of a previous-generation volume type with the monthly difference, or undefined. */
export function volumeGenerationAdvice(v: VolumeFacts, prices: PriceTable): VolumeAdvice | undefined {
  const to = VOLUME_GENERATIONS[v.volumeType];
  if (!to) return undefined;
  if (v.volumeType === 'io1') {
    const storage = v.sizeGb * (prices.ebsIo1GbMonth - prices.ebsIo2GbMonth);
    if (v.iops === undefined) {
      return { volumeId: v.volumeId, from: 'io1', to, monthlyUsd: Math.max(0, storage), basis: [`${v.volumeId}: io1 → io2 (same storage price; 100× the durability). Provisioned IOPS unknown: IOPS saving not estimated.`] };
    }
    const io1 = v.iops * prices.ebsIo1IopsMonth;
    const io2 = io2IopsMonthly(v.iops, prices);
    const monthlyUsd = Math.max(0, storage + io1 - io2);
    return {
      volumeId: v.volumeId,
      from: 'io1',
      to,
      monthlyUsd,
      basis: [
        `${v.volumeId}: io1 → io2, ${v.iops} IOPS: io1 ${v.iops} × $${prices.ebsIo1IopsMonth} = $${usd(io1)} vs io2 tiered $${usd(io2)} (above 32,000 IOPS at $${prices.ebsIo2IopsMonthTier2}, above 64,000 at $${prices.ebsIo2IopsMonthTier3}) = $${usd(monthlyUsd)}/month; storage $${prices.ebsIo1GbMonth} vs $${prices.ebsIo2GbMonth}/GB-month.`,
        'io2 gives 99.999% durability (io1: 99.8-99.9%); ModifyVolume changes the type online.',
      ],
    };
  }
  // standard (magnetic) → gp3: gp3 costs more per GB, but magnetic also bills every I/O request.
  const storageDelta = v.sizeGb * (prices.ebsStandardGbMonth - prices.ebsGp3GbMonth);
  return {
    volumeId: v.volumeId,
    from: v.volumeType,
    to,
    monthlyUsd: Math.max(0, storageDelta),
    basis: [
      `${v.volumeId}: magnetic ${v.sizeGb} GiB × $${prices.ebsStandardGbMonth} vs gp3 × $${prices.ebsGp3GbMonth}/GB-month: storage costs $${usd(-storageDelta)}/month more on gp3.`,
      `Magnetic also bills $${prices.ebsStandardIoPerMillion} per million I/O requests, which gp3 does not (3,000 IOPS and 125 MB/s included); that part is not estimated here, so the saving shown is 0 unless storage alone pays.`,
    ],
  };
}
