/**
 * EC2 instances, listed with DescribeInstances (running and stopped, 1,000 a page, flattened
 * from reservations); each DescribeInstances page is one page of the run. Enrichment is batched
 * per page, never per instance:
 * - usage and right-sizing (needs `usage`, `utilization`, `credits`): the page's daily metric
 *   queries (3 per running instance for usage, 6 for right-sizing, 2 more per burstable one for
 *   credits) go out together, 500 a GetMetricData call, so a page costs ⌈queries / 500⌉ calls;
 * - volumes (need `volumes`): a run that lists every instance reads the region's attached
 *   volumes once (DescribeVolumes, `status` = `in-use`, 1,000 a page); an event-driven run (named
 *   instances) filters by the page's volume ids (200 a filter);
 * - instance storage (need `instance-storage`): DescribeInstanceTypes for the page's types not
 *   seen yet this run (≤100 a call, cached in `prepared`), so a run makes about one call. An
 *   EBS-backed c5d/m5d/i3 still has instance-store volumes, and stopping it loses their data:
 *   the instance's block-device mappings do not list them (NVMe instance store is attached
 *   whatever the mappings say), the instance type does (InstanceStorageSupported,
 *   InstanceStorageInfo.TotalSizeInGB).
 */
import { CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { dailyMetricSeries } from '../../aws/metrics.ts';
import { EC2Client, paginateDescribeInstanceCreditSpecifications, paginateDescribeInstanceTypes, paginateDescribeInstances, paginateDescribeVolumes, type Instance, type Volume } from '@aws-sdk/client-ec2';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { enrichmentRead, isReadFailure } from '../../engine/partial.ts';
import { batches } from '../../util/async.ts';
import type { VolumeFacts } from './generations.ts';
import { partitionOf } from '../../aws/regions.ts';

export const EC2_NEEDS = { usage: 'usage', volumes: 'volumes', instanceStorage: 'instance-storage', utilization: 'utilization', credits: 'credits' } as const;

/** Instance type → its instance storage in GB (0: none), filled as pages need it. */
export interface Ec2InstancePrepared {
  instanceStorageGb: Map<string, number>;
  /** Need `credits`: the instances whose CPU credit option is unlimited (the rest of the T family is standard). */
  unlimitedCredits?: Set<string>;
  /** Set by `list`: the run lists every instance of the region (no ids), so every attached volume is read in one listing. */
  listsAll?: boolean;
  /** Need `volumes` in a run that lists every instance: the region's attached volumes, read on the first page that needs them. */
  attachedVolumes?: Promise<Map<string, VolumeFacts>>;
}
/** A detector asks for a window with `window:<days>`; the longest asked for is fetched. */
export const windowNeed = (days: number) => `window:${days}`;
export const DEFAULT_WINDOW_DAYS = 14;
/** Tag EC2 Auto Scaling puts on the instances it launches. */
export const ASG_TAG = 'aws:autoscaling:groupName';

const DAY_MS = 86_400_000;

/** One UTC day of an instance's metrics; null where CloudWatch has no datapoint. */
export interface DailyUsage {
  /** The day's start, ISO date. */
  day: string;
  /** Daily average CPUUtilization, percent. */
  cpuPercent: number | null;
  /** NetworkIn + NetworkOut over the day, bytes. */
  networkBytes: number | null;
}

export interface Ec2Instance {
  id: string;
  arn: string;
  region: string;
  instanceType: string;
  state: string;
  /** When the state last changed, from StateTransitionReason ("User initiated (… GMT)"), ISO. */
  stateChangedAt?: string;
  launchTime?: string;
  rootDeviceType: string;
  /** 'spot' or 'scheduled'; absent for on-demand. */
  lifecycle?: string;
  tags: Record<string, string>;
  volumeIds: string[];
  /** Oldest day first (need `usage`, running instances only). */
  usage?: { windowDays: number; days: DailyUsage[] };
  /** Attached volumes (need `volumes`). */
  volumes?: VolumeFacts[];
  /** Instance-store capacity of its type in GB, 0 when none, null when AWS did not describe the type (need `instance-storage`). */
  instanceStorageGb?: number | null;
  /** The AMI's architecture (DescribeInstances `Architecture`: "the architecture of the image"). */
  architecture?: string;
  /** PlatformDetails: the AMI's billing product ('Linux/UNIX', 'Windows', 'Red Hat Enterprise Linux', ...): sets the on-demand rate. */
  platformDetails?: string;
  /** The instance's ENA attribute (EnaSupport): a Nitro type needs it. */
  enaSupport?: boolean;
  /** Window peaks for right-sizing (need `utilization`, running instances only). */
  utilization?: Utilization;
  /** Burstable instances: credit mode and balance (need `credits`). */
  credits?: CreditUse;
  /** StateReason.Code, e.g. `Client.UserInitiatedHibernate` (hibernated) or `Server.InsufficientInstanceCapacity` (a start failed). */
  stateReasonCode?: string;
  /** Placement: tenancy (`default`, `dedicated`, `host`), the Dedicated Host and the placement group, when set. */
  placement?: { tenancy?: string; hostId?: string; groupName?: string };
  /**
   * CapacityReservationSpecification (preference `open` / `none` / `capacity-reservations-only`,
   * and a targeted reservation or reservation group), and `runningIn`: Instance.CapacityReservationId,
   * the reservation it runs in now.
   */
  capacityReservation?: { preference?: string; targetId?: string; targetGroupArn?: string; runningIn?: string };
  /** HibernationOptions.Configured: the instance was launched with hibernation enabled. */
  hibernationConfigured?: boolean;
  /**
   * Its public IPv4 address, when it has one: `ephemeral` (auto-assigned: released at a stop, a new
   * one at the start) or `elastic` (an Elastic IP: kept). From PublicIpAddress and the primary
   * interface's Association.IpOwnerId (`amazon` for an auto-assigned address).
   */
  publicIpv4?: 'ephemeral' | 'elastic';
  /** Monitoring.State `enabled` (or `disabling`): detailed monitoring, AWS/EC2 metrics every minute instead of every 5 minutes. */
  detailedMonitoring?: boolean;
}

/**
 * Instance storage per type for the types not known yet: one DescribeInstanceTypes per 100 types.
 * IncludeUnsupportedInRegion: an old instance may run a type the region no longer offers. If
 * AWS still refuses a name (InvalidInstanceType fails the whole call), each type is asked alone
 * and the ones AWS cannot describe stay unknown (apply then refuses to stop them).
 */
export async function readInstanceStorage(ec2: EC2Client, types: string[], known: Map<string, number>): Promise<Map<string, number>> {
  const missing = [...new Set(types)].filter((t) => !known.has(t));
  const describe = async (names: string[]) => {
    // The answer pages (NextToken) even when the types are named: follow it, or types go missing.
    for await (const out of paginateDescribeInstanceTypes({ client: ec2 }, { InstanceTypes: names as never[], IncludeUnsupportedInRegion: true })) {
      for (const t of out.InstanceTypes ?? []) {
        if (t.InstanceType) known.set(t.InstanceType, t.InstanceStorageSupported ? (t.InstanceStorageInfo?.TotalSizeInGB ?? 1) : 0);
      }
    }
  };
  for (const chunk of batches(missing, 100)) {
    try {
      await describe(chunk);
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidInstanceType' || chunk.length === 1) {
        if ((error as { name?: string }).name === 'InvalidInstanceType') continue;
        throw error;
      }
      for (const name of chunk) await describe([name]).catch((e) => { if ((e as { name?: string }).name !== 'InvalidInstanceType') throw e; });
    }
  }
  return known;
}

