/** Every service the sandbox simulates. A resource module that needs a new service adds it here. */
import type { SandboxService } from '../sandbox.ts';
import { applicationAutoScalingService } from './application-auto-scaling.ts';
import { autoscalingService } from './autoscaling.ts';
import { cloudwatchService } from './cloudwatch.ts';
import { dynamodbService } from './dynamodb.ts';
import { ec2Service } from './ec2.ts';
import { ec2InstanceOperations } from './ec2-instances.ts';
import { ec2VolumeOperations } from './ec2-volumes.ts';
import { ec2LaunchTemplateOperations } from './ec2-launch-templates.ts';
import { cloudwatchLogsService } from './cloudwatchlogs.ts';
import { elasticLoadBalancingV2Service } from './elasticloadbalancingv2.ts';
import { elasticacheService } from './elasticache.ts';
import { eventBridgeService } from './eventbridge.ts';
import { iamService } from './iam.ts';
import { lambdaService } from './lambda.ts';
import { rbinService } from './rbin.ts';
import { rdsService } from './rds.ts';
import { s3Service } from './s3.ts';
import { stsService } from './sts.ts';
import { taggingService } from './tagging.ts';
import { computeOptimizerService } from './compute-optimizer.ts';
import { cloudformationService } from './cloudformation.ts';
import { eksService } from './eks.ts';
import { elasticBeanstalkService } from './elastic-beanstalk.ts';
import { pricingService } from './pricing.ts';
import { ssmService } from './ssm.ts';

export const SANDBOX_SERVICES: SandboxService[] = [
  s3Service,
  cloudwatchService,
  stsService,
  autoscalingService,
  // EC2 is one service; its operations live in three files.
  { ...ec2Service, operations: { ...ec2Service.operations, ...ec2VolumeOperations, ...ec2InstanceOperations, ...ec2LaunchTemplateOperations } },
  rbinService,
  dynamodbService,
  eventBridgeService,
  cloudwatchLogsService,
  elasticLoadBalancingV2Service,
  iamService,
  taggingService,
  computeOptimizerService,
  rdsService,
  lambdaService,
  applicationAutoScalingService,
  elasticacheService,
  // Owners of resources (lib/ownership, #28).
  cloudformationService,
  eksService,
  elasticBeanstalkService,
  // Prices (lib/pricing, #27).
  pricingService,
  // Systems Manager parameters a launch template's `resolve:ssm:` image id names (#27, lib/resources/asg/platform.ts).
  ssmService,
];
