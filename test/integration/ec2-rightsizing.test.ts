/**
 * EC2 right-sizing end to end on the sandbox: the approval workflow (generated ASL, local Step
 * Functions) resizing an instance after approval, waiting in a Wait state for the policy's
 * maintenance window; the CLI `run` and `undo`; the scheduled sweep over trimtab.yml.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalApprovalStack, type LocalApprovalStack } from '../../lib/approval/local.ts';
import { STATE } from '../../lib/approval/state-machine.ts';
import { MemoryApprovalStore } from '../../lib/approval/store.ts';
import { decide } from '../../lib/approval/workflow.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { ec2InstancesState } from '../../lib/sandbox/services/ec2-instances.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { SECRET, waitFor } from '../approval-helpers.ts';
import { runTrimtab } from '../cli-helpers.ts';
import { lambdaDepsFor, policiesFrom, testEnv, TEST_START } from '../helpers.ts';

const OVERSIZED = 'i-0a11e00000000e001';

const policyYaml = (mode: string, action: string, limit = 1) => `
version: 1
policies:
  - id: rightsize
    resource: ec2-instance
    detector: { type: oversized-instance }
    action: ${action}
    mode: ${mode}
    limits: { maxActionsPerRun: ${limit}, cooldownHours: 0 }
    scope: { includeNames: [i-0a11e00000000e001] }
    approval: { approvers: [oncall@example.com], timeoutHours: 240 }
`;

let stack: LocalApprovalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function approvalRun(action: string) {
  const env = testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
  const now = () => env.sandbox.now();
  const store = new MemoryApprovalStore(now);
  const policies = policiesFrom(policyYaml('approval', action));
  stack = await startLocalApprovalStack({ engine: env.deps, store, secret: SECRET, now, currentPolicies: policies, workflow: { retryIntervalMs: 0 } });
  env.deps.approvals = stack.requester;
  const result = await env.run(policies);
  const approvalId = result.findings.find((f) => f.outcome === 'awaiting-approval')!.outcomeDetail!.match(/apr-[a-z0-9]+/)![0];
  await waitFor(async () => ((await store.get(approvalId))?.notified?.length ? true : undefined), 'the approval email');
  const approve = () => decide({ store, tasks: stack!.tasks, now }, { approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
  const execution = () => stack!.workflow.executions.get(approvalId)!;
  return { env, store, approvalId, result, approve, execution };
}

const instance = (env: ReturnType<typeof testEnv>, id: string) => ec2InstancesState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').instances[id];

describe('change-instance-type through the approval workflow', () => {
  it('resizes the instance only after approval, then verifies it and reports fixed', async () => {
    // Prepare
    const run = await approvalRun('{ type: change-instance-type }');
    expect(instance(run.env, OVERSIZED).instanceType).toBe('m5.2xlarge');
    expect(run.env.sandbox.successfulWrites()).toEqual([]);
    // Act
    await run.approve();
    await run.execution().result;
    // Assess
    const record = (await run.store.get(run.approvalId))!;
    expect(record.status).toBe('fixed');
    // Stop, modify and start in one Apply; the wait for running and the status checks is a workflow
    // wait (resumeAt), then Apply resumes the same action and finishes it.
    expect(run.execution().states).toEqual([STATE.record, STATE.ask, STATE.apply, STATE.windowOpen, STATE.waitForWindow, STATE.apply, STATE.windowOpen, STATE.verify, STATE.tell, STATE.howDidItEnd, STATE.fixed]);
    expect(instance(run.env, OVERSIZED)).toMatchObject({ instanceType: 'm6i.large', state: 'running' });
    expect(record.actions!.map((a) => [a.resourceId, a.status, a.detail])).toEqual([[OVERSIZED, 'verified', `${OVERSIZED} runs m6i.large; both status checks ok`]]);
    expect(run.env.sandbox.successfulWrites().map((w) => w.operation)).toEqual(['StopInstances', 'ModifyInstanceAttribute', 'StartInstances']);
  });

  it('waits in Step Functions for the maintenance window, then resizes inside it', async () => {
    // Prepare: approved on Sunday 2026-11-01 00:00 UTC; the window opens Wednesdays at 03:00 for 2 h.
    const run = await approvalRun('{ type: change-instance-type, maintenanceWindow: { days: [wed], start: "03:00", hours: 2 } }');
    // Act
    await run.approve();
    await run.execution().result;
    // Assess: Apply answered the opening, the execution waited (Wait state), applied again inside the window.
    expect(run.execution().states).toEqual([
      STATE.record, STATE.ask, STATE.apply, STATE.windowOpen, STATE.waitForWindow, STATE.apply, STATE.windowOpen, STATE.waitForWindow, STATE.apply, STATE.windowOpen,
      STATE.verify, STATE.tell, STATE.howDidItEnd, STATE.fixed,
    ]);
    const stop = run.env.sandbox.successfulWrites('StopInstances')[0];
    expect(Date.parse(stop.at)).toBeGreaterThanOrEqual(Date.parse('2026-11-04T03:00:00Z'));
    expect(Date.parse(stop.at)).toBeLessThan(Date.parse('2026-11-04T05:00:00Z'));
    expect(instance(run.env, OVERSIZED).instanceType).toBe('m6i.large');
    expect((await run.store.get(run.approvalId))!.status).toBe('fixed');
  });
});

describe('change-instance-type from the CLI on the sandbox', () => {
  it('run --yes resizes the oversized instance and undo changes it back', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-ec2-rightsize-'));
    const policies = join(dir, 'p.yml');
    writeFileSync(policies, policyYaml('auto', '{ type: change-instance-type }'));
    // Act
    const run = await runTrimtab(dir, ['run', '--sandbox', '--yes', '--policies', policies, '--output', 'json']);
    const action = JSON.parse(run.stdout).actions[0];
    const undo = await runTrimtab(dir, ['undo', action.id, '--sandbox']);
    // Assess
    expect(run.code).toBe(0);
    expect(action).toMatchObject({ action: 'change-instance-type', status: 'verified' });
    expect(undo.stdout).toContain(`Changed ${OVERSIZED} back to m5.2xlarge (running, status checks ok).`);
  }, 90_000);
});

describe('the scheduled function over trimtab.yml', () => {
  it('asks for approval of the oversized instances (not the traps) and changes nothing', async () => {
    // Prepare: the scan Lambda's sweep with trimtab.yml's right-sizing policies.
    const env = testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
    const set = loadPolicies('trimtab.yml');
    const deps = lambdaDepsFor(env, { ...set, policies: set.policies.filter((p) => p.id === 'ec2-rightsize-oversized-instances' || p.id === 'ec2-undersized-instances') });
    const requested: string[] = [];
    deps.engine.approvals = {
      request: async (policy, findings) => {
        requested.push(`${policy.id}: ${findings.map((f) => f.resource.id).sort().join(' ')}`);
        return { approvalId: 'apr-test' };
      },
    };
    // Act
    const out = await runSweep(JSON.parse(readFileSync('events/schedule-daily.json', 'utf8')), undefined, deps);
    // Assess
    expect(requested).toEqual([`ec2-rightsize-oversized-instances: i-0a11e0000000000a1 ${OVERSIZED} i-0a11e00000000e006 i-0a11e00000000e007`]);
    expect(out.errors).toEqual([]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('reports the undersized instances as performance findings with the risk they carry', async () => {
    const env = testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
    const result = await env.run(loadPolicies('trimtab.yml').policies.filter((p) => p.id === 'ec2-undersized-instances'));
    const under = result.findings;
    expect(under.map((f) => [f.resource.id, f.evidence.candidate]).sort()).toEqual([['i-0a11e00000000e002', 'c6i.xlarge'], ['i-0a11e00000000e005', 'm6i.large']]);
    for (const f of under) expect(f.benefit).toEqual(['performance']);
    expect(under.find((f) => f.resource.id === 'i-0a11e00000000e005')!.risk!.summary).toBe('CPU credits ran out on 14 of 14 days (standard mode: throttled to the 30% baseline)');
    expect(under.find((f) => f.resource.id === 'i-0a11e00000000e002')!.risk!.summary).toMatch(/^CPU p95 9\d\.\d% on the busiest of 14 days \(max \d+(\.\d)?%\), above 90%$/);
  });
});
