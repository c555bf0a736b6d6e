/** The benchmark's pure parts: the fewest-calls model, the call comparison, and the statistics. */
import { describe, expect, it } from 'vitest';
import { transitionsPerExecution } from '../../../lib/bench/cost.ts';
import { benchSandbox, needsOf, sweepPolicies } from '../../../lib/bench/account.ts';
import { callsPerThousand, compareCalls, computeOptimizerListing, listingCalls, minimumCalls, PAGE_LIMITS } from '../../../lib/bench/minimum.ts';
import { checkTargets } from '../../../lib/bench/report.ts';
import { SCAN_CASES } from '../../../lib/bench/scan.ts';
import { atMost, median, percentile } from '../../../lib/bench/stats.ts';

describe('minimumCalls', () => {
  it('counts one call per started page, one for an empty listing, a call per 500 metric queries and one per item for unbatched reads', () => {
    // Prepare
    const model = {
      listings: [
        { operation: 'ec2:DescribeSnapshots' as const, items: 100_000 },
        { operation: 'ec2:DescribeSnapshots' as const, items: 0 },
        { operation: 'autoscaling:DescribeAutoScalingGroups' as const, items: 501 },
      ],
      metricQueries: 8_001,
      perItem: [{ operation: 's3:GetBucketTagging', items: 7 }],
    };
    // Act
    const minimum = minimumCalls(model);
    // Assess
    expect(minimum).toEqual({
      'autoscaling:DescribeAutoScalingGroups': 6,
      'cloudwatch:GetMetricData': 17,
      'ec2:DescribeSnapshots': 101,
      's3:GetBucketTagging': 7,
    });
    expect(listingCalls(1000, 1000)).toBe(1);
    expect(() => listingCalls(10, 0)).toThrow(/page limit 0/);
  });

  it('counts S3 tags as ⌈buckets / 100⌉ GetResources calls, and per bucket only the reads the shipped policies need', () => {
    // Prepare: the s3-5k case as the bench models it, with the sweep's S3 policies (trimtab.yml).
    const s3 = SCAN_CASES.find((c) => c.id === 's3-5k')!;
    const policies = sweepPolicies('s3-bucket');

    // Act
    const minimum = minimumCalls(s3.model(benchSandbox(), needsOf(policies)));

    // Assess: no GetBucketTagging and no ListMultipartUploads (minIncompleteUploads is 0 in trimtab.yml).
    expect(PAGE_LIMITS['resourcegroupstaggingapi:GetResources']).toBe(100);
    expect(minimum).toEqual({
      'cloudwatch:GetMetricData': 270,
      'resourcegroupstaggingapi:GetResources': 50,
      's3:GetBucketLifecycleConfiguration': 5000,
      's3:GetBucketVersioning': 5000,
      's3:ListBuckets': 1,
    });
  });

  it('needs more GetMetricData calls than ⌈queries / 500⌉ when the datapoints pass 100,800 a call', () => {
    // 500 groups × 2 metrics × 14 days hourly = 336,000 datapoints: 4 calls, not 2.
    expect(minimumCalls({ listings: [], metricQueries: 1000, metricDatapoints: 1000 * 14 * 24 })).toEqual({ 'cloudwatch:GetMetricData': 4 });
    expect(minimumCalls({ listings: [], metricQueries: 1000, metricDatapoints: 1000 * 3 })).toEqual({ 'cloudwatch:GetMetricData': 2 });
  });

  it('counts DynamoDB tags as ⌈tables / 100⌉ GetResources and its hourly metrics by datapoints; Lambda aliases are not counted from the seed', () => {
    // Prepare: the dynamodb-500 and lambda-1k cases as the bench models them, with the sweep's policies.
    const dynamo = SCAN_CASES.find((c) => c.id === 'dynamodb-500')!;
    const lambda = SCAN_CASES.find((c) => c.id === 'lambda-1k')!;
    const ddbSandbox = benchSandbox();
    dynamo.seed(ddbSandbox);

    // Act
    const ddb = minimumCalls(dynamo.model(ddbSandbox, needsOf(sweepPolicies('dynamodb-table'))));
    const fns = minimumCalls(lambda.model(benchSandbox(), needsOf(sweepPolicies('lambda-function'))));

    // Assess: no ListTagsOfResource (the Tagging API batches 100 tables); 500 × 6 queries × 720 hours (30 days) / 100,800 = 22 GetMetricData.
    expect(ddb).toEqual({
      'applicationautoscaling:DescribeScalableTargets': 1,
      'applicationautoscaling:DescribeScalingPolicies': 5,
      'cloudwatch:GetMetricData': 22,
      'dynamodb:DescribeTable': 500,
      'dynamodb:ListTables': 5,
      'resourcegroupstaggingapi:GetResources': 5,
    });
    // No ListAliases or ListProvisionedConcurrencyConfigs: a run that flags no function needs none.
    expect(fns).toEqual({
      'cloudwatch:GetMetricData': 18,
      'cloudwatchlogs:GetQueryResults': 10,
      'cloudwatchlogs:StartQuery': 10,
      'lambda:ListFunctions': 20,
      'resourcegroupstaggingapi:GetResources': 10,
    });
  });

  it("counts Compute Optimizer as AWS pages it, ⌈recommendations / 1,000⌉ per type and region (maxResults ≤ 1,000), not one call and not trimtab's ARN chunk", () => {
    expect(minimumCalls({ listings: [{ operation: 'computeoptimizer:GetEC2InstanceRecommendations', items: 2_500 }, { operation: 'computeoptimizer:GetAutoScalingGroupRecommendations', items: 0 }] })).toEqual({
      'computeoptimizer:GetAutoScalingGroupRecommendations': 1,
      'computeoptimizer:GetEC2InstanceRecommendations': 3,
    });
    expect(minimumCalls({ listings: computeOptimizerListing('computeoptimizer:GetEC2InstanceRecommendations', 250) })).toEqual({
      'computeoptimizer:GetEC2InstanceRecommendations': 1,
      'computeoptimizer:GetEnrollmentStatus': 1,
    });
    expect(computeOptimizerListing('computeoptimizer:GetLambdaFunctionRecommendations', 0)).toEqual([]);
  });

  it('shows the ratio also without the per-item reads, so thousands of them do not hide waste in the listing', () => {
    // Prepare: 500 DescribeTable calls (per item) and 40 listing calls against a minimum of 20.
    const actual = { 'dynamodb:DescribeTable': 500, 'dynamodb:ListTables': 10, 'cloudwatch:GetMetricData': 30 };
    const minimum = { 'dynamodb:DescribeTable': 500, 'dynamodb:ListTables': 5, 'cloudwatch:GetMetricData': 15 };
    // Act
    const comparison = compareCalls(actual, minimum, ['dynamodb:DescribeTable']);
    // Assess
    expect(comparison.ratio).toBe(1.038);
    expect(comparison.withoutPerItem).toEqual({ actual: 40, minimum: 20, ratio: 2 });
    expect(compareCalls(actual, minimum).withoutPerItem).toBeUndefined();
  });

  it('compares counted calls with the minimum overall and per operation, including operations the model did not expect', () => {
    const comparison = compareCalls({ 'ec2:DescribeSnapshots': 11, 'rbin:ListRules': 2, 'ec2:DescribeSnapshotAttribute': 1 }, { 'ec2:DescribeSnapshots': 11, 'rbin:ListRules': 1 });
    expect(comparison.actual).toBe(14);
    expect(comparison.minimum).toBe(12);
    expect(comparison.ratio).toBe(1.167);
    expect(comparison.byOperation['ec2:DescribeSnapshotAttribute']).toEqual({ actual: 1, minimum: 0 });
    expect(callsPerThousand(14, 10_000)).toBe(1.4);
  });
});

