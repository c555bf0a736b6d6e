/**
 * One failed read must not hide everything else (issue 25). Each enrichment read of the
 * right-sizing and waste modules is failed in turn in the sandbox (lib/sandbox/faults.ts: one
 * operation, one condition, AWS's error through the SDK's own retries). The findings that do not
 * need the failed read are exactly those of a run without the fault; the ones that do are listed
 * as not evaluated with the operation, AWS's error code and, when denied, the missing IAM
 * action; the listing is not reported as failed; and nothing is written.
 */
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws/clients.ts';
import type { RunResult, UnevaluatedListener } from '../../lib/engine/run.ts';
import { detectors } from '../../lib/resources/registry.ts';
import { faultRules, type FaultRule } from '../../lib/sandbox/faults.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { logsState } from '../../lib/sandbox/services/cloudwatchlogs.ts';
import { testEnv } from '../helpers.ts';

/** The SDK's retry strategy with 3 attempts and no waiting: retries are real, tests stay fast. */
const ATTEMPTS = 3;

type Pairs = Parameters<UnevaluatedListener>[0];

/** Every detector of the type, one dry-run policy each (`<type>-<detector>`). */
function policiesFor(type: string): string {
  const lines = ['policies:'];
  for (const d of detectors(type).all()) lines.push(`  - id: ${type}-${d.id}\n    resource: ${type}\n    detector: { type: ${d.id} }\n    mode: dry-run`);
  return lines.join('\n');
}

async function runWith(type: string, rules: FaultRule[], prepare?: (sandbox: ReturnType<typeof testEnv>['sandbox']) => void): Promise<{ result: RunResult; pairs: Pairs; writes: number; calls: (key: string) => number; hits: number[] }> {
  const env = testEnv('small-company');
  const { failWhen, hits } = faultRules(rules);
  env.sandbox.faults = { failWhen };
  prepare?.(env.sandbox);
  env.deps.clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: env.sandbox, writePacing: false, clientConfig: { retryStrategy: new ConfiguredRetryStrategy(ATTEMPTS, 1) } });
  const pairs: Pairs = [];
  env.deps.onUnevaluated = (p) => void pairs.push(...p);
  const result = await env.run(policiesFor(type));
  return { result, pairs, writes: env.sandbox.writes.length, calls: (key) => env.sandbox.calls.get(key) ?? 0, hits };
}

const idsOf = (result: RunResult, detector: string) => result.findings.filter((f) => f.detector === detector).map((f) => f.resource.id).sort();

const baselines = new Map<string, Promise<RunResult>>();
const baseline = (type: string) => {
  if (!baselines.has(type)) baselines.set(type, runWith(type, []).then((r) => r.result));
  return baselines.get(type)!;
};

interface Case {
  name: string;
  type: string;
  rule: FaultRule;
  /** Detectors that do not need the failed read: found exactly as without the fault. */
  unaffected: string[];
  /** Detectors that need it: not evaluated (on at least one resource they flag without the fault). */
  affected: string[];
  reason: { operation: string; code: string; kind: string; missingPermission?: string };
  /** When the read is per resource: the only resources left unevaluated. */
  onlyOn?: string[];
  /** Detectors that need the read too, but flag nothing on those resources without the fault. */
  alsoNotEvaluated?: string[];
}

