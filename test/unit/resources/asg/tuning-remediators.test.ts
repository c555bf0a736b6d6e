/**
 * raise-target, lower-min-size, lengthen-warmup (lib/resources/asg/remediators.ts) and raise-max-size
 * (lib/resources/asg/capacity.ts): apply, verify and undo against a scripted Auto Scaling (../fake-aws.ts).
 * The apply-time re-checks (trimtab:skip since the finding, a changed setting, a gone group or policy),
 * the exact inputs written, and the undo's refusal when anyone changed the settings after trimtab.
 * Their plans are tested in remediators.test.ts and capacity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import type { Plan } from '../../../../lib/engine/types.ts';
import { raiseMaxSize, type RaiseMaxParams } from '../../../../lib/resources/asg/capacity.ts';
import { lengthenWarmup, lowerMinSize, raiseTarget, type LowerMinParams, type RaiseTargetParams, type WarmupParams } from '../../../../lib/resources/asg/remediators.ts';
import type { AsgBefore } from '../../../../lib/resources/asg/tuning.ts';
import { PlanConstraintError, ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { fakeAws, findingOf, recordOf } from '../fake-aws.ts';

const NAME = 'web';
interface State { MinSize: number; MaxSize: number; DesiredCapacity: number; DefaultCooldown: number; DefaultInstanceWarmup?: number; Tags: { Key: string; Value: string }[]; gone?: boolean }
const cpuPolicy = (target = 50, extra: Partial<ScalingPolicy> = {}): ScalingPolicy => ({
  AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', Enabled: true,
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: target }, ...extra,
});
const simplePolicy = (cooldown?: number): ScalingPolicy => ({ AutoScalingGroupName: NAME, PolicyName: 'up', PolicyType: 'SimpleScaling', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1, ...(cooldown !== undefined ? { Cooldown: cooldown } : {}) });

/** A scripted group and its policies; the writes change them as AWS would. `afterWrite` changes them after each write (someone else). */
function aws(state: Partial<State> = {}, policies: ScalingPolicy[] = [cpuPolicy()], afterWrite?: (s: State, p: ScalingPolicy[]) => void) {
  const s: State = { MinSize: 4, MaxSize: 10, DesiredCapacity: 6, DefaultCooldown: 300, Tags: [], ...state };
  let pols = structuredClone(policies);
  const a = fakeAws({
    DescribeAutoScalingGroups: () => ({ AutoScalingGroups: s.gone ? [] : [{ AutoScalingGroupName: NAME, AutoScalingGroupARN: 'arn:web', MinSize: s.MinSize, MaxSize: s.MaxSize, DesiredCapacity: s.DesiredCapacity, DefaultCooldown: s.DefaultCooldown, DefaultInstanceWarmup: s.DefaultInstanceWarmup, Tags: s.Tags }] }),
    DescribePolicies: () => ({ ScalingPolicies: structuredClone(pols) }),
    PutScalingPolicy: (input) => {
      pols = pols.map((p) => (p.PolicyName === input.PolicyName ? { ...input } : p));
      afterWrite?.(s, pols);
      return {};
    },
    UpdateAutoScalingGroup: (input) => {
      for (const k of ['MinSize', 'MaxSize', 'DefaultCooldown'] as const) if (input[k] !== undefined) s[k] = input[k];
      s.DesiredCapacity = Math.min(Math.max(s.DesiredCapacity, s.MinSize), s.MaxSize);
      afterWrite?.(s, pols);
      return {};
    },
  });
  return { ...a, s, policies: () => pols };
}
const WRITES = ['PutScalingPolicy', 'UpdateAutoScalingGroup'];
const SKIP = [{ Key: 'trimtab:skip', Value: 'freeze' }];
const planOf = <P>(action: string, params: P): Plan<P> => ({ action, summary: '', undo: '', hash: 'h', params });
const finding = () => findingOf('asg', NAME, {});

