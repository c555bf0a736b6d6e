import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLocalApprovalStack, type LocalApprovalStack } from '../../lib/approval/local.ts';
import { signLink } from '../../lib/approval/links.ts';
import { FileApprovalStore } from '../../lib/approval/store.ts';
import { buildProgram } from '../../lib/cli/main.ts';
import { APPROVAL_POLICY, CLOCK, SECRET, waitFor } from '../approval-helpers.ts';
import { fourBucketsEnv, policiesFrom, SETTLED_TIMING, type TestEnv } from '../helpers.ts';

/** The CLI decides in one process; the local runner (another process in real use) sees it in the shared file. */
let dir: string;
let env: TestEnv;
let stack: LocalApprovalStack;
let approvalId: string;
let store: FileApprovalStore;

const trimtab = async (...args: string[]) => {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'trimtab', ...args]);
  } finally {
    log.mockRestore();
  }
  return lines.join('\n');
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-approvals-'));
  process.env.TRIMTAB_SANDBOX_APPROVALS_FILE = join(dir, 'approvals.json');
  store = new FileApprovalStore(process.env.TRIMTAB_SANDBOX_APPROVALS_FILE, CLOCK);
  env = fourBucketsEnv({ clock: CLOCK, timing: SETTLED_TIMING });
  const policies = policiesFrom(APPROVAL_POLICY);
  stack = await startLocalApprovalStack({ engine: env.deps, store, secret: SECRET, currentPolicies: policies, workflow: { pollMs: 20 } });
  env.deps.approvals = stack.requester;
  const result = await env.run(policies);
  approvalId = result.findings.find((f) => f.outcome === 'awaiting-approval')!.outcomeDetail!.match(/apr-[a-z0-9]+/)![0];
  await waitFor(async () => (await store.get(approvalId))?.status === 'waiting', 'the approval to wait');
});

afterEach(async () => {
  await stack.stop();
  delete process.env.TRIMTAB_SANDBOX_APPROVALS_FILE;
  rmSync(dir, { recursive: true, force: true });
});

describe('trimtab approvals / approve / reject (sandbox)', () => {
  it('lists the waiting request without its task token', async () => {
    const table = await trimtab('approvals', 'list', '--sandbox');
    const json = await trimtab('approvals', 'list', '--sandbox', '-o', 'json');

    expect(table).toMatch(new RegExp(`${approvalId}\\s+waiting\\s+s3-abort-uploads-approved\\s+4\\s`));
    expect(json).not.toContain('taskToken');
    expect(JSON.parse(json)[0].approvalId).toBe(approvalId);
  });

  it('approves with a resource opted out, and the workflow applies the rest', async () => {
    const out = await trimtab('approve', approvalId, '--sandbox', '--exclude', 'acme-config');
    await stack.workflow.executions.get(approvalId)!.result;

    expect(out).toBe(`Approved ${approvalId}: 3 change(s) will be applied (1 opted out).`);
    const record = (await store.get(approvalId))!;
    expect(record.status).toBe('fixed');
    expect(record.decision).toMatchObject({ decision: 'approve', via: 'cli', actor: expect.stringMatching(/^cli:/), userAgent: expect.stringMatching(/^trimtab CLI on \S+ \(node v\d+/) });
    expect(env.sandbox.successfulWrites('PutBucketLifecycleConfiguration').map((w) => (w.input as { Bucket: string }).Bucket).sort()).toEqual(['acme-app-logs', 'acme-eu-exports', 'acme-web-assets']);
  });

  it('rejects: nothing changes, and a second decision is refused', async () => {
    await trimtab('reject', approvalId, '--sandbox', '--reason', 'freeze week');
    await stack.workflow.executions.get(approvalId)!.result;

    expect((await store.get(approvalId))!.notApproved).toMatchObject({ reason: 'rejected' });
    expect(env.sandbox.successfulWrites()).toEqual([]);
    await expect(trimtab('approve', approvalId, '--sandbox')).rejects.toThrow(/already rejected/);
  });

  it('shows who decided, how and from where (list and show), with a decision made through the page', async () => {
    // Prepare: the approver clicks through the local page with a phone browser
    const t = signLink({ approvalId, decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date(Date.now() + 3_600_000) }, SECRET);
    const ids = (await store.get(approvalId))!.findings.map((f) => f.id);
    const body = new URLSearchParams([['t', t], ['selection', '1'], ...ids.map((id): [string, string] => ['include', id]), ['confirm', 'approve']]).toString();
    const clicked = await fetch(`${stack.approvalBaseUrl}/approvals/${approvalId}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Mozilla/5.0 (iPhone)' } });
    await stack.workflow.executions.get(approvalId)!.result;

    // Act
    const table = await trimtab('approvals', 'list', '--sandbox');
    const details = await trimtab('approvals', 'show', approvalId, '--sandbox');

    // Assess
    expect(clicked.status).toBe(200);
    expect(table).toMatch(new RegExp(`${approvalId}\\s+fixed\\s+.*approve by oncall@example\\.com \\(link from (::ffff:)?127\\.0\\.0\\.1\\)`));
    expect(details).toMatch(/^Status: +fixed$/m);
    expect(details).toMatch(/^Decision: +approve by oncall@example\.com at \S+ \(link\)$/m);
    expect(details).toMatch(/^Source IP: +(::ffff:)?127\.0\.0\.1$/m);
    expect(details).toMatch(/^User agent: +Mozilla\/5\.0 \(iPhone\)$/m);
    expect(details).toMatch(/^Verification: +4 verified, 0 failed$/m);
    expect(details).not.toContain('task-token');
    await expect(trimtab('approvals', 'show', 'apr-nosuchthing', '--sandbox')).rejects.toThrow(/No approval 'apr-nosuchthing'/);
  });

  it('names the problem for an unknown id or resource', async () => {
    await expect(trimtab('approve', 'apr-nosuchthing', '--sandbox')).rejects.toThrow(/No approval 'apr-nosuchthing'/);
    await expect(trimtab('approve', approvalId, '--sandbox', '--exclude', 'acme-nope')).rejects.toThrow(/not one of this approval's resources: .*acme-web-assets/);
    expect((await store.get(approvalId))!.status).toBe('waiting');
  });
});
