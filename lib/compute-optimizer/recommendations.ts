/**
 * AWS Compute Optimizer as a second opinion: batched reads of its recommendations for the
 * resources trimtab has findings about, by resource type id.
 *
 * - One GetEnrollmentStatus per account and run: an account that is not opted in (status other
 *   than Active, or OptInRequiredException on any Get*) gets no further calls.
 * - Get{EC2Instance,AutoScalingGroup,EBSVolume,LambdaFunction}Recommendations take a list of
 *   ARNs. The API reference names no maximum list length, so trimtab sends at most
 *   ARNS_PER_CALL ARNs a call and follows nextToken (Compute Optimizer pages its answers).
 * - Each answer is reduced to the one value trimtab's detectors propose (`evidence.candidate`):
 *   an instance type (instances, and Auto Scaling groups: Compute Optimizer recommends the group's
 *   instance type, `recommendationOptions[].configuration.instanceType`, and not its sizes), a
 *   volume's baseline IOPS, a function's memory in MB, with the current value and Compute
 *   Optimizer's finding. A candidate of another kind (a group's MaxSize) has no second opinion.
 */
import {
  ComputeOptimizerClient,
  GetAutoScalingGroupRecommendationsCommand,
  GetEBSVolumeRecommendationsCommand,
  GetEC2InstanceRecommendationsCommand,
  GetEnrollmentStatusCommand,
  GetLambdaFunctionRecommendationsCommand,
} from '@aws-sdk/client-compute-optimizer';
import type { AwsClients } from '../aws/clients.ts';
import { batches } from '../util/async.ts';

/** ARNs per Get*Recommendations call (a choice: the API reference names no limit). */
export const ARNS_PER_CALL = 100;

/** One recommendation reduced to what trimtab compares. */
export interface Recommendation {
  arn: string;
  /** Compute Optimizer's finding: Overprovisioned, Underprovisioned, Optimized, NotOptimized, … */
  finding: string;
  /** The current value of the compared setting (type, MaxSize, IOPS, memory MB). */
  current?: string | number;
  /** The rank-1 option's value of the same setting, and its instance type where that is not the compared value. */
  recommended?: string | number;
  /** Every option's value, best first. */
  options: (string | number)[];
  instanceType?: string;
  /**
   * Where Compute Optimizer's savings figures come from for this resource
   * (`effectiveRecommendationPreferences.savingsEstimationMode.source`): `CostOptimizationHub` when the
   * account's savings estimation mode is AfterDiscounts (Savings Plans and Reserved Instances applied),
   * `PublicPricing` when it is not. Absent when the answer does not say.
   */
  savingsSource?: string;
  /** Each option's savings as Compute Optimizer states them, best first (same order as `options`). */
  optionSavings?: OptionSavings[];
}

/** One recommendation option's savings figures, as Compute Optimizer states them. */
export interface OptionSavings {
  value: string | number;
  /** `savingsOpportunity.estimatedMonthlySavings` (On-Demand / public pricing). */
  listMonthly?: number;
  /** `savingsOpportunityAfterDiscounts.estimatedMonthlySavings`. */
  afterDiscountsMonthly?: number;
  currency?: string;
}

interface SavingsShape {
  savingsOpportunity?: { estimatedMonthlySavings?: { value?: number; currency?: string } };
  savingsOpportunityAfterDiscounts?: { estimatedMonthlySavings?: { value?: number; currency?: string } };
}

/** An option's stated savings (only finite numbers are kept; an option without any gives no entry). */
function savingsOf(value: string | number | undefined, o: SavingsShape): OptionSavings[] {
  if (value === undefined) return [];
  const finite = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  const list = finite(o.savingsOpportunity?.estimatedMonthlySavings?.value);
  const after = finite(o.savingsOpportunityAfterDiscounts?.estimatedMonthlySavings?.value);
  if (list === undefined && after === undefined) return [];
  const currency = o.savingsOpportunityAfterDiscounts?.estimatedMonthlySavings?.currency ?? o.savingsOpportunity?.estimatedMonthlySavings?.currency;
  return [{ value, ...(list !== undefined ? { listMonthly: list } : {}), ...(after !== undefined ? { afterDiscountsMonthly: after } : {}), ...(currency ? { currency } : {}) }];
}

