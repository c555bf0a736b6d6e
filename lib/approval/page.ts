/**
 * The approval page, as a plain request → response function: the Lambda (HTTP API) and the
 * local approval server both call it.
 *
 * GET /approvals/{id}?t=<token> shows the plan and a confirm form and changes NOTHING (mail
 * scanners and link previews fetch links). POST /approvals/{id} with the token (and, for an
 * approval, the resources still selected) decides. Plain HTML form, inline CSS, viewport
 * meta: it works on a phone and without JavaScript.
 */
import { randomBytes } from 'node:crypto';
import { money } from '../report/totals.ts';
import type { FindingResult } from '../engine/run.ts';
import { evidenceChart, snapshotTimelines } from '../report/evidence-charts.ts';
import { usd } from '../savings/usd.ts';
import { errorMessage } from '../util/errors.ts';
import { benefitSections, escapeHtml, evidenceLine, hasPerformance, ownerHeading, sectionHeading } from './email.ts';
import { groupByOwner, hasOwners } from '../report/owner-groups.ts';
import { InvalidLinkError, MAX_TOKEN_LENGTH, verifyLink, type LinkClaims } from './links.ts';
import { APPROVAL_ID, type ApprovalRecord } from './store.ts';
import { decide, type DecideDeps } from './decide.ts';

export interface HttpRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The raw query string (no leading '?'). */
  query: string;
  body?: string;
  headers: Record<string, string | undefined>;
  /** Who is calling, as the transport saw it (recorded with a decision; never trusted for anything else). */
  client?: { sourceIp?: string; userAgent?: string };
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface PageDeps extends DecideDeps {
  secret: () => Promise<string>;
}

/** A short id the approver can quote; the log line with the same id holds the details. */
export const newReference = () => `ref-${randomBytes(6).toString('hex')}`;

/** A form body above this is refused (50 findings' ids and a token fit in a few KB). */
export const MAX_BODY_BYTES = 16 * 1024;

const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The token is in the URL: never leak it to other sites.
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

function page(statusCode: number, title: string, inner: string): HttpResponse {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)} · trimtab</title><style>${CSS}</style></head><body>${inner}</body></html>`;
  return { statusCode, headers: { ...SECURITY_HEADERS }, body };
}

/** An error page that says what is wrong and that nothing was changed. */
export const problem = (statusCode: number, title: string, message: string) =>
  page(statusCode, title, `<h1>${escapeHtml(title)}</h1><div class="box bad">${escapeHtml(message)}</div><p class="muted">Nothing was changed. If you still want to decide, use the links in the latest email from trimtab, or ask an operator (<code>trimtab approvals list</code>).</p>`);

const LINK_PROBLEMS: Record<InvalidLinkError['reason'], [number, string]> = {
  malformed: [400, 'This link is not valid'],
  forged: [403, 'This link is not genuine'],
  expired: [410, 'This link has expired'],
  mismatch: [403, 'This link is for another request'],
};

/** The evidence chart (pure SVG: no script, nothing fetched, fine under the CSP), or nothing. */
function chartOf(f: FindingResult): string {
  const chart = evidenceChart(f);
  return chart ? `<span class="evidence-charts">${chart}</span>` : '';
}

/** Snapshot findings: one timeline per volume, above the list. */
function timelines(findings: FindingResult[]): string {
  return snapshotTimelines(findings)
    .map((t) => `<div class="timeline" data-volume="${escapeHtml(t.volumeId)}">${t.svg}</div>`)
    .join('');
}

/** The findings, under one heading per benefit when any is about performance (cost-only approvals look as before). */
function findingItems(findings: FindingResult[], selectable: boolean): string {
  const byBenefit = (list: FindingResult[]) =>
    hasPerformance(list)
      ? benefitSections(list).map((s) => `<h2 class="benefit" data-benefit="${s.group}">${escapeHtml(sectionHeading(s))}</h2>\n${s.findings.map((f) => findingItem(f, selectable)).join('\n')}`).join('\n')
      : list.map((f) => findingItem(f, selectable)).join('\n');
  // Owned resources: one heading per owner (the stack, the node group, …; "No owner" last), so a team sees its changes together.
  if (!hasOwners(findings)) return byBenefit(findings);
  return groupByOwner(findings).map((g) => `<h2 class="owner" data-owner="${escapeHtml(g.label)}">${escapeHtml(ownerHeading(g))}</h2>\n${byBenefit(g.items)}`).join('\n');
}

function findingItem(f: FindingResult, selectable: boolean): string {
  const text = `<strong>${escapeHtml(f.resource.id)}</strong> <span class="muted">(${escapeHtml(f.resource.region)}) · ${escapeHtml(money(f.savings.monthlyUsd))}/month</span><small>${escapeHtml(f.plan?.summary ?? '')}</small>${f.risk ? `<small class="risk">Risk removed: ${escapeHtml(f.risk.summary)}</small>` : ''}<small>Evidence: ${escapeHtml(evidenceLine(f.evidence))}</small>${chartOf(f)}<small>Undo: ${escapeHtml(f.plan?.undo ?? '')}</small>`;
  return selectable
    ? `<label class="item"><input type="checkbox" name="include" value="${escapeHtml(f.id)}" checked>${text}</label>`
    : `<div class="item">${text}</div>`;
}

function planPage(record: ApprovalRecord, claims: LinkClaims, token: string, action: string): HttpResponse {
  const approve = claims.decision === 'approve';
  const total = usd(record.findings.reduce((s, f) => s + f.savings.monthlyUsd, 0));
  const title = approve ? 'Approve these changes?' : 'Reject these changes?';
  return page(
    200,
    title,
    `<h1>${title}</h1>
