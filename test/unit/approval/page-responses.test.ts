/**
 * Every answer of the approval page (lib/approval/page.ts), as the approver's browser gets it: the plan
 * page, each refusal with its status and words, and each decision. An in-memory store and a
 * recording task sender stand in for DynamoDB and Step Functions; what matters is what the page
 * says and that nothing is decided unless a person confirmed it. Measured by mutation testing
 * (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import { signLink } from '../../../lib/approval/links.ts';
import { handleApprovalRequest, MAX_BODY_BYTES, problem, type HttpRequest, type HttpResponse, type PageDeps } from '../../../lib/approval/page.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { CLOCK, SECRET } from '../../approval-constants.ts';

const ID = 'apr-page0000001';
const PATH = `/approvals/${ID}`;
const LATER = new Date(CLOCK().getTime() + 3_600_000);

const finding = (id: string, resourceId: string, monthlyUsd: number, extra: Partial<FindingResult> = {}): FindingResult => ({
  id,
  policy: 'p1',
  detector: 'missing-abort-multipart-rule',
  mode: 'approval',
  status: 'actionable',
  outcome: 'awaiting-approval',
  reason: 'No rule.',
  evidence: { uploads: 3 },
  resource: { type: 's3-bucket', id: resourceId, arn: `arn:aws:s3:::${resourceId}`, account: '123456789012', region: 'eu-west-1', tags: {} },
  savings: { monthlyUsd, basis: [] },
  plan: { action: 'add-lifecycle-rules', summary: `Add a rule to ${resourceId}.`, params: { bucket: resourceId }, undo: 'Remove the rule.', hash: `h-${id}` },
  ...extra,
});

const record = (overrides: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  approvalId: ID,
  status: 'waiting',
  createdAt: CLOCK().toISOString(),
  updatedAt: CLOCK().toISOString(),
  account: '123456789012',
  policy: { id: 'p1', description: 'Abort <old> uploads', resource: 's3-bucket', detector: { type: 'missing-abort-multipart-rule' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 } } as never,
  findings: [finding('f1', 'acme-web', 3), finding('f2', 'acme-logs', 1.5)],
  approvers: ['oncall@example.com'],
  timeoutSeconds: 3600,
  expiresAt: LATER.toISOString(),
  ttl: 0,
  taskToken: 'task-token',
  ...overrides,
});

const token = (decision: 'approve' | 'reject', overrides: { approvalId?: string; expiresAt?: Date; secret?: string } = {}) =>
  signLink({ approvalId: overrides.approvalId ?? ID, decision, recipient: 'oncall@example.com', expiresAt: overrides.expiresAt ?? LATER }, overrides.secret ?? SECRET);

interface Harness {
  deps: PageDeps;
  store: MemoryApprovalStore;
  sent: unknown[][];
  logs: [string, Record<string, unknown> | undefined][];
}

async function harness(stored: ApprovalRecord | null = record(), tasks?: Partial<PageDeps['tasks']>): Promise<Harness> {
  const store = new MemoryApprovalStore(CLOCK);
  if (stored) await store.create(stored);
  const sent: unknown[][] = [];
  const logs: Harness['logs'] = [];
  const deps: PageDeps = {
    store,
    now: CLOCK,
    clock: new VirtualClock(CLOCK()),
    secret: async () => SECRET,
    tasks: { success: async (...a: unknown[]) => void sent.push(['success', ...a]), failure: async (...a: unknown[]) => void sent.push(['failure', ...a]), ...tasks },
    log: (message, data) => void logs.push([message, data]),
  };
  return { deps, store, sent, logs };
}

const get = (query: string, path = PATH, method = 'GET'): HttpRequest => ({ method, path, query, headers: {} });
const post = (fields: [string, string][], contentType: string | null = 'application/x-www-form-urlencoded', path = PATH): HttpRequest => ({
  method: 'POST',
  path,
  query: '',
  body: new URLSearchParams(fields).toString(),
  headers: contentType === null ? {} : { 'content-type': contentType },
  client: { sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0' },
});

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const CSS = `body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.45;color:#1b1f24;max-width:720px;margin:0 auto;padding:16px;overflow-wrap:anywhere}
input[type=text]{max-width:100%;font-size:16px}
h1{font-size:22px;margin:0 0 8px}.muted{color:#57606a;font-size:14px}.saving{font-size:19px}
.item{display:block;border:1px solid #d8dee4;border-radius:8px;padding:10px 12px;margin:8px 0}.item input{width:22px;height:22px;margin:0 8px 0 0;vertical-align:middle}
.item small{display:block;color:#57606a;margin-top:4px;overflow-wrap:anywhere}
button{font-size:17px;padding:14px 20px;border:0;border-radius:8px;color:#fff;width:100%;margin-top:12px;cursor:pointer}
.approve{background:#1a7f37}.reject{background:#cf222e}.box{border-radius:8px;padding:12px 14px;margin:12px 0}.bad{background:#ffebe9;border:1px solid #ff8182}.good{background:#dafbe1;border:1px solid #4ac26b}
.evidence-charts{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}svg.evidence-chart{max-width:100%;height:auto}
h2.benefit,h2.owner{font-size:17px;margin:16px 0 4px}.item small.risk{color:#8250df;font-weight:600}`;

const html = (title: string, inner: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · trimtab</title><style>${CSS}</style></head><body>${inner}</body></html>`;

const NOTHING_CHANGED = '<p class="muted">Nothing was changed. If you still want to decide, use the links in the latest email from trimtab, or ask an operator (<code>trimtab approvals list</code>).</p>';
const problemHtml = (title: string, message: string) => html(title, `<h1>${title}</h1><div class="box bad">${message}</div>${NOTHING_CHANGED}`);

/** The answer and whether anything was decided: the record is still waiting, undecided, and Step Functions was told nothing. */
async function undecided(h: Harness) {
  const after = await h.store.get(ID);
  return { status: after?.status, decision: after?.decision ?? null, sent: h.sent };
}

