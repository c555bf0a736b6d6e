import { readFileSync } from 'node:fs';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  coverage,
  lifecycleProblems,
  mergeRules,
  RULE_IDS,
  ruleFor,
  wholeBucketRuleFor,
  type RuleOptions,
} from '../../../../lib/resources/s3-bucket/lifecycle.ts';

const fixture = (name: string): LifecycleRule[] => JSON.parse(readFileSync(new URL(`../../../fixtures/s3/${name}`, import.meta.url), 'utf8')).data.Rules;

const OPTIONS: RuleOptions = {
  abortIncompleteMultipartUploadDays: 7,
  noncurrentVersionExpirationDays: 90,
  transition: { storageClass: 'INTELLIGENT_TIERING', afterDays: 30, minObjectSizeBytes: 131072 },
};

describe('ruleFor', () => {
  it('builds a transition rule with a trimtab ID and the 128 KB object-size filter', () => {
    // Act
    const rule = ruleFor('transition-current-versions', OPTIONS);

    // Assess
    expect(rule).toEqual({
      ID: 'trimtab-transition-current-versions',
      Status: 'Enabled',
      Filter: { ObjectSizeGreaterThan: 131072 },
      Transitions: [{ Days: 30, StorageClass: 'INTELLIGENT_TIERING' }],
    });
  });

  it('builds a noncurrent-expiration rule that keeps newer versions when asked', () => {
    const rule = ruleFor('expire-noncurrent-versions', { ...OPTIONS, keepNewerNoncurrentVersions: 3 });

    expect(rule.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 90, NewerNoncurrentVersions: 3 });
    expect(rule.ID).toBe('trimtab-expire-noncurrent-versions');
  });
});

describe('mergeRules', () => {
  it('keeps every rule others wrote, unchanged and in order, and appends trimtab rules', () => {
    // Prepare
    const existing = fixture('GetBucketLifecycleConfiguration-two-rules-glacier-transition.json');
    const ours = ruleFor('abort-incomplete-uploads', OPTIONS);

    // Act
    const merged = mergeRules(existing, [ours]);

    // Assess
    expect(merged.slice(0, 2)).toEqual(existing);
    expect(merged.map((r) => r.ID)).toEqual(['test-lifecycle', 'test-lifecycle-two', RULE_IDS['abort-incomplete-uploads']]);
  });

  it('updates a trimtab rule in place by ID instead of adding a second one', () => {
    const old = ruleFor('abort-incomplete-uploads', { ...OPTIONS, abortIncompleteMultipartUploadDays: 3 });
    const others: LifecycleRule = { ID: 'keep', Status: 'Enabled', Filter: { Prefix: 'x/' }, Expiration: { Days: 9 } };
    const updated = ruleFor('abort-incomplete-uploads', OPTIONS);

    const merged = mergeRules([old, others], [updated]);

    expect(merged).toEqual([updated, others]);
  });
});

