/**
 * The approval tests' clock and link secret, with no imports: the page's unit tests (and Stryker, which re-imports a
 * test file's module graph for every mutant) need only these, not the local stack in approval-helpers.ts.
 */
export const CLOCK = () => new Date('2026-11-01T00:00:00Z');
export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
