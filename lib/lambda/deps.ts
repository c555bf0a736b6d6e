/**
 * Dependencies of the Lambda functions, built once per container (cold start) and reused.
 * TRIMTAB_SANDBOX=1 runs them against the sandbox account (`osls invoke local`, tests): the
 * sandbox is a dynamic import that deployed bundles leave out (lib/lambda/bundle.ts).
 * Policies come from the JSON compiled at package time (lib/policy/compiled.ts).
 *
 * The audit trail: records in the stack's DynamoDB table (TRIMTAB_AUDIT_TABLE), actions made
 * idempotent on TRIMTAB_IDEMPOTENCY_TABLE, events on TRIMTAB_EVENT_BUS, metrics by policy.
 * Each invocation calls `begin(context)` first and `await finish()` last (events and metrics
 * are flushed there).
 */
import type { Context } from 'aws-lambda';
import { createAudit, auditSettingsFromEnv, settleAudit, type Audit } from '../audit/setup.ts';
import { JsonlActionStore } from '../audit/store.ts';
import type { ApprovalRequester, EngineDeps, FindingResult } from '../engine/run.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoApprovalStore } from '../approval/store.ts';
import { SfnExecutionStarter, WorkflowApprovalRequester } from '../approval/workflow.ts';
import { usd } from '../savings/prices.ts';
import { PriceBook } from '../pricing/lookup.ts';
import { DynamoPriceCache } from '../pricing/cache.ts';
import { shippedPriceReader } from '../pricing/shipped.ts';
import { DynamoCheckpointStore } from '../audit/checkpoints.ts';
import type { PolicySet } from '../policy/load.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { MemberRoles } from '../org/roles.ts';
import { organizationSchema } from '../org/config.ts';
import { lambdaClients, lambdaPolicies, onFirstUse, SANDBOX_AUDIT_SETTINGS } from './bundle.ts';
import { RunMetrics } from './metrics.ts';
import { logger, tracer } from './powertools.ts';
import { partitionOf } from '../aws/regions.ts';

export interface LambdaDeps {
  policies: PolicySet;
  engine: Omit<EngineDeps, 'remainingMs'>;
  sandbox?: Sandbox;
  audit: Audit;
  /** This invocation's counts, published by finish(). */
  metrics: RunMetrics;
  /** Start of an invocation: in-progress idempotency records expire with this invocation. */
  begin(context: Context | undefined): void;
  /** End of an invocation: send queued events, publish metrics, persist the sandbox. */
  finish(): Promise<void>;
  /** Persist sandbox state after an invocation (local runs only). */
  flush(): void;
}

export { accountOf, policyFilePath, SANDBOX_AUDIT_SETTINGS } from './bundle.ts';

let cached: LambdaDeps | undefined;

