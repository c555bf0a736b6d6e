/**
 * The Lambda side of "Sweep the organization": list the items, sweep one item, summarize.
 * functions/sweep-org-items.ts and functions/sweep-account.ts are one-line adapters; tests
 * and the local runner call these directly.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { remainingMs } from '../lambda/bundle.ts';
import type { LambdaDeps } from '../lambda/deps.ts';
import { logger, metrics, MetricUnit } from '../lambda/powertools.ts';
import { readOnlyDeps } from '../lambda/read-only.ts';
import { policiesForSchedule } from '../lambda/input.ts';
import { InvalidEventError } from '../util/errors.ts';
import { MAX_SWEEP_INVOCATIONS, sweepInputSchema } from '../lambda/sweep-input.ts';
import { organizationSchema, type OrganizationConfig } from './config.ts';
import { failedItem, summarize, sweepItem, type ItemResult } from './fleet.ts';
import { MemberRoles } from './roles.ts';
import { sweepItems, type SweepItem } from './targets.ts';

const ACCOUNT = z.string().regex(/^\d{12}$/, 'an account id is 12 digits');
const REGION = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'a region looks like us-east-1');

const invalid = (what: string, error: z.ZodError) => new InvalidEventError(`${what}: ${error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);

export const listInputSchema = z.object({
  schedule: z.string().optional(),
  policies: z.array(z.string()).optional(),
  accounts: z.array(ACCOUNT).optional(),
  regions: z.array(REGION).optional(),
});

/** The organization block, or the hub alone when trimtab.yml has none. */
export const organizationOf = (deps: Pick<LambdaDeps, 'policies'>): OrganizationConfig | undefined => deps.policies.organization;

/** Step 1: the account × region items for the schedule that fired (or every scheduled policy). */
export function listItems(event: unknown, deps: Pick<LambdaDeps, 'policies' | 'engine'>): { items: SweepItem[]; schedule: string | null } {
  const parsed = listInputSchema.safeParse((event as { input?: unknown })?.input ?? event ?? {});
  if (!parsed.success) throw invalid('The organization sweep input is not valid', parsed.error);
  const policies = policiesForSchedule(deps.policies.policies, parsed.data);
  const items = sweepItems(policies, organizationOf(deps), {
    hubAccount: deps.engine.account,
    defaultRegions: deps.engine.defaultRegions,
    accounts: parsed.data.accounts,
    regions: parsed.data.regions,
  });
  logger.info('organization sweep planned', { items: items.length, accounts: new Set(items.map((i) => i.account)).size, policies: policies.map((p) => p.id) });
  return { items, schedule: parsed.data.schedule ?? null };
}

const COUNT = z.number().int().min(0).max(100_000_000);

/**
 * What the earlier invocations of one item counted (an item that did not fit one invocation goes
 * on from its checkpoint): added to this invocation's, so the item's result is the whole sweep's.
 * Only counts and listing errors: someone who may invoke the function can make a summary wrong,
 * never make trimtab act (the checkpoint's rules: lib/lambda/sweep.ts).
 */
const carriedSchema = z.strictObject({
  findings: COUNT,
  actionable: COUNT,
  estimatedMonthlySavingsUsd: z.number().min(0).max(1e12),
  actionsApplied: COUNT,
  actionsFailed: COUNT,
  awaitingApproval: COUNT,
  durationMs: COUNT,
  errors: z.array(z.object({ policies: z.array(z.string().max(256)).max(1000), region: z.string().max(64), resourceType: z.string().max(64), error: z.string().max(4000) })).max(100),
});

export const itemInputSchema = z.object({
  account: ACCOUNT,
  region: REGION,
  policies: z.array(z.string()).min(1),
  schedule: z.string().nullish(),
  /** Where the previous invocation of this item stopped (the item loop of the state machine passes it back). */
  checkpoint: sweepInputSchema.shape.checkpoint,
  carried: carriedSchema.optional(),
});

/** An item's result, and whether the state machine must invoke it again with `next`. */
export type ItemInvocationResult = ItemResult & { done: boolean; next?: z.input<typeof itemInputSchema> };

let roles: MemberRoles | undefined;

/** The member roles, once per container (credentials are reused across invocations until they expire). */
export function memberRoles(deps: LambdaDeps): MemberRoles {
  roles ??= new MemberRoles({
    hub: deps.engine.clients,
    hubAccount: deps.engine.account === 'unknown' ? undefined : deps.engine.account,
    config: organizationOf(deps) ?? organizationSchema.parse({}),
    stage: process.env.TRIMTAB_STAGE,
    region: process.env.AWS_REGION ?? deps.engine.defaultRegions[0] ?? 'us-east-1',
  });
  return roles;
}

