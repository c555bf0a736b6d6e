/**
 * Under-provisioned capacity (a performance finding): a CPU target-tracking group pinned at
 * its MaxSize while CPU sits above the target. Target tracking wants more instances but the
 * MaxSize bound stops it (EC2 Auto Scaling User Guide, target tracking: "the scaling policy
 * can't scale out beyond the maximum capacity"), so users see the saturation.
 *
 * Detector `under-provisioned-at-max`: over the window, the share of hours with the group at
 * MaxSize (in-service ≥ MaxSize − 0.5) and CPU above the target. Action `raise-max-size`:
 * raise MaxSize by a bounded step (+25 % by default, at least 1, never above `maxSizeCap`),
 * UpdateAutoScalingGroup with MaxSize only. Undo puts the recorded MaxSize back.
 *
 * Cost: more instances cost money. The change is priced with the same load model as the
 * savings of the other asg actions (usage.ts: ceil(load / target) instances per hour within
 * [MinSize, MaxSize]) and shown as a negative saving (an added monthly cost), never hidden.
 */
import { AutoScalingClient, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { ActionRecord, Detection, Detector, Finding, Remediator, SavingsEstimate } from '../../engine/types.ts';
import type { PriceTable } from '../../savings/prices.ts';
import { ec2RatesFor, platformFromEvidence, type Ec2Platform } from '../../savings/licensed.ts';
import { computeOptimizerPermissions } from '../../compute-optimizer/recommendations.ts';
import { PlanConstraintError, ProtectedResourceError, UndoRefusedError } from '../../util/errors.ts';
import { SKIP_TAG } from '../protection.ts';
import { beforeOf } from './detectors.ts';
import { ASG_NEEDS, DEFAULT_WINDOW_DAYS, readGroup, windowNeed, type Group } from './resource.ts';
import { cpuTargetPolicy, type AsgBefore } from './tuning.ts';
import { compactProfile, instancesFor, pairedHours, percentile, stats, type HourlyProfile } from './usage.ts';

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const pct = (share: number) => Math.round(share * 100);

/** Share of hours at MaxSize, and at MaxSize with CPU above the target. */
export function pinnedAtMax(profile: HourlyProfile, maxSize: number, target: number): { hours: number; atMaxShare: number; atMaxHotShare: number; hotShare: number } {
  const hours = pairedHours(profile);
  if (hours.length === 0) return { hours: 0, atMaxShare: 0, atMaxHotShare: 0, hotShare: 0 };
  const atMax = hours.filter(([n]) => n >= maxSize - 0.5);
  return {
    hours: hours.length,
    atMaxShare: round(atMax.length / hours.length),
    atMaxHotShare: round(atMax.filter(([, cpu]) => cpu > target).length / hours.length),
    hotShare: round(hours.filter(([, cpu]) => cpu > target).length / hours.length),
  };
}

export interface RaiseMaxOptions {
  maxStepPercent: number;
  maxSizeCap: number;
}

export const DEFAULT_RAISE_MAX: RaiseMaxOptions = { maxStepPercent: 25, maxSizeCap: 100 };

/**
 * The new MaxSize: what p95 demand at the target needs (CPU is capped at 100 % while the
 * group is pinned, so measured demand is a floor), at least +1, at most +maxStepPercent
 * (rounded up, so a group of 2 can grow) and never above maxSizeCap.
 */
export function proposeMaxSize(from: number, p95Demand: number, options: RaiseMaxOptions): number {
  const step = Math.max(1, Math.ceil((from * options.maxStepPercent) / 100 - 1e-9));
  const wanted = Math.max(from + 1, Math.ceil(p95Demand - 1e-9));
  return Math.min(options.maxSizeCap, from + step, wanted);
}

/** Added instance-hours per month and their price: the model of usage.ts with the bound raised. */
export function addedCost(profile: HourlyProfile, target: number, minSize: number, fromMax: number, toMax: number, instanceType: string | undefined, prices: PriceTable, platform?: Ec2Platform): SavingsEstimate & { addedInstanceHoursPerMonth: number } {
  const hours = pairedHours(profile);
  let added = 0;
  for (const [n, cpu] of hours) added += instancesFor(n * cpu, target, minSize, toMax) - instancesFor(n * cpu, target, minSize, fromMax);
  const monthlyHours = hours.length ? round((added * prices.hoursPerMonth) / hours.length) : 0;
  const model = `Model: ceil(load / target) instances per hour within [MinSize, MaxSize], load = in-service × CPU%; MaxSize ${fromMax} → ${toMax} adds ${round(added)} instance-hours over ${hours.length} hours with data → ${monthlyHours} instance-hours/month. CPU is capped at 100% while the group is pinned, so the real demand (and cost) can be higher.`;
  const rates = ec2RatesFor(prices, platform ?? { unknown: 'not read' });
  const price = instanceType && rates.priced ? rates.hourly(instanceType) : undefined;
  if (price === undefined) {
    return {
      monthlyUsd: 0,
      addedInstanceHoursPerMonth: monthlyHours,
      basis: [model, !instanceType ? 'Instance type unknown: added cost not estimated.' : !rates.priced ? `${rates.why}: added cost not estimated.` : `No on-demand price for ${instanceType} (${rates.os}) in the price table (add it under prices.${rates.field}): added cost not estimated.`],
    };
  }
  const cost = round(monthlyHours * price);
  return {
    // A negative saving: this change adds cost to remove a performance risk.
    monthlyUsd: -cost,
    addedInstanceHoursPerMonth: monthlyHours,
    basis: [model, `Added cost: ${monthlyHours} instance-hours × ${instanceType} ${rates.words} on-demand $${price}/hour (list price) = $${cost}/month, shown as a negative saving${rates.assumed ? `; ${rates.assumed}` : ''}.`],
  };
}

export interface UnderProvisionedOptions {
  windowDays: number;
  minDatapoints: number;
  minShare: number;
}

const windowed = (g: Group, days: number): HourlyProfile => ({ cpu: (g.usage?.cpu ?? []).slice(-days * 24), inService: (g.usage?.inService ?? []).slice(-days * 24) });

export const underProvisionedAtMax: Detector<Group, UnderProvisionedOptions> = {
  id: 'under-provisioned-at-max',
  resource: 'asg',
  title: 'A CPU target-tracking group pinned at MaxSize with CPU above its target (performance)',
  options: z.object({
    /** Days of CloudWatch history to judge by. */
    windowDays: z.number().int().min(1).max(63).default(DEFAULT_WINDOW_DAYS),
    /** Hourly datapoints needed before judging (Compute Optimizer: 30 hours in 14 days). */
    minDatapoints: z.number().int().min(1).default(30),
    /** Flag when the group sat at MaxSize with CPU above the target for at least this share of hours. */
    minShare: z.number().min(0.01).max(1).default(0.2),
  }),
  needs: (o) => [ASG_NEEDS.policies, ASG_NEEDS.usage, windowNeed(o.windowDays ?? DEFAULT_WINDOW_DAYS)],
  // It proposes a size (evidence.candidate): the engine asks Compute Optimizer for a second opinion.
  permissions: computeOptimizerPermissions('asg'),
  detect(g, options, { ctx }): Detection | undefined {
    const policy = cpuTargetPolicy(g.policies);
    if (!policy) return undefined;
    const target = policy.TargetTrackingConfiguration!.TargetValue!;
    const profile = windowed(g, options.windowDays);
    const cpu = stats(profile.cpu);
    if (cpu.datapoints < options.minDatapoints) {
      // Too little data: no finding at all (a protected row would be noise on every new group).
      return undefined;
    }
    const pinned = pinnedAtMax(profile, g.maxSize, target);
    if (pinned.atMaxHotShare < options.minShare) return undefined;
    const demand = pairedHours(profile).map(([n, c]) => (n * c) / target);
    const p95Demand = round(percentile(demand, 95));
    const candidate = proposeMaxSize(g.maxSize, p95Demand, DEFAULT_RAISE_MAX);
    const estimate = addedCost(profile, target, g.minSize, g.maxSize, candidate, g.instanceType, ctx.prices, g.platform);
    const summary = `at MaxSize ${g.maxSize} with CPU above the ${target} % target for ${pct(pinned.atMaxHotShare)} % of hours`;
    const fixedSize = g.minSize >= g.maxSize;
    return {
      reason: `'${g.name}' sat ${summary} (last ${options.windowDays} days): target tracking wanted more instances than MaxSize allows.${fixedSize ? ' Its MinSize equals MaxSize: a fixed-size group by design.' : ''}`,
      evidence: {
        policyName: policy.PolicyName,
        target,
        windowDays: options.windowDays,
        hoursWithData: pinned.hours,
        atMaxShare: pinned.atMaxShare,
        atMaxAboveTargetShare: pinned.atMaxHotShare,
        aboveTargetShare: pinned.hotShare,
        cpuAverage: cpu.average,
        cpuP95: cpu.p95,
        cpuMax: cpu.max,
        p95DemandInstances: p95Demand,
        minSize: g.minSize,
        maxSize: g.maxSize,
        desiredCapacity: g.desiredCapacity,
        inServiceSource: g.usage?.inServiceSource,
        instanceType: g.instanceType ?? null,
        /** What the instance hours are priced as (the launch template's AMI); the plan prices with it. */
        platform: g.platform ?? null,
        /** The proposed MaxSize (Compute Optimizer convention: the proposed size goes in `candidate`). */
        candidate,
        addedInstanceHoursPerMonth: estimate.addedInstanceHoursPerMonth,
        profile: compactProfile(profile),
      },
      savings: { monthlyUsd: estimate.monthlyUsd, basis: estimate.basis },
      benefit: ['performance'],
      risk: { summary, evidence: { atMaxAboveTargetShare: pinned.atMaxHotShare, target, maxSize: g.maxSize, cpuP95: cpu.p95 } },
      before: beforeOf(g),
    };
  },
};

// ── raise-max-size ───────────────────────────────────────────────────────────────────────

export interface RaiseMaxParams {
  group: string;
  fromMaxSize: number;
  toMaxSize: number;
}

interface RaiseMaxAfter {
  maxSize: number;
  minSize: number;
  desiredCapacity: number;
}

const sizesOf = async (client: AutoScalingClient, name: string, region: string) => {
  const g = await readGroup(client, name, region);
  return g ? { maxSize: g.maxSize, minSize: g.minSize, desiredCapacity: g.desiredCapacity } : undefined;
};

export const raiseMaxSize: Remediator<RaiseMaxParams, RaiseMaxOptions & { tuningCooldownDays: number }> = {
  id: 'raise-max-size',
  resource: 'asg',
  title: 'Raise MaxSize of a group pinned at it, by a bounded step (never above maxSizeCap)',
  options: z.object({
    /** At most this share of MaxSize added per change (rounded up, at least 1 instance). */
    maxStepPercent: z.number().min(1).max(100).default(DEFAULT_RAISE_MAX.maxStepPercent),
    /** Never set MaxSize above this. */
    maxSizeCap: z.number().int().min(1).max(10_000).default(DEFAULT_RAISE_MAX.maxSizeCap),
    /** Days before trimtab raises the same group again under this policy (let the new bound show its effect first). */
    tuningCooldownDays: z.number().min(0).max(365).default(7),
  }),
  permissions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:UpdateAutoScalingGroup'],
  // More instances cost money: a person approves by default.
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Instances above the old MaxSize are terminated by the undo, with their instance-store and local data; instance hours already run are billed.",
  minCooldownHours: (o) => o.tuningCooldownDays * 24,

  plan(finding: Finding, options, { prices }) {
    const before = finding.before as AsgBefore | undefined;
    const e = finding.evidence as { target?: number; p95DemandInstances?: number; profile?: HourlyProfile; instanceType?: string | null; platform?: Ec2Platform | null };
    if (!before?.group || e.target === undefined || !e.profile) {
      return { kind: 'conflict', reason: `Finding from detector '${finding.detector}' carries no pinned-at-MaxSize evidence; use 'under-provisioned-at-max' with this action.` };
    }
    const { minSize, maxSize, desiredCapacity } = before.group;
    if (minSize >= maxSize) {
      return { kind: 'conflict', reason: `MinSize ${minSize} equals MaxSize ${maxSize}: the group is fixed-size by design; raise both by hand if more capacity is wanted.` };
    }
    if (desiredCapacity > maxSize) {
      return { kind: 'conflict', reason: `DesiredCapacity ${desiredCapacity} is above MaxSize ${maxSize}: the group is inconsistent; check it by hand.` };
    }
    const to = proposeMaxSize(maxSize, e.p95DemandInstances ?? 0, options);
    if (to <= maxSize) return { kind: 'noop', reason: `Already at the bound: MaxSize ${maxSize} is at the policy's cap ${options.maxSizeCap}.` };
    const cost = addedCost(e.profile, e.target, minSize, maxSize, to, e.instanceType ?? undefined, prices, platformFromEvidence(e.platform));
    return {
      kind: 'change',
      summary: `Raise MaxSize of ${finding.resource.id} from ${maxSize} to ${to} (at most +${options.maxStepPercent}% a change, cap ${options.maxSizeCap}); MinSize ${minSize} and DesiredCapacity stay as they are.`,
      params: { group: finding.resource.id, fromMaxSize: maxSize, toMaxSize: to },
      undo: `Set MaxSize back to ${maxSize}. If the group has grown above ${maxSize} by then, Auto Scaling lowers DesiredCapacity to ${maxSize} and terminates the extra instances.`,
      savings: { monthlyUsd: cost.monthlyUsd, basis: cost.basis },
    };
  },

  async apply(ctx, plan) {
    const client = ctx.clients.get(AutoScalingClient, ctx.region);
    const { group, fromMaxSize, toMaxSize } = plan.params;
    const g = await readGroup(client, group, ctx.region);
    if (!g) throw new PlanConstraintError(`Auto Scaling group '${group}' no longer exists in ${ctx.region}; nothing was changed.`);
    // Right before the write: a group tagged trimtab:skip since the finding is left alone.
    if (SKIP_TAG in g.tags) throw new ProtectedResourceError(`${group} is tagged ${SKIP_TAG}; nothing was changed.`);
    const current = { maxSize: g.maxSize, minSize: g.minSize, desiredCapacity: g.desiredCapacity };
    if (current.maxSize === toMaxSize) return { before: current, after: current satisfies RaiseMaxAfter, detail: `MaxSize is already ${toMaxSize}` };
    if (current.maxSize !== fromMaxSize) throw new PlanConstraintError(`${group} has MaxSize ${current.maxSize} now, not ${fromMaxSize} as when detected; nothing was changed.`);
    if (current.minSize > toMaxSize) throw new PlanConstraintError(`${group} has MinSize ${current.minSize} now, above the planned MaxSize ${toMaxSize}; nothing was changed.`);
    // MaxSize only: AWS keeps DesiredCapacity (it is within the wider bounds) and target tracking scales into the room.
    await client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, MaxSize: toMaxSize }));
    const after = await sizesOf(client, group, ctx.region);
    return { before: current, after: after satisfies RaiseMaxAfter | undefined, detail: `MaxSize ${fromMaxSize} → ${toMaxSize}` };
  },

  async verify(ctx, plan) {
    const now = await sizesOf(ctx.clients.get(AutoScalingClient, ctx.region), plan.params.group, ctx.region);
    if (!now) return { ok: false, detail: `${plan.params.group} no longer exists` };
    return now.maxSize === plan.params.toMaxSize
      ? { ok: true, detail: `MaxSize is ${now.maxSize} (MinSize ${now.minSize}, desired ${now.desiredCapacity})` }
      : { ok: false, detail: `MaxSize is ${now.maxSize}, expected ${plan.params.toMaxSize}` };
  },

  async undo(ctx, record: ActionRecord) {
    const client = ctx.clients.get(AutoScalingClient, ctx.region);
    const params = record.params as RaiseMaxParams;
    const current = await sizesOf(client, params.group, ctx.region);
    if (!current) throw new UndoRefusedError(`Auto Scaling group '${params.group}' no longer exists; nothing to undo.`);
    if (current.maxSize !== params.toMaxSize) {
      throw new UndoRefusedError(`MaxSize of '${params.group}' is ${current.maxSize} now, not ${params.toMaxSize} as trimtab set it (${record.id}): someone changed it since; not undone.`);
    }
    if (current.minSize > params.fromMaxSize) {
      throw new UndoRefusedError(`MinSize of '${params.group}' is ${current.minSize} now, above the recorded MaxSize ${params.fromMaxSize}: restoring it would be refused; not undone.`);
    }
    await client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: params.group, MaxSize: params.fromMaxSize }));
    const restored = await sizesOf(client, params.group, ctx.region);
    if (restored?.maxSize !== params.fromMaxSize) throw new Error(`MaxSize of '${params.group}' was set back to ${params.fromMaxSize}, but Auto Scaling shows ${restored?.maxSize}; check by hand.`);
    const shrunk = current.desiredCapacity > params.fromMaxSize ? ` DesiredCapacity went from ${current.desiredCapacity} to ${restored.desiredCapacity}.` : '';
    return { detail: `MaxSize of '${params.group}' is back to ${params.fromMaxSize} (recorded before ${record.id}).${shrunk}`, after: restored };
  },
};
