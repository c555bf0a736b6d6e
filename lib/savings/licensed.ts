/**
 * Licence-included prices of the embedded table (issue 27): EC2 operating systems other than
 * Linux, RDS for SQL Server. Kept apart from prices.ts so that lib/pricing/catalog.ts and
 * prices.ts can both read them without an import cycle.
 */
import { EC2_INSTANCE_TYPES } from './ec2-instance-types.ts';

/** The operating systems priced from the instance's PlatformDetails (EC2 User Guide, "AMI billing information fields"). */
export type Ec2Os = 'Linux' | 'Windows' | 'RHEL' | 'SUSE';

/**
 * Licence premiums per vCPU-hour over Linux, us-east-1 (belief: m5.large Linux $0.096/h, Windows
 * $0.188/h → $0.046 per vCPU-hour; RHEL $0.1248/h → $0.0144 per vCPU-hour, "Amazon EC2 On-Demand
 * Pricing" as recalled). SUSE has no sourced premium: the embedded table does not price it (the
 * price list does, when GetProducts answers).
 */
export const EC2_OS_PREMIUM_VCPU_HOUR: Partial<Record<Ec2Os, number>> = { Windows: 0.046, RHEL: 0.0144 };

/**
 * RDS for SQL Server Standard Edition, licence included, Single-AZ, us-east-1, $/h (belief:
 * recalled from the "Amazon RDS for SQL Server Pricing" page, not verified this session).
 */
export const RDS_SQLSERVER_SE_HOURLY: Record<string, number> = {
  'db.m5.large': 0.977,
  'db.m5.xlarge': 1.953,
  'db.m5.2xlarge': 3.906,
  'db.m6i.large': 0.977,
  'db.m6i.xlarge': 1.953,
  'db.r5.large': 1.024,
  'db.r5.xlarge': 2.048,
};

/**
 * RDS for Oracle, Single-AZ, us-east-1, $/h, keyed by the price table's engine family:
 * `oracle-se2` (Standard Edition Two, licence included), `oracle-se2-byol` and `oracle-ee-byol`
 * (bring your own licence: the instance hour without the Oracle licence). Belief: recalled from the
 * "Amazon RDS for Oracle Pricing" page, not verified this session. Enterprise Edition is sold
 * bring-your-own-license only: an EE instance that says license-included has no price.
 */
export const RDS_ORACLE_HOURLY: Record<string, Record<string, number>> = {
  'oracle-se2': { 'db.m5.large': 0.544, 'db.m5.xlarge': 1.088, 'db.r5.large': 0.6, 'db.r5.xlarge': 1.2 },
  'oracle-se2-byol': { 'db.m5.large': 0.19, 'db.m5.xlarge': 0.38, 'db.r5.large': 0.25, 'db.r5.xlarge': 0.5 },
  'oracle-ee-byol': { 'db.m5.large': 0.19, 'db.m5.xlarge': 0.38, 'db.r5.large': 0.25, 'db.r5.xlarge': 0.5 },
};

/** The licence-included OS prices the embedded table derives (Linux + vCPU × premium), '<OS>:<type>'. */
export function derivedLicensedHourly(linux: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [os, premium] of Object.entries(EC2_OS_PREMIUM_VCPU_HOUR)) {
    for (const [type, usd] of Object.entries(linux)) {
      const info = EC2_INSTANCE_TYPES.get(type);
      const vcpu = info?.vcpu;
      // EC2 offers no Windows AMIs for arm64 (Graviton) types: no price, so no Windows candidate there.
      if (os === 'Windows' && info?.architecture === 'arm64') continue;
      if (vcpu !== undefined) out[`${os}:${type}`] = Math.round((usd + vcpu * premium!) * 1e6) / 1e6;
    }
  }
  return out;
}


/**
 * The price list operating system of an instance from its PlatformDetails (EC2 User Guide, "AMI
 * billing information fields"), or why it is not priced. SQL Server, RHEL with HA, Ubuntu Pro and
 * BYOL products are not priced (their licence terms vary).
 */
export function ec2OsOf(platformDetails: string | undefined): { os: Ec2Os } | { why: string } {
  const p = platformDetails ?? 'Linux/UNIX';
  if (p === 'Linux/UNIX') return { os: 'Linux' };
  if (p === 'Windows') return { os: 'Windows' };
  if (p === 'Red Hat Enterprise Linux') return { os: 'RHEL' };
  if (p === 'SUSE Linux') return { os: 'SUSE' };
  return { why: `Platform '${p}' is not priced by trimtab (licence terms vary)` };
}

