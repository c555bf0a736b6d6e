/**
 * The hub's way into member accounts: STS AssumeRole on the member role, one client factory
 * per account. The factory keeps the hub's settings (dry-run guard, write pacing keyed by
 * account, retries, sandbox interceptor); only the credentials change.
 *
 * Credentials are a provider function the SDK calls when it needs them: assumed once, reused
 * until five minutes before they expire, then assumed again (a long sweep never fails on
 * expired credentials). A refusal (AccessDenied: the role is missing, or its trust policy does
 * not name the hub) is a MemberAccessError naming the account and the role.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients.ts';
import { TrimtabError, errorMessage } from '../util/errors.ts';
import { memberRoleArn, type OrganizationConfig } from './config.ts';
import { partitionOf } from '../aws/regions.ts';

/** The hub could not assume the member role: the account is skipped and the failure recorded. */
export class MemberAccessError extends TrimtabError {
  constructor(
    readonly account: string,
    readonly roleArn: string,
    cause: unknown,
  ) {
    super(`Cannot assume ${roleArn} in account ${account}: ${(cause as Error)?.name ?? 'Error'}: ${errorMessage(cause)}. Deploy the member role there (docs/organizations.md: the StackSet) or remove the account from organization.`, { cause });
  }
}

export interface MemberRolesOptions {
  /** The hub's clients (the account trimtab runs in). */
  hub: AwsClients;
  /** The hub's account id; resolved with GetCallerIdentity when absent. */
  hubAccount?: string;
  config: Pick<OrganizationConfig, 'memberRole'>;
  stage?: string;
  /** Region for STS (regional endpoints). */
  region: string;
  /** Role ARN per account, overriding the config's name (CLI --role-arn). */
  roleArns?: Record<string, string>;
  now?: () => Date;
}

const REFRESH_MARGIN_MS = 5 * 60_000;
const FAILURE_MEMORY_MS = 60_000;

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export class MemberRoles {
  private readonly cache = new Map<string, Promise<AwsClients>>();
  private readonly failures = new Map<string, number>();
  private hubAccount?: Promise<string>;

  constructor(readonly options: MemberRolesOptions) {
    if (options.hubAccount) this.hubAccount = Promise.resolve(options.hubAccount);
  }

  roleArn(account: string): string {
    // The role is in the hub's partition: accounts of one organization are all in one partition.
    return this.options.roleArns?.[account] ?? memberRoleArn(account, this.options.config, this.options.stage, partitionOf(this.options.region));
  }

  /** The hub's own account id (its clients are used there as they are). */
  hub(): Promise<string> {
    this.hubAccount ??= this.options.hub
      .get(STSClient, this.options.region)
      .send(new GetCallerIdentityCommand({}))
      .then((r) => r.Account!);
    return this.hubAccount;
  }

  /**
   * Clients acting in `account`. The first call assumes the role (so an AccessDenied surfaces
   * here, before any listing); later calls share the factory and its credentials.
   */
  clientsFor = async (account: string): Promise<AwsClients> => {
    if (account === (await this.hub())) return this.options.hub;
    const now = (this.options.now ?? (() => new Date()))().getTime();
    const failedAt = this.failures.get(account);
    // A refusal is remembered for a minute (every region of this sweep fails the same way, with one
    // STS call), then forgotten: a warm Lambda container retries once the StackSet reached the account.
    if (failedAt !== undefined && now - failedAt > FAILURE_MEMORY_MS) {
      this.cache.delete(account);
      this.failures.delete(account);
    }
    let clients = this.cache.get(account);
    if (!clients) {
      clients = this.open(account);
      this.cache.set(account, clients);
      clients.catch(() => this.failures.set(account, now));
    }
    return clients;
  };

  private async open(account: string): Promise<AwsClients> {
    const roleArn = this.roleArn(account);
    const sts = this.options.hub.get(STSClient, this.options.region);
    const now = this.options.now ?? (() => new Date());
    const assume = async (): Promise<Credentials> => {
      try {
        const { Credentials: c } = await sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: `trimtab-${account}`,
            DurationSeconds: this.options.config.memberRole.durationSeconds,
            ...(this.options.config.memberRole.externalId ? { ExternalId: this.options.config.memberRole.externalId } : {}),
          }),
        );
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('STS returned no credentials');
        return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration ? new Date(c.Expiration) : undefined };
      } catch (error) {
        throw new MemberAccessError(account, roleArn, error);
      }
    };
    let current = await assume();
    const provider = async () => {
      if (current.expiration && current.expiration.getTime() - now().getTime() < REFRESH_MARGIN_MS) current = await assume();
      return current;
    };
    return this.options.hub.forAccount(account, provider);
  }
}
