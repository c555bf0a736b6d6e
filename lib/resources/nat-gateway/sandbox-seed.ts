/**
 * The NAT gateway part of the sandbox: an idle gateway left behind by a staging VPC, a busy
 * production one (the trap: traffic), an idle one tagged trimtab:skip, and one too new to judge.
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import { ec2InstancesState, type SandboxNatGateway } from '../../sandbox/services/ec2-instances.ts';

export interface NatSeed extends Omit<SandboxNatGateway, 'createTime' | 'state' | 'connectivityType'> {
  ageDays: number;
  /** BytesOutToDestination per datapoint (5 minutes); ActiveConnectionCount. Absent: no metrics. */
  bytesOut?: Omit<SeriesSpec, 'resolutionSeconds'>;
  connections?: Omit<SeriesSpec, 'resolutionSeconds'>;
}

export function addNatGateway(sandbox: Sandbox, accountId: string, region: string, seed: NatSeed) {
  const account = sandbox.account(accountId);
  const { ageDays, bytesOut, connections, ...rest } = seed;
  const createTime = daysAgo(sandbox.now(), ageDays).toISOString();
  ec2InstancesState(sandbox, account, region).natGateways[rest.id] = { ...rest, state: 'available', connectivityType: 'public', createTime };
  const metrics = cloudwatchState(sandbox, account, region).metrics;
  const base = { resolutionSeconds: 300, min: 0, startsAt: createTime };
  const dimensions = { NatGatewayId: rest.id };
  if (bytesOut) metrics.push({ namespace: 'AWS/NATGateway', metricName: 'BytesOutToDestination', dimensions, series: { ...base, ...bytesOut } });
  if (connections) metrics.push({ namespace: 'AWS/NATGateway', metricName: 'ActiveConnectionCount', dimensions, series: { ...base, ...connections } });
}

export function seedNatSmallCompany(sandbox: Sandbox, accountId: string) {
  const region = 'us-east-1';
  const add = (seed: NatSeed) => addNatGateway(sandbox, accountId, region, seed);
  const idle = { bytesOut: { base: 0 }, connections: { base: 0 } };
  add({ id: 'nat-0a11e00000000001a', vpcId: 'vpc-0staging', subnetId: 'subnet-0staging-a', allocationId: 'eipalloc-0staging', publicIp: '198.51.100.20', ageDays: 240, tags: { Name: 'acme-staging-nat', env: 'staging' }, ...idle });
  add({ id: 'nat-0a11e00000000002b', vpcId: 'vpc-0prod', subnetId: 'subnet-0prod-a', allocationId: 'eipalloc-0prod', publicIp: '198.51.100.10', ageDays: 700, tags: { Name: 'acme-prod-nat', env: 'prod' }, bytesOut: { base: 40_000_000, amplitude: 20_000_000, seed: 3 }, connections: { base: 150, amplitude: 80 } });
  add({ id: 'nat-0a11e00000000003c', vpcId: 'vpc-0dr', subnetId: 'subnet-0dr-a', allocationId: 'eipalloc-0dr', publicIp: '198.51.100.30', ageDays: 365, tags: { Name: 'acme-dr-nat', 'trimtab:skip': 'disaster-recovery VPC, idle by design' }, ...idle });
  add({ id: 'nat-0a11e00000000004d', vpcId: 'vpc-0ml', subnetId: 'subnet-0ml-a', allocationId: 'eipalloc-0ml', publicIp: '198.51.100.40', ageDays: 2, tags: { Name: 'acme-ml-nat', env: 'dev' }, ...idle });
}
