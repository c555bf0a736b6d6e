/**
 * Test-only elements (never shipped, never in trimtab.yml): a synthetic resource type whose
 * listing is generated page by page (any count, no SDK, no sandbox copy), a detector that flags
 * each item for cost, performance or both, and a remediator that plans a no-write change.
 * They exercise the engine's streaming, the tally and every output's grouping by benefit before
 * the real performance detectors exist.
 */
import { z } from 'zod';
import { AwsClients } from '../lib/aws/clients.ts';
import { MemoryActionStore } from '../lib/audit/store.ts';
import type { EngineDeps } from '../lib/engine/run.ts';
import type { Benefit, Detection, Detector, Remediator, ResourceType } from '../lib/engine/types.ts';
import type { Policy } from '../lib/policy/load.ts';
import { detectors, remediators, resourceTypes } from '../lib/resources/index.ts';
import { registerDetector, registerRemediator } from '../lib/resources/registry.ts';

export const SYNTHETIC = 'test-synthetic';

export interface Widget {
  n: number;
  id: string;
}

/** The benefit of item n: every 5th performance, every 7th both, the rest cost. */
export const benefitOfItem = (n: number): Benefit[] => (n % 7 === 0 ? ['cost', 'performance'] : n % 5 === 0 ? ['performance'] : ['cost']);
/** Performance-only items save nothing; the others $1.50 (both: $2.25). */
export const savingOfItem = (n: number) => (n % 7 === 0 ? 2.25 : n % 5 === 0 ? 0 : 1.5);

let count = 0;
/** How many items the next listing yields. */
export const setSyntheticCount = (n: number) => void (count = n);

const widgetType: ResourceType<Widget> = {
  id: SYNTHETIC,
  title: 'Synthetic widgets (tests only)',
  permissions: [],
  async *list() {
    for (let start = 0; start < count; start += 1000) {
      const page: Widget[] = [];
      for (let n = start; n < Math.min(count, start + 1000); n++) page.push({ n, id: `w-${String(n).padStart(7, '0')}` });
      yield page;
    }
  },
  ref: (w, ctx) => ({ type: SYNTHETIC, id: w.id, arn: `arn:aws:test:${ctx.region}:${ctx.account}:widget/${w.id}`, account: ctx.account, region: ctx.region, tags: (w.n % 11 === 0 ? { 'trimtab:skip': 'true' } : {}) as Record<string, string> }),
};

/** A detector for tests: a finding per widget, with a risk statement when it is about performance. */
export const saturationDetector: Detector<Widget> = {
  id: 'test-saturation',
  resource: SYNTHETIC,
  title: 'Saturated widget (tests only)',
  options: z.object({}),
  detect(w): Detection {
    const benefit = benefitOfItem(w.n);
    const performance = benefit.includes('performance');
    return {
      reason: performance ? `Widget ${w.id} runs hot.` : `Widget ${w.id} is oversized.`,
      // Some weight per finding, like real evidence (series, ids): what memory would hold.
      evidence: { n: w.n, cpuP95: 40 + (w.n % 60), series: Array.from({ length: 24 }, (_, i) => (w.n + i) % 100) },
      savings: { monthlyUsd: savingOfItem(w.n), basis: ['synthetic'] },
      benefit,
      ...(performance ? { risk: { summary: `CPU above 90 % for ${w.n % 50} % of hours`, evidence: { hoursAbove90: w.n % 50 } } } : {}),
    };
  },
};

/** A stateful pass that reports every widget at the end, lazily (a generator, as ebs-snapshot `orphaned` does). */
export const atEndDetector: Detector<Widget> = {
  id: 'test-at-end',
  resource: SYNTHETIC,
  title: 'Reported at the end (tests only)',
  options: z.object({}),
  pass(_options, env) {
    const seen: Widget[] = [];
    return {
      observe: (w) => (seen.push(w), []),
      *finish() {
        for (const w of seen) yield { ...saturationDetector.detect!(w, {}, env) as Detection, resource: widgetType.ref(w, env.ctx) };
      },
    };
  },
};

/** Plans a change and "applies" it without writing anything (for auto and approval runs). */
export const resizeRemediator: Remediator = {
  id: 'test-resize',
  resource: SYNTHETIC,
  title: 'Resize a widget (tests only)',
  options: z.object({}),
  permissions: [],
  undoable: 'no',
  plan: (f) => ({ kind: 'change', summary: `resize ${f.resource.id}`, params: { id: f.resource.id }, undo: 'not possible' }),
  apply: async () => ({ after: { resized: true } }),
  verify: async () => ({ ok: true, detail: 'resized' }),
};

/** Registers the synthetic elements once per test file (the registries are module singletons). */
export function registerSynthetic() {
  if (!resourceTypes.has(SYNTHETIC)) resourceTypes.register(widgetType as ResourceType);
  if (!detectors(SYNTHETIC).has(saturationDetector.id)) registerDetector(saturationDetector);
  if (!detectors(SYNTHETIC).has(atEndDetector.id)) registerDetector(atEndDetector);
  if (!remediators(SYNTHETIC).has(resizeRemediator.id)) registerRemediator(resizeRemediator);
}

/** A policy on the synthetic type, built directly (the policy schema is composed from the shipped registries). */
export function syntheticPolicy(id: string, mode: Policy['mode'] = 'dry-run', withAction = true, detector = saturationDetector.id): Policy {
  return {
    id,
    resource: SYNTHETIC,
    detector: { type: detector },
    ...(withAction ? { action: { type: resizeRemediator.id } } : {}),
    mode,
    triggers: [],
    scope: {} as Policy['scope'],
    limits: { maxActionsPerRun: 1_000_000, cooldownHours: 0 },
  };
}

/** Engine deps with no AWS behind them (the synthetic type makes no calls). */
export function syntheticDeps(): EngineDeps {
  const clients = new AwsClients({ account: '123456789012', allowWrites: false, writePacing: false });
  return { account: '123456789012', clients, store: new MemoryActionStore(), defaultRegions: ['us-east-1'], now: () => new Date('2026-11-01T00:00:00Z') };
}
