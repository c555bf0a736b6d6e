/**
 * rightsize-launch-template end to end on the sandbox: the approval workflow (generated ASL,
 * local Step Functions) writes the new launch template version and repoints the group only
 * after approval, with an instance refresh that moves the running instances in AWS-like time;
 * undo then points the group back at the recorded version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalApprovalStack, type LocalApprovalStack } from '../../lib/approval/local.ts';
import { MemoryApprovalStore } from '../../lib/approval/store.ts';
import { decide } from '../../lib/approval/workflow.ts';
import { undoAction } from '../../lib/engine/undo.ts';
import { addLaunchTemplateGroup } from '../../lib/resources/asg/rightsize-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../lib/sandbox/services/autoscaling.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { SECRET, waitFor } from '../approval-helpers.ts';
import { policiesFrom, testEnv, TEST_START } from '../helpers.ts';

const policyYaml = `
version: 1
policies:
  - id: rightsize-groups
    resource: asg
    detector: { type: oversized-group-instances }
    action: { type: rightsize-launch-template, instanceRefresh: true }
    mode: approval
    limits: { maxActionsPerRun: 5, cooldownHours: 0 }
    approval: { approvers: [oncall@example.com], timeoutHours: 240 }
`;

let stack: LocalApprovalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('rightsize-launch-template through the approval workflow', () => {
  it('changes nothing before approval; after it, the group launches the smaller type, the refresh moves the instances, and undo points the group back', async () => {
    // Prepare
    const env = testEnv('empty', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
    addLaunchTemplateGroup(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', {
      name: 'acme-render', ageDays: 60, minSize: 2, maxSize: 8, desiredCapacity: 4, defaultCooldown: 300, instanceType: 'c5.2xlarge', cpu: { base: 10, noise: 2 }, inService: { base: 4 },
    });
    const group = () => autoscalingState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').groups['acme-render'];
    const now = () => env.sandbox.now();
    const store = new MemoryApprovalStore(now);
    const policies = policiesFrom(policyYaml);
    stack = await startLocalApprovalStack({ engine: env.deps, store, secret: SECRET, now, currentPolicies: policies, workflow: { retryIntervalMs: 0 } });
    env.deps.approvals = stack.requester;
    const result = await env.run(policies);
    const approvalId = result.findings.find((f) => f.outcome === 'awaiting-approval')!.outcomeDetail!.match(/apr-[a-z0-9]+/)![0];
    await waitFor(async () => ((await store.get(approvalId))?.notified?.length ? true : undefined), 'the approval email');
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(group().launchTemplate!.Version).toBe('$Default');

    // Act
    await decide({ store, tasks: stack.tasks, now }, { approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
    await stack.workflow.executions.get(approvalId)!.result;

    // Assess
    const record = (await store.get(approvalId))!;
    expect(record.status).toBe('fixed');
    expect(env.sandbox.successfulWrites().map((w) => w.operation)).toEqual(['CreateLaunchTemplateVersion', 'UpdateAutoScalingGroup', 'StartInstanceRefresh']);
    expect(group().launchTemplate!.Version).toBe('2');
    const toType = result.findings[0].evidence.candidate as string;
    expect(record.actions!.map((a) => [a.resourceId, a.status])).toEqual([['acme-render', 'verified']]);
    // The refresh: a minute pending, then 300 s per instance, four instances.
    expect(group().instanceType).toBe('c5.2xlarge');
    await env.sandbox.clock.sleep(60_000 + 4 * 300_000);
    await env.run(policiesFrom(policyYaml.replace('mode: approval', 'mode: dry-run')), { forceDryRun: true }); // a read settles the refresh
    expect(group().instanceType).toBe(toType);

    // Undo
    const actionId = (await env.store.list()).find((a) => a.action === 'rightsize-launch-template')!.id;
    const undone = await undoAction(actionId, env.deps);
    expect(undone.status).toBe('undone');
    expect(group().launchTemplate!.Version).toBe('$Default');
  });
});
