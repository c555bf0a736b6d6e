/** "What AWS requires" for `ec2-instance`: see lib/resources/aws-requires.ts and docs/resources/ec2-instance.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
