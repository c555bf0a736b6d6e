/**
 * `node --import tsx lib/policy/compile.ts [trimtab.yml] [trimtab.policies.json]`: validates the
 * policy file with the full schema (the errors the CLI prints: file, line, policy, key) and
 * writes the compiled JSON the Lambda functions load (lib/policy/compiled.ts). `osls package`
 * runs it first (lib/lambda/compile-policies-plugin.cjs). Exit 1 and nothing written on a bad file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { COMPILED_POLICY_FILE, compilePolicySet, type CompiledPolicies } from './compiled.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { DEFAULT_POLICY_FILE, loadPolicies } from './load.ts';

/** Validates `source` and writes its compiled form to `target`. */
export function compilePolicyFile(source = DEFAULT_POLICY_FILE, target = COMPILED_POLICY_FILE): CompiledPolicies {
  const set = loadPolicies(source);
  const compiled = compilePolicySet(set, readFileSync(source, 'utf8'));
  writeFileSync(target, `${JSON.stringify(compiled)}\n`);
  return compiled;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [source, target] = process.argv.slice(2);
  try {
    const compiled = compilePolicyFile(source, target);
    process.stdout.write(`${compiled.source.file}: ${compiled.policySet.policies.length} policies compiled to ${target ?? COMPILED_POLICY_FILE}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
