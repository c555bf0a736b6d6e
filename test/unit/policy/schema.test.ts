import { describe, expect, it } from 'vitest';
import { loadPolicies, parsePolicies } from '../../../lib/policy/load.ts';
import { policyJsonSchema } from '../../../lib/policy/schema.ts';
import { PolicyValidationError } from '../../../lib/util/errors.ts';

const problemsOf = (yaml: string): string[] => {
  try {
    parsePolicies(yaml, 'bad.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    return (error as PolicyValidationError).problems;
  }
  throw new Error('expected the policy file to be rejected');
};

const policy = (body: string) => `version: 1\npolicies:\n  - id: p1\n    resource: s3-bucket\n${body}`;

describe('policy validation', () => {
  it('accepts the shipped trimtab.yml and applies defaults', () => {
    const { policies } = loadPolicies('trimtab.yml');
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      expect(['dry-run', 'auto', 'approval']).toContain(p.mode);
      expect(p.triggers.length).toBeGreaterThan(0);
      expect(p.limits.maxActionsPerRun).toBeGreaterThanOrEqual(0);
    }
  });

  it('defaults a policy with no mode to dry-run and fills detector option defaults', () => {
    const [p] = parsePolicies(policy('    detector:\n      type: missing-abort-multipart-rule\n'), 'x.yml').policies;
    expect(p.mode).toBe('dry-run');
    expect(p.detector).toEqual({ type: 'missing-abort-multipart-rule', minIncompleteUploads: 0 });
    expect(p.triggers).toEqual([{ schedule: 'rate(1 day)' }]);
  });

  it('names the file, line, policy and path of a misspelt key, and suggests the right one', () => {
    const problems = problemsOf(policy('    detector:\n      type: missing-abort-multipart-rule\n      minIncompleteUplods: 3\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 7: policy 'p1' → detector\.minIncompleteUplods: unknown key 'minIncompleteUplods' \(did you mean 'minIncompleteUploads'\?\)/);
    expect(problems[0]).toContain('Valid keys: minIncompleteUploads, type');
  });

  it('lists the valid resources for an unknown resource', () => {
    const problems = problemsOf('policies:\n  - id: p1\n    resource: s3-bukket\n    detector: { type: x }\n');
    expect(problems[0]).toMatch(/policy 'p1' → resource: unknown resource 's3-bukket' \(did you mean 's3-bucket'\?\)\. Valid resources: .*s3-bucket/);
  });

  it('lists the valid detectors and actions of the resource', () => {
    expect(problemsOf(policy('    detector:\n      type: no-such-detector\n'))[0]).toMatch(
      /detector\.type: unknown detector 'no-such-detector' for resource s3-bucket\. Valid detectors: .*missing-abort-multipart-rule/,
    );
    expect(problemsOf(policy('    detector: { type: missing-lifecycle }\n    action: { type: delete-bucket }\n'))[0]).toMatch(
      /action\.type: unknown action 'delete-bucket' for resource s3-bucket\. Valid actions: .*add-lifecycle-rules/,
    );
  });

  it('rejects bad values with the constraint named', () => {
    const problems = problemsOf(policy('    detector: { type: missing-lifecycle }\n    mode: yolo\n    limits: { maxActionsPerRun: -1 }\n    triggers: [{ schedule: every day }]\n'));
    expect(problems.join('\n')).toMatch(/mode: Invalid option: expected one of "dry-run"\|"auto"\|"approval"/);
    expect(problems.join('\n')).toMatch(/limits\.maxActionsPerRun: Too small/);
    expect(problems.join('\n')).toMatch(/triggers\.0/);
  });

  it('rejects duplicate policy ids and YAML syntax errors', () => {
    const dup = 'policies:\n  - { id: a, resource: s3-bucket, detector: { type: missing-lifecycle } }\n  - { id: a, resource: s3-bucket, detector: { type: missing-lifecycle } }\n';
    expect(problemsOf(dup)[0]).toMatch(/duplicate policy id 'a'/);
    expect(problemsOf('policies: [\n')[0]).toMatch(/^line \d+: YAML:/);
  });

  it('reports a missing file clearly', () => {
    expect(() => loadPolicies('does-not-exist.yml')).toThrow(/does-not-exist\.yml is not a valid trimtab policy file:\n {2}- no such file \(.*does-not-exist\.yml\)\. Pass the policy file with -p <file>, or write a starter with 'trimtab init'\./);
  });
});

describe('JSON Schema', () => {
  it('describes every resource with its detectors and forbids unknown keys', () => {
    const schema = policyJsonSchema() as any;
    const text = JSON.stringify(schema);
    expect(schema.properties.policies.type).toBe('array');
    expect(text).toContain('"missing-abort-multipart-rule"');
    expect(text).toContain('"add-lifecycle-rules"');
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('approval mode', () => {
  it('needs approvers, from the policy or from defaults', () => {
    const body = '    detector: { type: missing-lifecycle }\n    action: { type: add-lifecycle-rules }\n    mode: approval\n';
    expect(problemsOf(policy(body))).toEqual([
      "policy 'p1' → approval.approvers: a policy in approval mode needs approvers (email addresses), in the policy or in defaults.approval",
    ]);
    const withDefaults = `version: 1\ndefaults:\n  approval: { approvers: [ops@example.com] }\npolicies:\n  - id: p1\n    resource: s3-bucket\n${body}`;
    expect(parsePolicies(withDefaults, 'x.yml').policies[0].approval).toEqual({ approvers: ['ops@example.com'], timeoutHours: 72 });
  });
});
