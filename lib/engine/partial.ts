/**
 * Partial failures: one failed enrichment read costs only the findings that need it.
 *
 * A resource module gathers what detectors ask for through `needs` (a metric window, memory use,
 * attached volumes, …). Each of those reads is run through `enrichmentRead`, which names the
 * needs it provides and the resources it is for. When the read fails (an AWS error after the
 * SDK's retries: denied, throttled, a 5xx, a timeout, a broken connection), the failure is
 * recorded in the region's `ReadGaps` for those needs and resources, and the module goes on
 * without the data. The engine then does not evaluate a detector on a resource that lacks one of
 * its needs, evaluates every other detector as usual, and reports each detector that could not
 * be evaluated: on which resources (counted, with a sample of ids) and why (the operation, AWS's
 * error code and message, the IAM action when access was denied).
 *
 * A read that fails outside `enrichmentRead` (a module not yet converted) is caught by the engine
 * around the module's whole `enrich` call: every need of that call is then unavailable for the
 * page, and detectors that need nothing are still evaluated on it. Errors that are not read
 * failures (bugs, the dry-run guard) are never swallowed here.
 */
import { DryRunViolationError, errorMessage } from '../util/errors.ts';

/** Why a read failed, as the run reports it. */
export interface ReadFailure {
  /** The API operation, as `<IAM service prefix>:<Operation>`, e.g. `cloudwatch:GetMetricData`. */
  operation: string;
  /** AWS's error code (`AccessDeniedException`, `ThrottlingException`, `InternalError`), or `TimeoutError`, `ECONNRESET`. */
  code: string;
  message: string;
  /** denied: an IAM (or SCP, resource policy) refusal; throttled: still throttled after the SDK's retries. */
  kind: 'denied' | 'throttled' | 'timeout' | 'server-error' | 'client-error' | 'network';
  httpStatus?: number;
  /** When access was denied: the IAM action to grant. */
  missingPermission?: string;
}

/** A detector that could not be evaluated on some resources, for one reason. */
export interface Unevaluated {
  policy: string;
  detector: string;
  resourceType: string;
  account: string;
  region: string;
  /** The needs it lacked (e.g. `utilization`, `metrics:14`). */
  needs: string[];
  reason: ReadFailure;
  /** How many resources it was not evaluated on. */
  count: number;
  /** Up to UNEVALUATED_SAMPLE of their ids. */
  sample: string[];
}

export const UNEVALUATED_SAMPLE = 5;

/** The error class names of SDK and socket timeouts. */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'NetworkingError']);
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'SlowDown', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException', 'ProvisionedThroughputExceededException', 'LimitExceededException']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'AuthorizationErrorException', 'UnauthorizedException', 'Forbidden']);

/** The operation a client call failed in, set on the error by the client factory (lib/aws/clients.ts). */
export const FAILED_OPERATION = '$trimtabOperation';

/** SDK service keys whose IAM prefix differs. */
const IAM_PREFIX: Record<string, string> = {
  cloudwatchlogs: 'logs',
  applicationautoscaling: 'application-autoscaling',
  resourcegroupstaggingapi: 'tag',
  computeoptimizer: 'compute-optimizer',
  elasticloadbalancingv2: 'elasticloadbalancing',
  elasticloadbalancing: 'elasticloadbalancing',
};

/** API operations whose IAM action has another name. */
const IAM_ACTION: Record<string, string> = {
  's3:GetBucketLifecycleConfiguration': 's3:GetLifecycleConfiguration',
  's3:ListMultipartUploads': 's3:ListBucketMultipartUploads',
  's3:ListBuckets': 's3:ListAllMyBuckets',
  's3:HeadBucket': 's3:ListBucket',
  'cloudwatch:GetMetricData': 'cloudwatch:GetMetricData',
};

