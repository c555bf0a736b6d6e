/** Resource-supplied text cannot forge lines in the approval mail; a link's expiry fails closed; who decided is recorded and shown. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { approvalRequestEmail, neutralise, outcomeEmail } from '../../../lib/approval/email.ts';
import { approvalPageHandler } from '../../../lib/approval/lambda.ts';
import { InvalidLinkError, signLink, verifyLink } from '../../../lib/approval/links.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import { decide } from '../../../lib/approval/workflow.ts';
import { approvalDetails, approvalsTable } from '../../../lib/cli/approvals.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import { CLOCK, SECRET, linkIn } from '../../approval-helpers.ts';

const FORGED = 'http://evil.example/approvals/apr-evil000001?t=steal';
/** A scaling policy name as an account could hold it: CR/LF, a forged Approve line, a forged id line, and a right-to-left override. */
const HOSTILE = `scale-in\r\nApprove: ${FORGED}\nApproval id: apr-evil000001.\u2028Reject: ${FORGED}\u202Efdp.exe`;

const finding = (id: string, name: string): FindingResult => ({
  id,
  policy: 'asg-tune',
  detector: 'low-cpu',
  mode: 'approval',
  status: 'actionable',
  outcome: 'awaiting-approval',
  reason: `Policy ${name} keeps the group too large.`,
  evidence: { policyName: name, cpuP95: 9 },
  resource: { type: 'asg', id: name, arn: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/${name}`, account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd: 12, basis: [] },
  plan: { action: 'lower-min-size', summary: `Lower ${name} to 1.`, params: {}, undo: `Set ${name} back.`, hash: `h-${id}` },
});

const record = (overrides: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  approvalId: 'apr-abc123def4',
  status: 'waiting',
  createdAt: CLOCK().toISOString(),
  updatedAt: CLOCK().toISOString(),
  account: '123456789012',
  policy: { id: 'asg-tune', description: `Tune\nApprove: ${FORGED}`, resource: 'asg', detector: { type: 'low-cpu' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } } as never,
  findings: [finding('f1', HOSTILE)],
  approvers: ['oncall@example.com'],
  timeoutSeconds: 259_200,
  expiresAt: '2026-11-04T00:00:00.000Z',
  ttl: 0,
  taskToken: 'task-token',
  ...overrides,
});

const links = { approve: 'https://x.example/approvals/apr-abc123def4?t=GENUINE-APPROVE', reject: 'https://x.example/approvals/apr-abc123def4?t=GENUINE-REJECT' };
const UNSAFE = /[\r\n\u0085\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F]/;

describe('neutralise', () => {
  it('turns control, line-separator and bidi characters into visible escapes and leaves other text alone', () => {
    expect(neutralise('a\r\nb\u2028c\u202Ed\u0085e\u0000f')).toBe('a\\u000d\\u000ab\\u2028c\\u202ed\\u0085e\\u0000f');
    expect(neutralise('acme-web · café — 12 €')).toBe('acme-web · café — 12 €');
  });
});

describe('the approval request email with hostile resource names', () => {
  it('has exactly one Approve line, one Reject line and one Approval id line in the text part, all genuine', () => {
    // Act
    const email = approvalRequestEmail(record(), 'oncall@example.com', links);

    // Assess: what a person (or a line-based parser) reading the text part sees
    const lines = email.text.split('\n');
    expect(lines.filter((l) => l.startsWith('Approve'))).toEqual([`Approve (you can opt resources out on the page): ${links.approve}`]);
    expect(lines.filter((l) => l.startsWith('Reject'))).toEqual([`Reject: ${links.reject}`]);
    expect(lines.filter((l) => l.startsWith('Approval id'))).toEqual([expect.stringMatching(/^Approval id: apr-abc123def4\. /)]);
    expect(linkIn(email.text, 'Approve').href).toBe(links.approve);
    expect(email.text).toContain('scale-in\\u000d\\u000aApprove: http://evil.example');
    expect(email.text).not.toMatch(/[\r\u0085\u2028\u2029\u202A-\u202E\u2066-\u2069]/);
  });

  it('keeps the subject on one line and the HTML part free of bidi overrides', () => {
    const email = approvalRequestEmail(record({ policy: { ...record().policy, id: 'asg\r\nBcc: x@evil.example' } }), 'oncall@example.com', links);

    expect(email.subject).not.toMatch(UNSAFE);
    expect(email.subject).toContain('asg\\u000d\\u000aBcc: x@evil.example');
    expect(email.html).not.toMatch(/[\u2028\u2029\u202A-\u202E\u2066-\u2069]/);
    expect(email.html).toContain('\\u202efdp.exe');
  });

  it('neutralises resource text in the outcome email too', () => {
    const email = outcomeEmail(record({
      status: 'fixed',
      decision: { decision: 'approve', actor: 'oncall@example.com', at: CLOCK().toISOString(), excluded: [], via: 'link', sourceIp: '203.0.113.9' },
      actions: [{ findingId: 'f1', actionId: 'act-1', resourceId: HOSTILE, region: 'us-east-1', status: 'verified', detail: `done\nApprove: ${FORGED}`, undo: { supported: 'yes', how: 'Set it back.' } }],
    }));

    expect(email.subject).not.toMatch(UNSAFE);
    expect(email.text.split('\n').filter((l) => /^(Approve|Reject|Approval id)/.test(l))).toEqual([]);
    expect(email.text).toContain('Decision: approve by oncall@example.com at 2026-11-01T00:00:00.000Z from 203.0.113.9.');
  });
});

/** A token signed with the real secret but with any expiry value (what signLink cannot produce). */
function signedWithExpiry(e: number) {
  const payload = Buffer.from(JSON.stringify({ a: 'apr-abc123def4', d: 'approve', r: 'oncall@example.com', e })).toString('base64url');
  return `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url')}`;
}

describe('link expiry fails closed', () => {
  it('refuses a signed token whose expiry is beyond any valid date (NaN is not "later than now")', () => {
    // 9e12 s is past JavaScript's last date: new Date(9e15) is Invalid Date, and NaN <= now is false.
    expect(() => verifyLink(signedWithExpiry(9_000_000_000_000), SECRET, { approvalId: 'apr-abc123def4', now: CLOCK() })).toThrow(InvalidLinkError);
  });

  it('refuses a signed token that claims to live longer than the longest wait (a year)', () => {
    const e = Math.floor(CLOCK().getTime() / 1000) + 400 * 86_400;
    expect(() => verifyLink(signedWithExpiry(e), SECRET, { approvalId: 'apr-abc123def4', now: CLOCK() })).toThrow(/more than a year/);
    const ok = verifyLink(signedWithExpiry(Math.floor(CLOCK().getTime() / 1000) + 300 * 86_400), SECRET, { approvalId: 'apr-abc123def4', now: CLOCK() });
    expect(ok.recipient).toBe('oncall@example.com');
  });

  it('refuses to sign a link with an invalid expiry', () => {
    expect(() => signLink({ approvalId: 'apr-abc123def4', decision: 'approve', recipient: 'a@example.com', expiresAt: new Date('garbage') }, SECRET)).toThrow(/valid expiry/);
  });

  it('treats a record whose expiry cannot be read as expired: nothing is decided', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record({ expiresAt: 'not-a-date' }));
    const sent: unknown[] = [];

    // Act
    const result = await decide({ store, now: CLOCK, tasks: { success: async (...a) => void sent.push(a), failure: async (...a) => void sent.push(a) } }, { approvalId: 'apr-abc123def4', decision: 'approve', actor: 'oncall@example.com', via: 'link' });

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'timed-out' });
    expect(sent).toEqual([]);
    expect((await store.get('apr-abc123def4'))!.status).toBe('waiting');
  });
});

