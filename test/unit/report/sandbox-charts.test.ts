import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../../lib/engine/run.ts';
import { loadPolicies } from '../../../lib/policy/load.ts';
import { evidenceChart, snapshotTimelines } from '../../../lib/report/evidence-charts.ts';
import { CLOCK } from '../../approval-helpers.ts';
import { testEnv } from '../../helpers.ts';

/** The charts of real sandbox findings (trimtab.yml on the small-company account) show what the finding is about. */
let result: RunResult;

beforeAll(async () => {
  const env = testEnv('small-company', { clock: CLOCK });
  result = await env.run(loadPolicies('trimtab.yml').policies, { forceDryRun: true });
}, 60_000);

describe('charts of a sandbox scan', () => {
  it('draws exactly the policy\'s keep count of kept snapshots on each volume of the keep-the-newest policy', () => {
    // Prepare
    const policy = loadPolicies('trimtab.yml').policies.find((p) => p.detector.type === 'too-many-per-volume')!;
    const keep = Number(policy.detector.keep);
    const mine = result.findings.filter((f) => f.policy === policy.id);

    // Act
    const timelines = snapshotTimelines(mine);

    // Assess
    expect(keep).toBe(7);
    expect(timelines.length).toBeGreaterThan(0);
    for (const t of timelines) {
      const marks = [...t.svg.matchAll(/data-mark="([^"]+)"/g)].map((m) => m[1]);
      expect(marks.filter((m) => m === 'kept')).toHaveLength(keep);
      expect(marks.length - keep).toBe(mine.filter((f) => f.evidence.volumeId === t.volumeId).length);
      expect(t.svg).toContain(`(policy keeps the newest ${keep})`);
    }
  });

  it('draws the MaxSize line at the group\'s MaxSize for each asg-raise-max-size finding', () => {
    // Prepare
    const raise = result.findings.filter((f) => f.policy === 'asg-raise-max-size' && f.status !== 'protected');

    // Act
    const charts = raise.map((f) => evidenceChart(f)!.split('</svg>')[1]);

    // Assess
    expect(raise.length).toBeGreaterThan(0);
    raise.forEach((f, i) => {
      expect(charts[i]).toMatch(new RegExp(`<line class="ref" data-label="MaxSize" data-value="${f.evidence.maxSize}"`));
      expect(charts[i]).toContain(`MaxSize ${f.evidence.maxSize} instances`);
    });
  });
});
