/** "What AWS requires" for `log-group`: see lib/resources/aws-requires.ts and docs/resources/log-group.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
