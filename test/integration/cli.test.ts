import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';


let dir: string;
/** Runs the real CLI in a child process, with its sandbox and history in a temp dir and no AWS at all. */
const trimtab = (args: string[], env: Record<string, string> = {}) => runTrimtab(dir, args, { env });

// Each test starts the CLI several times as child processes: allow for a loaded CI machine.
vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-cli-'));
});

describe('trimtab CLI', () => {
  it('scan --sandbox --output json prints findings, savings and a summary, and writes nothing', async () => {
    const { code, stdout } = await trimtab(['scan', '--sandbox', '--output', 'json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.findings.length).toBeGreaterThan(0);
    for (const f of out.findings) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['policy', 'resourceType', 'resourceId', 'arn', 'region', 'action', 'mode', 'estimatedMonthlySavingsUsd', 'evidence']));
      expect(f.mode).toBe('dry-run');
    }
    expect(out.summary).toEqual(expect.objectContaining({ findings: out.findings.length, apiCalls: expect.any(Number), durationMs: expect.any(Number) }));
    expect(out.summary.apiCalls).toBeGreaterThan(0);
    expect(out.actions).toBeUndefined();
  });

  it('validate exits 0 with a summary for the shipped policies, and 1 naming a misspelt key', async () => {
    const ok = await trimtab(['validate']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/trimtab\.yml: \d+ valid polic(y|ies)/);
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'policies:\n  - id: p\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }\n    mdoe: auto\n');
    const failed = await trimtab(['validate', '--policies', bad]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${bad} is not a valid trimtab policy file`);
    expect(failed.stderr).toMatch(/line 5: policy 'p' → mdoe: unknown key 'mdoe' \(did you mean 'mode'\?\)/);
  });

  it('run refuses to write without --yes when stdin is not a terminal, then applies with --yes; undo restores', async () => {
    const refused = await trimtab(['run', '--sandbox']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stdin is not a terminal to confirm\. Re-run with --yes/);

    const applied = await trimtab(['run', '--sandbox', '--yes', '--output', 'json']);
    expect(applied.code).toBe(0);
    const out = JSON.parse(applied.stdout);
    expect(out.actions.length).toBeGreaterThan(0);
    expect(out.actions.every((a: any) => a.status === 'verified')).toBe(true);

    const again = JSON.parse((await trimtab(['run', '--sandbox', '--yes', '--output', 'json'])).stdout);
    expect(again.actions).toEqual([]);

    const history = JSON.parse((await trimtab(['history', '--sandbox', '--output', 'json'])).stdout);
    expect(history.map((r: any) => r.id).sort()).toEqual(out.actions.map((a: any) => a.id).sort());

    const undone = await trimtab(['undo', out.actions[0].id, '--sandbox']);
    expect(undone.code).toBe(0);
    expect(undone.stdout).toMatch(new RegExp(`^Undone: ${out.actions[0].id}`));
    const twice = await trimtab(['undo', out.actions[0].id, '--sandbox']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already undone/);
  });

  it('fails clearly without AWS credentials and without --sandbox', async () => {
    const { code, stderr } = await trimtab(['scan'], { AWS_REGION: 'us-east-1' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/No AWS credentials found\. Use --sandbox .* or set AWS_PROFILE/);
  });

  it('writes a JSON Schema for editors', async () => {
    const { code, stdout } = await trimtab(['schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).title).toBe('trimtab policies');
  });
});
