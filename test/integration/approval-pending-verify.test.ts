/** An approved S3 change whose lifecycle put has not propagated yet: applied with verification pending, not failed. */
import { afterEach, describe, expect, it } from 'vitest';
import { decide } from '../../lib/approval/workflow.ts';
import { CLOCK, startApproval, type ApprovalHarness } from '../approval-helpers.ts';

let harness: ApprovalHarness | undefined;
afterEach(async () => {
  await harness?.stack.stop();
  harness = undefined;
});

describe('the approval workflow under S3 lifecycle propagation', () => {
  it('records the approved changes as applied with verification pending, and the approval as not failed', async () => {
    // Prepare: from now on S3 shows a lifecycle change two minutes after it (verify re-reads for 30 s).
    harness = await startApproval();
    const h = harness;
    h.env.sandbox.timing = { scale: 1, consistencyMs: 2000 };

    // Act
    await decide({ store: h.store, tasks: h.stack.tasks, now: CLOCK }, { approvalId: h.approvalId, decision: 'approve', actor: 'oncall@example.com', excluded: [], via: 'link' });
    await h.stack.workflow.executions.get(h.approvalId)!.result;

    // Assess
    const done = await h.record();
    expect(done.status).not.toBe('failed');
    expect(done.actions!.map((a) => a.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    const records = await h.env.store.list();
    expect(records.map((r) => r.status)).toEqual(Array(4).fill('applied'));
    expect(records.every((r) => r.verification?.pending === true && r.verification.detail.startsWith('verification pending:'))).toBe(true);
  });
});
