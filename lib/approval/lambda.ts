/**
 * The approval functions' Lambda side: dependencies built once per container from the
 * environment serverless.yml sets, and the adapters functions/approval-*.ts export. Logic lives
 * in workflow.ts and page.ts; nothing here is needed to test it.
 *
 * Lean on purpose (docs/performance.md): this module needs only the client factory, never the
 * engine's deps, the policies or the resource modules. The apply and verify functions pass
 * those in from their entry (functions/approval-apply.ts), so the page, ask, record and notify
 * bundles carry no EC2, S3, Auto Scaling or CloudWatch client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ClientConstructor, SdkClient } from '../aws/clients.ts';
import { lambdaClients, onFirstUse } from '../lambda/bundle.ts';
import { logger } from '../lambda/powertools.ts';
import type { Policy } from '../policy/load.ts';
import { InvalidEventError, TrimtabError } from '../util/errors.ts';
import type { Mailer } from './email.ts';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { handleApprovalRequest, problem, type HttpRequest, type PageDeps } from './page.ts';
import { DynamoApprovalStore } from './store.ts';
import { parseStepEvent, runStep, SfnTaskSender, type StepEvent, type WorkflowDeps } from './workflow.ts';

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new TrimtabError(`The approval functions need the environment variable ${name} (set in serverless.yml custom.approval.environment).`);
  return value;
}

let workflowCache: WorkflowDeps | undefined;
let pageCache: PageDeps | undefined;

/**
 * trimtab's own table, mail or workflow client, through the one client factory (traced,
 * retried), writable even while policies run in dry-run. One client class per call: a function
 * bundles only the clients its code names (the page: no SES; the workflow steps: no SFN).
 */
export type OwnClient = <C extends SdkClient>(Ctor: ClientConstructor<C>) => C;

async function ownClients(): Promise<OwnClient> {
  const writable = (await lambdaClients()).clients.withWrites(true);
  return <C extends SdkClient>(Ctor: ClientConstructor<C>): C => writable.get(Ctor, process.env.AWS_REGION ?? 'us-east-1');
}

/** What the apply and verify steps add: the engine's deps and the current policies (functions/approval-apply.ts, approval-verify.ts). */
export type EngineProvider = () => Promise<{ engine: NonNullable<WorkflowDeps['engine']>; policies: Policy[] }>;

/** A step that sends no mail gets no mailer (and its function no SES client). */
const noMailer: Mailer = {
  send: async () => {
    throw new TrimtabError('This function has no mailer: only approval-ask and approval-notify send mail.');
  },
};

/** A step that signs no link gets no secret (and its function no SSM client). */
const noSecret = async (): Promise<string> => {
  throw new TrimtabError('This function has no approval link secret: only approval-ask signs links.');
};

/**
 * The workflow steps' deps. Each function passes in only what its steps use, so its bundle holds
 * only those clients: `engine` (apply, verify), `secret` (ask: lib/approval/secret.ts), `mailer`
 * (ask, notify: lib/approval/ses.ts).
 */
export async function workflowDeps(options: { engine?: EngineProvider; secret?: () => Promise<string>; mailer?: (client: OwnClient) => Mailer } = {}): Promise<WorkflowDeps> {
  const withEngine = options.engine;
  if (workflowCache && (!withEngine || workflowCache.engine)) return workflowCache;
  const base = withEngine ? await withEngine() : undefined;
  const client = await ownClients();
  // Environment read now (a misconfigured stack fails at once); clients made on first use.
  const table = env('TRIMTAB_APPROVALS_TABLE');
  workflowCache = {
    // Clients made on first use (lib/lambda/bundle.ts onFirstUse): the record step never mails.
    store: onFirstUse(() => new DynamoApprovalStore(table, client(DynamoDBClient))),
    mailer: options.mailer ? onFirstUse(() => options.mailer!(client)) : noMailer,
    secret: options.secret ?? noSecret,
    baseUrl: env('TRIMTAB_APPROVAL_BASE_URL'),
    now: () => new Date(),
    engine: base?.engine,
    currentPolicies: base?.policies,
    log: (message, data) => logger.info(message, data ?? {}),
  };
  return workflowCache;
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

/** A step function's handler: validates the input and runs only the steps this function may run. */
export function stepHandler(allowed: StepEvent['step'][], deps: () => WorkflowDeps | Promise<WorkflowDeps>) {
  return async (event: unknown, context?: { getRemainingTimeInMillis?: () => number }) => {
    const parsed = parseStepEvent(event, allowed.length === 1 ? allowed[0] : undefined);
    if (!allowed.includes(parsed.step)) throw new InvalidEventError(`This function runs ${allowed.join(', ')}, not '${parsed.step}'.`);
    logger.appendKeys({ approvalId: parsed.approvalId, step: parsed.step });
    const base = await deps();
    // This invocation's time budget: Apply checks it before each change and each step.
    const remaining = context?.getRemainingTimeInMillis?.bind(context);
    return runStep(remaining ? { ...base, remainingMs: remaining } : base, parsed);
  };
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
