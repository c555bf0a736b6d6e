/**
 * Sandbox CloudWatch Logs Insights (StartQuery / GetQueryResults), for the statistics of Lambda
 * REPORT lines (max memory used, out-of-memory exits, timeouts) per log group.
 *
 * Seeded data is a series per log group (what the REPORT lines say, hour by hour); a query
 * computes its statistics over the query's time range when it completes. Limits as AWS
 * documents them: a query names 1 to 50 log groups (StartQuery API reference), exactly one of
 * logGroupName / logGroupNames / logGroupIdentifiers; every group must exist
 * (ResourceNotFoundException); at most 100 queries run at once per account and region
 * ("You are limited to 100 concurrent CloudWatch Logs Insights queries", CloudWatch Logs user
 * guide; older API text said 30) and one more is LimitExceededException. A query is Running for
 * a few seconds (scaled by the sandbox's timing), then Complete; a group seeded with
 * `queryOutcome` makes the query end Failed, Timeout or Cancelled instead.
 *
 * The sandbox does not parse the query language: it answers trimtab's REPORT statistics query
 * (it must read @maxMemoryUsed and group `by @log`) and refuses anything else by name. A group of
 * JSON-format logs answers only a query that also reads `platform.report` records and
 * `record.metrics.maxMemoryUsedMB`. `statistics.bytesScanned` is what Logs Insights bills
 * ($0.005 per GB scanned): about 1,200 bytes per report record in the window.
 */
import { awsError, type AccountState, type OperationHandler, type Sandbox } from '../sandbox.ts';
import { seriesValue, type SeriesSpec } from './cloudwatch.ts';

/** What one Lambda function's REPORT lines say, hour by hour. */
export interface LambdaReportSeries {
  /** The function's configured memory, MB (REPORT "Memory Size"). */
  memorySizeMb: number;
  /** The hourly maximum of "Max Memory Used", MB (capped at memorySizeMb). */
  usedMb: Omit<SeriesSpec, 'resolutionSeconds'>;
  /** REPORT lines (invocations) per hour. */
  perHour: number;
  /** "Runtime exited" / Runtime.OutOfMemory lines per day. */
  runtimeExitsPerDay?: number;
  /** "Task timed out" lines per day. */
  timeoutsPerDay?: number;
  /** A query over this group ends with this status instead of Complete. */
  queryOutcome?: 'Failed' | 'Timeout' | 'Cancelled';
  /**
   * The function logs JSON (LoggingConfig.LogFormat JSON): its report is a `platform.report`
   * record with `record.metrics.maxMemoryUsedMB`, and a query that reads only plain-text REPORT
   * lines (`@type = "REPORT"`, `@maxMemoryUsed`) matches none of it.
   */
  logFormat?: 'JSON';
}

export interface StoredQuery {
  id: string;
  groups: string[];
  /** Epoch seconds, inclusive. */
  startTime: number;
  endTime: number;
  startedAt: string;
  doneAt: string;
  queryString?: string;
}

interface InsightsState {
  groups: Record<string, unknown>;
  lambdaReports?: Record<string, LambdaReportSeries>;
  queries?: Record<string, StoredQuery>;
  queryConcurrency?: number;
}

// The CloudWatch Logs service's state (lib/sandbox/services/cloudwatchlogs.ts), read by key to keep the import one-way.
const state = (sandbox: Sandbox, account: AccountState, region: string) => sandbox.regional<InsightsState>(account, region, 'cloudwatchlogs', () => ({ groups: {} }));

export const MAX_LOG_GROUPS_PER_QUERY = 50;
export const MAX_CONCURRENT_QUERIES = 100;
/** How long a query runs on AWS (a few seconds for days of Lambda logs), before scaling. */
export const QUERY_MS = 3_000;
const HOUR_MS = 3_600_000;

