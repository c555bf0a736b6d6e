import { describe, expect, it } from 'vitest';
import { undoAction } from '../../lib/engine/undo.ts';
import { groupTargets } from '../../lib/resources/asg/index.ts';
import { seedAutoScalingGroups } from '../../lib/resources/asg/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../lib/sandbox/services/autoscaling.ts';
import { emptySandbox, envFor, testEnv } from '../helpers.ts';

const START = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;

/** A clock the test can move. */
function movableClock() {
  let now = START.getTime();
  return { clock: () => new Date(now), advanceDays: (days: number) => (now += days * DAY) };
}

const POLICIES = `
policies:
  - id: raise
    resource: asg
    detector: { type: over-provisioned-target-tracking }
    action: { type: raise-target }
    mode: auto
  - id: min
    resource: asg
    detector: { type: min-size-unneeded }
    action: { type: lower-min-size }
    mode: auto
  - id: flap
    resource: asg
    detector: { type: flapping }
    action: { type: lengthen-warmup }
    mode: auto
  - id: step
    resource: asg
    detector: { type: step-scaling-policies }
`;

const asgState = (env: ReturnType<typeof testEnv>) => autoscalingState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
const targetOf = (env: ReturnType<typeof testEnv>, group: string) =>
  asgState(env).policies.find((p) => p.AutoScalingGroupName === group)!.TargetTrackingConfiguration.TargetValue;

