/**
 * Maintained local implementations of AWS services, started in-process on 127.0.0.1 at an
 * ephemeral port, so the SDK's own serializers and parsers run against a real wire protocol:
 * - DynamoDB: `dynalite` (in-memory; validates and evaluates expressions as DynamoDB does);
 * - SES v2: `aws-ses-v2-local` (SendEmail, a web page of sent mail, `GET /store` as JSON).
 *
 * Neither server may keep a process alive: the listening socket and every accepted connection
 * are unref'd, so a CLI run or `npm run demo` exits by itself even if nobody calls close().
 * close() still ends them promptly (tests, the demo's own shutdown).
 *
 * The packages are imported with a computed specifier so the Lambda bundles (esbuild follows
 * literal imports; lib/lambda/deps.ts imports the sandbox) never carry them.
 */
import type { Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LocalServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Milliseconds from loading the package to listening. */
  startupMs: number;
  close(): Promise<void>;
}

/** Load a CommonJS package by a name esbuild cannot follow (see the header). */
async function load<T>(name: string): Promise<T> {
  const m = (await import(/* @vite-ignore */ name)) as T & { default?: T & { default?: T } };
  // Node's own ESM loader (the built CLI) gives module.exports as `default`; when that is an
  // __esModule object (aws-ses-v2-local), the function is one level down. tsx unwraps it already.
  const d = m.default ?? m;
  return (typeof d === 'object' && d !== null && 'default' in d ? d.default : d) as T;
}

/** Listening on loopback, never holding the event loop, and closable without waiting for keep-alive sockets. */
/** How long the approval page's server keeps an idle keep-alive socket (lib/approval/local.ts): its close() ends them. */
export const IDLE_SOCKET_MS = 30 * 60_000;

function track(server: Server, started: number): LocalServer {
  const sockets = new Set<Socket>();
  server.unref();
  server.on('connection', (socket: Socket) => {
    socket.unref();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    startupMs: Math.round((performance.now() - started) * 10) / 10,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

type Dynalite = (options: Record<string, unknown>) => Server;

/**
 * An in-memory DynamoDB. Tables are ACTIVE at once (`createTableMs: 0`): trimtab never creates
 * its tables, the stack does, so the sandbox starts with them ready.
 */
export async function startDynalite(): Promise<LocalServer> {
  const started = performance.now();
  const dynalite = await load<Dynalite>('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(server);
  return track(server, started);
}

/** A mail as aws-ses-v2-local's `GET /store` returns it (its `Email` type). */
export interface StoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  /** Epoch seconds. */
  at: number;
}

export interface LocalSes extends LocalServer {
  /** Every mail the server holds, read back from `GET /store`. */
  store(): Promise<StoredEmail[]>;
}

type SesServer = (config: { host: string; port: number }) => Promise<Server>;

/**
 * SES v2 on loopback. Its mail store is module-wide in the package, so servers started in one
 * process share it: callers pick their own mail by MessageId.
 */
export async function startLocalSes(port = 0): Promise<LocalSes> {
  const started = performance.now();
  const server = await (await load<SesServer>('aws-ses-v2-local'))({ host: '127.0.0.1', port });
  // The package resolves even when listening failed (express 5 passes the error to its callback).
  if (!server.listening) throw new Error(`The local SES server could not listen on 127.0.0.1:${port} (is the port in use? pass another, or 0 for any free port).`);
  const local = track(server, started);
  return {
    ...local,
    async store() {
      // A GET, so safe to repeat once: in-process, the server's keep-alive timer can close the idle
      // socket in the same loop turn that fetch reuses it, after a busy stretch (TypeError: fetch failed).
      const response = await fetch(`${local.url}/store`).catch(() => fetch(`${local.url}/store`));
      if (!response.ok) throw new Error(`The local SES server answered ${response.status} to GET /store.`);
      return ((await response.json()) as { emails: StoredEmail[] }).emails;
    },
  };
}
