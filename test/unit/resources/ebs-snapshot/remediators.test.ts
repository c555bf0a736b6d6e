import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../lib/engine/types.ts';
import type { SnapshotBefore } from '../../../../lib/resources/ebs-snapshot/detectors.ts';
import { archiveSnapshot, deleteSnapshot } from '../../../../lib/resources/ebs-snapshot/remediators.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const ctx = { now: NOW, prices: DEFAULT_PRICES };

function finding(before: Partial<SnapshotBefore> = {}): Finding {
  const snapshot = { id: 'snap-1', volumeId: 'vol-gone', startTime: NOW.getTime() - 200 * 86_400_000, volumeSizeGb: 500, fullSizeGb: 400, state: 'completed', storageTier: 'standard', tags: {} };
  return {
    id: 'f1',
    policy: 'p',
    detector: 'orphaned',
    mode: 'auto',
    status: 'actionable',
    reason: 'r',
    evidence: {},
    resource: { type: 'ebs-snapshot', id: 'snap-1', arn: 'arn', account: '123456789012', region: 'us-east-1', tags: {} },
    savings: { monthlyUsd: 20, basis: [] },
    before: { snapshot, allowShared: false, recycleBin: { covered: false }, volumeExists: false, snapshotsOfVolume: 1, ...before } satisfies SnapshotBefore,
  };
}

const deleteOptions = { createRecycleBinRule: false, recycleBinRetentionDays: 14, requireRecycleBin: false };

describe('delete-snapshot plan', () => {
  it('says the delete is final when no Recycle Bin rule covers it', () => {
    const plan = deleteSnapshot.plan(finding(), deleteOptions, ctx);
    expect(plan.kind).toBe('change');
    if (plan.kind !== 'change') return;
    expect(plan.summary).toContain('FINAL: no Recycle Bin rule covers it');
    expect(plan.undo).toMatch(/^Not possible/);
  });

  it('names the covering rule and its retention when one exists', () => {
    const plan = deleteSnapshot.plan(finding({ recycleBin: { covered: true, kind: 'tag', ruleId: 'abc', retentionDays: 30 } }), deleteOptions, ctx);
    expect(plan.kind === 'change' && plan.summary).toContain('recoverable for 30 days (Recycle Bin rule abc)');
  });

  it('says why no rule covers this snapshot, and records that the plan promised no undo', () => {
    const plan = deleteSnapshot.plan(finding({ recycleBin: { covered: false, reason: 'region-level rule r1 excludes snapshots tagged team=data' } }), deleteOptions, ctx);
    expect(plan.kind === 'change' && plan.summary).toContain('FINAL: no Recycle Bin rule covers it (region-level rule r1 excludes snapshots tagged team=data)');
    expect(plan.kind === 'change' && plan.params.recoverable).toBe(false);
  });

  it('records a recoverable promise when a rule covers the snapshot or trimtab will create one', () => {
    const covered = deleteSnapshot.plan(finding({ recycleBin: { covered: true, kind: 'region', ruleId: 'r', retentionDays: 7 } }), deleteOptions, ctx);
    const created = deleteSnapshot.plan(finding(), { ...deleteOptions, createRecycleBinRule: true }, ctx);
    expect(covered.kind === 'change' && covered.params.recoverable).toBe(true);
    expect(created.kind === 'change' && created.params.recoverable).toBe(true);
  });

  it('is a conflict when the policy requires a Recycle Bin and none covers or will be created', () => {
    const plan = deleteSnapshot.plan(finding(), { ...deleteOptions, requireRecycleBin: true }, ctx);
    expect(plan.kind).toBe('conflict');
  });

  it('starts in approval mode', () => {
    expect(deleteSnapshot.defaultMode).toBe('approval');
  });
});

describe('archive-snapshot plan', () => {
  it('archives the only snapshot of a deleted volume and shows the saving against the full size', () => {
    const plan = archiveSnapshot.plan(finding(), { minMonthlySavingsUsd: 1 }, ctx);
    expect(plan.kind).toBe('change');
    if (plan.kind !== 'change') return;
    // 400 GiB × ($0.05 − $0.0125) = $15
    expect(plan.savings!.monthlyUsd).toBeCloseTo(15, 6);
    expect(plan.savings!.basis.join(' ')).toMatch(/90 days/);
  });

  it('refuses to claim a saving for a snapshot in a lineage, where its standard bill is only changed blocks', () => {
    const plan = archiveSnapshot.plan(finding({ snapshotsOfVolume: 3 }), { minMonthlySavingsUsd: 1 }, ctx);
    expect(plan.kind).toBe('noop');
    expect(plan.kind === 'noop' && plan.reason).toMatch(/one of 3 snapshots.*changed blocks/);
  });

  it('does nothing for a snapshot of a volume that still exists, or one already archived', () => {
    expect(archiveSnapshot.plan(finding({ volumeExists: true }), { minMonthlySavingsUsd: 1 }, ctx).kind).toBe('noop');
    const archived = finding();
    (archived.before as SnapshotBefore).snapshot.storageTier = 'archive';
    expect(archiveSnapshot.plan(archived, { minMonthlySavingsUsd: 1 }, ctx).kind).toBe('noop');
  });

  it('tells the approver that undo cannot cancel an archival, and that archiving ends shares when they are allowed', () => {
    const plan = archiveSnapshot.plan(finding({ allowShared: true }), { minMonthlySavingsUsd: 1 }, ctx);
    expect(plan.kind === 'change' && plan.undo).toMatch(/AWS cannot cancel an archival/);
    expect(plan.kind === 'change' && plan.summary).toMatch(/AWS turns off sharing of an archived snapshot/);
  });

  it('skips savings under the policy minimum', () => {
    const plan = archiveSnapshot.plan(finding(), { minMonthlySavingsUsd: 100 }, ctx);
    expect(plan.kind).toBe('noop');
  });
});
