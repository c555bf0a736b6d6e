import { afterEach, describe, expect, it } from 'vitest';
import { STATE, WORKFLOW_ERRORS } from '../../lib/approval/state-machine.ts';
import { decide } from '../../lib/approval/workflow.ts';
import { awsError } from '../../lib/sandbox/sandbox.ts';
import { CLOCK, linkIn, startApproval, type ApprovalHarness } from '../approval-helpers.ts';

let harness: ApprovalHarness | undefined;
afterEach(async () => {
  await harness?.stack.stop();
  harness = undefined;
});

const execution = (h: ApprovalHarness) => h.stack.workflow.executions.get(h.approvalId)!;
const lifecycleWrites = (h: ApprovalHarness) => h.env.sandbox.successfulWrites('PutBucketLifecycleConfiguration');

describe('the approval workflow, executed from the generated ASL with aws-local-stepfunctions', () => {
  it('applies, verifies and reports the approved changes, leaving out the resources the approver opted out', async () => {
    // Prepare
    harness = await startApproval();
    const h = harness;
    const waiting = await h.record();
    const optedOut = waiting.findings.find((f) => f.resource.id === 'acme-app-logs')!;

    // Act: the approver's decision, as the page makes it (the test drives the task)
    const decision = await decide({ store: h.store, tasks: h.stack.tasks, now: CLOCK }, { approvalId: h.approvalId, decision: 'approve', actor: 'oncall@example.com', excluded: [optedOut.id], via: 'link' });
    await execution(h).result;

    // Assess
    expect(decision.ok).toBe(true);
    const done = await h.record();
    expect(done.status).toBe('fixed');
    // One change per Apply invocation: three approved changes, three Apply states.
    expect(execution(h).states).toEqual([STATE.record, STATE.ask, ...Array(3).fill([STATE.apply, STATE.windowOpen]).flat(), STATE.verify, STATE.tell, STATE.howDidItEnd, STATE.fixed]);
    expect(waiting.findings.map((f) => f.resource.id).sort()).toEqual(['acme-app-logs', 'acme-config', 'acme-eu-exports', 'acme-web-assets']);
    expect(lifecycleWrites(h).map((w) => (w.input as { Bucket: string }).Bucket).sort()).toEqual(['acme-config', 'acme-eu-exports', 'acme-web-assets']);
    expect(done.actions!.map((a) => a.status)).toEqual(['verified', 'verified', 'verified']);
    const records = await h.env.store.list();
    expect(records.map((r) => [r.actor, r.mode, r.status])).toEqual(Array(3).fill(['oncall@example.com', 'approval', 'verified']));
    const outcome = h.stack.mail.emails.at(-1)!;
    expect(outcome.subject).toContain('Done: 3 changes applied and verified');
    expect(outcome.text).toContain(`trimtab undo ${records[0].id}`);
    expect(outcome.to).toEqual(['oncall@example.com', 'lead@example.com']);
  });

  it('ends in a recorded "not approved", with a notification and no change, when rejected', async () => {
    harness = await startApproval();
    const h = harness;
    const token = [...h.stack.tasks.pending.keys()][0];

    await h.stack.tasks.failure(token, WORKFLOW_ERRORS.rejected, 'Rejected by lead@example.com: not this week');
    await execution(h).result;

    const done = await h.record();
    expect(done.status).toBe('not-approved');
    expect(done.notApproved).toEqual({ reason: 'rejected', detail: expect.stringContaining('not this week') });
    expect(execution(h).states).toEqual([STATE.record, STATE.ask, STATE.notApproved, STATE.tell, STATE.howDidItEnd, STATE.notApprovedEnd]);
    expect(h.env.sandbox.successfulWrites()).toEqual([]);
    expect(h.stack.mail.emails.at(-1)!.subject).toContain('Not approved: nothing was changed (rejected)');
  });

  it('treats a timeout as not approved (TimeoutSecondsPath from the recorded policy)', async () => {
    harness = await startApproval({ timeoutSeconds: 1 });
    const h = harness;
    expect((await h.record()).timeoutSeconds).toBe(1);

    await execution(h).result;

    const done = await h.record();
    expect(done.status).toBe('not-approved');
    expect(done.notApproved?.reason).toBe('timed-out');
    expect(h.env.sandbox.successfulWrites()).toEqual([]);
    expect(h.stack.mail.emails.at(-1)!.subject).toContain('no decision in time');
    // A click after the wait ended changes nothing.
    const late = await decide({ store: h.store, tasks: h.stack.tasks, now: CLOCK }, { approvalId: h.approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
    expect(late.ok).toBe(false);
  });

  it('ends in "Some changes failed" when an approved change fails, with the error in the records', async () => {
    harness = await startApproval();
    const h = harness;
    h.env.sandbox.faults.failWhen = ({ operation, input }) => (operation === 'PutBucketLifecycleConfiguration' && input.Bucket === 'acme-web-assets' ? awsError('AccessDenied', 'Access Denied', 403) : undefined);

    await decide({ store: h.store, tasks: h.stack.tasks, now: CLOCK }, { approvalId: h.approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
    const error = await execution(h).result.then(() => undefined, (e: Error) => e);

    expect(error?.name).toBe(WORKFLOW_ERRORS.actionsFailed);
    const done = await h.record();
    expect(done.status).toBe('failed');
    expect(done.verification).toEqual({ verified: 3, failed: 1 });
    expect(done.actions!.find((a) => a.resourceId === 'acme-web-assets')).toMatchObject({ status: 'failed', detail: 'Access Denied' });
    expect(h.stack.mail.emails.at(-1)!.subject).toContain('Failed: 1 of 4 change(s) failed or did not verify');
  });

  it('ends in a recorded failure state with the error when a step fails (policy no longer deployed)', async () => {
    harness = await startApproval({ currentPolicies: false });
    const h = harness;

    await decide({ store: h.store, tasks: h.stack.tasks, now: CLOCK }, { approvalId: h.approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
    const error = await execution(h).result.then(() => undefined, (e: Error) => e);

    expect(error?.name).toBe(WORKFLOW_ERRORS.workflowFailed);
    expect(execution(h).states.slice(-2)).toEqual([STATE.recordFailure, STATE.failed]);
    const done = await h.record();
    expect(done.status).toBe('failed');
    expect(done.error).toEqual({ Error: 'PolicyChangedError', Cause: expect.stringContaining('no longer deployed') });
    expect(h.env.sandbox.successfulWrites()).toEqual([]);
  });

  it('retries a Task that hits a transient error (SES throttling) instead of failing the workflow', async () => {
    // Prepare: the first email SES is asked to send is throttled
    let throttled = 0;
    harness = await startApproval({
      beforeRun(stack) {
        const send = stack.mail.send.bind(stack.mail);
        stack.mail.send = async (email) => {
          if (throttled++ === 0) throw Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'ThrottlingException' });
          return send(email);
        };
      },
    });
    const h = harness;

    // Assess: the retried "Ask the approvers" reached every approver, and the wait is on
    const asks = h.stack.mail.emails.filter((e) => e.subject.startsWith('trimtab asks to approve'));
    expect(throttled).toBe(3);
    expect(asks.map((e) => e.to[0])).toEqual(['oncall@example.com', 'lead@example.com']);
    expect(linkIn(asks[0].text, 'Approve').pathname).toBe(`/approvals/${h.approvalId}`);
    expect((await h.record()).status).toBe('waiting');
    expect(h.stack.tasks.pending.size).toBe(1);
  });
});
