/**
 * Attacks on the approval page, beyond the 18 in test/integration/approval-page.test.ts
 * (forged signature, expired link, another approval's link, flipped decision, GET prefetch,
 * no/two/garbage tokens, oversized body, JSON body, odd id, PUT, unknown resource, nothing
 * selected, missing selection marker, replay). A real execution waits at "Ask the approvers":
 * any attack that got through would resume it and change the sandbox account. None may.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalPageHandler } from '../../lib/approval/lambda.ts';
import { handleApprovalRequest, type HttpRequest } from '../../lib/approval/page.ts';
import { CLOCK, SECRET, linkIn, startApproval, token, type ApprovalHarness } from '../approval-helpers.ts';
import { summary } from './harness.ts';
import { checkSeal, planHashOf, TamperedApprovalError } from '../../lib/approval/seal.ts';
import { decide } from '../../lib/approval/workflow.ts';
import { WORKFLOW_ERRORS } from '../../lib/approval/state-machine.ts';

let h: ApprovalHarness;
beforeAll(async () => {
  h = await startApproval();
});
afterAll(async () => {
  summary('approval attacks', counts);
  await h.stack.stop();
});

const counts = { attacksTried: 0, fuzzedRequests: 0, rejected: 0, decisionsMade: 0, accountWritesThatShouldNotHappen: 0 };
const deps = () => ({ store: h.store, tasks: h.stack.tasks, now: CLOCK, secret: async () => SECRET });
const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();
const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }): HttpRequest => ({ method: 'POST', path, query: '', body, headers });
const path = () => `/approvals/${h.approvalId}`;

async function expectNothingChanged() {
  const record = await h.record();
  const writes = h.env.sandbox.successfulWrites().length;
  counts.decisionsMade += h.stack.tasks.sent.length;
  counts.accountWritesThatShouldNotHappen += writes;
  expect(record.status).toBe('waiting');
  expect(record.decision ?? undefined).toBeUndefined();
  expect(h.stack.tasks.sent).toEqual([]);
  expect(writes).toBe(0);
}

/** Swap one claim in a genuine token's payload, keeping its signature. */
function tampered(claims: Partial<{ a: string; d: string; r: string; e: number }>) {
  const [payload, signature] = token(h.approvalId, 'reject').split('.');
  const decoded = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...claims };
  return `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
}

describe('approval attacks: every one is refused and nothing is decided or changed', () => {
  const attacks: [string, () => HttpRequest, number, RegExp][] = [
    ['an expiry pushed into the future (signature kept)', () => post(path(), form([['t', tampered({ e: 4_000_000_000 })], ['selection', '1']])), 403, /signature does not match/],
    ['another recipient written into a genuine token', () => post(path(), form([['t', tampered({ r: 'attacker@evil.example' })], ['selection', '1']])), 403, /signature does not match/],
    ['a token signed with an empty-ish guessable secret', () => post(path(), form([['t', token(h.approvalId, 'approve', { secret: 'x'.repeat(32) })], ['selection', '1']])), 403, /signature does not match/],
    ['a signature truncated by one character', () => post(path(), form([['t', token(h.approvalId, 'approve').slice(0, -1)], ['selection', '1']])), 403, /signature does not match/],
    ['a signature in standard base64 instead of base64url', () => post(path(), form([['t', token(h.approvalId, 'approve').replace(/-/g, '+').replace(/_/g, '/') + '==']])), 400, /not in the shape/],
    ['a token that expired one second ago', () => post(path(), form([['t', token(h.approvalId, 'approve', { expiresAt: new Date(CLOCK().getTime() - 1000) })], ['selection', '1']])), 410, /expired/],
    ['a token expiring exactly now', () => post(path(), form([['t', token(h.approvalId, 'approve', { expiresAt: CLOCK() })], ['selection', '1']])), 410, /expired/],
    ['a genuine token for an id that differs only in case', () => post(`/approvals/${h.approvalId.toUpperCase()}`, form([['t', token(h.approvalId, 'approve')], ['selection', '1']])), 400, /not one trimtab issues/],
    ['a token in the query string of a POST (not the form)', () => ({ ...post(path(), form([['selection', '1']])), query: `t=${token(h.approvalId, 'approve')}` }), 400, /exactly one token/],
    ['a GET with two tokens', () => ({ method: 'GET', path: path(), query: `t=${token(h.approvalId, 'approve')}&t=${token(h.approvalId, 'reject')}`, headers: {} }), 400, /more than one token/],
    ['a GET with a 3 KB query', () => ({ method: 'GET', path: path(), query: `t=${'a'.repeat(3000)}`, headers: {} }), 414, /far longer/],
    ['a token over 1 KB', () => post(path(), form([['t', `${'a'.repeat(1100)}.b`], ['selection', '1']])), 400, /too long/],
    ['a multipart body', () => post(path(), `--x\r\nContent-Disposition: form-data; name="t"\r\n\r\n${token(h.approvalId, 'approve')}\r\n--x--`, { 'content-type': 'multipart/form-data; boundary=x' }), 415, /from the page/],
    ['a POST without a content type', () => post(path(), form([['t', token(h.approvalId, 'approve')], ['selection', '1']]), {}), 415, /from the page/],
    ['a DELETE', () => ({ method: 'DELETE', path: path(), query: '', headers: {} }), 405, /Open the link/],
    ['a path with a trailing traversal', () => ({ method: 'GET', path: `${path()}/../../admin`, query: '', headers: {} }), 404, /no page here/],
    ['an approval id with a NUL byte', () => ({ method: 'GET', path: `/approvals/${h.approvalId}%00`, query: `t=${token(h.approvalId, 'approve')}`, headers: {} }), 400, /not one trimtab issues/],
    ['an HTML/script payload in the approval id', () => ({ method: 'GET', path: '/approvals/%3Cscript%3Ealert(1)%3C%2Fscript%3E', query: '', headers: {} }), 400, /not one trimtab issues/],
    ['a reject token posted with an approval selection (decision cannot be upgraded)', () => post(path(), form([['t', tampered({ d: 'approve' })], ['selection', '1']])), 403, /signature does not match/],
    ['a 20 000-field form', () => post(path(), Array.from({ length: 20_000 }, (_, i) => `include=${i}`).join('&')), 413, /more data/],
  ];

  it.each(attacks)('refuses %s', async (_name, request, status, message) => {
    counts.attacksTried += 1;
    const response = await handleApprovalRequest(request(), deps());
    expect(response.statusCode).toBe(status);
    expect(response.body).toMatch(message);
    expect(response.body).toContain('Nothing was changed');
    expect(response.body).not.toContain('<script>');
    counts.rejected += 1;
    await expectNothingChanged();
  });

  it('does not decide on a GET of the genuine link, even with a POST-looking body or an override header', async () => {
    counts.attacksTried += 1;
    const t = token(h.approvalId, 'approve');
    const response = await handleApprovalRequest({ method: 'GET', path: path(), query: `t=${t}`, body: form([['t', t], ['selection', '1']]), headers: { 'x-http-method-override': 'POST' } }, deps());
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Opening this page changed nothing');
    await expectNothingChanged();
  });

  it('answers malformed Lambda events (not from the HTTP API) with a 400 page', async () => {
    for (const event of [null, 42, 'GET /approvals', [], { rawPath: 5 }, { headers: 'x' }, { requestContext: { http: { method: ['POST'] } } }, { body: { t: 'x' } }]) {
      counts.attacksTried += 1;
      const response = await approvalPageHandler(event as never, deps());
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('Nothing was changed');
      counts.rejected += 1;
    }
    await expectNothingChanged();
  });

  it('fuzz: random methods, paths, queries, bodies and tokens never decide (GET shows at most the plan)', async () => {
    const genuine = token(h.approvalId, 'approve');
    const tokenish = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.base64String({ maxLength: 200 }).map((s) => `${s}.${s}`),
      fc.nat(genuine.length - 1).map((i) => genuine.slice(0, i) + (genuine[i] === 'A' ? 'B' : 'A') + genuine.slice(i + 1)), // one character flipped
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'OPTIONS', 'post'),
      path: fc.oneof(fc.constant(path()), fc.string({ maxLength: 60 }).map((s) => `/approvals/${s}`), fc.string({ maxLength: 60 })),
      t: tokenish,
      extra: fc.array(fc.tuple(fc.constantFrom('selection', 'include', 't', 'decision', 'approvalId'), fc.string({ maxLength: 40 })), { maxLength: 5 }),
      contentType: fc.constantFrom('application/x-www-form-urlencoded', 'text/plain', 'application/json', ''),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path: p, t, extra, contentType }) => {
        counts.fuzzedRequests += 1;
        const body = form([['t', t], ...extra]);
        const response = await handleApprovalRequest({ method, path: p, query: form([['t', t]]), body, headers: contentType ? { 'content-type': contentType } : {} }, deps());
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.body).not.toMatch(/<h1>(Approved|Rejected)<\/h1>/);
        counts.rejected += 1;
      }),
      { seed: 11, numRuns: 200 },
    );
    await expectNothingChanged();
  });
});

/**
 * Raw bytes at the local approval server (the demo's and `trimtab approvals serve`'s): a request
 * that lies about its body, cannot be parsed or is far too large must not take the process
 * down, and the genuine link must keep working after each.
 */
function raw(baseUrl: string, bytes: string, opts: { hangUpAfterWrite?: boolean } = {}): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('connect', () => {
      socket.write(bytes);
      if (opts.hangUpAfterWrite) setTimeout(() => socket.destroy(), 20);
    });
    setTimeout(() => socket.destroy(), 3000);
  });
}

describe('the local approval server survives hostile connections', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeAll(() => void process.on('unhandledRejection', onUnhandled));
  afterAll(() => void process.off('unhandledRejection', onUnhandled));

  const stillServes = async () => {
    const link = linkIn(h.stack.mail.emails.find((e) => e.to[0] === 'oncall@example.com')!.text, 'Approve');
    const response = await fetch(link);
    await response.text();
    return response.status;
  };

  it('drops a POST that promises a body and hangs up, and keeps serving', async () => {
    // Act: 1000 bytes promised, 12 sent, then the connection is gone (ECONNRESET / aborted on the server)
    counts.attacksTried += 1;
    await raw(h.stack.approvalBaseUrl, `POST /approvals/${h.approvalId} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nt=abc&select`, { hangUpAfterWrite: true });
    await new Promise((r) => setTimeout(r, 50));

    // Assess
    expect(unhandled).toEqual([]);
    expect(await stillServes()).toBe(200);
    counts.rejected += 1;
    await expectNothingChanged();
  });

  it('answers 400 to a request it cannot parse, and keeps serving', async () => {
    counts.attacksTried += 2;
    const garbage = await raw(h.stack.approvalBaseUrl, 'THIS IS NOT HTTP\r\n\r\n');
    const badHeader = await raw(h.stack.approvalBaseUrl, `GET /approvals/${h.approvalId} HTTP/1.1\r\nHost: x\r\nBad Header: a\r\n\r\n`);

    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(badHeader).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(unhandled).toEqual([]);
    expect(await stillServes()).toBe(200);
    counts.rejected += 2;
    await expectNothingChanged();
  });

  it('answers 400 to a request target that is not a URL, and keeps serving', async () => {
    counts.attacksTried += 1;
    const answer = await raw(h.stack.approvalBaseUrl, 'GET http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');

    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(unhandled).toEqual([]);
    expect(await stillServes()).toBe(200);
    counts.rejected += 1;
  });

  it('answers 413 to a declared 10 MB body without reading it, and closes the connection', async () => {
    counts.attacksTried += 1;
    const answer = await raw(h.stack.approvalBaseUrl, `POST /approvals/${h.approvalId} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10485760\r\n\r\nt=`);

    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/connection: close/i);
    expect(answer).toContain('more data than an approval needs');
    expect(unhandled).toEqual([]);
    expect(await stillServes()).toBe(200);
    counts.rejected += 1;
    await expectNothingChanged();
  });

  it('answers 413 to an oversized body sent without a length (chunked), and keeps serving', async () => {
    counts.attacksTried += 1;
    const chunk = 'a'.repeat(8192);
    const body = Array.from({ length: 4 }, () => `${(8192).toString(16)}\r\n${chunk}\r\n`).join('') + '0\r\n\r\n';
    const answer = await raw(h.stack.approvalBaseUrl, `POST /approvals/${h.approvalId} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);

    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(unhandled).toEqual([]);
    expect(await stillServes()).toBe(200);
    counts.rejected += 1;
    await expectNothingChanged();
  });
});

