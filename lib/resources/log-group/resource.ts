/**
 * CloudWatch Logs log groups, listed with the DescribeLogGroups paginator (50 a page, the API's
 * maximum). DescribeLogGroups carries no tags, and reading them is one call per group
 * (ListTagsForResource), so the `trimtab:skip` tag is checked for the one group an action is
 * about to change, right before the write (bounded by maxActionsPerRun), never per listed group.
 */
import { CloudWatchLogsClient, paginateDescribeLogGroups, type LogGroup as SdkLogGroup } from '@aws-sdk/client-cloudwatch-logs';
import type { ResourceType } from '../../engine/types.ts';
import { partitionOf } from '../../aws/regions.ts';

export interface LogGroup {
  name: string;
  /** Epoch milliseconds. */
  creationTime: number;
  retentionInDays?: number;
  storedBytes: number;
  logGroupClass: string;
  metricFilterCount: number;
  /** The ARN without the trailing ':*' (what tagging APIs take). */
  arn: string;
}

export const PAGE_SIZE = 50;

export function toLogGroup(g: SdkLogGroup, region: string, account: string): LogGroup {
  const name = g.logGroupName!;
  return {
    name,
    creationTime: g.creationTime ?? 0,
    ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    storedBytes: g.storedBytes ?? 0,
    logGroupClass: g.logGroupClass ?? 'STANDARD',
    metricFilterCount: g.metricFilterCount ?? 0,
    arn: g.logGroupArn ?? (g.arn ? g.arn.replace(/:\*$/, '') : `arn:${partitionOf(region)}:logs:${region}:${account}:log-group:${name}`),
  };
}

/** The log group named `name`, read with a prefix listing (exact match), or undefined. */
export async function describeLogGroup(logs: CloudWatchLogsClient, name: string, region: string, account: string): Promise<LogGroup | undefined> {
  for await (const page of paginateDescribeLogGroups({ client: logs, pageSize: PAGE_SIZE }, { logGroupNamePrefix: name })) {
    const found = (page.logGroups ?? []).find((g) => g.logGroupName === name);
    if (found) return toLogGroup(found, region, account);
  }
  return undefined;
}

export const logGroupResource: ResourceType<LogGroup> = {
  id: 'log-group',
  title: 'CloudWatch Logs log group',
  permissions: ['logs:DescribeLogGroups'],

  async *list(ctx, _prepared, ids) {
    const logs = ctx.clients.get(CloudWatchLogsClient, ctx.region);
    if (ids?.length) {
      // Event-driven runs name a few groups: one prefix listing each.
      for (const name of ids) {
        const g = await describeLogGroup(logs, name, ctx.region, ctx.account);
        if (g) yield [g];
      }
      return;
    }
    for await (const page of paginateDescribeLogGroups({ client: logs, pageSize: PAGE_SIZE }, {})) {
      const groups = (page.logGroups ?? []).filter((g) => g.logGroupName).map((g) => toLogGroup(g, ctx.region, ctx.account));
      if (groups.length) yield groups;
    }
  },

  ref(g, ctx) {
    // Tags are not listed (see above): the skip tag is checked at apply time.
    return { type: 'log-group', id: g.name, arn: g.arn, account: ctx.account, region: ctx.region, tags: {} };
  },
};
