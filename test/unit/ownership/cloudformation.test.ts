import { describe, expect, it } from 'vitest';
import { CloudFormationClient, CreateChangeSetCommand, DescribeChangeSetCommand, DescribeStackResourcesCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { DescribeEnvironmentResourcesCommand, ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { driftOf, executeStackChange, planStackEdit, prepareStackChange, stackOwnerOf } from '../../../lib/ownership/cloudformation.ts';
import { ownersFromTags } from '../../../lib/ownership/owners.ts';
import { OWNED, SHOP_TEMPLATE, seedOwnedResources } from '../../../lib/ownership/sandbox-seed.ts';
import { regionContext } from '../../../lib/engine/run.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../../lib/sandbox/services/autoscaling.ts';
import { cloudformationState } from '../../../lib/sandbox/services/cloudformation.ts';
import { lambdaState } from '../../../lib/sandbox/services/lambda.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const REGION = 'us-east-1';

function ownedEnv() {
  const sandbox = emptySandbox();
  seedOwnedResources(sandbox, SANDBOX_ACCOUNT);
  const env = envFor(sandbox, [REGION]);
  const writable = env.clients.withWrites(true);
  const ctx = regionContext(env.deps, REGION, writable, sandbox.now());
  return { ...env, ctx, cfn: writable.get(CloudFormationClient, REGION), eks: writable.get(EKSClient, REGION) };
}

const account = (env: ReturnType<typeof ownedEnv>) => env.sandbox.account(SANDBOX_ACCOUNT);
const stack = (env: ReturnType<typeof ownedEnv>) => cloudformationState(env.sandbox, account(env), REGION).stacks[OWNED.stack];

describe('owners from tags', () => {
  it('names the node group before the stack or the Cluster Autoscaler, and Terraform by the configured tag', () => {
    // Act
    const eks = ownersFromTags({ 'eks:cluster-name': 'platform', 'eks:nodegroup-name': 'workers', 'k8s.io/cluster-autoscaler/enabled': 'true', 'aws:cloudformation:stack-name': 'eksctl-platform-nodegroup-workers' });
    const terraform = ownersFromTags({ Owner: 'tf' }, { terraformTag: 'Owner=tf' });
    const karpenter = ownersFromTags({ 'karpenter.sh/nodepool': 'default' });
    // Assess
    expect(eks.map((o) => o.kind)).toEqual(['eks-nodegroup', 'cloudformation']);
    expect(terraform).toEqual([{ kind: 'terraform', name: 'Terraform (tag Owner=tf)', signal: 'tag Owner=tf', confirmed: false, tag: 'Owner=tf' }]);
    expect(karpenter.map((o) => o.name)).toEqual(['Karpenter node pool default']);
    expect(ownersFromTags({ ManagedBy: 'pulumi' })).toEqual([]);
  });
});

describe('planning the one-property stack edit', () => {
  const template = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ Parameters: { Size: { Type: 'String' } }, Resources: { G: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: props } }, ...extra });
  const change = { cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: '6', to: '3' };

  it('edits a literal, changes a parameter used once, and refuses computed values, drift and YAML with why', () => {
    // Act
    const literal = planStackEdit(template({ MinSize: '6' }), {}, 'G', change);
    const parameter = planStackEdit(template({ MinSize: { Ref: 'Size' } }), { Size: '6' }, 'G', change);
    const computed = planStackEdit(template({ MinSize: { 'Fn::If': ['Prod', '6', '1'] } }), {}, 'G', change);
    const twice = planStackEdit(template({ MinSize: { Ref: 'Size' }, MaxSize: { Ref: 'Size' } }), { Size: '6' }, 'G', change);
    const drifted = planStackEdit(template({ MinSize: '8' }), {}, 'G', change);
    const yaml = planStackEdit('Resources:\n  G:\n    Type: AWS::AutoScaling::AutoScalingGroup\n    Properties:\n      MinSize: !Ref Size\n', {}, 'G', change);
    // Assess
    expect(literal).toMatchObject({ kind: 'template', where: 'Properties.MinSize of G' });
    expect(JSON.parse((literal as { body: string }).body).Resources.G.Properties.MinSize).toBe('3');
    expect(parameter).toEqual({ kind: 'parameter', parameter: 'Size', value: '3', where: 'Properties.MinSize of G (parameter Size)' });
    expect(computed).toBe('Properties.MinSize of G is computed ({"Fn::If":["Prod","6","1"]}): a Ref to a resource or an Fn:: function; change it in the template');
    expect(twice).toBe('Properties.MinSize of G is the parameter Size, which 2 places in the template use: changing it would change more than this property');
    expect(drifted).toBe('Properties.MinSize of G is "8" in the template but "6" on the resource: it has drifted; resolve the drift first');
    expect(yaml).toMatch(/^the template is not JSON/);
  });
});

