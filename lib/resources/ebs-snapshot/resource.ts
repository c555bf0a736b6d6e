/**
 * EBS snapshots owned by the account, listed with DescribeSnapshots (OwnerIds self, 1,000 a
 * page) and streamed. Everything the decisions need beyond the snapshot itself is gathered
 * once per region and run in prepare(), never per snapshot:
 * - AMI block-device mappings: DescribeImages Owners self, IncludeDisabled and IncludeDeprecated;
 * - which volumes exist: one paginated DescribeVolumes;
 * - which snapshots are public: DescribeSnapshots OwnerIds self + RestorableByUserIds ['all']
 *   (a filtered listing, usually one call). AWS honours that filter; LocalStack and moto ignore
 *   it and return every snapshot. So a snapshot the filter marks is called public only after
 *   DescribeSnapshotAttribute (createVolumePermission) confirms it, one call per marked
 *   snapshot that could be acted on (enrich; on AWS, where public snapshots are rare, almost
 *   none), and a listing that returns exactly the unfiltered set is reported as an endpoint
 *   that ignores the filter. Shares with specific accounts cannot be listed without a call per
 *   snapshot, so delete-snapshot checks them for the one snapshot it is about to delete, right
 *   before the delete (see remediators.ts);
 * - the Recycle Bin rules, from which coverage is judged per snapshot (see recycle-bin.ts).
 * The snapshot kept per item is compact (no description), so 100,000 fit in Lambda memory.
 */
import { DescribeSnapshotsCommand, EC2Client, paginateDescribeImages, paginateDescribeSnapshots, paginateDescribeVolumes, type Snapshot } from '@aws-sdk/client-ec2';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { GIB } from '../../savings/prices.ts';
import { batches } from '../../util/async.ts';
import { DescribeSnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import { SKIP_TAG } from '../protection.ts';
import { awsErrorName } from '../../util/errors.ts';
import { isSavedPairs, resumablePages } from '../../engine/checkpoint.ts';
import { forgetRecycleBinRules, readRecycleBinRules, type RecycleBinRules } from './recycle-bin.ts';
import { partitionOf } from '../../aws/regions.ts';

export interface EbsSnapshot {
  id: string;
  volumeId: string;
  /** Milliseconds since the epoch (compact). */
  startTime: number;
  /** The source volume's size, GiB. */
  volumeSizeGb: number;
  /** FullSnapshotSizeInBytes in GiB, when AWS reports it: the blocks written, not the incremental size. */
  fullSizeGb?: number;
  state: string;
  storageTier: string;
  tags: Record<string, string>;
}

export interface AmiRef {
  imageId: string;
  name?: string;
  state?: string;
  deprecated: boolean;
}

export interface EbsPrepared {
  /** Snapshot id → the owned AMIs that map it (available, disabled and deprecated). */
  amiRefs: Map<string, AmiRef[]>;
  /** Volume id → state, for every volume that exists in the region. */
  volumes: Map<string, string>;
  /**
   * Snapshots anyone can restore (createVolumePermission group all): marked by the filtered
   * listing; enrich() removes those DescribeSnapshotAttribute shows are not public.
   */
  publicSnapshots: Set<string>;
  /** Marked snapshots whose createVolumePermission was read (true: public). */
  publicConfirmed?: Map<string, boolean>;
  /** Set when the filtered listing returned every snapshot: the endpoint seems to ignore RestorableByUserIds. */
  publicFilterIgnored?: string;
  recycleBin: RecycleBinRules;
  /** Snapshots listed so far in this unit, and how many of them the filtered listing marked (across the invocations of a split unit). */
  counted?: { listed: number; marked: number };
}

/** Detector need: confirm the public mark of snapshots that could be acted on. */
export const NEED_PUBLIC_CONFIRMATION = 'public-confirmation';

/** What AWS shows as the volume of a copied snapshot: not a volume that ever existed here. */
export const COPIED_SNAPSHOT_VOLUME = 'vol-ffffffff';
export const BACKUP_TAG = 'aws:backup:source-resource';
export const DLM_TAG = 'aws:dlm:lifecycle-policy-id';
export const PAGE_SIZE = 1000;

export function toEbsSnapshot(s: Snapshot): EbsSnapshot {
  const tags: Record<string, string> = {};
  for (const t of s.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    id: s.SnapshotId!,
    volumeId: s.VolumeId ?? COPIED_SNAPSHOT_VOLUME,
    startTime: s.StartTime ? new Date(s.StartTime).getTime() : 0,
    volumeSizeGb: s.VolumeSize ?? 0,
    ...(s.FullSnapshotSizeInBytes !== undefined ? { fullSizeGb: Math.round((s.FullSnapshotSizeInBytes / GIB) * 100) / 100 } : {}),
    state: s.State ?? 'unknown',
    storageTier: s.StorageTier ?? 'standard',
    tags,
  };
}

export async function amiReferences(ec2: EC2Client, now: Date): Promise<Map<string, AmiRef[]>> {
  const refs = new Map<string, AmiRef[]>();
  const pages = paginateDescribeImages({ client: ec2, pageSize: PAGE_SIZE }, { Owners: ['self'], IncludeDisabled: true, IncludeDeprecated: true });
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      const ref: AmiRef = { imageId: image.ImageId!, name: image.Name, state: image.State, deprecated: Boolean(image.DeprecationTime && Date.parse(image.DeprecationTime) <= now.getTime()) };
      for (const m of image.BlockDeviceMappings ?? []) {
        const snap = m.Ebs?.SnapshotId;
        if (!snap) continue;
        const list = refs.get(snap) ?? [];
        list.push(ref);
        refs.set(snap, list);
      }
    }
  }
  return refs;
}

