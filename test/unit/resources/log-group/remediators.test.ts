/**
 * set-retention against a scripted CloudWatch Logs (test/unit/resources/fake-aws.ts): calls made and not
 * made, the values written, refusals, the undo's calls. Written for the mutation score of
 * lib/resources/log-group/remediators.ts (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../lib/engine/types.ts';
import type { LogGroup } from '../../../../lib/resources/log-group/resource.ts';
import { RETENTION_DAYS, removedFraction, setRetention, type RetentionParams } from '../../../../lib/resources/log-group/remediators.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, TEST_START, type Handlers } from '../fake-aws.ts';

const NAME = '/app/web';
const DAY = 86_400_000;
const GIB = 1024 ** 3;
const ARN = 'arn:aws:logs:us-east-1:123456789012:log-group:/app/web';
const group = (extra: Partial<LogGroup> = {}): LogGroup => ({ name: NAME, creationTime: Date.parse(TEST_START) - 100 * DAY, storedBytes: 10 * GIB, logGroupClass: 'STANDARD', metricFilterCount: 0, arn: ARN, ...extra });
const plan = (days = 30): Plan<RetentionParams> => ({ kind: 'change', summary: 's', undo: 'u', params: { logGroupName: NAME, retentionInDays: days } }) as unknown as Plan<RetentionParams>;
const finding = findingOf('log-group', NAME, {});
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

/** DescribeLogGroups lists `listed` (AWS's shape; a prefix match lists neighbours too), no tags, writes succeed. */
function aws(listed: Array<Record<string, unknown>> = [{ logGroupName: NAME, logGroupArn: ARN, creationTime: 1 }], over: Handlers = {}) {
  return fakeAws({
    DescribeLogGroups: () => ({ logGroups: listed }),
    ListTagsForResource: () => ({ tags: {} }),
    PutRetentionPolicy: () => ({}),
    DeleteRetentionPolicy: () => ({}),
    ...over,
  });
}
const WRITES = ['PutRetentionPolicy', 'DeleteRetentionPolicy'];