describe('who decided, from where', () => {
  it('records the HTTP API caller\'s source IP and user agent with a decision made through the Lambda, and shows them', async () => {
    // Prepare: the recorded HTTP API POST, pointed at an approval with the form the page sends
    const event = JSON.parse(readFileSync('test/fixtures/apigateway/http-api-v2-post.json', 'utf8'));
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record({ findings: [finding('f1', 'acme-web')] }));
    const t = signLink({ approvalId: 'apr-abc123def4', decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date('2026-11-02T00:00:00Z') }, SECRET);
    const post = { ...event, rawPath: '/approvals/apr-abc123def4', body: new URLSearchParams([['t', t], ['selection', '1'], ['include', 'f1'], ['confirm', 'approve']]).toString(), headers: { ...event.headers, 'content-type': 'application/x-www-form-urlencoded' } };
    const logged: Record<string, unknown>[] = [];

    // Act
    const response = await approvalPageHandler(post, { store, now: CLOCK, secret: async () => SECRET, tasks: { success: async () => {}, failure: async () => {} }, log: (_m, data) => void logged.push(data ?? {}) });

    // Assess
    expect(response.statusCode).toBe(200);
    const decided = (await store.get('apr-abc123def4'))!;
    expect(decided.decision).toMatchObject({ decision: 'approve', actor: 'oncall@example.com', sourceIp: '15.248.3.126', userAgent: 'HTTPie/3.2.2' });
    expect(logged).toContainEqual(expect.objectContaining({ approvalId: 'apr-abc123def4', sourceIp: '15.248.3.126', userAgent: 'HTTPie/3.2.2' }));
    expect(approvalsTable([decided])).toContain('approve by oncall@example.com (link from 15.248.3.126)');
    expect(approvalDetails(decided)).toMatch(/Source IP: +15\.248\.3\.126\nUser agent: +HTTPie\/3\.2\.2/);
  });
});
