/** "What AWS requires" for `ebs-snapshot`: see lib/resources/aws-requires.ts and docs/resources/ebs-snapshot.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
