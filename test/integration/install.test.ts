import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END, headlineLines, START } from '../../lib/cli/demo-sample.ts';
import { loadPolicies } from '../../lib/policy/load.ts';

/**
 * The packed tarball, installed as a user would (`npm install -g`, here into a temporary
 * prefix, from the npm cache where it can: the bundle's only dependencies are the two local
 * servers the sandbox starts), then run from a folder that has
 * no trimtab.yml. The test setup has built dist/cli (test/global-setup.ts), so the pack skips
 * `prepare`.
 *
 * The installed command's demo, piped (as in CI or `| less`), also serves the 80-column checks
 * (formerly demo-width.test.ts, which ran the same demo a second time through lib/cli/trimtab.mjs):
 * one demo run, its output read by every test below that needs it (`demo()`).
 */
const exec = promisify(execFile);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
// npm run test passes npm_config_* settings down; the child npm must use only its own flags, and
// the installed command only its defaults. COLUMNS too: each command says the width it is given.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|trimtab_)/i.test(k) && k !== 'COLUMNS'));
let dir: string;
let prefix: string;
let cwd: string;
let packed: { filename: string; files: { path: string }[]; size: number };
let bin: string;

// Child processes run as fast as the machine lets them: the demo takes about 10 s idle, 90 s at a
// load average of 17 and over 300 s at 27 (killed there at the old 300 s). Each command gets its own
// kill timeout, and each test a budget above it, so a busy machine makes the tests slow, never red,
// and a hung command fails with its own message.
const COMMAND_MS = 900_000;
const TEST_MS = COMMAND_MS + 30_000;
const trimtab = (args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) =>
  exec(bin, args, { cwd: options.cwd ?? cwd, env: { ...cleanEnv, AWS_EC2_METADATA_DISABLED: 'true', ...options.env }, timeout: COMMAND_MS, maxBuffer: 16 * 1024 * 1024 });

/** `trimtab demo --approve-all` in `cwd`, piped, with $COLUMNS=80: run once, the first time a test asks. */
let demoRun: Promise<string> | undefined;
const demo = () => (demoRun ??= trimtab(['demo', '--approve-all'], { env: { COLUMNS: '80' } }).then(({ stdout }) => stdout));

/** Lines longer than `width` characters (code points, as a terminal counts them). */
const over = (text: string, width: number) => text.split('\n').filter((l) => [...l].length > width);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-install-'));
  prefix = join(dir, 'prefix');
  cwd = join(dir, 'somewhere-else');
  mkdirSync(cwd);
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { env: cleanEnv, cwd: resolve('.'), timeout: COMMAND_MS });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0];
  await exec('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename)], { env: cleanEnv, cwd: dir, timeout: COMMAND_MS });
  bin = join(prefix, 'bin', 'trimtab');
}, 2 * COMMAND_MS + 30_000); // npm pack, then npm install


// Removing the installed prefix took over vitest's default 30 s hook budget at a load average of 25.
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
}, COMMAND_MS);

