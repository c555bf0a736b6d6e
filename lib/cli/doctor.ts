/**
 * `trimtab doctor`: is everything in place to run trimtab on this account? It checks, in order,
 * the policy file, the region, the credentials (STS GetCallerIdentity) and, with the IAM policy
 * simulator (iam:SimulatePrincipalPolicy), whether the current identity has every permission the
 * CLI needs for those policies (`trimtab permissions`), naming what is missing.
 *
 * Offline it fails fast and says so: one attempt per call and short connection/request timeouts,
 * instead of the adaptive retries the scan uses.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { invokedAs } from './invoked.ts';
import { endpointOf, isNetworkError } from './network.ts';
import { AwsClients } from '../aws/clients.ts';
import { statementsFor } from '../deploy/iam.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { loadPolicies, type PolicySet } from '../policy/load.ts';
import { openSandbox, SANDBOX_ACCOUNT, SANDBOX_REGION } from '../sandbox/index.ts';
import { awsErrorName, errorMessage } from '../util/errors.ts';
import { cliActions, concreteArn, type CliMode } from './permissions.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: 'policy file' | 'region' | 'credentials' | 'permissions';
  status: CheckStatus;
  detail: string;
  /** permissions: the IAM actions the identity lacks, with the decision. */
  missing?: Array<{ action: string; decision: string; resource: string }>;
}

export interface DoctorOptions {
  policies: string;
  mode: CliMode;
  region?: string;
  sandbox?: boolean;
  /** Per-call limits against AWS (tests shorten them). */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4, … */
export const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;


function checkPolicies(file: string): { check: Check; set?: PolicySet } {
  try {
    const set = loadPolicies(file);
    const modes = ['dry-run', 'approval', 'auto'].map((m) => [m, set.policies.filter((p) => p.mode === m).length] as const).filter(([, n]) => n > 0);
    return { set, check: { name: 'policy file', status: 'ok', detail: `${file}: ${set.policies.length} valid polic${set.policies.length === 1 ? 'y' : 'ies'} (${modes.map(([m, n]) => `${n} ${m}`).join(', ')})` } };
  } catch (error) {
    // A missing file's message already says how to make one (lib/policy/load.ts).
    return { check: { name: 'policy file', status: 'fail', detail: errorMessage(error) } };
  }
}

/** The IAM principal to simulate: the role behind an assumed-role session (with its path, read with iam:GetRole when allowed), or the user. */
async function principalOf(callerArn: string, clients: AwsClients): Promise<{ arn?: string; note?: string }> {
  const assumed = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (assumed) {
    const [, partition, account, roleName] = assumed;
    const { GetRoleCommand, IAMClient } = await import('@aws-sdk/client-iam');
    try {
      const role = await clients.get(IAMClient, 'us-east-1').send(new GetRoleCommand({ RoleName: roleName }));
      if (role.Role?.Arn) return { arn: role.Role.Arn };
    } catch {
      // Without iam:GetRole the role's path is unknown: most roles have none ("/").
    }
    return { arn: `arn:${partition}:iam::${account}:role/${roleName}`, note: 'path assumed "/" (iam:GetRole not allowed)' };
  }
  if (/^arn:[\w-]+:iam::\d{12}:root$/.test(callerArn)) return { note: 'the root user has every permission; use an IAM role or user instead' };
  if (/^arn:[\w-]+:iam::\d{12}:user\//.test(callerArn)) return { arn: callerArn };
  return { note: `the policy simulator cannot evaluate ${callerArn} (a federated user); compare your permissions with 'trimtab permissions'` };
}

/** A resource ARN inside the granted pattern, for the simulator: `*` fields filled with the region, the account or a name. */
export function sampleArn(pattern: string, region: string, account: string): string {
  if (pattern === '*') return '*';
  const [arn, partition, service, r, a, ...rest] = pattern.split(':');
  return [arn, partition, service, r === '*' ? region : r, a === '*' ? account : a, rest.join(':').replaceAll('*', 'trimtab-doctor')].join(':');
}

async function checkPermissions(set: PolicySet, mode: CliMode, clients: AwsClients, identity: { arn: string; account: string }, region: string): Promise<Check> {
  const principal = await principalOf(identity.arn, clients);
  if (!principal.arn) return { name: 'permissions', status: 'warn', detail: `not checked: ${principal.note}` };
  const { IAMClient, paginateSimulatePrincipalPolicy } = await import('@aws-sdk/client-iam');
  const iam = clients.get(IAMClient, 'us-east-1');
  const partition = identity.arn.split(':')[1];
  // The Allows it needs (the guarding Denies are what it must not be able to do: not simulated as needed).
  const statements = statementsFor(cliActions(set.policies, mode)).filter((s) => s.Effect === 'Allow');
  const total = new Set(statements.flatMap((s) => s.Action)).size;
  const missing: NonNullable<Check['missing']> = [];
  try {
    for (const statement of statements) {
      const resources = concreteArn(statement.Resource, { partition, account: identity.account }).map((r) => sampleArn(r, region, identity.account));
      const input = { PolicySourceArn: principal.arn, ActionNames: statement.Action, ...(resources[0] === '*' ? {} : { ResourceArns: resources }) };
      for await (const page of paginateSimulatePrincipalPolicy({ client: iam }, input)) {
        for (const r of page.EvaluationResults ?? []) {
          if (r.EvalDecision !== 'allowed') missing.push({ action: r.EvalActionName!, decision: r.EvalDecision!, resource: r.EvalResourceName ?? '*' });
        }
      }
    }
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'AccessDenied' || name === 'AccessDeniedException') return { name: 'permissions', status: 'warn', detail: `not checked: ${principal.arn} may not call iam:SimulatePrincipalPolicy (allow it on itself, or compare with 'trimtab permissions --mode ${mode}')` };
    if (name === 'NoSuchEntity' || name === 'NoSuchEntityException') return { name: 'permissions', status: 'warn', detail: `not checked: IAM does not know ${principal.arn}${principal.note ? ` (${principal.note})` : ''}` };
    throw error;
  }
  const via = `${principal.arn}${principal.note ? `, ${principal.note}` : ''}`;
  if (!missing.length) return { name: 'permissions', status: 'ok', detail: `all ${total} IAM actions '${mode}' needs are allowed for ${via}` };
  const actions = [...new Set(missing.map((m) => m.action))];
  return { name: 'permissions', status: 'fail', detail: `${actions.length} of ${total} IAM actions '${mode}' needs are not allowed for ${via}`, missing };
}

export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const env = options.env ?? process.env;
  const checks: Check[] = [];
  const { check: policyCheck, set } = checkPolicies(options.policies);
  checks.push(policyCheck);

