/**
 * What serverless.yml generates from trimtab.yml at package time (through the variable
 * resolver in serverless-vars.cjs): the sweep's schedule rules and each function's IAM.
 */
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { loadPolicies, type Policy } from '../policy/load.ts';
import { auditDashboardBody, auditIamStatements } from './audit-stack.ts';
import { actionsFor, statementsFor, type IamStatement } from './iam.ts';
import { terraformStateStatements } from '../ownership/permissions.ts';
import { triggerStackConfig } from './triggers.ts';
import { approvalRequestStatements, approvalStackConfig } from '../approval/deploy.ts';
import { orgStackConfig } from '../org/deploy.ts';
import { sweepDefinition } from '../lambda/sweep-machine.ts';

export function policyFile(): string {
  return process.env.TRIMTAB_POLICY_FILE ?? 'trimtab.yml';
}

/** One EventBridge schedule rule per distinct expression; its input names the schedule. */
export function scheduleEvents(policies: Policy[]) {
  const expressions = [...new Set(policies.flatMap((p) => p.triggers.flatMap((t) => ('schedule' in t ? [t.schedule] : []))))].sort();
  return expressions.map((expression) => ({
    schedule: {
      rate: [expression],
      enabled: true,
      input: { schedule: expression },
      description: `trimtab sweep: ${policies
        .filter((p) => p.triggers.some((t) => 'schedule' in t && t.schedule === expression))
        .map((p) => p.id)
        .join(', ')}`.slice(0, 512),
    },
  }));
}

/** The sweep lists everything its policies cover, and writes only for auto-mode policies. */
export const scheduledPolicies = (policies: Policy[]) => policies.filter((p) => p.triggers.some((t) => 'schedule' in t));

export function sweepIamStatements(policies: Policy[]): IamStatement[] {
  const scheduled = scheduledPolicies(policies);
  const auto = scheduled.filter((p) => p.mode === 'auto');
  const actions = new Set([...actionsFor(scheduled, { withRemediation: false }), ...actionsFor(auto, { withRemediation: true })]);
  return [...statementsFor([...actions]), ...terraformStateStatements(scheduled)];
}

export function stackConfig(file = policyFile()) {
  const set = loadPolicies(file);
  const { policies } = set;
  // Hub and spokes (lib/org): "Sweep the organization" runs the schedules, and every function that may act
  // in a member account may assume the member role.
  const org = orgStackConfig(set, scheduleEvents);
  const withAssume = (statements: IamStatement[]) => (set.organization ? [...statements, ...org.orgAssumeRoleStatements] : statements);
  const approval = approvalStackConfig(policies);
  const triggers = triggerStackConfig(policies);
  return {
    // The schedules start "Sweep the account" (lib/lambda/sweep-machine.ts), which invokes the scan
    // function until it has done every unit (a checkpoint between invocations), not the function itself.
    scanEvents: [],
    sweepEvents: set.organization ? [] : scheduleEvents(policies).map(({ schedule }) => ({ schedule: { rate: schedule.rate[0], enabled: true, input: schedule.input, description: schedule.description } })),
    sweepDefinition: sweepDefinition({ functionName: { 'Fn::GetAtt': ['ScanLambdaFunction', 'Arn'] } }),
    // The sweep records its findings and actions (the audit trail's statements).
    scanIamStatements: [...sweepIamStatements(policies), ...auditIamStatements(), ...approvalRequestStatements(scheduledPolicies(policies))],
    auditIamStatements: auditIamStatements(),
    auditDashboardBody: auditDashboardBody(),
    ...approval,
    // Always, like sweepAccount: the organization sweep (also when started by hand without an organization block)
    // asks for approvals in member accounts, and Apply and Verify act there through the member role.
    approvalApplyIamStatements: [...approval.approvalApplyIamStatements, ...org.orgAssumeRoleStatements],
    approvalVerifyIamStatements: [...approval.approvalVerifyIamStatements, ...org.orgAssumeRoleStatements],
    // Event, alarm and alarm-reconciler functions (lib/deploy/triggers.ts).
    ...triggers,
    eventIamStatements: withAssume(triggers.eventIamStatements),
    alarmIamStatements: withAssume(triggers.alarmIamStatements),
    // "Sweep the organization" (lib/org/deploy.ts).
    orgSweepDefinition: org.orgSweepDefinition,
    orgSweepEvents: org.orgSweepEvents,
    organizationId: org.organizationId,
    sweepAccountIamStatements: [...sweepIamStatements(policies), ...auditIamStatements(), ...approvalRequestStatements(scheduledPolicies(policies)), ...org.orgAssumeRoleStatements],
  };
}
