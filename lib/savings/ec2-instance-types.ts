/**
 * The EC2 instance type table used for right-sizing (ec2-instance oversized-instance /
 * undersized-instance, change-instance-type). One row per type: vCPU, memory (GiB), network
 * (Gbps: the "up to" burst figure, and the sustained baseline the fit checks use where AWS
 * publishes one), architecture, burstable, instance store,
 * ENA and NVMe (EBS exposed as NVMe: Nitro types), the successor generation, and the on-demand
 * price. The prices feed the one price table (DEFAULT_PRICES.ec2OnDemandHourly in prices.ts),
 * where a policy can override them; the right-sizing code reads prices from there.
 *
 * Sources: "Amazon EC2 On-Demand Pricing" (aws.amazon.com/ec2/pricing/on-demand/, us-east-1,
 * Linux, early 2026) and the "Amazon EC2 instance types" specifications pages
 * (docs.aws.amazon.com/ec2/latest/instancetypes/: gp.html, co.html, mo.html). Nitro types
 * require ENA and expose EBS as NVMe; Xen types (t2, m4, c4, r4) do neither (m4/r4 support ENA
 * on some sizes only: counted as not supported, the safe side).
 */

export type Architecture = 'x86_64' | 'arm64';

export interface InstanceTypeInfo {
  type: string;
  family: string;
  size: string;
  vcpu: number;
  memoryGib: number;
  /** The "up to" (burst) bandwidth, Gbps; the fixed bandwidth where AWS gives no burst figure. */
  networkGbps: number;
  /**
   * The sustained baseline bandwidth, Gbps ("Baseline / Burst bandwidth" in the instance types'
   * network specifications); absent for the previous-generation families (t2, m4, c4, r4), for
   * which AWS publishes only "Low to Moderate" / "Moderate" / "High" or an "up to" figure.
   */
  networkBaselineGbps?: number;
  architecture: Architecture;
  burstable: boolean;
  /** Burstable types: the baseline CPU per vCPU, percent (credits are earned below it, spent above). */
  baselinePercent?: number;
  /** Instance-store capacity, GB (0: EBS only). */
  instanceStoreGb: number;
  /** ENA: 'required' on Nitro types (the AMI must have the ENA driver), 'unsupported' otherwise. */
  ena: 'required' | 'unsupported';
  /** EBS volumes appear as NVMe devices (Nitro): the AMI needs NVMe drivers. */
  nvme: boolean;
  /** Same size in the next generation of the family, if any. */
  successor?: string;
  /** On-demand Linux $/hour, us-east-1. */
  hourlyUsd: number;
}

/** Size name → [vCPU, memory multiplier of the family's GiB per vCPU]. */
const SIZE_VCPU: Record<string, number> = { medium: 1, large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32 };
/** Burstable sizes: vCPU and GiB (t3, t3a, t4g, t2). */
const BURSTABLE: Record<string, [number, number]> = { nano: [2, 0.5], micro: [2, 1], small: [2, 2], medium: [2, 4], large: [2, 8], xlarge: [4, 16], '2xlarge': [8, 32] };
/** Baseline performance per vCPU, percent ("Key concepts for burstable instances", EC2 User Guide). */
const T3_BASELINE: Record<string, number> = { nano: 5, micro: 10, small: 20, medium: 20, large: 30, xlarge: 40, '2xlarge': 40 };
const T2_BASELINE: Record<string, number> = { nano: 5, micro: 10, small: 20, medium: 20, large: 30, xlarge: 22.5, '2xlarge': 16.875 };
/** t2 has 1 vCPU up to small and 2 at medium/large. */
const T2: Record<string, [number, number]> = { nano: [1, 0.5], micro: [1, 1], small: [1, 2], medium: [2, 4], large: [2, 8], xlarge: [4, 16], '2xlarge': [8, 32] };

/**
 * Baseline bandwidth by size, Gbps (Amazon EC2 instance types, "Network specifications",
 * Baseline / Burst bandwidth): 5th-generation Nitro and Graviton2 families with "up to 10";
 * 6th/7th-generation Intel with "up to 12.5"; Graviton3; the T3/T3a/T4g burstables.
 */
