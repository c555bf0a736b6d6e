/**
 * The engine's limits (lib/engine/run.ts) against a made-up resource type and an in-memory action store: no
 * sandbox, no test/setup.ts, so Stryker measures run.ts's limits at ~2-3 s a mutant (test/mutation/run.mjs
 * RUN_LIMITS). The dry-run mode (forceDryRun, actsOn, settle), the cooldown and its history, the per-run cap
 * and its count across a sweep, the confirmation, protection when a finding is made, and applyAll's skips.
 */
import * as z from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { MemoryActionStore } from '../../../lib/audit/store.ts';
import { runPolicies, type ActionIdempotency, type EngineDeps, type FindingResult, type RunOptions } from '../../../lib/engine/run.ts';
import type { ActionRecord, Detector, Remediator } from '../../../lib/engine/types.ts';
import type { Policy } from '../../../lib/policy/load.ts';
import { registerDetector, registerRemediator, resourceTypes } from '../../../lib/resources/registry.ts';
import { ActionInProgressError } from '../../../lib/util/errors.ts';
import { shortHash } from '../../../lib/util/hash.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';

const TYPE = 'test-limits-gadget';
const ACCOUNT = '111122223333';
const NOW = new Date('2026-11-01T00:00:00Z');
const arn = (id: string) => `arn:test:gadget:us-east-1:${ACCOUNT}:${id}`;

interface Gadget {
  id: string;
  size: number;
  tags?: Record<string, string>;
  /** A module's own protection (e.g. too little data). */
  own?: string;
  /** The remediator finds nothing to do. */
  noop?: boolean;
  /** The detector gives no savings estimate. */
  noSavings?: boolean;
}

/** What the made-up AWS holds and what the remediator did; reset before each test. */
const world: { gadgets: Gadget[]; applied: string[]; defer?: { at: string; why: string }; floorHours?: number } = { gadgets: [], applied: [] };

resourceTypes.register({
  id: TYPE,
  title: 'Test gadgets',
  permissions: [],
  async *list() {
    yield world.gadgets;
  },
  ref: (g: Gadget) => ({ type: TYPE, id: g.id, arn: arn(g.id), account: ACCOUNT, region: 'us-east-1', tags: g.tags ?? {} }),
});
registerDetector({
  id: 'too-big',
  resource: TYPE,
  title: 'Test: too big',
  options: z.object({}),
  detect: (g: Gadget) =>
    g.size > 1
      ? {
          reason: `${g.id} is size ${g.size}.`,
          evidence: g.own === undefined ? { size: g.size } : { size: g.size, protection: g.own },
          ...(g.own === undefined ? {} : { status: 'protected' as const }),
          ...(g.noSavings ? {} : { savings: { monthlyUsd: g.size, basis: [`size ${g.size}`] } }),
        }
      : undefined,
} as Detector);
registerRemediator({
  id: 'shrink-gadget',
  resource: TYPE,
  title: 'Test: shrink a gadget',
  options: z.object({}),
  permissions: [],
  undoable: 'yes',
  minCooldownHours: () => world.floorHours ?? 0,
  deferUntil: () => world.defer,
  plan: (finding) => (finding.resource.id.includes('noop') ? { kind: 'noop', reason: 'already small' } : { kind: 'change', summary: `shrink ${finding.resource.id}`, params: { gadget: finding.resource.id, size: 1 }, undo: 'grow it back' }),
  async apply(_ctx, plan) {
    world.applied.push((plan.params as { gadget: string }).gadget);
    return { before: { size: 2 }, after: { size: 1 }, detail: 'shrunk' };
  },
  async verify() {
    return { ok: true, detail: 'gadget is size 1' };
  },
} as Remediator);

