import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * The built command (lib/cli/trimtab.mjs → dist/cli): which AWS SDK packages each command
 * loads (TRIMTAB_SDK_LOAD_LOG, written by lib/cli/lazy-sdk.ts), --version, and the packaged
 * default policies. Runs in an empty folder.
 */
const exec = promisify(execFile);
// Each test starts the built command once or twice: a loaded machine must not fail them. A full
// scan took over 60 s at a load average of 25 (the old 60 s kill failed three tests there): each
// command gets a 300 s kill timeout, and each test a budget above what its commands may take.
const COMMAND_MS = 300_000;
vi.setConfig({ testTimeout: 2 * COMMAND_MS + 30_000 });
const BIN = resolve('lib/cli/trimtab.mjs');
let dir: string;

const env = (extra: Record<string, string> = {}) => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TRIMTAB_|AWS_)/.test(k)));
  return { ...clean, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), ...extra };
};

async function sdkLoads(...args: string[]): Promise<string[]> {
  const log = join(dir, `loads-${args[0]}.json`);
  await exec(process.execPath, [BIN, ...args], { cwd: dir, env: env({ TRIMTAB_SDK_LOAD_LOG: log }), timeout: COMMAND_MS });
  return JSON.parse(readFileSync(log, 'utf8')) as string[];
}

/**
 * The first full `scan --sandbox` with a temp folder of its own (no code cache yet) and the SDK load
 * log: run once, the first time a test asks. Its loads serve the scan's load test, its cache the
 * code cache test (which runs the second scan), so the file starts two full scans, not three.
 */
let firstScanRun: Promise<{ tmp: string; findings: number; loads: string[] }> | undefined;
const firstScan = () =>
  (firstScanRun ??= (async () => {
    const tmp = join(dir, 'tmp');
    const log = join(dir, 'loads-first-scan.json');
    mkdirSync(tmp);
    const { stdout } = await exec(process.execPath, [BIN, 'scan', '--sandbox', '--output', 'json'], { cwd: dir, env: env({ TMPDIR: tmp, TRIMTAB_SDK_LOAD_LOG: log }), timeout: COMMAND_MS, maxBuffer: 16 * 1024 * 1024 });
    return { tmp, findings: (JSON.parse(stdout) as { summary: { findings: number } }).summary.findings, loads: JSON.parse(readFileSync(log, 'utf8')) as string[] };
  })());

/**
 * A scan that loads the SDK bundle (S3 and the tagging API) for one policy only: what the two cache
 * folder attacks need (the bundle and its cache are read by any command that touches a client), at
 * a third of a full scan's CPU.
 */
