/**
 * `--output html`: a self-contained report of one scan or run, one file with nothing to fetch
 * (inline CSS, inline SVG charts, a few lines of inline JS), so it can be mailed, attached to a
 * ticket or opened offline.
 *
 * - Header: account, regions, time, command, totals.
 * - Savings by policy and by resource type: horizontal bar charts in SVG.
 * - The findings table, largest saving first. With JS, a click on a column heading sorts it;
 *   without JS it is a plain, already sorted table.
 * - The evidence behind each finding and the savings basis, in <details>.
 */
import type { ActionRecord } from '../engine/types.ts';
import type { FindingResult, RunResult } from '../engine/run.ts';
import { usd } from '../savings/prices.ts';
import { evidenceChart, snapshotTimelines } from './evidence-charts.ts';

export interface ReportMeta {
  account: string;
  regions: string[];
  generatedAt: Date;
  /** What produced it: 'scan' (read-only) or 'run' (auto mode applied, approvals asked). */
  command: 'scan' | 'run' | 'demo';
  apiCalls?: number;
  /** Include protected findings (with the reason) in the table; they never count in totals or charts. */
  includeProtected?: boolean;
}

export const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const money = (value: number) => `$${usd(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** A finding's saving counts only when it is not protected (the engine's totals do the same). */
const saving = (f: FindingResult) => (f.status === 'protected' ? 0 : f.savings.monthlyUsd);

/**
 * Findings with overlaps counted once: when several policies propose the same change to the same
 * resource (a scheduled policy and an alarm-triggered one, say), only the largest estimate is
 * kept. Totals and the by-resource-type chart use these; the by-policy chart counts each policy.
 */
export function distinctFindings(findings: FindingResult[]): { findings: FindingResult[]; overlapping: number } {
  const best = new Map<string, FindingResult>();
  let overlapping = 0;
  for (const f of findings) {
    if (f.status === 'protected') continue;
    const key = `${f.resource.arn} ${f.plan?.action ?? f.detector}`;
    const seen = best.get(key);
    if (seen) overlapping += 1;
    if (!seen || f.savings.monthlyUsd > seen.savings.monthlyUsd) best.set(key, f);
  }
  return { findings: [...best.values()], overlapping };
}

export interface Bar {
  label: string;
  value: number;
}

/** Sums per key, largest first; keys with no saving are kept (a policy that found nothing costly still shows). */
export function savingsBy(findings: FindingResult[], key: (f: FindingResult) => string): Bar[] {
  const totals = new Map<string, number>();
  for (const f of findings) if (f.status !== 'protected') totals.set(key(f), (totals.get(key(f)) ?? 0) + saving(f));
  return [...totals].map(([label, value]) => ({ label, value: usd(value) })).sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
}

/** A horizontal bar chart in inline SVG: label, bar scaled to the largest value, amount. */
export function barChart(title: string, bars: Bar[], id: string): string {
  const rowHeight = 28;
  const labelWidth = 230;
  const barWidth = 330;
  const width = labelWidth + barWidth + 110;
  const height = Math.max(1, bars.length) * rowHeight + 8;
  const max = Math.max(...bars.map((b) => b.value), 0);
  const rows = bars.map((b, i) => {
    const y = 4 + i * rowHeight;
    const w = max > 0 ? Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * barWidth)) : 0;
    const label = b.label.length > 32 ? `${b.label.slice(0, 31)}…` : b.label;
    return `<g class="bar" data-label="${escapeHtml(b.label)}" data-value="${b.value}">
<title>${escapeHtml(b.label)}: ${escapeHtml(money(b.value))}/month</title>
<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end">${escapeHtml(label)}</text>
<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 10}" rx="3"></rect>
<text x="${labelWidth + w + 6}" y="${y + 18}" class="amount">${escapeHtml(money(b.value))}</text>
</g>`;
  });
  const body = bars.length ? rows.join('\n') : `<text x="8" y="20">No findings.</text>`;
  return `<figure class="chart" id="${id}">
