/**
 * add-lifecycle-rules' apply, verify and undo against a scripted S3 (test/unit/resources/fake-aws.ts): the
 * re-check right before the put, the exact configuration written (others' rules kept, in order), the
 * propagation re-reads, the undo's calls and refusals. Written for the mutation score of
 * lib/resources/s3-bucket/remediators.ts (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { Plan } from '../../../../lib/engine/types.ts';
import { coverage, ruleFor } from '../../../../lib/resources/s3-bucket/lifecycle.ts';
import { addLifecycleRules, lifecyclePlanLimits, lifecycleUndoLimits, LIFECYCLE_UNDO_READS, LIFECYCLE_VERIFY_READS, type LifecycleParams } from '../../../../lib/resources/s3-bucket/remediators.ts';
import { PlanConstraintError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, recordOf, type Handlers } from '../fake-aws.ts';

const B = 'logs-bucket';
const OPTIONS = { abortIncompleteMultipartUploadDays: 7, noncurrentVersionExpirationDays: 90, transition: { storageClass: 'INTELLIGENT_TIERING' as const, afterDays: 30, minObjectSizeBytes: 131072 } };
const OURS = ruleFor('abort-incomplete-uploads', OPTIONS);
const THEIRS: LifecycleRule = { ID: 'theirs', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 3 } };
const plan = (rules: LifecycleRule[] = [OURS]) => ({ kind: 'change', summary: 's', undo: 'u', params: { bucket: B, rules } }) as unknown as Plan<LifecycleParams>;
const finding = findingOf('s3-bucket', B, {});
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const NONE = () => { throw awsError('NoSuchLifecycleConfiguration'); };

/** GetBucketLifecycleConfiguration answers `reads` in turn (null: none; the last repeats); writes succeed. */
function aws(reads: Array<Record<string, unknown> | null>, over: Handlers = {}) {
  return fakeAws({
    GetBucketLifecycleConfiguration: (_i, n) => {
      const r = reads[Math.min(n, reads.length) - 1];
      return r === null ? NONE() : r;
    },
    PutBucketLifecycleConfiguration: () => ({}),
    DeleteBucketLifecycle: () => ({}),
    ...over,
  });
}
const WRITES = ['PutBucketLifecycleConfiguration', 'DeleteBucketLifecycle'];

describe('add-lifecycle-rules: what it is', () => {
  it('composes, starts in dry-run, and needs exactly the lifecycle read and put', () => {
    expect([addLifecycleRules.id, addLifecycleRules.resource, addLifecycleRules.defaultMode, addLifecycleRules.undoable, addLifecycleRules.composes]).toEqual(['add-lifecycle-rules', 's3-bucket', 'dry-run', 'yes', true]);
    expect(addLifecycleRules.permissions).toEqual(['s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration']);
  });

  it('says what an undo cannot bring back, for each kind of rule', () => {
    const all = [ruleFor('expire-noncurrent-versions', OPTIONS), OURS, ruleFor('transition-current-versions', OPTIONS)];
    expect(lifecycleUndoLimits(all)).toBe('it cannot bring back what the rules already did: noncurrent versions S3 already expired are deleted for good; multipart uploads S3 already aborted are gone (their parts deleted); objects already moved to another storage class stay there (moving them back is a copy, and the class may charge for early deletion and retrieval).');
    expect(lifecycleUndoLimits([{ ID: 'x', Status: 'Enabled', Transitions: [] }])).toBe('nothing the rules did needs bringing back.');
    expect(lifecyclePlanLimits([OURS])).toBe('What the rules already did (S3 acts on a rule as soon as it is in place): multipart uploads S3 already aborted are gone (their parts deleted).');
    expect(lifecyclePlanLimits([])).toBe('Nothing: these rules delete and move nothing.');
  });
});

