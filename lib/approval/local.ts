/**
 * The approval workflow on a laptop, with no AWS: the SAME definition serverless.yml deploys
 * (lib/approval/state-machine.ts) run by aws-local-stepfunctions with its Tasks overridden by
 * the in-process step functions; a tiny mail catcher (node:http, lists captured mail as HTML and
 * JSON); and the approval page served by the same handler code as the Lambda. A person can open
 * the email and click a real link.
 *
 * Everything listens on 127.0.0.1 only, and stop() leaves no server, timer or execution behind.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';
import type { EngineDeps } from '../engine/run.ts';
import type { Policy } from '../policy/load.ts';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { AwsClients } from '../aws/clients.ts';
import { IDLE_SOCKET_MS, startLocalSes, type LocalSes, type StoredEmail } from '../sandbox/local-services.ts';
import { SesMailer, type Email, type Mailer } from './email.ts';
import { handleApprovalRequest, MAX_BODY_BYTES, newReference, problem, type HttpRequest, type HttpResponse } from './page.ts';
import { localDefinition, STATE, WORKFLOW_ERRORS } from './state-machine.ts';
import { MemoryApprovalStore, type ApprovalStore } from './store.ts';
import { parseStepEvent, runStep, WorkflowApprovalRequester, type ExecutionStarter, type IssuedLinks, type TaskSender, type WorkflowDeps } from './workflow.ts';

/** aws-local-stepfunctions uses Promise.withResolvers, which Node 20 lacks. */
export function polyfillPromiseWithResolvers() {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= function withResolvers<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
polyfillPromiseWithResolvers();

/**
 * A local state machine over `definition`. aws-local-stepfunctions checks a definition against the
 * ASL schema when it builds a machine, about 100 ms of CPU each time: the definitions here are
 * fixed, so each is checked once per process and the machines built after it skip the check.
 * A machine holds no execution state; runs are separate.
 */
export function localStateMachine(definition: object): StateMachine {
  const key = JSON.stringify(definition);
  const machine = new StateMachine(definition as never, { validationOptions: checkedDefinitions.has(key) ? { noValidate: true } : { checkArn: false } });
  checkedDefinitions.add(key);
  return machine;
}
const checkedDefinitions = new Set<string>();

/** An error with the name Step Functions would match on (SendTaskFailure's `error`). */
export const namedError = (name: string, message: string) => Object.assign(new Error(message), { name });

/** Holds the local runner's waits: SendTaskSuccess/SendTaskFailure for in-process executions. */
export class LocalTaskSender implements TaskSender {
  readonly pending = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void }>();
  readonly sent: { token: string; kind: 'success' | 'failure'; payload: unknown }[] = [];

  wait(token: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.pending.set(token, { resolve, reject }));
  }
  private take(token: string) {
    const waiter = this.pending.get(token);
    if (!waiter) throw namedError('TaskDoesNotExist', 'Task does not exist anymore');
    this.pending.delete(token);
    return waiter;
  }
  async success(token: string, output: Record<string, unknown>) {
    const waiter = this.take(token);
    this.sent.push({ token, kind: 'success', payload: output });
    waiter.resolve(output);
  }
  async failure(token: string, error: string, cause: string) {
    const waiter = this.take(token);
    this.sent.push({ token, kind: 'failure', payload: { error, cause } });
    waiter.reject(namedError(error, cause));
  }
}

export interface LocalExecution {
  approvalId: string;
  executionArn: string;
  /** Resolves with the final state data; rejects with the Fail state's error (name = Error). */
  result: Promise<unknown>;
  /** The names of the states entered, in order. */
  states: string[];
  abort(): void;
}

export interface LocalWorkflowOptions {
  /** Milliseconds between retries (the definition's backoff is for AWS; 0 keeps tests fast). */
  retryIntervalMs?: number;
  /** Poll the store for decisions made by another process (the CLI with --sandbox). 0: off. */
  pollMs?: number;
}

