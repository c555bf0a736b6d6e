/**
 * The EBS snapshot part of the "small company" scenario: real waste (old snapshots of deleted
 * volumes, too many manual snapshots of one volume) and every trap that must survive (AMI
 * references incl. disabled and deprecated AMIs, AWS Backup, DLM, trimtab:skip, public and
 * account shares, the newest snapshot of an existing volume, an in-progress snapshot).
 * `seedSnapshots` generates large inventories for tests and the benchmark.
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { ec2State, type SandboxSnapshot, type SandboxVolume } from '../../sandbox/services/ec2.ts';
import { generatedSnapshotId, generatedVolumeId, type GeneratedSnapshots } from '../../sandbox/services/ec2-generated.ts';
import { rbinState } from '../../sandbox/services/rbin.ts';
import { GIB } from '../../savings/prices.ts';
import { BACKUP_TAG, DLM_TAG } from './resource.ts';

export const PARTNER_ACCOUNT = '210987654321';

interface SnapshotSpec {
  volumeId: string;
  ageDays: number;
  sizeGb: number;
  fullGb?: number;
  tags?: Record<string, string>;
  state?: SandboxSnapshot['state'];
  shares?: SandboxSnapshot['createVolumePermissions'];
  description?: string;
}

function helpers(sandbox: Sandbox, accountId: string, region: string) {
  const account = sandbox.account(accountId);
  const state = ec2State(sandbox, account, region);
  const now = sandbox.now();
  const volume = (sizeGb: number, vState: SandboxVolume['state'] = 'in-use', tags: Record<string, string> = {}, volumeType = 'gp3') => {
    const id = sandbox.mintId('vol');
    state.volumes[id] = { id, sizeGb, volumeType, state: vState, createTime: daysAgo(now, 800).toISOString(), availabilityZone: `${region}a`, tags };
    return id;
  };
  /** A volume id that no longer exists (its snapshots are orphans). */
  const goneVolume = () => sandbox.mintId('vol');
  const snapshot = (spec: SnapshotSpec) => {
    const id = sandbox.mintId('snap');
    state.snapshots[id] = {
      id,
      volumeId: spec.volumeId,
      startTime: daysAgo(now, spec.ageDays).toISOString(),
      volumeSizeGb: spec.sizeGb,
      fullSizeBytes: Math.round((spec.fullGb ?? spec.sizeGb) * GIB),
      state: spec.state ?? 'completed',
      storageTier: 'standard',
      description: spec.description ?? '',
      encrypted: true,
      tags: spec.tags ?? {},
      createVolumePermissions: spec.shares ?? [],
    };
    return id;
  };
  const image = (name: string, snapshotIds: string[], extra: { state?: 'available' | 'disabled'; deprecatedDaysAgo?: number } = {}) => {
    const id = sandbox.mintId('ami');
    state.images[id] = {
      id,
      name,
      state: extra.state ?? 'available',
      creationDate: daysAgo(now, 500).toISOString(),
      ...(extra.deprecatedDaysAgo !== undefined ? { deprecationTime: daysAgo(now, extra.deprecatedDaysAgo).toISOString() } : {}),
      snapshotIds,
    };
    return id;
  };
  return { account, state, now, volume, goneVolume, snapshot, image };
}

