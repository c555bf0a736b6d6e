/**
 * Sandbox EC2: EBS snapshots (standard and archive tier, createVolumePermission, tags), volumes,
 * AMIs (available, disabled, deprecated) with block-device mappings, and the EC2 side of the
 * Recycle Bin. Shapes and error codes follow the recorded EC2 responses (see test/fixtures/ec2/)
 * and the EC2 API reference:
 * - DescribeSnapshots / DescribeVolumes / DescribeImages: MaxResults 5..1000 (all results when omitted),
 *   NextToken; DescribeImages hides disabled AMIs unless IncludeDisabled, and deprecated AMIs
 *   unless IncludeDeprecated or the caller owns them.
 * - DeleteSnapshot: InvalidSnapshot.NotFound, InvalidSnapshot.InUse while any AMI (disabled too)
 *   maps the snapshot; a Recycle Bin rule that matches (see rbin.ts) keeps it recoverable.
 * - Snapshot time (lazily, from timestamps in the state; see settleSnapshot and SNAPSHOT_TIMES):
 *   archival-in-progress (tier still standard) → archived; tier restores in progress; a deleted
 *   snapshot still listed, and its Recycle Bin entry not yet listed, for timing.consistencyMs; a
 *   snapshot restored from the Recycle Bin hidden for consistencyMs, then `recovering`.
 */
import { awsError, currentPageCap, paginate, tagList, type AccountState, type OperationEnv, type Sandbox, type SandboxService } from '../sandbox.ts';
import { rbinState, ruleCovers } from './rbin.ts';
import { decodePosition, encodePosition, generatedIndex, listGenerated, lookupGenerated, type GeneratedSnapshots } from './ec2-generated.ts';
import type { SandboxSnapshot } from './ec2-snapshot.ts';

export type { SandboxSnapshot } from './ec2-snapshot.ts';

export interface SandboxVolume {
  id: string;
  sizeGb: number;
  volumeType: string;
  state: 'available' | 'in-use' | 'creating' | 'deleting';
  createTime: string;
  availabilityZone: string;
  snapshotId?: string;
  tags?: Record<string, string>;
  /** Provisioned IOPS / throughput (MiB/s) where the type has them (gp3, io1, io2; gp2 reports its baseline IOPS). */
  iops?: number;
  throughput?: number;
  /** Instances the volume is attached to (in-use volumes). */
  attachments?: Array<{ instanceId: string; device: string; attachTime: string; deleteOnTermination?: boolean }>;
  /** ISO time a 'creating' volume becomes 'available' or a 'deleting' one is gone (settled lazily on reads). */
  until?: string;
}

/**
 * The volume as reads see it at `now`: a 'creating' volume past its time is 'available', a
 * 'deleting' one past its time is gone (removed). Lazy, from stored timestamps, so the state
 * survives a save between CLI runs.
 */
export function settleVolume(state: Ec2State, id: string, now: Date): SandboxVolume | undefined {
  const v = state.volumes[id];
  if (!v?.until || Date.parse(v.until) > now.getTime()) return v;
  if (v.state === 'deleting') {
    delete state.volumes[id];
    return undefined;
  }
  if (v.state === 'creating') v.state = 'available';
  delete v.until;
  return v;
}

/** A snapshot reads cannot see yet (EC2 eventual consistency after CreateSnapshot). */

export interface SandboxImage {
  id: string;
  name: string;
  state: 'available' | 'disabled' | 'pending' | 'failed';
  creationDate: string;
  deprecationTime?: string;
  /** Owner account; defaults to the sandbox account. */
  ownerId?: string;
  snapshotIds: string[];
  tags?: Record<string, string>;
  /** DescribeImages PlatformDetails (the AMI's billing product); default 'Linux/UNIX'. */
  platformDetails?: string;
}

