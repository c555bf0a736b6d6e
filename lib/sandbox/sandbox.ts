/**
 * The sandbox account: an in-memory simulation of the AWS operations trimtab uses. It plugs
 * into the client factory as a command interceptor, so the code under test is the code that
 * runs against AWS: same clients, same paginators, same retry strategy.
 *
 * It behaves like AWS where trimtab depends on it: pagination tokens and page-size limits,
 * real error names, whole-configuration replacement, throttling. It counts calls by operation
 * and logs every write, which the tests and the benchmark read.
 */
import { Readable } from 'node:stream';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CommandInterceptor } from '../aws/clients.ts';
import { isReadOnlyOperation } from '../aws/operations.ts';
import { sleep } from '../util/async.ts';
import { toClock, type Clock } from '../util/clock.ts';
import { encodeError, encodeOutput, type EncodeCall, type WireResponse } from './wire/encode.ts';

export const SANDBOX_ACCOUNT = '123456789012';
export const SANDBOX_REGION = 'us-east-1';

export interface AccountState {
  id: string;
  name: string;
  /** Service state that is global to the account (S3 buckets), by service key. */
  global: Record<string, any>;
  /** Regional service state: region → service key → state. */
  regions: Record<string, Record<string, any>>;
}

export interface SandboxState {
  version: 1;
  scenario: string;
  seededAt: string;
  accounts: Record<string, AccountState>;
  /** Counters for ids the sandbox mints (snap-…, vol-…). */
  sequence: number;
}

/** What an operation handler sees. */
export interface OperationEnv {
  sandbox: Sandbox;
  account: AccountState;
  region: string;
  now: Date;
}

export type OperationHandler = (input: any, env: OperationEnv) => unknown | Promise<unknown>;

/** One intercepted call: which account and region, which service key and operation, its input. */
export interface SandboxCall {
  account: string;
  region: string;
  service: string;
  operation: string;
  input: any;
}

/**
 * A service answered by a maintained local implementation (lib/sandbox/local-services.ts)
 * instead of in-process handlers: the SDK sends the call over HTTP to `endpoint()` and parses
 * the real wire answer. The sandbox still counts the call, injects faults and logs writes.
 */
export interface LocalBackend {
  /** Where to send this call (starts the server on first use). */
  endpoint(call: SandboxCall, env: OperationEnv): Promise<string>;
  /** After a successful call (e.g. mirror a write into the persisted state). */
  after?(call: SandboxCall, output: any, env: OperationEnv): Promise<void>;
  /** After a failed call: the error to throw (e.g. complete what the local server leaves out). */
  failed?(call: SandboxCall, error: Error, env: OperationEnv): Promise<Error>;
  /**
   * Whether the local server answers this call; false: the service's in-process operations do
   * (DynamoDB: the account's seeded tables have a modelled control plane). Absent: every call.
   */
  serves?(call: SandboxCall, env: OperationEnv): boolean;
  /**
   * Whether the backend answers this call itself, through its server's other operations (DynamoDB:
   * TransactWriteItems, which dynalite lacks); then `answer` does, and nothing is forwarded.
   */
  answers?(call: SandboxCall): boolean;
  answer?(call: SandboxCall, env: OperationEnv): Promise<any>;
  /** Start the server and load the state's tables before the first call (a benchmark's untimed set-up). */
  prepare?(env: OperationEnv): Promise<void>;
  /** Stop the servers; a later call starts them again from the sandbox's state. */
  close(): Promise<void>;
}

export interface SandboxService {
  /** The service key (see serviceKey): s3, ec2, cloudwatch, autoscaling, … */
  id: string;
  operations: Record<string, OperationHandler>;
  /** Served by a local implementation: one backend per Sandbox. */
  local?: (sandbox: Sandbox) => LocalBackend;
}

/** Sends the call to a local endpoint through the SDK's own serializer and parser. */
export type ForwardCall = (endpoint: string) => Promise<any>;

export interface WriteLogEntry {
  at: string;
  account: string;
  region: string;
  service: string;
  operation: string;
  input: unknown;
  outcome: 'ok' | string;
}

export interface FaultOptions {
  /** Fraction of calls (0..1) answered with the service's throttling error. */
  throttleRate?: number;
  /** Deterministic random source for fault injection. */
  random?: () => number;
  /** Return an error to fail a specific call (e.g. the 3rd DeleteSnapshot). */
  failWhen?: (call: { service: string; operation: string; input: any; count: number }) => Error | undefined;
}

/** An AWS-shaped service error: `name` is the AWS error code. */
export class SandboxServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };
  readonly Code: string;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = code;
    this.Code = code;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status };
  }
}

