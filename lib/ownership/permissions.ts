/** The IAM actions ownership needs for a policy (lib/deploy/iam.ts adds them to the policy's function roles). */
import type { IamStatement } from '../deploy/iam-statement.ts';
import type { Policy } from '../policy/load.ts';
import { UNTAGGED_BY_CLOUDFORMATION } from './owners.ts';

export function ownershipPermissions(policy: Pick<Policy, 'resource' | 'action' | 'owned'>, options: { withRemediation: boolean }): string[] {
  if (!policy.action) return [];
  const actions: string[] = [];
  // The engine hook indexes the stacks' resources of untagged types (DynamoDB tables) once per run and region.
  if (UNTAGGED_BY_CLOUDFORMATION.has(policy.resource)) actions.push('cloudformation:ListStacks', 'cloudformation:ListStackResources');
  if (policy.owned?.choice === 'via-owner') actions.push('cloudformation:DescribeStackResources');
  // After a direct change to a stack-owned resource, the record says what drift detection finds.
  if (policy.owned?.choice === 'direct' && options.withRemediation) actions.push('cloudformation:DetectStackResourceDrift');
  if (policy.owned?.choice === 'via-owner') {
    // Read-only checks before approval, in every mode.
    actions.push('cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'eks:DescribeNodegroup',
      'elasticbeanstalk:DescribeEnvironments', 'elasticbeanstalk:DescribeEnvironmentResources', 'elasticbeanstalk:DescribeConfigurationSettings');
    // UpdateEnvironment: Beanstalk then updates the environment's own stack with its service role's or the caller's permissions
    // (InsufficientPrivilegesException otherwise); the operator grants what their environments need (docs/ownership.md).
    if (options.withRemediation) actions.push('cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet', 'cloudformation:DetectStackResourceDrift', 'eks:UpdateNodegroupConfig', 'eks:DescribeUpdate', 'elasticbeanstalk:UpdateEnvironment');
  }
  return actions;
}

/** Text Fn::Sub must take as it is: its `${` written as Fn::Sub's literal `${!`. */
const subLiteral = (text: string) => text.replaceAll('${', '${!');

/**
 * s3:GetObject on exactly the Terraform state files the policies name (owned.terraformState), and on
 * nothing else: a state holds every attribute of every resource, secrets included. One Allow, or
 * none. The object ARN is in the stack's partition (`Fn::Sub` with ${AWS::Partition}; `trimtab permissions`
 * puts in the partition it is given; a `${` in a key is written `${!`, Fn::Sub's literal); keys with wildcards are refused by the policy schema.
 */
export function terraformStateStatements(policies: Array<Pick<Policy, 'action' | 'owned'>>): IamStatement[] {
  const arns = [...new Set(policies.filter((p) => p.action).flatMap((p) => (p.owned?.terraformState ?? []).map((r) => `arn:${'${AWS::Partition}'}:s3:::${subLiteral(r.bucket)}/${subLiteral(r.key)}`)))].sort().map((arn) => ({ 'Fn::Sub': arn }));
  return arns.length ? [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: arns.length === 1 ? arns[0] : arns }] : [];
}
