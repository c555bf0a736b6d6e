/**
 * The RDS stop decision through the approval workflow (generated ASL, local stack), then AWS's
 * 7-day restart answered by the scheduled function (runSweep, trimtab.yml's RDS policies) with a
 * re-stop under the approved decision: no second approval, the approver's action named.
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
  it('stops only after a person approves, and re-stops after the 7-day restart under that approval without asking again', async () => {
    // Prepare
    let t = START;
    const clock = () => new Date(t);
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const shipped = loadPolicies('trimtab.yml');
    const rdsPolicies = shipped.policies.filter((p) => p.id === 'rds-idle-stop' || p.id === 'rds-restop-auto-started');
    const approvalPolicy = rdsPolicies.filter((p) => p.id === 'rds-idle-stop').map((p) => ({ ...p, approval: { approvers: ['dba@example.com'], timeoutHours: 72 } }));
    const store = new MemoryApprovalStore(clock);
    stack = await startLocalApprovalStack({ engine: env.deps, store, secret: SECRET, now: clock, currentPolicies: approvalPolicy, workflow: { retryIntervalMs: 0 } });
    env.deps.approvals = stack.requester;
    const rds = () => rdsState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');

    // Act 1: the scan asks for approval; nothing is stopped yet.
    const scan = await env.run(approvalPolicy);
    const waiting = scan.findings.filter((f) => f.outcome === 'awaiting-approval');
    expect(waiting.map((f) => f.resource.id).sort()).toEqual(['billing-sandbox-db', 'staging-reports-db']);
    expect(env.sandbox.successfulWrites('StopDBInstance')).toEqual([]);
    const approvalId = waiting[0].outcomeDetail!.match(/apr-[a-z0-9]+/)![0];
    await waitFor(async () => ((await store.get(approvalId))?.status === 'waiting' ? true : undefined), 'waiting');
    const excluded = waiting.filter((f) => f.resource.id === 'billing-sandbox-db').map((f) => f.id);
    await decide({ store, tasks: stack.tasks, now: clock }, { approvalId, decision: 'approve', actor: 'dba@example.com', excluded, via: 'link' });
    await stack.workflow.executions.get(approvalId)!.result;

    // Assess 1
    const records = await env.store.list();
    const stop = records.find((r) => r.resource.id === 'staging-reports-db')!;
    expect(stop).toMatchObject({ actor: 'dba@example.com', mode: 'approval', status: 'verified', action: 'stop-db-instance' });
    expect(env.sandbox.successfulWrites('StopDBInstance').map((w) => (w.input as { DBInstanceIdentifier: string }).DBInstanceIdentifier)).toEqual(['staging-reports-db']);
    expect(rds().instances['staging-reports-db'].tags[STOP_DECISION_TAG]).toBe(stop.id);

    // Act 2: 7 days later AWS has started it again; the daily schedule runs the shipped RDS policies.
    t += 7 * DAY + 3_600_000;
    env.sandbox.resetCounters();
    const sweep = await runSweep(JSON.parse(readFileSync('events/schedule-daily.json', 'utf8')), undefined, lambdaDepsFor(env, { ...shipped, policies: rdsPolicies }));

    // Assess 2: re-stopped in auto under the approved decision; no new approval requested.
    const restop = sweep.actions.find((a) => a.resourceId === 'staging-reports-db')!;
    expect(restop).toMatchObject({ policy: 'rds-restop-auto-started', action: 'restop-db-instance', status: 'verified' });
    const record = (await env.store.list()).find((r) => r.id === restop.id)!;
    expect(record).toMatchObject({ mode: 'auto', actor: 'auto' });
    expect(record.summary).toContain(`under decision ${stop.id}`);
    expect(env.sandbox.successfulWrites('StopDBInstance').map((w) => (w.input as { DBInstanceIdentifier: string }).DBInstanceIdentifier).sort()).toEqual(['old-reporting-db', 'qa-perf-db', 'staging-reports-db']);
    expect(rds().instances['staging-reports-db'].tags[STOP_DECISION_TAG]).toBe(stop.id);
    // New approvals only for new decisions: the instance the approver left out, and payments-batch-db,
    // whose backup (a protection a week ago) has finished. Not for the re-stop.
    const again = await env.run(approvalPolicy, { forceDryRun: true });
    expect(again.findings.filter((f) => f.status === 'actionable').map((f) => f.resource.id).sort()).toEqual(['billing-sandbox-db', 'payments-batch-db']);
    expect(sweep.summary.awaitingApproval).toBe(2);
  });
});
