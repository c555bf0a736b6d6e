/**
 * The workflow's steps, one function per Task state, plus the two ends of the wait: the
 * requester (engine side: records the plan and starts an execution) and `decide` (the page
 * and the CLI: claims the decision with a conditional update, then resumes the execution).
 * No Lambda types here: functions/approval-*.ts and the local runner call these.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { ACTION_TIME_MARGIN_MS, applyOneStep, clientsForAccount, regionContext, type AppliedStep, type ApprovalRequester, type EngineDeps, type FindingResult } from '../engine/run.ts';
import { newActionId } from '../audit/store.ts';
import type { ActionRecord } from '../engine/types.ts';
import type { Policy } from '../policy/load.ts';
import { remediators } from '../resources/registry.ts';
import { pricesWith } from '../savings/prices.ts';
import { InvalidEventError, TrimtabError, errorMessage } from '../util/errors.ts';
import { shortHash } from '../util/hash.ts';
import { approvalRequestEmail, outcomeEmail, type Mailer } from './email.ts';
import { linkUrl, signLink, type Decision } from './links.ts';
import { checkSeal, sealApproval, TamperedApprovalError } from './seal.ts';
import { OUTCOMES, WORKFLOW_ERRORS } from './state-machine.ts';
import { APPROVAL_ID, ApprovalNotFoundError, type ActionSummary, type ApprovalDecision, type ApprovalRecord, type ApprovalStatus, type ApprovalStore } from './store.ts';

/** One approval covers at most this many findings (DynamoDB items are capped at 400 KB). */
export const MAX_FINDINGS_PER_APPROVAL = 50;
export const DEFAULT_TIMEOUT_HOURS = 72;
const TTL_SECONDS = 400 * 86_400;

/** The step was called with a record in a state it cannot act on. Not retried. */
export class ApprovalStateError extends TrimtabError {}
/** The policy was removed or set back to dry-run after the request: nothing is applied. */
export class PolicyChangedError extends TrimtabError {}

export { SfnTaskSender, type TaskSender } from './decide.ts';

export interface ExecutionStarter {
  start(approvalId: string): Promise<void>;
}

export class SfnExecutionStarter implements ExecutionStarter {
  constructor(
    readonly stateMachineArn: string,
    private readonly client: SFNClient,
  ) {}
  async start(approvalId: string) {
    // The execution is named after the approval: starting it twice is idempotent in Step Functions.
    await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: approvalId, input: JSON.stringify({ approvalId }) }));
  }
}

export interface WorkflowDeps {
  store: ApprovalStore;
  mailer: Mailer;
  /** The HMAC secret for links (SSM Parameter Store through Powertools in Lambda; injected in tests). */
  secret: () => Promise<string>;
  /** Where the approval page is served (the HTTP API's URL). */
  baseUrl: string;
  now: () => Date;
  /** Apply and Verify: the engine's clients and audit store. */
  engine?: Omit<EngineDeps, 'remainingMs'>;
  /** This invocation's time budget (the Lambda context's getRemainingTimeInMillis); Apply checks it before each change. */
  remainingMs?: () => number;
  /** The policies deployed now: Apply refuses when the approved policy is gone or back in dry-run. */
  currentPolicies?: Policy[];
  log?: (message: string, data?: Record<string, unknown>) => void;
  /** Told the links "Ask the approvers" issued, per recipient (the local demo approves through them). */
  onLinksIssued?: (approvalId: string, links: IssuedLinks[]) => void;
}

export interface IssuedLinks {
  recipient: string;
  approve: string;
  reject: string;
}

// ───────────────────────── requester (engine side) ─────────────────────────

