/**
 * The resource-event and alarm handlers, without Lambda: parse (trimtab's zod envelope, resolvers.ts),
 * resolve the resources, select the matching policies, run the engine on only those
 * resources, dispatch by mode (the engine does), and say what happened.
 *
 * Outcomes: `acted` (the matching policies ran on the resolved resources; their findings and
 * actions are in the result), `skipped` (unrelated, no matching policy, not found, alarm not
 * in ALARM, or already handled: `reason` says which). Malformed input throws InvalidEventError.
 */
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyPersistenceLayerError, IdempotencyRecordStatus, makeIdempotent, type IdempotencyItemAlreadyExistsError } from '@aws-lambda-powertools/idempotency';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { JSONValue } from '@aws-lambda-powertools/commons/types';
import { runPolicies, type EngineDeps, type RunError, type RunResult, type RunSummary } from '../engine/run.ts';
import type { Policy } from '../policy/load.ts';
import { InvalidEventError } from '../util/errors.ts';
import type { IdempotencyPersistence } from './idempotency.ts';
import { ALARM_DETAIL_TYPE, ALARM_SOURCE, alarmDetailSchema, alarmTargets, issuesOf, parseDetail, parseEnvelope, resolveEvent, type EventBridgeEnvelopeData, type Target } from './resolvers.ts';
import { policiesForAlarm, policiesForEvent } from './select.ts';

export interface TriggerDeps {
  policies: Policy[];
  engine: EngineDeps;
  persistence: IdempotencyPersistence;
  log?: (message: string, data?: Record<string, unknown>) => void;
}

export interface TargetOutcome {
  policy: string;
  resourceType: string;
  region: string;
  ids: string[];
  status: 'acted' | 'skipped';
  reason: string;
  findings: Array<{ resourceId: string; status: string; outcome: string; detail?: string; actionId?: string }>;
  actions: Array<{ id: string; resourceId: string; action: string; status: string }>;
  summary?: RunSummary;
  errors?: RunError[];
  /** An alarm storm: an earlier delivery already handled this alarm, resource and policy. */
  replayed?: boolean;
}

export interface TriggerResult {
  trigger: 'event' | 'alarm';
  eventId: string;
  source: string;
  detailType: string;
  status: 'acted' | 'skipped';
  reason: string;
  alarm?: { name: string; state: string; stateChangedAt: string };
  targets: Target[];
  policies: string[];
  outcomes: TargetOutcome[];
}

/** Keep redelivered EventBridge events out for as long as EventBridge retries (24 h). */
export const EVENT_DEDUP_SECONDS = 24 * 3600;

const skipped = (base: Omit<TriggerResult, 'status' | 'reason' | 'outcomes' | 'targets' | 'policies'> & Partial<TriggerResult>, reason: string): TriggerResult => ({
  targets: [],
  policies: [],
  outcomes: [],
  ...base,
  status: 'skipped',
  reason,
});

function baseOf(trigger: TriggerResult['trigger'], envelope: EventBridgeEnvelopeData) {
  return { trigger, eventId: envelope.id, source: envelope.source, detailType: envelope['detail-type'] };
}

/** Run policies on one target: only those resources, in the event's region. */
async function runOnTarget(policies: Policy[], target: Target, actor: string, deps: TriggerDeps, account?: string): Promise<TargetOutcome[]> {
  const outOfScope = policies.filter((p) => p.scope.regions && !p.scope.regions.includes(target.region));
  const inScope = policies.filter((p) => !outOfScope.includes(p));
  const outcomes: TargetOutcome[] = outOfScope.map((p) => ({
    policy: p.id,
    ...target,
    status: 'skipped',
    reason: `out of scope: ${target.region} is not in the policy's regions (${p.scope.regions!.join(', ')})`,
    findings: [],
    actions: [],
  }));
  if (inScope.length === 0) return outcomes;
  let listed = 0;
  // An event forwarded from a member account (hub and spokes, lib/org) is acted on with that account's role.
  const member = account && account !== deps.engine.account && deps.engine.accountClients ? { account, clients: await deps.engine.accountClients(account) } : {};
  const result = await runPolicies(
    { policies: inScope, targets: target, regions: [target.region], actor },
    {
      ...deps.engine,
      ...member,
      onProgress: (p) => {
        if (p.phase === 'list') listed = p.listed ?? listed;
        deps.engine.onProgress?.(p);
      },
    },
  );
  for (const policy of inScope) outcomes.push(outcomeOf(policy, target, result, listed));
  return outcomes;
}

