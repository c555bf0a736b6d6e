/**
 * Auto Scaling remediators. They change a scaling policy through PutScalingPolicy (sending
 * the policy's whole configuration: PutScalingPolicy replaces it, and target tracking then
 * manages its own alarms) or the group through UpdateAutoScalingGroup. Never the alarms.
 *
 * Every action records the group's sizes and the touched policies' full configuration
 * before and after; apply refuses when the group changed since the finding, verify re-reads,
 * undo restores and refuses when anyone changed the settings after trimtab.
 * A per-group tuning cooldown (default 7 days) keeps a daily loop from ratcheting.
 */
import { platformFromEvidence } from '../../savings/licensed.ts';
import { AutoScalingClient, PutScalingPolicyCommand, UpdateAutoScalingGroupCommand, type PutScalingPolicyCommandInput, type ScalingPolicy } from '@aws-sdk/client-auto-scaling';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { ActionRecord, Finding, RegionContext, Remediator } from '../../engine/types.ts';
import { PlanConstraintError, ProtectedResourceError, UndoRefusedError } from '../../util/errors.ts';
import { SKIP_TAG } from '../protection.ts';
import { stableStringify } from '../../util/hash.ts';
import { readGroup, readPolicies, readPolicy } from './resource.ts';
import {
  DEFAULT_LOWER_MIN,
  DEFAULT_RAISE_TARGET,
  DEFAULT_WARMUP,
  proposeLowerMin,
  proposeRaiseTarget,
  proposeWarmup,
  type AsgBefore,
  type GroupSizes,
  type WarmupChange,
} from './tuning.ts';
import type { HourlyProfile } from './usage.ts';

const cooldownOption = {
  /** Days before trimtab tunes the same group again under this policy (guards against ratcheting). */
  tuningCooldownDays: z.number().min(0).max(365).default(7),
};

/**
 * The fields PutScalingPolicy takes for each policy type (API reference: each field's "Valid only
 * if the policy type is …"). MinAdjustmentStep is not among them: it is "Available for backward
 * compatibility. Use MinAdjustmentMagnitude instead." (deprecated in the API model), so a legacy
 * value is sent as MinAdjustmentMagnitude.
 */
const PUT_FIELDS: Record<string, (keyof PutScalingPolicyCommandInput)[]> = {
  SimpleScaling: ['AdjustmentType', 'MinAdjustmentMagnitude', 'ScalingAdjustment', 'Cooldown'],
  StepScaling: ['AdjustmentType', 'MinAdjustmentMagnitude', 'MetricAggregationType', 'StepAdjustments', 'EstimatedInstanceWarmup'],
  TargetTrackingScaling: ['TargetTrackingConfiguration', 'EstimatedInstanceWarmup'],
  PredictiveScaling: ['PredictiveScalingConfiguration'],
};

/**
 * The whole PutScalingPolicy input for a described policy: every field it has, sent explicitly.
 * "When you update an existing scaling policy, the policy will be replaced with what you specify
 * when you programmatically call PutScalingPolicy. The original values are not kept." (EC2 Auto
 * Scaling User Guide, "Clear the previously set instance warmup for a scaling policy"). So a
 * field the recorded policy did not have (an inherited warm-up) is left out, which clears it.
 */
export function putInputFrom(p: ScalingPolicy): PutScalingPolicyCommandInput {
  const type = p.PolicyType ?? 'SimpleScaling';
  const input: Record<string, unknown> = { AutoScalingGroupName: p.AutoScalingGroupName, PolicyName: p.PolicyName, PolicyType: type, Enabled: p.Enabled ?? true };
  const described = { ...p, MinAdjustmentMagnitude: p.MinAdjustmentMagnitude ?? p.MinAdjustmentStep } as Record<string, unknown>;
  for (const field of PUT_FIELDS[type] ?? []) {
    const value = described[field];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    input[field] = value;
  }
  return structuredClone(input) as unknown as PutScalingPolicyCommandInput;
}

/** Top-level fields whose configuration differs between two described policies. */
function differingFields(a: ScalingPolicy | undefined, b: ScalingPolicy | undefined): string[] {
  if (!a || !b) return ['(policy missing)'];
  const x = putInputFrom(a) as unknown as Record<string, unknown>;
  const y = putInputFrom(b) as unknown as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => stableStringify(x[k]) !== stableStringify(y[k])).sort();
}

/**
 * The group's sizes and the named policies, read now. `forApply`: the read right before a write, which refuses a
 * group tagged trimtab:skip since the finding (an approval is applied to the finding stored when it was asked for).
 */