describe('the template body CreateChangeSet accepts', () => {
  const change = { cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: '6', to: '3' };
  const big = (descriptionBytes: number) => JSON.stringify({ Description: 'd'.repeat(descriptionBytes), Resources: { G: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '6', MaxSize: '20' } } } });

  it('submits a large template compact when indenting it would pass 51,200 bytes, and refuses one that is over 51,200 bytes anyway', () => {
    // Prepare
    const indentedBytes = Buffer.byteLength(JSON.stringify(JSON.parse(big(51_050)), null, 2));
    // Act
    const compact = planStackEdit(big(51_050), {}, 'G', change);
    const tooBig = planStackEdit(big(52_000), {}, 'G', change);
    // Assess
    expect(indentedBytes).toBeGreaterThan(51_200);
    expect(compact).toMatchObject({ kind: 'template' });
    expect(Buffer.byteLength((compact as { body: string }).body)).toBeLessThanOrEqual(51_200);
    expect(JSON.parse((compact as { body: string }).body).Resources.G.Properties.MinSize).toBe('3');
    expect(tooBig).toMatch(/^the edited template is 52\d{3} bytes, over the 51200 bytes CreateChangeSet accepts as TemplateBody/);
  });
});

describe('a change set of trimtab\'s name made by someone else', () => {
  it('is not executed when its template and parameters are trimtab\'s but it also rewrites the stack tags', async () => {
    // Prepare: AWS as a script; the change set already exists with trimtab's template and values, plus stack tags.
    const body = JSON.stringify({ Resources: { G: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '6' } } } });
    const edited = planStackEdit(body, {}, 'G', { cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: '6', to: '3' }) as { body: string };
    const sent: string[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name;
        sent.push(name);
        switch (name) {
          case 'DescribeStackResourcesCommand': return { StackResources: [{ StackName: 's', StackId: 'sid', LogicalResourceId: 'G', PhysicalResourceId: 'web', ResourceType: 'AWS::AutoScaling::AutoScalingGroup' }] };
          case 'DescribeStacksCommand': return { Stacks: [{ StackName: 's', StackStatus: 'UPDATE_COMPLETE', Tags: [{ Key: 'team', Value: 'shop' }] }] };
          case 'GetTemplateCommand': return { TemplateBody: (command as any).input.ChangeSetName ? edited.body : body };
          case 'CreateChangeSetCommand': throw Object.assign(new Error('ChangeSet trimtab-x already exists'), { name: 'AlreadyExistsException' });
          case 'DescribeChangeSetCommand': return { ChangeSetName: 'trimtab-x', ChangeSetId: 'arn:cs', Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Parameters: [], Tags: [{ Key: 'team', Value: 'other' }], Changes: [{ ResourceChange: { Action: 'Modify', LogicalResourceId: 'G', Replacement: 'False', Details: [{ Target: { Name: 'MinSize' } }] } }] };
          default: throw new Error(`unexpected ${name}`);
        }
      },
    };
    const ctx = { region: REGION, clients: { get: () => client }, clock: { sleep: async () => undefined } } as any;
    // Act
    const refused = prepareStackChange(ctx, { stackName: 's', logicalId: 'G', physicalId: 'web', change: { cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: '6', to: '3' }, changeSetName: 'trimtab-x' });
    // Assess
    await expect(refused).rejects.toThrow('change set trimtab-x already exists on stack s and is not trimtab\'s submission (it sets stack tags ["team=other"], which trimtab never submits); it was neither executed nor deleted, nothing was changed');
    expect(sent.filter((n) => /Execute|Delete/.test(n))).toEqual([]);
  });
});

