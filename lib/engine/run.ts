/**
 * The engine: inventory → findings → plans → dispatch by mode.
 *
 * Policies on the same resource type share one listing per region: resources are streamed
 * page by page, enriched in batches, and every policy's detector sees each page once.
 * Dry-run has two gates: the engine never calls apply() for it, and the clients it lists with
 * refuse every mutating command (the SDK guard in lib/aws/clients.ts).
 */
import type { AwsClients } from '../aws/clients.ts';
import type { ActionStore } from '../audit/store.ts';
import { auditReader, newActionId } from '../audit/store.ts';
import type { Policy } from '../policy/load.ts';
import { detectors, remediators, resourceTypes } from '../resources/registry.ts';
import { DEFAULT_PRICES, pricesWith, sourceLine, usd, type PriceTable } from '../savings/prices.ts';
import { ActionInProgressError, ProtectedResourceError, TrimtabError, errorMessage } from '../util/errors.ts';
import { shortHash } from '../util/hash.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { attachSecondOpinion, newSecondOpinionRun, withAfterDiscounts, type SecondOpinionRun } from '../compute-optimizer/second-opinion.ts';
import { inScope, mayBeInScope, protectionOf } from './scope.ts';
import { consultOwners, newOwnerLookups } from '../ownership/hook.ts';
import { applyViaOwner, verifyViaOwner, viaOwnerOf } from '../ownership/via-owner.ts';
import { driftAfterDirect } from '../ownership/cloudformation.ts';
import { describeFailure, isReadFailure, ReadGaps, UnevaluatedTally, type ReadFailure, type Unevaluated } from './partial.ts';
import { FindingTally, overlapKey, type BenefitGroup, type PolicyTally, type Tally } from './tally.ts';
import { cursorOf, stateLines, statesFromLines, type CheckpointStore, type ListCursor } from './checkpoint.ts';
import { createHash } from 'node:crypto';
import { benefitOf, type ActionRecord, type ActionStatus, type AppliedChange, type ApplyEnv, type Detection, type Detector, type DetectorPass, type Finding, type Mode, type RegionContext, type StepProgress } from './types.ts';

export type Outcome =
  | 'reported'
  | 'would-apply'
  | 'awaiting-approval'
  | 'applied'
  | 'failed'
  | 'skipped';

export interface FindingResult extends Finding {
  outcome: Outcome;
  /** Why it was skipped, or what happened. */
  outcomeDetail?: string;
  actionId?: string;
}

export interface Progress {
  phase: 'list' | 'act';
  resourceType?: string;
  region?: string;
  listed?: number;
  acted?: number;
  total?: number;
}

/** Hands approval-mode findings to the approval workflow (lib/approval); absent: reported as awaiting approval. */
export interface ApprovalRequester {
  request(policy: Policy, findings: FindingResult[], account: string): Promise<{ approvalId: string; detail?: string }>;
}

/** Observes every action transition (audit events, metrics). */
export type TransitionListener = (record: ActionRecord, finding?: Finding) => void | Promise<void>;

/**
 * Observes a run's findings once they are planned, before anything is acted on (audit records,
 * events, metrics). Without a sink it is called once with every finding; a streaming run (with
 * `RunOptions.sink`) calls it once per listed page with that page's findings. Each finding
 * reaches it exactly once, and always before the act phase starts.
 */
export type FindingsListener = (findings: FindingResult[]) => void | Promise<void>;

/**
 * Observes the detectors a run could not evaluate because an enrichment read failed: one entry
 * per policy, detector and resource, called once per region listing, before the act phase
 * (the audit trail records them next to the findings).
 */
export type UnevaluatedListener = (pairs: UnevaluatedTally['pairs']) => void | Promise<void>;

/**
 * Where a streaming run writes its findings (lib/report/stream.ts: JSON, CSV, HTML files).
 * `write` is called once per finding, when its outcome is final: findings the run does not act
 * on as soon as their page is planned, the others once acted on or sent for approval. A
 * returned promise is awaited (backpressure from a file or a pipe).
 */
export interface FindingSink {
  write(finding: FindingResult): void | Promise<void>;
}

/** What makes an action unique: the same plan for the same resource under the same policy. */
export interface ActionKey {
  policy: string;
  /** The resource's ARN. */
  resource: string;
  planHash: string;
}

/**
 * Runs an action at most once per key (lib/audit/idempotency.ts: Powertools idempotency).
 * A replay returns the first run's record without calling `work`. `keep: false` releases the
 * key (nothing was written), so a later delivery may try again. A concurrent run of the same
 * key throws ActionInProgressError.
 */
export interface ActionIdempotency {
  /**
   * With `options.record`, an implementation may write that record (its first, `planned`, state) into
   * `options.store` atomically with the claim; `work` is then told `recorded: true` and must not put it again.
   */
  once(key: ActionKey, work: (claim: { recorded: boolean }) => Promise<{ record: ActionRecord; keep: boolean }>, options?: ClaimOptions): Promise<{ record: ActionRecord; replayed: boolean }>;
}

/** What may be written together with an action's claim (ActionIdempotency.once). */
export interface ClaimOptions {
  /** The action record in its first state. */
  record?: ActionRecord;
  /** The store the engine records in (an implementation writes only into the store it was made with). */
  store?: ActionStore;
}

export interface EngineDeps {
  account: string;
  /** Clients for the account; the engine derives read-only and writable views from them. */
  clients: AwsClients;
  store: ActionStore;
  defaultRegions: string[];
  now?: () => Date;
  /** How remediators wait for AWS (default: real time). */
  clock?: Clock;
  log?: (message: string, data?: Record<string, unknown>) => void;
  onProgress?: (progress: Progress) => void;
  onTransition?: TransitionListener;
  onFindings?: FindingsListener;
  onUnevaluated?: UnevaluatedListener;
  /** Absent: actions are deduplicated only by the history check (same plan already applied). */
  idempotency?: ActionIdempotency;
  approvals?: ApprovalRequester;
  /** Milliseconds left before the caller must stop (Lambda); actions stop with a margin. */
  remainingMs?: () => number;
  /**
   * Clients for a resource in another account (hub and spokes, lib/org: the member role assumed
   * through STS). Used wherever a record or finding names its account (apply, verify, undo).
   * Absent: every account uses `clients`, as before.
   */
  accountClients?: (account: string) => Promise<AwsClients>;
  /**
   * Prices per scanned region for this run (lib/pricing/lookup.ts PriceBook: the AWS Price List,
   * a price file, else the embedded table, each saying so). Absent: the embedded table.
   */
  priceBook?: { forRegion(region: string): Promise<PriceTable> };
  /**
   * Where a resumable sweep keeps the detector state of a unit it splits across invocations
   * (lib/engine/checkpoint.ts). Absent: a unit whose detectors hold state is never split (one
   * whose detectors hold none still is: its checkpoint is the listing's cursor alone).
   */
  checkpoints?: CheckpointStore;
}

/** The region's price table for this run (before a policy's `prices:`). */
const regionPrices = async (deps: EngineDeps, region: string): Promise<PriceTable> => (deps.priceBook ? deps.priceBook.forRegion(region) : DEFAULT_PRICES);

