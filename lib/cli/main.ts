/**
 * The `trimtab` command. The same engine as the Lambda functions, from a laptop.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isKnownRegion, unknownRegionMessage } from '../aws/regions.ts';
import { JsonlActionStore, type ActionStore } from '../audit/store.ts';
import { runPolicies, type FindingResult, type Progress, type RunResult } from '../engine/run.ts';
import { undoAction } from '../engine/undo.ts';
import { unevaluatedLine } from '../engine/partial.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { DEFAULT_POLICY_FILE, loadPolicies } from '../policy/load.ts';
import { policyJsonSchema } from '../policy/schema.ts';
import { resetSandbox } from '../sandbox/index.ts';
import { scenarios } from '../sandbox/scenarios/index.ts';
import { money } from '../report/totals.ts';
import { PolicyValidationError, TrimtabError, errorMessage } from '../util/errors.ts';
import { createEnvironment, sandboxHistoryFile, useSandbox, type CliEnvironment } from './env.ts';
import { packagedPolicyFile, packageVersion } from './package-files.ts';
import { actionsTable, findingHistoryTable, findingsTable, historyTable, fitParts, leftOutLines, outputWidth, resultJson, summaryLine, wrap } from './format.ts';
import { registerApprovalCommands } from './approvals.ts';
import { undoHint } from './invoked.ts';
import { registerGettingStartedCommands } from './getting-started.ts';
import { cliPriceBook, registerPricesCommands } from './prices.ts';
import { isReportFormat, renderReport } from '../report/index.ts';
import { reportStream, SpoolFile, type ReportStream } from '../report/stream.ts';
import { fleetAsRunResult, itemsForAccounts, multiAccountAccess, registerOrgCommands, wantsMultiAccount } from '../org/cli.ts';
import { runFleet } from '../org/fleet.ts';
import type { Policy, PolicySet } from '../policy/load.ts';
import { policiesForSchedule } from '../lambda/input.ts';

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
  /** Exit 1 when a read failed: a detector could not be evaluated, or a resource type could not be listed. */
  strict?: boolean;
}

const STAGE_HELP = "record in a deployed stage's audit table (trimtab-<stage>-audit) instead of the local file";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** --region: repeatable, and a region AWS has (a misspelt one would scan nothing and say "No findings"). */
const collectRegion = (value: string, previous: string[] = []) => {
  if (!isKnownRegion(value)) throw new InvalidArgumentError(unknownRegionMessage(value));
  return [...previous, value];
};

function withCommonOptions(command: Command): Command {
  return command
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--sandbox', 'use the simulated sandbox account instead of AWS (also TRIMTAB_SANDBOX=1)')
    .option('-r, --region <region>', 'region to cover (repeatable); narrows the policies\' regions', collectRegion)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'html', 'csv']).default('table'))
    .option('-v, --verbose', 'also show protected resources, with the reason')
    .option('--stage <name>', STAGE_HELP)
    .option('--strict', 'exit 1 when a read failed: a detector could not be evaluated on some resources, or a resource type could not be listed (docs/partial-failures.md)')
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
  const loaded = loadPolicies(options.policies);
  const set = mode === 'run' ? { ...loaded, policies: scheduledPolicies(loaded.policies) } : loaded;
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
      { ...env.engineDeps(), onProgress: progress.onProgress, priceBook: cliPriceBook(env) },
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

/**
 * `run` does what the scheduled Lambda does: the policies with a schedule trigger. Alarm- and
 * event-only policies run on their triggers (the alarm and event functions; `trimtab invoke`
 * locally): said on stderr, with their ids, when the file has any.
 */
export function scheduledPolicies(policies: Policy[], note: (line: string) => void = (line) => console.error(line)): Policy[] {
  const scheduled = policiesForSchedule(policies, {});
  const left = policies.filter((p) => !scheduled.includes(p));
  if (left.length) {
    const triggers = (p: Policy) => [...new Set(p.triggers.map((t) => Object.keys(t)[0]))].join('/');
    note(
      `trimtab: run covers the ${scheduled.length} scheduled polic${scheduled.length === 1 ? 'y' : 'ies'}, as the scheduled Lambda does; ` +
        `${left.length} run only on their trigger and are left out: ${left.map((p) => `${p.id} (${triggers(p)})`).join(', ')}. ` +
        `Try one with 'invoke alarm|event <event-file> --sandbox'.`,
    );
  }
  return scheduled;
}