function transitionTime(reason: string | undefined): { stateChangedAt?: string } {
  const m = /\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) GMT\)/.exec(reason ?? '');
  return m ? { stateChangedAt: new Date(`${m[1].replace(' ', 'T')}Z`).toISOString() } : {};
}

function placementOf(i: Instance): Pick<Ec2Instance, 'placement' | 'capacityReservation'> {
  const p = i.Placement;
  const placement = { ...(p?.Tenancy ? { tenancy: p.Tenancy } : {}), ...(p?.HostId ? { hostId: p.HostId } : {}), ...(p?.GroupName ? { groupName: p.GroupName } : {}) };
  const spec = i.CapacityReservationSpecification;
  const target = spec?.CapacityReservationTarget;
  const capacityReservation = {
    ...(spec?.CapacityReservationPreference ? { preference: spec.CapacityReservationPreference } : {}),
    ...(target?.CapacityReservationId ? { targetId: target.CapacityReservationId } : {}),
    ...(target?.CapacityReservationResourceGroupArn ? { targetGroupArn: target.CapacityReservationResourceGroupArn } : {}),
    ...(i.CapacityReservationId ? { runningIn: i.CapacityReservationId } : {}),
  };
  return { ...(Object.keys(placement).length ? { placement } : {}), ...(Object.keys(capacityReservation).length ? { capacityReservation } : {}) };
}