const BASELINE_UP_TO_10: Record<string, number> = { medium: 0.5, large: 0.75, xlarge: 1.25, '2xlarge': 2.5, '4xlarge': 5, '8xlarge': 10 };
const BASELINE_INTEL_12_5: Record<string, number> = { large: 0.781, xlarge: 1.562, '2xlarge': 3.125, '4xlarge': 6.25, '8xlarge': 12.5 };
const BASELINE_GRAVITON3: Record<string, number> = { medium: 0.52, large: 0.937, xlarge: 1.876, '2xlarge': 3.75, '4xlarge': 7.5 };
const BASELINE_T3: Record<string, number> = { nano: 0.032, micro: 0.064, small: 0.128, medium: 0.256, large: 0.512, xlarge: 1.024, '2xlarge': 2.048 };
const BASELINES: Record<string, Record<string, number>> = {
  t3: BASELINE_T3, t3a: BASELINE_T3, t4g: BASELINE_T3,
  m5: BASELINE_UP_TO_10, m5d: BASELINE_UP_TO_10, c5: BASELINE_UP_TO_10, c5d: BASELINE_UP_TO_10, r5: BASELINE_UP_TO_10, m6g: BASELINE_UP_TO_10, c6g: BASELINE_UP_TO_10, r6g: BASELINE_UP_TO_10,
  m6i: BASELINE_INTEL_12_5, c6i: BASELINE_INTEL_12_5, r6i: BASELINE_INTEL_12_5, m7i: BASELINE_INTEL_12_5,
  m7g: BASELINE_GRAVITON3, c7g: BASELINE_GRAVITON3, r7g: BASELINE_GRAVITON3,
};

interface FamilySpec {
  family: string;
  architecture: Architecture;
  gibPerVcpu?: number;
  burstable?: boolean;
  nitro: boolean;
  networkGbps: number;
  /** Instance store GB per vCPU (m5d, c5d: NVMe SSD). */
  storeGbPerVcpu?: number;
  successor?: string;
  /** Size → $/hour. */
  prices: Record<string, number>;
}

const FAMILIES: FamilySpec[] = [
  // Burstable
  { family: 't2', architecture: 'x86_64', burstable: true, nitro: false, networkGbps: 1, successor: 't3', prices: { nano: 0.0058, micro: 0.0116, small: 0.023, medium: 0.0464, large: 0.0928, xlarge: 0.1856, '2xlarge': 0.3712 } },
  { family: 't3', architecture: 'x86_64', burstable: true, nitro: true, networkGbps: 5, prices: { nano: 0.0052, micro: 0.0104, small: 0.0208, medium: 0.0416, large: 0.0832, xlarge: 0.1664, '2xlarge': 0.3328 } },
  { family: 't3a', architecture: 'x86_64', burstable: true, nitro: true, networkGbps: 5, prices: { nano: 0.0047, micro: 0.0094, small: 0.0188, medium: 0.0376, large: 0.0752, xlarge: 0.1504, '2xlarge': 0.3008 } },
  { family: 't4g', architecture: 'arm64', burstable: true, nitro: true, networkGbps: 5, prices: { nano: 0.0042, micro: 0.0084, small: 0.0168, medium: 0.0336, large: 0.0672, xlarge: 0.1344, '2xlarge': 0.2688 } },
  // General purpose
  { family: 'm4', architecture: 'x86_64', gibPerVcpu: 4, nitro: false, networkGbps: 1, successor: 'm5', prices: { large: 0.1, xlarge: 0.2, '2xlarge': 0.4, '4xlarge': 0.8 } },
  { family: 'm5', architecture: 'x86_64', gibPerVcpu: 4, nitro: true, networkGbps: 10, successor: 'm6i', prices: { large: 0.096, xlarge: 0.192, '2xlarge': 0.384, '4xlarge': 0.768, '8xlarge': 1.536 } },
  { family: 'm5d', architecture: 'x86_64', gibPerVcpu: 4, nitro: true, networkGbps: 10, storeGbPerVcpu: 37.5, prices: { large: 0.113, xlarge: 0.226, '2xlarge': 0.452, '4xlarge': 0.904 } },
  { family: 'm6i', architecture: 'x86_64', gibPerVcpu: 4, nitro: true, networkGbps: 12.5, successor: 'm7i', prices: { large: 0.096, xlarge: 0.192, '2xlarge': 0.384, '4xlarge': 0.768, '8xlarge': 1.536 } },
  { family: 'm7i', architecture: 'x86_64', gibPerVcpu: 4, nitro: true, networkGbps: 12.5, prices: { large: 0.1008, xlarge: 0.2016, '2xlarge': 0.4032, '4xlarge': 0.8064, '8xlarge': 1.6128 } },
  { family: 'm6g', architecture: 'arm64', gibPerVcpu: 4, nitro: true, networkGbps: 10, successor: 'm7g', prices: { medium: 0.0385, large: 0.077, xlarge: 0.154, '2xlarge': 0.308, '4xlarge': 0.616 } },
  { family: 'm7g', architecture: 'arm64', gibPerVcpu: 4, nitro: true, networkGbps: 12.5, prices: { medium: 0.0408, large: 0.0816, xlarge: 0.1632, '2xlarge': 0.3264, '4xlarge': 0.6528 } },
  // Compute optimised
  { family: 'c4', architecture: 'x86_64', gibPerVcpu: 1.875, nitro: false, networkGbps: 1, successor: 'c5', prices: { large: 0.1, xlarge: 0.199, '2xlarge': 0.398 } },
  { family: 'c5', architecture: 'x86_64', gibPerVcpu: 2, nitro: true, networkGbps: 10, successor: 'c6i', prices: { large: 0.085, xlarge: 0.17, '2xlarge': 0.34, '4xlarge': 0.68 } },
  { family: 'c5d', architecture: 'x86_64', gibPerVcpu: 2, nitro: true, networkGbps: 10, storeGbPerVcpu: 25, prices: { large: 0.096, xlarge: 0.192, '2xlarge': 0.384, '4xlarge': 0.768 } },
  { family: 'c6i', architecture: 'x86_64', gibPerVcpu: 2, nitro: true, networkGbps: 12.5, prices: { large: 0.085, xlarge: 0.17, '2xlarge': 0.34, '4xlarge': 0.68 } },
  { family: 'c6g', architecture: 'arm64', gibPerVcpu: 2, nitro: true, networkGbps: 10, successor: 'c7g', prices: { medium: 0.034, large: 0.068, xlarge: 0.136, '2xlarge': 0.272, '4xlarge': 0.544 } },
  { family: 'c7g', architecture: 'arm64', gibPerVcpu: 2, nitro: true, networkGbps: 12.5, prices: { medium: 0.0363, large: 0.0725, xlarge: 0.145, '2xlarge': 0.29, '4xlarge': 0.58 } },
  // Memory optimised
  { family: 'r4', architecture: 'x86_64', gibPerVcpu: 7.625, nitro: false, networkGbps: 10, successor: 'r5', prices: { large: 0.133, xlarge: 0.266, '2xlarge': 0.532 } },
  { family: 'r5', architecture: 'x86_64', gibPerVcpu: 8, nitro: true, networkGbps: 10, successor: 'r6i', prices: { large: 0.126, xlarge: 0.252, '2xlarge': 0.504, '4xlarge': 1.008 } },
  { family: 'r6i', architecture: 'x86_64', gibPerVcpu: 8, nitro: true, networkGbps: 12.5, prices: { large: 0.126, xlarge: 0.252, '2xlarge': 0.504, '4xlarge': 1.008 } },
  { family: 'r6g', architecture: 'arm64', gibPerVcpu: 8, nitro: true, networkGbps: 10, successor: 'r7g', prices: { medium: 0.0504, large: 0.1008, xlarge: 0.2016, '2xlarge': 0.4032, '4xlarge': 0.8064 } },
  { family: 'r7g', architecture: 'arm64', gibPerVcpu: 8, nitro: true, networkGbps: 12.5, prices: { medium: 0.0536, large: 0.1071, xlarge: 0.2142, '2xlarge': 0.4284, '4xlarge': 0.8568 } },
];

