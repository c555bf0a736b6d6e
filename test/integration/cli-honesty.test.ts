import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runTrimtab, type CliResult } from '../cli-helpers.ts';

/**
 * `trimtab run --sandbox --yes` on the shipped policies, from the built command: what it runs, what
 * it changes and what it says must agree with what happened (issue 26).
 */
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

interface JsonFinding {
  policy: string;
  resourceId: string;
  action: string | null;
  outcome: string;
  outcomeDetail?: string;
}

let jsonDir: string;
let tableDir: string;
let json: CliResult;
let tableRun: CliResult;
let findings: JsonFinding[];

beforeAll(async () => {
  jsonDir = mkdtempSync(join(tmpdir(), 'trimtab-honest-json-'));
  tableDir = mkdtempSync(join(tmpdir(), 'trimtab-honest-table-'));
  [json, tableRun] = await Promise.all([
    runTrimtab(jsonDir, ['run', '--sandbox', '--yes', '--output', 'json']),
    runTrimtab(tableDir, ['run', '--sandbox', '--yes'], { env: { COLUMNS: '100' } }),
  ]);
  findings = (JSON.parse(json.stdout) as { findings: JsonFinding[] }).findings;
});

afterAll(() => {
  rmSync(jsonDir, { recursive: true, force: true });
  rmSync(tableDir, { recursive: true, force: true });
});

describe('trimtab run without a trigger', () => {
  it('runs only the scheduled policies and names the alarm- and event-only ones it leaves out', () => {
    // Assess
    expect(json.code).toBe(0);
    const policies = new Set(findings.map((f) => f.policy));
    for (const triggerOnly of ['s3-new-bucket-abort-uploads', 's3-growth-without-lifecycle', 'asg-low-cpu-lower-min-size']) {
      expect(policies.has(triggerOnly)).toBe(false);
      expect(json.stderr).toContain(`${triggerOnly} (`);
    }
    expect(json.stderr).toMatch(/run covers the 43 scheduled policies/);
  });
});

describe('trimtab run: one change per resource', () => {
  it('stops the idle, oversized instance and leaves its resize out, saying why', () => {
    // Assess
    const onInstance = findings.filter((f) => f.resourceId === 'i-0a11e0000000000a1' && f.action);
    expect(onInstance.map((f) => [f.action, f.outcome])).toEqual(
      expect.arrayContaining([
        ['stop-instance', 'awaiting-approval'],
        ['change-instance-type', 'skipped'],
      ]),
    );
    const resize = onInstance.find((f) => f.action === 'change-instance-type')!;
    expect(resize.outcomeDetail).toMatch(/^one change per resource per run: ec2-stop-idle-instances \(stop-instance, est\. \$140\.16\/month\)/);
  });

  it('makes at most one change per resource, except lifecycle rules that merge on a bucket', () => {
    // Assess
    const acted = findings.filter((f) => f.outcome === 'applied' || f.outcome === 'awaiting-approval');
    const byResource = new Map<string, Set<string>>();
    for (const f of acted) byResource.set(f.resourceId, new Set([...(byResource.get(f.resourceId) ?? []), f.action!]));
    expect(acted.length).toBeGreaterThan(10);
    for (const [resource, actions] of byResource) expect([resource, actions.size]).toEqual([resource, 1]);
    // Lifecycle rules compose: both policies' rules go to acme-data-lake in the same run.
    expect(acted.filter((f) => f.resourceId === 'acme-data-lake').map((f) => f.policy).sort()).toEqual(['s3-expire-noncurrent-versions', 's3-transition-large-standard']);
  });

  it('lists what it left out on the terminal, and counts it in the summary', () => {
    // Assess
    expect(tableRun.code).toBe(0);
    expect(tableRun.stdout).toContain('Left out (one change per resource per run):');
    expect(tableRun.stdout).toMatch(/- ec2-rightsize-oversized-instances on i-0a11e0000000000a1: ec2-stop-idle-instances/);
    expect(tableRun.stdout.replaceAll('\n  ', ' ')).toMatch(/· 2 left out \(one change per resource per run\) ·/);
  });
});

describe('trimtab run: what the summary says', () => {
  it('says approval-mode findings need approval and that no request was made, never "awaiting approval"', () => {
    // Assess
    // The summary is the last paragraph; it breaks between its parts to fit 100 columns.
    const summary = tableRun.stdout.trim().split('\n\n').at(-1)!.replaceAll('\n  ', ' ');
    expect(summary).toMatch(/· \d+ need approval \(no request made: this run has no approval workflow\) ·/);
    expect(summary).not.toMatch(/awaiting approval/);
  });

  it('gives undo hints that name the built command and --sandbox, never npx', () => {
    // Assess
    // At 100 columns the actions table names the undo command once, for any action id
    expect(tableRun.stdout).toMatch(/^Undo: node \S*lib\/cli\/trimtab\.mjs undo <ACTION ID> --sandbox$/m);
    expect(tableRun.stdout).not.toMatch(/npx trimtab/);
  });

  it('writes money with the sign before the dollar and says a performance fix costs more', () => {
    // Assess
    expect(tableRun.stdout).not.toMatch(/\$-/);
    expect(tableRun.stdout).toMatch(/performance 10 \(costs \$67\.08\/month more\)/);
  });
});