async function existingVolumes(ec2: EC2Client): Promise<Map<string, string>> {
  const volumes = new Map<string, string>();
  for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: PAGE_SIZE }, {})) {
    for (const v of page.Volumes ?? []) if (v.VolumeId) volumes.set(v.VolumeId, v.State ?? 'unknown');
  }
  return volumes;
}

async function publicSnapshots(ec2: EC2Client): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize: PAGE_SIZE }, { OwnerIds: ['self'], RestorableByUserIds: ['all'] })) {
    for (const s of page.Snapshots ?? []) if (s.SnapshotId) ids.add(s.SnapshotId);
  }
  return ids;
}

/** Whether any detector could act on the snapshot: completed and free of the protections that do not depend on sharing. */
function couldBeActedOn(s: EbsSnapshot, prepared: EbsPrepared): boolean {
  if (s.state !== 'completed' || prepared.amiRefs.has(s.id)) return false;
  return !(BACKUP_TAG in s.tags || DLM_TAG in s.tags || SKIP_TAG in s.tags);
}

export const ebsSnapshotResource: ResourceType<EbsSnapshot, EbsPrepared> = {
  id: 'ebs-snapshot',
  title: 'EBS snapshot',
  permissions: ['ec2:DescribeSnapshots', 'ec2:DescribeSnapshotAttribute', 'ec2:DescribeImages', 'ec2:DescribeVolumes', 'rbin:ListRules', 'rbin:GetRule'],

  async prepare(ctx) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    // A run starts from a fresh read of the rules; its applies re-use it (recycle-bin.ts, RULES_TTL_MS).
    forgetRecycleBinRules(ctx);
    const [amiRefs, volumes, shared, recycleBin] = await Promise.all([amiReferences(ec2, ctx.now), existingVolumes(ec2), publicSnapshots(ec2), readRecycleBinRules(ctx)]);
    ctx.log('ebs-snapshot prepared', { region: ctx.region, amiMappedSnapshots: amiRefs.size, volumes: volumes.size, publicSnapshots: shared.size, recycleBinRules: recycleBin.rules.length });
    return { amiRefs, volumes, publicSnapshots: shared, publicConfirmed: new Map(), recycleBin };
  },

  // A sweep may stop after any page and go on from its cursor (the NextToken) in the next invocation.
  resumable: true,

  /**
   * What prepare() read goes into a split unit's saved state, so a resumed invocation reads none of
   * it again: the findings are those of one invocation, which also reads it once at the start of the
   * unit. A set grown stale in between never makes a write unsafe: delete-snapshot and
   * archive-snapshot re-read the snapshot, its protections and shares right before writing, read the
   * Recycle Bin rules afresh (a new invocation's cache is empty), and AWS refuses to delete or
   * archive a snapshot an AMI uses (InvalidSnapshot.InUse: recorded as protected). Volume ids are
   * never reused, so a volume read as gone cannot come back.
   */
  savePrepared(p) {
    return {
      amiRefs: [...p.amiRefs],
      volumes: [...p.volumes],
      publicSnapshots: [...p.publicSnapshots],
      publicConfirmed: [...(p.publicConfirmed ?? [])],
      recycleBin: p.recycleBin,
      counted: p.counted ?? { listed: 0, marked: 0 },
      ...(p.publicFilterIgnored ? { publicFilterIgnored: p.publicFilterIgnored } : {}),
    };
  },

  restorePrepared(ctx, saved) {
    const pairs = (key: string): [string, unknown][] => {
      const value = saved[key];
      if (!isSavedPairs(value)) throw new Error(`The saved ebs-snapshot preparation has no valid '${key}' (pairs of an id and a value); the unit was not resumed.`);
      return value as [string, unknown][];
    };
    const { recycleBin, counted, publicSnapshots } = saved as { recycleBin?: RecycleBinRules; counted?: EbsPrepared['counted']; publicSnapshots?: unknown };
    if (!recycleBin || !Array.isArray(recycleBin.rules)) throw new Error("The saved ebs-snapshot preparation has no valid 'recycleBin'; the unit was not resumed.");
    if (!Array.isArray(publicSnapshots) || !publicSnapshots.every((id) => typeof id === 'string')) throw new Error("The saved ebs-snapshot preparation has no valid 'publicSnapshots'; the unit was not resumed.");
    const prepared: EbsPrepared = {
      amiRefs: new Map(pairs('amiRefs') as [string, AmiRef[]][]),
      volumes: new Map(pairs('volumes') as [string, string][]),
      publicSnapshots: new Set(publicSnapshots),
      publicConfirmed: new Map(pairs('publicConfirmed') as [string, boolean][]),
      recycleBin,
      counted: { listed: Number(counted?.listed ?? 0), marked: Number(counted?.marked ?? 0) },
      ...(typeof saved.publicFilterIgnored === 'string' ? { publicFilterIgnored: saved.publicFilterIgnored } : {}),
    };
    ctx.log('ebs-snapshot preparation resumed from the checkpoint', { region: ctx.region, amiMappedSnapshots: prepared.amiRefs.size, volumes: prepared.volumes.size, publicSnapshots: prepared.publicSnapshots.size, recycleBinRules: recycleBin.rules.length });
    return prepared;
  },

  async *list(ctx, prepared, ids, from) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    // Counted in prepared, so a unit split over invocations judges the filter on its whole listing (savePrepared).
    const counted = prepared ? (prepared.counted ??= { listed: 0, marked: 0 }) : { listed: 0, marked: 0 };
    const count = (snapshots: EbsSnapshot[]) => {
      counted.listed += snapshots.length;
      counted.marked += snapshots.filter((s) => prepared?.publicSnapshots.has(s.id) || prepared?.publicConfirmed?.get(s.id) !== undefined).length;
    };
    if (ids?.length) {
      // Event-driven runs name the snapshots (a filter takes up to 200 values).
      for (const chunk of batches(ids, 200)) {
        for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize: PAGE_SIZE }, { OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: chunk }] })) {
          const snapshots = (page.Snapshots ?? []).filter((s) => s.SnapshotId).map(toEbsSnapshot);
          count(snapshots);
          if (snapshots.length) yield snapshots;
        }
      }
    } else {
      // Scheduled runs list them all, each page marked with where the listing goes on (lib/engine/checkpoint.ts).
      const fetch = async (token: string | undefined) => {
        const out = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) }));
        return { items: (out.Snapshots ?? []).filter((s) => s.SnapshotId).map(toEbsSnapshot), next: out.NextToken };
      };
      for await (const snapshots of resumablePages(fetch, from)) {
        count(snapshots);
        if (snapshots.length) yield snapshots;
      }
    }
    // The filtered listing returned the same set as the full one: AWS would not (public snapshots are the exception).
    const { listed, marked } = counted;
    if (!ids?.length && prepared && listed > 0 && marked === listed) {
      prepared.publicFilterIgnored = `DescribeSnapshots with RestorableByUserIds ['all'] returned all ${listed} snapshots: the endpoint seems to ignore the filter (LocalStack and moto do); trimtab confirmed each candidate with DescribeSnapshotAttribute instead`;
      ctx.log(`warning: ${prepared.publicFilterIgnored}`, { region: ctx.region });
    }
  },

  /**
   * Confirms the public mark of the snapshots a detector could act on (completed, not protected
   * anyway): one DescribeSnapshotAttribute per marked snapshot, never for unmarked ones.
   */
  async enrich(ctx, page, prepared, needs) {
    if (!needs.has(NEED_PUBLIC_CONFIRMATION) || !prepared.publicSnapshots.size) return page;
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const confirmed = (prepared.publicConfirmed ??= new Map());
    for (const s of page) {
      if (!prepared.publicSnapshots.has(s.id) || confirmed.has(s.id) || !couldBeActedOn(s, prepared)) continue;
      let isPublic: boolean;
      try {
        const out = await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: s.id, Attribute: 'createVolumePermission' }));
        isPublic = (out.CreateVolumePermissions ?? []).some((p) => p.Group === 'all');
      } catch (error) {
        if (awsErrorName(error) !== 'InvalidSnapshot.NotFound') throw error;
        isPublic = false; // deleted since it was listed
      }
      confirmed.set(s.id, isPublic);
      if (!isPublic) prepared.publicSnapshots.delete(s.id);
    }
    return page;
  },

  ref(s, ctx: RegionContext) {
    return { type: 'ebs-snapshot', id: s.id, arn: `arn:${partitionOf(ctx.region)}:ec2:${ctx.region}::snapshot/${s.id}`, account: ctx.account, region: ctx.region, tags: s.tags };
  },
};