/** Amazon's public AMIs every account can read (DescribeImages by ImageIds or Owners amazon): what the sandbox's launch templates and configurations name. */
export const AMAZON_OWNER_ID = '137112412989';
export const PUBLIC_IMAGES: Record<string, SandboxImage> = {
  'ami-0abcdef1234567890': { id: 'ami-0abcdef1234567890', name: 'al2023-ami-2023.6-x86_64', state: 'available', creationDate: '2025-10-01T00:00:00.000Z', ownerId: AMAZON_OWNER_ID, snapshotIds: [], platformDetails: 'Linux/UNIX' },
  'ami-0c0ffee0000057d01': { id: 'ami-0c0ffee0000057d01', name: 'Windows_Server-2022-English-Full-Base', state: 'available', creationDate: '2025-10-01T00:00:00.000Z', ownerId: AMAZON_OWNER_ID, snapshotIds: [], platformDetails: 'Windows' },
  'ami-0c0ffee00000be1d1': { id: 'ami-0c0ffee00000be1d1', name: 'RHEL-9.4.0_HVM-x86_64', state: 'available', creationDate: '2025-10-01T00:00:00.000Z', ownerId: AMAZON_OWNER_ID, snapshotIds: [], platformDetails: 'Red Hat Enterprise Linux' },
};

export interface RecycledSnapshot {
  snapshot: SandboxSnapshot;
  enterTime: string;
  exitTime: string;
  /** Eventual consistency: ListSnapshotsInRecycleBin shows it from this ISO time. */
  visibleAt?: string;
}

export interface Ec2State {
  snapshots: Record<string, SandboxSnapshot>;
  volumes: Record<string, SandboxVolume>;
  images: Record<string, SandboxImage>;
  recycleBin: Record<string, RecycledSnapshot>;
  /** Snapshots just deleted: reads still see them until `until` (eventual consistency). */
  lingering?: Record<string, { snapshot: SandboxSnapshot; until: string }>;
  /** A procedurally generated inventory (bench cases): snapshots derived on demand, never all held (ec2-generated.ts). */
  generated?: GeneratedSnapshots;
  /** Mimic LocalStack and moto: DescribeSnapshots ignores the RestorableByUserIds filter (see mimicEmulatorSnapshots). */
  ignoresRestorableByFilter?: boolean;
}

/**
 * AWS-like durations of snapshot states (scaled by sandbox.timing.scale). AWS documents none of
 * them exactly: archiving and restores "can take up to 72 hours" (EBS User Guide, snapshot
 * archive); the times below are assumptions of that order.
 */
export const SNAPSHOT_TIMES = { archivalMs: 6 * 3_600_000, permanentRestoreMs: 24 * 3_600_000, temporaryRestoreMs: 12 * 3_600_000, recoveringMs: 5 * 60_000 };

/** Make DescribeSnapshots ignore RestorableByUserIds in this account and region, as LocalStack and moto do. */
export function mimicEmulatorSnapshots(sandbox: Sandbox, account: AccountState, region: string, on = true) {
  ec2State(sandbox, account, region).ignoresRestorableByFilter = on;
}

const isoAfter = (now: Date, ms: number) => new Date(now.getTime() + ms).toISOString();
const reached = (iso: string | undefined, now: Date) => iso !== undefined && Date.parse(iso) <= now.getTime();

/** Moves a snapshot through its timed states (recovering → completed, archival/restore in progress → done) as of `now`. */
export function settleSnapshot(s: SandboxSnapshot, now: Date): SandboxSnapshot {
  if (s.state === 'recovering' && (s.recoveringUntil === undefined || reached(s.recoveringUntil, now))) (s.state = 'completed'), delete s.recoveringUntil;
  if (reached(s.visibleAt, now)) delete s.visibleAt;
  if (s.tieringCompletesAt && reached(s.tieringCompletesAt, now)) {
    delete s.tieringCompletesAt;
    if (s.lastTieringOperation === 'archival-in-progress') {
      s.storageTier = 'archive';
      s.lastTieringOperation = 'archival-completed';
      // AWS: "snapshot sharing [is] automatically disabled after the snapshot is archived".
      s.createVolumePermissions = [];
    } else if (s.lastTieringOperation === 'permanent-restore-in-progress') {
      s.storageTier = 'standard';
      s.lastTieringOperation = 'permanent-restore-completed';
    } else if (s.lastTieringOperation === 'temporary-restore-in-progress') {
      s.lastTieringOperation = 'temporary-restore-completed';
    }
  }
  return s;
}

/** Hidden from reads right after a restore from the Recycle Bin (AWS: eventual consistency). */
const hidden = (s: SandboxSnapshot, now: Date) => s.visibleAt !== undefined && !reached(s.visibleAt, now);

export const ec2State = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<Ec2State>(account, region, 'ec2', () => ({ snapshots: {}, volumes: {}, images: {}, recycleBin: {} }));

const stateOf = (env: OperationEnv) => ec2State(env.sandbox, env.account, env.region);

