/**
 * The last-moment re-checks (issue 30): the code that runs right before a write and refuses
 * when the resource changed since the finding. An approval is applied to the finding stored when
 * the email went out, so these checks are the only protection in that window. Each test changes
 * the resource between the scan and the write (the run's `confirm` hook runs after planning,
 * before any apply) and asserts that nothing was written. Each was checked by turning its check
 * off (`if (false)`) and seeing the test fail.
 */
import { describe, expect, it } from 'vitest';
import type { FindingResult } from '../../lib/engine/run.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { ec2VolumeState } from '../../lib/sandbox/services/ec2-volumes.ts';
import { s3State } from '../../lib/sandbox/services/s3.ts';
import { testEnv, SETTLED_TIMING, type TestEnv } from '../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

const policy = (resource: string, detector: string, action: string) => `
version: 1
policies:
  - id: p
    resource: ${resource}
    detector: ${detector}
    action: ${action}
    mode: auto
    limits: { maxActionsPerRun: 1000, cooldownHours: 0 }
`;

const account = (env: TestEnv) => env.sandbox.account(SANDBOX_ACCOUNT);

/** Runs the policy, calling `change` on every finding about to be applied, after the scan and before any write. */
async function runChangingBeforeWrite(env: TestEnv, yaml: string, change: (f: FindingResult) => void) {
  const changed: string[] = [];
  const result = await env.run(yaml, {
    confirm: async (pending) => {
      for (const f of pending) {
        change(f);
        changed.push(f.resource.id);
      }
      return true;
    },
  });
  return { result, changed };
}

/** The findings of the changed resources: all protected with `detail`, none applied. */
function expectAllRefused(result: Awaited<ReturnType<TestEnv['run']>>, changed: string[], detail: RegExp) {
  expect(changed.length).toBeGreaterThan(0);
  const findings = result.findings.filter((f) => changed.includes(f.resource.id));
  expect(findings).toHaveLength(changed.length);
  for (const f of findings) {
    expect(f.status).toBe('protected');
    expect(f.outcomeDetail).toMatch(detail);
  }
}

const skipTag = { 'trimtab:skip': 'tagged after the approval email went out' };

describe('apply-time re-checks: ebs-snapshot', () => {
  it('delete-snapshot refuses a snapshot tagged trimtab:skip after the scan, deleting nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    // Act
    const { result, changed } = await runChangingBeforeWrite(env, policy('ebs-snapshot', '{ type: orphaned }', '{ type: delete-snapshot }'), (f) => {
      const s = ec2State(env.sandbox, account(env), f.resource.region).snapshots[f.resource.id];
      s.tags = { ...s.tags, ...skipTag };
    });
    // Assess
    expectAllRefused(result, changed, /is now tagged trimtab:skip/);
    expect(env.sandbox.successfulWrites('DeleteSnapshot')).toEqual([]);
    for (const id of changed) expect(Object.values(account(env).regions).some((r: any) => r.ec2?.snapshots?.[id])).toBe(true);
  });

  it('archive-snapshot refuses a snapshot shared with another account after the scan, archiving nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    // Act
    const { result, changed } = await runChangingBeforeWrite(env, policy('ebs-snapshot', '{ type: orphaned }', '{ type: archive-snapshot }'), (f) => {
      ec2State(env.sandbox, account(env), f.resource.region).snapshots[f.resource.id].createVolumePermissions = [{ userId: '210987654321' }];
    });
    // Assess
    expectAllRefused(result, changed, /is shared with 210987654321 \(createVolumePermission\)/);
    expect(env.sandbox.successfulWrites('ModifySnapshotTier')).toEqual([]);
  });
});

