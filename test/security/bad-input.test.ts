/**
 * Bad input for every entry point: a table of named malformed inputs, then property-based
 * fuzzing (fast-check, seeded and bounded). Each input gets a specific error (or a clean
 * "skipped: reason" for a well-formed event that is not for trimtab), and the sandbox's write
 * log shows no write to the account. Every auto policy behind the handlers could write, and the
 * positive controls at the end show that the same harness does see writes.
 */
import { sealApproval } from '../../lib/approval/seal.ts';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepHandler } from '../../lib/approval/lambda.ts';
import type { Email } from '../../lib/approval/email.ts';
import { ApprovalNotFoundError, MemoryApprovalStore } from '../../lib/approval/store.ts';
import { ApprovalStateError, WorkflowApprovalRequester, type WorkflowDeps } from '../../lib/approval/workflow.ts';
import { runSweep } from '../../lib/lambda/sweep.ts';
import { runAlarmSync, runAlarmTrigger, runEventTrigger } from '../../lib/lambda/triggers.ts';
import { parsePolicies } from '../../lib/policy/load.ts';
import { memoryPersistence } from '../../lib/triggers/idempotency.ts';
import { InvalidEventError, PolicyValidationError, TrimtabError } from '../../lib/util/errors.ts';
import { policiesFrom } from '../helpers.ts';
import { APPROVAL_POLICY, SECRET } from '../approval-helpers.ts';
import { accountWrites, CLOCK, securityEnv, SECURITY_POLICIES, summary } from './harness.ts';

const sample = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, 'utf8'));
const FC = { seed: 11, numRuns: 60 };

const counts = { tableInputs: 0, fuzzedInputs: 0, rejectedWithError: 0, skippedWithReason: 0, accountWritesThatShouldNotHappen: 0 };
afterAll(() => summary('bad input', counts));

const { env, deps } = securityEnv();
const persistence = memoryPersistence();

/** Runs one input; returns 'error: <name>: <message>' or 'skipped: <reason>'. Anything else fails the test. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  const before = accountWrites(env).length;
  let result: string;
  try {
    const value = (await run()) as { status?: string; reason?: string } | undefined;
    expect(value?.status, `accepted: ${JSON.stringify(value)?.slice(0, 300)}`).toBe('skipped');
    expect(value!.reason!.length).toBeGreaterThan(10);
    counts.skippedWithReason += 1;
    result = `skipped: ${value!.reason}`;
  } catch (error) {
    if (!(error instanceof TrimtabError)) throw error; // a TypeError or an SDK error is not a clear answer
    expect(error.message.length).toBeGreaterThan(15);
    counts.rejectedWithError += 1;
    result = `error: ${error.name}: ${error.message}`;
  }
  const wrote = accountWrites(env).length - before;
  counts.accountWritesThatShouldNotHappen += wrote;
  expect(wrote, result).toBe(0);
  return result;
}

/** A value of the wrong type for any string, array or object field of an event. */
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { minKeys: 1, maxKeys: 3 }));
/** Sets (or deletes, with undefined) the value at a dotted path of a copy. */
function mutate(event: any, path: string, value: unknown) {
  const copy = structuredClone(event);
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce((o, k) => o[k], copy);
  if (value === undefined) delete parent[keys.at(-1)!];
  else parent[keys.at(-1)!] = value;
  return copy;
}

// ───────────────────────── the scheduled sweep ─────────────────────────

