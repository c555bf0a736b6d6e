/** "What AWS requires" for `lambda-function`: see lib/resources/aws-requires.ts and docs/resources/lambda-function.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
