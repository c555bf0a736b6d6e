import { describe, expect, it } from 'vitest';
import { barsWithLine, chunkAverages, evidenceChart, PLOT, rowsChart, snapshotMark, snapshotTimelines, type ChartFinding } from '../../../lib/report/evidence-charts.ts';

const finding = (type: string, evidence: Record<string, unknown>, extra: Partial<ChartFinding> = {}): ChartFinding => ({
  id: `f-${type}`,
  detector: 'd',
  status: 'actionable',
  resource: { type, id: `${type}-1` },
  evidence,
  plan: { action: 'a' },
  ...extra,
});

/** Attributes of every element matching `tag` with class `cls`, e.g. the bars. */
const elements = (svg: string, tag: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<${tag} class="${cls}"([^>]*)>`, 'g'))].map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));

/** The plot rectangle of a series chart (the labels sit outside it). */
const plotArea = (svg: string) => {
  const [a] = elements(svg, 'rect', 'plot-area');
  return { left: Number(a.x), top: Number(a.y), width: Number(a.width), height: Number(a.height), bottom: Number(a.y) + Number(a.height) };
};
const plotHeight = PLOT.plotHeight;

describe('chunkAverages', () => {
  it('averages each run of values to one decimal, skipping nulls, and gives null for a run without data', () => {
    // Prepare
    const values = [1, 2, null, 4, null, null, 10];

    // Act
    const days = chunkAverages(values, 2);

    // Assess
    expect(days).toEqual([1.5, 4, null, 10]);
  });
});

describe('barsWithLine', () => {
  it('draws one bar per value scaled to the maximum, a gap for missing data and the reference line at its height', () => {
    // Act
    const svg = barsWithLine({ title: 'CPU', values: [10, null, 50], unit: '%', max: 100, line: { value: 40, label: 'target' } });

    // Assess
    const bars = elements(svg, 'rect', 'bar');
    expect(bars.map((b) => [b['data-index'], Number(b['data-value']), Number(b.height)])).toEqual([
      ['0', 10, Math.round(plotHeight * 0.1 * 10) / 10],
      ['2', 50, Math.round(plotHeight * 0.5 * 10) / 10],
    ]);
    // The bars stand on the axis, left to right in data order.
    const plotBottom = plotArea(svg).bottom;
    expect(bars.every((b) => Math.abs(Number(b.y) + Number(b.height) - plotBottom) < 0.11)).toBe(true);
    expect(Number(bars[0].x)).toBeLessThan(Number(bars[1].x));
    expect(svg).toContain('<g class="bar missing" data-index="1">');
    const [line] = elements(svg, 'line', 'ref');
    expect(Number(line.y1)).toBeCloseTo(plotBottom - plotHeight * 0.4, 1);
    expect(svg).toContain('target 40%');
  });

  it('escapes the title and the labels', () => {
    // Act
    const svg = barsWithLine({ title: '<script>alert(1)</script>', values: [1], unit: '"%', barLabel: () => "a&b'" });

    // Assess
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('a&amp;b&#39;: 1&quot;%');
  });
});

describe('rowsChart', () => {
  it('scales the widest row to the full bar and keeps zero rows empty', () => {
    // Act
    const svg = rowsChart('Storage', [
      { label: 'Standard', value: 200, text: '200 GB' },
      { label: 'Glacier', value: 50, text: '50 GB' },
      { label: 'None', value: 0, text: '0 GB' },
    ]);

    // Assess
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([120, 30, 0]);
    expect(svg).toContain('data-label="Standard" data-value="200"');
  });
});

describe('evidenceChart', () => {
  it('draws an Auto Scaling group: 14 daily CPU bars against the target and the in-service count against MinSize', () => {
    // Prepare: 14 days of hourly values; day d runs at d+1 percent and 3 instances.
    const cpu = Array.from({ length: 14 * 24 }, (_, h) => Math.floor(h / 24) + 1);
    const inService = Array.from({ length: 14 * 24 }, () => 3);
    const f = finding('asg', { target: 40, minSize: 2, profile: { cpu, inService } });

    // Act
    const svg = evidenceChart(f)!;

    // Assess
    const [cpuChart, countChart] = svg.split('</svg>');
    expect(elements(cpuChart, 'rect', 'bar').map((b) => Number(b['data-value']))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(elements(cpuChart, 'line', 'ref')[0]['data-value']).toBe('40');
    expect(cpuChart).toContain('CPU, daily average (14 days)');
    expect(elements(countChart, 'rect', 'bar').map((b) => Number(b['data-value']))).toEqual(Array(14).fill(3));
    expect(elements(countChart, 'line', 'ref')[0]['data-value']).toBe('2');
    expect(countChart).toContain('MinSize 2');
  });

  it('uses the demand target of a MinSize finding as the CPU line', () => {
    // Act
    const svg = evidenceChart(finding('asg', { demandTargetCpu: 55, minSize: 4, profile: { cpu: [10, 20], inService: [1, 1] } }))!;

    // Assess
    expect(svg).toContain('target 55%');
  });

  it('draws an idle instance: daily CPU and network against the idle thresholds', () => {
    // Prepare
    const daily = [
      { day: '2026-10-01', cpuPercent: 1.5, networkMb: 0.2 },
      { day: '2026-10-02', cpuPercent: null, networkMb: null },
      { day: '2026-10-03', cpuPercent: 3, networkMb: 1.1 },
    ];

    // Act
    const svg = evidenceChart(finding('ec2-instance', { instanceType: 't3.large', daily, thresholds: { maxCpuPercent: 10, maxNetworkMb: 5 } }))!;

    // Assess
    const [cpuChart, netChart] = svg.split('</svg>');
    expect(elements(cpuChart, 'rect', 'bar').map((b) => Number(b['data-value']))).toEqual([1.5, 3]);
    // Scale: up to twice the idle threshold (20%): 3% is 15% of the plot.
    expect(Number(elements(cpuChart, 'rect', 'bar')[1].height)).toBeCloseTo(plotHeight * 0.15, 1);
    expect(cpuChart).toContain('2026-10-02: no data');
    expect(elements(netChart, 'rect', 'bar').map((b) => Number(b['data-value']))).toEqual([0.2, 1.1]);
    expect(elements(netChart, 'line', 'ref')[0]['data-value']).toBe('5');
  });

  it('draws a bucket storage by class, largest first, without the empty classes', () => {
    // Act
    const svg = evidenceChart(finding('s3-bucket', { sizeByStorageTypeGb: { StandardStorage: 500, GlacierStorage: 100, StandardIAStorage: 0 } }))!;

    // Assess
    const rows = [...svg.matchAll(/data-label="([^"]+)" data-value="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual([
      ['Standard', 500],
      ['Glacier', 100],
    ]);
  });

  it('draws a gp2 volume: provisioned IOPS, throughput and cost now against gp3', () => {
    // Act
    const svg = evidenceChart(finding('ebs-volume', { gp2: { baselineIops: 300, maxThroughputMiBps: 128 }, gp3: { iops: 3000, throughputMiBps: 128 }, monthlyCostUsd: { gp2: 10, gp3: 8 } }))!;

    // Assess
    expect([...svg.matchAll(/<title>([^<]+)<\/title><text/g)].map((m) => m[1]).slice(1)).toEqual(['IOPS gp2 now: 300 IOPS', 'IOPS as gp3: 3000 IOPS', 'MiB/s gp2 now: 128 MiB/s', 'MiB/s as gp3: 128 MiB/s', '$/month gp2 now: 10 $/month', '$/month as gp3: 8 $/month']);
  });

  it('draws an unattached volume: what is provisioned against nothing attached', () => {
    // Act
    const svg = evidenceChart(finding('ebs-volume', { state: 'available', sizeGb: 100, estimatedMonthlyCostUsd: 8, lastAttachedApprox: 'not in the last 30 days' }))!;

    // Assess
    expect(svg).toContain('Provisioned: 100 GiB, $8/month');
    expect(svg).toContain('Attached: 0 GiB; last attached: not in the last 30 days');
  });

  it('gives no chart when the evidence has no series', () => {
    // Assess
    expect(evidenceChart(finding('asg', { cpuDatapoints: 3, minDatapoints: 72 }))).toBeUndefined();
    expect(evidenceChart(finding('s3-bucket', { size: 'size unknown' }))).toBeUndefined();
    expect(evidenceChart(finding('ec2-instance', { instanceType: 'm4.large', successor: 'm7i.large' }))).toBeUndefined();
    expect(evidenceChart(finding('ebs-volume', { state: 'in-use', sizeGb: 10 }))).toBeUndefined();
    expect(evidenceChart(finding('elastic-ip', { publicIp: '1.2.3.4' }))).toBeUndefined();
  });
});

describe('snapshotTimelines', () => {
  const snap = (id: string, volumeId: string, startTime: string, extra: Partial<ChartFinding> = {}): ChartFinding => ({
    id: `p/${id}`,
    detector: 'older-than',
    status: 'actionable',
    resource: { type: 'ebs-snapshot', id },
    evidence: { volumeId, startTime },
    plan: { action: 'delete-snapshot' },
    ...extra,
  });

  it('draws one timeline per volume, marks placed by start time, with to-delete, kept and protected marks', () => {
    // Prepare
    const findings = [
      snap('snap-b', 'vol-2', '2026-01-01T00:00:00Z'),
      snap('snap-1', 'vol-1', '2026-01-01T00:00:00Z'),
      snap('snap-3', 'vol-1', '2026-01-11T00:00:00Z', { status: 'protected', plan: undefined }),
      snap('snap-2', 'vol-1', '2026-01-06T00:00:00Z', { status: 'report-only', plan: undefined }),
    ];

    // Act
    const timelines = snapshotTimelines(findings);

    // Assess
    expect(timelines.map((t) => t.volumeId)).toEqual(['vol-1', 'vol-2']);
    const marks = [...timelines[0].svg.matchAll(/data-snapshot="([^"]+)" data-mark="([^"]+)" data-x="([\d.]+)"/g)].map((m) => [m[1], m[2], Number(m[3])]);
    expect(marks).toEqual([
      ['snap-1', 'to-delete', 12],
      ['snap-2', 'kept', 210],
      ['snap-3', 'protected', 408],
    ]);
    expect(timelines[0].svg).toContain('1 to-delete · 1 kept · 1 protected');
    expect(timelines[0].svg).toContain('2026-01-01');
    expect(timelines[0].svg).toContain('2026-01-11');
  });

  it('shows a snapshot two policies found once, with the most cautious mark', () => {
    // Act
    const [t] = snapshotTimelines([snap('snap-1', 'vol-1', '2026-01-01T00:00:00Z'), snap('snap-1', 'vol-1', '2026-01-01T00:00:00Z', { detector: 'too-many-per-volume', status: 'protected' })]);

    // Assess
    expect(t.svg.match(/data-snapshot=/g)).toHaveLength(1);
    expect(t.svg).toContain('data-mark="protected"');
    expect(t.svg).toContain('older-than, too-many-per-volume');
  });

  it('escapes the volume and snapshot ids, and draws nothing without snapshot findings', () => {
    // Act
    const [t] = snapshotTimelines([snap('snap-<b>', 'vol-"x"', '2026-01-01T00:00:00Z')]);

    // Assess
    expect(t.svg).not.toContain('<b>');
    expect(t.svg).toContain('snap-&lt;b&gt;');
    expect(t.svg).toContain('Snapshots of vol-&quot;x&quot;');
    expect(snapshotTimelines([finding('asg', {})])).toEqual([]);
  });

  it('marks a snapshot whose delete was skipped or failed as kept', () => {
    // Assess
    expect(snapshotMark(snap('s', 'v', '2026-01-01T00:00:00Z', { outcome: 'skipped' }))).toBe('kept');
    expect(snapshotMark(snap('s', 'v', '2026-01-01T00:00:00Z', { outcome: 'would-apply' }))).toBe('to-delete');
  });
});

/** Every <text> of an SVG: its class, position, anchor and content. */
const texts = (svg: string) =>
  [...svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].map((m) => {
    const a = Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    return { cls: a.class ?? '', x: Number(a.x), y: Number(a.y), anchor: a['text-anchor'] ?? 'start', text: m[2] };
  });

/** A round step: 1, 2, 2.5 or 5 times a power of ten. */
const isRoundStep = (step: number) => [1, 2, 2.5, 5].some((m) => Math.abs(Math.log10(step / m) - Math.round(Math.log10(step / m))) < 1e-9);

describe('series charts show what the finding is about (issue #26, charts)', () => {
  const hourly = (days: number, f: (day: number) => number) => Array.from({ length: days * 24 }, (_, h) => f(Math.floor(h / 24)));
  const raiseMax = finding('asg', { target: 60, minSize: 2, maxSize: 8, candidate: 10, profile: { cpu: hourly(14, (d) => 70 + d), inService: hourly(14, () => 8) } }, { detector: 'under-provisioned-at-max', plan: { action: 'raise-max-size' } });

  it('draws the MaxSize line, at MaxSize, and the proposed MaxSize on the asg-raise-max-size in-service chart', () => {
    // Act
    const [, countChart] = evidenceChart(raiseMax)!.split('</svg>');

    // Assess
    const refs = elements(countChart, 'line', 'ref');
    expect(refs.map((r) => [r['data-label'], Number(r['data-value'])])).toEqual([
      ['MinSize', 2],
      ['MaxSize', 8],
      ['proposed MaxSize', 10],
    ]);
    const area = plotArea(countChart);
    const top = Math.max(...texts(countChart).filter((t) => t.cls === 'tick').map((t) => Number(t.text)));
    const maxLine = refs.find((r) => r['data-label'] === 'MaxSize')!;
    expect(Number(maxLine.y1)).toBeCloseTo(area.bottom - (8 / top) * area.height, 1);
    // The bars sit on the MaxSize line: the group is pinned at it.
    const bar = elements(countChart, 'rect', 'bar')[0];
    expect(Number(bar.y)).toBeCloseTo(Number(maxLine.y1), 0);
    expect(countChart).toContain('MaxSize 8 instances');
  });

  it('labels the axis with round ticks from 0 that carry the unit, above the largest value', () => {
    // Prepare: values that would give 77.0 as the top of a scale with 10% headroom
    const svg = barsWithLine({ title: 'CPU', values: [12.3, 70], unit: '%', line: { value: 45, label: 'target' } });
    const net = barsWithLine({ title: 'Network', values: [1234, 480], unit: ' MB' });
    const count = barsWithLine({ title: 'Instances', values: [3, 7], unit: ' instances', tickUnit: '', integer: true });

    // Act
    const ticks = (s: string) => texts(s).filter((t) => t.cls === 'tick').map((t) => t.text);

    // Assess
    expect(ticks(svg)).toEqual(['0%', '20%', '40%', '60%', '80%']);
    expect(ticks(net)).toEqual(['0 MB', '500 MB', '1,000 MB', '1,500 MB']);
    expect(ticks(count)).toEqual(['0', '2', '4', '6', '8']);
    for (const s of [svg, net, count]) {
      const values = [...s.matchAll(/class="tick" data-value="([\d.]+)"/g)].map((m) => Number(m[1]));
      expect(values[0]).toBe(0);
      expect(isRoundStep(values[1] - values[0])).toBe(true);
      expect(values.every((v, i) => i === 0 || Math.abs(v - values[i - 1] - values[1]) < 1e-9)).toBe(true);
    }
  });

  it('keeps every label off the plot: legend and title above, ticks left, day labels below', () => {
    // Prepare: the raise-max-size charts, whose lines used to be labelled on top of the bars
    const svgs = evidenceChart(raiseMax)!.split('</svg>').filter((s) => s.includes('<svg'));

    // Act
    const onPlot = svgs.flatMap((s) => {
      const area = plotArea(s);
      return texts(s).filter((t) => {
        // A text of font-size 11 spans about 9 px above its baseline and 3 below.
        const vertical = t.y + 3 > area.top && t.y - 9 < area.bottom;
        const horizontal = t.anchor === 'end' ? t.x > area.left : true;
        return vertical && horizontal;
      });
    });

    // Assess
    expect(svgs).toHaveLength(2);
    expect(onPlot.map((t) => t.text)).toEqual([]);
  });
});

describe('snapshot timelines draw the kept snapshots beside the deleted ones', () => {
  it('marks the snapshots a keep-the-newest-K finding lists as kept, unless they are findings themselves', () => {
    // Prepare: keep 2; snap-1 and snap-2 deleted; snap-3 listed as kept by the first finding, then pushed out
    const f = (id: string, day: number, kept: [string, number][]): ChartFinding => ({
      id: `p/${id}`,
      detector: 'too-many-per-volume',
      status: 'actionable',
      resource: { type: 'ebs-snapshot', id },
      evidence: { volumeId: 'vol-1', startTime: `2026-01-0${day}T00:00:00.000Z`, keep: 2, keptNewer: kept.map(([k, d]) => ({ snapshotId: k, startTime: `2026-01-0${d}T00:00:00.000Z` })) },
      plan: { action: 'delete-snapshot' },
    });

    // Act
    const [t] = snapshotTimelines([f('snap-1', 1, [['snap-3', 3], ['snap-2', 2]]), f('snap-2', 2, [['snap-4', 4], ['snap-3', 3]]), f('snap-3', 3, [['snap-5', 5], ['snap-4', 4]])]);

    // Assess
    const marks = [...t.svg.matchAll(/data-snapshot="([^"]+)" data-mark="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(marks).toEqual([
      ['snap-1', 'to-delete'],
      ['snap-2', 'to-delete'],
      ['snap-3', 'to-delete'],
      ['snap-4', 'kept'],
      ['snap-5', 'kept'],
    ]);
    expect(t.svg).toContain('3 to-delete · 2 kept (policy keeps the newest 2)');
  });
});
