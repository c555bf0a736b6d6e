/**
 * The sandbox's own CPU (issue 29 §1): what it spends building and encoding answers is AWS's work,
 * so the bench leaves it out of the function's estimate (lib/bench/fit.ts). And the region-wide
 * DescribeScalingActivities listing, sorted once per state of the activities, still answers newest
 * first after the activities change.
 */
import { AutoScalingClient, DescribeScalingActivitiesCommand, paginateDescribeScalingActivities } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { autoscalingState } from '../../../lib/sandbox/services/autoscaling.ts';
import { seedAutoScalingGroups } from '../../../lib/resources/asg/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox } from '../../helpers.ts';

function account(groups: number, countAnswerCpu = true) {
  const sandbox = emptySandbox({ pageCap: undefined, countAnswerCpu });
  seedAutoScalingGroups(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { groups });
  const clients = new AwsClients({ allowWrites: false, interceptor: sandbox, account: SANDBOX_ACCOUNT, writePacing: false });
  return { sandbox, autoscaling: clients.get(AutoScalingClient, 'us-east-1'), state: autoscalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1') };
}

const allActivities = async (client: AutoScalingClient) => {
  const times: string[] = [];
  for await (const page of paginateDescribeScalingActivities({ client, pageSize: 100 }, {})) for (const a of page.Activities ?? []) times.push(`${a.AutoScalingGroupName} ${a.StartTime!.toISOString()}`);
  return times;
};

describe('the sandbox\'s own CPU', () => {
  it('counts the CPU time it spends answering calls, and starts again from zero when its counters are reset', async () => {
    // Prepare: 12 groups, two of them flapping (140 activities each).
    const { sandbox, autoscaling } = account(12);
    sandbox.resetCounters();

    // Act
    await allActivities(autoscaling);
    const spent = sandbox.answerCpuUs;
    sandbox.resetCounters();

    // Assess: three pages answered and encoded (100 a page), some CPU counted; none after the reset.
    expect(sandbox.callCount()).toBe(0);
    expect(spent).toBeGreaterThan(0);
    expect(sandbox.answerCpuUs).toBe(0);
  });

  it('counts nothing unless asked (countAnswerCpu): the tests\' sandboxes make no process.cpuUsage call per answer', async () => {
    /** process.cpuUsage calls while 12 groups' activities are listed, with and without the option. */
    const readings = async (countAnswerCpu: boolean) => {
      const { sandbox, autoscaling } = account(12, countAnswerCpu);
      const cpuUsage = vi.spyOn(process, 'cpuUsage');
      try {
        await allActivities(autoscaling);
        return { calls: sandbox.callCount(), readings: cpuUsage.mock.calls.length, counted: sandbox.answerCpuUs };
      } finally {
        cpuUsage.mockRestore();
      }
    };

    // Act
    const [off, on] = [await readings(false), await readings(true)];

    // Assess: the same three pages answered; no CPU read or counted without the option, some with it
    expect(off).toEqual({ calls: 3, readings: 0, counted: 0 });
    expect(on.calls).toBe(3);
    expect(on.readings).toBeGreaterThanOrEqual(6);
    expect(on.counted).toBeGreaterThan(0);
  });
});

describe('region-wide DescribeScalingActivities', () => {
  it('lists every activity newest first, and still does after an activity is added between two listings', async () => {
    // Prepare
    const { autoscaling, state } = account(12);
    const first = await allActivities(autoscaling);

    // Act: a newer activity than any, appended at the end of the list.
    state.activities.push({ groupName: 'bench-00000', startTime: '2099-01-01T00:00:00.000Z', direction: 1 });
    const second = await allActivities(autoscaling);
    const one = await autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'bench-00005', MaxRecords: 100 }));

    // Assess: 280 activities, newest first; the new one comes first after it was added; one group's own listing is newest first too.
    expect(first).toHaveLength(280);
    const times = (list: string[]) => list.map((l) => l.split(' ')[1]);
    expect(times(first)).toEqual([...times(first)].sort().reverse());
    expect(second).toHaveLength(281);
    expect(second[0]).toBe('bench-00000 2099-01-01T00:00:00.000Z');
    expect(times(second)).toEqual([...times(second)].sort().reverse());
    const own = (one.Activities ?? []).map((a) => a.StartTime!.toISOString());
    expect(own).toHaveLength(100);
    expect(own).toEqual([...own].sort().reverse());
    expect((one.Activities ?? []).every((a) => a.AutoScalingGroupName === 'bench-00005')).toBe(true);
  });
});