export function seedEbsSmallCompany(sandbox: Sandbox, accountId: string) {
  const { volume, goneVolume, snapshot, image } = helpers(sandbox, accountId, 'us-east-1');

  // Waste: a decommissioned database's snapshots, kept for a year after the volume went.
  const legacyDb = goneVolume();
  for (const age of [410, 395, 380]) snapshot({ volumeId: legacyDb, ageDays: age, sizeGb: 2000, fullGb: 1400, tags: { Name: 'legacy-db nightly', team: 'data' } });
  // Waste: the only snapshot of an old CI volume (archive would save money here: one lineage of one).
  snapshot({ volumeId: goneVolume(), ageDays: 250, sizeGb: 500, fullGb: 310, tags: { Name: 'ci-cache-final', team: 'platform' } });
  const analytics = goneVolume();
  for (const age of [130, 120]) snapshot({ volumeId: analytics, ageDays: age, sizeGb: 750, fullGb: 520, tags: { Name: 'analytics-scratch', team: 'data' } });

  // Waste: hand-made daily snapshots of a web server's root volume, 20 of them (keep 7).
  const webRoot = volume(100, 'in-use', { Name: 'web-1 root' });
  for (let day = 1; day <= 20; day++) snapshot({ volumeId: webRoot, ageDays: day, sizeGb: 100, fullGb: 38, tags: { Name: `web-1 manual ${day}` } });

  // Trap: DLM-managed snapshots of the database volume (DLM owns their retention).
  const dbData = volume(1000, 'in-use', { Name: 'db-1 data' }, 'io2');
  for (let day = 1; day <= 14; day++) snapshot({ volumeId: dbData, ageDays: day, sizeGb: 1000, fullGb: 640, tags: { [DLM_TAG]: 'policy-0a1b2c3d4e5f60718', 'dlm:managed': 'true' } });

  // Trap: the only snapshot of a volume that still exists (old, but the newest it has).
  const batch = volume(500, 'available', { Name: 'batch scratch' });
  snapshot({ volumeId: batch, ageDays: 200, sizeGb: 500, fullGb: 120, tags: { Name: 'batch-before-upgrade' } });

  // Traps: old snapshots of deleted volumes that AMIs still use (available, disabled, deprecated).
  image('app-golden-2025-06', [snapshot({ volumeId: goneVolume(), ageDays: 300, sizeGb: 30, description: 'Created by CreateImage(i-0abc) for ami' })]);
  image('app-golden-2024-11', [snapshot({ volumeId: goneVolume(), ageDays: 420, sizeGb: 30 })], { state: 'disabled' });
  image('app-golden-2024-02', [snapshot({ volumeId: goneVolume(), ageDays: 600, sizeGb: 30 }), snapshot({ volumeId: goneVolume(), ageDays: 600, sizeGb: 200 })], { deprecatedDaysAgo: 200 });
  // A copied AMI's snapshot: AWS shows vol-ffffffff as its volume.
  image('app-golden-copy-eu', [snapshot({ volumeId: 'vol-ffffffff', ageDays: 300, sizeGb: 30, description: 'Copied for DestinationAmi' })]);

  // Traps: AWS Backup and DLM made these; trimtab:skip; shared publicly; shared with a partner account.
  snapshot({ volumeId: goneVolume(), ageDays: 200, sizeGb: 400, fullGb: 300, tags: { [BACKUP_TAG]: 'arn:aws:ec2:us-east-1:123456789012:volume/vol-0backup', 'aws:backup:managed': 'true' }, description: 'This snapshot is created by the AWS Backup service.' });
  snapshot({ volumeId: goneVolume(), ageDays: 150, sizeGb: 250, tags: { [DLM_TAG]: 'policy-0f9e8d7c6b5a40312' } });
  snapshot({ volumeId: goneVolume(), ageDays: 700, sizeGb: 800, fullGb: 700, tags: { 'trimtab:skip': 'legal hold 2024-113', Name: 'finance-ledger-2023' } });
  snapshot({ volumeId: goneVolume(), ageDays: 365, sizeGb: 50, tags: { Name: 'public-dataset-v1' }, shares: [{ group: 'all' }] });
  snapshot({ volumeId: goneVolume(), ageDays: 240, sizeGb: 300, fullGb: 210, tags: { Name: 'dr-copy-for-partner' }, shares: [{ userId: PARTNER_ACCOUNT }] });
  // Not a candidate: still being taken.
  snapshot({ volumeId: goneVolume(), ageDays: 40, sizeGb: 900, state: 'pending' });

  // eu-west-1: a tag-level Recycle Bin rule already covers trimtab deletes there.
  const eu = helpers(sandbox, accountId, 'eu-west-1');
  const euGone = eu.goneVolume();
  for (const age of [190, 160]) eu.snapshot({ volumeId: euGone, ageDays: age, sizeGb: 1000, fullGb: 800, tags: { Name: 'eu-reporting-db', team: 'data' } });
  const rules = rbinState(sandbox, eu.account, 'eu-west-1').rules;
  rules.euTrimtab01 = {
    identifier: 'euTrimtab01',
    description: 'Keep snapshots deleted by trimtab for 30 days',
    resourceType: 'EBS_SNAPSHOT',
    retentionPeriod: { RetentionPeriodValue: 30, RetentionPeriodUnit: 'DAYS' },
    resourceTags: [{ ResourceTagKey: 'trimtab:deleted-by', ResourceTagValue: 'trimtab' }],
    status: 'available',
  };
}