function publicIpv4Of(i: Instance): Pick<Ec2Instance, 'publicIpv4'> {
  if (!i.PublicIpAddress) return {};
  const owner = (i.NetworkInterfaces ?? []).map((n) => n.Association).find((a) => a?.PublicIp === i.PublicIpAddress)?.IpOwnerId;
  // An Elastic IP is owned by the account (or a BYOIP pool); an auto-assigned address by `amazon`.
  // Without the association the address is taken as auto-assigned: the warning errs on the safe side.
  return { publicIpv4: owner && owner !== 'amazon' ? 'elastic' : 'ephemeral' };
}

export function toInstance(i: Instance, region: string, account: string): Ec2Instance {
  const tags: Record<string, string> = {};
  for (const t of i.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    id: i.InstanceId!,
    arn: `arn:${partitionOf(region)}:ec2:${region}:${account}:instance/${i.InstanceId}`,
    region,
    instanceType: i.InstanceType ?? 'unknown',
    state: i.State?.Name ?? 'unknown',
    ...transitionTime(i.StateTransitionReason),
    ...(i.LaunchTime ? { launchTime: new Date(i.LaunchTime).toISOString() } : {}),
    rootDeviceType: i.RootDeviceType ?? 'unknown',
    ...(i.InstanceLifecycle ? { lifecycle: i.InstanceLifecycle } : {}),
    tags,
    ...(i.Architecture ? { architecture: i.Architecture } : {}),
    ...(i.EnaSupport !== undefined ? { enaSupport: i.EnaSupport } : {}),
    ...(i.PlatformDetails ? { platformDetails: i.PlatformDetails } : {}),
    ...(i.StateReason?.Code ? { stateReasonCode: i.StateReason.Code } : {}),
    ...placementOf(i),
    ...(i.HibernationOptions?.Configured ? { hibernationConfigured: true } : {}),
    ...publicIpv4Of(i),
    ...(i.Monitoring?.State === 'enabled' || i.Monitoring?.State === 'disabling' ? { detailedMonitoring: true } : {}),
    volumeIds: (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.VolumeId).filter((v): v is string => Boolean(v)),
  };
}

export const windowDaysOf = (needs: ReadonlySet<string>) =>
  Math.max(0, ...[...needs].filter((n) => n.startsWith('window:')).map((n) => Number(n.slice(7)))) || DEFAULT_WINDOW_DAYS;

/** The window's whole UTC days, ending at today's midnight: today's partial day would look idle. */
function metricWindow(now: Date, windowDays: number): { start: Date; end: Date } {
  const end = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  return { start: new Date(end.getTime() - windowDays * DAY_MS), end };
}

type Series = Map<string, (number | null)[]>;