<figcaption>${escapeHtml(title)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
${body}
</svg>
</figure>`;
}

const STATUS_LABEL: Record<string, string> = {
  applied: 'applied',
  failed: 'FAILED',
  'awaiting-approval': 'awaiting approval',
  'would-apply': 'would apply',
  skipped: 'skipped',
  reported: 'reported',
};

function outcomeLabel(f: FindingResult): string {
  if (f.status === 'protected') return 'protected';
  if (f.status === 'conflict') return 'conflict';
  if (f.status === 'report-only') return 'report only';
  return STATUS_LABEL[f.outcome] ?? f.outcome;
}

function evidenceValue(value: unknown): string {
  const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  return text.length > 600 ? `${text.slice(0, 599)}…` : text;
}

function evidenceDetails(f: FindingResult): string {
  const rows = Object.entries(f.evidence)
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(evidenceValue(v))}</td></tr>`)
    .join('');
  const basis = f.savings.basis.map((b) => `<li>${escapeHtml(b)}</li>`).join('');
  return `<details><summary>Evidence</summary>
<table class="kv">${rows || '<tr><td>No evidence recorded.</td></tr>'}</table>
${basis ? `<p class="muted">Savings basis:</p><ul class="basis">${basis}</ul>` : ''}
${f.plan ? `<p class="muted">Undo: ${escapeHtml(f.plan.undo)}</p>` : ''}
${f.outcomeDetail ? `<p class="muted">Outcome: ${escapeHtml(f.outcomeDetail)}</p>` : ''}
</details>`;
}

/** The finding's evidence chart, visible without opening the details (none when there is no series). */
function chartBlock(f: FindingResult): string {
  const chart = evidenceChart(f);
  return chart ? `<div class="evidence-charts">${chart}</div>` : '';
}

/** One timeline per volume, from every snapshot finding of the report. */
function snapshotSection(findings: FindingResult[]): string {
  const timelines = snapshotTimelines(findings);
  if (!timelines.length) return '';
  return `<h2>Snapshots by volume</h2>
<p class="muted">Each snapshot the policies looked at, by start time: × to delete, green kept (reported only, or not acted on), grey protected. Hover a mark for the snapshot id.</p>
<div class="charts" id="snapshot-timelines">${timelines.map((t) => `<figure class="chart timeline" data-volume="${escapeHtml(t.volumeId)}">${t.svg}</figure>`).join('\n')}</div>`;
}

function findingRow(f: FindingResult): string {
  const label = outcomeLabel(f);
  const amount = saving(f);
  return `<tr class="status-${escapeHtml(f.status)}">
<td data-sort="${escapeHtml(`${f.resource.type} ${f.resource.id}`)}"><span class="type">${escapeHtml(f.resource.type)}</span> <strong>${escapeHtml(f.resource.id)}</strong><br><span class="muted">${escapeHtml(f.resource.region)}</span></td>
<td>${escapeHtml(f.policy)}<br><span class="muted">${escapeHtml(f.mode)}</span></td>
<td data-sort="${escapeHtml(label)}"><span class="badge ${escapeHtml(label.replace(/\s+/g, '-').toLowerCase())}">${escapeHtml(label)}</span></td>
<td>${escapeHtml(f.reason)}${chartBlock(f)}${evidenceDetails(f)}</td>
<td>${f.plan ? `<strong>${escapeHtml(f.plan.action)}</strong>: ${escapeHtml(f.plan.summary)}` : '<span class="muted">—</span>'}</td>
<td class="num" data-sort="${amount}">${f.status === 'protected' ? '—' : escapeHtml(money(amount))}</td>
</tr>`;
}

