/**
 * change-instance-type as resumable steps (issue 25 point 4): each step recorded through
 * ApplyEnv.record before the next, long waits handed back as resumeAt, a re-run finishing from the
 * recorded steps, and the compensation when the new type does not start. A fake ApplyEnv stands in
 * for the engine; the sandbox answers with AWS's error codes and AWS-like timing.
 */
import { EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { AppliedChange, ApplyEnv, Finding, Plan, RegionContext, StepProgress } from '../../../../lib/engine/types.ts';
import { changeInstanceType, ResizeRolledBackError, type ResizeParams } from '../../../../lib/resources/ec2-instance/change-type.ts';
import { awsError, SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { ec2InstancesState } from '../../../../lib/sandbox/services/ec2-instances.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { ProtectedResourceError } from '../../../../lib/util/errors.ts';
import { VirtualClock } from '../../../../lib/util/clock.ts';
import { testEnv, TEST_START } from '../../../helpers.ts';

const OVERSIZED = 'i-0a11e00000000e001';

const awsLike = () => testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
type Env = ReturnType<typeof awsLike>;
const instancesOf = (env: Env) => ec2InstancesState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').instances;
const writes = (env: Env) => env.sandbox.successfulWrites().map((w) => `${w.operation} ${JSON.stringify(w.input)}`);
const ctxOf = (env: Env): RegionContext => ({
  account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: env.clients.withWrites(true), now: env.sandbox.now(), clock: env.sandbox.clock, prices: DEFAULT_PRICES, log: () => {},
});
const planFor = (env: Env, instanceId = OVERSIZED, fromType = 'm5.2xlarge', toType = 'm6i.large'): Plan<ResizeParams> => ({
  action: 'change-instance-type', summary: '', undo: '', hash: 'h',
  params: { instanceId, fromType, toType, architecture: 'x86_64', state: 'running', launchTime: instancesOf(env)[instanceId].launchTime, stopTimeoutMinutes: 10, startTimeoutMinutes: 10 },
});

/** A fake engine side: the recorded steps (with the number of successful writes when each was recorded) and a budget. */
function fakeEnv(env: Env, recorded: StepProgress[], remainingMs: number) {
  const writesAt: Record<string, number> = {};
  const applyEnv: ApplyEnv = {
    progress: [...recorded],
    record: async (step) => {
      writesAt[step.step] = env.sandbox.successfulWrites().length;
      recorded.push(step);
    },
    remainingMs: () => remainingMs,
  };
  return { applyEnv, writesAt };
}

/** Invokes apply until it no longer asks to resume, moving the clock to each resumeAt; at most `max` invocations. */
async function runToEnd(env: Env, plan: Plan<ResizeParams>, recorded: StepProgress[], remainingMs: number, max = 40) {
  const invocations: AppliedChange[] = [];
  const writesAt: Record<string, number> = {};
  for (let n = 0; n < max; n++) {
    const fake = fakeEnv(env, recorded, remainingMs);
    const applied = await changeInstanceType.apply(ctxOf(env), plan, {} as Finding, fake.applyEnv);
    Object.assign(writesAt, fake.writesAt);
    invocations.push(applied);
    if (!applied.resumeAt) return { invocations, writesAt, last: applied };
    const wait = Date.parse(applied.resumeAt) - env.sandbox.now().getTime();
    if (wait > 0) await env.sandbox.clock.sleep(wait);
  }
  throw new Error(`not finished after ${max} invocations`);
}

describe('change-instance-type as recorded, resumable steps', () => {
  it('records each step before the next write, hands the long waits back as resumeAt, and finishes from the recorded steps without repeating a write', async () => {
    // Prepare: 35 s left per invocation: enough to start a step, not to sit through a wait.
    const env = awsLike();
    const recorded: StepProgress[] = [];
    // Act
    const { invocations, writesAt, last } = await runToEnd(env, planFor(env), recorded, 35_000);
    // Assess
    expect(invocations.length).toBeGreaterThan(2);
    expect(invocations[0]).toMatchObject({ after: { step: 'stop-requested', waitingFor: 'stopped', state: 'stopping' } });
    expect(recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'type-modified', 'start-requested', 'running']);
    // Each step was recorded right after its own write and before the next one.
    expect(writesAt).toEqual({ 'stop-requested': 1, stopped: 1, 'type-modified': 2, 'start-requested': 3, running: 3 });
    expect(writes(env)).toEqual([
      `StopInstances {"InstanceIds":["${OVERSIZED}"]}`,
      `ModifyInstanceAttribute {"InstanceId":"${OVERSIZED}","InstanceType":{"Value":"m6i.large"}}`,
      `StartInstances {"InstanceIds":["${OVERSIZED}"]}`,
    ]);
    expect(last.resumeAt).toBeUndefined();
    expect(last.after).toEqual({ instanceType: 'm6i.large', state: 'running', statusChecks: 'ok' });
    expect(instancesOf(env)[OVERSIZED]).toMatchObject({ instanceType: 'm6i.large', state: 'running' });
  });

  it('starts the instance when a re-run finds it stopped on the new type by a recorded stop and modify', async () => {
    // Prepare: an earlier invocation stopped and modified it, then ended (a timeout) before the start.
    const env = awsLike();
    const plan = planFor(env);
    const instance = instancesOf(env)[OVERSIZED];
    instance.state = 'stopped';
    instance.instanceType = 'm6i.large';
    const at = env.sandbox.now().toISOString();
    const recorded: StepProgress[] = [
      { step: 'stop-requested', at, state: { launchTime: plan.params.launchTime } },
      { step: 'stopped', at },
      { step: 'type-modified', at, state: { wasRunning: true } },
    ];
    // Act
    const { last } = await runToEnd(env, plan, recorded, 10 * 60_000);
    // Assess
    expect(writes(env)).toEqual([`StartInstances {"InstanceIds":["${OVERSIZED}"]}`]);
    expect(recorded.slice(3).map((s) => s.step)).toEqual(['start-requested', 'running']);
    expect(last.after).toEqual({ instanceType: 'm6i.large', state: 'running', statusChecks: 'ok' });
    expect(instance.state).toBe('running');
  });

  it('refuses, without a write, an instance found stopped on the new type when no recorded step shows trimtab stopped it', async () => {
    const env = awsLike();
    const plan = planFor(env);
    const instance = instancesOf(env)[OVERSIZED];
    instance.state = 'stopped';
    instance.instanceType = 'm6i.large';
    await expect(changeInstanceType.apply(ctxOf(env), plan, {} as Finding, fakeEnv(env, [], 600_000).applyEnv)).rejects.toThrow(
      `${OVERSIZED} already runs m6i.large but is stopped, and no recorded step shows trimtab stopped it: whoever did leaves it so, and trimtab does not start it`,
    );
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});

describe('change-instance-type compensation when the new type does not start', () => {
  it('changes an instance back to its old type and starts it when StartInstances answers InsufficientInstanceCapacity, recording each step', async () => {
    // Prepare
    const env = awsLike();
    instancesOf(env)[OVERSIZED].noCapacityFor = { types: ['m6i.large'] };
    const recorded: StepProgress[] = [];
    // Act
    const outcome = runToEnd(env, planFor(env), recorded, 10 * 60_000);
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ResizeRolledBackError);
    await expect(outcome).rejects.toThrow(/AWS refused m6i.large \(InsufficientInstanceCapacity: We currently do not have sufficient m6i.large capacity/);
    expect(recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'type-modified', 'start-failed', 'type-reverted', 'restart-requested', 'rolled-back']);
    expect(writes(env)).toEqual([
      `StopInstances {"InstanceIds":["${OVERSIZED}"]}`,
      `ModifyInstanceAttribute {"InstanceId":"${OVERSIZED}","InstanceType":{"Value":"m6i.large"}}`,
      `ModifyInstanceAttribute {"InstanceId":"${OVERSIZED}","InstanceType":{"Value":"m5.2xlarge"}}`,
      `StartInstances {"InstanceIds":["${OVERSIZED}"]}`,
    ]);
    expect(instancesOf(env)[OVERSIZED]).toMatchObject({ instanceType: 'm5.2xlarge', state: 'running' });
  });

  it('answers an InsufficientInstanceCapacity start with HTTP 500, as EC2 does (a server error the SDK retries)', async () => {
    // Prepare: the instance stopped on a type the zone has no capacity for.
    const env = awsLike();
    const instance = instancesOf(env)[OVERSIZED];
    instance.state = 'stopped';
    instance.noCapacityFor = { types: ['m5.2xlarge'] };
    const ec2 = ctxOf(env).clients.get(EC2Client, 'us-east-1');
    // Act
    const error = await ec2.send(new StartInstancesCommand({ InstanceIds: [OVERSIZED] })).catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ name: 'InsufficientInstanceCapacity', $metadata: { httpStatusCode: 500 } });
    expect(instance.state).toBe('stopped');
  });

  it('changes an instance back to its old type and starts it when the start on the larger type answers VcpuLimitExceeded', async () => {
    // Prepare: an upsize past the account's On-Demand vCPU quota.
    const env = awsLike();
    instancesOf(env)[OVERSIZED].vcpuLimitFor = ['m6i.large'];
    const recorded: StepProgress[] = [];
    // Act
    const outcome = runToEnd(env, planFor(env), recorded, 10 * 60_000);
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ResizeRolledBackError);
    await expect(outcome).rejects.toThrow(/AWS refused m6i.large \(VcpuLimitExceeded: You have requested more vCPU capacity/);
    expect(recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'type-modified', 'start-failed', 'type-reverted', 'restart-requested', 'rolled-back']);
    expect(instancesOf(env)[OVERSIZED]).toMatchObject({ instanceType: 'm5.2xlarge', state: 'running' });
  });

  it('changes an instance back to its old type and starts it when the start answers Unsupported for a type its Availability Zone does not offer', async () => {
    // Prepare: AWS's answer for a type the zone does not offer (the sandbox has no per-zone offerings).
    const env = awsLike();
    const instance = instancesOf(env)[OVERSIZED];
    env.sandbox.faults.failWhen = ({ operation }) =>
      operation === 'StartInstances' && instance.instanceType === 'm6i.large' ? awsError('Unsupported', 'Your requested instance type (m6i.large) is not supported in your requested Availability Zone (us-east-1e).') : undefined;
    const recorded: StepProgress[] = [];
    // Act
    const outcome = runToEnd(env, planFor(env), recorded, 10 * 60_000);
    // Assess
    await expect(outcome).rejects.toThrow(`${OVERSIZED}: AWS refused m6i.large (Unsupported: Your requested instance type (m6i.large) is not supported in your requested Availability Zone (us-east-1e).); trimtab changed it back to m5.2xlarge and started it again: it runs as before, after a few minutes down.`);
    expect(recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'type-modified', 'start-failed', 'type-reverted', 'restart-requested', 'rolled-back']);
    expect(instance).toMatchObject({ instanceType: 'm5.2xlarge', state: 'running' });
  });

  it('compensates without an ApplyEnv too: a start accepted and then abandoned (StateReason Server.InsufficientInstanceCapacity) ends running on the old type', async () => {
    // Prepare: an old caller (no env); the start goes pending, then back to stopped.
    const env = awsLike();
    instancesOf(env)[OVERSIZED].noCapacityFor = { types: ['m6i.large'], at: 'pending' };
    // Act
    const outcome = changeInstanceType.apply(ctxOf(env), planFor(env), {} as Finding);
    // Assess
    await expect(outcome).rejects.toThrow(`${OVERSIZED}: AWS refused m6i.large (Server.InsufficientInstanceCapacity: the start on m6i.large ended stopped (StateReason Server.InsufficientInstanceCapacity)); trimtab changed it back to m5.2xlarge and started it again: it runs as before, after a few minutes down.`);
    expect(env.sandbox.successfulWrites().map((w) => w.operation)).toEqual(['StopInstances', 'ModifyInstanceAttribute', 'StartInstances', 'ModifyInstanceAttribute', 'StartInstances']);
    expect(instancesOf(env)[OVERSIZED]).toMatchObject({ instanceType: 'm5.2xlarge', state: 'running' });
  });

  it('recognises InvalidInstanceAttributeValue from ModifyInstanceAttribute and starts the instance again on its old type', async () => {
    // Prepare: AWS's documented answer for a type it does not accept.
    const env = awsLike();
    env.sandbox.faults.failWhen = ({ operation, input }) =>
      operation === 'ModifyInstanceAttribute' && input.InstanceType?.Value === 'm6i.large' ? awsError('InvalidInstanceAttributeValue', 'Value (m6i.large) for parameter instanceType is invalid.') : undefined;
    const recorded: StepProgress[] = [];
    // Act
    const outcome = runToEnd(env, planFor(env), recorded, 10 * 60_000);
    // Assess
    await expect(outcome).rejects.toThrow(`${OVERSIZED}: AWS refused m6i.large (InvalidInstanceAttributeValue: Value (m6i.large) for parameter instanceType is invalid.); trimtab started it again as m5.2xlarge (its type was not changed): it runs as before, after a few minutes down.`);
    expect(recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'modify-refused', 'restart-requested', 'rolled-back']);
    expect(env.sandbox.successfulWrites().map((w) => w.operation)).toEqual(['StopInstances', 'StartInstances']);
    expect(instancesOf(env)[OVERSIZED]).toMatchObject({ instanceType: 'm5.2xlarge', state: 'running' });
  });
});