/** A remediator with neither a cooldown floor nor a maintenance window. */
registerRemediator({
  id: 'paint-gadget',
  resource: TYPE,
  title: 'Test: paint a gadget',
  options: z.object({}),
  permissions: [],
  undoable: 'yes',
  plan: (finding) => ({ kind: 'change', summary: `paint ${finding.resource.id}`, params: { gadget: finding.resource.id }, undo: 'paint it back' }),
  async apply(_ctx, plan) {
    world.applied.push(`painted ${(plan.params as { gadget: string }).gadget}`);
    return { after: { colour: 'grey' } };
  },
  async verify() {
    return { ok: true, detail: 'painted' };
  },
} as Remediator);

const policy = (overrides: Partial<Policy> = {}): Policy =>
  ({ id: 'gadgets', resource: TYPE, detector: { type: 'too-big' }, action: { type: 'shrink-gadget' }, mode: 'auto', triggers: [], scope: {}, limits: { maxActionsPerRun: 10, cooldownHours: 24 }, ...overrides }) as Policy;

const gadgets = (...ids: string[]): Gadget[] => ids.map((id) => ({ id, size: 2 }));

function engine(extra: Partial<EngineDeps> = {}) {
  const store = new MemoryActionStore();
  const logged: [string, unknown][] = [];
  const deps: EngineDeps = {
    account: ACCOUNT,
    clients: new AwsClients({ allowWrites: false, writePacing: false }),
    store,
    defaultRegions: ['us-east-1'],
    now: () => NOW,
    clock: new VirtualClock(NOW),
    log: (message, data) => void logged.push([message, data]),
    ...extra,
  };
  return { deps, store, logged };
}

const run = (deps: EngineDeps, policies: Policy[], options: Partial<RunOptions> = {}) => runPolicies({ policies, ...options }, deps);
const outcomes = (findings: FindingResult[]) => findings.map((f) => [f.resource.id, f.outcome, f.outcomeDetail]);

/** The plan hash the engine gives `shrink-gadget` on a gadget (lib/engine/run.ts planFinding). */
const planHash = (id: string, policyId = 'gadgets') => shortHash({ policy: policyId, arn: arn(id), action: 'shrink-gadget', params: { gadget: id, size: 1 } });

/** An earlier action of the policy on a gadget: another change than today's unless `hash` is given. */
const earlier = (id: string, gadget: string, hoursAgo: number, status: ActionRecord['status'] = 'verified', hash = 'an-earlier-plan'): ActionRecord =>
  ({
    id,
    findingId: 'f-earlier',
    policy: 'gadgets',
    resource: { type: TYPE, id: gadget, arn: arn(gadget), account: ACCOUNT, region: 'us-east-1', tags: {} },
    action: 'shrink-gadget',
    summary: 'an earlier change',
    params: {},
    planHash: hash,
    mode: 'auto',
    actor: 'auto',
    status,
    transitions: [{ status: 'planned', at: new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString() }],
    before: null,
    estimatedMonthlySavingsUsd: 0,
    undo: { supported: 'yes', how: 'grow it back' },
  }) as ActionRecord;

beforeEach(() => {
  world.gadgets = [];
  world.applied = [];
  world.defer = undefined;
  world.floorHours = undefined;
});

