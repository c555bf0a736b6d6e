/** Every events/ sample through its handler, end to end on the sandbox: acted, skipped with a reason, or rejected. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LambdaDeps } from '../../lib/lambda/deps.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { runAlarmTrigger, runEventTrigger } from '../../lib/lambda/triggers.ts';
import { loadPolicies, parsePolicies } from '../../lib/policy/load.ts';
import { reconcileAlarms } from '../../lib/triggers/alarms.ts';
import { memoryPersistence } from '../../lib/triggers/idempotency.ts';
import { cloudwatchState } from '../../lib/sandbox/services/cloudwatch.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { InvalidEventError } from '../../lib/util/errors.ts';
import { lambdaDepsFor, testEnv, type TestEnv, SETTLED_TIMING } from '../helpers.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const sample = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, 'utf8'));

/** Two asg policies with event triggers: one takes any group's launch, the other only acme-search's. */
const ASG_EVENT_POLICIES = `
policies:
  - id: asg-launch-raise-max-size
    resource: asg
    detector: { type: under-provisioned-at-max }
    action: { type: raise-max-size }
    mode: auto
    triggers:
      - event: { source: [aws.autoscaling], detail-type: [EC2 Instance Launch Successful] }
  - id: asg-search-launch-raise-max-size
    resource: asg
    detector: { type: under-provisioned-at-max }
    action: { type: raise-max-size }
    mode: auto
    triggers:
      - event: { source: [aws.autoscaling], detail: { AutoScalingGroupName: [acme-search] } }
`;

function setup() {
  const env = testEnv('small-company', { clock: () => NOW, timing: SETTLED_TIMING });
  const deps: LambdaDeps = lambdaDepsFor(env);
  return { env, deps, persistence: memoryPersistence() };
}

const writes = (env: TestEnv) => env.sandbox.successfulWrites().map((w) => `${w.operation} ${(w.input as { Bucket?: string; AlarmName?: string }).Bucket ?? (w.input as { AlarmName?: string }).AlarmName}`);

afterEach(() => {
  vi.useRealTimers();
  // invokeLocal sets TRIMTAB_SANDBOX=1 for the process (as the CLI wants); stubbed first, it is put back here,
  // so the next file in this worker's shared module graph does not find itself in the sandbox.
  vi.unstubAllEnvs();
});

describe('the schedule sample', () => {
  it('runs the daily policies, and not the event- or alarm-triggered ones', async () => {
    // Prepare
    const { deps } = setup();
    // Act
    const result = await runSweep(sample('schedule-daily'), undefined, deps);
    // Assess
    const policies = new Set(result.actions.map((a) => a.policy));
    expect(policies.has('s3-abort-incomplete-uploads')).toBe(true);
    expect(policies.has('s3-new-bucket-abort-uploads')).toBe(false);
    expect(policies.has('s3-growth-without-lifecycle')).toBe(false);
    expect(result.actions.filter((a) => a.policy === 's3-abort-incomplete-uploads')).toHaveLength(
      result.actions.filter((a) => a.policy === 's3-abort-incomplete-uploads' && a.status === 'verified').length,
    );
  });
});

