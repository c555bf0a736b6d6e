/**
 * The DynamoDB part of the sandbox: waste for every detector, and traps.
 * - orders-archive: 200 RCU / 100 WCU provisioned, ~2 / ~1 used (over-provisioned);
 * - sessions: auto scaling at a 30 % target (autoscaling-target-low);
 * - checkout-events: writes throttled while auto scaling sits at its MaxCapacity (throttled);
 * - legacy-reports: no reads or writes for 60 days, deletion protection on (unused-table);
 * - audit-history: 800 GB, little traffic (table-class → Standard-IA);
 * traps: catalog (busy: well used), payments-global (a global table), ledger (trimtab:skip),
 * feature-flags (two days old: too little data).
 * Consumed capacity is seeded per 5-minute datapoint as AWS sums it (units per second × 300).
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import { addModelledTable, type ModelledTable } from '../../sandbox/services/dynamodb-control.ts';
import { addScalableTarget } from '../../sandbox/services/application-auto-scaling.ts';

const PERIOD = 300;
type Rate = Omit<SeriesSpec, 'resolutionSeconds'>;

export interface TableSeed {
  name: string;
  ageDays: number;
  billingMode: ModelledTable['billingMode'];
  read?: number;
  write?: number;
  tableClass?: ModelledTable['tableClass'];
  deletionProtection?: boolean;
  replicas?: string[];
  sizeGb?: number;
  itemCount?: number;
  indexes?: ModelledTable['indexes'];
  tags?: Record<string, string>;
  /** Consumed units per second (absent: no metrics). */
  reads?: Rate;
  writes?: Rate;
  /** Throttle events per 5 minutes. */
  readThrottles?: Rate;
  writeThrottles?: Rate;
  /** Application Auto Scaling per dimension. */
  scaling?: Partial<Record<'read' | 'write', { min: number; max: number; target?: number }>>;
  /** Provisioned units the metric shows (auto scaling moves them); default: read / write. */
  provisionedRead?: Rate;
  provisionedWrite?: Rate;
}

const perPeriod = (r: Rate): Rate => {
  const out: Rate = { ...r, base: r.base * PERIOD };
  for (const k of ['amplitude', 'noise', 'spikeValue', 'min', 'max'] as const) if (r[k] !== undefined) out[k] = r[k]! * PERIOD;
  return out;
};

export function addDynamoTable(sandbox: Sandbox, accountId: string, region: string, seed: TableSeed) {
  const account = sandbox.account(accountId);
  const createdAt = daysAgo(sandbox.now(), seed.ageDays).toISOString();
  const provisioned = seed.billingMode === 'PROVISIONED';
  addModelledTable(sandbox, account, region, {
    name: seed.name,
    createdAt,
    billingMode: seed.billingMode,
    read: provisioned ? (seed.read ?? 5) : 0,
    write: provisioned ? (seed.write ?? 5) : 0,
    tableClass: seed.tableClass ?? 'STANDARD',
    deletionProtection: seed.deletionProtection ?? false,
    replicas: seed.replicas ?? [],
    sizeBytes: Math.round((seed.sizeGb ?? 0.1) * 1e9),
    itemCount: seed.itemCount ?? Math.round((seed.sizeGb ?? 0.1) * 1e6),
    indexes: seed.indexes ?? [],
    tags: seed.tags ?? {},
  });
  const metrics = cloudwatchState(sandbox, account, region).metrics;
  const dimensions = { TableName: seed.name };
  const push = (metricName: string, rate: Rate | undefined, scale = true) => {
    if (rate) metrics.push({ namespace: 'AWS/DynamoDB', metricName, dimensions, series: { resolutionSeconds: PERIOD, min: 0, startsAt: createdAt, ...(scale ? perPeriod(rate) : rate) } });
  };
  push('ConsumedReadCapacityUnits', seed.reads);
  push('ConsumedWriteCapacityUnits', seed.writes);
  push('ReadThrottleEvents', seed.readThrottles ?? (seed.reads ? { base: 0 } : undefined), false);
  push('WriteThrottleEvents', seed.writeThrottles ?? (seed.writes ? { base: 0 } : undefined), false);
  if (provisioned && seed.reads) {
    push('ProvisionedReadCapacityUnits', seed.provisionedRead ?? { base: seed.read ?? 5 }, false);
    push('ProvisionedWriteCapacityUnits', seed.provisionedWrite ?? { base: seed.write ?? 5 }, false);
  }
  for (const [d, s] of Object.entries(seed.scaling ?? {})) {
    const dimension = d === 'read' ? 'dynamodb:table:ReadCapacityUnits' : 'dynamodb:table:WriteCapacityUnits';
    addScalableTarget(
      sandbox,
      account,
      region,
      { ServiceNamespace: 'dynamodb', ResourceId: `table/${seed.name}`, ScalableDimension: dimension, MinCapacity: s.min, MaxCapacity: s.max },
      s.target !== undefined ? { name: `${d === 'read' ? 'DynamoDBReadCapacityUtilization' : 'DynamoDBWriteCapacityUtilization'}:table/${seed.name}`, targetValue: s.target, metric: d === 'read' ? 'DynamoDBReadCapacityUtilization' : 'DynamoDBWriteCapacityUtilization' } : undefined,
    );
  }
}

