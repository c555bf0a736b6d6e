import { describe, expect, it } from 'vitest';
import type { DetectEnv, Detection } from '../../../../lib/engine/types.ts';
import { autoscalingTargetLow, overProvisioned, tableClass, throttled, unusedTable, type OverProvisionedOptions } from '../../../../lib/resources/dynamodb-table/detectors.ts';
import { isOwnTable, scalingSettings, type DynamoTable, type HourlyUsage } from '../../../../lib/resources/dynamodb-table/resource.ts';
import { nextDecreaseAllowed } from '../../../../lib/resources/dynamodb-table/remediators.ts';
import { onDemandMonthly, percentile, provisionedMonthly, rightSized, usageStats } from '../../../../lib/resources/dynamodb-table/savings.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const env = { ctx: { now: NOW, prices: DEFAULT_PRICES }, prepared: undefined } as unknown as DetectEnv;
const one = (d: Detection | Detection[] | undefined) => d as Detection | undefined;
const parse = <O>(detector: { options: { parse(o: unknown): unknown } }, o: Partial<O> = {}) => detector.options.parse(o) as O;

const hours = (n: number, h: Partial<HourlyUsage>): HourlyUsage[] =>
  Array.from({ length: n }, () => ({ consumedRead: 0, consumedWrite: 0, provisionedRead: null, provisionedWrite: null, readThrottles: 0, writeThrottles: 0, ...h }));

const table = (overrides: Partial<DynamoTable> = {}, usage: HourlyUsage[] = hours(14 * 24, { consumedRead: 2, consumedWrite: 1 })): DynamoTable => ({
  name: 'orders',
  arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders',
  region: 'us-east-1',
  status: 'ACTIVE',
  billingMode: 'PROVISIONED',
  readCapacity: 200,
  writeCapacity: 100,
  tableClass: 'STANDARD',
  deletionProtection: false,
  replicas: [],
  sizeBytes: 3e9,
  itemCount: 1000,
  createdAt: '2025-01-01T00:00:00.000Z',
  decreasesToday: 0,
  indexes: [],
  own: false,
  tags: {},
  scaling: {},
  usage: { windowDays: usage.length / 24, start: '2026-10-18T00:00:00.000Z', hours: usage },
  ...overrides,
});

describe('dynamodb-table savings', () => {
  it('prices provisioned capacity by RCU- and WCU-hours and on-demand by request units', () => {
    // 200 × $0.00013 + 100 × $0.00065 = $0.091/h × 730 h
    expect(provisionedMonthly(200, 100, DEFAULT_PRICES)).toBeCloseTo(66.43, 2);
    // 2 reads/s and 1 write/s for 730 h: 5.256 M read units × $0.125 + 2.628 M write units × $0.625
    expect(onDemandMonthly({ meanRead: 2, meanWrite: 1 }, DEFAULT_PRICES).monthlyUsd).toBeCloseTo(0.657 + 1.6425, 4);
  });

  it('sizes the p95 hour at the target utilisation, never below 1 unit nor above today', () => {
    expect(rightSized(3.2, 200, 0.7)).toBe(5);
    expect(rightSized(0, 200, 0.7)).toBe(1);
    expect(rightSized(500, 200, 0.7)).toBe(200);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 95)).toBe(19);
  });

  it('summarises hours with data and throttles', () => {
    const s = usageStats([...hours(2, { consumedRead: null, consumedWrite: null }), ...hours(3, { consumedRead: 4, writeThrottles: 10 })]);
    expect(s).toMatchObject({ hoursWithData: 3, p95Read: 4, writeThrottles: 30, hoursThrottled: 3 });
  });
});

