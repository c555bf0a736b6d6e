import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects (docs/testing.md): the resource and sandbox unit tests share one module graph per
 * worker (`isolate: false`), so test/setup.ts loads the registries once per worker instead of once
 * per file; they use no vi.mock, register nothing, and restore the environment they set. Everything
 * else (engine, approval, CLI, integration and security tests: synthetic registrations, spies,
 * environment, child processes) keeps a fresh module graph per file.
 */
const SHARED = ['test/unit/resources/**/*.test.ts', 'test/unit/sandbox/**/*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    // The CLI tests spawn the built command (dist/cli): build it first when it is stale.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'shared-registries', include: SHARED, isolate: false } },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SHARED],
        },
      },
    ],
  },
});
