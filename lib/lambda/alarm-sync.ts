/**
 * Lambda glue for the alarm reconciler (functions/alarm-sync.ts). Apart from triggers.ts: it
 * needs the policies and the account's clients, not the audit trail or the idempotency table.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { reconcileAlarms } from '../triggers/alarms.ts';
import type { LambdaDeps } from './deps.ts';
import { scheduledInput } from './input.ts';
import { readOnlyDeps } from './read-only.ts';
import { logger, metrics, MetricUnit } from './powertools.ts';

/** The reconciler's input: its schedule passes {}; `{ "dryRun": true }` reports only. Anything else is refused. */
export const alarmSyncInputSchema = z.strictObject({ dryRun: z.boolean().optional() });

/** What the reconciler needs: the policies and the account's clients. */
export type AlarmSyncDeps = Pick<LambdaDeps, 'policies' | 'engine' | 'finish'>;

/** The alarm reconciler; `{ "dryRun": true }` as input reports without writing. */
export async function runAlarmSync(event: unknown, context: Context | undefined, given?: AlarmSyncDeps) {
  // Reads resources and puts or deletes alarms: no audit trail, no approval workflow (its role grants neither).
  const deps = given ?? (await readOnlyDeps(context));
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
