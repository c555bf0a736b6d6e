import { systemClock } from '../../../../lib/util/clock.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../../lib/aws/clients.ts';
import type { DetectEnv, RegionContext } from '../../../../lib/engine/types.ts';
import { gp2ToGp3, unattached } from '../../../../lib/resources/ebs-volume/detectors.ts';
import { toEbsVolume, type EbsVolume, type EbsVolumePrepared } from '../../../../lib/resources/ebs-volume/resource.ts';
import { gp2BaselineIops, gp2BurstIops, gp2MaxThroughput, gp3Equivalent, volumeMonthlyCost } from '../../../../lib/resources/ebs-volume/savings.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const now = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const env = (modifications: EbsVolumePrepared['modifications'] = new Map()): DetectEnv<EbsVolumePrepared> => ({
  ctx: { account: '123456789012', region: 'us-east-1', now, prices: DEFAULT_PRICES, clock: systemClock, clients: new AwsClients({ allowWrites: false }), log: () => {} } as RegionContext,
  prepared: { modifications },
});
const volume = (over: Partial<EbsVolume>): EbsVolume => ({
  id: 'vol-1', sizeGb: 100, volumeType: 'gp3', iops: 3000, throughput: 125, state: 'available', availabilityZone: 'us-east-1a',
  createTime: now.getTime() - 100 * DAY, attachedTo: [], multiAttach: false, encrypted: false, tags: {}, lastMetricAt: null, historyDays: 30, ...over,
});

describe('gp2 and gp3 performance math', () => {
  it('gives gp2 3 IOPS per GiB between 100 and 16,000, bursting to 3,000 up to 1 TiB', () => {
    expect(gp2BaselineIops(8)).toBe(100);
    expect(gp2BaselineIops(500)).toBe(1500);
    expect(gp2BaselineIops(6000)).toBe(16000);
    expect(gp2BurstIops(500)).toBe(3000);
    expect(gp2BurstIops(2000)).toBe(6000);
    expect(gp2MaxThroughput(170)).toBe(128);
    expect(gp2MaxThroughput(171)).toBe(250);
  });

  it('sets gp3 IOPS and throughput at least what gp2 delivers', () => {
    expect(gp3Equivalent(100, true)).toEqual({ iops: 3000, throughput: 128 });
    expect(gp3Equivalent(100, false)).toEqual({ iops: 3000, throughput: 125 });
    expect(gp3Equivalent(2000, true)).toEqual({ iops: 6000, throughput: 250 });
    expect(gp3Equivalent(6000, true)).toEqual({ iops: 16000, throughput: 250 });
  });

  it('prices gp3 with the IOPS and throughput above the included 3,000 and 125 MiB/s', () => {
    // 2,000 GiB × $0.08 + 3,000 IOPS × $0.005 + 125 MiB/s × $0.04 = 160 + 15 + 5
    expect(volumeMonthlyCost({ volumeType: 'gp3', sizeGb: 2000, iops: 6000, throughput: 250 }, DEFAULT_PRICES).monthlyUsd).toBeCloseTo(180, 6);
    expect(volumeMonthlyCost({ volumeType: 'gp2', sizeGb: 2000 }, DEFAULT_PRICES).monthlyUsd).toBeCloseTo(200, 6);
    expect(volumeMonthlyCost({ volumeType: 'io1', sizeGb: 200, iops: 4000 }, DEFAULT_PRICES).monthlyUsd).toBeCloseTo(285, 6);
    expect(volumeMonthlyCost({ volumeType: 'weird', sizeGb: 1 }, DEFAULT_PRICES).monthlyUsd).toBe(0);
  });
});

describe('unattached detector', () => {
  const options = { days: 30, allowKubernetes: false };

  it('flags a volume unattached for the whole window, saving its cost minus the snapshot kept', () => {
    const d = unattached.detect!(volume({ sizeGb: 1000 }), options, env()) as any;
    expect(d.status).toBe('actionable');
    expect(d.savings.monthlyUsd).toBeCloseTo(1000 * 0.08 - 1000 * 0.05, 6);
    expect(d.evidence.lastAttachedApprox).toBe('not in the last 30 days');
  });

  it('leaves out attached, too-young and recently detached volumes', () => {
    expect(unattached.detect!(volume({ state: 'in-use', attachedTo: ['i-1'] }), options, env())).toBeUndefined();
    expect(unattached.detect!(volume({ createTime: now.getTime() - 5 * DAY }), options, env())).toBeUndefined();
    expect(unattached.detect!(volume({ lastMetricAt: now.getTime() - 3 * DAY }), options, env())).toBeUndefined();
    expect(unattached.detect!(volume({ lastMetricAt: now.getTime() - 45 * DAY }), options, env())).toBeDefined();
  });

  it('protects a volume a Kubernetes PersistentVolume keeps unless allowKubernetes', () => {
    const pv = volume({ tags: { 'kubernetes.io/created-for/pv/name': 'pvc-1' } });
    expect((unattached.detect!(pv, options, env()) as any).status).toBe('protected');
    expect((unattached.detect!(pv, { ...options, allowKubernetes: true }, env()) as any).status).toBe('actionable');
  });

  it('reads the recorded DescribeVolumes shape: only the available io1 volume is unattached', () => {
    const recorded = JSON.parse(readFileSync('test/fixtures/ec2/DescribeVolumes-available-and-in-use.json', 'utf8')).data.Volumes;
    const volumes = recorded.map((v: any) => toEbsVolume({ ...v, CreateTime: new Date(now.getTime() - 400 * DAY) }));
    const found = volumes.map((v: EbsVolume) => unattached.detect!({ ...v, lastMetricAt: null }, options, env())).filter(Boolean);
    expect(found).toHaveLength(1);
    expect((found[0] as any).evidence).toMatchObject({ volumeType: 'io1', sizeGb: 64, iops: 1000 });
  });
});