describe('raise-target apply', () => {
  const plan = planOf<RaiseTargetParams>('raise-target', { group: NAME, policyName: 'cpu', fromTarget: 50, toTarget: 60 });

  it('re-reads the group and the policy, then puts the whole policy back with the new target only', async () => {
    const a = aws();
    const out = await raiseTarget.apply(a.ctx, plan, finding());
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([
      ['PutScalingPolicy', { AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', Enabled: true, TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 60 } }],
    ]);
    expect(out.detail).toBe('target 50% → 60%');
    expect((out.before as AsgBefore).policies[0].TargetTrackingConfiguration?.TargetValue).toBe(50);
    expect((out.after as AsgBefore).policies[0].TargetTrackingConfiguration?.TargetValue).toBe(60);
    expect((out.before as AsgBefore).group).toEqual({ name: NAME, minSize: 4, maxSize: 10, desiredCapacity: 6, defaultCooldown: 300 });
  });

  it('refuses a group tagged trimtab:skip since the finding, and writes nothing', async () => {
    const a = aws({ Tags: SKIP });
    const out = raiseTarget.apply(a.ctx, plan, finding());
    await expect(out).rejects.toThrow(new ProtectedResourceError('web is tagged trimtab:skip; nothing was changed.'));
    await expect(out).rejects.toBeInstanceOf(ProtectedResourceError);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a target changed since the finding, a gone policy and a gone group', async () => {
    const a = aws({}, [cpuPolicy(55)]);
    await expect(raiseTarget.apply(a.ctx, plan, finding())).rejects.toThrow(new PlanConstraintError("'cpu' on web has target 55% now, not 50% as when detected; nothing was changed."));
    const b = aws({}, [simplePolicy()]);
    await expect(raiseTarget.apply(b.ctx, plan, finding())).rejects.toThrow(new PlanConstraintError("Scaling policy 'cpu' of 'web' no longer exists; nothing was changed."));
    const c = aws({ gone: true });
    await expect(raiseTarget.apply(c.ctx, plan, finding())).rejects.toThrow(new PlanConstraintError("Auto Scaling group 'web' no longer exists in us-east-1; nothing was changed."));
    expect([...a.writes(...WRITES), ...b.writes(...WRITES), ...c.writes(...WRITES)]).toEqual([]);
  });
});

describe('raise-target apply, what it reads', () => {
  const plan = planOf<RaiseTargetParams>('raise-target', { group: NAME, policyName: 'cpu', fromTarget: 50, toTarget: 60 });

  it('refuses a policy of the same name that is no longer target tracking, and writes nothing', async () => {
    // Prepare: 'cpu' was replaced by a simple scaling policy of the same name.
    const a = aws({}, [{ ...simplePolicy(60), PolicyName: 'cpu' }]);

    // Act
    const out = raiseTarget.apply(a.ctx, plan, finding());

    // Assess
    await expect(out).rejects.toThrow(new PlanConstraintError("'cpu' on web is a SimpleScaling policy now, not target tracking as when detected; nothing was changed."));
    await expect(out).rejects.toBeInstanceOf(PlanConstraintError);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('names the type of a step scaling or untyped policy that replaced the target tracking one, and writes nothing', async () => {
    // Prepare: 'cpu' was replaced by a step scaling policy in one group, by a policy AWS describes without a type in the other.
    const step = aws({}, [{ AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'StepScaling', AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] }]);
    const untyped = aws({}, [{ AutoScalingGroupName: NAME, PolicyName: 'cpu', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1 }]);

    // Act
    const outStep = raiseTarget.apply(step.ctx, plan, finding());
    const outUntyped = raiseTarget.apply(untyped.ctx, plan, finding());

    // Assess
    await expect(outStep).rejects.toThrow(new PlanConstraintError("'cpu' on web is a StepScaling policy now, not target tracking as when detected; nothing was changed."));
    await expect(outUntyped).rejects.toThrow(new PlanConstraintError("'cpu' on web is a SimpleScaling policy now, not target tracking as when detected; nothing was changed."));
    expect([...step.writes(...WRITES), ...untyped.writes(...WRITES)]).toEqual([]);
  });

  it('refuses a target tracking policy described without its configuration, and writes nothing', async () => {
    // Prepare
    const a = aws({}, [{ AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling' }]);

    // Act
    const out = raiseTarget.apply(a.ctx, plan, finding());

    // Assess
    await expect(out).rejects.toThrow(new PlanConstraintError("'cpu' on web is described without a target value now; nothing was changed."));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it("records the group's default instance warm-up when it has one, and no such field when it has none", async () => {
    // Act
    const withWarmup = await raiseTarget.apply(aws({ DefaultInstanceWarmup: 120 }).ctx, plan, finding());
    const without = await raiseTarget.apply(aws().ctx, plan, finding());

    // Assess
    expect((withWarmup.before as AsgBefore).group).toStrictEqual({ name: NAME, minSize: 4, maxSize: 10, desiredCapacity: 6, defaultCooldown: 300, defaultInstanceWarmup: 120 });
    expect(Object.keys((without.before as AsgBefore).group)).toEqual(['name', 'minSize', 'maxSize', 'desiredCapacity', 'defaultCooldown']);
  });
});

describe('raise-target verify and undo', () => {
  const plan = planOf<RaiseTargetParams>('raise-target', { group: NAME, policyName: 'cpu', fromTarget: 50, toTarget: 60 });

  it('verify reads the policy alone and compares the target', async () => {
    const a = aws({}, [cpuPolicy(60)]);
    expect(await raiseTarget.verify(a.ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: true, detail: "'cpu' tracks 60% CPU" });
    expect(a.ops()).toEqual(['DescribePolicies']);
    expect(await raiseTarget.verify(aws({}, [cpuPolicy(55)]).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: false, detail: "'cpu' tracks 55% CPU, expected 60%" });
    expect(await raiseTarget.verify(aws({}, []).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: false, detail: "'cpu' of web no longer exists" });
  });

  it('verify fails naming the type of a policy that is no longer target tracking, or one described without its target', async () => {
    // Prepare
    const simple = aws({}, [{ ...simplePolicy(60), PolicyName: 'cpu' }]);
    const untyped = aws({}, [{ AutoScalingGroupName: NAME, PolicyName: 'cpu', AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1 }]);
    const bare = aws({}, [{ AutoScalingGroupName: NAME, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling' }]);

    // Act
    const outSimple = await raiseTarget.verify(simple.ctx, plan, { after: undefined, detail: '' });
    const outUntyped = await raiseTarget.verify(untyped.ctx, plan, { after: undefined, detail: '' });
    const outBare = await raiseTarget.verify(bare.ctx, plan, { after: undefined, detail: '' });

    // Assess
    expect(outSimple).toEqual({ ok: false, detail: "'cpu' is a SimpleScaling policy now, expected target tracking at 60%" });
    expect(outUntyped).toEqual({ ok: false, detail: "'cpu' is a SimpleScaling policy now, expected target tracking at 60%" });
    expect(outBare).toEqual({ ok: false, detail: "'cpu' tracks undefined% CPU, expected 60%" });
  });

  it('undo puts the recorded policy back after checking nobody changed it, and checks the result', async () => {
    // Prepare: apply, then undo.
    const a = aws();
    const applied = await raiseTarget.apply(a.ctx, plan, finding());
    const record = recordOf('asg', NAME, 'raise-target', plan.params, applied.before, applied.after);
    // Act
    const out = await raiseTarget.undo!(a.ctx, record);
    // Assess
    expect(a.writes(...WRITES).map((c) => c.input.TargetTrackingConfiguration?.TargetValue)).toEqual([60, 50]);
    expect(a.ops().filter((o) => o === 'UpdateAutoScalingGroup')).toEqual([]);
    expect(out.detail).toBe("Restored 1 policy configuration(s) and the group settings of 'web' recorded before a1, and checked them against the record.");
    expect((out.after as AsgBefore).policies[0].TargetTrackingConfiguration?.TargetValue).toBe(50);
  });

  it('undo refuses when the policy was changed after trimtab, and writes nothing', async () => {
    const a = aws();
    const applied = await raiseTarget.apply(a.ctx, plan, finding());
    a.policies()[0].TargetTrackingConfiguration!.TargetValue = 70;
    await expect(raiseTarget.undo!(a.ctx, recordOf('asg', NAME, 'raise-target', plan.params, applied.before, applied.after))).rejects.toThrow(
      new UndoRefusedError("The settings of Auto Scaling group 'web' changed after trimtab's action (a1); restoring the old ones would overwrite that change. Compare them by hand."),
    );
    expect(a.writes(...WRITES).length).toBe(1);
  });

  it('undo refuses, naming why, when the group or policy is gone', async () => {
    const a = aws();
    const applied = await raiseTarget.apply(a.ctx, plan, finding());
    a.s.gone = true;
    await expect(raiseTarget.undo!(a.ctx, recordOf('asg', NAME, 'raise-target', plan.params, applied.before, applied.after))).rejects.toThrow(new UndoRefusedError("Cannot undo a1: Auto Scaling group 'web' no longer exists in us-east-1; nothing was changed."));
  });

  it('undo says so when Auto Scaling shows other values after the restore', async () => {
    const a = aws({}, [cpuPolicy()], (_s, p) => { if (p[0].TargetTrackingConfiguration?.TargetValue === 50) p[0].TargetTrackingConfiguration.TargetValue = 51; });
    const applied = await raiseTarget.apply(a.ctx, plan, finding());
    await expect(raiseTarget.undo!(a.ctx, recordOf('asg', NAME, 'raise-target', plan.params, applied.before, applied.after))).rejects.toThrow(
      "the recorded settings of 'web' were put back, but Auto Scaling now shows different values for policy 'cpu' (TargetTrackingConfiguration). The action stays applied; compare the group with the record of a1 by hand.",
    );
  });
});

describe('lower-min-size', () => {
  const plan = planOf<LowerMinParams>('lower-min-size', { group: NAME, fromMinSize: 4, toMinSize: 2 });

  it('apply sets MinSize only, after re-reading the group (no policies)', async () => {
    const a = aws();
    const out = await lowerMinSize.apply(a.ctx, plan, finding());
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups', 'UpdateAutoScalingGroup']);
    expect(a.writes(...WRITES)[0].input).toEqual({ AutoScalingGroupName: NAME, MinSize: 2 });
    expect(out.detail).toBe('MinSize 4 → 2');
    expect([(out.before as AsgBefore).group.minSize, (out.after as AsgBefore).group.minSize]).toEqual([4, 2]);
  });

  it('apply refuses a group tagged trimtab:skip since the finding, and one whose MinSize changed', async () => {
    const a = aws({ Tags: SKIP });
    await expect(lowerMinSize.apply(a.ctx, plan, finding())).rejects.toThrow(new ProtectedResourceError('web is tagged trimtab:skip; nothing was changed.'));
    const b = aws({ MinSize: 3 });
    await expect(lowerMinSize.apply(b.ctx, plan, finding())).rejects.toThrow(new PlanConstraintError('web has MinSize 3 now, not 4 as when detected; nothing was changed.'));
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('verify reads a group tagged trimtab:skip like any other (only apply refuses it)', async () => {
    expect(await lowerMinSize.verify(aws({ MinSize: 2, Tags: SKIP }).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: true, detail: 'MinSize is 2 (desired 6, max 10)' });
  });

  it('verify compares MinSize', async () => {
    expect(await lowerMinSize.verify(aws({ MinSize: 2 }).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: true, detail: 'MinSize is 2 (desired 6, max 10)' });
    expect(await lowerMinSize.verify(aws().ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: false, detail: 'MinSize is 4, expected 2' });
  });

  it('undo sets MinSize back and only MinSize, and refuses when MaxSize or the cooldown changed since', async () => {
    const a = aws();
    const applied = await lowerMinSize.apply(a.ctx, plan, finding());
    const record = recordOf('asg', NAME, 'lower-min-size', plan.params, applied.before, applied.after);
    a.s.DesiredCapacity = 3; // scaling moves it: not a change undo refuses
    const out = await lowerMinSize.undo!(a.ctx, record);
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ AutoScalingGroupName: NAME, MinSize: 2 }, { AutoScalingGroupName: NAME, MinSize: 4 }]);
    expect(out.detail).toBe("Restored 0 policy configuration(s) and the group settings of 'web' recorded before a1, and checked them against the record.");
    const b = aws();
    const applied2 = await lowerMinSize.apply(b.ctx, plan, finding());
    b.s.MaxSize = 12;
    await expect(lowerMinSize.undo!(b.ctx, recordOf('asg', NAME, 'lower-min-size', plan.params, applied2.before, applied2.after))).rejects.toThrow("The settings of Auto Scaling group 'web' changed after trimtab's action (a1)");
    const c = aws();
    const applied3 = await lowerMinSize.apply(c.ctx, plan, finding());
    c.s.DefaultCooldown = 100;
    await expect(lowerMinSize.undo!(c.ctx, recordOf('asg', NAME, 'lower-min-size', plan.params, applied3.before, applied3.after))).rejects.toThrow("The settings of Auto Scaling group 'web' changed after trimtab's action (a1)");
  });

  it('undo names MinSize when Auto Scaling shows another value after the restore', async () => {
    const a = aws({}, [], (s) => { if (s.MinSize === 4) s.MinSize = 5; });
    const applied = await lowerMinSize.apply(a.ctx, plan, finding());
    await expect(lowerMinSize.undo!(a.ctx, recordOf('asg', NAME, 'lower-min-size', plan.params, applied.before, applied.after))).rejects.toThrow("Auto Scaling now shows different values for MinSize (5, recorded 4). The action stays applied");
  });
});

describe('lengthen-warmup', () => {
  const plan = planOf<WarmupParams>('lengthen-warmup', { group: NAME, changes: [{ policyName: 'up', field: 'Cooldown', from: 60, to: 120 }, { field: 'DefaultCooldown', from: 300, to: 600 }] });

  it('apply puts the whole policy with the longer cooldown and updates the group cooldown', async () => {
    const a = aws({}, [simplePolicy(60), cpuPolicy()]);
    const out = await lengthenWarmup.apply(a.ctx, plan, finding());
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([
      ['PutScalingPolicy', { AutoScalingGroupName: NAME, PolicyName: 'up', PolicyType: 'SimpleScaling', Enabled: true, AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1, Cooldown: 120 }],
      ['UpdateAutoScalingGroup', { AutoScalingGroupName: NAME, DefaultCooldown: 600 }],
    ]);
    expect(out.detail).toBe('2 setting(s) lengthened');
    const after = out.after as AsgBefore;
    expect([after.group.defaultCooldown, after.policies[0].Cooldown, after.policies.length]).toEqual([600, 120, 1]);
    expect((out.before as AsgBefore).policies.map((p) => p.Cooldown)).toEqual([60]);
  });

  it('apply checks and writes each of two policies with its own values', async () => {
    // Prepare: 'down' is listed first by Auto Scaling, changed second in the plan.
    const two = planOf<WarmupParams>('lengthen-warmup', { group: NAME, changes: [{ policyName: 'up', field: 'Cooldown', from: 60, to: 120 }, { policyName: 'down', field: 'Cooldown', from: 90, to: 180 }] });
    const a = aws({}, [{ ...simplePolicy(90), PolicyName: 'down', ScalingAdjustment: -1 }, simplePolicy(60)]);

    // Act
    const out = await lengthenWarmup.apply(a.ctx, two, finding());

    // Assess
    expect(a.writes(...WRITES).map((c) => [c.input.PolicyName, c.input.ScalingAdjustment, c.input.Cooldown])).toEqual([['up', 1, 120], ['down', -1, 180]]);
    expect((out.after as AsgBefore).policies.map((p) => [p.PolicyName, p.Cooldown])).toEqual([['up', 120], ['down', 180]]);
    expect(out.detail).toBe('2 setting(s) lengthened');
  });

  it('apply refuses the second of two policies when only its value changed, writing nothing', async () => {
    const two = planOf<WarmupParams>('lengthen-warmup', { group: NAME, changes: [{ policyName: 'up', field: 'Cooldown', from: 60, to: 120 }, { policyName: 'down', field: 'Cooldown', from: 90, to: 180 }] });
    const a = aws({}, [simplePolicy(60), { ...simplePolicy(100), PolicyName: 'down' }]);
    await expect(lengthenWarmup.apply(a.ctx, two, finding())).rejects.toThrow(new PlanConstraintError("'down' has Cooldown 100s now, not 90s; nothing was changed."));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('apply goes on for a policy that inherits the value (none set explicitly)', async () => {
    const a = aws({}, [simplePolicy()]);
    await lengthenWarmup.apply(a.ctx, plan, finding());
    expect(a.writes('PutScalingPolicy')[0].input.Cooldown).toBe(120);
  });

  it('apply refuses a group tagged trimtab:skip, a changed policy value, and a changed group cooldown, writing nothing', async () => {
    const a = aws({ Tags: SKIP }, [simplePolicy(60)]);
    await expect(lengthenWarmup.apply(a.ctx, plan, finding())).rejects.toThrow(new ProtectedResourceError('web is tagged trimtab:skip; nothing was changed.'));
    const b = aws({}, [simplePolicy(90)]);
    await expect(lengthenWarmup.apply(b.ctx, plan, finding())).rejects.toThrow(new PlanConstraintError("'up' has Cooldown 90s now, not 60s; nothing was changed."));
    const c = aws({ DefaultCooldown: 200 }, [simplePolicy(60)]);
    await expect(lengthenWarmup.apply(c.ctx, plan, finding())).rejects.toThrow(new PlanConstraintError('web has DefaultCooldown 200s now, not 300s; nothing was changed.'));
    expect([...a.writes(...WRITES), ...b.writes(...WRITES), ...c.writes(...WRITES)]).toEqual([]);
  });

  it('verify names what is not as planned', async () => {
    expect(await lengthenWarmup.verify(aws({ DefaultCooldown: 600 }, [simplePolicy(120)]).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: true, detail: '2 warm-up/cooldown setting(s) in place' });
    expect(await lengthenWarmup.verify(aws({ DefaultCooldown: 300 }, [simplePolicy(120)]).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: false, detail: 'Not as planned: group DefaultCooldown' });
    expect(await lengthenWarmup.verify(aws({ DefaultCooldown: 600 }, [simplePolicy(60)]).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: false, detail: 'Not as planned: up Cooldown' });
  });

  it('verify checks each of two policies against its own planned value, and names every one not as planned', async () => {
    // Prepare: Auto Scaling lists 'down' first; 'up' is as planned, 'down' and the group cooldown are not.
    const two = planOf<WarmupParams>('lengthen-warmup', { group: NAME, changes: [{ policyName: 'up', field: 'Cooldown', from: 60, to: 120 }, { policyName: 'down', field: 'Cooldown', from: 90, to: 180 }, { field: 'DefaultCooldown', from: 300, to: 600 }] });
    const a = aws({ DefaultCooldown: 300 }, [{ ...simplePolicy(90), PolicyName: 'down' }, simplePolicy(120)]);
    const b = aws({ DefaultCooldown: 600 }, [{ ...simplePolicy(180), PolicyName: 'down' }, simplePolicy(120)]);

    // Act
    const wrong = await lengthenWarmup.verify(a.ctx, two, { after: undefined, detail: '' });
    const right = await lengthenWarmup.verify(b.ctx, two, { after: undefined, detail: '' });

    // Assess
    expect(wrong).toEqual({ ok: false, detail: 'Not as planned: down Cooldown, group DefaultCooldown' });
    expect(right).toEqual({ ok: true, detail: '3 warm-up/cooldown setting(s) in place' });
  });

  it('undo puts back the policy and the group cooldown', async () => {
    const a = aws({}, [simplePolicy(60)]);
    const applied = await lengthenWarmup.apply(a.ctx, plan, finding());
    await lengthenWarmup.undo!(a.ctx, recordOf('asg', NAME, 'lengthen-warmup', plan.params, applied.before, applied.after));
    expect(a.writes(...WRITES).slice(2).map((c) => [c.op, c.input.Cooldown ?? c.input.DefaultCooldown])).toEqual([['PutScalingPolicy', 60], ['UpdateAutoScalingGroup', 300]]);
    expect(a.writes('UpdateAutoScalingGroup')[1].input).toEqual({ AutoScalingGroupName: NAME, DefaultCooldown: 300 });
  });

  it('undo names every setting Auto Scaling shows otherwise after the restore, one after the other', async () => {
    // Prepare: after the restore someone sets the policy's cooldown to 70 and the group's to 310.
    const a = aws({}, [simplePolicy(60)], (s, p) => {
      if (s.DefaultCooldown === 300) s.DefaultCooldown = 310;
      if (p[0].Cooldown === 60) p[0].Cooldown = 70;
    });
    const applied = await lengthenWarmup.apply(a.ctx, plan, finding());

    // Act
    const out = lengthenWarmup.undo!(a.ctx, recordOf('asg', NAME, 'lengthen-warmup', plan.params, applied.before, applied.after));

    // Assess
    await expect(out).rejects.toThrow(
      new Error("the recorded settings of 'web' were put back, but Auto Scaling now shows different values for policy 'up' (Cooldown); DefaultCooldown (310, recorded 300). The action stays applied; compare the group with the record of a1 by hand."),
    );
  });

  it('undo puts back two policies and checks each against its own record', async () => {
    // Prepare
    const two = planOf<WarmupParams>('lengthen-warmup', { group: NAME, changes: [{ policyName: 'up', field: 'Cooldown', from: 60, to: 120 }, { policyName: 'down', field: 'Cooldown', from: 90, to: 180 }] });
    const a = aws({}, [simplePolicy(60), { ...simplePolicy(90), PolicyName: 'down', ScalingAdjustment: -1 }]);
    const applied = await lengthenWarmup.apply(a.ctx, two, finding());

    // Act
    const out = await lengthenWarmup.undo!(a.ctx, recordOf('asg', NAME, 'lengthen-warmup', two.params, applied.before, applied.after));

    // Assess
    expect(a.writes('PutScalingPolicy').slice(2).map((c) => [c.input.PolicyName, c.input.Cooldown])).toEqual([['up', 60], ['down', 90]]);
    expect(out.detail).toBe("Restored 2 policy configuration(s) and the group settings of 'web' recorded before a1, and checked them against the record.");
  });

  it('undo names each field of a policy Auto Scaling shows otherwise after the restore', async () => {
    // Prepare: after the restore the policy comes back with another cooldown and another adjustment.
    const a = aws({}, [simplePolicy(60)], (_s, p) => { if (p[0].Cooldown === 60) Object.assign(p[0], { Cooldown: 70, ScalingAdjustment: 2 }); });
    const applied = await lengthenWarmup.apply(a.ctx, plan, finding());

    // Act
    const out = lengthenWarmup.undo!(a.ctx, recordOf('asg', NAME, 'lengthen-warmup', plan.params, applied.before, applied.after));

    // Assess
    await expect(out).rejects.toThrow("Auto Scaling now shows different values for policy 'up' (Cooldown, ScalingAdjustment). The action stays applied");
  });

  it('undo names DefaultCooldown when Auto Scaling shows another value after the restore', async () => {
    const a = aws({}, [simplePolicy(60)], (s) => { if (s.DefaultCooldown === 300) s.DefaultCooldown = 310; });
    const applied = await lengthenWarmup.apply(a.ctx, plan, finding());
    await expect(lengthenWarmup.undo!(a.ctx, recordOf('asg', NAME, 'lengthen-warmup', plan.params, applied.before, applied.after))).rejects.toThrow('different values for DefaultCooldown (310, recorded 300)');
  });
});

describe('raise-max-size apply, verify, undo', () => {
  const plan = planOf<RaiseMaxParams>('raise-max-size', { group: NAME, fromMaxSize: 10, toMaxSize: 13 });

  it('apply sets MaxSize only and records the sizes before and after', async () => {
    const a = aws();
    const out = await raiseMaxSize.apply(a.ctx, plan, finding());
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ AutoScalingGroupName: NAME, MaxSize: 13 }]);
    expect(out).toEqual({ before: { maxSize: 10, minSize: 4, desiredCapacity: 6 }, after: { maxSize: 13, minSize: 4, desiredCapacity: 6 }, detail: 'MaxSize 10 → 13' });
  });

  it('apply refuses a group tagged trimtab:skip since the finding, and writes nothing', async () => {
    const a = aws({ Tags: SKIP });
    const out = raiseMaxSize.apply(a.ctx, plan, finding());
    await expect(out).rejects.toThrow(new ProtectedResourceError('web is tagged trimtab:skip; nothing was changed.'));
    await expect(out).rejects.toBeInstanceOf(ProtectedResourceError);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('apply refuses a gone group, a changed MaxSize, and a MinSize above the planned MaxSize; counts one already raised as done', async () => {
    await expect(raiseMaxSize.apply(aws({ gone: true }).ctx, plan, finding())).rejects.toThrow(new PlanConstraintError("Auto Scaling group 'web' no longer exists in us-east-1; nothing was changed."));
    await expect(raiseMaxSize.apply(aws({ MaxSize: 11 }).ctx, plan, finding())).rejects.toThrow(new PlanConstraintError('web has MaxSize 11 now, not 10 as when detected; nothing was changed.'));
    await expect(raiseMaxSize.apply(aws({ MinSize: 14 }).ctx, plan, finding())).rejects.toThrow(new PlanConstraintError('web has MinSize 14 now, above the planned MaxSize 13; nothing was changed.'));
    const done = aws({ MaxSize: 13 });
    expect(await raiseMaxSize.apply(done.ctx, plan, finding())).toEqual({ before: { maxSize: 13, minSize: 4, desiredCapacity: 6 }, after: { maxSize: 13, minSize: 4, desiredCapacity: 6 }, detail: 'MaxSize is already 13' });
    expect(done.writes(...WRITES)).toEqual([]);
  });

  it('verify compares MaxSize, and fails for a gone group', async () => {
    expect(await raiseMaxSize.verify(aws({ MaxSize: 13 }).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: true, detail: 'MaxSize is 13 (MinSize 4, desired 6)' });
    expect(await raiseMaxSize.verify(aws().ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: false, detail: 'MaxSize is 10, expected 13' });
    expect(await raiseMaxSize.verify(aws({ gone: true }).ctx, plan, { after: undefined, detail: '' })).toEqual({ ok: false, detail: 'web no longer exists' });
  });

  it('undo sets MaxSize back and says how far the desired capacity came down', async () => {
    const a = aws({ MaxSize: 13, DesiredCapacity: 12 });
    const out = await raiseMaxSize.undo!(a.ctx, recordOf('asg', NAME, 'raise-max-size', plan.params, {}, {}));
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ AutoScalingGroupName: NAME, MaxSize: 10 }]);
    expect(out).toEqual({ detail: "MaxSize of 'web' is back to 10 (recorded before a1). DesiredCapacity went from 12 to 10.", after: { maxSize: 10, minSize: 4, desiredCapacity: 10 } });
    const b = aws({ MaxSize: 13, DesiredCapacity: 10 });
    expect((await raiseMaxSize.undo!(b.ctx, recordOf('asg', NAME, 'raise-max-size', plan.params, {}, {}))).detail).toBe("MaxSize of 'web' is back to 10 (recorded before a1).");
  });

  it('undo refuses a gone group, a MaxSize changed since, and a MinSize above the old MaxSize', async () => {
    const rec = recordOf('asg', NAME, 'raise-max-size', plan.params, {}, {});
    await expect(raiseMaxSize.undo!(aws({ gone: true }).ctx, rec)).rejects.toThrow(new UndoRefusedError("Auto Scaling group 'web' no longer exists; nothing to undo."));
    await expect(raiseMaxSize.undo!(aws({ MaxSize: 15 }).ctx, rec)).rejects.toThrow(new UndoRefusedError("MaxSize of 'web' is 15 now, not 13 as trimtab set it (a1): someone changed it since; not undone."));
    const c = aws({ MaxSize: 13, MinSize: 11 });
    await expect(raiseMaxSize.undo!(c.ctx, rec)).rejects.toThrow(new UndoRefusedError("MinSize of 'web' is 11 now, above the recorded MaxSize 10: restoring it would be refused; not undone."));
    expect(c.writes(...WRITES)).toEqual([]);
  });

  it('undo says so when Auto Scaling shows another MaxSize after it', async () => {
    const a = aws({ MaxSize: 13 }, [], (s) => { s.MaxSize = 11; });
    await expect(raiseMaxSize.undo!(a.ctx, recordOf('asg', NAME, 'raise-max-size', plan.params, {}, {}))).rejects.toThrow("MaxSize of 'web' was set back to 10, but Auto Scaling shows 11; check by hand.");
  });
});
