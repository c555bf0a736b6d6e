import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { findingsTable, resultJson, summaryLine } from '../../../lib/cli/format.ts';
import { runPolicies, type FindingResult, type RunResult } from '../../../lib/engine/run.ts';
import { CSV_COLUMNS } from '../../../lib/report/csv.ts';
import { renderHtmlReport } from '../../../lib/report/html.ts';
import { reportStream, SpoolFile, type StreamFormat } from '../../../lib/report/stream.ts';
import { registerSynthetic, setSyntheticCount, syntheticDeps, syntheticPolicy } from '../../synthetic.ts';

beforeAll(() => registerSynthetic());

const META = { account: '123456789012', regions: ['us-east-1'], generatedAt: new Date('2026-11-01T00:00:00Z'), command: 'scan' as const };

/** A streamed scan of `items` synthetic widgets into one format; `rowsBeforeFinish` proves the rows were written during the run. */
async function streamed(format: StreamFormat, items: number, options: { verbose?: boolean } = {}) {
  setSyntheticCount(items);
  const chunks: string[] = [];
  const stream = reportStream(format, (t) => void chunks.push(t), META, options);
  const result = await runPolicies({ policies: [syntheticPolicy('hot')], forceDryRun: true, sink: stream }, syntheticDeps());
  const rowsBeforeFinish = stream.written;
  const textBeforeFinish = chunks.join('');
  stream.finish(result, 7);
  return { text: chunks.join(''), textBeforeFinish, rowsBeforeFinish, result };
}

/** The same scan with every finding kept (no sink), for comparison. */
async function kept(items: number): Promise<RunResult> {
  setSyntheticCount(items);
  return runPolicies({ policies: [syntheticPolicy('hot')], forceDryRun: true }, syntheticDeps());
}

describe('reportStream (JSON)', () => {
  it('writes each finding during the run and ends with the same document resultJson gives for a kept run', async () => {
    // Act
    const { text, textBeforeFinish, rowsBeforeFinish, result } = await streamed('json', 1_500);
    const reference = resultJson(await kept(1_500), 7);

    // Assess
    expect(rowsBeforeFinish).toBe(result.summary.findings);
    expect(textBeforeFinish.match(/"resourceId"/g)).toHaveLength(result.summary.findings);
    const parsed = JSON.parse(text);
    reference.summary.durationMs = parsed.summary.durationMs;
    expect(parsed).toEqual(reference);
    expect(parsed.findings).toHaveLength(result.summary.findings);
  });

  it('prints exactly what JSON.stringify(…, null, 2) prints, empty list included', async () => {
    // Act
    const full = await streamed('json', 40);
    const empty = await streamed('json', 0);

    // Assess
    expect(full.text).toBe(`${JSON.stringify(JSON.parse(full.text), null, 2)}\n`);
    expect(empty.text).toBe(`${JSON.stringify(JSON.parse(empty.text), null, 2)}\n`);
    expect(JSON.parse(empty.text).findings).toEqual([]);
  });

  it('says which way each finding helps, the risk of performance findings, and totals by benefit', async () => {
    // Act
    const { text } = await streamed('json', 100);

    // Assess
    const parsed = JSON.parse(text);
    const w35 = parsed.findings.find((f: { resourceId: string }) => f.resourceId === 'w-0000035');
    const w10 = parsed.findings.find((f: { resourceId: string }) => f.resourceId === 'w-0000010');
    const w1 = parsed.findings.find((f: { resourceId: string }) => f.resourceId === 'w-0000001');
    expect([w1.benefit, w10.benefit, w35.benefit]).toEqual(['cost', 'performance', 'cost+performance']);
    expect(w10.risk.summary).toBe('CPU above 90 % for 10 % of hours');
    expect(w1.risk).toBeUndefined();
    // Items 0..99, 0, 11, …, 99 protected: multiples of 7 (7…98 but 77) both at $2.25, other
    // multiples of 5 (5…95 but 35, 55, 70) performance at $0, the remaining 61 cost at $1.50.
    expect(parsed.summary.byBenefit).toEqual({
      cost: { count: 61, monthlyUsd: 91.5 },
      performance: { count: 16, monthlyUsd: 0 },
      both: { count: 13, monthlyUsd: 29.25 },
    });
  });
});

describe('reportStream (CSV)', () => {
  it('writes the header and one record per finding as they come, with benefit and risk columns', async () => {
    // Act
    const { text, textBeforeFinish, result } = await streamed('csv', 1_000, { verbose: true });

    // Assess
    expect(textBeforeFinish).toBe(text);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(1, -1)).toHaveLength(result.summary.findings + result.summary.protected);
    const benefit = CSV_COLUMNS.indexOf('benefit');
    const w10 = lines.find((l) => l.includes(',w-0000010,'))!;
    // The evidence JSON is quoted and holds commas: the last two fields are benefit and risk.
    expect(w10.endsWith(',performance,CPU above 90 % for 10 % of hours')).toBe(true);
    expect(lines.find((l) => l.includes(',w-0000014,'))!.endsWith(',cost+performance,CPU above 90 % for 14 % of hours')).toBe(true);
    expect(benefit).toBe(CSV_COLUMNS.length - 2);
  });
});

