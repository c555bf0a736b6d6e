/** Shared test harness: a seeded sandbox, clients over it, a memory store and engine deps. */
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { toClock, VirtualClock } from '../lib/util/clock.ts';
import { AwsClients } from '../lib/aws/clients.ts';
import { MemoryActionStore } from '../lib/audit/store.ts';
import { runPolicies, type EngineDeps, type RunOptions } from '../lib/engine/run.ts';
import { loadPolicies, parsePolicies, type Policy, type PolicySet } from '../lib/policy/load.ts';
import { createAudit } from '../lib/audit/setup.ts';
import type { LambdaDeps } from '../lib/lambda/deps.ts';
import { RunMetrics } from '../lib/lambda/metrics.ts';
import { Sandbox, SANDBOX_ACCOUNT } from '../lib/sandbox/sandbox.ts';
import { SANDBOX_SERVICES } from '../lib/sandbox/services/index.ts';
import { seededSandbox } from '../lib/sandbox/index.ts';
import { s3State } from '../lib/sandbox/services/s3.ts';
import type { SandboxOptions } from '../lib/sandbox/sandbox.ts';

/** Where virtual time starts in the tests that do not bring their own clock. */
export const TEST_START = '2026-11-01T00:00:00Z';

/**
 * The sandbox the tests get unless they opt out: as hard as AWS. A virtual clock (sleeps
 * cost no real time, runs are deterministic), AWS-like state durations, a read-after-write
 * window of 1 s, and every listing capped at 5 items a page, so every paginator in trimtab
 * really pages.
 */
export const AWS_LIKE_TEST_DEFAULTS = { timing: { scale: 1, consistencyMs: 1000 }, pageCap: 5 } as const;

/**
 * Stale reads for a second after every write, small pages, but state transitions that take no
 * time (S3 lifecycle propagation then settles within verify's re-reads). For suites about whole
 * flows (audit, idempotency, faults, triggers, organizations) rather than the timed states,
 * which have their own tests (e.g. s3-lifecycle-propagation, ebs-snapshot-aws-timing, waste1).
 */
export const SETTLED_TIMING = { scale: 0, consistencyMs: 1000 } as const;

/**
 * Options for a test sandbox. `kind: true` opts out of the AWS-like defaults (instant,
 * consistent, no page cap): for the few unit-style tests that count calls at full page size.
 */
export type TestSandboxOptions = SandboxOptions & { kind?: boolean };

/** The sandbox options a test gets: its own, over the AWS-like defaults unless it opts out. */
export function testSandboxOptions(options: TestSandboxOptions = {}): SandboxOptions {
  const { kind, ...own } = options;
  if (kind) return own;
  return {
    ...own,
    clock: own.clock ?? new VirtualClock(TEST_START),
    timing: { ...AWS_LIKE_TEST_DEFAULTS.timing, ...own.timing },
    pageCap: 'pageCap' in own ? own.pageCap : AWS_LIKE_TEST_DEFAULTS.pageCap,
  };
}

export interface TestEnv {
  sandbox: Sandbox;
  clients: AwsClients;
  store: MemoryActionStore;
  deps: EngineDeps;
  run(policies: Policy[] | string, options?: Omit<RunOptions, 'policies'>): ReturnType<typeof runPolicies>;
}

/** A sandbox with the named scenario ('empty' for a blank account you seed yourself). */
export function testEnv(scenario = 'small-company', options: TestSandboxOptions & { regions?: string[] } = {}): TestEnv {
  const sandbox = seededSandbox(scenario, testSandboxOptions(options));
  return envFor(sandbox, options.regions);
}

/**
 * The SDK's retries as the deployed clients make them (6 attempts, throttling and AWS's retryable
 * errors retried), without the real backoff: a test asserts the retries (call counts,
 * `$metadata.attempts`), never waits seconds of wall clock for them. A getter, so every client gets
 * its own strategy (its own retry quota), as each deployed client does.
 */
export function zeroDelayRetries(maxAttempts = 6): { retryStrategy: ConfiguredRetryStrategy } {
  return {
    get retryStrategy() {
      return new ConfiguredRetryStrategy(maxAttempts, 0);
    },
  };
}

