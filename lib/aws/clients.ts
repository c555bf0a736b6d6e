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

export interface InterceptedCall {
  account: string;
  region: string;
  service: string;
  operation: string;
  input: any;
}

/** An HTTP response as the transport would hand it to the SDK's deserializer. */
export interface InterceptedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Protocols an interceptor may answer on the wire (see lib/sandbox/wire/encode.ts). */
export type InterceptedProtocol = 'restXml' | 'ec2Query' | 'awsQuery' | 'awsJson1_0' | 'awsJson1_1' | 'restJson1';

/** Answers a command in-process instead of sending it (the sandbox account). */
export interface CommandInterceptor {
  /**
   * The answer as an SDK output object (the SDK's parser does not run). For a service it serves
   * with a local server (DynamoDB: dynalite), it calls `forward(endpoint)` instead, which sends
   * the serialised request there and returns the SDK-parsed output.
   */
  handle(call: InterceptedCall, forward?: (endpoint: string) => Promise<any>): Promise<any>;
  /** Whether `respond` serves this service (then the SDK's own deserializer parses every answer). */
  parsesWire?(service: string): boolean;
  /** The answer as the HTTP response AWS would send. */
  respond?(call: InterceptedCall & { protocol: InterceptedProtocol; operationSchema?: readonly unknown[] }): Promise<InterceptedResponse>;
}

/** Carries a sandbox call from the middleware stack to the transport (never sent anywhere). */
const SANDBOX_CALL_HEADER = 'x-trimtab-sandbox-call';

/** The SDK protocol shape ids the wire answers speak. */
const WIRE_PROTOCOLS: Record<string, InterceptedProtocol> = {
  'aws.protocols#restXml': 'restXml',
  'aws.protocols#ec2Query': 'ec2Query',
  'aws.protocols#awsQuery': 'awsQuery',
  'aws.protocols#awsJson1_0': 'awsJson1_0',
  'aws.protocols#awsJson1_1': 'awsJson1_1',
  'aws.protocols#restJson1': 'restJson1',
};

/**
 * Clients from before schema-based serde (generated deserializers, no `config.protocol`
 * object): their protocol by service key.
 */
const GENERATED_CLIENT_PROTOCOLS: Record<string, InterceptedProtocol> = {
  rbin: 'restJson1',
};

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
        try {
          return await next(args);
        } catch (error) {
          // Which call failed, after the SDK's retries (lib/engine/partial.ts reports it).
          if (error && typeof error === 'object' && !Object.hasOwn(error, '$trimtabOperation')) {
            Object.defineProperty(error, '$trimtabOperation', { value: key, enumerable: false, configurable: true });
          }
          throw error;
        }
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
   * The sandbox answers at the transport: a terminal middleware at the end of the
   * `deserialize` step (after the SDK's deserializer, where the request handler would be
   * called) returns the HTTP response AWS would send. The SDK's own deserializer, error
   * classes and retry strategy (adaptive, throttling classified from the parsed error) run on
   * every answer. Services the interceptor does not serve on the wire are answered as output
   * objects at the end of `finalizeRequest` (still inside the retry middleware).
   */
  private addInterceptor(client: SdkClient, service: string, region: string) {
    const interceptor = this.options.interceptor!;
    const account = this.options.account ?? 'sandbox';
    const config = client.config as { protocol?: { getShapeId?: () => string } };
    const shapeId = config.protocol?.getShapeId?.();
    const protocol = shapeId ? WIRE_PROTOCOLS[shapeId] : GENERATED_CLIENT_PROTOCOLS[service];
    if (interceptor.respond && protocol && interceptor.parsesWire?.(service)) {
      // The answer comes from the transport (the client's request handler), so every middleware
      // runs as it would against AWS, including command-level ones that read the raw response
      // before the SDK parses it (e.g. lib/resources/ebs-snapshot/recycle-bin.ts). A header
      // carries the call from the outermost deserialize middleware to the handler; headers
      // survive the request clones that signing makes.
      const calls = new Map<string, InterceptedCall & { protocol: InterceptedProtocol; operationSchema?: readonly unknown[] }>();
      let sequence = 0;
      client.middlewareStack.add(
        (next: any, context: any) => async (args: any) => {
          const id = String(++sequence);
          // The smithy context carries the operation schema that the deserializer will use.
          const operationSchema = context.__smithy_context?.operationSchema as readonly unknown[] | undefined;
          calls.set(id, { account, region, service, operation: operationName(context.commandName), input: args.input, protocol, operationSchema });
          args.request.headers[SANDBOX_CALL_HEADER] = id;
          try {
            return await next(args);
          } finally {
            calls.delete(id);
          }
        },
        { step: 'deserialize', priority: 'high', name: 'trimtabSandboxWire' },
      );
      (client.config as { requestHandler?: unknown }).requestHandler = {
        async handle(request: { headers: Record<string, string> }) {
          const call = calls.get(request.headers[SANDBOX_CALL_HEADER]);
          if (!call) throw new Error(`trimtab sandbox: a ${service} request reached the transport without its call (${SANDBOX_CALL_HEADER} header missing).`);
          const response = await interceptor.respond!(call);
          return { response: { ...response, reason: undefined } };
        },
        updateHttpClientConfig() {},
        httpHandlerConfigs: () => ({}),
        destroy() {},
      };
      return;
    }
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
