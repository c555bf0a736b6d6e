/**
 * Sandbox CloudWatch Logs: log groups with retention, stored bytes and tags. DescribeLogGroups
 * pages at most 50 groups (`limit` 1..50, `nextToken`), sorted by name as AWS lists them;
 * PutRetentionPolicy accepts only the retention values AWS allows; DeleteRetentionPolicy
 * restores "never expire". Shapes follow test/fixtures/cloudwatch-logs/DescribeLogGroups.json.
 */
import { awsError, paginate, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';
import { logsInsightsOperations, type LambdaReportSeries, type StoredQuery } from './logs-insights.ts';

export interface SandboxLogGroup {
  name: string;
  /** Epoch milliseconds (the API's creationTime is a number, not a timestamp). */
  creationTime: number;
  retentionInDays?: number;
  storedBytes: number;
  metricFilterCount?: number;
  logGroupClass?: 'STANDARD' | 'INFREQUENT_ACCESS';
  tags?: Record<string, string>;
}

export interface LogsState {
  groups: Record<string, SandboxLogGroup>;
  /** Logs Insights: what the Lambda REPORT lines of a group say (lib/sandbox/services/logs-insights.ts). */
  lambdaReports?: Record<string, LambdaReportSeries>;
  /** Logs Insights queries started, by id. */
  queries?: Record<string, StoredQuery>;
  /** Concurrent Logs Insights queries allowed (AWS: 100 per account and region); tests lower it. */
  queryConcurrency?: number;
}

export const logsState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<LogsState>(account, region, 'cloudwatchlogs', () => ({ groups: {} }));

/** The values PutRetentionPolicy accepts (CloudWatch Logs API reference). */
export const VALID_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const notFound = () => awsError('ResourceNotFoundException', 'The specified log group does not exist.');

const groupArn = (region: string, account: string, name: string) => `arn:aws:logs:${region}:${account}:log-group:${name}`;

export const cloudwatchLogsService: SandboxService = {
  id: 'cloudwatchlogs',
  operations: {
    DescribeLogGroups(input, { sandbox, account, region }) {
      if (input.logGroupNamePrefix && input.logGroupNamePattern) {
        throw awsError('InvalidParameterException', 'logGroupNamePrefix and logGroupNamePattern are mutually exclusive.');
      }
      const groups = Object.values(logsState(sandbox, account, region).groups)
        .filter((g) => (!input.logGroupNamePrefix || g.name.startsWith(input.logGroupNamePrefix)) && (!input.logGroupNamePattern || g.name.includes(input.logGroupNamePattern)))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const { page, nextToken } = paginate(groups, { token: input.nextToken, max: input.limit }, { defaultMax: 50, maxMax: 50, operation: 'DescribeLogGroups', invalidTokenCode: 'InvalidParameterException' });
      return {
        logGroups: page.map((g) => ({
          logGroupName: g.name,
          creationTime: g.creationTime,
          ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
          metricFilterCount: g.metricFilterCount ?? 0,
          arn: `${groupArn(region, account.id, g.name)}:*`,
          logGroupArn: groupArn(region, account.id, g.name),
          storedBytes: g.storedBytes,
          logGroupClass: g.logGroupClass ?? 'STANDARD',
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },

    PutRetentionPolicy(input, { sandbox, account, region }) {
      const group = logsState(sandbox, account, region).groups[input.logGroupName];
      if (!group) throw notFound();
      if (!(VALID_RETENTION_DAYS as readonly number[]).includes(input.retentionInDays)) {
        throw awsError('InvalidParameterException', `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${VALID_RETENTION_DAYS.join(', ')}]`);
      }
      group.retentionInDays = input.retentionInDays;
      return {};
    },

    DeleteRetentionPolicy(input, { sandbox, account, region }) {
      const group = logsState(sandbox, account, region).groups[input.logGroupName];
      if (!group) throw notFound();
      delete group.retentionInDays;
      return {};
    },

    // Tags of one log group, by ARN (without the trailing ':*'), as ListTagsForResource takes it.
    ListTagsForResource(input, { sandbox, account, region }) {
      const name = String(input.resourceArn ?? '').replace(/^arn:aws:logs:[^:]+:\d+:log-group:/, '').replace(/:\*$/, '');
      const group = logsState(sandbox, account, region).groups[name];
      if (!group) throw notFound();
      return { tags: { ...group.tags } };
    },

    ...logsInsightsOperations,
  },
};
