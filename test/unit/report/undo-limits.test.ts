import { beforeAll, describe, expect, it } from 'vitest';
import { approvalRequestEmail, outcomeEmail } from '../../../lib/approval/email.ts';
import { signLink } from '../../../lib/approval/links.ts';
import { handleApprovalRequest } from '../../../lib/approval/page.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import type { FindingResult, RunResult } from '../../../lib/engine/run.ts';
import { loadPolicies } from '../../../lib/policy/load.ts';
import { renderHtmlReport } from '../../../lib/report/html.ts';
import { remediators, resourceTypes } from '../../../lib/resources/index.ts';
import { CLOCK, SECRET } from '../../approval-helpers.ts';
import { testEnv } from '../../helpers.ts';

/**
 * Issue #26 point 8: an undo must not oversell. Every action that can be undone says what the
 * undo cannot bring back, and every place a person reads "Undo:" shows it.
 */
const allRemediators = () => resourceTypes.all().flatMap((t) => remediators(t.id).all());

describe('every action that declares an undo says what it cannot bring back', () => {
  it('has a "cannot bring back" text of at least a short sentence on each undoable remediator of the registry', () => {
    // Prepare
    const undoable = allRemediators().filter((r) => r.undoable !== 'no');

    // Act
    const missing = undoable.filter((r) => (r.undoLimits ?? '').trim().length < 30).map((r) => `${r.resource}/${r.id}`);

    // Assess
    expect(undoable.length).toBeGreaterThanOrEqual(28);
    expect(missing).toEqual([]);
  });
});

describe('the pages show what an undo cannot bring back', () => {
  let result: RunResult;
  let planned: FindingResult[];
  let record: ApprovalRecord;

  beforeAll(async () => {
    const env = testEnv('small-company', { clock: CLOCK });
    result = await env.run(loadPolicies('trimtab.yml').policies, { forceDryRun: true });
    planned = result.findings.filter((f) => f.plan && f.status !== 'protected');
    record = {
      approvalId: 'apr-undolimits1',
      status: 'waiting',
      createdAt: CLOCK().toISOString(),
      updatedAt: CLOCK().toISOString(),
      account: '123456789012',
      policy: { id: 'all-planned', resource: 's3-bucket', detector: { type: 'd' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 500, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } } as never,
      findings: planned,
      approvers: ['oncall@example.com'],
      timeoutSeconds: 259_200,
      expiresAt: '2026-11-04T00:00:00.000Z',
      ttl: 0,
    };
  }, 60_000);

  it('gives every planned finding of a sandbox scan an undo text that ends with what it cannot bring back', () => {
    // Act
    const without = planned.filter((f) => !f.plan!.undoLimits || !f.plan!.undo.includes(`Cannot bring back: ${f.plan!.undoLimits}`)).map((f) => `${f.plan!.action} ${f.resource.id}`);

    // Assess
    expect(new Set(planned.map((f) => f.plan!.action)).size).toBeGreaterThanOrEqual(8);
    expect(without).toEqual([]);
  });

  it('says that expired noncurrent versions do not come back in the s3-expire-noncurrent-versions plan', () => {
    // Prepare
    const expire = planned.find((f) => f.policy === 's3-expire-noncurrent-versions');

    // Assess
    expect(expire?.plan?.undo).toMatch(/^trimtab undo (restores the previous \d+-rule lifecycle configuration exactly|deletes the lifecycle configuration)/);
    expect(expire?.plan?.undo).toContain('Cannot bring back: What the rules already did');
    expect(expire?.plan?.undo).toContain('noncurrent versions S3 already expired are deleted for good');
  });

  it('shows each finding\'s "cannot bring back" text in the approval email, text and HTML', () => {
    // Act
    const email = approvalRequestEmail(record, 'oncall@example.com', { approve: 'https://a.example/approve', reject: 'https://a.example/reject' });

    // Assess
    for (const f of planned) {
      expect(email.text).toContain(`Cannot bring back: ${f.plan!.undoLimits}`);
      expect(email.html).toContain(`Cannot bring back: ${escape(f.plan!.undoLimits!)}`);
    }
  });

  it('shows each finding\'s "cannot bring back" text on the approval page', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(structuredClone(record));
    const t = signLink({ approvalId: record.approvalId, decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date(CLOCK().getTime() + 3_600_000) }, SECRET);

    // Act
    const response = await handleApprovalRequest(
      { method: 'GET', path: `/approvals/${record.approvalId}`, query: `t=${encodeURIComponent(t)}`, headers: {} },
      { store, now: CLOCK, secret: async () => SECRET, tasks: { success: async () => {}, failure: async () => {} } },
    );

    // Assess
    expect(response.statusCode).toBe(200);
    for (const f of planned) expect(response.body).toContain(`Cannot bring back: ${escape(f.plan!.undoLimits!)}`);
  });

  it('shows each finding\'s "cannot bring back" text in the HTML report', () => {
    // Act
    const html = renderHtmlReport(result, { account: '123456789012', regions: ['us-east-1'], generatedAt: CLOCK(), command: 'scan' });

    // Assess
    for (const f of planned) expect(html).toContain(`Cannot bring back: ${escape(f.plan!.undoLimits!)}`);
  });

  it('keeps the "cannot bring back" text in the outcome email of applied changes', () => {
    // Prepare
    const done: ApprovalRecord = {
      ...record,
      status: 'fixed',
      actions: planned.map((f, i) => ({ findingId: f.id, actionId: `act-${i}`, resourceId: f.resource.id, region: f.resource.region, status: 'verified' as const, detail: 'verified', undo: { supported: 'yes', how: f.plan!.undo, limits: f.plan!.undoLimits } })),
    };

    // Act
    const email = outcomeEmail(done);

    // Assess
    for (const f of planned) {
      expect(email.text).toContain(`Cannot bring back: ${f.plan!.undoLimits}`);
      expect(email.html).toContain(`Cannot bring back: ${escape(f.plan!.undoLimits!)}`);
    }
  });
});

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
