import { describe, expect, it } from 'vitest';
import { checkTargets, memoryTargets, render, snapshotSlope, type BenchResults } from '../../../lib/bench/report.ts';
import type { ScanResult } from '../../../lib/bench/scan.ts';

const scan = (id: string, resources: number, wallMs: number): ScanResult =>
  ({
    id,
    title: id,
    resource: 'ebs-snapshot',
    resources,
    latencyMs: 0,
    policies: [],
    wallMs,
    seedMs: 0,
    calls: {},
    callsPer1000: 0,
    vsMinimum: { actual: 1, minimum: 1, ratio: 1, byOperation: {} },
    findings: resources,
    retained: 0,
    reportBytes: 0,
    msPer1k: Math.round((wallMs / resources) * 10_000) / 10,
    peakRssMiB: 300,
    seededRssMiB: 250,
    startRssMiB: 200,
    scanRssMiB: 250,
    errors: [],
  }) as ScanResult;

describe('snapshotSlope', () => {
  it('compares the wall time per 1k snapshots of the largest case with the 10k case, leaving smaller cases out', () => {
    // Act
    const slope = snapshotSlope([scan('ebs-1k', 1_000, 900), scan('ebs-10k', 10_000, 2_000), scan('ebs-100k', 100_000, 21_000), scan('ebs-1000k', 1_000_000, 260_000)]);

    // Assess
    expect(slope.points.map((p) => [p.id, p.msPer1k])).toEqual([
      ['ebs-10k', 200],
      ['ebs-100k', 210],
      ['ebs-1000k', 260],
    ]);
    expect(slope.ratio).toBe(1.3);
  });

  it('prints the slope and checks it and the 1M case against their targets', () => {
    // Prepare
    const results: Omit<BenchResults, 'targets'> = { startedAt: '', command: '', node: '', cpus: 2, latencyMs: 0, quick: false, scan: [scan('ebs-10k', 10_000, 2_000), scan('ebs-1000k', 1_000_000, 220_000)], endToEnd: [] };

    // Act
    const targets = checkTargets(results);
    const text = render({ ...results, targets });

    // Assess
    expect(text).toContain('Wall time per 1k snapshots: ebs-10k 200 ms, ebs-1000k 220 ms; slope (largest ÷ smallest) 1.1× (1.0 = flat)');
    expect(targets.map((t) => t.target)).toEqual([
      'API calls ≤ 1.1× minimum: ebs-10k',
      'API calls ≤ 1.1× minimum: ebs-1000k',
      '1M snapshots scanned under 256 MB RSS (scan footprint, without the sandbox copy)',
      'wall time per 1k snapshots flat from ebs-10k to ebs-1000k (ratio of ms/1k)',
    ]);
  });
});

describe('memoryTargets', () => {
  it('says plainly whether the 100k and 1M targets are met, and which case was not run', () => {
    // Prepare
    const under = { ...scan('ebs-100k', 100_000, 9_000), scanRssMiB: 240, peakRssMiB: 250, runtime: 'bundle' as const };
    // Act
    const lines = memoryTargets([under]);
    const over = memoryTargets([{ ...under, scanRssMiB: 411 }, { ...scan('ebs-1000k', 1_000_000, 90_000), scanRssMiB: 900, peakRssMiB: 910 }]);
    const text = render({ startedAt: '', command: '', node: '', cpus: 2, latencyMs: 0, quick: false, scan: [scan('ebs-10k', 10_000, 1_000), under].map((s) => ({ ...s, runtime: 'bundle' as const })), endToEnd: [], targets: [] });
    // Assess
    expect(lines).toEqual([
      'Memory target 100k snapshots < 256 MiB scan RSS: MET (240 MiB; peak RSS 250 MiB).',
      'Memory target 1M snapshots < 256 MiB scan RSS: not measured in this run (--million).',
    ]);
    expect(over).toEqual([
      'Memory target 100k snapshots < 256 MiB scan RSS: NOT MET (411 MiB; peak RSS 250 MiB).',
      'Memory target 1M snapshots < 256 MiB scan RSS: NOT MET (900 MiB; peak RSS 910 MiB).',
    ]);
    expect(text).toContain('measured on the esbuild bundle (no tsx)');
    expect(text).toContain('Memory target 100k snapshots < 256 MiB scan RSS: MET (240 MiB; peak RSS 250 MiB).');
  });
});
