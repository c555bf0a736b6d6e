/**
 * The recorded steps of one multi-step apply (ApplyEnv): what earlier invocations recorded, and
 * `record`, which writes a step durably before the caller starts the next. Shared by the
 * remediators that resume from their steps (snapshot-and-delete of ebs-volume and rds-instance).
 */
import type { ApplyEnv, StepProgress } from '../engine/types.ts';
import type { Clock } from '../util/clock.ts';

export function stepLog(env: ApplyEnv | undefined, clock: Clock) {
  const steps: StepProgress[] = [...(env?.progress ?? [])];
  return {
    /** The latest recorded step of this name. */
    stepOf: (name: string) => [...steps].reverse().find((s) => s.step === name),
    /** The name of the last step recorded, or `none`. */
    lastStep: () => steps.at(-1)?.step ?? 'none',
    async record(step: string, state: Record<string, unknown>) {
      const progress: StepProgress = { step, at: clock.now().toISOString(), state };
      await env?.record(progress);
      steps.push(progress);
    },
  };
}

/** A snapshot-then-delete apply that is not finished (the action record's `after` until it resumes). */
export interface SnapshotDeletePending {
  step: string;
  snapshotId?: string;
  waitingFor: string;
}

/** The answer of an invocation that hands a snapshot wait back as `resumeAt`. */
export function snapshotDeletePending(id: string, step: string, snapshotId: string | undefined, resumeAt: string, waitingFor: string) {
  const after: SnapshotDeletePending = { step, ...(snapshotId ? { snapshotId } : {}), waitingFor };
  return { after, resumeAt, detail: `${id}: ${step}${snapshotId ? ` (${snapshotId})` : ''}; waiting for ${waitingFor}, resume at ${resumeAt}` };
}
