/** `trimtab scan` over several accounts on the organization sandbox, through the real CLI. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'trimtab-org-cli-'));
// Wide enough for the table layout with its ACCOUNT/REGION column (piped output is 80 columns otherwise).
const trimtab = (args: string[]) => runTrimtab(dir, args, { env: { COLUMNS: '300' } });

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
    // The note wraps to the width, continuation lines indented by two
    expect(stdout.replaceAll('\n  ', ' ')).toMatch(/! account 900000000001 in us-east-1 could not be listed .*AccessDenied/);
  }, 60_000);

  it('refuses --profile with --sandbox before reading anything: a profile names real AWS credentials', async () => {
    // Prepare: a profile that would exist in the user's AWS config; the helper gives the command none at all
    await trimtab(['sandbox', 'reset', '--scenario', 'organization']);

    // Act
    const run = await trimtab(['run', '--sandbox', '--yes', '--profile', 'prod', '--region', 'us-east-1']);
    const history = await trimtab(['history', '--sandbox']);

    // Assess: refused with the reason and the way out, nothing applied in the sandbox either
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--profile prod names real AWS credentials and cannot be used with --sandbox: nothing was read or changed.');
    expect(history.stdout).not.toMatch(/act-[a-z0-9]+-[0-9a-f]{8}/);
  }, 120_000);
});

