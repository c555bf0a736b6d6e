import { describe, expect, it } from 'vitest';
import { PriceBook } from '../../lib/pricing/lookup.ts';
import { performanceSavings } from '../../lib/resources/ebs-volume/performance.ts';
import type { EbsVolume } from '../../lib/resources/ebs-volume/volume.ts';
import { addInstance } from '../../lib/resources/ec2-instance/sandbox-seed.ts';
import { seedDbInstance } from '../../lib/resources/rds-instance/sandbox-seed.ts';
import { faultRules } from '../../lib/sandbox/faults.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../lib/sandbox/sandbox.ts';
import { emptySandbox, envFor, type TestSandboxOptions } from '../helpers.ts';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const IDLE = { cpu: { base: 2, noise: 1 }, networkIn: { base: 1_500, noise: 300 }, networkOut: { base: 1_000, noise: 200 } };

const POLICIES = `
version: 1
policies:
  - { id: idle, resource: ec2-instance, detector: { type: idle-instance } }
  - { id: idle-db, resource: rds-instance, detector: { type: idle-db-instance } }
`;

/** The same idle m5.large in three regions; a Windows m5.large, a c7i.large (never in the old table) and an idle RDS SQL Server SE in us-east-1. */
function seeded(options: TestSandboxOptions = {}): Sandbox {
  const sandbox = emptySandbox(options);
  REGIONS.forEach((region, n) => {
    addInstance(sandbox, SANDBOX_ACCOUNT, region, { id: `i-0000000000000010${n}`, instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 60, tags: { Name: `linux-${region}` }, ...IDLE });
  });
  addInstance(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-00000000000000201', instanceType: 'm5.large', platformDetails: 'Windows', rootDeviceType: 'ebs', ageDays: 60, tags: { Name: 'windows' }, ...IDLE });
  addInstance(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-00000000000000301', instanceType: 'c7i.large', rootDeviceType: 'ebs', ageDays: 60, tags: { Name: 'c7i' }, ...IDLE });
  seedDbInstance(sandbox, SANDBOX_ACCOUNT, { id: 'mssql-idle', engine: 'sqlserver-se', dbClass: 'db.m5.large', ageDays: 200 });
  seedDbInstance(sandbox, SANDBOX_ACCOUNT, { id: 'mysql-idle', engine: 'mysql', dbClass: 'db.m5.large', ageDays: 200 });
  seedDbInstance(sandbox, SANDBOX_ACCOUNT, { id: 'oracle-li', engine: 'oracle-se2', licenseModel: 'license-included', dbClass: 'db.m5.large', ageDays: 200 });
  seedDbInstance(sandbox, SANDBOX_ACCOUNT, { id: 'oracle-byol', engine: 'oracle-se2', licenseModel: 'bring-your-own-license', dbClass: 'db.m5.large', ageDays: 200 });
  seedDbInstance(sandbox, SANDBOX_ACCOUNT, { id: 'oracle-ee-li', engine: 'oracle-ee', licenseModel: 'license-included', dbClass: 'db.m5.large', ageDays: 200 });
  seedDbInstance(sandbox, SANDBOX_ACCOUNT, { id: 'mysql-multi-az', engine: 'mysql', dbClass: 'db.m5.large', multiAz: true, region: 'eu-west-1', ageDays: 200 });
  return sandbox;
}

async function scan(sandbox: Sandbox, withBook = true) {
  const env = envFor(sandbox, REGIONS);
  const book = new PriceBook({ clients: env.clients, now: () => sandbox.now() });
  if (withBook) env.deps.priceBook = book;
  const result = await env.run(POLICIES, { forceDryRun: true });
  const byName = (name: string) => {
    const f = result.findings.find((x) => x.resource.tags.Name === name || x.resource.id.endsWith(name));
    if (!f) throw new Error(`no finding for ${name}: ${result.findings.map((x) => x.resource.id).join(', ')}`);
    return f;
  };
  return { result, byName, book };
}

describe('prices from the AWS Price List per region, OS and engine (issue 27)', () => {
  it('prices the same idle m5.large at each region\'s own rate and names the source', async () => {
    // Prepare
    const sandbox = seeded();

    // Act
    const { byName } = await scan(sandbox);

    // Assess: 730 h × $0.096 / $0.107 / $0.12 (the sandbox's regional model).
    expect(byName('linux-us-east-1').savings.monthlyUsd).toBeCloseTo(70.08, 2);
    expect(byName('linux-eu-west-1').savings.monthlyUsd).toBeCloseTo(78.11, 2);
    expect(byName('linux-ap-southeast-2').savings.monthlyUsd).toBeCloseTo(87.6, 2);
    expect(byName('linux-eu-west-1').savings.basis).toContain('Prices: AWS Price List, eu-west-1, 2026-11-30.');
    expect(byName('linux-eu-west-1').savings.basis[0]).toContain('m5.large Linux, Shared on-demand $0.107/h');
  });

  it('prices a Windows instance, a type never in the old table and RDS SQL Server at their own rates', async () => {
    // Prepare
    const sandbox = seeded();

    // Act
    const { byName } = await scan(sandbox);

    // Assess: Windows m5.large = $0.096 + 2 vCPU × $0.046 = $0.188/h; c7i.large $0.08925/h; SQL Server SE db.m5.large $0.977/h.
    expect(byName('windows').savings.basis[0]).toContain('m5.large Windows, Shared on-demand $0.188/h');
    expect(byName('windows').savings.monthlyUsd).toBeCloseTo(0.188 * 730, 2);
    expect(byName('c7i').savings.monthlyUsd).toBeCloseTo(0.08925 * 730, 2);
    expect(byName('mssql-idle').savings.basis.join(' ')).toContain('db.m5.large (sqlserver-se) $0.977/h');
    expect(byName('mysql-idle').savings.basis.join(' ')).toContain('db.m5.large (mysql) $0.171/h');
  });

  it('asks the price list once per region per product family in a run', async () => {
    // Prepare: record every GetProducts input (a fault rule that never fails).
    const asked: { Filters: { Field: string; Value: string }[]; NextToken?: string }[] = [];
    const sandbox = seeded({ faults: { failWhen: (call) => { if (call.operation === 'GetProducts') asked.push(call.input); return undefined; } } });

    // Act
    const { book } = await scan(sandbox);

    // Assess: the same queries for each region, each first page once (no region asked twice in the run).
    expect(sandbox.callCount('pricing:GetProducts')).toBe(book.calls);
    const firstPages = asked.filter((a) => !a.NextToken);
    const perRegion = new Map<string, number>();
    for (const a of firstPages) {
      const region = a.Filters.find((f) => f.Field === 'regionCode')!.Value;
      perRegion.set(region, (perRegion.get(region) ?? 0) + 1);
    }
    expect([...perRegion.keys()].sort()).toEqual([...REGIONS].sort());
    expect([...perRegion.values()]).toEqual([perRegion.get('us-east-1'), perRegion.get('us-east-1'), perRegion.get('us-east-1')]);
    expect(perRegion.get('us-east-1')).toBeGreaterThan(10);
  });

  it('with pricing:GetProducts denied still prices from the embedded table and says so', async () => {
    // Prepare
    const sandbox = seeded({ faults: { failWhen: faultRules([{ operation: 'pricing:GetProducts', error: 'denied' }]).failWhen } });

    // Act
    const { byName } = await scan(sandbox);

    // Assess: us-east-1's list price everywhere, and the finding says which region it is not.
    const eu = byName('linux-eu-west-1').savings;
    expect(eu.monthlyUsd).toBeCloseTo(70.08, 2);
    expect(eu.basis).toContain('Prices: embedded table (2026-01), us-east-1 list price; eu-west-1 not priced (pricing:GetProducts denied).');
    expect(byName('linux-us-east-1').savings.basis).toContain('Prices: embedded table (2026-01), us-east-1 list price (pricing:GetProducts denied).');
    // The type never in the embedded table is still reported, with why it is not priced.
    expect(byName('c7i').savings).toMatchObject({ monthlyUsd: 0 });
    expect(byName('c7i').savings.basis[0]).toBe('No on-demand price for c7i.large Linux in the price table (ec2OnDemandHourly): saving not estimated.');
  });

  it("prices an io2 raise across 32,000 IOPS at the region's own tier prices read through the price list", async () => {
    // Prepare: Sydney's io2 IOPS tiers in the sandbox's list: $0.078 (first 32,000), $0.0546 (32,001-64,000), $0.0384 (above)
    const sandbox = seeded();
    const env = envFor(sandbox, REGIONS);
    const book = new PriceBook({ clients: env.clients, now: () => sandbox.now() });
    const io2 = { id: 'vol-io2', volumeType: 'io2', sizeGb: 2000, iops: 30_000, state: 'in-use', availabilityZone: 'ap-southeast-2a', createTime: 0, attachedTo: [], multiAttach: false, encrypted: false, tags: {} } as unknown as EbsVolume;

    // Act
    const sydney = await book.forRegion('ap-southeast-2');
    const raise = performanceSavings(io2, { iops: 40_000 }, sydney);
    const lower = performanceSavings({ ...io2, iops: 70_000 }, { iops: 30_000 }, sydney);

    // Assess: 30,000 → 40,000 = 2,000 × $0.078 + 8,000 × $0.0546 = $592.80 more;
    // 70,000 → 30,000 = 2,000 × $0.078 + 32,000 × $0.0546 + 6,000 × $0.0384 = $2,133.60 less.
    expect([sydney.ebsIo2IopsMonth, sydney.ebsIo2IopsMonthTier2, sydney.ebsIo2IopsMonthTier3]).toEqual([0.078, 0.0546, 0.0384]);
    expect(raise.monthlyUsd).toBeCloseTo(-592.8, 2);
    expect(lower.monthlyUsd).toBeCloseTo(2133.6, 2);
    expect(raise.basis.join(' ')).toContain('40000 IOPS (tiered: first 32,000 × $0.078, next up to 32,000 × $0.0546)');
  });

  it("prices a Multi-AZ RDS instance from the price list's Multi-AZ deployment option, and says so when only Single-AZ × 2 is known", async () => {
    // Prepare
    const sandbox = seeded();

    // Act
    const listed = await scan(sandbox);
    const embedded = await scan(seeded(), false);

    // Assess: eu-west-1 MySQL db.m5.large Multi-AZ in the sandbox's list = 2 × $0.19 = $0.38/h; × 730 h = $277.40.
    const basis = listed.byName('mysql-multi-az').savings.basis.join(' ');
    expect(basis).toContain("db.m5.large (mysql) Multi-AZ $0.38/h (the list's Multi-AZ rate, standby included) × 730 h = $277.4");
    expect(embedded.byName('mysql-multi-az').savings.basis.join(' ')).toContain('db.m5.large (mysql) $0.171/h × 730 h × 2 (Multi-AZ standby; no Multi-AZ rate in the price table, Single-AZ × 2) = $249.66');
  });

  it("prices a Multi-AZ RDS instance's storage at the list's Multi-AZ storage rate, and says so when only Single-AZ × 2 is known", async () => {
    // Prepare
    const sandbox = seeded();

    // Act
    const listed = await scan(sandbox);
    const embedded = await scan(seeded(), false);

    // Assess: eu-west-1 gp3 Single-AZ $0.115 × 0.19 / 0.171 (the sandbox's database ratio) = $0.1277777778; its Multi-AZ product is twice that.
    const storageLine = (r: Awaited<ReturnType<typeof scan>>) => r.byName('mysql-multi-az').savings.basis.find((l) => l.startsWith('Storage stays billed'))!;
    expect(storageLine(listed)).toBe("Storage stays billed while stopped: gp3 100 GiB × $0.2555555556 (the list's Multi-AZ storage rate, standby included) + (0 IOPS above the included 3000 × $0.02 + 0 MiB/s above 125 × $0.08) × 2 (Multi-AZ) = $25.56/month (deleting saves it too, minus the final snapshot).");
    expect(storageLine(embedded)).toBe('Storage stays billed while stopped: gp3 100 GiB × $0.115 × 2 (Multi-AZ; no Multi-AZ storage rate in the price table, Single-AZ × 2) + (0 IOPS above the included 3000 × $0.02 + 0 MiB/s above 125 × $0.08) × 2 (Multi-AZ) = $23/month (deleting saves it too, minus the final snapshot).');
  });

  it("prices Oracle by the instance's LicenseModel (licence included vs bring your own) and says why an Enterprise Edition 'license-included' instance has no price", async () => {
    // Prepare
    const sandbox = seeded();

    // Act
    const { byName } = await scan(sandbox);

    // Assess: SE2 licence included $0.544/h, SE2 BYOL $0.19/h (RDS_ORACLE_HOURLY, read back through GetProducts).
    expect(byName('oracle-li').savings.monthlyUsd).toBeCloseTo(0.544 * 730, 2);
    expect(byName('oracle-li').savings.basis.join(' ')).toContain('db.m5.large (oracle-se2) $0.544/h');
    expect(byName('oracle-byol').savings.monthlyUsd).toBeCloseTo(0.19 * 730, 2);
    expect(byName('oracle-byol').savings.basis.join(' ')).toContain('db.m5.large (oracle-se2-byol) $0.19/h');
    expect(byName('oracle-ee-li').savings.monthlyUsd).toBe(0);
    expect(byName('oracle-ee-li').savings.basis[0]).toBe(
      'No price: db.m5.large (oracle-ee, license-included): RDS sells Oracle Enterprise Edition bring-your-own-license only, so the price list has no license-included rate; saving not estimated.',
    );
  });
});
