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
 * - Findings grouped and totalled by benefit (cost, performance, both); a performance finding
 *   shows the risk it removes.
 *
 * Streaming: HtmlReportWriter writes the head and then one table row per finding as the engine
 * produces them; the totals, charts and timelines, known only at the end, are written after the
 * table and shown above it by CSS flex `order` (no second pass over the findings, nothing kept
 * but the compact snapshot marks of the timelines). renderHtmlReport is the same writer over a
 * result held in memory, rows sorted by saving.
 */
import type { ActionRecord } from '../engine/types.ts';
import { facts } from './facts.ts';
import { money } from './totals.ts';
import { overlapKey } from '../engine/tally.ts';
import type { FindingResult, RunResult } from '../engine/run.ts';
import { unevaluatedLine } from '../engine/partial.ts';
import { BENEFIT_GROUPS, BENEFIT_LABEL, benefitGroup } from '../engine/tally.ts';
import { usd } from '../savings/prices.ts';
import { evidenceChart, snapshotTimelines, type ChartFinding } from './evidence-charts.ts';
import { totalsOf, totalsOfFindings, type Bar, type ReportTotals } from './totals.ts';
import { groupByOwner, ownerLabel } from './owner-groups.ts';

export type { Bar } from './totals.ts';

export interface ReportMeta {
  account: string;
  regions: string[];
  generatedAt: Date;
  /** What produced it: 'scan' (read-only) or 'run' (auto mode applied, approvals asked). */
  command: 'scan' | 'run' | 'demo';
  apiCalls?: number;
  /** Include protected findings (with the reason) in the table; they never count in totals or charts. */
  includeProtected?: boolean;
  /** The undo command of an action, as the user runs trimtab (lib/cli/invoked.ts; default `trimtab undo <id>`). */
  undoCommand?: (actionId: string) => string;
}

export const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);


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
    const key = overlapKey(f);
    const seen = best.get(key);
    if (seen) overlapping += 1;
    if (!seen || f.savings.monthlyUsd > seen.savings.monthlyUsd) best.set(key, f);
  }
  return { findings: [...best.values()], overlapping };
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

/** A fact's value, cut at 600 characters. */
const evidenceValue = (text: string) => (text.length > 600 ? `${text.slice(0, 599)}…` : text);

