import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicies } from '../../lib/policy/load.ts';

/**
 * The packed tarball, installed as a user would (`npm install -g`, here into a temporary
 * prefix, from the npm cache where it can: the bundle's only dependencies are the two local
 * servers the sandbox starts), then run from a folder that has
 * no trimtab.yml. The test setup has built dist/cli (test/global-setup.ts), so the pack skips
 * `prepare`.
 */
const exec = promisify(execFile);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
// npm run test passes npm_config_* settings down; the child npm must use only its own flags, and
// the installed command only its defaults.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|trimtab_)/i.test(k)));
let dir: string;
let prefix: string;
let cwd: string;
let packed: { filename: string; files: { path: string }[]; size: number };
let bin: string;

// Child processes run as fast as the machine lets them: the demo takes about 10 s idle and 90 s at a
// load average of 17. Each command gets its own kill timeout, and each test a budget above it, so a
// busy machine makes the tests slow, never red, and a hung command fails with its own message.
const COMMAND_MS = 300_000;
const TEST_MS = COMMAND_MS + 30_000;
const trimtab = (...args: string[]) => exec(bin, args, { cwd, env: { ...cleanEnv, AWS_EC2_METADATA_DISABLED: 'true' }, timeout: COMMAND_MS });

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
    const { stdout } = await trimtab('--version');

    // Assess
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('validates the packaged default policies from a folder without trimtab.yml, and says it uses them', async () => {
    // Prepare
    const policies = loadPolicies('trimtab.yml').policies;

    // Act
    const { stdout, stderr } = await trimtab('validate');

    // Assess
    const packagedFile = join(prefix, 'lib', 'node_modules', 'trimtab', 'trimtab.yml');
    expect(stderr).toContain(`no trimtab.yml in this folder: using the packaged default policies (${packagedFile})`);
    expect(stdout).toContain(`${packagedFile}: ${policies.length} valid policies on ${new Set(policies.map((p) => p.resource)).size} resource type(s)`);
  });

  it('scans the sandbox read-only, keeping the sandbox under the current folder', async () => {
    // Act
    const { stdout } = await trimtab('scan', '--sandbox', '--output', 'json');

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
    const { stdout } = await trimtab('demo', '--approve-all', '--wait', '0');

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
