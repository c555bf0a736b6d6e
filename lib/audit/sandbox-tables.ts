/**
 * The stage's audit tables and event bus in the sandbox account. Kept apart from setup.ts so
 * that the deployed functions, which wire the audit trail, never bundle the sandbox.
 */
import type { Sandbox } from '../sandbox/sandbox.ts';
import { ensureSandboxTable } from '../sandbox/services/dynamodb.ts';
import { eventBridgeState } from '../sandbox/services/eventbridge.ts';
import { AUDIT_TABLE_KEYS } from './dynamodb.ts';
import type { AuditSettings } from './setup.ts';

/** The stage's tables in the sandbox account, as the stack would create them (local invokes, tests, `--sandbox --stage`). */
export function ensureSandboxAuditTables(sandbox: Sandbox, account: string, region: string, settings: Pick<AuditSettings, 'auditTable' | 'idempotencyTable' | 'ttlAttribute'>) {
  const state = sandbox.account(account);
  if (settings.auditTable) ensureSandboxTable(sandbox, state, region, { name: settings.auditTable, key: AUDIT_TABLE_KEYS.key, indexes: AUDIT_TABLE_KEYS.indexes, ttlAttribute: settings.ttlAttribute });
  if (settings.idempotencyTable) ensureSandboxTable(sandbox, state, region, { name: settings.idempotencyTable, key: { pk: 'id' }, ttlAttribute: 'expiration' });
  eventBridgeState(sandbox, state, region);
}
