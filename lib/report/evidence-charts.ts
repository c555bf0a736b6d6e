/**
 * Small inline SVG charts of the evidence behind a finding, shared by the HTML report and the
 * approval page. Pure functions: finding → SVG string, or undefined when the evidence lacks the
 * series a chart needs. No scripts, no external references, no CSS classes the page must define
 * (colours are presentation attributes), so a chart works in a mail-safe page without JavaScript
 * and under the approval page's `default-src 'none'` CSP. Every label is escaped.
 *
 * - asg: daily CPU against the target line, daily in-service count against MinSize.
 * - ec2-instance (idle): daily CPU and network against the idle thresholds.
 * - s3-bucket: storage by class.
 * - ebs-volume: what is provisioned against what is used (unattached) or proposed (gp2 → gp3).
 * - ebs-snapshot: one timeline per volume, built from all the findings of the report.
 */

/** The parts of a finding the charts read (FindingResult and the approval record's findings fit). */
export interface ChartFinding {
  id: string;
  detector: string;
  status: string;
  resource: { type: string; id: string };
  evidence: Record<string, unknown>;
  plan?: { action: string };
  outcome?: string;
}

const esc = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const round1 = (n: number) => Math.round(n * 10) / 10;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const nums = (v: unknown): (number | null)[] | undefined =>
  Array.isArray(v) && v.length > 0 && v.every((x) => x === null || typeof x === 'number') ? (v as (number | null)[]) : undefined;

const COLOURS = { bar: '#0969da', line: '#cf222e', muted: '#57606a', text: '#1b1f24', grid: '#d0d7de', keep: '#1a7f37', del: '#cf222e', protect: '#8c959f' };
const FONT = 'font-family="-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif" font-size="11"';

/** Averages of each run of `size` values (nulls skipped; a run with no value is null), to one decimal. */
export function chunkAverages(values: (number | null)[], size: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < values.length; i += size) {
    const known = values.slice(i, i + size).filter((v): v is number => v !== null);
    out.push(known.length ? round1(known.reduce((a, b) => a + b, 0) / known.length) : null);
  }
  return out;
}

function svg(label: string, width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="evidence-chart" role="img" aria-label="${esc(label)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT}><title>${esc(label)}</title>${body}</svg>`;
}

export interface BarsWithLine {
  title: string;
  values: (number | null)[];
  /** A reference line (target, MinSize, threshold). */
  line?: { value: number; label: string };
  unit: string;
  /** Top of the scale; default: the largest value or line, with 10% headroom. */
  max?: number;
  /** Label for each bar's tooltip, e.g. "day 3". */
  barLabel?: (i: number) => string;
}

export const PLOT = { width: 300, height: 120, left: 36, right: 8, top: 18, bottom: 16 };

/** Vertical bars (one per value) with an optional dashed reference line: the series charts. */
export function barsWithLine(c: BarsWithLine): string {
  const { width, height, left, right, top, bottom } = PLOT;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const known = c.values.filter((v): v is number => v !== null);
  const max = c.max ?? Math.max(1e-9, ...known, c.line?.value ?? 0) * 1.1;
  const y = (v: number) => top + plotH - (Math.min(v, max) / max) * plotH;
  const slot = plotW / c.values.length;
  const barW = Math.max(1, round1(slot * 0.75));
  const bars = c.values
    .map((v, i) => {
      const label = c.barLabel?.(i) ?? `#${i + 1}`;
      if (v === null) return `<g class="bar missing" data-index="${i}"><title>${esc(`${label}: no data`)}</title></g>`;
      const h = round1(top + plotH - y(v));
      return `<rect class="bar" data-index="${i}" data-value="${v}" x="${round1(left + i * slot + (slot - barW) / 2)}" y="${round1(top + plotH - h)}" width="${barW}" height="${h}" fill="${COLOURS.bar}"><title>${esc(`${label}: ${v}${c.unit}`)}</title></rect>`;
    })
    .join('');
  const line = c.line
    ? `<line class="ref" data-value="${c.line.value}" x1="${left}" x2="${width - right}" y1="${round1(y(c.line.value))}" y2="${round1(y(c.line.value))}" stroke="${COLOURS.line}" stroke-width="1.5" stroke-dasharray="4 3"></line><text x="${width - right}" y="${round1(Math.max(top + 9, y(c.line.value) - 3))}" text-anchor="end" fill="${COLOURS.line}" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(`${c.line.label} ${c.line.value}${c.unit}`)}</text>`
    : '';
  const axis = `<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="${COLOURS.grid}"></line><text x="${left - 4}" y="${top + 4}" text-anchor="end" fill="${COLOURS.muted}">${esc(round1(max))}</text><text x="${left - 4}" y="${top + plotH}" text-anchor="end" fill="${COLOURS.muted}">0</text><text x="${left}" y="${height - 3}" fill="${COLOURS.muted}">${esc(c.barLabel?.(0) ?? '')}</text><text x="${width - right}" y="${height - 3}" text-anchor="end" fill="${COLOURS.muted}">${esc(c.barLabel?.(c.values.length - 1) ?? '')}</text>`;
  return svg(c.title, width, height, `<text x="0" y="11" fill="${COLOURS.text}" font-weight="600">${esc(c.title)}</text>${axis}${bars}${line}`);
}

