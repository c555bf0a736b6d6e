/** "What AWS requires" for `nat-gateway`: see lib/resources/aws-requires.ts and docs/resources/nat-gateway.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
