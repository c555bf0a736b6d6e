/**
 * stop-instance. apply() re-reads the instance right before writing (one DescribeInstances for
 * this instance: a per-action read, bounded by maxActionsPerRun) and re-checks what can change
 * between scan and apply: the plan's binding (the same LaunchTime: not restarted since the
 * finding; the same type), the trimtab:skip tag, membership of an Auto Scaling group, the root
 * device, spot, and instance-store volumes (one DescribeInstanceTypes for its type: a stop
 * erases them, so it is refused unless the policy set allowInstanceStoreLoss).
 * InvalidInstanceID.NotFound and an instance already stopped or terminated count as done.
 * Undo starts it again, only when it is still stopped as trimtab left it (a 'stopping'
 * instance is refused with "try again").
 */
import { DescribeInstancesCommand, EC2Client, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { SKIP_TAG } from '../protection.ts';
import type { Remediator } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { stopProtection, type InstanceBefore } from './detectors.ts';
import { readInstanceStorage, toInstance, type Ec2Instance } from './resource.ts';

const NOT_FOUND = 'InvalidInstanceID.NotFound';

/** The instance as it is now, or undefined when it no longer exists. */
export async function describeInstance(ec2: EC2Client, id: string, region: string, account: string): Promise<Ec2Instance | undefined> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const found = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    return found ? toInstance(found, region, account) : undefined;
  } catch (error) {
    if (awsErrorName(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

export interface StopParams {
  instanceId: string;
  instanceType: string;
  /** The policy accepted losing instance-store data (idle-instance allowInstanceStoreLoss). */
  allowInstanceStoreLoss?: boolean;
  /**
   * LaunchTime when the finding was made (the *last* launch: a stop and start since changes it):
   * the idle days were measured on this run of the instance. Absent in plans made before it was bound.
   */
  launchTime?: string;
}

interface StopAfter {
  state: string;
  /** Nothing was stopped by trimtab: it was stopped, terminated or gone already. */
  alreadyDone?: string;
  stoppedAt?: string;
}

export const stopInstance: Remediator<StopParams, Record<string, never>> = {
  id: 'stop-instance',
  resource: 'ec2-instance',
  title: 'Stop the instance (EBS-backed, outside Auto Scaling groups); undo starts it again',
  options: z.object({}),
  permissions: ['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes', 'ec2:StopInstances', 'ec2:StartInstances'],
  // Stopping takes a server away: a person approves unless the policy says otherwise.
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "What was in memory (processes, caches) and on instance-store volumes is lost on stop; without an Elastic IP the public IPv4 address is released and the restart gets a new one; work the instance would have done while stopped is not replayed.",

  plan(finding) {
    const before = finding.before as InstanceBefore;
    const volumes = before.volumeIds.length;
    return {
      kind: 'change',
      summary: `Stop ${before.instanceId} (${before.instanceType}): saves about $${usd(finding.savings.monthlyUsd)}/month of compute; its ${volumes} EBS volume${volumes === 1 ? '' : 's'} stay${volumes === 1 ? 's' : ''} billed.`,
      params: { instanceId: before.instanceId, instanceType: before.instanceType, ...(before.launchTime ? { launchTime: before.launchTime } : {}), ...(before.allowInstanceStoreLoss ? { allowInstanceStoreLoss: true } : {}) },
      undo: `trimtab undo starts it again (StartInstances) while it is still stopped as trimtab left it; it is refused if the instance was started, terminated or is gone.${before.publicIpv4 === 'ephemeral' ? ' Its public IPv4 address is released by the stop: started again, it gets a new one (it has no Elastic IP).' : ''}${before.allowInstanceStoreLoss ? ' Its instance-store volumes come back empty.' : ''}`,
      undoLimits: `What was in memory (processes, caches) is lost on stop${before.allowInstanceStoreLoss ? ', and so is the data on its instance-store volumes' : ''}${before.publicIpv4 === 'ephemeral' ? '; its public IPv4 address is released and the restart gets a new one' : ''}; work it would have done while stopped is not replayed.`,
    };
  },

  async apply(ctx, plan) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = plan.params.instanceId;
    const current = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!current) return { after: { state: 'gone', alreadyDone: 'gone' } satisfies StopAfter, detail: `${id} no longer exists (${NOT_FOUND}): counts as done` };
    if (current.state === 'stopped' || current.state === 'terminated' || current.state === 'shutting-down') {
      return { before: current, after: { state: current.state, alreadyDone: current.state } satisfies StopAfter, detail: `${id} is already ${current.state}: counts as done` };
    }
    // Bound to what was approved: the same run of the instance (LaunchTime), on the same type.
    if (plan.params.launchTime && current.launchTime !== plan.params.launchTime) {
      throw new ProtectedResourceError(`${id} was launched again at ${current.launchTime ?? 'an unknown time'} since the finding (planned on LaunchTime ${plan.params.launchTime}): the idle days were measured before, so trimtab leaves it alone`);
    }
    if (current.instanceType !== plan.params.instanceType) throw new ProtectedResourceError(`${id} now runs ${current.instanceType}, not ${plan.params.instanceType} as planned: someone changed it since, so trimtab leaves it alone`);
    if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}`);
    // The type decides whether it has instance-store volumes; an unknown type counts as having them.
    const storage = await readInstanceStorage(ec2, [current.instanceType], new Map());
    const withStorage = { ...current, instanceStorageGb: storage.get(current.instanceType) ?? null };
    const protection = stopProtection(withStorage, plan.params.allowInstanceStoreLoss);
    if (protection) throw new ProtectedResourceError(`${id}: ${protection}`);
    try {
      const out = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      const state = out.StoppingInstances?.[0]?.CurrentState?.Name ?? 'stopping';
      return { before: current, after: { state, stoppedAt: ctx.now.toISOString() } satisfies StopAfter, detail: `stop requested (${state})` };
    } catch (error) {
      if (awsErrorName(error) === NOT_FOUND) return { after: { state: 'gone', alreadyDone: 'gone' } satisfies StopAfter, detail: `${id} vanished (${NOT_FOUND}): counts as done` };
      if (awsErrorName(error) === 'UnsupportedOperation') throw new ProtectedResourceError(`${id}: ${errorMessage(error)}`, { cause: error });
      throw error;
    }
  },

  async verify(ctx, plan, applied) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = plan.params.instanceId;
    const now = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!now) return (applied.after as StopAfter).alreadyDone ? { ok: true, detail: `${id} is gone` } : { ok: false, detail: `${id} disappeared after the stop` };
    if (['stopping', 'stopped', 'terminated', 'shutting-down'].includes(now.state)) return { ok: true, detail: `${id} is ${now.state}` };
    return { ok: false, detail: `${id} is still ${now.state} after the stop` };
  },

  async undo(ctx, record) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = record.resource.id;
    const after = record.after as StopAfter | undefined;
    if (after?.alreadyDone) throw new UndoRefusedError(`${id} was already ${after.alreadyDone} when trimtab acted: trimtab stopped nothing, so it starts nothing.`);
    const now = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!now || now.state === 'terminated' || now.state === 'shutting-down') throw new UndoRefusedError(`${id} is ${now?.state ?? 'gone'} since trimtab stopped it: it cannot be started.`);
    // Still on its way down from trimtab's stop: StartInstances would fail (IncorrectInstanceState).
    if (now.state === 'stopping') throw new UndoRefusedError(`${id} is still stopping after trimtab's stop: try the undo again in a minute or two, once it is stopped. Nothing was changed.`);
    if (now.state !== 'stopped') throw new UndoRefusedError(`${id} is ${now.state}, not stopped as trimtab left it: someone changed it since, so trimtab leaves it alone.`);
    // Stopped, but by a later stop (someone started and stopped it again): not trimtab's state to undo.
    if (after?.stoppedAt && now.stateChangedAt && Date.parse(now.stateChangedAt) > Date.parse(after.stoppedAt) + 60_000) {
      throw new UndoRefusedError(`${id} was stopped again at ${now.stateChangedAt}, after trimtab stopped it at ${after.stoppedAt}: someone changed it since, so trimtab leaves it alone.`);
    }
    const out = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    const state = out.StartingInstances?.[0]?.CurrentState?.Name ?? 'pending';
    return { detail: `Started ${id} again (${state}).`, after: { state } };
  },
};