/** Daily CPU and network for running instances: 3 queries each (ids `cpu<n>`, `nin<n>`, `nout<n>`). */
function usageQueries(instances: Ec2Instance[]): MetricDataQuery[] {
  const metric = (i: number, id: string, name: string, stat: string): MetricDataQuery => ({
    Id: `${name === 'CPUUtilization' ? 'cpu' : name === 'NetworkIn' ? 'nin' : 'nout'}${i}`,
    MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: name, Dimensions: [{ Name: 'InstanceId', Value: id }] }, Period: 86_400, Stat: stat },
    ReturnData: true,
  });
  return instances.flatMap((inst, i) => [metric(i, inst.id, 'CPUUtilization', 'Average'), metric(i, inst.id, 'NetworkIn', 'Sum'), metric(i, inst.id, 'NetworkOut', 'Sum')]);
}

function usageFrom(series: Series, instances: Ec2Instance[], start: Date, windowDays: number): Map<string, DailyUsage[]> {
  const out = new Map<string, DailyUsage[]>();
  instances.forEach((inst, i) => {
    const cpu = series.get(`cpu${i}`) ?? [];
    const nin = series.get(`nin${i}`) ?? [];
    const nout = series.get(`nout${i}`) ?? [];
    out.set(
      inst.id,
      Array.from({ length: windowDays }, (_, d) => ({
        day: new Date(start.getTime() + d * DAY_MS).toISOString().slice(0, 10),
        cpuPercent: cpu[d] ?? null,
        // Network counts only when both directions reported (a missing side would understate it).
        networkBytes: nin[d] != null && nout[d] != null ? nin[d]! + nout[d]! : null,
      })),
    );
  });
  return out;
}

/**
 * Right-sizing figures over the window. CloudWatch gives a percentile per period, not over many
 * periods, so each day's p95 is read and the busiest day's p95 is used (an upper bound of the
 * window's p95: the conservative side for shrinking).
 */
export interface Utilization {
  windowDays: number;
  /** Days with CPU datapoints. */
  daysWithData: number;
  /** Busiest day's CPUUtilization p95 and the window's Maximum, percent. */
  cpuP95: number | null;
  cpuMax: number | null;
  /** Busiest day's mean CPU (burstable baselines are about sustained use). */
  cpuDailyMeanMax: number | null;
  /** NetworkIn + NetworkOut, busiest day's p95 of the datapoints (5-minute, or 1-minute with detailed monitoring), as Gbit/s. */
  networkGbpsP95: number | null;
  /** CWAgent mem_used_percent (dimension InstanceId) busiest day's p95 and Maximum; null when the agent does not publish it. */
  memoryP95: number | null;
  memoryMax: number | null;
}

export interface CreditUse {
  /** DescribeInstanceCreditSpecifications CpuCredits; null when AWS did not say. */
  mode: 'standard' | 'unlimited' | null;
  /** Days whose CPUCreditBalance Minimum fell to `exhaustedAt` credits or below, and the lowest balance. */
  daysExhausted: number;
  minBalance: number | null;
  /** CPUSurplusCreditsCharged summed over the window (unlimited mode: billed). */
  surplusCreditsCharged: number;
}

/** A credit balance at or under this counts as run out. */
export const CREDITS_EXHAUSTED_AT = 1;
export const isBurstable = (type: string) => /^t\d/.test(type);
/**
 * AWS/EC2 NetworkIn/NetworkOut are bytes per datapoint: every 5 minutes with basic monitoring,
 * every minute with detailed monitoring (EC2 User Guide, "Instance metrics": "the number of bytes
 * received … in a specified period", and "Manage detailed monitoring"). The daily p95 is of those
 * datapoints, so it is divided by the instance's own datapoint period.
 */
export const networkPeriodSeconds = (i: Pick<Ec2Instance, 'detailedMonitoring'>) => (i.detailedMonitoring ? 60 : 300);

/**
 * Right-sizing queries: 6 per instance (CPU p95 and Maximum, NetworkIn/Out p95, memory p95 and
 * Maximum), 2 more per burstable instance (CPUCreditBalance Minimum, CPUSurplusCreditsCharged Sum).
 */
