/** Small statistics for the benchmark: median and nearest-rank percentiles, and target checks. */

/** Nearest-rank percentile (p in 0..100) of a non-empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile ${p} is outside 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** The median: the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export interface TargetCheck {
  target: string;
  /** The measured value, in the target's unit. */
  value: number;
  limit: number;
  unit: string;
  met: boolean;
  /** How far over the limit, as a factor (1.5 = 50 % over); absent when met. */
  overBy?: number;
  note: string;
}

/** A "value must be at most limit" target; the note says by how much it is missed. */
export function atMost(target: string, value: number, limit: number, unit: string): TargetCheck {
  const met = value <= limit;
  const fmt = (n: number) => `${round(n, 2)}${unit === '×' ? '×' : ` ${unit}`}`;
  return {
    target,
    value: round(value, 3),
    limit,
    unit,
    met,
    ...(met ? {} : { overBy: round(value / limit, 2) }),
    note: met ? `met: ${fmt(value)} ≤ ${fmt(limit)}` : `MISSED by ${fmt(value - limit)} (${round((value / limit - 1) * 100, 1)} % over ${fmt(limit)})`,
  };
}
