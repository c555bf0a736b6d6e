import { factLabel } from '../../lib/report/facts.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../lib/cli/main.ts';
import type { RunResult } from '../../lib/engine/run.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { launchBrowser } from '../../lib/report/browser.ts';
import { evidenceChart, snapshotTimelines } from '../../lib/report/evidence-charts.ts';
import { renderHtmlReport, savingsBy } from '../../lib/report/html.ts';
import { testEnv } from '../helpers.ts';

/**
 * The HTML report in a real browser (the npm-installed headless Chromium, or CHROMIUM_PATH,
 * through playwright-core; lib/report/browser.ts): the table, the charts, sorting and the
 * evidence. Nothing is installed outside npm.
 */
const CLOCK = () => new Date('2026-11-01T00:00:00Z');
let dir: string;
let file: string;
let result: RunResult;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-report-'));
  const env = testEnv('small-company', { clock: CLOCK });
  result = await env.run(loadPolicies('trimtab.yml').policies, { forceDryRun: true });
  file = join(dir, 'report.html');
  writeFileSync(file, renderHtmlReport(result, { account: env.deps.account, regions: env.deps.defaultRegions, generatedAt: CLOCK(), command: 'scan', apiCalls: env.sandbox.callCount() }));
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the HTML report in headless Chromium', () => {
  it('shows the header, one table row per finding and a bar per policy and per resource type, with nothing fetched from outside', async () => {
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));

    await page.goto(`file://${file}`);

    expect(await page.locator('#account').textContent()).toBe('123456789012');
    expect(await page.locator('#findings > tbody > tr').count()).toBe(result.findings.length);
    const policyBars = await page.locator('#chart-policy g.bar').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-label'), Number(g.getAttribute('data-value'))]));
    expect(policyBars).toEqual(savingsBy(result.findings, (f) => f.policy).map((b) => [b.label, b.value]));
    expect(await page.locator('#chart-resource-type g.bar').count()).toBe(new Set(result.findings.filter((f) => f.status !== 'protected').map((f) => f.resource.type)).size);
    // The bars are drawn: the largest is the widest, and visible.
    const widths = await page.locator('#chart-policy rect').evaluateAll((rs) => rs.map((r) => (r as unknown as { getBBox(): { width: number } }).getBBox().width));
    expect(widths[0]).toBe(Math.max(...widths));
    expect(widths[0]).toBeGreaterThan(100);
    expect(await page.locator('#chart-policy svg').isVisible()).toBe(true);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    await page.close();
  });

  it('sorts the findings by a column when its heading is clicked, and back when clicked again', async () => {
    const page = await browser.context.newPage();
    await page.goto(`file://${file}`);
    const amounts = () => page.locator('#findings > tbody > tr > td.num').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-sort'))));
    const initial = await amounts();

    await page.locator('#findings thead th', { hasText: '$/month' }).click();
    const ascending = await amounts();
    await page.locator('#findings thead th', { hasText: '$/month' }).click();
    const descending = await amounts();

    expect(initial).toEqual([...initial].sort((a, b) => b - a));
    expect(ascending).toEqual([...initial].sort((a, b) => a - b));
    expect(descending).toEqual([...initial].sort((a, b) => b - a));
    expect(await page.locator('#findings thead th', { hasText: '$/month' }).getAttribute('aria-sort')).toBe('descending');
    await page.close();
  });

  it('shows the evidence behind a finding when its details are opened', async () => {
    const page = await browser.context.newPage();
    await page.goto(`file://${file}`);
    const top = [...result.findings].filter((f) => f.status !== 'protected').sort((a, b) => b.savings.monthlyUsd - a.savings.monthlyUsd)[0];
    const row = page.locator('#findings > tbody > tr').first();
    const firstKey = Object.keys(top.evidence)[0];

    expect(await row.locator('details table.kv').isVisible()).toBe(false);
    await row.locator('summary').click();

    expect(await row.locator('details table.kv').isVisible()).toBe(true);
    // Evidence reads as labelled facts (issue 26): the key's label, not the camelCase key.
    expect(await row.locator('details table.kv th').first().textContent()).toBe(factLabel(firstKey).label);
    expect(await row.locator('strong').first().textContent()).toBe(top.resource.id);
    // A screenshot renders (the docs keep one: docs/images/report-screenshot.png).
    const png = await page.screenshot();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });
});

