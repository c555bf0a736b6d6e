import { describe, expect, it } from 'vitest';
import { findingsTable, fitParts, MIN_WHY_WIDTH, outputWidth, table, wrap } from '../../../lib/cli/format.ts';
import type { FindingResult, RunResult } from '../../../lib/engine/run.ts';

/** Findings shaped like the small-company sandbox scan's: its longest ids, policies and reasons. */
function finding(id: string, type: string, policy: string, reason: string, action: string, monthlyUsd: number, status: FindingResult['status'] = 'actionable'): FindingResult {
  return {
    policy,
    detector: 'd',
    status,
    reason,
    evidence: {},
    mode: 'dry-run',
    outcome: 'would-apply',
    ...(status === 'protected' ? { outcomeDetail: 'tagged trimtab:skip' } : {}),
    plan: { action, summary: `${action} ${id}`, parameters: {} },
    savings: { monthlyUsd, basis: [] },
    resource: { type, id, arn: `arn:aws:ec2:eu-west-1:123456789012:${id}`, account: '123456789012', region: 'eu-west-1', tags: {} },
  } as unknown as FindingResult;
}

const FINDINGS = [
  finding('vol-0000000000000005d', 'ebs-volume', 'ebs-unattached-volumes', 'Volume is unattached (available) for at least 30 days (no EBS metrics in the window); 500 GiB gp2 at $0.10/GB-month', 'snapshot-and-delete', 275),
  finding('acme-web', 'asg', 'asg-lower-min-size', 'p95 demand is 1.54 instance(s) at 50% CPU, well below MinSize 6 for 14 days', 'lower-min-size', 210.24),
  finding('acme-logs-archive-eu-west-1-0123456789', 's3-bucket', 's3-lifecycle-archive-old-logs', 'Objects older than 90 days are read less than once a month', 'transition-to-glacier-instant-retrieval', 41.5),
  finding('snap-0000000000000001e', 'ebs-snapshot', 'ebs-too-many-snapshots', 'Kept by AWS Backup', 'delete-snapshots', 0, 'protected'),
];

const result = (findings: FindingResult[]): RunResult => ({
  findings,
  actions: [],
  errors: [],
  summary: { findings: 3, actionable: 3, protected: 1, conflicts: 0, estimatedMonthlySavingsUsd: 526.74, actionsApplied: 0, actionsFailed: 0, awaitingApproval: 0, durationMs: 1 },
});

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

describe('findingsTable', () => {
  it('shows every reason whole when the width leaves room for it', () => {
    // Act
    const text = findingsTable(result(FINDINGS), { width: 250 });

    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^RESOURCE +POLICY +WHY +ACTION +\$\/MONTH$/);
    for (const f of FINDINGS.slice(0, 3)) expect(text).toContain(`  ${f.reason}  `);
    expect(lines.at(-1)).toMatch(/Total estimated saving +\$526\.74$/);
    expect(widest(text)).toBeLessThanOrEqual(250);
  });

  it('fits a 160-column terminal exactly: the fixed columns keep their measured width and WHY takes the rest', () => {
    // Act
    const text = findingsTable(result(FINDINGS), { width: 160 });

    // Assess
    const lines = text.split('\n');
    expect(widest(text)).toBe(160);
    // RESOURCE is as wide as the longest id, POLICY as the longest policy, ACTION as its longest label
    const header = lines[0];
    expect(header.indexOf('POLICY')).toBe('s3-bucket acme-logs-archive-eu-west-1-0123456789'.length + 2);
    expect(header.indexOf('WHY')).toBe(header.indexOf('POLICY') + 's3-lifecycle-archive-old-logs'.length + 2);
    const whyWidth = header.indexOf('ACTION') - header.indexOf('WHY') - 2;
    // 160 − RESOURCE 48 − POLICY 29 − ACTION 42 (labels are cut at 42) − $/MONTH 7 − four 2-column gaps
    expect(whyWidth).toBe(160 - 48 - 29 - 42 - 7 - 8);
    expect(lines[2].slice(header.indexOf('WHY'), header.indexOf('ACTION')).trimEnd()).toBe(`${FINDINGS[0].reason.slice(0, whyWidth - 1)}…`);
  });

  it('keeps the table down to a WHY column of MIN_WHY_WIDTH, then switches to one block per finding', () => {
    // Prepare: the fixed columns and gaps of this result
    const wide = findingsTable(result(FINDINGS), { width: 250 }).split('\n')[0];
    const fixed = wide.indexOf('WHY') + (wide.length - wide.indexOf('ACTION')) + 2;

    // Act
    const narrowestTable = findingsTable(result(FINDINGS), { width: fixed + MIN_WHY_WIDTH });
    const firstBlocks = findingsTable(result(FINDINGS), { width: fixed + MIN_WHY_WIDTH - 1 });

    // Assess
    expect(narrowestTable.split('\n')[0]).toMatch(/^RESOURCE/);
    expect(widest(narrowestTable)).toBe(fixed + MIN_WHY_WIDTH);
    expect(firstBlocks.split('\n')[0]).toBe('ebs-volume vol-0000000000000005d');
  });

  it('writes one block per finding at 100 columns, the whole reason wrapped within the width', () => {
    // Act
    const text = findingsTable(result(FINDINGS), { width: 100 });

    // Assess
    expect(widest(text)).toBeLessThanOrEqual(100);
    const blocks = text.split('\n\n');
    expect(blocks).toHaveLength(4);
    expect(blocks[0].split('\n')).toEqual([
      'ebs-volume vol-0000000000000005d',
      '  policy  ebs-unattached-volumes',
      '  why     Volume is unattached (available) for at least 30 days (no EBS metrics in the window); 500',
      '          GiB gp2 at $0.10/GB-month',
      '  action  would: snapshot-and-delete',
      '  saving  $275.00/month',
    ]);
    expect(blocks[3]).toBe('Total estimated saving: $526.74/month');
  });

  it('stays within 40 columns, cutting words longer than the line', () => {
    // Act
    const text = findingsTable(result(FINDINGS), { width: 40 });

    // Assess
    expect(widest(text)).toBeLessThanOrEqual(40);
    expect(text).toContain('s3-bucket\nacme-logs-archive-eu-west-1-0123456789');
    expect(text).toContain('  action  would:\n          transition-to-glacier-instant-\n          retrieval');
  });

  it('adds the ACCOUNT/REGION column for several accounts and still fits 200 columns', () => {
    // Act
    const text = findingsTable(result(FINDINGS), { width: 200, accounts: true });

    // Assess
    expect(text.split('\n')[0]).toMatch(/^ACCOUNT\/REGION +RESOURCE/);
    expect(text.split('\n')[2]).toMatch(/^123456789012\/eu-west-1 +ebs-volume vol-0000000000000005d/);
    expect(widest(text)).toBeLessThanOrEqual(200);
  });

  it('shows protected findings only with verbose, with their reason and no saving', () => {
    // Act
    const quiet = findingsTable(result(FINDINGS), { width: 250 });
    const verbose = findingsTable(result(FINDINGS), { width: 250, verbose: true });

    // Assess
    expect(quiet).not.toContain('snap-0000000000000001e');
    expect(verbose).toMatch(/ebs-snapshot snap-0000000000000001e +ebs-too-many-snapshots +Kept by AWS Backup +protected: tagged trimtab:skip +-/);
  });
});

