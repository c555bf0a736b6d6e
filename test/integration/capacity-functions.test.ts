import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { runAlarmTrigger } from '../../lib/lambda/triggers.ts';
import { parsePolicies } from '../../lib/policy/load.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../lib/sandbox/services/autoscaling.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { memoryPersistence } from '../../lib/triggers/idempotency.ts';
import { lambdaDepsFor, testEnv, SETTLED_TIMING } from '../helpers.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const sample = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, 'utf8'));

/** The asg alarm sample, for a high-CPU alarm trimtab keeps on acme-checkout. */
function highCpuAlarm(state = 'ALARM') {
  const event = sample('alarm-asg-low-cpu-acme-web');
  const name = 'trimtab-asg-high-cpu-acme-checkout';
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
  event.detail.alarmName = name;
  event.detail.configuration.metrics[0].metricStat.metric.dimensions = { AutoScalingGroupName: 'acme-checkout' };
  event.detail.configuration.description = 'Managed by trimtab (policy asg-high-cpu-raise-max-size): CPUUtilization GreaterThanThreshold 70 for acme-checkout.';
  event.detail.state.value = state;
  return event;
}

const ALARM_POLICY = `
policies:
  - id: asg-high-cpu-raise-max-size
    resource: asg
    detector: { type: under-provisioned-at-max }
    action: { type: raise-max-size }
    mode: auto
    triggers:
      - alarm: { prefix: trimtab-asg-high-cpu- }
`;

describe('the scheduled function with the shipped policies', () => {
  it('asks for approval of the capacity raises and the IOPS lowering, and changes nothing yet', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: () => NOW, timing: SETTLED_TIMING });
    const deps = lambdaDepsFor(env);
    const seen: { policy: string; resource: { id: string }; outcome: string; benefit?: string[] }[] = [];
    const recordFindings = deps.engine.onFindings;
    deps.engine.onFindings = async (findings) => {
      seen.push(...findings);
      await recordFindings?.(findings);
    };
    const mine = ['asg-raise-max-size', 'ebs-raise-volume-performance', 'ebs-lower-volume-iops'];
    const volumes = ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes;
    const named = (name: string) => Object.values(volumes).find((v) => v.tags?.Name === name)!.id;
    const myVolumes = [named('orders-db data'), named('media-transcode scratch'), named('ledger-db data')];

    // Act
    const result = await runSweep(sample('schedule-daily'), undefined, deps);

    // Assess
    const found = seen.filter((f) => mine.includes(f.policy));
    expect(found.map((f) => [f.policy, f.outcome, f.benefit]).sort()).toEqual([
      ['asg-raise-max-size', 'awaiting-approval', ['performance']],
      ['ebs-lower-volume-iops', 'awaiting-approval', ['cost']],
      ['ebs-raise-volume-performance', 'awaiting-approval', ['performance']],
      ['ebs-raise-volume-performance', 'awaiting-approval', ['performance']],
    ]);
    expect(result.actions.filter((a) => mine.includes(a.policy))).toEqual([]);
    expect(autoscalingState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').groups['acme-checkout'].maxSize).toBe(6);
    expect(env.sandbox.successfulWrites().filter((w) => myVolumes.includes((w.input as { VolumeId?: string }).VolumeId ?? ''))).toEqual([]);
  });
});

describe('the alarm function', () => {
  it('raises MaxSize of the group the high-CPU alarm names, once, however often the alarm is delivered', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: () => NOW, timing: SETTLED_TIMING });
    const deps = lambdaDepsFor(env, parsePolicies(ALARM_POLICY, 'test.yml'));
    const persistence = memoryPersistence();

    // Act
    const result = await runAlarmTrigger(highCpuAlarm(), undefined, deps, persistence);
    const again = await runAlarmTrigger(highCpuAlarm(), undefined, deps, persistence);

    // Assess
    expect(result.status).toBe('acted');
    expect(result.outcomes[0]).toMatchObject({ policy: 'asg-high-cpu-raise-max-size', ids: ['acme-checkout'] });
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: 'acme-checkout', action: 'raise-max-size', status: 'verified' })]);
    expect(again.status).not.toBe('acted');
    expect(env.sandbox.successfulWrites().map((w) => [w.operation, w.input])).toEqual([['UpdateAutoScalingGroup', { AutoScalingGroupName: 'acme-checkout', MaxSize: 8 }]]);
  });

  it('does nothing when the alarm goes back to OK', async () => {
    const env = testEnv('small-company', { clock: () => NOW, timing: SETTLED_TIMING });
    const deps = lambdaDepsFor(env, parsePolicies(ALARM_POLICY, 'test.yml'));
    const result = await runAlarmTrigger(highCpuAlarm('OK'), undefined, deps, memoryPersistence());
    expect(result.status).not.toBe('acted');
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});
