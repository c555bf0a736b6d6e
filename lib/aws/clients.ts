/**
 * The one AWS client factory. Every AWS call trimtab makes goes through a client made here:
 * - clients are cached per service and region;
 * - AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> are honoured by the SDK itself, and S3
 *   switches to path-style addressing when a custom endpoint is set (LocalStack, moto);
 * - retries are adaptive (client-side rate limiting on throttling);
 * - the dry-run guard refuses every mutating command at the `initialize` step, before
 *   anything is serialised or sent, whatever code path issued it;
 * - writes are paced below the service's throttling limits;
 * - the sandbox account plugs in as a middleware that answers commands in-process;
 * - tests can inject clients, and Lambda can capture them with the Powertools tracer.
 */
import { DryRunViolationError } from '../util/errors.ts';
import { isReadOnlyOperation, operationName, serviceKey } from './operations.ts';
import { DEFAULT_WRITE_PACING, TokenBucket, type WritePacing } from './pacer.ts';

/** The part of an SDK v3 client the factory relies on. */
export interface SdkClient {
  config: { serviceId?: string };
  middlewareStack: { add(...args: any[]): void };
  send(command: any, options?: any): Promise<any>;
}

export type ClientConstructor<C extends SdkClient> = new (config: any) => C;

/**
 * Answers a command in-process instead of sending it (the sandbox account). For a service it
 * serves with a local server (DynamoDB: dynalite), it calls `forward(endpoint)` instead, which
 * sends the serialised request there and returns the SDK-parsed output.
 */
export interface CommandInterceptor {
  handle(call: { account: string; region: string; service: string; operation: string; input: any }, forward?: (endpoint: string) => Promise<any>): Promise<any>;
}

export interface ClientFactoryOptions {
  /** Account these clients act in (the sandbox needs it; real calls use their credentials). */
  account?: string;
  /** false: the dry-run guard refuses every mutating command. */
  allowWrites: boolean;
  interceptor?: CommandInterceptor;
  /** Pre-built clients by constructor (tests). */
  inject?: Map<ClientConstructor<any>, SdkClient>;
  credentials?: unknown;
  /** Extra client configuration (e.g. `maxAttempts`). */
  clientConfig?: Record<string, unknown>;
  /** Per service write pace, or false to send writes unpaced. */
  writePacing?: Record<string, WritePacing> | false;
  /** Called once for each new client (Lambda: tracer.captureAWSv3Client). */
  instrument?: <C extends SdkClient>(client: C) => C | void;
}

const SANDBOX_CREDENTIALS = { accessKeyId: 'SANDBOX', secretAccessKey: 'SANDBOX' };

export class AwsClients {
  private readonly cache = new Map<string, SdkClient>();
  private readonly pacers: Map<string, TokenBucket>;
  /** Calls sent, by "service:Operation" (shared by every view of this factory). */
  readonly calls: Map<string, number>;

  constructor(
    readonly options: ClientFactoryOptions,
    shared?: { pacers: Map<string, TokenBucket>; calls: Map<string, number> },
  ) {
    this.pacers = shared?.pacers ?? new Map();
    this.calls = shared?.calls ?? new Map();
  }

  /** Total calls sent through this factory and its views. */
  callCount(): number {
    let total = 0;
    for (const count of this.calls.values()) total += count;
    return total;
  }

  private get shared() {
    return { pacers: this.pacers, calls: this.calls };
  }

  get allowWrites(): boolean {
    return this.options.allowWrites;
  }

  get account(): string | undefined {
    return this.options.account;
  }

  /** A factory with the same settings but a different write permission (shares the pacers). */
  withWrites(allowWrites: boolean): AwsClients {
    if (allowWrites === this.options.allowWrites) return this;
    return new AwsClients({ ...this.options, allowWrites }, this.shared);
  }

  /** The same settings in another account (cross-account: other credentials). */
  forAccount(account: string, credentials?: unknown): AwsClients {
    return new AwsClients({ ...this.options, account, credentials: credentials ?? this.options.credentials }, this.shared);
  }

