/** Checks the template `osls package` produced: the approval state machine, API and roles. */
import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { deployedDefinition as deployedOf } from './deployed-definition.ts';
import { packagedDefinition, STATE, WORKFLOW_FUNCTIONS, lambdaLogicalId } from '../../lib/approval/state-machine.ts';
import { DECISION_ATTRIBUTES, REQUEST_ATTRIBUTES } from '../../lib/approval/deploy.ts';

const template = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8'));
const resources: Record<string, any> = template.Resources;

const deployedDefinition = (partition?: string) => deployedOf(resources, 'ApprovalWorkflow', partition);

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
    // Ask signs links and seals the plan; the page verifies links; Apply verifies the seal.
    expect(holders('ssm:GetParameter').sort()).toEqual(['ApprovalApplyIamRoleLambdaExecution', 'ApprovalAskIamRoleLambdaExecution', 'ApprovalPageIamRoleLambdaExecution']);
    // Verify only reads the account's resources (besides logs, traces, its table and the dead-letter queue).
    const verifyStatements = statements('ApprovalVerifyIamRoleLambdaExecution');
    const verifyActions = verifyStatements.flatMap((s: any) => s.Action);
    // sts:AssumeRole: Verify re-reads a member account's resources through the member role (read-only there too).
    expect(verifyActions.filter((a: string) => !/^(logs|dynamodb|xray):/.test(a) && a !== 'sqs:SendMessage' && a !== 'sts:AssumeRole' && !/:(Get|List|Describe)/.test(a))).toEqual([]);
    expect(verifyStatements.find((s: any) => s.Action.includes('sqs:SendMessage')).Resource).toEqual({ 'Fn::GetAtt': ['TrimtabDeadLetterQueue', 'Arn'] });
  });

  it('keeps approvals in a DynamoDB table keyed by approval id, with TTL', () => {
    expect(resources.ApprovalsTable.Properties).toMatchObject({ KeySchema: [{ AttributeName: 'approvalId', KeyType: 'HASH' }], TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
  });
});

describe('the approval table writers (issue 24 point 3: a plan cannot be changed by the page or the requesters)', () => {
  const tableWrites = (role: string) => statements(role).filter((s: any) => s.Action.some((a: string) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(a)) && JSON.stringify(s.Resource).includes('ApprovalsTable'));

  it('lets the internet-facing page write only the decision attributes, returning no others', () => {
    // Prepare
    const writes = tableWrites('ApprovalPageIamRoleLambdaExecution');
    // Assess
    expect(writes).toHaveLength(1);
    expect(writes[0].Action).toEqual(['dynamodb:UpdateItem']);
    expect(writes[0].Condition['ForAllValues:StringEquals']['dynamodb:Attributes']).toEqual(DECISION_ATTRIBUTES);
    expect(DECISION_ATTRIBUTES).toEqual(['approvalId', 'status', 'decision', 'updatedAt']);
    expect(writes[0].Condition.StringEqualsIfExists['dynamodb:ReturnValues']).toEqual(['NONE', 'UPDATED_OLD', 'UPDATED_NEW']);
    // Reading stays unconditioned (the page renders the plan); no other statement grants a write.
    expect(statements('ApprovalPageIamRoleLambdaExecution').filter((s: any) => s.Action.includes('dynamodb:GetItem'))).toHaveLength(1);
  });

  it('lets the scan and sweep functions create a request only with the request attributes (no decision, seal, token or actions)', () => {
    // Prepare
    const requesters = Object.keys(resources).filter((k) => resources[k].Type === 'AWS::IAM::Role' && statements(k).some((s: any) => s.Action.includes('dynamodb:PutItem') && JSON.stringify(s.Resource).includes('ApprovalsTable')));
    // Assess
    expect(requesters.length).toBeGreaterThan(0);
    for (const role of requesters) {
      const puts = statements(role).filter((s: any) => s.Action.includes('dynamodb:PutItem') && JSON.stringify(s.Resource).includes('ApprovalsTable'));
      for (const put of puts) {
        expect(put.Condition['ForAllValues:StringEquals']['dynamodb:Attributes']).toEqual(REQUEST_ATTRIBUTES);
        for (const forbidden of ['decision', 'seal', 'taskToken', 'actions', 'error', 'expiresAt']) expect(REQUEST_ATTRIBUTES).not.toContain(forbidden);
      }
    }
  });

  it("gives Apply the link secret's parameter (resolved for the stage) and the member role (sts:AssumeRole), nothing broader", () => {
    // Prepare
    const apply = statements('ApprovalApplyIamRoleLambdaExecution');
    // Assess
    const secret = apply.find((s: any) => s.Action.includes('ssm:GetParameter'));
    expect(JSON.stringify(secret.Resource)).toContain(':parameter/trimtab/dev/approval-link-secret');
    expect(JSON.stringify(secret.Resource)).not.toContain('{{');
    const assume = apply.filter((s: any) => s.Action.includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(JSON.stringify(assume[0].Resource)).toMatch(/iam::\*:role\/trimtab-member-\*/);
  });
});
