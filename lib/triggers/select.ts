/** Which policies an event or an alarm runs. */
import type { Policy } from '../policy/load.ts';
import { matchesPattern, type EventPattern } from './pattern.ts';

export type AlarmMatcher = string | { prefix: string };

/** The event patterns of a policy. */
export const eventPatterns = (policy: Policy): EventPattern[] => policy.triggers.flatMap((t) => ('event' in t ? [t.event as EventPattern] : []));

/** The alarm names / prefixes of a policy. */
export const alarmMatchers = (policy: Policy): AlarmMatcher[] =>
  policy.triggers.flatMap((t) => ('alarm' in t ? [typeof t.alarm === 'string' ? t.alarm : { prefix: t.alarm.prefix }] : []));

export const alarmMatches = (matcher: AlarmMatcher, alarmName: string) =>
  typeof matcher === 'string' ? matcher === alarmName : alarmName.startsWith(matcher.prefix);

/** Policies with an `event` trigger whose pattern matches the raw event. */
export function policiesForEvent(policies: Policy[], event: unknown): Policy[] {
  return policies.filter((p) => eventPatterns(p).some((pattern) => matchesPattern(pattern, event)));
}

/** Policies with an `alarm` trigger naming this alarm (exactly or by prefix). */
export function policiesForAlarm(policies: Policy[], alarmName: string): Policy[] {
  return policies.filter((p) => alarmMatchers(p).some((m) => alarmMatches(m, alarmName)));
}