describe('waiting for the executed change set', () => {
  it("does not take the previous update's UPDATE_COMPLETE, still answered right after ExecuteChangeSet, for this one", async () => {
    // Prepare: AWS answers the stack as it was before the execution once, then the new update.
    const t1 = new Date('2026-12-01T00:00:00Z');
    const t2 = new Date('2026-12-07T12:00:00Z');
    const stacks = [
      { StackName: 's', StackStatus: 'UPDATE_COMPLETE', LastUpdatedTime: t1 },
      { StackName: 's', StackStatus: 'UPDATE_COMPLETE', LastUpdatedTime: t1 },
      { StackName: 's', StackStatus: 'UPDATE_COMPLETE', LastUpdatedTime: t2 },
    ];
    const sent: string[] = [];
    const sleeps: number[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name;
        sent.push(name);
        if (name === 'DescribeChangeSetCommand') return { Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE' };
        if (name === 'ExecuteChangeSetCommand') return {};
        if (name === 'DescribeStacksCommand') return { Stacks: [stacks.shift()] };
        throw new Error(`unexpected ${name}`);
      },
    };
    const ctx = { region: REGION, clients: { get: () => client }, clock: { now: () => t2, sleep: async (ms: number) => void sleeps.push(ms) } } as any;
    // Act
    const status = await executeStackChange(ctx, 's', 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/trimtab-x/1');
    // Assess
    expect(status).toBe('UPDATE_COMPLETE');
    expect(sent).toEqual(['DescribeChangeSetCommand', 'DescribeStacksCommand', 'ExecuteChangeSetCommand', 'DescribeStacksCommand', 'DescribeStacksCommand']);
    expect(sleeps).toEqual([5_000]);
  });
});

describe('sandbox CloudFormation', () => {
  it('answers DescribeStackResources by physical id (matched with the type: the function and the table share a name), ValidationError for a resource in no stack and for both StackName and PhysicalResourceId', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const owner = await stackOwnerOf(env.ctx, OWNED.table, 'AWS::DynamoDB::Table');
    const none = await stackOwnerOf(env.ctx, OWNED.forgedGroup, 'AWS::AutoScaling::AutoScalingGroup');
    // Assess
    expect(owner).toMatchObject({ stackName: 'shop-prod', logicalId: 'OrdersTable', resourceType: 'AWS::DynamoDB::Table', confirmed: true });
    expect(none).toBeUndefined();
    await expect(env.cfn.send(new DescribeStackResourcesCommand({ StackName: OWNED.stack, PhysicalResourceId: OWNED.table }))).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('fails a change set without changes with the reason AWS gives, and refuses to execute it with InvalidChangeSetStatus', async () => {
    // Prepare
    const env = ownedEnv();
    await env.cfn.send(new CreateChangeSetCommand({ StackName: OWNED.stack, ChangeSetName: 'same', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'OrdersMemory', UsePreviousValue: true }] }));
    // Act
    const pending = await env.cfn.send(new DescribeChangeSetCommand({ StackName: OWNED.stack, ChangeSetName: 'same' }));
    await env.sandbox.clock.sleep(10_000);
    const failed = await env.cfn.send(new DescribeChangeSetCommand({ StackName: OWNED.stack, ChangeSetName: 'same' }));
    // Assess
    expect(pending.Status).toBe('CREATE_PENDING');
    expect(failed).toMatchObject({ Status: 'FAILED', ExecutionStatus: 'UNAVAILABLE', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set." });
    await expect(env.cfn.send(new ExecuteChangeSetCommand({ StackName: OWNED.stack, ChangeSetName: 'same' }))).rejects.toMatchObject({ name: 'InvalidChangeSetStatusException' });
    await expect(env.cfn.send(new CreateChangeSetCommand({ StackName: OWNED.stack, ChangeSetName: 'same', UsePreviousTemplate: true }))).rejects.toMatchObject({ name: 'AlreadyExistsException' });
    await expect(env.cfn.send(new DescribeChangeSetCommand({ StackName: OWNED.stack, ChangeSetName: 'nope' }))).rejects.toMatchObject({ name: 'ChangeSetNotFoundException' });
  });

  it('refuses a change set that would replace a resource before executing it, with why, and deletes it', async () => {
    // Prepare
    const env = ownedEnv();
    const rename = { cfnType: 'AWS::DynamoDB::Table', path: ['TableName'], from: OWNED.table, to: 'shop-prod-orders-v2' };
    // Act
    const refused = prepareStackChange(env.ctx, { stackName: OWNED.stack, logicalId: 'OrdersTable', physicalId: OWNED.table, change: rename, changeSetName: 'trimtab-rename' });
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'ProtectedResourceError', message: 'change set refused, nothing was executed: the change set would replace OrdersTable (Replacement True: TableName requires recreation Always); trimtab never executes a change set that replaces or deletes a resource' });
    expect(stack(env).changeSets).toEqual([]);
    expect(stack(env).status).toBe('CREATE_COMPLETE');
    expect(env.sandbox.successfulWrites('cloudformation:ExecuteChangeSet')).toEqual([]);
  });

  it('changes a parameter-referenced property through the parameter alone, and drift detection then finds the function in sync', async () => {
    // Prepare
    const env = ownedEnv();
    const memory = { cfnType: 'AWS::Lambda::Function', path: ['MemorySize'], from: 1024, to: 512 };
    // Act
    const prepared = await prepareStackChange(env.ctx, { stackName: OWNED.stack, logicalId: 'OrdersFunction', physicalId: OWNED.fn, change: memory, changeSetName: 'trimtab-memory' });
    const status = await executeStackChange(env.ctx, OWNED.stack, prepared.changeSetId);
    const drift = await driftOf(env.ctx, OWNED.stack, 'OrdersFunction');
    // Assess
    expect(prepared.edit).toEqual({ kind: 'parameter', parameter: 'OrdersMemory', value: '512', where: 'Properties.MemorySize of OrdersFunction (parameter OrdersMemory)' });
    expect(status).toBe('UPDATE_COMPLETE');
    expect(drift).toEqual({ status: 'IN_SYNC', differences: [] });
    expect(lambdaState(env.sandbox, account(env), REGION).functions[OWNED.fn].memoryMb).toBe(512);
    expect(stack(env).parameters.OrdersMemory).toBe('512');
    expect(JSON.parse(stack(env).template)).toEqual(SHOP_TEMPLATE);
  });

  it('reports drift on a resource changed behind its stack', async () => {
    // Prepare
    const env = ownedEnv();
    autoscalingState(env.sandbox, account(env), REGION).groups[OWNED.group].minSize = 2;
    // Act
    const drift = await driftOf(env.ctx, OWNED.stack, 'WebGroup');
    // Assess
    expect(drift).toEqual({ status: 'MODIFIED', differences: ['/MinSize: expected "6", actual "2"'] });
  });

  it('never executes a change set of its own name that someone else made with another value, and leaves it in place', async () => {
    // Prepare
    const env = ownedEnv();
    await env.cfn.send(new CreateChangeSetCommand({ StackName: OWNED.stack, ChangeSetName: 'trimtab-memory', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'OrdersMemory', ParameterValue: '128' }] }));
    await env.sandbox.clock.sleep(10_000);
    const memory = { cfnType: 'AWS::Lambda::Function', path: ['MemorySize'], from: 1024, to: 512 };
    // Act
    const refused = prepareStackChange(env.ctx, { stackName: OWNED.stack, logicalId: 'OrdersFunction', physicalId: OWNED.fn, change: memory, changeSetName: 'trimtab-memory' });
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'ProtectedResourceError', message: 'change set trimtab-memory already exists on stack shop-prod and is not trimtab\'s submission (its parameters OrdersMemory are not the values trimtab submitted); it was neither executed nor deleted, nothing was changed' });
    expect(stack(env).changeSets.map((c) => [c.name, c.parameters.OrdersMemory])).toEqual([['trimtab-memory', '128']]);
    expect(lambdaState(env.sandbox, account(env), REGION).functions[OWNED.fn].memoryMb).toBe(1024);
    expect(env.sandbox.successfulWrites('cloudformation:ExecuteChangeSet')).toEqual([]);
  });

  it('executes on a retry the change set it made itself before, once', async () => {
    // Prepare
    const env = ownedEnv();
    const memory = { cfnType: 'AWS::Lambda::Function', path: ['MemorySize'], from: 1024, to: 512 };
    const params = { stackName: OWNED.stack, logicalId: 'OrdersFunction', physicalId: OWNED.fn, change: memory, changeSetName: 'trimtab-memory' };
    const first = await prepareStackChange(env.ctx, params);
    // Act
    const again = await prepareStackChange(env.ctx, params);
    await executeStackChange(env.ctx, OWNED.stack, again.changeSetId);
    // Assess
    expect(again.changeSetId).toBe(first.changeSetId);
    expect(env.sandbox.successfulWrites('cloudformation:ExecuteChangeSet')).toHaveLength(1);
    expect(lambdaState(env.sandbox, account(env), REGION).functions[OWNED.fn].memoryMb).toBe(512);
  });

  it('refuses a change through a nested stack, which the next update of its root stack would revert', async () => {
    // Prepare
    const env = ownedEnv();
    stack(env).parentId = 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop-root/00000001-0000-4000-8000-000000000000';
    const memory = { cfnType: 'AWS::Lambda::Function', path: ['MemorySize'], from: 1024, to: 512 };
    // Act
    const refused = prepareStackChange(env.ctx, { stackName: OWNED.stack, logicalId: 'OrdersFunction', physicalId: OWNED.fn, change: memory, changeSetName: 'trimtab-memory' });
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'ProtectedResourceError', message: 'not changed: stack shop-prod is a nested stack of arn:aws:cloudformation:us-east-1:123456789012:stack/shop-root/00000001-0000-4000-8000-000000000000: change it through its root stack, not directly' });
    expect(stack(env).changeSets).toEqual([]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('refuses a change through a stack Elastic Beanstalk manages, even when the resource lost its own elasticbeanstalk tag', async () => {
    // Prepare
    const env = ownedEnv();
    stack(env).tags = { 'elasticbeanstalk:environment-name': 'shop-web-prod' };
    const change = { cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: '6', to: '3' };
    // Act
    const refused = prepareStackChange(env.ctx, { stackName: OWNED.stack, logicalId: 'WebGroup', physicalId: OWNED.group, change, changeSetName: 'trimtab-eb' });
    // Assess
    await expect(refused).rejects.toThrow('not changed: stack shop-prod is managed by Elastic Beanstalk (stack tag elasticbeanstalk:environment-name=shop-web-prod): change it through that service, not the stack');
    expect(stack(env).changeSets).toEqual([]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('refuses at apply time a change through a stack that does not own the resource, whatever its tags say', async () => {
    // Prepare
    const env = ownedEnv();
    const change = { cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: '6', to: '3' };
    // Act
    const refused = prepareStackChange(env.ctx, { stackName: OWNED.stack, logicalId: 'WebGroup', physicalId: OWNED.forgedGroup, change, changeSetName: 'trimtab-forged' });
    // Assess
    await expect(refused).rejects.toThrow('forged-claim is not WebGroup of stack shop-prod according to CloudFormation (it is in no stack); the owner claimed by its tags is not confirmed, nothing was changed');
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});

describe('sandbox EKS and Elastic Beanstalk', () => {
  it('keeps minSize <= desiredSize <= maxSize (InvalidParameterException) and one update at a time (ResourceInUseException)', async () => {
    // Prepare
    const env = ownedEnv();
    const ng = { clusterName: 'platform', nodegroupName: 'workers' };
    // Act
    const bad = env.eks.send(new UpdateNodegroupConfigCommand({ ...ng, scalingConfig: { minSize: 8, maxSize: 20, desiredSize: 6 } }));
    await env.eks.send(new UpdateNodegroupConfigCommand({ ...ng, scalingConfig: { minSize: 3 } }));
    const during = await env.eks.send(new DescribeNodegroupCommand(ng));
    const second = env.eks.send(new UpdateNodegroupConfigCommand({ ...ng, scalingConfig: { minSize: 2 } }));
    // Assess
    await expect(bad).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(during.nodegroup).toMatchObject({ status: 'UPDATING', resources: { autoScalingGroups: [{ name: OWNED.eksGroup }] } });
    await expect(second).rejects.toMatchObject({ name: 'ResourceInUseException' });
    await expect(env.eks.send(new DescribeNodegroupCommand({ clusterName: 'platform', nodegroupName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('lists an environment\'s Auto Scaling groups, and answers InvalidParameterValue for an unknown environment', async () => {
    // Prepare
    const env = ownedEnv();
    const eb = env.clients.get(ElasticBeanstalkClient, REGION);
    // Act
    const out = await eb.send(new DescribeEnvironmentResourcesCommand({ EnvironmentName: 'shop-web-prod' }));
    // Assess
    expect(out.EnvironmentResources?.AutoScalingGroups).toEqual([{ Name: OWNED.beanstalkGroup }]);
    await expect(eb.send(new DescribeEnvironmentResourcesCommand({ EnvironmentName: 'nope' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});