/** The clients that act in `account`: the deps' own, or the member account's (deps.accountClients). */
export async function clientsForAccount(deps: Pick<EngineDeps, 'account' | 'clients' | 'accountClients'>, account: string | undefined): Promise<AwsClients> {
  if (!account || account === deps.account) return deps.clients;
  // Never the hub's own clients for another account's resource: a name such as an RDS identifier may
  // exist in both, and the hub would change its own.
  if (!deps.accountClients) throw new TrimtabError(`The resource is in account ${account}, but this run has no way into it (no member role: lib/org); nothing was changed.`);
  return deps.accountClients(account);
}

export interface RunOptions {
  policies: Policy[];
  /** scan: read-only whatever the policies say. */
  forceDryRun?: boolean;
  regions?: string[];
  /** Event-driven runs: only these resources. */
  targets?: { resourceType: string; ids: string[]; region?: string };
  actor?: string;
  /** Asked once, before the first write, with every change auto mode is about to make. */
  confirm?: (pending: FindingResult[]) => Promise<boolean>;
  /**
   * Stream findings instead of keeping them: every finding goes to the sink, and
   * `RunResult.findings` holds only those the run acted on or sent for approval (docs/performance.md).
   */
  sink?: FindingSink;
  /**
   * A sweep that may take more than one invocation (the scheduled sweep, lib/lambda/sweep.ts): before
   * each unit (one resource type in one region) the run checks `deps.remainingMs()`, and with less
   * than `marginMs` left it stops there and returns `RunResult.checkpoint`; the next invocation passes
   * that checkpoint back here and starts at the first unit not done. Units done are never listed
   * again, so no resource is reported or acted on twice; per-run action limits count across the
   * invocations of one sweep (`acted`). Every invocation does at least one unit. Absent: the run
   * does every unit, as before.
   *
   * Inside a unit: a module whose listing can go on from a cursor (ResourceType.resumable) is
   * stopped after a page once less than `pageMarginMs` is left, and the checkpoint says where
   * (`partial`: the cursor, and the detectors' state in deps.checkpoints); the next invocation goes
   * on from there. Every invocation lists at least one page, so the loop always moves on.
   */
  resumable?: { checkpoint?: SweepCheckpoint; marginMs?: number; pageMarginMs?: number };
}

/** Where a sweep that ran short of time stopped: what the next invocation needs to go on (small: it travels in Step Functions state). */
export interface SweepCheckpoint {
  /** Units done, `<resource type>@<region>`, in the order the run does them. */
  done: string[];
  /** Actions started so far in this sweep, by policy: `limits.maxActionsPerRun` counts across invocations. */
  acted: Record<string, number>;
  /** Invocations so far, this one included. */
  invocations: number;
  /** A unit stopped part-way: where its listing goes on, and the SHA-256 of its detectors' state in deps.checkpoints (absent: they hold none). */
  partial?: { unit: string; cursor: ListCursor; state?: string };
}

/** Below this many milliseconds left a resumable run lists no further page of a unit it can split (the invocation still acts on what it found). */
export const PAGE_TIME_MARGIN_MS = 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Where a split unit's saved state keeps what the module's prepare() read (ResourceType.savePrepared): not a policy id (those start with a letter or digit). */
export const PREPARED_STATE_KEY = '#prepared';

/** Where detectInRegion goes on from, and whether it may stop after a page. */
interface UnitSplit {
  from?: { cursor: ListCursor; states: Record<string, unknown> };
  /** True once the invocation should stop after the page it is on. */
  stop?: () => boolean;
  /** Where the passes' state can be kept: without one, only a unit whose passes hold nothing splits. */
  store?: CheckpointStore;
}

/** Reads back the state a split unit saved, refusing text whose hash is not the one the checkpoint names. */
async function loadSplit(partial: NonNullable<SweepCheckpoint['partial']>, deps: EngineDeps): Promise<UnitSplit['from']> {
  if (!partial.state) return { cursor: partial.cursor, states: {} };
  if (!deps.checkpoints) throw new TrimtabError(`The checkpoint names detector state ${partial.state} for ${partial.unit}, but this run has no checkpoint store; the unit was not resumed.`);
  const text = await deps.checkpoints.get(partial.state);
  if (text === undefined) throw new TrimtabError(`The detector state ${partial.state} of ${partial.unit} is not in the checkpoint store; the unit was not resumed.`);
  if (sha256(text) !== partial.state) throw new TrimtabError(`The detector state read for ${partial.unit} does not match its hash ${partial.state}; the unit was not resumed.`);
  return { cursor: partial.cursor, states: statesFromLines(text) };
}

/** Below this many milliseconds left a resumable run starts no new unit (one unit must list, detect and act in what is left). */
export const UNIT_TIME_MARGIN_MS = 120_000;

/** A unit of a resumable run: one resource type in one region. */
export const unitKey = (resourceType: string, region: string) => `${resourceType}@${region}`;

export interface RunError {
  policies: string[];
  region: string;
  resourceType: string;
  error: string;
}

export interface RunSummary {
  findings: number;
  actionable: number;
  protected: number;
  conflicts: number;
  estimatedMonthlySavingsUsd: number;
  actionsApplied: number;
  actionsFailed: number;
  awaitingApproval: number;
  durationMs: number;
  /** Non-protected findings and their overlap-free savings by benefit (absent on results built by hand: see tallyOf in lib/report/totals.ts). */
  byBenefit?: Record<BenefitGroup, Tally>;
  /** Overlap-free savings by resource type. */
  byResourceType?: Record<string, number>;
  /** Findings whose change another policy also proposed for the same resource (their saving counts once). */
  overlapping?: number;
  /**
   * Detector × resource pairs not evaluated because an enrichment read failed (see
   * `RunResult.unevaluated`); absent on results built by hand.
   */
  notEvaluated?: number;
}

export interface RunResult {
  /** Every finding; with a sink, only those acted on or sent for approval (see `detail`). */
  findings: FindingResult[];
  actions: ActionRecord[];
  errors: RunError[];
  summary: RunSummary;
  /** 'all' (no sink): `findings` is complete. 'acted-on': the rest went to the sink and are only counted here. */
  detail?: 'all' | 'acted-on';
  /** Counts and savings per policy, by status, benefit and outcome: exact whatever `detail` says. */
  policies?: PolicyTally[];
  /** A resumable run that stopped before its last unit: pass it back as `resumable.checkpoint` (RunOptions.resumable). */
  checkpoint?: SweepCheckpoint;
  /**
   * Detectors that could not be evaluated on some resources because a read they need failed,
   * grouped by policy, detector, region and reason, counted with a sample of ids
   * (lib/engine/partial.ts). Everything else was evaluated. Absent on results built by hand.
   */
  unevaluated?: Unevaluated[];
}

/** Below this many milliseconds left, no new action starts (it would not finish and verify). */
export const ACTION_TIME_MARGIN_MS = 10_000;

/**
 * The estimated saving of a set of findings. Two policies may flag the same resource for the
 * same action (e.g. "older than 90 days" and "orphaned" on one snapshot): such a saving counts once.
 */
export function totalSavings(findings: Finding[]): number {
  const best = new Map<string, number>();
  for (const f of findings) {
    const key = overlapKey(f);
    best.set(key, Math.max(best.get(key) ?? 0, f.savings.monthlyUsd));
  }
  return usd([...best.values()].reduce((sum, v) => sum + v, 0));
}

