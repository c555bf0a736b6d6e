import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects (docs/testing.md, "Speed"): almost every file shares one module graph per worker
 * (`isolate: false`), so test/setup.ts loads the registries once per worker instead of once per
 * file. A file in the shared project uses no vi.mock, registers nothing into a registry, and
 * restores what it changes (environment variables, spies, fake timers) in its own hooks.
 * The files below break one of those rules on purpose and keep a fresh module graph each:
 * - engine/streaming, engine/partial, engine/limits-fake, report/stream, approval-apply-loop, approval/workflow-steps: register
 *   synthetic detectors, remediators or resource types into the shared registries (test/synthetic.ts, registerRemediator);
 * - cli/lazy-sdk: counts SDK loads on globalThis and needs a fresh module cache to see them;
 * - lambda/metrics: the Powertools Metrics singleton (lib/lambda/powertools.ts) reads the
 *   environment when it is created;
 * compute-optimizer, sandbox-dynamodb-cli and cli/getting-started were here for failures in one run
 * of the whole suite; none was isolation (docs/testing.md, "Suite"): compute-optimizer read
 * unit/compute-optimizer/second-opinion's aws-sdk-client-mock, which that file now restores in
 * afterAll; the other two had wall-clock limits a load average of 25 broke (doctor's "fast" checks,
 * the CLI helper's 60 s kill).
 */
const ISOLATED = [
  'test/unit/engine/streaming.test.ts',
  'test/unit/engine/partial.test.ts',
  'test/unit/engine/limits-fake.test.ts',
  'test/unit/report/stream.test.ts',
  'test/integration/approval-apply-loop.test.ts',
  'test/unit/approval/workflow-steps.test.ts',
  'test/unit/cli/lazy-sdk.test.ts',
  'test/unit/lambda/metrics.test.ts',
];
const ALL = ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    // The CLI tests spawn the built command (dist/cli): build it first when it is stale.
    globalSetup: ['test/global-setup.ts'],
    // A budget for a hung test, not a speed limit: at a load average of 25 tests that take seconds
    // idle (sweep, blast-radius, capacity-functions) passed 30 s and failed only because the machine
    // was busy. Speed is measured per file (docs/testing.md, "Suite"), not enforced per test.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Forks, not threads: threads share one process.env and one cwd between files running at the
    // same time, and several files set the environment (restored) or spawn the CLI with it.
    pool: 'forks',
    // vitest's default is one worker less than the cores: one worker on this 2-core machine. Many
    // files wait on child processes, local servers and dynalite, so two workers keep both cores busy.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'shared-registries', include: ALL, exclude: [...configDefaults.exclude, ...ISOLATED], isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
});
