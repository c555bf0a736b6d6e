/**
 * The packaged template (after `npx osls package`) holds the audit trail and observability:
 * the audit table with its TTL and indexes, the idempotency table, the dashboard, the alarms,
 * the dead-letter queue, and the IAM each function needs to record.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_TABLE_KEYS } from '../../lib/audit/dynamodb.ts';
import { METRIC_NAMES } from '../../lib/lambda/metrics.ts';

const TEMPLATE = '.serverless/cloudformation-template-update-stack.json';
const template = existsSync(TEMPLATE) ? JSON.parse(readFileSync(TEMPLATE, 'utf8')) : undefined;
const resources: Record<string, any> = template?.Resources ?? {};
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functions = ofType('AWS::Lambda::Function').map(([id]) => id);

describe('the packaged template: audit trail', () => {
  it('exists (run `npx osls package` first)', () => {
    expect(template, `${TEMPLATE} is missing`).toBeDefined();
  });

  it('defines the audit table with the store\'s keys, a GSI per history filter and a TTL', () => {
    const table = resources.TrimtabAuditTable.Properties;
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual([{ AttributeName: AUDIT_TABLE_KEYS.key.pk, KeyType: 'HASH' }, { AttributeName: AUDIT_TABLE_KEYS.key.sk, KeyType: 'RANGE' }]);
    const indexes = Object.fromEntries(table.GlobalSecondaryIndexes.map((g: any) => [g.IndexName, { pk: g.KeySchema[0].AttributeName, sk: g.KeySchema[1].AttributeName }]));
    expect(indexes).toEqual(AUDIT_TABLE_KEYS.indexes);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled).toBe(true);
    expect(resources.TrimtabAuditTable.DeletionPolicy).toBe('Retain');
  });

  it('defines the idempotency table as Powertools expects it (id key, expiration TTL)', () => {
    const table = resources.TrimtabIdempotencyTable.Properties;
    expect(table.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
  });

  it('tells every function where to record: tables, bus, TTL attribute and retention', () => {
    for (const id of functions) {
      const env = resources[id].Properties.Environment.Variables;
      // Names rather than Refs, so `osls invoke local` resolves them offline; they must be the tables' names.
      expect(env.TRIMTAB_AUDIT_TABLE).toBe(resources.TrimtabAuditTable.Properties.TableName);
      expect(env.TRIMTAB_IDEMPOTENCY_TABLE).toBe(resources.TrimtabIdempotencyTable.Properties.TableName);
      expect(env.TRIMTAB_EVENT_BUS).toBe('default');
      expect(env.TRIMTAB_AUDIT_TTL_ATTRIBUTE).toBe('expiresAt');
      expect(env.TRIMTAB_AUDIT_RETENTION_DAYS).toBe('365');
    }
    expect(resources.ScanLambdaFunction.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('grants the sweep exactly the audit calls, on trimtab\'s own table, bus and queue', () => {
    const statements = resources.ScanIamRoleLambdaExecution.Properties.Policies[0].PolicyDocument.Statement;
    const onTable = statements.find((s: any) => JSON.stringify(s.Resource).includes('TrimtabAuditTable'));
    expect(onTable.Action).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(JSON.stringify(onTable.Resource)).toContain('/index/*');
    expect(statements.flatMap((s: any) => s.Action)).not.toContain('dynamodb:Scan');
    const events = statements.find((s: any) => s.Action.includes('events:PutEvents'));
    expect(JSON.stringify(events.Resource)).toContain(':event-bus/default');
    const dlq = statements.find((s: any) => s.Action.includes('sqs:SendMessage'));
    expect(dlq.Resource).toEqual({ 'Fn::GetAtt': ['TrimtabDeadLetterQueue', 'Arn'] });
    expect(statements.some((s: any) => s.Action.includes('xray:PutTraceSegments'))).toBe(true);
  });
});

describe('the packaged template: observability', () => {
  it('has a dashboard with the four business metrics by policy, function errors and the DLQ depth', () => {
    const body = JSON.stringify(resources.TrimtabDashboard.Properties.DashboardBody);
    for (const metric of METRIC_NAMES) expect(body).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    expect(body).toContain('{trimtab,policy,service}');
    expect(body).toContain('{AWS/Lambda,FunctionName} MetricName=\\\\\\"Errors\\\\\\"');
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    // The region, stack and queue are the stack's own.
    expect(resources.TrimtabDashboard.Properties.DashboardBody['Fn::Join'][1]).toContainEqual({ Ref: 'AWS::Region' });
  });

  it('alarms on every function\'s Errors, to the alarm topic', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const id of functions) {
      const alarm = resources[`${id}ErrorsAlarm`].Properties;
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: id } }]);
      expect(alarm.AlarmActions).toEqual([{ Ref: 'TrimtabAlarmTopic' }]);
    }
  });

  it('sends failed asynchronous invocations to the SQS dead-letter queue and alarms on its depth', () => {
    expect(resources.TrimtabDeadLetterQueue.Type).toBe('AWS::SQS::Queue');
    const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    for (const id of functions) {
      const config = configs.find((c) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: id }));
      expect(config?.DestinationConfig?.OnFailure?.Destination, `${id} has no OnFailure destination`).toEqual({ 'Fn::GetAtt': ['TrimtabDeadLetterQueue', 'Arn'] });
    }
    const depth = resources.TrimtabDeadLetterQueueDepthAlarm.Properties;
    expect(depth).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(depth.Dimensions[0].Value).toEqual({ 'Fn::GetAtt': ['TrimtabDeadLetterQueue', 'QueueName'] });
  });

  it('alarms on failed remediations (the metric without the policy dimension)', () => {
    expect(resources.TrimtabRemediationsFailedAlarm.Properties).toMatchObject({ Namespace: 'trimtab', MetricName: 'RemediationsFailed', Dimensions: [{ Name: 'service', Value: 'trimtab' }] });
  });
});
