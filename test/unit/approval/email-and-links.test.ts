import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { approvalRequestEmail, outcomeEmail } from '../../../lib/approval/email.ts';
import { approvalPageHandler, toHttpRequest } from '../../../lib/approval/lambda.ts';
import { InvalidLinkError, signLink, verifyLink } from '../../../lib/approval/links.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import { CLOCK, SECRET } from '../../approval-helpers.ts';

const finding = (id: string, bucket: string, monthlyUsd: number): FindingResult => ({
  id,
  policy: 'snapshots-old',
  detector: 'old-snapshots',
  mode: 'approval',
  status: 'actionable',
  outcome: 'awaiting-approval',
  reason: `${bucket} is 400 days old and unused.`,
  evidence: { ageDays: 400, sizeGiB: 120 },
  resource: { type: 'ebs-snapshot', id: bucket, arn: `arn:aws:ec2:us-east-1:123456789012:snapshot/${bucket}`, account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd, basis: ['120 GiB × $0.05'] },
  plan: { action: 'delete-snapshot', summary: `Delete snapshot ${bucket}.`, params: {}, undo: 'Restore it from the Recycle Bin within 7 days.', hash: `h-${id}` },
});

const record = (overrides: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  approvalId: 'apr-abc123def4',
  status: 'waiting',
  createdAt: CLOCK().toISOString(),
  updatedAt: CLOCK().toISOString(),
  account: '123456789012',
  policy: { id: 'snapshots-old', resource: 'ebs-snapshot', detector: { type: 'old-snapshots' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } },
  findings: [finding('f1', 'snap-0001', 6), finding('f2', 'snap-<b>0002</b>', 4.5)],
  approvers: ['oncall@example.com'],
  timeoutSeconds: 259_200,
  expiresAt: '2026-11-04T00:00:00.000Z',
  ttl: 0,
  ...overrides,
});

describe('approvalRequestEmail', () => {
  const links = { approve: 'https://x.example/approvals/apr-abc123def4?t=APPROVE', reject: 'https://x.example/approvals/apr-abc123def4?t=REJECT' };

  it('says what changes, on which resources, the saving, the evidence, how to undo, with both links in both parts', () => {
    const email = approvalRequestEmail(record(), 'oncall@example.com', links);

    expect(email.to).toEqual(['oncall@example.com']);
    expect(email.subject).toBe('trimtab asks to approve: delete-snapshot on 2 resources (est. $10.50/month) — snapshots-old');
    for (const part of [email.text, email.html]) {
      expect(part).toContain('snap-0001');
      expect(part).toContain('Delete snapshot snap-0001.');
      expect(part).toContain('$10.50');
      expect(part).toContain('Age: 400 days');
      expect(part).toContain('Restore it from the Recycle Bin within 7 days.');
      expect(part).toContain('t=APPROVE');
      expect(part).toContain('t=REJECT');
    }
    expect(email.text).toContain('expire at Wed, 04 Nov 2026 00:00:00 GMT');
  });

  it('escapes resource data in the HTML part', () => {
    const email = approvalRequestEmail(record(), 'oncall@example.com', links);

    expect(email.html).toContain('snap-&lt;b&gt;0002&lt;/b&gt;');
    expect(email.html).not.toContain('<b>0002</b>');
  });
});

describe('outcomeEmail', () => {
  it('lists every change with its outcome and the undo command', () => {
    const done = record({
      status: 'fixed',
      decision: { decision: 'approve', actor: 'oncall@example.com', at: CLOCK().toISOString(), excluded: ['f2'], via: 'link' },
      actions: [{ findingId: 'f1', actionId: 'act-1', resourceId: 'snap-0001', region: 'us-east-1', status: 'verified', detail: 'snapshot is gone', undo: { supported: 'best-effort', how: 'Restore it from the Recycle Bin within 7 days.' } }],
    });

    const email = outcomeEmail(done);

    expect(email.subject).toBe('trimtab snapshots-old: Done: 1 change applied and verified');
    expect(email.text).toContain('1 resource(s) opted out');
    expect(email.text).toContain('trimtab undo act-1');
    expect(email.html).toContain('trimtab undo act-1');
  });
});

describe('signed links', () => {
  const expiresAt = new Date(CLOCK().getTime() + 60_000);

  it('round-trips the approval, decision, recipient and expiry', () => {
    const t = signLink({ approvalId: 'apr-abc123def4', decision: 'reject', recipient: 'a@example.com', expiresAt }, SECRET);

    expect(verifyLink(t, SECRET, { approvalId: 'apr-abc123def4', now: CLOCK() })).toEqual({ approvalId: 'apr-abc123def4', decision: 'reject', recipient: 'a@example.com', expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000) });
  });

  it('expires exactly at its expiry', () => {
    const t = signLink({ approvalId: 'apr-abc123def4', decision: 'approve', recipient: 'a@example.com', expiresAt }, SECRET);

    expect(() => verifyLink(t, SECRET, { approvalId: 'apr-abc123def4', now: expiresAt })).toThrow(InvalidLinkError);
  });

  it('refuses a short secret', () => {
    expect(() => signLink({ approvalId: 'apr-abc123def4', decision: 'approve', recipient: 'a@example.com', expiresAt }, 'short')).toThrow(/shorter than 32/);
  });
});

describe('the approval page Lambda adapter', () => {
  it('turns an HTTP API GET (payload 2.0) into a read-only page request', async () => {
    // Prepare: the recorded GET event, pointed at an approval link
    const event = JSON.parse(readFileSync('test/fixtures/apigateway/http-api-v2-get-query-string.json', 'utf8'));
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record({ taskToken: 'secret-task-token' }));
    const t = signLink({ approvalId: 'apr-abc123def4', decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date('2026-11-02T00:00:00Z') }, SECRET);
    const get = { ...event, rawPath: '/approvals/apr-abc123def4', rawQueryString: `t=${t}`, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET' } } };
    const sent: unknown[] = [];

    // Act
    const response = await approvalPageHandler(get, { store, now: CLOCK, secret: async () => SECRET, tasks: { success: async (...a) => void sent.push(a), failure: async (...a) => void sent.push(a) } });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Approve these changes?');
    expect(response.body).not.toContain('secret-task-token');
    expect(sent).toEqual([]);
    expect((await store.get('apr-abc123def4'))!.status).toBe('waiting');
  });

  it('decodes a base64 POST body', () => {
    const event = JSON.parse(readFileSync('test/fixtures/apigateway/http-api-v2-post.json', 'utf8'));
    const request = toHttpRequest({ ...event, body: Buffer.from('t=abc&selection=1').toString('base64'), isBase64Encoded: true, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });

    expect(request).toMatchObject({ method: 'POST', body: 't=abc&selection=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  });
});
