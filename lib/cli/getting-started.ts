/**
 * Commands for a user's first hour on a real account: `trimtab resources` (what there is),
 * `trimtab init` (a starter trimtab.yml, every policy in dry-run), `trimtab permissions` (the
 * least-privilege IAM policy for the CLI) and `trimtab doctor` (are credentials, region, policy
 * file and permissions in order?). Heavy modules load when a command runs, not at start-up.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { invokedAs } from './invoked.ts';
import { Option, type Command } from 'commander';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { DEFAULT_POLICY_FILE } from '../policy/load.ts';
import { TrimtabError } from '../util/errors.ts';
import { registerResourceCommands } from './resources.ts';

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const collect = (value: string, previous: string[] = []) => [...previous, value];
const modeOption = () => new Option('--mode <mode>', "what the CLI will do: 'scan' (read-only) or 'run' (also the writes of auto-mode policies)").choices(['scan', 'run']).default('scan');

export function registerGettingStartedCommands(program: Command): void {
  registerResourceCommands(program);

  program
    .command('init')
    .description('write a starter trimtab.yml for a real account: every policy in dry-run, with comments, no approvers')
    .option('--out <file>', 'where to write it', DEFAULT_POLICY_FILE)
    .option('-r, --region <region>', 'regions the policies cover (repeatable; default: your profile\'s region)', collect)
    .option('--force', 'overwrite an existing file')
    .action(async (options: { out: string; region?: string[]; force?: boolean }) => {
      for (const r of options.region ?? []) if (!REGION_NAME.test(r)) throw new TrimtabError(`--region '${r}' is not an AWS region name, e.g. us-east-1`);
      if (existsSync(options.out) && !options.force) throw new TrimtabError(`${options.out} already exists; it was not changed. Pass --force to overwrite it, or --out another file.`);
      const { starterPolicyFile } = await import('./starter.ts');
      const { parsePolicies } = await import('../policy/load.ts');
      const text = starterPolicyFile({ regions: options.region });
      const set = parsePolicies(text, options.out); // never write a file that would not validate
      (await import('./main.ts')).writeOutput(options.out, text);
      console.log(`Wrote ${options.out}: ${set.policies.length} policies, all in dry-run (they report and change nothing).`);
      console.log(`Next: ${invokedAs()} doctor${options.out === DEFAULT_POLICY_FILE ? '' : ` -p ${options.out}`}   then   ${invokedAs()} scan${options.out === DEFAULT_POLICY_FILE ? '' : ` -p ${options.out}`}`);
    });

  program
    .command('permissions')
    .description('print the least-privilege IAM policy (JSON) the CLI needs for these policies: read-only for scan, plus the writes for run')
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .addOption(modeOption())
    .option('--account-id <id>', 'fill in the account in resource ARNs (default: *)')
    .option('--partition <name>', 'aws, aws-cn or aws-us-gov', 'aws')
    .action(async (options: { policies: string; mode: 'scan' | 'run'; accountId?: string; partition: string }) => {
      const { loadPolicies } = await import('../policy/load.ts');
      const { cliPolicyDocument, permissionNotes } = await import('./permissions.ts');
      const { policies } = loadPolicies(options.policies);
      const doc = cliPolicyDocument(policies, options.mode, { partition: options.partition, account: options.accountId });
      console.log(JSON.stringify(doc, null, 2));
      for (const note of permissionNotes(policies, options.mode, doc)) console.error(`note: ${note}`);
    });

  program
    .command('doctor')
    .description('check credentials (STS), region, the policy file, and with iam:SimulatePrincipalPolicy whether you have the permissions it needs')
    .option('-p, --policies <file>', 'policy file', DEFAULT_POLICY_FILE)
    .addOption(modeOption())
    .option('-r, --region <region>', 'the region to check (default: AWS_REGION or your profile\'s)')
    .option('--sandbox', 'check against the simulated sandbox account (also TRIMTAB_SANDBOX=1)')
    .action(async (options: { policies: string; mode: 'scan' | 'run'; region?: string; sandbox?: boolean }) => {
      const { doctorReport, runDoctor } = await import('./doctor.ts');
      const checks = await runDoctor(options);
      console.log(doctorReport(checks, options));
      if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
    });
}