describe('statistics', () => {
  it('takes the median (mean of the middle two for an even count) and nearest-rank p95', () => {
    const sample = [5, 1, 4, 2, 3, 100, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile(sample, 95)).toBe(19);
    expect(percentile(sample, 100)).toBe(100);
    expect(() => median([])).toThrow(/empty/);
  });

  it('says by how much an at-most target is missed, and that a met one is met', () => {
    expect(atMost('zip', 375, 250, 'KiB')).toMatchObject({ met: false, overBy: 1.5, note: 'MISSED by 125 KiB (50 % over 250 KiB)' });
    expect(atMost('ratio', 1.05, 1.1, '×')).toMatchObject({ met: true, note: 'met: 1.05× ≤ 1.1×' });
  });
});

describe('transitionsPerExecution', () => {
  it('counts the states on the path from StartAt through Next and the first Choice to the end', () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Next: 'B' },
        B: { Type: 'Choice', Choices: [{ Next: 'C' }], Default: 'F' },
        C: { Type: 'Succeed' },
        F: { Type: 'Fail' },
      },
    };
    expect(transitionsPerExecution(definition)).toBe(3);
    expect(() => transitionsPerExecution({ StartAt: 'X', States: {} })).toThrow(/no state 'X'/);
  });
});

describe('the call targets of issues 18 and 30', () => {
  it('judges S3 calls per bucket, the alarm path’s account calls (not its store calls) and its p95 at 20 ms a call', () => {
    // Prepare: an s3-5k scan at 2.066 calls a bucket, and the alarm path at 0 and 20 ms a call with the deployed stores' 10 calls.
    const results = {
      scan: [{ id: 's3-5k', resource: 's3-bucket', resources: 5000, vsMinimum: { actual: 10_330, minimum: 10_321, ratio: 1.001, byOperation: {} } }],
      endToEnd: [
        { latencyMs: 0, runs: 5, medianMs: 20, p95Ms: 30, calls: { 'autoscaling:DescribePolicies': 3, 'autoscaling:DescribeAutoScalingGroups': 2, 'autoscaling:PutScalingPolicy': 1, 'cloudwatch:GetMetricData': 1, 'dynamodb:PutItem': 5, 'dynamodb:UpdateItem': 2, 'dynamodb:BatchWriteItem': 1, 'dynamodb:Query': 1, 'eventbridge:PutEvents': 1 }, applied: '' },
        { latencyMs: 20, runs: 5, medianMs: 250, p95Ms: 310, calls: { 'autoscaling:DescribePolicies': 3, 'autoscaling:DescribeAutoScalingGroups': 2, 'autoscaling:PutScalingPolicy': 1, 'cloudwatch:GetMetricData': 1, 'dynamodb:PutItem': 5, 'dynamodb:UpdateItem': 2, 'dynamodb:BatchWriteItem': 1, 'dynamodb:Query': 1, 'eventbridge:PutEvents': 1 }, applied: '' },
      ],
    } as unknown as Parameters<typeof checkTargets>[0];

    // Act
    const checks = checkTargets(results).filter((c) => /S3 calls per bucket|alarm → fix/.test(c.target));

    // Assess
    expect(checks.map((c) => [c.target, c.met, c.note])).toEqual([
      ['S3 calls per bucket ≤ 2 (shipped policies): s3-5k', false, 'MISSED by 0.07 calls (3.3 % over 2 calls)'],
      ['alarm → fix account calls ≤ 7 (latency 0 ms)', true, 'met: 7 calls ≤ 7 calls'],
      ['alarm → fix account calls ≤ 7 (latency 20 ms)', true, 'met: 7 calls ≤ 7 calls'],
      ['alarm → fix p95 < 300 ms at 20 ms a call', false, 'MISSED by 10 ms (3.3 % over 300 ms)'],
    ]);
  });
});
