import { describe, expect, it } from 'vitest';
import { EC2Client, paginateDescribeSnapshots } from '@aws-sdk/client-ec2';
import { CloudWatchClient, paginateGetMetricData, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { envFor, emptySandbox, AWS_LIKE_TEST_DEFAULTS } from '../../helpers.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { seedSnapshots } from '../../../lib/resources/ebs-snapshot/sandbox-seed.ts';
import { seedAutoScalingGroups } from '../../../lib/resources/asg/sandbox-seed.ts';

const START = new Date('2026-11-01T00:00:00Z');

/** All CPU datapoints of the seeded groups over 14 days, hourly, merged across pages by query id. */
async function cpuSeries(pageCap: number | undefined) {
  const sandbox = emptySandbox({ clock: () => START, pageCap });
  seedAutoScalingGroups(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { groups: 20 });
  const env = envFor(sandbox, ['us-east-1']);
  const queries: MetricDataQuery[] = Array.from({ length: 20 }, (_, i) => ({
    Id: `q${i}`,
    MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'AutoScalingGroupName', Value: `bench-${String(i).padStart(5, '0')}` }] }, Period: 3600, Stat: 'Average' },
  }));
  const merged = new Map<string, number[]>();
  const statuses = new Set<string>();
  const cw = env.clients.get(CloudWatchClient, 'us-east-1');
  for await (const page of paginateGetMetricData({ client: cw }, { MetricDataQueries: queries, StartTime: new Date(START.getTime() - 14 * 86_400_000), EndTime: START, ScanBy: 'TimestampAscending' })) {
    for (const r of page.MetricDataResults ?? []) {
      merged.set(r.Id!, [...(merged.get(r.Id!) ?? []), ...(r.Values ?? [])]);
      statuses.add(r.StatusCode!);
    }
  }
  return { merged, statuses, calls: sandbox.callCount('cloudwatch:GetMetricData') };
}

describe('sandbox page cap', () => {
  it('caps every page whatever MaxResults asks, and the SDK paginator still reads every item', async () => {
    // Prepare: 23 snapshots, pages of at most 5 although the caller asks for 1000.
    const sandbox = emptySandbox({ clock: () => START });
    seedSnapshots(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { snapshots: 23, amis: 0, volumes: 3 });
    const env = envFor(sandbox, ['us-east-1']);
    const ids: string[] = [];
    const pageSizes: number[] = [];
    // Act
    for await (const page of paginateDescribeSnapshots({ client: env.clients.get(EC2Client, 'us-east-1'), pageSize: 1000 }, { OwnerIds: ['self'] })) {
      pageSizes.push(page.Snapshots!.length);
      ids.push(...page.Snapshots!.map((s) => s.SnapshotId!));
    }
    // Assess
    expect(AWS_LIKE_TEST_DEFAULTS.pageCap).toBe(5);
    expect(new Set(ids).size).toBe(23);
    expect(Math.max(...pageSizes)).toBe(5);
    expect(sandbox.callCount('ec2:DescribeSnapshots')).toBe(pageSizes.length);
  });

  it('pages GetMetricData by datapoints with NextToken and PartialData, and the merged series equal one uncapped answer', async () => {
    // Prepare / Act: 20 queries × 336 hourly datapoints = 6,720, over 5,000 a capped page.
    const capped = await cpuSeries(5);
    const whole = await cpuSeries(undefined);
    // Assess
    expect(whole.calls).toBe(1);
    expect(capped.calls).toBe(2);
    expect(capped.statuses).toContain('PartialData');
    expect([...capped.merged.keys()].sort()).toEqual([...whole.merged.keys()].sort());
    for (const [id, values] of whole.merged) expect(capped.merged.get(id)).toEqual(values);
    expect([...whole.merged.values()].reduce((n, v) => n + v.length, 0)).toBeGreaterThan(5000);
  });
});