describe('dry-run', () => {
  it('changes nothing in a scan of an auto policy, and says what it would apply', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2');
    const { deps, store } = engine();
    // Act
    const result = await run(deps, [policy()], { forceDryRun: true });
    // Assess
    expect(outcomes(result.findings)).toEqual([
      ['g1', 'would-apply', undefined],
      ['g2', 'would-apply', undefined],
    ]);
    expect(result.findings.map((f) => f.mode)).toEqual(['dry-run', 'dry-run']);
    expect(world.applied).toEqual([]);
    expect(result.actions).toEqual([]);
    expect(await store.list({ policy: 'gadgets' })).toEqual([]);
  });

  it('changes nothing for a dry-run policy, and acts for an auto one in the same run', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const { deps } = engine();
    // Act
    const result = await run(deps, [policy({ id: 'watch', mode: 'dry-run' }), policy()]);
    // Assess
    expect(result.findings.map((f) => [f.policy, f.mode, f.outcome])).toEqual([
      ['watch', 'dry-run', 'would-apply'],
      ['gadgets', 'auto', 'applied'],
    ]);
    expect(world.applied).toEqual(['g1']);
  });

  it('reports, without acting or saying it would apply, a protected finding, one without a plan and one of a policy without an action', async () => {
    // Prepare
    world.gadgets = [{ id: 'g-skip', size: 2, tags: { 'trimtab:skip': 'yes' } }, { id: 'g-noop', size: 2 }, { id: 'g-own', size: 2, own: 'too little data' }];
    const { deps } = engine();
    // Act
    const acting = await run(deps, [policy()]);
    const reporting = await run(deps, [policy({ id: 'report', action: undefined })]);
    // Assess
    expect(acting.findings.map((f) => [f.resource.id, f.status, f.outcome, f.plan?.action])).toEqual([
      ['g-skip', 'protected', 'reported', undefined],
      ['g-noop', 'report-only', 'reported', undefined],
      ['g-own', 'protected', 'reported', undefined],
    ]);
    expect(reporting.findings.map((f) => [f.resource.id, f.status, f.outcome])).toEqual([
      ['g-skip', 'protected', 'reported'],
      ['g-noop', 'report-only', 'reported'],
      ['g-own', 'protected', 'reported'],
    ]);
    expect(world.applied).toEqual([]);
  });

  it('records the findings before acting, and acts on nothing when they cannot be recorded', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const seen: string[][] = [];
    const recorded = engine({ onFindings: async (batch) => void seen.push([...batch.map((f) => `${f.resource.id}:${f.outcome}`), `applied so far: ${world.applied.length}`]) });
    const failing = engine({
      onFindings: async () => {
        throw new Error('audit table unavailable');
      },
    });
    // Act
    await run(recorded.deps, [policy()]);
    const refused = run(failing.deps, [policy()]);
    // Assess
    expect(seen).toEqual([['g1:reported', 'applied so far: 0']]);
    await expect(refused).rejects.toThrow('audit table unavailable');
    expect(world.applied).toEqual(['g1']);
  });
});

describe('a finding as it is made', () => {
  it('marks a resource tagged trimtab:skip protected, saying so in its reason and outcome', async () => {
    // Prepare
    world.gadgets = [{ id: 'g-skip', size: 3, tags: { 'trimtab:skip': '' } }];
    const { deps } = engine();
    // Act
    const [f] = (await run(deps, [policy()])).findings;
    // Assess
    expect(f).toMatchObject({
      id: shortHash({ policy: 'gadgets', arn: arn('g-skip'), detector: 'too-big' }),
      policy: 'gadgets',
      detector: 'too-big',
      status: 'protected',
      reason: 'g-skip is size 3. Protected: tagged trimtab:skip.',
      mode: 'auto',
      outcome: 'reported',
      outcomeDetail: 'tagged trimtab:skip',
      benefit: ['cost'],
    });
  });

  it("keeps a module's own protection with its reason, and the detection's reason when it gives none", async () => {
    // Prepare
    world.gadgets = [{ id: 'g-own', size: 2, own: 'too little data' }];
    const withReason = engine();
    // Act
    const [own] = (await run(withReason.deps, [policy()])).findings;
    world.gadgets = [{ id: 'g-own', size: 2, own: 42 as never }];
    const [bare] = (await run(engine().deps, [policy()])).findings;
    // Assess
    expect([own.status, own.reason, own.outcomeDetail]).toEqual(['protected', 'g-own is size 2.', 'too little data']);
    expect([bare.status, bare.reason, bare.outcomeDetail]).toEqual(['protected', 'g-own is size 2.', 'g-own is size 2.']);
  });

  it('makes an actionable finding report-only when its policy has no action, with no outcome detail', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const { deps } = engine();
    // Act
    const [f] = (await run(deps, [policy({ action: undefined })])).findings;
    // Assess
    expect([f.status, f.reason, f.outcome, f.outcomeDetail]).toEqual(['report-only', 'g1 is size 2.', 'reported', undefined]);
  });
});