describe('the event function', () => {
  it('acts on a CloudTrail CreateBucket: adds the abort rule to the new bucket only, in its region', async () => {
    const { env, deps, persistence } = setup();
    const result = await runEventTrigger(sample('cloudtrail-create-bucket'), undefined, deps, persistence);
    expect(result.status).toBe('acted');
    expect(result.policies).toEqual(['s3-new-bucket-abort-uploads']);
    expect(result.outcomes[0]).toMatchObject({ region: 'eu-west-1', ids: ['acme-eu-exports'], status: 'acted' });
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: 'acme-eu-exports', action: 'add-lifecycle-rules', status: 'verified' })]);
    expect(writes(env)).toEqual(['PutBucketLifecycleConfiguration acme-eu-exports']);
    // Only the one bucket is read: one listing, no other bucket touched.
    expect(env.sandbox.callsByOperation()).toEqual({
      'resourcegroupstaggingapi:GetResources': 1, // the bucket's tags, in its region
      's3:GetBucketLifecycleConfiguration': 4, // enrich, the read before the merge-put, verify and its one re-read while the put propagates
      's3:ListBuckets': 1,
      's3:PutBucketLifecycleConfiguration': 1,
    });
  });

  it('does nothing for a redelivered event (same event id)', async () => {
    const { env, deps, persistence } = setup();
    await runEventTrigger(sample('cloudtrail-create-bucket'), undefined, deps, persistence);
    env.sandbox.resetCounters();
    const again = await runEventTrigger(sample('cloudtrail-create-bucket'), undefined, deps, persistence);
    expect(again.status).toBe('acted');
    expect(env.sandbox.callCount()).toBe(0);
  });

  it('skips a CreateBucket whose bucket no longer exists, saying so', async () => {
    const { env, deps, persistence } = setup();
    const result = await runEventTrigger(sample('cloudtrail-create-bucket-already-deleted'), undefined, deps, persistence);
    expect(result).toMatchObject({ status: 'skipped', reason: 's3-new-bucket-abort-uploads: not found: no s3-bucket acme-tmp-scratch in us-east-1 (deleted since the event?)' });
    expect(writes(env)).toEqual([]);
  });

  it.each([
    ['ebs-snapshot-notification', 'EBS Snapshot Notification'],
    ['asg-launch-successful', 'EC2 Instance Launch Successful'],
  ])('skips %s: no policy in trimtab.yml has a pattern for it yet', async (name, detailType) => {
    const { env, deps, persistence } = setup();
    const result = await runEventTrigger(sample(name), undefined, deps, persistence);
    expect(result.status).toBe('skipped');
    expect(result.reason).toBe(`no policy's event pattern matches this ${detailType} event (event policies: s3-new-bucket-abort-uploads)`);
    expect(env.sandbox.callCount()).toBe(0);
  });

  it('runs an asg policy on exactly the launching group once an asg policy exists, and writes to that group only', async () => {
    // Prepare: two asg policies with event triggers; one matches any launch, the other names another group.
    const { env } = setup();
    const deps = lambdaDepsFor(env, parsePolicies(ASG_EVENT_POLICIES, 'test.yml'));
    const persistence = memoryPersistence();
    const event = sample('asg-launch-successful');
    event.detail.AutoScalingGroupName = 'acme-checkout';
    event.resources[0] = event.resources[0].replace('acme-web-asg', 'acme-checkout');
    // Act
    const result = await runEventTrigger(event, undefined, deps, persistence);
    // Assess: only the matching policy ran, on the launching group only, and raised its MaxSize.
    expect(result.status).toBe('acted');
    expect(result.policies).toEqual(['asg-launch-raise-max-size']);
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({ policy: 'asg-launch-raise-max-size', region: 'us-east-1', ids: ['acme-checkout'], status: 'acted' });
    expect(result.outcomes[0].actions).toEqual([expect.objectContaining({ resourceId: 'acme-checkout', action: 'raise-max-size', status: 'verified' })]);
    expect(env.sandbox.successfulWrites().map((w) => [w.operation, w.input])).toEqual([['UpdateAutoScalingGroup', { AutoScalingGroupName: 'acme-checkout', MaxSize: 8 }]]);
  });

  it.each(['malformed-not-eventbridge', 'malformed-create-bucket-no-bucket-name'])('rejects %s with InvalidEventError and changes nothing', async (name) => {
    const { env, deps, persistence } = setup();
    await expect(runEventTrigger(sample(name), undefined, deps, persistence)).rejects.toThrow(InvalidEventError);
    expect(env.sandbox.callCount()).toBe(0);
  });
});

