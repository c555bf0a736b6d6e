/**
 * `trimtab approvals list`, `trimtab approve <id>`, `trimtab reject <id>`, and
 * `trimtab approvals serve --sandbox` (the whole approval flow on the laptop).
 *
 * Against AWS the operator needs IAM rights on the approvals table (GetItem, UpdateItem, Scan)
 * and states:SendTaskSuccess / SendTaskFailure; the decision goes through the same conditional
 * claim as the approval page, so a CLI decision and a link click can never both win.
 * With --sandbox the approvals live in .trimtab/sandbox-approvals.json and a running
 * `trimtab approvals serve --sandbox` resumes its execution when it sees the decision there.
 */
import { resolve } from 'node:path';
import { money, savingText } from '../report/totals.ts';
import { hostname, userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { neutralise } from '../approval/email.ts';
import { DynamoApprovalStore, FileApprovalStore, type ApprovalDecision, type ApprovalRecord, type ApprovalStore } from '../approval/store.ts';
import { decide, SfnTaskSender, type TaskSender } from '../approval/workflow.ts';
import { usd } from '../savings/prices.ts';
import { TrimtabError } from '../util/errors.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { DEFAULT_POLICY_FILE, loadPolicies } from '../policy/load.ts';
import { createEnvironment, sandboxHistoryFile, useSandbox } from './env.ts';
import { JsonlActionStore } from '../audit/store.ts';
import { table } from './format.ts';
import { AwsClients } from '../aws/clients.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';

export const sandboxApprovalsFile = () => resolve(process.env.TRIMTAB_SANDBOX_APPROVALS_FILE ?? '.trimtab/sandbox-approvals.json');

interface Where {
  sandbox?: boolean;
  table?: string;
}

/** In the sandbox the local runner polls the file for decisions, so there is no token to send. */
const FILE_TASKS: TaskSender = { success: async () => {}, failure: async () => {} };

function backend(options: Where): { store: ApprovalStore; tasks: TaskSender; actor: () => Promise<string> } {
  if (useSandbox(options.sandbox)) {
    return { store: new FileApprovalStore(sandboxApprovalsFile()), tasks: FILE_TASKS, actor: async () => `cli:${userInfo().username}` };
  }
  const table = options.table ?? process.env.TRIMTAB_APPROVALS_TABLE ?? `trimtab-${process.env.TRIMTAB_STAGE ?? 'dev'}-approvals`;
  // Deciding writes only trimtab's own approval record and resumes its workflow.
  const clients = new AwsClients({ allowWrites: true });
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return {
    store: new DynamoApprovalStore(table, clients.get(DynamoDBClient, region)),
    tasks: new SfnTaskSender(clients.get(SFNClient, region)),
    actor: async () => `cli:${(await clients.get(STSClient, region).send(new GetCallerIdentityCommand({}))).Arn}`,
  };
}

const where = (command: Command) =>
  command.option('--sandbox', 'the sandbox\'s approvals (a running `trimtab approvals serve --sandbox`)').option('--table <name>', 'the approvals table (default: $TRIMTAB_APPROVALS_TABLE or trimtab-<stage>-approvals)');

/** "approve by oncall@example.com (link from 203.0.113.9)": who decided, how, and from where. */
export function decisionText(d: ApprovalDecision): string {
  return neutralise(`${d.decision} by ${d.actor} (${d.via}${d.sourceIp ? ` from ${d.sourceIp}` : ''})`);
}

/** Everything recorded about one approval, for `trimtab approvals show` (no task token). */
export function approvalDetails(r: ApprovalRecord, current: Map<string, string> = new Map()): string {
  const d = r.decision;
  const rows: [string, string | undefined][] = [
    ['Approval', r.approvalId],
    ['Status', r.status],
    ['Policy', r.policy.id],
    ['Account', r.account],
    ['Created', r.createdAt],
    ['Updated', r.updatedAt],
    ['Expires', r.expiresAt],
    ['Approvers', r.approvers.join(', ')],
    ['Decision', d ? `${d.decision} by ${d.actor} at ${d.at} (${d.via})` : undefined],
    ['Source IP', d?.sourceIp],
    ['User agent', d?.userAgent],
    ['Opted out', d?.excluded.length ? d.excluded.join(', ') : undefined],
    ['Reason', d?.reason],
    ['Not approved', r.notApproved ? `${r.notApproved.reason}: ${r.notApproved.detail}` : undefined],
    ['Error', r.error ? `${r.error.Error}: ${r.error.Cause}` : undefined],
    ['Verification', r.verification ? `${r.verification.verified} verified, ${r.verification.failed} failed` : undefined],
  ];
  const lines = rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${`${k}:`.padEnd(14)}${neutralise(v)}`);
  const resources = r.findings.map((f) => `  ${neutralise(f.resource.id)} (${neutralise(f.resource.region)}) ${savingText(f.savings.monthlyUsd)}${d?.excluded.includes(f.id) ? ' [opted out]' : ''}`);
  // The approval record keeps each action's status when it was applied; the action history has what happened since (an undo).
  const status = (a: { actionId: string; status: string }) => {
    const now = current.get(a.actionId);
    return now && now !== a.status ? `${now} (was ${a.status})` : a.status;
  };
  const actions = (r.actions ?? []).map((a) => `  ${neutralise(a.resourceId)}: ${status(a)} (${a.actionId}) ${neutralise(a.detail)}`);
  return [...lines, 'Resources:', ...resources, ...(actions.length ? ['Actions:', ...actions] : [])].join('\n');
}

export function approvalsTable(records: ApprovalRecord[]): string {
  if (records.length === 0) return 'No approvals.';
  return table(
    ['APPROVAL', 'STATUS', 'POLICY', 'RESOURCES', 'EST./MONTH', 'DECISION'],
    records.map((r) => [
      r.approvalId,
      r.status,
      r.policy.id,
      String(r.findings.length),
      money(r.findings.reduce((s, f) => s + f.savings.monthlyUsd, 0)),
      r.decision ? decisionText(r.decision) : r.notApproved?.reason ?? (r.expiresAt ? `expires ${r.expiresAt}` : ''),
    ]),
  );
}

async function decideFromCli(id: string, decision: 'approve' | 'reject', options: Where & { exclude?: string[]; reason?: string }) {
  const { store, tasks, actor } = backend(options);
  const record = await store.get(id);
  if (!record) throw new TrimtabError(`No approval '${id}'. List them with 'trimtab approvals list${options.sandbox ? ' --sandbox' : ''}'.`);
  // --exclude takes finding ids or resource ids.
  const excluded = (options.exclude ?? []).map((x) => {
    const match = record.findings.find((f) => f.id === x || f.resource.id === x || f.resource.arn === x);
    if (!match) throw new TrimtabError(`--exclude '${x}' is not one of this approval's resources: ${record.findings.map((f) => f.resource.id).join(', ')}`);
    return match.id;
  });
  // No HTTP caller here: the record names the machine the CLI ran on instead of an IP.
  const result = await decide({ store, tasks, now: () => new Date() }, { approvalId: id, decision, actor: await actor(), excluded, via: 'cli', reason: options.reason, userAgent: `trimtab CLI on ${hostname()} (node ${process.version})` });
  if (!result.ok) throw new TrimtabError(result.message);
  const chosen = record.findings.length - excluded.length;
  console.log(decision === 'approve' ? `Approved ${id}: ${chosen} change(s) will be applied${excluded.length ? ` (${excluded.length} opted out)` : ''}.` : `Rejected ${id}: nothing will be changed.`);
}

