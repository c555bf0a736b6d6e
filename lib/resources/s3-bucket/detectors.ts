/** S3 detectors: pure decisions over an enriched bucket. */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { DetectEnv, Detection, Detector } from '../../engine/types.ts';
import { GIB } from '../../savings/prices.ts';
import { RULE_IDS, TRANSITION_CLASSES, abortRuleOf, wholeBucketExpirationDays, wholeBucketRuleFor, MIN_TRANSITION_OBJECT_BYTES } from './lifecycle.ts';
import { S3_NEEDS, type Bucket, type LifecycleConfiguration } from './resource.ts';
import { DEFAULT_TRANSITION_ASSUMPTIONS, noncurrentBasis, sizeEvidence, transitionEconomics, type BucketSizes, type TransitionAssumptions } from './savings.ts';

const DAY_MS = 86_400_000;

const ageDays = (iso: string | undefined, now: Date) => (iso ? Math.floor((now.getTime() - Date.parse(iso)) / DAY_MS) : undefined);

/**
 * What every S3 finding carries for the remediator: the configuration read during the scan,
 * plus the facts planning needs (versioning, sizes, the savings assumptions). Apply re-reads
 * the configuration and records that as the action's before-state.
 */
export interface BucketSnapshot {
  lifecycle: LifecycleConfiguration | null;
  versioning?: Bucket['versioning'];
  sizes?: BucketSizes;
  assumptions: TransitionAssumptions;
}

const snapshot = (bucket: Bucket, assumptions: TransitionAssumptions = DEFAULT_TRANSITION_ASSUMPTIONS): BucketSnapshot => ({
  lifecycle: bucket.lifecycle ?? null,
  versioning: bucket.versioning,
  sizes: bucket.sizes,
  assumptions,
});

const assumptionOptions = {
  /** Share of Standard bytes assumed not read for 30+ days (drives the transition estimate). */
  assumedColdFraction: z.number().min(0).max(1).default(DEFAULT_TRANSITION_ASSUMPTIONS.coldFraction),
  /** Do not propose a transition whose one-off request cost takes longer than this to earn back. */
  maxPaybackMonths: z.number().min(0).max(120).default(DEFAULT_TRANSITION_ASSUMPTIONS.maxPaybackMonths),
};
const assumptionsOf = (o: { assumedColdFraction: number; maxPaybackMonths: number }): TransitionAssumptions => ({ coldFraction: o.assumedColdFraction, maxPaybackMonths: o.maxPaybackMonths });

export const missingLifecycle: Detector<Bucket, { assumedColdFraction: number; maxPaybackMonths: number }> = {
  id: 'missing-lifecycle',
  resource: 's3-bucket',
  title: 'Bucket has no lifecycle configuration at all',
  options: z.object({ ...assumptionOptions }),
  needs: [S3_NEEDS.lifecycle, S3_NEEDS.versioning, S3_NEEDS.sizes],
  detect(bucket, options, { ctx }) {
    if (bucket.lifecycle !== null) return undefined;
    return {
      reason: 'The bucket has no lifecycle configuration: nothing ever expires, transitions or aborts.',
      evidence: { lifecycleConfiguration: 'none', versioning: bucket.versioning, bucketAgeDays: ageDays(bucket.createdAt, ctx.now), ...sizeEvidence(bucket.sizes) },
      savings: { monthlyUsd: 0, basis: ['The saving depends on the rules the action adds; the plan prices them (0 when it adds only an abort rule).'] },
      before: snapshot(bucket, assumptionsOf(options)),
    };
  },
};

export const missingAbortMultipartRule: Detector<Bucket, { minIncompleteUploads: number }> = {
  id: 'missing-abort-multipart-rule',
  resource: 's3-bucket',
  title: 'No rule aborts incomplete multipart uploads',
  options: z.object({
    /** Flag only buckets with at least this many incomplete uploads (0: every bucket without the rule). */
    minIncompleteUploads: z.number().int().min(0).default(0),
  }),
  // The uploads are read (one ListMultipartUploads per bucket) only when their count decides:
  // with minIncompleteUploads 0 every bucket without the rule is flagged, counted or not.
  needs: (options) => (options.minIncompleteUploads > 0 ? [S3_NEEDS.lifecycle, S3_NEEDS.multipart] : [S3_NEEDS.lifecycle]),
  detect(bucket, options, { ctx }) {
    const rules = bucket.lifecycle?.Rules ?? [];
    if (abortRuleOf(rules)) return undefined;
    const uploads = bucket.multipartUploads;
    if ((uploads?.count ?? 0) < options.minIncompleteUploads) return undefined;
    return {
      reason: !uploads
        ? 'No lifecycle rule aborts incomplete multipart uploads: failed uploads are billed until aborted (not counted: the policy flags every bucket without the rule).'
        : uploads.count > 0
          ? `${uploads.count}${uploads.truncated ? '+' : ''} incomplete multipart upload${uploads.count === 1 ? ' is' : 's are'} billed until aborted, and no lifecycle rule aborts them.`
          : 'No lifecycle rule aborts incomplete multipart uploads: failed uploads would be billed forever.',
      evidence: {
        ...(uploads
          ? { incompleteUploads: uploads.count, incompleteUploadsTruncated: uploads.truncated, oldestIncompleteUploadAgeDays: ageDays(uploads.oldestInitiated, ctx.now) }
          : { incompleteUploads: 'not counted' }),
        lifecycleRules: rules.length,
      },
      savings: { monthlyUsd: 0, basis: ['Incomplete-upload bytes are unknown: ListMultipartUploads gives counts and ages, not sizes.'] },
      before: snapshot(bucket),
    };
  },
};

