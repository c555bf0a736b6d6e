/** "What AWS requires" for `dynamodb-table`: see lib/resources/aws-requires.ts and docs/resources/dynamodb-table.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
