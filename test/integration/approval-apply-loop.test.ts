/**
 * Issue 24 point 4: Apply makes one change (or one step of a multi-step change) per invocation,
 * inside its time budget, and a Lambda that dies mid-change is retried into the same action.
 * The workflow's loop is driven here as the state machine does it ("Wait, apply the next change,
 * or verify?": waitUntil → Wait, more → Apply again), each call an invocation with a 900 s
 * budget measured on the sandbox's clock.
 */
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { MemoryApprovalStore } from '../../lib/approval/store.ts';
import { outcomeEmail } from '../../lib/approval/email.ts';
import { applyApproved, askApprovers, decide, recordPlan, verifyApplied, WorkflowApprovalRequester, type WorkflowDeps } from '../../lib/approval/workflow.ts';
import type { EngineDeps } from '../../lib/engine/run.ts';
import type { Remediator } from '../../lib/engine/types.ts';
import { addInstance } from '../../lib/resources/ec2-instance/sandbox-seed.ts';
import { registerRemediator } from '../../lib/resources/registry.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { ec2InstancesState } from '../../lib/sandbox/services/ec2-instances.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { SECRET } from '../approval-helpers.ts';
import { policiesFrom, testEnv, TEST_START } from '../helpers.ts';

const BUDGET_MS = 900_000;
const STEP_MS = 400_000;
const IDS = ['i-0a11e00000000e001', ...[2, 3, 4, 5, 6].map((n) => `i-0a11e00000000e10${n}`)];

/** A three-step change (stop → modify → start, 400 s each) that follows the ApplyEnv contract. */
const calls: string[] = [];
let hangAt: { id: string; step: string; reached: () => void } | undefined;
const threeStep: Remediator<{ instanceId: string }> = {
  id: 'test-three-step-resize',
  resource: 'ec2-instance',
  title: 'Test: a three-step change',
  options: z.object({}),
  permissions: [],
  undoable: 'no',
  plan: (finding) => ({ kind: 'change', summary: `three steps on ${finding.resource.id}`, params: { instanceId: finding.resource.id }, undo: 'none' }),
  async apply(ctx, plan, _finding, env) {
    const done = new Set((env?.progress ?? []).map((p) => p.step));
    for (const step of ['stopped', 'modified', 'started']) {
      if (done.has(step)) continue;
      // Never start a step this invocation cannot finish: answer resumeAt instead.
      if (env && env.remainingMs() < STEP_MS + 10_000) return { after: { upTo: [...done] }, resumeAt: ctx.clock.now().toISOString(), detail: `resumes before '${step}'` };
      calls.push(`${plan.params.instanceId}:${step}`);
      if (hangAt && hangAt.id === plan.params.instanceId && hangAt.step === step) {
        const reached = hangAt.reached;
        hangAt = undefined;
        reached();
        // The Lambda is killed here (Sandbox.Timedout): this invocation never returns.
        await new Promise(() => {});
      }
      await ctx.clock.sleep(STEP_MS);
      await env?.record({ step, at: ctx.clock.now().toISOString(), state: { instanceId: plan.params.instanceId } });
      done.add(step);
    }
    return { after: { steps: [...done] }, detail: 'three steps done' };
  },
  verify: async () => ({ ok: true, detail: 'all three steps done' }),
};
registerRemediator(threeStep);

const policyYaml = (action: string) => `
version: 1
policies:
  - id: rightsize-six
    resource: ec2-instance
    detector: { type: oversized-instance }
    action: ${action}
    mode: approval
    limits: { maxActionsPerRun: 10, cooldownHours: 0 }
    scope: { includeNames: [${IDS.join(', ')}] }
    approval: { approvers: [oncall@example.com], timeoutHours: 240 }
`;

