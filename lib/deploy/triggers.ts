/**
 * The trigger side of the stack, generated from the policies: one EventBridge rule per
 * distinct `event` pattern (target: the event function), one per distinct `alarm` name or
 * prefix (target: the alarm function; only ALARM states), the reconciler's schedule, and
 * each function's IAM.
 */
import type { Policy } from '../policy/load.ts';
import { ALARM_DETAIL_TYPE, ALARM_SOURCE } from '../triggers/resolvers.ts';
import { alarmMatchers, eventPatterns, type AlarmMatcher } from '../triggers/select.ts';
import { managedAlarmSpecs } from '../triggers/alarms.ts';
import { auditIamStatements } from './audit-stack.ts';
import { approvalRequestStatements } from '../approval/deploy.ts';
import { actionsFor, statementsFor, type IamStatement } from './iam.ts';
import { terraformStateStatements } from '../ownership/permissions.ts';

/** How often the reconciler brings managed alarms in line with the account. */
export const ALARM_SYNC_SCHEDULE = 'rate(1 hour)';

const describe = (what: string, policies: Policy[]) => `trimtab ${what}: ${policies.map((p) => p.id).join(', ')}`.slice(0, 512);

/** serverless `cloudwatchEvent` events (AWS::Events::Rule on the default bus), one per distinct pattern. */
export function eventRules(policies: Policy[]) {
  const byPattern = new Map<string, { pattern: Record<string, unknown>; policies: Policy[] }>();
  for (const policy of policies) {
    for (const pattern of eventPatterns(policy)) {
      const key = JSON.stringify(pattern);
      const entry = byPattern.get(key) ?? { pattern, policies: [] };
      if (!entry.policies.includes(policy)) entry.policies.push(policy);
      byPattern.set(key, entry);
    }
  }
  return [...byPattern.values()].map(({ pattern, policies: ps }) => ({
    cloudwatchEvent: { event: pattern, enabled: true, description: describe('event', ps) },
  }));
}

/** The EventBridge pattern for an alarm name or prefix going into ALARM. */
export function alarmPattern(matcher: AlarmMatcher) {
  return {
    source: [ALARM_SOURCE],
    'detail-type': [ALARM_DETAIL_TYPE],
    detail: { alarmName: [typeof matcher === 'string' ? matcher : { prefix: matcher.prefix }], state: { value: ['ALARM'] } },
  };
}

export function alarmRules(policies: Policy[]) {
  const byMatcher = new Map<string, { matcher: AlarmMatcher; policies: Policy[] }>();
  for (const policy of policies) {
    for (const matcher of alarmMatchers(policy)) {
      const key = JSON.stringify(matcher);
      const entry = byMatcher.get(key) ?? { matcher, policies: [] };
      if (!entry.policies.includes(policy)) entry.policies.push(policy);
      byMatcher.set(key, entry);
    }
  }
  return [...byMatcher.values()].map(({ matcher, policies: ps }) => ({
    cloudwatchEvent: { event: alarmPattern(matcher), enabled: true, description: describe('alarm', ps) },
  }));
}

/** Reads for every triggered policy, writes only for auto ones, and the idempotency table. */
function triggeredIam(policies: Policy[]): IamStatement[] {
  const auto = policies.filter((p) => p.mode === 'auto');
  const actions = new Set([...actionsFor(policies, { withRemediation: false }), ...actionsFor(auto, { withRemediation: true })]);
  // The audit statements include the idempotency table; a function with no policies still has them.
  return [...statementsFor([...actions]), ...terraformStateStatements(policies), ...auditIamStatements(), ...approvalRequestStatements(policies)];
}

export function alarmSyncIam(policies: Policy[]): IamStatement[] {
  const specs = managedAlarmSpecs(policies);
  const reads = actionsFor(specs.map((s) => s.policy), { withRemediation: false });
  const statements = [...statementsFor([...new Set([...reads, 'cloudwatch:DescribeAlarms'])])];
  const prefixes = [...new Set(specs.map((s) => s.prefix))].sort();
  if (prefixes.length) {
    statements.push({
      Effect: 'Allow',
      Action: ['cloudwatch:DeleteAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'],
      Resource: prefixes.map((prefix) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:*:\${AWS::AccountId}:alarm:${prefix}*` })),
    });
  }
  return statements;
}

export function triggerStackConfig(policies: Policy[]) {
  const eventPolicies = policies.filter((p) => eventPatterns(p).length > 0);
  const alarmPolicies = policies.filter((p) => alarmMatchers(p).length > 0);
  const managed = managedAlarmSpecs(policies);
  return {
    eventEvents: eventRules(eventPolicies),
    eventIamStatements: triggeredIam(eventPolicies),
    alarmEvents: alarmRules(alarmPolicies),
    alarmIamStatements: triggeredIam(alarmPolicies),
    alarmSyncEvents: managed.length
      ? [{ schedule: { rate: [ALARM_SYNC_SCHEDULE], enabled: true, input: {}, description: describe('alarm reconciler', managed.map((m) => m.policy)) } }]
      : [],
    alarmSyncIamStatements: alarmSyncIam(policies),
  };
}
