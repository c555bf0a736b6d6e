/** `trimtab scan` over several accounts on the organization sandbox, through the real CLI. */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'trimtab-org-cli-'));
const env = {
  PATH: process.env.PATH!,
  HOME: dir,
  TRIMTAB_SANDBOX_FILE: join(dir, 'sandbox.json'),
  TRIMTAB_SANDBOX_HISTORY_FILE: join(dir, 'sandbox-actions.jsonl'),
  AWS_CONFIG_FILE: join(dir, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
};
const trimtab = async (args: string[]) => {
  try {
    return { code: 0, ...(await exec(process.execPath, [resolve('lib/cli/trimtab.mjs'), ...args], { env, timeout: 60_000 })) };
  } catch (error: any) {
    return { code: error.code as number, stdout: error.stdout as string, stderr: error.stderr as string };
  }
};

describe('trimtab scan over several accounts', () => {
  it('shows each finding\u2019s account, and names the account whose role cannot be assumed', async () => {
    // Prepare
    await trimtab(['sandbox', 'reset', '--scenario', 'organization']);
    // Act
    const { code, stdout } = await trimtab(['scan', '--sandbox', '--role-arn', 'arn:aws:iam::100000000001:role/trimtab-member-dev', '--account', '900000000001', '--region', 'us-east-1']);
    // Assess
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^ACCOUNT\/REGION\s+RESOURCE\s+POLICY/);
    expect(stdout).toContain('100000000001/us-east-1  s3-bucket acme-100000000001-data-0');
    expect(stdout).toMatch(/! account 900000000001 in us-east-1 could not be listed .*AccessDenied/);
  }, 60_000);
});
