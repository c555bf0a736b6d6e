/**
 * The `organization:` block of trimtab.yml: which member accounts the hub covers, how their
 * organizational units map to accounts, and the role the hub assumes in each.
 *
 * Why a static OU mapping: resolving OUs live needs Organizations ListChildren /
 * ListAccountsForParent (@aws-sdk/client-organizations), which this project does not ship, and
 * which only the management account or a delegated administrator may call. The mapping is
 * exported once (docs/organizations.md shows the `aws organizations` commands) and reviewed like code.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles

const ACCOUNT_ID = z.string().regex(/^\d{12}$/, 'an account id is 12 digits');
const OU_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
const REGION = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'a region looks like us-east-1');

/** STS caps sessions assumed with role credentials (role chaining, as the hub's Lambda does) at one hour. */
export const MAX_CHAINED_SESSION_SECONDS = 3600;

/** The member role's name; `{stage}` is replaced with the deployed stage. */
export const DEFAULT_MEMBER_ROLE = 'trimtab-member-{stage}';

export const organizationSchema = z.strictObject({
  /** The Organization's id (o-…): the hub's event bus accepts events from its accounts only (aws:PrincipalOrgID). */
  id: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an organization id looks like o-a1b2c3d4e5').optional(),
  /** Member accounts swept when a policy names no accounts or OUs. */
  accounts: z.array(ACCOUNT_ID).default([]),
  /** OU id → its accounts (exported from Organizations; see docs/organizations.md). */
  organizationalUnits: z
    .record(z.string().regex(OU_ID, 'an OU id looks like ou-ab12-cd34ef56'), z.array(ACCOUNT_ID).min(1))
    .default({}),
  /** Regions swept in member accounts when a policy names none. */
  regions: z.array(REGION).min(1).optional(),
  memberRole: z
    .strictObject({
      /** Role name in every member account; `{stage}` becomes the stage. */
      name: z.string().regex(/^[\w+=,.@{}-]{1,64}$/, 'an IAM role name (letters, digits, +=,.@_- and {stage})').default(DEFAULT_MEMBER_ROLE),
      /** Optional sts:ExternalId the member role's trust policy requires. */
      externalId: z.string().min(2).max(1224).optional(),
      /**
       * Credentials last this long (seconds); trimtab re-assumes the role five minutes before they
       * expire, so a sweep may outlive them. At most one hour: the hub calls AssumeRole with its own
       * role's credentials (role chaining), and STS refuses DurationSeconds over 3,600 for chained
       * sessions whatever the member role's MaxSessionDuration (STS API reference, AssumeRole).
       */
      durationSeconds: z
        .number()
        .int()
        .min(900, 'durationSeconds must be at least 900 (STS AssumeRole minimum)')
        .max(
          MAX_CHAINED_SESSION_SECONDS,
          'durationSeconds must be at most 3600: the hub assumes member roles by role chaining, which STS caps at one hour ' +
            '("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining"); trimtab refreshes credentials before they expire, so longer sweeps need no longer sessions',
        )
        .default(3600),
    })
    .default({ name: DEFAULT_MEMBER_ROLE, durationSeconds: 3600 }),
  /** How many account × region items the Map runs at once (Step Functions MaxConcurrency). */
  maxConcurrency: z.number().int().min(1).max(10_000).default(20),
});

export type OrganizationConfig = z.output<typeof organizationSchema>;

/** The role ARN the hub assumes in `account`. */
export function memberRoleArn(account: string, config: Pick<OrganizationConfig, 'memberRole'>, stage = process.env.TRIMTAB_STAGE ?? 'dev', partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:role/${roleName(config, stage)}`;
}

export const roleName = (config: Pick<OrganizationConfig, 'memberRole'>, stage: string) => config.memberRole.name.replaceAll('{stage}', stage);

/** Every account the organization block names (plain accounts and every OU's). */
export function allAccounts(config: OrganizationConfig): string[] {
  return [...new Set([...config.accounts, ...Object.values(config.organizationalUnits).flat()])].sort();
}
