/** Issue 24 point 7, the approval parts: invisible characters, the Why: cap, expiry fail-closed, key ids and rotation, a deliberate approve. */
import { describe, expect, it } from 'vitest';
import { approvalRequestEmail, MAX_WHY_LENGTH, neutralise } from '../../../lib/approval/email.ts';
import { InvalidLinkError, keyRing, signLink, verifyLink } from '../../../lib/approval/links.ts';
import { handleApprovalRequest } from '../../../lib/approval/page.ts';
import { checkSeal, planHashOf, sealApproval } from '../../../lib/approval/seal.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import { decide } from '../../../lib/approval/workflow.ts';
import { pageForm } from '../../../lib/cli/demo.ts';
import type { FindingResult } from '../../../lib/engine/run.ts';
import { CLOCK, SECRET } from '../../approval-helpers.ts';

const OLD_KEY = 'k2025:old-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const NEW_KEY = 'k2026:new-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

const finding = (reason = 'Quiet for 30 days.'): FindingResult => ({
  id: 'f1', policy: 'p1', detector: 'd', mode: 'approval', status: 'actionable', outcome: 'awaiting-approval', reason, evidence: {},
  resource: { type: 's3-bucket', id: 'acme-web', arn: 'arn:aws:s3:::acme-web', account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd: 3, basis: [] },
  plan: { action: 'add-lifecycle-rules', summary: 'Add a rule.', params: { bucket: 'acme-web' }, undo: 'Remove it.', hash: 'h1' },
});

const record = (overrides: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  approvalId: 'apr-abc123def4', status: 'waiting', createdAt: CLOCK().toISOString(), updatedAt: CLOCK().toISOString(), account: '123456789012',
  policy: { id: 'p1', resource: 's3-bucket', detector: { type: 'd' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 } } as never,
  findings: [finding()], approvers: ['oncall@example.com'], timeoutSeconds: 3600, expiresAt: '2026-11-02T00:00:00.000Z', ttl: 0, taskToken: 'task-token',
  ...overrides,
});

const tasks = (sent: unknown[]) => ({ success: async (...a: unknown[]) => void sent.push(a), failure: async (...a: unknown[]) => void sent.push(a) });

describe('the text-email neutraliser', () => {
  it('shows zero-width, no-break and other invisible or format characters as visible escapes', () => {
    // Prepare: ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen, NBSP, narrow NBSP, ideographic space, Hangul filler, a tag character
    const hidden = 'a\u200Bb\u200Cc\u200Dd\u2060e\uFEFFf\u00ADg\u00A0h\u202Fi\u3000j\u3164k\u{E0041}l';
    // Act
    const shown = neutralise(hidden);
    // Assess
    expect(shown).toBe('a\\u200bb\\u200cc\\u200dd\\u2060e\\ufefff\\u00adg\\u00a0h\\u202fi\\u3000j\\u3164k\\ue0041l');
    expect(neutralise('acme-web · café — 12 €')).toBe('acme-web · café — 12 €');
  });
});

describe('the Why: line', () => {
  it(`is cut at ${MAX_WHY_LENGTH} characters, so no look-alike "Approve:" line can be wrapped into place`, () => {
    // Prepare: a reason padded with spaces to push a fake Approve line onto its own visual line
    const reason = `Idle.${' '.repeat(400)}Approve: http://evil.example/approvals/apr-evil000001?t=steal`;
    // Act
    const email = approvalRequestEmail(record({ findings: [finding(reason)] }), 'oncall@example.com', { approve: 'https://x.example/a', reject: 'https://x.example/r' });
    // Assess
    const why = email.text.split('\n').find((l) => l.trimStart().startsWith('Why:'))!;
    expect(why.trimStart().length).toBeLessThanOrEqual('Why: '.length + MAX_WHY_LENGTH);
    expect(why.endsWith('…')).toBe(true);
    expect(email.text).not.toContain('evil.example');
    expect(email.html).not.toContain('evil.example');
  });
});

describe('a record with no expiry', () => {
  it('fails closed: the decision is refused as timed out and nothing is resumed', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record({ expiresAt: undefined }));
    const sent: unknown[] = [];
    // Act
    const result = await decide({ store, now: CLOCK, tasks: tasks(sent) }, { approvalId: 'apr-abc123def4', decision: 'approve', actor: 'oncall@example.com', via: 'link' });
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'timed-out', message: expect.stringContaining('carries no expiry') });
    expect(sent).toEqual([]);
    expect((await store.get('apr-abc123def4'))!.status).toBe('waiting');
  });
});

