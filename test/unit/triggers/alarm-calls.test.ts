/**
 * The alarm → fix path for one Auto Scaling group, with the stores the deployed alarm function has
 * (lib/bench/e2e.ts deployedAlarmDeps: the audit table, the idempotency table for the alarm's key
 * and the action's key, the event bus): read once to detect and plan, re-read once right before
 * the write, write, re-read once to verify; both keys claimed before the write, the action
 * recorded before and after it. The re-read before the write still refuses when the policy
 * changed after detection.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALARM_POLICY, alarmEvent, DEPLOYED_STORES, deployedAlarmDeps, GROUP } from '../../../lib/bench/e2e.ts';
import type { LambdaDeps } from '../../../lib/lambda/deps.ts';
import { runAlarmTrigger } from '../../../lib/lambda/triggers.ts';
import { parsePolicies } from '../../../lib/policy/load.ts';
import { autoscalingState } from '../../../lib/sandbox/services/autoscaling.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../../lib/sandbox/sandbox.ts';
import { SETTLED_TIMING, testEnv } from '../../helpers.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const opened: Sandbox[] = [];
// The sandbox's DynamoDB is a local server per sandbox: stop it after each test.
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

type Seen = { service: string; operation: string; input: any; count: number };

/** A call as the sequence names it: the account's calls by operation, the stores' by what they write. */
function label(call: Seen): string {
  const op = `${call.service}:${call.operation}`;
  if (call.service !== 'dynamodb') return op;
  if (call.operation === 'TransactWriteItems') {
    // Each item: the table and what it writes.
    return `transaction: ${call.input.TransactItems.map((t: any) => label({ ...call, operation: 'PutItem', input: t.Put })).join(' + ')}`;
  }
  const name = call.input.TableName ?? Object.keys(call.input.RequestItems ?? {})[0];
  const table = name === DEPLOYED_STORES.auditTable ? 'audit' : name === DEPLOYED_STORES.idempotencyTable ? 'idempotency' : name;
  const key = (call.input.Item?.id?.S ?? call.input.Key?.id?.S ?? '') as string;
  if (table === 'idempotency' && call.operation === 'PutItem') return `idempotency:claim ${key.split('#')[0]}`;
  if (table === 'idempotency' && call.operation === 'UpdateItem') return `idempotency:complete ${key.split('#')[0]}`;
  if (table === 'audit' && call.operation === 'PutItem') return `audit:PutItem ${call.input.Item.status.S}`;
  return `${table}:${call.operation}`;
}

/**
 * A crash right after the claim-and-record transaction: the invocation stops for good when the planned
 * record has been written (as when Lambda times out or the process dies there). Resolves once it is there.
 */
function crashAfterTheTransaction(deps: LambdaDeps): Promise<void> {
  const original = deps.engine.onTransition!;
  return new Promise((reached) => {
    deps.engine.onTransition = async (record, finding) => {
      if (record.status !== 'planned') return original(record, finding);
      deps.engine.onTransition = original; // only the first delivery dies
      reached();
      await new Promise(() => {}); // never returns
    };
  });
}

/** The small-company account with the deployed stores, every call it answers recorded in order; `onCall` may change the account or fail the call. */
function account(onCall: (call: Seen, sandbox: Sandbox) => Error | void = () => {}) {
  const calls: string[] = [];
  let sandbox!: Sandbox;
  const env = testEnv('small-company', {
    clock: () => NOW,
    timing: SETTLED_TIMING,
    faults: {
      failWhen: (call) => {
        calls.push(label(call));
        return onCall(call, sandbox) ?? undefined;
      },
    },
  });
  sandbox = env.sandbox;
  opened.push(sandbox);
  const { deps, persistence } = deployedAlarmDeps(env.sandbox, env.deps, parsePolicies(ALARM_POLICY, 'alarm.yml'), 'us-east-1');
  const invoke = () => {
    deps.begin(undefined);
    return runAlarmTrigger(alarmEvent(), undefined, deps, persistence);
  };
  return { env, deps, calls, invoke };
}

/** The calls cut into the round trips given by their sizes; calls sent at once are sorted (either may arrive first). */
const roundTrips = (calls: string[], sizes: number[]) => {
  let at = 0;
  return sizes.map((n) => calls.slice(at, (at += n)).sort());
};

