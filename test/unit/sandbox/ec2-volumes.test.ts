/**
 * The sandbox's EBS volume and Elastic IP side against what AWS documents: ModifyVolume's rules
 * (wait for completed, four in a rolling 24 hours), modification phases in time, read-after-write
 * visibility, DeleteVolume's 'deleting', CreateVolume's 'creating', current gp3 limits and
 * ReleaseAddress in a default VPC. Every call goes through the SDK client over the sandbox.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeAddressesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  EC2Client,
  ModifyVolumeCommand,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { seedVolume } from '../../../lib/resources/ebs-volume/sandbox-seed.ts';
import { seedAddress } from '../../../lib/resources/elastic-ip/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { ec2VolumeState } from '../../../lib/sandbox/services/ec2-volumes.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { emptySandbox } from '../../helpers.ts';

const START = '2026-11-01T00:00:00.000Z';
const MIN = 60_000;

function setup(timing = { scale: 1, consistencyMs: 2000 }) {
  const clock = new VirtualClock(START);
  const sandbox = emptySandbox({ clock, timing });
  const clients = new AwsClients({ allowWrites: true, interceptor: sandbox, account: SANDBOX_ACCOUNT, writePacing: false, clientConfig: { maxAttempts: 1 } });
  const volume = (sizeGb: number, type = 'gp2') => seedVolume(sandbox, SANDBOX_ACCOUNT, { name: 'v', sizeGb, type, ageDays: 100 });
  return { clock, sandbox, volume, ec2: clients.get(EC2Client, 'us-east-1') };
}

const modification = async (ec2: EC2Client, id: string) => (await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [id] }))).VolumesModifications![0];

describe('sandbox ModifyVolume', () => {
  it('refuses VolumeIds with MaxResults (InvalidParameterCombination) and a filter of more than 200 values (FilterLimitExceeded), as EC2 does', async () => {
    // Prepare
    const { ec2, volume } = setup();
    const id = volume(100);
    const ids = Array.from({ length: 201 }, (_, i) => `vol-${String(i).padStart(17, '0')}`);
    // Act
    const paged = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id], MaxResults: 5 })).catch((e: Error) => e);
    const overLimit = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: ids }] })).catch((e: Error) => e);
    const atLimit = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [id, ...ids.slice(1, 200)] }], MaxResults: 5 }));
    // Assess
    expect((paged as Error).name).toBe('InvalidParameterCombination');
    expect((overLimit as Error).name).toBe('FilterLimitExceeded');
    expect((overLimit as Error).message).toBe('The maximum number of filter values specified on a single call is 200');
    expect(atLimit.Volumes!.map((v) => v.VolumeId)).toEqual([id]);
  });

  it('passes through modifying, optimizing and completed with size-dependent durations', async () => {
    // Prepare: 1,000 GiB: modifying 2 min, optimizing 10 min + 100 min
    const { clock, volume, ec2 } = setup();
    const id = volume(1000);
    // Act
    const out = await ec2.send(new ModifyVolumeCommand({ VolumeId: id, VolumeType: 'gp3', Iops: 3000, Throughput: 250 }));
    clock.advance(1 * MIN);
    const first = await modification(ec2, id);
    clock.advance(30 * MIN);
    const second = await modification(ec2, id);
    clock.advance(82 * MIN);
    const third = await modification(ec2, id);
    // Assess
    expect(out.VolumeModification).toMatchObject({ ModificationState: 'modifying', OriginalVolumeType: 'gp2', TargetVolumeType: 'gp3', TargetIops: 3000, TargetThroughput: 250 });
    expect(first.ModificationState).toBe('modifying');
    expect(second).toMatchObject({ ModificationState: 'optimizing', Progress: 27 });
    expect(third).toMatchObject({ ModificationState: 'completed', Progress: 100, EndTime: new Date(Date.parse(START) + 112 * MIN) });
  });

  it('refuses a new modification with IncorrectModificationState until the last one is completed', async () => {
    const { clock, volume, ec2 } = setup();
    const id = volume(100);
    await ec2.send(new ModifyVolumeCommand({ VolumeId: id, VolumeType: 'gp3' }));
    clock.advance(5 * MIN); // optimizing (2 + 10 + 10 minutes in all)
    // Act
    const whileOptimizing = ec2.send(new ModifyVolumeCommand({ VolumeId: id, Size: 200 }));
    // Assess
    await expect(whileOptimizing).rejects.toMatchObject({ name: 'IncorrectModificationState', message: expect.stringContaining('is still optimizing') });
    clock.advance(20 * MIN);
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: id, Size: 200 }))).resolves.toMatchObject({ VolumeModification: { TargetSize: 200 } });
  });

  it('allows four modifications in a rolling 24 hours and names when the fifth is allowed', async () => {
    // Prepare: instant phases, so only the rolling limit applies
    const { clock, volume, ec2 } = setup({ scale: 0, consistencyMs: 0 });
    const id = volume(100);
    for (const size of [110, 120, 130, 140]) {
      await ec2.send(new ModifyVolumeCommand({ VolumeId: id, Size: size }));
      clock.advance(60 * MIN);
    }
    // Act
    const fifth = ec2.send(new ModifyVolumeCommand({ VolumeId: id, Size: 150 }));
    // Assess: the first was at 00:00, so the next is allowed at 00:00 the next day
    await expect(fifth).rejects.toMatchObject({ name: 'VolumeModificationRateExceeded', message: expect.stringContaining('again after 2026-11-02T00:00:00.000Z') });
    clock.advance(20 * 60 * MIN);
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: id, Size: 150 }))).resolves.toBeDefined();
  });

  it('hides a new modification from reads for the consistency window (InvalidVolumeModification.NotFound)', async () => {
    const { clock, volume, ec2 } = setup();
    const id = volume(100);
    await ec2.send(new ModifyVolumeCommand({ VolumeId: id, VolumeType: 'gp3' }));
    // Act
    const early = modification(ec2, id);
    await expect(early).rejects.toMatchObject({ name: 'InvalidVolumeModification.NotFound' });
    clock.advance(2000);
    // Assess
    await expect(modification(ec2, id)).resolves.toMatchObject({ ModificationState: 'modifying', TargetVolumeType: 'gp3' });
  });

  it('accepts gp3 up to 80,000 IOPS (500 per GiB) and 2,000 MiB/s (0.25 per IOPS), and refuses beyond', async () => {
    const { volume, ec2 } = setup({ scale: 0, consistencyMs: 0 });
    const big = volume(200, 'gp3');
    const small = volume(20, 'gp3');
    const tooBig = volume(16_384);
    // Act / Assess
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: big, Iops: 80_000, Throughput: 2000 }))).resolves.toMatchObject({ VolumeModification: { TargetIops: 80_000, TargetThroughput: 2000 } });
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: small, Iops: 80_001 }))).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('3000 to 80000') });
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: small, Iops: 10_001 }))).rejects.toMatchObject({ message: expect.stringContaining('at most 500 per GiB') });
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: small, Throughput: 2001 }))).rejects.toMatchObject({ message: expect.stringContaining('125 to 2000') });
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: small, Iops: 4000, Throughput: 1001 }))).rejects.toMatchObject({ message: expect.stringContaining('needs at least 4004 IOPS') });
    await expect(ec2.send(new ModifyVolumeCommand({ VolumeId: tooBig, Size: 16_385 }))).rejects.toMatchObject({ message: expect.stringContaining('1 to 16384 GiB') });
    await expect(ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', VolumeType: 'gp3', Size: 65_536 }))).resolves.toMatchObject({ Size: 65_536 });
    await expect(ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', VolumeType: 'gp3', Size: 65_537 }))).rejects.toMatchObject({ message: expect.stringContaining('1 to 65536 GiB') });
  });
});

describe('sandbox volume life cycle', () => {
  it('keeps a deleted volume listed as deleting for minutes, then answers InvalidVolume.NotFound', async () => {
    const { clock, volume, ec2 } = setup();
    const id = volume(100);
    // Act
    await ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
    const during = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes![0].State;
    clock.advance(3 * MIN);
    // Assess
    expect(during).toBe('deleting');
    await expect(ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' });
    expect((await ec2.send(new DescribeVolumesCommand({}))).Volumes).toEqual([]);
  });

  it('creates a volume in the creating state, available 30 s later', async () => {
    const { clock, ec2 } = setup();
    const out = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', VolumeType: 'gp3', Size: 10 }));
    const during = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [out.VolumeId!] }))).Volumes![0].State;
    clock.advance(30_000);
    expect(during).toBe('creating');
    expect((await ec2.send(new DescribeVolumesCommand({ VolumeIds: [out.VolumeId!] }))).Volumes![0].State).toBe('available');
  });

  it('hides a new snapshot from reads for the consistency window (InvalidSnapshot.NotFound)', async () => {
    const { clock, volume, ec2 } = setup();
    const id = volume(100);
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: id }));
    // Act
    const early = ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }));
    const listedEarly = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots;
    // Assess
    await expect(early).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(listedEarly).toEqual([]);
    clock.advance(2000);
    expect((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0].SnapshotId).toBe(snap.SnapshotId);
  });
});

describe('sandbox ReleaseAddress', () => {
  it('disassociates and releases an associated address in a default VPC, and refuses InvalidIPAddress.InUse in a nondefault one', async () => {
    const { sandbox, ec2 } = setup();
    const inDefault = seedAddress(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { publicIp: '198.51.100.1', associationId: 'eipassoc-1', instanceId: 'i-1', defaultVpc: true });
    const inCustom = seedAddress(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { publicIp: '198.51.100.2', associationId: 'eipassoc-2', instanceId: 'i-2' });
    // Act
    await ec2.send(new ReleaseAddressCommand({ AllocationId: inDefault }));
    const refused = ec2.send(new ReleaseAddressCommand({ AllocationId: inCustom }));
    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'InvalidIPAddress.InUse' });
    const left = (await ec2.send(new DescribeAddressesCommand({}))).Addresses!.map((a) => a.PublicIp);
    expect(left).toEqual(['198.51.100.2']);
    expect(ec2VolumeState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').released['198.51.100.1'].address.associationId).toBeUndefined();
  });
});
