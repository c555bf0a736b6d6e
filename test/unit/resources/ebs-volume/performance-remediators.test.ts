/**
 * raise-volume-performance and lower-volume-iops (lib/resources/ebs-volume/performance.ts) against a
 * scripted EC2 (test/unit/resources/fake-aws.ts): plan, the apply-time re-checks (trimtab:skip since the
 * finding, a volume changed or gone since, a modification still in progress, AWS's one-at-a-time and
 * four-in-24-hours limits), the exact ModifyVolume input, the refusals' exact messages and the calls not
 * made, verify and undo. Written for the mutation score of performance.ts (docs/testing.md "Mutation testing").
 *
 * ModifyVolumeCommand.d.ts: "After you initiate a volume modification, you must wait for that modification to
 * reach the completed state before you can initiate another modification for the same volume. You can modify a
 * volume up to four times within a rolling 24-hour period". There is no longer a 6-hour wait after a completed
 * modification: a modification completed an hour ago does not stop the next one.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../lib/engine/types.ts';
import { lowerVolumeIops, raiseVolumePerformance, type PerformanceParams } from '../../../../lib/resources/ebs-volume/performance.ts';
import type { EbsVolume } from '../../../../lib/resources/ebs-volume/resource.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const ID = 'vol-1';
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const plan = (params: PerformanceParams) => ({ kind: 'change', summary: 's', undo: 'u', params }) as unknown as Plan<PerformanceParams>;

/** A raise of a gp3 volume: 3,000 IOPS / 125 MiB/s → 4,500 IOPS / 125 MiB/s. */
const RAISE: PerformanceParams = { volumeId: ID, volumeType: 'gp3', from: { iops: 3000, throughput: 125 }, to: { iops: 4500, throughput: 125 } };
/** A lowering of an io1 volume: 16,000 → 3,000 IOPS (io1 has no throughput setting). */
const LOWER: PerformanceParams = { volumeId: ID, volumeType: 'io1', from: { iops: 16_000 }, to: { iops: 3000 } };

/** DescribeVolumes' answer: an in-use 500 GiB gp3 volume at 3,000 IOPS / 125 MiB/s tagged app=web unless overridden. */
const vol = (extra: Record<string, unknown> = {}) => ({ VolumeId: ID, Size: 500, VolumeType: 'gp3', Iops: 3000, Throughput: 125, State: 'in-use', AvailabilityZone: 'us-east-1a', Attachments: [{ InstanceId: 'i-1' }], Tags: [{ Key: 'app', Value: 'web' }], ...extra });
const io1 = (extra: Record<string, unknown> = {}) => vol({ Size: 400, VolumeType: 'io1', Iops: 16_000, Throughput: undefined, ...extra });
const COMPLETED = { VolumeId: ID, ModificationState: 'completed', StartTime: new Date('2026-10-31T23:00:00Z'), TargetIops: 3000, TargetThroughput: 125 };

/** `volume` answers DescribeVolumes (null: InvalidVolume.NotFound); `mods` answers DescribeVolumesModifications. */
function aws(volume: Record<string, unknown> | null = vol(), mods: unknown[] = [COMPLETED], over: Handlers = {}) {
  return fakeAws({
    DescribeVolumes: () => {
      if (volume === null) throw awsError('InvalidVolume.NotFound');
      return { Volumes: [volume] };
    },
    DescribeVolumesModifications: () => ({ VolumesModifications: mods }),
    ModifyVolume: () => ({ VolumeModification: { VolumeId: ID, ModificationState: 'modifying', StartTime: new Date('2026-11-01T00:00:05Z') } }),
    ...over,
  });
}

const gp3Volume: EbsVolume = { id: ID, sizeGb: 500, volumeType: 'gp3', iops: 3000, throughput: 125, state: 'in-use', availabilityZone: 'us-east-1a', createTime: 0, attachedTo: ['i-1'], multiAttach: false, encrypted: false, tags: {} };
const io1Volume: EbsVolume = { ...gp3Volume, sizeGb: 400, volumeType: 'io1', iops: 16_000, throughput: undefined };
delete (io1Volume as { throughput?: number }).throughput;