describe('approval attacks on the stored plan: Apply changes only what the approvers were asked (issue 24 point 3)', () => {
  const approve = (x: ApprovalHarness) => decide({ store: x.store, tasks: x.stack.tasks, now: CLOCK }, { approvalId: x.approvalId, decision: 'approve', actor: 'oncall@example.com', via: 'link' });
  const lifecycleBuckets = (x: ApprovalHarness) => x.env.sandbox.successfulWrites('PutBucketLifecycleConfiguration').map((w) => (w.input as { Bucket: string }).Bucket);

  it('refuses an approval whose plan params were edited in the store after the email, records why, and changes nothing', async () => {
    // Prepare: the execution waits; someone with write access to the table re-points one plan at another bucket
    const x = await startApproval();
    try {
      const stored = x.store.records.get(x.approvalId)!;
      const target = stored.findings[0];
      target.plan!.params = { ...target.plan!.params, bucket: 'someone-elses-bucket' };
      // Act
      await approve(x);
      const error = await x.stack.workflow.executions.get(x.approvalId)!.result.then(() => undefined, (e: Error) => e);
      // Assess
      expect(error?.name).toBe(WORKFLOW_ERRORS.workflowFailed);
      const done = await x.record();
      expect(done.status).toBe('failed');
      expect(done.error).toEqual({ Error: 'TamperedApprovalError', Cause: expect.stringContaining(`the stored plan for ${target.resource.id} no longer matches its hash`) });
      expect(done.actions ?? []).toEqual([]);
      expect(x.env.sandbox.successfulWrites()).toEqual([]);
    } finally {
      await x.stack.stop();
    }
  });

  it('refuses an edit that also recomputes the plan hash (the seal covers params, hash, resource and policy)', async () => {
    // Prepare: the attacker knows how plan hashes are made and recomputes it; only the link secret could re-seal
    const x = await startApproval();
    try {
      const stored = x.store.records.get(x.approvalId)!;
      const target = stored.findings[0];
      target.plan!.params = { ...target.plan!.params, bucket: 'someone-elses-bucket' };
      target.plan!.hash = planHashOf(stored.policy.id, target);
      // Act
      await approve(x);
      await x.stack.workflow.executions.get(x.approvalId)!.result.catch(() => undefined);
      // Assess
      const done = await x.record();
      expect(done.status).toBe('failed');
      expect(done.error).toEqual({ Error: 'TamperedApprovalError', Cause: expect.stringContaining('was changed after the approvers were asked') });
      expect(lifecycleBuckets(x)).toEqual([]);
    } finally {
      await x.stack.stop();
    }
  });

  it('refuses a record whose seal was removed, and one whose policy was swapped after the email', async () => {
    // Prepare
    const x = await startApproval();
    try {
      const stored = x.store.records.get(x.approvalId)!;
      const sealed = structuredClone(stored);
      // Act / Assess: no seal
      delete stored.seal;
      expect(() => checkSeal(stored, SECRET)).toThrow(/carries no seal/);
      // Act / Assess: the policy's action options changed (the seal holds the policy too)
      const swapped = { ...sealed, policy: { ...sealed.policy, action: { ...sealed.policy.action!, abortIncompleteMultipartUploadDays: 1 } } };
      expect(() => checkSeal(swapped as never, SECRET)).toThrow(TamperedApprovalError);
      // The genuine record passes.
      expect(() => checkSeal(sealed, SECRET)).not.toThrow();
      expect(sealed.seal).toMatchObject({ kid: expect.stringMatching(/^h[0-9a-f]{8}$/), mac: expect.any(String) });
    } finally {
      await x.stack.stop();
    }
  });
});
