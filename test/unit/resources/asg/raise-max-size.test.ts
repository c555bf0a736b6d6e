/**
 * raise-max-size (lib/resources/asg/capacity.ts): the action's metadata and options, its plan's every answer
 * (change, noop, conflict) with exact texts and values, and the undo's edge cases the mutation run found
 * untested (docs/testing.md "Mutation testing (issue 30)"). Apply, verify and undo against a scripted Auto
 * Scaling are in tuning-remediators.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../lib/engine/types.ts';
import { addedCost, proposeMaxSize, raiseMaxSize, type RaiseMaxParams } from '../../../../lib/resources/asg/capacity.ts';
import type { PriceTable } from '../../../../lib/savings/prices.ts';
import { UndoRefusedError } from '../../../../lib/util/errors.ts';
import { fakeAws, findingOf, planCtx, recordOf } from '../fake-aws.ts';

const NAME = 'web';
const options = (o: Record<string, unknown> = {}) => raiseMaxSize.options.parse(o) as { maxStepPercent: number; maxSizeCap: number; tuningCooldownDays: number };

/** 100 hours of 8 instances at 80 % CPU (load 640): at target 50 the group wants 13 every hour. */
const PROFILE = { cpu: Array(100).fill(80), inService: Array(100).fill(8) };
const LINUX = { platformDetails: 'Linux/UNIX', tenancy: 'default' };

function pinned(group: Record<string, number> = {}, evidence: Record<string, unknown> = {}): Finding {
  return findingOf('asg', NAME, { group: { name: NAME, minSize: 2, maxSize: 8, desiredCapacity: 8, defaultCooldown: 300, ...group }, policies: [] }, {
    detector: 'under-provisioned-at-max',
    evidence: { target: 50, p95DemandInstances: 12.8, profile: PROFILE, instanceType: 'm5.large', platform: LINUX, ...evidence },
  });
}

