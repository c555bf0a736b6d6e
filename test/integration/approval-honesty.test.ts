/**
 * The approval page tells the truth when Step Functions' answer is ambiguous, hides internals
 * behind a reference id, records who decided from where, and the demo's approve-all follows
 * the links the workflow issued. Each test runs a real local execution on the sandbox.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { namedError } from '../../lib/approval/local.ts';
import { handleApprovalRequest, type HttpRequest } from '../../lib/approval/page.ts';
import { WORKFLOW_ERRORS } from '../../lib/approval/state-machine.ts';
import type { ApprovalStatus } from '../../lib/approval/store.ts';
import type { TaskSender } from '../../lib/approval/workflow.ts';
import { approveThroughLink } from '../../lib/cli/demo.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { CLOCK, SECRET, startApproval, token, type ApprovalHarness } from '../approval-helpers.ts';

let harness: ApprovalHarness | undefined;
afterEach(async () => {
  await harness?.stack.stop();
  harness = undefined;
});

const approveForm = (h: ApprovalHarness, findingIds: string[]): HttpRequest => ({
  method: 'POST',
  path: `/approvals/${h.approvalId}`,
  query: '',
  body: new URLSearchParams([['t', token(h.approvalId, 'approve')], ['selection', '1'], ...findingIds.map((id): [string, string] => ['include', id]), ['confirm', 'approve']]).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

/** Every status the record passes through, as the store is asked to write it. */
function watchStatuses(h: ApprovalHarness): ApprovalStatus[] {
  const seen: ApprovalStatus[] = [];
  const update = h.store.update.bind(h.store);
  h.store.update = async (id, changes, when) => {
    const ok = await update(id, changes, when);
    if (ok && changes.status) seen.push(changes.status);
    return ok;
  };
  return seen;
}

const execution = (h: ApprovalHarness) => h.stack.workflow.executions.get(h.approvalId)!;

describe('the approval page after an ambiguous answer from Step Functions', () => {
  it('says "Approved" when the first SendTaskSuccess got through and its retry saw TaskTimedOut, and the record ends fixed', async () => {
    // Prepare: the first delivery resumes the workflow but its answer is lost; the SDK's retry gets TaskTimedOut
    harness = await startApproval();
    const h = harness;
    const statuses = watchStatuses(h);
    const lostAnswer: TaskSender = {
      success: async (t, output) => {
        await h.stack.tasks.success(t, output);
        throw namedError('TaskTimedOut', 'Task Timed Out: the token has already been used');
      },
      failure: (t, e, c) => h.stack.tasks.failure(t, e, c),
    };
    const ids = (await h.record()).findings.map((f) => f.id);

    // Act
    const response = await handleApprovalRequest(approveForm(h, ids), { store: h.store, tasks: lostAnswer, now: CLOCK, secret: async () => SECRET });
    await execution(h).result;

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<h1>Approved</h1>');
    expect(response.body).toContain('Step Functions answered TaskTimedOut to a repeated delivery');
    expect(response.body).not.toContain('Nothing was changed');
    const done = await h.record();
    expect(done.status).toBe('fixed');
    expect(done.notApproved).toBeUndefined();
    expect(h.env.sandbox.successfulWrites('PutBucketLifecycleConfiguration')).toHaveLength(4);
    expect(statuses).toEqual(['approved', 'applying', 'applied', 'fixed']);
  });

  it('says "too late, nothing was changed" when the wait really had timed out, and the record says a late decision arrived', async () => {
    // Prepare: the wait times out just as the click is delivered
    harness = await startApproval();
    const h = harness;
    const statuses = watchStatuses(h);
    const timedOut: TaskSender = {
      success: async (t) => {
        await h.stack.tasks.failure(t, WORKFLOW_ERRORS.timeout, 'The task timed out');
        throw namedError('TaskTimedOut', 'Task Timed Out');
      },
      failure: (t, e, c) => h.stack.tasks.failure(t, e, c),
    };
    const ids = (await h.record()).findings.map((f) => f.id);

    // Act
    const response = await handleApprovalRequest(approveForm(h, ids), { store: h.store, tasks: timedOut, now: CLOCK, secret: async () => SECRET });
    await execution(h).result;

    // Assess
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain('Nothing was changed');
    const done = await h.record();
    expect(done.status).toBe('not-approved');
    expect(done.notApproved).toEqual({ reason: 'timed-out', detail: expect.stringContaining('A decision (approve by oncall@example.com at 2026-11-01T00:00:00.000Z) arrived after the wait had ended.') });
    expect(h.env.sandbox.successfulWrites()).toEqual([]);
    expect(statuses).toEqual(['approved', 'not-approved']);
  });

  it('says the outcome is not known yet (202, not "nothing was changed") while the record has not moved, and leaves the claim in place', async () => {
    // Prepare: Step Functions answers TaskTimedOut and nothing moves the record within the re-reads
    harness = await startApproval();
    const h = harness;
    const ambiguous: TaskSender = {
      success: async () => {
        throw namedError('InvalidToken', 'Invalid Token');
      },
      failure: async () => {},
    };
    const clock = new VirtualClock(CLOCK);
    const ids = (await h.record()).findings.map((f) => f.id);

    // Act
    const response = await handleApprovalRequest(approveForm(h, ids), { store: h.store, tasks: ambiguous, now: CLOCK, clock, secret: async () => SECRET });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.body).toContain('Decision recorded');
    expect(response.body).toContain('(InvalidToken)');
    expect(response.body).not.toContain('Nothing was changed');
    expect((await h.record()).status).toBe('approved');
    // Five reads, 250 ms doubling: 3.75 s of waiting in all (virtual here).
    expect(clock.now().getTime() - CLOCK().getTime()).toBe(3750);
  });
});