<p>Policy <strong>${escapeHtml(record.policy.id)}</strong> in account <strong>${escapeHtml(record.account)}</strong>${record.policy.description ? ` — ${escapeHtml(record.policy.description)}` : ''}</p>
<p class="saving">${record.findings.length} resource${record.findings.length === 1 ? '' : 's'}, est. <strong>${escapeHtml(money(total))}/month</strong></p>
${hasPerformance(record.findings) ? `<p class="muted" id="by-benefit">By benefit: ${benefitSections(record.findings).map((s) => escapeHtml(sectionHeading(s))).join(' · ')}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="t" value="${escapeHtml(token)}">
${approve ? '<input type="hidden" name="selection" value="1"><p class="muted">Untick a resource to leave it as it is.</p>' : ''}
${timelines(record.findings)}
${findingItems(record.findings, approve)}
<p><label for="confirm">To ${approve ? 'approve' : 'reject'}, type <strong>${approve ? 'approve' : 'reject'}</strong> here:</label><br><input type="text" id="confirm" name="confirm" value="" autocomplete="off" required pattern="${approve ? '[Aa][Pp][Pp][Rr][Oo][Vv][Ee]' : '[Rr][Ee][Jj][Ee][Cc][Tt]'}" maxlength="16"></p>
<button type="submit" class="${approve ? 'approve' : 'reject'}">${approve ? 'Approve the selected changes' : 'Reject: change nothing'}</button>
</form>
<p class="muted">Signed in as ${escapeHtml(claims.recipient)} by this link. The link works once and expires at ${escapeHtml(claims.expiresAt.toUTCString())}. Opening this page changed nothing.</p>`,
  );
}

function decidedPage(record: ApprovalRecord): string {
  const d = record.decision;
  return d ? `It was already ${d.decision === 'approve' ? 'approved' : 'rejected'} by ${d.actor} at ${d.at}.` : `It is '${record.status}'.`;
}

/** Parse an application/x-www-form-urlencoded body into repeated fields. */
function formFields(body: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(body)) fields.set(key, [...(fields.get(key) ?? []), value]);
  return fields;
}

export async function handleApprovalRequest(request: HttpRequest, deps: PageDeps): Promise<HttpResponse> {
  try {
    return await route(request, deps);
  } catch (error) {
    // Unexpected: say so plainly. The error text can name roles, accounts and tables, so it goes
    // to the log under a reference id, and the page shows only the id. decide() gave the claim back.
    const reference = newReference();
    deps.log?.('approval page error', { reference, error: (error as Error)?.name, message: errorMessage(error), path: request.path, method: request.method });
    return problem(503, 'Something went wrong', `The decision could not be recorded right now. Try the link again in a minute. If it keeps failing, give an operator this reference: ${reference}.`);
  }
}

