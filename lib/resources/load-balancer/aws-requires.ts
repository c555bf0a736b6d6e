/** "What AWS requires" for `load-balancer`: see lib/resources/aws-requires.ts and docs/resources/load-balancer.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
