/**
 * Right-sizing an Auto Scaling group's instance type through its launch template.
 *
 * - Detector `oversized-group-instances`: the group-level CPUUtilization (AWS/EC2 by
 *   AutoScalingGroupName, hourly averages, fetched by the asg module in one batched
 *   GetMetricData per page). The candidate comes from the EC2 right-sizing rules
 *   (ec2-instance/rightsizing.ts downsizeCandidate: same architecture, cheaper, projected CPU
 *   p95 under the headroom target and peak under 100 %; no memory data, so memory never shrinks).
 *   Savings = (old − new hourly price) × desired capacity × 730 h.
 *   Launch-configuration groups (immutable; AWS asks to migrate them to launch templates) and
 *   mixed-instances groups (several types by overrides) are reported as not actionable.
 * - Action `rightsize-launch-template`: re-reads the group and its launch template version,
 *   CreateLaunchTemplateVersion from that version (SourceVersion: every other parameter is
 *   inherited) with only InstanceType changed, UpdateAutoScalingGroup to point at the new
 *   version, and with `instanceRefresh: true` StartInstanceRefresh. Running instances keep
 *   their type until replaced (scale-in/out or a refresh). Undo points the group back at the
 *   recorded version ($Default, $Latest or a number, as it was); the new version stays in
 *   the template's history (versions cost nothing).
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  paginateDescribeAutoScalingGroups,
  StartInstanceRefreshCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateVersionsCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  paginateDescribeInstanceTypeOfferings,
  type LaunchTemplateVersion,
} from '@aws-sdk/client-ec2';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { computeOptimizerPermissions } from '../../compute-optimizer/recommendations.ts';
import { SKIP_TAG } from '../protection.ts';
import type { Detection, Detector, RegionContext, Remediator } from '../../engine/types.ts';
import { instanceTypeInfo } from '../../savings/ec2-instance-types.ts';
import { usd } from '../../savings/prices.ts';
import { PlanConstraintError, ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { changeBasis, downsizeCandidate } from '../ec2-instance/rightsizing.ts';
import { ec2RatesFor } from '../../savings/licensed.ts';
import { PLATFORM_PERMISSIONS } from './platform.ts';
import { ASG_NEEDS, DEFAULT_WINDOW_DAYS, windowNeed, type Group } from './resource.ts';
import { stats } from './usage.ts';

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

/** What the action needs from the finding. */
export interface GroupRightsizeBefore {
  group: string;
  launchTemplate: string | null;
  /** The template id and the Version the group named when detected: the plan binds them. */
  launchTemplateId?: string | null;
  launchTemplateVersion?: string | null;
  fromType: string;
  candidate: string;
  desiredCapacity: number;
}

export interface OversizedGroupOptions {
  windowDays: number;
  targetCpuPercent: number;
  minDatapoints: number;
}

/** Busiest UTC day's mean of hourly values (burstable baselines are about sustained use). */
function busiestDayMean(cpu: (number | null)[]): number | null {
  let best: number | null = null;
  for (let d = 0; d < cpu.length; d += 24) {
    const day = cpu.slice(d, d + 24).filter((v): v is number => v !== null);
    if (day.length) best = Math.max(best ?? 0, day.reduce((a, b) => a + b, 0) / day.length);
  }
  return best;
}

