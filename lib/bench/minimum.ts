/**
 * The fewest API calls a listing could take, from the item counts and AWS's page limits: a lower
 * bound of what AWS requires, never trimtab's own choices. Every listing costs ⌈items / page
 * limit⌉ calls (at least one, even when empty); metric reads cost ⌈queries / 500⌉ GetMetricData
 * calls, or ⌈datapoints / 100,800⌉ when more; batched lookups cost ⌈items / batch limit⌉ (tags of
 * S3 buckets, Lambda functions and DynamoDB tables: ⌈n / 100⌉ GetResources, never one tag read
 * per resource); Compute Optimizer costs one GetEnrollmentStatus per account and ⌈F / 1,000⌉
 * Get*Recommendations per type and region (F: the recommendations of the resources whose findings
 * propose a value it compares; its answers page at maxResults ≤ 1,000 in both forms, and the
 * no-ARN listing's ⌈R / 1,000⌉ is never lower, F ≤ R), never trimtab's own ARN chunk. Only reads AWS offers no batch for (S3 lifecycle, versioning, multipart uploads,
 * DynamoDB DescribeTable, one Logs Insights poll per query) cost one call per item, and only
 * those every run needs: reads a tool makes for the resources it flags (Lambda aliases) are
 * not counted, since a run that flags nothing needs none. The benchmark divides the calls it
 * counted by this, and also shows the ratio without the per-item reads (`withoutPerItem`), so
 * that thousands of unavoidable per-item calls do not hide waste in the rest.
 */

/** AWS's documented page and batch limits for the operations trimtab lists with. */
export const PAGE_LIMITS = {
  'ec2:DescribeSnapshots': 1000,
  'ec2:DescribeImages': 1000,
  'ec2:DescribeVolumes': 1000,
  'rbin:ListRules': 1000,
  's3:ListBuckets': 10_000,
  /** Resource Groups Tagging API: ARNs per GetResources call (ResourceARNList, 1 to 100). */
  'resourcegroupstaggingapi:GetResources': 100,
  'autoscaling:DescribeAutoScalingGroups': 100,
  'autoscaling:DescribePolicies': 100,
  'autoscaling:DescribeScalingActivities': 100,
  'autoscaling:DescribeLaunchConfigurations': 100,
  /** MaxRecords 20 to 100 (RDS API reference). */
  'rds:DescribeDBInstances': 100,
  'rds:DescribeDBClusters': 100,
  'ec2:DescribeInstances': 1000,
  'ec2:DescribeInstanceTypes': 100,
  /** Without instance ids (the unlimited ones), 1,000 a page. */
  'ec2:DescribeInstanceCreditSpecifications': 1000,
  'dynamodb:ListTables': 100,
  'applicationautoscaling:DescribeScalableTargets': 50,
  'applicationautoscaling:DescribeScalingPolicies': 10,
  /** Queries per GetMetricData call. */
  'cloudwatch:GetMetricData': 500,
  // Compute Optimizer (lib/compute-optimizer): one enrollment read per account and run, then
  // Get*Recommendations. The ARN list has no documented max (botocore compute-optimizer 2019-11-01:
  // InstanceArns and the like have none), but every answer, with ARNs or without, pages at
  // maxResults 0 to 1,000 (shape MaxResults): ⌈F / 1,000⌉ calls for F recommendations, at least
  // one, per type and region (computeOptimizerListing). trimtab's ARN chunk (ARNS_PER_CALL) is no bound.
  'computeoptimizer:GetEnrollmentStatus': 1,
  'computeoptimizer:GetAutoScalingGroupRecommendations': 1000,
  'computeoptimizer:GetEBSVolumeRecommendations': 1000,
  'computeoptimizer:GetEC2InstanceRecommendations': 1000,
  'computeoptimizer:GetLambdaFunctionRecommendations': 1000,
  /** At most 50 functions a response, whatever MaxItems says (ListFunctions API reference). */
  'lambda:ListFunctions': 50,
  /** Log groups per Logs Insights query (StartQuery API reference). */
  'cloudwatchlogs:StartQuery': 50,
} as const satisfies Record<string, number>;

export type LimitedOperation = keyof typeof PAGE_LIMITS;

/** Datapoints one GetMetricData answer holds at most (then NextToken). */
export const MAX_METRIC_DATAPOINTS_PER_CALL = 100_800;

/** One listing (an operation with one set of filters) over `items` results. */
export interface Listing {
  operation: LimitedOperation;
  items: number;
}

