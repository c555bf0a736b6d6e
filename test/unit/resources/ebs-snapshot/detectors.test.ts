import { systemClock } from '../../../../lib/util/clock.ts';
import { describe, expect, it } from 'vitest';
import type { Detection, DetectEnv } from '../../../../lib/engine/types.ts';
import { olderThan, orphaned, tooManyPerVolume, monthlyCost } from '../../../../lib/resources/ebs-snapshot/detectors.ts';
import type { EbsPrepared, EbsSnapshot } from '../../../../lib/resources/ebs-snapshot/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;

const snap = (id: string, volumeId: string, ageDays: number, extra: Partial<EbsSnapshot> = {}): EbsSnapshot => ({
  id,
  volumeId,
  startTime: NOW.getTime() - ageDays * DAY,
  volumeSizeGb: 100,
  fullSizeGb: 40,
  state: 'completed',
  storageTier: 'standard',
  tags: {},
  ...extra,
});

function envWith(prepared: Partial<EbsPrepared> = {}): DetectEnv<EbsPrepared> {
  return {
    ctx: { account: '123456789012', region: 'us-east-1', now: NOW, prices: DEFAULT_PRICES, clock: systemClock, log: () => {}, clients: undefined as never },
    prepared: { amiRefs: new Map(), volumes: new Map([['vol-live', 'in-use']]), publicSnapshots: new Set(), recycleBin: { rules: [] }, ...prepared },
  };
}

function runPass(detections: { observe(s: EbsSnapshot): Detection[]; finish(): Iterable<Detection> }, snapshots: EbsSnapshot[]) {
  const out = snapshots.flatMap((s) => detections.observe(s));
  return [...out, ...detections.finish()];
}

const byId = (ds: Detection[]) => Object.fromEntries(ds.map((d) => [d.resource!.id, d]));
const common = { allowShared: false, allowNewestOfVolume: false };

describe('older-than', () => {
  it('flags old snapshots and protects the newest snapshot of a volume that still exists, whatever the order', () => {
    // Prepare: the newest snapshot of vol-live is old too, and arrives first.
    const snapshots = [snap('snap-new', 'vol-live', 120), snap('snap-old', 'vol-live', 300), snap('snap-young-gone', 'vol-gone', 10), snap('snap-old-gone', 'vol-gone', 200)];
    // Act
    const found = byId(runPass(olderThan.pass!({ days: 90, ...common }, envWith()), snapshots));
    // Assess
    expect(Object.keys(found).sort()).toEqual(['snap-new', 'snap-old', 'snap-old-gone']);
    expect(found['snap-new'].status).toBe('protected');
    expect(found['snap-new'].evidence.protection).toMatch(/newest snapshot of volume vol-live/);
    expect(found['snap-old'].status).toBe('actionable');
    expect(found['snap-old'].evidence.ageDays).toBe(300);
    expect(found['snap-old-gone'].evidence.volumeState).toBe('deleted');
  });

  it('does not hold back an old snapshot when a younger one of the same volume exists', () => {
    const found = runPass(olderThan.pass!({ days: 90, ...common }, envWith()), [snap('snap-old', 'vol-live', 300), snap('snap-fresh', 'vol-live', 2)]);
    expect(found.map((d) => [d.resource!.id, d.status])).toEqual([['snap-old', 'actionable']]);
  });

  it('acts on the newest snapshot when the policy allows it', () => {
    const found = runPass(olderThan.pass!({ days: 90, allowShared: false, allowNewestOfVolume: true }, envWith()), [snap('snap-only', 'vol-live', 300)]);
    expect(found.map((d) => d.status)).toEqual(['actionable']);
  });
});