const effectiveMode = (policy: Policy, options: RunOptions): Mode => (options.forceDryRun ? 'dry-run' : policy.mode);

export async function runPolicies(options: RunOptions, deps: EngineDeps): Promise<RunResult> {
  const started = performance.now();
  const now = deps.now?.() ?? new Date();
  const errors: RunError[] = [];
  const policies = options.targets ? options.policies.filter((p) => p.resource === options.targets!.resourceType) : options.policies;
  const policyById = new Map(policies.map((p) => [p.id, p]));
  const streaming = Boolean(options.sink);
  // Without a sink every finding is kept (callers that show them all); with one, only those acted on.
  const all: FindingResult[] = [];
  const retained: FindingResult[] = [];
  const tally = new FindingTally();
  const final = async (f: FindingResult) => {
    tally.add(f);
    if (options.sink) await options.sink.write(f);
  };
  const actsOn = (f: FindingResult) => f.status === 'actionable' && f.plan !== undefined && effectiveMode(policyById.get(f.policy)!, options) !== 'dry-run';
  /** Recorded (onFindings), then either kept to act on or final at once (reported, would-apply, protected, conflict). */
  const settle = async (batch: FindingResult[]) => {
    // Recorded before anything is acted on: if the audit trail cannot be written, nothing changes.
    if (batch.length) await deps.onFindings?.(batch);
    for (const f of batch) {
      if (actsOn(f)) {
        retained.push(f);
        continue;
      }
      if (f.status === 'actionable' && f.plan) f.outcome = 'would-apply';
      await final(f);
    }
  };
  const unevaluated = new UnevaluatedTally();
  const secondOpinion = newSecondOpinionRun();
  const ownerLookups = newOwnerLookups();
  /** A page of findings: Compute Optimizer's second opinion (before planning, so it can veto), then the plans. */
  const planned = async (batch: FindingResult[], region: string, here: Policy[]) => {
    await withSecondOpinion(batch, here, region, deps, secondOpinion);
    const base = await regionPrices(deps, region);
    for (const finding of batch) {
      try {
        planFinding(finding, policyById.get(finding.policy)!, now, base);
      } catch (error) {
        // A plan that cannot be made is this finding's failure, never the run's.
        finding.outcome = 'failed';
        finding.outcomeDetail = `planning failed: ${errorMessage(error)}`;
        finding.status = 'report-only';
      }
    }
    // Owned resources (lib/ownership): report, skip, direct with a drift warning, or through the owner. Read-only,
    // except in approval mode: a via-owner change set is made (not executed) and checked before approval is asked.
    const approvalCtx = regionContext(deps, region, deps.clients.withWrites(true), now);
    await consultOwners(batch, (id) => policyById.get(id)!, regionContext(deps, region, deps.clients.withWrites(false), now), ownerLookups, (id) => (effectiveMode(policyById.get(id)!, options) === 'approval' ? approvalCtx : undefined));
    if (streaming) await settle(batch);
    else regionFindings.push(...batch);
  };
  let regionFindings: FindingResult[] = [];
  const resumable = options.resumable;
  const done = new Set(resumable?.checkpoint?.done ?? []);
  const doneNow: string[] = [];
  let stopped = false;
  const partialIn = resumable?.checkpoint?.partial;
  let partialOut: SweepCheckpoint['partial'];

  units: for (const resourceType of new Set(policies.map((p) => p.resource))) {
    const group = policies.filter((p) => p.resource === resourceType);
    for (const region of regionsOf(group, options, deps)) {
      const unit = unitKey(resourceType, region);
      if (done.has(unit)) continue;
      // At least one unit per invocation, so a loop over invocations always moves on.
      if (resumable && doneNow.length > 0 && deps.remainingMs && deps.remainingMs() < (resumable.marginMs ?? UNIT_TIME_MARGIN_MS)) {
        deps.log?.('sweep checkpoint: out of time before the next unit', { next: unit, done: done.size + doneNow.length });
        stopped = true;
        break units;
      }
      const resuming = partialIn?.unit === unit ? partialIn : undefined;
      const here = group.filter((p) => (p.scope.regions ?? options.regions ?? deps.defaultRegions).includes(region));
      const retainedBefore = retained.length;
      regionFindings = [];
      const pairsBefore = unevaluated.pairs.length;
      let splitAt: Awaited<ReturnType<typeof detectInRegion>>;
      try {
        const split: UnitSplit | undefined = resumable
          ? {
              ...(resuming ? { from: await loadSplit(resuming, deps) } : {}),
              ...(deps.remainingMs ? { stop: () => deps.remainingMs!() < (resumable.pageMarginMs ?? PAGE_TIME_MARGIN_MS) } : {}),
              ...(deps.checkpoints ? { store: deps.checkpoints } : {}),
            }
          : undefined;
        splitAt = await detectInRegion(resourceType, region, here, options, deps, now, (batch) => planned(batch, region, here), unevaluated, split);
        all.push(...regionFindings);
        // Recorded before anything is acted on, like the findings.
        if (unevaluated.pairs.length > pairsBefore) await deps.onUnevaluated?.(unevaluated.pairs.slice(pairsBefore));
      } catch (error) {
        deps.log?.('listing failed', { resourceType, region, error: errorMessage(error) });
        errors.push({ policies: here.map((p) => p.id), region, resourceType, error: errorMessage(error) });
        // A listing that failed part-way: nothing from it is acted on. Kept findings are discarded
        // (as before); streamed ones were already written, and those waiting to be acted on are skipped.
        for (const f of retained.splice(retainedBefore)) {
          skip(f, `not acted on: listing ${resourceType} in ${region} failed part-way (${errorMessage(error)})`);
          await final(f);
        }
      }
      if (splitAt) {
        // Stopped after a page: what was found so far is acted on below; the next invocation goes on from the cursor.
        const names = Object.keys(splitAt.states);
        let state: string | undefined;
        let stateChars = 0;
        if (names.length) {
          // Hashed, then written, a line at a time (a million snapshots' windows are tens of MB: never one string).
          const hash = createHash('sha256');
          for (const line of stateLines(splitAt.states)) {
            hash.update(line);
            stateChars += line.length;
          }
          state = hash.digest('hex');
          try {
            await deps.checkpoints!.put(state, stateLines(splitAt.states));
          } catch (error) {
            if (names.every((n) => n === PREPARED_STATE_KEY)) {
              // Only what prepare() and the region-wide reads gave; no detector holds anything: the unit goes on from the
              // cursor alone, and the next invocation reads those again (as before savePrepared).
              deps.log?.('sweep checkpoint: preparation not kept, the next invocation reads it again', { unit, listed: splitAt.listed, error: errorMessage(error) });
              partialOut = { unit, cursor: splitAt.cursor };
              stopped = true;
              break units;
            }
            // The state could not be kept (e.g. DynamoDB still throttling after the store's retries). What was
            // found so far is acted on below, as at any stop; the unit ends here without a resume point (a
            // resumed unit without its detectors' state would judge wrongly, and a unit started over would
            // act twice on what this invocation acts on). The next unit goes on in the next invocation; the
            // error names what was not done. The next scheduled sweep lists the unit again.
            const message = `The checkpoint state of ${unit} could not be kept (${errorMessage(error)}): the unit stopped after ${splitAt.listed} resources and is not resumed in this sweep. What was found so far was acted on; the rest of the unit, and the conclusions of ${names.filter((n) => n !== PREPARED_STATE_KEY).join(', ')} over the whole unit, wait for the next scheduled sweep.`;
            deps.log?.('sweep checkpoint: state not kept, unit ended without a resume point', { unit, listed: splitAt.listed, stateChars, error: errorMessage(error) });
            errors.push({ policies: here.map((p) => p.id), region, resourceType, error: message });
            doneNow.push(unit);
            stopped = true;
            break units;
          }
        }
        partialOut = { unit, cursor: splitAt.cursor, ...(state ? { state } : {}) };
        deps.log?.('sweep checkpoint: out of time inside a unit', { unit, listed: splitAt.listed, stateChars });
        stopped = true;
        break units;
      }
      doneNow.push(unit);
    }
  }
  // The action history the cooldown check reads (one Query per acting policy), read while the findings are
  // recorded: both are done before anything is acted on. Not with a confirmation prompt (a person may take
  // minutes: the history is read after the answer).
  const histories = new Map<string, Promise<Map<string, ActionRecord>>>();
  if (!streaming && !options.confirm) {
    for (const id of new Set(all.filter((f) => actsOn(f) && effectiveMode(policyById.get(f.policy)!, options) === 'auto').map((f) => f.policy))) {
      const history = lastActions(deps.store, id);
      history.catch(() => {}); // awaited in applyAll; a failure there is the policy's, as before
      histories.set(id, history);
    }
  }
  if (!streaming) await settle(all);

  const actions: ActionRecord[] = [];
  // Actions started per policy, from the earlier invocations of this sweep on (limits.maxActionsPerRun).
  const acted = new Map<string, number>(Object.entries(resumable?.checkpoint?.acted ?? {}));
  const acting = onePerResource(retained);
  const pendingWrites = acting.filter((f) => effectiveMode(policyById.get(f.policy)!, options) === 'auto');
  const confirmed = pendingWrites.length === 0 || !options.confirm || (await options.confirm(pendingWrites));
  for (const policy of policies) {
    const mine = acting.filter((f) => f.policy === policy.id);
    if (mine.length === 0) continue;
    const mode = effectiveMode(policy, options);
    if (mode === 'approval') {
      await requestApproval(policy, mine, deps);
    } else if (!confirmed) {
      for (const f of mine) skip(f, 'not confirmed: nothing was changed');
    } else {
      actions.push(...(await applyAll(policy, mine, options, deps, acted, histories.get(policy.id))));
    }
  }
  for (const f of retained) await final(f);
  const checkpoint: SweepCheckpoint | undefined = stopped
    ? {
        done: [...(resumable?.checkpoint?.done ?? []), ...doneNow],
        acted: Object.fromEntries([...acted].filter(([, n]) => n > 0)),
        invocations: (resumable?.checkpoint?.invocations ?? 0) + 1,
        ...(partialOut ? { partial: partialOut } : {}),
      }
    : undefined;

  return {
    findings: streaming ? retained : all,
    actions,
    errors,
    detail: streaming ? 'acted-on' : 'all',
    ...(checkpoint ? { checkpoint } : {}),
    policies: tally.byPolicy(),
    unevaluated: unevaluated.list(),
    summary: {
      findings: tally.findings,
      actionable: tally.actionable,
      protected: tally.protectedCount,
      conflicts: tally.conflicts,
      estimatedMonthlySavingsUsd: tally.estimatedMonthlySavingsUsd,
      actionsApplied: actions.filter((a) => a.status === 'verified' || a.status === 'applied').length,
      actionsFailed: actions.filter((a) => a.status === 'failed').length,
      awaitingApproval: tally.awaitingApproval,
      durationMs: Math.round(performance.now() - started),
      byBenefit: tally.byBenefit(),
      byResourceType: tally.byResourceType(),
      overlapping: tally.overlapping,
      notEvaluated: unevaluated.pairs.length,
    },
  };
}

