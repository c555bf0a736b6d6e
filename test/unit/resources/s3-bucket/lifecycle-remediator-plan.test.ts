/**
 * add-lifecycle-rules' options, plan and desiredRules without AWS (no sandbox, no test/setup.ts): which rules a
 * finding asks for, the exact summary, undo text and savings, the conflicts and constraint refusals. Written for
 * the mutation score of lib/resources/s3-bucket/remediators.ts (docs/testing.md "Mutation testing"); apply,
 * verify and undo are in lifecycle-remediator-aws.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import type { Finding } from '../../../../lib/engine/types.ts';
import type { BucketSnapshot } from '../../../../lib/resources/s3-bucket/detectors.ts';
import { lifecycleProblems, ruleFor } from '../../../../lib/resources/s3-bucket/lifecycle.ts';
import { ABORT_RULE_ID, addLifecycleRules, DEFAULT_RULES, desiredRules, lifecyclePlanLimits, type LifecycleOptions } from '../../../../lib/resources/s3-bucket/remediators.ts';
import { DEFAULT_TRANSITION_ASSUMPTIONS, noncurrentBasis, transitionEconomics, type BucketSizes } from '../../../../lib/resources/s3-bucket/savings.ts';
import { DEFAULT_PRICES, GIB } from '../../../../lib/savings/prices.ts';
import { findingOf, planCtx } from '../fake-aws.ts';

const OPTIONS: LifecycleOptions = { abortIncompleteMultipartUploadDays: 7, noncurrentVersionExpirationDays: 90, transition: { storageClass: 'INTELLIGENT_TIERING', afterDays: 30, minObjectSizeBytes: 131072 } };
const ABORT = ruleFor('abort-incomplete-uploads', OPTIONS);
const NONCURRENT = ruleFor('expire-noncurrent-versions', OPTIONS);
const THEIRS: LifecycleRule = { ID: 'theirs', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 3 } };
const BIG: BucketSizes = { known: true, bytes: { StandardStorage: 10_000 * GIB }, objects: 1_000_000 };
const ABORT_BASIS = 'Aborting incomplete uploads: their bytes are unknown (ListMultipartUploads gives counts, not sizes), so the estimate is 0.';
const snap = (over: Partial<BucketSnapshot> = {}): BucketSnapshot => ({ lifecycle: null, assumptions: DEFAULT_TRANSITION_ASSUMPTIONS, ...over });
const findingFor = (detector: string, over: Partial<BucketSnapshot> = {}) => findingOf('s3-bucket', 'b', snap(over), { detector }) as Finding;
const plan = (f: Finding, options: Partial<LifecycleOptions> = {}) => addLifecycleRules.plan(f, { ...OPTIONS, ...options }, planCtx);
const economics = (over: Partial<Parameters<typeof transitionEconomics>[0]> = {}) =>
  transitionEconomics({ sizes: BIG, storageClass: 'INTELLIGENT_TIERING', afterDays: 30, minObjectSizeBytes: 131072, expirationDays: undefined, assumptions: DEFAULT_TRANSITION_ASSUMPTIONS, prices: DEFAULT_PRICES, ...over });

/** Why a transition is not worth it ('' when it is). */
const whyNot = (e: ReturnType<typeof transitionEconomics>) => (e.worthIt ? '' : e.why);

