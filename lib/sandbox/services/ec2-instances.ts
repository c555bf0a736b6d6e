/**
 * Sandbox EC2, instances and NAT gateways: DescribeInstances (reservations, filters, MaxResults
 * 5..1000 and NextToken, not combinable with InstanceIds), StopInstances / StartInstances with
 * the state transitions and error codes EC2 uses, and DescribeNatGateways. Merged into the ec2
 * service in ./index.ts; state lives under its own regional key ('ec2-instances').
 *
 * AWS semantics kept (EC2 API reference):
 * - StopInstances on an instance-store-backed instance: UnsupportedOperation; on a spot instance
 *   of a one-time request): UnsupportedOperation; on a terminated one: IncorrectInstanceState. A stopped instance stops again without error (idempotent).
 * - StartInstances on a terminated instance: IncorrectInstanceState.
 * - An unknown id: InvalidInstanceID.NotFound (InvalidInstanceID.Malformed for a bad shape).
 * - Transitions take time, as on AWS: StopInstances leaves the instance 'stopping' and
 *   StartInstances 'pending' for `sandbox.duration(...)` (lazily, from a stored timestamp), then
 *   'stopped'/'running'; with the instant timing a following read already shows the end state.
 *   Stopping a 'pending' instance is IncorrectInstanceState.
 * - DescribeInstanceTypes answers from a small catalogue: instance storage (InstanceStorageSupported,
 *   InstanceStorageInfo) for the types that have it (c5d, m5d, i3, …: families with a 'd' or
 *   the storage families i/d), so an EBS-backed instance can still have instance-store volumes
 *   whose data a stop loses. MaxResults 5..100; an unknown type is InvalidInstanceType.
 */
import { awsError, paginate, tagList, type AccountState, type OperationEnv, type OperationHandler, type Sandbox } from '../sandbox.ts';
import { instanceTypeInfo as tableInfo } from '../../savings/ec2-instance-types.ts';
import { matchesFilters } from './ec2.ts';

const XEN_FAMILIES = ['t2', 'm4', 'c4', 'r4', 'm3', 'c3', 'r3'];
const archOf = (type: string): 'x86_64' | 'arm64' => (/^[a-z]+\d+g/.test(type) ? 'arm64' : 'x86_64');

export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface SandboxInstance {
  id: string;
  reservationId: string;
  instanceType: string;
  state: InstanceStateName;
  launchTime: string;
  rootDeviceType: 'ebs' | 'instance-store';
  availabilityZone: string;
  /** EBS volumes attached (ids of volumes in the ec2 service state, or free-standing ids). */
  volumeIds: string[];
  /** 'spot' for spot instances; absent for on-demand. */
  lifecycle?: 'spot';
  tags?: Record<string, string>;
  /** When the last state transition happened (StateTransitionReason). */
  stateChangedAt?: string;
  /** ISO time a 'stopping'/'pending' instance reaches 'stopped'/'running' (settled lazily on reads). */
  transitionUntil?: string;
  /** The AMI's architecture; derived from the type when absent. */
  architecture?: 'x86_64' | 'arm64';
  /** The instance's EnaSupport attribute (default true: current AMIs have the ENA driver). */
  enaSupport?: boolean;
  /** DescribeInstances PlatformDetails (the AMI's billing product: 'Windows', 'Red Hat Enterprise Linux', ...); default 'Linux/UNIX'. */
  platformDetails?: string;
  /** Burstable types: CPU credit option (T3/T4g launch unlimited, T2 standard by default). */
  cpuCredits?: 'standard' | 'unlimited';
  /** ISO time both status checks turn 'ok' after a start ('initializing' before). */
  statusOkAt?: string;
  /** StateReason.Code of the last transition (`Client.UserInitiatedShutdown`, `Client.UserInitiatedHibernate`, `Server.InsufficientInstanceCapacity`). */
  stateReasonCode?: string;
  /** Placement.Tenancy (default 'default'); a Dedicated Host and the instance types it takes; a placement group. */
  tenancy?: 'default' | 'dedicated' | 'host';
  hostId?: string;
  hostInstanceTypes?: string[];
  placementGroup?: string;
  /**
   * CapacityReservationSpecification; `targetType` is the targeted reservation's instance type
   * (fixed at its creation); `runningIn` is Instance.CapacityReservationId.
   */
  capacityReservation?: { preference?: 'open' | 'none' | 'capacity-reservations-only'; targetId?: string; targetType?: string; runningIn?: string };
  /** HibernationOptions.Configured. */
  hibernation?: boolean;
  /** Monitoring.State: 'enabled' for detailed (1-minute) monitoring; seed its metric series at resolutionSeconds 60. */
  monitoring?: 'enabled' | 'disabled';
  /** Its public IPv4 address: auto-assigned (owner `amazon`) or an Elastic IP (owner: the account). */
  publicIp?: { address: string; elastic: boolean };
  /**
   * Instance types the Availability Zone has no capacity for: StartInstances answers
   * InsufficientInstanceCapacity (`at: 'start'`, the default), or accepts the start and the
   * instance goes pending → stopped with StateReason Server.InsufficientInstanceCapacity (`at: 'pending'`).
   */
  noCapacityFor?: { types: string[]; at?: 'start' | 'pending' };
  /** Instance types whose start would exceed the account's On-Demand vCPU quota: StartInstances answers VcpuLimitExceeded. */
  vcpuLimitFor?: string[];
  /** A start that will fail while pending (set by StartInstances from noCapacityFor). */
  startFailsWith?: string;
  /** LaunchTime is the *last* launch (a start sets it); the first launch is the primary interface's AttachTime. */
  firstLaunchTime?: string;
}

