/**
 * Recycle Bin coverage of trimtab's snapshot deletes. Right before it deletes, delete-snapshot
 * tags the snapshot `trimtab:deleted-by=trimtab`; a tag-level retention rule matching that tag
 * (or a region-level rule, which retains every deleted snapshot) keeps it recoverable, and
 * `trimtab undo` restores it with RestoreSnapshotFromRecycleBin. Without such a rule a delete is final.
 */
import { CreateRuleCommand, GetRuleCommand, ListRulesCommand, RbinClient, type ResourceTag, type RuleSummary } from '@aws-sdk/client-rbin';
import type { RegionContext } from '../../engine/types.ts';
import { awsErrorName, errorMessage } from '../../util/errors.ts';

export const DELETED_BY_TAG = 'trimtab:deleted-by';
export const DELETED_BY_VALUE = 'trimtab';
export const TRIMTAB_RESOURCE_TAG: ResourceTag = { ResourceTagKey: DELETED_BY_TAG, ResourceTagValue: DELETED_BY_VALUE };

export interface RecycleBinCoverage {
  covered: boolean;
  /** 'tag': a rule matching trimtab's tag; 'region': a rule retaining every deleted snapshot. */
  kind?: 'tag' | 'region';
  ruleId?: string;
  retentionDays?: number;
  /** Set when the rules could not be read (e.g. no rbin:ListRules permission). */
  unknown?: string;
}

const days = (period: { RetentionPeriodValue?: number; RetentionPeriodUnit?: string } | undefined) => period?.RetentionPeriodValue;

/** Reads the rules once: a tag-level rule for trimtab's tag first, else a region-level rule. */
export async function recycleBinCoverage(ctx: RegionContext): Promise<RecycleBinCoverage> {
  const rbin = ctx.clients.get(RbinClient, ctx.region);
  try {
    // Every page: ListRules pages (NextToken) even when filtered by tag.
    const taggedRules: RuleSummary[] = [];
    let taggedToken: string | undefined;
    do {
      const tagged = await rbin.send(new ListRulesCommand({ ResourceType: 'EBS_SNAPSHOT', ResourceTags: [TRIMTAB_RESOURCE_TAG], NextToken: taggedToken }));
      taggedRules.push(...(tagged.Rules ?? []));
      taggedToken = tagged.NextToken;
    } while (taggedToken);
    const best = taggedRules.sort((a, b) => (days(b.RetentionPeriod) ?? 0) - (days(a.RetentionPeriod) ?? 0))[0];
    // A rule in 'pending' state does not retain yet: only count available ones.
    if (best?.Identifier) {
      const rule = await rbin.send(new GetRuleCommand({ Identifier: best.Identifier }));
      if (rule.Status === 'available') return { covered: true, kind: 'tag', ruleId: best.Identifier, retentionDays: days(rule.RetentionPeriod) };
    }
    // Region-level rules have no resource tags; ListRules does not say which, so read the few rules there are.
    let token: string | undefined;
    do {
      const all = await rbin.send(new ListRulesCommand({ ResourceType: 'EBS_SNAPSHOT', NextToken: token }));
      for (const summary of all.Rules ?? []) {
        if (!summary.Identifier) continue;
        const rule = await rbin.send(new GetRuleCommand({ Identifier: summary.Identifier }));
        if (rule.Status === 'available' && (rule.ResourceTags ?? []).length === 0) {
          return { covered: true, kind: 'region', ruleId: summary.Identifier, retentionDays: days(rule.RetentionPeriod) };
        }
      }
      token = all.NextToken;
    } while (token);
    return { covered: false };
  } catch (error) {
    ctx.log('recycle bin rules unreadable', { region: ctx.region, error: errorMessage(error) });
    return { covered: false, unknown: `${awsErrorName(error) ?? 'Error'}: ${errorMessage(error)}` };
  }
}

/** Creates the tag-level rule that covers trimtab's deletes (only from apply, only when the policy asks). */
export async function createTrimtabRule(ctx: RegionContext, retentionDays: number): Promise<RecycleBinCoverage> {
  const rbin = ctx.clients.get(RbinClient, ctx.region);
  const out = await rbin.send(
    new CreateRuleCommand({
      ResourceType: 'EBS_SNAPSHOT',
      RetentionPeriod: { RetentionPeriodValue: retentionDays, RetentionPeriodUnit: 'DAYS' },
      ResourceTags: [TRIMTAB_RESOURCE_TAG],
      Description: `trimtab: keeps snapshots deleted by trimtab recoverable for ${retentionDays} days (trimtab undo)`,
      Tags: [{ Key: 'managed-by', Value: 'trimtab' }],
    }),
  );
  // New rules can be 'pending' for a short while; deleting before it is available would be final.
  let status = out.Status;
  for (let i = 0; status !== 'available' && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    status = (await rbin.send(new GetRuleCommand({ Identifier: out.Identifier! }))).Status;
  }
  if (status !== 'available') throw new Error(`Recycle Bin rule ${out.Identifier} is still '${status}'; not deleting until it retains.`);
  return { covered: true, kind: 'tag', ruleId: out.Identifier, retentionDays };
}