describe('add-lifecycle-rules: what it is and its options', () => {
  it('declares its title and what an undo cannot bring back', () => {
    expect(addLifecycleRules.title).toBe('Add trimtab-owned lifecycle rules, merged with the existing ones');
    expect(addLifecycleRules.undoLimits).toBe('What the rules already did: S3 acts on a lifecycle rule as soon as it is in place, and expired object versions, aborted uploads and transitioned objects do not come back.');
    expect(ABORT_RULE_ID).toBe('trimtab-abort-incomplete-multipart-uploads');
  });

  it('asks each detector for its own rule by default', () => {
    expect(DEFAULT_RULES).toEqual({
      'missing-lifecycle': ['abort-incomplete-uploads'],
      'missing-abort-multipart-rule': ['abort-incomplete-uploads'],
      'missing-noncurrent-version-rule': ['expire-noncurrent-versions'],
      'large-standard-without-transition': ['transition-current-versions'],
    });
  });

  it('fills the defaults: 7 days to abort, 90 days for noncurrent versions, Intelligent-Tiering after 30 days above 128 KB', () => {
    expect(addLifecycleRules.options.parse({})).toEqual({ abortIncompleteMultipartUploadDays: 7, noncurrentVersionExpirationDays: 90, transition: { storageClass: 'INTELLIGENT_TIERING', afterDays: 30, minObjectSizeBytes: 131072 } });
  });

  it('accepts each option at its bounds and refuses it just outside them', () => {
    const ok = (o: unknown) => addLifecycleRules.options.safeParse(o).success;
    expect([ok({ abortIncompleteMultipartUploadDays: 1 }), ok({ abortIncompleteMultipartUploadDays: 36_500 }), ok({ abortIncompleteMultipartUploadDays: 0 }), ok({ abortIncompleteMultipartUploadDays: 36_501 }), ok({ abortIncompleteMultipartUploadDays: 1.5 })]).toEqual([true, true, false, false, false]);
    expect([ok({ noncurrentVersionExpirationDays: 1 }), ok({ noncurrentVersionExpirationDays: 36_500 }), ok({ noncurrentVersionExpirationDays: 0 }), ok({ noncurrentVersionExpirationDays: 36_501 }), ok({ noncurrentVersionExpirationDays: 2.5 })]).toEqual([true, true, false, false, false]);
    expect([ok({ keepNewerNoncurrentVersions: 1 }), ok({ keepNewerNoncurrentVersions: 100 }), ok({ keepNewerNoncurrentVersions: 0 }), ok({ keepNewerNoncurrentVersions: 101 }), ok({ keepNewerNoncurrentVersions: 1.5 })]).toEqual([true, true, false, false, false]);
    expect([ok({ rules: ['expire-noncurrent-versions'] }), ok({ rules: [] }), ok({ rules: ['delete-everything'] })]).toEqual([true, false, false]);
    expect([ok({ transition: { afterDays: 0, minObjectSizeBytes: 0 } }), ok({ transition: { afterDays: -1 } }), ok({ transition: { afterDays: 1.5 } }), ok({ transition: { minObjectSizeBytes: -1 } }), ok({ transition: { minObjectSizeBytes: 0.5 } })]).toEqual([true, false, false, false, false]);
    expect([ok({ transition: { storageClass: 'GLACIER' } }), ok({ transition: { extra: 1 } })]).toEqual([false, false]);
  });

  it('refuses Standard-IA before 30 days when the policy loads, naming afterDays, and takes 30', () => {
    const r = addLifecycleRules.options.safeParse({ transition: { storageClass: 'STANDARD_IA', afterDays: 29 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path, i.message])).toEqual([[['transition', 'afterDays'], "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA' (S3: objects stay 30 days in Standard before Standard-IA)"]]);
    expect(addLifecycleRules.options.parse({ transition: { storageClass: 'STANDARD_IA', afterDays: 30 } }).transition).toEqual({ storageClass: 'STANDARD_IA', afterDays: 30, minObjectSizeBytes: 131072 });
    expect(addLifecycleRules.options.parse({ transition: { afterDays: 0 } }).transition).toEqual({ storageClass: 'INTELLIGENT_TIERING', afterDays: 0, minObjectSizeBytes: 131072 });
  });
});

