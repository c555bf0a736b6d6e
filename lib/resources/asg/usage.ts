/**
 * Pure math over a group's hourly usage: the statistics the detectors quote as evidence, the
 * capacity the load needs at a CPU target, and the instance-hours a change would save.
 *
 * Model (documented in docs/resources/asg.md): in hour h the group served a load of
 * `inService[h] × cpu[h]` "CPU-percent-instances". Target tracking keeps
 * `ceil(load / target)` instances in service, clamped to [MinSize, MaxSize]. A change saves
 * the difference between that count under the current settings and under the new ones,
 * summed over the hours with data and scaled to a 730-hour month. Both sides use the same
 * model, so its errors (warm-up lag, rounding) cancel instead of showing up as savings.
 */

/** Hourly datapoints of one group over the window; null where CloudWatch has no datapoint. */
export interface HourlyProfile {
  /** Hourly average CPUUtilization (AWS/EC2, AutoScalingGroupName), percent. */
  cpu: (number | null)[];
  /** Hourly average GroupInServiceInstances (AWS/AutoScaling). */
  inService: (number | null)[];
}

export interface SeriesStats {
  datapoints: number;
  average: number;
  p95: number;
  max: number;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentile, as CloudWatch computes pNN over datapoints. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export function stats(values: (number | null)[]): SeriesStats {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return { datapoints: 0, average: 0, p95: 0, max: 0 };
  return {
    datapoints: present.length,
    average: round(present.reduce((a, b) => a + b, 0) / present.length),
    p95: round(percentile(present, 95)),
    max: round(Math.max(...present)),
  };
}

/** Hours where both CPU and the in-service count are known: [inService, cpu]. */
export function pairedHours(profile: HourlyProfile): [number, number][] {
  const out: [number, number][] = [];
  profile.cpu.forEach((cpu, i) => {
    const n = profile.inService[i];
    if (cpu !== null && n !== null && n !== undefined) out.push([n, cpu]);
  });
  return out;
}

/** ceil that ignores floating-point dust (4.0000000001 → 4). */
const ceil = (x: number) => Math.ceil(x - 1e-9);

/** Instances target tracking keeps for a load (CPU-percent-instances) at a target, within the group's bounds. */
export function instancesFor(load: number, target: number, minSize: number, maxSize: number): number {
  return Math.min(maxSize, Math.max(minSize, ceil(load / target)));
}

/** Instances the load needs per hour at a CPU target (no bounds): the group's "demand". */
export const demandPerHour = (profile: HourlyProfile, target: number) => pairedHours(profile).map(([n, cpu]) => (n * cpu) / target);

export interface Settings {
  target: number;
  minSize: number;
  maxSize: number;
}

/** Instance-hours per month saved by moving from `from` to `to` (never negative). */
export function instanceHoursSaved(profile: HourlyProfile, from: Settings, to: Settings, hoursPerMonth = 730): { windowHours: number; savedInWindow: number; monthly: number } {
  const hours = pairedHours(profile);
  let saved = 0;
  for (const [n, cpu] of hours) {
    const load = n * cpu;
    saved += Math.max(0, instancesFor(load, from.target, from.minSize, from.maxSize) - instancesFor(load, to.target, to.minSize, to.maxSize));
  }
  return {
    windowHours: hours.length,
    savedInWindow: round(saved),
    monthly: hours.length ? round((saved * hoursPerMonth) / hours.length) : 0,
  };
}

/** Share of hours the group sat at its MinSize (pinned: target tracking could not scale in further). */
export function pinnedShare(profile: HourlyProfile, minSize: number): number {
  const hours = pairedHours(profile);
  if (hours.length === 0) return 0;
  return round(hours.filter(([n]) => n <= minSize + 0.5).length / hours.length);
}

/** Compact copy for evidence: one decimal is plenty for instance counts and CPU percent. */
export const compactProfile = (profile: HourlyProfile): HourlyProfile => ({
  cpu: profile.cpu.map((v) => (v === null ? null : round(v, 1))),
  inService: profile.inService.map((v) => (v === null ? null : round(v, 1))),
});
