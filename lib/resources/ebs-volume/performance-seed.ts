/**
 * The provisioned-performance part of the "small company" scenario: in-use volumes with
 * hourly EBS I/O metrics (VolumeReadOps/WriteOps/ReadBytes/WriteBytes, VolumeIdleTime).
 * - 'orders-db data': gp3 at its 3,000 IOPS ceiling every busy hour of the day (raise);
 * - 'media-transcode scratch': gp3 at its 125 MiB/s throughput ceiling (raise throughput);
 * - 'ledger-db data': io1 with 16,000 IOPS provisioned, busiest hour about 1,500 (lower);
 * Traps: 'search-index data' (io2 used at up to ~60 % of what is provisioned: neither), and
 * 'migration-db data' (io1 attached 10 hours ago: too little data to lower anything).
 */
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import { seedVolume, type VolumeSeed } from './sandbox-seed.ts';

const H = 3600;

export interface IoSeed {
  /** Per-second operations: a daily sine around `base` (± amplitude), clipped at `max`. */
  readIops: { base: number; amplitude?: number; max?: number };
  writeIops: { base: number; amplitude?: number; max?: number };
  /** Bytes per operation. */
  ioSizeBytes: number;
  /** Seconds per hour with no I/O. */
  idleSeconds: number;
  onlyLastHours?: number;
}

/** Adds an in-use volume and its hourly EBS I/O metrics; returns its id. */
export function seedIoVolume(sandbox: Sandbox, accountId: string, volume: VolumeSeed, io: IoSeed): string {
  const id = seedVolume(sandbox, accountId, { ...volume, attachedTo: volume.attachedTo ?? 'i-0perf' });
  const region = volume.region ?? 'us-east-1';
  const metrics = cloudwatchState(sandbox, sandbox.account(accountId), region).metrics;
  const active = H - io.idleSeconds;
  const perHour = (s: { base: number; amplitude?: number; max?: number }, scale: number): Omit<SeriesSpec, 'seed'> => ({
    resolutionSeconds: 3600,
    base: s.base * active * scale,
    ...(s.amplitude ? { amplitude: s.amplitude * active * scale } : {}),
    ...(s.max !== undefined ? { max: s.max * active * scale } : {}),
    min: 0,
    ...(io.onlyLastHours !== undefined ? { onlyLastHours: io.onlyLastHours } : {}),
  });
  const add = (metricName: string, series: Omit<SeriesSpec, 'seed'>) => metrics.push({ namespace: 'AWS/EBS', metricName, dimensions: { VolumeId: id }, series });
  add('VolumeReadOps', perHour(io.readIops, 1));
  add('VolumeWriteOps', perHour(io.writeIops, 1));
  add('VolumeReadBytes', perHour(io.readIops, io.ioSizeBytes));
  add('VolumeWriteBytes', perHour(io.writeIops, io.ioSizeBytes));
  add('VolumeIdleTime', { resolutionSeconds: 3600, base: io.idleSeconds, min: 0, ...(io.onlyLastHours !== undefined ? { onlyLastHours: io.onlyLastHours } : {}) });
  return id;
}

export function seedVolumePerformanceSmallCompany(sandbox: Sandbox, accountId: string) {
  // At the 3,000 IOPS ceiling whenever the day is busy (reads + writes clip at 1,600 + 1,350).
  seedIoVolume(sandbox, accountId, { name: 'orders-db data', sizeGb: 500, type: 'gp3', iops: 3000, throughput: 125, ageDays: 400, attachedTo: 'i-0ordersdb', tags: { team: 'orders' } },
    { readIops: { base: 1500, amplitude: 1400, max: 1600 }, writeIops: { base: 1200, amplitude: 1100, max: 1350 }, ioSizeBytes: 16_384, idleSeconds: 60 });
  // At the 125 MiB/s throughput ceiling: few, large (256 KiB) operations.
  seedIoVolume(sandbox, accountId, { name: 'media-transcode scratch', sizeGb: 1000, type: 'gp3', iops: 3000, throughput: 125, ageDays: 200, attachedTo: 'i-0transcode', tags: { team: 'media' } },
    { readIops: { base: 300, amplitude: 200, max: 330 }, writeIops: { base: 150, amplitude: 100, max: 165 }, ioSizeBytes: 262_144, idleSeconds: 120 });
  // io1 provisioned for a load test long ago: 16,000 IOPS, the busiest hour about 1,500.
  seedIoVolume(sandbox, accountId, { name: 'ledger-db data', sizeGb: 400, type: 'io1', iops: 16_000, ageDays: 500, attachedTo: 'i-0ledgerdb', tags: { team: 'finance' } },
    { readIops: { base: 600, amplitude: 300 }, writeIops: { base: 400, amplitude: 200 }, ioSizeBytes: 16_384, idleSeconds: 300 });
  // Trap: io2 used at up to about 60 % of what is provisioned: right-sized.
  seedIoVolume(sandbox, accountId, { name: 'search-index data', sizeGb: 200, type: 'io2', iops: 8000, ageDays: 300, attachedTo: 'i-0search', tags: { team: 'search' } },
    { readIops: { base: 3000, amplitude: 1500 }, writeIops: { base: 200, amplitude: 100 }, ioSizeBytes: 16_384, idleSeconds: 30 });
  // Trap: attached 10 hours ago, nearly idle so far: too little data to lower its IOPS.
  seedIoVolume(sandbox, accountId, { name: 'migration-db data', sizeGb: 300, type: 'io1', iops: 12_000, ageDays: 1, attachedTo: 'i-0migration', tags: { team: 'platform' } },
    { readIops: { base: 50 }, writeIops: { base: 20 }, ioSizeBytes: 16_384, idleSeconds: 3000, onlyLastHours: 10 });
}
