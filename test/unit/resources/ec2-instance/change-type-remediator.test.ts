/**
 * change-instance-type (lib/resources/ec2-instance/change-type.ts) against a scripted EC2 (../fake-aws.ts):
 * the re-checks right before the first write (apply) and right before the modify (the `stopped` step,
 * the last moment: the instance is stopped and trimtab is about to write its type), the steps and the
 * compensation, verify and undo. The mutation target of change-type.ts (docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import type { ApplyEnv, Plan, StepProgress } from '../../../../lib/engine/types.ts';
import { changeInstanceType, nextWindowOpening, ResizeRolledBackError, unsupportedTarget, placementMisfit, type ResizeAfter, type ResizeParams } from '../../../../lib/resources/ec2-instance/change-type.ts';
import type { ResizeBefore } from '../../../../lib/resources/ec2-instance/resize-before.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, TEST_START, type Handlers } from '../fake-aws.ts';

const ID = 'i-1';
const LAUNCHED = '2026-10-01T00:00:00.000Z';
const OPTIONS = { stopTimeoutMinutes: 10, startTimeoutMinutes: 10 };

function before(extra: Partial<ResizeBefore> = {}): ResizeBefore {
  return { instanceId: ID, instanceType: 'm5.xlarge', targetType: 'm5.large', architecture: 'x86_64', state: 'running', launchTime: LAUNCHED, ...extra };
}
function plan(b: ResizeBefore = before(), o: Record<string, unknown> = OPTIONS): Plan<ResizeParams> {
  const p = changeInstanceType.plan(findingOf('ec2-instance', ID, b), o as never, planCtx);
  if (p.kind !== 'change') throw new Error('expected a change');
  return { ...(p as object), action: 'change-instance-type', hash: 'h' } as unknown as Plan<ResizeParams>;
}

interface Inst { type: string; state: string; launch: string; tags: Record<string, string>; reason?: string }
/**
 * A scripted instance: StopInstances stops it, ModifyInstanceAttribute sets its type (only while stopped),
 * StartInstances starts it with a new LaunchTime; each answers at once. `hooks` run before each DescribeInstances
 * (by call number) to change it from outside.
 */
function ec2(i: Partial<Inst> = {}, extra: Handlers = {}, hooks: Record<number, (i: Inst) => void> = {}) {
  const inst: Inst = { type: 'm5.xlarge', state: 'running', launch: LAUNCHED, tags: {}, ...i };
  const a = fakeAws({
    DescribeInstances: (_input, n) => {
      hooks[n]?.(inst);
      if (inst.state === 'gone') return { Reservations: [] };
      return { Reservations: [{ Instances: [{ InstanceId: ID, InstanceType: inst.type, State: { Name: inst.state }, LaunchTime: new Date(inst.launch), RootDeviceType: 'ebs', Architecture: 'x86_64', EnaSupport: true, Tags: Object.entries(inst.tags).map(([Key, Value]) => ({ Key, Value })), ...(inst.reason ? { StateReason: { Code: inst.reason } } : {}) }] }] };
    },
    DescribeInstanceTypes: (input) => ({ InstanceTypes: input.InstanceTypes.map((t: string) => ({ InstanceType: t, ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, NetworkInfo: { EnaSupport: 'required' }, EbsInfo: { NvmeSupport: 'required' }, InstanceStorageSupported: false, MemoryInfo: { SizeInMiB: 8192 } })) }),
    StopInstances: () => { inst.state = 'stopped'; return {}; },
    ModifyInstanceAttribute: (input) => {
      if (inst.state !== 'stopped') throw awsError('IncorrectInstanceState');
      inst.type = input.InstanceType.Value;
      return {};
    },
    StartInstances: () => { inst.state = 'running'; inst.launch = '2026-11-01T00:05:00.000Z'; return {}; },
    DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } }] }),
    ...extra,
  });
  return { ...a, inst };
}
const WRITES = ['StopInstances', 'ModifyInstanceAttribute', 'StartInstances'];
function env(progress: StepProgress[] = [], remaining = 600_000): ApplyEnv & { recorded: StepProgress[] } {
  const recorded: StepProgress[] = [];
  return { progress, recorded, record: async (s) => void recorded.push(s), remainingMs: () => remaining };
}
const finding = () => findingOf('ec2-instance', ID, before());

describe('change-instance-type plan', () => {
  it('binds the state and LaunchTime, and says the instance is down for a few minutes', () => {
    const p = plan(before({ publicIpv4: 'elastic' }));
    expect(p.params).toEqual({ instanceId: ID, fromType: 'm5.xlarge', toType: 'm5.large', architecture: 'x86_64', state: 'running', launchTime: LAUNCHED, stopTimeoutMinutes: 10, startTimeoutMinutes: 10 });
    expect(p.summary).toBe('Change i-1 from m5.xlarge to m5.large (saves about $10/month): stop, modify, start; it is down for a few minutes.');
    expect(p.undo).toBe('trimtab undo changes it back to m5.xlarge the same way (stop, modify, start), while it still runs m5.large.');
    expect(p.undoLimits).toBe('What was in memory and on instance-store volumes is lost at each stop (the change and the undo).');
  });

  it('names the window, the placement group and the public address that changes', () => {
    const w = { days: ['sat'], start: '02:00', hours: 2 };
    const p = plan(before({ placementGroup: 'pg-1', publicIpv4: 'ephemeral' }), { ...OPTIONS, maintenanceWindow: w });
    expect(p.params.maintenanceWindow).toEqual(w);
    expect(p.params.placementGroup).toBe('pg-1');
    expect(p.summary).toBe('Change i-1 from m5.xlarge to m5.large (saves about $10/month): stop, modify, start; it is down for a few minutes, inside the window sat 02:00 UTC for 2 h. It is in placement group pg-1: if m5.large cannot start there, trimtab changes it back and starts it as m5.xlarge. Its public IPv4 address changes (no Elastic IP).');
    expect(p.undo).toBe('trimtab undo changes it back to m5.xlarge the same way (stop, modify, start), while it still runs m5.large. The restart gives it another new public IPv4 address.');
    expect(p.undoLimits).toBe('What was in memory and on instance-store volumes is lost at each stop (the change and the undo); the public IPv4 address changes at each restart.');
  });

  it('says "for performance" without a saving, and is a noop without a target or on the target already', () => {
    const f = findingOf('ec2-instance', ID, before(), { savings: { monthlyUsd: 0, basis: [] } });
    expect((changeInstanceType.plan(f, OPTIONS as never, planCtx) as { summary: string }).summary).toContain('to m5.large (for performance): stop');
    expect(changeInstanceType.plan(findingOf('ec2-instance', ID, before({ targetType: '' })), OPTIONS as never, planCtx)).toEqual({ kind: 'noop', reason: 'the finding proposes no target type' });
    expect(changeInstanceType.plan(findingOf('ec2-instance', ID, before({ targetType: 'm5.xlarge' })), OPTIONS as never, planCtx)).toEqual({ kind: 'noop', reason: 'i-1 already runs m5.xlarge' });
  });

  it('leaves out the state and LaunchTime a finding does not carry', () => {
    const p = plan(before({ state: '', launchTime: undefined }));
    expect('state' in p.params || 'launchTime' in p.params || 'placementGroup' in p.params || 'maintenanceWindow' in p.params).toBe(false);
  });
});

