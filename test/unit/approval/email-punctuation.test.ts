import { describe, expect, it } from 'vitest';
import { approvalRequestEmail } from '../../../lib/approval/email.ts';
import type { ApprovalRecord } from '../../../lib/approval/store.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';

const finding: FindingResult = {
  id: 'f1',
  policy: 'ebs-unattached-volumes',
  detector: 'unattached-volumes',
  mode: 'approval',
  status: 'actionable',
  outcome: 'awaiting-approval',
  reason: 'vol-1 has been unattached for 40 days.',
  evidence: { unattachedDays: 40 },
  resource: { type: 'ebs-volume', id: 'vol-1', arn: 'arn:aws:ec2:us-east-1:123456789012:volume/vol-1', account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd: 8, basis: ['100 GiB × $0.08'] },
  plan: { action: 'snapshot-and-delete', summary: 'Snapshot, then delete vol-1.', params: {}, undo: 'Create a volume from the snapshot.', hash: 'h-f1' },
};

const record = (description: string): ApprovalRecord => ({
  approvalId: 'apr-abc123def4',
  status: 'waiting',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  account: '123456789012',
  policy: { id: 'ebs-unattached-volumes', description, resource: 'ebs-volume', detector: { type: 'unattached-volumes' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } },
  findings: [finding],
  approvers: ['oncall@example.com'],
  timeoutSeconds: 259_200,
  expiresAt: '2026-11-04T00:00:00.000Z',
  ttl: 0,
});

const links = { approve: 'https://x.example/a?t=A', reject: 'https://x.example/a?t=R' };

describe('the approval email quotes the policy description as one sentence', () => {
  it('ends the sentence with one period when the description already ends with one ("a person approves.")', () => {
    // Prepare: the description as trimtab.yml writes it, ending with a period
    const email = approvalRequestEmail(record('Snapshot, then delete volumes unattached for 30+ days. A person approves.'), 'oncall@example.com', links);

    // Assess
    expect(email.html).toContain('— Snapshot, then delete volumes unattached for 30+ days. A person approves.</p>');
    expect(email.html).not.toMatch(/approves\.\./);
  });

  it('adds the period when the description has none', () => {
    const email = approvalRequestEmail(record('Delete volumes nobody uses'), 'oncall@example.com', links);

    expect(email.html).toContain('— Delete volumes nobody uses.</p>');
  });
});

describe('the approval email never shows a negative saving', () => {
  it('says a performance fix costs more, in words, in the subject, the text and the HTML', () => {
    // Prepare: a performance finding that costs $57.06 a month more (raising a volume's IOPS)
    const costly: FindingResult = { ...finding, savings: { monthlyUsd: -57.06, basis: ['3,000 IOPS more × $0.065 …'] } };
    const email = approvalRequestEmail({ ...record('Raise IOPS where the volume is throttled.'), findings: [costly] }, 'oncall@example.com', links);

    // Assess
    expect(email.subject).toContain('est. costs $57.06/month more');
    expect(email.text).toContain('Estimated cost: $57.06/month more.');
    expect(email.text).toContain('— est. costs $57.06/month more');
    expect(email.html).toContain('Estimated cost: <strong>$57.06/month more</strong>');
    expect(email.html).toContain('+$57.06/mo cost');
    for (const part of [email.subject, email.text, email.html]) expect(part).not.toMatch(/-\$|\$-/);
  });

  it('keeps a saving as a saving', () => {
    const email = approvalRequestEmail(record('Delete volumes nobody uses.'), 'oncall@example.com', links);

    expect(email.text).toContain('Estimated saving: $8.00/month.');
    expect(email.subject).toContain('est. $8.00/month');
  });
});
