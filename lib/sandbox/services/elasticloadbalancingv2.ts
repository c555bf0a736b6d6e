/**
 * Sandbox Elastic Load Balancing v2 (ALB, NLB, GWLB): the read operations trimtab's idle
 * load balancer detector uses. Service key "elasticloadbalancingv2" (serviceKey of the
 * client's serviceId "Elastic Load Balancing v2"). Behaves like AWS where trimtab depends on it:
 * Marker / NextMarker pagination with PageSize 1–400, at most 20 ARNs or names per
 * DescribeLoadBalancers / DescribeTags call, DescribeTargetHealth taking one target group,
 * and the SDK's exception names (LoadBalancerNotFoundException, TargetGroupNotFoundException).
 */
import { createHash } from 'node:crypto';
import { awsError, paginate, tagList, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export type LoadBalancerType = 'application' | 'network' | 'gateway';

export interface SandboxLoadBalancer {
  arn: string;
  name: string;
  type: LoadBalancerType;
  scheme: 'internet-facing' | 'internal';
  state: 'active' | 'provisioning' | 'active_impaired' | 'failed';
  createdTime: string;
  vpcId: string;
  availabilityZones: string[];
  tags: Record<string, string>;
}

export interface SandboxTarget {
  id: string;
  port?: number;
  state: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';
}

export interface SandboxTargetGroup {
  arn: string;
  name: string;
  protocol: string;
  port?: number;
  targetType: 'instance' | 'ip' | 'lambda' | 'alb';
  vpcId?: string;
  loadBalancerArns: string[];
  targets: SandboxTarget[];
  tags: Record<string, string>;
}

export interface ElbState {
  loadBalancers: Record<string, SandboxLoadBalancer>;
  targetGroups: Record<string, SandboxTargetGroup>;
}

export const elbState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<ElbState>(account, region, 'elasticloadbalancingv2', () => ({ loadBalancers: {}, targetGroups: {} }));

const hex = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);
const TYPE_PREFIX: Record<LoadBalancerType, string> = { application: 'app', network: 'net', gateway: 'gwy' };

export const loadBalancerArn = (account: string, region: string, type: LoadBalancerType, name: string) =>
  `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${TYPE_PREFIX[type]}/${name}/${hex(`lb:${region}:${name}`, 16)}`;
export const targetGroupArn = (account: string, region: string, name: string) =>
  `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${hex(`tg:${region}:${name}`, 16)}`;

/** ELBv2 pages: Marker / NextMarker, PageSize 1–400 (AWS's limits). */
function page<T>(items: T[], input: { Marker?: string; PageSize?: number }, operation: string) {
  // ELBv2 validates PageSize against its model (1..400) and answers like any constraint violation.
  if (input.PageSize !== undefined && (input.PageSize < 1 || input.PageSize > 400)) {
    const bound = input.PageSize < 1 ? 'greater than or equal to 1' : 'less than or equal to 400';
    throw awsError('ValidationError', `1 validation error detected: Value '${input.PageSize}' at 'pageSize' failed to satisfy constraint: Member must have value ${bound}`);
  }
  const { page: out, nextToken } = paginate(items, { token: input.Marker, max: input.PageSize }, { defaultMax: 400, maxMax: 400, operation, invalidTokenCode: 'ValidationError' });
  return { out, NextMarker: nextToken };
}

function atMost20(values: unknown[] | undefined, member: string) {
  if (values && values.length > 20) {
    throw awsError('ValidationError', `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to 20`);
  }
}

const lbNotFound = () => awsError('LoadBalancerNotFoundException', 'One or more load balancers not found', 400);
const tgNotFound = (arn: string) => awsError('TargetGroupNotFoundException', `Target groups '${arn}' not found`, 400);

