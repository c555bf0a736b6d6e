/**
 * `npm run demo`: everything trimtab does, on the sandbox account, with no AWS and no network.
 *
 *   1. The scheduled sweep (the `scan` Lambda's runSweep) over every resource module: auto-mode
 *      fixes are applied, approval-mode findings start the approval workflow.
 *   2. A CloudWatch alarm fires on an over-provisioned Auto Scaling group (the `alarm` Lambda's
 *      runAlarmTrigger with events/alarm-asg-low-cpu-acme-web.json); its policy tunes the group.
 *   3. The approval emails go through SES to a local SES server (aws-ses-v2-local); their links point at the local approval
 *      page (lib/approval/local.ts: the same state machine, page and emails as in AWS).
 *   4. It waits for a person to click (or, with --approve-all, approves through the same page,
 *      over HTTP, like a click) and prints what each approval did.
 *   5. A summary: findings, actions, what still awaits approval, estimated savings before and
 *      after, and how to undo each action. An HTML report of the sweep is written too.
 *
 * Every server listens on 127.0.0.1 and is stopped before runDemo returns.
 */
import { once } from 'node:events';
import { invokedAs, undoHint } from './invoked.ts';
import { money, savingText } from '../report/totals.ts';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startLocalApprovalStack, type LocalApprovalStack, type LocalExecution } from '../approval/local.ts';
import { FileApprovalStore, type ApprovalRecord } from '../approval/store.ts';
import { JsonlActionStore } from '../audit/store.ts';
import { runPolicies, type FindingResult, type RunResult } from '../engine/run.ts';
import { benefitOf, type ActionRecord } from '../engine/types.ts';
import type { LambdaDeps } from '../lambda/deps.ts';
import { RunMetrics } from '../lambda/metrics.ts';
import { logger } from '../lambda/powertools.ts';
import { policiesForSchedule, runSweep } from '../lambda/sweep.ts';
import { runAlarmTrigger } from '../lambda/triggers.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { loadPolicies, type Policy, type PolicySet } from '../policy/load.ts';
import { renderHtmlReport } from '../report/html.ts';
import { resetSandbox } from '../sandbox/index.ts';
import { usd } from '../savings/prices.ts';
import type { TriggerResult } from '../triggers/handlers.ts';
import { memoryPersistence } from '../triggers/idempotency.ts';
import { sandboxApprovalsFile } from './approvals.ts';
import { createEnvironment, sandboxHistoryFile, type CliEnvironment } from './env.ts';
import { packageFile } from './package-files.ts';
import { actionsTable, outputWidth, table, wrap } from './format.ts';
import { OWNED_DEMO, ownedDemoPolicies, seedOwnedDemo } from './demo-owned.ts';
import { AwsClients } from '../aws/clients.ts';
import { CloudFormationClient, DescribeChangeSetCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { viaOwnerOf } from '../ownership/via-owner.ts';
import { propertyPath } from '../ownership/properties.ts';

export const DEMO_SCHEDULE_EVENT = 'events/schedule-daily.json';
export const DEMO_ALARM_EVENT = 'events/alarm-asg-low-cpu-acme-web.json';

export interface DemoOptions {
  policies: string;
  /** Approve every request through its link (GET the page, POST its form), as CI does. */
  approveAll?: boolean;
  /** Ports of the approval page and the local SES server (0: any free port). */
  port?: number;
  mailPort?: number;
  /** How long to wait for a person's clicks before summing up. */
  waitSeconds?: number;
  /** While waiting, how often the time left is said (a terminal's status line: every second; captured output: every 60 s). */
  tickSeconds?: number;
  /** Where the HTML report goes. */
  reportFile?: string;
  /** Output (tests capture it). */
  print?: (line: string) => void;
  /** Columns every line fits (default: the terminal's, or $COLUMNS, or 80). */
  width?: number;
  /** Where "press Enter" is read from; without a terminal, the demo does not wait for clicks. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface ApprovalOutcome {
  approvalId: string;
  policy: string;
  resources: number;
  estimatedMonthlySavingsUsd: number;
  status: ApprovalRecord['status'];
  decidedBy?: string;
  actions: number;
  /** The action it asks for (the first finding's plan). */
  action: string;
}

export interface DemoResult {
  sweep: RunResult;
  alarm: TriggerResult;
  approvals: ApprovalOutcome[];
  actions: ActionRecord[];
  savings: { beforeUsd: number; afterUsd: number; appliedUsd: number };
  /** How the waste estimate went from before to after, term by term (they add up exactly). */
  waste: WasteChange;
  mailUrl: string;
  approvalBaseUrl: string;
  reportFile: string;
  /** Scene 6: the owned group in its own account, reported, then changed through its stack after approval. */
  owned: OwnedSceneResult;
}

const BOLD = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const sum = (values: number[]) => usd(values.reduce((a, b) => a + b, 0));

interface DemoContext {
  options: DemoOptions;
  /** Prints text fitted to `width`: tables are laid out for it, longer prose lines wrap. */
  print: (line: string) => void;
  width: number;
  set: PolicySet;
  scheduled: Policy[];
  env: CliEnvironment;
  stack: LocalApprovalStack;
  lambda: LambdaDeps;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const out = options.print ?? ((line: string) => console.log(line));
  const width = Math.max(40, options.width ?? outputWidth());
  const print = (text: string) => out(fitLines(text, width));
  // The Lambda code logs JSON for CloudWatch; on a terminal the demo says what happens instead.
  logger.setLogLevel('SILENT');
  const set = loadPolicies(options.policies);
  freshSandbox();
  const env = await createEnvironment({ sandbox: true });
  let stack: LocalApprovalStack | undefined;
  try {
    // The owned-resource scene's policies are current policies too: Apply re-checks the approved policy against them.
    stack = await startApprovalStack(env, [...set.policies, ...ownedDemoPolicies()], options);
    const ctx: DemoContext = { options, print, width, set, scheduled: policiesForSchedule(set.policies, {}), env, stack, lambda: demoLambdaDeps(env, set, stack) };
    const before = await estimateWaste(ctx);
    const sweep = await scheduledSweep(ctx);
    const alarm = await alarmFires(ctx);
    await approvalEmails(ctx);
    await decide(ctx);
    const approvals = await approvalOutcomes(ctx);
    const after = await estimateWaste(ctx);
    const actions = await env.store.list();
    settleOutcomes(sweep, actions);
    const reportFile = writeReport(ctx, sweep, actions);
    const appliedUsd = sum(actions.filter((a) => a.status === 'verified' || a.status === 'applied').map((a) => a.estimatedMonthlySavingsUsd));
    const waste = wasteChange(before, after);
    summary(ctx, { sweep, approvals, actions, waste, appliedUsd, reportFile });
    const owned = await ownedScene(ctx);
    return { sweep, alarm, approvals, actions, owned, savings: { beforeUsd: waste.beforeUsd, afterUsd: waste.afterUsd, appliedUsd }, waste, mailUrl: stack.mailUrl, approvalBaseUrl: stack.approvalBaseUrl, reportFile };
  } finally {
    await stack?.stop();
    await env.finish();
  }
}

// ───────────────────────── setup ─────────────────────────

/** The small-company account, freshly seeded; no history, no approvals from earlier runs. */
function freshSandbox() {
  resetSandbox();
  writeFileSync(sandboxHistoryFile(), '');
  writeFileSync(new JsonlActionStore(sandboxHistoryFile()).findingsFile, '');
  rmSync(sandboxApprovalsFile(), { force: true });
}

/** Local SES (aws-ses-v2-local) + approval page + local state machine. Decisions are kept in .trimtab/sandbox-approvals.json, so `trimtab approve <id> --sandbox` from another terminal works too. */
function startApprovalStack(env: CliEnvironment, policies: Policy[], options: DemoOptions) {
  return startLocalApprovalStack({
    port: options.port ?? 0,
    mailPort: options.mailPort ?? 0,
    engine: env.engineDeps(),
    store: new FileApprovalStore(sandboxApprovalsFile()),
    currentPolicies: policies,
    // Decisions made from another terminal (`trimtab approve <id> --sandbox`) are read back every 3 s;
    // clicks on the page resume the execution at once. A shorter poll made the idle wait busy.
    workflow: { pollMs: 3_000, retryIntervalMs: 0 },
  });
}

/** What the Lambda functions get from lib/lambda/deps.ts, over the CLI's sandbox environment, with approvals going to the local stack. */
function demoLambdaDeps(env: CliEnvironment, set: PolicySet, stack: LocalApprovalStack): LambdaDeps {
  return {
    policies: set,
    engine: { ...env.engineDeps(), approvals: stack.requester },
    sandbox: env.sandbox,
    audit: env.audit,
    metrics: new RunMetrics(),
    begin: () => {},
    finish: async () => {
      await env.audit.trail.flush();
      env.close();
    },
    flush: () => env.close(),
  };
}

// The sample events ship with the package: the demo runs from any folder.
const readEvent = (file: string) => JSON.parse(readFileSync(packageFile(file), 'utf8')) as unknown;

function heading(ctx: DemoContext, text: string) {
  const lines = wrap(text, ctx.width);
  ctx.print(`\n${lines.map(BOLD).join('\n')}\n${'═'.repeat(Math.max(...lines.map((l) => l.length)))}`);
}

/** Every line within `width`: a longer one wraps by words, its continuation indented under its own indent. */
export function fitLines(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => {
      // eslint-disable-next-line no-control-regex
      const visible = line.replace(/\x1b\[[0-9;]*m/g, '');
      if (visible.length <= width) return [line];
      // "Label:   value" keeps its columns: the value wraps under itself; other lines indent by two.
      const label = /^(\s*\S[^:]{0,30}:\s{2,}|\s*)/.exec(line)![0];
      const hang = label.length <= width / 2 && /\S/.test(label) ? ' '.repeat(label.length) : `${label}  `;
      return wrap(line.slice(label.length), width, hang).map((l, i) => (i ? l : label + l));
    })
    .join('\n');
}

/** Read-only: the waste the scheduled policies see right now, as the findings behind the estimate. */
async function estimateWaste(ctx: DemoContext): Promise<RunResult> {
  const { env } = ctx;
  return runPolicies({ policies: ctx.scheduled, forceDryRun: true, actor: 'demo' }, { account: env.account, clients: env.clients, store: env.store, defaultRegions: env.defaultRegions });
}

export interface WasteChange {
  beforeUsd: number;
  afterUsd: number;
  /** Findings of before that are gone after (what the changes fixed), and their estimate. */
  resolved: { count: number; monthlyUsd: number };
  /** Findings after that were not there before (e.g. the snapshots snapshot-and-delete keeps). */
  appeared: { count: number; monthlyUsd: number };
  /** How the estimates of findings present both times moved. */
  changedUsd: number;
}

/**
 * before − resolved + appeared + changed = after, exactly: each finding's estimate counted once per
 * resource (the totals' rule), compared by resource and policy.
 */
export function wasteChange(before: RunResult, after: RunResult): WasteChange {
  const byKey = (r: RunResult) => {
    const m = new Map<string, number>();
    for (const f of r.findings) if (f.status !== 'protected') m.set(`${f.resource.arn}|${f.policy}`, f.savings.monthlyUsd);
    return m;
  };
  const b = byKey(before);
  const a = byKey(after);
  const gone = [...b].filter(([k]) => !a.has(k));
  const fresh = [...a].filter(([k]) => !b.has(k));
  const beforeUsd = before.summary.estimatedMonthlySavingsUsd;
  const afterUsd = after.summary.estimatedMonthlySavingsUsd;
  const resolved = { count: gone.length, monthlyUsd: sum(gone.map(([, v]) => v)) };
  const appeared = { count: fresh.length, monthlyUsd: sum(fresh.map(([, v]) => v)) };
  // Whatever is left (estimates that moved, overlaps counted once) is the change of the rest: the terms add up.
  return { beforeUsd, afterUsd, resolved, appeared, changedUsd: usd(afterUsd - beforeUsd + resolved.monthlyUsd - appeared.monthlyUsd) };
}

/**
 * The sweep's findings as they ended: an approval-mode finding whose change was approved and made
 * is 'applied'; one decided otherwise is no longer awaiting. The HTML report and the summary then
 * tell the same story as the action records.
 */
export function settleOutcomes(sweep: RunResult, actions: ActionRecord[]): void {
  const byFinding = new Map(actions.map((a) => [a.findingId, a]));
  let applied = 0;
  let awaiting = 0;
  for (const f of sweep.findings) {
    const record = byFinding.get(f.id);
    if (f.outcome === 'awaiting-approval' && record) {
      f.actionId = record.id;
      if (record.status === 'verified' || record.status === 'applied') f.outcome = 'applied';
      else if (record.status === 'failed') f.outcome = 'failed';
      else if (record.status !== 'awaiting-approval' && record.status !== 'approved' && record.status !== 'planned') f.outcome = 'skipped';
      f.outcomeDetail = `${record.status} as ${record.id}`;
    }
    if (f.outcome === 'applied') applied += 1;
    if (f.outcome === 'awaiting-approval') awaiting += 1;
  }
  sweep.summary = { ...sweep.summary, awaitingApproval: awaiting };
  sweep.actions = actions;
}

// ───────────────────────── 1. the scheduled sweep ─────────────────────────

async function scheduledSweep(ctx: DemoContext): Promise<RunResult> {
  const { env, scheduled } = ctx;
  heading(ctx, `1. The scheduled sweep: ${scheduled.length} policies over the sandbox account ${env.account} (${env.defaultRegions.join(', ')})`);
  for (const mode of ['auto', 'approval', 'dry-run'] as const) {
    const ids = scheduled.filter((p) => p.mode === mode).map((p) => p.id);
    ctx.print(wrap(ids.join(', ') || '-', ctx.width, ' '.repeat(10)).map((l, i) => (i ? l : `${mode.padEnd(10)}${l}`)).join('\n'));
  }
  // runSweep returns a summary; the findings come from the same hook the audit trail uses, one
  // listed page at a time (the sweep streams), so the demo collects every batch (a demo account is small).
  const findings: FindingResult[] = [];
  const onFindings = ctx.lambda.engine.onFindings;
  const lambda = { ...ctx.lambda, engine: { ...ctx.lambda.engine, onFindings: async (f: FindingResult[]) => (findings.push(...f), onFindings?.(f)) } };
  const out = await runSweep(readEvent(DEMO_SCHEDULE_EVENT), undefined, lambda);
  const actions = (await env.store.list()).filter((a) => out.actions.some((x) => x.id === a.id));
  const sweep: RunResult = { findings, actions, errors: out.errors, summary: out.summary };

  ctx.print('');
  ctx.print(moduleTable(sweep, ctx.width));
  ctx.print(`\nLargest findings (all ${sweep.summary.findings} are in the HTML report):`);
  ctx.print(topFindings(findings, 8, ctx.width));
  const risks = performanceFindings(findings, ctx.width);
  if (risks) ctx.print(`\nPerformance findings: the risk each change removes, and what it saves or costs:\n${risks}`);
  ctx.print(`\nFixed now by auto-mode policies (${actions.length}):`);
  ctx.print(actionsTable(actions, { sandbox: true, width: ctx.width }));
  for (const e of sweep.errors) ctx.print(`! ${e.resourceType} in ${e.region} could not be listed: ${e.error}`);
  return sweep;
}

/** One line per resource module: what was found, protected, fixed, and sent for approval. */
export function moduleTable(result: RunResult, width = Number.POSITIVE_INFINITY): string {
  const types = [...new Set(result.findings.map((f) => f.resource.type))].sort();
  const rows = types.map((type) => {
    const mine = result.findings.filter((f) => f.resource.type === type);
    const counted = mine.filter((f) => f.status !== 'protected');
    return [
      type,
      String(new Set(mine.map((f) => f.policy)).size),
      String(counted.length),
      String(mine.length - counted.length),
      String(mine.filter((f) => f.outcome === 'applied').length),
      String(mine.filter((f) => f.outcome === 'awaiting-approval').length),
      String(mine.filter((f) => f.outcome === 'would-apply' || f.status === 'report-only').length),
      money(sum(counted.map((f) => f.savings.monthlyUsd))),
    ];
  });
  const full = table(['MODULE', 'POLICIES', 'FINDINGS', 'PROTECTED', 'APPLIED', 'TO APPROVE', 'REPORTED', 'EST. $/MONTH'], rows, [1, 2, 3, 4, 5, 6, 7]);
  if (widest(full) <= width) return full;
  // Narrower: the policy count goes (the sweep's heading lists the policies), shorter headers.
  return table(['MODULE', 'FOUND', 'PROTECTED', 'APPLIED', 'TO APPROVE', 'REPORTED', '$/MONTH'], rows.map((r) => [r[0], ...r.slice(2)]), [1, 2, 3, 4, 5, 6], { width });
}

/** Findings that remove a risk to the workload rather than (or besides) saving money. */
const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

export function performanceFindings(findings: FindingResult[], width = Number.POSITIVE_INFINITY): string | undefined {
  const perf = findings.filter((f) => f.status !== 'protected' && benefitOf(f).includes('performance'));
  if (perf.length === 0) return undefined;
  const outcome = (f: FindingResult) => ({ applied: 'applied', 'awaiting-approval': 'to approve', 'would-apply': 'dry-run', reported: 'reported', failed: 'FAILED', skipped: 'skipped' })[f.outcome];
  return table(
    ['RESOURCE', 'POLICY', 'OUTCOME', 'RISK REMOVED', 'SAVES OR COSTS'],
    perf.map((f) => [`${f.resource.type} ${f.resource.id}`, f.policy, outcome(f), f.risk?.summary ?? f.reason, savingText(f.savings.monthlyUsd)]),
    [4],
    { width, wrap: [3] },
  );
}

function topFindings(findings: FindingResult[], n: number, width: number): string {
  const top = findings
    .filter((f) => f.status !== 'protected' && f.savings.monthlyUsd > 0)
    .sort((a, b) => b.savings.monthlyUsd - a.savings.monthlyUsd)
    .slice(0, n);
  const outcome = (f: FindingResult) => ({ applied: 'applied', 'awaiting-approval': 'to approve', 'would-apply': 'dry-run', reported: 'reported', failed: 'FAILED', skipped: 'skipped' })[f.outcome];
  return table(
    ['RESOURCE', 'POLICY', 'OUTCOME', '$/MONTH'],
    top.map((f) => [`${f.resource.type} ${f.resource.id}`, f.policy, outcome(f), money(f.savings.monthlyUsd)]),
    [3],
    { width },
  );
}

// ───────────────────────── 2. an alarm fires ─────────────────────────

async function alarmFires(ctx: DemoContext): Promise<TriggerResult> {
  const event = readEvent(DEMO_ALARM_EVENT) as { detail: { alarmName: string; state: { reason: string } } };
  heading(ctx, `2. An alarm fires: ${event.detail.alarmName}`);
  ctx.print(`CloudWatch: ${event.detail.state.reason}`);
  ctx.print(`(the alarm function gets ${DEMO_ALARM_EVENT}, as EventBridge delivers it)`);
  const result = await runAlarmTrigger(event, undefined, ctx.lambda, memoryPersistence());
  ctx.print(`\n${result.status}: ${result.reason}`);
  for (const outcome of result.outcomes) {
    for (const a of outcome.actions) {
      const record = await ctx.env.store.get(a.id);
      ctx.print(`  ${a.id}  ${outcome.policy} → ${a.action} on ${a.resourceId}: ${a.status}`);
      if (record) ctx.print(`  ${record.summary} (est. ${money(record.estimatedMonthlySavingsUsd)}/month)`);
    }
  }
  return result;
}

// ───────────────────────── 3. approval emails ─────────────────────────

async function approvalEmails(ctx: DemoContext) {
  const { stack } = ctx;
  const records = await waitingApprovals(ctx);
  heading(ctx, `3. Approval-mode findings: ${records.length} approval request(s) emailed`);
  ctx.print(`Mail (local SES): ${stack.mailUrl}/   (open an email and click "Review and approve")`);
  ctx.print(`Approval page:  ${stack.approvalBaseUrl}/approvals/<id>   (where the links point)`);
  ctx.print('');
  const rows = records.map((r) => [r.approvalId, r.policy.id, String(r.findings.length), money(sum(r.findings.map((f) => f.savings.monthlyUsd))), emailFor(ctx, r.approvalId)?.id ?? '-']);
  const full = table(['APPROVAL', 'POLICY', 'RESOURCES', 'EST. $/MONTH', 'SES MESSAGE ID'], rows, [2, 3]);
  // Narrower: the resource count goes next to the policy, shorter headers.
  ctx.print(widest(full) <= ctx.width ? full : table(['APPROVAL', 'POLICY (RESOURCES)', '$/MONTH', 'SES MESSAGE ID'], rows.map((r) => [r[0], `${r[1]} (${r[2]})`, r[3], r[4]]), [2], { width: ctx.width }));
  if (records.some((r) => sum(r.findings.map((f) => f.savings.monthlyUsd)) < 0)) ctx.print('A negative estimate is a performance fix that costs more than it saves (see the performance findings above).');
}

/**
 * Approvals whose execution has emailed the approvers (the executions run concurrently). Waits for
 * each execution's "links issued" event (or its end), not for a status and a wall-clock deadline:
 * `waiting` is written before the emails go out, and a busy machine can take longer than any deadline.
 */
async function waitingApprovals(ctx: DemoContext): Promise<ApprovalRecord[]> {
  const ids = [...ctx.stack.workflow.executions.keys()];
  const issued = await Promise.all(ids.map((id) => ctx.stack.linksIssued(id)));
  const records = await Promise.all(ids.map((id) => ctx.stack.store.get(id)));
  return records.filter((r, i): r is ApprovalRecord => r?.status === 'waiting' && Boolean(issued[i]));
}

const emailFor = (ctx: DemoContext, approvalId: string) => ctx.stack.mail.emails.find((e) => e.text.includes(`Approval id: ${approvalId}.`));

// ───────────────────────── 4. the click ─────────────────────────

async function decide(ctx: DemoContext) {
  heading(ctx, '4. Waiting for a decision');
  const executions = [...ctx.stack.workflow.executions.values()];
  if (ctx.options.approveAll) {
    for (const execution of executions) {
      if (await approveThroughLink(ctx, execution.approvalId)) ctx.print(`  → ${await howItEnded(ctx, execution)}`);
    }
    return;
  }
  const input = ctx.options.input ?? process.stdin;
  if (!input.isTTY) {
    ctx.print('Not a terminal, so not waiting for clicks (use --approve-all to approve through the links). The requests end undecided: nothing is changed.');
    return;
  }
  const waitSeconds = ctx.options.waitSeconds ?? 600;
  const deadline = Date.now() + waitSeconds * 1000;
  ctx.print(`Open ${ctx.stack.mailUrl}/ , open an email and approve or reject on the page (or run '${invokedAs()} approve <id> --sandbox').`);
  ctx.print(`Waiting up to ${clockText(waitSeconds * 1000)} (until ${new Date(deadline).toISOString().slice(11, 19)} UTC) for ${executions.length} request(s); press Enter to stop waiting and see the summary.`);
  // The time left: a status line redrawn each second on a terminal, a line now and then otherwise.
  const live = !ctx.options.print && Boolean(process.stdout.isTTY);
  let decided = 0;
  const statusText = () => `${clockText(deadline - Date.now())} left · ${decided} of ${executions.length} decided · Enter to stop waiting`;
  const clear = () => live && process.stdout.write('\r\x1b[2K');
  const draw = () => (live ? process.stdout.write(`\r\x1b[2K${statusText()}`) : ctx.print(`Waiting: ${statusText()}`));
  // Say what happened as each approval ends, in whatever order the person decides; nothing once the wait is over.
  let waiting = true;
  const allEnded = Promise.all(
    executions.map(async (e) => {
      const text = await howItEnded(ctx, e);
      if (!waiting) return;
      decided += 1;
      clear();
      ctx.print(text);
      if (live) draw();
    }),
  );
  const tick = setInterval(draw, (ctx.options.tickSeconds ?? (live ? 1 : 60)) * 1000);
  if (live) draw();
  try {
    await untilFirst(allEnded, input, waitSeconds * 1000);
  } finally {
    waiting = false;
    clearInterval(tick);
    clear();
  }
}

/** "9:05" (minutes:seconds), rounded up so it never says 0:00 while time is left. */
export function clockText(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Waits for an execution to end and says how: the final state, who decided, what changed. */
async function howItEnded(ctx: DemoContext, execution: LocalExecution): Promise<string> {
  const end = await execution.result.then(
    () => execution.states.at(-1) ?? 'done',
    (error: Error) => error.name,
  );
  const r = await ctx.stack.store.get(execution.approvalId);
  if (!r) return end;
  const count = (status: string) => (r.actions ?? []).filter((a) => a.status === status).length;
  const decided = r.decision ? ` — ${r.decision.decision === 'approve' ? 'approved' : 'rejected'} by ${r.decision.actor} (${r.decision.via})` : '';
  const changes = r.actions?.length
    ? `: ${count('verified')} change(s) applied and verified${count('skipped') ? `, ${count('skipped')} left alone (${(r.actions ?? []).find((a) => a.status === 'skipped')!.detail})` : ''}${count('failed') ? `, ${count('failed')} FAILED` : ''}`
    : '';
  return `Approval ${execution.approvalId} (${r.policy.id}: ${requestedAction(r)} on ${r.findings.length} resource${r.findings.length === 1 ? '' : 's'}): ${end}${decided}${changes}`;
}

const requestedAction = (r: ApprovalRecord) => r.findings[0]?.plan?.action ?? r.policy.action?.type ?? 'change';

/** Resolves when every approval has ended, Enter or Ctrl-C is pressed, or the time is up; leaves no listener or timer behind. */
async function untilFirst(allEnded: Promise<unknown>, input: NodeJS.ReadableStream, ms: number) {
  const rl = createInterface({ input });
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      allEnded,
      once(rl, 'line', { signal: stop.signal }),
      once(rl, 'SIGINT', { signal: stop.signal }),
      once(process, 'SIGINT', { signal: stop.signal }),
      new Promise((r) => (timer = setTimeout(r, ms))),
    ]).catch(() => {});
  } finally {
    stop.abort();
    clearTimeout(timer);
    rl.close();
    (input as NodeJS.ReadStream).pause?.();
  }
}