function oneModuleScan(tmp: string) {
  const policies = join(dir, 'one-module.yml');
  writeFileSync(policies, 'policies:\n  - id: buckets-without-lifecycle\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }\n');
  return exec(process.execPath, [BIN, 'scan', '--sandbox', '-p', policies, '--output', 'json'], { cwd: dir, env: env({ TMPDIR: tmp }), timeout: COMMAND_MS });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-bundle-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the built trimtab command', () => {
  it('loads no AWS SDK package for validate', async () => {
    // Act
    const loads = await sdkLoads('validate');

    // Assess
    expect(loads).toEqual([]);
  });

  it('loads only the clients of the scanned resource types for scan --sandbox, each once', async () => {
    // Act
    const { loads } = await firstScan();

    // Assess: the resource modules' clients (DynamoDB for the dynamodb-table module); not the approval (SFN, SES) or STS ones
    expect([...loads].sort()).toEqual([
      '@aws-sdk/client-application-auto-scaling',
      '@aws-sdk/client-auto-scaling',
      // Owners of DynamoDB tables (which carry no CloudFormation tags) come from the stack listings (issue 28).
      '@aws-sdk/client-cloudformation',
      '@aws-sdk/client-cloudwatch',
      '@aws-sdk/client-cloudwatch-logs',
      // Compute Optimizer's second opinion on the findings that propose a size (docs/compute-optimizer.md).
      '@aws-sdk/client-compute-optimizer',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-ec2',
      '@aws-sdk/client-elastic-load-balancing-v2',
      '@aws-sdk/client-elasticache',
      '@aws-sdk/client-lambda',
      // The first scan with this temp folder finds no price file there and asks the Price List (docs/prices.md).
      // (The old test ran with the machine's temp folder, so it passed only where an earlier scan had left a price file.)
      '@aws-sdk/client-pricing',
      '@aws-sdk/client-rbin',
      '@aws-sdk/client-rds',
      '@aws-sdk/client-resource-groups-tagging-api', // S3 bucket tags
      '@aws-sdk/client-s3',
    ]);
  });

  it("keeps V8's code cache of the SDK bundle in the user's private folder of the temp folder at the first scan and reuses it after", async () => {
    // Prepare
    const { readdirSync, statSync } = await import('node:fs');

    // Act
    const first = await firstScan();
    const cacheDir = join(first.tmp, `trimtab-code-cache-${process.getuid!()}`);
    const [cache] = readdirSync(cacheDir);
    const written = statSync(join(cacheDir, cache)).mtimeMs;
    const second = JSON.parse((await exec(process.execPath, [BIN, 'scan', '--sandbox', '--output', 'json'], { cwd: dir, env: env({ TMPDIR: first.tmp }), timeout: COMMAND_MS, maxBuffer: 16 * 1024 * 1024 })).stdout) as { summary: { findings: number } };

    // Assess: one cache for this sdk.cjs, Node and CPU; accepted by V8 on the second run, so not rewritten
    expect(cache).toMatch(new RegExp(`^sdk-\\d+-\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.bin$`));
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir, cache)).size).toBeGreaterThan(1_000_000);
    expect(readdirSync(cacheDir)).toEqual([cache]);
    expect(statSync(join(cacheDir, cache)).mtimeMs).toBe(written);
    expect(second.summary.findings).toBe(first.findings);
    expect(first.findings).toBeGreaterThan(10);
  });

  it('neither reads nor writes a code cache folder that others can write to', async () => {
    // Prepare: a shared temp folder whose cache folder is world-writable
    const { chmodSync, mkdirSync, readdirSync } = await import('node:fs');
    const tmp = join(dir, 'shared-tmp');
    const cacheDir = join(tmp, `trimtab-code-cache-${process.getuid!()}`);
    mkdirSync(cacheDir, { recursive: true });
    chmodSync(cacheDir, 0o777);

    // Act
    const { stdout } = await oneModuleScan(tmp);

    // Assess: the scan ran, and left nothing there for the next run to execute
    expect((JSON.parse(stdout) as { summary: { findings: number } }).summary.findings).toBeGreaterThan(0);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('neither reads nor writes through a code cache folder that is a symbolic link (into the victim’s home)', async () => {
    // Prepare: another user links the cache name to a private folder of the victim (statSync would follow it and accept it)
    const { mkdirSync, readdirSync, symlinkSync } = await import('node:fs');
    const tmp = join(dir, 'linked-tmp');
    const victim = join(dir, 'victim-home');
    mkdirSync(tmp);
    mkdirSync(victim, { mode: 0o700 });
    symlinkSync(victim, join(tmp, `trimtab-code-cache-${process.getuid!()}`));
    // …and under the shared name earlier versions used, which followed it (statSync) and wrote there.
    symlinkSync(victim, join(tmp, 'trimtab-code-cache'));

    // Act
    const { stdout } = await oneModuleScan(tmp);

    // Assess: the scan ran without the cache; nothing was written where the link points
    expect((JSON.parse(stdout) as { summary: { findings: number } }).summary.findings).toBeGreaterThan(0);
    expect(readdirSync(victim)).toEqual([]);
  });

  it('prints the package version for --version and -V', async () => {
    // Prepare
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

    // Act
    const long = await exec(process.execPath, [BIN, '--version'], { cwd: dir, env: env() });
    const short = await exec(process.execPath, [BIN, '-V'], { cwd: dir, env: env() });

    // Assess
    expect(long.stdout).toBe(`${version}\n`);
    expect(short.stdout).toBe(`${version}\n`);
  });

  it('refuses run on an AWS account with the packaged policies, naming the fix, before any AWS call', async () => {
    // Act
    const failure = await exec(process.execPath, [BIN, 'run', '--yes'], { cwd: dir, env: env() }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    // Assess
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("No trimtab.yml in this folder: 'trimtab run' on an AWS account acts only on policies you wrote. Pass -p <file>");
  });

  it('tells how to build when the bundle is missing', async () => {
    // Prepare: a copy of the launcher with no dist/ next to it
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'pkg', 'lib', 'cli'), { recursive: true });
    copyFileSync(BIN, join(dir, 'pkg', 'lib', 'cli', 'trimtab.mjs'));

    // Act
    const failure = await exec(process.execPath, [join(dir, 'pkg', 'lib', 'cli', 'trimtab.mjs'), 'validate'], { cwd: dir, env: env() }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    // Assess
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('trimtab: the command is not built yet: run `npm run build`');
  });
});