export function registerApprovalCommands(program: Command): void {
  const approvals = program.command('approvals').description('approval requests waiting for (or past) a decision');

  where(approvals.command('list'))
    .description('list approval requests with their status')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (options: Where & { output: string }) => {
      const records = await backend(options).store.list();
      // The task token never leaves the backend, not even to an operator's terminal.
      const safe = records.map(({ taskToken: _token, ...rest }) => rest);
      console.log(options.output === 'json' ? JSON.stringify(safe, null, 2) : approvalsTable(records));
    });

  where(approvals.command('show <approval-id>'))
    .description('one approval request: its status, who decided from where (IP, user agent), and what it changed')
    .action(async (id: string, options: Where) => {
      const record = await backend(options).store.get(id);
      if (!record) throw new TrimtabError(`No approval '${id}'. List them with 'trimtab approvals list${options.sandbox ? ' --sandbox' : ''}'.`);
      // In the sandbox the action history is local: each action's status now (undone, …).
      const current = new Map<string, string>();
      if (useSandbox(options.sandbox)) {
        const history = new JsonlActionStore(sandboxHistoryFile());
        for (const a of record.actions ?? []) {
          const now = await history.get(a.actionId);
          if (now) current.set(a.actionId, now.status);
        }
      }
      console.log(approvalDetails(record, current));
    });

  approvals
    .command('serve')
    .description('run the approval flow locally on the sandbox: policies in approval mode email a local SES server (aws-ses-v2-local); read the mail on its page, click the links')
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--port <port>', 'port of the approval page', '8787')
    .option('--mail-port <port>', 'port of the local SES server and its mail page', '8788')
    .action(async (options: { policies: string; port: string; mailPort: string }) => {
      const { startLocalApprovalStack } = await import('../approval/local.ts');
      const { runPolicies } = await import('../engine/run.ts');
      const { policies } = loadPolicies(options.policies);
      const gated = policies.filter((p) => p.mode === 'approval');
      if (gated.length === 0) throw new TrimtabError(`No policy in ${options.policies} is in approval mode; set 'mode: approval' and 'approval.approvers' on one.`);
      const env = await createEnvironment({ sandbox: true });
      const engine = { account: env.account, clients: env.clients, store: env.store, defaultRegions: env.defaultRegions };
      const stack = await startLocalApprovalStack({ port: Number(options.port), mailPort: Number(options.mailPort), engine, store: new FileApprovalStore(sandboxApprovalsFile()), currentPolicies: policies });
      const result = await runPolicies({ policies: gated, actor: 'cli' }, { ...engine, approvals: stack.requester });
      console.log(`${result.summary.awaitingApproval} finding(s) await approval.`);
      console.log(`Mail:      ${stack.mailUrl}  (open the email, click a link)`);
      console.log(`Approvals: ${stack.approvalBaseUrl}/approvals/<id>   ·   trimtab approvals list --sandbox`);
      for (const execution of stack.workflow.executions.values()) {
        execution.result.then(
          () => console.log(`${execution.approvalId}: ${execution.states.at(-1)}`),
          (error: Error) => console.log(`${execution.approvalId}: ${error.name}`),
        ).finally(() => env.close());
      }
      console.log('Ctrl-C stops the servers.');
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
      await stack.stop();
      env.close();
    });

  where(program.command('approve <approval-id>'))
    .description('approve a waiting request (SendTaskSuccess); --exclude opts resources out')
    .option('--exclude <resource>', 'a resource id (or finding id) to leave out (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .action((id: string, options: Where & { exclude?: string[] }) => decideFromCli(id, 'approve', options));

  where(program.command('reject <approval-id>'))
    .description('reject a waiting request (SendTaskFailure): nothing is changed')
    .option('--reason <text>', 'why, for the record and the approvers\' email')
    .action((id: string, options: Where & { reason?: string }) => decideFromCli(id, 'reject', options));
}