function outcomeOf(policy: Policy, target: Target, result: RunResult, listed: number): TargetOutcome {
  const findings = result.findings.filter((f) => f.policy === policy.id);
  const actions = result.actions.filter((a) => a.policy === policy.id);
  const errors = result.errors.filter((e) => e.policies.includes(policy.id));
  const base = { policy: policy.id, ...target, summary: result.summary, ...(errors.length ? { errors } : {}) };
  const shaped = {
    findings: findings.map((f) => ({ resourceId: f.resource.id, status: f.status, outcome: f.outcome, ...(f.outcomeDetail ? { detail: f.outcomeDetail } : {}), ...(f.actionId ? { actionId: f.actionId } : {}) })),
    actions: actions.map((a) => ({ id: a.id, resourceId: a.resource.id, action: a.action, status: a.status })),
  };
  if (errors.length) return { ...base, ...shaped, status: 'skipped', reason: `listing failed: ${errors.map((e) => e.error).join('; ')}` };
  if (listed === 0) {
    return { ...base, ...shaped, status: 'skipped', reason: `not found: no ${target.resourceType} ${target.ids.join(', ')} in ${target.region} (deleted since the event?)` };
  }
  const what = findings.length
    ? findings.map((f) => `${f.resource.id}: ${f.outcome}${f.outcomeDetail ? ` (${f.outcomeDetail})` : ''}`).join('; ')
    : `${target.ids.join(', ')}: nothing to do (the detector found no waste)`;
  return { ...base, ...shaped, status: 'acted', reason: `${policy.id} (${policy.mode}) ran on ${what}` };
}

const overall = (outcomes: TargetOutcome[]): Pick<TriggerResult, 'status' | 'reason'> => {
  const acted = outcomes.filter((o) => o.status === 'acted');
  return acted.length
    ? { status: 'acted', reason: acted.map((o) => o.reason).join(' | ') }
    : { status: 'skipped', reason: outcomes.map((o) => `${o.policy}: ${o.reason}`).join(' | ') };
};

// ---------------------------------------------------------------------------------------

/** A resource event (CloudTrail, EBS, Auto Scaling…): the policies whose `event` pattern matches. */
export async function handleResourceEvent(event: unknown, deps: TriggerDeps): Promise<TriggerResult> {
  const envelope = parseEnvelope(event);
  const base = baseOf('event', envelope);
  const resolution = resolveEvent(event, envelope);
  if (resolution.kind === 'unrelated') return logged(deps, skipped(base, `unrelated: ${resolution.reason}`));

  const matching = policiesForEvent(deps.policies, event);
  const targets = resolution.targets;
  const types = new Set(targets.map((t) => t.resourceType));
  const runnable = matching.filter((p) => types.has(p.resource));
  if (runnable.length === 0) {
    const reason = matching.length
      ? `no matching policy is about ${[...types].join(', ')} (matched: ${matching.map((p) => `${p.id} → ${p.resource}`).join(', ')})`
      : `no policy's event pattern matches this ${envelope['detail-type']} event (event policies: ${deps.policies.filter((p) => p.triggers.some((t) => 'event' in t)).map((p) => p.id).join(', ') || 'none'})`;
    return logged(deps, skipped({ ...base, targets }, reason));
  }

  // One event can arrive through several rules (overlapping patterns): handle its id once.
  const handle = makeIdempotent(
    async (_input: { id: string; account: string }) => {
      const outcomes: TargetOutcome[] = [];
      for (const target of targets) {
        outcomes.push(...(await runOnTarget(runnable.filter((p) => p.resource === target.resourceType), target, `event:${envelope['detail-type']}`, deps, envelope.account)));
      }
      return outcomes as unknown as JSONValue;
    },
    {
      persistenceStore: deps.persistence.forExpiry(EVENT_DEDUP_SECONDS),
      config: idempotencyConfig(deps, { expiresAfterSeconds: EVENT_DEDUP_SECONDS }),
      keyPrefix: 'trimtab-event',
    },
  );
  let outcomes: TargetOutcome[];
  try {
    outcomes = (await handle({ id: envelope.id, account: envelope.account })) as unknown as TargetOutcome[];
  } catch (error) {
    if (error instanceof IdempotencyAlreadyInProgressError) return logged(deps, skipped({ ...base, targets }, `duplicate: event ${envelope.id} is being handled by another invocation`));
    throw error;
  }
  return logged(deps, { ...base, targets, policies: runnable.map((p) => p.id), outcomes, ...overall(outcomes) });
}

// ---------------------------------------------------------------------------------------

