/** A sandbox account for one benchmark case: a fixed clock, clients over the sandbox, engine deps, the sweep's policies. */
import { AwsClients } from '../aws/clients.ts';
import { MemoryActionStore } from '../audit/store.ts';
import type { EngineDeps } from '../engine/run.ts';
import type { Detector } from '../engine/types.ts';
import { loadPolicies, type Policy } from '../policy/load.ts';
import { detectors } from '../resources/index.ts';
import { Sandbox, SANDBOX_ACCOUNT } from '../sandbox/sandbox.ts';
import { SANDBOX_SERVICES } from '../sandbox/services/index.ts';

/** Every case runs at the same instant, so seeds and windows are identical run to run. */
export const BENCH_NOW = new Date('2026-11-01T00:00:00Z');
export const BENCH_REGION = 'us-east-1';

export function benchSandbox(latencyMs = 0): Sandbox {
  return new Sandbox(Sandbox.emptyState('bench', BENCH_NOW), SANDBOX_SERVICES, { clock: () => BENCH_NOW, latencyMs, countAnswerCpu: true });
}

/** Engine deps over a sandbox, as the test harness builds them (memory store, unpaced writes). */
export function benchDeps(sandbox: Sandbox, regions = [BENCH_REGION]): EngineDeps {
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 6 } });
  return { account: SANDBOX_ACCOUNT, clients, store: new MemoryActionStore(), defaultRegions: regions, now: () => sandbox.now() };
}

/** The policies a daily sweep runs (those with a schedule in trimtab.yml), optionally of one resource type. */
export function sweepPolicies(resource?: string, file = 'trimtab.yml'): Policy[] {
  return loadPolicies(file).policies.filter((p) => p.triggers.some((t) => 'schedule' in t) && (!resource || p.resource === resource));
}

/** The union of the detectors' needs over the policies (what the engine fetches per page). */
export function needsOf(policies: Policy[]): Set<string> {
  const needs = new Set<string>();
  for (const p of policies) {
    const detector: Detector<any, any> = detectors(p.resource).get(p.detector.type);
    const { type: _type, ...options } = p.detector as Record<string, unknown>;
    for (const n of typeof detector.needs === 'function' ? detector.needs(options) : (detector.needs ?? [])) needs.add(n);
  }
  return needs;
}
