/**
 * The rds-instance module from the real `trimtab` command on the sandbox (child processes, state
 * saved to JSON between runs): scan reports the RDS findings and their traps, run applies a
 * downsize at the maintenance window, and undo sets the recorded class back.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';

let dir: string;
const trimtab = (args: string[]) => runTrimtab(dir, args);
vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-rds-cli-'));
});

const POLICIES = `
version: 1
policies:
  - id: rds-idle
    resource: rds-instance
    detector: { type: idle-db-instance, days: 14 }
    action: { type: stop-db-instance }
    mode: approval
    approval: { approvers: [dba@example.com] }
  - id: rds-oversized
    resource: rds-instance
    detector: { type: oversized-db-instance }
    action: { type: downsize-db-instance }
    mode: auto
  - id: rds-prevgen
    resource: rds-instance
    detector: { type: previous-generation-class }
`;

describe('trimtab CLI on the RDS sandbox', () => {
  it('scans RDS with its traps, downsizes at the maintenance window with run --yes, and undo sets the class back', async () => {
    // Prepare
    const file = join(dir, 'rds.yml');
    writeFileSync(file, POLICIES);
    // Act: scan
    const scan = await trimtab(['scan', '--sandbox', '--policies', file, '--output', 'json']);
    // Assess
    expect(scan.code).toBe(0);
    const findings = JSON.parse(scan.stdout).findings as { policy: string; resourceId: string; status: string; estimatedMonthlySavingsUsd: number; evidence: Record<string, unknown> }[];
    const of = (policy: string) => findings.filter((f) => f.policy === policy).map((f) => f.resourceId).sort();
    expect(of('rds-idle')).toEqual(expect.arrayContaining(['staging-reports-db', 'billing-sandbox-db']));
    expect(of('rds-idle')).not.toContain('finance-archive-db'); // trimtab:skip: counted as protected, not a finding
    expect(of('rds-oversized')).toEqual(['analytics-pg']);
    expect(findings.find((f) => f.policy === 'rds-prevgen')).toMatchObject({ resourceId: 'legacy-crm-db', evidence: expect.objectContaining({ successor: 'db.m6i.xlarge' }) });

    // Act: run (the approval-mode stop waits for a person; the auto-mode downsize applies)
    const run = await trimtab(['run', '--sandbox', '--yes', '--policies', file, '--output', 'json']);
    // Assess
    expect(run.code).toBe(0);
    const actions = JSON.parse(run.stdout).actions as { id: string; resourceId?: string; action: string; status: string }[];
    expect(actions.map((a) => [a.action, a.status])).toEqual([['downsize-db-instance', 'verified']]);
    const saved = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8'));
    expect(saved.accounts['123456789012'].regions['us-east-1'].rds.instances['analytics-pg'].pending.dbClass).toBe('db.r5.xlarge');

    // Act: undo
    const undone = await trimtab(['undo', actions[0].id, '--sandbox']);
    // Assess
    expect(undone.code).toBe(0);
    expect(undone.stdout).toMatch(/the pending change is now back to db\.r5\.2xlarge/);
    const after = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8'));
    expect(after.accounts['123456789012'].regions['us-east-1'].rds.instances['analytics-pg'].pending).toBeUndefined();
  });
});
