/**
 * Sandbox Recycle Bin (service key `rbin`): retention rules for EBS snapshots. A tag-level
 * rule retains deleted snapshots carrying any of its resource tags (a tag without a value
 * matches any value); a region-level rule (no resource tags) retains every deleted snapshot
 * except those carrying one of its exclusion tags (`ExcludeResourceTags`, region-level rules
 * only). EC2's DeleteSnapshot (ec2.ts) consults these rules; the snapshots themselves live on
 * the EC2 side (ListSnapshotsInRecycleBin / RestoreSnapshotFromRecycleBin).
 *
 * Shapes follow the Recycle Bin API reference: ListRules returns summaries only (Identifier,
 * Description, RetentionPeriod, LockState, RuleArn: no tags, no exclusions, no status), so a
 * caller needs GetRule for those. A new rule is `pending` for a while ("Only retention rules
 * that are in the available state retain resources", CreateRule): the sandbox makes it
 * available `sandbox.duration(RULE_PENDING_MS)` after creation, derived lazily from the
 * stored creation time.
 */
import { awsError, paginate, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface ResourceTag {
  ResourceTagKey: string;
  ResourceTagValue?: string;
}

export interface SandboxRule {
  identifier: string;
  description?: string;
  resourceType: 'EBS_SNAPSHOT' | 'EC2_IMAGE';
  retentionPeriod: { RetentionPeriodValue: number; RetentionPeriodUnit: 'DAYS' };
  resourceTags: ResourceTag[];
  /** Region-level rules only: deleted resources with one of these tags are not retained. */
  excludeResourceTags?: ResourceTag[];
  status: 'pending' | 'available';
  /** ISO time a pending rule becomes available (absent: its status is as stored). */
  availableAt?: string;
  lockState?: 'locked' | 'pending_unlock' | 'unlocked';
  tags?: Record<string, string>;
}

/** How long AWS keeps a new rule `pending` (not documented; tens of seconds observed): an assumption. */
export const RULE_PENDING_MS = 30_000;

/** The rule's status at `now` (a pending rule becomes available at its availableAt). */
export function ruleStatus(rule: SandboxRule, now: Date): SandboxRule['status'] {
  if (rule.status === 'pending' && rule.availableAt && Date.parse(rule.availableAt) <= now.getTime()) {
    rule.status = 'available';
    delete rule.availableAt;
  }
  return rule.status;
}

export interface RbinState {
  rules: Record<string, SandboxRule>;
}

export const rbinState = (sandbox: Sandbox, account: AccountState, region: string) => sandbox.regional<RbinState>(account, region, 'rbin', () => ({ rules: {} }));

const tagMatches = (rule: ResourceTag, key: string, value: string | undefined) => rule.ResourceTagKey === key && (!rule.ResourceTagValue || rule.ResourceTagValue === value);

const hasTag = (t: ResourceTag, tags: Record<string, string>) => t.ResourceTagKey in tags && tagMatches(t, t.ResourceTagKey, tags[t.ResourceTagKey]);

/** Whether an available rule retains a deleted resource of this type with these tags. */
export function ruleCovers(rule: SandboxRule, resourceType: string, tags: Record<string, string>, now: Date): boolean {
  if (ruleStatus(rule, now) !== 'available' || rule.resourceType !== resourceType) return false;
  if (rule.resourceTags.length === 0) return !(rule.excludeResourceTags ?? []).some((t) => hasTag(t, tags));
  return rule.resourceTags.some((t) => hasTag(t, tags));
}

const ruleArn = (region: string, account: string, id: string) => `arn:aws:rbin:${region}:${account}:rule/${id}`;

function ruleOut(rule: SandboxRule, region: string, account: string, now: Date) {
  return {
    Identifier: rule.identifier,
    Description: rule.description,
    ResourceType: rule.resourceType,
    RetentionPeriod: rule.retentionPeriod,
    ResourceTags: rule.resourceTags,
    ...(rule.excludeResourceTags?.length ? { ExcludeResourceTags: rule.excludeResourceTags } : {}),
    Status: ruleStatus(rule, now),
    ...(rule.lockState ? { LockState: rule.lockState } : {}),
    RuleArn: ruleArn(region, account, rule.identifier),
  };
}

function validate(input: any) {
  if (input.ResourceType !== 'EBS_SNAPSHOT' && input.ResourceType !== 'EC2_IMAGE') {
    throw awsError('ValidationException', "1 validation error detected: Value at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set: [EBS_SNAPSHOT, EC2_IMAGE]");
  }
}

export const rbinService: SandboxService = {
  id: 'rbin',
  operations: {
    ListRules(input, { sandbox, account, region }) {
      validate(input);
      const wanted: ResourceTag[] = input.ResourceTags ?? [];
      const rules = Object.values(rbinState(sandbox, account, region).rules).filter(
        (r) => r.resourceType === input.ResourceType && wanted.every((w) => r.resourceTags.some((t) => t.ResourceTagKey === w.ResourceTagKey && (t.ResourceTagValue ?? '') === (w.ResourceTagValue ?? ''))),
      );
      const { page, nextToken } = paginate(rules, { token: input.NextToken, max: input.MaxResults }, { defaultMax: 1000, maxMax: 1000, operation: 'ListRules', invalidTokenCode: 'ValidationException' });
      return {
        Rules: page.map((r) => ({ Identifier: r.identifier, Description: r.description, RetentionPeriod: r.retentionPeriod, ...(r.lockState ? { LockState: r.lockState } : {}), RuleArn: ruleArn(region, account.id, r.identifier) })),
        NextToken: nextToken,
      };
    },

    GetRule(input, { sandbox, account, region, now }) {
      const rule = rbinState(sandbox, account, region).rules[input.Identifier];
      if (!rule) throw awsError('ResourceNotFoundException', `Rule ${input.Identifier} does not exist.`, 404);
      return ruleOut(rule, region, account.id, now);
    },

    CreateRule(input, { sandbox, account, region, now }) {
      validate(input);
      const period = input.RetentionPeriod;
      // RetentionPeriodValue: 1..3650 days in the API model; for EBS snapshots AWS allows 1..365 days.
      const max = input.ResourceType === 'EBS_SNAPSHOT' ? 365 : 3650;
      if (!period || period.RetentionPeriodUnit !== 'DAYS' || !(period.RetentionPeriodValue >= 1 && period.RetentionPeriodValue <= max)) {
        throw awsError('ValidationException', `RetentionPeriod must be between 1 and ${max} DAYS for ${input.ResourceType}.`);
      }
      if (input.ExcludeResourceTags?.length && input.ResourceTags?.length) {
        throw awsError('ValidationException', 'ExcludeResourceTags can be specified for Region-level retention rules only.');
      }
      const identifier = sandbox.mintId('rule').replace(/^rule-0*/, '').padStart(11, 'a');
      // AWS makes new rules 'pending' for a while; so does the sandbox (instant when timing.scale is 0).
      const pendingMs = sandbox.duration(RULE_PENDING_MS);
      const rule: SandboxRule = {
        identifier,
        description: input.Description,
        resourceType: input.ResourceType,
        retentionPeriod: { RetentionPeriodValue: period.RetentionPeriodValue, RetentionPeriodUnit: 'DAYS' },
        resourceTags: structuredClone(input.ResourceTags ?? []),
        ...(input.ExcludeResourceTags?.length ? { excludeResourceTags: structuredClone(input.ExcludeResourceTags) } : {}),
        status: pendingMs > 0 ? 'pending' : 'available',
        ...(pendingMs > 0 ? { availableAt: new Date(now.getTime() + pendingMs).toISOString() } : {}),
        tags: Object.fromEntries((input.Tags ?? []).map((t: any) => [t.Key, t.Value])),
      };
      rbinState(sandbox, account, region).rules[identifier] = rule;
      return ruleOut(rule, region, account.id, now);
    },
  },
};