/** How long AWS-like transitions last before `timing.scale`. */
export const STOPPING_MS = 60_000;
export const PENDING_MS = 30_000;
/** Status checks stay 'initializing' for about two minutes after an instance reaches running. */
export const STATUS_INIT_MS = 120_000;

/** Instance storage (GB) of the catalogue's types that have it; the rest by the naming rule below. */
const INSTANCE_STORAGE: Record<string, { count: number; sizeGb: number; type: 'ssd' | 'hdd' }> = {
  'c5d.large': { count: 1, sizeGb: 50, type: 'ssd' },
  'c5d.xlarge': { count: 1, sizeGb: 100, type: 'ssd' },
  'm5d.large': { count: 1, sizeGb: 75, type: 'ssd' },
  'm5d.xlarge': { count: 1, sizeGb: 150, type: 'ssd' },
  'r5d.large': { count: 1, sizeGb: 75, type: 'ssd' },
  'i3.large': { count: 1, sizeGb: 475, type: 'ssd' },
  'i3.xlarge': { count: 1, sizeGb: 950, type: 'ssd' },
  'd2.xlarge': { count: 3, sizeGb: 2000, type: 'hdd' },
};
/** EC2 User Guide, "Prerequisites for EC2 instance hibernation", supported instance families (the sandbox's subset). */
const HIBERNATION_FAMILIES = ['m3', 'm4', 'm5', 'm5a', 'm5ad', 'm5d', 'm6i', 'm6id', 'm7i', 't2', 't3', 't3a', 'c3', 'c4', 'c5', 'c5d', 'c6i', 'c6id', 'r3', 'r4', 'r5', 'r5a', 'r5ad', 'r5d', 'i3', 'i3en'];
const TYPE_NAME = /^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)$/;

/**
 * CPU options a type accepts (belief, after the EC2 User Guide's "Supported CPU options" tables): x86 types run
 * 2 threads a core and accept 1–all cores and 1 or 2 threads; Graviton runs 1 thread a core; burstable types take no CPU options.
 */
function vcpuInfo(type: string, vcpu: number, burstable: boolean) {
  if (burstable) return { DefaultVCpus: vcpu };
  const threads = archOf(type) === 'arm64' ? 1 : Math.min(2, vcpu);
  const cores = Math.max(1, vcpu / threads);
  return { DefaultVCpus: vcpu, DefaultCores: cores, DefaultThreadsPerCore: threads, ValidCores: Array.from({ length: cores }, (_, i) => i + 1), ValidThreadsPerCore: threads === 2 ? [1, 2] : [1] };
}

/** Network interfaces by size (belief, the common figures of the EC2 User Guide's "Maximum IP addresses per network interface"). */
function maxNetworkInterfaces(type: string): number {
  const size = type.split('.')[1] ?? '';
  if (['nano', 'micro', 'small', 'medium', 'large'].includes(size)) return size === 'nano' || size === 'micro' ? 2 : 3;
  if (size === 'xlarge' || size === '2xlarge') return 4;
  return 8;
}