const CASES: Case[] = [
  {
    name: 'ec2-instance: GetMetricData with a percentile statistic answers 500',
    type: 'ec2-instance',
    rule: { operation: 'cloudwatch:GetMetricData', when: 'percentile', error: 'server-error' },
    unaffected: ['idle-instance', 'previous-generation-type', 'previous-generation-volumes'],
    affected: ['oversized-instance', 'undersized-instance'],
    reason: { operation: 'cloudwatch:GetMetricData', code: 'InternalServiceFault', kind: 'server-error' },
  },
  {
    name: 'ec2-instance: ec2:DescribeVolumes is denied',
    type: 'ec2-instance',
    rule: { operation: 'ec2:DescribeVolumes', error: 'denied' },
    unaffected: ['idle-instance', 'previous-generation-type', 'oversized-instance', 'undersized-instance'],
    affected: ['previous-generation-volumes'],
    reason: { operation: 'ec2:DescribeVolumes', code: 'UnauthorizedOperation', kind: 'denied', missingPermission: 'ec2:DescribeVolumes' },
  },
  {
    name: 'ec2-instance: ec2:DescribeInstanceTypes times out',
    type: 'ec2-instance',
    rule: { operation: 'ec2:DescribeInstanceTypes', error: 'timeout' },
    unaffected: ['previous-generation-type', 'previous-generation-volumes'],
    affected: ['idle-instance', 'oversized-instance', 'undersized-instance'],
    reason: { operation: 'ec2:DescribeInstanceTypes', code: 'TimeoutError', kind: 'timeout' },
  },
  {
    name: 'rds-instance: GetMetricData with a percentile statistic answers 500',
    type: 'rds-instance',
    rule: { operation: 'cloudwatch:GetMetricData', when: 'percentile', error: 'server-error' },
    unaffected: ['gp2-storage', 'previous-generation-class'],
    affected: ['idle-db-instance', 'oversized-db-instance', 'saturated-db-instance', 'auto-started-db-instance', 'aurora-serverless-min-capacity'],
    reason: { operation: 'cloudwatch:GetMetricData', code: 'InternalServiceFault', kind: 'server-error' },
  },
  {
    name: 'lambda-function: logs:StartQuery is denied (AccessDeniedException)',
    type: 'lambda-function',
    rule: { operation: 'logs:StartQuery', error: 'denied' },
    unaffected: ['x86-to-arm64'],
    affected: ['memory-oversized', 'memory-undersized'],
    reason: { operation: 'logs:StartQuery', code: 'AccessDeniedException', kind: 'denied', missingPermission: 'logs:StartQuery' },
  },
  {
    name: 'lambda-function: GetMetricData is throttled past the retries',
    type: 'lambda-function',
    rule: { operation: 'cloudwatch:GetMetricData', error: 'throttled' },
    unaffected: [],
    affected: ['memory-oversized', 'memory-undersized', 'x86-to-arm64'],
    reason: { operation: 'cloudwatch:GetMetricData', code: 'Throttling', kind: 'throttled' },
  },
  {
    name: 's3-bucket: s3:GetBucketVersioning is denied',
    type: 's3-bucket',
    rule: { operation: 's3:GetBucketVersioning', error: 'denied' },
    unaffected: ['missing-abort-multipart-rule', 'large-standard-without-transition'],
    affected: ['missing-lifecycle', 'missing-noncurrent-version-rule'],
    reason: { operation: 's3:GetBucketVersioning', code: 'AccessDenied', kind: 'denied', missingPermission: 's3:GetBucketVersioning' },
  },
  {
    name: 'lambda-function: logs:GetQueryResults is throttled past the retries',
    type: 'lambda-function',
    rule: { operation: 'logs:GetQueryResults', error: 'throttled' },
    unaffected: ['x86-to-arm64'],
    affected: ['memory-oversized', 'memory-undersized'],
    reason: { operation: 'logs:GetQueryResults', code: 'ThrottlingException', kind: 'throttled' },
  },
  {
    name: 's3-bucket: s3:GetBucketLifecycleConfiguration is denied on one bucket',
    type: 's3-bucket',
    rule: { operation: 's3:GetBucketLifecycleConfiguration', when: (input) => input.Bucket === 'acme-web-assets', error: 'denied' },
    unaffected: [],
    affected: ['missing-lifecycle', 'missing-abort-multipart-rule', 'large-standard-without-transition'],
    reason: { operation: 's3:GetBucketLifecycleConfiguration', code: 'AccessDenied', kind: 'denied', missingPermission: 's3:GetLifecycleConfiguration' },
    onlyOn: ['acme-web-assets'],
    alsoNotEvaluated: ['missing-noncurrent-version-rule'],
  },
  {
    name: 'asg: GetMetricData is throttled past the retries',
    type: 'asg',
    rule: { operation: 'cloudwatch:GetMetricData', error: 'throttled' },
    unaffected: ['step-scaling-policies', 'flapping'],
    affected: ['over-provisioned-target-tracking', 'min-size-unneeded', 'under-provisioned-at-max', 'oversized-group-instances'],
    reason: { operation: 'cloudwatch:GetMetricData', code: 'Throttling', kind: 'throttled' },
  },
  {
    name: 'asg: autoscaling:DescribeScalingActivities is denied',
    type: 'asg',
    rule: { operation: 'autoscaling:DescribeScalingActivities', error: 'denied' },
    unaffected: ['step-scaling-policies', 'over-provisioned-target-tracking', 'min-size-unneeded', 'under-provisioned-at-max', 'oversized-group-instances'],
    affected: ['flapping'],
    reason: { operation: 'autoscaling:DescribeScalingActivities', code: 'AccessDenied', kind: 'denied', missingPermission: 'autoscaling:DescribeScalingActivities' },
  },
  {
    name: 'ebs-volume: GetMetricData answers 500',
    type: 'ebs-volume',
    rule: { operation: 'cloudwatch:GetMetricData', error: 'server-error' },
    unaffected: ['gp2-to-gp3'],
    affected: ['unattached', 'volume-at-ceiling', 'iops-over-provisioned'],
    reason: { operation: 'cloudwatch:GetMetricData', code: 'InternalServiceFault', kind: 'server-error' },
  },
  {
    name: 'dynamodb-table: application-autoscaling:DescribeScalableTargets is denied',
    type: 'dynamodb-table',
    rule: { operation: 'application-autoscaling:DescribeScalableTargets', error: 'denied' },
    unaffected: ['unused-table', 'table-class'],
    affected: ['over-provisioned', 'autoscaling-target-low', 'throttled'],
    reason: { operation: 'application-autoscaling:DescribeScalableTargets', code: 'AccessDeniedException', kind: 'denied', missingPermission: 'application-autoscaling:DescribeScalableTargets' },
  },
  {
    name: 'dynamodb-table: GetMetricData is throttled past the retries',
    type: 'dynamodb-table',
    rule: { operation: 'cloudwatch:GetMetricData', error: 'throttled' },
    unaffected: [],
    affected: ['unused-table', 'table-class', 'over-provisioned', 'autoscaling-target-low', 'throttled'],
    reason: { operation: 'cloudwatch:GetMetricData', code: 'Throttling', kind: 'throttled' },
  },
];