describe('metadata', () => {
  it('names each action, its resource, permissions, mode, undo and options exactly', () => {
    expect([raiseVolumePerformance.id, raiseVolumePerformance.resource, raiseVolumePerformance.title]).toEqual([
      'raise-volume-performance',
      'ebs-volume',
      'Raise the provisioned IOPS/throughput of a volume at its ceiling, by a bounded step, online (ModifyVolume)',
    ]);
    expect([lowerVolumeIops.id, lowerVolumeIops.resource, lowerVolumeIops.title]).toEqual(['lower-volume-iops', 'ebs-volume', 'Lower the provisioned IOPS of a volume to its hourly peak plus headroom, online (ModifyVolume)']);
    for (const r of [raiseVolumePerformance, lowerVolumeIops]) {
      expect(r.permissions).toEqual(['ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications', 'ec2:ModifyVolume']);
      expect([r.defaultMode, r.undoable]).toEqual(['approval', 'yes']);
    }
    expect(raiseVolumePerformance.undoLimits).toBe("IOPS and throughput already billed at the higher level; no data is lost. The undo waits until this modification completes and counts toward AWS's four modifications in 24 hours.");
    expect(lowerVolumeIops.undoLimits).toBe("I/O throttled at the lower IOPS meanwhile is not replayed; no data is lost. The undo waits until this modification completes and counts toward AWS's four modifications in 24 hours.");
  });

  it('bounds the step and the headroom, with their defaults', () => {
    expect(raiseVolumePerformance.options.parse({})).toEqual({ maxStepPercent: 50 });
    expect(raiseVolumePerformance.options.safeParse({ maxStepPercent: 0.5 }).success).toBe(false);
    expect(raiseVolumePerformance.options.safeParse({ maxStepPercent: 1 }).success).toBe(true);
    expect(raiseVolumePerformance.options.safeParse({ maxStepPercent: 400 }).success).toBe(true);
    expect(raiseVolumePerformance.options.safeParse({ maxStepPercent: 401 }).success).toBe(false);
    expect(lowerVolumeIops.options.parse({})).toEqual({ headroomPercent: 50 });
    expect(lowerVolumeIops.options.safeParse({ headroomPercent: 9 }).success).toBe(false);
    expect(lowerVolumeIops.options.safeParse({ headroomPercent: 10 }).success).toBe(true);
    expect(lowerVolumeIops.options.safeParse({ headroomPercent: 500 }).success).toBe(true);
    expect(lowerVolumeIops.options.safeParse({ headroomPercent: 501 }).success).toBe(false);
  });
});

describe('raise-volume-performance plan', () => {
  it('raises the saturated IOPS by the step, keeping the throughput, with the summary, undo and added cost', () => {
    const finding = findingOf('ebs-volume', ID, { volume: gp3Volume, target: { iops: 4500, throughput: 125 } }, { detector: 'volume-at-ceiling', evidence: { saturated: { iops: true, throughput: false } } });
    expect(raiseVolumePerformance.plan(finding, { maxStepPercent: 50 }, planCtx)).toEqual({
      kind: 'change',
      summary: 'Raise vol-1 (500 GiB gp3) from 3,000 IOPS, 125 MiB/s to 4,500 IOPS, 125 MiB/s, online (at most +50% a change).',
      params: RAISE,
      undo: 'trimtab undo modifies it back to 3,000 IOPS, 125 MiB/s once this modification is completed (AWS allows one at a time and four in 24 hours), and only if nobody changed the volume since.',
      savings: {
        monthlyUsd: -7.5,
        basis: [
          'Now: gp3 500 GiB × $0.08 + 0 IOPS above 3,000 × $0.005 + 0 MiB/s above 125 × $0.04 = $40/month.',
          'After: gp3 500 GiB × $0.08 + 1500 IOPS above 3,000 × $0.005 + 0 MiB/s above 125 × $0.04 = $47.5/month.',
          'Added cost $7.5/month, shown as a negative saving.',
        ],
      },
    });
  });

  it('uses the policy step, and reads a gp3 volume with no throughput or IOPS recorded as 125 MiB/s and 0 IOPS', () => {
    const bare = { ...gp3Volume } as Partial<EbsVolume>;
    delete bare.throughput;
    const finding = findingOf('ebs-volume', ID, { volume: bare, target: { iops: 6000 } }, { detector: 'volume-at-ceiling', evidence: { saturated: { iops: true, throughput: false } } });
    const p = raiseVolumePerformance.plan(finding, { maxStepPercent: 100 }, planCtx);
    expect(p.kind === 'change' && [p.params, p.summary]).toEqual([
      { volumeId: ID, volumeType: 'gp3', from: { iops: 3000, throughput: 125 }, to: { iops: 6000, throughput: 125 } },
      'Raise vol-1 (500 GiB gp3) from 3,000 IOPS, 125 MiB/s to 6,000 IOPS, 125 MiB/s, online (at most +100% a change).',
    ]);
    const noIops = { ...io1Volume } as Partial<EbsVolume>;
    delete noIops.iops;
    const q = raiseVolumePerformance.plan(findingOf('ebs-volume', ID, { volume: noIops, target: { iops: 150 } }, { evidence: { saturated: { iops: true, throughput: false } } }), { maxStepPercent: 50 }, planCtx);
    expect(q.kind === 'change' && q.params).toStrictEqual({ volumeId: ID, volumeType: 'io1', from: { iops: 0 }, to: { iops: 150 } });
  });

  it('answers noop at the limit for the size, and conflict for a finding without the volume, the target or the saturation', () => {
    const full = { ...io1Volume, sizeGb: 100, iops: 5000 };
    const atLimit = findingOf('ebs-volume', ID, { volume: full, target: { iops: 5000 } }, { evidence: { saturated: { iops: true, throughput: false } } });
    expect(raiseVolumePerformance.plan(atLimit, { maxStepPercent: 50 }, planCtx)).toEqual({ kind: 'noop', reason: 'Already at the limit for a 100 GiB io1 volume (5000 IOPS): grow the volume or change its type.' });
    const notCeiling = findingOf('ebs-volume', ID, { volume: gp3Volume, target: { iops: 3000 } }, { detector: 'iops-over-provisioned', evidence: { iopsPeakHourly: 10 } });
    expect(raiseVolumePerformance.plan(notCeiling, { maxStepPercent: 50 }, planCtx)).toEqual({ kind: 'conflict', reason: "Finding from detector 'iops-over-provisioned' is not a ceiling finding; use 'volume-at-ceiling' with this action." });
    const conflict = { kind: 'conflict', reason: "Finding from detector 'unattached' carries no volume performance; use 'volume-at-ceiling' or 'iops-over-provisioned' with this action." };
    const saturated = { evidence: { saturated: { iops: true, throughput: false } }, detector: 'unattached' };
    expect(raiseVolumePerformance.plan(findingOf('ebs-volume', ID, undefined, saturated), { maxStepPercent: 50 }, planCtx)).toEqual(conflict);
    expect(raiseVolumePerformance.plan(findingOf('ebs-volume', ID, { volume: gp3Volume }, saturated), { maxStepPercent: 50 }, planCtx)).toEqual(conflict);
    expect(raiseVolumePerformance.plan(findingOf('ebs-volume', ID, { target: { iops: 1 } }, saturated), { maxStepPercent: 50 }, planCtx)).toEqual(conflict);
  });
});

