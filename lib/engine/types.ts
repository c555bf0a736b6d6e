/**
 * The core model: resource modules (how to list a resource type), detectors (pure decisions
 * over what was listed) and remediators (plan → apply → verify → undo), and what flows
 * between them: findings, plans and action records.
 */
import type { z } from 'zod';
import type { AwsClients } from '../aws/clients.ts';
import type { PriceTable } from '../savings/prices.ts';
import type { Clock } from '../util/clock.ts';
import type { ReadGaps } from './partial.ts';
import type { Owner } from '../ownership/owners.ts';

export type Mode = 'dry-run' | 'auto' | 'approval';

/** What every finding says about the resource it is about. */
export interface ResourceRef {
  type: string;
  id: string;
  arn: string;
  account: string;
  region: string;
  tags: Record<string, string>;
}

/** A monthly dollar estimate and the assumptions behind it. Unknown inputs give 0, never a guess. */
export interface SavingsEstimate {
  monthlyUsd: number;
  basis: string[];
}

/**
 * Why a finding is or is not acted on.
 * - actionable: the policy's action may be planned for it;
 * - protected: it looks wasteful but must not be touched (the reason says why);
 * - conflict: the change would clash with something a person configured;
 * - report-only: the policy has no action, or the detector only reports.
 */
export type FindingStatus = 'actionable' | 'protected' | 'conflict' | 'report-only';

/**
 * Which way a change helps: it saves money (cost), or it removes a risk to the workload such
 * as saturation, throttling or out-of-memory (performance). Some changes do both.
 */
export type Benefit = 'cost' | 'performance';

/**
 * What a performance finding protects against, in words a person can weigh against a dollar
 * figure (e.g. "CPU above 90 % for 31 % of hours").
 */
export interface RiskStatement {
  summary: string;
  /** The measured figures behind the summary. */
  evidence?: Record<string, unknown>;
}

/** Which way a finding helps; findings recorded before `benefit` existed are cost findings. */
export const benefitOf = (finding: { benefit?: Benefit[] }): Benefit[] => (finding.benefit?.length ? finding.benefit : ['cost']);

/** What a detector returns for one resource. */
export interface Detection {
  /** Filled in by the engine from the resource module for per-resource detectors. */
  resource?: ResourceRef;
  /** One sentence a person can read: why this resource was flagged. */
  reason: string;
  /** The numbers that led to the decision. */
  evidence: Record<string, unknown>;
  status?: Exclude<FindingStatus, 'report-only'>;
  savings?: SavingsEstimate;
  /** The current state a remediator needs for planning and undo. */
  before?: unknown;
  /** Which way acting on it helps; the engine defaults to ['cost']. */
  benefit?: Benefit[];
  /** For performance findings: the risk the change removes. */
  risk?: RiskStatement;
}

/** What the engine reports: a detection tied to its policy, with the planned action. */
export interface Finding extends Omit<Detection, 'status'> {
  status: FindingStatus;
  resource: ResourceRef;
  /** Stable id: policy + resource + detector. */
  id: string;
  policy: string;
  detector: string;
  mode: Mode;
  savings: SavingsEstimate;
  /** Set by the engine on every finding it makes (see `benefitOf` for older records). */
  benefit?: Benefit[];
  plan?: Plan;
  /** Who owns the resource (lib/ownership): set on every finding the engine planned a change for. */
  owner?: Owner;
  /** A `direct` change to an owned resource: what the owner will do about it (revert, drift). */
  ownerWarning?: string;
}

/** A remediator's plan for one finding: pure data, safe to store and show to approvers. */
export interface Plan<P = Record<string, unknown>> {
  action: string;
  /** What will change, in words. */
  summary: string;
  params: P;
  /** How the change can be undone, in words (or why it cannot). */
  undo: string;
  /**
   * What an undo cannot bring back, in words (expired versions, a released address someone may
   * take, data lost on stop): shown after every "Undo:" text. Absent only in records older than it.
   */
  undoLimits?: string;
  /** Hash of policy + resource + action + params: the idempotency key of the action. */
  hash: string;
}

export type PlanResult<P> =
  /** `undoLimits`: this plan's own "cannot bring back" text; default the remediator's `undoLimits`. */
  | { kind: 'change'; summary: string; params: P; undo: string; undoLimits?: string; savings?: SavingsEstimate }
  | { kind: 'conflict'; reason: string }
  | { kind: 'noop'; reason: string };

/** Everything a module needs to work in one account and region. */
export interface RegionContext {
  account: string;
  region: string;
  /** Clients for the account's resources. In dry-run they refuse every mutating call. */
  clients: AwsClients;
  now: Date;
  /** Waits for AWS go through this clock (virtual time in tests), never setTimeout. */
  clock: Clock;
  prices: PriceTable;
  log: (message: string, data?: Record<string, unknown>) => void;
  /**
   * Read-only lookups in trimtab's own audit trail: a decision is a record, never a tag. A module
   * that acts under an earlier decision resolves the id a tag points to here (in enrich, a page at
   * a time) and checks the record itself. Absent (old callers): every decision is "not found".
   */
  audit?: AuditReader;
  /**
   * While the engine lists and enriches: where a failed enrichment read is recorded, so that it
   * costs only the detectors that need it (lib/engine/partial.ts, `enrichmentRead`). Absent
   * elsewhere (apply, verify, undo): a failed read throws.
   */
  gaps?: ReadGaps;
}

