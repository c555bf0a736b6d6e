/**
 * The client factory's wiring (lib/aws/clients.ts), measured by mutation testing (docs/testing.md
 * "Mutation testing"): how a command reaches the sandbox (on the wire or as an output object), what
 * the interceptor is told, how writes are paced, and where each middleware sits. A recording
 * interceptor stands in for the sandbox: it answers with the sandbox's own wire encoder, so the
 * SDK's parsers run as they do in every other test.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DeleteSnapshotCommand, DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient, ListFunctionsCommand, TagResourceCommand } from '@aws-sdk/client-lambda';
import { ListRulesCommand, RbinClient } from '@aws-sdk/client-rbin';
import { ListBucketsCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsClients, type CommandInterceptor, type InterceptedCall, type InterceptedProtocol, type SdkClient } from '../../../lib/aws/clients.ts';
import { encodeOutput } from '../../../lib/sandbox/wire/encode.ts';
import { DryRunViolationError } from '../../../lib/util/errors.ts';

type WireCall = InterceptedCall & { protocol: InterceptedProtocol; operationSchema?: readonly unknown[] };

/** Answers every call on the wire with an empty output (or `answers[operation]`), recording each call and when it came. */
function wireRecorder(answers: Record<string, unknown> = {}, serves: (service: string) => boolean = () => true) {
  const calls: WireCall[] = [];
  const at: number[] = [];
  const interceptor: CommandInterceptor = {
    parsesWire: serves,
    async respond(call) {
      calls.push(call);
      at.push(performance.now());
      return encodeOutput(call, answers[call.operation] ?? {});
    },
    async handle() {
      throw new Error('handle() must not be called for a service answered on the wire');
    },
  };
  return { interceptor, calls, at };
}

/** Answers every call as an output object (the path for services the sandbox serves with a local server). */
function objectRecorder(handle: CommandInterceptor['handle']) {
  const calls: InterceptedCall[] = [];
  const interceptor: CommandInterceptor = {
    async handle(call, forward) {
      calls.push(call);
      return handle(call, forward);
    },
  };
  return { interceptor, calls };
}

const tagBucket = (bucket: string) => new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'team', Value: 'a' }] } });

/**
 * A minimal client (no config.serviceId, no retry middleware) whose stack runs what the factory added,
 * then answers `{ ok: true }` or rejects with what `WidgetClient.reject` holds.
 */
class WidgetClient implements SdkClient {
  static reject: { value: unknown } | undefined;
  config = {};
  private readonly added: ((next: any, context: any) => (args: any) => Promise<any>)[] = [];
  middlewareStack = { add: (middleware: (next: any, context: any) => (args: any) => Promise<any>) => void this.added.push(middleware) };
  constructor(_config: unknown) {}
  async send(command: { name: string }) {
    const context = { commandName: `${command.name}Command` };
    const terminal = async () => {
      if (WidgetClient.reject) throw WidgetClient.reject.value;
      return { output: { ok: true } };
    };
    const handler = this.added.reduceRight<(args: any) => Promise<any>>((next, middleware) => middleware(next, context), terminal);
    return (await handler({ input: {} })).output;
  }
}

afterEach(() => {
  vi.useRealTimers();
  WidgetClient.reject = undefined;
});

