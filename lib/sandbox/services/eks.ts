/**
 * Sandbox EKS (restJson1): managed node groups as lib/ownership uses them. Each node group owns
 * an Auto Scaling group in the sandbox's Auto Scaling state (tags eks:cluster-name and
 * eks:nodegroup-name, as EKS tags the groups it creates).
 *
 * - DescribeNodegroup: ResourceNotFoundException (404) for an unknown cluster or node group.
 * - UpdateNodegroupConfig scalingConfig: sizes must keep minSize <= desiredSize <= maxSize, minSize
 *   >= 0 and maxSize >= 1 (InvalidParameterException, 400); one update at a time: while the node
 *   group is UPDATING another update is ResourceInUseException (409). The update is InProgress for
 *   an AWS-like minute, then Successful with the sizes written to the group (status ACTIVE).
 * - DescribeUpdate reads an update by id.
 */
import { awsError, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';
import { autoscalingState } from './autoscaling.ts';

export interface SandboxNodegroup {
  cluster: string;
  name: string;
  /** The Auto Scaling group EKS made for it. */
  asg: string;
  createdAt: string;
  status: 'ACTIVE' | 'UPDATING' | 'DEGRADED';
  instanceTypes: string[];
  updates: Array<{ id: string; createdAt: string; doneAt: string; status: 'InProgress' | 'Successful' | 'Failed'; sizes: { minSize: number; maxSize: number; desiredSize: number } }>;
}

export interface EksState {
  nodegroups: Record<string, SandboxNodegroup>;
}

export const eksState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<EksState>(account, region, 'eks', () => ({ nodegroups: {} }));

export const NODEGROUP_UPDATE_MS = 60_000;

const key = (cluster: string, name: string) => `${cluster}/${name}`;

/** Seeds a node group over an existing Auto Scaling group (the caller adds the group with its eks:* tags). */
export function addNodegroup(sandbox: Sandbox, accountId: string, region: string, ng: { cluster: string; name: string; asg: string; instanceTypes: string[] }) {
  const state = eksState(sandbox, sandbox.account(accountId), region);
  state.nodegroups[key(ng.cluster, ng.name)] = { ...ng, createdAt: sandbox.now().toISOString(), status: 'ACTIVE', updates: [] };
}

function settle(sandbox: Sandbox, account: AccountState, region: string, ng: SandboxNodegroup, now: Date) {
  for (const u of ng.updates) {
    if (u.status !== 'InProgress' || Date.parse(u.doneAt) > now.getTime()) continue;
    const g = autoscalingState(sandbox, account, region).groups[ng.asg];
    if (g) {
      g.minSize = u.sizes.minSize;
      g.maxSize = u.sizes.maxSize;
      g.desiredCapacity = u.sizes.desiredSize;
    }
    u.status = 'Successful';
    ng.status = 'ACTIVE';
  }
}

function find(sandbox: Sandbox, account: AccountState, region: string, cluster: string, name: string, now: Date): SandboxNodegroup {
  const ng = eksState(sandbox, account, region).nodegroups[key(cluster, name)];
  if (!ng) throw awsError('ResourceNotFoundException', `No node group found for name: ${name}.`, 404);
  settle(sandbox, account, region, ng, now);
  return ng;
}

function sizesOf(sandbox: Sandbox, account: AccountState, region: string, ng: SandboxNodegroup) {
  const g = autoscalingState(sandbox, account, region).groups[ng.asg];
  return { minSize: g?.minSize ?? 0, maxSize: g?.maxSize ?? 0, desiredSize: g?.desiredCapacity ?? 0 };
}

export const eksService: SandboxService = {
  id: 'eks',
  operations: {
    DescribeNodegroup(input, { sandbox, account, region, now }) {
      const ng = find(sandbox, account, region, input.clusterName, input.nodegroupName, now);
      return {
        nodegroup: {
          nodegroupName: ng.name,
          nodegroupArn: `arn:aws:eks:${region}:${account.id}:nodegroup/${ng.cluster}/${ng.name}/00000000-0000-0000-0000-000000000000`,
          clusterName: ng.cluster,
          status: ng.status,
          capacityType: 'ON_DEMAND',
          instanceTypes: ng.instanceTypes,
          scalingConfig: sizesOf(sandbox, account, region, ng),
          createdAt: new Date(ng.createdAt),
          resources: { autoScalingGroups: [{ name: ng.asg }] },
        },
      };
    },

    UpdateNodegroupConfig(input, { sandbox, account, region, now }) {
      const ng = find(sandbox, account, region, input.clusterName, input.nodegroupName, now);
      if (ng.status === 'UPDATING') throw awsError('ResourceInUseException', `Nodegroup ${ng.name} is currently in UPDATING state; it cannot be updated.`, 409);
      const sizes = { ...sizesOf(sandbox, account, region, ng), ...(input.scalingConfig ?? {}) };
      if (sizes.minSize < 0) throw awsError('InvalidParameterException', 'Minimum capacity must be greater than or equal to 0', 400);
      if (sizes.maxSize < 1) throw awsError('InvalidParameterException', 'Maximum capacity must be greater than or equal to 1', 400);
      if (sizes.minSize > sizes.maxSize) throw awsError('InvalidParameterException', `Minimum capacity ${sizes.minSize} can't be greater than maximum capacity ${sizes.maxSize}`, 400);
      if (sizes.desiredSize < sizes.minSize || sizes.desiredSize > sizes.maxSize) throw awsError('InvalidParameterException', `Desired capacity ${sizes.desiredSize} must be between minimum ${sizes.minSize} and maximum ${sizes.maxSize}`, 400);
      const id = sandbox.mintId('upd').slice(4);
      const update = { id, createdAt: now.toISOString(), doneAt: new Date(now.getTime() + sandbox.duration(NODEGROUP_UPDATE_MS)).toISOString(), status: 'InProgress' as const, sizes };
      ng.updates.push(update);
      ng.status = 'UPDATING';
      settle(sandbox, account, region, ng, now);
      return { update: { id, status: 'InProgress', type: 'ConfigUpdate', createdAt: now, params: Object.entries(sizes).map(([k, v]) => ({ type: k === 'minSize' ? 'MinSize' : k === 'maxSize' ? 'MaxSize' : 'DesiredSize', value: String(v) })), errors: [] } };
    },

    DescribeUpdate(input, { sandbox, account, region, now }) {
      const ng = find(sandbox, account, region, input.name, input.nodegroupName, now);
      const u = ng.updates.find((x) => x.id === input.updateId);
      if (!u) throw awsError('ResourceNotFoundException', `No update found for ID: ${input.updateId}`, 404);
      return { update: { id: u.id, status: u.status, type: 'ConfigUpdate', createdAt: new Date(u.createdAt), errors: [] } };
    },
  },
};