const CSS = `:root{color-scheme:light}*{box-sizing:border-box}
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;color:#1b1f24;margin:0;padding:24px;background:#f6f8fa}
main{max-width:1280px;margin:0 auto}h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta,.muted{color:#57606a}.muted{font-size:12px}
.totals{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0 0;padding:0;list-style:none}
.totals li{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;min-width:150px}
.totals strong{display:block;font-size:22px}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.chart{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:0;padding:12px;overflow-x:auto;flex:1 1 560px}
.chart figcaption{font-weight:600;margin-bottom:6px}.chart svg{max-width:100%;height:auto;font-size:13px}
.chart rect{fill:#2da44e}.chart text{fill:#1b1f24}.chart .amount{fill:#57606a}
table#findings{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d0d7de}
#findings>thead>tr>th,#findings>tbody>tr>td,#findings>tfoot>tr>td{padding:8px;border-bottom:1px solid #d8dee4;text-align:left;vertical-align:top}
#findings>thead>tr>th{background:#eaeef2;position:sticky;top:0;white-space:nowrap}
#findings thead th.sortable{cursor:pointer;user-select:none}
#findings thead th.sortable::after{content:" ↕";color:#8c959f}
#findings thead th[aria-sort=ascending]::after{content:" ▲";color:#1b1f24}#findings thead th[aria-sort=descending]::after{content:" ▼";color:#1b1f24}
#findings>tbody>tr>td.num,#findings>thead>tr>th.num,#findings>tfoot>tr>td.num{text-align:right;white-space:nowrap}
#findings>tfoot>tr>td{font-weight:600;background:#f6f8fa}
tr.status-protected{color:#57606a}
.type{font-size:11px;text-transform:uppercase;color:#57606a}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;background:#eaeef2;white-space:nowrap}
.badge.applied{background:#dafbe1}.badge.failed{background:#ffebe9}.badge.awaiting-approval{background:#fff8c5}.badge.would-apply{background:#ddf4ff}.badge.protected{background:#f6f8fa;border:1px solid #d0d7de}
details{margin-top:6px}summary{cursor:pointer;color:#0969da}
table.kv{border-collapse:collapse;margin:6px 0;font-size:12px}table.kv th,table.kv td{border:0;padding:2px 8px 2px 0;word-break:break-word}table.kv th{color:#57606a;font-weight:500;white-space:nowrap;text-align:left;vertical-align:top}
ul.basis{margin:2px 0 6px 16px;padding:0;font-size:12px}
footer{margin-top:24px}
.evidence-charts{display:flex;flex-wrap:wrap;gap:8px;margin-top:6px}.evidence-charts svg{max-width:100%;height:auto;background:#fff}
.chart.timeline{flex:0 1 460px}`;

/** Sorting: click a heading (or Enter/Space on it). Numbers sort by data-sort, text by its content. */
const SCRIPT = `(function(){var t=document.getElementById('findings');if(!t)return;var body=t.tBodies[0];
var heads=t.tHead.rows[0].cells;function key(row,i){var c=row.cells[i];return c.hasAttribute('data-sort')?c.getAttribute('data-sort'):c.textContent.trim();}
Array.prototype.forEach.call(heads,function(th,i){th.classList.add('sortable');th.tabIndex=0;th.setAttribute('aria-sort','none');
function sort(){var asc=th.getAttribute('aria-sort')!=='ascending';var num=th.getAttribute('data-type')==='number';
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=key(a,i),y=key(b,i);var r=num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y,undefined,{numeric:true});return asc?r:-r;});
rows.forEach(function(r){body.appendChild(r);});Array.prototype.forEach.call(heads,function(h){h.setAttribute('aria-sort','none');});th.setAttribute('aria-sort',asc?'ascending':'descending');}
th.addEventListener('click',sort);th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});});})();`;

