/**
 * Where the CLI runs: the sandbox account (--sandbox), or a real account through the
 * standard AWS credential chain (AWS_PROFILE, environment, SSO, …).
 *
 * Where it records: local JSON Lines files, or a deployed stage's audit table when pointed at
 * one (`--stage NAME`, or TRIMTAB_AUDIT_TABLE). With a stage, actions share the stage's
 * idempotency table and events go to its bus (TRIMTAB_EVENT_BUS, default bus otherwise).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isKnownRegion, unknownRegionMessage } from '../aws/regions.ts';
import { invokedAs } from './invoked.ts';
import { OWNED_DEMO } from './demo-owned.ts';
import { endpointOf, isNetworkError } from './network.ts';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClients } from '../aws/clients.ts';
import { ensureSandboxAuditTables } from '../audit/sandbox-tables.ts';
import { auditSettingsFromEnv, createAudit, stageTables, type Audit, type AuditSettings } from '../audit/setup.ts';
import { JsonlActionStore, type ActionStore } from '../audit/store.ts';
import type { EngineDeps } from '../engine/run.ts';
import { faultsFromEnv } from '../sandbox/faults.ts';
import { openSandbox, SANDBOX_ACCOUNT, SANDBOX_REGION, type Sandbox } from '../sandbox/index.ts';
import { NoCredentialsError, TrimtabError, errorMessage } from '../util/errors.ts';

export interface CliEnvironment {
  account: string;
  clients: AwsClients;
  store: ActionStore;
  defaultRegions: string[];
  sandbox?: Sandbox;
  audit: Audit;
  /** The deployed stage's audit table, when the CLI is pointed at one. */
  auditTable?: string;
  /** Calls made so far (the sandbox's own count, or the factory's). */
  apiCalls(): number;
  /** Engine deps with the audit trail and idempotency wired in. */
  engineDeps(): EngineDeps;
  /** The sandbox only: clients for the demo's owned-resource account (lib/cli/demo-owned.ts), so its approval, history and undo work. */
  accountClients?: EngineDeps['accountClients'];
  /** Send queued events, then close. */
  finish(): Promise<void>;
  /** Persist the sandbox after writes. */
  close(): void;
}

export interface EnvironmentOptions {
  sandbox?: boolean;
  regions?: string[];
  /** A deployed stage whose audit table (trimtab-<stage>-audit) the CLI reads and writes. */
  stage?: string;
}

/** Settings for the CLI: a stage's tables, else TRIMTAB_AUDIT_TABLE etc., else local files and no events. */
export function cliAuditSettings(stage: string | undefined, env: NodeJS.ProcessEnv = process.env): AuditSettings {
  const fromEnv = auditSettingsFromEnv(env);
  if (stage) return { ...fromEnv, ...stageTables(stage), eventBus: fromEnv.eventBus ?? 'default' };
  return { ...fromEnv, eventBus: fromEnv.auditTable ? (fromEnv.eventBus ?? 'default') : undefined };
}

function withAudit(base: Omit<CliEnvironment, 'audit' | 'store' | 'engineDeps' | 'finish'>, settings: AuditSettings, region: string, fallbackFile?: string): CliEnvironment {
  const audit = createAudit({ clients: base.clients, region, settings, fallbackStore: () => new JsonlActionStore(fallbackFile) });
  const env: CliEnvironment = {
    ...base,
    audit,
    store: audit.store,
    auditTable: settings.auditTable,
    engineDeps: () => ({ account: env.account, clients: env.clients, defaultRegions: env.defaultRegions, ...(base.accountClients ? { accountClients: base.accountClients } : {}), ...audit.trail.engineDeps(), idempotency: audit.idempotency }),
    async finish() {
      try {
        const report = await audit.trail.flush();
        if (report.failed.length) console.error(`trimtab: ${report.failed.length} event(s) were not published (first: ${report.failed[0].errorCode}: ${report.failed[0].errorMessage})`);
      } finally {
        env.close();
      }
    },
  };
  return env;
}

export const sandboxHistoryFile = () => resolve(process.env.TRIMTAB_SANDBOX_HISTORY_FILE ?? '.trimtab/sandbox-actions.jsonl');

export function useSandbox(flag: boolean | undefined): boolean {
  return Boolean(flag) || process.env.TRIMTAB_SANDBOX === '1' || process.env.TRIMTAB_SANDBOX === 'true';
}