describe('change-instance-type reads placement, capacity reservations and hibernation before the first write', () => {
  /** Arranges the instance, applies the plan, and expects a ProtectedResourceError naming why, with no write. */
  async function refusedWith(arrange: (i: ReturnType<typeof instancesOf>[string]) => void, message: string) {
    const env = awsLike();
    arrange(instancesOf(env)[OVERSIZED]);
    const outcome = changeInstanceType.apply(ctxOf(env), planFor(env), {} as Finding);
    await expect(outcome).rejects.toBeInstanceOf(ProtectedResourceError);
    await expect(outcome).rejects.toThrow(message);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  }

  it('refuses an instance on a Dedicated Host, naming it, and writes nothing', async () => {
    await refusedWith((i) => { i.hostId = 'h-0123456789abcdef0'; i.hostInstanceTypes = ['m5.2xlarge']; }, 'it runs on Dedicated Host h-0123456789abcdef0');
  });

  it('refuses an instance on a targeted capacity reservation, naming it, and writes nothing', async () => {
    await refusedWith((i) => { i.capacityReservation = { preference: 'open', targetId: 'cr-0123456789abcdef0', targetType: 'm5.2xlarge' }; }, 'it targets capacity reservation cr-0123456789abcdef0');
  });

  it('refuses an instance on capacity-reservations-only, naming it, and writes nothing', async () => {
    await refusedWith((i) => { i.capacityReservation = { preference: 'capacity-reservations-only' }; }, 'its capacity reservation preference is capacity-reservations-only');
  });

  it('refuses an instance on an open reservation it runs in, naming it, and writes nothing', async () => {
    await refusedWith((i) => { i.capacityReservation = { preference: 'open', runningIn: 'cr-0fedcba9876543210' }; }, 'it runs in capacity reservation cr-0fedcba9876543210, billed whether used or not');
  });

  it('refuses a hibernation-enabled instance when the new type does not support hibernation, and accepts one that does', async () => {
    // Prepare: the sandbox catalogue follows the User Guide's hibernation families: m6i yes, m6g no.
    const env = awsLike();
    const instances = instancesOf(env);
    instances['i-0a11e00000000e006'].hibernation = true;
    instances[OVERSIZED].hibernation = true;
    // Act / Assess
    await expect(changeInstanceType.apply(ctxOf(env), planFor(env, 'i-0a11e00000000e006', 'm6g.2xlarge', 'm6g.large'), {} as Finding)).rejects.toThrow(
      'i-0a11e00000000e006: it is enabled for hibernation and m6g.large does not support hibernation (DescribeInstanceTypes HibernationSupported)',
    );
    expect(env.sandbox.successfulWrites()).toEqual([]);
    const applied = await changeInstanceType.apply(ctxOf(env), planFor(env), {} as Finding);
    expect(applied.after).toEqual({ instanceType: 'm6i.large', state: 'running', statusChecks: 'ok' });
  });
});