/** The IAM action an API operation (`<IAM prefix>:<Operation>`) needs: `s3:GetBucketLifecycleConfiguration` → `s3:GetLifecycleConfiguration`. */
export const iamActionOf = (operation: string): string => IAM_ACTION[operation] ?? operation;

/** `cloudwatchlogs:StartQuery` → `logs:StartQuery`. */
export function iamOperation(serviceAndOperation: string): string {
  const [service, operation] = serviceAndOperation.split(':');
  return `${IAM_PREFIX[service] ?? service}:${operation}`;
}

const field = (error: unknown, name: string): unknown => (error && typeof error === 'object' ? (error as Record<string, unknown>)[name] : undefined);

/**
 * Whether an error is a failed read (AWS answered with an error after the SDK's retries, or the
 * call timed out or lost its connection), as opposed to a bug or the dry-run guard.
 */
export function isReadFailure(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof DryRunViolationError) return false;
  if (field(error, '$metadata') !== undefined || field(error, '$fault') !== undefined) return true;
  if (TIMEOUTS.has(error.name) || NETWORK.has(error.name)) return true;
  const code = field(error, 'code');
  return typeof code === 'string' && NETWORK.has(code);
}

/** What the run says about a failed read. `operation` is the caller's guess when the error does not carry it. */
export function describeFailure(error: unknown, operation: string): ReadFailure {
  const name = (error as Error)?.name ?? 'Error';
  const codeField = field(error, 'code');
  const code = name === 'Error' && typeof codeField === 'string' ? codeField : name;
  const failed = field(error, FAILED_OPERATION);
  const op = typeof failed === 'string' ? iamOperation(failed) : operation;
  const status = (field(error, '$metadata') as { httpStatusCode?: number } | undefined)?.httpStatusCode;
  const message = errorMessage(error);
  const kind: ReadFailure['kind'] = DENIED.has(code) || status === 403
    ? 'denied'
    : THROTTLING.has(code) || status === 429
      ? 'throttled'
      : TIMEOUTS.has(code)
        ? 'timeout'
        : NETWORK.has(code)
          ? 'network'
          : (status ?? 500) >= 500 || field(error, '$fault') === 'server'
            ? 'server-error'
            : 'client-error';
  // AWS names the action in most denials: "… is not authorized to perform: logs:StartQuery on resource …".
  const named = /not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z0-9*]+)/.exec(message)?.[1];
  return {
    operation: op,
    code,
    message,
    kind,
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(kind === 'denied' ? { missingPermission: named ?? iamActionOf(op) } : {}),
  };
}

/** One line: "cloudwatch:GetMetricData failed: AccessDeniedException (missing IAM permission cloudwatch:GetMetricData): …". */
export function failureText(f: ReadFailure): string {
  const what =
    f.kind === 'denied'
      ? `access denied (${f.code}; missing IAM permission ${f.missingPermission})`
      : f.kind === 'throttled'
        ? `throttled past the SDK's retries (${f.code})`
        : f.kind === 'timeout'
          ? `timed out (${f.code})`
          : `${f.code}${f.httpStatus ? ` (HTTP ${f.httpStatus})` : ''}`;
  return `${f.operation} ${what}: ${f.message}`;
}

/** Every resource of the region (a read made once per region, in `prepare`). */
const ALL = '*';

/**
 * The needs that failed in one region's listing, per resource. Made by the engine for each
 * resource type and region; modules reach it through `ctx.gaps` (via `enrichmentRead`).
 */
export class ReadGaps {
  private readonly byResource = new Map<string, Map<string, ReadFailure>>();

  constructor(private readonly idOf: (item: unknown) => string) {}

  /** Records that `needs` could not be read for `items` (absent: every resource of the region). */
  fail(items: readonly unknown[] | undefined, needs: readonly string[], failure: ReadFailure): void {
    for (const key of items ? items.map(this.idOf) : [ALL]) {
      const gaps = this.byResource.get(key) ?? new Map<string, ReadFailure>();
      for (const need of needs) if (!gaps.has(need)) gaps.set(need, failure);
      this.byResource.set(key, gaps);
    }
  }

