/**
 * EBS volumes. Listed with the DescribeVolumes paginator at 500 a page, so one GetMetricData
 * call (≤500 queries) covers a page when a detector needs the attachment history. Batched
 * lookups, never one call per volume:
 * - `modifications` (prepare): one paginated DescribeVolumesModifications for the region, the
 *   latest modification per volume (AWS refuses another until it is completed);
 * - `io-history:<days>` (enrich): for each unattached volume of the page, the last day with an
 *   AWS/EBS VolumeIdleTime datapoint in the window. EBS publishes volume metrics only while a
 *   volume is attached, so the last datapoint is when it was last attached (to the day).
 */
import { CloudWatchClient, paginateGetMetricData, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { EC2Client, paginateDescribeVolumes, paginateDescribeVolumesModifications, type Volume } from '@aws-sdk/client-ec2';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { enrichmentRead, needsStartingWith } from '../../engine/partial.ts';
import { batches } from '../../util/async.ts';
import { withIoUsage } from './io-usage.ts';
import type { EbsVolume } from './volume.ts';
import { partitionOf } from '../../aws/regions.ts';

export type { EbsVolume } from './volume.ts';

export interface VolumeModification {
  state: string;
  /** Milliseconds since the epoch. */
  startTime: number;
  targetType?: string;
  targetIops?: number;
  targetThroughput?: number;
  progress?: number;
}

export interface EbsVolumePrepared {
  /** Volume id → its latest modification (only when a detector needs `modifications`). */
  modifications: Map<string, VolumeModification>;
}

export const VOLUME_NEEDS = { modifications: 'modifications' } as const;
export const historyNeed = (days: number) => `io-history:${days}`;
export const PAGE_SIZE = 500;
const METRIC_QUERIES_PER_CALL = 500;
const DAY_MS = 86_400_000;

export function toEbsVolume(v: Volume): EbsVolume {
  const tags: Record<string, string> = {};
  for (const t of v.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    id: v.VolumeId!,
    sizeGb: v.Size ?? 0,
    volumeType: v.VolumeType ?? 'unknown',
    ...(v.Iops !== undefined ? { iops: v.Iops } : {}),
    ...(v.Throughput !== undefined ? { throughput: v.Throughput } : {}),
    state: v.State ?? 'unknown',
    availabilityZone: v.AvailabilityZone ?? '',
    createTime: v.CreateTime ? new Date(v.CreateTime).getTime() : 0,
    ...(v.SnapshotId ? { snapshotId: v.SnapshotId } : {}),
    attachedTo: (v.Attachments ?? []).map((a) => a.InstanceId ?? '?'),
    multiAttach: Boolean(v.MultiAttachEnabled),
    encrypted: Boolean(v.Encrypted),
    ...(v.KmsKeyId ? { kmsKeyId: v.KmsKeyId } : {}),
    tags,
  };
}

async function latestModifications(ec2: EC2Client): Promise<Map<string, VolumeModification>> {
  const out = new Map<string, VolumeModification>();
  for await (const page of paginateDescribeVolumesModifications({ client: ec2, pageSize: 500 }, {})) {
    for (const m of page.VolumesModifications ?? []) {
      if (!m.VolumeId || !m.StartTime) continue;
      const startTime = new Date(m.StartTime).getTime();
      const previous = out.get(m.VolumeId);
      if (previous && previous.startTime >= startTime) continue;
      out.set(m.VolumeId, { state: m.ModificationState ?? 'unknown', startTime, targetType: m.TargetVolumeType, targetIops: m.TargetIops, targetThroughput: m.TargetThroughput, ...(m.Progress !== undefined ? { progress: m.Progress } : {}) });
    }
  }
  return out;
}

const isUnattached = (v: EbsVolume) => v.state === 'available' && v.attachedTo.length === 0;

/** The longest `io-history:<days>` any detector asked for, or undefined. */
function historyDays(needs: ReadonlySet<string>): number | undefined {
  const days = [...needs].filter((n) => n.startsWith('io-history:')).map((n) => Number(n.slice('io-history:'.length)));
  return days.length ? Math.max(...days) : undefined;
}

/** Last day with an EBS metric, per unattached volume of the page: ≤500 queries a call. */
async function readHistory(ctx: RegionContext, page: EbsVolume[], days: number): Promise<EbsVolume[]> {
  const candidates = page.filter(isUnattached);
  if (candidates.length === 0) return page;
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const end = new Date(Math.floor(ctx.now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
  const start = new Date(end.getTime() - (days + 1) * DAY_MS);
  const last = new Map<string, number>();
  for (const batch of batches(candidates, METRIC_QUERIES_PER_CALL)) {
    const queries: MetricDataQuery[] = batch.map((v, i) => ({
      Id: `v${i}`,
      Label: v.id,
      MetricStat: { Metric: { Namespace: 'AWS/EBS', MetricName: 'VolumeIdleTime', Dimensions: [{ Name: 'VolumeId', Value: v.id }] }, Period: 86_400, Stat: 'SampleCount' },
      ReturnData: true,
    }));
    for await (const out of paginateGetMetricData({ client: cw }, { MetricDataQueries: queries, StartTime: start, EndTime: end })) {
      for (const r of out.MetricDataResults ?? []) {
        const volume = batch[Number(r.Id!.slice(1))];
        for (const t of r.Timestamps ?? []) {
          const at = new Date(t).getTime();
          if (at > (last.get(volume.id) ?? -Infinity)) last.set(volume.id, at);
        }
      }
    }
  }
  return page.map((v) => (isUnattached(v) ? { ...v, lastMetricAt: last.get(v.id) ?? null, historyDays: days } : v));
}

export const ebsVolumeResource: ResourceType<EbsVolume, EbsVolumePrepared> = {
  id: 'ebs-volume',
  title: 'EBS volume',
  permissions: ['ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications', 'cloudwatch:GetMetricData'],

  async prepare(ctx, needs) {
    // A failed read costs only the detectors needing it, on every volume of the region (lib/engine/partial.ts).
    const modifications = needs.has(VOLUME_NEEDS.modifications)
      ? ((await enrichmentRead(ctx, { provides: [VOLUME_NEEDS.modifications], operation: 'ec2:DescribeVolumesModifications' }, () => latestModifications(ctx.clients.get(EC2Client, ctx.region)))) ?? new Map())
      : new Map();
    return { modifications };
  },

  async *list(ctx, _prepared, ids) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    // Event-driven runs name the volumes (a filter takes up to 200 values, and unlike VolumeIds a gone volume is no error).
    const inputs = ids?.length ? batches(ids, 200).map((chunk) => ({ Filters: [{ Name: 'volume-id', Values: chunk }] })) : [{}];
    for (const input of inputs) {
      for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: PAGE_SIZE }, input)) {
        const volumes = (page.Volumes ?? []).filter((v) => v.VolumeId).map(toEbsVolume);
        if (volumes.length) yield volumes;
      }
    }
  },

  async enrich(ctx, page, _prepared, needs) {
    const days = historyDays(needs);
    const history = { provides: needsStartingWith(needs, 'io-history:'), items: page.filter(isUnattached), operation: 'cloudwatch:GetMetricData' };
    const withHistory = days === undefined ? page : ((await enrichmentRead(ctx, history, () => readHistory(ctx, page, days))) ?? page);
    // IOPS and throughput use of in-use gp3/io1/io2 volumes (performance.ts), when asked for.
    const ioUsage = { provides: needsStartingWith(needs, 'io-usage:'), items: withHistory.filter((v) => v.state === 'in-use'), operation: 'cloudwatch:GetMetricData' };
    return (await enrichmentRead(ctx, ioUsage, () => withIoUsage(ctx, withHistory, needs))) ?? withHistory;
  },

  ref(v, ctx) {
    return { type: 'ebs-volume', id: v.id, arn: `arn:${partitionOf(ctx.region)}:ec2:${ctx.region}:${ctx.account}:volume/${v.id}`, account: ctx.account, region: ctx.region, tags: v.tags };
  },
};