/** Runs approval executions in-process from the generated definition. */
export class LocalWorkflow implements ExecutionStarter {
  readonly executions = new Map<string, LocalExecution>();
  private readonly machine = localStateMachine(localDefinition());
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly deps: WorkflowDeps,
    readonly tasks: LocalTaskSender,
    readonly options: LocalWorkflowOptions = {},
  ) {}

  /** The Task overrides: the `lambda:invoke` ones return `{ Payload }` like Lambda does. */
  private handlers(approvalId: string, token: string) {
    const step = (name: Parameters<typeof parseStepEvent>[1]) => async (input: any) => ({ Payload: await runStep(this.deps, parseStepEvent(input.Payload, name)) });
    return {
      [STATE.record]: step('record'),
      [STATE.ask]: async (input: any) => {
        const wait = this.tasks.wait(token);
        // stop() may reject the wait while the email is still being sent: observed by the race below, never unhandled.
        wait.catch(() => {});
        await runStep(this.deps, parseStepEvent(input.Payload, 'ask'));
        return this.options.pollMs ? Promise.race([wait, this.pollDecision(approvalId, token)]) : wait;
      },
      // The Wait for a maintenance window runs in the engine's clock here (virtual time in the sandbox
      // and the tests), as Step Functions' Wait state does in AWS; the state's own wait is overridden to 0.
      [STATE.apply]: async (input: any) => {
        const out = (await step('apply')(input)) as { Payload: { waitUntil?: string | null } };
        const until = out.Payload.waitUntil ? Date.parse(out.Payload.waitUntil) : NaN;
        const clock = this.deps.engine?.clock;
        if (clock && !Number.isNaN(until)) await clock.sleep(Math.max(0, until - clock.now().getTime()));
        return out;
      },
      [STATE.verify]: step('verify'),
      [STATE.notApproved]: step('not-approved'),
      [STATE.tell]: step('notify'),
      [STATE.recordFailure]: step('failed'),
    };
  }

  /** A decision written to a shared store by another process resumes the wait, as SendTask* would. */
  private pollDecision(approvalId: string, token: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setInterval(async () => {
        const record = await this.deps.store.get(approvalId).catch(() => undefined);
        if (!record || !this.tasks.pending.has(token)) return;
        if (record.status === 'approved' && record.decision) {
          clearInterval(timer);
          this.timers.delete(timer);
          this.tasks.pending.delete(token);
          resolve({ decision: 'approve', actor: record.decision.actor });
        } else if (record.status === 'rejected') {
          clearInterval(timer);
          this.timers.delete(timer);
          this.tasks.pending.delete(token);
          reject(namedError(WORKFLOW_ERRORS.rejected, `Rejected by ${record.decision?.actor ?? 'an operator'}`));
        }
      }, this.options.pollMs);
      this.timers.add(timer);
    });
  }

  async start(approvalId: string) {
    const token = `local-task-token-${approvalId}-${randomBytes(24).toString('base64url')}`;
    const executionArn = `arn:aws:states:local:000000000000:execution:trimtab-approval:${approvalId}`;
    const retryMs = this.options.retryIntervalMs ?? 0;
    const overridesRetry = Object.fromEntries(Object.values(STATE).map((s) => [s, retryMs]));
    const run = this.machine.run({ approvalId }, {
      overrides: { taskResourceLocalHandlers: this.handlers(approvalId, token) as never, retryIntervalOverrides: overridesRetry, waitTimeOverrides: { [STATE.waitForWindow]: 0 } },
      context: { Execution: { Id: executionArn, Input: { approvalId } }, Task: { Token: token } },
      noThrowOnAbort: true,
    });
    const states: string[] = [];
    // Follow the event log so tests and the demo can show the path taken.
    void (async () => {
      try {
        for await (const event of run.eventLogs) if (event.type === 'StateEntered') states.push(event.state.name);
      } catch {
        // The log ends with the execution; its errors surface through `result`.
      }
    })();
    const result = run.result.catch((error: unknown) => {
      // aws-local-stepfunctions wraps the Fail state's error; keep its Error name.
      const e = error as Error & { cause?: { name?: string; message?: string } };
      throw namedError(e.cause?.name ?? e.name, e.cause?.message ?? e.message);
    });
    result.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
    this.executions.set(approvalId, { approvalId, executionArn, result, states, abort: run.abort });
  }

  stop() {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    for (const execution of this.executions.values()) execution.abort();
    for (const waiter of this.tasks.pending.values()) waiter.reject(namedError('ExecutionAborted', 'the local stack stopped'));
    this.tasks.pending.clear();
  }
}

// ───────────────────────── the mail server ─────────────────────────

/** A mail as the local SES server stored it. */
export interface CaughtEmail extends Email {
  /** The SES MessageId. */
  id: string;
  at: string;
}