const targetOf = (sandbox: Sandbox) =>
  autoscalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').policies.find((p) => p.AutoScalingGroupName === GROUP)!.TargetTrackingConfiguration.TargetValue;

describe('the alarm → fix path for one Auto Scaling group, with the deployed stores', () => {
  it('makes 16 calls in 8 round trips: the alarm claimed with the first read, the action claimed and recorded in one transaction before the write, the rest after it', async () => {
    // Prepare
    const { env, calls, invoke } = account();

    // Act
    const result = await invoke();

    // Assess
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: GROUP, action: 'raise-target', status: 'verified' })]);
    expect(targetOf(env.sandbox)).toBe(40);
    expect(calls).toHaveLength(16);
    expect(roundTrips(calls, [2, 2, 2, 1, 2, 1, 2, 4])).toEqual([
      ['autoscaling:DescribeAutoScalingGroups', 'idempotency:claim trimtab-alarm'],
      ['autoscaling:DescribePolicies', 'cloudwatch:GetMetricData'],
      ['audit:BatchWriteItem', 'audit:Query'],
      ['transaction: idempotency:claim trimtab-action + audit:PutItem planned'],
      ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies'],
      ['autoscaling:PutScalingPolicy'],
      ['audit:PutItem applied', 'autoscaling:DescribePolicies'],
      ['audit:PutItem verified', 'eventbridge:PutEvents', 'idempotency:complete trimtab-action', 'idempotency:complete trimtab-alarm'],
    ]);
  });

  it('stores both keys as completed by the end of the invocation: a second delivery of the alarm only reads, and acts no more', async () => {
    // Prepare
    const { env, calls, invoke } = account();
    await invoke();
    calls.length = 0;
    const writesBefore = env.sandbox.successfulWrites().length;

    // Act
    const again = await invoke();

    // Assess: the alarm's key answers (cooldown) before the run's first write; the reads sent alongside the claim change nothing.
    expect(again.outcomes[0]).toEqual(expect.objectContaining({ status: 'skipped', actions: [] }));
    expect(again.outcomes[0].reason).toMatch(/^alarm storm: 'acme-api-low-cpu' already triggered asg-raise-low-targets-on-alarm on acme-api at /);
    expect(env.sandbox.successfulWrites('autoscaling:PutScalingPolicy')).toHaveLength(1);
    expect(roundTrips(calls, [2, 2])).toEqual([
      ['autoscaling:DescribeAutoScalingGroups', 'idempotency:claim trimtab-alarm'],
      ['autoscaling:DescribePolicies', 'cloudwatch:GetMetricData'],
    ]);
    expect(calls).toHaveLength(4);
    expect(env.sandbox.successfulWrites()).toHaveLength(writesBefore);
  });

  it('writes nothing when another delivery holds the alarm key right now, and says so', async () => {
    // Prepare: the first delivery dies after its transaction (both keys stay in progress).
    const { env, deps, calls, invoke } = account();
    const dead = crashAfterTheTransaction(deps);
    void invoke();
    await dead;
    calls.length = 0;
    const writesBefore = env.sandbox.successfulWrites().length;

    // Act
    const again = await invoke();

    // Assess
    expect(again.outcomes[0]).toEqual(expect.objectContaining({ status: 'skipped', replayed: true, reason: "alarm storm: another delivery of 'acme-api-low-cpu' is acting on acme-api right now" }));
    expect(calls).not.toContain('audit:BatchWriteItem');
    // No store write and no account write (the sandbox's write log counts a DynamoDB Query as a write; the
    // events the dead delivery had queued in this process are sent with this one's).
    expect(env.sandbox.successfulWrites().slice(writesBefore).filter((w) => w.service !== 'eventbridge' && w.operation !== 'Query')).toEqual([]);
    expect(env.sandbox.successfulWrites('autoscaling:PutScalingPolicy')).toHaveLength(0);
    expect((await deps.audit.store.list()).map((r) => r.status)).toEqual(['planned']);
  });

  it('acts exactly once on the delivery after a crash between the transaction and the write, once the dead invocation\'s keys expire', async () => {
    // Prepare: the first delivery's claim and planned record are written together, then it dies before the write.
    const { env, deps, invoke } = account();
    const dead = crashAfterTheTransaction(deps);
    void invoke();
    await dead;
    expect(env.sandbox.successfulWrites('dynamodb:TransactWriteItems')).toHaveLength(1);
    // Powertools' in-progress expiry is the dead invocation's remaining time (at most 15 minutes), on the real clock.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 16 * 60_000 });

    // Act
    const result = await invoke();

    // Assess: one write in all; the dead invocation's record says planned, the new one verified.
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: GROUP, status: 'verified' })]);
    expect(env.sandbox.successfulWrites('autoscaling:PutScalingPolicy')).toHaveLength(1);
    expect(targetOf(env.sandbox)).toBe(40);
    expect((await deps.audit.store.list()).map((r) => r.status).sort()).toEqual(['planned', 'verified']);
  });

  it('fails the invocation, naming the action, when the verified record sent after the fix could not be written; the fix is made once', async () => {
    // Prepare
    const { env, invoke } = account((call) => {
      if (call.operation === 'PutItem' && call.input.Item?.status?.S === 'verified') return Object.assign(new Error('Throughput exceeds the current capacity of your table'), { name: 'ProvisionedThroughputExceededException' });
    });

    // Act
    const outcome = invoke();

    // Assess
    await expect(outcome).rejects.toThrow(/^1 deferred write\(s\) failed; the first: recording action act-[0-9a-z]+-[0-9a-f]{8} as verified: Throughput exceeds/);
    expect(env.sandbox.successfulWrites('autoscaling:PutScalingPolicy')).toHaveLength(1);
  });

  it('fails the invocation, naming the key, when a completion sent after the fix could not be written', async () => {
    // Prepare: the action key's completion is refused.
    const { env, invoke } = account((call) => {
      if (call.operation === 'UpdateItem' && String(call.input.Key?.id?.S).startsWith('trimtab-action#')) return Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    });

    // Act
    const outcome = invoke();

    // Assess: the fix was made once; the failure is not swallowed.
    await expect(outcome).rejects.toThrow(/^1 deferred write\(s\) failed; the first: completing idempotency record trimtab-action#/);
    expect(env.sandbox.successfulWrites('autoscaling:PutScalingPolicy')).toHaveLength(1);
  });

  it('records the before-state read right before the write and the after-state as written', async () => {
    // Prepare
    const { deps, invoke } = account();

    // Act
    await invoke();

    // Assess
    const [record] = await deps.audit.store.list();
    expect(record.status).toBe('verified');
    const before = record.before as { group: { minSize: number }; policies: { TargetTrackingConfiguration: { TargetValue: number } }[] };
    const after = record.after as typeof before;
    expect(before.group.minSize).toBe(2);
    expect(before.policies[0].TargetTrackingConfiguration.TargetValue).toBe(30);
    expect(after.policies[0].TargetTrackingConfiguration.TargetValue).toBe(40);
    expect(after.group).toEqual(before.group);
  });

  it('refuses to write when the target changed between detection and the write, and says so', async () => {
    // Prepare: someone sets the target to 35 % after trimtab read it at 30 %, just before the re-read.
    const { env, deps, calls, invoke } = account((call, sandbox) => {
      if (call.operation === 'DescribePolicies' && call.count === 2) {
        autoscalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').policies.find((p) => p.AutoScalingGroupName === GROUP)!.TargetTrackingConfiguration.TargetValue = 35;
      }
    });

    // Act
    const result = await invoke();

    // Assess: nothing written, the person's 35 % stands, and the reason names both values.
    expect(calls).not.toContain('autoscaling:PutScalingPolicy');
    expect(env.sandbox.successfulWrites().filter((w) => w.service !== 'dynamodb' && w.service !== 'eventbridge')).toEqual([]);
    expect(targetOf(env.sandbox)).toBe(35);
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: GROUP, status: 'failed' })]);
    const [record] = await deps.audit.store.list();
    expect(record.error?.message).toBe("'cpu-target-tracking' on acme-api has target 35% now, not 30% as when detected; nothing was changed.");
  });
});