/**
 * What a person does, over HTTP: open the Approve link (GET shows the page and changes
 * nothing), then submit the page's form as it is (every resource ticked). The link is the one
 * "Ask the approvers" issued, never one read back out of the mail: mail text carries
 * resource-supplied strings, and must not be able to steer where approve-all goes.
 */
export async function approveThroughLink(ctx: Pick<DemoContext, 'stack' | 'print'>, approvalId: string): Promise<boolean> {
  // "Ask the approvers" writes `waiting` before it sends the emails: wait for the links it issues.
  const issued = (await ctx.stack.linksIssued(approvalId))?.[0];
  const record = await ctx.stack.store.get(approvalId);
  if (record?.status !== 'waiting') return false;
  if (!issued) throw new Error(`No approval links were issued for ${approvalId}`);
  const link = issued.approve;
  const page = await fetch(link);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`The approval page for ${approvalId} answered ${page.status}: ${html.slice(0, 200)}`);
  const form = pageForm(html);
  const target = new URL(form.action, link);
  // The approver types the confirmation word, as the page asks a person to (a form submitted as it comes decides nothing).
  const body = `${form.body}&confirm=approve`;
  const response = await fetch(target, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const answer = await response.text();
  ctx.print(`GET the Approve link, POST ${target.pathname} as ${issued.recipient}: ${response.status} ${/<h1>([^<]*)<\/h1>/.exec(answer)?.[1] ?? ''}`);
  if (response.status !== 200) throw new Error(`Approving ${approvalId} failed with ${response.status}: ${answer.slice(0, 300)}`);
  return true;
}

