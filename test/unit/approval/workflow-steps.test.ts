/**
 * The approval workflow's steps (lib/approval/workflow.ts) one by one, on an in-memory store with a
 * made-up resource type whose remediator records what it is asked to do: the requester, Record,
 * Ask, Apply (the policy's limit, opted-out resources, a policy gone or back in dry-run, retries,
 * resumption), Verify, and the ends. Measured by mutation testing (docs/testing.md "Mutation testing").
 */
import * as z from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { MemoryActionStore } from '../../../lib/audit/store.ts';
import type { Email } from '../../../lib/approval/email.ts';
import { verifyLink } from '../../../lib/approval/links.ts';
import { planHashOf, sealApproval } from '../../../lib/approval/seal.ts';
import { ApprovalNotFoundError, MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import {
  applyApproved,
  ApprovalStateError,
  askApprovers,
  DEFAULT_TIMEOUT_HOURS,
  MAX_FINDINGS_PER_APPROVAL,
  parseStepEvent,
  PolicyChangedError,
  recordFailure,
  recordNotApproved,
  recordPlan,
  runStep,
  SfnExecutionStarter,
  tellApprovers,
  verifyApplied,
  WorkflowApprovalRequester,
  type WorkflowDeps,
} from '../../../lib/approval/workflow.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import type { Remediator } from '../../../lib/engine/types.ts';
import type { Policy } from '../../../lib/policy/load.ts';
import { registerRemediator, resourceTypes } from '../../../lib/resources/registry.ts';
import { InvalidEventError, TrimtabError } from '../../../lib/util/errors.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { CLOCK, SECRET } from '../../approval-constants.ts';

const TYPE = 'test-workflow-widget';
const ID = 'apr-workflow00001';

/** What the made-up remediator did, and how it answers (set per test). */
const seen: { applied: string[]; verified: string[]; verifyCalls: { region: string; account: string; now: string; writes: boolean; result: unknown }[] } = { applied: [], verified: [], verifyCalls: [] };
const behaviour: {
  resumeAt?: string;
  verify: { ok: boolean; pending?: boolean; detail: string } | 'throw';
  deferUntil?: { at: string; why: string };
  /** Runs inside apply, before it answers (e.g. to read what the approval record says while the change is made). */
  duringApply?: () => Promise<void>;
} = { verify: { ok: true, detail: 'widget resized' } };

resourceTypes.register({ id: TYPE, title: 'Test widgets', permissions: [], list: async function* () {}, ref: () => ({}) as never });
registerRemediator({
  id: 'resize-widget',
  resource: TYPE,
  title: 'Test: resize a widget',
  options: z.object({}),
  permissions: [],
  undoable: 'yes',
  plan: (finding) => ({ kind: 'change', summary: `resize ${finding.resource.id}`, params: { widget: finding.resource.id }, undo: 'resize it back' }),
  deferUntil: () => behaviour.deferUntil,
  async apply(_ctx, plan) {
    const widget = (plan.params as { widget: string }).widget;
    seen.applied.push(widget);
    await behaviour.duringApply?.();
    if (behaviour.resumeAt) return { before: { size: 2 }, after: { size: 1 }, resumeAt: behaviour.resumeAt, detail: 'waiting for the widget' };
    return { before: { size: 2 }, after: { size: 1 }, detail: `resized ${widget}` };
  },
  async verify(ctx, plan, result) {
    seen.verified.push((plan.params as { widget: string }).widget);
    seen.verifyCalls.push({ region: ctx.region, account: ctx.account, now: ctx.now.toISOString(), writes: ctx.clients.allowWrites, result });
    if (behaviour.verify === 'throw') throw new Error('widget API unreachable');
    return behaviour.verify;
  },
} as Remediator);
/** A remediator with no maintenance window (no `deferUntil`). */
registerRemediator({
  id: 'paint-widget',
  resource: TYPE,
  title: 'Test: paint a widget',
  options: z.object({}),
  permissions: [],
  undoable: 'yes',
  plan: (finding) => ({ kind: 'change', summary: `paint ${finding.resource.id}`, params: { widget: finding.resource.id }, undo: 'paint it back' }),
  async apply(_ctx, plan) {
    seen.applied.push(`painted ${(plan.params as { widget: string }).widget}`);
    return { before: { colour: 'red' }, after: { colour: 'grey' }, detail: 'painted' };
  },
  async verify() {
    return { ok: true, detail: 'widget painted' };
  },
} as Remediator);

const finding = (n: number): FindingResult => {
  const f: FindingResult = {
    id: `f${n}`,
    policy: 'widgets',
    detector: 'd',
    mode: 'approval',
    status: 'actionable',
    outcome: 'awaiting-approval',
    reason: 'Too big.',
    evidence: {},
    resource: { type: TYPE, id: `w${n}`, arn: `arn:test:widget:us-east-1:123456789012:w${n}`, account: '123456789012', region: 'us-east-1', tags: {} },
    savings: { monthlyUsd: n, basis: [] },
    plan: { action: 'resize-widget', summary: `resize w${n}`, params: { widget: `w${n}` }, undo: 'resize it back', hash: '' },
  };
  f.plan!.hash = planHashOf('widgets', f);
  return f;
};

const policy = (limits = { maxActionsPerRun: 50, cooldownHours: 0 }, approval: Policy['approval'] = { approvers: ['oncall@example.com', 'lead@example.com'], timeoutHours: 2 }): Policy =>
  ({ id: 'widgets', resource: TYPE, detector: { type: 'd' }, action: { type: 'resize-widget' }, mode: 'approval', triggers: [], scope: {}, limits, approval }) as never;

function approvedRecord(overrides: Partial<ApprovalRecord> = {}, excluded: string[] = []): ApprovalRecord {
  const record: ApprovalRecord = {
    approvalId: ID,
    status: 'approved',
    createdAt: CLOCK().toISOString(),
    updatedAt: CLOCK().toISOString(),
    account: '123456789012',
    policy: policy(),
    findings: [finding(1), finding(2), finding(3)],
    approvers: ['oncall@example.com'],
    timeoutSeconds: 7200,
    ttl: 0,
    decision: { decision: 'approve', actor: 'oncall@example.com', at: CLOCK().toISOString(), excluded, via: 'link' },
    ...overrides,
  };
  record.seal = sealApproval(record, SECRET);
  return record;
}

interface Harness {
  deps: WorkflowDeps & { engine: NonNullable<WorkflowDeps['engine']> };
  store: MemoryApprovalStore;
  actions: MemoryActionStore;
  emails: Email[];
  logs: string[];
  /** Each log line with its data. */
  logged: [string, Record<string, unknown> | undefined][];
  issued: unknown[];
  get(): Promise<ApprovalRecord>;
}

async function harness(record?: ApprovalRecord, extra: Partial<WorkflowDeps> = {}): Promise<Harness> {
  const store = new MemoryApprovalStore(CLOCK);
  if (record) await store.create(record);
  const actions = new MemoryActionStore();
  const emails: Email[] = [];
  const logs: string[] = [];
  const logged: Harness['logged'] = [];
  const issued: unknown[] = [];
  const engine = { account: '123456789012', clients: new AwsClients({ allowWrites: false, writePacing: false }), store: actions, defaultRegions: ['us-east-1'], now: CLOCK, clock: new VirtualClock(CLOCK()) };
  const deps = {
    store,
    mailer: { send: async (email: Email) => void emails.push(email) },
    secret: async () => SECRET,
    baseUrl: 'https://approve.example',
    now: CLOCK,
    engine,
    log: (message: string, data?: Record<string, unknown>) => {
      logs.push(message);
      logged.push([message, data]);
    },
    onLinksIssued: (approvalId: string, links: unknown[]) => void issued.push([approvalId, links]),
    ...extra,
  } as Harness['deps'];
  return { deps, store, actions, emails, logs, logged, issued, get: async () => (await store.get(ID))! };
}

beforeEach(() => {
  seen.applied = [];
  seen.verified = [];
  seen.verifyCalls = [];
  behaviour.duringApply = undefined;
  behaviour.resumeAt = undefined;
  behaviour.deferUntil = undefined;
  behaviour.verify = { ok: true, detail: 'widget resized' };
});

describe('the requester (engine side)', () => {
  it('stores one approval per 50 findings, starts each execution once, and says so', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    const started: string[] = [];
    const requester = new WorkflowApprovalRequester(store, { start: async (id) => void started.push(id) }, CLOCK);
    const findings = Array.from({ length: MAX_FINDINGS_PER_APPROVAL + 1 }, (_, i) => finding(i + 1));
    // Act
    const first = await requester.request(policy(), findings, '123456789012');
    const again = await requester.request(policy(), findings, '123456789012');
    // Assess
    const ids = first.approvalId.split(', ');
    expect(ids).toHaveLength(2);
    ids.forEach((id) => expect(id).toMatch(/^apr-[0-9a-f]{12}$/));
    expect(started).toEqual(ids);
    expect(first.detail).toBe(`approval requested: ${ids.join(', ')} (email to oncall@example.com, lead@example.com)`);
    expect(again).toEqual({ approvalId: first.approvalId, detail: `already awaiting approval: ${ids.join(', ')} (email to oncall@example.com, lead@example.com)` });
    const stored = (await store.get(ids[0]))!;
    expect(stored).toMatchObject({ status: 'requested', createdAt: CLOCK().toISOString(), updatedAt: CLOCK().toISOString(), account: '123456789012', approvers: ['oncall@example.com', 'lead@example.com'], timeoutSeconds: 7200, ttl: CLOCK().getTime() / 1000 + 400 * 86_400 });
    expect(stored.findings).toHaveLength(50);
    expect(stored.findings.every((f) => f.outcome === 'awaiting-approval')).toBe(true);
    expect((await store.get(ids[1]))!.findings.map((f) => f.id)).toEqual(['f51']);
  });

  it('gives the same plans on another day a new approval, and another policy or account another id', async () => {
    // Prepare
    let now = CLOCK();
    const store = new MemoryApprovalStore(CLOCK);
    const requester = new WorkflowApprovalRequester(store, { start: async () => {} }, () => now);
    const findings = [finding(1)];
    // Act
    const today = (await requester.request(policy(), findings, '123456789012')).approvalId;
    const otherAccount = (await requester.request(policy(), findings, '210987654321')).approvalId;
    const otherPlans = (await requester.request(policy(), [finding(2)], '123456789012')).approvalId;
    now = new Date(CLOCK().getTime() + 86_400_000);
    const tomorrow = (await requester.request(policy(), findings, '123456789012')).approvalId;
    // Assess
    expect(new Set([today, otherAccount, otherPlans, tomorrow]).size).toBe(4);
  });

  it('stores exactly 50 findings as one approval, and the same plans later the same day under the same id', async () => {
    // Prepare
    let now = CLOCK();
    const store = new MemoryApprovalStore(CLOCK);
    const started: string[] = [];
    const requester = new WorkflowApprovalRequester(store, { start: async (id) => void started.push(id) }, () => now);
    const findings = Array.from({ length: MAX_FINDINGS_PER_APPROVAL }, (_, i) => finding(i + 1));
    // Act
    const first = await requester.request(policy(), findings, '123456789012');
    now = new Date(CLOCK().getTime() + 23 * 3_600_000);
    const later = await requester.request(policy(), findings, '123456789012');
    // Assess
    expect(first.approvalId).toMatch(/^apr-[0-9a-f]{12}$/);
    expect(later.approvalId).toBe(first.approvalId);
    expect(started).toEqual([first.approvalId]);
    expect((await store.list()).map((r) => r.findings.length)).toEqual([50]);
  });

  it('dates a request by the clock when it is given none', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    const requester = new WorkflowApprovalRequester(store, { start: async () => {} });
    const before = Date.now();
    // Act
    const { approvalId } = await requester.request(policy(), [finding(1)], '123456789012');
    // Assess
    const createdAt = Date.parse((await store.get(approvalId))!.createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(createdAt).toBeLessThanOrEqual(Date.now());
  });

  it('gives the same plans listed in another order the same approval, starting and emailing nothing again', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    const started: string[] = [];
    const requester = new WorkflowApprovalRequester(store, { start: async (id) => void started.push(id) }, CLOCK);
    // Act
    const first = await requester.request(policy(), [finding(1), finding(2), finding(3)], '123456789012');
    const reordered = await requester.request(policy(), [finding(3), finding(1), finding(2)], '123456789012');
    // Assess
    expect(reordered.approvalId).toBe(first.approvalId);
    expect(reordered.detail).toBe(`already awaiting approval: ${first.approvalId} (email to oncall@example.com, lead@example.com)`);
    expect(started).toEqual([first.approvalId]);
  });

  it('waits the default 72 hours when the policy names no timeout, and at least one second', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    const requester = new WorkflowApprovalRequester(store, { start: async () => {} }, CLOCK);
    // Act
    const byDefault = await requester.request(policy(undefined, { approvers: ['a@example.com'] } as never), [finding(1)], '123456789012');
    const tiny = await requester.request(policy(undefined, { approvers: ['a@example.com'], timeoutHours: 0.00001 }), [finding(2)], '123456789012');
    // Assess
    expect((await store.get(byDefault.approvalId))!.timeoutSeconds).toBe(DEFAULT_TIMEOUT_HOURS * 3600);
    expect((await store.get(tiny.approvalId))!.timeoutSeconds).toBe(1);
  });

  it('refuses a policy that names no approvers, storing nothing', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    const requester = new WorkflowApprovalRequester(store, { start: async () => {} }, CLOCK);
    // Act
    const refused = requester.request(policy(undefined, { approvers: [] } as never), [finding(1)], '123456789012');
    const { approval: _none, ...withoutApproval } = policy();
    const noApproval = requester.request(withoutApproval as Policy, [finding(1)], '123456789012');
    // Assess
    await expect(refused).rejects.toThrow("Policy 'widgets' is in approval mode but names no approvers: add approval.approvers (email addresses) to it.");
    await expect(noApproval).rejects.toBeInstanceOf(TrimtabError);
    expect(await store.list()).toEqual([]);
  });
});