async function snapshot(ctx: RegionContext, groupName: string, policyNames: string[], forApply = false): Promise<AsgBefore> {
  const client = ctx.clients.get(AutoScalingClient, ctx.region);
  // Both reads at once: one round trip of latency, not two.
  const [group, byGroup] = await Promise.all([readGroup(client, groupName, ctx.region), policyNames.length ? readPolicies(client, groupName) : undefined]);
  if (!group) throw new PlanConstraintError(`Auto Scaling group '${groupName}' no longer exists in ${ctx.region}; nothing was changed.`);
  if (forApply && SKIP_TAG in group.tags) throw new ProtectedResourceError(`${groupName} is tagged ${SKIP_TAG}; nothing was changed.`);
  const all = byGroup?.get(groupName) ?? [];
  const policies = policyNames.map((name) => {
    const found = all.find((p) => p.PolicyName === name);
    if (!found) throw new PlanConstraintError(`Scaling policy '${name}' of '${groupName}' no longer exists; nothing was changed.`);
    return found;
  });
  const sizes: GroupSizes = {
    name: group.name,
    minSize: group.minSize,
    maxSize: group.maxSize,
    desiredCapacity: group.desiredCapacity,
    defaultCooldown: group.defaultCooldown,
    ...(group.defaultInstanceWarmup !== undefined ? { defaultInstanceWarmup: group.defaultInstanceWarmup } : {}),
  };
  return { group: sizes, policies };
}

/**
 * The state after a write, as written: the re-read made right before the write with the
 * change applied. Apply does not re-read after writing; verify re-reads once (the alarm path
 * makes one read to detect, one right before the write, one to verify).
 */
function asWritten(before: AsgBefore, change: (after: AsgBefore) => void): AsgBefore {
  const after = structuredClone(before);
  change(after);
  return after;
}

/** One scaling policy, read now (verify: one DescribePolicies call, not the group too). */
async function currentPolicy(ctx: RegionContext, groupName: string, policyName: string): Promise<ScalingPolicy | undefined> {
  return readPolicy(ctx.clients.get(AutoScalingClient, ctx.region), groupName, policyName);
}

/** What undo compares: settings trimtab may change (not DesiredCapacity: scaling moves it all day). */
const settingsOf = (s: AsgBefore) =>
  stableStringify({ minSize: s.group.minSize, maxSize: s.group.maxSize, defaultCooldown: s.group.defaultCooldown, policies: s.policies.map(putInputFrom) });

async function putPolicy(ctx: RegionContext, input: PutScalingPolicyCommandInput) {
  await ctx.clients.get(AutoScalingClient, ctx.region).send(new PutScalingPolicyCommand(input));
}

async function updateGroup(ctx: RegionContext, input: { AutoScalingGroupName: string; MinSize?: number; DefaultCooldown?: number }) {
  await ctx.clients.get(AutoScalingClient, ctx.region).send(new UpdateAutoScalingGroupCommand(input));
}

/** Shared undo: refuse if anything trimtab touched changed since, else put back the recorded settings. */
async function restore(ctx: RegionContext, record: ActionRecord): Promise<{ detail: string; after?: unknown }> {
  const before = record.before as AsgBefore;
  const after = record.after as AsgBefore;
  const current = await snapshot(ctx, before.group.name, before.policies.map((p) => p.PolicyName!)).catch((error) => {
    throw new UndoRefusedError(`Cannot undo ${record.id}: ${(error as Error).message}`);
  });
  if (settingsOf(current) !== settingsOf(after)) {
    throw new UndoRefusedError(
      `The settings of Auto Scaling group '${before.group.name}' changed after trimtab's action (${record.id}); restoring the old ones would overwrite that change. Compare them by hand.`,
    );
  }
  for (const policy of before.policies) await putPolicy(ctx, putInputFrom(policy));
  const groupUpdate: { AutoScalingGroupName: string; MinSize?: number; DefaultCooldown?: number } = { AutoScalingGroupName: before.group.name };
  if (before.group.minSize !== current.group.minSize) groupUpdate.MinSize = before.group.minSize;
  if (before.group.defaultCooldown !== current.group.defaultCooldown) groupUpdate.DefaultCooldown = before.group.defaultCooldown;
  if (Object.keys(groupUpdate).length > 1) await updateGroup(ctx, groupUpdate);
  // Check, never assume: re-read and hold every restored setting to the recorded one.
  const restored = await snapshot(ctx, before.group.name, before.policies.map((p) => p.PolicyName!));
  const wrong = before.policies.flatMap((p) => {
    const fields = differingFields(p, restored.policies.find((r) => r.PolicyName === p.PolicyName));
    return fields.length ? [`policy '${p.PolicyName}' (${fields.join(', ')})`] : [];
  });
  if (restored.group.minSize !== before.group.minSize) wrong.push(`MinSize (${restored.group.minSize}, recorded ${before.group.minSize})`);
  if (restored.group.defaultCooldown !== before.group.defaultCooldown) wrong.push(`DefaultCooldown (${restored.group.defaultCooldown}, recorded ${before.group.defaultCooldown})`);
  if (wrong.length) {
    throw new Error(
      `the recorded settings of '${before.group.name}' were put back, but Auto Scaling now shows different values for ${wrong.join('; ')}. ` +
        `The action stays applied; compare the group with the record of ${record.id} by hand.`,
    );
  }
  return {
    detail: `Restored ${before.policies.length} policy configuration(s) and the group settings of '${before.group.name}' recorded before ${record.id}, and checked them against the record.`,
    after: restored,
  };
}

