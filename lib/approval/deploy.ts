/**
 * What serverless.yml takes from the approval module at package time (through
 * lib/deploy/stack.ts): the state machine definition and the IAM of the two functions that
 * touch the account's resources. Apply may write only what approval-mode policies' actions
 * declare; Verify only reads.
 */
import type { Policy } from '../policy/load.ts';
import { actionsFor, statementsFor, type IamStatement } from '../deploy/iam.ts';
import { auditIamStatements } from '../deploy/audit-stack.ts';
import { isReadOnlyOperation } from '../aws/operations.ts';
import { packagedDefinition } from './state-machine.ts';

const isRead = (action: string) => isReadOnlyOperation(action.split(':')[0], action.split(':')[1]);

/** Apply and Verify read and update the approval record (same as serverless.yml custom.approval.tableStatement). */
export const APPROVALS_TABLE_STATEMENT = {
  Effect: 'Allow' as const,
  Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  Resource: { 'Fn::GetAtt': ['ApprovalsTable', 'Arn'] },
};

/**
 * The attributes a requester (scan, sweep, event and alarm functions: WorkflowApprovalRequester)
 * writes when it creates a request. Its PutItem may carry no other: never a decision, a seal, a
 * task token, actions or an error (IAM `dynamodb:Attributes`, DynamoDB developer guide "Using
 * IAM policy conditions for fine-grained access control").
 */
export const REQUEST_ATTRIBUTES = ['approvalId', 'status', 'createdAt', 'updatedAt', 'account', 'policy', 'findings', 'approvers', 'timeoutSeconds', 'ttl'];

/**
 * The attributes the internet-facing approval page may write: the decision and the status it
 * claims (decide() in workflow.ts), plus the key and the update stamp. Never a plan, a finding,
 * the policy, the seal or the task token.
 */
export const DECISION_ATTRIBUTES = ['approvalId', 'status', 'decision', 'updatedAt'];

/** The page's table access: read any attribute, update only the decision attributes, and return nothing else. */
export const approvalPageTableStatements = (): IamStatement[] => [
  { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: { 'Fn::GetAtt': ['ApprovalsTable', 'Arn'] } },
  {
    Effect: 'Allow',
    Action: ['dynamodb:UpdateItem'],
    Resource: { 'Fn::GetAtt': ['ApprovalsTable', 'Arn'] },
    Condition: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': DECISION_ATTRIBUTES },
      'StringEqualsIfExists': { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
    },
  } as IamStatement,
];

/** The placeholder serverless-vars.cjs replaces with the link secret's SSM parameter name (custom.approval.linkSecretParameter). */
export const LINK_SECRET_PARAMETER_PLACEHOLDER = '{{custom.approval.linkSecretParameter}}';

/** Read the link secret (Ask signs, the page and Apply verify). */
export const linkSecretStatement = (): IamStatement => ({
  Effect: 'Allow',
  Action: ['ssm:GetParameter'],
  Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${LINK_SECRET_PARAMETER_PLACEHOLDER}` },
});

/** What a function that runs approval-mode policies needs to request an approval: create the record, start the workflow. */
export function approvalRequestStatements(policies: Policy[]): IamStatement[] {
  if (!policies.some((p) => p.mode === 'approval')) return [];
  return [
    {
      Effect: 'Allow',
      Action: ['dynamodb:PutItem'],
      Resource: { 'Fn::GetAtt': ['ApprovalsTable', 'Arn'] },
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': REQUEST_ATTRIBUTES }, 'StringEqualsIfExists': { 'dynamodb:ReturnValues': ['NONE'] } },
    } as IamStatement,
    { Effect: 'Allow', Action: ['states:StartExecution'], Resource: { Ref: 'ApprovalWorkflow' } },
  ];
}

export function approvalStackConfig(policies: Policy[]) {
  const gated = policies.filter((p) => p.mode === 'approval');
  const apply = actionsFor(gated, { withRemediation: true });
  return {
    approvalDefinition: packagedDefinition(),
    // Apply goes through the engine's applyOne: it records each action in the audit table,
    // guards it with the idempotency table and publishes its events (provider.environment
    // names them), so it needs the audit trail's statements like the sweep.
    // And the link secret: Apply verifies the seal Ask put on what was approved (lib/approval/seal.ts).
    approvalApplyIamStatements: [APPROVALS_TABLE_STATEMENT, linkSecretStatement(), ...statementsFor(apply), ...auditIamStatements()],
    approvalVerifyIamStatements: [APPROVALS_TABLE_STATEMENT, ...statementsFor(apply.filter(isRead))],
  };
}
