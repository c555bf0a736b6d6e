/** "What AWS requires" for `s3-bucket`: see lib/resources/aws-requires.ts and docs/resources/s3-bucket.md. */
import type { AwsRequirement } from '../aws-requires.ts';

const LIFECYCLE = 'test/unit/resources/s3-bucket/lifecycle.test.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 's3:PutLifecycleConfiguration',
    elements: ['add-lifecycle-rules'],
    rule: 'PutBucketLifecycleConfiguration replaces the whole configuration',
    awsAnswers: 'no error: rules left out are deleted',
    source: 'client-s3 PutBucketLifecycleConfigurationCommand.d.ts ("replaces an existing lifecycle configuration")',
    trimtabDoes: 'reads the rules right before the put and merges by ID; others\' rules kept unchanged and in order',
    sandbox: 'lib/sandbox/services/s3.ts PutBucketLifecycleConfiguration',
    test: { file: LIFECYCLE, name: 'keeps every rule others wrote, unchanged and in order, and appends trimtab rules' },
  },
  {
    operation: 's3:PutLifecycleConfiguration',
    elements: ['add-lifecycle-rules'],
    rule: 'the owners may add a rule between the scan (or the approval email) and the put',
    awsAnswers: 'no error: a merged rule could override theirs',
    source: 'belief: lifecycle rules are account-controlled and change at any time (design.md safety rules)',
    trimtabDoes: 're-judges each of its rules against the rules there now and refuses a conflict, writing nothing',
    sandbox: 'lib/sandbox/services/s3.ts GetBucketLifecycleConfiguration answers the current rules',
    test: { file: 'test/integration/apply-time-rechecks.test.ts', name: 'add-lifecycle-rules refuses a bucket whose owners added a conflicting rule after the scan, writing nothing' },
  },
  {
    operation: 's3:PutLifecycleConfiguration',
    elements: ['add-lifecycle-rules'],
    rule: 'at most 1,000 rules; rule IDs unique; a transition to STANDARD_IA needs at least 30 days',
    awsAnswers: 'InvalidRequest / InvalidArgument (400)',
    source: 'client-s3 models (LifecycleRule, Transition.Days); S3 User Guide, "Lifecycle configuration elements"',
    trimtabDoes: 'checks the merged configuration before the put and sends nothing when it breaks a rule',
    sandbox: 'lib/sandbox/services/s3.ts PutBucketLifecycleConfiguration',
    test: { file: LIFECYCLE, name: 'refuses a merged configuration over 1,000 rules or with duplicate IDs' },
  },
  {
    operation: 's3:PutLifecycleConfiguration',
    elements: ['add-lifecycle-rules'],
    rule: 'a new configuration takes a while to propagate: reads may return the old one',
    awsAnswers: 'no error: GetBucketLifecycleConfiguration shows the previous rules for a while',
    source: 'S3 User Guide, "Setting a lifecycle configuration" ("there might be a delay before the new or updated configuration is fully propagated")',
    trimtabDoes: 'verify re-reads through the clock; an unpropagated put stays applied with verification pending',
    sandbox: 'lib/sandbox/services/s3.ts lifecyclePropagation',
    test: { file: 'test/integration/s3-lifecycle-propagation.test.ts', name: 'verifies the put once S3 shows it, re-reading through the clock instead of failing at once' },
  },
];
