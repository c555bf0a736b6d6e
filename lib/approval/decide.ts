/**
 * The decision (the approval page and `trimtab approve|reject`): claim the record, then resume
 * the workflow through its task token. Apart from workflow.ts so that the page's bundle does not
 * carry the engine and its price table (test/package/bundles.test.ts, the approval page budget).
 */
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { readUntil } from '../aws/consistency.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { awsErrorName, errorMessage } from '../util/errors.ts';
import { neutralise } from './email.ts';
import type { Decision } from './links.ts';
import { WORKFLOW_ERRORS } from './state-machine.ts';
import type { ApprovalDecision, ApprovalRecord, ApprovalStatus, ApprovalStore } from './store.ts';

export interface TaskSender {
  success(taskToken: string, output: Record<string, unknown>): Promise<void>;
  failure(taskToken: string, error: string, cause: string): Promise<void>;
}

export class SfnTaskSender implements TaskSender {
  constructor(private readonly client: SFNClient) {}
  async success(taskToken: string, output: Record<string, unknown>) {
    await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }
  async failure(taskToken: string, error: string, cause: string) {
    await this.client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_000) }));
  }
}

// ───────────────────────── the decision (page and CLI) ─────────────────────────

export type DecideResult =
  | { ok: true; record: ApprovalRecord; decision: ApprovalDecision; note?: string }
  | { ok: false; reason: 'not-found' | 'not-waiting' | 'already-decided' | 'timed-out' | 'nothing-selected' | 'unknown-resource' | 'outcome-unknown'; message: string };

export interface DecideDeps {
  store: ApprovalStore;
  tasks: TaskSender;
  now: () => Date;
  /** Waits between re-reads of the record after an ambiguous answer from Step Functions (default: real time). */
  clock?: Clock;
  log?: (message: string, data?: Record<string, unknown>) => void;
}

/** How long decide() re-reads the record after an ambiguous answer: 250 ms doubling, 5 reads, ~4 s (the page function has 10 s). */
const SETTLE = { attempts: 5, baseDelayMs: 250, maxDelayMs: 2_000 };
/** Statuses the workflow moves a record to after an approval resumed it. */
const RESUMED: ApprovalStatus[] = ['applying', 'applied', 'fixed', 'failed'];

/**
 * Errors Step Functions returns when the token can no longer be used (SendTaskSuccess API
 * reference: InvalidToken, TaskDoesNotExist, TaskTimedOut). A token that was already used gets
 * TaskTimedOut too ("Provided task does not exist anymore", aws-samples/amazon-mwaa-examples#61),
 * so these do not prove the wait timed out: see afterSendError.
 */
const TOKEN_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export async function decide(
  deps: DecideDeps,
  input: { approvalId: string; decision: Decision; actor: string; excluded?: string[]; via: 'link' | 'cli'; reason?: string; sourceIp?: string; userAgent?: string },
): Promise<DecideResult> {
  const record = await deps.store.get(input.approvalId);
  if (!record) return { ok: false, reason: 'not-found', message: `There is no approval request ${input.approvalId}.` };
  if (record.decision && record.status !== 'waiting') {
    return { ok: false, reason: 'already-decided', message: `This request was already ${record.decision.decision === 'approve' ? 'approved' : 'rejected'} by ${record.decision.actor} at ${record.decision.at}. Nothing was changed now.` };
  }
  if (record.status !== 'waiting' || !record.taskToken) {
    return { ok: false, reason: 'not-waiting', message: `This request is '${record.status}', not waiting for a decision. Nothing was changed.` };
  }
  const now = deps.now();
  // `!(expiry > now)`: an unreadable expiry (NaN) counts as expired, never as open.
  // Fail closed: a record with no expiry (or one that is not a date) is treated as expired.
  if (!record.expiresAt || !(Date.parse(record.expiresAt) > now.getTime())) {
    return { ok: false, reason: 'timed-out', message: `This request ${record.expiresAt ? `expired at ${record.expiresAt}` : 'carries no expiry, so it is treated as expired'}: a timeout counts as not approved. Nothing was changed.` };
  }
  const excluded = [...new Set(input.excluded ?? [])];
  const known = new Set(record.findings.map((f) => f.id));
  const unknown = excluded.filter((id) => !known.has(id));
  if (unknown.length) return { ok: false, reason: 'unknown-resource', message: `The selection names resources that are not in this request (${unknown.slice(0, 3).join(', ')}). Nothing was changed.` };
  if (input.decision === 'approve' && excluded.length >= record.findings.length) {
    return { ok: false, reason: 'nothing-selected', message: 'Every resource was opted out, so there is nothing to approve. Select at least one, or use the reject link. Nothing was changed.' };
  }
  const decision: ApprovalDecision = {
    decision: input.decision,
    actor: input.actor,
    at: now.toISOString(),
    excluded: input.decision === 'approve' ? excluded : [],
    via: input.via,
    ...(input.reason ? { reason: input.reason } : {}),
    // Caller-supplied: kept short and printable, as evidence, never trusted for anything.
    ...(input.sourceIp ? { sourceIp: printable(input.sourceIp, 64) } : {}),
    ...(input.userAgent ? { userAgent: printable(input.userAgent, 256) } : {}),
  };
  // The claim: only one decision ever moves the record out of 'waiting'.
  const claimed = await deps.store.update(input.approvalId, { status: input.decision === 'approve' ? 'approved' : 'rejected', decision }, ['waiting']);
  if (!claimed) {
    const now2 = await deps.store.get(input.approvalId);
    return { ok: false, reason: 'already-decided', message: `This request was decided a moment ago${now2?.decision ? ` by ${now2.decision.actor}` : ''}. Nothing was changed now.` };
  }
  try {
    if (input.decision === 'approve') {
      await deps.tasks.success(record.taskToken, { decision: 'approve', actor: input.actor, selected: record.findings.length - excluded.length });
    } else {
      await deps.tasks.failure(record.taskToken, WORKFLOW_ERRORS.rejected, `Rejected by ${input.actor}${input.reason ? `: ${input.reason}` : ''}`.slice(0, 500));
    }
  } catch (error) {
    return afterSendError(deps, input.approvalId, decision, error);
  }
  deps.log?.('approval decided', { approvalId: input.approvalId, decision: decision.decision, actor: decision.actor, via: decision.via, sourceIp: decision.sourceIp, userAgent: decision.userAgent });
  return { ok: true, record: { ...record, status: input.decision === 'approve' ? 'approved' : 'rejected', decision }, decision };
}

