/**
 * Pure helpers over S3 lifecycle rules. S3 replaces the whole configuration on every put, so
 * trimtab always merges: rules it did not write are kept exactly, in their order; its own
 * rules (IDs starting "trimtab-") are updated by ID.
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';

export const TRIMTAB_RULE_PREFIX = 'trimtab-';

export const isTrimtabRule = (rule: LifecycleRule) => Boolean(rule.ID?.startsWith(TRIMTAB_RULE_PREFIX));

/**
 * A lifecycle value in one canonical form, for comparing what trimtab wrote with what S3 reads
 * back. The SDK's XML parser returns members in its own order (not the order they were put),
 * turns empty elements into `{}`/`[]`/`""`, and dates into Date objects; records keep dates as
 * ISO strings. So: keys sorted; undefined, null, empty objects and empty lists dropped; an empty
 * `Prefix` dropped (no prefix and an empty prefix both mean the whole bucket); Dates and `Date`
 * members as ISO strings. String values are otherwise kept exactly (S3 keeps trailing spaces).
 */
export function canonicalLifecycle(value: unknown, key?: string): unknown {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    if (key === 'Prefix' && value === '') return undefined;
    if (key === 'Date') {
      const parsed = new Date(value);
      return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString();
    }
    return value;
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => canonicalLifecycle(v)).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => [k, canonicalLifecycle((value as Record<string, unknown>)[k], k)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

/** Whether two lifecycle values (rules, rule parts, configurations) mean the same to S3. */
export const sameLifecycle = (a: unknown, b: unknown) => JSON.stringify(canonicalLifecycle(a) ?? null) === JSON.stringify(canonicalLifecycle(b) ?? null);

/** The three kinds of rule trimtab writes, each under one fixed, trimtab-owned ID. */
export const RULE_KINDS = ['abort-incomplete-uploads', 'expire-noncurrent-versions', 'transition-current-versions'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const RULE_IDS: Record<RuleKind, string> = {
  'abort-incomplete-uploads': `${TRIMTAB_RULE_PREFIX}abort-incomplete-multipart-uploads`,
  'expire-noncurrent-versions': `${TRIMTAB_RULE_PREFIX}expire-noncurrent-versions`,
  'transition-current-versions': `${TRIMTAB_RULE_PREFIX}transition-current-versions`,
};

/** Storage classes trimtab may transition current objects to. */
export const TRANSITION_CLASSES = ['INTELLIGENT_TIERING', 'STANDARD_IA'] as const;
export type TransitionClass = (typeof TRANSITION_CLASSES)[number];

/** S3's lifecycle "waterfall": an object only moves to a class further down this list. */
const WATERFALL = ['STANDARD', 'STANDARD_IA', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];
const rank = (storageClass: string | undefined) => {
  const i = WATERFALL.indexOf(storageClass ?? '');
  return i < 0 ? WATERFALL.length : i;
};

/** 128 KB: the minimum billable object size of Standard-IA and the Intelligent-Tiering monitoring floor. */
export const MIN_TRANSITION_OBJECT_BYTES = 128 * 1024;

export interface RuleOptions {
  abortIncompleteMultipartUploadDays: number;
  noncurrentVersionExpirationDays: number;
  /** Keep this many newest noncurrent versions whatever their age (NewerNoncurrentVersions). */
  keepNewerNoncurrentVersions?: number;
  transition: { storageClass: TransitionClass; afterDays: number; minObjectSizeBytes: number };
}

/** The rule trimtab writes for one kind, exactly as it will be put. */
export function ruleFor(kind: RuleKind, options: RuleOptions): LifecycleRule {
  const base = { ID: RULE_IDS[kind], Status: 'Enabled' as const };
  switch (kind) {
    case 'abort-incomplete-uploads':
      return { ...base, Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: options.abortIncompleteMultipartUploadDays } };
    case 'expire-noncurrent-versions':
      return {
        ...base,
        Filter: {},
        NoncurrentVersionExpiration: {
          NoncurrentDays: options.noncurrentVersionExpirationDays,
          ...(options.keepNewerNoncurrentVersions ? { NewerNoncurrentVersions: options.keepNewerNoncurrentVersions } : {}),
        },
      };
    case 'transition-current-versions':
      return {
        ...base,
        // Objects under the size floor are not worth moving: IA bills them as 128 KB, IT never tiers them.
        Filter: options.transition.minObjectSizeBytes > 0 ? { ObjectSizeGreaterThan: options.transition.minObjectSizeBytes } : {},
        Transitions: [{ Days: options.transition.afterDays, StorageClass: options.transition.storageClass }],
      };
  }
}

/** The rule's prefix/tag scope in words, or undefined when it applies to the whole bucket (size filters aside). */
export function partialScopeOf(rule: LifecycleRule): string | undefined {
  const legacyPrefix = (rule as { Prefix?: string }).Prefix;
  const f = rule.Filter ?? {};
  const prefix = legacyPrefix || f.Prefix || f.And?.Prefix;
  const tags = [...(f.Tag ? [f.Tag] : []), ...(f.And?.Tags ?? [])];
  const parts = [...(prefix ? [`prefix '${prefix}'`] : []), ...tags.map((t) => `tag ${t.Key}=${t.Value}`)];
  return parts.length ? parts.join(' and ') : undefined;
}

/** True when the rule applies to every object in the bucket (no prefix, tag or size filter). */
export function coversWholeBucket(rule: LifecycleRule): boolean {
  const f = rule.Filter ?? {};
  return !partialScopeOf(rule) && f.ObjectSizeGreaterThan === undefined && f.ObjectSizeLessThan === undefined && f.And?.ObjectSizeGreaterThan === undefined;
}

const enabled = (rule: LifecycleRule) => rule.Status === 'Enabled';

/** Whether a rule does what a kind of trimtab rule does, and after how many days. */
export function daysFor(rule: LifecycleRule, kind: RuleKind): number | undefined {
  switch (kind) {
    case 'abort-incomplete-uploads':
      return rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    case 'expire-noncurrent-versions': {
      const days = [rule.NoncurrentVersionExpiration?.NoncurrentDays, ...(rule.NoncurrentVersionTransitions ?? []).map((t) => t.NoncurrentDays)];
      const known = days.filter((d): d is number => d !== undefined);
      return known.length ? Math.min(...known) : undefined;
    }
    case 'transition-current-versions': {
      const days = (rule.Transitions ?? []).map((t) => t.Days).filter((d): d is number => d !== undefined);
      return days.length ? Math.min(...days) : rule.Transitions?.length ? 0 : undefined;
    }
  }
}

const does = (rule: LifecycleRule, kind: RuleKind) => daysFor(rule, kind) !== undefined;

/** The enabled rule (anyone's) that does `kind` for the whole bucket, if any. */
export const wholeBucketRuleFor = (rules: LifecycleRule[], kind: RuleKind) => rules.find((r) => enabled(r) && !partialScopeOf(r) && does(r, kind));

/** The enabled whole-bucket rule that aborts incomplete multipart uploads, if any. */
export const abortRuleOf = (rules: LifecycleRule[]) => wholeBucketRuleFor(rules, 'abort-incomplete-uploads');

/** What the rule does for `kind`, in words (for conflict reasons). */
function describe(rule: LifecycleRule, kind: RuleKind): string {
  const days = daysFor(rule, kind);
  switch (kind) {
    case 'abort-incomplete-uploads':
      return `aborts incomplete uploads after ${days} days`;
    case 'expire-noncurrent-versions':
      return rule.NoncurrentVersionExpiration
        ? `expires noncurrent versions after ${rule.NoncurrentVersionExpiration.NoncurrentDays} days${rule.NoncurrentVersionExpiration.NewerNoncurrentVersions ? ` (keeping ${rule.NoncurrentVersionExpiration.NewerNoncurrentVersions} newer)` : ''}`
        : `transitions noncurrent versions after ${days} days`;
    case 'transition-current-versions':
      return `transitions objects to ${(rule.Transitions ?? []).map((t) => `${t.StorageClass} after ${t.Days ?? 0} days`).join(', ')}`;
  }
}

/** The part of a rule that does `kind` (what "the same" means when comparing two rules). */
function actionOf(rule: LifecycleRule, kind: RuleKind): unknown {
  switch (kind) {
    case 'abort-incomplete-uploads':
      return rule.AbortIncompleteMultipartUpload;
    case 'expire-noncurrent-versions':
      return { e: rule.NoncurrentVersionExpiration, t: rule.NoncurrentVersionTransitions ?? [] };
    case 'transition-current-versions':
      return { t: rule.Transitions ?? [], min: rule.Filter?.ObjectSizeGreaterThan ?? 0 };
  }
}

export type Coverage =
  | { state: 'missing' }
  /** trimtab's own rule is there but differs: replace it by ID. */
  | { state: 'update' }
  | { state: 'same'; by: string }
  | { state: 'conflict'; reason: string };

/**
 * How the existing rules relate to the rule trimtab wants to write for `kind`:
 * - the same thing done the same way (by anyone) → nothing to do;
 * - another owner's rule does it for the whole bucket differently → conflict;
 * - another owner's rule does it for part of the bucket, and trimtab's whole-bucket rule would
 *   override that choice (act sooner, or skip a class they chose) → conflict;
 * - otherwise trimtab adds its rule, or updates its own by ID.
 */
export function coverage(existing: LifecycleRule[], desired: LifecycleRule, kind: RuleKind): Coverage {
  const same = (rule: LifecycleRule) => sameLifecycle(actionOf(rule, kind), actionOf(desired, kind));
  const others = existing.filter((r) => enabled(r) && !isTrimtabRule(r) && does(r, kind));
  const whole = others.find((r) => !partialScopeOf(r));
  const name = (r: LifecycleRule) => `'${r.ID ?? '(no id)'}'`;
  if (whole) {
    if (same(whole)) return { state: 'same', by: whole.ID ?? '(no id)' };
    return { state: 'conflict', reason: `rule ${name(whole)} already ${describe(whole, kind)} for the whole bucket (the policy asks: ${describe(desired, kind)}); trimtab leaves it as it is` };
  }
  const ourDays = daysFor(desired, kind)!;
  for (const rule of others) {
    const theirDays = daysFor(rule, kind)!;
    const scope = partialScopeOf(rule)!;
    if (kind === 'transition-current-versions') {
      // Ours moves objects first; theirs still applies later only if its class lies further down the waterfall.
      const theirClass = rule.Transitions?.find((t) => (t.Days ?? 0) === theirDays)?.StorageClass;
      const ourClass = desired.Transitions![0].StorageClass;
      if (theirDays > ourDays && rank(theirClass) <= rank(ourClass)) {
        return { state: 'conflict', reason: `rule ${name(rule)} ${describe(rule, kind)} for ${scope}; a whole-bucket move to ${ourClass} after ${ourDays} days would come first and stop it (S3 only transitions down its waterfall)` };
      }
    } else if (theirDays > ourDays) {
      return { state: 'conflict', reason: `rule ${name(rule)} ${describe(rule, kind)} for ${scope}; a whole-bucket rule that ${describe(desired, kind)} would override that choice sooner` };
    }
  }
  const ours = existing.find((r) => r.ID === desired.ID);
  if (ours) return sameLifecycle(ours, desired) ? { state: 'same', by: desired.ID! } : { state: 'update' };
  // A trimtab rule under an older ID that does the same is coverage too.
  const trimtabSame = existing.find((r) => enabled(r) && isTrimtabRule(r) && !partialScopeOf(r) && does(r, kind) && same(r));
  if (trimtabSame) return { state: 'same', by: trimtabSame.ID! };
  return { state: 'missing' };
}

/** The days after which an enabled whole-bucket rule expires current objects, if any. */
export function wholeBucketExpirationDays(rules: LifecycleRule[]): number | undefined {
  const days = rules.filter((r) => enabled(r) && !partialScopeOf(r) && r.Expiration?.Days !== undefined).map((r) => r.Expiration!.Days!);
  return days.length ? Math.min(...days) : undefined;
}

/** Merge trimtab's rules into the existing ones: others' rules untouched and in order, ours by ID. */
export function mergeRules(existing: LifecycleRule[], ours: LifecycleRule[]): LifecycleRule[] {
  const byId = new Map(ours.map((r) => [r.ID!, r]));
  const merged = existing.map((rule) => (rule.ID && byId.has(rule.ID) && isTrimtabRule(rule) ? byId.get(rule.ID)! : rule));
  const present = new Set(existing.map((r) => r.ID));
  for (const rule of ours) if (!present.has(rule.ID)) merged.push(rule);
  return merged;
}

/** The rules in `rules` that trimtab did not write. */
export const othersRules = (rules: LifecycleRule[]) => rules.filter((r) => !isTrimtabRule(r));

/** S3 limits a lifecycle configuration to this many rules. */
export const MAX_LIFECYCLE_RULES = 1000;

/**
 * The S3 API constraints trimtab's own rules (and the merged configuration) could break,
 * checked before any call. Each problem quotes the constraint as S3 words it where S3 has
 * a message for it. Returns the problems (empty: valid).
 */
export function lifecycleProblems(ours: LifecycleRule[], merged?: LifecycleRule[]): string[] {
  const problems: string[] = [];
  for (const rule of ours) {
    const id = rule.ID ?? '(no id)';
    if (!rule.ID) problems.push(`a trimtab rule needs an ID`);
    else if (rule.ID.length > 255) problems.push(`rule '${id}': ID length should not exceed allowed limit of 255`);
    const abort = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    if (abort !== undefined && !(Number.isInteger(abort) && abort >= 1)) {
      problems.push(`rule '${id}': 'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer (got ${abort})`);
    }
    const nc = rule.NoncurrentVersionExpiration;
    if (nc && !(Number.isInteger(nc.NoncurrentDays) && nc.NoncurrentDays! >= 1)) {
      problems.push(`rule '${id}': 'NoncurrentDays' in NoncurrentVersionExpiration action must be a positive integer (got ${nc.NoncurrentDays})`);
    }
    if (nc?.NewerNoncurrentVersions !== undefined && !(nc.NewerNoncurrentVersions >= 1 && nc.NewerNoncurrentVersions <= 100)) {
      problems.push(`rule '${id}': 'NewerNoncurrentVersions' must be between 1 and 100 (got ${nc.NewerNoncurrentVersions})`);
    }
    const classes = new Set<string>();
    for (const t of rule.Transitions ?? []) {
      if (t.Days !== undefined && !(Number.isInteger(t.Days) && t.Days >= 0)) problems.push(`rule '${id}': 'Days' in Transition action must be a non-negative integer (got ${t.Days})`);
      if ((t.StorageClass === 'STANDARD_IA' || t.StorageClass === 'ONEZONE_IA') && (t.Days ?? 0) < 30) {
        problems.push(`rule '${id}': 'Days' in Transition action must be greater than or equal to 30 for storageClass '${t.StorageClass}' (got ${t.Days ?? 0})`);
      }
      if (classes.has(t.StorageClass!)) problems.push(`rule '${id}': 'StorageClass' must be different for 'Transition' actions in same 'Rule'`);
      classes.add(t.StorageClass!);
    }
    const size = rule.Filter?.ObjectSizeGreaterThan;
    if (size !== undefined && !(Number.isInteger(size) && size >= 0)) problems.push(`rule '${id}': 'ObjectSizeGreaterThan' must be a non-negative integer of bytes (got ${size})`);
  }
  if (merged) {
    if (merged.length > MAX_LIFECYCLE_RULES) problems.push(`the configuration would have ${merged.length} rules; S3 allows at most ${MAX_LIFECYCLE_RULES}`);
    const seen = new Set<string>();
    for (const rule of merged) {
      if (rule.ID === undefined) continue;
      if (seen.has(rule.ID)) problems.push(`RuleId must be unique. Found same ID for more than one rule ('${rule.ID}')`);
      seen.add(rule.ID);
    }
  }
  return problems;
}
