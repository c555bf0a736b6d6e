/**
 * dynamodb-table actions. Every apply opens with `tableAction`: it re-reads the table (DescribeTable,
 * tags) and refuses a protected or busy table, and one that is not the table the plan was made on
 * (ARN + CreationDateTime) or not in the state it was made on (billing mode, capacity, class).
 * AWS's own limits are read before writing and their refusals are turned into clear errors with the
 * time AWS will allow the change (DynamoDB Developer Guide, "Quotas in Amazon DynamoDB" and
 * "Constraints in Amazon DynamoDB"):
 * - provisioned → on-demand: up to four times in a rolling 24 hours (DescribeTable gives only the last
 *   one, LastUpdateToPayPerRequestDateTime, so AWS answers and its refusal is a skip); on-demand →
 *   provisioned at any time;
 * - decreases of provisioned capacity: up to four within the first hour of a UTC day's decreases,
 *   then one whenever there was no decrease in the preceding hour (27 a day at most); increases at
 *   any time;
 * - UpdateTable is refused with ResourceInUseException while the table is UPDATING.
 */
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { SKIP_TAG } from '../protection.ts';
import type { Finding, RegionContext, Remediator } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { tableProtection, type TableBefore } from './detectors.ts';
import { SCALABLE_DIMENSION, describeTable, readTags, type Dimension, type DynamoTable } from './resource.ts';

const HOUR_MS = 3_600_000;
/** Decreases allowed at any time in a UTC day before the one-per-hour rule applies. */
export const FREE_DECREASES_PER_DAY = 4;

/** The table a plan was made on: its ARN and CreationDateTime (a table re-created under the name has another). */
export interface TableIdentity {
  arn: string;
  createdAt?: string;
}

/** The state a plan was made on, re-checked right before the write. */
export interface TableState {
  billingMode?: DynamoTable['billingMode'];
  readCapacity?: number;
  writeCapacity?: number;
  tableClass?: DynamoTable['tableClass'];
}

export const identityOf = (finding: Finding): TableIdentity | undefined => {
  const t = (finding.before as TableBefore | undefined)?.table;
  const arn = t?.arn ?? finding.resource?.arn;
  return arn ? { arn, ...(t?.createdAt ? { createdAt: t.createdAt } : {}) } : undefined;
};

/**
 * The one opening of every DynamoDB action: the table now, or why trimtab must not write. Gone → `gone`
 * (counts as done). Refused (ProtectedResourceError, nothing written): tagged trimtab:skip, protected
 * (own, global, not ACTIVE), another table than the plan's (ARN, CreationDateTime), or — unless `done`
 * says the change is already in place — another state than the plan's.
 */
export async function tableAction(
  ctx: RegionContext,
  name: string,
  bound: { identity: TableIdentity | undefined; state?: TableState; done?: (t: DynamoTable) => boolean },
): Promise<{ table?: DynamoTable; gone?: true; done?: true }> {
  if (!bound.identity) throw new ProtectedResourceError(`the plan for ${name} names no table identity (ARN): it was made before trimtab bound plans to the table; scan again. Nothing was changed`);
  const t = await describeTable(ctx, name);
  if (!t) return { gone: true };
  const tags = await readTags(ctx, t.arn);
  if (SKIP_TAG in tags) throw new ProtectedResourceError(`${name} is now tagged ${SKIP_TAG}; nothing was changed`);
  const protection = tableProtection(t);
  if (protection) throw new ProtectedResourceError(`${name}: ${protection}; nothing was changed`);
  const diffs: string[] = [];
  const { identity, state } = bound;
  if (t.arn !== identity.arn) diffs.push(`ARN ${t.arn}, planned ${identity.arn}`);
  if (identity.createdAt && t.createdAt !== identity.createdAt) diffs.push(`created ${t.createdAt ?? 'at an unknown time'}, planned ${identity.createdAt}: a table re-created under the same name`);
  if (diffs.length) throw new ProtectedResourceError(`${name} is not the table the plan was made on (${diffs.join('; ')}); nothing was changed`);
  const table = { ...t, tags };
  if (bound.done?.(table)) return { table, done: true };
  if (state?.billingMode && t.billingMode !== state.billingMode) diffs.push(`billing mode ${t.billingMode}, planned ${state.billingMode}`);
  if (state?.readCapacity !== undefined && (t.readCapacity !== state.readCapacity || t.writeCapacity !== state.writeCapacity)) {
    diffs.push(`${t.readCapacity} RCU / ${t.writeCapacity} WCU, planned ${state.readCapacity} / ${state.writeCapacity}`);
  }
  if (state?.tableClass && t.tableClass !== state.tableClass) diffs.push(`class ${t.tableClass}, planned ${state.tableClass}`);
  if (diffs.length) throw new ProtectedResourceError(`${name} changed since the plan (${diffs.join('; ')}); nothing was changed`);
  return { table };
}

