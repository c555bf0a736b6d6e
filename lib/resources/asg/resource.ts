/**
 * Auto Scaling groups: listed with DescribeAutoScalingGroups (paginated, 100 a page) and
 * regrouped into pages of up to 250 groups, so one GetMetricData call (≤500 queries: CPU and
 * in-service count per group) covers a whole page. Enrichment is batched:
 * - scaling policies: one region-wide paginated DescribePolicies, shared by every page;
 * - scaling activities: one region-wide paginated DescribeScalingActivities (no group name:
 *   AWS then searches every group), read newest first and stopped at the window's start;
 * - usage: GetMetricData over the window, hourly, all groups of the page in one call;
 * - instance types: from the group's instances, else its launch configuration (batched
 *   DescribeLaunchConfigurations, 50 names a call), else unknown.
 * Event-driven runs (`ids`) read policies and activities per named group instead: cheaper
 * for one group than a region-wide scan.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  paginateDescribeAutoScalingGroups,
  paginateDescribeLaunchConfigurations,
  paginateDescribePolicies,
  paginateDescribeScalingActivities,
  type AutoScalingGroup,
  type ScalingPolicy,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, paginateGetMetricData, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { RegionContext, ResourceType } from '../../engine/types.ts';
import { enrichmentRead } from '../../engine/partial.ts';
import { batches, chunked } from '../../util/async.ts';
import { isSavedPairs, resumablePages } from '../../engine/checkpoint.ts';
import type { HourlyProfile } from './usage.ts';
import type { Ec2Platform } from '../../savings/licensed.ts';
import { readGroupPlatforms } from './platform.ts';
import { partitionOf } from '../../aws/regions.ts';

export const ASG_NEEDS = { policies: 'policies', usage: 'usage', activities: 'activities', platform: 'platform' } as const;
/** A detector asks for a window with the need `window:<days>`; the longest asked for is fetched. */
export const windowNeed = (days: number) => `window:${days}`;
export const DEFAULT_WINDOW_DAYS = 14;

/** Groups per page handed to the detectors: 2 metric queries each fill one GetMetricData call. */
export const GROUPS_PER_PAGE = 250;
const METRIC_QUERIES_PER_CALL = 500;
const HOUR_MS = 3_600_000;

export interface ScalingActivitySummary {
  /** Successful activities that added (+) or removed (−) capacity, oldest first. */
  events: { at: string; direction: 1 | -1 }[];
}

export interface Group {
  name: string;
  arn: string;
  region: string;
  createdAt?: string;
  tags: Record<string, string>;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  defaultCooldown: number;
  defaultInstanceWarmup?: number;
  inServiceNow: number;
  enabledMetrics: string[];
  launchConfigurationName?: string;
  launchTemplate?: string;
  /** The launch template's id and the Version the group names (a number, `$Default` or `$Latest`). */
  launchTemplateId?: string;
  launchTemplateVersion?: string;
  /** The group launches through a mixed instances policy (several types by overrides), whatever its instances run now. */
  mixedInstancesPolicy?: boolean;
  instanceType?: string;
  instanceTypeSource: 'instances' | 'mixed-instances-policy' | 'launch-configuration' | 'unknown';
  /** Scaling policies of the group (need `policies`). */
  policies?: ScalingPolicy[];
  /** Hourly usage over the fetched window, oldest hour first (need `usage`). */
  usage?: HourlyProfile & { windowDays: number; inServiceSource: 'GroupInServiceInstances' | 'current in-service count' };
  /** Scaling activities in the window (need `activities`). */
  activities?: ScalingActivitySummary;
  /**
   * What the group's instances are billed as (need `platform`): the PlatformDetails of the AMI its
   * launch template version (or launch configuration) names, and the tenancy it sets; or why it
   * is unknown. Prices its instance hours at the right operating system (lib/savings/licensed.ts).
   */
  platform?: Ec2Platform;
}

export interface AsgPrepared {
  /** Set by list() when the run is narrowed to named groups. */
  narrowedTo?: readonly string[];
  policiesByGroup?: Promise<Map<string, ScalingPolicy[]>>;
  activitiesByGroup?: Promise<Map<string, ScalingActivitySummary>>;
  /** The region-wide reads once they succeeded: what a split unit keeps for the next invocation (savePrepared). */
  read?: { policiesByGroup?: Map<string, ScalingPolicy[]>; activitiesByGroup?: Map<string, ScalingActivitySummary> };
}

const mostCommon = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
};

