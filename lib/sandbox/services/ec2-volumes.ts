/**
 * Sandbox EC2, the volume and Elastic IP side: CreateSnapshot (a snapshot that completes after
 * a few reads, hidden from reads for `timing.consistencyMs`), DeleteVolume (`deleting`, then
 * gone), CreateVolume (`creating`, then `available`), ModifyVolume with AWS's rules,
 * DescribeVolumesModifications, DescribeAddresses, ReleaseAddress and AllocateAddress
 * (recovering a released address). Merged into the `ec2` service in services/index.ts.
 * Shapes follow test/fixtures/ec2/ (DescribeVolumes-*, DescribeAddresses-*) and the EC2 API reference.
 *
 * ModifyVolume (EC2 API reference, ModifyVolume): "you must wait for that modification to reach
 * the completed state before you can initiate another modification for the same volume. You can
 * modify a volume up to four times within a rolling 24-hour period". A modification passes
 * through `modifying` → `optimizing` → `completed`, lazily from its start time and durations
 * scaled by `sandbox.timing`; another ModifyVolume meanwhile is IncorrectModificationState, a
 * fifth within 24 hours VolumeModificationRateExceeded (naming when the next is allowed).
 */
import { awsError, tagList, type AccountState, type OperationEnv, type OperationHandler, type Sandbox } from '../sandbox.ts';
import { ec2State, settleVolume, snapshotById, type SandboxVolume } from './ec2.ts';

export interface SandboxAddress {
  allocationId: string;
  publicIp: string;
  domain: 'vpc';
  /** 'amazon' or a BYOIP pool id (ipv4pool-ec2-…). */
  publicIpv4Pool: string;
  networkBorderGroup: string;
  associationId?: string;
  instanceId?: string;
  networkInterfaceId?: string;
  privateIpAddress?: string;
  /** Addresses AWS services manage (e.g. 'alb', 'nlb'): the owner cannot release them. */
  serviceManaged?: string;
  /**
   * The address is used in the region's default VPC: ReleaseAddress then disassociates it and
   * releases it instead of failing InvalidIPAddress.InUse (EC2 API reference, ReleaseAddress).
   */
  defaultVpc?: boolean;
  tags?: Record<string, string>;
}

export interface SandboxVolumeModification {
  volumeId: string;
  /** The state at the last read; while `modifyingMs`/`optimizingMs` are set it follows the clock. */
  state: 'modifying' | 'optimizing' | 'completed' | 'failed';
  startTime: string;
  /** How long the phases last (ms from the start): the state is derived from these when set. */
  modifyingMs?: number;
  optimizingMs?: number;
  /** Earlier modifications' start times within the last 24 hours (the rolling limit). */
  recentStarts?: string[];
  /** The modification before this one: what reads return while this one is not visible yet. */
  previous?: Omit<SandboxVolumeModification, 'previous' | 'recentStarts'>;
  original: { volumeType: string; size: number; iops?: number; throughput?: number };
  target: { volumeType: string; size: number; iops?: number; throughput?: number };
}

export interface Ec2VolumeState {
  addresses: Record<string, SandboxAddress>;
  /** Released addresses by public IP: `recoverable` false once another account took it. */
  released: Record<string, { address: SandboxAddress; releasedAt: string; recoverable: boolean }>;
  /** The most recent modification per volume (what DescribeVolumesModifications returns). */
  modifications: Record<string, SandboxVolumeModification>;
  /** DescribeSnapshots reads before a new snapshot completes (default 1); 'error' makes them fail. */
  snapshotPolls?: number | 'error';
}

export const ec2VolumeState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<Ec2VolumeState>(account, region, 'ec2-volumes', () => ({ addresses: {}, released: {}, modifications: {} }));

/** ModifyVolume: at most this many modifications of one volume in a rolling 24 hours. */
export const MODIFICATIONS_PER_24H = 4;
const DAY_MS = 86_400_000;
/**
 * AWS-like phase durations. `modifying` is short; `optimizing` can take "from a few minutes to a
 * few hours" (EBS User Guide, Monitor the progress of volume modifications): here 10 minutes
 * plus 6 seconds per GiB (2,000 GiB: 3 h 30 min).
 */
