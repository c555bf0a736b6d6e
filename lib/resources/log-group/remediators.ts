/**
 * set-retention: PutRetentionPolicy with the retention the policy names. apply re-reads the
 * group (a retention set since the scan is left alone) and its tags (trimtab:skip), then
 * writes. Undo restores "never expire" (DeleteRetentionPolicy), refused when the retention
 * changed since. Events that expired in between are gone for good: undo cannot bring them back.
 */
import { CloudWatchLogsClient, DeleteRetentionPolicyCommand, ListTagsForResourceCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { SKIP_TAG } from '../protection.ts';
import type { Remediator } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName } from '../../util/errors.ts';
import { ageDays, storedGb, type LogGroupBefore } from './detectors.ts';
import { describeLogGroup } from './resource.ts';

/** The values PutRetentionPolicy accepts. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export interface RetentionParams {
  logGroupName: string;
  retentionInDays: number;
}

interface RetentionAfter {
  retentionInDays: number;
  alreadyGone?: boolean;
  /** Someone set a retention between the scan and the action: trimtab wrote nothing. */
  alreadySet?: boolean;
}

/**
 * Share of the stored bytes a retention of R days removes, assuming the group ingested at a
 * steady rate since it was created (age A days): (A − R) / A when A > R, else nothing.
 */
export const removedFraction = (age: number, retention: number) => (age > retention ? (age - retention) / age : 0);

export const setRetention: Remediator<RetentionParams, { retentionDays: number }> = {
  id: 'set-retention',
  resource: 'log-group',
  title: 'Set the log group retention (events older than it are deleted)',
  options: z.object({
    /** Days CloudWatch Logs keeps events; one of the values it accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653. */
    retentionDays: z
      .number()
      .int()
      .default(30)
      .refine((d) => (RETENTION_DAYS as readonly number[]).includes(d), { message: `retentionDays must be one of the values CloudWatch Logs accepts: ${RETENTION_DAYS.join(', ')}` }),
  }),
  permissions: ['logs:DescribeLogGroups', 'logs:ListTagsForResource', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy'],
  // Expiring events deletes data nobody can bring back: a person approves.
  defaultMode: 'approval',
  undoable: 'best-effort',
  undoLimits: "Log events older than the retention, which CloudWatch Logs deletes once the retention is set: they are gone for good.",

  plan(finding, options, { now, prices }) {
    const g = (finding.before as LogGroupBefore).group;
    const age = ageDays(g, now);
    const gb = storedGb(g);
    const fraction = removedFraction(age, options.retentionDays);
    const saving = gb * fraction * prices.cloudwatchLogsStorageGbMonth;
    return {
      kind: 'change',
      summary: `Set retention of ${g.name} to ${options.retentionDays} days: CloudWatch Logs deletes events older than that (about ${Math.round(fraction * 100)}% of ${usd(gb)} GiB).`,
      params: { logGroupName: g.name, retentionInDays: options.retentionDays },
      undo: 'trimtab undo restores "never expire" (DeleteRetentionPolicy) if nobody changed the retention since; events already expired are gone.',
      savings: {
        monthlyUsd: saving,
        basis: [
          `Assumes steady ingestion since the group was created ${age} days ago: a ${options.retentionDays}-day retention removes ${age > options.retentionDays ? `(${age} − ${options.retentionDays}) / ${age}` : 'nothing (the group is younger than that)'} = ${Math.round(fraction * 100)}% of the stored bytes.`,
          `${usd(gb)} GiB × ${Math.round(fraction * 1000) / 10}% × $${prices.cloudwatchLogsStorageGbMonth}/GB-month = $${usd(saving)}/month, and the stored total stops growing.`,
        ],
      },
    };
  },

  async apply(ctx, plan) {
    const logs = ctx.clients.get(CloudWatchLogsClient, ctx.region);
    const { logGroupName: name, retentionInDays } = plan.params;
    const current = await describeLogGroup(logs, name, ctx.region, ctx.account);
    if (!current) return { after: { retentionInDays, alreadyGone: true } satisfies RetentionAfter, detail: `${name} no longer exists: counts as done` };
    if (current.retentionInDays !== undefined) {
      return { before: { group: current }, after: { retentionInDays: current.retentionInDays, alreadySet: true } satisfies RetentionAfter, detail: `${name} already has a ${current.retentionInDays}-day retention (set since the scan); left as is` };
    }
    const tags = (await logs.send(new ListTagsForResourceCommand({ resourceArn: current.arn }))).tags ?? {};
    if (SKIP_TAG in tags) throw new ProtectedResourceError(`${name} is tagged ${SKIP_TAG}`);
    try {
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays }));
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return { after: { retentionInDays, alreadyGone: true } satisfies RetentionAfter, detail: `${name} vanished: counts as done` };
      throw error;
    }
    return { before: { group: current }, after: { retentionInDays } satisfies RetentionAfter, detail: `retention set to ${retentionInDays} days` };
  },

  async verify(ctx, plan, applied) {
    const after = applied.after as RetentionAfter;
    const g = await describeLogGroup(ctx.clients.get(CloudWatchLogsClient, ctx.region), plan.params.logGroupName, ctx.region, ctx.account);
    if (!g) return after.alreadyGone ? { ok: true, detail: `${plan.params.logGroupName} is gone` } : { ok: false, detail: `${plan.params.logGroupName} disappeared` };
    return g.retentionInDays === after.retentionInDays
      ? { ok: true, detail: `${g.name} keeps events ${g.retentionInDays} days` }
      : { ok: false, detail: `${g.name} retention is ${g.retentionInDays ?? 'never expire'}, expected ${after.retentionInDays} days` };
  },

  async undo(ctx, record) {
    const logs = ctx.clients.get(CloudWatchLogsClient, ctx.region);
    const after = record.after as RetentionAfter | undefined;
    const name = record.resource.id;
    if (!after || after.alreadyGone || after.alreadySet) throw new UndoRefusedError(`trimtab did not change the retention of ${name} (${after?.alreadyGone ? 'it was gone' : 'someone else had set it'}); nothing to undo.`);
    const g = await describeLogGroup(logs, name, ctx.region, ctx.account);
    if (!g) throw new UndoRefusedError(`${name} no longer exists.`);
    if (g.retentionInDays !== after.retentionInDays) {
      throw new UndoRefusedError(`The retention of ${name} changed since trimtab set it (now ${g.retentionInDays ?? 'never expire'}, trimtab set ${after.retentionInDays} days): not undone.`);
    }
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: name }));
    return { detail: `${name} never expires its events again. Events that expired in between cannot be restored.`, after: { retention: 'never expire' } };
  },
};
