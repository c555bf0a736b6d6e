/**
 * AWS Compute Optimizer as a second opinion: its recommendations for the resources trimtab has
 * findings about, by resource type id, read once per account, region and type per run.
 *
 * - One GetEnrollmentStatus per account and run: an account that is not opted in (status other
 *   than Active, or OptInRequiredException on any Get*) gets no further calls.
 * - Get{EC2Instance,AutoScalingGroup,EBSVolume,LambdaFunction}Recommendations have two forms:
 *   with a list of ARNs (the API names no maximum list length) they answer for those resources;
 *   without, they answer every recommendation of the account in the region. Both page their
 *   answers: `maxResults` 0 to 1,000 (botocore compute-optimizer 2019-11-01, shape MaxResults),
 *   then `nextToken`. trimtab always asks for MAX_RESULTS a page.
 * - Which form (RegionRecommendations, one per account, region and type, shared by every page and
 *   policy of the run): the first need lists the region's first page (no ARNs). An answer without
 *   `nextToken` holds the whole region (at most 1,000 recommendations): every later page is
 *   answered from it, with no call. A longer region (an account with 50,000 instances and 3
 *   findings) is not listed on: the ARNs not yet known are asked in the ARN form, at most
 *   ARNS_PER_CALL a request, each ARN once per run. Once ARN_CALLS_BEFORE_LISTING such requests
 *   have been made in the region (findings on many pages), the rest of the region is listed
 *   instead, and no further ARN request is made. So a region costs at most 1 + 4 + ⌈R / 1,000⌉
 *   calls (R: its recommendations), and one call when R ≤ 1,000; sparse findings in a large region
 *   cost 1 + one call per page that has findings (up to 4), never the whole listing.
 * - Only the reduced recommendation (below) of each ARN is kept, never AWS's raw answer.
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
import { awsErrorName } from '../util/errors.ts';

/** The largest page Compute Optimizer answers (maxResults 0 to 1,000: botocore compute-optimizer 2019-11-01, shape MaxResults). */
export const MAX_RESULTS = 1000;
/**
 * ARNs per request in the ARN form: as many as one answer page holds, so a request is one call
 * (the API names no limit on the list; a longer list would only page).
 */
export const ARNS_PER_CALL = MAX_RESULTS;
/** ARN-form requests per account, region and type before the rest of the region is listed instead. */
export const ARN_CALLS_BEFORE_LISTING = 4;

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

/** One page of one form: `arns` given (the ARN form) or not (the region's listing). */
type Fetch = (client: ComputeOptimizerClient, page: { arns?: string[]; nextToken?: string }) => Promise<{ items: Recommendation[]; nextToken?: string }>;

/** The request fields of a page: ARNs only in the ARN form, always the largest page. */
const request = <K extends string>(key: K, page: { arns?: string[]; nextToken?: string }) =>
  ({ ...(page.arns ? { [key]: page.arns } : {}), maxResults: MAX_RESULTS, ...(page.nextToken ? { nextToken: page.nextToken } : {}) }) as { [P in K]?: string[] } & { maxResults: number; nextToken?: string };

const byRank = <T extends { rank?: number }>(options: T[] | undefined) => [...(options ?? [])].sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99));

/** One page mapped: AWS's items (`items` picks them from the answer) reduced, its token kept. */
async function mapped<A extends { nextToken?: string }, T>(answer: Promise<A>, items: (answer: A) => T[] | undefined, reduce: (item: T) => Recommendation): Promise<{ items: Recommendation[]; nextToken?: string }> {
  const a = await answer;
  return { items: (items(a) ?? []).map(reduce), ...(a.nextToken ? { nextToken: a.nextToken } : {}) };
}

const ec2: Fetch = (client, page) =>
  mapped(client.send(new GetEC2InstanceRecommendationsCommand(request('instanceArns', page))), (r) => r.instanceRecommendations, (r) => {
    const ranked = byRank(r.recommendationOptions);
    const options = ranked.map((o) => o.instanceType!).filter(Boolean);
    return { arn: r.instanceArn!, finding: r.finding ?? 'Unknown', current: r.currentInstanceType, recommended: options[0], options, ...sourceOf(r), ...optionSavingsOf(ranked.flatMap((o) => savingsOf(o.instanceType, o))) };
  });

