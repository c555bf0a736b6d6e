/**
 * End to end: a CloudWatch alarm state change for an Auto Scaling group's low CPU goes through
 * the alarm function's logic (lib/lambda/triggers.ts runAlarmTrigger) and the fix is applied on
 * a fresh sandbox: raise-target on acme-api (the small-company group tracked at 30 % CPU).
 * Timed from the event in to the end of the invocation (the verified fix, its records, the
 * idempotency completions and the events all written), N runs, after one untimed run: the figure
 * is a warm invocation's handler time (a cold start is the init bench's figure, lib/bench/lambda.ts).
 *
 * With the stores the deployed alarm function has (deployedAlarmDeps): the audit table, the
 * idempotency table (both in the sandbox's DynamoDB) and the event bus. 16 calls, 8 round trips
 * (‖ = sent at once; test/unit/triggers/alarm-calls.test.ts holds the exact sequence):
 *   1 DescribeAutoScalingGroups ‖ claim the alarm key (idempotency PutItem, conditional; awaited before the first write)
 *   2 DescribePolicies ‖ GetMetricData
 *   3 the findings (audit BatchWriteItem) ‖ the action history for the cooldown (audit Query)
 *   4 claim the action key + the action record, planned (one TransactWriteItems: both or neither)
 *   5 DescribeAutoScalingGroups ‖ DescribePolicies, right before the write (refuses if the target moved)
 *   6 PutScalingPolicy
 *   7 the record, applied, with the before-state (audit PutItem) ‖ DescribePolicies to verify
 *   8 the record, verified (audit PutItem) ‖ complete both idempotency keys (UpdateItem ‖ UpdateItem) ‖ the events (PutEvents)
 * The minimum (ALARM_MINIMUM) counts what AWS and safety require: the 7 account calls in 5 round trips,
 * and the 6 store writes safety needs (the two claims, each durable before the write; the action record
 * before the write; the applied record, with the before-state undo needs, right after it; the two
 * completions, so a redelivery gets the result instead of acting again). They add 2 round trips at best
 * (the claims and the started record before the write, the completions after it), 7 in all. trimtab makes
 * 8: the findings record (round 3) is the audit trail's, written before anything is acted on.
 *
 * Timing: each run gets a fresh sandbox (the fix changes the account), whose DynamoDB server is started
 * and its tables created before the clock starts (Sandbox.prepare: the stack's tables exist), and one
 * client factory serves every run, as a warm container's does (lib/lambda/deps.ts caches it).
 */
import { readFileSync } from 'node:fs';
import { ensureSandboxAuditTables } from '../audit/sandbox-tables.ts';
import { createAudit, settleAudit, type AuditSettings } from '../audit/setup.ts';
import { MemoryActionStore } from '../audit/store.ts';
import type { EngineDeps } from '../engine/run.ts';
import type { LambdaDeps } from '../lambda/deps.ts';
import { RunMetrics } from '../lambda/metrics.ts';
import { runAlarmTrigger } from '../lambda/triggers.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { parsePolicies, type PolicySet } from '../policy/load.ts';
import { seededSandbox } from '../sandbox/index.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { dynamoDbPersistence, type IdempotencyPersistence } from '../triggers/idempotency.ts';
import { AwsClients, type CommandInterceptor } from '../aws/clients.ts';
import { SANDBOX_ACCOUNT } from '../sandbox/sandbox.ts';
import { BENCH_NOW, BENCH_REGION, benchDeps } from './account.ts';
import { median, percentile, round } from './stats.ts';

export const GROUP = 'acme-api';
export const ALARM = `${GROUP}-low-cpu`;

/** The raise-target policy of trimtab.yml, on an alarm trigger instead of the schedule. */
export const ALARM_POLICY = `
version: 1
policies:
  - id: asg-raise-low-targets-on-alarm
    resource: asg
    detector: { type: over-provisioned-target-tracking, windowDays: 14, minDatapoints: 30 }
    action: { type: raise-target, maxTarget: 70, maxStepPoints: 10 }
    mode: auto
    triggers: [{ alarm: ${ALARM} }]
    limits: { maxActionsPerRun: 10, cooldownHours: 168 }
`;

/** The recorded alarm event (events/), renamed to the group's alarm with its one metric. */
export function alarmEvent(file = 'events/alarm-asg-low-cpu-metric-math.json') {
  const event = JSON.parse(readFileSync(file, 'utf8'));
  event.resources = [`arn:aws:cloudwatch:${BENCH_REGION}:${event.account}:alarm:${ALARM}`];
  event.detail.alarmName = ALARM;
  event.detail.configuration.metrics = [
    { id: 'm1', metricStat: { metric: { dimensions: { AutoScalingGroupName: GROUP }, name: 'CPUUtilization', namespace: 'AWS/EC2' }, period: 3600, stat: 'Average' }, returnData: true },
  ];
  return event;
}

/** The stage's stores as serverless.yml makes them (names as `trimtab-<stage>-…`, lib/audit/setup.ts stageTables). */
export const DEPLOYED_STORES: AuditSettings = { auditTable: 'trimtab-bench-audit', idempotencyTable: 'trimtab-bench-idempotency', eventBus: 'default', ttlAttribute: 'expiresAt', retentionDays: 30 };

