/** Rendering run results for people (tables) and machines (JSON). */
import type { FindingRecord } from '../audit/store.ts';
import { undoHint } from './invoked.ts';
import { money, savingText } from '../report/totals.ts';
import type { ActionRecord } from '../engine/types.ts';
import { NO_APPROVAL_WORKFLOW, ONE_CHANGE_PER_RESOURCE, totalSavings, type FindingResult, type RunResult } from '../engine/run.ts';
import { usd } from '../savings/prices.ts';
import { findingJson, jsonShows, resultTailJson, type JsonOptions } from '../report/json.ts';
import { BENEFIT_GROUPS, BENEFIT_LABEL, benefitGroup, type BenefitGroup } from '../engine/tally.ts';
import { totalsOf } from '../report/totals.ts';
import { groupByOwner, hasOwners } from '../report/owner-groups.ts';


function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

export interface TableFit {
  /** Columns to fit (default: no limit). */
  width?: number;
  /** Prose columns that may wrap inside their cell (continuation lines leave the other cells blank). */
  wrap?: number[];
}

/** Narrowest a wrapped prose column gets before the table becomes one block per row. */
const MIN_WRAP_WIDTH = 20;

/**
 * A plain aligned table; the last column is right-aligned when it holds money. Given a width, it
 * fits: prose columns (`wrap`) wrap inside their cells; when that is not enough, each row becomes a
 * block (its first cell, then one `label value` line per other cell, wrapped). No line is wider than `width`.
 */
export function table(headers: string[], rows: string[][], alignRight: number[] = [], fit: TableFit = {}): string {
  const width = fit.width ?? Number.POSITIVE_INFINITY;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const total = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + 2 * (ws.length - 1);
  const wrapped = (fit.wrap ?? []).filter((i) => i < headers.length);
  if (total(widths) > width && wrapped.length) {
    // Give the prose columns what the others leave, shared evenly.
    const fixed = total(widths.map((w, i) => (wrapped.includes(i) ? 0 : w)));
    const room = Math.floor((width - fixed) / wrapped.length);
    if (room >= MIN_WRAP_WIDTH) for (const i of wrapped) widths[i] = Math.min(widths[i], Math.max(headers[i].length, room));
  }
  if (total(widths) > width) return blocks(headers, rows, width);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (alignRight.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rowLines = (cells: string[]) => {
    const parts = cells.map((c, i) => (wrapped.includes(i) && c.length > widths[i] ? wrap(c, widths[i]) : [c]));
    const height = Math.max(...parts.map((p) => p.length));
    return Array.from({ length: height }, (_, k) => line(parts.map((p) => p[k] ?? '')));
  };
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.flatMap(rowLines)].join('\n');
}

/** One block per row, every line within `width`: the first cell, then `label  value` per non-empty cell. */
function blocks(headers: string[], rows: string[][], width: number): string {
  const labels = headers.map((h) => h.toLowerCase());
  const pad = Math.min(Math.max(...labels.slice(1).map((l) => l.length)) + 2, Math.floor(width / 3));
  const indent = ' '.repeat(2 + pad);
  return rows
    .map((r) =>
      [
        ...wrap(r[0] ?? '', width, '  '),
        ...r.slice(1).flatMap((cell, j) => (cell && cell.trim() ? wrap(cell, width, indent).map((l, k) => (k ? l : `  ${labels[j + 1].slice(0, pad - 1).padEnd(pad)}${l}`)) : [])),
      ].join('\n'),
    )
    .join('\n');
}

const actionLabel = (f: FindingResult) => {
  if (f.status === 'protected') return `protected: ${f.outcomeDetail ?? ''}`;
  if (f.status === 'conflict') return 'conflict: no change';
  if (!f.plan) return f.status === 'report-only' ? 'report only' : '-';
  const outcome: Record<string, string> = {
    'would-apply': 'would',
    applied: 'applied',
    failed: 'FAILED',
    'awaiting-approval': 'awaiting approval',
    skipped: 'skipped',
    reported: 'planned',
  };
  return `${outcome[f.outcome] ?? f.outcome}: ${f.plan.action}`;
};

/** Below this many columns for WHY, the findings switch from a table to one block per finding. */
export const MIN_WHY_WIDTH = 20;
/** The narrowest layout drawn; narrower terminals wrap. */
const MIN_WIDTH = 30;

