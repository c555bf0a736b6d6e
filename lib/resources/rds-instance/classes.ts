/**
 * DB instance classes and their prices: sizes (vCPU, memory), the next size down, the
 * successor of a previous-generation class, engine-aware hourly prices and storage costs. Every
 * number comes from the one price table (lib/savings/prices.ts).
 *
 * RDS storage facts (RDS User Guide, "Amazon RDS DB instance storage", gp3 section): gp3 includes
 * 3,000 IOPS and 125 MiB/s below a threshold and 12,000 IOPS and 500 MiB/s at or above it (the
 * volume is striped): 400 GiB for Db2, MariaDB, MySQL and PostgreSQL, 200 GiB for Oracle; SQL
 * Server has no threshold (3,000/125 at any size). gp2's baseline is 3 IOPS per GiB (at least 100,
 * at most 16,000), bursting to 3,000 on credits below 1,000 GiB. On RDS gp3 costs the same per GB
 * as gp2, so the change is a performance gain at no extra cost, not a saving.
 */
import { usd, type PriceTable } from '../../savings/prices.ts';

const SIZES = ['micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];
const VCPU: Record<string, number> = { large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32, '12xlarge': 48, '16xlarge': 64 };
const T_VCPU: Record<string, number> = { micro: 2, small: 2, medium: 2, large: 2, xlarge: 4, '2xlarge': 8 };
const T_MEMORY: Record<string, number> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };
/** GiB of memory per vCPU by family letter: general purpose 4, memory optimised 8. */
const MEMORY_PER_VCPU: Record<string, number> = { m: 4, r: 8, x: 16 };

export interface ClassSpec {
  family: string;
  size: string;
  vcpu: number;
  memoryGiB: number;
  burstable: boolean;
}

/** 'db.m5.xlarge' → its family, size, vCPU and memory; undefined for classes trimtab does not know (db.serverless, db.x2g…). */
export function classSpec(dbClass: string): ClassSpec | undefined {
  const m = /^db\.([a-z]+)(\d+)([a-z]*)\.([0-9]*x?[a-z]+)$/.exec(dbClass);
  if (!m) return undefined;
  const [, letter, , , size] = m;
  const family = dbClass.split('.')[1];
  if (letter === 't') {
    if (!(size in T_VCPU)) return undefined;
    return { family, size, vcpu: T_VCPU[size], memoryGiB: T_MEMORY[size], burstable: true };
  }
  const vcpu = VCPU[size];
  const perVcpu = MEMORY_PER_VCPU[letter];
  if (!vcpu || !perVcpu) return undefined;
  return { family, size, vcpu, memoryGiB: vcpu * perVcpu, burstable: false };
}

/** The next size down in the same family (half the vCPU and memory), or undefined at the smallest RDS offers for it. */
export function nextSmallerClass(dbClass: string): string | undefined {
  const spec = classSpec(dbClass);
  if (!spec || spec.burstable) return undefined;
  const i = SIZES.indexOf(spec.size);
  // large is the smallest size of the m and r families on RDS.
  if (i <= SIZES.indexOf('large')) return undefined;
  const smaller = SIZES[i - 1];
  // 12xlarge halves to 8xlarge only in name, not in size: stop there.
  if (spec.size === '12xlarge') return undefined;
  return `db.${spec.family}.${smaller}`;
}

/**
 * Previous-generation families and their current successor (RDS User Guide, "Supported DB
 * engines for DB instance classes": db.m4, db.r4, db.t2 are previous generation; db.m3/db.r3
 * are past end of support). Graviton (db.m6g/db.r6g) is named as a cheaper alternative when
 * the engine supports it.
 */
const SUCCESSOR: Record<string, { successor: string; graviton?: string }> = {
  m3: { successor: 'm6i', graviton: 'm6g' },
  m4: { successor: 'm6i', graviton: 'm6g' },
  r3: { successor: 'r6i', graviton: 'r6g' },
  r4: { successor: 'r6i', graviton: 'r6g' },
  t2: { successor: 't3' },
};

export function successorOf(dbClass: string): { successor: string; graviton?: string } | undefined {
  const spec = classSpec(dbClass);
  if (!spec) return undefined;
  const next = SUCCESSOR[spec.family];
  if (!next) return undefined;
  return { successor: `db.${next.successor}.${spec.size}`, ...(next.graviton ? { graviton: `db.${next.graviton}.${spec.size}` } : {}) };
}

/** The price table's engine family for an RDS engine name. */
export function engineFamily(engine: string): string {
  if (engine === 'mariadb' || engine === 'mysql') return 'mysql';
  if (engine === 'postgres') return 'postgres';
  if (engine.startsWith('aurora-postgresql')) return 'aurora-postgresql';
  if (engine.startsWith('aurora')) return 'aurora-mysql';
  return engine;
}

/**
 * The price table's engine for an instance: its engine, except Oracle, priced by licence model
 * (DescribeDBInstances LicenseModel): SE2 licence included `oracle-se2`, SE2 and EE
 * bring-your-own-license `oracle-se2-byol` / `oracle-ee-byol` (the `-cdb` variants alike). An Oracle
 * instance whose licence model is missing or not one AWS sells for its edition (EE licence
 * included) gets an engine the table has no price for, and `noPriceWhy` says why.
 */
