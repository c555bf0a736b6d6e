/**
 * Sandbox CloudWatch: metrics stored as deterministic generated series, answered by
 * GetMetricData (up to 500 queries a call, as AWS allows) and DescribeAlarms.
 */
import { awsError, currentPageCap, paginate, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

/** A metric's values over time, generated on demand so 14 days × 500 groups stays small. */
export interface SeriesSpec {
  /** Seconds between datapoints AWS publishes (S3 storage metrics: 86,400; EC2: 300). */
  resolutionSeconds: number;
  base: number;
  /** Daily sine swing around `base` (diurnal load). */
  amplitude?: number;
  /** A spike of this value every `spikeEveryHours`, lasting one datapoint. */
  spikeValue?: number;
  spikeEveryHours?: number;
  /** ± uniform noise, deterministic per timestamp. */
  noise?: number;
  /** Only datapoints in the last N hours exist (too little data). */
  onlyLastHours?: number;
  /** Datapoints before this instant do not exist (the resource is new). */
  startsAt?: string;
  /** Datapoints after this instant do not exist (e.g. an EBS volume detached then: no more I/O metrics). */
  endsAt?: string;
  seed?: number;
  min?: number;
  max?: number;
}

export interface StoredMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  series: SeriesSpec;
}

export interface StoredAlarm {
  AlarmName: string;
  AlarmArn?: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  [key: string]: unknown;
}

export interface CloudWatchState {
  metrics: StoredMetric[];
  alarms: StoredAlarm[];
}

export const cloudwatchState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<CloudWatchState>(account, region, 'cloudwatch', () => ({ metrics: [], alarms: [] }));

/** Deterministic pseudo-random in [0, 1) from a number. */
function hashNoise(x: number): number {
  const s = Math.sin(x * 12.9898 + 78.233) * 43758.5453;
  return s - Math.floor(s);
}

/**
 * The instants (ms) in which a series has datapoints: from `from` to `to`, both included. The
 * conditions of seriesValue, worked out once per query instead of once per datapoint (a 14-day
 * scan of the sandbox asks for hundreds of thousands of them).
 */
function seriesWindow(spec: SeriesSpec, now: number): { from: number; to: number } {
  let from = -Infinity;
  let to = now;
  // A limit that is not a number limits nothing (as `t < NaN` is false), and must not undo startsAt's.
  if (spec.onlyLastHours !== undefined && Number.isFinite(spec.onlyLastHours)) from = Math.max(from, now - spec.onlyLastHours * 3_600_000);
  // A date that does not parse (NaN) limits nothing, as `t < NaN` is false.
  const startsAt = spec.startsAt ? Date.parse(spec.startsAt) : Number.NaN;
  if (!Number.isNaN(startsAt)) from = Math.max(from, startsAt);
  const endsAt = spec.endsAt ? Date.parse(spec.endsAt) : Number.NaN;
  if (!Number.isNaN(endsAt)) to = Math.min(to, endsAt);
  return { from, to };
}

/** The series' value at `t` (ms), inside its window. */
function valueAt(spec: SeriesSpec, t: number): number {
  const hours = t / 3_600_000;
  let value = spec.base;
  if (spec.amplitude) value += spec.amplitude * Math.sin(((hours % 24) / 24) * 2 * Math.PI - Math.PI / 2);
  if (spec.spikeValue !== undefined && spec.spikeEveryHours) {
    const slot = Math.floor(t / (spec.resolutionSeconds * 1000));
    const slotsPerSpike = Math.max(1, Math.round((spec.spikeEveryHours * 3600) / spec.resolutionSeconds));
    if (slot % slotsPerSpike === 0) value = spec.spikeValue;
  }
  if (spec.noise) value += (hashNoise(t / 1000 + (spec.seed ?? 0)) * 2 - 1) * spec.noise;
  if (spec.min !== undefined) value = Math.max(spec.min, value);
  if (spec.max !== undefined) value = Math.min(spec.max, value);
  return value;
}

/** The value of a series at time `t` (ms), or undefined when no datapoint exists. */
export function seriesValue(spec: SeriesSpec, t: number, now: number): number | undefined {
  const { from, to } = seriesWindow(spec, now);
  return t < from || t > to ? undefined : valueAt(spec, t);
}

/**
 * One period's statistic over the series' datapoints from `start` (ms) every `stepMs` until
 * `end` (excluded), or undefined when none exists. The same value as `statistic` over the same
 * datapoints in the same order (sums added left to right from 0), without an array per period
 * for the statistics that need none.
 */