/** The deps of a function that runs policies (the engine's registries are loaded by its entry: lib/resources/index.ts). */
export async function lambdaDeps(overrides: Partial<LambdaDeps> = {}, context?: Context): Promise<LambdaDeps> {
  if (cached && Object.keys(overrides).length === 0) return cached;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const { clients, sandbox, account } = await lambdaClients(context, Object.keys(overrides).length > 0);
  const fromEnv = auditSettingsFromEnv();
  const settings = sandbox ? { ...fromEnv, ...SANDBOX_AUDIT_SETTINGS, ...pick(fromEnv, ['auditTable', 'idempotencyTable', 'eventBus']) } : fromEnv;
  // Spelled out (not a helper) so esbuild folds it in deployed bundles and leaves the sandbox out.
  if (sandbox && process.env.TRIMTAB_LEAN_BUNDLE !== '1') (await import('./sandbox.ts')).ensureSandboxAuditTables(sandbox, account, region, settings);
  if (!settings.auditTable) logger.warn('TRIMTAB_AUDIT_TABLE is not set: audit records go to /tmp and are lost with the container');
  const metrics = new RunMetrics();
  const audit = createAudit({
    clients,
    region,
    settings,
    // Without a table (a misconfigured deploy), records go to the function's /tmp (per container).
    fallbackStore: () => new JsonlActionStore(process.env.TRIMTAB_HISTORY_FILE ?? '/tmp/trimtab-actions.jsonl'),
    counter: metrics,
    log: (message, data) => logger.error(message, data ?? {}),
  });
  const flush = () => sandbox?.save(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json');
  const policies = await lambdaPolicies();
  const deps: LambdaDeps = {
    policies,
    engine: {
      account,
      clients,
      // Hub and spokes (lib/org): a record in a member account is applied, verified and undone with that account's role.
      ...(policies.organization
        ? { accountClients: new MemberRoles({ hub: clients, hubAccount: account === 'unknown' ? undefined : account, config: policies.organization, stage: process.env.TRIMTAB_STAGE, region }).clientsFor }
        : {}),
      ...audit.trail.engineDeps(),
      onFindings: async (findings) => {
        logFindings(findings);
        await audit.trail.onFindings(findings);
      },
      onTransition: async (record) => {
        // A child logger per action: every line carries the policy, the resource and the action id.
        logger.createChild({ persistentKeys: { policy: record.policy, resourceId: record.resource.id, resourceArn: record.resource.arn, actionId: record.id } }).info(`action ${record.status}`, {
          action: record.action,
          mode: record.mode,
          actor: record.actor,
          detail: record.transitions.at(-1)?.detail,
          ...(record.error ? { error: record.error } : {}),
        });
        await audit.trail.onTransition(record);
      },
      idempotency: audit.idempotency,
      approvals: approvalRequester(clients, region, account),
      // Prices per scanned region from the AWS Price List (issue 27): per region and product family in
      // the audit table (lib/pricing/cache.ts; asked again after 7 days), in memory for the warm
      // container; denied or unreachable: the stored sets, else the embedded table, said so.
      priceBook: new PriceBook({
        clients,
        log: (message, data) => logger.info(message, data ?? {}),
        // After the stack's cache, before the embedded table: prices/prices.json when `osls package` shipped one.
        shipped: shippedPriceReader({ log: (message, data) => logger.warn(message, data ?? {}) }),
        ...(settings.auditTable
          ? { cache: new DynamoPriceCache({ tableName: settings.auditTable, region, clients: clients.withWrites(true), ttlAttribute: settings.ttlAttribute, log: (message, data) => logger.warn(message, data ?? {}) }) }
          : {}),
      }),
      // A sweep unit split across invocations keeps its detectors' state in the audit table (issue 29 §1:
      // lib/audit/checkpoints.ts); without the table a unit whose detectors hold state is not split.
      ...(settings.auditTable ? { checkpoints: new DynamoCheckpointStore({ tableName: settings.auditTable, region, clients: clients.withWrites(true), ttlAttribute: settings.ttlAttribute }) } : {}),
      defaultRegions: (process.env.TRIMTAB_REGIONS ?? region).split(',').map((r) => r.trim()).filter(Boolean),
      log: (message, data) => logger.info(message, data ?? {}),
    },
    sandbox,
    audit,
    metrics,
    begin: (context) => {
      audit.idempotency.registerLambdaContext(context);
      audit.pending.open();
    },
    async finish() {
      try {
        // The events and the idempotency completions sent during the invocation (lib/audit/pending.ts), at once.
        await settleAudit(audit, (report) => {
          if (report.failed.length) logger.error('events not published', { failed: report.failed.length, first: report.failed[0] });
        });
      } finally {
        metrics.publish();
        flush();
      }
    },
    flush,
    ...overrides,
  };
  if (Object.keys(overrides).length === 0) cached = deps;
  return deps;
}

/** One line per policy (counts and savings), one per actionable finding with its resource. */
function logFindings(findings: FindingResult[]) {
  for (const policy of new Set(findings.map((f) => f.policy))) {
    const mine = findings.filter((f) => f.policy === policy);
    const log = logger.createChild({ persistentKeys: { policy } });
    log.info('findings', {
      findings: mine.filter((f) => f.status !== 'protected').length,
      protected: mine.filter((f) => f.status === 'protected').length,
      estimatedMonthlySavingsUsd: usd(mine.filter((f) => f.status !== 'protected').reduce((s, f) => s + f.savings.monthlyUsd, 0)),
    });
    for (const f of mine) if (f.status === 'actionable' || f.status === 'conflict') log.info('finding', { resourceId: f.resource.id, resourceArn: f.resource.arn, status: f.status, reason: f.reason, mode: f.mode });
  }
}

/**
 * Approval-mode findings start the approval workflow when the stack has one
 * (TRIMTAB_APPROVALS_TABLE, TRIMTAB_APPROVAL_STATE_MACHINE_NAME); otherwise they are reported as awaiting approval.
 */
/** The approval state machine's ARN, in the partition of the function's region (arn:aws-us-gov:states:… in GovCloud). */
export const stateMachineArn = (region: string, account: string, name: string) => `arn:${partitionOf(region)}:states:${region}:${account}:stateMachine:${name}`;

function approvalRequester(clients: LambdaDeps['engine']['clients'], region: string, account: string): ApprovalRequester | undefined {
  const table = process.env.TRIMTAB_APPROVALS_TABLE;
  const name = process.env.TRIMTAB_APPROVAL_STATE_MACHINE_NAME;
  if (!table || !name || account === 'unknown') return undefined;
  // trimtab's own table and workflow: written even while policies run in dry-run.
  const writable = clients.withWrites(true);
  const arn = stateMachineArn(region, account, name);
  // Made on the first approval-mode finding: most runs make no DynamoDB or SFN client for it.
  return onFirstUse(() => new WorkflowApprovalRequester(new DynamoApprovalStore(table, writable.get(DynamoDBClient, region)), new SfnExecutionStarter(arn, writable.get(SFNClient, region))));
}

const pick = <T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> =>
  Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, value[k]])) as Partial<Pick<T, K>>;

export { remainingMs } from './bundle.ts';

/** The engine's deps and the policies, for the approval apply and verify steps (lib/approval/lambda.ts workflowDeps). */
export const engineForApproval = async () => {
  const deps = await lambdaDeps();
  // An approval may be for a member account (the organization sweep asks for them, also when started by
  // hand without an organization block): Apply and Verify always act there through the member role.
  const engine = deps.engine.accountClients
    ? deps.engine
    : {
        ...deps.engine,
        accountClients: new MemberRoles({
          hub: deps.engine.clients,
          hubAccount: deps.engine.account === 'unknown' ? undefined : deps.engine.account,
          config: organizationSchema.parse({}),
          stage: process.env.TRIMTAB_STAGE,
          region: process.env.AWS_REGION ?? deps.engine.defaultRegions[0] ?? 'us-east-1',
        }).clientsFor,
      };
  return { engine, policies: deps.policies.policies };
};
