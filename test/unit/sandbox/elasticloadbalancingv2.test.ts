import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { addLoadBalancer } from '../../../lib/resources/load-balancer/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox } from '../../helpers.ts';

function setup(count: number) {
  const sandbox = emptySandbox({ clock: () => new Date('2026-11-01T00:00:00Z') });
  const arns = Array.from({ length: count }, (_, n) =>
    addLoadBalancer(sandbox, SANDBOX_ACCOUNT, 'us-east-1', {
      name: `lb-${n}`, type: n % 2 ? 'network' : 'application', ageDays: 30, tags: { n: String(n) },
      targetGroups: [{ name: `tg-${n}`, targets: [{ id: `i-${n}a`, port: 80, state: 'healthy' }, { id: `i-${n}b`, port: 80, state: 'draining' }] }],
    }),
  );
  const clients = new AwsClients({ allowWrites: false, interceptor: sandbox, account: SANDBOX_ACCOUNT, writePacing: false, clientConfig: { maxAttempts: 1 } });
  // The client factory derives the sandbox service key from the client's serviceId ("Elastic Load Balancing v2").
  return { sandbox, arns, elb: clients.get(ElasticLoadBalancingV2Client, 'us-east-1') };
}

describe('sandbox Elastic Load Balancing v2', () => {
  it('pages DescribeLoadBalancers and DescribeTargetGroups with Marker / NextMarker and refuses a PageSize outside 1 to 400 with ValidationError', async () => {
    // Prepare
    const { elb, sandbox } = setup(5);
    // Act
    const pages = [];
    for await (const page of paginateDescribeLoadBalancers({ client: elb }, { PageSize: 2 })) pages.push(page);
    const groups = [];
    for await (const page of paginateDescribeTargetGroups({ client: elb }, { PageSize: 400 })) groups.push(...page.TargetGroups!);
    // Assess
    expect(pages.map((p) => p.LoadBalancers!.length)).toEqual([2, 2, 1]);
    expect(sandbox.callsByOperation()['elasticloadbalancingv2:DescribeLoadBalancers']).toBe(3);
    const alb = pages.flatMap((p) => p.LoadBalancers!).find((lb) => lb.LoadBalancerName === 'lb-0')!;
    expect(alb).toMatchObject({ Type: 'application', Scheme: 'internet-facing', State: { Code: 'active' }, VpcId: 'vpc-0prod' });
    expect(alb.LoadBalancerArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/lb-0\/[0-9a-f]{16}$/);
    expect(alb.CreatedTime).toBeInstanceOf(Date);
    expect(groups).toHaveLength(5);
    expect(groups.find((g) => g.TargetGroupName === 'tg-1')!.LoadBalancerArns![0]).toMatch(/:loadbalancer\/net\/lb-1\//);
    await expect(elb.send(new DescribeLoadBalancersCommand({ PageSize: 401 }))).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/less than or equal to 400/) });
    await expect(elb.send(new DescribeTargetGroupsCommand({ PageSize: 0 }))).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('answers DescribeTags for at most 20 ARNs and names unknown load balancers', async () => {
    const { elb, arns } = setup(21);
    const out = await elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(0, 20) }));
    expect(out.TagDescriptions).toHaveLength(20);
    expect(out.TagDescriptions![3]).toEqual({ ResourceArn: arns[3], Tags: [{ Key: 'n', Value: '3' }] });
    await expect(elb.send(new DescribeTagsCommand({ ResourceArns: arns }))).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/less than or equal to 20/) });
    await expect(elb.send(new DescribeLoadBalancersCommand({ Names: ['lb-gone'] }))).rejects.toMatchObject({ name: 'LoadBalancerNotFoundException' });
  });

  it('answers DescribeTargetHealth for one target group with each target state', async () => {
    const { elb } = setup(1);
    const [tg] = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups!;
    const out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }));
    expect(out.TargetHealthDescriptions!.map((d) => [d.Target!.Id, d.TargetHealth!.State])).toEqual([['i-0a', 'healthy'], ['i-0b', 'draining']]);
    await expect(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn!.replace('tg-0', 'tg-9') }))).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
  });
});