const evidenceOf = (finding: Finding) => finding.evidence as { profile?: HourlyProfile; instanceType?: string | null; demandTargetCpu?: number; recommendedMinSize?: number; platform?: unknown };

function needsUsage(finding: Finding): HourlyProfile | string {
  const e = evidenceOf(finding);
  if (!e.profile) return `Finding from detector '${finding.detector}' carries no usage profile; this action needs one from 'over-provisioned-target-tracking' or 'min-size-unneeded'.`;
  return e.profile;
}

// ── raise-target ─────────────────────────────────────────────────────────────────────────

export interface RaiseTargetParams {
  group: string;
  policyName: string;
  fromTarget: number;
  toTarget: number;
}

export const raiseTarget: Remediator<RaiseTargetParams, { maxTarget: number; maxStepPoints: number; tuningCooldownDays: number }> = {
  id: 'raise-target',
  resource: 'asg',
  title: 'Raise a CPU target-tracking target, bounded (never above maxTarget, at most +maxStepPoints a change)',
  options: z.object({
    /** Never set a CPU target above this (percent). */
    maxTarget: z.number().min(1).max(100).default(DEFAULT_RAISE_TARGET.maxTarget),
    /** At most this many points per change. */
    maxStepPoints: z.number().min(1).max(50).default(DEFAULT_RAISE_TARGET.maxStepPoints),
    ...cooldownOption,
  }),
  permissions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies', 'autoscaling:PutScalingPolicy'],
  defaultMode: 'dry-run',
  undoable: 'yes',
  undoLimits: "Instances Auto Scaling did not launch, or terminated, under the higher target: the group scales back toward the old target from its size at the time, with new instances (new ids and addresses, nothing of the old instances' local disks).",
  minCooldownHours: (o) => o.tuningCooldownDays * 24,

  plan(finding, options, { prices }) {
    const profile = needsUsage(finding);
    if (typeof profile === 'string') return { kind: 'conflict', reason: profile };
    const before = finding.before as AsgBefore;
    const p = proposeRaiseTarget(before, profile, evidenceOf(finding).instanceType ?? undefined, options, prices, platformFromEvidence(evidenceOf(finding).platform));
    if (p.kind === 'noop') return p;
    const { instanceHoursPerMonth: _h, ...savings } = p.savings;
    return {
      kind: 'change',
      summary: `Raise the CPU target of '${p.policyName}' on ${finding.resource.id} from ${p.fromTarget}% to ${p.toTarget}% (bound ${options.maxTarget}%).`,
      params: { group: finding.resource.id, policyName: p.policyName, fromTarget: p.fromTarget, toTarget: p.toTarget },
      undo: `Put the policy back with target ${p.fromTarget}% and its full recorded configuration.`,
      savings,
    };
  },

  async apply(ctx, plan) {
    const { group, policyName, fromTarget, toTarget } = plan.params;
    const before = await snapshot(ctx, group, [policyName], true);
    const { PolicyType: type = 'SimpleScaling', TargetTrackingConfiguration: tracking } = before.policies[0];
    if (type !== 'TargetTrackingScaling') throw new PlanConstraintError(`'${policyName}' on ${group} is a ${type} policy now, not target tracking as when detected; nothing was changed.`);
    const current = tracking?.TargetValue;
    if (current === undefined) throw new PlanConstraintError(`'${policyName}' on ${group} is described without a target value now; nothing was changed.`);
    if (current !== fromTarget) throw new PlanConstraintError(`'${policyName}' on ${group} has target ${current}% now, not ${fromTarget}% as when detected; nothing was changed.`);
    const input = putInputFrom(before.policies[0]);
    input.TargetTrackingConfiguration = { ...input.TargetTrackingConfiguration!, TargetValue: toTarget };
    await putPolicy(ctx, input);
    const after = asWritten(before, (a) => void (a.policies[0].TargetTrackingConfiguration = { ...a.policies[0].TargetTrackingConfiguration!, TargetValue: toTarget }));
    return { before, after, detail: `target ${fromTarget}% → ${toTarget}%` };
  },

  async verify(ctx, plan) {
    // Only the policy changed: re-read it alone.
    const policy = await currentPolicy(ctx, plan.params.group, plan.params.policyName);
    if (!policy) return { ok: false, detail: `'${plan.params.policyName}' of ${plan.params.group} no longer exists` };
    if ((policy.PolicyType ?? 'SimpleScaling') !== 'TargetTrackingScaling') return { ok: false, detail: `'${plan.params.policyName}' is a ${policy.PolicyType ?? 'SimpleScaling'} policy now, expected target tracking at ${plan.params.toTarget}%` };
    const value = policy.TargetTrackingConfiguration?.TargetValue;
    return value === plan.params.toTarget
      ? { ok: true, detail: `'${plan.params.policyName}' tracks ${value}% CPU` }
      : { ok: false, detail: `'${plan.params.policyName}' tracks ${value}% CPU, expected ${plan.params.toTarget}%` };
  },

  undo: restore,
};

