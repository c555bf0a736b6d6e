/**
 * The Lambda part of the "small company" scenario: 14+ days of AWS/Lambda metrics per function,
 * Lambda Insights metrics for the functions that have the extension, and REPORT-line series
 * (Logs Insights) for the others.
 *
 * Waste: `orders-api` (1,024 MB, uses under 180 MB, CPU measured low by Lambda Insights: shrink);
 * `email-sender` (Node.js on x86_64, no layers: the arm64 report). Performance: `report-builder`
 * (p99 near its 60 s timeout, memory at its limit, "Runtime exited" lines). Traps:
 * `checkout-service` (oversized, but its `live` alias serves version 7 with provisioned
 * concurrency: a $LATEST change saves nothing), `trimtab-prod-scan` (trimtab's own),
 * `image-resizer` (oversized by REPORT lines, CPU not measured: protected; a native layer keeps
 * it out of the arm64 report), `pdf-export` (x86_64 with a native layer), `nightly-etl` (never
 * invoked in the window: nothing is known, nothing is proposed).
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import { lambdaState, type SandboxLambdaAlias, type SandboxLambdaFunction } from '../../sandbox/services/lambda.ts';
import { seedLambdaReports, type LambdaReportSeries } from '../../sandbox/services/logs-insights.ts';

export interface FunctionSeed {
  name: string;
  runtime?: string;
  architecture?: 'x86_64' | 'arm64';
  memoryMb: number;
  timeoutS: number;
  packageType?: 'Zip' | 'Image';
  layers?: string[];
  tags?: Record<string, string>;
  vpc?: boolean;
  ageDays?: number;
  /** Published versions with the memory they were published with. */
  versions?: Record<string, number>;
  aliases?: Record<string, SandboxLambdaAlias>;
  /** Invocations per hour; absent or 0: never invoked. */
  perHour?: number;
  /** Duration per invocation, ms (hourly average, with optional spikes for the tail). */
  durationMs?: { base: number; noise?: number; spikeValue?: number; spikeEveryHours?: number };
  errorsPerHour?: number;
  /** Lambda Insights installed: memory used (MB) and CPU time per invocation (ms). */
  insights?: { usedMb: number; cpuMs: number };
  /** REPORT lines (Logs Insights) when Lambda Insights is not installed. */
  reports?: Omit<LambdaReportSeries, 'memorySizeMb' | 'perHour' | 'logFormat'>;
  /** LoggingConfig.LogFormat: JSON functions write `platform.report` records instead of REPORT lines. */
  logFormat?: 'Text' | 'JSON';
  /** A custom log group (LoggingConfig.LogGroup), possibly shared with other functions. */
  logGroup?: string;
  region?: string;
}

const hourly = (series: Omit<SeriesSpec, 'resolutionSeconds'>, startsAt: string): SeriesSpec => ({ resolutionSeconds: 3600, startsAt, ...series });

/** Adds one function with its metrics and logs. */
export function seedFunction(sandbox: Sandbox, accountId: string, spec: FunctionSeed): SandboxLambdaFunction {
  const region = spec.region ?? 'us-east-1';
  const account = sandbox.account(accountId);
  const now = sandbox.now();
  const created = daysAgo(now, spec.ageDays ?? 120);
  const fn: SandboxLambdaFunction = {
    name: spec.name,
    ...(spec.packageType === 'Image' ? {} : { runtime: spec.runtime ?? 'nodejs20.x', handler: 'index.handler' }),
    architecture: spec.architecture ?? 'x86_64',
    memoryMb: spec.memoryMb,
    timeoutS: spec.timeoutS,
    packageType: spec.packageType ?? 'Zip',
    codeSize: 2_400_000,
    layers: (spec.layers ?? []).map((arn) => ({ arn, codeSize: 30_000_000 })),
    tags: spec.tags ?? {},
    lastModified: daysAgo(now, 30).toISOString(),
    revision: 1,
    ...(spec.vpc ? { vpc: true } : {}),
    ...(spec.logFormat ? { logFormat: spec.logFormat } : {}),
    ...(spec.logGroup ? { logGroup: spec.logGroup } : {}),
    versions: Object.fromEntries(Object.entries(spec.versions ?? {}).map(([v, memoryMb]) => [v, { memoryMb }])),
    aliases: spec.aliases ?? {},
  };
  lambdaState(sandbox, account, region).functions[fn.name] = fn;
  if (!spec.perHour) return fn;
  const start = created.toISOString();
  const metrics = cloudwatchState(sandbox, account, region).metrics;
  const lambdaMetric = (metricName: string, series: Omit<SeriesSpec, 'resolutionSeconds'>) =>
    metrics.push({ namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: fn.name }, series: hourly(series, start) });
  const d = spec.durationMs ?? { base: 100 };
  lambdaMetric('Invocations', { base: spec.perHour, min: 0 });
  lambdaMetric('Errors', { base: spec.errorsPerHour ?? 0, min: 0 });
  lambdaMetric('Throttles', { base: 0, min: 0 });
  lambdaMetric('Duration', { base: d.base, noise: d.noise ?? d.base * 0.1, min: 1, max: spec.timeoutS * 1000, ...(d.spikeValue ? { spikeValue: d.spikeValue, spikeEveryHours: d.spikeEveryHours ?? 6 } : {}) });
  lambdaMetric('ConcurrentExecutions', { base: Math.max(1, (spec.perHour / 3600) * (d.base / 1000) * 3), noise: 1, min: 0 });
  if (spec.insights) {
    const insight = (metricName: string, series: Omit<SeriesSpec, 'resolutionSeconds'>) =>
      metrics.push({ namespace: 'LambdaInsights', metricName, dimensions: { function_name: fn.name }, series: hourly(series, start) });
    insight('used_memory_max', { base: spec.insights.usedMb * 0.9, noise: spec.insights.usedMb * 0.1, max: spec.insights.usedMb, min: 1 });
    insight('cpu_total_time', { base: spec.insights.cpuMs, noise: spec.insights.cpuMs * 0.1, min: 0 });
  }
  if (spec.reports) {
    seedLambdaReports(sandbox, account, region, spec.logGroup ?? `/aws/lambda/${fn.name}`, { memorySizeMb: spec.memoryMb, perHour: spec.perHour, ...spec.reports, ...(spec.logFormat === 'JSON' ? { logFormat: 'JSON' as const } : {}), usedMb: { startsAt: start, ...spec.reports.usedMb } }, created);
  }
  return fn;
}