async function confirmWrites(pending: FindingResult[], yes: boolean): Promise<boolean> {
  if (yes) return true;
  const saving = money(pending.reduce((sum, f) => sum + f.savings.monthlyUsd, 0));
  if (!process.stdin.isTTY) {
    throw new TrimtabError(
      `${pending.length} change(s) in auto mode would be written (est. ${saving}/month), and stdin is not a terminal to confirm. ` +
        `Re-run with --yes to apply them, or use 'trimtab scan' to only look.`,
    );
  }
  process.stderr.write(`\nAuto-mode policies will make ${pending.length} change(s):\n`);
  for (const f of pending.slice(0, 20)) process.stderr.write(`  - ${f.plan!.summary}\n`);
  if (pending.length > 20) process.stderr.write(`  … and ${pending.length - 20} more\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`Apply them (est. ${saving}/month)? [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

function startReport(env: CliEnvironment, options: CommonOptions, includeActions: boolean): StreamedReport {
  const spool = new SpoolFile();
  const meta = { account: env.account, regions: options.region ?? env.defaultRegions, generatedAt: new Date(), command: includeActions ? 'run' : 'scan', undoCommand: (id: string) => undoHint(id, Boolean(env.sandbox)) } as const;
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
    const meta = { account: env.account, regions: options.region ?? env.defaultRegions, generatedAt: new Date(), command: includeActions ? 'run' : 'scan', apiCalls: env.apiCalls(), verbose: options.verbose, undoCommand: (id: string) => undoHint(id, Boolean(env.sandbox)) } as const;
    process.stdout.write(renderReport(options.output, result, meta));
    return;
  }
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(resultJson(result, env.apiCalls(), { verbose: options.verbose, includeActions }), null, 2)}\n`);
    return;
  }
  console.log(findingsTable(result, { verbose: options.verbose, accounts: wantsMultiAccount(options) }));
  if (includeActions && result.actions.length) console.log(`\n${actionsTable(result.actions, { sandbox: Boolean(env.sandbox) })}`);
  const left = leftOutLines(result);
  if (left) console.log(`\n${left}`);
  // Every line fits the terminal (80 columns in a pipe without $COLUMNS): the notes and the summary wrap.
  const width = outputWidth();
  const fitted = (text: string) => wrap(text, width, '  ').join('\n');
  for (const e of result.errors) console.log(`\n${fitted(`! ${e.resourceType} in ${e.region} could not be listed (${e.policies.join(', ')}): ${e.error}`)}`);
  for (const u of result.unevaluated ?? []) console.log(`\n${fitted(`! ${unevaluatedLine(u)}`)}`);
  console.log(`\n${fitParts(summaryLine(result, env.apiCalls()), width)}`);
}

/**
 * --strict: a run that could not read everything it needed exits 1 (the exit code of "a check
 * or an action failed", docs/cli.md#exit-codes), after printing its report. Without it, exit 0:
 * what could be evaluated was, and the output says what was not.
 */
function strictExit(result: RunResult, options: CommonOptions) {
  const gaps = result.unevaluated?.length ?? 0;
  if (!options.strict || (gaps === 0 && result.errors.length === 0)) return;
  const parts = [gaps ? `${result.summary.notEvaluated ?? gaps} detector × resource pair(s) not evaluated` : '', result.errors.length ? `${result.errors.length} listing(s) failed` : ''].filter(Boolean);
  console.error(`trimtab: --strict: ${parts.join(', ')} because a read failed (see the report).`);
  process.exitCode = 1;
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
      strictExit(result, options);
    });

  withCommonOptions(program.command('run'))
    .description('what the scheduled Lambda does: the scheduled policies (not alarm- or event-only ones), each reported, applied (auto) or sent for approval')
    .option('-y, --yes', 'apply auto-mode changes without asking (required when stdin is not a terminal)')
    .action(async (options: CommonOptions & { yes?: boolean }) => {
      const { env, result, report } = await execute(options, 'run', { yes: options.yes });
      await print(result, env, options, true, report);
      if (result.summary.actionsFailed > 0) process.exitCode = 1;
      strictExit(result, options);
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
        writeOutput(options.out, text);
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
      // The handlers read TRIMTAB_POLICY_FILE, else ./trimtab.yml: outside a folder with one, the packaged policies.
      if (!process.env.TRIMTAB_POLICY_FILE && !existsSync(DEFAULT_POLICY_FILE)) {
        process.env.TRIMTAB_POLICY_FILE = packagedPolicyFile();
        console.error(`trimtab: no ${DEFAULT_POLICY_FILE} in this folder: using the packaged default policies (${process.env.TRIMTAB_POLICY_FILE}).`);
      }
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
    .action(async (options: { policies: string; approveAll?: boolean; port?: number; mailPort?: number; wait: number }, command: Command) => {
      const { runDemo } = await import('./demo.ts');
      await runDemo({ ...options, policies: demoPolicyFile(options.policies, command.getOptionValueSource('policies') === 'default'), waitSeconds: options.wait });
    });

  registerApprovalCommands(program);
  registerOrgCommands(program);
  registerGettingStartedCommands(program); // resources, init, permissions, doctor
  registerPricesCommands(program, createEnvironment); // prices refresh (issue 27)
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

/**
 * The demo shows changes being made: a policy file with no auto- or approval-mode policy (the
 * starter `trimtab init` writes is all dry-run) would demonstrate nothing. Not named with -p: the
 * packaged demo policies, said on stderr. Named: used as given, with a note.
 */
export function demoPolicyFile(file: string, byDefault: boolean, note: (line: string) => void = (line) => console.error(line)): string {
  const { policies } = loadPolicies(file);
  if (policies.some((p) => p.mode !== 'dry-run')) return file;
  if (!byDefault) {
    note(`trimtab: every policy in ${file} is in dry-run, so the demo will report and change nothing. Run it without -p for the packaged demo policies.`);
    return file;
  }
  const packaged = packagedPolicyFile();
  note(`trimtab: every policy in ${file} is in dry-run (the starter 'init' writes), so the demo uses the packaged demo policies (${packaged}); your ${file} is not used or changed.`);
  return packaged;
}

/** Writes a file the user named (--out), or says plainly why not (a missing folder, a folder in the way, no permission). */
export function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = { ENOENT: `the folder ${dirname(resolve(file))} does not exist (create it first)`, EISDIR: `${file} is a folder`, EACCES: 'permission denied', EROFS: 'the file system is read-only' }[code ?? ''];
    throw new TrimtabError(`Cannot write ${file}: ${why ?? errorMessage(error)}. Nothing was written.`);
  }
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