export function awsError(code: string, message: string, status = 400): SandboxServiceError {
  return new SandboxServiceError(code, message, status);
}

const THROTTLING_ERROR: Record<string, [string, number]> = {
  ec2: ['RequestLimitExceeded', 503],
  s3: ['SlowDown', 503],
  autoscaling: ['Throttling', 400],
  // GetResources reference: ThrottledException (client fault).
  resourcegroupstaggingapi: ['ThrottledException', 400],
};

/**
 * How AWS-like the sandbox's time is. Services scale the durations of intermediate states
 * (`deleting`, `pending`, `optimizing`, …) by `scale`, and hide a write from reads for
 * `consistencyMs` after it (EC2 eventual consistency, S3 lifecycle propagation).
 */
export interface SandboxTiming {
  /** Multiplier on AWS-like state durations: 1 = as AWS, 0 = every transition is instant. */
  scale: number;
  /** How long after a write a read may still return the old state or NotFound. */
  consistencyMs: number;
}

/** Instant and read-after-write consistent: the kind sandbox, for unit tests that need it. */
export const INSTANT_TIMING: SandboxTiming = { scale: 0, consistencyMs: 0 };

export interface SandboxOptions {
  latencyMs?: number;
  faults?: FaultOptions;
  /**
   * The sandbox's time. A Clock, or a `() => Date` (then sleeps through the clock are virtual:
   * they move time forward at once). Absent: real time.
   */
  clock?: Clock | (() => Date);
  timing?: Partial<SandboxTiming>;
  /**
   * The most items any listing returns in one page, whatever MaxResults asked for (AWS may
   * return fewer than asked; callers must follow the token). Tests set it small so that every
   * listing pages. Absent: each operation's own limits.
   */
  pageCap?: number;
  /** Count the CPU spent answering in `answerCpuUs` (the bench); off, no process.cpuUsage per call. */
  countAnswerCpu?: boolean;
}

/** The page cap of the call being answered (handlers are synchronous; see `Sandbox.answer`). */
let activePageCap: number | undefined;

/** Built-in error classes are bugs in the sandbox or the code under test, never AWS answers. */
function awsErrorParts(error: unknown): { code: string; message: string; status: number } | undefined {
  if (error instanceof SandboxServiceError) return { code: error.Code, message: error.message, status: error.$metadata.httpStatusCode };
  if (!(error instanceof Error) || error.constructor !== Error || error.name === 'Error') return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? (error.name === 'AccessDenied' ? 403 : 400);
  return { code: error.name, message: error.message, status };
}

export class Sandbox implements CommandInterceptor {
  readonly calls = new Map<string, number>();
  readonly writes: WriteLogEntry[] = [];
  latencyMs: number;
  faults: FaultOptions;
  /** The sandbox's time; engine deps over this sandbox wait through it. */
  readonly clock: Clock;
  timing: SandboxTiming;
  pageCap: number | undefined;
  /**
   * CPU time this process spent answering calls, µs: the handlers building the answers and their
   * encoding on the wire (AWS's work, not the caller's). Measured around the synchronous parts
   * with process.cpuUsage (the whole process's CPU: the code under test does not run meanwhile);
   * the SDK's parsing of the answer is not in it. The bench leaves it out of the function's estimate.
   * Counted only with the option countAnswerCpu.
   */
  answerCpuUs = 0;
  private readonly countsAnswerCpu: boolean;
  private readonly services = new Map<string, SandboxService>();
  private readonly backends = new Map<string, LocalBackend>();

  constructor(
    public state: SandboxState,
    services: SandboxService[],
    options: SandboxOptions = {},
  ) {
    for (const service of services) this.services.set(service.id, service);
    this.latencyMs = options.latencyMs ?? 0;
    this.faults = options.faults ?? {};
    this.clock = toClock(options.clock);
    this.timing = { ...INSTANT_TIMING, ...options.timing };
    this.pageCap = options.pageCap;
    this.countsAnswerCpu = options.countAnswerCpu ?? false;
  }

  /**
   * Whether the sandbox encodes this service's answers on the wire. A service served by a local
   * implementation (DynamoDB: dynalite) is not: the call goes to that server, whose real wire
   * answer the SDK parses.
   */
  parsesWire(service: string): boolean {
    return !this.services.get(service)?.local;
  }