describe('the plan page (GET): what the approver reads, and nothing decided', () => {
  it('shows an approve link as a form with each resource ticked, the typed confirmation and the security headers', async () => {
    // Prepare
    const h = await harness();
    const t = token('approve');
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(t)}`), h.deps);
    // Assess: the whole page
    const item = (id: string, bucket: string, money: string) =>
      `<label class="item"><input type="checkbox" name="include" value="${id}" checked><strong>${bucket}</strong> <span class="muted">(eu-west-1) · ${money}/month</span><small>Add a rule to ${bucket}.</small><small>Evidence: Uploads: 3</small><small>Undo: Remove the rule.</small></label>`;
    expect(response).toEqual({
      statusCode: 200,
      headers: HEADERS,
      body: html(
        'Approve these changes?',
        `<h1>Approve these changes?</h1>
<p>Policy <strong>p1</strong> in account <strong>123456789012</strong> — Abort &lt;old&gt; uploads</p>
<p class="saving">2 resources, est. <strong>$4.50/month</strong></p>

<form method="post" action="${PATH}">
<input type="hidden" name="t" value="${t}">
<input type="hidden" name="selection" value="1"><p class="muted">Untick a resource to leave it as it is.</p>

${item('f1', 'acme-web', '$3.00')}
${item('f2', 'acme-logs', '$1.50')}
<p><label for="confirm">To approve, type <strong>approve</strong> here:</label><br><input type="text" id="confirm" name="confirm" value="" autocomplete="off" required pattern="[Aa][Pp][Pp][Rr][Oo][Vv][Ee]" maxlength="16"></p>
<button type="submit" class="approve">Approve the selected changes</button>
</form>
<p class="muted">Signed in as oncall@example.com by this link. The link works once and expires at ${LATER.toUTCString()}. Opening this page changed nothing.</p>`,
      ),
    });
    expect(await undecided(h)).toEqual({ status: 'waiting', decision: null, sent: [] });
  });

  it('shows a reject link without checkboxes, with the reject word and button, for a single resource without a description', async () => {
    // Prepare
    const one = record({ findings: [finding('f1', 'acme-web', 3, { risk: { summary: 'Public <bucket>' } as never })] });
    (one.policy as { description?: string }).description = undefined;
    const h = await harness(one);
    const t = token('reject');
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(t)}`), h.deps);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(
      html(
        'Reject these changes?',
        `<h1>Reject these changes?</h1>
<p>Policy <strong>p1</strong> in account <strong>123456789012</strong></p>
<p class="saving">1 resource, est. <strong>$3.00/month</strong></p>

<form method="post" action="${PATH}">
<input type="hidden" name="t" value="${t}">


<div class="item"><strong>acme-web</strong> <span class="muted">(eu-west-1) · $3.00/month</span><small>Add a rule to acme-web.</small><small class="risk">Risk removed: Public &lt;bucket&gt;</small><small>Evidence: Uploads: 3</small><small>Undo: Remove the rule.</small></div>
<p><label for="confirm">To reject, type <strong>reject</strong> here:</label><br><input type="text" id="confirm" name="confirm" value="" autocomplete="off" required pattern="[Rr][Ee][Jj][Ee][Cc][Tt]" maxlength="16"></p>
<button type="submit" class="reject">Reject: change nothing</button>
</form>
<p class="muted">Signed in as oncall@example.com by this link. The link works once and expires at ${LATER.toUTCString()}. Opening this page changed nothing.</p>`,
      ),
    );
  });

  it('groups the resources under one heading per benefit when one is about performance', async () => {
    // Prepare
    const h = await harness(record({ findings: [finding('f1', 'acme-web', 3), finding('f2', 'fn-slow', 0, { benefit: ['performance'] })] }));
    // Act
    const body = (await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), h.deps)).body;
    // Assess
    expect(body).toContain('<p class="muted" id="by-benefit">By benefit: Cost: 1 change, est. $3.00/month · Performance: 1 change (removes a risk; saves nothing)</p>');
    expect(body).toContain('<h2 class="benefit" data-benefit="cost">Cost: 1 change, est. $3.00/month</h2>\n<label class="item"><input type="checkbox" name="include" value="f1" checked>');
    expect(body).toContain('<h2 class="benefit" data-benefit="performance">Performance: 1 change (removes a risk; saves nothing)</h2>\n<label class="item"><input type="checkbox" name="include" value="f2" checked>');
  });

  it('groups the resources under one heading per owner, escaped, with "No owner" last, each group after the last item of the one before', async () => {
    // Prepare: acme-logs has no owner; acme-web belongs to a stack whose name (account-controlled) carries markup.
    const stack = { kind: 'cloudformation', name: 'CloudFormation stack web<b>', signal: 'tag aws:cloudformation:stack-name', confirmed: false, stackName: 'web<b>' } as FindingResult['owner'];
    const h = await harness(record({ findings: [finding('f2', 'acme-logs', 1.5), finding('f1', 'acme-web', 3, { owner: stack })] }));
    // Act
    const body = (await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), h.deps)).body;
    // Assess
    expect(body).toContain('<h2 class="owner" data-owner="CloudFormation stack web&lt;b&gt;">CloudFormation stack web&lt;b&gt;: 1 change, est. $3.00/month</h2>\n<label class="item"><input type="checkbox" name="include" value="f1" checked><strong>acme-web</strong>');
    expect(body).toContain('Undo: Remove the rule.</small></label>\n<h2 class="owner" data-owner="No owner">No owner: 1 change, est. $1.50/month</h2>\n<label class="item"><input type="checkbox" name="include" value="f2" checked><strong>acme-logs</strong>');
    expect(body.match(/<h2 class="owner"/g)).toHaveLength(2);
  });

  it('shows one timeline per volume above the list for snapshot findings', async () => {
    // Prepare
    const snap = (id: string, startTime: string) => finding(id, id, 1, { resource: { type: 'ebs-snapshot', id, arn: `arn:aws:ec2:eu-west-1:123456789012:snapshot/${id}`, account: '123456789012', region: 'eu-west-1', tags: {} }, evidence: { volumeId: 'vol-<1>', startTime } });
    const h = await harness(record({ findings: [snap('snap-1', '2026-06-01T00:00:00.000Z'), snap('snap-2', '2026-07-01T00:00:00.000Z')] }));
    // Act
    const body = (await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), h.deps)).body;
    // Assess
    expect(body.match(/<div class="timeline" data-volume="vol-&lt;1&gt;"><svg/g)).toHaveLength(1);
    expect(body).toMatch(/<\/svg><\/div>\n<label class="item">/);
  });

  it('shows the timelines of two volumes one after the other, each once', async () => {
    // Prepare
    const snap = (id: string, volumeId: string) => finding(id, id, 1, { resource: { type: 'ebs-snapshot', id, arn: `arn:aws:ec2:eu-west-1:123456789012:snapshot/${id}`, account: '123456789012', region: 'eu-west-1', tags: {} }, evidence: { volumeId, startTime: '2026-06-01T00:00:00.000Z' } });
    const h = await harness(record({ findings: [snap('snap-1', 'vol-a'), snap('snap-2', 'vol-b')] }));
    // Act
    const body = (await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), h.deps)).body;
    // Assess: nothing between the two timelines
    expect(body.match(/<div class="timeline" data-volume="vol-[ab]">/g)).toEqual(['<div class="timeline" data-volume="vol-a">', '<div class="timeline" data-volume="vol-b">']);
    expect(body).toMatch(/<div class="timeline" data-volume="vol-a"><svg[^]*?<\/svg><\/div><div class="timeline" data-volume="vol-b"><svg/);
  });

  it('shows a stored finding without a plan with an empty summary and undo instead of failing', async () => {
    // Prepare
    const h = await harness(record({ findings: [finding('f1', 'acme-web', 3, { plan: undefined })] }));
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(token('reject'))}`), h.deps);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<div class="item"><strong>acme-web</strong> <span class="muted">(eu-west-1) · $3.00/month</span><small></small><small>Evidence: ');
    expect(response.body).toContain('<small>Undo: </small></div>');
  });

  it('answers HEAD with the plan page headers and no body', async () => {
    // Prepare
    const h = await harness();
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`, PATH, 'head'), h.deps);
    // Assess
    expect(response).toEqual({ statusCode: 200, headers: HEADERS, body: '' });
    expect(await undecided(h)).toEqual({ status: 'waiting', decision: null, sent: [] });
  });

  it('accepts the path with a trailing slash and a percent-encoded id', async () => {
    // Prepare
    const h = await harness();
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`, `/approvals/apr-%70age0000001/`), h.deps);
    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('says who decided an approval already decided, or its status, and shows no form', async () => {
    // Prepare
    const decided = (decision: 'approve' | 'reject') => record({ status: decision === 'approve' ? 'applying' : 'rejected', decision: { decision, actor: 'lead@example.com', at: '2026-11-01T00:05:00.000Z', excluded: [], via: 'link' } });
    const answers: HttpResponse[] = [];
    // Act
    for (const stored of [decided('approve'), decided('reject'), record({ status: 'failed' })]) {
      answers.push(await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), (await harness(stored)).deps));
    }
    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([409, 409, 409]);
    expect(answers[0].body).toBe(problemHtml('Already decided', 'This request is no longer waiting for a decision. It was already approved by lead@example.com at 2026-11-01T00:05:00.000Z.'));
    expect(answers[1].body).toContain('It was already rejected by lead@example.com at 2026-11-01T00:05:00.000Z.');
    expect(answers[2].body).toContain('This request is no longer waiting for a decision. It is &#39;failed&#39;.');
  });
});

describe('the refusals: each with its status and words, and nothing decided', () => {
  const cases: [string, () => HttpRequest, number, string, string][] = [
    ['a path that is not an approval', () => get('', '/approvals/apr-page0000001/extra'), 404, 'Not found', 'There is no page here. Approval links look like /approvals/apr-…?t=….'],
    ['a path with nothing after the prefix', () => get('', 'x/approvals/apr-page0000001'), 404, 'Not found', 'There is no page here. Approval links look like /approvals/apr-…?t=….'],
    ['an id that cannot be percent-decoded', () => get('', '/approvals/apr-%E0%A4%A'), 400, 'This link is not valid', 'The request id in the link is not readable.'],
    ['an id trimtab never issues', () => get('', '/approvals/ap-r<b>'), 400, 'This link is not valid', 'The request id in the link is not one trimtab issues.'],
    ['a form body over the limit', () => ({ ...post([['t', token('approve')]]), body: 'x'.repeat(MAX_BODY_BYTES + 1) }), 413, 'Too much data', 'The form sent more data than an approval needs.'],
    ['a body that is not a form', () => post([['t', token('approve')]], 'text/plain'), 415, 'Unsupported form', 'Send the approval form from the page itself.'],
    ['a body without a content type', () => post([['t', token('approve')]], null), 415, 'Unsupported form', 'Send the approval form from the page itself.'],
    ['a form with no token', () => post([['confirm', 'approve']]), 400, 'This link is not valid', 'The form must carry exactly one token.'],
    ['a form with two tokens', () => post([['t', token('approve')], ['t', token('approve')]]), 400, 'This link is not valid', 'The form must carry exactly one token.'],
    ['a query far longer than a link', () => get(`t=${'a'.repeat(2048)}`), 414, 'This link is not valid', 'The link is far longer than any trimtab sends.'],
    ['a link with two tokens', () => get(`t=${encodeURIComponent(token('approve'))}&t=${encodeURIComponent(token('reject'))}`), 400, 'This link is not valid', 'The link carries more than one token.'],
    ['a link with no token', () => get(''), 400, 'This link is not valid', 'The link has no token. Open the link from the email exactly as it was sent.'],
    ['a forged token', () => get(`t=${encodeURIComponent(token('approve', { secret: 'another-secret-of-sufficient-length-000' }))}`), 403, 'This link is not genuine', 'The link signature does not match: this link was not issued by trimtab, or it was altered.'],
    ['an expired token', () => get(`t=${encodeURIComponent(token('approve', { expiresAt: new Date(CLOCK().getTime() - 1000) }))}`), 410, 'This link has expired', `This link expired at ${new Date(CLOCK().getTime() - 1000).toISOString()}. The request was not approved in time; nothing was changed.`],
    ["another approval's token", () => get(`t=${encodeURIComponent(token('approve', { approvalId: 'apr-other000001' }))}`), 403, 'This link is for another request', 'This link belongs to another approval request. Use the link from the email about this request.'],
  ];

  for (const [what, request, status, title, message] of cases) {
    it(`answers ${status} "${title}" to ${what}`, async () => {
      // Prepare
      const h = await harness();
      // Act
      const response = await handleApprovalRequest(request(), h.deps);
      // Assess
      expect(response.statusCode).toBe(status);
      expect(response.headers).toEqual(HEADERS);
      expect(response.body).toBe(problemHtml(title, message.replace(/'/g, '&#39;')));
      expect(await undecided(h)).toEqual({ status: 'waiting', decision: null, sent: [] });
    });
  }

  it('takes a form body of exactly the limit and a query of exactly twice the longest token as far as the link check', async () => {
    // Prepare
    const h = await harness();
    const t = token('approve');
    const padded = new URLSearchParams([['t', t], ['selection', '1'], ['include', 'f1'], ['pad', '']]).toString();
    const body = padded + 'x'.repeat(MAX_BODY_BYTES - Buffer.byteLength(padded));
    // Act
    const atLimit = await handleApprovalRequest({ ...post([]), body }, h.deps);
    const longQuery = await handleApprovalRequest(get(`t=${'a'.repeat(2046)}`), h.deps);
    // Assess: past the size checks: refused only for want of a confirmation, and as a malformed token
    expect(atLimit.statusCode).toBe(400);
    expect(atLimit.body).toContain('<h1>Not confirmed</h1>');
    expect(longQuery.statusCode).toBe(400);
    expect(longQuery.body).toContain('<h1>This link is not valid</h1>');
  });

  it('answers 405 with the methods it allows to anything but GET, HEAD and POST', async () => {
    // Prepare
    const h = await harness();
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`, PATH, 'DELETE'), h.deps);
    // Assess
    expect(response).toEqual({ statusCode: 405, headers: { ...HEADERS, allow: 'GET, HEAD, POST' }, body: problemHtml('Method not allowed', 'Open the link in a browser.') });
    expect(await undecided(h)).toEqual({ status: 'waiting', decision: null, sent: [] });
  });

  it('answers 404 to a genuine link whose request is gone', async () => {
    // Prepare
    const h = await harness(null);
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), h.deps);
    // Assess
    expect(response).toEqual({ statusCode: 404, headers: HEADERS, body: problemHtml('Request not found', `There is no approval request ${ID} (it may have been removed after 400 days).`) });
  });

  it('answers 503 with a reference and logs the error under it when something unexpected fails', async () => {
    // Prepare
    const h = await harness();
    h.deps.secret = async () => {
      throw new Error('ParameterNotFound: /trimtab/link-secret in account 123456789012');
    };
    // Act
    const response = await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), h.deps);
    // Assess: the page shows only the reference; the log has the details
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain('ParameterNotFound');
    const reference = /ref-[0-9a-f]{12}/.exec(response.body)![0];
    expect(response.body).toBe(
      problemHtml('Something went wrong', `The decision could not be recorded right now. Try the link again in a minute. If it keeps failing, give an operator this reference: ${reference}.`),
    );
    expect(h.logs).toEqual([['approval page error', { reference, error: 'Error', message: 'ParameterNotFound: /trimtab/link-secret in account 123456789012', path: PATH, method: 'GET' }]]);
  });

  it('answers 503 with a reference when there is no log, and when what failed threw no Error at all', async () => {
    // Prepare
    const noLog = await harness();
    noLog.deps.log = undefined;
    noLog.deps.secret = async () => {
      throw new Error('ParameterNotFound');
    };
    const thrownNull = await harness();
    thrownNull.deps.secret = async () => {
      throw null;
    };
    // Act
    const answers = [await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), noLog.deps), await handleApprovalRequest(get(`t=${encodeURIComponent(token('approve'))}`), thrownNull.deps)];
    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([503, 503]);
    expect(answers.map((a) => /<title>([^<]*)<\/title>/.exec(a.body)![1])).toEqual(['Something went wrong · trimtab', 'Something went wrong · trimtab']);
    expect(thrownNull.logs).toEqual([['approval page error', { reference: expect.stringMatching(/^ref-[0-9a-f]{12}$/), error: undefined, message: expect.any(String), path: PATH, method: 'GET' }]]);
    expect(await undecided(thrownNull)).toEqual({ status: 'waiting', decision: null, sent: [] });
  });

  it('makes an error page that escapes what it is given', () => {
    // Act
    const response = problem(418, 'A <b>title</b>', 'A "message" & more');
    // Assess
    expect(response).toEqual({ statusCode: 418, headers: HEADERS, body: problemHtml('A &lt;b&gt;title&lt;/b&gt;', 'A &quot;message&quot; &amp; more') });
  });
});