describe('the step input', () => {
  it('adds the step the function runs when the input has none, and refuses another step or a bad id naming the problem', () => {
    // Act / Assess
    expect(parseStepEvent({ approvalId: ID, taskToken: 'tok' }, 'ask')).toEqual({ step: 'ask', approvalId: ID, taskToken: 'tok' });
    expect(parseStepEvent({ step: 'verify', approvalId: ID })).toEqual({ step: 'verify', approvalId: ID });
    expect(() => parseStepEvent({ step: 'verify', approvalId: ID }, 'apply')).toThrow(new InvalidEventError("This function runs the 'apply' step, not 'verify'."));
    expect(() => parseStepEvent({ step: 'apply', approvalId: 'nope' }, 'apply')).toThrow(
      'Invalid approval step input: approvalId: an approval id looks like apr-<letters and digits>',
    );
    expect(() => parseStepEvent('apply')).toThrow(/^Invalid approval step input: \(input\): /);
    expect(() => parseStepEvent(null, 'apply')).toThrow(InvalidEventError);
  });
});

describe("each step's input", () => {
  it('takes each step with its own fields, and refuses a missing or bad field naming it', () => {
    // Prepare
    const failure = { Error: 'States.Timeout', Cause: 'no decision', extra: 1 };
    const longest = 'x'.repeat(8192);
    // Act / Assess: accepted as given
    expect(parseStepEvent({ step: 'record', approvalId: ID, executionArn: 'arn:exec:1' })).toEqual({ step: 'record', approvalId: ID, executionArn: 'arn:exec:1' });
    expect(parseStepEvent({ step: 'record', approvalId: ID })).toEqual({ step: 'record', approvalId: ID });
    expect(parseStepEvent({ step: 'ask', approvalId: ID, taskToken: longest, timeoutSeconds: 1 })).toEqual({ step: 'ask', approvalId: ID, taskToken: longest, timeoutSeconds: 1 });
    expect(parseStepEvent({ step: 'notify', approvalId: ID })).toEqual({ step: 'notify', approvalId: ID });
    expect(parseStepEvent({ step: 'not-approved', approvalId: ID, error: failure })).toEqual({ step: 'not-approved', approvalId: ID, error: failure });
    expect(parseStepEvent({ step: 'failed', approvalId: ID, error: { Error: 'Lambda.Unknown' } })).toEqual({ step: 'failed', approvalId: ID, error: { Error: 'Lambda.Unknown' } });
    // refused, naming the field
    const refusal = (event: unknown) => {
      try {
        parseStepEvent(event);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) return `not an InvalidEventError: ${String(error)}`;
        // "Invalid approval step input: <path>: <zod's words>; …" → the paths
        return error.message.startsWith('Invalid approval step input: ') ? error.message.slice(29).split('; ').map((part) => part.slice(0, part.indexOf(': '))).join(', ') : error.message;
      }
      return 'accepted';
    };
    expect(refusal({ step: 'record', approvalId: ID, executionArn: 1 })).toBe('executionArn');
    expect(refusal({ step: 'ask', approvalId: ID, taskToken: '' })).toBe('taskToken');
    expect(refusal({ step: 'ask', approvalId: ID, taskToken: `${longest}x` })).toBe('taskToken');
    expect(refusal({ step: 'ask', approvalId: ID })).toBe('taskToken');
    expect(refusal({ step: 'ask', approvalId: ID, taskToken: 'tok', timeoutSeconds: 1.5 })).toBe('timeoutSeconds');
    expect(refusal({ step: 'ask', approvalId: ID, taskToken: 'tok', timeoutSeconds: 0 })).toBe('timeoutSeconds');
    expect(refusal({ step: 'notify', approvalId: 'apr-' })).toBe('approvalId');
    expect(refusal({ step: 'not-approved', approvalId: ID })).toBe('error');
    expect(refusal({ step: 'not-approved', approvalId: ID, error: { Cause: 'x' } })).toBe('error.Error');
    expect(refusal({ step: 'failed', approvalId: ID, error: { Error: 'x', Cause: 2 } })).toBe('error.Cause');
    expect(refusal({ step: 'undo', approvalId: ID })).toBe('step');
    expect(refusal({ step: 'ask', approvalId: 'nope', taskToken: '' })).toBe('approvalId, taskToken');
    expect(() => parseStepEvent('apply', 'apply')).toThrow(/^Invalid approval step input: \(input\): /);
  });

  it('refuses every step of an approval that is not stored, naming it', async () => {
    // Prepare
    const h = await harness();
    // Act / Assess
    for (const step of [() => recordPlan(h.deps, { approvalId: ID }), () => askApprovers(h.deps, { approvalId: ID, taskToken: 't' }), () => applyApproved(h.deps, { approvalId: ID }), () => verifyApplied(h.deps, { approvalId: ID })]) {
      await expect(step()).rejects.toThrow(new ApprovalNotFoundError(ID));
    }
    expect(h.emails).toEqual([]);
  });

  it('starts the Step Functions execution named after the approval, with its id as input', async () => {
    // Prepare
    const sent: unknown[] = [];
    const starter = new SfnExecutionStarter('arn:aws:states:us-east-1:123456789012:stateMachine:approval', { send: async (command: { input: unknown }) => void sent.push(command.input) } as never);
    // Act
    await starter.start(ID);
    // Assess
    expect(sent).toEqual([{ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:approval', name: ID, input: JSON.stringify({ approvalId: ID }) }]);
  });
});

describe('Record and Ask', () => {
  it('records the plan once and refuses a second execution, and an approval with nothing planned', async () => {
    // Prepare
    const h = await harness(approvedRecord({ status: 'requested' }));
    const unplanned = await harness(approvedRecord({ status: 'requested', findings: [{ ...finding(1), plan: undefined }] }));
    const empty = await harness(approvedRecord({ status: 'requested', findings: [] }));
    // Act
    const recorded = await recordPlan(h.deps, { approvalId: ID, executionArn: 'arn:exec:1' });
    const retried = await recordPlan(h.deps, { approvalId: ID, executionArn: 'arn:exec:1' });
    await h.store.update(ID, { status: 'waiting' });
    const second = recordPlan(h.deps, { approvalId: ID, executionArn: 'arn:exec:2' });
    // Assess
    expect(recorded).toEqual({ approvalId: ID, timeoutSeconds: 7200 });
    expect(retried).toEqual(recorded);
    await expect(second).rejects.toThrow(new ApprovalStateError(`Approval ${ID} is 'waiting'; it was recorded by another execution.`));
    expect((await h.get()).executionArn).toBe('arn:exec:1');
    await expect(recordPlan(unplanned.deps, { approvalId: ID })).rejects.toThrow(`Approval ${ID} has no planned findings to approve.`);
    await expect(recordPlan(empty.deps, { approvalId: ID })).rejects.toThrow(ApprovalStateError);
    const oneUnplanned = await harness(approvedRecord({ status: 'requested', findings: [finding(1), { ...finding(2), plan: undefined }] }));
    await expect(recordPlan(oneUnplanned.deps, { approvalId: ID })).rejects.toThrow(`Approval ${ID} has no planned findings to approve.`);
    expect((await oneUnplanned.get()).status).toBe('requested');
  });

  it('asks each approver by email with links in their own name, sealed and expiring with the wait', async () => {
    // Prepare
    const h = await harness(approvedRecord({ status: 'recorded', approvers: ['oncall@example.com', 'lead@example.com'], decision: undefined }));
    // Act
    const result = await askApprovers(h.deps, { approvalId: ID, taskToken: 'task-1' });
    // Assess
    expect(result).toEqual({ approvalId: ID, sent: 2 });
    const after = await h.get();
    expect(after).toMatchObject({ status: 'waiting', taskToken: 'task-1', askedAt: CLOCK().toISOString(), expiresAt: '2026-11-01T02:00:00.000Z', notified: ['oncall@example.com', 'lead@example.com'] });
    expect(after.seal).toEqual(sealApproval(after, SECRET));
    expect(h.emails.map((e) => e.to)).toEqual([['oncall@example.com'], ['lead@example.com']]);
    const links = (h.issued[0] as [string, { recipient: string; approve: string; reject: string }[]])[1];
    expect(h.issued[0]).toEqual([ID, links]);
    expect(links.map((l) => l.recipient)).toEqual(['oncall@example.com', 'lead@example.com']);
    for (const l of links) {
      for (const [decision, url] of [['approve', l.approve], ['reject', l.reject]] as const) {
        const parsed = new URL(url);
        expect(`${parsed.origin}${parsed.pathname}`).toBe(`https://approve.example/approvals/${ID}`);
        expect(verifyLink(parsed.searchParams.get('t')!, SECRET, { approvalId: ID, now: CLOCK() })).toMatchObject({ decision, recipient: l.recipient, expiresAt: new Date('2026-11-01T02:00:00.000Z') });
        expect(h.emails.find((e) => e.to[0] === l.recipient)!.text).toContain(url);
      }
    }
    expect(h.logged).toEqual([['approval requested', { approvalId: ID, approvers: 2, findings: 3 }]]);
  });

  it('asks, records a failure and applies without a log or a links listener', async () => {
    // Prepare
    const h = await harness(approvedRecord({ status: 'recorded', decision: undefined }), { log: undefined, onLinksIssued: undefined });
    // Act
    const asked = await askApprovers(h.deps, { approvalId: ID, taskToken: 'task-1' });
    const failed = await recordFailure(h.deps, { approvalId: ID, error: { Error: 'Lambda.Unknown' } });
    const limited = await harness(approvedRecord({ policy: policy({ maxActionsPerRun: 1, cooldownHours: 0 }) }), { log: undefined, remainingMs: () => 0 });
    const waited = await applyApproved(limited.deps, { approvalId: ID });
    // Assess
    expect(asked).toEqual({ approvalId: ID, sent: 1 });
    expect(h.emails).toHaveLength(1);
    expect(failed).toEqual({ approvalId: ID });
    expect((await h.get()).status).toBe('failed');
    expect(waited).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: null, more: true });
    expect((await limited.get()).actions!.map((a) => [a.findingId, a.status])).toEqual([['f2', 'skipped'], ['f3', 'skipped']]);
  });

  it('waits for the window, yields at a resume time and refuses a changed record without a log', async () => {
    // Prepare
    const window = await harness(approvedRecord(), { log: undefined });
    const resuming = await harness(approvedRecord({ findings: [finding(1)] }), { log: undefined });
    const changed = approvedRecord();
    changed.findings[0].plan!.params = { widget: 'someone-elses-widget' };
    const tampered = await harness(changed, { log: undefined });
    // Act / Assess
    behaviour.deferUntil = { at: '2026-11-01T03:00:00.000Z', why: 'window' };
    expect(await applyApproved(window.deps, { approvalId: ID })).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: '2026-11-01T03:00:00Z', more: false });
    behaviour.deferUntil = undefined;
    behaviour.resumeAt = '2026-11-01T00:10:00.000Z';
    expect(await applyApproved(resuming.deps, { approvalId: ID })).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: '2026-11-01T00:10:00Z', more: true });
    await expect(applyApproved(tampered.deps, { approvalId: ID })).rejects.toThrow(`Approval ${ID}: the stored plan for w1 no longer matches its hash`);
  });

  it('refuses to ask for an approval that was decided already, sending nothing', async () => {
    // Prepare
    const h = await harness(approvedRecord());
    // Act
    const asked = askApprovers(h.deps, { approvalId: ID, taskToken: 'task-2' });
    // Assess
    await expect(asked).rejects.toThrow(new ApprovalStateError(`Approval ${ID} is 'approved', not waiting for approvers.`));
    expect(h.emails).toEqual([]);
    expect(h.issued).toEqual([]);
  });
});

