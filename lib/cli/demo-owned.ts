/**
 * The demo's last scene (lib/cli/demo.ts, "6. An owned resource, fixed through its stack"): its
 * own sandbox account, apart from the small-company account every other scene and ~40 test
 * files use, holding one CloudFormation stack that owns one over-provisioned Auto Scaling group.
 *
 * The group carries the tags CloudFormation gives the resources it creates, and the stack's
 * template has `MinSize` as a literal, so a via-owner change is one template edit.
 */
import { addGroup } from '../resources/asg/sandbox-seed.ts';
import { parsePolicies, type Policy } from '../policy/load.ts';
import { addStack } from '../sandbox/services/cloudformation.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';

export const OWNED_DEMO = {
  /** Not the small-company account (123456789012) nor an organization member (1000000000NN). */
  account: '444455556666',
  region: 'us-east-1',
  stack: 'checkout-prod',
  logicalId: 'WebGroup',
  group: 'checkout-prod-web',
} as const;

export const OWNED_DEMO_TEMPLATE = {
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'checkout: the web tier',
  Resources: {
    [OWNED_DEMO.logicalId]: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: { MinSize: '6', MaxSize: '20', DesiredCapacity: '6', LaunchTemplate: { LaunchTemplateName: OWNED_DEMO.group, Version: '$Default' } },
    },
  },
};

/** The stack and its group: MinSize 6 where 14 days of load need 3 (CPU about 12 %, 6 in service). */
export function seedOwnedDemo(sandbox: Sandbox): void {
  sandbox.account(OWNED_DEMO.account, 'owned-demo');
  const stack = addStack(sandbox, OWNED_DEMO.account, OWNED_DEMO.region, { name: OWNED_DEMO.stack, template: OWNED_DEMO_TEMPLATE, physicalIds: { [OWNED_DEMO.logicalId]: OWNED_DEMO.group } });
  addGroup(sandbox, OWNED_DEMO.account, OWNED_DEMO.region, {
    name: OWNED_DEMO.group,
    ageDays: 200,
    minSize: 6,
    maxSize: 20,
    desiredCapacity: 6,
    defaultCooldown: 300,
    instanceType: 'm5.large',
    launchTemplate: { LaunchTemplateId: `lt-${'0'.repeat(16)}c`, LaunchTemplateName: OWNED_DEMO.group, Version: '$Default' },
    tags: { team: 'checkout', 'aws:cloudformation:stack-name': OWNED_DEMO.stack, 'aws:cloudformation:stack-id': stack.id, 'aws:cloudformation:logical-id': OWNED_DEMO.logicalId },
    cpu: { base: 12, noise: 3 },
    inService: { base: 6 },
    policies: [{ AutoScalingGroupName: OWNED_DEMO.group, PolicyName: 'cpu-target-tracking', PolicyType: 'TargetTrackingScaling', TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50, DisableScaleIn: false } }],
  });
}

/** The scene's two policies: the same change, reported (the default), then through the stack after approval. */
export const OWNED_DEMO_POLICIES_YAML = `version: 1
policies:
  - id: owned-asg-report
    resource: asg
    mode: auto
    detector: { type: min-size-unneeded, headroomPercent: 20 }
    action: { type: lower-min-size, floor: 1, maxReductionPercent: 50 }
    # no owned: the default for an owned resource is report
  - id: owned-asg-via-stack
    resource: asg
    mode: approval
    detector: { type: min-size-unneeded, headroomPercent: 20 }
    action: { type: lower-min-size, floor: 1, maxReductionPercent: 50 }
    owned: { choice: via-owner }
    approval: { approvers: [finops@example.com] }
`;

export function ownedDemoPolicies(): Policy[] {
  return parsePolicies(OWNED_DEMO_POLICIES_YAML, 'demo: owned resource').policies;
}