describe('the per-resource cooldown', () => {
  it('skips a resource another change acted on within the cooldown, and acts once it has passed, to the millisecond', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const within = engine();
    await within.store.put(earlier('act-1', 'g1', 24 - 1 / 3_600_000));
    const past = engine();
    await past.store.put(earlier('act-1', 'g1', 24));
    // Act
    const skipped = await run(within.deps, [policy()]);
    const acted = await run(past.deps, [policy()]);
    // Assess
    expect(outcomes(skipped.findings)).toEqual([['g1', 'skipped', 'cooldown: act-1 acted on this resource less than 24 h ago']]);
    expect(skipped.actions).toEqual([]);
    expect(outcomes(acted.findings)).toEqual([['g1', 'applied', 'gadget is size 1']]);
    expect(world.applied).toEqual(['g1']);
  });

  it("keeps the remediator's longer cooldown over the policy's, and the policy's when it is longer", async () => {
    // Prepare: an earlier change 30 h ago
    world.gadgets = gadgets('g1');
    world.floorHours = 48;
    const floor = engine();
    await floor.store.put(earlier('act-1', 'g1', 30));
    const policyLonger = engine();
    await policyLonger.store.put(earlier('act-1', 'g1', 30));
    // Act
    const byFloor = await run(floor.deps, [policy({ limits: { maxActionsPerRun: 10, cooldownHours: 24 } })]);
    world.floorHours = 12;
    const byPolicy = await run(policyLonger.deps, [policy({ limits: { maxActionsPerRun: 10, cooldownHours: 36 } })]);
    // Assess
    expect(outcomes(byFloor.findings)).toEqual([['g1', 'skipped', 'cooldown: act-1 acted on this resource less than 48 h ago']]);
    expect(outcomes(byPolicy.findings)).toEqual([['g1', 'skipped', 'cooldown: act-1 acted on this resource less than 36 h ago']]);
    expect(world.applied).toEqual([]);
  });

  it('counts an applied, verified or undone change, but not a failed, skipped or planned one', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const results: unknown[] = [];
    for (const status of ['applied', 'verified', 'undone', 'failed', 'skipped', 'planned'] as const) {
      const { deps, store } = engine();
      await store.put(earlier(`act-${status}`, 'g1', 1, status));
      // Act
      results.push([status, ...outcomes((await run(deps, [policy()])).findings)[0].slice(1)]);
    }
    // Assess
    expect(results).toEqual([
      ['applied', 'skipped', 'cooldown: act-applied acted on this resource less than 24 h ago'],
      ['verified', 'skipped', 'cooldown: act-verified acted on this resource less than 24 h ago'],
      ['undone', 'skipped', 'cooldown: act-undone acted on this resource less than 24 h ago'],
      ['failed', 'applied', 'gadget is size 1'],
      ['skipped', 'applied', 'gadget is size 1'],
      ['planned', 'applied', 'gadget is size 1'],
    ]);
  });

  it('reads the latest earlier action of the resource, whatever order the history lists them in, and only its own', async () => {
    // Prepare: an old action of this exact change and a newer different one; another gadget's action is recent
    world.gadgets = gadgets('g1', 'g2');
    for (const order of [0, 1]) {
      const { deps, store } = engine();
      const records = [earlier('act-old', 'g1', 100, 'verified', planHash('g1')), earlier('act-new', 'g1', 30), earlier('act-other', 'g3', 1)];
      for (const r of order ? records.reverse() : records) await store.put(r);
      // Act
      const result = await run(deps, [policy({ limits: { maxActionsPerRun: 10, cooldownHours: 24 } })]);
      // Assess: act-new (30 h ago, another change) is the latest: not "already applied"
      expect(outcomes(result.findings)).toEqual([
        ['g1', 'applied', 'gadget is size 1'],
        ['g2', 'applied', 'gadget is size 1'],
      ]);
    }
  });

  it('never redoes the exact change an earlier action made or a person undid, whenever it was', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2');
    const { deps, store } = engine();
    await store.put(earlier('act-done', 'g1', 1000, 'verified', planHash('g1')));
    await store.put(earlier('act-undone', 'g2', 1000, 'undone', planHash('g2')));
    // Act
    const result = await run(deps, [policy()]);
    // Assess
    expect(outcomes(result.findings)).toEqual([
      ['g1', 'skipped', 'already applied as act-done: this exact change was made before'],
      ['g2', 'skipped', 'undone: act-undone made this exact change and a person undid it; trimtab will not redo it'],
    ]);
    expect(world.applied).toEqual([]);
  });

  it('reads the history after the confirmation, so an action recorded while a person answered counts', async () => {
    // Prepare: another run acts on g1 while the prompt is open
    world.gadgets = gadgets('g1');
    const { deps, store } = engine();
    const confirm = async () => {
      await store.put(earlier('act-meanwhile', 'g1', 0));
      return true;
    };
    // Act
    const result = await run(deps, [policy()], { confirm });
    // Assess
    expect(outcomes(result.findings)).toEqual([['g1', 'skipped', 'cooldown: act-meanwhile acted on this resource less than 24 h ago']]);
    expect(world.applied).toEqual([]);
  });

  it("fails the run with the store's error when the history cannot be read, acting on nothing", async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const { deps, store } = engine();
    store.list = async () => {
      throw new Error('history unavailable');
    };
    // Act
    const result = run(deps, [policy()]);
    // Assess
    await expect(result).rejects.toThrow('history unavailable');
    expect(world.applied).toEqual([]);
  });
});

