/**
 * Issue 24 point 6 (the functional bug): an approval for a resource in a member account is applied
 * there, through the member role, by the hub's Apply; without a way into the member account
 * Apply refuses instead of acting with the hub's own clients.
 */
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws/clients.ts';
import { MemoryActionStore } from '../../lib/audit/store.ts';
import { runPolicies, type EngineDeps } from '../../lib/engine/run.ts';
import { MemberRoles } from '../../lib/org/roles.ts';
import { ORGANIZATION_SCENARIO, memberAccountId, seedOrganization } from '../../lib/org/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { MemoryApprovalStore } from '../../lib/approval/store.ts';
import { applyApproved, askApprovers, decide, recordPlan, WorkflowApprovalRequester, type WorkflowDeps } from '../../lib/approval/workflow.ts';
import { emptySandbox, policiesFrom, SETTLED_TIMING } from '../helpers.ts';
import { SECRET } from '../approval-helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');
const POLICY = `
version: 1
policies:
  - id: abort-uploads-approved
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: approval
    approval: { approvers: [oncall@example.com] }
`;

/** Apply as the workflow loops it: one change per invocation until nothing is left. */
async function applyUntilDone(deps: WorkflowDeps, approvalId: string) {
  for (let i = 0; i < 20; i++) {
    const result = await applyApproved(deps, { approvalId });
    if (!result.more) return result;
  }
  throw new Error('Apply never finished');
}

/** The organization sweep's view of one member account asks for approval; the hub holds the record. */
async function memberApproval() {
  const sandbox = emptySandbox({ clock, timing: SETTLED_TIMING });
  const organization = seedOrganization(sandbox, ORGANIZATION_SCENARIO);
  const hubClients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false });
  const roles = new MemberRoles({ hub: hubClients, hubAccount: SANDBOX_ACCOUNT, config: organization, stage: 'test', region: 'us-east-1', now: clock });
  const member = memberAccountId(1);
  const approvals = new MemoryApprovalStore(clock);
  const started: string[] = [];
  const policies = policiesFrom(POLICY);
  const store = new MemoryActionStore();
  const hub: EngineDeps = { account: SANDBOX_ACCOUNT, clients: hubClients, store, defaultRegions: ['us-east-1'], now: clock, clock: sandbox.clock, accountClients: roles.clientsFor };
  await runPolicies({ policies, regions: ['us-east-1'] }, { ...hub, account: member, clients: await roles.clientsFor(member), approvals: new WorkflowApprovalRequester(approvals, { start: async (id) => void started.push(id) }, clock) });
  const approvalId = started[0];
  const deps = (engine: EngineDeps): WorkflowDeps => ({ store: approvals, mailer: { send: async () => ({ messageId: 'm' }) } as never, secret: async () => SECRET, baseUrl: 'https://approve.example', now: clock, engine, currentPolicies: policies });
  await recordPlan(deps(hub), { approvalId });
  await askApprovers(deps(hub), { approvalId, taskToken: 'token-1' });
  await decide({ store: approvals, tasks: { success: async () => {}, failure: async () => {} }, now: clock }, { approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
  return { sandbox, hub, member, approvals, approvalId, deps, store };
}

describe('an approval for a resource in a member account', () => {
  it('is applied in the member account through the member role, and recorded under the approver', async () => {
    // Prepare
    const { sandbox, hub, member, approvals, approvalId, deps, store } = await memberApproval();
    const record = (await approvals.get(approvalId))!;
    expect(record.account).toBe(member);
    expect(record.findings.every((f) => f.resource.account === member)).toBe(true);
    // Act: the hub's Apply (its own account is not the member's)
    const result = await applyUntilDone(deps(hub), approvalId);
    // Assess
    const writes = sandbox.successfulWrites('PutBucketLifecycleConfiguration');
    expect(result.applied).toBe(record.findings.length);
    expect(writes.map((w) => w.account)).toEqual(record.findings.map(() => member));
    expect((await store.list()).map((r) => [r.resource.account, r.actor, r.status])).toEqual(record.findings.map(() => [member, 'oncall@example.com', 'verified']));
  });

  it('is refused, recorded as failed and changes nothing when Apply has no way into the member account (never the hub\'s own clients)', async () => {
    // Prepare: an engine with no member role
    const { sandbox, hub, approvals, approvalId, deps } = await memberApproval();
    const { accountClients: _none, ...withoutRoles } = hub;
    // Act
    const result = await applyUntilDone(deps(withoutRoles), approvalId);
    // Assess
    expect(result.applied).toBe(0);
    expect(sandbox.successfulWrites()).toEqual([]);
    const done = (await approvals.get(approvalId))!;
    expect(done.actions!.map((a) => [a.status, a.detail])).toEqual(done.findings.map(() => ['failed', expect.stringContaining('has no way into it')]));
  });
});
