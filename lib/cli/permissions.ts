/**
 * The least-privilege IAM policy the `trimtab` CLI needs for a policy file, from the same
 * declared permissions the deployed roles are built from (lib/deploy/iam.ts):
 * - `scan`: every policy's listing and detector permissions (reads only; scan forces dry-run);
 * - `run`: the same, plus the remediation permissions of the policies the CLI applies itself:
 *   those in `auto` mode. Dry-run policies write nothing, and approval-mode changes are applied
 *   by the deployed approval workflow, not by the CLI.
 * sts:GetCallerIdentity, which the CLI calls to learn the account, needs no permission (AWS:
 * "No permissions are required to perform this operation").
 */
import type { Policy } from '../policy/load.ts';
import { actionsFor, statementsFor } from '../deploy/iam.ts';
import { terraformStateStatements } from '../ownership/permissions.ts';
import { isReadOnlyOperation } from '../aws/operations.ts';
import { TrimtabError } from '../util/errors.ts';

export type CliMode = 'scan' | 'run';

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{ Sid: string; Effect: 'Allow' | 'Deny'; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> }>;
}

/** The IAM actions the CLI needs for these policies in this mode, sorted. */
export function cliActions(policies: Policy[], mode: CliMode): string[] {
  const listing = actionsFor(policies, { withRemediation: false });
  if (mode === 'scan') return listing;
  const applied = policies.filter((p) => p.mode === 'auto');
  return [...new Set([...listing, ...actionsFor(applied, { withRemediation: true })])].sort();
}

export const isWriteAction = (action: string) => {
  const [service, operation] = action.split(':');
  return !isReadOnlyOperation(service, operation);
};

const ACCOUNT_ID = /^\d{12}$/;
export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;

/** A CloudFormation Fn::Sub ARN as a plain IAM ARN: the partition and the account filled in. */
export function concreteArn(resource: unknown, where: { partition: string; account?: string }): string[] {
  if (Array.isArray(resource)) return resource.flatMap((r) => concreteArn(r, where));
  const text = typeof resource === 'object' && resource && 'Fn::Sub' in resource ? String((resource as { 'Fn::Sub': string })['Fn::Sub']) : String(resource);
  return [text.replaceAll('${AWS::Partition}', where.partition).replaceAll('${AWS::AccountId}', where.account ?? '*').replaceAll('${!', '${').replace(/^arn:aws:/, `arn:${where.partition}:`)];
}

/** Condition values with their CloudFormation Fn::Sub resolved like resources (concreteArn). */
function concreteCondition(condition: Record<string, Record<string, unknown>>, where: { partition: string; account?: string }): Record<string, Record<string, unknown>> {
  const value = (v: unknown): unknown => (Array.isArray(v) ? v.map(value) : v && typeof v === 'object' ? concreteArn(v, where)[0] : v);
  return Object.fromEntries(Object.entries(condition).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, value(v)]))]));
}

/** The IAM policy document (identity-based) for the CLI: the Allows, and the Denies that guard the writes (lib/deploy/iam.ts guardStatements). */
export function cliPolicyDocument(policies: Policy[], mode: CliMode, where: { partition?: string; account?: string } = {}): PolicyDocument {
  const partition = where.partition ?? 'aws';
  if (!(PARTITIONS as readonly string[]).includes(partition)) throw new TrimtabError(`--partition '${partition}' is not an AWS partition. Valid partitions: ${PARTITIONS.join(', ')}`);
  if (where.account !== undefined && !ACCOUNT_ID.test(where.account)) throw new TrimtabError(`--account-id '${where.account}' is not an AWS account id (12 digits).`);
  const statements = [...statementsFor(cliActions(policies, mode)), ...terraformStateStatements(policies)];
  let n = 0;
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      const resources = concreteArn(s.Resource, { partition, account: where.account });
      const reads = s.Action.every((a) => !isWriteAction(a));
      const sid = s.Effect === 'Deny' ? `TrimtabGuard${++n}` : resources.length === 1 && resources[0] === '*' && !s.Condition ? 'TrimtabReadAnyResource' : `Trimtab${reads ? 'Read' : 'Write'}${++n}`;
      return { Sid: sid, Effect: s.Effect, Action: s.Action, Resource: resources.length === 1 ? resources[0] : resources, ...(s.Condition ? { Condition: concreteCondition(s.Condition, { partition, account: where.account }) } : {}) };
    }),
  };
}

/** IAM's managed-policy size quota: 6,144 characters, not counting white space. */
export const MANAGED_POLICY_MAX_CHARS = 6144;
export const policySize = (doc: PolicyDocument) => JSON.stringify(doc).replace(/\s/g, '').length;

/** What `permissions` tells a person besides the JSON (stderr): which policies' writes are left out, and why. */
export function permissionNotes(policies: Policy[], mode: CliMode, doc: PolicyDocument): string[] {
  const notes: string[] = [];
  const count = (m: string) => policies.filter((p) => p.mode === m && p.action).length;
  if (mode === 'scan') notes.push('scan is read-only: no write permission is included (run --mode run for the writes of auto-mode policies).');
  else {
    const dry = count('dry-run');
    if (dry) notes.push(dry === 1 ? "1 dry-run policy writes nothing: its action's permissions are left out until you promote it." : `${dry} dry-run policies write nothing: their actions' permissions are left out until you promote them.`);
    if (count('approval')) notes.push(`${count('approval')} approval-mode polic${count('approval') === 1 ? 'y is' : 'ies are'} applied by the deployed approval workflow (its own role), not by the CLI: left out.`);
  }
  const size = policySize(doc);
  if (size > MANAGED_POLICY_MAX_CHARS) notes.push(`The policy is ${size} characters without white space, over IAM's ${MANAGED_POLICY_MAX_CHARS}-character quota for a managed policy: split its statements over two policies.`);
  return notes;
}