describe('Apply', () => {
  /** Apply called as the state machine does: again while it answers `more`. */
  async function applyAll(h: Harness) {
    const answers = [];
    for (let i = 0; i < 10; i++) {
      const answer = await applyApproved(h.deps, { approvalId: ID });
      answers.push(answer);
      if (!answer.more) break;
    }
    return answers;
  }

  it('applies one approved change per call and marks the approval applied after the last', async () => {
    // Prepare
    const h = await harness(approvedRecord());
    // Act
    const answers = await applyAll(h);
    // Assess
    expect(answers).toEqual([
      { approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: true },
      { approvalId: ID, applied: 2, failed: 0, waitUntil: null, more: true },
      { approvalId: ID, applied: 3, failed: 0, waitUntil: null, more: false },
    ]);
    expect(seen.applied).toEqual(['w1', 'w2', 'w3']);
    const after = await h.get();
    expect(after.status).toBe('applied');
    expect(after.inProgress ?? null).toBeNull();
    expect(after.actions!.map((a) => [a.findingId, a.resourceId, a.region, a.status, a.detail])).toEqual([
      ['f1', 'w1', 'us-east-1', 'verified', 'widget resized'],
      ['f2', 'w2', 'us-east-1', 'verified', 'widget resized'],
      ['f3', 'w3', 'us-east-1', 'verified', 'widget resized'],
    ]);
    expect(after.actions![0]).toMatchObject({ undo: { supported: 'yes', how: 'resize it back' }, before: { size: 2 }, after: { size: 1 } });
    expect(after.actions![0].actionId).toBe((await h.actions.list({ policy: 'widgets' }))[0].id);
    // A retried Apply after the end acts on nothing.
    expect(await applyApproved(h.deps, { approvalId: ID })).toEqual({ approvalId: ID, applied: 3, failed: 0, waitUntil: null, more: false });
    expect(seen.applied).toHaveLength(3);
  });

  it('leaves out the resources the approver unticked', async () => {
    // Prepare
    const h = await harness(approvedRecord({}, ['f2']));
    // Act
    const answers = await applyAll(h);
    // Assess
    expect(seen.applied).toEqual(['w1', 'w3']);
    expect(answers.at(-1)).toEqual({ approvalId: ID, applied: 2, failed: 0, waitUntil: null, more: false });
  });

  it("keeps the policy's maxActionsPerRun: the approved changes past it are recorded as left out, and told", async () => {
    // Prepare
    const h = await harness(approvedRecord({ policy: policy({ maxActionsPerRun: 1, cooldownHours: 0 }) }));
    // Act
    const answers = await applyAll(h);
    // Assess
    expect(seen.applied).toEqual(['w1']);
    expect(answers).toEqual([{ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false }]);
    const after = await h.get();
    expect(after.status).toBe('applied');
    expect(after.actions!.map((a) => [a.findingId, a.status])).toEqual([
      ['f2', 'skipped'],
      ['f3', 'skipped'],
      ['f1', 'verified'],
    ]);
    expect(after.actions![0]).toEqual({
      findingId: 'f2',
      actionId: '',
      resourceId: 'w2',
      region: 'us-east-1',
      status: 'skipped',
      detail: 'not applied: the policy allows at most 1 change(s) per run (limits.maxActionsPerRun); approve it again in a later request',
      undo: { supported: 'no', how: 'nothing was changed' },
    });
    expect(h.logged).toContainEqual(['approved changes left out by the policy limit', { approvalId: ID, limit: 1, leftOut: 2 }]);
  });

  it('records the changes left out by the limit once, across a retried Apply', async () => {
    // Prepare: the first call has no time left for a change, the second has
    let remaining = 0;
    const h = await harness(approvedRecord({ policy: policy({ maxActionsPerRun: 1, cooldownHours: 0 }) }), { remainingMs: () => remaining });
    // Act
    const first = await applyApproved(h.deps, { approvalId: ID });
    const leftOutSaved = (await h.get()).actions!.map((a) => [a.findingId, a.status]);
    remaining = 60_000;
    const second = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(first).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: null, more: true });
    expect(leftOutSaved).toEqual([['f2', 'skipped'], ['f3', 'skipped']]);
    expect(second).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false });
    expect((await h.get()).actions!.map((a) => [a.findingId, a.status])).toEqual([['f2', 'skipped'], ['f3', 'skipped'], ['f1', 'verified']]);
    expect(h.logs.filter((m) => m === 'approved changes left out by the policy limit')).toHaveLength(1);
  });

  it('counts failed changes and keeps going', async () => {
    // Prepare
    behaviour.verify = { ok: false, detail: 'still big' };
    const h = await harness(approvedRecord({ findings: [finding(1), finding(2)] }));
    // Act
    const answers = await applyAll(h);
    // Assess
    expect(answers.at(-1)).toEqual({ approvalId: ID, applied: 0, failed: 2, waitUntil: null, more: false });
  });

  it('refuses an approval that was not approved, and one without the engine', async () => {
    // Prepare
    const rejected = await harness(approvedRecord({ status: 'rejected', decision: { decision: 'reject', actor: 'x@example.com', at: CLOCK().toISOString(), excluded: [], via: 'link' } }));
    const undecided = await harness(approvedRecord({ status: 'waiting', decision: undefined }));
    const noEngine = await harness(approvedRecord(), { engine: undefined });
    // Act / Assess
    await expect(applyApproved(rejected.deps, { approvalId: ID })).rejects.toThrow(new ApprovalStateError(`Approval ${ID} was not approved (status 'rejected').`));
    await expect(applyApproved(undecided.deps, { approvalId: ID })).rejects.toThrow(`Approval ${ID} was not approved (status 'waiting').`);
    await expect(applyApproved(noEngine.deps, { approvalId: ID })).rejects.toThrow('The apply step needs the engine (clients and audit store).');
    expect(seen.applied).toEqual([]);
  });

  it('refuses a record changed since it was sealed, logging why, and applies nothing', async () => {
    // Prepare
    const record = approvedRecord();
    record.findings[0].plan!.params = { widget: 'someone-elses-widget' };
    const h = await harness(record);
    // Act
    const applied = applyApproved(h.deps, { approvalId: ID });
    // Assess
    await expect(applied).rejects.toThrow(`Approval ${ID}: the stored plan for w1 no longer matches its hash (its params were changed after it was planned). Nothing is applied.`);
    expect(h.logged).toEqual([
      ['approval record changed after the approvers were asked: nothing applied', { approvalId: ID, error: `Approval ${ID}: the stored plan for w1 no longer matches its hash (its params were changed after it was planned). Nothing is applied.` }],
    ]);
    expect((await h.get()).status).toBe('approved');
    expect(seen.applied).toEqual([]);
  });

  it('answers a retried Apply after the end with the counts of what is recorded, changes made but not yet shown counted as applied', async () => {
    // Prepare
    const summary = (findingId: string, status: string) => ({ findingId, actionId: `act-${findingId}`, resourceId: 'w', region: 'us-east-1', status, detail: status, undo: { supported: 'yes', how: 'resize it back' } });
    const h = await harness(approvedRecord({ status: 'applied', actions: [summary('f1', 'applied'), summary('f2', 'verified'), summary('f3', 'failed'), summary('f4', 'skipped')] as never }));
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 2, failed: 1, waitUntil: null, more: false });
    expect(seen.applied).toEqual([]);
  });

  it('passes on a failure to read the link secret without calling it a changed record', async () => {
    // Prepare
    const h = await harness(approvedRecord(), {
      secret: async () => {
        throw new Error('ParameterNotFound');
      },
    });
    // Act
    const applied = applyApproved(h.deps, { approvalId: ID });
    // Assess
    await expect(applied).rejects.toThrow('ParameterNotFound');
    expect(h.logged).toEqual([]);
    expect(seen.applied).toEqual([]);
  });

  it('refuses when the policy is no longer deployed or is back in dry-run, applying nothing', async () => {
    // Prepare
    const gone = await harness(approvedRecord(), { currentPolicies: [{ ...policy(), id: 'other' }] });
    const dryRun = await harness(approvedRecord(), { currentPolicies: [{ ...policy(), mode: 'dry-run' }] });
    const same = await harness(approvedRecord(), { currentPolicies: [policy()] });
    // Act / Assess
    await expect(applyApproved(gone.deps, { approvalId: ID })).rejects.toThrow(new PolicyChangedError("Policy 'widgets' is no longer deployed; the approved plan is not applied."));
    await expect(applyApproved(dryRun.deps, { approvalId: ID })).rejects.toThrow("Policy 'widgets' is in dry-run now; the approved plan is not applied.");
    expect(seen.applied).toEqual([]);
    await applyApproved(same.deps, { approvalId: ID });
    expect(seen.applied).toEqual(['w1']);
  });

  it('refuses an approval another Apply already moved past approved, and one that stops being applying while it is applied', async () => {
    // Prepare
    const notApproved = await harness(approvedRecord({ status: 'failed' }));
    const stolen = await harness(approvedRecord());
    const remover = stolen.deps.engine.store;
    const put = remover.put.bind(remover);
    // The record is moved on (an operator marked it failed) while the change is being made.
    remover.put = async (record) => {
      await put(record);
      if (record.status === 'verified') await stolen.store.update(ID, { status: 'failed' });
    };
    // Act / Assess
    await expect(applyApproved(notApproved.deps, { approvalId: ID })).rejects.toThrow(new ApprovalStateError(`Approval ${ID} is 'failed'; nothing to apply.`));
    await expect(applyApproved(stolen.deps, { approvalId: ID })).rejects.toThrow(`Approval ${ID} stopped being 'applying' while it was applied; 1 change(s) are recorded.`);
  });

  it('waits for the maintenance window without applying or claiming anything', async () => {
    // Prepare
    behaviour.deferUntil = { at: '2026-11-01T03:00:00.123Z', why: 'window' };
    const h = await harness(approvedRecord());
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: '2026-11-01T03:00:00Z', more: false });
    expect((await h.get()).status).toBe('approved');
    expect(seen.applied).toEqual([]);
    expect(h.logged).toEqual([['approved; waiting for the maintenance window', { approvalId: ID, until: '2026-11-01T03:00:00.123Z' }]]);
  });

  it('does not start a change with less than the margin left, and starts it with enough', async () => {
    // Prepare
    const short = await harness(approvedRecord(), { remainingMs: () => 9_999 });
    const enough = await harness(approvedRecord(), { remainingMs: () => 10_000 });
    // Act
    const waited = await applyApproved(short.deps, { approvalId: ID });
    const went = await applyApproved(enough.deps, { approvalId: ID });
    // Assess
    expect(waited).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: null, more: true });
    expect(short.logged).toEqual([['time budget too short for the next change; Apply is called again', { approvalId: ID, remainingMs: 9_999 }]]);
    expect(went).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: true });
    expect(seen.applied).toEqual(['w1']);
  });

  it('names the change in progress before making it, yields at a resume time, and resumes the same action', async () => {
    // Prepare
    behaviour.resumeAt = '2026-11-01T00:10:00.500Z';
    const h = await harness(approvedRecord({ findings: [finding(1)] }));
    // Act: the change answers "resume at"
    const first = await applyApproved(h.deps, { approvalId: ID });
    const inProgress = (await h.get()).inProgress!;
    behaviour.resumeAt = undefined;
    const second = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(first).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: '2026-11-01T00:10:00Z', more: true });
    expect(inProgress).toMatchObject({ findingId: 'f1', resumeAt: '2026-11-01T00:10:00.500Z' });
    expect(h.logged).toContainEqual(['change in progress; resuming later', { approvalId: ID, actionId: inProgress.actionId, resumeAt: '2026-11-01T00:10:00.500Z' }]);
    expect(second).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false });
    const after = await h.get();
    expect(after.actions!.map((a) => a.actionId)).toEqual([inProgress.actionId]);
    expect(await h.actions.list({ policy: 'widgets' })).toHaveLength(1);
    expect(seen.applied).toEqual(['w1', 'w1']);
  });

  it('records an action that ended in a run that died before saving it, without acting again', async () => {
    // Prepare: the action record is verified; the approval still names it in progress
    const h = await harness(approvedRecord({ status: 'applying', findings: [finding(1)] }));
    await h.store.update(ID, { inProgress: { findingId: 'f1', actionId: 'act-done-1' } });
    await h.actions.put({
      id: 'act-done-1', findingId: 'f1', policy: 'widgets', resource: finding(1).resource, action: 'resize-widget', summary: 'resize w1', params: {}, planHash: finding(1).plan!.hash, mode: 'approval', actor: 'oncall@example.com',
      status: 'verified', transitions: [{ status: 'verified', at: CLOCK().toISOString(), detail: 'done before' }], before: null, estimatedMonthlySavingsUsd: 1, undo: { supported: 'yes', how: 'resize it back' },
    } as never);
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false });
    expect(seen.applied).toEqual([]);
    expect((await h.get()).actions).toEqual([expect.objectContaining({ findingId: 'f1', actionId: 'act-done-1', status: 'verified', detail: 'done before' })]);
  });

  it('records the change named in progress, not the first one, when a run died after it ended', async () => {
    // Prepare: f2's action is verified; the approval still names it in progress
    const h = await harness(approvedRecord({ status: 'applying', findings: [finding(1), finding(2)] }));
    await h.store.update(ID, { inProgress: { findingId: 'f2', actionId: 'act-done-2' } });
    await h.actions.put({
      id: 'act-done-2', findingId: 'f2', policy: 'widgets', resource: finding(2).resource, action: 'resize-widget', summary: 'resize w2', params: {}, planHash: finding(2).plan!.hash, mode: 'approval', actor: 'oncall@example.com',
      status: 'verified', transitions: [{ status: 'verified', at: CLOCK().toISOString(), detail: 'done before' }], before: null, estimatedMonthlySavingsUsd: 2, undo: { supported: 'yes', how: 'resize it back' },
    } as never);
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: true });
    expect(seen.applied).toEqual([]);
    expect((await h.get()).actions!.map((a) => [a.findingId, a.resourceId, a.actionId])).toEqual([['f2', 'w2', 'act-done-2']]);
  });

  it('marks applied a retried Apply that finds every change recorded, acting on nothing', async () => {
    // Prepare: the last change was saved, but the run died before the approval was marked applied
    const summary = (n: number) => ({ findingId: `f${n}`, actionId: `act-${n}`, resourceId: `w${n}`, region: 'us-east-1', status: 'verified' as const, detail: 'done', undo: { supported: 'yes' as const, how: 'resize it back' } });
    const h = await harness(approvedRecord({ status: 'applying', actions: [summary(1), summary(2), summary(3)] }));
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 3, failed: 0, waitUntil: null, more: false });
    expect(seen.applied).toEqual([]);
    expect(await h.get()).toMatchObject({ status: 'applied', inProgress: null });
  });

  it('refuses to mark applied an approval moved on meanwhile, whether the last change was made now or before', async () => {
    // Prepare: the store refuses the write that marks it applied
    const summary = (n: number) => ({ findingId: `f${n}`, actionId: `act-${n}`, resourceId: `w${n}`, region: 'us-east-1', status: 'verified' as const, detail: 'done', undo: { supported: 'yes' as const, how: 'resize it back' } });
    const allDone = await harness(approvedRecord({ status: 'applying', actions: [summary(1), summary(2), summary(3)] }));
    const lastNow = await harness(approvedRecord({ findings: [finding(1)] }));
    for (const h of [allDone, lastNow]) {
      const update = h.store.update.bind(h.store);
      h.store.update = async (id, changes, from) => (changes.status === 'applied' ? false : update(id, changes, from));
    }
    // Act
    const refusals = [applyApproved(allDone.deps, { approvalId: ID }), applyApproved(lastNow.deps, { approvalId: ID })];
    // Assess
    await expect(refusals[0]).rejects.toThrow(new ApprovalStateError(`Approval ${ID} could not be marked applied: it moved on to 'applying'.`));
    await expect(refusals[1]).rejects.toThrow(new ApprovalStateError(`Approval ${ID} could not be marked applied: it moved on to 'applying'.`));
    expect(seen.applied).toEqual(['w1']);
  });
});

