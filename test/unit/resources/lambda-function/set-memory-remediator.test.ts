/**
 * set-memory against a scripted Lambda (test/unit/resources/fake-aws.ts): the re-reads and refusals before
 * the write, the exact write (MemorySize, RevisionId), the waits through the virtual clock, the undo's calls.
 * Written for the mutation score of lib/resources/lambda-function/remediators.ts (docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../lib/engine/types.ts';
import type { MemoryBefore } from '../../../../lib/resources/lambda-function/detectors.ts';
import { setMemoryAction, type SetMemoryParams } from '../../../../lib/resources/lambda-function/remediators.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const NAME = 'api';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:api';
const params = (p: Partial<SetMemoryParams> = {}): SetMemoryParams => ({ functionName: NAME, fromMb: 1024, toMb: 512, waitSeconds: 10, pollSeconds: 2, ...p });
const plan = (p: Partial<SetMemoryParams> = {}) => ({ kind: 'change', summary: 's', undo: 'u', params: params(p) }) as unknown as Plan<SetMemoryParams>;
const finding = findingOf('lambda-function', NAME, {});
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const config = (extra: Record<string, unknown> = {}) => ({ FunctionName: NAME, FunctionArn: ARN, MemorySize: 1024, RevisionId: 'rev-1', LastUpdateStatus: 'Successful', ...extra });

/** GetFunctionConfiguration answers `reads` in turn (the last one repeats), no tags, the update succeeds. */
function aws(reads: Array<Record<string, unknown>> = [config(), config({ MemorySize: 512 })], over: Handlers = {}) {
  return fakeAws({
    GetFunctionConfiguration: (_i, n) => reads[Math.min(n, reads.length) - 1],
    ListTags: () => ({ Tags: {} }),
    UpdateFunctionConfiguration: () => ({}),
    ...over,
  });
}

describe('set-memory: what it is', () => {
  it('sets $LATEST’s memory, starts in approval mode, undoable, with exactly the permissions it calls', () => {
    expect([setMemoryAction.id, setMemoryAction.resource, setMemoryAction.title, setMemoryAction.defaultMode, setMemoryAction.undoable]).toEqual(['set-memory', 'lambda-function', "Set the memory size of the function's $LATEST (published versions are immutable)", 'approval', 'yes']);
    expect(setMemoryAction.permissions).toEqual(['lambda:GetFunctionConfiguration', 'lambda:ListTags', 'lambda:UpdateFunctionConfiguration']);
    expect(setMemoryAction.undoLimits).toBe('Invocations that ran at the other memory size (slower, or out of memory) are not re-run; published versions are not changed by either step.');
  });
});

