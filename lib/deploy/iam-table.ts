/**
 * The IAM each function has, as a Markdown table, read from the packaged CloudFormation
 * template (after `npx osls package`). docs/security.md carries its output; the package
 * test (test/package/least-privilege.test.ts) fails when the two drift apart.
 *
 *   node --import tsx lib/deploy/iam-table.ts [template.json]
 */
import { readFileSync } from 'node:fs';

export const TEMPLATE_FILE = '.serverless/cloudformation-template-update-stack.json';

export interface FunctionRole {
  /** Logical id of the Lambda function (ScanLambdaFunction). */
  functionId: string;
  /** The function's short name (scan, approvalPage). */
  name: string;
  roleId: string;
  statements: Array<{ Effect: string; Action: string[]; Resource: unknown[]; Condition?: Record<string, Record<string, unknown>> }>;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every Lambda function's own role and its statements, in template order. */
export function functionRoles(template: { Resources: Record<string, any> }): FunctionRole[] {
  const resources = template.Resources;
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([functionId, fn]) => {
      const roleId = fn.Properties.Role?.['Fn::GetAtt']?.[0] as string;
      const role = resources[roleId];
      const statements = (role?.Properties?.Policies ?? []).flatMap((p: any) =>
        asArray(p.PolicyDocument.Statement).map((s: any) => ({ Effect: s.Effect, Action: asArray(s.Action) as string[], Resource: asArray(s.Resource), ...(s.Condition ? { Condition: s.Condition } : {}) })),
      );
      const name = String(fn.Properties.FunctionName ?? functionId).replace(/^trimtab-[a-z0-9]+-/, '');
      return { functionId, name, roleId, statements };
    });
}

/** A CloudFormation resource value in words: Fn::Sub as written, GetAtt as `X.Arn`, Ref as `X`. */
export function renderResource(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    // `${!x}` is Fn::Sub's escape for a literal `${x}` (an IAM policy variable).
    if ('Fn::Sub' in v) return String(Array.isArray(v['Fn::Sub']) ? v['Fn::Sub'][0] : v['Fn::Sub']).replaceAll('${!', '${');
    if ('Fn::GetAtt' in v) return `${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}`;
    if ('Ref' in v) return v.Ref.startsWith('AWS::') ? `\${${v.Ref}}` : v.Ref;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(renderResource).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

/** A statement's Condition in words: `Operator key = value` per key (`Null aws:ResourceTag/trimtab:skip = false`). */
export function renderCondition(condition: Record<string, Record<string, unknown>> | undefined): string {
  if (!condition) return '';
  return Object.entries(condition)
    .flatMap(([op, keys]) => Object.entries(keys).map(([key, value]) => `\`${op} ${key} = ${asArray(value).map(renderResource).join(' or ')}\``))
    .join('; ');
}

/** One row per function and statement: effect, actions, resources, condition. */
export function iamTable(template: { Resources: Record<string, any> }): string {
  const rows = ['| Function | Effect | Actions | Resources | Condition |', '| --- | --- | --- | --- | --- |'];
  for (const fn of functionRoles(template)) {
    for (const s of fn.statements) {
      const actions = [...s.Action].sort().map((a) => `\`${a}\``).join(', ');
      const resources = s.Resource.map((r) => `\`${renderResource(r)}\``).join(', ');
      rows.push(`| ${fn.name} | ${s.Effect} | ${actions} | ${resources} | ${renderCondition(s.Condition)} |`);
    }
  }
  return rows.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(iamTable(JSON.parse(readFileSync(process.argv[2] ?? TEMPLATE_FILE, 'utf8'))));
}
