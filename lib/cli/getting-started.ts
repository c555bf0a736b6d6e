/**
 * Commands for a user's first hour on a real account: `trimtab resources` (what there is),
 * `trimtab init` (a starter trimtab.yml, every policy in dry-run), `trimtab permissions` (the
 * least-privilege IAM policy for the CLI) and `trimtab doctor` (are credentials, region, policy
 * file and permissions in order?).
 */
import type { Command } from 'commander';
import { registerResourceCommands } from './resources.ts';

export function registerGettingStartedCommands(program: Command): void {
  registerResourceCommands(program);
}