describe('gp2-to-gp3 detector', () => {
  const options = { matchGp2Throughput: true, minMonthlySavingsUsd: 0.5 };
  const gp2 = (sizeGb: number) => volume({ volumeType: 'gp2', sizeGb, iops: gp2BaselineIops(sizeGb), throughput: undefined, state: 'in-use', attachedTo: ['i-1'] });

  it('estimates the saving and the target settings', () => {
    const d = gp2ToGp3.detect!(gp2(2000), options, env()) as any;
    expect(d.savings.monthlyUsd).toBeCloseTo(20, 6);
    expect(d.before.target).toEqual({ iops: 6000, throughput: 250 });
  });

  it('skips volumes where gp3 at equal performance saves less than the minimum or costs more', () => {
    expect(gp2ToGp3.detect!(gp2(8), options, env())).toBeUndefined(); // saves $0.04
    expect(gp2ToGp3.detect!(gp2(200), options, env())).toBeUndefined(); // 250 MiB/s costs $5 more than 20% off saves
    expect(gp2ToGp3.detect!(gp2(200), { ...options, matchGp2Throughput: false }, env())).toBeDefined();
  });

  it('protects a volume whose last modification is still modifying or optimizing, naming the state and progress', () => {
    // Prepare
    const optimizing = new Map([['vol-1', { state: 'optimizing', startTime: now.getTime() - 2 * 3_600_000, progress: 40 }]]);
    const modifying = new Map([['vol-1', { state: 'modifying', startTime: now.getTime() - 60_000 }]]);
    // Act
    const a = gp2ToGp3.detect!(gp2(500), options, env(optimizing)) as any;
    const b = gp2ToGp3.detect!(gp2(500), options, env(modifying)) as any;
    // Assess
    expect(a.status).toBe('protected');
    expect(a.evidence.protection).toBe('a modification started 2026-10-31T22:00:00.000Z is still optimizing (40%, about 3 h 0 min more at this rate); AWS allows the next one once it is completed (optimizing can take hours on large volumes)');
    expect(b.status).toBe('protected');
    expect(b.evidence.protection).toContain('still modifying');
  });

  it('allows a volume whose last modification completed, however recently (AWS has no fixed 6-hour cooldown any more)', () => {
    // Prepare: completed two hours after it started, ten minutes ago
    const mods = new Map([['vol-1', { state: 'completed', startTime: now.getTime() - 2 * 3_600_000 }]]);
    // Act
    const d = gp2ToGp3.detect!(gp2(500), options, env(mods)) as any;
    // Assess
    expect(d.status).toBe('actionable');
    expect(d.evidence.lastModification).toEqual({ state: 'completed', startTime: '2026-10-31T22:00:00.000Z' });
  });
});

describe('modify-to-gp3 cooldown', () => {
  it('asks the engine for no fixed cooldown floor', async () => {
    const { modifyToGp3 } = await import('../../../../lib/resources/ebs-volume/remediators.ts');
    expect(modifyToGp3.minCooldownHours).toBeUndefined();
  });

  it('refuses to plan snapshot-and-delete for a volume whose tags plus the two trimtab adds would exceed the EC2 limit of 50 per snapshot, and plans it at 48', async () => {
    // Prepare
    const { snapshotAndDelete } = await import('../../../../lib/resources/ebs-volume/remediators.ts');
    const tagged = (n: number) => volume({ tags: { ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])), 'aws:cloudformation:stack-name': 'ignored' } });
    const finding = (v: EbsVolume) => ({ before: { volume: v } }) as never;
    const opts = snapshotAndDelete.options.parse({}) as never;
    // Act
    const over = snapshotAndDelete.plan(finding(tagged(49)), opts, { now, prices: DEFAULT_PRICES });
    const fits = snapshotAndDelete.plan(finding(tagged(48)), opts, { now, prices: DEFAULT_PRICES });
    // Assess
    expect(over).toMatchObject({ kind: 'conflict', reason: expect.stringContaining('vol-1 has 49 tags: its final snapshot would carry 51') });
    expect(fits.kind).toBe('change');
  });
});
