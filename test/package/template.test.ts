import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { deployedDefinition, taskResources } from './deployed-definition.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { actionsFor } from '../../lib/deploy/iam.ts';
import { auditIamStatements } from '../../lib/deploy/audit-stack.ts';
import { approvalRequestStatements } from '../../lib/approval/deploy.ts';

// Runs after `osls package` (npm run package:check).
const template = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8'));
const resources: Record<string, any> = template.Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

const policyActions = (role: any): string[] =>
  role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement.flatMap((s: any) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

describe('the packaged CloudFormation template', () => {
  it('has the scan function on nodejs22.x with its own role', () => {
    const scan = resources.ScanLambdaFunction;
    expect(scan.Properties.Runtime).toBe('nodejs22.x');
    expect(scan.Properties.Role).toEqual({ 'Fn::GetAtt': ['ScanIamRoleLambdaExecution', 'Arn'] });
    expect(resources.ScanIamRoleLambdaExecution.Type).toBe('AWS::IAM::Role');
  });

  it('names every resource in its roles\' policies in the stack\'s partition, never with a literal arn:aws: (China, GovCloud)', () => {
    // Every ARN string in an IAM role's policies, literal or inside Fn::Sub
    const arns: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') {
        if (v.startsWith('arn:')) arns.push(v);
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    for (const [, role] of ofType('AWS::IAM::Role')) walk(role.Properties.Policies);
    const member = JSON.parse(readFileSync('lib/org/member-role.template.json', 'utf8'));
    walk(member);

    expect(arns.length).toBeGreaterThan(20);
    expect(arns.filter((arn) => arn.startsWith('arn:aws:'))).toEqual([]);
  });

  it("names every state machine's service integrations in the stack's partition, so an execution in China or GovCloud reaches them", () => {
    const machines = ofType('AWS::StepFunctions::StateMachine').map(([id]) => id).sort();
    expect(machines).toEqual(['ApprovalWorkflow', 'OrgSweepStateMachine', 'SweepStateMachine']);
    for (const id of machines) {
      expect(JSON.stringify(resources[id].Properties.DefinitionString)).not.toContain('arn:aws:');
      for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
        const definition = deployedDefinition(resources, id, partition);
        const tasks = taskResources(definition);
        expect(tasks.length).toBeGreaterThan(0);
        expect(tasks.filter((arn) => !arn.startsWith(`arn:${partition}:states:::lambda:invoke`))).toEqual([]);
        expect(validator(definition).errors).toEqual([]);
      }
    }
  });

  it('gives every function a role of its own', () => {
    const roles = ofType('AWS::Lambda::Function').map(([, fn]) => JSON.stringify(fn.Properties.Role));
    expect(new Set(roles).size).toBe(roles.length);
    expect(roles.some((r) => r.includes('"IamRoleLambdaExecution"'))).toBe(false);
  });

  it('has one schedule rule per schedule expression in trimtab.yml, starting the sweep state machine with the schedule as input (none targets the scan function)', () => {
    const { policies } = loadPolicies('trimtab.yml');
    const expressions = [...new Set(policies.flatMap((p) => p.triggers.flatMap((t) => ('schedule' in t ? [t.schedule] : []))))].sort();
    const scheduled = ofType('AWS::Events::Rule').map(([, r]) => r.Properties).filter((p) => p.ScheduleExpression);
    const rules = scheduled.filter((p) => JSON.stringify(p.Targets[0].Arn) === JSON.stringify({ Ref: 'SweepStateMachine' }));
    expect(rules.map((r) => r.ScheduleExpression).sort()).toEqual(expressions);
    for (const rule of rules) expect(JSON.parse(rule.Targets[0].Input)).toEqual({ schedule: rule.ScheduleExpression });
    expect(scheduled.some((p) => JSON.stringify(p.Targets[0].Arn).includes('ScanLambdaFunction'))).toBe(false);
  });

  it('loops the scan function from its checkpoint in the sweep state machine', () => {
    const machine = ofType('AWS::StepFunctions::StateMachine').find(([id]) => id === 'SweepStateMachine');
    expect(machine).toBeDefined();
    const text = JSON.stringify(machine![1].Properties);
    expect(text).toContain('ScanLambdaFunction');
    expect(text).toContain('Go on from the checkpoint');
  });

  it("grants the scan role exactly what its policies' elements declare, the audit trail, logging, tracing and the DLQ", () => {
    const { policies } = loadPolicies('trimtab.yml');
    const scheduled = policies.filter((p) => p.triggers.some((t) => 'schedule' in t));
    const declared = new Set([
      ...actionsFor(scheduled, { withRemediation: false }),
      ...actionsFor(scheduled.filter((p) => p.mode === 'auto'), { withRemediation: true }),
      ...auditIamStatements().flatMap((s) => s.Action),
      ...approvalRequestStatements(scheduled).flatMap((s) => s.Action),
      'sqs:SendMessage', // failed async invocations go to the dead-letter queue
    ]);
    const granted = new Set(policyActions(resources.ScanIamRoleLambdaExecution).filter((a) => !a.startsWith('logs:CreateLog') && !['logs:PutLogEvents', 'logs:TagResource', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'].includes(a)));
    expect([...granted].sort()).toEqual([...declared].sort());
    expect([...granted].some((a) => a.endsWith(':*') || a === '*')).toBe(false);
  });
});
