/**
 * Fault rules for the sandbox: fail one operation, under one condition, with the error AWS
 * would answer. Used by the partial-failure tests (test/integration/partial-failures.test.ts)
 * and, through TRIMTAB_SANDBOX_FAULTS, by the CLI in the sandbox:
 *
 *   TRIMTAB_SANDBOX_FAULTS='[{"operation":"cloudwatch:GetMetricData","when":"percentile","error":"server-error"}]'
 *
 * The errors go through the SDK as AWS's would (the sandbox answers on the wire): a throttling
 * error is retried by the SDK's own retry strategy before it reaches trimtab.
 */
import { awsError, type FaultOptions } from './sandbox.ts';
import { iamActionOf } from '../engine/partial.ts';

export type FaultKind = 'denied' | 'throttled' | 'server-error' | 'timeout';

/** A rule: calls to `operation` (matching `when`) fail with `error`, at most `times` times. */
export interface FaultRule {
  /** `service:Operation`, with the sandbox's or IAM's service name: `cloudwatch:GetMetricData`, `logs:StartQuery`. */
  operation: string;
  /** Only the calls whose input this accepts; `percentile`: GetMetricData asking for a percentile statistic. */
  when?: ((input: any) => boolean) | 'percentile';
  error: FaultKind | (() => Error);
  /** At most this many calls fail (default: every matching call). */
  times?: number;
}

/** IAM service prefixes → the sandbox's service keys. */
const SERVICE_KEYS: Record<string, string> = { logs: 'cloudwatchlogs', 'application-autoscaling': 'applicationautoscaling', tag: 'resourcegroupstaggingapi' };

/** AWS's access-denied code and HTTP status per service (others: AccessDeniedException, 400). */
const DENIED: Record<string, [string, number]> = {
  ec2: ['UnauthorizedOperation', 403],
  s3: ['AccessDenied', 403],
  cloudwatch: ['AccessDenied', 403],
  autoscaling: ['AccessDenied', 403],
  rds: ['AccessDenied', 403],
  lambda: ['AccessDeniedException', 403],
};

/** AWS's throttling code and status per service: codes the SDK retries (others: ThrottlingException, 400). */
const THROTTLED: Record<string, [string, number]> = {
  ec2: ['RequestLimitExceeded', 503],
  s3: ['SlowDown', 503],
  cloudwatch: ['Throttling', 400],
  autoscaling: ['Throttling', 400],
  rds: ['Throttling', 400],
  lambda: ['TooManyRequestsException', 429],
};

/** Percentile-like extended statistics (p95, tm99, wm90, tc(…), ts(…), pr(…)). */
export const PERCENTILE_STAT = /^(p\d|tm|wm|tc|ts|pr|iqm)/i;

/** Whether a GetMetricData input asks for a percentile statistic. */
export const asksForPercentile = (input: any): boolean =>
  (input?.MetricDataQueries ?? []).some((q: any) => PERCENTILE_STAT.test(q?.MetricStat?.Stat ?? '') || /\b(p\d+|PERCENTILE)\b/.test(q?.Expression ?? ''));

const ACCOUNT_ROLE = 'arn:aws:sts::000000000000:assumed-role/trimtab-reader/trimtab';

/** The error AWS answers for a fault kind on `service:operation` (IAM action `iamAction`). */
export function faultError(kind: FaultKind, service: string, operation: string, iamAction: string): Error {
  if (kind === 'denied') {
    const [code, status] = DENIED[service] ?? ['AccessDeniedException', 400];
    return awsError(code, `User: ${ACCOUNT_ROLE} is not authorized to perform: ${iamAction} because no identity-based policy allows the ${iamAction} action`, status);
  }
  if (kind === 'throttled') {
    const [code, status] = THROTTLED[service] ?? ['ThrottlingException', 400];
    return awsError(code, 'Rate exceeded', status);
  }
  if (kind === 'timeout') {
    const error = new Error(`Connection timed out after 30000 ms (${operation})`);
    error.name = 'TimeoutError';
    return error;
  }
  // Price List: botocore pricing/2017-10-15 InternalErrorException (fault: 500).
  return awsError(service === 'cloudwatch' ? 'InternalServiceError' : service === 'pricing' ? 'InternalErrorException' : 'InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
}

/** A `failWhen` for the sandbox's FaultOptions from rules; `hits` counts the calls each rule failed. */
export function faultRules(rules: FaultRule[]): { failWhen: NonNullable<FaultOptions['failWhen']>; hits: number[] } {
  const hits = rules.map(() => 0);
  const parsed = rules.map((rule) => {
    const [prefix, operation] = rule.operation.split(':');
    if (!prefix || !operation) throw new Error(`Fault rule operation '${rule.operation}' is not service:Operation.`);
    const iamPrefix = Object.entries(SERVICE_KEYS).find(([, v]) => v === prefix)?.[0] ?? prefix;
    // AWS's denial names the IAM action, which is not always the operation's name (S3).
    return { rule, service: SERVICE_KEYS[prefix] ?? prefix, operation, iamAction: iamActionOf(`${iamPrefix}:${operation}`) };
  });
  return {
    hits,
    failWhen: (call) => {
      for (const [i, { rule, service, operation, iamAction }] of parsed.entries()) {
        if (call.service !== service || call.operation !== operation) continue;
        if (rule.when === 'percentile' ? !asksForPercentile(call.input) : rule.when && !rule.when(call.input)) continue;
        if (rule.times !== undefined && hits[i] >= rule.times) continue;
        hits[i] += 1;
        return typeof rule.error === 'function' ? rule.error() : faultError(rule.error, service, operation, iamAction);
      }
      return undefined;
    },
  };
}

/** Rules from TRIMTAB_SANDBOX_FAULTS (JSON: [{ operation, when?: "percentile", error, times? }]); none when unset. */
export function faultsFromEnv(text = process.env.TRIMTAB_SANDBOX_FAULTS): FaultOptions | undefined {
  if (!text) return undefined;
  const rules = JSON.parse(text) as FaultRule[];
  if (!Array.isArray(rules)) throw new Error('TRIMTAB_SANDBOX_FAULTS must be a JSON array of fault rules.');
  for (const r of rules) {
    if (typeof r.operation !== 'string' || !['denied', 'throttled', 'server-error', 'timeout'].includes(r.error as string) || (r.when !== undefined && r.when !== 'percentile')) {
      throw new Error(`TRIMTAB_SANDBOX_FAULTS: bad rule ${JSON.stringify(r)} (operation "service:Operation", error denied|throttled|server-error|timeout, when "percentile").`);
    }
  }
  return { failWhen: faultRules(rules).failWhen };
}
