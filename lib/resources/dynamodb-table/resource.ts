/**
 * DynamoDB tables.
 *
 * Listing: ListTables (paginated, 100 names a page) then DescribeTable per table: DynamoDB has
 * no batch describe (BatchGetItem is data only), so this listing costs one call per table; the
 * bench counts it as per-item. Tags: one GetResources (Resource Groups Tagging API) per
 * ListTables page of up to 100 tables, read only when a policy's detector needs them (every
 * dynamodb-table detector does: trimtab:skip); the remediators' apply-time re-check still reads
 * the one table's tags with ListTagsOfResource.
 *
 * Application Auto Scaling: DescribeScalableTargets and DescribeScalingPolicies once per region
 * for the whole `dynamodb` namespace (paginated), never per table (prepare).
 *
 * Metrics, batched through GetMetricData (≤500 queries and ≤100,800 datapoints a call, 6 hourly
 * queries per table): pages of `tablesPerPage(window)` tables, sized so their queries fill whole
 * calls (30 days: 70 tables, 3 calls; 14 days: 50 tables, 1 call): ConsumedRead/WriteCapacityUnits (Sum per hour ÷ 3600 = average units per second),
 * ProvisionedRead/WriteCapacityUnits (Average per hour), Read/WriteThrottleEvents (Sum per hour).
 * ThrottledRequests is published per Operation dimension only (one query per table and
 * operation), so the table-level throttle events stand for it. Table size comes from
 * DescribeTable (TableSizeBytes, updated by AWS about every six hours).
 */
import {
  ApplicationAutoScalingClient,
  paginateDescribeScalableTargets,
  paginateDescribeScalingPolicies,
  type ScalableTarget,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, paginateGetMetricData, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand, paginateListTables, type TableDescription } from '@aws-sdk/client-dynamodb';
import { readTagsByArn } from '../../aws/tagging.ts';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { enrichmentRead } from '../../engine/partial.ts';
import { batches, chunked, mapLimit } from '../../util/async.ts';
import { awsErrorName } from '../../util/errors.ts';
import { partitionOf } from '../../aws/regions.ts';

export const DYNAMO_NEEDS = { usage: 'usage', scaling: 'scaling', tags: 'tags' } as const;
export const windowNeed = (days: number) => `window:${days}`;
export const DEFAULT_WINDOW_DAYS = 14;
/** Six metric queries per table: at most 83 tables' queries fit the 500 of one GetMetricData call. */
export const TABLES_PER_PAGE = 80;
const HOUR_MS = 3_600_000;
/** Datapoints one GetMetricData answer holds at most (then NextToken). */
const DATAPOINTS_PER_CALL = 100_800;

/**
 * Tables per metric page for a window: the count (≤83, ≤500 queries) whose hourly queries cost
 * the fewest GetMetricData calls per table, each call holding at most 100,800 datapoints.
 */
export function tablesPerPage(windowDays: number): number {
  const perTable = METRIC_COUNT * windowDays * 24;
  let best = 1;
  for (let k = 1; k * METRIC_COUNT <= 500; k++) {
    const calls = (n: number) => Math.ceil((n * perTable) / DATAPOINTS_PER_CALL);
    if (k / calls(k) >= best / calls(best)) best = k;
  }
  return best;
}

export type Dimension = 'read' | 'write';

/** One hour of a table's use. Null: no datapoint that hour. */
export interface HourlyUsage {
  /** Average consumed capacity units per second over the hour. */
  consumedRead: number | null;
  consumedWrite: number | null;
  provisionedRead: number | null;
  provisionedWrite: number | null;
  readThrottles: number | null;
  writeThrottles: number | null;
}

export interface ScalingSetting {
  minCapacity: number;
  maxCapacity: number;
  /** The target-tracking policy on this dimension, if any. */
  policy?: { name: string; targetValue: number; metric?: string; disableScaleIn?: boolean; scaleInCooldown?: number; scaleOutCooldown?: number };
}

