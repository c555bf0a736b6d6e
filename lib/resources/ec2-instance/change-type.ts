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
import type { AppliedChange, ApplyEnv, RegionContext, Remediator, StepProgress } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import { ProtectedResourceError, TrimtabError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { stopProtection } from './detectors.ts';
import { describeInstance } from './remediators.ts';
import type { ResizeBefore } from './resize-before.ts';
import type { Ec2Instance } from './resource.ts';

export interface ResizeParams {
  instanceId: string;
  fromType: string;
  toType: string;
  architecture: string;
  /**
   * What the plan was made on, re-checked right before the first write: the state (`running` or
   * `stopped`) and LaunchTime (the last launch: a stop and start since the finding changes it).
   * Absent in plans made before they were bound.
   */
  state?: string;
  launchTime?: string;
  /** The placement group it runs in (a start on the new type may fail for capacity there; the compensation restores it). */
  placementGroup?: string;
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

/** Step names recorded through ApplyEnv.record, in the order they happen. */
export const RESIZE_STEPS = {
  stopRequested: 'stop-requested',
  stopped: 'stopped',
  modified: 'type-modified',
  startRequested: 'start-requested',
  running: 'running',
  // Compensation: the new type did not start (or the modify was refused): back to the old type, started.
  startFailed: 'start-failed',
  modifyRefused: 'modify-refused',
  reverted: 'type-reverted',
  restartRequested: 'restart-requested',
  rolledBack: 'rolled-back',
} as const;

/** AWS's answers to StartInstances that mean "not on this type, here, now": the compensation restarts the old type. */
export const START_REFUSALS = ['InsufficientInstanceCapacity', 'VcpuLimitExceeded', 'InstanceLimitExceeded', 'InsufficientCapacityOnHost', 'InsufficientHostCapacity', 'ReservationCapacityExceeded', 'InsufficientReservedInstanceCapacity', 'Unsupported', 'UnsupportedOperation', 'InvalidParameterCombination', 'UnsupportedHibernationConfiguration'];
/** AWS's refusals of the type itself at ModifyInstanceAttribute (InvalidInstanceAttributeValue: "If the instance type is not valid"). */
export const MODIFY_REFUSALS = ['InvalidInstanceAttributeValue', 'Unsupported', 'InvalidParameterValue', 'InvalidParameterCombination', 'UnsupportedOperation'];

/** The type change did not happen: AWS refused the new type, and trimtab put the instance back on its old type, running. */
export class ResizeRolledBackError extends TrimtabError {}

/** An apply that is not finished: where it stands (the action record's `after` until it resumes). */
export interface ResizePending {
  instanceType: string;
  state: string;
  step: string;
  waitingFor: string;
}

/** One invocation of the step machine. */
interface Run {
  ctx: RegionContext;
  ec2: EC2Client;
  p: Pick<ResizeParams, 'instanceId' | 'fromType' | 'toType' | 'stopTimeoutMinutes' | 'startTimeoutMinutes'>;
  env: ApplyEnv;
  /** Steps so far: the recorded ones plus those this invocation recorded. */
  steps: StepProgress[];
  /** No ApplyEnv (an old caller, or undo): wait inside this invocation, as before, up to each deadline. */
  inline: boolean;
  /** Without an ApplyEnv, an error of the modify that is not a refusal: thrown once the instance runs again on its old type. */
  passOn?: { error: unknown };
}

/** With an ApplyEnv, an invocation polls at most this long before it hands the wait back as `resumeAt`. */
export const INLINE_WAIT_MS = 60_000;
/** …and never starts a step with less than this left. */
export const MIN_STEP_MS = 30_000;

const stepOf = (r: Run, name: string) => [...r.steps].reverse().find((s) => s.step === name);
const sinceOf = (r: Run, name: string) => Date.parse(stepOf(r, name)?.at ?? r.ctx.clock.now().toISOString());

async function record(r: Run, step: string, state?: Record<string, unknown>): Promise<void> {
  const progress: StepProgress = { step, at: r.ctx.clock.now().toISOString(), ...(state ? { state } : {}) };
  await r.env.record(progress);
  r.steps.push(progress);
}

type Waited = { instance: Ec2Instance; failedStart?: string } | { resumeAt: string };

/**
 * Polls DescribeInstances through the clock until the state is `want`, the deadline (from the
 * step's recorded time) passes, or (with an ApplyEnv) this invocation has polled long enough:
 * then the wait is handed back as `resumeAt`. A start that AWS accepted and then abandoned
 * (back to `stopped` with a `Server.*` StateReason, e.g. Server.InsufficientInstanceCapacity)
 * comes back as `failedStart`; a stale read still showing the user's stop does not.
 */
async function waitFor(r: Run, want: 'stopped' | 'running', since: number, timeoutMs: number): Promise<Waited> {
  const { ctx, ec2, p } = r;
  const deadline = since + timeoutMs;
  const inlineUntil = r.inline ? Number.POSITIVE_INFINITY : ctx.clock.now().getTime() + INLINE_WAIT_MS;
  for (;;) {
    const now = await describeInstance(ec2, p.instanceId, ctx.region, ctx.account);
    if (!now) throw new Error(`${p.instanceId} disappeared while waiting for it to be ${want}`);
    if (now.state === want) return { instance: now };
    if (now.state === 'terminated' || now.state === 'shutting-down') throw new Error(`${p.instanceId} is ${now.state} while trimtab waited for ${want}`);
    if (want === 'running' && now.state === 'stopped' && now.stateReasonCode?.startsWith('Server.')) return { instance: now, failedStart: now.stateReasonCode };
    const t = ctx.clock.now().getTime();
    if (t >= deadline) throw new Error(`${p.instanceId} is still ${now.state} after ${Math.round(timeoutMs / 60_000)} min waiting for ${want}`);
    if (!r.inline && (t + POLL_MS > inlineUntil || r.env.remainingMs() < POLL_MS + MIN_STEP_MS)) return { resumeAt: new Date(t + POLL_MS).toISOString() };
    await ctx.clock.sleep(POLL_MS);
  }
}

/** Both status checks of a running instance: 'ok', 'impaired …', the last status at the deadline, or a resume time. */
async function waitForStatusChecks(r: Run, since: number, timeoutMs: number): Promise<{ status: string } | { resumeAt: string }> {
  const { ctx, ec2, p } = r;
  const deadline = since + timeoutMs;
  const inlineUntil = r.inline ? Number.POSITIVE_INFINITY : ctx.clock.now().getTime() + INLINE_WAIT_MS;
  for (;;) {
    const out = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [p.instanceId] }));
    const s = out.InstanceStatuses?.find((x) => x.InstanceId === p.instanceId);
    const instance = s?.InstanceStatus?.Status ?? 'not-reported';
    const system = s?.SystemStatus?.Status ?? 'not-reported';
    if (instance === 'ok' && system === 'ok') return { status: 'ok' };
    if (instance === 'impaired' || system === 'impaired') return { status: `impaired (instance ${instance}, system ${system})` };
    const t = ctx.clock.now().getTime();
    if (t >= deadline) return { status: `instance ${instance}, system ${system} after ${Math.round(timeoutMs / 60_000)} min` };
    if (!r.inline && (t + POLL_MS > inlineUntil || r.env.remainingMs() < POLL_MS + MIN_STEP_MS)) return { resumeAt: new Date(t + POLL_MS).toISOString() };
    await ctx.clock.sleep(POLL_MS);
  }
}

