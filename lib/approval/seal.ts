/**
 * The seal: what the approvers were asked to approve, signed. "Ask the approvers" computes an
 * HMAC (the link secret's signing key, lib/approval/links.ts) over the approval id, the
 * account, the policy and, for each finding, its id, resource (ARN, id, account, region),
 * action, params (canonical JSON: keys sorted) and plan hash, and stores it with the key id in
 * the record. "Apply the fix" recomputes it from the record it reads and recomputes every plan
 * hash from the plan's params before any write: a record edited after the email (a plan's
 * `params.dbInstanceIdentifier` changed in the table, a finding added or re-pointed, the policy
 * swapped) is refused, recorded, and nothing changes.
 *
 * The seal is computed over the record as read back from the store (both ends see the same
 * round trip), so the store's encoding never makes a genuine record fail.
 */
import type { FindingResult } from '../engine/run.ts';
import { TrimtabError } from '../util/errors.ts';
import { shortHash, stableStringify } from '../util/hash.ts';
import { macMatches, macWith } from './links.ts';
import type { ApprovalRecord, ApprovalSeal } from './store.ts';

export type { ApprovalSeal } from './store.ts';


/** The record was changed after the approvers were asked, or carries no valid seal. Never retried. */
export class TamperedApprovalError extends TrimtabError {}

/** The plan hash the engine gives a plan (lib/engine/run.ts planFinding), recomputed from the stored params. */
export const planHashOf = (policyId: string, finding: Pick<FindingResult, 'resource' | 'plan'>) =>
  shortHash({ policy: policyId, arn: finding.resource.arn, action: finding.plan?.action, params: finding.plan?.params });

/** The canonical text the seal signs: only what decides what is changed, where. */
export function sealContent(record: Pick<ApprovalRecord, 'approvalId' | 'account' | 'policy' | 'findings'>): string {
  return stableStringify({
    v: 1,
    approvalId: record.approvalId,
    account: record.account,
    policy: record.policy,
    findings: record.findings.map((f) => ({
      id: f.id,
      arn: f.resource.arn,
      resource: { id: f.resource.id, account: f.resource.account, region: f.resource.region, type: f.resource.type },
      action: f.plan?.action ?? null,
      params: f.plan?.params ?? null,
      hash: f.plan?.hash ?? null,
    })),
  });
}

export function sealApproval(record: Pick<ApprovalRecord, 'approvalId' | 'account' | 'policy' | 'findings'>, secret: string): ApprovalSeal {
  return macWith(secret, sealContent(record));
}

/**
 * Throws TamperedApprovalError naming the problem when the record carries no seal, the seal does
 * not match what the record says now, or a plan's hash does not match its params.
 */
export function checkSeal(record: ApprovalRecord, secret: string): void {
  if (!record.seal || typeof record.seal !== 'object') {
    throw new TamperedApprovalError(`Approval ${record.approvalId} carries no seal of what the approvers were asked: it was not made by "Ask the approvers", or the seal was removed. Nothing is applied.`);
  }
  for (const finding of record.findings) {
    if (!finding.plan || planHashOf(record.policy.id, finding) !== finding.plan.hash) {
      throw new TamperedApprovalError(`Approval ${record.approvalId}: the stored plan for ${finding.resource.id} no longer matches its hash (its params were changed after it was planned). Nothing is applied.`);
    }
  }
  if (!macMatches(secret, sealContent(record), record.seal)) {
    throw new TamperedApprovalError(`Approval ${record.approvalId} was changed after the approvers were asked (the seal does not match the stored policy, resources or plans, or was signed with a key no longer in the ring). Nothing is applied.`);
  }
}
