/**
 * trimtab.yml compiled to JSON at package time (lib/policy/compile.ts, run by
 * lib/lambda/compile-policies-plugin.cjs before `osls package` bundles the functions). The
 * Lambda functions read this JSON: no YAML parser and no zod schema at start-up. The CLI keeps
 * reading the YAML with full validation (lib/policy/load.ts).
 *
 * A compiled file names its format and the SHA-256 of the YAML it was made from, and carries a
 * digest of both with the policies: a file not made by this compiler (hand-edited, truncated,
 * another format version) is refused with an error that says how to make a good one.
 * This module must stay free of yaml, zod and the registries: every function bundles it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PolicyValidationError } from '../util/errors.ts';
import type { PolicySet } from './load.ts';

/** Bump when the compiled shape changes: a function refuses a file of another format. */
export const COMPILED_POLICY_FORMAT = 'trimtab-policies/1';
/** The compiled file, beside trimtab.yml at package time and at the root of every function zip. */
export const COMPILED_POLICY_FILE = 'trimtab.policies.json';

export interface CompiledPolicies {
  format: string;
  /** The YAML it was compiled from: its name and SHA-256 (hex). */
  source: { file: string; sha256: string };
  policySet: PolicySet;
  /** SHA-256 (hex) of format, source and policySet as serialised here: proves the file is whole and unedited. */
  digest: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const digestOf = (c: Omit<CompiledPolicies, 'digest'>) => sha256(JSON.stringify({ format: c.format, source: c.source, policySet: c.policySet }));

/** The compiled form of a validated policy set (`set` comes from parsePolicies/loadPolicies on `sourceText`). */
export function compilePolicySet(set: PolicySet, sourceText: string, sourceFile = set.file): CompiledPolicies {
  const body = { format: COMPILED_POLICY_FORMAT, source: { file: sourceFile, sha256: sha256(sourceText) }, policySet: set };
  return { ...body, digest: digestOf(body) };
}

export const sourceHash = sha256;

/** Reads a compiled file, refusing anything this compiler did not make. `file` names it in errors. */
export function readCompiledPolicies(text: string, file: string): PolicySet {
  const remake = `Make it with 'npx osls package' (or 'node --import tsx lib/policy/compile.ts'); the CLI validates trimtab.yml with 'npx trimtab validate'.`;
  let parsed: Partial<CompiledPolicies>;
  try {
    parsed = JSON.parse(text) as Partial<CompiledPolicies>;
  } catch (error) {
    throw new PolicyValidationError(file, [`not JSON (${(error as Error).message}). ${remake}`]);
  }
  if (!parsed || typeof parsed !== 'object' || parsed.format !== COMPILED_POLICY_FORMAT) {
    const found = parsed && typeof parsed === 'object' && typeof parsed.format === 'string' ? `'${parsed.format.slice(0, 60)}'` : 'none';
    throw new PolicyValidationError(file, [`not a compiled policy file of format '${COMPILED_POLICY_FORMAT}' (format: ${found}). ${remake}`]);
  }
  const { source, policySet, digest } = parsed;
  if (!source || typeof source.sha256 !== 'string' || !policySet || !Array.isArray(policySet.policies) || typeof digest !== 'string') {
    throw new PolicyValidationError(file, [`a compiled policy file needs source, policySet and digest. ${remake}`]);
  }
  if (digestOf({ format: parsed.format, source, policySet }) !== digest) {
    throw new PolicyValidationError(file, [`its digest does not match its content: it was edited or damaged after it was compiled from ${source.file}. ${remake}`]);
  }
  return policySet;
}

export function loadCompiledPolicies(file: string): PolicySet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyValidationError(file, [`cannot read the compiled policy file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return readCompiledPolicies(text, file);
}