/** The width when nothing says how wide the output may be (a pipe or a file without $COLUMNS). */
export const DEFAULT_WIDTH = 80;

/**
 * The width to fit: the terminal's columns; when stdout is not a terminal (a file, a pipe, CI),
 * $COLUMNS when set, else 80. (`--output json` / `csv` are for machines: one record a line or a value.)
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_WIDTH;
}

/** Word-wraps to `width` (long words are cut), continuation lines indented by `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const room = Math.max(1, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > room) {
      if (line) lines.push(line), (line = '');
      lines.push(word.slice(0, room));
      word = word.slice(room);
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= room) line += ` ${word}`;
    else lines.push(line), (line = word);
  }
  if (line || !lines.length) lines.push(line);
  return lines.map((l, i) => (i ? indent + l : l));
}

export interface FindingsLayout {
  verbose?: boolean;
  /** Several accounts: an ACCOUNT/REGION column. */
  accounts?: boolean;
  /** Columns to fit (default: outputWidth()). */
  width?: number;
}

/**
 * Findings for people: a table whose WHY column shrinks to what the fixed columns leave of the
 * width (their widths are measured from the rows), or, when that leaves WHY under
 * MIN_WHY_WIDTH columns, one block per finding wrapped to the width. Nothing is wider than `width`.
 */
export function findingsTable(result: RunResult, options: FindingsLayout = {}): string {
  const shown = result.findings.filter((f) => options.verbose || f.status !== 'protected');
  if (shown.length === 0) return 'No findings: nothing to trim.';
  const width = Math.max(MIN_WIDTH, options.width ?? outputWidth());
  // With performance findings the rows group by benefit (cost, then both, then performance), each
  // group largest saving first, and a BENEFIT column says which; a cost-only run looks as it always has.
  const grouped = shown.some((f) => benefitGroup(f) !== 'cost');
  const order: Record<BenefitGroup, number> = { cost: 0, both: 1, performance: 2 };
  const byBenefit = [...shown].sort((a, b) => (grouped ? order[benefitGroup(a)] - order[benefitGroup(b)] : 0) || b.savings.monthlyUsd - a.savings.monthlyUsd);
  // With owned resources the rows group by owner (the stack, the node group, …; "No owner" last), each
  // group in the order above, and an OWNER column names it: a team sees its own changes together.
  const owned = hasOwners(shown);
  const sorted = owned ? groupByOwner(byBenefit).flatMap((g) => g.items.map((f) => ({ f, owner: g.label }))) : byBenefit.map((f) => ({ f, owner: '' }));
  const why = (f: FindingResult) => {
    const text = f.status === 'conflict' ? `${f.reason} Conflict: ${f.outcomeDetail}` : f.reason;
    return f.risk ? `${text} Risk: ${f.risk.summary}` : text;
  };
  const cells = sorted.map(({ f, owner }) => ({
    owner,
    benefit: benefitGroup(f) as string,
    account: `${f.resource.account}/${f.resource.region}`,
    resource: `${f.resource.type} ${f.resource.id}`,
    policy: f.policy,
    why: why(f),
    action: actionLabel(f),
    money: f.status === 'protected' ? '-' : money(f.savings.monthlyUsd),
  }));
  const total = money(totalSavings(shown.filter((f) => f.status !== 'protected')));
  const headers = [...(owned ? ['OWNER'] : []), ...(options.accounts ? ['ACCOUNT/REGION'] : []), ...(grouped ? ['BENEFIT'] : []), 'RESOURCE', 'POLICY', 'WHY', 'ACTION', '$/MONTH'];
  const rows = cells.map((c) => [...(owned ? [truncate(neutralise(c.owner), 40)] : []), ...(options.accounts ? [c.account] : []), ...(grouped ? [c.benefit] : []), c.resource, c.policy, c.why, truncate(c.action, 42), c.money]);
  const blank = [...(owned ? [''] : []), ...(options.accounts ? [''] : []), ...(grouped ? [''] : [])];
  if (grouped) {
    const byBenefit = totalsOf(result).byBenefit;
    for (const g of BENEFIT_GROUPS) {
      const t = byBenefit[g];
      if (t.count) rows.push([...blank, '', '', '', `${BENEFIT_LABEL[g]}: ${t.count} finding${t.count === 1 ? '' : 's'}`, money(t.monthlyUsd)]);
    }
  }
  rows.push([...blank, '', '', '', 'Total estimated saving', total]);
  const whyIndex = headers.indexOf('WHY');
  const fixed = headers.reduce((sum, h, i) => (i === whyIndex ? sum : sum + Math.max(h.length, ...rows.map((r) => r[i].length))), 0);
  const whyWidth = width - fixed - 2 * (headers.length - 1);
  if (whyWidth >= MIN_WHY_WIDTH) {
    return table(headers, rows.map((r) => r.map((cell, i) => (i === whyIndex ? truncate(cell, whyWidth) : cell))), [headers.length - 1]);
  }
  return findingBlocks(cells, total, width, Boolean(options.accounts), grouped);
}

