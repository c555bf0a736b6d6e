/**
 * add-lifecycle-rules: writes trimtab-owned lifecycle rules, merged into the bucket's
 * existing configuration. Rules others wrote are never dropped, rewritten or reordered; where
 * one already does the same job differently, the finding becomes a conflict and nothing is
 * written. Undo restores the exact previous configuration, and refuses if anyone changed the
 * configuration since.
 */
import { DeleteBucketLifecycleCommand, PutBucketLifecycleConfigurationCommand, S3Client, type LifecycleRule } from '@aws-sdk/client-s3';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Finding, PlanResult, Remediator, SavingsEstimate } from '../../engine/types.ts';
import type { PriceTable } from '../../savings/prices.ts';
import { usd } from '../../savings/prices.ts';
import { PlanConstraintError, UndoRefusedError } from '../../util/errors.ts';
import { readUntil, type SettleOptions } from '../../aws/consistency.ts';
import type { BucketSnapshot } from './detectors.ts';
import {
  coverage,
  isTrimtabRule,
  lifecycleProblems,
  mergeRules,
  MIN_TRANSITION_OBJECT_BYTES,
  othersRules,
  RULE_IDS,
  RULE_KINDS,
  ruleFor,
  sameLifecycle,
  TRANSITION_CLASSES,
  wholeBucketExpirationDays,
  type RuleKind,
  type RuleOptions,
} from './lifecycle.ts';
import { readLifecycle, type LifecycleConfiguration } from './resource.ts';
import { DEFAULT_TRANSITION_ASSUMPTIONS, noncurrentBasis, transitionEconomics } from './savings.ts';

export interface LifecycleParams {
  bucket: string;
  /** The trimtab-owned rules to put (merged with the bucket's rules at apply time). */
  rules: LifecycleRule[];
}

export const ABORT_RULE_ID = RULE_IDS['abort-incomplete-uploads'];

/** The rules each detector's finding asks for when the policy names none. */
export const DEFAULT_RULES: Record<string, RuleKind[]> = {
  'missing-lifecycle': ['abort-incomplete-uploads'],
  'missing-abort-multipart-rule': ['abort-incomplete-uploads'],
  'missing-noncurrent-version-rule': ['expire-noncurrent-versions'],
  'large-standard-without-transition': ['transition-current-versions'],
};

const transitionSchema = z
  .strictObject({
    /** INTELLIGENT_TIERING (no retrieval fee, no minimum duration) or STANDARD_IA. */
    storageClass: z.enum(TRANSITION_CLASSES).default('INTELLIGENT_TIERING'),
    /** Days after creation an object moves (S3 Transition Days; at least 30 for STANDARD_IA). */
    afterDays: z.number().int().min(0).default(30),
    /** Only objects larger than this move (ObjectSizeGreaterThan); 128 KB is where IA/IT stop paying. */
    minObjectSizeBytes: z.number().int().min(0).default(MIN_TRANSITION_OBJECT_BYTES),
  })
  // Checked when the policy loads, so a bad policy never reaches S3.
  .refine((t) => t.storageClass !== 'STANDARD_IA' || t.afterDays >= 30, {
    message: "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA' (S3: objects stay 30 days in Standard before Standard-IA)",
    path: ['afterDays'],
  });

export interface LifecycleOptions extends RuleOptions {
  rules?: RuleKind[];
}

