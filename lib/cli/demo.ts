/**
 * `npm run demo`: the whole job on the sandbox account, with no AWS and no network.
 * Resets the sandbox, sweeps it with the default policies, applies what auto-mode policies
 * allow, and prints findings, actions, a summary and how to undo each action.
 */
import { writeFileSync } from 'node:fs';
import { JsonlActionStore } from '../audit/store.ts';
import { runPolicies } from '../engine/run.ts';
import { loadPolicies } from '../policy/load.ts';
import { resetSandbox } from '../sandbox/index.ts';
import { usd } from '../savings/prices.ts';
import { createEnvironment, sandboxHistoryFile } from './env.ts';
import { actionsTable, findingsTable, summaryLine } from './format.ts';

const heading = (text: string) => console.log(`\n\x1b[1m${text}\x1b[0m\n${'═'.repeat(text.length)}`);

export async function runDemo(options: { policies: string }) {
  const { policies } = loadPolicies(options.policies);
  resetSandbox();
  writeFileSync(sandboxHistoryFile(), '');
  writeFileSync(new JsonlActionStore(sandboxHistoryFile()).findingsFile, '');
  const env = await createEnvironment({ sandbox: true });
  heading(`1. The scheduled sweep: ${policies.length} policies over the sandbox account (${env.account}, ${env.defaultRegions.join(', ')})`);
  const byMode = (mode: string) => policies.filter((p) => p.mode === mode).map((p) => p.id);
  console.log(`auto: ${byMode('auto').join(', ') || '-'}\napproval: ${byMode('approval').join(', ') || '-'}\ndry-run: ${byMode('dry-run').join(', ') || '-'}`);
  const result = await runPolicies(
    { policies, actor: 'demo' },
    env.engineDeps(),
  );
  await env.finish();

  heading('Findings');
  console.log(findingsTable(result, { verbose: true }));
  heading('Actions taken by auto-mode policies');
  console.log(actionsTable(result.actions));

  const applied = result.actions.filter((a) => a.status === 'verified');
  const savedNow = usd(applied.reduce((sum, a) => sum + a.estimatedMonthlySavingsUsd, 0));
  heading('Summary');
  console.log(summaryLine(result, env.apiCalls()));
  console.log(`Estimated waste found: $${result.summary.estimatedMonthlySavingsUsd}/month; fixed by this run: $${savedNow}/month.`);
  if (result.summary.awaitingApproval) console.log(`${result.summary.awaitingApproval} finding(s) await approval.`);
  console.log('\nTry next:');
  console.log('  npx trimtab scan --sandbox            # what is left (read-only)');
  console.log('  npx trimtab history --sandbox         # the action records');
  if (applied[0]) console.log(`  npx trimtab undo ${applied[0].id} --sandbox`);
}
