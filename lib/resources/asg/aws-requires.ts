/** "What AWS requires" for `asg`: see lib/resources/aws-requires.ts and docs/resources/asg.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
