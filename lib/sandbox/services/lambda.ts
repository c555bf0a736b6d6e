/**
 * Sandbox Lambda: functions with their configuration, published versions, aliases (with
 * provisioned concurrency) and tags, answered on the wire (restJson1) so the SDK parses every
 * answer as it parses AWS's.
 *
 * What it models, after the Lambda API reference (the SDK's .d.ts files carry its text):
 * - ListFunctions pages with Marker/NextMarker and returns at most 50 functions a response
 *   "even if you set the number higher"; MaxItems must be 1..10,000.
 * - UpdateFunctionConfiguration changes $LATEST only (published versions are immutable). The
 *   new MemorySize shows at once with LastUpdateStatus InProgress; the update completes after
 *   a few seconds (about a minute for a function in a VPC), scaled by the sandbox's timing, to
 *   Successful, or to Failed (the previous configuration stays) for a function seeded to fail.
 *   Another update while one is in progress is refused with ResourceConflictException (409);
 *   a stale RevisionId with PreconditionFailedException (412); MemorySize outside 128..10,240
 *   with InvalidParameterValueException. Transitions are computed lazily from timestamps in
 *   the state (saved between CLI runs), never timers.
 * - Unknown functions: ResourceNotFoundException (404).
 * - Tags: GetFunction returns `Tags` only when the caller has an explicit allow for
 *   `lambda:ListTags` ("Lambda returns tag data only if you have explicit allow permissions for
 *   lambda:ListTags", client-lambda models_0.d.ts, GetFunctionResponse.Tags); the caller is the
 *   sandbox IAM role `trimtab` (services/iam.ts: `Allow *` until a test narrows it). ListTags
 *   without the allow is AccessDeniedException (403).
 */