/** Step 2, once per item: the engine in one account and region, with the member role. Never throws for the account's own failures. */
export async function sweepAccount(event: unknown, context: Context | undefined, deps: LambdaDeps, rolesForTest?: MemberRoles): Promise<ItemInvocationResult> {
  const parsed = itemInputSchema.safeParse(event);
  if (!parsed.success) throw invalid('The sweep-account input is not valid', parsed.error);
  const item = parsed.data;
  const known = new Set(deps.policies.policies.map((p) => p.id));
  const unknown = item.policies.filter((id) => !known.has(id));
  if (unknown.length) throw new InvalidEventError(`Unknown policy id(s) ${unknown.join(', ')}: the item was planned from another trimtab.yml. Valid: ${[...known].join(', ')}`);
  if (item.checkpoint && item.checkpoint.invocations >= MAX_SWEEP_INVOCATIONS) {
    throw new InvalidEventError(`This item has already taken ${item.checkpoint.invocations} invocations (at most ${MAX_SWEEP_INVOCATIONS}); nothing more was run.`);
  }
  logger.appendKeys({ account: item.account, region: item.region });
  const clientsFor = (rolesForTest ?? memberRoles(deps)).clientsFor;
  deps.begin(context);
  deps.metrics.policies(item.policies);
  let result: ItemResult;
  let checkpoint;
  try {
    // Resumable as the account's own sweep (lib/lambda/sweep.ts): short of time, it stops between units or after a page.
    const swept = await sweepItem(item, deps.policies.policies, { engine: { ...deps.engine, accountClients: clientsFor, remainingMs: remainingMs(context) }, clientsFor }, { actor: 'auto', resumable: { checkpoint: item.checkpoint } });
    result = swept.item;
    checkpoint = swept.run?.checkpoint;
  } finally {
    await deps.finish();
  }
  const carried = item.carried;
  if (carried && result.status === 'completed') {
    result = {
      ...result,
      findings: result.findings + carried.findings,
      actionable: result.actionable + carried.actionable,
      estimatedMonthlySavingsUsd: Math.round((result.estimatedMonthlySavingsUsd + carried.estimatedMonthlySavingsUsd) * 100) / 100,
      actionsApplied: result.actionsApplied + carried.actionsApplied,
      actionsFailed: result.actionsFailed + carried.actionsFailed,
      awaitingApproval: result.awaitingApproval + carried.awaitingApproval,
      durationMs: result.durationMs + carried.durationMs,
      errors: [...carried.errors, ...result.errors],
    };
  }
  if (result.status === 'failed') logger.error('account sweep failed', { error: result.error });
  else logger.info('account sweep finished', { findings: result.findings, actionsApplied: result.actionsApplied, errors: result.errors.length, ...(checkpoint ? { continues: true } : {}) });
  if (result.status !== 'completed' || !checkpoint) return { ...result, done: true };
  const { findings, actionable, estimatedMonthlySavingsUsd, actionsApplied, actionsFailed, awaitingApproval, durationMs, errors } = result;
  const next = {
    account: item.account,
    region: item.region,
    policies: item.policies,
    ...(item.schedule !== undefined ? { schedule: item.schedule } : {}),
    checkpoint,
    carried: { findings, actionable, estimatedMonthlySavingsUsd, actionsApplied, actionsFailed, awaitingApproval, durationMs, errors: errors.slice(-100) },
  };
  return { ...result, done: false, next };
}

/** What the Map collects: item results, or the Pass state's record of a caught failure. */
const collectedSchema = z.array(
  z.union([
    z.object({ account: z.string(), region: z.string(), status: z.literal('failed'), policies: z.array(z.string()).default([]), error: z.object({ Error: z.string(), Cause: z.string().optional() }) }),
    z.object({ account: z.string(), region: z.string(), status: z.enum(['completed', 'failed']) }).passthrough(),
  ]),
);

/** Step 3: totals, and the failed items named in the log and as a metric (the alarm's input). */
export function summarizeItems(event: unknown) {
  const parsed = collectedSchema.safeParse((event as { items?: unknown })?.items);
  if (!parsed.success) throw invalid('The organization sweep summary input is not valid', parsed.error);
  const items: ItemResult[] = parsed.data.map((raw) =>
    'error' in raw && raw.error && 'Error' in (raw.error as object)
      ? failedItem(
          { account: raw.account, region: raw.region, policies: (raw as { policies?: string[] }).policies ?? [] },
          { name: (raw.error as { Error: string }).Error, message: (raw.error as { Cause?: string }).Cause ?? '' },
        )
      : (raw as unknown as ItemResult),
  );
  const summary = summarize(items);
  for (const failed of items.filter((i) => i.status === 'failed')) logger.error('account sweep failed', { account: failed.account, region: failed.region, error: failed.error });
  metrics.addMetric('AccountSweepsFailed', MetricUnit.Count, summary.failed);
  metrics.addMetric('AccountSweepsCompleted', MetricUnit.Count, summary.completed);
  metrics.publishStoredMetrics();
  return { ...summary, failures: items.filter((i) => i.status === 'failed').map((i) => ({ account: i.account, region: i.region, error: i.error })) };
}

/** The items function dispatches on `step` (one small function for both ends of the Map). */
export async function orgItemsStep(event: unknown, context: Context | undefined) {
  const step = (event as { step?: unknown })?.step;
  // Lists only: no audit trail (its role grants none).
  if (step === 'list') return listItems(event, await readOnlyDeps(context));
  if (step === 'summary') return summarizeItems(event);
  throw new InvalidEventError(`The sweep-org-items function runs the 'list' or 'summary' step, not '${String(step)}'.`);
}
