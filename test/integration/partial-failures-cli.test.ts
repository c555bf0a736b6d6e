/**
 * What the `trimtab` command says when a read failed (issue 25): the table, JSON, CSV and HTML
 * name the detectors that could not be evaluated, on which resources and why (the missing IAM
 * action for a denial); the audit history records them; exit 0 unless --strict, then exit 1.
 * The sandbox fails the read through TRIMTAB_SANDBOX_FAULTS (lib/sandbox/faults.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';

let dir: string;
vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-partial-cli-'));
});

const POLICIES = `
version: 1
policies:
  - id: lambda-arm
    resource: lambda-function
    detector: { type: x86-to-arm64 }
  - id: lambda-memory
    resource: lambda-function
    detector: { type: memory-undersized }
`;

/** logs:StartQuery denied: memory use (Logs Insights) cannot be read; metrics can. */
const DENY_START_QUERY = JSON.stringify([{ operation: 'logs:StartQuery', error: 'denied' }]);

describe('trimtab scan when a read is denied', () => {
  it('reports the other findings, says which detector was not evaluated where and which IAM action is missing, and exits 1 only with --strict', async () => {
    // Prepare
    const file = join(dir, 'policies.yml');
    writeFileSync(file, POLICIES);
    const scan = (args: string[], env: Record<string, string> = {}) => runTrimtab(dir, ['scan', '--sandbox', '--policies', file, '--region', 'us-east-1', ...args], { env: { TRIMTAB_SANDBOX_FAULTS: DENY_START_QUERY, ...env } });

    // Act
    const json = await scan(['--output', 'json']);
    const strictJson = await scan(['--output', 'json', '--strict']);
    const table = await scan([], { COLUMNS: '400' }); // one line per note (piped output is 80 columns otherwise)
    const csv = await scan(['--output', 'csv']);
    const html = await scan(['--output', 'html', '--strict']);
    const history = await runTrimtab(dir, ['history', '--sandbox', '--findings', '--output', 'json']);

    // Assess: JSON
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { findings: { policy: string; resourceId: string }[]; summary: { notEvaluated: number }; notEvaluated: { policy: string; detector: string; count: number; sample: string[]; reason: { operation: string; code: string; missingPermission: string } }[]; errors?: unknown };
    expect(out.findings.filter((f) => f.policy === 'lambda-arm').map((f) => f.resourceId)).toEqual(['email-sender']);
    expect(out.findings.filter((f) => f.policy === 'lambda-memory')).toEqual([]);
    expect(out.errors).toBeUndefined();
    expect(out.notEvaluated).toHaveLength(1);
    expect(out.notEvaluated[0]).toMatchObject({ policy: 'lambda-memory', detector: 'memory-undersized', reason: { operation: 'logs:StartQuery', code: 'AccessDeniedException', missingPermission: 'logs:StartQuery' } });
    expect(out.notEvaluated[0].sample).toContain('report-builder');
    expect(out.summary.notEvaluated).toBe(out.notEvaluated[0].count);
    // --strict: the same report, exit 1, and a line on stderr saying why.
    expect(strictJson.code).toBe(1);
    expect(JSON.parse(strictJson.stdout).notEvaluated).toEqual(out.notEvaluated);
    expect(strictJson.stderr).toContain(`--strict: ${out.summary.notEvaluated} detector × resource pair(s) not evaluated`);
    // Table
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/! lambda-memory \(memory-undersized\): not evaluated on \d+ lambda-function in us-east-1 \([^)]*report-builder/);
    expect(table.stdout).toContain('missing IAM permission logs:StartQuery');
    expect(table.stdout).toContain(`${out.summary.notEvaluated} not evaluated`);
    // CSV: a not-evaluated record after the findings.
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows.some((r) => r.startsWith('lambda-arm,lambda-function,email-sender,'))).toBe(true);
    const gap = rows.find((r) => r.startsWith('lambda-memory,lambda-function,'))!;
    expect(gap).toContain(',memory-undersized,not-evaluated,,not-evaluated,');
    expect(gap).toContain('missing IAM permission logs:StartQuery');
    // HTML (with --strict: exit 1 after the whole report)
    expect(html.code).toBe(1);
    expect(html.stdout).toContain('<h2>Not evaluated</h2>');
    expect(html.stdout).toContain('missing IAM permission logs:StartQuery');
    expect(html.stdout).toContain('</html>');
    // Audit: one not-evaluated record per resource, with the failure.
    expect(history.code, history.stderr).toBe(0);
    const records = (JSON.parse(history.stdout) as { policy: string; status: string; resource: { id: string }; evidence: { failure: { missingPermission: string } } }[]).filter((r) => r.status === 'not-evaluated');
    expect(records.some((r) => r.policy === 'lambda-memory' && r.resource.id === 'report-builder' && r.evidence.failure.missingPermission === 'logs:StartQuery')).toBe(true);
    expect(records.every((r) => r.policy === 'lambda-memory')).toBe(true);
  });

  it('exits 0 with --strict when every read succeeded', async () => {
    // Prepare
    const file = join(dir, 'policies.yml');
    writeFileSync(file, POLICIES);

    // Act
    const scan = await runTrimtab(dir, ['scan', '--sandbox', '--policies', file, '--region', 'us-east-1', '--output', 'json', '--strict']);

    // Assess
    expect(scan.code, scan.stderr).toBe(0);
    const out = JSON.parse(scan.stdout) as { findings: { policy: string; resourceId: string }[]; notEvaluated?: unknown };
    expect(out.notEvaluated).toBeUndefined();
    expect(out.findings.filter((f) => f.policy === 'lambda-memory').map((f) => f.resourceId)).toEqual(['report-builder']);
  });
});
