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
}

export interface RunningCost {
  priceDate: string;
  lambdaGbSecondsPerMonth: number;
  lambdaRequestsPerMonth: number;
  stateTransitionsPerMonth: number;
  lambdaUsd: number;
  stepFunctionsUsd: number;
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
  return {
    priceDate: RUNNING_PRICES_DATE,
    lambdaGbSecondsPerMonth: round(gbSeconds, 1),
    lambdaRequestsPerMonth: requests,
    stateTransitionsPerMonth: transitions,
    lambdaUsd: round(lambdaUsd, 4),
    stepFunctionsUsd: round(stepFunctionsUsd, 4),
    totalUsdPerMonth: round(lambdaUsd + stepFunctionsUsd, 4),
  };
}