describe('lower-volume-iops plan', () => {
  it('lowers io1 IOPS to the busiest hour plus the policy headroom, with the summary, undo and saving', () => {
    const finding = findingOf('ebs-volume', ID, { volume: io1Volume, target: { iops: 3000 } }, { detector: 'iops-over-provisioned', evidence: { iopsPeakHourly: 1480 } });
    const p = lowerVolumeIops.plan(finding, { headroomPercent: 100 }, planCtx);
    expect(p).toStrictEqual({
      kind: 'change',
      summary: 'Lower vol-1 (400 GiB io1) from 16,000 IOPS to 3,000 IOPS, online (busiest hour 1480 IOPS + 100% headroom).',
      params: LOWER,
      undo: 'trimtab undo modifies it back to 16,000 IOPS once this modification is completed (AWS allows one at a time and four in 24 hours), and only if nobody changed the volume since.',
      savings: { monthlyUsd: 845, basis: ['Now: io1 400 GiB × $0.125 + 16000 IOPS × $0.065 = $1090/month.', 'After: io1 400 GiB × $0.125 + 3000 IOPS × $0.065 = $245/month.', 'Saves $845/month.'] },
    });
  });

  it('keeps a gp3 volume\'s throughput in the target', () => {
    const v = { ...gp3Volume, iops: 12_000, throughput: 250 };
    const p = lowerVolumeIops.plan(findingOf('ebs-volume', ID, { volume: v, target: { iops: 3000, throughput: 250 } }, { evidence: { iopsPeakHourly: 1000 } }), { headroomPercent: 50 }, planCtx);
    expect(p.kind === 'change' && [p.params, p.summary]).toEqual([
      { volumeId: ID, volumeType: 'gp3', from: { iops: 12_000, throughput: 250 }, to: { iops: 3000, throughput: 250 } },
      'Lower vol-1 (500 GiB gp3) from 12,000 IOPS, 250 MiB/s to 3,000 IOPS, 250 MiB/s, online (busiest hour 1000 IOPS + 50% headroom).',
    ]);
  });

  it('answers noop when the peak plus headroom needs as many IOPS as provisioned or more, and conflict without a peak', () => {
    const at = (iops: number) => findingOf('ebs-volume', ID, { volume: { ...io1Volume, iops }, target: { iops } }, { evidence: { iopsPeakHourly: 900 } });
    expect(lowerVolumeIops.plan(at(1400), { headroomPercent: 50 }, planCtx)).toEqual({ kind: 'noop', reason: '900 IOPS + 50% headroom needs 1400 IOPS: no lower than the 1400 provisioned.' });
    expect(lowerVolumeIops.plan(at(1000), { headroomPercent: 50 }, planCtx)).toEqual({ kind: 'noop', reason: '900 IOPS + 50% headroom needs 1400 IOPS: no lower than the 1000 provisioned.' });
    expect(lowerVolumeIops.plan(at(1500), { headroomPercent: 50 }, planCtx)).toMatchObject({ kind: 'change', params: { to: { iops: 1400 } } });
    const noPeak = findingOf('ebs-volume', ID, { volume: io1Volume, target: { iops: 3000 } }, { detector: 'volume-at-ceiling', evidence: { saturated: { iops: true, throughput: false } } });
    expect(lowerVolumeIops.plan(noPeak, { headroomPercent: 50 }, planCtx)).toEqual({ kind: 'conflict', reason: "Finding from detector 'volume-at-ceiling' has no IOPS peak; use 'iops-over-provisioned' with this action." });
    const zeroPeak = findingOf('ebs-volume', ID, { volume: io1Volume, target: { iops: 100 } }, { evidence: { iopsPeakHourly: 0 } });
    expect(lowerVolumeIops.plan(zeroPeak, { headroomPercent: 50 }, planCtx)).toMatchObject({ kind: 'change', params: { to: { iops: 100 } } });
  });
});

