/**
 * The engine's limits (lib/engine/run.ts applyAll and lastActions), each at its boundary: the
 * per-resource cooldown (a different change on the same resource), the per-run cap, the cap across
 * a resumable sweep's invocations, and which earlier action counts. The existing cooldown test in
 * run.test.ts re-plans the same change, so "already applied" answers it before the cooldown is read.
 */
import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../../lib/engine/types.ts';
import { fourBucketsEnv, policiesFrom, SETTLED_TIMING } from '../../helpers.ts';

const NOW = new Date('2026-11-01T00:00:00Z');
const clock = () => NOW;
const WEB = 'arn:aws:s3:::acme-web-assets';

const abortPolicy = (limits: string) =>
  policiesFrom(`policies:
  - id: abort-uploads
    resource: s3-bucket
    detector: { type: missing-abort-multipart-rule }
    action: { type: add-lifecycle-rules, abortIncompleteMultipartUploadDays: 7 }
    mode: auto
    limits: ${limits}
`);

/** An earlier action by this policy on acme-web-assets: another change (another plan hash) unless `planHash` is given. */
const earlier = (id: string, hoursAgo: number, status: ActionRecord['status'] = 'verified', planHash = 'an-earlier-plan'): ActionRecord =>
  ({
    id,
    findingId: 'f-earlier',
    policy: 'abort-uploads',
    resource: { type: 's3-bucket', id: 'acme-web-assets', arn: WEB, account: '123456789012', region: 'us-east-1', tags: {} },
    action: 'add-lifecycle-rules',
    summary: 'an earlier change',
    params: {},
    planHash,
    mode: 'auto',
    actor: 'auto',
    status,
    transitions: [{ status: 'planned', at: new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString() }],
    before: null,
    estimatedMonthlySavingsUsd: 0,
    undo: { supported: 'yes', how: 'remove it' },
  }) as ActionRecord;

async function runWith(history: ActionRecord[], limits = '{ maxActionsPerRun: 10, cooldownHours: 24 }') {
  const env = fourBucketsEnv({ clock, timing: SETTLED_TIMING });
  for (const record of history) await env.store.put(record);
  const result = await env.run(abortPolicy(limits));
  const web = result.findings.find((f) => f.resource.arn === WEB)!;
  return { env, result, web };
}

describe('the per-resource cooldown', () => {
  it('skips a resource another change acted on within the cooldown, saying which and how long', async () => {
    // Act: an earlier, different change 23 h 59 min ago
    const { web, result, env } = await runWith([earlier('act-earlier-1', 23 + 59 / 60)]);
    // Assess
    expect(web.outcome).toBe('skipped');
    expect(web.outcomeDetail).toBe('cooldown: act-earlier-1 acted on this resource less than 24 h ago');
    expect(env.sandbox.successfulWrites().map((w) => (w.input as { Bucket: string }).Bucket)).not.toContain('acme-web-assets');
    expect(result.actions.map((a) => a.resource.id).sort()).toEqual(result.findings.filter((f) => f.outcome === 'applied').map((f) => f.resource.id).sort());
    expect(result.actions).toHaveLength(3);
  });

  it('acts again once the cooldown has passed, to the millisecond', async () => {
    // Act
    const { web } = await runWith([earlier('act-earlier-1', 24)]);
    // Assess
    expect(web.outcome).toBe('applied');
  });

  it('counts an undone change, but not a failed or skipped one', async () => {
    // Act
    const undone = await runWith([earlier('act-undone', 1, 'undone')]);
    const failed = await runWith([earlier('act-failed', 1, 'failed')]);
    const skipped = await runWith([earlier('act-skipped', 1, 'skipped')]);
    // Assess
    expect(undone.web.outcomeDetail).toBe('cooldown: act-undone acted on this resource less than 24 h ago');
    expect(failed.web.outcome).toBe('applied');
    expect(skipped.web.outcome).toBe('applied');
  });

  it('reads the latest earlier action, whatever order the history lists them in', async () => {
    // Prepare: the same plan applied 48 h ago (outside the cooldown), another change 1 h ago
    const old = earlier('act-old', 48, 'verified');
    const recent = earlier('act-recent', 1, 'verified');
    // Act: both orders of the history
    const oldFirst = await runWith([old, recent]);
    const recentFirst = await runWith([recent, old]);
    // Assess
    expect(oldFirst.web.outcomeDetail).toBe('cooldown: act-recent acted on this resource less than 24 h ago');
    expect(recentFirst.web.outcomeDetail).toBe('cooldown: act-recent acted on this resource less than 24 h ago');
  });

  it('never redoes the exact change an earlier action made or a person undid, whenever it was', async () => {
    // Prepare: the plan hash this run makes for acme-web-assets, from a first run
    const first = await runWith([]);
    const planHash = first.web.plan!.hash;
    // Act
    const applied = await runWith([earlier('act-same', 1000, 'verified', planHash)]);
    const undone = await runWith([earlier('act-same-undone', 1000, 'undone', planHash)]);
    // Assess
    expect(applied.web.outcomeDetail).toBe('already applied as act-same: this exact change was made before');
    expect(undone.web.outcomeDetail).toBe('undone: act-same-undone made this exact change and a person undid it; trimtab will not redo it');
  });
});

describe('the per-run cap', () => {
  it('acts on exactly maxActionsPerRun resources and skips the rest, saying the limit', async () => {
    // Act
    const { result } = await runWith([], '{ maxActionsPerRun: 2, cooldownHours: 0 }');
    // Assess
    expect(result.actions).toHaveLength(2);
    expect(result.summary.actionsApplied).toBe(2);
    const skipped = result.findings.filter((f) => f.outcome === 'skipped');
    expect(skipped.map((f) => f.outcomeDetail)).toEqual(['limit: at most 2 actions per run for this policy', 'limit: at most 2 actions per run for this policy']);
  });

  it("counts the earlier invocations of a resumable sweep against the cap", async () => {
    // Prepare
    const env = fourBucketsEnv({ clock, timing: SETTLED_TIMING });
    // Act: this sweep already acted once for the policy
    const result = await env.run(abortPolicy('{ maxActionsPerRun: 2, cooldownHours: 0 }'), { resumable: { checkpoint: { done: [], acted: { 'abort-uploads': 1 }, invocations: 1 } } });
    // Assess
    expect(result.actions).toHaveLength(1);
    expect(result.findings.filter((f) => f.outcome === 'skipped')).toHaveLength(3);
  });

  it('does not count a change a cooldown skipped', async () => {
    // Act: cap 1; acme-web-assets is in its cooldown, so one of the others is changed
    const { result, web } = await runWith([earlier('act-earlier-1', 1)], '{ maxActionsPerRun: 1, cooldownHours: 24 }');
    // Assess
    expect(web.outcomeDetail).toMatch(/^cooldown: /);
    expect(result.actions).toHaveLength(1);
    expect(result.actions[0].resource.arn).not.toBe(WEB);
  });
});
