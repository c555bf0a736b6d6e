import { describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { localStateMachine, polyfillPromiseWithResolvers } from '../../lib/approval/local.ts';
import type { FindingResult } from '../../lib/engine/run.ts';
import type { LambdaDeps } from '../../lib/lambda/deps.ts';
import { SWEEP_STATE, sweepDefinition } from '../../lib/lambda/sweep-machine.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { seedSnapshots } from '../../lib/resources/ebs-snapshot/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { lambdaDepsFor, policiesFrom, testEnv } from '../helpers.ts';

polyfillPromiseWithResolvers();

const NOW = new Date('2026-11-01T00:00:00Z');

/** A Lambda context that always has 60 s left: under the 120 s a unit needs, over the 10 s an action needs. */
const shortOfTime = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** The daily sweep on a fresh small-company account, recording every finding the audit trail gets. */
function account(yaml?: string) {
  const env = testEnv('small-company', { clock: () => NOW });
  const deps: LambdaDeps = lambdaDepsFor(env, yaml ? { file: 'test.yml', policies: policiesFrom(yaml) } : loadPolicies('trimtab.yml'));
  const recorded: string[] = [];
  const record = deps.engine.onFindings!;
  deps.engine.onFindings = async (findings: FindingResult[]) => {
    for (const f of findings) recorded.push(`${f.policy} ${f.resource.arn} ${f.status}`);
    await record(findings);
  };
  const writes = () => env.sandbox.successfulWrites().map((w) => `${w.service}:${w.operation} ${JSON.stringify(w.input)}`);
  return { env, deps, recorded, writes };
}

/** Runs the sweep state machine (lib/lambda/sweep-machine.ts) in-process, its Task being runSweep with `context`. */
async function sweepLoop(deps: LambdaDeps, input: Record<string, unknown>, context: Context | undefined) {
  const machine = localStateMachine(sweepDefinition({ functionName: 'trimtab-local-scan' }));
  let invocations = 0;
  const run = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: {
        [SWEEP_STATE.sweep]: async (event: any) => {
          invocations += 1;
          return { Payload: await runSweep(event.Payload, context, deps) };
        },
      } as never,
    },
  });
  const output = (await run.result) as { done: boolean; summary: { findings: number } };
  return { output, invocations };
}

describe('a sweep that does not fit one invocation', () => {
  it('stops before the next resource type when time is short and the loop resumes it: every finding and every write once, as in one uninterrupted run', async () => {
    // Prepare: the same account twice, one swept in one invocation, the other always short of time;
    // five auto and report policies over four resource types, one of them in two regions.
    const yaml = `policies:
  - { id: orphans, resource: ebs-snapshot, detector: { type: orphaned, minAgeDays: 0 }, action: { type: delete-snapshot }, mode: auto, scope: { regions: [us-east-1, us-west-2] }, triggers: [{ schedule: rate(1 day) }] }
  - { id: unattached, resource: ebs-volume, detector: { type: unattached }, mode: dry-run, triggers: [{ schedule: rate(1 day) }] }
  - { id: lifecycle, resource: s3-bucket, detector: { type: missing-lifecycle }, triggers: [{ schedule: rate(1 day) }] }
  - { id: addresses, resource: elastic-ip, detector: { type: unassociated }, action: { type: release-address }, mode: auto, triggers: [{ schedule: rate(1 day) }] }
  - { id: logs, resource: log-group, detector: { type: no-retention }, action: { type: set-retention }, mode: auto, triggers: [{ schedule: rate(1 day) }] }
`;
    const whole = account(yaml);
    const split = account(yaml);
    const daily = { schedule: 'rate(1 day)' };

    // Act
    const once = await sweepLoop(whole.deps, daily, undefined);
    const resumed = await sweepLoop(split.deps, daily, shortOfTime);

    // Assess: one invocation per unit (resource type × region) against one; the same findings and writes, none twice.
    expect(once.invocations).toBe(1);
    const regions = whole.deps.engine.defaultRegions.length;
    expect(regions).toBeGreaterThan(0);
    expect(resumed.invocations).toBe(2 + 4 * regions);
    expect(resumed.output.done).toBe(true);
    expect(new Set(split.recorded).size).toBe(split.recorded.length);
    expect([...split.recorded].sort()).toEqual([...whole.recorded].sort());
    expect(whole.writes().length).toBeGreaterThan(0);
    expect([...split.writes()].sort()).toEqual([...whole.writes()].sort());
  }, 240_000);

  it('counts a policy\'s actions per run across the invocations of one sweep', async () => {
    // Prepare: an auto policy limited to one action a run, over two regions (two units).
    const yaml = `policies:
  - id: orphans
    resource: ebs-snapshot
    detector: { type: orphaned, minAgeDays: 0 }
    action: { type: delete-snapshot }
    mode: auto
    scope: { regions: [us-east-1, us-west-2] }
    limits: { maxActionsPerRun: 1 }
    triggers: [{ schedule: rate(1 day) }]
`;
    const split = account(yaml);
    for (const region of ['us-east-1', 'us-west-2']) seedSnapshots(split.env.sandbox, SANDBOX_ACCOUNT, region, { snapshots: 20, amis: 0, volumes: 2 });
    const before = split.env.sandbox.successfulWrites('DeleteSnapshot').length;

    // Act
    const resumed = await sweepLoop(split.deps, {}, shortOfTime);

    // Assess: two invocations (one per region), one delete in all, as one run would allow.
    expect(resumed.invocations).toBe(2);
    expect(split.env.sandbox.successfulWrites('DeleteSnapshot').length - before).toBe(1);
  });

  it('refuses a checkpoint that does not name units, and writes nothing', async () => {
    // Prepare
    const { deps, env } = account();

    // Act
    const forged = runSweep({ schedule: 'rate(1 day)', checkpoint: { done: ['ebs-snapshot us-east-1; drop'], acted: {}, invocations: 1 } }, undefined, deps);

    // Assess
    await expect(forged).rejects.toThrow(/The sweep input is not valid: checkpoint\.done\.0: a unit is <resource type>@<region>/);
    expect(env.sandbox.writes).toHaveLength(0);
  });

  it('stops a sweep that has already taken 100 invocations, with an error naming the count', async () => {
    // Prepare
    const { deps, env } = account();

    // Act
    const looping = runSweep({ checkpoint: { done: [], acted: {}, invocations: 100 } }, undefined, deps);

    // Assess
    await expect(looping).rejects.toThrow(/already taken 100 invocations \(at most 100\); nothing more was run/);
    expect(env.sandbox.writes).toHaveLength(0);
  });
});
