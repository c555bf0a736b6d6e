/**
 * Sandbox groups for launch-template right-sizing: each gets its own launch template (version 1
 * with the group's type). Kept out of the small-company scenario so its counts stay put; tests
 * and benches add these groups where they need them.
 */
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { launchTemplatesState, putLaunchTemplate } from '../../sandbox/services/ec2-launch-templates.ts';
import { addGroup, type GroupSeed } from './sandbox-seed.ts';

/** Adds a group that launches from its own launch template ($Default unless `version` says otherwise). */
export function addLaunchTemplateGroup(sandbox: Sandbox, accountId: string, region: string, seed: Omit<GroupSeed, 'launchTemplate'> & { instanceType: string; version?: string; imageId?: string }) {
  // imageId: one of the sandbox's public AMIs (lib/sandbox/services/ec2.ts PUBLIC_IMAGES: Amazon Linux by default, Windows, RHEL) or an image of the account.
  const { version = '$Default', imageId = 'ami-0abcdef1234567890', ...group } = seed;
  const state = launchTemplatesState(sandbox, sandbox.account(accountId), region);
  const template = putLaunchTemplate(state, `${seed.name}-lt`, { ImageId: imageId, InstanceType: seed.instanceType, KeyName: 'ops' }, new Date(sandbox.now().getTime() - 90 * 86_400_000).toISOString());
  addGroup(sandbox, accountId, region, { ...group, launchTemplate: { LaunchTemplateId: template.id, LaunchTemplateName: template.name, Version: version } });
  return template;
}

/**
 * The small company's part: a render fleet of 4 × c5.2xlarge on its own launch template at about
 * 10 % CPU (the launch-template right-sizing case). MinSize 1 and no scaling policy, so only
 * oversized-group-instances flags it.
 */
export function seedAsgRightsizeSmallCompany(sandbox: Sandbox, accountId: string) {
  addLaunchTemplateGroup(sandbox, accountId, 'us-east-1', {
    name: 'acme-render', ageDays: 60, minSize: 1, maxSize: 8, desiredCapacity: 4, defaultCooldown: 300, instanceType: 'c5.2xlarge',
    tags: { team: 'media' }, cpu: { base: 10, noise: 2 }, inService: { base: 4 },
  });
}