const unescapeHtml = (text: string) => text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

/** The approval page's form, as a browser would submit it: hidden fields and ticked checkboxes. */
export function pageForm(html: string): { action: string; body: string } {
  const action = /<form method="post" action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error('The approval page has no form.');
  const fields = new URLSearchParams();
  for (const [, attrs] of html.matchAll(/<input ([^>]*)>/g)) {
    const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(attrs)?.[1];
    const type = attr('type');
    if (type === 'checkbox' && !/\bchecked\b/.test(attrs)) continue;
    if (type === 'hidden' || type === 'checkbox') fields.append(unescapeHtml(attr('name') ?? ''), unescapeHtml(attr('value') ?? ''));
  }
  return { action: unescapeHtml(action), body: fields.toString() };
}

async function approvalOutcomes(ctx: DemoContext): Promise<ApprovalOutcome[]> {
  const records = await ctx.stack.store.list();
  return records.map((r) => ({
    approvalId: r.approvalId,
    policy: r.policy.id,
    resources: r.findings.length,
    estimatedMonthlySavingsUsd: sum(r.findings.map((f) => f.savings.monthlyUsd)),
    status: r.status,
    ...(r.decision ? { decidedBy: r.decision.actor } : {}),
    actions: r.actions?.length ?? 0,
    action: requestedAction(r),
  }));
}

