import { CreateTagsCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client, type Snapshot } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { runScanCase } from '../../../lib/bench/scan.ts';
import { BACKUP_TAG } from '../../../lib/resources/ebs-snapshot/resource.ts';
import { seedGeneratedSnapshots } from '../../../lib/resources/ebs-snapshot/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { ec2State } from '../../../lib/sandbox/services/ec2.ts';
import { generatedSnapshotId } from '../../../lib/sandbox/services/ec2-generated.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { emptySandbox } from '../../helpers.ts';

const START = '2026-11-01T00:00:00Z';

function setup(snapshots: number, options: { seed?: number; volumes?: number; amis?: number; timed?: boolean; pageCap?: number } = {}) {
  const clock = new VirtualClock(START);
  const sandbox = emptySandbox({ clock, pageCap: options.pageCap, timing: options.timed ? { scale: 1, consistencyMs: 2_000 } : { scale: 0, consistencyMs: 0 } });
  const seeded = seedGeneratedSnapshots(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { snapshots, volumes: options.volumes ?? 10, amis: options.amis ?? 0, seed: options.seed });
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: true, interceptor: sandbox, writePacing: false });
  const ec2 = ec2State(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1');
  return { clock, sandbox, seeded, ec2, client: clients.get(EC2Client, 'us-east-1') };
}

/** Every page of a listing, and how many pages it took. */
async function listAll(client: EC2Client, input: Record<string, unknown> = {}) {
  const out: Snapshot[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 1000, ...input, NextToken: token }));
    out.push(...(page.Snapshots ?? []));
    token = page.NextToken;
    pages++;
  } while (token);
  return { snapshots: out, pages };
}

