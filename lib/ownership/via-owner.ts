/**
 * Changes made through the owner instead of the resource (policy `owned.choice: via-owner`). The
 * engine routes a plan whose params carry `viaOwner` here instead of the resource's remediator
 * (lib/engine/run.ts); undo goes the same way (lib/engine/undo.ts).
 */
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import type { ActionRecord, AppliedChange, Plan, RegionContext, Verification } from '../engine/types.ts';
import { ProtectedResourceError, TrimtabError } from '../util/errors.ts';
import { driftOf, executeApprovedStackChange, executeStackChange, prepareStackChange } from './cloudformation.ts';
import type { NodegroupChange, TemplateChange } from './properties.ts';

export type ViaOwner =
  | {
      kind: 'cloudformation'; stackName: string; logicalId: string; physicalId: string; change: TemplateChange; changeSetName: string;
      /** Approval mode: the change set made and checked when approval was asked; the apply executes exactly this one. */
      changeSetId?: string;
      /** Approval mode: the stack's template (shortHash) when that change set was made; re-checked before executing it. */
      templateHash?: string;
    }
  | { kind: 'eks-nodegroup'; cluster: string; nodegroup: string; asg: string; change: NodegroupChange };

export const viaOwnerOf = (plan: Pick<Plan, 'params'> | { params?: unknown }): ViaOwner | undefined => (plan.params as { viaOwner?: ViaOwner } | undefined)?.viaOwner;

const POLL_MS = 10_000;
const MAX_POLLS = 120;

async function nodegroup(ctx: RegionContext, via: Extract<ViaOwner, { kind: 'eks-nodegroup' }>) {
  const out = await ctx.clients.get(EKSClient, ctx.region).send(new DescribeNodegroupCommand({ clusterName: via.cluster, nodegroupName: via.nodegroup }));
  return out.nodegroup!;
}

async function applyNodegroup(ctx: RegionContext, via: Extract<ViaOwner, { kind: 'eks-nodegroup' }>, change: NodegroupChange): Promise<AppliedChange> {
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
  const sizes = { minSize: ng.scalingConfig?.minSize ?? 0, maxSize: ng.scalingConfig?.maxSize ?? 0, desiredSize: ng.scalingConfig?.desiredSize ?? 0 };
  if (sizes[change.field] !== change.from) throw new ProtectedResourceError(`node group ${via.nodegroup} has ${change.field} ${sizes[change.field]} now, not ${change.from} as when detected; nothing was changed`);
  const next = { ...sizes, [change.field]: change.to };
  // Only the planned size is sent: EKS keeps the others. desiredSize is moved by the Cluster
  // Autoscaler and DescribeNodegroup's copy "can be out-of-date for short periods"; sending it back
  // would resize the group to a stale value (terminating nodes when it is lower): NodegroupScalingConfig.desiredSize.
  // EKS still checks minSize <= desiredSize <= maxSize against the sizes it has (InvalidParameterException).
  const out = await ctx.clients.get(EKSClient, ctx.region).send(new UpdateNodegroupConfigCommand({ clusterName: via.cluster, nodegroupName: via.nodegroup, scalingConfig: { [change.field]: change.to } }));
  for (let i = 0; ; i++) {
    const now = await nodegroup(ctx, via);
    if (now.status === 'ACTIVE') break;
    if (i >= MAX_POLLS) throw new TrimtabError(`node group ${via.nodegroup} is still ${now.status} after the update ${out.update?.id}`);
    await ctx.clock.sleep(POLL_MS);
  }
  return { before: sizes, after: next, detail: `EKS node group ${via.nodegroup} (${via.cluster}): ${change.field} ${change.from} → ${change.to} (update ${out.update?.id})` };
}

/** The change through the owner: the only writes of a via-owner plan. */
export async function applyViaOwner(ctx: RegionContext, plan: Pick<Plan, 'params'>): Promise<AppliedChange> {
  const via = viaOwnerOf(plan);
  if (!via) throw new TrimtabError('not a via-owner plan');
  if (via.kind === 'eks-nodegroup') return applyNodegroup(ctx, via, via.change);
  if (via.changeSetId) {
    if (!via.templateHash) throw new ProtectedResourceError(`the approved change set ${via.changeSetId} carries no template hash: nothing was executed`);
    const done = await executeApprovedStackChange(ctx, { ...via, changeSetId: via.changeSetId, templateHash: via.templateHash });
    return { after: { stack: via.stackName, logicalId: via.logicalId, property: via.change.path, value: via.change.to, changeSetId: via.changeSetId, stackStatus: done.status }, detail: done.summary };
  }
  const prepared = await prepareStackChange(ctx, via);
  const status = await executeStackChange(ctx, via.stackName, prepared.changeSetId);
  return { after: { stack: via.stackName, logicalId: via.logicalId, property: via.change.path, value: via.change.to, changeSetId: prepared.changeSetId, stackStatus: status }, detail: prepared.summary };
}

/** Re-reads through the owner: drift detection finds the resource in sync (CloudFormation), or the node group has the size. */
export async function verifyViaOwner(ctx: RegionContext, plan: Pick<Plan, 'params'>): Promise<Verification> {
  const via = viaOwnerOf(plan)!;
  if (via.kind === 'eks-nodegroup') {
    const ng = await nodegroup(ctx, via);
    const value = ng.scalingConfig?.[via.change.field];
    return value === via.change.to ? { ok: true, detail: `node group ${via.nodegroup} has ${via.change.field} ${value}` } : { ok: false, detail: `node group ${via.nodegroup} has ${via.change.field} ${value}, not ${via.change.to}` };
  }
  const drift = await driftOf(ctx, via.stackName, via.logicalId);
  return drift.status === 'IN_SYNC'
    ? { ok: true, detail: `stack ${via.stackName} UPDATE_COMPLETE; drift detection finds ${via.logicalId} IN_SYNC` }
    : { ok: false, detail: `drift detection finds ${via.logicalId} ${drift.status}${drift.differences.length ? `: ${drift.differences.join('; ')}` : ''}` };
}

/** Undo: the reverse change through the same owner (a reverse change set, or the old node group size). */
export async function undoViaOwner(ctx: RegionContext, record: ActionRecord): Promise<{ detail: string; after?: unknown }> {
  const via = viaOwnerOf(record)!;
  if (via.kind === 'eks-nodegroup') {
    const back = { ...via.change, from: via.change.to, to: via.change.from };
    const done = await applyNodegroup(ctx, via, back);
    return { detail: done.detail ?? 'reverted', after: done.after };
  }
  const { changeSetId: _approved, templateHash: _hash, ...forward } = via;
  const reverse = { ...forward, change: { ...via.change, from: via.change.to, to: via.change.from }, changeSetName: `${via.changeSetName}-undo` };
  const prepared = await prepareStackChange(ctx, reverse);
  await executeStackChange(ctx, via.stackName, prepared.changeSetId);
  return { detail: `reverse ${prepared.summary}`, after: { value: via.change.from } };
}