describe('add-lifecycle-rules apply', () => {
  it('reads the configuration right before the put and writes others’ rules first, in order, then trimtab’s, keeping the size default', async () => {
    // Prepare
    const a = aws([{ Rules: [THEIRS], TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' }]);
    // Act
    const out = await addLifecycleRules.apply(a.ctx, plan(), finding);
    // Assess
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['GetBucketLifecycleConfiguration', { Bucket: B }],
      ['PutBucketLifecycleConfiguration', { Bucket: B, LifecycleConfiguration: { Rules: [THEIRS, OURS] }, TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' }],
    ]);
    expect(out).toEqual({
      before: { lifecycle: { Rules: [THEIRS], TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' } },
      after: { lifecycle: { Rules: [THEIRS, OURS], TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' } },
      detail: '2 rules in place (1 by others)',
    });
  });

  it('puts the default size threshold on a bucket with no configuration, and records "none" as null', async () => {
    const a = aws([null]);
    const out = await addLifecycleRules.apply(a.ctx, plan(), finding);
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ Bucket: B, LifecycleConfiguration: { Rules: [OURS] }, TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' }]);
    expect(out.before).toEqual({ lifecycle: null });
    expect(out.detail).toBe('1 rules in place (0 by others)');
  });

  it('replaces trimtab’s own rule in place on a rerun, and reads a configuration with no Rules member as empty', async () => {
    const old = { ...OURS, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } };
    const a = aws([{ Rules: [old, THEIRS] }]);
    const empty = aws([{}]);
    await addLifecycleRules.apply(a.ctx, plan(), finding);
    await addLifecycleRules.apply(empty.ctx, plan(), finding);
    expect(a.writes(...WRITES)[0].input.LifecycleConfiguration).toEqual({ Rules: [OURS, THEIRS] });
    expect(empty.writes(...WRITES)[0].input.LifecycleConfiguration).toEqual({ Rules: [OURS] });
  });

  it('refuses, writing nothing, when someone added a conflicting rule since the scan', async () => {
    const conflicting: LifecycleRule = { ID: 'theirs-abort', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } };
    const reason = coverage([conflicting], OURS, 'abort-incomplete-uploads');
    expect(reason.state).toBe('conflict');
    const a = aws([{ Rules: [conflicting] }]);
    const err = await caught(addLifecycleRules.apply(a.ctx, plan(), finding));
    expect(err).toBeInstanceOf(PlanConstraintError);
    expect(err?.message).toBe(`s3://${B} changed since the scan: ${(reason as { reason: string }).reason}. Nothing was written.`);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('re-checks each planned rule against its own kind: others’ abort rule does not block trimtab’s noncurrent rule', async () => {
    // Prepare
    const theirsAbort: LifecycleRule = { ID: 'theirs-abort', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } };
    const noncurrent = ruleFor('expire-noncurrent-versions', OPTIONS);
    const a = aws([{ Rules: [theirsAbort] }]);
    // Act
    const out = await addLifecycleRules.apply(a.ctx, plan([noncurrent]), finding);
    // Assess
    expect(a.writes(...WRITES).map((c) => c.input.LifecycleConfiguration)).toEqual([{ Rules: [theirsAbort, noncurrent] }]);
    expect(out.detail).toBe('2 rules in place (1 by others)');
  });

  it('names every broken S3 constraint in its refusal, writing nothing', async () => {
    // Prepare
    const bad: LifecycleRule = { ID: 'trimtab-custom', Status: 'Enabled', Filter: {}, Transitions: [{ Days: 10, StorageClass: 'STANDARD_IA' }, { Days: 40, StorageClass: 'STANDARD_IA' }] };
    const a = aws([null]);
    // Act
    const err = await caught(addLifecycleRules.apply(a.ctx, plan([bad]), finding));
    // Assess
    expect(err?.message).toBe(`Refused to put the lifecycle configuration of s3://${B}: rule 'trimtab-custom': 'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA' (got 10); rule 'trimtab-custom': 'StorageClass' must be different for 'Transition' actions in same 'Rule'. Nothing was sent.`);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a rule that breaks S3’s constraints before sending anything', async () => {
    const bad: LifecycleRule = { ID: 'trimtab-custom', Status: 'Enabled', Filter: {}, Transitions: [{ Days: 10, StorageClass: 'STANDARD_IA' }] };
    const a = aws([null]);
    const err = await caught(addLifecycleRules.apply(a.ctx, plan([bad]), finding));
    expect(err).toBeInstanceOf(PlanConstraintError);
    expect(err?.message).toBe(`Refused to put the lifecycle configuration of s3://${B}: rule 'trimtab-custom': 'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA' (got 10). Nothing was sent.`);
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('fails on an error of the read other than "no configuration", writing nothing', async () => {
    const a = aws([], { GetBucketLifecycleConfiguration: () => { throw awsError('AccessDenied'); } });
    expect((await caught(addLifecycleRules.apply(a.ctx, plan(), finding)))?.name).toBe('AccessDenied');
    expect(a.writes(...WRITES)).toEqual([]);
  });
});

describe('add-lifecycle-rules verify', () => {
  const after = { lifecycle: { Rules: [THEIRS, OURS], TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' } };

  it('passes once S3 shows trimtab’s rules and others’ as they were, re-reading while it does not', async () => {
    const a = aws([{ Rules: [THEIRS] }, { Rules: [THEIRS, OURS] }]);
    expect(await addLifecycleRules.verify(a.ctx, plan(), { after })).toEqual({ ok: true, detail: '1 trimtab rule(s) and 1 other rule(s) present, in order' });
    expect(a.writes('GetBucketLifecycleConfiguration')).toHaveLength(2);
  });

  it('leaves the action pending after 5 reads over 30 s when S3 still does not show the rules, saying how to check', async () => {
    const a = aws([{ Rules: [THEIRS] }]);
    const start = a.clock.now().getTime();
    expect(await addLifecycleRules.verify(a.ctx, plan(), { after })).toEqual({
      ok: false,
      pending: true,
      detail: `verification pending: S3 still showed the earlier lifecycle configuration of s3://${B} after 5 reads over 30 s (Rules missing after the put: trimtab-abort-incomplete-multipart-uploads). The put succeeded and S3 can take a few minutes to propagate lifecycle changes; re-verify with 'aws s3api get-bucket-lifecycle-configuration --bucket ${B}' or the next 'trimtab scan' (a rule in place is no longer a finding).`,
    });
    expect(a.clock.now().getTime() - start).toBe(2_000 + 4_000 + 8_000 + 16_000);
    expect(LIFECYCLE_VERIFY_READS).toEqual({ attempts: 5, baseDelayMs: 2_000, maxDelayMs: 16_000 });
  });

  it('is pending when others’ rules differ from what was there, or the configuration is gone', async () => {
    const changed = aws([{ Rules: [{ ...THEIRS, Expiration: { Days: 4 } }, OURS] }]);
    const gone = aws([null]);
    expect((await addLifecycleRules.verify(changed.ctx, plan(), { after })).detail).toContain('(Rules trimtab did not write differ from what was there before the put.)');
    expect((await addLifecycleRules.verify(gone.ctx, plan(), { after })).detail).toContain('(Rules missing after the put: trimtab-abort-incomplete-multipart-uploads)');
  });

  it('does not take trimtab’s rule written under another id as present, and names every missing rule', async () => {
    const copied = aws([{ Rules: [THEIRS, { ...OURS, ID: 'copy' }] }]);
    const both = [OURS, ruleFor('expire-noncurrent-versions', OPTIONS)];
    const none = aws([{ Rules: [THEIRS] }]);
    expect((await addLifecycleRules.verify(copied.ctx, plan(), { after })).detail).toContain('(Rules missing after the put: trimtab-abort-incomplete-multipart-uploads)');
    expect((await addLifecycleRules.verify(none.ctx, plan(both), { after })).detail).toContain('(Rules missing after the put: trimtab-abort-incomplete-multipart-uploads, trimtab-expire-noncurrent-versions)');
  });

  it('is pending when trimtab’s rule is there under its id but not as written', async () => {
    const a = aws([{ Rules: [THEIRS, { ...OURS, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 8 } }] }]);
    expect((await addLifecycleRules.verify(a.ctx, plan(), { after })).ok).toBe(false);
  });
});

describe('add-lifecycle-rules undo', () => {
  const AFTER = { Rules: [THEIRS, OURS], TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' };
  const record = (before: unknown) => recordOf('s3-bucket', B, 'add-lifecycle-rules', plan().params, { lifecycle: before }, { lifecycle: AFTER });

  it('puts back exactly the previous configuration when S3 still shows what trimtab left', async () => {
    const before = { Rules: [THEIRS], TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' };
    const a = aws([{ Rules: [THEIRS, OURS] }]);
    const out = await addLifecycleRules.undo!(a.ctx, record(before));
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([['PutBucketLifecycleConfiguration', { Bucket: B, LifecycleConfiguration: { Rules: [THEIRS] }, TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' }]]);
    expect(out).toEqual({ detail: `Restored the previous 1-rule lifecycle configuration of s3://${B}.`, after: { lifecycle: before } });
  });

  it('deletes the configuration when the bucket had none, after waiting for trimtab’s to show', async () => {
    const a = aws([null, null, { Rules: [THEIRS, OURS], TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' }]);
    const out = await addLifecycleRules.undo!(a.ctx, record(null));
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([['DeleteBucketLifecycle', { Bucket: B }]]);
    expect(out).toEqual({ detail: `Deleted the lifecycle configuration of s3://${B} (it had none before).`, after: { lifecycle: null } });
  });

  it('refuses, changing nothing, while S3 still shows the configuration from before the action after about 3 minutes of re-reads', async () => {
    const a = aws([{ Rules: [THEIRS] }]);
    const start = a.clock.now().getTime();
    const err = await caught(addLifecycleRules.undo!(a.ctx, record({ Rules: [THEIRS] })));
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect(err?.message).toBe(`S3 still shows the lifecycle configuration of s3://${B} from before trimtab's action a1 (182 s of re-reads): the change has not propagated yet (S3 can take a few minutes). Nothing was changed; retry the undo in a few minutes.`);
    expect(a.clock.now().getTime() - start).toBe(182_000);
    expect(a.writes('GetBucketLifecycleConfiguration')).toHaveLength(8);
    expect(LIFECYCLE_UNDO_READS).toEqual({ attempts: 8, baseDelayMs: 2_000, maxDelayMs: 60_000 });
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses, changing nothing, when someone changed the configuration after the action, saying how many rules each has', async () => {
    const changed = aws([{ Rules: [THEIRS, OURS, { ID: 'new', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }] }]);
    const deleted = aws([null]);
    const e1 = await caught(addLifecycleRules.undo!(changed.ctx, record({ Rules: [THEIRS] })));
    const e2 = await caught(addLifecycleRules.undo!(deleted.ctx, record({ Rules: [THEIRS] })));
    expect(e1?.message).toBe(`The lifecycle configuration of s3://${B} changed after trimtab's action a1 (now 3 rules, trimtab left 2); restoring the old one would overwrite that change. Compare it by hand.`);
    expect(e2?.message).toBe(`The lifecycle configuration of s3://${B} changed after trimtab's action a1 (now none, trimtab left 2); restoring the old one would overwrite that change. Compare it by hand.`);
    expect([e1, e2].every((e) => e instanceof UndoRefusedError)).toBe(true);
    expect([...changed.writes(...WRITES), ...deleted.writes(...WRITES)]).toEqual([]);
  });

  it('counts a configuration read without a size threshold as S3’s default when comparing', async () => {
    const a = aws([{ Rules: [THEIRS, OURS] }]);
    await addLifecycleRules.undo!(a.ctx, record({ Rules: [THEIRS], TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' }));
    expect(a.writes(...WRITES)).toHaveLength(1);
  });

  it('refuses when the configuration from before was none and S3 still shows none', async () => {
    const a = aws([null]);
    const err = await caught(addLifecycleRules.undo!(a.ctx, record(null)));
    expect(err?.message).toContain('from before trimtab\'s action a1 (182 s of re-reads)');
  });
});