  /** The needs among `needs` this resource lacks, each with the first failure that cost it. */
  missing(item: unknown, needs: readonly string[]): { need: string; failure: ReadFailure }[] {
    if (this.byResource.size === 0 || needs.length === 0) return [];
    const own = this.byResource.get(this.idOf(item));
    const all = this.byResource.get(ALL);
    const out: { need: string; failure: ReadFailure }[] = [];
    for (const need of needs) {
      const failure = own?.get(need) ?? all?.get(need);
      if (failure) out.push({ need, failure });
    }
    return out;
  }

  get empty(): boolean {
    return this.byResource.size === 0;
  }
}

/**
 * Runs one enrichment read that provides `provides` (need strings, as the detectors ask for them)
 * for `items` (absent: every resource of the region). On a read failure during an engine run, the
 * failure is recorded and `undefined` returned: the caller leaves those resources without the
 * data, and the engine does not evaluate the detectors that need it on them. Outside an engine
 * run (no `ctx.gaps`), and for errors that are not read failures, the error is thrown as before.
 */
export async function enrichmentRead<T>(
  ctx: { gaps?: ReadGaps },
  read: { provides: readonly string[]; items?: readonly unknown[]; operation: string },
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (!ctx.gaps || !isReadFailure(error)) throw error;
    // With `provides` empty (no detector of this run needs the read), nothing is recorded: nothing is lost.
    ctx.gaps.fail(read.items, read.provides, describeFailure(error, read.operation));
    return undefined;
  }
}

/** The needs in `needs` that start with `prefix` (a need with a parameter, e.g. `metrics:14`). */
export const needsStartingWith = (needs: ReadonlySet<string>, prefix: string): string[] => [...needs].filter((n) => n.startsWith(prefix));

/**
 * Collects the (policy, detector, resource) pairs a region could not evaluate, grouped by
 * detector and reason, counted, with a sample of resource ids.
 */
export class UnevaluatedTally {
  private readonly groups = new Map<string, Unevaluated>();
  /** Listeners get every pair (the audit trail records one per resource). */
  readonly pairs: { policy: string; detector: string; resource: { type: string; id: string; arn: string; account: string; region: string; tags: Record<string, string> }; needs: string[]; reason: ReadFailure }[] = [];

  add(entry: Omit<Unevaluated, 'count' | 'sample' | 'account' | 'region' | 'resourceType'> & { resource: { type: string; id: string; arn: string; account: string; region: string; tags: Record<string, string> } }): void {
    const { resource, ...rest } = entry;
    const key = JSON.stringify([rest.policy, rest.detector, resource.type, resource.account, resource.region, rest.reason.operation, rest.reason.code, rest.needs]);
    const group = this.groups.get(key) ?? { ...rest, resourceType: resource.type, account: resource.account, region: resource.region, count: 0, sample: [] };
    group.count += 1;
    if (group.sample.length < UNEVALUATED_SAMPLE) group.sample.push(resource.id);
    this.groups.set(key, group);
    this.pairs.push({ policy: rest.policy, detector: rest.detector, resource, needs: rest.needs, reason: rest.reason });
  }

  list(): Unevaluated[] {
    return [...this.groups.values()];
  }
}

/** One line per group, for people: "ec2-rightsizing (oversized-instance): not evaluated on 3 ec2-instance in us-east-1 (i-1, i-2, i-3): …". */
export function unevaluatedLine(u: Unevaluated): string {
  const more = u.count > u.sample.length ? `, … ${u.count - u.sample.length} more` : '';
  return `${u.policy} (${u.detector}): not evaluated on ${u.count} ${u.resourceType} in ${u.region} (${u.sample.join(', ')}${more}), lacking ${u.needs.join(', ')}: ${failureText(u.reason)}`;
}