describe('the sweep (scan function) refuses malformed input', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a number', 42, /sweep input is not valid: \(input\): .*expected object/],
    ['a string', 'rate(1 day)', /expected object/],
    ['an array', [{ schedule: 'rate(1 day)' }], /expected object/],
    ['a schedule that is not a string', { schedule: 42 }, /schedule: .*expected string/],
    ['an empty schedule', { schedule: '' }, /schedule: .*>=1/],
    ['policies that are not a list', { schedule: 'rate(1 day)', policies: 'sweep-abort-uploads' }, /policies: .*expected array/],
    ['an unknown policy id', { policies: ['no-such-policy'] }, /Unknown policy id\(s\) no-such-policy\. Valid: sweep-abort-uploads/],
    ['an unknown key (not the rule input)', { schedule: 'rate(1 day)', runEverything: true }, /Unrecognized key.*runEverything/],
    ['a CloudTrail event sent to the sweep', sample('cloudtrail-create-bucket'), /runs on its schedule, not on 'AWS API Call via CloudTrail' events from aws\.s3; nothing was run/],
    ['an alarm event sent to the sweep', sample('alarm-s3-growth-alarm'), /not on 'CloudWatch Alarm State Change' events/],
  ];
  it.each(cases)('refuses %s with a specific error and writes nothing', async (_name, input, message) => {
    counts.tableInputs += 1;
    expect(await outcome(() => runSweep(input, undefined, deps))).toMatch(message);
  });

  it('refuses fuzzed inputs (non-objects, wrong types, unknown keys) and writes nothing', async () => {
    const malformed = fc.oneof(
      fc.oneof(fc.integer(), fc.double(), fc.string({ minLength: 1 }), fc.boolean(), fc.array(fc.anything(), { maxLength: 3 })),
      fc.record({ schedule: wrongType }),
      fc.record({ policies: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { minLength: 1 })) }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['schedule', 'policies', 'detail-type', '__proto__'].includes(k)), fc.anything(), { minKeys: 1, maxKeys: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (input) => {
        counts.fuzzedInputs += 1;
        expect(await outcome(() => runSweep(input, undefined, deps))).toMatch(/^error: InvalidEventError: The sweep/);
      }),
      FC,
    );
  });
});

// ───────────────────────── resource events ─────────────────────────

describe('the event function refuses malformed events and skips unrelated ones', () => {
  const createBucket = sample('cloudtrail-create-bucket');
  const cases: [string, unknown, RegExp][] = [
    ['not an EventBridge event (sample)', sample('malformed-not-eventbridge'), /^error: InvalidEventError: Not an EventBridge event/],
    ['a CreateBucket without a bucket name (sample)', sample('malformed-create-bucket-no-bucket-name'), /^error: InvalidEventError: Malformed CreateBucket event .*: detail\.requestParameters\.bucketName is missing/],
    ['null', null, /^error: InvalidEventError: Not an EventBridge event/],
    ['an empty object', {}, /^error: InvalidEventError: Not an EventBridge event: .*id/],
    ['a list of events', [createBucket], /^error: InvalidEventError: Not an EventBridge event/],
    ['a bucket name that is a number', mutate(createBucket, 'detail.requestParameters.bucketName', 123), /bucketName/],
    ['an event time that is not a date', mutate(createBucket, 'time', 'yesterday'), /^error: InvalidEventError: Not an EventBridge event: time/],
    ['a CreateBucket that failed (errorCode set)', mutate(createBucket, 'detail.errorCode', 'AccessDenied'), /^skipped: unrelated: CreateBucket fail/],
    ['a DeleteBucket call', mutate(createBucket, 'detail.eventName', 'DeleteBucket'), /^skipped: unrelated: CloudTrail DeleteBucket/],
    ['a schedule event sent to the event function', mutate(sample('scheduled-event'), 'version', '0'), /^skipped: unrelated: no resolver for 'aws\.events \/ Scheduled Event'/],
    ['a forged source with the CreateBucket detail', mutate(createBucket, 'source', 'attacker.app'), /^skipped: unrelated: no resolver for 'attacker\.app/],
  ];
  it.each(cases)('answers %s clearly and writes nothing', async (_name, input, expected) => {
    counts.tableInputs += 1;
    expect(await outcome(() => runEventTrigger(input, undefined, deps, persistence))).toMatch(expected);
  });

  it('answers fuzzed events (anything, or the CreateBucket sample with a field broken) and writes nothing', async () => {
    const fields = ['id', 'version', 'source', 'detail-type', 'account', 'time', 'region', 'resources', 'detail', 'detail.requestParameters', 'detail.requestParameters.bucketName'];
    const broken = fc.record({ path: fc.constantFrom(...fields), value: fc.oneof(wrongType, fc.constant(undefined)) }).map(({ path, value }) => mutate(createBucket, path, value));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), broken), async (input) => {
        counts.fuzzedInputs += 1;
        expect(await outcome(() => runEventTrigger(input, undefined, deps, persistence))).toMatch(/^(error: InvalidEventError|skipped: )/);
      }),
      FC,
    );
  });
});

// ───────────────────────── alarms ─────────────────────────