function evidenceDetails(f: FindingResult): string {
  // Labelled facts with units (lib/report/facts.ts), not camelCase keys and raw JSON.
  const rows = facts(f.evidence)
    .map((x) => `<tr><th scope="row">${escapeHtml(x.label)}</th><td>${escapeHtml(evidenceValue(x.value))}</td></tr>`)
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

/** One timeline per volume, from every snapshot finding of the report (the first MAX_TIMELINE_VOLUMES volumes). */
function snapshotSection(findings: ChartFinding[], moreVolumes: number): string {
  const timelines = snapshotTimelines(findings);
  if (!timelines.length) return '';
  const more = moreVolumes ? ` Timelines are drawn for the first ${MAX_TIMELINE_VOLUMES} volumes; ${moreVolumes} more volume${moreVolumes === 1 ? ' has' : 's have'} snapshot findings in the table.` : '';
  return `<section class="s-timelines"><h2>Snapshots by volume</h2>
<p class="muted">Each snapshot the policies looked at, by start time: × to delete, green kept (the newest a keep-the-newest policy keeps, reported only, or not acted on), grey protected. Hover a mark for the snapshot id.${escapeHtml(more)}</p>
<div class="charts" id="snapshot-timelines">${timelines.map((t) => `<figure class="chart timeline" data-volume="${escapeHtml(t.volumeId)}">${t.svg}</figure>`).join('\n')}</div></section>`;
}

/** A report draws at most this many snapshot timelines: past that a page of timelines helps nobody, and each costs memory while streaming. */
export const MAX_TIMELINE_VOLUMES = 200;

/** What a snapshot timeline needs of a finding: a few fields, not the finding. */
function timelineMark(f: FindingResult): ChartFinding {
  return {
    id: f.id,
    detector: f.detector,
    status: f.status,
    resource: { type: f.resource.type, id: f.resource.id },
    evidence: { volumeId: f.evidence.volumeId, startTime: f.evidence.startTime, ...(f.evidence.keep !== undefined ? { keep: f.evidence.keep } : {}), ...(f.evidence.keptNewer ? { keptNewer: f.evidence.keptNewer } : {}) },
    ...(f.plan ? { plan: { action: f.plan.action } } : {}),
    outcome: f.outcome,
  };
}

function findingRow(f: FindingResult): string {
  const label = outcomeLabel(f);
  const amount = saving(f);
  const group = benefitGroup(f);
  return `<tr class="status-${escapeHtml(f.status)}" data-benefit="${group}"${f.owner ? ` data-owner="${escapeHtml(ownerLabel(f.owner))}"` : ''}>
<td data-sort="${escapeHtml(`${f.resource.type} ${f.resource.id}`)}"><span class="type">${escapeHtml(f.resource.type)}</span> <strong>${escapeHtml(f.resource.id)}</strong><br><span class="muted">${escapeHtml(f.resource.region)}</span>${f.owner ? `<br><span class="owner">Owner: ${escapeHtml(ownerLabel(f.owner))}</span>` : ''}</td>
<td>${escapeHtml(f.policy)}<br><span class="muted">${escapeHtml(f.mode)}</span></td>
<td data-sort="${escapeHtml(label)}"><span class="badge ${escapeHtml(label.replace(/\s+/g, '-').toLowerCase())}">${escapeHtml(label)}</span><br><span class="benefit ${group}">${escapeHtml(BENEFIT_LABEL[group])}</span></td>
<td>${escapeHtml(f.reason)}${f.risk ? `<p class="risk"><strong>Risk removed:</strong> ${escapeHtml(f.risk.summary)}</p>` : ''}${chartBlock(f)}${evidenceDetails(f)}</td>
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
table.kv{border-collapse:collapse;margin:6px 0;font-size:12px}table.kv th,table.kv td{border:0;padding:2px 8px 2px 0;overflow-wrap:anywhere}table.kv th{overflow-wrap:normal}table.kv th{color:#57606a;font-weight:500;white-space:nowrap;text-align:left;vertical-align:top}
ul.basis{margin:2px 0 6px 16px;padding:0;font-size:12px}
footer{margin-top:24px}
.evidence-charts{display:flex;flex-wrap:wrap;gap:8px;margin-top:6px}.evidence-charts svg{max-width:100%;height:auto;background:#fff}
.chart.timeline{flex:0 1 460px}
main{display:flex;flex-direction:column}main>header{order:0}.s-summary{order:1}.s-owners{order:1}.s-findings-title{order:2}.s-findings{order:3}.s-timelines{order:4}.s-actions{order:5}.s-errors{order:6}main>footer{order:7}
.benefit{display:inline-block;margin-top:4px;font-size:11px;color:#57606a}.benefit.performance,.benefit.both{color:#8250df;font-weight:600}
p.risk{margin:4px 0 0;color:#8250df}
span.owner{font-size:12px;color:#0550ae}.owner-group h3{font-size:15px;margin:12px 0 4px}.owner-group ul{margin:0 0 0 18px;padding:0}
body{overflow-wrap:anywhere}.scroll{max-width:100%;overflow-x:auto}
#findings>tbody>tr>td>strong,code{overflow-wrap:anywhere}
@media (max-width:720px){
body{padding:12px}
table#findings,#findings>tbody,#findings>tfoot{display:block}
#findings>thead{display:block;position:sticky;top:0;z-index:1}
#findings>thead>tr{display:flex;flex-wrap:wrap;gap:4px;padding:6px;background:#eaeef2}
#findings>thead>tr>th{padding:2px 8px;border:1px solid #d0d7de;border-radius:10px;background:#fff;position:static;font-weight:500;font-size:12px}
#findings>tbody>tr,#findings>tfoot>tr{display:block;border-bottom:2px solid #d0d7de;padding:6px 0}
#findings>tbody>tr>td,#findings>tfoot>tr>td{display:block;border:0;padding:3px 10px}
#findings>tbody>tr>td:nth-child(2)::before{content:"Policy: ";color:#57606a}
#findings>tbody>tr>td:nth-child(5)::before{content:"Planned change: ";color:#57606a}
#findings>tbody>tr>td.num,#findings>tfoot>tr>td.num{text-align:left;font-weight:600}
#findings>tbody>tr>td.num::before{content:"Saving: ";color:#57606a;font-weight:400}
.chart{flex-basis:100%}
}
table.benefits{border-collapse:collapse;background:#fff;border:1px solid #d0d7de}table.benefits th,table.benefits td{padding:6px 10px;border-bottom:1px solid #d8dee4;text-align:left}table.benefits td.num{text-align:right}`;

/** Sorting: click a heading (or Enter/Space on it). Numbers sort by data-sort, text by its content. */
const SCRIPT = `(function(){var t=document.getElementById('findings');if(!t)return;var body=t.tBodies[0];
var heads=t.tHead.rows[0].cells;function key(row,i){var c=row.cells[i];return c.hasAttribute('data-sort')?c.getAttribute('data-sort'):c.textContent.trim();}
Array.prototype.forEach.call(heads,function(th,i){th.classList.add('sortable');th.tabIndex=0;th.setAttribute('aria-sort','none');
function sort(){var asc=th.getAttribute('aria-sort')!=='ascending';var num=th.getAttribute('data-type')==='number';
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=key(a,i),y=key(b,i);var r=num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y,undefined,{numeric:true});return asc?r:-r;});
rows.forEach(function(r){body.appendChild(r);});Array.prototype.forEach.call(heads,function(h){h.setAttribute('aria-sort','none');});th.setAttribute('aria-sort',asc?'ascending':'descending');}
th.addEventListener('click',sort);th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});});
if(t.hasAttribute('data-sort-on-load')){var last=heads.length-1;var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){return (parseFloat(key(b,last))||0)-(parseFloat(key(a,last))||0);});rows.forEach(function(r){body.appendChild(r);});}})();`;

/** Findings by benefit: count and (overlap-free) saving per group; performance findings count even when they save nothing. */
function benefitSection(totals: ReportTotals): string {
  const rows = BENEFIT_GROUPS.map((g) => {
    const t = totals.byBenefit[g];
    return `<tr data-benefit="${g}"><td>${escapeHtml(BENEFIT_LABEL[g])}</td><td class="num">${t.count}</td><td class="num">${escapeHtml(money(t.monthlyUsd))}</td></tr>`;
  }).join('');
  return `<h2>By benefit</h2>
<p class="muted">Cost findings save money; performance findings remove a risk to the workload (saturation, throttling, out-of-memory), stated in each one's "Risk removed"; some do both.</p>
<table class="benefits" id="by-benefit"><thead><tr><th scope="col">Benefit</th><th scope="col">Findings</th><th scope="col">$/month</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The HTML report written as the findings come: `write` once per finding (an engine sink),
 * `finish` with the run's result for the totals. `out` receives the document in pieces.
 */
export class HtmlReportWriter {
  private readonly marks: ChartFinding[] = [];
  private readonly volumes = new Set<string>();
  /** Volumes past MAX_TIMELINE_VOLUMES: only their ids, to say how many were not drawn. */
  private readonly moreVolumes = new Set<string>();
  private shown = 0;
  /** Findings on owned resources (few), for the "By owner" section; the others only counted. */
  private readonly owned: FindingResult[] = [];
  private unowned = { count: 0, monthlyUsd: 0 };

  constructor(
    private readonly out: (text: string) => void,
    private readonly meta: ReportMeta,
    /** Rows arrive in no particular order (a streaming run): the page sorts them by saving on load. */
    sortOnLoad = true,
  ) {
    const when = meta.generatedAt.toISOString().replace('T', ' ').slice(0, 19);
    const title = `trimtab report · ${meta.account} · ${when} UTC`;
    const commandText = { scan: 'trimtab scan (read-only)', run: 'trimtab run', demo: 'trimtab demo (sandbox)' }[meta.command];
    out(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><main>
<header>
<h1>trimtab report</h1>
<p class="meta">Account <strong id="account">${escapeHtml(meta.account)}</strong> · Regions ${escapeHtml(meta.regions.join(', '))} · <time datetime="${escapeHtml(meta.generatedAt.toISOString())}">${escapeHtml(when)} UTC</time> · ${escapeHtml(commandText)}${meta.apiCalls !== undefined ? ` · ${meta.apiCalls} API calls` : ''}</p>
</header>
<section class="s-findings">
<p class="muted">Largest saving first. Click a column heading to sort; open "Evidence" for the numbers behind a finding. Protected resources are listed with the reason and never changed.</p>
<table id="findings"${sortOnLoad ? ' data-sort-on-load' : ''}>
<thead><tr><th scope="col">Resource</th><th scope="col">Policy</th><th scope="col">Status</th><th scope="col">Why</th><th scope="col">Planned change</th><th scope="col" class="num" data-type="number">$/month</th></tr></thead>
<tbody>
`);
  }

  write(f: FindingResult): void {
    if (this.meta.includeProtected === false && f.status === 'protected') return;
    this.shown += 1;
    this.out(`${findingRow(f)}\n`);
    if (f.owner) this.owned.push(f);
    else this.unowned = { count: this.unowned.count + 1, monthlyUsd: this.unowned.monthlyUsd + saving(f) };
    if (f.resource.type !== 'ebs-snapshot' || typeof f.evidence.volumeId !== 'string') return;
    const volume = f.evidence.volumeId;
    if (this.volumes.has(volume) || this.volumes.size < MAX_TIMELINE_VOLUMES) {
      this.volumes.add(volume);
      this.marks.push(timelineMark(f));
    } else this.moreVolumes.add(volume);
  }

  private ownerSection(): string {
    return ownerGroupsHtml(this.owned, this.unowned);
  }

  /** `apiCalls`: known only at the end of a streamed run (the header was written first). */
  finish(result: RunResult, actions: ActionRecord[] = result.actions, totals: ReportTotals = totalsOf(result), apiCalls?: number): void {
    const s = result.summary;
    const overlapNote = totals.overlapping
      ? ` (${totals.overlapping} overlapping estimate${totals.overlapping === 1 ? '' : 's'}, where policies propose the same change to the same resource, counted once; the per-policy chart counts each)`
      : '';
    const cards = [
      ['Findings', String(totals.findings)],
      ['Est. savings', `${money(totals.estimatedMonthlySavingsUsd)}/mo`],
      ['Protected', String(totals.protected)],
      // From the actions listed below (the demo lists its approved ones too): the tiles and the table agree.
      ['Actions applied', String(actions.filter((a) => a.status === 'verified' || a.status === 'applied').length)],
      ['Awaiting approval', String(s.awaitingApproval)],
      ...(actions.some((a) => a.status === 'failed') ? [['Actions failed', String(actions.filter((a) => a.status === 'failed').length)]] : []),
      ...(s.notEvaluated ? [['Not evaluated', String(s.notEvaluated)]] : []),
    ];
    const actionsSection = actions.length
      ? `<section class="s-actions"><h2>Actions</h2><div class="scroll"><table id="actions" class="kv"><tr><th>Action id</th><th>Policy</th><th>Resource</th><th>Status</th><th>Undo</th></tr>${actions
          .map((a) => `<tr><td><code>${escapeHtml(a.id)}</code></td><td>${escapeHtml(a.policy)}</td><td>${escapeHtml(a.resource.id)}</td><td>${escapeHtml(a.status)}</td><td>${a.undo.supported === 'no' ? 'not possible' : `<code>${escapeHtml(this.meta.undoCommand?.(a.id) ?? `trimtab undo ${a.id}`)}</code>`}</td></tr>`)
          .join('')}</table></div></section>`
      : '';
    const errors = result.errors.length
      ? `<section class="s-errors"><h2>Could not list</h2><ul>${result.errors.map((e) => `<li>${escapeHtml(e.resourceType)} in ${escapeHtml(e.region)} (${escapeHtml(e.policies.join(', '))}): ${escapeHtml(e.error)}</li>`).join('')}</ul></section>`
      : '';
    const unevaluated = result.unevaluated ?? [];
    const notEvaluated = unevaluated.length
      ? `<section class="s-errors s-unevaluated"><h2>Not evaluated</h2><p>A read these detectors need failed, so they did not run on these resources; every other detector did.</p><ul id="not-evaluated">${unevaluated
          .map((u) => `<li>${escapeHtml(unevaluatedLine(u))}</li>`)
          .join('')}</ul></section>`
      : '';
    const protectedShown = this.shown - totals.findings;
    this.out(`</tbody>
<tfoot><tr><td colspan="5">Total estimated saving, protected excluded${escapeHtml(overlapNote)}</td><td class="num">${escapeHtml(money(totals.estimatedMonthlySavingsUsd))}</td></tr></tfoot>
</table>
</section>
<section class="s-summary">
${apiCalls !== undefined && this.meta.apiCalls === undefined ? `<p class="meta" id="api-calls">${apiCalls} API calls</p>` : ''}
<ul class="totals">${cards.map(([k, v]) => `<li>${escapeHtml(k)}<strong>${escapeHtml(v)}</strong></li>`).join('')}</ul>
${benefitSection(totals)}
<h2>Estimated monthly savings</h2>
<div class="charts">
${barChart('By policy', totals.byPolicy, 'chart-policy')}
${barChart('By resource type', totals.byResourceType, 'chart-resource-type')}
</div>
</section>
${this.ownerSection()}
<h2 class="s-findings-title">Findings (${totals.findings}${protectedShown > 0 ? `, and ${protectedShown} protected` : ''})</h2>
${snapshotSection(this.marks, this.moreVolumes.size)}
${actionsSection}
${errors}
${notEvaluated}
<footer class="muted">Estimates use the list prices in trimtab's price table (lib/savings/prices.ts); each finding's basis is under "Evidence".</footer>
</main>
<script>${SCRIPT}</script>
</body></html>
`);
  }
}