/** Stores each batch of findings under an approval id and starts the workflow for it. */
export class WorkflowApprovalRequester implements ApprovalRequester {
  constructor(
    private readonly store: ApprovalStore,
    private readonly starter: ExecutionStarter,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async request(policy: Policy, findings: FindingResult[], account: string) {
    const approvers = policy.approval?.approvers ?? [];
    if (approvers.length === 0) {
      throw new TrimtabError(`Policy '${policy.id}' is in approval mode but names no approvers: add approval.approvers (email addresses) to it.`);
    }
    const now = this.now();
    const ids: string[] = [];
    let created = 0;
    for (let i = 0; i < findings.length; i += MAX_FINDINGS_PER_APPROVAL) {
      const batch = findings.slice(i, i + MAX_FINDINGS_PER_APPROVAL);
      // Same policy, same plans, same day → same id: a re-run sweep does not email again.
      const approvalId = `apr-${shortHash({ policy: policy.id, account, plans: batch.map((f) => f.plan?.hash).sort(), day: now.toISOString().slice(0, 10) }, 12)}`;
      const record: ApprovalRecord = {
        approvalId,
        status: 'requested',
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        account,
        policy,
        findings: batch.map((f) => ({ ...f, outcome: 'awaiting-approval' })),
        approvers,
        timeoutSeconds: Math.max(1, Math.round((policy.approval?.timeoutHours ?? DEFAULT_TIMEOUT_HOURS) * 3600)),
        ttl: Math.floor(now.getTime() / 1000) + TTL_SECONDS,
      };
      if (await this.store.create(record)) {
        created += 1;
        await this.starter.start(approvalId);
      }
      ids.push(approvalId);
    }
    return {
      approvalId: ids.join(', '),
      detail: `${created ? 'approval requested' : 'already awaiting approval'}: ${ids.join(', ')} (email to ${approvers.join(', ')})`,
    };
  }
}

// ───────────────────────── the Task states ─────────────────────────

const approvalIdSchema = z.string().regex(APPROVAL_ID, 'an approval id looks like apr-<letters and digits>');
const errorSchema = z.object({ Error: z.string(), Cause: z.string().optional() }).passthrough();

export const stepEventSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('record'), approvalId: approvalIdSchema, executionArn: z.string().optional() }),
  z.object({ step: z.literal('ask'), approvalId: approvalIdSchema, taskToken: z.string().min(1).max(8192), timeoutSeconds: z.number().int().positive().optional() }),
  z.object({ step: z.literal('apply'), approvalId: approvalIdSchema }),
  z.object({ step: z.literal('verify'), approvalId: approvalIdSchema }),
  z.object({ step: z.literal('notify'), approvalId: approvalIdSchema }),
  z.object({ step: z.literal('not-approved'), approvalId: approvalIdSchema, error: errorSchema }),
  z.object({ step: z.literal('failed'), approvalId: approvalIdSchema, error: errorSchema }),
]);
export type StepEvent = z.infer<typeof stepEventSchema>;

