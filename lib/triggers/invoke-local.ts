/**
 * `trimtab invoke <function> <event.json> [--sandbox]`: runs a Lambda entry point from
 * functions/ with a sample event, the way `osls invoke local` does (same handler, same middy
 * stack), without resolving serverless.yml (which needs AWS for `!Ref AWS::AccountId`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { TrimtabError } from '../util/errors.ts';

export const INVOCABLE = ['scan', 'event', 'alarm', 'alarm-sync'] as const;

type Handler = (e: unknown, c: unknown) => Promise<unknown>;
/**
 * Each handler by a literal import(): the built command (esbuild, lib/cli/build.mjs) bundles each as
 * a chunk loaded only by `invoke`, and tsx loads the sources. A computed path to functions/<fn>.ts
 * would fail from the bundle with "Unknown file extension .ts".
 */
const HANDLERS: Record<(typeof INVOCABLE)[number], () => Promise<{ handler: Handler }>> = {
  scan: () => import('../../functions/scan.ts') as Promise<{ handler: Handler }>,
  event: () => import('../../functions/event.ts') as Promise<{ handler: Handler }>,
  alarm: () => import('../../functions/alarm.ts') as Promise<{ handler: Handler }>,
  'alarm-sync': () => import('../../functions/alarm-sync.ts') as Promise<{ handler: Handler }>,
};

export async function invokeLocal(fn: string, eventFile: string, options: { sandbox?: boolean } = {}): Promise<unknown> {
  if (!INVOCABLE.includes(fn as (typeof INVOCABLE)[number])) throw new TrimtabError(`Unknown function '${fn}'. Valid: ${INVOCABLE.join(', ')}`);
  if (!existsSync(eventFile)) throw new TrimtabError(`No event file ${eventFile} (samples are in events/)`);
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(eventFile, 'utf8'));
  } catch (error) {
    throw new TrimtabError(`${eventFile} is not JSON: ${(error as Error).message}`);
  }
  if (options.sandbox) process.env.TRIMTAB_SANDBOX = '1';
  process.env.POWERTOOLS_DEV ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  const { handler } = await HANDLERS[fn as (typeof INVOCABLE)[number]]();
  const started = Date.now();
  const context = {
    functionName: `trimtab-local-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:123456789012:function:trimtab-local-${fn}`,
    memoryLimitInMB: '512',
    awsRequestId: `local-${started}`,
    logGroupName: `/aws/lambda/trimtab-local-${fn}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, 300_000 - (Date.now() - started)),
    done() {},
    fail() {},
    succeed() {},
  };
  return handler(event, context);
}

// Also runnable without the CLI: `node --import tsx lib/triggers/invoke-local.ts event events/x.json --sandbox`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const [fn, file] = args.filter((a) => !a.startsWith('--'));
  invokeLocal(fn, file, { sandbox: args.includes('--sandbox') }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error) => {
      console.error(`${(error as Error).name}: ${(error as Error).message}`);
      process.exitCode = 2;
    },
  );
}
