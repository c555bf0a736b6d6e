import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * serverless.yml's `define: ${file(./lib/lambda/package-plugin.cjs):esbuildDefine}`, resolved by
 * osls's own `file` variable source: osls calls the function with its resolver object
 * ({ options, resolveConfigurationProperty, resolveVariable }), never with process.env.
 */
const require = createRequire(import.meta.url);
const fileSource = require('osls/lib/configuration/variables/sources/file.js') as {
  resolve: (args: Record<string, unknown>) => Promise<{ value: unknown }>;
};

const resolveDefine = () =>
  fileSource.resolve({
    serviceDir: resolve('.'),
    params: ['./lib/lambda/package-plugin.cjs'],
    address: 'esbuildDefine',
    options: {},
    resolveConfigurationProperty: async () => undefined,
    resolveVariable: async () => undefined,
    resolveVariablesInString: async (s: string) => s,
  });

const saved = process.env.TRIMTAB_SANDBOX;
afterEach(() => {
  if (saved === undefined) delete process.env.TRIMTAB_SANDBOX;
  else process.env.TRIMTAB_SANDBOX = saved;
});

describe('esbuildDefine as osls resolves it', () => {
  it('keeps the sandbox in the bundles when TRIMTAB_SANDBOX=1 is set', async () => {
    // Prepare
    process.env.TRIMTAB_SANDBOX = '1';

    // Act
    const { value } = await resolveDefine();

    // Assess
    expect(value).toEqual({ 'process.env.TRIMTAB_LEAN_BUNDLE': '"0"' });
  });

  it('makes lean bundles when TRIMTAB_SANDBOX is not set', async () => {
    // Prepare
    delete process.env.TRIMTAB_SANDBOX;

    // Act
    const { value } = await resolveDefine();

    // Assess
    expect(value).toEqual({ 'process.env.TRIMTAB_LEAN_BUNDLE': '"1"' });
  });
});
