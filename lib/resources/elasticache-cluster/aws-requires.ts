/** "What AWS requires" for `elasticache-cluster`: see lib/resources/aws-requires.ts and docs/resources/elasticache-cluster.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