describe('apply-time re-checks: ebs-volume', () => {
  it('snapshot-and-delete refuses a volume tagged trimtab:skip after the scan: no snapshot, no delete', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    // Act
    const { result, changed } = await runChangingBeforeWrite(env, policy('ebs-volume', '{ type: unattached, days: 30 }', '{ type: snapshot-and-delete, pollSeconds: 0 }'), (f) => {
      const v = ec2State(env.sandbox, account(env), f.resource.region).volumes[f.resource.id];
      v.tags = { ...v.tags, ...skipTag };
    });
    // Assess
    expectAllRefused(result, changed, /is now tagged trimtab:skip/);
    expect(env.sandbox.successfulWrites('DeleteVolume')).toEqual([]);
    expect(env.sandbox.successfulWrites('CreateSnapshot')).toEqual([]);
  });

  it('modify-to-gp3 refuses a volume tagged trimtab:skip after the scan, modifying nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    // Act
    const { result, changed } = await runChangingBeforeWrite(env, policy('ebs-volume', '{ type: gp2-to-gp3 }', '{ type: modify-to-gp3 }'), (f) => {
      const v = ec2State(env.sandbox, account(env), f.resource.region).volumes[f.resource.id];
      v.tags = { ...v.tags, ...skipTag };
    });
    // Assess
    expectAllRefused(result, changed, /is now tagged trimtab:skip/);
    expect(env.sandbox.successfulWrites('ModifyVolume')).toEqual([]);
  });

  it('modify-to-gp3 refuses a volume someone changed to another type after the scan, modifying nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    // Act
    const { result, changed } = await runChangingBeforeWrite(env, policy('ebs-volume', '{ type: gp2-to-gp3 }', '{ type: modify-to-gp3 }'), (f) => {
      const v = ec2State(env.sandbox, account(env), f.resource.region).volumes[f.resource.id] as any;
      Object.assign(v, { volumeType: 'io1', type: 'io1', iops: 3000 });
    });
    // Assess
    expectAllRefused(result, changed, /is now io1, not gp2: someone changed it since the scan/);
    expect(env.sandbox.successfulWrites('ModifyVolume')).toEqual([]);
  });

  it('lower-volume-iops refuses a volume tagged trimtab:skip after the scan, modifying nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    // Act
    const { result, changed } = await runChangingBeforeWrite(env, policy('ebs-volume', '{ type: iops-over-provisioned }', '{ type: lower-volume-iops }'), (f) => {
      const v = ec2State(env.sandbox, account(env), f.resource.region).volumes[f.resource.id];
      v.tags = { ...v.tags, ...skipTag };
    });
    // Assess
    expectAllRefused(result, changed, /is now tagged trimtab:skip/);
    expect(env.sandbox.successfulWrites('ModifyVolume')).toEqual([]);
  });
});

describe('apply-time re-checks: elastic-ip', () => {
  it('release-address refuses an address tagged trimtab:skip after the scan, releasing nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock });
    // Act
    const { result, changed } = await runChangingBeforeWrite(env, policy('elastic-ip', '{ type: unassociated }', '{ type: release-address }'), (f) => {
      const a = ec2VolumeState(env.sandbox, account(env), f.resource.region).addresses[f.resource.id];
      a.tags = { ...a.tags, ...skipTag };
    });
    // Assess
    expectAllRefused(result, changed, /is now tagged trimtab:skip/);
    expect(env.sandbox.successfulWrites('ReleaseAddress')).toEqual([]);
  });
});

describe('apply-time re-checks: s3-bucket', () => {
  it('add-lifecycle-rules refuses a bucket whose owners added a conflicting rule after the scan, writing nothing', async () => {
    // Prepare
    const env = testEnv('small-company', { clock, timing: SETTLED_TIMING });
    const theirs = { ID: 'owners-noncurrent-30d', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 30 } };
    const before = new Map<string, unknown>();
    // Act: the owners expire noncurrent versions after 30 days; the policy asks 90.
    const { result, changed } = await runChangingBeforeWrite(
      env,
      policy('s3-bucket', '{ type: missing-noncurrent-version-rule }', '{ type: add-lifecycle-rules, noncurrentVersionExpirationDays: 90 }'),
      (f) => {
        const b = s3State(env.sandbox, account(env)).buckets[f.resource.id];
        b.lifecycle = { ...(b.lifecycle ?? {}), Rules: [...(b.lifecycle?.Rules ?? []), theirs] };
        before.set(f.resource.id, structuredClone(b.lifecycle));
      },
    );
    // Assess
    expect(changed.length).toBeGreaterThan(0);
    const findings = result.findings.filter((f) => changed.includes(f.resource.id));
    expect(findings).toHaveLength(changed.length);
    for (const f of findings) {
      expect(f.status).not.toBe('verified');
      expect(f.outcomeDetail).toMatch(/changed since the scan: rule 'owners-noncurrent-30d' already expires noncurrent versions after 30 days for the whole bucket/);
      expect(s3State(env.sandbox, account(env)).buckets[f.resource.id].lifecycle).toEqual(before.get(f.resource.id));
    }
    expect(env.sandbox.successfulWrites('PutBucketLifecycleConfiguration')).toEqual([]);
  });
});