export const oversizedGroupInstances: Detector<Group, OversizedGroupOptions> = {
  id: 'oversized-group-instances',
  resource: 'asg',
  title: "Auto Scaling groups whose instances' CPU fits a smaller, cheaper type of the same architecture",
  options: z.object({
    /** Days of CloudWatch history to judge by. */
    windowDays: z.number().int().min(1).max(63).default(DEFAULT_WINDOW_DAYS),
    /** The candidate's projected CPU p95 must stay at or under this (headroom target). */
    targetCpuPercent: z.number().min(5).max(95).default(50),
    /** Hourly datapoints needed before judging (Compute Optimizer: 30 hours in 14 days). */
    minDatapoints: z.number().int().min(1).default(30),
  }),
  needs: (o) => [ASG_NEEDS.usage, ASG_NEEDS.platform, windowNeed(o.windowDays ?? DEFAULT_WINDOW_DAYS)],
  // It proposes an instance type (evidence.candidate): the engine asks Compute Optimizer for its group recommendation.
  // The launch template's AMI sets the operating system its instance hours are priced at (asg/platform.ts).
  permissions: [...PLATFORM_PERMISSIONS, ...computeOptimizerPermissions('asg')],

  detect(g, o, { ctx }): Detection | undefined {
    if (!g.instanceType || !g.usage) return undefined;
    const cpuSeries = g.usage.cpu.slice(-o.windowDays * 24);
    const cpu = stats(cpuSeries);
    if (cpu.datapoints === 0) return undefined;
    const current = instanceTypeInfo(g.instanceType);
    if (!current) return undefined;
    // Both sides at the group's operating system and tenancy (its launch template's AMI); Linux when unknown, and the basis says so.
    const rates = ec2RatesFor(ctx.prices, g.platform ?? { unknown: 'not read' });
    // The group's AMI runs on the current type, so it has the drivers that type requires (ENA).
    const fit = downsizeCandidate(
      { instanceType: g.instanceType, architecture: current.architecture, enaSupport: current.ena === 'required' ? true : undefined },
      { windowDays: o.windowDays, daysWithData: 0, cpuP95: cpu.p95, cpuMax: cpu.max, cpuDailyMeanMax: busiestDayMean(cpuSeries), networkGbpsP95: null, memoryP95: null, memoryMax: null },
      { windowDays: o.windowDays, targetCpuPercent: o.targetCpuPercent, targetMemoryPercent: 80, targetNetworkPercent: 50, minDataDays: 0 },
      ctx.prices,
      rates,
    );
    if (!fit) return undefined;
    const from = rates.hourly(g.instanceType)!;
    const to = rates.hourly(fit.type.type)!;
    const capacity = g.desiredCapacity;
    const change = changeBasis(rates, g.instanceType, from, fit.type.type, to, ctx.prices.hoursPerMonth, { count: capacity, words: 'instance(s) (desired capacity)' });
    const monthlyUsd = change.monthlyUsd;
    const evidence: Record<string, unknown> = {
      instanceType: g.instanceType,
      instanceTypeSource: g.instanceTypeSource,
      candidate: fit.type.type,
      architecture: current.architecture,
      pricedAs: { operatingSystem: rates.os, words: rates.words, priced: rates.priced, ...(g.platform?.platformDetails ? { platformDetails: g.platform.platformDetails } : {}), ...(rates.assumed ? { assumed: rates.assumed } : {}) },
      launchTemplate: g.launchTemplate ?? null,
      launchConfigurationName: g.launchConfigurationName ?? null,
      desiredCapacity: capacity,
      windowDays: o.windowDays,
      cpuP95Percent: cpu.p95,
      cpuMaxPercent: cpu.max,
      cpuDatapoints: cpu.datapoints,
      current: { vcpu: current.vcpu, memoryGib: current.memoryGib },
      proposed: { vcpu: fit.type.vcpu, memoryGib: fit.type.memoryGib },
      projected: { cpuP95Percent: round(fit.projectedCpuP95), cpuMaxPercent: round(fit.projectedCpuMax) },
      memory: 'unknown (group-level metrics): memory is never shrunk',
      thresholds: { targetCpuPercent: o.targetCpuPercent, minDatapoints: o.minDatapoints },
    };
    const savings = {
      monthlyUsd,
      basis: [
        change.line,
        `Group CPU p95 ${cpu.p95}% on ${current.vcpu} vCPU projects to ${round(fit.projectedCpuP95)}% on ${fit.type.vcpu} (target ≤ ${o.targetCpuPercent}%).`,
      ],
    };
    const reason = `${g.name} runs ${capacity} × ${g.instanceType} at ${cpu.p95}% CPU p95 over ${o.windowDays} days: ${fit.type.type} carries the load for $${usd(monthlyUsd)}/month less.`;
    const before: GroupRightsizeBefore = {
      group: g.name, launchTemplate: g.launchTemplate ?? null, launchTemplateId: g.launchTemplateId ?? null, launchTemplateVersion: g.launchTemplateVersion ?? null,
      fromType: g.instanceType, candidate: fit.type.type, desiredCapacity: capacity,
    };
    const notActionable = (protection: string): Detection => ({ reason, evidence: { ...evidence, protection }, status: 'protected', savings, before, benefit: ['cost'] });
    if (cpu.datapoints < o.minDatapoints) return notActionable(`too little data: ${cpu.datapoints} hourly CPU datapoints, ${o.minDatapoints} needed`);
    if (g.launchConfigurationName) {
      return notActionable(`the group uses launch configuration ${g.launchConfigurationName}: launch configurations cannot be changed; migrate the group to a launch template, then trimtab can write a new version`);
    }
    // A mixed instances policy is reported here, with or without running instances (their types then say nothing about the policy).
    if (g.mixedInstancesPolicy || g.instanceTypeSource === 'mixed-instances-policy') return notActionable('the group has a mixed instances policy: its types come from the policy overrides, not one launch template InstanceType');
    if (!g.launchTemplate) return notActionable('the group names no launch template');
    return { reason, evidence, savings, before, benefit: ['cost'] };
  },
};