describe('set-retention options and plan', () => {
  it('accepts only the retentions CloudWatch Logs accepts, 30 days by default, and names them in the refusal', () => {
    expect(setRetention.options.parse({})).toEqual({ retentionDays: 30 });
    expect(setRetention.options.parse({ retentionDays: 3653 })).toEqual({ retentionDays: 3653 });
    const bad = setRetention.options.safeParse({ retentionDays: 31 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].message).toBe(`retentionDays must be one of the values CloudWatch Logs accepts: ${RETENTION_DAYS.join(', ')}`);
    expect(setRetention.options.safeParse({ retentionDays: 30.5 }).success).toBe(false);
    expect(setRetention.defaultMode).toBe('approval');
  });

  it('is set-retention on log groups, best effort to undo, with exactly the permissions it calls', () => {
    expect([setRetention.id, setRetention.resource, setRetention.title, setRetention.undoable]).toEqual(['set-retention', 'log-group', 'Set the log group retention (events older than it are deleted)', 'best-effort']);
    expect(setRetention.permissions).toEqual(['logs:DescribeLogGroups', 'logs:ListTagsForResource', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy']);
    expect(setRetention.undoLimits).toBe('Log events older than the retention, which CloudWatch Logs deletes once the retention is set: they are gone for good.');
  });

  it('removes (age − retention) / age of the bytes when the group is older than the retention, else nothing', () => {
    expect(removedFraction(100, 30)).toBeCloseTo(0.7, 10);
    expect(removedFraction(30, 30)).toBe(0);
    expect(removedFraction(10, 30)).toBe(0);
  });

  it('shows the approver the share of the stored bytes removed, and the saving with its basis', () => {
    // Act
    const p = setRetention.plan(findingOf('log-group', NAME, { group: group() }), { retentionDays: 30 }, planCtx);
    // Assess
    expect(p.kind).toBe('change');
    if (p.kind !== 'change') return;
    expect(p.summary).toBe('Set retention of /app/web to 30 days: CloudWatch Logs deletes events older than that (about 70% of 10 GiB).');
    expect(p.params).toEqual({ logGroupName: NAME, retentionInDays: 30 });
    expect(p.undo).toBe('trimtab undo restores "never expire" (DeleteRetentionPolicy) if nobody changed the retention since; events already expired are gone.');
    expect(p.savings!.monthlyUsd).toBeCloseTo(10 * 0.7 * 0.03, 10);
    expect(p.savings!.basis).toEqual([
      'Assumes steady ingestion since the group was created 100 days ago: a 30-day retention removes (100 − 30) / 100 = 70% of the stored bytes.',
      '10 GiB × 70% × $0.03/GB-month = $0.21/month, and the stored total stops growing.',
    ]);
  });

  it('claims no saving for a group exactly as old as the retention, and says it removes nothing', () => {
    const p = setRetention.plan(findingOf('log-group', NAME, { group: group({ creationTime: Date.parse(TEST_START) - 30 * DAY }) }), { retentionDays: 30 }, planCtx);
    if (p.kind !== 'change') throw new Error('expected a change');
    expect(p.savings!.monthlyUsd).toBe(0);
    expect(p.savings!.basis[0]).toBe('Assumes steady ingestion since the group was created 30 days ago: a 30-day retention removes nothing (the group is younger than that) = 0% of the stored bytes.');
  });

  it('claims no saving for a group younger than the retention, and says why', () => {
    const p = setRetention.plan(findingOf('log-group', NAME, { group: group({ creationTime: Date.parse(TEST_START) - 20 * DAY }) }), { retentionDays: 30 }, planCtx);
    if (p.kind !== 'change') throw new Error('expected a change');
    expect(p.savings!.monthlyUsd).toBe(0);
    expect(p.savings!.basis[0]).toBe('Assumes steady ingestion since the group was created 20 days ago: a 30-day retention removes nothing (the group is younger than that) = 0% of the stored bytes.');
  });
});

describe('set-retention apply', () => {
  it('re-reads the group and its tags, then writes the planned retention', async () => {
    // Prepare: a prefix listing also returns a neighbour
    const a = aws([{ logGroupName: '/app/web-old', retentionInDays: 7 }, { logGroupName: NAME, logGroupArn: ARN, creationTime: 5, storedBytes: 9 }]);
    // Act
    const out = await setRetention.apply(a.ctx, plan(14), finding);
    // Assess
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeLogGroups', { logGroupNamePrefix: NAME, limit: 50, nextToken: undefined }],
      ['ListTagsForResource', { resourceArn: ARN }],
      ['PutRetentionPolicy', { logGroupName: NAME, retentionInDays: 14 }],
    ]);
    expect(out).toEqual({ before: { group: { name: NAME, creationTime: 5, storedBytes: 9, logGroupClass: 'STANDARD', metricFilterCount: 0, arn: ARN } }, after: { retentionInDays: 14 }, detail: 'retention set to 14 days' });
  });

  it('counts a group that no longer exists as done, writing nothing', async () => {
    const a = aws([{ logGroupName: '/app/web-old' }]);
    expect(await setRetention.apply(a.ctx, plan(), finding)).toEqual({ after: { retentionInDays: 30, alreadyGone: true }, detail: '/app/web no longer exists: counts as done' });
    expect(a.ops()).toEqual(['DescribeLogGroups']);
  });

  it('leaves alone a retention someone set since the scan, writing nothing', async () => {
    const a = aws([{ logGroupName: NAME, logGroupArn: ARN, retentionInDays: 90 }]);
    const out = await setRetention.apply(a.ctx, plan(), finding);
    expect(out.before).toEqual({ group: { name: NAME, creationTime: 0, retentionInDays: 90, storedBytes: 0, logGroupClass: 'STANDARD', metricFilterCount: 0, arn: ARN } });
    expect(out.after).toEqual({ retentionInDays: 90, alreadySet: true });
    expect(out.detail).toBe('/app/web already has a 90-day retention (set since the scan); left as is');
    expect(a.ops()).toEqual(['DescribeLogGroups']);
  });

  it('refuses a group tagged trimtab:skip, writing nothing', async () => {
    const a = aws(undefined, { ListTagsForResource: () => ({ tags: { 'trimtab:skip': '' } }) });
    const err = await caught(setRetention.apply(a.ctx, plan(), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe('/app/web is tagged trimtab:skip');
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('writes when the tag listing has no tags member', async () => {
    const a = aws(undefined, { ListTagsForResource: () => ({}) });
    await setRetention.apply(a.ctx, plan(), finding);
    expect(a.writes(...WRITES)).toHaveLength(1);
  });

  it('counts ResourceNotFoundException on the write as done, and fails on any other error', async () => {
    const gone = aws(undefined, { PutRetentionPolicy: () => { throw awsError('ResourceNotFoundException'); } });
    const other = aws(undefined, { PutRetentionPolicy: () => { throw awsError('OperationAbortedException'); } });
    expect(await setRetention.apply(gone.ctx, plan(), finding)).toEqual({ after: { retentionInDays: 30, alreadyGone: true }, detail: '/app/web vanished: counts as done' });
    expect((await caught(setRetention.apply(other.ctx, plan(), finding)))?.name).toBe('OperationAbortedException');
  });
});

describe('set-retention verify', () => {
  it('passes when the group keeps events the days written, and fails naming what it found otherwise', async () => {
    const ok = await setRetention.verify(aws([{ logGroupName: NAME, retentionInDays: 30 }]).ctx, plan(), { after: { retentionInDays: 30 } });
    const other = await setRetention.verify(aws([{ logGroupName: NAME, retentionInDays: 7 }]).ctx, plan(), { after: { retentionInDays: 30 } });
    const never = await setRetention.verify(aws([{ logGroupName: NAME }]).ctx, plan(), { after: { retentionInDays: 30 } });
    expect([ok, other, never]).toEqual([
      { ok: true, detail: '/app/web keeps events 30 days' },
      { ok: false, detail: '/app/web retention is 7, expected 30 days' },
      { ok: false, detail: '/app/web retention is never expire, expected 30 days' },
    ]);
  });

  it('passes for a group gone before trimtab acted, and fails for one that disappeared after', async () => {
    expect(await setRetention.verify(aws([]).ctx, plan(), { after: { retentionInDays: 30, alreadyGone: true } })).toEqual({ ok: true, detail: '/app/web is gone' });
    expect(await setRetention.verify(aws([]).ctx, plan(), { after: { retentionInDays: 30 } })).toEqual({ ok: false, detail: '/app/web disappeared' });
  });
});

describe('set-retention undo', () => {
  const record = (after: unknown) => recordOf('log-group', NAME, 'set-retention', plan().params, null, after);

  it('restores "never expire" when the retention is still the one trimtab set', async () => {
    const a = aws([{ logGroupName: NAME, retentionInDays: 30 }]);
    const out = await setRetention.undo!(a.ctx, record({ retentionInDays: 30 }));
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([['DeleteRetentionPolicy', { logGroupName: NAME }]]);
    expect(out).toEqual({ detail: '/app/web never expires its events again. Events that expired in between cannot be restored.', after: { retention: 'never expire' } });
  });

  it('refuses when trimtab wrote nothing, asking AWS nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'trimtab did not change the retention of /app/web (someone else had set it); nothing to undo.'],
      [{ retentionInDays: 30, alreadyGone: true }, 'trimtab did not change the retention of /app/web (it was gone); nothing to undo.'],
      [{ retentionInDays: 90, alreadySet: true }, 'trimtab did not change the retention of /app/web (someone else had set it); nothing to undo.'],
    ];
    for (const [after, message] of cases) {
      const a = aws();
      const err = await caught(setRetention.undo!(a.ctx, record(after)));
      expect(err).toBeInstanceOf(UndoRefusedError);
      expect(err?.message).toBe(message);
      expect(a.calls).toEqual([]);
    }
  });

  it('refuses when the group is gone or its retention changed since, writing nothing', async () => {
    const gone = aws([]);
    const changed = aws([{ logGroupName: NAME, retentionInDays: 7 }]);
    const removed = aws([{ logGroupName: NAME }]);
    const messages = [
      await caught(setRetention.undo!(gone.ctx, record({ retentionInDays: 30 }))),
      await caught(setRetention.undo!(changed.ctx, record({ retentionInDays: 30 }))),
      await caught(setRetention.undo!(removed.ctx, record({ retentionInDays: 30 }))),
    ];
    expect(messages.every((e) => e instanceof UndoRefusedError)).toBe(true);
    expect(messages.map((e) => e?.message)).toEqual([
      '/app/web no longer exists.',
      'The retention of /app/web changed since trimtab set it (now 7, trimtab set 30 days): not undone.',
      'The retention of /app/web changed since trimtab set it (now never expire, trimtab set 30 days): not undone.',
    ]);
    expect([gone, changed, removed].flatMap((x) => x.writes(...WRITES))).toEqual([]);
  });
});
