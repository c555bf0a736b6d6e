/**
 * Where the CLI runs: the sandbox account (--sandbox), or a real account through the
 * standard AWS credential chain (AWS_PROFILE, environment, SSO, …).
 */
import { resolve } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClients } from '../aws/clients.ts';
import { JsonlActionStore, type ActionStore } from '../audit/store.ts';
import { openSandbox, SANDBOX_ACCOUNT, SANDBOX_REGION, type Sandbox } from '../sandbox/index.ts';
import { NoCredentialsError, TrimtabError } from '../util/errors.ts';

export interface CliEnvironment {
  account: string;
  clients: AwsClients;
  store: ActionStore;
  defaultRegions: string[];
  sandbox?: Sandbox;
  /** Calls made so far (the sandbox's own count, or the factory's). */
  apiCalls(): number;
  /** Persist the sandbox after writes. */
  close(): void;
}

export const sandboxHistoryFile = () => resolve(process.env.TRIMTAB_SANDBOX_HISTORY_FILE ?? '.trimtab/sandbox-actions.jsonl');

export function useSandbox(flag: boolean | undefined): boolean {
  return Boolean(flag) || process.env.TRIMTAB_SANDBOX === '1' || process.env.TRIMTAB_SANDBOX === 'true';
}

export async function createEnvironment(options: { sandbox?: boolean; regions?: string[] }): Promise<CliEnvironment> {
  if (useSandbox(options.sandbox)) {
    const sandbox = openSandbox();
    const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox });
    const regions = Object.keys(sandbox.account(SANDBOX_ACCOUNT).regions);
    const before = sandbox.callCount();
    return {
      account: SANDBOX_ACCOUNT,
      clients,
      store: new JsonlActionStore(sandboxHistoryFile()),
      defaultRegions: options.regions?.length ? options.regions : regions.length ? regions.sort() : [SANDBOX_REGION],
      sandbox,
      apiCalls: () => sandbox.callCount() - before,
      close: () => sandbox.save(resolve(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json')),
    };
  }
  const region = options.regions?.[0] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const sts = new STSClient(region ? { region } : {});
  try {
    await sts.config.credentials();
  } catch (error) {
    throw new NoCredentialsError(error);
  }
  const resolvedRegion = region ?? (await sts.config.region().catch(() => undefined));
  if (!resolvedRegion) throw new TrimtabError('No AWS region: pass --region, or set AWS_REGION or a region in your AWS profile.');
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  const clients = new AwsClients({ account: identity.Account, allowWrites: false });
  return {
    account: identity.Account!,
    clients,
    store: new JsonlActionStore(),
    defaultRegions: options.regions?.length ? options.regions : [resolvedRegion],
    apiCalls: () => clients.callCount() + 1,
    close: () => {},
  };
}
