import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleApprovalRequest, MAX_BODY_BYTES, type HttpRequest } from '../../lib/approval/page.ts';
import { CLOCK, SECRET, linkIn, startApproval, token, type ApprovalHarness } from '../approval-helpers.ts';

/**
 * A real execution waits at "Ask the approvers" while every bad link is tried: if any of them
 * got through, the workflow would apply changes to the sandbox account. None may.
 */
let h: ApprovalHarness;
beforeAll(async () => {
  h = await startApproval();
});
afterAll(async () => {
  await h.stack.stop();
});

const deps = () => ({ store: h.store, tasks: h.stack.tasks, now: CLOCK, secret: async () => SECRET });
const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();
const post = (path: string, body: string, contentType = 'application/x-www-form-urlencoded'): HttpRequest => ({ method: 'POST', path, query: '', body, headers: { 'content-type': contentType } });
const get = (path: string, query: string): HttpRequest => ({ method: 'GET', path, query, headers: {} });

async function expectNothingChanged() {
  const record = await h.record();
  expect(record.status).toBe('waiting');
  expect(record.decision ?? undefined).toBeUndefined();
  expect(h.stack.tasks.sent).toEqual([]);
  expect(h.env.sandbox.successfulWrites()).toEqual([]);
}

describe('the approval page refuses every bad link and changes nothing', () => {
  it('shows the plan on GET (a mail scanner prefetch) without deciding anything, however often', async () => {
    const email = h.stack.mail.emails.find((e) => e.to[0] === 'oncall@example.com')!;
    const link = linkIn(email.text, 'Approve');

    // Act: over real HTTP, like a browser or a link scanner
    const responses = await Promise.all([1, 2, 3].map(() => fetch(link)));
    const html = await responses[0].text();

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(html).toContain('<form method="post"');
    expect(html).not.toContain('<script');
    expect(html.match(/type="checkbox" name="include"/g)).toHaveLength(4);
    expect(html).toContain('acme-web-assets');
    expect(responses[0].headers.get('referrer-policy')).toBe('no-referrer');
    expect(responses[0].headers.get('cache-control')).toBe('no-store');
    await expectNothingChanged();
  });

  const approvalPath = () => `/approvals/${h.approvalId}`;
  const cases: [string, () => HttpRequest, number, RegExp][] = [
    ['a forged signature (signed with another secret)', () => post(approvalPath(), form([['t', token(h.approvalId, 'approve', { secret: 'another-secret-of-sufficient-length-000' })], ['selection', '1']])), 403, /signature does not match/],
    ['an expired link', () => post(approvalPath(), form([['t', token(h.approvalId, 'approve', { expiresAt: new Date(CLOCK().getTime() - 1000) })], ['selection', '1']])), 410, /expired/],
    ['another approval\'s link', () => post(approvalPath(), form([['t', token('apr-someotherone', 'approve')], ['selection', '1']])), 403, /another approval request/],
    [
      'a flipped decision (reject token edited to approve)',
      () => {
        const [payload, signature] = token(h.approvalId, 'reject').split('.');
        const flipped = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"reject"', '"approve"')).toString('base64url');
        return post(approvalPath(), form([['t', `${flipped}.${signature}`], ['selection', '1']]));
      },
      403,
      /signature does not match/,
    ],
    ['a GET of another approval\'s id with this token', () => get('/approvals/apr-someotherone', `t=${token(h.approvalId, 'approve')}`), 403, /another approval request/],
    ['no token at all', () => post(approvalPath(), form([['selection', '1']])), 400, /exactly one token/],
    ['two tokens', () => post(approvalPath(), form([['t', token(h.approvalId, 'approve')], ['t', token(h.approvalId, 'reject')], ['selection', '1']])), 400, /exactly one token/],
    ['a garbage token', () => post(approvalPath(), form([['t', 'a.b.c<script>'], ['selection', '1']])), 400, /not in the shape/],
    ['an oversized body', () => post(approvalPath(), `t=${'x'.repeat(MAX_BODY_BYTES)}`), 413, /more data/],
    ['a JSON body instead of the form', () => post(approvalPath(), JSON.stringify({ t: token(h.approvalId, 'approve') }), 'application/json'), 415, /from the page/],
    ['an odd approval id in the path', () => get('/approvals/..%2F..%2Fetc', 't=x'), 400, /not one trimtab issues/],
    ['a path that is not an approval', () => get('/admin', ''), 404, /no page here/],
    ['a PUT', () => ({ method: 'PUT', path: approvalPath(), query: '', headers: {} }), 405, /Open the link/],
    ['a selection naming a resource outside the request', () => post(approvalPath(), form([['t', token(h.approvalId, 'approve')], ['selection', '1'], ['include', 'not-a-finding']])), 400, /not part of this request/],
    ['an approval with every resource opted out', () => post(approvalPath(), form([['t', token(h.approvalId, 'approve')], ['selection', '1'], ['confirm', 'approve']])), 400, /nothing to approve/],
    ['an approve form without the selection marker', () => post(approvalPath(), form([['t', token(h.approvalId, 'approve')]])), 400, /which resources/],
  ];

  it.each(cases)('refuses %s with a clear page', async (_name, request, status, message) => {
    const response = await handleApprovalRequest(request(), deps());

    expect(response.statusCode).toBe(status);
    expect(response.body).toMatch(message);
    expect(response.body).toContain('Nothing was changed');
    await expectNothingChanged();
  });

  it('accepts the genuine link once, and refuses the same link replayed', async () => {
    // Prepare: the form exactly as the page builds it, keeping every resource but one
    const record = await h.record();
    const t = token(h.approvalId, 'approve');
    const keep = record.findings.filter((f) => f.resource.id !== 'acme-config').map((f): [string, string] => ['include', f.id]);
    const body = form([['t', t], ['selection', '1'], ...keep, ['confirm', 'approve']]);

    // Act: over real HTTP, twice
    const first = await fetch(`${h.stack.approvalBaseUrl}/approvals/${h.approvalId}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const replay = await fetch(`${h.stack.approvalBaseUrl}/approvals/${h.approvalId}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await h.stack.workflow.executions.get(h.approvalId)!.result;

    // Assess
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('trimtab will now apply 3 changes (1 opted out)');
    expect(replay.status).toBe(409);
    expect(await replay.text()).toContain('already approved by oncall@example.com');
    expect(h.stack.tasks.sent).toHaveLength(1);
    expect(h.env.sandbox.successfulWrites('PutBucketLifecycleConfiguration')).toHaveLength(3);
    expect((await h.record()).status).toBe('fixed');
    // After the decision, even GET says so and offers no form.
    const after = await handleApprovalRequest(get(`/approvals/${h.approvalId}`, `t=${t}`), deps());
    expect(after.statusCode).toBe(409);
    expect(after.body).not.toContain('<form');
  });
});