/** Read-only access to action records, batched: one call per page of resources, never one per resource. */
export interface AuditReader {
  /** The action records with these ids; ids with no record are absent from the map. */
  actions(ids: readonly string[]): Promise<Map<string, ActionRecord>>;
}

/** How a resource type is listed. Pages are streamed; nothing holds the whole inventory. */
export interface ResourceType<R = any, Prepared = any> {
  id: string;
  title: string;
  /** IAM actions needed to list and enrich this resource type. */
  permissions: string[];
  /** Once per account, region and run: shared lookups (e.g. every AMI's snapshots). */
  prepare?(ctx: RegionContext, needs: ReadonlySet<string>): Promise<Prepared>;
  /**
   * The resources, page by page. `ids` narrows the listing (event-driven runs). `from`: go on
   * where an earlier invocation stopped (only for a `resumable` module, never with `ids`).
   */
  list(ctx: RegionContext, prepared: Prepared, ids?: readonly string[], from?: string): AsyncIterable<R[]>;
  /**
   * The listing can stop after any page and go on in another invocation: every page of an
   * unnarrowed listing carries where it goes on (lib/engine/checkpoint.ts, withCursor), and
   * `list(…, from)` starts there. A resumable sweep then splits one unit across invocations.
   */
  resumable?: boolean;
  /**
   * What `prepare` read, as JSON-able data (arrays and plain values, one level deep), for a
   * resumable sweep that stops inside this unit: kept with the detectors' state, so the next
   * invocation hands it to `restorePrepared` and does not read it again (one read per unit, as in
   * a single invocation). Absent: every invocation runs `prepare`.
   */
  savePrepared?(prepared: Prepared): Record<string, unknown>;
  /** `prepare`'s result back from what `savePrepared` kept (the engine checked its hash); a shape it did not write is an error. */
  restorePrepared?(ctx: RegionContext, saved: Record<string, unknown>): Prepared;
  /** Batched per-page lookups the detectors asked for through `needs`. */
  enrich?(ctx: RegionContext, page: R[], prepared: Prepared, needs: ReadonlySet<string>): Promise<R[]>;
  /**
   * Lazy enrichment: per-resource reads that only a detection needs (what a finding states, never
   * whether there is one). The engine calls it with the resources of a page on which a detector
   * returned a detection, then runs the detectors on what it returns instead; resources with no
   * detection cost no such read. With a stateful pass in the run, every resource is refined.
   */
  refine?(ctx: RegionContext, resources: R[], prepared: Prepared, needs: ReadonlySet<string>): Promise<R[]>;
  ref(resource: R, ctx: RegionContext): ResourceRef;
  /** Global resource types (S3 buckets) list once per account, not once per region. */
  global?: boolean;
  /** list() gives every resource its complete tags, so tag scopes can apply before enrich. */
  tagsListed?: boolean;
}

/** Per-run data a detector sees besides the resource itself. */
export interface DetectEnv<Prepared = any> {
  ctx: RegionContext;
  prepared: Prepared;
}

/**
 * A stateful pass over a stream of resources: for detectors that compare resources.
 * Detections from `observe` may leave `resource` out (the engine fills it in from the resource
 * observed); detections from `finish` must set it.
 */
export interface DetectorPass<R> {
  observe(resource: R): Detection[];
  /** An array, or a generator: the engine takes the detections a page at a time, so a lazy finish holds none of them at once. */
  finish(): Iterable<Detection>;
  /**
   * What the pass holds between pages, as JSON-able data: a resumable sweep that stops inside a
   * unit keeps it (lib/engine/checkpoint.ts) and the next invocation hands it back to
   * `Detector.pass(options, env, saved)`. Absent: a unit with this pass is never split.
   */
  save?(): unknown;
}

export interface Detector<R = any, O = any, Prepared = any> {
  id: string;
  resource: string;
  title: string;
  /** Options in the policy's `detector` block (besides `type`), with defaults. */
  options: z.ZodObject<any>;
  /**
   * Data the resource module must gather (passed to prepare/enrich). A function of the
   * detector's options when what to fetch depends on them (e.g. a metric window in days).
   */
  needs?: string[] | ((options: O) => string[]);
  permissions?: string[];
  /** Pure: decide about one resource. */
  detect?(resource: R, options: O, env: DetectEnv<Prepared>): Detection | Detection[] | undefined;
  /** For cross-resource decisions (e.g. "keep the newest K per volume"). */
  pass?(options: O, env: DetectEnv<Prepared>, saved?: unknown): DetectorPass<R>;
}