function pending(r: Run, resumeAt: string, state: string, waitingFor: string): AppliedChange {
  const step = r.steps.at(-1)?.step ?? 'none';
  const after: ResizePending = { instanceType: step === RESIZE_STEPS.modified || step === RESIZE_STEPS.startRequested || step === RESIZE_STEPS.running || step === RESIZE_STEPS.startFailed ? r.p.toType : r.p.fromType, state, step, waitingFor };
  return { after, resumeAt, detail: `${r.p.instanceId}: ${step}; waiting for ${waitingFor}, resume at ${resumeAt}` };
}

/** Why the compensation ran, from the recorded step (for the rolled-back error). */
function failureOf(r: Run): string {
  const s = stepOf(r, RESIZE_STEPS.startFailed) ?? stepOf(r, RESIZE_STEPS.modifyRefused);
  const st = (s?.state ?? {}) as { code?: string; message?: string };
  return `${st.code ?? 'refused'}${st.message ? `: ${st.message}` : ''}`;
}

/**
 * The steps after the first write, from the last recorded one: stop-requested → stopped →
 * type-modified → start-requested → running → status checks (done); a refused start or modify
 * runs the compensation: start-failed → type-reverted → restart-requested → rolled-back.
 * Each step is recorded before the next starts; a long wait returns `resumeAt`.
 */