const optionSavingsOf = (list: OptionSavings[]) => (list.length ? { optionSavings: list } : {});

const sourceOf = (r: { effectiveRecommendationPreferences?: { savingsEstimationMode?: { source?: string } } }) => {
  const source = r.effectiveRecommendationPreferences?.savingsEstimationMode?.source;
  return source ? { savingsSource: source } : {};
};

type Fetch = (client: ComputeOptimizerClient, arns: string[]) => Promise<Recommendation[]>;

const byRank = <T extends { rank?: number }>(options: T[] | undefined) => [...(options ?? [])].sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99));

/** Follows nextToken for one batch of ARNs. */
async function paged<T>(send: (nextToken?: string) => Promise<{ items: T[]; nextToken?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await send(token);
    out.push(...page.items);
    token = page.nextToken;
  } while (token);
  return out;
}

const ec2: Fetch = async (client, arns) =>
  (await paged(async (nextToken) => {
    const r = await client.send(new GetEC2InstanceRecommendationsCommand({ instanceArns: arns, nextToken }));
    return { items: r.instanceRecommendations ?? [], nextToken: r.nextToken };
  })).map((r) => {
    const ranked = byRank(r.recommendationOptions);
    const options = ranked.map((o) => o.instanceType!).filter(Boolean);
    return { arn: r.instanceArn!, finding: r.finding ?? 'Unknown', current: r.currentInstanceType, recommended: options[0], options, ...sourceOf(r), ...optionSavingsOf(ranked.flatMap((o) => savingsOf(o.instanceType, o))) };
  });

const asg: Fetch = async (client, arns) =>
  (await paged(async (nextToken) => {
    const r = await client.send(new GetAutoScalingGroupRecommendationsCommand({ autoScalingGroupArns: arns, nextToken }));
    return { items: r.autoScalingGroupRecommendations ?? [], nextToken: r.nextToken };
  })).map((r) => {
    // Compute Optimizer recommends an instance type for a group (AutoScalingGroupConfiguration.instanceType);
    // the option's desiredCapacity/minSize/maxSize repeat the group's, they are no sizing advice.
    const ranked = byRank(r.recommendationOptions);
    const options = ranked.map((o) => o.configuration?.instanceType).filter((t): t is string => Boolean(t));
    return {
      ...sourceOf(r),
      ...optionSavingsOf(ranked.flatMap((o) => savingsOf(o.configuration?.instanceType, o))),
      arn: r.autoScalingGroupArn!,
      finding: r.finding ?? 'Unknown',
      ...(r.currentConfiguration?.instanceType ? { current: r.currentConfiguration.instanceType } : {}),
      ...(options[0] ? { recommended: options[0], instanceType: options[0] } : {}),
      options,
    };
  });

const ebs: Fetch = async (client, arns) =>
  (await paged(async (nextToken) => {
    const r = await client.send(new GetEBSVolumeRecommendationsCommand({ volumeArns: arns, nextToken }));
    return { items: r.volumeRecommendations ?? [], nextToken: r.nextToken };
  })).map((r) => {
    const options = byRank(r.volumeRecommendationOptions);
    return {
      arn: r.volumeArn!,
      finding: r.finding ?? 'Unknown',
      current: r.currentConfiguration?.volumeBaselineIOPS,
      recommended: options[0]?.configuration?.volumeBaselineIOPS,
      options: options.map((o) => o.configuration?.volumeBaselineIOPS ?? 0),
      ...sourceOf(r),
      ...optionSavingsOf(options.flatMap((o) => savingsOf(o.configuration?.volumeBaselineIOPS, o))),
      ...(options[0]?.configuration?.volumeType ? { instanceType: options[0].configuration.volumeType } : {}),
    };
  });