export function toGroup(g: AutoScalingGroup, region: string): Group {
  const instanceTypes = (g.Instances ?? []).map((i) => i.InstanceType).filter((t): t is string => Boolean(t));
  const overrideType = g.MixedInstancesPolicy?.LaunchTemplate?.Overrides?.find((o) => o.InstanceType)?.InstanceType;
  const instanceType = mostCommon(instanceTypes) ?? overrideType;
  const lt = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  return {
    name: g.AutoScalingGroupName!,
    arn: g.AutoScalingGroupARN ?? `arn:${partitionOf(region)}:autoscaling:${region}::autoScalingGroup:*:autoScalingGroupName/${g.AutoScalingGroupName}`,
    region,
    createdAt: g.CreatedTime ? new Date(g.CreatedTime).toISOString() : undefined,
    tags: Object.fromEntries((g.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ''])),
    minSize: g.MinSize ?? 0,
    maxSize: g.MaxSize ?? 0,
    desiredCapacity: g.DesiredCapacity ?? 0,
    defaultCooldown: g.DefaultCooldown ?? 300,
    defaultInstanceWarmup: g.DefaultInstanceWarmup,
    inServiceNow: (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length,
    enabledMetrics: (g.EnabledMetrics ?? []).map((m) => m.Metric!).filter(Boolean),
    launchConfigurationName: g.LaunchConfigurationName,
    launchTemplate: lt ? (lt.LaunchTemplateName ?? lt.LaunchTemplateId) : undefined,
    ...(lt?.LaunchTemplateId ? { launchTemplateId: lt.LaunchTemplateId } : {}),
    ...(lt ? { launchTemplateVersion: lt.Version ?? '$Default' } : {}),
    ...(g.MixedInstancesPolicy ? { mixedInstancesPolicy: true } : {}),
    instanceType,
    instanceTypeSource: instanceTypes.length ? 'instances' : overrideType ? 'mixed-instances-policy' : 'unknown',
  };
}

/** The longest window any detector asked for. */
export function windowDaysOf(needs: ReadonlySet<string>): number {
  const days = [...needs].map((n) => /^window:(\d+)$/.exec(n)?.[1]).filter(Boolean).map(Number);
  return days.length ? Math.max(...days) : DEFAULT_WINDOW_DAYS;
}

/** Policies of some groups, or of every group in the region (no name: AWS returns them all). */
export async function readPolicies(client: AutoScalingClient, groupName?: string): Promise<Map<string, ScalingPolicy[]>> {
  const byGroup = new Map<string, ScalingPolicy[]>();
  for await (const page of paginateDescribePolicies({ client, pageSize: 100 }, { AutoScalingGroupName: groupName })) {
    for (const p of page.ScalingPolicies ?? []) {
      const list = byGroup.get(p.AutoScalingGroupName!) ?? [];
      list.push(p);
      byGroup.set(p.AutoScalingGroupName!, list);
    }
  }
  return byGroup;
}

/** One policy, fresh (apply/verify/undo re-read it). */
export async function readPolicy(client: AutoScalingClient, groupName: string, policyName: string): Promise<ScalingPolicy | undefined> {
  return (await readPolicies(client, groupName)).get(groupName)?.find((p) => p.PolicyName === policyName);
}

/** One group, fresh. */
export async function readGroup(client: AutoScalingClient, name: string, region: string): Promise<Group | undefined> {
  for await (const page of paginateDescribeAutoScalingGroups({ client, pageSize: 100 }, { AutoScalingGroupNames: [name] })) {
    const found = page.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
    if (found) return toGroup(found, region);
  }
  return undefined;
}

/** Successful capacity changes since `since`, by group; activities come newest first, so stop at the window. */
async function readActivities(client: AutoScalingClient, since: Date, groupName?: string): Promise<Map<string, ScalingActivitySummary>> {
  const byGroup = new Map<string, ScalingActivitySummary>();
  pages: for await (const page of paginateDescribeScalingActivities({ client, pageSize: 100 }, { AutoScalingGroupName: groupName })) {
    for (const a of page.Activities ?? []) {
      const at = a.StartTime ? new Date(a.StartTime) : undefined;
      if (!at) continue;
      if (at < since) break pages;
      if (a.StatusCode !== 'Successful') continue;
      const description = a.Description ?? '';
      const direction = /^Launching/i.test(description) ? 1 : /^Terminating/i.test(description) ? -1 : 0;
      if (direction === 0) continue;
      const summary = byGroup.get(a.AutoScalingGroupName!) ?? { events: [] };
      summary.events.push({ at: at.toISOString(), direction });
      byGroup.set(a.AutoScalingGroupName!, summary);
    }
  }
  for (const s of byGroup.values()) s.events.reverse();
  return byGroup;
}

/** Per named group (event-driven runs) or one region-wide scan, shared by every page. */
async function perGroupOrRegion<T>(names: string[], prepared: AsgPrepared, cache: 'policiesByGroup' | 'activitiesByGroup', read: (name?: string) => Promise<Map<string, T>>) {
  if (prepared.narrowedTo) {
    const merged = new Map<string, T>();
    for (const name of names) for (const [k, v] of await read(name)) merged.set(k, v);
    return merged;
  }
  (prepared as Record<string, unknown>)[cache] ??= read().then((map) => {
    (prepared.read ??= {})[cache] = map as never;
    return map;
  });
  return (await prepared[cache]) as Map<string, T>;
}

