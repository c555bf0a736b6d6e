/**
 * Signed approval links (lib/approval/links.ts), value by value: written to kill the mutants
 * Stryker makes of it (docs/testing.md "Mutation testing"). Imports nothing but the module.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidLinkError, keyRing, linkUrl, macMatches, macWith, MAX_LINK_LIFETIME_MS, MAX_TOKEN_LENGTH, MIN_SECRET_LENGTH, signLink, verifyLink } from '../../../lib/approval/links.ts';

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(40);
const SECRET = `k1:${KEY_A}`;
const NOW = new Date('2026-11-01T00:00:00Z');
const ID = 'apr-abc123';
const claims = (over: Partial<Parameters<typeof signLink>[0]> = {}) => ({ approvalId: ID, decision: 'approve' as const, recipient: 'ops@example.com', expiresAt: new Date('2026-11-02T00:00:00Z'), ...over });

/** A token over any payload, signed with `secret` as trimtab would sign it. */
const signed = (payload: unknown, secret = KEY_A) => {
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
};
const payload = (over: Record<string, unknown> = {}) => ({ k: 'k1', a: ID, d: 'approve', r: 'ops@example.com', e: Date.parse('2026-11-02T00:00:00Z') / 1000, ...over });

/** The refusal verifyLink throws, as reason and message. */
const refusal = (token: unknown, secret = SECRET, expected = { approvalId: ID, now: NOW }) => {
  try {
    verifyLink(token, secret, expected);
  } catch (error) {
    if (error instanceof InvalidLinkError) return { reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('verifyLink accepted the token');
};

describe('keyRing', () => {
  it('reads one key a line, `<id>:<secret>`, trimming lines and skipping blank ones (LF and CRLF)', () => {
    // Act
    const keys = keyRing(`  new:${KEY_B}  \r\n\n old:${KEY_A}\n`);

    // Assess
    expect(keys).toEqual([
      { kid: 'new', secret: KEY_B },
      { kid: 'old', secret: KEY_A },
    ]);
  });

  it('derives the id of a line without one from its SHA-256 (h + 8 hex)', () => {
    // Act
    const [key] = keyRing(KEY_A);

    // Assess
    expect(key).toEqual({ kid: `h${createHash('sha256').update(KEY_A).digest('hex').slice(0, 8)}`, secret: KEY_A });
    expect(key.kid).toMatch(/^h[0-9a-f]{8}$/);
  });

  it('takes an id of 1 to 32 letters, digits, _ and -, and reads anything else before a colon as part of the secret', () => {
    // Act / Assess
    expect(keyRing(`A_b-9:${KEY_A}`)[0].kid).toBe('A_b-9');
    expect(keyRing(`${'x'.repeat(32)}:${KEY_A}`)[0].kid).toBe('x'.repeat(32));
    const long = `${'x'.repeat(33)}:${KEY_A}`;
    expect(keyRing(long)[0]).toEqual({ kid: `h${createHash('sha256').update(long).digest('hex').slice(0, 8)}`, secret: long });
    const dotted = `a.b:${KEY_A}`;
    expect(keyRing(dotted)[0].secret).toBe(dotted);
    expect(keyRing(`:${KEY_A}`)[0].secret).toBe(`:${KEY_A}`);
  });

  it('reads a line with a lone carriage return inside as one key with a derived id, not as an id and the secret before the \r', () => {
    // Prepare
    const line = `k1:${KEY_A}\r${KEY_B}`;

    // Act
    const keys = keyRing(line);

    // Assess
    expect(keys).toEqual([{ kid: `h${createHash('sha256').update(line).digest('hex').slice(0, 8)}`, secret: line }]);
  });

  it(`refuses no key, a key shorter than ${MIN_SECRET_LENGTH} characters, a non-string and a repeated id, naming the problem`, () => {
    // Act / Assess
    expect(MIN_SECRET_LENGTH).toBe(32);
    expect(() => keyRing('')).toThrow(`The approval link secret is missing or a key in it is shorter than 32 characters; set a long random value (see docs/approval.md).`);
    expect(() => keyRing(' \n \r\n')).toThrow('shorter than 32 characters');
    expect(() => keyRing(`k1:${'a'.repeat(31)}`)).toThrow('shorter than 32 characters');
    expect(() => keyRing(`k1:${KEY_A}\nk2:short`)).toThrow('shorter than 32 characters');
    expect(keyRing(`k1:${'a'.repeat(32)}`)).toHaveLength(1);
    expect(() => keyRing(undefined as never)).toThrow('The approval link secret is missing; set a long random value (see docs/approval.md).');
    expect(() => keyRing(`k1:${KEY_A}\nk1:${KEY_B}`)).toThrow('The approval link secret names the same key id twice; give each key line its own id.');
  });
});

describe('macWith and macMatches', () => {
  it('signs with the first key and names it', () => {
    // Act
    const signedMac = macWith(`k2:${KEY_B}\nk1:${KEY_A}`, 'content');

    // Assess
    expect(signedMac).toEqual({ kid: 'k2', mac: createHmac('sha256', KEY_B).update('content').digest('base64url') });
  });

  it('accepts a mac of any key of the ring under its id, and refuses another id, another content, a non-string or a truncated mac', () => {
    // Prepare
    const ring = `k2:${KEY_B}\nk1:${KEY_A}`;
    const old = createHmac('sha256', KEY_A).update('content').digest('base64url');

    // Act / Assess
    expect(macMatches(ring, 'content', { kid: 'k1', mac: old })).toBe(true);
    expect(macMatches(ring, 'content', { kid: 'k2', mac: old })).toBe(false);
    expect(macMatches(ring, 'content', { kid: 'k3', mac: old })).toBe(false);
    expect(macMatches(ring, 'other', { kid: 'k1', mac: old })).toBe(false);
    expect(macMatches(ring, 'content', { kid: 'k1', mac: 42 })).toBe(false);
    expect(macMatches(ring, 'content', { kid: 'k1', mac: old.slice(0, -1) })).toBe(false);
    expect(macMatches(ring, 'content', { kid: 'k1' })).toBe(false);
  });
});

describe('signLink', () => {
  it('writes the key id, approval, decision, recipient and expiry (whole seconds) and signs them with the first key', () => {
    // Act
    const token = signLink(claims({ expiresAt: new Date('2026-11-02T00:00:00.999Z') }), `k2:${KEY_B}\nk1:${KEY_A}`);

    // Assess
    const [body, mac] = token.split('.');
    expect(JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))).toEqual({ k: 'k2', a: ID, d: 'approve', r: 'ops@example.com', e: 1_793_577_600 });
    expect(mac).toBe(createHmac('sha256', KEY_B).update(body).digest('base64url'));
  });

  it('refuses an invalid expiry date, naming it', () => {
    // Act / Assess
    expect(() => signLink(claims({ expiresAt: new Date('nope') }), SECRET)).toThrow("An approval link needs a valid expiry, not 'Invalid Date'.");
  });
});

