import { describe, expect, it } from 'vitest';
import { DescribeConfigurationSettingsCommand, ElasticBeanstalkClient, UpdateEnvironmentCommand } from '@aws-sdk/client-elastic-beanstalk';
import '../../../lib/resources/index.ts';
import { undoAction } from '../../../lib/engine/undo.ts';
import { regionContext } from '../../../lib/engine/run.ts';
import type { ApplyEnv, Finding, StepProgress } from '../../../lib/engine/types.ts';
import { consultOwners } from '../../../lib/ownership/hook.ts';
import { OWNED, seedOwnedResources } from '../../../lib/ownership/sandbox-seed.ts';
import { applyViaOwner, verifyViaOwner, type ViaOwner } from '../../../lib/ownership/via-owner.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../../lib/sandbox/services/autoscaling.ts';
import { beanstalkState } from '../../../lib/sandbox/services/elastic-beanstalk.ts';
import { eksState } from '../../../lib/sandbox/services/eks.ts';
import { emptySandbox, envFor, policiesFrom } from '../../helpers.ts';

const REGION = 'us-east-1';
const ENV_NAME = 'shop-web-prod';

function ownedEnv() {
  const sandbox = emptySandbox();
  sandbox.account(SANDBOX_ACCOUNT, 'owned');
  seedOwnedResources(sandbox, SANDBOX_ACCOUNT);
  const env = envFor(sandbox, [REGION]);
  const writable = env.clients.withWrites(true);
  return { ...env, ctx: () => regionContext(env.deps, REGION, writable, sandbox.now()), eb: writable.get(ElasticBeanstalkClient, REGION) };
}

const asgPolicy = (owned?: string, mode = 'auto') => `
policies:
  - id: lower-min
    resource: asg
    mode: ${mode}
    detector: { type: min-size-unneeded, headroomPercent: 20 }
    action: { type: lower-min-size, floor: 1, maxReductionPercent: 50 }
${owned ? `    owned: ${owned}\n` : ''}`;

const environment = (env: ReturnType<typeof ownedEnv>) => beanstalkState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), REGION).environments[ENV_NAME];
const group = (env: ReturnType<typeof ownedEnv>, name: string) => autoscalingState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), REGION).groups[name];
const byId = <F extends { resource: { id: string } }>(findings: F[], id: string): F => findings.find((f) => f.resource.id === id)!;
const beanstalkWrites = (env: ReturnType<typeof ownedEnv>) => env.sandbox.successfulWrites().filter((w) => w.service === 'elasticbeanstalk' || (w.input as any).AutoScalingGroupName === OWNED.beanstalkGroup);

describe('sandbox Elastic Beanstalk option settings', () => {
  it('answers UpdateEnvironment on an environment that is not Ready with InvalidParameterValue, and a MinSize under 1 with ConfigurationValidationException', async () => {
    // Prepare
    const env = ownedEnv();
    const setMin = (value: string) => env.eb.send(new UpdateEnvironmentCommand({ EnvironmentName: ENV_NAME, OptionSettings: [{ Namespace: 'aws:autoscaling:asg', OptionName: 'MinSize', Value: value }] }));
    // Act
    const zero = setMin('0');
    const aboveMax = setMin('21');
    await setMin('3');
    const during = await env.eb.send(new DescribeConfigurationSettingsCommand({ ApplicationName: 'shop-web', EnvironmentName: ENV_NAME }));
    const second = setMin('2');
    // Assess
    await expect(zero).rejects.toMatchObject({ name: 'ConfigurationValidationException' });
    await expect(aboveMax).rejects.toMatchObject({ name: 'ConfigurationValidationException' });
    await expect(second).rejects.toMatchObject({ name: 'InvalidParameterValue', message: 'Environment named shop-web-prod is in an invalid state for this operation. Must be Ready.' });
    expect(during.ConfigurationSettings?.map((c) => [c.DeploymentStatus, c.OptionSettings?.find((o) => o.OptionName === 'MinSize')?.Value])).toEqual([['deployed', '6'], ['pending', '3']]);
    await expect(env.eb.send(new DescribeConfigurationSettingsCommand({ ApplicationName: 'shop-web' } as any))).rejects.toMatchObject({ name: 'MissingRequiredParameter' });
  });
});

