/**
 * trimtab.yml compiled to JSON at package time (lib/policy/compile.ts, run by
 * lib/lambda/compile-policies-plugin.cjs before `osls package` bundles the functions). The
 * Lambda functions read this JSON: no YAML parser and no zod schema at start-up. The CLI keeps
 * reading the YAML with full validation (lib/policy/load.ts).
 *
 * A compiled file names its format and the SHA-256 of the YAML it was made from, and carries a
 * digest of both with the policies: a checksum that catches a damaged, truncated or hand-edited
 * file. It is NOT a signature: the digest is unkeyed, anyone can recompute it, so it proves
 * nothing about who made the file. What a loaded file may say is therefore checked at load
 * (checkPolicySet: known resource types, detectors and actions, modes, triggers, scope, limits,
 * approvers), so a forged file with a recomputed digest still cannot name an action trimtab does
 * not have, a mode that does not exist, or limits beyond the schema's.
 *
 * The trust boundary: the file ships inside each function's code package, beside the code that
 * reads it. Whoever can replace the file can replace the code; the deployment's integrity
 * (who may update the functions: lambda:UpdateFunctionCode, the deployment bucket) protects both.
 * Option values of detectors and actions are checked by the full schema when the YAML is compiled
 * (the CLI and `osls package`), not again here.
 * This module must stay free of yaml, zod and the registries: every function bundles it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PolicyValidationError } from '../util/errors.ts';
import type { PolicySet } from './load.ts';
import { POLICY_CATALOGUE } from './catalogue.ts';

/** Bump when the compiled shape changes: a function refuses a file of another format. */
export const COMPILED_POLICY_FORMAT = 'trimtab-policies/1';
/** The compiled file, beside trimtab.yml at package time and at the root of every function zip. */
export const COMPILED_POLICY_FILE = 'trimtab.policies.json';

export interface CompiledPolicies {
  format: string;
  /** The YAML it was compiled from: its name and SHA-256 (hex). */
  source: { file: string; sha256: string };
  policySet: PolicySet;
  /** SHA-256 (hex) of format, source and policySet as serialised here: a checksum against damage and hand edits, not a signature (unkeyed). */
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
  // The digest matched, which anyone can arrange: what the file says is checked all the same.
  const problems = checkPolicySet(policySet);
  if (problems.length) throw new PolicyValidationError(file, [...problems.slice(0, 20).map((p) => `${p}. ${remake}`), ...(problems.length > 20 ? [`and ${problems.length - 20} more problems`] : [])]);
  return policySet as PolicySet;
}

const MODES = ['dry-run', 'auto', 'approval'];
const POLICY_KEYS = new Set(['id', 'description', 'resource', 'detector', 'action', 'mode', 'triggers', 'scope', 'limits', 'approval', 'prices', 'requireComputeOptimizer', 'owned']);
const SCOPE_KEYS = new Set(['regions', 'accounts', 'organizationalUnits', 'includeTags', 'excludeTags', 'includeNames', 'excludeNames']);
const POLICY_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const RATE_OR_CRON = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const show = (v: unknown) => JSON.stringify(v)?.slice(0, 60) ?? String(v);

/**
 * The structure a compiled policy set must have, without zod (lean bundles): the shape the
 * schema (lib/policy/schema.ts) gives, ids from the catalogue of what trimtab has. One line per
 * problem, naming the policy and the key; empty when the set is sound.
 */
