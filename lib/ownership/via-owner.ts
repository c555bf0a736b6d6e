/**
 * Changes made through the owner instead of the resource (policy `owned.choice: via-owner`). The
 * engine routes a plan whose params carry `viaOwner` here instead of the resource's remediator
 * (lib/engine/run.ts); undo goes the same way (lib/engine/undo.ts).
 *
 * Every path is a multi-step write (ApplyEnv, lib/engine/types.ts): the write is sent once and
 * recorded as a step (`change-set-executed`, `nodegroup-update-sent`, `beanstalk-update-sent`)
 * before the wait for the owner to settle; with an ApplyEnv the wait is handed back as `resumeAt`
 * (the owner can take many minutes) and a resumed apply waits from the recorded step, never
 * sending the write again. Without one (undo, old callers) it waits inline, as before.
 */
import { DescribeNodegroupCommand, DescribeUpdateCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import type { ActionRecord, ApplyEnv, AppliedChange, Plan, RegionContext, Verification } from '../engine/types.ts';
import { pollUntilDeadline } from '../aws/wait.ts';
import { ownerStepLog as stepLog } from './steps.ts';
import { ProtectedResourceError, TrimtabError } from '../util/errors.ts';
import { applyBeanstalk, verifyBeanstalk, type BeanstalkVia } from './beanstalk.ts';
import { driftOf, executeStackChange, prepareStackChange, startApprovedStackChange, startStackChange, waitStackChange } from './cloudformation.ts';
import type { NodegroupChange, TemplateChange } from './properties.ts';

export type ViaOwner =
  | {
      kind: 'cloudformation'; stackName: string; logicalId: string; physicalId: string; change: TemplateChange; changeSetName: string;
      /** Approval mode: the change set made and checked when approval was asked; the apply executes exactly this one. */
      changeSetId?: string;
      /** Approval mode: the stack's template (shortHash) when that change set was made; re-checked before executing it. */
      templateHash?: string;
    }
  | { kind: 'eks-nodegroup'; cluster: string; nodegroup: string; asg: string; change: NodegroupChange }
  | BeanstalkVia;

export const viaOwnerOf = (plan: Pick<Plan, 'params'> | { params?: unknown }): ViaOwner | undefined => (plan.params as { viaOwner?: ViaOwner } | undefined)?.viaOwner;

/** The recorded steps of a via-owner apply (ApplyEnv.progress). */
export const VIA_OWNER_STEPS = { changeSetExecuted: 'change-set-executed', nodegroupUpdateSent: 'nodegroup-update-sent' } as const;

const POLL_MS = 10_000;
/** EKS updates a node group's scaling config in minutes; past this the action fails (the update goes on in EKS). */
export const NODEGROUP_WAIT_MS = 20 * 60_000;

async function nodegroup(ctx: RegionContext, via: Extract<ViaOwner, { kind: 'eks-nodegroup' }>) {
  const out = await ctx.clients.get(EKSClient, ctx.region).send(new DescribeNodegroupCommand({ clusterName: via.cluster, nodegroupName: via.nodegroup }));
  return out.nodegroup!;
}

async function applyNodegroup(ctx: RegionContext, via: Extract<ViaOwner, { kind: 'eks-nodegroup' }>, change: NodegroupChange, env?: ApplyEnv): Promise<AppliedChange> {
  const steps = stepLog(env, ctx.clock);
  const detail = `EKS node group ${via.nodegroup} (${via.cluster}): ${change.field} ${change.from} → ${change.to}`;
  let sent = steps.stepOf(VIA_OWNER_STEPS.nodegroupUpdateSent);
  let sizes: Record<NodegroupChange['field'], number> | undefined;
  if (!sent) {
    let ng;
    try {
      ng = await nodegroup(ctx, via);
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') throw new ProtectedResourceError(`EKS has no node group ${via.nodegroup} in cluster ${via.cluster}: the owner its tags claim is not confirmed, nothing was changed`);
      throw error;
    }
    // The tags are a claim: EKS itself must list this Auto Scaling group as the node group's.
    if (!ng.resources?.autoScalingGroups?.some((g) => g.name === via.asg)) throw new ProtectedResourceError(`node group ${via.nodegroup} of ${via.cluster} does not own Auto Scaling group ${via.asg} according to EKS; nothing was changed`);
    if (ng.status !== 'ACTIVE') throw new ProtectedResourceError(`node group ${via.nodegroup} is ${ng.status}, not ACTIVE: nothing was changed; the next run tries again`);
    sizes = { minSize: ng.scalingConfig?.minSize ?? 0, maxSize: ng.scalingConfig?.maxSize ?? 0, desiredSize: ng.scalingConfig?.desiredSize ?? 0 };
    if (sizes[change.field] !== change.from) throw new ProtectedResourceError(`node group ${via.nodegroup} has ${change.field} ${sizes[change.field]} now, not ${change.from} as when detected; nothing was changed`);
    // Only the planned size is sent: EKS keeps the others. desiredSize is moved by the Cluster
    // Autoscaler and DescribeNodegroup's copy "can be out-of-date for short periods"; sending it back
    // would resize the group to a stale value (terminating nodes when it is lower): NodegroupScalingConfig.desiredSize.
    // EKS still checks minSize <= desiredSize <= maxSize against the sizes it has (InvalidParameterException).
    const out = await ctx.clients.get(EKSClient, ctx.region).send(new UpdateNodegroupConfigCommand({ clusterName: via.cluster, nodegroupName: via.nodegroup, scalingConfig: { [change.field]: change.to } }));
    await steps.record(VIA_OWNER_STEPS.nodegroupUpdateSent, { updateId: out.update?.id, field: change.field, from: change.from, to: change.to, sizes });
    sent = steps.stepOf(VIA_OWNER_STEPS.nodegroupUpdateSent)!;
  }
  const updateId = sent.state?.updateId as string | undefined;
  sizes ??= sent.state?.sizes as Record<NodegroupChange['field'], number>;
  const polled = await pollUntilDeadline({
    clock: ctx.clock,
    deadline: Date.parse(sent.at) + NODEGROUP_WAIT_MS,
    pollMs: POLL_MS,
    ...(env ? { budget: env } : {}),
    // The update itself, by id (DescribeUpdate: Successful, or Failed / Cancelled with errors), not the
    // node group's status: a read right after the call can still show ACTIVE, and a failed update
    // leaves the node group ACTIVE too. Without an id (never expected), the status alone.
    check: async () => {
      if (!updateId) return (await nodegroup(ctx, via)).status === 'ACTIVE' ? true : undefined;
      const u = (await ctx.clients.get(EKSClient, ctx.region).send(new DescribeUpdateCommand({ name: via.cluster, nodegroupName: via.nodegroup, updateId }))).update;
      if (u?.status === 'Successful') return true;
      if (u?.status === 'Failed' || u?.status === 'Cancelled') throw new TrimtabError(`EKS update ${updateId} of node group ${via.nodegroup} is ${u.status}${u.errors?.length ? `: ${u.errors.map((e) => `${e.errorCode}: ${e.errorMessage}`).join('; ')}` : ''}`);
      return undefined;
    },
    timeout: () => new TrimtabError(`EKS update ${updateId} of node group ${via.nodegroup} is still not Successful ${NODEGROUP_WAIT_MS / 60_000} min after it was sent`),
  });
  if ('resumeAt' in polled) return { after: { nodegroup: via.nodegroup, updateId, waitingFor: 'Successful' }, resumeAt: polled.resumeAt, detail: `${detail}: update ${updateId} sent; waiting for it to be Successful` };
  return { before: sizes, after: { ...sizes, [change.field]: change.to }, detail: `${detail} (update ${updateId})` };
}

type CfnVia = Extract<ViaOwner, { kind: 'cloudformation' }>;

/**
 * Through the stack: (approval mode) the approved change set re-checked and executed, or (auto) a
 * change set made, checked and executed; recorded as `change-set-executed` before the wait for
 * UPDATE_COMPLETE, which a resumed apply continues.
 */
async function applyStack(ctx: RegionContext, via: CfnVia, env?: ApplyEnv): Promise<AppliedChange> {
  const steps = stepLog(env, ctx.clock);
  let executed = steps.stepOf(VIA_OWNER_STEPS.changeSetExecuted);
  if (!executed) {
    let changeSetId: string;
    let summary: string;
    let before: string | undefined;
    if (via.changeSetId) {
      if (!via.templateHash) throw new ProtectedResourceError(`the approved change set ${via.changeSetId} carries no template hash: nothing was executed`);
      const started = await startApprovedStackChange(ctx, { ...via, changeSetId: via.changeSetId, templateHash: via.templateHash });
      ({ changeSetId, summary, before } = { changeSetId: via.changeSetId, ...started });
    } else {
      const prepared = await prepareStackChange(ctx, via);
      changeSetId = prepared.changeSetId;
      summary = prepared.summary;
      ({ before } = await startStackChange(ctx, via.stackName, changeSetId));
    }
    await steps.record(VIA_OWNER_STEPS.changeSetExecuted, { changeSetId, summary, ...(before ? { lastUpdatedBefore: before } : {}) });
    executed = steps.stepOf(VIA_OWNER_STEPS.changeSetExecuted)!;
  }
  const state = executed.state as { changeSetId: string; summary: string; lastUpdatedBefore?: string };
  const done = await waitStackChange(ctx, via.stackName, state.lastUpdatedBefore, Date.parse(executed.at), env);
  const after = { stack: via.stackName, logicalId: via.logicalId, property: via.change.path, value: via.change.to, changeSetId: state.changeSetId };
  if ('resumeAt' in done) return { after: { ...after, waitingFor: 'UPDATE_COMPLETE' }, resumeAt: done.resumeAt, detail: `${state.summary}: executed; waiting for UPDATE_COMPLETE` };
  return { after: { ...after, stackStatus: done.value }, detail: state.summary };
}

/** The change through the owner: the only writes of a via-owner plan. */
export async function applyViaOwner(ctx: RegionContext, plan: Pick<Plan, 'params'>, env?: ApplyEnv): Promise<AppliedChange> {
  const via = viaOwnerOf(plan);
  if (!via) throw new TrimtabError('not a via-owner plan');
  if (via.kind === 'eks-nodegroup') return applyNodegroup(ctx, via, via.change, env);
  if (via.kind === 'elastic-beanstalk') return applyBeanstalk(ctx, via, via.setting, env);
  return applyStack(ctx, via, env);
}

/** Re-reads through the owner: drift detection finds the resource in sync (CloudFormation), the node group has the size, the environment the setting. */
export async function verifyViaOwner(ctx: RegionContext, plan: Pick<Plan, 'params'>): Promise<Verification> {
  const via = viaOwnerOf(plan)!;
  if (via.kind === 'eks-nodegroup') {
    const ng = await nodegroup(ctx, via);
    const value = ng.scalingConfig?.[via.change.field];
    return value === via.change.to ? { ok: true, detail: `node group ${via.nodegroup} has ${via.change.field} ${value}` } : { ok: false, detail: `node group ${via.nodegroup} has ${via.change.field} ${value}, not ${via.change.to}` };
  }
  if (via.kind === 'elastic-beanstalk') return verifyBeanstalk(ctx, via);
  const drift = await driftOf(ctx, via.stackName, via.logicalId);
  return drift.status === 'IN_SYNC'
    ? { ok: true, detail: `stack ${via.stackName} UPDATE_COMPLETE; drift detection finds ${via.logicalId} IN_SYNC` }
    : { ok: false, detail: `drift detection finds ${via.logicalId} ${drift.status}${drift.differences.length ? `: ${drift.differences.join('; ')}` : ''}` };
}

/** Undo: the reverse change through the same owner (a reverse change set, the old node group size, the previous option value). */
export async function undoViaOwner(ctx: RegionContext, record: ActionRecord): Promise<{ detail: string; after?: unknown }> {
  const via = viaOwnerOf(record)!;
  if (via.kind === 'eks-nodegroup') {
    const back = { ...via.change, from: via.change.to, to: via.change.from };
    const done = await applyNodegroup(ctx, via, back);
    return { detail: done.detail ?? 'reverted', after: done.after };
  }
  if (via.kind === 'elastic-beanstalk') {
    const back = { ...via.setting, from: via.setting.to, to: via.setting.from };
    const done = await applyBeanstalk(ctx, via, back);
    return { detail: `reverted: ${done.detail}`, after: done.after };
  }
  const { changeSetId: _approved, templateHash: _hash, ...forward } = via;
  const reverse = { ...forward, change: { ...via.change, from: via.change.to, to: via.change.from }, changeSetName: `${via.changeSetName}-undo` };
  const prepared = await prepareStackChange(ctx, reverse);
  await executeStackChange(ctx, via.stackName, prepared.changeSetId);
  return { detail: `reverse ${prepared.summary}`, after: { value: via.change.from } };
}