describe('owned by an Elastic Beanstalk environment', () => {
  it('reports the environment, namespace, option name and new value by default, and writes nothing', async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy());
    // Assess
    const finding = byId(result.findings, OWNED.beanstalkGroup);
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toBe('Owned by Elastic Beanstalk environment shop-web-prod, from tag elasticbeanstalk:environment-name (a tag: a claim, not checked). Change it in the option settings of environment shop-web-prod (UpdateEnvironment, the console, .ebextensions or a saved configuration), not on the resource: set option MinSize in namespace aws:autoscaling:asg to "3" (now "6").');
    expect(beanstalkWrites(env)).toEqual([]);
  });

  it("lowers the group's MinSize through UpdateEnvironment with exactly that option setting under via-owner, waits for Ready and verifies the deployed value", async () => {
    // Prepare
    const env = ownedEnv();
    // Act
    const result = await env.run(asgPolicy('{ choice: via-owner }'));
    // Assess
    const record = result.actions.find((a) => a.resource.id === OWNED.beanstalkGroup)!;
    expect(record.status).toBe('verified');
    expect(record.verification?.detail).toBe('environment shop-web-prod is Ready / Green with aws:autoscaling:asg MinSize "3"');
    expect(beanstalkWrites(env).map((w) => [w.operation, (w.input as any).OptionSettings])).toEqual([['UpdateEnvironment', [{ Namespace: 'aws:autoscaling:asg', OptionName: 'MinSize', Value: '3' }]]]);
    expect(environment(env).options['aws:autoscaling:asg|MinSize']).toBe('3');
    expect(group(env, OWNED.beanstalkGroup).minSize).toBe(3);
    expect(record.transitions.filter((t) => t.step).map((t) => t.step!.step)).toEqual(['beanstalk-update-sent']);
  });

  it('keeps a change whose value is deployed but whose health is not Green applied (undoable) and says so, instead of failing it', async () => {
    // Prepare: the update went through; the environment is Ready with the new value and Yellow.
    const env = ownedEnv();
    const via: ViaOwner = { kind: 'elastic-beanstalk', environment: ENV_NAME, application: 'shop-web', resourceId: OWNED.beanstalkGroup, resourceKind: 'asg', setting: { namespace: 'aws:autoscaling:asg', option: 'MinSize', from: '6', to: '3' } };
    await applyViaOwner(env.ctx(), { params: { viaOwner: via } });
    environment(env).health = 'Yellow';
    // Act
    const verification = await verifyViaOwner(env.ctx(), { params: { viaOwner: via } });
    // Assess
    expect(verification).toEqual({ ok: false, pending: true, detail: 'environment shop-web-prod is Ready with aws:autoscaling:asg MinSize "3" but its health is Yellow, not Green: the change is in place (undo with trimtab undo if the health does not recover); re-verify once the environment is Green' });
  });

  it('undoes a change made through the environment by setting the previous value back', async () => {
    // Prepare
    const env = ownedEnv();
    const result = await env.run(asgPolicy('{ choice: via-owner }'));
    const record = result.actions.find((a) => a.resource.id === OWNED.beanstalkGroup)!;
    // Act
    const undone = await undoAction(record.id, env.deps);
    // Assess
    expect(undone.status).toBe('undone');
    expect(environment(env).options['aws:autoscaling:asg|MinSize']).toBe('6');
    expect(group(env, OWNED.beanstalkGroup).minSize).toBe(6);
    expect(beanstalkWrites(env).map((w) => (w.input as any).OptionSettings[0].Value)).toEqual(['3', '6']);
  });

  it('refuses via-owner, reporting why, when the environment is not Ready', async () => {
    // Prepare
    const env = ownedEnv();
    environment(env).status = 'Updating';
    // Act
    const result = await env.run(asgPolicy('{ choice: via-owner }'));
    // Assess
    const finding = byId(result.findings, OWNED.beanstalkGroup);
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toMatch(/^via-owner not possible \(environment shop-web-prod is Updating, not Ready \(UpdateEnvironment needs Ready\): the next run tries again\); reported instead\. Owned by Elastic Beanstalk environment shop-web-prod/);
    expect(beanstalkWrites(env)).toEqual([]);
  });

  it("refuses via-owner when the environment's setting is not the value the finding saw", async () => {
    // Prepare: someone set MinSize 5 in Beanstalk; the group still shows 6.
    const env = ownedEnv();
    environment(env).options['aws:autoscaling:asg|MinSize'] = '5';
    // Act
    const result = await env.run(asgPolicy('{ choice: via-owner }'));
    // Assess
    const finding = byId(result.findings, OWNED.beanstalkGroup);
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toMatch(/^via-owner not possible \(environment shop-web-prod has aws:autoscaling:asg MinSize "5", not "6" as the finding saw\)/);
    expect(beanstalkWrites(env)).toEqual([]);
  });

  it('refuses via-owner for a group the environment its tag names does not list', async () => {
    // Prepare: the tag claims shop-web-prod, Beanstalk lists another group.
    const env = ownedEnv();
    environment(env).autoScalingGroups = ['awseb-other'];
    // Act
    const result = await env.run(asgPolicy('{ choice: via-owner }'));
    // Assess
    expect(byId(result.findings, OWNED.beanstalkGroup).outcomeDetail).toMatch(/^via-owner not possible \(environment shop-web-prod does not own Auto Scaling group awseb-e-shopweb-stack-AWSEBAutoScalingGroup-1ABCDEF according to Elastic Beanstalk \(DescribeEnvironmentResources\)\)/);
    expect(beanstalkWrites(env)).toEqual([]);
  });

  it('refuses at apply time, changing nothing, when the setting moved after the plan was made', async () => {
    // Prepare
    const env = ownedEnv();
    const via: ViaOwner = { kind: 'elastic-beanstalk', environment: ENV_NAME, application: 'shop-web', resourceId: OWNED.beanstalkGroup, resourceKind: 'asg', setting: { namespace: 'aws:autoscaling:asg', option: 'MinSize', from: '6', to: '3' } };
    environment(env).options['aws:autoscaling:asg|MinSize'] = '4';
    // Act
    const applied = applyViaOwner(env.ctx(), { params: { viaOwner: via } });
    // Assess
    await expect(applied).rejects.toMatchObject({ name: 'ProtectedResourceError', message: 'not changed through Elastic Beanstalk: environment shop-web-prod has aws:autoscaling:asg MinSize "4", not "6" as the finding saw; nothing was changed' });
    expect(beanstalkWrites(env)).toEqual([]);
  });
});