describe('change-instance-type apply: the re-checks right before the first write', () => {
  it('refuses an instance tagged trimtab:skip since the finding, and writes nothing', async () => {
    // Prepare: the finding was made untagged; the tag is added before the approval is applied.
    const a = ec2({ tags: { 'trimtab:skip': 'freeze' } });
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding());
    // Assess
    await expect(out).rejects.toThrow(new ProtectedResourceError('i-1 is now tagged trimtab:skip'));
    await expect(out).rejects.toBeInstanceOf(ProtectedResourceError);
    expect(a.ops()).toEqual(['DescribeInstances']);
  });

  it('refuses an instance launched again since the finding', async () => {
    const a = ec2({ launch: '2026-10-31T00:00:00.000Z' });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow(new ProtectedResourceError('i-1 was launched again at 2026-10-31T00:00:00.000Z since the finding (planned on LaunchTime 2026-10-01T00:00:00.000Z): it is not in the state that was approved, so trimtab leaves it alone'));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses an instance in another state than planned, or on another type', async () => {
    const a = ec2({ state: 'stopped' });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow(new ProtectedResourceError('i-1 is stopped, not running as planned: someone changed it since, so trimtab leaves it alone'));
    const b = ec2({ type: 'c5.xlarge' });
    await expect(changeInstanceType.apply(b.ctx, plan(), finding())).rejects.toThrow(new ProtectedResourceError('i-1 now runs c5.xlarge, not m5.xlarge as planned: someone changed it since, so trimtab leaves it alone'));
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('refuses an instance that joined an Auto Scaling group, and one whose type DescribeInstanceTypes does not know', async () => {
    const a = ec2({ tags: { 'aws:autoscaling:groupName': 'late' } });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow(/^i-1: it belongs to Auto Scaling group late/);
    expect(a.calls.find((c) => c.op === 'DescribeInstanceTypes')?.input).toEqual({ InstanceTypes: ['m5.xlarge', 'm5.large'] });
    const b = ec2({}, { DescribeInstanceTypes: () => ({ InstanceTypes: [] }) });
    await expect(changeInstanceType.apply(b.ctx, plan(), finding())).rejects.toThrow('i-1: DescribeInstanceTypes did not describe m5.xlarge');
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('refuses a current type with instance storage, by its size or 1 GB when AWS gives none', async () => {
    const types = (info: Record<string, unknown>) => ({ DescribeInstanceTypes: (input: { InstanceTypes: string[] }) => ({ InstanceTypes: input.InstanceTypes.map((t) => ({ InstanceType: t, ...(t === 'm5.xlarge' ? info : {}) })) }) });
    const a = ec2({}, types({ InstanceStorageSupported: true, InstanceStorageInfo: { TotalSizeInGB: 150 } }));
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow('i-1: m5.xlarge has 150 GB of instance-store volumes');
    const b = ec2({}, types({ InstanceStorageSupported: true }));
    await expect(changeInstanceType.apply(b.ctx, plan(), finding())).rejects.toThrow('i-1: m5.xlarge has 1 GB of instance-store volumes');
  });

  it('refuses a target the instance cannot run', async () => {
    const a = ec2({}, { DescribeInstanceTypes: () => ({ InstanceTypes: [{ InstanceType: 'm5.xlarge' }, { InstanceType: 'm5.large', ProcessorInfo: { SupportedArchitectures: ['arm64'] } }] }) });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow(new ProtectedResourceError("i-1: m5.large supports arm64, and the instance's AMI is x86_64"));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a placement the new type does not fit, passing the target memory and hibernation support', async () => {
    const a = ec2({}, {
      DescribeInstances: () => ({ Reservations: [{ Instances: [{ InstanceId: ID, InstanceType: 'm5.xlarge', State: { Name: 'running' }, LaunchTime: new Date(LAUNCHED), RootDeviceType: 'ebs', Architecture: 'x86_64', EnaSupport: true, HibernationOptions: { Configured: true } }] }] }),
      DescribeInstanceTypes: () => ({ InstanceTypes: [{ InstanceType: 'm5.xlarge', MemoryInfo: { SizeInMiB: 4096 } }, { InstanceType: 'm5.large', ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, HibernationSupported: true, MemoryInfo: { SizeInMiB: 8192 } }] }),
    });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow(new ProtectedResourceError('i-1: it is enabled for hibernation, and m5.large has more memory (8192 MiB) than the 4096 MiB its root volume was sized to hold'));
    const b = ec2({}, {
      DescribeInstances: () => ({ Reservations: [{ Instances: [{ InstanceId: ID, InstanceType: 'm5.xlarge', State: { Name: 'running' }, LaunchTime: new Date(LAUNCHED), RootDeviceType: 'ebs', Architecture: 'x86_64', HibernationOptions: { Configured: true } }] }] }),
      DescribeInstanceTypes: () => ({ InstanceTypes: [{ InstanceType: 'm5.xlarge' }, { InstanceType: 'm5.large', ProcessorInfo: { SupportedArchitectures: ['x86_64'] } }] }),
    });
    await expect(changeInstanceType.apply(b.ctx, plan(), finding())).rejects.toThrow('i-1: it is enabled for hibernation and m5.large does not support hibernation (DescribeInstanceTypes HibernationSupported)');
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('refuses outside the maintenance window, naming the next opening', async () => {
    const a = ec2();
    const w = { start: '02:00', hours: 1 };
    await expect(changeInstanceType.apply(a.ctx, plan(before(), { ...OPTIONS, maintenanceWindow: w }), finding())).rejects.toThrow(new ProtectedResourceError('i-1: outside the maintenance window (daily 02:00 UTC for 1 h); waiting for the maintenance window 2026-11-01T02:00:00.000Z'));
    expect(a.ops()).toEqual(['DescribeInstances']);
    const inside = ec2();
    await changeInstanceType.apply(inside.ctx, plan(before(), { ...OPTIONS, maintenanceWindow: { start: '00:00', hours: 1 } }), finding());
    expect(inside.inst.type).toBe('m5.large');
  });

  it('counts an instance already on the target as done, and a gone one too', async () => {
    const a = ec2({ type: 'm5.large' });
    const out = await changeInstanceType.apply(a.ctx, plan(), finding());
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', alreadyDone: 'already m5.large' });
    expect(out.detail).toBe('i-1 already runs m5.large: counts as done');
    const b = ec2({ state: 'gone' });
    expect(await changeInstanceType.apply(b.ctx, plan(), finding())).toEqual({ after: { instanceType: 'unknown', state: 'gone', alreadyDone: 'gone' }, detail: 'i-1 no longer exists: counts as done' });
    const c = ec2({}, { DescribeInstances: () => { throw awsError('InvalidInstanceID.NotFound'); } });
    expect((await changeInstanceType.apply(c.ctx, plan(), finding())).detail).toBe('i-1 no longer exists: counts as done');
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('refuses an instance on the target but stopped when it was planned running (someone else stopped it)', async () => {
    const a = ec2({ type: 'm5.large', state: 'stopped' });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow(new ProtectedResourceError('i-1 already runs m5.large but is stopped, and no recorded step shows trimtab stopped it: whoever did leaves it so, and trimtab does not start it'));
    const b = ec2({ type: 'm5.large', state: 'stopped' });
    expect((await changeInstanceType.apply(b.ctx, plan(before({ state: 'stopped' })), finding())).after).toEqual({ instanceType: 'm5.large', state: 'stopped', alreadyDone: 'already m5.large' });
  });
});

describe('change-instance-type apply: the last-moment re-check, right before the modify', () => {
  it('does not modify an instance tagged trimtab:skip while trimtab held it stopped: it starts it again on its old type', async () => {
    // Prepare: the apply-time checks pass; the tag appears after the stop, before the modify (3rd DescribeInstances).
    const a = ec2({}, {}, { 3: (i) => { i.tags = { 'trimtab:skip': 'now' }; } });
    const e = env();
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding(), e);
    // Assess
    await expect(out).rejects.toThrow(new ResizeRolledBackError('i-1: AWS refused m5.large (changed: it is now tagged trimtab:skip); trimtab started it again as m5.xlarge (its type was not changed): it runs as before, after a few minutes down.'));
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances', 'StartInstances']);
    expect(a.inst).toMatchObject({ type: 'm5.xlarge', state: 'running' });
    expect(e.recorded.map((s) => [s.step, s.state])).toEqual([
      ['stop-requested', { launchTime: LAUNCHED, fromType: 'm5.xlarge', toType: 'm5.large' }],
      ['stopped', { launchTime: LAUNCHED }],
      ['modify-refused', { code: 'changed', message: 'it is now tagged trimtab:skip' }],
      ['restart-requested', undefined],
      ['rolled-back', { type: 'm5.xlarge' }],
    ]);
  });

  it('does not modify an instance whose type someone changed while it was stopped', async () => {
    const a = ec2({}, {}, { 3: (i) => { i.type = 'c5.xlarge'; } });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env())).rejects.toThrow('i-1: AWS refused m5.large (changed: it now runs c5.xlarge, not m5.xlarge); trimtab started it again as c5.xlarge (its type was not changed)');
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances', 'StartInstances']);
  });

  it('leaves alone an instance someone started while trimtab held it stopped', async () => {
    const a = ec2({}, {}, { 3: (i) => { i.state = 'running'; } });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env())).rejects.toThrow(new ProtectedResourceError('i-1: it is running, not stopped as trimtab left it: someone changed it while trimtab held it stopped, so trimtab leaves it alone (type unchanged)'));
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances']);
  });

  it('does not modify an instance started and stopped again since trimtab stopped it', async () => {
    const a = ec2({}, {}, { 3: (i) => { i.launch = '2026-11-01T00:01:00.000Z'; } });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env())).rejects.toThrow('(changed: it was started again at 2026-11-01T00:01:00.000Z since trimtab stopped it)');
    expect(a.writes('ModifyInstanceAttribute')).toEqual([]);
  });

  it('resumed at `stopped` with the type already set (the modify was not recorded), records it and starts the instance', async () => {
    const a = ec2({ state: 'stopped', type: 'm5.large' });
    const e = env([{ step: 'stopped', at: TEST_START, state: { launchTime: LAUNCHED } }]);
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), e);
    expect(e.recorded[0]).toEqual({ step: 'type-modified', at: '2026-11-01T00:00:00.000Z', state: { wasRunning: true, recovered: true } });
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StartInstances']);
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
  });
});

