/**
 * Auto Scaling undo: PutScalingPolicy replaces the whole policy (EC2 Auto Scaling User Guide:
 * "The original values are not kept"), so undo sends every recorded field explicitly, leaves out
 * what was inherited, and checks the restored policy against the record before calling it done.
 */
import type { ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { regionContext } from '../../lib/engine/run.ts';
import type { ActionRecord } from '../../lib/engine/types.ts';
import { lengthenWarmup, putInputFrom } from '../../lib/resources/asg/remediators.ts';
import type { AsgBefore } from '../../lib/resources/asg/tuning.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../lib/sandbox/services/autoscaling.ts';
import { testEnv } from '../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

describe('putInputFrom on legacy and simple policies', () => {
  it('sends the deprecated MinAdjustmentStep as MinAdjustmentMagnitude, never both, and every other field explicitly', () => {
    // Prepare: a simple policy created long ago with MinAdjustmentStep, described with both members.
    const described: ScalingPolicy = {
      AutoScalingGroupName: 'g', PolicyName: 'scale-out-25pct', PolicyARN: 'arn:p', PolicyType: 'SimpleScaling', AdjustmentType: 'PercentChangeInCapacity',
      MinAdjustmentStep: 2, MinAdjustmentMagnitude: 2, ScalingAdjustment: 25, Cooldown: 120, Alarms: [], Enabled: true,
    };

    // Act
    const input = putInputFrom(described);

    // Assess
    expect(input).toEqual({ AutoScalingGroupName: 'g', PolicyName: 'scale-out-25pct', PolicyType: 'SimpleScaling', AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 2, ScalingAdjustment: 25, Cooldown: 120, Enabled: true });
    expect(putInputFrom({ ...described, MinAdjustmentMagnitude: undefined })).toMatchObject({ MinAdjustmentMagnitude: 2 });
    expect(putInputFrom({ ...described, MinAdjustmentMagnitude: undefined })).not.toHaveProperty('MinAdjustmentStep');
  });
});

describe('lengthen-warmup undo on the sandbox', () => {
  /** Apply lengthen-warmup to acme-web's target-tracking policy, whose warm-up is inherited (none set). */
  async function applied() {
    const env = testEnv('small-company', { clock });
    const ctx = regionContext(env.deps, 'us-east-1', env.clients.withWrites(true), clock());
    const plan = { action: 'lengthen-warmup', summary: '', undo: '', hash: 'h', params: { group: 'acme-web', changes: [{ policyName: 'cpu-target-tracking', field: 'EstimatedInstanceWarmup' as const, from: 300, to: 600 }] } };
    const change = await lengthenWarmup.apply(ctx, plan, undefined as never);
    const record = { id: 'act-warmup', resource: { type: 'asg', id: 'acme-web', region: 'us-east-1', account: SANDBOX_ACCOUNT }, before: change.before, after: change.after } as unknown as ActionRecord;
    const policy = () => autoscalingState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').policies.find((p) => p.AutoScalingGroupName === 'acme-web')!;
    return { env, ctx, record, policy };
  }

  it('puts the inherited warm-up back (the field left out), and says it checked the result against the record', async () => {
    // Prepare
    const { ctx, record, policy } = await applied();
    expect(policy().EstimatedInstanceWarmup).toBe(600);
    expect((record.before as AsgBefore).policies[0].EstimatedInstanceWarmup).toBeUndefined();

    // Act
    const result = await lengthenWarmup.undo!(ctx, record);

    // Assess
    expect(policy()).not.toHaveProperty('EstimatedInstanceWarmup');
    expect(policy().TargetTrackingConfiguration.TargetValue).toBe(50);
    expect(result.detail).toMatch(/recorded before act-warmup, and checked them against the record\.$/);
  });

  it('does not report success when the policy read back differs from the record, and names the field', async () => {
    // Prepare: another writer changes the policy right after trimtab's re-put, before trimtab's re-read.
    const { env, ctx, record, policy } = await applied();
    let putSeen = false;
    env.sandbox.faults.failWhen = ({ operation }) => {
      if (operation === 'PutScalingPolicy') putSeen = true;
      else if (operation === 'DescribePolicies' && putSeen) policy().TargetTrackingConfiguration.TargetValue = 70;
      return undefined;
    };

    // Act
    const undo = lengthenWarmup.undo!(ctx, record);

    // Assess
    await expect(undo).rejects.toThrow(/Auto Scaling now shows different values for policy 'cpu-target-tracking' \(TargetTrackingConfiguration\)\. The action stays applied/);
  });
});