/** The sandbox's DescribeInstanceTypes entry for a type, or undefined when the name is not a type. */
function instanceTypeInfo(type: string) {
  const m = TYPE_NAME.exec(type);
  if (!m) return undefined;
  const [, family, , suffix] = m;
  // c5d, m5ad, r5dn, m6gd…: a 'd' in the suffix; i3, i4i, d2, d3: storage-optimised families.
  const storage = INSTANCE_STORAGE[type] ?? (suffix.includes('d') || family === 'i' || family === 'd' || family === 'im' || family === 'is' ? { count: 1, sizeGb: 100, type: 'ssd' as const } : undefined);
  const row = tableInfo(type);
  const nitro = !XEN_FAMILIES.includes(type.split('.')[0]);
  return {
    InstanceType: type,
    ProcessorInfo: { SupportedArchitectures: [row?.architecture ?? archOf(type)] },
    ...(row ? { VCpuInfo: vcpuInfo(type, row.vcpu, row.burstable), MemoryInfo: { SizeInMiB: row.memoryGib * 1024 }, BurstablePerformanceSupported: row.burstable } : {}),
    NetworkInfo: { EnaSupport: nitro ? 'required' : 'unsupported', MaximumNetworkInterfaces: maxNetworkInterfaces(type) },
    EbsInfo: { NvmeSupport: nitro ? 'required' : 'unsupported' },
    HibernationSupported: HIBERNATION_FAMILIES.includes(type.split('.')[0]) && !type.endsWith('.metal'),
    CurrentGeneration: !['m4', 'c4', 'r4', 't2', 'm3', 'c3'].some((f) => type.startsWith(`${f}.`)),
    SupportedRootDeviceTypes: storage ? ['ebs', 'instance-store'] : ['ebs'],
    InstanceStorageSupported: Boolean(storage),
    ...(storage
      ? { InstanceStorageInfo: { TotalSizeInGB: storage.count * storage.sizeGb, Disks: [{ SizeInGB: storage.sizeGb, Count: storage.count, Type: storage.type }], NvmeSupport: storage.type === 'ssd' ? 'required' : 'unsupported', EncryptionSupport: 'required' } }
      : {}),
  };
}

export interface SandboxNatGateway {
  id: string;
  state: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed';
  vpcId: string;
  subnetId: string;
  createTime: string;
  connectivityType: 'public' | 'private';
  allocationId?: string;
  publicIp?: string;
  tags?: Record<string, string>;
}

export interface Ec2InstancesState {
  instances: Record<string, SandboxInstance>;
  natGateways: Record<string, SandboxNatGateway>;
}

export const ec2InstancesState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<Ec2InstancesState>(account, region, 'ec2-instances', () => ({ instances: {}, natGateways: {} }));

const stateOf = (env: OperationEnv) => ec2InstancesState(env.sandbox, env.account, env.region);

const STATE_REASONS: Record<string, string> = {
  'Client.UserInitiatedShutdown': 'User initiated shutdown',
  'Client.UserInitiatedHibernate': 'Hibernation was initiated on the instance',
  'Server.InsufficientInstanceCapacity': 'Insufficient capacity',
};

const STATE_CODES: Record<InstanceStateName, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };
const stateOut = (name: InstanceStateName) => ({ Code: STATE_CODES[name], Name: name });



const PAGE = { defaultMax: Number.MAX_SAFE_INTEGER, maxMax: 1000, minMax: 5, invalidTokenCode: 'InvalidParameterValue' };

/** EC2 paginates only when MaxResults is given; without it every result comes back at once. */
function page<T>(items: T[], input: { MaxResults?: number; NextToken?: string }, operation: string) {
  if (input.MaxResults === undefined && !input.NextToken) return { page: items, nextToken: undefined };
  return paginate(items, { token: input.NextToken, max: input.MaxResults ?? 1000 }, { ...PAGE, operation });
}

/** The instance as reads see it at `now`: a transition past its time has ended. */
function settle(i: SandboxInstance, now: Date): SandboxInstance {
  if (i.transitionUntil && Date.parse(i.transitionUntil) <= now.getTime()) {
    if (i.state === 'stopping') i.state = 'stopped';
    else if (i.state === 'pending' && i.startFailsWith) {
      i.state = 'stopped';
      i.stateReasonCode = i.startFailsWith;
      delete i.startFailsWith;
      delete i.statusOkAt;
    } else if (i.state === 'pending') i.state = 'running';
    delete i.transitionUntil;
  }
  return i;
}