describe('reportStream (HTML)', () => {
  it('writes every row during the run, then totals by benefit, charts and the risk of performance findings', async () => {
    // Act
    const { text, textBeforeFinish, result } = await streamed('html', 2_000);

    // Assess
    expect(textBeforeFinish.match(/<tr class="status-/g)).toHaveLength(2_000);
    expect(text.match(/<tr class="status-/g)).toHaveLength(2_000);
    expect(text.trimEnd().endsWith('</html>')).toBe(true);
    const b = result.summary.byBenefit!;
    expect(text).toContain(`<tr data-benefit="performance"><td>Performance</td><td class="num">${b.performance.count}</td><td class="num">$0.00</td></tr>`);
    expect(text).toContain(`<tr data-benefit="both"><td>Cost and performance</td><td class="num">${b.both.count}</td>`);
    expect(text).toContain('<p class="risk"><strong>Risk removed:</strong> CPU above 90 % for 10 % of hours</p>');
    expect(text).toContain(`<li>Findings<strong>${result.summary.findings}</strong></li>`);
    expect(text).toContain('<figure class="chart" id="chart-policy">');
    expect(text).toContain('<p class="meta" id="api-calls">7 API calls</p>');
    // Rows arrive unsorted: the page sorts them by saving on load.
    expect(text).toContain('<table id="findings" data-sort-on-load>');
  });

  it('gives a held result the same totals as the streamed run', async () => {
    // Act
    const stream = await streamed('html', 500);
    const html = renderHtmlReport(await kept(500), META);

    // Assess
    const totals = (s: string) => s.match(/<ul class="totals">.*?<\/ul>/s)![0];
    const benefits = (s: string) => s.match(/<table class="benefits".*?<\/table>/s)![0];
    expect(totals(html)).toBe(totals(stream.text));
    expect(benefits(html)).toBe(benefits(stream.text));
  });
});

describe('SpoolFile', () => {
  it('copies what was appended to a stream, waiting for drain, multi-byte characters intact across pieces', async () => {
    // Prepare: more than one 1 MiB piece, with a 3-byte character straddling the first boundary
    const spool = new SpoolFile();
    const text = `${'a'.repeat((1 << 20) - 1)}€${'b'.repeat(70_000)}✓`;
    for (let i = 0; i < text.length; i += 10_000) spool.append(text.slice(i, i + 10_000));
    const got: string[] = [];
    let drains = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk, _enc, done) {
        got.push(String(chunk));
        setImmediate(done);
      },
    });
    out.on('drain', () => (drains += 1));

    // Act
    await spool.copyTo(out);
    const onDisk = readFileSync(spool.path, 'utf8');
    spool.close();

    // Assess
    expect(got.join('')).toBe(text);
    expect(onDisk).toBe(text);
    expect(drains).toBeGreaterThan(0);
  });
});

describe('benefit in the CLI table and summary line', () => {
  it('adds a BENEFIT column, groups rows cost → both → performance, totals each group and shows the risk', async () => {
    // Prepare
    const result = await kept(30);

    // Act
    const text = findingsTable(result, { width: 400 });
    const line = summaryLine(result, 3);

    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^BENEFIT +RESOURCE +POLICY +WHY +ACTION +\$\/MONTH$/);
    const groups = lines.slice(2).map((l) => l.split(/\s+/)[0]).filter((g) => ['cost', 'both', 'performance'].includes(g));
    expect(groups.join(' ')).toMatch(/^(cost )+(both )+(performance ?)+$/);
    expect(text).toContain('Widget w-0000010 runs hot. Risk: CPU above 90 % for 10 % of hours');
    const b = result.summary.byBenefit!;
    expect(text).toMatch(new RegExp(`Performance: ${b.performance.count} findings +\\$0\\.00`));
    expect(text).toMatch(new RegExp(`Cost and performance: ${b.both.count} findings +\\$${b.both.monthlyUsd.toFixed(2)}`));
    expect(line).toContain(`by benefit: cost ${b.cost.count} ($${b.cost.monthlyUsd.toFixed(2)}/month), performance ${b.performance.count}, both ${b.both.count}`);
  });

  it('leaves a cost-only table as it was: no BENEFIT column, no group totals', () => {
    // Prepare
    const f = { policy: 'p', detector: 'd', status: 'actionable', reason: 'r', evidence: {}, mode: 'dry-run', outcome: 'would-apply', savings: { monthlyUsd: 3, basis: [] }, resource: { type: 't', id: 'x', arn: 'a', account: '1', region: 'r', tags: {} } } as unknown as FindingResult;
    const result = { findings: [f], actions: [], errors: [], summary: { findings: 1, actionable: 1, protected: 0, conflicts: 0, estimatedMonthlySavingsUsd: 3, actionsApplied: 0, actionsFailed: 0, awaitingApproval: 0, durationMs: 1 } } as RunResult;

    // Act
    const text = findingsTable(result, { width: 200 });

    // Assess
    expect(text.split('\n')[0]).toMatch(/^RESOURCE/);
    expect(text).not.toContain('Cost:');
    expect(summaryLine(result, 1)).not.toContain('by benefit');
  });
});
