/**
 * Which account × region items a sweep covers. A policy's scope may name accounts and OUs
 * (both: an account must be in both, as the engine's scope check reads `accounts`); a policy
 * naming neither covers every account of the organization block. Regions: the policy's, else
 * the organization's, else the hub's defaults. Without an organization block, the hub only.
 */
import type { Policy } from '../policy/load.ts';
import { TrimtabError } from '../util/errors.ts';
import { closest } from '../util/closest.ts';
import { allAccounts, type OrganizationConfig } from './config.ts';

/** One Map item: an account and a region, with the policies that cover them. */
export interface SweepItem {
  account: string;
  region: string;
  policies: string[];
}

/** The accounts a policy covers. An unknown OU is an error naming it and the known ones. */
export function accountsOf(policy: Policy, org: OrganizationConfig | undefined, hubAccount: string): string[] {
  if (!org) return policy.scope.accounts ?? [hubAccount];
  const ous = policy.scope.organizationalUnits;
  let accounts: string[] | undefined;
  if (ous?.length) {
    const known = Object.keys(org.organizationalUnits);
    const unknown = ous.filter((ou) => !org.organizationalUnits[ou]);
    if (unknown.length) {
      const hint = closest(unknown[0], known);
      throw new TrimtabError(
        `Policy '${policy.id}': scope.organizationalUnits names ${unknown.join(', ')}, which organization.organizationalUnits in trimtab.yml does not map${hint ? ` (did you mean '${hint}'?)` : ''}. Known OUs: ${known.join(', ') || '(none)'}`,
      );
    }
    accounts = [...new Set(ous.flatMap((ou) => org.organizationalUnits[ou]))];
  }
  if (policy.scope.accounts) accounts = accounts ? accounts.filter((a) => policy.scope.accounts!.includes(a)) : policy.scope.accounts;
  if (accounts) return [...new Set(accounts)].sort();
  const everyone = allAccounts(org);
  return everyone.length ? everyone : [hubAccount];
}

export interface ItemOptions {
  hubAccount: string;
  defaultRegions: string[];
  /** Only these accounts (CLI --account). */
  accounts?: string[];
  /** Only these regions (CLI --region). */
  regions?: string[];
}

/** Every account × region with at least one policy, sorted (a stable Map input). */
export function sweepItems(policies: Policy[], org: OrganizationConfig | undefined, options: ItemOptions): SweepItem[] {
  const items = new Map<string, SweepItem>();
  for (const policy of policies) {
    const regions = (policy.scope.regions ?? org?.regions ?? options.defaultRegions).filter((r) => !options.regions || options.regions.includes(r));
    for (const account of accountsOf(policy, org, options.hubAccount)) {
      if (options.accounts && !options.accounts.includes(account)) continue;
      for (const region of regions) {
        const key = `${account}/${region}`;
        const item = items.get(key) ?? { account, region, policies: [] };
        item.policies.push(policy.id);
        items.set(key, item);
      }
    }
  }
  return [...items.values()].sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
}
