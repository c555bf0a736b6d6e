/**
 * change-instance-type: stop → wait for `stopped` → ModifyInstanceAttribute InstanceType →
 * start → wait for `running` and both status checks `ok` → verify. A type can change only while
 * the instance is stopped (ModifyInstanceAttribute: "To modify some attributes, the instance
 * must be stopped"; IncorrectInstanceState otherwise; EC2 User Guide "Change the instance
 * type"). Right before writing, apply re-reads the instance and refuses (ProtectedResourceError):
 * the trimtab:skip tag, an Auto Scaling group member (the group would replace a stopped
 * instance; resize the group's launch template instead), instance-store volumes (erased by the
 * stop), spot, and a target the instance cannot run: another architecture (the AMI's), ENA
 * required without the instance's EnaSupport, or NVMe EBS when the current type is not NVMe
 * (DescribeInstanceTypes ProcessorInfo / NetworkInfo.EnaSupport / EbsInfo.NvmeSupport).
 * If the modify fails after the stop, the instance is started again on its old type.
 * Every wait goes through ctx.clock with a bounded deadline.
 *
 * Maintenance window (option): outside it the action does not run. The engine defers auto and
 * CLI runs with "waiting for the maintenance window <when>" (deferUntil); apply refuses too, as
 * a second gate.
 */
import { DescribeInstanceStatusCommand, EC2Client, paginateDescribeInstanceTypes, ModifyInstanceAttributeCommand, StartInstancesCommand, StopInstancesCommand, type InstanceTypeInfo as AwsTypeInfo } from '@aws-sdk/client-ec2';
import * as z from 'zod';
import { SKIP_TAG } from '../protection.ts';
import type { RegionContext, Remediator } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName } from '../../util/errors.ts';
import { stopProtection } from './detectors.ts';
import { describeInstance } from './remediators.ts';
import type { ResizeBefore } from './rightsizing.ts';
import type { Ec2Instance } from './resource.ts';

export interface ResizeParams {
  instanceId: string;
  fromType: string;
  toType: string;
  architecture: string;
  /** From the action's options: apply checks the window again and bounds its waits. */
  maintenanceWindow?: MaintenanceWindow;
  stopTimeoutMinutes: number;
  startTimeoutMinutes: number;
}

export interface ResizeAfter {
  instanceType: string;
  state: string;
  /** DescribeInstanceStatus after the start: 'ok' when both checks passed. */
  statusChecks?: string;
  /** Nothing was changed: the instance already had the target type, or is gone. */
  alreadyDone?: string;
  /** The instance was stopped when trimtab came: it changed the type and left it stopped. */
  leftStopped?: boolean;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const maintenanceWindow = z
  .object({
    /** Days of the week (UTC) the window opens on; all days when left out. */
    days: z.array(z.enum(DAYS)).min(1).optional(),
    /** UTC start, HH:MM. */
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'start must be HH:MM (UTC)'),
    /** Length in hours. */
    hours: z.number().min(0.5).max(24),
  })
  .strict();
export type MaintenanceWindow = z.infer<typeof maintenanceWindow>;

export interface ResizeOptions {
  maintenanceWindow?: MaintenanceWindow;
  /** Bounded waits, minutes (defaults: 15 to stop, 15 to start and pass status checks). */
  stopTimeoutMinutes: number;
  startTimeoutMinutes: number;
}

const HOUR_MS = 3_600_000;
const POLL_MS = 10_000;

/** Undefined when `now` is inside the window; otherwise the next opening (ISO). */
export function nextWindowOpening(w: MaintenanceWindow, now: Date): string | undefined {
  const [hh, mm] = w.start.split(':').map(Number);
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  // A window that opened yesterday may still be open (e.g. 22:00 for 4 hours).
  for (let d = -1; d <= 7; d++) {
    const opens = day + d * 24 * HOUR_MS + (hh * 60 + mm) * 60_000;
    const weekday = DAYS[new Date(opens).getUTCDay()];
    if (w.days && !w.days.includes(weekday)) continue;
    const closes = opens + w.hours * HOUR_MS;
    if (now.getTime() >= opens && now.getTime() < closes) return undefined;
    if (opens > now.getTime()) return new Date(opens).toISOString();
  }
  return undefined;
}