export interface Row {
  label: string;
  value: number;
  /** Shown after the bar, e.g. "120 GiB". */
  text: string;
  colour?: string;
}

/** Horizontal bars on one scale: storage by class, provisioned against used or proposed. */
export function rowsChart(title: string, rows: Row[]): string {
  const rowH = 20;
  const labelW = 110;
  const barMax = 120;
  const width = labelW + barMax + 190;
  const height = 18 + rows.length * rowH;
  const max = Math.max(1e-9, ...rows.map((r) => r.value));
  const body = rows
    .map((r, i) => {
      const w = r.value > 0 ? Math.max(1, round1((r.value / max) * barMax)) : 0;
      const yy = 18 + i * rowH;
      const label = r.label.length > 18 ? `${r.label.slice(0, 17)}…` : r.label;
      return `<g class="row" data-label="${esc(r.label)}" data-value="${r.value}"><title>${esc(`${r.label}: ${r.text}`)}</title><text x="${labelW - 6}" y="${yy + 12}" text-anchor="end" fill="${COLOURS.text}">${esc(label)}</text><rect x="${labelW}" y="${yy + 3}" width="${w}" height="${rowH - 7}" rx="2" fill="${r.colour ?? COLOURS.bar}"></rect><text x="${labelW + w + 4}" y="${yy + 12}" fill="${COLOURS.muted}">${esc(r.text)}</text></g>`;
    })
    .join('');
  return svg(title, width, height, `<text x="0" y="11" fill="${COLOURS.text}" font-weight="600">${esc(title)}</text>${body}`);
}

const dayLabel = (days: number) => (i: number) => `day ${i + 1} of ${days}`;

function asgCharts(e: Record<string, unknown>): string | undefined {
  const profile = e.profile as { cpu?: unknown; inService?: unknown } | undefined;
  const cpu = nums(profile?.cpu);
  const inService = nums(profile?.inService);
  if (!cpu) return undefined;
  // The evidence keeps the hourly profile (oldest first); a day is 24 of its hours.
  const dailyCpu = chunkAverages(cpu, 24);
  const target = num(e.target) ?? num(e.demandTargetCpu);
  const out = [
    barsWithLine({ title: `CPU, daily average (${dailyCpu.length} days)`, values: dailyCpu, unit: '%', line: target !== undefined ? { value: target, label: 'target' } : undefined, barLabel: dayLabel(dailyCpu.length) }),
  ];
  const minSize = num(e.minSize);
  if (inService) {
    const daily = chunkAverages(inService, 24);
    out.push(barsWithLine({ title: 'In service, daily average', values: daily, unit: '', line: minSize !== undefined ? { value: minSize, label: 'MinSize' } : undefined, barLabel: dayLabel(daily.length) }));
  }
  return out.join('');
}

