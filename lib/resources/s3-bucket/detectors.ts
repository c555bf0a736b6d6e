/** S3 detectors: pure decisions over an enriched bucket. */
import { z } from 'zod';
import type { Detector } from '../../engine/types.ts';
import { abortRuleOf } from './lifecycle.ts';
import { S3_NEEDS, type Bucket } from './resource.ts';

const DAY_MS = 86_400_000;

const ageDays = (iso: string | undefined, now: Date) => (iso ? Math.floor((now.getTime() - Date.parse(iso)) / DAY_MS) : undefined);

export const missingLifecycle: Detector<Bucket, Record<string, never>> = {
  id: 'missing-lifecycle',
  resource: 's3-bucket',
  title: 'Bucket has no lifecycle configuration at all',
  options: z.object({}),
  needs: [S3_NEEDS.lifecycle],
  detect(bucket, _options, { ctx }) {
    if (bucket.lifecycle !== null) return undefined;
    return {
      reason: 'The bucket has no lifecycle configuration: nothing ever expires, transitions or aborts.',
      evidence: { lifecycleConfiguration: 'none', bucketAgeDays: ageDays(bucket.createdAt, ctx.now) },
      savings: { monthlyUsd: 0, basis: ['Size unknown to this detector: the saving depends on the rules added (see the S3 size detector).'] },
      before: { lifecycle: null },
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
  needs: [S3_NEEDS.lifecycle, S3_NEEDS.multipart],
  detect(bucket, options, { ctx }) {
    const rules = bucket.lifecycle?.Rules ?? [];
    if (abortRuleOf(rules)) return undefined;
    const uploads = bucket.multipartUploads ?? { count: 0, truncated: false };
    if (uploads.count < options.minIncompleteUploads) return undefined;
    return {
      reason:
        uploads.count > 0
          ? `${uploads.count}${uploads.truncated ? '+' : ''} incomplete multipart uploads are billed until aborted, and no lifecycle rule aborts them.`
          : 'No lifecycle rule aborts incomplete multipart uploads: failed uploads would be billed forever.',
      evidence: {
        incompleteUploads: uploads.count,
        incompleteUploadsTruncated: uploads.truncated,
        oldestIncompleteUploadAgeDays: ageDays(uploads.oldestInitiated, ctx.now),
        lifecycleRules: rules.length,
      },
      savings: { monthlyUsd: 0, basis: ['Incomplete-upload bytes are unknown: ListMultipartUploads gives counts, not sizes.'] },
      before: { lifecycle: bucket.lifecycle ?? null },
    };
  },
};