/** The outcome detail of an approval-mode finding when the run has no approval workflow: no request was made. */
export const NO_APPROVAL_WORKFLOW = 'approval mode: needs a person to approve (no approval workflow connected in this run)';

/** How a finding left out by onePerResource says why (outputs list them under this heading). */
export const ONE_CHANGE_PER_RESOURCE = 'one change per resource per run';

/**
 * One change per resource per run: when several policies would change one resource (an instance
 * both idle and oversized: stop it, or resize it), the change with the largest estimated saving
 * is made (or sent for approval) and the others are skipped, saying which change was chosen;
 * the next run looks at the resource again. Changes of one action that composes
 * (Remediator.composes: S3 lifecycle rules merged by id) are all kept. Returns the findings to act on.
 */
export function onePerResource(findings: FindingResult[]): FindingResult[] {
  const byResource = new Map<string, FindingResult[]>();
  for (const f of findings) byResource.set(f.resource.arn, [...(byResource.get(f.resource.arn) ?? []), f]);
  const left = new Set<FindingResult>();
  for (const group of byResource.values()) {
    if (group.length < 2) continue;
    const winner = group.reduce((best, f) => (f.savings.monthlyUsd > best.savings.monthlyUsd ? f : best));
    const composes = remediators(winner.resource.type).get(winner.plan!.action).composes === true;
    for (const f of group) {
      if (f === winner || (composes && f.plan!.action === winner.plan!.action)) continue;
      left.add(f);
      skip(
        f,
        `${ONE_CHANGE_PER_RESOURCE}: ${winner.policy} (${winner.plan!.action}, est. $${usd(winner.savings.monthlyUsd).toFixed(2)}/month) is the one change considered for ${f.resource.id} in this run, ` +
          `so ${f.plan!.action} is left out (its saving is not counted again); the next run looks at it afresh.`,
      );
    }
  }
  return findings.filter((f) => !left.has(f));
}

/** Compute Optimizer's recommendation on findings that propose a size, before planning (lib/compute-optimizer). */
async function withSecondOpinion(found: FindingResult[], policies: Policy[], region: string, deps: EngineDeps, run: SecondOpinionRun) {
  await attachSecondOpinion(found, policies, { account: deps.account, region, clients: deps.clients.withWrites(false), log: deps.log }, run);
}

function regionsOf(group: Policy[], options: RunOptions, deps: EngineDeps): string[] {
  if (options.targets?.region) return [options.targets.region];
  const regions = new Set<string>();
  for (const policy of group) for (const region of policy.scope.regions ?? options.regions ?? deps.defaultRegions) regions.add(region);
  // A CLI --region narrows the policies' own regions.
  return [...regions].filter((r) => !options.regions || options.regions.includes(r));
}

export function regionContext(deps: EngineDeps, region: string, clients: AwsClients, now: Date, account = deps.account): RegionContext {
  return { account, region, clients, now, clock: deps.clock ?? systemClock, prices: pricesWith(undefined), log: deps.log ?? (() => {}), ...(deps.store ? { audit: auditReader(deps.store) } : {}) };
}