describe('add-lifecycle-rules plan', () => {
  it('plans the abort rule for a bucket with no configuration, with the exact summary, undo and savings', () => {
    expect(plan(findingFor('missing-lifecycle'))).toEqual({
      kind: 'change',
      summary: 'Add lifecycle rule trimtab-abort-incomplete-multipart-uploads to s3://b (0 rules by others kept as they are, in order).',
      params: { bucket: 'b', rules: [ABORT] },
      undo: 'trimtab undo deletes the lifecycle configuration (the bucket had none).',
      undoLimits: lifecyclePlanLimits([ABORT]),
      savings: { monthlyUsd: 0, basis: [ABORT_BASIS] },
    });
  });

  it('says how many rules others have, singular and plural, and that undo restores the previous configuration', () => {
    const one = plan(findingFor('missing-lifecycle', { lifecycle: { Rules: [THEIRS] } }));
    const two = plan(findingFor('missing-lifecycle', { lifecycle: { Rules: [THEIRS, { ...THEIRS, ID: 'theirs-2' }] } }));
    expect(one.kind === 'change' && [one.summary, one.undo]).toEqual(['Add lifecycle rule trimtab-abort-incomplete-multipart-uploads to s3://b (1 rule by others kept as they are, in order).', 'trimtab undo restores the previous 1-rule lifecycle configuration exactly.']);
    expect(two.kind === 'change' && [two.summary, two.undo]).toEqual(['Add lifecycle rule trimtab-abort-incomplete-multipart-uploads to s3://b (2 rules by others kept as they are, in order).', 'trimtab undo restores the previous 2-rule lifecycle configuration exactly.']);
  });

  it('counts a configuration with trimtab’s own rule in the undo but not among others’ rules', () => {
    const p = plan(findingFor('missing-noncurrent-version-rule', { versioning: 'Enabled', lifecycle: { Rules: [ABORT] } }));
    expect(p.kind === 'change' && [p.summary, p.undo]).toEqual(['Add lifecycle rule trimtab-expire-noncurrent-versions to s3://b (0 rules by others kept as they are, in order).', 'trimtab undo restores the previous 1-rule lifecycle configuration exactly.']);
  });

  it('takes the policy’s rules over the detector’s, and the abort rule for a detector it does not know', () => {
    const named = plan(findingFor('missing-lifecycle', { versioning: 'Enabled', sizes: BIG }), { rules: ['expire-noncurrent-versions', 'abort-incomplete-uploads'] });
    const unknown = plan(findingFor('some-other-detector'));
    expect(named.kind === 'change' && named.summary).toBe('Add lifecycle rules trimtab-expire-noncurrent-versions, trimtab-abort-incomplete-multipart-uploads to s3://b (0 rules by others kept as they are, in order).');
    expect(named.kind === 'change' && named.params.rules).toEqual([NONCURRENT, ABORT]);
    expect(named.kind === 'change' && named.savings).toEqual({ monthlyUsd: 0, basis: [...noncurrentBasis(BIG, DEFAULT_PRICES), ABORT_BASIS] });
    expect(unknown.kind === 'change' && unknown.params.rules).toEqual([ABORT]);
  });

  it('skips the noncurrent rule on a bucket never versioned, and says so in the summary or as the no-op reason', () => {
    const both = plan(findingFor('missing-lifecycle', { versioning: 'Never' }), { rules: ['abort-incomplete-uploads', 'expire-noncurrent-versions'] });
    const only = plan(findingFor('missing-noncurrent-version-rule', { versioning: 'Never' }));
    expect(both.kind === 'change' && both.summary).toBe('Add lifecycle rule trimtab-abort-incomplete-multipart-uploads to s3://b (0 rules by others kept as they are, in order); not added: the bucket was never versioned: it has no noncurrent versions to expire.');
    expect(only).toEqual({ kind: 'noop', reason: 'the bucket was never versioned: it has no noncurrent versions to expire' });
  });

  it('adds the noncurrent rule to a suspended bucket and to one whose versioning was not read', () => {
    for (const versioning of ['Suspended', undefined] as const) {
      const p = plan(findingFor('missing-noncurrent-version-rule', { versioning }));
      expect(p.kind === 'change' && p.params.rules).toEqual([NONCURRENT]);
    }
  });

  it('plans nothing when another rule already does the job, naming it', () => {
    const same: LifecycleRule = { ID: 'theirs-abort', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } };
    expect(plan(findingFor('missing-abort-multipart-rule', { lifecycle: { Rules: [same] } }))).toEqual({ kind: 'noop', reason: "rule 'theirs-abort' already does what trimtab-abort-incomplete-multipart-uploads would" });
  });

  it('plans nothing, saying the bucket has every rule, when the policy asks for none', () => {
    expect(plan(findingFor('missing-lifecycle'), { rules: [] })).toEqual({ kind: 'noop', reason: 'the bucket already has every rule the policy asks for' });
  });

  it('reports a conflict, writing no rule, when another rule does the job differently, even after a rule it would add', () => {
    const other: LifecycleRule = { ID: 'theirs-abort', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } };
    const p = plan(findingFor('missing-lifecycle', { versioning: 'Enabled', lifecycle: { Rules: [other] } }), { rules: ['expire-noncurrent-versions', 'abort-incomplete-uploads'] });
    expect(p).toEqual({ kind: 'conflict', reason: "rule 'theirs-abort' already aborts incomplete uploads after 2 days for the whole bucket (the policy asks: aborts incomplete uploads after 7 days); trimtab leaves it as it is" });
  });

  it('refuses to plan a rule that breaks S3’s constraints, naming them', () => {
    const bad = { ...OPTIONS, abortIncompleteMultipartUploadDays: 0 };
    const rule = ruleFor('abort-incomplete-uploads', bad);
    expect(plan(findingFor('missing-lifecycle'), bad)).toEqual({ kind: 'conflict', reason: `not planned: it would break S3 constraints: ${lifecycleProblems([rule], [rule]).join('; ')}` });
    expect(lifecycleProblems([rule], [rule])).toEqual(["rule 'trimtab-abort-incomplete-multipart-uploads': 'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer (got 0)"]);
  });
});

