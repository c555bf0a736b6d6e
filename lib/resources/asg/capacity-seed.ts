/**
 * The under-provisioned part of the "small company" scenario: 'acme-checkout' tracks 50 % CPU
 * but sits at its MaxSize of 6 through every busy part of the day with CPU near 80 %.
 * Trap: 'acme-search' reaches its MaxSize too, but with CPU under the target (sized right).
 */
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { setComputeOptimizerEnrollment } from '../../sandbox/services/compute-optimizer.ts';
import { addGroup } from './sandbox-seed.ts';

const targetTracking = (group: string, target: number) => ({
  AutoScalingGroupName: group,
  PolicyName: 'cpu-target-tracking',
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: target, DisableScaleIn: false },
});

export function seedAsgCapacitySmallCompany(sandbox: Sandbox, accountId: string) {
  const region = 'us-east-1';
  const lt = (name: string) => ({ LaunchTemplateId: `lt-0${name.length.toString(16).padStart(16, '0')}`, LaunchTemplateName: name, Version: '$Default' });
  addGroup(sandbox, accountId, region, {
    name: 'acme-checkout', ageDays: 250, minSize: 2, maxSize: 6, desiredCapacity: 6, defaultCooldown: 300, instanceType: 'c5.large', launchTemplate: lt('acme-checkout'),
    tags: { team: 'checkout' }, cpu: { base: 62, amplitude: 25, noise: 3 }, inService: { base: 5, amplitude: 2, max: 6 },
    policies: [targetTracking('acme-checkout', 50)],
  });
  addGroup(sandbox, accountId, region, {
    name: 'acme-search', ageDays: 250, minSize: 2, maxSize: 4, desiredCapacity: 4, defaultCooldown: 300, instanceType: 'm5.large', launchTemplate: lt('acme-search'),
    tags: { team: 'search' }, cpu: { base: 38, amplitude: 8, noise: 2 }, inService: { base: 3, amplitude: 2, max: 4 },
    policies: [targetTracking('acme-search', 50)],
  });
}

/** The benchmark: `groups` groups, every other one pinned at MaxSize above its target; Compute Optimizer opted in. */
export function seedCapacityGroups(sandbox: Sandbox, accountId: string, region: string, groups: number) {
  setComputeOptimizerEnrollment(sandbox, accountId, 'Active');
  for (let i = 0; i < groups; i++) {
    const name = `capacity-${String(i).padStart(5, '0')}`;
    const base = { name, ageDays: 90, defaultCooldown: 300, instanceType: 'c5.large', tags: { bench: 'true' }, policies: [targetTracking(name, 50)] };
    if (i % 2 === 0) addGroup(sandbox, accountId, region, { ...base, minSize: 2, maxSize: 6, desiredCapacity: 6, cpu: { base: 62, amplitude: 25, noise: 3 }, inService: { base: 5, amplitude: 2, max: 6 } });
    else addGroup(sandbox, accountId, region, { ...base, minSize: 2, maxSize: 10, desiredCapacity: 3, cpu: { base: 40, noise: 5 }, inService: { base: 3 } });
  }
}