describe('change-instance-type apply: the steps', () => {
  it('stops, modifies, starts, waits for both status checks, and records every step', async () => {
    // Prepare
    const a = ec2();
    const e = env();
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), e);
    // Assess
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([
      ['StopInstances', { InstanceIds: [ID] }],
      ['ModifyInstanceAttribute', { InstanceId: ID, InstanceType: { Value: 'm5.large' } }],
      ['StartInstances', { InstanceIds: [ID] }],
    ]);
    expect(e.recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'type-modified', 'start-requested', 'running']);
    expect(e.recorded[4].state).toEqual({ launchTime: '2026-11-01T00:05:00.000Z' });
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
    expect(out.detail).toBe('m5.xlarge → m5.large, running, status checks ok');
    expect((out.before as { instanceType: string }).instanceType).toBe('m5.xlarge');
  });

  it('without an ApplyEnv (an old caller) does the same inside the call', async () => {
    const a = ec2();
    const out = await changeInstanceType.apply(a.ctx, plan(), finding());
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances', 'ModifyInstanceAttribute', 'StartInstances']);
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
  });

  it('changes a stopped instance and leaves it stopped', async () => {
    const a = ec2({ state: 'stopped' });
    const e = env();
    const out = await changeInstanceType.apply(a.ctx, plan(before({ state: 'stopped' })), finding(), e);
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['ModifyInstanceAttribute']);
    expect(e.recorded.map((s) => [s.step, s.state])).toEqual([['type-modified', { wasRunning: false }]]);
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'stopped', leftStopped: true });
    expect(out.detail).toBe('m5.xlarge → m5.large, left stopped as it was');
  });

  it('on a stopped instance, turns AWS refusing the type into a protection error, and passes others on', async () => {
    const a = ec2({ state: 'stopped' }, { ModifyInstanceAttribute: () => { throw awsError('InvalidInstanceAttributeValue', 'bad type'); } });
    await expect(changeInstanceType.apply(a.ctx, plan(before({ state: 'stopped' })), finding())).rejects.toThrow(new ProtectedResourceError('i-1: AWS refused m5.large (InvalidInstanceAttributeValue: bad type); nothing was changed'));
    const b = ec2({ state: 'stopped' }, { ModifyInstanceAttribute: () => { throw awsError('Throttling'); } });
    const out = changeInstanceType.apply(b.ctx, plan(before({ state: 'stopped' })), finding());
    await expect(out).rejects.toThrow('Throttling (scripted)');
    await expect(out).rejects.not.toBeInstanceOf(ProtectedResourceError);
  });

  it('refuses an instance that is stopping or pending', async () => {
    const a = ec2({ state: 'stopping' });
    await expect(changeInstanceType.apply(a.ctx, plan(before({ state: '' })), finding())).rejects.toThrow(new ProtectedResourceError('i-1 is stopping: trimtab changes the type of a running or stopped instance only; try again later'));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('when AWS refuses the type at the modify, starts the instance again on its old type', async () => {
    const a = ec2({}, { ModifyInstanceAttribute: () => { throw awsError('Unsupported', 'not here'); } });
    const e = env();
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), e)).rejects.toThrow(new ResizeRolledBackError('i-1: AWS refused m5.large (Unsupported: not here); trimtab started it again as m5.xlarge (its type was not changed): it runs as before, after a few minutes down.'));
    expect(e.recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'modify-refused', 'restart-requested', 'rolled-back']);
    const b = ec2({}, { ModifyInstanceAttribute: () => { throw awsError('Throttling'); } });
    await expect(changeInstanceType.apply(b.ctx, plan(), finding(), env())).rejects.toThrow('Throttling (scripted)');
  });

  it('when AWS refuses the start on the new type, changes it back and starts it on the old type', async () => {
    let starts = 0;
    const b = ec2({}, { StartInstances: () => { starts++; if (starts === 1) throw awsError('InsufficientInstanceCapacity', 'none left'); b.inst.state = 'running'; return {}; } });
    const e = env();
    await expect(changeInstanceType.apply(b.ctx, plan(), finding(), e)).rejects.toThrow(new ResizeRolledBackError('i-1: AWS refused m5.large (InsufficientInstanceCapacity: none left); trimtab changed it back to m5.xlarge and started it again: it runs as before, after a few minutes down.'));
    expect(b.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([
      ['StopInstances', { InstanceIds: [ID] }],
      ['ModifyInstanceAttribute', { InstanceId: ID, InstanceType: { Value: 'm5.large' } }],
      ['StartInstances', { InstanceIds: [ID] }],
      ['ModifyInstanceAttribute', { InstanceId: ID, InstanceType: { Value: 'm5.xlarge' } }],
      ['StartInstances', { InstanceIds: [ID] }],
    ]);
    expect(e.recorded.map((s) => [s.step, s.state])).toEqual([
      ['stop-requested', { launchTime: LAUNCHED, fromType: 'm5.xlarge', toType: 'm5.large' }],
      ['stopped', { launchTime: LAUNCHED }],
      ['type-modified', { wasRunning: true }],
      ['start-failed', { code: 'InsufficientInstanceCapacity', message: 'none left' }],
      ['type-reverted', { type: 'm5.xlarge' }],
      ['restart-requested', undefined],
      ['rolled-back', { type: 'm5.xlarge' }],
    ]);
    expect(b.inst).toMatchObject({ type: 'm5.xlarge', state: 'running' });
  });

  it('when the start is accepted and ends stopped with a Server.* reason, rolls back too', async () => {
    const a = ec2({}, { StartInstances: () => { if (a.inst.type === 'm5.large') { a.inst.reason = 'Server.InsufficientInstanceCapacity'; return {}; } a.inst.reason = undefined; a.inst.state = 'running'; return {}; } });
    const e = env();
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), e)).rejects.toThrow('i-1: AWS refused m5.large (Server.InsufficientInstanceCapacity: the start on m5.large ended stopped (StateReason Server.InsufficientInstanceCapacity)); trimtab changed it back to m5.xlarge and started it again');
    expect(e.recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped', 'type-modified', 'start-requested', 'start-failed', 'type-reverted', 'restart-requested', 'rolled-back']);
  });

  it('says so when the restart on the old type is refused too', async () => {
    const a = ec2({}, { ModifyInstanceAttribute: () => { throw awsError('Unsupported', 'no'); }, StartInstances: () => { throw awsError('InsufficientInstanceCapacity', 'none'); } });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env())).rejects.toThrow('i-1 is stopped on m5.xlarge: AWS refused m5.large (Unsupported: no), and then refused to start it again on m5.xlarge (InsufficientInstanceCapacity: none). Start it yourself once capacity allows.');
  });

  it('passes on a start error that is not a refusal of the type', async () => {
    const a = ec2({}, { StartInstances: () => { throw awsError('UnauthorizedOperation', 'no'); } });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env())).rejects.toMatchObject({ name: 'UnauthorizedOperation', message: 'no' });
    expect(a.writes('ModifyInstanceAttribute').length).toBe(1);
  });

  it('hands a long stop back as resumeAt, and resumes from the recorded step', async () => {
    // Prepare: the instance stays `stopping`.
    const a = ec2({}, { StopInstances: () => { a.inst.state = 'stopping'; return {}; } });
    const e = env();
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), e);
    // Assess
    expect(out.resumeAt).toBeDefined();
    expect(out.after).toEqual({ instanceType: 'm5.xlarge', state: 'stopping', step: 'stop-requested', waitingFor: 'stopped' });
    expect(Date.parse(out.resumeAt!) - Date.parse(TEST_START)).toBeGreaterThanOrEqual(60_000);
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances']);
  });

  it('with too little time left, hands the next step back without acting', async () => {
    const a = ec2();
    const e = env([{ step: 'stopped', at: TEST_START, state: { launchTime: LAUNCHED } }], 10_000);
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), e);
    expect(out.after).toEqual({ instanceType: 'm5.xlarge', state: 'unknown', step: 'stopped', waitingFor: 'the next step (10000 ms left in this invocation)' });
    expect(a.calls).toEqual([]);
  });

  it('refuses a recorded step it does not know', async () => {
    const a = ec2();
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env([{ step: 'bogus', at: TEST_START }]))).rejects.toThrow("i-1: unknown recorded step 'bogus' of change-instance-type; nothing was done");
  });

  it('resumed after type-modified, refuses an instance someone changed since, and counts one someone started', async () => {
    const modified: StepProgress = { step: 'type-modified', at: TEST_START, state: { wasRunning: true } };
    const a = ec2({ state: 'stopped', type: 'c5.large' });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env([modified]))).rejects.toThrow(new ProtectedResourceError('i-1 runs c5.large, not m5.large as trimtab set it: someone changed it since, so trimtab leaves it alone'));
    const b = ec2({ state: 'running', type: 'm5.large' });
    const e = env([modified]);
    await changeInstanceType.apply(b.ctx, plan(), finding(), e);
    expect(e.recorded[0].step).toBe('start-requested');
    expect(e.recorded[0].state).toEqual({ by: 'someone else' });
    expect(b.writes(...WRITES)).toEqual([]);
  });

  it('fails clearly when the instance disappears in the middle', async () => {
    const a = ec2({ state: 'gone' });
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env([{ step: 'type-modified', at: TEST_START, state: { wasRunning: true } }]))).rejects.toThrow('i-1 disappeared in the middle of the type change (after type-modified)');
    const b = ec2({}, {}, { 2: (i) => { i.state = 'gone'; } });
    await expect(changeInstanceType.apply(b.ctx, plan(), finding(), env())).rejects.toThrow('i-1 disappeared while waiting for it to be stopped');
    const c = ec2({}, {}, { 2: (i) => { i.state = 'terminated'; } });
    await expect(changeInstanceType.apply(c.ctx, plan(), finding(), env())).rejects.toThrow('i-1 is terminated while trimtab waited for stopped');
  });

  it('reports impaired status checks as they are', async () => {
    const a = ec2({}, { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'impaired' }, SystemStatus: { Status: 'ok' } }] }) });
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env());
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'impaired (instance impaired, system ok)' });
  });
});

