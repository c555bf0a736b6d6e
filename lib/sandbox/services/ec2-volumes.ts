/**
 * Sandbox EC2, the volume and Elastic IP side: CreateSnapshot (a snapshot that completes after
 * a few reads), DeleteVolume, CreateVolume, ModifyVolume with the 6-hour modification
 * cooldown, DescribeVolumesModifications, DescribeAddresses, ReleaseAddress and AllocateAddress
 * (recovering a released address). Merged into the `ec2` service in services/index.ts.
 * Shapes follow test/fixtures/ec2/ (DescribeVolumes-*, DescribeAddresses-*) and the EC2 API reference.
 */
import { awsError, tagList, type AccountState, type OperationEnv, type OperationHandler, type Sandbox } from '../sandbox.ts';
import { ec2State, type SandboxVolume } from './ec2.ts';

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
  tags?: Record<string, string>;
}

export interface SandboxVolumeModification {
  volumeId: string;
  state: 'modifying' | 'optimizing' | 'completed' | 'failed';
  startTime: string;
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

/** AWS lets a volume be modified again 6 hours after the last modification started. */
export const MODIFICATION_COOLDOWN_HOURS = 6;
/** How long the sandbox keeps a modification in 'optimizing' before 'completed'. */
const OPTIMIZING_MS = 3_600_000;

const volumes = (env: OperationEnv) => ec2State(env.sandbox, env.account, env.region);
const extra = (env: OperationEnv) => ec2VolumeState(env.sandbox, env.account, env.region);
const volumeNotFound = (id: string) => awsError('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
const tagsFor = (specs: any[] | undefined, type: string) =>
  Object.fromEntries((specs ?? []).filter((s) => s.ResourceType === type).flatMap((s) => (s.Tags ?? []).map((t: any) => [t.Key, t.Value ?? ''])));

/** The type rules EC2 enforces on CreateVolume and ModifyVolume (gp3/io1/io2 ranges, gp2 takes no IOPS). */
function checkPerformance(type: string, size: number, iops: number | undefined, throughput: number | undefined) {
  const bad = (message: string) => awsError('InvalidParameterValue', message);
  if (!['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'].includes(type)) throw bad(`Value (${type}) for parameter volumeType is invalid.`);
  if (type === 'gp3') {
    if (iops !== undefined && (iops < 3000 || iops > 16000 || (iops > 3000 && iops > size * 500))) throw bad(`Volume iops of ${iops} is invalid for a gp3 volume of ${size} GiB (3000 to 16000, at most 500 per GiB).`);
    if (throughput !== undefined && (throughput < 125 || throughput > 1000)) throw bad(`Volume throughput of ${throughput} is invalid for gp3 (125 to 1000 MiB/s).`);
    if (throughput !== undefined && throughput / (iops ?? 3000) > 0.25) throw bad(`Throughput ${throughput} MiB/s needs at least ${Math.ceil(throughput / 0.25)} IOPS (0.25 MiB/s per IOPS).`);
  } else if (throughput !== undefined) {
    throw awsError('InvalidParameterCombination', `The parameter throughput is not supported for ${type} volumes.`);
  }
  if ((type === 'io1' || type === 'io2') && iops === undefined) throw awsError('InvalidParameterCombination', `The parameter iops must be specified for ${type} volumes.`);
  if (!['gp3', 'io1', 'io2'].includes(type) && iops !== undefined) throw awsError('InvalidParameterCombination', `The parameter iops is not supported for ${type} volumes.`);
}

/** gp2 reports its baseline IOPS (3/GiB, 100 to 16,000) as Iops. */
export const gp2Iops = (sizeGb: number) => Math.min(16_000, Math.max(100, sizeGb * 3));

function modificationOut(m: SandboxVolumeModification, now: Date) {
  // The sandbox skips 'modifying' and completes an hour after the start.
  if (m.state === 'optimizing' && now.getTime() - Date.parse(m.startTime) >= OPTIMIZING_MS) m.state = 'completed';
  return {
    VolumeId: m.volumeId,
    ModificationState: m.state,
    StartTime: new Date(m.startTime),
    ...(m.state === 'completed' ? { EndTime: new Date(Date.parse(m.startTime) + OPTIMIZING_MS), Progress: 100 } : { Progress: 50 }),
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
    const v = volumes(env).volumes[input.VolumeId];
    if (!v) throw volumeNotFound(input.VolumeId);
    const id = env.sandbox.mintId('snap');
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
    };
    volumes(env).snapshots[id] = snapshot;
    return { SnapshotId: id, VolumeId: v.id, State: 'pending', StartTime: env.now, VolumeSize: v.sizeGb, Description: snapshot.description, OwnerId: env.account.id, Progress: '0%', Encrypted: false, ...(Object.keys(snapshot.tags).length ? { Tags: tagList(snapshot.tags) } : {}) };
  },

  DeleteVolume(input, env) {
    const state = volumes(env);
    const v = state.volumes[input.VolumeId];
    if (!v) throw volumeNotFound(input.VolumeId);
    if (v.state === 'in-use' || (v.attachments ?? []).length) throw awsError('VolumeInUse', `Volume ${v.id} is currently attached to ${v.attachments?.[0]?.instanceId ?? 'an instance'}`);
    delete state.volumes[v.id];
    delete extra(env).modifications[v.id];
    return {};
  },

  CreateVolume(input, env) {
    const state = volumes(env);
    if (!input.AvailabilityZone) throw awsError('MissingParameter', 'The request must contain the parameter AvailabilityZone');
    const snapshot = input.SnapshotId ? state.snapshots[input.SnapshotId] : undefined;
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
      // AWS shows 'creating' for a while; the sandbox is available at once.
      state: 'available',
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
    const v = volumes(env).volumes[input.VolumeId];
    if (!v) throw volumeNotFound(input.VolumeId);
    const mods = extra(env).modifications;
    const last = mods[v.id];
    // A modification still in its first phase blocks another (AWS: IncorrectModificationState).
    if (last?.state === 'modifying') throw awsError('IncorrectModificationState', `Volume ${v.id} is already being modified.`);
    if (last && env.now.getTime() - Date.parse(last.startTime) < MODIFICATION_COOLDOWN_HOURS * 3_600_000) {
      throw awsError('VolumeModificationRateExceeded', "You've reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume.");
    }
    const type = input.VolumeType ?? v.volumeType;
    const size = input.Size ?? v.sizeGb;
    if (size < v.sizeGb) throw awsError('InvalidParameterValue', `New size ${size} GiB must be at least the current size ${v.sizeGb} GiB.`);
    const keepsPerformance = type === v.volumeType;
    const iops = input.Iops ?? (type === 'gp3' ? (keepsPerformance ? v.iops : 3000) : type === 'gp2' ? undefined : v.iops);
    const throughput = input.Throughput ?? (type === 'gp3' ? (keepsPerformance ? v.throughput : 125) : undefined);
    checkPerformance(type, size, type === 'gp2' ? input.Iops : iops, type === 'gp3' ? throughput : input.Throughput);
    const modification: SandboxVolumeModification = {
      volumeId: v.id,
      state: 'optimizing',
      startTime: env.now.toISOString(),
      original: { volumeType: v.volumeType, size: v.sizeGb, ...(v.iops !== undefined ? { iops: v.iops } : {}), ...(v.throughput !== undefined ? { throughput: v.throughput } : {}) },
      target: { volumeType: type, size, ...(type === 'gp2' ? { iops: gp2Iops(size) } : iops !== undefined ? { iops } : {}), ...(throughput !== undefined ? { throughput } : {}) },
    };
    mods[v.id] = modification;
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
      items = (input.VolumeIds as string[]).map((id) => mods[id] ?? (() => { throw awsError('InvalidVolumeModification.NotFound', `Modification for volume '${id}' does not exist.`); })());
    } else items = Object.values(mods);
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
    if (a.associationId) throw awsError('InvalidIPAddress.InUse', `Address ${a.publicIp} is in use.`);
    if (a.serviceManaged) throw awsError('OperationNotPermitted', `The address ${a.publicIp} is managed by ${a.serviceManaged} and cannot be released.`);
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