describe('the alarm function', () => {
  it('acts on an alarm in ALARM: runs the alarm policy on the bucket in its BucketName dimension', async () => {
    const { env, deps, persistence } = setup();
    const result = await runAlarmTrigger(sample('alarm-s3-growth-alarm'), undefined, deps, persistence);
    expect(result.status).toBe('acted');
    expect(result.alarm).toEqual({ name: 'trimtab-s3-growth-acme-web-assets', state: 'ALARM', stateChangedAt: '2026-10-31T06:04:40.989+0000' });
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({ policy: 's3-growth-without-lifecycle', ids: ['acme-web-assets'], status: 'acted' });
    expect(result.outcomes[0].findings).toEqual([{ resourceId: 'acme-web-assets', status: 'report-only', outcome: 'reported' }]);
    expect(writes(env)).toEqual([]);
  });

  it('does nothing when the alarm goes back to OK', async () => {
    const { env, deps, persistence } = setup();
    const result = await runAlarmTrigger(sample('alarm-s3-growth-ok'), undefined, deps, persistence);
    expect(result).toMatchObject({ status: 'skipped', reason: "alarm 'trimtab-s3-growth-acme-web-assets' is OK: trimtab acts only when an alarm goes into ALARM; nothing to do" });
    expect(env.sandbox.callCount()).toBe(0);
  });

  it.each([
    ['alarm-asg-low-cpu-metric-math', "unrelated: no policy has an alarm trigger for 'acme-web-asg-low-cpu'"],
    ['alarm-instance-cpu-unmapped', "unrelated: no policy has an alarm trigger for 'ServerCpuTooHigh'"],
    ['cloudtrail-create-bucket', "unrelated: the alarm function takes 'CloudWatch Alarm State Change' from aws.cloudwatch, not 'AWS API Call via CloudTrail' from aws.s3"],
  ])('skips %s with the reason', async (name, reason) => {
    const { env, deps, persistence } = setup();
    const result = await runAlarmTrigger(sample(name), undefined, deps, persistence);
    expect(result).toMatchObject({ status: 'skipped', reason });
    expect(env.sandbox.callCount()).toBe(0);
  });

  it.each(['malformed-alarm-no-state', 'malformed-not-eventbridge'])('rejects %s with InvalidEventError', async (name) => {
    const { env, deps, persistence } = setup();
    await expect(runAlarmTrigger(sample(name), undefined, deps, persistence)).rejects.toThrow(InvalidEventError);
    expect(env.sandbox.callCount()).toBe(0);
  });
});

describe('alarm storms', () => {
  it('does not act again when the same alarm fires again within the cooldown, and acts after it', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-10-31T06:05:00Z'));
    const { env, deps, persistence } = setup();
    const first = await runAlarmTrigger(sample('alarm-s3-growth-alarm'), undefined, deps, persistence);
    const callsAfterFirst = env.sandbox.callCount();
    const writesAfterFirst = env.sandbox.writes.length;
    // Act: the alarm flaps back into ALARM two hours later (a new state change, a new event id).
    vi.setSystemTime(new Date('2026-10-31T08:05:00Z'));
    const second = await runAlarmTrigger(sample('alarm-s3-growth-alarm-again'), undefined, deps, persistence);
    // Assess
    expect(first.status).toBe('acted');
    expect(second.status).toBe('skipped');
    expect(second.outcomes[0]).toMatchObject({ replayed: true, status: 'skipped' });
    expect(second.reason).toContain("alarm storm: 'trimtab-s3-growth-acme-web-assets' already triggered s3-growth-without-lifecycle on acme-web-assets");
    // The claim goes out alongside the first read and is awaited before the first write: the second
    // delivery may have read (ListBuckets, …), never written anything.
    expect(env.sandbox.writes.slice(writesAfterFirst)).toEqual([]);
    expect(persistence.store.size).toBe(1);

    // Act: the cooldown (24 h) is over.
    vi.setSystemTime(new Date('2026-11-01T06:06:00Z'));
    const third = await runAlarmTrigger(sample('alarm-s3-growth-alarm-again'), undefined, deps, persistence);
    expect(third.status).toBe('acted');
    expect(env.sandbox.callCount()).toBeGreaterThan(callsAfterFirst);
  });
});

