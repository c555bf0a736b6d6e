/**
 * The approval workflow in Amazon States Language, generated from this one source:
 * serverless.yml deploys it (lib/deploy/stack.ts → serverless-vars.cjs → serverless-step-functions)
 * and the local runner (lib/approval/local.ts) and the tests execute the very same definition
 * with aws-local-stepfunctions.
 *
 * Between states only ids and small summaries travel (the 256 KiB payload cap): the plan and
 * its findings live in the approvals table under the approval id.
 *
 * The wait's timeout differs per policy, and one state machine serves every policy, so
 * "Ask the approvers" uses TimeoutSecondsPath. "Record the plan" puts `timeoutSeconds` into
 * the state data from the stored policy (approval.timeoutHours, default 72 h), so the wait is
 * governed by what was recorded, not by whatever the caller put in the execution input.
 */

/** The states, by their sentence names (tests and the local runner use these constants). */
export const STATE = {
  record: 'Record the plan',
  ask: 'Ask the approvers',
  apply: 'Apply the fix',
  windowOpen: 'Wait, apply the next change, or verify?',
  waitForWindow: 'Wait until Apply may go on',
  verify: 'Verify',
  tell: 'Tell the approvers what happened',
  notApproved: 'Record that it was not approved',
  recordFailure: 'Record the failure',
  howDidItEnd: 'How did it end?',
  fixed: 'Fixed',
  notApprovedEnd: 'Not approved',
  someFailed: 'Some changes failed',
  failed: 'Failed',
} as const;

/** The Lambda functions the workflow invokes (keys are serverless.yml function names). */
export const WORKFLOW_FUNCTIONS = {
  record: 'approvalRecord',
  ask: 'approvalAsk',
  apply: 'approvalApply',
  verify: 'approvalVerify',
  notify: 'approvalNotify',
} as const;
export type WorkflowFunction = keyof typeof WORKFLOW_FUNCTIONS;

/** Error names the workflow matches on (thrown by the steps or sent with SendTaskFailure). */
export const WORKFLOW_ERRORS = {
  rejected: 'trimtab.Rejected',
  timeout: 'States.Timeout',
  actionsFailed: 'trimtab.ActionsFailed',
  workflowFailed: 'trimtab.ApprovalWorkflowFailed',
} as const;

/** Outcomes "Tell the approvers what happened" returns, for the final Choice. */
export const OUTCOMES = { fixed: 'fixed', notApproved: 'not-approved', failed: 'failed' } as const;

/** Transient Lambda service errors: retried with backoff on every Task. */
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
/** Transient AWS errors the steps let through (DynamoDB, SES, throttling). */
const AWS_TRANSIENT = ['ThrottlingException', 'ProvisionedThroughputExceededException', 'TooManyRequestsException', 'InternalServerError', 'ServiceUnavailable'];

const retry = [
  { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: 'FULL' },
  { ErrorEquals: AWS_TRANSIENT, IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
];

/**
 * Apply only: a Lambda that timed out (Sandbox.Timedout) or died is retried, because Apply resumes
 * the change it named in the approval record (inProgress) from its recorded steps: a retry
 * never starts a second change and never leaves a half-done one unrecorded.
 */
const applyRetry = [{ ErrorEquals: ['Sandbox.Timedout', 'Lambda.Unknown'], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }, ...retry];

const toFailure = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.recordFailure };

export interface DefinitionOptions {
  /** How a function is named in `Parameters.FunctionName` (a CloudFormation ref in the package, a plain name locally). */
  functionName(fn: WorkflowFunction): unknown;
}

/** `lambda:invoke` of a step function with a small payload; picks the fields it returns. */
function invoke(fn: WorkflowFunction, payload: Record<string, unknown>, opts: DefinitionOptions, pick?: Record<string, string>) {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: opts.functionName(fn), Payload: payload },
    ...(pick ? { ResultSelector: Object.fromEntries(Object.entries(pick).map(([k, v]) => [`${k}.$`, `$.Payload.${v}`])) } : {}),
  };
}