/** Validates a step's input; a bad one is an InvalidEventError naming the problem. */
export function parseStepEvent(event: unknown, step?: StepEvent['step']): StepEvent {
  // "Ask the approvers" sends no `step` field (its payload is only the id and the token).
  const withStep = step && event && typeof event === 'object' && !('step' in event) ? { ...event, step } : event;
  const parsed = stepEventSchema.safeParse(withStep);
  if (!parsed.success) throw new InvalidEventError(`Invalid approval step input: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
  if (step && parsed.data.step !== step) throw new InvalidEventError(`This function runs the '${step}' step, not '${parsed.data.step}'.`);
  return parsed.data;
}

async function load(deps: WorkflowDeps, approvalId: string): Promise<ApprovalRecord> {
  const record = await deps.store.get(approvalId);
  if (!record) throw new ApprovalNotFoundError(approvalId);
  return record;
}

export async function recordPlan(deps: WorkflowDeps, input: { approvalId: string; executionArn?: string }) {
  const record = await load(deps, input.approvalId);
  if (record.findings.length === 0 || record.findings.some((f) => !f.plan)) throw new ApprovalStateError(`Approval ${input.approvalId} has no planned findings to approve.`);
  // A retried Lambda finds it recorded already: fine. Anything later is a second execution: refuse.
  const ok = await deps.store.update(input.approvalId, { status: 'recorded', executionArn: input.executionArn }, ['requested', 'recorded']);
  if (!ok) throw new ApprovalStateError(`Approval ${input.approvalId} is '${record.status}'; it was recorded by another execution.`);
  return { approvalId: record.approvalId, timeoutSeconds: record.timeoutSeconds };
}

export async function askApprovers(deps: WorkflowDeps, input: { approvalId: string; taskToken: string }) {
  const record = await load(deps, input.approvalId);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + record.timeoutSeconds * 1000);
  const secret = await deps.secret();
  // Signed before anyone is asked: Apply changes only what this seal covers (lib/approval/seal.ts).
  const seal = sealApproval(record, secret);
  const ok = await deps.store.update(input.approvalId, { status: 'waiting', taskToken: input.taskToken, askedAt: now.toISOString(), expiresAt: expiresAt.toISOString(), seal }, ['recorded', 'waiting']);
  if (!ok) throw new ApprovalStateError(`Approval ${input.approvalId} is '${record.status}', not waiting for approvers.`);
  const stored = { ...record, expiresAt: expiresAt.toISOString() };
  const link = (decision: Decision, recipient: string) => linkUrl(deps.baseUrl, record.approvalId, signLink({ approvalId: record.approvalId, decision, recipient, expiresAt }, secret));
  // One email per approver: each link names its recipient, so the record says who decided.
  const issued: IssuedLinks[] = [];
  for (const recipient of record.approvers) {
    const links = { recipient, approve: link('approve', recipient), reject: link('reject', recipient) };
    await deps.mailer.send(approvalRequestEmail(stored, recipient, links));
    issued.push(links);
  }
  deps.onLinksIssued?.(record.approvalId, issued);
  await deps.store.update(input.approvalId, { notified: record.approvers });
  deps.log?.('approval requested', { approvalId: record.approvalId, approvers: record.approvers.length, findings: record.findings.length });
  return { approvalId: record.approvalId, sent: record.approvers.length };
}

const summaryOf = (finding: FindingResult, action: ActionRecord): ActionSummary => ({
  findingId: finding.id,
  actionId: action.id,
  resourceId: finding.resource.id,
  region: finding.resource.region,
  status: action.status,
  detail: action.transitions.at(-1)?.detail ?? action.status,
  undo: { supported: action.undo.supported, how: action.undo.how, ...(action.undo.limits ? { limits: action.undo.limits } : {}) },
  before: action.before,
  after: action.after,
});

export async function applyApproved(deps: WorkflowDeps, input: { approvalId: string }) {
  if (!deps.engine) throw new TrimtabError('The apply step needs the engine (clients and audit store).');
  const record = await load(deps, input.approvalId);
  if (!record.decision || record.decision.decision !== 'approve') throw new ApprovalStateError(`Approval ${input.approvalId} was not approved (status '${record.status}').`);
  // Before anything else: the record must still say exactly what the approvers were asked (the seal
  // made at Ask), and every plan hash must match its params. Otherwise refuse; the workflow records why.
  try {
    checkSeal(record, await deps.secret());
  } catch (error) {
    if (error instanceof TamperedApprovalError) deps.log?.('approval record changed after the approvers were asked: nothing applied', { approvalId: record.approvalId, error: errorMessage(error) });
    throw error;
  }
  // waitUntil and more are always in the answer (null/false: go on to Verify): the state machine's ResultSelector reads them.
  const counts = (actions: ActionSummary[], waitUntil: string | null = null, more = false) => ({
    approvalId: record.approvalId,
    applied: actions.filter((a) => a.status === 'verified' || a.status === 'applied').length,
    failed: actions.filter((a) => a.status === 'failed').length,
    waitUntil,
    more,
  });
  // Outside the action's maintenance window: nothing is applied; the workflow waits for the opening (a Wait state).
  if (record.status === 'approved') {
    const { type: actionType, ...actionOptions } = record.policy.action ?? { type: '' };
    const deferred = actionType ? remediators(record.policy.resource).get(actionType).deferUntil?.(actionOptions, deps.now()) : undefined;
    if (deferred) {
      deps.log?.('approved; waiting for the maintenance window', { approvalId: record.approvalId, until: deferred.at });
      return counts([], stepFunctionsTime(deferred.at));
    }
  }
  // A retried Apply whose last run finished (the Lambda's answer was lost): done already, act on nothing.
  if (record.status === 'applied') return counts(record.actions ?? []);
  // The first invocation claims the record; the next ones find it 'applying' (every later write is conditional on it).
  if (record.status !== 'applying' && !(await deps.store.update(input.approvalId, { status: 'applying' }, ['approved', 'applying']))) {
    throw new ApprovalStateError(`Approval ${input.approvalId} is '${record.status}'; nothing to apply.`);
  }
  if (deps.currentPolicies) {
    const current = deps.currentPolicies.find((p) => p.id === record.policy.id);
    if (!current || current.mode === 'dry-run') {
      throw new PolicyChangedError(`Policy '${record.policy.id}' is ${current ? 'in dry-run now' : 'no longer deployed'}; the approved plan is not applied.`);
    }
  }
  const engine = { ...deps.engine, ...(deps.remainingMs ? { remainingMs: deps.remainingMs } : {}) } as EngineDeps;
  const save = async (changes: Partial<ApprovalRecord>) => {
    // Saved after each change or step, so a retried Apply never acts twice.
    if (!(await deps.store.update(input.approvalId, changes, ['applying']))) {
      throw new ApprovalStateError(`Approval ${input.approvalId} stopped being 'applying' while it was applied; ${(changes.actions ?? record.actions ?? []).length} change(s) are recorded.`);
    }
  };
  const excluded = new Set(record.decision.excluded);
  const actions = [...(record.actions ?? [])];
  const done = new Set(actions.map((a) => a.findingId));
  // maxActionsPerRun holds in an approval batch too: the selected findings past it are recorded as left out, and told.
  const limit = record.policy.limits.maxActionsPerRun;
  const selected = record.findings.filter((f) => !excluded.has(f.id));
  const leftOut = selected.slice(limit).filter((f) => !done.has(f.id));
  if (leftOut.length) {
    for (const f of leftOut) {
      actions.push({ findingId: f.id, actionId: '', resourceId: f.resource.id, region: f.resource.region, status: 'skipped', detail: `not applied: the policy allows at most ${limit} change(s) per run (limits.maxActionsPerRun); approve it again in a later request`, undo: { supported: 'no', how: 'nothing was changed' } });
      done.add(f.id);
    }
    await save({ actions });
    deps.log?.('approved changes left out by the policy limit', { approvalId: record.approvalId, limit, leftOut: leftOut.length });
  }
  // One change, or one step of a multi-step change, per invocation: the workflow loops back here.
  const next = record.inProgress ?? undefined;
  const finding = next ? record.findings.find((f) => f.id === next.findingId) : selected.find((f) => !done.has(f.id));
  if (!finding) {
    if (!(await deps.store.update(input.approvalId, { status: 'applied', inProgress: null }))) {
      throw new ApprovalStateError(`Approval ${input.approvalId} could not be marked applied: it moved on to '${(await load(deps, input.approvalId)).status}'.`);
    }
    return counts(actions);
  }
  // The time budget: never start a change (or a step) this invocation cannot finish; a fresh one will.
  if (deps.remainingMs && deps.remainingMs() < ACTION_TIME_MARGIN_MS) {
    deps.log?.('time budget too short for the next change; Apply is called again', { approvalId: record.approvalId, remainingMs: deps.remainingMs() });
    return counts(actions, null, true);
  }
  let step: AppliedStep;
  if (next) {
    // A retried (Sandbox.Timedout, Lambda.ServiceException) or resumed Apply: continue the same action record.
    const existing = await deps.engine.store.get(next.actionId);
    if (existing && existing.status !== 'planned' && existing.status !== 'in-progress') {
      // It ended in the run that died before saving it here: record it, act on nothing.
      step = { record: existing, replayed: false };
    } else {
      step = await applyOneStep(record.policy, finding, record.decision.actor, engine, 'approval', { resume: existing, actionId: next.actionId, yieldAtResume: true, remainingMs: deps.remainingMs });
    }
  } else {
    const actionId = newActionId(deps.now());
    // Named before the engine writes anything: a timeout from here on resumes this action, never starts another.
    await save({ inProgress: { findingId: finding.id, actionId } });
    step = await applyOneStep(record.policy, finding, record.decision.actor, engine, 'approval', { actionId, yieldAtResume: true, remainingMs: deps.remainingMs });
  }
  if (step.resumeAt) {
    await save({ inProgress: { findingId: finding.id, actionId: step.record.id, resumeAt: step.resumeAt } });
    deps.log?.('change in progress; resuming later', { approvalId: record.approvalId, actionId: step.record.id, resumeAt: step.resumeAt });
    return counts(actions, stepFunctionsTime(step.resumeAt), true);
  }
  actions.push(summaryOf(finding, step.record));
  const more = selected.some((f) => !actions.some((a) => a.findingId === f.id));
  await save({ actions, inProgress: null });
  if (!more && !(await deps.store.update(input.approvalId, { status: 'applied' }))) {
    throw new ApprovalStateError(`Approval ${input.approvalId} could not be marked applied: it moved on to '${(await load(deps, input.approvalId)).status}'.`);
  }
  return counts(actions, null, more);
}

/** Step Functions timestamps: RFC 3339 with an uppercase T and Z, no milliseconds. */
const stepFunctionsTime = (at: string) => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Re-reads every changed resource (the remediator's verify), independent of what Apply saw. */
export async function verifyApplied(deps: WorkflowDeps, input: { approvalId: string }) {
  if (!deps.engine) throw new TrimtabError('The verify step needs the engine (read-only clients).');
  const engine = deps.engine;
  const record = await load(deps, input.approvalId);
  const actions = [...(record.actions ?? [])];
  for (const [i, action] of actions.entries()) {
    if (action.status !== 'verified') continue;
    const finding = record.findings.find((f) => f.id === action.findingId)!;
    const remediator = remediators(record.policy.resource).get(finding.plan!.action);
    try {
      // Re-read in the resource's own account (a member account's role when the hub approved it).
      const clients = (await clientsForAccount(engine, finding.resource.account)).withWrites(false);
      const ctx = { ...regionContext(engine as EngineDeps, finding.resource.region, clients, deps.now(), finding.resource.account), prices: pricesWith(record.policy.prices) };
      const result = await remediator.verify(ctx, finding.plan as never, { before: action.before, after: action.after });
      // pending: the change is made but AWS does not show it yet (S3 lifecycle propagation): applied, not failed.
      actions[i] = { ...action, status: result.ok ? 'verified' : result.pending ? 'applied' : 'failed', detail: result.detail };
    } catch (error) {
      actions[i] = { ...action, status: 'failed', detail: `verification could not read the resource: ${errorMessage(error)}` };
    }
  }
  // 'skipped': apply found the resource protected at the last moment (e.g. a snapshot shared
  // with another account) and changed nothing. That is the safety rule working, not a failure.
  // 'applied': made, verification pending (the detail says how to re-verify); not a failure either.
  const failed = actions.filter((a) => a.status !== 'verified' && a.status !== 'skipped' && a.status !== 'applied').length;
  const verified = actions.filter((a) => a.status === 'verified').length;
  const status = failed ? 'failed' : 'fixed';
  // From 'applied' (or a retried Verify that already wrote this same outcome): never from another end.
  if (!(await deps.store.update(input.approvalId, { actions, verification: { verified, failed }, status }, ['applied', status]))) {
    throw new ApprovalStateError(`Approval ${input.approvalId} is '${(await load(deps, input.approvalId)).status}'; the verification (${status}) was not recorded over it.`);
  }
  return { approvalId: record.approvalId, verified, failed };
}

export async function recordNotApproved(deps: WorkflowDeps, input: { approvalId: string; error: { Error: string; Cause?: string } }) {
  const record = await load(deps, input.approvalId);
  const timedOut = input.error.Error === WORKFLOW_ERRORS.timeout;
  const late = timedOut && record.decision ? ` A decision (${record.decision.decision} by ${record.decision.actor} at ${record.decision.at}) arrived after the wait had ended.` : '';
  const detail = timedOut
    ? `No decision within ${Math.round(record.timeoutSeconds / 3600)} h (${record.timeoutSeconds} s): a timeout counts as not approved, and nothing was changed.${late}`
    : `Rejected${record.decision ? ` by ${record.decision.actor}` : ''}${input.error.Cause ? `: ${input.error.Cause}` : ''}. Nothing was changed.`;
  if (!(await deps.store.update(input.approvalId, { status: 'not-approved', notApproved: { reason: timedOut ? 'timed-out' : 'rejected', detail }, taskToken: '' }))) {
    throw new ApprovalStateError(`Approval ${input.approvalId} is '${(await load(deps, input.approvalId)).status}'; it cannot be recorded as not approved.`);
  }
  return { approvalId: record.approvalId };
}

export async function recordFailure(deps: WorkflowDeps, input: { approvalId: string; error: { Error: string; Cause?: string } }) {
  const error = { Error: input.error.Error, Cause: input.error.Cause ?? '' };
  if (!(await deps.store.update(input.approvalId, { status: 'failed', error, taskToken: '' }))) {
    // Already at an end ('fixed', 'not-approved'): e.g. telling the approvers failed afterwards.
    // The outcome stays as it was; the error is kept beside it.
    await deps.store.update(input.approvalId, { error, taskToken: '' });
  }
  deps.log?.('approval workflow failed', { approvalId: input.approvalId, error: input.error.Error });
  return { approvalId: input.approvalId };
}

export async function tellApprovers(deps: WorkflowDeps, input: { approvalId: string }) {
  const record = await load(deps, input.approvalId);
  const outcome = record.status === 'fixed' ? OUTCOMES.fixed : record.status === 'not-approved' ? OUTCOMES.notApproved : OUTCOMES.failed;
  await deps.mailer.send(outcomeEmail(record));
  return { approvalId: record.approvalId, outcome, sent: record.approvers.length };
}

/** Dispatch a parsed step to its function (one Lambda per step in AWS; the local runner uses it too). */
export async function runStep(deps: WorkflowDeps, event: StepEvent) {
  switch (event.step) {
    case 'record':
      return recordPlan(deps, event);
    case 'ask':
      return askApprovers(deps, event);
    case 'apply':
      return applyApproved(deps, event);
    case 'verify':
      return verifyApplied(deps, event);
    case 'notify':
      return tellApprovers(deps, event);
    case 'not-approved':
      return recordNotApproved(deps, event);
    case 'failed':
      return recordFailure(deps, event);
  }
}

export { decide, type DecideDeps, type DecideResult } from './decide.ts';