function instanceCharts(e: Record<string, unknown>): string | undefined {
  const daily = Array.isArray(e.daily) ? (e.daily as { day?: unknown; cpuPercent?: unknown; networkMb?: unknown }[]) : undefined;
  if (!daily?.length) return undefined;
  const t = (e.thresholds ?? {}) as { maxCpuPercent?: unknown; maxNetworkMb?: unknown };
  const label = (i: number) => String(daily[i]?.day ?? `day ${i + 1}`);
  const cpuLine = num(t.maxCpuPercent);
  const netLine = num(t.maxNetworkMb);
  const cpu = daily.map((d) => num(d.cpuPercent) ?? null);
  const net = daily.map((d) => num(d.networkMb) ?? null);
  // Provisioned is 100% of the instance's CPU: the scale runs to 100 unless the idle threshold fits far below.
  return (
    barsWithLine({ title: `CPU of the ${String(e.instanceType ?? 'instance')}, daily average`, values: cpu, unit: '%', max: Math.max(...cpu.map((v) => v ?? 0), (cpuLine ?? 0) * 2, 1), line: cpuLine !== undefined ? { value: cpuLine, label: 'idle below' } : undefined, barLabel: label }) +
    barsWithLine({ title: 'Network in + out, MB a day', values: net, unit: ' MB', line: netLine !== undefined ? { value: netLine, label: 'idle below' } : undefined, barLabel: label })
  );
}

function bucketChart(e: Record<string, unknown>): string | undefined {
  const byClass = e.sizeByStorageTypeGb;
  if (!byClass || typeof byClass !== 'object') return undefined;
  const rows = Object.entries(byClass as Record<string, unknown>)
    .filter((entry): entry is [string, number] => num(entry[1]) !== undefined && (entry[1] as number) > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, gb]) => ({ label: label.replace(/Storage$/, ''), value: gb, text: `${gb} GB` }));
  return rows.length ? rowsChart('Storage by class', rows) : undefined;
}

function volumeChart(f: ChartFinding): string | undefined {
  const e = f.evidence;
  const gp2 = e.gp2 as { baselineIops?: unknown; maxThroughputMiBps?: unknown } | undefined;
  const gp3 = e.gp3 as { iops?: unknown; throughputMiBps?: unknown } | undefined;
  const cost = e.monthlyCostUsd as { gp2?: unknown; gp3?: unknown } | undefined;
  if (gp2 && gp3 && cost) {
    const rows: Row[] = [];
    const pair = (what: string, now: unknown, next: unknown, unit: string) => {
      if (num(now) === undefined || num(next) === undefined) return;
      const max = Math.max(num(now)!, num(next)!);
      // Each pair on its own scale (IOPS, MiB/s and dollars do not share one): the share of the larger.
      rows.push({ label: `${what} gp2 now`, value: num(now)! / max, text: `${now}${unit}`, colour: COLOURS.protect });
      rows.push({ label: `${what} as gp3`, value: num(next)! / max, text: `${next}${unit}` });
    };
    pair('IOPS', gp2.baselineIops, gp3.iops, '');
    pair('MiB/s', gp2.maxThroughputMiBps, gp3.throughputMiBps, '');
    pair('$/month', cost.gp2, cost.gp3, '');
    return rows.length ? rowsChart('Provisioned now and as gp3', rows) : undefined;
  }
  const size = num(e.sizeGb);
  if (e.state === 'available' && size !== undefined) {
    return rowsChart('Provisioned against attached', [
      { label: 'Provisioned', value: size, text: `${size} GiB${num(e.estimatedMonthlyCostUsd) !== undefined ? `, $${e.estimatedMonthlyCostUsd}/month` : ''}`, colour: COLOURS.protect },
      { label: 'Attached', value: 0, text: `0 GiB; last attached: ${String(e.lastAttachedApprox ?? 'unknown')}` },
    ]);
  }
  return undefined;
}

/** The chart for one finding, or undefined when its evidence has no series to draw (snapshots: see snapshotTimelines). */
export function evidenceChart(f: ChartFinding): string | undefined {
  const e = f.evidence ?? {};
  switch (f.resource.type) {
    case 'asg':
      return asgCharts(e);
    case 'ec2-instance':
      return instanceCharts(e);
    case 's3-bucket':
      return bucketChart(e);
    case 'ebs-volume':
      return volumeChart(f);
    default:
      return undefined;
  }
}

export type SnapshotMark = 'to-delete' | 'protected' | 'kept';

/** How a snapshot finding shows on its volume's timeline. */
export function snapshotMark(f: ChartFinding): SnapshotMark {
  if (f.status === 'protected') return 'protected';
  // Report-only, a conflict, or an action that did not go ahead: the snapshot stays.
  if (f.status !== 'actionable' || !f.plan || f.outcome === 'skipped' || f.outcome === 'failed') return 'kept';
  return 'to-delete';
}

