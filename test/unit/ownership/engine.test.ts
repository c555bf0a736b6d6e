import { describe, expect, it } from 'vitest';
import '../../../lib/resources/index.ts';
import { undoAction } from '../../../lib/engine/undo.ts';
import { OWNED, seedOwnedResources } from '../../../lib/ownership/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../../lib/sandbox/services/autoscaling.ts';
import { cloudformationState } from '../../../lib/sandbox/services/cloudformation.ts';
import { applyOne } from '../../../lib/engine/run.ts';
import { cloudformationState as cfnState, REPLACING } from '../../../lib/sandbox/services/cloudformation.ts';
import { emptySandbox, envFor, policiesFrom } from '../../helpers.ts';

function ownedEnv() {
  const sandbox = emptySandbox();
  sandbox.account(SANDBOX_ACCOUNT, 'owned');
  seedOwnedResources(sandbox, SANDBOX_ACCOUNT);
  return envFor(sandbox, ['us-east-1']);
}

const groups = () => autoscalingState;

const asgPolicy = (mode: string, owned?: string) => `
policies:
  - id: lower-min
    resource: asg
    mode: ${mode}
    detector: { type: min-size-unneeded, headroomPercent: 20 }
    action: { type: lower-min-size, floor: 1, maxReductionPercent: 50 }
${owned ? `    owned: ${owned}\n` : ''}${mode === 'approval' ? '    approval: { approvers: [ops@example.com] }\n' : ''}`;

