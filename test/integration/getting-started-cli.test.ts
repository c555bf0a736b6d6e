import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';


let dir: string;
/** The real CLI in a child process, in an empty folder, with no AWS credentials and no network use. */
const trimtab = (args: string[], env: Record<string, string> = {}) => runTrimtab(dir, args, { env, cwd: dir });

vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-start-'));
});

describe('trimtab init, permissions, doctor and resources (CLI)', () => {
  it('init writes a starter that validates, and refuses to overwrite it without --force', async () => {
    // Act
    const first = await trimtab(['init', '--region', 'eu-west-1']);
    const validate = await trimtab(['validate']);
    writeFileSync(join(dir, 'trimtab.yml'), '# mine\n');
    const again = await trimtab(['init']);
    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Wrote trimtab.yml: 27 policies, all in dry-run');
    expect(validate).toMatchObject({ code: 0, stdout: expect.stringContaining('trimtab.yml: 27 valid policies') });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('trimtab.yml already exists; it was not changed. Pass --force to overwrite it');
    expect(readFileSync(join(dir, 'trimtab.yml'), 'utf8')).toBe('# mine\n');
    const forced = await trimtab(['init', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'trimtab.yml'), 'utf8')).toMatch(/^# trimtab policies: a starter/);
  });

  it('init names a bad region and writes nothing', async () => {
    const bad = await trimtab(['init', '--region', 'Europe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--region 'Europe' is not an AWS region name, e.g. us-east-1");
    expect(existsSync(join(dir, 'trimtab.yml'))).toBe(false);
  });

  it('permissions prints IAM policy JSON: read-only for scan, with auto-mode writes for run', async () => {
    // Prepare
    await trimtab(['init']);
    const file = join(dir, 'trimtab.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(- id: ebs-gp2-to-gp3[\s\S]*?)mode: dry-run/, '$1mode: auto'));
    // Act
    const scan = await trimtab(['permissions']);
    const run = await trimtab(['permissions', '--mode', 'run', '--account-id', '111122223333']);
    const bad = await trimtab(['permissions', '--mode', 'delete']);
    // Assess
    const scanDoc = JSON.parse(scan.stdout);
    expect(scanDoc.Version).toBe('2012-10-17');
    expect(scanDoc.Statement.flatMap((s: { Action: string[] }) => s.Action)).not.toContain('ec2:ModifyVolume');
    expect(scan.stderr).toContain('scan is read-only');
    const runDoc = JSON.parse(run.stdout);
    expect(runDoc.Statement).toContainEqual({ Sid: 'TrimtabWrite1', Effect: 'Allow', Action: ['ec2:ModifyVolume'], Resource: 'arn:aws:ec2:*:111122223333:volume/*' });
    expect(run.stderr).toContain('18 dry-run policies write nothing');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/argument 'delete' is invalid. Allowed choices are scan, run/);
  });

  it('doctor passes on the sandbox and fails clearly, within seconds, with no credentials', async () => {
    // Prepare
    await trimtab(['init']);
    // Act
    const sandbox = await trimtab(['doctor', '--sandbox']);
    const offline = await trimtab(['doctor', '--region', 'us-east-1']);
    const validate = await trimtab(['validate']); // the CLI's own start-up, for comparison
    // Assess
    expect(sandbox.code).toBe(0);
    expect(sandbox.stdout).toMatch(/ok {4}permissions  all \d+ IAM actions 'scan' needs are allowed/);
    expect(sandbox.stdout).toMatch(/Ready\.\n$/);
    expect(offline.code).toBe(1);
    expect(offline.stdout).toContain('FAIL  credentials  no AWS credentials found');
    expect(offline.stdout).toContain('skip  permissions  not checked: no working credentials');
    // Offline doctor costs about what start-up does: no retries, no long waits.
    expect(offline.ms).toBeLessThan(validate.ms + 5000);
  });

  it('resources shows one type with its options, and names an unknown one', async () => {
    const one = await trimtab(['resources', 'ebs-volume']);
    const md = await trimtab(['resources', 'ebs-volume', '--output', 'markdown']);
    const unknown = await trimtab(['resources', 'ebs-volumes']);
    expect(one.stdout).toContain('snapshotTimeoutMinutes (number, 0–14; default 10)');
    expect(md.stdout).toBe(readFileSync(resolve('docs/reference/ebs-volume.md'), 'utf8'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown resource type 'ebs-volumes'. Valid resource types: asg, dynamodb-table, ebs-snapshot, ebs-volume");
  });
});
