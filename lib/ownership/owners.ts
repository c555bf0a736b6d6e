/**
 * Who owns a resource, from what AWS itself records (docs/ownership.md).
 *
 * Every signal here is a tag, and tags are attacker input: anyone who may tag a resource can
 * write `aws:cloudformation:stack-name` on it (the `aws:` prefix is reserved for AWS only on the
 * tagging APIs that enforce it; a forged `eks:cluster-name` or `ManagedBy` tag costs nothing).
 * So a tag may only make trimtab MORE careful: a claimed owner turns a direct write into a report
 * or a skip. It never makes a write happen: before trimtab changes anything through an owner
 * (`via-owner`), the owner's own API confirms the ownership (lib/ownership/cloudformation.ts,
 * lib/ownership/eks.ts), and a claim the owner denies is refused.
 */

/** The kinds of owner trimtab recognises. */
export type OwnerKind = 'cloudformation' | 'eks-nodegroup' | 'elastic-beanstalk' | 'ecs-managed-scaling' | 'karpenter' | 'cluster-autoscaler' | 'autoscaling-group' | 'terraform';

export const OWNER_KINDS: readonly OwnerKind[] = ['cloudformation', 'eks-nodegroup', 'elastic-beanstalk', 'ecs-managed-scaling', 'karpenter', 'cluster-autoscaler', 'autoscaling-group', 'terraform'];

/** What trimtab does with an owned resource (policy `owned.choice`). */
export type OwnedChoice = 'report' | 'via-owner' | 'direct' | 'skip';

export interface Owner {
  kind: OwnerKind;
  /** The owner in words, for reports: `CloudFormation stack web-prod (logical id WebGroup)`. */
  name: string;
  /** The signal it was found from: `tag aws:cloudformation:stack-name`, `cloudformation:DescribeStackResources`. */
  signal: string;
  /** Whether the owner's own API confirmed it (DescribeStackResources, DescribeNodegroup); tags alone: false. */
  confirmed: boolean;
  /** CloudFormation. */
  stackName?: string;
  stackId?: string;
  logicalId?: string;
  /** EKS managed node group. */
  cluster?: string;
  nodegroup?: string;
  /** Elastic Beanstalk. */
  environment?: string;
  /** An Auto Scaling group that launched the instance (autoscaling-group); stackName / logicalId are then the group's stack. */
  group?: string;
  /** The tag key and value that named it (Terraform, ECS, Karpenter, Cluster Autoscaler). */
  tag?: string;
  /** Terraform, from a state file (policy owned.terraformState): the resource address, its type and the s3:// file. */
  address?: string;
  terraformType?: string;
  stateFile?: string;
}

/** How the policy names the Terraform tag: `ManagedBy=terraform` (key=value) or just a key. */
export interface OwnershipOptions {
  terraformTag?: string;
}

/** Terraform state files a policy names (read-only; lib/ownership/terraform-state.ts). */
export interface TerraformStateOption {
  bucket: string;
  key: string;
  region?: string;
}

export const DEFAULT_TERRAFORM_TAG = 'ManagedBy=terraform';

/** The tag Auto Scaling puts on the instances it launches. */
export const ASG_GROUP_TAG = 'aws:autoscaling:groupName';

const CFN = { name: 'aws:cloudformation:stack-name', id: 'aws:cloudformation:stack-id', logical: 'aws:cloudformation:logical-id' } as const;

/** Tag keys are matched as AWS stores them (case-sensitive); values are trimmed of nothing. */
function terraformMatch(tags: Record<string, string>, spec: string): string | undefined {
  const eq = spec.indexOf('=');
  const key = eq >= 0 ? spec.slice(0, eq) : spec;
  const value = eq >= 0 ? spec.slice(eq + 1) : undefined;
  if (!(key in tags)) return undefined;
  if (value !== undefined && tags[key].toLowerCase() !== value.toLowerCase()) return undefined;
  return `${key}=${tags[key]}`;
}

/**
 * The owners a resource's tags claim, most specific first (an EKS node group's Auto Scaling group
 * also carries the cluster-autoscaler tags and, when the node group was made by eksctl, the
 * CloudFormation tags of eksctl's stack: the node group is the owner to go through).
 * Unconfirmed: a tag is a claim, never proof.
 */