describe('orphaned', () => {
  it('flags snapshots of deleted volumes past the minimum age, with the count of snapshots of that volume', () => {
    const snapshots = [snap('a', 'vol-gone', 100), snap('b', 'vol-gone', 5), snap('c', 'vol-live', 100), snap('d', 'vol-ffffffff', 400), snap('e', 'vol-gone', 200, { state: 'pending' })];
    const found = runPass(orphaned.pass!({ minAgeDays: 30, ...common }, envWith()), snapshots);
    expect(found.map((d) => d.resource!.id)).toEqual(['a']);
    expect(found[0].evidence.snapshotsOfVolume).toBe(2);
  });

  it('marks AMI-referenced (disabled too), AWS Backup, DLM and public snapshots as protected with the reason', () => {
    const prepared = {
      amiRefs: new Map([['ami-snap', [{ imageId: 'ami-1', name: 'golden', state: 'disabled', deprecated: true }]]]),
      publicSnapshots: new Set(['pub']),
    };
    const snapshots = [
      snap('ami-snap', 'vol-g1', 100),
      snap('backup', 'vol-g2', 100, { tags: { 'aws:backup:source-resource': 'x' } }),
      snap('dlm', 'vol-g3', 100, { tags: { 'aws:dlm:lifecycle-policy-id': 'policy-1' } }),
      snap('pub', 'vol-g4', 100),
    ];
    const found = byId(runPass(orphaned.pass!({ minAgeDays: 30, ...common }, envWith(prepared)), snapshots));
    expect(Object.values(found).every((d) => d.status === 'protected')).toBe(true);
    expect(found['ami-snap'].evidence.protection).toBe('referenced by AMI ami-1 (golden) [disabled] [deprecated]; deleting it would fail (InvalidSnapshot.InUse) and break the AMI');
    expect(found.backup.evidence.protection).toMatch(/AWS Backup/);
    expect(found.dlm.evidence.protection).toMatch(/Data Lifecycle Manager policy policy-1/);
    expect(found.pub.evidence.protection).toMatch(/shared publicly/);
  });

  it('acts on public snapshots only when the policy allows shared ones', () => {
    const found = runPass(orphaned.pass!({ minAgeDays: 0, allowShared: true, allowNewestOfVolume: false }, envWith({ publicSnapshots: new Set(['pub']) })), [snap('pub', 'vol-g', 100)]);
    expect(found[0].status).toBe('actionable');
  });
});

describe('too-many-per-volume', () => {
  it('keeps the newest K per volume whatever order the pages arrive in', () => {
    // Prepare: 10 snapshots of one live volume, shuffled deterministically.
    const ages = [5, 1, 9, 3, 7, 2, 10, 4, 8, 6];
    const snapshots = ages.map((age) => snap(`s${age}`, 'vol-live', age));
    // Act
    const found = runPass(tooManyPerVolume.pass!({ keep: 3, existingVolumesOnly: true, ...common }, envWith()), snapshots);
    // Assess: the 3 newest (ages 1, 2, 3) are kept.
    expect(found.map((d) => d.resource!.id).sort()).toEqual(['s10', 's4', 's5', 's6', 's7', 's8', 's9']);
  });

  it('ignores deleted volumes by default and counts them when asked', () => {
    const snapshots = [snap('a', 'vol-gone', 1), snap('b', 'vol-gone', 2)];
    expect(runPass(tooManyPerVolume.pass!({ keep: 1, existingVolumesOnly: true, ...common }, envWith()), snapshots)).toHaveLength(0);
    expect(runPass(tooManyPerVolume.pass!({ keep: 1, existingVolumesOnly: false, ...common }, envWith()), snapshots).map((d) => d.resource!.id)).toEqual(['b']);
  });
});

describe('monthlyCost', () => {
  it('prices the standard tier on the full size as an upper bound and says so', () => {
    const cost = monthlyCost(snap('a', 'v', 1, { fullSizeGb: 400 }), DEFAULT_PRICES);
    expect(cost.monthlyUsd).toBe(20);
    expect(cost.basis.join(' ')).toMatch(/upper bound.*incremental/s);
  });

  it('prices the archive tier on the full size', () => {
    expect(monthlyCost(snap('a', 'v', 1, { fullSizeGb: 400, storageTier: 'archive' }), DEFAULT_PRICES).monthlyUsd).toBe(5);
  });
});