describe('Apply: windows, resumption and what is recorded', () => {
  /** An action record another run stored for f1, with the given status. */
  const storedAction = (id: string, status: string) =>
    ({
      id, findingId: 'f1', policy: 'widgets', resource: finding(1).resource, action: 'resize-widget', summary: 'resize w1', params: { widget: 'w1' }, planHash: finding(1).plan!.hash, mode: 'approval', actor: 'oncall@example.com',
      status, transitions: [{ status, at: CLOCK().toISOString(), detail: `${status} before` }], before: null, estimatedMonthlySavingsUsd: 1, undo: { supported: 'yes', how: 'resize it back' },
    }) as never;

  it('goes on applying an approval already being applied, without asking the maintenance window again', async () => {
    // Prepare: the window has closed since the first change of the batch
    behaviour.deferUntil = { at: '2026-11-02T03:00:00.000Z', why: 'window' };
    const h = await harness(approvedRecord({ status: 'applying', findings: [finding(1)] }));
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false });
    expect(seen.applied).toEqual(['w1']);
  });

  it('marks applied, acting on nothing, an approval of a policy without an action whose approver unticked every change', async () => {
    // Prepare
    const h = await harness(approvedRecord({ policy: { ...policy(), action: undefined } as never }, ['f1', 'f2', 'f3']));
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 0, failed: 0, waitUntil: null, more: false });
    expect(await h.get()).toMatchObject({ status: 'applied', inProgress: null });
    expect(seen.applied).toEqual([]);
  });

  it('applies a change whose action has no maintenance window', async () => {
    // Prepare
    const painted = finding(1);
    painted.plan = { action: 'paint-widget', summary: 'paint w1', params: { widget: 'w1' }, undo: 'paint it back', hash: '' };
    painted.plan.hash = planHashOf('widgets', painted);
    const h = await harness(approvedRecord({ policy: { ...policy(), action: { type: 'paint-widget' } } as never, findings: [painted] }));
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false });
    expect(seen.applied).toEqual(['painted w1']);
    expect((await h.get()).actions!.map((a) => [a.findingId, a.status, a.detail, a.before, a.after])).toEqual([['f1', 'verified', 'widget painted', { colour: 'red' }, { colour: 'grey' }]]);
  });

  it('keeps what the undo cannot bring back in the change recorded on the approval', async () => {
    // Prepare
    const limited = finding(1);
    limited.plan!.undoLimits = 'the widget cache';
    const h = await harness(approvedRecord({ findings: [limited] }));
    // Act
    await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect((await h.get()).actions![0].undo).toEqual({ supported: 'yes', how: 'resize it back', limits: 'the widget cache' });
  });

  it('refuses, saying no change is recorded, an approval that stops being applying before its first change is named', async () => {
    // Prepare: the write naming the change in progress finds the record moved on
    const h = await harness(approvedRecord());
    const update = h.store.update.bind(h.store);
    h.store.update = async (id, changes, from) => (changes.inProgress ? false : update(id, changes, from));
    // Act
    const applied = applyApproved(h.deps, { approvalId: ID });
    // Assess
    await expect(applied).rejects.toThrow(new ApprovalStateError(`Approval ${ID} stopped being 'applying' while it was applied; 0 change(s) are recorded.`));
    expect(seen.applied).toEqual([]);
  });

  it('names the change in progress with its action id while the change is made, and records the action as an approval', async () => {
    // Prepare: read the approval record from inside the change
    const h = await harness(approvedRecord({ findings: [finding(1)] }));
    let during: ApprovalRecord['inProgress'];
    behaviour.duringApply = async () => {
      during = (await h.get()).inProgress;
    };
    // Act
    await applyApproved(h.deps, { approvalId: ID });
    // Assess
    const [action] = await h.actions.list({ policy: 'widgets' });
    expect(during).toEqual({ findingId: 'f1', actionId: action.id });
    expect(action).toMatchObject({ mode: 'approval', actor: 'oncall@example.com', status: 'verified' });
    expect((await h.get()).actions!.map((a) => a.actionId)).toEqual([action.id]);
  });

  it('makes the change named in progress whose action was never stored, under that action id, as an approval', async () => {
    // Prepare: the run died after naming the change, before the engine stored anything
    const h = await harness(approvedRecord({ status: 'applying', findings: [finding(1)] }));
    await h.store.update(ID, { inProgress: { findingId: 'f1', actionId: 'act-never-stored' } });
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false });
    expect(seen.applied).toEqual(['w1']);
    expect(await h.actions.get('act-never-stored')).toMatchObject({ id: 'act-never-stored', mode: 'approval', status: 'verified', findingId: 'f1' });
    expect((await h.get()).actions!.map((a) => [a.findingId, a.actionId, a.status])).toEqual([['f1', 'act-never-stored', 'verified']]);
  });

  it('makes the change named in progress whose action is still planned, continuing that action record', async () => {
    // Prepare
    const h = await harness(approvedRecord({ status: 'applying', findings: [finding(1)] }));
    await h.store.update(ID, { inProgress: { findingId: 'f1', actionId: 'act-planned-1' } });
    await h.actions.put(storedAction('act-planned-1', 'planned'));
    // Act
    const answer = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect(answer).toEqual({ approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false });
    expect(seen.applied).toEqual(['w1']);
    const action = (await h.actions.get('act-planned-1'))!;
    expect(action.transitions.map((t) => [t.status, t.detail])).toEqual([
      ['planned', 'planned before'],
      ['applied', 'resized w1'],
      ['verified', 'widget resized'],
    ]);
    expect(await h.actions.list({ policy: 'widgets' })).toHaveLength(1);
  });

  it('records without acting again a change named in progress that ended failed or skipped', async () => {
    for (const status of ['failed', 'skipped'] as const) {
      // Prepare
      seen.applied = [];
      const h = await harness(approvedRecord({ status: 'applying', findings: [finding(1)] }));
      await h.store.update(ID, { inProgress: { findingId: 'f1', actionId: `act-${status}` } });
      await h.actions.put(storedAction(`act-${status}`, status));
      // Act
      const answer = await applyApproved(h.deps, { approvalId: ID });
      // Assess
      expect(answer).toEqual({ approvalId: ID, applied: 0, failed: status === 'failed' ? 1 : 0, waitUntil: null, more: false });
      expect(seen.applied).toEqual([]);
      expect((await h.get()).actions!.map((a) => [a.actionId, a.status, a.detail])).toEqual([[`act-${status}`, status, `${status} before`]]);
    }
  });

  it('resumes the same action record, keeping its steps, and yields again when the change answers a later resume time', async () => {
    // Prepare
    behaviour.resumeAt = '2026-11-01T00:10:00.000Z';
    const h = await harness(approvedRecord({ findings: [finding(1)] }));
    // Act
    const first = await applyApproved(h.deps, { approvalId: ID });
    const actionId = (await h.get()).inProgress!.actionId;
    behaviour.resumeAt = '2026-11-01T00:20:00.000Z';
    const second = await applyApproved(h.deps, { approvalId: ID });
    const stillInProgress = (await h.get()).inProgress;
    behaviour.resumeAt = undefined;
    const third = await applyApproved(h.deps, { approvalId: ID });
    // Assess
    expect([first, second, third]).toEqual([
      { approvalId: ID, applied: 0, failed: 0, waitUntil: '2026-11-01T00:10:00Z', more: true },
      { approvalId: ID, applied: 0, failed: 0, waitUntil: '2026-11-01T00:20:00Z', more: true },
      { approvalId: ID, applied: 1, failed: 0, waitUntil: null, more: false },
    ]);
    expect(stillInProgress).toEqual({ findingId: 'f1', actionId, resumeAt: '2026-11-01T00:20:00.000Z' });
    expect(seen.applied).toEqual(['w1', 'w1', 'w1']);
    const action = (await h.actions.get(actionId))!;
    expect(action.transitions.map((t) => [t.status, t.detail])).toEqual([
      ['planned', undefined],
      ['in-progress', 'waiting until 2026-11-01T00:10:00.000Z: waiting for the widget'],
      ['in-progress', 'waiting until 2026-11-01T00:20:00.000Z: waiting for the widget'],
      ['applied', 'resized w1'],
      ['verified', 'widget resized'],
    ]);
    expect(await h.actions.list({ policy: 'widgets' })).toHaveLength(1);
  });
});

