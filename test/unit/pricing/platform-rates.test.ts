/**
 * EC2 right-sizing and previous-generation findings priced at the instance's operating system
 * (PlatformDetails) and tenancy on both sides of the change (issue 27 §1).
 */
import { describe, expect, it } from 'vitest';
import type { DetectEnv, Detection } from '../../../lib/engine/types.ts';
import { instanceGenerationAdvice } from '../../../lib/resources/ec2-instance/generations.ts';
import type { Ec2Instance } from '../../../lib/resources/ec2-instance/resource.ts';
import { oversizedInstance, undersizedInstance } from '../../../lib/resources/ec2-instance/rightsizing.ts';
import { savingsFor } from '../../../lib/resources/asg/tuning.ts';
import { ec2RatesFor, platformFromEvidence } from '../../../lib/savings/licensed.ts';
import { DEFAULT_PRICES } from '../../../lib/savings/prices.ts';

const env = { ctx: { now: new Date('2026-11-01T00:00:00Z'), prices: DEFAULT_PRICES }, prepared: undefined } as unknown as DetectEnv;
const W = (type: string) => DEFAULT_PRICES.ec2LicensedHourly[`Windows:${type}`];

function instance(overrides: Partial<Ec2Instance> = {}): Ec2Instance {
  return {
    id: 'i-0123456789abcdef0', arn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0', region: 'us-east-1',
    instanceType: 'm5.2xlarge', state: 'running', rootDeviceType: 'ebs', tags: {}, volumeIds: ['vol-1'], architecture: 'x86_64', enaSupport: true, instanceStorageGb: 0,
    utilization: { windowDays: 14, daysWithData: 14, cpuP95: 8, cpuMax: 12, cpuDailyMeanMax: 6, networkGbpsP95: 0.05, memoryP95: 18, memoryMax: 20 },
    ...overrides,
  };
}

describe('oversized-instance at the instance\'s operating system', () => {
  it('right-sizes a Windows instance at Windows rates on both sides and names them in the basis', () => {
    // Act
    const d = oversizedInstance.detect!(instance({ platformDetails: 'Windows' }), oversizedInstance.options.parse({}) as never, env) as Detection;

    // Assess: m5.2xlarge Windows $0.384 + 8 × $0.046 = $0.752/h; m6i.large Windows $0.096 + 2 × $0.046 = $0.188/h.
    expect(d.evidence.candidate).toBe('m6i.large');
    expect(W('m5.2xlarge')).toBe(0.752);
    expect(W('m6i.large')).toBe(0.188);
    expect(d.savings!.monthlyUsd).toBeCloseTo((0.752 - 0.188) * 730, 6);
    expect(d.savings!.basis[0]).toBe('m5.2xlarge Windows, Shared $0.752/h − m6i.large Windows, Shared $0.188/h = $0.56/h × 730 h = $411.72/month (on-demand Windows, Shared tenancy list prices; Savings Plans or RIs change the real figure).');
    expect(d.evidence.pricedAs).toEqual({ operatingSystem: 'Windows', words: 'Windows, Shared', priced: true });
  });

  it('reports a Dedicated-tenancy instance with a zero estimate and why, still with its candidate', () => {
    // Act
    const d = oversizedInstance.detect!(instance({ placement: { tenancy: 'dedicated' } }), oversizedInstance.options.parse({}) as never, env) as Detection;

    // Assess
    expect(d.evidence.candidate).toBe('m6i.large');
    expect(d.savings!.monthlyUsd).toBe(0);
    expect(d.savings!.basis[0]).toBe('Dedicated tenancy is not priced: saving not estimated (m5.2xlarge → m6i.large; candidates ranked by Linux list prices).');
  });

  it('prices the extra cost of an undersized RHEL instance at RHEL rates', () => {
    // Prepare: c5.large saturated → c6i.xlarge (RHEL adds $0.0144 per vCPU-hour).
    const i = instance({ instanceType: 'c5.large', platformDetails: 'Red Hat Enterprise Linux', utilization: { windowDays: 14, daysWithData: 14, cpuP95: 97.7, cpuMax: 100, cpuDailyMeanMax: 90, networkGbpsP95: 0.05, memoryP95: 40, memoryMax: 45 } });

    // Act
    const d = undersizedInstance.detect!(i, undersizedInstance.options.parse({}) as never, env) as Detection;

    // Assess
    const from = DEFAULT_PRICES.ec2LicensedHourly['RHEL:c5.large'];
    const to = DEFAULT_PRICES.ec2LicensedHourly['RHEL:c6i.xlarge'];
    expect([from, to]).toEqual([0.1138, 0.2276]);
    expect(d.savings!.basis[0]).toBe('c6i.xlarge $0.2276/h − c5.large $0.1138/h = $83.07/month more (on-demand RHEL, Shared tenancy).');
  });
});