  /**
   * The call answered as an HTTP response on the wire: the handler's output encoded by the
   * operation's output schema, or the protocol's error body. The client factory hands it to
   * the SDK's own deserializer, so the code under test sees what AWS would give it.
   */
  async respond(call: { account: string; region: string; service: string; operation: string; input: any } & Omit<EncodeCall, 'service' | 'operation'>): Promise<WireResponse> {
    try {
      // No copy needed: encoding is the copy.
      const output = await this.answer(call, false);
      const cpu = this.cpuMark();
      let response: WireResponse;
      try {
        response = encodeOutput(call, output);
      } finally {
        this.countCpu(cpu);
      }
      // A streaming payload (S3 GetObject's Body) reaches the SDK as a stream, as from the network.
      if (call.service === 's3' && call.operation === 'GetObject') return { ...response, body: Readable.from([Buffer.from(response.body)]) as unknown as Uint8Array };
      return response;
    } catch (error) {
      const parts = awsErrorParts(error);
      if (!parts) throw error;
      return encodeError(call, parts.code, parts.message, parts.status);
    }
  }

  static emptyState(scenario = 'empty', now = new Date()): SandboxState {
    return { version: 1, scenario, seededAt: now.toISOString(), accounts: {}, sequence: 0 };
  }

  now(): Date {
    return this.clock.now();
  }

  /** An AWS-like duration scaled by the sandbox's timing (0 when transitions are instant). */
  duration(awsMs: number): number {
    return Math.round(awsMs * this.timing.scale);
  }

  /** The account's state, created on first use. */
  account(id: string = SANDBOX_ACCOUNT, name = id === SANDBOX_ACCOUNT ? 'sandbox' : id): AccountState {
    return (this.state.accounts[id] ??= { id, name, global: {}, regions: {} });
  }

  /** A service's regional state, created with `init` on first use. */
  regional<T>(account: AccountState, region: string, service: string, init: () => T): T {
    const regionState = (account.regions[region] ??= {});
    return (regionState[service] ??= init()) as T;
  }

  /** A service's account-wide state (S3). */
  global<T>(account: AccountState, service: string, init: () => T): T {
    return (account.global[service] ??= init()) as T;
  }

  /** A new id with AWS's shape: `snap-0a1b…` (17 hex digits). */
  mintId(prefix: string): string {
    this.state.sequence += 1;
    return `${prefix}-${this.state.sequence.toString(16).padStart(17, '0')}`;
  }

  callCount(operation?: string): number {
    if (operation) return this.calls.get(operation) ?? 0;
    let total = 0;
    for (const count of this.calls.values()) total += count;
    return total;
  }