const describeWindow = (w: MaintenanceWindow) => `${w.days ? w.days.join('/') : 'daily'} ${w.start} UTC for ${w.hours} h`;

async function typeInfo(ec2: EC2Client, types: string[]): Promise<Map<string, AwsTypeInfo>> {
  const out = new Map<string, AwsTypeInfo>();
  for await (const page of paginateDescribeInstanceTypes({ client: ec2 }, { InstanceTypes: [...new Set(types)] as never[] })) {
    for (const t of page.InstanceTypes ?? []) out.set(t.InstanceType as string, t);
  }
  return out;
}

/** Why the instance cannot run `to`, per DescribeInstanceTypes; undefined when it can. */
export function unsupportedTarget(instance: Pick<Ec2Instance, 'id' | 'architecture' | 'enaSupport'>, from: AwsTypeInfo | undefined, to: AwsTypeInfo | undefined, toType: string): string | undefined {
  if (!to) return `${toType} is not offered in this region (DescribeInstanceTypes)`;
  const arch = instance.architecture;
  const archs = (to.ProcessorInfo?.SupportedArchitectures ?? []) as string[];
  if (arch && !archs.includes(arch)) return `${toType} supports ${archs.join(', ') || 'no known architecture'}, and the instance's AMI is ${arch}`;
  if (to.NetworkInfo?.EnaSupport === 'required' && instance.enaSupport !== true) return `${toType} requires ENA and ${instance.id} does not have EnaSupport enabled (its AMI needs the ENA driver)`;
  if (to.EbsInfo?.NvmeSupport === 'required' && from?.EbsInfo?.NvmeSupport !== 'required' && from?.EbsInfo?.NvmeSupport !== 'supported') {
    return `${toType} exposes EBS as NVMe and the current type does not: the AMI's NVMe drivers are not known`;
  }
  return undefined;
}

/** Polls DescribeInstances through the clock until the state is `want`, or the deadline passes. */
async function waitForState(ctx: RegionContext, ec2: EC2Client, id: string, want: string, timeoutMs: number): Promise<Ec2Instance> {
  const deadline = ctx.clock.now().getTime() + timeoutMs;
  for (;;) {
    const now = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!now) throw new Error(`${id} disappeared while waiting for it to be ${want}`);
    if (now.state === want) return now;
    if (now.state === 'terminated' || now.state === 'shutting-down') throw new Error(`${id} is ${now.state} while trimtab waited for ${want}`);
    if (ctx.clock.now().getTime() >= deadline) throw new Error(`${id} is still ${now.state} after ${Math.round(timeoutMs / 60_000)} min waiting for ${want}`);
    await ctx.clock.sleep(POLL_MS);
  }
}

/** Both status checks of a running instance: 'ok', or the last status seen at the deadline. */
async function waitForStatusChecks(ctx: RegionContext, ec2: EC2Client, id: string, timeoutMs: number): Promise<string> {
  const deadline = ctx.clock.now().getTime() + timeoutMs;
  for (;;) {
    const out = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    const s = out.InstanceStatuses?.find((x) => x.InstanceId === id);
    const instance = s?.InstanceStatus?.Status ?? 'not-reported';
    const system = s?.SystemStatus?.Status ?? 'not-reported';
    if (instance === 'ok' && system === 'ok') return 'ok';
    if (instance === 'impaired' || system === 'impaired') return `impaired (instance ${instance}, system ${system})`;
    if (ctx.clock.now().getTime() >= deadline) return `instance ${instance}, system ${system} after ${Math.round(timeoutMs / 60_000)} min`;
    await ctx.clock.sleep(POLL_MS);
  }
}

/**
 * The change itself, for apply and undo: stop if running, modify, start again if it was running.
 * If the modify fails, the instance is started on its old type before the error is thrown.
 */
