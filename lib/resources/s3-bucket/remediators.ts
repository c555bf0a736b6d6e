/**
 * add-lifecycle-rules: writes trimtab-owned lifecycle rules, merged into the bucket's
 * existing configuration. Undo restores the exact previous configuration, and refuses if
 * anyone changed the configuration since.
 */
import { DeleteBucketLifecycleCommand, PutBucketLifecycleConfigurationCommand, S3Client, type LifecycleRule } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { Remediator } from '../../engine/types.ts';
import { PlanConstraintError, UndoRefusedError } from '../../util/errors.ts';
import { stableStringify } from '../../util/hash.ts';
import { abortRuleOf, isTrimtabRule, mergeRules, othersRules, TRIMTAB_RULE_PREFIX } from './lifecycle.ts';
import { readLifecycle, type LifecycleConfiguration } from './resource.ts';

export interface LifecycleParams {
  bucket: string;
  /** The trimtab-owned rules to put (merged with the bucket's rules at apply time). */
  rules: LifecycleRule[];
}

export const ABORT_RULE_ID = `${TRIMTAB_RULE_PREFIX}abort-incomplete-multipart-uploads`;

const sameConfig = (a: LifecycleConfiguration | null | undefined, b: LifecycleConfiguration | null | undefined) =>
  stableStringify(a?.Rules ?? null) === stableStringify(b?.Rules ?? null);

export const addLifecycleRules: Remediator<LifecycleParams, { abortIncompleteMultipartUploadDays: number }> = {
  id: 'add-lifecycle-rules',
  resource: 's3-bucket',
  title: 'Add trimtab-owned lifecycle rules, merged with the existing ones',
  options: z.object({
    abortIncompleteMultipartUploadDays: z.number().int().min(1).max(365).default(7),
  }),
  permissions: ['s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
  defaultMode: 'dry-run',
  undoable: 'yes',

  plan(finding, options) {
    const before = (finding.before as { lifecycle: LifecycleConfiguration | null }).lifecycle;
    const existing = before?.Rules ?? [];
    const rules: LifecycleRule[] = [];
    const othersAbort = abortRuleOf(othersRules(existing));
    if (othersAbort) {
      const days = othersAbort.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
      if (days !== options.abortIncompleteMultipartUploadDays) {
        return { kind: 'conflict', reason: `Rule '${othersAbort.ID ?? '(no id)'}' already aborts incomplete uploads after ${days} days; trimtab leaves it as it is.` };
      }
    } else {
      rules.push({
        ID: ABORT_RULE_ID,
        Status: 'Enabled',
        Filter: {},
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: options.abortIncompleteMultipartUploadDays },
      });
    }
    if (rules.length === 0) return { kind: 'noop', reason: 'The bucket already has every rule the policy asks for.' };
    return {
      kind: 'change',
      summary: `Add lifecycle rule${rules.length > 1 ? 's' : ''} ${rules.map((r) => r.ID).join(', ')} to s3://${finding.resource.id} (${existing.length} existing rule${existing.length === 1 ? '' : 's'} kept as they are).`,
      params: { bucket: finding.resource.id, rules },
      undo: before ? `Restore the previous ${existing.length}-rule lifecycle configuration.` : 'Delete the lifecycle configuration (the bucket had none).',
    };
  },

  async apply(ctx, plan) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    // Read right before writing: S3 replaces the whole configuration, so merge with what is there now.
    const current = await readLifecycle(s3, plan.params.bucket);
    const rules = mergeRules(current?.Rules ?? [], plan.params.rules);
    if (rules.length > 1000) throw new PlanConstraintError(`s3://${plan.params.bucket} would have ${rules.length} lifecycle rules; S3 allows 1,000.`);
    const after: LifecycleConfiguration = { Rules: rules, TransitionDefaultMinimumObjectSize: current?.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K' };
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: plan.params.bucket,
        LifecycleConfiguration: { Rules: rules },
        TransitionDefaultMinimumObjectSize: after.TransitionDefaultMinimumObjectSize as any,
      }),
    );
    return { before: { lifecycle: current }, after: { lifecycle: after }, detail: `${rules.length} rules in place` };
  },

  async verify(ctx, plan, applied) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    const now = await readLifecycle(s3, plan.params.bucket);
    const expected = (applied.after as { lifecycle: LifecycleConfiguration }).lifecycle;
    const missing = plan.params.rules.filter((r) => !now?.Rules.some((n) => n.ID === r.ID && stableStringify(n) === stableStringify(r)));
    if (missing.length) return { ok: false, detail: `Rules missing after the put: ${missing.map((r) => r.ID).join(', ')}` };
    const othersNow = othersRules(now?.Rules ?? []);
    const othersExpected = othersRules(expected.Rules);
    if (stableStringify(othersNow) !== stableStringify(othersExpected)) {
      return { ok: false, detail: 'Rules trimtab did not write differ from what was there before the put.' };
    }
    return { ok: true, detail: `${now!.Rules.filter(isTrimtabRule).length} trimtab rule(s) and ${othersNow.length} other rule(s) present` };
  },

  async undo(ctx, record) {
    const s3 = ctx.clients.get(S3Client, ctx.region);
    const bucket = record.resource.id;
    const current = await readLifecycle(s3, bucket);
    const after = (record.after as { lifecycle: LifecycleConfiguration }).lifecycle;
    if (!sameConfig(current, after)) {
      throw new UndoRefusedError(
        `The lifecycle configuration of s3://${bucket} changed after trimtab's action (${record.id}); restoring the old one would overwrite that change. Compare it by hand.`,
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
