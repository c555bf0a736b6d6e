import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { undoAction } from '../../lib/engine/undo.ts';
import { seedBucket } from '../../lib/resources/s3-bucket/sandbox-seed.ts';
import { addLifecycleRules } from '../../lib/resources/s3-bucket/remediators.ts';
import { regionContext } from '../../lib/engine/run.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../../lib/sandbox/sandbox.ts';
import { PlanConstraintError, UndoRefusedError } from '../../lib/util/errors.ts';
import { emptySandbox, envFor, testEnv, SETTLED_TIMING } from '../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

const bucket = (sandbox: Sandbox, name: string) => s3State(sandbox, sandbox.account(SANDBOX_ACCOUNT)).buckets[name];

/** Every S3 policy in auto mode, as trimtab.yml has them (plus scopes). */
const ALL_AUTO = `
version: 1
defaults: { mode: auto, limits: { maxActionsPerRun: 100, cooldownHours: 0 } }
policies:
  - id: abort
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules }
  - id: noncurrent
    resource: s3-bucket
    detector: { type: missing-noncurrent-version-rule }
    action: { type: add-lifecycle-rules, noncurrentVersionExpirationDays: 90 }
    scope: { excludeNames: ['*-terraform-state'] }
  - id: transition
    resource: s3-bucket
    detector: { type: large-standard-without-transition }
    action: { type: add-lifecycle-rules, transition: { storageClass: INTELLIGENT_TIERING, afterDays: 30 } }
    scope: { excludeTags: { access-pattern: hot } }
`;

describe('S3 scan on the small-company sandbox', () => {
  it('reports the four kinds of finding with savings, and writes nothing in dry-run', async () => {
    // Prepare
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });

    // Act
    const result = await env.run(ALL_AUTO, { forceDryRun: true });

    // Assess
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(env.sandbox.callCount('s3:PutBucketLifecycleConfiguration')).toBe(0);
    const transition = result.findings.filter((f) => f.policy === 'transition' && f.status === 'actionable').map((f) => [f.resource.id, f.savings.monthlyUsd]);
    expect(transition).toEqual(
      expect.arrayContaining([
        ['acme-data-lake', 24.13],
        ['acme-app-logs', 10.38],
        ['acme-web-assets', 3.93],
        ['acme-eu-exports', 3.13],
      ]),
    );
    expect(transition).toHaveLength(4);
    expect(result.findings.every((f) => f.outcome !== 'applied')).toBe(true);
  });

  it('never proposes a transition for the small bucket or the bucket of tiny objects', async () => {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });

    const result = await env.run(ALL_AUTO.replace("type: large-standard-without-transition }", 'type: large-standard-without-transition, minStandardGb: 0 }'), { forceDryRun: true });

    const flagged = result.findings.filter((f) => f.policy === 'transition').map((f) => f.resource.id);
    expect(flagged).not.toContain('acme-config');
    expect(flagged).not.toContain('acme-thumbnails');
  });

  // acme-legal-hold has an incomplete upload and a large Standard share: both policies find it, and both stop at its tag.
  const LEGAL_HOLD_FINDINGS = [['abort', 'protected', 'tagged trimtab:skip'], ['transition', 'protected', 'tagged trimtab:skip']];
  it('honours trimtab:skip, name patterns and tag exclusions', async () => {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });

    const result = await env.run(ALL_AUTO, { forceDryRun: true });

    const of = (id: string) => result.findings.filter((f) => f.resource.id === id);
    // acme-legal-hold is tagged trimtab:skip: exactly its findings, each protected for that reason.
    expect(of('acme-legal-hold').map((f) => [f.policy, f.status, f.outcomeDetail])).toEqual(LEGAL_HOLD_FINDINGS);
    expect(of('acme-terraform-state').map((f) => f.policy)).toEqual(['abort']);
    expect(of('acme-ml-training')).toEqual([]);
  });

  it('reports a conflict, saying why, where the owners keep noncurrent versions longer under a prefix', async () => {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });

    const result = await env.run(ALL_AUTO);

    const conflict = result.findings.find((f) => f.resource.id === 'acme-backups' && f.policy === 'noncurrent')!;
    expect(conflict.status).toBe('conflict');
    expect(conflict.outcomeDetail).toContain("rule 'keep-db-versions-1y' expires noncurrent versions after 365 days for prefix 'db/'");
    expect(bucket(env.sandbox, 'acme-backups').lifecycle!.Rules.map((r: LifecycleRule) => r.ID)).toEqual(['keep-db-versions-1y', 'trimtab-abort-incomplete-multipart-uploads']);
  });

  it('gives 0 with "size unknown" for a bucket CloudWatch has no size for', async () => {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });

    const result = await env.run(`
version: 1
policies:
  - id: none
    resource: s3-bucket
    detector: { type: missing-lifecycle }
`);

    const finding = result.findings.find((f) => f.resource.id === 'acme-new-uploads')!;
    expect(finding.evidence.size).toBe('size unknown: no AWS/S3 BucketSizeBytes datapoint in the last 3 days');
    expect(finding.savings.monthlyUsd).toBe(0);
  });
});