export function seedLambdaSmallCompany(sandbox: Sandbox, accountId: string) {
  const f = (spec: FunctionSeed) => seedFunction(sandbox, accountId, spec);
  // Waste: 1,024 MB for a handler that peaks under 180 MB and computes ~15 ms of a 120 ms call.
  f({ name: 'orders-api', runtime: 'nodejs20.x', architecture: 'arm64', memoryMb: 1024, timeoutS: 30, perHour: 12_000, durationMs: { base: 120, noise: 20, spikeValue: 400 }, insights: { usedMb: 178, cpuMs: 15 }, tags: { team: 'shop' } });
  // Waste (report): Node.js on x86_64, no layers.
  f({ name: 'email-sender', runtime: 'nodejs18.x', memoryMb: 512, timeoutS: 30, perHour: 1_200, durationMs: { base: 800, noise: 100 }, reports: { usedMb: { base: 240, noise: 40 } } });
  // Performance: near the timeout and at its memory limit, with out-of-memory exits.
  f({ name: 'report-builder', runtime: 'python3.12', architecture: 'arm64', memoryMb: 512, timeoutS: 60, perHour: 30, durationMs: { base: 31_000, noise: 4_000, spikeValue: 56_000, spikeEveryHours: 4 }, errorsPerHour: 0.2, reports: { usedMb: { base: 470, noise: 45 }, runtimeExitsPerDay: 3, timeoutsPerDay: 1 } });

  // Trap: oversized, but the live alias serves version 7 with provisioned concurrency.
  f({
    name: 'checkout-service',
    runtime: 'nodejs20.x',
    architecture: 'arm64',
    memoryMb: 1536,
    timeoutS: 15,
    perHour: 6_000,
    durationMs: { base: 90, noise: 15 },
    insights: { usedMb: 210, cpuMs: 12 },
    versions: { '6': 1536, '7': 1536 },
    aliases: { live: { version: '7', provisionedConcurrency: 20 }, canary: { version: '7', additionalVersionWeights: { '6': 0.1 } } },
  });
  // Trap: trimtab's own function (serverless.yml names them trimtab-<stage>-<function>).
  f({ name: 'trimtab-prod-scan', runtime: 'nodejs22.x', architecture: 'arm64', memoryMb: 512, timeoutS: 300, perHour: 24, durationMs: { base: 20_000, noise: 2_000 }, insights: { usedMb: 140, cpuMs: 1_500 }, tags: { 'aws:cloudformation:stack-name': 'trimtab-prod' } });
  // Trap: oversized by its REPORT lines, but CPU is not measured (no Lambda Insights); a native layer (Pillow).
  f({ name: 'image-resizer', runtime: 'python3.12', memoryMb: 2048, timeoutS: 60, perHour: 2_000, durationMs: { base: 1_400, noise: 200 }, layers: ['arn:aws:lambda:us-east-1:770693421928:layer:Klayers-p312-pillow:1'], reports: { usedMb: { base: 280, noise: 20 } } });
  // Trap: x86_64 with native dependencies (a wkhtmltopdf layer): not in the arm64 report.
  f({ name: 'pdf-export', runtime: 'nodejs20.x', memoryMb: 1024, timeoutS: 30, perHour: 400, durationMs: { base: 2_500, noise: 300 }, layers: ['arn:aws:lambda:us-east-1:123456789012:layer:wkhtmltopdf-x86:3'], reports: { usedMb: { base: 700, noise: 60 } } });
  // Trap: never invoked in the window.
  f({ name: 'nightly-etl', runtime: 'python3.11', memoryMb: 3008, timeoutS: 900 });
}

/**
 * A large account for the bench: `count` functions in `region`. Every 10th is oversized (20 % of
 * its memory used, so its aliases are read), every 20th has a `live` alias on a published
 * version; the rest use 78 % (no memory change possible). Even ones have Lambda Insights, odd
 * ones log REPORT lines.
 */
export function seedFunctions(sandbox: Sandbox, accountId: string, region: string, count: number) {
  for (let i = 0; i < count; i++) {
    const usedMb = i % 10 === 0 ? 200 : 800;
    seedFunction(sandbox, accountId, {
      name: `svc-${String(i).padStart(5, '0')}`,
      region,
      architecture: 'arm64',
      memoryMb: 1024,
      timeoutS: 30,
      perHour: 100,
      durationMs: { base: 150, noise: 10 },
      ...(i % 2 === 0 ? { insights: { usedMb, cpuMs: 10 } } : { reports: { usedMb: { base: usedMb * 0.98, noise: usedMb * 0.02 } } }),
      ...(i % 20 === 0 ? { versions: { '1': 1024 }, aliases: { live: { version: '1' } } } : {}),
    });
  }
}