/** Same configuration as S3 means it: canonical rules (parser key order, empty members), same size default. */
const sameConfig = (a: LifecycleConfiguration | null | undefined, b: LifecycleConfiguration | null | undefined) =>
  (a ? 1 : 0) === (b ? 1 : 0) &&
  sameLifecycle(
    a ? { r: a.Rules, m: a.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K' } : null,
    b ? { r: b.Rules, m: b.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K' } : null,
  );

/**
 * Re-reads after a put or delete. S3 User Guide ("Setting an S3 Lifecycle configuration on a
 * bucket", Lifecycle configuration propagation delay): "Expect a delay of a few minutes before
 * the configuration fully takes effect. This delay can also occur when you delete an S3
 * Lifecycle configuration." Reads back off 2 s, 4 s, 8 s, …:
 * - verify: 5 reads over 30 s. It runs inside the triggering Lambda (event and alarm functions
 *   have 120 s) and once per changed bucket in a sweep, so it does not wait out the full delay:
 *   a change still not visible is left `applied` with verification pending (retryable), not failed.
 * - undo's "changed since" check: 8 reads over about 3 minutes (backoff capped at 60 s); a person
 *   asked for it and it must not refuse a change that is only propagating.
 */
export const LIFECYCLE_VERIFY_READS: SettleOptions = { attempts: 5, baseDelayMs: 2_000, maxDelayMs: 16_000 };
export const LIFECYCLE_UNDO_READS: SettleOptions = { attempts: 8, baseDelayMs: 2_000, maxDelayMs: 60_000 };

/** Seconds the re-reads of `o` wait in all when nothing settles. */
const waitedSeconds = (o: SettleOptions) =>
  Math.round([...Array(o.attempts! - 1).keys()].reduce((sum, i) => sum + Math.min(o.maxDelayMs!, o.baseDelayMs! * 2 ** i), 0) / 1000);

/** What verify checks: every trimtab rule of the plan is there as written, and others' rules are as they were. */
function lifecycleMismatch(now: LifecycleConfiguration | null, plan: LifecycleParams, expected: LifecycleConfiguration): string | undefined {
  const missing = plan.rules.filter((r) => !now?.Rules.some((n) => n.ID === r.ID && sameLifecycle(n, r)));
  if (missing.length) return `Rules missing after the put: ${missing.map((r) => r.ID).join(', ')}`;
  if (!sameLifecycle(othersRules(now?.Rules ?? []), othersRules(expected.Rules))) return 'Rules trimtab did not write differ from what was there before the put.';
  return undefined;
}

/** Which rules to write for a finding, or why not: pure, shared by plan() and apply()'s re-check. */
export function desiredRules(
  snap: BucketSnapshot,
  current: LifecycleRule[],
  kinds: RuleKind[],
  options: RuleOptions,
  prices: PriceTable,
): { rules: LifecycleRule[]; conflict?: string; skipped: string[]; savings: SavingsEstimate } {
  const rules: LifecycleRule[] = [];
  const skipped: string[] = [];
  let monthly = 0;
  const basis: string[] = [];
  for (const kind of kinds) {
    if (kind === 'expire-noncurrent-versions' && snap.versioning !== undefined && snap.versioning === 'Never') {
      skipped.push('the bucket was never versioned: it has no noncurrent versions to expire');
      continue;
    }
    const desired = ruleFor(kind, options);
    const cov = coverage(current, desired, kind);
    if (cov.state === 'conflict') return { rules: [], conflict: cov.reason, skipped, savings: { monthlyUsd: 0, basis: [] } };
    if (cov.state === 'same') {
      skipped.push(`rule '${cov.by}' already does what ${desired.ID} would`);
      continue;
    }
    if (kind === 'transition-current-versions') {
      const economics = transitionEconomics({
        sizes: snap.sizes,
        storageClass: options.transition.storageClass,
        afterDays: options.transition.afterDays,
        minObjectSizeBytes: options.transition.minObjectSizeBytes,
        expirationDays: wholeBucketExpirationDays(current),
        assumptions: snap.assumptions ?? DEFAULT_TRANSITION_ASSUMPTIONS,
        prices,
      });
      if (!economics.worthIt) {
        skipped.push(`no transition: ${economics.why}`);
        continue;
      }
      monthly += economics.estimate.monthlyUsd;
      basis.push(...economics.estimate.basis);
    } else if (kind === 'expire-noncurrent-versions') {
      basis.push(...noncurrentBasis(snap.sizes, prices));
    } else {
      basis.push('Aborting incomplete uploads: their bytes are unknown (ListMultipartUploads gives counts, not sizes), so the estimate is 0.');
    }
    rules.push(desired);
  }
  return { rules, skipped, savings: { monthlyUsd: usd(monthly), basis } };
}

/** What an undo of these rules cannot bring back: S3 acts on a lifecycle rule as soon as it is in place. */
export function lifecycleUndoLimits(rules: LifecycleRule[]): string {
  const lost = lifecycleLost(rules);
  return lost.length ? `it cannot bring back what the rules already did: ${lost.join('; ')}.` : 'nothing the rules did needs bringing back.';
}

/** The plan's "cannot bring back" text (Plan.undoLimits), from what these rules make S3 do. */
export function lifecyclePlanLimits(rules: LifecycleRule[]): string {
  const lost = lifecycleLost(rules);
  return lost.length ? `What the rules already did (S3 acts on a rule as soon as it is in place): ${lost.join('; ')}.` : 'Nothing: these rules delete and move nothing.';
}

function lifecycleLost(rules: LifecycleRule[]): string[] {
  const lost: string[] = [];
  if (rules.some((r) => r.NoncurrentVersionExpiration)) lost.push('noncurrent versions S3 already expired are deleted for good');
  if (rules.some((r) => r.AbortIncompleteMultipartUpload)) lost.push('multipart uploads S3 already aborted are gone (their parts deleted)');
  if (rules.some((r) => r.Transitions?.length)) lost.push('objects already moved to another storage class stay there (moving them back is a copy, and the class may charge for early deletion and retrieval)');
  return lost;
}

const optionsSchema = z.object({
  /** Which rules to write; by default the one the finding's detector calls for. */
  rules: z.array(z.enum(RULE_KINDS)).min(1).optional(),
  /** Abort multipart uploads still incomplete this many days after they started (AbortIncompleteMultipartUpload DaysAfterInitiation). */
  abortIncompleteMultipartUploadDays: z.number().int().min(1).max(36_500).default(7),
  /** Expire noncurrent object versions this many days after they became noncurrent (NoncurrentVersionExpiration NoncurrentDays). */
  noncurrentVersionExpirationDays: z.number().int().min(1).max(36_500).default(90),
  /** Keep this many newest noncurrent versions whatever their age (S3 NewerNoncurrentVersions, 1–100). */
  keepNewerNoncurrentVersions: z.number().int().min(1).max(100).optional(),
  /** The transition rule for current versions (the transition-current-versions rule). */
  transition: transitionSchema.prefault({}),
});

export const addLifecycleRules: Remediator<LifecycleParams, LifecycleOptions> = {
  id: 'add-lifecycle-rules',
  resource: 's3-bucket',
  title: 'Add trimtab-owned lifecycle rules, merged with the existing ones',
  options: optionsSchema,
  permissions: ['s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
  defaultMode: 'dry-run',
  undoable: 'yes',
  undoLimits: "What the rules already did: S3 acts on a lifecycle rule as soon as it is in place, and expired object versions, aborted uploads and transitioned objects do not come back.",
  // Each policy's rules have their own ids and are merged with the others (mergeRules).
  composes: true,

  plan(finding: Finding, options, { prices }): PlanResult<LifecycleParams> {
    const snap = finding.before as BucketSnapshot;
    const before = snap.lifecycle;
    const existing = before?.Rules ?? [];
    const kinds = options.rules ?? DEFAULT_RULES[finding.detector] ?? ['abort-incomplete-uploads'];
    const result = desiredRules(snap, existing, kinds, options, prices);
    if (result.conflict) return { kind: 'conflict', reason: result.conflict };
    const problems = lifecycleProblems(result.rules, mergeRules(existing, result.rules));
    // The policy schema already refuses bad options; this catches programmatic callers.
    if (problems.length) return { kind: 'conflict', reason: `not planned: it would break S3 constraints: ${problems.join('; ')}` };
    if (result.rules.length === 0) return { kind: 'noop', reason: result.skipped.join('; ') || 'the bucket already has every rule the policy asks for' };
    const kept = othersRules(existing).length;
    return {
      kind: 'change',
      summary:
        `Add lifecycle rule${result.rules.length > 1 ? 's' : ''} ${result.rules.map((r) => r.ID).join(', ')} to s3://${finding.resource.id} ` +
        `(${kept} rule${kept === 1 ? '' : 's'} by others kept as they are, in order)${result.skipped.length ? `; not added: ${result.skipped.join('; ')}` : ''}.`,
      params: { bucket: finding.resource.id, rules: result.rules },
      undo: `${before ? `trimtab undo restores the previous ${existing.length}-rule lifecycle configuration exactly` : 'trimtab undo deletes the lifecycle configuration (the bucket had none)'}.`,
      undoLimits: lifecyclePlanLimits(result.rules),
      savings: result.savings,
    };
  },

  async apply(ctx, plan) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    const bucket = plan.params.bucket;
    // Read right before writing: S3 replaces the whole configuration, so merge with what is there now.
    const current = await readLifecycle(s3, bucket);
    const existing = current?.Rules ?? [];
    // Someone may have added a rule since the scan: re-check each of ours against what is there now.
    for (const rule of plan.params.rules) {
      const kind = RULE_KINDS.find((k) => RULE_IDS[k] === rule.ID);
      const cov = kind ? coverage(existing, rule, kind) : undefined;
      if (cov?.state === 'conflict') throw new PlanConstraintError(`s3://${bucket} changed since the scan: ${cov.reason}. Nothing was written.`);
    }
    const rules = mergeRules(existing, plan.params.rules);
    const problems = lifecycleProblems(plan.params.rules, rules);
    if (problems.length) throw new PlanConstraintError(`Refused to put the lifecycle configuration of s3://${bucket}: ${problems.join('; ')}. Nothing was sent.`);
    const after: LifecycleConfiguration = { Rules: rules, TransitionDefaultMinimumObjectSize: current?.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K' };
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: rules },
        TransitionDefaultMinimumObjectSize: after.TransitionDefaultMinimumObjectSize as any,
      }),
    );
    // The before-state is the whole configuration read just now ("none" is null).
    return { before: { lifecycle: current }, after: { lifecycle: after }, detail: `${rules.length} rules in place (${othersRules(rules).length} by others)` };
  },

  async verify(ctx, plan, applied) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    const bucket = plan.params.bucket;
    const expected = (applied.after as { lifecycle: LifecycleConfiguration }).lifecycle;
    const read = await readUntil(ctx.clock, () => readLifecycle(s3, bucket), (now) => !lifecycleMismatch(now, plan.params, expected), LIFECYCLE_VERIFY_READS);
    const mismatch = lifecycleMismatch(read.value, plan.params, expected);
    if (mismatch) {
      // The put succeeded; S3 may simply not show it yet. Not 'failed' (that would hide a change
      // that is in place): pending, with how to check again.
      return {
        ok: false,
        pending: true,
        detail:
          `verification pending: S3 still showed the earlier lifecycle configuration of s3://${bucket} after ${read.attempts} reads over ${waitedSeconds(LIFECYCLE_VERIFY_READS)} s ` +
          `(${mismatch}). The put succeeded and S3 can take a few minutes to propagate lifecycle changes; re-verify with ` +
          `'aws s3api get-bucket-lifecycle-configuration --bucket ${bucket}' or the next 'trimtab scan' (a rule in place is no longer a finding).`,
      };
    }
    const others = othersRules(read.value?.Rules ?? []).length;
    return { ok: true, detail: `${read.value!.Rules.filter(isTrimtabRule).length} trimtab rule(s) and ${others} other rule(s) present, in order` };
  },

  async undo(ctx, record) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    const bucket = record.resource.id;
    const after = (record.after as { lifecycle: LifecycleConfiguration }).lifecycle;
    // Right after the action S3 may still show the configuration from before it (propagation
    // delay): read again for a few minutes before calling it "changed by someone else".
    const { value: current, settled } = await readUntil(ctx.clock, () => readLifecycle(s3, bucket), (now) => sameConfig(now, after), LIFECYCLE_UNDO_READS);
    if (!settled) {
      const before = (record.before as { lifecycle: LifecycleConfiguration | null }).lifecycle;
      const stillBefore = sameConfig(current, before);
      throw new UndoRefusedError(
        stillBefore
          ? `S3 still shows the lifecycle configuration of s3://${bucket} from before trimtab's action ${record.id} (${waitedSeconds(LIFECYCLE_UNDO_READS)} s of re-reads): ` +
              `the change has not propagated yet (S3 can take a few minutes). Nothing was changed; retry the undo in a few minutes.`
          : `The lifecycle configuration of s3://${bucket} changed after trimtab's action ${record.id} ` +
              `(${current ? `now ${current.Rules.length} rules` : 'now none'}, trimtab left ${after.Rules.length}); restoring the old one would overwrite that change. Compare it by hand.`,
      );
    }
    const before = (record.before as { lifecycle: LifecycleConfiguration | null }).lifecycle;
    if (!before) {
      await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
      return { detail: `Deleted the lifecycle configuration of s3://${bucket} (it had none before).`, after: { lifecycle: null } };
    }
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: before.Rules },
        TransitionDefaultMinimumObjectSize: before.TransitionDefaultMinimumObjectSize as any,
      }),
    );
    return { detail: `Restored the previous ${before.Rules.length}-rule lifecycle configuration of s3://${bucket}.`, after: { lifecycle: before } };
  },
};