describe('Elastic Beanstalk instance types and value ranges', () => {
  it('changes the instance type through aws:ec2:instances InstanceTypes, and the environment then launches the new type', async () => {
    // Prepare: rolling updates on, so Beanstalk replaces the instances in batches.
    const env = ownedEnv();
    environment(env).options['aws:autoscaling:updatepolicy:rollingupdate|RollingUpdateEnabled'] = 'true';
    const via: ViaOwner = { kind: 'elastic-beanstalk', environment: ENV_NAME, application: 'shop-web', resourceId: OWNED.beanstalkGroup, resourceKind: 'asg', setting: { namespace: 'aws:ec2:instances', option: 'InstanceTypes', from: 'm5.large', to: 'm5.medium' } };
    // Act
    const done = await applyViaOwner(env.ctx(), { params: { viaOwner: via } });
    // Assess
    expect(done.detail).toBe('Elastic Beanstalk environment shop-web-prod: aws:ec2:instances InstanceTypes m5.large → m5.medium');
    expect(environment(env).options['aws:ec2:instances|InstanceTypes']).toBe('m5.medium');
    expect(group(env, OWNED.beanstalkGroup).instanceType).toBe('m5.medium');
    expect(env.sandbox.successfulWrites('elasticbeanstalk:UpdateEnvironment').map((w) => (w.input as any).OptionSettings)).toEqual([[{ Namespace: 'aws:ec2:instances', OptionName: 'InstanceTypes', Value: 'm5.medium' }]]);
  });

  it('refuses an instance type change, sending nothing, when the environment would replace every instance at once (rolling updates off)', async () => {
    // Prepare: RollingUpdateEnabled false: a new instance type terminates all instances together.
    const env = ownedEnv();
    environment(env).options['aws:autoscaling:updatepolicy:rollingupdate|RollingUpdateEnabled'] = 'false';
    const via: ViaOwner = { kind: 'elastic-beanstalk', environment: ENV_NAME, application: 'shop-web', resourceId: OWNED.beanstalkGroup, resourceKind: 'asg', setting: { namespace: 'aws:ec2:instances', option: 'InstanceTypes', from: 'm5.large', to: 'm5.medium' } };
    // Act
    const applied = applyViaOwner(env.ctx(), { params: { viaOwner: via } });
    // Assess
    await expect(applied).rejects.toMatchObject({ name: 'ProtectedResourceError', message: 'not changed through Elastic Beanstalk: changing aws:ec2:instances InstanceTypes terminates and replaces every instance of environment shop-web-prod, and its aws:autoscaling:updatepolicy:rollingupdate RollingUpdateEnabled is not true: Elastic Beanstalk would replace them all at once (downtime); enable rolling or immutable updates first; nothing was changed' });
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(environment(env).options['aws:ec2:instances|InstanceTypes']).toBe('m5.large');
  });

  it('refuses a MinSize Beanstalk does not accept (under 1) before sending anything', async () => {
    // Prepare
    const env = ownedEnv();
    const via: ViaOwner = { kind: 'elastic-beanstalk', environment: ENV_NAME, application: 'shop-web', resourceId: OWNED.beanstalkGroup, resourceKind: 'asg', setting: { namespace: 'aws:autoscaling:asg', option: 'MinSize', from: '6', to: '0' } };
    // Act
    const applied = applyViaOwner(env.ctx(), { params: { viaOwner: via } });
    // Assess
    await expect(applied).rejects.toMatchObject({ name: 'ProtectedResourceError', message: "not changed through Elastic Beanstalk: Beanstalk's aws:autoscaling:asg MinSize is 1 to 10000, not 0; nothing was changed" });
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});

describe('via-owner resume points', () => {
  const beanstalkVia: ViaOwner = { kind: 'elastic-beanstalk', environment: ENV_NAME, application: 'shop-web', resourceId: OWNED.beanstalkGroup, resourceKind: 'asg', setting: { namespace: 'aws:autoscaling:asg', option: 'MinSize', from: '6', to: '3' } };
  const applyEnv = (progress: StepProgress[], remainingMs: number): ApplyEnv & { recorded: StepProgress[] } => {
    const recorded: StepProgress[] = [];
    return { progress, recorded, record: async (s) => void recorded.push(s), remainingMs: () => remainingMs };
  };

  it('hands the wait for the Beanstalk environment back as resumeAt, and a resumed apply waits from the recorded step without sending the update again', async () => {
    // Prepare
    const env = ownedEnv();
    const first = applyEnv([], 20_000);
    // Act
    const started = await applyViaOwner(env.ctx(), { params: { viaOwner: beanstalkVia } }, first);
    env.sandbox.clock.sleep(200_000);
    const resumed = applyEnv(first.recorded, 15 * 60_000);
    const done = await applyViaOwner(env.ctx(), { params: { viaOwner: beanstalkVia } }, resumed);
    // Assess
    expect(started.resumeAt).toBeDefined();
    expect(first.recorded.map((s) => s.step)).toEqual(['beanstalk-update-sent']);
    expect(done.resumeAt).toBeUndefined();
    expect(done.detail).toBe('Elastic Beanstalk environment shop-web-prod: aws:autoscaling:asg MinSize 6 → 3');
    expect(resumed.recorded).toEqual([]);
    expect(env.sandbox.successfulWrites('elasticbeanstalk:UpdateEnvironment')).toHaveLength(1);
  });

  it('does not claim "nothing was changed" when its update is already deploying but its step was never recorded, and sends nothing again', async () => {
    // Prepare: UpdateEnvironment went out, then the invocation ended before recording beanstalk-update-sent.
    const env = ownedEnv();
    await env.eb.send(new UpdateEnvironmentCommand({ EnvironmentName: ENV_NAME, OptionSettings: [{ Namespace: 'aws:autoscaling:asg', OptionName: 'MinSize', Value: '3' }] }));
    // Act
    const retried = applyViaOwner(env.ctx(), { params: { viaOwner: beanstalkVia } }, applyEnv([], 15 * 60_000));
    // Assess
    await expect(retried).rejects.toMatchObject({ name: 'TrimtabError', message: "Elastic Beanstalk environment shop-web-prod is already deploying aws:autoscaling:asg MinSize 3 (an update sent before this apply recorded it, or someone else's): nothing sent again; check the environment's events" });
    expect(env.sandbox.successfulWrites('elasticbeanstalk:UpdateEnvironment')).toHaveLength(1);
  });

  it('hands the wait for UPDATE_COMPLETE back as resumeAt after executing the change set, and resumes without executing it again', async () => {
    // Prepare
    const env = ownedEnv();
    const via: ViaOwner = { kind: 'cloudformation', stackName: OWNED.stack, logicalId: 'WebGroup', physicalId: OWNED.group, change: { cfnType: 'AWS::AutoScaling::AutoScalingGroup', path: ['MinSize'], from: '6', to: '3' }, changeSetName: 'trimtab-resume' };
    const first = applyEnv([], 20_000);
    // Act
    const started = await applyViaOwner(env.ctx(), { params: { viaOwner: via } }, first);
    env.sandbox.clock.sleep(120_000);
    const resumed = applyEnv(first.recorded, 15 * 60_000);
    const done = await applyViaOwner(env.ctx(), { params: { viaOwner: via } }, resumed);
    // Assess
    expect(started.resumeAt).toBeDefined();
    expect(first.recorded.map((s) => s.step)).toEqual(['change-set-executed']);
    expect(done.after).toMatchObject({ stackStatus: 'UPDATE_COMPLETE', value: '3' });
    expect(env.sandbox.successfulWrites('cloudformation:ExecuteChangeSet')).toHaveLength(1);
    expect(env.sandbox.successfulWrites('cloudformation:CreateChangeSet')).toHaveLength(1);
  });

  it('hands the wait for the EKS node group back as resumeAt after UpdateNodegroupConfig, and resumes without sending it again', async () => {
    // Prepare
    const env = ownedEnv();
    const via: ViaOwner = { kind: 'eks-nodegroup', cluster: 'platform', nodegroup: 'workers', asg: OWNED.eksGroup, change: { field: 'minSize', from: 6, to: 3 } };
    const first = applyEnv([], 20_000);
    // Act
    const started = await applyViaOwner(env.ctx(), { params: { viaOwner: via } }, first);
    env.sandbox.clock.sleep(120_000);
    const resumed = applyEnv(first.recorded, 15 * 60_000);
    const done = await applyViaOwner(env.ctx(), { params: { viaOwner: via } }, resumed);
    // Assess
    expect(started.resumeAt).toBeDefined();
    expect(first.recorded.map((s) => s.step)).toEqual(['nodegroup-update-sent']);
    expect(done.after).toMatchObject({ minSize: 3 });
    expect(env.sandbox.successfulWrites('eks:UpdateNodegroupConfig')).toHaveLength(1);
  });
  it('waits for its own EKS update by id, not for the node group to read ACTIVE, and fails when that update failed', async () => {
    // Prepare: the update is sent; then the node group reads ACTIVE while the update is still InProgress.
    const env = ownedEnv();
    const via: ViaOwner = { kind: 'eks-nodegroup', cluster: 'platform', nodegroup: 'workers', asg: OWNED.eksGroup, change: { field: 'minSize', from: 6, to: 3 } };
    const first = applyEnv([], 20_000);
    await applyViaOwner(env.ctx(), { params: { viaOwner: via } }, first);
    const ng = eksState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), REGION).nodegroups['platform/workers'];
    ng.status = 'ACTIVE';
    // Act
    const stillWaiting = await applyViaOwner(env.ctx(), { params: { viaOwner: via } }, applyEnv(first.recorded, 20_000));
    ng.updates[0].status = 'Failed';
    const failed = applyViaOwner(env.ctx(), { params: { viaOwner: via } }, applyEnv(first.recorded, 20_000));
    // Assess
    expect(stillWaiting.resumeAt).toBeDefined();
    expect(stillWaiting.after).toMatchObject({ updateId: ng.updates[0].id, waitingFor: 'Successful' });
    await expect(failed).rejects.toMatchObject({ name: 'TrimtabError', message: `EKS update ${ng.updates[0].id} of node group workers is Failed` });
    expect(env.sandbox.successfulWrites('eks:UpdateNodegroupConfig')).toHaveLength(1);
  });
});