describe('the sandbox on the wire', () => {
  it('tells the interceptor each call with the protocol the client speaks, for every protocol trimtab uses', async () => {
    // Prepare
    const { interceptor, calls } = wireRecorder();
    const clients = new AwsClients({ allowWrites: false, interceptor, account: '123456789012' });
    // Act: one read per protocol (rbin's client predates schema serde: its protocol comes from the factory's own table)
    await clients.get(S3Client, 'us-east-1').send(new ListBucketsCommand({}));
    await clients.get(EC2Client, 'eu-west-1').send(new DescribeRegionsCommand({}));
    await clients.get(AutoScalingClient, 'us-east-1').send(new DescribeAutoScalingGroupsCommand({}));
    await clients.get(DynamoDBClient, 'us-east-1').send(new ListTablesCommand({ Limit: 5 }));
    await clients.get(CloudWatchLogsClient, 'us-east-1').send(new DescribeLogGroupsCommand({}));
    await clients.get(LambdaClient, 'us-east-1').send(new ListFunctionsCommand({}));
    await clients.get(RbinClient, 'us-east-1').send(new ListRulesCommand({ ResourceType: 'EBS_SNAPSHOT' }));
    // Assess
    expect(calls.map((c) => [c.service, c.operation, c.protocol])).toEqual([
      ['s3', 'ListBuckets', 'restXml'],
      ['ec2', 'DescribeRegions', 'ec2Query'],
      ['autoscaling', 'DescribeAutoScalingGroups', 'awsQuery'],
      ['dynamodb', 'ListTables', 'awsJson1_0'],
      ['cloudwatchlogs', 'DescribeLogGroups', 'awsJson1_1'],
      ['lambda', 'ListFunctions', 'restJson1'],
      ['rbin', 'ListRules', 'restJson1'],
    ]);
    expect(calls.map((c) => `${c.account}/${c.region}`)).toEqual(['123456789012/us-east-1', '123456789012/eu-west-1', ...Array(5).fill('123456789012/us-east-1')]);
    expect(calls[3].input).toEqual({ Limit: 5 });
    // The operation schema the SDK's deserializer will use (its output shape is the fifth member).
    expect(Array.isArray(calls[0].operationSchema)).toBe(true);
    expect(calls[0].operationSchema).toHaveLength(6);
  });

  it('hands the SDK the encoded answer, parsed by its own deserializer', async () => {
    // Prepare
    const { interceptor } = wireRecorder({ ListTables: { TableNames: ['orders', 'users'] }, DescribeRegions: { Regions: [{ RegionName: 'eu-west-1' }] } });
    const clients = new AwsClients({ allowWrites: false, interceptor });
    // Act
    const tables = await clients.get(DynamoDBClient, 'us-east-1').send(new ListTablesCommand({}));
    const regions = await clients.get(EC2Client, 'us-east-1').send(new DescribeRegionsCommand({}));
    // Assess
    expect(tables.TableNames).toEqual(['orders', 'users']);
    expect(tables.$metadata.httpStatusCode).toBe(200);
    expect(regions.Regions).toEqual([{ RegionName: 'eu-west-1' }]);
  });

  it("names the sandbox's own account when the factory names none", async () => {
    // Prepare
    const { interceptor, calls } = wireRecorder();
    const clients = new AwsClients({ allowWrites: false, interceptor });
    // Act
    await clients.get(S3Client, 'us-east-1').send(new ListBucketsCommand({}));
    // Assess
    expect(calls[0].account).toBe('sandbox');
  });

  it('refuses a request that reaches the transport without its call, and forgets each call once answered', async () => {
    // Prepare
    const { interceptor, calls } = wireRecorder();
    const clients = new AwsClients({ allowWrites: false, interceptor });
    const s3 = clients.get(S3Client, 'us-east-1');
    await s3.send(new ListBucketsCommand({}));
    const transport = (s3.config as unknown as { requestHandler: { handle(request: { headers: Record<string, string> }): Promise<unknown> } }).requestHandler;
    // Act: a request with no call id, and a replay of the id the finished call had
    const missing = transport.handle({ headers: {} });
    const replayed = transport.handle({ headers: { 'x-trimtab-sandbox-call': '1' } });
    // Assess
    await expect(missing).rejects.toThrow('trimtab sandbox: a s3 request reached the transport without its call (x-trimtab-sandbox-call header missing).');
    await expect(replayed).rejects.toThrow(/without its call/);
    expect(calls).toHaveLength(1);
  });

  it('answers through the transport with the status, headers and body the interceptor gave', async () => {
    // Prepare: the transport the factory installed, watched from outside
    const { interceptor } = wireRecorder({ ListBuckets: { Buckets: [{ Name: 'b1' }] } });
    const s3 = new AwsClients({ allowWrites: false, interceptor }).get(S3Client, 'us-east-1');
    const config = s3.config as unknown as { requestHandler: { handle(request: unknown): Promise<{ response: Record<string, unknown> }> } };
    const transport = config.requestHandler;
    const answered: Record<string, unknown>[] = [];
    config.requestHandler = {
      ...transport,
      async handle(request: unknown) {
        const result = await transport.handle(request);
        answered.push(result.response);
        return result;
      },
    };
    // Act
    const output = await s3.send(new ListBucketsCommand({}));
    // Assess
    expect(output.Buckets?.map((b) => b.Name)).toEqual(['b1']);
    expect(answered).toHaveLength(1);
    expect(answered[0].statusCode).toBe(200);
    expect(Object.keys(answered[0]).sort()).toEqual(['body', 'headers', 'reason', 'statusCode']);
    expect(answered[0].reason).toBeUndefined();
    expect((answered[0].headers as Record<string, string>)['x-amz-request-id']).toMatch(/\S/);
  });

  it('answers as output objects when the interceptor does not parse a service on the wire, cannot respond, or has no opinion', async () => {
    // Prepare: three interceptors that each leave the wire out for one reason
    const answer = { Buckets: [{ Name: 'from-handle' }] };
    const notServed = wireRecorder({}, (service) => service !== 's3');
    notServed.interceptor.handle = async () => answer;
    const noRespond = objectRecorder(async () => answer);
    noRespond.interceptor.parsesWire = () => true;
    const noOpinion = objectRecorder(async () => answer);
    noOpinion.interceptor.respond = notServed.interceptor.respond;
    // Act
    const outputs = [];
    for (const interceptor of [notServed.interceptor, noRespond.interceptor, noOpinion.interceptor]) {
      outputs.push(await new AwsClients({ allowWrites: false, interceptor }).get(S3Client, 'us-east-1').send(new ListBucketsCommand({})));
    }
    // Assess
    expect(outputs.map((o) => o.Buckets)).toEqual([answer.Buckets, answer.Buckets, answer.Buckets]);
    expect(notServed.calls).toHaveLength(0);
    expect(noRespond.calls.map((c) => `${c.service}:${c.operation}`)).toEqual(['s3:ListBuckets']);
  });
});