describe('the per-run cap', () => {
  it('acts on exactly maxActionsPerRun resources and skips the rest, saying the limit', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2', 'g3');
    const { deps } = engine();
    // Act
    const result = await run(deps, [policy({ limits: { maxActionsPerRun: 2, cooldownHours: 0 } })]);
    // Assess
    expect(outcomes(result.findings)).toEqual([
      ['g1', 'applied', 'gadget is size 1'],
      ['g2', 'applied', 'gadget is size 1'],
      ['g3', 'skipped', 'limit: at most 2 actions per run for this policy'],
    ]);
    expect(result.actions.map((a) => [a.resource.id, a.status])).toEqual([
      ['g1', 'verified'],
      ['g2', 'verified'],
    ]);
    expect(result.summary.actionsApplied).toBe(2);
  });

  it("counts a resumable sweep's earlier invocations against the cap, per policy", async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2', 'g3');
    const { deps } = engine();
    // Act
    const result = await run(deps, [policy({ limits: { maxActionsPerRun: 3, cooldownHours: 0 } })], { resumable: { checkpoint: { done: [], acted: { gadgets: 2, other: 5 }, invocations: 1 } } });
    // Assess
    expect(outcomes(result.findings).map((o) => o.slice(0, 2))).toEqual([
      ['g1', 'applied'],
      ['g2', 'skipped'],
      ['g3', 'skipped'],
    ]);
  });

  it('does not count a change that a cooldown or an earlier identical change skipped, nor a replayed one', async () => {
    // Prepare: g1 in its cooldown, g2 done before, g3 replayed by the idempotency table
    world.gadgets = gadgets('g1', 'g2', 'g3', 'g4');
    const replaying: ActionIdempotency = {
      async once(key, work, options) {
        if (key.resource === arn('g3')) return { record: { ...options!.record!, id: 'act-replayed', status: 'verified' }, replayed: true };
        return { record: (await work({ recorded: false })).record, replayed: false };
      },
    };
    const { deps, store } = engine({ idempotency: replaying });
    await store.put(earlier('act-1', 'g1', 1));
    await store.put(earlier('act-2', 'g2', 1000, 'verified', planHash('g2')));
    // Act
    const result = await run(deps, [policy({ limits: { maxActionsPerRun: 1, cooldownHours: 24 } })]);
    // Assess
    expect(outcomes(result.findings).map((o) => o.slice(0, 2))).toEqual([
      ['g1', 'skipped'],
      ['g2', 'skipped'],
      ['g3', 'skipped'],
      ['g4', 'applied'],
    ]);
    expect(result.findings[2].outcomeDetail).toBe('already done: act-replayed (verified) made this exact change; a repeated delivery never acts twice');
    expect(result.actions.map((a) => a.resource.id)).toEqual(['g4']);
  });
});