const lambda: Fetch = async (client, arns) =>
  (await paged(async (nextToken) => {
    const r = await client.send(new GetLambdaFunctionRecommendationsCommand({ functionArns: arns, nextToken }));
    return { items: r.lambdaFunctionRecommendations ?? [], nextToken: r.nextToken };
  })).map((r) => {
    const ranked = byRank(r.memorySizeRecommendationOptions);
    const options = ranked.map((o) => o.memorySize!).filter((m) => m !== undefined);
    // Recommendations come for the qualified ARN (…:function:name:$LATEST); findings name the function.
    return {
      arn: r.functionArn!.replace(/:\$LATEST$/, ''),
      finding: r.finding ?? 'Unknown',
      current: r.currentMemorySize,
      recommended: options[0],
      options,
      ...sourceOf(r),
      ...optionSavingsOf(ranked.flatMap((o) => savingsOf(o.memorySize, o))),
    };
  });

/** What trimtab asks Compute Optimizer, by resource type id. */
export const COMPUTE_OPTIMIZER_TYPES: Record<string, { operation: string; fetch: Fetch; what: string; candidate: 'name' | 'number' }> = {
  'ec2-instance': { operation: 'GetEC2InstanceRecommendations', fetch: ec2, what: 'instance type', candidate: 'name' },
  asg: { operation: 'GetAutoScalingGroupRecommendations', fetch: asg, what: 'instance type', candidate: 'name' },
  'ebs-volume': { operation: 'GetEBSVolumeRecommendations', fetch: ebs, what: 'baseline IOPS', candidate: 'number' },
  'lambda-function': { operation: 'GetLambdaFunctionRecommendations', fetch: lambda, what: 'memory (MB)', candidate: 'number' },
};

/** Whether Compute Optimizer recommends the kind of value a finding proposes (a group's MaxSize: it does not). */
export function comparable(resourceType: string, candidate: string | number): boolean {
  const type = COMPUTE_OPTIMIZER_TYPES[resourceType];
  return Boolean(type) && (type.candidate === 'name' ? typeof candidate === 'string' : typeof candidate === 'number');
}

/** IAM actions a policy on this resource type needs for the second opinion (none for other types). */
export function computeOptimizerPermissions(resourceType: string): string[] {
  const type = COMPUTE_OPTIMIZER_TYPES[resourceType];
  return type ? ['compute-optimizer:GetEnrollmentStatus', `compute-optimizer:${type.operation}`] : [];
}

export type Enrollment = { active: true } | { active: false; why: string };

/** Whether the account is opted in (GetEnrollmentStatus: Active). */
export async function enrollment(clients: AwsClients, region: string): Promise<Enrollment> {
  try {
    const out = await clients.get(ComputeOptimizerClient, region).send(new GetEnrollmentStatusCommand({}));
    return out.status === 'Active' ? { active: true } : { active: false, why: `not opted in (GetEnrollmentStatus: ${out.status ?? 'unknown'}${out.statusReason ? `, ${out.statusReason}` : ''})` };
  } catch (error) {
    if ((error as Error).name === 'OptInRequiredException') return { active: false, why: 'not opted in (OptInRequiredException)' };
    throw error;
  }
}

/** Recommendations for the given ARNs of one resource type, by ARN: ARNS_PER_CALL a call. */
export async function recommendationsFor(clients: AwsClients, region: string, resourceType: string, arns: string[]): Promise<Map<string, Recommendation>> {
  const type = COMPUTE_OPTIMIZER_TYPES[resourceType];
  const out = new Map<string, Recommendation>();
  if (!type || arns.length === 0) return out;
  const client = clients.get(ComputeOptimizerClient, region);
  for (const batch of batches([...new Set(arns)], ARNS_PER_CALL)) {
    for (const r of await type.fetch(client, batch)) out.set(r.arn, r);
  }
  return out;
}
