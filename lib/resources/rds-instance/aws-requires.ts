/** "What AWS requires" for `rds-instance`: see lib/resources/aws-requires.ts and docs/resources/rds-instance.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