export interface DynamoTable {
  name: string;
  arn: string;
  region: string;
  status: string;
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  /** Provisioned units (0 under on-demand). */
  readCapacity: number;
  writeCapacity: number;
  tableClass: 'STANDARD' | 'STANDARD_INFREQUENT_ACCESS';
  deletionProtection: boolean;
  /** Regions of the other replicas (a global table when not empty). */
  replicas: string[];
  sizeBytes: number;
  itemCount: number;
  createdAt?: string;
  lastUpdateToPayPerRequest?: string;
  lastDecrease?: string;
  decreasesToday: number;
  /** Global secondary indexes with their provisioned units. */
  indexes: Array<{ name: string; readCapacity: number; writeCapacity: number; status?: string }>;
  /** trimtab's own tables (audit, idempotency, approvals): never acted on. */
  own: boolean;
  tags: Record<string, string>;
  /** Whether tags were read (need `tags`). */
  tagsRead?: boolean;
  /** Application Auto Scaling settings per dimension (need `scaling`). */
  scaling?: Partial<Record<Dimension, ScalingSetting>>;
  /** Hourly use, oldest first (need `usage`). */
  usage?: { windowDays: number; start: string; hours: HourlyUsage[] };
}

/** trimtab's own tables: the stack names them trimtab-<stage>-…; a deployment may rename them through the environment. */
export function isOwnTable(name: string, env: Record<string, string | undefined> = process.env): boolean {
  if (name.startsWith('trimtab-')) return true;
  return [env.TRIMTAB_AUDIT_TABLE, env.TRIMTAB_IDEMPOTENCY_TABLE, env.TRIMTAB_APPROVALS_TABLE].includes(name);
}

const iso = (d: Date | undefined) => (d ? new Date(d).toISOString() : undefined);

export function toDynamoTable(t: TableDescription, region: string, account: string): DynamoTable {
  const name = t.TableName!;
  const mode = t.BillingModeSummary?.BillingMode ?? (t.ProvisionedThroughput?.ReadCapacityUnits ? 'PROVISIONED' : 'PAY_PER_REQUEST');
  const pt = t.ProvisionedThroughput ?? {};
  return {
    name,
    arn: t.TableArn ?? `arn:${partitionOf(region)}:dynamodb:${region}:${account}:table/${name}`,
    region,
    status: t.TableStatus ?? 'UNKNOWN',
    billingMode: mode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    readCapacity: mode === 'PAY_PER_REQUEST' ? 0 : (pt.ReadCapacityUnits ?? 0),
    writeCapacity: mode === 'PAY_PER_REQUEST' ? 0 : (pt.WriteCapacityUnits ?? 0),
    tableClass: t.TableClassSummary?.TableClass === 'STANDARD_INFREQUENT_ACCESS' ? 'STANDARD_INFREQUENT_ACCESS' : 'STANDARD',
    deletionProtection: Boolean(t.DeletionProtectionEnabled),
    replicas: (t.Replicas ?? []).map((r) => r.RegionName!).filter((r) => r && r !== region),
    sizeBytes: t.TableSizeBytes ?? 0,
    itemCount: t.ItemCount ?? 0,
    ...(t.CreationDateTime ? { createdAt: iso(t.CreationDateTime) } : {}),
    ...(t.BillingModeSummary?.LastUpdateToPayPerRequestDateTime ? { lastUpdateToPayPerRequest: iso(t.BillingModeSummary.LastUpdateToPayPerRequestDateTime) } : {}),
    ...(pt.LastDecreaseDateTime ? { lastDecrease: iso(pt.LastDecreaseDateTime) } : {}),
    decreasesToday: pt.NumberOfDecreasesToday ?? 0,
    indexes: (t.GlobalSecondaryIndexes ?? []).map((g) => ({
      name: g.IndexName!,
      readCapacity: g.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
      writeCapacity: g.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
      ...(g.IndexStatus ? { status: g.IndexStatus } : {}),
    })),
    own: isOwnTable(name),
    tags: {},
  };
}

