/**
 * Loading trimtab.yml: YAML with line numbers, validated by the composed schema, defaults
 * applied. Every problem names the file, line, policy id and the key's path.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import type { Mode } from '../engine/types.ts';
import type { OrganizationConfig } from '../org/config.ts';
import { PolicyValidationError } from '../util/errors.ts';
import { buildPolicyFileSchema, type approvalSchema, type scopeSchema, type triggerSchema } from './schema.ts';

export type Trigger = z.infer<typeof triggerSchema>;
export type Scope = z.infer<typeof scopeSchema>;

export interface Policy {
  id: string;
  description?: string;
  resource: string;
  detector: { type: string } & Record<string, unknown>;
  action?: { type: string } & Record<string, unknown>;
  mode: Mode;
  triggers: Trigger[];
  scope: Scope;
  limits: { maxActionsPerRun: number; cooldownHours: number };
  approval?: z.infer<typeof approvalSchema>;
  prices?: Record<string, unknown>;
  /** Disagreement with (or no) Compute Optimizer recommendation makes a finding a conflict. */
  requireComputeOptimizer?: boolean;
  /** What to do with owned resources (lib/ownership, docs/ownership.md); absent: report. */
  owned?: { choice?: 'report' | 'via-owner' | 'direct' | 'skip'; terraformTag?: string; terraformState?: Array<{ bucket: string; key: string; region?: string }> };
}

export interface PolicySet {
  file: string;
  policies: Policy[];
  /** The `organization:` block (hub and spokes, lib/org), when the file has one. */
  organization?: OrganizationConfig;
}

export const DEFAULT_POLICY_FILE = 'trimtab.yml';
export const DEFAULT_SCHEDULE = 'rate(1 day)';

/** Human path: policies.3.detector.days → detector.days, with the policy named separately. */
function describePath(path: PropertyKey[], policies: unknown[]): { where: string; key: string } {
  if (path[0] === 'policies' && typeof path[1] === 'number') {
    const policy = policies[path[1]] as { id?: unknown } | undefined;
    const id = typeof policy?.id === 'string' ? `policy '${policy.id}'` : `policies[${path[1]}]`;
    return { where: id, key: path.slice(2).join('.') || '(the policy)' };
  }
  return { where: 'file', key: path.join('.') || '(top level)' };
}

/** Parse and validate policy text. `file` is used in messages only. */
export function parsePolicies(text: string, file: string): PolicySet {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyValidationError(file, doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: YAML: ${e.message.split('\n')[0]}`));
  }
  const raw = doc.toJS() as unknown;
  const result = buildPolicyFileSchema().safeParse(raw ?? {});
  if (!result.success) {
    const policies = ((raw as { policies?: unknown[] })?.policies ?? []) as unknown[];
    const problems = result.error.issues.map((issue) => {
      // Unknown keys are reported on the object; point at the key itself.
      const path = issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0]] : issue.path;
      const { where, key } = describePath(path, policies);
      const node = doc.getIn(path as (string | number)[], true);
      const keyNode = issue.code === 'unrecognized_keys' ? findKeyNode(doc, path as (string | number)[]) : undefined;
      const offset = (keyNode ?? (isNode(node) ? node : undefined))?.range?.[0];
      const line = offset !== undefined ? `line ${lineCounter.linePos(offset).line}: ` : '';
      return `${line}${where} → ${key}: ${issue.message}`;
    });
    // The file-level check (duplicate ids) runs only once everything else parses: report it in the same pass.
    if (Array.isArray(policies) && !problems.some((p) => p.includes('duplicate policy id'))) {
      const seen = new Map<string, number>();
      policies.forEach((policy, index) => {
        const id = (policy as { id?: unknown })?.id;
        if (typeof id !== 'string') return;
        if (seen.has(id)) {
          const offset = (doc.getIn(['policies', index, 'id'], true) as { range?: [number] } | undefined)?.range?.[0];
          problems.push(`${offset !== undefined ? `line ${lineCounter.linePos(offset).line}: ` : ''}policy '${id}' → id: duplicate policy id '${id}' (also policies[${seen.get(id)}])`);
        } else seen.set(id, index);
      });
    }
    throw new PolicyValidationError(file, problems);
  }
  const parsed = result.data as any;
  const defaults = parsed.defaults ?? {};
  const policies: Policy[] = parsed.policies.map(
      (p: any): Policy => ({
        ...p,
        mode: p.mode ?? defaults.mode ?? 'dry-run',
        triggers: p.triggers ?? defaults.triggers ?? [{ schedule: DEFAULT_SCHEDULE }],
        scope: { ...defaults.scope, ...p.scope },
        limits: { maxActionsPerRun: 25, cooldownHours: 24, ...defaults.limits, ...p.limits },
        approval: p.approval ?? defaults.approval,
      }),
  );
  // Approval mode needs someone to ask: checked after defaults, which may name the approvers.
  const unapproved = policies.filter((p) => p.mode === 'approval' && !p.approval?.approvers.length);
  if (unapproved.length) {
    throw new PolicyValidationError(
      file,
      unapproved.map((p) => `policy '${p.id}' → approval.approvers: a policy in approval mode needs approvers (email addresses), in the policy or in defaults.approval`),
    );
  }
  return { file, ...(parsed.organization ? { organization: parsed.organization } : {}), policies };
}

/** The YAML node of a mapping key (for pointing at an unknown key's line). */
function findKeyNode(doc: ReturnType<typeof parseDocument>, path: (string | number)[]) {
  const parent = doc.getIn(path.slice(0, -1), true) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
  return parent?.items?.find((pair) => pair.key?.value === path[path.length - 1])?.key;
}

export function loadPolicies(file = DEFAULT_POLICY_FILE): PolicySet {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PolicyValidationError(file, [`no such file (${path}). Pass the policy file with -p <file>, or write a starter with 'trimtab init'.`]);
    if (code === 'EISDIR') throw new PolicyValidationError(file, [`${path} is a folder, not a policy file.`]);
    throw new PolicyValidationError(file, [`cannot read the file: ${code ?? (error as Error).message}`]);
  }
  return parsePolicies(text, file);
}