describe('set-memory plan', () => {
  const before = (extra: Partial<MemoryBefore> = {}): MemoryBefore => ({ functionName: NAME, memoryMb: 1024, candidateMb: 512, architecture: 'x86_64', aliases: [], ...extra });
  const planOf = (b: MemoryBefore | undefined, detector = 'memory-oversized') => setMemoryAction.plan(findingOf('lambda-function', NAME, b, { detector }), { waitSeconds: 120, pollSeconds: 2 }, planCtx);

  it('names both sizes, the CPU ratio and the undo, and carries the wait options', () => {
    expect(planOf(before())).toEqual({
      kind: 'change',
      summary: 'Set api ($LATEST) memory from 1024 MB to 512 MB (CPU scales with it: 0.50×), wait for LastUpdateStatus Successful.',
      params: { functionName: NAME, fromMb: 1024, toMb: 512, waitSeconds: 120, pollSeconds: 2 },
      undo: 'trimtab undo sets $LATEST back to 1024 MB, if nobody changed its memory since.',
    });
  });

  it('says which aliases keep the old memory on published versions, and their provisioned concurrency', () => {
    const pinned = planOf(before({ aliases: [{ name: 'live', version: '3', provisionedConcurrency: 5 }] }));
    const pinnedOnly = planOf(before({ aliases: [{ name: 'live', version: '3' }] }));
    const latest = planOf(before({ aliases: [{ name: 'dev', version: '$LATEST' }] }));
    expect(pinned.kind === 'change' && pinned.summary).toBe('Set api ($LATEST) memory from 1024 MB to 512 MB (CPU scales with it: 0.50×), wait for LastUpdateStatus Successful. Published versions are immutable: live → version 3, 5 provisioned; those keep their memory (and their provisioned-concurrency instances stay at the old size) until a version is published from $LATEST and the alias moves to it.');
    expect(pinnedOnly.kind === 'change' && pinnedOnly.summary).toBe('Set api ($LATEST) memory from 1024 MB to 512 MB (CPU scales with it: 0.50×), wait for LastUpdateStatus Successful. Published versions are immutable: live → version 3; those keep their memory until a version is published from $LATEST and the alias moves to it.');
    expect(latest.kind === 'change' && latest.summary).toBe('Set api ($LATEST) memory from 1024 MB to 512 MB (CPU scales with it: 0.50×), wait for LastUpdateStatus Successful. Aliases: dev → $LATEST.');
  });

  it('is a conflict without a proposed size or outside Lambda’s limits, and a no-op at the same size', () => {
    expect(planOf(before({ candidateMb: 0 }), 'x86-to-arm64')).toEqual({ kind: 'conflict', reason: 'detector x86-to-arm64 proposes no memory size; set-memory goes with memory-oversized or memory-undersized' });
    expect(planOf(undefined, 'x86-to-arm64').kind).toBe('conflict');
    expect(planOf(before({ candidateMb: 127 }))).toEqual({ kind: 'conflict', reason: "127 MB is outside Lambda's 128–10240 MB" });
    expect(planOf(before({ candidateMb: 10_241 }))).toEqual({ kind: 'conflict', reason: "10241 MB is outside Lambda's 128–10240 MB" });
    expect(planOf(before({ candidateMb: 128 })).kind).toBe('change');
    expect(planOf(before({ candidateMb: 10_240 })).kind).toBe('change');
    expect(planOf(before({ candidateMb: 1024 }))).toEqual({ kind: 'noop', reason: 'api already has 1024 MB' });
  });

  it('waits 120 s polling every 2 s by default, within 0–600 s and 0–30 s', () => {
    expect(setMemoryAction.options.parse({})).toEqual({ waitSeconds: 120, pollSeconds: 2 });
    expect(setMemoryAction.options.safeParse({ waitSeconds: 601 }).success).toBe(false);
    expect(setMemoryAction.options.safeParse({ waitSeconds: -1 }).success).toBe(false);
    expect(setMemoryAction.options.safeParse({ waitSeconds: 1.5 }).success).toBe(false);
    expect(setMemoryAction.options.safeParse({ pollSeconds: 31 }).success).toBe(false);
    expect(setMemoryAction.options.safeParse({ pollSeconds: -1 }).success).toBe(false);
    expect(setMemoryAction.options.parse({ waitSeconds: 600, pollSeconds: 30 })).toEqual({ waitSeconds: 600, pollSeconds: 30 });
  });
});