export interface AppliedChange {
  /** The state read right before the write, when fresher than the finding's. */
  before?: unknown;
  /** The state after the change, as re-read or as written. */
  after: unknown;
  detail?: string;
  /**
   * A multi-step change that is not finished (a long AWS wait, or this invocation's time budget
   * ran out between steps): call `apply` again at or after this time with the recorded progress.
   * Every step taken so far has been recorded through `ApplyEnv.record` before this returns.
   */
  resumeAt?: string;
}

/** One step of a multi-step change, recorded (an action-record transition) before the next step starts. */
export interface StepProgress {
  /** The step's name, e.g. `stopped`, `type-modified`, `started`, `rolled-back`. */
  step: string;
  at: string;
  /** What the next invocation needs to resume or compensate (ids, the old value). Small. */
  state?: Record<string, unknown>;
}

/**
 * What the engine hands a multi-step `apply`: the steps an earlier invocation recorded, a way to
 * record the next one before starting the step after it, and this invocation's time budget.
 * Single-call remediators ignore it.
 */
export interface ApplyEnv {
  /** Steps recorded by earlier invocations of this same action, oldest first (empty on the first). */
  progress: StepProgress[];
  /** Records a finished step in the action record (durably) before the caller starts the next. */
  record(step: StepProgress): Promise<void>;
  /** Milliseconds left in this invocation; do not start a step that cannot finish in it. */
  remainingMs(): number;
}

export interface Verification {
  ok: boolean;
  detail: string;
  /**
   * The change was made but AWS does not show it yet (eventual consistency, e.g. S3 lifecycle
   * propagation): the action stays `applied`, with the detail saying how to re-verify.
   */
  pending?: boolean;
}

export interface Remediator<P = any, O = any> {
  id: string;
  resource: string;
  title: string;
  options: z.ZodObject<any>;
  /** IAM actions apply/verify/undo need. */
  permissions: string[];
  /** The mode a policy with this action should start in when it names none. */
  defaultMode?: Mode;
  /** Whether AWS lets this change be undone. */
  undoable: 'yes' | 'best-effort' | 'no';
  /**
   * What no undo of this action brings back, in words (a plan may say it more exactly in its own
   * `undoLimits`). Every action whose undoable is not 'no' has one (test/unit/undo-limits.test.ts).
   */
  undoLimits?: string;
  /**
   * Changes by this action to one resource merge (S3 lifecycle rules, each by its own id): several
   * policies may make it to one resource in one run. Any other two changes to one resource are
   * never made in the same run (lib/engine/run.ts, onePerResource).
   */
  composes?: boolean;
  /**
   * A floor on the per-resource cooldown for this action, whatever the policy's
   * `limits.cooldownHours` says (tuning actions that must not ratchet run after run).
   */
  minCooldownHours?(options: O): number;
  /**
   * When the action may not run now (e.g. outside the policy's maintenance window): the time it
   * may, and why. Auto and CLI runs defer the finding with `why`; nothing is written.
   */
  deferUntil?(options: O, now: Date): { at: string; why: string } | undefined;
  /** Pure: turn a finding into the exact change. */
  plan(finding: Finding, options: O, ctx: { now: Date; prices: PriceTable }): PlanResult<P>;
  /**
   * The only place that writes. "Not found" counts as already done. A multi-step change records
   * each step through `env.record` before the next, resumes from `env.progress`, and returns
   * `resumeAt` instead of sleeping through a long wait or past `env.remainingMs()`.
   */
  apply(ctx: RegionContext, plan: Plan<P>, finding: Finding, env?: ApplyEnv): Promise<AppliedChange>;
  /** Re-reads the real state; a failed verification fails the action. */
  verify(ctx: RegionContext, plan: Plan<P>, applied: AppliedChange): Promise<Verification>;
  /** Restores the before-state; throws UndoRefusedError when it cannot. */
  undo?(ctx: RegionContext, record: ActionRecord): Promise<{ detail: string; after?: unknown }>;
}

export type ActionStatus =
  | 'planned'
  /** A multi-step change part-way: each step taken is a transition carrying its `step`; the next invocation resumes it. */
  | 'in-progress'
  | 'awaiting-approval'
  | 'approved'
  | 'rejected'
  | 'applied'
  | 'verified'
  | 'failed'
  | 'skipped'
  | 'undone';

export interface ActionTransition {
  status: ActionStatus;
  at: string;
  detail?: string;
  /** A step of a multi-step change (ApplyEnv.record), read back as `ApplyEnv.progress` on resume. */
  step?: StepProgress;
}

/** The audit record of one action, from plan to undo. */
export interface ActionRecord {
  id: string;
  findingId: string;
  policy: string;
  resource: ResourceRef;
  action: string;
  summary: string;
  params: unknown;
  planHash: string;
  mode: Mode;
  /** 'auto', 'cli', or the approver's address. */
  actor: string;
  status: ActionStatus;
  transitions: ActionTransition[];
  before: unknown;
  after?: unknown;
  verification?: Verification;
  estimatedMonthlySavingsUsd: number;
  undo: { supported: Remediator['undoable']; how: string; limits?: string };
  error?: { name: string; message: string };
}