/** The sender the local stack mails from (aws-ses-v2-local checks the address's form, as SES does). */
export const LOCAL_MAIL_FROM = 'trimtab@example.com';

/**
 * The real SesMailer, sending through the client factory to aws-ses-v2-local on 127.0.0.1:
 * the SDK serialises SendEmail and parses the answer as it would against SES. `emails` is
 * what the server stored for this mailbox (by MessageId: the package's store is shared by
 * every server in a process), read back from its `GET /store` after each send.
 */
export class LocalMailbox implements Mailer {
  readonly emails: CaughtEmail[] = [];
  private readonly sent = new Set<string>();
  private readonly mailer: SesMailer;

  constructor(
    readonly ses: LocalSes,
    from = LOCAL_MAIL_FROM,
  ) {
    // Two attempts: in-process, the server's keep-alive timer can reset the idle socket the SDK reuses
    // after a busy stretch (ECONNRESET, a transient error the SDK retries; the server never read that request).
    const clients = new AwsClients({ allowWrites: true, writePacing: false, clientConfig: { endpoint: ses.url, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 } });
    this.mailer = new SesMailer(from, clients.get(SESv2Client, 'us-east-1'));
  }

  async send(email: Email) {
    const sent = await this.mailer.send(email);
    this.sent.add(sent.messageId);
    await this.refresh();
    return sent;
  }

  /** Re-read this mailbox's mail from the server. */
  async refresh(): Promise<CaughtEmail[]> {
    const stored = (await this.ses.store()).filter((e) => this.sent.has(e.messageId));
    this.emails.splice(0, this.emails.length, ...stored.map(fromStore));
    return this.emails;
  }
}

const LOCAL_CREDENTIALS = { accessKeyId: 'LOCAL', secretAccessKey: 'LOCAL' };

const fromStore = (e: StoredEmail): CaughtEmail => ({
  id: e.messageId,
  at: new Date(e.at * 1000).toISOString(),
  to: e.destination.to,
  subject: e.subject,
  text: e.body.text ?? '',
  html: e.body.html ?? '',
});

// ───────────────────────── servers ─────────────────────────

async function listen(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server) {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * A server that no request can bring down: a request that cannot be parsed gets Node's 4xx
 * ('clientError'), one that hangs up mid-body is dropped, and an error in the handler is a 503
 * with a reference id (the details go to `log`). Slow clients are cut off after `requestTimeoutMs`.
 */
export function robustServer(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>, log: (message: string, data?: Record<string, unknown>) => void = () => {}, requestTimeoutMs = 30_000): Server {
  const server = createServer({ requestTimeout: requestTimeoutMs, headersTimeout: Math.min(requestTimeoutMs, 60_000) }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const reference = newReference();
      log('local approval server error', { reference, error: (error as Error)?.name, message: (error as Error)?.message });
      if (res.headersSent || res.destroyed) return void res.destroy();
      send(res, problem(503, 'Something went wrong', `The request could not be handled. Reference: ${reference}.`), true);
    });
  });
  // The demo's own fetches (GET the link, POST the form) share this process's event loop: after a busy
  // stretch a 5 s keep-alive timer can fire in the same turn a fetch reuses the idle socket, and the request
  // dies with ECONNRESET. Idle sockets stay open here; close() ends them all.
  server.keepAliveTimeout = IDLE_SOCKET_MS;
  // As Node's docs suggest for 'clientError': answer 400 (431, 408) if the socket still can, then close it.
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}

function send(res: ServerResponse, response: HttpResponse, closeConnection = false) {
  res.writeHead(response.statusCode, closeConnection ? { ...response.headers, connection: 'close' } : response.headers);
  res.end(response.body);
}

