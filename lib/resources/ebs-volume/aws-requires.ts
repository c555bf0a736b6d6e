/** "What AWS requires" for `ebs-volume`: see lib/resources/aws-requires.ts and docs/resources/ebs-volume.md. */
import type { AwsRequirement } from '../aws-requires.ts';

export const awsRequires: AwsRequirement[] = [];