describe('set-memory apply', () => {
  it('re-reads the function and its tags, writes the size with the revision it read, and waits for the update', async () => {
    // Prepare
    const a = aws([config(), config({ MemorySize: 512, LastUpdateStatus: 'InProgress' }), config({ MemorySize: 512 })]);
    // Act
    const out = await setMemoryAction.apply(a.ctx, plan(), finding);
    // Assess
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['GetFunctionConfiguration', { FunctionName: NAME }],
      ['ListTags', { Resource: ARN }],
      ['UpdateFunctionConfiguration', { FunctionName: NAME, MemorySize: 512, RevisionId: 'rev-1' }],
      ['GetFunctionConfiguration', { FunctionName: NAME }],
      ['GetFunctionConfiguration', { FunctionName: NAME }],
    ]);
    expect(a.clock.now().toISOString()).toBe('2026-11-01T00:00:02.000Z');
    expect(out).toEqual({ before: { memoryMb: 1024, lastUpdateStatus: 'Successful' }, after: { memoryMb: 512, lastUpdateStatus: 'Successful' }, detail: 'api: memory 1024 → 512 MB, LastUpdateStatus Successful' });
  });

  it('reads the tags by name when the answer has no ARN, and writes without a revision when it has none', async () => {
    const a = aws([config({ FunctionArn: undefined, RevisionId: undefined }), config({ MemorySize: 512 })], { ListTags: () => ({}) });
    await setMemoryAction.apply(a.ctx, plan(), finding);
    expect(a.calls.find((c) => c.op === 'ListTags')?.input).toEqual({ Resource: NAME });
    expect(a.writes('UpdateFunctionConfiguration').map((c) => c.input)).toEqual([{ FunctionName: NAME, MemorySize: 512 }]);
  });

  it('stops waiting at the deadline and returns what it read', async () => {
    const a = aws([config(), config({ MemorySize: 512, LastUpdateStatus: 'InProgress' })]);
    const out = await setMemoryAction.apply(a.ctx, plan({ waitSeconds: 10, pollSeconds: 2 }), finding);
    expect(out.after).toEqual({ memoryMb: 512, lastUpdateStatus: 'InProgress' });
    expect(a.clock.now().toISOString()).toBe('2026-11-01T00:00:10.000Z');
    expect(a.writes('GetFunctionConfiguration')).toHaveLength(1 + 6);
  });

  it('counts a gone function as done, writing nothing, and fails on any other read error', async () => {
    const gone = aws([], { GetFunctionConfiguration: () => { throw awsError('ResourceNotFoundException'); } });
    const denied = aws([config()], { ListTags: () => { throw awsError('AccessDeniedException'); } });
    expect(await setMemoryAction.apply(gone.ctx, plan(), finding)).toEqual({ after: { memoryMb: 512, alreadyGone: true }, detail: 'api no longer exists: counts as done' });
    expect((await caught(setMemoryAction.apply(denied.ctx, plan(), finding)))?.name).toBe('AccessDeniedException');
    expect([...gone.writes('UpdateFunctionConfiguration'), ...denied.writes('UpdateFunctionConfiguration')]).toEqual([]);
  });

  it.each([
    ['tagged trimtab:skip', NAME, { 'trimtab:skip': '' }, 'api is tagged trimtab:skip; nothing was changed'],
    ['named as trimtab’s own', 'trimtab-sweep', {}, "trimtab's own function (name starts with trimtab-); nothing was changed"],
    ['in trimtab’s own stack', NAME, { 'aws:cloudformation:stack-name': 'trimtab-prod' }, "trimtab's own function (stack trimtab-prod); nothing was changed"],
  ])('refuses a function %s, writing nothing', async (_what, name, tags, message) => {
    const a = aws([config({ FunctionName: name })], { ListTags: () => ({ Tags: tags }) });
    const err = await caught(setMemoryAction.apply(a.ctx, plan({ functionName: name }), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe(message);
    expect(a.writes('UpdateFunctionConfiguration')).toEqual([]);
  });

  it('counts a function already at the size as done, and refuses one whose memory changed since the scan, writing nothing', async () => {
    const done = aws([config({ MemorySize: 512 })]);
    const changed = aws([config({ MemorySize: 2048 })]);
    expect(await setMemoryAction.apply(done.ctx, plan(), finding)).toEqual({ before: { memoryMb: 512, lastUpdateStatus: 'Successful' }, after: { memoryMb: 512, alreadySet: true }, detail: 'api already has 512 MB' });
    const err = await caught(setMemoryAction.apply(changed.ctx, plan(), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe('api now has 2048 MB, not the 1024 MB the plan was made for: someone changed it since the scan; nothing was changed');
    expect([...done.writes('UpdateFunctionConfiguration'), ...changed.writes('UpdateFunctionConfiguration')]).toEqual([]);
  });

  it('waits for an update in progress, then writes with the revision it left', async () => {
    const a = aws([config({ LastUpdateStatus: 'InProgress' }), config({ LastUpdateStatus: 'InProgress' }), config({ RevisionId: 'rev-2' }), config({ MemorySize: 512 })]);
    await setMemoryAction.apply(a.ctx, plan(), finding);
    expect(a.writes('UpdateFunctionConfiguration').map((c) => c.input)).toEqual([{ FunctionName: NAME, MemorySize: 512, RevisionId: 'rev-2' }]);
  });

  it('refuses when the update in progress changed the memory, writing nothing', async () => {
    const a = aws([config({ LastUpdateStatus: 'InProgress' }), config({ MemorySize: 1536 })]);
    const err = await caught(setMemoryAction.apply(a.ctx, plan(), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe('api now has 1536 MB after an update in progress; nothing was changed');
    expect(a.writes('UpdateFunctionConfiguration')).toEqual([]);
  });

  it('retries the write while another update holds the function, until the deadline', async () => {
    const busy = () => { throw awsError('ResourceConflictException', 'update in progress'); };
    const then = aws(undefined, { UpdateFunctionConfiguration: (_i, n) => (n < 3 ? busy() : {}) });
    const never = aws(undefined, { UpdateFunctionConfiguration: busy });
    await setMemoryAction.apply(then.ctx, plan(), finding);
    expect(then.writes('UpdateFunctionConfiguration')).toHaveLength(3);
    const err = await caught(setMemoryAction.apply(never.ctx, plan({ waitSeconds: 10, pollSeconds: 2 }), finding));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err?.message).toBe('api: another update stayed in progress for 10 s (ResourceConflictException: update in progress); a later run retries');
    expect(err?.cause).toMatchObject({ name: 'ResourceConflictException', message: 'update in progress' });
    expect(never.writes('UpdateFunctionConfiguration')).toHaveLength(6);
  });

  it('maps the write’s other answers: gone is done, a changed revision is protected, anything else fails', async () => {
    const gone = aws(undefined, { UpdateFunctionConfiguration: () => { throw awsError('ResourceNotFoundException'); } });
    const raced = aws(undefined, { UpdateFunctionConfiguration: () => { throw awsError('PreconditionFailedException'); } });
    // Fails once, then would succeed: only a conflict is retried.
    const other = aws(undefined, { UpdateFunctionConfiguration: (_i, n) => { if (n === 1) throw awsError('ServiceException'); return {}; } });
    const retriedUntil = (a: ReturnType<typeof aws>) => a.writes('UpdateFunctionConfiguration').length;
    expect(await setMemoryAction.apply(gone.ctx, plan(), finding)).toEqual({ before: { memoryMb: 1024, lastUpdateStatus: 'Successful' }, after: { memoryMb: 512, alreadyGone: true }, detail: 'api vanished: counts as done' });
    const e1 = await caught(setMemoryAction.apply(raced.ctx, plan(), finding));
    expect(e1).toBeInstanceOf(ProtectedResourceError);
    expect(e1?.message).toBe('api changed between the read and the write (PreconditionFailedException); nothing was changed, a later run retries');
    expect(e1?.cause).toMatchObject({ name: 'PreconditionFailedException' });
    const e2 = await caught(setMemoryAction.apply(other.ctx, plan(), finding));
    expect(e2?.name).toBe('ServiceException');
    expect(e2).not.toBeInstanceOf(ProtectedResourceError);
    expect([retriedUntil(gone), retriedUntil(raced), retriedUntil(other)]).toEqual([1, 1, 1]);
  });

  it('fails when AWS reports the update Failed, naming its reason and the memory kept', async () => {
    const a = aws([config(), config({ LastUpdateStatus: 'Failed', LastUpdateStatusReasonCode: 'SubnetOutOfIPAddresses', LastUpdateStatusReason: 'no IPs' })]);
    const b = aws([config(), config({ LastUpdateStatus: 'Failed' })]);
    expect((await caught(setMemoryAction.apply(a.ctx, plan(), finding)))?.message).toBe('api: the update to 512 MB failed (SubnetOutOfIPAddresses: no IPs); AWS keeps the previous configuration (1024 MB).');
    expect((await caught(setMemoryAction.apply(b.ctx, plan(), finding)))?.message).toBe('api: the update to 512 MB failed (?: no reason given); AWS keeps the previous configuration (1024 MB).');
  });
});

describe('set-memory verify', () => {
  const verify = (a: ReturnType<typeof aws>, after: unknown = { memoryMb: 512 }) => setMemoryAction.verify(a.ctx, plan(), { after });

  it('reads exactly this function’s configuration', async () => {
    const a = aws([config({ MemorySize: 512 })]);
    await verify(a);
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([['GetFunctionConfiguration', { FunctionName: NAME }]]);
  });

  it('passes at the size set, and fails naming what it found otherwise', async () => {
    expect(await verify(aws([config({ MemorySize: 512 })]))).toEqual({ ok: true, detail: 'api ($LATEST) has 512 MB, LastUpdateStatus Successful' });
    expect(await verify(aws([config({ MemorySize: 512, LastUpdateStatus: undefined })]))).toEqual({ ok: true, detail: 'api ($LATEST) has 512 MB, LastUpdateStatus Successful' });
    expect(await verify(aws([config({ MemorySize: 768 })]))).toEqual({ ok: false, detail: 'api has 768 MB, not the 512 MB set' });
    expect(await verify(aws([config({ MemorySize: 512, LastUpdateStatus: 'InProgress' })]))).toEqual({ ok: false, pending: true, detail: 'api: the update to 512 MB is still InProgress; re-verify in a minute' });
    expect(await verify(aws([config({ LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'no IPs' })]))).toEqual({ ok: false, detail: 'api: LastUpdateStatus Failed (no IPs); memory is 1024 MB' });
    expect(await verify(aws([config({ LastUpdateStatus: 'Failed' })]))).toEqual({ ok: false, detail: 'api: LastUpdateStatus Failed (?); memory is 1024 MB' });
  });

  it('passes for a gone function without reading when it was gone at apply, and after reading when it is gone now; fails on other errors', async () => {
    const before = aws([]);
    expect(await verify(before, { memoryMb: 512, alreadyGone: true })).toEqual({ ok: true, detail: 'api is gone' });
    expect(before.calls).toEqual([]);
    expect(await verify(aws([], { GetFunctionConfiguration: () => { throw awsError('ResourceNotFoundException'); } }))).toEqual({ ok: true, detail: 'api is gone' });
    expect((await caught(verify(aws([], { GetFunctionConfiguration: () => { throw awsError('ServiceException'); } }))))?.name).toBe('ServiceException');
  });
});

describe('set-memory undo', () => {
  const record = (after: unknown) => recordOf('lambda-function', NAME, 'set-memory', params(), null, after);

  it('sets the recorded size back with the revision it read, without reading tags, and waits for it', async () => {
    const a = aws([config({ MemorySize: 512, RevisionId: 'rev-9' }), config({ MemorySize: 1024 })]);
    const out = await setMemoryAction.undo!(a.ctx, record({ memoryMb: 512 }));
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['GetFunctionConfiguration', { FunctionName: NAME }],
      ['UpdateFunctionConfiguration', { FunctionName: NAME, MemorySize: 1024, RevisionId: 'rev-9' }],
      ['GetFunctionConfiguration', { FunctionName: NAME }],
    ]);
    expect(out).toEqual({ detail: 'api ($LATEST) memory set back to 1024 MB (LastUpdateStatus Successful).', after: { memoryMb: 1024 } });
  });

  it('refuses, writing nothing, when trimtab changed nothing, the function is gone, or its memory changed since', async () => {
    const cases: Array<[ReturnType<typeof aws>, unknown, string]> = [
      [aws(), undefined, 'api no longer existed when trimtab acted; nothing to undo.'],
      [aws(), { memoryMb: 512, alreadyGone: true }, 'api no longer existed when trimtab acted; nothing to undo.'],
      [aws(), { memoryMb: 512, alreadySet: true }, 'api already had 512 MB when trimtab acted; trimtab changed nothing to undo.'],
      [aws([], { GetFunctionConfiguration: () => { throw awsError('ResourceNotFoundException'); } }), { memoryMb: 512 }, 'api no longer exists.'],
      [aws([config({ MemorySize: 768 })]), { memoryMb: 512 }, 'api has 768 MB now, not the 512 MB trimtab set: someone changed it since; not undone.'],
    ];
    for (const [a, after, message] of cases) {
      const err = await caught(setMemoryAction.undo!(a.ctx, record(after)));
      expect(err).toBeInstanceOf(UndoRefusedError);
      expect(err?.message).toBe(message);
      expect(a.writes('UpdateFunctionConfiguration')).toEqual([]);
    }
  });

  it('refuses with AWS’s answer when the write back is refused, and fails on other errors', async () => {
    const raced = aws([config({ MemorySize: 512 })], { UpdateFunctionConfiguration: () => { throw awsError('PreconditionFailedException', 'revision'); } });
    const busy = aws([config({ MemorySize: 512 })], { UpdateFunctionConfiguration: () => { throw awsError('ResourceConflictException', 'busy'); } });
    const other = aws([config({ MemorySize: 512 })], { UpdateFunctionConfiguration: () => { throw awsError('ServiceException'); } });
    const e1 = await caught(setMemoryAction.undo!(raced.ctx, record({ memoryMb: 512 })));
    expect(e1).toBeInstanceOf(UndoRefusedError);
    expect(e1?.message).toBe('api: AWS refused the change back to 1024 MB (PreconditionFailedException: revision); nothing was changed, try again.');
    expect(e1?.cause).toMatchObject({ name: 'PreconditionFailedException', message: 'revision' });
    expect((await caught(setMemoryAction.undo!(busy.ctx, record({ memoryMb: 512 }))))?.message).toBe('api: AWS refused the change back to 1024 MB (ResourceConflictException: busy); nothing was changed, try again.');
    const e3 = await caught(setMemoryAction.undo!(other.ctx, record({ memoryMb: 512 })));
    expect(e3?.name).toBe('ServiceException');
    expect(e3).not.toBeInstanceOf(UndoRefusedError);
  });

  it('refuses when the update back fails, naming the memory it still has', async () => {
    const a = aws([config({ MemorySize: 512 }), config({ MemorySize: 512, LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'no IPs' })]);
    const b = aws([config({ MemorySize: 512 }), config({ MemorySize: 512, LastUpdateStatus: 'Failed' })]);
    expect((await caught(setMemoryAction.undo!(a.ctx, record({ memoryMb: 512 }))))?.message).toBe('api: the update back to 1024 MB failed (no IPs); it still has 512 MB.');
    expect((await caught(setMemoryAction.undo!(b.ctx, record({ memoryMb: 512 }))))?.message).toBe('api: the update back to 1024 MB failed (?); it still has 512 MB.');
  });
});