describe('sandbox generated snapshot inventory', () => {
  it('pages through 25,000 generated snapshots 1,000 at a time without holding any in the sandbox state', async () => {
    // Prepare
    const { client, ec2, sandbox } = setup(25_000);
    // Act
    const { snapshots, pages } = await listAll(client);
    // Assess
    expect(pages).toBe(25);
    expect(snapshots).toHaveLength(25_000);
    expect(new Set(snapshots.map((s) => s.SnapshotId)).size).toBe(25_000);
    expect(snapshots[0].SnapshotId).toBe(generatedSnapshotId(0));
    expect(snapshots[24_999].SnapshotId).toBe(generatedSnapshotId(24_999));
    expect(Object.keys(ec2.snapshots)).toHaveLength(0);
    // The saved state is the spec, volumes and AMIs: a few KB, not 25,000 snapshots.
    expect(JSON.stringify(sandbox.state).length).toBeLessThan(10_000);
    for (const s of snapshots) {
      expect(s.State).toBe('completed');
      expect(s.StorageTier).toBe('standard');
      expect(s.VolumeSize).toBe(100);
      const ageDays = (Date.parse(START) - s.StartTime!.getTime()) / 86_400_000;
      expect(ageDays).toBeGreaterThanOrEqual(1);
      expect(ageDays).toBeLessThanOrEqual(720);
    }
  });

  it('answers the same snapshots for the same seed, other ages for another seed, and the same snapshot by id as in the listing', async () => {
    // Prepare
    const a = setup(2_000, { seed: 7 });
    const b = setup(2_000, { seed: 7 });
    const c = setup(2_000, { seed: 8 });
    // Act
    const [la, lb, lc] = await Promise.all([listAll(a.client), listAll(b.client), listAll(c.client)]);
    const byId = await a.client.send(new DescribeSnapshotsCommand({ SnapshotIds: [generatedSnapshotId(1_234)] }));
    // Assess
    expect(lb.snapshots).toEqual(la.snapshots);
    expect(lc.snapshots.map((s) => s.SnapshotId)).toEqual(la.snapshots.map((s) => s.SnapshotId));
    expect(lc.snapshots.filter((s, i) => s.StartTime!.getTime() !== la.snapshots[i].StartTime!.getTime()).length).toBeGreaterThan(1_500);
    expect(byId.Snapshots).toEqual([la.snapshots[1_234]]);
  });

  it('applies filters while it walks: tag-key, volume-id, RestorableByUserIds, and pages the matches', async () => {
    // Prepare
    const { client } = setup(10_000, { volumes: 10 });
    // Act
    const backup = await listAll(client, { Filters: [{ Name: 'tag-key', Values: [BACKUP_TAG] }] });
    const oneVolume = await listAll(client, { Filters: [{ Name: 'volume-id', Values: ['vol-e0000000000000000'] }] });
    const shared = await listAll(client, { RestorableByUserIds: ['all'] });
    // Assess: every 50th snapshot is AWS Backup's; volume 0 (existing) takes every 20th index (even, ≡ 0 mod 10).
    expect(backup.snapshots.map((s) => s.SnapshotId)).toEqual(Array.from({ length: 200 }, (_, n) => generatedSnapshotId(n * 50)));
    expect(oneVolume.snapshots.map((s) => s.SnapshotId)).toEqual(Array.from({ length: 1_000 }, (_, n) => generatedSnapshotId(n * 10)));
    expect(oneVolume.snapshots.every((s) => s.VolumeId === 'vol-e0000000000000000')).toBe(true);
    expect(shared.snapshots).toEqual([]);
    expect(shared.pages).toBe(1);
  });

  it('keeps a tag added to a generated snapshot and hides a deleted one once reads are consistent', async () => {
    // Prepare
    const { client, clock, ec2 } = setup(100, { timed: true });
    const tagged = generatedSnapshotId(3);
    const deleted = generatedSnapshotId(5);
    // Act
    await client.send(new CreateTagsCommand({ Resources: [tagged], Tags: [{ Key: 'team', Value: 'data' }] }));
    await client.send(new DeleteSnapshotCommand({ SnapshotId: deleted }));
    const right = await listAll(client, { MaxResults: 50 });
    clock.advance(3_000);
    const later = await listAll(client, { MaxResults: 50 });
    const gone = client.send(new DescribeSnapshotsCommand({ SnapshotIds: [deleted] }));
    // Assess
    expect(right.snapshots).toHaveLength(100); // still listed right after the delete (eventual consistency)
    expect(later.snapshots).toHaveLength(99);
    expect(later.snapshots.map((s) => s.SnapshotId)).not.toContain(deleted);
    expect(later.snapshots[3].Tags).toEqual([{ Key: 'team', Value: 'data' }]);
    await expect(gone).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(Object.keys(ec2.snapshots)).toEqual([tagged]);
  });

  it('answers shorter pages when the sandbox caps them, as AWS may, and the listing stays complete', async () => {
    // Prepare
    const { client } = setup(100, { pageCap: 7 });
    // Act
    const { snapshots, pages } = await listAll(client, { MaxResults: 50 });
    // Assess
    expect(pages).toBe(15);
    expect(snapshots.map((s) => s.SnapshotId)).toEqual(Array.from({ length: 100 }, (_, i) => generatedSnapshotId(i)));
  });

  it('refuses a page size outside 5..1000 and a token it did not give out', async () => {
    // Prepare
    const { client } = setup(100);
    // Act
    const big = client.send(new DescribeSnapshotsCommand({ MaxResults: 2_000 }));
    const forged = client.send(new DescribeSnapshotsCommand({ MaxResults: 10, NextToken: 'not-a-token' }));
    // Assess
    await expect(big).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(forged).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('holds the existing volumes the generated snapshots point at', async () => {
    // Prepare
    const { client } = setup(1_000, { volumes: 7 });
    // Act
    const volumes = await client.send(new DescribeVolumesCommand({}));
    // Assess
    expect(volumes.Volumes?.map((v) => v.VolumeId).sort()).toEqual(Array.from({ length: 7 }, (_, n) => `vol-e${n.toString(16).padStart(16, '0')}`));
  });
});

describe('bench ebs scan over the generated inventory', () => {
  it('scans 10,000 generated snapshots with every finding streamed, none kept, no errors and calls at the minimum', async () => {
    // Act
    const result = await runScanCase('ebs-10k', 0);
    // Assess
    expect(result.errors).toEqual([]);
    expect(result.findings).toBeGreaterThan(0);
    expect(result.retained).toBe(0);
    expect(result.vsMinimum.ratio).toBeLessThanOrEqual(1.1);
    expect(result.calls['ec2:DescribeSnapshots']).toBeGreaterThanOrEqual(10);
  });
});
