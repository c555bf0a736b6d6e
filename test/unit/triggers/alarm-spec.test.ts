/**
 * Managed alarms AWS would refuse: PutMetricAlarm's Period values, the evaluation window
 * (Period × EvaluationPeriods ≤ 7 days, ≤ 1 day under an hour) and DatapointsToAlarm.
 */
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { parsePolicies } from '../../../lib/policy/load.ts';
import { alarmProblems } from '../../../lib/triggers/alarm-spec.ts';
import { PolicyValidationError } from '../../../lib/util/errors.ts';
import { emptySandbox, envFor } from '../../helpers.ts';

const policyWith = (create: string) => `version: 1
policies:
  - id: asg-low-cpu
    resource: asg
    detector: { type: over-provisioned-target-tracking }
    triggers:
      - alarm:
          prefix: trimtab-asg-low-cpu-
          create: { metric: CPUUtilization, comparison: LessThanThreshold, threshold: 15, ${create} }
`;

const problemsOf = (yaml: string): string[] => {
  try {
    parsePolicies(yaml, 'alarms.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    return (error as PolicyValidationError).problems;
  }
  throw new Error('expected the policy to be rejected');
};

describe('alarm create spec in the policy schema', () => {
  it('refuses a period CloudWatch does not accept, naming the policy and the key', () => {
    const problems = problemsOf(policyWith('periodSeconds: 90'));

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/policy 'asg-low-cpu' → triggers\.0\.alarm\.create\.periodSeconds: period 90 s is not one CloudWatch accepts: use 10, 20, 30 or a multiple of 60/);
  });

  it('refuses an evaluation window over one day when the period is under an hour', () => {
    const problems = problemsOf(policyWith('periodSeconds: 300, evaluationPeriods: 289'));

    expect(problems.join('\n')).toMatch(
      /policy 'asg-low-cpu' → triggers\.0\.alarm\.create\.evaluationPeriods: periodSeconds × evaluationPeriods = 300 × 289 = 86700 s, over CloudWatch's limit of 86,400 s \(one day, for periods under an hour\)/,
    );
  });

  it('refuses an evaluation window over seven days for hourly periods', () => {
    const problems = problemsOf(policyWith('periodSeconds: 3600, evaluationPeriods: 169'));

    expect(problems.join('\n')).toMatch(/evaluationPeriods: periodSeconds × evaluationPeriods = 3600 × 169 = 608400 s, over CloudWatch's limit of 604,800 s \(seven days\)/);
  });

  it('refuses more datapoints to alarm than evaluation periods', () => {
    const problems = problemsOf(policyWith('periodSeconds: 3600, evaluationPeriods: 3, datapointsToAlarm: 4'));

    expect(problems.join('\n')).toMatch(/triggers\.0\.alarm\.create\.datapointsToAlarm: datapointsToAlarm 4 must be less than or equal to evaluationPeriods \(3\)/);
  });

  it('accepts what AWS accepts: 10-second periods, a full day of minutes, a week of hours', () => {
    expect(alarmProblems({ periodSeconds: 10, evaluationPeriods: 6 })).toEqual([]);
    expect(alarmProblems({ periodSeconds: 60, evaluationPeriods: 1440, datapointsToAlarm: 1440 })).toEqual([]);
    expect(alarmProblems({ periodSeconds: 3600, evaluationPeriods: 168 })).toEqual([]);
    expect(() => parsePolicies(policyWith('periodSeconds: 60, evaluationPeriods: 1440'), 'ok.yml')).not.toThrow();
  });
});

describe('sandbox PutMetricAlarm', () => {
  const put = async (input: { Period: number; EvaluationPeriods: number; DatapointsToAlarm?: number }) => {
    const env = envFor(emptySandbox());
    const cw = env.clients.withWrites(true).get(CloudWatchClient, 'us-east-1');
    return cw.send(
      new PutMetricAlarmCommand({ AlarmName: 'a', Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Statistic: 'Average', ComparisonOperator: 'LessThanThreshold', Threshold: 15, ...input }),
    );
  };

  it('refuses what AWS refuses, with ValidationError', async () => {
    await expect(put({ Period: 45, EvaluationPeriods: 1 })).rejects.toMatchObject({ name: expect.stringMatching(/^Validation(Error|Exception)$/), message: expect.stringMatching(/Period is not valid/) });
    await expect(put({ Period: 300, EvaluationPeriods: 289 })).rejects.toMatchObject({ name: expect.stringMatching(/^Validation(Error|Exception)$/), message: 'Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)' });
    await expect(put({ Period: 86_400, EvaluationPeriods: 8 })).rejects.toMatchObject({ name: expect.stringMatching(/^Validation(Error|Exception)$/), message: expect.stringMatching(/<= 604800/) });
    await expect(put({ Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 3 })).rejects.toMatchObject({ name: expect.stringMatching(/^Validation(Error|Exception)$/), message: 'DatapointsToAlarm must be less than or equal to EvaluationPeriods' });
  });

  it('accepts a valid alarm', async () => {
    await expect(put({ Period: 3600, EvaluationPeriods: 24, DatapointsToAlarm: 20 })).resolves.toBeDefined();
  });
});