function instanceOrThrow(state: Ec2InstancesState, id: string, now: Date): SandboxInstance {
  if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw awsError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  const instance = state.instances[id];
  if (!instance) throw awsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  return settle(instance, now);
}

/** Begins a transition: the end state at once when the timing is instant. */
function transition(i: SandboxInstance, env: OperationEnv, during: 'stopping' | 'pending', end: 'stopped' | 'running', awsMs: number) {
  const ms = env.sandbox.duration(awsMs);
  i.stateChangedAt = env.now.toISOString();
  if (ms > 0) {
    i.state = during;
    i.transitionUntil = new Date(env.now.getTime() + ms).toISOString();
  } else {
    i.state = end;
    delete i.transitionUntil;
  }
}

function instanceOut(i: SandboxInstance, ownerId: string) {
  return {
    InstanceId: i.id,
    InstanceType: i.instanceType,
    ImageId: 'ami-0abcdef1234567890',
    LaunchTime: new Date(i.launchTime),
    Placement: { AvailabilityZone: i.availabilityZone, Tenancy: i.tenancy ?? (i.hostId ? 'host' : 'default'), ...(i.hostId ? { HostId: i.hostId } : {}), ...(i.placementGroup ? { GroupName: i.placementGroup } : {}) },
    CapacityReservationSpecification: {
      CapacityReservationPreference: i.capacityReservation?.preference ?? 'open',
      ...(i.capacityReservation?.targetId ? { CapacityReservationTarget: { CapacityReservationId: i.capacityReservation.targetId } } : {}),
    },
    ...(i.capacityReservation?.runningIn ? { CapacityReservationId: i.capacityReservation.runningIn } : {}),
    HibernationOptions: { Configured: i.hibernation ?? false },
    Monitoring: { State: i.monitoring ?? 'disabled' },
    ...(i.stateReasonCode ? { StateReason: { Code: i.stateReasonCode, Message: `${i.stateReasonCode}: ${STATE_REASONS[i.stateReasonCode] ?? 'state changed'}` } } : {}),
    ...(i.publicIp && i.state === 'running' ? { PublicIpAddress: i.publicIp.address } : {}),
    NetworkInterfaces: [
      {
        NetworkInterfaceId: `eni-${i.id.slice(2)}`,
        Attachment: { AttachmentId: `eni-attach-${i.id.slice(2)}`, AttachTime: new Date(i.firstLaunchTime ?? i.launchTime), DeviceIndex: 0, Status: 'attached', DeleteOnTermination: true },
        ...(i.publicIp && (i.state === 'running' || i.publicIp.elastic) ? { Association: { PublicIp: i.publicIp.address, IpOwnerId: i.publicIp.elastic ? ownerId : 'amazon' } } : {}),
        Status: 'in-use',
      },
    ],
    State: stateOut(i.state),
    StateTransitionReason: i.stateChangedAt ? `User initiated (${i.stateChangedAt.replace('T', ' ').replace(/\.\d+Z$/, ' GMT')})` : '',
    RootDeviceType: i.rootDeviceType,
    RootDeviceName: '/dev/xvda',
    Architecture: i.architecture ?? archOf(i.instanceType),
    EnaSupport: i.enaSupport ?? true,
    PlatformDetails: i.platformDetails ?? 'Linux/UNIX',
    ...(i.platformDetails?.startsWith('Windows') ? { Platform: 'windows' } : {}),
    VirtualizationType: 'hvm',
    ...(i.lifecycle ? { InstanceLifecycle: i.lifecycle } : {}),
    BlockDeviceMappings:
      i.rootDeviceType === 'ebs' || i.volumeIds.length
        ? i.volumeIds.map((volumeId, n) => ({
            DeviceName: n === 0 ? '/dev/xvda' : `/dev/xvd${String.fromCharCode(98 + n)}`,
            Ebs: { VolumeId: volumeId, Status: 'attached', AttachTime: new Date(i.launchTime), DeleteOnTermination: n === 0 },
          }))
        : [],
    ...(i.tags && Object.keys(i.tags).length ? { Tags: tagList(i.tags) } : {}),
  };
}