// ── lower-min-size ───────────────────────────────────────────────────────────────────────

export interface LowerMinParams {
  group: string;
  fromMinSize: number;
  toMinSize: number;
}

export const lowerMinSize: Remediator<LowerMinParams, { floor: number; maxReductionPercent: number; tuningCooldownDays: number }> = {
  id: 'lower-min-size',
  resource: 'asg',
  title: 'Lower MinSize to what the load needs, bounded by a floor and a step limit',
  options: z.object({
    /** Never set MinSize below this. */
    floor: z.number().int().min(0).default(DEFAULT_LOWER_MIN.floor),
    /** At most this share of MinSize removed per change. */
    maxReductionPercent: z.number().min(1).max(100).default(DEFAULT_LOWER_MIN.maxReductionPercent),
    ...cooldownOption,
  }),
  permissions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies', 'autoscaling:UpdateAutoScalingGroup'],
  defaultMode: 'dry-run',
  undoable: 'yes',
  undoLimits: "Instances Auto Scaling terminated under the lower MinSize are gone, with their instance-store and local data; raising MinSize back launches new ones from the launch template (new ids and IP addresses).",
  minCooldownHours: (o) => o.tuningCooldownDays * 24,

  plan(finding, options, { prices }) {
    const profile = needsUsage(finding);
    if (typeof profile === 'string') return { kind: 'conflict', reason: profile };
    const e = evidenceOf(finding);
    if (e.recommendedMinSize === undefined || e.demandTargetCpu === undefined) {
      return { kind: 'conflict', reason: `Finding from detector '${finding.detector}' has no recommended MinSize; use 'min-size-unneeded' with this action.` };
    }
    const before = finding.before as AsgBefore;
    const p = proposeLowerMin(before, profile, e.demandTargetCpu, e.recommendedMinSize, e.instanceType ?? undefined, options, prices, platformFromEvidence(e.platform));
    if (p.kind === 'noop') return p;
    const { instanceHoursPerMonth: _h, ...savings } = p.savings;
    return {
      kind: 'change',
      summary: `Lower MinSize of ${finding.resource.id} from ${p.fromMinSize} to ${p.toMinSize} (floor ${options.floor}, at most −${options.maxReductionPercent}% a change).`,
      params: { group: finding.resource.id, fromMinSize: p.fromMinSize, toMinSize: p.toMinSize },
      undo: `Set MinSize back to ${p.fromMinSize} (Auto Scaling raises the desired capacity to it if needed).`,
      savings,
    };
  },

  async apply(ctx, plan) {
    const { group, fromMinSize, toMinSize } = plan.params;
    const before = await snapshot(ctx, group, [], true);
    if (before.group.minSize !== fromMinSize) throw new PlanConstraintError(`${group} has MinSize ${before.group.minSize} now, not ${fromMinSize} as when detected; nothing was changed.`);
    await updateGroup(ctx, { AutoScalingGroupName: group, MinSize: toMinSize });
    return { before, after: asWritten(before, (a) => void (a.group.minSize = toMinSize)), detail: `MinSize ${fromMinSize} → ${toMinSize}` };
  },

  async verify(ctx, plan) {
    const now = await snapshot(ctx, plan.params.group, []);
    return now.group.minSize === plan.params.toMinSize
      ? { ok: true, detail: `MinSize is ${now.group.minSize} (desired ${now.group.desiredCapacity}, max ${now.group.maxSize})` }
      : { ok: false, detail: `MinSize is ${now.group.minSize}, expected ${plan.params.toMinSize}` };
  },

  undo: restore,
};