describe('previous-generation at the instance\'s operating system', () => {
  it('compares a Windows m4.xlarge with m6i.xlarge at Windows rates and offers no Graviton type (no Windows on arm64)', () => {
    // Act
    const a = instanceGenerationAdvice('m4.xlarge', DEFAULT_PRICES, { platformDetails: 'Windows', tenancy: 'default' })!;
    const linux = instanceGenerationAdvice('m4.xlarge', DEFAULT_PRICES)!;

    // Assess: both 4 vCPU, so the Windows premium cancels out; the basis names the OS.
    expect(a.monthlyUsd).toBeCloseTo((W('m4.xlarge') - W('m6i.xlarge')) * 730, 6);
    expect(a.basis[0]).toBe(`m4.xlarge $${W('m4.xlarge')}/h − m6i.xlarge $${W('m6i.xlarge')}/h = $0.01/h × 730 h = $5.84/month (on-demand, Windows, Shared tenancy).`);
    expect(a.basis.some((line) => line.includes('Graviton'))).toBe(false);
    expect(linux.basis.some((line) => line.startsWith('Graviton alternative m7g.xlarge'))).toBe(true);
    expect(DEFAULT_PRICES.ec2LicensedHourly['Windows:m7g.xlarge']).toBeUndefined();
    expect(DEFAULT_PRICES.ec2LicensedHourly['RHEL:m7g.xlarge']).toBeGreaterThan(0);
  });

  it('does not estimate a platform whose licence terms vary (SQL Server on Windows), and says why', () => {
    const a = instanceGenerationAdvice('m4.large', DEFAULT_PRICES, { platformDetails: 'Windows with SQL Server Standard' })!;
    expect(a.monthlyUsd).toBe(0);
    expect(a.basis[0]).toBe("Platform 'Windows with SQL Server Standard' is not priced by trimtab (licence terms vary): saving not estimated (m4.large → m6i.large).");
  });
});

describe('Auto Scaling settings savings at the group\'s operating system', () => {
  it('prices the instance-hours a tuning change saves at the group\'s Windows rate', () => {
    // Prepare: 4 instances at 10 % for a day; raising the target 20 → 40 halves them.
    const profile = { cpu: Array(24).fill(10), inService: Array(24).fill(4) };

    // Act
    const win = savingsFor(profile, { target: 20, minSize: 1, maxSize: 8 }, { target: 40, minSize: 1, maxSize: 8 }, 'm5.large', DEFAULT_PRICES, { platformDetails: 'Windows', tenancy: 'default' });
    const unknown = savingsFor(profile, { target: 20, minSize: 1, maxSize: 8 }, { target: 40, minSize: 1, maxSize: 8 }, 'm5.large', DEFAULT_PRICES);

    // Assess
    expect(win.monthlyUsd).toBeCloseTo(Math.round(win.instanceHoursPerMonth * W('m5.large') * 100) / 100, 6);
    expect(win.basis[1]).toBe('m5.large Windows, Shared on-demand $0.188/hour (list price); Spot, Savings Plans and RIs make the real saving smaller.');
    expect(unknown.basis[1]).toContain('m5.large Linux, Shared on-demand $0.096/hour (list price); Spot, Savings Plans and RIs make the real saving smaller; operating system unknown (not read): Linux rates assumed');
  });
});

describe('a platform read back from a stored finding', () => {
  it('keeps only string fields and treats anything else as unknown', () => {
    expect(platformFromEvidence({ platformDetails: 'Windows', tenancy: 'default', extra: 1 })).toEqual({ platformDetails: 'Windows', tenancy: 'default' });
    expect(platformFromEvidence({ platformDetails: 42 })).toEqual({ unknown: 'not recorded in the finding' });
    expect(platformFromEvidence(null)).toEqual({ unknown: 'not recorded in the finding' });
    expect(ec2RatesFor(DEFAULT_PRICES, platformFromEvidence({ platformDetails: 'Windows' })).hourly('m5.large')).toBe(0.188);
  });
});
