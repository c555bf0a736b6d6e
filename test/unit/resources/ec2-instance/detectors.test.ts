import { describe, expect, it } from 'vitest';
import { idleInstance, previousGenerationType, previousGenerationVolumes, type IdleOptions } from '../../../../lib/resources/ec2-instance/detectors.ts';
import { instanceGenerationAdvice, io2IopsMonthly, volumeGenerationAdvice } from '../../../../lib/resources/ec2-instance/generations.ts';
import type { DailyUsage, Ec2Instance } from '../../../../lib/resources/ec2-instance/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import type { DetectEnv, Detection } from '../../../../lib/engine/types.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const env = { ctx: { now: NOW, prices: DEFAULT_PRICES }, prepared: undefined } as unknown as DetectEnv;
const MB = 1_000_000;

/** 14 days: `idle` idle days (2% CPU, 1 MB) then busy ones (40% CPU), or nulls for missing days. */
function days(idle: number, busy = 14 - idle, missing = 14 - idle - busy): DailyUsage[] {
  const out: DailyUsage[] = [];
  for (let d = 0; d < missing; d++) out.push({ day: `m${d}`, cpuPercent: null, networkBytes: null });
  for (let d = 0; d < busy; d++) out.push({ day: `b${d}`, cpuPercent: 40, networkBytes: 900 * MB });
  for (let d = 0; d < idle; d++) out.push({ day: `i${d}`, cpuPercent: 2, networkBytes: 1 * MB });
  return out;
}

function instance(overrides: Partial<Ec2Instance> = {}): Ec2Instance {
  return {
    id: 'i-0123456789abcdef0', arn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0', region: 'us-east-1',
    instanceType: 'm5.large', state: 'running', rootDeviceType: 'ebs', tags: {}, volumeIds: ['vol-1', 'vol-2'],
    usage: { windowDays: 14, days: days(14) },
    ...overrides,
  };
}

const opts = (o: Partial<IdleOptions> = {}) => idleInstance.options.parse(o) as unknown as IdleOptions;
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;

describe('idle-instance', () => {
  it('flags an instance idle on every day, with the daily evidence and compute saving', () => {
    // Act
    const d = one(idleInstance.detect!(instance(), opts(), env))!;
    // Assess: m5.large $0.096/h × 730 h
    expect(d.status).toBeUndefined();
    expect(d.evidence).toMatchObject({ idleDays: 14, daysWithData: 14, maxDailyCpuPercent: 2, maxDailyNetworkMb: 1 });
    expect(d.savings!.monthlyUsd).toBeCloseTo(70.08, 2);
    expect(d.savings!.basis.join(' ')).toContain('2 EBS volumes stay billed');
    expect(d.before).toMatchObject({ instanceId: 'i-0123456789abcdef0', instanceType: 'm5.large', volumeIds: ['vol-1', 'vol-2'] });
  });

  it('counts idle days against minIdleDays: 10 of 14 flags, 9 of 14 does not, and TA-like 4 of 14 does', () => {
    expect(one(idleInstance.detect!(instance({ usage: { windowDays: 14, days: days(10) } }), opts(), env))).toBeDefined();
    expect(one(idleInstance.detect!(instance({ usage: { windowDays: 14, days: days(9) } }), opts(), env))).toBeUndefined();
    expect(one(idleInstance.detect!(instance({ usage: { windowDays: 14, days: days(4) } }), opts({ minIdleDays: 4 }), env))?.evidence.idleDays).toBe(4);
  });

  it('treats a day with low CPU but more network than the threshold as busy', () => {
    const proxy = days(14).map((d) => ({ ...d, networkBytes: 40 * MB }));
    expect(one(idleInstance.detect!(instance({ usage: { windowDays: 14, days: proxy } }), opts(), env))).toBeUndefined();
    expect(one(idleInstance.detect!(instance({ usage: { windowDays: 14, days: proxy } }), opts({ maxNetworkMb: 50 }), env))).toBeDefined();
  });

  it('protects an instance that looks idle on too few days of data', () => {
    const d = one(idleInstance.detect!(instance({ usage: { windowDays: 14, days: days(3, 0) } }), opts(), env))!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toBe('too little data: 3 of 14 days have metrics, 10 idle days are needed');
  });

  it('protects instance-store-backed, Auto Scaling and spot instances, with the reason', () => {
    const store = one(idleInstance.detect!(instance({ rootDeviceType: 'instance-store' }), opts(), env))!;
    const asg = one(idleInstance.detect!(instance({ tags: { 'aws:autoscaling:groupName': 'web' } }), opts(), env))!;
    const spot = one(idleInstance.detect!(instance({ lifecycle: 'spot' }), opts(), env))!;
    expect([store.status, asg.status, spot.status]).toEqual(['protected', 'protected', 'protected']);
    expect(store.evidence.protection).toMatch(/instance-store, not EBS: it cannot be stopped/);
    expect(asg.evidence.protection).toMatch(/Auto Scaling group web/);
    expect(spot.evidence.protection).toMatch(/spot instance/);
  });

  it('ignores stopped instances and estimates 0 for a type missing from the price table', () => {
    expect(one(idleInstance.detect!(instance({ state: 'stopped', usage: undefined }), opts(), env))).toBeUndefined();
    const unknown = one(idleInstance.detect!(instance({ instanceType: 'x9.mystery' }), opts(), env))!;
    expect(unknown.savings!.monthlyUsd).toBe(0);
    expect(unknown.savings!.basis[0]).toContain('No on-demand price for x9.mystery');
  });

  it('rejects minIdleDays larger than the window with a clear error', () => {
    expect(() => idleInstance.detect!(instance(), opts({ windowDays: 7, minIdleDays: 10 }), env)).toThrow('minIdleDays (10) cannot exceed windowDays (7)');
  });

  it('asks for usage over the configured window', () => {
    expect((idleInstance.needs as (o: IdleOptions) => string[])(opts({ windowDays: 21 }))).toEqual(['usage', 'window:21', 'instance-storage']);
  });

  it('protects an EBS-backed instance whose type has instance-store volumes, unless allowInstanceStoreLoss', () => {
    // Prepare
    const m5d = instance({ instanceType: 'm5d.xlarge', instanceStorageGb: 150 });
    // Act
    const protectedByDefault = one(idleInstance.detect!(m5d, opts(), env))!;
    const allowed = one(idleInstance.detect!(m5d, opts({ allowInstanceStoreLoss: true }), env))!;
    const noStore = one(idleInstance.detect!(instance({ instanceStorageGb: 0 }), opts(), env))!;
    // Assess
    expect(protectedByDefault.status).toBe('protected');
    expect(protectedByDefault.evidence).toMatchObject({ instanceStorageGb: 150, protection: 'm5d.xlarge has 150 GB of instance-store volumes: stopping erases their data (set allowInstanceStoreLoss to stop it anyway)' });
    expect(allowed.status).toBeUndefined();
    expect(allowed.before).toMatchObject({ instanceStorageGb: 150, allowInstanceStoreLoss: true });
    expect(noStore.status).toBeUndefined();
  });
});