export function seedDynamoSmallCompany(sandbox: Sandbox, accountId: string) {
  const region = 'us-east-1';
  const add = (seed: TableSeed) => addDynamoTable(sandbox, accountId, region, seed);
  // Waste.
  add({ name: 'orders-archive', ageDays: 400, billingMode: 'PROVISIONED', read: 200, write: 100, sizeGb: 3, tags: { team: 'orders', env: 'prod' }, reads: { base: 2, amplitude: 1, seed: 1 }, writes: { base: 1, amplitude: 0.5, seed: 2 } });
  add({
    name: 'sessions',
    ageDays: 300,
    billingMode: 'PROVISIONED',
    read: 100,
    write: 60,
    sizeGb: 1,
    tags: { team: 'web' },
    reads: { base: 28, amplitude: 6, seed: 3 },
    writes: { base: 16, amplitude: 3, seed: 4 },
    provisionedRead: { base: 100, amplitude: 20 },
    provisionedWrite: { base: 60, amplitude: 10 },
    scaling: { read: { min: 20, max: 400, target: 30 }, write: { min: 10, max: 200, target: 30 } },
  });
  add({
    name: 'checkout-events',
    ageDays: 200,
    billingMode: 'PROVISIONED',
    read: 20,
    write: 50,
    sizeGb: 2,
    tags: { team: 'payments' },
    reads: { base: 8, amplitude: 3, seed: 5 },
    writes: { base: 45, amplitude: 8, max: 50, seed: 6 },
    writeThrottles: { base: 0, spikeValue: 40, spikeEveryHours: 6 },
    provisionedWrite: { base: 50 },
    scaling: { read: { min: 5, max: 100, target: 70 }, write: { min: 10, max: 50, target: 70 } },
  });
  add({ name: 'legacy-reports', ageDays: 900, billingMode: 'PROVISIONED', read: 25, write: 25, sizeGb: 2, deletionProtection: true, tags: { team: 'bi' }, reads: { base: 0 }, writes: { base: 0 } });
  add({ name: 'audit-history', ageDays: 1200, billingMode: 'PAY_PER_REQUEST', sizeGb: 800, tags: { team: 'security' }, reads: { base: 0.5, amplitude: 0.3, seed: 7 }, writes: { base: 2, amplitude: 1, seed: 8 } });
  // Traps.
  add({ name: 'catalog', ageDays: 500, billingMode: 'PROVISIONED', read: 100, write: 20, sizeGb: 4, tags: { team: 'shop' }, reads: { base: 70, amplitude: 15, seed: 9 }, writes: { base: 12, amplitude: 4, seed: 10 } });
  add({ name: 'payments-global', ageDays: 600, billingMode: 'PROVISIONED', read: 300, write: 300, replicas: ['eu-west-1'], sizeGb: 5, tags: { team: 'payments' }, reads: { base: 3, seed: 11 }, writes: { base: 2, seed: 12 } });
  add({ name: 'ledger', ageDays: 700, billingMode: 'PROVISIONED', read: 150, write: 150, sizeGb: 6, tags: { team: 'finance', 'trimtab:skip': 'month-end close needs the headroom' }, reads: { base: 2, seed: 13 }, writes: { base: 1, seed: 14 } });
  add({ name: 'feature-flags', ageDays: 2, billingMode: 'PROVISIONED', read: 100, write: 50, sizeGb: 0.01, tags: { team: 'web' }, reads: { base: 1, seed: 15 }, writes: { base: 0.2, seed: 16 } });
}
