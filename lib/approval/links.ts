/**
 * Signed approval links. A token is `<payload>.<signature>`, both base64url:
 * payload = {a: approval id, d: decision, r: recipient, e: expiry (epoch s)}, signature =
 * HMAC-SHA256 over the payload with the link secret. A token is bound to one approval, one
 * decision and one recipient; changing any of them breaks the signature. "Works once" is
 * the store's job (a conditional update), not the token's.
 *
 * Key ids and rotation: the secret (one SSM SecureString) is a key ring, one key a line,
 * `<key id>:<secret>`, the first line signing and every line verifying. A value with no
 * `<id>:` prefix is one key whose id is derived from it. Rotate by putting a new first line and
 * keeping the old one below it until every link and approval it signed has ended (at most the
 * longest approval wait), then dropping it. The payload names the key that signed it (`k`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { TrimtabError } from '../util/errors.ts';

export type Decision = 'approve' | 'reject';

export interface LinkClaims {
  approvalId: string;
  decision: Decision;
  recipient: string;
  expiresAt: Date;
}

/** Tokens longer than this are refused before any work (a real one is ~200 characters). */
export const MAX_TOKEN_LENGTH = 1024;
/**
 * No link lives longer than this: the longest wait a policy may set (approval.timeoutHours ≤ 1 year,
 * lib/policy/schema.ts), which is also Step Functions' limit on a task (one year), plus a day.
 */
export const MAX_LINK_LIFETIME_MS = 366 * 86_400_000;
/** Secrets shorter than this are refused: an HMAC key should carry at least 256 bits. */
export const MIN_SECRET_LENGTH = 32;

/** Why a link was refused; `reason` picks the page the approver sees. */
export class InvalidLinkError extends TrimtabError {
  constructor(
    readonly reason: 'malformed' | 'forged' | 'expired' | 'mismatch',
    message: string,
  ) {
    super(message);
  }
}

const payloadSchema = z.strictObject({
  k: z.string().max(32).optional(),
  a: z.string().regex(/^apr-[a-z0-9]{6,32}$/),
  d: z.enum(['approve', 'reject']),
  r: z.string().min(3).max(254),
  // Bounded so `new Date(e * 1000)` is always a valid date (9999-12-31); the lifetime is checked against now.
  e: z.number().int().positive().max(253_402_300_799),
});

/** One signing key: its id (named in what it signs) and its secret. */
export interface LinkKey {
  kid: string;
  secret: string;
}

const KEY_LINE = /^([A-Za-z0-9_-]{1,32}):(.+)$/;

/**
 * The key ring in the secret's value: one key a line, `<id>:<secret>`, the first signs, all verify.
 * A line without an id prefix is a key whose id is derived from it (`h` + 8 hex of its SHA-256).
 * Throws when there is no key or a key is shorter than MIN_SECRET_LENGTH.
 */
export function keyRing(value: string): LinkKey[] {
  if (typeof value !== 'string') throw new TrimtabError('The approval link secret is missing; set a long random value (see docs/approval.md).');
  const keys = value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const m = KEY_LINE.exec(line);
      return m ? { kid: m[1], secret: m[2] } : { kid: `h${createHash('sha256').update(line).digest('hex').slice(0, 8)}`, secret: line };
    });
  if (keys.length === 0 || keys.some((k) => k.secret.length < MIN_SECRET_LENGTH)) {
    throw new TrimtabError(`The approval link secret is missing or a key in it is shorter than ${MIN_SECRET_LENGTH} characters; set a long random value (see docs/approval.md).`);
  }
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new TrimtabError('The approval link secret names the same key id twice; give each key line its own id.');
  return keys;
}

function checkSecret(secret: string) {
  keyRing(secret);
}

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

/** HMAC-SHA256 of `content` with the ring's signing key (the first). */
export function macWith(secret: string, content: string): { kid: string; mac: string } {
  const [key] = keyRing(secret);
  return { kid: key.kid, mac: mac(key.secret, content) };
}

/** True when `given` is the HMAC of `content` under the key `kid` of the ring (current or previous). Constant-time. */
export function macMatches(secret: string, content: string, given: { kid?: unknown; mac?: unknown }): boolean {
  const key = keyRing(secret).find((k) => k.kid === given.kid);
  if (!key || typeof given.mac !== 'string') return false;
  const expected = Buffer.from(mac(key.secret, content));
  const actual = Buffer.from(given.mac);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function signLink(claims: LinkClaims, secret: string): string {
  const [key] = keyRing(secret);
  if (!Number.isFinite(claims.expiresAt.getTime())) throw new TrimtabError(`An approval link needs a valid expiry, not '${String(claims.expiresAt)}'.`);
  const payload = Buffer.from(
    JSON.stringify({ k: key.kid, a: claims.approvalId, d: claims.decision, r: claims.recipient, e: Math.floor(claims.expiresAt.getTime() / 1000) }),
  ).toString('base64url');
  return `${payload}.${mac(key.secret, payload)}`;
}

/**
 * Checks signature first (nothing about an unsigned token is trusted), then expiry, then that
 * the token is for the approval in the URL. Throws InvalidLinkError naming the problem.
 */
export function verifyLink(token: unknown, secret: string, expected: { approvalId: string; now: Date }): LinkClaims {
  checkSecret(secret);
  if (typeof token !== 'string' || token.length === 0) throw new InvalidLinkError('malformed', 'The link has no token. Open the link from the email exactly as it was sent.');
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidLinkError('malformed', 'The link token is too long to be one trimtab sent.');
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
    throw new InvalidLinkError('malformed', 'The link token is not in the shape trimtab signs. It may have been cut or altered.');
  }
  const [payload, signature] = parts;
  const given = Buffer.from(signature);
  // Every key of the ring is tried (current and previous): a link signed before a rotation still works.
  const signer = keyRing(secret).find((key) => {
    const expectedMac = Buffer.from(mac(key.secret, payload));
    return given.length === expectedMac.length && timingSafeEqual(given, expectedMac);
  });
  if (!signer) {
    throw new InvalidLinkError('forged', 'The link signature does not match: this link was not issued by trimtab, or it was altered.');
  }
  let parsed: z.infer<typeof payloadSchema>;
  try {
    parsed = payloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidLinkError('malformed', 'The link token is signed but its content is not valid.');
  }
  // A payload naming a key must name the key that signed it (tokens from before key ids name none).
  if (parsed.k !== undefined && parsed.k !== signer.kid) throw new InvalidLinkError('forged', 'The link names another signing key than the one that signed it.');
  const claims: LinkClaims = { approvalId: parsed.a, decision: parsed.d, recipient: parsed.r, expiresAt: new Date(parsed.e * 1000) };
  // `!(expiry > now)`: an expiry that is not a number is expired, never open (NaN <= now is false).
  if (!(claims.expiresAt.getTime() > expected.now.getTime())) {
    throw new InvalidLinkError('expired', `This link expired at ${claims.expiresAt.toISOString()}. The request was not approved in time; nothing was changed.`);
  }
  if (claims.expiresAt.getTime() - expected.now.getTime() > MAX_LINK_LIFETIME_MS) {
    throw new InvalidLinkError('malformed', 'The link claims to stay valid for more than a year; trimtab never issues such a link.');
  }
  if (claims.approvalId !== expected.approvalId) {
    throw new InvalidLinkError('mismatch', 'This link belongs to another approval request. Use the link from the email about this request.');
  }
  return claims;
}

/** The page URL a link points at. */
export function linkUrl(baseUrl: string, approvalId: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(approvalId)}?t=${encodeURIComponent(token)}`;
}