/**
 * SendTaskSuccess/SendTaskFailure failed after the claim. The record is never written from
 * here on a guess: Step Functions' TaskTimedOut/InvalidToken can mean the wait ended, or that
 * an earlier attempt of this same call (an SDK retry whose first answer was lost) already
 * resumed the workflow, which then applies the changes. The workflow's next step moves the
 * record on either way, so re-read it (bounded) and say what really happened.
 */
async function afterSendError(deps: DecideDeps, approvalId: string, decision: ApprovalDecision, error: unknown): Promise<DecideResult> {
  const claimed: ApprovalStatus = decision.decision === 'approve' ? 'approved' : 'rejected';
  const code = awsErrorName(error) ?? 'Error';
  deps.log?.('approval decision not delivered cleanly', { approvalId, decision: decision.decision, actor: decision.actor, error: code, message: errorMessage(error) });
  if (!TOKEN_GONE.has(code)) {
    // Could not resume the workflow: give the claim back so the link (or another) can be used again.
    if (await deps.store.update(approvalId, { status: 'waiting', decision: null }, [claimed])) throw error;
    // The record moved on by itself: an earlier attempt did resume the workflow.
  }
  const { value: record, settled } = await readUntil(deps.clock ?? systemClock, () => deps.store.get(approvalId), (r) => !r || r.status !== claimed, SETTLE);
  if (!record) return { ok: false, reason: 'not-found', message: `There is no approval request ${approvalId}.` };
  const resumed = decision.decision === 'approve' ? RESUMED.includes(record.status) : record.status === 'not-approved' && record.notApproved?.reason === 'rejected';
  if (resumed) {
    const note = `Step Functions answered ${code} to a repeated delivery; the first one had already resumed the workflow (now '${record.status}').`;
    deps.log?.('approval decided', { approvalId, decision: decision.decision, actor: decision.actor, via: decision.via, sourceIp: decision.sourceIp, userAgent: decision.userAgent, note });
    return { ok: true, record, decision, note };
  }
  if (record.status === 'not-approved') {
    return { ok: false, reason: 'timed-out', message: `The wait for a decision had already ended (timed out) when your decision arrived: ${record.notApproved?.detail ?? 'not approved.'}` };
  }
  return {
    ok: false,
    reason: 'outcome-unknown',
    message: `Your decision was recorded, but Step Functions answered that the wait was over (${code}). That happens when the wait timed out just now, or when an earlier attempt to send this same decision got through. Which of the two is not known yet${settled ? '' : ` (the request is still '${record.status}')`}: the approvers get an email with the outcome, and 'trimtab approvals list' shows it.`,
  };
}

/** Control, line-break and bidi characters removed, cut to `max` characters. */
const printable = (value: string, max: number) => neutralise(String(value)).slice(0, max);
