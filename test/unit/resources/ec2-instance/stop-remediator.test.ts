/**
 * stop-instance against a scripted EC2 (test/unit/resources/fake-aws.ts): the re-checks right before the
 * stop, the calls made and not made, the refusals' messages, the undo's calls. Written for the mutation
 * score of lib/resources/ec2-instance/remediators.ts (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../lib/engine/types.ts';
import type { InstanceBefore } from '../../../../lib/resources/ec2-instance/detectors.ts';
import { stopInstance, type StopParams } from '../../../../lib/resources/ec2-instance/remediators.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'i-1';
const LAUNCH = '2026-10-01T00:00:00.000Z';
const INSTANCE = { InstanceId: ID, InstanceType: 'm5.large', State: { Name: 'running' }, LaunchTime: new Date(LAUNCH), RootDeviceType: 'ebs' };
const plan = (p: Partial<StopParams> = {}): Plan<StopParams> => ({ kind: 'change', summary: 's', undo: 'u', params: { instanceId: ID, instanceType: 'm5.large', launchTime: LAUNCH, ...p } }) as unknown as Plan<StopParams>;
const finding = findingOf('ec2-instance', ID, {});
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const WRITES = ['StopInstances', 'StartInstances'];

/** DescribeInstances answers `instance` (among another one), m5.large has no instance store, writes succeed. */
function aws(instance: Record<string, unknown> | null = INSTANCE, over: Handlers = {}) {
  return fakeAws({
    DescribeInstances: () => ({ Reservations: [{ Instances: [{ InstanceId: 'i-other', State: { Name: 'stopped' } }] }, { Instances: instance ? [instance] : [] }] }),
    DescribeInstanceTypes: (input: { InstanceTypes: string[] }) => ({ InstanceTypes: input.InstanceTypes.filter((t) => t !== 'x9.unknown').map((t) => ({ InstanceType: t, InstanceStorageSupported: t === 'd3.xlarge', InstanceStorageInfo: t === 'd3.xlarge' ? { TotalSizeInGB: 5940 } : undefined })) }),
    StopInstances: () => ({ StoppingInstances: [{ InstanceId: ID, CurrentState: { Name: 'stopping' } }] }),
    StartInstances: () => ({ StartingInstances: [{ InstanceId: ID, CurrentState: { Name: 'pending' } }] }),
    ...over,
  });
}

describe('stop-instance: what it is', () => {
  it('stops instances, starts in approval mode, undoable, with exactly the permissions it calls', () => {
    expect([stopInstance.id, stopInstance.resource, stopInstance.title, stopInstance.defaultMode, stopInstance.undoable]).toEqual(['stop-instance', 'ec2-instance', 'Stop the instance (EBS-backed, outside Auto Scaling groups); undo starts it again', 'approval', 'yes']);
    expect(stopInstance.permissions).toEqual(['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes', 'ec2:StopInstances', 'ec2:StartInstances']);
    expect(stopInstance.undoLimits).toBe('What was in memory (processes, caches) and on instance-store volumes is lost on stop; without an Elastic IP the public IPv4 address is released and the restart gets a new one; work the instance would have done while stopped is not replayed.');
  });
});

describe('stop-instance plan', () => {
  const before = (extra: Partial<InstanceBefore> = {}): InstanceBefore => ({ instanceId: ID, instanceType: 'm5.large', state: 'running', rootDeviceType: 'ebs', volumeIds: ['vol-1'], ...extra });
  const planOf = (b: InstanceBefore) => {
    const p = stopInstance.plan(findingOf('ec2-instance', ID, b, { savings: { monthlyUsd: 70.08, basis: [] } }), {}, planCtx);
    if (p.kind !== 'change') throw new Error('expected a change');
    return p;
  };

  it('names the saving and the volumes that stay billed, and binds the plan to the launch it measured', () => {
    const p = planOf(before({ launchTime: LAUNCH }));
    expect(p.summary).toBe('Stop i-1 (m5.large): saves about $70.08/month of compute; its 1 EBS volume stays billed.');
    expect(p.params).toEqual({ instanceId: ID, instanceType: 'm5.large', launchTime: LAUNCH });
    expect(p.undo).toBe('trimtab undo starts it again (StartInstances) while it is still stopped as trimtab left it; it is refused if the instance was started, terminated or is gone.');
    expect(p.undoLimits).toBe('What was in memory (processes, caches) is lost on stop; work it would have done while stopped is not replayed.');
  });

  it('says the public address and the instance-store data are lost when they are', () => {
    const p = planOf(before({ volumeIds: ['vol-1', 'vol-2'], publicIpv4: 'ephemeral', allowInstanceStoreLoss: true }));
    expect(p.summary).toBe('Stop i-1 (m5.large): saves about $70.08/month of compute; its 2 EBS volumes stay billed.');
    expect(p.params).toEqual({ instanceId: ID, instanceType: 'm5.large', allowInstanceStoreLoss: true });
    expect(p.undo).toBe('trimtab undo starts it again (StartInstances) while it is still stopped as trimtab left it; it is refused if the instance was started, terminated or is gone. Its public IPv4 address is released by the stop: started again, it gets a new one (it has no Elastic IP). Its instance-store volumes come back empty.');
    expect(p.undoLimits).toBe('What was in memory (processes, caches) is lost on stop, and so is the data on its instance-store volumes; its public IPv4 address is released and the restart gets a new one; work it would have done while stopped is not replayed.');
    expect(planOf(before({ publicIpv4: 'elastic' })).undo).not.toContain('public IPv4');
  });
});