describe('the alarm function refuses malformed alarm events and skips unrelated ones', () => {
  const alarm = sample('alarm-s3-growth-alarm');
  const cases: [string, unknown, RegExp][] = [
    ['an alarm change without a state (sample)', sample('malformed-alarm-no-state'), /^error: InvalidEventError: Malformed alarm state change .*state/],
    ['an OK state change (sample)', sample('alarm-s3-growth-ok'), /^skipped: alarm 'trimtab-s3-growth-acme-web-assets' is OK/],
    ['an alarm no policy names', mutate(alarm, 'detail.alarmName', 'prod-db-cpu-high'), /^skipped: unrelated: no policy has an alarm trigger for 'prod-db-cpu-high'/],
    ['an alarm on a bucket that does not exist', mutate(alarm, 'detail.configuration.metrics.0.metricStat.metric.dimensions.BucketName', 'no-such-bucket'), /^skipped: .*not found: no s3-bucket no-such-bucket/],
    ['a state value that is a number', mutate(alarm, 'detail.state.value', 3), /^error: InvalidEventError: Malformed alarm state change .*state\.value/],
    ['a CloudTrail event sent to the alarm function', sample('cloudtrail-create-bucket'), /^skipped: unrelated: the alarm function takes 'CloudWatch Alarm State Change'/],
    ['a string', 'ALARM', /^error: InvalidEventError: Not an EventBridge event/],
  ];
  it.each(cases)('answers %s clearly and writes nothing', async (_name, input, expected) => {
    counts.tableInputs += 1;
    expect(await outcome(() => runAlarmTrigger(input, undefined, deps, persistence))).toMatch(expected);
  });

  it('answers fuzzed alarm events and writes nothing', async () => {
    const fields = ['id', 'source', 'detail-type', 'region', 'detail', 'detail.alarmName', 'detail.state', 'detail.state.value', 'detail.state.timestamp', 'detail.configuration'];
    const broken = fc.record({ path: fc.constantFrom(...fields), value: fc.oneof(wrongType, fc.constant(undefined)) }).map(({ path, value }) => mutate(alarm, path, value));
    const otherState = fc.string({ maxLength: 12 }).filter((s) => s !== 'ALARM').map((s) => mutate(alarm, 'detail.state.value', s));
    const otherName = fc.string({ maxLength: 30 }).filter((s) => !s.startsWith('trimtab-s3-growth-')).map((s) => mutate(alarm, 'detail.alarmName', s));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), broken, otherState, otherName), async (input) => {
        counts.fuzzedInputs += 1;
        expect(await outcome(() => runAlarmTrigger(input, undefined, deps, persistence))).toMatch(/^(error: InvalidEventError|skipped: )/);
      }),
      FC,
    );
  });
});

// ───────────────────────── the alarm reconciler ─────────────────────────

describe('the alarm reconciler (alarm-sync) refuses input that is not its schedule', () => {
  const cases: [string, unknown, RegExp][] = [
    ['dryRun as a string ("false" used to mean true)', { dryRun: 'false' }, /alarm reconciler input is not valid: dryRun: .*expected boolean/],
    ['an unknown key', { deleteAll: true }, /Unrecognized key.*deleteAll/],
    ['a number', 1, /expected object/],
    ['an alarm event', sample('alarm-s3-growth-alarm'), /runs on its schedule, not on 'CloudWatch Alarm State Change' events/],
  ];
  it.each(cases)('refuses %s and writes nothing', async (_name, input, message) => {
    counts.tableInputs += 1;
    expect(await outcome(() => runAlarmSync(input, undefined, deps))).toMatch(message);
  });

  it('refuses fuzzed inputs and writes nothing', async () => {
    const valid = (x: unknown) => x === null || x === undefined || (typeof x === 'object' && !Array.isArray(x) && Object.keys(x).every((k) => k === 'dryRun') && ['undefined', 'boolean'].includes(typeof (x as { dryRun?: unknown }).dryRun));
    await fc.assert(
      fc.asyncProperty(fc.anything().filter((x) => !valid(x)), async (input) => {
        counts.fuzzedInputs += 1;
        expect(await outcome(() => runAlarmSync(input, undefined, deps))).toMatch(/^error: InvalidEventError: The alarm reconciler/);
      }),
      FC,
    );
  });
});

// ───────────────────────── approval workflow tasks ─────────────────────────