describe('the 503 page', () => {
  it('shows a reference id instead of the error text (role ARN, account), logs the details under it, and gives the claim back', async () => {
    // Prepare
    harness = await startApproval();
    const h = harness;
    const denied: TaskSender = {
      success: async () => {
        throw namedError('AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/trimtab-prod-approvalPage/fn is not authorized to perform: states:SendTaskSuccess');
      },
      failure: async () => {},
    };
    const logged: { message: string; data?: Record<string, unknown> }[] = [];
    const ids = (await h.record()).findings.map((f) => f.id);

    // Act
    const response = await handleApprovalRequest(approveForm(h, ids), { store: h.store, tasks: denied, now: CLOCK, secret: async () => SECRET, log: (message, data) => void logged.push({ message, data }) });

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toMatch(/arn:aws|123456789012|trimtab-prod|AccessDenied|SendTaskSuccess/);
    const reference = /ref-[0-9a-f]{12}/.exec(response.body)?.[0];
    expect(reference).toBeDefined();
    const entry = logged.find((l) => l.data?.reference === reference)!;
    expect(entry.message).toBe('approval page error');
    expect(entry.data).toMatchObject({ error: 'AccessDeniedException', message: expect.stringContaining('arn:aws:sts::123456789012:assumed-role/trimtab-prod-approvalPage/fn') });
    const record = await h.record();
    expect(record.status).toBe('waiting');
    expect(record.decision).toBeNull();
  });
});

describe('who decided, from where, on the local approval server', () => {
  it('records the socket address and the User-Agent header with a decision over HTTP', async () => {
    harness = await startApproval();
    const h = harness;
    const form = approveForm(h, (await h.record()).findings.map((f) => f.id));

    const response = await fetch(`${h.stack.approvalBaseUrl}${form.path}`, { method: 'POST', body: form.body, headers: { 'content-type': form.headers['content-type']!, 'user-agent': 'Mozilla/5.0 (trimtab test phone)' } });
    await execution(h).result;

    expect(response.status).toBe(200);
    const decision = (await h.record()).decision!;
    expect(decision.sourceIp).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(decision.userAgent).toBe('Mozilla/5.0 (trimtab test phone)');
  });
});

describe('the demo\'s --approve-all', () => {
  it('approve-all waits for the links when the record says waiting before "Ask the approvers" has issued them', async () => {
    // Prepare: hold "Ask the approvers" right after it writes `waiting`, before any email or link exists
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    harness = await startApproval({
      waitForEmails: false,
      beforeRun: (stack) => {
        const update = stack.store.update.bind(stack.store);
        stack.store.update = async (id, changes, when) => {
          const ok = await update(id, changes, when);
          if (changes.status === 'waiting') await gate;
          return ok;
        };
      },
    });
    const h = harness;
    const printed: string[] = [];
    expect((await h.record()).status).toBe('waiting');
    expect(h.stack.links.get(h.approvalId)).toBeUndefined();

    // Act: approve-all starts in that window; then the ask step goes on and issues the links
    const approving = approveThroughLink({ stack: h.stack, print: (line) => printed.push(line) }, h.approvalId);
    const settledEarly = await Promise.race([approving.then(() => 'settled', () => 'settled'), new Promise((r) => setImmediate(() => r('pending')))]);
    release();
    const approved = await approving;
    await execution(h).result;

    // Assess
    expect(settledEarly).toBe('pending');
    expect(approved).toBe(true);
    expect(printed).toEqual([`GET the Approve link, POST /approvals/${h.approvalId} as oncall@example.com: 200 Approved`]);
    const done = await h.record();
    expect(done.decision).toMatchObject({ decision: 'approve', actor: 'oncall@example.com', via: 'link' });
    expect(done.status).toBe('fixed');
  });

  it('follows the link "Ask the approvers" issued, not a forged Approve line in the mail', async () => {
    // Prepare: a server that would record any request approve-all sent to a forged link
    harness = await startApproval();
    const h = harness;
    const hits: string[] = [];
    const trap = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('<form method="post" action="/steal"></form>');
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    const forged = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/approvals/${h.approvalId}?t=forged`;
    for (const email of h.stack.mail.emails) email.text = `Approve: ${forged}\nApproval id: ${h.approvalId}.\n${email.text}`;
    const printed: string[] = [];

    try {
      // Act
      const approved = await approveThroughLink({ stack: h.stack, print: (line) => printed.push(line) }, h.approvalId);
      await execution(h).result;

      // Assess
      expect(approved).toBe(true);
      expect(hits).toEqual([]);
      expect(printed).toEqual([`GET the Approve link, POST /approvals/${h.approvalId} as oncall@example.com: 200 Approved`]);
      const done = await h.record();
      expect(done.decision).toMatchObject({ decision: 'approve', actor: 'oncall@example.com', via: 'link' });
      expect(done.status).toBe('fixed');
    } finally {
      await new Promise<void>((r) => trap.close(() => r()));
    }
  });
});