  get<C extends SdkClient>(Ctor: ClientConstructor<C>, region: string): C {
    const injected = this.options.inject?.get(Ctor);
    if (injected) return injected as C;
    const key = `${Ctor.name}:${region}`;
    let client = this.cache.get(key) as C | undefined;
    if (!client) {
      client = this.create(Ctor, region);
      this.cache.set(key, client);
    }
    return client;
  }

  private create<C extends SdkClient>(Ctor: ClientConstructor<C>, region: string): C {
    const isS3 = Ctor.name === 'S3Client';
    const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL || (isS3 && process.env.AWS_ENDPOINT_URL_S3));
    const config: Record<string, unknown> = {
      region,
      retryMode: 'adaptive',
      maxAttempts: 6,
      ...(isS3 ? { forcePathStyle: customEndpoint, followRegionRedirects: true } : {}),
      ...(this.options.interceptor ? { credentials: SANDBOX_CREDENTIALS } : {}),
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      ...this.options.clientConfig,
    };
    const client = new Ctor(config);
    const service = serviceKey(client.config.serviceId ?? Ctor.name.replace(/Client$/, ''));
    this.addGuard(client, service);
    this.addPacing(client, service, region);
    if (this.options.interceptor) this.addInterceptor(client, service, region);
    return (this.options.instrument?.(client) as C | undefined) ?? client;
  }

  /** The dry-run guard: the second gate after the engine's, so no code path can write by mistake. */
  private addGuard(client: SdkClient, service: string) {
    const allowWrites = this.options.allowWrites;
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        const operation = operationName(context.commandName);
        const key = `${service}:${operation}`;
        this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
        if (!allowWrites && !isReadOnlyOperation(service, operation)) {
          throw new DryRunViolationError(service, operation);
        }
        return next(args);
      },
      { step: 'initialize', priority: 'high', name: 'trimtabDryRunGuard' },
    );
  }

  private addPacing(client: SdkClient, service: string, region: string) {
    if (this.options.writePacing === false) return;
    const pacing = (this.options.writePacing ?? DEFAULT_WRITE_PACING)[service];
    if (!pacing) return;
    const key = `${this.options.account ?? 'default'}:${service}:${region}`;
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        if (!isReadOnlyOperation(service, operationName(context.commandName))) {
          let bucket = this.pacers.get(key);
          if (!bucket) this.pacers.set(key, (bucket = new TokenBucket(pacing.perSecond, pacing.burst)));
          await bucket.take();
        }
        return next(args);
      },
      { step: 'initialize', priority: 'low', name: 'trimtabWritePacing' },
    );
  }

  /**
   * The sandbox answers at the end of `finalizeRequest`, inside the SDK's retry middleware, so
   * throttling it injects is retried by the real adaptive retry strategy.
   */
  private addInterceptor(client: SdkClient, service: string, region: string) {
    const interceptor = this.options.interceptor!;
    const account = this.options.account ?? 'sandbox';
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        let sent: { output: any; response: unknown } | undefined;
        const forward = async (endpoint: string) => {
          sent = await next({ ...args, request: pointAt(args.request, endpoint) });
          return sent!.output;
        };
        const output = await interceptor.handle({ account, region, service, operation: operationName(context.commandName), input: args.input }, forward);
        if (sent) return { ...sent, output };
        return { output: { $metadata: { httpStatusCode: 200, attempts: 1 }, ...output }, response: { statusCode: 200, headers: {} } };
      },
      { step: 'finalizeRequest', priority: 'low', name: 'trimtabSandbox' },
    );
  }
}

/**
 * The serialised request, sent to a local endpoint instead (the sandbox's local servers). The
 * request was built and signed for the AWS host; local servers do not check signatures.
 */
function pointAt<R extends { protocol?: string; hostname?: string; port?: number; headers?: Record<string, string> }>(request: R, endpoint: string): R {
  const url = new URL(endpoint);
  const copy = Object.assign(Object.create(Object.getPrototypeOf(request)), request) as R;
  copy.protocol = url.protocol;
  copy.hostname = url.hostname;
  copy.port = Number(url.port);
  copy.headers = { ...request.headers, host: url.host };
  return copy;
}