describe('over-provisioned', () => {
  it('flags a provisioned table using 1 % of its reads, priced both ways', () => {
    const d = one(overProvisioned.detect!(table(), parse(overProvisioned), env))!;
    expect(d.status).toBeUndefined();
    expect(d.evidence.p95UtilizationPercent).toEqual({ read: 1, write: 1 });
    // p95 2 / 0.7 → 3 RCU; 1 / 0.7 → 2 WCU
    expect(d.evidence.candidate).toEqual({ read: 3, write: 2 });
    expect(d.evidence.monthly).toEqual({ provisionedNow: 66.43, onDemand: 2.3, lowerProvisioned: 1.23 });
    expect(d.savings!.monthlyUsd).toBe(65.2);
    expect(d.savings!.basis.join(' ')).toContain('200 RCU × $0.00013/h + 100 WCU × $0.00065/h');
  });

  it('does not flag a well-used table or an on-demand one', () => {
    expect(one(overProvisioned.detect!(table({}, hours(14 * 24, { consumedRead: 150, consumedWrite: 80 })), parse(overProvisioned), env))).toBeUndefined();
    expect(one(overProvisioned.detect!(table({ billingMode: 'PAY_PER_REQUEST', readCapacity: 0, writeCapacity: 0 }), parse(overProvisioned), env))).toBeUndefined();
  });

  it('protects global tables, trimtab\'s own tables, tables being updated and tables with too little data', () => {
    const o = parse<OverProvisionedOptions>(overProvisioned);
    expect(one(overProvisioned.detect!(table({ replicas: ['eu-west-1'] }), o, env))!.evidence.protection).toMatch(/^global table \(replicas in eu-west-1\)/);
    expect(one(overProvisioned.detect!(table({ own: true, name: 'trimtab-dev-audit' }), o, env))!.evidence.protection).toBe("trimtab's own table (trimtab-dev-audit): never changed by trimtab");
    expect(one(overProvisioned.detect!(table({ status: 'UPDATING' }), o, env))!.status).toBe('protected');
    expect(one(overProvisioned.detect!(table({}, hours(48, { consumedRead: 1 })), o, env))!.evidence.protection).toBe('too little data: 48 of 168 hours');
  });
});

describe('autoscaling-target-low', () => {
  it('flags a 30 % target and estimates capacity at the raised target', () => {
    const t = table({ scaling: { read: { minCapacity: 5, maxCapacity: 400, policy: { name: 'r', targetValue: 30 } } } }, hours(14 * 24, { consumedRead: 30, consumedWrite: 1, provisionedRead: 100, provisionedWrite: 100 }));
    const d = one(autoscalingTargetLow.detect!(t, parse(autoscalingTargetLow), env))!;
    expect(d.evidence.targetValuePercent).toEqual({ read: 30 });
    // 100 RCU × $0.00013 × 730 = $9.49; at 50 %: × (1 − 30/50)
    expect(d.savings!.monthlyUsd).toBeCloseTo(3.8, 2);
  });

  it('leaves a 70 % target alone', () => {
    const t = table({ scaling: { read: { minCapacity: 5, maxCapacity: 400, policy: { name: 'r', targetValue: 70 } } } });
    expect(one(autoscalingTargetLow.detect!(t, parse(autoscalingTargetLow), env))).toBeUndefined();
  });
});

describe('throttled', () => {
  const capped = hours(14 * 24, { consumedWrite: 50, provisionedWrite: 50, writeThrottles: 20 });
  it('is a performance finding with a risk statement when scaling sits at its MaxCapacity', () => {
    const t = table({ writeCapacity: 50, scaling: { write: { minCapacity: 10, maxCapacity: 50 } } }, capped);
    const d = one(throttled.detect!(t, parse(throttled), env))!;
    expect(d.benefit).toEqual(['performance']);
    expect(d.risk!.summary).toMatch(/throttled 6,720 times in 336 hours/);
    expect(d.evidence.cappedBy).toEqual(['write: auto scaling at its MaxCapacity 50']);
    expect(d.savings!.monthlyUsd).toBe(0);
  });

  it('does not call scaling lag a cap: throttles while below MaxCapacity are not flagged', () => {
    const t = table({ writeCapacity: 50, scaling: { write: { minCapacity: 10, maxCapacity: 500 } } }, capped);
    expect(one(throttled.detect!(t, parse(throttled), env))).toBeUndefined();
  });

  it('sends on-demand throttling to a person (conflict)', () => {
    const t = table({ billingMode: 'PAY_PER_REQUEST', readCapacity: 0, writeCapacity: 0 }, capped);
    expect(one(throttled.detect!(t, parse(throttled), env))!.status).toBe('conflict');
  });
});

