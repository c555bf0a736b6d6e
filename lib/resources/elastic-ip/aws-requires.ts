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
  },
];