describe('desiredRules: the transition rule', () => {
  it('adds a transition worth it with its estimate as the savings', () => {
    const expected = economics();
    expect(expected.worthIt).toBe(true);
    const r = desiredRules(snap({ sizes: BIG }), [], ['transition-current-versions'], OPTIONS, DEFAULT_PRICES);
    expect(r).toEqual({ rules: [ruleFor('transition-current-versions', OPTIONS)], skipped: [], savings: { monthlyUsd: expected.estimate.monthlyUsd, basis: expected.estimate.basis } });
    expect(r.savings.monthlyUsd).toBeGreaterThan(0);
  });

  it('prices the transition with the policy’s class, days and size floor', () => {
    const ia = { ...OPTIONS, transition: { storageClass: 'STANDARD_IA' as const, afterDays: 45, minObjectSizeBytes: 1_000_000 } };
    const expected = economics({ storageClass: 'STANDARD_IA', afterDays: 45, minObjectSizeBytes: 1_000_000 });
    const r = desiredRules(snap({ sizes: BIG }), [], ['transition-current-versions'], ia, DEFAULT_PRICES);
    expect(expected.worthIt).toBe(true);
    expect(r.savings).toEqual({ monthlyUsd: expected.estimate.monthlyUsd, basis: expected.estimate.basis });
    expect(r.savings.basis).not.toEqual(economics().estimate.basis);
  });

  it('skips a transition when the whole bucket’s objects expire before it, saying why', () => {
    const expiring: LifecycleRule = { ID: 'theirs-expire', Status: 'Enabled', Filter: {}, Expiration: { Days: 20 } };
    const r = desiredRules(snap({ sizes: BIG }), [expiring], ['transition-current-versions'], OPTIONS, DEFAULT_PRICES);
    expect(r).toEqual({ rules: [], skipped: ['no transition: objects already expire after 20 days, before a transition after 30 days would happen'], savings: { monthlyUsd: 0, basis: [] } });
  });

  it('uses the snapshot’s assumptions, and the defaults when it carries none', () => {
    const cold0 = { coldFraction: 0, maxPaybackMonths: 6 };
    const expected = economics({ assumptions: cold0 });
    const withAssumptions = desiredRules(snap({ sizes: BIG, assumptions: cold0 }), [], ['transition-current-versions'], OPTIONS, DEFAULT_PRICES);
    const without = desiredRules({ lifecycle: null, sizes: BIG } as BucketSnapshot, [], ['transition-current-versions'], OPTIONS, DEFAULT_PRICES);
    expect(expected.worthIt).toBe(false);
    expect(withAssumptions.skipped).toEqual([`no transition: ${whyNot(expected)}`]);
    expect(withAssumptions.rules).toEqual([]);
    expect(without.savings.monthlyUsd).toBe(economics().estimate.monthlyUsd);
  });

  it('adds up the savings of every rule added and keeps their bases in the order of the rules', () => {
    const r = desiredRules(snap({ sizes: BIG, versioning: 'Enabled' }), [], ['expire-noncurrent-versions', 'transition-current-versions', 'abort-incomplete-uploads'], OPTIONS, DEFAULT_PRICES);
    expect(r.rules.map((x) => x.ID)).toEqual(['trimtab-expire-noncurrent-versions', 'trimtab-transition-current-versions', 'trimtab-abort-incomplete-multipart-uploads']);
    expect(r.savings).toEqual({ monthlyUsd: economics().estimate.monthlyUsd, basis: [...noncurrentBasis(BIG, DEFAULT_PRICES), ...economics().estimate.basis, ABORT_BASIS] });
  });

  it('skips a transition for a bucket of unknown size', () => {
    const r = desiredRules(snap({ sizes: { known: false, bytes: {} } }), [], ['transition-current-versions'], OPTIONS, DEFAULT_PRICES);
    expect(r.rules).toEqual([]);
    expect(r.skipped).toEqual([`no transition: ${whyNot(economics({ sizes: { known: false, bytes: {} } }))}`]);
  });
});

