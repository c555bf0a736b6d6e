/**
 * The `trimtab` command. The same engine as the Lambda functions, from a laptop.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { JsonlActionStore, type ActionStore } from '../audit/store.ts';
import { runPolicies, type FindingResult, type Progress, type RunResult } from '../engine/run.ts';
import { undoAction } from '../engine/undo.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { DEFAULT_POLICY_FILE, loadPolicies } from '../policy/load.ts';
import { policyJsonSchema } from '../policy/schema.ts';
import { resetSandbox } from '../sandbox/index.ts';
import { scenarios } from '../sandbox/scenarios/index.ts';
import { usd } from '../savings/prices.ts';
import { PolicyValidationError, TrimtabError, errorMessage } from '../util/errors.ts';
import { createEnvironment, sandboxHistoryFile, useSandbox, type CliEnvironment } from './env.ts';
import { packagedPolicyFile, packageVersion } from './package-files.ts';
import { actionsTable, findingHistoryTable, findingsTable, historyTable, resultJson, summaryLine } from './format.ts';
import { registerApprovalCommands } from './approvals.ts';
import { registerGettingStartedCommands } from './getting-started.ts';
import { isReportFormat, renderReport } from '../report/index.ts';
import { reportStream, SpoolFile, type ReportStream } from '../report/stream.ts';
import { fleetAsRunResult, itemsForAccounts, multiAccountAccess, registerOrgCommands, wantsMultiAccount } from '../org/cli.ts';
import { runFleet } from '../org/fleet.ts';
import type { PolicySet } from '../policy/load.ts';

interface CommonOptions {
  policies: string;
  sandbox?: boolean;
  region?: string[];
  output: 'table' | 'json' | 'html' | 'csv';
  verbose?: boolean;
  stage?: string;
  /** Several accounts (lib/org/cli.ts). */
  roleArn?: string[];
  profile?: string[];
  account?: string[];
}

const STAGE_HELP = "record in a deployed stage's audit table (trimtab-<stage>-audit) instead of the local file";

const collect = (value: string, previous: string[] = []) => [...previous, value];

function withCommonOptions(command: Command): Command {
  return command
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--sandbox', 'use the simulated sandbox account instead of AWS (also TRIMTAB_SANDBOX=1)')
    .option('-r, --region <region>', 'region to cover (repeatable); narrows the policies\' regions', collect)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'html', 'csv']).default('table'))
    .option('-v, --verbose', 'also show protected resources, with the reason')
    .option('--stage <name>', STAGE_HELP)
    // Several accounts (hub and spokes, docs/organizations.md): the output gains an ACCOUNT column.
    .option('--role-arn <arn>', 'also cover the account of this IAM role, assumed from your credentials (repeatable)', collect)
    .option('--profile <name>', 'cover the account of this AWS profile (repeatable)', collect)
    .option('--account <id>', "cover this member account through the organization's member role (repeatable; in the sandbox: the 'organization' scenario's accounts)", collect);
}

/** A one-line progress indicator on stderr, only when a person is watching. */
function progressReporter(): { onProgress?: (p: Progress) => void; done: () => void } {
  if (!process.stderr.isTTY) return { done: () => {} };
  let last = 0;
  return {
    onProgress(p) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const text = p.phase === 'list' ? `listing ${p.resourceType} in ${p.region}: ${p.listed} so far` : `acting: ${p.acted}/${p.total}`;
      process.stderr.write(`\r\x1b[2K${text}`);
    },
    done: () => process.stderr.write('\r\x1b[2K'),
  };
}

/** A file report (JSON, CSV, HTML) being written as the run goes: to a spool file, copied to stdout at the end. */
interface StreamedReport {
  spool: SpoolFile;
  stream: ReportStream;
}

async function execute(options: CommonOptions, mode: 'scan' | 'run', extra: { yes?: boolean } = {}): Promise<{ env: CliEnvironment; result: RunResult; report?: StreamedReport }> {
  const set = loadPolicies(options.policies);
  const { policies } = set;
  const env = await createEnvironment({ sandbox: options.sandbox, regions: options.region, stage: options.stage });
  if (wantsMultiAccount(options)) return { env, result: await executeFleet(set, env, options, mode, extra) };
  const progress = progressReporter();
  // JSON, CSV and HTML stream: each finding is written out when final, and the engine keeps only
  // those it acts on (docs/performance.md). The table is for people and sorts every finding: it keeps them.
  const report = options.output === 'table' ? undefined : startReport(env, options, mode === 'run');
  try {
    const result = await runPolicies(
      {
        policies,
        forceDryRun: mode === 'scan',
        regions: options.region,
        actor: 'cli',
        confirm: mode === 'run' ? (pending) => confirmWrites(pending, Boolean(extra.yes)) : undefined,
        ...(report ? { sink: report.stream } : {}),
      },
      { ...env.engineDeps(), onProgress: progress.onProgress },
    );
    return { env, result, report };
  } catch (error) {
    report?.spool.close();
    throw error;
  } finally {
    progress.done();
    await env.finish();
  }
}

