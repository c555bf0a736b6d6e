/**
 * The engine hook: after a policy's detection in one region, before planning, attach Compute
 * Optimizer's recommendation to each actionable finding that proposes a size
 * (`evidence.candidate`) on a resource type Compute Optimizer covers, compare the two, and show
 * both when they disagree. A policy with `requireComputeOptimizer: true` turns a disagreement
 * or a missing recommendation into a `conflict` finding, which is never acted on.
 *
 * Agreement: for a type or other name (an instance's or a group's instance type), the same
 * value; for a number (IOPS, memory), the same direction from the current value (both raise, or both lower): the
 * two tools size differently, but agree on what to do. Compute Optimizer saying "Optimized"
 * (no change) disagrees with any change. A proposal of a kind Compute Optimizer does not
 * recommend (an Auto Scaling group's MaxSize: it recommends the group's instance type only) gets
 * `not-applicable` and costs no call; a policy that requires agreement gets a conflict saying it
 * can never agree (rather than a comparison of a MaxSize with a type, or a silent pass).
 *
 * Not opted in: said once per run (per account) in the log, and on each affected finding's
 * evidence; the run carries on. Compute Optimizer is only called for resource types with
 * findings that carry a candidate; its recommendations are read once per account, region and type
 * per run (RegionRecommendations: the region's listing, or ARN requests when the region is long
 * and the findings few), shared by every page and every policy.
 */
import type { AwsClients } from '../aws/clients.ts';
import type { Finding } from '../engine/types.ts';
import type { Policy } from '../policy/load.ts';
import { errorMessage } from '../util/errors.ts';
import { comparable, COMPUTE_OPTIMIZER_TYPES, enrollment, RegionRecommendations, type Enrollment, type Recommendation } from './recommendations.ts';

/** `not-applicable`: Compute Optimizer does not recommend what the finding proposes (a group's MaxSize). */
export type Agreement = 'agrees' | 'disagrees' | 'missing' | 'not-applicable';

/** What a finding carries in `evidence.computeOptimizer`. */
export interface SecondOpinion {
  agreement: Agreement;
  /** trimtab's proposal (`evidence.candidate`). */
  candidate: string | number;
  finding?: string;
  current?: string | number;
  recommended?: string | number;
  /** Why there is no recommendation. */
  why?: string;
  /**
   * Compute Optimizer's estimated monthly saving after the account's Savings Plans and Reserved
   * Instances discounts, only when the account's savings estimation mode is AfterDiscounts
   * (`savingsEstimationMode.source` CostOptimizationHub). Shown beside trimtab's list-price figure;
   * never used to rank or approve (trimtab's `savings.monthlyUsd` stays the list-price figure).
   */
  afterDiscounts?: AfterDiscounts;
}

/** The after-discounts figure and what it is for. */
export interface AfterDiscounts {
  monthly: number;
  currency: string;
  /** The option the figure is for. */
  option: string | number;
  /** Whether that option is trimtab's proposal (otherwise the figure is for Compute Optimizer's own recommendation). */
  forProposal: boolean;
  /** Compute Optimizer's own list-price (public pricing) figure for the same option, when it states one. */
  listMonthly?: number;
}

/** The savings estimation mode source that means "after the account's discounts". */
export const AFTER_DISCOUNTS_SOURCE = 'CostOptimizationHub';

const money = (value: number, currency: string) => {
  const sign = value < 0 ? '-' : '';
  return currency === 'USD' ? `${sign}$${Math.abs(value).toFixed(2)}` : `${value.toFixed(2)} ${currency}`;
};

/** The after-discounts figure a recommendation gives for trimtab's candidate (or its own rank-1 option), if the account has the mode on. */
export function afterDiscountsFor(candidate: string | number, rec: Recommendation | undefined): AfterDiscounts | undefined {
  if (!rec || rec.savingsSource !== AFTER_DISCOUNTS_SOURCE) return undefined;
  const withFigure = (rec.optionSavings ?? []).filter((o) => o.afterDiscountsMonthly !== undefined);
  const same = withFigure.find((o) => String(o.value) === String(candidate));
  const chosen = same ?? withFigure[0];
  if (!chosen) return undefined;
  return {
    monthly: chosen.afterDiscountsMonthly!,
    currency: chosen.currency ?? 'USD',
    option: chosen.value,
    forProposal: Boolean(same),
    ...(chosen.listMonthly !== undefined ? { listMonthly: chosen.listMonthly } : {}),
  };
}

