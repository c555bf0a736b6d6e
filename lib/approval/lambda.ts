/**
 * The approval functions' Lambda side: dependencies built once per container from the
 * environment serverless.yml sets, and the adapters functions/approval-*.ts export. Logic lives
 * in workflow.ts and page.ts; nothing here is needed to test it.
 *
 * Lean on purpose (docs/performance.md): this module needs only the client factory, never the
 * engine's deps, the policies or the resource modules. The apply and verify functions pass
 * those in from their entry (functions/approval-apply.ts), so the page, ask, record and notify
 * bundles carry no EC2, S3, Auto Scaling or CloudWatch client. The page's part is page-lambda.ts
 * (its bundle carries no workflow either), re-exported here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { onFirstUse } from '../lambda/bundle.ts';
import { logger } from '../lambda/powertools.ts';
import type { Policy } from '../policy/load.ts';
import { InvalidEventError, TrimtabError } from '../util/errors.ts';
import type { Mailer } from './email.ts';
import { env, ownClients, type OwnClient } from './page-lambda.ts';
export { approvalPageHandler, env, ownClients, pageDeps, toHttpRequest, type OwnClient } from './page-lambda.ts';
import { DynamoApprovalStore } from './store.ts';
import { parseStepEvent, runStep, type StepEvent, type WorkflowDeps } from './workflow.ts';

let workflowCache: WorkflowDeps | undefined;

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