const applied = (after: ResizeAfter) => ({ after, detail: '' });
describe('change-instance-type verify', () => {
  it('is ok when it runs the new type with both checks ok', async () => {
    expect(await changeInstanceType.verify(ec2({ type: 'm5.large' }).ctx, plan(), applied({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' }))).toEqual({ ok: true, detail: 'i-1 runs m5.large; both status checks ok' });
  });
  it('fails on another type, a stopped instance, failing checks, or a vanished one', async () => {
    expect(await changeInstanceType.verify(ec2().ctx, plan(), applied({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' }))).toEqual({ ok: false, detail: 'i-1 runs m5.xlarge, not m5.large' });
    expect(await changeInstanceType.verify(ec2({ type: 'm5.large', state: 'stopped' }).ctx, plan(), applied({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' }))).toEqual({ ok: false, detail: 'i-1 is m5.large but stopped, not running' });
    expect(await changeInstanceType.verify(ec2({ type: 'm5.large' }).ctx, plan(), applied({ instanceType: 'm5.large', state: 'running', statusChecks: 'impaired' }))).toEqual({ ok: false, detail: 'i-1 is m5.large and running, but its status checks are impaired' });
    expect(await changeInstanceType.verify(ec2({ state: 'gone' }).ctx, plan(), applied({ instanceType: 'm5.large', state: 'running' }))).toEqual({ ok: false, detail: 'i-1 disappeared after the type change' });
  });
  it('is ok for one left stopped, already done, or gone when it was', async () => {
    expect(await changeInstanceType.verify(ec2({ type: 'm5.large', state: 'stopped' }).ctx, plan(), applied({ instanceType: 'm5.large', state: 'stopped', leftStopped: true }))).toEqual({ ok: true, detail: 'i-1 is m5.large (stopped)' });
    expect(await changeInstanceType.verify(ec2({ type: 'm5.large', state: 'stopped' }).ctx, plan(), applied({ instanceType: 'm5.large', state: 'stopped', alreadyDone: 'already m5.large' }))).toEqual({ ok: true, detail: 'i-1 is m5.large (stopped)' });
    expect(await changeInstanceType.verify(ec2({ state: 'gone' }).ctx, plan(), applied({ instanceType: 'unknown', state: 'gone', alreadyDone: 'gone' }))).toEqual({ ok: true, detail: 'i-1 is gone' });
  });
});

describe('change-instance-type undo', () => {
  const rec = (after: ResizeAfter = { instanceType: 'm5.large', state: 'running', statusChecks: 'ok' }) => recordOf('ec2-instance', ID, 'change-instance-type', plan().params, {}, after);

  it('stops, changes it back and starts it', async () => {
    const a = ec2({ type: 'm5.large' });
    const out = await changeInstanceType.undo!(a.ctx, rec());
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([
      ['StopInstances', { InstanceIds: [ID] }],
      ['ModifyInstanceAttribute', { InstanceId: ID, InstanceType: { Value: 'm5.xlarge' } }],
      ['StartInstances', { InstanceIds: [ID] }],
    ]);
    expect(out).toEqual({ detail: 'Changed i-1 back to m5.xlarge (running, status checks ok).', after: { instanceType: 'm5.xlarge', state: 'running', statusChecks: 'ok' } });
  });

  it('changes a stopped one back and leaves it stopped, and says when the checks fail', async () => {
    const a = ec2({ type: 'm5.large', state: 'stopped' });
    expect((await changeInstanceType.undo!(a.ctx, rec())).detail).toBe('Changed i-1 back to m5.xlarge (stopped).');
    const b = ec2({ type: 'm5.large' }, { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'impaired' } }] }) });
    expect((await changeInstanceType.undo!(b.ctx, rec())).detail).toBe('Changed i-1 back to m5.xlarge; it runs, but its status checks are impaired (instance ok, system impaired).');
  });

  it('refuses when nothing was changed, the instance is gone, or it runs another type now', async () => {
    const a = ec2({ type: 'm5.large' });
    await expect(changeInstanceType.undo!(a.ctx, rec({ instanceType: 'm5.large', state: 'running', alreadyDone: 'already m5.large' }))).rejects.toThrow(new UndoRefusedError('i-1 was already m5.large when trimtab acted: trimtab changed nothing, so it changes nothing back.'));
    expect(a.calls).toEqual([]);
    await expect(changeInstanceType.undo!(ec2({ state: 'gone' }).ctx, rec())).rejects.toThrow(new UndoRefusedError('i-1 no longer exists.'));
    const c = ec2({ type: 'c5.large' });
    await expect(changeInstanceType.undo!(c.ctx, rec())).rejects.toThrow(new UndoRefusedError('i-1 runs c5.large, not m5.large as trimtab left it: someone changed it since, so trimtab leaves it alone.'));
    expect(c.writes(...WRITES)).toEqual([]);
  });
});

describe('change-instance-type target and placement checks', () => {
  const i = { id: ID, architecture: 'x86_64', enaSupport: false as boolean | undefined };
  it('names ENA, NVMe and an unknown type', () => {
    expect(unsupportedTarget(i, undefined, undefined, 'x9.large')).toBe('x9.large is not offered in this region (DescribeInstanceTypes)');
    expect(unsupportedTarget(i, {}, { ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, NetworkInfo: { EnaSupport: 'required' } }, 'm5.large')).toBe('m5.large requires ENA and i-1 does not have EnaSupport enabled (its AMI needs the ENA driver)');
    expect(unsupportedTarget({ ...i, enaSupport: true }, {}, { ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, NetworkInfo: { EnaSupport: 'required' }, EbsInfo: { NvmeSupport: 'required' } }, 'm5.large')).toBe("m5.large exposes EBS as NVMe and the current type does not: the AMI's NVMe drivers are not known");
    expect(unsupportedTarget(i, { EbsInfo: { NvmeSupport: 'supported' } }, { ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, EbsInfo: { NvmeSupport: 'required' } }, 'm5.large')).toBeUndefined();
    expect(unsupportedTarget(i, { EbsInfo: { NvmeSupport: 'required' } }, { ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, EbsInfo: { NvmeSupport: 'required' } }, 'm5.large')).toBeUndefined();
    expect(unsupportedTarget(i, {}, { ProcessorInfo: {} }, 'm5.large')).toBe("m5.large supports no known architecture, and the instance's AMI is x86_64");
    expect(unsupportedTarget({ ...i, architecture: undefined }, {}, { ProcessorInfo: {} }, 'm5.large')).toBeUndefined();
  });
  it('names a host, a reservation and hibernation', () => {
    const base = { id: ID, state: 'running' };
    expect(placementMisfit({ ...base, placement: { tenancy: 'host' } }, 'm5.large')).toContain('Dedicated Host (host tenancy)');
    expect(placementMisfit({ ...base, placement: { hostId: 'h-1' } }, 'm5.large')).toContain('Dedicated Host h-1:');
    expect(placementMisfit({ ...base, capacityReservation: { targetGroupArn: 'arn:g' } }, 'm5.large')).toContain('capacity reservation arn:g,');
    expect(placementMisfit({ ...base, capacityReservation: { preference: 'capacity-reservations-only' } }, 'm5.large')).toContain('capacity-reservations-only');
    expect(placementMisfit({ ...base, capacityReservation: { runningIn: 'cr-1' } }, 'm5.large')).toContain('runs in capacity reservation cr-1');
    expect(placementMisfit({ ...base, state: 'stopped', stateReasonCode: 'Client.UserInitiatedHibernate' }, 'm5.large')).toContain('it is hibernated');
    expect(placementMisfit({ ...base, hibernationConfigured: true }, 'm5.large', { hibernationSupported: true, memoryMib: 4096 }, 4096)).toBeUndefined();
    expect(placementMisfit({ ...base, capacityReservation: { preference: 'open' } }, 'm5.large')).toBeUndefined();
  });
});

describe('change-instance-type: what the first Stryker run left alive (issue 30)', () => {
  it('names itself, its resource, its permissions, its mode and its undo limits exactly', () => {
    // Prepare / Act: the action's metadata (policies and the registry find it by id and resource; the IAM policy is generated from the permissions).
    const r = changeInstanceType;
    // Assess
    expect([r.id, r.resource, r.title, r.defaultMode, r.undoable]).toEqual(['change-instance-type', 'ec2-instance', 'Change the instance type (stop, modify, start, wait for status checks); undo changes it back the same way', 'approval', 'yes']);
    expect(r.permissions).toEqual(['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes', 'ec2:DescribeInstanceStatus', 'ec2:StopInstances', 'ec2:StartInstances', 'ec2:ModifyInstanceAttribute']);
    expect(r.undoLimits).toBe('What was in memory and on instance-store volumes is lost at each stop (the change and the undo); without an Elastic IP the public IPv4 address changes at each restart.');
  });

  it('takes waits of 10 minutes by default, whole minutes from 1 to 14, and a window of 30 minutes to 24 hours', () => {
    // Prepare
    const o = changeInstanceType.options!;
    // Act
    const defaults = o.parse({});
    const edges = o.parse({ stopTimeoutMinutes: 1, startTimeoutMinutes: 14, maintenanceWindow: { days: ['mon'], start: '23:59', hours: 0.5 } });
    // Assess
    expect(defaults).toEqual({ stopTimeoutMinutes: 10, startTimeoutMinutes: 10 });
    expect(edges).toEqual({ stopTimeoutMinutes: 1, startTimeoutMinutes: 14, maintenanceWindow: { days: ['mon'], start: '23:59', hours: 0.5 } });
    expect(o.parse({ maintenanceWindow: { start: '00:00', hours: 24 } })).toEqual({ stopTimeoutMinutes: 10, startTimeoutMinutes: 10, maintenanceWindow: { start: '00:00', hours: 24 } });
    for (const bad of [{ stopTimeoutMinutes: 0 }, { stopTimeoutMinutes: 15 }, { startTimeoutMinutes: 0 }, { startTimeoutMinutes: 15 }, { stopTimeoutMinutes: 1.5 }, { startTimeoutMinutes: 2.5 }]) {
      expect(o.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    for (const w of [{ start: '24:00', hours: 1 }, { start: '1:00', hours: 1 }, { start: '01:60', hours: 1 }, { start: 'x01:00', hours: 1 }, { start: '01:00x', hours: 1 }, { start: '01:00', hours: 0.4 }, { start: '01:00', hours: 24.5 }, { days: [], start: '01:00', hours: 1 }, { start: '01:00', hours: 1, extra: 1 }]) {
      expect(o.safeParse({ maintenanceWindow: w }).success, JSON.stringify(w)).toBe(false);
    }
    expect(o.safeParse({ maintenanceWindow: { start: '01:00', hours: 1 } }).error).toBeUndefined();
  });

  it('defers to the next opening outside the maintenance window, naming it, and not inside it or without one', () => {
    // Prepare
    const now = new Date(TEST_START); // a Sunday, 00:00 UTC
    const w = { days: ['sat' as const, 'sun' as const], start: '02:00', hours: 2 };
    // Act / Assess
    expect(changeInstanceType.deferUntil!({ ...OPTIONS, maintenanceWindow: w }, now)).toEqual({ at: '2026-11-01T02:00:00.000Z', why: 'waiting for the maintenance window 2026-11-01T02:00:00.000Z (sat/sun 02:00 UTC for 2 h)' });
    expect(changeInstanceType.deferUntil!({ ...OPTIONS, maintenanceWindow: { start: '23:00', hours: 2 } }, now)).toBeUndefined();
    expect(changeInstanceType.deferUntil!(OPTIONS, now)).toBeUndefined();
  });

  it('plans nothing for a finding that carries no before-state', () => {
    // Prepare
    const f = findingOf('ec2-instance', ID, undefined);
    // Act
    const p = changeInstanceType.plan(f, OPTIONS as never, planCtx);
    // Assess
    expect(p).toEqual({ kind: 'noop', reason: 'the finding proposes no target type' });
  });

  it('changes an instance planned without a state or LaunchTime (a plan made before they were bound)', async () => {
    // Prepare: the instance has been relaunched and is stopped; the old plan binds neither.
    const a = ec2({ state: 'stopped', launch: '2026-10-31T00:00:00.000Z' });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(before({ state: '', launchTime: undefined })), finding());
    // Assess
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([['ModifyInstanceAttribute', { InstanceId: ID, InstanceType: { Value: 'm5.large' } }]]);
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'stopped', leftStopped: true });
  });

  it('refuses an instance AWS gives no LaunchTime for when the plan bound one, saying the time is unknown', async () => {
    // Prepare
    const a = ec2({}, { DescribeInstances: () => ({ Reservations: [{ Instances: [{ InstanceId: ID, InstanceType: 'm5.xlarge', State: { Name: 'running' }, RootDeviceType: 'ebs', Architecture: 'x86_64', EnaSupport: true }] }] }) });
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding());
    // Assess
    await expect(out).rejects.toThrow(new ProtectedResourceError('i-1 was launched again at an unknown time since the finding (planned on LaunchTime 2026-10-01T00:00:00.000Z): it is not in the state that was approved, so trimtab leaves it alone'));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('keeps AWS refusing the type of a stopped instance as the cause of the protection error', async () => {
    // Prepare
    const refusal = awsError('InvalidInstanceAttributeValue', 'bad type');
    const a = ec2({ state: 'stopped' }, { ModifyInstanceAttribute: () => { throw refusal; } });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(before({ state: 'stopped' })), finding()).catch((e: unknown) => e);
    // Assess
    expect(out).toBeInstanceOf(ProtectedResourceError);
    expect((out as Error).cause).toBe(refusal);
  });

  it('undoes a change whose record has no after-state, and waits for the stop only as long as the plan said', async () => {
    // Prepare: the record of an old apply keeps no `after`; the instance never finishes stopping.
    const params = { ...plan().params, stopTimeoutMinutes: 3 };
    const a = ec2({ type: 'm5.large' }, { StopInstances: () => { a.inst.state = 'stopping'; return {}; } });
    // Act
    const out = changeInstanceType.undo!(a.ctx, recordOf('ec2-instance', ID, 'change-instance-type', params, {}, undefined));
    // Assess
    await expect(out).rejects.toThrow('i-1 is still stopping after 3 min waiting for stopped');
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances']);
    expect(a.clock.now().toISOString()).toBe('2026-11-01T00:03:00.000Z');
  });

  it('undoes with the start wait the plan said', async () => {
    // Prepare: the instance starts but its status checks never finish initializing.
    const params = { ...plan().params, startTimeoutMinutes: 2 };
    const a = ec2({ type: 'm5.large' }, { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'initializing' }, SystemStatus: { Status: 'initializing' } }] }) });
    // Act
    const out = await changeInstanceType.undo!(a.ctx, recordOf('ec2-instance', ID, 'change-instance-type', params, {}, { instanceType: 'm5.large', state: 'running', statusChecks: 'ok' }));
    // Assess
    expect(out.detail).toBe('Changed i-1 back to m5.xlarge; it runs, but its status checks are instance initializing, system initializing after 2 min.');
  });
});

describe('change-instance-type: the step machine, each wait and resume (issue 30, Stryker)', () => {
  const step = (name: string, state?: Record<string, unknown>): StepProgress => ({ step: name, at: TEST_START, ...(state ? { state } : {}) });

  it('records each step with exactly its state, and none on a step that has none', async () => {
    // Prepare
    const a = ec2();
    const e = env();
    // Act
    await changeInstanceType.apply(a.ctx, plan(), finding(), e);
    // Assess: a step without state carries no `state` key at all.
    expect(e.recorded).toStrictEqual([
      { step: 'stop-requested', at: '2026-11-01T00:00:00.000Z', state: { launchTime: LAUNCHED, fromType: 'm5.xlarge', toType: 'm5.large' } },
      { step: 'stopped', at: '2026-11-01T00:00:00.000Z', state: { launchTime: LAUNCHED } },
      { step: 'type-modified', at: '2026-11-01T00:00:00.000Z', state: { wasRunning: true } },
      { step: 'start-requested', at: '2026-11-01T00:00:00.000Z' },
      { step: 'running', at: '2026-11-01T00:00:00.000Z', state: { launchTime: '2026-11-01T00:05:00.000Z' } },
    ]);
  });

  it('acts with exactly 30 s left in the invocation, and with 40 s left polls a slow stop for the whole minute', async () => {
    // Prepare
    const a = ec2({ state: 'stopped' });
    const b = ec2({}, { StopInstances: () => { b.inst.state = 'stopping'; return {}; } });
    const c = ec2({}, { StopInstances: () => { c.inst.state = 'stopping'; return {}; } });
    // Act
    const acted = await changeInstanceType.apply(a.ctx, plan(), finding(), env([step('stopped', { launchTime: LAUNCHED })], 30_000));
    const polled = await changeInstanceType.apply(b.ctx, plan(), finding(), env([], 40_000));
    const handed = await changeInstanceType.apply(c.ctx, plan(), finding(), env([], 39_999));
    // Assess: the first waits 60 s (the last poll at 60 s) and resumes 10 s later; the second hands back after one poll.
    expect(acted.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
    expect([polled.after, polled.resumeAt, polled.detail]).toEqual([{ instanceType: 'm5.xlarge', state: 'stopping', step: 'stop-requested', waitingFor: 'stopped' }, '2026-11-01T00:01:10.000Z', 'i-1: stop-requested; waiting for stopped, resume at 2026-11-01T00:01:10.000Z']);
    expect(handed.resumeAt).toBe('2026-11-01T00:00:10.000Z');
    expect(b.calls.filter((x) => x.op === 'DescribeInstances').length).toBe(1 + 7);
  });

  it('hands back a slow start, slow status checks, a slow stop before the change back and a slow restart, each naming what it waits for on which type', async () => {
    // Prepare: each resumed at its step, the instance stuck in between.
    const cases = [
      { progress: [step('start-requested')], inst: { type: 'm5.large', state: 'pending' }, after: { instanceType: 'm5.large', state: 'pending', step: 'start-requested', waitingFor: 'running' } },
      { progress: [step('running')], inst: { type: 'm5.large', state: 'running' }, after: { instanceType: 'm5.large', state: 'running', step: 'running', waitingFor: 'both status checks ok' } },
      { progress: [step('start-failed', { code: 'X' })], inst: { type: 'm5.large', state: 'stopping' }, after: { instanceType: 'm5.large', state: 'pending', step: 'start-failed', waitingFor: 'stopped (to change it back)' } },
      { progress: [step('restart-requested')], inst: { type: 'm5.xlarge', state: 'pending' }, after: { instanceType: 'm5.xlarge', state: 'pending', step: 'restart-requested', waitingFor: 'running on m5.xlarge' } },
      { progress: [step('modify-refused', { code: 'X' }), step('restart-requested')], inst: { type: 'm5.xlarge', state: 'pending' }, after: { instanceType: 'm5.xlarge', state: 'pending', step: 'restart-requested', waitingFor: 'running on m5.xlarge' } },
      { progress: [step('type-modified', { wasRunning: true }), step('start-requested')], inst: { type: 'm5.large', state: 'pending' }, after: { instanceType: 'm5.large', state: 'pending', step: 'start-requested', waitingFor: 'running' } },
    ];
    for (const k of cases) {
      const a = ec2(k.inst, { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'initializing' }, SystemStatus: { Status: 'initializing' } }] }) });
      // Act
      const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env(k.progress));
      // Assess
      expect(out, k.progress.at(-1)!.step).toEqual({ after: k.after, resumeAt: '2026-11-01T00:01:10.000Z', detail: `i-1: ${k.after.step}; waiting for ${k.after.waitingFor}, resume at 2026-11-01T00:01:10.000Z` });
      expect(a.writes(...WRITES)).toEqual([]);
    }
  });

  it('waits inline for a start that stays pending a while, and for status checks AWS does not report yet', async () => {
    // Prepare: pending for two reads after the start; DescribeInstanceStatus first answers without the instance (then without the list).
    let reads = 0;
    const a = ec2({}, {
      StartInstances: () => { a.inst.state = 'pending'; return {}; },
      DescribeInstanceStatus: (_i, n) => (n === 1 ? { InstanceStatuses: [{ InstanceId: 'i-other', InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } }] } : n === 2 ? {} : { InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } }] }),
    }, { 5: (i) => { reads++; }, 6: (i) => { i.state = 'running'; } });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding());
    // Assess
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
    expect(reads).toBe(1);
    // One poll while pending, two while the checks are not reported: 3 × 10 s.
    expect(a.clock.now().toISOString()).toBe('2026-11-01T00:00:30.000Z');
  });

  it('says which checks were not reported when the start wait ends, at the deadline exactly', async () => {
    // Prepare
    const a = ec2({}, { DescribeInstanceStatus: () => ({}) });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(before(), { stopTimeoutMinutes: 10, startTimeoutMinutes: 1 }), finding());
    // Assess
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'instance not-reported, system not-reported after 1 min' });
    expect(a.clock.now().toISOString()).toBe('2026-11-01T00:01:00.000Z');
  });

  it('does not take a stale stopped read after the start for a failed start, unless its reason is Server.*', async () => {
    // Prepare: the first read after the start still shows the stop (reason Client.UserInitiatedShutdown, then none), then running.
    const a = ec2({}, { StartInstances: () => ({}) }, { 5: (i) => { i.reason = 'Client.UserInitiatedShutdown'; }, 6: (i) => { i.reason = undefined; }, 7: (i) => { i.state = 'running'; } });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env());
    // Assess
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
  });

  it('does not take a pending instance with a Server.* reason left from before for a failed start', async () => {
    // Prepare
    const a = ec2({}, { StartInstances: () => { a.inst.state = 'pending'; a.inst.reason = 'Server.InsufficientInstanceCapacity'; return {}; } }, { 6: (i) => { i.state = 'running'; i.reason = undefined; } });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env());
    // Assess
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
  });

  it('fails clearly when the instance is shutting down while trimtab waits', async () => {
    // Prepare
    const a = ec2({}, {}, { 2: (i) => { i.state = 'shutting-down'; } });
    // Act / Assess
    await expect(changeInstanceType.apply(a.ctx, plan(), finding(), env())).rejects.toThrow('i-1 is shutting-down while trimtab waited for stopped');
  });

  it('resumed at `stopped` with no stop recorded, modifies an instance whatever its LaunchTime', async () => {
    // Prepare: only `stopped` is recorded (the stop's LaunchTime is not known).
    const a = ec2({ state: 'stopped', launch: '2026-10-31T00:00:00.000Z' });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env([step('stopped')]));
    // Assess
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['ModifyInstanceAttribute', 'StartInstances']);
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
  });

  it('modifies a stopped instance AWS gives no LaunchTime for after the stop', async () => {
    // Prepare
    const a = ec2({ state: 'stopped' }, { DescribeInstances: () => ({ Reservations: [{ Instances: [{ InstanceId: ID, InstanceType: a.inst.type, State: { Name: a.inst.state }, Architecture: 'x86_64' }] }] }) });
    // Act
    await changeInstanceType.apply(a.ctx, plan(), finding(), env([step('stop-requested', { launchTime: LAUNCHED }), step('stopped', { launchTime: LAUNCHED })]));
    // Assess
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['ModifyInstanceAttribute', 'StartInstances']);
  });

  it('resumed after a type-modified recorded without state, starts the instance; one someone else is starting counts as started', async () => {
    // Prepare
    const a = ec2({ state: 'stopped', type: 'm5.large' });
    const b = ec2({ state: 'pending', type: 'm5.large' }, {}, { 2: (i) => { i.state = 'running'; } });
    const e = env([step('type-modified', { wasRunning: true })]);
    // Act
    await changeInstanceType.apply(a.ctx, plan(), finding(), env([step('type-modified')]));
    const out = await changeInstanceType.apply(b.ctx, plan(), finding(), e);
    // Assess
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StartInstances']);
    expect(b.writes(...WRITES)).toEqual([]);
    expect(e.recorded.map((s) => [s.step, s.state])).toEqual([['start-requested', { by: 'someone else' }], ['running', { launchTime: LAUNCHED }]]);
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
  });

  it('resumed at start-failed with the old type already back, does not modify it again', async () => {
    // Prepare
    const a = ec2({ state: 'stopped', type: 'm5.xlarge' });
    const e = env([step('start-failed', { code: 'InsufficientInstanceCapacity', message: 'none' })]);
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding(), e);
    // Assess
    await expect(out).rejects.toThrow(new ResizeRolledBackError('i-1: AWS refused m5.large (InsufficientInstanceCapacity: none); trimtab changed it back to m5.xlarge and started it again: it runs as before, after a few minutes down.'));
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StartInstances']);
  });

  it('after a refused modify, counts an instance someone else started or is starting as restarted', async () => {
    for (const state of ['running', 'pending']) {
      // Prepare
      const a = ec2({ state }, {}, { 2: (i) => { i.state = 'running'; } });
      const e = env([step('modify-refused', { code: 'Unsupported' })]);
      // Act
      const out = changeInstanceType.apply(a.ctx, plan(), finding(), e);
      // Assess
      await expect(out).rejects.toThrow(new ResizeRolledBackError('i-1: AWS refused m5.large (Unsupported); trimtab started it again as m5.xlarge (its type was not changed): it runs as before, after a few minutes down.'));
      expect(a.writes(...WRITES)).toEqual([]);
      expect(e.recorded.map((s) => [s.step, s.state])).toEqual([['restart-requested', { by: 'someone else' }], ['rolled-back', { type: 'm5.xlarge' }]]);
    }
  });

  it('keeps AWS refusing the restart as the cause, and says so when the restart ends stopped too', async () => {
    // Prepare
    const refusal = awsError('InsufficientInstanceCapacity', 'none');
    const a = ec2({ state: 'stopped' }, { StartInstances: () => { throw refusal; } });
    const b = ec2({ state: 'stopped', reason: 'Server.InsufficientInstanceCapacity' }, { StartInstances: () => ({}) });
    // Act
    const refused = await changeInstanceType.apply(a.ctx, plan(), finding(), env([step('modify-refused', { code: 'Unsupported', message: 'no' })])).catch((e: unknown) => e);
    const ended = changeInstanceType.apply(b.ctx, plan(), finding(), env([step('modify-refused', { code: 'Unsupported', message: 'no' }), step('restart-requested')]));
    // Assess
    expect((refused as Error).cause).toBe(refusal);
    await expect(ended).rejects.toThrow('i-1 is stopped on m5.xlarge: AWS refused m5.large (Unsupported: no), and its restart ended stopped too (Server.InsufficientInstanceCapacity). Start it yourself once capacity allows.');
  });

  it('resumed at rolled-back with nothing else recorded, says AWS refused and that it runs on its old type', async () => {
    // Prepare
    const a = ec2();
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding(), env([step('rolled-back')]));
    // Assess
    await expect(out).rejects.toThrow(new ResizeRolledBackError('i-1: AWS refused m5.large (refused); trimtab started it again as m5.xlarge (its type was not changed): it runs as before, after a few minutes down.'));
    await expect(out).rejects.toBeInstanceOf(ResizeRolledBackError);
    expect(a.calls).toEqual([]);
  });
});