/** Groups instances into reservations, keeping the order of first appearance (as EC2 lists them). */
function reservations(instances: SandboxInstance[], ownerId: string) {
  const byId = new Map<string, SandboxInstance[]>();
  for (const i of instances) byId.set(i.reservationId, [...(byId.get(i.reservationId) ?? []), i]);
  return [...byId.entries()].map(([ReservationId, list]) => ({ ReservationId, OwnerId: ownerId, Groups: [], Instances: list.map((i) => instanceOut(i, ownerId)) }));
}

function ids(input: { InstanceIds?: string[] }): string[] {
  const list = input.InstanceIds ?? [];
  if (list.length === 0) throw awsError('MissingParameter', 'The request must contain the parameter InstanceId');
  return list;
}

export const ec2InstanceOperations: Record<string, OperationHandler> = {
  DescribeInstances(input, env) {
    const state = stateOf(env);
    if (input.InstanceIds?.length && input.MaxResults !== undefined) {
      throw awsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    let items = input.InstanceIds?.length ? (input.InstanceIds as string[]).map((id) => instanceOrThrow(state, id, env.now)) : Object.values(state.instances).map((i) => settle(i, env.now));
    // Terminated instances stay visible for about an hour in EC2; the sandbox keeps them visible.
    items = items.filter((i) =>
      matchesFilters(input.Filters, { 'instance-state-name': i.state, 'instance-id': i.id, 'instance-type': i.instanceType, 'root-device-type': i.rootDeviceType, 'availability-zone': i.availabilityZone }, i.tags),
    );
    const { page: out, nextToken } = page(items, input, 'DescribeInstances');
    return { Reservations: reservations(out, env.account.id), NextToken: nextToken };
  },

  StopInstances(input, env) {
    const state = stateOf(env);
    const targets = ids(input).map((id) => instanceOrThrow(state, id, env.now));
    // EC2 checks every instance before changing any.
    for (const i of targets) {
      if (i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'pending') throw awsError('IncorrectInstanceState', `This instance '${i.id}' is not in a state from which it can be stopped.`);
      if (i.rootDeviceType !== 'ebs') throw awsError('UnsupportedOperation', `The instance '${i.id}' does not have an 'ebs' root device type and cannot be stopped.`);
      if (i.lifecycle === 'spot') throw awsError('UnsupportedOperation', `The instance '${i.id}' is a spot instance and cannot be stopped.`);
    }
    return {
      StoppingInstances: targets.map((i) => {
        const previous = i.state;
        if (previous === 'running') {
          transition(i, env, 'stopping', 'stopped', STOPPING_MS);
          i.stateReasonCode = 'Client.UserInitiatedShutdown';
        }
        return { InstanceId: i.id, PreviousState: stateOut(previous), CurrentState: stateOut(previous === 'stopped' ? 'stopped' : 'stopping') };
      }),
    };
  },

  StartInstances(input, env) {
    const state = stateOf(env);
    const targets = ids(input).map((id) => instanceOrThrow(state, id, env.now));
    for (const i of targets) {
      if (i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'stopping') {
        throw awsError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be started.`);
      }
      if (i.state !== 'stopped') continue;
      if (i.noCapacityFor?.types.includes(i.instanceType) && (i.noCapacityFor.at ?? 'start') === 'start') {
        throw awsError('InsufficientInstanceCapacity', `We currently do not have sufficient ${i.instanceType} capacity in the Availability Zone you requested (${i.availabilityZone}). Our system will be working on provisioning additional capacity. You can currently get ${i.instanceType} capacity by not specifying an Availability Zone in your request or choosing a different Availability Zone.`, 500);
      }
      // An upsize past the account's On-Demand vCPU quota for the type's bucket (EC2 API "Error codes": VcpuLimitExceeded, client error).
      if (i.vcpuLimitFor?.includes(i.instanceType)) {
        throw awsError('VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.');
      }
      if (i.hostId && i.hostInstanceTypes && !i.hostInstanceTypes.includes(i.instanceType)) {
        throw awsError('InsufficientCapacityOnHost', `There is not enough capacity on the Dedicated Host ${i.hostId} to start the instance ${i.id} as ${i.instanceType}.`);
      }
      const cr = i.capacityReservation;
      if (cr?.targetId && cr.targetType && cr.targetType !== i.instanceType) {
        throw awsError('ReservationCapacityExceeded', `The targeted Capacity Reservation ${cr.targetId} (${cr.targetType}) does not have capacity for an instance of type ${i.instanceType}.`);
      }
    }
    return {
      StartingInstances: targets.map((i) => {
        const previous = i.state;
        if (previous === 'stopped') {
          // LaunchTime is "the time that the instance was last launched": a start sets it.
          i.firstLaunchTime ??= i.launchTime;
          i.launchTime = env.now.toISOString();
          delete i.stateReasonCode;
          if (i.noCapacityFor?.types.includes(i.instanceType) && i.noCapacityFor.at === 'pending') {
            // Accepted, then back to stopped once the transition ends (the pending time is at least a moment).
            i.state = 'pending';
            i.stateChangedAt = env.now.toISOString();
            i.transitionUntil = new Date(env.now.getTime() + Math.max(1, env.sandbox.duration(PENDING_MS))).toISOString();
            i.startFailsWith = 'Server.InsufficientInstanceCapacity';
            return { InstanceId: i.id, PreviousState: stateOut(previous), CurrentState: stateOut('pending') };
          }
          transition(i, env, 'pending', 'running', PENDING_MS);
          i.statusOkAt = new Date(env.now.getTime() + env.sandbox.duration(PENDING_MS) + env.sandbox.duration(STATUS_INIT_MS)).toISOString();
        }
        return { InstanceId: i.id, PreviousState: stateOut(previous), CurrentState: stateOut(previous === 'running' ? 'running' : 'pending') };
      }),
    };
  },

  /**
   * The type changes only while stopped (IncorrectInstanceState otherwise); a name that is not a
   * type is InvalidInstanceAttributeValue; a type of another architecture than the AMI's is
   * InvalidParameterValue; an ENA-requiring type without EnaSupport is InvalidParameterCombination;
   * a type the catalogue does not know is Unsupported.
   */
  ModifyInstanceAttribute(input, env) {
    const state = stateOf(env);
    const i = instanceOrThrow(state, input.InstanceId, env.now);
    const value: string | undefined = input.InstanceType?.Value;
    if (value === undefined) throw awsError('InvalidParameterCombination', 'The trimtab sandbox models only the InstanceType attribute.');
    // "If the instance type is not valid, the error returned is InvalidInstanceAttributeValue" (ModifyInstanceAttributeRequest.InstanceType).
    if (!TYPE_NAME.test(value)) throw awsError('InvalidInstanceAttributeValue', `Value (${value}) for parameter instanceType is invalid.`);
    if (i.state !== 'stopped') throw awsError('IncorrectInstanceState', `The instance '${i.id}' is not in the 'stopped' state.`);
    const row = tableInfo(value);
    if (!row && !instanceTypeInfo(value)) throw awsError('Unsupported', `The requested instance type '${value}' is not supported in your requested Availability Zone.`);
    const arch = i.architecture ?? archOf(i.instanceType);
    if ((row?.architecture ?? archOf(value)) !== arch) throw awsError('InvalidParameterValue', `The instance type '${value}' does not support the architecture '${arch}' of the instance's AMI.`);
    if (!XEN_FAMILIES.includes(value.split('.')[0]) && i.enaSupport === false) {
      throw awsError('InvalidParameterCombination', `Enhanced networking with the Elastic Network Adapter (ENA) is required for the '${value}' instance type. Ensure that your instance '${i.id}' is enabled for ENA.`);
    }
    i.instanceType = value;
    return {};
  },

  /** Running instances only unless IncludeAllInstances; 'initializing' until statusOkAt. */
  DescribeInstanceStatus(input, env) {
    const state = stateOf(env);
    let items = input.InstanceIds?.length ? (input.InstanceIds as string[]).map((id) => instanceOrThrow(state, id, env.now)) : Object.values(state.instances).map((i) => settle(i, env.now));
    if (!input.IncludeAllInstances) items = items.filter((i) => i.state === 'running');
    const { page: out, nextToken } = page(items, input, 'DescribeInstanceStatus');
    return {
      InstanceStatuses: out.map((i) => {
        const running = i.state === 'running';
        const status = !running ? 'not-applicable' : i.statusOkAt && Date.parse(i.statusOkAt) > env.now.getTime() ? 'initializing' : 'ok';
        const detail = [{ Name: 'reachability', Status: status === 'ok' ? 'passed' : status === 'initializing' ? 'initializing' : 'not-applicable' }];
        return {
          InstanceId: i.id,
          AvailabilityZone: i.availabilityZone,
          InstanceState: stateOut(i.state),
          InstanceStatus: { Status: status, Details: detail },
          SystemStatus: { Status: status, Details: detail },
        };
      }),
      NextToken: nextToken,
    };
  },

  /** Burstable instances' credit option; InstanceIds (≤1000) cannot be combined with MaxResults. */
  DescribeInstanceCreditSpecifications(input, env) {
    const state = stateOf(env);
    if (input.InstanceIds?.length && input.MaxResults !== undefined) throw awsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    if ((input.InstanceIds?.length ?? 0) > 1000) throw awsError('InvalidParameterValue', 'The maximum number of instance IDs is 1000.');
    const mode = (i: SandboxInstance) => (/^t\d/.test(i.instanceType) ? (i.cpuCredits ?? (i.instanceType.startsWith('t2.') ? 'standard' : 'unlimited')) : 'standard');
    // With ids: each one's option (standard for a non-burstable type). Without: the unlimited ones only.
    const items = input.InstanceIds?.length ? (input.InstanceIds as string[]).map((id) => instanceOrThrow(state, id, env.now)) : Object.values(state.instances).filter((i) => mode(i) === 'unlimited');
    const { page: out, nextToken } = paginate(items, { token: input.NextToken, max: input.MaxResults ?? 1000 }, { defaultMax: 1000, maxMax: 1000, minMax: 5, operation: 'DescribeInstanceCreditSpecifications', invalidTokenCode: 'InvalidParameterValue' });
    return { InstanceCreditSpecifications: out.map((i) => ({ InstanceId: i.id, CpuCredits: mode(i) })), NextToken: nextToken };
  },

  DescribeInstanceTypes(input) {
    const names: string[] = input.InstanceTypes ?? [];
    if (names.length > 100) throw awsError('InvalidParameterValue', 'The parameter InstanceTypes may contain at most 100 values.');
    const items = names.length
      ? names.map((t) => instanceTypeInfo(t) ?? (() => { throw awsError('InvalidInstanceType', `The following supplied instance types do not exist: [${t}]`); })())
      : [...Object.keys(INSTANCE_STORAGE), 'm5.large', 't3.medium'].map((t) => instanceTypeInfo(t)!);
    const filtered = items.filter((t) =>
      (input.Filters ?? []).every((f: { Name?: string; Values?: string[] }) => {
        if (f.Name === 'instance-storage-supported') return (f.Values ?? []).includes(String(t.InstanceStorageSupported));
        if (f.Name === 'instance-type') return (f.Values ?? []).includes(t.InstanceType);
        throw awsError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
      }),
    );
    const { page: out, nextToken } = paginate(filtered, { token: input.NextToken, max: input.MaxResults ?? 100 }, { defaultMax: 100, maxMax: 100, minMax: 5, operation: 'DescribeInstanceTypes', invalidTokenCode: 'InvalidParameterValue' });
    return { InstanceTypes: out, NextToken: nextToken };
  },

  DescribeNatGateways(input, env) {
    const state = stateOf(env);
    let items: SandboxNatGateway[];
    if (input.NatGatewayIds?.length) {
      items = (input.NatGatewayIds as string[]).map(
        (id) => state.natGateways[id] ?? (() => { throw awsError('NatGatewayNotFound', `The Nat Gateway ${id} was not found`); })(),
      );
    } else items = Object.values(state.natGateways);
    // DescribeNatGateways names its filter list `Filter` (singular), unlike most EC2 calls.
    items = items.filter((n) => matchesFilters(input.Filter, { 'nat-gateway-id': n.id, state: n.state, 'subnet-id': n.subnetId, 'vpc-id': n.vpcId }, n.tags));
    const { page: out, nextToken } = page(items, input, 'DescribeNatGateways');
    return {
      NatGateways: out.map((n) => ({
        NatGatewayId: n.id,
        State: n.state,
        VpcId: n.vpcId,
        SubnetId: n.subnetId,
        CreateTime: new Date(n.createTime),
        ConnectivityType: n.connectivityType,
        NatGatewayAddresses: n.allocationId
          ? [{ AllocationId: n.allocationId, PublicIp: n.publicIp, PrivateIp: '10.0.0.10', NetworkInterfaceId: `eni-${n.id.slice(4)}`, IsPrimary: true, Status: 'succeeded' }]
          : [],
        ...(n.tags && Object.keys(n.tags).length ? { Tags: tagList(n.tags) } : {}),
      })),
      NextToken: nextToken,
    };
  },
};
