/**
 * The engine's deps for functions that only read resources and write no audit record (the alarm
 * reconciler, the approval verify step): the account's clients, the member roles of an
 * organization, the policies. Apart from deps.ts so these bundles carry no audit trail
 * (DynamoDB audit store, EventBridge publisher, Powertools idempotency): their roles grant none of it.
 */
import type { Context } from 'aws-lambda';
import { JsonlActionStore } from '../audit/store.ts';
import type { EngineDeps } from '../engine/run.ts';
import { MemberRoles } from '../org/roles.ts';
import type { PolicySet } from '../policy/load.ts';
import { lambdaClients, lambdaPolicies } from './bundle.ts';
import { logger } from './powertools.ts';

export interface ReadOnlyDeps {
  policies: PolicySet;
  engine: EngineDeps;
  /** Saves the sandbox after an invocation (local runs only). */
  finish(): Promise<void>;
}

export async function readOnlyDeps(context?: Context): Promise<ReadOnlyDeps> {
  const { clients, account, sandbox } = await lambdaClients(context);
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const policies = await lambdaPolicies();
  return {
    policies,
    engine: {
      account,
      clients,
      ...(policies.organization
        ? { accountClients: new MemberRoles({ hub: clients, hubAccount: account === 'unknown' ? undefined : account, config: policies.organization, stage: process.env.TRIMTAB_STAGE, region }).clientsFor }
        : {}),
      // Never written by these functions; the engine's type asks for a store.
      store: new JsonlActionStore(process.env.TRIMTAB_HISTORY_FILE ?? '/tmp/trimtab-actions.jsonl'),
      defaultRegions: (process.env.TRIMTAB_REGIONS ?? region).split(',').map((r) => r.trim()).filter(Boolean),
      log: (message, data) => logger.info(message, data ?? {}),
    },
    finish: async () => {
      sandbox?.save(process.env.TRIMTAB_SANDBOX_FILE ?? '.trimtab/sandbox.json');
    },
  };
}

/** The approval verify step's engine: reads only (functions/approval-verify.ts). */
export const engineForVerify = async () => {
  const deps = await readOnlyDeps();
  return { engine: deps.engine, policies: deps.policies.policies };
};