describe('EKS managed node group instance types', () => {
  const rightsizeFinding = (): Finding & { outcomeDetail?: string } => ({
    id: 'f-1', policy: 'rightsize', detector: 'oversized-group-instances', status: 'actionable',
    resource: { type: 'asg', id: OWNED.eksGroup, arn: `arn:aws:autoscaling:${REGION}:${SANDBOX_ACCOUNT}:autoScalingGroup:x:autoScalingGroupName/${OWNED.eksGroup}`, account: SANDBOX_ACCOUNT, region: REGION, tags: { 'eks:cluster-name': 'platform', 'eks:nodegroup-name': 'workers' } },
    plan: { action: 'rightsize-launch-template', summary: 'Write a new launch template version …', params: { group: OWNED.eksGroup, launchTemplateId: 'lt-0000000000000001', version: '3', fromType: 'm5.large', toType: 'm5.medium' }, hash: 'h1' },
  } as unknown as Finding & { outcomeDetail?: string });
  const policyOf = (choice: string) => () => policiesFrom(`
policies:
  - id: rightsize
    resource: asg
    detector: { type: oversized-group-instances }
    action: { type: rightsize-launch-template }
    owned: { choice: ${choice} }
`)[0];

  it('reports exactly what to change on the node group (its own launch template, not the EKS copy on the group, or instanceTypes, and the new type)', async () => {
    // Prepare
    const env = ownedEnv();
    const finding = rightsizeFinding();
    // Act
    await consultOwners([finding], policyOf('report'), env.ctx());
    // Assess
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toBe('Owned by EKS node group workers of cluster platform, from tags eks:cluster-name, eks:nodegroup-name (a tag: a claim, not checked). Change the instance type on the node group, not its Auto Scaling group: m5.large → m5.medium. The group\'s launch template lt-0000000000000001 (version 3) is EKS\'s copy: do not edit it. If the node group was made from your own launch template (DescribeNodegroup launchTemplate) with no instanceTypes on the node group, create a new version of that launch template with InstanceType m5.medium and roll it out with UpdateNodegroupVersion (the same launch template id and the new version; every node is replaced); if the node group has instanceTypes [m5.large] (with or without a launch template), they cannot be changed: create a node group with instanceTypes [m5.medium] and move the workloads.');
  });

  it("refuses via-owner for a node group's instance type, saying why, and writes nothing", async () => {
    // Prepare
    const env = ownedEnv();
    const finding = rightsizeFinding();
    // Act
    await consultOwners([finding], policyOf('via-owner'), env.ctx());
    // Assess
    expect(finding.status).toBe('report-only');
    expect(finding.plan).toBeUndefined();
    expect(finding.outcomeDetail).toMatch(/^via-owner not possible \(an EKS node group's instance type is not changed by UpdateNodegroupConfig: it takes a new launch template version rolled out by UpdateNodegroupVersion, which replaces every node, or a new node group when it was made with instanceTypes \(immutable\); trimtab does not make either\); reported instead\./);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});
