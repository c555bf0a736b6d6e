/**
 * A scripted AWS for remediator unit tests (the mutation-testing tests, docs/testing.md "Mutation
 * testing"): every client's `send` records the command's name and input and answers from `handlers`
 * (by command name, e.g. 'DescribeAddresses'); a command with no handler fails the test. A handler
 * throws `awsError(name)` to answer with an AWS error.
 */
import type { ActionRecord, Finding, RegionContext } from '../../../lib/engine/types.ts';
import { DEFAULT_PRICES } from '../../../lib/savings/prices.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
/** test/helpers.ts's TEST_START, not imported from there: it loads the sandbox (seconds a run under Stryker). */
export const TEST_START = '2026-11-01T00:00:00Z';

export interface Call {
  op: string;
  input: any;
  client: string;
}

export type Handlers = Record<string, (input: any, n: number) => unknown>;

export function awsError(name: string, message = `${name} (scripted)`): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

export function fakeAws(handlers: Handlers, region = 'us-east-1') {
  const calls: Call[] = [];
  const counts = new Map<string, number>();
  const clients = {
    /** lib/resources/ebs-snapshot/recycle-bin.ts keys its per-run cache on this: a fresh one per fake. */
    calls: {},
    get(ctor: { name: string; prototype: object }, clientRegion: string) {
      // An instance of the client's class (the SDK's paginators check `instanceof`), with only `send`.
      return Object.assign(Object.create(ctor.prototype), {
        async send(command: { constructor: { name: string }; input: unknown }) {
          const op = command.constructor.name.replace(/Command$/, '');
          calls.push({ op, input: command.input, client: `${ctor.name}@${clientRegion}` });
          const n = (counts.get(op) ?? 0) + 1;
          counts.set(op, n);
          const h = handlers[op];
          if (!h) throw new Error(`unexpected AWS call ${op}`);
          return h(command.input, n);
        },
      });
    },
  };
  const ctx = {
    account: '123456789012',
    region,
    clients,
    now: new Date(TEST_START),
    clock: new VirtualClock(TEST_START),
    prices: DEFAULT_PRICES,
    log: () => undefined,
  } as unknown as RegionContext;
  return { ctx, clock: (ctx as unknown as { clock: VirtualClock }).clock, calls, ops: () => calls.map((c) => c.op), writes: (...names: string[]) => calls.filter((c) => names.includes(c.op)) };
}

export const planCtx = { now: new Date(TEST_START), prices: DEFAULT_PRICES };

export function findingOf(type: string, id: string, before: unknown, extra: Partial<Finding> = {}): Finding {
  return {
    id: 'f1',
    policy: 'p',
    detector: 'd',
    mode: 'auto',
    status: 'actionable',
    reason: 'r',
    evidence: {},
    resource: { type, id, arn: `arn:${id}`, account: '123456789012', region: 'us-east-1', tags: {} },
    savings: { monthlyUsd: 10, basis: [] },
    before,
    ...extra,
  } as Finding;
}

export function recordOf(type: string, id: string, action: string, params: unknown, before: unknown, after?: unknown, tags: Record<string, string> = {}): ActionRecord {
  return {
    id: 'a1',
    findingId: 'f1',
    policy: 'p',
    resource: { type, id, arn: `arn:${id}`, account: '123456789012', region: 'us-east-1', tags },
    action,
    summary: 's',
    params,
    planHash: 'h',
    mode: 'auto',
    actor: 'auto',
    status: 'verified',
    transitions: [],
    before,
    after,
    estimatedMonthlySavingsUsd: 1,
    undo: { supported: 'yes', how: '' },
  } as ActionRecord;
}