describe('change-instance-type: the survivors of the second Stryker run (issue 30)', () => {
  it('resumed at `stopped`, leaves alone an instance someone started on the new type meanwhile', async () => {
    // Prepare: the modify went through unrecorded, then someone started the instance.
    const a = ec2({ state: 'running', type: 'm5.large' });
    const e = env([{ step: 'stop-requested', at: TEST_START, state: { launchTime: LAUNCHED } }, { step: 'stopped', at: TEST_START, state: { launchTime: LAUNCHED } }]);
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding(), e);
    // Assess
    await expect(out).rejects.toThrow(new ProtectedResourceError('i-1: it is running, not stopped as trimtab left it: someone changed it while trimtab held it stopped, so trimtab leaves it alone (type unchanged)'));
    expect(a.writes(...WRITES)).toEqual([]);
    expect(e.recorded).toEqual([]);
  });

  it('passes on an error of the modify that is not a refusal of the type, without rolling back', async () => {
    // Prepare
    const throttled = awsError('Throttling');
    const a = ec2({}, { ModifyInstanceAttribute: () => { throw throttled; } });
    const e = env();
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), e).catch((error: unknown) => error);
    // Assess
    expect(out).toBe(throttled);
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances', 'ModifyInstanceAttribute']);
    expect(e.recorded.map((s) => s.step)).toEqual(['stop-requested', 'stopped']);
  });
});

