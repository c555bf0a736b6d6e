/**
 * The sandbox account for local Lambda runs (TRIMTAB_SANDBOX=1: tests, `trimtab invoke`,
 * `TRIMTAB_SANDBOX=1 npx osls invoke local`). Only ever loaded by a dynamic import that
 * deployed bundles drop (lib/lambda/bundle.ts), so no deployed function carries the sandbox,
 * its services, the wire encoder or the local servers.
 */
import { openSandbox, SANDBOX_ACCOUNT } from '../sandbox/index.ts';

export { ensureSandboxAuditTables } from '../audit/sandbox-tables.ts';

export function lambdaSandbox() {
  return { sandbox: openSandbox(), account: SANDBOX_ACCOUNT };
}