import { awsError, paginate, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';
import { callerAllowed, SANDBOX_CALLER_ROLE } from './iam.ts';

export interface SandboxLambdaAlias {
  /** A published version number, or '$LATEST'. */
  version: string;
  /** Weighted routing to a second version (AdditionalVersionWeights). */
  additionalVersionWeights?: Record<string, number>;
  /** Provisioned concurrency allocated on this alias. */
  provisionedConcurrency?: number;
}

export interface SandboxLambdaFunction {
  name: string;
  runtime?: string;
  architecture: 'x86_64' | 'arm64';
  memoryMb: number;
  timeoutS: number;
  handler?: string;
  packageType: 'Zip' | 'Image';
  codeSize: number;
  layers: { arn: string; codeSize: number }[];
  tags: Record<string, string>;
  lastModified: string;
  /** Bumped on every change; RevisionId is derived from it. */
  revision: number;
  vpc?: boolean;
  /** A custom log group (LoggingConfig.LogGroup); absent: /aws/lambda/<name>. */
  logGroup?: string;
  /** LoggingConfig.LogFormat; absent: Text. */
  logFormat?: 'Text' | 'JSON';
  /** Published versions: number → the memory they were published with (immutable). */
  versions: Record<string, { memoryMb: number }>;
  aliases: Record<string, SandboxLambdaAlias>;
  /** The last configuration update: InProgress until `doneAt`, then Successful or Failed. */
  update?: { startedAt: string; doneAt: string; previousMemoryMb: number; failWith?: string };
  /** Seeded: the next update fails with this reason (e.g. a subnet out of IP addresses). */
  failNextUpdate?: string;
}

export interface LambdaState {
  functions: Record<string, SandboxLambdaFunction>;
}

export const lambdaState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<LambdaState>(account, region, 'lambda', () => ({ functions: {} }));

/** How long a configuration update takes on AWS: seconds, about a minute in a VPC (functions-states guide). */
export const UPDATE_MS = 5_000;
export const VPC_UPDATE_MS = 60_000;
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;

const functionArn = (region: string, account: string, name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;

/** The function name from a name, a full ARN or a partial ARN (a qualifier after the name is dropped). */
export function functionNameOf(nameOrArn: string): string {
  const m = /^(?:arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:|\d{12}:function:)?([^:]+)/.exec(nameOrArn);
  return m ? m[1] : nameOrArn;
}

function lookup(sandbox: Sandbox, account: AccountState, region: string, nameOrArn: string): SandboxLambdaFunction {
  const name = functionNameOf(String(nameOrArn ?? ''));
  const fn = lambdaState(sandbox, account, region).functions[name];
  if (!fn) throw awsError('ResourceNotFoundException', `Function not found: ${functionArn(region, account.id, name)}`, 404);
  return fn;
}

/** Settles a finished update (lazily, from its timestamps). */
function settle(fn: SandboxLambdaFunction, now: Date) {
  const u = fn.update;
  if (!u || now.getTime() < Date.parse(u.doneAt)) return;
  if (u.failWith && fn.memoryMb !== u.previousMemoryMb) {
    // A failed update leaves the previous configuration active.
    fn.memoryMb = u.previousMemoryMb;
    fn.revision += 1;
  }
}

function updateStatus(fn: SandboxLambdaFunction, now: Date): { LastUpdateStatus: string; LastUpdateStatusReason?: string; LastUpdateStatusReasonCode?: string } {
  const u = fn.update;
  if (!u) return { LastUpdateStatus: 'Successful' };
  if (now.getTime() < Date.parse(u.doneAt)) return { LastUpdateStatus: 'InProgress', LastUpdateStatusReason: 'The function is being updated.', LastUpdateStatusReasonCode: 'Creating' };
  if (u.failWith) return { LastUpdateStatus: 'Failed', LastUpdateStatusReason: u.failWith, LastUpdateStatusReasonCode: 'SubnetOutOfIPAddresses' };
  return { LastUpdateStatus: 'Successful' };
}

const revisionId = (fn: SandboxLambdaFunction) => `${fn.name.length.toString(16).padStart(8, '0')}-0000-4000-8000-${fn.revision.toString(16).padStart(12, '0')}`;

/** FunctionConfiguration as AWS returns it, for $LATEST or a published version. */
function configuration(fn: SandboxLambdaFunction, region: string, account: string, now: Date, version = '$LATEST') {
  settle(fn, now);
  const published = version === '$LATEST' ? undefined : fn.versions[version];
  const arn = functionArn(region, account, fn.name);
  return {
    FunctionName: fn.name,
    FunctionArn: version === '$LATEST' ? arn : `${arn}:${version}`,
    ...(fn.runtime ? { Runtime: fn.runtime } : {}),
    Role: `arn:aws:iam::${account}:role/${fn.name}-role`,
    ...(fn.handler ? { Handler: fn.handler } : {}),
    CodeSize: fn.codeSize,
    Description: '',
    Timeout: fn.timeoutS,
    MemorySize: published?.memoryMb ?? fn.memoryMb,
    LastModified: fn.lastModified.replace('Z', '+0000'),
    CodeSha256: Buffer.from(`${fn.name}:${version}`).toString('base64'),
    Version: version,
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: revisionId(fn),
    ...(fn.layers.length ? { Layers: fn.layers.map((l) => ({ Arn: l.arn, CodeSize: l.codeSize })) } : {}),
    State: 'Active',
    ...(version === '$LATEST' ? updateStatus(fn, now) : { LastUpdateStatus: 'Successful' }),
    PackageType: fn.packageType,
    Architectures: [fn.architecture],
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: fn.logFormat ?? 'Text', LogGroup: fn.logGroup ?? `/aws/lambda/${fn.name}` },
  };
}

/**
 * "The ListFunctions operation returns a subset of the FunctionConfiguration fields. To get the
 * additional fields (State, StateReasonCode, StateReason, LastUpdateStatus, LastUpdateStatusReason,
 * LastUpdateStatusReasonCode, RuntimeVersionConfig) for a function or version, use GetFunction"
 * (client-lambda ListFunctionsCommand.d.ts).
 */
function listed(c: Record<string, unknown>): Record<string, unknown> {
  const { State, StateReason, StateReasonCode, LastUpdateStatus, LastUpdateStatusReason, LastUpdateStatusReasonCode, RuntimeVersionConfig, ...rest } = c;
  return rest;
}

export const lambdaService: SandboxService = {
  id: 'lambda',
  operations: {
    ListFunctions(input, { sandbox, account, region, now }) {
      const max = input.MaxItems;
      if (max !== undefined && (max < 1 || max > 10_000)) throw awsError('InvalidParameterValueException', `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000`);
      const functions = Object.values(lambdaState(sandbox, account, region).functions).sort((a, b) => a.name.localeCompare(b.name));
      // "ListFunctions returns a maximum of 50 items in each response, even if you set the number higher."
      const { page, nextToken } = paginate(functions, { token: input.Marker, max: Math.min(max ?? 50, 50) }, { defaultMax: 50, maxMax: 50, operation: 'ListFunctions', invalidTokenCode: 'InvalidParameterValueException' });
      if (input.FunctionVersion === 'ALL') {
        const all = page.flatMap((fn) => [configuration(fn, region, account.id, now), ...Object.keys(fn.versions).map((v) => configuration(fn, region, account.id, now, v))]).map(listed);
        return { Functions: all, ...(nextToken ? { NextMarker: nextToken } : {}) };
      }
      return { Functions: page.map((fn) => listed(configuration(fn, region, account.id, now))), ...(nextToken ? { NextMarker: nextToken } : {}) };
    },

    GetFunctionConfiguration(input, { sandbox, account, region, now }) {
      const fn = lookup(sandbox, account, region, input.FunctionName);
      const qualifier = input.Qualifier ?? '$LATEST';
      if (qualifier !== '$LATEST' && !fn.versions[qualifier]) throw awsError('ResourceNotFoundException', `Function not found: ${functionArn(region, account.id, fn.name)}:${qualifier}`, 404);
      return configuration(fn, region, account.id, now, qualifier);
    },

    GetFunction(input, { sandbox, account, region, now }) {
      const fn = lookup(sandbox, account, region, input.FunctionName);
      // "Lambda returns tag data only if you have explicit allow permissions for lambda:ListTags."
      const tags = callerAllowed(sandbox, account, 'lambda:ListTags', functionArn(region, account.id, fn.name)) && Object.keys(fn.tags).length ? { Tags: { ...fn.tags } } : {};
      return { Configuration: configuration(fn, region, account.id, now), Code: { RepositoryType: 'S3', Location: 'https://awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com/snapshots/sandbox' }, ...tags };
    },

    ListTags(input, { sandbox, account, region }) {
      const fn = lookup(sandbox, account, region, input.Resource);
      const arn = functionArn(region, account.id, fn.name);
      if (!callerAllowed(sandbox, account, 'lambda:ListTags', arn)) {
        throw awsError('AccessDeniedException', `User: arn:aws:sts::${account.id}:assumed-role/${SANDBOX_CALLER_ROLE}/sandbox is not authorized to perform: lambda:ListTags on resource: ${arn} because no identity-based policy allows the lambda:ListTags action`, 403);
      }
      return { Tags: { ...fn.tags } };
    },

    ListAliases(input, { sandbox, account, region }) {
      const fn = lookup(sandbox, account, region, input.FunctionName);
      const aliases = Object.entries(fn.aliases)
        .filter(([, a]) => !input.FunctionVersion || a.version === input.FunctionVersion)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, a]) => ({
          AliasArn: `${functionArn(region, account.id, fn.name)}:${name}`,
          Name: name,
          FunctionVersion: a.version,
          Description: '',
          ...(a.additionalVersionWeights ? { RoutingConfig: { AdditionalVersionWeights: a.additionalVersionWeights } } : {}),
          RevisionId: revisionId(fn),
        }));
      const { page, nextToken } = paginate(aliases, { token: input.Marker, max: input.MaxItems }, { defaultMax: 50, maxMax: 10_000, operation: 'ListAliases', invalidTokenCode: 'InvalidParameterValueException' });
      return { Aliases: page, ...(nextToken ? { NextMarker: nextToken } : {}) };
    },

    ListProvisionedConcurrencyConfigs(input, { sandbox, account, region }) {
      const fn = lookup(sandbox, account, region, input.FunctionName);
      const configs = Object.entries(fn.aliases)
        .filter(([, a]) => a.provisionedConcurrency)
        .map(([name, a]) => ({
          FunctionArn: `${functionArn(region, account.id, fn.name)}:${name}`,
          RequestedProvisionedConcurrentExecutions: a.provisionedConcurrency,
          AvailableProvisionedConcurrentExecutions: a.provisionedConcurrency,
          AllocatedProvisionedConcurrentExecutions: a.provisionedConcurrency,
          Status: 'READY',
          LastModified: fn.lastModified,
        }));
      const { page, nextToken } = paginate(configs, { token: input.Marker, max: input.MaxItems }, { defaultMax: 50, maxMax: 50, operation: 'ListProvisionedConcurrencyConfigs', invalidTokenCode: 'InvalidParameterValueException' });
      return { ProvisionedConcurrencyConfigs: page, ...(nextToken ? { NextMarker: nextToken } : {}) };
    },

    UpdateFunctionConfiguration(input, { sandbox, account, region, now }) {
      const fn = lookup(sandbox, account, region, input.FunctionName);
      settle(fn, now);
      if (fn.update && now.getTime() < Date.parse(fn.update.doneAt)) {
        throw awsError('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(region, account.id, fn.name)}`, 409);
      }
      if (input.RevisionId && input.RevisionId !== revisionId(fn)) {
        throw awsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id', 412);
      }
      const memory = input.MemorySize;
      if (memory !== undefined && (!Number.isInteger(memory) || memory < MIN_MEMORY_MB || memory > MAX_MEMORY_MB)) {
        throw awsError('InvalidParameterValueException', `1 validation error detected: Value '${memory}' at 'memorySize' failed to satisfy constraint: Member must have value between ${MIN_MEMORY_MB} and ${MAX_MEMORY_MB}`);
      }
      if (input.Timeout !== undefined) fn.timeoutS = input.Timeout;
      const previousMemoryMb = fn.memoryMb;
      if (memory !== undefined) fn.memoryMb = memory;
      fn.revision += 1;
      fn.lastModified = now.toISOString();
      const doneAt = new Date(now.getTime() + sandbox.duration(fn.vpc ? VPC_UPDATE_MS : UPDATE_MS)).toISOString();
      fn.update = { startedAt: now.toISOString(), doneAt, previousMemoryMb, ...(fn.failNextUpdate ? { failWith: fn.failNextUpdate } : {}) };
      delete fn.failNextUpdate;
      // The answer is read before any transition: InProgress, even when the update is instant.
      return { ...configuration(fn, region, account.id, new Date(Math.min(now.getTime(), Date.parse(doneAt) - 1))), LastUpdateStatus: 'InProgress', LastUpdateStatusReason: 'The function is being updated.', LastUpdateStatusReasonCode: 'Creating' };
    },
  },
};
