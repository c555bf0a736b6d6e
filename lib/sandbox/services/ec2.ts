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
 */
import { awsError, paginate, tagList, type AccountState, type OperationEnv, type Sandbox, type SandboxService } from '../sandbox.ts';
import { rbinState, ruleCovers } from './rbin.ts';

export interface SandboxSnapshot {
  id: string;
  volumeId: string;
  /** ISO time. */
  startTime: string;
  volumeSizeGb: number;
  /** Bytes written to the volume when the snapshot was taken (FullSnapshotSizeInBytes). */
  fullSizeBytes?: number;
  state: 'pending' | 'completed' | 'error';
  storageTier: 'standard' | 'archive';
  description?: string;
  encrypted?: boolean;
  tags?: Record<string, string>;
  /** createVolumePermission: { group: 'all' } (public) or { userId } (shared with an account). */
  createVolumePermissions?: Array<{ group?: 'all'; userId?: string }>;
  tieringStartTime?: string;
  lastTieringOperation?: string;
  /** A snapshot being taken (CreateSnapshot): DescribeSnapshots calls naming it before it completes. */
  pollsUntilCompleted?: number;
  /** EC2 eventual consistency: until this ISO time reads do not see the new snapshot (InvalidSnapshot.NotFound). */
  hiddenUntil?: string;
}

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
const hidden = (s: SandboxSnapshot, now: Date) => s.hiddenUntil !== undefined && Date.parse(s.hiddenUntil) > now.getTime();

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
}

export interface RecycledSnapshot {
  snapshot: SandboxSnapshot;
  enterTime: string;
  exitTime: string;
}

export interface Ec2State {
  snapshots: Record<string, SandboxSnapshot>;
  volumes: Record<string, SandboxVolume>;
  images: Record<string, SandboxImage>;
  recycleBin: Record<string, RecycledSnapshot>;
}

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

const snapshotNotFound = (id: string) => awsError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);

