/**
 * Blast radius under a flood: 200 events or alarms through the handlers, and a sweep over
 * 200 eligible resources. Max actions per run and the per-resource cooldown must hold.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runAlarmTrigger, runEventTrigger } from '../../lib/lambda/triggers.ts';
import { memoryPersistence } from '../../lib/triggers/idempotency.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { emptySandbox, envFor, policiesFrom } from '../helpers.ts';
import { accountWrites, CLOCK, securityEnv, summary } from './harness.ts';

const FLOOD = 200;
const sample = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, 'utf8'));
const counts = { eventsSent: 0, alarmsSent: 0, sweepCandidates: 0, actionsTaken: 0, actionsOverLimit: 0 };
afterAll(() => summary('blast radius', counts));

describe('blast radius under a flood', () => {
  it(`acts once on a bucket named by ${FLOOD} CreateBucket events (distinct ids: a forged or replayed flood)`, async () => {
    const { env, deps } = securityEnv();
    const persistence = memoryPersistence();
    const event = sample('cloudtrail-create-bucket');
    const outcomes: string[] = [];
    for (let i = 0; i < FLOOD; i++) {
      const result = await runEventTrigger({ ...event, id: `flood-${i}` }, undefined, deps, persistence);
      outcomes.push(result.outcomes[0]?.findings[0]?.outcome ?? result.status);
      counts.eventsSent += 1;
    }
    const writes = accountWrites(env).filter((w) => w.operation === 'PutBucketLifecycleConfiguration');
    counts.actionsTaken += writes.length;
    expect(writes.map((w) => (w.input as { Bucket: string }).Bucket)).toEqual(['acme-eu-exports']);
    expect(outcomes[0]).toBe('applied');
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
  });

  it(`acts once per cooldown on a bucket whose alarm fires ${FLOOD} times (an alarm storm)`, async () => {
    const { env, deps } = securityEnv();
    const persistence = memoryPersistence();
    const alarm = sample('alarm-s3-growth-alarm');
    const results = [];
    for (let i = 0; i < FLOOD; i++) {
      const timestamp = new Date(Date.parse('2026-10-31T06:04:40Z') + i * 60_000).toISOString().replace('Z', '+0000');
      results.push(await runAlarmTrigger({ ...alarm, id: `storm-${i}`, detail: { ...alarm.detail, state: { ...alarm.detail.state, timestamp } } }, undefined, deps, persistence));
      counts.alarmsSent += 1;
    }
    const writes = accountWrites(env).filter((w) => w.operation === 'PutBucketLifecycleConfiguration');
    counts.actionsTaken += writes.length;
    expect(writes.map((w) => (w.input as { Bucket: string }).Bucket)).toEqual(['acme-web-assets']);
    expect(results.slice(1).every((r) => /alarm storm: 'trimtab-s3-growth-acme-web-assets' already triggered/.test(r.reason))).toBe(true);
  });

  it(`changes at most maxActionsPerRun (25) of ${FLOOD} eligible buckets per run, and never one bucket twice`, async () => {
    const sandbox = emptySandbox({ clock: CLOCK });
    const { buckets } = s3State(sandbox, sandbox.account());
    for (let i = 0; i < FLOOD; i++) {
      const name = `flood-bucket-${String(i).padStart(3, '0')}`;
      buckets[name] = { name, region: 'us-east-1', tags: {}, createdAt: '2025-01-01T00:00:00.000Z', multipartUploads: [{ key: 'k', uploadId: 'u', initiated: '2026-10-01T00:00:00.000Z' }] };
    }
    counts.sweepCandidates += FLOOD;
    const env = envFor(sandbox, ['us-east-1']);
    const policies = policiesFrom(`
policies:
  - id: capped-abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
    limits: { maxActionsPerRun: 25, cooldownHours: 24 }
`);
    const first = await env.run(policies);
    const second = await env.run(policies);

    const puts = sandbox.successfulWrites('s3:PutBucketLifecycleConfiguration').map((w) => (w.input as { Bucket: string }).Bucket);
    counts.actionsTaken += puts.length;
    counts.actionsOverLimit += Math.max(0, first.actions.length - 25) + Math.max(0, second.actions.length - 25);
    expect(first.actions).toHaveLength(25);
    expect(first.findings.filter((f) => /^limit: at most 25 actions per run/.test(f.outcomeDetail ?? ''))).toHaveLength(FLOOD - 25);
    expect(second.actions).toHaveLength(25);
    expect(puts).toHaveLength(50);
    expect(new Set(puts).size).toBe(50);
  });
});