const HOUR_S = 3600;
/** The alarm key's prefix (the records' ids are `trimtab-alarm#<hash>`). */
const ALARM_KEY_PREFIX = 'trimtab-alarm';
/** Lambda's longest run: an in-progress record older than this belongs to a dead invocation. */
const MAX_INVOCATION_MS = 15 * 60_000;

/** Powertools sets the in-progress expiry from the remaining time; outside Lambda, assume the longest. */
function idempotencyConfig(deps: TriggerDeps, options: ConstructorParameters<typeof IdempotencyConfig>[0]) {
  const config = new IdempotencyConfig(options);
  const remaining = () => Math.min(deps.engine.remainingMs?.() ?? MAX_INVOCATION_MS, MAX_INVOCATION_MS);
  config.registerLambdaContext({ getRemainingTimeInMillis: remaining } as unknown as Context);
  return config;
}

/** What the idempotency key is made of: the alarm, the resource, and the cooldown window (see docs/triggers.md). */
export interface AlarmActKey {
  alarm: string;
  account: string;
  region: string;
  policy: string;
  resourceType: string;
  resourceId: string;
  /** With a cooldown, the window is the cooldown itself (the record expires with it); without, the state change. */
  window: string;
}

/** A CloudWatch alarm state change: the policies whose `alarm` names it, on the resources in its dimensions. */
export async function handleAlarm(event: unknown, deps: TriggerDeps): Promise<TriggerResult> {
  const envelope = parseEnvelope(event);
  const base = baseOf('alarm', envelope);
  if (envelope.source !== ALARM_SOURCE || envelope['detail-type'] !== ALARM_DETAIL_TYPE) {
    return logged(deps, skipped(base, `unrelated: the alarm function takes '${ALARM_DETAIL_TYPE}' from ${ALARM_SOURCE}, not '${envelope['detail-type']}' from ${envelope.source}`));
  }
  const parsed = parseDetail(event, alarmDetailSchema);
  if (!parsed.success) {
    throw new InvalidEventError(`Malformed alarm state change ${envelope.id}: ${issuesOf(parsed.error)}`);
  }
  const detail = parsed.data;
  const alarm = { name: detail.alarmName, state: detail.state.value, stateChangedAt: detail.state.timestamp };
  if (detail.state.value !== 'ALARM') {
    return logged(deps, skipped({ ...base, alarm }, `alarm '${detail.alarmName}' is ${detail.state.value}: trimtab acts only when an alarm goes into ALARM; nothing to do`));
  }
  const matching = policiesForAlarm(deps.policies, detail.alarmName);
  if (matching.length === 0) {
    return logged(deps, skipped({ ...base, alarm }, `unrelated: no policy has an alarm trigger for '${detail.alarmName}'`));
  }
  const resolution = alarmTargets(detail, envelope.region);
  if (resolution.kind === 'unrelated') return logged(deps, skipped({ ...base, alarm, policies: matching.map((p) => p.id) }, `unrelated: ${resolution.reason}`));
  const targets = resolution.targets;

  const outcomes: TargetOutcome[] = [];
  for (const policy of matching) {
    const mine = targets.filter((t) => t.resourceType === policy.resource);
    if (mine.length === 0) {
      outcomes.push({
        policy: policy.id,
        resourceType: policy.resource,
        region: envelope.region,
        ids: [],
        status: 'skipped',
        reason: `the alarm names no ${policy.resource} (it names ${targets.map((t) => `${t.resourceType} ${t.ids.join(', ')}`).join('; ')})`,
        findings: [],
        actions: [],
      });
      continue;
    }
    for (const target of mine) for (const id of target.ids) outcomes.push(await actOnce(policy, { ...target, ids: [id] }, envelope, detail.alarmName, detail.state.timestamp, deps));
  }
  return logged(deps, { ...base, alarm, targets, policies: matching.map((p) => p.id), outcomes, ...overall(outcomes) });
}

/** The alarm's key was already claimed by another delivery: the run that started alongside the claim stops before it writes anything. */
class AlarmKeyTaken extends Error {
  constructor(readonly existing: IdempotencyRecord) {
    super('the alarm key is taken');
  }
}

/**
 * One alarm, one resource, one policy: at most once per cooldown, on Powertools' persistence layer and
 * record format. The claim of the alarm's key is sent alongside the first read of the run (reads change
 * nothing) and awaited before the run's first write (the findings' record): a delivery that finds the key
 * taken stops there, having only read. Then, as makeIdempotent does: a taken key answers the first
 * delivery's stored outcome (COMPLETED) or "in progress"; a run that throws releases the key; a run that
 * ends completes it with its outcome (the completion is one of the writes awaited at the end of the
 * invocation, lib/audit/pending.ts).
 */
