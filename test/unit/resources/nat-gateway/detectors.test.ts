import { describe, expect, it } from 'vitest';
import { idleNatGateway, type IdleNatOptions } from '../../../../lib/resources/nat-gateway/detectors.ts';
import type { DailyTraffic, NatGateway } from '../../../../lib/resources/nat-gateway/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import type { DetectEnv, Detection } from '../../../../lib/engine/types.ts';

const env = { ctx: { now: new Date('2026-11-01T00:00:00Z'), prices: DEFAULT_PRICES }, prepared: undefined } as unknown as DetectEnv;
const opts = (o: Partial<IdleNatOptions> = {}) => idleNatGateway.options.parse(o) as unknown as IdleNatOptions;
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;

const traffic = (bytesOut: number | null, peak: number | null, n = 14): DailyTraffic[] => Array.from({ length: 14 }, (_, d) => (d < 14 - n ? { day: `d${d}`, bytesOut: null, peakConnections: null } : { day: `d${d}`, bytesOut, peakConnections: peak }));

const gateway = (days: DailyTraffic[], overrides: Partial<NatGateway> = {}): NatGateway => ({
  id: 'nat-0123456789abcdef0', arn: 'arn:aws:ec2:us-east-1:123456789012:natgateway/nat-0123456789abcdef0', region: 'us-east-1', state: 'available',
  connectivityType: 'public', allocationIds: ['eipalloc-1'], tags: {}, traffic: { windowDays: 14, days }, ...overrides,
});

describe('idle-nat-gateway', () => {
  it('flags a gateway with no bytes out and no connections, saving its hourly charge', () => {
    const d = one(idleNatGateway.detect!(gateway(traffic(0, 0)), opts(), env))!;
    expect(d.status).toBeUndefined();
    expect(d.evidence).toMatchObject({ daysWithData: 14, bytesOutToDestinationMb: 0, peakActiveConnections: 0 });
    // $0.045/h × 730 h
    expect(d.savings!.monthlyUsd).toBeCloseTo(32.85, 6);
    expect(d.savings!.basis[1]).toContain('eipalloc-1');
  });

  it('does not flag a gateway with traffic or connections over the thresholds', () => {
    expect(one(idleNatGateway.detect!(gateway(traffic(200_000, 0)), opts(), env))).toBeUndefined(); // 14 × 0.2 MB = 2.8 MB
    expect(one(idleNatGateway.detect!(gateway(traffic(0, 5)), opts(), env))).toBeUndefined();
    expect(one(idleNatGateway.detect!(gateway(traffic(200_000, 0)), opts({ maxBytesOutMb: 5 }), env))).toBeDefined();
  });

  it('protects a gateway with too few days of metrics', () => {
    const d = one(idleNatGateway.detect!(gateway(traffic(0, 0, 3)), opts(), env))!;
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toBe('too little data: 3 of 14 days have metrics, 7 are needed');
  });

  it('ignores gateways that are not available', () => {
    expect(one(idleNatGateway.detect!(gateway(traffic(0, 0), { state: 'deleting' }), opts(), env))).toBeUndefined();
  });
});