/** scan/run over several accounts: one engine run per account × region (lib/org/fleet.ts). */
async function executeFleet(set: PolicySet, env: CliEnvironment, options: CommonOptions, mode: 'scan' | 'run', extra: { yes?: boolean }): Promise<RunResult> {
  try {
    if (mode === 'run' && !extra.yes) throw new TrimtabError('A run over several accounts applies changes in each of them: pass --yes, or use scan to only look.');
    const access = await multiAccountAccess(options, { account: env.account, clients: env.clients, region: env.defaultRegions[0] }, set);
    // In the sandbox the member accounts' own regions; on AWS the policies' or --region.
    const regions = env.sandbox && !options.region?.length
      ? [...new Set(access.accounts.flatMap((a) => Object.keys(env.sandbox!.state.accounts[a]?.regions ?? {})))].sort()
      : env.defaultRegions;
    const items = itemsForAccounts(set, access.accounts, regions.length ? regions : env.defaultRegions, options.region);
    const engine = { ...env.engineDeps(), accountClients: access.clientsFor };
    const fleet = await runFleet(items, set.policies, { engine, clientsFor: access.clientsFor }, { forceDryRun: mode === 'scan', actor: 'cli', concurrency: set.organization?.maxConcurrency ?? 8 });
    return fleetAsRunResult(fleet);
  } finally {
    await env.finish();
  }
}

