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

const plotBottom = PLOT.height - PLOT.bottom;
const plotHeight = PLOT.height - PLOT.top - PLOT.bottom;

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
    expect([...svg.matchAll(/<title>([^<]+)<\/title><text/g)].map((m) => m[1]).slice(1)).toEqual(['IOPS gp2 now: 300', 'IOPS as gp3: 3000', 'MiB/s gp2 now: 128', 'MiB/s as gp3: 128', '$/month gp2 now: 10', '$/month as gp3: 8']);
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