describe('the confirmation', () => {
  it('asks once with the changes auto mode is about to make, and changes nothing when refused', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2');
    const { deps, store } = engine();
    const asked: string[][] = [];
    // Act
    const result = await run(deps, [policy(), policy({ id: 'watch', mode: 'dry-run' })], {
      confirm: async (pending) => {
        asked.push(pending.map((f) => `${f.policy}/${f.resource.id}`));
        return false;
      },
    });
    // Assess
    expect(asked).toEqual([['gadgets/g1', 'gadgets/g2']]);
    expect(outcomes(result.findings.filter((f) => f.policy === 'gadgets'))).toEqual([
      ['g1', 'skipped', 'not confirmed: nothing was changed'],
      ['g2', 'skipped', 'not confirmed: nothing was changed'],
    ]);
    expect(world.applied).toEqual([]);
    expect(await store.list({ policy: 'gadgets' })).toEqual([]);
  });

  it('acts when confirmed, and does not ask when nothing would be changed', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const asked: number[] = [];
    const confirm = async (pending: FindingResult[]) => {
      asked.push(pending.length);
      return true;
    };
    // Act
    const confirmed = await run(engine().deps, [policy()], { confirm });
    const scan = await run(engine().deps, [policy()], { confirm, forceDryRun: true });
    // Assess
    expect(asked).toEqual([1]);
    expect(outcomes(confirmed.findings)).toEqual([['g1', 'applied', 'gadget is size 1']]);
    expect(outcomes(scan.findings)).toEqual([['g1', 'would-apply', undefined]]);
  });

  it('asks nothing for an approval-mode policy: it requests approval even when the auto changes are refused', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2');
    const asked: string[][] = [];
    // Act
    const result = await run(engine().deps, [policy({ scope: { includeNames: ['g1'] } }), policy({ id: 'ask', mode: 'approval', scope: { includeNames: ['g2'] } })], {
      confirm: async (pending) => {
        asked.push(pending.map((f) => f.policy));
        return false;
      },
    });
    // Assess
    expect(asked).toEqual([['gadgets']]);
    expect(result.findings.map((f) => [f.policy, f.resource.id, f.outcome])).toEqual([
      ['gadgets', 'g1', 'skipped'],
      ['ask', 'g2', 'awaiting-approval'],
    ]);
    expect(world.applied).toEqual([]);
  });
});

describe("applyAll's other skips", () => {
  it("defers a change outside the remediator's window, writing nothing", async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    world.defer = { at: '2026-11-01T03:00:00Z', why: 'outside the maintenance window (03:00-04:00 UTC)' };
    const { deps, store } = engine();
    // Act
    const result = await run(deps, [policy()]);
    // Assess
    expect(outcomes(result.findings)).toEqual([['g1', 'skipped', 'deferred: outside the maintenance window (03:00-04:00 UTC)']]);
    expect(await store.list({ policy: 'gadgets' })).toEqual([]);
  });

  it('starts no change with less than the margin left, and starts it with exactly the margin', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    // Act
    const short = await run(engine({ remainingMs: () => 9_999 }).deps, [policy()]);
    const enough = await run(engine({ remainingMs: () => 10_000 }).deps, [policy()]);
    // Assess
    expect(outcomes(short.findings)).toEqual([['g1', 'skipped', 'deferred: the invocation is about to time out; the next run picks it up']]);
    expect(outcomes(enough.findings)).toEqual([['g1', 'applied', 'gadget is size 1']]);
  });

  it('skips a change another delivery is making, and goes on with the next', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2');
    const busy: ActionIdempotency = {
      async once(key, work) {
        if (key.resource === arn('g1')) throw new ActionInProgressError('act-other is changing g1');
        return { record: (await work({ recorded: false })).record, replayed: false };
      },
    };
    // Act
    const result = await run(engine({ idempotency: busy }).deps, [policy()]);
    // Assess
    expect(outcomes(result.findings)).toEqual([
      ['g1', 'skipped', 'in progress: act-other is changing g1'],
      ['g2', 'applied', 'gadget is size 1'],
    ]);
  });

  it('fails a change whose record the audit trail refuses, logs it, changes nothing there and goes on', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2');
    const { deps, store, logged } = engine();
    const put = store.put.bind(store);
    store.put = async (record) => {
      if (record.resource.id === 'g1') throw new Error('ConditionalCheckFailed');
      return put(record);
    };
    // Act
    const result = await run(deps, [policy()]);
    // Assess
    expect(outcomes(result.findings)).toEqual([
      ['g1', 'failed', 'not recorded, so not done: ConditionalCheckFailed'],
      ['g2', 'applied', 'gadget is size 1'],
    ]);
    expect(world.applied).toEqual(['g2']);
    expect(logged).toContainEqual(['action could not be recorded', { policy: 'gadgets', resource: arn('g1'), error: 'ConditionalCheckFailed' }]);
  });

  it('tells the progress after each change it makes', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2');
    const progress: unknown[] = [];
    // Act
    await run(engine({ onProgress: (p) => void progress.push(p) }).deps, [policy()]);
    // Assess
    expect(progress.filter((p) => (p as { phase: string }).phase === 'act')).toEqual([
      { phase: 'act', acted: 1, total: 2 },
      { phase: 'act', acted: 2, total: 2 },
    ]);
  });
});

