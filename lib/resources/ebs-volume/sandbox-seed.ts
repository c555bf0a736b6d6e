/**
 * The EBS volume part of the "small company" scenario. Waste: volumes left unattached for
 * months (gp2, gp3, io1), gp2 volumes that gp3 serves for less. Traps: an attached volume, one
 * tagged trimtab:skip, a volume created last week, an old volume detached three days ago (its
 * EBS metrics stop then), a volume a Kubernetes PersistentVolume retains, a small gp2 volume
 * where gp3 saves under the minimum, a gp2 volume whose resize two hours ago is still
 * `optimizing` (AWS refuses another modification until it completes). `seedRateLimitedVolume`
 * adds a gp2 volume already modified four times in the last 24 hours (AWS's rolling limit).
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState } from '../../sandbox/services/cloudwatch.ts';
import { ec2State, type SandboxVolume } from '../../sandbox/services/ec2.ts';
import { ec2VolumeState, gp2Iops } from '../../sandbox/services/ec2-volumes.ts';

export interface VolumeSeed {
  name: string;
  sizeGb: number;
  type?: string;
  iops?: number;
  throughput?: number;
  ageDays: number;
  /** Attached now to this instance. */
  attachedTo?: string;
  /** Was attached until this many days ago (EBS metrics until then); absent: never in the window. */
  detachedDaysAgo?: number;
  tags?: Record<string, string>;
  region?: string;
}

/** Adds one volume (and its EBS metric history when it was attached); returns its id. */
export function seedVolume(sandbox: Sandbox, accountId: string, spec: VolumeSeed): string {
  const region = spec.region ?? 'us-east-1';
  const account = sandbox.account(accountId);
  const now = sandbox.now();
  const id = sandbox.mintId('vol');
  const type = spec.type ?? 'gp3';
  const volume: SandboxVolume = {
    id,
    sizeGb: spec.sizeGb,
    volumeType: type,
    state: spec.attachedTo ? 'in-use' : 'available',
    createTime: daysAgo(now, spec.ageDays).toISOString(),
    availabilityZone: `${region}a`,
    tags: { Name: spec.name, ...spec.tags },
    ...(type === 'gp2' ? { iops: gp2Iops(spec.sizeGb) } : type === 'gp3' ? { iops: spec.iops ?? 3000, throughput: spec.throughput ?? 125 } : spec.iops ? { iops: spec.iops } : {}),
    ...(spec.attachedTo ? { attachments: [{ instanceId: spec.attachedTo, device: '/dev/sdf', attachTime: daysAgo(now, spec.ageDays).toISOString() }] } : {}),
  };
  ec2State(sandbox, account, region).volumes[id] = volume;
  const attachedUntil = spec.attachedTo ? undefined : spec.detachedDaysAgo;
  if (spec.attachedTo || attachedUntil !== undefined) {
    cloudwatchState(sandbox, account, region).metrics.push({
      namespace: 'AWS/EBS',
      metricName: 'VolumeIdleTime',
      dimensions: { VolumeId: id },
      // Hourly is enough to tell the days it was attached (and keeps large test inventories fast).
      series: { resolutionSeconds: 3600, base: 200, noise: 50, min: 0, startsAt: volume.createTime, ...(attachedUntil !== undefined ? { endsAt: daysAgo(now, attachedUntil).toISOString() } : {}) },
    });
  }
  return id;
}

export function seedEbsVolumeSmallCompany(sandbox: Sandbox, accountId: string) {
  const v = (spec: VolumeSeed) => seedVolume(sandbox, accountId, spec);
  // Waste: unattached for months.
  v({ name: 'jenkins-old-data', sizeGb: 500, type: 'gp2', ageDays: 400, detachedDaysAgo: 120, tags: { team: 'platform' } });
  v({ name: 'analytics-scratch-2', sizeGb: 1000, ageDays: 90, tags: { team: 'data' } });
  v({ name: 'perf-test-io1', sizeGb: 200, type: 'io1', iops: 4000, ageDays: 75, detachedDaysAgo: 60, tags: { team: 'qa' } });
  // Waste: gp2 volumes in use that gp3 serves for less.
  v({ name: 'web-2 root', sizeGb: 100, type: 'gp2', ageDays: 700, attachedTo: 'i-0web2' });
  v({ name: 'reporting-db data', sizeGb: 2000, type: 'gp2', ageDays: 600, attachedTo: 'i-0reportdb', tags: { team: 'data' } });

  // Traps.
  v({ name: 'api-1 data', sizeGb: 300, ageDays: 300, attachedTo: 'i-0api1' });
  v({ name: 'legal-archive-disk', sizeGb: 750, type: 'gp2', ageDays: 500, detachedDaysAgo: 200, tags: { 'trimtab:skip': 'legal hold 2025-07' } });
  v({ name: 'new-migration-target', sizeGb: 400, ageDays: 5 });
  v({ name: 'build-cache (detached on Friday)', sizeGb: 250, ageDays: 400, detachedDaysAgo: 3 });
  v({ name: 'pvc-postgres-retained', sizeGb: 50, ageDays: 200, detachedDaysAgo: 100, tags: { 'kubernetes.io/created-for/pv/name': 'pvc-0b1c2d3e', 'kubernetes.io/created-for/pvc/name': 'data-postgres-0', 'ebs.csi.aws.com/cluster': 'true' } });
  v({ name: 'bastion root', sizeGb: 8, type: 'gp2', ageDays: 900, attachedTo: 'i-0bastion' });
  const resized = v({ name: 'queue-worker data', sizeGb: 400, type: 'gp2', ageDays: 300, attachedTo: 'i-0worker' });
  const now = sandbox.now();
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
  const mods = ec2VolumeState(sandbox, sandbox.account(accountId), 'us-east-1').modifications;
  // Grown from 300 to 400 GiB two hours ago; optimizing for 6 hours (a fact of the scenario, not scaled).
  mods[resized] = {
    volumeId: resized,
    state: 'optimizing',
    startTime: hoursAgo(2),
    modifyingMs: 5 * 60_000,
    optimizingMs: 6 * 3_600_000,
    original: { volumeType: 'gp2', size: 300, iops: 900 },
    target: { volumeType: 'gp2', size: 400, iops: 1200 },
  };
}

/**
 * A gp2 volume grown four times today (20 → 50 → 80 → 110 → 140 GiB), all completed: AWS refuses
 * a fifth modification until 24 hours after the first (VolumeModificationRateExceeded). Not in
 * the demo scenario (its auto policy would record a skipped action); tests add it.
 */
export function seedRateLimitedVolume(sandbox: Sandbox, accountId: string): string {
  const now = sandbox.now();
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
  const busy = seedVolume(sandbox, accountId, { name: 'ci-cache data (grown 4x today)', sizeGb: 140, type: 'gp2', ageDays: 30, attachedTo: 'i-0ci' });
  ec2VolumeState(sandbox, sandbox.account(accountId), 'us-east-1').modifications[busy] = {
    volumeId: busy,
    state: 'completed',
    startTime: hoursAgo(3),
    recentStarts: [hoursAgo(20), hoursAgo(12), hoursAgo(6)],
    original: { volumeType: 'gp2', size: 110, iops: 330 },
    target: { volumeType: 'gp2', size: 140, iops: 420 },
  };
  return busy;
}
