import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const TrimtabObservability = require('../../../lib/deploy/observability-plugin.cjs');

/** The slice of the Serverless Framework the plugin uses. */
function fakeServerless(functions: Record<string, any>, resources: Record<string, any> = {}, custom: Record<string, any> = {}) {
  const template = { Resources: { ...resources } };
  return {
    template,
    serverless: {
      service: {
        provider: { compiledCloudFormationTemplate: template, tracing: { lambda: true } },
        resources: { Resources: custom },
        getAllFunctions: () => Object.keys(functions),
        getFunction: (name: string) => functions[name],
      },
      getProvider: () => ({ naming: { getLambdaLogicalId: (name: string) => `${name[0].toUpperCase()}${name.slice(1).replace(/-(.)/g, (_m: string, c: string) => c.toUpperCase())}LambdaFunction` } }),
    },
  };
}

describe('the observability plugin', () => {
  it('alarms on ExecutionsFailed of the approval state machine, compiled or declared in resources', () => {
    // Prepare
    const { serverless, template } = fakeServerless({}, { TrimtabApprovalStateMachine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} } }, { OtherMachine: { Type: 'AWS::StepFunctions::StateMachine' } });

    // Act
    new TrimtabObservability(serverless).hooks['after:package:compileEvents']();

    // Assess
    const alarm = (template.Resources as any).TrimtabApprovalStateMachineExecutionsFailedAlarm.Properties;
    expect(alarm).toMatchObject({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'TrimtabApprovalStateMachine' } }], AlarmActions: [{ Ref: 'TrimtabAlarmTopic' }] });
    expect((template.Resources as any).OtherMachineExecutionsFailedAlarm).toBeDefined();
  });

  it('gives every function an Errors alarm, a DLQ destination and the IAM to use it, but keeps a function\'s own destinations', () => {
    // Prepare
    const functions = { scan: { iamRoleStatements: [] as any[] }, 'on-alarm': { iamRoleStatements: [] as any[], destinations: { onFailure: 'arn:aws:sqs:us-east-1:1:own' } } };
    const { serverless, template } = fakeServerless(functions);

    // Act
    new TrimtabObservability(serverless).hooks['after:package:compileEvents']();

    // Assess
    const r = template.Resources as any;
    expect(r.ScanLambdaFunctionErrorsAlarm.Properties.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: 'ScanLambdaFunction' } }]);
    expect(r.OnAlarmLambdaFunctionErrorsAlarm).toBeDefined();
    expect(r.ScanLambdaFunctionAsyncFailureConfig.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': ['TrimtabDeadLetterQueue', 'Arn'] });
    expect(r.OnAlarmLambdaFunctionAsyncFailureConfig).toBeUndefined();
    expect(functions.scan.iamRoleStatements.map((s) => s.Action)).toEqual([['sqs:SendMessage'], ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']]);
  });
});
