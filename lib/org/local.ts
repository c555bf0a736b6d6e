/**
 * Runs "Sweep the organization" in-process from the generated ASL (aws-local-stepfunctions),
 * its Tasks overridden by the very functions the Lambdas run: list, one invocation per item
 * (on the sandbox in tests), summarize. The local runner does not model the Distributed Map's
 * child executions; it runs the same ItemProcessor per item with the same MaxConcurrency.
 */
import { localStateMachine, polyfillPromiseWithResolvers } from '../approval/local.ts';
import type { LambdaDeps } from '../lambda/deps.ts';
import { listItems, summarizeItems, sweepAccount } from './lambda.ts';
import type { MemberRoles } from './roles.ts';
import { ORG_STATE, orgSweepDefinition } from './state-machine.ts';

polyfillPromiseWithResolvers();

export interface LocalOrgSweepOptions {
  deps: LambdaDeps;
  roles: MemberRoles;
  input?: Record<string, unknown>;
  maxConcurrency?: number;
  /** Replace the item Lambda (e.g. to make one invocation crash like a timeout). */
  item?: (payload: unknown) => Promise<unknown>;
}

export async function runOrgSweepLocally(options: LocalOrgSweepOptions) {
  const definition = orgSweepDefinition({ functionName: (fn) => `trimtab-local-${fn}`, maxConcurrency: options.maxConcurrency ?? options.deps.policies.organization?.maxConcurrency ?? 10 });
  const machine = localStateMachine(definition);
  const states: string[] = [];
  // The summary step's output: the execution's record even when it ends in the Fail state.
  let summary: ReturnType<typeof summarizeItems> | undefined;
  const item = options.item ?? ((payload: unknown) => sweepAccount(payload, undefined, options.deps, options.roles));
  const run = machine.run((options.input ?? {}) as never, {
    overrides: {
      // `lambda:invoke` overrides return `{ Payload }`, as Lambda does.
      taskResourceLocalHandlers: {
        [ORG_STATE.list]: async (input: any) => ({ Payload: listItems(input.Payload, options.deps) }),
        [ORG_STATE.item]: async (input: any) => ({ Payload: await item(input.Payload) }),
        [ORG_STATE.summarize]: async (input: any) => ({ Payload: (summary = summarizeItems(input.Payload)) }),
      } as never,
      retryIntervalOverrides: { [ORG_STATE.item]: 0, [ORG_STATE.list]: 0, [ORG_STATE.summarize]: 0 },
    },
  });
  void (async () => {
    try {
      for await (const event of run.eventLogs) if (event.type === 'StateEntered') states.push(event.state.name);
    } catch {
      // errors surface through result
    }
  })();
  try {
    return { ok: true as const, output: (await run.result) as any, states, summary };
  } catch (error) {
    const e = error as Error & { cause?: { name?: string; message?: string } };
    return { ok: false as const, error: { name: e.cause?.name ?? e.name, message: e.cause?.message ?? e.message }, states, summary };
  }
}
