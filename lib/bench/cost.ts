/**
 * Running cost of a daily sweep: Lambda GB-seconds (measured sweep duration × the scan
 * function's memory from serverless.yml) and requests, plus Step Functions state transitions
 * of the approval executions the sweep starts, per month, in dollars (lib/savings/prices.ts).
 */
import { RUNNING_PRICES, RUNNING_PRICES_DATE } from '../savings/prices.ts';
import { round } from './stats.ts';

export const DAYS_PER_MONTH = 30;

/** States entered by one execution on its longest non-failing path (StartAt, following Next and the first Choice). */
export function transitionsPerExecution(definition: { StartAt: string; States: Record<string, any> }): number {
  let name: string | undefined = definition.StartAt;
  const seen = new Set<string>();
  while (name && !seen.has(name)) {
    seen.add(name);
    const state: Record<string, any> | undefined = definition.States[name];
    if (!state) throw new Error(`state machine definition has no state '${name}'`);
    if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') break;
    name = state.Next ?? state.Choices?.[0]?.Next ?? state.Default;
  }
  return seen.size;
}

export interface RunningCostInput {
  /** Measured duration of one sweep, ms. */
  sweepMs: number;
  memoryMb: number;
  arm64: boolean;
  /** Approval executions one sweep starts (one per approval-mode policy with actionable findings). */
  approvalExecutionsPerSweep: number;
  transitionsPerExecution: number;
  /** Lambda invocations per approval execution (its Task states). */
  lambdaInvocationsPerExecution: number;
  /** Duration assumed per approval-task invocation, ms, at its memory. */
  approvalTaskMs: number;
  sweepsPerDay?: number;
  /** The price lookups a daily sweep adds (lib/bench/pricing.ts), averaged per day over the measured days. */
  pricing?: { getProductsPerDay: number; cacheWriteKiBPerDay: number; cachePutsPerDay: number; cacheReadKiBPerDay: number; cacheQueriesPerDay: number };
}

export interface RunningCost {
  priceDate: string;
  lambdaGbSecondsPerMonth: number;
  lambdaRequestsPerMonth: number;
  stateTransitionsPerMonth: number;
  lambdaUsd: number;
  stepFunctionsUsd: number;
  /** The price lookups: GetProducts calls a month and the price cache's DynamoDB request units. */
  pricing?: { getProductsPerMonth: number; writeUnitsPerMonth: number; readUnitsPerMonth: number; usd: number };
  totalUsdPerMonth: number;
}

export function runningCost(input: RunningCostInput): RunningCost {
  const sweeps = (input.sweepsPerDay ?? 1) * DAYS_PER_MONTH;
  const gb = input.memoryMb / 1024;
  const executions = sweeps * input.approvalExecutionsPerSweep;
  const taskInvocations = executions * input.lambdaInvocationsPerExecution;
  const gbSeconds = sweeps * (input.sweepMs / 1000) * gb + taskInvocations * (input.approvalTaskMs / 1000) * gb;
  const requests = sweeps + taskInvocations;
  const transitions = executions * input.transitionsPerExecution;
  const perGbS = input.arm64 ? RUNNING_PRICES.lambdaGbSecondArm64 : RUNNING_PRICES.lambdaGbSecondX86;
  const lambdaUsd = gbSeconds * perGbS + (requests / 1e6) * RUNNING_PRICES.lambdaPerMillionRequests;
  const stepFunctionsUsd = (transitions / 1000) * RUNNING_PRICES.stepFunctionsPer1000Transitions;
  // DynamoDB on-demand: one write unit per KB written (each PutItem rounded up), one read unit per 4 KB read
  // strongly consistent, half for an eventually consistent Query (what the cache makes).
  const p = input.pricing;
  const days = (input.sweepsPerDay ?? 1) * DAYS_PER_MONTH;
  const pricing = p && {
    getProductsPerMonth: round(p.getProductsPerDay * days, 1),
    writeUnitsPerMonth: Math.ceil((p.cacheWriteKiBPerDay + p.cachePutsPerDay) * days),
    readUnitsPerMonth: Math.ceil((p.cacheReadKiBPerDay / 4 + p.cacheQueriesPerDay) * 0.5 * days),
    usd: 0,
  };
  if (pricing) {
    pricing.usd = round(pricing.getProductsPerMonth * RUNNING_PRICES.pricingGetProductsPerCall + (pricing.writeUnitsPerMonth / 1e6) * RUNNING_PRICES.dynamodbWritePerMillion + (pricing.readUnitsPerMonth / 1e6) * RUNNING_PRICES.dynamodbReadPerMillion, 6);
  }
  return {
    priceDate: RUNNING_PRICES_DATE,
    lambdaGbSecondsPerMonth: round(gbSeconds, 1),
    lambdaRequestsPerMonth: requests,
    stateTransitionsPerMonth: transitions,
    lambdaUsd: round(lambdaUsd, 4),
    stepFunctionsUsd: round(stepFunctionsUsd, 4),
    ...(pricing ? { pricing } : {}),
    totalUsdPerMonth: round(lambdaUsd + stepFunctionsUsd + (pricing?.usd ?? 0), 4),
  };
}