/**
 * A savings estimate with the after-discounts line of the finding's second opinion appended (once),
 * for the estimate's own list-price figure: the engine calls it again when planning replaces the
 * detector's estimate. `monthlyUsd` is never changed.
 */
export function withAfterDiscounts<S extends { monthlyUsd: number; basis: string[] }>(savings: S, f: Pick<Finding, 'evidence' | 'resource'>): S {
  const after = (f.evidence as { computeOptimizer?: SecondOpinion }).computeOptimizer?.afterDiscounts;
  const type = COMPUTE_OPTIMIZER_TYPES[f.resource.type];
  if (!after || !type) return savings;
  const line = afterDiscountsLine(savings.monthlyUsd, after, type.what);
  return savings.basis.includes(line) ? savings : { ...savings, basis: [...savings.basis, line] };
}

/** The savings-basis line that puts the after-discounts figure beside trimtab's list-price figure. */
export function afterDiscountsLine(listMonthlyUsd: number, after: AfterDiscounts, what: string): string {
  const list = `list price ${money(listMonthlyUsd, 'USD')}/month (trimtab, the figure findings are ranked and approved on)`;
  return after.forProposal
    ? `${list}; after your discounts (Compute Optimizer, Savings Plans and Reserved Instances) ${money(after.monthly, after.currency)}/month.`
    : `${list}; Compute Optimizer's after-discounts figure ${money(after.monthly, after.currency)}/month is for its own recommendation (${what} ${after.option}), not for trimtab's proposal, so the two are not comparable.`;
}

/** Per run: enrollment read once per account, recommendations once per account, region and type, and the "not opted in" note said once. */
export interface SecondOpinionRun {
  enrollment: Map<string, Promise<Enrollment>>;
  said: Set<string>;
  /** By `account region type`. */
  regions: Map<string, RegionRecommendations>;
}

export const newSecondOpinionRun = (): SecondOpinionRun => ({ enrollment: new Map(), said: new Set(), regions: new Map() });

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);

/** Whether Compute Optimizer's recommendation agrees with trimtab's candidate. */
export function compare(candidate: string | number, rec: Recommendation | undefined): Agreement {
  if (!rec || rec.recommended === undefined) return 'missing';
  if (typeof candidate === 'string' || typeof rec.recommended === 'string') return String(candidate) === String(rec.recommended) ? 'agrees' : 'disagrees';
  if (typeof rec.current !== 'number') return candidate === rec.recommended ? 'agrees' : 'disagrees';
  const ours = sign(candidate - rec.current);
  return ours !== 0 && ours === sign(rec.recommended - rec.current) ? 'agrees' : 'disagrees';
}

interface HookContext {
  account: string;
  region: string;
  clients: AwsClients;
  log?: (message: string, data?: Record<string, unknown>) => void;
}

const candidateOf = (f: Finding) => {
  const c = (f.evidence as { candidate?: unknown }).candidate;
  return typeof c === 'string' || typeof c === 'number' ? c : undefined;
};

/** A detector's words for its candidate when one number does not say it all (e.g. '3,000 IOPS, 188 MiB/s'). */
const detailOf = (f: Finding) => {
  const d = (f.evidence as { candidateDetail?: unknown }).candidateDetail;
  return typeof d === 'string' ? d : undefined;
};