function rows(): InstanceTypeInfo[] {
  const out: InstanceTypeInfo[] = [];
  for (const f of FAMILIES) {
    for (const [size, hourlyUsd] of Object.entries(f.prices)) {
      const [vcpu, memoryGib] = f.burstable ? (f.family === 't2' ? T2 : BURSTABLE)[size] : [SIZE_VCPU[size], SIZE_VCPU[size] * f.gibPerVcpu!];
      const successor = f.successor && FAMILIES.find((s) => s.family === f.successor)?.prices[size] !== undefined ? `${f.successor}.${size}` : undefined;
      out.push({
        type: `${f.family}.${size}`,
        family: f.family,
        size,
        vcpu,
        memoryGib,
        networkGbps: f.networkGbps,
        ...(BASELINES[f.family]?.[size] !== undefined ? { networkBaselineGbps: BASELINES[f.family][size] } : {}),
        architecture: f.architecture,
        burstable: Boolean(f.burstable),
        ...(f.burstable ? { baselinePercent: (f.family === 't2' ? T2_BASELINE : T3_BASELINE)[size] } : {}),
        instanceStoreGb: f.storeGbPerVcpu ? f.storeGbPerVcpu * vcpu : 0,
        ena: f.nitro ? 'required' : 'unsupported',
        nvme: f.nitro,
        ...(successor ? { successor } : {}),
        hourlyUsd,
      });
    }
  }
  return out;
}

export const EC2_INSTANCE_TYPES: ReadonlyMap<string, InstanceTypeInfo> = new Map(rows().map((r) => [r.type, r]));

/** The table's prices, for the one price table. */
export const EC2_TYPE_PRICES: Record<string, number> = Object.fromEntries([...EC2_INSTANCE_TYPES.values()].map((r) => [r.type, r.hourlyUsd]));

/** Sizes in the table's order, smallest first. */
export const SIZE_ORDER = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'];

export const instanceTypeInfo = (type: string): InstanceTypeInfo | undefined => EC2_INSTANCE_TYPES.get(type);

/** The types of a family, smallest first. */
export function familyTypes(family: string): InstanceTypeInfo[] {
  return [...EC2_INSTANCE_TYPES.values()].filter((r) => r.family === family).sort((a, b) => SIZE_ORDER.indexOf(a.size) - SIZE_ORDER.indexOf(b.size));
}
