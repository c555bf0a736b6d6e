/**
 * The RDS stop decision through the approval workflow (generated ASL, local stack), then AWS's
 * 7-day restart: the scheduled function (runSweep, trimtab.yml's RDS policies) proposes the
 * re-stop under the approved decision, verified in the audit trail, and a person approves it
 * (the shipped re-stop policy is in approval mode); stop tags with no record behind them are
 * never re-stopped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startLocalApprovalStack, type LocalApprovalStack } from '../../lib/approval/local.ts';
import { MemoryApprovalStore } from '../../lib/approval/store.ts';
import { decide } from '../../lib/approval/workflow.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { STOP_DECISION_TAG } from '../../lib/resources/rds-instance/detectors.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { rdsState } from '../../lib/sandbox/services/rds.ts';
import { SECRET, waitFor } from '../approval-helpers.ts';
import { lambdaDepsFor, SETTLED_TIMING, testEnv } from '../helpers.ts';

const START = Date.parse('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
let stack: LocalApprovalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('rds-idle-stop through approval, then the scheduled re-stop', () => {
  it('stops only after a person approves, and proposes the re-stop after the 7-day restart under that verified decision, applied once approved', async () => {
    // Prepare
    let t = START;
    const clock = () => new Date(t);
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const shipped = loadPolicies('trimtab.yml');
    const rdsPolicies = shipped.policies.filter((p) => p.id === 'rds-idle-stop' || p.id === 'rds-restop-auto-started');
    expect(rdsPolicies.map((p) => p.mode)).toEqual(['approval', 'approval']);
    const withApprovers = rdsPolicies.map((p) => ({ ...p, approval: { approvers: ['dba@example.com'], timeoutHours: 72 } }));
    const approvalPolicy = withApprovers.filter((p) => p.id === 'rds-idle-stop');
    const restopPolicy = withApprovers.filter((p) => p.id === 'rds-restop-auto-started');
    const store = new MemoryApprovalStore(clock);
    stack = await startLocalApprovalStack({ engine: env.deps, store, secret: SECRET, now: clock, currentPolicies: withApprovers, workflow: { retryIntervalMs: 0 } });
    env.deps.approvals = stack.requester;
    const rds = () => rdsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
    const approve = async (outcomeDetail: string, excluded: string[] = []) => {
      const approvalId = outcomeDetail.match(/apr-[a-z0-9]+/)![0];
      await waitFor(async () => ((await store.get(approvalId))?.status === 'waiting' ? true : undefined), 'waiting');
      await decide({ store, tasks: stack!.tasks, now: clock }, { approvalId, decision: 'approve', actor: 'dba@example.com', excluded, via: 'link' });
      await stack!.workflow.executions.get(approvalId)!.result;
    };

    // Act 1: the scan asks for approval; nothing is stopped yet. qa-perf-db carries stop tags
    // that no audit record backs (seeded): it is judged on its use like any other database.
    const scan = await env.run(approvalPolicy);
    const waiting = scan.findings.filter((f) => f.outcome === 'awaiting-approval');
    expect(waiting.map((f) => f.resource.id).sort()).toEqual(['billing-sandbox-db', 'qa-perf-db', 'staging-reports-db']);
    expect(env.sandbox.successfulWrites('StopDBInstance')).toEqual([]);
    await approve(waiting[0].outcomeDetail!, waiting.filter((f) => f.resource.id !== 'staging-reports-db').map((f) => f.id));

    // Assess 1
    const records = await env.store.list();
    const stop = records.find((r) => r.resource.id === 'staging-reports-db')!;
    expect(stop).toMatchObject({ actor: 'dba@example.com', mode: 'approval', status: 'verified', action: 'stop-db-instance' });
    expect((stop.params as { dbiResourceId: string }).dbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(env.sandbox.successfulWrites('StopDBInstance').map((w) => (w.input as { DBInstanceIdentifier: string }).DBInstanceIdentifier)).toEqual(['staging-reports-db']);
    expect(rds().instances['staging-reports-db'].tags[STOP_DECISION_TAG]).toBe(stop.id);

    // Act 2: 7 days later AWS has started it again; the daily schedule runs the shipped RDS policies.
    t += 7 * DAY + 3_600_000;
    env.sandbox.resetCounters();
    const sweep = await runSweep(JSON.parse(readFileSync('events/schedule-daily.json', 'utf8')), undefined, lambdaDepsFor(env, { ...shipped, policies: rdsPolicies }));

    // Assess 2: nothing stopped without a person; the seeded stop tags (no record) are never re-stopped.
    expect(env.sandbox.successfulWrites('StopDBInstance')).toEqual([]);
    expect(sweep.actions).toEqual([]);
    const proposed = await env.run(restopPolicy, { forceDryRun: true });
    const restopFinding = proposed.findings.find((f) => f.resource.id === 'staging-reports-db')!;
    expect(restopFinding.status).toBe('actionable');
    expect(restopFinding.reason).toContain(`under decision ${stop.id} (approved by dba@example.com, verified in the audit trail)`);
    const oldReporting = proposed.findings.find((f) => f.resource.id === 'old-reporting-db');
    expect(oldReporting?.status).toBe('protected');
    expect(oldReporting?.outcomeDetail).toMatch(/act-seeded-reporting-stop, but the audit trail holds no such action/);

    // Act 3: the re-stop is asked for and approved.
    const asked = await env.run(restopPolicy);
    const restopAsked = asked.findings.find((f) => f.resource.id === 'staging-reports-db' && f.outcome === 'awaiting-approval')!;
    await approve(restopAsked.outcomeDetail!, asked.findings.filter((f) => f.outcome === 'awaiting-approval' && f.resource.id !== 'staging-reports-db').map((f) => f.id));

    // Assess 3: re-stopped under the original decision, which the tags keep pointing to.
    const restop = (await env.store.list()).find((r) => r.action === 'restop-db-instance' && r.resource.id === 'staging-reports-db')!;
    expect(restop).toMatchObject({ mode: 'approval', actor: 'dba@example.com', status: 'verified' });
    expect(restop.summary).toContain(`under decision ${stop.id}`);
    expect(env.sandbox.successfulWrites('StopDBInstance').map((w) => (w.input as { DBInstanceIdentifier: string }).DBInstanceIdentifier)).toEqual(['staging-reports-db']);
    expect(rds().instances['staging-reports-db'].tags[STOP_DECISION_TAG]).toBe(stop.id);
  });
});