describe('the history, the actor and deps left out', () => {
  it("counts only this policy's earlier actions on the resource", async () => {
    // Prepare: another policy acted on g1 an hour ago
    world.gadgets = gadgets('g1');
    const { deps, store } = engine();
    await store.put({ ...earlier('act-other-policy', 'g1', 1), policy: 'other' });
    // Act
    const result = await run(deps, [policy()]);
    // Assess
    expect(outcomes(result.findings)).toEqual([['g1', 'applied', 'gadget is size 1']]);
  });

  it('takes the latest earlier action even when the store lists it first, and the first listed of two at the same time', async () => {
    // Prepare: the exact change 100 h ago and another change 30 h ago; then two actions at the same time
    world.gadgets = gadgets('g1');
    const newestFirst = engine();
    newestFirst.store.list = async () => [earlier('act-new', 'g1', 30), earlier('act-old', 'g1', 100, 'verified', planHash('g1'))];
    const sameTime = engine();
    sameTime.store.list = async () => [earlier('act-a', 'g1', 30), earlier('act-b', 'g1', 30, 'verified', planHash('g1'))];
    // Act
    const newest = await run(newestFirst.deps, [policy()]);
    const tie = await run(sameTime.deps, [policy()]);
    // Assess: act-new and act-a are another change, past the 24 h cooldown
    expect(outcomes(newest.findings)).toEqual([['g1', 'applied', 'gadget is size 1']]);
    expect(outcomes(tie.findings)).toEqual([['g1', 'applied', 'gadget is size 1']]);
  });

  it('acts with a remediator that has no cooldown floor and no maintenance window', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const { deps } = engine();
    // Act
    const result = await run(deps, [policy({ action: { type: 'paint-gadget' } } as never)]);
    // Assess
    expect(outcomes(result.findings)).toEqual([['g1', 'applied', 'painted']]);
    expect(world.applied).toEqual(['painted g1']);
  });

  it("records the run's actor on each action, 'auto' when the run names none", async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    // Act
    const named = await run(engine().deps, [policy()], { actor: 'alice@example.com' });
    const unnamed = await run(engine().deps, [policy()]);
    // Assess
    expect(named.actions.map((a) => a.actor)).toEqual(['alice@example.com']);
    expect(unnamed.actions.map((a) => a.actor)).toEqual(['auto']);
  });

  it('acts without a clock of its own (the system time) and fails a change it cannot record without a log', async () => {
    // Prepare
    world.gadgets = gadgets('g1');
    const noClock = engine({ now: undefined });
    const noLog = engine({ log: undefined });
    noLog.store.put = async () => {
      throw new Error('ConditionalCheckFailed');
    };
    // Act
    const clocked = await run(noClock.deps, [policy()]);
    const unrecorded = await run(noLog.deps, [policy()]);
    // Assess
    expect(outcomes(clocked.findings)).toEqual([['g1', 'applied', 'gadget is size 1']]);
    expect(outcomes(unrecorded.findings)).toEqual([['g1', 'failed', 'not recorded, so not done: ConditionalCheckFailed']]);
  });
});