/** A read that AWS answers for one item only (e.g. GetBucketVersioning): `items` calls. */
export interface PerItemRead {
  operation: string;
  items: number;
}

export interface CallModel {
  listings: Listing[];
  /** GetMetricData queries needed in the region (each batch of ≤500 is one call). */
  metricQueries?: number;
  /**
   * Datapoints those queries return: one GetMetricData answer holds at most 100,800 ("as many
   * as 500 different metrics in a single request, with a total of as many as 100,800 data
   * points", GetMetricData reference), so a long window needs more calls than ⌈queries / 500⌉.
   */
  metricDatapoints?: number;
  perItem?: PerItemRead[];
}

type ComputeOptimizerRead = Extract<LimitedOperation, `computeoptimizer:Get${string}Recommendations`>;

/**
 * Compute Optimizer's share of a minimum, for an opted-in account whose findings in one region
 * propose `found` values it compares (found ≥ 1; none: it is never asked): one GetEnrollmentStatus
 * and ⌈found / 1,000⌉ `operation` calls. `found` counts resources, an upper bound of their
 * recommendations F, so for more than 1,000 found resources pass F itself.
 */
export function computeOptimizerListing(operation: ComputeOptimizerRead, found: number): Listing[] {
  if (!(found >= 1)) return [];
  return [{ operation: 'computeoptimizer:GetEnrollmentStatus', items: 1 }, { operation, items: found }];
}

/** Calls for one listing: ⌈items / limit⌉, and one call even for an empty result. */
export function listingCalls(items: number, limit: number): number {
  if (!(limit >= 1)) throw new Error(`page limit ${limit} must be at least 1`);
  // No documented limit: one call, whatever the count.
  if (limit === Number.POSITIVE_INFINITY) return 1;
  if (!(items >= 0)) throw new Error(`item count ${items} must not be negative`);
  return Math.max(1, Math.ceil(items / limit));
}

/** The minimum calls by operation for a model. */
export function minimumCalls(model: CallModel): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (op: string, n: number) => (out[op] = (out[op] ?? 0) + n);
  for (const l of model.listings) add(l.operation, listingCalls(l.items, PAGE_LIMITS[l.operation]));
  if (model.metricQueries) {
    const byQueries = Math.ceil(model.metricQueries / PAGE_LIMITS['cloudwatch:GetMetricData']);
    add('cloudwatch:GetMetricData', Math.max(byQueries, Math.ceil((model.metricDatapoints ?? 0) / MAX_METRIC_DATAPOINTS_PER_CALL)));
  }
  for (const r of model.perItem ?? []) if (r.items > 0) add(r.operation, r.items);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export interface CallComparison {
  actual: number;
  minimum: number;
  /** actual / minimum. */
  ratio: number;
  /**
   * The same without the operations AWS answers one item at a time (the model's `perItem`): their
   * calls are left out of both sides, so the ratio shows the listing and batching alone.
   */
  withoutPerItem?: { actual: number; minimum: number; ratio: number };
  /** Per operation: [actual, minimum]; an operation the model does not expect has minimum 0. */
  byOperation: Record<string, { actual: number; minimum: number }>;
}

export const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

const ratioOf = (actual: number, minimum: number) => (minimum === 0 ? Number.POSITIVE_INFINITY : Math.round((actual / minimum) * 1000) / 1000);

/** The operations a model counts per item (left out of `withoutPerItem`). */
export const perItemOperations = (model: CallModel): string[] => [...new Set((model.perItem ?? []).map((r) => r.operation))];

/** Counted calls against the minimum, overall and per operation; with `perItem`, also without those operations. */
export function compareCalls(actual: Record<string, number>, minimum: Record<string, number>, perItem: readonly string[] = []): CallComparison {
  const ops = [...new Set([...Object.keys(actual), ...Object.keys(minimum)])].sort();
  const min = total(minimum);
  const without = (calls: Record<string, number>) => total(Object.fromEntries(Object.entries(calls).filter(([op]) => !perItem.includes(op))));
  return {
    actual: total(actual),
    minimum: min,
    ratio: ratioOf(total(actual), min),
    ...(perItem.length ? { withoutPerItem: { actual: without(actual), minimum: without(minimum), ratio: ratioOf(without(actual), without(minimum)) } } : {}),
    byOperation: Object.fromEntries(ops.map((op) => [op, { actual: actual[op] ?? 0, minimum: minimum[op] ?? 0 }])),
  };
}

/** API calls per 1,000 resources. */
export const callsPerThousand = (calls: number, resources: number) => (resources === 0 ? 0 : Math.round((calls / resources) * 1000 * 10) / 10);
