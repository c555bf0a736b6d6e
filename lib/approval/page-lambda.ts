/**
 * The approval page's Lambda side (functions/approval-page.ts): its deps and the HTTP adapter.
 * Apart from lambda.ts so that the page's bundle does not carry the workflow, the engine and
 * their price table (test/package/bundles.test.ts, the approval page budget); lambda.ts
 * re-exports all of it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ClientConstructor, SdkClient } from '../aws/clients.ts';
import { lambdaClients, onFirstUse } from '../lambda/bundle.ts';
import { logger } from '../lambda/powertools.ts';
import { TrimtabError } from '../util/errors.ts';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { SfnTaskSender } from './decide.ts';
import { handleApprovalRequest, problem, type HttpRequest, type PageDeps } from './page.ts';
import { DynamoApprovalStore } from './store.ts';

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new TrimtabError(`The approval functions need the environment variable ${name} (set in serverless.yml custom.approval.environment).`);
  return value;
}

let pageCache: PageDeps | undefined;

/**
 * trimtab's own table, mail or workflow client, through the one client factory (traced,
 * retried), writable even while policies run in dry-run. One client class per call: a function
 * bundles only the clients its code names (the page: no SES; the workflow steps: no SFN).
 */
export type OwnClient = <C extends SdkClient>(Ctor: ClientConstructor<C>) => C;

export async function ownClients(): Promise<OwnClient> {
  const writable = (await lambdaClients()).clients.withWrites(true);
  return <C extends SdkClient>(Ctor: ClientConstructor<C>): C => writable.get(Ctor, process.env.AWS_REGION ?? 'us-east-1');
}

export async function pageDeps(secret: () => Promise<string>): Promise<PageDeps> {
  if (pageCache) return pageCache;
  const client = await ownClients();
  const table = env('TRIMTAB_APPROVALS_TABLE');
  pageCache = {
    // A GET reads the table only; the SFN client is made by the first decision.
    store: onFirstUse(() => new DynamoApprovalStore(table, client(DynamoDBClient))),
    tasks: onFirstUse(() => new SfnTaskSender(client(SFNClient))),
    secret,
    now: () => new Date(),
    // Decisions (with the caller's IP and user agent) and errors behind a page's reference id.
    log: (message, data) => (message.includes('error') ? logger.error(message, data ?? {}) : logger.info(message, data ?? {})),
  };
  return pageCache;
}

/** HTTP API (payload 2.0) → the page handler → HTTP API result. */
export function toHttpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? '/',
    query: event.rawQueryString ?? '',
    body: event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
    headers,
    // API Gateway's view of the caller (payload 2.0 requestContext.http), not a header the caller can set.
    client: { sourceIp: event.requestContext?.http?.sourceIp, userAgent: event.requestContext?.http?.userAgent ?? headers['user-agent'] },
  };
}

/** The parts of an HTTP API (payload 2.0) event the page reads; anything else is not a request it serves. */
const httpEventSchema = z.object({
  rawPath: z.string().max(4096).optional(),
  rawQueryString: z.string().optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  headers: z.record(z.string(), z.string().optional()).optional(),
  requestContext: z.object({ http: z.object({ method: z.string().max(16), sourceIp: z.string().max(64).optional(), userAgent: z.string().optional() }).optional() }).optional(),
});

export async function approvalPageHandler(event: APIGatewayProxyEventV2, given: PageDeps | (() => Promise<PageDeps>)): Promise<APIGatewayProxyStructuredResultV2> {
  const deps = typeof given === 'function' ? await given() : given;
  // A malformed invocation (not from the HTTP API) gets a 400 page, never a crash or a decision.
  if (!httpEventSchema.safeParse(event).success) {
    const bad = problem(400, 'Not a valid request', 'The approval page received a request it cannot read.');
    return { statusCode: bad.statusCode, headers: bad.headers, body: bad.body };
  }
  const response = await handleApprovalRequest(toHttpRequest(event), deps);
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
}