type Body = { kind: 'ok'; body: string } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Reads a body up to `limit` bytes. Never rejects: a client that hangs up before the body it
 * promised ('aborted', ECONNRESET) is `aborted`; past the limit (or a Content-Length over it)
 * it stops reading and says `too-large`.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Body) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return done({ kind: 'too-large' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        done({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => done({ kind: 'ok', body: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => done({ kind: 'aborted' }));
    // 'close' before 'end': the client went away mid-body.
    req.on('close', () => done({ kind: 'aborted' }));
  });
}

export interface LocalApprovalStackOptions {
  /** Port of the approval page (0: any free port). */
  port?: number;
  /** Port of the local SES server and its mail page (0: any free port). */
  mailPort?: number;
  /** Clients and audit store Apply and Verify use (the sandbox account). */
  engine?: Omit<EngineDeps, 'remainingMs'>;
  store?: ApprovalStore;
  secret?: string;
  currentPolicies?: Policy[];
  now?: () => Date;
  workflow?: LocalWorkflowOptions;
  /** Where the servers' errors and the decisions are logged (default: nowhere). */
  log?: (message: string, data?: Record<string, unknown>) => void;
}

export interface LocalApprovalStack {
  /** The local SES server: its page lists the mail; `GET /store` returns it as JSON. */
  mailUrl: string;
  approvalBaseUrl: string;
  mail: LocalMailbox;
  store: ApprovalStore;
  workflow: LocalWorkflow;
  tasks: LocalTaskSender;
  /** Plug into the engine (`deps.approvals`): approval-mode findings start local executions. */
  requester: WorkflowApprovalRequester;
  /** The links each execution's "Ask the approvers" issued, by approval id (what the demo's --approve-all follows). */
  links: Map<string, IssuedLinks[]>;
  /**
   * Resolves with the links once "Ask the approvers" has issued them, or with undefined when the
   * execution ends (or is unknown) without issuing any. The record says `waiting` before the emails
   * go out, so whoever follows the links waits for this event, not for the status.
   */
  linksIssued(approvalId: string): Promise<IssuedLinks[] | undefined>;
  stop(): Promise<void>;
}

export async function startLocalApprovalStack(options: LocalApprovalStackOptions = {}): Promise<LocalApprovalStack> {
  const now = options.now ?? (() => new Date());
  const store = options.store ?? new MemoryApprovalStore(now);
  const secret = options.secret ?? randomBytes(48).toString('base64url');
  const ses = await startLocalSes(options.mailPort ?? 0);
  const mail = new LocalMailbox(ses);
  const tasks = new LocalTaskSender();
  const links = new Map<string, IssuedLinks[]>();
  const linkWaiters = new Map<string, Array<(issued: IssuedLinks[]) => void>>();
  const onLinksIssued = (id: string, issued: IssuedLinks[]) => {
    links.set(id, issued);
    for (const resolve of linkWaiters.get(id) ?? []) resolve(issued);
    linkWaiters.delete(id);
  };
  const log = options.log ?? (() => {});
  const pageServer = robustServer(async (req, res) => {
    const read = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : ({ kind: 'ok', body: '' } as const);
    if (read.kind === 'aborted') return void res.destroy(); // nobody is left to answer
    if (read.kind === 'too-large') return send(res, problem(413, 'Too much data', 'The form sent more data than an approval needs.'), true);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return send(res, problem(400, 'This link is not valid', 'The address of this request cannot be read.'));
    }
    const request: HttpRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      body: read.body,
      headers: { 'content-type': req.headers['content-type'] },
      client: { sourceIp: req.socket.remoteAddress, userAgent: req.headers['user-agent'] },
    };
    send(res, await handleApprovalRequest(request, { store, tasks, now, secret: async () => secret, log }));
  }, log);
  const mailUrl = ses.url;
  const approvalBaseUrl = await listen(pageServer, options.port ?? 0).catch(async (error: unknown) => {
    await ses.close();
    throw error;
  });
  const workflow = new LocalWorkflow(
    { store, mailer: mail, secret: async () => secret, baseUrl: approvalBaseUrl, now, engine: options.engine, currentPolicies: options.currentPolicies, onLinksIssued },
    tasks,
    options.workflow ?? { pollMs: 250 },
  );
  return {
    mailUrl,
    approvalBaseUrl,
    mail,
    store,
    workflow,
    tasks,
    requester: new WorkflowApprovalRequester(store, workflow, now),
    links,
    linksIssued(approvalId) {
      const known = links.get(approvalId);
      const execution = workflow.executions.get(approvalId);
      if (known || !execution) return Promise.resolve(known);
      const issued = new Promise<IssuedLinks[]>((resolve) => linkWaiters.set(approvalId, [...(linkWaiters.get(approvalId) ?? []), resolve]));
      const ended = execution.result.then(
        () => links.get(approvalId),
        () => links.get(approvalId),
      );
      return Promise.race([issued, ended]);
    },
    async stop() {
      workflow.stop();
      await Promise.all([ses.close(), close(pageServer)]);
    },
  };
}