function utilizationQueries(instances: Ec2Instance[], withCredits: boolean): MetricDataQuery[] {
  const q = (id: string, namespace: string, name: string, instanceId: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: [{ Name: 'InstanceId', Value: instanceId }] }, Period: 86_400, Stat: stat },
    ReturnData: true,
  });
  return instances.flatMap((inst, n) => [
    q(`cp${n}`, 'AWS/EC2', 'CPUUtilization', inst.id, 'p95'),
    q(`cx${n}`, 'AWS/EC2', 'CPUUtilization', inst.id, 'Maximum'),
    q(`ni${n}`, 'AWS/EC2', 'NetworkIn', inst.id, 'p95'),
    q(`no${n}`, 'AWS/EC2', 'NetworkOut', inst.id, 'p95'),
    q(`mp${n}`, 'CWAgent', 'mem_used_percent', inst.id, 'p95'),
    q(`mx${n}`, 'CWAgent', 'mem_used_percent', inst.id, 'Maximum'),
    ...(withCredits && isBurstable(inst.instanceType)
      ? [q(`cb${n}`, 'AWS/EC2', 'CPUCreditBalance', inst.id, 'Minimum'), q(`cs${n}`, 'AWS/EC2', 'CPUSurplusCreditsCharged', inst.id, 'Sum')]
      : []),
  ]);
}

function utilizationFrom(series: Series, instances: Ec2Instance[], windowDays: number): Map<string, { utilization: Utilization; credits?: CreditUse }> {
  const known = (id: string) => (series.get(id) ?? []).filter((v): v is number => v !== null && v !== undefined);
  const peak = (id: string) => (known(id).length ? Math.max(...known(id)) : null);
  // The daily means come from the usage need when asked; otherwise the p95 stands in (higher: safe side).
  const out = new Map<string, { utilization: Utilization; credits?: CreditUse }>();
  instances.forEach((inst, n) => {
    const nin = series.get(`ni${n}`) ?? [];
    const nout = series.get(`no${n}`) ?? [];
    const net = nin.map((v, d) => (v != null && nout[d] != null ? v + nout[d]! : null)).filter((v): v is number => v !== null);
    const means = (inst.usage?.days ?? []).map((d) => d.cpuPercent).filter((v): v is number => v !== null);
    const utilization: Utilization = {
      windowDays,
      daysWithData: known(`cp${n}`).length,
      cpuP95: peak(`cp${n}`),
      cpuMax: peak(`cx${n}`),
      cpuDailyMeanMax: means.length ? Math.max(...means) : peak(`cp${n}`),
      networkGbpsP95: net.length ? (Math.max(...net) * 8) / networkPeriodSeconds(inst) / 1e9 : null,
      memoryP95: peak(`mp${n}`),
      memoryMax: peak(`mx${n}`),
    };
    const balance = series.get(`cb${n}`);
    const credits: CreditUse | undefined = balance
      ? {
          mode: null,
          daysExhausted: balance.filter((v) => v != null && v <= CREDITS_EXHAUSTED_AT).length,
          minBalance: known(`cb${n}`).length ? Math.min(...known(`cb${n}`)) : null,
          surplusCreditsCharged: known(`cs${n}`).reduce((a, b) => a + b, 0),
        }
      : undefined;
    out.set(inst.id, { utilization, ...(credits ? { credits } : {}) });
  });
  return out;
}

/**
 * The instances with the unlimited CPU credit option, once per region and run: without instance
 * ids, DescribeInstanceCreditSpecifications returns exactly those (and instances once T-family
 * and unlimited), 1,000 a page; a T-family instance it does not list is standard (EC2 API
 * Reference, DescribeInstanceCreditSpecifications).
 */