describe('unused-table', () => {
  it('reports a table with no reads or writes for 30 days, with deletion protection noted', () => {
    const t = table({ deletionProtection: true }, hours(30 * 24, {}));
    const d = one(unusedTable.detect!(t, parse(unusedTable), env))!;
    expect(d.reason).toMatch(/Deletion protection is on/);
    // 200/100 provisioned $66.43 + 3 GB × $0.25
    expect(d.savings!.monthlyUsd).toBe(67.18);
  });

  it('does not report a table with a single read, and protects trimtab\'s own tables', () => {
    const used = hours(30 * 24, {});
    used[100] = { ...used[100], consumedRead: 0.01 };
    expect(one(unusedTable.detect!(table({}, used), parse(unusedTable), env))).toBeUndefined();
    expect(one(unusedTable.detect!(table({ own: true }, hours(30 * 24, {})), parse(unusedTable), env))!.status).toBe('protected');
  });
});

describe('table-class', () => {
  it('recommends Standard-IA for an 800 GB table with little traffic, net of dearer throughput', () => {
    const t = table({ billingMode: 'PAY_PER_REQUEST', readCapacity: 0, writeCapacity: 0, sizeBytes: 800e9 });
    const d = one(tableClass.detect!(t, parse(tableClass), env))!;
    expect(d.evidence.candidate).toBe('STANDARD_INFREQUENT_ACCESS');
    // storage 800 × (0.25 − 0.10) = $120, throughput on-demand $2.30 → IA $2.87
    expect(d.savings!.monthlyUsd).toBeCloseTo(119.43, 2);
  });

  it('leaves a throughput-dominated table Standard', () => {
    expect(one(tableClass.detect!(table({ sizeBytes: 3e9 }), parse(tableClass), env))).toBeUndefined();
  });
});

describe('dynamodb-table listing helpers', () => {
  it('recognises trimtab\'s own tables by prefix and by the stack\'s environment', () => {
    expect(isOwnTable('trimtab-prod-audit', {})).toBe(true);
    expect(isOwnTable('my-approvals', { TRIMTAB_APPROVALS_TABLE: 'my-approvals' })).toBe(true);
    expect(isOwnTable('orders', {})).toBe(false);
  });

  it('joins scalable targets and target-tracking policies per table and dimension', () => {
    const s = scalingSettings(
      [{ ServiceNamespace: 'dynamodb', ResourceId: 'table/a', ScalableDimension: 'dynamodb:table:WriteCapacityUnits', MinCapacity: 1, MaxCapacity: 9, RoleARN: 'r', CreationTime: NOW }],
      [{ PolicyARN: 'p', PolicyName: 'w', ServiceNamespace: 'dynamodb', ResourceId: 'table/a', ScalableDimension: 'dynamodb:table:WriteCapacityUnits', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 35 }, CreationTime: NOW }],
    );
    expect(s.get('a')).toEqual({ write: { minCapacity: 1, maxCapacity: 9, policy: { name: 'w', targetValue: 35 } } });
  });

  it('knows when AWS allows the next capacity decrease', () => {
    expect(nextDecreaseAllowed({ decreasesToday: 3, lastDecrease: '2026-11-01T10:00:00Z' }, new Date('2026-11-01T10:10:00Z'))).toBeUndefined();
    expect(nextDecreaseAllowed({ decreasesToday: 4, lastDecrease: '2026-11-01T10:00:00Z' }, new Date('2026-11-01T10:10:00Z'))!.toISOString()).toBe('2026-11-01T11:00:00.000Z');
    // A new UTC day resets the count.
    expect(nextDecreaseAllowed({ decreasesToday: 4, lastDecrease: '2026-10-31T23:50:00Z' }, new Date('2026-11-01T00:10:00Z'))).toBeUndefined();
  });
});