/**
 * Findings grouped by owner (the stack, the node group, …), so a team sees its own changes together:
 * each owned group with its findings in the table's order (largest saving first), "No owner" last
 * as a count (its findings are the rest of the table). Nothing when no finding has an owner.
 */
function ownerGroupsHtml(owned: FindingResult[], unowned: { count: number; monthlyUsd: number }): string {
  if (!owned.length) return '';
  const sorted = [...owned].sort(byTableOrder);
  const heading = (label: string, count: number, monthlyUsd: number) => `${label}: ${count} finding${count === 1 ? '' : 's'}, est. ${money(usd(monthlyUsd))}/month`;
  const groups = groupByOwner(sorted).map(
    (g) => `<div class="owner-group" data-owner="${escapeHtml(g.label)}"><h3>${escapeHtml(heading(g.label, g.items.length, g.items.reduce((t, f) => t + saving(f), 0)))}</h3><ul>${g.items
      .map((f) => `<li><span class="type">${escapeHtml(f.resource.type)}</span> <strong>${escapeHtml(f.resource.id)}</strong> · ${escapeHtml(f.policy)} · ${escapeHtml(outcomeLabel(f))}: ${escapeHtml(f.plan?.summary ?? f.outcomeDetail ?? f.reason)}</li>`)
      .join('')}</ul></div>`,
  );
  const none = unowned.count ? `<div class="owner-group" data-owner="No owner"><h3>${escapeHtml(heading('No owner', unowned.count, unowned.monthlyUsd))}</h3><p class="muted">The other findings in the table.</p></div>` : '';
  return `<section class="s-owners" id="by-owner"><h2>By owner</h2><p class="muted">Owned resources change in their owner (a CloudFormation stack, an EKS node group, a Beanstalk environment, Terraform): each owner's findings together.</p>${groups.join('')}${none}</section>`;
}

const byTableOrder = (a: FindingResult, b: FindingResult) => saving(b) - saving(a) || a.policy.localeCompare(b.policy) || a.resource.id.localeCompare(b.resource.id);

/** The whole report as one string, from a result that holds its findings (rows sorted by saving). */
export function renderHtmlReport(result: RunResult, meta: ReportMeta, actions: ActionRecord[] = result.actions): string {
  const parts: string[] = [];
  const writer = new HtmlReportWriter((text) => parts.push(text), meta, false);
  const sorted = [...result.findings].sort(byTableOrder);
  for (const f of sorted) writer.write(f);
  // A result that streamed its findings elsewhere holds only some of them: its totals are the engine's.
  writer.finish(result, actions, result.detail === 'acted-on' ? totalsOf(result) : totalsOfFindings(result.findings));
  return parts.join('');
}