  /** Calls by "service:Operation", sorted, for reports. */
  callsByOperation(): Record<string, number> {
    return Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  resetCounters() {
    this.calls.clear();
    this.writes.length = 0;
    this.answerCpuUs = 0;
  }

  /** A process.cpuUsage() reading when this sandbox counts its CPU (countAnswerCpu). */
  private cpuMark(): NodeJS.CpuUsage | undefined {
    return this.countsAnswerCpu ? process.cpuUsage() : undefined;
  }

  /** Adds the CPU time since `since` (a cpuMark() reading) to answerCpuUs. */
  private countCpu(since: NodeJS.CpuUsage | undefined) {
    if (!since) return;
    const used = process.cpuUsage(since);
    this.answerCpuUs += used.user + used.system;
  }

  /** Successful writes, optionally of one operation. */
  successfulWrites(operation?: string): WriteLogEntry[] {
    return this.writes.filter((w) => w.outcome === 'ok' && (!operation || `${w.service}:${w.operation}` === operation || w.operation === operation));
  }

  /** The local backend of a service (created on first use), or undefined when it is answered in-process. */
  private backend(service: SandboxService | undefined): LocalBackend | undefined {
    if (!service?.local) return undefined;
    let backend = this.backends.get(service.id);
    if (!backend) this.backends.set(service.id, (backend = service.local(this)));
    return backend;
  }

  /**
   * Start the local servers of these services for one account and region, with the state's tables
   * loaded, outside any call (so a benchmark does not time the sandbox's own start-up).
   */
  async prepare(account: string, region: string, services: string[] = ['dynamodb']): Promise<void> {
    const env = { sandbox: this, account: this.account(account), region, now: this.now() };
    for (const id of services) await this.backend(this.services.get(id))?.prepare?.(env);
  }

  /** Stop the local servers this sandbox started (DynamoDB). Safe to call twice; a later call restarts them from the state. */
  async close(): Promise<void> {
    const backends = [...this.backends.values()];
    this.backends.clear();
    await Promise.all(backends.map((b) => b.close()));
  }

  /**
   * Answer a call: in-process from the service's handlers, or, for a service with a local
   * backend, through `forward` to the local server (the client factory supplies it).
   */
  handle(call: SandboxCall, forward?: ForwardCall): Promise<any> {
    return this.answer(call, true, forward);
  }

  private async answer(call: SandboxCall, copy: boolean, forward?: ForwardCall): Promise<any> {
    const key = `${call.service}:${call.operation}`;
    const count = (this.calls.get(key) ?? 0) + 1;
    this.calls.set(key, count);
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const write = !isReadOnlyOperation(call.service, call.operation);
    const log = (outcome: string) => {
      if (write) {
        this.writes.push({ at: this.now().toISOString(), account: call.account, region: call.region, service: call.service, operation: call.operation, input: structuredClone(call.input), outcome });
      }
    };
    try {
      this.injectFaults(call, count);
      const service = this.services.get(call.service);
      const local = forward && this.backend(service);
      const env = { sandbox: this, account: this.account(call.account), region: call.region, now: this.now() };
      const backend = forward && local && (local.serves?.(call, env) ?? true) ? local : undefined;
      if (backend?.answers?.(call)) {
        const output = await backend.answer!(call, env);
        log('ok');
        return output;
      }
      if (backend) {
        const endpoint = await backend.endpoint(call, env);
        let output: any;
        try {
          output = await forward!(endpoint);
        } catch (error) {
          throw backend.failed ? await backend.failed(call, error as Error, env) : error;
        }
        await backend.after?.(call, output, env);
        log('ok');
        return output;
      }
      const handler = service?.operations[call.operation];
      if (!handler) {
        throw awsError('UnsupportedOperation', `The trimtab sandbox does not simulate ${key}. Add it in lib/sandbox/services/${call.service}.ts.`, 501);
      }
      const account = this.account(call.account);
      let pending: unknown;
      activePageCap = this.pageCap;
      const cpu = this.cpuMark();
      try {
        pending = handler(call.input ?? {}, { sandbox: this, account, region: call.region, now: this.now() });
      } finally {
        activePageCap = undefined;
        this.countCpu(cpu);
      }
      const output = await pending;
      log('ok');
      // Outputs are copies: callers must never alias sandbox state.
      if (output === undefined) return {};
      if (!copy) return output;
      const copying = this.cpuMark();
      try {
        return structuredClone(output);
      } finally {
        this.countCpu(copying);
      }
    } catch (error) {
      log((error as Error).name ?? 'Error');
      throw error;
    }
  }

  private injectFaults(call: { service: string; operation: string; input: any }, count: number) {
    const injected = this.faults.failWhen?.({ ...call, count });
    if (injected) throw injected;
    const rate = this.faults.throttleRate ?? 0;
    if (rate > 0 && (this.faults.random ?? Math.random)() < rate) {
      const [code, status] = THROTTLING_ERROR[call.service] ?? ['ThrottlingException', 400];
      throw awsError(code, 'Rate exceeded', status);
    }
  }

  save(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, file); // atomic: a crash never leaves half a file
  }

  static readState(file: string): SandboxState | undefined {
    if (!existsSync(file)) return undefined;
    const state = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    if (state.version !== 1) throw new Error(`${file} was written by another trimtab version; run 'trimtab sandbox reset'.`);
    return state;
  }
}

/** The page cap of the call being answered, if the sandbox has one (for listings paged by other units than items). */
export function currentPageCap(): number | undefined {
  return activePageCap;
}

/** Opaque pagination over a list, as AWS does it: a token, and a page-size limit. */
export function paginate<T>(
  items: readonly T[],
  input: { token?: string; max?: number },
  limits: { defaultMax: number; maxMax: number; minMax?: number; operation: string; invalidTokenCode?: string },
): { page: T[]; nextToken?: string } {
  const max = input.max ?? limits.defaultMax;
  if (max > limits.maxMax || max < (limits.minMax ?? 1)) {
    throw awsError(
      'InvalidParameterValue',
      `${limits.operation}: the page size ${max} is out of range (${limits.minMax ?? 1} to ${limits.maxMax}).`,
    );
  }
  let offset = 0;
  if (input.token) {
    const decoded = Number(Buffer.from(input.token, 'base64url').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) {
      throw awsError(limits.invalidTokenCode ?? 'InvalidNextToken', `${limits.operation}: the pagination token is invalid.`);
    }
    offset = decoded;
  }
  // AWS may return fewer items than asked for: the sandbox's page cap models that.
  const size = activePageCap ? Math.min(max, activePageCap) : max;
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return { page, nextToken: next < items.length ? Buffer.from(`offset:${next}`).toString('base64url') : undefined };
}

/** Tags as AWS lists them ({Key, Value}[]) ↔ a plain record. */
export const tagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
export const tagRecord = (tags: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));

/** Days before `now`, as a Date (scenarios use it). */
export const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);