// ───────────────────────── 5. summary ─────────────────────────

/** "18: 17 fixed, 1 rejected (by finops@example.com; …)", or "none". */
export function decidedText(approvals: ApprovalOutcome[]): string {
  const decided = approvals.filter((a) => a.decidedBy);
  if (!decided.length) return 'none';
  const statuses = [...new Set(decided.map((a) => a.status))].map((st) => `${decided.filter((a) => a.status === st).length} ${st}`);
  const by = [...new Set(decided.map((a) => a.decidedBy))];
  return `${decided.length}: ${statuses.join(', ')} (by ${by.join(', ')}; each is listed above and in '${invokedAs()} approvals list --sandbox')`;
}

/** The actor in a narrow table: "alarm" for an alarm's name (the table says which policy). */
const shortActor = (actor: string) => (actor.startsWith('alarm:') ? 'alarm' : actor);

function writeReport(ctx: DemoContext, sweep: RunResult, actions: ActionRecord[]): string {
  const file = resolve(ctx.options.reportFile ?? '.trimtab/demo-report.html');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderHtmlReport(sweep, { account: ctx.env.account, regions: ctx.env.defaultRegions, generatedAt: new Date(), command: 'demo', apiCalls: ctx.env.apiCalls(), undoCommand: (id) => undoHint(id, true) }, actions));
  return file;
}

