import { describe, expect, it } from 'vitest';
import type { DetectEnv, Detection } from '../../../../lib/engine/types.ts';
import { nextWindowOpening } from '../../../../lib/resources/ec2-instance/change-type.ts';
import type { CreditUse, Ec2Instance, Utilization } from '../../../../lib/resources/ec2-instance/resource.ts';
import {
  downsizeCandidate,
  generationChain,
  oversizedInstance,
  undersizedInstance,
  upsizeCandidate,
  type OversizedOptions,
  type UndersizedOptions,
} from '../../../../lib/resources/ec2-instance/rightsizing.ts';
import { EC2_INSTANCE_TYPES, instanceTypeInfo } from '../../../../lib/savings/ec2-instance-types.ts';
import { DEFAULT_PRICES, pricesWith } from '../../../../lib/savings/prices.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const env = { ctx: { now: NOW, prices: DEFAULT_PRICES }, prepared: undefined } as unknown as DetectEnv;
const over = (o: Partial<OversizedOptions> = {}) => oversizedInstance.options.parse(o) as unknown as OversizedOptions;
const under = (o: Partial<UndersizedOptions> = {}) => undersizedInstance.options.parse(o) as unknown as UndersizedOptions;

function use(u: Partial<Utilization> = {}): Utilization {
  return { windowDays: 14, daysWithData: 14, cpuP95: 8, cpuMax: 12, cpuDailyMeanMax: 6, networkGbpsP95: 0.05, memoryP95: 18, memoryMax: 20, ...u };
}

function instance(overrides: Partial<Ec2Instance> = {}): Ec2Instance {
  return {
    id: 'i-0123456789abcdef0', arn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0', region: 'us-east-1',
    instanceType: 'm5.2xlarge', state: 'running', rootDeviceType: 'ebs', tags: {}, volumeIds: ['vol-1'], architecture: 'x86_64', enaSupport: true,
    instanceStorageGb: 0, utilization: use(),
    ...overrides,
  };
}

const detectOver = (i: Ec2Instance, o = over()) => oversizedInstance.detect!(i, o, env) as Detection | undefined;
const detectUnder = (i: Ec2Instance, o = under()) => undersizedInstance.detect!(i, o, env) as Detection | undefined;

describe('the EC2 instance type table', () => {
  it('describes each type with vCPU, memory, architecture, drivers, successor and a price in the one price table', () => {
    // Act
    const m5 = instanceTypeInfo('m5.2xlarge')!;
    const m6g = instanceTypeInfo('m6g.large')!;
    const t3 = instanceTypeInfo('t3.large')!;
    const m4 = instanceTypeInfo('m4.large')!;
    // Assess
    expect(m5).toMatchObject({ vcpu: 8, memoryGib: 32, architecture: 'x86_64', burstable: false, ena: 'required', nvme: true, successor: 'm6i.2xlarge', hourlyUsd: 0.384 });
    expect(m6g).toMatchObject({ vcpu: 2, memoryGib: 8, architecture: 'arm64', successor: 'm7g.large', hourlyUsd: 0.077 });
    expect(t3).toMatchObject({ vcpu: 2, memoryGib: 8, burstable: true, baselinePercent: 30 });
    expect(m4).toMatchObject({ ena: 'unsupported', nvme: false, successor: 'm5.large' });
    expect(instanceTypeInfo('m5d.xlarge')!.instanceStoreGb).toBe(150);
    expect(instanceTypeInfo('c5d.large')!.instanceStoreGb).toBe(50);
    for (const row of EC2_INSTANCE_TYPES.values()) expect(DEFAULT_PRICES.ec2OnDemandHourly[row.type]).toBe(row.hourlyUsd);
  });

  it('chains a family to its successor generations', () => {
    expect(generationChain('m5')).toEqual(['m5', 'm6i', 'm7i']);
    expect(generationChain('m4')).toEqual(['m4', 'm5', 'm6i', 'm7i']);
    expect(generationChain('m6g')).toEqual(['m6g', 'm7g']);
    expect(generationChain('t3')).toEqual(['t3']);
  });
});

