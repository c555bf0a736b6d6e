import { DescribeInstancesCommand, DescribeInstanceTypesCommand, DescribeNatGatewaysCommand, EC2Client, paginateDescribeInstances, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { addInstance } from '../../../lib/resources/ec2-instance/sandbox-seed.ts';
import { addNatGateway } from '../../../lib/resources/nat-gateway/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { ec2InstancesState } from '../../../lib/sandbox/services/ec2-instances.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { emptySandbox, SETTLED_TIMING } from '../../helpers.ts';

function setup() {
  const sandbox = emptySandbox({ clock: () => new Date('2026-11-01T00:00:00Z'), timing: SETTLED_TIMING });
  const add = (id: string, extra: Record<string, unknown> = {}) =>
    addInstance(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id, instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 10, tags: {}, reservationId: 'r-00000000000000001', ...extra });
  const clients = new AwsClients({ allowWrites: true, interceptor: sandbox, account: SANDBOX_ACCOUNT, writePacing: false, clientConfig: { maxAttempts: 1 } });
  return { sandbox, add, ec2: clients.get(EC2Client, 'us-east-1') };
}

describe('sandbox EC2 instances', () => {
  it('lists instances grouped in reservations, page by page with MaxResults and NextToken', async () => {
    // Prepare
    const { add, ec2 } = setup();
    for (let n = 0; n < 7; n++) add(`i-0000000000000000${n}`, { reservationId: `r-0000000000000000${n % 2}` });
    // Act
    const pages = [];
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, {})) pages.push(page);
    // Assess
    expect(pages.map((p) => p.Reservations!.flatMap((r) => r.Instances!).length)).toEqual([5, 2]);
    expect(pages[0].Reservations!.map((r) => r.ReservationId)).toEqual(['r-00000000000000000', 'r-00000000000000001']);
    expect(pages[0].Reservations![0].Instances![0]).toMatchObject({ State: { Code: 16, Name: 'running' }, RootDeviceType: 'ebs', InstanceType: 'm5.large' });
  });

  it('refuses InstanceIds with MaxResults, and names unknown or malformed ids', async () => {
    const { add, ec2 } = setup();
    add('i-00000000000000001');
    await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000001'], MaxResults: 5 }))).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000009'] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
    await expect(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['web-1'] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.Malformed' });
  });

  it('stops and starts with the state transitions EC2 reports', async () => {
    const { add, ec2 } = setup();
    add('i-00000000000000001');
    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: ['i-00000000000000001'] }));
    expect(stop.StoppingInstances![0]).toMatchObject({ PreviousState: { Name: 'running' }, CurrentState: { Name: 'stopping' } });
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000001'] }));
    expect(described.Reservations![0].Instances![0].State!.Name).toBe('stopped');
    expect(described.Reservations![0].Instances![0].StateTransitionReason).toBe('User initiated (2026-11-01 00:00:00 GMT)');
    const again = await ec2.send(new StopInstancesCommand({ InstanceIds: ['i-00000000000000001'] }));
    expect(again.StoppingInstances![0].CurrentState!.Name).toBe('stopped');
    const start = await ec2.send(new StartInstancesCommand({ InstanceIds: ['i-00000000000000001'] }));
    expect(start.StartingInstances![0]).toMatchObject({ PreviousState: { Name: 'stopped' }, CurrentState: { Name: 'pending' } });
  });

  it('refuses to stop instance-store and spot instances, and to start a terminated one', async () => {
    const { add, ec2 } = setup();
    add('i-00000000000000001', { rootDeviceType: 'instance-store', volumes: [] });
    add('i-00000000000000002', { lifecycle: 'spot' });
    add('i-00000000000000003', { state: 'terminated' });
    await expect(ec2.send(new StopInstancesCommand({ InstanceIds: ['i-00000000000000001'] }))).rejects.toMatchObject({ name: 'UnsupportedOperation' });
    await expect(ec2.send(new StopInstancesCommand({ InstanceIds: ['i-00000000000000002'] }))).rejects.toMatchObject({ name: 'UnsupportedOperation' });
    await expect(ec2.send(new StartInstancesCommand({ InstanceIds: ['i-00000000000000003'] }))).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
  });

  it('lists NAT gateways with the singular Filter parameter', async () => {
    const { sandbox, ec2 } = setup();
    addNatGateway(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'nat-00000000000000001', vpcId: 'vpc-1', subnetId: 'subnet-1', allocationId: 'eipalloc-1', publicIp: '198.51.100.1', ageDays: 30, tags: { Name: 'a' } });
    const out = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['available'] }] }));
    expect(out.NatGateways).toHaveLength(1);
    expect(out.NatGateways![0]).toMatchObject({ NatGatewayId: 'nat-00000000000000001', State: 'available', NatGatewayAddresses: [{ AllocationId: 'eipalloc-1', PublicIp: '198.51.100.1' }] });
    await expect(ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'colour', Values: ['red'] }] }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('fails the whole DescribeNatGateways call with NatGatewayNotFound when NatGatewayIds names a gateway that does not exist', async () => {
    // Prepare
    const { sandbox, ec2 } = setup();
    addNatGateway(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'nat-00000000000000001', vpcId: 'vpc-1', subnetId: 'subnet-1', ageDays: 30 });
    // Act
    const known = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ['nat-00000000000000001'] }));
    const mixed = ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ['nat-00000000000000001', 'nat-0000000000000dead'] }));
    // Assess
    expect(known.NatGateways!.map((n) => n.NatGatewayId)).toEqual(['nat-00000000000000001']);
    await expect(mixed).rejects.toMatchObject({ name: 'NatGatewayNotFound', $metadata: { httpStatusCode: 400 } });
  });

  it('keeps a deleted NAT gateway in DescribeNatGateways unless the state filter leaves it out, and pages with MaxResults 5 to 1000 only', async () => {
    // Prepare
    const { sandbox, ec2 } = setup();
    addNatGateway(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'nat-00000000000000001', vpcId: 'vpc-1', subnetId: 'subnet-1', ageDays: 30 });
    addNatGateway(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'nat-00000000000000002', vpcId: 'vpc-1', subnetId: 'subnet-2', ageDays: 30 });
    ec2InstancesState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').natGateways['nat-00000000000000002'].state = 'deleted';
    // Act
    const all = await ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 1000 }));
    const available = await ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 1000, Filter: [{ Name: 'state', Values: ['available'] }] }));
    // Assess
    expect(all.NatGateways!.map((n) => `${n.NatGatewayId}:${n.State}`)).toEqual(['nat-00000000000000001:available', 'nat-00000000000000002:deleted']);
    expect(available.NatGateways!.map((n) => n.NatGatewayId)).toEqual(['nat-00000000000000001']);
    await expect(ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 1001 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 4 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('stays stopping for a minute and pending for 30 s on AWS-like time, and refuses to stop a pending instance', async () => {
    // Prepare
    const clock = new VirtualClock('2026-11-01T00:00:00Z');
    const sandbox = emptySandbox({ clock, timing: { scale: 1, consistencyMs: 0 } });
    addInstance(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-00000000000000001', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 10, tags: {} });
    const ec2 = new AwsClients({ allowWrites: true, interceptor: sandbox, account: SANDBOX_ACCOUNT, writePacing: false, clientConfig: { maxAttempts: 1 } }).get(EC2Client, 'us-east-1');
    const state = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000001'] }))).Reservations![0].Instances![0].State!.Name;
    // Act
    await ec2.send(new StopInstancesCommand({ InstanceIds: ['i-00000000000000001'] }));
    const during = await state();
    clock.advance(60_000);
    const stopped = await state();
    await ec2.send(new StartInstancesCommand({ InstanceIds: ['i-00000000000000001'] }));
    const pending = await state();
    const stopPending = ec2.send(new StopInstancesCommand({ InstanceIds: ['i-00000000000000001'] }));
    // Assess
    expect([during, stopped, pending]).toEqual(['stopping', 'stopped', 'pending']);
    await expect(stopPending).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    clock.advance(30_000);
    expect(await state()).toBe('running');
  });

  it('describes instance storage per type (c5d, m5d, i3 have it; m5 does not) and names an unknown type', async () => {
    const { ec2 } = setup();
    // Act
    const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5d.xlarge', 'm5.large', 'i3.large', 'c5d.2xlarge'] }));
    // Assess
    expect(out.InstanceTypes!.map((t) => [t.InstanceType, t.InstanceStorageSupported, t.InstanceStorageInfo?.TotalSizeInGB])).toEqual([
      ['m5d.xlarge', true, 150],
      ['m5.large', false, undefined],
      ['i3.large', true, 475],
      ['c5d.2xlarge', true, 100],
    ]);
    await expect(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['bogus' as never] }))).rejects.toMatchObject({ name: 'InvalidInstanceType' });
  });
});