/** Attaches the second opinion to the findings of one region (mutates them). */
export async function attachSecondOpinion(findings: Finding[], policies: Policy[], ctx: HookContext, run: SecondOpinionRun): Promise<void> {
  const proposing = findings.filter((f) => f.status === 'actionable' && COMPUTE_OPTIMIZER_TYPES[f.resource.type] && candidateOf(f) !== undefined);
  const required = new Set(policies.filter((p) => p.requireComputeOptimizer).map((p) => p.id));
  // A proposal Compute Optimizer makes no recommendation about (a group's MaxSize): said so, and no call.
  // A policy that requires its agreement cannot get it: the finding is a conflict that says why.
  for (const f of proposing.filter((x) => !comparable(x.resource.type, candidateOf(x)!))) {
    const opinion: SecondOpinion = { agreement: 'not-applicable', candidate: candidateOf(f)!, why: `Compute Optimizer recommends only the ${COMPUTE_OPTIMIZER_TYPES[f.resource.type].what} for ${f.resource.type} resources, not the value proposed` };
    f.evidence = { ...f.evidence, computeOptimizer: opinion };
    if (required.has(f.policy)) {
      f.status = 'conflict';
      (f as Finding & { outcomeDetail?: string }).outcomeDetail = `requireComputeOptimizer: ${opinion.why}, so it can never agree; not acted on (drop requireComputeOptimizer from policy ${f.policy} to act on these findings).`;
    }
  }
  const wanted = proposing.filter((f) => comparable(f.resource.type, candidateOf(f)!));
  if (wanted.length === 0) return;

  let state = run.enrollment.get(ctx.account);
  if (!state) run.enrollment.set(ctx.account, (state = enrollment(ctx.clients, ctx.region).catch((error) => ({ active: false as const, why: `unreachable (${errorMessage(error)})` }))));
  const enrolled = await state;
  const recs = new Map<string, Recommendation>();
  let why: string | undefined;
  if (!enrolled.active) why = enrolled.why;
  else {
    for (const type of new Set(wanted.map((f) => f.resource.type))) {
      try {
        const arns = wanted.filter((f) => f.resource.type === type).map((f) => f.resource.arn);
        const key = `${ctx.account} ${ctx.region} ${type}`;
        let source = run.regions.get(key);
        if (!source) run.regions.set(key, (source = new RegionRecommendations(ctx.clients, ctx.region, type)));
        for (const [arn, rec] of await source.for(arns)) recs.set(arn, rec);
      } catch (error) {
        if ((error as Error).name === 'OptInRequiredException') {
          why = 'not opted in (OptInRequiredException)';
          run.enrollment.set(ctx.account, Promise.resolve({ active: false, why }));
          break;
        }
        // Throttled after retries, access denied: no second opinion for this type, the run carries on.
        why = `${COMPUTE_OPTIMIZER_TYPES[type].operation} failed: ${errorMessage(error)}`;
      }
    }
  }
  if (why && !run.said.has(`${ctx.account}:${why}`)) {
    run.said.add(`${ctx.account}:${why}`);
    ctx.log?.(`Compute Optimizer: account ${ctx.account} ${why}; findings carry no second opinion (https://docs.aws.amazon.com/compute-optimizer/latest/ug/getting-started.html).`, { account: ctx.account });
  }

  for (const f of wanted) {
    const candidate = candidateOf(f)!;
    const rec = recs.get(f.resource.arn);
    const agreement = compare(candidate, rec);
    const opinion: SecondOpinion = {
      agreement,
      candidate,
      ...(rec ? { finding: rec.finding, current: rec.current, recommended: rec.recommended } : {}),
      ...(agreement === 'missing' ? { why: why ?? (rec ? 'no recommended value' : 'no recommendation for this resource (Compute Optimizer needs at least 30 hours of metrics in 14 days)') } : {}),
    };
    const what = COMPUTE_OPTIMIZER_TYPES[f.resource.type].what;
    // After discounts: only a figure the account's Compute Optimizer states (mode AfterDiscounts), shown
    // beside the list-price figure in the basis; `savings.monthlyUsd` (ranking, approval) is not changed.
    const after = afterDiscountsFor(candidate, rec);
    if (after) opinion.afterDiscounts = after;
    f.evidence = { ...f.evidence, computeOptimizer: opinion };
    if (f.savings) f.savings = withAfterDiscounts(f.savings, f);
    if (agreement === 'disagrees') {
      f.reason = `${f.reason} Compute Optimizer disagrees: it recommends ${what} ${rec!.recommended} (${rec!.finding}, now ${rec!.current ?? '?'}); trimtab proposes ${detailOf(f) ?? candidate}.`;
    }
    if (required.has(f.policy) && agreement !== 'agrees') {
      f.status = 'conflict';
      (f as Finding & { outcomeDetail?: string }).outcomeDetail =
        agreement === 'missing'
          ? `requireComputeOptimizer: no Compute Optimizer recommendation to agree with (${opinion.why}); not acted on.`
          : `requireComputeOptimizer: Compute Optimizer recommends ${what} ${rec!.recommended} (${rec!.finding}), trimtab ${candidate}; not acted on.`;
    }
  }
}
