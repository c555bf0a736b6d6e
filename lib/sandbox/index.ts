/** Opening, seeding and saving the sandbox account. */
import { toClock } from '../util/clock.ts';
import { resolve } from 'node:path';
import { Sandbox, type SandboxOptions } from './sandbox.ts';
import { SANDBOX_SERVICES } from './services/index.ts';
import { DEFAULT_SCENARIO, scenarios } from './scenarios/index.ts';

export { Sandbox, SANDBOX_ACCOUNT, SANDBOX_REGION } from './sandbox.ts';

/** Where the CLI keeps the sandbox between invocations (git-ignored). */
export const sandboxFile = () => resolve(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json');

/** A freshly seeded sandbox (in memory). */
export function seededSandbox(scenario = DEFAULT_SCENARIO, options: SandboxOptions = {}): Sandbox {
  const spec = scenarios.get(scenario);
  const now = toClock(options.clock).now();
  const sandbox = new Sandbox(Sandbox.emptyState(spec.id, now), SANDBOX_SERVICES, options);
  spec.seed(sandbox);
  return sandbox;
}

/** The persisted sandbox, seeded with the default scenario on first use. */
export function openSandbox(file = sandboxFile(), options: SandboxOptions = {}): Sandbox {
  const state = Sandbox.readState(file);
  if (state) return new Sandbox(state, SANDBOX_SERVICES, options);
  const sandbox = seededSandbox(DEFAULT_SCENARIO, options);
  sandbox.save(file);
  return sandbox;
}

export function resetSandbox(scenario = DEFAULT_SCENARIO, file = sandboxFile()): Sandbox {
  const sandbox = seededSandbox(scenario);
  sandbox.save(file);
  return sandbox;
}
