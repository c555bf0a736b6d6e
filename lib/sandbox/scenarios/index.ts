/**
 * Sandbox scenarios. "small-company" (the default) is a small company's account: waste to
 * find, and traps — resources that look wasteful but must not be touched. Each resource
 * module contributes its part of the scenario from its own seed file.
 */
import { Registry } from '../../util/registry.ts';
import { SANDBOX_ACCOUNT, type Sandbox } from '../sandbox.ts';
import { seedS3SmallCompany } from '../../resources/s3-bucket/sandbox-seed.ts';
import { seedAsgSmallCompany } from '../../resources/asg/sandbox-seed.ts';
import { seedAsgRightsizeSmallCompany } from '../../resources/asg/rightsize-seed.ts';
import { seedEbsSmallCompany } from '../../resources/ebs-snapshot/sandbox-seed.ts';
import { seedEc2InstancesSmallCompany } from '../../resources/ec2-instance/sandbox-seed.ts';
import { seedNatSmallCompany } from '../../resources/nat-gateway/sandbox-seed.ts';
import { seedEbsVolumeSmallCompany } from '../../resources/ebs-volume/sandbox-seed.ts';
import { seedElasticIpSmallCompany } from '../../resources/elastic-ip/sandbox-seed.ts';
import { seedLogGroupSmallCompany } from '../../resources/log-group/sandbox-seed.ts';
import { seedLoadBalancersSmallCompany } from '../../resources/load-balancer/sandbox-seed.ts';
import { seedAsgCapacitySmallCompany } from '../../resources/asg/capacity-seed.ts';
import { seedVolumePerformanceSmallCompany } from '../../resources/ebs-volume/performance-seed.ts';
import { seedComputeOptimizerSmallCompany } from '../../compute-optimizer/sandbox-seed.ts';
import { seedRdsSmallCompany } from '../../resources/rds-instance/sandbox-seed.ts';
import { seedLambdaSmallCompany } from '../../resources/lambda-function/sandbox-seed.ts';
import { seedDynamoSmallCompany } from '../../resources/dynamodb-table/sandbox-seed.ts';
import { seedElastiCacheSmallCompany } from '../../resources/elasticache-cluster/sandbox-seed.ts';
import { seedOrganizationScenario } from '../../org/sandbox-seed.ts';

export interface Scenario {
  id: string;
  title: string;
  seed(sandbox: Sandbox): void;
}

/** The parts of the default scenario, one per resource module. */
const SMALL_COMPANY_PARTS: Array<(sandbox: Sandbox, account: string) => void> = [
  seedS3SmallCompany,
  seedAsgSmallCompany,
  seedAsgRightsizeSmallCompany,
  seedEbsSmallCompany,
  seedEc2InstancesSmallCompany,
  seedNatSmallCompany,
  seedEbsVolumeSmallCompany,
  seedElasticIpSmallCompany,
  seedLogGroupSmallCompany,
  seedLoadBalancersSmallCompany,
  seedAsgCapacitySmallCompany,
  seedVolumePerformanceSmallCompany,
  seedComputeOptimizerSmallCompany,
  seedRdsSmallCompany,
  seedLambdaSmallCompany,
  seedDynamoSmallCompany,
  seedElastiCacheSmallCompany,
];

export const scenarios = new Registry<Scenario>('scenario');

scenarios.register({
  id: 'small-company',
  title: "A small company's account: waste across every resource module, and traps that must not be touched",
  seed(sandbox) {
    sandbox.account(SANDBOX_ACCOUNT, 'acme-prod');
    for (const part of SMALL_COMPANY_PARTS) part(sandbox, SANDBOX_ACCOUNT);
  },
});

scenarios.register({
  id: 'empty',
  title: 'An empty account',
  seed(sandbox) {
    sandbox.account(SANDBOX_ACCOUNT, 'empty');
  },
});

// Hub and spokes (lib/org): member accounts across regions, one whose role cannot be assumed.
scenarios.register({
  id: 'organization',
  title: 'An AWS Organization: a hub, 3 member accounts in 2 regions, and 1 account whose member role is missing (AccessDenied)',
  seed: (sandbox) => void seedOrganizationScenario(sandbox),
});

export const DEFAULT_SCENARIO = 'small-company';