describe('instance generations', () => {
  it('maps m4 to m6i with a Graviton alternative and prices the difference', () => {
    const a = instanceGenerationAdvice('m4.xlarge', DEFAULT_PRICES)!;
    expect(a).toMatchObject({ from: 'm4.xlarge', to: 'm6i.xlarge', graviton: 'm7g.xlarge' });
    // ($0.20 − $0.192) × 730
    expect(a.monthlyUsd).toBeCloseTo(5.84, 2);
  });

  it('maps t2 to t3 and c4 to c6i; current generations get no advice', () => {
    expect(instanceGenerationAdvice('t2.medium', DEFAULT_PRICES)!.monthlyUsd).toBeCloseTo((0.0464 - 0.0416) * 730, 4);
    expect(instanceGenerationAdvice('c4.2xlarge', DEFAULT_PRICES)!.to).toBe('c6i.2xlarge');
    expect(instanceGenerationAdvice('m6i.large', DEFAULT_PRICES)).toBeUndefined();
  });

  it('estimates 0 when the successor has no price', () => {
    const a = instanceGenerationAdvice('c4.8xlarge', DEFAULT_PRICES)!;
    expect(a.monthlyUsd).toBe(0);
    expect(a.basis[0]).toContain('No on-demand price for c4.8xlarge');
  });

  it('reports a running previous-generation instance only', () => {
    const d = one(previousGenerationType.detect!(instance({ instanceType: 'r4.large' }), {}, env))!;
    expect(d.evidence).toEqual({ instanceType: 'r4.large', successor: 'r6i.large', graviton: 'r7g.large' });
    expect(one(previousGenerationType.detect!(instance({ instanceType: 'r4.large', state: 'stopped' }), {}, env))).toBeUndefined();
  });
});

describe('volume generations', () => {
  it('prices io2 IOPS in three tiers', () => {
    expect(io2IopsMonthly(10_000, DEFAULT_PRICES)).toBeCloseTo(650, 6);
    expect(io2IopsMonthly(80_000, DEFAULT_PRICES)).toBeCloseTo(32_000 * 0.065 + 32_000 * 0.0455 + 16_000 * 0.032, 6);
  });

  it('saves on io1 above 32,000 IOPS and nothing below', () => {
    expect(volumeGenerationAdvice({ volumeId: 'vol-a', volumeType: 'io1', sizeGb: 500, iops: 10_000 }, DEFAULT_PRICES)!.monthlyUsd).toBe(0);
    // 8,000 IOPS above 32,000: × ($0.065 − $0.0455)
    expect(volumeGenerationAdvice({ volumeId: 'vol-b', volumeType: 'io1', sizeGb: 500, iops: 40_000 }, DEFAULT_PRICES)!.monthlyUsd).toBeCloseTo(156, 6);
  });

  it('says magnetic to gp3 costs more storage and leaves the I/O saving unestimated', () => {
    const a = volumeGenerationAdvice({ volumeId: 'vol-c', volumeType: 'standard', sizeGb: 200 }, DEFAULT_PRICES)!;
    expect(a).toMatchObject({ from: 'standard', to: 'gp3', monthlyUsd: 0 });
    expect(a.basis[0]).toContain('storage costs $6/month more on gp3');
  });

  it('reports an instance whose attached volumes include io1 and magnetic ones, ignoring gp3', () => {
    const i = instance({ volumes: [{ volumeId: 'vol-1', volumeType: 'gp3', sizeGb: 30 }, { volumeId: 'vol-2', volumeType: 'io1', sizeGb: 100, iops: 50_000 }, { volumeId: 'vol-3', volumeType: 'standard', sizeGb: 10 }] });
    const d = one(previousGenerationVolumes.detect!(i, {}, env))!;
    expect(d.evidence.volumes).toEqual([
      { volumeId: 'vol-2', from: 'io1', to: 'io2', monthlyUsd: 351 },
      { volumeId: 'vol-3', from: 'standard', to: 'gp3', monthlyUsd: 0 },
    ]);
    expect(d.savings!.monthlyUsd).toBeCloseTo(351, 6);
    expect(one(previousGenerationVolumes.detect!(instance({ volumes: [{ volumeId: 'vol-1', volumeType: 'gp3', sizeGb: 30 }] }), {}, env))).toBeUndefined();
  });
});