describe('apply', () => {
  it('re-reads the volume and its modifications, then modifies it to exactly the planned IOPS and throughput', async () => {
    const a = aws();
    const out = await raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never);
    expect(a.calls.map((c) => [c.op, c.input])).toStrictEqual([
      ['DescribeVolumes', { VolumeIds: [ID] }],
      ['DescribeVolumesModifications', { VolumeIds: [ID] }],
      ['ModifyVolume', { VolumeId: ID, Iops: 4500, Throughput: 125 }],
    ]);
    expect(out.after).toEqual({ to: { iops: 4500, throughput: 125 }, modificationStartTime: '2026-11-01T00:00:05.000Z' });
    expect(out.detail).toBe('3,000 IOPS, 125 MiB/s → 4,500 IOPS, 125 MiB/s (modification started 2026-11-01T00:00:05.000Z)');
    expect(out.before).toEqual({ volume: expect.objectContaining({ id: ID, volumeType: 'gp3', iops: 3000, throughput: 125, tags: { app: 'web' } }) });
  });

  it('writes no Throughput for an io1 volume, and dates the change by the clock when AWS answers no start time', async () => {
    const a = aws(io1(), [], { ModifyVolume: () => ({}) });
    const out = await lowerVolumeIops.apply(a.ctx, plan(LOWER), undefined as never);
    expect(a.writes('ModifyVolume').map((c) => c.input)).toStrictEqual([{ VolumeId: ID, Iops: 3000 }]);
    expect(out.after).toStrictEqual({ to: { iops: 3000 }, modificationStartTime: '2026-11-01T00:00:00.000Z' });
    expect(out.detail).toBe('16,000 IOPS → 3,000 IOPS (modification started 2026-11-01T00:00:00.000Z)');
    const b = aws(io1(), [], { ModifyVolume: () => ({ VolumeModification: { VolumeId: ID } }) });
    expect((await lowerVolumeIops.apply(b.ctx, plan(LOWER), undefined as never)).after).toEqual({ to: { iops: 3000 }, modificationStartTime: '2026-11-01T00:00:00.000Z' });
  });

  it('refuses a volume tagged trimtab:skip since the finding, writing nothing', async () => {
    for (const volume of [vol({ Tags: [{ Key: 'trimtab:skip', Value: '' }] }), vol({ Iops: 4500, Tags: [{ Key: 'trimtab:skip', Value: 'yes' }] })]) {
      const a = aws(volume);
      const err = await caught(raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never));
      expect(err).toBeInstanceOf(ProtectedResourceError);
      expect(err!.message).toBe('vol-1 is now tagged trimtab:skip');
      expect(a.ops()).toEqual(['DescribeVolumes']);
    }
  });

  it('counts a volume gone since the finding as done, writing nothing', async () => {
    for (const a of [aws(null), aws(vol(), [], { DescribeVolumes: () => ({ Volumes: [] }) })]) {
      const out = await raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never);
      expect(out).toEqual({ after: { to: RAISE.to, alreadyGone: true }, detail: 'vol-1 no longer exists: counts as done' });
      expect(a.ops()).toEqual(['DescribeVolumes']);
    }
  });

  it('counts a volume already at the planned settings as done, writing nothing', async () => {
    const a = aws(vol({ Iops: 4500 }));
    const out = await raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never);
    expect(out.after).toEqual({ to: RAISE.to, alreadyDone: true });
    expect(out.detail).toBe('vol-1 already has 4,500 IOPS, 125 MiB/s');
    expect(out.before).toEqual({ volume: expect.objectContaining({ id: ID, iops: 4500 }) });
    expect(a.ops()).toEqual(['DescribeVolumes']);
    // io1 has no throughput setting: its IOPS alone decide, even if DescribeVolumes reported a throughput.
    const b = aws(io1({ Iops: 3000, Throughput: 500 }));
    expect((await lowerVolumeIops.apply(b.ctx, plan(LOWER), undefined as never)).after).toEqual({ to: { iops: 3000 }, alreadyDone: true });
    expect(b.ops()).toEqual(['DescribeVolumes']);
  });

  it('refuses a volume whose IOPS, throughput or type changed since the finding, writing nothing', async () => {
    const cases: Array<[PerformanceParams, Record<string, unknown>, string]> = [
      [RAISE, vol({ Iops: 6000 }), 'vol-1 is now gp3 with 6000 IOPS, 125 MiB/s, not gp3 with 3,000 IOPS, 125 MiB/s as when detected: someone changed it; nothing was changed'],
      [RAISE, vol({ Throughput: 250 }), 'vol-1 is now gp3 with 3000 IOPS, 250 MiB/s, not gp3 with 3,000 IOPS, 125 MiB/s as when detected: someone changed it; nothing was changed'],
      // The IOPS reached the target but the throughput did not: not done, and changed.
      [RAISE, vol({ Iops: 4500, Throughput: 200 }), 'vol-1 is now gp3 with 4500 IOPS, 200 MiB/s, not gp3 with 3,000 IOPS, 125 MiB/s as when detected: someone changed it; nothing was changed'],
      // Another type with the planned or the old IOPS: never done, always changed.
      [LOWER, io1({ VolumeType: 'io2', Iops: 3000 }), 'vol-1 is now io2 with 3000 IOPS, not io1 with 16,000 IOPS as when detected: someone changed it; nothing was changed'],
      [LOWER, io1({ VolumeType: 'io2' }), 'vol-1 is now io2 with 16000 IOPS, not io1 with 16,000 IOPS as when detected: someone changed it; nothing was changed'],
      [RAISE, vol({ VolumeType: 'standard', Iops: undefined, Throughput: undefined }), 'vol-1 is now standard with - IOPS, not gp3 with 3,000 IOPS, 125 MiB/s as when detected: someone changed it; nothing was changed'],
    ];
    for (const [params, volume, message] of cases) {
      const a = aws(volume);
      const err = await caught(raiseVolumePerformance.apply(a.ctx, plan(params), undefined as never));
      expect(err).toBeInstanceOf(ProtectedResourceError);
      expect(err!.message).toBe(message);
      expect(a.ops()).toEqual(['DescribeVolumes']);
    }
  });

  it('refuses while the last modification is still modifying or optimizing, writing nothing', async () => {
    const optimizing = { VolumeId: ID, ModificationState: 'optimizing', StartTime: new Date('2026-10-31T22:00:00Z'), Progress: 40 };
    const a = aws(vol(), [optimizing]);
    const err = await caught(raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never));
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect(err!.message).toBe(
      'vol-1: a modification started 2026-10-31T22:00:00.000Z is still optimizing (40%, about 3 h 0 min more at this rate); AWS allows the next one once it is completed (optimizing can take hours on large volumes); nothing was changed, a later run retries',
    );
    expect(a.ops()).toEqual(['DescribeVolumes', 'DescribeVolumesModifications']);
    const b = aws(vol(), [{ VolumeId: ID, ModificationState: 'modifying', StartTime: '2026-10-31T23:30:00Z' }]);
    expect((await caught(raiseVolumePerformance.apply(b.ctx, plan(RAISE), undefined as never)))!.message).toBe(
      'vol-1: a modification started 2026-10-31T23:30:00.000Z is still modifying; AWS allows the next one once it is completed (optimizing can take hours on large volumes); nothing was changed, a later run retries',
    );
    expect(b.ops()).not.toContain('ModifyVolume');
  });

  it('judges by the latest modification whatever the listing order', async () => {
    const older = (state: string) => ({ VolumeId: ID, ModificationState: state, StartTime: new Date('2026-10-25T00:00:00Z') });
    const newer = (state: string) => ({ VolumeId: ID, ModificationState: state, StartTime: new Date('2026-10-31T23:00:00Z') });
    for (const mods of [[older('completed'), newer('modifying')], [newer('modifying'), older('completed')]]) {
      const a = aws(vol(), mods);
      expect((await caught(raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never)))!.message).toMatch(/^vol-1: a modification started 2026-10-31T23:00:00.000Z is still modifying;/);
      expect(a.ops()).not.toContain('ModifyVolume');
    }
    for (const mods of [[older('modifying'), newer('completed')], [newer('completed'), older('modifying')]]) {
      const a = aws(vol(), mods);
      await raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never);
      expect(a.ops()).toEqual(['DescribeVolumes', 'DescribeVolumesModifications', 'ModifyVolume']);
    }
    // A record without a start time sorts as the oldest.
    const undated = { VolumeId: ID, ModificationState: 'modifying' };
    for (const mods of [[undated, newer('completed')], [newer('completed'), undated]]) {
      const a = aws(vol(), mods);
      await raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never);
      expect(a.ops()).toContain('ModifyVolume');
    }
  });

  it('modifies after a completed or failed modification, with none recorded, and one completed an hour ago (no 6-hour wait in ModifyVolume)', async () => {
    const answers: Handlers['DescribeVolumesModifications'][] = [
      () => ({ VolumesModifications: [COMPLETED] }),
      () => ({ VolumesModifications: [{ ...COMPLETED, ModificationState: 'failed' }] }),
      () => ({ VolumesModifications: [{ VolumeId: ID, StartTime: COMPLETED.StartTime }] }),
      () => ({ VolumesModifications: [{ VolumeId: ID, ModificationState: 'modifying' }] }),
      () => ({ VolumesModifications: [] }),
      () => ({}),
      () => {
        throw awsError('InvalidVolumeModification.NotFound');
      },
    ];
    for (const answer of answers) {
      const a = aws(vol(), [], { DescribeVolumesModifications: answer });
      const out = await raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never);
      expect(a.writes('ModifyVolume').map((c) => c.input)).toStrictEqual([{ VolumeId: ID, Iops: 4500, Throughput: 125 }]);
      expect(out.after).toEqual({ to: RAISE.to, modificationStartTime: '2026-11-01T00:00:05.000Z' });
    }
  });

  it('passes on any other error reading the modifications, writing nothing', async () => {
    const denied = awsError('UnauthorizedOperation');
    const a = aws(vol(), [], {
      DescribeVolumesModifications: () => {
        throw denied;
      },
    });
    expect(await caught(raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never))).toBe(denied);
    expect(a.ops()).toEqual(['DescribeVolumes', 'DescribeVolumesModifications']);
  });

  it('counts a volume deleted right before the modification as done', async () => {
    const a = aws(vol(), [], {
      ModifyVolume: () => {
        throw awsError('InvalidVolume.NotFound');
      },
    });
    expect(await raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never)).toEqual({ after: { to: RAISE.to, alreadyGone: true }, detail: 'vol-1 vanished: counts as done' });
  });

  it("reports AWS's one-at-a-time and four-in-24-hours refusals as protected, for a later run, and passes on other errors", async () => {
    for (const name of ['VolumeModificationRateExceeded', 'IncorrectModificationState']) {
      const refusal = awsError(name, 'You have reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume.');
      const a = aws(vol(), [], {
        ModifyVolume: () => {
          throw refusal;
        },
      });
      const err = await caught(raiseVolumePerformance.apply(a.ctx, plan(RAISE), undefined as never));
      expect(err).toBeInstanceOf(ProtectedResourceError);
      expect(err!.message).toBe(`${name}: You have reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume. A later run retries.`);
      expect((err as Error & { cause?: unknown }).cause).toBe(refusal);
      expect(a.writes('ModifyVolume')).toHaveLength(1);
    }
    const bad = awsError('InvalidParameterValue');
    const b = aws(vol(), [], {
      ModifyVolume: () => {
        throw bad;
      },
    });
    expect(await caught(raiseVolumePerformance.apply(b.ctx, plan(RAISE), undefined as never))).toBe(bad);
  });
});