describe('a decision (POST): only a confirmed, complete form decides', () => {
  const approveForm = (extra: [string, string][] = [['include', 'f1'], ['include', 'f2'], ['confirm', 'approve']]): [string, string][] => [['t', token('approve')], ['selection', '1'], ...extra];

  it('approves every ticked resource when the word is typed, in any case and with spaces around it', async () => {
    // Prepare
    const h = await harness();
    // Act
    const response = await handleApprovalRequest(post(approveForm([['include', 'f1'], ['include', 'f2'], ['confirm', '  ApProVe ']]), 'Application/X-WWW-Form-Urlencoded; charset=UTF-8'), h.deps);
    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: HEADERS,
      body: html('Approved', '<h1>Approved</h1><div class="box good">Thank you. trimtab will now apply 2 changes, verify them, and email the approvers what happened, with how to undo each one.</div>'),
    });
    const after = (await h.store.get(ID))!;
    expect(after.status).toBe('approved');
    expect(after.decision).toMatchObject({ decision: 'approve', actor: 'oncall@example.com', excluded: [], via: 'link', sourceIp: '203.0.113.9', userAgent: 'Mozilla/5.0' });
    expect(h.sent).toEqual([['success', 'task-token', { decision: 'approve', actor: 'oncall@example.com', selected: 2 }]]);
  });

  it('takes a form type with spaces before its parameters, and a request the transport named no client for', async () => {
    // Prepare
    const h = await harness();
    const request = { ...post(approveForm(), ' application/x-www-form-urlencoded ; charset=UTF-8'), client: undefined };
    // Act
    const response = await handleApprovalRequest(request, h.deps);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<h1>Approved</h1>');
    const after = (await h.store.get(ID))!;
    expect(after.status).toBe('approved');
    expect(after.decision).toMatchObject({ decision: 'approve', actor: 'oncall@example.com', excluded: [], via: 'link' });
    expect(after.decision?.sourceIp).toBeUndefined();
    expect(after.decision?.userAgent).toBeUndefined();
    expect(h.sent).toEqual([['success', 'task-token', { decision: 'approve', actor: 'oncall@example.com', selected: 2 }]]);
  });

  it('leaves out an unticked resource and says so', async () => {
    // Prepare
    const h = await harness();
    // Act
    const response = await handleApprovalRequest(post(approveForm([['include', 'f2'], ['confirm', 'approve']])), h.deps);
    // Assess
    expect(response.body).toContain('<div class="box good">Thank you. trimtab will now apply 1 change (1 opted out), verify them,');
    expect((await h.store.get(ID))!.decision?.excluded).toEqual(['f1']);
  });

  it('rejects when the reject word is typed, with no selection needed', async () => {
    // Prepare
    const h = await harness();
    // Act
    const response = await handleApprovalRequest(post([['t', token('reject')], ['confirm', 'reject']]), h.deps);
    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: HEADERS,
      body: html('Rejected', '<h1>Rejected</h1><div class="box good">Thank you. Nothing will be changed; the approvers get an email saying so.</div>'),
    });
    expect((await h.store.get(ID))!.status).toBe('rejected');
    expect(h.sent).toEqual([['failure', 'task-token', 'trimtab.Rejected', 'Rejected by oncall@example.com']]);
  });

  const refusals: [string, [string, string][], number, string, string][] = [
    ['an approve form without the selection marker', [['t', ''], ['include', 'f1'], ['confirm', 'approve']], 400, 'Incomplete form', 'The form did not say which resources to change. Open the link again and use the button on the page.'],
    ['an approve form with two selection markers', [['t', ''], ['selection', '1'], ['selection', '1'], ['include', 'f1'], ['confirm', 'approve']], 400, 'Incomplete form', 'The form did not say which resources to change. Open the link again and use the button on the page.'],
    ['a resource that is not in the request', [['t', ''], ['selection', '1'], ['include', 'f1'], ['include', 'f9'], ['confirm', 'approve']], 400, 'Unknown resource', 'The form names resources that are not part of this request. Nothing was changed.'],
    ['no confirmation typed (a scanner submitting the form)', [['t', ''], ['selection', '1'], ['include', 'f1']], 400, 'Not confirmed', 'Type the word &quot;approve&quot; in the box on the page to confirm. Nothing was decided. Nothing was changed.'],
    ['the other decision typed', [['t', ''], ['selection', '1'], ['include', 'f1'], ['confirm', 'reject']], 400, 'Not confirmed', 'Type the word &quot;approve&quot; in the box on the page to confirm. Nothing was decided. Nothing was changed.'],
    ['two confirmations', [['t', ''], ['selection', '1'], ['include', 'f1'], ['confirm', 'approve'], ['confirm', 'approve']], 400, 'Not confirmed', 'Type the word &quot;approve&quot; in the box on the page to confirm. Nothing was decided. Nothing was changed.'],
    ['every resource unticked', [['t', ''], ['selection', '1'], ['confirm', 'approve']], 400, 'Not decided', 'Every resource was opted out, so there is nothing to approve. Select at least one, or use the reject link. Nothing was changed.'],
  ];
  for (const [what, fields, status, title, message] of refusals) {
    it(`refuses ${what} with ${status} "${title}"`, async () => {
      // Prepare
      const h = await harness();
      const form = fields.map(([k, v]): [string, string] => (k === 't' ? [k, token('approve')] : [k, v]));
      // Act
      const response = await handleApprovalRequest(post(form), h.deps);
      // Assess
      expect(response).toEqual({ statusCode: status, headers: HEADERS, body: problemHtml(title, message) });
      expect(await undecided(h)).toEqual({ status: 'waiting', decision: null, sent: [] });
    });
  }

  it('answers 409 "Already decided" to a confirmed form for a request someone else decided', async () => {
    // Prepare
    const h = await harness(record({ status: 'approved', decision: { decision: 'reject', actor: 'lead@example.com', at: '2026-11-01T00:05:00.000Z', excluded: [], via: 'link' } }));
    // Act
    const response = await handleApprovalRequest(post(approveForm()), h.deps);
    // Assess
    expect(response.statusCode).toBe(409);
    expect(response.body).toBe(problemHtml('Already decided', 'This request was already rejected by lead@example.com at 2026-11-01T00:05:00.000Z. Nothing was changed now.'));
    expect(h.sent).toEqual([]);
  });

  it('answers 409 "Not decided" to a confirmed form for a request not waiting yet', async () => {
    // Prepare
    const h = await harness(record({ status: 'recorded' }));
    // Act
    const response = await handleApprovalRequest(post(approveForm()), h.deps);
    // Assess
    expect(response.statusCode).toBe(409);
    expect(response.body).toBe(problemHtml('Not decided', 'This request is &#39;recorded&#39;, not waiting for a decision. Nothing was changed.'));
  });

  it('answers 410 "Too late" to a confirmed form after the request expired, even with a link that has not', async () => {
    // Prepare
    const h = await harness(record({ expiresAt: '2026-10-31T00:00:00.000Z' }));
    // Act
    const response = await handleApprovalRequest(post(approveForm()), h.deps);
    // Assess
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain('<h1>Too late</h1><div class="box bad">This request expired at 2026-10-31T00:00:00.000Z: a timeout counts as not approved.');
    expect(h.sent).toEqual([]);
  });

  it('answers 202 "Decision recorded" without "nothing was changed" when Step Functions says the wait is over and the outcome is not known', async () => {
    // Prepare: Step Functions answers TaskTimedOut and the record stays approved
    const h = await harness(record(), {
      success: async () => {
        throw Object.assign(new Error('Task timed out'), { name: 'TaskTimedOut' });
      },
    });
    // Act
    const response = await handleApprovalRequest(post(approveForm()), h.deps);
    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.headers).toEqual(HEADERS);
    expect(response.body).toMatch(/^<!doctype html>.*<title>Decision recorded · trimtab<\/title>.*<body><h1>Decision recorded<\/h1><div class="box bad">Your decision was recorded, but Step Functions answered that the wait was over \(TaskTimedOut\)\..*<\/div><\/body><\/html>$/s);
    expect(response.body).not.toContain('Nothing was changed');
  });

  it('shows the note when a repeated delivery found the workflow already resumed', async () => {
    // Prepare: the first delivery got through (the record moved on), the repeat is answered TaskTimedOut
    const h = await harness(record(), {
      success: async () => {
        await h.store.update(ID, { status: 'applying' });
        throw Object.assign(new Error('Task timed out'), { name: 'TaskTimedOut' });
      },
    });
    // Act
    const response = await handleApprovalRequest(post(approveForm()), h.deps);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(
      'email the approvers what happened, with how to undo each one.</div><p class="muted">Step Functions answered TaskTimedOut to a repeated delivery; the first one had already resumed the workflow (now &#39;applying&#39;).</p></body>',
    );
  });
});
