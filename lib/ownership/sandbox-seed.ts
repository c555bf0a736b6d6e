/**
 * Owned resources for the sandbox (docs/ownership.md): every path of lib/ownership has a resource.
 * - stack shop-prod: Auto Scaling group shop-prod-web (logical WebGroup, MinSize a literal "6"),
 *   Lambda function shop-prod-orders (logical OrdersFunction, MemorySize = parameter OrdersMemory),
 *   DynamoDB table shop-prod-orders (logical OrdersTable, no aws:cloudformation tags: found by
 *   DescribeStackResources). The group and the function carry the stack-level tags, as
 *   CloudFormation propagates them.
 * - EKS cluster platform, managed node group workers: its Auto Scaling group eks-workers-… with the
 *   eks:* and Cluster Autoscaler tags.
 * - Elastic Beanstalk environment shop-web-prod (application shop-web): its Auto Scaling group
 *   awseb-… with the elasticbeanstalk:environment-name tag; option settings aws:autoscaling:asg
 *   MinSize 6 / MaxSize 20 and aws:ec2:instances InstanceTypes m5.large.
 * - forged-claim: a group whose tags claim stack shop-prod (logical WebGroup) but is in no stack.
 * Every group idles at ~12 % CPU pinned at MinSize 6, so asg's min-size-unneeded flags each.
 */
import type { Sandbox } from '../sandbox/sandbox.ts';
import { addGroup } from '../resources/asg/sandbox-seed.ts';
import { seedFunction } from '../resources/lambda-function/sandbox-seed.ts';
import { addDynamoTable } from '../resources/dynamodb-table/sandbox-seed.ts';
import { addStack } from '../sandbox/services/cloudformation.ts';
import { addNodegroup } from '../sandbox/services/eks.ts';
import { addEnvironment } from '../sandbox/services/elastic-beanstalk.ts';

export const OWNED = {
  stack: 'shop-prod',
  group: 'shop-prod-web',
  fn: 'shop-prod-orders',
  table: 'shop-prod-orders',
  eksGroup: 'eks-workers-3ac1b2d4-aaaa-bbbb-cccc-000000000001',
  beanstalkGroup: 'awseb-e-shopweb-stack-AWSEBAutoScalingGroup-1ABCDEF',
  forgedGroup: 'forged-claim',
} as const;

const targetTracking = (group: string) => ({
  AutoScalingGroupName: group,
  PolicyName: 'cpu-target-tracking',
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50, DisableScaleIn: false },
});

function idleGroup(sandbox: Sandbox, accountId: string, region: string, name: string, tags: Record<string, string>) {
  addGroup(sandbox, accountId, region, {
    name, ageDays: 200, minSize: 6, maxSize: 20, desiredCapacity: 6, defaultCooldown: 300, instanceType: 'm5.large',
    launchTemplate: { LaunchTemplateId: `lt-${'0'.repeat(16)}1`, LaunchTemplateName: name, Version: '$Default' },
    tags: { team: 'shop', ...tags }, cpu: { base: 12, noise: 3 }, inService: { base: 6 }, policies: [targetTracking(name)],
  });
}

export const SHOP_TEMPLATE = {
  AWSTemplateFormatVersion: '2010-09-09',
  Parameters: { OrdersMemory: { Type: 'Number', Default: 1024 } },
  Resources: {
    WebGroup: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '6', MaxSize: '20', DesiredCapacity: '6', LaunchTemplate: { LaunchTemplateName: OWNED.group, Version: '$Default' } } },
    OrdersFunction: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: OWNED.fn, MemorySize: { Ref: 'OrdersMemory' }, Timeout: 30, Runtime: 'nodejs20.x', Handler: 'index.handler' } },
    OrdersTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: OWNED.table, BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 100 }, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } },
  },
};

export function seedOwnedResources(sandbox: Sandbox, accountId: string, region = 'us-east-1') {
  const stack = addStack(sandbox, accountId, region, { name: OWNED.stack, template: SHOP_TEMPLATE, physicalIds: { WebGroup: OWNED.group, OrdersFunction: OWNED.fn, OrdersTable: OWNED.table } });
  const cfnTags = (logical: string) => ({ 'aws:cloudformation:stack-name': OWNED.stack, 'aws:cloudformation:stack-id': stack.id, 'aws:cloudformation:logical-id': logical });
  idleGroup(sandbox, accountId, region, OWNED.group, cfnTags('WebGroup'));
  seedFunction(sandbox, accountId, { name: OWNED.fn, region, runtime: 'nodejs20.x', architecture: 'arm64', memoryMb: 1024, timeoutS: 30, perHour: 6_000, durationMs: { base: 120, noise: 20 }, insights: { usedMb: 170, cpuMs: 15 }, tags: { team: 'shop', ...cfnTags('OrdersFunction') } });
  addDynamoTable(sandbox, accountId, region, { name: OWNED.table, ageDays: 400, billingMode: 'PROVISIONED', read: 200, write: 100, sizeGb: 3, tags: { team: 'shop' }, reads: { base: 2, amplitude: 1, seed: 11 }, writes: { base: 1, amplitude: 0.5, seed: 12 } });

  idleGroup(sandbox, accountId, region, OWNED.eksGroup, { 'eks:cluster-name': 'platform', 'eks:nodegroup-name': 'workers', 'k8s.io/cluster-autoscaler/enabled': 'true', 'k8s.io/cluster-autoscaler/platform': 'owned' });
  addNodegroup(sandbox, accountId, region, { cluster: 'platform', name: 'workers', asg: OWNED.eksGroup, instanceTypes: ['m5.large'] });

  idleGroup(sandbox, accountId, region, OWNED.beanstalkGroup, { 'elasticbeanstalk:environment-name': 'shop-web-prod', 'elasticbeanstalk:environment-id': 'e-shopweb01' });
  addEnvironment(sandbox, accountId, region, {
    name: 'shop-web-prod', application: 'shop-web', autoScalingGroups: [OWNED.beanstalkGroup], instances: [],
    options: { 'aws:autoscaling:asg|MinSize': '6', 'aws:autoscaling:asg|MaxSize': '20', 'aws:ec2:instances|InstanceTypes': 'm5.large', 'aws:autoscaling:launchconfiguration|InstanceType': 'm5.large' },
  });

  // A forged claim: the tags say stack shop-prod owns it; CloudFormation says no stack does.
  idleGroup(sandbox, accountId, region, OWNED.forgedGroup, cfnTags('WebGroup'));
}
