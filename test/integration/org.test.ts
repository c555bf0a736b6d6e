/** Hub and spokes on the sandbox: a multi-account, multi-region sweep with one account that cannot be entered. */
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws/clients.ts';
import { MemoryActionStore } from '../../lib/audit/store.ts';
import { applyOne, type EngineDeps } from '../../lib/engine/run.ts';
import { undoAction } from '../../lib/engine/undo.ts';
import { MemberRoles } from '../../lib/org/roles.ts';
import { sweepOrganization } from '../../lib/org/fleet.ts';
import { ORGANIZATION_SCENARIO, memberAccountId, seedOrganization, unreachableAccountId } from '../../lib/org/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { emptySandbox, envFor, lambdaDepsFor, policiesFrom, SETTLED_TIMING } from '../helpers.ts';
import { runOrgSweepLocally } from '../../lib/org/local.ts';
import { sweepAccount } from '../../lib/org/lambda.ts';
import { ORG_ERRORS, ORG_STATE } from '../../lib/org/state-machine.ts';
import { MemoryCheckpointStore } from '../../lib/engine/checkpoint.ts';
import type { Context } from 'aws-lambda';

const clock = () => new Date('2026-11-01T00:00:00Z');

const POLICIES = `
version: 1
policies:
  - id: abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
  - id: orphaned-snapshots
    resource: ebs-snapshot
    detector: { type: orphaned, minAgeDays: 30 }
    action: { type: delete-snapshot }
    scope: { organizationalUnits: [ou-prod-11111111] }
`;

function orgEnv() {
  const sandbox = emptySandbox({ clock, timing: SETTLED_TIMING });
  const organization = seedOrganization(sandbox, ORGANIZATION_SCENARIO);
  const hubClients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false });
  const store = new MemoryActionStore();
  const roles = new MemberRoles({ hub: hubClients, hubAccount: SANDBOX_ACCOUNT, config: organization, stage: 'test', region: 'us-east-1', now: clock });
  const hub: EngineDeps = { account: SANDBOX_ACCOUNT, clients: hubClients, store, defaultRegions: ['us-east-1'], now: clock, clock: sandbox.clock, accountClients: roles.clientsFor };
  return { sandbox, organization, roles, hub, store };
}

describe('sweepOrganization on the organization sandbox', () => {
  it('sweeps every reachable account × region and records the account whose role cannot be assumed', async () => {
    // Prepare
    const { sandbox, organization, roles, hub } = orgEnv();
    const policies = policiesFrom(POLICIES);
    // Act
    const result = await sweepOrganization({ policies, organization, hub, clientsFor: roles.clientsFor, forceDryRun: true, concurrency: 4 });
    // Assess: 4 accounts × 2 regions planned; the unreachable account's 2 items failed, the 6 others completed.
    expect(result.plan).toHaveLength(8);
    const failed = result.items.filter((i) => i.status === 'failed');
    expect(failed.map((i) => `${i.account}/${i.region}`)).toEqual([`${unreachableAccountId(1)}/eu-west-1`, `${unreachableAccountId(1)}/us-east-1`]);
    expect(failed[0].error).toMatchObject({ name: 'MemberAccessError' });
    expect(failed[0].error!.message).toContain(`arn:aws:iam::${unreachableAccountId(1)}:role/trimtab-member-test`);
    expect(failed[0].error!.message).toContain('AccessDenied');
    expect(result.summary).toMatchObject({ accounts: 4, items: 8, completed: 6, failed: 2, failedAccounts: [unreachableAccountId(1)] });
    // Every reachable account's buckets were found, each finding naming its own account.
    const bucketFindings = result.findings.filter((f) => f.policy === 'abort-uploads');
    expect(new Set(bucketFindings.map((f) => f.resource.account))).toEqual(new Set([memberAccountId(1), memberAccountId(2), memberAccountId(3)]));
    for (const f of bucketFindings) expect(f.resource.id).toContain(f.resource.account);
    expect(bucketFindings).toHaveLength(3 * ORGANIZATION_SCENARIO.buckets!);
    // The OU-scoped policy covered only ou-prod's accounts (the first two members).
    const snapshotAccounts = new Set(result.findings.filter((f) => f.policy === 'orphaned-snapshots').map((f) => f.resource.account));
    expect(snapshotAccounts).toEqual(new Set([memberAccountId(1), memberAccountId(2)]));
    // One AssumeRole per account, reachable or not (credentials and refusals are reused across regions); scan wrote nothing.
    expect(sandbox.callsByOperation()['sts:AssumeRole']).toBe(4);
    expect(sandbox.successfulWrites()).toEqual([]);
  });

  it('applies auto-mode changes in each member account with that account\u2019s role, and undoes one there', async () => {
    // Prepare
    const { sandbox, organization, roles, hub, store } = orgEnv();
    const policies = policiesFrom(POLICIES).filter((p) => p.id === 'abort-uploads');
    // Act
    const result = await sweepOrganization({ policies, organization, hub, clientsFor: roles.clientsFor, actor: 'auto' });
    // Assess: writes landed in the member accounts, none in the hub.
    const writes = sandbox.successfulWrites('s3:PutBucketLifecycleConfiguration');
    expect(new Set(writes.map((w) => w.account))).toEqual(new Set([memberAccountId(1), memberAccountId(2), memberAccountId(3)]));
    expect(result.actions.every((a) => a.status === 'verified')).toBe(true);
    // Undo from the hub: the record names the account, so the undo assumes that account's role.
    const record = result.actions.find((a) => a.resource.account === memberAccountId(2))!;
    const undone = await undoAction(record.id, { ...hub, store });
    expect(undone.status).toBe('undone');
    const bucket = s3State(sandbox, sandbox.account(memberAccountId(2))).buckets[record.resource.id];
    expect(bucket.lifecycle?.Rules ?? []).toEqual([]);
    expect(sandbox.writes.at(-1)).toMatchObject({ account: memberAccountId(2), outcome: 'ok' });
  });
});

