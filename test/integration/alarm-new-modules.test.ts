/**
 * The alarm function on the modules of issue 19: a CloudWatch alarm on an instance's CPU or a
 * function's errors runs the policy whose alarm it is on exactly that resource, asks for approval
 * (nothing is written before it), and a repeated delivery asks nothing more.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runAlarmTrigger } from '../../lib/lambda/triggers.ts';
import { parsePolicies } from '../../lib/policy/load.ts';
import { memoryPersistence } from '../../lib/triggers/idempotency.ts';
import { lambdaDepsFor, testEnv, SETTLED_TIMING } from '../helpers.ts';

const NOW = new Date('2026-11-01T00:00:00Z');

/** The recorded alarm sample, renamed and pointed at one resource by its metric dimension. */
function alarmOn(name: string, namespace: string, metricName: string, dimensions: Record<string, string>, state = 'ALARM') {
  const event = JSON.parse(readFileSync('events/alarm-asg-low-cpu-acme-web.json', 'utf8'));
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
  event.detail.alarmName = name;
  const metric = event.detail.configuration.metrics[0].metricStat.metric;
  metric.namespace = namespace;
  metric.name = metricName;
  metric.dimensions = dimensions;
  event.detail.state.value = state;
  return event;
}

const POLICIES = `
policies:
  - id: ec2-undersized-on-high-cpu
    resource: ec2-instance
    detector: { type: undersized-instance }
    action: { type: change-instance-type }
    mode: approval
    approval: { approvers: [ops@example.com] }
    triggers:
      - alarm: { prefix: trimtab-ec2-high-cpu- }
  - id: lambda-undersized-on-errors
    resource: lambda-function
    detector: { type: memory-undersized }
    action: { type: set-memory }
    mode: approval
    approval: { approvers: [ops@example.com] }
    triggers:
      - alarm: { prefix: trimtab-lambda-errors- }
`;

const cases = [
  {
    what: 'an instance whose CPU alarm fires',
    policy: 'ec2-undersized-on-high-cpu',
    resource: 'i-0a11e00000000e002',
    event: () => alarmOn('trimtab-ec2-high-cpu-i-0a11e00000000e002', 'AWS/EC2', 'CPUUtilization', { InstanceId: 'i-0a11e00000000e002' }),
  },
  {
    what: 'a function whose errors alarm fires',
    policy: 'lambda-undersized-on-errors',
    resource: 'report-builder',
    event: () => alarmOn('trimtab-lambda-errors-report-builder', 'AWS/Lambda', 'Errors', { FunctionName: 'report-builder' }),
  },
];

describe('the alarm function on the right-sizing modules', () => {
  for (const c of cases) {
    it(`asks for approval for ${c.what}, on that resource only, once however often the alarm is delivered`, async () => {
      // Prepare
      const env = testEnv('small-company', { clock: () => NOW, timing: SETTLED_TIMING });
      const deps = lambdaDepsFor(env, parsePolicies(POLICIES, 'test.yml'));
      const seen: { policy: string; resource: { id: string }; outcome: string }[] = [];
      const record = deps.engine.onFindings;
      deps.engine.onFindings = async (findings) => {
        seen.push(...findings);
        await record?.(findings);
      };
      const persistence = memoryPersistence();

      // Act
      const result = await runAlarmTrigger(c.event(), undefined, deps, persistence);
      const again = await runAlarmTrigger(c.event(), undefined, deps, persistence);

      // Assess: the policy ran on the alarm's resource, the change waits for a person, nothing was written
      expect(result.outcomes.map((o) => [o.policy, o.ids])).toEqual([[c.policy, [c.resource]]]);
      expect(seen.map((f) => [f.policy, f.resource.id, f.outcome])).toEqual([[c.policy, c.resource, 'awaiting-approval']]);
      expect(again.status).not.toBe('acted');
      expect(seen).toHaveLength(1);
      expect(env.sandbox.successfulWrites().filter((w) => !['dynamodb', 'sfn', 'sesv2', 'eventbridge'].includes(w.service))).toEqual([]);
    });
  }

  it('does nothing when the alarm goes back to OK', async () => {
    const env = testEnv('small-company', { clock: () => NOW, timing: SETTLED_TIMING });
    const deps = lambdaDepsFor(env, parsePolicies(POLICIES, 'test.yml'));
    const ok = alarmOn('trimtab-ec2-high-cpu-i-0a11e00000000e002', 'AWS/EC2', 'CPUUtilization', { InstanceId: 'i-0a11e00000000e002' }, 'OK');
    const result = await runAlarmTrigger(ok, undefined, deps, memoryPersistence());
    expect(result.status).not.toBe('acted');
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});
