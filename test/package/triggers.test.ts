/** The template `osls package` built from the default trimtab.yml: trigger rules, targets, IAM, table. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const template = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8'));
const resources = template.Resources as Record<string, { Type: string; Properties: any }>;
const rules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule');
/** The rule's target: a function's logical id (Fn::GetAtt), or a state machine's (Ref: the scheduled sweep). */
const targetOf = (rule: { Properties: any }) => rule.Properties.Targets[0].Arn['Fn::GetAtt']?.[0] ?? rule.Properties.Targets[0].Arn.Ref;
const policyOf = (role: string) => resources[role].Properties.Policies[0].PolicyDocument.Statement;

describe('trigger rules in the packaged template', () => {
  it('has one rule per trigger in trimtab.yml: the sweep schedule, the CreateBucket pattern, the alarm prefix and the reconciler', () => {
    expect(rules.map(([, r]) => [targetOf(r), r.Properties.ScheduleExpression ?? 'pattern']).sort()).toEqual([
      ['AlarmDashsyncLambdaFunction', 'rate(1 hour)'],
      ['AlarmLambdaFunction', 'pattern'],
      ['AlarmLambdaFunction', 'pattern'],
      ['EventLambdaFunction', 'pattern'],
      ['SweepStateMachine', 'rate(1 day)'],
    ]);
  });

  it('sends CloudTrail CreateBucket calls that succeeded to the event function', () => {
    const [, rule] = rules.find(([, r]) => targetOf(r) === 'EventLambdaFunction')!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['s3.amazonaws.com'], eventName: ['CreateBucket'], errorCode: [{ exists: false }] },
    });
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Description).toBe('trimtab event: s3-new-bucket-abort-uploads');
  });

  it('sends only ALARM state changes of the trimtab-s3-growth- and trimtab-asg-low-cpu- alarms to the alarm function', () => {
    const patterns = rules.filter(([, r]) => targetOf(r) === 'AlarmLambdaFunction').map(([, r]) => r.Properties.EventPattern);
    const forPrefix = (prefix: string) => ({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: [{ prefix }], state: { value: ['ALARM'] } },
    });
    expect(patterns).toHaveLength(2);
    expect(patterns).toEqual(expect.arrayContaining([forPrefix('trimtab-s3-growth-'), forPrefix('trimtab-asg-low-cpu-')]));
  });

  it('gives each trigger function its own role: writes only where a policy is auto, the idempotency table, alarm writes only under the prefix', () => {
    const roles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role').map(([id]) => id);
    const role = (fn: string) => roles.find((id) => id.toLowerCase().startsWith(fn.toLowerCase()))!;
    const actions = (fn: string) => policyOf(role(fn)).flatMap((s: { Action: string[] }) => s.Action);
    expect(actions('EventIamRole')).toContain('s3:PutLifecycleConfiguration');
    expect(actions('EventIamRole')).toContain('dynamodb:PutItem');
    expect(actions('AlarmIamRole')).not.toContain('s3:PutLifecycleConfiguration');
    expect(actions('AlarmIamRole')).toContain('dynamodb:GetItem');
    // asg-low-cpu-lower-min-size is an auto alarm policy: the alarm function may change MinSize, nothing else.
    expect(actions('AlarmIamRole')).toContain('autoscaling:UpdateAutoScalingGroup');
    expect(actions('AlarmIamRole')).not.toContain('autoscaling:PutScalingPolicy');
    const alarmWrites = policyOf(role('AlarmDashsyncIamRole')).find((s: { Action: string[] }) => s.Action.includes('cloudwatch:PutMetricAlarm'));
    expect(alarmWrites.Resource.map((r: { 'Fn::Sub': string }) => r['Fn::Sub']).sort()).toEqual([
      'arn:${AWS::Partition}:cloudwatch:*:${AWS::AccountId}:alarm:trimtab-asg-low-cpu-*',
      'arn:${AWS::Partition}:cloudwatch:*:${AWS::AccountId}:alarm:trimtab-s3-growth-*',
    ]);
  });

  it('defines the idempotency table with TTL and passes its name to the event and alarm functions', () => {
    expect(resources.TrimtabIdempotencyTable.Properties).toMatchObject({ TableName: 'trimtab-dev-idempotency', TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } });
    for (const fn of ['EventLambdaFunction', 'AlarmLambdaFunction']) {
      expect(resources[fn].Properties.Environment.Variables.TRIMTAB_IDEMPOTENCY_TABLE).toBe('trimtab-dev-idempotency');
    }
  });
});
