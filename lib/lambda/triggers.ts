/**
 * Lambda glue for the trigger functions (functions/event.ts, alarm.ts, alarm-sync.ts): builds
 * the handlers' deps from the cached Lambda deps, saves the sandbox after each invocation and
 * emits metrics. The logic is in lib/triggers/, tested without Lambda.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { reconcileAlarms } from '../triggers/alarms.ts';
import { handleAlarm, handleResourceEvent, type TriggerDeps, type TriggerResult } from '../triggers/handlers.ts';
import { defaultPersistence, type IdempotencyPersistence } from '../triggers/idempotency.ts';
import { lambdaDeps, remainingMs, type LambdaDeps } from './deps.ts';
import { logger, metrics, MetricUnit } from './powertools.ts';
import { scheduledInput } from './sweep.ts';

/** The reconciler's input: its schedule passes {}; `{ "dryRun": true }` reports only. Anything else is refused. */
export const alarmSyncInputSchema = z.strictObject({ dryRun: z.boolean().optional() });

export function triggerDeps(context: Context | undefined, deps: LambdaDeps, persistence: IdempotencyPersistence = defaultPersistence(deps.engine.clients)): TriggerDeps {
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

/** The alarm reconciler; `{ "dryRun": true }` as input reports without writing. */
export async function runAlarmSync(event: unknown, context: Context | undefined, given?: LambdaDeps) {
  const deps = given ?? (await lambdaDeps({}, context));
  try {
    const dryRun = scheduledInput(event, alarmSyncInputSchema, 'alarm reconciler').dryRun ?? false;
    const reports = await reconcileAlarms(deps.policies.policies, deps.engine, { dryRun });
    for (const r of reports) {
      metrics.addMetric('AlarmsCreated', MetricUnit.Count, r.created.length);
      metrics.addMetric('AlarmsDeleted', MetricUnit.Count, r.deleted.length);
    }
    return { dryRun, reports };
  } finally {
    await deps.finish();
  }
}
