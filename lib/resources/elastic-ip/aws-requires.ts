/** "What AWS requires" for `elastic-ip`: see lib/resources/aws-requires.ts and docs/resources/elastic-ip.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