describe('the evidence charts in headless Chromium', () => {
  it('draws a visible chart in the row of every finding whose evidence has a series, with bars of real height, and nothing fetched', async () => {
    // Prepare
    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const charted = result.findings.filter((f) => evidenceChart(f));

    // Act
    await page.goto(`file://${file}`);

    // Assess
    expect(charted.length).toBeGreaterThan(20);
    expect(await page.locator('#findings > tbody > tr .evidence-charts').count()).toBe(charted.length);
    // Every kind the issue names is drawn: ASG, instances, buckets, volumes.
    const types = await page.locator('#findings > tbody > tr:has(.evidence-charts) .type').allTextContents();
    expect(new Set(types)).toEqual(new Set(['asg', 'ec2-instance', 's3-bucket', 'ebs-volume']));
    // An ASG row: 14 daily CPU bars, laid out by the browser with the heights the data give, and the target line.
    const asgRow = page.locator('#findings > tbody > tr').filter({ has: page.locator('span.type', { hasText: /^asg$/ }) }).filter({ has: page.locator('.evidence-charts') }).first();
    const cpuChart = asgRow.locator('svg.evidence-chart').first();
    expect(await cpuChart.isVisible()).toBe(true);
    const bars = await cpuChart.locator('rect.bar').evaluateAll((rs) => rs.map((r) => ({ value: Number(r.getAttribute('data-value')), height: (r as unknown as { getBBox(): { height: number } }).getBBox().height })));
    expect(bars).toHaveLength(14);
    const tallest = bars.reduce((a, b) => (b.value > a.value ? b : a));
    expect(tallest.height).toBeGreaterThan(10);
    for (const b of bars) expect(b.height / tallest.height).toBeCloseTo(b.value / tallest.value, 1);
    expect(await cpuChart.locator('line.ref').count()).toBe(1);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    await page.close();
  });

  it('shows one snapshot timeline per volume with every snapshot finding marked, to-delete and protected, and the kept ones beside them', async () => {
    // Prepare
    const page = await browser.context.newPage();
    const expected = snapshotTimelines(result.findings);
    const snapshotIds = new Set(result.findings.filter((f) => f.resource.type === 'ebs-snapshot').map((f) => f.resource.id));

    // Act
    await page.goto(`file://${file}`);

    // Assess
    const volumes = await page.locator('#snapshot-timelines figure').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-volume')));
    expect(volumes).toEqual(expected.map((t) => t.volumeId));
    const marks = await page.locator('#snapshot-timelines g.snapshot').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-snapshot'), g.getAttribute('data-mark')]));
    // Every snapshot finding, and beside them the snapshots a keep-the-newest policy kept (evidence.keptNewer).
    const listedKept = new Set(result.findings.flatMap((f) => ((f.evidence.keptNewer as { snapshotId: string }[] | undefined) ?? []).map((k) => k.snapshotId)));
    expect(new Set(marks.filter(([id]) => snapshotIds.has(id!)).map(([id]) => id))).toEqual(snapshotIds);
    const extra = marks.filter(([id]) => !snapshotIds.has(id!));
    expect(extra.length).toBeGreaterThan(0);
    expect(extra.every(([id, mark]) => mark === 'kept' && listedKept.has(id!))).toBe(true);
    expect(new Set(marks.map(([, mark]) => mark))).toEqual(new Set(['to-delete', 'protected', 'kept']));
    expect(await page.locator('#snapshot-timelines svg').first().isVisible()).toBe(true);
    await page.close();
  });

  it("draws the same charts with the page's only script removed (pure SVG: no JavaScript needed)", async () => {
    // Prepare: the table script is the page's only script; the charts must not depend on it.
    const html = renderHtmlReport(result, { account: '123456789012', regions: ['eu-west-1'], generatedAt: CLOCK(), command: 'scan' }).replace(/<script>[\s\S]*?<\/script>/, '');
    const noJs = join(dir, 'no-js.html');
    writeFileSync(noJs, html);
    const page = await browser.context.newPage();

    // Act
    await page.goto(`file://${noJs}`);

    // Assess
    expect(html).not.toContain('<script');
    const perFinding = result.findings.reduce((n, f) => n + (evidenceChart(f)?.match(/<svg/g)?.length ?? 0), 0);
    expect(await page.locator('svg.evidence-chart').count()).toBe(perFinding + snapshotTimelines(result.findings).length);
    expect(await page.locator('svg.evidence-chart').first().isVisible()).toBe(true);
    await page.close();
  });
});

describe('trimtab scan --output html|csv', () => {
  /** The CLI in process (no tsx start-up per run), with its sandbox files in the temp dir and stdout captured. */
  async function trimtab(args: string[]): Promise<string> {
    const keys = ['TRIMTAB_SANDBOX_FILE', 'TRIMTAB_SANDBOX_HISTORY_FILE'] as const;
    const saved = keys.map((k) => process.env[k]);
    process.env.TRIMTAB_SANDBOX_FILE = join(dir, 'sandbox.json');
    process.env.TRIMTAB_SANDBOX_HISTORY_FILE = join(dir, 'actions.jsonl');
    const chunks: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true));
    try {
      await buildProgram().exitOverride().parseAsync(['node', 'trimtab', ...args]);
    } finally {
      write.mockRestore();
      keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    }
    return chunks.join('');
  }

  it('writes a whole HTML document and an RFC 4180 CSV to stdout', async () => {
    const html = await trimtab(['scan', '--sandbox', '--output', 'html']);
    const csv = await trimtab(['scan', '--sandbox', '--output', 'csv']);

    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).toContain('trimtab scan (read-only)');
    const lines = csv.split('\r\n');
    expect(lines[0]).toMatch(/^policy,resource_type,resource_id,/);
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(1, -1).length).toBeGreaterThan(0);
    expect(lines.slice(1, -1).every((line) => /^[a-z0-9-]+,[a-z0-9-]+,/.test(line))).toBe(true);
  });
});
