/** Shared setup for the approval tests: a sandbox account, the local stack, and link helpers. */
import { startLocalApprovalStack, type LocalApprovalStack } from '../lib/approval/local.ts';
import { signLink } from '../lib/approval/links.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../lib/approval/store.ts';
import { fourBucketsEnv, policiesFrom, SETTLED_TIMING, type TestEnv } from './helpers.ts';

import { CLOCK, SECRET } from './approval-constants.ts';

export { CLOCK, SECRET };

export const APPROVAL_POLICY = `
policies:
  - id: s3-abort-uploads-approved
    description: Abort incomplete multipart uploads after 7 days, once a person agrees.
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: approval
    approval: { approvers: [oncall@example.com, lead@example.com], timeoutHours: 72 }
`;

export interface ApprovalHarness {
  env: TestEnv;
  stack: LocalApprovalStack;
  store: MemoryApprovalStore;
  approvalId: string;
  record(): Promise<ApprovalRecord>;
  /** Waits until the record reaches one of these statuses. */
  until(...statuses: ApprovalRecord['status'][]): Promise<ApprovalRecord>;
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs the approval-mode policy on the sandbox: the engine requests approval and the local execution waits at "Ask the approvers". */
export async function startApproval(options: { timeoutSeconds?: number; currentPolicies?: boolean; beforeRun?: (stack: LocalApprovalStack) => void; waitForEmails?: boolean } = {}): Promise<ApprovalHarness> {
  const env = fourBucketsEnv({ clock: CLOCK, timing: SETTLED_TIMING });
  const store = new MemoryApprovalStore(CLOCK);
  const policies = policiesFrom(APPROVAL_POLICY);
  const stack = await startLocalApprovalStack({ engine: env.deps, store, secret: SECRET, now: CLOCK, currentPolicies: options.currentPolicies === false ? [] : policies, workflow: { retryIntervalMs: 0 } });
  // The requester stores the plan; a short wait is set on the record before the execution reads it.
  const requester = stack.requester;
  env.deps.approvals = {
    async request(policy, findings, account) {
      if (options.timeoutSeconds) policy = { ...policy, approval: { ...policy.approval!, timeoutHours: options.timeoutSeconds / 3600 } };
      return requester.request(policy, findings, account);
    },
  };
  options.beforeRun?.(stack);
  const result = await env.run(policies);
  const approvalId = result.findings.find((f) => f.outcome === 'awaiting-approval')!.outcomeDetail!.match(/apr-[a-z0-9]+/)![0];
  const record = async () => (await store.get(approvalId))!;
  const until = (...statuses: ApprovalRecord['status'][]) => waitFor(async () => ((s) => (statuses.includes(s.status) ? s : undefined))(await record()), `status ${statuses.join('|')}`);
  await until('waiting');
  // "Ask the approvers" sets `waiting`, then sends each email through SES (the local server) and records who was notified.
  if (options.waitForEmails !== false) await waitFor(async () => ((await record()).notified?.length ? true : undefined), 'the approval emails');
  return { env, stack, store, approvalId, record, until };
}

/** A token as trimtab signs them, for crafting good and bad links. */
export const token = (approvalId: string, decision: 'approve' | 'reject', overrides: { secret?: string; expiresAt?: Date; recipient?: string } = {}) =>
  signLink({ approvalId, decision, recipient: overrides.recipient ?? 'oncall@example.com', expiresAt: overrides.expiresAt ?? new Date(CLOCK().getTime() + 3_600_000) }, overrides.secret ?? SECRET);

export const linkIn = (text: string, label: 'Approve' | 'Reject') => {
  const match = new RegExp(`^${label}[^:]*: (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`no ${label} link in the email`);
  return new URL(match[1]);
};
