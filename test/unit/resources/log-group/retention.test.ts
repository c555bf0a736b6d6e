import { systemClock } from '../../../../lib/util/clock.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../../lib/aws/clients.ts';
import type { DetectEnv, Finding, RegionContext } from '../../../../lib/engine/types.ts';
import { noRetention } from '../../../../lib/resources/log-group/detectors.ts';
import { removedFraction, setRetention } from '../../../../lib/resources/log-group/remediators.ts';
import { toLogGroup } from '../../../../lib/resources/log-group/resource.ts';
import { DEFAULT_PRICES, GIB } from '../../../../lib/savings/prices.ts';
import { policiesFrom } from '../../../helpers.ts';

const now = new Date('2026-11-01T00:00:00Z');
const env: DetectEnv = {
  ctx: { account: '644160558196', region: 'us-west-2', now, prices: DEFAULT_PRICES, clock: systemClock, clients: new AwsClients({ allowWrites: false }), log: () => {} } as RegionContext,
  prepared: undefined,
};

describe('no-retention detector', () => {
  it('flags the four recorded groups with no retention and none with one', () => {
    const groups = JSON.parse(readFileSync('test/fixtures/cloudwatch-logs/DescribeLogGroups.json', 'utf8')).data.logGroups.map((g: any) => toLogGroup(g, 'us-west-2', '644160558196'));
    const found = groups.map((g: any) => noRetention.detect!(g, { minStoredGb: 0 }, env)).filter(Boolean);
    expect(found.map((f: any) => f.before.group.name)).toEqual(['expert-cougar-1', 'expert-cougar-2', 'expert-cougar-3', 'expert-cougar-4']);
    expect(found[0].before.group.arn).toBe('arn:aws:logs:us-west-2:644160558196:log-group:expert-cougar-1');
  });
});

describe('set-retention savings', () => {
  it('removes (age - retention) / age of the bytes under steady ingestion, nothing for young groups', () => {
    expect(removedFraction(400, 90)).toBeCloseTo(310 / 400, 9);
    expect(removedFraction(20, 90)).toBe(0);
  });

  it('plans the saving from stored bytes and states the assumption', () => {
    const group = { name: '/aws/lambda/orders-api', creationTime: now.getTime() - 400 * 86_400_000, storedBytes: 120 * GIB, logGroupClass: 'STANDARD', metricFilterCount: 0, arn: 'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/orders-api' };
    const plan = setRetention.plan({ before: { group } } as unknown as Finding, { retentionDays: 90 }, { now, prices: DEFAULT_PRICES });
    expect(plan.kind).toBe('change');
    if (plan.kind !== 'change') return;
    // 120 GiB × 310/400 × $0.03 = $2.79
    expect(plan.savings!.monthlyUsd).toBeCloseTo(2.79, 6);
    expect(plan.savings!.basis[0]).toContain('steady ingestion');
  });

  it('rejects a retention CloudWatch Logs does not accept, naming the valid values', () => {
    expect(() => policiesFrom(`
version: 1
policies:
  - { id: logs, resource: log-group, detector: { type: no-retention }, action: { type: set-retention, retentionDays: 45 } }
`)).toThrow(/action.retentionDays: retentionDays must be one of .*30, 60, 90/);
  });
});
