/**
 * IAM for the functions, derived from what the registered elements declare. Writes get the
 * narrowest resource ARN AWS supports for the action; reads that AWS only authorises on "*"
 * (Describe*, List*) stay on "*".
 */
import { ownershipPermissions } from '../ownership/permissions.ts';
import '../resources/index.ts';
import type { Policy } from '../policy/load.ts';
import { detectors, remediators, resourceTypes } from '../resources/registry.ts';
import { isReadOnlyOperation } from '../aws/operations.ts';

import type { IamStatement } from './iam-statement.ts';
export type { IamStatement } from './iam-statement.ts';

const sub = (arn: string) => ({ 'Fn::Sub': arn });
const SNAPSHOT_ARN = sub('arn:${AWS::Partition}:ec2:*::snapshot/*');
// In the stack's partition (arn:aws-cn:s3:::* in China): a literal arn:aws: names no bucket there.
const S3_BUCKETS = sub('arn:${AWS::Partition}:s3:::*');
const rdsArn = (type: string) => sub(`arn:${'${AWS::Partition}'}:rds:*:${'${AWS::AccountId}'}:${type}:*`);
const RDS_DB_ARN = rdsArn('db');

/** The narrowest resource ARN for actions that support resource-level permissions. */
export const RESOURCE_ARNS: Record<string, unknown> = {
  's3:PutLifecycleConfiguration': S3_BUCKETS,
  's3:GetLifecycleConfiguration': S3_BUCKETS,
  's3:GetBucketTagging': S3_BUCKETS,
  's3:GetBucketVersioning': S3_BUCKETS,
  's3:ListBucketMultipartUploads': S3_BUCKETS,
  // EC2 snapshot ARNs carry no account (arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId},
  // Service Authorization Reference): an ARN with the account id in it never matches a snapshot.
  'ec2:DeleteSnapshot': SNAPSHOT_ARN,
  'ec2:ModifySnapshotTier': SNAPSHOT_ARN,
  'ec2:RestoreSnapshotFromRecycleBin': SNAPSHOT_ARN,
  'ec2:RestoreSnapshotTier': SNAPSHOT_ARN,
  // trimtab tags snapshots (before a delete, so Recycle Bin rules match), volumes, and new snapshots/addresses on create.
  'ec2:CreateTags': [SNAPSHOT_ARN, sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'), sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*')],
  'ec2:DeleteTags': [SNAPSHOT_ARN, sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*')],
  'ec2:DeleteVolume': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'),
  'ec2:ModifyVolume': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'),
  // CreateVolume is authorised on the new volume and on its source snapshot.
  'ec2:CreateVolume': [sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*'), SNAPSHOT_ARN],
  // Recovering an address (undo) also names the pool it comes from (BYOIP).
  'ec2:AllocateAddress': [sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*'), sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:ipv4pool-ec2/*')],
  'ec2:StopInstances': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*'),
  'ec2:StartInstances': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*'),
  // change-instance-type (ec2-instance right-sizing): the instance is the resource (Service Authorization Reference, Amazon EC2).
  'ec2:ModifyInstanceAttribute': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*'),
  // CreateSnapshot authorises on the new snapshot and on the source volume (both required).
  'ec2:CreateSnapshot': [SNAPSHOT_ARN, sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:volume/*')],
  'ec2:ReleaseAddress': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*'),
  // Recycle Bin authorises CreateRule on the rule resource (rule*), like every other rbin write.
  'rbin:CreateRule': sub('arn:${AWS::Partition}:rbin:*:${AWS::AccountId}:rule/*'),
  // CreateRule with Tags also authorises rbin:TagResource (tag on create).
  'rbin:TagResource': sub('arn:${AWS::Partition}:rbin:*:${AWS::AccountId}:rule/*'),
  'events:PutEvents': sub('arn:${AWS::Partition}:events:*:${AWS::AccountId}:event-bus/*'),
  'autoscaling:PutScalingPolicy': sub('arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*'),
  'autoscaling:UpdateAutoScalingGroup': sub('arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*'),
  // rightsize-launch-template (asg): a new launch template version, a refresh of the group, and the RunInstances
  // check Auto Scaling makes when a group is pointed at a launch template (EC2 Auto Scaling User Guide, "API permissions").
  'ec2:CreateLaunchTemplateVersion': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:launch-template/*'),
  // Compensation of a failed group update, and undo of a $Latest group: only versions trimtab created (checked in code).
  'ec2:DeleteLaunchTemplateVersions': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:launch-template/*'),
  // Only through a launch template of this account, every resource from the template (ACTION_CONDITIONS).
  'ec2:RunInstances': [sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:*'), sub('arn:${AWS::Partition}:ec2:*::image/*'), SNAPSHOT_ARN],
  'autoscaling:StartInstanceRefresh': sub('arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/*'),
  'logs:PutRetentionPolicy': sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*'),
  'logs:DeleteRetentionPolicy': sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*'),
  // RDS (rds-instance). Resource types from the Service Authorization Reference: writes on a DB
  // instance name db*; CreateDBSnapshot also the new snapshot*; RestoreDBInstanceFromDBSnapshot the new
  // db*, the snapshot* and the option/parameter/subnet groups it names; tagging any of them.
  'rds:StopDBInstance': RDS_DB_ARN,
  'rds:StartDBInstance': RDS_DB_ARN,
  'rds:ModifyDBInstance': [RDS_DB_ARN, rdsArn('og'), rdsArn('pg'), rdsArn('secgrp')],
  'rds:DeleteDBInstance': RDS_DB_ARN,
  'rds:CreateDBSnapshot': [RDS_DB_ARN, rdsArn('snapshot')],
  'rds:RestoreDBInstanceFromDBSnapshot': [RDS_DB_ARN, rdsArn('snapshot'), rdsArn('og'), rdsArn('pg'), rdsArn('subgrp')],
  'rds:AddTagsToResource': [RDS_DB_ARN, rdsArn('snapshot'), rdsArn('cluster')],
  'rds:RemoveTagsFromResource': [RDS_DB_ARN, rdsArn('snapshot'), rdsArn('cluster')],
  'rds:ModifyDBCluster': rdsArn('cluster'),
  // lambda-function: set-memory writes $LATEST's configuration; Logs Insights queries read log groups (StartQuery authorises on log-group).
  'lambda:UpdateFunctionConfiguration': sub('arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:*'),
  'logs:StartQuery': sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*'),
  // dynamodb-table: capacity and mode changes on tables; Application Auto Scaling targets
  // (scalable-target resource type) and the alarms target tracking creates with the caller's rights.
  'dynamodb:UpdateTable': sub('arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/*'),
  'application-autoscaling:PutScalingPolicy': sub('arn:${AWS::Partition}:application-autoscaling:*:${AWS::AccountId}:scalable-target/*'),
  'application-autoscaling:RegisterScalableTarget': sub('arn:${AWS::Partition}:application-autoscaling:*:${AWS::AccountId}:scalable-target/*'),
  'cloudwatch:PutMetricAlarm': sub('arn:${AWS::Partition}:cloudwatch:*:${AWS::AccountId}:alarm:*'),
  'cloudwatch:DeleteAlarms': sub('arn:${AWS::Partition}:cloudwatch:*:${AWS::AccountId}:alarm:*'),
  // Owned resources through their owner (lib/ownership, via-owner): change sets on this account's stacks, node group sizes.
  'cloudformation:CreateChangeSet': sub('arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/*/*'),
  'cloudformation:ExecuteChangeSet': sub('arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/*/*'),
  'cloudformation:DeleteChangeSet': sub('arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/*/*'),
  'cloudformation:DetectStackResourceDrift': sub('arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/*/*'),
  'eks:UpdateNodegroupConfig': sub('arn:${AWS::Partition}:eks:*:${AWS::AccountId}:nodegroup/*/*/*'),
  // Elastic Beanstalk option settings (via-owner): environments of this account (Service Authorization Reference, environment resource type).
  'elasticbeanstalk:UpdateEnvironment': sub('arn:${AWS::Partition}:elasticbeanstalk:*:${AWS::AccountId}:environment/*/*'),
};

/** The price lookup's one call (no resource-level permissions). */
export const PRICE_LIST_ACTION = 'pricing:GetProducts';
/** The price cache's daily check of the price list's publication date (lib/pricing/lookup.ts, ListPriceLists; no resource-level permissions). */
export const PRICE_LIST_VERSION_ACTION = 'pricing:ListPriceLists';

/** The IAM actions the given policies need: listing always, remediation only when `withRemediation`. */
export function actionsFor(policies: Policy[], options: { withRemediation: boolean }): string[] {
  const actions = new Set<string>();
  // Savings are priced from the AWS Price List per region (issue 27, lib/pricing/lookup.ts): a read, Resource "*".
  if (policies.length) {
    actions.add(PRICE_LIST_ACTION);
    actions.add(PRICE_LIST_VERSION_ACTION);
  }
  for (const policy of policies) {
    for (const action of resourceTypes.get(policy.resource).permissions) actions.add(action);
    for (const action of detectors(policy.resource).get(policy.detector.type).permissions ?? []) actions.add(action);
    if (options.withRemediation && policy.action) {
      for (const action of remediators(policy.resource).get(policy.action.type).permissions) actions.add(action);
    }
    // Owned resources (lib/ownership): the owner lookups, and the owner's writes for via-owner policies.
    for (const action of ownershipPermissions(policy, options)) actions.add(action);
  }
  return [...actions].sort();
}

const isRead = (action: string) => {
  const [service, operation] = action.split(':');
  return isReadOnlyOperation(service, operation);
};

/**
 * Conditions an Allow carries beyond its resource ARN (IAM as the second lock, issue 24 point 6).
 * Sources: the Service Authorization Reference (condition keys per action) and the guides named.
 */
export const ACTION_CONDITIONS: Record<string, Record<string, Record<string, unknown>>> = {
  // rightsize-launch-template: Auto Scaling checks ec2:RunInstances when a group is pointed at a launch
  // template. Only a launch template of this account, and every resource of the launch taken from it
  // (EC2 User Guide, "Use launch templates to control launching instances": ec2:LaunchTemplate,
  // ec2:IsLaunchTemplateResource): no other image, snapshot, subnet or profile can be named in the call.
  'ec2:RunInstances': {
    ArnLike: { 'ec2:LaunchTemplate': sub('arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:launch-template/*') },
    Bool: { 'ec2:IsLaunchTemplateResource': 'true' },
  },
  // change-instance-type sets one attribute, the instance type. ec2:Attribute names the attribute a
  // ModifyInstanceAttribute call sets (Service Authorization Reference); where AWS puts it in the
  // request context anything else (user data, shutdown behaviour, termination protection, security
  // groups) is refused. IfExists: the key's presence per attribute is not documented (belief), and a
  // resize must not fail on its absence.
  'ec2:ModifyInstanceAttribute': {
    StringEqualsIgnoreCaseIfExists: { 'ec2:Attribute': 'instanceType' },
  },
};

/** The skip tag trimtab honours in code (lib/engine/scope.ts SKIP_TAG), as an IAM condition: the tag is present, whatever its value. */
export const SKIP_TAG_CONDITION = { Null: { 'aws:ResourceTag/trimtab:skip': 'false' } };

/**
 * Writes whose resource AWS authorises with `aws:ResourceTag` (Service Authorization Reference,
 * condition keys of the action's resource type): an explicit Deny refuses them on a resource
 * tagged `trimtab:skip`, so the tag holds even if trimtab's own check had a bug. For a resource the
 * call creates (a new snapshot, a new volume) the key is absent and the Deny does not apply.
 *
 * Not expressible, and so resting on trimtab's code alone (docs/security.md, "IAM and local files"):
 * s3:PutLifecycleConfiguration (bucket actions are not authorised on the bucket's tags unless the
 * bucket opts in to attribute-based access control); application-autoscaling:* and cloudwatch alarm
 * writes (the tag is on the DynamoDB table, not on the scalable target or the alarm trimtab creates);
 * rbin:CreateRule, rbin:TagResource, ec2:AllocateAddress, events:PutEvents (they create, or act on
 * trimtab's own resources).
 */
export const SKIP_TAG_DENY_ACTIONS = new Set<string>([
  'autoscaling:PutScalingPolicy',
  'autoscaling:StartInstanceRefresh',
  'autoscaling:UpdateAutoScalingGroup',
  'dynamodb:UpdateTable',
  'ec2:CreateLaunchTemplateVersion',
  'ec2:CreateSnapshot',
  'ec2:CreateTags',
  'ec2:CreateVolume',
  'ec2:DeleteSnapshot',
  'ec2:DeleteTags',
  'ec2:DeleteVolume',
  'ec2:ModifyInstanceAttribute',
  'ec2:ModifySnapshotTier',
  'ec2:ModifyVolume',
  'ec2:ReleaseAddress',
  'ec2:RestoreSnapshotFromRecycleBin',
  'ec2:RestoreSnapshotTier',
  'ec2:RunInstances',
  'ec2:StartInstances',
  'ec2:StopInstances',
  'lambda:UpdateFunctionConfiguration',
  'logs:DeleteRetentionPolicy',
  'logs:PutRetentionPolicy',
  'rds:AddTagsToResource',
  'rds:CreateDBSnapshot',
  'rds:DeleteDBInstance',
  'rds:ModifyDBCluster',
  'rds:ModifyDBInstance',
  'rds:RemoveTagsFromResource',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:StartDBInstance',
  'rds:StopDBInstance',
]);

/** Names of trimtab's own functions and log groups (serverless.yml: trimtab-<stage>-<function>). */
const OWN_FUNCTIONS = sub('arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:trimtab-*');
const RETENTION_GUARDED_LOG_GROUPS = [
  // trimtab's own functions' logs.
  sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:/aws/lambda/trimtab-*'),
  // CloudTrail's log groups under the names the CloudTrail console proposes (a trail's log group name
  // is the account's choice: any other name is guarded by the trimtab:skip tag, or not at all).
  sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:aws-cloudtrail-logs-*'),
  sub('arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:CloudTrail/*'),
];

/** The explicit Denies that go with the writes in `actions` (an explicit Deny wins over any Allow). */
export function guardStatements(actions: string[]): IamStatement[] {
  const has = new Set(actions);
  const out: IamStatement[] = [];
  const skip = actions.filter((a) => SKIP_TAG_DENY_ACTIONS.has(a)).sort();
  if (skip.length) out.push({ Effect: 'Deny', Action: skip, Resource: '*', Condition: SKIP_TAG_CONDITION });
  // RDS also keeps its own tag key for DB resources; deny deletes on either key.
  if (has.has('rds:DeleteDBInstance')) out.push({ Effect: 'Deny', Action: ['rds:DeleteDBInstance'], Resource: '*', Condition: { Null: { 'rds:db-tag/trimtab:skip': 'false' } } });
  if (has.has('lambda:UpdateFunctionConfiguration')) {
    // set-memory never touches trimtab's own functions, and never sets layers (a layer is code run inside the function).
    out.push({ Effect: 'Deny', Action: ['lambda:UpdateFunctionConfiguration'], Resource: OWN_FUNCTIONS });
    out.push({ Effect: 'Deny', Action: ['lambda:UpdateFunctionConfiguration'], Resource: '*', Condition: { Null: { 'lambda:Layer': 'false' } } });
  }
  const retention = ['logs:DeleteRetentionPolicy', 'logs:PutRetentionPolicy'].filter((a) => has.has(a));
  if (retention.length) out.push({ Effect: 'Deny', Action: retention, Resource: RETENTION_GUARDED_LOG_GROUPS });
  return out;
}

/**
 * Group actions into statements: one per resource ARN (and condition), reads without a narrower
 * ARN on "*"; then the explicit Denies that guard the writes (guardStatements).
 */
export function statementsFor(actions: string[]): IamStatement[] {
  const byResource = new Map<string, { resource: unknown; condition?: IamStatement['Condition']; actions: string[] }>();
  for (const action of actions) {
    const resource = RESOURCE_ARNS[action] ?? '*';
    if (resource === '*' && !isRead(action)) {
      // A write with no narrower ARN known: allowed only where AWS itself supports no resource-level permission.
      // Such actions are listed in WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL, and the least-privilege test checks the list.
      if (!WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action)) throw new Error(`IAM: no resource ARN is known for the write action ${action}; add it to RESOURCE_ARNS in lib/deploy/iam.ts`);
    }
    const condition = ACTION_CONDITIONS[action];
    const key = JSON.stringify([resource, condition ?? null]);
    const entry = byResource.get(key) ?? { resource, condition, actions: [] };
    entry.actions.push(action);
    byResource.set(key, entry);
  }
  const allows: IamStatement[] = [...byResource.values()].map(({ resource, condition, actions: a }) => ({ Effect: 'Allow', Action: a.sort(), Resource: resource, ...(condition ? { Condition: condition } : {}) }));
  return [...allows, ...guardStatements(actions)];
}

/**
 * Writes AWS only authorises on "*": the Service Authorization Reference lists no resource
 * type for them. Checked against the reference (test/package/least-privilege.test.ts keeps a
 * list of writes that DO have resource types: ec2:CreateSnapshot (snapshot*, volume*),
 * ec2:ReleaseAddress (elastic-ip*), rbin:CreateRule (rule*), events:PutEvents (event-bus*)
 * were here by mistake and now get ARNs above).
 */
export const WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL = new Set<string>([
  'cloudwatch:PutMetricData',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);