async function readUnlimited(ec2: EC2Client): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const page of paginateDescribeInstanceCreditSpecifications({ client: ec2, pageSize: 1000 }, {})) {
    for (const s of page.InstanceCreditSpecifications ?? []) if (s.InstanceId && s.CpuCredits === 'unlimited') out.add(s.InstanceId);
  }
  return out;
}

const volumeFacts = (v: Volume): VolumeFacts => ({ volumeId: v.VolumeId!, volumeType: v.VolumeType ?? 'unknown', sizeGb: v.Size ?? 0, ...(v.Iops !== undefined ? { iops: v.Iops } : {}) });

/** Volumes by id: DescribeVolumes with a volume-id filter (EC2 takes at most 200 values a filter). */
async function readVolumes(ec2: EC2Client, volumeIds: string[]): Promise<Map<string, VolumeFacts>> {
  const out = new Map<string, VolumeFacts>();
  for (const chunk of batches([...new Set(volumeIds)], 200)) {
    for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 1000 }, { Filters: [{ Name: 'volume-id', Values: chunk }] })) {
      for (const v of page.Volumes ?? []) if (v.VolumeId) out.set(v.VolumeId, volumeFacts(v));
    }
  }
  return out;
}

/**
 * Every attached volume of the region: DescribeVolumes filtered by `status` = `in-use`, 1,000 a
 * page. A run that lists every instance reads them this way, once per region: ⌈attached / 1,000⌉
 * calls, where a volume-id filter (200 values at most) costs ⌈volumes / 200⌉.
 */
async function readAttachedVolumes(ec2: EC2Client): Promise<Map<string, VolumeFacts>> {
  const out = new Map<string, VolumeFacts>();
  for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 1000 }, { Filters: [{ Name: 'status', Values: ['in-use'] }] })) {
    for (const v of page.Volumes ?? []) if (v.VolumeId) out.set(v.VolumeId, volumeFacts(v));
  }
  return out;
}

