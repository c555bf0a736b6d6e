/**
 * Log groups with no retention ("never expire"): they are billed for every byte ever ingested.
 * The saving depends on the retention the action sets, so the detector reports today's storage
 * cost and the remediator's plan computes what that retention removes.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detection, Detector } from '../../engine/types.ts';
import { GIB, usd } from '../../savings/prices.ts';
import type { LogGroup } from './resource.ts';

const DAY_MS = 86_400_000;

export interface LogGroupBefore {
  group: LogGroup;
}

export const ageDays = (g: LogGroup, now: Date) => Math.max(0, Math.floor((now.getTime() - g.creationTime) / DAY_MS));
export const storedGb = (g: LogGroup) => g.storedBytes / GIB;

export const noRetention: Detector<LogGroup, { minStoredGb: number }> = {
  id: 'no-retention',
  resource: 'log-group',
  title: 'Log group that never expires its events',
  options: z.object({
    /** Skip groups storing less than this (GiB): a few MB never expiring cost nothing worth a change. */
    minStoredGb: z.number().min(0).default(0),
  }),
  detect(g, options, { ctx }): Detection | undefined {
    if (g.retentionInDays !== undefined) return undefined;
    const gb = storedGb(g);
    if (gb < options.minStoredGb) return undefined;
    const monthly = gb * ctx.prices.cloudwatchLogsStorageGbMonth;
    return {
      reason: `Log group keeps its events forever (no retention); it stores ${usd(gb)} GiB ($${usd(monthly)}/month) after ${ageDays(g, ctx.now)} days.`,
      evidence: {
        retention: 'never expire',
        storedGb: usd(gb),
        storedBytes: g.storedBytes,
        ageDays: ageDays(g, ctx.now),
        createdAt: new Date(g.creationTime).toISOString(),
        logGroupClass: g.logGroupClass,
        metricFilterCount: g.metricFilterCount,
        monthlyStorageCostUsd: usd(monthly),
      },
      // The action's retention decides the saving: the plan replaces this estimate.
      savings: { monthlyUsd: 0, basis: [`Stores ${usd(gb)} GiB × $${ctx.prices.cloudwatchLogsStorageGbMonth}/GB-month = $${usd(monthly)}/month; the saving depends on the retention the action sets.`] },
      before: { group: g } satisfies LogGroupBefore,
    };
  },
};