/** Hourly CPU and in-service count for every group of a page: ≤500 queries per GetMetricData call. */
async function readUsage(ctx: RegionContext, groups: Group[], windowDays: number): Promise<Map<string, HourlyProfile>> {
  const cw = ctx.clients.get(CloudWatchClient, ctx.region);
  const end = new Date(Math.floor(ctx.now.getTime() / HOUR_MS) * HOUR_MS);
  const hours = windowDays * 24;
  const start = new Date(end.getTime() - hours * HOUR_MS);
  const queries: MetricDataQuery[] = groups.flatMap((g, i) => [
    { Id: `cpu${i}`, MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: g.name }] }, Period: 3600, Stat: 'Average' }, ReturnData: true },
    { Id: `ins${i}`, MetricStat: { Metric: { Namespace: 'AWS/AutoScaling', MetricName: 'GroupInServiceInstances', Dimensions: [{ Name: 'AutoScalingGroupName', Value: g.name }] }, Period: 3600, Stat: 'Average' }, ReturnData: true },
  ]);
  const series = new Map<string, (number | null)[]>();
  for (const batch of batches(queries, METRIC_QUERIES_PER_CALL)) {
    // The paginator follows NextToken when AWS splits a large answer (100,800 datapoints a page).
    for await (const page of paginateGetMetricData({ client: cw }, { MetricDataQueries: batch, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending' })) {
      for (const r of page.MetricDataResults ?? []) {
        const values = series.get(r.Id!) ?? new Array<number | null>(hours).fill(null);
        (r.Timestamps ?? []).forEach((t, k) => {
          const slot = Math.floor((new Date(t).getTime() - start.getTime()) / HOUR_MS);
          if (slot >= 0 && slot < hours) values[slot] = r.Values![k];
        });
        series.set(r.Id!, values);
      }
    }
  }
  const empty = () => new Array<number | null>(hours).fill(null);
  return new Map(groups.map((g, i) => [g.name, { cpu: series.get(`cpu${i}`) ?? empty(), inService: series.get(`ins${i}`) ?? empty() }]));
}

/** Instance types of launch-configuration groups without instances: 50 names a call. */
async function readLaunchConfigurationTypes(client: AutoScalingClient, names: string[]): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  for (const batch of batches([...new Set(names)], 50)) {
    for await (const page of paginateDescribeLaunchConfigurations({ client, pageSize: 50 }, { LaunchConfigurationNames: batch })) {
      for (const lc of page.LaunchConfigurations ?? []) if (lc.InstanceType) types.set(lc.LaunchConfigurationName!, lc.InstanceType);
    }
  }
  return types;
}