/** Wrap an existing sandbox (e.g. one seeded by hand from Sandbox.emptyState). */
export function envFor(sandbox: Sandbox, regions?: string[]): TestEnv {
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: zeroDelayRetries() });
  const store = new MemoryActionStore();
  const deps: EngineDeps = {
    account: SANDBOX_ACCOUNT,
    clients,
    store,
    defaultRegions: regions ?? (Object.keys(sandbox.account(SANDBOX_ACCOUNT).regions).sort().length ? Object.keys(sandbox.account(SANDBOX_ACCOUNT).regions).sort() : ['us-east-1']),
    now: () => sandbox.now(),
    clock: sandbox.clock,
  };
  return {
    sandbox,
    clients,
    store,
    deps,
    run: (policies, runOptions = {}) => runPolicies({ policies: typeof policies === 'string' ? policiesFrom(policies) : policies, ...runOptions }, deps),
  };
}

/** An empty sandbox to seed by hand (AWS-like unless `kind: true`). */
export function emptySandbox(options: TestSandboxOptions = {}): Sandbox {
  const resolved = testSandboxOptions(options);
  return new Sandbox(Sandbox.emptyState('test', toClock(resolved.clock).now()), SANDBOX_SERVICES, resolved);
}

/** Policies from inline YAML. */
export function policiesFrom(yaml: string): Policy[] {
  return parsePolicies(yaml, 'test.yml').policies;
}

/**
 * Lambda deps over a test env, as a container would build them but with the env's memory
 * store: no tables, no event bus, memory idempotency.
 */
export function lambdaDepsFor(env: TestEnv, policies: PolicySet = loadPolicies('trimtab.yml')): LambdaDeps {
  const metrics = new RunMetrics();
  const audit = createAudit({
    clients: env.clients,
    region: 'us-east-1',
    settings: { ttlAttribute: 'expiresAt', retentionDays: 30 },
    fallbackStore: () => env.store,
    counter: metrics,
    now: env.deps.now,
  });
  return {
    policies,
    engine: { ...env.deps, ...audit.trail.engineDeps(), idempotency: audit.idempotency },
    sandbox: env.sandbox,
    audit,
    metrics,
    begin: () => {},
    finish: async () => {
      await audit.trail.flush();
    },
    flush: () => {},
  };
}

/** A fixed set of buckets, independent of the demo scenario: 4 without an abort rule, 1 protected (trimtab:skip), 1 already fine. */
export function fourBucketsEnv(options: TestSandboxOptions = {}) {
  const sandbox = emptySandbox(options);
  const { buckets } = s3State(sandbox, sandbox.account());
  const bucket = (name: string, region: string, tags: Record<string, string>, lifecycle?: { Rules: any[] }) =>
    (buckets[name] = { name, region, tags, lifecycle, createdAt: '2025-01-01T00:00:00.000Z', multipartUploads: [{ key: 'k', uploadId: 'u', initiated: '2026-10-01T00:00:00.000Z' }] });
  bucket('acme-web-assets', 'us-east-1', { team: 'web' });
  bucket('acme-app-logs', 'us-east-1', { team: 'platform' }, {
    Rules: [
      { ID: 'expire-debug-logs', Status: 'Enabled', Filter: { Prefix: 'debug/' }, Expiration: { Days: 14 } },
      { ID: 'archive-audit', Status: 'Enabled', Filter: { Prefix: 'audit/' }, Transitions: [{ Days: 90, StorageClass: 'GLACIER' }] },
    ],
  });
  bucket('acme-config', 'us-east-1', { team: 'platform' });
  bucket('acme-legal-hold', 'us-east-1', { 'trimtab:skip': 'legal hold' });
  bucket('acme-data-lake', 'us-east-1', { team: 'data' }, { Rules: [{ ID: 'abort', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] });
  bucket('acme-eu-exports', 'eu-west-1', { team: 'data' });
  return envFor(sandbox, ['us-east-1', 'eu-west-1']);
}
