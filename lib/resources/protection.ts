/**
 * The protections every resource type honours, below both the engine and the resource modules
 * (the modules import from here, the engine's scope re-exports it): nothing in this file imports
 * anything, so it can never close an import cycle.
 */

/** Tag that keeps trimtab's hands off a resource, whatever the policy says. */
export const SKIP_TAG = 'trimtab:skip';