interface PolicyPass {
  policy: Policy;
  detector: Detector;
  /** What the detector asked the module to gather, with this policy's options. */
  needs: string[];
  pass: DetectorPass<unknown>;
  ctx: RegionContext;
  /** A stateful pass that did not see every resource (a read it needs failed on some): its finish() is not trusted. */
  incomplete?: ReadFailure;
  incompleteNeeds?: string[];
}

/** Lists and detects; hands each page's findings (then the passes' final ones) to `emit` as they are made. */
async function detectInRegion(
  resourceTypeId: string,
  region: string,
  policies: Policy[],
  options: RunOptions,
  deps: EngineDeps,
  now: Date,
  emit: (findings: FindingResult[]) => Promise<void>,
  unevaluated: UnevaluatedTally = new UnevaluatedTally(),
  split?: UnitSplit,
): Promise<{ cursor: ListCursor; states: Record<string, unknown>; listed: number } | undefined> {
  const resourceType = resourceTypes.get(resourceTypeId);
  // Listing and detection never write, whatever the mode.
  const base = regionContext(deps, region, deps.clients.withWrites(false), now);
  // A failed enrichment read is recorded here and costs only the detectors that need it (lib/engine/partial.ts).
  const gaps = new ReadGaps((item) => resourceType.ref(item, base).arn);
  const ctx: RegionContext = { ...base, gaps };
  const needs = new Set(policies.flatMap((p) => needsOf(detectors(resourceTypeId).get(p.detector.type), p.detector)));
  const regional = await regionPrices(deps, region);
  // A unit resumed part-way takes what the first invocation's prepare() read from the saved state (ResourceType.savePrepared).
  const savedPrepared = split?.from?.states[PREPARED_STATE_KEY];
  const prepared = savedPrepared !== undefined && resourceType.restorePrepared ? resourceType.restorePrepared(ctx, savedPrepared as Record<string, unknown>) : await resourceType.prepare?.(ctx, needs);
  const passes: PolicyPass[] = policies.map((policy) => {
    const detector = detectors(resourceTypeId).get(policy.detector.type);
    const { type: _type, ...detectorOptions } = policy.detector;
    const policyCtx = { ...ctx, prices: pricesWith(policy.prices, regional) };
    const env = { ctx: policyCtx, prepared };
    if (split?.from && detector.pass && !(policy.id in split.from.states)) {
      throw new TrimtabError(`The checkpoint of ${resourceTypeId} in ${region} holds no state for policy ${policy.id} (detector ${detector.id}); the unit was not resumed.`);
    }
    const pass: DetectorPass<unknown> = detector.pass
      ? detector.pass(detectorOptions, env, split?.from?.states[policy.id])
      : { observe: (r) => toArray(detector.detect!(r, detectorOptions, env)), finish: () => [] };
    return { policy, detector, needs: needsOf(detector, policy.detector), pass, ctx: policyCtx };
  });
  /** The detector lacks a need on this resource: not evaluated on it (when the policy could want it), with the reason. */
  const lacking = (p: PolicyPass, item: unknown): boolean => {
    const missing = gaps.missing(item, p.needs);
    if (missing.length === 0) return false;
    const resource = resourceType.ref(item, ctx);
    if (p.detector.pass && !p.incomplete) {
      p.incomplete = missing[0].failure;
      p.incompleteNeeds = missing.map((m) => m.need);
    }
    if (inScope(p.policy.scope, resource)) unevaluated.add({ policy: p.policy.id, detector: p.detector.id, needs: missing.map((m) => m.need), reason: missing[0].failure, resource });
    return true;
  };

  let results: FindingResult[] = [];
  const collect = (p: PolicyPass, detections: Detection[], fallback?: unknown) => {
    for (const detection of detections) {
      if (!detection.resource && fallback === undefined) {
        throw new Error(`Detector '${p.detector.id}' returned a detection from finish() without its resource; a stateful pass must set detection.resource.`);
      }
      const resource = detection.resource ?? resourceType.ref(fallback, ctx);
      if (!inScope(p.policy.scope, resource)) continue;
      results.push(toFinding(p, { ...detection, resource }, options));
    }
  };

  /**
   * The module's enrichment of a page. Reads it runs through `enrichmentRead` record their own
   * failures; a read failure that still escapes costs every need of this call on the page, and
   * the page goes on un-enriched (detectors that need nothing still see it).
   */
  const enrichOrGaps = async (items: unknown[], read = resourceType.enrich!): Promise<unknown[]> => {
    try {
      return await read(ctx, items, prepared, needs);
    } catch (error) {
      if (!isReadFailure(error) || needs.size === 0) throw error;
      const failure = describeFailure(error, `${resourceTypeId} enrichment`);
      deps.log?.('enrichment read failed', { resourceType: resourceTypeId, region, operation: failure.operation, code: failure.code });
      gaps.fail(items, [...needs], failure);
      return items;
    }
  };

  let listed = 0;
  const ids = options.targets?.ids;
  // Scopes before enrichment: a resource no policy can want costs no per-resource read. Not
  // with a stateful pass, which may compare a resource with ones outside its scope.
  const scopeFirst = resourceType.enrich && !passes.some((p) => p.detector.pass);
  const wanted = (item: unknown) => passes.some((p) => mayBeInScope(p.policy.scope, resourceType.ref(item, ctx), Boolean(resourceType.tagsListed)));
  // Lazy enrichment (ResourceType.refine): only the resources a stateless detector flagged are refined, then detected again.
  const refine = resourceType.refine;
  const refineAll = Boolean(refine) && passes.some((p) => p.detector.pass);
  // A split unit: the listing goes on from the cursor (a resumable module, an unnarrowed listing).
  const resumes = Boolean(resourceType.resumable && !ids);
  if (split?.from && !resumes) throw new TrimtabError(`The checkpoint resumes ${resourceTypeId} in ${region} part-way, but that listing cannot go on from a cursor; the unit was not resumed.`);
  // Stateful passes need somewhere to keep what they hold; every one of them must say what that is.
  const splittable = resumes && passes.every((p) => !p.detector.pass || (p.pass.save && split?.store));
  for await (const page of resourceType.list(ctx, prepared, ids, resumes ? split?.from?.cursor : undefined)) {
    const kept = scopeFirst ? page.filter(wanted) : page;
    let enriched = resourceType.enrich ? (kept.length ? await enrichOrGaps(kept) : []) : page;
    if (refine && refineAll && enriched.length) enriched = await enrichOrGaps(enriched, refine);
    const flagged: unknown[] = [];
    for (const item of enriched) {
      if (!refine || refineAll) {
        for (const p of passes) if (!lacking(p, item)) collect(p, p.pass.observe(item), item);
        continue;
      }
      // A first look that records nothing: gaps are counted once, on the detection that stands.
      const found = passes.map((p) => (gaps.missing(item, p.needs).length ? [] : p.pass.observe(item)));
      if (found.some((d) => d.length)) flagged.push(item);
      else passes.forEach((p, i) => !lacking(p, item) && collect(p, found[i], item));
    }
    if (refine && flagged.length) {
      for (const item of await enrichOrGaps(flagged, refine)) for (const p of passes) if (!lacking(p, item)) collect(p, p.pass.observe(item), item);
    }
    listed += page.length;
    deps.onProgress?.({ phase: 'list', resourceType: resourceTypeId, region, listed });
    // Page by page: nothing holds the region's findings (a streaming run writes them out now).
    await emit(results);
    results = [];
    const cursor = splittable ? cursorOf(page) : undefined;
    // Out of time after at least one page, with more to list and every pass complete: stop here (RunOptions.resumable).
    if (cursor && split?.stop?.() && !passes.some((p) => p.incomplete)) {
      const states: Record<string, unknown> = {};
      for (const p of passes) if (p.detector.pass) states[p.policy.id] = p.pass.save!();
      // What prepare() read goes with it, where there is a store for it (a unit without stateful passes splits on the cursor alone otherwise).
      if (resourceType.savePrepared && prepared !== undefined && split?.store) states[PREPARED_STATE_KEY] = resourceType.savePrepared(prepared);
      return { cursor, states, listed };
    }
  }
  // A pass's final detections (e.g. every orphan at once) go out a page at a time too.
  for (const p of passes) {
    if (p.incomplete) {
      // It compares resources and did not see them all: its conclusions are not evaluated, never guessed.
      for (const detection of p.pass.finish()) {
        if (detection.resource && inScope(p.policy.scope, detection.resource)) unevaluated.add({ policy: p.policy.id, detector: p.detector.id, needs: p.incompleteNeeds ?? [], reason: p.incomplete, resource: detection.resource });
      }
      continue;
    }
    let chunk: Detection[] = [];
    for (const detection of p.pass.finish()) {
      chunk.push(detection);
      if (chunk.length < FINISH_CHUNK) continue;
      collect(p, chunk);
      chunk = [];
      await emit(results);
      results = [];
    }
    collect(p, chunk);
  }
  await emit(results);
  return undefined;
}