describe('the alarm reconciler', () => {
  it('creates one alarm per in-scope bucket, skips protected ones, and is a no-op the second time', async () => {
    const { env, deps } = setup();
    // The S3 growth policy only: other policies in trimtab.yml keep alarms of their own.
    const policies = deps.policies.policies.filter((p) => p.id === 's3-growth-without-lifecycle');
    const reports = await reconcileAlarms(policies, env.deps);
    const created = reports.flatMap((r) => r.created).sort();
    // Every bucket of the scenario except the one tagged trimtab:skip.
    const buckets = Object.values(s3State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT)).buckets);
    const expected = buckets.filter((b) => !b.tags?.['trimtab:skip']).map((b) => `trimtab-s3-growth-${b.name}`).sort();
    expect(expected).toContain('trimtab-s3-growth-acme-web-assets');
    expect(expected).not.toContain('trimtab-s3-growth-acme-legal-hold');
    expect(created).toEqual(expected);
    const alarm = cloudwatchState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').alarms.find((a) => a.AlarmName === 'trimtab-s3-growth-acme-web-assets');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/S3',
      MetricName: 'BucketSizeBytes',
      Dimensions: [{ Name: 'BucketName', Value: 'acme-web-assets' }, { Name: 'StorageType', Value: 'StandardStorage' }],
      Threshold: 536870912000,
      ComparisonOperator: 'GreaterThanThreshold',
      Period: 86400,
    });
    env.sandbox.resetCounters();
    const again = await reconcileAlarms(policies, env.deps);
    expect(again.flatMap((r) => [...r.created, ...r.updated, ...r.deleted])).toEqual([]);
    expect(env.sandbox.callCount('cloudwatch:PutMetricAlarm')).toBe(0);
    // One listing per region, page by page: us-east-1's alarms fill two pages of 5 (the harness's page cap).
    expect(env.sandbox.callCount('cloudwatch:DescribeAlarms')).toBe(3);
  });

  it("deletes the alarm of a bucket that is gone, and never an alarm trimtab did not create", async () => {
    const { env, deps } = setup();
    await reconcileAlarms(deps.policies.policies, env.deps);
    const account = env.sandbox.account(SANDBOX_ACCOUNT);
    delete s3State(env.sandbox, account).buckets['acme-config'];
    cloudwatchState(env.sandbox, account, 'us-east-1').alarms.push({ AlarmName: 'trimtab-s3-growth-handmade', StateValue: 'OK', AlarmDescription: 'made by a person' });
    const reports = await reconcileAlarms(deps.policies.policies, env.deps);
    expect(reports.flatMap((r) => r.deleted)).toEqual(['trimtab-s3-growth-acme-config']);
    expect(cloudwatchState(env.sandbox, account, 'us-east-1').alarms.map((a) => a.AlarmName)).toContain('trimtab-s3-growth-handmade');
  });
});

describe('the Lambda entry point', () => {
  it('functions/event.ts runs a sample against the persisted sandbox, as a local invoke does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-invoke-'));
    vi.stubEnv('TRIMTAB_SANDBOX', process.env.TRIMTAB_SANDBOX ?? '');
    vi.stubEnv('TRIMTAB_SANDBOX_FILE', join(dir, 'sandbox.json'));
    vi.stubEnv('TRIMTAB_HISTORY_FILE', join(dir, 'actions.jsonl'));
    const { invokeLocal } = await import('../../lib/triggers/invoke-local.ts');
    const result = (await invokeLocal('event', 'events/cloudtrail-create-bucket.json', { sandbox: true })) as { status: string; outcomes: { actions: { status: string }[] }[] };
    expect(result.status).toBe('acted');
    expect(result.outcomes[0].actions.map((a) => a.status)).toEqual(['verified']);
    const saved = JSON.parse(readFileSync(join(dir, 'sandbox.json'), 'utf8'));
    expect(saved.accounts[SANDBOX_ACCOUNT].global.s3.buckets['acme-eu-exports'].lifecycle.Rules).toHaveLength(1);
    vi.unstubAllEnvs();
  });
});