describe('A failed enrichment read costs only the findings that need it', () => {
  for (const c of CASES) {
    it(`${c.name}: the other detectors' findings are still reported, the rest are listed as not evaluated with the reason, and nothing is written`, async () => {
      // Prepare
      const before = await baseline(c.type);
      expect(before.errors).toEqual([]);
      expect(before.unevaluated).toEqual([]);

      // Act
      const { result, pairs, writes, hits } = await runWith(c.type, [c.rule]);

      // Assess: the fault happened, the listing is not reported as failed, nothing was written.
      expect(hits[0]).toBeGreaterThan(0);
      expect(result.errors).toEqual([]);
      expect(writes).toBe(0);
      // The detectors that need nothing from the failed read: exactly the findings of a run without the fault.
      for (const detector of c.unaffected) {
        expect(idsOf(before, detector).length, `${detector} finds something without the fault`).toBeGreaterThan(0);
        expect(idsOf(result, detector), detector).toEqual(idsOf(before, detector));
      }
      expect(pairs.filter((p) => c.unaffected.includes(p.detector))).toEqual([]);
      // The detectors that need it: each resource they flag without the fault is either listed as not evaluated or still found (it did not need that read).
      const lacking = new Set(pairs.map((p) => `${p.detector}|${p.resource.id}`));
      for (const detector of c.affected) {
        const flagged = idsOf(before, detector);
        expect(flagged.length, `${detector} finds something without the fault`).toBeGreaterThan(0);
        const notEvaluated = flagged.filter((id) => lacking.has(`${detector}|${id}`));
        expect(notEvaluated.length, `${detector}: not evaluated on some resource it flags`).toBeGreaterThan(0);
        expect(idsOf(result, detector)).toEqual(flagged.filter((id) => !lacking.has(`${detector}|${id}`)));
      }
      // Why, for every pair and every group: the operation, AWS's code, the IAM action when denied.
      for (const p of pairs) expect({ operation: p.reason.operation, code: p.reason.code, kind: p.reason.kind, missingPermission: p.reason.missingPermission }).toEqual({ missingPermission: undefined, ...c.reason });
      const groups = result.unevaluated ?? [];
      expect(new Set(groups.map((g) => g.detector))).toEqual(new Set([...c.affected, ...(c.alsoNotEvaluated ?? [])]));
      for (const g of groups) {
        const mine = pairs.filter((p) => p.policy === g.policy && p.detector === g.detector && p.resource.region === g.region);
        expect(g.count).toBe(mine.length);
        expect(g.sample).toEqual(mine.slice(0, 5).map((p) => p.resource.id));
        expect(g.resourceType).toBe(c.type);
      }
      expect(result.summary.notEvaluated).toBe(pairs.length);
      if (c.onlyOn) expect([...new Set(pairs.map((p) => p.resource.id))]).toEqual(c.onlyOn);
    });
  }

  it('lambda-function: a Logs Insights query that ends Timeout leaves the memory detectors not evaluated on its functions, and x86-to-arm64 still runs', async () => {
    // Prepare
    const before = await baseline('lambda-function');
    const timeOut = (sandbox: ReturnType<typeof testEnv>['sandbox']) => {
      for (const series of Object.values(logsState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').lambdaReports ?? {})) series.queryOutcome = 'Timeout';
    };

    // Act
    const { result, pairs, writes } = await runWith('lambda-function', [], timeOut);

    // Assess
    expect(writes).toBe(0);
    expect(result.errors).toEqual([]);
    expect(idsOf(result, 'x86-to-arm64')).toEqual(idsOf(before, 'x86-to-arm64'));
    expect(pairs.map((p) => p.resource.id)).toContain('report-builder');
    expect(idsOf(result, 'memory-undersized')).toEqual([]);
    expect(new Set(pairs.map((p) => p.detector))).toEqual(new Set(['memory-oversized', 'memory-undersized']));
    for (const p of pairs) expect(p.reason).toMatchObject({ operation: 'logs:GetQueryResults', code: 'QueryTimeout', kind: 'timeout' });
  });

  it('a throttled read is retried by the SDK before it is given up: one attempt per retry, then not evaluated', async () => {
    // Prepare: throttle the first call only; the SDK's retry succeeds.
    const once = await runWith('lambda-function', [{ operation: 'cloudwatch:GetMetricData', error: 'throttled', times: 1 }]);
    const before = await baseline('lambda-function');

    // Act: throttle every call.
    const always = await runWith('lambda-function', [{ operation: 'cloudwatch:GetMetricData', error: 'throttled' }]);

    // Assess: a throttle that clears is invisible; one that does not costs only the page's metric detectors.
    expect(once.hits[0]).toBe(1);
    expect(once.result.unevaluated).toEqual([]);
    expect(idsOf(once.result, 'x86-to-arm64')).toEqual(idsOf(before, 'x86-to-arm64'));
    expect(always.calls('cloudwatch:GetMetricData') % ATTEMPTS).toBe(0);
    expect(always.hits[0]).toBe(always.calls('cloudwatch:GetMetricData'));
    expect(always.result.unevaluated?.length).toBeGreaterThan(0);
  });
});
