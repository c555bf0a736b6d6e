/**
 * dynamodb-table on the small-company sandbox (AWS-like timing: UPDATING for minutes after
 * UpdateTable, pages of 5), beside trimtab's own tables in dynalite.
 */
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, PutItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { AwsClients } from '../../lib/aws/clients.ts';
import type { RegionContext } from '../../lib/engine/types.ts';
import { undoAction } from '../../lib/engine/undo.ts';
import { setTableClass, switchToOnDemand } from '../../lib/resources/dynamodb-table/remediators.ts';
import { DEFAULT_PRICES } from '../../lib/savings/prices.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { addDynamoTable } from '../../lib/resources/dynamodb-table/sandbox-seed.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../lib/sandbox/sandbox.ts';
import { appAutoScalingState } from '../../lib/sandbox/services/application-auto-scaling.ts';
import { dynamoControlState } from '../../lib/sandbox/services/dynamodb-control.ts';
import { ensureSandboxTable } from '../../lib/sandbox/services/dynamodb.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../lib/util/errors.ts';
import { emptySandbox, envFor, testEnv, type TestEnv } from '../helpers.ts';

const START = '2026-11-01T00:00:00Z';
const opened: Sandbox[] = [];
const env = (options: Parameters<typeof testEnv>[1] = {}): TestEnv => {
  const e = testEnv('small-company', { clock: new VirtualClock(START), ...options });
  opened.push(e.sandbox);
  return e;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const tables = (e: TestEnv) => dynamoControlState(e.sandbox, e.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').tables;
const policy = (detector: string, action: string | undefined, mode = 'auto', extra = '') => `
version: 1
policies:
  - id: p
    resource: dynamodb-table
    detector: { type: ${detector}${extra} }
    ${action ? `action: { type: ${action} }` : ''}
    mode: ${mode}
    limits: { maxActionsPerRun: 100, cooldownHours: 0 }
    approval: { approvers: [ops@example.com] }
`;
const byTable = (result: Awaited<ReturnType<TestEnv['run']>>) => Object.fromEntries(result.findings.map((f) => [f.resource.id, f]));
const updates = (e: TestEnv) => e.sandbox.successfulWrites('UpdateTable').map((w) => w.input as Record<string, unknown>);

describe('dynamodb-table detectors on the small-company sandbox', () => {
  it('finds the waste of every detector, protects every trap, and writes nothing in a scan', async () => {
    // Prepare
    const e = env();
    // Act
    const over = byTable(await e.run(policy('over-provisioned', 'switch-to-on-demand'), { forceDryRun: true }));
    const low = byTable(await e.run(policy('autoscaling-target-low', 'raise-target'), { forceDryRun: true }));
    const thr = byTable(await e.run(policy('throttled', 'raise-max'), { forceDryRun: true }));
    const unused = byTable(await e.run(policy('unused-table', undefined), { forceDryRun: true }));
    const cls = byTable(await e.run(policy('table-class', undefined), { forceDryRun: true }));
    // Assess
    expect(Object.keys(over).sort()).toEqual(['feature-flags', 'ledger', 'legacy-reports', 'orders-archive', 'payments-global']);
    expect(over['orders-archive']).toMatchObject({ status: 'actionable', outcome: 'would-apply', evidence: { provisioned: { read: 200, write: 100 } } });
    expect(over['orders-archive'].savings.monthlyUsd).toBeGreaterThan(60);
    expect(over['ledger'].outcomeDetail).toBe('tagged trimtab:skip');
    expect(over['payments-global'].evidence.protection).toMatch(/^global table \(replicas in eu-west-1\)/);
    expect(over['feature-flags'].evidence.protection).toBe('too little data: 48 of 168 hours');
    expect(over['catalog']).toBeUndefined(); // busy
    expect(Object.keys(low)).toEqual(['sessions']);
    expect(low['sessions'].plan!.params).toEqual({ tableName: 'sessions', table: { arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/sessions', createdAt: new Date(Date.parse(START) - 300 * 86_400_000).toISOString() }, changes: [{ dimension: 'read', policyName: 'DynamoDBReadCapacityUtilization:table/sessions', from: 30, to: 50 }, { dimension: 'write', policyName: 'DynamoDBWriteCapacityUtilization:table/sessions', from: 30, to: 50 }] });
    expect(Object.keys(thr)).toEqual(['checkout-events']);
    expect(thr['checkout-events']).toMatchObject({ benefit: ['performance'], evidence: { cappedBy: ['write: auto scaling at its MaxCapacity 50'] } });
    expect(thr['checkout-events'].risk!.summary).toMatch(/^checkout-events was throttled [\d,]+ times/);
    expect(thr['checkout-events'].plan!.params).toEqual({ tableName: 'checkout-events', table: { arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/checkout-events', createdAt: new Date(Date.parse(START) - 200 * 86_400_000).toISOString() }, changes: [{ dimension: 'write', from: 50, to: 75, minCapacity: 10 }] });
    expect(Object.keys(unused)).toEqual(['legacy-reports']);
    expect(unused['legacy-reports'].status).toBe('report-only');
    expect(unused['legacy-reports'].evidence.deletionProtection).toBe(true);
    expect(Object.keys(cls)).toEqual(['audit-history']);
    expect(cls['audit-history'].savings.monthlyUsd).toBeGreaterThan(100);
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });

  it('loads the default policies of trimtab.yml: capacity changes in approval, tuning and reports in dry-run', () => {
    const set = loadPolicies('trimtab.yml');
    const modes = Object.fromEntries(set.policies.filter((p) => p.resource === 'dynamodb-table').map((p) => [p.id, p.mode]));
    expect(modes).toEqual({ 'dynamodb-over-provisioned': 'approval', 'dynamodb-autoscaling-target-low': 'dry-run', 'dynamodb-throttled': 'approval', 'dynamodb-unused-table': 'dry-run', 'dynamodb-table-class': 'dry-run' });
  });
});

describe('switch-to-on-demand', () => {
  it('switches the over-provisioned table, and undo waits for ACTIVE then restores the recorded capacity', async () => {
    // Prepare
    const e = env();
    const scoped = policy('over-provisioned', 'switch-to-on-demand', 'auto', ', maxUtilization: 0.1').replace('mode: auto', 'mode: auto\n    scope: { includeNames: [orders-archive] }');
    // Act
    const result = await e.run(scoped);
    // Assess
    expect(result.actions.map((a) => [a.resource.id, a.status])).toEqual([['orders-archive', 'verified']]);
    expect(updates(e)).toEqual([{ TableName: 'orders-archive', BillingMode: 'PAY_PER_REQUEST' }]);
    expect(tables(e)['orders-archive'].billingMode).toBe('PAY_PER_REQUEST');
    // Right after the switch the table is UPDATING for minutes: undo refuses, naming why.
    await expect(undoAction(result.actions[0].id, e.deps)).rejects.toThrow(/orders-archive is UPDATING: AWS refuses UpdateTable until it is ACTIVE/);
    await e.sandbox.clock.sleep(6 * 60_000);
    const undone = await undoAction(result.actions[0].id, e.deps);
    expect(undone.status).toBe('undone');
    expect(updates(e).at(-1)).toEqual({ TableName: 'orders-archive', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 100 } });
    expect(tables(e)['orders-archive']).toMatchObject({ billingMode: 'PROVISIONED', read: 200, write: 100 });
  });

  it('switches a table that was switched to on-demand 20 hours ago: AWS allows four switches to on-demand in a rolling 24 hours', async () => {
    // Prepare: switched to on-demand once 20 hours ago, then back to provisioned (allowed at any time)
    const e = env();
    const t = tables(e)['orders-archive'];
    t.switchesToOnDemand = ['2026-10-31T04:00:00Z'];
    // Act
    const result = await e.run(policy('over-provisioned', 'switch-to-on-demand').replace('mode: auto', 'mode: auto\n    scope: { includeNames: [orders-archive] }'));
    // Assess
    expect(result.actions.map((a) => a.status)).toEqual(['verified']);
    expect(updates(e)).toEqual([{ TableName: 'orders-archive', BillingMode: 'PAY_PER_REQUEST' }]);
    expect(t.billingMode).toBe('PAY_PER_REQUEST');
  });

  it('reports the AWS refusal of a fifth switch to on-demand in a rolling 24 hours as a skip naming the rule, changing nothing', async () => {
    // Prepare: four switches to on-demand in the last 24 hours (DescribeTable shows only the last one)
    const e = env();
    const t = tables(e)['orders-archive'];
    t.switchesToOnDemand = ['2026-10-31T04:00:00Z', '2026-10-31T08:00:00Z', '2026-10-31T12:00:00Z', '2026-10-31T16:00:00Z'];
    // Act
    const result = await e.run(policy('over-provisioned', 'switch-to-on-demand').replace('mode: auto', 'mode: auto\n    scope: { includeNames: [orders-archive] }'));
    // Assess: a refusal is a skip (ProtectedResourceError), not a failure
    expect(result.actions.map((a) => a.status)).toEqual(['skipped']);
    expect(result.actions[0].transitions.at(-1)!.detail).toMatch(
      /^protected: AWS refused the switch to on-demand \(AWS allows four in a rolling 24 hours\) on orders-archive \(LimitExceededException: Subscriber limit exceeded: Update to PayPerRequest mode are limited to 4 in a rolling 24 hour window\..*\); nothing was changed\. A later run retries\.$/,
    );
    expect(t.billingMode).toBe('PROVISIONED');
    expect(t.switchesToOnDemand).toHaveLength(4);
    // The SDK classifies LimitExceededException as throttling: six attempts (no real backoff in tests).
    expect(e.sandbox.callCount('dynamodb:UpdateTable')).toBe(6);
  });

  it('never touches trimtab\'s own tables, which keep working in dynalite beside the modelled ones', async () => {
    // Prepare: the stack's audit table, with an item, in dynalite
    const e = env();
    ensureSandboxTable(e.sandbox, e.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1', { name: 'trimtab-dev-audit', key: { pk: 'pk', sk: 'sk' } });
    const ddb = e.clients.withWrites(true).get(DynamoDBClient, 'us-east-1');
    await ddb.send(new PutItemCommand({ TableName: 'trimtab-dev-audit', Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    // Act
    const names = (await ddb.send(new ListTablesCommand({}))).TableNames;
    const unused = byTable(await e.run(policy('unused-table', undefined)));
    const refused = await ddb.send(new UpdateTableCommand({ TableName: 'trimtab-dev-audit', BillingMode: 'PAY_PER_REQUEST' })).then(() => 'ok', (err: Error) => err.name);
    // Assess
    expect(names).toEqual(['audit-history', 'catalog', 'checkout-events', 'feature-flags', 'ledger', 'legacy-reports', 'orders-archive', 'payments-global', 'sessions', 'trimtab-dev-audit']);
    expect(unused['trimtab-dev-audit']).toMatchObject({ status: 'protected', evidence: { protection: "trimtab's own table" } });
    expect(refused).toBe('ok'); // dynalite answered it: the table is dynalite's, not the model's
    expect(e.sandbox.successfulWrites().filter((w) => w.operation === 'UpdateTable' && (w.input as { TableName: string }).TableName !== 'trimtab-dev-audit')).toEqual([]);
  });
});

describe('lower-provisioned', () => {
  it('lowers to the p95 need, and undo raises it back', async () => {
    const e = env({ timing: { scale: 0, consistencyMs: 0 } });
    const result = await e.run(policy('over-provisioned', 'lower-provisioned').replace('mode: auto', 'mode: auto\n    scope: { includeNames: [orders-archive] }'));
    expect(result.actions.map((a) => a.status)).toEqual(['verified']);
    const { to } = result.actions[0].params as { to: { read: number; write: number } };
    expect(tables(e)['orders-archive']).toMatchObject({ read: to.read, write: to.write });
    expect(to.read).toBeLessThan(10);
    await undoAction(result.actions[0].id, e.deps);
    expect(tables(e)['orders-archive']).toMatchObject({ read: 200, write: 100 });
  });

  it('refuses a fifth decrease within the hour with the time AWS allows the next, without calling UpdateTable', async () => {
    const e = env();
    tables(e)['orders-archive'].decreases = ['2026-10-31T23:59:00Z', '2026-11-01T00:00:00Z'].concat(['2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z']).slice(1);
    tables(e)['orders-archive'].decreases.push('2026-11-01T00:00:00Z');
    const result = await e.run(policy('over-provisioned', 'lower-provisioned').replace('mode: auto', 'mode: auto\n    scope: { includeNames: [orders-archive] }'));
    expect(result.actions.map((a) => a.status)).toEqual(['skipped']);
    expect(result.actions[0].transitions.at(-1)!.detail).toMatch(/orders-archive had 4 capacity decreases today; AWS allows the next one from 2026-11-01T01:00:00.000Z/);
    expect(e.sandbox.successfulWrites('UpdateTable')).toEqual([]);
  });

  it('is a conflict on a table whose capacity auto scaling manages', async () => {
    const sandbox = emptySandbox({ clock: new VirtualClock(START) });
    opened.push(sandbox);
    addDynamoTable(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { name: 'scaled', ageDays: 100, billingMode: 'PROVISIONED', read: 100, write: 100, reads: { base: 1 }, writes: { base: 1 }, scaling: { read: { min: 100, max: 200 } } });
    const result = await envFor(sandbox, ['us-east-1']).run(policy('over-provisioned', 'lower-provisioned'));
    expect(result.findings[0].status).toBe('conflict');
    expect(result.findings[0].outcomeDetail).toMatch(/Application Auto Scaling manages scaled's read capacity/);
    expect(sandbox.successfulWrites()).toEqual([]);
  });
});

describe('raise-target and raise-max', () => {
  it('raises the sessions targets from 30 % to 50 %, keeping the rest of the configuration, and undo puts 30 % back', async () => {
    const e = env();
    const result = await e.run(policy('autoscaling-target-low', 'raise-target'));
    expect(result.actions.map((a) => a.status)).toEqual(['verified']);
    const policies = appAutoScalingState(e.sandbox, e.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').policies.filter((p) => p.ResourceId === 'table/sessions');
    expect(policies.map((p) => p.TargetTrackingScalingPolicyConfiguration)).toEqual([
      { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' }, ScaleInCooldown: 0, ScaleOutCooldown: 0, DisableScaleIn: false },
      { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBWriteCapacityUtilization' }, ScaleInCooldown: 0, ScaleOutCooldown: 0, DisableScaleIn: false },
    ]);
    await undoAction(result.actions[0].id, e.deps);
    expect(policies.map((p) => p.TargetTrackingScalingPolicyConfiguration!.TargetValue)).toEqual([30, 30]);
  });

  it('waits for approval on the throttled table, then raises its write MaxCapacity from 50 to 75', async () => {
    const e = env();
    const pending = await e.run(policy('throttled', 'raise-max', 'approval'));
    expect(pending.summary.awaitingApproval).toBe(1);
    expect(e.sandbox.successfulWrites()).toEqual([]);
    const applied = await e.run(policy('throttled', 'raise-max'));
    expect(applied.actions.map((a) => a.status)).toEqual(['verified']);
    const target = appAutoScalingState(e.sandbox, e.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').targets.find((t) => t.ResourceId === 'table/checkout-events' && t.ScalableDimension.endsWith('Write'.concat('CapacityUnits')))!;
    expect([target.MinCapacity, target.MaxCapacity]).toEqual([10, 75]);
  });
});

describe('listing cost', () => {
  it('lists 230 tables with 3 ListTables pages, one DescribeTable per table, their tags in one GetResources per 100 tables, one scaling listing each, and metrics in whole calls', async () => {
    // Prepare
    const sandbox = emptySandbox({ clock: new VirtualClock(START), pageCap: undefined });
    opened.push(sandbox);
    for (let n = 0; n < 230; n++) addDynamoTable(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { name: `t-${String(n).padStart(3, '0')}`, ageDays: 90, billingMode: 'PROVISIONED', read: 50, write: 50, reads: { base: n % 3 }, writes: { base: 1 }, ...(n % 10 === 0 ? { scaling: { read: { min: 5, max: 100, target: 30 } } } : {}) });
    const metricQueries: number[] = [];
    sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'GetMetricData' && !input.NextToken) metricQueries.push(input.MetricDataQueries.length);
      return undefined;
    };
    // Act
    const result = await envFor(sandbox, ['us-east-1']).run(policy('over-provisioned', 'switch-to-on-demand'), { forceDryRun: true });
    // Assess
    const calls = sandbox.callsByOperation();
    expect(calls['dynamodb:ListTables']).toBe(3);
    expect(calls['dynamodb:DescribeTable']).toBe(230);
    // Tags: the Resource Groups Tagging API, 100 ARNs a call; never one ListTagsOfResource per table.
    expect(calls['resourcegroupstaggingapi:GetResources']).toBe(3);
    expect(calls['dynamodb:ListTagsOfResource']).toBeUndefined();
    expect(calls['applicationautoscaling:DescribeScalableTargets']).toBe(1);
    expect(calls['applicationautoscaling:DescribeScalingPolicies']).toBe(3); // 23 policies, 10 a page
    // 14 days hourly: 336 datapoints a query, so 50 tables (300 queries, 100,800 datapoints) fill one call exactly.
    expect(metricQueries).toEqual([300, 300, 300, 300, 180]);
    expect(calls['cloudwatch:GetMetricData']).toBe(5);
    expect(result.findings).toHaveLength(230);
  }, 180_000); // 230 tables in dynalite: 15.8 s alone at load 21, over the default 30 s beside another worker at load 25
});

describe('dynamodb-table from the scheduled function and the CLI', () => {
  it('the scheduled sweep with the shipped policies sends the over-provisioned and throttled tables for approval and changes no table', async () => {
    // Prepare
    const { runSweep } = await import('../../lib/lambda/sweep.ts');
    const { lambdaDepsFor } = await import('../helpers.ts');
    const e = env();
    const deps = lambdaDepsFor(e, loadPolicies('trimtab.yml'));
    // Act
    const out = await runSweep({ policies: ['dynamodb-over-provisioned', 'dynamodb-throttled', 'dynamodb-autoscaling-target-low', 'dynamodb-unused-table', 'dynamodb-table-class'] }, undefined, deps);
    // Assess: orders-archive and legacy-reports (over-provisioned) and checkout-events (throttled) await a person.
    expect(out.errors).toEqual([]);
    expect(out.summary.awaitingApproval).toBe(3);
    expect(out.actions).toEqual([]);
    expect(e.sandbox.successfulWrites().filter((w) => w.service === 'dynamodb' || w.service === 'applicationautoscaling')).toEqual([]);
  });

  it('trimtab scan --sandbox reports the DynamoDB and ElastiCache findings as JSON', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runTrimtab } = await import('../cli-helpers.ts');
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-ddb-'));
    writeFileSync(join(dir, 'p.yml'), policy('over-provisioned', 'switch-to-on-demand', 'approval') + '  - { id: cache, resource: elasticache-cluster, detector: { type: previous-generation-node } }\n');
    const out = await runTrimtab(dir, ['scan', '--sandbox', '--policies', join(dir, 'p.yml'), '--output', 'json']);
    expect(out.code).toBe(0);
    const findings = JSON.parse(out.stdout).findings as Array<{ resourceId: string; action?: string; policy: string; estimatedMonthlySavingsUsd: number }>;
    expect(findings.filter((f) => f.policy === 'p' && f.action === 'switch-to-on-demand').map((f) => f.resourceId).sort()).toEqual(['legacy-reports', 'orders-archive']);
    expect(findings.filter((f) => f.policy === 'cache').map((f) => [f.resourceId, f.estimatedMonthlySavingsUsd])).toEqual([['acme-sessions-memcached', 15.33]]);
  }, 120_000);
});

describe('set-table-class', () => {
  it('changes the storage-heavy table to Standard-IA, and undo waits for ACTIVE then changes it back', async () => {
    const e = env();
    const result = await e.run(policy('table-class', 'set-table-class'));
    expect(result.actions.map((a) => [a.resource.id, a.status])).toEqual([['audit-history', 'verified']]);
    expect(tables(e)['audit-history'].tableClass).toBe('STANDARD_INFREQUENT_ACCESS');
    await expect(undoAction(result.actions[0].id, e.deps)).rejects.toThrow(/audit-history is UPDATING/);
    await e.sandbox.clock.sleep(11 * 60_000);
    await undoAction(result.actions[0].id, e.deps);
    expect(tables(e)['audit-history'].tableClass).toBe('STANDARD');
    expect(updates(e)).toEqual([{ TableName: 'audit-history', TableClass: 'STANDARD_INFREQUENT_ACCESS' }, { TableName: 'audit-history', TableClass: 'STANDARD' }]);
  });

  it('reports the AWS limit of two class changes in 30 days as a skip after the SDK retries, changing nothing', async () => {
    // Prepare: a zero-delay retry strategy (AWS's retry count, no real backoff): the SDK classifies
    // LimitExceededException as throttling and retries it, as it would against AWS.
    const e = env();
    e.deps.clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: e.sandbox, writePacing: false, clientConfig: { retryStrategy: new ConfiguredRetryStrategy(3, 0) } });
    tables(e)['audit-history'].classChanges = ['2026-10-10T00:00:00Z', '2026-10-20T00:00:00Z'];
    // Act
    const result = await e.run(policy('table-class', 'set-table-class'));
    // Assess
    expect(result.actions.map((a) => a.status)).toEqual(['skipped']);
    expect(result.actions[0].transitions.at(-1)!.detail).toMatch(/table class updates are limited to 2 in a trailing 30-day period/);
    expect(e.sandbox.callCount('dynamodb:UpdateTable')).toBe(3);
    expect(tables(e)['audit-history'].tableClass).toBe('STANDARD');
  });
});

// ── issue 24 point 7, issue 30: every action re-checks the table against its plan right before writing ──

describe('the plan is bound to the table and the state it was made on', () => {
  const regionCtx = (e: TestEnv): RegionContext =>
    ({ account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: e.clients.withWrites(true), now: e.sandbox.now(), clock: e.sandbox.clock, prices: DEFAULT_PRICES, log: () => {} }) as RegionContext;
  /** The finding and plan an approval-mode run made (nothing written), to apply by hand after the world changed. */
  async function planned(e: TestEnv, detector: string, action: string, table: string, extra = '') {
    const result = await e.run(policy(detector, action, 'approval', extra).replace('mode: approval', `mode: approval\n    scope: { includeNames: [${table}] }`));
    const finding = result.findings.find((f) => f.resource.id === table && f.plan)!;
    return { finding, plan: finding.plan as never };
  }

  it('switch-to-on-demand skips a table tagged trimtab:skip after the approval request, changing nothing', async () => {
    const e = env();
    const { finding, plan } = await planned(e, 'over-provisioned', 'switch-to-on-demand', 'orders-archive', ', maxUtilization: 0.1');
    tables(e)['orders-archive'].tags['trimtab:skip'] = 'migration in progress';
    await expect(switchToOnDemand.apply(regionCtx(e), plan, finding)).rejects.toThrow(new ProtectedResourceError('orders-archive is now tagged trimtab:skip; nothing was changed'));
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });

  it('set-table-class skips a table tagged trimtab:skip after the approval request, changing nothing', async () => {
    const e = env();
    const { finding, plan } = await planned(e, 'table-class', 'set-table-class', 'audit-history');
    tables(e)['audit-history'].tags['trimtab:skip'] = 'audit freeze';
    await expect(setTableClass.apply(regionCtx(e), plan, finding)).rejects.toThrow('audit-history is now tagged trimtab:skip; nothing was changed');
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });

  it('switch-to-on-demand refuses a table re-created under the same name since the plan', async () => {
    const e = env();
    const { finding, plan } = await planned(e, 'over-provisioned', 'switch-to-on-demand', 'orders-archive', ', maxUtilization: 0.1');
    tables(e)['orders-archive'].createdAt = '2026-10-31T23:00:00.000Z';
    await expect(switchToOnDemand.apply(regionCtx(e), plan, finding)).rejects.toThrow(/^orders-archive is not the table the plan was made on \(created 2026-10-31T23:00:00.000Z, planned .*: a table re-created under the same name\); nothing was changed$/);
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });

  it('switch-to-on-demand refuses a table whose capacity changed since the plan', async () => {
    const e = env();
    const { finding, plan } = await planned(e, 'over-provisioned', 'switch-to-on-demand', 'orders-archive', ', maxUtilization: 0.1');
    tables(e)['orders-archive'].read = 900;
    await expect(switchToOnDemand.apply(regionCtx(e), plan, finding)).rejects.toThrow('orders-archive changed since the plan (900 RCU / 100 WCU, planned 200 / 100); nothing was changed');
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });

  it('switch-to-on-demand refuses a table whose table class changed since the plan (the savings were priced on it)', async () => {
    const e = env();
    const { finding, plan } = await planned(e, 'over-provisioned', 'switch-to-on-demand', 'orders-archive', ', maxUtilization: 0.1');
    tables(e)['orders-archive'].tableClass = 'STANDARD_INFREQUENT_ACCESS';
    await expect(switchToOnDemand.apply(regionCtx(e), plan, finding)).rejects.toThrow('orders-archive changed since the plan (class STANDARD_INFREQUENT_ACCESS, planned STANDARD); nothing was changed');
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });

  it('set-table-class refuses a table whose billing mode changed since the plan, and one already changed counts as done', async () => {
    const e = env();
    const { finding, plan } = await planned(e, 'table-class', 'set-table-class', 'audit-history');
    Object.assign(tables(e)['audit-history'], { billingMode: 'PROVISIONED', read: 50, write: 50 });
    await expect(setTableClass.apply(regionCtx(e), plan, finding)).rejects.toThrow('audit-history changed since the plan (billing mode PROVISIONED, planned PAY_PER_REQUEST; 50 RCU / 50 WCU, planned 0 / 0); nothing was changed');
    tables(e)['audit-history'].tableClass = 'STANDARD_INFREQUENT_ACCESS';
    await expect(setTableClass.apply(regionCtx(e), plan, finding)).resolves.toMatchObject({ after: { tableClass: 'STANDARD_INFREQUENT_ACCESS', already: true } });
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });
});
