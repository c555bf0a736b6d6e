/**
 * "Sweep the account": the scheduled sweep as a Step Functions loop, so a sweep that does not fit
 * one invocation of the scan function (its memory and timeout, docs/performance.md "Fit") goes on
 * in the next one instead of needing a bigger timeout. The scan function stops before a unit (one
 * resource type in one region) it may not finish, and answers `done: false` with `next`: its own
 * input plus the checkpoint (the units done, the actions counted against per-run limits). The
 * loop invokes it again with `next` until `done` (lib/engine/run.ts RunOptions.resumable).
 *
 * Only the checkpoint travels (a few KB: unit names and counts), never findings: those are in the
 * audit trail, recorded page by page.
 */

export const SWEEP_STATE = {
  sweep: 'Sweep what is left',
  goOn: 'Done, or go on?',
  next: 'Go on from the checkpoint',
  swept: 'Swept',
} as const;

/** Transient Lambda service errors: retried. A timed-out invocation is not (the unit it was in would time out again). */
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

export interface SweepMachineOptions {
  /** How the scan function is named in `Parameters.FunctionName` (a CloudFormation ref when packaged, a plain name locally). */
  functionName: unknown;
}

export function sweepDefinition(options: SweepMachineOptions) {
  return {
    Comment: 'trimtab scheduled sweep: invokes the scan function until it has done every resource type and region (a checkpoint between invocations)',
    StartAt: SWEEP_STATE.sweep,
    States: {
      [SWEEP_STATE.sweep]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: options.functionName, 'Payload.$': '$' },
        ResultSelector: { 'done.$': '$.Payload.done', 'next.$': '$.Payload.next', 'summary.$': '$.Payload.summary' },
        Retry: [{ ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: 'FULL' }],
        Next: SWEEP_STATE.goOn,
      },
      [SWEEP_STATE.goOn]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.done', BooleanEquals: false, Next: SWEEP_STATE.next }],
        Default: SWEEP_STATE.swept,
      },
      // The next invocation's input is exactly what the last one asked for (schedule, policies, checkpoint).
      [SWEEP_STATE.next]: { Type: 'Pass', InputPath: '$.next', Next: SWEEP_STATE.sweep },
      [SWEEP_STATE.swept]: { Type: 'Succeed' },
    },
  };
}