/** Owner labels carry account text (a stack name from a tag): no control character may reach the terminal. */
const neutralise = (text: string) => text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);

/** One block per finding, every line within `width`: the layout for narrow terminals. */
function findingBlocks(cells: { owner: string; benefit: string; account: string; resource: string; policy: string; why: string; action: string; money: string }[], total: string, width: number, accounts: boolean, grouped: boolean): string {
  const field = (label: string, value: string) => wrap(value, width, ' '.repeat(10)).map((l, i) => (i ? l : `  ${label.padEnd(8)}${l}`));
  const blocks = cells.map((c) =>
    [
      ...wrap(c.resource, width),
      ...(c.owner ? field('owner', neutralise(c.owner)) : []),
      ...(accounts ? field('account', c.account) : []),
      ...(grouped ? field('benefit', c.benefit) : []),
      ...field('policy', c.policy),
      ...field('why', c.why),
      ...field('action', c.action),
      ...field('saving', c.money === '-' ? '-' : `${c.money}/month`),
    ].join('\n'),
  );
  return [...blocks, wrap(`Total estimated saving: ${total}/month`, width).join('\n')].join('\n\n');
}

export function actionsTable(actions: ActionRecord[], options: { sandbox?: boolean; width?: number } = {}): string {
  if (actions.length === 0) return 'No actions taken.';
  const width = options.width ?? outputWidth();
  const undoable = (a: ActionRecord) => a.status === 'verified' || a.status === 'applied';
  const headers = ['ACTION ID', 'POLICY', 'RESOURCE', 'ACTION', 'STATUS', '$/MONTH'];
  const cells = (a: ActionRecord) => [a.id, a.policy, a.resource.id, a.action, a.status, money(a.estimatedMonthlySavingsUsd)];
  const full = table([...headers, 'UNDO'], actions.map((a) => [...cells(a), !undoable(a) ? '-' : a.undo.supported === 'no' ? 'not possible' : undoHint(a.id, Boolean(options.sandbox))]), [5]);
  if (Math.max(...full.split('\n').map((l) => l.length)) <= width) return full;
  // Too wide for a command per row: the command once (a command cut across lines cannot be copied).
  const cannot = actions.filter((a) => undoable(a) && a.undo.supported === 'no').map((a) => a.id);
  const note = [`Undo: ${undoHint('<ACTION ID>', Boolean(options.sandbox))}`, ...(cannot.length ? [`(not possible for ${cannot.join(', ')})`] : [])];
  return `${table(headers, actions.map(cells), [5], { width })}\n${note.flatMap((l) => wrap(l, width, '  ')).join('\n')}`;
}

export function historyTable(records: ActionRecord[], width = outputWidth()): string {
  if (records.length === 0) return 'No recorded actions.';
  return table(
    ['WHEN', 'ACTION ID', 'POLICY', 'RESOURCE', 'ACTION', 'STATUS', 'ACTOR'],
    records.map((r) => [r.transitions.at(-1)!.at.replace('T', ' ').slice(0, 19), r.id, r.policy, `${r.resource.type} ${r.resource.id}`, r.action, r.status, r.actor]),
    [],
    { width },
  );
}

export function findingHistoryTable(records: FindingRecord[], width = outputWidth()): string {
  if (records.length === 0) return 'No recorded findings.';
  return table(
    ['WHEN', 'POLICY', 'RESOURCE', 'STATUS', 'MODE', 'PLAN', '$/MONTH'],
    records.map((r) => [r.at.replace('T', ' ').slice(0, 19), r.policy, `${r.resource.type} ${r.resource.id}`, r.status, r.mode, r.plan?.summary ?? '-', money(r.estimatedMonthlySavingsUsd)]),
    [6],
    { width, wrap: [5] },
  );
}

