/** "What AWS requires" for `elastic-ip`: see lib/resources/aws-requires.ts and docs/resources/elastic-ip.md. */
import type { AwsRequirement } from '../aws-requires.ts';

const WASTE = 'test/integration/waste1.test.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'ec2:ReleaseAddress',
    elements: ['release-address'],
    rule: 'in a default VPC an associated address is disassociated and released; in a nondefault VPC it must be disassociated first',
    awsAnswers: 'no error (default VPC: silently disassociated); InvalidIPAddress.InUse (400) otherwise',
    source: 'client-ec2 ReleaseAddressCommand.d.ts ("[Default VPC] Releasing an Elastic IP address automatically disassociates it")',
    trimtabDoes: 'DescribeAddresses right before the release; refuses an address associated since the scan; InUse is protected',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts ReleaseAddress',
    test: { file: 'test/unit/sandbox/ec2-volumes.test.ts', name: 'disassociates and releases an associated address in a default VPC, and refuses InvalidIPAddress.InUse in a nondefault one' },
    reviewed: "fresh-context review 2026-12-07: both sentences verbatim in client-ec2 ReleaseAddressCommand.d.ts ([Default VPC] / [Nondefault VPC], InvalidIPAddress.InUse); apply re-reads with DescribeAddresses by AllocationId and releases by AllocationId with nothing awaited between; sandbox test run; agrees. The AuthFailure case in the same text applies to a release by PublicIp only, which trimtab never sends",
  },
  {
    operation: 'ec2:ReleaseAddress',
    elements: ['release-address'],
    rule: 'a tag can be added between the scan (or the approval email) and the release',
    awsAnswers: 'no error',
    source: 'belief: tags are account-controlled (design.md safety rules)',
    trimtabDoes: 'refuses trimtab:skip read right before the release',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts DescribeAddresses answers the current tags',
    test: { file: 'test/integration/apply-time-rechecks.test.ts', name: 'release-address refuses an address tagged trimtab:skip after the scan, releasing nothing' },
    reviewed: "fresh-context review 2026-12-07: belief as stated; describeAddress right before the release refuses trimtab:skip; test run; agrees",
  },
  {
    operation: 'ec2:AllocateAddress',
    elements: ['release-address'],
    rule: 'a released address can be recovered by its IP only while AWS has not given it to another account',
    awsAnswers: 'InvalidAddress.NotFound / AddressLimitExceeded when it cannot',
    source: 'EC2 User Guide, "Recover an Elastic IP address"; client-ec2 AllocateAddressCommand.d.ts (Address)',
    trimtabDoes: 'undo is best-effort and says why when AWS refuses',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts AllocateAddress',
    test: { file: WASTE, name: 'recovers the same address on undo when AWS still can, and refuses with the reason when it cannot' },
    reviewed: "fresh-context review 2026-12-07: AllocateAddressCommand.d.ts (Address: recover a specific address) and the EC2 guide; undo is best effort and reports AWS's refusal; test run; agrees",
  },
  {
    operation: 'ec2:DescribeAddresses',
    elements: ['release-address'],
    rule: 'an AllocationIds filter naming an address that no longer exists is an error, not an empty answer',
    awsAnswers: 'InvalidAllocationID.NotFound (400)',
    source: 'client-ec2 DescribeAddressesCommand.d.ts; EC2 API reference, "Error codes"',
    trimtabDoes: 'describeAddress maps it to "gone": apply counts the release as done, undo refuses nothing on that basis',
    sandbox: 'lib/sandbox/services/ec2-volumes.ts DescribeAddresses',
    test: { file: 'test/integration/waste1.test.ts', name: 'releases idle addresses in every region and leaves associated, skipped, service-managed and BYOIP ones' },
    reviewed: 'fresh-context review 2026-12-07: row added by the reviewer from remediators.ts describeAddress',
  },
  {
    operation: 'ec2:CreateTags',
    elements: ['release-address'],
    rule: 'undo re-creates the address\'s tags with TagSpecifications on AllocateAddress, authorised as ec2:CreateTags; aws: keys cannot be written',
    awsAnswers: 'UnauthorizedOperation (403) without ec2:CreateTags; InvalidParameterValue for an aws: key',
    source: 'EC2 User Guide, "Grant permission to tag Amazon EC2 resources during creation"; client-ec2 CreateTagsCommand.d.ts',
    trimtabDoes: 'declares ec2:CreateTags and leaves aws: tags out of the TagSpecifications',
    sandbox: 'not enforced: the sandbox AllocateAddress does not check the tag permission or aws: keys',
    reviewed: 'fresh-context review 2026-12-07: row added by the reviewer from remediators.ts undo',
  },
];
