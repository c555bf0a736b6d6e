/**
 * Wiring the audit trail for a place trimtab runs: a deployed stage (DynamoDB tables and an
 * event bus named by the stack), the sandbox account (the same tables, in dynalite: see
 * lib/sandbox/services/dynamodb.ts), or the CLI's local JSON Lines files.
 */
import type { AwsClients } from '../aws/clients.ts';
import { TrimtabError } from '../util/errors.ts';
import { DEFAULT_RETENTION_DAYS, DEFAULT_TTL_ATTRIBUTE, DynamoActionStore } from './dynamodb.ts';
import { EventPublisher, type PublishReport } from './events.ts';
import { dynamoIdempotency, memoryIdempotency, type PowertoolsActionIdempotency } from './idempotency.ts';
import { PendingWrites } from './pending.ts';
import type { ActionStore } from './store.ts';
import { AuditTrail, type AuditCounter } from './trail.ts';

/** The names serverless.yml gives a stage's resources (`trimtab-<stage>-audit`, …). */
export const stageTables = (stage: string) => {
  if (!/^[a-zA-Z0-9-]+$/.test(stage)) throw new TrimtabError(`Stage '${stage}' is not a valid stage name (letters, digits and '-').`);
  const tables = { auditTable: `trimtab-${stage}-audit`, idempotencyTable: `trimtab-${stage}-idempotency` };
  for (const name of Object.values(tables)) {
    if (name.length > 255) throw new TrimtabError(`Stage '${stage.slice(0, 20)}…' makes the table name ${name.length} characters long, longer than DynamoDB's 255 characters.`);
  }
  return tables;
};

/**
 * DynamoDB's rule for table names: 3 to 255 of a-z A-Z 0-9 _ - . (DynamoDB Developer Guide,
 * "Supported data types and naming rules"; dynalite, the sandbox's DynamoDB, refuses the same).
 */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

function tableFromEnv(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const name = env[variable] || undefined;
  if (name !== undefined && !TABLE_NAME.test(name)) {
    throw new TrimtabError(`${variable}='${name}' is not a DynamoDB table name (3 to 255 characters: letters, digits, '_', '-', '.').`);
  }
  return name;
}

export interface AuditSettings {
  auditTable?: string;
  idempotencyTable?: string;
  /** Event bus name or ARN; absent: no events (local CLI runs). "default" is the account's default bus. */
  eventBus?: string;
  ttlAttribute: string;
  retentionDays: number;
}

/** What the deployed functions get from serverless.yml (provider.environment). */
export function auditSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AuditSettings {
  const retention = Number(env.TRIMTAB_AUDIT_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
  if (!Number.isFinite(retention) || retention <= 0) throw new TrimtabError(`TRIMTAB_AUDIT_RETENTION_DAYS='${env.TRIMTAB_AUDIT_RETENTION_DAYS}' is not a positive number of days.`);
  return {
    auditTable: tableFromEnv(env, 'TRIMTAB_AUDIT_TABLE'),
    idempotencyTable: tableFromEnv(env, 'TRIMTAB_IDEMPOTENCY_TABLE'),
    eventBus: env.TRIMTAB_EVENT_BUS || undefined,
    ttlAttribute: env.TRIMTAB_AUDIT_TTL_ATTRIBUTE || DEFAULT_TTL_ATTRIBUTE,
    retentionDays: retention,
  };
}

export interface Audit {
  store: ActionStore;
  trail: AuditTrail;
  idempotency: PowertoolsActionIdempotency;
  events?: EventPublisher;
  /** Idempotency completions sent without waiting: `await pending.settle()` before the invocation ends. */
  pending: PendingWrites;
}

/**
 * The audit trail on the given settings. `clients` is the account's factory: trimtab's own
 * table and bus are written through a writable view of it (dry-run guards the account's
 * resources, not trimtab's records), so the sandbox and X-Ray see these calls too.
 */
export function createAudit(options: {
  clients: AwsClients;
  region: string;
  settings: AuditSettings;
  /** Used when no audit table is configured. */
  fallbackStore: () => ActionStore;
  counter?: AuditCounter;
  now?: () => Date;
  log?: (message: string, data?: Record<string, unknown>) => void;
}): Audit {
  const { settings, region } = options;
  const clients = options.clients.withWrites(true);
  const pending = new PendingWrites();
  const store = settings.auditTable
    ? new DynamoActionStore({ tableName: settings.auditTable, region, clients, ttlAttribute: settings.ttlAttribute, retentionDays: settings.retentionDays, pending })
    : options.fallbackStore();
  // The action record's first put rides in the claim's transaction when both tables are DynamoDB (same account and region).
  const idempotency = settings.idempotencyTable
    ? dynamoIdempotency({ tableName: settings.idempotencyTable, region, clients, pending, ...(store instanceof DynamoActionStore ? { recordStore: store } : {}) })
    : memoryIdempotency();
  const events = settings.eventBus ? new EventPublisher({ clients, region, busName: settings.eventBus, log: options.log }) : undefined;
  const trail = new AuditTrail({ store, events, counter: options.counter, now: options.now });
  return { store, trail, idempotency, events, pending };
}

/**
 * The end of an invocation (LambdaDeps.finish): the queued events and the idempotency completions sent
 * without waiting (lib/audit/pending.ts) are awaited at once. `onReport` sees the events' report first;
 * then a failure of either is thrown.
 */
export async function settleAudit(audit: Pick<Audit, 'trail' | 'pending'>, onReport: (report: PublishReport) => void = () => {}): Promise<void> {
  const [report, completions] = await Promise.allSettled([audit.trail.flush(), audit.pending.settle()]);
  if (report.status === 'fulfilled') onReport(report.value);
  if (completions.status === 'rejected') throw completions.reason;
  if (report.status === 'rejected') throw report.reason;
}