/** The table as it is now, or undefined when it does not exist. */
export async function describeTable(ctx: RegionContext, name: string): Promise<DynamoTable | undefined> {
  try {
    const { Table } = await ctx.clients.get(DynamoDBClient, ctx.region).send(new DescribeTableCommand({ TableName: name }));
    return Table ? toDynamoTable(Table, ctx.region, ctx.account) : undefined;
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

export async function readTags(ctx: RegionContext, arn: string): Promise<Record<string, string>> {
  const ddb = ctx.clients.get(DynamoDBClient, ctx.region);
  const tags: Record<string, string> = {};
  let NextToken: string | undefined;
  do {
    const out = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn, ...(NextToken ? { NextToken } : {}) }));
    for (const t of out.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    NextToken = out.NextToken;
  } while (NextToken);
  return tags;
}

export const SCALABLE_DIMENSION: Record<Dimension, 'dynamodb:table:ReadCapacityUnits' | 'dynamodb:table:WriteCapacityUnits'> = {
  read: 'dynamodb:table:ReadCapacityUnits',
  write: 'dynamodb:table:WriteCapacityUnits',
};
const dimensionOf = (d: string | undefined): Dimension | undefined => (d === SCALABLE_DIMENSION.read ? 'read' : d === SCALABLE_DIMENSION.write ? 'write' : undefined);

export function scalingSettings(targets: ScalableTarget[], policies: ScalingPolicy[]): Map<string, Partial<Record<Dimension, ScalingSetting>>> {
  const byTable = new Map<string, Partial<Record<Dimension, ScalingSetting>>>();
  for (const t of targets) {
    const dim = dimensionOf(t.ScalableDimension);
    if (!dim || !t.ResourceId?.startsWith('table/')) continue;
    const name = t.ResourceId.slice('table/'.length);
    const entry = byTable.get(name) ?? {};
    entry[dim] = { minCapacity: t.MinCapacity ?? 0, maxCapacity: t.MaxCapacity ?? 0 };
    byTable.set(name, entry);
  }
  for (const p of policies) {
    const dim = dimensionOf(p.ScalableDimension);
    const setting = dim && p.ResourceId?.startsWith('table/') ? byTable.get(p.ResourceId.slice(6))?.[dim] : undefined;
    const tt = p.TargetTrackingScalingPolicyConfiguration;
    if (!setting || p.PolicyType !== 'TargetTrackingScaling' || !tt || tt.TargetValue === undefined) continue;
    setting.policy = {
      name: p.PolicyName!,
      targetValue: tt.TargetValue,
      ...(tt.PredefinedMetricSpecification?.PredefinedMetricType ? { metric: tt.PredefinedMetricSpecification.PredefinedMetricType } : {}),
      ...(tt.DisableScaleIn !== undefined ? { disableScaleIn: tt.DisableScaleIn } : {}),
      ...(tt.ScaleInCooldown !== undefined ? { scaleInCooldown: tt.ScaleInCooldown } : {}),
      ...(tt.ScaleOutCooldown !== undefined ? { scaleOutCooldown: tt.ScaleOutCooldown } : {}),
    };
  }
  return byTable;
}

/** Every scalable target and scaling policy of the dynamodb namespace, in two paginated listings. */
export async function readScaling(ctx: RegionContext, resourceIds?: string[]): Promise<Map<string, Partial<Record<Dimension, ScalingSetting>>>> {
  const aas = ctx.clients.get(ApplicationAutoScalingClient, ctx.region);
  const targets: ScalableTarget[] = [];
  const policies: ScalingPolicy[] = [];
  // ResourceIds narrows an event-driven run (up to 50 ids a call); a scheduled run reads the namespace.
  const targetInputs = resourceIds?.length ? batches(resourceIds, 50).map((ids) => ({ ServiceNamespace: 'dynamodb' as const, ResourceIds: ids })) : [{ ServiceNamespace: 'dynamodb' as const }];
  for (const input of targetInputs) {
    for await (const page of paginateDescribeScalableTargets({ client: aas, pageSize: 50 }, input)) targets.push(...(page.ScalableTargets ?? []));
  }
  // DescribeScalingPolicies takes one ResourceId; MaxResults is at most 10.
  const policyInputs = resourceIds?.length === 1 ? [{ ServiceNamespace: 'dynamodb' as const, ResourceId: resourceIds[0] }] : [{ ServiceNamespace: 'dynamodb' as const }];
  for (const input of policyInputs) {
    for await (const page of paginateDescribeScalingPolicies({ client: aas, pageSize: 10 }, input)) policies.push(...(page.ScalingPolicies ?? []));
  }
  return scalingSettings(targets, policies);
}