function snapshotOut(s: SandboxSnapshot, ownerId: string) {
  return {
    Description: s.description ?? '',
    Encrypted: Boolean(s.encrypted),
    OwnerId: ownerId,
    Progress: s.state === 'completed' ? '100%' : '42%',
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

function taggable(state: Ec2State, id: string): { tags?: Record<string, string> } {
  const item = state.snapshots[id] ?? state.volumes[id] ?? state.images[id];
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
      if (input.SnapshotIds?.length) {
        items = (input.SnapshotIds as string[]).map((id) => (state.snapshots[id] && !hidden(state.snapshots[id], env.now) ? state.snapshots[id] : (() => { throw snapshotNotFound(id); })()));
        // A snapshot being taken completes after a few reads naming it (AWS: minutes to hours).
        for (const s of items) if (s.state === 'pending' && s.pollsUntilCompleted !== undefined && --s.pollsUntilCompleted <= 0) (s.state = 'completed'), delete s.pollsUntilCompleted;
      } else {
        items = listingCursor(state, input);
        if (items.some((s) => s.hiddenUntil)) items = items.filter((s) => !hidden(s, env.now));
      }
      const restorable: string[] | undefined = input.RestorableByUserIds;
      if (restorable?.length) {
        items = items.filter((s) => (s.createVolumePermissions ?? []).some((p) => (p.group === 'all' && restorable.includes('all')) || (p.userId && restorable.includes(p.userId))));
      }
      // Only filter when asked: the benchmark lists 100,000 snapshots a page at a time.
      if (input.Filters?.length) {
        items = items.filter((s) =>
          matchesFilters(input.Filters, { 'snapshot-id': s.id, 'volume-id': s.volumeId, status: s.state, 'storage-tier': s.storageTier, 'owner-id': env.account.id }, s.tags),
        );
      }
      const { page: out, nextToken } = page(items, input, 'DescribeSnapshots');
      if (nextToken && !input.SnapshotIds?.length) cursors.set(state, { token: nextToken, items: listingCursor(state, input) });
      return { Snapshots: out.map((s) => snapshotOut(s, env.account.id)), NextToken: nextToken };
    },

    DescribeSnapshotAttribute(input, env) {
      const s = stateOf(env).snapshots[input.SnapshotId];
      if (!s) throw snapshotNotFound(input.SnapshotId);
      if (input.Attribute === 'createVolumePermission') {
        return { SnapshotId: s.id, CreateVolumePermissions: (s.createVolumePermissions ?? []).map((p) => (p.group ? { Group: p.group } : { UserId: p.userId })) };
      }
      if (input.Attribute === 'productCodes') return { SnapshotId: s.id, ProductCodes: [] };
      throw awsError('InvalidParameterValue', `Value (${input.Attribute}) for parameter attribute is invalid.`);
    },

    DescribeSnapshotTierStatus(input, env) {
      const state = stateOf(env);
      const items = Object.values(state.snapshots).filter((s) => s.lastTieringOperation && matchesFilters(input.Filters, { 'snapshot-id': s.id, 'volume-id': s.volumeId }, s.tags));
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
          ...(s.tags ? { Tags: tagList(s.tags) } : {}),
        })),
        NextToken: nextToken,
      };
    },

    DescribeVolumes(input, env) {
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
      const items = Object.values(state.images).filter((i) => {
        if (owners && !owners.some((o) => (o === 'self' ? mine(i) : (i.ownerId ?? env.account.id) === o))) return false;
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
      const targets = (input.Resources as string[]).map((id) => taggable(state, id));
      for (const t of targets) t.tags = { ...t.tags, ...Object.fromEntries((input.Tags ?? []).map((x: any) => [x.Key, x.Value ?? ''])) };
      return {};
    },

    DeleteTags(input, env) {
      const state = stateOf(env);
      for (const id of input.Resources as string[]) {
        const t = taggable(state, id);
        for (const tag of input.Tags ?? []) {
          if (t.tags && tag.Key in t.tags && (tag.Value === undefined || t.tags[tag.Key] === tag.Value)) delete t.tags[tag.Key];
        }
      }
      return {};
    },

    DeleteSnapshot(input, env) {
      const state = stateOf(env);
      const s = state.snapshots[input.SnapshotId];
      if (!s) throw snapshotNotFound(input.SnapshotId);
      const using = imagesUsing(state, s.id);
      if (using.length) throw awsError('InvalidSnapshot.InUse', `The snapshot ${s.id} is currently in use by ${using[0].id}`);
      delete state.snapshots[s.id];
      const rule = Object.values(rbinState(env.sandbox, env.account, env.region).rules).find((r) => ruleCovers(r, 'EBS_SNAPSHOT', s.tags ?? {}));
      if (rule) {
        const days = rule.retentionPeriod.RetentionPeriodValue;
        state.recycleBin[s.id] = { snapshot: s, enterTime: env.now.toISOString(), exitTime: new Date(env.now.getTime() + days * 86_400_000).toISOString() };
      }
      return {};
    },

    ModifySnapshotTier(input, env) {
      const s = stateOf(env).snapshots[input.SnapshotId];
      if (!s) throw snapshotNotFound(input.SnapshotId);
      if (s.state !== 'completed') throw awsError('IncorrectState', `The snapshot '${s.id}' is not in the 'completed' state.`);
      if (s.storageTier === 'archive') throw awsError('IncorrectState', `The snapshot '${s.id}' is already archived.`);
      // AWS takes hours to archive; the sandbox completes at once.
      s.storageTier = 'archive';
      s.tieringStartTime = env.now.toISOString();
      s.lastTieringOperation = 'archival-completed';
      return { SnapshotId: s.id, TieringStartTime: env.now };
    },

    RestoreSnapshotTier(input, env) {
      const s = stateOf(env).snapshots[input.SnapshotId];
      if (!s) throw snapshotNotFound(input.SnapshotId);
      if (s.storageTier !== 'archive') throw awsError('IncorrectState', `The snapshot '${s.id}' is not archived.`);
      if (input.PermanentRestore) s.storageTier = 'standard';
      s.lastTieringOperation = input.PermanentRestore ? 'permanent-restore-completed' : 'temporary-restore-completed';
      return { SnapshotId: s.id, RestoreStartTime: env.now, IsPermanentRestore: Boolean(input.PermanentRestore), ...(input.TemporaryRestoreDays ? { RestoreDuration: input.TemporaryRestoreDays } : {}) };
    },

    ListSnapshotsInRecycleBin(input, env) {
      const state = stateOf(env);
      purgeExpired(state, env.now);
      let items = Object.values(state.recycleBin);
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
      // AWS shows 'recovering' for a while; the sandbox restores at once, same id, tags kept.
      state.snapshots[entry.snapshot.id] = entry.snapshot;
      const s = entry.snapshot;
      return { SnapshotId: s.id, OutpostArn: undefined, Description: s.description ?? '', Encrypted: Boolean(s.encrypted), OwnerId: env.account.id, Progress: '100%', StartTime: new Date(s.startTime), State: 'recovering', VolumeId: s.volumeId, VolumeSize: s.volumeSizeGb };
    },
  },
};