describe('downsizeCandidate', () => {
  it('picks the cheapest type whose projected CPU p95 and memory stay under target, preferring the successor at the same price', () => {
    // Prepare: 8% CPU p95 on 8 vCPU, 18% of 32 GiB memory.
    // Act
    const fit = downsizeCandidate(instance(), use(), over(), DEFAULT_PRICES)!;
    // Assess: m5.large and m6i.large cost the same $0.096: the successor wins; c-family has 4 GiB (too little memory).
    expect(fit.type.type).toBe('m6i.large');
    expect(fit.projectedCpuP95).toBe(32);
    expect(fit.projectedMemoryP95).toBe(72);
  });

  it('judges network fit by the sustained baseline, not the "up to" burst bandwidth', () => {
    // Prepare: m6i.large bursts to 12.5 Gbps but sustains 0.781; at the 50 % target it carries 0.39 Gbps.
    // Act
    const busy = downsizeCandidate(instance(), use({ networkGbpsP95: 1 }), over(), DEFAULT_PRICES);
    const light = downsizeCandidate(instance(), use({ networkGbpsP95: 0.3 }), over(), DEFAULT_PRICES);
    // Assess: 1 Gbps needs 2 Gbps sustained: the cheapest such type is c6i.2xlarge (3.125 sustained); 0.3 Gbps fits m6i.large.
    expect(instanceTypeInfo('m6i.large')).toMatchObject({ networkGbps: 12.5, networkBaselineGbps: 0.781 });
    expect(busy!.type).toMatchObject({ type: 'c6i.2xlarge', networkBaselineGbps: 3.125 });
    expect(light!.type.type).toBe('m6i.large');
  });

  it('never shrinks memory when the agent publishes none', () => {
    // Act
    const fit = downsizeCandidate(instance({ instanceType: 'm5.xlarge' }), use({ memoryP95: null, memoryMax: null }), over(), DEFAULT_PRICES)!;
    // Assess: r6i.large keeps 16 GiB with 2 vCPU; nothing with less memory.
    expect(fit.type.type).toBe('r6i.large');
    expect(fit.type.memoryGib).toBe(16);
  });

  it('keeps an arm64 instance on arm64 and takes the older Graviton when the successor costs more', () => {
    const fit = downsizeCandidate(instance({ instanceType: 'm6g.2xlarge', architecture: 'arm64' }), use(), over(), DEFAULT_PRICES)!;
    expect(fit.type.type).toBe('m6g.large'); // $0.077 < m7g.large $0.0816
    expect(fit.type.architecture).toBe('arm64');
  });

  it('keeps CPU headroom: a p95 of 30% on 8 vCPU needs at least 5 vCPU at a 50% target', () => {
    const fit = downsizeCandidate(instance(), use({ cpuP95: 30, cpuMax: 40 }), over(), DEFAULT_PRICES)!;
    expect(fit.type.vcpu).toBe(8);
    expect(fit.type.type).toBe('c6i.2xlarge'); // 8 vCPU, 16 GiB (memory 36%), $0.34 < $0.384
  });

  it('keeps the vCPU count when the peak was 100%: only a cheaper type with as many vCPU qualifies', () => {
    expect(downsizeCandidate(instance(), use({ cpuP95: 8, cpuMax: 100 }), over(), DEFAULT_PRICES)!.type.type).toBe('c6i.2xlarge');
    expect(downsizeCandidate(instance({ instanceType: 'c6i.2xlarge' }), use({ cpuP95: 8, cpuMax: 100, memoryP95: 50 }), over(), DEFAULT_PRICES)).toBeUndefined();
  });

  it('does not move a Xen instance without ENA to a Nitro type', () => {
    const fit = downsizeCandidate(instance({ instanceType: 'm4.2xlarge', enaSupport: false }), use(), over(), DEFAULT_PRICES)!;
    expect(fit.type.type).toBe('m4.large');
  });

  it('follows a policy price override', () => {
    const prices = pricesWith({ ec2OnDemandHourly: { 'm6i.large': 0.2 } });
    expect(downsizeCandidate(instance(), use(), over(), prices)!.type.type).toBe('m5.large');
  });
});

