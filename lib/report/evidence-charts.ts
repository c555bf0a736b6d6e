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

export interface RefLine {
  value: number;
  label: string;
  colour?: string;
}

export interface BarsWithLine {
  title: string;
  values: (number | null)[];
  /** A reference line (target, MinSize, threshold). */
  line?: RefLine;
  /** More reference lines (MinSize, MaxSize, the proposed MaxSize), drawn after `line`. */
  lines?: RefLine[];
  /** The values' unit as it follows a number in tooltips and the legend ('%', ' MB', ' instances'). */
  unit: string;
  /** The unit on the axis ticks; default `unit` ('' for counts: the title names what is counted). */
  tickUnit?: string;
  /** Counts: ticks only at whole numbers. */
  integer?: boolean;
  /** Top of the scale at least; rounded up to a round tick. Default: the largest value or line. */
  max?: number;
  /** Label for each bar's tooltip, e.g. "day 3". */
  barLabel?: (i: number) => string;
}

/** The fixed parts of a series chart; its left margin grows with the tick labels, its top with the legend. */
export const PLOT = { width: 300, plotHeight: 86, right: 8, title: 18, legendRow: 13, bottom: 16 };

/** A round scale for 0..max: 2 to 5 ticks at 1, 2, 2.5 or 5 × 10^k (whole numbers only for counts). */
export function niceScale(max: number, integer = false): { max: number; step: number; ticks: number[] } {
  const top = Math.max(max, integer ? 1 : 1e-9);
  const raw = top / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  let step = steps.map((m) => m * magnitude).find((v) => v >= raw) ?? 10 * magnitude;
  if (integer) step = Math.max(1, Math.round(step));
  const n = Math.max(1, Math.ceil(top / step - 1e-9));
  const ticks = Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { max: ticks[ticks.length - 1], step, ticks };
}

/** A tick or legend number: no float noise, thousands grouped. */
const fmt = (n: number) => Number(n.toPrecision(12)).toLocaleString('en-US', { maximumFractionDigits: 2 });
/** About how wide a label is at font-size 11 (no layout engine here): enough to keep labels apart. */
const textWidth = (text: string) => text.length * 6.2;

/**
 * Vertical bars (one per value) with dashed reference lines: the series charts. The labels never
 * sit on the plot: the title and a legend of the lines above it, the round ticks (with their unit)
 * left of it, the first and last bar's label below it.
 */
