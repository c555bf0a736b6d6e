/** Checks the template `osls package` produced: the approval state machine, API and roles. */
import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { packagedDefinition, STATE, WORKFLOW_FUNCTIONS, lambdaLogicalId } from '../../lib/approval/state-machine.ts';

const template = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8'));
const resources: Record<string, any> = template.Resources;

/** The deployed DefinitionString is an Fn::Sub; put fake ARNs in for its placeholders. */
function deployedDefinition() {
  const definition = resources.ApprovalWorkflow.Properties.DefinitionString;
  const [text] = definition['Fn::Sub'] as [string, Record<string, unknown>];
  return JSON.parse(text.replace(/\$\{[^}]+\}/g, 'arn:aws:lambda:us-east-1:123456789012:function:trimtab-dev-fn'));
}

const statements = (role: string) => resources[role].Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);

describe('the packaged approval state machine', () => {
  it('is valid ASL (asl-validator)', () => {
    const result = validator(deployedDefinition());
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('is the definition lib/approval/state-machine.ts generates, with sentence-named states', () => {
    const deployed = deployedDefinition();
    const generated = packagedDefinition();
    expect(Object.keys(deployed.States)).toEqual(Object.keys(generated.States));
    expect(Object.keys(deployed.States)).toEqual(expect.arrayContaining([STATE.record, STATE.ask, STATE.apply, STATE.verify, STATE.tell]));
    expect(deployed.States[STATE.ask]).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: '$.timeoutSeconds' });
  });

  it('gives every Task a Retry and a Catch', () => {
    const tasks = Object.entries(deployedDefinition().States as Record<string, any>).filter(([, s]) => s.Type === 'Task');
    expect(tasks).toHaveLength(7);
    for (const [, state] of tasks) {
      expect(state.Retry?.length).toBeGreaterThan(0);
      expect(state.Catch?.length).toBeGreaterThan(0);
    }
  });

  it('may invoke only the approval step functions', () => {
    const invoke = statements('ApprovalWorkflowRole').filter((s: any) => s.Action.includes('lambda:InvokeFunction'));
    const targets = invoke.flatMap((s: any) => s.Resource).filter((r: any) => r['Fn::GetAtt']).map((r: any) => r['Fn::GetAtt'][0]);
    expect(targets.sort()).toEqual(Object.keys(WORKFLOW_FUNCTIONS).map((fn) => lambdaLogicalId(fn as never)).sort());
  });
});

describe('the approval API and roles', () => {
  it('routes GET and POST /approvals/{approvalId} to the page function', () => {
    const routes = Object.values(resources).filter((r: any) => r.Type === 'AWS::ApiGatewayV2::Route').map((r: any) => r.Properties.RouteKey);
    expect(routes).toEqual(expect.arrayContaining(['GET /approvals/{approvalId}', 'POST /approvals/{approvalId}']));
  });

  it('gives each approval function its own role, with no wildcard actions', () => {
    for (const fn of ['ApprovalRecord', 'ApprovalAsk', 'ApprovalApply', 'ApprovalVerify', 'ApprovalNotify', 'ApprovalPage']) {
      const role = resources[`${fn}LambdaFunction`].Properties.Role['Fn::GetAtt'][0];
      expect(role).toBe(`${fn}IamRoleLambdaExecution`);
      for (const s of statements(role)) for (const action of s.Action) expect(action).not.toMatch(/\*$/);
    }
  });

  it('lets only the page resume the workflow, only this state machine, and only the ask function send mail', () => {
    const holders = (action: string) =>
      Object.keys(resources).filter((k) => resources[k].Type === 'AWS::IAM::Role' && statements(k).some((s: any) => s.Action.includes(action)));
    expect(holders('states:SendTaskSuccess')).toEqual(['ApprovalPageIamRoleLambdaExecution']);
    expect(statements('ApprovalPageIamRoleLambdaExecution').find((s: any) => s.Action.includes('states:SendTaskSuccess')).Resource).toEqual({ Ref: 'ApprovalWorkflow' });
    expect(holders('ses:SendEmail').sort()).toEqual(['ApprovalAskIamRoleLambdaExecution', 'ApprovalNotifyIamRoleLambdaExecution']);
    expect(holders('ssm:GetParameter').sort()).toEqual(['ApprovalAskIamRoleLambdaExecution', 'ApprovalPageIamRoleLambdaExecution']);
    // Verify only reads the account's resources (besides logs, traces, its table and the dead-letter queue).
    const verifyStatements = statements('ApprovalVerifyIamRoleLambdaExecution');
    const verifyActions = verifyStatements.flatMap((s: any) => s.Action);
    expect(verifyActions.filter((a: string) => !/^(logs|dynamodb|xray):/.test(a) && a !== 'sqs:SendMessage' && !/:(Get|List|Describe)/.test(a))).toEqual([]);
    expect(verifyStatements.find((s: any) => s.Action.includes('sqs:SendMessage')).Resource).toEqual({ 'Fn::GetAtt': ['TrimtabDeadLetterQueue', 'Arn'] });
  });

  it('keeps approvals in a DynamoDB table keyed by approval id, with TTL', () => {
    expect(resources.ApprovalsTable.Properties).toMatchObject({ KeySchema: [{ AttributeName: 'approvalId', KeyType: 'HASH' }], TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
  });
});
