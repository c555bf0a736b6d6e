/**
 * Sandbox IAM: the roles of the sandbox account and the policy simulator (`trimtab doctor`).
 *
 * IAM is account-wide. Each role holds identity-based statements (Allow/Deny, Action and
 * Resource with `*`/`?` wildcards). SimulatePrincipalPolicy evaluates every action against every
 * resource as IAM does for identity policies: an explicit Deny wins, then an Allow, otherwise
 * implicitDeny. It pages with MaxItems (1–1000, default 100) and Marker, and answers
 * NoSuchEntity for a principal that does not exist, InvalidInput for a malformed ARN.
 * Conditions, permissions boundaries and SCPs are not modelled.
 *
 * The role STS names as the caller (`trimtab`, see sts.ts) exists from the start with
 * `Allow * on *`; tests narrow it with setSandboxRolePolicy.
 */
import { awsError, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface SandboxStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

interface SandboxRole {
  RoleName: string;
  Path: string;
  RoleId: string;
  CreateDate: string;
  statements: SandboxStatement[];
}

interface IamState {
  roles: Record<string, SandboxRole>;
}

export const SANDBOX_CALLER_ROLE = 'trimtab';

const roleArn = (account: string, role: SandboxRole) => `arn:aws:iam::${account}:role${role.Path}${role.RoleName}`;

function iamState(sandbox: Sandbox, account: AccountState): IamState {
  return sandbox.global<IamState>(account, 'iam', () => ({
    roles: { [SANDBOX_CALLER_ROLE]: { RoleName: SANDBOX_CALLER_ROLE, Path: '/', RoleId: 'AROASANDBOXTRIMTAB', CreateDate: sandbox.now().toISOString(), statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
  }));
}

/** Replace a role's identity-based statements (creating the role, with an optional path). */
export function setSandboxRolePolicy(sandbox: Sandbox, accountId: string, roleName: string, statements: SandboxStatement[], path = '/'): void {
  const state = iamState(sandbox, sandbox.account(accountId));
  const existing = state.roles[roleName];
  state.roles[roleName] = existing ? { ...existing, Path: path, statements } : { RoleName: roleName, Path: path, RoleId: `AROASANDBOX${roleName.toUpperCase().replace(/[^A-Z0-9]/g, '')}`, CreateDate: sandbox.now().toISOString(), statements };
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** IAM wildcard match: `*` any run of characters, `?` one character. */
export function iamGlob(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`;
  return new RegExp(source, caseInsensitive ? 'i' : '').test(value);
}

const matches = (s: SandboxStatement, action: string, resource: string) =>
  list(s.Action).some((a) => iamGlob(a, action, true)) && list(s.Resource).some((r) => iamGlob(r, resource));

export function evaluate(statements: SandboxStatement[], action: string, resource: string): 'allowed' | 'explicitDeny' | 'implicitDeny' {
  if (statements.some((s) => s.Effect === 'Deny' && matches(s, action, resource))) return 'explicitDeny';
  return statements.some((s) => s.Effect === 'Allow' && matches(s, action, resource)) ? 'allowed' : 'implicitDeny';
}

/**
 * Whether the sandbox's caller (the role STS names, `trimtab`) is allowed `action` on `resource`
 * by an Allow statement and no Deny: what AWS calls an explicit allow. Services use it where AWS
 * answers differently without one (Lambda GetFunction omits `Tags` unless `lambda:ListTags` is
 * allowed) or refuses (Lambda ListTags: AccessDeniedException).
 */
export function callerAllowed(sandbox: Sandbox, account: AccountState, action: string, resource: string): boolean {
  const caller = iamState(sandbox, account).roles[SANDBOX_CALLER_ROLE];
  return !caller || evaluate(caller.statements, action, resource) === 'allowed';
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[\w+=,.@-]+\/)*)([\w+=,.@-]+)$/;

/** Whether the sandbox caller (trimtab's role) may do `action` on `resource` (other services' dependent-action checks). */
export function callerMay(sandbox: Sandbox, account: AccountState, action: string, resource: string): boolean {
  const caller = iamState(sandbox, account).roles[SANDBOX_CALLER_ROLE];
  return !caller || evaluate(caller.statements, action, resource) === 'allowed';
}

/** IAM authorises its own calls too: the caller (the sandbox's STS identity) needs the action. */
function authorize(sandbox: Sandbox, account: AccountState, action: string, resource: string) {
  const caller = iamState(sandbox, account).roles[SANDBOX_CALLER_ROLE];
  if (caller && evaluate(caller.statements, action, resource) !== 'allowed') {
    throw awsError('AccessDenied', `User: arn:aws:sts::${account.id}:assumed-role/${SANDBOX_CALLER_ROLE}/sandbox is not authorized to perform: ${action} on resource: ${resource}`, 403);
  }
}

export const iamService: SandboxService = {
  id: 'iam',
  operations: {
    GetRole(input, { sandbox, account }) {
      authorize(sandbox, account, 'iam:GetRole', `arn:aws:iam::${account.id}:role/${input.RoleName}`);
      const role = iamState(sandbox, account).roles[input.RoleName ?? ''];
      if (!role) throw awsError('NoSuchEntity', `The role with name ${input.RoleName} cannot be found.`, 404);
      return { Role: { RoleName: role.RoleName, Path: role.Path, RoleId: role.RoleId, Arn: roleArn(account.id, role), CreateDate: new Date(role.CreateDate) } };
    },

    SimulatePrincipalPolicy(input, { sandbox, account }) {
      const arn = String(input.PolicySourceArn ?? '');
      const match = ROLE_ARN.exec(arn);
      if (!match) throw awsError('InvalidInput', `Invalid ARN: ${arn || '(none)'}. Simulation takes the ARN of a user, group or role.`);
      authorize(sandbox, account, 'iam:SimulatePrincipalPolicy', arn);
      const role = match[1] === account.id ? iamState(sandbox, account).roles[match[3]] : undefined;
      if (!role || role.Path !== match[2]) throw awsError('NoSuchEntity', `Entity ${arn} does not exist.`, 404);
      const actions: string[] = input.ActionNames ?? [];
      if (!actions.length) throw awsError('ValidationError', "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
      const resources: string[] = input.ResourceArns?.length ? input.ResourceArns : ['*'];
      const results = actions.flatMap((action) => resources.map((resource) => ({ EvalActionName: action, EvalResourceName: resource, EvalDecision: evaluate(role.statements, action, resource) })));
      const max = input.MaxItems ?? 100;
      if (max < 1 || max > 1000) throw awsError('ValidationError', `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`);
      const start = input.Marker ? Number(Buffer.from(input.Marker, 'base64').toString('utf8')) : 0;
      if (!Number.isInteger(start) || start < 0 || start > results.length) throw awsError('InvalidInput', 'Invalid Marker.');
      const page = results.slice(start, start + max);
      const next = start + page.length;
      return { EvaluationResults: page, IsTruncated: next < results.length, ...(next < results.length ? { Marker: Buffer.from(String(next)).toString('base64') } : {}) };
    },
  },
};