describe('outputWidth', () => {
  it("uses a terminal's columns", () => {
    expect(outputWidth({ isTTY: true, columns: 132 }, { COLUMNS: '80' })).toBe(132);
  });

  it('uses COLUMNS when stdout is a file or a pipe, and 80 without it', () => {
    expect(outputWidth({ isTTY: false }, { COLUMNS: '90' })).toBe(90);
    expect(outputWidth({ isTTY: false }, {})).toBe(80);
    expect(outputWidth({}, { COLUMNS: 'wide' })).toBe(80);
  });
});

describe('wrap', () => {
  it('wraps at word boundaries, indents continuation lines and cuts words longer than a line', () => {
    expect(wrap('one two three four', 9, '  ')).toEqual(['one two', '  three', '  four']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrap('', 10)).toEqual(['']);
  });
});

describe('table fits a width', () => {
  const headers = ['ACTION ID', 'POLICY', 'RESOURCE', 'UNDO'];
  const rows = [
    ['act-1', 'ebs-unattached-volumes', 'vol-00000000000000065', 'node /home/someone/src/trimtab/lib/cli/trimtab.mjs undo act-1 --sandbox'],
    ['act-2', 'eip-unassociated', 'eipalloc-0000000000000006f', 'node /home/someone/src/trimtab/lib/cli/trimtab.mjs undo act-2 --sandbox'],
  ];

  it('keeps one row a line when the width allows it', () => {
    // Act
    const text = table(headers, rows, [], { width: 200 });

    // Assess
    expect(text.split('\n')).toHaveLength(4);
    expect(text.split('\n')[2]).toMatch(/^act-1 +ebs-unattached-volumes +vol-00000000000000065 +node \S+ undo act-1 --sandbox$/);
  });

  it('turns each row into a block of labelled lines when the table is wider than 80 columns', () => {
    // Act
    const text = table(headers, rows, [], { width: 80 });

    // Assess
    expect(widest(text)).toBeLessThanOrEqual(80);
    expect(text).toContain('act-1\n  policy    ebs-unattached-volumes\n  resource  vol-00000000000000065\n  undo      node /home/someone/src/trimtab/lib/cli/trimtab.mjs undo act-1');
  });

  it('wraps a prose column inside its cell before giving up the table', () => {
    // Prepare
    const risk = 'CPU p95 at or above 90% on 14 of 14 days; read + write IOPS p95 at or above 90% of what the storage sustains';

    // Act
    const text = table(['RESOURCE', 'RISK REMOVED', '$/MONTH'], [['rds-instance checkout-db', risk, '$0.00']], [2], { width: 70, wrap: [1] });

    // Assess
    expect(widest(text)).toBeLessThanOrEqual(70);
    expect(text.split('\n')[0]).toMatch(/^RESOURCE +RISK REMOVED +\$\/MONTH$/);
    expect(text.split('\n')[2]).toMatch(/^rds-instance checkout-db  CPU p95 at or above .* \$0\.00$/);
    expect(text.split('\n').length).toBeGreaterThan(4);
    expect(
      text
        .split('\n')
        .slice(2)
        .map((l) => l.slice(26).replace('$0.00', '').trim())
        .join(' '),
    ).toBe(risk);
  });
});

describe('fitParts', () => {
  it('breaks a summary between its parts, and joining the lines gives the line back', () => {
    // Prepare
    const line = '103 findings · est. $5,327.54/month · 57 protected · 12 applied, 0 failed · 18 need approval (no request made: this run has no approval workflow) · 1,204 API calls · 3.2 s';

    // Act
    const text = fitParts(line, 80);

    // Assess
    expect(widest(text)).toBeLessThanOrEqual(80);
    expect(text.split('\n').length).toBeGreaterThan(1);
    expect(text.split('\n')[0]).toBe('103 findings · est. $5,327.54/month · 57 protected · 12 applied, 0 failed ·');
    expect(text.replaceAll('\n  ', ' ')).toBe(line);
  });
});
