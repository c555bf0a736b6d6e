/**
 * The emails: "please approve" (what will change, on which resources, the estimated monthly
 * saving, the evidence, how to undo, and the two signed links) and "what happened" (the
 * outcome of every change and how to undo it). Plain text and HTML parts; the HTML is plain
 * tables with inline styles, readable on a phone and in clients that block everything.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { facts } from '../report/facts.ts';
import { money, savingText } from '../report/totals.ts';
import type { FindingResult } from '../engine/run.ts';
import { BENEFIT_LABEL, benefitGroup, type BenefitGroup } from '../engine/tally.ts';
import { usd } from '../savings/usd.ts';
import { groupByOwner, hasOwners, type OwnerGroup } from '../report/owner-groups.ts';
import type { ActionSummary, ApprovalRecord } from './store.ts';

export interface Email {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(email: Email): Promise<{ messageId: string }>;
}

/** SES v2 with a verified sender identity. */
export class SesMailer implements Mailer {
  constructor(
    readonly from: string,
    private readonly client: SESv2Client,
  ) {}
  async send(email: Email) {
    const out = await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: email.to },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
          },
        },
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }
}

/**
 * Control characters (C0, DEL, C1: CR, LF, NEL…), the line and paragraph separators, the
 * bidirectional controls (LRM, RLM, ALM, LRE…RLO, LRI…PDI; the "Trojan Source" set, Unicode
 * TR #9), every other format character (\p{Cf}: zero-width space, joiners, word joiner, BOM,
 * soft hyphen, tag characters), every space other than U+0020 (no-break, en/em, narrow, ideographic)
 * and the invisible fillers and variation selectors (Hangul fillers, braille blank, CGJ). Resource names, tags and evidence come from the account: with these they could start
 * a new line in the text mail ("Approve: http://…") or reorder what the reader sees.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\u034F\u115F\u1160\u3164\uFFA0\u2800\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu;

/** The longest `Why:` line (account data) before it is cut: no wrapped look-alike "Approve:" line fits in it. */
export const MAX_WHY_LENGTH = 200;
/** Cut to MAX_WHY_LENGTH characters (after neutralising, so escapes count), marked with an ellipsis. */
export const capped = (value: unknown, max = MAX_WHY_LENGTH) => {
  const text = neutralise(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** Every unsafe character shown as a visible escape (`\u000a`), so nothing is hidden and nothing breaks a line. */
export const neutralise = (value: unknown) => String(value).replace(UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);

/** Safe in HTML text and attribute values, and neutralised (above). */
export const escapeHtml = (value: unknown) =>
  neutralise(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A template tag for the plain-text part and the subject: every interpolated value is neutralised, the template's own line breaks stay. */
export const plain = (strings: TemplateStringsArray, ...values: unknown[]) => strings.reduce((out, part, i) => out + part + (i < values.length ? neutralise(values[i]) : ''), '');

/** Evidence as short "Label: value" facts with units (lib/report/facts.ts), each cut to 120 characters. */
export function evidenceLine(evidence: Record<string, unknown>, max = 6): string {
  return facts(evidence)
    .slice(0, max)
    .map((f) => {
      const text = neutralise(`${f.label}: ${f.value}`);
      return text.length > 120 ? `${text.slice(0, 119)}…` : text;
    })
    .join('; ');
}

export const totalSaving = (findings: FindingResult[]) => usd(findings.reduce((sum, f) => sum + f.savings.monthlyUsd, 0));

export interface BenefitSection {
  group: BenefitGroup;
  label: string;
  findings: FindingResult[];
  monthlyUsd: number;
}

/**
 * An approval's findings by benefit (cost, then cost and performance, then performance), each
 * group with its count and saving; empty groups left out. One group of cost findings is how
 * every approval looked before performance findings existed, and the emails and page show it as before.
 */
export function benefitSections(findings: FindingResult[]): BenefitSection[] {
  const order: BenefitGroup[] = ['cost', 'both', 'performance'];
  return order
    .map((group) => {
      const mine = findings.filter((f) => benefitGroup(f) === group);
      return { group, label: BENEFIT_LABEL[group], findings: mine, monthlyUsd: totalSaving(mine) };
    })
    .filter((s) => s.findings.length > 0);
}

/** Whether the approval holds anything but cost findings (then it is shown grouped by benefit). */
export const hasPerformance = (findings: FindingResult[]) => findings.some((f) => benefitGroup(f) !== 'cost');

/** "Cost and performance: 2 changes, est. $12.00/month" — a group's heading line. */
export const sectionHeading = (s: BenefitSection) =>
  `${s.label}: ${s.findings.length} change${s.findings.length === 1 ? '' : 's'}${s.group === 'performance' && s.monthlyUsd === 0 ? ' (removes a risk; saves nothing)' : `, est. ${savingText(s.monthlyUsd)}`}`;

/** "CloudFormation stack shop-prod: 2 changes, est. $12.00/month" — an owner group's heading (account text: escape or neutralise it). */
export const ownerHeading = (g: OwnerGroup<FindingResult>) => `${g.label}: ${g.items.length} change${g.items.length === 1 ? '' : 's'}, est. ${savingText(totalSaving(g.items))}`;

/**
 * Inline styles only (many mail clients strip <style> and media queries), so nothing relies on
 * the screen size: fluid widths (max-width, width:100% tables) and long unbroken strings (ARNs,
 * ids, links) allowed to wrap anywhere, so the email fits a 390 px phone
 * (test/integration/narrow-screen.test.ts).
 */
const WRAP = 'overflow-wrap:anywhere;word-break:break-word';
const STYLE = {
  body: `font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.45;color:#1b1f24;max-width:680px;margin:0 auto;padding:12px;${WRAP}`,
  table: `border-collapse:collapse;width:100%;max-width:100%;font-size:14px;${WRAP}`,
  cell: `border-top:1px solid #d8dee4;padding:8px 6px;vertical-align:top;text-align:left;${WRAP}`,
  /** The second line of a finding: no rule above it, it belongs to the line before. */
  detail: `padding:0 6px 10px;vertical-align:top;text-align:left;${WRAP}`,
  approve: 'display:inline-block;background:#1a7f37;color:#fff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;margin:4px 8px 4px 0',
  reject: 'display:inline-block;background:#cf222e;color:#fff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;margin:4px 0',
  muted: 'color:#57606a;font-size:13px',
};

export function resourcesTableHtml(findings: FindingResult[]): string {
  // Two rows per finding (the resource and its saving, then the change across the width): it reads
  // the same on a phone and a desktop, with no media query.
  const row = (f: FindingResult) => `<tr><td style="${STYLE.cell}"><strong>${escapeHtml(f.resource.id)}</strong><br><span style="${STYLE.muted}">${escapeHtml(f.resource.region)} · ${escapeHtml(f.resource.type)}</span></td>
<td style="${STYLE.cell};text-align:right;white-space:nowrap;overflow-wrap:normal;word-break:normal">${escapeHtml(usd(f.savings.monthlyUsd) < 0 ? `+${money(-f.savings.monthlyUsd)}/mo cost` : `${money(f.savings.monthlyUsd)}/mo`)}</td></tr>
<tr><td colspan="2" style="${STYLE.detail}">${escapeHtml(f.plan?.summary ?? '')}${f.risk ? `<br><strong style="color:#8250df">Risk removed: ${escapeHtml(f.risk.summary)}</strong>` : ''}<br><span style="${STYLE.muted}">Why: ${escapeHtml(capped(f.reason))}<br>Evidence: ${escapeHtml(evidenceLine(f.evidence))}<br>Undo: ${escapeHtml(f.plan?.undo ?? '')}</span></td></tr>`;
  // With performance findings: one heading row per benefit group, with its count and saving.
  const byBenefit = (list: FindingResult[]) =>
    hasPerformance(list)
      ? benefitSections(list)
          .map((s) => `<tr data-benefit="${s.group}"><th colspan="2" style="${STYLE.cell};background:#f6f8fa">${escapeHtml(sectionHeading(s))}</th></tr>\n${s.findings.map(row).join('\n')}`)
          .join('\n')
      : list.map(row).join('\n');
  // With owned resources: one heading row per owner (the stack, the node group, …; "No owner" last), each by benefit inside.
  const rows = hasOwners(findings)
    ? groupByOwner(findings)
        .map((g) => `<tr data-owner="${escapeHtml(g.label)}"><th colspan="2" style="${STYLE.cell};background:#eaeef2">${escapeHtml(ownerHeading(g))}</th></tr>\n${byBenefit(g.items)}`)
        .join('\n')
    : byBenefit(findings);
  return `<table style="${STYLE.table}"><thead><tr><th style="${STYLE.cell}">Resource and change</th><th style="${STYLE.cell};text-align:right;white-space:nowrap;overflow-wrap:normal">Saving</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The numbered changes of the text part; grouped under benefit headings when any finding is about performance. */
function changeLines(findings: FindingResult[]): string[] {
  let n = 0;
  const lines = (f: FindingResult) => [
    plain`${++n}. ${f.resource.id} (${f.resource.region}, ${f.resource.type}) — est. ${savingText(f.savings.monthlyUsd)}`,
    plain`   Change: ${f.plan?.summary ?? ''}`,
    ...(f.risk ? [plain`   Risk removed: ${f.risk.summary}`] : []),
    plain`   Why: ${capped(f.reason)}`,
    plain`   Evidence: ${evidenceLine(f.evidence)}`,
    plain`   Undo: ${f.plan?.undo ?? ''}`,
  ];
  const byBenefit = (list: FindingResult[]) => (hasPerformance(list) ? benefitSections(list).flatMap((s) => ['', `${sectionHeading(s)}:`, ...s.findings.flatMap(lines)]) : list.flatMap(lines));
  if (!hasOwners(findings)) return byBenefit(findings);
  // Grouped by owner (a team sees its own changes together), numbered on across the groups.
  return groupByOwner(findings).flatMap((g) => ['', plain`${ownerHeading(g)}`, ...byBenefit(g.items)]);
}

/** A performance fix may cost more: say so in words, never as a negative saving (issue 26). */
const savingSentence = (saving: number) => (usd(saving) < 0 ? `Estimated cost: ${money(-saving)}/month more` : `Estimated saving: ${money(saving)}/month`);

export function approvalRequestEmail(record: ApprovalRecord, recipient: string, links: { approve: string; reject: string }): Email {
  const { policy, findings } = record;
  const saving = totalSaving(findings);
  const action = findings[0]?.plan?.action ?? policy.action?.type ?? 'change';
  const expires = record.expiresAt ? new Date(record.expiresAt).toUTCString() : 'never';
  // Every value below goes through `plain` (text, subject) or escapeHtml (HTML): one line per line, as written here.
  const performance = findings.filter((f) => benefitGroup(f) !== 'cost').length;
  const subject = plain`trimtab asks to approve: ${action} on ${findings.length} resource${findings.length === 1 ? '' : 's'} (est. ${savingText(saving)}${performance ? `; ${performance} remove${performance === 1 ? 's' : ''} a performance risk` : ''}) — ${policy.id}`;
  const text = [
    plain`trimtab wants to make ${findings.length} change${findings.length === 1 ? '' : 's'} in account ${record.account}, for policy '${policy.id}'.`,
    policy.description ? plain`Policy: ${policy.description}` : '',
    plain`${savingSentence(saving)}.`,
    ...(hasPerformance(findings) ? [plain`By benefit: ${benefitSections(findings).map(sectionHeading).join('; ')}.`] : []),
    ...(hasOwners(findings) ? [plain`By owner: ${groupByOwner(findings).map(ownerHeading).join('; ')}.`] : []),
    '',
    'What will change:',
    ...changeLines(findings),
    '',
    plain`Approve (you can opt resources out on the page): ${links.approve}`,
    plain`Reject: ${links.reject}`,
    '',
    `Opening a link only shows the plan; nothing changes until you press the button on the page.`,
    plain`The links are for ${recipient} only, work once, and expire at ${expires}. Without a decision by then, nothing is changed.`,
    plain`Approval id: ${record.approvalId}. Operators can also run: trimtab approve ${record.approvalId} / trimtab reject ${record.approvalId}`,
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(subject)}</title></head>
<body style="${STYLE.body}">
<h2 style="margin:0 0 8px">trimtab asks for your approval</h2>
<p>${findings.length} change${findings.length === 1 ? '' : 's'} in account <strong>${escapeHtml(record.account)}</strong> for policy <strong>${escapeHtml(policy.id)}</strong>${policy.description ? ` — ${escapeHtml(policy.description.trim().replace(/[.!?]+$/, ''))}` : ''}.</p>
<p style="font-size:18px">${usd(saving) < 0 ? `Estimated cost: <strong>${escapeHtml(money(-saving))}/month more</strong>` : `Estimated saving: <strong>${escapeHtml(money(saving))}/month</strong>`}</p>
${hasPerformance(findings) ? `<p>By benefit: ${benefitSections(findings).map((s) => escapeHtml(sectionHeading(s))).join(' · ')}</p>` : ''}
${hasOwners(findings) ? `<p>By owner: ${groupByOwner(findings).map((g) => escapeHtml(ownerHeading(g))).join(' · ')}</p>` : ''}
<p><a href="${escapeHtml(links.approve)}" style="${STYLE.approve}">Review and approve</a><a href="${escapeHtml(links.reject)}" style="${STYLE.reject}">Reject</a></p>
${resourcesTableHtml(findings)}
<p style="${STYLE.muted}">Opening a link only shows the plan; nothing changes until you press the button on the page. You can opt resources out there.
The links are for ${escapeHtml(recipient)} only, work once, and expire at ${escapeHtml(expires)}; without a decision by then nothing is changed.
Approval id: <code>${escapeHtml(record.approvalId)}</code> (operators: <code>trimtab approve ${escapeHtml(record.approvalId)}</code>).</p>
</body></html>`;
  return { to: [recipient], subject, text, html };
}

/** The outcome email, for every way the workflow can end. */
export function outcomeEmail(record: ApprovalRecord): Email {
  const actions: ActionSummary[] = record.actions ?? [];
  const { policy } = record;
  const verified = actions.filter((a) => a.status === 'verified').length;
  // Left out by the policy's limit (no action record) vs found protected when applying.
  const leftOut = actions.filter((a) => a.status === 'skipped' && !a.actionId).length;
  const skipped = actions.filter((a) => a.status === 'skipped').length - leftOut;
  const headline =
    record.status === 'fixed'
      ? `Done: ${verified} change${verified === 1 ? '' : 's'} applied and verified${skipped ? `, ${skipped} left alone (found protected when applying)` : ''}${leftOut ? `, ${leftOut} left out (limits.maxActionsPerRun)` : ''}`
      : record.status === 'not-approved'
        ? `Not approved: nothing was changed (${record.notApproved?.reason === 'timed-out' ? 'no decision in time' : 'rejected'})`
        : record.error
          ? `Failed: the approval workflow stopped (${record.error.Error})`
          : `Failed: ${actions.filter((a) => a.status !== 'verified' && a.status !== 'skipped').length} of ${actions.length} change(s) failed or did not verify`;
  const subject = plain`trimtab ${policy.id}: ${headline}`;
  const d = record.decision;
  const lines: string[] = [plain`${headline}.`, plain`Policy '${policy.id}', account ${record.account}, approval ${record.approvalId}.`];
  if (d) lines.push(plain`Decision: ${d.decision} by ${d.actor} at ${d.at}${d.sourceIp ? ` from ${d.sourceIp}` : ''}${d.excluded.length ? `, ${d.excluded.length} resource(s) opted out` : ''}.`);
  if (record.notApproved) lines.push(plain`${record.notApproved.detail}`);
  if (record.error) lines.push(plain`Error: ${record.error.Error}: ${record.error.Cause}`);
  const actionLines = actions.map(
    (a) => plain`- ${a.resourceId} (${a.region}): ${a.status} — ${a.detail}` + (a.actionId ? '\n' + plain`  Undo (${a.undo.supported}): ${a.undo.how} Command: trimtab undo ${a.actionId}` : ''),
  );
  const text = [...lines, '', ...(actionLines.length ? ['Changes:', ...actionLines] : [])].join('\n');
  const rows = actions
    .map(
      (a) =>
        // Two rows per change, as in the request email: fits a phone with no media query.
        `<tr><td style="${STYLE.cell}"><strong>${escapeHtml(a.resourceId)}</strong><br><span style="${STYLE.muted}">${escapeHtml(a.region)}</span></td><td style="${STYLE.cell};text-align:right;white-space:nowrap;overflow-wrap:normal;word-break:normal">${escapeHtml(a.status)}</td></tr>
<tr><td colspan="2" style="${STYLE.detail}"><span style="${STYLE.muted}">${escapeHtml(a.detail)}</span><br>Undo: ${escapeHtml(a.undo.how)}${a.actionId ? `<br><code>trimtab undo ${escapeHtml(a.actionId)}</code>` : ''}</td></tr>`,
    )
    .join('\n');
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(subject)}</title></head>
<body style="${STYLE.body}"><h2 style="margin:0 0 8px">${escapeHtml(headline)}</h2>
${lines.slice(1).map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
${rows ? `<table style="${STYLE.table}"><thead><tr><th style="${STYLE.cell}">Resource, change and undo</th><th style="${STYLE.cell};text-align:right;white-space:nowrap;overflow-wrap:normal">Outcome</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
</body></html>`;
  return { to: record.approvers, subject, text, html };
}
