/** The member template, the hub's IAM for it, and which account × region items a sweep covers. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { actionsFor } from '../../../lib/deploy/iam.ts';
import { assumeMemberRoleStatement, MEMBER_ROLE_ASSUMERS, MEMBER_TEMPLATE_FILE, memberActions, memberTemplate, memberTemplateText } from '../../../lib/org/deploy.ts';
import { organizationSchema } from '../../../lib/org/config.ts';
import { accountsOf, sweepItems } from '../../../lib/org/targets.ts';
import { accountsOfRoleArns } from '../../../lib/org/cli.ts';
import { alarmRules, eventRules } from '../../../lib/deploy/triggers.ts';
import { loadPolicies, parsePolicies } from '../../../lib/policy/load.ts';
import { policiesFrom } from '../../helpers.ts';

describe('the member-account template', () => {
  it('is committed exactly as trimtab.yml generates it (run `trimtab org member-template` after changing policies)', () => {
    expect(readFileSync(MEMBER_TEMPLATE_FILE, 'utf8')).toBe(memberTemplateText(loadPolicies('trimtab.yml')));
  });

  it('grants the member role exactly the policies\u2019 reads, plus writes only for policies that may act', () => {
    // Prepare
    const policies = policiesFrom(`
version: 1
policies:
  - { id: a, resource: s3-bucket, detector: { type: missing-abort-multipart-rule }, action: { type: add-lifecycle-rules }, mode: auto }
  - { id: b, resource: ebs-snapshot, detector: { type: orphaned }, action: { type: delete-snapshot } }
`);
    // Act
    const template = memberTemplate({ file: 't.yml', policies });
    const granted = template.Resources.TrimtabMemberRole.Properties.Policies[0].PolicyDocument.Statement.filter((s: { Effect: string }) => s.Effect === 'Allow').flatMap((s: { Action: string[] }) => s.Action).sort();
    // Assess: the S3 policy's writes, the dry-run EBS policy's reads only.
    expect(granted).toEqual(memberActions(policies));
    expect(granted).toContain('s3:PutLifecycleConfiguration');
    expect(granted).not.toContain('ec2:DeleteSnapshot');
    expect(granted).toEqual(expect.arrayContaining(actionsFor([policies[1]], { withRemediation: false })));
    expect(granted.some((a: string) => a.endsWith('*'))).toBe(false);
  });

  it('trusts only the hub stage\u2019s roles and forwards each distinct event and alarm pattern to the hub bus', () => {
    const template = memberTemplate(loadPolicies('trimtab.yml'));
    const trust = template.Resources.TrimtabMemberRole.Properties.AssumeRolePolicyDocument.Statement[0];
    expect(JSON.stringify(trust.Condition)).toContain('role/trimtab-${Stage}-sweep-account-*');
    expect(JSON.stringify(trust.Condition)).not.toContain('role/trimtab-${Stage}-*');
    expect(JSON.stringify(trust.Condition)).toContain('sts:ExternalId');
    const rules = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::Events::Rule') as any[];
    // One rule per distinct event pattern and alarm matcher of the shipped policies.
    const sources = rules.map((r) => r.Properties.EventPattern.source[0]);
    expect([...new Set(sources)].sort()).toEqual(['aws.cloudwatch', 'aws.s3']);
    const { policies: shipped } = loadPolicies('trimtab.yml');
    expect(rules).toHaveLength(eventRules(shipped).length + alarmRules(shipped).length);
    for (const rule of rules) expect(rule.Properties.Targets[0].Arn['Fn::Sub']).toContain('event-bus/${HubEventBus}');
  });
});

describe('the cross-account trust, bound to the organization (issue 24 point 6)', () => {
  const withOrg = { ...loadPolicies('trimtab.yml'), organization: organizationSchema.parse({ id: 'o-a1b2c3d4e5' }) };

  it('trusts only the hub stage’s acting function roles, and only while the hub is in the organization given', () => {
    // Act
    const template = memberTemplate(withOrg);
    const trust = template.Resources.TrimtabMemberRole.Properties.AssumeRolePolicyDocument.Statement[0] as any;
    const [, withExternalId, withoutExternalId] = trust.Condition['Fn::If'];

    // Assess: the organization id defaults to trimtab.yml's; every branch names the same role ARNs
    expect(template.Parameters.OrganizationId.Default).toBe('o-a1b2c3d4e5');
    expect(template.Conditions.HasOrganization).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrganizationId' }, ''] }] });
    expect(withoutExternalId).toEqual({ 'Fn::If': ['HasOrganization', expect.anything(), expect.anything()] });
    const [, inOrg, noOrg] = withoutExternalId['Fn::If'];
    expect(inOrg.StringEquals).toEqual({ 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } });
    expect(noOrg.StringEquals).toBeUndefined();
    expect(withExternalId['Fn::If'][1].StringEquals).toEqual({ 'aws:PrincipalOrgID': { Ref: 'OrganizationId' }, 'sts:ExternalId': { Ref: 'ExternalId' } });
    expect(inOrg.ArnLike['aws:PrincipalArn'].map((p: { 'Fn::Sub': string }) => p['Fn::Sub'])).toEqual(
      MEMBER_ROLE_ASSUMERS.map((fn) => `arn:\${AWS::Partition}:iam::\${HubAccountId}:role/trimtab-\${Stage}-${fn}-*`),
    );
  });

  it('lets the hub assume member roles only in accounts of its organization: the one named, else its own', () => {
    // Act
    const named = assumeMemberRoleStatement(withOrg.organization);
    const own = assumeMemberRoleStatement(organizationSchema.parse({}));

    // Assess
    expect(named.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } });
    expect(own.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': { 'Fn::Sub': '${!aws:PrincipalOrgID}' } } });
  });

  it('denies the member role its writes on resources tagged trimtab:skip', () => {
    // Act
    const statements = memberTemplate(withOrg).Resources.TrimtabMemberRole.Properties.Policies[0].PolicyDocument.Statement;
    const deny = statements.find((s: any) => s.Effect === 'Deny' && s.Condition?.Null?.['aws:ResourceTag/trimtab:skip'] === 'false')!;

    // Assess
    expect(deny.Resource).toBe('*');
    expect(deny.Action).toEqual(expect.arrayContaining(['ec2:ModifyVolume', 'rds:StopDBInstance', 'autoscaling:UpdateAutoScalingGroup']));
  });
});

describe('sweep items', () => {
  const org = organizationSchema.parse({ accounts: ['111111111111'], organizationalUnits: { 'ou-ab12-cd34ef56': ['222222222222', '333333333333'] }, regions: ['us-east-1', 'eu-west-1'] });
  const policies = policiesFrom(`
version: 1
policies:
  - { id: all, resource: s3-bucket, detector: { type: missing-lifecycle } }
  - { id: ou, resource: s3-bucket, detector: { type: missing-lifecycle }, scope: { organizationalUnits: [ou-ab12-cd34ef56], regions: [us-east-1] } }
  - { id: both, resource: s3-bucket, detector: { type: missing-lifecycle }, scope: { organizationalUnits: [ou-ab12-cd34ef56], accounts: ['333333333333', '111111111111'] } }
`);

  it('covers every organization account for an unscoped policy, the OU\u2019s for an OU-scoped one, and the intersection when both are named', () => {
    expect(accountsOf(policies[0], org, '999999999999')).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(accountsOf(policies[1], org, '999999999999')).toEqual(['222222222222', '333333333333']);
    expect(accountsOf(policies[2], org, '999999999999')).toEqual(['333333333333']);
    expect(accountsOf(policies[0], undefined, '999999999999')).toEqual(['999999999999']);
  });

  it('groups policies per account × region, in a stable order', () => {
    const items = sweepItems(policies, org, { hubAccount: '999999999999', defaultRegions: ['us-west-2'] });
    expect(items).toHaveLength(6);
    expect(items.find((i) => i.account === '333333333333' && i.region === 'us-east-1')!.policies).toEqual(['all', 'ou', 'both']);
    expect(items.find((i) => i.account === '111111111111' && i.region === 'eu-west-1')!.policies).toEqual(['all']);
  });

  it('names an OU the organization block does not map, with the known ones', () => {
    const [policy] = policiesFrom(`
version: 1
policies:
  - { id: x, resource: s3-bucket, detector: { type: missing-lifecycle }, scope: { organizationalUnits: [ou-ab12-cd34ef57] } }
`);
    expect(() => accountsOf(policy, org, '999999999999')).toThrow(/ou-ab12-cd34ef57.*did you mean 'ou-ab12-cd34ef56'/);
  });

  it('rejects a malformed organization block naming the key', () => {
    const text = `version: 1\norganization: { accounts: ['12'], maxConcurency: 3 }\npolicies:\n  - { id: a, resource: s3-bucket, detector: { type: missing-lifecycle } }\n`;
    expect(() => parsePolicies(text, 'x.yml')).toThrow(/organization.accounts.0: an account id is 12 digits/);
    expect(() => parsePolicies(text, 'x.yml')).toThrow(/maxConcurency/);
  });
});

describe('--role-arn', () => {
  it('maps each role ARN to its account and names a malformed one', () => {
    expect(accountsOfRoleArns(['arn:aws:iam::111111111111:role/a', 'arn:aws-us-gov:iam::222222222222:role/path/b'])).toEqual({
      '111111111111': 'arn:aws:iam::111111111111:role/a',
      '222222222222': 'arn:aws-us-gov:iam::222222222222:role/path/b',
    });
    expect(() => accountsOfRoleArns(['arn:aws:iam::1:role/x'])).toThrow("--role-arn 'arn:aws:iam::1:role/x' is not an IAM role ARN");
  });
});