describe('add-lifecycle-rules: texts that join several reasons', () => {
  it('answers a conflict from desiredRules with no rules, no savings and the reasons skipped so far', () => {
    const other: LifecycleRule = { ID: 'theirs-abort', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } };
    const r = desiredRules(snap({ versioning: 'Never' }), [other], ['expire-noncurrent-versions', 'abort-incomplete-uploads'], OPTIONS, DEFAULT_PRICES);
    expect(r).toEqual({ rules: [], conflict: "rule 'theirs-abort' already aborts incomplete uploads after 2 days for the whole bucket (the policy asks: aborts incomplete uploads after 7 days); trimtab leaves it as it is", skipped: ['the bucket was never versioned: it has no noncurrent versions to expire'], savings: { monthlyUsd: 0, basis: [] } });
  });

  it('joins every broken constraint of a plan with "; "', () => {
    const bad = { ...OPTIONS, abortIncompleteMultipartUploadDays: 0, noncurrentVersionExpirationDays: 0 };
    const p = plan(findingFor('missing-lifecycle', { versioning: 'Enabled' }), { ...bad, rules: ['abort-incomplete-uploads', 'expire-noncurrent-versions'] });
    expect(p).toEqual({ kind: 'conflict', reason: "not planned: it would break S3 constraints: rule 'trimtab-abort-incomplete-multipart-uploads': 'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer (got 0); rule 'trimtab-expire-noncurrent-versions': 'NoncurrentDays' in NoncurrentVersionExpiration action must be a positive integer (got 0)" });
  });

  it('joins every reason a rule was not added with "; ", as the no-op reason and in the summary', () => {
    const same: LifecycleRule = { ID: 'theirs-abort', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } };
    const noop = plan(findingFor('missing-lifecycle', { versioning: 'Never', lifecycle: { Rules: [same] } }), { rules: ['expire-noncurrent-versions', 'abort-incomplete-uploads'] });
    const change = plan(findingFor('missing-lifecycle', { versioning: 'Never', sizes: BIG, lifecycle: { Rules: [same] } }), { rules: ['expire-noncurrent-versions', 'abort-incomplete-uploads', 'transition-current-versions'] });
    expect(noop).toEqual({ kind: 'noop', reason: "the bucket was never versioned: it has no noncurrent versions to expire; rule 'theirs-abort' already does what trimtab-abort-incomplete-multipart-uploads would" });
    expect(change.kind === 'change' && change.summary).toBe("Add lifecycle rule trimtab-transition-current-versions to s3://b (1 rule by others kept as they are, in order); not added: the bucket was never versioned: it has no noncurrent versions to expire; rule 'theirs-abort' already does what trimtab-abort-incomplete-multipart-uploads would.");
  });

  it('joins what the plan cannot bring back with "; "', () => {
    expect(lifecyclePlanLimits([ABORT, NONCURRENT])).toBe('What the rules already did (S3 acts on a rule as soon as it is in place): noncurrent versions S3 already expired are deleted for good; multipart uploads S3 already aborted are gone (their parts deleted).');
  });
});

