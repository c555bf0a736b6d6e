/**
 * What a Lambda function loads at cold start, and what deployed bundles leave out.
 *
 * serverless.yml's esbuild `define` sets `process.env.TRIMTAB_LEAN_BUNDLE` to "1" in the bundles
 * `osls package` makes (lib/lambda/package-vars.cjs; "0" when TRIMTAB_SANDBOX is set, for
 * `TRIMTAB_SANDBOX=1 npx osls invoke local`). Every test of it is spelled out in place, so
 * esbuild folds it to a constant and drops the branch with its dynamic import: deployed
 * functions carry neither the sandbox (its services, the wire encoder, the local servers) nor
 * the YAML loader (yaml, the zod policy schema, every resource module). Run from source (tests,
 * `trimtab invoke`), the variable is unset and both stay available.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { AwsClients } from '../aws/clients.ts';
import { COMPILED_POLICY_FILE, loadCompiledPolicies } from '../policy/compiled.ts';
import type { PolicySet } from '../policy/load.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { TrimtabError } from '../util/errors.ts';
import { tracer } from './powertools.ts';

/** Table names a local sandbox invoke uses when the stack's are not set. */
export const SANDBOX_AUDIT_SETTINGS = { auditTable: 'trimtab-sandbox-audit', idempotencyTable: 'trimtab-sandbox-idempotency', eventBus: 'default' };

const SOURCE_POLICY_FILE = 'trimtab.yml';

/** The account this function runs in: from its own ARN (arn:aws:lambda:region:ACCOUNT:function:name). */
export function accountOf(context: Pick<Context, 'invokedFunctionArn'> | undefined): string | undefined {
  return context?.invokedFunctionArn?.split(':')[4] || undefined;
}

const sandboxed = () => process.env.TRIMTAB_SANDBOX === '1' || process.env.TRIMTAB_SANDBOX === 'true';

/**
 * The policy file this function reads: TRIMTAB_POLICY_FILE, else the compiled JSON shipped in
 * the package (serverless.yml `package.patterns`), else (run from source) trimtab.yml.
 */
export function policyFilePath(): string {
  if (process.env.TRIMTAB_POLICY_FILE) return process.env.TRIMTAB_POLICY_FILE;
  const shipped = process.env.LAMBDA_TASK_ROOT ? join(process.env.LAMBDA_TASK_ROOT, COMPILED_POLICY_FILE) : undefined;
  if (shipped && existsSync(shipped)) return shipped;
  // From source the YAML is the truth (a compiled file beside it may be stale); a bundle has only the JSON.
  if (process.env.TRIMTAB_LEAN_BUNDLE !== '1' && existsSync(SOURCE_POLICY_FILE)) return SOURCE_POLICY_FILE;
  return COMPILED_POLICY_FILE;
}

/** The policies: compiled JSON (no YAML, no schema); YAML only when run from source. */
export async function lambdaPolicies(file = policyFilePath()): Promise<PolicySet> {
  if (!/\.ya?ml$/i.test(file)) return loadCompiledPolicies(file);
  if (process.env.TRIMTAB_LEAN_BUNDLE !== '1') {
    // Registries first: the schema is composed from them.
    await import('../resources/index.ts');
    return (await import('../policy/load.ts')).loadPolicies(file);
  }
  throw new TrimtabError(`${file} is YAML, but deployed functions read the policies compiled at package time (${COMPILED_POLICY_FILE}, made by 'npx osls package'). Point TRIMTAB_POLICY_FILE at a compiled file, or unset it.`);
}

export interface LambdaClients {
  clients: AwsClients;
  account: string;
  sandbox?: Sandbox;
}

let cachedClients: LambdaClients | undefined;

/** The one client factory of this container (no client is made until a call needs it), on the sandbox when TRIMTAB_SANDBOX=1. */
export async function lambdaClients(context?: Pick<Context, 'invokedFunctionArn'>, fresh = false): Promise<LambdaClients> {
  if (cachedClients && !fresh) return cachedClients;
  let sandbox: Sandbox | undefined;
  let account = process.env.TRIMTAB_ACCOUNT_ID ?? accountOf(context) ?? 'unknown';
  if (sandboxed()) {
    if (process.env.TRIMTAB_LEAN_BUNDLE !== '1') {
      const local = (await import('./sandbox.ts')).lambdaSandbox();
      sandbox = local.sandbox;
      account = local.account;
    } else {
      throw new TrimtabError("TRIMTAB_SANDBOX is set, but this bundle was packaged without the sandbox. Package with TRIMTAB_SANDBOX=1 ('TRIMTAB_SANDBOX=1 npx osls invoke local …'), or use 'npx trimtab invoke <function> <event> --sandbox'.");
    }
  }
  const clients = new AwsClients({
    account,
    allowWrites: false,
    interceptor: sandbox,
    instrument: sandbox ? undefined : (client) => tracer.captureAWSv3Client(client as any),
  });
  const made = { clients, account, sandbox };
  if (!fresh) cachedClients = made;
  return made;
}

/**
 * An object made on first use: `make` (and the SDK client it asks the factory for) runs only
 * when a property is first read, so a cold start constructs no client its invocation never calls
 * (e.g. the record step never mails; a sweep without approval-mode findings starts no workflow).
 */
export function onFirstUse<T extends object>(make: () => T): T {
  let real: T | undefined;
  return new Proxy({} as T, {
    get(_, key) {
      real ??= make();
      const value = Reflect.get(real, key, real);
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
}

/** Milliseconds left in this invocation (the engine stops starting actions near the end). */
export const remainingMs = (context: Context | undefined) => () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