/**
 * When AWS certainly refuses the next decrease: the day's four first-hour decreases are used and the last
 * was less than an hour ago. (Fewer than four within the hour may still be refused when the day's first
 * decrease is over an hour old; DescribeTable does not say when it was, so AWS answers and the refusal is a skip.)
 */
export function nextDecreaseAllowed(t: Pick<DynamoTable, 'decreasesToday' | 'lastDecrease'>, now: Date): Date | undefined {
  const dayStart = Math.floor(now.getTime() / 86_400_000) * 86_400_000;
  const last = t.lastDecrease ? Date.parse(t.lastDecrease) : undefined;
  const today = last !== undefined && last >= dayStart ? t.decreasesToday : 0;
  if (today < FREE_DECREASES_PER_DAY || last === undefined) return undefined;
  const next = last + HOUR_MS;
  return next > now.getTime() ? new Date(next) : undefined;
}

function refusal(error: unknown, name: string, what: string, Err: typeof ProtectedResourceError | typeof UndoRefusedError): Error | undefined {
  const code = awsErrorName(error);
  if (code === 'ResourceInUseException') return new Err(`${name} is being updated (ResourceInUseException: ${errorMessage(error)}); ${what} was not made. Try again when DescribeTable shows it ACTIVE (usually minutes).`, { cause: error });
  if (code === 'LimitExceededException') return new Err(`AWS refused ${what} on ${name} (LimitExceededException: ${errorMessage(error)}); nothing was changed. A later run retries.`, { cause: error });
  return undefined;
}

interface ModeParams {
  tableName: string;
  table?: TableIdentity;
  from: Pick<TableBefore['table'], 'billingMode' | 'readCapacity' | 'writeCapacity' | 'indexes'> & { tableClass?: TableBefore['table']['tableClass'] };
}

interface ModeAfter {
  billingMode: 'PAY_PER_REQUEST';
  alreadyGone?: boolean;
  alreadyOnDemand?: boolean;
  switchedAt?: string;
}

const monthlyOf = (finding: Finding, key: string) => ((finding.evidence.monthly as Record<string, number> | undefined)?.[key]);

