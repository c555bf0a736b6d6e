/**
 * stop-instance's undo is a StartInstances: AWS can refuse it for capacity (fresh-context review,
 * issue 25). The instance then stays stopped and the undo can be run again; nothing else changes.
 */
import { describe, expect, it } from 'vitest';
import type { ActionRecord, RegionContext } from '../../../../lib/engine/types.ts';
import { stopInstance } from '../../../../lib/resources/ec2-instance/remediators.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { ec2InstancesState } from '../../../../lib/sandbox/services/ec2-instances.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { VirtualClock } from '../../../../lib/util/clock.ts';
import { testEnv, TEST_START } from '../../../helpers.ts';

const ID = 'i-0a11e00000000e001';

describe('stop-instance undo when AWS has no capacity for the start', () => {
  it('surfaces InsufficientInstanceCapacity from StartInstances and leaves the instance stopped, with no write', async () => {
    // Prepare: an instance trimtab stopped, in a zone that has no capacity for its type now.
    const env = testEnv('small-company', { clock: new VirtualClock(TEST_START) });
    const instance = ec2InstancesState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').instances[ID];
    instance.state = 'stopped';
    instance.noCapacityFor = { types: [instance.instanceType] };
    const ctx: RegionContext = { account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: env.clients.withWrites(true), now: env.sandbox.now(), clock: env.sandbox.clock, prices: DEFAULT_PRICES, log: () => {} };
    const record = { resource: { id: ID }, after: { state: 'stopping' } } as unknown as ActionRecord;
    // Act
    const outcome = stopInstance.undo!(ctx, record);
    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'InsufficientInstanceCapacity', $metadata: { httpStatusCode: 500 } });
    expect(instance.state).toBe('stopped');
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});
