/** Checks the template `osls package` produced: "Sweep the organization" and the hub side of hub and spokes. */
import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { deployedDefinition as deployedOf } from './deployed-definition.ts';
import { MEMBER_ROLE_ASSUMERS, MEMBER_TEMPLATE_FILE } from '../../lib/org/deploy.ts';
import { ORG_FUNCTIONS, ORG_STATE, orgLambdaLogicalId, packagedOrgDefinition } from '../../lib/org/state-machine.ts';

const template = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8'));
const resources: Record<string, any> = template.Resources;

const deployedDefinition = (partition?: string) => deployedOf(resources, 'OrgSweepStateMachine', partition);

const statements = (role: string) => resources[role].Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);

describe('the packaged "Sweep the organization" state machine', () => {
  it('is valid ASL (asl-validator) and the definition lib/org/state-machine.ts generates', () => {
    const deployed = deployedDefinition();
    const result = validator(deployed);
    expect(result.errors).toEqual([]);
    expect(Object.keys(deployed.States)).toEqual(Object.keys(packagedOrgDefinition(20).States));
  });

  it('fans out with a Distributed Map over the listed items, bounded and tolerant of failed items', () => {
    const map = deployedDefinition().States[ORG_STATE.map];
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.items', MaxConcurrency: 20, ToleratedFailurePercentage: 100 });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    const item = map.ItemProcessor.States[ORG_STATE.item];
    expect(item.Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: ORG_STATE.itemFailed });
    expect(item.Retry.length).toBeGreaterThan(0);
  });

  it('may invoke only its two functions, and start its own child executions', () => {
    const role = statements('OrgSweepStateMachineRole');
    const targets = role.filter((s: any) => s.Action.includes('lambda:InvokeFunction')).flatMap((s: any) => s.Resource).filter((r: any) => r['Fn::GetAtt']).map((r: any) => r['Fn::GetAtt'][0]);
    expect(targets.sort()).toEqual(Object.keys(ORG_FUNCTIONS).map((fn) => orgLambdaLogicalId(fn as never)).sort());
    const start = role.find((s: any) => s.Action.includes('states:StartExecution'));
    expect(JSON.stringify(start.Resource)).toContain('stateMachine:trimtab-dev-sweep-organization');
  });
});

describe('the organization functions', () => {
  it('lets sweep-account assume only the member role, with its own role and no wildcard actions', () => {
    const role = resources.SweepAccountLambdaFunction.Properties.Role['Fn::GetAtt'][0];
    expect(role).toBe('SweepAccountIamRoleLambdaExecution');
    const assume = statements(role).filter((s: any) => s.Action.includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(JSON.stringify(assume[0].Resource)).toMatch(/iam::\*:role\/trimtab-member-\*/);
    for (const s of statements(role)) for (const action of s.Action) expect(action).not.toMatch(/:\*$/);
    expect(resources.SweepAccountLambdaFunction.Properties.Timeout).toBe(900);
  });

  it('holds the hub bus policy for the organization behind a condition (no organization id in trimtab.yml: not created)', () => {
    expect(resources.TrimtabOrgBusPolicy).toMatchObject({ Type: 'AWS::Events::EventBusPolicy', Condition: 'TrimtabHasOrganization' });
    expect(resources.TrimtabOrgBusPolicy.Properties.Statement.Condition.StringEquals).toHaveProperty('aws:PrincipalOrgID');
    expect(template.Conditions.TrimtabHasOrganization).toBeDefined();
  });
});

describe('the committed member template (lib/org/member-role.template.json)', () => {
  const member = JSON.parse(readFileSync(MEMBER_TEMPLATE_FILE, 'utf8'));
  const role = member.Resources.TrimtabMemberRole.Properties;
  const memberStatements = role.Policies[0].PolicyDocument.Statement;

  it('denies the member role every write it holds that AWS authorises on aws:ResourceTag, on resources tagged trimtab:skip', () => {
    const deny = memberStatements.find((s: any) => s.Effect === 'Deny' && s.Condition?.Null?.['aws:ResourceTag/trimtab:skip'] === 'false');
    const writes = memberStatements.filter((s: any) => s.Effect === 'Allow').flatMap((s: any) => s.Action);
    expect(deny.Resource).toBe('*');
    expect(deny.Action.length).toBeGreaterThan(20);
    expect(deny.Action.every((a: string) => writes.includes(a))).toBe(true);
    const runInstances = memberStatements.find((s: any) => s.Effect === 'Allow' && s.Action.includes('ec2:RunInstances'));
    expect(runInstances.Condition.Bool).toEqual({ 'ec2:IsLaunchTemplateResource': 'true' });
  });

  it("trusts only the hub stage's acting function roles, with the organization condition when an id is given", () => {
    const trust = role.AssumeRolePolicyDocument.Statement[0];
    const text = JSON.stringify(trust.Condition);
    for (const fn of MEMBER_ROLE_ASSUMERS) expect(text).toContain(`role/trimtab-\${Stage}-${fn}-*`);
    expect(text).not.toContain('role/trimtab-${Stage}-*');
    expect(text).toContain('"aws:PrincipalOrgID":{"Ref":"OrganizationId"}');
    expect(member.Parameters.OrganizationId.AllowedPattern).toBe('^(o-[a-z0-9]{10,32})?$');
  });

  it('is trusted by every hub function that holds sts:AssumeRole on it (a renamed function would lose its way in)', () => {
    const assumers = Object.entries(resources)
      .filter(([, r]: [string, any]) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties.Policies ?? []).includes('trimtab-member-'))
      .map(([, r]: [string, any]) => JSON.stringify(r.Properties.RoleName));
    expect(assumers.length).toBeGreaterThan(0);
    for (const name of assumers) expect(MEMBER_ROLE_ASSUMERS.some((fn) => name.includes(`-${fn}-`)), name).toBe(true);
  });
});