  const sandbox = options.sandbox || env.TRIMTAB_SANDBOX === '1' || env.TRIMTAB_SANDBOX === 'true';
  let region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  let regionSource = options.region ? '--region' : env.AWS_REGION ? 'AWS_REGION' : env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : '';
  if (sandbox && !region) [region, regionSource] = [SANDBOX_REGION, 'the sandbox'];
  if (!region) {
    region = await new STSClient({}).config.region().catch(() => undefined);
    regionSource = 'your AWS profile';
  }
  if (!region) checks.push({ name: 'region', status: 'fail', detail: 'no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile (~/.aws/config)' });
  else if (!REGION_NAME.test(region)) checks.push({ name: 'region', status: 'fail', detail: `'${region}' (from ${regionSource}) is not an AWS region name, e.g. us-east-1` });
  else checks.push({ name: 'region', status: 'ok', detail: `${region} (from ${regionSource})` });
  const usableRegion = region && REGION_NAME.test(region) ? region : 'us-east-1';

  // @smithy/node-http-handler 4.x only warns when requestTimeout passes unless throwOnRequestTimeout is set.
  const clients = sandbox
    ? new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: openSandbox() })
    : new AwsClients({ allowWrites: false, writePacing: false, clientConfig: { maxAttempts: 1, requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 3000, requestTimeout: options.requestTimeoutMs ?? 5000, throwOnRequestTimeout: true } } });
  const sts = clients.get(STSClient, usableRegion);
  let identity: { arn: string; account: string } | undefined;
  try {
    if (!sandbox) await sts.config.credentials();
  } catch (error) {
    checks.push({ name: 'credentials', status: 'fail', detail: `no AWS credentials found (${errorMessage(error).split('\n')[0]}). Set AWS_PROFILE (and run 'aws sso login' for SSO), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; or use --sandbox` });
  }
  if (!checks.some((c) => c.name === 'credentials')) {
    try {
      const who = await sts.send(new GetCallerIdentityCommand({}));
      identity = { arn: who.Arn!, account: who.Account! };
      checks.push({ name: 'credentials', status: 'ok', detail: `${who.Arn} (account ${who.Account})${sandbox ? ', the sandbox' : ''}` });
    } catch (error) {
      const detail = isNetworkError(error)
        ? `cannot reach AWS STS at ${endpointOf('sts', usableRegion, env)}: ${errorMessage(error).replace(/\.+$/, '')}. Offline, or a proxy or firewall is in the way; without a network use --sandbox`
        : `STS GetCallerIdentity failed: ${awsErrorName(error) ?? 'Error'}: ${errorMessage(error)} (expired or invalid credentials?)`;
      checks.push({ name: 'credentials', status: 'fail', detail });
    }
  }

  if (!set) checks.push({ name: 'permissions', status: 'skip', detail: 'not checked: the policy file is not valid' });
  else if (!identity) checks.push({ name: 'permissions', status: 'skip', detail: 'not checked: no working credentials' });
  else {
    try {
      checks.push(await checkPermissions(set, options.mode, clients, identity, usableRegion));
    } catch (error) {
      checks.push({ name: 'permissions', status: 'fail', detail: isNetworkError(error) ? `cannot reach AWS IAM at ${endpointOf('iam', 'us-east-1', env)}: ${errorMessage(error)}` : `iam:SimulatePrincipalPolicy failed: ${awsErrorName(error) ?? 'Error'}: ${errorMessage(error)}` });
    }
  }
  return checks;
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

export function doctorReport(checks: Check[], options: { policies: string; mode: CliMode }): string {
  const lines = [`trimtab doctor: '${options.mode}' with ${options.policies}`];
  for (const c of checks) {
    lines.push(`  ${LABEL[c.status]}  ${c.name.padEnd(12)} ${c.detail}`);
    for (const m of c.missing ?? []) lines.push(`                      ${m.action} (${m.decision}${m.resource !== '*' ? ` on ${m.resource}` : ''})`);
    if (c.missing?.length) lines.push(`                      Grant them: ${invokedAs()} permissions -p ${options.policies} --mode ${options.mode}`);
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  lines.push(failed ? `${failed} check(s) failed.` : 'Ready.');
  return lines.join('\n');
}