export interface SnapshotInventoryOptions {
  snapshots: number;
  /** AMIs, each mapping one snapshot. */
  amis?: number;
  /** Existing volumes; as many again are deleted (their snapshots are orphans). */
  volumes?: number;
  /** Deterministic seed for ages and sizes. */
  seed?: number;
}

/**
 * A large inventory: `snapshots` snapshots spread over `volumes` existing and as many deleted
 * volumes, ages 1..720 days, `amis` AMIs each using one snapshot, and every 50th snapshot
 * tagged by AWS Backup. Returns the ids a test needs to check protections.
 */
export function seedSnapshots(sandbox: Sandbox, accountId: string, region: string, options: SnapshotInventoryOptions) {
  const { volume, goneVolume, state, now, image } = helpers(sandbox, accountId, region);
  const volumesWanted = options.volumes ?? Math.max(1, Math.floor(options.snapshots / 20));
  let seed = options.seed ?? 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const existing = Array.from({ length: volumesWanted }, () => volume(100));
  const gone = Array.from({ length: volumesWanted }, () => goneVolume());
  const amiSnapshots: string[] = [];
  const backup: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < options.snapshots; i++) {
    const id = sandbox.mintId('snap');
    const volumeId = i % 2 === 0 ? existing[i % existing.length] : gone[i % gone.length];
    const tags: Record<string, string> = i % 50 === 0 ? { [BACKUP_TAG]: `arn:aws:ec2:${region}:${accountId}:volume/${volumeId}` } : {};
    if (i % 50 === 0) backup.push(id);
    state.snapshots[id] = {
      id,
      volumeId,
      startTime: new Date(now.getTime() - Math.floor(1 + random() * 720) * 86_400_000).toISOString(),
      volumeSizeGb: 100,
      fullSizeBytes: Math.round((10 + random() * 90) * GIB),
      state: 'completed',
      storageTier: 'standard',
      tags,
    };
    ids.push(id);
  }
  const amis = Math.min(options.amis ?? 0, ids.length);
  for (let n = 0; n < amis; n++) {
    const snap = ids[Math.floor((n * ids.length) / amis)];
    amiSnapshots.push(snap);
    image(`bench-ami-${n}`, [snap], n % 3 === 1 ? { state: 'disabled' } : n % 3 === 2 ? { deprecatedDaysAgo: 10 } : {});
  }
  return { snapshotIds: ids, amiSnapshotIds: amiSnapshots, backupSnapshotIds: backup, existingVolumes: existing, deletedVolumes: gone };
}

/**
 * The same kind of inventory as `seedSnapshots`, generated on demand (sandbox/services/ec2-generated.ts):
 * the snapshots are never held by the sandbox, only the volumes and AMIs are. For the bench's
 * 100k and 1M cases, whose scan RSS must be the scan's, not the sandbox's copy of the inventory.
 */
export function seedGeneratedSnapshots(sandbox: Sandbox, accountId: string, region: string, options: SnapshotInventoryOptions) {
  const account = sandbox.account(accountId);
  const state = ec2State(sandbox, account, region);
  const now = sandbox.now();
  const volumes = options.volumes ?? Math.max(1, Math.floor(options.snapshots / 20));
  const gen: GeneratedSnapshots = { count: options.snapshots, volumes, seed: options.seed ?? 42, nowMs: now.getTime(), region, accountId, backupEvery: 50, backupTag: BACKUP_TAG, deleted: {} };
  state.generated = gen;
  for (let n = 0; n < volumes; n++) {
    const id = generatedVolumeId('existing', n);
    state.volumes[id] = { id, sizeGb: 100, volumeType: 'gp3', state: 'in-use', createTime: daysAgo(now, 800).toISOString(), availabilityZone: `${region}a`, tags: {} };
  }
  const amis = Math.min(options.amis ?? 0, options.snapshots);
  const amiSnapshotIds: string[] = [];
  for (let n = 0; n < amis; n++) {
    const snap = generatedSnapshotId(Math.floor((n * options.snapshots) / amis));
    amiSnapshotIds.push(snap);
    const id = sandbox.mintId('ami');
    state.images[id] = {
      id,
      name: `bench-ami-${n}`,
      state: n % 3 === 1 ? 'disabled' : 'available',
      creationDate: daysAgo(now, 500).toISOString(),
      ...(n % 3 === 2 ? { deprecationTime: daysAgo(now, 10).toISOString() } : {}),
      snapshotIds: [snap],
    };
  }
  return { amiSnapshotIds, volumes };
}