export const switchToOnDemand: Remediator<ModeParams, Record<string, never>> = {
  id: 'switch-to-on-demand',
  resource: 'dynamodb-table',
  title: 'Switch a provisioned table (and its indexes) to on-demand capacity',
  options: z.object({}),
  permissions: ['dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'dynamodb:UpdateTable'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "On-demand charges already billed and any requests throttled meanwhile; no table data is lost. Each switch counts toward AWS's capacity-mode switch limit.",

  plan(finding) {
    const { table: t } = finding.before as TableBefore;
    if (t.billingMode !== 'PROVISIONED') return { kind: 'noop', reason: `${t.name} is already on-demand` };
    const now = monthlyOf(finding, 'provisionedNow');
    const od = monthlyOf(finding, 'onDemand');
    const savings = now !== undefined && od !== undefined ? { monthlyUsd: usd(Math.max(0, now - od)), basis: [`Provisioned $${usd(now)}/month → on-demand at the measured use $${usd(od)}/month.`] } : undefined;
    return {
      kind: 'change',
      summary: `Switch ${t.name} from provisioned (${t.readCapacity} RCU / ${t.writeCapacity} WCU${t.indexes.length ? `, ${t.indexes.length} index${t.indexes.length === 1 ? '' : 'es'}` : ''}) to on-demand.${savings ? ` $${savings.monthlyUsd}/month less.` : ''}`,
      params: { tableName: t.name, table: identityOf(finding), from: { billingMode: t.billingMode, readCapacity: t.readCapacity, writeCapacity: t.writeCapacity, tableClass: t.tableClass, indexes: t.indexes } },
      undo: `trimtab undo switches it back to provisioned at ${t.readCapacity} RCU / ${t.writeCapacity} WCU (and the indexes' recorded units): AWS allows on-demand → provisioned at any time, once the table is ACTIVE again. Auto scaling settings made through the API are kept by AWS.`,
      ...(savings ? { savings } : {}),
    };
  },

  async apply(ctx, plan) {
    const name = plan.params.tableName;
    const { from } = plan.params;
    const { table: t, gone, done } = await tableAction(ctx, name, {
      identity: plan.params.table,
      state: { billingMode: 'PROVISIONED', readCapacity: from.readCapacity, writeCapacity: from.writeCapacity, ...(from.tableClass ? { tableClass: from.tableClass } : {}) },
      done: (x) => x.billingMode === 'PAY_PER_REQUEST',
    });
    if (gone || !t) return { after: { billingMode: 'PAY_PER_REQUEST', alreadyGone: true } satisfies ModeAfter, detail: `${name} no longer exists: counts as done` };
    if (done) return { before: t, after: { billingMode: 'PAY_PER_REQUEST', alreadyOnDemand: true } satisfies ModeAfter, detail: `${name} is already on-demand` };
    try {
      await ctx.clients.get(DynamoDBClient, ctx.region).send(new UpdateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST' }));
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return { after: { billingMode: 'PAY_PER_REQUEST', alreadyGone: true } satisfies ModeAfter, detail: `${name} vanished: counts as done` };
      throw refusal(error, name, 'the switch to on-demand (AWS allows four in a rolling 24 hours)', ProtectedResourceError) ?? error;
    }
    return { before: t, after: { billingMode: 'PAY_PER_REQUEST', switchedAt: ctx.clock.now().toISOString() } satisfies ModeAfter, detail: `${name}: switch to on-demand started (UPDATING for a few minutes; the table keeps serving)` };
  },

  async verify(ctx, plan, applied) {
    const after = applied.after as ModeAfter;
    if (after.alreadyGone) return { ok: true, detail: `${plan.params.tableName} is gone` };
    const t = await describeTable(ctx, plan.params.tableName);
    if (!t) return { ok: false, detail: `${plan.params.tableName} disappeared after the switch` };
    return t.billingMode === 'PAY_PER_REQUEST' ? { ok: true, detail: `${t.name} is on-demand (${t.status})` } : { ok: false, detail: `${t.name} is still ${t.billingMode}` };
  },

  async undo(ctx, record) {
    const params = record.params as ModeParams;
    const after = record.after as ModeAfter | undefined;
    const name = params.tableName;
    if (!after || after.alreadyGone || after.alreadyOnDemand) throw new UndoRefusedError(`trimtab did not switch ${name} (it was ${after?.alreadyGone ? 'gone' : 'already on-demand'}); nothing to undo.`);
    const t = await describeTable(ctx, name);
    if (!t) throw new UndoRefusedError(`${name} no longer exists.`);
    if (t.billingMode !== 'PAY_PER_REQUEST') throw new UndoRefusedError(`${name} is already ${t.billingMode} (someone switched it back): not undone.`);
    if (t.status !== 'ACTIVE') throw new UndoRefusedError(`${name} is ${t.status}: AWS refuses UpdateTable until it is ACTIVE (usually minutes after the switch). Nothing was changed; try the undo again then.`);
    const from = params.from;
    const live = new Set(t.indexes.map((i) => i.name));
    try {
      await ctx.clients.get(DynamoDBClient, ctx.region).send(
        new UpdateTableCommand({
          TableName: name,
          BillingMode: 'PROVISIONED',
          ProvisionedThroughput: { ReadCapacityUnits: from.readCapacity, WriteCapacityUnits: from.writeCapacity },
          ...(from.indexes.some((i) => live.has(i.name))
            ? { GlobalSecondaryIndexUpdates: from.indexes.filter((i) => live.has(i.name)).map((i) => ({ Update: { IndexName: i.name, ProvisionedThroughput: { ReadCapacityUnits: i.readCapacity, WriteCapacityUnits: i.writeCapacity } } })) }
            : {}),
        }),
      );
    } catch (error) {
      throw refusal(error, name, 'the switch back to provisioned', UndoRefusedError) ?? error;
    }
    return { detail: `${name}: switch back to provisioned at ${from.readCapacity} RCU / ${from.writeCapacity} WCU started.`, after: { billingMode: 'PROVISIONED', readCapacity: from.readCapacity, writeCapacity: from.writeCapacity } };
  },
};

interface LowerParams {
  tableName: string;
  table?: TableIdentity;
  from: { read: number; write: number };
  to: { read: number; write: number };
}

interface LowerAfter {
  read: number;
  write: number;
  alreadyGone?: boolean;
}

export const lowerProvisioned: Remediator<LowerParams, Record<string, never>> = {
  id: 'lower-provisioned',
  resource: 'dynamodb-table',
  title: 'Lower the provisioned read/write capacity of a table to serve its p95 hour at the target utilisation',
  options: z.object({}),
  permissions: ['dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'dynamodb:UpdateTable'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Requests throttled at the lower capacity meanwhile are not replayed; no table data is lost. The decrease counts toward AWS's daily limit on capacity decreases.",

  plan(finding) {
    const { table: t, target, scaling } = finding.before as TableBefore;
    if (t.billingMode !== 'PROVISIONED' || !target) return { kind: 'noop', reason: `${t.name} has no provisioned capacity to lower` };
    const managed = (['read', 'write'] as const).filter((d) => scaling[d] && target[d] < (d === 'read' ? t.readCapacity : t.writeCapacity));
    if (managed.length) return { kind: 'conflict', reason: `Application Auto Scaling manages ${t.name}'s ${managed.join(' and ')} capacity and would move it back: lower the scalable target's MinCapacity, or switch to on-demand.` };
    if (target.read >= t.readCapacity && target.write >= t.writeCapacity) return { kind: 'noop', reason: `${t.name} is already at or below ${target.read} RCU / ${target.write} WCU` };
    const to = { read: Math.min(target.read, t.readCapacity), write: Math.min(target.write, t.writeCapacity) };
    const now = monthlyOf(finding, 'provisionedNow');
    const lowered = monthlyOf(finding, 'lowerProvisioned');
    return {
      kind: 'change',
      summary: `Lower ${t.name} from ${t.readCapacity} RCU / ${t.writeCapacity} WCU to ${to.read} RCU / ${to.write} WCU.${now !== undefined && lowered !== undefined ? ` $${usd(now - lowered)}/month less.` : ''}`,
      params: { tableName: t.name, table: identityOf(finding), from: { read: t.readCapacity, write: t.writeCapacity }, to },
      undo: `trimtab undo raises it back to ${t.readCapacity} RCU / ${t.writeCapacity} WCU (increases are allowed at any time, once the table is ACTIVE).`,
      ...(now !== undefined && lowered !== undefined ? { savings: { monthlyUsd: usd(Math.max(0, now - lowered)), basis: [`Provisioned $${usd(now)}/month → $${usd(lowered)}/month.`] } } : {}),
    };
  },

  async apply(ctx, plan) {
    const { tableName: name, from, to } = plan.params;
    const { table: t, gone } = await tableAction(ctx, name, { identity: plan.params.table, state: { billingMode: 'PROVISIONED', readCapacity: from.read, writeCapacity: from.write } });
    if (gone || !t) return { after: { ...to, alreadyGone: true } satisfies LowerAfter, detail: `${name} no longer exists: counts as done` };
    const next = nextDecreaseAllowed(t, ctx.clock.now());
    if (next) throw new ProtectedResourceError(`${name} had ${t.decreasesToday} capacity decreases today; AWS allows the next one from ${next.toISOString()} (after the first four within an hour, one per hour with no decrease in the preceding hour). Nothing was changed.`);
    try {
      await ctx.clients.get(DynamoDBClient, ctx.region).send(new UpdateTableCommand({ TableName: name, ProvisionedThroughput: { ReadCapacityUnits: to.read, WriteCapacityUnits: to.write } }));
    } catch (error) {
      throw refusal(error, name, 'the capacity decrease', ProtectedResourceError) ?? error;
    }
    return { before: t, after: { ...to } satisfies LowerAfter, detail: `${name}: capacity lowered to ${to.read} RCU / ${to.write} WCU` };
  },

  async verify(ctx, plan, applied) {
    if ((applied.after as LowerAfter).alreadyGone) return { ok: true, detail: `${plan.params.tableName} is gone` };
    const t = await describeTable(ctx, plan.params.tableName);
    if (!t) return { ok: false, detail: `${plan.params.tableName} disappeared` };
    const { to } = plan.params;
    return t.readCapacity === to.read && t.writeCapacity === to.write ? { ok: true, detail: `${t.name} is at ${to.read} RCU / ${to.write} WCU (${t.status})` } : { ok: false, detail: `${t.name} is at ${t.readCapacity} RCU / ${t.writeCapacity} WCU, not the planned ${to.read} / ${to.write}` };
  },

  async undo(ctx, record) {
    const { tableName: name, from, to } = record.params as LowerParams;
    if ((record.after as LowerAfter | undefined)?.alreadyGone) throw new UndoRefusedError(`${name} was gone when trimtab acted; nothing to undo.`);
    const t = await describeTable(ctx, name);
    if (!t) throw new UndoRefusedError(`${name} no longer exists.`);
    if (t.billingMode !== 'PROVISIONED' || t.readCapacity !== to.read || t.writeCapacity !== to.write) throw new UndoRefusedError(`${name} changed since trimtab lowered it (now ${t.billingMode}, ${t.readCapacity} RCU / ${t.writeCapacity} WCU): not undone.`);
    if (t.status !== 'ACTIVE') throw new UndoRefusedError(`${name} is ${t.status}: AWS refuses UpdateTable until it is ACTIVE. Nothing was changed; try the undo again in a few minutes.`);
    try {
      await ctx.clients.get(DynamoDBClient, ctx.region).send(new UpdateTableCommand({ TableName: name, ProvisionedThroughput: { ReadCapacityUnits: from.read, WriteCapacityUnits: from.write } }));
    } catch (error) {
      throw refusal(error, name, 'the capacity increase', UndoRefusedError) ?? error;
    }
    return { detail: `${name}: capacity raised back to ${from.read} RCU / ${from.write} WCU.`, after: { read: from.read, write: from.write } };
  },
};

/** The table's target-tracking policies, by dimension (one listing for the table). */
async function tablePolicies(ctx: RegionContext, name: string): Promise<Partial<Record<Dimension, ScalingPolicy>>> {
  const aas = ctx.clients.get(ApplicationAutoScalingClient, ctx.region);
  const found: Partial<Record<Dimension, ScalingPolicy>> = {};
  let NextToken: string | undefined;
  do {
    const out = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', ResourceId: `table/${name}`, ...(NextToken ? { NextToken } : {}) }));
    for (const p of out.ScalingPolicies ?? []) {
      if (p.PolicyType !== 'TargetTrackingScaling') continue;
      if (p.ScalableDimension === SCALABLE_DIMENSION.read) found.read = p;
      if (p.ScalableDimension === SCALABLE_DIMENSION.write) found.write = p;
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return found;
}

async function putTarget(ctx: RegionContext, name: string, p: ScalingPolicy, targetValue: number) {
  await ctx.clients.get(ApplicationAutoScalingClient, ctx.region).send(
    new PutScalingPolicyCommand({
      PolicyName: p.PolicyName!,
      ServiceNamespace: 'dynamodb',
      ResourceId: `table/${name}`,
      ScalableDimension: p.ScalableDimension!,
      PolicyType: 'TargetTrackingScaling',
      // PutScalingPolicy replaces the configuration: keep every other field as it was.
      TargetTrackingScalingPolicyConfiguration: { ...p.TargetTrackingScalingPolicyConfiguration!, TargetValue: targetValue },
    }),
  );
}

interface TargetParams {
  tableName: string;
  table?: TableIdentity;
  changes: Array<{ dimension: Dimension; policyName: string; from: number; to: number }>;
}

interface RaiseTargetOptions {
  maxStepPoints: number;
  maxTargetPercent: number;
  tuningCooldownDays: number;
}

export const raiseTarget: Remediator<TargetParams, RaiseTargetOptions> = {
  id: 'raise-target',
  resource: 'dynamodb-table',
  title: 'Raise the target utilisation of the table\'s target-tracking policies, within bounds',
  options: z.object({
    /** Percentage points added at most per change. */
    maxStepPoints: z.number().min(1).max(50).default(20),
    /** Never above this target (DynamoDB accepts 20–90). */
    maxTargetPercent: z.number().min(20).max(90).default(70),
    /** A tuned table is not tuned again before this (the new target needs time to show its effect). */
    tuningCooldownDays: z.number().min(1).max(90).default(7),
  }),
  permissions: ['application-autoscaling:DescribeScalingPolicies', 'application-autoscaling:PutScalingPolicy', 'dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'dynamodb:UpdateTable', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'],
  defaultMode: 'dry-run',
  undoable: 'yes',
  undoLimits: "Requests throttled meanwhile at the higher target utilisation are not replayed; no table data is lost.",
  minCooldownHours: (o) => o.tuningCooldownDays * 24,

  plan(finding, o) {
    const { table: t, scaling } = finding.before as TableBefore;
    const low = (finding.evidence.targetValuePercent ?? {}) as Partial<Record<Dimension, number>>;
    const changes = (['read', 'write'] as const)
      .filter((d) => scaling[d]?.policy && low[d] !== undefined)
      .map((d) => {
        const from = scaling[d]!.policy!.targetValue;
        return { dimension: d, policyName: scaling[d]!.policy!.name, from, to: Math.min(o.maxTargetPercent, 90, Math.max(20, from + o.maxStepPoints)) };
      })
      .filter((c) => c.to > c.from);
    if (!changes.length) return { kind: 'noop', reason: `${t.name}: the targets are already at or above ${o.maxTargetPercent} %` };
    return {
      kind: 'change',
      summary: `Raise ${t.name}'s target utilisation: ${changes.map((c) => `${c.dimension} ${c.from} % → ${c.to} %`).join(', ')}.`,
      params: { tableName: t.name, table: identityOf(finding), changes },
      undo: `trimtab undo puts the policies back at ${changes.map((c) => `${c.from} %`).join(' / ')} (only if nobody changed them since).`,
    };
  },

  async apply(ctx, plan) {
    const name = plan.params.tableName;
    const { gone } = await tableAction(ctx, name, { identity: plan.params.table });
    if (gone) return { after: { gone: true }, detail: `${name} no longer exists: counts as done` };
    const policies = await tablePolicies(ctx, name);
    for (const c of plan.params.changes) {
      const p = policies[c.dimension];
      const now = p?.TargetTrackingScalingPolicyConfiguration?.TargetValue;
      if (!p || p.PolicyName !== c.policyName || now !== c.from) throw new ProtectedResourceError(`${name}: the ${c.dimension} policy changed since the scan (${p ? `${p.PolicyName} at ${now} %` : 'gone'}; planned from ${c.from} %); nothing was changed`);
    }
    for (const c of plan.params.changes) await putTarget(ctx, name, policies[c.dimension]!, c.to);
    return { before: { policies }, after: { targets: Object.fromEntries(plan.params.changes.map((c) => [c.dimension, c.to])) }, detail: plan.params.changes.map((c) => `${c.policyName}: ${c.from} % → ${c.to} %`).join('; ') };
  },

  async verify(ctx, plan, applied) {
    if ((applied.after as { gone?: boolean }).gone) return { ok: true, detail: `${plan.params.tableName} is gone` };
    const policies = await tablePolicies(ctx, plan.params.tableName);
    const wrong = plan.params.changes.filter((c) => policies[c.dimension]?.TargetTrackingScalingPolicyConfiguration?.TargetValue !== c.to);
    return wrong.length ? { ok: false, detail: `target not set: ${wrong.map((c) => `${c.dimension} is ${policies[c.dimension]?.TargetTrackingScalingPolicyConfiguration?.TargetValue ?? 'missing'}, not ${c.to}`).join('; ')}` } : { ok: true, detail: plan.params.changes.map((c) => `${c.dimension} target ${c.to} %`).join(', ') };
  },

  async undo(ctx, record) {
    const { tableName: name, changes } = record.params as TargetParams;
    const policies = await tablePolicies(ctx, name);
    for (const c of changes) {
      const now = policies[c.dimension]?.TargetTrackingScalingPolicyConfiguration?.TargetValue;
      if (now !== c.to) throw new UndoRefusedError(`${name}: the ${c.dimension} policy is at ${now ?? 'nothing'} %, not the ${c.to} % trimtab set: not undone.`);
    }
    for (const c of changes) await putTarget(ctx, name, policies[c.dimension]!, c.from);
    return { detail: `${name}: targets back at ${changes.map((c) => `${c.dimension} ${c.from} %`).join(', ')}.` };
  },
};

interface RaiseMaxParams {
  tableName: string;
  table?: TableIdentity;
  changes: Array<{ dimension: Dimension; from: number; to: number; minCapacity: number }>;
}

interface RaiseMaxOptions {
  factor: number;
  maxCapacityLimit: number;
}

async function scalableTargets(ctx: RegionContext, name: string) {
  const out = await ctx.clients.get(ApplicationAutoScalingClient, ctx.region).send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: [`table/${name}`] }));
  const byDim: Partial<Record<Dimension, { min: number; max: number }>> = {};
  for (const t of out.ScalableTargets ?? []) {
    if (t.ScalableDimension === SCALABLE_DIMENSION.read) byDim.read = { min: t.MinCapacity ?? 0, max: t.MaxCapacity ?? 0 };
    if (t.ScalableDimension === SCALABLE_DIMENSION.write) byDim.write = { min: t.MinCapacity ?? 0, max: t.MaxCapacity ?? 0 };
  }
  return byDim;
}

async function registerMax(ctx: RegionContext, name: string, d: Dimension, min: number, max: number) {
  await ctx.clients.get(ApplicationAutoScalingClient, ctx.region).send(new RegisterScalableTargetCommand({ ServiceNamespace: 'dynamodb', ResourceId: `table/${name}`, ScalableDimension: SCALABLE_DIMENSION[d], MinCapacity: min, MaxCapacity: max }));
}

export const raiseMax: Remediator<RaiseMaxParams, RaiseMaxOptions> = {
  id: 'raise-max',
  resource: 'dynamodb-table',
  title: 'Raise the auto scaling MaxCapacity of a throttled table whose scaling hit its cap',
  options: z.object({
    /** New MaxCapacity = current × factor (rounded up). */
    factor: z.number().min(1.1).max(4).default(1.5),
    /** Never above this (the default per-table throughput quota is 40,000 units). */
    maxCapacityLimit: z.number().int().min(1).default(40_000),
  }),
  permissions: ['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:RegisterScalableTarget', 'dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'dynamodb:UpdateTable', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Capacity already billed above the old maximum is not refunded; if the table scaled above the old maximum, the undo scales it back down (AWS's daily decrease limit applies). No table data is lost.",

  plan(finding, o) {
    const { table: t, scaling } = finding.before as TableBefore;
    const capped = ((finding.evidence.cappedBy ?? []) as string[]).map((c) => c.split(':')[0] as Dimension);
    const changes = capped
      .filter((d) => scaling[d])
      .map((d) => ({ dimension: d, from: scaling[d]!.maxCapacity, to: Math.min(o.maxCapacityLimit, Math.ceil(scaling[d]!.maxCapacity * o.factor)), minCapacity: scaling[d]!.minCapacity }))
      .filter((c) => c.to > c.from);
    if (!changes.length) {
      return capped.some((d) => !scaling[d])
        ? { kind: 'conflict', reason: `${t.name} has no auto scaling on its capped capacity: switch it to on-demand (switch-to-on-demand) or register a scalable target.` }
        : { kind: 'noop', reason: `${t.name}: MaxCapacity is already at the limit ${o.maxCapacityLimit}` };
    }
    return {
      kind: 'change',
      summary: `Raise ${t.name}'s auto scaling maximum: ${changes.map((c) => `${c.dimension} ${c.from} → ${c.to}`).join(', ')} units.`,
      params: { tableName: t.name, table: identityOf(finding), changes },
      undo: `trimtab undo sets MaxCapacity back to ${changes.map((c) => c.from).join(' / ')} (only if nobody changed it since).`,
    };
  },

  async apply(ctx, plan) {
    const name = plan.params.tableName;
    const { gone } = await tableAction(ctx, name, { identity: plan.params.table });
    if (gone) return { after: { gone: true }, detail: `${name} no longer exists: counts as done` };
    const targets = await scalableTargets(ctx, name);
    for (const c of plan.params.changes) {
      if (targets[c.dimension]?.max !== c.from) throw new ProtectedResourceError(`${name}: the ${c.dimension} scalable target changed since the scan (MaxCapacity ${targets[c.dimension]?.max ?? 'gone'}, planned from ${c.from}); nothing was changed`);
    }
    for (const c of plan.params.changes) await registerMax(ctx, name, c.dimension, targets[c.dimension]!.min, c.to);
    return { before: { targets }, after: { max: Object.fromEntries(plan.params.changes.map((c) => [c.dimension, c.to])) }, detail: plan.params.changes.map((c) => `${c.dimension} MaxCapacity ${c.from} → ${c.to}`).join('; ') };
  },

  async verify(ctx, plan, applied) {
    if ((applied.after as { gone?: boolean }).gone) return { ok: true, detail: `${plan.params.tableName} is gone` };
    const targets = await scalableTargets(ctx, plan.params.tableName);
    const wrong = plan.params.changes.filter((c) => targets[c.dimension]?.max !== c.to);
    return wrong.length ? { ok: false, detail: wrong.map((c) => `${c.dimension} MaxCapacity is ${targets[c.dimension]?.max ?? 'missing'}, not ${c.to}`).join('; ') } : { ok: true, detail: plan.params.changes.map((c) => `${c.dimension} MaxCapacity ${c.to}`).join(', ') };
  },

  async undo(ctx, record) {
    const { tableName: name, changes } = record.params as RaiseMaxParams;
    const targets = await scalableTargets(ctx, name);
    for (const c of changes) if (targets[c.dimension]?.max !== c.to) throw new UndoRefusedError(`${name}: ${c.dimension} MaxCapacity is ${targets[c.dimension]?.max ?? 'gone'}, not the ${c.to} trimtab set: not undone.`);
    for (const c of changes) await registerMax(ctx, name, c.dimension, targets[c.dimension]!.min, c.from);
    return { detail: `${name}: MaxCapacity back at ${changes.map((c) => `${c.dimension} ${c.from}`).join(', ')}.` };
  },
};

interface ClassParams {
  tableName: string;
  table?: TableIdentity;
  /** Billing mode and capacity when planned (the savings were computed on them). */
  state?: Pick<TableState, 'billingMode' | 'readCapacity' | 'writeCapacity'>;
  from: 'STANDARD';
  to: 'STANDARD_INFREQUENT_ACCESS';
}

/**
 * set-table-class: Standard → Standard-IA (UpdateTable TableClass). AWS allows two table-class
 * changes in a trailing 30 days, so this change and its undo use both: a refusal
 * (LimitExceededException) is reported with the rule, nothing changed.
 */
export const setTableClass: Remediator<ClassParams, Record<string, never>> = {
  id: 'set-table-class',
  resource: 'dynamodb-table',
  title: 'Change a storage-heavy table to the Standard-IA table class',
  options: z.object({}),
  permissions: ['dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource', 'dynamodb:UpdateTable'],
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "The class change itself: AWS allows two in a trailing 30 days, and the undo uses the second. Storage and requests already billed at the other class are not refunded; no table data is lost.",

  plan(finding) {
    const { table: t } = finding.before as TableBefore;
    if (t.tableClass !== 'STANDARD') return { kind: 'noop', reason: `${t.name} is already ${t.tableClass}` };
    return {
      kind: 'change',
      summary: `Change ${t.name} to the Standard-IA table class (storage $${finding.savings.monthlyUsd}/month less net of dearer throughput; a background change, no downtime).`,
      params: {
        tableName: t.name,
        table: identityOf(finding),
        state: { billingMode: t.billingMode, readCapacity: t.readCapacity, writeCapacity: t.writeCapacity },
        from: 'STANDARD',
        to: 'STANDARD_INFREQUENT_ACCESS',
      },
      undo: 'trimtab undo changes it back to Standard once the table is ACTIVE; AWS allows two class changes in a trailing 30 days, so the undo is the second and a third is refused until the first is 30 days old.',
    };
  },

  async apply(ctx, plan) {
    const name = plan.params.tableName;
    const { table: t, gone, done } = await tableAction(ctx, name, {
      identity: plan.params.table,
      state: { ...plan.params.state, tableClass: plan.params.from },
      done: (x) => x.tableClass === plan.params.to,
    });
    if (gone || !t) return { after: { tableClass: plan.params.to, alreadyGone: true }, detail: `${name} no longer exists: counts as done` };
    if (done) return { before: t, after: { tableClass: t.tableClass, already: true }, detail: `${name} is already ${t.tableClass}` };
    try {
      await ctx.clients.get(DynamoDBClient, ctx.region).send(new UpdateTableCommand({ TableName: name, TableClass: plan.params.to }));
    } catch (error) {
      throw refusal(error, name, 'the table-class change (AWS allows two in a trailing 30 days)', ProtectedResourceError) ?? error;
    }
    return { before: t, after: { tableClass: plan.params.to }, detail: `${name}: change to ${plan.params.to} started (UPDATING in the background)` };
  },

  async verify(ctx, plan, applied) {
    if ((applied.after as { alreadyGone?: boolean }).alreadyGone) return { ok: true, detail: `${plan.params.tableName} is gone` };
    const t = await describeTable(ctx, plan.params.tableName);
    if (!t) return { ok: false, detail: `${plan.params.tableName} disappeared` };
    return t.tableClass === plan.params.to ? { ok: true, detail: `${t.name} is ${t.tableClass} (${t.status})` } : { ok: false, detail: `${t.name} is still ${t.tableClass}` };
  },

  async undo(ctx, record) {
    const { tableName: name, from, to } = record.params as ClassParams;
    const after = record.after as { alreadyGone?: boolean; already?: boolean } | undefined;
    if (!after || after.alreadyGone || after.already) throw new UndoRefusedError(`trimtab did not change ${name}'s table class; nothing to undo.`);
    const t = await describeTable(ctx, name);
    if (!t) throw new UndoRefusedError(`${name} no longer exists.`);
    if (t.tableClass !== to) throw new UndoRefusedError(`${name} is ${t.tableClass}, not the ${to} trimtab set: not undone.`);
    if (t.status !== 'ACTIVE') throw new UndoRefusedError(`${name} is ${t.status}: AWS refuses UpdateTable until it is ACTIVE. Nothing was changed; try the undo again when the class change has finished.`);
    try {
      await ctx.clients.get(DynamoDBClient, ctx.region).send(new UpdateTableCommand({ TableName: name, TableClass: from }));
    } catch (error) {
      throw refusal(error, name, 'the change back to Standard (AWS allows two class changes in a trailing 30 days)', UndoRefusedError) ?? error;
    }
    return { detail: `${name}: change back to ${from} started.`, after: { tableClass: from } };
  },
};

export const DYNAMODB_REMEDIATORS = [switchToOnDemand, lowerProvisioned, raiseTarget, raiseMax, setTableClass];
