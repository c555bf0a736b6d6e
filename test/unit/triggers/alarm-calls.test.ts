/**
 * The alarm → fix path's API calls for one Auto Scaling group: read once to detect and plan,
 * re-read once right before the write, write, re-read once to verify. The re-read before the
 * write still refuses when the policy changed after detection.
 */
import { describe, expect, it } from 'vitest';
import { ALARM_POLICY, alarmEvent, GROUP } from '../../../lib/bench/e2e.ts';
import { runAlarmTrigger } from '../../../lib/lambda/triggers.ts';
import { parsePolicies } from '../../../lib/policy/load.ts';
import { autoscalingState } from '../../../lib/sandbox/services/autoscaling.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../../lib/sandbox/sandbox.ts';
import { memoryPersistence } from '../../../lib/triggers/idempotency.ts';
import { lambdaDepsFor, SETTLED_TIMING, testEnv } from '../../helpers.ts';

const NOW = new Date('2026-11-01T00:00:00Z');

type Seen = { service: string; operation: string; input: any; count: number };

/** The small-company account, every call it answers recorded in order; `onCall` may change the account before a call is answered. */
function account(onCall: (call: Seen, sandbox: Sandbox) => void = () => {}) {
  const calls: string[] = [];
  let sandbox!: Sandbox;
  const env = testEnv('small-company', {
    clock: () => NOW,
    timing: SETTLED_TIMING,
    faults: {
      failWhen: (call) => {
        calls.push(`${call.service}:${call.operation}`);
        onCall(call, sandbox);
        return undefined;
      },
    },
  });
  sandbox = env.sandbox;
  const deps = lambdaDepsFor(env, parsePolicies(ALARM_POLICY, 'alarm.yml'));
  return { env, deps, calls };
}

const targetOf = (sandbox: Sandbox) =>
  autoscalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').policies.find((p) => p.AutoScalingGroupName === GROUP)!.TargetTrackingConfiguration.TargetValue;

describe('the alarm → fix path for one Auto Scaling group', () => {
  it('makes 7 calls: detect (group, policies and metrics), re-read right before the write, the write, one read to verify', async () => {
    // Prepare
    const { env, deps, calls } = account();

    // Act
    const result = await runAlarmTrigger(alarmEvent(), undefined, deps, memoryPersistence());

    // Assess
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: GROUP, action: 'raise-target', status: 'verified' })]);
    expect(targetOf(env.sandbox)).toBe(40);
    // Detection: the group, then its policies and its metrics at once (either may be answered first).
    expect(calls[0]).toBe('autoscaling:DescribeAutoScalingGroups');
    expect(calls.slice(1, 3).sort()).toEqual(['autoscaling:DescribePolicies', 'cloudwatch:GetMetricData']);
    // Right before the write: the group and the policy at once.
    expect(calls.slice(3, 5).sort()).toEqual(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies']);
    expect(calls.slice(5)).toEqual(['autoscaling:PutScalingPolicy', 'autoscaling:DescribePolicies']);
    expect(env.sandbox.callCount()).toBe(7);
  });

  it('records the before-state read right before the write and the after-state as written', async () => {
    // Prepare
    const { env, deps } = account();

    // Act
    await runAlarmTrigger(alarmEvent(), undefined, deps, memoryPersistence());

    // Assess
    const [record] = await env.store.list();
    expect(record.status).toBe('verified');
    const before = record.before as { group: { minSize: number }; policies: { TargetTrackingConfiguration: { TargetValue: number } }[] };
    const after = record.after as typeof before;
    expect(before.group.minSize).toBe(2);
    expect(before.policies[0].TargetTrackingConfiguration.TargetValue).toBe(30);
    expect(after.policies[0].TargetTrackingConfiguration.TargetValue).toBe(40);
    expect(after.group).toEqual(before.group);
  });

  it('refuses to write when the target changed between detection and the write, and says so', async () => {
    // Prepare: someone sets the target to 35 % after trimtab read it at 30 %, just before the re-read.
    const { env, deps, calls } = account((call, sandbox) => {
      if (call.operation === 'DescribePolicies' && call.count === 2) {
        autoscalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').policies.find((p) => p.AutoScalingGroupName === GROUP)!.TargetTrackingConfiguration.TargetValue = 35;
      }
    });

    // Act
    const result = await runAlarmTrigger(alarmEvent(), undefined, deps, memoryPersistence());

    // Assess: nothing written, the person's 35 % stands, and the reason names both values.
    expect(calls).not.toContain('autoscaling:PutScalingPolicy');
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(targetOf(env.sandbox)).toBe(35);
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: GROUP, status: 'failed' })]);
    const [record] = await env.store.list();
    expect(record.error?.message).toBe("'cpu-target-tracking' on acme-api has target 35% now, not 30% as when detected; nothing was changed.");
  });
});
