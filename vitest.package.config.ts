import { defineConfig } from 'vitest/config';

// Runs after `osls package`: checks the CloudFormation template, zips and bundle metafiles it produced.
// The files only read what `osls package` wrote (no vi.mock, no registration, no environment
// changes), so they share one module graph per worker (the registries load once, not once per
// file) and run on two workers: vitest's default is one worker on this 2-core machine.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    // A budget for a hung test, not a speed limit (as in vitest.config.ts): a busy machine makes these slow, never red.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    isolate: false,
    maxWorkers: 2,
  },
});
