/** Policy scope (tags, names) and the protections that hold for every resource type. */
import type { Scope } from '../policy/load.ts';
import type { ResourceRef } from './types.ts';

import { SKIP_TAG } from '../resources/protection.ts';

/** Tag that keeps trimtab's hands off a resource, whatever the policy says (its home: lib/resources/protection.ts). */
export { SKIP_TAG };

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

function tagMatches(tags: Record<string, string>, key: string, wanted: string | string[]): boolean {
  if (!(key in tags)) return false;
  const values = Array.isArray(wanted) ? wanted : [wanted];
  return values.includes('*') || values.includes(tags[key]);
}

/** Whether a resource is inside the policy's scope (regions are handled by the engine's listing). */
export function inScope(scope: Scope, resource: ResourceRef): boolean {
  if (scope.accounts && !scope.accounts.includes(resource.account)) return false;
  if (scope.includeTags && !Object.entries(scope.includeTags).every(([k, v]) => tagMatches(resource.tags, k, v))) return false;
  if (scope.excludeTags && Object.entries(scope.excludeTags).some(([k, v]) => tagMatches(resource.tags, k, v))) return false;
  if (scope.includeNames && !scope.includeNames.some((g) => globToRegExp(g).test(resource.id))) return false;
  if (scope.excludeNames && scope.excludeNames.some((g) => globToRegExp(g).test(resource.id))) return false;
  return true;
}

/**
 * Whether a resource can be in the policy's scope, judged from what its listing gave before
 * enrichment: accounts and names always, tags only when the listing carries them complete.
 * The engine skips enrichment (per-resource reads) for resources no policy can want.
 */
export function mayBeInScope(scope: Scope, resource: ResourceRef, tagsListed: boolean): boolean {
  if (tagsListed) return inScope(scope, resource);
  return inScope({ ...scope, includeTags: undefined, excludeTags: undefined }, resource);
}

/** Protections common to every resource type; modules add their own (AMI references, Backup, …). */
export function protectionOf(resource: ResourceRef): string | undefined {
  if (SKIP_TAG in resource.tags) return `tagged ${SKIP_TAG}`;
  return undefined;
}
