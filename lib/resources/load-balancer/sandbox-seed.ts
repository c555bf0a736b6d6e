/**
 * The load balancer part of the sandbox: a busy ALB (the trap: traffic), an idle NLB whose
 * staging targets still run, an idle ALB left behind by a campaign (empty target group), an ALB
 * with traffic but no target group (every request answered 503 by the ALB), and traps that look
 * idle: a new ALB (too little data) and an idle one tagged trimtab:skip.
 *
 * As in AWS, an idle load balancer has no datapoints at all: ELB publishes RequestCount /
 * NewFlowCount only while there is traffic.
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import {
  elbState,
  loadBalancerArn,
  targetGroupArn,
  type LoadBalancerType,
  type SandboxLoadBalancer,
  type SandboxTarget,
} from '../../sandbox/services/elasticloadbalancingv2.ts';

const NAMESPACE: Record<LoadBalancerType, string> = { application: 'AWS/ApplicationELB', network: 'AWS/NetworkELB', gateway: 'AWS/GatewayELB' };

export interface LoadBalancerSeed {
  name: string;
  type: LoadBalancerType;
  ageDays: number;
  scheme?: SandboxLoadBalancer['scheme'];
  state?: SandboxLoadBalancer['state'];
  vpcId?: string;
  tags?: Record<string, string>;
  /** Target groups attached to it, with their targets. */
  targetGroups?: { name: string; protocol?: string; port?: number; targets: SandboxTarget[] }[];
  /** ALB RequestCount, or NLB/GWLB NewFlowCount, per datapoint (5 minutes). Absent: no datapoints (no traffic). */
  requests?: Omit<SeriesSpec, 'resolutionSeconds'>;
  /** NLB/GWLB ActiveFlowCount. */
  activeFlows?: Omit<SeriesSpec, 'resolutionSeconds'>;
}

/** Adds one load balancer, its target groups and its CloudWatch series; returns its ARN. */
export function addLoadBalancer(sandbox: Sandbox, accountId: string, region: string, seed: LoadBalancerSeed): string {
  const account = sandbox.account(accountId);
  const state = elbState(sandbox, account, region);
  const createdTime = daysAgo(sandbox.now(), seed.ageDays).toISOString();
  const arn = loadBalancerArn(accountId, region, seed.type, seed.name);
  const vpcId = seed.vpcId ?? 'vpc-0prod';
  state.loadBalancers[arn] = {
    arn,
    name: seed.name,
    type: seed.type,
    scheme: seed.scheme ?? (seed.type === 'gateway' ? 'internal' : 'internet-facing'),
    state: seed.state ?? 'active',
    createdTime,
    vpcId,
    availabilityZones: [`${region}a`, `${region}b`],
    tags: seed.tags ?? {},
  };
  for (const tg of seed.targetGroups ?? []) {
    const tgArn = targetGroupArn(accountId, region, tg.name);
    const protocol = tg.protocol ?? (seed.type === 'application' ? 'HTTP' : seed.type === 'network' ? 'TCP' : 'GENEVE');
    state.targetGroups[tgArn] = { arn: tgArn, name: tg.name, protocol, port: tg.port ?? (seed.type === 'gateway' ? 6081 : 80), targetType: 'instance', vpcId, loadBalancerArns: [arn], targets: tg.targets, tags: {} };
  }
  const metrics = cloudwatchState(sandbox, account, region).metrics;
  const dimensions = { LoadBalancer: arn.slice(arn.indexOf(':loadbalancer/') + ':loadbalancer/'.length) };
  const base = { resolutionSeconds: 300, min: 0, startsAt: createdTime };
  const counted = seed.type === 'application' ? 'RequestCount' : 'NewFlowCount';
  if (seed.requests) metrics.push({ namespace: NAMESPACE[seed.type], metricName: counted, dimensions, series: { ...base, ...seed.requests } });
  if (seed.activeFlows && seed.type !== 'application') metrics.push({ namespace: NAMESPACE[seed.type], metricName: 'ActiveFlowCount', dimensions, series: { ...base, ...seed.activeFlows } });
  return arn;
}

const healthy = (ids: string[], port = 80): SandboxTarget[] => ids.map((id) => ({ id, port, state: 'healthy' }));

export function seedLoadBalancersSmallCompany(sandbox: Sandbox, accountId: string) {
  const region = 'us-east-1';
  const add = (seed: LoadBalancerSeed) => addLoadBalancer(sandbox, accountId, region, seed);
  // Busy: ~1,000 requests per 5 minutes, diurnal. The trap for "idle".
  add({ name: 'acme-web-alb', type: 'application', ageDays: 800, tags: { env: 'prod', team: 'web' }, targetGroups: [{ name: 'acme-web-tg', targets: healthy(['i-0web000000000001a', 'i-0web000000000002b', 'i-0web000000000003c']) }], requests: { base: 1_000, amplitude: 600, noise: 50, seed: 7 } });
  // Idle NLB: no flows for weeks, its two staging targets still registered and healthy.
  add({ name: 'acme-staging-nlb', type: 'network', scheme: 'internal', ageDays: 300, vpcId: 'vpc-0staging', tags: { env: 'staging' }, targetGroups: [{ name: 'acme-staging-tcp', protocol: 'TCP', port: 5432, targets: healthy(['i-0stg000000000001a', 'i-0stg000000000002b'], 5432) }] });
  // Idle ALB from last year's campaign: its target group is empty.
  add({ name: 'acme-campaign-2025-alb', type: 'application', ageDays: 400, tags: { env: 'prod', team: 'marketing' }, targetGroups: [{ name: 'acme-campaign-2025-tg', targets: [] }] });
  // Traffic (~290 requests a day from old links and bots) but no target group: the ALB answers 503.
  add({ name: 'acme-old-shop-alb', type: 'application', ageDays: 900, tags: { env: 'prod', team: 'shop' }, requests: { base: 1 } });
  // Traps that look idle: too new to judge, and tagged trimtab:skip.
  add({ name: 'acme-preview-alb', type: 'application', ageDays: 2, tags: { env: 'dev' }, targetGroups: [{ name: 'acme-preview-tg', targets: [] }] });
  add({ name: 'acme-dr-alb', type: 'application', ageDays: 500, vpcId: 'vpc-0dr', tags: { env: 'dr', 'trimtab:skip': 'disaster-recovery entry point, idle by design' }, targetGroups: [{ name: 'acme-dr-tg', targets: [{ id: 'i-0dr0000000000001a', port: 80, state: 'unhealthy' }] }] });
}