async function confirmWrites(pending: FindingResult[], yes: boolean): Promise<boolean> {
  if (yes) return true;
  const saving = usd(pending.reduce((sum, f) => sum + f.savings.monthlyUsd, 0));
  if (!process.stdin.isTTY) {
    throw new TrimtabError(
      `${pending.length} change(s) in auto mode would be written (est. $${saving}/month), and stdin is not a terminal to confirm. ` +
        `Re-run with --yes to apply them, or use 'trimtab scan' to only look.`,
    );
  }
  process.stderr.write(`\nAuto-mode policies will make ${pending.length} change(s):\n`);
  for (const f of pending.slice(0, 20)) process.stderr.write(`  - ${f.plan!.summary}\n`);
  if (pending.length > 20) process.stderr.write(`  … and ${pending.length - 20} more\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`Apply them (est. $${saving}/month)? [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

function startReport(env: CliEnvironment, options: CommonOptions, includeActions: boolean): StreamedReport {
  const spool = new SpoolFile();
  const meta = { account: env.account, regions: options.region ?? env.defaultRegions, generatedAt: new Date(), command: includeActions ? 'run' : 'scan' } as const;
  return { spool, stream: reportStream(options.output as 'json' | 'csv' | 'html', spool.append, meta, { verbose: options.verbose, includeActions }) };
}

async function print(result: RunResult, env: CliEnvironment, options: CommonOptions, includeActions: boolean, report?: StreamedReport) {
  if (report) {
    try {
      report.stream.finish(result, env.apiCalls());
      await report.spool.copyTo(process.stdout);
    } finally {
      report.spool.close();
    }
    return;
  }
  if (isReportFormat(options.output)) {
    const meta = { account: env.account, regions: options.region ?? env.defaultRegions, generatedAt: new Date(), command: includeActions ? 'run' : 'scan', apiCalls: env.apiCalls(), verbose: options.verbose } as const;
    process.stdout.write(renderReport(options.output, result, meta));
    return;
  }
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(resultJson(result, env.apiCalls(), { verbose: options.verbose, includeActions }), null, 2)}\n`);
    return;
  }
  console.log(findingsTable(result, { verbose: options.verbose, accounts: wantsMultiAccount(options) }));
  if (includeActions && result.actions.length) console.log(`\n${actionsTable(result.actions)}`);
  for (const e of result.errors) console.log(`\n! ${e.resourceType} in ${e.region} could not be listed (${e.policies.join(', ')}): ${e.error}`);
  console.log(`\n${summaryLine(result, env.apiCalls())}`);
}

export function buildProgram(): Command {
  const program = new Command('trimtab')
    .description('Find AWS cost waste and fix it safely: dry-run, auto, or approval-gated.')
    .version(packageVersion(), '-V, --version', 'print the trimtab version')
    .showHelpAfterError('(run trimtab --help for usage)');
  program.hook('preAction', (_program, command) => usePackagedPoliciesWhenNone(command));

  program
    .command('validate')
    .description('check a policy file; exit 1 with every problem when it is invalid')
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .action((options: { policies: string }) => {
      const { policies } = loadPolicies(options.policies);
      const modes = policies.reduce<Record<string, number>>((acc, p) => ({ ...acc, [p.mode]: (acc[p.mode] ?? 0) + 1 }), {});
      const resources = new Set(policies.map((p) => p.resource));
      console.log(
        `${options.policies}: ${policies.length} valid polic${policies.length === 1 ? 'y' : 'ies'} on ${resources.size} resource type(s) (${Object.entries(modes)
          .map(([m, n]) => `${n} ${m}`)
          .join(', ')})`,
      );
    });

  withCommonOptions(program.command('scan'))
    .description('find waste and estimate savings; always read-only, whatever the policies\' modes')
    .action(async (options: CommonOptions) => {
      const { env, result, report } = await execute(options, 'scan');
      await print(result, env, options, false, report);
    });

  withCommonOptions(program.command('run'))
    .description('what the scheduled Lambda does: report, apply (auto) or ask for approval, per policy')
    .option('-y, --yes', 'apply auto-mode changes without asking (required when stdin is not a terminal)')
    .action(async (options: CommonOptions & { yes?: boolean }) => {
      const { env, result, report } = await execute(options, 'run', { yes: options.yes });
      await print(result, env, options, true, report);
      if (result.summary.actionsFailed > 0) process.exitCode = 1;
    });

  program
    .command('undo <action-id>')
    .description('undo a recorded action, where AWS allows it; refuses with the reason otherwise')
    .option('--sandbox', 'the action was taken in the sandbox account')
    .option('--stage <name>', "the action was taken by a deployed stage: read and update its audit table")
    .option('-r, --region <region>', "the stage's region (default: AWS_REGION or the profile's)")
    .action(async (id: string, options: { sandbox?: boolean; stage?: string; region?: string }) => {
      const env = await createEnvironment({ sandbox: options.sandbox, stage: options.stage, regions: options.region ? [options.region] : undefined });
      try {
        const record = await undoAction(id, env.engineDeps());
        console.log(`Undone: ${record.id} — ${record.transitions.at(-1)!.detail}`);
      } finally {
        await env.finish();
      }
    });

  program
    .command('history')
    .description('list recorded actions')
    .option('--resource <id>', 'only this resource (id or ARN)')
    .option('--policy <id>', 'only this policy')
    .option('--since <time>', 'only actions since this time (ISO date, or e.g. 7d, 12h)')
    .option('--sandbox', 'the sandbox account\'s history')
    .option('--findings', 'list recorded findings (what each run detected) instead of actions')
    .option('--stage <name>', "a deployed stage's history (its audit table; queries, never scans)")
    .option('-r, --region <region>', "the stage's region (default: AWS_REGION or the profile's)")
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (options: { resource?: string; policy?: string; since?: string; sandbox?: boolean; findings?: boolean; stage?: string; region?: string; output: string }) => {
      const filter = { resource: options.resource, policy: options.policy, since: parseSince(options.since) };
      // Local history needs no credentials; a stage's needs them (or the sandbox).
      const env = options.stage || process.env.TRIMTAB_AUDIT_TABLE ? await createEnvironment({ sandbox: options.sandbox, stage: options.stage, regions: options.region ? [options.region] : undefined }) : undefined;
      const store: ActionStore = env?.store ?? new JsonlActionStore(useSandbox(options.sandbox) ? sandboxHistoryFile() : undefined);
      try {
        if (options.findings) {
          const records = (await store.listFindings?.(filter)) ?? [];
          console.log(options.output === 'json' ? JSON.stringify(records, null, 2) : findingHistoryTable(records));
        } else {
          const records = await store.list(filter);
          console.log(options.output === 'json' ? JSON.stringify(records, null, 2) : historyTable(records));
        }
      } finally {
        env?.close();
      }
    });

  program
    .command('schema')
    .description('write the JSON Schema of the policy file, for editors')
    .option('--out <file>', 'write to this file instead of stdout')
    .action((options: { out?: string }) => {
      const text = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
      if (options.out) {
        writeFileSync(options.out, text);
        console.error(`wrote ${options.out}`);
      } else process.stdout.write(text);
    });

  const sandbox = program.command('sandbox').description('the simulated account used by the demo and the tests');
  sandbox
    .command('reset')
    .description('reseed the sandbox account (and clear its action history)')
    .option('--scenario <name>', `scenario: ${scenarios.ids().join(', ')}`, 'small-company')
    .action((options: { scenario: string }) => {
      const sb = resetSandbox(options.scenario);
      writeFileSync(sandboxHistoryFile(), '');
      writeFileSync(new JsonlActionStore(sandboxHistoryFile()).findingsFile, '');
      const account = Object.values(sb.state.accounts)[0];
      console.log(`Sandbox reset to '${options.scenario}' (${account?.name}, regions: ${Object.keys(account?.regions ?? {}).join(', ') || 'none'}).`);
    });

  program
    .command('invoke <function> <event-file>')
    .description('run a Lambda function (scan, event, alarm, alarm-sync) locally with a sample event from events/')
    .option('--sandbox', 'against the sandbox account (sets TRIMTAB_SANDBOX=1)')
    .action(async (fn: string, file: string, options: { sandbox?: boolean }) => {
      const { invokeLocal } = await import('../triggers/invoke-local.ts');
      console.log(JSON.stringify(await invokeLocal(fn, file, options), null, 2));
    });

  program
    .command('demo')
    .description('the whole pipeline on the sandbox: sweep, an alarm, approvals by email (local servers), summary')
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--approve-all', 'approve every request through its email link (GET the page, POST its form), without waiting for a person')
    .option('--port <port>', 'port of the local approval page (default: any free port)', Number)
    .option('--mail-port <port>', 'port of the local SES server and its mail page (default: any free port)', Number)
    .option('--wait <seconds>', 'how long to wait for clicks', Number, 600)
    .action(async (options: { policies: string; approveAll?: boolean; port?: number; mailPort?: number; wait: number }) => {
      const { runDemo } = await import('./demo.ts');
      await runDemo({ ...options, waitSeconds: options.wait });
    });

  registerApprovalCommands(program);
  registerOrgCommands(program);
  registerGettingStartedCommands(program); // resources, init, permissions, doctor
  return program;
}

/**
 * An installed trimtab runs from any folder: without -p and without ./trimtab.yml, commands use
 * the packaged default policies (and say so on stderr). Never for `run` on a real account: the
 * packaged policies include auto-mode fixes, and writes must follow policies the user chose.
 */
export function usePackagedPoliciesWhenNone(command: Command): void {
  if (command.getOptionValueSource('policies') !== 'default' || existsSync(command.getOptionValue('policies') as string)) return;
  if (command.name() === 'run' && !useSandbox(command.getOptionValue('sandbox') as boolean | undefined)) {
    throw new TrimtabError(`No ${DEFAULT_POLICY_FILE} in this folder: 'trimtab run' on an AWS account acts only on policies you wrote. Pass -p <file>, or run from the folder that holds your ${DEFAULT_POLICY_FILE}.`);
  }
  const file = packagedPolicyFile();
  command.setOptionValueWithSource('policies', file, 'default');
  console.error(`trimtab: no ${DEFAULT_POLICY_FILE} in this folder: using the packaged default policies (${file}).`);
}

export function parseSince(since: string | undefined): Date | undefined {
  if (!since) return undefined;
  const relative = /^(\d+)([dhm])$/.exec(since);
  if (relative) {
    const ms = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm'];
    return new Date(Date.now() - Number(relative[1]) * ms);
  }
  const date = new Date(since);
  if (Number.isNaN(date.getTime())) throw new TrimtabError(`--since '${since}' is neither a date (2026-11-01) nor a duration (7d, 12h, 30m).`);
  return date;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof PolicyValidationError) {
      console.error(error.message);
      process.exitCode = 1;
      return;
    }
    console.error(`trimtab: ${errorMessage(error)}`);
    if (process.env.TRIMTAB_DEBUG) console.error(error);
    process.exitCode = error instanceof TrimtabError ? 2 : 1;
  }
}