export function checkPolicySet(set: unknown): string[] {
  if (!isObject(set)) return ['policySet is not an object'];
  const problems: string[] = [];
  if (typeof set.file !== 'string') problems.push('policySet.file is not a string');
  if (!Array.isArray(set.policies)) return [...problems, 'policySet.policies is not a list'];
  if (set.organization !== undefined) {
    const org = set.organization;
    if (!isObject(org)) problems.push('organization is not an object');
    else {
      if (org.id !== undefined && (typeof org.id !== 'string' || !/^o-[a-z0-9]{10,32}$/.test(org.id))) problems.push(`organization.id ${show(org.id)} is not an organization id (o-…)`);
      if (!Array.isArray(org.accounts) || !org.accounts.every((a) => typeof a === 'string' && /^\d{12}$/.test(a))) problems.push('organization.accounts is not a list of 12-digit account ids');
      if (!isObject(org.memberRole) || typeof org.memberRole.name !== 'string') problems.push('organization.memberRole.name is missing');
    }
  }
  const ids = new Set<string>();
  set.policies.forEach((policy: unknown, i: number) => {
    if (!isObject(policy)) return problems.push(`policies[${i}] is not an object`);
    const where = typeof policy.id === 'string' && POLICY_ID.test(policy.id) ? `policy '${policy.id}'` : `policies[${i}]`;
    const bad = (what: string) => problems.push(`${where}: ${what}`);
    if (typeof policy.id !== 'string' || !POLICY_ID.test(policy.id)) bad(`id ${show(policy.id)} is not a policy id`);
    else if (ids.has(policy.id)) bad('the id is used twice');
    else ids.add(policy.id);
    for (const key of Object.keys(policy)) if (!POLICY_KEYS.has(key)) bad(`unknown key '${key}'`);
    if (policy.owned !== undefined) {
      const owned = policy.owned;
      if (!isObject(owned) || Object.keys(owned).some((k) => k !== 'choice' && k !== 'terraformTag' && k !== 'terraformState')) bad('owned is not { choice?, terraformTag?, terraformState? }');
      else if (owned.choice !== undefined && !['report', 'via-owner', 'direct', 'skip'].includes(owned.choice as string)) bad(`owned.choice ${show(owned.choice)} is not report, via-owner, direct or skip`);
      else if (owned.terraformTag !== undefined && typeof owned.terraformTag !== 'string') bad('owned.terraformTag is not a string');
      else if (owned.terraformState !== undefined && (!Array.isArray(owned.terraformState) || !owned.terraformState.every((r) => isObject(r) && typeof r.bucket === 'string' && typeof r.key === 'string'))) bad('owned.terraformState is not a list of { bucket, key }');
    }
    const resource = typeof policy.resource === 'string' ? POLICY_CATALOGUE[policy.resource] : undefined;
    if (!resource || !Object.hasOwn(POLICY_CATALOGUE, policy.resource as string)) bad(`unknown resource type ${show(policy.resource)}. Valid: ${Object.keys(POLICY_CATALOGUE).join(', ')}`);
    const detector = policy.detector;
    if (!isObject(detector) || typeof detector.type !== 'string') bad('detector has no type');
    else if (resource && !resource.detectors.includes(detector.type)) bad(`unknown detector '${detector.type}' for ${policy.resource as string}. Valid: ${resource.detectors.join(', ')}`);
    const action = policy.action;
    if (action !== undefined) {
      if (!isObject(action) || typeof action.type !== 'string') bad('action has no type');
      else if (resource && !resource.actions.includes(action.type)) bad(`unknown action '${action.type}' for ${policy.resource as string}. Valid: ${resource.actions.join(', ') || 'none (report only)'}`);
    }
    if (!MODES.includes(policy.mode as string)) bad(`unknown mode ${show(policy.mode)}. Valid: ${MODES.join(', ')}`);
    if (policy.mode === 'approval' && !(isObject(policy.approval) && Array.isArray(policy.approval.approvers) && policy.approval.approvers.length)) bad('approval mode with no approvers');
    if (!Array.isArray(policy.triggers)) bad('triggers is not a list');
    else
      policy.triggers.forEach((t: unknown, j: number) => {
        const keys = isObject(t) ? Object.keys(t) : [];
        const ok =
          isObject(t) &&
          keys.length === 1 &&
          ((keys[0] === 'schedule' && typeof t.schedule === 'string' && RATE_OR_CRON.test(t.schedule)) ||
            (keys[0] === 'event' && isObject(t.event)) ||
            (keys[0] === 'alarm' && (typeof t.alarm === 'string' || (isObject(t.alarm) && typeof t.alarm.prefix === 'string'))));
        if (!ok) bad(`triggers[${j}] ${show(t)} is not a schedule, event or alarm trigger`);
      });
    const scope = policy.scope;
    if (!isObject(scope)) bad('scope is not an object');
    else
      for (const [key, value] of Object.entries(scope)) {
        if (!SCOPE_KEYS.has(key)) bad(`unknown scope key '${key}'`);
        else if (key.endsWith('Tags') ? !isObject(value) : !isStringArray(value)) bad(`scope.${key} has the wrong shape`);
      }
    const limits = policy.limits;
    const inRange = (v: unknown, max: number, int: boolean) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max && (!int || Number.isInteger(v));
    if (!isObject(limits) || !inRange(limits.maxActionsPerRun, 10_000, true) || !inRange(limits.cooldownHours, 24 * 365, false)) {
      bad(`limits ${show(limits)} are not { maxActionsPerRun: 0–10000, cooldownHours: 0–8760 }`);
    }
    const approval = policy.approval;
    if (approval !== undefined) {
      if (!isObject(approval) || !Array.isArray(approval.approvers) || approval.approvers.length === 0 || !approval.approvers.every((a) => typeof a === 'string' && EMAIL.test(a))) {
        bad('approval.approvers is not a list of email addresses');
      } else if (!inRange(approval.timeoutHours, 24 * 365, false) || (approval.timeoutHours as number) < 0.01) bad('approval.timeoutHours is not 0.01–8760');
    }
  });
  return problems;
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
