import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockText, runDemo, type DemoResult } from '../../lib/cli/demo.ts';

/**
 * `npm run demo` in a terminal, nobody clicks: it waits (here 4 s), says the time left while it
 * waits, stays idle meanwhile, and ends with the undecided requests labelled.
 */
const ENV_KEYS = ['TRIMTAB_SANDBOX_FILE', 'TRIMTAB_SANDBOX_HISTORY_FILE', 'TRIMTAB_SANDBOX_APPROVALS_FILE'] as const;
let dir: string;
let saved: Record<string, string | undefined>;
let lines: string[];
let result: DemoResult;
/** CPU time (user + system, µs) and wall time (ms) at each "Waiting:" line. */
const ticks: { cpu: number; at: number }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-demo-wait-'));
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  process.env.TRIMTAB_SANDBOX_FILE = join(dir, 'sandbox.json');
  process.env.TRIMTAB_SANDBOX_HISTORY_FILE = join(dir, 'sandbox-actions.jsonl');
  process.env.TRIMTAB_SANDBOX_APPROVALS_FILE = join(dir, 'sandbox-approvals.json');
  lines = [];
  // A terminal's stdin that nobody types into.
  const input = Object.assign(new PassThrough(), { isTTY: true });
  result = await runDemo({
    policies: 'trimtab.yml',
    waitSeconds: 4,
    tickSeconds: 1,
    width: 200,
    input,
    reportFile: join(dir, 'report.html'),
    print: (text) => {
      if (text.startsWith('Waiting: ')) {
        const u = process.cpuUsage();
        ticks.push({ cpu: u.user + u.system, at: performance.now() });
      }
      lines.push(...text.split('\n'));
    },
  });
}, 300_000);

afterAll(() => {
  for (const k of ENV_KEYS) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run demo in a terminal, nobody clicks', () => {
  it('says how long it waits and, while waiting, the time left and how many requests are decided', () => {
    // Assess
    const requests = result.approvals.length;
    expect(requests).toBeGreaterThan(10);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^Waiting up to 0:04 \\(until \\d\\d:\\d\\d:\\d\\d UTC\\) for ${requests} request\\(s\\); press Enter`)));
    const countdown = lines.filter((l) => l.startsWith('Waiting: '));
    expect(countdown.length).toBeGreaterThanOrEqual(2);
    expect(countdown[0]).toMatch(new RegExp(`^Waiting: 0:0[1-4] left · 0 of ${requests} decided · Enter to stop waiting$`));
  });

  it('stays idle while it waits: under a tenth of a core between the first and the last countdown line', () => {
    // Assess: the local workflow used to read the approvals file for every request four times a second
    const first = ticks[0];
    const last = ticks.at(-1)!;
    const cpuMs = (last.cpu - first.cpu) / 1000;
    const wallMs = last.at - first.at;
    expect(wallMs).toBeGreaterThan(900);
    expect(cpuMs / wallMs).toBeLessThan(0.1);
  });

  it('ends with a labelled table of the undecided requests, and no bare approval ids after the summary', () => {
    // Assess
    const summary = lines.slice(lines.findIndex((l) => l.includes('5. Summary')));
    expect(summary).toContainEqual(expect.stringMatching(/^APPROVAL +POLICY +ACTION +RESOURCES +STATE$/));
    for (const a of result.approvals) {
      expect(a.status).toBe('waiting');
      expect(summary).toContainEqual(expect.stringMatching(new RegExp(`^${a.approvalId} +${a.policy} +${a.action} +${a.resources} +undecided$`)));
    }
    expect(lines.filter((l) => /^apr-[0-9a-f]+: /.test(l))).toEqual([]);
    expect(result.actions.filter((a) => a.mode === 'approval')).toEqual([]);
  });
});

describe('npm run demo, nobody clicks: the terminal and the HTML report agree', () => {
  it('gives the same actions applied and resources awaiting approval in the summary and in the report tiles', () => {
    // Prepare
    const html = readFileSync(result.reportFile, 'utf8');
    const tile = (name: string) => Number(new RegExp(`<li>${name}<strong>([^<]+)</strong>`).exec(html)?.[1]);
    const text = lines.join('\n');

    // Act
    const applied = Number(/^Actions applied: +(\d+) /m.exec(text)![1]);
    const [, requests, resources] = /^Awaiting approval: +(\d+) request\(s\), (\d+) resource\(s\)/m.exec(text)!;

    // Assess
    expect(applied).toBe(result.actions.filter((a) => a.status === 'verified' || a.status === 'applied').length);
    expect(tile('Actions applied')).toBe(applied);
    expect(Number(requests)).toBe(result.approvals.length);
    expect(Number(resources)).toBe(result.approvals.reduce((n, a) => n + a.resources, 0));
    expect(tile('Awaiting approval')).toBe(Number(resources));
  });

  it('leaves the owned group of scene 6 as it was when nobody approves its change set: nothing executed, the stack untouched', () => {
    // Assess
    const scene = lines.slice(lines.indexOf('6. An owned resource, fixed through its stack'));
    expect(result.owned.preparedChangeSetId).toMatch(/changeSet\/trimtab-/);
    expect(result.owned).toMatchObject({ executedChangeSetIds: [], stackStatus: 'CREATE_COMPLETE' });
    expect(result.owned.action).toBeUndefined();
    expect(scene).toContainEqual(`Approval ${result.owned.approvalId} is undecided: no change set was executed; stack checkout-prod is CREATE_COMPLETE.`);
    expect(scene.some((l) => l.startsWith('GET the Approve link'))).toBe(false);
  });
});

describe('clockText', () => {
  it('writes minutes and seconds, rounding up', () => {
    expect([clockText(600_000), clockText(59_001), clockText(4_000), clockText(0), clockText(-5)]).toEqual(['10:00', '1:00', '0:04', '0:00', '0:00']);
  });
});
