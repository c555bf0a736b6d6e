/** Shared set-up for the security suites: a sandbox where every trigger may write, and counters. */
import { parsePolicies, type PolicySet } from '../../lib/policy/load.ts';
import { fourBucketsEnv, lambdaDepsFor, type TestEnv, SETTLED_TIMING } from '../helpers.ts';
import type { LambdaDeps } from '../../lib/lambda/deps.ts';

export const NOW = new Date('2026-11-01T00:00:00Z');
export const CLOCK = () => NOW;

/**
 * Every entry point has an auto-mode policy behind it, so a bad input that slipped through
 * WOULD write: the scheduled sweep, the CreateBucket event, the growth alarm (and its
 * reconciler). A zero write count then means the input was refused, not that nothing could act.
 */
export const SECURITY_POLICIES = `
version: 1
policies:
  - id: sweep-abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
  - id: new-bucket-abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
    triggers:
      - event:
          source: [aws.s3]
          detail-type: [AWS API Call via CloudTrail]
          detail:
            eventSource: [s3.amazonaws.com]
            eventName: [CreateBucket]
            errorCode: [{ exists: false }]
  - id: growth-abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
    triggers:
      - alarm:
          prefix: trimtab-s3-growth-
          create:
            metric: BucketSizeBytes
            dimensions: { StorageType: StandardStorage }
            statistic: Average
            comparison: GreaterThanThreshold
            threshold: 536870912000
            periodSeconds: 86400
            evaluationPeriods: 1
`;

export const securityPolicies = (): PolicySet => parsePolicies(SECURITY_POLICIES, 'security.yml');

export function securityEnv(): { env: TestEnv; deps: LambdaDeps } {
  const env = fourBucketsEnv({ clock: CLOCK, timing: SETTLED_TIMING });
  return { env, deps: lambdaDepsFor(env, securityPolicies()) };
}

/** Writes to the account's resources (not trimtab's own audit/idempotency tables or events). */
export const accountWrites = (env: TestEnv) => env.sandbox.successfulWrites().filter((w) => !['dynamodb', 'eventbridge'].includes(w.service));

export interface SuiteCounts {
  [key: string]: number;
}

export function summary(suite: string, counts: SuiteCounts) {
  console.log(`[security] ${suite}: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(', ')}`);
}