function periodStatistic(spec: SeriesSpec, window: { from: number; to: number }, start: number, end: number, stepMs: number, stat: string): number | undefined {
  // The first datapoint in the window; a step or two early is harmless (skipped below).
  let t = window.from > start ? start + Math.max(0, Math.floor((window.from - start) / stepMs) - 1) * stepMs : start;
  const last = Math.min(end - 1, window.to);
  let count = 0;
  let sum = 0;
  let max = -Infinity;
  let min = Infinity;
  const samples: number[] | undefined = STREAMED_STATISTICS.has(stat) ? undefined : [];
  for (; t <= last; t += stepMs) {
    if (t < window.from) continue;
    const value = valueAt(spec, t);
    count += 1;
    if (samples) samples.push(value);
    else {
      sum += value;
      max = Math.max(max, value);
      min = Math.min(min, value);
    }
  }
  if (count === 0) return undefined;
  if (samples) return statistic(samples, stat);
  return stat === 'Average' ? sum / count : stat === 'Sum' ? sum : stat === 'Maximum' ? max : stat === 'Minimum' ? min : count;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Whether CloudWatch still keeps datapoints at this Period for a StartTime this old (client-cloudwatch
 * models_0.d.ts MetricStat.Period: a start between 3 hours and 15 days ago needs a multiple of 60 s,
 * between 15 and 63 days of 300 s, older than 63 days of 3600 s, "or no data points in that time range
 * is returned"). Within 3 hours any whole number of seconds is kept at the series' own resolution.
 */
export function periodKeptFor(periodSeconds: number, startMs: number, nowMs: number): boolean {
  const ageMs = nowMs - startMs;
  const granularity = ageMs > 63 * DAY_MS ? 3600 : ageMs > 15 * DAY_MS ? 300 : ageMs > 3 * HOUR_MS ? 60 : 1;
  return periodSeconds % granularity === 0;
}

const STREAMED_STATISTICS = new Set(['Average', 'Sum', 'Maximum', 'Minimum', 'SampleCount']);

function percentile(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** One statistic over a period's datapoints. */
export function statistic(values: number[], stat: string): number {
  switch (stat) {
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    case 'SampleCount':
      return values.length;
    default: {
      const match = /^p(\d+(?:\.\d+)?)$/.exec(stat);
      if (!match) throw awsError('InvalidParameterValue', `The statistic '${stat}' is not valid.`);
      return percentile([...values].sort((a, b) => a - b), Number(match[1]));
    }
  }
}


/** A metric's identity: namespace, name and its exact set of dimensions (order does not matter, as in CloudWatch). */
const metricKey = (namespace: string, name: string, dimensions: Array<[string, string]>) =>
  JSON.stringify([namespace, name, [...dimensions].sort(([a], [b]) => a.localeCompare(b))]);
const askedKey = (namespace: string, name: string, asked: { Name?: string; Value?: string }[] = []) =>
  metricKey(namespace, name, asked.map((d) => [d.Name ?? '', d.Value ?? '']));

/**
 * Metrics by identity, rebuilt when metrics were added: a linear find per query made a 5,000-bucket
 * scan (40,000 queries over 9,000 metrics) take minutes in the benchmark. Same answer as the
 * find it replaces: the first stored metric with that identity.
 */
const indexes = new WeakMap<StoredMetric[], { size: number; byKey: Map<string, StoredMetric> }>();
function metricIndex(metrics: StoredMetric[]): Map<string, StoredMetric> {
  let index = indexes.get(metrics);
  if (!index || index.size !== metrics.length) {
    const byKey = new Map<string, StoredMetric>();
    for (const m of metrics) {
      const key = metricKey(m.namespace, m.metricName, Object.entries(m.dimensions));
      if (!byKey.has(key)) byKey.set(key, m);
    }
    indexes.set(metrics, (index = { size: metrics.length, byKey }));
  }
  return index.byKey;
}

/** The last GetMetricData request's results, for its next pages (one entry: pages are read in order). */
let lastMetricData: { key: string; results: Parameters<typeof pageMetricData>[0] } | undefined;

/** Datapoints one GetMetricData answer holds at most (AWS: 100,800; then NextToken). */
export const MAX_DATAPOINTS_PER_CALL = 100_800;

/**
 * GetMetricData pages by datapoints across all queries: a query whose datapoints do not all
 * fit is 'PartialData' and continues on the next page (the caller merges results by Id).
 * Under the sandbox's page cap a page holds 1,000 datapoints per capped item, so tests page.
 */
function pageMetricData(results: { Id: string; Label: string; Timestamps: Date[]; Values: number[]; StatusCode: string }[], input: { NextToken?: string; MaxDatapoints?: number }) {
  const cap = currentPageCap();
  const budget = Math.min(input.MaxDatapoints ?? MAX_DATAPOINTS_PER_CALL, MAX_DATAPOINTS_PER_CALL, cap ? cap * 1000 : Infinity);
  let offset = 0;
  if (input.NextToken) {
    offset = Number(Buffer.from(input.NextToken, 'base64url').toString('utf8').replace(/^datapoint:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw awsError('InvalidNextToken', 'GetMetricData: the pagination token is invalid.');
  }
  const total = results.reduce((n, r) => n + r.Values.length, 0);
  if (offset === 0 && total <= budget) return { MetricDataResults: results, Messages: [] };
  const page: typeof results = [];
  let seen = 0;
  for (const r of results) {
    const from = Math.max(0, offset - seen);
    const to = Math.min(r.Values.length, offset + budget - seen);
    seen += r.Values.length;
    // The first page names every query; later pages only those with datapoints in them.
    if (to > from || (offset === 0 && from === 0)) {
      page.push({ ...r, Timestamps: r.Timestamps.slice(from, Math.max(from, to)), Values: r.Values.slice(from, Math.max(from, to)), StatusCode: to < r.Values.length ? 'PartialData' : 'Complete' });
    }
  }
  const next = offset + budget;
  return { MetricDataResults: page, Messages: [], NextToken: next < total ? Buffer.from(`datapoint:${next}`).toString('base64url') : undefined };
}

/** AWS's published limit for one GetMetricData call. */
export const MAX_METRIC_DATA_QUERIES = 500;

/**
 * PutMetricAlarm's window rules (API reference, `Period`, `EvaluationPeriods`,
 * `DatapointsToAlarm`), refused with AWS's error code, ValidationError. The DatapointsToAlarm
 * text is AWS's; the others are worded after the API reference.
 */
function validateAlarmWindow(input: { Period?: number; EvaluationPeriods: number; DatapointsToAlarm?: number }) {
  const period = input.Period;
  if (period !== undefined) {
    if (!(period === 10 || period === 20 || period === 30 || (period > 0 && period % 60 === 0))) {
      throw awsError('ValidationError', `The value ${period} for parameter Period is not valid: valid values are 10, 20, 30, and any multiple of 60.`);
    }
    const limit = period < 3600 ? 86_400 : 604_800;
    if (period * input.EvaluationPeriods > limit) {
      throw awsError('ValidationError', `Metrics cannot be checked across more than ${limit === 86_400 ? 'a day' : 'a week'} (EvaluationPeriods * Period must be <= ${limit})`);
    }
  }
  if (input.EvaluationPeriods < 1) throw awsError('ValidationError', 'EvaluationPeriods must be at least 1.');
  if (input.DatapointsToAlarm !== undefined && input.DatapointsToAlarm > input.EvaluationPeriods) {
    throw awsError('ValidationError', 'DatapointsToAlarm must be less than or equal to EvaluationPeriods');
  }
}

export const cloudwatchService: SandboxService = {
  id: 'cloudwatch',
  operations: {
    GetMetricData(input, { sandbox, account, region, now }) {
      const queries: any[] = input.MetricDataQueries ?? [];
      if (queries.length === 0) throw awsError('ValidationError', 'MetricDataQueries must not be empty.');
      if (queries.length > MAX_METRIC_DATA_QUERIES) {
        throw awsError('ValidationError', `The collection MetricDataQueries must not have a size greater than ${MAX_METRIC_DATA_QUERIES}.`);
      }
      // Later pages of the same request reuse the series computed for the first one.
      const memoKey = JSON.stringify([account.id, region, queries, input.StartTime, input.EndTime, input.ScanBy, now]);
      if (input.NextToken && lastMetricData?.key === memoKey) return pageMetricData(lastMetricData.results, input);
      const start = new Date(input.StartTime).getTime();
      const end = Math.min(new Date(input.EndTime).getTime(), now.getTime());
      const { metrics } = cloudwatchState(sandbox, account, region);
      const results = queries.map((query) => {
        if (!query.MetricStat) {
          throw awsError('ValidationError', `The trimtab sandbox answers MetricStat queries only (query '${query.Id}' uses an expression).`);
        }
        const { Metric, Period, Stat } = query.MetricStat;
        // The model's Period is an integer of at least 1 (seconds); datapoints are whole milliseconds apart.
        if (!Number.isInteger(Period) || Period < 1) throw awsError('ValidationError', `The value ${Period} for parameter MetricDataQueries.member.1.MetricStat.Period is not valid: it must be a whole number of seconds, at least 1.`);
        // A Period finer than what CloudWatch keeps for the StartTime's age answers no datapoints, silently.
        const stored = periodKeptFor(Period, start, now.getTime()) ? metricIndex(metrics).get(askedKey(Metric.Namespace, Metric.MetricName, Metric.Dimensions)) : undefined;
        const timestamps: Date[] = [];
        const values: number[] = [];
        if (stored) {
          const periodMs = Period * 1000;
          const stepMs = Math.min(periodMs, stored.series.resolutionSeconds * 1000);
          const firstPeriod = Math.ceil(start / periodMs) * periodMs;
          const window = seriesWindow(stored.series, now.getTime());
          // Newest first, as GetMetricData returns by default (ScanBy TimestampDescending).
          for (let p = Math.floor((end - periodMs) / periodMs) * periodMs; p >= firstPeriod; p -= periodMs) {
            const value = periodStatistic(stored.series, window, p, p + periodMs, stepMs, Stat);
            if (value !== undefined) {
              timestamps.push(new Date(p));
              values.push(value);
            }
          }
        }
        if (input.ScanBy === 'TimestampAscending') {
          timestamps.reverse();
          values.reverse();
        }
        return { Id: query.Id, Label: query.Label ?? Metric.MetricName, Timestamps: timestamps, Values: values, StatusCode: 'Complete' };
      });
      lastMetricData = { key: memoKey, results };
      return pageMetricData(results, input);
    },

    DescribeAlarms(input, { sandbox, account, region }) {
      const { alarms } = cloudwatchState(sandbox, account, region);
      const selected = alarms.filter(
        (a) =>
          (!input.AlarmNames || input.AlarmNames.includes(a.AlarmName)) &&
          (!input.AlarmNamePrefix || a.AlarmName.startsWith(input.AlarmNamePrefix)) &&
          (!input.StateValue || a.StateValue === input.StateValue),
      );
      const { page, nextToken } = paginate(selected, { token: input.NextToken, max: input.MaxRecords }, { defaultMax: 50, maxMax: 100, operation: 'DescribeAlarms' });
      return { MetricAlarms: page, CompositeAlarms: [], NextToken: nextToken };
    },

    // Alarm writes (the alarm reconciler, lib/triggers/alarms.ts): create-or-replace by name, as AWS does.
    PutMetricAlarm(input, { sandbox, account, region, now }) {
      if (!input.AlarmName || !input.ComparisonOperator || input.EvaluationPeriods === undefined) {
        throw awsError('ValidationError', 'AlarmName, ComparisonOperator and EvaluationPeriods are required.');
      }
      if (input.AlarmName.length > 255) throw awsError('ValidationError', 'AlarmName must be at most 255 characters.');
      validateAlarmWindow(input);
      const { alarms } = cloudwatchState(sandbox, account, region);
      const existing = alarms.find((a) => a.AlarmName === input.AlarmName);
      const { Tags: _tags, ...config } = input;
      const alarm: StoredAlarm = {
        ...config,
        AlarmArn: `arn:aws:cloudwatch:${region}:${account.id}:alarm:${input.AlarmName}`,
        StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
        AlarmConfigurationUpdatedTimestamp: now.toISOString(),
      };
      if (existing) alarms.splice(alarms.indexOf(existing), 1, alarm);
      else alarms.push(alarm);
      return {};
    },

    DeleteAlarms(input, { sandbox, account, region }) {
      const names: string[] = input.AlarmNames ?? [];
      if (names.length > 100) throw awsError('ValidationError', 'AlarmNames must have at most 100 members.');
      const state = cloudwatchState(sandbox, account, region);
      const missing = names.filter((n) => !state.alarms.some((a) => a.AlarmName === n));
      if (missing.length) throw awsError('ResourceNotFound', `The following alarms were not found: ${missing.join(', ')}`, 404);
      state.alarms = state.alarms.filter((a) => !names.includes(a.AlarmName));
      return {};
    },
  },
};