describe('the "Sweep the organization" state machine, run locally from the generated ASL', () => {
  function localEnv() {
    const { sandbox, organization, roles, hub } = orgEnv();
    const policySet = { file: 'test.yml', policies: policiesFrom(POLICIES), organization };
    const deps = lambdaDepsFor(envFor(sandbox, ['us-east-1']), policySet);
    deps.engine = { ...deps.engine, now: clock };
    return { sandbox, deps, roles, hub };
  }

  it('runs one item per account × region, records the unreachable account, and ends failed only after the others completed', async () => {
    // Prepare
    const { sandbox, deps, roles } = localEnv();
    // Act
    const run = await runOrgSweepLocally({ deps, roles, input: { schedule: 'rate(1 day)' }, maxConcurrency: 3 });
    // Assess
    expect(run.ok).toBe(false);
    if (run.ok) return;
    expect(run.error.name).toBe(ORG_ERRORS.accountsFailed);
    expect(run.states.filter((s) => s === ORG_STATE.item)).toHaveLength(8);
    expect(run.states).toContain(ORG_STATE.summarize);
    // The auto policy wrote in every reachable account (dry-run policies never).
    expect(new Set(sandbox.successfulWrites().map((w) => w.account))).toEqual(new Set([memberAccountId(1), memberAccountId(2), memberAccountId(3)]));
    expect(sandbox.successfulWrites().every((w) => w.operation === 'PutBucketLifecycleConfiguration')).toBe(true);
  });

  it('summarizes completed and failed items, including an invocation that crashed and was caught in its child', async () => {
    // Prepare: one account's invocation throws like a Lambda timeout.
    const { deps, roles } = localEnv();
    const item = async (payload: any) => {
      if (payload.account === memberAccountId(3)) throw Object.assign(new Error('Task timed out after 900 seconds'), { name: 'Sandbox.Timeout' });
      return sweepAccount(payload, undefined, deps, roles);
    };
    // Act
    const run = await runOrgSweepLocally({ deps, roles, item, input: { regions: ['us-east-1'] } });
    // Assess: 4 items in us-east-1; the crashed one went through the Catch, the unreachable one failed in its handler.
    expect(run.ok).toBe(false);
    expect(run.states.filter((s) => s === ORG_STATE.itemFailed)).toHaveLength(1);
    expect(run.summary).toMatchObject({ items: 4, completed: 2, failed: 2, failedAccounts: [memberAccountId(3), unreachableAccountId(1)].sort() });
    expect(run.summary!.failures.find((f) => f.account === memberAccountId(3))!.error).toEqual({ name: 'Sandbox.Timeout', message: 'Task timed out after 900 seconds' });
    expect(run.summary!.failures.find((f) => f.account === unreachableAccountId(1))!.error!.name).toBe('MemberAccessError');
  });

  it('goes on from a checkpoint when an item does not fit one invocation: the same writes and totals as items swept in one go', async () => {
    // Prepare: the same organization twice; one swept with 30 s always left (under the 60 s a further page
    // and the 120 s a further unit need), so every item stops after each unit or page and is invoked again.
    const whole = localEnv();
    const split = localEnv();
    const checkpoints = new MemoryCheckpointStore();
    split.deps.engine = { ...split.deps.engine, checkpoints };
    const shortOfTime = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
    const item = (payload: any) => sweepAccount(payload, shortOfTime, split.deps, split.roles);
    const writes = (sandbox: typeof whole.sandbox) => sandbox.successfulWrites().map((w) => `${w.account} ${w.operation} ${JSON.stringify(w.input)}`).sort();

    // Act
    const once = await runOrgSweepLocally({ deps: whole.deps, roles: whole.roles, input: { regions: ['us-east-1'] } });
    const resumed = await runOrgSweepLocally({ deps: split.deps, roles: split.roles, item, input: { regions: ['us-east-1'] } });

    // Assess: the loop ran (more item invocations than items), and the summaries and writes are the same.
    expect(once.states.filter((s) => s === ORG_STATE.itemNext)).toHaveLength(0);
    expect(resumed.states.filter((s) => s === ORG_STATE.itemNext).length).toBeGreaterThan(0);
    expect(resumed.states.filter((s) => s === ORG_STATE.item).length).toBeGreaterThan(once.states.filter((s) => s === ORG_STATE.item).length);
    // Each invocation's savings are rounded to the cent before they are added: a cent or so apart, the rest exact.
    const totals = (r: typeof once) => ({ ...r.summary!, durationMs: 0, estimatedMonthlySavingsUsd: 0 });
    expect(once.summary!.findings).toBeGreaterThan(0);
    expect(totals(resumed)).toEqual(totals(once));
    expect(Math.abs(resumed.summary!.estimatedMonthlySavingsUsd - once.summary!.estimatedMonthlySavingsUsd)).toBeLessThanOrEqual(0.05);
    expect(writes(whole.sandbox).length).toBeGreaterThan(0);
    expect(writes(split.sandbox)).toEqual(writes(whole.sandbox));
  });

  it('rejects an item for a policy the deployed trimtab.yml does not have, naming it', async () => {
    const { deps, roles } = localEnv();
    await expect(sweepAccount({ account: memberAccountId(1), region: 'us-east-1', policies: ['gone'] }, undefined, deps, roles)).rejects.toThrow(/Unknown policy id\(s\) gone/);
    await expect(sweepAccount({ account: '12', region: 'us-east-1', policies: ['abort-uploads'] }, undefined, deps, roles)).rejects.toThrow(/account: an account id is 12 digits/);
  });
});

describe('a record in a member account, acted on by the hub', () => {
  it('applies an approved plan with the member account\u2019s role, not the hub\u2019s clients', async () => {
    // Prepare: a scan found a bucket in member 1; the hub (account 123456789012) applies it, as approval-apply does.
    const { sandbox, organization, roles, hub } = orgEnv();
    const [policy] = policiesFrom(POLICIES);
    const scan = await sweepOrganization({ policies: [policy], organization, hub, clientsFor: roles.clientsFor, accounts: [memberAccountId(1)], regions: ['us-east-1'], forceDryRun: true });
    const finding = scan.findings[0];
    expect(finding.resource.account).toBe(memberAccountId(1));
    // Act
    const record = await applyOne({ ...policy, mode: 'approval' }, finding, 'approver@example.com', hub, 'approval');
    // Assess
    expect(record.status).toBe('verified');
    expect(sandbox.successfulWrites().map((w) => w.account)).toEqual([memberAccountId(1)]);
    expect(sandbox.state.accounts[SANDBOX_ACCOUNT].global.s3).toBeUndefined();
  });
});