export function pricedEngine(db: { engine: string; licenseModel?: string }): string {
  const ora = /^oracle-(se2|ee)(-cdb)?$/.exec(db.engine);
  if (!ora) return db.engine;
  if (db.licenseModel === 'bring-your-own-license') return `oracle-${ora[1]}-byol`;
  if (db.licenseModel === 'license-included' && ora[1] === 'se2') return 'oracle-se2';
  return `oracle-${ora[1]}-${db.licenseModel ?? 'licence-unknown'}`;
}

/** Why a class has no price for an instance (the words after "No price for …"). */
export function noPriceWhy(db: { engine: string; licenseModel?: string }, dbClass: string): string {
  const ora = /^oracle-(se2|ee)(-cdb)?$/.exec(db.engine);
  if (ora && !db.licenseModel) return `${dbClass} (${db.engine}): DescribeDBInstances gave no LicenseModel, and Oracle's price depends on it`;
  if (ora && ora[1] === 'ee' && db.licenseModel !== 'bring-your-own-license') return `${dbClass} (${db.engine}, ${db.licenseModel}): RDS sells Oracle Enterprise Edition bring-your-own-license only, so the price list has no ${db.licenseModel} rate`;
  if (/^oracle-/.test(db.engine)) return `${dbClass} (${db.engine}, ${db.licenseModel}) is not in the price table (rdsInstanceHourly ${pricedEngine(db)}:${dbClass})`;
  return `${dbClass} (${db.engine}) is not in the price table (rdsInstanceHourly)`;
}

/** Hourly price of a class for an engine, or undefined when the table has none (Oracle and SQL Server licences vary). */
export function hourlyPrice(prices: PriceTable, engine: string, dbClass: string): number | undefined {
  return prices.rdsInstanceHourly[`${engineFamily(engine)}:${dbClass}`];
}

/** The price list's Multi-AZ (one standby) hourly rate of a class, when the table has it (price list lookups; the embedded table has none). */
export function multiAzHourlyPrice(prices: PriceTable, engine: string, dbClass: string): number | undefined {
  return (prices.rdsInstanceHourly as Record<string, number>)[`${engineFamily(engine)}:${dbClass}:Multi-AZ`];
}

/**
 * Monthly instance cost with its basis line. Multi-AZ: the price list's Multi-AZ rate for the class
 * (deploymentOption Multi-AZ) when the table has it; otherwise the Single-AZ rate × 2 (the
 * standby), and the basis says the Multi-AZ rate was not in the table.
 */
export function instanceMonthly(prices: PriceTable, engine: string, dbClass: string, multiAz: boolean): { monthlyUsd: number; basis: string } | undefined {
  if (multiAz) {
    const listed = multiAzHourlyPrice(prices, engine, dbClass);
    if (listed !== undefined) {
      const monthlyUsd = listed * prices.hoursPerMonth;
      return { monthlyUsd, basis: `${dbClass} (${engineFamily(engine)}) Multi-AZ $${listed}/h (the list's Multi-AZ rate, standby included) × ${prices.hoursPerMonth} h = $${usd(monthlyUsd)}` };
    }
  }
  const hourly = hourlyPrice(prices, engine, dbClass);
  if (hourly === undefined) return undefined;
  const copies = multiAz ? 2 : 1;
  const monthlyUsd = hourly * prices.hoursPerMonth * copies;
  return { monthlyUsd, basis: `${dbClass} (${engineFamily(engine)}) $${hourly}/h × ${prices.hoursPerMonth} h${multiAz ? ' × 2 (Multi-AZ standby; no Multi-AZ rate in the price table, Single-AZ × 2)' : ''} = $${usd(monthlyUsd)}` };
}

/** The gp3 storage size at or above which RDS includes 12,000 IOPS and 500 MiB/s; undefined when there is none (SQL Server). */
export function gp3ThresholdGiB(engine: string): number | undefined {
  if (engine.startsWith('sqlserver')) return undefined;
  if (engine.startsWith('oracle')) return 200;
  return 400;
}

/** What gp3 includes for this engine and size. */
export function gp3Included(engine: string, sizeGiB: number): { iops: number; throughput: number } {
  const threshold = gp3ThresholdGiB(engine);
  return threshold !== undefined && sizeGiB >= threshold ? { iops: 12_000, throughput: 500 } : { iops: 3000, throughput: 125 };
}

export const gp2BaselineIops = (sizeGiB: number) => Math.min(16_000, Math.max(100, 3 * sizeGiB));
export const gp2BurstIops = (sizeGiB: number) => Math.max(gp2BaselineIops(sizeGiB), sizeGiB < 1000 ? 3000 : 0);

export interface StorageSpec {
  storageType: string;
  allocatedGiB: number;
  iops?: number;
  throughput?: number;
  multiAz: boolean;
  engine: string;
}