// ── rightsize-launch-template ────────────────────────────────────────────────────────────

export interface RightsizeParams {
  group: string;
  /** What the plan was made on, re-checked before each write: the group's ARN (a re-created group has a new one), its launch template id and the Version it named. */
  groupArn?: string;
  launchTemplateId?: string;
  version?: string;
  fromType: string;
  toType: string;
  instanceRefresh: boolean;
  minHealthyPercentage: number;
}

/** The launch template the group used, as recorded before the change. */
export interface RightsizeState {
  launchTemplateId: string;
  launchTemplateName?: string;
  /** The group's Version as it was: a number, $Default or $Latest. */
  version: string;
  /** The version number that resolved to, and its InstanceType. */
  versionNumber: number;
  instanceType?: string;
  instanceRefreshId?: string;
  /** Nothing was changed: why. */
  alreadyDone?: string;
}

/** The refresh preferences trimtab sends: protected and standby instances are left alone (the default `Wait` fails the refresh after an hour). */
export const REFRESH_PREFERENCES = { ScaleInProtectedInstances: 'Ignore', StandbyInstances: 'Ignore' } as const;

async function readRawGroup(ctx: RegionContext, name: string): Promise<AutoScalingGroup | undefined> {
  const out = await ctx.clients.get(AutoScalingClient, ctx.region).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
}

async function readVersion(ctx: RegionContext, id: string, version: string): Promise<LaunchTemplateVersion> {
  const out = await ctx.clients.get(EC2Client, ctx.region).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: [version] }));
  const found = out.LaunchTemplateVersions?.[0];
  if (!found) throw new PlanConstraintError(`Launch template ${id} has no version ${version}.`);
  return found;
}

/** The group's launch template now, or why trimtab must not change it. */
async function currentTemplate(ctx: RegionContext, g: AutoScalingGroup): Promise<RightsizeState & { data: LaunchTemplateVersion['LaunchTemplateData'] }> {
  const name = g.AutoScalingGroupName;
  if (g.Tags?.some((t) => t.Key === SKIP_TAG)) throw new ProtectedResourceError(`${name} is tagged ${SKIP_TAG}; nothing was changed.`);
  if (g.MixedInstancesPolicy) throw new ProtectedResourceError(`${name} has a mixed instances policy: its types come from the overrides; nothing was changed.`);
  if (!g.LaunchTemplate) {
    throw new ProtectedResourceError(`${name} ${g.LaunchConfigurationName ? `uses launch configuration ${g.LaunchConfigurationName} (immutable)` : 'names no launch template'}; nothing was changed.`);
  }
  const lt = g.LaunchTemplate;
  const version = lt.Version ?? '$Default';
  let resolved: LaunchTemplateVersion;
  try {
    resolved = await readVersion(ctx, lt.LaunchTemplateId ?? (await readTemplateIdByName(ctx, lt.LaunchTemplateName!)), version);
  } catch (error) {
    const code = awsErrorName(error);
    if (code?.startsWith('InvalidLaunchTemplate')) throw new PlanConstraintError(`${name}'s launch template ${lt.LaunchTemplateId ?? lt.LaunchTemplateName} version ${version} cannot be read (${code}); nothing was changed.`);
    throw error;
  }
  return {
    launchTemplateId: resolved.LaunchTemplateId!,
    launchTemplateName: resolved.LaunchTemplateName,
    version,
    versionNumber: resolved.VersionNumber!,
    instanceType: resolved.LaunchTemplateData?.InstanceType,
    data: resolved.LaunchTemplateData,
  };
}

