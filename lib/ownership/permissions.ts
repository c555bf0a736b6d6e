/** The IAM actions ownership needs for a policy (lib/deploy/iam.ts adds them to the policy's function roles). */
import type { Policy } from '../policy/load.ts';
import { UNTAGGED_BY_CLOUDFORMATION } from './owners.ts';

export function ownershipPermissions(policy: Pick<Policy, 'resource' | 'action' | 'owned'>, options: { withRemediation: boolean }): string[] {
  if (!policy.action) return [];
  const actions: string[] = [];
  // The engine hook indexes the stacks' resources of untagged types (DynamoDB tables) once per run and region.
  if (UNTAGGED_BY_CLOUDFORMATION.has(policy.resource)) actions.push('cloudformation:ListStacks', 'cloudformation:ListStackResources');
  if (policy.owned?.choice === 'via-owner') actions.push('cloudformation:DescribeStackResources');
  if (policy.owned?.choice === 'via-owner') {
    // Read-only checks before approval, in every mode.
    actions.push('cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'eks:DescribeNodegroup',
      'elasticbeanstalk:DescribeEnvironments', 'elasticbeanstalk:DescribeEnvironmentResources', 'elasticbeanstalk:DescribeConfigurationSettings');
    // UpdateEnvironment: Beanstalk then updates the environment's own stack with its service role's or the caller's permissions
    // (InsufficientPrivilegesException otherwise); the operator grants what their environments need (docs/ownership.md).
    if (options.withRemediation) actions.push('cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet', 'cloudformation:DetectStackResourceDrift', 'eks:UpdateNodegroupConfig', 'elasticbeanstalk:UpdateEnvironment');
  }
  return actions;
}
