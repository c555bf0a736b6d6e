/** The approval email and page group an approval's findings by benefit and state the risk performance findings remove. */
import { describe, expect, it } from 'vitest';
import { approvalRequestEmail } from '../../../lib/approval/email.ts';
import { signLink } from '../../../lib/approval/links.ts';
import { handleApprovalRequest } from '../../../lib/approval/page.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import type { Benefit } from '../../../lib/engine/types.ts';
import { CLOCK, SECRET } from '../../approval-helpers.ts';

const finding = (id: string, monthlyUsd: number, benefit?: Benefit[], risk?: string): FindingResult => ({
  id,
  policy: 'rightsize',
  detector: 'd',
  mode: 'approval',
  status: 'actionable',
  outcome: 'awaiting-approval',
  reason: `${id} needs a change.`,
  evidence: { cpuP95: 95 },
  resource: { type: 'asg', id, arn: `arn:aws:autoscaling:us-east-1:123456789012:${id}`, account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd, basis: [] },
  ...(benefit ? { benefit } : {}),
  ...(risk ? { risk: { summary: risk } } : {}),
  plan: { action: 'resize', summary: `Resize ${id}.`, params: {}, undo: 'Resize back.', hash: `h-${id}` },
});

const record = (findings: FindingResult[]): ApprovalRecord => ({
  approvalId: 'apr-benefit001',
  status: 'waiting',
  createdAt: CLOCK().toISOString(),
  updatedAt: CLOCK().toISOString(),
  account: '123456789012',
  policy: { id: 'rightsize', resource: 'asg', detector: { type: 'd' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } } as never,
  findings,
  approvers: ['oncall@example.com'],
  timeoutSeconds: 259_200,
  expiresAt: '2026-11-04T00:00:00.000Z',
  ttl: 0,
  taskToken: 'task-token',
});

const MIXED = [
  finding('hot-web', 0, ['performance'], 'CPU above 90 % for 31 % of hours'),
  finding('idle-batch', 40),
  finding('old-api', 12.5, ['cost', 'performance'], 'burst credits run out daily'),
  finding('idle-etl', 10, ['cost']),
];
const LINKS = { approve: 'https://x.example/a?t=A', reject: 'https://x.example/a?t=R' };

describe('approvalRequestEmail by benefit', () => {
  it('groups the changes cost → both → performance with each group total, and states each risk', () => {
    // Act
    const email = approvalRequestEmail(record(MIXED), 'oncall@example.com', LINKS);

    // Assess
    const text = email.text;
    expect(text).toContain('By benefit: Cost: 2 changes, est. $50.00/month; Cost and performance: 1 change, est. $12.50/month; Performance: 1 change (removes a risk; saves nothing).');
    const cost = text.indexOf('Cost: 2 changes, est. $50.00/month:');
    const both = text.indexOf('Cost and performance: 1 change, est. $12.50/month:');
    const perf = text.indexOf('Performance: 1 change (removes a risk; saves nothing):');
    expect(cost).toBeGreaterThan(-1);
    expect(cost).toBeLessThan(both);
    expect(both).toBeLessThan(perf);
    expect(text.indexOf('idle-batch')).toBeLessThan(both);
    expect(text.indexOf('hot-web')).toBeGreaterThan(perf);
    expect(text).toContain('   Risk removed: CPU above 90 % for 31 % of hours');
    expect(email.subject).toContain('(est. $62.50/month; 2 remove a performance risk)');
    expect(email.html).toContain('<tr data-benefit="performance"><th colspan="2"');
    expect(email.html).toContain('Risk removed: CPU above 90 % for 31 % of hours');
  });

  it('leaves a cost-only approval as it was: no headings, no benefit line', () => {
    // Act
    const email = approvalRequestEmail(record([finding('idle-batch', 40), finding('idle-etl', 10, ['cost'])]), 'oncall@example.com', LINKS);

    // Assess
    expect(email.text).not.toContain('By benefit');
    expect(email.html).not.toContain('data-benefit');
    expect(email.subject).toContain('(est. $50.00/month) —');
  });
});

describe('the approval page by benefit', () => {
  it('shows one heading per benefit group with its totals, the findings under it, and the risk removed', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(structuredClone(record(MIXED)));
    const t = signLink({ approvalId: 'apr-benefit001', decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date(CLOCK().getTime() + 3_600_000) }, SECRET);

    // Act
    const response = await handleApprovalRequest(
      { method: 'GET', path: '/approvals/apr-benefit001', query: `t=${encodeURIComponent(t)}`, headers: {} },
      { store, now: CLOCK, secret: async () => SECRET, tasks: { success: async () => {}, failure: async () => {} } },
    );

    // Assess
    expect(response.statusCode).toBe(200);
    const body = response.body;
    const headings = [...body.matchAll(/<h2 class="benefit" data-benefit="([a-z]+)">([^<]+)<\/h2>/g)].map((m) => [m[1], m[2]]);
    expect(headings).toEqual([
      ['cost', 'Cost: 2 changes, est. $50.00/month'],
      ['both', 'Cost and performance: 1 change, est. $12.50/month'],
      ['performance', 'Performance: 1 change (removes a risk; saves nothing)'],
    ]);
    expect(body.indexOf('hot-web')).toBeGreaterThan(body.indexOf('data-benefit="performance"'));
    expect(body).toContain('<small class="risk">Risk removed: CPU above 90 % for 31 % of hours</small>');
    expect(body).toContain('<p class="muted" id="by-benefit">By benefit:');
    // Every finding still has its checkbox.
    expect(body.match(/name="include"/g)).toHaveLength(4);
  });
});