function summary(
  ctx: DemoContext,
  s: { sweep: RunResult; approvals: ApprovalOutcome[]; actions: ActionRecord[]; waste: WasteChange; appliedUsd: number; reportFile: string },
) {
  heading(ctx, '5. Summary');
  const applied = s.actions.filter((a) => a.status === 'verified' || a.status === 'applied');
  const failed = s.actions.filter((a) => a.status === 'failed');
  const waiting = s.approvals.filter((a) => a.status === 'waiting' || a.status === 'recorded' || a.status === 'requested');
  const byModule = [...new Set(s.sweep.findings.map((f) => f.resource.type))]
    .sort()
    .map((t) => `${t} ${s.sweep.findings.filter((f) => f.resource.type === t && f.status !== 'protected').length}`)
    .join(', ');
  const bySource = (pred: (a: ActionRecord) => boolean) => applied.filter(pred).length;
  ctx.print(`Findings:            ${s.sweep.summary.findings} (${byModule}); ${s.sweep.summary.protected} protected (never touched)`);
  ctx.print(
    `Actions applied:     ${applied.length} (sweep ${bySource((a) => a.actor === 'auto')}, alarm ${bySource((a) => a.actor.startsWith('alarm:'))}, approved ${bySource((a) => a.mode === 'approval')})${failed.length ? `; ${failed.length} FAILED` : ''}`,
  );
  ctx.print(`Awaiting approval:   ${waiting.length} request(s), ${sum(waiting.map((w) => w.resources))} resource(s)${waiting.length ? '; they end undecided now the demo stops: nothing changed' : ''}`);
  if (waiting.length) {
    ctx.print(
      table(
        ['APPROVAL', 'POLICY', 'ACTION', 'RESOURCES', 'STATE'],
        waiting.map((w) => [w.approvalId, w.policy, w.action, String(w.resources), w.status === 'waiting' ? 'undecided' : w.status]),
        [3],
        { width: ctx.width },
      ),
    );
  }
  ctx.print(`Approvals decided:   ${decidedText(s.approvals)}`);
  const w = s.waste;
  const findings = (n: number) => `${n} finding${n === 1 ? '' : 's'}`;
  ctx.print(`Est. monthly waste:  before ${money(w.beforeUsd)}, after ${money(w.afterUsd)}:`);
  ctx.print(`                     − ${money(w.resolved.monthlyUsd)} of ${findings(w.resolved.count)} the changes resolved`);
  if (w.appeared.count) ctx.print(`                     + ${money(w.appeared.monthlyUsd)} of ${findings(w.appeared.count)} that appeared (e.g. snapshots kept by snapshot-and-delete)`);
  if (w.changedUsd) ctx.print(`                     ${w.changedUsd < 0 ? '−' : '+'} ${money(Math.abs(w.changedUsd))} as the other estimates moved (and overlaps counted once)`);
  ctx.print(`Actions' estimates:  ${money(s.appliedUsd)}/month over the ${applied.length} applied (each action's own estimate at the time; a performance fix that costs more counts negative)`);
  ctx.print(`HTML report:         ${s.reportFile}`);
  ctx.print('\nHow to undo each action:');
  const undoText = (a: ActionRecord) => (a.undo.supported === 'no' ? `not possible: ${a.undo.how}` : undoHint(a.id, true));
  const withUndo = table(['ACTION ID', 'POLICY', 'RESOURCE', 'BY', 'UNDO'], applied.map((a) => [a.id, a.policy, a.resource.id, a.actor, undoText(a)]));
  if (widest(withUndo) <= ctx.width) ctx.print(withUndo);
  else {
    // Too wide for a command per row: the command once, with the action id to put in; the policy
    // column goes too when needed (`history --sandbox` has it).
    const cannot = applied.some((a) => a.undo.supported === 'no');
    ctx.print(`Any action below${cannot ? ' (UNDO says where it is not possible)' : ''}:\n  ${undoHint('<ACTION ID>', true)}`);
    const rows = applied.map((a) => [a.id, a.policy, a.resource.id, shortActor(a.actor), ...(cannot ? [a.undo.supported === 'no' ? `not possible: ${a.undo.how}` : 'yes'] : [])]);
    const headers = ['ACTION ID', 'POLICY', 'RESOURCE', 'BY', ...(cannot ? ['UNDO'] : [])];
    const withPolicy = table(headers, rows, [], { width: Number.POSITIVE_INFINITY, wrap: cannot ? [headers.length - 1] : [] });
    const drop = (r: string[]) => r.filter((_, i) => i !== 1);
    ctx.print(widest(withPolicy) <= ctx.width ? withPolicy : table(drop(headers), rows.map(drop), [], { width: ctx.width, wrap: cannot ? [headers.length - 2] : [] }));
  }
  ctx.print(`\nTry next:  ${invokedAs()} history --sandbox   ·   ${invokedAs()} scan --sandbox --output html > report.html`);
}

