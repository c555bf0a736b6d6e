/**
 * Lambda glue for the trigger functions (functions/event.ts, alarm.ts, alarm-sync.ts): builds
 * the handlers' deps from the cached Lambda deps, saves the sandbox after each invocation and
 * emits metrics. The logic is in lib/triggers/, tested without Lambda.
 */
import type { Context } from 'aws-lambda';
import { handleAlarm, handleResourceEvent, type TriggerDeps, type TriggerResult } from '../triggers/handlers.ts';
import { defaultPersistence, type IdempotencyPersistence } from '../triggers/idempotency.ts';
import { lambdaDeps, remainingMs, type LambdaDeps } from './deps.ts';
import { logger, metrics, MetricUnit } from './powertools.ts';


export function triggerDeps(context: Context | undefined, deps: LambdaDeps, persistence: IdempotencyPersistence = defaultPersistence(deps.engine.clients, deps.audit.pending)): TriggerDeps {
  return {
    policies: deps.policies.policies,
    engine: { ...deps.engine, remainingMs: remainingMs(context) },
    persistence,
    log: (message, data) => logger.info(message, data ?? {}),
  };
}

function emit(result: TriggerResult) {
  metrics.addMetric(result.status === 'acted' ? 'TriggersActed' : 'TriggersSkipped', MetricUnit.Count, 1);
  const applied = result.outcomes.flatMap((o) => o.actions).filter((a) => a.status === 'verified').length;
  if (applied) metrics.addMetric('RemediationsApplied', MetricUnit.Count, applied);
}

export async function runEventTrigger(event: unknown, context: Context | undefined, given?: LambdaDeps, persistence?: IdempotencyPersistence) {
  const deps = given ?? (await lambdaDeps({}, context));
  deps.begin(context);
  try {
    const result = await handleResourceEvent(event, triggerDeps(context, deps, persistence));
    emit(result);
    return result;
  } finally {
    // Sends the audit events, publishes metrics and saves the sandbox.
    await deps.finish();
  }
}

export async function runAlarmTrigger(event: unknown, context: Context | undefined, given?: LambdaDeps, persistence?: IdempotencyPersistence) {
  const deps = given ?? (await lambdaDeps({}, context));
  deps.begin(context);
  try {
    const result = await handleAlarm(event, triggerDeps(context, deps, persistence));
    emit(result);
    return result;
  } finally {
    // Sends the audit events, publishes metrics and saves the sandbox.
    await deps.finish();
  }
}

export { alarmSyncInputSchema, runAlarmSync, type AlarmSyncDeps } from './alarm-sync.ts';