describe('verifyLink', () => {
  it('gives back the claims of a token it signed, also one signed by a previous key of the ring', () => {
    // Prepare
    const old = signLink(claims({ decision: 'reject' }), SECRET);

    // Act
    const result = verifyLink(old, `k2:${KEY_B}\n${SECRET}`, { approvalId: ID, now: NOW });

    // Assess
    expect(result).toEqual({ approvalId: ID, decision: 'reject', recipient: 'ops@example.com', expiresAt: new Date('2026-11-02T00:00:00Z') });
  });

  it('refuses a missing, empty, non-string or over-long token as malformed', () => {
    // Act / Assess
    expect(refusal(undefined)).toEqual({ reason: 'malformed', message: 'The link has no token. Open the link from the email exactly as it was sent.' });
    expect(refusal('')).toEqual({ reason: 'malformed', message: 'The link has no token. Open the link from the email exactly as it was sent.' });
    expect(refusal(42)).toEqual({ reason: 'malformed', message: 'The link has no token. Open the link from the email exactly as it was sent.' });
    expect(MAX_TOKEN_LENGTH).toBe(1024);
    expect(refusal('a'.repeat(1025))).toEqual({ reason: 'malformed', message: 'The link token is too long to be one trimtab sent.' });
    expect(refusal('a'.repeat(1024)).message).toBe('The link token is not in the shape trimtab signs. It may have been cut or altered.');
  });

  it('refuses a token that is not two base64url parts as malformed', () => {
    // Prepare
    const good = signLink(claims(), SECRET);
    const [body, mac] = good.split('.');
    const shape = { reason: 'malformed', message: 'The link token is not in the shape trimtab signs. It may have been cut or altered.' };

    // Act / Assess
    expect(refusal(body)).toEqual(shape);
    expect(refusal(`${good}.x`)).toEqual(shape);
    expect(refusal(`${body}+.${mac}`)).toEqual(shape);
    expect(refusal(`+${body}.${mac}`)).toEqual(shape);
    expect(refusal(`${body}.+${mac}`)).toEqual(shape);
    expect(refusal(`${body}.${mac}=`)).toEqual(shape);
    expect(refusal(`.${mac}`)).toEqual(shape);
    expect(refusal(`${body}.`)).toEqual(shape);
  });

  it('refuses a token signed with no key of the ring, or altered, as forged', () => {
    // Prepare
    const good = signLink(claims(), SECRET);
    const [body, mac] = good.split('.');
    const forged = { reason: 'forged', message: 'The link signature does not match: this link was not issued by trimtab, or it was altered.' };

    // Act / Assess
    expect(refusal(good, `k2:${KEY_B}`)).toEqual(forged);
    expect(refusal(`${body}.${mac.slice(0, -1)}`)).toEqual(forged);
    expect(refusal(`${body}.${mac}A`)).toEqual(forged);
    expect(refusal(`${Buffer.from(JSON.stringify(payload({ d: 'reject' }))).toString('base64url')}.${mac}`)).toEqual(forged);
  });

  it('refuses a signed token whose payload names another key than the one that signed it', () => {
    // Act / Assess
    expect(refusal(signed(payload({ k: 'k2' })), `k2:${KEY_B}\n${SECRET}`)).toEqual({ reason: 'forged', message: 'The link names another signing key than the one that signed it.' });
  });

  it('accepts a signed token that names no key (made before key ids)', () => {
    // Prepare
    const { k: _k, ...unnamed } = payload();

    // Act / Assess
    expect(verifyLink(signed(unnamed), SECRET, { approvalId: ID, now: NOW }).approvalId).toBe(ID);
  });

  it('refuses signed content that is not JSON or breaks the payload schema as malformed', () => {
    // Prepare
    const bad = { reason: 'malformed', message: 'The link token is signed but its content is not valid.' };

    // Act / Assess
    expect(refusal(signed('not json'))).toEqual(bad);
    expect(refusal(signed(payload({ extra: 1 })))).toEqual(bad);
    expect(refusal(signed(payload({ a: 'apr-ABC123' })))).toEqual(bad);
    expect(refusal(signed(payload({ a: 'apr-abc12' })))).toEqual(bad);
    expect(refusal(signed(payload({ a: `apr-${'a'.repeat(33)}` })))).toEqual(bad);
    expect(refusal(signed(payload({ a: `xapr-abc123` })))).toEqual(bad);
    expect(refusal(signed(payload({ a: `apr-abc123x!` })))).toEqual(bad);
    expect(refusal(signed(payload({ d: 'maybe' })))).toEqual(bad);
    expect(refusal(signed(payload({ r: 'ab' })))).toEqual(bad);
    expect(refusal(signed(payload({ r: 'a'.repeat(255) })))).toEqual(bad);
    expect(refusal(signed(payload({ e: 1.5 })))).toEqual(bad);
    expect(refusal(signed(payload({ e: 0 })))).toEqual(bad);
    expect(refusal(signed(payload({ e: 253_402_300_800 })))).toEqual(bad);
    expect(refusal(signed(payload({ k: 'k'.repeat(33) })))).toEqual(bad);
  });

  it('accepts the payload bounds: a 6- and a 32-character id, a 3- and a 254-character recipient, a 32-character key id', () => {
    // Prepare
    const ring = `${'k'.repeat(32)}:${KEY_A}`;
    const ok = (over: Record<string, unknown>, secret = SECRET) => verifyLink(signed(payload(over)), secret, { approvalId: String(over.a ?? ID), now: NOW });

    // Act / Assess
    expect(ok({ a: 'apr-abc123' }).approvalId).toBe('apr-abc123');
    expect(ok({ a: `apr-${'a'.repeat(32)}` }).approvalId).toBe(`apr-${'a'.repeat(32)}`);
    expect(ok({ r: 'a@b' }).recipient).toBe('a@b');
    expect(ok({ r: 'a'.repeat(254) }).recipient).toBe('a'.repeat(254));
    expect(ok({ k: 'k'.repeat(32) }, ring).decision).toBe('approve');
  });

  it('refuses a link at or after its expiry, and accepts it one second before', () => {
    // Prepare
    const token = signLink(claims(), SECRET);
    const at = new Date('2026-11-02T00:00:00Z');

    // Act / Assess
    expect(refusal(token, SECRET, { approvalId: ID, now: at })).toEqual({ reason: 'expired', message: 'This link expired at 2026-11-02T00:00:00.000Z. The request was not approved in time; nothing was changed.' });
    expect(refusal(token, SECRET, { approvalId: ID, now: new Date(at.getTime() + 1000) }).reason).toBe('expired');
    expect(verifyLink(token, SECRET, { approvalId: ID, now: new Date(at.getTime() - 1000) }).decision).toBe('approve');
  });

  it('refuses a link claiming to live longer than the longest lifetime, and accepts one exactly that long', () => {
    // Prepare
    const e = Date.parse('2026-11-02T00:00:00Z') / 1000;
    const now = (ms: number) => ({ approvalId: ID, now: new Date(e * 1000 - ms) });

    // Act / Assess
    expect(MAX_LINK_LIFETIME_MS).toBe(366 * 86_400_000);
    expect(refusal(signed(payload()), SECRET, now(MAX_LINK_LIFETIME_MS + 1))).toEqual({ reason: 'malformed', message: 'The link claims to stay valid for more than a year; trimtab never issues such a link.' });
    expect(verifyLink(signed(payload()), SECRET, now(MAX_LINK_LIFETIME_MS)).approvalId).toBe(ID);
  });

  it('refuses a valid link for another approval as a mismatch', () => {
    // Act / Assess
    expect(refusal(signLink(claims(), SECRET), SECRET, { approvalId: 'apr-other1', now: NOW })).toEqual({ reason: 'mismatch', message: 'This link belongs to another approval request. Use the link from the email about this request.' });
  });

  it('refuses to verify with a secret that is not a key ring, before looking at the token', () => {
    // Act / Assess
    expect(() => verifyLink(undefined, 'short', { approvalId: ID, now: NOW })).toThrow('shorter than 32 characters');
  });
});

describe('linkUrl', () => {
  it('joins the base without its trailing slashes, the encoded id and the encoded token', () => {
    // Act / Assess
    expect(linkUrl('https://x.example/prod//', 'apr-a/b', 'p.q+r')).toBe('https://x.example/prod/approvals/apr-a%2Fb?t=p.q%2Br');
    expect(linkUrl('https://x.example', ID, 't')).toBe(`https://x.example/approvals/${ID}?t=t`);
  });
});
