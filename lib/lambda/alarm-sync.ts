/**
 * Lambda glue for the alarm reconciler (functions/alarm-sync.ts). Apart from triggers.ts: it
 * needs the policies and the account's clients, not the audit trail or the idempotency table.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { JsonlActionStore } from '../audit/store.ts';
import { reconcileAlarms } from '../triggers/alarms.ts';
import { lambdaClients, lambdaPolicies } from './bundle.ts';
import type { LambdaDeps } from './deps.ts';
import { scheduledInput } from './input.ts';
import { logger, metrics, MetricUnit } from './powertools.ts';

/** The reconciler's input: its schedule passes {}; `{ "dryRun": true }` reports only. Anything else is refused. */
export const alarmSyncInputSchema = z.strictObject({ dryRun: z.boolean().optional() });

/** What the reconciler needs: the policies and the account's clients. */
export type AlarmSyncDeps = Pick<LambdaDeps, 'policies' | 'engine' | 'finish'>;

/**
 * The reconciler reads resources and puts or deletes alarms: no audit trail and no approval
 * workflow (its role grants neither), so its bundle carries no DynamoDB or EventBridge client.
 */
async function alarmSyncDeps(context: Context | undefined): Promise<AlarmSyncDeps> {
  const { clients, account, sandbox } = await lambdaClients(context);
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    policies: await lambdaPolicies(),
    engine: {
      account,
      clients,
      // Never written by the reconciler; the engine's type asks for a store.
      store: new JsonlActionStore(process.env.TRIMTAB_HISTORY_FILE ?? '/tmp/trimtab-actions.jsonl'),
      defaultRegions: (process.env.TRIMTAB_REGIONS ?? region).split(',').map((r) => r.trim()).filter(Boolean),
      log: (message, data) => logger.info(message, data ?? {}),
    },
    finish: async () => {
      sandbox?.save(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json');
    },
  };
}

/** The alarm reconciler; `{ "dryRun": true }` as input reports without writing. */
export async function runAlarmSync(event: unknown, context: Context | undefined, given?: AlarmSyncDeps) {
  const deps = given ?? (await alarmSyncDeps(context));
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