/** Six oversized m5.2xlarge instances (the seeded one and five like it), an approval for all six, approved. */
async function approvedSix(action: string) {
  const env = testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
  for (const id of IDS.slice(1)) {
    addInstance(env.sandbox, SANDBOX_ACCOUNT, 'us-east-1', {
      id, instanceType: 'm5.2xlarge', rootDeviceType: 'ebs', ageDays: 300, tags: { Name: `acme-reporting-${id.slice(-1)}` },
      cpu: { base: 6, noise: 2 }, networkIn: { base: 1_500_000, noise: 200_000 }, networkOut: { base: 1_000_000, noise: 200_000 }, memory: { base: 16, noise: 3 },
    });
  }
  const clock = env.sandbox.clock;
  const now = () => clock.now();
  const approvals = new MemoryApprovalStore(now);
  const policies = policiesFrom(policyYaml(action));
  const started: string[] = [];
  env.deps.approvals = new WorkflowApprovalRequester(approvals, { start: async (id) => void started.push(id) }, now);
  await env.run(policies);
  const approvalId = started[0];
  let invocationStart = now().getTime();
  const deps: WorkflowDeps = {
    store: approvals, mailer: { send: async () => ({ messageId: 'm' }) } as never, secret: async () => SECRET, baseUrl: 'https://approve.example', now,
    engine: env.deps as EngineDeps, currentPolicies: policies,
    remainingMs: () => BUDGET_MS - (now().getTime() - invocationStart),
  };
  await recordPlan(deps, { approvalId });
  await askApprovers(deps, { approvalId, taskToken: 'token-1' });
  await decide({ store: approvals, tasks: { success: async () => {}, failure: async () => {} }, now }, { approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
  /** One Apply invocation with a fresh 900 s budget; its duration on the sandbox clock. */
  const invoke = async () => {
    invocationStart = now().getTime();
    const result = await applyApproved(deps, { approvalId });
    return { result, tookMs: now().getTime() - invocationStart };
  };
  /** The state machine's loop: Apply; Wait until waitUntil; Apply again while there is more. */
  const loop = async () => {
    const durations: number[] = [];
    for (let i = 0; i < 60; i++) {
      const { result, tookMs } = await invoke();
      durations.push(tookMs);
      if (result.waitUntil) await clock.sleep(Math.max(0, Date.parse(result.waitUntil) - now().getTime()));
      if (!result.more && !result.waitUntil) return durations;
    }
    throw new Error('the Apply loop never ended');
  };
  return { env, approvals, approvalId, deps, invoke, loop, clock };
}

describe('Apply, one change per invocation, under a 900 s budget', () => {
  it('resizes six instances with change-instance-type across invocations, each invocation inside its budget, every change recorded', async () => {
    // Prepare
    const run = await approvedSix('{ type: change-instance-type }');
    const record = (await run.approvals.get(run.approvalId))!;
    expect(record.findings.map((f) => f.resource.id).sort()).toEqual([...IDS].sort());
    // Act
    const durations = await run.loop();
    await verifyApplied(run.deps, { approvalId: run.approvalId });
    // Assess: each resize records its steps and hands the long waits back (resumeAt), so it spans
    // invocations; none runs past the budget
    // (stop, modify and start in one; running and status checks after the handed-back wait in the next).
    expect(durations).toHaveLength(12);
    for (const took of durations) expect(took).toBeLessThan(BUDGET_MS);
    const done = (await run.approvals.get(run.approvalId))!;
    expect(done.status).toBe('fixed');
    expect(done.inProgress ?? null).toBeNull();
    expect(done.actions!.map((a) => a.status)).toEqual(Array(6).fill('verified'));
    const instances = ec2InstancesState(run.env.sandbox, run.env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').instances;
    expect(IDS.map((id) => [instances[id].instanceType, instances[id].state])).toEqual(IDS.map(() => ['m6i.large', 'running']));
    const records = await run.env.store.list();
    // Every step recorded before the next (in-progress), then applied and verified once.
    expect(records.map((r) => r.transitions.map((t) => t.status))).toEqual(Array(6).fill(['planned', ...Array(6).fill('in-progress'), 'applied', 'verified']));
  });

  it('runs a three-step change across invocations when a step would not fit the budget, each step recorded once and in order', async () => {
    // Prepare
    calls.length = 0;
    const run = await approvedSix('{ type: test-three-step-resize }');
    // Act
    const durations = await run.loop();
    // Assess: 400 + 400 s fit one invocation, the third step waits for the next; none past the budget
    for (const took of durations) expect(took).toBeLessThan(BUDGET_MS);
    expect(durations.length).toBeGreaterThan(6);
    const done = (await run.approvals.get(run.approvalId))!;
    expect(done.status).toBe('applied');
    expect(done.actions!.map((a) => a.status)).toEqual(Array(6).fill('verified'));
    for (const id of IDS) expect(calls.filter((c) => c.startsWith(`${id}:`))).toEqual([`${id}:stopped`, `${id}:modified`, `${id}:started`]);
    const records = await run.env.store.list();
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.transitions.flatMap((t) => (t.step ? [t.step.step] : []))).toEqual(['stopped', 'modified', 'started']);
      expect(r.transitions.map((t) => t.status)).toEqual(['planned', 'in-progress', 'in-progress', 'in-progress', 'in-progress', 'applied', 'verified']);
      expect(r.transitions[3].detail).toMatch(/^waiting until .*resumes before 'started'/);
    }
  });

  it('resumes the same action after a Lambda timeout mid-change: the recorded step is not redone, no second action starts', async () => {
    // Prepare: the first invocation dies while modifying the first instance (after "stopped" was recorded)
    calls.length = 0;
    const run = await approvedSix('{ type: test-three-step-resize }');
    const first = (await run.approvals.get(run.approvalId))!.findings[0].resource.id;
    let reached!: () => void;
    const hung = new Promise<void>((resolve) => (reached = resolve));
    hangAt = { id: first, step: 'modified', reached };
    // Act: the invocation that dies (never returns), then the state machine's retry and the rest of the loop
    const dying = run.invoke();
    await Promise.race([hung, dying]);
    const midway = (await run.approvals.get(run.approvalId))!;
    const durations = await run.loop();
    // Assess
    expect(midway.inProgress).toMatchObject({ findingId: midway.findings[0].id });
    const records = await run.env.store.list();
    expect(records).toHaveLength(6);
    const resumed = records.find((r) => r.resource.id === first)!;
    expect(resumed.id).toBe(midway.inProgress!.actionId);
    expect(resumed.transitions.flatMap((t) => (t.step ? [t.step.step] : []))).toEqual(['stopped', 'modified', 'started']);
    expect(resumed.status).toBe('verified');
    // "stopped" ran once; "modified" was started by the dead invocation and again (unrecorded) by the retry.
    expect(calls.filter((c) => c.startsWith(`${first}:`))).toEqual([`${first}:stopped`, `${first}:modified`, `${first}:modified`, `${first}:started`]);
    for (const took of durations) expect(took).toBeLessThan(BUDGET_MS);
    expect((await run.approvals.get(run.approvalId))!.actions!.map((a) => a.status)).toEqual(Array(6).fill('verified'));
  });

  it('applies at most maxActionsPerRun of an approved batch and records the rest as left out, with why', async () => {
    // Prepare: the same six, under a policy limit of 2
    const run = await approvedSix('{ type: test-three-step-resize }');
    const stored = run.approvals.records.get(run.approvalId)!;
    // The limit is part of the sealed policy: set it before Ask, as a policy file would.
    stored.policy.limits.maxActionsPerRun = 2;
    const { sealApproval } = await import('../../lib/approval/seal.ts');
    stored.seal = sealApproval(stored, SECRET);
    // Act
    await run.loop();
    // Assess
    const done = (await run.approvals.get(run.approvalId))!;
    expect(done.actions!.map((a) => a.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'verified', 'verified']);
    expect(done.actions!.filter((a) => a.status === 'skipped').every((a) => a.detail.includes('at most 2 change(s) per run (limits.maxActionsPerRun)'))).toBe(true);
    expect(await run.env.store.list()).toHaveLength(2);
    // Told: the outcome email says how many were left out and why, with no undo command for them.
    await verifyApplied(run.deps, { approvalId: run.approvalId });
    const email = outcomeEmail((await run.approvals.get(run.approvalId))!);
    expect(email.subject).toContain('Done: 2 changes applied and verified, 4 left out (limits.maxActionsPerRun)');
    expect(email.text.match(/at most 2 change\(s\) per run/g)).toHaveLength(4);
    expect(email.text.match(/trimtab undo act-/g)).toHaveLength(2);
  });
});

describe('a multi-step change in an auto run', () => {
  it('waits on the engine clock for resumeAt and resumes in-process, recording each step', async () => {
    // Prepare: a change that asks to be called again 300 s after its first step (a long AWS wait)
    registerRemediator({
      ...threeStep,
      id: 'test-wait-resize',
      async apply(ctx, _plan, _finding, env) {
        const done = (env?.progress ?? []).map((p) => p.step);
        if (!done.includes('requested')) {
          await env?.record({ step: 'requested', at: ctx.clock.now().toISOString() });
          return { after: {}, resumeAt: new Date(ctx.clock.now().getTime() + 300_000).toISOString(), detail: 'waiting for AWS' };
        }
        await env?.record({ step: 'confirmed', at: ctx.clock.now().toISOString() });
        return { after: { confirmed: true }, detail: 'confirmed' };
      },
    });
    const env = testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
    const started = env.sandbox.clock.now().getTime();
    // Act
    const result = await env.run(policiesFrom(policyYaml('{ type: test-wait-resize }').replace('mode: approval', 'mode: auto')));
    // Assess
    expect(result.actions.map((a) => a.status)).toEqual(['verified']);
    const [record] = result.actions;
    expect(record.transitions.flatMap((t) => (t.step ? [t.step.step] : []))).toEqual(['requested', 'confirmed']);
    expect(Date.parse(record.transitions.find((t) => t.step?.step === 'confirmed')!.at) - Date.parse(record.transitions.find((t) => t.step?.step === 'requested')!.at)).toBeGreaterThanOrEqual(300_000);
    expect(env.sandbox.clock.now().getTime() - started).toBeGreaterThanOrEqual(300_000);
  });

  it('ends a change that cannot resume within the run as failed part-way, with its steps recorded (never silently)', async () => {
    // Prepare: the three-step change with 500 s left in the run: one step fits, the rest do not
    calls.length = 0;
    const env = testEnv('small-company', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
    const start = env.sandbox.clock.now().getTime();
    env.deps.remainingMs = () => 500_000 - (env.sandbox.clock.now().getTime() - start);
    // Act
    const result = await env.run(policiesFrom(policyYaml('{ type: test-three-step-resize }').replace('mode: approval', 'mode: auto').replace('maxActionsPerRun: 10', 'maxActionsPerRun: 1')));
    // Assess
    expect(result.actions).toHaveLength(1);
    const [record] = result.actions;
    expect(record.status).toBe('failed');
    expect(record.transitions.flatMap((t) => (t.step ? [t.step.step] : []))).toEqual(['stopped']);
    expect(record.error?.message).toContain('stopped part-way (steps done: stopped)');
  });
});
