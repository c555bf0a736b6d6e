/**
 * End to end: a CloudWatch alarm state change for an Auto Scaling group's low CPU goes through
 * the alarm function's logic (lib/lambda/triggers.ts runAlarmTrigger) and the fix is applied on
 * a fresh sandbox: raise-target on acme-api (the small-company group tracked at 30 % CPU).
 * Timed from the event in to the verified fix out, N runs, after one untimed run: the figure is
 * a warm invocation's handler time (the first run also loads modules the handler imports
 * lazily; a cold start is the init bench's figure, lib/bench/lambda.ts).
 *
 * Calls for one group (7): DescribeAutoScalingGroups, DescribePolicies and GetMetricData to
 * detect and plan (the last two at once); DescribeAutoScalingGroups and DescribePolicies at
 * once right before the write (apply refuses if the target moved); PutScalingPolicy; one
 * DescribePolicies to verify.
 */
import { readFileSync } from 'node:fs';
import { createAudit } from '../audit/setup.ts';
import { MemoryActionStore } from '../audit/store.ts';
import type { LambdaDeps } from '../lambda/deps.ts';
import { RunMetrics } from '../lambda/metrics.ts';
import { runAlarmTrigger } from '../lambda/triggers.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { parsePolicies } from '../policy/load.ts';
import { seededSandbox } from '../sandbox/index.ts';
import { memoryPersistence } from '../triggers/idempotency.ts';
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

function depsFor(latencyMs: number): LambdaDeps {
  const sandbox = seededSandbox('small-company', { clock: () => BENCH_NOW, latencyMs });
  const engine = benchDeps(sandbox);
  const metrics = new RunMetrics();
  const audit = createAudit({
    clients: engine.clients,
    region: BENCH_REGION,
    settings: { ttlAttribute: 'expiresAt', retentionDays: 30 },
    fallbackStore: () => new MemoryActionStore(),
    counter: metrics,
    now: engine.now,
  });
  return {
    policies: parsePolicies(ALARM_POLICY, 'bench-alarm.yml'),
    engine: { ...engine, ...audit.trail.engineDeps(), idempotency: audit.idempotency },
    sandbox,
    audit,
    metrics,
    begin: () => {},
    finish: async () => void (await audit.trail.flush()),
    flush: () => {},
  };
}

export interface EndToEndResult {
  latencyMs: number;
  runs: number;
  medianMs: number;
  p95Ms: number;
  /** Calls of one run, by operation. */
  calls: Record<string, number>;
  applied: string;
}

export async function endToEnd(latencyMs: number, runs: number): Promise<EndToEndResult> {
  const times: number[] = [];
  let calls: Record<string, number> = {};
  let applied = '';
  // Run 0 is the warm-up, untimed.
  for (let i = 0; i <= runs; i++) {
    const deps = depsFor(latencyMs);
    const event = alarmEvent();
    const start = performance.now();
    const result = await runAlarmTrigger(event, undefined, deps, memoryPersistence());
    if (i > 0) times.push(performance.now() - start);
    const action = result.outcomes.flatMap((o) => o.actions).find((a) => a.status === 'verified');
    if (!action) throw new Error(`the alarm did not lead to a verified fix: ${result.status} ${result.reason ?? ''}`);
    calls = deps.sandbox!.callsByOperation();
    applied = `${action.action} on ${action.resourceId}: ${result.reason ?? action.status}`;
  }
  return { latencyMs, runs, medianMs: round(median(times), 1), p95Ms: round(percentile(times, 95), 1), calls, applied };
}