describe('change-instance-type without an ApplyEnv: a modify that fails with an error that is not a refusal (issue 30)', () => {
  it('starts the instance it stopped again on its old type, then passes the error on', async () => {
    // Prepare: an old caller (no ApplyEnv): nothing would resume the change at `stopped`.
    const throttled = awsError('Throttling', 'Rate exceeded');
    const a = ec2({}, { ModifyInstanceAttribute: () => { throw throttled; } });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding()).catch((error: unknown) => error);
    // Assess
    expect(out).toBe(throttled);
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([
      ['StopInstances', { InstanceIds: [ID] }],
      ['ModifyInstanceAttribute', { InstanceId: ID, InstanceType: { Value: 'm5.large' } }],
      ['StartInstances', { InstanceIds: [ID] }],
    ]);
    expect(a.inst).toMatchObject({ type: 'm5.xlarge', state: 'running' });
  });

  it('in an undo, starts the instance again on the type trimtab left it on, then passes the error on', async () => {
    // Prepare
    const internal = awsError('InternalError', 'An internal error has occurred');
    const a = ec2({ type: 'm5.large' }, { ModifyInstanceAttribute: () => { throw internal; } });
    const rec = recordOf('ec2-instance', ID, 'change-instance-type', plan().params, {}, { instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
    // Act
    const out = await changeInstanceType.undo!(a.ctx, rec).catch((error: unknown) => error);
    // Assess
    expect(out).toBe(internal);
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StopInstances', 'ModifyInstanceAttribute', 'StartInstances']);
    expect(a.inst).toMatchObject({ type: 'm5.large', state: 'running' });
  });

  it('says so when the restart after the failed modify is refused too, keeping the start error as the cause', async () => {
    // Prepare
    const noCapacity = awsError('InsufficientInstanceCapacity', 'none left');
    const a = ec2({}, { ModifyInstanceAttribute: () => { throw awsError('Throttling', 'Rate exceeded'); }, StartInstances: () => { throw noCapacity; } });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding()).catch((error: unknown) => error);
    // Assess
    expect(out).toEqual(new Error('i-1 is stopped on m5.xlarge: AWS refused m5.large (Throttling: Rate exceeded), and then refused to start it again on m5.xlarge (InsufficientInstanceCapacity: none left). Start it yourself once capacity allows.'));
    expect((out as Error).cause).toBe(noCapacity);
    expect(a.inst).toMatchObject({ type: 'm5.xlarge', state: 'stopped' });
  });
});