describe('the history read ahead, the recording and the dispatch per policy', () => {
  it('reads the history of each auto policy with a change to make once, before the findings are recorded, and of no other policy', async () => {
    // Prepare: an auto policy acting on g1, a dry-run one on g1, an approval one on g2, an auto one whose only finding is
    // protected, and an auto one that finds nothing
    world.gadgets = [...gadgets('g1', 'g2'), { id: 'g-skip', size: 2, tags: { 'trimtab:skip': '' } }, { id: 'g-small', size: 1 }];
    const events: string[] = [];
    const { deps, store } = engine({ onFindings: async (batch) => void events.push(`recorded ${batch.length}`) });
    const list = store.list.bind(store);
    store.list = async (filter) => {
      events.push(`history of ${filter?.policy}`);
      return list(filter);
    };
    const only = (name: string) => ({ scope: { includeNames: [name] } }) as Partial<Policy>;
    // Act
    const result = await run(deps, [
      policy(only('g1')),
      policy({ id: 'watch', mode: 'dry-run', ...only('g1') }),
      policy({ id: 'ask', mode: 'approval', ...only('g2') }),
      policy({ id: 'guarded', ...only('g-skip') }),
      policy({ id: 'idle', ...only('g-small') }),
    ]);
    // Assess
    expect(events).toEqual(['history of gadgets', 'recorded 4']);
    expect(result.findings.map((f) => [f.policy, f.resource.id, f.outcome])).toEqual([
      ['gadgets', 'g1', 'applied'],
      ['watch', 'g1', 'would-apply'],
      ['ask', 'g2', 'awaiting-approval'],
      ['guarded', 'g-skip', 'reported'],
    ]);
    expect(world.applied).toEqual(['g1']);
  });

  it('records no findings when there are none, and reads no history', async () => {
    // Prepare: nothing is too big
    world.gadgets = [{ id: 'g-small', size: 1 }];
    const events: string[] = [];
    const { deps, store } = engine({ onFindings: async (batch) => void events.push(`recorded ${batch.length}`) });
    store.list = async (filter) => {
      events.push(`history of ${filter?.policy}`);
      return [];
    };
    // Act
    const result = await run(deps, [policy(), policy({ id: 'ask', mode: 'approval' })]);
    // Assess
    expect(result.findings).toEqual([]);
    expect(result.actions).toEqual([]);
    expect(events).toEqual([]);
  });

  it('counts from zero in the first invocation of a resumable sweep, which has no checkpoint yet', async () => {
    // Prepare
    world.gadgets = gadgets('g1', 'g2', 'g3');
    const { deps } = engine();
    // Act
    const result = await run(deps, [policy({ limits: { maxActionsPerRun: 2, cooldownHours: 0 } })], { resumable: {} });
    // Assess
    expect(outcomes(result.findings)).toEqual([
      ['g1', 'applied', 'gadget is size 1'],
      ['g2', 'applied', 'gadget is size 1'],
      ['g3', 'skipped', 'limit: at most 2 actions per run for this policy'],
    ]);
  });

  it('gives a finding whose detector estimates no savings a zero estimate that says so', async () => {
    // Prepare
    world.gadgets = [{ id: 'g1', size: 2, noSavings: true }];
    const { deps } = engine();
    // Act
    const [f] = (await run(deps, [policy()], { forceDryRun: true })).findings;
    // Assess
    expect(f.savings).toEqual({ monthlyUsd: 0, basis: ['No estimate from this detector.'] });
  });
});