const MARK_COLOUR: Record<SnapshotMark, string> = { 'to-delete': COLOURS.del, protected: COLOURS.protect, kept: COLOURS.keep };

export interface SnapshotTimeline {
  volumeId: string;
  svg: string;
}

/**
 * One timeline per volume from the snapshot findings of a report (one snapshot found by two
 * policies shows once, the most cautious mark winning: protected, then kept, then to-delete).
 * Volumes sort by id; a snapshot without a readable startTime is left out.
 */
export function snapshotTimelines(findings: ChartFinding[]): SnapshotTimeline[] {
  const byVolume = new Map<string, Map<string, { at: number; mark: SnapshotMark; detectors: Set<string> }>>();
  const rank: Record<SnapshotMark, number> = { protected: 0, kept: 1, 'to-delete': 2 };
  for (const f of findings) {
    if (f.resource.type !== 'ebs-snapshot') continue;
    const volumeId = typeof f.evidence?.volumeId === 'string' ? f.evidence.volumeId : undefined;
    const at = typeof f.evidence?.startTime === 'string' ? Date.parse(f.evidence.startTime) : NaN;
    if (!volumeId || Number.isNaN(at)) continue;
    const snaps = byVolume.get(volumeId) ?? new Map<string, { at: number; mark: SnapshotMark; detectors: Set<string> }>();
    byVolume.set(volumeId, snaps);
    const mark = snapshotMark(f);
    const seen = snaps.get(f.resource.id);
    if (!seen) snaps.set(f.resource.id, { at, mark, detectors: new Set([f.detector]) });
    else {
      seen.detectors.add(f.detector);
      if (rank[mark] < rank[seen.mark]) seen.mark = mark;
    }
  }
  return [...byVolume.keys()].sort().map((volumeId) => ({ volumeId, svg: timelineSvg(volumeId, byVolume.get(volumeId)!) }));
}

function timelineSvg(volumeId: string, snaps: Map<string, { at: number; mark: SnapshotMark; detectors: Set<string> }>): string {
  const width = 420;
  const left = 12;
  const right = 12;
  const axisY = 40;
  const list = [...snaps].sort((a, b) => a[1].at - b[1].at || a[0].localeCompare(b[0]));
  const first = list[0][1].at;
  const last = list[list.length - 1][1].at;
  const span = Math.max(1, last - first);
  const x = (at: number) => round1(last === first ? width / 2 : left + ((at - first) / span) * (width - left - right));
  const day = (at: number) => new Date(at).toISOString().slice(0, 10);
  const counts = { 'to-delete': 0, protected: 0, kept: 0 } as Record<SnapshotMark, number>;
  const marks = list
    .map(([id, s]) => {
      counts[s.mark] += 1;
      const shape =
        s.mark === 'to-delete'
          ? `<path d="M${x(s.at) - 5} ${axisY - 5}l10 10m0 -10l-10 10" stroke="${MARK_COLOUR[s.mark]}" stroke-width="2.5"></path>`
          : `<circle cx="${x(s.at)}" cy="${axisY}" r="5" fill="${MARK_COLOUR[s.mark]}" stroke="#fff"></circle>`;
      return `<g class="snapshot ${s.mark}" data-snapshot="${esc(id)}" data-mark="${s.mark}" data-x="${x(s.at)}"><title>${esc(`${id} · ${day(s.at)} · ${s.mark} (${[...s.detectors].join(', ')})`)}</title>${shape}</g>`;
    })
    .join('');
  const legend = (['to-delete', 'kept', 'protected'] as SnapshotMark[])
    .filter((m) => counts[m] > 0)
    .map((m) => `${counts[m]} ${m}`)
    .join(' · ');
  const title = `Snapshots of ${volumeId}`;
  const body = `<text x="0" y="11" fill="${COLOURS.text}" font-weight="600">${esc(title)}</text><text x="${width}" y="11" text-anchor="end" fill="${COLOURS.muted}">${esc(legend)}</text><line x1="${left}" x2="${width - right}" y1="${axisY}" y2="${axisY}" stroke="${COLOURS.grid}" stroke-width="2"></line>${marks}<text x="${left}" y="62" fill="${COLOURS.muted}">${esc(day(first))}</text><text x="${width - right}" y="62" text-anchor="end" fill="${COLOURS.muted}">${esc(day(last))}</text>`;
  return svg(`${title}: ${legend}`, width, 68, body);
}
