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

/** The licence-included OS prices the embedded table derives (Linux + vCPU × premium), '<OS>:<type>'. */
export function derivedLicensedHourly(linux: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [os, premium] of Object.entries(EC2_OS_PREMIUM_VCPU_HOUR)) {
    for (const [type, usd] of Object.entries(linux)) {
      const vcpu = EC2_INSTANCE_TYPES.get(type)?.vcpu;
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
  if (tenancy && tenancy !== 'default') return { why: `${tenancy === 'host' ? 'A Dedicated Host instance (the host is billed, not the instance)' : 'Dedicated tenancy'} is not priced` };
  const os = ec2OsOf(platformDetails);
  if ('why' in os) return os;
  const hourly = os.os === 'Linux' ? prices.ec2OnDemandHourly[instanceType] : prices.ec2LicensedHourly[`${os.os}:${instanceType}`];
  if (hourly === undefined) return { why: `No on-demand price for ${instanceType} ${os.os} in the price table (${os.os === 'Linux' ? 'ec2OnDemandHourly' : 'ec2LicensedHourly'})` };
  return { hourly, label: `${instanceType} ${os.os}, Shared` };
}
