import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../lib/engine/types.ts';
import { policiesFrom } from '../../../helpers.ts';
import { addLifecycleRules, type LifecycleOptions } from '../../../../lib/resources/s3-bucket/remediators.ts';
import type { BucketSnapshot } from '../../../../lib/resources/s3-bucket/detectors.ts';
import { DEFAULT_PRICES, GIB } from '../../../../lib/savings/prices.ts';
import { PolicyValidationError } from '../../../../lib/util/errors.ts';

const OPTIONS: LifecycleOptions = {
  abortIncompleteMultipartUploadDays: 7,
  noncurrentVersionExpirationDays: 90,
  transition: { storageClass: 'INTELLIGENT_TIERING', afterDays: 30, minObjectSizeBytes: 131072 },
};

const finding = (detector: string, before: Partial<BucketSnapshot>): Finding =>
  ({
    id: 'f',
    policy: 'p',
    detector,
    mode: 'dry-run',
    status: 'actionable',
    reason: 'r',
    evidence: {},
    savings: { monthlyUsd: 0, basis: [] },
    resource: { type: 's3-bucket', id: 'b', arn: 'arn:aws:s3:::b', account: '123456789012', region: 'us-east-1', tags: {} },
    before: { lifecycle: null, assumptions: { coldFraction: 0.5, maxPaybackMonths: 6 }, ...before },
  }) as Finding;

const plan = (f: Finding, options: Partial<LifecycleOptions> = {}) => addLifecycleRules.plan(f, { ...OPTIONS, ...options }, { now: new Date('2026-11-01T00:00:00Z'), prices: DEFAULT_PRICES });

describe('add-lifecycle-rules plan', () => {
  it('plans the rule the finding’s detector calls for, and keeps the count of others’ rules in the summary', () => {
    // Prepare
    const f = finding('missing-noncurrent-version-rule', {
      versioning: 'Enabled',
      lifecycle: { Rules: [{ ID: 'theirs', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }] },
    });

    // Act
    const result = plan(f);

    // Assess
    expect(result.kind).toBe('change');
    expect(result.kind === 'change' && result.params.rules).toEqual([
      { ID: 'trimtab-expire-noncurrent-versions', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 90 } },
    ]);
    expect(result.kind === 'change' && result.summary).toContain('1 rule by others kept as they are');
  });

  it('reports a conflict, saying why, when another rule aborts uploads for the whole bucket after other days', () => {
    const f = finding('missing-lifecycle', { lifecycle: { Rules: [{ ID: 'theirs', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }] } });

    const result = plan(f);

    expect(result).toEqual({ kind: 'conflict', reason: expect.stringContaining("rule 'theirs' already aborts incomplete uploads after 3 days for the whole bucket") });
  });

  it('adds no transition for a small bucket, and says the transition would cost more', () => {
    const f = finding('missing-lifecycle', { sizes: { known: true, bytes: { StandardStorage: 0.02 * GIB }, objects: 150 } });

    const result = plan(f, { rules: ['transition-current-versions'] });

    expect(result.kind).toBe('noop');
    expect(result.kind === 'noop' && result.reason).toContain('no transition: the transition would cost');
  });

  it('prices the transition it plans from the sizes in the finding', () => {
    const f = finding('large-standard-without-transition', { sizes: { known: true, bytes: { StandardStorage: 1000 * GIB }, objects: 100_000 } });

    const result = plan(f);

    expect(result.kind === 'change' && result.savings?.monthlyUsd).toBe(5);
  });

  it('skips the noncurrent rule on a bucket that was never versioned', () => {
    const f = finding('missing-lifecycle', { versioning: 'Never' });

    const result = plan(f, { rules: ['expire-noncurrent-versions'] });

    expect(result).toEqual({ kind: 'noop', reason: 'the bucket was never versioned: it has no noncurrent versions to expire' });
  });
});

describe('add-lifecycle-rules options', () => {
  it("refuses a Standard-IA transition under 30 days when the policy loads, quoting S3's constraint", () => {
    const yaml = `
version: 1
policies:
  - id: ia-too-soon
    resource: s3-bucket
    detector: { type: large-standard-without-transition }
    action:
      type: add-lifecycle-rules
      transition: { storageClass: STANDARD_IA, afterDays: 10 }
`;
    expect(() => policiesFrom(yaml)).toThrow(PolicyValidationError);
    expect(() => policiesFrom(yaml)).toThrow(/action\.transition\.afterDays: 'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'/);
  });

  it('fills every transition default when the policy names none', () => {
    const [policy] = policiesFrom(`
version: 1
policies:
  - id: defaults
    resource: s3-bucket
    detector: { type: large-standard-without-transition }
    action: { type: add-lifecycle-rules }
`);
    expect(policy.action).toMatchObject({ abortIncompleteMultipartUploadDays: 7, noncurrentVersionExpirationDays: 90, transition: { storageClass: 'INTELLIGENT_TIERING', afterDays: 30, minObjectSizeBytes: 131072 } });
  });
});
