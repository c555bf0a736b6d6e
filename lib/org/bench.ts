/**
 * The benchmark hook for hub and spokes: a sandbox organization (default 50 accounts × 4
 * regions, 1 unreachable) and a function that sweeps it in-process the way the Distributed Map
 * does (one engine run per account × region, bounded concurrency). lib/bench can time `run()`:
 *
 *   const bench = organizationBench();
 *   const { summary } = await bench.run();   // summary.items, .failed, .durationMs
 *   bench.sandbox.callsByOperation();        // API calls by operation
 */
import { AwsClients } from '../aws/clients.ts';
import { MemoryActionStore } from '../audit/store.ts';
import type { EngineDeps } from '../engine/run.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { parsePolicies, type Policy } from '../policy/load.ts';
import { Sandbox, SANDBOX_ACCOUNT, type SandboxOptions } from '../sandbox/sandbox.ts';
import { SANDBOX_SERVICES } from '../sandbox/services/index.ts';
import { sweepOrganization } from './fleet.ts';
import { MemberRoles } from './roles.ts';
import { seedOrganization, type OrganizationSeedOptions } from './sandbox-seed.ts';
import { toClock } from '../util/clock.ts';

export const BENCH_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];

/** Every module's default-ish policy, read-only (the sweep scans). */
export const BENCH_POLICIES = `
version: 1
policies:
  - { id: abort-uploads, resource: s3-bucket, detector: { type: missing-abort-multipart-rule }, action: { type: add-lifecycle-rules } }
  - { id: orphaned-snapshots, resource: ebs-snapshot, detector: { type: orphaned, minAgeDays: 30 }, action: { type: delete-snapshot } }
  - { id: asg-low-targets, resource: asg, detector: { type: over-provisioned-target-tracking }, action: { type: raise-target } }
`;

export function organizationBench(options: Partial<OrganizationSeedOptions> & { sandbox?: SandboxOptions; concurrency?: number; policies?: Policy[] } = {}) {
  const sandbox = new Sandbox(Sandbox.emptyState('organization-bench', toClock(options.sandbox?.clock).now()), SANDBOX_SERVICES, options.sandbox);
  const organization = seedOrganization(sandbox, { accounts: 50, regions: BENCH_REGIONS, unreachable: 1, buckets: 4, snapshots: 50, groups: 6, ...options });
  const policies = options.policies ?? parsePolicies(BENCH_POLICIES, 'bench.yml').policies;
  const hubClients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false });
  const roles = new MemberRoles({ hub: hubClients, hubAccount: SANDBOX_ACCOUNT, config: organization, stage: 'bench', region: 'us-east-1', now: () => sandbox.now() });
  const hub: EngineDeps = { account: SANDBOX_ACCOUNT, clients: hubClients, store: new MemoryActionStore(), defaultRegions: ['us-east-1'], now: () => sandbox.now(), accountClients: roles.clientsFor };
  return {
    sandbox,
    organization,
    run: () => sweepOrganization({ policies, organization, hub, clientsFor: roles.clientsFor, forceDryRun: true, concurrency: options.concurrency ?? organization.maxConcurrency }),
  };
}
