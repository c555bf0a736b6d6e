/** "What AWS requires" for `ebs-volume`: see lib/resources/aws-requires.ts and docs/resources/ebs-volume.md. */
import type { AwsRequirement } from '../aws-requires.ts';

const SANDBOX = 'test/unit/sandbox/ec2-volumes.test.ts';
const WASTE = 'test/integration/waste1.test.ts';
const RECHECKS = 'test/integration/apply-time-rechecks.test.ts';
const MODIFY = ['modify-to-gp3', 'raise-volume-performance', 'lower-volume-iops'];

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'ec2:ModifyVolume',
    elements: MODIFY,
    rule: 'a new modification only after the previous one is completed (modifying → optimizing → completed)',
    awsAnswers: 'IncorrectModificationState (400)',
    source: 'client-ec2 ModifyVolumeCommand.d.ts; EBS User Guide, "Requirements for EBS volume modifications"',
    trimtabDoes: 'reads DescribeVolumesModifications first and refuses while modifying or optimizing; an AWS refusal is recorded as protected',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts ModifyVolume',
    test: { file: SANDBOX, name: 'refuses a new modification with IncorrectModificationState until the last one is completed' },
  },
  {
    operation: 'ec2:ModifyVolume',
    elements: MODIFY,
    rule: 'at most 4 modifications per volume in a rolling 24 hours',
    awsAnswers: 'VolumeModificationRateExceeded (400)',
    source: 'EBS User Guide, "Requirements for EBS volume modifications"',
    trimtabDoes: 'records the refusal as protected with the time to retry',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts ModifyVolume (rolling window)',
    test: { file: SANDBOX, name: 'allows four modifications in a rolling 24 hours and names when the fifth is allowed' },
  },
  {
    operation: 'ec2:ModifyVolume',
    elements: MODIFY,
    rule: 'gp3 3,000–80,000 IOPS at most 500 per GiB; 125–2,000 MiB/s at most 0.25 MiB/s per IOPS; io1 ≤ 50 IOPS/GiB, io2 ≤ 1,000 IOPS/GiB',
    awsAnswers: 'InvalidParameterValue (400)',
    source: 'client-ec2 ModifyVolumeCommand.d.ts (Iops, Throughput)',
    trimtabDoes: 'plans within limitsFor(type, size) and says so at the limit',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts ModifyVolume',
    test: { file: SANDBOX, name: 'accepts gp3 up to 80,000 IOPS (500 per GiB) and 2,000 MiB/s (0.25 per IOPS), and refuses beyond' },
  },
  {
    operation: 'ec2:ModifyVolume',
    elements: MODIFY,
    rule: 'tags and the volume\'s type can change between the scan (or the approval email) and the write',
    awsAnswers: 'no error: the write would act on a volume protected or changed since',
    source: 'belief: tags and volume settings are account-controlled and change at any time (design.md safety rules)',
    trimtabDoes: 'DescribeVolumes right before ModifyVolume; refuses trimtab:skip and a volume that is no longer what the plan was made for',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts DescribeVolumes answers the current state',
    test: { file: RECHECKS, name: 'modify-to-gp3 refuses a volume someone changed to another type after the scan, modifying nothing' },
  },
  {
    operation: 'ec2:DeleteVolume',
    elements: ['snapshot-and-delete'],
    rule: 'only an available (detached) volume can be deleted; a deleted volume stays deleting for minutes',
    awsAnswers: 'VolumeInUse (400); InvalidVolume.NotFound after it is gone',
    source: 'client-ec2 DeleteVolumeCommand.d.ts ("The volume must be in the available state (not attached to an instance)")',
    trimtabDoes: 'DescribeVolumes right before: refuses trimtab:skip, an attached or non-available volume; deleting or not found counts as done',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts DeleteVolume',
    test: { file: SANDBOX, name: 'keeps a deleted volume listed as deleting for minutes, then answers InvalidVolume.NotFound' },
  },
  {
    operation: 'ec2:DeleteVolume',
    elements: ['snapshot-and-delete'],
    rule: 'a tag can be added between the scan (or the approval email) and the delete',
    awsAnswers: 'no error',
    source: 'belief: tags are account-controlled (design.md safety rules)',
    trimtabDoes: 'refuses trimtab:skip before the snapshot and before the delete',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts DescribeVolumes answers the current tags',
    test: { file: RECHECKS, name: 'snapshot-and-delete refuses a volume tagged trimtab:skip after the scan: no snapshot, no delete' },
  },
  {
    operation: 'ec2:CreateSnapshot',
    elements: ['snapshot-and-delete'],
    rule: 'a new snapshot is pending, then completed (or error); reads right after the call may not see it',
    awsAnswers: 'InvalidSnapshot.NotFound (400) for a moment; state error',
    source: 'client-ec2 CreateSnapshotCommand.d.ts; EC2 API reference, "Eventual consistency"',
    trimtabDoes: 'waits through the clock for completed; keeps the volume when the snapshot fails',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts CreateSnapshot',
    test: { file: SANDBOX, name: 'hides a new snapshot from reads for the consistency window (InvalidSnapshot.NotFound)' },
  },
  {
    operation: 'ec2:CreateVolume',
    elements: ['snapshot-and-delete'],
    rule: 'a restored volume is creating, then available',
    awsAnswers: 'state creating',
    source: 'client-ec2 CreateVolumeCommand.d.ts',
    trimtabDoes: 'undo restores with the recorded AZ, type, size, IOPS and tags',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts CreateVolume',
    test: { file: WASTE, name: 'restores a deleted volume from its snapshot with the same AZ, type, size, IOPS and tags' },
  },
];
