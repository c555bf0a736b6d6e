/**
 * EBS volume prices and the gp2 → gp3 equivalence. Every number comes from the one price table
 * (lib/savings/prices.ts).
 *
 * gp2 performance (EBS User Guide): baseline 3 IOPS per GiB, at least 100 and at most 16,000;
 * volumes up to 1,000 GiB burst to 3,000 IOPS on credits; throughput at most 128 MiB/s up to
 * 170 GiB and 250 MiB/s above. gp3 includes 3,000 IOPS and 125 MiB/s at any size; more is
 * provisioned (up to 80,000 IOPS at 500 per GiB and 2,000 MiB/s at 0.25 per IOPS; EC2 API
 * reference, CreateVolume/ModifyVolume) and billed per IOPS-month and MiB/s-month.
 */
import { usd, type PriceTable } from '../../savings/prices.ts';
import { io2IopsMonthly } from '../ec2-instance/generations.ts';

export const GP3_INCLUDED_IOPS = 3000;
export const GP3_INCLUDED_THROUGHPUT = 125;

export interface VolumeSpec {
  volumeType: string;
  sizeGb: number;
  iops?: number;
  throughput?: number;
}

export const gp2BaselineIops = (sizeGb: number) => Math.min(16_000, Math.max(100, 3 * sizeGb));
/** Volumes up to 1,000 GiB burst to 3,000 IOPS; above, the baseline is already at least 3,000. */
export const gp2BurstIops = (sizeGb: number) => Math.max(gp2BaselineIops(sizeGb), sizeGb <= 1000 ? 3000 : 0);
export const gp2MaxThroughput = (sizeGb: number) => (sizeGb <= 170 ? 128 : 250);

/**
 * The gp3 settings that serve at least what the gp2 volume can do: IOPS at least its burst (or
 * baseline when larger), throughput at least its maximum (or gp3's included 125 MiB/s when
 * `matchThroughput` is false: gp2's 128 MiB/s cap on small volumes is 2% above it).
 */
export function gp3Equivalent(sizeGb: number, matchThroughput: boolean): { iops: number; throughput: number } {
  return {
    iops: Math.max(GP3_INCLUDED_IOPS, gp2BurstIops(sizeGb)),
    throughput: matchThroughput ? Math.max(GP3_INCLUDED_THROUGHPUT, gp2MaxThroughput(sizeGb)) : GP3_INCLUDED_THROUGHPUT,
  };
}

/** Monthly cost of a volume as provisioned, with the line that explains it. */
export function volumeMonthlyCost(v: VolumeSpec, prices: PriceTable): { monthlyUsd: number; basis: string } {
  const gb = v.sizeGb;
  switch (v.volumeType) {
    case 'gp2':
      return { monthlyUsd: gb * prices.ebsGp2GbMonth, basis: `gp2 ${gb} GiB × $${prices.ebsGp2GbMonth}/GB-month = $${usd(gb * prices.ebsGp2GbMonth)}` };
    case 'gp3': {
      const iops = Math.max(0, (v.iops ?? GP3_INCLUDED_IOPS) - GP3_INCLUDED_IOPS);
      const tput = Math.max(0, (v.throughput ?? GP3_INCLUDED_THROUGHPUT) - GP3_INCLUDED_THROUGHPUT);
      const monthlyUsd = gb * prices.ebsGp3GbMonth + iops * prices.ebsGp3IopsMonth + tput * prices.ebsGp3ThroughputMbpsMonth;
      return {
        monthlyUsd,
        basis: `gp3 ${gb} GiB × $${prices.ebsGp3GbMonth} + ${iops} IOPS above 3,000 × $${prices.ebsGp3IopsMonth} + ${tput} MiB/s above 125 × $${prices.ebsGp3ThroughputMbpsMonth} = $${usd(monthlyUsd)}`,
      };
    }
    case 'io1': {
      const monthlyUsd = gb * prices.ebsIo1GbMonth + (v.iops ?? 0) * prices.ebsIo1IopsMonth;
      return { monthlyUsd, basis: `io1 ${gb} GiB × $${prices.ebsIo1GbMonth} + ${v.iops ?? 0} IOPS × $${prices.ebsIo1IopsMonth} = $${usd(monthlyUsd)}` };
    }
    case 'io2': {
      // io2 IOPS are tiered (Amazon EBS pricing): the first 32,000 at the base rate, 32,001–64,000 and above 64,000 cheaper.
      const iops = v.iops ?? 0;
      const monthlyUsd = gb * prices.ebsIo2GbMonth + io2IopsMonthly(iops, prices);
      const tiers = iops > 32_000 ? ` (tiered: first 32,000 × $${prices.ebsIo2IopsMonth}, next up to 32,000 × $${prices.ebsIo2IopsMonthTier2}${iops > 64_000 ? `, above 64,000 × $${prices.ebsIo2IopsMonthTier3}` : ''})` : ` × $${prices.ebsIo2IopsMonth}`;
      return { monthlyUsd, basis: `io2 ${gb} GiB × $${prices.ebsIo2GbMonth} + ${iops} IOPS${tiers} = $${usd(monthlyUsd)}` };
    }
    case 'st1':
    case 'sc1':
    case 'standard': {
      const price = v.volumeType === 'st1' ? prices.ebsSt1GbMonth : v.volumeType === 'sc1' ? prices.ebsSc1GbMonth : prices.ebsStandardGbMonth;
      return { monthlyUsd: gb * price, basis: `${v.volumeType} ${gb} GiB × $${price}/GB-month = $${usd(gb * price)}` };
    }
    default:
      return { monthlyUsd: 0, basis: `no price for volume type ${v.volumeType}: estimate $0` };
  }
}
