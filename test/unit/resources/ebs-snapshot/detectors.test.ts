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

  it('holds at most one candidate per deleted volume until the end of the stream, and reports every orphan once', () => {
    // Prepare: 20 deleted volumes of 50 old snapshots each, interleaved as pages would bring them.
    const snapshots: EbsSnapshot[] = [];
    for (let i = 0; i < 50; i++) for (let v = 0; v < 20; v++) snapshots.push(snap(`snap-${v}-${i}`, `vol-gone-${v}`, 100 + i));
    const pass = orphaned.pass!({ minAgeDays: 30, ...common }, envWith());

    // Act: after each snapshot, how many candidates the pass still holds (seen, not yet released).
    const released: Detection[] = [];
    let mostHeld = 0;
    snapshots.forEach((s, seen) => {
      released.push(...pass.observe(s));
      mostHeld = Math.max(mostHeld, seen + 1 - released.length);
    });
    const heldToTheEnd = [...pass.finish()];

    // Assess: never more than one per volume waiting (the old pass held all 1,000 to the end); nothing lost or repeated.
    expect(mostHeld).toBe(20);
    expect(heldToTheEnd.length).toBe(0);
    expect(released.length).toBe(1000);
    const ids = [...released, ...heldToTheEnd].map((d) => d.resource!.id);
    expect(new Set(ids).size).toBe(1000);
    expect(ids.sort()).toEqual(snapshots.map((s) => s.id).sort());
  });

  it('states the count so far as a lower bound for an orphan released mid-stream, and an exact 1 for a volume\'s only snapshot', () => {
    // Prepare
    const snapshots = [snap('a1', 'vol-gone', 100), snap('a2', 'vol-gone', 90), snap('a3', 'vol-gone', 80), snap('only', 'vol-alone', 100)];

    // Act
    const found = byId(runPass(orphaned.pass!({ minAgeDays: 30, ...common }, envWith()), snapshots));

    // Assess
    expect(found.a1.evidence).toMatchObject({ snapshotsOfVolume: 2, snapshotsOfVolumeAtLeast: true });
    expect(found.a3.evidence).toMatchObject({ snapshotsOfVolume: 3, snapshotsOfVolumeAtLeast: true });
    expect(found.a3.reason).toContain('(at least 3 snapshots of that volume left)');
    expect(found.only.evidence.snapshotsOfVolume).toBe(1);
    expect(found.only.evidence.snapshotsOfVolumeAtLeast).toBeUndefined();
    expect(found.only.reason).toContain('(1 snapshot of that volume left)');
    expect(found.only.before).toMatchObject({ snapshotsOfVolume: 1, volumeExists: false });
    expect((found.a1.before as { snapshotsOfVolumeAtLeast?: boolean }).snapshotsOfVolumeAtLeast).toBe(true);
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