// ── lengthen-warmup ──────────────────────────────────────────────────────────────────────

export interface WarmupParams {
  group: string;
  changes: WarmupChange[];
}

export const lengthenWarmup: Remediator<WarmupParams, { minSeconds: number; factor: number; maxSeconds: number; tuningCooldownDays: number }> = {
  id: 'lengthen-warmup',
  resource: 'asg',
  title: "Lengthen the scaling policies' instance warm-up (or cooldown), bounded",
  options: z.object({
    /** The shortest warm-up/cooldown trimtab sets, seconds. */
    minSeconds: z.number().int().min(0).max(3600).default(DEFAULT_WARMUP.minSeconds),
    /** Multiply the current value by this per change. */
    factor: z.number().min(1.1).max(10).default(DEFAULT_WARMUP.factor),
    /** Never set more than this, seconds. */
    maxSeconds: z.number().int().min(60).max(3600).default(DEFAULT_WARMUP.maxSeconds),
    ...cooldownOption,
  }),
  permissions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribePolicies', 'autoscaling:PutScalingPolicy', 'autoscaling:UpdateAutoScalingGroup'],
  defaultMode: 'dry-run',
  undoable: 'yes',
  undoLimits: "Scaling decisions Auto Scaling made while the longer warm-up and cooldown applied (later scale-outs, instances it did or did not launch) are not replayed; no data is lost.",
  minCooldownHours: (o) => o.tuningCooldownDays * 24,

  plan(finding, options) {
    const p = proposeWarmup(finding.before as AsgBefore, options);
    if (p.kind === 'noop') return p;
    const words = p.changes.map((c) => `${c.policyName ? `'${c.policyName}' ` : 'group '}${c.field} ${c.from}s → ${c.to}s`);
    return {
      kind: 'change',
      summary: `Lengthen warm-up/cooldown on ${finding.resource.id}: ${words.join('; ')}.`,
      params: { group: finding.resource.id, changes: p.changes },
      undo: 'Put back the recorded policy configurations and group cooldown.',
      savings: { monthlyUsd: 0, basis: ['Fewer launch/terminate pairs; the churn saving is not estimated.'] },
    };
  },

  async apply(ctx, plan) {
    const { group, changes } = plan.params;
    const names = changes.filter((c) => c.policyName).map((c) => c.policyName!);
    const before = await snapshot(ctx, group, names, true);
    for (const change of changes) {
      if (change.field === 'DefaultCooldown') {
        if (before.group.defaultCooldown !== change.from) throw new PlanConstraintError(`${group} has DefaultCooldown ${before.group.defaultCooldown}s now, not ${change.from}s; nothing was changed.`);
        continue;
      }
      const policy = before.policies.find((p) => p.PolicyName === change.policyName)!;
      const explicit = policy[change.field];
      if (explicit !== undefined && explicit !== change.from) {
        throw new PlanConstraintError(`'${change.policyName}' has ${change.field} ${explicit}s now, not ${change.from}s; nothing was changed.`);
      }
    }
    for (const change of changes) {
      if (change.field === 'DefaultCooldown') await updateGroup(ctx, { AutoScalingGroupName: group, DefaultCooldown: change.to });
      else await putPolicy(ctx, { ...putInputFrom(before.policies.find((p) => p.PolicyName === change.policyName)!), [change.field]: change.to });
    }
    const after = asWritten(before, (a) => {
      for (const change of changes) {
        if (change.field === 'DefaultCooldown') a.group.defaultCooldown = change.to;
        else (a.policies.find((p) => p.PolicyName === change.policyName)! as Record<string, unknown>)[change.field] = change.to;
      }
    });
    return { before, after, detail: `${changes.length} setting(s) lengthened` };
  },

  async verify(ctx, plan) {
    const names = plan.params.changes.filter((c) => c.policyName).map((c) => c.policyName!);
    const now = await snapshot(ctx, plan.params.group, names);
    const wrong = plan.params.changes.filter((c) =>
      c.field === 'DefaultCooldown' ? now.group.defaultCooldown !== c.to : now.policies.find((p) => p.PolicyName === c.policyName)?.[c.field] !== c.to,
    );
    return wrong.length
      ? { ok: false, detail: `Not as planned: ${wrong.map((c) => `${c.policyName ?? 'group'} ${c.field}`).join(', ')}` }
      : { ok: true, detail: `${plan.params.changes.length} warm-up/cooldown setting(s) in place` };
  },

  undo: restore,
};
