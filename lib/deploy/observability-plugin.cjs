// trimtab's observability for every function in serverless.yml, whoever adds it:
// - an Errors alarm per Lambda function, and an ExecutionsFailed alarm per state machine
//   (TrimtabApprovalStateMachine included, once the approval workflow is in the template);
// - failed asynchronous invocations go to the SQS dead-letter queue (Lambda destinations:
//   an EventInvokeConfig with OnFailure, unless the function configures its own);
// - each per-function role may send to that queue (serverless-iam-roles-per-function builds
//   the roles later, at before:package:finalize, from the statements added here), and, with
//   tracing on, write X-Ray segments (that plugin does not add them as the default role has).
// Resources it refers to (TrimtabDeadLetterQueue, TrimtabAlarmTopic) are in serverless.yml.
'use strict';

const DLQ = 'TrimtabDeadLetterQueue';
const TOPIC = 'TrimtabAlarmTopic';

/** Alarm on any failure in a 5-minute period; no data means no failures. */
const ANY_FAILURE_IN_5_MINUTES = {
  Statistic: 'Sum',
  Period: 300,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'notBreaching',
};

class TrimtabObservability {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:compileEvents': () => this.addObservability() };
  }

  addObservability() {
    const service = this.serverless.service;
    const naming = this.serverless.getProvider('aws').naming;
    const template = service.provider.compiledCloudFormationTemplate;
    const resources = template.Resources;
    const alarmActions = [{ Ref: TOPIC }];
    const custom = (service.resources && service.resources.Resources) || {};

    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      const logicalId = naming.getLambdaLogicalId(name);
      resources[`${logicalId}ErrorsAlarm`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmDescription: `trimtab: the ${name} function failed (Lambda Errors ≥ 1 in 5 minutes).`,
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId } }],
          ...ANY_FAILURE_IN_5_MINUTES,
          AlarmActions: alarmActions,
        },
      };
      const hasOwnConfig = Object.values(resources).some(
        (r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: logicalId }),
      );
      if (!hasOwnConfig && !fn.destinations) {
        resources[`${logicalId}AsyncFailureConfig`] = {
          Type: 'AWS::Lambda::EventInvokeConfig',
          DependsOn: [logicalId],
          Properties: {
            FunctionName: { Ref: logicalId },
            Qualifier: '$LATEST',
            MaximumRetryAttempts: 2,
            DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [DLQ, 'Arn'] } } },
          },
        };
      }
      const statement = { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': [DLQ, 'Arn'] } };
      if (Array.isArray(fn.iamRoleStatements)) {
        fn.iamRoleStatements.push(statement);
        // Per-function roles do not get the X-Ray write permissions the framework gives its default role.
        const tracing = (fn.tracing !== undefined ? fn.tracing : service.provider.tracing && service.provider.tracing.lambda);
        if (tracing) fn.iamRoleStatements.push({ Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' });
      }
      else {
        const role = resources.IamRoleLambdaExecution;
        const policy = role && role.Properties.Policies && role.Properties.Policies[0];
        if (policy) policy.PolicyDocument.Statement.push(statement);
      }
    }

    const machines = { ...custom, ...resources };
    for (const [logicalId, resource] of Object.entries(machines)) {
      if (!resource || resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
      resources[`${logicalId}ExecutionsFailedAlarm`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmDescription: `trimtab: an execution of ${logicalId} failed (Step Functions ExecutionsFailed ≥ 1 in 5 minutes).`,
          Namespace: 'AWS/States',
          MetricName: 'ExecutionsFailed',
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId } }],
          ...ANY_FAILURE_IN_5_MINUTES,
          AlarmActions: alarmActions,
        },
      };
    }
  }
}

module.exports = TrimtabObservability;