async function actOnce(policy: Policy, target: Target, envelope: EventBridgeEnvelopeData, alarmName: string, stateChangedAt: string, deps: TriggerDeps): Promise<TargetOutcome> {
  const cooldownSeconds = Math.round(policy.limits.cooldownHours * HOUR_S);
  const key: AlarmActKey = {
    alarm: alarmName,
    account: envelope.account,
    region: target.region,
    policy: policy.id,
    resourceType: target.resourceType,
    resourceId: target.ids[0],
    window: cooldownSeconds > 0 ? `cooldown:${cooldownSeconds}s` : `state-change:${stateChangedAt}`,
  };
  const expiresAfterSeconds = cooldownSeconds > 0 ? cooldownSeconds : HOUR_S;
  const layer = deps.persistence.forExpiry(expiresAfterSeconds);
  layer.configure({ config: idempotencyConfig(deps, { expiresAfterSeconds }), keyPrefix: ALARM_KEY_PREFIX });
  const inProgressMs = Math.min(deps.engine.remainingMs?.() ?? MAX_INVOCATION_MS, MAX_INVOCATION_MS);
  // Sent now, awaited before the first write (and before this function returns).
  const claim: Promise<IdempotencyRecord | undefined> = layer.saveInProgress(key as unknown as JSONValue, inProgressMs).then(
    () => undefined,
    async (error: Error) => {
      if (error.name !== 'IdempotencyItemAlreadyExistsError') throw error;
      return (error as IdempotencyItemAlreadyExistsError).existingRecord ?? (await layer.getRecord(key as unknown as JSONValue));
    },
  );
  claim.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
  const claimed = async () => {
    const existing = await claim;
    if (existing) throw new AlarmKeyTaken(existing);
  };
  const gated: TriggerDeps = {
    ...deps,
    engine: {
      ...deps.engine,
      // The run's first writes: the findings and the detectors it could not evaluate; every action comes after them.
      onFindings: async (findings) => {
        await claimed();
        await deps.engine.onFindings?.(findings);
      },
      onUnevaluated: async (pairs) => {
        await claimed();
        await deps.engine.onUnevaluated?.(pairs);
      },
    },
  };
  let outcome: TargetOutcome & { handledAt: string; stateChangedAt: string };
  try {
    const [ran] = await runOnTarget([policy], target, `alarm:${alarmName}`, gated, envelope.account);
    await claimed();
    outcome = { ...ran, handledAt: (deps.engine.now?.() ?? new Date()).toISOString(), stateChangedAt };
  } catch (error) {
    const taken = error instanceof AlarmKeyTaken ? error : await claimed().then(() => undefined, (e: unknown) => (e instanceof AlarmKeyTaken ? e : undefined));
    if (taken) return alarmStorm(policy, target, alarmName, taken.existing);
    // The run failed with the key ours: release it (as makeIdempotent does) so a later delivery may act.
    if (!(await claim.then(() => true, () => false))) throw error;
    await layer.deleteRecord(key as unknown as JSONValue).catch((release: Error) => {
      throw new IdempotencyPersistenceLayerError('Failed to delete record from idempotency store', { cause: release });
    });
    throw error;
  }
  await layer.saveSuccess(key as unknown as JSONValue, outcome as unknown as JSONValue);
  return outcome;
}

/** What a delivery answers when an earlier one holds the alarm's key: its outcome, or that it is acting now. */
function alarmStorm(policy: Policy, target: Target, alarmName: string, existing: IdempotencyRecord): TargetOutcome {
  if (existing.getStatus() === IdempotencyRecordStatus.INPROGRESS) {
    return { policy: policy.id, ...target, status: 'skipped', reason: `alarm storm: another delivery of '${alarmName}' is acting on ${target.ids[0]} right now`, findings: [], actions: [], replayed: true };
  }
  const first = existing.getResponse() as unknown as TargetOutcome & { handledAt: string; stateChangedAt: string };
  return {
    ...first,
    replayed: true,
    status: 'skipped',
    reason: `alarm storm: '${alarmName}' already triggered ${policy.id} on ${target.ids[0]} at ${first.handledAt} (state change ${first.stateChangedAt}); not again within the ${policy.limits.cooldownHours} h cooldown`,
    findings: [],
    actions: [],
  };
}

function logged(deps: TriggerDeps, result: TriggerResult): TriggerResult {
  deps.log?.(`trigger ${result.status}`, { trigger: result.trigger, eventId: result.eventId, detailType: result.detailType, reason: result.reason, policies: result.policies });
  return result;
}
