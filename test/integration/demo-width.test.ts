import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END, headlineLines, START } from '../../lib/cli/demo-sample.ts';
import { runTrimtab } from '../cli-helpers.ts';

/**
 * The built command's output fits the width it is given: `demo`, `history` and `scan`, piped
 * (as in CI or `| less`), with $COLUMNS and without (80 then).
 */
const exec = promisify(execFile);
let dir: string;
let demo80: string;

/** Lines longer than `width` characters (code points, as a terminal counts them). */
const over = (text: string, width: number) => text.split('\n').filter((l) => [...l].length > width);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-width-'));
  // The demo takes longer than runTrimtab's 60 s on a busy machine: its own child, same isolation.
  const { stdout } = await exec(process.execPath, [resolve('lib/cli/trimtab.mjs'), 'demo', '--approve-all', '-p', resolve('trimtab.yml')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH!,
      HOME: dir,
      COLUMNS: '80',
      TRIMTAB_SANDBOX_FILE: join(dir, 'sandbox.json'),
      TRIMTAB_SANDBOX_HISTORY_FILE: join(dir, 'sandbox-actions.jsonl'),
      TRIMTAB_SANDBOX_APPROVALS_FILE: join(dir, 'sandbox-approvals.json'),
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    timeout: 280_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  demo80 = stdout;
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trimtab demo --approve-all in 80 columns', () => {
  it('writes no line wider than 80 columns, and still shows every section', () => {
    // Assess
    expect(over(demo80, 80)).toEqual([]);
    for (const heading of ['1. The scheduled sweep', '2. An alarm fires', '3. Approval-mode findings', '4. Waiting for a decision', '5. Summary', '6. An owned resource, fixed through its stack']) expect(demo80).toContain(heading);
    expect(demo80).toMatch(/^Actions applied: +\d+ \(sweep \d+, alarm 1, approved \d+\)$/m);
  });

  it('keeps one row per approval request, with its SES message id, and says the undo command once', () => {
    // Assess
    expect(demo80).toMatch(/^apr-[0-9a-f]+ +ec2-rightsize-oversized-instances \(3\) +\$[\d,.]+ +ses-\d+$/m);
    expect(demo80).toMatch(/^Any action below:\n  .*trimtab\.mjs undo <ACTION ID> --sandbox$/m);
    expect(demo80).toMatch(/^act-[a-z0-9-]+ +acme-web +alarm$/m);
    // The auto-mode fixes too: the command once, never cut across lines
    const fixed = demo80.slice(demo80.indexOf('Fixed now'), demo80.indexOf('2. An alarm fires'));
    expect(fixed).toMatch(/^Undo: .*trimtab\.mjs undo <ACTION ID> --sandbox$/m);
    expect(fixed).not.toMatch(/undo act-/);
  });

  it('says what a performance fix costs in words, never as a negative saving', () => {
    // Assess
    const perf = demo80.slice(demo80.indexOf('Performance findings'), demo80.indexOf('Fixed now'));
    expect(perf).toMatch(/costs \$57\.06\/month more/);
    expect(perf).not.toMatch(/-\$/);
  });
});

describe('history and scan, piped', () => {
  it('fits history --sandbox to $COLUMNS, and to 80 columns without it', async () => {
    // Act
    const [narrow, piped] = await Promise.all([runTrimtab(dir, ['history', '--sandbox'], { env: { COLUMNS: '60' } }), runTrimtab(dir, ['history', '--sandbox'])]);

    // Assess
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toMatch(/^  action id +act-[a-z0-9-]+$/m);
    expect(over(narrow.stdout, 60)).toEqual([]);
    expect(over(piped.stdout, 80)).toEqual([]);
    expect(piped.stdout.match(/\bact-[a-z0-9]+-[a-z0-9]+\b/g)?.length).toBeGreaterThan(50);
  });

  it('writes scan --sandbox in 80 columns when piped without $COLUMNS, its total at the left', async () => {
    // Act
    const scan = await runTrimtab(mkdtempSync(join(dir, 'scan-')), ['scan', '--sandbox']);

    // Assess
    expect(scan.code).toBe(0);
    expect(over(scan.stdout, 80)).toEqual([]);
    expect(scan.stdout).toMatch(/^Total estimated saving: \$[\d,]+\.\d\d\/month$/m);
    expect(scan.stdout).toMatch(/^\d+ findings · est\. \$[\d,]+\.\d\d\/month ·/m);
  });
});

describe('docs/demo.md', () => {
  it("shows the demo's headings, module rows and summary counts and totals as the demo prints them now (regenerate with npm run docs:demo)", () => {
    // Prepare
    const doc = readFileSync('docs/demo.md', 'utf8');
    const sample = doc.slice(doc.indexOf(START), doc.indexOf(END));

    // Act
    const now = headlineLines(demo80);
    const documented = headlineLines(sample.replace(/^```$/gm, ''));

    // Assess: the lines word for word and every count exactly; the dollar amounts within 1 % (at least $1):
    // the demo's metrics are seeded relative to the time it runs, and one module's total was seen to move
    // by cents between two runs half an hour apart ($1,035.86 / $1,036.23). A stale page (an older demo)
    // is off by far more.
    expect(now.length).toBeGreaterThan(15);
    const AMOUNT = /\$[\d,]+\.\d\d/g;
    const words = (lines: string[]) => lines.map((l) => l.replace(AMOUNT, '$…'));
    const amounts = (lines: string[]) => lines.flatMap((l) => (l.match(AMOUNT) ?? []).map((a) => Number(a.slice(1).replace(/,/g, ''))));
    expect(words(documented)).toEqual(words(now));
    const [was, is] = [amounts(documented), amounts(now)];
    expect(was).toHaveLength(is.length);
    is.forEach((amount, i) => expect(Math.abs(was[i] - amount), `amount ${i + 1}: ${was[i]} documented, ${amount} now`).toBeLessThanOrEqual(Math.max(1, amount * 0.01)));
    // The prose quotes the protected count too
    const protectedNow = /; (\d+) protected\s+\(never touched\)/.exec(demo80)![1];
    expect(doc).toContain(`the sweep leaves ${protectedNow} protected findings alone`);
  });
});
