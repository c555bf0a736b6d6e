/**
 * What the ec2-instance listing reads from DescribeInstances and CloudWatch that decisions depend
 * on (issue 25): the network datapoint period (detailed monitoring publishes every minute), and
 * whether the instance has a public IPv4 address a stop releases.
 */
import { describe, expect, it } from 'vitest';
import type { RegionContext } from '../../../../lib/engine/types.ts';
import { ec2InstanceResource, EC2_NEEDS, windowNeed, type Ec2Instance } from '../../../../lib/resources/ec2-instance/resource.ts';
import { addInstance } from '../../../../lib/resources/ec2-instance/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { VirtualClock } from '../../../../lib/util/clock.ts';
import { policiesFrom, testEnv, TEST_START } from '../../../helpers.ts';

const env = () => testEnv('empty', { clock: new VirtualClock(TEST_START) });
const ctxOf = (e: ReturnType<typeof env>): RegionContext => ({
  account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: e.clients, now: e.sandbox.now(), clock: e.sandbox.clock, prices: DEFAULT_PRICES, log: () => {},
});

async function listed(e: ReturnType<typeof env>): Promise<Map<string, Ec2Instance>> {
  const ctx = ctxOf(e);
  const needs = new Set([EC2_NEEDS.utilization, windowNeed(14)]);
  const prepared = await ec2InstanceResource.prepare!(ctx, needs);
  const out = new Map<string, Ec2Instance>();
  for await (const page of ec2InstanceResource.list(ctx, prepared)) {
    for (const i of await ec2InstanceResource.enrich!(ctx, page, prepared, needs)) out.set(i.id, i);
  }
  return out;
}

describe('the ec2-instance listing', () => {
  it('divides the network p95 by the datapoint period the instance publishes: 60 s with detailed monitoring, 300 s without', async () => {
    // Prepare: both move 0.25 Gbit/s in and 0.25 out; one publishes every minute, the other every 5 minutes.
    const e = env();
    const perSecond = 0.25e9 / 8;
    addInstance(e.sandbox, SANDBOX_ACCOUNT, 'us-east-1', {
      id: 'i-0d0000000000000d1', instanceType: 'm5.2xlarge', rootDeviceType: 'ebs', ageDays: 30, monitoring: 'enabled',
      cpu: { base: 10, resolutionSeconds: 60 }, networkIn: { base: perSecond * 60, resolutionSeconds: 60 }, networkOut: { base: perSecond * 60, resolutionSeconds: 60 },
    });
    addInstance(e.sandbox, SANDBOX_ACCOUNT, 'us-east-1', {
      id: 'i-0d0000000000000d2', instanceType: 'm5.2xlarge', rootDeviceType: 'ebs', ageDays: 30,
      cpu: { base: 10 }, networkIn: { base: perSecond * 300 }, networkOut: { base: perSecond * 300 },
    });
    // Act
    const instances = await listed(e);
    // Assess
    expect(instances.get('i-0d0000000000000d1')!.detailedMonitoring).toBe(true);
    expect(instances.get('i-0d0000000000000d1')!.utilization!.networkGbpsP95).toBeCloseTo(0.5, 6);
    expect(instances.get('i-0d0000000000000d2')!.detailedMonitoring).toBeUndefined();
    expect(instances.get('i-0d0000000000000d2')!.utilization!.networkGbpsP95).toBeCloseTo(0.5, 6);
  });

  it('warns of a new public IPv4 address only for an instance whose address is auto-assigned, not one with an Elastic IP or none', async () => {
    // Prepare: three idle instances: an auto-assigned public IPv4, an Elastic IP, private only.
    const e = env();
    const idle = { cpu: { base: 1 }, networkIn: { base: 100 }, networkOut: { base: 100 } };
    addInstance(e.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-0e0000000000000e1', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 30, publicIp: { address: '203.0.113.10', elastic: false }, ...idle });
    addInstance(e.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-0e0000000000000e2', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 30, publicIp: { address: '198.51.100.7', elastic: true }, ...idle });
    addInstance(e.sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-0e0000000000000e3', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 30, ...idle });
    // Act
    const result = await e.run(policiesFrom('policies:\n  - id: stop\n    resource: ec2-instance\n    detector: { type: idle-instance }\n    action: { type: stop-instance }\n    mode: auto\n'), { forceDryRun: true });
    // Assess
    const undo = (id: string) => result.findings.find((f) => f.resource.id === id)!.plan!.undo;
    const warning = ' Its public IPv4 address is released by the stop: started again, it gets a new one (it has no Elastic IP).';
    expect(undo('i-0e0000000000000e1')).toContain(warning);
    expect(undo('i-0e0000000000000e2')).not.toContain('public IPv4');
    expect(undo('i-0e0000000000000e3')).not.toContain('public IPv4');
    expect(e.sandbox.successfulWrites()).toEqual([]);
  });
});
