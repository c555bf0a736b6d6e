import { describe, expect, it } from 'vitest';
import { undoAction } from '../../lib/engine/undo.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../lib/sandbox/services/autoscaling.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { testEnv } from '../helpers.ts';

const START = new Date('2026-11-01T00:00:00Z');

const POLICIES = `
policies:
  - id: asg-max
    resource: asg
    detector: { type: under-provisioned-at-max }
    action: { type: raise-max-size }
    mode: auto
  - id: ebs-raise
    resource: ebs-volume
    detector: { type: volume-at-ceiling }
    action: { type: raise-volume-performance }
    mode: auto
  - id: ebs-lower
    resource: ebs-volume
    detector: { type: iops-over-provisioned }
    action: { type: lower-volume-iops }
    mode: auto
`;
const only = (id: string) => `policies:\n  - id: ${id}${POLICIES.split(`  - id: ${id}`)[1].split('  - id:')[0]}`;

const asgState = (env: ReturnType<typeof testEnv>) => autoscalingState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
const volumeNamed = (env: ReturnType<typeof testEnv>, name: string) =>
  Object.values(ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes).find((v) => v.tags?.Name === name)!;

describe('under-provisioned capacity on the small-company sandbox', () => {
  it('finds the pinned group and the volumes at and far below their ceilings, and leaves the traps alone', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const name = (id: string) => Object.values(ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes).find((v) => v.id === id)?.tags?.Name ?? id;

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess
    const byKey = Object.fromEntries(result.findings.map((f) => [`${f.policy}:${name(f.resource.id)}`, f]));
    expect(Object.keys(byKey).sort()).toEqual(['asg-max:acme-checkout', 'ebs-lower:ledger-db data', 'ebs-raise:media-transcode scratch', 'ebs-raise:orders-db data']);
    const checkout = byKey['asg-max:acme-checkout'];
    expect(checkout).toMatchObject({ status: 'actionable', outcome: 'would-apply', benefit: ['performance'], plan: { params: { fromMaxSize: 6, toMaxSize: 8 } } });
    expect(checkout.risk!.summary).toMatch(/^at MaxSize 6 with CPU above the 50 % target for \d+ % of hours$/);
    expect(checkout.savings.monthlyUsd).toBeLessThan(0);
    expect(byKey['ebs-raise:orders-db data']).toMatchObject({ benefit: ['performance'], plan: { params: { from: { iops: 3000, throughput: 125 }, to: { iops: 4500, throughput: 125 } } } });
    expect(byKey['ebs-raise:orders-db data'].risk!.summary).toContain('IOPS at ≥90 % of the 3,000 provisioned');
    expect(byKey['ebs-raise:media-transcode scratch']).toMatchObject({ plan: { params: { to: { iops: 3000, throughput: 188 } } } });
    const ledger = byKey['ebs-lower:ledger-db data'];
    expect(ledger).toMatchObject({ benefit: ['cost'], plan: { params: { from: { iops: 16_000 } } } });
    expect(ledger.savings.monthlyUsd).toBeGreaterThan(800);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('reads the I/O metrics of a page of volumes in one GetMetricData call', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'], pageCap: undefined });
    await env.run(only('ebs-raise'), { forceDryRun: true });
    expect(env.sandbox.callsByOperation()['cloudwatch:GetMetricData']).toBe(1);
  });

  it('recommends approval, and in approval mode waits for a person', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const { remediators } = await import('../../lib/resources/index.ts');
    expect(remediators('asg').get('raise-max-size').defaultMode).toBe('approval');
    const result = await env.run(only('asg-max').replace('mode: auto', 'mode: approval\n    approval: { approvers: [oncall@example.com] }'));
    expect(result.findings.map((f) => [f.resource.id, f.outcome])).toEqual([['acme-checkout', 'awaiting-approval']]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('raises MaxSize through UpdateAutoScalingGroup only, verifies, and undo restores it', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });

    // Act
    const result = await env.run(only('asg-max'));

    // Assess
    const action = result.actions.find((a) => a.resource.id === 'acme-checkout')!;
    expect(action.status).toBe('verified');
    expect(asgState(env).groups['acme-checkout']).toMatchObject({ minSize: 2, maxSize: 8, desiredCapacity: 6 });
    expect(env.sandbox.successfulWrites().map((w) => [w.operation, w.input])).toEqual([['UpdateAutoScalingGroup', { AutoScalingGroupName: 'acme-checkout', MaxSize: 8 }]]);
    expect(action.estimatedMonthlySavingsUsd).toBeLessThan(0);

    // Act: undo
    await undoAction(action.id, env.deps);

    // Assess
    expect(asgState(env).groups['acme-checkout']).toMatchObject({ maxSize: 6 });
  });

  it('refuses to undo a MaxSize someone changed since', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const result = await env.run(only('asg-max'));
    const action = result.actions[0];
    asgState(env).groups['acme-checkout'].maxSize = 12;
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/MaxSize of 'acme-checkout' is 12 now, not 8/);
    expect(asgState(env).groups['acme-checkout'].maxSize).toBe(12);
  });

  it('raises IOPS with ModifyVolume, and undo waits until the modification is completed', async () => {
    // Prepare: AWS-like timing, so the modification is `modifying` then `optimizing` for minutes
    const clock = new VirtualClock(START);
    const env = testEnv('small-company', { clock, timing: { scale: 1, consistencyMs: 2000 }, regions: ['us-east-1'] });

    // Act
    const result = await env.run(only('ebs-raise'));

    // Assess
    const orders = result.actions.find((a) => (a.params as { to: { iops: number } }).to.iops === 4500)!;
    expect(orders.status).toBe('verified');
    expect(volumeNamed(env, 'orders-db data')).toMatchObject({ volumeType: 'gp3', iops: 4500, throughput: 125 });
    expect(env.sandbox.successfulWrites().every((w) => w.operation === 'ModifyVolume')).toBe(true);

    // Act + Assess: undo while optimizing is refused, with nothing changed
    await expect(undoAction(orders.id, env.deps)).rejects.toThrow(/still (modifying|optimizing)/);
    expect(volumeNamed(env, 'orders-db data').iops).toBe(4500);

    // Act: two hours later the modification is completed (optimizing 500 GiB takes about an hour)
    await clock.sleep(2 * 3_600_000);
    await undoAction(orders.id, env.deps);

    // Assess
    expect(volumeNamed(env, 'orders-db data')).toMatchObject({ iops: 3000, throughput: 125 });
  });

  it('lowers over-provisioned io1 IOPS and prices the saving', async () => {
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const result = await env.run(only('ebs-lower'));
    expect(result.actions.map((a) => a.status)).toEqual(['verified']);
    const to = (result.actions[0].params as { to: { iops: number } }).to.iops;
    expect(volumeNamed(env, 'ledger-db data')).toMatchObject({ volumeType: 'io1', iops: to });
    expect(to).toBeLessThan(3000);
    expect(to).toBeGreaterThanOrEqual(1500);
  });

  it('records a rate-limited volume as protected and changes nothing', async () => {
    // Prepare: 'orders-db data' already modified four times in the last 24 hours
    const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'] });
    const id = volumeNamed(env, 'orders-db data').id;
    const hoursAgo = (h: number) => new Date(START.getTime() - h * 3_600_000).toISOString();
    const { ec2VolumeState } = await import('../../lib/sandbox/services/ec2-volumes.ts');
    ec2VolumeState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').modifications[id] = {
      volumeId: id, state: 'completed', startTime: hoursAgo(3), recentStarts: [hoursAgo(20), hoursAgo(12), hoursAgo(6)],
      original: { volumeType: 'gp3', size: 500, iops: 3000, throughput: 125 }, target: { volumeType: 'gp3', size: 500, iops: 3000, throughput: 125 },
    };

    // Act
    const result = await env.run(only('ebs-raise'));

    // Assess
    const orders = result.findings.find((f) => f.resource.id === id)!;
    expect(orders).toMatchObject({ status: 'protected', outcome: 'skipped', outcomeDetail: expect.stringContaining('VolumeModificationRateExceeded') });
    expect(volumeNamed(env, 'orders-db data').iops).toBe(3000);
  });
});