export function ownersFromTags(tags: Record<string, string>, options: OwnershipOptions = {}): Owner[] {
  const owners: Owner[] = [];
  if (tags['eks:cluster-name'] && tags['eks:nodegroup-name']) {
    owners.push({ kind: 'eks-nodegroup', name: `EKS node group ${tags['eks:nodegroup-name']} of cluster ${tags['eks:cluster-name']}`, signal: 'tags eks:cluster-name, eks:nodegroup-name', confirmed: false, cluster: tags['eks:cluster-name'], nodegroup: tags['eks:nodegroup-name'] });
  }
  if (tags['elasticbeanstalk:environment-name']) {
    const env = tags['elasticbeanstalk:environment-name'];
    owners.push({ kind: 'elastic-beanstalk', name: `Elastic Beanstalk environment ${env}`, signal: 'tag elasticbeanstalk:environment-name', confirmed: false, environment: env });
  }
  if ('AmazonECSManaged' in tags) {
    owners.push({ kind: 'ecs-managed-scaling', name: 'an ECS capacity provider with managed scaling', signal: 'tag AmazonECSManaged', confirmed: false, tag: 'AmazonECSManaged' });
  }
  const karpenter = Object.keys(tags).find((k) => k.startsWith('karpenter.sh/'));
  if (karpenter) {
    const pool = tags['karpenter.sh/nodepool'] ?? tags['karpenter.sh/provisioner-name'];
    owners.push({ kind: 'karpenter', name: pool ? `Karpenter node pool ${pool}` : 'Karpenter', signal: `tag ${karpenter}`, confirmed: false, tag: karpenter });
  }
  const asg = tags[ASG_GROUP_TAG];
  if (asg && tags[CFN.name]) {
    // An instance launched by a stack-made group carries the group's aws:cloudformation:* tags (the
    // group propagates them; the logical id is the GROUP's). The instance is in no stack: its owner
    // is the group, which the stack owns (AWS::AutoScaling::AutoScalingGroup TagProperty).
    const logical = tags[CFN.logical];
    owners.push({
      kind: 'autoscaling-group',
      name: `Auto Scaling group ${asg} (of CloudFormation stack ${tags[CFN.name]}${logical ? `, logical id ${logical}` : ''})`,
      signal: `tags ${ASG_GROUP_TAG}, ${CFN.name}`,
      confirmed: false,
      group: asg,
      stackName: tags[CFN.name],
      ...(tags[CFN.id] ? { stackId: tags[CFN.id] } : {}),
      ...(logical ? { logicalId: logical } : {}),
    });
  } else if (tags[CFN.name]) {
    const logical = tags[CFN.logical];
    owners.push({
      kind: 'cloudformation',
      name: `CloudFormation stack ${tags[CFN.name]}${logical ? ` (logical id ${logical})` : ''}`,
      signal: `tag ${CFN.name}`,
      confirmed: false,
      stackName: tags[CFN.name],
      ...(tags[CFN.id] ? { stackId: tags[CFN.id] } : {}),
      ...(logical ? { logicalId: logical } : {}),
    });
  }
  const ca = Object.keys(tags).find((k) => k === 'k8s.io/cluster-autoscaler/enabled');
  if (ca && !owners.some((o) => o.kind === 'eks-nodegroup')) {
    owners.push({ kind: 'cluster-autoscaler', name: 'the Kubernetes Cluster Autoscaler', signal: `tag ${ca}`, confirmed: false, tag: ca });
  }
  const terraform = terraformMatch(tags, options.terraformTag ?? DEFAULT_TERRAFORM_TAG);
  if (terraform) owners.push({ kind: 'terraform', name: `Terraform (tag ${terraform})`, signal: `tag ${terraform}`, confirmed: false, tag: terraform });
  return owners;
}

/** The owner to act through or report: the most specific claim. */
export const ownerFromTags = (tags: Record<string, string>, options: OwnershipOptions = {}): Owner | undefined => ownersFromTags(tags, options)[0];

/**
 * Resource types whose CloudFormation-made resources carry no `aws:cloudformation:*` tags, so
 * the owner is asked for by physical id (DescribeStackResources). DynamoDB does not support
 * system tags (cloudformation-coverage-roadmap issues 1360 and 2065, open); the other types in
 * trimtab (Auto Scaling groups, EC2 instances, Lambda functions) receive the stack-level tags.
 */
export const UNTAGGED_BY_CLOUDFORMATION: ReadonlySet<string> = new Set(['dynamodb-table']);

/** The physical id CloudFormation records for a resource of a trimtab type (Ref of the resource). */
export function physicalIdOf(resource: { type: string; id: string }): string {
  return resource.id;
}

/** The CloudFormation resource type of each trimtab resource type (DescribeStackResources rows are matched on it). */
export const CFN_TYPE_OF: Readonly<Record<string, string>> = {
  'asg': 'AWS::AutoScaling::AutoScalingGroup',
  'lambda-function': 'AWS::Lambda::Function',
  'dynamodb-table': 'AWS::DynamoDB::Table',
  'ec2-instance': 'AWS::EC2::Instance',
  'ebs-volume': 'AWS::EC2::Volume',
  'rds-instance': 'AWS::RDS::DBInstance',
  'elasticache-cluster': 'AWS::ElastiCache::CacheCluster',
  's3-bucket': 'AWS::S3::Bucket',
  'log-group': 'AWS::Logs::LogGroup',
  'nat-gateway': 'AWS::EC2::NatGateway',
  'elastic-ip': 'AWS::EC2::EIP',
  'load-balancer': 'AWS::ElasticLoadBalancingV2::LoadBalancer',
};

/** Where trimtab writes the owner's choice when the policy names none: report, for every owner. */
export const DEFAULT_OWNED_CHOICE: OwnedChoice = 'report';
