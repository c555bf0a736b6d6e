import { describe, expect, it } from 'vitest';
import '../../../lib/resources/index.ts';
import { regionContext } from '../../../lib/engine/run.ts';
import type { Finding } from '../../../lib/engine/types.ts';
import { consultOwners } from '../../../lib/ownership/hook.ts';
import { ownerFromTags } from '../../../lib/ownership/owners.ts';
import { OWNED, seedOwnedResources } from '../../../lib/ownership/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox, envFor, policiesFrom } from '../../helpers.ts';

const REGION = 'us-east-1';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop-prod/1';
/** The tags of an instance launched by the stack-owned group shop-prod-web: Auto Scaling's own, and the group's propagated aws:cloudformation:* tags. */
const INSTANCE_TAGS = { 'aws:autoscaling:groupName': OWNED.group, 'aws:cloudformation:stack-name': OWNED.stack, 'aws:cloudformation:stack-id': STACK_ID, 'aws:cloudformation:logical-id': 'WebGroup', team: 'shop' };

function instanceFinding(): Finding & { outcomeDetail?: string } {
  return {
    id: 'f-i', policy: 'retype', detector: 'oversized-instance', status: 'actionable',
    resource: { type: 'ec2-instance', id: 'i-0123456789abcdef0', arn: `arn:aws:ec2:${REGION}:${SANDBOX_ACCOUNT}:instance/i-0123456789abcdef0`, account: SANDBOX_ACCOUNT, region: REGION, tags: INSTANCE_TAGS },
    plan: { action: 'change-instance-type', summary: 'Change i-0123456789abcdef0 from m5.large to m5.medium (stop, modify, start).', params: { instanceId: 'i-0123456789abcdef0', fromType: 'm5.large', toType: 'm5.medium' }, hash: 'h-i' },
  } as unknown as Finding & { outcomeDetail?: string };
}

const policyOf = (choice: string) => () => policiesFrom(`
policies:
  - id: retype
    resource: ec2-instance
    detector: { type: oversized-instance }
    action: { type: change-instance-type }
    owned: { choice: ${choice} }
`)[0];

function ownedCtx() {
  const sandbox = emptySandbox();
  seedOwnedResources(sandbox, SANDBOX_ACCOUNT);
  const env = envFor(sandbox, [REGION]);
  return { sandbox, ctx: regionContext(env.deps, REGION, env.clients, sandbox.now()) };
}

describe('an instance launched by a stack-owned Auto Scaling group', () => {
  it("is attributed to the group, which the stack owns, not to the group's logical id as if the stack owned the instance", () => {
    // Prepare: the tags as the group propagates them.
    // Act
    const owner = ownerFromTags(INSTANCE_TAGS);
    // Assess
    expect(owner).toEqual({ kind: 'autoscaling-group', name: 'Auto Scaling group shop-prod-web (of CloudFormation stack shop-prod, logical id WebGroup)', signal: 'tags aws:autoscaling:groupName, aws:cloudformation:stack-name', confirmed: false, group: OWNED.group, stackName: 'shop-prod', stackId: STACK_ID, logicalId: 'WebGroup' });
  });

  it("reports the change in the group's launch template in the stack, with the new type, and writes nothing", async () => {
    // Prepare
    const { sandbox, ctx } = ownedCtx();
    const finding = instanceFinding();
    // Act
    await consultOwners([finding], policyOf('report'), ctx);
    // Assess
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toBe('Owned by Auto Scaling group shop-prod-web (of CloudFormation stack shop-prod, logical id WebGroup), from tags aws:autoscaling:groupName, aws:cloudformation:stack-name (a tag: a claim, not checked). The group replaces this instance from its launch template: change the group\'s launch template or launch configuration in stack shop-prod (group WebGroup), not the instance: set the instance type of the launch template (or launch configuration) that WebGroup uses to m5.medium (now m5.large), then deploy the stack.');
    expect(sandbox.successfulWrites()).toEqual([]);
  });

  it('refuses via-owner for the instance, naming the group, and makes no change set', async () => {
    // Prepare
    const { sandbox, ctx } = ownedCtx();
    const finding = instanceFinding();
    // Act
    await consultOwners([finding], policyOf('via-owner'), ctx);
    // Assess
    expect(finding.plan).toBeUndefined();
    expect(finding.outcomeDetail).toMatch(/^via-owner not possible \(i-0123456789abcdef0 is an instance of Auto Scaling group shop-prod-web, in no stack itself: change the group's launch template \(rightsize-launch-template on the group\), which its stack defines\); reported instead\./);
    expect(sandbox.callCount('cloudformation:DescribeStackResources')).toBe(0);
    expect(sandbox.successfulWrites()).toEqual([]);
  });

  it('keeps a group that carries the stack tags attributed to the stack itself', () => {
    // Prepare: the group's own tags (no aws:autoscaling:groupName on a group).
    const tags = { 'aws:cloudformation:stack-name': OWNED.stack, 'aws:cloudformation:logical-id': 'WebGroup' };
    // Act
    const owner = ownerFromTags(tags);
    // Assess
    expect(owner).toMatchObject({ kind: 'cloudformation', stackName: 'shop-prod', logicalId: 'WebGroup' });
  });
});