describe('verify', () => {
  const applied = (after: object) => ({ after, detail: 'd' }) as never;

  it('accepts a gone or already-done volume without reading AWS', async () => {
    const a = aws();
    expect(await raiseVolumePerformance.verify(a.ctx, plan(RAISE), applied({ to: RAISE.to, alreadyGone: true }))).toEqual({ ok: true, detail: 'vol-1 is gone' });
    expect(await raiseVolumePerformance.verify(a.ctx, plan(RAISE), applied({ to: RAISE.to, alreadyDone: true }))).toEqual({ ok: true, detail: 'vol-1 already had 4,500 IOPS, 125 MiB/s' });
    expect(a.calls).toEqual([]);
  });

  it('accepts the latest modification to the planned IOPS and throughput, modifying, optimizing or completed', async () => {
    for (const state of ['modifying', 'optimizing', 'completed']) {
      const a = aws(vol(), [COMPLETED, { VolumeId: ID, ModificationState: state, StartTime: new Date('2026-11-01T00:00:05Z'), TargetIops: 4500, TargetThroughput: 125 }]);
      expect(await raiseVolumePerformance.verify(a.ctx, plan(RAISE), applied({ to: RAISE.to }))).toEqual({ ok: true, detail: `vol-1: modification to 4,500 IOPS, 125 MiB/s ${state}` });
      expect(a.calls.map((c) => [c.op, c.input])).toEqual([['DescribeVolumesModifications', { VolumeIds: [ID] }]]);
    }
    // io1: no throughput to compare.
    const b = aws(io1(), [{ VolumeId: ID, ModificationState: 'optimizing', StartTime: new Date('2026-11-01T00:00:05Z'), TargetIops: 3000, TargetThroughput: 0 }]);
    expect(await lowerVolumeIops.verify(b.ctx, plan(LOWER), applied({ to: LOWER.to }))).toEqual({ ok: true, detail: 'vol-1: modification to 3,000 IOPS optimizing' });
  });

  it('waits through the clock for a modification record not readable yet', async () => {
    const a = aws(vol(), [], {
      DescribeVolumesModifications: (_i, n) => {
        if (n < 3) throw awsError('InvalidVolumeModification.NotFound');
        return { VolumesModifications: [{ VolumeId: ID, ModificationState: 'modifying', StartTime: new Date('2026-11-01T00:00:05Z'), TargetIops: 4500, TargetThroughput: 125 }] };
      },
    });
    expect(await raiseVolumePerformance.verify(a.ctx, plan(RAISE), applied({ to: RAISE.to }))).toEqual({ ok: true, detail: 'vol-1: modification to 4,500 IOPS, 125 MiB/s modifying' });
    expect(a.ops()).toEqual(['DescribeVolumesModifications', 'DescribeVolumesModifications', 'DescribeVolumesModifications']);
    expect(a.clock.now().toISOString()).toBe('2026-11-01T00:00:03.000Z');
  });

  it('fails a modification that failed, went elsewhere, or never appeared, naming what AWS shows', async () => {
    const mod = (extra: object) => [{ VolumeId: ID, ModificationState: 'modifying', StartTime: new Date('2026-11-01T00:00:05Z'), TargetIops: 4500, TargetThroughput: 125, ...extra }];
    const cases: Array<[unknown[], string]> = [
      [mod({ ModificationState: 'failed' }), 'vol-1: no modification to 4,500 IOPS, 125 MiB/s (failed: 4500 IOPS, 125 MiB/s)'],
      [mod({ TargetIops: 6000 }), 'vol-1: no modification to 4,500 IOPS, 125 MiB/s (modifying: 6000 IOPS, 125 MiB/s)'],
      [mod({ TargetThroughput: 250 }), 'vol-1: no modification to 4,500 IOPS, 125 MiB/s (modifying: 4500 IOPS, 250 MiB/s)'],
      [mod({ TargetThroughput: undefined }), 'vol-1: no modification to 4,500 IOPS, 125 MiB/s (modifying: 4500 IOPS, - MiB/s)'],
      [[], 'vol-1: no modification to 4,500 IOPS, 125 MiB/s (none found)'],
    ];
    for (const [mods, detail] of cases) {
      const a = aws(vol(), mods);
      expect(await raiseVolumePerformance.verify(a.ctx, plan(RAISE), applied({ to: RAISE.to }))).toEqual({ ok: false, detail });
    }
    const never = aws(vol(), [], {
      DescribeVolumesModifications: () => {
        throw awsError('InvalidVolumeModification.NotFound');
      },
    });
    expect(await raiseVolumePerformance.verify(never.ctx, plan(RAISE), applied({ to: RAISE.to }))).toEqual({ ok: false, detail: 'vol-1: no modification to 4,500 IOPS, 125 MiB/s (none found)' });
    expect(never.ops()).toHaveLength(6);
  });

  it('passes on any other error reading the modifications', async () => {
    const denied = awsError('UnauthorizedOperation');
    const a = aws(vol(), [], {
      DescribeVolumesModifications: () => {
        throw denied;
      },
    });
    expect(await caught(raiseVolumePerformance.verify(a.ctx, plan(RAISE), applied({ to: RAISE.to })))).toBe(denied);
    expect(a.ops()).toEqual(['DescribeVolumesModifications']);
  });
});

