import { defineConfig } from 'vitest/config';

// Runs after `osls package`: checks the CloudFormation template it produced.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
