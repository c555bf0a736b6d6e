/** Rendering run results for people (tables) and machines (JSON). */
import type { FindingRecord } from '../audit/store.ts';
import type { ActionRecord } from '../engine/types.ts';
import { totalSavings, type FindingResult, type RunResult } from '../engine/run.ts';
import { usd } from '../savings/prices.ts';

const money = (value: number) => `$${usd(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** A plain aligned table; the last column is right-aligned when it holds money. */
export function table(headers: string[], rows: string[][], alignRight: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (alignRight.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
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

export function findingsTable(result: RunResult, options: { verbose?: boolean; accounts?: boolean } = {}): string {
  const shown = result.findings.filter((f) => options.verbose || f.status !== 'protected');
  if (shown.length === 0) return 'No findings: nothing to trim.';
  const width = process.stdout.columns ? Math.max(30, process.stdout.columns - 110) : 60;
  const rows = shown
    .sort((a, b) => b.savings.monthlyUsd - a.savings.monthlyUsd)
    .map((f) => [
      `${f.resource.type} ${f.resource.id}`,
      f.policy,
      truncate(f.status === 'conflict' ? `${f.reason} Conflict: ${f.outcomeDetail}` : f.reason, width),
      truncate(actionLabel(f), 42),
      f.status === 'protected' ? '-' : money(f.savings.monthlyUsd),
    ]);
  const total = totalSavings(shown.filter((f) => f.status !== 'protected'));
  rows.push(['', '', '', 'Total estimated saving', money(total)]);
  if (!options.accounts) return table(['RESOURCE', 'POLICY', 'WHY', 'ACTION', '$/MONTH'], rows, [4]);
  // Several accounts: which one each finding is in (sorted rows keep their order; the total row has none).
  const accountRows = rows.map((row, i) => [shown[i] ? `${shown[i].resource.account}/${shown[i].resource.region}` : '', ...row]);
  return table(['ACCOUNT/REGION', 'RESOURCE', 'POLICY', 'WHY', 'ACTION', '$/MONTH'], accountRows, [5]);
}

export function actionsTable(actions: ActionRecord[]): string {
  if (actions.length === 0) return 'No actions taken.';
  return table(
    ['ACTION ID', 'POLICY', 'RESOURCE', 'ACTION', 'STATUS', '$/MONTH', 'UNDO'],
    actions.map((a) => [a.id, a.policy, a.resource.id, a.action, a.status, money(a.estimatedMonthlySavingsUsd), a.status !== 'verified' && a.status !== 'applied' ? '-' : a.undo.supported === 'no' ? 'not possible' : `trimtab undo ${a.id}`]),
    [5],
  );
}

export function historyTable(records: ActionRecord[]): string {
  if (records.length === 0) return 'No recorded actions.';
  return table(
    ['WHEN', 'ACTION ID', 'POLICY', 'RESOURCE', 'ACTION', 'STATUS', 'ACTOR'],
    records.map((r) => [r.transitions.at(-1)!.at.replace('T', ' ').slice(0, 19), r.id, r.policy, `${r.resource.type} ${r.resource.id}`, r.action, r.status, r.actor]),
  );
}

export function findingHistoryTable(records: FindingRecord[]): string {
  if (records.length === 0) return 'No recorded findings.';
  return table(
    ['WHEN', 'POLICY', 'RESOURCE', 'STATUS', 'MODE', 'PLAN', '$/MONTH'],
    records.map((r) => [r.at.replace('T', ' ').slice(0, 19), r.policy, `${r.resource.type} ${r.resource.id}`, r.status, r.mode, truncate(r.plan?.summary ?? '-', 60), money(r.estimatedMonthlySavingsUsd)]),
    [6],
  );
}

export function summaryLine(result: RunResult, apiCalls: number): string {
  const s = result.summary;
  const parts = [
    `${s.findings} finding${s.findings === 1 ? '' : 's'}`,
    `est. ${money(s.estimatedMonthlySavingsUsd)}/month`,
    s.protected ? `${s.protected} protected` : '',
    s.conflicts ? `${s.conflicts} conflict${s.conflicts === 1 ? '' : 's'}` : '',
    s.actionsApplied || s.actionsFailed ? `${s.actionsApplied} applied, ${s.actionsFailed} failed` : '',
    s.awaitingApproval ? `${s.awaitingApproval} awaiting approval` : '',
    `${apiCalls} API calls`,
    `${(s.durationMs / 1000).toFixed(1)} s`,
  ];
  return parts.filter(Boolean).join(' · ');
}

/** The machine-readable result (the shape is documented in docs/cli.md). */
export function resultJson(result: RunResult, apiCalls: number, options: { verbose?: boolean; includeActions?: boolean } = {}) {
  return {
    findings: result.findings
      .filter((f) => options.verbose || f.status !== 'protected')
      .map((f) => ({
        policy: f.policy,
        resourceType: f.resource.type,
        resourceId: f.resource.id,
        arn: f.resource.arn,
        account: f.resource.account,
        region: f.resource.region,
        detector: f.detector,
        status: f.status,
        reason: f.reason,
        action: f.plan?.action ?? null,
        plan: f.plan?.summary ?? null,
        mode: f.mode,
        outcome: f.outcome,
        ...(f.outcomeDetail ? { outcomeDetail: f.outcomeDetail } : {}),
        estimatedMonthlySavingsUsd: usd(f.savings.monthlyUsd),
        savingsBasis: f.savings.basis,
        evidence: f.evidence,
      })),
    summary: {
      findings: result.summary.findings,
      protected: result.summary.protected,
      conflicts: result.summary.conflicts,
      estimatedMonthlySavingsUsd: result.summary.estimatedMonthlySavingsUsd,
      apiCalls,
      durationMs: result.summary.durationMs,
    },
    ...(options.includeActions
      ? { actions: result.actions.map((a) => ({ id: a.id, policy: a.policy, resourceId: a.resource.id, action: a.action, status: a.status })) }
      : {}),
    ...(result.errors.length ? { errors: result.errors } : {}),
  };
}