describe('asg on the small-company sandbox', () => {
  it('finds each shape in a scan, with dollars, and writes nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess
    const byKey = Object.fromEntries(result.findings.map((f) => [`${f.policy}:${f.resource.id}`, f]));
    expect(byKey['raise:acme-api']).toMatchObject({ status: 'actionable', outcome: 'would-apply', plan: { params: { fromTarget: 30, toTarget: 40 } } });
    expect(byKey['raise:acme-api'].savings.monthlyUsd).toBeGreaterThan(100);
    expect(byKey['min:acme-web']).toMatchObject({ status: 'actionable', plan: { params: { fromMinSize: 6, toMinSize: 3 } }, savings: { monthlyUsd: 210.24 } });
    expect(byKey['raise:acme-web']).toMatchObject({ status: 'report-only', outcomeDetail: expect.stringContaining('lowering MinSize is the lever') });
    expect(byKey['raise:acme-reports']).toMatchObject({ status: 'report-only', outcomeDetail: expect.stringContaining('Already at the bound') });
    expect(byKey['raise:acme-new-worker']).toMatchObject({ status: 'protected', outcomeDetail: expect.stringContaining('Too little data') });
    expect(byKey['raise:acme-payments']).toMatchObject({ status: 'protected', outcomeDetail: 'tagged trimtab:skip' });
    expect(byKey['flap:acme-queue']).toMatchObject({ status: 'actionable', evidence: { pairsPerDay: 8 } });
    expect(byKey['step:acme-legacy']).toMatchObject({ status: 'report-only' });
    expect(byKey['raise:acme-batch']).toBeUndefined();
    expect(byKey['min:acme-batch']).toBeUndefined();
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('reads policies and activities once per region and all metrics in one GetMetricData call', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'], pageCap: undefined }); // counts calls at AWS's full page size
    await env.run(POLICIES, { forceDryRun: true });
    const calls = env.sandbox.callsByOperation();
    expect(calls['autoscaling:DescribeAutoScalingGroups']).toBe(1);
    expect(calls['autoscaling:DescribePolicies']).toBe(1);
    expect(calls['autoscaling:DescribeScalingActivities']).toBe(3); // 224 activities, 100 a page
    expect(calls['cloudwatch:GetMetricData']).toBe(1);
  });

  it('applies, verifies and undoes a target raise through PutScalingPolicy only', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const before = structuredClone(asgState(env).policies.find((p) => p.AutoScalingGroupName === 'acme-api'));

    // Act
    const result = await env.run(POLICIES.split('  - id: min')[0]);

    // Assess
    const action = result.actions.find((a) => a.resource.id === 'acme-api')!;
    expect(action.status).toBe('verified');
    expect(targetOf(env, 'acme-api')).toBe(40);
    expect(env.sandbox.successfulWrites().map((w) => w.operation)).toEqual(['PutScalingPolicy']);
    expect((action.before as { policies: unknown[]; group: { minSize: number } }).group.minSize).toBe(2);

    // Act: undo
    await undoAction(action.id, env.deps);

    // Assess
    const restored = asgState(env).policies.find((p) => p.AutoScalingGroupName === 'acme-api')!;
    expect(restored.TargetTrackingConfiguration).toEqual(before!.TargetTrackingConfiguration);
    expect(restored.EstimatedInstanceWarmup).toBe(300);
  });

  it('refuses to undo when someone changed the policy since', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const result = await env.run(POLICIES.split('  - id: min')[0]);
    const action = result.actions.find((a) => a.resource.id === 'acme-api')!;
    asgState(env).policies.find((p) => p.AutoScalingGroupName === 'acme-api')!.TargetTrackingConfiguration.TargetValue = 55;

    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/changed after trimtab's action/);
    expect(targetOf(env, 'acme-api')).toBe(55);
  });

  it('lowers MinSize and restores it on undo', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const result = await env.run(`policies:\n${POLICIES.split('policies:\n')[1].split('  - id: flap')[0].split('  - id: min')[1].replace(/^/, '  - id: min')}`);
    const action = result.actions.find((a) => a.resource.id === 'acme-web')!;
    expect(action.status).toBe('verified');
    expect(asgState(env).groups['acme-web'].minSize).toBe(3);

    await undoAction(action.id, env.deps);
    expect(asgState(env).groups['acme-web']).toMatchObject({ minSize: 6, desiredCapacity: 6 });
  });

  it('lengthens the warm-up of the flapping group', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const result = await env.run(`policies:\n  - id: flap${POLICIES.split('  - id: flap')[1].split('  - id: step')[0]}`);
    expect(result.actions.map((a) => [a.resource.id, a.status])).toEqual([['acme-queue', 'verified']]);
    expect(asgState(env).policies.find((p) => p.AutoScalingGroupName === 'acme-queue')!.EstimatedInstanceWarmup).toBe(300);
  });

  it('will not ratchet: a group is tuned again only after the 7-day tuning cooldown, whatever the policy limits say', async () => {
    // Prepare: a policy that keeps flagging (lowTarget 80) with a 1-hour policy cooldown
    const { clock, advanceDays } = movableClock();
    const env = testEnv('small-company', { clock, regions: ['us-east-1'] });
    const yaml = `
policies:
  - id: raise
    resource: asg
    detector: { type: over-provisioned-target-tracking, lowTarget: 80 }
    action: { type: raise-target }
    mode: auto
    scope: { includeNames: [acme-api] }
    limits: { cooldownHours: 1 }
`;
    // Act
    await env.run(yaml);
    advanceDays(2);
    const second = await env.run(yaml);
    advanceDays(6);
    const third = await env.run(yaml);

    // Assess
    expect(second.findings[0]).toMatchObject({ outcome: 'skipped', outcomeDetail: expect.stringMatching(/^cooldown: .* less than 168 h ago/) });
    expect(third.actions[0].status).toBe('verified');
    expect(targetOf(env, 'acme-api')).toBe(50);
  });

  it('runs only the named group for an alarm-triggered run', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'], pageCap: undefined }); // counts calls at AWS's full page size
    const result = await env.run(POLICIES, { forceDryRun: true, targets: groupTargets('acme-queue', 'us-east-1') });
    expect([...new Set(result.findings.map((f) => f.resource.id))]).toEqual(['acme-queue']);
    const calls = env.sandbox.callsByOperation();
    expect(calls['autoscaling:DescribeScalingActivities']).toBe(3);
    expect(calls['autoscaling:DescribePolicies']).toBe(1);
    expect(() => groupTargets('arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x')).toThrow(/not an Auto Scaling group name/);
  });
});

describe('asg at benchmark scale', () => {
  it('covers 500 groups with 4 GetMetricData calls (2 batches of 500 queries, 2 pages each) and paginated list calls', async () => {
    // Prepare
    const sandbox = emptySandbox({ clock: () => START, pageCap: undefined }) // counts calls at AWS's full page size;
    seedAutoScalingGroups(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { groups: 500 });
    const env = envFor(sandbox, ['us-east-1']);

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess
    const calls = sandbox.callsByOperation();
    // 2 batches of 500 queries; each batch's 14 days of hourly datapoints exceed the 100,800 one
    // answer holds, so AWS (and the sandbox) answers it in 2 pages (NextToken).
    expect(calls['cloudwatch:GetMetricData']).toBe(4);
    expect(calls['autoscaling:DescribeAutoScalingGroups']).toBe(5);
    expect(calls['autoscaling:DescribePolicies']).toBe(5);
    expect(calls['autoscaling:DescribeLaunchConfigurations']).toBeUndefined();
    const count = (policy: string, status: string) => result.findings.filter((f) => f.policy === policy && f.status === status).length;
    expect(count('flap', 'actionable')).toBe(83);
    expect(count('raise', 'protected')).toBe(83);
    expect(count('step', 'report-only')).toBe(83);
  }, 120_000); // 336,000 datapoints go through the SDK's JSON parser
});