const minSizeOf = (env: ReturnType<typeof ownedEnv>, group: string) => groups()(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').groups[group].minSize;
const byId = <F extends { resource: { id: string } }>(findings: F[], id: string): F => findings.find((f) => f.resource.id === id)!;

describe('owned resources in the engine', () => {
  it('reports a stack-owned group by default with the stack, logical id, property path and new value, and writes nothing', async () => {
    // Prepare
    const env = ownedEnv();
    env.sandbox.resetCounters();
    // Act
    const result = await env.run(asgPolicy('auto'));
    // Assess
    const web = byId(result.findings, OWNED.group);
    expect(web.owner).toMatchObject({ kind: 'cloudformation', stackName: 'shop-prod', logicalId: 'WebGroup', confirmed: false });
    expect(web.status).toBe('report-only');
    expect(web.plan).toBeUndefined();
    expect(web.outcomeDetail).toBe('Owned by CloudFormation stack shop-prod (logical id WebGroup), from tag aws:cloudformation:stack-name (a tag: a claim, not checked). Change it in stack shop-prod, not on the resource: set Properties.MinSize of WebGroup to "3" (now "6"), then deploy the stack.');
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(minSizeOf(env, OWNED.group)).toBe(6);
  });

  it('names every owner: the EKS node group, the Beanstalk environment, the stack claimed by a tag', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('auto'));
    // Assess
    expect(byId(result.findings, OWNED.eksGroup).owner).toMatchObject({ kind: 'eks-nodegroup', cluster: 'platform', nodegroup: 'workers' });
    expect(byId(result.findings, OWNED.eksGroup).outcomeDetail).toContain('set scalingConfig.minSize to 3 (now 6)');
    expect(byId(result.findings, OWNED.beanstalkGroup).owner).toMatchObject({ kind: 'elastic-beanstalk', environment: 'shop-web-prod' });
    expect(result.findings.filter((f) => f.owner).map((f) => f.status)).toEqual(['report-only', 'report-only', 'report-only', 'report-only']);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('finds the stack of a table, which carries no CloudFormation tags, from the resource listings of the stacks, and reports both capacity properties', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(`
policies:
  - id: tables
    resource: dynamodb-table
    mode: auto
    detector: { type: over-provisioned }
    action: { type: lower-provisioned }
`);
    // Assess
    const table = byId(result.findings, OWNED.table);
    expect(table.owner).toMatchObject({ kind: 'cloudformation', stackName: 'shop-prod', logicalId: 'OrdersTable', signal: 'cloudformation:ListStackResources', confirmed: true });
    expect(table.status).toBe('report-only');
    expect(table.outcomeDetail).toMatch(/^Owned by CloudFormation stack shop-prod \(logical id OrdersTable\), from cloudformation:ListStackResources \(confirmed by its API\)\. Change it in stack shop-prod, not on the resource: set Properties\.ProvisionedThroughput\.ReadCapacityUnits of OrdersTable to \d+ \(now 200\) and set Properties\.ProvisionedThroughput\.WriteCapacityUnits of OrdersTable to \d+ \(now 100\), then deploy the stack\.$/);
    expect(env.sandbox.callCount('cloudformation:ListStacks')).toBe(1);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('skips owned resources, as protected, when the policy says skip', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('auto', '{ choice: skip }'));
    // Assess
    const web = byId(result.findings, OWNED.group);
    expect(web.status).toBe('protected');
    expect(web.outcomeDetail).toBe("owned by CloudFormation stack shop-prod (logical id WebGroup) (tag aws:cloudformation:stack-name); the policy's owned.choice is skip");
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('writes the resource directly only when the policy says direct, with the drift warning in the finding and the action record', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('auto', '{ choice: direct }'));
    // Assess
    const web = byId(result.findings, OWNED.group);
    expect(web.ownerWarning).toBe('owned by CloudFormation stack shop-prod (logical id WebGroup): CloudFormation reports drift on it from now on, and the next deploy of shop-prod reverts this change');
    const record = result.actions.find((a) => a.resource.id === OWNED.group)!;
    expect(record.summary).toContain('Drift warning: owned by CloudFormation stack shop-prod');
    expect(record.status).toBe('verified');
    expect(minSizeOf(env, OWNED.group)).toBe(3);
  });

  it('says after a direct change what drift detection finds on the stack, and reports no drift for a group whose tags claim another resource of it', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('auto', '{ choice: direct }'));
    // Assess
    const owned = result.actions.find((a) => a.resource.id === OWNED.group)!;
    expect(owned.status).toBe('verified');
    expect(owned.verification?.detail).toMatch(/; drift detection finds WebGroup MODIFIED \(\/MinSize: template "6", actual "3"\): the next deploy of shop-prod reverts this change$/);
    const forged = result.actions.find((a) => a.resource.id === OWNED.forgedGroup)!;
    expect(forged.status).toBe('verified');
    expect(forged.verification?.detail).toMatch(new RegExp(`; drift not reported: WebGroup of stack shop-prod is ${OWNED.group}, not ${OWNED.forgedGroup}$`));
    // Four group writes (the EKS and Beanstalk groups too: their owners have no drift API) and one drift
    // detection for each of the two groups whose tags name a stack; nothing changes the stack.
    expect(env.sandbox.successfulWrites().map((w) => w.operation).sort()).toEqual(['DetectStackResourceDrift', 'DetectStackResourceDrift', 'UpdateAutoScalingGroup', 'UpdateAutoScalingGroup', 'UpdateAutoScalingGroup', 'UpdateAutoScalingGroup']);
  });

  it('changes a stack-owned group through an executed change set under via-owner, leaving the stack UPDATE_COMPLETE and in sync', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('auto', '{ choice: via-owner }'));
    // Assess
    const record = result.actions.find((a) => a.resource.id === OWNED.group)!;
    expect(record.status).toBe('verified');
    expect(record.verification?.detail).toBe('stack shop-prod UPDATE_COMPLETE; drift detection finds WebGroup IN_SYNC');
    const stack = cloudformationState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').stacks['shop-prod'];
    expect(stack.status).toBe('UPDATE_COMPLETE');
    expect(JSON.parse(stack.template).Resources.WebGroup.Properties.MinSize).toBe('3');
    expect(minSizeOf(env, OWNED.group)).toBe(3);
    const writes = env.sandbox.successfulWrites().filter((w) => (w.input as any).AutoScalingGroupName === OWNED.group || (w.input as any).StackName === 'shop-prod').map((w) => `${w.service}:${w.operation}`);
    expect(writes).toEqual(['cloudformation:CreateChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:DetectStackResourceDrift']);
  });

  it('changes an EKS node group\'s sizes through UpdateNodegroupConfig under via-owner, never its Auto Scaling group', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('auto', '{ choice: via-owner }'));
    // Assess
    const record = result.actions.find((a) => a.resource.id === OWNED.eksGroup)!;
    expect(record.status).toBe('verified');
    expect(record.verification?.detail).toBe('node group workers has minSize 3');
    expect(env.sandbox.successfulWrites('eks:UpdateNodegroupConfig')).toHaveLength(1);
    expect(env.sandbox.successfulWrites('autoscaling:UpdateAutoScalingGroup').filter((w) => (w.input as any).AutoScalingGroupName === OWNED.eksGroup)).toEqual([]);
  });

  it('sends UpdateNodegroupConfig only the planned minSize, never a desiredSize the Cluster Autoscaler may have moved since it was read', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    await env.run(asgPolicy('auto', '{ choice: via-owner }'));
    // Assess
    expect(env.sandbox.successfulWrites('eks:UpdateNodegroupConfig').map((w) => (w.input as any).scalingConfig)).toEqual([{ minSize: 3 }]);
  });

  it('reports, and never writes, a group whose tags claim a stack that CloudFormation does not confirm', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('auto', '{ choice: via-owner }'));
    // Assess
    const forged = byId(result.findings, OWNED.forgedGroup);
    expect(forged.status).toBe('report-only');
    expect(forged.outcomeDetail).toMatch(/^via-owner not possible \(CloudFormation does not confirm the owner its tags claim: forged-claim is in no stack\); reported instead\. Owned by CloudFormation stack shop-prod/);
    expect(minSizeOf(env, OWNED.forgedGroup)).toBe(6);
    expect(env.sandbox.successfulWrites().filter((w) => (w.input as any).AutoScalingGroupName === OWNED.forgedGroup)).toEqual([]);
  });

  it('creates no change set in dry-run under via-owner: the plan says what would go through the stack', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('dry-run', '{ choice: via-owner }'));
    // Assess
    const web = byId(result.findings, OWNED.group);
    expect(web.outcome).toBe('would-apply');
    expect(web.plan?.summary).toMatch(/^Through CloudFormation stack shop-prod: a change set setting Properties.MinSize of WebGroup from "6" to "3"/);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('undoes a change made through the stack with the reverse change set', async () => {
    // Prepare
    const env = ownedEnv();
    const result = await env.run(asgPolicy('auto', '{ choice: via-owner }'));
    const record = result.actions.find((a) => a.resource.id === OWNED.group)!;
    // Act
    const undone = await undoAction(record.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    const stack = cloudformationState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').stacks['shop-prod'];
    expect(JSON.parse(stack.template).Resources.WebGroup.Properties.MinSize).toBe('6');
    expect(minSizeOf(env, OWNED.group)).toBe(6);
  });
  it('refuses a change set that would replace a resource before approval, with why, and asks nobody', async () => {
    // Prepare: the sandbox's CloudFormation treats MinSize of an Auto Scaling group as a replacing property.
    const env = ownedEnv();
    const asked: string[] = [];
    env.deps.approvals = { request: async (_policy, findings) => { asked.push(...findings.map((f) => f.resource.id)); return { approvalId: 'apr-1' }; } };
    REPLACING['AWS::AutoScaling::AutoScalingGroup'].push('MinSize');
    let result;
    try {
      // Act
      result = await env.run(asgPolicy('approval', '{ choice: via-owner }'));
    } finally {
      REPLACING['AWS::AutoScaling::AutoScalingGroup'].pop();
    }
    // Assess
    const web = byId(result.findings, OWNED.group);
    expect(web.status).toBe('report-only');
    expect(web.plan).toBeUndefined();
    expect(web.outcomeDetail).toMatch(/^via-owner not possible \(refused before approval: change set refused, nothing was executed: the change set would replace WebGroup \(Replacement True: MinSize requires recreation Always\)/);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked).not.toContain(OWNED.group);
    const writes = env.sandbox.successfulWrites().filter((w) => (w.input as any).StackName === 'shop-prod').map((w) => `${w.service}:${w.operation}`);
    expect(writes).toEqual(['cloudformation:CreateChangeSet', 'cloudformation:DeleteChangeSet']);
    expect(minSizeOf(env, OWNED.group)).toBe(6);
  });

  it('executes the approved change set id, not a new one', async () => {
    // Prepare: approval mode makes and checks the change set when it asks.
    const env = ownedEnv();
    const yaml = asgPolicy('approval', '{ choice: via-owner }');
    const result = await env.run(yaml);
    const web = byId(result.findings, OWNED.group);
    const via = (web.plan!.params as any).viaOwner;
    expect(via.changeSetId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:changeSet\/trimtab-/);
    expect(web.plan!.summary).toContain(`Prepared for approval: change set trimtab-`);
    expect(web.plan!.summary).toContain(`Modify WebGroup (AWS::AutoScaling::AutoScalingGroup), Replacement False`);
    expect(web.plan!.summary).toContain(`(ChangeSetId ${via.changeSetId})`);
    const before = env.sandbox.successfulWrites().length;
    // Act: the approved plan is applied.
    const record = await applyOne(policiesFrom(yaml)[0], web, 'ops@example.com', env.deps, 'approval');
    // Assess
    expect(record.status).toBe('verified');
    const writes = env.sandbox.successfulWrites().slice(before).map((w) => `${w.service}:${w.operation}:${(w.input as any).ChangeSetName ?? ''}`);
    expect(writes).toEqual([`cloudformation:ExecuteChangeSet:${via.changeSetId}`, 'cloudformation:DetectStackResourceDrift:']);
    expect(minSizeOf(env, OWNED.group)).toBe(3);
  });

  it('skips, executing nothing, when the approved change set was deleted by another change set of the stack executed first', async () => {
    // Prepare: approval mode makes the change set; then another change set of shop-prod is executed, which makes AWS delete this one.
    const env = ownedEnv();
    const yaml = asgPolicy('approval', '{ choice: via-owner }');
    const result = await env.run(yaml);
    const web = byId(result.findings, OWNED.group);
    const via = (web.plan!.params as any).viaOwner;
    const stack = cfnState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').stacks['shop-prod'];
    stack.changeSets = stack.changeSets.filter((c) => c.id !== via.changeSetId);
    const before = env.sandbox.successfulWrites().length;
    // Act
    const record = await applyOne(policiesFrom(yaml)[0], web, 'ops@example.com', env.deps, 'approval');
    // Assess
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toBe(`the approved change set ${via.changeSetId} no longer exists on stack shop-prod (executing another change set of the stack deletes the others, or it was deleted): nothing was executed; a new run asks again`);
    expect(env.sandbox.successfulWrites().slice(before)).toEqual([]);
    expect(minSizeOf(env, OWNED.group)).toBe(6);
  });

  it('refuses the approved change set when the stack template changed after approval, executing nothing', async () => {
    // Prepare
    const env = ownedEnv();
    const yaml = asgPolicy('approval', '{ choice: via-owner }');
    const result = await env.run(yaml);
    const web = byId(result.findings, OWNED.group);
    const stack = cfnState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').stacks['shop-prod'];
    stack.template = JSON.stringify({ ...JSON.parse(stack.template), Description: 'edited by someone after the approval' });
    const before = env.sandbox.successfulWrites().length;
    // Act
    const record = await applyOne(policiesFrom(yaml)[0], web, 'ops@example.com', env.deps, 'approval');
    // Assess
    expect(record.status).toBe('skipped');
    expect(record.error?.message).toMatch(/^the template of stack shop-prod changed since the change set arn:aws:cloudformation:us-east-1:123456789012:changeSet\/trimtab-\w+\/\d+ was approved: nothing was executed/);
    expect(env.sandbox.successfulWrites().slice(before)).toEqual([]);
    expect(minSizeOf(env, OWNED.group)).toBe(6);
  });
});