describe('change-instance-type: the window, the type facts and the placement checks (issue 30, the lines not mutated before)', () => {
  const at = (iso: string) => new Date(iso);

  it('finds a window open since the day before, and one opening later today, to the minute', () => {
    // Prepare: TEST_START is Sunday 2026-11-01 00:00 UTC.
    const lateDaily = { start: '22:00', hours: 4 };
    const morning = { start: '02:30', hours: 1 };
    // Act / Assess
    expect(nextWindowOpening(lateDaily, at(TEST_START))).toBeUndefined();
    expect(nextWindowOpening(morning, at(TEST_START))).toBe('2026-11-01T02:30:00.000Z');
    expect(nextWindowOpening({ start: '00:00', hours: 0.5 }, at('2026-11-01T00:29:59.999Z'))).toBeUndefined();
  });

  it('counts the opening minute inside the window and the closing minute outside it', () => {
    // Prepare
    const w = { start: '02:30', hours: 1.5 };
    // Act / Assess
    expect(nextWindowOpening(w, at('2026-11-01T02:30:00.000Z'))).toBeUndefined();
    expect(nextWindowOpening(w, at('2026-11-01T03:59:59.999Z'))).toBeUndefined();
    expect(nextWindowOpening(w, at('2026-11-01T04:00:00.000Z'))).toBe('2026-11-02T02:30:00.000Z');
    expect(nextWindowOpening(w, at('2026-11-01T02:29:59.999Z'))).toBe('2026-11-01T02:30:00.000Z');
  });

  it('takes the weekday of the opening, and finds one a full week ahead', () => {
    // Prepare: Saturday 23:00 for 2 h is still open on Sunday 00:00; a Sunday window just closed opens next Sunday.
    const saturdayNight = { days: ['sat' as const], start: '23:00', hours: 2 };
    const sunday = { days: ['sun' as const], start: '00:00', hours: 0.5 };
    // Act / Assess
    expect(nextWindowOpening(saturdayNight, at(TEST_START))).toBeUndefined();
    expect(nextWindowOpening(sunday, at('2026-11-01T00:30:00.000Z'))).toBe('2026-11-08T00:00:00.000Z');
    expect(nextWindowOpening({ days: ['mon' as const, 'wed' as const], start: '01:00', hours: 1 }, at(TEST_START))).toBe('2026-11-02T01:00:00.000Z');
    expect(nextWindowOpening({ days: ['sat' as const], start: '01:00', hours: 1 }, at(TEST_START))).toBe('2026-11-07T01:00:00.000Z');
  });

  it('refuses outside a daily window, describing it as daily', async () => {
    // Prepare
    const a = ec2();
    const p = plan(before(), { ...OPTIONS, maintenanceWindow: { start: '03:00', hours: 2 } });
    // Act / Assess
    await expect(changeInstanceType.apply(a.ctx, p, finding())).rejects.toThrow(new ProtectedResourceError('i-1: outside the maintenance window (daily 03:00 UTC for 2 h); waiting for the maintenance window 2026-11-01T03:00:00.000Z'));
    expect(a.ops()).toEqual(['DescribeInstances']);
  });

  it('changes the type inside the maintenance window', async () => {
    // Prepare
    const a = ec2();
    const p = plan(before(), { ...OPTIONS, maintenanceWindow: { days: ['sun'], start: '00:00', hours: 1 } });
    // Act
    const out = await changeInstanceType.apply(a.ctx, p, finding());
    // Assess
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'ok' });
  });

  it('reads the types of every DescribeInstanceTypes page', async () => {
    // Prepare: the target type comes on the second page; the first page carries no list.
    const tokens: unknown[] = [];
    const a = ec2({}, {
      DescribeInstanceTypes: (input) => (tokens.push(input.NextToken), input.NextToken === 't2'
        ? { InstanceTypes: [{ InstanceType: 'm5.large', ProcessorInfo: { SupportedArchitectures: ['arm64'] } }] }
        : input.NextToken === 't1' ? { InstanceTypes: [{ InstanceType: 'm5.xlarge' }], NextToken: 't2' } : { NextToken: 't1' }),
    });
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding());
    // Assess: refused for the second page's architecture, not as a type "not offered in this region".
    await expect(out).rejects.toThrow(new ProtectedResourceError("i-1: m5.large supports arm64, and the instance's AMI is x86_64"));
    expect(tokens).toEqual([undefined, 't1', 't2']);
  });

  it('names every architecture the target supports, and lets an ENA-supported or NVMe-supported target through', () => {
    // Prepare
    const i = { id: ID, architecture: 'x86_64', enaSupport: undefined };
    const x86 = { ProcessorInfo: { SupportedArchitectures: ['x86_64' as const] } };
    // Act / Assess
    expect(unsupportedTarget(i, {}, { ProcessorInfo: { SupportedArchitectures: ['arm64', 'arm64_mac'] } }, 'm7g.large')).toBe("m7g.large supports arm64, arm64_mac, and the instance's AMI is x86_64");
    expect(unsupportedTarget(i, {}, { ...x86, NetworkInfo: { EnaSupport: 'required' } }, 'm5.large')).toBe('m5.large requires ENA and i-1 does not have EnaSupport enabled (its AMI needs the ENA driver)');
    expect(unsupportedTarget(i, {}, { ...x86, NetworkInfo: { EnaSupport: 'supported' }, EbsInfo: { NvmeSupport: 'supported' } }, 'm5.large')).toBeUndefined();
    expect(unsupportedTarget({ ...i, enaSupport: true }, undefined, { ...x86, NetworkInfo: { EnaSupport: 'required' }, EbsInfo: { NvmeSupport: 'required' } }, 'm5.large')).toBe("m5.large exposes EBS as NVMe and the current type does not: the AMI's NVMe drivers are not known");
    expect(unsupportedTarget(i, { EbsInfo: { NvmeSupport: 'unsupported' } }, { ...x86, EbsInfo: { NvmeSupport: 'required' } }, 'm5.large')).toBe("m5.large exposes EBS as NVMe and the current type does not: the AMI's NVMe drivers are not known");
    expect(unsupportedTarget(i, {}, x86, 'm5.large')).toBeUndefined();
  });

  it('names a host, a reservation, a hibernated instance and hibernation limits, exactly', () => {
    // Prepare
    const base = { id: ID, state: 'running' };
    // Act / Assess
    expect(placementMisfit({ ...base, placement: { tenancy: 'host' } }, 'm5.large')).toBe('it runs on Dedicated Host (host tenancy): a host takes only the instance types it was allocated for, so m5.large may not start on it; change it with the host\'s capacity in mind');
    expect(placementMisfit({ ...base, placement: { tenancy: 'default', hostId: 'h-1' } }, 'm5.large')).toBe('it runs on Dedicated Host h-1: a host takes only the instance types it was allocated for, so m5.large may not start on it; change it with the host\'s capacity in mind');
    expect(placementMisfit({ ...base, placement: { tenancy: 'dedicated' } }, 'm5.large')).toBeUndefined();
    expect(placementMisfit({ ...base, capacityReservation: { targetId: 'cr-9' } }, 'm5.large')).toBe('it targets capacity reservation cr-9, whose instance type is fixed at creation: as m5.large it could not start in it');
    expect(placementMisfit({ ...base, capacityReservation: { targetGroupArn: 'arn:g' } }, 'm5.large')).toBe('it targets capacity reservation arn:g, whose instance type is fixed at creation: as m5.large it could not start in it');
    expect(placementMisfit({ ...base, capacityReservation: { preference: 'capacity-reservations-only' } }, 'm5.large')).toBe('its capacity reservation preference is capacity-reservations-only: it starts only in a reservation of its own type, and none is known for m5.large');
    expect(placementMisfit({ ...base, capacityReservation: { preference: 'open', runningIn: 'cr-1' } }, 'm5.large')).toBe('it runs in capacity reservation cr-1, billed whether used or not: as m5.large it would leave the reservation idle and save nothing until the reservation ends');
    expect(placementMisfit({ ...base, state: 'stopped', stateReasonCode: 'Client.UserInitiatedHibernate' }, 'm5.large')).toBe('it is hibernated: EC2 lets a stopped hibernated instance change type, but its saved memory image was taken on the old type, so trimtab leaves it alone; start it (or stop it without hibernation) first');
    expect(placementMisfit({ ...base, stateReasonCode: 'Client.UserInitiatedHibernate' }, 'm5.large')).toBeUndefined();
    expect(placementMisfit({ ...base, state: 'stopped', stateReasonCode: 'Client.UserInitiatedShutdown' }, 'm5.large')).toBeUndefined();
    expect(placementMisfit({ ...base, hibernationConfigured: true }, 'm5.large', { hibernationSupported: false })).toBe('it is enabled for hibernation and m5.large does not support hibernation (DescribeInstanceTypes HibernationSupported)');
    expect(placementMisfit({ ...base, hibernationConfigured: true }, 'm5.large', { hibernationSupported: true, memoryMib: 16384 }, 8192)).toBe('it is enabled for hibernation, and m5.large has more memory (16384 MiB) than the 8192 MiB its root volume was sized to hold');
    expect(placementMisfit({ ...base, hibernationConfigured: true }, 'm5.large', { hibernationSupported: true, memoryMib: 8192 }, 8192)).toBeUndefined();
    expect(placementMisfit({ ...base, hibernationConfigured: true }, 'm5.large', { hibernationSupported: true, memoryMib: 16384 })).toBeUndefined();
    expect(placementMisfit({ ...base, hibernationConfigured: true }, 'm5.large', {})).toBeUndefined();
    expect(placementMisfit({ ...base, hibernationConfigured: true }, 'm5.large')).toBeUndefined();
    expect(placementMisfit({ ...base, hibernationConfigured: false }, 'm5.large', { hibernationSupported: false, memoryMib: 16384 }, 8192)).toBeUndefined();
  });

  it('refuses a hibernation-enabled instance whose target has more memory, from what DescribeInstanceTypes says of both types', async () => {
    // Prepare
    const a = ec2({}, {
      DescribeInstances: () => ({ Reservations: [{ Instances: [{ InstanceId: ID, InstanceType: 'm5.xlarge', State: { Name: 'running' }, LaunchTime: new Date(LAUNCHED), RootDeviceType: 'ebs', Architecture: 'x86_64', EnaSupport: true, HibernationOptions: { Configured: true } }] }] }),
      DescribeInstanceTypes: () => ({ InstanceTypes: [{ InstanceType: 'm5.xlarge', MemoryInfo: { SizeInMiB: 4096 } }, { InstanceType: 'm5.large', ProcessorInfo: { SupportedArchitectures: ['x86_64'] }, HibernationSupported: true, MemoryInfo: { SizeInMiB: 8192 } }] }),
    });
    // Act / Assess
    await expect(changeInstanceType.apply(a.ctx, plan(), finding())).rejects.toThrow(new ProtectedResourceError('i-1: it is enabled for hibernation, and m5.large has more memory (8192 MiB) than the 4096 MiB its root volume was sized to hold'));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('takes each start refusal AWS documents for a type as a reason to change back and start on the old type', async () => {
    for (const code of ['InsufficientInstanceCapacity', 'VcpuLimitExceeded', 'InstanceLimitExceeded', 'InsufficientCapacityOnHost', 'InsufficientHostCapacity', 'ReservationCapacityExceeded', 'InsufficientReservedInstanceCapacity', 'Unsupported', 'UnsupportedOperation', 'InvalidParameterCombination', 'UnsupportedHibernationConfiguration']) {
      // Prepare
      let starts = 0;
      const a = ec2({}, { StartInstances: () => { starts++; if (starts === 1) throw awsError(code, 'no'); a.inst.state = 'running'; return {}; } });
      // Act
      const out = changeInstanceType.apply(a.ctx, plan(), finding(), env());
      // Assess
      await expect(out, code).rejects.toThrow(new ResizeRolledBackError(`i-1: AWS refused m5.large (${code}: no); trimtab changed it back to m5.xlarge and started it again: it runs as before, after a few minutes down.`));
      expect(a.inst, code).toMatchObject({ type: 'm5.xlarge', state: 'running' });
    }
  });

  it('takes each modify refusal AWS documents for a type as a reason to start again on the old type, and no other error', async () => {
    for (const code of ['InvalidInstanceAttributeValue', 'Unsupported', 'InvalidParameterValue', 'InvalidParameterCombination', 'UnsupportedOperation']) {
      // Prepare
      const a = ec2({}, { ModifyInstanceAttribute: () => { throw awsError(code, 'no'); } });
      // Act
      const out = changeInstanceType.apply(a.ctx, plan(), finding(), env());
      // Assess
      await expect(out, code).rejects.toThrow(new ResizeRolledBackError(`i-1: AWS refused m5.large (${code}: no); trimtab started it again as m5.xlarge (its type was not changed): it runs as before, after a few minutes down.`));
      expect(a.inst, code).toMatchObject({ type: 'm5.xlarge', state: 'running' });
    }
    const b = ec2({}, { ModifyInstanceAttribute: () => { throw awsError('IncorrectInstanceState', 'no'); } });
    await expect(changeInstanceType.apply(b.ctx, plan(), finding(), env())).rejects.toThrow(expect.objectContaining({ name: 'IncorrectInstanceState' }));
    expect(b.inst).toMatchObject({ type: 'm5.xlarge', state: 'stopped' });
  });

  it('counts a stop deadline from the last recorded stop-requested', async () => {
    // Prepare: two stop-requested steps (a repeated stop), the first 20 minutes ago; the instance is still stopping.
    const a = ec2({ state: 'stopping' });
    const progress: StepProgress[] = [{ step: 'stop-requested', at: '2026-10-31T23:40:00.000Z' }, { step: 'stop-requested', at: TEST_START }];
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env(progress));
    // Assess: not past the 10-minute deadline of the last one: handed back.
    expect(out.resumeAt).toBe('2026-11-01T00:01:10.000Z');
  });
});