describe('stop-instance apply', () => {
  it('re-reads the instance and its type, then stops exactly it, recording when', async () => {
    // Prepare
    const a = aws();
    // Act
    const out = await stopInstance.apply(a.ctx, plan(), finding);
    // Assess
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeInstances', { InstanceIds: [ID] }],
      ['DescribeInstanceTypes', { InstanceTypes: ['m5.large'], IncludeUnsupportedInRegion: true, NextToken: undefined }],
      ['StopInstances', { InstanceIds: [ID] }],
    ]);
    expect(out.after).toEqual({ state: 'stopping', stoppedAt: '2026-11-01T00:00:00.000Z' });
    expect(out.detail).toBe('stop requested (stopping)');
    expect(out.before).toMatchObject({ id: ID, instanceType: 'm5.large', state: 'running', launchTime: LAUNCH });
  });

  it('says "stopping" when AWS does not name the new state, and stops a plan made before launch times were bound', async () => {
    const a = aws(INSTANCE, { StopInstances: () => ({}) });
    const out = await stopInstance.apply(a.ctx, plan({ launchTime: undefined }), finding);
    expect(out.after).toEqual({ state: 'stopping', stoppedAt: '2026-11-01T00:00:00.000Z' });
    expect(a.writes(...WRITES)).toHaveLength(1);
  });

  it('says "stopping" when AWS lists no stopping instance or no state for it', async () => {
    for (const answer of [{ StoppingInstances: [] }, { StoppingInstances: [{ InstanceId: ID }] }]) {
      const a = aws(INSTANCE, { StopInstances: () => answer });
      expect((await stopInstance.apply(a.ctx, plan(), finding)).detail).toBe('stop requested (stopping)');
    }
  });

  it('counts a gone instance and one already stopped, terminated or shutting down as done, writing nothing', async () => {
    const gone = aws(null);
    const notFound = aws(INSTANCE, { DescribeInstances: () => { throw awsError('InvalidInstanceID.NotFound'); } });
    expect(await stopInstance.apply(gone.ctx, plan(), finding)).toEqual({ after: { state: 'gone', alreadyDone: 'gone' }, detail: 'i-1 no longer exists (InvalidInstanceID.NotFound): counts as done' });
    expect((await stopInstance.apply(notFound.ctx, plan(), finding)).after).toEqual({ state: 'gone', alreadyDone: 'gone' });
    for (const state of ['stopped', 'terminated', 'shutting-down']) {
      const a = aws({ ...INSTANCE, State: { Name: state } });
      const out = await stopInstance.apply(a.ctx, plan(), finding);
      expect(out.after).toEqual({ state, alreadyDone: state });
      expect(out.detail).toBe(`i-1 is already ${state}: counts as done`);
      expect(a.writes(...WRITES)).toEqual([]);
    }
    expect([...gone.writes(...WRITES), ...notFound.writes(...WRITES)]).toEqual([]);
  });

  it('counts an answer with no reservations, or a reservation with no instances, as gone, writing nothing', async () => {
    const none = aws(INSTANCE, { DescribeInstances: () => ({}) });
    const empty = aws(INSTANCE, { DescribeInstances: () => ({ Reservations: [{}] }) });
    expect((await stopInstance.apply(none.ctx, plan(), finding)).after).toEqual({ state: 'gone', alreadyDone: 'gone' });
    expect((await stopInstance.apply(empty.ctx, plan(), finding)).after).toEqual({ state: 'gone', alreadyDone: 'gone' });
    expect([...none.writes(...WRITES), ...empty.writes(...WRITES)]).toEqual([]);
  });

  it('fails on any other error of the re-read, writing nothing', async () => {
    const a = aws(INSTANCE, { DescribeInstances: () => { throw awsError('UnauthorizedOperation'); } });
    expect((await caught(stopInstance.apply(a.ctx, plan(), finding)))?.name).toBe('UnauthorizedOperation');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it.each([
    ['launched again since the finding', { LaunchTime: new Date('2026-10-20T00:00:00Z') }, {}, 'i-1 was launched again at 2026-10-20T00:00:00.000Z since the finding (planned on LaunchTime 2026-10-01T00:00:00.000Z): the idle days were measured before, so trimtab leaves it alone'],
    ['with no launch time now', { LaunchTime: undefined }, {}, 'i-1 was launched again at an unknown time since the finding (planned on LaunchTime 2026-10-01T00:00:00.000Z): the idle days were measured before, so trimtab leaves it alone'],
    ['resized since the finding', { InstanceType: 'm5.xlarge' }, {}, 'i-1 now runs m5.xlarge, not m5.large as planned: someone changed it since, so trimtab leaves it alone'],
    ['tagged trimtab:skip', { Tags: [{ Key: 'trimtab:skip', Value: '' }] }, {}, 'i-1 is now tagged trimtab:skip'],
    ['instance-store backed', { RootDeviceType: 'instance-store' }, {}, 'i-1: its root device is instance-store, not EBS: it cannot be stopped, only terminated (its data would be lost)'],
    ['of a type with instance-store volumes', { InstanceType: 'd3.xlarge' }, { instanceType: 'd3.xlarge' }, 'i-1: d3.xlarge has 5940 GB of instance-store volumes: stopping erases their data (set allowInstanceStoreLoss to stop it anyway)'],
    ['of a type AWS does not describe', { InstanceType: 'x9.unknown' }, { instanceType: 'x9.unknown' }, 'i-1: DescribeInstanceTypes did not describe x9.unknown, so instance-store volumes (erased by a stop) cannot be ruled out (set allowInstanceStoreLoss to stop it anyway)'],
    ['in an Auto Scaling group', { Tags: [{ Key: 'aws:autoscaling:groupName', Value: 'web' }] }, {}, 'i-1: it belongs to Auto Scaling group web (tag aws:autoscaling:groupName): a stopped instance fails health checks and the group replaces it; resize the group instead'],
    ['that is a spot instance', { InstanceLifecycle: 'spot' }, {}, 'i-1: it is a spot instance: one-time spot instances cannot be stopped'],
  ])('refuses an instance %s, stopping nothing', async (_what, change, params, message) => {
    const a = aws({ ...INSTANCE, ...change });
    const err = await caught(stopInstance.apply(a.ctx, plan(params), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe(message);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('stops an instance with instance-store volumes when the policy accepts losing them', async () => {
    const a = aws({ ...INSTANCE, InstanceType: 'd3.xlarge' });
    await stopInstance.apply(a.ctx, plan({ instanceType: 'd3.xlarge', allowInstanceStoreLoss: true }), finding);
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ InstanceIds: [ID] }]);
  });

  it('maps StopInstances’ answers: not found is done, UnsupportedOperation is protected, anything else fails', async () => {
    const gone = aws(INSTANCE, { StopInstances: () => { throw awsError('InvalidInstanceID.NotFound'); } });
    const unsupported = aws(INSTANCE, { StopInstances: () => { throw awsError('UnsupportedOperation', 'spot'); } });
    const other = aws(INSTANCE, { StopInstances: () => { throw awsError('IncorrectInstanceState'); } });
    expect(await stopInstance.apply(gone.ctx, plan(), finding)).toEqual({ after: { state: 'gone', alreadyDone: 'gone' }, detail: 'i-1 vanished (InvalidInstanceID.NotFound): counts as done' });
    const e1 = await caught(stopInstance.apply(unsupported.ctx, plan(), finding));
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('i-1: spot');
    expect(e1?.cause).toMatchObject({ name: 'UnsupportedOperation', message: 'spot' });
    const e2 = await caught(stopInstance.apply(other.ctx, plan(), finding));
    expect(e2?.name).toBe('IncorrectInstanceState');
    expect(e2).not.toBeInstanceOf(ProtectedResourceError);
  });
});

describe('stop-instance verify', () => {
  it('passes for stopping, stopped, terminated and shutting-down, and fails naming any other state', async () => {
    for (const state of ['stopping', 'stopped', 'terminated', 'shutting-down']) {
      expect(await stopInstance.verify(aws({ ...INSTANCE, State: { Name: state } }).ctx, plan(), { after: {} })).toEqual({ ok: true, detail: `i-1 is ${state}` });
    }
    expect(await stopInstance.verify(aws().ctx, plan(), { after: {} })).toEqual({ ok: false, detail: 'i-1 is still running after the stop' });
  });

  it('passes for an instance gone before trimtab acted, and fails for one that disappeared after the stop', async () => {
    expect(await stopInstance.verify(aws(null).ctx, plan(), { after: { state: 'gone', alreadyDone: 'gone' } })).toEqual({ ok: true, detail: 'i-1 is gone' });
    expect(await stopInstance.verify(aws(null).ctx, plan(), { after: { state: 'stopping' } })).toEqual({ ok: false, detail: 'i-1 disappeared after the stop' });
  });
});

describe('stop-instance undo', () => {
  const stopped = (at?: string) => ({ ...INSTANCE, State: { Name: 'stopped' }, ...(at ? { StateTransitionReason: `User initiated (${at} GMT)` } : {}) });
  const record = (after: unknown) => recordOf('ec2-instance', ID, 'stop-instance', plan().params, null, after);
  const AFTER = { state: 'stopping', stoppedAt: '2026-11-01T00:00:00.000Z' };

  it('starts the instance trimtab stopped, and says its new state', async () => {
    const a = aws(stopped('2026-11-01 00:01:00'));
    const out = await stopInstance.undo!(a.ctx, record(AFTER));
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([['StartInstances', { InstanceIds: [ID] }]]);
    expect(out).toEqual({ detail: 'Started i-1 again (pending).', after: { state: 'pending' } });
  });

  it('says "pending" when AWS does not name the new state, and starts when the stop time is not known', async () => {
    const a = aws(stopped(), { StartInstances: () => ({}) });
    expect(await stopInstance.undo!(a.ctx, record({ state: 'stopping' }))).toEqual({ detail: 'Started i-1 again (pending).', after: { state: 'pending' } });
  });

  it('says "pending" when AWS lists no starting instance or no state for it', async () => {
    for (const answer of [{ StartingInstances: [] }, { StartingInstances: [{ InstanceId: ID }] }]) {
      const a = aws(stopped(), { StartInstances: () => answer });
      expect((await stopInstance.undo!(a.ctx, record(AFTER))).detail).toBe('Started i-1 again (pending).');
    }
  });

  it('starts an instance stopped as recorded when the record has no after-state (an old record)', async () => {
    const a = aws(stopped('2026-11-01 05:00:00'));
    expect(await stopInstance.undo!(a.ctx, record(undefined))).toEqual({ detail: 'Started i-1 again (pending).', after: { state: 'pending' } });
    expect(a.writes(...WRITES).map((c) => c.op)).toEqual(['StartInstances']);
  });

  it('refuses an instance stopped again more than a minute after trimtab’s stop, starting nothing', async () => {
    const late = aws(stopped('2026-11-01 00:01:01'));
    const err = await caught(stopInstance.undo!(late.ctx, record(AFTER)));
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect(err?.message).toBe('i-1 was stopped again at 2026-11-01T00:01:01.000Z, after trimtab stopped it at 2026-11-01T00:00:00.000Z: someone changed it since, so trimtab leaves it alone.');
    expect(late.writes(...WRITES)).toEqual([]);
  });

  it('refuses, starting nothing, when trimtab stopped nothing, or the instance is gone, terminated, still stopping or running', async () => {
    const cases: Array<[Record<string, unknown> | null, unknown, string]> = [
      [stopped(), { state: 'stopped', alreadyDone: 'stopped' }, 'i-1 was already stopped when trimtab acted: trimtab stopped nothing, so it starts nothing.'],
      [null, AFTER, 'i-1 is gone since trimtab stopped it: it cannot be started.'],
      [{ ...INSTANCE, State: { Name: 'terminated' } }, AFTER, 'i-1 is terminated since trimtab stopped it: it cannot be started.'],
      [{ ...INSTANCE, State: { Name: 'shutting-down' } }, AFTER, 'i-1 is shutting-down since trimtab stopped it: it cannot be started.'],
      [{ ...INSTANCE, State: { Name: 'stopping' } }, AFTER, "i-1 is still stopping after trimtab's stop: try the undo again in a minute or two, once it is stopped. Nothing was changed."],
      [INSTANCE, AFTER, 'i-1 is running, not stopped as trimtab left it: someone changed it since, so trimtab leaves it alone.'],
    ];
    for (const [instance, after, message] of cases) {
      const a = aws(instance);
      const err = await caught(stopInstance.undo!(a.ctx, record(after)));
      expect(err).toBeInstanceOf(UndoRefusedError);
      expect(err?.message).toBe(message);
      expect(a.writes(...WRITES)).toEqual([]);
    }
  });
});
