import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';

/** `trimtab invoke` from the built command (dist/cli), not tsx: the handlers must be in the bundle. */
let dir: string;

vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-invoke-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('trimtab invoke from the built command', () => {
  it('runs the event handler on the sandbox and adds the abort rule to the new bucket', async () => {
    // Prepare: a folder without trimtab.yml, so the packaged policies are used
    const event = resolve('events/cloudtrail-create-bucket.json');

    // Act
    const { code, stdout, stderr } = await runTrimtab(dir, ['invoke', 'event', event, '--sandbox'], { cwd: dir });

    // Assess
    expect(stderr).not.toMatch(/Unknown file extension/);
    expect(code).toBe(0);
    const out = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n'))) as { status: string; outcomes: Array<{ actions: Array<{ resourceId: string; action: string; status: string }> }> };
    expect(out.status).toBe('acted');
    expect(out.outcomes.flatMap((r) => r.actions)).toEqual([expect.objectContaining({ resourceId: 'acme-eu-exports', action: 'add-lifecycle-rules', status: 'verified' })]);
    expect(stderr).toMatch(/using the packaged default policies/);
  });

  it('runs the scan handler on the sandbox from the built command', async () => {
    // Prepare
    const event = resolve('events/schedule-daily.json');

    // Act
    const { code, stdout, stderr } = await runTrimtab(dir, ['invoke', 'scan', event, '--sandbox'], { cwd: dir });

    // Assess
    expect(stderr).not.toMatch(/Unknown file extension/);
    expect(code).toBe(0);
    // The handler's result is the last JSON document on stdout (after the handler's own log lines)
    const out = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n'))) as { summary: { findings: number; actionsApplied: number } };
    expect(out.summary.findings).toBeGreaterThan(0);
    expect(out.summary.actionsApplied).toBeGreaterThan(0);
  });
});