describe('the link secret as a key ring with key ids', () => {
  const claims = { approvalId: 'apr-abc123def4', decision: 'approve' as const, recipient: 'oncall@example.com', expiresAt: new Date('2026-11-02T00:00:00Z') };

  it('signs with the first key, names it in the token, and verifies links signed with the previous key after a rotation', () => {
    // Prepare: a link signed before the rotation
    const before = signLink(claims, OLD_KEY);
    // Act: the ring after the rotation (new key first, old key kept below it)
    const ring = `${NEW_KEY}\n${OLD_KEY}`;
    const after = signLink(claims, ring);
    // Assess
    expect(keyRing(ring).map((k) => k.kid)).toEqual(['k2026', 'k2025']);
    expect(JSON.parse(Buffer.from(after.split('.')[0], 'base64url').toString())).toMatchObject({ k: 'k2026' });
    expect(verifyLink(before, ring, { approvalId: claims.approvalId, now: CLOCK() }).decision).toBe('approve');
    expect(verifyLink(after, ring, { approvalId: claims.approvalId, now: CLOCK() }).decision).toBe('approve');
  });

  it('refuses a link once its key is dropped from the ring, and a payload naming another key than its signer', () => {
    // Prepare
    const old = signLink(claims, OLD_KEY);
    const [payload] = old.split('.');
    const relabelled = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), k: 'k2026' })).toString('base64url');
    const { createHmac } = require('node:crypto') as typeof import('node:crypto');
    const resigned = `${relabelled}.${createHmac('sha256', OLD_KEY.slice('k2025:'.length)).update(relabelled).digest('base64url')}`;
    // Act / Assess
    expect(() => verifyLink(old, NEW_KEY, { approvalId: claims.approvalId, now: CLOCK() })).toThrow(InvalidLinkError);
    expect(() => verifyLink(resigned, `${NEW_KEY}\n${OLD_KEY}`, { approvalId: claims.approvalId, now: CLOCK() })).toThrow(/another signing key/);
  });

  it('verifies a seal made with the previous key, and refuses it once that key is dropped', () => {
    // Prepare: a record whose plan hash is the real one (as the engine makes it)
    const base = record();
    base.findings[0].plan!.hash = planHashOf(base.policy.id, base.findings[0]);
    const sealed = { ...base, seal: sealApproval(base, OLD_KEY) };
    // Act / Assess
    expect(sealed.seal.kid).toBe('k2025');
    expect(() => checkSeal(sealed, `${NEW_KEY}\n${OLD_KEY}`)).not.toThrow();
    expect(() => checkSeal(sealed, NEW_KEY)).toThrow(/no longer in the ring/);
  });

  it('refuses a ring with a short key or a repeated key id', () => {
    expect(() => keyRing(`${NEW_KEY}\nk1:short`)).toThrow(/shorter than 32/);
    expect(() => keyRing(`${NEW_KEY}\n${NEW_KEY}`)).toThrow(/same key id twice/);
  });
});

describe('the approve form', () => {
  const t = () => signLink({ approvalId: 'apr-abc123def4', decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date('2026-11-02T00:00:00Z') }, SECRET);
  const pageDeps = (store: MemoryApprovalStore, sent: unknown[]) => ({ store, now: CLOCK, secret: async () => SECRET, tasks: tasks(sent) });

  it('decides nothing when submitted as it comes (what a mail scanner that submits forms sends)', async () => {
    // Prepare: the page as GET renders it
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record());
    const sent: unknown[] = [];
    const token = t();
    const page = await handleApprovalRequest({ method: 'GET', path: '/approvals/apr-abc123def4', query: `t=${encodeURIComponent(token)}`, headers: {} }, pageDeps(store, sent));
    expect(page.body).toContain('name="confirm" value=""');
    // Act: submit it with its hidden fields and pre-ticked boxes, nothing typed
    const form = pageForm(page.body);
    const response = await handleApprovalRequest({ method: 'POST', path: form.action, query: '', body: form.body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, pageDeps(store, sent));
    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Not confirmed');
    expect(sent).toEqual([]);
    expect((await store.get('apr-abc123def4'))!.status).toBe('waiting');
  });

  it('decides when the person typed the word, and refuses the other word', async () => {
    // Prepare
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(record());
    const sent: unknown[] = [];
    const body = (word: string) => new URLSearchParams([['t', t()], ['selection', '1'], ['include', 'f1'], ['confirm', word]]).toString();
    const post = (word: string) => handleApprovalRequest({ method: 'POST', path: '/approvals/apr-abc123def4', query: '', body: body(word), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, pageDeps(store, sent));
    // Act
    const wrong = await post('reject');
    const right = await post(' Approve ');
    // Assess
    expect(wrong.statusCode).toBe(400);
    expect(right.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
    expect((await store.get('apr-abc123def4'))!.status).toBe('approved');
  });
});