describe('the approval workflow tasks refuse malformed step input', () => {
  // An APPROVED request exists: an input that reached Apply with its id would change the buckets.
  const store = new MemoryApprovalStore(CLOCK);
  // Records what a step would send: nothing may be sent for a malformed input.
  const mailer = { emails: [] as Email[], send: async (email: Email) => (mailer.emails.push(email), { messageId: 'never' }) };
  let approvalId = '';
  beforeAll(async () => {
    env.deps.approvals = new WorkflowApprovalRequester(store, { start: async () => {} }, CLOCK);
    const requested = await env.run(policiesFrom(APPROVAL_POLICY));
    env.deps.approvals = undefined;
    approvalId = requested.findings.find((f) => f.outcome === 'awaiting-approval')!.outcomeDetail!.match(/apr-[a-z0-9]+/)![0];
    // The record's real path to 'approved' (every status update is conditional on the one before).
    for (const status of ['recorded', 'waiting'] as const) await store.update(approvalId, { status });
    // What "Ask the approvers" does besides mailing: seal what was asked (Apply refuses an unsealed record).
    await store.update(approvalId, { seal: sealApproval((await store.get(approvalId))!, SECRET) });
    await store.update(approvalId, { status: 'approved', decision: { decision: 'approve', actor: 'oncall@example.com', at: CLOCK().toISOString(), excluded: [], via: 'link' } });
  });
  const workflow: WorkflowDeps = { store, mailer, secret: async () => SECRET, baseUrl: 'https://approve.example', now: CLOCK, engine: env.deps, currentPolicies: policiesFrom(APPROVAL_POLICY) };
  const functions = {
    record: stepHandler(['record', 'not-approved', 'failed'], () => workflow),
    ask: stepHandler(['ask'], () => workflow),
    apply: stepHandler(['apply'], () => workflow),
    verify: stepHandler(['verify'], () => workflow),
    notify: stepHandler(['notify'], () => workflow),
  };
  const expectNoStepEffects = async () => {
    expect(mailer.emails).toHaveLength(0);
    expect((await store.get(approvalId))!.status).toBe('approved');
    expect((await store.get(approvalId))!.actions ?? []).toEqual([]);
  };

  const cases: [string, keyof typeof functions, (approvalId: string) => unknown, RegExp][] = [
    ['apply with another step\'s input', 'apply', (id) => ({ step: 'verify', approvalId: id }), /This function runs the 'apply' step, not 'verify'/],
    ['apply with no approval id', 'apply', (id) => ({}), /Invalid approval step input: approvalId: /],
    ['apply with an id that is not an approval id', 'apply', (id) => ({ approvalId: '../../etc/passwd' }), /approvalId: an approval id looks like apr-/],
    ['apply for an approval that does not exist', 'apply', (id) => ({ approvalId: 'apr-000000000000' }), /apr-000000000000/],
    ['ask with an empty task token', 'ask', (id) => ({ approvalId: id, taskToken: '' }), /taskToken: /],
    ['ask with a huge task token', 'ask', (id) => ({ approvalId: id, taskToken: 'x'.repeat(9000) }), /taskToken: /],
    ['record with a step it does not run', 'record', (id) => ({ step: 'apply', approvalId: id }), /This function runs record, not-approved, failed, not 'apply'/],
    ['notify with a number', 'notify', () => 7, /Invalid approval step input/],
    ['verify with null', 'verify', () => null, /Invalid approval step input/],
    ['a not-approved record without its error', 'record', (id) => ({ step: 'not-approved', approvalId: id }), /error: /],
  ];
  it.each(cases)('refuses %s and changes nothing', async (_name, fn, input, message) => {
    counts.tableInputs += 1;
    const result = await outcome(() => functions[fn](input(approvalId)) as Promise<unknown>);
    expect(result).toMatch(message);
    await expectNoStepEffects();
  });

  it('refuses fuzzed step inputs for every task and changes nothing', async () => {
    const steps = ['record', 'ask', 'apply', 'verify', 'notify', 'not-approved', 'failed'];
    const input = fc.oneof(
      fc.anything(),
      fc.record({ step: fc.oneof(fc.constantFrom(...steps), fc.string()), approvalId: fc.oneof(fc.string(), wrongType, fc.stringMatching(/^apr-[a-z0-9]{6,32}$/)) }, { requiredKeys: [] }),
    ).filter((x) => JSON.stringify(x)?.includes(approvalId) !== true);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(functions) as (keyof typeof functions)[])), input, async (fn, event) => {
        counts.fuzzedInputs += 1;
        expect(await outcome(() => functions[fn](event) as Promise<unknown>)).toMatch(/^error: (InvalidEventError|ApprovalNotFoundError|ApprovalStateError)/);
      }),
      FC,
    );
    await expectNoStepEffects();
    expect([ApprovalNotFoundError, ApprovalStateError].every((e) => e.prototype instanceof TrimtabError)).toBe(true);
  });

  it('positive control: the same harness sees the writes of a genuine Apply', async () => {
    await functions.apply({ step: 'apply', approvalId });
    expect(accountWrites(env).length).toBeGreaterThan(0);
    env.sandbox.resetCounters();
  });
});