/** "performance 2, both 1": said only when a run has performance findings (a cost-only line stays as it was). */
function benefitPart(result: RunResult): string {
  const b = totalsOf(result).byBenefit;
  if (!b.performance.count && !b.both.count) return '';
  return `by benefit: ${BENEFIT_GROUPS.filter((g) => b[g].count).map((g) => `${g} ${b[g].count}${b[g].monthlyUsd ? ` (${savingText(b[g].monthlyUsd)})` : ''}`).join(', ')}`;
}

/** Findings a run left out because another change to the same resource was made (lib/engine/run.ts onePerResource). */
export const leftOut = (result: RunResult) => result.findings.filter((f) => f.outcome === 'skipped' && f.outcomeDetail?.startsWith(ONE_CHANGE_PER_RESOURCE));

/** What was left out and why, one wrapped line each; empty when nothing was. */
export function leftOutLines(result: RunResult, width = outputWidth()): string {
  const left = leftOut(result);
  if (!left.length) return '';
  const w = Math.max(MIN_WIDTH, Math.min(width, 100));
  return [`Left out (${ONE_CHANGE_PER_RESOURCE}):`, ...left.flatMap((f) => wrap(`- ${f.policy} on ${f.resource.id}: ${f.outcomeDetail!.slice(ONE_CHANGE_PER_RESOURCE.length + 2)}`, w, '  '))].join('\n');
}

/**
 * Approval-mode findings: "awaiting approval" only when a request was made; a run with no
 * approval workflow (the CLI) made none, and says so.
 */
export function approvalPart(result: RunResult): string {
  const s = result.summary;
  if (!s.awaitingApproval) return '';
  const unrequested = result.findings.filter((f) => f.outcome === 'awaiting-approval' && f.outcomeDetail === NO_APPROVAL_WORKFLOW).length;
  if (unrequested === 0) return `${s.awaitingApproval} awaiting approval`;
  const requested = s.awaitingApproval - unrequested;
  return `${unrequested} need${unrequested === 1 ? 's' : ''} approval (no request made: this run has no approval workflow)${requested ? `, ${requested} awaiting approval` : ''}`;
}

/**
 * A " · "-separated line fitted to `width`: it breaks between parts (each line but the last ends
 * with " ·", continuation lines start with two spaces), and a part too long for a line wraps by words.
 * Joining the lines on "\n  " → " " gives the one-line text back.
 */
export function fitParts(text: string, width: number): string {
  const parts = text.split(' · ');
  const lines: string[] = [];
  let line = '';
  for (const [i, part] of parts.entries()) {
    const piece = i < parts.length - 1 ? `${part} ·` : part;
    const candidate = line ? `${line} ${piece}` : piece;
    if (candidate.length <= width || !line) line = candidate;
    else lines.push(line), (line = `  ${piece}`);
  }
  lines.push(line);
  return lines.flatMap((l) => (l.length <= width ? [l] : wrap(l, width, '  '))).join('\n');
}

export function summaryLine(result: RunResult, apiCalls: number): string {
  const s = result.summary;
  const left = leftOut(result).length;
  const parts = [
    `${s.findings} finding${s.findings === 1 ? '' : 's'}`,
    `est. ${money(s.estimatedMonthlySavingsUsd)}/month`,
    s.protected ? `${s.protected} protected` : '',
    s.conflicts ? `${s.conflicts} conflict${s.conflicts === 1 ? '' : 's'}` : '',
    s.actionsApplied || s.actionsFailed ? `${s.actionsApplied} applied, ${s.actionsFailed} failed` : '',
    approvalPart(result),
    left ? `${left} left out (${ONE_CHANGE_PER_RESOURCE})` : '',
    s.notEvaluated ? `${s.notEvaluated} not evaluated` : '',
    benefitPart(result),
    `${apiCalls} API calls`,
    `${(s.durationMs / 1000).toFixed(1)} s`,
  ];
  return parts.filter(Boolean).join(' · ');
}

/** The machine-readable result (the shape is documented in docs/cli.md); lib/report/stream.ts writes the same text as the run goes. */
export function resultJson(result: RunResult, apiCalls: number, options: JsonOptions = {}) {
  return { findings: result.findings.filter((f) => jsonShows(f, options)).map(findingJson), ...resultTailJson(result, apiCalls, options) };
}