/** Seeds a log group's REPORT lines (creates the group when missing). */
export function seedLambdaReports(sandbox: Sandbox, account: AccountState, region: string, group: string, series: LambdaReportSeries, createdAt: Date) {
  const s = state(sandbox, account, region);
  // A new group keeps 30 days (the log-group scenario holds its own never-expiring groups).
  (s.groups as Record<string, { name: string; creationTime: number; storedBytes: number; retentionInDays?: number }>)[group] ??= { name: group, creationTime: createdAt.getTime(), storedBytes: 50 * 1024 ** 2, retentionInDays: 30 };
  (s.lambdaReports ??= {})[group] = series;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The statistics row of one group over [start, end] (ms), or undefined when it has no REPORT line there. */
function reportRow(account: string, group: string, series: LambdaReportSeries, start: number, end: number, now: number) {
  const spec: SeriesSpec = { resolutionSeconds: 3600, ...series.usedMb };
  const values: number[] = [];
  for (let t = Math.ceil(start / HOUR_MS) * HOUR_MS; t <= end; t += HOUR_MS) {
    const v = seriesValue(spec, t, now);
    if (v !== undefined) values.push(Math.min(series.memorySizeMb, Math.max(1, v)));
  }
  if (values.length === 0 || series.perHour <= 0) return undefined;
  const sorted = values.sort((a, b) => a - b);
  const days = values.length / 24;
  const fields: Record<string, string> = {
    '@log': `${account}:${group}`,
    memorySizeMB: String(series.memorySizeMb),
    maxMemoryUsedMB: String(round(sorted[sorted.length - 1])),
    p99MemoryUsedMB: String(round(percentile(sorted, 99))),
    reports: String(Math.round(values.length * series.perHour)),
    runtimeExits: String(Math.round((series.runtimeExitsPerDay ?? 0) * days)),
    timeouts: String(Math.round((series.timeoutsPerDay ?? 0) * days)),
  };
  return Object.entries(fields).map(([field, value]) => ({ field, value }));
}

const groupName = (identifier: string) => identifier.replace(/^arn:aws[a-z-]*:logs:[^:]+:\d{12}:log-group:/, '').replace(/:\*$/, '');

export const logsInsightsOperations: Record<string, OperationHandler> = {
  StartQuery(input, { sandbox, account, region, now }) {
    const given = ['logGroupName', 'logGroupNames', 'logGroupIdentifiers'].filter((k) => input[k] !== undefined);
    if (given.length !== 1) throw awsError('InvalidParameterException', 'A StartQuery operation must include exactly one of logGroupName, logGroupNames or logGroupIdentifiers.');
    const groups: string[] = (input.logGroupName ? [input.logGroupName] : (input.logGroupNames ?? input.logGroupIdentifiers)).map(groupName);
    if (groups.length < 1 || groups.length > MAX_LOG_GROUPS_PER_QUERY) {
      throw awsError('InvalidParameterException', `1 validation error detected: Value at 'logGroupNames' failed to satisfy constraint: Member must have length less than or equal to ${MAX_LOG_GROUPS_PER_QUERY}`);
    }
    const s = state(sandbox, account, region);
    const missing = groups.find((g) => !s.groups[g]);
    if (missing) throw awsError('ResourceNotFoundException', `Log group '${missing}' does not exist for account ID '${account.id}'`);
    if (typeof input.startTime !== 'number' || typeof input.endTime !== 'number' || input.endTime < input.startTime) {
      throw awsError('InvalidParameterException', 'endTime must be greater than or equal to startTime (epoch seconds).');
    }
    const query = String(input.queryString ?? '');
    if (!query.includes('@maxMemoryUsed') || !/by\s+@log\b/.test(query)) {
      throw awsError('InvalidParameterException', 'The trimtab sandbox answers Lambda REPORT statistics queries only (stats over @maxMemoryUsed by @log).');
    }
    const queries = (s.queries ??= {});
    const running = Object.values(queries).filter((q) => Date.parse(q.doneAt) > now.getTime()).length;
    const limit = s.queryConcurrency ?? MAX_CONCURRENT_QUERIES;
    if (running >= limit) throw awsError('LimitExceededException', `Account maximum query concurrency limit of [${limit}] reached.`);
    const id = sandbox.mintId('q').slice(2).padStart(32, '0').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
    queries[id] = { id, groups, queryString: query, startTime: input.startTime, endTime: input.endTime, startedAt: now.toISOString(), doneAt: new Date(now.getTime() + sandbox.duration(QUERY_MS + 100 * groups.length)).toISOString() };
    return { queryId: id };
  },

  GetQueryResults(input, { sandbox, account, region, now }) {
    const s = state(sandbox, account, region);
    const q = s.queries?.[input.queryId];
    if (!q) throw awsError('ResourceNotFoundException', `Query ${input.queryId} does not exist.`);
    if (now.getTime() < Date.parse(q.doneAt)) {
      return { queryLanguage: 'CWLI', status: 'Running', results: [], statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 } };
    }
    const outcome = q.groups.map((g) => s.lambdaReports?.[g]?.queryOutcome).find(Boolean);
    if (outcome) return { queryLanguage: 'CWLI', status: outcome, results: [], statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 } };
    const readsJson = /platform\.report/.test(q.queryString ?? '') && /record\.metrics\.maxMemoryUsedMB/.test(q.queryString ?? '');
    const rows = q.groups.flatMap((g) => {
      const series = s.lambdaReports?.[g];
      // A text-only query finds no REPORT line in JSON logs: the group simply has no row.
      if (series?.logFormat === 'JSON' && !readsJson) return [];
      const row = series && reportRow(account.id, g, series, q.startTime * 1000, q.endTime * 1000, now.getTime());
      return row ? [row] : [];
    });
    const matched = rows.reduce((n, r) => n + Number(r.find((f) => f.field === 'reports')!.value), 0);
    // Logs Insights scans (and bills) every event of the groups in the time range, matched or not.
    const hours = Math.max(0, (q.endTime - q.startTime) / 3600);
    const scannedRecords = q.groups.reduce((n, g) => n + Math.round((s.lambdaReports?.[g]?.perHour ?? 0) * hours) * 4, 0);
    return { queryLanguage: 'CWLI', status: 'Complete', results: rows, statistics: { recordsMatched: matched, recordsScanned: scannedRecords, bytesScanned: scannedRecords * 300 } };
  },
};