export const missingNoncurrentVersionRule: Detector<Bucket, Record<string, never>> = {
  id: 'missing-noncurrent-version-rule',
  resource: 's3-bucket',
  title: 'Versioned bucket keeps noncurrent versions forever',
  options: z.object({}),
  needs: [S3_NEEDS.lifecycle, S3_NEEDS.versioning, S3_NEEDS.sizes],
  detect(bucket, _options, { ctx }) {
    // Suspended buckets still hold the noncurrent versions made while versioning was on.
    if (bucket.versioning !== 'Enabled' && bucket.versioning !== 'Suspended') return undefined;
    const rules = bucket.lifecycle?.Rules ?? [];
    if (wholeBucketRuleFor(rules, 'expire-noncurrent-versions')) return undefined;
    return {
      reason: `Versioning is ${bucket.versioning.toLowerCase()} and no lifecycle rule expires or transitions noncurrent versions for the whole bucket: every overwritten or deleted object is kept, and billed, forever.`,
      evidence: { versioning: bucket.versioning, lifecycleRules: rules.length, ...sizeEvidence(bucket.sizes) },
      savings: { monthlyUsd: 0, basis: noncurrentBasis(bucket.sizes, ctx.prices) },
      before: snapshot(bucket),
    };
  },
};

type LargeStandardOptions = { minStandardGb: number; storageClass: (typeof TRANSITION_CLASSES)[number]; afterDays: number; assumedColdFraction: number; maxPaybackMonths: number };

export const largeStandardWithoutTransition: Detector<Bucket, LargeStandardOptions> = {
  id: 'large-standard-without-transition',
  resource: 's3-bucket',
  title: 'Large Standard-class storage with no transition rule',
  options: z.object({
    /** Only buckets with at least this much Standard storage (GB, from BucketSizeBytes). */
    minStandardGb: z.number().min(0).default(100),
    /** The class the estimate assumes (the action's own setting prices the plan). */
    storageClass: z.enum(TRANSITION_CLASSES).default('INTELLIGENT_TIERING'),
    /** The transition age (days after creation) the estimate assumes. */
    afterDays: z.number().int().min(0).default(30),
    ...assumptionOptions,
  }),
  needs: [S3_NEEDS.lifecycle, S3_NEEDS.sizes],
  detect(bucket, options, env: DetectEnv): Detection | undefined {
    const sizes = bucket.sizes;
    // Without a size there is no "large": never flag on a guess.
    if (!sizes?.known) return undefined;
    const standardGb = (sizes.bytes.StandardStorage ?? 0) / GIB;
    if (standardGb < options.minStandardGb) return undefined;
    const rules = bucket.lifecycle?.Rules ?? [];
    const existing = wholeBucketRuleFor(rules, 'transition-current-versions');
    if (existing) return undefined;
    const assumptions = assumptionsOf(options);
    const economics = transitionEconomics({
      sizes,
      storageClass: options.storageClass,
      afterDays: options.afterDays,
      minObjectSizeBytes: MIN_TRANSITION_OBJECT_BYTES,
      expirationDays: wholeBucketExpirationDays(rules),
      assumptions,
      prices: env.ctx.prices,
    });
    // A transition that costs more than it saves is not worth a finding.
    if (!economics.worthIt) return undefined;
    return {
      reason: `${Math.round(standardGb).toLocaleString('en-US')} GB sit in S3 Standard and no lifecycle rule transitions them; moving objects over 128 KB to ${options.storageClass} after ${options.afterDays} days saves an estimated $${economics.estimate.monthlyUsd}/month.`,
      evidence: { ...sizeEvidence(sizes), lifecycleRules: rules.length, estimateFor: `${options.storageClass} after ${options.afterDays} days`, oneTimeTransitionUsd: economics.oneTimeUsd, ruleId: RULE_IDS['transition-current-versions'] },
      savings: economics.estimate,
      before: snapshot(bucket, assumptions),
    };
  },
};