export function barsWithLine(c: BarsWithLine): string {
  const { width, plotHeight: plotH, right, bottom } = PLOT;
  const refs = [...(c.line ? [c.line] : []), ...(c.lines ?? [])];
  const known = c.values.filter((v): v is number => v !== null);
  const scale = niceScale(Math.max(c.max ?? 0, ...known, ...refs.map((r) => r.value)), c.integer);
  const max = scale.max;
  const tickUnit = c.tickUnit ?? c.unit;
  const tickLabels = scale.ticks.map((t) => `${fmt(t)}${tickUnit}`);
  const left = Math.ceil(Math.max(...tickLabels.map(textWidth)) + 8);
  const plotW = width - left - right;
  // The legend: one entry per line, wrapped into rows that fit the width.
  const legend: { x: number; row: number; ref: RefLine; text: string }[] = [];
  let x = 0;
  let row = 0;
  for (const ref of refs) {
    const text = `${ref.label} ${fmt(ref.value)}${c.unit}`;
    const w = 18 + textWidth(text) + 10;
    if (x > 0 && x + w > width) {
      row += 1;
      x = 0;
    }
    legend.push({ x, row, ref, text });
    x += w;
  }
  const rows = legend.length ? row + 1 : 0;
  const top = PLOT.title + rows * PLOT.legendRow + 6;
  const height = top + plotH + bottom;
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
  const lines = refs
    .map((r) => `<line class="ref" data-label="${esc(r.label)}" data-value="${r.value}" x1="${left}" x2="${width - right}" y1="${round1(y(r.value))}" y2="${round1(y(r.value))}" stroke="${r.colour ?? COLOURS.line}" stroke-width="1.5" stroke-dasharray="4 3"><title>${esc(`${r.label} ${fmt(r.value)}${c.unit}`)}</title></line>`)
    .join('');
  const legendSvg = legend
    .map((l) => {
      const ly = PLOT.title + l.row * PLOT.legendRow + 8;
      const colour = l.ref.colour ?? COLOURS.line;
      return `<g class="legend"><line x1="${l.x}" x2="${l.x + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 3"></line><text class="legend" x="${l.x + 18}" y="${ly}" fill="${colour}">${esc(l.text)}</text></g>`;
    })
    .join('');
  const ticks = scale.ticks
    .map((t, i) => `<line x1="${left}" x2="${width - right}" y1="${round1(y(t))}" y2="${round1(y(t))}" stroke="${i === 0 ? COLOURS.grid : '#eaeef2'}"></line><text class="tick" data-value="${t}" x="${left - 4}" y="${round1(y(t) + 4)}" text-anchor="end" fill="${COLOURS.muted}">${esc(tickLabels[i])}</text>`)
    .join('');
  const xLabels = `<text class="x-label" x="${left}" y="${height - 3}" fill="${COLOURS.muted}">${esc(c.barLabel?.(0) ?? '')}</text><text class="x-label" x="${width - right}" y="${height - 3}" text-anchor="end" fill="${COLOURS.muted}">${esc(c.barLabel?.(c.values.length - 1) ?? '')}</text>`;
  const area = `<rect class="plot-area" x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none"></rect>`;
  return svg(c.title, width, height, `<text x="0" y="11" fill="${COLOURS.text}" font-weight="600">${esc(c.title)}</text>${legendSvg}${area}${ticks}${bars}${lines}${xLabels}`);
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
  if (inService) {
    const daily = chunkAverages(inService, 24);
    // The group's bounds, and the MaxSize a raise-max-size plan proposes (evidence.candidate).
    const minSize = num(e.minSize);
    const maxSize = num(e.maxSize);
    const proposed = num(e.candidate);
    const lines: RefLine[] = [
      ...(minSize !== undefined ? [{ value: minSize, label: 'MinSize', colour: COLOURS.muted }] : []),
      ...(maxSize !== undefined ? [{ value: maxSize, label: 'MaxSize', colour: COLOURS.line }] : []),
      ...(proposed !== undefined && maxSize !== undefined && proposed !== maxSize ? [{ value: proposed, label: 'proposed MaxSize', colour: COLOURS.keep }] : []),
    ];
    out.push(barsWithLine({ title: 'Instances in service, daily average', values: daily, unit: ' instances', tickUnit: '', integer: true, lines, barLabel: dayLabel(daily.length) }));
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
    pair('IOPS', gp2.baselineIops, gp3.iops, ' IOPS');
    pair('MiB/s', gp2.maxThroughputMiBps, gp3.throughputMiBps, ' MiB/s');
    pair('$/month', cost.gp2, cost.gp3, ' $/month');
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
  /** Snapshots a keep-the-newest-K policy kept (evidence.keptNewer), by volume: drawn as kept unless a finding says otherwise. */
  const keptByVolume = new Map<string, Map<string, { at: number; detector: string }>>();
  const keepOf = new Map<string, number>();
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
    const keep = num(f.evidence.keep);
    if (keep !== undefined) keepOf.set(volumeId, Math.min(keep, keepOf.get(volumeId) ?? keep));
    if (Array.isArray(f.evidence.keptNewer)) {
      const kept = keptByVolume.get(volumeId) ?? new Map<string, { at: number; detector: string }>();
      keptByVolume.set(volumeId, kept);
      for (const k of f.evidence.keptNewer as { snapshotId?: unknown; startTime?: unknown }[]) {
        const kAt = typeof k?.startTime === 'string' ? Date.parse(k.startTime) : NaN;
        if (typeof k?.snapshotId === 'string' && !Number.isNaN(kAt)) kept.set(k.snapshotId, { at: kAt, detector: f.detector });
      }
    }
  }
  // A snapshot listed as kept that is itself a finding (pushed out later by a newer one) shows as its finding.
  for (const [volumeId, kept] of keptByVolume) {
    const snaps = byVolume.get(volumeId)!;
    for (const [id, k] of kept) if (!snaps.has(id)) snaps.set(id, { at: k.at, mark: 'kept', detectors: new Set([`${k.detector}: among the newest ${keepOf.get(volumeId) ?? '?'}`]) });
  }
  return [...byVolume.keys()].sort().map((volumeId) => ({ volumeId, svg: timelineSvg(volumeId, byVolume.get(volumeId)!, keepOf.get(volumeId)) }));
}

function timelineSvg(volumeId: string, snaps: Map<string, { at: number; mark: SnapshotMark; detectors: Set<string> }>, keep?: number): string {
  const width = 420;
  const left = 12;
  const right = 12;
  // Title, then the legend on its own row (they would overlap on one), then the axis and its dates.
  const axisY = 46;
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
    .join(' · ') + (keep !== undefined ? ` (policy keeps the newest ${keep})` : '');
  const title = `Snapshots of ${volumeId}`;
  const body = `<text x="0" y="11" fill="${COLOURS.text}" font-weight="600">${esc(title)}</text><text class="legend" x="0" y="25" fill="${COLOURS.muted}">${esc(legend)}</text><line x1="${left}" x2="${width - right}" y1="${axisY}" y2="${axisY}" stroke="${COLOURS.grid}" stroke-width="2"></line>${marks}<text x="${left}" y="68" fill="${COLOURS.muted}">${esc(day(first))}</text><text x="${width - right}" y="68" text-anchor="end" fill="${COLOURS.muted}">${esc(day(last))}</text>`;
  return svg(`${title}: ${legend}`, width, 74, body);
}
