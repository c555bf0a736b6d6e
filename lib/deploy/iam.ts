/**
 * IAM for the functions, derived from what the registered elements declare. Writes get the
 * narrowest resource ARN AWS supports for the action; reads that AWS only authorises on "*"
 * (Describe*, List*) stay on "*".
 */
import '../resources/index.ts';
import type { Policy } from '../policy/load.ts';
import { detectors, remediators, resourceTypes } from '../resources/registry.ts';
import { isReadOnlyOperation } from '../aws/operations.ts';

export interface IamStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: unknown;
}

const sub = (arn: string) => ({ 'Fn::Sub': arn });

/** The narrowest resource ARN for actions that support resource-level permissions. */
export const RESOURCE_ARNS: Record<string, unknown> = {
  's3:PutLifecycleConfiguration': 'arn:aws:s3:::*',
  's3:GetLifecycleConfiguration': 'arn:aws:s3:::*',
  's3:GetBucketTagging': 'arn:aws:s3:::*',
  's3:GetBucketVersioning': 'arn:aws:s3:::*',
  's3:ListBucketMultipartUploads': 'arn:aws:s3:::*',
  'ec2:DeleteSnapshot': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:snapshot/*'),
  'ec2:ModifySnapshotTier': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:snapshot/*'),
  'ec2:RestoreSnapshotFromRecycleBin': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:snapshot/*'),
  'ec2:RestoreSnapshotTier': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:snapshot/*'),
  // trimtab tags only snapshots (before a delete, so Recycle Bin rules match) and volumes.
  'ec2:CreateTags': [
    sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:snapshot/*'),
    sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'),
    // Tag-on-create: CreateSnapshot (snapshot ARNs have no account) and AllocateAddress (undo of a release).
    sub('arn:${AWS::Partition}:ec2:*::snapshot/*'),
    sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*'),
  ],
  'ec2:DeleteTags': [sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:snapshot/*'), sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*')],
  'ec2:DeleteVolume': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'),
  'ec2:ModifyVolume': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'),
  // CreateSnapshot is authorised on the source volume and on the new snapshot; CreateVolume on the new volume and its source snapshot.
  'ec2:CreateSnapshot': [sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'), sub('arn:${AWS::Partition}:ec2:*::snapshot/*')],
  'ec2:CreateVolume': [sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'), sub('arn:${AWS::Partition}:ec2:*::snapshot/*')],
  'ec2:ReleaseAddress': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*'),
  // Recovering an address (undo) also names the pool it comes from (BYOIP).
  'ec2:AllocateAddress': [sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*'), sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:ipv4pool-ec2/*')],
  'ec2:StopInstances': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*'),
  'autoscaling:PutScalingPolicy': sub('arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*'),
  'autoscaling:UpdateAutoScalingGroup': sub('arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*'),
  'logs:PutRetentionPolicy': sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*'),
  'logs:DeleteRetentionPolicy': sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*'),
};

/** The IAM actions the given policies need: listing always, remediation only when `withRemediation`. */
export function actionsFor(policies: Policy[], options: { withRemediation: boolean }): string[] {
  const actions = new Set<string>();
  for (const policy of policies) {
    for (const action of resourceTypes.get(policy.resource).permissions) actions.add(action);
    for (const action of detectors(policy.resource).get(policy.detector.type).permissions ?? []) actions.add(action);
    if (options.withRemediation && policy.action) {
      for (const action of remediators(policy.resource).get(policy.action.type).permissions) actions.add(action);
    }
  }
  return [...actions].sort();
}

const isRead = (action: string) => {
  const [service, operation] = action.split(':');
  return isReadOnlyOperation(service, operation);
};

/** Group actions into statements: one per resource ARN, reads without a narrower ARN on "*". */
export function statementsFor(actions: string[]): IamStatement[] {
  const byResource = new Map<string, { resource: unknown; actions: string[] }>();
  for (const action of actions) {
    const resource = RESOURCE_ARNS[action] ?? '*';
    if (resource === '*' && !isRead(action)) {
      // A write with no narrower ARN known: allowed only where AWS itself supports no resource-level permission.
      // Such actions are listed in WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL, and the least-privilege test checks the list.
      if (!WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action)) throw new Error(`IAM: no resource ARN is known for the write action ${action}; add it to RESOURCE_ARNS in lib/deploy/iam.ts`);
    }
    const key = JSON.stringify(resource);
    const entry = byResource.get(key) ?? { resource, actions: [] };
    entry.actions.push(action);
    byResource.set(key, entry);
  }
  return [...byResource.values()].map(({ resource, actions: a }) => ({ Effect: 'Allow', Action: a.sort(), Resource: resource }));
}

/** Writes AWS only authorises on "*" (no resource-level permissions for these actions). */
export const WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL = new Set<string>([
  'rbin:CreateRule',
  'cloudwatch:PutMetricData',
  'events:PutEvents',
]);
