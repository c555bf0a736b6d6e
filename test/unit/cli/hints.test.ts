import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import '../../../lib/resources/index.ts';
import { invokedAs, undoHint } from '../../../lib/cli/invoked.ts';
import { demoPolicyFile } from '../../../lib/cli/main.ts';
import { packagedPolicyFile } from '../../../lib/cli/package-files.ts';
import { starterPolicyFile } from '../../../lib/cli/starter.ts';
import { lifecycleUndoLimits } from '../../../lib/resources/s3-bucket/remediators.ts';

describe('invokedAs: hints name the command as the user ran it', () => {
  it('prints the npx form of the command only when npx ran it', () => {
    // Act + Assess
    expect(invokedAs({ npm_command: 'exec' }, ['node', '/x/node_modules/.bin/trimtab'], '/x')).toBe('npx trimtab');
    expect(invokedAs({}, ['node', '/usr/local/bin/trimtab'], '/home/me')).toBe('trimtab');
  });

  it('says npm run trimtab -- under the clone\'s npm scripts, and node <path> when node ran the file', () => {
    // Act + Assess
    expect(invokedAs({ npm_command: 'run-script', npm_lifecycle_event: 'demo' }, ['node', '/repo/lib/cli/trimtab.mjs'], '/repo')).toBe('npm run trimtab --');
    expect(invokedAs({}, ['node', '/repo/lib/cli/trimtab.mjs'], '/repo')).toBe('node lib/cli/trimtab.mjs');
    expect(invokedAs({}, ['node', '/repo/lib/cli/trimtab.mjs'], '/elsewhere')).toBe('node /repo/lib/cli/trimtab.mjs');
  });

  it('adds --sandbox to an undo hint for a sandbox action', () => {
    // Act + Assess
    expect(undoHint('act-1', true, 'trimtab')).toBe('trimtab undo act-1 --sandbox');
    expect(undoHint('act-1', false, 'trimtab')).toBe('trimtab undo act-1');
  });
});

describe('demoPolicyFile: the demo after trimtab init', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trimtab-demo-init-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the packaged demo policies, and says so, when the folder holds the all-dry-run starter', () => {
    // Prepare
    const file = join(dir, 'trimtab.yml');
    writeFileSync(file, starterPolicyFile());
    const notes: string[] = [];

    // Act
    const used = demoPolicyFile(file, true, (line) => notes.push(line));

    // Assess
    expect(used).toBe(packagedPolicyFile());
    expect(notes).toEqual([expect.stringContaining('every policy in')]);
    expect(notes[0]).toContain('the demo uses the packaged demo policies');
  });

  it('keeps a file named with -p, with a note that the demo will change nothing', () => {
    // Prepare
    const file = join(dir, 'mine.yml');
    writeFileSync(file, starterPolicyFile());
    const notes: string[] = [];

    // Act
    const used = demoPolicyFile(file, false, (line) => notes.push(line));

    // Assess
    expect(used).toBe(file);
    expect(notes[0]).toContain('the demo will report and change nothing');
  });

  it('uses a policy file that has auto or approval policies as it is, silently', () => {
    // Prepare
    const notes: string[] = [];

    // Act
    const used = demoPolicyFile(resolve('trimtab.yml'), true, (line) => notes.push(line));

    // Assess
    expect(used).toBe(resolve('trimtab.yml'));
    expect(notes).toEqual([]);
  });
});

describe('undo texts say what they cannot bring back', () => {
  it('names expired noncurrent versions, aborted uploads and transitioned objects', () => {
    // Act
    const text = lifecycleUndoLimits([
      { ID: 'a', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 90 } },
      { ID: 'b', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      { ID: 'c', Status: 'Enabled', Filter: {}, Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }] },
    ]);

    // Assess
    expect(text).toMatch(/^it cannot bring back what the rules already did: /);
    expect(text).toContain('noncurrent versions S3 already expired are deleted for good');
    expect(text).toContain('multipart uploads S3 already aborted are gone');
    expect(text).toContain('objects already moved to another storage class stay there');
  });
});

describe('approvals show: an action undone since the approval', () => {
  it('says undone (was verified), not verified', async () => {
    // Prepare
    const { approvalDetails } = await import('../../../lib/cli/approvals.ts');
    const record = {
      approvalId: 'apr-1',
      status: 'fixed',
      policy: { id: 'ebs-unattached-volumes' },
      account: '123456789012',
      createdAt: '2026-12-01T00:00:00Z',
      updatedAt: '2026-12-01T00:05:00Z',
      approvers: ['finops@example.com'],
      findings: [],
      actions: [{ resourceId: 'vol-1', status: 'verified', actionId: 'act-1', detail: 'snapshot taken, volume deleted' }],
    } as unknown as Parameters<typeof approvalDetails>[0];

    // Act
    const text = approvalDetails(record, new Map([['act-1', 'undone']]));

    // Assess
    expect(text).toContain('  vol-1: undone (was verified) (act-1) snapshot taken, volume deleted');
  });
});