const PAGE = { defaultMax: Number.MAX_SAFE_INTEGER, maxMax: 1000, minMax: 5 };

/** EC2 paginates only when MaxResults is given; without it every result comes back at once. */
function page<T>(items: T[], input: { MaxResults?: number; NextToken?: string }, operation: string) {
  if (input.MaxResults === undefined && !input.NextToken) return { page: items, nextToken: undefined };
  return paginate(items, { token: input.NextToken, max: input.MaxResults ?? 1000 }, { ...PAGE, operation, invalidTokenCode: 'InvalidParameterValue' });
}

export type Filter = { Name?: string; Values?: string[] };

/** Values one EC2 filter takes (more: FilterLimitExceeded). */
export const MAX_FILTER_VALUES = 200;

/** The EC2 `Filters` this sandbox understands; an unknown filter name is an error, as in EC2. */
export function matchesFilters(filters: Filter[] | undefined, fields: Record<string, string | undefined>, tags: Record<string, string> | undefined): boolean {
  for (const f of filters ?? []) {
    const name = f.Name ?? '';
    const values = f.Values ?? [];
    if (name === 'tag-key') {
      if (!values.some((v) => tags && v in tags)) return false;
    } else if (name.startsWith('tag:')) {
      const value = tags?.[name.slice(4)];
      if (value === undefined || !values.includes(value)) return false;
    } else if (name in fields) {
      if (!values.includes(fields[name] ?? '')) return false;
    } else {
      throw awsError('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
  }
  return true;
}

/** A snapshot by id, explicit or generated (read only: a generated one is a fresh copy). */
export const snapshotById = (state: Ec2State, id: string): SandboxSnapshot | undefined => lookupGenerated(state.generated, state.snapshots, id);

/** A snapshot an operation is about to change: a generated one is materialised into state.snapshots first, so the change persists. */
export function snapshotForUpdate(state: Ec2State, id: string): SandboxSnapshot | undefined {
  const s = snapshotById(state, id);
  if (s && !state.snapshots[id]) state.snapshots[id] = s;
  return s;
}

const snapshotNotFound = (id: string) => awsError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);

function snapshotOut(s: SandboxSnapshot, ownerId: string) {
  return {
    Description: s.description ?? '',
    Encrypted: Boolean(s.encrypted),
    OwnerId: ownerId,
    Progress: s.state === 'completed' || s.state === 'recovering' ? '100%' : '42%',
    SnapshotId: s.id,
    StartTime: new Date(s.startTime),
    State: s.state,
    VolumeId: s.volumeId,
    VolumeSize: s.volumeSizeGb,
    StorageTier: s.storageTier,
    ...(s.fullSizeBytes !== undefined ? { FullSnapshotSizeInBytes: s.fullSizeBytes } : {}),
    ...(s.tags && Object.keys(s.tags).length ? { Tags: tagList(s.tags) } : {}),
  };
}

/** The AMIs (any state) that map a snapshot: what makes DeleteSnapshot fail with InUse. */
export const imagesUsing = (state: Ec2State, snapshotId: string) => Object.values(state.images).filter((i) => i.snapshotIds.includes(snapshotId));

function purgeExpired(state: Ec2State, now: Date) {
  for (const [id, entry] of Object.entries(state.recycleBin)) if (Date.parse(entry.exitTime) <= now.getTime()) delete state.recycleBin[id];
}

function taggable(state: Ec2State, id: string, now?: Date): { tags?: Record<string, string> } {
  const snapshot = snapshotForUpdate(state, id);
  const item = (snapshot && now && hidden(snapshot, now) ? undefined : snapshot) ?? state.volumes[id] ?? state.images[id];
  if (!item) {
    const kind = id.startsWith('vol-') ? 'InvalidVolume.NotFound' : id.startsWith('ami-') ? 'InvalidAMIID.NotFound' : 'InvalidSnapshot.NotFound';
    throw awsError(kind, `The ${id.split('-')[0] === 'vol' ? 'volume' : id.startsWith('ami-') ? 'image' : 'snapshot'} '${id}' does not exist.`);
  }
  return item;
}

/**
 * Object.values over 100,000 snapshots costs ~200 ms, so a paginated listing takes its list once,
 * at the first page, and follows it with the token (a cursor: like AWS, a listing in progress
 * does not have to see changes made after it started).
 */
const cursors = new WeakMap<Ec2State, { token: string; items: SandboxSnapshot[] }>();
function listingCursor(state: Ec2State, input: { NextToken?: string }): SandboxSnapshot[] {
  const cursor = cursors.get(state);
  if (input.NextToken && cursor?.token === input.NextToken) return cursor.items;
  return Object.values(state.snapshots);
}

/**
 * DescribeSnapshots (no SnapshotIds) over a generated inventory: the page is built from the
 * generator, filters applied as it walks, the position carried in NextToken. Same rules as the
 * explicit listing: MaxResults 5..1000, everything at once without it.
 */
function describeGenerated(state: Ec2State, gen: GeneratedSnapshots, input: any, env: OperationEnv, lingering: (id: string) => SandboxSnapshot | undefined) {
  const now = env.now;
  const paged = input.MaxResults !== undefined || Boolean(input.NextToken);
  const max = input.MaxResults ?? (paged ? 1000 : Number.MAX_SAFE_INTEGER);
  if (paged && (max > PAGE.maxMax || max < PAGE.minMax)) {
    throw awsError('InvalidParameterValue', `DescribeSnapshots: the page size ${max} is out of range (${PAGE.minMax} to ${PAGE.maxMax}).`);
  }
  const position = input.NextToken ? decodePosition(input.NextToken) : 0;
  if (position === undefined) throw awsError('InvalidParameterValue', 'DescribeSnapshots: the pagination token is invalid.');
  const cap = currentPageCap();
  const timed = env.sandbox.timing.scale > 0 || env.sandbox.timing.consistencyMs > 0;
  const restorable: string[] | undefined = input.RestorableByUserIds?.length && !state.ignoresRestorableByFilter ? input.RestorableByUserIds : undefined;
  const keep = (s: SandboxSnapshot) =>
    (!timed || !hidden(settleSnapshot(s, now), now)) &&
    (!restorable || (s.createVolumePermissions ?? []).some((p) => (p.group === 'all' && restorable.includes('all')) || (p.userId && restorable.includes(p.userId)))) &&
    (!input.Filters?.length ||
      matchesFilters(input.Filters, { 'snapshot-id': s.id, 'volume-id': s.volumeId, status: s.state, 'storage-tier': s.storageTier, 'owner-id': env.account.id }, s.tags));
  // No generated snapshot is shared; a materialised one might have been since.
  const skipGenerated = Boolean(restorable) && !Object.values(state.snapshots).some((s) => generatedIndex(gen, s.id) !== undefined && s.createVolumePermissions?.length);
  const { items, next } = listGenerated(gen, state.snapshots, position, cap ? Math.min(max, cap) : max, keep, skipGenerated, timed ? lingering : undefined);
  return { Snapshots: items.map((s) => snapshotOut(s, env.account.id)), NextToken: next !== undefined ? encodePosition(next) : undefined };
}

export const ec2Service: SandboxService = {
  id: 'ec2',
  operations: {
    DescribeSnapshots(input, env) {
      const state = stateOf(env);
      const owners: string[] | undefined = input.OwnerIds;
      if (owners && !owners.some((o) => o === 'self' || o === env.account.id)) return { Snapshots: [] };
      if (input.SnapshotIds?.length && input.MaxResults !== undefined) {
        throw awsError('InvalidParameterCombination', 'The parameter snapshotSet cannot be used with the parameter maxResults');
      }
      let items: SandboxSnapshot[];
      const now = env.now;
      const lingering = (id: string) => (state.lingering?.[id] && !reached(state.lingering[id].until, now) ? state.lingering[id].snapshot : undefined);
      if (input.SnapshotIds?.length) {
        items = (input.SnapshotIds as string[]).map((id) => {
          const s = snapshotById(state, id);
          if (s && !hidden(settleSnapshot(s, now), now)) return s;
          return lingering(id) ?? (() => { throw snapshotNotFound(id); })();
        });
        // A snapshot being taken completes after a few reads naming it (AWS: minutes to hours).
        for (const s of items) if (s.state === 'pending' && s.pollsUntilCompleted !== undefined && --s.pollsUntilCompleted <= 0) (s.state = 'completed'), delete s.pollsUntilCompleted;
      } else if (state.generated) {
        return describeGenerated(state, state.generated, input, env, lingering);
      } else {
        items = listingCursor(state, input);
        // Timed states only matter when the sandbox models time; the kind sandbox skips this pass (100,000-snapshot bench).
        // The first page fixes the listing; the cursor carries it to the next pages.
        if (!input.NextToken && (env.sandbox.timing.scale > 0 || env.sandbox.timing.consistencyMs > 0)) {
          items = [...items.filter((s) => !hidden(settleSnapshot(s, now), now)), ...Object.keys(state.lingering ?? {}).flatMap((id) => lingering(id) ?? [])];
        }
      }
      const listing = items;
      const restorable: string[] | undefined = input.RestorableByUserIds;
      if (restorable?.length && !state.ignoresRestorableByFilter) {
        items = items.filter((s) => (s.createVolumePermissions ?? []).some((p) => (p.group === 'all' && restorable.includes('all')) || (p.userId && restorable.includes(p.userId))));
      }
      // Only filter when asked: the benchmark lists 100,000 snapshots a page at a time.
      if (input.Filters?.length) {
        items = items.filter((s) =>
          matchesFilters(input.Filters, { 'snapshot-id': s.id, 'volume-id': s.volumeId, status: s.state, 'storage-tier': s.storageTier, 'owner-id': env.account.id }, s.tags),
        );
      }
      const { page: out, nextToken } = page(items, input, 'DescribeSnapshots');
      if (nextToken && !input.SnapshotIds?.length) cursors.set(state, { token: nextToken, items: listing });
      return { Snapshots: out.map((s) => snapshotOut(s, env.account.id)), NextToken: nextToken };
    },

    DescribeSnapshotAttribute(input, env) {
      const s = snapshotById(stateOf(env), input.SnapshotId);
      if (!s || hidden(s, env.now)) throw snapshotNotFound(input.SnapshotId);
      if (input.Attribute === 'createVolumePermission') {
        return { SnapshotId: s.id, CreateVolumePermissions: (s.createVolumePermissions ?? []).map((p) => (p.group ? { Group: p.group } : { UserId: p.userId })) };
      }
      if (input.Attribute === 'productCodes') return { SnapshotId: s.id, ProductCodes: [] };
      throw awsError('InvalidParameterValue', `Value (${input.Attribute}) for parameter attribute is invalid.`);
    },

    DescribeSnapshotTierStatus(input, env) {
      const state = stateOf(env);
      const items = Object.values(state.snapshots).filter((s) => s.lastTieringOperation && (settleSnapshot(s, env.now), true) && matchesFilters(input.Filters, { 'snapshot-id': s.id, 'volume-id': s.volumeId }, s.tags));
      const { page: out, nextToken } = page(items, input, 'DescribeSnapshotTierStatus');
      return {
        SnapshotTierStatuses: out.map((s) => ({
          SnapshotId: s.id,
          VolumeId: s.volumeId,
          Status: s.state,
          OwnerId: env.account.id,
          StorageTier: s.storageTier,
          LastTieringStartTime: s.tieringStartTime ? new Date(s.tieringStartTime) : undefined,
          LastTieringOperationStatus: s.lastTieringOperation,
          ...(s.lastTieringOperation === 'archival-completed' && s.tieringCompletesAt === undefined && s.tieringStartTime ? { ArchivalCompleteTime: new Date(Date.parse(s.tieringStartTime) + env.sandbox.duration(SNAPSHOT_TIMES.archivalMs)) } : {}),
          ...(s.restoreExpiryTime ? { RestoreExpiryTime: new Date(s.restoreExpiryTime) } : {}),
          ...(s.tags ? { Tags: tagList(s.tags) } : {}),
        })),
        NextToken: nextToken,
      };
    },

    DescribeVolumes(input, env) {
      // VolumeIds cannot be paged (MaxResults: "You cannot specify this parameter and the volume IDs parameter in the same request").
      if (input.VolumeIds?.length && input.MaxResults !== undefined) throw awsError('InvalidParameterCombination', 'The parameter volumeSet cannot be used with the parameter maxResults');
      const tooMany = (input.Filters as Filter[] | undefined)?.find((f) => (f.Values?.length ?? 0) > MAX_FILTER_VALUES);
      if (tooMany) throw awsError('FilterLimitExceeded', `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`);
      const state = stateOf(env);
      let items: SandboxVolume[];
      if (input.VolumeIds?.length) {
        items = (input.VolumeIds as string[]).map(
          (id) => settleVolume(state, id, env.now) ?? (() => { throw awsError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`); })(),
        );
      } else items = Object.keys(state.volumes).map((id) => settleVolume(state, id, env.now)).filter((v): v is SandboxVolume => v !== undefined);
      items = items.filter((v) => matchesFilters(input.Filters, { 'volume-id': v.id, status: v.state, 'volume-type': v.volumeType, 'snapshot-id': v.snapshotId }, v.tags));
      const { page: out, nextToken } = page(items, input, 'DescribeVolumes');
      return {
        Volumes: out.map((v) => ({
          Attachments: (v.attachments ?? []).map((a) => ({ AttachTime: new Date(a.attachTime), Device: a.device, InstanceId: a.instanceId, State: 'attached', VolumeId: v.id, DeleteOnTermination: Boolean(a.deleteOnTermination) })),
          ...(v.iops !== undefined ? { Iops: v.iops } : {}),
          ...(v.throughput !== undefined ? { Throughput: v.throughput } : {}),
          AvailabilityZone: v.availabilityZone,
          CreateTime: new Date(v.createTime),
          Encrypted: false,
          Size: v.sizeGb,
          SnapshotId: v.snapshotId ?? '',
          State: v.state,
          VolumeId: v.id,
          VolumeType: v.volumeType,
          MultiAttachEnabled: false,
          ...(v.tags && Object.keys(v.tags).length ? { Tags: tagList(v.tags) } : {}),
        })),
        NextToken: nextToken,
      };
    },

    DescribeImages(input, env) {
      const state = stateOf(env);
      const owners: string[] | undefined = input.Owners;
      if (input.ImageIds?.length && input.MaxResults !== undefined) {
        throw awsError('InvalidParameterCombination', 'The parameter ImageIds cannot be used with the parameter MaxResults');
      }
      const mine = (i: SandboxImage) => (i.ownerId ?? env.account.id) === env.account.id;
      // Amazon's public AMIs join the answer when asked for by id or by Owners amazon (the sandbox lists no other public image).
      const publicToo = Boolean(input.ImageIds?.length) || Boolean(owners?.some((o) => o === 'amazon' || o === AMAZON_OWNER_ID));
      const pool = publicToo ? [...Object.values(state.images), ...Object.values(PUBLIC_IMAGES).filter((p) => !state.images[p.id])] : Object.values(state.images);
      // An id that is not an AMI id (e.g. a launch template's `resolve:ssm:<parameter>` ImageId read without
      // ResolveAlias) fails the whole call (EC2 API: InvalidAMIID.Malformed).
      const malformed = (input.ImageIds ?? []).find((id: string) => !/^ami-[0-9a-f]+$/.test(id));
      if (malformed !== undefined) throw awsError('InvalidAMIID.Malformed', `Invalid id: "${malformed}" (expecting "ami-...")`);
      // A well-formed id of an AMI that does not exist fails the whole call (EC2 API: InvalidAMIID.NotFound).
      const missing = (input.ImageIds ?? []).filter((id: string) => !pool.some((i) => i.id === id));
      if (missing.length) throw awsError('InvalidAMIID.NotFound', `The image id '[${missing.join(', ')}]' does not exist`);
      const items = pool.filter((i) => {
        if (owners && !owners.some((o) => (o === 'self' ? mine(i) : o === 'amazon' ? i.ownerId === AMAZON_OWNER_ID : (i.ownerId ?? env.account.id) === o))) return false;
        if (input.ImageIds?.length && !input.ImageIds.includes(i.id)) return false;
        // Disabled AMIs are hidden unless asked for, even from their owner.
        if (i.state === 'disabled' && !input.IncludeDisabled) return false;
        // Deprecated AMIs are hidden from others unless asked for; owners always see theirs.
        if (i.deprecationTime && Date.parse(i.deprecationTime) <= env.now.getTime() && !input.IncludeDeprecated && !mine(i)) return false;
        return matchesFilters(input.Filters, { 'image-id': i.id, state: i.state, name: i.name }, i.tags);
      });
      const { page: out, nextToken } = page(items, input, 'DescribeImages');
      return {
        Images: out.map((i) => ({
          ImageId: i.id,
          Name: i.name,
          OwnerId: i.ownerId ?? env.account.id,
          State: i.state,
          CreationDate: i.creationDate,
          ...(i.deprecationTime ? { DeprecationTime: i.deprecationTime } : {}),
          ImageType: 'machine',
          Public: false,
          RootDeviceName: '/dev/xvda',
          RootDeviceType: 'ebs',
          VirtualizationType: 'hvm',
          PlatformDetails: i.platformDetails ?? 'Linux/UNIX',
          ...(i.platformDetails === 'Windows' ? { Platform: 'windows' } : {}),
          BlockDeviceMappings: i.snapshotIds.map((snap, n) => ({
            DeviceName: n === 0 ? '/dev/xvda' : `/dev/xvd${String.fromCharCode(98 + n)}`,
            Ebs: { DeleteOnTermination: true, SnapshotId: snap, VolumeSize: state.snapshots[snap]?.volumeSizeGb ?? 8, VolumeType: 'gp3', Encrypted: false },
          })),
          ...(i.tags ? { Tags: tagList(i.tags) } : {}),
        })),
        NextToken: nextToken,
      };
    },

    CreateTags(input, env) {
      const state = stateOf(env);
      const targets = (input.Resources as string[]).map((id) => taggable(state, id, env.now));
      const added = Object.fromEntries((input.Tags ?? []).map((x: any) => [x.Key, x.Value ?? '']));
      // "Each resource can have a maximum of 50 tags" (client-ec2 CreateTagsCommand.d.ts): nothing is tagged then.
      const over = (input.Resources as string[]).find((_, i) => Object.keys({ ...targets[i].tags, ...added }).length > 50);
      if (over) throw awsError('TagLimitExceeded', `The maximum number of tags for resource '${over}' has been reached (50).`);
      for (const t of targets) t.tags = { ...t.tags, ...added };
      return {};
    },

    DeleteTags(input, env) {
      const state = stateOf(env);
      for (const id of input.Resources as string[]) {
        const t = taggable(state, id, env.now);
        for (const tag of input.Tags ?? []) {
          if (t.tags && tag.Key in t.tags && (tag.Value === undefined || t.tags[tag.Key] === tag.Value)) delete t.tags[tag.Key];
        }
      }
      return {};
    },

    DeleteSnapshot(input, env) {
      const state = stateOf(env);
      const s = snapshotForUpdate(state, input.SnapshotId);
      if (!s || hidden(s, env.now)) throw snapshotNotFound(input.SnapshotId);
      const using = imagesUsing(state, s.id);
      if (using.length) throw awsError('InvalidSnapshot.InUse', `The snapshot ${s.id} is currently in use by ${using[0].id}`);
      delete state.snapshots[s.id];
      if (state.generated && generatedIndex(state.generated, s.id) !== undefined) state.generated.deleted[s.id] = true;
      const consistency = env.sandbox.timing.consistencyMs;
      // Reads keep seeing the snapshot for a while (EC2 eventual consistency).
      for (const [id, gone] of Object.entries(state.lingering ?? {})) if (reached(gone.until, env.now)) delete state.lingering![id];
      if (consistency > 0) (state.lingering ??= {})[s.id] = { snapshot: structuredClone(s), until: isoAfter(env.now, consistency) };
      // The longest retention of every rule that matches applies ("Recycle Bin retains the resource for the longest retention period").
      const rules = Object.values(rbinState(env.sandbox, env.account, env.region).rules).filter((r) => ruleCovers(r, 'EBS_SNAPSHOT', s.tags ?? {}, env.now));
      const days = Math.max(0, ...rules.map((r) => r.retentionPeriod.RetentionPeriodValue));
      if (days > 0) {
        state.recycleBin[s.id] = { snapshot: s, enterTime: env.now.toISOString(), exitTime: isoAfter(env.now, days * 86_400_000), ...(consistency > 0 ? { visibleAt: isoAfter(env.now, consistency) } : {}) };
      }
      return {};
    },

    ModifySnapshotTier(input, env) {
      const state = stateOf(env);
      const s = snapshotForUpdate(state, input.SnapshotId);
      if (!s || hidden(s, env.now)) throw snapshotNotFound(input.SnapshotId);
      settleSnapshot(s, env.now);
      if (s.state !== 'completed') throw awsError('IncorrectState', `The snapshot '${s.id}' is not in the 'completed' state.`);
      if (s.storageTier === 'archive') throw awsError('IncorrectState', `The snapshot '${s.id}' is already archived.`);
      if (s.lastTieringOperation === 'archival-in-progress') throw awsError('IncorrectState', `The snapshot '${s.id}' is already being archived.`);
      // AWS: "If the snapshot is associated with one or more AMIs, then you must first disable those associated AMIs".
      const enabled = imagesUsing(state, s.id).filter((i) => i.state !== 'disabled');
      if (enabled.length) throw awsError('InvalidSnapshot.InUse', `The snapshot ${s.id} is associated with ${enabled[0].id}; disable the AMI before archiving the snapshot.`);
      // AWS takes hours: the snapshot stays 'standard' (usable) with archival-in-progress until it completes.
      const ms = env.sandbox.duration(SNAPSHOT_TIMES.archivalMs);
      s.tieringStartTime = env.now.toISOString();
      s.lastTieringOperation = 'archival-in-progress';
      s.tieringCompletesAt = isoAfter(env.now, ms);
      settleSnapshot(s, env.now);
      return { SnapshotId: s.id, TieringStartTime: env.now };
    },

    RestoreSnapshotTier(input, env) {
      const s = snapshotForUpdate(stateOf(env), input.SnapshotId);
      if (!s || hidden(s, env.now)) throw snapshotNotFound(input.SnapshotId);
      settleSnapshot(s, env.now);
      if (s.storageTier !== 'archive') throw awsError('IncorrectState', `The snapshot '${s.id}' is not archived.`);
      if (s.tieringCompletesAt) throw awsError('IncorrectState', `The snapshot '${s.id}' has a tiering operation in progress (${s.lastTieringOperation}).`);
      const permanent = Boolean(input.PermanentRestore);
      if (!permanent && !input.TemporaryRestoreDays) throw awsError('InvalidParameterCombination', 'Specify TemporaryRestoreDays for a temporary restore, or PermanentRestore.');
      s.lastTieringOperation = permanent ? 'permanent-restore-in-progress' : 'temporary-restore-in-progress';
      s.tieringStartTime = env.now.toISOString();
      s.tieringCompletesAt = isoAfter(env.now, env.sandbox.duration(permanent ? SNAPSHOT_TIMES.permanentRestoreMs : SNAPSHOT_TIMES.temporaryRestoreMs));
      if (!permanent) s.restoreExpiryTime = isoAfter(env.now, input.TemporaryRestoreDays * 86_400_000);
      else delete s.restoreExpiryTime;
      settleSnapshot(s, env.now);
      return { SnapshotId: s.id, RestoreStartTime: env.now, IsPermanentRestore: permanent, ...(input.TemporaryRestoreDays ? { RestoreDuration: input.TemporaryRestoreDays } : {}) };
    },

    ListSnapshotsInRecycleBin(input, env) {
      const state = stateOf(env);
      purgeExpired(state, env.now);
      let items = Object.values(state.recycleBin).filter((e) => !e.visibleAt || reached(e.visibleAt, env.now));
      if (input.SnapshotIds?.length) items = items.filter((e) => input.SnapshotIds.includes(e.snapshot.id));
      const { page: out, nextToken } = page(items, input, 'ListSnapshotsInRecycleBin');
      return {
        Snapshots: out.map((e) => ({
          SnapshotId: e.snapshot.id,
          RecycleBinEnterTime: new Date(e.enterTime),
          RecycleBinExitTime: new Date(e.exitTime),
          Description: e.snapshot.description ?? '',
          VolumeId: e.snapshot.volumeId,
        })),
        NextToken: nextToken,
      };
    },

    RestoreSnapshotFromRecycleBin(input, env) {
      const state = stateOf(env);
      purgeExpired(state, env.now);
      const entry = state.recycleBin[input.SnapshotId];
      if (!entry) throw snapshotNotFound(input.SnapshotId);
      delete state.recycleBin[input.SnapshotId];
      // Same id, tags kept. AWS shows 'recovering' for a while, and reads and tag writes right
      // after the restore may not find the snapshot yet (eventual consistency).
      const s = entry.snapshot;
      const recovering = env.sandbox.duration(SNAPSHOT_TIMES.recoveringMs);
      const consistency = env.sandbox.timing.consistencyMs;
      if (recovering > 0) (s.state = 'recovering'), (s.recoveringUntil = isoAfter(env.now, recovering));
      if (consistency > 0) s.visibleAt = isoAfter(env.now, consistency);
      state.snapshots[s.id] = s;
      if (state.generated) delete state.generated.deleted[s.id];
      return { SnapshotId: s.id, OutpostArn: undefined, Description: s.description ?? '', Encrypted: Boolean(s.encrypted), OwnerId: env.account.id, Progress: '100%', StartTime: new Date(s.startTime), State: 'recovering', VolumeId: s.volumeId, VolumeSize: s.volumeSizeGb };
    },
  },
};