export function approvalDefinition(opts: DefinitionOptions) {
  return {
    Comment: 'trimtab approval: record the plan, ask the approvers by email, wait for a signed link (or time out), then apply, verify and tell them.',
    StartAt: STATE.record,
    States: {
      [STATE.record]: {
        ...invoke('record', { step: 'record', 'approvalId.$': '$.approvalId', 'executionArn.$': '$$.Execution.Id' }, opts, {
          approvalId: 'approvalId',
          timeoutSeconds: 'timeoutSeconds',
        }),
        // No ResultPath: the default ("$") replaces the state data with the id and the timeout.
        Retry: retry,
        Catch: [toFailure],
        Next: STATE.ask,
      },
      [STATE.ask]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: opts.functionName('ask'),
          // The token goes to the function, which keeps it in the table: it never leaves the backend.
          Payload: { 'approvalId.$': '$.approvalId', 'taskToken.$': '$$.Task.Token', 'timeoutSeconds.$': '$.timeoutSeconds' },
        },
        TimeoutSecondsPath: '$.timeoutSeconds',
        ResultPath: '$.decision',
        Retry: retry,
        Catch: [
          { ErrorEquals: [WORKFLOW_ERRORS.rejected, WORKFLOW_ERRORS.timeout], ResultPath: '$.error', Next: STATE.notApproved },
          toFailure,
        ],
        Next: STATE.apply,
      },
      [STATE.apply]: {
        ...invoke('apply', { step: 'apply', 'approvalId.$': '$.approvalId' }, opts, { applied: 'applied', failed: 'failed', waitUntil: 'waitUntil', more: 'more' }),
        ResultPath: '$.apply',
        Retry: applyRetry,
        Catch: [toFailure],
        Next: STATE.windowOpen,
      },
      // Apply makes one change (or one step of a multi-step change) per invocation and loops back here.
      // waitUntil: a maintenance window not open yet, or a change in progress that resumes later (a long
      // AWS wait): the execution waits in Step Functions (no Lambda sleeps), then calls Apply again.
      // more: the next approved change. Neither: every change is recorded, verify.
      [STATE.windowOpen]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.apply.waitUntil', IsTimestamp: true, Next: STATE.waitForWindow },
          { Variable: '$.apply.more', BooleanEquals: true, Next: STATE.apply },
        ],
        Default: STATE.verify,
      },
      [STATE.waitForWindow]: { Type: 'Wait', TimestampPath: '$.apply.waitUntil', Next: STATE.apply },
      [STATE.verify]: {
        ...invoke('verify', { step: 'verify', 'approvalId.$': '$.approvalId' }, opts, { verified: 'verified', failed: 'failed' }),
        ResultPath: '$.verify',
        Retry: retry,
        Catch: [toFailure],
        Next: STATE.tell,
      },
      [STATE.notApproved]: {
        ...invoke('record', { step: 'not-approved', 'approvalId.$': '$.approvalId', 'error.$': '$.error' }, opts),
        ResultPath: null,
        Retry: retry,
        Catch: [toFailure],
        Next: STATE.tell,
      },
      [STATE.tell]: {
        ...invoke('notify', { step: 'notify', 'approvalId.$': '$.approvalId' }, opts, { outcome: 'outcome', sent: 'sent' }),
        ResultPath: '$.result',
        Retry: retry,
        Catch: [toFailure],
        Next: STATE.howDidItEnd,
      },
      [STATE.howDidItEnd]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.result.outcome', StringEquals: OUTCOMES.fixed, Next: STATE.fixed },
          { Variable: '$.result.outcome', StringEquals: OUTCOMES.notApproved, Next: STATE.notApprovedEnd },
        ],
        Default: STATE.someFailed,
      },
      [STATE.fixed]: { Type: 'Succeed' },
      [STATE.notApprovedEnd]: { Type: 'Succeed' },
      [STATE.someFailed]: {
        Type: 'Fail',
        Error: WORKFLOW_ERRORS.actionsFailed,
        Cause: 'At least one approved change failed or did not verify; the action records and the approval record say which and why.',
      },
      [STATE.recordFailure]: {
        ...invoke('record', { step: 'failed', 'approvalId.$': '$.approvalId', 'error.$': '$.error' }, opts),
        ResultPath: null,
        Retry: retry,
        // Even if recording fails, the execution ends failed (visible in the console and to alarms), never silently.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: STATE.failed }],
        Next: STATE.failed,
      },
      [STATE.failed]: {
        Type: 'Fail',
        Error: WORKFLOW_ERRORS.workflowFailed,
        Cause: 'The approval workflow failed; the approval record holds the error.',
      },
    },
  };
}

/** CloudFormation logical id serverless gives a function ("approvalAsk" → "ApprovalAskLambdaFunction"). */
export const lambdaLogicalId = (fn: WorkflowFunction) => `${WORKFLOW_FUNCTIONS[fn][0].toUpperCase()}${WORKFLOW_FUNCTIONS[fn].slice(1)}LambdaFunction`;

/** The definition as serverless.yml deploys it: functions referenced by their ARNs. */
export const packagedDefinition = () => approvalDefinition({ functionName: (fn) => ({ 'Fn::GetAtt': [lambdaLogicalId(fn), 'Arn'] }) });

/**
 * The definition the local runner executes: its Tasks are overridden with in-process handlers.
 * One adaptation: aws-local-stepfunctions 3.0.0 evaluates TimeoutSecondsPath against the
 * state's *effective parameters* instead of its input (AWS reads the input), so the path is
 * pointed at the same value inside the Payload. Everything else is byte-for-byte the packaged ASL.
 */
export function localDefinition() {
  const definition = approvalDefinition({ functionName: (fn) => `trimtab-local-${WORKFLOW_FUNCTIONS[fn]}` });
  const ask = definition.States[STATE.ask] as { TimeoutSecondsPath?: string };
  ask.TimeoutSecondsPath = '$.Payload.timeoutSeconds';
  return definition;
}
