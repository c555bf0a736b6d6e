import { describe, expect, it } from 'vitest';
import { undoAction } from '../../../../lib/engine/undo.ts';
import { remediators } from '../../../../lib/resources/index.ts';
import { LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { seedFunction } from '../../../../lib/resources/lambda-function/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { lambdaState } from '../../../../lib/sandbox/services/lambda.ts';
import { VirtualClock } from '../../../../lib/util/clock.ts';
import { UndoRefusedError } from '../../../../lib/util/errors.ts';
import { actionsFor } from '../../../../lib/deploy/iam.ts';
import { setSandboxRolePolicy } from '../../../../lib/sandbox/services/iam.ts';
import { policiesFrom, testEnv, type TestEnv } from '../../../helpers.ts';

const START = '2026-11-01T00:00:00Z';
const policy = (mode = 'auto', extra = '') => `
version: 1
defaults:
  approval: { approvers: [ops@example.com] }
policies:
  - id: lambda-memory
    resource: lambda-function
    detector: { type: memory-oversized }
    action: { type: set-memory${extra} }
    mode: ${mode}
    limits: { maxActionsPerRun: 10, cooldownHours: 0 }
`;

/** An empty account with one oversized function (Lambda Insights: 150 MB, CPU 0.1 vCPU) and AWS-like timing. */
function oneFunction(spec: Partial<Parameters<typeof seedFunction>[2]> = {}): { env: TestEnv; fn: () => ReturnType<typeof seedFunction> } {
  const env = testEnv('empty', { clock: new VirtualClock(START), timing: { scale: 1, consistencyMs: 2000 } });
  seedFunction(env.sandbox, SANDBOX_ACCOUNT, { name: 'orders-api', memoryMb: 1024, timeoutS: 30, perHour: 4000, durationMs: { base: 200, noise: 10 }, insights: { usedMb: 150, cpuMs: 20 }, ...spec });
  return { env, fn: () => lambdaState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').functions[spec.name ?? 'orders-api'] };
}

describe('set-memory', () => {
  it('sets $LATEST, waits through InProgress for Successful, verifies, and undoes to the recorded size', async () => {
    // Prepare
    const { env, fn } = oneFunction();
    // Act
    const result = await env.run(policy());
    // Assess
    const action = result.actions[0];
    expect(action.status).toBe('verified');
    expect(fn().memoryMb).toBe(256);
    expect(env.sandbox.successfulWrites('UpdateFunctionConfiguration').map((w) => w.input)).toEqual([{ FunctionName: 'orders-api', MemorySize: 256, RevisionId: expect.any(String) }]);
    // It polled through the 5 s update (virtual time), not a single read.
    expect(env.sandbox.callCount('lambda:GetFunctionConfiguration')).toBeGreaterThanOrEqual(3);
    expect(action.verification).toMatchObject({ ok: true, detail: expect.stringMatching(/256 MB, LastUpdateStatus Successful/) });
    // Act: undo after the update settled.
    await env.sandbox.clock.sleep(10_000);
    const undone = await undoAction(action.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(fn().memoryMb).toBe(1024);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/already undone/);
  });

  it('says in the plan what aliases serve: published versions keep their memory', async () => {
    const { env } = oneFunction({ versions: { '3': 1024 }, aliases: { prod: { version: '3' }, dev: { version: '$LATEST' } } });
    const result = await env.run(policy('dry-run'));
    const f = result.findings[0];
    expect(f.plan!.summary).toMatch(/from 1024 MB to 256 MB/);
    expect(f.plan!.summary).toMatch(/Published versions are immutable: dev → \$LATEST; prod → version 3; those keep their memory/);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('waits for an update someone else started (AWS answers ResourceConflictException meanwhile), then writes once', async () => {
    const { env, fn } = oneFunction({ vpc: true });
    const now = env.sandbox.now();
    // Someone changed the timeout 10 s ago; a VPC function's update takes a minute.
    fn().update = { startedAt: new Date(now.getTime() - 10_000).toISOString(), doneAt: new Date(now.getTime() + 50_000).toISOString(), previousMemoryMb: 1024 };
    const lambda = env.clients.withWrites(true).get(LambdaClient, 'us-east-1');
    await expect(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'orders-api', MemorySize: 512 }))).rejects.toMatchObject({ name: 'ResourceConflictException', $metadata: { httpStatusCode: 409 } });
    env.sandbox.resetCounters();
    const result = await env.run(policy());
    expect(result.actions[0].status).toBe('verified');
    expect(fn().memoryMb).toBe(256);
    expect(env.sandbox.writes.filter((w) => w.operation === 'UpdateFunctionConfiguration').map((w) => w.outcome)).toEqual(['ok']);
  });

  it('fails the action when LastUpdateStatus ends Failed, leaving the previous memory', async () => {
    const { env, fn } = oneFunction();
    fn().failNextUpdate = 'The subnet has no free IP addresses.';
    const result = await env.run(policy());
    expect(result.actions[0].status).toBe('failed');
    expect(result.actions[0].error!.message).toMatch(/failed \(SubnetOutOfIPAddresses: The subnet has no free IP addresses.\).*1024 MB/);
    expect(fn().memoryMb).toBe(1024);
  });

  it('refuses a function tagged trimtab:skip, one of trimtab\'s stack, or one changed since the scan, writing nothing', async () => {
    for (const change of [
      (f: any) => (f.tags = { 'trimtab:skip': 'load test' }),
      (f: any) => (f.tags = { 'aws:cloudformation:stack-name': 'trimtab-prod' }),
      (f: any) => (f.memoryMb = 2048),
    ]) {
      const { env, fn } = oneFunction();
      const result = await env.run(policy(), {
        // Between the scan and the write (tags are read only at apply time).
        confirm: async () => (change(fn()), true),
      });
      expect(result.findings[0].status).toBe('protected');
      expect(env.sandbox.successfulWrites('UpdateFunctionConfiguration')).toEqual([]);
    }
  });

  it('refuses a function tagged trimtab:skip after the scan with only the IAM actions the policy declares (AWS hides GetFunction tags without an explicit lambda:ListTags allow)', async () => {
    // Prepare: the caller holds exactly what the deployed role would (lib/deploy/iam.ts actionsFor), nothing more.
    const { env, fn } = oneFunction();
    setSandboxRolePolicy(env.sandbox, SANDBOX_ACCOUNT, 'trimtab', [{ Effect: 'Allow', Action: actionsFor(policiesFrom(policy()), { withRemediation: true }), Resource: '*' }]);
    // Act: the skip tag is added between the scan and the write.
    const result = await env.run(policy(), { confirm: async () => ((fn().tags = { 'trimtab:skip': 'load test' }), true) });
    // Assess
    expect(result.findings[0]).toMatchObject({ status: 'protected', outcomeDetail: expect.stringMatching(/orders-api is tagged trimtab:skip/) });
    expect(env.sandbox.successfulWrites('UpdateFunctionConfiguration')).toEqual([]);
    expect(fn().memoryMb).toBe(1024);
    expect(env.sandbox.callCount('lambda:ListTags')).toBe(1);
  });

  it('fails the action, writing nothing, when the role cannot read tags (ListTags AccessDeniedException), instead of treating the function as untagged', async () => {
    // Prepare: lambda:ListTags explicitly denied.
    const { env, fn } = oneFunction();
    setSandboxRolePolicy(env.sandbox, SANDBOX_ACCOUNT, 'trimtab', [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'lambda:ListTags', Resource: '*' },
    ]);
    // Act
    const result = await env.run(policy());
    // Assess
    expect(result.actions[0]).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/lambda:ListTags/) } });
    expect(env.sandbox.successfulWrites('UpdateFunctionConfiguration')).toEqual([]);
    expect(fn().memoryMb).toBe(1024);
  });

  it('refuses undo when someone changed the memory since, naming both sizes', async () => {
    const { env, fn } = oneFunction();
    const result = await env.run(policy());
    await env.sandbox.clock.sleep(10_000);
    fn().memoryMb = 512;
    await expect(undoAction(result.actions[0].id, env.deps)).rejects.toThrow(UndoRefusedError);
    await expect(undoAction(result.actions[0].id, env.deps)).rejects.toThrow(/has 512 MB now, not the 256 MB trimtab set/);
  });

  it('plans nothing for a detector that proposes no memory size (x86-to-arm64), saying so', async () => {
    const { env } = oneFunction();
    const result = await env.run(`
version: 1
policies:
  - { id: arm, resource: lambda-function, detector: { type: x86-to-arm64 }, action: { type: set-memory }, mode: auto }
`);
    expect(result.findings[0]).toMatchObject({ status: 'conflict', outcomeDetail: expect.stringMatching(/proposes no memory size/) });
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('recommends approval, waits for a person in approval mode, and writes nothing in dry-run', async () => {
    const { env } = oneFunction();
    expect(remediators('lambda-function').get('set-memory').defaultMode).toBe('approval');
    const approval = await env.run(policy('approval'));
    expect(approval.findings[0].outcome).toBe('awaiting-approval');
    const dry = await env.run(policy('dry-run'));
    expect(dry.findings[0].outcome).toBe('would-apply');
    expect(env.sandbox.writes).toEqual([]);
  });
});
