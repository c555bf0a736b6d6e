/**
 * Least privilege, read from the packaged template (run `npx osls package` first; `npm run
 * package:check` does). Each function's role may hold only what the elements it runs declare,
 * writes get the narrowest resource AWS supports, and no wildcard action exists anywhere.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { approvalRequestStatements, APPROVALS_TABLE_STATEMENT } from '../../lib/approval/deploy.ts';
import { isReadOnlyOperation } from '../../lib/aws/operations.ts';
import { auditIamStatements } from '../../lib/deploy/audit-stack.ts';
import { actionsFor, RESOURCE_ARNS, SKIP_TAG_DENY_ACTIONS, statementsFor, WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL } from '../../lib/deploy/iam.ts';
import { functionRoles, iamTable, renderResource, TEMPLATE_FILE } from '../../lib/deploy/iam-table.ts';
import { loadPolicies, type Policy } from '../../lib/policy/load.ts';
import { remediators, resourceTypes, detectors } from '../../lib/resources/registry.ts';
import { managedAlarmSpecs } from '../../lib/triggers/alarms.ts';
import { alarmMatchers, eventPatterns } from '../../lib/triggers/select.ts';

const template = JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8'));
const roles = functionRoles(template);
const { policies } = loadPolicies('trimtab.yml');

const isRead = (action: string) => isReadOnlyOperation(action.split(':')[0], action.split(':')[1]);
const actionsOf = (statements: { Action: string[] | string }[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
/** What a role is granted: its Allow statements (the Denies only take away). */
const allows = <T extends { Effect: string }>(statements: T[]) => statements.filter((s) => s.Effect === 'Allow');
const denies = <T extends { Effect: string }>(statements: T[]) => statements.filter((s) => s.Effect === 'Deny');

/**
 * Writes that DO support resource-level permissions (Service Authorization Reference: the
 * action lists a required resource type). None of them may sit in the "no resource-level"
 * list, and each must be granted on an ARN, never on "*".
 */