/** What sets an instance's on-demand rate besides its type: the AMI's billing product and the tenancy. */
export interface Ec2Platform {
  /** PlatformDetails of the instance or its AMI ('Linux/UNIX', 'Windows', 'Red Hat Enterprise Linux', ...). */
  platformDetails?: string;
  /** Placement tenancy: 'default' (Shared), 'dedicated', 'host'. */
  tenancy?: string;
  /** Why the platform is not known (no instances, AMI not readable): Linux rates are used and the basis says so. */
  unknown?: string;
}

/**
 * The on-demand rates of one platform (operating system and tenancy), for every type: what
 * right-sizing, previous-generation and Auto Scaling findings compare on both sides of a change.
 * `priced: false` (a platform or tenancy trimtab does not price): `hourly` still gives Linux rates,
 * for ranking candidates only, and `why` says why no saving is estimated.
 */
export interface Ec2Rates {
  os: Ec2Os;
  /** 'Windows, Shared' : the words the basis names the platform with. */
  words: string;
  /** The table field the rates come from. */
  field: 'ec2OnDemandHourly' | 'ec2LicensedHourly';
  hourly: (instanceType: string) => number | undefined;
  priced: boolean;
  why?: string;
  /** The platform was not known: Linux assumed (the note for the basis). */
  assumed?: string;
}

/**
 * A platform recorded in a finding's evidence, read back at plan time: only its string fields are
 * kept (a stored finding is data, not proof); anything else is 'unknown'.
 */
export function platformFromEvidence(value: unknown): Ec2Platform {
  if (!value || typeof value !== 'object') return { unknown: 'not recorded in the finding' };
  const v = value as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' && x.length <= 200 ? x : undefined);
  if (str(v.unknown)) return { unknown: str(v.unknown) };
  if (!str(v.platformDetails) && !str(v.tenancy)) return { unknown: 'not recorded in the finding' };
  return { ...(str(v.platformDetails) ? { platformDetails: str(v.platformDetails) } : {}), ...(str(v.tenancy) ? { tenancy: str(v.tenancy) } : {}) };
}

export function ec2RatesFor(prices: { ec2OnDemandHourly: Record<string, number>; ec2LicensedHourly: Record<string, number> }, platform?: Ec2Platform): Ec2Rates {
  const linux: Ec2Rates = { os: 'Linux', words: 'Linux, Shared', field: 'ec2OnDemandHourly', hourly: (t) => prices.ec2OnDemandHourly[t], priced: true };
  if (platform?.unknown) return { ...linux, assumed: `operating system unknown (${platform.unknown}): Linux rates assumed; a licensed OS (Windows, RHEL) makes a smaller type save more` };
  const tenancy = platform?.tenancy;
  if (tenancy && tenancy !== 'default') {
    return { ...linux, words: `${tenancy === 'host' ? 'Dedicated Host' : 'Dedicated'} tenancy`, priced: false, why: `${tenancy === 'host' ? 'A Dedicated Host instance (the host is billed, not the instance)' : 'Dedicated tenancy'} is not priced` };
  }
  const os = ec2OsOf(platform?.platformDetails);
  if ('why' in os) return { ...linux, words: `${platform?.platformDetails}, Shared`, priced: false, why: os.why };
  if (os.os === 'Linux') return linux;
  return { os: os.os, words: `${os.os}, Shared`, field: 'ec2LicensedHourly', hourly: (t) => prices.ec2LicensedHourly[`${os.os}:${t}`], priced: true };
}

/**
 * The on-demand $/h of an instance: its type, operating system (PlatformDetails) and tenancy,
 * with the words naming them, or why it cannot be priced.
 */
export function ec2HourlyFor(
  prices: { ec2OnDemandHourly: Record<string, number>; ec2LicensedHourly: Record<string, number> },
  instanceType: string,
  platformDetails?: string,
  tenancy?: string,
): { hourly: number; label: string } | { why: string } {
  const rates = ec2RatesFor(prices, { platformDetails, tenancy });
  if (!rates.priced) return { why: rates.why! };
  const hourly = rates.hourly(instanceType);
  if (hourly === undefined) return { why: `No on-demand price for ${instanceType} ${rates.os} in the price table (${rates.field})` };
  return { hourly, label: `${instanceType} ${rates.words}` };
}