export function renderHtmlReport(result: RunResult, meta: ReportMeta, actions: ActionRecord[] = result.actions): string {
  const shown = result.findings
    .filter((f) => meta.includeProtected !== false || f.status !== 'protected')
    .sort((a, b) => saving(b) - saving(a) || a.policy.localeCompare(b.policy) || a.resource.id.localeCompare(b.resource.id));
  const s = result.summary;
  const distinct = distinctFindings(result.findings);
  const distinctTotal = usd(distinct.findings.reduce((sum, f) => sum + f.savings.monthlyUsd, 0));
  const overlapNote = distinct.overlapping ? ` (${distinct.overlapping} overlapping estimate${distinct.overlapping === 1 ? '' : 's'}, where policies propose the same change to the same resource, counted once; the per-policy chart counts each)` : '';
  const when = meta.generatedAt.toISOString().replace('T', ' ').slice(0, 19);
  const title = `trimtab report · ${meta.account} · ${when} UTC`;
  const commandText = { scan: 'trimtab scan (read-only)', run: 'trimtab run', demo: 'trimtab demo (sandbox)' }[meta.command];
  const totals = [
    ['Findings', String(s.findings)],
    ['Est. savings', `${money(distinctTotal)}/mo`],
    ['Protected', String(s.protected)],
    ['Actions applied', String(s.actionsApplied)],
    ['Awaiting approval', String(s.awaitingApproval)],
    ...(s.actionsFailed ? [['Actions failed', String(s.actionsFailed)]] : []),
  ];
  const actionsSection = actions.length
    ? `<h2>Actions</h2><table id="actions" class="kv"><tr><th>Action id</th><th>Policy</th><th>Resource</th><th>Status</th><th>Undo</th></tr>${actions
        .map((a) => `<tr><td><code>${escapeHtml(a.id)}</code></td><td>${escapeHtml(a.policy)}</td><td>${escapeHtml(a.resource.id)}</td><td>${escapeHtml(a.status)}</td><td>${a.undo.supported === 'no' ? 'not possible' : `<code>trimtab undo ${escapeHtml(a.id)}</code>`}</td></tr>`)
        .join('')}</table>`
    : '';
  const errors = result.errors.length
    ? `<h2>Could not list</h2><ul>${result.errors.map((e) => `<li>${escapeHtml(e.resourceType)} in ${escapeHtml(e.region)} (${escapeHtml(e.policies.join(', '))}): ${escapeHtml(e.error)}</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><main>
<header>
<h1>trimtab report</h1>
<p class="meta">Account <strong id="account">${escapeHtml(meta.account)}</strong> · Regions ${escapeHtml(meta.regions.join(', '))} · <time datetime="${escapeHtml(meta.generatedAt.toISOString())}">${escapeHtml(when)} UTC</time> · ${escapeHtml(commandText)}${meta.apiCalls !== undefined ? ` · ${meta.apiCalls} API calls` : ''}</p>
<ul class="totals">${totals.map(([k, v]) => `<li>${escapeHtml(k)}<strong>${escapeHtml(v)}</strong></li>`).join('')}</ul>
</header>
<h2>Estimated monthly savings</h2>
<div class="charts">
${barChart('By policy', savingsBy(result.findings, (f) => f.policy), 'chart-policy')}
${barChart('By resource type', savingsBy(distinct.findings, (f) => f.resource.type), 'chart-resource-type')}
</div>
<h2>Findings (${s.findings}${shown.length > s.findings ? `, and ${shown.length - s.findings} protected` : ''})</h2>
<p class="muted">Largest saving first. Click a column heading to sort; open "Evidence" for the numbers behind a finding. Protected resources are listed with the reason and never changed.</p>
<table id="findings">
<thead><tr><th scope="col">Resource</th><th scope="col">Policy</th><th scope="col">Status</th><th scope="col">Why</th><th scope="col">Planned change</th><th scope="col" class="num" data-type="number">$/month</th></tr></thead>
<tbody>
${shown.map(findingRow).join('\n')}
</tbody>
<tfoot><tr><td colspan="5">Total estimated saving, protected excluded${escapeHtml(overlapNote)}</td><td class="num">${escapeHtml(money(distinctTotal))}</td></tr></tfoot>
</table>
${snapshotSection(result.findings)}
${actionsSection}
${errors}
<footer class="muted">Estimates use the list prices in trimtab's price table (lib/savings/prices.ts); each finding's basis is under "Evidence".</footer>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}