const WRITES_WITH_RESOURCE_TYPES: Record<string, string> = {
  'ec2:CreateSnapshot': 'snapshot*, volume*',
  'ec2:DeleteSnapshot': 'snapshot*',
  'ec2:ModifySnapshotTier': 'snapshot*',
  'ec2:RestoreSnapshotTier': 'snapshot*',
  'ec2:RestoreSnapshotFromRecycleBin': 'snapshot*',
  'ec2:CreateTags': 'snapshot, volume, … (the tagged resource)',
  'ec2:DeleteTags': 'snapshot, volume, …',
  'ec2:DeleteVolume': 'volume*',
  'ec2:ModifyVolume': 'volume*',
  'ec2:ReleaseAddress': 'elastic-ip*',
  'ec2:StopInstances': 'instance*',
  'rbin:CreateRule': 'rule*',
  'rbin:TagResource': 'rule*',
  'events:PutEvents': 'event-bus*',
  's3:PutLifecycleConfiguration': 'bucket*',
  'autoscaling:PutScalingPolicy': 'autoScalingGroup*',
  'autoscaling:UpdateAutoScalingGroup': 'autoScalingGroup*',
  'cloudwatch:PutMetricAlarm': 'alarm*',
  'cloudwatch:DeleteAlarms': 'alarm*',
  'logs:PutRetentionPolicy': 'log-group*',
  'rds:StopDBInstance': 'db*',
  'rds:StartDBInstance': 'db*',
  'rds:ModifyDBInstance': 'db*, og, pg, secgrp',
  'rds:DeleteDBInstance': 'db*',
  'rds:CreateDBSnapshot': 'db*, snapshot*',
  'rds:RestoreDBInstanceFromDBSnapshot': 'db*, snapshot*, og, pg, subgrp',
  'rds:AddTagsToResource': 'db, snapshot, cluster, … (the tagged resource)',
  'rds:RemoveTagsFromResource': 'db, snapshot, cluster, …',
  'rds:ModifyDBCluster': 'cluster*',
  'ec2:CreateLaunchTemplateVersion': 'launch-template*',
  'ec2:DeleteLaunchTemplateVersions': 'launch-template*',
  'ec2:RunInstances': 'image*, instance*, network-interface*, security-group*, subnet*, volume*, …',
  'autoscaling:StartInstanceRefresh': 'autoScalingGroup*',
};
/** Writes the reference lists with no resource type at all: "*" is the only valid Resource. */
const WRITES_WITHOUT_RESOURCE_TYPES = new Set(['cloudwatch:PutMetricData', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

// What every function gets besides its elements: its own log group, X-Ray traces, the dead-letter queue.
const PLATFORM = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'sqs:SendMessage'];
const AUDIT = actionsOf(auditIamStatements());
const APPROVAL_TABLE = APPROVALS_TABLE_STATEMENT.Action;
// serverless.yml custom.approval: the mail, secret and resume statements the approval steps declare.
const MAIL = ['ses:SendEmail'];
const SECRET = ['ssm:GetParameter'];
const RESUME = ['states:SendTaskSuccess', 'states:SendTaskFailure'];
// lib/deploy/triggers.ts alarmSyncIam: what the reconciler itself calls.
const RECONCILER = ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'];

const scheduled = policies.filter((p) => p.triggers.some((t) => 'schedule' in t));
const eventPolicies = policies.filter((p) => eventPatterns(p).length > 0);
const alarmPolicies = policies.filter((p) => alarmMatchers(p).length > 0);
const gated = policies.filter((p) => p.mode === 'approval');
/** Listing always; remediation only where the policy may write (auto). */
const elements = (ps: Policy[]) => [...actionsFor(ps, { withRemediation: false }), ...actionsFor(ps.filter((p) => p.mode === 'auto'), { withRemediation: true })];

/** Each function → the elements it runs and the statements it declares. */
const DECLARED: Record<string, string[]> = {
  // Approval-mode policies' findings start the approval workflow: create the request, start the execution.
  scan: [...elements(scheduled), ...AUDIT, ...actionsOf(approvalRequestStatements(scheduled))],
  event: [...elements(eventPolicies), ...AUDIT, ...actionsOf(approvalRequestStatements(eventPolicies))],
  alarm: [...elements(alarmPolicies), ...AUDIT, ...actionsOf(approvalRequestStatements(alarmPolicies))],
  'alarm-sync': [...actionsFor(managedAlarmSpecs(policies).map((s) => s.policy), { withRemediation: false }), ...RECONCILER],
  approvalRecord: APPROVAL_TABLE,
  approvalAsk: [...APPROVAL_TABLE, ...MAIL, ...SECRET],
  // Apply verifies the seal with the link secret; Apply and Verify act in member accounts through the member role.
  approvalApply: [...APPROVAL_TABLE, ...SECRET, ...actionsFor(gated, { withRemediation: true }), ...AUDIT, 'sts:AssumeRole'],
  approvalVerify: [...APPROVAL_TABLE, ...actionsFor(gated, { withRemediation: true }).filter(isRead), 'sts:AssumeRole'],
  approvalNotify: [...APPROVAL_TABLE, ...MAIL],
  approvalPage: [...APPROVAL_TABLE, ...SECRET, ...RESUME],
  // The organization sweep (lib/org): the item lister only publishes its metrics; each item runs the scheduled
  // policies in one member account through the assumed member role.
  sweepOrgItems: ['cloudwatch:PutMetricData'],
  sweepAccount: [...elements(scheduled), ...AUDIT, ...actionsOf(approvalRequestStatements(scheduled)), 'sts:AssumeRole'],
};

const counts = { functions: 0, statements: 0, actionsChecked: 0, writesOnStar: 0, undeclared: 0 };
afterAll(() => {
  console.log(`[security] least privilege: ${counts.functions} function roles, ${counts.statements} statements, ${counts.actionsChecked} granted actions checked; ${counts.writesOnStar} writes on "*" (all without resource-level support), ${counts.undeclared} undeclared`);
});

describe('least privilege in the packaged template', () => {
  it('knows every function in the template (a new function must say which elements it runs)', () => {
    expect(roles.map((r) => r.name).sort()).toEqual(Object.keys(DECLARED).sort());
    counts.functions = roles.length;
  });

  it.each(Object.keys(DECLARED))('grants %s only actions that its elements declared, and all of them', (name) => {
    const role = roles.find((r) => r.name === name)!;
    const granted = new Set(actionsOf(allows(role.statements)));
    const declared = new Set([...DECLARED[name], ...PLATFORM]);
    const undeclared = [...granted].filter((a) => !declared.has(a)).sort();
    counts.statements += role.statements.length;
    counts.actionsChecked += granted.size;
    counts.undeclared += undeclared.length;
    expect(undeclared).toEqual([]);
    // And nothing the elements need is missing (it would fail with AccessDenied in AWS).
    expect(DECLARED[name].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });

  it('has no wildcard action in any role (no iam:*, *:*, service:*, or Put*)', () => {
    const everyRole = Object.entries(template.Resources).filter(([, r]: [string, any]) => r.Type === 'AWS::IAM::Role');
    for (const [id, role] of everyRole as [string, any][]) {
      for (const policy of role.Properties.Policies ?? []) {
        for (const action of actionsOf([].concat(policy.PolicyDocument.Statement))) {
          expect(action, `${id} grants ${action}`).not.toContain('*');
          expect(action, `${id} grants an IAM action`).not.toMatch(/^iam:/);
        }
      }
    }
  });

  it('puts a write on Resource "*" only where AWS supports no narrower resource', () => {
    for (const role of roles) {
      for (const s of allows(role.statements)) {
        if (!s.Resource.includes('*')) continue;
        for (const action of s.Action.filter((a) => !isRead(a))) {
          counts.writesOnStar += 1;
          expect(WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action), `${role.name}: ${action} on "*"`).toBe(true);
        }
      }
    }
  });

  it('keeps the "no resource-level permissions" list honest against the Service Authorization Reference', () => {
    for (const action of WRITE_ACTIONS_WITHOUT_RESOURCE_LEVEL) {
      expect(WRITES_WITH_RESOURCE_TYPES[action], `${action} supports resource types ${WRITES_WITH_RESOURCE_TYPES[action]}`).toBeUndefined();
      expect(WRITES_WITHOUT_RESOURCE_TYPES.has(action), `${action} must be checked against the reference and listed here`).toBe(true);
    }
    for (const action of Object.keys(WRITES_WITH_RESOURCE_TYPES).filter((a) => a in RESOURCE_ARNS)) {
      expect(RESOURCE_ARNS[action]).not.toBe('*');
    }
  });

  it('can grant every write any registered element declares without falling back to "*"', () => {
    const declared = new Set<string>();
    for (const type of resourceTypes.ids()) {
      for (const a of resourceTypes.get(type).permissions) declared.add(a);
      for (const d of detectors(type).ids()) for (const a of detectors(type).get(d).permissions ?? []) declared.add(a);
      for (const r of remediators(type).ids()) for (const a of remediators(type).get(r).permissions) declared.add(a);
    }
    const statements = statementsFor([...declared]);
    const writesOnStar = allows(statements).filter((s) => s.Resource === '*').flatMap((s) => s.Action.filter((a) => !isRead(a)));
    expect(writesOnStar).toEqual([]);
  });

  it('denies only actions the role is otherwise allowed (a Deny never stands in for a missing grant)', () => {
    for (const role of roles) {
      const granted = new Set(actionsOf(allows(role.statements)));
      expect(actionsOf(denies(role.statements)).filter((a) => !granted.has(a)), role.name).toEqual([]);
    }
  });

  it('writes EC2 snapshot ARNs with an empty account field, as AWS forms them (arn:…:ec2:region::snapshot/id)', () => {
    const snapshotResources = roles.flatMap((r) => r.statements.flatMap((s) => s.Resource.map(renderResource))).filter((r) => r.includes(':snapshot/'));
    expect(snapshotResources.length).toBeGreaterThan(0);
    for (const arn of snapshotResources) expect(arn).toMatch(/:ec2:\*::snapshot\/\*$/);
  });

  it('matches the IAM table in docs/security.md (regenerate: node --import tsx lib/deploy/iam-table.ts)', () => {
    expect(readFileSync('docs/security.md', 'utf8')).toContain(iamTable(template));
  });
});

/** IAM as the second lock (issue 24 point 6): what the code already refuses, IAM refuses too. */
describe('IAM narrowing and guards in the packaged template', () => {
  const role = (name: string) => roles.find((r) => r.name === name)!;
  const grantsOf = (name: string, action: string) => allows(role(name).statements).filter((s) => s.Action.includes(action));
  const SKIP = { Null: { 'aws:ResourceTag/trimtab:skip': 'false' } };

  it('denies, in every role, each write it may make that AWS authorises on aws:ResourceTag, on resources tagged trimtab:skip', () => {
    let guarded = 0;
    for (const r of roles) {
      const writes = actionsOf(allows(r.statements)).filter((a) => SKIP_TAG_DENY_ACTIONS.has(a));
      const skipDeny = denies(r.statements).filter((s) => JSON.stringify(s.Condition) === JSON.stringify(SKIP));
      expect(skipDeny.every((s) => s.Resource.length === 1 && s.Resource[0] === '*'), r.name).toBe(true);
      expect(writes.filter((a) => !actionsOf(skipDeny).includes(a)), r.name).toEqual([]);
      guarded += writes.length;
    }
    // The shipped policies write with the sweep, the alarm function and Apply: the guard is really there.
    expect(guarded).toBeGreaterThan(20);
    expect(actionsOf(denies(role('approvalApply').statements))).toEqual(expect.arrayContaining(['rds:DeleteDBInstance', 'ec2:DeleteVolume', 'ec2:StopInstances', 'lambda:UpdateFunctionConfiguration', 'logs:PutRetentionPolicy', 'dynamodb:UpdateTable']));
  });

  it("lets Auto Scaling's ec2:RunInstances check pass only through a launch template of the account, every resource from it", () => {
    const grants = grantsOf('approvalApply', 'ec2:RunInstances');
    expect(grants).toHaveLength(1);
    expect(grants[0].Action).toEqual(['ec2:RunInstances']);
    expect(grants[0].Condition).toEqual({
      ArnLike: { 'ec2:LaunchTemplate': { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:launch-template/*' } },
      Bool: { 'ec2:IsLaunchTemplateResource': 'true' },
    });
  });

  it('lets change-instance-type set only the instance type attribute, on instances of the account', () => {
    const grants = grantsOf('approvalApply', 'ec2:ModifyInstanceAttribute');
    expect(grants).toHaveLength(1);
    expect(grants[0].Condition).toEqual({ StringEqualsIgnoreCaseIfExists: { 'ec2:Attribute': 'instanceType' } });
    expect(grants[0].Resource.map(renderResource)).toEqual(['arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:instance/*']);
  });

  it("never lets set-memory change trimtab's own functions, nor set a layer on any function", () => {
    const guards = denies(role('approvalApply').statements).filter((s) => s.Action.includes('lambda:UpdateFunctionConfiguration'));
    expect(guards.map((s) => [s.Resource.map(renderResource), s.Condition ?? null])).toEqual([
      [['*'], SKIP],
      [['arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:trimtab-*'], null],
      [['*'], { Null: { 'lambda:Layer': 'false' } }],
    ]);
  });

  it("keeps log retention off trimtab's own log groups and CloudTrail's (the console's names)", () => {
    const guard = denies(role('approvalApply').statements).find((s) => s.Action.includes('logs:PutRetentionPolicy') && !s.Condition)!;
    expect(guard.Action).toEqual(['logs:DeleteRetentionPolicy', 'logs:PutRetentionPolicy']);
    expect(guard.Resource.map(renderResource)).toEqual([
      'arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:/aws/lambda/trimtab-*',
      'arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:aws-cloudtrail-logs-*',
      'arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:CloudTrail/*',
    ]);
  });

  it('conditions rds:DeleteDBInstance on the skip tag under both keys AWS offers for it (aws:ResourceTag and rds:db-tag)', () => {
    const guards = denies(role('approvalApply').statements).filter((s) => s.Action.includes('rds:DeleteDBInstance'));
    expect(guards.map((s) => s.Condition)).toEqual([SKIP, { Null: { 'rds:db-tag/trimtab:skip': 'false' } }]);
  });

  it('lets the hub assume member roles only in accounts of its organization (aws:ResourceOrgID)', () => {
    const assume = grantsOf('sweepAccount', 'sts:AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0].Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': { 'Fn::Sub': '${!aws:PrincipalOrgID}' } } });
  });
});