describe('the sandbox as output objects', () => {
  it('gives the handler the call and returns its answer with a 200 status', async () => {
    // Prepare
    const { interceptor, calls } = objectRecorder(async () => ({ TableNames: ['t1'] }));
    const clients = new AwsClients({ allowWrites: false, interceptor, account: '210987654321' });
    // Act
    const output = await clients.get(DynamoDBClient, 'ap-south-1').send(new ListTablesCommand({ Limit: 3 }));
    // Assess
    expect(calls).toEqual([{ account: '210987654321', region: 'ap-south-1', service: 'dynamodb', operation: 'ListTables', input: { Limit: 3 } }]);
    expect(output.TableNames).toEqual(['t1']);
    expect(output.$metadata.httpStatusCode).toBe(200);
  });

  it('forwards the serialised request to a local endpoint and keeps what the handler makes of the parsed answer', async () => {
    // Prepare: a local server that answers ListTables as DynamoDB would
    const seen: { url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'local-1' });
        res.end(JSON.stringify({ TableNames: ['local'] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { interceptor } = objectRecorder(async (_call, forward) => {
        const parsed = await forward!(endpoint);
        return { ...parsed, TableNames: [...parsed.TableNames, 'added-by-handler'] };
      });
      const clients = new AwsClients({ allowWrites: false, interceptor });
      // Act
      const output = await clients.get(DynamoDBClient, 'us-east-1').send(new ListTablesCommand({ Limit: 2 }));
      // Assess: the request went to the local server (its host named), and the handler's answer came back with the response's metadata
      expect(seen).toHaveLength(1);
      expect(seen[0].headers.host).toBe(new URL(endpoint).host);
      expect(seen[0].headers['x-amz-target']).toBe('DynamoDB_20120810.ListTables');
      expect(JSON.parse(seen[0].body)).toEqual({ Limit: 2 });
      expect(output.TableNames).toEqual(['local', 'added-by-handler']);
      expect(output.$metadata.requestId).toBe('local-1');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
  it('hands the raw response to the middleware above the sandbox: the local server\'s when forwarded, a 200 otherwise', async () => {
    // Prepare: a middleware like a command's own (lib/resources/ebs-snapshot/recycle-bin.ts reads the raw response)
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'local-2' });
      res.end(JSON.stringify({ TableNames: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const responses: { statusCode?: number; headers?: Record<string, string> }[] = [];
    const watch = (client: DynamoDBClient) => {
      client.middlewareStack.add(
        (next: any) => async (args: any) => {
          const result = await next(args);
          responses.push(result.response);
          return result;
        },
        { step: 'build', name: 'testRawResponse' },
      );
      return client;
    };
    try {
      const forwarding = watch(new AwsClients({ allowWrites: false, interceptor: objectRecorder(async (_call, forward) => forward!(endpoint)).interceptor }).get(DynamoDBClient, 'us-east-1'));
      const answering = watch(new AwsClients({ allowWrites: false, interceptor: objectRecorder(async () => ({ TableNames: [] })).interceptor }).get(DynamoDBClient, 'us-east-1'));
      // Act
      await forwarding.send(new ListTablesCommand({}));
      await answering.send(new ListTablesCommand({}));
      // Assess
      expect(responses[0].statusCode).toBe(200);
      expect(responses[0].headers?.['x-amzn-requestid']).toBe('local-2');
      expect(responses[1]).toEqual({ statusCode: 200, headers: {} });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the client configuration', () => {
  it('signs in another account with the credentials given for it, or with the factory\'s own', async () => {
    // Prepare
    const hub = new AwsClients({ allowWrites: false, credentials: { accessKeyId: 'AKIAHUB', secretAccessKey: 'hub' } });
    const bare = new AwsClients({ allowWrites: false });
    // Act
    const member = await bare.forAccount('210987654321', { accessKeyId: 'AKIAMEMBER', secretAccessKey: 'member' }).get(EC2Client, 'us-east-1').config.credentials();
    const inherited = await hub.forAccount('210987654321').get(EC2Client, 'us-east-1').config.credentials();
    // Assess
    expect(member).toMatchObject({ accessKeyId: 'AKIAMEMBER', secretAccessKey: 'member' });
    expect(inherited).toMatchObject({ accessKeyId: 'AKIAHUB', secretAccessKey: 'hub' });
  });

  it('signs sandbox calls with placeholder credentials unless credentials are given, and lets clientConfig override', async () => {
    // Prepare
    const { interceptor } = wireRecorder();
    const sandboxed = new AwsClients({ allowWrites: false, interceptor });
    const given = new AwsClients({ allowWrites: false, interceptor, credentials: { accessKeyId: 'AKIAGIVEN', secretAccessKey: 'given' } });
    const configured = new AwsClients({ allowWrites: false, clientConfig: { maxAttempts: 2, region: 'ignored-region-override' } });
    // Act
    const sandboxCredentials = await sandboxed.get(EC2Client, 'us-east-1').config.credentials();
    const givenCredentials = await given.get(EC2Client, 'us-east-1').config.credentials();
    const ec2 = configured.get(EC2Client, 'us-east-1');
    // Assess
    expect(sandboxCredentials).toMatchObject({ accessKeyId: 'SANDBOX', secretAccessKey: 'SANDBOX' });
    expect(givenCredentials).toMatchObject({ accessKeyId: 'AKIAGIVEN', secretAccessKey: 'given' });
    expect(await ec2.config.maxAttempts()).toBe(2);
    expect(await ec2.config.region()).toBe('ignored-region-override');
  });

  it('switches S3 to path-style addressing only for a custom S3 endpoint, and never sets it on other clients', async () => {
    // Prepare
    const saved = { all: process.env.AWS_ENDPOINT_URL, s3: process.env.AWS_ENDPOINT_URL_S3 };
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_S3;
    try {
      // Act
      const plain = new AwsClients({ allowWrites: false }).get(S3Client, 'us-east-1');
      process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:4566';
      const s3Only = new AwsClients({ allowWrites: false }).get(S3Client, 'us-east-1');
      const ec2 = new AwsClients({ allowWrites: false }).get(EC2Client, 'us-east-1');
      // Assess
      expect(plain.config.forcePathStyle).toBe(false);
      expect(plain.config.followRegionRedirects).toBe(true);
      expect(s3Only.config.forcePathStyle).toBe(true);
      expect((ec2.config as { forcePathStyle?: boolean }).forcePathStyle).toBeUndefined();
      expect((ec2.config as { followRegionRedirects?: boolean }).followRegionRedirects).toBeUndefined();
    } finally {
      for (const [key, value] of [['AWS_ENDPOINT_URL', saved.all], ['AWS_ENDPOINT_URL_S3', saved.s3]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('hands each new client to instrument once and caches what it returns, or the client itself when it returns nothing', () => {
    // Prepare
    const seen: SdkClient[] = [];
    const wrapped = { wrapped: true };
    const wrapping = new AwsClients({ allowWrites: false, instrument: (client) => (seen.push(client), wrapped as never) });
    const watching = new AwsClients({ allowWrites: false, instrument: (client) => void seen.push(client) });
    // Act
    const first = wrapping.get(S3Client, 'us-east-1');
    const again = wrapping.get(S3Client, 'us-east-1');
    const plain = watching.get(EC2Client, 'us-east-1');
    // Assess
    expect(first).toBe(wrapped);
    expect(again).toBe(wrapped);
    expect(plain).toBeInstanceOf(EC2Client);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(plain);
  });

  it('returns an injected client as it is, and builds the others', () => {
    // Prepare
    const injected = new S3Client({ region: 'eu-central-1' });
    const clients = new AwsClients({ allowWrites: false, inject: new Map([[S3Client, injected]]) });
    // Act / Assess
    expect(clients.get(S3Client, 'us-east-1')).toBe(injected);
    expect(clients.get(EC2Client, 'us-east-1')).toBeInstanceOf(EC2Client);
  });

  it('names a client without a service id after its class, in the guard and the call counts', async () => {
    // Prepare: a minimal client (no config.serviceId) whose middleware stack runs what was added
    const clients = new AwsClients({ allowWrites: false, writePacing: false });
    const widget = clients.get(WidgetClient, 'us-east-1');
    // Act
    const refused = await widget.send({ name: 'DeleteWidget' }).catch((e: unknown) => e);
    const read = await widget.send({ name: 'ListWidgets' });
    // Assess
    expect(refused).toBeInstanceOf(DryRunViolationError);
    expect((refused as Error).message).toMatch(/^Refused widget:DeleteWidget: /);
    expect(read).toEqual({ ok: true });
    expect([...clients.calls]).toEqual([
      ['widget:DeleteWidget', 1],
      ['widget:ListWidgets', 1],
    ]);
  });
});

describe('where the middleware sits', () => {
  it('puts the dry-run guard first at initialize, pacing after it, and the sandbox at the transport end', () => {
    // Prepare
    const wire = wireRecorder().interceptor;
    const objects = objectRecorder(async () => ({})).interceptor;
    // Act
    const onWire = new AwsClients({ allowWrites: false, interceptor: wire }).get(S3Client, 'us-east-1').middlewareStack.identify();
    const asObjects = new AwsClients({ allowWrites: false, interceptor: objects }).get(S3Client, 'us-east-1').middlewareStack.identify();
    const real = new AwsClients({ allowWrites: false, writePacing: false }).get(S3Client, 'us-east-1').middlewareStack.identify();
    // Assess: the guard runs before anything else; pacing last in initialize (a refused write never waits for a token)
    const initialize = (list: string[]) => list.filter((m) => m.endsWith(' - initialize'));
    expect(initialize(onWire)[0]).toBe('trimtabDryRunGuard - initialize');
    expect(initialize(onWire).at(-1)).toBe('trimtabWritePacing - initialize');
    // On the wire: the outermost deserialize middleware, so every SDK middleware still runs on the answer.
    expect(onWire.filter((m) => m.endsWith(' - deserialize'))[0]).toBe('trimtabSandboxWire - deserialize');
    // As objects: the last of finalizeRequest, inside the retry middleware.
    const finalize = asObjects.filter((m) => m.endsWith(' - finalizeRequest'));
    expect(finalize.at(-1)).toBe('trimtabSandbox - finalizeRequest');
    expect(finalize.indexOf('retryMiddleware - finalizeRequest')).toBeLessThan(finalize.indexOf('trimtabSandbox - finalizeRequest'));
    // No sandbox and no pacing: only the guard is added.
    expect(real.filter((m) => m.startsWith('trimtab'))).toEqual(['trimtabDryRunGuard - initialize']);
  });
});

describe('the failed call named on the error', () => {
  it('keeps the name an inner call already put on the error', async () => {
    // Prepare
    const inner = Object.defineProperty(new Error('inner failure'), '$trimtabOperation', { value: 'sts:AssumeRole', enumerable: false, configurable: true });
    const { interceptor } = objectRecorder(async () => {
      throw inner;
    });
    const s3 = new AwsClients({ allowWrites: false, interceptor, clientConfig: { maxAttempts: 1 } }).get(S3Client, 'us-east-1');
    // Act
    const error = await s3.send(new ListBucketsCommand({})).catch((e: unknown) => e);
    // Assess
    expect(error).toBe(inner);
    expect((error as { $trimtabOperation?: string }).$trimtabOperation).toBe('sts:AssumeRole');
  });

  it('lets a rejection that is not an object (a string, null) through as it is', async () => {
    // Prepare: a client without the SDK's retry middleware, which would wrap it in an Error
    const widget = new AwsClients({ allowWrites: false, writePacing: false }).get(WidgetClient, 'us-east-1');
    // Act
    WidgetClient.reject = { value: 'plain text' };
    const text = await widget.send({ name: 'ListWidgets' }).catch((e: unknown) => ({ caught: e }));
    WidgetClient.reject = { value: null };
    const nothing = await widget.send({ name: 'ListWidgets' }).catch((e: unknown) => ({ caught: e }));
    // Assess
    expect(text).toEqual({ caught: 'plain text' });
    expect(nothing).toEqual({ caught: null });
  });

  it('names the call on a fresh error in a property that can be redefined by an outer layer', async () => {
    // Prepare
    const { interceptor } = objectRecorder(async () => {
      throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
    });
    const s3 = new AwsClients({ allowWrites: false, interceptor, clientConfig: { maxAttempts: 1 } }).get(S3Client, 'us-east-1');
    // Act
    const error = await s3.send(new ListBucketsCommand({})).catch((e: unknown) => e);
    // Assess
    expect(Object.getOwnPropertyDescriptor(error, '$trimtabOperation')).toEqual({ value: 's3:ListBuckets', enumerable: false, configurable: true, writable: false });
  });
});

describe('write pacing (on a fake clock)', () => {
  /** The times (ms from the first) at which each call reached the interceptor, running `sends` at once on a fake clock. */
  async function timesOf(at: number[], sends: (() => Promise<unknown>)[]) {
    const all = Promise.all(sends.map((send) => send()));
    await vi.runAllTimersAsync();
    await all;
    return at.map((t) => t - at[0]);
  }

  it('paces writes at the configured rate after the burst, and never paces reads', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { interceptor, at, calls } = wireRecorder();
    const clients = new AwsClients({ allowWrites: true, interceptor, writePacing: { s3: { perSecond: 2, burst: 1 } } });
    const s3 = clients.get(S3Client, 'us-east-1');
    // Act: three writes, then three reads, all at once
    const times = await timesOf(at, [
      () => s3.send(tagBucket('b1')),
      () => s3.send(tagBucket('b2')),
      () => s3.send(tagBucket('b3')),
      () => s3.send(new ListBucketsCommand({})),
      () => s3.send(new ListBucketsCommand({})),
      () => s3.send(new ListBucketsCommand({})),
    ]);
    // Assess: the reads went at once; the writes one every 500 ms after the first
    const writes = calls.map((c, i) => [c.operation, times[i]] as const).filter(([op]) => op === 'PutBucketTagging');
    const reads = calls.map((c, i) => [c.operation, times[i]] as const).filter(([op]) => op === 'ListBuckets');
    expect(writes.map(([, t]) => Math.round(t))).toEqual([0, 500, 1000]);
    expect(reads.map(([, t]) => Math.round(t))).toEqual([0, 0, 0]);
  });

  it('uses the default pace when none is configured (EC2: 20 at once, then 4 a second), and none when pacing is off', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const paced = wireRecorder();
    const unpaced = wireRecorder();
    const ec2 = new AwsClients({ allowWrites: true, interceptor: paced.interceptor }).get(EC2Client, 'us-east-1');
    const free = new AwsClients({ allowWrites: true, interceptor: unpaced.interceptor, writePacing: false }).get(EC2Client, 'us-east-1');
    const deletes = (client: EC2Client) => Array.from({ length: 22 }, (_, i) => () => client.send(new DeleteSnapshotCommand({ SnapshotId: `snap-${i}` })));
    // Act
    const pacedTimes = await timesOf(paced.at, deletes(ec2));
    const freeTimes = await timesOf(unpaced.at, deletes(free));
    // Assess
    expect(pacedTimes.map(Math.round)).toEqual([...Array(20).fill(0), 250, 500]);
    expect(freeTimes.map(Math.round)).toEqual(Array(22).fill(0));
  });

  it('sends writes to a service without a pace unpaced', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { interceptor, at } = wireRecorder();
    const lambda = new AwsClients({ allowWrites: true, interceptor, writePacing: { s3: { perSecond: 1, burst: 1 } } }).get(LambdaClient, 'us-east-1');
    // Act
    const times = await timesOf(
      at,
      ['a', 'b', 'c'].map((name) => () => lambda.send(new TagResourceCommand({ Resource: `arn:aws:lambda:us-east-1:123456789012:function:${name}`, Tags: { team: 'a' } }))),
    );
    // Assess
    expect(times).toEqual([0, 0, 0]);
  });

  it('keeps one pace per account, service and region, shared by the views of one factory', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { interceptor, at, calls } = wireRecorder();
    const hub = new AwsClients({ allowWrites: true, interceptor, account: '111111111111', writePacing: { s3: { perSecond: 1, burst: 1 } } });
    const member = hub.forAccount('222222222222');
    const view = hub.withWrites(false).withWrites(true);
    // Act: hub us-east-1, member us-east-1, hub eu-west-1, then hub us-east-1 again through another view
    const times = await timesOf(at, [
      () => hub.get(S3Client, 'us-east-1').send(tagBucket('hub-1')),
      () => member.get(S3Client, 'us-east-1').send(tagBucket('member-1')),
      () => hub.get(S3Client, 'eu-west-1').send(tagBucket('hub-eu-1')),
      () => view.get(S3Client, 'us-east-1').send(tagBucket('hub-2')),
    ]);
    // Assess: only the second write in the hub's us-east-1 waited a second
    const byBucket = Object.fromEntries(calls.map((c, i) => [(c.input as { Bucket: string }).Bucket, Math.round(times[i])]));
    expect(byBucket).toEqual({ 'hub-1': 0, 'member-1': 0, 'hub-eu-1': 0, 'hub-2': 1000 });
    expect(view).not.toBe(hub);
  });

  it('refuses dry-run writes at once: a refused write never waits for a pacing token', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { interceptor, calls } = wireRecorder();
    const s3 = new AwsClients({ allowWrites: false, interceptor, writePacing: { s3: { perSecond: 1, burst: 1 } } }).get(S3Client, 'us-east-1');
    // Act: three refused writes, without moving the clock
    const settled: unknown[] = [];
    for (const bucket of ['b1', 'b2', 'b3']) void s3.send(tagBucket(bucket)).catch((e: unknown) => settled.push(e));
    await vi.advanceTimersByTimeAsync(0);
    // Assess
    expect(settled).toHaveLength(3);
    settled.forEach((e) => expect(e).toBeInstanceOf(DryRunViolationError));
    expect(calls).toHaveLength(0);
  });
});