async function resize(ctx: RegionContext, current: Ec2Instance, toType: string, o: Pick<ResizeOptions, 'stopTimeoutMinutes' | 'startTimeoutMinutes'>): Promise<ResizeAfter> {
  const ec2 = ctx.clients.get(EC2Client, ctx.region);
  const id = current.id;
  const wasRunning = current.state === 'running';
  if (current.state !== 'running' && current.state !== 'stopped') throw new Error(`${id} is ${current.state}: trimtab changes the type of a running or stopped instance only; try again later`);
  if (wasRunning) {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await waitForState(ctx, ec2, id, 'stopped', o.stopTimeoutMinutes * 60_000);
  }
  try {
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: toType } }));
  } catch (error) {
    if (wasRunning) await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    throw error;
  }
  if (!wasRunning) return { instanceType: toType, state: 'stopped', leftStopped: true };
  await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
  const started = await waitForState(ctx, ec2, id, 'running', o.startTimeoutMinutes * 60_000);
  const statusChecks = await waitForStatusChecks(ctx, ec2, id, o.startTimeoutMinutes * 60_000);
  return { instanceType: started.instanceType, state: started.state, statusChecks };
}

export const changeInstanceType: Remediator<ResizeParams, ResizeOptions> = {
  id: 'change-instance-type',
  resource: 'ec2-instance',
  title: 'Change the instance type (stop, modify, start, wait for status checks); undo changes it back the same way',
  options: z.object({
    /** Only act inside this UTC window (the instance is stopped for a few minutes). */
    maintenanceWindow: maintenanceWindow.optional(),
    /** How long to wait for the instance to stop before giving up (the Lambda runs 15 minutes at most). */
    stopTimeoutMinutes: z.number().int().min(1).max(14).default(10),
    /** How long to wait for it to run and pass both status checks after the start. */
    startTimeoutMinutes: z.number().int().min(1).max(14).default(10),
  }),
  permissions: ['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes', 'ec2:DescribeInstanceStatus', 'ec2:StopInstances', 'ec2:StartInstances', 'ec2:ModifyInstanceAttribute'],
  // A type change stops the server for minutes: a person approves unless the policy says otherwise.
  defaultMode: 'approval',
  undoable: 'yes',

  deferUntil(o, now) {
    if (!o.maintenanceWindow) return undefined;
    const next = nextWindowOpening(o.maintenanceWindow, now);
    return next ? { at: next, why: `waiting for the maintenance window ${next} (${describeWindow(o.maintenanceWindow)})` } : undefined;
  },

  plan(finding, o) {
    const before = finding.before as ResizeBefore | undefined;
    if (!before?.targetType) return { kind: 'noop', reason: 'the finding proposes no target type' };
    if (before.targetType === before.instanceType) return { kind: 'noop', reason: `${before.instanceId} already runs ${before.targetType}` };
    const saving = finding.savings.monthlyUsd > 0 ? `saves about $${usd(finding.savings.monthlyUsd)}/month` : 'for performance';
    return {
      kind: 'change',
      summary: `Change ${before.instanceId} from ${before.instanceType} to ${before.targetType} (${saving}): stop, modify, start; it is down for a few minutes${o.maintenanceWindow ? `, inside the window ${describeWindow(o.maintenanceWindow)}` : ''}.`,
      params: {
        instanceId: before.instanceId, fromType: before.instanceType, toType: before.targetType, architecture: before.architecture,
        ...(o.maintenanceWindow ? { maintenanceWindow: o.maintenanceWindow } : {}), stopTimeoutMinutes: o.stopTimeoutMinutes, startTimeoutMinutes: o.startTimeoutMinutes,
      },
      undo: `trimtab undo changes it back to ${before.instanceType} the same way (stop, modify, start), while it still runs ${before.targetType}. A restart gives a new public IPv4 address unless it has an Elastic IP.`,
    };
  },

  async apply(ctx, plan) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const { instanceId: id, fromType, toType } = plan.params;
    const options = plan.params;
    const current = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!current) return { after: { instanceType: 'unknown', state: 'gone', alreadyDone: 'gone' } satisfies ResizeAfter, detail: `${id} no longer exists: counts as done` };
    if (current.instanceType === toType) {
      return { before: current, after: { instanceType: toType, state: current.state, alreadyDone: `already ${toType}` } satisfies ResizeAfter, detail: `${id} already runs ${toType}: counts as done` };
    }
    if (current.instanceType !== fromType) throw new ProtectedResourceError(`${id} now runs ${current.instanceType}, not ${fromType} as planned: someone changed it since, so trimtab leaves it alone`);
    if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}`);
    if (options.maintenanceWindow) {
      const next = nextWindowOpening(options.maintenanceWindow, ctx.clock.now());
      if (next) throw new ProtectedResourceError(`${id}: outside the maintenance window (${describeWindow(options.maintenanceWindow)}); waiting for the maintenance window ${next}`);
    }
    const types = await typeInfo(ec2, [fromType, toType]);
    const from = types.get(fromType);
    const storage = from ? (from.InstanceStorageSupported ? (from.InstanceStorageInfo?.TotalSizeInGB ?? 1) : 0) : null;
    const protection = stopProtection({ ...current, instanceStorageGb: storage });
    if (protection) throw new ProtectedResourceError(`${id}: ${protection}`);
    const unsupported = unsupportedTarget(current, from, types.get(toType), toType);
    if (unsupported) throw new ProtectedResourceError(`${id}: ${unsupported}`);
    try {
      const after = await resize(ctx, current, toType, options);
      return { before: current, after, detail: `${fromType} → ${after.instanceType}, ${after.state}${after.statusChecks ? `, status checks ${after.statusChecks}` : ''}` };
    } catch (error) {
      // AWS's own refusal of the type (Unsupported, InvalidParameterValue): nothing changed, the instance runs again on its old type.
      if (['Unsupported', 'InvalidParameterValue', 'InvalidParameterCombination', 'UnsupportedOperation'].includes(awsErrorName(error) ?? '')) {
        throw new ProtectedResourceError(`${id}: AWS refused ${toType} (${awsErrorName(error)}: ${(error as Error).message}); started again as ${fromType}`, { cause: error });
      }
      throw error;
    }
  },

  async verify(ctx, plan, applied) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const { instanceId: id, toType } = plan.params;
    const after = applied.after as ResizeAfter;
    const now = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!now) return after.alreadyDone === 'gone' ? { ok: true, detail: `${id} is gone` } : { ok: false, detail: `${id} disappeared after the type change` };
    if (now.instanceType !== toType) return { ok: false, detail: `${id} runs ${now.instanceType}, not ${toType}` };
    if (after.leftStopped || after.alreadyDone) return { ok: true, detail: `${id} is ${toType} (${now.state})` };
    if (now.state !== 'running') return { ok: false, detail: `${id} is ${toType} but ${now.state}, not running` };
    if (after.statusChecks !== 'ok') return { ok: false, detail: `${id} is ${toType} and running, but its status checks are ${after.statusChecks}` };
    return { ok: true, detail: `${id} runs ${toType}; both status checks ok` };
  },

  async undo(ctx, record) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const { instanceId: id, fromType, toType } = record.params as ResizeParams;
    const after = record.after as ResizeAfter | undefined;
    if (after?.alreadyDone) throw new UndoRefusedError(`${id} was ${after.alreadyDone} when trimtab acted: trimtab changed nothing, so it changes nothing back.`);
    const now = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!now) throw new UndoRefusedError(`${id} no longer exists.`);
    if (now.instanceType !== toType) throw new UndoRefusedError(`${id} runs ${now.instanceType}, not ${toType} as trimtab left it: someone changed it since, so trimtab leaves it alone.`);
    const back = await resize(ctx, now, fromType, record.params as ResizeParams);
    if (back.statusChecks && back.statusChecks !== 'ok') return { detail: `Changed ${id} back to ${fromType}; it runs, but its status checks are ${back.statusChecks}.`, after: back };
    return { detail: `Changed ${id} back to ${fromType} (${back.state}${back.statusChecks ? ', status checks ok' : ''}).`, after: back };
  },
};
