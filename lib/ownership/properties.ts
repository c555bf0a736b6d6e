/**
 * Where a planned change lives in the owner's definition: the CloudFormation resource type and
 * property path with the new value, or the EKS node group's scaling setting. Only the changes
 * listed here can go `via-owner`; any other change of an owned resource is reported with the
 * plan's own summary (what to change) and the owner (where).
 */
import type { Plan } from '../engine/types.ts';

/** One property of a CloudFormation resource set to a literal value. */
export interface TemplateChange {
  /** The CloudFormation resource type the logical id must have. */
  cfnType: string;
  /** The path under `Properties`, e.g. ['ProvisionedThroughput', 'ReadCapacityUnits']. */
  path: string[];
  /** The value before (as the resource has it) and the value to write. */
  from: string | number;
  to: string | number;
}

/** The same change for an EKS managed node group (UpdateNodegroupConfig scalingConfig). */
export interface NodegroupChange {
  field: 'minSize' | 'maxSize' | 'desiredSize';
  from: number;
  to: number;
}

/** The template property changes that make this plan, or undefined when trimtab does not know them. */
export function templateChanges(resourceType: string, plan: Pick<Plan, 'action' | 'params'>): TemplateChange[] | undefined {
  const p = plan.params as Record<string, any>;
  switch (`${resourceType}/${plan.action}`) {
    case 'asg/lower-min-size':
      // AWS::AutoScaling::AutoScalingGroup MinSize is a String in the template.
      return [{ cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: String(p.fromMinSize), to: String(p.toMinSize) }];
    case 'lambda-function/set-memory':
      return [{ cfnType: 'AWS::Lambda::Function', path: ['MemorySize'], from: p.fromMb, to: p.toMb }];
    case 'dynamodb-table/set-table-class':
      return [{ cfnType: 'AWS::DynamoDB::Table', path: ['TableClass'], from: p.from, to: p.to }];
    case 'dynamodb-table/lower-provisioned': {
      const out: TemplateChange[] = [];
      if (p.to.read !== p.from.read) out.push({ cfnType: 'AWS::DynamoDB::Table', path: ['ProvisionedThroughput', 'ReadCapacityUnits'], from: p.from.read, to: p.to.read });
      if (p.to.write !== p.from.write) out.push({ cfnType: 'AWS::DynamoDB::Table', path: ['ProvisionedThroughput', 'WriteCapacityUnits'], from: p.from.write, to: p.to.write });
      return out;
    }
    default:
      return undefined;
  }
}

/** The node group setting that makes this plan (an EKS node group's Auto Scaling group), or undefined. */
export function nodegroupChange(resourceType: string, plan: Pick<Plan, 'action' | 'params'>): NodegroupChange | undefined {
  const p = plan.params as Record<string, any>;
  if (`${resourceType}/${plan.action}` === 'asg/lower-min-size') return { field: 'minSize', from: p.fromMinSize, to: p.toMinSize };
  return undefined;
}

export const propertyPath = (c: Pick<TemplateChange, 'path'>) => `Properties.${c.path.join('.')}`;

/** The same change for an Elastic Beanstalk environment: one option setting (UpdateEnvironment OptionSettings). */
export interface BeanstalkSetting {
  namespace: string;
  option: string;
  /** Option values are strings in Beanstalk's API. */
  from: string;
  to: string;
}

/**
 * The option setting of the environment that makes this plan, or undefined. Beanstalk owns its
 * environment's Auto Scaling group (sizes: aws:autoscaling:asg MinSize) and its instances' type
 * (aws:ec2:instances InstanceTypes, which takes precedence over the obsolete
 * aws:autoscaling:launchconfiguration InstanceType): Elastic Beanstalk Developer Guide, "General
 * options for all environments".
 */
export function beanstalkSetting(resourceType: string, plan: Pick<Plan, 'action' | 'params'>): BeanstalkSetting | undefined {
  const p = plan.params as Record<string, any>;
  switch (`${resourceType}/${plan.action}`) {
    case 'asg/lower-min-size':
      return { namespace: 'aws:autoscaling:asg', option: 'MinSize', from: String(p.fromMinSize), to: String(p.toMinSize) };
    case 'asg/rightsize-launch-template':
    case 'ec2-instance/change-instance-type':
      return { namespace: 'aws:ec2:instances', option: 'InstanceTypes', from: String(p.fromType), to: String(p.toType) };
    default:
      return undefined;
  }
}

export const settingName = (s: Pick<BeanstalkSetting, 'namespace' | 'option'>) => `${s.namespace} ${s.option}`;

/** One argument of a Terraform resource set to a new value (a report: trimtab never runs Terraform). */
export interface TerraformArgument {
  /** The resource type whose argument it is, when not the resource's own (a launch template's instance_type). */
  on?: string;
  attribute: string;
  from: string | number;
  to: string | number;
}

/** The Terraform arguments that make this plan (aws provider argument names), or undefined. */
export function terraformArguments(resourceType: string, plan: Pick<Plan, 'action' | 'params'>): TerraformArgument[] | undefined {
  const p = plan.params as Record<string, any>;
  switch (`${resourceType}/${plan.action}`) {
    case 'asg/lower-min-size':
      return [{ attribute: 'min_size', from: p.fromMinSize, to: p.toMinSize }];
    case 'asg/rightsize-launch-template':
      return [{ on: 'aws_launch_template the group uses', attribute: 'instance_type', from: p.fromType, to: p.toType }];
    case 'lambda-function/set-memory':
      return [{ attribute: 'memory_size', from: p.fromMb, to: p.toMb }];
    case 'dynamodb-table/set-table-class':
      return [{ attribute: 'table_class', from: p.from, to: p.to }];
    case 'dynamodb-table/lower-provisioned': {
      const out: TerraformArgument[] = [];
      if (p.to.read !== p.from.read) out.push({ attribute: 'read_capacity', from: p.from.read, to: p.to.read });
      if (p.to.write !== p.from.write) out.push({ attribute: 'write_capacity', from: p.from.write, to: p.to.write });
      return out;
    }
    case 'ec2-instance/change-instance-type':
      return [{ attribute: 'instance_type', from: p.fromType, to: p.toType }];
    default:
      return undefined;
  }
}
