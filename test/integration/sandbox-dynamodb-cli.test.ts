/**
 * A stage in the sandbox keeps its audit trail in DynamoDB (dynalite, started in each CLI
 * process): what one invocation records, a later invocation in a new process reads and undoes,
 * through the tables saved in the sandbox file.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';


let dir: string;
// A process that a local server kept alive would be killed (test/cli-helpers.ts), and the test would fail.
const trimtab = (args: string[]) => runTrimtab(dir, args);

// Five commands, each with the helper's 300 s kill timeout: a busy machine makes this slow, never red.
vi.setConfig({ testTimeout: 600_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-stage-'));
});

describe('trimtab CLI with --sandbox --stage (audit tables in dynalite)', () => {
  it('records a run in the stage tables, and a later process lists and undoes it from them', async () => {
    // Prepare: one run fixes and records
    const run = await trimtab(['run', '--sandbox', '--stage', 'demo', '--yes', '--output', 'json']);
    expect(run.code).toBe(0);
    const actions = JSON.parse(run.stdout).actions as Array<{ id: string; status: string }>;
    expect(actions.length).toBeGreaterThan(0);

    // Act: later invocations, each a new process with its own dynalite loaded from the file
    const history = await trimtab(['history', '--sandbox', '--stage', 'demo', '--output', 'json']);
    const undone = await trimtab(['undo', actions[0].id, '--sandbox', '--stage', 'demo']);
    const after = await trimtab(['history', '--sandbox', '--stage', 'demo', '--resource', JSON.parse(history.stdout).find((r: any) => r.id === actions[0].id).resource.id, '--output', 'json']);

    // Assess
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout).map((r: any) => r.id).sort()).toEqual(actions.map((a) => a.id).sort());
    expect(undone.code).toBe(0);
    expect(undone.stdout).toMatch(new RegExp(`^Undone: ${actions[0].id}`));
    expect(JSON.parse(after.stdout).find((r: any) => r.id === actions[0].id).status).toBe('undone');
    // The local JSON Lines history is not where these went: the stage's tables are.
    expect(JSON.parse((await trimtab(['history', '--sandbox', '--output', 'json'])).stdout)).toEqual([]);
    const tables = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8')).accounts['123456789012'].regions['us-east-1'].dynamodb.tables;
    expect(Object.keys(tables).sort()).toEqual(['trimtab-demo-audit', 'trimtab-demo-idempotency']);
    expect(Object.keys(tables['trimtab-demo-audit'].items)).toContain(JSON.stringify([{ S: `ACTION#${actions[0].id}` }, { S: 'ACTION' }]));
  });
});