function describeLoadBalancer(lb: SandboxLoadBalancer, region: string) {
  return {
    LoadBalancerArn: lb.arn,
    // ALB: name-123.region.elb.amazonaws.com; NLB: name-hex.elb.region.amazonaws.com; a GWLB has no DNS name.
    ...(lb.type === 'application' ? { DNSName: `${lb.name}-${parseInt(hex(lb.arn, 8), 16)}.${region}.elb.amazonaws.com`, CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K' } : {}),
    ...(lb.type === 'network' ? { DNSName: `${lb.name}-${hex(lb.arn, 16)}.elb.${region}.amazonaws.com`, CanonicalHostedZoneId: 'Z26RNL4JYFTOTI' } : {}),
    CreatedTime: new Date(lb.createdTime),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: lb.state },
    Type: lb.type,
    AvailabilityZones: lb.availabilityZones.map((ZoneName, i) => ({ ZoneName, SubnetId: `subnet-${hex(`${lb.vpcId}:${i}`, 17)}`, LoadBalancerAddresses: [] })),
    ...(lb.type === 'application' ? { SecurityGroups: [`sg-${hex(lb.name, 17)}`] } : {}),
    IpAddressType: 'ipv4',
  };
}

export const elasticLoadBalancingV2Service: SandboxService = {
  id: 'elasticloadbalancingv2',
  operations: {
    DescribeLoadBalancers(input, { sandbox, account, region }) {
      const state = elbState(sandbox, account, region);
      atMost20(input.LoadBalancerArns, 'loadBalancerArns');
      atMost20(input.Names, 'names');
      let items = Object.values(state.loadBalancers).sort((a, b) => a.arn.localeCompare(b.arn));
      if (input.LoadBalancerArns?.length) {
        items = (input.LoadBalancerArns as string[]).map((arn) => state.loadBalancers[arn] ?? (() => { throw lbNotFound(); })());
      } else if (input.Names?.length) {
        items = (input.Names as string[]).map((name) => items.find((lb) => lb.name === name) ?? (() => { throw lbNotFound(); })());
      }
      const { out, NextMarker } = page(items, input, 'DescribeLoadBalancers');
      return { LoadBalancers: out.map((lb) => describeLoadBalancer(lb, region)), NextMarker };
    },

    DescribeTargetGroups(input, { sandbox, account, region }) {
      const state = elbState(sandbox, account, region);
      let items = Object.values(state.targetGroups).sort((a, b) => a.arn.localeCompare(b.arn));
      if (input.LoadBalancerArn) {
        if (!state.loadBalancers[input.LoadBalancerArn]) throw lbNotFound();
        items = items.filter((tg) => tg.loadBalancerArns.includes(input.LoadBalancerArn));
      }
      if (input.TargetGroupArns?.length) items = (input.TargetGroupArns as string[]).map((arn) => state.targetGroups[arn] ?? (() => { throw tgNotFound(arn); })());
      if (input.Names?.length) items = items.filter((tg) => input.Names.includes(tg.name));
      const { out, NextMarker } = page(items, input, 'DescribeTargetGroups');
      return {
        TargetGroups: out.map((tg) => ({
          TargetGroupArn: tg.arn,
          TargetGroupName: tg.name,
          Protocol: tg.protocol,
          ...(tg.port !== undefined ? { Port: tg.port } : {}),
          ...(tg.vpcId ? { VpcId: tg.vpcId } : {}),
          HealthCheckEnabled: tg.targetType !== 'lambda',
          LoadBalancerArns: [...tg.loadBalancerArns],
          TargetType: tg.targetType,
          IpAddressType: 'ipv4',
        })),
        NextMarker,
      };
    },

    DescribeTags(input, { sandbox, account, region }) {
      const arns: string[] = input.ResourceArns ?? [];
      if (arns.length === 0) throw awsError('ValidationError', "1 validation error detected: Value null at 'resourceArns' failed to satisfy constraint: Member must not be null");
      atMost20(arns, 'resourceArns');
      const state = elbState(sandbox, account, region);
      return {
        TagDescriptions: arns.map((arn) => {
          const resource = state.loadBalancers[arn] ?? state.targetGroups[arn];
          if (!resource) throw arn.includes(':targetgroup/') ? tgNotFound(arn) : lbNotFound();
          return { ResourceArn: arn, Tags: tagList(resource.tags) };
        }),
      };
    },

    DescribeTargetHealth(input, { sandbox, account, region }) {
      if (!input.TargetGroupArn) throw awsError('ValidationError', "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null");
      const tg = elbState(sandbox, account, region).targetGroups[input.TargetGroupArn];
      if (!tg) throw tgNotFound(input.TargetGroupArn);
      return {
        TargetHealthDescriptions: tg.targets.map((t) => ({
          Target: { Id: t.id, ...(t.port !== undefined ? { Port: t.port } : {}) },
          ...(t.port !== undefined ? { HealthCheckPort: String(t.port) } : {}),
          TargetHealth: {
            State: t.state,
            ...(t.state === 'unhealthy' ? { Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' } : {}),
            ...(t.state === 'unused' ? { Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' } : {}),
          },
        })),
      };
    },
  },
};