async function route(request: HttpRequest, deps: PageDeps): Promise<HttpResponse> {
  const match = /^\/approvals\/([^/]+)\/?$/.exec(request.path);
  if (!match) return problem(404, 'Not found', 'There is no page here. Approval links look like /approvals/apr-…?t=….');
  let approvalId: string;
  try {
    approvalId = decodeURIComponent(match[1]);
  } catch {
    return problem(400, 'This link is not valid', 'The request id in the link is not readable.');
  }
  if (!APPROVAL_ID.test(approvalId)) return problem(400, 'This link is not valid', 'The request id in the link is not one trimtab issues.');
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
    return { ...problem(405, 'Method not allowed', 'Open the link in a browser.'), headers: { ...SECURITY_HEADERS, allow: 'GET, HEAD, POST' } };
  }

  let token: string | undefined;
  let fields = new Map<string, string[]>();
  if (method === 'POST') {
    const body = request.body ?? '';
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) return problem(413, 'Too much data', 'The form sent more data than an approval needs.');
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') return problem(415, 'Unsupported form', 'Send the approval form from the page itself.');
    fields = formFields(body);
    if ((fields.get('t') ?? []).length !== 1) return problem(400, 'This link is not valid', 'The form must carry exactly one token.');
    token = fields.get('t')![0];
  } else {
    if (request.query.length > MAX_TOKEN_LENGTH * 2) return problem(414, 'This link is not valid', 'The link is far longer than any trimtab sends.');
    const params = new URLSearchParams(request.query);
    if (params.getAll('t').length > 1) return problem(400, 'This link is not valid', 'The link carries more than one token.');
    token = params.get('t') ?? undefined;
  }

  const now = deps.now();
  let claims: LinkClaims;
  try {
    claims = verifyLink(token, await deps.secret(), { approvalId, now });
  } catch (error) {
    if (error instanceof InvalidLinkError) {
      const [status, title] = LINK_PROBLEMS[error.reason];
      return problem(status, title, error.message);
    }
    throw error;
  }

  const record = await deps.store.get(approvalId);
  if (!record) return problem(404, 'Request not found', `There is no approval request ${approvalId} (it may have been removed after 400 days).`);

  if (method !== 'POST') {
    // GET/HEAD: read-only whatever happens below.
    if (record.status !== 'waiting') return problem(409, 'Already decided', `This request is no longer waiting for a decision. ${decidedPage(record)}`);
    const response = planPage(record, claims, token!, request.path);
    return method === 'HEAD' ? { ...response, body: '' } : response;
  }

  let excluded: string[] = [];
  if (claims.decision === 'approve') {
    if ((fields.get('selection') ?? []).length !== 1) return problem(400, 'Incomplete form', 'The form did not say which resources to change. Open the link again and use the button on the page.');
    const included = new Set(fields.get('include') ?? []);
    const known = new Set(record.findings.map((f) => f.id));
    const unknown = [...included].filter((id) => !known.has(id));
    if (unknown.length) return problem(400, 'Unknown resource', 'The form names resources that are not part of this request. Nothing was changed.');
    excluded = record.findings.filter((f) => !included.has(f.id)).map((f) => f.id);
  }
  // A deliberate act: the word typed by the person. A mail scanner or link checker that submits the
  // form as it comes (hidden fields, ticked boxes) sends an empty field and decides nothing.
  const typed = fields.get('confirm') ?? [];
  if (typed.length !== 1 || typed[0].trim().toLowerCase() !== claims.decision) {
    return problem(400, 'Not confirmed', `Type the word "${claims.decision}" in the box on the page to confirm. Nothing was decided. Nothing was changed.`);
  }
  const result = await decide(deps, { approvalId, decision: claims.decision, actor: claims.recipient, excluded, via: 'link', sourceIp: request.client?.sourceIp, userAgent: request.client?.userAgent });
  if (!result.ok && result.reason === 'outcome-unknown') {
    // Not "nothing was changed": the workflow may be applying the changes right now.
    return page(202, 'Decision recorded', `<h1>Decision recorded</h1><div class="box bad">${escapeHtml(result.message)}</div>`);
  }
  if (!result.ok) {
    const status = { 'not-found': 404, 'not-waiting': 409, 'already-decided': 409, 'timed-out': 410, 'nothing-selected': 400, 'unknown-resource': 400, 'outcome-unknown': 202 }[result.reason];
    return problem(status, result.reason === 'already-decided' ? 'Already decided' : result.reason === 'timed-out' ? 'Too late' : 'Not decided', result.message);
  }
  const chosen = record.findings.length - excluded.length;
  const note = result.note ? `<p class="muted">${escapeHtml(result.note)}</p>` : '';
  return page(
    200,
    claims.decision === 'approve' ? 'Approved' : 'Rejected',
    claims.decision === 'approve'
      ? `<h1>Approved</h1><div class="box good">Thank you. trimtab will now apply ${chosen} change${chosen === 1 ? '' : 's'}${excluded.length ? ` (${excluded.length} opted out)` : ''}, verify them, and email the approvers what happened, with how to undo each one.</div>${note}`
      : `<h1>Rejected</h1><div class="box good">Thank you. Nothing will be changed; the approvers get an email saying so.</div>${note}`,
  );
}