/** Detections from a pass's finish() turned into findings and emitted this many at a time. */
const FINISH_CHUNK = 1000;

/** A detector's needs, evaluated with the policy's detector options when they depend on them. */
function needsOf(detector: Detector, options: Policy['detector']): string[] {
  if (typeof detector.needs !== 'function') return detector.needs ?? [];
  const { type: _type, ...rest } = options;
  return detector.needs(rest);
}

const toArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function toFinding(p: PolicyPass, detection: Detection & { resource: Finding['resource'] }, options: RunOptions): FindingResult {
  const protection = protectionOf(detection.resource);
  const status = protection ? 'protected' : (detection.status ?? 'actionable');
  return {
    ...detection,
    id: shortHash({ policy: p.policy.id, arn: detection.resource.arn, detector: p.detector.id }),
    policy: p.policy.id,
    detector: p.detector.id,
    status: status === 'actionable' && !p.policy.action ? 'report-only' : status,
    reason: protection ? `${detection.reason} Protected: ${protection}.` : detection.reason,
    mode: effectiveMode(p.policy, options),
    savings: detection.savings ? withSource(detection.savings, p.ctx.prices) : { monthlyUsd: 0, basis: ['No estimate from this detector.'] },
    benefit: benefitOf(detection),
    outcome: 'reported',
    // A module's own protection (too little data, AMI reference, …): its reason from evidence.protection, else the detection's.
    ...(protection
      ? { outcomeDetail: protection }
      : status === 'protected'
        ? { outcomeDetail: typeof detection.evidence.protection === 'string' ? detection.evidence.protection : detection.reason }
        : {}),
  };
}

/** The undo text a person reads: how, then what it cannot bring back (lib/engine/types.ts, Plan.undoLimits). */
export const undoWithLimits = (undo: string, limits: string | undefined) => (limits ? `${undo.trimEnd()} Cannot bring back: ${limits}` : undo);

/** A savings estimate whose basis ends with where its prices come from (issue 27), once. */
function withSource<S extends { monthlyUsd: number; basis: string[] }>(savings: S, prices: PriceTable): S {
  // Without a price book (old callers) the table is the embedded one and the basis is as before.
  if (!prices.source) return savings;
  const line = sourceLine(prices.source);
  return savings.basis.includes(line) ? savings : { ...savings, basis: [...savings.basis, line] };
}

function planFinding(finding: FindingResult, policy: Policy, now: Date, base: PriceTable = DEFAULT_PRICES) {
  if (finding.status !== 'actionable' || !policy.action) return;
  const remediator = remediators(policy.resource).get(policy.action.type);
  const { type: _type, ...actionOptions } = policy.action;
  const prices = pricesWith(policy.prices, base);
  const result = remediator.plan(finding, actionOptions, { now, prices });
  if (result.kind === 'conflict') {
    finding.status = 'conflict';
    finding.outcomeDetail = result.reason;
    return;
  }
  if (result.kind === 'noop') {
    finding.status = 'report-only';
    finding.outcomeDetail = result.reason;
    return;
  }
  // The plan's estimate replaces the detector's: Compute Optimizer's after-discounts figure is put beside its list price again.
  if (result.savings) finding.savings = withAfterDiscounts(withSource(result.savings, prices), finding);
  finding.plan = {
    action: remediator.id,
    summary: result.summary,
    params: result.params as Record<string, unknown>,
    // Every "Undo:" a person reads (report, email, page, CLI, audit record) says what it cannot bring back.
    undo: undoWithLimits(result.undo, result.undoLimits ?? remediator.undoLimits),
    ...((result.undoLimits ?? remediator.undoLimits) ? { undoLimits: result.undoLimits ?? remediator.undoLimits } : {}),
    hash: shortHash({ policy: policy.id, arn: finding.resource.arn, action: remediator.id, params: result.params }),
  };
}

async function requestApproval(policy: Policy, findings: FindingResult[], deps: EngineDeps) {
  if (!deps.approvals) {
    for (const f of findings) {
      f.outcome = 'awaiting-approval';
      f.outcomeDetail = NO_APPROVAL_WORKFLOW;
    }
    return;
  }
  let requested: { approvalId: string; detail?: string };
  try {
    requested = await deps.approvals.request(policy, findings, deps.account);
  } catch (error) {
    // One policy's approval request failing (e.g. no approvers) must not stop the other policies.
    deps.log?.('approval request failed', { policy: policy.id, error: errorMessage(error) });
    for (const f of findings) {
      f.outcome = 'failed';
      f.outcomeDetail = `approval request failed: ${errorMessage(error)}`;
    }
    return;
  }
  const { approvalId, detail } = requested;
  for (const f of findings) {
    f.outcome = 'awaiting-approval';
    f.outcomeDetail = detail ?? `approval ${approvalId}`;
  }
}

/** The most recent action per resource for a policy: one store read per policy, not per resource. */
async function lastActions(store: ActionStore, policy: string): Promise<Map<string, ActionRecord>> {
  const latest = new Map<string, ActionRecord>();
  for (const record of await store.list({ policy })) {
    // Undone actions count too: a person reverted that change, so trimtab must not redo it.
    if (!['applied', 'verified', 'undone'].includes(record.status)) continue;
    const previous = latest.get(record.resource.arn);
    if (!previous || previous.transitions[0].at < record.transitions[0].at) latest.set(record.resource.arn, record);
  }
  return latest;
}