async function readTemplateIdByName(ctx: RegionContext, name: string): Promise<string> {
  const out = await ctx.clients.get(EC2Client, ctx.region).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name, Versions: ['$Default'] }));
  return out.LaunchTemplateVersions![0].LaunchTemplateId!;
}

/** Every other group in the region that launches from this template, with the Version it names. */
async function otherUsers(ctx: RegionContext, group: string, templateId: string, templateName: string | undefined): Promise<{ group: string; version: string }[]> {
  const users: { group: string; version: string }[] = [];
  for await (const page of paginateDescribeAutoScalingGroups({ client: ctx.clients.get(AutoScalingClient, ctx.region), pageSize: 100 }, {})) {
    for (const g of page.AutoScalingGroups ?? []) {
      if (g.AutoScalingGroupName === group) continue;
      const spec = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      if (!spec || !(spec.LaunchTemplateId === templateId || (templateName && spec.LaunchTemplateName === templateName))) continue;
      users.push({ group: g.AutoScalingGroupName!, version: spec.Version ?? '$Default' });
    }
  }
  return users;
}

/**
 * What AWS checks only at launch (the refresh or the next scale-out fails then): the type is offered
 * in every zone of the group, and the template's CPU options and network interfaces fit the type.
 */
async function launchFit(ctx: RegionContext, g: AutoScalingGroup, toType: string, data: LaunchTemplateVersion['LaunchTemplateData']): Promise<string | undefined> {
  const ec2 = ctx.clients.get(EC2Client, ctx.region);
  const zones = g.AvailabilityZones ?? [];
  if (zones.length) {
    const offered = new Set<string>();
    for await (const page of paginateDescribeInstanceTypeOfferings({ client: ec2 }, { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: [toType] }, { Name: 'location', Values: zones }] })) {
      for (const o of page.InstanceTypeOfferings ?? []) if (o.InstanceType === toType && o.Location) offered.add(o.Location);
    }
    const missing = zones.filter((z) => !offered.has(z));
    if (missing.length) return `${toType} is not offered in ${missing.join(', ')} (DescribeInstanceTypeOfferings), where the group launches`;
  }
  const cpu = data?.CpuOptions;
  const nics = data?.NetworkInterfaces ?? [];
  if (cpu?.CoreCount === undefined && cpu?.ThreadsPerCore === undefined && nics.length <= 1) return undefined;
  const info = (await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [toType as never] }))).InstanceTypes?.[0];
  if (!info) return `${toType} is unknown to DescribeInstanceTypes`;
  if (cpu?.CoreCount !== undefined && !(info.VCpuInfo?.ValidCores ?? []).includes(cpu.CoreCount)) {
    return `the template sets CpuOptions.CoreCount ${cpu.CoreCount}, which ${toType} does not support (valid: ${(info.VCpuInfo?.ValidCores ?? []).join(', ') || 'none'})`;
  }
  if (cpu?.ThreadsPerCore !== undefined && !(info.VCpuInfo?.ValidThreadsPerCore ?? []).includes(cpu.ThreadsPerCore)) {
    return `the template sets CpuOptions.ThreadsPerCore ${cpu.ThreadsPerCore}, which ${toType} does not support (valid: ${(info.VCpuInfo?.ValidThreadsPerCore ?? []).join(', ') || 'none'})`;
  }
  const maxNics = info.NetworkInfo?.MaximumNetworkInterfaces;
  if (maxNics !== undefined && nics.length > maxNics) return `the template attaches ${nics.length} network interfaces; ${toType} takes at most ${maxNics}`;
  return undefined;
}