const asg: Fetch = (client, page) =>
  mapped(client.send(new GetAutoScalingGroupRecommendationsCommand(request('autoScalingGroupArns', page))), (r) => r.autoScalingGroupRecommendations, (r) => {
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

const ebs: Fetch = (client, page) =>
  mapped(client.send(new GetEBSVolumeRecommendationsCommand(request('volumeArns', page))), (r) => r.volumeRecommendations, (r) => {
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

/**
 * The ARN a Lambda recommendation is kept under. Compute Optimizer recommends per function version
 * (`functionVersion`; the region's listing can hold $LATEST and published versions of one function):
 * only the $LATEST recommendation is kept under the function's unqualified ARN, which is what
 * findings name; a published version's stays qualified (…:function:name:3), so it is never taken for
 * the function's own, even when its `functionArn` comes without the version suffix.
 */
export function lambdaRecommendationArn(functionArn: string, functionVersion?: string): string {
  const parts = functionArn.split(':');
  const base = parts.slice(0, 7).join(':');
  const version = parts[7] ?? functionVersion;
  return version === undefined || version === '' || version === '$LATEST' ? base : `${base}:${version}`;
}

const lambda: Fetch = (client, page) =>
  mapped(client.send(new GetLambdaFunctionRecommendationsCommand(request('functionArns', page))), (r) => r.lambdaFunctionRecommendations, (r) => {
    const ranked = byRank(r.memorySizeRecommendationOptions);
    const options = ranked.map((o) => o.memorySize!).filter((m) => m !== undefined);
    // Recommendations come for the qualified ARN (…:function:name:$LATEST); findings name the function.
    return {
      arn: lambdaRecommendationArn(r.functionArn!, r.functionVersion),
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

/** Every page of one form, from `nextToken` on. */
async function* pages(fetch: Fetch, client: ComputeOptimizerClient, arns: string[] | undefined, from?: string): AsyncGenerator<{ items: Recommendation[]; nextToken?: string }> {
  let token = from;
  do {
    const page = await fetch(client, { ...(arns ? { arns } : {}), ...(token ? { nextToken: token } : {}) });
    yield page;
    token = page.nextToken;
  } while (token);
}

/** Recommendations for the given ARNs of one resource type, by ARN, in the ARN form: ARNS_PER_CALL a request. */
export async function recommendationsFor(clients: AwsClients, region: string, resourceType: string, arns: string[]): Promise<Map<string, Recommendation>> {
  const type = COMPUTE_OPTIMIZER_TYPES[resourceType];
  const out = new Map<string, Recommendation>();
  if (!type || arns.length === 0) return out;
  const client = clients.get(ComputeOptimizerClient, region);
  for (const batch of batches([...new Set(arns)], ARNS_PER_CALL)) {
    for await (const page of pages(type.fetch, client, batch)) for (const r of page.items) out.set(r.arn, r);
  }
  return out;
}

/**
 * Errors that refuse every request of the account in the region, whatever it asks (remembered for the run).
 * Compute Optimizer's model names its missing-credentials error `MissingAuthenticationToken` (client-compute-optimizer
 * models/errors.d.ts); `MissingAuthenticationTokenException` and the token errors are the front door's, as other
 * JSON services answer them.
 */
export const ACCOUNT_WIDE_ERRORS = new Set(['AccessDeniedException', 'OptInRequiredException', 'MissingAuthenticationToken', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException', 'MissingAuthenticationTokenException']);

/**
 * One account's recommendations of one resource type in one region, read once per run and shared
 * by every page and policy (the rule is in the header). Requests are made one at a time.
 */
export class RegionRecommendations {
  /** ARN → its recommendation, or null: asked (or listed) and Compute Optimizer has none. */
  private readonly known = new Map<string, Recommendation | null>();
  private listing: 'not-started' | 'partial' | 'complete' = 'not-started';
  private listToken?: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls made, by form (what the tests and the bench count). */
  readonly calls = { listing: 0, arns: 0 };

  constructor(private readonly clients: AwsClients, private readonly region: string, private readonly resourceType: string) {}

  /**
   * A request refused for the whole account or region (denied, not opted in, bad credentials):
   * every later page of the run gets the same error without asking again, instead of one more
   * failing request a page. What was already read is still answered. An error that may be about
   * one request (a bad ARN, throttling after the SDK's retries, a timeout) is not remembered.
   */
  private failure?: unknown;

  /** The recommendations of these ARNs (an ARN without one is absent from the map). */
  for(arns: string[]): Promise<Map<string, Recommendation>> {
    const asked = [...new Set(arns)];
    const next = this.queue.then(() => {
      if (this.failure !== undefined) {
        if (asked.every((a) => this.known.has(a) || this.listing === 'complete')) return this.answer(asked);
        throw this.failure;
      }
      return this.read(asked).catch((error: unknown) => {
        if (ACCOUNT_WIDE_ERRORS.has(awsErrorName(error) ?? '')) this.failure = error;
        throw error;
      });
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async read(arns: string[]): Promise<Map<string, Recommendation>> {
    const type = COMPUTE_OPTIMIZER_TYPES[this.resourceType];
    if (type && arns.length) {
      const client = this.clients.get(ComputeOptimizerClient, this.region);
      if (this.listing === 'not-started') await this.list(type.fetch, client, true);
      let missing = this.listing === 'complete' ? [] : arns.filter((a) => !this.known.has(a));
      if (missing.length && this.calls.arns >= ARN_CALLS_BEFORE_LISTING) {
        await this.list(type.fetch, client, false);
        missing = [];
      }
      for (const batch of batches(missing, ARNS_PER_CALL)) {
        for await (const page of pages(type.fetch, client, batch)) {
          this.calls.arns++;
          for (const r of page.items) this.known.set(r.arn, r);
        }
        for (const a of batch) if (!this.known.has(a)) this.known.set(a, null);
      }
    }
    return this.answer(arns);
  }

  private answer(arns: string[]): Map<string, Recommendation> {
    const out = new Map<string, Recommendation>();
    for (const a of arns) {
      const r = this.known.get(a);
      if (r) out.set(a, r);
    }
    return out;
  }

  /** Lists the region: its first page only (`firstPageOnly`), or on to the end from where it stopped. */
  private async list(fetch: Fetch, client: ComputeOptimizerClient, firstPageOnly: boolean): Promise<void> {
    for await (const page of pages(fetch, client, undefined, this.listToken)) {
      this.calls.listing++;
      for (const r of page.items) this.known.set(r.arn, r);
      this.listToken = page.nextToken;
      this.listing = page.nextToken ? 'partial' : 'complete';
      if (firstPageOnly) break;
    }
  }
}