export const ec2InstanceResource: ResourceType<Ec2Instance, Ec2InstancePrepared> = {
  id: 'ec2-instance',
  title: 'EC2 instance',
  permissions: ['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeInstanceTypes', 'ec2:DescribeInstanceCreditSpecifications', 'cloudwatch:GetMetricData'],

  async prepare(ctx, needs) {
    // A failed read costs only the credit figures (lib/engine/partial.ts): the rest of the listing goes on.
    const unlimitedCredits = needs.has(EC2_NEEDS.credits)
      ? await enrichmentRead(ctx, { provides: [EC2_NEEDS.credits], operation: 'ec2:DescribeInstanceCreditSpecifications' }, () => readUnlimited(ctx.clients.get(EC2Client, ctx.region)))
      : undefined;
    return { instanceStorageGb: new Map(), ...(unlimitedCredits ? { unlimitedCredits } : {}) };
  },

  async *list(ctx, prepared, ids) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    // Terminated instances cost nothing and cannot be acted on; pending/stopping are mid-change.
    const states = { Name: 'instance-state-name', Values: ['running', 'stopped'] };
    // InstanceIds cannot be combined with MaxResults: event-driven runs filter by instance-id instead.
    prepared.listsAll = !ids?.length;
    const inputs = ids?.length ? batches(ids, 200).map((chunk) => ({ Filters: [states, { Name: 'instance-id', Values: chunk }] })) : [{ Filters: [states] }];
    async function* pages() {
      for (const input of inputs) {
        for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, input)) {
          yield (page.Reservations ?? []).flatMap((r) => (r.Instances ?? []).filter((i) => i.InstanceId).map((i) => toInstance(i, ctx.region, ctx.account)));
        }
      }
    }
    yield* pages();
  },

  async enrich(ctx, page, prepared, needs) {
    const enriched = page.map((i) => ({ ...i }));
    // Each read runs through enrichmentRead: when it fails, only the detectors needing what it provides skip these instances.
    if (needs.has(EC2_NEEDS.instanceStorage) && enriched.length) {
      const known = await enrichmentRead(ctx, { provides: [EC2_NEEDS.instanceStorage], items: enriched, operation: 'ec2:DescribeInstanceTypes' }, () =>
        readInstanceStorage(ctx.clients.get(EC2Client, ctx.region), enriched.map((i) => i.instanceType), prepared.instanceStorageGb),
      );
      if (known) for (const i of enriched) i.instanceStorageGb = known.get(i.instanceType) ?? null;
    }
    // Usage and right-sizing queries of the page go out together, 500 a GetMetricData call.
    const wantUsage = needs.has(EC2_NEEDS.usage);
    const wantPeaks = needs.has(EC2_NEEDS.utilization) || needs.has(EC2_NEEDS.credits);
    const running = enriched.filter((i) => i.state === 'running');
    if ((wantUsage || wantPeaks) && running.length) {
      const windowDays = windowDaysOf(needs);
      const { start, end } = metricWindow(ctx.now, windowDays);
      const queries = [...(wantUsage ? usageQueries(running) : []), ...(wantPeaks ? utilizationQueries(running, needs.has(EC2_NEEDS.credits)) : [])];
      const cw = ctx.clients.get(CloudWatchClient, ctx.region);
      const read = (provides: string[], q: MetricDataQuery[]) => enrichmentRead(ctx, { provides, items: running, operation: 'cloudwatch:GetMetricData' }, () => dailyMetricSeries(cw, q, start, end, windowDays));
      let usageSeries: Series | undefined;
      let peakSeries: Series | undefined;
      try {
        usageSeries = peakSeries = await dailyMetricSeries(cw, queries, start, end, windowDays);
      } catch (error) {
        // A failed batch is read again in its two parts, so a failure costs only the detectors needing that part (lib/engine/partial.ts).
        if (!isReadFailure(error)) throw error;
        usageSeries = wantUsage ? await read([EC2_NEEDS.usage], usageQueries(running)) : undefined;
        peakSeries = wantPeaks ? await read([EC2_NEEDS.utilization, EC2_NEEDS.credits], utilizationQueries(running, needs.has(EC2_NEEDS.credits))) : undefined;
      }
      if (usageSeries && wantUsage) {
        const usage = usageFrom(usageSeries, running, start, windowDays);
        for (const i of running) i.usage = { windowDays, days: usage.get(i.id)! };
      }
      const series = peakSeries;
      if (series && wantPeaks) {
        const peaks = utilizationFrom(series, running, windowDays);
        for (const i of running) {
          const p = peaks.get(i.id)!;
          i.utilization = p.utilization;
          if (p.credits) i.credits = p.credits;
        }
        if (prepared.unlimitedCredits) {
          for (const i of running) if (i.credits) i.credits.mode = prepared.unlimitedCredits.has(i.id) ? 'unlimited' : 'standard';
        }
      }
    }
    if (needs.has(EC2_NEEDS.volumes)) {
      const ids = enriched.flatMap((i) => i.volumeIds);
      const volumes = ids.length
        ? await enrichmentRead(ctx, { provides: [EC2_NEEDS.volumes], items: enriched.filter((i) => i.volumeIds.length), operation: 'ec2:DescribeVolumes' }, () => {
            const ec2 = ctx.clients.get(EC2Client, ctx.region);
            if (!prepared.listsAll) return readVolumes(ec2, ids);
            // One listing per region, shared by the pages; a failed one is asked again by the next page.
            prepared.attachedVolumes ??= readAttachedVolumes(ec2).catch((error: unknown) => {
              prepared.attachedVolumes = undefined;
              throw error;
            });
            return prepared.attachedVolumes;
          })
        : undefined;
      if (volumes) {
        for (const i of enriched) i.volumes = i.volumeIds.map((id) => volumes.get(id)).filter((v): v is VolumeFacts => Boolean(v));
      }
    }
    return enriched;
  },

  ref(i, ctx) {
    return { type: 'ec2-instance', id: i.id, arn: i.arn, account: ctx.account, region: i.region, tags: i.tags };
  },
};