export const asgResource: ResourceType<Group, AsgPrepared> = {
  id: 'asg',
  title: 'EC2 Auto Scaling group',
  permissions: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribePolicies',
    'autoscaling:DescribeScalingActivities',
    'autoscaling:DescribeLaunchConfigurations',
    'cloudwatch:GetMetricData',
  ],

  async prepare() {
    return {};
  },

  // A sweep may stop after any page of groups and go on from its cursor (NextToken and offset) in the next invocation.
  resumable: true,

  /**
   * The region-wide policies and activities read so far go into a split unit's saved state, so a
   * resumed invocation does not read them again (a single invocation reads them once, on its first
   * page). A read that failed is not kept: the next invocation tries it again. The remediators
   * re-read the group and its policies right before writing, so a set grown stale never decides a write.
   */
  savePrepared(p) {
    return {
      ...(p.read?.policiesByGroup ? { policiesByGroup: [...p.read.policiesByGroup] } : {}),
      ...(p.read?.activitiesByGroup ? { activitiesByGroup: [...p.read.activitiesByGroup] } : {}),
    };
  },

  restorePrepared(_ctx, saved) {
    const prepared: AsgPrepared = { read: {} };
    for (const key of ['policiesByGroup', 'activitiesByGroup'] as const) {
      const value = saved[key];
      if (value === undefined) continue;
      if (!isSavedPairs(value)) throw new Error(`The saved asg preparation has no valid '${key}' (pairs of a group name and what was read); the unit was not resumed.`);
      const map = new Map(value as [string, never][]);
      prepared.read![key] = map;
      prepared[key] = Promise.resolve(map);
    }
    return prepared;
  },

  async *list(ctx, prepared, ids, from) {
    const client = ctx.clients.get(AutoScalingClient, ctx.region);
    if (!ids) {
      const fetch = async (token: string | undefined) => {
        const out = await client.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, ...(token ? { NextToken: token } : {}) }));
        return { items: (out.AutoScalingGroups ?? []).map((g) => toGroup(g, ctx.region)), next: out.NextToken };
      };
      yield* resumablePages(fetch, from, GROUPS_PER_PAGE, (g) => g.name);
      return;
    }
    prepared.narrowedTo = ids;
    async function* pages() {
      // AutoScalingGroupNames narrows the listing on the server for event-driven runs.
      for (const names of batches(ids!, 100)) {
        for await (const page of paginateDescribeAutoScalingGroups({ client, pageSize: 100 }, { AutoScalingGroupNames: names })) {
          yield (page.AutoScalingGroups ?? []).map((g) => toGroup(g, ctx.region));
        }
      }
    }
    yield* chunked(pages(), GROUPS_PER_PAGE);
  },

  async enrich(ctx, page, prepared, needs) {
    const client = ctx.clients.get(AutoScalingClient, ctx.region);
    const names = page.map((g) => g.name);
    const windowDays = windowDaysOf(needs);
    const enriched = page.map((g) => ({ ...g }));
    // The three lookups are independent (each sets its own field): run them at once, so an
    // alarm-driven run for one group waits one round trip for them, not three.
    // Each read runs through enrichmentRead: a failure costs only the detectors needing it, on these groups (lib/engine/partial.ts).
    const withPolicies = async () => {
      if (!needs.has(ASG_NEEDS.policies)) return;
      const read = { provides: [ASG_NEEDS.policies], items: enriched, operation: 'autoscaling:DescribePolicies' };
      const policies = await enrichmentRead(ctx, read, () => perGroupOrRegion(names, prepared, 'policiesByGroup', (name) => readPolicies(client, name)));
      if (policies) for (const g of enriched) g.policies = policies.get(g.name) ?? [];
    };
    const withActivities = async () => {
      if (!needs.has(ASG_NEEDS.activities)) return;
      const since = new Date(ctx.now.getTime() - windowDays * 24 * HOUR_MS);
      const read = { provides: [ASG_NEEDS.activities], items: enriched, operation: 'autoscaling:DescribeScalingActivities' };
      const activities = await enrichmentRead(ctx, read, () => perGroupOrRegion(names, prepared, 'activitiesByGroup', (name) => readActivities(client, since, name)));
      if (activities) for (const g of enriched) g.activities = activities.get(g.name) ?? { events: [] };
    };
    const withPlatform = async () => {
      if (!needs.has(ASG_NEEDS.platform)) return;
      const platforms = await readGroupPlatforms(ctx, client, enriched);
      for (const g of enriched) g.platform = platforms.get(g.name);
    };
    await Promise.all([withPolicies(), withActivities(), withUsage(ctx, client, enriched, needs, windowDays), withPlatform()]);
    return enriched;
  },

  ref(group, ctx) {
    return { type: 'asg', id: group.name, arn: group.arn, account: ctx.account, region: group.region, tags: group.tags };
  },
};

/** Hourly usage over the window, and instance types from launch configurations where needed. */
async function withUsage(ctx: RegionContext, client: AutoScalingClient, enriched: Group[], needs: ReadonlySet<string>, windowDays: number) {
  if (needs.has(ASG_NEEDS.usage)) {
    const usage = await enrichmentRead(ctx, { provides: [ASG_NEEDS.usage], items: enriched, operation: 'cloudwatch:GetMetricData' }, () => readUsage(ctx, enriched, windowDays));
    if (!usage) return;
    for (const g of enriched) {
      const profile = usage.get(g.name)!;
      const hasInService = profile.inService.some((v) => v !== null);
      // Without group metrics enabled, assume today's in-service count held all window (labelled in the evidence).
      g.usage = {
        windowDays,
        cpu: profile.cpu,
        inService: hasInService ? profile.inService : profile.cpu.map((v) => (v === null ? null : g.inServiceNow || g.desiredCapacity)),
        inServiceSource: hasInService ? 'GroupInServiceInstances' : 'current in-service count',
      };
    }
    const lcNames = enriched.filter((g) => !g.instanceType && g.launchConfigurationName).map((g) => g.launchConfigurationName!);
    if (lcNames.length) {
      const read = { provides: [ASG_NEEDS.usage], items: enriched.filter((g) => !g.instanceType && g.launchConfigurationName), operation: 'autoscaling:DescribeLaunchConfigurations' };
      const types = (await enrichmentRead(ctx, read, () => readLaunchConfigurationTypes(client, lcNames))) ?? new Map<string, string>();
      for (const g of enriched) {
        const type = g.launchConfigurationName ? types.get(g.launchConfigurationName) : undefined;
        if (!g.instanceType && type) Object.assign(g, { instanceType: type, instanceTypeSource: 'launch-configuration' });
      }
    }
  }
}
