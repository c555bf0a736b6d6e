/**
 * The audit trail's part of the stack, generated at package time (serverless-vars.cjs):
 * IAM statements every trimtab function needs to record (audit table, idempotency table,
 * event bus), and the CloudWatch dashboard body. Resource names match serverless.yml.
 */
import { METRIC_NAMES } from '../lambda/metrics.ts';
import type { IamStatement } from './iam.ts';

const getAtt = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });

/** Least privilege for the audit trail: exactly the calls lib/audit makes, on trimtab's own resources. */
export function auditIamStatements(eventBus = process.env.TRIMTAB_EVENT_BUS || 'default'): IamStatement[] {
  const bus = eventBus.startsWith('arn:') ? eventBus : join('arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:event-bus/${eventBus}`);
  return [
    // DynamoActionStore: put/get records, batch findings, query the indexes (never Scan).
    { Effect: 'Allow', Action: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], Resource: [getAtt('TrimtabAuditTable'), join(getAtt('TrimtabAuditTable'), '/index/*')] },
    // Powertools DynamoDBPersistenceLayer.
    { Effect: 'Allow', Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: getAtt('TrimtabIdempotencyTable') },
    { Effect: 'Allow', Action: ['events:PutEvents'], Resource: bus },
  ];
}

/** Business metrics by policy (SEARCH picks up every policy), trimtab's own errors, and the DLQ. */
export function auditDashboardBody(namespace = 'trimtab') {
  const region = '__REGION__';
  const byPolicy = (metric: string, stat: string, title: string, y = 0, x = 0) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: {
      title,
      region,
      view: 'timeSeries',
      stacked: false,
      metrics: [[{ expression: `SEARCH('{${namespace},policy,service} MetricName="${metric}"', '${stat}', 86400)`, id: 'e1', label: '' }]],
    },
  });
  const widgets = [
    byPolicy(METRIC_NAMES[0], 'Sum', 'Findings detected per day, by policy', 0, 0),
    byPolicy(METRIC_NAMES[1], 'Maximum', 'Estimated monthly savings (USD), by policy', 0, 12),
    byPolicy(METRIC_NAMES[2], 'Sum', 'Remediations applied and verified per day, by policy', 6, 0),
    byPolicy(METRIC_NAMES[3], 'Sum', 'Remediations failed per day, by policy', 6, 12),
    {
      type: 'metric',
      x: 0,
      y: 12,
      width: 12,
      height: 6,
      properties: {
        title: "trimtab's function errors",
        region,
        view: 'timeSeries',
        metrics: [[{ expression: `SEARCH('{AWS/Lambda,FunctionName} MetricName="Errors" "__STACK__-"', 'Sum', 300)`, id: 'e1', label: '' }]],
      },
    },
    {
      type: 'metric',
      x: 12,
      y: 12,
      width: 12,
      height: 6,
      properties: {
        title: 'Failed asynchronous invocations waiting in the dead-letter queue',
        region,
        view: 'timeSeries',
        metrics: [['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '__DLQ__', { stat: 'Maximum' }]],
      },
    },
  ];
  // Stack values are spliced in with Fn::Join: the region, the stack name (functions are
  // named <stack>-<function>) and the dead-letter queue's name.
  const values: Record<string, unknown> = {
    REGION: { Ref: 'AWS::Region' },
    STACK: { Ref: 'AWS::StackName' },
    DLQ: { 'Fn::GetAtt': ['TrimtabDeadLetterQueue', 'QueueName'] },
  };
  const pieces = JSON.stringify({ widgets }).split(/__(REGION|STACK|DLQ)__/);
  return { 'Fn::Join': ['', pieces.map((piece, i) => (i % 2 === 1 ? values[piece] : piece)).filter((p) => p !== '')] };
}
