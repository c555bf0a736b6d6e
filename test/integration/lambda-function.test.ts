/**
 * Lambda memory end to end on the small-company sandbox: the CLI's scan, run and undo; the
 * scheduled function (runSweep with the shipped trimtab.yml); the approval workflow. Traps stay
 * untouched: the aliased function with provisioned concurrency, trimtab's own function, the one
 * whose CPU use is not measured, the x86_64 function with a native layer.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLocalApprovalStack, type LocalApprovalStack } from '../../lib/approval/local.ts';
import { MemoryApprovalStore } from '../../lib/approval/store.ts';
import { decide } from '../../lib/approval/workflow.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { lambdaState } from '../../lib/sandbox/services/lambda.ts';
import { runTrimtab } from '../cli-helpers.ts';
import { waitFor } from '../approval-helpers.ts';
import { lambdaDepsFor, policiesFrom, testEnv, SETTLED_TIMING } from '../helpers.ts';

vi.setConfig({ testTimeout: 120_000 });
const NOW = () => new Date('2026-11-01T00:00:00Z');
const POLICIES = (mode: string) => `
version: 1
defaults:
  approval: { approvers: [oncall@example.com] }
policies:
  - { id: lambda-over, resource: lambda-function, detector: { type: memory-oversized }, action: { type: set-memory, pollSeconds: 0 }, mode: ${mode}, limits: { maxActionsPerRun: 10, cooldownHours: 0 } }
  - { id: lambda-under, resource: lambda-function, detector: { type: memory-undersized } }
  - { id: lambda-arm, resource: lambda-function, detector: { type: x86-to-arm64 } }
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-lambda-'));
});

describe('lambda-function from the CLI on the sandbox', () => {
  it('scans read-only: one resize, a performance finding, the arm64 report, and every trap protected or left out', async () => {
    // Prepare
    const file = join(dir, 'policies.yml');
    writeFileSync(file, POLICIES('auto'));
    // Act
    const { code, stdout } = await runTrimtab(dir, ['scan', '--sandbox', '--policies', file, '--output', 'json', '--verbose']);
    // Assess
    expect(code).toBe(0);
    const findings = JSON.parse(stdout).findings as any[];
    const by = (policy: string, id: string) => findings.find((f) => f.policy === policy && f.resourceId === id);
    expect(by('lambda-over', 'orders-api')).toMatchObject({ status: 'actionable', action: 'set-memory', evidence: expect.objectContaining({ candidate: 256 }) });
    expect(by('lambda-over', 'checkout-service').status).toBe('conflict');
    expect(by('lambda-over', 'trimtab-prod-scan').status).toBe('protected');
    expect(by('lambda-over', 'image-resizer').status).toBe('protected');
    expect(by('lambda-under', 'report-builder')).toMatchObject({ evidence: expect.objectContaining({ candidate: 768 }) });
    expect(findings.filter((f) => f.policy === 'lambda-arm').map((f) => f.resourceId)).toEqual(['email-sender']);
    expect(findings.some((f) => f.resourceId === 'pdf-export' || f.resourceId === 'nightly-etl')).toBe(false);
    // Read-only: the sandbox still has 1,024 MB.
    const state = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8'));
    expect(state.accounts[SANDBOX_ACCOUNT].regions['us-east-1'].lambda.functions['orders-api'].memoryMb).toBe(1024);
  });

  it('run --yes sets orders-api to 256 MB and verifies it; undo sets 1,024 MB back', async () => {
    const file = join(dir, 'policies.yml');
    writeFileSync(file, POLICIES('auto'));
    const applied = await runTrimtab(dir, ['run', '--sandbox', '--yes', '--policies', file, '--output', 'json']);
    expect(applied.code).toBe(0);
    const actions = JSON.parse(applied.stdout).actions as any[];
    expect(actions.map((a) => [a.resourceId, a.status])).toEqual([['orders-api', 'verified']]);
    const memory = () => JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8')).accounts[SANDBOX_ACCOUNT].regions['us-east-1'].lambda.functions['orders-api'].memoryMb;
    expect(memory()).toBe(256);
    const undo = await runTrimtab(dir, ['undo', actions[0].id, '--sandbox']);
    expect(undo.code).toBe(0);
    expect(memory()).toBe(1024);
  });
});

describe('lambda-function in the deployed functions', () => {
  let stack: LocalApprovalStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('the scheduled sweep with the shipped policies asks approval for orders-api only, and changes nothing yet', async () => {
    // Prepare: the approval requester records what the sweep asks for.
    const env = testEnv('small-company', { clock: NOW, timing: SETTLED_TIMING });
    const deps = lambdaDepsFor(env);
    const asked: { policy: string; resources: string[]; summaries: string[] }[] = [];
    deps.engine.approvals = {
      async request(policy, findings) {
        asked.push({ policy: policy.id, resources: findings.map((f) => f.resource.id), summaries: findings.map((f) => f.plan!.summary) });
        return { approvalId: `apr-${asked.length}` };
      },
    };
    // Act
    const result = await runSweep(JSON.parse(readFileSync('events/schedule-daily.json', 'utf8')), undefined, deps);
    // Assess
    expect(result.errors).toEqual([]);
    expect(asked.filter((a) => a.policy.startsWith('lambda-'))).toEqual([{ policy: 'lambda-memory-oversized', resources: ['orders-api'], summaries: [expect.stringMatching(/from 1024 MB to 256 MB/)] }]);
    expect(env.sandbox.successfulWrites('UpdateFunctionConfiguration')).toEqual([]);
  });

  it('an approved request sets the memory through the approval workflow and verifies it', async () => {
    // Prepare
    const env = testEnv('small-company', { clock: NOW, timing: SETTLED_TIMING });
    const store = new MemoryApprovalStore(NOW);
    const policies = policiesFrom(POLICIES('approval'));
    stack = await startLocalApprovalStack({ engine: env.deps, store, secret: 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz', now: NOW, currentPolicies: policies, workflow: { retryIntervalMs: 0 } });
    env.deps.approvals = stack.requester;
    const result = await env.run(policies);
    const approvalId = result.findings.find((f) => f.outcome === 'awaiting-approval')!.outcomeDetail!.match(/apr-[a-z0-9]+/)![0];
    await waitFor(async () => ((await store.get(approvalId))?.status === 'waiting' ? true : undefined), 'the approval request');
    // Act
    await decide({ store, tasks: stack.tasks, now: NOW }, { approvalId, decision: 'approve', actor: 'oncall@example.com', excluded: [], via: 'link' });
    await stack.workflow.executions.get(approvalId)!.result;
    // Assess
    const record = (await store.get(approvalId))!;
    expect(record.status).toBe('fixed');
    expect(record.actions!.map((a) => a.status)).toEqual(['verified']);
    expect(lambdaState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').functions['orders-api'].memoryMb).toBe(256);
    expect(lambdaState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').functions['checkout-service'].memoryMb).toBe(1536);
  });
});
