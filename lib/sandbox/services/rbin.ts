/**
 * Sandbox Recycle Bin (service key `rbin`): retention rules for EBS snapshots. A tag-level
 * rule retains deleted snapshots carrying any of its resource tags (a tag without a value
 * matches any value); a region-level rule (no resource tags) retains every deleted snapshot.
 * EC2's DeleteSnapshot (ec2.ts) consults these rules; the snapshots themselves live on the
 * EC2 side (ListSnapshotsInRecycleBin / RestoreSnapshotFromRecycleBin).
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
  status: 'pending' | 'available';
  tags?: Record<string, string>;
}

export interface RbinState {
  rules: Record<string, SandboxRule>;
}

export const rbinState = (sandbox: Sandbox, account: AccountState, region: string) => sandbox.regional<RbinState>(account, region, 'rbin', () => ({ rules: {} }));

const tagMatches = (rule: ResourceTag, key: string, value: string | undefined) => rule.ResourceTagKey === key && (!rule.ResourceTagValue || rule.ResourceTagValue === value);

/** Whether an available rule retains a deleted resource of this type with these tags. */
export function ruleCovers(rule: SandboxRule, resourceType: string, tags: Record<string, string>): boolean {
  if (rule.status !== 'available' || rule.resourceType !== resourceType) return false;
  if (rule.resourceTags.length === 0) return true;
  return rule.resourceTags.some((t) => tagMatches(t, t.ResourceTagKey, tags[t.ResourceTagKey]) && t.ResourceTagKey in tags);
}

const ruleArn = (region: string, account: string, id: string) => `arn:aws:rbin:${region}:${account}:rule/${id}`;

function ruleOut(rule: SandboxRule, region: string, account: string) {
  return {
    Identifier: rule.identifier,
    Description: rule.description,
    ResourceType: rule.resourceType,
    RetentionPeriod: rule.retentionPeriod,
    ResourceTags: rule.resourceTags,
    Status: rule.status,
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
        Rules: page.map((r) => ({ Identifier: r.identifier, Description: r.description, RetentionPeriod: r.retentionPeriod, LockState: undefined, RuleArn: ruleArn(region, account.id, r.identifier) })),
        NextToken: nextToken,
      };
    },

    GetRule(input, { sandbox, account, region }) {
      const rule = rbinState(sandbox, account, region).rules[input.Identifier];
      if (!rule) throw awsError('ResourceNotFoundException', `Rule ${input.Identifier} does not exist.`, 404);
      return ruleOut(rule, region, account.id);
    },

    CreateRule(input, { sandbox, account, region }) {
      validate(input);
      const period = input.RetentionPeriod;
      if (!period || period.RetentionPeriodUnit !== 'DAYS' || !(period.RetentionPeriodValue >= 1 && period.RetentionPeriodValue <= 3650)) {
        throw awsError('ValidationException', 'RetentionPeriod must be between 1 and 3650 DAYS.');
      }
      const identifier = sandbox.mintId('rule').replace(/^rule-0*/, '').padStart(11, 'a');
      // AWS makes new rules 'pending' for a moment; the sandbox makes them available at once.
      const rule: SandboxRule = {
        identifier,
        description: input.Description,
        resourceType: input.ResourceType,
        retentionPeriod: { RetentionPeriodValue: period.RetentionPeriodValue, RetentionPeriodUnit: 'DAYS' },
        resourceTags: structuredClone(input.ResourceTags ?? []),
        status: 'available',
        tags: Object.fromEntries((input.Tags ?? []).map((t: any) => [t.Key, t.Value])),
      };
      rbinState(sandbox, account, region).rules[identifier] = rule;
      return ruleOut(rule, region, account.id);
    },
  },
};