export async function createEnvironment(options: EnvironmentOptions): Promise<CliEnvironment> {
  const settings = cliAuditSettings(options.stage);
  if (useSandbox(options.sandbox)) {
    const sandbox = openSandboxFile();
    // Writes are paced to stay under AWS's throttling buckets (lib/aws/pacer.ts); the sandbox has no
    // buckets to stay under, and pacing its writes in real time was half of the demo's 17 s.
    const unpaced = { allowWrites: false, interceptor: sandbox, writePacing: false } as const;
    const clients = new AwsClients({ account: SANDBOX_ACCOUNT, ...unpaced });
    // A stage in the sandbox: its tables exist as the stack would create them.
    if (settings.auditTable) ensureSandboxAuditTables(sandbox, SANDBOX_ACCOUNT, SANDBOX_REGION, settings);
    const regions = Object.keys(sandbox.account(SANDBOX_ACCOUNT).regions).filter((r) => Object.keys(sandbox.account(SANDBOX_ACCOUNT).regions[r]).some((k) => k !== 'dynamodb' && k !== 'eventbridge'));
    const before = sandbox.callCount();
    return withAudit(
      {
        account: SANDBOX_ACCOUNT,
        clients,
        defaultRegions: options.regions?.length ? options.regions : regions.length ? regions.sort() : [SANDBOX_REGION],
        sandbox,
        apiCalls: () => sandbox.callCount() - before,
        // The demo's owned-resource scene has its own account; any other account stays out of reach, as without a member role.
        accountClients: async (account: string) => {
          if (account !== OWNED_DEMO.account) throw new TrimtabError(`The resource is in account ${account}, but this run has no way into it (no member role: lib/org); nothing was changed.`);
          return new AwsClients({ account, ...unpaced });
        },
        close: () => sandbox.save(resolve(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json')),
      },
      settings,
      SANDBOX_REGION,
      sandboxHistoryFile(),
    );
  }
  const region = options.regions?.[0] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const sts = new STSClient(region ? { region } : {});
  try {
    await sts.config.credentials();
  } catch (error) {
    throw missingProfile(error) ?? new NoCredentialsError(error);
  }
  const resolvedRegion = region ?? (await sts.config.region().catch(() => undefined));
  if (!resolvedRegion) throw new TrimtabError('No AWS region: pass --region, or set AWS_REGION or a region in your AWS profile.');
  if (!isKnownRegion(resolvedRegion)) throw new TrimtabError(`The AWS region from ${options.regions?.[0] ? '--region' : process.env.AWS_REGION ? 'AWS_REGION' : process.env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : 'your AWS profile'}: ${unknownRegionMessage(resolvedRegion)}.`);
  let identity;
  try {
    identity = await sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    // Offline, a proxy or a firewall: the same words as `trimtab doctor`, not a bare getaddrinfo ENOTFOUND.
    if (isNetworkError(error)) {
      throw new TrimtabError(`cannot reach AWS STS at ${endpointOf('sts', resolvedRegion, process.env)}: ${errorMessage(error).replace(/\.+$/, '')}. Offline, or a proxy or firewall is in the way; without a network use --sandbox.`, { cause: error });
    }
    throw error;
  }
  const clients = new AwsClients({ account: identity.Account, allowWrites: false });
  return withAudit(
    {
      account: identity.Account!,
      clients,
      defaultRegions: options.regions?.length ? options.regions : [resolvedRegion],
      apiCalls: () => clients.callCount() + 1,
      close: () => {},
    },
    settings,
    // The stage's tables live in the region it was deployed to (--region, or the profile's).
    resolvedRegion,
  );
}

/** The sandbox account's file, or an error naming it and the way out when it cannot be read. */
function openSandboxFile() {
  const file = resolve(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json');
  // TRIMTAB_SANDBOX_FAULTS: fail chosen sandbox calls (lib/sandbox/faults.ts, docs/partial-failures.md).
  const faults = faultsFromEnv();
  try {
    return openSandbox(undefined, faults ? { faults } : {});
  } catch (error) {
    throw new TrimtabError(`The sandbox file ${file} cannot be read (${errorMessage(error).split('\n')[0]}). Run '${invokedAs()} sandbox reset' to start a fresh sandbox account (it replaces that file).`, { cause: error });
  }
}

/** AWS_PROFILE names a profile the config and credentials files do not have: say that, not "no credentials". */
function missingProfile(error: unknown): TrimtabError | undefined {
  const profile = process.env.AWS_PROFILE;
  if (!profile) return undefined;
  const home = homedir();
  const files = [process.env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'), process.env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials')];
  const names = new Set<string>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const [, name] of readFileSync(file, 'utf8').matchAll(/^\s*\[(?:profile\s+)?([^\]]+?)\s*\]/gm)) names.add(name);
  }
  if (names.has(profile)) return undefined;
  return new TrimtabError(
    `AWS_PROFILE is '${profile.slice(0, 64)}', but no such profile exists in ${files.join(' or ')} (${names.size ? `profiles there: ${[...names].sort().join(', ')}` : 'they define no profiles'}). Set AWS_PROFILE to one of them, or run 'aws configure --profile ${profile.slice(0, 64)}'; or use --sandbox.`,
    { cause: error },
  );
}
