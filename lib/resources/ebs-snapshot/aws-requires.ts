/** "What AWS requires" for `ebs-snapshot`: see lib/resources/aws-requires.ts and docs/resources/ebs-snapshot.md. */
import type { AwsRequirement } from '../aws-requires.ts';

const SANDBOX = 'test/unit/sandbox/ec2-snapshots.test.ts';
const INTEGRATION = 'test/integration/ebs-snapshot.test.ts';
const RECHECKS = 'test/integration/apply-time-rechecks.test.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'ec2:DeleteSnapshot',
    elements: ['delete-snapshot'],
    rule: 'a snapshot referenced by any AMI (disabled AMIs too) cannot be deleted',
    awsAnswers: 'InvalidSnapshot.InUse (400)',
    source: 'client-ec2 DeleteSnapshotCommand.d.ts ("you must deregister the AMI before you can delete the snapshot")',
    trimtabDoes: 'protects every AMI-referenced snapshot at scan time; an InUse answer is recorded as protected and never retried',
    sandbox: 'lib/sandbox/services/ec2.ts DeleteSnapshot',
    test: { file: INTEGRATION, name: 'records InvalidSnapshot.InUse as protected and never retries it' },
  },
  {
    operation: 'ec2:DeleteSnapshot',
    elements: ['delete-snapshot'],
    rule: 'a snapshot someone deleted since the scan no longer exists',
    awsAnswers: 'InvalidSnapshot.NotFound (400)',
    source: 'client-ec2 DeleteSnapshotCommand.d.ts; EC2 API reference, "Error codes"',
    trimtabDoes: 'counts "not found" as done',
    sandbox: 'lib/sandbox/services/ec2.ts',
    test: { file: INTEGRATION, name: 'counts InvalidSnapshot.NotFound as done' },
  },
  {
    operation: 'ec2:DeleteSnapshot',
    elements: ['delete-snapshot', 'archive-snapshot'],
    rule: 'tags (trimtab:skip, AWS Backup, DLM) and shares can change between the scan (or the approval email) and the write',
    awsAnswers: 'no error: the write would act on a snapshot protected since',
    source: 'belief: tags and createVolumePermission are account-controlled and change at any time (design.md safety rules)',
    trimtabDoes: 'DescribeSnapshots and DescribeSnapshotAttribute right before the write; refuses trimtab:skip, Backup/DLM tags and shares (unless allowShared)',
    sandbox: 'lib/sandbox/services/ec2.ts answers the current tags and createVolumePermission',
    test: { file: RECHECKS, name: 'delete-snapshot refuses a snapshot tagged trimtab:skip after the scan, deleting nothing' },
  },
  {
    operation: 'ec2:ModifySnapshotTier',
    elements: ['archive-snapshot'],
    rule: 'only completed snapshots; not one an enabled AMI uses',
    awsAnswers: 'IncorrectState; InvalidSnapshot.InUse',
    source: 'EBS User Guide, "Archive an Amazon EBS snapshot" (considerations)',
    trimtabDoes: 'refuses a snapshot that is not completed; AMI-referenced snapshots are protected at scan time',
    sandbox: 'lib/sandbox/services/ec2.ts ModifySnapshotTier',
    test: { file: SANDBOX, name: 'refuses to archive a snapshot an enabled AMI uses, or one that is not completed' },
  },
  {
    operation: 'ec2:ModifySnapshotTier',
    elements: ['archive-snapshot'],
    rule: 'archiving takes hours (archival-in-progress, still standard tier meanwhile) and turns sharing off; it cannot be cancelled',
    awsAnswers: 'no error: shares are dropped; DescribeSnapshotTierStatus shows archival-in-progress',
    source: 'EBS User Guide, "Archive an Amazon EBS snapshot"; client-ec2 DescribeSnapshotTierStatusCommand.d.ts',
    trimtabDoes: 'protects shared snapshots unless allowShared (the plan says the shares end); re-checks shares before the write; undo refuses while archiving',
    sandbox: 'lib/sandbox/services/ec2.ts ModifySnapshotTier / DescribeSnapshotTierStatus',
    test: { file: SANDBOX, name: 'keeps an archiving snapshot in the standard tier with archival-in-progress for hours, then archives it and drops its shares' },
  },
  {
    operation: 'ec2:ModifySnapshotTier',
    elements: ['archive-snapshot'],
    rule: 'a share added after the scan ends when the snapshot is archived',
    awsAnswers: 'no error: the share is silently removed',
    source: 'EBS User Guide, "Archive an Amazon EBS snapshot" ("archiving … disables sharing")',
    trimtabDoes: 'reads createVolumePermission right before ModifySnapshotTier and refuses a shared snapshot',
    sandbox: 'lib/sandbox/services/ec2.ts DescribeSnapshotAttribute',
    test: { file: RECHECKS, name: 'archive-snapshot refuses a snapshot shared with another account after the scan, archiving nothing' },
  },
  {
    operation: 'rbin:CreateRule',
    elements: ['delete-snapshot'],
    rule: 'EBS snapshot retention 1 to 365 days; exclusion tags only on region-level rules; a new rule is pending for a while and retains nothing until available',
    awsAnswers: 'ValidationException (400); a pending rule silently retains nothing',
    source: 'client-rbin CreateRuleCommand.d.ts; Recycle Bin User Guide, "Work with retention rules"',
    trimtabDoes: 'validates the retention; waits (bounded) for its rule to be available and deletes nothing while pending',
    sandbox: 'lib/sandbox/services/rbin.ts CreateRule',
    test: { file: SANDBOX, name: 'refuses a snapshot retention over 365 days and exclusion tags on a tag-level rule' },
  },
  {
    operation: 'rbin:RestoreSnapshotFromRecycleBin',
    elements: ['delete-snapshot'],
    rule: 'the restored snapshot is recovering, and reads and tag writes may not see it at first',
    awsAnswers: 'InvalidSnapshot.NotFound (400) for a moment after the restore',
    source: 'client-ec2 RestoreSnapshotFromRecycleBinCommand.d.ts; EC2 API reference, "Eventual consistency"',
    trimtabDoes: 'retries the tag removal with bounded backoff; records the undo as done either way',
    sandbox: 'lib/sandbox/services/ec2.ts RestoreSnapshotFromRecycleBin',
    test: { file: SANDBOX, name: 'restores from the Recycle Bin into a recovering snapshot that reads and tag writes cannot see at first' },
  },
];
