import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { LambdaDeps } from '../../lib/lambda/deps.ts';
import { policiesForSchedule, runSweep } from '../../lib/lambda/sweep.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { lambdaDepsFor, testEnv, policiesFrom } from '../helpers.ts';

const scheduledEvent = JSON.parse(readFileSync('events/scheduled-event.json', 'utf8'));

function deps(yaml?: string): { deps: LambdaDeps; env: ReturnType<typeof testEnv> } {
  const env = testEnv('small-company', { clock: () => new Date('2026-11-01T00:00:00Z') });
  const policies = yaml ? { file: 'test.yml', policies: policiesFrom(yaml) } : loadPolicies('trimtab.yml');
  return { env, deps: lambdaDepsFor(env, policies) };
}

describe('the scheduled sweep', () => {
  it('runs the policies of the schedule that fired and applies auto-mode fixes', async () => {
    const { deps: d, env } = deps();
    const out = await runSweep(JSON.parse(readFileSync('events/schedule-daily.json', 'utf8')), undefined, d);
    expect(out.summary.findings).toBeGreaterThan(0);
    expect(out.actions.length).toBe(out.summary.actionsApplied);
    expect(env.sandbox.successfulWrites().length).toBeGreaterThan(0);
  });

  it('streams: the audit trail gets the findings page by page, every one once, and the summary counts them all', async () => {
    // Prepare
    const { deps: d } = deps();
    const batches: number[] = [];
    const seen = new Set<string>();
    const record = d.engine.onFindings!;
    d.engine.onFindings = async (findings) => {
      batches.push(findings.length);
      for (const f of findings) seen.add(`${f.policy} ${f.resource.id}`);
      await record(findings);
    };
    // Act
    const out = await runSweep(JSON.parse(readFileSync('events/schedule-daily.json', 'utf8')), undefined, d);
    // Assess: several batches (one per listed page), none repeated, all of them counted.
    const recorded = batches.reduce((a, b) => a + b, 0);
    expect(batches.length).toBeGreaterThan(1);
    expect(seen.size).toBe(recorded);
    expect(recorded).toBe(out.summary.findings + out.summary.protected);
    expect(out.actions.length).toBe(out.summary.actionsApplied);
  });

  it('selects policies by schedule expression', () => {
    const policies = policiesFrom(`policies:
  - { id: daily, resource: s3-bucket, detector: { type: missing-lifecycle }, triggers: [{ schedule: rate(1 day) }] }
  - { id: hourly, resource: s3-bucket, detector: { type: missing-lifecycle }, triggers: [{ schedule: rate(1 hour) }] }
  - { id: on-event, resource: s3-bucket, detector: { type: missing-lifecycle }, triggers: [{ event: { source: [aws.s3] } }] }
`);
    expect(policiesForSchedule(policies, { schedule: 'rate(1 hour)' }).map((p) => p.id)).toEqual(['hourly']);
    expect(policiesForSchedule(policies, {}).map((p) => p.id)).toEqual(['daily', 'hourly']);
    expect(policiesForSchedule(policies, { schedule: 'rate(1 day)' }).map((p) => p.id)).toEqual(['daily']);
    expect(() => policiesForSchedule(policies, { policies: ['nope'] })).toThrow(/Unknown policy id\(s\) nope\. Valid: daily, hourly/);
  });

  it('accepts the raw EventBridge scheduled event (no input) as "every policy"', async () => {
    const { deps: d } = deps();
    const out = await runSweep(scheduledEvent, undefined, d);
    expect(out.summary.findings).toBeGreaterThan(0);
  });

  it('rejects a malformed input with a clear error and writes nothing', async () => {
    const { deps: d, env } = deps();
    await expect(runSweep({ schedule: 42 }, undefined, d)).rejects.toThrow(/The sweep input is not valid: schedule: /);
    expect(env.sandbox.writes).toHaveLength(0);
  });
});