export const modificationDurations = (sizeGb: number) => ({ modifyingMs: 2 * 60_000, optimizingMs: 10 * 60_000 + sizeGb * 6_000 });
/** DeleteVolume: the volume stays 'deleting' for a while (minutes on AWS). */
export const DELETING_MS = 3 * 60_000;
/** CreateVolume: 'creating' before 'available' (seconds to a minute on AWS). */
export const CREATING_MS = 30_000;

const volumes = (env: OperationEnv) => ec2State(env.sandbox, env.account, env.region);
const extra = (env: OperationEnv) => ec2VolumeState(env.sandbox, env.account, env.region);
const volumeNotFound = (id: string) => awsError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
const tagsFor = (specs: any[] | undefined, type: string) =>
  Object.fromEntries((specs ?? []).filter((s) => s.ResourceType === type).flatMap((s) => (s.Tags ?? []).map((t: any) => [t.Key, t.Value ?? ''])));

/**
 * The type rules EC2 enforces on CreateVolume and ModifyVolume (EC2 API reference, CreateVolume /
 * ModifyVolume, and EBS User Guide, volume types): gp3 1–65,536 GiB, 3,000–80,000 IOPS at most
 * 500 per GiB, 125–2,000 MiB/s at most 0.25 MiB/s per provisioned IOPS; gp2 1–16,384 GiB and no
 * IOPS or throughput parameter.
 */
export function checkPerformance(type: string, size: number, iops: number | undefined, throughput: number | undefined) {
  const bad = (message: string) => awsError('InvalidParameterValue', message);
  if (!['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'].includes(type)) throw bad(`Value (${type}) for parameter volumeType is invalid.`);
  const maxSize: Record<string, number> = { gp2: 16_384, gp3: 65_536, io1: 16_384, io2: 65_536, st1: 16_384, sc1: 16_384, standard: 1024 };
  if (size < 1 || size > maxSize[type]) throw bad(`Volume size ${size} GiB is invalid for ${type} volumes (1 to ${maxSize[type]} GiB).`);
  if (type === 'gp3') {
    if (iops !== undefined && (iops < 3000 || iops > 80_000 || (iops > 3000 && iops > size * 500))) throw bad(`Volume iops of ${iops} is invalid for a gp3 volume of ${size} GiB (3000 to 80000, at most 500 per GiB).`);
    if (throughput !== undefined && (throughput < 125 || throughput > 2000)) throw bad(`Volume throughput of ${throughput} is invalid for gp3 (125 to 2000 MiB/s).`);
    if (throughput !== undefined && throughput > 125 && throughput / (iops ?? 3000) > 0.25) throw bad(`Throughput ${throughput} MiB/s needs at least ${Math.ceil(throughput / 0.25)} IOPS (0.25 MiB/s per IOPS).`);
  } else if (throughput !== undefined) {
    throw awsError('InvalidParameterCombination', `The parameter throughput is not supported for ${type} volumes.`);
  }
  if ((type === 'io1' || type === 'io2') && iops === undefined) throw awsError('InvalidParameterCombination', `The parameter iops must be specified for ${type} volumes.`);
  if (!['gp3', 'io1', 'io2'].includes(type) && iops !== undefined) throw awsError('InvalidParameterCombination', `The parameter iops is not supported for ${type} volumes.`);
}

/** gp2 reports its baseline IOPS (3/GiB, 100 to 16,000) as Iops. */
export const gp2Iops = (sizeGb: number) => Math.min(16_000, Math.max(100, sizeGb * 3));

/** The state of a modification at `now`, from its start and phase durations (stored back). */
export function modificationState(m: Omit<SandboxVolumeModification, 'previous'>, now: Date): SandboxVolumeModification['state'] {
  if (m.state === 'failed' || m.state === 'completed') return m.state;
  if (m.modifyingMs === undefined || m.optimizingMs === undefined) return m.state;
  const elapsed = now.getTime() - Date.parse(m.startTime);
  m.state = elapsed < m.modifyingMs ? 'modifying' : elapsed < m.modifyingMs + m.optimizingMs ? 'optimizing' : 'completed';
  return m.state;
}