async function applyAll(
  policy: Policy,
  findings: FindingResult[],
  options: RunOptions,
  deps: EngineDeps,
  actedBySweep = new Map<string, number>(),
  history?: Promise<Map<string, ActionRecord>>,
): Promise<ActionRecord[]> {
  const latest = await (history ?? lastActions(deps.store, policy.id));
  // A remediator may require a longer cooldown than the policy's (tuning must not ratchet).
  const { type: actionType, ...actionOptions } = policy.action ?? { type: '' };
  const floor = actionType ? (remediators(policy.resource).get(actionType).minCooldownHours?.(actionOptions) ?? 0) : 0;
  const cooldownHours = Math.max(policy.limits.cooldownHours, floor);
  const records: ActionRecord[] = [];
  // A resumable sweep's earlier invocations count against the per-run limit.
  let acted = actedBySweep.get(policy.id) ?? 0;
  for (const finding of findings) {
    const now = deps.now?.() ?? new Date();
    const previous = latest.get(finding.resource.arn);
    if (previous?.planHash === finding.plan!.hash) {
      skip(
        finding,
        previous.status === 'undone'
          ? `undone: ${previous.id} made this exact change and a person undid it; trimtab will not redo it`
          : `already applied as ${previous.id}: this exact change was made before`,
      );
      continue;
    }
    if (previous && now.getTime() - Date.parse(previous.transitions[0].at) < cooldownHours * 3_600_000) {
      skip(finding, `cooldown: ${previous.id} acted on this resource less than ${cooldownHours} h ago`);
      continue;
    }
    if (acted >= policy.limits.maxActionsPerRun) {
      skip(finding, `limit: at most ${policy.limits.maxActionsPerRun} actions per run for this policy`);
      continue;
    }
    // A remediator's own timing rule (a maintenance window): not now, and nothing is written.
    const deferred = actionType ? remediators(policy.resource).get(actionType).deferUntil?.(actionOptions, now) : undefined;
    if (deferred) {
      skip(finding, `deferred: ${deferred.why}`);
      continue;
    }
    if (deps.remainingMs && deps.remainingMs() < ACTION_TIME_MARGIN_MS) {
      skip(finding, 'deferred: the invocation is about to time out; the next run picks it up');
      continue;
    }
    try {
      const { record, replayed } = await applyOnce(policy, finding, options.actor ?? 'auto', deps);
      // A replay (another delivery already made this change) did nothing now: not counted, not reported again.
      if (replayed) continue;
      acted += 1;
      actedBySweep.set(policy.id, acted);
      records.push(record);
    } catch (error) {
      if (error instanceof ActionInProgressError) {
        skip(finding, `in progress: ${error.message}`);
        continue;
      }
      // The audit trail refused this action's record (a conflicting writer, a table still
      // throttled after retries). This action stops here; the rest of the batch goes on. No
      // change is made without its 'planned' record, and the next run re-reads the resource.
      finding.outcome = 'failed';
      finding.outcomeDetail = `not recorded, so not done: ${errorMessage(error)}`;
      deps.log?.('action could not be recorded', { policy: policy.id, resource: finding.resource.arn, error: errorMessage(error) });
      continue;
    }
    deps.onProgress?.({ phase: 'act', acted, total: findings.length });
  }
  return records;
}

function skip(finding: FindingResult, why: string) {
  finding.outcome = 'skipped';
  finding.outcomeDetail = why;
}

export function newRecord(policy: Policy, finding: Finding, mode: Mode, actor: string, now: Date, id?: string): ActionRecord {
  const remediator = remediators(policy.resource).get(finding.plan!.action);
  return {
    id: id ?? newActionId(now),
    findingId: finding.id,
    policy: policy.id,
    resource: finding.resource,
    action: finding.plan!.action,
    summary: finding.plan!.summary,
    params: finding.plan!.params,
    planHash: finding.plan!.hash,
    mode,
    actor,
    status: 'planned',
    transitions: [{ status: 'planned', at: now.toISOString() }],
    before: finding.before ?? null,
    estimatedMonthlySavingsUsd: usd(finding.savings.monthlyUsd),
    undo: { supported: remediator.undoable, how: finding.plan!.undo, ...(finding.plan!.undoLimits ? { limits: finding.plan!.undoLimits } : {}) },
  };
}

/** Record a status change and save it (one JSONL line or one DynamoDB put per transition). */
export async function transition(record: ActionRecord, status: ActionStatus, deps: Pick<EngineDeps, 'store' | 'onTransition' | 'now'>, detail?: string, finding?: Finding) {
  record.status = status;
  record.transitions.push({ status, at: (deps.now?.() ?? new Date()).toISOString(), ...(detail ? { detail } : {}) });
  await deps.store.put(record);
  await deps.onTransition?.(record, finding);
}

/** How one call of applyOneStep runs (the approval workflow: one change, or one step of it, per invocation). */
export interface ApplyStepOptions {
  /** The id the new action record gets (the workflow names it in the approval record before the engine writes anything). */
  actionId?: string;
  /** Resume this action record (recorded steps in its transitions) instead of starting a new one; bypasses idempotency. */
  resume?: ActionRecord;
  /** This invocation's time budget (Lambda getRemainingTimeInMillis); default deps.remainingMs. */
  remainingMs?: () => number;
  /**
   * A change that answers `resumeAt` is left in progress and returned with it (the workflow waits, then
   * calls again with `resume`). Without it (auto and CLI runs) the engine waits on its clock and resumes in-process.
   */
  yieldAtResume?: boolean;
}

export interface AppliedStep {
  record: ActionRecord;
  /** Set when the action is still in progress: call again at or after this time with `resume: record`. */
  resumeAt?: string;
  replayed: boolean;
}

/**
 * Apply, verify and record one planned finding. Used by auto mode and by approved plans.
 * With `deps.idempotency`, the change is made at most once per policy + resource + plan hash:
 * a replay returns the earlier record and marks the finding skipped. A concurrent run of the
 * same change throws ActionInProgressError. A multi-step change that answers `resumeAt` is
 * waited for on the engine's clock and resumed in-process.
 */
export async function applyOne(policy: Policy, finding: FindingResult, actor: string, deps: EngineDeps, mode: Mode = 'auto'): Promise<ActionRecord> {
  return (await applyOnce(policy, finding, actor, deps, mode)).record;
}

/** One call of a change for the workflow: a new action, or the resumption of one in progress (ApplyStepOptions). */
export async function applyOneStep(policy: Policy, finding: FindingResult, actor: string, deps: EngineDeps, mode: Mode, options: ApplyStepOptions): Promise<AppliedStep> {
  return applyOnce(policy, finding, actor, deps, mode, options);
}