describe('oversized-instance', () => {
  it('flags an oversized instance with the candidate, the projected use and the saving from the price table', () => {
    // Act
    const d = detectOver(instance())!;
    // Assess
    expect(d.status).toBeUndefined();
    expect(d.evidence.candidate).toBe('m6i.large');
    expect(d.evidence.projected).toEqual({ cpuP95Percent: 32, cpuMaxPercent: 48, memoryP95Percent: 72 });
    expect(d.savings!.monthlyUsd).toBeCloseTo((0.384 - 0.096) * 730, 6);
    expect(d.savings!.basis[0]).toBe('m5.2xlarge Linux, Shared $0.384/h − m6i.large Linux, Shared $0.096/h = $0.29/h × 730 h = $210.24/month (on-demand Linux, Shared tenancy list prices; Savings Plans or RIs change the real figure).');
    expect(d.before).toEqual({ instanceId: 'i-0123456789abcdef0', instanceType: 'm5.2xlarge', targetType: 'm6i.large', architecture: 'x86_64', state: 'running' });
    expect(d.benefit).toEqual(['cost']);
  });

  it('says memory is unknown in the evidence when the agent publishes none', () => {
    const d = detectOver(instance({ instanceType: 'm5.xlarge', utilization: use({ memoryP95: null, memoryMax: null }) }))!;
    expect(d.evidence.memory).toBe('unknown (no CWAgent mem_used_percent): memory is never shrunk');
    expect(d.savings!.basis[2]).toBe('Memory unknown (no CloudWatch agent data): r6i.large keeps at least 16 GiB.');
  });

  it('protects Auto Scaling group members, instance-store types and instances with too little data', () => {
    const asg = detectOver(instance({ tags: { 'aws:autoscaling:groupName': 'web' } }))!;
    const store = detectOver(instance({ instanceType: 'm5d.2xlarge', instanceStorageGb: 300 }))!;
    const young = detectOver(instance({ utilization: use({ daysWithData: 3 }) }))!;
    expect(asg.status).toBe('protected');
    expect(asg.evidence.protection).toMatch(/Auto Scaling group web/);
    expect(store.status).toBe('protected');
    expect(store.evidence.protection).toMatch(/instance-store/);
    expect(young.status).toBe('protected');
    expect(young.evidence.protection).toBe('too little data: 3 days with CPU metrics, 12 needed');
  });

  it('never shrinks a burstable instance whose credits ran out, however quiet it looks', () => {
    const credits: CreditUse = { mode: 'standard', daysExhausted: 10, minBalance: 0, surplusCreditsCharged: 0 };
    const quiet = instance({ instanceType: 't3.xlarge', utilization: use({ cpuP95: 10, cpuDailyMeanMax: 9 }) });
    expect(detectOver(quiet)!.evidence.candidate).toBe('t3.medium');
    expect(detectOver({ ...quiet, credits })).toBeUndefined();
  });

  it('keeps a burstable candidate under its baseline: 29% sustained on a t3.large does not fit a t3.medium (20%)', () => {
    expect(detectOver(instance({ instanceType: 't3.large', utilization: use({ cpuP95: 30, cpuMax: 31, cpuDailyMeanMax: 29.5 }) }))).toBeUndefined();
  });

  it('reports nothing for stopped instances, unknown types and instances with no CPU data', () => {
    expect(detectOver(instance({ state: 'stopped' }))).toBeUndefined();
    expect(detectOver(instance({ instanceType: 'x2iedn.xlarge' }))).toBeUndefined();
    expect(detectOver(instance({ utilization: use({ cpuP95: null }) }))).toBeUndefined();
  });
});

