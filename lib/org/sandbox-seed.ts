/**
 * The `organization` sandbox scenario: a hub and several member accounts across regions, seeded
 * with the resource modules' own generators, and one account the organization lists but whose
 * member role was never deployed (AssumeRole answers AccessDenied, as AWS does).
 * `seedOrganization` also builds the benchmark's 50 accounts × 4 regions.
 */
import { seedAutoScalingGroups } from '../resources/asg/sandbox-seed.ts';
import { seedSnapshots } from '../resources/ebs-snapshot/sandbox-seed.ts';
import { seedBucket } from '../resources/s3-bucket/sandbox-seed.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../sandbox/sandbox.ts';
import { organizationSchema, type OrganizationConfig } from './config.ts';

export interface OrganizationSeedOptions {
  /** Member accounts with the role deployed (ids 100000000001, 100000000002, …). */
  accounts: number;
  regions: string[];
  /** Accounts listed in the organization whose role is missing (AccessDenied). */
  unreachable?: number;
  /** Per account: buckets without an abort-multipart rule (spread over the regions). */
  buckets?: number;
  /** Per account and region. */
  snapshots?: number;
  groups?: number;
}

export const memberAccountId = (n: number) => `1${String(n).padStart(11, '0')}`;
export const unreachableAccountId = (n: number) => `9${String(n).padStart(11, '0')}`;

/** Seeds the accounts and returns the organization block that covers them (two OUs). */
export function seedOrganization(sandbox: Sandbox, options: OrganizationSeedOptions): OrganizationConfig {
  sandbox.account(SANDBOX_ACCOUNT, 'trimtab-hub');
  const members = Array.from({ length: options.accounts }, (_, i) => memberAccountId(i + 1));
  const unreachable = Array.from({ length: options.unreachable ?? 0 }, (_, i) => unreachableAccountId(i + 1));
  for (const [i, account] of members.entries()) {
    sandbox.account(account, `member-${i + 1}`);
    for (let b = 0; b < (options.buckets ?? 2); b++) {
      const region = options.regions[b % options.regions.length];
      // Bucket names are global in S3: each account's carry its id.
      seedBucket(sandbox, account, { name: `acme-${account}-data-${b}`, region, ageDays: 300, uploads: [20 + b], gb: { StandardStorage: 50 + b }, objects: 1000, tags: { team: 'data' } });
    }
    for (const region of options.regions) {
      if (options.snapshots) seedSnapshots(sandbox, account, region, { snapshots: options.snapshots, volumes: Math.max(1, Math.floor(options.snapshots / 10)), seed: i + 1 });
      if (options.groups) seedAutoScalingGroups(sandbox, account, region, { groups: options.groups, prefix: `m${i + 1}` });
    }
  }
  // Half the members in each OU; the unreachable ones in the second.
  const half = Math.ceil(members.length / 2);
  return organizationSchema.parse({
    id: 'o-sandbox0001',
    regions: options.regions,
    organizationalUnits: {
      'ou-prod-11111111': members.slice(0, half),
      'ou-dev0-22222222': [...members.slice(half), ...unreachable],
    },
  });
}

/** The scenario's shape: 3 reachable members and 1 unreachable, in two regions. */
export const ORGANIZATION_SCENARIO: OrganizationSeedOptions = { accounts: 3, regions: ['us-east-1', 'eu-west-1'], unreachable: 1, buckets: 3, snapshots: 12, groups: 2 };

export function seedOrganizationScenario(sandbox: Sandbox): OrganizationConfig {
  return seedOrganization(sandbox, ORGANIZATION_SCENARIO);
}
