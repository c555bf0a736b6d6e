/** The Apply function hands the Lambda's remaining time to Apply, which starts no change it cannot finish. */
import { describe, expect, it } from 'vitest';
import { stepHandler } from '../../../lib/approval/lambda.ts';
import { planHashOf, sealApproval } from '../../../lib/approval/seal.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import type { WorkflowDeps } from '../../../lib/approval/workflow.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import { CLOCK, SECRET } from '../../approval-helpers.ts';

const finding: FindingResult = {
  id: 'f1', policy: 'p1', detector: 'missing-abort-multipart-rule', mode: 'approval', status: 'actionable', outcome: 'awaiting-approval', reason: 'No rule.', evidence: {},
  resource: { type: 's3-bucket', id: 'acme-web', arn: 'arn:aws:s3:::acme-web', account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd: 3, basis: [] },
  plan: { action: 'add-lifecycle-rules', summary: 'Add a rule.', params: { bucket: 'acme-web' }, undo: 'Remove it.', hash: '' },
};

describe('the Apply function and its time budget', () => {
  it('answers "more" and starts no change when the Lambda context says less than the margin is left', async () => {
    // Prepare: an approved, sealed record with one change; an engine that must not be called
    finding.plan!.hash = planHashOf('p1', finding);
    const record: ApprovalRecord = {
      approvalId: 'apr-budget0001', status: 'approved', createdAt: CLOCK().toISOString(), updatedAt: CLOCK().toISOString(), account: '123456789012',
      policy: { id: 'p1', resource: 's3-bucket', detector: { type: 'missing-abort-multipart-rule' }, action: { type: 'add-lifecycle-rules' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 } } as never,
      findings: [finding], approvers: ['oncall@example.com'], timeoutSeconds: 3600, ttl: 0,
      decision: { decision: 'approve', actor: 'oncall@example.com', at: CLOCK().toISOString(), excluded: [], via: 'link' },
    };
    record.seal = sealApproval(record, SECRET);
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record);
    const untouchable = new Proxy({}, { get: () => { throw new Error('the engine was used'); } });
    const deps: WorkflowDeps = { store, mailer: {} as never, secret: async () => SECRET, baseUrl: 'https://x.example', now: CLOCK, engine: untouchable as never };
    const handler = stepHandler(['apply'], () => deps);
    // Act: 4 s left in this invocation
    const result = await handler({ step: 'apply', approvalId: 'apr-budget0001' }, { getRemainingTimeInMillis: () => 4_000 });
    // Assess
    expect(result).toEqual({ approvalId: 'apr-budget0001', applied: 0, failed: 0, waitUntil: null, more: true });
    const after = (await store.get('apr-budget0001'))!;
    expect(after.status).toBe('applying');
    expect(after.actions ?? []).toEqual([]);
    expect(after.inProgress ?? null).toBeNull();
  });
});
