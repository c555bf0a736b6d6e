import { describe, expect, it } from 'vitest';
import { demandPerHour, instanceHoursSaved, instancesFor, percentile, pinnedShare, stats } from '../../../../lib/resources/asg/usage.ts';

describe('usage statistics', () => {
  it('computes average, nearest-rank p95 and max over present datapoints only', () => {
    // Prepare: 20 values 1..20 and gaps
    const values = [null, ...Array.from({ length: 20 }, (_, i) => i + 1), null];

    // Act
    const s = stats(values);

    // Assess
    expect(s).toEqual({ datapoints: 20, average: 10.5, p95: 19, max: 20 });
    expect(percentile([5], 95)).toBe(5);
  });

  it('gives zero statistics when there is no datapoint', () => {
    expect(stats([null, null])).toEqual({ datapoints: 0, average: 0, p95: 0, max: 0 });
  });
});

describe('capacity model', () => {
  it('keeps ceil(load / target) instances within MinSize and MaxSize', () => {
    expect(instancesFor(200, 50, 1, 10)).toBe(4);
    expect(instancesFor(200.00000001, 50, 1, 10)).toBe(4);
    expect(instancesFor(201, 50, 1, 10)).toBe(5);
    expect(instancesFor(10, 50, 3, 10)).toBe(3);
    expect(instancesFor(2000, 50, 1, 10)).toBe(10);
  });

  it('saves instance-hours when the target rises on a group that is not pinned', () => {
    // Prepare: 10 hours at 8 instances × 30% CPU = load 240
    const profile = { cpu: Array(10).fill(30), inService: Array(10).fill(8) };

    // Act: 30% → 40% needs 6 instances instead of 8
    const saved = instanceHoursSaved(profile, { target: 30, minSize: 2, maxSize: 24 }, { target: 40, minSize: 2, maxSize: 24 }, 730);

    // Assess
    expect(saved).toEqual({ windowHours: 10, savedInWindow: 20, monthly: 1460 });
  });

  it('saves nothing from a higher target while the group sits at MinSize', () => {
    const profile = { cpu: Array(10).fill(12), inService: Array(10).fill(6) };
    const saved = instanceHoursSaved(profile, { target: 50, minSize: 6, maxSize: 20 }, { target: 60, minSize: 6, maxSize: 20 });
    expect(saved.monthly).toBe(0);
    expect(pinnedShare(profile, 6)).toBe(1);
  });

  it('turns in-service count and CPU into demand in instances at a target', () => {
    expect(demandPerHour({ cpu: [10, null, 50], inService: [6, 6, 2] }, 50)).toEqual([1.2, 2]);
  });
});