describe('S3 run, second run and undo', () => {
  it('merges without touching others’ rules, and a second run finds nothing left to do', async () => {
    // Prepare
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const othersBefore = structuredClone(bucket(env.sandbox, 'acme-app-logs').lifecycle!.Rules);

    // Act
    const first = await env.run(ALL_AUTO);
    env.sandbox.resetCounters();
    const second = await env.run(ALL_AUTO);

    // Assess
    expect(first.summary.actionsFailed).toBe(0);
    expect(first.summary.actionsApplied).toBe(12); // 7 abort rules, 1 noncurrent, 4 transitions
    const rules = bucket(env.sandbox, 'acme-app-logs').lifecycle!.Rules as LifecycleRule[];
    expect(rules.slice(0, 2)).toEqual(othersBefore);
    expect(rules.map((r) => r.ID)).toEqual(['expire-debug-logs', 'archive-audit', 'trimtab-abort-incomplete-multipart-uploads', 'trimtab-transition-current-versions']);
    expect(second.findings.filter((f) => f.status === 'actionable')).toEqual([]);
    expect(second.actions).toEqual([]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('undo restores the exact previous configuration, or deletes it when there was none', async () => {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const before = structuredClone(bucket(env.sandbox, 'acme-app-logs').lifecycle);
    const result = await env.run(ALL_AUTO.split('  - id: noncurrent')[0]);
    const logs = result.actions.find((a) => a.resource.id === 'acme-app-logs')!;
    const web = result.actions.find((a) => a.resource.id === 'acme-web-assets')!;

    await undoAction(logs.id, { ...env.deps, store: env.store });
    await undoAction(web.id, { ...env.deps, store: env.store });

    expect(bucket(env.sandbox, 'acme-app-logs').lifecycle!.Rules).toEqual(before!.Rules);
    expect(bucket(env.sandbox, 'acme-web-assets').lifecycle).toBeUndefined();
    expect((await env.store.get(logs.id))!.status).toBe('undone');
  });

  it('undo refuses, and changes nothing, after someone else changed the configuration', async () => {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const result = await env.run(ALL_AUTO.split('  - id: noncurrent')[0]);
    const logs = result.actions.find((a) => a.resource.id === 'acme-app-logs')!;
    // Someone adds a rule of their own after trimtab's action.
    bucket(env.sandbox, 'acme-app-logs').lifecycle!.Rules.push({ ID: 'new-by-hand', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } });
    const changed = structuredClone(bucket(env.sandbox, 'acme-app-logs').lifecycle);
    env.sandbox.resetCounters();

    await expect(undoAction(logs.id, { ...env.deps, store: env.store })).rejects.toThrow(UndoRefusedError);
    await expect(undoAction(logs.id, { ...env.deps, store: env.store })).rejects.toThrow(/changed after trimtab's action/);

    expect(bucket(env.sandbox, 'acme-app-logs').lifecycle).toEqual(changed);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('refuses to apply a rule that breaks an S3 constraint, naming it, and sends nothing', async () => {
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const ctx = regionContext(env.deps, 'us-east-1', env.clients.withWrites(true), clock());
    const plan = {
      action: 'add-lifecycle-rules',
      summary: '',
      undo: '',
      hash: 'h',
      params: { bucket: 'acme-config', rules: [{ ID: 'trimtab-transition-current-versions', Status: 'Enabled' as const, Filter: {}, Transitions: [{ Days: 7, StorageClass: 'STANDARD_IA' as const }] }] },
    };

    await expect(addLifecycleRules.apply(ctx, plan, undefined as never)).rejects.toThrow(PlanConstraintError);
    await expect(addLifecycleRules.apply(ctx, plan, undefined as never)).rejects.toThrow(/'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'/);
    expect(env.sandbox.callCount('s3:PutBucketLifecycleConfiguration')).toBe(0);
  });
});

describe('S3 API-call counts', () => {
  it('scans 1,000 buckets with one lifecycle and one versioning read per bucket, tags in 10 GetResources calls and 54 batched GetMetricData calls (26 storage types + NumberOfObjects per bucket)', async () => {
    // Prepare: 1,000 buckets, a tenth of them with size metrics.
    const sandbox = emptySandbox({ clock, pageCap: undefined }); // counts calls at full page size
    for (let i = 0; i < 1000; i++) {
      const name = `bulk-${String(i).padStart(4, '0')}`;
      seedBucket(sandbox, SANDBOX_ACCOUNT, {
        name,
        region: 'us-east-1',
        ageDays: 100,
        versioning: i % 3 === 0 ? 'Enabled' : undefined,
        tags: { n: String(i) },
        ...(i % 10 === 0 ? { gb: { StandardStorage: 500 }, objects: 50_000 } : {}),
      });
    }
    const env = envFor(sandbox, ['us-east-1']);

    // Act
    const result = await env.run(ALL_AUTO + `
  - id: none
    resource: s3-bucket
    detector: { type: missing-lifecycle }
`, { forceDryRun: true });

    // Assess
    expect(sandbox.callsByOperation()).toEqual({
      'cloudwatch:GetMetricData': 54, // 1,000 buckets × 27 queries / 500 per call
      'resourcegroupstaggingapi:GetResources': 10, // 100 ARNs a call
      's3:GetBucketLifecycleConfiguration': 1000,
      's3:GetBucketVersioning': 1000,
      's3:ListBuckets': 1,
      // No ListMultipartUploads: with minIncompleteUploads 0 the count decides nothing.
    });
    expect(result.findings.filter((f) => f.policy === 'transition')).toHaveLength(100);
    expect(result.findings.filter((f) => f.policy === 'noncurrent')).toHaveLength(334);
    expect(sandbox.successfulWrites()).toEqual([]);
  });
});
