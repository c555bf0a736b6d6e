import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';

/** Wrong input to the built command: a clear error naming the problem, exit 1 or 2 as docs/cli.md says, nothing changed. */
let dir: string;
const trimtab = (args: string[], env: Record<string, string> = {}) => runTrimtab(dir, args, { env, cwd: dir });

vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-input-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('wrong input is refused, naming the problem', () => {
  it('refuses an unknown --region, suggesting the near one and listing the regions', async () => {
    // Act
    const { code, stdout, stderr } = await trimtab(['scan', '--sandbox', '--region', 'eu-wst-1']);

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain("unknown region 'eu-wst-1' (did you mean eu-west-1?); the regions are af-south-1,");
  });

  it('reports every problem of a policy file in one pass: an unknown region, a bad key and a duplicate id', async () => {
    // Prepare
    const file = join(dir, 'p.yml');
    writeFileSync(
      file,
      [
        'policies:',
        '  - id: a',
        '    resource: s3-bucket',
        '    detector: { type: missing-lifecycle }',
        '    scope: { regions: [eu-wst-1] }',
        '  - id: a',
        '    resource: s3-bucket',
        '    detector: { type: missing-lifecycle }',
        '    mdoe: auto',
        '',
      ].join('\n'),
    );

    // Act
    const { code, stderr } = await trimtab(['validate', '-p', file]);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/line 5: policy 'a' → scope\.regions\.0: unknown region 'eu-wst-1' \(did you mean eu-west-1\?\)/);
    expect(stderr).toMatch(/mdoe/);
    expect(stderr).toMatch(/line 6: policy 'a' → id: duplicate policy id 'a' \(also policies\[0\]\)/);
  });

  it('says a missing policy file does not exist and how to make one', async () => {
    // Act
    const { code, stderr } = await trimtab(['validate', '-p', join(dir, 'nope.yml')]);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('no such file');
    expect(stderr).toContain("write a starter with 'trimtab init'");
    expect(stderr).not.toMatch(/ENOENT/);
  });

  it('says an --out folder does not exist, and writes nothing', async () => {
    // Act
    const { code, stderr } = await trimtab(['schema', '--out', join(dir, 'missing', 'schema.json')]);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(`Cannot write ${join(dir, 'missing', 'schema.json')}: the folder ${join(dir, 'missing')} does not exist`);
    expect(stderr).not.toMatch(/ENOENT/);
  });

  it('names a corrupt sandbox file and the command that makes a fresh one', async () => {
    // Prepare
    writeFileSync(join(dir, 'sandbox.json'), '{"version": 1, "accounts": {');

    // Act
    const { code, stderr } = await trimtab(['scan', '--sandbox']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(`The sandbox file ${join(dir, 'sandbox.json')} cannot be read`);
    expect(stderr).toMatch(/Run '.*trimtab\.mjs sandbox reset' to start a fresh sandbox account/);
  });

  it('says an AWS_PROFILE that does not exist does not exist, naming the profiles there are', async () => {
    // Prepare
    writeFileSync(join(dir, 'no-config'), '[profile work]\nregion = eu-west-1\n');

    // Act
    const { code, stderr } = await trimtab(['scan', '-p', join(process.cwd(), 'trimtab.yml')], { AWS_PROFILE: 'nonexistent' });

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain("AWS_PROFILE is 'nonexistent', but no such profile exists");
    expect(stderr).toContain('profiles there: work');
  });

  it('says AWS cannot be reached, as doctor does, when offline', async () => {
    // Prepare: credentials and a region, and an STS endpoint whose name does not resolve
    const offline = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_STS: 'https://sts.invalid', AWS_MAX_ATTEMPTS: '1' };

    // Act
    const { code, stderr } = await trimtab(['scan', '-p', join(process.cwd(), 'trimtab.yml')], offline);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('cannot reach AWS STS at https://sts.invalid');
    expect(stderr).toContain('Offline, or a proxy or firewall is in the way; without a network use --sandbox');
  });
});
