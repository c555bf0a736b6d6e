/**
 * Event-driven runs for one group: what the alarm trigger hands the engine when a
 * CloudWatch alarm on a group fires. Pure; the engine then lists only that group
 * (DescribeAutoScalingGroups with AutoScalingGroupNames) and reads its policies and
 * activities per group instead of region-wide.
 */
import type { RunOptions } from '../../engine/run.ts';
import { InvalidEventError } from '../../util/errors.ts';

/** AWS: 1–255 characters, no colon (ARNs are not names). */
const GROUP_NAME = /^[^:]{1,255}$/;

export function groupTargets(autoScalingGroupName: string, region?: string): NonNullable<RunOptions['targets']> {
  if (typeof autoScalingGroupName !== 'string' || !GROUP_NAME.test(autoScalingGroupName) || autoScalingGroupName.trim() !== autoScalingGroupName) {
    throw new InvalidEventError(
      `'${String(autoScalingGroupName)}' is not an Auto Scaling group name (1 to 255 characters, no colon, no surrounding spaces; pass the name, not the ARN).`,
    );
  }
  return { resourceType: 'asg', ids: [autoScalingGroupName], ...(region ? { region } : {}) };
}