/** Deletes a version trimtab created, unless a group names it; says what happened. */
async function deleteOwnVersion(ctx: RegionContext, templateId: string, version: number, keepFor: string): Promise<string> {
  const namedBy = (await otherUsers(ctx, keepFor, templateId, undefined)).filter((u) => u.version === String(version));
  if (namedBy.length) return `launch template version ${version} is kept: ${namedBy.map((u) => u.group).join(', ')} name it`;
  try {
    const out = await ctx.clients.get(EC2Client, ctx.region).send(new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: [String(version)] }));
    const failed = out.UnsuccessfullyDeletedLaunchTemplateVersions?.[0];
    if (failed) return `launch template version ${version} could not be deleted (${failed.ResponseError?.Code}: ${failed.ResponseError?.Message}); delete it by hand`;
    return `launch template version ${version} that trimtab had created was deleted`;
  } catch (error) {
    return `launch template version ${version} could not be deleted (${awsErrorName(error)}: ${errorMessage(error)}); delete it by hand`;
  }
}

const aliasNote = (version: string | undefined) =>
  version === '$Latest' || version === '$Default'
    ? ` The group names ${version} today; it will name the new version by number, so later versions of the template do not reach it until undo, which names ${version} again.`
    : '';

export const rightsizeLaunchTemplate: Remediator<RightsizeParams, { instanceRefresh: boolean; minHealthyPercentage: number }> = {
  id: 'rightsize-launch-template',
  resource: 'asg',
  title: "Write a launch template version with the smaller type and point the group at it (optionally an instance refresh); undo points it back",
  options: z.object({
    /** Start an instance refresh so running instances move to the new type (otherwise only new launches do). */
    instanceRefresh: z.boolean().default(false),
    /** The refresh keeps at least this share of the group healthy (StartInstanceRefresh Preferences). */
    minHealthyPercentage: z.number().int().min(0).max(100).default(90),
  }),
  permissions: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:StartInstanceRefresh',
    'autoscaling:DescribeInstanceRefreshes',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:CreateLaunchTemplateVersion',
    // Compensation: a version trimtab created is deleted when the group update fails, and on undo of a $Latest group.
    'ec2:DeleteLaunchTemplateVersions',
    // What AWS checks only at launch: the type in the group's zones, CPU options and network interfaces.
    'ec2:DescribeInstanceTypeOfferings',
    'ec2:DescribeInstanceTypes',
    // UpdateAutoScalingGroup with a launch template: Auto Scaling checks the caller may launch from it (EC2 Auto Scaling
    // User Guide, "API permissions"). iam:PassRole (template with an instance profile) and ec2:CreateTags (template with
    // tag specifications) are checked too; they are left to the operator to grant for their roles (docs/resources/asg.md).
    'ec2:RunInstances',
  ],
  // A new instance type for a whole fleet: a person approves.
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Instances already launched with the smaller type, or replaced by an instance refresh, stay as they are until replaced again; instances the refresh terminated are gone with their instance-store and local data. The new launch template version is kept.",

  plan(finding, options) {
    const before = finding.before as GroupRightsizeBefore | undefined;
    if (!before?.candidate) return { kind: 'conflict', reason: `Finding from detector '${finding.detector}' has no candidate type; use 'oversized-group-instances' with this action.` };
    const monthly = finding.savings.monthlyUsd;
    const version = before.launchTemplateVersion ?? undefined;
    return {
      kind: 'change',
      summary: `Write a new launch template version for ${before.group} with ${before.candidate} instead of ${before.fromType} and point the group at it${options.instanceRefresh ? ', then start an instance refresh (scale-in-protected and standby instances are left as they are)' : ' (running instances keep their type until replaced)'}.${aliasNote(version)}`,
      params: {
        group: before.group,
        groupArn: finding.resource?.arn,
        ...(before.launchTemplateId ? { launchTemplateId: before.launchTemplateId } : {}),
        ...(version ? { version } : {}),
        fromType: before.fromType,
        toType: before.candidate,
        instanceRefresh: options.instanceRefresh,
        minHealthyPercentage: options.minHealthyPercentage,
      },
      undo: 'Point the group back at the recorded launch template version; instances launched meanwhile keep the new type unless a refresh is run.',
      savings: { monthlyUsd: monthly, basis: finding.savings.basis },
    };
  },

  /**
   * Steps (each recorded through `env.record` before the next starts): `version-created` → `group-updated` →
   * `refresh-started`. A failed group update is compensated (`version-deleted`) and reported as a failure that
   * says so. A later invocation resumes from the recorded steps.
   */
  async apply(ctx, plan, _finding, env) {
    const { group, fromType, toType } = plan.params;
    const progress = env?.progress ?? [];
    const recorded = (step: string) => progress.find((p) => p.step === step);
    const record = async (step: string, state?: Record<string, unknown>) => {
      const entry = { step, at: ctx.clock.now().toISOString(), ...(state ? { state } : {}) };
      if (env) await env.record(entry);
      progress.push(entry);
    };
    const g = await readRawGroup(ctx, group);
    if (!g) {
      if (recorded('version-created')) throw new PlanConstraintError(`${group} no longer exists; launch template version ${recorded('version-created')!.state?.version} that trimtab created stays in the template's history.`);
      return { after: { alreadyDone: `${group} no longer exists` }, detail: 'group gone; nothing changed' };
    }
    // The plan is bound to the group (ARN), the template and the Version it was made on.
    if (plan.params.groupArn && g.AutoScalingGroupARN && g.AutoScalingGroupARN !== plan.params.groupArn) {
      throw new PlanConstraintError(`${group} is not the group the plan was made on (ARN ${g.AutoScalingGroupARN}, planned ${plan.params.groupArn}): it was re-created; nothing was changed.`);
    }
    const autoscaling = ctx.clients.get(AutoScalingClient, ctx.region);
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    if (recorded('version-deleted')) throw new PlanConstraintError(`An earlier attempt on ${group} failed and was rolled back (${recorded('version-deleted')!.state?.detail}); nothing more is done.`);
    const created = recorded('version-created')?.state as { version: number; before: RightsizeState } | undefined;
    let before: RightsizeState;
    let newVersion: number;
    let alias = '';
    if (!created) {
      const current = await currentTemplate(ctx, g);
      const { data, ...state } = current;
      before = state;
      if (plan.params.launchTemplateId && before.launchTemplateId !== plan.params.launchTemplateId) {
        throw new PlanConstraintError(`${group} launches from launch template ${before.launchTemplateId} now, not ${plan.params.launchTemplateId} as when planned; nothing was changed.`);
      }
      if (plan.params.version && before.version !== plan.params.version) {
        throw new PlanConstraintError(`${group} names launch template version ${before.version} now, not ${plan.params.version} as when planned; nothing was changed.`);
      }
      if (before.instanceType === toType) return { before, after: { ...before, alreadyDone: `version ${before.versionNumber} already has ${toType}` }, detail: 'already done' };
      if (before.instanceType !== fromType) {
        throw new PlanConstraintError(`${group}'s launch template version ${before.versionNumber} has ${before.instanceType ?? 'no InstanceType'} now, not ${fromType} as when detected; nothing was changed.`);
      }
      // A new version becomes the template's $Latest at once: any other group on $Latest would launch the new type.
      const others = await otherUsers(ctx, group, before.launchTemplateId, before.launchTemplateName);
      const onLatest = others.filter((u) => u.version === '$Latest');
      if (onLatest.length) {
        throw new PlanConstraintError(
          `${onLatest.map((u) => u.group).join(', ')} also launch${onLatest.length === 1 ? 'es' : ''} from ${before.launchTemplateId} $Latest: a new version would change ${onLatest.length === 1 ? 'it' : 'them'} at once; nothing was changed.`,
        );
      }
      const unfit = await launchFit(ctx, g, toType, data);
      if (unfit) throw new PlanConstraintError(`${group}: ${unfit}; AWS would accept the version and fail the launches; nothing was changed.`);
      if (others.length) alias = ` Other groups on this template (${others.map((u) => `${u.group} ${u.version}`).join(', ')}) keep their versions: the default version is not changed.`;
      // ClientToken: a retried apply gets the same version back instead of a second one. The default version is not changed.
      const out = await ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: before.launchTemplateId,
          SourceVersion: String(before.versionNumber),
          VersionDescription: `trimtab: ${fromType} -> ${toType} (from version ${before.versionNumber})`,
          LaunchTemplateData: { InstanceType: toType as never },
          ClientToken: `trimtab-${plan.hash}`.slice(0, 64),
        }),
      );
      newVersion = out.LaunchTemplateVersion!.VersionNumber!;
      await record('version-created', { version: newVersion, before: before as unknown as Record<string, unknown> });
    } else {
      before = created.before;
      newVersion = created.version;
    }
    const after: RightsizeState = { launchTemplateId: before.launchTemplateId, launchTemplateName: before.launchTemplateName, version: String(newVersion), versionNumber: newVersion, instanceType: toType };
    if (!recorded('group-updated')) {
      try {
        await autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, LaunchTemplate: { LaunchTemplateId: before.launchTemplateId, Version: String(newVersion) } }));
      } catch (error) {
        // Compensate: the group still launches the old version; the new one must not linger as $Latest.
        const undone = await deleteOwnVersion(ctx, before.launchTemplateId, newVersion, group);
        await record('version-deleted', { version: newVersion, detail: undone });
        throw new PlanConstraintError(
          `UpdateAutoScalingGroup failed on ${group} (${awsErrorName(error)}: ${errorMessage(error)}); ${undone}; the group still launches ${fromType} from ${before.launchTemplateId} version ${before.version}. ` +
            'Auto Scaling checks that the caller may launch from the template: ec2:RunInstances, iam:PassRole for its instance profile, ec2:CreateTags for its tag specifications.',
          { cause: error },
        );
      }
      await record('group-updated', { version: newVersion });
    }
    let refreshNote = 'running instances keep their type until replaced';
    if (plan.params.instanceRefresh && !recorded('refresh-started')) {
      try {
        const out = await autoscaling.send(
          new StartInstanceRefreshCommand({ AutoScalingGroupName: group, Preferences: { MinHealthyPercentage: plan.params.minHealthyPercentage, ...REFRESH_PREFERENCES } }),
        );
        after.instanceRefreshId = out.InstanceRefreshId;
        refreshNote = `instance refresh ${out.InstanceRefreshId} started (scale-in-protected and standby instances are left on ${fromType})`;
        await record('refresh-started', { instanceRefreshId: out.InstanceRefreshId });
      } catch (error) {
        // One active refresh per group: someone else's is running; the group still launches the new type.
        // Wire code InstanceRefreshInProgress; the SDK names the exception InstanceRefreshInProgressFault.
        const code = awsErrorName(error) ?? '';
        refreshNote = ['InstanceRefreshInProgress', 'InstanceRefreshInProgressFault'].includes(code)
          ? 'an instance refresh was already in progress, so none was started'
          : `no instance refresh was started (${code}: ${errorMessage(error)}); new launches use ${toType}`;
      }
    } else if (recorded('refresh-started')) {
      after.instanceRefreshId = recorded('refresh-started')!.state?.instanceRefreshId as string | undefined;
      refreshNote = `instance refresh ${after.instanceRefreshId} started`;
    }
    const pinned = before.version.startsWith('$') ? ` The group named ${before.version}; it now names version ${newVersion} (undo names ${before.version} again).` : '';
    return { before, after, detail: `launch template ${before.launchTemplateId} version ${before.versionNumber} (${fromType}) → ${newVersion} (${toType}); ${refreshNote}.${pinned}${alias}` };
  },

  async verify(ctx, plan, applied) {
    const after = applied.after as RightsizeState;
    if (after.alreadyDone) return { ok: true, detail: `Nothing to change: ${after.alreadyDone}` };
    const g = await readRawGroup(ctx, plan.params.group);
    const lt = g?.LaunchTemplate;
    if (!lt || lt.LaunchTemplateId !== after.launchTemplateId || lt.Version !== after.version) {
      return { ok: false, detail: `${plan.params.group} points at ${lt ? `${lt.LaunchTemplateId} version ${lt.Version}` : 'no launch template'}, expected ${after.launchTemplateId} version ${after.version}` };
    }
    const version = await readVersion(ctx, after.launchTemplateId, after.version);
    if (version.LaunchTemplateData?.InstanceType !== plan.params.toType) {
      return { ok: false, detail: `version ${after.version} has ${version.LaunchTemplateData?.InstanceType}, expected ${plan.params.toType}` };
    }
    let refresh = '';
    if (after.instanceRefreshId) {
      const out = await ctx.clients.get(AutoScalingClient, ctx.region).send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: plan.params.group, InstanceRefreshIds: [after.instanceRefreshId] }));
      refresh = `; instance refresh ${out.InstanceRefreshes?.[0]?.Status ?? 'not found'}`;
    }
    return { ok: true, detail: `${plan.params.group} launches ${plan.params.toType} from ${after.launchTemplateId} version ${after.version}${refresh}` };
  },

  async undo(ctx, record) {
    const before = record.before as RightsizeState;
    const after = record.after as RightsizeState;
    const name = record.resource.id;
    if (after?.alreadyDone || !before?.launchTemplateId) throw new UndoRefusedError(`trimtab changed nothing on ${name}, so there is nothing to undo.`);
    if (!after?.launchTemplateId) throw new UndoRefusedError(`The record of ${record.id} has no launch template version trimtab left ${name} on, so there is nothing to compare the group with; not undone.`);
    const g = await readRawGroup(ctx, name);
    if (!g) throw new UndoRefusedError(`${name} no longer exists.`);
    const lt = g.LaunchTemplate;
    if (!lt || lt.LaunchTemplateId !== after.launchTemplateId || lt.Version !== after.version) {
      throw new UndoRefusedError(`${name} points at ${lt ? `${lt.LaunchTemplateId} version ${lt.Version}` : 'no launch template'}, not version ${after.version} as trimtab left it: someone changed it since, so trimtab leaves it alone.`);
    }
    const autoscaling = ctx.clients.get(AutoScalingClient, ctx.region);
    const refreshes = await autoscaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }));
    const active = refreshes.InstanceRefreshes?.find((r) => r.Status === 'Pending' || r.Status === 'InProgress');
    if (active) throw new UndoRefusedError(`${name} has instance refresh ${active.InstanceRefreshId} ${active.Status}: wait for it to end (or cancel it), then undo.`);
    const point = (Version: string) => autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: { LaunchTemplateId: before.launchTemplateId, Version } }));
    let history = `Version ${after.versionNumber} stays in the template's history.`;
    if (before.version === '$Latest') {
      // $Latest now resolves to trimtab's version: name the old number first, then delete trimtab's version
      // (when nobody else names it), and only then name $Latest again, which resolves to the old version.
      await point(String(before.versionNumber));
      const deleted = await deleteOwnVersion(ctx, before.launchTemplateId, after.versionNumber, name);
      const latest = await readVersion(ctx, before.launchTemplateId, '$Latest');
      if (latest.VersionNumber === before.versionNumber) {
        await point('$Latest');
        history = `${deleted[0].toUpperCase()}${deleted.slice(1)}, so $Latest is version ${before.versionNumber} again.`;
      } else {
        return {
          detail: `${name} names ${before.launchTemplateId} version ${before.versionNumber} (${before.instanceType}) explicitly: it named $Latest, which now resolves to version ${latest.VersionNumber} (${deleted}). Instances launched meanwhile keep ${after.instanceType} unless a refresh is run.`,
          after: { launchTemplateId: before.launchTemplateId, version: String(before.versionNumber) },
        };
      }
    } else {
      await point(before.version);
    }
    return {
      detail: `${name} points at ${before.launchTemplateId} version ${before.version} (${before.instanceType}) again; instances launched meanwhile keep ${after.instanceType} unless a refresh is run. ${history}`,
      after: { launchTemplateId: before.launchTemplateId, version: before.version },
    };
  },
};