/**
 * The GB-month rate of a storage type for the deployment, with its basis words. Multi-AZ (one
 * standby): the price list's own Multi-AZ Database Storage rate when the table has it
 * (`rdsStorageMultiAzGbMonth`, looked up per region); otherwise the Single-AZ rate × 2, said so.
 */
function gbMonthRate(s: StorageSpec, prices: PriceTable, listType: 'gp2' | 'gp3' | 'io1', singleAz: number): { rate: number; words: string; copies: number } {
  if (!s.multiAz) return { rate: singleAz, words: `$${singleAz}`, copies: 1 };
  const listed = (prices.rdsStorageMultiAzGbMonth as Record<string, number> | undefined)?.[listType];
  if (listed !== undefined) return { rate: listed, words: `$${listed} (the list's Multi-AZ storage rate, standby included)`, copies: 1 };
  return { rate: singleAz * 2, words: `$${singleAz} × 2 (Multi-AZ; no Multi-AZ storage rate in the price table, Single-AZ × 2)`, copies: 2 };
}

/**
 * Monthly storage cost as provisioned, with its basis line. Multi-AZ storage: the list's Multi-AZ
 * GB-month rate where it answered, else Single-AZ × 2; provisioned IOPS and throughput above the
 * included baseline are not looked up per deployment and stay × 2 for Multi-AZ.
 */
export function storageMonthly(s: StorageSpec, prices: PriceTable): { monthlyUsd: number; basis: string } {
  const gb = s.allocatedGiB;
  const copies = s.multiAz ? 2 : 1;
  const az = s.multiAz ? ' × 2 (Multi-AZ)' : '';
  switch (s.storageType) {
    case 'gp2': {
      const r = gbMonthRate(s, prices, 'gp2', prices.rdsGp2GbMonth);
      const monthlyUsd = gb * r.rate;
      return { monthlyUsd, basis: `gp2 ${gb} GiB × ${r.words}/GB-month = $${usd(monthlyUsd)}` };
    }
    case 'gp3': {
      const included = gp3Included(s.engine, gb);
      const extraIops = Math.max(0, (s.iops ?? included.iops) - included.iops);
      const extraTput = Math.max(0, (s.throughput ?? included.throughput) - included.throughput);
      const r = gbMonthRate(s, prices, 'gp3', prices.rdsGp3GbMonth);
      const monthlyUsd = gb * r.rate + (extraIops * prices.rdsGp3IopsMonth + extraTput * prices.rdsGp3ThroughputMbpsMonth) * copies;
      return {
        monthlyUsd,
        basis: `gp3 ${gb} GiB × ${r.words} + (${extraIops} IOPS above the included ${included.iops} × $${prices.rdsGp3IopsMonth} + ${extraTput} MiB/s above ${included.throughput} × $${prices.rdsGp3ThroughputMbpsMonth})${az} = $${usd(monthlyUsd)}`,
      };
    }
    case 'io1':
    case 'io2': {
      const r = gbMonthRate(s, prices, 'io1', prices.rdsIo1GbMonth);
      const monthlyUsd = gb * r.rate + (s.iops ?? 0) * prices.rdsIo1IopsMonth * copies;
      return { monthlyUsd, basis: `${s.storageType} ${gb} GiB × ${r.words} + ${s.iops ?? 0} IOPS × $${prices.rdsIo1IopsMonth}${az} = $${usd(monthlyUsd)}` };
    }
    case 'standard': {
      const monthlyUsd = gb * prices.rdsMagneticGbMonth * copies;
      return { monthlyUsd, basis: `magnetic ${gb} GiB × $${prices.rdsMagneticGbMonth}/GB-month${az} = $${usd(monthlyUsd)}` };
    }
    default:
      return { monthlyUsd: 0, basis: `no price for storage type ${s.storageType} (Aurora bills storage per cluster): estimate $0` };
  }
}

/**
 * Whether an Aurora engine version accepts a Serverless v2 MinCapacity of 0 ACUs (automatic pause
 * and resume): Aurora PostgreSQL 16.3, 15.7, 14.12, 13.15 and higher minor versions; Aurora MySQL
 * 3.08.0 and higher (Aurora User Guide, "Scaling to Zero ACUs with automatic pause and resume for
 * Aurora Serverless v2"; DescribeDBEngineVersions ServerlessV2FeaturesSupport.MinCapacity 0). An
 * unknown version: no.
 */
export function supportsZeroMinCapacity(engine: string, version: string | undefined): boolean {
  if (!version) return false;
  if (engine === 'aurora-postgresql') {
    const m = /^(\d+)\.(\d+)/.exec(version);
    if (!m) return false;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    const first: Record<number, number> = { 13: 15, 14: 12, 15: 7, 16: 3 };
    return major > 16 || (first[major] !== undefined && minor >= first[major]);
  }
  if (engine === 'aurora-mysql') {
    const m = /mysql_aurora\.(\d+)\.(\d+)/.exec(version);
    if (!m) return false;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    return major > 3 || (major === 3 && minor >= 8);
  }
  return false;
}
