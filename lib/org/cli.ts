/**
 * `trimtab org …` and the multi-account options of `trimtab scan|run`:
 * --role-arn (repeatable: assume each role from the current credentials), --profile
 * (repeatable: one named profile per account), --account (repeatable: member accounts through
 * the organization's member role; in the sandbox, the `organization` scenario's accounts).
 */
import { writeFileSync } from 'node:fs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { AwsClients } from '../aws/clients.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { DEFAULT_POLICY_FILE, loadPolicies, type PolicySet } from '../policy/load.ts';
import { TrimtabError, errorMessage } from '../util/errors.ts';
import { organizationSchema } from './config.ts';
import { MEMBER_TEMPLATE_FILE, memberTemplateText } from './deploy.ts';
import { MemberAccessError, MemberRoles } from './roles.ts';
import type { SweepItem } from './targets.ts';
import { sweepItems } from './targets.ts';

export interface MultiAccountOptions {
  roleArn?: string[];
  profile?: string[];
  account?: string[];
}

export const wantsMultiAccount = (o: MultiAccountOptions) => Boolean(o.roleArn?.length || o.profile?.length || o.account?.length);

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** Account id of each --role-arn; a malformed ARN is an error naming it. */
export function accountsOfRoleArns(arns: string[]): Record<string, string> {
  const byAccount: Record<string, string> = {};
  for (const arn of arns) {
    const match = ROLE_ARN.exec(arn);
    if (!match) throw new TrimtabError(`--role-arn '${arn}' is not an IAM role ARN (arn:aws:iam::111111111111:role/name).`);
    byAccount[match[1]] = arn;
  }
  return byAccount;
}

/**
 * How to enter each account, and the account list: --role-arn and --account through STS from the
 * hub's credentials, --profile with each profile's own credentials (GetCallerIdentity names its account).
 */
export async function multiAccountAccess(options: MultiAccountOptions, hub: { account: string; clients: AwsClients; region: string }, set: PolicySet) {
  // A profile's clients go to AWS with that profile's credentials: with --sandbox they would read, and
  // with run --yes change, a real account while the user believes nothing leaves the machine.
  if (hub.clients.options.interceptor && options.profile?.length) {
    throw new TrimtabError(`--profile ${options.profile[0]} names real AWS credentials and cannot be used with --sandbox: nothing was read or changed. In the sandbox, name member accounts with --account (the organization scenario's accounts), or drop --sandbox to use the profile.`);
  }
  const roleArns = accountsOfRoleArns(options.roleArn ?? []);
  const roles = new MemberRoles({ hub: hub.clients, hubAccount: hub.account, config: set.organization ?? organizationSchema.parse({}), stage: process.env.TRIMTAB_STAGE, region: hub.region, roleArns });
  const profiles = new Map<string, AwsClients>();
  for (const profile of options.profile ?? []) {
    const clients = new AwsClients({ allowWrites: false, clientConfig: { profile } });
    let account: string;
    try {
      account = (await clients.get(STSClient, hub.region).send(new GetCallerIdentityCommand({}))).Account!;
    } catch (error) {
      throw new TrimtabError(`--profile ${profile}: cannot read its identity (${errorMessage(error)}). Check 'aws sts get-caller-identity --profile ${profile}'.`);
    }
    profiles.set(account, new AwsClients({ account, allowWrites: false, clientConfig: { profile } }));
  }
  const accounts = [...new Set([...Object.keys(roleArns), ...profiles.keys(), ...(options.account ?? [])])].sort();
  for (const a of options.account ?? []) if (!/^\d{12}$/.test(a)) throw new TrimtabError(`--account '${a}' is not a 12-digit account id.`);
  const clientsFor = async (account: string) => profiles.get(account) ?? roles.clientsFor(account);
  return { accounts, clientsFor };
}

/** The items for explicit accounts: each policy in each named account its scope allows. */
export function itemsForAccounts(set: PolicySet, accounts: string[], defaultRegions: string[], regions?: string[]): SweepItem[] {
  const org = { ...(set.organization ?? organizationSchema.parse({})), accounts };
  const planned = sweepItems(set.policies, org, { hubAccount: accounts[0], defaultRegions, accounts, regions });
  return planned;
}

export { MemberAccessError };

export function registerOrgCommands(program: Command) {
  const org = program.command('org').description('hub and spokes: an AWS Organization (docs/organizations.md)');
  org
    .command('member-template')
    .description(`write the member-account CloudFormation template (StackSet) generated from the policies (default ${MEMBER_TEMPLATE_FILE})`)
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .option('--out <file>', 'where to write it', MEMBER_TEMPLATE_FILE)
    .option('--check', 'exit 1 if the file differs from what the policies generate (CI)')
    .action(async (options: { policies: string; out: string; check?: boolean }) => {
      const text = memberTemplateText(loadPolicies(options.policies));
      if (options.check) {
        const { readFileSync, existsSync } = await import('node:fs');
        if (!existsSync(options.out) || readFileSync(options.out, 'utf8') !== text) {
          console.error(`${options.out} is out of date: run 'trimtab org member-template' and commit it.`);
          process.exitCode = 1;
        } else console.log(`${options.out} is up to date.`);
        return;
      }
      writeFileSync(options.out, text);
      console.error(`wrote ${options.out}`);
    });
}

/** A fleet's result in the single-run shape the CLI prints; a failed item becomes an error line naming its account. */
export function fleetAsRunResult(fleet: import('./fleet.ts').FleetResult): import('../engine/run.ts').RunResult {
  const counted = fleet.findings.filter((f) => f.status !== 'protected');
  return {
    findings: fleet.findings,
    actions: fleet.actions,
    errors: fleet.items.flatMap((i) =>
      i.status === 'failed'
        ? [{ policies: i.policies, region: i.region, resourceType: `account ${i.account}`, error: i.error?.message ?? 'failed' }]
        : i.errors.map((e) => ({ ...e, resourceType: `${e.resourceType} (account ${i.account})` })),
    ),
    unevaluated: fleet.items.flatMap((i) => i.unevaluated ?? []),
    summary: {
      findings: counted.length,
      actionable: fleet.findings.filter((f) => f.status === 'actionable').length,
      protected: fleet.findings.filter((f) => f.status === 'protected').length,
      conflicts: fleet.findings.filter((f) => f.status === 'conflict').length,
      estimatedMonthlySavingsUsd: fleet.summary.estimatedMonthlySavingsUsd,
      actionsApplied: fleet.summary.actionsApplied,
      actionsFailed: fleet.summary.actionsFailed,
      awaitingApproval: fleet.findings.filter((f) => f.outcome === 'awaiting-approval').length,
      notEvaluated: fleet.items.reduce((n, i) => n + (i.unevaluated ?? []).reduce((m, u) => m + u.count, 0), 0),
      durationMs: fleet.summary.durationMs,
    },
  };
}