/** applyOne, telling whether the action was a replay of one another delivery already made. */
async function applyOnce(policy: Policy, finding: FindingResult, actor: string, deps: EngineDeps, mode: Mode = 'auto', options: ApplyStepOptions = {}): Promise<AppliedStep> {
  // Resuming the action this same key already started: the idempotency key is held by it, so it must not block it.
  if (!deps.idempotency || options.resume) return { ...(await applyUnguarded(policy, finding, actor, deps, mode, options)), replayed: false };
  let resumeAt: string | undefined;
  // The record exists before the claim is attempted, so the claim and its first put can be one write (lib/audit/idempotency.ts).
  const planned = newRecord(policy, finding, mode, actor, deps.now?.() ?? new Date(), options.actionId);
  const { record, replayed } = await deps.idempotency.once({ policy: policy.id, resource: finding.resource.arn, planHash: finding.plan!.hash }, async (claim) => {
    const done = await applyUnguarded(policy, finding, actor, deps, mode, { ...options, planned: { record: planned, recorded: claim?.recorded === true } });
    resumeAt = done.resumeAt;
    // apply() threw before anything was written: release the key so a later delivery may retry.
    const wroteNothing = (done.record.status === 'failed' || done.record.status === 'skipped') && !done.record.transitions.some((t) => t.status === 'applied' || t.status === 'in-progress');
    return { record: done.record, keep: !wroteNothing };
  }, { record: planned, store: deps.store });
  if (replayed) {
    finding.actionId = record.id;
    skip(finding, `already done: ${record.id} (${record.status}) made this exact change; a repeated delivery never acts twice`);
  }
  return { record, replayed, ...(resumeAt && !replayed ? { resumeAt } : {}) };
}

/** The steps a multi-step change recorded so far (ApplyEnv.progress), oldest first. */
export const recordedSteps = (record: ActionRecord): StepProgress[] => record.transitions.flatMap((t) => (t.step ? [t.step] : []));

async function applyUnguarded(
  policy: Policy,
  finding: FindingResult,
  actor: string,
  deps: EngineDeps,
  mode: Mode,
  options: ApplyStepOptions & { planned?: { record: ActionRecord; recorded: boolean } } = {},
): Promise<{ record: ActionRecord; resumeAt?: string }> {
  const remediator = remediators(policy.resource).get(finding.plan!.action);
  const now = () => deps.now?.() ?? new Date();
  const record = options.resume ?? options.planned?.record ?? newRecord(policy, finding, mode, actor, now(), options.actionId);
  if (!options.resume) {
    // Already stored when the claim carried it (one transaction); otherwise stored here, before anything is changed.
    if (!options.planned?.recorded) await deps.store.put(record);
    await deps.onTransition?.(record, finding);
  }
  finding.actionId = record.id;
  const budget = options.remainingMs ?? deps.remainingMs;
  try {
    // A finding in another account (an approval applied by the hub) acts with that account's clients.
    const clients = (await clientsForAccount(deps, finding.resource.account)).withWrites(true);
    const ctx = { ...regionContext(deps, finding.resource.region, clients, now(), finding.resource.account), prices: pricesWith(policy.prices, await regionPrices(deps, finding.resource.region)) };
    let applied: AppliedChange;
    for (;;) {
      const env: ApplyEnv = {
        progress: recordedSteps(record),
        // Durable before the remediator starts the next step: a timeout after it resumes from here.
        record: async (step) => {
          record.status = 'in-progress';
          record.transitions.push({ status: 'in-progress', at: now().toISOString(), detail: step.step, step: structuredClone(step) });
          await deps.store.put(record);
          await deps.onTransition?.(record, finding);
        },
        remainingMs: () => budget?.() ?? Number.POSITIVE_INFINITY,
      };
      const stepsBefore = env.progress.length;
      // A plan through the resource's owner (policy owned.choice via-owner) writes only through the owner's API.
      applied = viaOwnerOf(finding.plan!) ? await applyViaOwner(ctx, finding.plan!, env) : await remediator.apply(ctx, finding.plan as never, finding, env);
      if (!applied.resumeAt) break;
      const at = Date.parse(applied.resumeAt);
      if (Number.isNaN(at)) throw new TrimtabError(`The ${remediator.id} change answered an unreadable resume time '${applied.resumeAt}'.`);
      if (!options.yieldAtResume) {
        // In-process (auto, CLI): resuming helps only if the wait fits what is left of this run and
        // the change moves on; otherwise it ends here, recorded part-way (its steps are in the record).
        const clock = deps.clock ?? systemClock;
        const wait = Math.max(0, at - clock.now().getTime());
        const madeProgress = recordedSteps(record).length > stepsBefore || wait > 0;
        if (!madeProgress || (budget && wait > budget() - ACTION_TIME_MARGIN_MS)) {
          throw new TrimtabError(`${remediator.id} stopped part-way (steps done: ${recordedSteps(record).map((p) => p.step).join(', ') || 'none'}): this run has no time left to resume it at ${new Date(at).toISOString()}; the action record holds each step taken`);
        }
      }
      // Recorded as waiting, in progress: never left looking finished or untouched.
      record.status = 'in-progress';
      record.transitions.push({ status: 'in-progress', at: now().toISOString(), detail: `waiting until ${new Date(at).toISOString()}${applied.detail ? `: ${applied.detail}` : ''}` });
      await deps.store.put(record);
      await deps.onTransition?.(record, finding);
      if (options.yieldAtResume) {
        finding.outcomeDetail = `in progress: resumes at ${new Date(at).toISOString()}`;
        return { record, resumeAt: new Date(at).toISOString() };
      }
      // Auto and CLI runs: wait on the engine's clock (virtual in the sandbox), then resume in-process.
      const clock = deps.clock ?? systemClock;
      await clock.sleep(Math.max(0, at - clock.now().getTime()));
    }
    if (applied.before !== undefined) record.before = applied.before;
    record.after = applied.after;
    // The verification read does not wait for the 'applied' record: both are sent at once and both are
    // awaited; a failure to record 'applied' still fails the action (the read's answer is then unused).
    const verifying = viaOwnerOf(finding.plan!) ? verifyViaOwner(ctx, finding.plan!) : remediator.verify(ctx, finding.plan as never, applied);
    const [recorded, verified] = await Promise.allSettled([transition(record, 'applied', deps, applied.detail, finding), verifying]);
    if (recorded.status === 'rejected') throw recorded.reason;
    if (verified.status === 'rejected') throw verified.reason;
    const verification = verified.value;
    // A `direct` change to a resource its tags say a stack owns: what drift detection says now (issue 28).
    const owner = finding.ownerWarning ? finding.owner : undefined;
    if (verification.ok && owner?.kind === 'cloudformation' && owner.stackName && owner.logicalId) {
      verification.detail = `${verification.detail}; ${await driftAfterDirect(ctx, owner.stackName, owner.logicalId, finding.resource.id)}`;
    }
    record.verification = verification;
    if (!verification.ok && verification.pending) {
      // The change is in place but not visible yet: stay 'applied' (undoable, counted), not 'failed'.
      await deps.store.put(record);
      finding.outcome = 'applied';
    } else {
      await transition(record, verification.ok ? 'verified' : 'failed', deps, verification.detail, finding);
      finding.outcome = verification.ok ? 'applied' : 'failed';
    }
    finding.outcomeDetail = verification.detail;
  } catch (error) {
    record.error = { name: (error as Error).name ?? 'Error', message: errorMessage(error) };
    if (error instanceof ProtectedResourceError) {
      // Found protected at the last moment: nothing was changed; report it like any protection.
      await transition(record, 'skipped', deps, `protected: ${errorMessage(error)}`, finding);
      finding.status = 'protected';
      finding.outcome = 'skipped';
      finding.outcomeDetail = errorMessage(error);
      return { record };
    }
    await transition(record, 'failed', deps, errorMessage(error), finding);
    finding.outcome = 'failed';
    finding.outcomeDetail = errorMessage(error);
  }
  return { record };
}
