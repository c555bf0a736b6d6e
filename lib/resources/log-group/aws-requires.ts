/** "What AWS requires" for `log-group`: see lib/resources/aws-requires.ts and docs/resources/log-group.md. */
import type { AwsRequirement } from '../aws-requires.ts';

const WASTE = 'test/integration/waste1.test.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'logs:PutRetentionPolicy',
    elements: ['set-retention'],
    rule: 'retentionInDays is one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
    awsAnswers: 'InvalidParameterException (400)',
    source: 'client-cloudwatch-logs PutRetentionPolicyCommand.d.ts / models (PutRetentionPolicyRequest.retentionInDays)',
    trimtabDoes: 'the policy schema accepts only those values',
    sandbox: 'lib/sandbox/services/cloudwatchlogs.ts PutRetentionPolicy',
    test: { file: WASTE, name: 'the sandbox refuses retention values CloudWatch Logs does not accept' },
    reviewed: "fresh-context review 2026-12-07: the 22 values verbatim in client-cloudwatch-logs models_0.d.ts PutRetentionPolicyRequest.retentionInDays; the option schema accepts only them; sandbox test run; agrees",
  },
  {
    operation: 'logs:PutRetentionPolicy',
    elements: ['set-retention'],
    rule: 'a retention or a trimtab:skip tag can be set between the scan (or the approval email) and the write',
    awsAnswers: 'no error: the write would replace the owners\' retention',
    source: 'belief: retention and tags are account-controlled (design.md safety rules)',
    trimtabDoes: 're-reads the group and its tags (ListTagsForResource) right before the write; leaves a retention set since alone and refuses trimtab:skip',
    sandbox: 'lib/sandbox/services/cloudwatchlogs.ts DescribeLogGroups / ListTagsForResource answer the current state',
    test: { file: WASTE, name: 'sets the retention, leaves groups with one alone, and skips a group tagged trimtab:skip at apply time' },
    reviewed: "fresh-context review 2026-12-07: belief as stated; apply re-reads DescribeLogGroups and ListTagsForResource right before the put; test run; agrees",
  },
  {
    operation: 'logs:DeleteRetentionPolicy',
    elements: ['set-retention'],
    rule: 'removes the retention: the group never expires again',
    awsAnswers: 'ResourceNotFoundException for a group that is gone',
    source: 'client-cloudwatch-logs DeleteRetentionPolicyCommand.d.ts',
    trimtabDoes: 'undo restores never expire, refused when the retention changed since',
    sandbox: 'lib/sandbox/services/cloudwatchlogs.ts DeleteRetentionPolicy',
    test: { file: WASTE, name: 'undo restores never expire, and refuses when the retention changed since' },
    reviewed: "fresh-context review 2026-12-07: DeleteRetentionPolicyCommand.d.ts; undo compares the current retention with what trimtab set first; test run; agrees",
  },
  {
    operation: 'logs:PutRetentionPolicy',
    elements: ['set-retention'],
    rule: 'an account-level retention policy (PutAccountPolicy) overrides the group\'s retention; DescribeLogGroups then returns the policy\'s retention in retentionInDays',
    awsAnswers: 'no error: the put is saved but does not decide when events expire while the account policy applies',
    source: 'client-cloudwatch-logs PutRetentionPolicyCommand.d.ts ("Account-level retention policies created with PutAccountPolicy override the retention")',
    trimtabDoes: 'a group under an account policy shows a retention, so the detector and apply leave it alone (already set); undo refuses when the retention read differs from what trimtab set',
    sandbox: 'not enforced: the sandbox has no account-level retention policies',
    reviewed: 'fresh-context review 2026-12-07: row added by the reviewer; safe by the "retention already set" check, but retentionPolicyName is not read, so the evidence does not say the retention comes from an account policy',
  },
  {
    operation: 'logs:ListTagsForResource',
    elements: ['set-retention'],
    rule: 'resourceArn is the log group ARN without the trailing :* (DescribeLogGroups\' logGroupArn, not arn)',
    awsAnswers: 'InvalidParameterException (400) for a malformed ARN; ResourceNotFoundException for a group that is gone',
    source: 'client-cloudwatch-logs ListTagsForResourceCommand.d.ts and models_0.d.ts (LogGroup.arn vs logGroupArn)',
    trimtabDoes: 'uses logGroupArn, or arn with :* removed',
    sandbox: 'lib/sandbox/services/cloudwatchlogs.ts ListTagsForResource (accepts both forms: the :* form is not refused)',
    test: { file: 'test/integration/waste1.test.ts', name: 'sets the retention, leaves groups with one alone, and skips a group tagged trimtab:skip at apply time' },
    reviewed: 'fresh-context review 2026-12-07: row added by the reviewer from resource.ts toLogGroup',
  },
];
