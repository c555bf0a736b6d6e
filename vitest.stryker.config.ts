import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The vitest configuration Stryker uses (stryker.config.json, docs/testing.md "Mutation testing").
 *
 * vitest.config.ts runs two `projects` with different isolation; Stryker's vitest runner forces
 * `pool: 'threads'` with one worker and re-runs only the tests that cover each mutant, so it gets one
 * flat project here with a fresh module graph per file (the safe choice for every test file).
 *
 * STRYKER_TESTS narrows the test files (comma-separated globs, default: the unit, integration and
 * security suites). A mutant's tests are found by per-test coverage; the narrowing only keeps the
 * initial dry run short on a shared machine, e.g. for lib/approval/links.ts:
 *   STRYKER_TESTS='test/unit/approval/**,test/security/approval-attacks.test.ts' npx stryker run --mutate lib/approval/links.ts
 * STRYKER_SETUP=none leaves out test/setup.ts (it loads every resource module, ~20 s a run on the shared
 * machine) for test files of pure functions that need none of it, e.g. lib/engine/scope.ts's.
 * The CLI tests spawn the built command in a child process, which never runs the mutated code, so they
 * are left out.
 */
const DEFAULT = ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'];
const include = process.env.STRYKER_TESTS ? process.env.STRYKER_TESTS.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT;

const setupFiles = process.env.STRYKER_SETUP === 'none' ? [] : ['test/setup.ts'];

export default defineConfig({
  test: {
    setupFiles,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include,
    exclude: [
      ...configDefaults.exclude,
      'test/unit/cli/**',
      'test/integration/*cli*.test.ts',
      'test/integration/install.test.ts',
      'test/integration/demo.test.ts',
      'test/package/**',
    ],
  },
});