async function advance(r: Run): Promise<AppliedChange> {
  const { ctx, ec2, p } = r;
  const id = p.instanceId;
  const describe = async () => {
    const now = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!now) throw new Error(`${id} disappeared in the middle of the type change (after ${r.steps.at(-1)?.step})`);
    return now;
  };
  for (;;) {
    const last = r.steps.at(-1)!;
    if (!r.inline && r.env.remainingMs() < MIN_STEP_MS) return pending(r, ctx.clock.now().toISOString(), 'unknown', `the next step (${r.env.remainingMs()} ms left in this invocation)`);
    switch (last.step) {
      case RESIZE_STEPS.stopRequested: {
        const w = await waitFor(r, 'stopped', sinceOf(r, RESIZE_STEPS.stopRequested), p.stopTimeoutMinutes * 60_000);
        if ('resumeAt' in w) return pending(r, w.resumeAt, 'stopping', 'stopped');
        await record(r, RESIZE_STEPS.stopped, { launchTime: w.instance.launchTime ?? null });
        continue;
      }
      case RESIZE_STEPS.stopped: {
        // Right before the modify: still the instance trimtab stopped, stopped, on the planned type.
        const now = await describe();
        const stoppedLaunch = (stepOf(r, RESIZE_STEPS.stopRequested)?.state as { launchTime?: string } | undefined)?.launchTime;
        if (now.state === 'stopped' && now.instanceType === p.toType) {
          // The modify went through but its step was not recorded (the invocation ended in between).
          await record(r, RESIZE_STEPS.modified, { wasRunning: true, recovered: true });
          continue;
        }
        const changed =
          now.state !== 'stopped' ? `it is ${now.state}, not stopped as trimtab left it`
          : now.instanceType !== p.fromType ? `it now runs ${now.instanceType}, not ${p.fromType}`
          : stoppedLaunch && now.launchTime && now.launchTime !== stoppedLaunch ? `it was started again at ${now.launchTime} since trimtab stopped it`
          : SKIP_TAG in now.tags ? `it is now tagged ${SKIP_TAG}` : undefined;
        if (changed) {
          if (now.state !== 'stopped') throw new ProtectedResourceError(`${id}: ${changed}: someone changed it while trimtab held it stopped, so trimtab leaves it alone (type unchanged)`);
          await record(r, RESIZE_STEPS.modifyRefused, { code: 'changed', message: changed });
          continue;
        }
        try {
          await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: p.toType } }));
        } catch (error) {
          if (!MODIFY_REFUSALS.includes(awsErrorName(error) ?? '')) {
            // With an ApplyEnv the change resumes at `stopped` and tries the modify again. Without one nothing
            // resumes it: the instance trimtab stopped is started again on its old type, then the error passed on.
            if (!r.inline) throw error;
            r.passOn = { error };
          }
          await record(r, RESIZE_STEPS.modifyRefused, { code: awsErrorName(error), message: errorMessage(error) });
          continue;
        }
        await record(r, RESIZE_STEPS.modified, { wasRunning: true });
        continue;
      }
      case RESIZE_STEPS.modified: {
        if ((last.state as { wasRunning?: boolean } | undefined)?.wasRunning === false) {
          return { after: { instanceType: p.toType, state: 'stopped', leftStopped: true } satisfies ResizeAfter, detail: `${p.fromType} → ${p.toType}, left stopped as it was` };
        }
        // The re-run of a change that stopped and modified the instance: it finishes the job (starts it).
        const now = await describe();
        if (now.instanceType !== p.toType) throw new ProtectedResourceError(`${id} runs ${now.instanceType}, not ${p.toType} as trimtab set it: someone changed it since, so trimtab leaves it alone`);
        if (now.state === 'running' || now.state === 'pending') {
          await record(r, RESIZE_STEPS.startRequested, { by: 'someone else' });
          continue;
        }
        try {
          await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
        } catch (error) {
          if (!START_REFUSALS.includes(awsErrorName(error) ?? '')) throw error;
          await record(r, RESIZE_STEPS.startFailed, { code: awsErrorName(error), message: errorMessage(error) });
          continue;
        }
        await record(r, RESIZE_STEPS.startRequested);
        continue;
      }
      case RESIZE_STEPS.startRequested: {
        const w = await waitFor(r, 'running', sinceOf(r, RESIZE_STEPS.startRequested), p.startTimeoutMinutes * 60_000);
        if ('resumeAt' in w) return pending(r, w.resumeAt, 'pending', 'running');
        if (w.failedStart) {
          await record(r, RESIZE_STEPS.startFailed, { code: w.failedStart, message: `the start on ${p.toType} ended stopped (StateReason ${w.failedStart})` });
          continue;
        }
        await record(r, RESIZE_STEPS.running, { launchTime: w.instance.launchTime ?? null });
        continue;
      }
      case RESIZE_STEPS.running: {
        const s = await waitForStatusChecks(r, sinceOf(r, RESIZE_STEPS.running), p.startTimeoutMinutes * 60_000);
        if ('resumeAt' in s) return pending(r, s.resumeAt, 'running', 'both status checks ok');
        const now = await describe();
        return { after: { instanceType: now.instanceType, state: now.state, statusChecks: s.status } satisfies ResizeAfter, detail: `${p.fromType} → ${now.instanceType}, ${now.state}, status checks ${s.status}` };
      }
      case RESIZE_STEPS.startFailed: {
        // Compensation: back to the old type while it is stopped.
        const w = await waitFor(r, 'stopped', sinceOf(r, RESIZE_STEPS.startFailed), p.stopTimeoutMinutes * 60_000);
        if ('resumeAt' in w) return pending(r, w.resumeAt, 'pending', 'stopped (to change it back)');
        if (w.instance.instanceType === p.toType) await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: p.fromType } }));
        await record(r, RESIZE_STEPS.reverted, { type: p.fromType });
        continue;
      }
      case RESIZE_STEPS.modifyRefused:
      case RESIZE_STEPS.reverted: {
        const now = await describe();
        if (now.state === 'running' || now.state === 'pending') {
          await record(r, RESIZE_STEPS.restartRequested, { by: 'someone else' });
          continue;
        }
        try {
          await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
        } catch (error) {
          throw new Error(`${id} is stopped on ${now.instanceType}: AWS refused ${p.toType} (${failureOf(r)}), and then refused to start it again on ${now.instanceType} (${awsErrorName(error)}: ${errorMessage(error)}). Start it yourself once capacity allows.`, { cause: error });
        }
        await record(r, RESIZE_STEPS.restartRequested);
        continue;
      }
      case RESIZE_STEPS.restartRequested: {
        const w = await waitFor(r, 'running', sinceOf(r, RESIZE_STEPS.restartRequested), p.startTimeoutMinutes * 60_000);
        if ('resumeAt' in w) return pending(r, w.resumeAt, 'pending', `running on ${p.fromType}`);
        if (w.failedStart) throw new Error(`${id} is stopped on ${w.instance.instanceType}: AWS refused ${p.toType} (${failureOf(r)}), and its restart ended stopped too (${w.failedStart}). Start it yourself once capacity allows.`);
        await record(r, RESIZE_STEPS.rolledBack, { type: w.instance.instanceType });
        continue;
      }
      case RESIZE_STEPS.rolledBack: {
        if (r.passOn) throw r.passOn.error;
        const runs = (last.state as { type?: string } | undefined)?.type ?? p.fromType;
        const how = stepOf(r, RESIZE_STEPS.reverted) ? `trimtab changed it back to ${p.fromType} and started it again` : `trimtab started it again as ${runs} (its type was not changed)`;
        throw new ResizeRolledBackError(`${id}: AWS refused ${p.toType} (${failureOf(r)}); ${how}: it runs as before, after a few minutes down.`);
      }
      default:
        throw new Error(`${id}: unknown recorded step '${last.step}' of change-instance-type; nothing was done`);
    }
  }
}

