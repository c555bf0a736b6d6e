/**
 * Dependencies of the Lambda functions, built once per container (cold start) and reused.
 * TRIMTAB_SANDBOX=1 runs them against the sandbox account (`osls invoke local`, tests).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { AwsClients } from '../aws/clients.ts';
import { JsonlActionStore, type ActionStore } from '../audit/store.ts';
import type { EngineDeps } from '../engine/run.ts';
import { DEFAULT_POLICY_FILE, loadPolicies, type PolicySet } from '../policy/load.ts';
import { openSandbox, SANDBOX_ACCOUNT, type Sandbox } from '../sandbox/index.ts';
import { logger, tracer } from './powertools.ts';

export interface LambdaDeps {
  policies: PolicySet;
  engine: Omit<EngineDeps, 'remainingMs'>;
  sandbox?: Sandbox;
  /** Persist sandbox state after an invocation (local runs only). */
  flush(): void;
}

let cached: LambdaDeps | undefined;

/** The policy file shipped in the function package (serverless.yml `package.patterns`). */
export function policyFilePath(): string {
  if (process.env.TRIMTAB_POLICY_FILE) return process.env.TRIMTAB_POLICY_FILE;
  const bundled = process.env.LAMBDA_TASK_ROOT ? join(process.env.LAMBDA_TASK_ROOT, DEFAULT_POLICY_FILE) : DEFAULT_POLICY_FILE;
  return existsSync(bundled) ? bundled : DEFAULT_POLICY_FILE;
}

/** The account this function runs in: from its own ARN (arn:aws:lambda:region:ACCOUNT:function:name). */
export function accountOf(context: Pick<Context, 'invokedFunctionArn'> | undefined): string | undefined {
  return context?.invokedFunctionArn?.split(':')[4] || undefined;
}

export function lambdaDeps(overrides: Partial<LambdaDeps> = {}, context?: Context): LambdaDeps {
  if (cached && Object.keys(overrides).length === 0) return cached;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const sandboxed = process.env.TRIMTAB_SANDBOX === '1' || process.env.TRIMTAB_SANDBOX === 'true';
  const sandbox = sandboxed ? openSandbox() : undefined;
  const account = sandbox ? SANDBOX_ACCOUNT : (process.env.TRIMTAB_ACCOUNT_ID ?? accountOf(context) ?? 'unknown');
  const clients = new AwsClients({
    account,
    allowWrites: false,
    interceptor: sandbox,
    instrument: sandbox ? undefined : (client) => tracer.captureAWSv3Client(client as any),
  });
  // Until the DynamoDB audit store is wired, records go to the function's /tmp (per container).
  const store: ActionStore = new JsonlActionStore(process.env.TRIMTAB_HISTORY_FILE ?? (sandbox ? '.trimtab/sandbox-actions.jsonl' : '/tmp/trimtab-actions.jsonl'));
  const deps: LambdaDeps = {
    policies: loadPolicies(policyFilePath()),
    engine: {
      account,
      clients,
      store,
      defaultRegions: (process.env.TRIMTAB_REGIONS ?? region).split(',').map((r) => r.trim()).filter(Boolean),
      log: (message, data) => logger.info(message, data ?? {}),
    },
    sandbox,
    flush: () => sandbox?.save(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json'),
    ...overrides,
  };
  if (Object.keys(overrides).length === 0) cached = deps;
  return deps;
}

/** Milliseconds left in this invocation (the engine stops starting actions near the end). */
export const remainingMs = (context: Context | undefined) => () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
