/**
 * "Sweep the organization" in Amazon States Language, generated from this one source:
 * serverless.yml deploys it (lib/deploy/stack.ts → serverless-vars.cjs) and the tests run the
 * very same definition with aws-local-stepfunctions.
 *
 * List the items (account × region) → a Distributed Map runs one child execution per item,
 * each one Lambda invocation of the sweep-account function, at most MaxConcurrency at once →
 * summarize. A failing item is caught inside its child (Catch → a Pass state that records the
 * error), so one account never stops the others; ToleratedFailurePercentage 100 is the second
 * net for children that fail outright (e.g. the child execution itself is throttled).
 */

export const ORG_STATE = {
  list: 'List the accounts and regions',
  map: 'Sweep each account and region',
  item: 'Sweep one account and region',
  itemGoOn: 'Account and region done, or go on?',
  itemNext: 'Go on from the account checkpoint',
  itemSwept: 'Account and region swept',
  itemFailed: 'Record that the item failed',
  summarize: 'Summarize the sweep',
  anyFailed: 'Did any account fail?',
  done: 'Every account swept',
  someFailed: 'Some accounts could not be swept',
  cannotStart: 'The sweep could not start',
} as const;

/** serverless.yml function names. */
export const ORG_FUNCTIONS = { items: 'sweepOrgItems', account: 'sweepAccount' } as const;
export type OrgFunction = keyof typeof ORG_FUNCTIONS;

export const ORG_ERRORS = { accountsFailed: 'trimtab.AccountsFailed', cannotStart: 'trimtab.SweepCouldNotStart' } as const;

const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const retry = [{ ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: 'FULL' }];

export interface OrgDefinitionOptions {
  functionName(fn: OrgFunction): unknown;
  /** Items running at once (organization.maxConcurrency). */
  maxConcurrency: number;
}

export function orgSweepDefinition(opts: OrgDefinitionOptions) {
  return {
    Comment: 'trimtab: sweep every member account and region of the organization, one Lambda invocation per account × region; one failure never stops the others.',
    StartAt: ORG_STATE.list,
    States: {
      [ORG_STATE.list]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: opts.functionName('items'), Payload: { step: 'list', 'input.$': '$' } },
        ResultSelector: { 'items.$': '$.Payload.items', 'schedule.$': '$.Payload.schedule' },
        ResultPath: '$.plan',
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: ORG_STATE.cannotStart }],
        Next: ORG_STATE.map,
      },
      [ORG_STATE.map]: {
        Type: 'Map',
        ItemsPath: '$.plan.items',
        ItemSelector: {
          'account.$': '$$.Map.Item.Value.account',
          'region.$': '$$.Map.Item.Value.region',
          'policies.$': '$$.Map.Item.Value.policies',
          'schedule.$': '$.plan.schedule',
        },
        MaxConcurrency: opts.maxConcurrency,
        ToleratedFailurePercentage: 100,
        ItemProcessor: {
          // Distributed: each item is a child execution (its own history, up to 10,000 in parallel);
          // STANDARD because an item's Lambda may run up to 15 minutes (EXPRESS children stop at 5).
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: ORG_STATE.item,
          States: {
            [ORG_STATE.item]: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: opts.functionName('account'), 'Payload.$': '$' },
              OutputPath: '$.Payload',
              Retry: retry,
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: ORG_STATE.itemFailed }],
              Next: ORG_STATE.itemGoOn,
            },
            // An item that does not fit one invocation answers done: false and its next input (the
            // checkpoint and the totals so far, lib/org/lambda.ts): invoked again until done.
            [ORG_STATE.itemGoOn]: {
              Type: 'Choice',
              Choices: [{ Variable: '$.done', BooleanEquals: false, Next: ORG_STATE.itemNext }],
              Default: ORG_STATE.itemSwept,
            },
            [ORG_STATE.itemNext]: { Type: 'Pass', InputPath: '$.next', Next: ORG_STATE.item },
            [ORG_STATE.itemSwept]: { Type: 'Succeed' },
            [ORG_STATE.itemFailed]: {
              Type: 'Pass',
              Parameters: { 'account.$': '$.account', 'region.$': '$.region', 'policies.$': '$.policies', status: 'failed', 'error.$': '$.error' },
              End: true,
            },
          },
        },
        ResultPath: '$.items',
        Next: ORG_STATE.summarize,
      },
      [ORG_STATE.summarize]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: opts.functionName('items'), Payload: { step: 'summary', 'items.$': '$.items' } },
        OutputPath: '$.Payload',
        Retry: retry,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: ORG_STATE.cannotStart }],
        Next: ORG_STATE.anyFailed,
      },
      [ORG_STATE.anyFailed]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.failed', NumericGreaterThan: 0, Next: ORG_STATE.someFailed }],
        Default: ORG_STATE.done,
      },
      [ORG_STATE.done]: { Type: 'Succeed' },
      // The others completed; failing the execution makes the ExecutionsFailed alarm fire.
      [ORG_STATE.someFailed]: {
        Type: 'Fail',
        Error: ORG_ERRORS.accountsFailed,
        Cause: 'Every other account and region was swept; the summary and the sweep-account logs name the failed ones and why.',
      },
      [ORG_STATE.cannotStart]: { Type: 'Fail', Error: ORG_ERRORS.cannotStart, Cause: 'Listing the items or summarizing failed; see the sweep-org-items logs.' },
    },
  };
}

export const orgLambdaLogicalId = (fn: OrgFunction) => `${ORG_FUNCTIONS[fn][0].toUpperCase()}${ORG_FUNCTIONS[fn].slice(1)}LambdaFunction`;

/** As serverless.yml deploys it: functions by ARN. */
export const packagedOrgDefinition = (maxConcurrency: number) => orgSweepDefinition({ functionName: (fn) => ({ 'Fn::GetAtt': [orgLambdaLogicalId(fn), 'Arn'] }), maxConcurrency });
