/**
 * The fleet layer: the engine (runPolicies, unchanged) once per account × region, with the
 * member account's clients. On AWS each item is its own Lambda invocation under a Step
 * Functions Distributed Map (lib/org/state-machine.ts); the CLI and the benchmark run the same
 * items in-process with bounded concurrency (`runFleet`).
 *
 * One account's failure (the role cannot be assumed, a listing throws) is caught per item and
 * recorded in its result; the other items carry on.
 */
import type { Unevaluated } from '../engine/partial.ts';
import type { AwsClients } from '../aws/clients.ts';
import { runPolicies, type EngineDeps, type FindingResult, type RunError, type RunOptions, type RunResult } from '../engine/run.ts';
import type { ActionRecord } from '../engine/types.ts';
import type { Policy } from '../policy/load.ts';
import { usd } from '../savings/prices.ts';
import { errorMessage } from '../util/errors.ts';
import type { OrganizationConfig } from './config.ts';
import { sweepItems, type SweepItem } from './targets.ts';

/** What one item reports: small, so a Map of 200 items stays far below the 256 KiB payload cap. */
export interface ItemResult {
  account: string;
  region: string;
  status: 'completed' | 'failed';
  policies: string[];
  findings: number;
  actionable: number;
  estimatedMonthlySavingsUsd: number;
  actionsApplied: number;
  actionsFailed: number;
  awaitingApproval: number;
  /** Listings that failed inside an otherwise completed item. */
  errors: RunError[];
  /** Detectors a failed read kept from running on some resources (lib/engine/partial.ts). */
  unevaluated?: Unevaluated[];
  /** Why the item failed (failed items only). */
  error?: { name: string; message: string };
  durationMs: number;
}

/** The result of an item that did not complete: nothing counted, the error kept. */
export function failedItem(base: Pick<ItemResult, 'account' | 'region' | 'policies'>, error: { name: string; message: string }, durationMs = 0): ItemResult {
  return { ...base, status: 'failed', findings: 0, actionable: 0, estimatedMonthlySavingsUsd: 0, actionsApplied: 0, actionsFailed: 0, awaitingApproval: 0, errors: [], error, durationMs };
}

export interface FleetDeps {
  /** The hub's engine deps (store, audit trail, idempotency, approvals); account and clients are replaced per item. */
  engine: EngineDeps;
  /** Clients acting in an account (MemberRoles.clientsFor); rejects when the account cannot be entered. */
  clientsFor: (account: string) => Promise<AwsClients>;
}

export type FleetRunOptions = Omit<RunOptions, 'policies' | 'regions'>;

/** Run the engine for one account and region. Never throws: a failure is the item's result. */
export async function sweepItem(item: SweepItem, policies: Policy[], deps: FleetDeps, options: FleetRunOptions = {}): Promise<{ item: ItemResult; run?: RunResult }> {
  const started = performance.now();
  const mine = policies.filter((p) => item.policies.includes(p.id));
  const base = { account: item.account, region: item.region, policies: mine.map((p) => p.id) };
  try {
    const clients = await deps.clientsFor(item.account);
    const run = await runPolicies(
      { ...options, policies: mine, regions: [item.region] },
      { ...deps.engine, account: item.account, clients, defaultRegions: [item.region], accountClients: deps.clientsFor },
    );
    const s = run.summary;
    return {
      run,
      item: {
        ...base,
        status: 'completed',
        findings: s.findings,
        actionable: s.actionable,
        estimatedMonthlySavingsUsd: s.estimatedMonthlySavingsUsd,
        actionsApplied: s.actionsApplied,
        actionsFailed: s.actionsFailed,
        awaitingApproval: s.awaitingApproval,
        errors: run.errors,
        ...(run.unevaluated?.length ? { unevaluated: run.unevaluated } : {}),
        durationMs: Math.round(performance.now() - started),
      },
    };
  } catch (error) {
    deps.engine.log?.('sweep item failed', { account: item.account, region: item.region, error: errorMessage(error) });
    return { item: failedItem(base, { name: (error as Error).name ?? 'Error', message: errorMessage(error) }, Math.round(performance.now() - started)) };
  }
}

export interface FleetSummary {
  accounts: number;
  items: number;
  completed: number;
  failed: number;
  failedAccounts: string[];
  findings: number;
  estimatedMonthlySavingsUsd: number;
  actionsApplied: number;
  actionsFailed: number;
  durationMs: number;
}

export function summarize(items: ItemResult[], durationMs = 0): FleetSummary {
  const failed = items.filter((i) => i.status === 'failed');
  return {
    accounts: new Set(items.map((i) => i.account)).size,
    items: items.length,
    completed: items.length - failed.length,
    failed: failed.length,
    failedAccounts: [...new Set(failed.map((i) => i.account))].sort(),
    findings: items.reduce((n, i) => n + i.findings, 0),
    estimatedMonthlySavingsUsd: usd(items.reduce((n, i) => n + i.estimatedMonthlySavingsUsd, 0)),
    actionsApplied: items.reduce((n, i) => n + i.actionsApplied, 0),
    actionsFailed: items.reduce((n, i) => n + i.actionsFailed, 0),
    durationMs,
  };
}

export interface FleetResult {
  items: ItemResult[];
  findings: FindingResult[];
  actions: ActionRecord[];
  summary: FleetSummary;
}

/** The Map, in-process: every item with at most `concurrency` at once (CLI, tests, benchmark). */
export async function runFleet(items: SweepItem[], policies: Policy[], deps: FleetDeps, options: FleetRunOptions & { concurrency?: number } = {}): Promise<FleetResult> {
  const started = performance.now();
  const { concurrency = 20, ...runOptions } = options;
  const results: Array<{ item: ItemResult; run?: RunResult }> = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await sweepItem(items[index], policies, deps, runOptions);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  const itemResults = results.map((r) => r.item);
  return {
    items: itemResults,
    findings: results.flatMap((r) => r.run?.findings ?? []),
    actions: results.flatMap((r) => r.run?.actions ?? []),
    summary: summarize(itemResults, Math.round(performance.now() - started)),
  };
}

export interface SweepOrganizationOptions extends FleetRunOptions {
  policies: Policy[];
  organization: OrganizationConfig | undefined;
  /** The hub's engine deps (its account, clients, store, trail). */
  hub: EngineDeps;
  clientsFor: (account: string) => Promise<AwsClients>;
  concurrency?: number;
  /** Narrow to these accounts / regions. */
  accounts?: string[];
  regions?: string[];
}

/**
 * A whole organization sweep in-process: resolve the items, then run them. The benchmark
 * times this for 50 accounts × 4 regions on the `organization` sandbox (see docs/organizations.md).
 */
export async function sweepOrganization(options: SweepOrganizationOptions): Promise<FleetResult & { plan: SweepItem[] }> {
  const { policies, organization, hub, clientsFor, concurrency, accounts, regions, ...runOptions } = options;
  const plan = sweepItems(policies, organization, { hubAccount: hub.account, defaultRegions: hub.defaultRegions, accounts, regions });
  const result = await runFleet(plan, policies, { engine: hub, clientsFor }, { ...runOptions, concurrency: concurrency ?? organization?.maxConcurrency });
  return { ...result, plan };
}