describe('undersized-instance', () => {
  it('flags a saturated instance as a performance finding with the next size up and the risk it removes', () => {
    // Act
    const d = detectUnder(instance({ instanceType: 'c5.large', utilization: use({ cpuP95: 97.7, cpuMax: 100 }) }))!;
    // Assess
    expect(d.benefit).toEqual(['performance']);
    expect(d.evidence.candidate).toBe('c6i.xlarge'); // c5.xlarge and c6i.xlarge both $0.17: the newer
    expect(d.risk!.summary).toBe('CPU p95 97.7% on the busiest of 14 days (max 100%), above 90%');
    expect(d.savings!.monthlyUsd).toBe(0);
    expect(d.savings!.basis[0]).toBe('c6i.xlarge $0.17/h − c5.large $0.085/h = $62.05/month more (on-demand Linux, Shared tenancy).');
    expect(d.before).toMatchObject({ instanceType: 'c5.large', targetType: 'c6i.xlarge' });
  });

  it('flags a burstable instance out of credits in standard mode with the non-burstable equivalent', () => {
    const d = detectUnder(instance({ instanceType: 't3.large', utilization: use({ cpuP95: 30 }), credits: { mode: 'standard', daysExhausted: 14, minBalance: 0, surplusCreditsCharged: 0 } }))!;
    expect(d.evidence.candidate).toBe('m6i.large');
    expect(d.risk!.summary).toBe('CPU credits ran out on 14 of 14 days (standard mode: throttled to the 30% baseline)');
  });

  it('counts the surplus credits unlimited mode bills against the larger type', () => {
    // 14 days, 8,400 surplus credits: 140 vCPU-hours × $0.05 = $7 in 14 days → $15/month over 30 days.
    const d = detectUnder(instance({ instanceType: 't3.large', utilization: use({ cpuP95: 60 }), credits: { mode: 'unlimited', daysExhausted: 14, minBalance: 0, surplusCreditsCharged: 8_400 } }))!;
    expect(d.savings!.basis[1]).toBe('Surplus credits: 8400 in 14 days ≈ $15/month at $0.05/vCPU-hour, which the change ends.');
    // m6i.large costs (0.096 − 0.0832) × 730 = $9.34/month more, less than the $15 of surplus credits: it helps both ways.
    expect(d.benefit).toEqual(['performance', 'cost']);
    expect(d.savings!.monthlyUsd).toBeCloseTo(15 - (0.096 - 0.0832) * 730, 6);
  });

  it('prices T4g surplus credits at $0.04 per vCPU-hour, not the T3 rate', () => {
    // 8,400 surplus credits in 14 days: 140 vCPU-hours × $0.04 = $5.60 → $12/month over 30 days.
    const d = detectUnder(instance({ instanceType: 't4g.large', architecture: 'arm64', utilization: use({ cpuP95: 60 }), credits: { mode: 'unlimited', daysExhausted: 14, minBalance: 0, surplusCreditsCharged: 8_400 } }))!;
    expect(d.savings!.basis[1]).toBe('Surplus credits: 8400 in 14 days ≈ $12/month at $0.04/vCPU-hour, which the change ends.');
  });

  it('reports nothing for a healthy instance or a burstable instance with credits left', () => {
    expect(detectUnder(instance())).toBeUndefined();
    expect(detectUnder(instance({ instanceType: 't3.large', credits: { mode: 'unlimited', daysExhausted: 1, minBalance: 0, surplusCreditsCharged: 0 } }))).toBeUndefined();
  });
});

describe('nextWindowOpening', () => {
  it('is undefined inside the window and the next opening outside it', () => {
    const w = { days: ['sun' as const], start: '02:00', hours: 3 };
    expect(nextWindowOpening(w, new Date('2026-11-01T03:00:00Z'))).toBeUndefined(); // a Sunday
    expect(nextWindowOpening(w, new Date('2026-11-01T05:00:00Z'))).toBe('2026-11-08T02:00:00.000Z');
    expect(nextWindowOpening(w, new Date('2026-11-04T12:00:00Z'))).toBe('2026-11-08T02:00:00.000Z');
  });

  it('keeps a window open past midnight', () => {
    const w = { start: '22:00', hours: 4 };
    expect(nextWindowOpening(w, new Date('2026-11-02T01:30:00Z'))).toBeUndefined();
    expect(nextWindowOpening(w, new Date('2026-11-02T02:30:00Z'))).toBe('2026-11-02T22:00:00.000Z');
  });
});