describe('Verify and the ends', () => {
  const applied = (statuses: string[]) =>
    approvedRecord({
      status: 'applied',
      actions: statuses.map((status, i) => ({ findingId: `f${i + 1}`, actionId: `act-${i + 1}`, resourceId: `w${i + 1}`, region: 'us-east-1', status: status as never, detail: 'applied', undo: { supported: 'yes', how: 'resize it back' }, before: { size: 2 }, after: { size: 1 } })),
    });

  it('re-reads every verified change and records the approval fixed', async () => {
    // Prepare
    const h = await harness(applied(['verified', 'skipped', 'verified']));
    // Act
    const result = await verifyApplied(h.deps, { approvalId: ID });
    // Assess
    expect(result).toEqual({ approvalId: ID, verified: 2, failed: 0 });
    expect(seen.verified).toEqual(['w1', 'w3']);
    const after = await h.get();
    expect(after.status).toBe('fixed');
    expect(after.verification).toEqual({ verified: 2, failed: 0 });
    expect(after.actions!.map((a) => [a.status, a.detail])).toEqual([
      ['verified', 'widget resized'],
      ['skipped', 'applied'],
      ['verified', 'widget resized'],
    ]);
  });

  it('records an applied approval with no change recorded as fixed, verifying nothing', async () => {
    // Prepare
    const h = await harness(approvedRecord({ status: 'applied' }));
    // Act
    const result = await verifyApplied(h.deps, { approvalId: ID });
    // Assess
    expect(result).toEqual({ approvalId: ID, verified: 0, failed: 0 });
    expect(await h.get()).toMatchObject({ status: 'fixed', verification: { verified: 0, failed: 0 }, actions: [] });
    expect(seen.verified).toEqual([]);
  });

  it("verifies each change read-only, in the resource's region and account, at the workflow's time, with what apply recorded", async () => {
    // Prepare
    const h = await harness(applied(['verified']));
    // Act
    await verifyApplied(h.deps, { approvalId: ID });
    // Assess
    expect(seen.verifyCalls).toEqual([{ region: 'us-east-1', account: '123456789012', now: CLOCK().toISOString(), writes: false, result: { before: { size: 2 }, after: { size: 1 } } }]);
  });

  it('records a change AWS does not show yet as applied, a change no longer in place as failed, and an unreadable one as failed', async () => {
    // Prepare
    const pending = await harness(applied(['verified']));
    const gone = await harness(applied(['verified']));
    const unreadable = await harness(applied(['verified']));
    // Act
    behaviour.verify = { ok: false, pending: true, detail: 'not visible yet' };
    const p = await verifyApplied(pending.deps, { approvalId: ID });
    behaviour.verify = { ok: false, detail: 'widget is big again' };
    const g = await verifyApplied(gone.deps, { approvalId: ID });
    behaviour.verify = 'throw';
    const u = await verifyApplied(unreadable.deps, { approvalId: ID });
    // Assess
    expect(p).toEqual({ approvalId: ID, verified: 0, failed: 0 });
    expect((await pending.get()).status).toBe('fixed');
    expect((await pending.get()).actions![0]).toMatchObject({ status: 'applied', detail: 'not visible yet' });
    expect(g).toEqual({ approvalId: ID, verified: 0, failed: 1 });
    expect((await gone.get()).status).toBe('failed');
    expect((await gone.get()).actions![0]).toMatchObject({ status: 'failed', detail: 'widget is big again' });
    expect(u).toEqual({ approvalId: ID, verified: 0, failed: 1 });
    expect((await unreadable.get()).actions![0]).toMatchObject({ status: 'failed', detail: 'verification could not read the resource: widget API unreachable' });
  });

  it('refuses to record a verification over another end, and runs only with the engine', async () => {
    // Prepare
    const h = await harness(applied(['verified']));
    await h.store.update(ID, { status: 'fixed' });
    const noEngine = await harness(applied(['verified']), { engine: undefined });
    behaviour.verify = { ok: false, detail: 'big' };
    // Act / Assess: the retried Verify would write 'failed' over 'fixed'
    await expect(verifyApplied(h.deps, { approvalId: ID })).rejects.toThrow(new ApprovalStateError(`Approval ${ID} is 'fixed'; the verification (failed) was not recorded over it.`));
    await expect(verifyApplied(noEngine.deps, { approvalId: ID })).rejects.toThrow('The verify step needs the engine (read-only clients).');
  });

  it('records a timeout as not approved, with a late decision named, and a rejection with who and why', async () => {
    // Prepare
    const late = await harness(approvedRecord({ status: 'approved' }));
    const quiet = await harness(approvedRecord({ status: 'waiting', decision: undefined, timeoutSeconds: 9000 }));
    const rejected = await harness(approvedRecord({ status: 'rejected', decision: { decision: 'reject', actor: 'lead@example.com', at: CLOCK().toISOString(), excluded: [], via: 'link' } }));
    const bare = await harness(approvedRecord({ status: 'waiting', decision: undefined }));
    // Act
    await recordNotApproved(late.deps, { approvalId: ID, error: { Error: 'States.Timeout' } });
    await recordNotApproved(quiet.deps, { approvalId: ID, error: { Error: 'States.Timeout' } });
    await recordNotApproved(rejected.deps, { approvalId: ID, error: { Error: 'trimtab.Rejected', Cause: 'not this week' } });
    await recordNotApproved(bare.deps, { approvalId: ID, error: { Error: 'trimtab.Rejected' } });
    // Assess
    expect((await late.get()).notApproved).toEqual({
      reason: 'timed-out',
      detail: `No decision within 2 h (7200 s): a timeout counts as not approved, and nothing was changed. A decision (approve by oncall@example.com at ${CLOCK().toISOString()}) arrived after the wait had ended.`,
    });
    expect((await quiet.get()).notApproved).toEqual({ reason: 'timed-out', detail: 'No decision within 3 h (9000 s): a timeout counts as not approved, and nothing was changed.' });
    expect((await rejected.get()).notApproved).toEqual({ reason: 'rejected', detail: 'Rejected by lead@example.com: not this week. Nothing was changed.' });
    expect((await bare.get()).notApproved).toEqual({ reason: 'rejected', detail: 'Rejected. Nothing was changed.' });
    for (const h of [late, quiet, rejected, bare]) expect(await h.get()).toMatchObject({ status: 'not-approved', taskToken: '' });
  });

  it('refuses to record not approved over a fixed approval', async () => {
    // Prepare
    const h = await harness(approvedRecord({ status: 'fixed' }));
    // Act / Assess
    await expect(recordNotApproved(h.deps, { approvalId: ID, error: { Error: 'States.Timeout' } })).rejects.toThrow(new ApprovalStateError(`Approval ${ID} is 'fixed'; it cannot be recorded as not approved.`));
  });

  it('records a failure as the outcome, or beside an outcome already reached', async () => {
    // Prepare
    const running = await harness(approvedRecord({ status: 'applying' }));
    const ended = await harness(approvedRecord({ status: 'fixed' }));
    // Act
    const r = await recordFailure(running.deps, { approvalId: ID, error: { Error: 'Lambda.Unknown', Cause: 'boom' } });
    await recordFailure(ended.deps, { approvalId: ID, error: { Error: 'SES.Throttling' } });
    // Assess
    expect(r).toEqual({ approvalId: ID });
    expect(await running.get()).toMatchObject({ status: 'failed', error: { Error: 'Lambda.Unknown', Cause: 'boom' }, taskToken: '' });
    expect(await ended.get()).toMatchObject({ status: 'fixed', error: { Error: 'SES.Throttling', Cause: '' }, taskToken: '' });
    expect(running.logged).toEqual([['approval workflow failed', { approvalId: ID, error: 'Lambda.Unknown' }]]);
  });

  it('tells the approvers the outcome', async () => {
    // Prepare
    const outcomes = [];
    for (const status of ['fixed', 'not-approved', 'failed'] as const) {
      const h = await harness(approvedRecord({ status, approvers: ['oncall@example.com', 'lead@example.com'] }));
      // Act
      outcomes.push([await tellApprovers(h.deps, { approvalId: ID }), h.emails.map((e) => e.to)]);
    }
    // Assess
    expect(outcomes).toEqual([
      [{ approvalId: ID, outcome: 'fixed', sent: 2 }, [['oncall@example.com', 'lead@example.com']]],
      [{ approvalId: ID, outcome: 'not-approved', sent: 2 }, [['oncall@example.com', 'lead@example.com']]],
      [{ approvalId: ID, outcome: 'failed', sent: 2 }, [['oncall@example.com', 'lead@example.com']]],
    ]);
  });

  it('dispatches each step to its function', async () => {
    // Prepare
    const h = await harness(approvedRecord({ status: 'requested', decision: undefined }));
    // Act
    const record = await runStep(h.deps, { step: 'record', approvalId: ID });
    const ask = await runStep(h.deps, { step: 'ask', approvalId: ID, taskToken: 't' });
    const failed = await runStep(h.deps, { step: 'failed', approvalId: ID, error: { Error: 'X' } });
    const notify = await runStep(h.deps, { step: 'notify', approvalId: ID });
    // Assess
    expect(record).toEqual({ approvalId: ID, timeoutSeconds: 7200 });
    expect(ask).toEqual({ approvalId: ID, sent: 1 });
    expect(failed).toEqual({ approvalId: ID });
    expect(notify).toEqual({ approvalId: ID, outcome: 'failed', sent: 1 });
    const other = await harness(approvedRecord({ status: 'waiting' }));
    expect(await runStep(other.deps, { step: 'not-approved', approvalId: ID, error: { Error: 'States.Timeout' } })).toEqual({ approvalId: ID });
    expect(await other.get()).toMatchObject({ status: 'not-approved', notApproved: { reason: 'timed-out' } });
    const toApply = await harness(approvedRecord({ findings: [finding(1)] }));
    expect(await runStep(toApply.deps, { step: 'apply', approvalId: ID })).toMatchObject({ applied: 1, more: false });
    expect(await runStep(toApply.deps, { step: 'verify', approvalId: ID })).toEqual({ approvalId: ID, verified: 1, failed: 0 });
  });
});
