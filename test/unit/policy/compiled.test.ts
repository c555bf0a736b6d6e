import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaClients, lambdaPolicies, policyFilePath } from '../../../lib/lambda/bundle.ts';
import { compilePolicyFile } from '../../../lib/policy/compile.ts';
import { createHash } from 'node:crypto';
import { POLICY_CATALOGUE } from '../../../lib/policy/catalogue.ts';
import { checkPolicySet, COMPILED_POLICY_FORMAT, compilePolicySet, loadCompiledPolicies, readCompiledPolicies } from '../../../lib/policy/compiled.ts';
import { detectors, remediators, resourceTypes } from '../../../lib/resources/registry.ts';
import { loadPolicies } from '../../../lib/policy/load.ts';
import { PolicyValidationError, TrimtabError } from '../../../lib/util/errors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'trimtab-compiled-'));

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('compilePolicyFile', () => {
  it('compiles the shipped trimtab.yml to a file that reads back as the same policies', () => {
    // Prepare
    const target = join(tmp(), 'trimtab.policies.json');
    // Act
    const compiled = compilePolicyFile('trimtab.yml', target);
    const read = loadCompiledPolicies(target);
    // Assess
    expect(compiled.format).toBe(COMPILED_POLICY_FORMAT);
    expect(compiled.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(read).toEqual(loadPolicies('trimtab.yml'));
    expect(read.policies.length).toBeGreaterThan(0);
  });

  it('refuses a bad policy file with the validation errors and writes nothing', () => {
    // Prepare
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yml'), 'policies:\n  - id: x\n    resource: s3-bucket\n    detector: { type: no-such-detector }\n');
    // Act
    const act = () => compilePolicyFile(join(dir, 'bad.yml'), join(dir, 'out.json'));
    // Assess
    expect(act).toThrow(PolicyValidationError);
    expect(act).toThrow(/line 4: policy 'x' → detector/);
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
  });
});

describe('readCompiledPolicies', () => {
  const good = () => compilePolicySet(loadPolicies('trimtab.yml'), readFileSync('trimtab.yml', 'utf8'));

  it('refuses a file of another format version, naming both formats', () => {
    const text = JSON.stringify({ ...good(), format: 'trimtab-policies/0' });
    expect(() => readCompiledPolicies(text, 'old.json')).toThrow(/old\.json .*format 'trimtab-policies\/1' \(format: 'trimtab-policies\/0'\)/s);
  });

  it('refuses a file edited after it was compiled (the digest no longer matches)', () => {
    // Prepare: a policy's limit raised by hand.
    const compiled = good();
    compiled.policySet.policies[0].limits.maxActionsPerRun += 1000;
    // Act / Assess
    expect(() => readCompiledPolicies(JSON.stringify(compiled), 'edited.json')).toThrow(/digest does not match its content: it was edited or damaged after it was compiled from trimtab\.yml/);
  });

  it('refuses plain policies that no compiler made, and text that is not JSON', () => {
    expect(() => readCompiledPolicies(JSON.stringify(loadPolicies('trimtab.yml')), 'plain.json')).toThrow(/format: none/);
    expect(() => readCompiledPolicies('policies: []', 'yaml.json')).toThrow(/not JSON/);
    expect(() => loadCompiledPolicies(join(tmp(), 'missing.json'))).toThrow(/cannot read the compiled policy file: ENOENT/);
  });
});

describe('a forged compiled file with a recomputed digest (issue 24 point 6)', () => {
  /** What an attacker who can write the file does: edit it, then recompute the unkeyed digest. */
  const forge = (edit: (policies: any[]) => void) => {
    const compiled = compilePolicySet(loadPolicies('trimtab.yml'), readFileSync('trimtab.yml', 'utf8')) as any;
    edit(compiled.policySet.policies);
    const body = { format: compiled.format, source: compiled.source, policySet: compiled.policySet };
    compiled.digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    return JSON.stringify(compiled);
  };

  it('is refused when it names an action trimtab does not have, naming the policy and the valid actions', () => {
    // Prepare
    const text = forge((ps) => {
      ps[0].action.type = 'delete-bucket';
    });
    // Act / Assess
    expect(() => readCompiledPolicies(text, 'forged.json')).toThrow(/policy 's3-abort-incomplete-uploads': unknown action 'delete-bucket' for s3-bucket\. Valid: add-lifecycle-rules/);
  });

  it.each([
    ['an unknown mode', (ps: any[]) => (ps[0].mode = 'yolo'), /unknown mode "yolo"\. Valid: dry-run, auto, approval/],
    ['an unknown detector', (ps: any[]) => (ps[0].detector.type = 'always'), /unknown detector 'always' for s3-bucket/],
    ['an unknown resource type', (ps: any[]) => (ps[0].resource = 'iam-role'), /unknown resource type "iam-role"/],
    ['limits beyond the schema', (ps: any[]) => (ps[0].limits.maxActionsPerRun = 1e9), /limits .* are not \{ maxActionsPerRun: 0–10000/],
    ['an approver that is not an email address', (ps: any[]) => (ps[0].approval.approvers = ['https://evil.example']), /approval\.approvers is not a list of email addresses/],
    ['a key the schema does not have', (ps: any[]) => (ps[0].skipSafetyChecks = true), /unknown key 'skipSafetyChecks'/],
    ['a trigger that is none of the three', (ps: any[]) => (ps[0].triggers = [{ schedule: 'every second' }]), /triggers\[0\] .* is not a schedule, event or alarm trigger/],
    ['a policy that is not an object', (ps: any[]) => (ps[0] = 'auto'), /policies\[0\] is not an object/],
  ])('is refused when it carries %s', (_what, edit, message) => {
    // Prepare
    const text = forge(edit);
    // Act / Assess
    expect(() => readCompiledPolicies(text, 'forged.json')).toThrow(message);
  });

  it('finds nothing to say about the shipped policies', () => {
    expect(checkPolicySet(loadPolicies('trimtab.yml'))).toEqual([]);
  });

  it('knows exactly the resource types, detectors and actions of the registries (lib/policy/catalogue.ts)', () => {
    const registered = Object.fromEntries(resourceTypes.ids().sort().map((t) => [t, { detectors: detectors(t).ids().sort(), actions: remediators(t).ids().sort() }]));
    expect(POLICY_CATALOGUE).toEqual(registered);
  });
});

describe('Lambda start-up (lib/lambda/bundle.ts)', () => {
  it('reads the compiled JSON shipped at the task root before the YAML', async () => {
    // Prepare
    const root = tmp();
    compilePolicyFile('trimtab.yml', join(root, 'trimtab.policies.json'));
    vi.stubEnv('LAMBDA_TASK_ROOT', root);
    vi.stubEnv('TRIMTAB_POLICY_FILE', '');
    // Act
    const file = policyFilePath();
    const set = await lambdaPolicies(file);
    // Assess
    expect(file).toBe(join(root, 'trimtab.policies.json'));
    expect(set.policies.map((p) => p.id)).toEqual(loadPolicies('trimtab.yml').policies.map((p) => p.id));
  });

  it('refuses YAML in a deployed (lean) bundle, saying where the compiled file comes from', async () => {
    vi.stubEnv('TRIMTAB_LEAN_BUNDLE', '1');
    await expect(lambdaPolicies('trimtab.yml')).rejects.toThrow(/trimtab\.yml is YAML, but deployed functions read the policies compiled at package time \(trimtab\.policies\.json/);
  });

  it('refuses TRIMTAB_SANDBOX in a bundle packaged without the sandbox, and never falls back to AWS', async () => {
    vi.stubEnv('TRIMTAB_LEAN_BUNDLE', '1');
    vi.stubEnv('TRIMTAB_SANDBOX', '1');
    await expect(lambdaClients(undefined, true)).rejects.toThrow(TrimtabError);
    await expect(lambdaClients(undefined, true)).rejects.toThrow(/packaged without the sandbox/);
  });
});