/**
 * The alarm function's composition as deployed (lib/lambda/deps.ts lambdaDeps, lib/lambda/triggers.ts):
 * the audit table, the idempotency table for both the alarm's key and the action's key, the event bus;
 * begin/finish as lambdaDeps makes them. The tables are created in the sandbox's DynamoDB first.
 */
export function deployedAlarmDeps(sandbox: Sandbox, engine: EngineDeps, policies: PolicySet, region = BENCH_REGION): { deps: LambdaDeps; persistence: IdempotencyPersistence } {
  ensureSandboxAuditTables(sandbox, engine.account, region, DEPLOYED_STORES);
  const metrics = new RunMetrics();
  const audit = createAudit({
    clients: engine.clients,
    region,
    settings: DEPLOYED_STORES,
    fallbackStore: () => new MemoryActionStore(),
    counter: metrics,
    now: engine.now,
  });
  const persistence = dynamoDbPersistence(DEPLOYED_STORES.idempotencyTable!, engine.clients, region, audit.pending);
  const deps: LambdaDeps = {
    policies,
    engine: { ...engine, ...audit.trail.engineDeps(), idempotency: audit.idempotency },
    sandbox,
    audit,
    metrics,
    begin: () => audit.pending.open(),
    finish: () => settleAudit(audit),
    flush: () => {},
  };
  return { deps, persistence };
}

/** The round trips trimtab makes (the sequence above). */
export const ALARM_ROUND_TRIPS = 8;

/** The account calls and store writes the alarm → fix path cannot do without, and the round trips they need (see above). */
export const ALARM_MINIMUM = { accountCalls: 7, accountRoundTrips: 5, safetyStoreWrites: 6, roundTrips: 7 };

export interface EndToEndResult {
  latencyMs: number;
  runs: number;
  medianMs: number;
  p95Ms: number;
  /** Calls of one run, by operation (account calls and the stores' calls). */
  calls: Record<string, number>;
  /**
   * Median CPU time of this process per run (user + system, the sandbox's DynamoDB included): with
   * `ALARM_ROUND_TRIPS × latencyMs` it bounds what a run costs on an idle machine, whatever the load.
   */
  cpuMedianMs: number;
  /** The 95th percentile of the same. */
  cpuP95Ms: number;
  /** The sequential round trips of one run (test/unit/triggers/alarm-calls.test.ts holds them). */
  roundTrips: number;
  /** An idle machine's figures, estimated: round trips × latency + this run's CPU (median, p95). */
  idleEstimateMs: { median: number; p95: number };
  /** What the path cannot do without (ALARM_MINIMUM). */
  minimum: typeof ALARM_MINIMUM;
  applied: string;
}

/** One client factory for every run (a warm container's), answering through whichever sandbox the run has. */
function sharedClients(): { clients: AwsClients; use(sandbox: Sandbox): void } {
  let current!: Sandbox;
  const interceptor: CommandInterceptor = {
    handle: (call, forward) => current.handle(call, forward),
    parsesWire: (service) => current.parsesWire(service),
    respond: (call) => current.respond(call),
  };
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor, writePacing: false, clientConfig: { maxAttempts: 6 } });
  return { clients, use: (sandbox) => (current = sandbox) };
}

export async function endToEnd(latencyMs: number, runs: number): Promise<EndToEndResult> {
  const times: number[] = [];
  const cpu: number[] = [];
  let calls: Record<string, number> = {};
  let applied = '';
  const shared = sharedClients();
  // Run 0 is the warm-up, untimed.
  for (let i = 0; i <= runs; i++) {
    const sandbox = seededSandbox('small-company', { clock: () => BENCH_NOW, latencyMs });
    shared.use(sandbox);
    const { deps, persistence } = deployedAlarmDeps(sandbox, { ...benchDeps(sandbox), clients: shared.clients }, parsePolicies(ALARM_POLICY, 'bench-alarm.yml'));
    // The stack's tables exist before an invocation: the sandbox's DynamoDB server and tables are made untimed.
    await sandbox.prepare(SANDBOX_ACCOUNT, BENCH_REGION);
    const event = alarmEvent();
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const result = await runAlarmTrigger(event, undefined, deps, persistence);
    if (i > 0) {
      times.push(performance.now() - start);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1000);
    }
    const action = result.outcomes.flatMap((o) => o.actions).find((a) => a.status === 'verified');
    if (!action) throw new Error(`the alarm did not lead to a verified fix: ${result.status} ${result.reason ?? ''}`);
    calls = deps.sandbox!.callsByOperation();
    applied = `${action.action} on ${action.resourceId}: ${result.reason ?? action.status}`;
    // The sandbox's DynamoDB (the audit and idempotency tables) is a local server per sandbox: stop it, untimed.
    await sandbox.close();
  }
  const cpuMedianMs = round(median(cpu), 1);
  const cpuP95Ms = round(percentile(cpu, 95), 1);
  return {
    latencyMs,
    runs,
    medianMs: round(median(times), 1),
    p95Ms: round(percentile(times, 95), 1),
    cpuMedianMs,
    cpuP95Ms,
    roundTrips: ALARM_ROUND_TRIPS,
    idleEstimateMs: { median: round(ALARM_ROUND_TRIPS * latencyMs + cpuMedianMs, 1), p95: round(ALARM_ROUND_TRIPS * latencyMs + cpuP95Ms, 1) },
    calls,
    minimum: ALARM_MINIMUM,
    applied,
  };
}