describe('npm pack and npm install -g', { timeout: TEST_MS }, () => {
  it('packs the launcher, the bundle, the default policies and the demo events, and nothing else', () => {
    // Act
    const paths = packed.files.map((f) => f.path).sort();

    // Assess
    const outside = paths.filter((p) => !p.startsWith('dist/cli/') && !p.startsWith('events/'));
    // LICENSE: the Apache-2.0 text package.json names (npm packs it whatever `files` says).
    expect(outside).toEqual(['LICENSE', 'README.md', 'lib/cli/private-dir.mjs', 'lib/cli/trimtab.mjs', 'package.json', 'trimtab.yml']);
    expect(paths.filter((p) => p.startsWith('events/'))).toEqual(['events/ATTRIBUTION.md', 'events/alarm-asg-low-cpu-acme-web.json', 'events/schedule-daily.json']);
    expect(paths).toContain('dist/cli/main.mjs');
    expect(paths).toContain('dist/cli/sdk.cjs');
    expect(paths.filter((p) => p.endsWith('.ts'))).toEqual([]);
    expect(packed.size).toBeLessThan(3_000_000);
  });

  it("matches the packed size docs/cli.md quotes, within a quarter", () => {
    // Prepare: "about 1.5 MB packed"
    const [, number, unit] = /about ([\d.]+) (MB|KB) packed/.exec(readFileSync('docs/cli.md', 'utf8'))!;
    const quoted = Number(number) * (unit === 'MB' ? 1_000_000 : 1_000);

    // Assess
    expect(Math.abs(packed.size - quoted) / packed.size).toBeLessThan(0.25);
  });

  it('installs a trimtab command that prints its version', async () => {
    // Act
    const { stdout } = await trimtab(['--version']);

    // Assess
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('validates the packaged default policies from a folder without trimtab.yml, and says it uses them', async () => {
    // Prepare
    const policies = loadPolicies('trimtab.yml').policies;

    // Act
    const { stdout, stderr } = await trimtab(['validate']);

    // Assess
    const packagedFile = join(prefix, 'lib', 'node_modules', 'trimtab', 'trimtab.yml');
    expect(stderr).toContain(`no trimtab.yml in this folder: using the packaged default policies (${packagedFile})`);
    expect(stdout).toContain(`${packagedFile}: ${policies.length} valid policies on ${new Set(policies.map((p) => p.resource)).size} resource type(s)`);
  });

  it('scans the sandbox read-only, keeping the sandbox under the current folder', async () => {
    // Act
    const { stdout } = await trimtab(['scan', '--sandbox', '--output', 'json']);

    // Assess
    const out = JSON.parse(stdout) as { findings: { status: string; resourceType: string }[]; summary: { findings: number; estimatedMonthlySavingsUsd: number; apiCalls: number } };
    expect(out.summary.findings).toBe(out.findings.length);
    expect(out.summary.findings).toBeGreaterThan(10);
    expect(out.summary.estimatedMonthlySavingsUsd).toBeGreaterThan(100);
    expect(new Set(out.findings.map((f) => f.resourceType))).toEqual(new Set(['s3-bucket', 'ebs-snapshot', 'asg', 'ec2-instance', 'nat-gateway', 'ebs-volume', 'elastic-ip', 'log-group', 'load-balancer', 'rds-instance', 'lambda-function', 'dynamodb-table', 'elasticache-cluster']));
    expect(existsSync(join(cwd, '.trimtab', 'sandbox.json'))).toBe(true);
    expect(existsSync(join(cwd, '.trimtab', 'sandbox-actions.jsonl'))).toBe(false);
  });

  it('runs the demo end to end with the packaged sample events, and writes its report under the current folder', async () => {
    // Act
    const stdout = await demo();

    // Assess
    expect(stdout).toContain('Try next:');
    // At 80 columns (piped) the undo command is said once, for any action id in the table.
    expect(stdout).toMatch(/trimtab undo (act-[a-z0-9]+-[0-9a-f]{8}|<ACTION ID>) --sandbox/);
    expect(stdout).toMatch(/act-[a-z0-9]+-[0-9a-f]{8}/);
    const report = readFileSync(join(cwd, '.trimtab', 'demo-report.html'), 'utf8');
    expect(report).toContain('<html');
    expect(report).toContain('123456789012');
  });
});

describe('the installed trimtab demo --approve-all in 80 columns', { timeout: TEST_MS }, () => {
  it('writes no line wider than 80 columns, and still shows every section', async () => {
    // Act
    const demo80 = await demo();

    // Assess
    expect(over(demo80, 80)).toEqual([]);
    for (const heading of ['1. The scheduled sweep', '2. An alarm fires', '3. Approval-mode findings', '4. Waiting for a decision', '5. Summary', '6. An owned resource, fixed through its stack']) expect(demo80).toContain(heading);
    expect(demo80).toMatch(/^Actions applied: +\d+ \(sweep \d+, alarm 1, approved \d+\)$/m);
  });

  it('keeps one row per approval request, with its SES message id, and says the undo command once', async () => {
    // Act
    const demo80 = await demo();

    // Assess
    expect(demo80).toMatch(/^apr-[0-9a-f]+ +ec2-rightsize-oversized-instances \(3\) +\$[\d,.]+ +ses-\d+$/m);
    expect(demo80).toMatch(/^Any action below:\n  trimtab undo <ACTION ID> --sandbox$/m);
    expect(demo80).toMatch(/^act-[a-z0-9-]+ +acme-web +alarm$/m);
    // The auto-mode fixes too: the command once, never cut across lines
    const fixed = demo80.slice(demo80.indexOf('Fixed now'), demo80.indexOf('2. An alarm fires'));
    expect(fixed).toMatch(/^Undo: trimtab undo <ACTION ID> --sandbox$/m);
    expect(fixed).not.toMatch(/undo act-/);
  });

  it('says what a performance fix costs in words, never as a negative saving', async () => {
    // Act
    const demo80 = await demo();

    // Assess
    const perf = demo80.slice(demo80.indexOf('Performance findings'), demo80.indexOf('Fixed now'));
    expect(perf).toMatch(/costs \$57\.06\/month more/);
    expect(perf).not.toMatch(/-\$/);
  });
});

describe('the installed history and scan, piped', { timeout: TEST_MS }, () => {
  it('fits history --sandbox to $COLUMNS, and to 80 columns without it', async () => {
    // Prepare: the demo's actions in the history of this folder's sandbox
    await demo();

    // Act (a non-zero exit rejects)
    const [narrow, piped] = await Promise.all([trimtab(['history', '--sandbox'], { env: { COLUMNS: '60' } }), trimtab(['history', '--sandbox'])]);

    // Assess
    expect(narrow.stdout).toMatch(/^  action id +act-[a-z0-9-]+$/m);
    expect(over(narrow.stdout, 60)).toEqual([]);
    expect(over(piped.stdout, 80)).toEqual([]);
    expect(piped.stdout.match(/\bact-[a-z0-9]+-[a-z0-9]+\b/g)?.length).toBeGreaterThan(50);
  });

  it('writes scan --sandbox in 80 columns when piped without $COLUMNS, its total at the left', async () => {
    // Act: in a folder of its own, a fresh sandbox (a non-zero exit rejects)
    const scan = await trimtab(['scan', '--sandbox'], { cwd: mkdtempSync(join(dir, 'scan-')) });

    // Assess
    expect(over(scan.stdout, 80)).toEqual([]);
    expect(scan.stdout).toMatch(/^Total estimated saving: \$[\d,]+\.\d\d\/month$/m);
    expect(scan.stdout).toMatch(/^\d+ findings · est\. \$[\d,]+\.\d\d\/month ·/m);
  });
});

describe('docs/demo.md', { timeout: TEST_MS }, () => {
  it("shows the demo's headings, module rows and summary counts and totals as the demo prints them now (regenerate with npm run docs:demo)", async () => {
    // Prepare
    const demo80 = await demo();
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
