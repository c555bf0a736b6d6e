/**
 * The CLI's sandbox environment (lib/cli/env.ts): its writes are not paced in real time. The pacer
 * keeps writes under AWS's throttling buckets; the sandbox has none (docs/sandbox.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNED_DEMO } from '../../../lib/cli/demo-owned.ts';
import { createEnvironment } from '../../../lib/cli/env.ts';

const VARIABLES = ['TRIMTAB_SANDBOX_FILE', 'TRIMTAB_SANDBOX_HISTORY_FILE', 'TRIMTAB_HISTORY_FILE'] as const;
let dir: string;
let saved: Record<string, string | undefined>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-env-'));
  saved = Object.fromEntries(VARIABLES.map((v) => [v, process.env[v]]));
  process.env.TRIMTAB_SANDBOX_FILE = join(dir, 'sandbox.json');
  process.env.TRIMTAB_SANDBOX_HISTORY_FILE = join(dir, 'sandbox-actions.jsonl');
  process.env.TRIMTAB_HISTORY_FILE = join(dir, 'actions.jsonl');
});

afterEach(() => {
  for (const v of VARIABLES) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI sandbox environment', () => {
  it('sends its writes unpaced, in its own account and in the owned-resource scene\'s, and still refuses writes without a decision', async () => {
    // Act
    const env = await createEnvironment({ sandbox: true });
    try {
      const owned = await env.accountClients!(OWNED_DEMO.account);

      // Assess
      expect(env.clients.options.writePacing).toBe(false);
      expect(owned.options.writePacing).toBe(false);
      expect(env.clients.allowWrites).toBe(false);
      expect(owned.allowWrites).toBe(false);
      expect(env.clients.options.interceptor).toBe(env.sandbox);
    } finally {
      env.close();
    }
  });
});