function modificationOut(m: Omit<SandboxVolumeModification, 'previous'>, now: Date) {
  const state = modificationState(m, now);
  const start = Date.parse(m.startTime);
  const total = (m.modifyingMs ?? 0) + (m.optimizingMs ?? 0);
  const progress = state === 'completed' ? 100 : state === 'modifying' ? 0 : total ? Math.min(99, Math.floor(((now.getTime() - start) / total) * 100)) : 50;
  return {
    VolumeId: m.volumeId,
    ModificationState: state,
    StartTime: new Date(m.startTime),
    ...(state === 'completed' ? { EndTime: new Date(start + total) } : {}),
    Progress: progress,
    OriginalVolumeType: m.original.volumeType,
    OriginalSize: m.original.size,
    ...(m.original.iops !== undefined ? { OriginalIops: m.original.iops } : {}),
    ...(m.original.throughput !== undefined ? { OriginalThroughput: m.original.throughput } : {}),
    TargetVolumeType: m.target.volumeType,
    TargetSize: m.target.size,
    ...(m.target.iops !== undefined ? { TargetIops: m.target.iops } : {}),
    ...(m.target.throughput !== undefined ? { TargetThroughput: m.target.throughput } : {}),
  };
}

/**
 * What reads see of a volume's modifications: the latest, or, for `timing.consistencyMs` after
 * it started, the one before it (undefined when there was none: InvalidVolumeModification.NotFound).
 */
function visibleModification(m: SandboxVolumeModification | undefined, env: OperationEnv) {
  if (!m) return undefined;
  if (env.now.getTime() - Date.parse(m.startTime) < env.sandbox.timing.consistencyMs) return m.previous;
  return m;
}

function addressOut(a: SandboxAddress) {
  return {
    AllocationId: a.allocationId,
    PublicIp: a.publicIp,
    Domain: a.domain,
    PublicIpv4Pool: a.publicIpv4Pool,
    NetworkBorderGroup: a.networkBorderGroup,
    ...(a.associationId ? { AssociationId: a.associationId } : {}),
    ...(a.instanceId ? { InstanceId: a.instanceId } : {}),
    ...(a.networkInterfaceId ? { NetworkInterfaceId: a.networkInterfaceId, NetworkInterfaceOwnerId: '123456789012' } : {}),
    ...(a.privateIpAddress ? { PrivateIpAddress: a.privateIpAddress } : {}),
    ...(a.serviceManaged ? { ServiceManaged: a.serviceManaged } : {}),
    ...(a.tags && Object.keys(a.tags).length ? { Tags: tagList(a.tags) } : {}),
  };
}