// ───────────────────────── policy files ─────────────────────────

describe('policy files: every malformed file is a PolicyValidationError naming the problem', () => {
  const base = parsePolicies(SECURITY_POLICIES, 'security.yml');
  const cases: [string, string, RegExp][] = [
    ['a YAML syntax error', 'policies: [', /line \d+: YAML: /],
    ['a duplicate key', 'policies: []\npolicies: []', /YAML: Map keys must be unique/],
    ['policies that are not a list', 'policies: 5', /file → policies: .*expected array/],
    ['an unknown resource', 'policies:\n  - id: a\n    resource: rds\n    detector: { type: x }', /unknown resource 'rds'\. Valid resources: asg, (.*, )?ebs-snapshot, (.*, )?s3-bucket/],
    ['an unknown detector', 'policies:\n  - id: a\n    resource: s3-bucket\n    detector: { type: nope }', /unknown detector 'nope' for resource s3-bucket\. Valid detectors: /],
    ['an unknown key, with its line', 'policies:\n  - id: a\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }\n    moed: auto', /line 5: policy 'a' → moed: /],
    ['a bad mode', 'policies:\n  - id: a\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }\n    mode: yolo', /policy 'a' → mode: /],
    ['a negative limit', 'policies:\n  - id: a\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }\n    limits: { maxActionsPerRun: -5 }', /limits\.maxActionsPerRun: Too small/],
    ['a duplicate policy id', 'policies:\n  - id: a\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }\n  - id: a\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }', /duplicate policy id 'a'/],
    ['an id with spaces', 'policies:\n  - id: A B\n    resource: s3-bucket\n    detector: { type: missing-lifecycle }', /a policy id is lowercase letters, digits and dashes/],
    ['a list at the top level', '- a\n- b', /\(top level\): .*expected object/],
  ];
  it.each(cases)('refuses %s', (_name, text, message) => {
    counts.tableInputs += 1;
    let error: unknown;
    try {
      parsePolicies(text, 'bad.yml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyValidationError);
    expect((error as Error).message).toMatch(/^bad\.yml is not a valid trimtab policy file:/);
    expect((error as Error).message).toMatch(message);
    counts.rejectedWithError += 1;
  });

  /** Valid, or a PolicyValidationError with at least one problem: never a crash of another kind. */
  const check = (text: string) => {
    counts.fuzzedInputs += 1;
    try {
      parsePolicies(text, 'fuzz.yml');
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyValidationError);
      expect((error as PolicyValidationError).problems.length).toBeGreaterThan(0);
      counts.rejectedWithError += 1;
    }
  };

  it('fuzz: random text and random YAML documents', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.anything().map((v) => stringify(v ?? null))), check), { seed: 11, numRuns: 150 });
  });

  it('fuzz: a valid file with one field of one policy replaced by a random value', () => {
    const raw = { version: 1, policies: base.policies.map(({ id, resource, detector, action, mode, triggers }) => ({ id, resource, detector, action, mode, triggers })) };
    const fields = ['id', 'resource', 'detector', 'detector.type', 'action', 'action.type', 'action.abortIncompleteMultipartUploadDays', 'mode', 'triggers', 'limits', 'scope', 'approval', 'unknownKey'];
    fc.assert(
      fc.property(fc.nat(raw.policies.length - 1), fc.constantFrom(...fields), fc.anything(), (index, path, value) => {
        const copy = structuredClone(raw) as any;
        const keys = path.split('.');
        const parent = keys.slice(0, -1).reduce((o, k) => (o[k] ??= {}), copy.policies[index]);
        parent[keys.at(-1)!] = value;
        check(stringify(copy));
      }),
      { seed: 11, numRuns: 150 },
    );
  });
});

describe('positive controls: the harness sees writes when an input is genuine', () => {
  it('a genuine CreateBucket event writes the lifecycle rule it should', async () => {
    const { env: fresh, deps: freshDeps } = securityEnv();
    const result = await runEventTrigger(sample('cloudtrail-create-bucket'), undefined, freshDeps, memoryPersistence());
    expect(result.status).toBe('acted');
    expect(accountWrites(fresh).map((w) => w.operation)).toEqual(['PutBucketLifecycleConfiguration']);
  });
});
