/** "What AWS requires" for `s3-bucket`: see lib/resources/aws-requires.ts and docs/resources/s3-bucket.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