export const windowDaysOf = (needs: ReadonlySet<string>) =>
  Math.max(0, ...[...needs].filter((n) => n.startsWith('window:')).map((n) => Number(n.slice(7)))) || DEFAULT_WINDOW_DAYS;

const METRIC_COUNT = 6;
const METRICS: Array<[keyof HourlyUsage, string, string]> = [
  ['consumedRead', 'ConsumedReadCapacityUnits', 'Sum'],
  ['consumedWrite', 'ConsumedWriteCapacityUnits', 'Sum'],
  ['provisionedRead', 'ProvisionedReadCapacityUnits', 'Average'],
  ['provisionedWrite', 'ProvisionedWriteCapacityUnits', 'Average'],
  ['readThrottles', 'ReadThrottleEvents', 'Sum'],
  ['writeThrottles', 'WriteThrottleEvents', 'Sum'],
];

/** Hourly use of a page of tables, whole hours ending at the last full hour: one GetMetricData request (paged by datapoints). */
export async function readUsage(ctx: RegionContext, tables: DynamoTable[], windowDays: number): Promise<{ start: Date; hours: Map<string, HourlyUsage[]> }> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const end = new Date(Math.floor(ctx.now.getTime() / HOUR_MS) * HOUR_MS);
  const start = new Date(end.getTime() - windowDays * 24 * HOUR_MS);
  const slots = windowDays * 24;
  const queries: MetricDataQuery[] = tables.flatMap((t, i) =>
    METRICS.map(([, metric, stat], m) => ({
      Id: `m${m}t${i}`,
      MetricStat: { Metric: { Namespace: 'AWS/DynamoDB', MetricName: metric, Dimensions: [{ Name: 'TableName', Value: t.name }] }, Period: 3600, Stat: stat },
      ReturnData: true,
    })),
  );
  const values = new Map<string, (number | null)[]>();
  for (const batch of batches(queries, 500)) {
    for await (const page of paginateGetMetricData({ client: cw }, { MetricDataQueries: batch, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending' })) {
      for (const r of page.MetricDataResults ?? []) {
        const series = values.get(r.Id!) ?? new Array<number | null>(slots).fill(null);
        (r.Timestamps ?? []).forEach((t, k) => {
          const slot = Math.floor((new Date(t).getTime() - start.getTime()) / HOUR_MS);
          if (slot >= 0 && slot < slots) series[slot] = r.Values![k];
        });
        values.set(r.Id!, series);
      }
    }
  }
  const hours = new Map<string, HourlyUsage[]>();
  tables.forEach((t, i) => {
    const get = (m: number) => values.get(`m${m}t${i}`) ?? new Array<number | null>(slots).fill(null);
    const series = METRICS.map((_, m) => get(m));
    hours.set(
      t.name,
      Array.from({ length: slots }, (_, h) => {
        const v = (m: number) => series[m][h];
        const perSecond = (x: number | null) => (x === null ? null : x / 3600);
        return { consumedRead: perSecond(v(0)), consumedWrite: perSecond(v(1)), provisionedRead: v(2), provisionedWrite: v(3), readThrottles: v(4), writeThrottles: v(5) };
      }),
    );
  });
  return { start, hours };
}

export interface DynamoPrepared {
  scaling?: Map<string, Partial<Record<Dimension, ScalingSetting>>>;
  /** Need `tags`: the listing reads each ListTables page's tags in one GetResources call. */
  tags?: boolean;
  /** Tables per page, from the metric window (need `usage`). */
  pageSize?: number;
}

/** The tables with their tags (≤100 a GetResources call); on a failed read they stay without (`tagsRead` unset) and the gap is recorded. */
async function withTags(ctx: RegionContext, tables: DynamoTable[]): Promise<DynamoTable[]> {
  if (tables.length === 0) return tables;
  const tags = await enrichmentRead(ctx, { provides: [DYNAMO_NEEDS.tags], items: tables, operation: 'tag:GetResources' }, () => readTagsByArn(ctx, tables.map((t) => t.arn)));
  return tags ? tables.map((t) => ({ ...t, tags: tags.get(t.arn) ?? {}, tagsRead: true })) : tables;
}

export const dynamodbTableResource: ResourceType<DynamoTable, DynamoPrepared> = {
  id: 'dynamodb-table',
  title: 'DynamoDB table',
  permissions: ['dynamodb:ListTables', 'dynamodb:DescribeTable', 'tag:GetResources', 'application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies', 'cloudwatch:GetMetricData'],

  async prepare(ctx, needs) {
    // A failed read costs only the detectors needing it (lib/engine/partial.ts); `scaling` stays unset.
    const scaling = needs.has(DYNAMO_NEEDS.scaling)
      ? await enrichmentRead(ctx, { provides: [DYNAMO_NEEDS.scaling], operation: 'application-autoscaling:DescribeScalableTargets' }, () => readScaling(ctx))
      : undefined;
    return { ...(scaling ? { scaling } : {}), ...(needs.has(DYNAMO_NEEDS.tags) ? { tags: true } : {}), pageSize: needs.has(DYNAMO_NEEDS.usage) ? tablesPerPage(windowDaysOf(needs)) : TABLES_PER_PAGE };
  },

  async *list(ctx, prepared, ids) {
    const ddb = ctx.clients.get(DynamoDBClient, ctx.region);
    async function* names(): AsyncGenerator<string[]> {
      if (ids?.length) {
        yield [...ids];
        return;
      }
      for await (const page of paginateListTables({ client: ddb, pageSize: 100 }, {})) yield page.TableNames ?? [];
    }
    // No batch describe: one DescribeTable per table, a few at a time; tags for the whole ListTables page in one GetResources.
    async function* described(): AsyncGenerator<DynamoTable[]> {
      for await (const page of names()) {
        const tables = (await mapLimit(page, 8, (name) => describeTable(ctx, name))).filter((t): t is DynamoTable => Boolean(t));
        yield prepared?.tags ? await withTags(ctx, tables) : tables;
      }
    }
    yield* chunked(described(), prepared?.pageSize ?? TABLES_PER_PAGE);
  },

  async enrich(ctx, page, prepared, needs) {
    if (page.length === 0) return page;
    let tables = page;
    // Each read runs through enrichmentRead: a failure costs only the detectors needing it, on these tables (lib/engine/partial.ts).
    // Tags normally come with the listing (GetResources per ListTables page); a caller that prepared nothing reads them here.
    if (needs.has(DYNAMO_NEEDS.tags) && !prepared?.tags) tables = await withTags(ctx, tables);
    if (needs.has(DYNAMO_NEEDS.scaling)) {
      // An event-driven run may have prepared nothing: read the few tables it names (a failed prepare recorded its gap already).
      const read = { provides: [DYNAMO_NEEDS.scaling], items: tables, operation: 'application-autoscaling:DescribeScalableTargets' };
      const scaling = prepared?.scaling ?? (ctx.gaps?.missing(tables[0], [DYNAMO_NEEDS.scaling]).length ? undefined : await enrichmentRead(ctx, read, () => readScaling(ctx, tables.map((t) => `table/${t.name}`))));
      if (scaling) tables = tables.map((t) => ({ ...t, scaling: scaling.get(t.name) ?? {} }));
    }
    if (needs.has(DYNAMO_NEEDS.usage)) {
      const windowDays = windowDaysOf(needs);
      const usage = await enrichmentRead(ctx, { provides: [DYNAMO_NEEDS.usage], items: tables, operation: 'cloudwatch:GetMetricData' }, () => readUsage(ctx, tables, windowDays));
      if (usage) tables = tables.map((t) => ({ ...t, usage: { windowDays, start: usage.start.toISOString(), hours: usage.hours.get(t.name)! } }));
    }
    return tables;
  },

  ref(t, ctx) {
    return { type: 'dynamodb-table', id: t.name, arn: t.arn, account: ctx.account, region: t.region, tags: t.tags };
  },
};
