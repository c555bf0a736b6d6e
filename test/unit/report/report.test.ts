import { describe, expect, it } from 'vitest';
import type { FindingResult, RunResult } from '../../../lib/engine/run.ts';
import { CSV_COLUMNS, csvField, findingsCsv } from '../../../lib/report/csv.ts';
import { barChart, distinctFindings, renderHtmlReport, savingsBy } from '../../../lib/report/html.ts';

function finding(overrides: Partial<FindingResult> & { id: string; monthlyUsd?: number; type?: string }): FindingResult {
  const { monthlyUsd = 0, type = 's3-bucket', ...rest } = overrides;
  return {
    policy: 'p1',
    detector: 'd',
    status: 'actionable',
    reason: 'why',
    evidence: { sizeGb: 10 },
    mode: 'dry-run',
    outcome: 'would-apply',
    savings: { monthlyUsd, basis: ['10 GB × $0.023'] },
    resource: { type, id: rest.id, arn: `arn:aws:s3:::${rest.id}`, account: '123456789012', region: 'us-east-1', tags: {} },
    ...rest,
  };
}

const result = (findings: FindingResult[]): RunResult => {
  const counted = findings.filter((f) => f.status !== 'protected');
  return {
    findings,
    actions: [],
    errors: [],
    summary: {
      findings: counted.length,
      actionable: counted.length,
      protected: findings.length - counted.length,
      conflicts: 0,
      estimatedMonthlySavingsUsd: counted.reduce((s, f) => s + f.savings.monthlyUsd, 0),
      actionsApplied: 0,
      actionsFailed: 0,
      awaitingApproval: 0,
      durationMs: 1,
    },
  };
};

/** A strict RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

describe('csvField', () => {
  it('quotes fields holding commas, quotes, CR or LF, and doubles the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(undefined)).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula, but not numbers', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-5', { numeric: true })).toBe('-5');
  });
});

describe('findingsCsv', () => {
  it('writes a header and one CRLF-terminated record per finding that round-trips through an RFC 4180 reader', () => {
    const findings = [finding({ id: 'bucket,with"comma', monthlyUsd: 12.345, reason: 'line one\nline two' }), finding({ id: 'plain', status: 'protected', monthlyUsd: 99 })];

    const text = findingsCsv(findings);
    const rows = parseCsv(text);

    expect(text.endsWith('\r\n')).toBe(true);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    expect(rows[1][col('resource_id')]).toBe('bucket,with"comma');
    expect(rows[1][col('reason')]).toBe('line one\nline two');
    expect(rows[1][col('estimated_monthly_savings_usd')]).toBe('12.35');
    expect(JSON.parse(rows[1][col('evidence_json')])).toEqual({ sizeGb: 10 });
    // A protected finding saves nothing: trimtab will not touch it.
    expect(rows[2][col('estimated_monthly_savings_usd')]).toBe('0');
  });
});

describe('the HTML report', () => {
  it('sums savings per policy and per resource type, leaving protected findings out', () => {
    const findings = [
      finding({ id: 'a', policy: 'p1', monthlyUsd: 10 }),
      finding({ id: 'b', policy: 'p1', monthlyUsd: 5, type: 'asg' }),
      finding({ id: 'c', policy: 'p2', monthlyUsd: 20, type: 'asg' }),
      finding({ id: 'd', policy: 'p3', monthlyUsd: 500, status: 'protected' }),
    ];

    expect(savingsBy(findings, (f) => f.policy)).toEqual([
      { label: 'p2', value: 20 },
      { label: 'p1', value: 15 },
    ]);
    expect(savingsBy(findings, (f) => f.resource.type)).toEqual([
      { label: 'asg', value: 25 },
      { label: 's3-bucket', value: 10 },
    ]);
  });

  it('counts once the same change proposed by two policies for the same resource, keeping the larger estimate', () => {
    const plan = (action: string) => ({ action, summary: 's', params: {}, undo: 'u', hash: action });
    const findings = [
      finding({ id: 'web', policy: 'scheduled', monthlyUsd: 200, plan: plan('lower-min-size') }),
      finding({ id: 'web', policy: 'alarm', monthlyUsd: 210, plan: plan('lower-min-size') }),
      finding({ id: 'web', policy: 'other', monthlyUsd: 5, plan: plan('raise-target') }),
      finding({ id: 'web', policy: 'locked', monthlyUsd: 999, status: 'protected', plan: plan('lower-min-size') }),
    ];

    const { findings: distinct, overlapping } = distinctFindings(findings);

    // One change per resource per run: raise-target on the same group is an alternative, not an addition.
    expect(overlapping).toBe(2);
    expect(distinct.map((f) => [f.policy, f.savings.monthlyUsd])).toEqual([['alarm', 210]]);
    const html = renderHtmlReport(result(findings), { account: '1', regions: ['us-east-1'], generatedAt: new Date(0), command: 'scan' });
    expect(html).toContain('<strong>$210.00/mo</strong>');
    expect(html).toContain('2 overlapping estimates');
  });

  it('draws one SVG bar per entry, the largest full width', () => {
    const svg = barChart('By policy', [{ label: 'big', value: 100 }, { label: 'half', value: 50 }, { label: 'none', value: 0 }], 'c');

    expect(svg.match(/<g class="bar"/g)).toHaveLength(3);
    expect(svg).toContain('width="330"');
    expect(svg).toContain('width="165"');
    expect(svg).toContain('width="0"');
  });

  it('is self-contained, sorted by saving, and escapes everything that came from the account', () => {
    const findings = [finding({ id: '<script>alert(1)</script>', monthlyUsd: 1 }), finding({ id: 'big', monthlyUsd: 50 })];

    const html = renderHtmlReport(result(findings), { account: '123456789012', regions: ['us-east-1'], generatedAt: new Date('2026-11-01T00:00:00Z'), command: 'scan' });

    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toContain('<link');
    expect(html.indexOf('<strong>big</strong>')).toBeLessThan(html.indexOf('&lt;script&gt;alert(1)'));
    expect(html).toContain('2026-11-01 00:00:00 UTC');
    expect(html.match(/<details>/g)).toHaveLength(2);
  });
});