describe('coverage', () => {
  it('treats a recorded whole-bucket rule (Filter.Prefix "") as covering aborts and noncurrent versions', () => {
    // Prepare: a real recorded configuration, noncurrent 14 days and abort 4 days.
    const rules = fixture('GetBucketLifecycleConfiguration-noncurrent-expiration-abort-mpu.json');

    // Act
    const abort = wholeBucketRuleFor(rules, 'abort-incomplete-uploads');
    const noncurrent = wholeBucketRuleFor(rules, 'expire-noncurrent-versions');

    // Assess
    expect(abort?.ID).toBe('EnterpriseLifecycle');
    expect(noncurrent?.ID).toBe('EnterpriseLifecycle');
  });

  it('reports a conflict, naming the rule, when another whole-bucket rule does the same job differently', () => {
    const rules = fixture('GetBucketLifecycleConfiguration-noncurrent-expiration-abort-mpu.json');

    const result = coverage(rules, ruleFor('expire-noncurrent-versions', OPTIONS), 'expire-noncurrent-versions');

    expect(result.state).toBe('conflict');
    expect(result.state === 'conflict' && result.reason).toContain("rule 'EnterpriseLifecycle' already expires noncurrent versions after 14 days");
  });

  it('reports a conflict when a prefix rule keeps noncurrent versions longer than trimtab would', () => {
    const rules: LifecycleRule[] = [{ ID: 'keep-db', Status: 'Enabled', Filter: { Prefix: 'db/' }, NoncurrentVersionExpiration: { NoncurrentDays: 365 } }];

    const result = coverage(rules, ruleFor('expire-noncurrent-versions', OPTIONS), 'expire-noncurrent-versions');

    expect(result).toEqual({ state: 'conflict', reason: expect.stringContaining("prefix 'db/'") });
  });

  it('accepts a whole-bucket transition when a prefix rule moves objects further down the waterfall later', () => {
    const rules = fixture('GetBucketLifecycleConfiguration-two-rules-glacier-transition.json');

    const result = coverage(rules, ruleFor('transition-current-versions', OPTIONS), 'transition-current-versions');

    expect(result).toEqual({ state: 'missing' });
  });

  it('reports a conflict when a prefix rule moves objects to Standard-IA later than trimtab would move them to Intelligent-Tiering', () => {
    const rules: LifecycleRule[] = [{ ID: 'ia-later', Status: 'Enabled', Filter: { Prefix: 'r/' }, Transitions: [{ Days: 60, StorageClass: 'STANDARD_IA' }] }];

    const result = coverage(rules, ruleFor('transition-current-versions', OPTIONS), 'transition-current-versions');

    expect(result.state).toBe('conflict');
  });

  it('ignores disabled rules others wrote', () => {
    const rules: LifecycleRule[] = [{ ID: 'off', Status: 'Disabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }];

    expect(coverage(rules, ruleFor('abort-incomplete-uploads', OPTIONS), 'abort-incomplete-uploads')).toEqual({ state: 'missing' });
  });

  it('asks for an update when trimtab’s own rule differs, and for nothing when it is identical', () => {
    const current = [ruleFor('abort-incomplete-uploads', { ...OPTIONS, abortIncompleteMultipartUploadDays: 3 })];

    expect(coverage(current, ruleFor('abort-incomplete-uploads', OPTIONS), 'abort-incomplete-uploads')).toEqual({ state: 'update' });
    expect(coverage(current, current[0], 'abort-incomplete-uploads')).toEqual({ state: 'same', by: RULE_IDS['abort-incomplete-uploads'] });
  });
});

describe('lifecycleProblems', () => {
  it("names S3's Standard-IA 30-day constraint in S3's own words", () => {
    const rule = ruleFor('transition-current-versions', { ...OPTIONS, transition: { storageClass: 'STANDARD_IA', afterDays: 10, minObjectSizeBytes: 131072 } });

    expect(lifecycleProblems([rule])).toEqual([
      "rule 'trimtab-transition-current-versions': 'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA' (got 10)",
    ]);
  });

  it('accepts exactly 30 days for Standard-IA, as S3 does', () => {
    const rule = ruleFor('transition-current-versions', { ...OPTIONS, transition: { storageClass: 'STANDARD_IA', afterDays: 30, minObjectSizeBytes: 131072 } });

    expect(lifecycleProblems([rule])).toEqual([]);
  });

  it('refuses a merged configuration over 1,000 rules or with duplicate IDs', () => {
    const many = Array.from({ length: 1000 }, (_, i): LifecycleRule => ({ ID: `r${i}`, Status: 'Enabled', Filter: {}, Expiration: { Days: 1 + i } }));
    const ours = ruleFor('abort-incomplete-uploads', OPTIONS);

    expect(lifecycleProblems([ours], [...many, ours])).toEqual(['the configuration would have 1001 rules; S3 allows at most 1000']);
    expect(lifecycleProblems([ours], [ours, ours])[0]).toContain('RuleId must be unique');
  });
});