// ───────────────────────── 6. an owned resource ─────────────────────────

export interface OwnedSceneResult {
  /** The finding of the report policy (report-only, naming the stack, logical id, property and value). */
  reported?: FindingResult;
  /** The finding of the via-owner policy, sent for approval with its change set. */
  requested?: FindingResult;
  approvalId?: string;
  /** The change set made and checked before approval, and the one ExecuteChangeSet ran. */
  preparedChangeSetId?: string;
  executedChangeSetIds: string[];
  /** Change sets created after the approval (none: the approved one is executed). */
  createdAfterApproval: number;
  action?: ActionRecord;
  stackStatus?: string;
  minSize?: number;
}

/**
 * Scene 6, its own account (lib/cli/demo-owned.ts): a stack-owned Auto Scaling group is first
 * reported with where the change belongs (policy `owned` left at its default, report), then
 * changed through its stack: the change set is made and checked when approval is asked, the demo
 * approves it through the link, Apply executes exactly that change set, and Verify runs drift
 * detection. Every line printed here is read back from the sandbox or the records.
 */
async function ownedScene(ctx: DemoContext): Promise<OwnedSceneResult> {
  const { env } = ctx;
  const sandbox = env.sandbox!;
  const o = OWNED_DEMO;
  heading(ctx, '6. An owned resource, fixed through its stack');
  seedOwnedDemo(sandbox);
  const clients = (await env.engineDeps().accountClients!(o.account));
  const [reportPolicy, viaPolicy] = ownedDemoPolicies();
  ctx.print(`A second sandbox account, ${o.account} (${o.region}): CloudFormation stack ${o.stack} owns the Auto Scaling group ${o.group} (logical id ${o.logicalId}), MinSize 6. The stack's next deploy would undo a change made on the group itself, so the change belongs in the stack.`);
  const deps = { ...ctx.lambda.engine, account: o.account, clients, defaultRegions: [o.region], onFindings: undefined };
  const result: OwnedSceneResult = { executedChangeSetIds: [], createdAfterApproval: 0 };

  // The default choice, report: nothing is written; the finding says where the change belongs.
  const scan = await runPolicies({ policies: [reportPolicy], regions: [o.region], actor: 'demo' }, deps);
  result.reported = scan.findings.find((f) => f.resource.id === o.group);
  ctx.print(`\n${reportPolicy.id} (owned: report, the default), ${result.reported?.status ?? 'no finding'}:`);
  if (result.reported?.outcomeDetail) ctx.print(`  ${result.reported.outcomeDetail}`);

  // via-owner in approval mode: the change set is made and checked now, before anyone is asked.
  const known = new Set(ctx.stack.workflow.executions.keys());
  const run = await runPolicies({ policies: [viaPolicy], regions: [o.region], actor: 'demo' }, deps);
  result.requested = run.findings.find((f) => f.resource.id === o.group);
  const via = result.requested?.plan && viaOwnerOf(result.requested.plan);
  ctx.print(`\n${viaPolicy.id} (mode approval, owned: { choice: via-owner }):`);
  if (!via || via.kind !== 'cloudformation' || !via.changeSetId) {
    ctx.print(`  ${result.requested?.outcomeDetail ?? 'no change was planned through the stack'}`);
    return result;
  }
  result.preparedChangeSetId = via.changeSetId;
  const cfn = clients.get(CloudFormationClient, o.region);
  const cs = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: via.changeSetId, StackName: via.stackName }));
  const changes = (cs.Changes ?? []).map((c) => c.ResourceChange!).map((c) => `${c.Action} ${c.LogicalResourceId} (${c.ResourceType}), Replacement ${c.Replacement}, ${(c.Details ?? []).map((d) => d.Target?.Name).join(', ')}`);
  ctx.print(`  Change set ${cs.ChangeSetName}, made and checked before asking (${cs.Status}, ${cs.ExecutionStatus}): ${changes.join('; ')}; ${propertyPath(via.change)} ${JSON.stringify(via.change.from)} → ${JSON.stringify(via.change.to)}.`);

  const approvalId = [...ctx.stack.workflow.executions.keys()].find((id) => !known.has(id));
  result.approvalId = approvalId;
  if (!approvalId) return result;
  await ctx.stack.linksIssued(approvalId);
  const email = emailFor(ctx, approvalId)?.id ?? 'no message';
  const approvedAt = sandbox.writes.length;
  const execution = ctx.stack.workflow.executions.get(approvalId)!;
  const input = ctx.options.input ?? process.stdin;
  if (ctx.options.approveAll) {
    ctx.print(`  Approval ${approvalId} emailed to ${viaPolicy.approval?.approvers.join(', ')} (SES ${email}); the demo approves it:`);
    if (await approveThroughLink(ctx, approvalId)) ctx.print(`  → ${await howItEnded(ctx, execution)}`);
  } else if (input.isTTY) {
    // As in step 4: a person decides, on the page or with `approve <id> --sandbox`.
    const waitSeconds = ctx.options.waitSeconds ?? 600;
    ctx.print(`  Approval ${approvalId} emailed to ${viaPolicy.approval?.approvers.join(', ')} (SES ${email}). Approve it on the page (${ctx.stack.mailUrl}/) or run '${invokedAs()} approve ${approvalId} --sandbox'; waiting up to ${clockText(waitSeconds * 1000)}, Enter stops waiting.`);
    let ended: string | undefined;
    await untilFirst(howItEnded(ctx, execution).then((text) => (ended = text)), input, waitSeconds * 1000);
    if (ended) ctx.print(`  → ${ended}`);
  } else {
    ctx.print(`  Approval ${approvalId} emailed to ${viaPolicy.approval?.approvers.join(', ')} (SES ${email}). Not a terminal, so not waiting for a click (use --approve-all).`);
  }
  const decided = await ctx.stack.store.get(approvalId);
  if (decided?.status !== 'fixed') {
    const now = (await cfn.send(new DescribeStacksCommand({ StackName: o.stack }))).Stacks?.[0];
    result.stackStatus = now?.StackStatus;
    const executed = sandbox.writes.slice(approvedAt).filter((w) => w.account === o.account && w.operation === 'ExecuteChangeSet' && w.outcome === 'ok').length;
    ctx.print(`Approval ${approvalId} is ${decided?.status === 'waiting' ? 'undecided' : (decided?.status ?? 'missing')}${decided?.error ? ` (${decided.error.Error}: ${decided.error.Cause})` : ''}: ${executed ? `${executed} change set(s) executed` : 'no change set was executed'}; stack ${o.stack} is ${result.stackStatus}.`);
    return result;
  }
  const after = sandbox.writes.slice(approvedAt).filter((w) => w.account === o.account && w.outcome === 'ok');
  result.executedChangeSetIds = after.filter((w) => w.operation === 'ExecuteChangeSet').map((w) => (w.input as { ChangeSetName: string }).ChangeSetName);
  result.createdAfterApproval = after.filter((w) => w.operation === 'CreateChangeSet').length;
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: o.stack }))).Stacks?.[0];
  result.stackStatus = stack?.StackStatus;
  const group = (await clients.get(AutoScalingClient, o.region).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [o.group] }))).AutoScalingGroups?.[0];
  result.minSize = group?.MinSize;
  const records = await env.store.list();
  result.action = records.find((a) => a.resource.account === o.account && a.policy === viaPolicy.id);
  const same = result.executedChangeSetIds.length === 1 && result.executedChangeSetIds[0] === via.changeSetId;
  ctx.print(`ExecuteChangeSet: ${result.executedChangeSetIds.length} call(s), ${same ? 'exactly the change set approved' : 'NOT the change set approved'}; ${result.createdAfterApproval} change set(s) made after the approval.`);
  ctx.print(`Stack ${o.stack}: ${result.stackStatus}; ${o.group} MinSize ${result.minSize}.`);
  if (result.action) {
    ctx.print(`Verify: ${result.action.verification?.detail ?? result.action.status}.`);
    ctx.print(`Undo (a reverse change set through the stack):\n  ${undoHint(result.action.id, true)}`);
  }
  return result;
}
