/** Every module's "What AWS requires" rows, keyed by resource type (docs and tests only; no bundle imports this). */
import type { AwsRequirement } from './aws-requires.ts';
import { awsRequires as asg } from './asg/aws-requires.ts';
import { awsRequires as dynamodbTable } from './dynamodb-table/aws-requires.ts';
import { awsRequires as ebsSnapshot } from './ebs-snapshot/aws-requires.ts';
import { awsRequires as ebsVolume } from './ebs-volume/aws-requires.ts';
import { awsRequires as ec2Instance } from './ec2-instance/aws-requires.ts';
import { awsRequires as elasticIp } from './elastic-ip/aws-requires.ts';
import { awsRequires as elasticacheCluster } from './elasticache-cluster/aws-requires.ts';
import { awsRequires as lambdaFunction } from './lambda-function/aws-requires.ts';
import { awsRequires as loadBalancer } from './load-balancer/aws-requires.ts';
import { awsRequires as logGroup } from './log-group/aws-requires.ts';
import { awsRequires as natGateway } from './nat-gateway/aws-requires.ts';
import { awsRequires as rdsInstance } from './rds-instance/aws-requires.ts';
import { awsRequires as s3Bucket } from './s3-bucket/aws-requires.ts';

export const awsRequiresByResource: Record<string, AwsRequirement[]> = {
  'asg': asg,
  'dynamodb-table': dynamodbTable,
  'ebs-snapshot': ebsSnapshot,
  'ebs-volume': ebsVolume,
  'ec2-instance': ec2Instance,
  'elastic-ip': elasticIp,
  'elasticache-cluster': elasticacheCluster,
  'lambda-function': lambdaFunction,
  'load-balancer': loadBalancer,
  'log-group': logGroup,
  'nat-gateway': natGateway,
  'rds-instance': rdsInstance,
  's3-bucket': s3Bucket,
};