export const ec2VolumeOperations: Record<string, OperationHandler> = {
  CreateSnapshot(input, env) {
    const v = settleVolume(volumes(env), input.VolumeId, env.now);
    if (!v || v.state === 'deleting') throw volumeNotFound(input.VolumeId);
    const id = env.sandbox.mintId('snap');
    const consistencyMs = env.sandbox.timing.consistencyMs;
    const polls = extra(env).snapshotPolls ?? 1;
    const snapshot = {
      id,
      volumeId: v.id,
      startTime: env.now.toISOString(),
      volumeSizeGb: v.sizeGb,
      state: polls === 'error' ? ('error' as const) : ('pending' as const),
      storageTier: 'standard' as const,
      description: input.Description ?? '',
      encrypted: false,
      tags: tagsFor(input.TagSpecifications, 'snapshot'),
      ...(polls === 'error' ? {} : { pollsUntilCompleted: polls }),
      // EC2 eventual consistency: DescribeSnapshots may not know the new id for a while.
      ...(consistencyMs > 0 ? { visibleAt: new Date(env.now.getTime() + consistencyMs).toISOString() } : {}),
    };
    volumes(env).snapshots[id] = snapshot;
    return { SnapshotId: id, VolumeId: v.id, State: 'pending', StartTime: env.now, VolumeSize: v.sizeGb, Description: snapshot.description, OwnerId: env.account.id, Progress: '0%', Encrypted: false, ...(Object.keys(snapshot.tags).length ? { Tags: tagList(snapshot.tags) } : {}) };
  },

  DeleteVolume(input, env) {
    const state = volumes(env);
    const v = settleVolume(state, input.VolumeId, env.now);
    if (!v) throw volumeNotFound(input.VolumeId);
    if (v.state === 'in-use' || (v.attachments ?? []).length) throw awsError('VolumeInUse', `Volume ${v.id} is currently attached to ${v.attachments?.[0]?.instanceId ?? 'an instance'}`);
    if (v.state === 'creating') throw awsError('IncorrectState', `The volume '${v.id}' is 'creating' and cannot be deleted yet.`);
    if (v.state === 'deleting') return {};
    // AWS keeps the volume listed as 'deleting' for minutes after the call.
    const deletingMs = env.sandbox.duration(DELETING_MS);
    if (deletingMs > 0) {
      v.state = 'deleting';
      v.until = new Date(env.now.getTime() + deletingMs).toISOString();
    } else delete state.volumes[v.id];
    delete extra(env).modifications[v.id];
    return {};
  },

  CreateVolume(input, env) {
    const state = volumes(env);
    if (!input.AvailabilityZone) throw awsError('MissingParameter', 'The request must contain the parameter AvailabilityZone');
    const snapshot = input.SnapshotId ? snapshotById(state, input.SnapshotId) : undefined;
    if (input.SnapshotId && !snapshot) throw awsError('InvalidSnapshot.NotFound', `The snapshot '${input.SnapshotId}' does not exist.`);
    if (snapshot && snapshot.state !== 'completed') throw awsError('IncorrectState', `Snapshot '${snapshot.id}' is not 'completed'.`);
    const size = input.Size ?? snapshot?.volumeSizeGb;
    if (!size) throw awsError('MissingParameter', 'The request must contain the parameter size or snapshotId');
    if (snapshot && size < snapshot.volumeSizeGb) throw awsError('InvalidParameterValue', `Volume of ${size}GiB is too small; minimum is ${snapshot.volumeSizeGb}GiB.`);
    const type = input.VolumeType ?? 'gp2';
    checkPerformance(type, size, input.Iops, input.Throughput);
    const id = env.sandbox.mintId('vol');
    const volume: SandboxVolume = {
      id,
      sizeGb: size,
      volumeType: type,
      // 'creating' for a while, as on AWS (instant when the timing scale is 0).
      state: env.sandbox.duration(CREATING_MS) > 0 ? 'creating' : 'available',
      ...(env.sandbox.duration(CREATING_MS) > 0 ? { until: new Date(env.now.getTime() + env.sandbox.duration(CREATING_MS)).toISOString() } : {}),
      createTime: env.now.toISOString(),
      availabilityZone: input.AvailabilityZone,
      ...(snapshot ? { snapshotId: snapshot.id } : {}),
      tags: tagsFor(input.TagSpecifications, 'volume'),
      ...(type === 'gp2' ? { iops: gp2Iops(size) } : input.Iops !== undefined ? { iops: input.Iops } : type === 'gp3' ? { iops: 3000 } : {}),
      ...(type === 'gp3' ? { throughput: input.Throughput ?? 125 } : {}),
    };
    state.volumes[id] = volume;
    return { VolumeId: id, Size: size, VolumeType: type, State: 'creating', AvailabilityZone: volume.availabilityZone, CreateTime: env.now, SnapshotId: volume.snapshotId ?? '', Iops: volume.iops, Throughput: volume.throughput, Encrypted: false, ...(volume.tags && Object.keys(volume.tags).length ? { Tags: tagList(volume.tags) } : {}) };
  },

  ModifyVolume(input, env) {
    const v = settleVolume(volumes(env), input.VolumeId, env.now);
    if (!v || v.state === 'deleting') throw volumeNotFound(input.VolumeId);
    if (v.state !== 'in-use' && v.state !== 'available') throw awsError('IncorrectState', `The volume '${v.id}' is '${v.state}'; only in-use or available volumes can be modified.`);
    const mods = extra(env).modifications;
    const last = mods[v.id];
    // "You must wait for that modification to reach the completed state" (ModifyVolume).
    const lastState = last ? modificationState(last, env.now) : undefined;
    if (lastState === 'modifying' || lastState === 'optimizing') {
      throw awsError('IncorrectModificationState', `Cannot modify volume ${v.id}: its modification started ${last!.startTime} is still ${lastState}; wait until it is completed.`);
    }
    // "up to four times within a rolling 24-hour period".
    const recent = [...(last?.recentStarts ?? []), ...(last ? [last.startTime] : [])].filter((t) => env.now.getTime() - Date.parse(t) < DAY_MS).sort();
    if (recent.length >= MODIFICATIONS_PER_24H) {
      const next = new Date(Date.parse(recent[recent.length - MODIFICATIONS_PER_24H]) + DAY_MS).toISOString();
      throw awsError('VolumeModificationRateExceeded', `You've reached the maximum modification rate per volume limit (${MODIFICATIONS_PER_24H} in 24 hours). You can modify volume ${v.id} again after ${next}.`);
    }
    const type = input.VolumeType ?? v.volumeType;
    const size = input.Size ?? v.sizeGb;
    if (size < v.sizeGb) throw awsError('InvalidParameterValue', `New size ${size} GiB must be at least the current size ${v.sizeGb} GiB.`);
    const keepsPerformance = type === v.volumeType;
    const iops = input.Iops ?? (type === 'gp3' ? (keepsPerformance ? v.iops : 3000) : type === 'gp2' ? undefined : v.iops);
    const throughput = input.Throughput ?? (type === 'gp3' ? (keepsPerformance ? v.throughput : 125) : undefined);
    checkPerformance(type, size, type === 'gp2' ? input.Iops : iops, type === 'gp3' ? throughput : input.Throughput);
    const durations = modificationDurations(size);
    const modifyingMs = env.sandbox.duration(durations.modifyingMs);
    const optimizingMs = env.sandbox.duration(durations.optimizingMs);
    const { previous: _older, recentStarts: _starts, ...lastPlain } = last ?? ({} as SandboxVolumeModification);
    const modification: SandboxVolumeModification = {
      volumeId: v.id,
      state: modifyingMs > 0 ? 'modifying' : optimizingMs > 0 ? 'optimizing' : 'completed',
      startTime: env.now.toISOString(),
      modifyingMs,
      optimizingMs,
      recentStarts: recent,
      ...(last ? { previous: lastPlain as SandboxVolumeModification } : {}),
      original: { volumeType: v.volumeType, size: v.sizeGb, ...(v.iops !== undefined ? { iops: v.iops } : {}), ...(v.throughput !== undefined ? { throughput: v.throughput } : {}) },
      target: { volumeType: type, size, ...(type === 'gp2' ? { iops: gp2Iops(size) } : iops !== undefined ? { iops } : {}), ...(throughput !== undefined ? { throughput } : {}) },
    };
    mods[v.id] = modification;
    // DescribeVolumes shows the target type and size once the request is accepted.
    v.volumeType = type;
    v.sizeGb = size;
    v.iops = modification.target.iops;
    if (throughput !== undefined) v.throughput = throughput;
    else delete v.throughput;
    return { VolumeModification: modificationOut(modification, env.now) };
  },

  DescribeVolumesModifications(input, env) {
    const mods = extra(env).modifications;
    let items: SandboxVolumeModification[];
    if (input.VolumeIds?.length) {
      items = (input.VolumeIds as string[]).map((id) => visibleModification(mods[id], env) ?? (() => { throw awsError('InvalidVolumeModification.NotFound', `Modification for volume '${id}' does not exist.`); })());
    } else items = Object.values(mods).map((m) => visibleModification(m, env)).filter((m): m is SandboxVolumeModification => m !== undefined);
    for (const f of input.Filters ?? []) {
      if (f.Name !== 'modification-state' && f.Name !== 'volume-id') throw awsError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    }
    const out = items.map((m) => modificationOut(m, env.now)).filter((m) =>
      (input.Filters ?? []).every((f: any) => (f.Name === 'modification-state' ? f.Values.includes(m.ModificationState) : f.Values.includes(m.VolumeId))),
    );
    const max = input.MaxResults ?? 500;
    const offset = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64url').toString()) : 0;
    const page = out.slice(offset, offset + max);
    return { VolumesModifications: page, ...(offset + max < out.length ? { NextToken: Buffer.from(String(offset + max)).toString('base64url') } : {}) };
  },

  // EC2 returns every address of the region in one answer (DescribeAddresses is not paginated).
  DescribeAddresses(input, env) {
    const all = Object.values(extra(env).addresses);
    if (input.AllocationIds?.length) {
      return {
        Addresses: (input.AllocationIds as string[]).map((id) => {
          const a = extra(env).addresses[id];
          if (!a) throw awsError('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`);
          return addressOut(a);
        }),
      };
    }
    const byIp = input.PublicIps?.length ? all.filter((a) => input.PublicIps.includes(a.publicIp)) : all;
    if (input.PublicIps?.length && byIp.length < input.PublicIps.length) throw awsError('InvalidAddress.NotFound', `Address '${input.PublicIps.find((ip: string) => !byIp.some((a) => a.publicIp === ip))}' not found.`);
    const filtered = byIp.filter((a) =>
      (input.Filters ?? []).every((f: any) => {
        if (f.Name === 'allocation-id') return f.Values.includes(a.allocationId);
        if (f.Name === 'public-ip') return f.Values.includes(a.publicIp);
        if (f.Name === 'domain') return f.Values.includes(a.domain);
        if (f.Name?.startsWith('tag:')) return f.Values.includes(a.tags?.[f.Name.slice(4)]);
        throw awsError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
      }),
    );
    return { Addresses: filtered.map(addressOut) };
  },

  ReleaseAddress(input, env) {
    const state = extra(env);
    const a = state.addresses[input.AllocationId];
    if (!a) throw awsError('InvalidAllocationID.NotFound', `The allocation ID '${input.AllocationId}' does not exist`);
    if (a.serviceManaged) throw awsError('OperationNotPermitted', `The address ${a.publicIp} is managed by ${a.serviceManaged} and cannot be released.`);
    // Default VPC: releasing disassociates the address; a nondefault VPC refuses (ReleaseAddress, EC2 API reference).
    if (a.associationId && !a.defaultVpc) throw awsError('InvalidIPAddress.InUse', `Address ${a.publicIp} is in use.`);
    if (a.associationId) {
      delete a.associationId;
      delete a.instanceId;
      delete a.networkInterfaceId;
      delete a.privateIpAddress;
    }
    delete state.addresses[a.allocationId];
    state.released[a.publicIp] = { address: a, releasedAt: env.now.toISOString(), recoverable: true };
    return {};
  },

  AllocateAddress(input, env) {
    const state = extra(env);
    let publicIp: string;
    let pool = input.PublicIpv4Pool ?? 'amazon';
    if (input.Address) {
      const gone = state.released[input.Address];
      // AWS recovers a released address only if no other account has taken it since.
      if (!gone || !gone.recoverable) throw awsError('InvalidParameterValue', `The address ${input.Address} is not available for recovery: it was allocated elsewhere or never released by this account.`);
      delete state.released[input.Address];
      publicIp = input.Address;
      pool = gone.address.publicIpv4Pool;
    } else {
      publicIp = `198.51.100.${(env.sandbox.state.sequence % 250) + 1}`;
    }
    const allocationId = env.sandbox.mintId('eipalloc');
    state.addresses[allocationId] = { allocationId, publicIp, domain: 'vpc', publicIpv4Pool: pool, networkBorderGroup: env.region, tags: tagsFor(input.TagSpecifications, 'elastic-ip') };
    return { AllocationId: allocationId, PublicIp: publicIp, Domain: 'vpc', PublicIpv4Pool: pool, NetworkBorderGroup: env.region };
  },
};