/** Why the new type cannot run where the instance is placed, or undefined. */
export function placementMisfit(
  i: Pick<Ec2Instance, 'id' | 'state' | 'placement' | 'capacityReservation' | 'hibernationConfigured' | 'stateReasonCode'>,
  toType: string,
  to?: { hibernationSupported?: boolean; memoryMib?: number },
  fromMemoryMib?: number,
): string | undefined {
  if (i.placement?.tenancy === 'host' || i.placement?.hostId) {
    return `it runs on Dedicated Host ${i.placement.hostId ?? '(host tenancy)'}: a host takes only the instance types it was allocated for, so ${toType} may not start on it; change it with the host's capacity in mind`;
  }
  const cr = i.capacityReservation;
  if (cr?.targetId || cr?.targetGroupArn) return `it targets capacity reservation ${cr.targetId ?? cr.targetGroupArn}, whose instance type is fixed at creation: as ${toType} it could not start in it`;
  if (cr?.preference === 'capacity-reservations-only') return `its capacity reservation preference is capacity-reservations-only: it starts only in a reservation of its own type, and none is known for ${toType}`;
  if (cr?.runningIn) return `it runs in capacity reservation ${cr.runningIn}, billed whether used or not: as ${toType} it would leave the reservation idle and save nothing until the reservation ends`;
  if (i.state === 'stopped' && i.stateReasonCode === 'Client.UserInitiatedHibernate') return 'it is hibernated: EC2 lets a stopped hibernated instance change type, but its saved memory image was taken on the old type, so trimtab leaves it alone; start it (or stop it without hibernation) first';
  if (i.hibernationConfigured) {
    if (to?.hibernationSupported === false) return `it is enabled for hibernation and ${toType} does not support hibernation (DescribeInstanceTypes HibernationSupported)`;
    if (to?.memoryMib && fromMemoryMib && to.memoryMib > fromMemoryMib) return `it is enabled for hibernation, and ${toType} has more memory (${to.memoryMib} MiB) than the ${fromMemoryMib} MiB its root volume was sized to hold`;
  }
  return undefined;
}