describe('undo', () => {
  const record = (after: unknown, params: PerformanceParams = RAISE) => recordOf('ebs-volume', ID, 'raise-volume-performance', params, { volume: gp3Volume }, after);
  const done = { to: RAISE.to, modificationStartTime: '2026-11-01T00:00:05.000Z' };

  it('modifies the volume back to exactly what it had, once the modification completed', async () => {
    const a = aws(vol({ Iops: 4500 }), [{ ...COMPLETED, TargetIops: 4500, StartTime: new Date('2026-11-01T00:00:05Z') }]);
    expect(await raiseVolumePerformance.undo!(a.ctx, record(done))).toEqual({ detail: 'Modification of vol-1 back to 3,000 IOPS, 125 MiB/s started.', after: { to: { iops: 3000, throughput: 125 } } });
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeVolumes', { VolumeIds: [ID] }],
      ['DescribeVolumesModifications', { VolumeIds: [ID] }],
      ['ModifyVolume', { VolumeId: ID, Iops: 3000, Throughput: 125 }],
    ]);
    const b = aws(io1({ Iops: 3000 }), []);
    expect(await lowerVolumeIops.undo!(b.ctx, record({ to: LOWER.to }, LOWER))).toStrictEqual({ detail: 'Modification of vol-1 back to 16,000 IOPS started.', after: { to: { iops: 16_000 } } });
    expect(b.writes('ModifyVolume').map((c) => c.input)).toStrictEqual([{ VolumeId: ID, Iops: 16_000 }]);
  });

  it('refuses to undo what it did not change, reading nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'vol-1 no longer existed when trimtab acted; nothing to undo.'],
      [{ to: RAISE.to, alreadyGone: true }, 'vol-1 no longer existed when trimtab acted; nothing to undo.'],
      [{ to: RAISE.to, alreadyDone: true }, 'vol-1 already had 4,500 IOPS, 125 MiB/s when trimtab acted; trimtab changed nothing to undo.'],
    ];
    for (const [after, message] of cases) {
      const a = aws(vol({ Iops: 4500 }));
      const err = await caught(raiseVolumePerformance.undo!(a.ctx, record(after)));
      expect(err).toBeInstanceOf(UndoRefusedError);
      expect(err!.message).toBe(message);
      expect(a.calls).toEqual([]);
    }
  });

  it('refuses a volume gone or changed since trimtab modified it, writing nothing', async () => {
    const cases: Array<[Record<string, unknown> | null, string]> = [
      [null, 'vol-1 no longer exists.'],
      [vol({ Iops: 6000 }), 'vol-1 changed since trimtab modified it (now gp3, 6000 IOPS, 125 MiB/s; trimtab set 4,500 IOPS, 125 MiB/s): not undone.'],
      [vol({ Iops: 4500, Throughput: 300 }), 'vol-1 changed since trimtab modified it (now gp3, 4500 IOPS, 300 MiB/s; trimtab set 4,500 IOPS, 125 MiB/s): not undone.'],
      [vol({ VolumeType: 'io2', Iops: 4500, Throughput: undefined }), 'vol-1 changed since trimtab modified it (now io2, 4500 IOPS, - MiB/s; trimtab set 4,500 IOPS, 125 MiB/s): not undone.'],
      [vol({ VolumeType: 'standard', Iops: undefined, Throughput: undefined }), 'vol-1 changed since trimtab modified it (now standard, - IOPS, - MiB/s; trimtab set 4,500 IOPS, 125 MiB/s): not undone.'],
    ];
    for (const [volume, message] of cases) {
      const a = aws(volume);
      const err = await caught(raiseVolumePerformance.undo!(a.ctx, record(done)));
      expect(err).toBeInstanceOf(UndoRefusedError);
      expect(err!.message).toBe(message);
      expect(a.ops()).toEqual(['DescribeVolumes']);
    }
    // Another type at exactly the IOPS trimtab set: changed all the same.
    const retyped = aws(io1({ VolumeType: 'io2', Iops: 3000 }));
    const err = await caught(lowerVolumeIops.undo!(retyped.ctx, record({ to: LOWER.to }, LOWER)));
    expect(err!.message).toBe('vol-1 changed since trimtab modified it (now io2, 3000 IOPS, - MiB/s; trimtab set 3,000 IOPS): not undone.');
    expect(retyped.ops()).toEqual(['DescribeVolumes']);
  });

  it('refuses while trimtab\'s modification is still optimizing, writing nothing', async () => {
    const a = aws(vol({ Iops: 4500 }), [{ VolumeId: ID, ModificationState: 'optimizing', StartTime: new Date('2026-11-01T00:00:05Z') }]);
    const err = await caught(raiseVolumePerformance.undo!(a.ctx, record(done)));
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect(err!.message).toBe(
      'vol-1: a modification started 2026-11-01T00:00:05.000Z is still optimizing; AWS allows the next one once it is completed (optimizing can take hours on large volumes). Try the undo again when DescribeVolumesModifications shows it completed; nothing was changed.',
    );
    expect(a.ops()).toEqual(['DescribeVolumes', 'DescribeVolumesModifications']);
  });

  it("refuses on AWS's one-at-a-time and four-in-24-hours refusals, and passes on other errors", async () => {
    for (const name of ['VolumeModificationRateExceeded', 'IncorrectModificationState']) {
      const refusal = awsError(name, 'try later');
      const a = aws(vol({ Iops: 4500 }), [], {
        ModifyVolume: () => {
          throw refusal;
        },
      });
      const err = await caught(raiseVolumePerformance.undo!(a.ctx, record(done)));
      expect(err).toBeInstanceOf(UndoRefusedError);
      expect(err!.message).toBe(`vol-1: AWS refused the modification back to 3,000 IOPS, 125 MiB/s (${name}: try later). Nothing was changed; try the undo again later.`);
      expect((err as Error & { cause?: unknown }).cause).toBe(refusal);
    }
    for (const name of ['InvalidVolume.NotFound', 'InvalidParameterValue']) {
      const other = awsError(name);
      const b = aws(vol({ Iops: 4500 }), [], {
        ModifyVolume: () => {
          throw other;
        },
      });
      expect(await caught(raiseVolumePerformance.undo!(b.ctx, record(done)))).toBe(other);
    }
  });
});