describe('change-instance-type: status checks, pending steps and the failure named (issue 30, the lines not mutated before)', () => {
  const step = (name: string, state?: Record<string, unknown>): StepProgress => ({ step: name, at: TEST_START, ...(state ? { state } : {}) });

  it('asks DescribeInstanceStatus for the instance only, and reports a system check impaired alone', async () => {
    // Prepare
    const a = ec2({}, { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'impaired' } }] }) });
    // Act
    const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env());
    // Assess
    expect(out.after).toEqual({ instanceType: 'm5.large', state: 'running', statusChecks: 'impaired (instance ok, system impaired)' });
    expect(a.calls.filter((c) => c.op === 'DescribeInstanceStatus').map((c) => c.input)).toEqual([{ InstanceIds: [ID] }]);
  });

  it('with too little time left, names the type the instance has at each recorded step', async () => {
    // Prepare: after the modify and until the compensation changes it back, the instance is on the new type.
    const cases: [string, string][] = [
      ['stop-requested', 'm5.xlarge'], ['stopped', 'm5.xlarge'], ['type-modified', 'm5.large'], ['start-requested', 'm5.large'], ['running', 'm5.large'],
      ['start-failed', 'm5.large'], ['modify-refused', 'm5.xlarge'], ['type-reverted', 'm5.xlarge'], ['restart-requested', 'm5.xlarge'],
    ];
    for (const [name, type] of cases) {
      const a = ec2();
      // Act
      const out = await changeInstanceType.apply(a.ctx, plan(), finding(), env([step(name)], 29_999));
      // Assess
      expect(out, name).toEqual({ after: { instanceType: type, state: 'unknown', step: name, waitingFor: 'the next step (29999 ms left in this invocation)' }, resumeAt: '2026-11-01T00:00:00.000Z', detail: `i-1: ${name}; waiting for the next step (29999 ms left in this invocation), resume at 2026-11-01T00:00:00.000Z` });
      expect(a.calls, name).toEqual([]);
    }
  });

  it('names the recorded failure in the rolled-back error: its code, its message, or both', async () => {
    // Prepare
    const cases: [StepProgress[], string][] = [
      [[step('modify-refused', { message: 'not here' }), step('rolled-back')], 'refused: not here'],
      [[step('start-failed', { code: 'InsufficientInstanceCapacity' }), step('type-reverted'), step('rolled-back')], 'InsufficientInstanceCapacity'],
      [[step('start-failed', { code: 'X', message: 'y' }), step('type-reverted'), step('rolled-back')], 'X: y'],
    ];
    for (const [progress, named] of cases) {
      const a = ec2();
      // Act
      const out = changeInstanceType.apply(a.ctx, plan(), finding(), env(progress));
      // Assess
      await expect(out, named).rejects.toThrow(`i-1: AWS refused m5.large (${named}); `);
    }
  });
});

describe('change-instance-type options: what a bad maintenance window is told (issue 30)', () => {
  it('says the start must be HH:MM (UTC)', () => {
    // Prepare
    const o = changeInstanceType.options!;
    // Act
    const out = o.safeParse({ maintenanceWindow: { start: '2:00', hours: 1 } });
    // Assess
    expect(out.error?.issues.map((i) => [i.path, i.message])).toEqual([[['maintenanceWindow', 'start'], 'start must be HH:MM (UTC)']]);
  });

  it('takes a window on some days, and refuses a day that is not one', () => {
    // Prepare
    const o = changeInstanceType.options!;
    // Act / Assess
    expect(o.parse({ maintenanceWindow: { days: ['sun', 'sat'], start: '01:00', hours: 1 } }).maintenanceWindow).toEqual({ days: ['sun', 'sat'], start: '01:00', hours: 1 });
    expect(o.safeParse({ maintenanceWindow: { days: ['sunday'], start: '01:00', hours: 1 } }).success).toBe(false);
  });
});

describe('change-instance-type: the survivors of the fifth Stryker run (issue 30)', () => {
  const step = (name: string, state?: Record<string, unknown>): StepProgress => ({ step: name, at: TEST_START, ...(state ? { state } : {}) });

  it('counts a resumed stop\'s deadline from the time its step was recorded, not from the resume', async () => {
    // Prepare: the stop was recorded 15 minutes ago (the deadline is 10 minutes); the instance is still stopping.
    const a = ec2({ state: 'stopping' });
    // Act
    const out = changeInstanceType.apply(a.ctx, plan(), finding(), env([{ step: 'stop-requested', at: '2026-10-31T23:45:00.000Z' }]));
    // Assess
    await expect(out).rejects.toThrow('i-1 is still stopping after 10 min waiting for stopped');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('does not refuse a hibernation-enabled instance for memory when the target\'s facts are not known', () => {
    // Prepare / Act / Assess
    expect(placementMisfit({ id: ID, state: 'running', hibernationConfigured: true }, 'm5.large', undefined, 8192)).toBeUndefined();
  });
  const initializing = { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'initializing' }, SystemStatus: { Status: 'initializing' } }] }) };

  it('takes status checks AWS lists the instance for without one or both checks as not reported', async () => {
    // Prepare
    const a = ec2({ type: 'm5.large' }, { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, SystemStatus: { Status: 'ok' } }] }) });
    const b = ec2({ type: 'm5.large' }, { DescribeInstanceStatus: () => ({ InstanceStatuses: [{ InstanceId: ID, InstanceStatus: { Status: 'ok' } }] }) });
    const p = plan(before(), { stopTimeoutMinutes: 10, startTimeoutMinutes: 1 });
    // Act
    const outA = await changeInstanceType.apply(a.ctx, p, finding(), env([step('running')]));
    const outB = await changeInstanceType.apply(b.ctx, p, finding(), env([step('running')]));
    // Assess
    expect([outA.after, outB.after]).toEqual([
      { instanceType: 'm5.large', state: 'running', statusChecks: 'instance not-reported, system ok after 1 min' },
      { instanceType: 'm5.large', state: 'running', statusChecks: 'instance ok, system not-reported after 1 min' },
    ]);
  });

  it('waits for status checks for the whole minute with 40 s left in the invocation, and hands them back after one poll with less', async () => {
    // Prepare
    const a = ec2({ type: 'm5.large' }, initializing);
    const b = ec2({ type: 'm5.large' }, initializing);
    // Act
    const polled = await changeInstanceType.apply(a.ctx, plan(), finding(), env([step('running')], 40_000));
    const handed = await changeInstanceType.apply(b.ctx, plan(), finding(), env([step('running')], 39_999));
    // Assess
    expect([polled.resumeAt, handed.resumeAt]).toEqual(['2026-11-01T00:01:10.000Z', '2026-11-01T00:00:10.000Z']);
    expect([a.calls.filter((c) => c.op === 'DescribeInstanceStatus').length, b.calls.filter((c) => c.op === 'DescribeInstanceStatus').length]).toEqual([7, 1]);
  });
});
