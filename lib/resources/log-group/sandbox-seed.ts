/**
 * The CloudWatch Logs part of the "small company" scenario. Waste: groups that never expire
 * their events. Traps: groups with a retention already, and one tagged trimtab:skip (only
 * visible per group, so `run` finds it right before the write and leaves it alone).
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { logsState, type SandboxLogGroup } from '../../sandbox/services/cloudwatchlogs.ts';
import { GIB } from '../../savings/prices.ts';

export function seedLogGroup(sandbox: Sandbox, accountId: string, region: string, name: string, spec: { ageDays: number; storedGb: number; retentionInDays?: number; tags?: Record<string, string> }) {
  const group: SandboxLogGroup = {
    name,
    creationTime: daysAgo(sandbox.now(), spec.ageDays).getTime(),
    storedBytes: Math.round(spec.storedGb * GIB),
    ...(spec.retentionInDays !== undefined ? { retentionInDays: spec.retentionInDays } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
  };
  logsState(sandbox, sandbox.account(accountId), region).groups[name] = group;
}

export function seedLogGroupSmallCompany(sandbox: Sandbox, accountId: string) {
  const g = (name: string, spec: Parameters<typeof seedLogGroup>[4]) => seedLogGroup(sandbox, accountId, 'us-east-1', name, spec);
  g('/aws/lambda/orders-api', { ageDays: 400, storedGb: 120 });
  g('/aws/lambda/legacy-cron', { ageDays: 900, storedGb: 40 });
  g('/aws/vpc/flow-logs', { ageDays: 20, storedGb: 5 });
  g('/ecs/web', { ageDays: 500, storedGb: 12, retentionInDays: 30 });
  g('/aws/lambda/aws-controltower-NotificationForwarder', { ageDays: 800, storedGb: 0.01, retentionInDays: 14 });
  g('/audit/cloudtrail', { ageDays: 1000, storedGb: 300, tags: { 'trimtab:skip': 'audit evidence, kept 7 years' } });
}
