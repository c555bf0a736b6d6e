/**
 * The sandbox's GetMetricData (lib/sandbox/services/cloudwatch.ts): the series' window is worked out
 * once per query. The edges a review found the first version of that change got wrong.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../../lib/sandbox/services/cloudwatch.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const NOW = new Date('2026-11-01T12:00:00Z');

function query(series: SeriesSpec, period: number, daysBack = 2) {
  const sandbox = emptySandbox({ clock: () => NOW, pageCap: undefined });
  cloudwatchState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').metrics.push({ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: { InstanceId: 'i-1' }, series });
  const client = envFor(sandbox, ['us-east-1']).clients.get(CloudWatchClient, 'us-east-1');
  return client.send(new GetMetricDataCommand({
    StartTime: new Date(NOW.getTime() - daysBack * 86_400_000),
    EndTime: NOW,
    MetricDataQueries: [{ Id: 'cpu', MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'InstanceId', Value: 'i-1' }] }, Period: period, Stat: 'SampleCount' } }],
  }));
}

describe('sandbox GetMetricData', () => {
  it('keeps a series\' start when its onlyLastHours is not a number, as when each datapoint was checked', async () => {
    // Prepare: datapoints every 5 minutes from 6 hours ago
    const startsAt = new Date(NOW.getTime() - 6 * 3_600_000).toISOString();

    // Act
    const out = await query({ resolutionSeconds: 300, base: 10, startsAt, onlyLastHours: Number.NaN }, 3600);

    // Assess: the 6 whole hours since the start, 12 datapoints each
    expect(out.MetricDataResults![0].Values).toEqual([12, 12, 12, 12, 12, 12]);
  });

  it('refuses a Period that is not a whole number of seconds of at least 1, with a validation error', async () => {
    // Act / Assess
    await expect(query({ resolutionSeconds: 60, base: 10 }, 60.5)).rejects.toMatchObject({ name: expect.stringMatching(/^Validation(Error|Exception)$/), message: expect.stringContaining('MetricStat.Period') });
    await expect(query({ resolutionSeconds: 60, base: 10 }, 0)).rejects.toMatchObject({ name: expect.stringMatching(/^Validation(Error|Exception)$/) });
    await expect(query({ resolutionSeconds: 60, base: 10 }, 60)).resolves.toMatchObject({ MetricDataResults: [{ Id: 'cpu' }] });
  });

  it('answers no datapoints, without an error, for a Period finer than CloudWatch keeps for the start time\'s age', async () => {
    // Prepare: a 1-minute series over the last 100 days
    const series = { resolutionSeconds: 60, base: 10 };
    const count = async (period: number, daysBack: number) => (await query(series, period, daysBack)).MetricDataResults![0].Values!.length;

    // Act
    const answers = {
      twoDaysAtOneMinute: await count(60, 2), twoDaysAt90s: await count(90, 2),
      twentyDaysAt300s: await count(300, 20), twentyDaysAtOneMinute: await count(60, 20),
      seventyDaysAtOneHour: await count(3600, 70), seventyDaysAt300s: await count(300, 70), seventyDaysAtOneDay: await count(86_400, 70),
    };

    // Assess: 2 days of 1-minute periods; 20 days of 5-minute periods; 70 days of hours, and the 69 whole UTC days
    // between a noon start and a noon end; nothing for the rest
    expect(answers).toEqual({
      twoDaysAtOneMinute: 2 * 1440, twoDaysAt90s: 0,
      twentyDaysAt300s: 20 * 288, twentyDaysAtOneMinute: 0,
      seventyDaysAtOneHour: 70 * 24, seventyDaysAt300s: 0, seventyDaysAtOneDay: 69,
    });
  });
});
