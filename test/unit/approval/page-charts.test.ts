/** The approval page shows the evidence charts: per finding, and one snapshot timeline per volume. */
import { describe, expect, it } from 'vitest';
import { signLink } from '../../../lib/approval/links.ts';
import { handleApprovalRequest } from '../../../lib/approval/page.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import { CLOCK, SECRET } from '../../approval-constants.ts';

const base = (id: string, type: string, resourceId: string, evidence: Record<string, unknown>, extra: Partial<FindingResult> = {}): FindingResult => ({
  id,
  policy: 'p',
  detector: 'd',
  mode: 'approval',
  status: 'actionable',
  outcome: 'awaiting-approval',
  reason: 'why',
  evidence,
  resource: { type, id: resourceId, arn: `arn:aws:x:us-east-1:123456789012:${resourceId}`, account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd: 5, basis: [] },
  plan: { action: 'act', summary: 'do it', params: {}, undo: 'undo it', hash: `h-${id}` },
  ...extra,
});

const hourly = (perDay: (d: number) => number) => Array.from({ length: 14 * 24 }, (_, h) => perDay(Math.floor(h / 24)));

const findings: FindingResult[] = [
  base('f-asg', 'asg', 'web', { target: 40, minSize: 3, profile: { cpu: hourly((d) => 10 + d), inService: hourly(() => 3) } }),
  base('f-s1', 'ebs-snapshot', 'snap-1', { volumeId: 'vol-<i>evil</i>', startTime: '2026-06-01T00:00:00.000Z' }),
  base('f-s2', 'ebs-snapshot', 'snap-2', { volumeId: 'vol-<i>evil</i>', startTime: '2026-07-01T00:00:00.000Z' }),
  base('f-elb', 'elastic-ip', 'eipalloc-1', { publicIp: '1.2.3.4' }),
];

const record: ApprovalRecord = {
  approvalId: 'apr-charts0001',
  status: 'waiting',
  createdAt: CLOCK().toISOString(),
  updatedAt: CLOCK().toISOString(),
  account: '123456789012',
  policy: { id: 'p', resource: 'asg', detector: { type: 'd' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } } as never,
  findings,
  approvers: ['oncall@example.com'],
  timeoutSeconds: 259_200,
  expiresAt: '2026-11-04T00:00:00.000Z',
  ttl: 0,
  taskToken: 'task-token',
};

async function openPage(): Promise<string> {
  const store = new MemoryApprovalStore(CLOCK);
  await store.create(structuredClone(record));
  const t = signLink({ approvalId: record.approvalId, decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date(CLOCK().getTime() + 3_600_000) }, SECRET);
  const response = await handleApprovalRequest(
    { method: 'GET', path: `/approvals/${record.approvalId}`, query: `t=${encodeURIComponent(t)}`, headers: {} },
    { store, now: CLOCK, secret: async () => SECRET, tasks: { success: async () => {}, failure: async () => {} } },
  );
  expect(response.statusCode).toBe(200);
  return response.body;
}

describe('the approval page charts', () => {
  it('shows the ASG charts in its item, 14 daily bars each, and nothing for a finding without a series', async () => {
    // Act
    const html = await openPage();

    // Assess
    const items = html.split('<label class="item">').slice(1);
    expect(items).toHaveLength(4);
    const asgItem = items.find((i) => i.includes('value="f-asg"'))!;
    expect(asgItem.match(/<svg /g)).toHaveLength(2);
    expect([...asgItem.matchAll(/<rect class="bar" data-index="\d+" data-value="([\d.]+)"/g)].slice(0, 14).map((m) => Number(m[1]))).toEqual(Array.from({ length: 14 }, (_, d) => 10 + d));
    expect(asgItem).toContain('target 40%');
    expect(asgItem).toContain('MinSize 3');
    expect(items.find((i) => i.includes('value="f-elb"'))).not.toContain('<svg');
  });

  it('shows one snapshot timeline for the volume above the list, its id escaped, and no script', async () => {
    // Act
    const html = await openPage();

    // Assess
    const timelines = html.match(/<div class="timeline" data-volume="[^"]*">/g) ?? [];
    expect(timelines).toEqual(['<div class="timeline" data-volume="vol-&lt;i&gt;evil&lt;/i&gt;">']);
    expect(html.indexOf('class="timeline"')).toBeLessThan(html.indexOf('<label class="item">'));
    expect(html.match(/data-mark="to-delete"/g)).toHaveLength(2);
    expect(html).not.toContain('<i>evil');
    expect(html).not.toContain('<script');
  });
});
