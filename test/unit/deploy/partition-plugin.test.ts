import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const TrimtabPartition = require('../../../lib/deploy/partition-plugin.cjs');

const definition = (resource: string) => JSON.stringify({ StartAt: 'Do it', States: { 'Do it': { Type: 'Task', Resource: resource, Parameters: { FunctionName: '${abc123}' }, End: true } } }, undefined, 2);

function packaged(resources: Record<string, any>) {
  const template = { Resources: resources };
  new TrimtabPartition({ service: { provider: { compiledCloudFormationTemplate: template } } }).hooks['after:package:compileEvents']();
  return template.Resources;
}

describe('the partition plugin', () => {
  it("names each state machine's integrations in the stack's partition, keeping its placeholders and everything else", () => {
    // Prepare
    const params = { abc123: { 'Fn::GetAtt': ['ScanLambdaFunction', 'Arn'] } };
    const resources = {
      WithParams: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Sub': [definition('arn:aws:states:::lambda:invoke.waitForTaskToken'), params] }, RoleArn: 'r' } },
      Plain: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Sub': definition('arn:aws:states:::lambda:invoke') } } },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { Note: '"arn:aws:states:::lambda:invoke' } },
    };

    // Act
    const out = packaged(resources);

    // Assess
    expect(out.WithParams.Properties).toEqual({ DefinitionString: { 'Fn::Sub': [definition('arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken'), params] }, RoleArn: 'r' });
    expect(out.Plain.Properties.DefinitionString).toEqual({ 'Fn::Sub': definition('arn:${AWS::Partition}:states:::lambda:invoke') });
    expect(out.Table.Properties.Note).toBe('"arn:aws:states:::lambda:invoke');
  });

  it('leaves a lambda function ARN in a definition alone: only service integrations are rewritten', () => {
    const text = definition('arn:aws:lambda:us-east-1:123456789012:function:f');
    const out = packaged({ M: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Sub': text } } } });
    expect(out.M.Properties.DefinitionString).toEqual({ 'Fn::Sub': text });
  });

  it('refuses, naming the state machine, a definition that is not an Fn::Sub, instead of wrapping it in one', () => {
    const resources = { Literal: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: definition('arn:aws:states:::lambda:invoke') } } };
    expect(() => packaged(resources)).toThrow('State machine Literal: its DefinitionString is not an Fn::Sub');
    expect(resources.Literal.Properties.DefinitionString).toBe(definition('arn:aws:states:::lambda:invoke'));
  });
});
