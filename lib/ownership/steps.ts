/**
 * The recorded steps of a via-owner apply (ApplyEnv), as lib/resources/steps.ts keeps them for the
 * resource modules; a copy here so that the functions that only read a via-owner plan (the approval
 * record and page) carry no resource module (test/package/bundles.test.ts).
 */
import type { ApplyEnv, StepProgress } from '../engine/types.ts';
import type { Clock } from '../util/clock.ts';

export function ownerStepLog(env: ApplyEnv | undefined, clock: Clock) {
  const steps: StepProgress[] = [...(env?.progress ?? [])];
  return {
    /** The latest recorded step of this name. */
    stepOf: (name: string) => [...steps].reverse().find((s) => s.step === name),
    /** Records a step durably (env.record) before the caller starts the next. */
    async record(step: string, state: Record<string, unknown>) {
      const progress: StepProgress = { step, at: clock.now().toISOString(), state };
      await env?.record(progress);
      steps.push(progress);
    },
  };
}
