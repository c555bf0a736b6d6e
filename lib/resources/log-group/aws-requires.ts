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
  },
];
