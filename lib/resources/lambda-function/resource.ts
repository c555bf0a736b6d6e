/**
 * Lambda functions ($LATEST). Listed with the ListFunctions paginator: the API returns at most
 * 50 functions a response whatever MaxItems says (API reference), so pages are 50.
 *
 * Batched lookups, only when a detector asks for them (`needs`):
 * - `usage:<days>` (enrich): per function, Invocations, Errors, Throttles (Sum), Duration
 *   (Average, p99, Maximum), ConcurrentExecutions (Maximum) from AWS/Lambda, and, when Lambda
 *   Insights is installed, `used_memory_max` (Maximum) and `cpu_total_time` (Average) from the
 *   LambdaInsights namespace: one GetMetricData call carries 500 queries, so 55 functions a call
 *   (9 queries each, daily periods; AWS's limit is 500 queries a call).
 *   Then max memory used, out-of-memory exits and timeouts from the REPORT lines, with Logs
 *   Insights queries over up to 50 log groups each (StartQuery's limit), only for functions
 *   that were invoked in the window and have no Lambda Insights memory figure; at most
 *   QUERY_CONCURRENCY queries run at once (AWS allows 100 per account and region, shared with
 *   dashboards), polled through ctx.clock until Complete. A query that ends Failed, Timeout or
 *   Cancelled leaves those functions' memory use unknown (detectors then do nothing for them).
 * - `aliases:…` (enrich): ListAliases and ListProvisionedConcurrencyConfigs, one call each per
 *   function, only for functions whose usage makes a memory change possible (see
 *   `memoryChangeCandidate`): what published versions the aliases serve is what a $LATEST
 *   change does not touch.
 *
 * Tags: ListFunctions has none, GetFunction returns them only to a caller with an explicit
 * allow for `lambda:ListTags` (GetFunctionResponse.Tags), and ListTags is one call per function.
 * The listing reads them in batches from the Resource Groups Tagging API: one GetResources with
 * up to 100 function ARNs (ResourceARNList's limit; two ListFunctions pages of 50), so tag scopes (includeTags / excludeTags) and `trimtab:skip` apply before enrichment. A
 * function GetResources does not return has no tags (it never returns untagged resources).
 * set-memory re-reads the one function's tags with ListTags right before its write.
 */
