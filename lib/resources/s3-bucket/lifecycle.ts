/**
 * Pure helpers over S3 lifecycle rules. S3 replaces the whole configuration on every put, so
 * trimtab always merges: rules it did not write are kept exactly, in their order; its own
 * rules (IDs starting "trimtab-") are updated by ID.
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';

export const TRIMTAB_RULE_PREFIX = 'trimtab-';

export const isTrimtabRule = (rule: LifecycleRule) => Boolean(rule.ID?.startsWith(TRIMTAB_RULE_PREFIX));

/** True when the rule applies to every object in the bucket (no prefix, tag or size filter). */
export function coversWholeBucket(rule: LifecycleRule): boolean {
  const legacyPrefix = (rule as { Prefix?: string }).Prefix;
  if (legacyPrefix) return false;
  const filter = rule.Filter;
  if (!filter) return true;
  return !filter.Prefix && !filter.Tag && !filter.And && filter.ObjectSizeGreaterThan === undefined && filter.ObjectSizeLessThan === undefined;
}

const enabled = (rule: LifecycleRule) => rule.Status === 'Enabled';

/** The enabled whole-bucket rule that aborts incomplete multipart uploads, if any. */
export const abortRuleOf = (rules: LifecycleRule[]) => rules.find((r) => enabled(r) && coversWholeBucket(r) && r.AbortIncompleteMultipartUpload);

/** Merge trimtab's rules into the existing ones: others' rules untouched and in order, ours by ID. */
export function mergeRules(existing: LifecycleRule[], ours: LifecycleRule[]): LifecycleRule[] {
  const byId = new Map(ours.map((r) => [r.ID!, r]));
  const merged = existing.map((rule) => (rule.ID && byId.has(rule.ID) ? byId.get(rule.ID)! : rule));
  const present = new Set(existing.map((r) => r.ID));
  for (const rule of ours) if (!present.has(rule.ID)) merged.push(rule);
  return merged;
}

/** The rules in `rules` that trimtab did not write. */
export const othersRules = (rules: LifecycleRule[]) => rules.filter((r) => !isTrimtabRule(r));
