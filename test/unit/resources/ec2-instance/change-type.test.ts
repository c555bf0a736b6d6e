import { EC2Client, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { Finding, Plan, RegionContext } from '../../../../lib/engine/types.ts';
import { undoAction } from '../../../../lib/engine/undo.ts';
import { applyOne } from '../../../../lib/engine/run.ts';
import { changeInstanceType, type ResizeParams } from '../../../../lib/resources/ec2-instance/change-type.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { ProtectedResourceError } from '../../../../lib/util/errors.ts';
import { ec2InstancesState } from '../../../../lib/sandbox/services/ec2-instances.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { VirtualClock } from '../../../../lib/util/clock.ts';
import { policiesFrom, testEnv, TEST_START } from '../../../helpers.ts';

const OVERSIZED = 'i-0a11e00000000e001';
const ARM = 'i-0a11e00000000e006';

const policy = (mode = 'auto', action = '{ type: change-instance-type }') => `
version: 1
policies:
  - id: rightsize
    resource: ec2-instance
    detector: { type: oversized-instance }
    action: ${action}
    mode: ${mode}
    limits: { maxActionsPerRun: 100, cooldownHours: 0 }
    approval: { approvers: [ops@example.com] }
`;

/** AWS-like timing: stopping 60 s, pending 30 s, status checks initializing 2 min, stale reads for 2 s. */
const awsLike = () => testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
const instancesOf = (env: ReturnType<typeof testEnv>) => ec2InstancesState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').instances;
const writes = (env: ReturnType<typeof testEnv>) => env.sandbox.successfulWrites().map((w) => `${w.operation} ${JSON.stringify(w.input)}`);

describe('change-instance-type on the small-company sandbox', () => {
  it('stops, modifies, starts and waits for status checks, then verifies; only the oversized instances outside the traps change', async () => {
    // Prepare
    const env = awsLike();
    const started = env.sandbox.now().getTime();
    // Act
    const result = await env.run(policiesFrom(policy()));
    // Assess
    const instances = instancesOf(env);
    const byId = new Map(result.actions.map((a) => [a.resource.id, a]));
    expect([...byId.keys()].sort()).toEqual(['i-0a11e0000000000a1', OVERSIZED, ARM, 'i-0a11e00000000e007'].sort());
    for (const a of result.actions) expect(a.status).toBe('verified');
    expect(instances[OVERSIZED]).toMatchObject({ instanceType: 'm6i.large', state: 'running' });
    expect(instances[ARM]).toMatchObject({ instanceType: 'm6g.large', state: 'running' });
    expect(instances['i-0a11e00000000e007'].instanceType).toBe('r6i.large');
    expect(byId.get(OVERSIZED)!.verification).toEqual({ ok: true, detail: `${OVERSIZED} runs m6i.large; both status checks ok` });
    expect(byId.get(OVERSIZED)!.estimatedMonthlySavingsUsd).toBe(210.24);
    // The order of the writes for one instance: stop, modify, start.
    const mine = writes(env).filter((w) => w.includes(OVERSIZED));
    expect(mine).toEqual([
      `StopInstances {"InstanceIds":["${OVERSIZED}"]}`,
      `ModifyInstanceAttribute {"InstanceId":"${OVERSIZED}","InstanceType":{"Value":"m6i.large"}}`,
      `StartInstances {"InstanceIds":["${OVERSIZED}"]}`,
    ]);
    // Each resize waited through the virtual clock: 60 s stopping + 30 s pending + 120 s status checks, four times.
    expect(env.sandbox.now().getTime() - started).toBeGreaterThanOrEqual(4 * 210_000);
    // Traps: untouched.
    for (const trap of ['i-0a11e00000000e003', 'i-0a11e00000000e004', 'i-0a11e00000000e005', 'i-0a11e0000000000b2', 'i-0a11e0000000000b6']) {
      expect(writes(env).some((w) => w.includes(trap))).toBe(false);
    }
    const protectedIds = result.findings.filter((f) => f.status === 'protected').map((f) => f.resource.id);
    expect(protectedIds).toEqual(expect.arrayContaining(['i-0a11e00000000e003', 'i-0a11e00000000e004']));
  });

  it('undo changes the type back the same way, and refuses a second time', async () => {
    // Prepare
    const env = awsLike();
    const result = await env.run(policiesFrom(policy()));
    const action = result.actions.find((a) => a.resource.id === OVERSIZED)!;
    // Act
    const undone = await undoAction(action.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    expect(instancesOf(env)[OVERSIZED]).toMatchObject({ instanceType: 'm5.2xlarge', state: 'running' });
    expect(writes(env).filter((w) => w.includes(OVERSIZED)).slice(3)).toEqual([
      `StopInstances {"InstanceIds":["${OVERSIZED}"]}`,
      `ModifyInstanceAttribute {"InstanceId":"${OVERSIZED}","InstanceType":{"Value":"m5.2xlarge"}}`,
      `StartInstances {"InstanceIds":["${OVERSIZED}"]}`,
    ]);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/already undone/);
  });

  it('refuses undo when someone changed the type since', async () => {
    const env = awsLike();
    const result = await env.run(policiesFrom(policy()));
    const action = result.actions.find((a) => a.resource.id === OVERSIZED)!;
    instancesOf(env)[OVERSIZED].instanceType = 'm6i.xlarge';
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(`${OVERSIZED} runs m6i.xlarge, not m6i.large as trimtab left it: someone changed it since, so trimtab leaves it alone.`);
  });

  it('makes no write in dry-run, and approval mode waits for a person', async () => {
    const env = awsLike();
    const scan = await env.run(policiesFrom(policy('approval')), { forceDryRun: true });
    const approval = await env.run(policiesFrom(policy('approval')));
    expect(scan.findings.filter((f) => f.outcome === 'would-apply')).toHaveLength(4);
    expect(approval.summary.awaitingApproval).toBe(4);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('defers every resize outside the maintenance window with the next opening, and writes nothing', async () => {
    // Prepare: TEST_START is Sunday 2026-11-01 00:00 UTC; the window opens Saturdays at 02:00.
    const env = awsLike();
    // Act
    const result = await env.run(policiesFrom(policy('auto', '{ type: change-instance-type, maintenanceWindow: { days: [sat], start: "02:00", hours: 2 } }')));
    // Assess
    const actionable = result.findings.filter((f) => f.status === 'actionable');
    expect(actionable).toHaveLength(4);
    for (const f of actionable) {
      expect(f.outcome).toBe('skipped');
      expect(f.outcomeDetail).toBe('deferred: waiting for the maintenance window 2026-11-07T02:00:00.000Z (sat 02:00 UTC for 2 h)');
    }
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('acts inside the maintenance window', async () => {
    const env = awsLike();
    const result = await env.run(policiesFrom(policy('auto', '{ type: change-instance-type, maintenanceWindow: { days: [sun], start: "00:00", hours: 3 } }')));
    expect(result.actions.map((a) => a.status)).toEqual(['verified', 'verified', 'verified', 'verified']);
  });

  it('rejects a malformed maintenance window naming the field', () => {
    expect(() => policiesFrom(policy('auto', '{ type: change-instance-type, maintenanceWindow: { start: "25:00", hours: 2 } }'))).toThrow(/start must be HH:MM \(UTC\)/);
  });

  it('refuses, right before writing, the approved plans of instances tagged trimtab:skip, moved into an Auto Scaling group or restarted since the scan, and writes nothing', async () => {
    // Prepare: the scan's findings and plans, as an approval stores them; then the instances change.
    const env = awsLike();
    const [rightsize] = policiesFrom(policy('approval'));
    const scan = await env.run([rightsize], { forceDryRun: true });
    const findingOf = (id: string) => scan.findings.find((f) => f.resource.id === id && f.status === 'actionable')!;
    const instances = instancesOf(env);
    instances[OVERSIZED].tags = { ...instances[OVERSIZED].tags, 'aws:autoscaling:groupName': 'acme-late' };
    instances[ARM].tags = { ...instances[ARM].tags, 'trimtab:skip': 'freeze' };
    const restarted = 'i-0a11e00000000e007';
    instances[restarted].launchTime = new Date(env.sandbox.now().getTime() - 3_600_000).toISOString();
    // Act: apply the stored findings directly, as the approval path does (no re-listing).
    const records = [];
    for (const id of [OVERSIZED, ARM, restarted]) records.push(await applyOne(rightsize, findingOf(id), 'ops@example.com', env.deps, 'approval'));
    // Assess
    expect(records.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(records[0].error!.message).toMatch(new RegExp(`^${OVERSIZED}: it belongs to Auto Scaling group acme-late`));
    expect(records[1].error!.message).toBe(`${ARM} is now tagged trimtab:skip`);
    expect(records[2].error!.message).toMatch(new RegExp(`^${restarted} was launched again at .* since the finding \\(planned on LaunchTime .*\\): it is not in the state that was approved`));
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});

describe('the sandbox ModifyInstanceAttribute', () => {
  const modify = (env: ReturnType<typeof testEnv>, id: string, type: string) =>
    env.clients.withWrites(true).get(EC2Client, 'us-east-1').send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: type } }));

  it('answers as EC2 does: IncorrectInstanceState while running, InvalidInstanceAttributeValue for a bad name, InvalidParameterValue for another architecture, InvalidParameterCombination without ENA', async () => {
    const env = awsLike();
    const instances = instancesOf(env);
    await expect(modify(env, OVERSIZED, 'm6i.large')).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    instances[OVERSIZED].state = 'stopped';
    await expect(modify(env, OVERSIZED, 'banana')).rejects.toMatchObject({ name: 'InvalidInstanceAttributeValue', message: 'Value (banana) for parameter instanceType is invalid.' });
    await expect(modify(env, OVERSIZED, 'm6g.large')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    instances[OVERSIZED].enaSupport = false;
    await expect(modify(env, OVERSIZED, 'm6i.large')).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    instances[OVERSIZED].enaSupport = true;
    await modify(env, OVERSIZED, 'm6i.large');
    expect(instances[OVERSIZED].instanceType).toBe('m6i.large');
  });
});

describe('change-instance-type apply re-checks the instance right before writing', () => {
  const ctxOf = (env: ReturnType<typeof testEnv>): RegionContext => ({
    account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: env.clients.withWrites(true), now: env.sandbox.now(), clock: env.sandbox.clock, prices: DEFAULT_PRICES, log: () => {},
  });
  const planFor = (instanceId: string, fromType: string, toType: string): Plan<ResizeParams> => ({
    action: 'change-instance-type', summary: '', undo: '', hash: 'h', params: { instanceId, fromType, toType, architecture: 'x86_64', stopTimeoutMinutes: 10, startTimeoutMinutes: 10 },
  });
  const apply = (env: ReturnType<typeof testEnv>, plan: Plan<ResizeParams>) => changeInstanceType.apply(ctxOf(env), plan, {} as Finding);

  it('refuses an instance that joined an Auto Scaling group, one tagged trimtab:skip, and one whose type changed since the plan', async () => {
    const env = awsLike();
    const instances = instancesOf(env);
    instances[OVERSIZED].tags = { ...instances[OVERSIZED].tags, 'aws:autoscaling:groupName': 'acme-late' };
    instances[ARM].tags = { ...instances[ARM].tags, 'trimtab:skip': 'freeze' };
    await expect(apply(env, planFor(OVERSIZED, 'm5.2xlarge', 'm6i.large'))).rejects.toThrow(/Auto Scaling group acme-late/);
    await expect(apply(env, planFor(ARM, 'm6g.2xlarge', 'm6g.large'))).rejects.toBeInstanceOf(ProtectedResourceError);
    await expect(apply(env, planFor('i-0a11e00000000e007', 'm5.large', 'r6i.large'))).rejects.toThrow('i-0a11e00000000e007 now runs m5.xlarge, not m5.large as planned: someone changed it since, so trimtab leaves it alone');
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('refuses an instance-store type, another architecture, and an ENA type for an instance without EnaSupport', async () => {
    const env = awsLike();
    const instances = instancesOf(env);
    await expect(apply(env, planFor('i-0a11e00000000e004', 'm5d.2xlarge', 'm5.large'))).rejects.toThrow(/instance-store volumes/);
    await expect(apply(env, planFor(OVERSIZED, 'm5.2xlarge', 'm6g.large'))).rejects.toThrow(`${OVERSIZED}: m6g.large supports arm64, and the instance's AMI is x86_64`);
    instances[OVERSIZED].enaSupport = false;
    await expect(apply(env, planFor(OVERSIZED, 'm5.2xlarge', 'm6i.large'))).rejects.toThrow(`${OVERSIZED}: m6i.large requires ENA and ${OVERSIZED} does not have EnaSupport enabled (its AMI needs the ENA driver)`);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('counts an instance that already runs the target type as done, without a write', async () => {
    const env = awsLike();
    instancesOf(env)[OVERSIZED].instanceType = 'm6i.large';
    const applied = await apply(env, planFor(OVERSIZED, 'm5.2xlarge', 'm6i.large'));
    expect(applied.after).toMatchObject({ alreadyDone: 'already m6i.large' });
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('starts the instance again on its old type when AWS refuses the new one after the stop', async () => {
    // Prepare: the pre-checks pass, then the instance loses ENA while it stops (a race): the modify is refused.
    const env = awsLike();
    const instances = instancesOf(env);
    const plan = planFor(OVERSIZED, 'm5.2xlarge', 'm6i.large');
    const original = env.sandbox.clock.sleep.bind(env.sandbox.clock);
    let once = false;
    env.sandbox.clock.sleep = async (ms: number) => {
      if (!once) { once = true; instances[OVERSIZED].enaSupport = false; }
      return original(ms);
    };
    // Act
    await expect(apply(env, plan)).rejects.toThrow(/AWS refused m6i.large \(InvalidParameterCombination/);
    // Assess: stopped, refused, started again as m5.2xlarge.
    expect(env.sandbox.successfulWrites().map((w) => w.operation)).toEqual(['StopInstances', 'StartInstances']);
    expect(instances[OVERSIZED].instanceType).toBe('m5.2xlarge');
  });
});