describe('raise-max-size metadata', () => {
  it('names the action, its resource, title, permissions, undo limits, and asks for approval by default', () => {
    // Assess
    expect(raiseMaxSize.id).toBe('raise-max-size');
    expect(raiseMaxSize.resource).toBe('asg');
    expect(raiseMaxSize.title).toBe('Raise MaxSize of a group pinned at it, by a bounded step (never above maxSizeCap)');
    expect(raiseMaxSize.permissions).toEqual(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:UpdateAutoScalingGroup']);
    expect(raiseMaxSize.defaultMode).toBe('approval');
    expect(raiseMaxSize.undoable).toBe('yes');
    expect(raiseMaxSize.undoLimits).toBe('Instances above the old MaxSize are terminated by the undo, with their instance-store and local data; instance hours already run are billed.');
  });

  it('defaults to +25 % a change, a cap of 100 and a 7-day cooldown, counted in hours', () => {
    // Act
    const defaults = options();

    // Assess
    expect(defaults).toEqual({ maxStepPercent: 25, maxSizeCap: 100, tuningCooldownDays: 7 });
    expect(raiseMaxSize.minCooldownHours!(defaults)).toBe(168);
    expect(raiseMaxSize.minCooldownHours!(options({ tuningCooldownDays: 2 }))).toBe(48);
  });

  it('takes each option at its bounds and refuses it past them', () => {
    // Assess: the bounds themselves are accepted.
    expect(options({ maxStepPercent: 1, maxSizeCap: 1, tuningCooldownDays: 0 })).toEqual({ maxStepPercent: 1, maxSizeCap: 1, tuningCooldownDays: 0 });
    expect(options({ maxStepPercent: 100, maxSizeCap: 10_000, tuningCooldownDays: 365 })).toEqual({ maxStepPercent: 100, maxSizeCap: 10_000, tuningCooldownDays: 365 });
    // Past them, refused, naming the option.
    for (const bad of [{ maxStepPercent: 0.5 }, { maxStepPercent: 101 }, { maxSizeCap: 0 }, { maxSizeCap: 10_001 }, { maxSizeCap: 2.5 }, { tuningCooldownDays: -1 }, { tuningCooldownDays: 366 }]) {
      const parsed = raiseMaxSize.options.safeParse(bad);
      expect(parsed.success, JSON.stringify(bad)).toBe(false);
      expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(Object.keys(bad));
    }
  });
});

describe('raise-max-size plan', () => {
  it('raises MaxSize by the bounded step, names the bounds, and prices the added instances as a negative saving', () => {
    // Act
    const plan = raiseMaxSize.plan(pinned(), options(), planCtx);

    // Assess: 8 + 25 % = 10 (demand wants 13); 2 more instances every hour × 730 h × $0.096 = $140.16 a month.
    expect(plan).toEqual({
      kind: 'change',
      summary: 'Raise MaxSize of web from 8 to 10 (at most +25% a change, cap 100); MinSize 2 and DesiredCapacity stay as they are.',
      params: { group: NAME, fromMaxSize: 8, toMaxSize: 10 } satisfies RaiseMaxParams,
      undo: 'Set MaxSize back to 8. If the group has grown above 8 by then, Auto Scaling lowers DesiredCapacity to 8 and terminates the extra instances.',
      savings: {
        monthlyUsd: -140.16,
        basis: [
          'Model: ceil(load / target) instances per hour within [MinSize, MaxSize], load = in-service × CPU%; MaxSize 8 → 10 adds 200 instance-hours over 100 hours with data → 1460 instance-hours/month. CPU is capped at 100% while the group is pinned, so the real demand (and cost) can be higher.',
          'Added cost: 1460 instance-hours × m5.large Linux, Shared on-demand $0.096/hour (list price) = $140.16/month, shown as a negative saving.',
        ],
      },
    });
  });

  it('raises only as far as the p95 demand needs, and by one instance when the finding carries no demand', () => {
    // Prepare: +50 % allows 12; a p95 demand of 10.2 instances needs 11.
    const wide = options({ maxStepPercent: 50 });

    // Act
    const byDemand = raiseMaxSize.plan(pinned({}, { p95DemandInstances: 10.2 }), wide, planCtx);
    const noDemand = raiseMaxSize.plan(pinned({}, { p95DemandInstances: undefined }), wide, planCtx);

    // Assess
    expect(byDemand.kind === 'change' && byDemand.params).toEqual({ group: NAME, fromMaxSize: 8, toMaxSize: 11 });
    expect(noDemand.kind === 'change' && noDemand.params).toEqual({ group: NAME, fromMaxSize: 8, toMaxSize: 9 });
  });

  it('says the added cost is not estimated when the finding names no instance type', () => {
    // Act
    const plan = raiseMaxSize.plan(pinned({}, { instanceType: null }), options(), planCtx);

    // Assess
    expect(plan.kind === 'change' && plan.savings).toEqual({
      monthlyUsd: 0,
      basis: [expect.stringContaining('MaxSize 8 → 10 adds 200 instance-hours'), 'Instance type unknown: added cost not estimated.'],
    });
  });

  it('answers noop at the cap and under it, naming the cap', () => {
    // Act
    const atCap = raiseMaxSize.plan(pinned(), options({ maxSizeCap: 8 }), planCtx);
    const underCap = raiseMaxSize.plan(pinned(), options({ maxSizeCap: 5 }), planCtx);

    // Assess
    expect(atCap).toEqual({ kind: 'noop', reason: "Already at the bound: MaxSize 8 is at the policy's cap 8." });
    expect(underCap).toEqual({ kind: 'noop', reason: "Already at the bound: MaxSize 8 is at the policy's cap 5." });
  });

  it('refuses a fixed-size group, and plans for a group one below its MaxSize', () => {
    // Act
    const fixed = raiseMaxSize.plan(pinned({ minSize: 8 }), options(), planCtx);
    const roomy = raiseMaxSize.plan(pinned({ minSize: 7 }), options(), planCtx);

    // Assess
    expect(fixed).toEqual({ kind: 'conflict', reason: 'MinSize 8 equals MaxSize 8: the group is fixed-size by design; raise both by hand if more capacity is wanted.' });
    expect(roomy.kind === 'change' && roomy.params).toEqual({ group: NAME, fromMaxSize: 8, toMaxSize: 10 });
  });

  it('refuses a group whose DesiredCapacity is above its MaxSize', () => {
    // Act
    const plan = raiseMaxSize.plan(pinned({ desiredCapacity: 9 }), options(), planCtx);

    // Assess
    expect(plan).toEqual({ kind: 'conflict', reason: 'DesiredCapacity 9 is above MaxSize 8: the group is inconsistent; check it by hand.' });
  });

  it('refuses a finding without the group, the target or the usage profile, naming its detector', () => {
    // Prepare
    const reason = "Finding from detector 'other' carries no pinned-at-MaxSize evidence; use 'under-provisioned-at-max' with this action.";
    const other = (f: Finding): Finding => ({ ...f, detector: 'other' });
    const cases: Finding[] = [
      other({ ...pinned(), before: undefined }),
      other({ ...pinned(), before: { policies: [] } }),
      other(pinned({}, { target: undefined })),
      other(pinned({}, { profile: undefined })),
    ];

    // Act
    const plans = cases.map((f) => raiseMaxSize.plan(f, options(), planCtx));

    // Assess
    expect(plans).toEqual(cases.map(() => ({ kind: 'conflict', reason })));
  });
});

describe('raise-max-size undo, edge cases', () => {
  const params: RaiseMaxParams = { group: NAME, fromMaxSize: 10, toMaxSize: 13 };
  const group = (s: { MinSize: number; MaxSize: number; DesiredCapacity: number } | undefined) => ({
    AutoScalingGroups: s ? [{ AutoScalingGroupName: NAME, AutoScalingGroupARN: 'arn:web', ...s, DefaultCooldown: 300, Tags: [] }] : [],
  });

  it('sets MaxSize back when MinSize equals the recorded MaxSize', async () => {
    // Prepare
    let s = { MinSize: 10, MaxSize: 13, DesiredCapacity: 10 };
    const a = fakeAws({
      DescribeAutoScalingGroups: () => group(s),
      UpdateAutoScalingGroup: (input) => { s = { ...s, MaxSize: input.MaxSize }; return {}; },
    });

    // Act
    const out = await raiseMaxSize.undo!(a.ctx, recordOf('asg', NAME, 'raise-max-size', params, {}, {}));

    // Assess
    expect(a.writes('UpdateAutoScalingGroup').map((c) => c.input)).toEqual([{ AutoScalingGroupName: NAME, MaxSize: 10 }]);
    expect(out).toEqual({ detail: "MaxSize of 'web' is back to 10 (recorded before a1).", after: { maxSize: 10, minSize: 10, desiredCapacity: 10 } });
  });

  it('says to check by hand when the group is gone right after the write', async () => {
    // Prepare: the group is there for the check, gone when read back.
    const a = fakeAws({
      DescribeAutoScalingGroups: (_input, n) => group(n === 1 ? { MinSize: 4, MaxSize: 13, DesiredCapacity: 6 } : undefined),
      UpdateAutoScalingGroup: () => ({}),
    });

    // Act
    const out = raiseMaxSize.undo!(a.ctx, recordOf('asg', NAME, 'raise-max-size', params, {}, {}));

    // Assess
    await expect(out).rejects.toThrow(new Error("MaxSize of 'web' was set back to 10, but Auto Scaling shows undefined; check by hand."));
    await expect(out).rejects.not.toBeInstanceOf(UndoRefusedError);
    expect(a.writes('UpdateAutoScalingGroup').length).toBe(1);
  });
});

describe('raise-max-size plan helpers: the bounded step and the priced added cost', () => {
  /** Only what addedCost reads of a price table. */
  const PRICES = { hoursPerMonth: 730, ec2OnDemandHourly: { 'm5.large': 0.096 }, ec2LicensedHourly: {} } as unknown as PriceTable;
  const MODEL = 'Model: ceil(load / target) instances per hour within [MinSize, MaxSize], load = in-service × CPU%; MaxSize 8 → 10 adds 200 instance-hours over 100 hours with data → 1460 instance-hours/month. CPU is capped at 100% while the group is pinned, so the real demand (and cost) can be higher.';
  const cost = (instanceType: string | undefined, platform?: Parameters<typeof addedCost>[7]) => addedCost(PROFILE, 50, 2, 8, 10, instanceType, PRICES, platform);

  it('raises to a whole p95 demand exactly, not one instance past it, within the step', () => {
    // Act / Assess: from 8 the step is 2 (25 %); a demand of exactly 9 asks for 9, 9.2 for 10
    expect(proposeMaxSize(8, 9, { maxStepPercent: 25, maxSizeCap: 100 })).toBe(9);
    expect(proposeMaxSize(8, 9.2, { maxStepPercent: 25, maxSizeCap: 100 })).toBe(10);
  });

  it('prices the added instance-hours on Linux, and says so when the operating system was not read', () => {
    // Act
    const linux = cost('m5.large', LINUX);
    const unread = cost('m5.large');

    // Assess
    expect(linux).toEqual({ monthlyUsd: -140.16, addedInstanceHoursPerMonth: 1460, basis: [MODEL, 'Added cost: 1460 instance-hours × m5.large Linux, Shared on-demand $0.096/hour (list price) = $140.16/month, shown as a negative saving.'] });
    expect(unread.basis[1]).toBe('Added cost: 1460 instance-hours × m5.large Linux, Shared on-demand $0.096/hour (list price) = $140.16/month, shown as a negative saving; operating system unknown (not read): Linux rates assumed; a licensed OS (Windows, RHEL) makes a smaller type save more.');
  });

  it('does not estimate the cost without an instance type, for Dedicated tenancy, or for a type the price table lacks, and says which', () => {
    // Act
    const answers = [cost(undefined, LINUX), cost('m5.large', { platformDetails: 'Linux/UNIX', tenancy: 'dedicated' }), cost('x9.huge', LINUX)];

    // Assess
    expect(answers.map((a) => [a.monthlyUsd, a.addedInstanceHoursPerMonth, a.basis[1]])).toEqual([
      [0, 1460, 'Instance type unknown: added cost not estimated.'],
      [0, 1460, 'Dedicated tenancy is not priced: added cost not estimated.'],
      [0, 1460, 'No on-demand price for x9.huge (Linux) in the price table (add it under prices.ec2OnDemandHourly): added cost not estimated.'],
    ]);
  });
});