import { CloudWatchClient, paginateGetMetricData, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { readTagsByArn, TAGGING_ARNS_PER_CALL } from '../../aws/tagging.ts';
import {
  LambdaClient,
  ListAliasesCommand,
  ListProvisionedConcurrencyConfigsCommand,
  paginateListFunctions,
  type FunctionConfiguration,
  type ListAliasesCommandOutput,
  type ListProvisionedConcurrencyConfigsCommandOutput,
} from '@aws-sdk/client-lambda';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { enrichmentRead, isReadFailure, needsStartingWith, type ReadFailure } from '../../engine/partial.ts';
import { batches } from '../../util/async.ts';
import { awsErrorName, errorMessage } from '../../util/errors.ts';

export interface LambdaUsage {
  days: number;
  invocations: number;
  errors: number;
  throttles: number;
  /** Invocation-weighted average duration, ms. */
  durationAvgMs?: number;
  /** The highest daily p99 in the window, ms (an upper bound of the window's p99). */
  durationP99Ms?: number;
  durationMaxMs?: number;
  concurrentMax?: number;
  /** Lambda Insights: highest memory used, MB, and invocation-weighted CPU time per invocation, ms. */
  insightsMemoryMaxMb?: number;
  insightsCpuAvgMs?: number;
}

export interface LambdaMemoryUse {
  source: 'lambda-insights' | 'report-lines';
  maxUsedMb: number;
  p99UsedMb?: number;
  /** REPORT lines seen (report-lines only). */
  reports?: number;
  /** "Runtime exited" / Runtime.OutOfMemory lines. */
  runtimeExits?: number;
  /** "Task timed out" lines. */
  timeouts?: number;
  /**
   * What reading these figures cost (report-lines only): this function's share of its Logs
   * Insights query's bytes scanned (split evenly over the query's log groups) at $0.005 per GB.
   */
  logsInsights?: { bytesScanned: number; usd: number };
}

export interface LambdaAliasInfo {
  name: string;
  version: string;
  /** Weighted routing: version → weight. */
  weights?: Record<string, number>;
  provisionedConcurrency?: number;
}

export interface LambdaFunction {
  name: string;
  arn: string;
  runtime?: string;
  architecture: 'x86_64' | 'arm64';
  memoryMb: number;
  timeoutS: number;
  packageType: string;
  /** Layer ARNs. */
  layers: string[];
  codeSize: number;
  lastModified?: string;
  lastUpdateStatus?: string;
  revisionId?: string;
  logGroup: string;
  /** LoggingConfig.LogFormat: Text (REPORT lines) or JSON (`platform.report` records); absent: Text. */
  logFormat?: 'Text' | 'JSON';
  tags: Record<string, string>;
  usage?: LambdaUsage;
  /** Undefined when unknown (never invoked, no query answer). */
  memory?: LambdaMemoryUse;
  /** Why memory use is unknown, when it is. */
  memoryUnknown?: string;
  aliases?: LambdaAliasInfo[];
}

export const PAGE_SIZE = 50;
export const usageNeed = (days: number) => `usage:${days}`;
/**
 * Aliases are read for the functions a memory detector could flag, by its own thresholds:
 * `aliases:over:<maxUsedShare>` (memory-oversized), `aliases:under:<memoryShare>:<timeoutShare>`
 * (memory-undersized). Every finding's function then has its aliases; no other function costs a call.
 */
export const aliasesOverNeed = (maxUsedShare: number) => `aliases:over:${maxUsedShare}`;
export const aliasesUnderNeed = (memoryShare: number, timeoutShare: number) => `aliases:under:${memoryShare}:${timeoutShare}`;
export const needsAliases = (needs: ReadonlySet<string>) => [...needs].some((n) => n.startsWith('aliases:'));
const METRIC_QUERIES_PER_CALL = 500;
export const LAMBDA_QUERIES_PER_FUNCTION = 9;
export const LOG_GROUPS_PER_QUERY = 50;
/** Logs Insights queries trimtab runs at once (AWS: 100 per account and region, shared with dashboards). */
export const QUERY_CONCURRENCY = 10;
const QUERY_POLL_MS = 2_000;
/** How long one page's queries may take before their functions' memory is called unknown. */
const QUERY_DEADLINE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/**
 * The report statistics per log group, for both log formats. Text logs (LogFormat Text) carry a
 * `REPORT` line whose @maxMemoryUsed and @memorySize are in bytes (10^6 per MB); JSON logs
 * (LogFormat JSON) carry a `platform.report` record whose `record.metrics.maxMemoryUsedMB` and
 * `record.metrics.memorySizeMB` are already MB, and a timeout as `record.status` "timeout"
 * (Lambda developer guide, "Configuring JSON and plain text log formats"; Telemetry API
 * `platform.report`). Neither names the function, so a group shared by several functions mixes
 * their figures: enrichPage does not query such groups.
 */
export const REPORT_QUERY = [
  'filter @type = "REPORT" or type = "platform.report" or @message like /Runtime exited|Runtime.OutOfMemory|Task timed out/',
  '| fields coalesce(@maxMemoryUsed / 1000 / 1000, record.metrics.maxMemoryUsedMB) as usedMB,',
  '  coalesce(@memorySize / 1000 / 1000, record.metrics.memorySizeMB) as sizeMB,',
  '  (@type = "REPORT" or type = "platform.report") as isReport',
  '| stats max(sizeMB) as memorySizeMB, max(usedMB) as maxMemoryUsedMB,',
  '  pct(usedMB, 99) as p99MemoryUsedMB, sum(isReport) as reports,',
  '  sum(strcontains(@message, "Runtime exited") or strcontains(@message, "Runtime.OutOfMemory")) as runtimeExits,',
  '  sum(strcontains(@message, "Task timed out") or record.status = "timeout") as timeouts by @log',
].join('\n');

export function toLambdaFunction(f: FunctionConfiguration): LambdaFunction {
  const name = f.FunctionName!;
  return {
    name,
    arn: f.FunctionArn ?? name,
    ...(f.Runtime ? { runtime: f.Runtime } : {}),
    architecture: f.Architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64',
    memoryMb: f.MemorySize ?? 128,
    timeoutS: f.Timeout ?? 3,
    packageType: f.PackageType ?? 'Zip',
    layers: (f.Layers ?? []).map((l) => l.Arn ?? '?'),
    codeSize: f.CodeSize ?? 0,
    ...(f.LastModified ? { lastModified: f.LastModified } : {}),
    ...(f.LastUpdateStatus ? { lastUpdateStatus: f.LastUpdateStatus } : {}),
    ...(f.RevisionId ? { revisionId: f.RevisionId } : {}),
    logGroup: f.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`,
    logFormat: f.LoggingConfig?.LogFormat === 'JSON' ? 'JSON' : 'Text',
    tags: {},
  };
}

/** The longest `usage:<days>` any detector asked for, or undefined. */
function usageDays(needs: ReadonlySet<string>): number | undefined {
  const days = [...needs].filter((n) => n.startsWith('usage:')).map((n) => Number(n.slice('usage:'.length)));
  return days.length ? Math.max(...days) : undefined;
}

const METRICS: { key: string; namespace: string; name: string; stat: string; dimension: string }[] = [
  { key: 'inv', namespace: 'AWS/Lambda', name: 'Invocations', stat: 'Sum', dimension: 'FunctionName' },
  { key: 'err', namespace: 'AWS/Lambda', name: 'Errors', stat: 'Sum', dimension: 'FunctionName' },
  { key: 'thr', namespace: 'AWS/Lambda', name: 'Throttles', stat: 'Sum', dimension: 'FunctionName' },
  { key: 'davg', namespace: 'AWS/Lambda', name: 'Duration', stat: 'Average', dimension: 'FunctionName' },
  { key: 'dp99', namespace: 'AWS/Lambda', name: 'Duration', stat: 'p99', dimension: 'FunctionName' },
  { key: 'dmax', namespace: 'AWS/Lambda', name: 'Duration', stat: 'Maximum', dimension: 'FunctionName' },
  { key: 'conc', namespace: 'AWS/Lambda', name: 'ConcurrentExecutions', stat: 'Maximum', dimension: 'FunctionName' },
  // Lambda Insights (the extension publishes these when installed): memory in MB, CPU time in ms.
  { key: 'imem', namespace: 'LambdaInsights', name: 'used_memory_max', stat: 'Maximum', dimension: 'function_name' },
  { key: 'icpu', namespace: 'LambdaInsights', name: 'cpu_total_time', stat: 'Average', dimension: 'function_name' },
];

type Daily = Map<number, number>;

/** Folds daily datapoints into the window's figures. */
function usageFrom(days: number, series: Record<string, Daily>): LambdaUsage {
  const sum = (d: Daily | undefined) => [...(d?.values() ?? [])].reduce((a, b) => a + b, 0);
  const max = (d: Daily | undefined) => (d && d.size ? Math.max(...d.values()) : undefined);
  const inv = series.inv;
  /** Invocation-weighted average of a daily average. */
  const weighted = (d: Daily | undefined) => {
    if (!d || !d.size) return undefined;
    let w = 0;
    let total = 0;
    for (const [t, v] of d) {
      const n = inv?.get(t) ?? 0;
      w += n;
      total += v * n;
    }
    return w > 0 ? total / w : [...d.values()].reduce((a, b) => a + b, 0) / d.size;
  };
  const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 100) / 100);
  const u: LambdaUsage = { days, invocations: Math.round(sum(series.inv)), errors: Math.round(sum(series.err)), throttles: Math.round(sum(series.thr)) };
  const fields: [keyof LambdaUsage, number | undefined][] = [
    ['durationAvgMs', weighted(series.davg)],
    ['durationP99Ms', max(series.dp99)],
    ['durationMaxMs', max(series.dmax)],
    ['concurrentMax', max(series.conc)],
    ['insightsMemoryMaxMb', max(series.imem)],
    ['insightsCpuAvgMs', weighted(series.icpu)],
  ];
  for (const [k, v] of fields) if (v !== undefined) (u as unknown as Record<string, number>)[k] = round(v)!;
  return u;
}

async function readUsage(ctx: RegionContext, page: LambdaFunction[], days: number): Promise<Map<string, LambdaUsage>> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  // The last `days` whole days (UTC): today's partial day would skew the monthly projection.
  const end = new Date(Math.floor(ctx.now.getTime() / DAY_MS) * DAY_MS);
  const start = new Date(end.getTime() - days * DAY_MS);
  const out = new Map<string, LambdaUsage>();
  for (const batch of batches(page, Math.floor(METRIC_QUERIES_PER_CALL / LAMBDA_QUERIES_PER_FUNCTION))) {
    const queries: MetricDataQuery[] = batch.flatMap((f, i) =>
      METRICS.map((m) => ({
        Id: `${m.key}_${i}`,
        MetricStat: { Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: [{ Name: m.dimension, Value: f.name }] }, Period: 86_400, Stat: m.stat },
        ReturnData: true,
      })),
    );
    const series = batch.map(() => ({}) as Record<string, Daily>);
    for await (const res of paginateGetMetricData({ client: cw }, { MetricDataQueries: queries, StartTime: start, EndTime: end })) {
      for (const r of res.MetricDataResults ?? []) {
        const m = /^([a-z0-9]+)_(\d+)$/.exec(r.Id ?? '');
        if (!m) continue;
        const daily = (series[Number(m[2])][m[1]] ??= new Map());
        (r.Timestamps ?? []).forEach((t, k) => daily.set(new Date(t).getTime(), r.Values?.[k] ?? 0));
      }
    }
    batch.forEach((f, i) => out.set(f.name, usageFrom(days, series[i])));
  }
  return out;
}

interface QueryBatch {
  groups: string[];
  queryId?: string;
}

/**
 * Max memory used per log group from the REPORT lines, over the window. Groups of a failed
 * query get the failure's reason instead. A log group that does not exist fails the whole
 * StartQuery (ResourceNotFoundException): the batch is split in halves until the missing group
 * is alone (log2(50) extra calls at most).
 */
async function readReportLines(ctx: RegionContext, groups: string[], days: number): Promise<{ rows: Map<string, LambdaMemoryUse>; unknown: Map<string, string>; failed: Map<string, ReadFailure>; bytesScanned: number }> {
  const logs = ctx.clients.get(CloudWatchLogsClient, ctx.region);
  const rows = new Map<string, LambdaMemoryUse>();
  const unknown = new Map<string, string>();
  /** Groups whose query timed out, failed or was cancelled: the run reports them as not evaluated (lib/engine/partial.ts). */
  const failed = new Map<string, ReadFailure>();
  const queryFailed = (b: QueryBatch, code: string, message: string) => b.groups.forEach((g) => failed.set(g, { operation: 'logs:GetQueryResults', code, message, kind: code === 'QueryTimeout' || code === 'QueryDeadline' ? 'timeout' : 'server-error' }));
  const endTime = Math.floor(ctx.now.getTime() / 1000);
  const startTime = endTime - days * 86_400;
  const pending: QueryBatch[] = batches(groups, LOG_GROUPS_PER_QUERY).map((g) => ({ groups: g }));
  const running: QueryBatch[] = [];
  const deadline = ctx.clock.now().getTime() + QUERY_DEADLINE_MS;
  const fail = (b: QueryBatch, why: string) => b.groups.forEach((g) => unknown.set(g, why));
  let bytesScanned = 0;
  while (pending.length || running.length) {
    while (pending.length && running.length < QUERY_CONCURRENCY) {
      const b = pending.shift()!;
      try {
        b.queryId = (await logs.send(new StartQueryCommand({ logGroupNames: b.groups, startTime, endTime, queryString: REPORT_QUERY }))).queryId;
        running.push(b);
      } catch (error) {
        const name = awsErrorName(error);
        if (name === 'LimitExceededException') {
          // Other queries (dashboards, people) hold the account's slots: wait for one of ours or a while.
          pending.unshift(b);
          if (ctx.clock.now().getTime() >= deadline) break;
          if (!running.length) await ctx.clock.sleep(QUERY_POLL_MS * 5);
          break;
        }
        if (name === 'ResourceNotFoundException' && b.groups.length > 1) {
          const half = Math.ceil(b.groups.length / 2);
          pending.unshift({ groups: b.groups.slice(0, half) }, { groups: b.groups.slice(half) });
          continue;
        }
        if (name === 'ResourceNotFoundException') fail(b, 'its log group does not exist (never invoked since logging started, or deleted)');
        // Denied, throttled past retries, a 5xx: the run reports the memory detectors as not evaluated (lib/engine/partial.ts).
        else if (isReadFailure(error)) throw error;
        else fail(b, `Logs Insights StartQuery failed: ${name ?? errorMessage(error)}`);
      }
    }
    if (ctx.clock.now().getTime() >= deadline) {
      for (const b of [...pending, ...running]) {
        fail(b, `Logs Insights queries did not complete within ${QUERY_DEADLINE_MS / 60_000} min`);
        queryFailed(b, 'QueryDeadline', `Logs Insights queries did not complete within ${QUERY_DEADLINE_MS / 60_000} min`);
      }
      break;
    }
    if (!running.length) continue;
    // Poll at once (a short query may be done already), then every QUERY_POLL_MS while any runs.
    for (const b of [...running]) {
      const res = await logs.send(new GetQueryResultsCommand({ queryId: b.queryId! }));
      if (res.status === 'Running' || res.status === 'Scheduled') continue;
      running.splice(running.indexOf(b), 1);
      // Logs Insights bills the bytes a query scanned, whatever its outcome.
      const scanned = res.statistics?.bytesScanned ?? 0;
      bytesScanned += scanned;
      const share = { bytesScanned: Math.round(scanned / b.groups.length), usd: Math.round(((scanned / b.groups.length / 1e9) * ctx.prices.logsInsightsScannedGb) * 1e6) / 1e6 };
      if (res.status !== 'Complete') {
        fail(b, `the Logs Insights query ended ${res.status}`);
        queryFailed(b, `Query${res.status}`, `the Logs Insights query ended ${res.status}`);
        continue;
      }
      for (const row of res.results ?? []) {
        const field = (name: string) => row.find((f) => f.field === name)?.value;
        const log = field('@log');
        if (!log) continue;
        const group = log.slice(log.indexOf(':') + 1);
        const num = (name: string) => (field(name) === undefined ? undefined : Number(field(name)));
        rows.set(group, {
          source: 'report-lines',
          maxUsedMb: num('maxMemoryUsedMB') ?? 0,
          ...(num('p99MemoryUsedMB') !== undefined ? { p99UsedMb: num('p99MemoryUsedMB') } : {}),
          reports: num('reports') ?? 0,
          runtimeExits: num('runtimeExits') ?? 0,
          timeouts: num('timeouts') ?? 0,
          logsInsights: share,
        });
      }
      for (const g of b.groups) if (!rows.has(g)) unknown.set(g, `no REPORT line or platform.report record in the last ${days} days`);
    }
    if (running.length) await ctx.clock.sleep(QUERY_POLL_MS);
  }
  return { rows, unknown, failed, bytesScanned };
}

/**
 * Whether a memory detector could flag this function, by the thresholds in `needs` (see
 * aliasesOverNeed / aliasesUnderNeed): only those functions' aliases are read.
 */
export function memoryChangeCandidate(f: LambdaFunction, needs: ReadonlySet<string>): boolean {
  if (!f.usage || f.usage.invocations === 0) return false;
  const used = f.memory ? f.memory.maxUsedMb / f.memoryMb : undefined;
  for (const need of needs) {
    const [kind, direction, a, b] = need.split(':');
    if (kind !== 'aliases') continue;
    if (direction === 'over' && used !== undefined && used <= Number(a)) return true;
    if (direction === 'under') {
      if ((f.memory?.runtimeExits ?? 0) > 0 || (f.memory?.timeouts ?? 0) > 0) return true;
      if (used !== undefined && used >= Number(a)) return true;
      if ((f.usage.durationP99Ms ?? 0) >= f.timeoutS * 1000 * Number(b)) return true;
    }
  }
  return false;
}

async function readAliases(ctx: RegionContext, f: LambdaFunction): Promise<LambdaAliasInfo[]> {
  const lambda = ctx.clients.get(LambdaClient, ctx.region);
  const aliases: LambdaAliasInfo[] = [];
  let marker: string | undefined;
  do {
    const out: ListAliasesCommandOutput = await lambda.send(new ListAliasesCommand({ FunctionName: f.name, Marker: marker }));
    for (const a of out.Aliases ?? []) {
      aliases.push({ name: a.Name!, version: a.FunctionVersion ?? '$LATEST', ...(a.RoutingConfig?.AdditionalVersionWeights ? { weights: a.RoutingConfig.AdditionalVersionWeights } : {}) });
    }
    marker = out.NextMarker;
  } while (marker);
  if (!aliases.length) return aliases;
  marker = undefined;
  do {
    const out: ListProvisionedConcurrencyConfigsCommandOutput = await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: f.name, Marker: marker }));
    for (const c of out.ProvisionedConcurrencyConfigs ?? []) {
      const qualifier = c.FunctionArn?.split(':').pop();
      const alias = aliases.find((a) => a.name === qualifier);
      if (alias) alias.provisionedConcurrency = c.RequestedProvisionedConcurrentExecutions ?? c.AllocatedProvisionedConcurrentExecutions ?? 0;
    }
    marker = out.NextMarker;
  } while (marker);
  return aliases;
}

async function enrichPage(ctx: RegionContext, page: LambdaFunction[], needs: ReadonlySet<string>): Promise<LambdaFunction[]> {
  const days = usageDays(needs);
  if (days === undefined) return page;
  // Each read runs through enrichmentRead: a failure costs only the detectors needing what it provides, on
  // the functions it was for (lib/engine/partial.ts). Metrics feed every detector; memory use (Logs
  // Insights) and aliases only the memory detectors, which are the ones asking for `aliases:…`.
  const memoryNeeds = needsStartingWith(needs, 'aliases:');
  const usage = await enrichmentRead(ctx, { provides: [...needsStartingWith(needs, 'usage:'), ...memoryNeeds], items: page, operation: 'cloudwatch:GetMetricData' }, () => readUsage(ctx, page, days));
  if (!usage) return page;
  let out = page.map((f) => ({ ...f, usage: usage.get(f.name) }));
  const viaInsights = (f: LambdaFunction) => f.usage?.insightsMemoryMaxMb !== undefined;
  // A log group several functions write to (LoggingConfig.LogGroup) mixes their report records,
  // which name no function: its figures are nobody's, so it is not queried (nor paid for).
  const writers = new Map<string, string[]>();
  for (const f of page) writers.set(f.logGroup, [...(writers.get(f.logGroup) ?? []), f.name]);
  const shared = (f: LambdaFunction) => (writers.get(f.logGroup)?.length ?? 0) > 1;
  const toQuery = [...new Set(out.filter((f) => (f.usage?.invocations ?? 0) > 0 && !viaInsights(f) && !shared(f)).map((f) => f.logGroup))];
  const queried = out.filter((f) => toQuery.includes(f.logGroup));
  const noRows = { rows: new Map<string, LambdaMemoryUse>(), unknown: new Map<string, string>(), failed: new Map<string, ReadFailure>(), bytesScanned: 0 };
  const { rows, unknown, failed, bytesScanned } = toQuery.length
    ? ((await enrichmentRead(ctx, { provides: memoryNeeds, items: queried, operation: 'logs:StartQuery' }, () => readReportLines(ctx, toQuery, days))) ?? noRows)
    : noRows;
  if (bytesScanned > 0) {
    ctx.log(`lambda-function: Logs Insights scanned ${(bytesScanned / 1e9).toFixed(3)} GB for memory use ($${((bytesScanned / 1e9) * ctx.prices.logsInsightsScannedGb).toFixed(4)} at $${ctx.prices.logsInsightsScannedGb}/GB)`, { bytesScanned, logGroups: toQuery.length });
  }
  // A query that ended Timeout, Failed or Cancelled: its functions' memory detectors are not evaluated (not "unknown" in silence).
  for (const f of queried) {
    const failure = failed.get(f.logGroup);
    if (failure) ctx.gaps?.fail([f], memoryNeeds, failure);
  }
  out = out.map((f) => {
    if (viaInsights(f)) return { ...f, memory: { source: 'lambda-insights', maxUsedMb: f.usage!.insightsMemoryMaxMb! } };
    if ((f.usage?.invocations ?? 0) === 0) return { ...f, memoryUnknown: `not invoked in the last ${days} days` };
    if (shared(f)) {
      const others = writers.get(f.logGroup)!.filter((n) => n !== f.name);
      return { ...f, memoryUnknown: `its log group ${f.logGroup} is shared with ${others.join(', ')}: report records name no function, so their memory figures cannot be told apart (give each function its own log group, or install Lambda Insights)` };
    }
    const row = rows.get(f.logGroup);
    return row ? { ...f, memory: row } : { ...f, memoryUnknown: unknown.get(f.logGroup) ?? 'unknown' };
  });
  return out;
}


/**
 * Lazy: aliases and provisioned concurrency (ListAliases, ListProvisionedConcurrencyConfigs, one
 * call each per function) only for the functions a memory detector flagged (ResourceType.refine):
 * they shape what the finding says (conflict, evidence), never whether there is one.
 */
async function refineAliases(ctx: RegionContext, flagged: LambdaFunction[], needs: ReadonlySet<string>): Promise<LambdaFunction[]> {
  if (!needsAliases(needs)) return flagged;
  const memoryNeeds = needsStartingWith(needs, 'aliases:');
  const out = flagged.map((f) => ({ ...f }));
  for (const [i, f] of out.entries()) {
    if (!memoryChangeCandidate(f, needs)) continue;
    let deleted = false;
    // A failed read (denied, throttled past retries) costs only the memory detectors on this function.
    const aliases = await enrichmentRead(ctx, { provides: memoryNeeds, items: [f], operation: 'lambda:ListAliases' }, async () => {
      try {
        return await readAliases(ctx, f);
      } catch (error) {
        // Deleted between the listing and this read (ResourceNotFoundException, 404): not a failed read.
        if (awsErrorName(error) !== 'ResourceNotFoundException') throw error;
        deleted = true;
        return undefined;
      }
    });
    if (deleted) {
      const { memory: _gone, ...rest } = f;
      out[i] = { ...rest, memoryUnknown: 'the function was deleted during the scan (ListAliases: ResourceNotFoundException)' };
    } else if (aliases) f.aliases = aliases;
  }
  return out;
}

export { TAGGING_ARNS_PER_CALL } from '../../aws/tagging.ts';

/**
 * Tags of the listed functions, ⌈n/100⌉ GetResources calls (one per ListFunctions page of 50).
 * A function the API does not return is untagged: GetResources never returns untagged resources.
 */
export const readFunctionTags = (ctx: RegionContext, functions: readonly LambdaFunction[]): Promise<Map<string, Record<string, string>>> => readTagsByArn(ctx, functions.map((f) => f.arn));

export const lambdaFunctionResource: ResourceType<LambdaFunction> = {
  id: 'lambda-function',
  title: 'Lambda function',
  // Tags come with the listing (GetResources), so tag scopes apply before enrichment.
  tagsListed: true,
  permissions: [
    'lambda:ListFunctions',
    'tag:GetResources',
    'lambda:ListAliases',
    'lambda:ListProvisionedConcurrencyConfigs',
    'cloudwatch:GetMetricData',
    'logs:StartQuery',
    'logs:GetQueryResults',
  ],

  async *list(ctx, _prepared, ids) {
    const lambda = ctx.clients.get(LambdaClient, ctx.region);
    const wanted = ids?.length ? new Set(ids.map((id) => id.replace(/^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:/, '').split(':')[0])) : undefined;
    // Pages of up to 100 functions (two ListFunctions pages): one GetResources reads their tags.
    const tagged = async (functions: LambdaFunction[]) => {
      const tags = await readFunctionTags(ctx, functions);
      return functions.map((f) => ({ ...f, tags: tags.get(f.arn)! }));
    };
    let buffer: LambdaFunction[] = [];
    for await (const page of paginateListFunctions({ client: lambda, pageSize: PAGE_SIZE }, {})) {
      buffer.push(...(page.Functions ?? []).filter((f) => f.FunctionName && (!wanted || wanted.has(f.FunctionName))).map(toLambdaFunction));
      while (buffer.length >= TAGGING_ARNS_PER_CALL) {
        yield await tagged(buffer.slice(0, TAGGING_ARNS_PER_CALL));
        buffer = buffer.slice(TAGGING_ARNS_PER_CALL);
      }
    }
    if (buffer.length) yield await tagged(buffer);
  },

  async enrich(ctx, page, _prepared, needs) {
    return enrichPage(ctx, page, needs);
  },

  async refine(ctx, flagged, _prepared, needs) {
    return refineAliases(ctx, flagged, needs);
  },

  ref(f, ctx) {
    return { type: 'lambda-function', id: f.name, arn: f.arn, account: ctx.account, region: ctx.region, tags: f.tags };
  },
};