/** A run without ApplyEnv: waits inside this invocation (old callers, undo); steps are kept in memory only. */
function inlineRun(ctx: RegionContext, p: Run['p']): Run {
  const steps: StepProgress[] = [];
  return { ctx, ec2: ctx.clients.get(EC2Client, ctx.region), p, steps, inline: true, env: { progress: [], record: async () => {}, remainingMs: () => Number.POSITIVE_INFINITY } };
}

/** The first write: stop a running instance, or modify a stopped one (left stopped). */
async function firstWrite(r: Run, current: Ec2Instance): Promise<AppliedChange> {
  const { ec2, p } = r;
  if (current.state === 'running') {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [p.instanceId] }));
    await record(r, RESIZE_STEPS.stopRequested, { launchTime: current.launchTime ?? null, fromType: p.fromType, toType: p.toType });
    return advance(r);
  }
  if (current.state !== 'stopped') throw new ProtectedResourceError(`${p.instanceId} is ${current.state}: trimtab changes the type of a running or stopped instance only; try again later`);
  try {
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: p.instanceId, InstanceType: { Value: p.toType } }));
  } catch (error) {
    // Stopped before and after: nothing changed.
    if (MODIFY_REFUSALS.includes(awsErrorName(error) ?? '')) throw new ProtectedResourceError(`${p.instanceId}: AWS refused ${p.toType} (${awsErrorName(error)}: ${errorMessage(error)}); nothing was changed`, { cause: error });
    throw error;
  }
  await record(r, RESIZE_STEPS.modified, { wasRunning: false });
  return advance(r);
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
  undoLimits: "What was in memory and on instance-store volumes is lost at each stop (the change and the undo); without an Elastic IP the public IPv4 address changes at each restart.",

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
      summary: `Change ${before.instanceId} from ${before.instanceType} to ${before.targetType} (${saving}): stop, modify, start; it is down for a few minutes${o.maintenanceWindow ? `, inside the window ${describeWindow(o.maintenanceWindow)}` : ''}.${before.placementGroup ? ` It is in placement group ${before.placementGroup}: if ${before.targetType} cannot start there, trimtab changes it back and starts it as ${before.instanceType}.` : ''}${before.publicIpv4 === 'ephemeral' ? ' Its public IPv4 address changes (no Elastic IP).' : ''}`,
      params: {
        instanceId: before.instanceId, fromType: before.instanceType, toType: before.targetType, architecture: before.architecture,
        ...(before.state ? { state: before.state } : {}), ...(before.launchTime ? { launchTime: before.launchTime } : {}), ...(before.placementGroup ? { placementGroup: before.placementGroup } : {}),
        ...(o.maintenanceWindow ? { maintenanceWindow: o.maintenanceWindow } : {}), stopTimeoutMinutes: o.stopTimeoutMinutes, startTimeoutMinutes: o.startTimeoutMinutes,
      },
      undo: `trimtab undo changes it back to ${before.instanceType} the same way (stop, modify, start), while it still runs ${before.targetType}.${before.publicIpv4 === 'ephemeral' ? ' The restart gives it another new public IPv4 address.' : ''}`,
      undoLimits: `What was in memory and on instance-store volumes is lost at each stop (the change and the undo)${before.publicIpv4 === 'ephemeral' ? '; the public IPv4 address changes at each restart' : ''}.`,
    };
  },

  async apply(ctx, plan, _finding, env) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const { instanceId: id, fromType, toType } = plan.params;
    const options = plan.params;
    const r: Run = env
      ? { ctx, ec2, p: plan.params, env, steps: [...env.progress], inline: false }
      : inlineRun(ctx, plan.params);
    // A resumed change: the recorded steps say where it stands (its own re-checks run before each write).
    if (r.steps.length) return advance(r);
    const current = await describeInstance(ec2, id, ctx.region, ctx.account);
    if (!current) return { after: { instanceType: 'unknown', state: 'gone', alreadyDone: 'gone' } satisfies ResizeAfter, detail: `${id} no longer exists: counts as done` };
    if (current.instanceType === toType) {
      if (current.state === 'stopped' && options.state === 'running') {
        throw new ProtectedResourceError(`${id} already runs ${toType} but is stopped, and no recorded step shows trimtab stopped it: whoever did leaves it so, and trimtab does not start it`);
      }
      return { before: current, after: { instanceType: toType, state: current.state, alreadyDone: `already ${toType}` } satisfies ResizeAfter, detail: `${id} already runs ${toType}: counts as done` };
    }
    // Bound to what was approved: the same launch (LaunchTime is the last launch: a restart since
    // the finding changes it), the same state, the same type.
    if (options.launchTime && current.launchTime !== options.launchTime) {
      throw new ProtectedResourceError(`${id} was launched again at ${current.launchTime ?? 'an unknown time'} since the finding (planned on LaunchTime ${options.launchTime}): it is not in the state that was approved, so trimtab leaves it alone`);
    }
    if (options.state && current.state !== options.state) throw new ProtectedResourceError(`${id} is ${current.state}, not ${options.state} as planned: someone changed it since, so trimtab leaves it alone`);
    if (current.instanceType !== fromType) throw new ProtectedResourceError(`${id} now runs ${current.instanceType}, not ${fromType} as planned: someone changed it since, so trimtab leaves it alone`);
    if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}`);
    if (options.maintenanceWindow) {
      const next = nextWindowOpening(options.maintenanceWindow, ctx.clock.now());
      if (next) throw new ProtectedResourceError(`${id}: outside the maintenance window (${describeWindow(options.maintenanceWindow)}); waiting for the maintenance window ${next}`);
    }
    const types = await typeInfo(ec2, [fromType, toType]);
    const from = types.get(fromType);
    const to = types.get(toType);
    const storage = from ? (from.InstanceStorageSupported ? (from.InstanceStorageInfo?.TotalSizeInGB ?? 1) : 0) : null;
    const protection = stopProtection({ ...current, instanceStorageGb: storage });
    if (protection) throw new ProtectedResourceError(`${id}: ${protection}`);
    const unsupported = unsupportedTarget(current, from, to, toType);
    if (unsupported) throw new ProtectedResourceError(`${id}: ${unsupported}`);
    const misfit = placementMisfit(current, toType, { hibernationSupported: to?.HibernationSupported === true, ...(to?.MemoryInfo?.SizeInMiB ? { memoryMib: to.MemoryInfo.SizeInMiB } : {}) }, from?.MemoryInfo?.SizeInMiB);
    if (misfit) throw new ProtectedResourceError(`${id}: ${misfit}`);
    const applied = await firstWrite(r, current);
    return { ...applied, before: current };
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
    const p = record.params as ResizeParams;
    const r = inlineRun(ctx, { instanceId: id, fromType: toType, toType: fromType, stopTimeoutMinutes: p.stopTimeoutMinutes, startTimeoutMinutes: p.startTimeoutMinutes });
    const done = await firstWrite(r, now);
    const back = done.after as ResizeAfter;
    if (back.statusChecks && back.statusChecks !== 'ok') return { detail: `Changed ${id} back to ${fromType}; it runs, but its status checks are ${back.statusChecks}.`, after: back };
    return { detail: `Changed ${id} back to ${fromType} (${back.state}${back.statusChecks ? ', status checks ok' : ''}).`, after: back };
  },
};
