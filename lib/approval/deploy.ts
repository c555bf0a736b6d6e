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

/** What a function that runs approval-mode policies needs to request an approval: create the record, start the workflow. */
export function approvalRequestStatements(policies: Policy[]): IamStatement[] {
  if (!policies.some((p) => p.mode === 'approval')) return [];
  return [
    { Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: { 'Fn::GetAtt': ['ApprovalsTable', 'Arn'] } },
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
    approvalApplyIamStatements: [APPROVALS_TABLE_STATEMENT, ...statementsFor(apply), ...auditIamStatements()],
    approvalVerifyIamStatements: [APPROVALS_TABLE_STATEMENT, ...statementsFor(apply.filter(isRead))],
  };
}
