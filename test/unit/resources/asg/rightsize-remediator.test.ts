/**
 * rightsize-launch-template (lib/resources/asg/rightsize.ts) against a scripted AWS (../fake-aws.ts):
 * plan, the apply-time re-checks (trimtab:skip, mixed instances, launch configuration, re-created
 * group, another template or Version, another type, other groups on $Latest, launch fit), the steps
 * and their compensation, verify and undo. The mutation target of rightsize.ts (docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import type { ApplyEnv, Plan, StepProgress } from '../../../../lib/engine/types.ts';
import { REFRESH_PREFERENCES, rightsizeLaunchTemplate, type GroupRightsizeBefore, type RightsizeParams, type RightsizeState } from '../../../../lib/resources/asg/rightsize.ts';
import { PlanConstraintError, ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf, type Handlers } from '../fake-aws.ts';

const NAME = 'web';
const ARN = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/web';
const LT = 'lt-1';

function before(extra: Partial<GroupRightsizeBefore> = {}): GroupRightsizeBefore {
  return { group: NAME, launchTemplate: 'tmpl', launchTemplateId: LT, launchTemplateVersion: '3', fromType: 'm5.xlarge', candidate: 'm5.large', desiredCapacity: 2, ...extra };
}
function plan(b: GroupRightsizeBefore = before(), options = { instanceRefresh: false, minHealthyPercentage: 90 }): Plan<RightsizeParams> {
  const f = findingOf('asg', NAME, b);
  f.resource.arn = ARN;
  const p = rightsizeLaunchTemplate.plan(f, options, planCtx);
  if (p.kind !== 'change') throw new Error('expected a change');
  return { ...(p as object), action: 'rightsize-launch-template', hash: 'h1' } as unknown as Plan<RightsizeParams>;
}
/** AWS's DescribeAutoScalingGroups shape of the group. */
function group(extra: Record<string, unknown> = {}) {
  return { AutoScalingGroupName: NAME, AutoScalingGroupARN: ARN, LaunchTemplate: { LaunchTemplateId: LT, LaunchTemplateName: 'tmpl', Version: '3' }, AvailabilityZones: ['us-east-1a'], Tags: [{ Key: 'team', Value: 'web' }], ...extra };
}
function version(n: number, type: string | undefined, data: Record<string, unknown> = {}) {
  return { LaunchTemplateId: LT, LaunchTemplateName: 'tmpl', VersionNumber: n, LaunchTemplateData: { ...(type ? { InstanceType: type } : {}), ...data } };
}
/** The group as `g`, the others (listing without names), version 3 m5.xlarge, m5.large offered in us-east-1a. */
function aws(g: Record<string, unknown> | null = group(), extra: Handlers = {}, others: Record<string, unknown>[] = []) {
  return fakeAws({
    DescribeAutoScalingGroups: (input) => ({ AutoScalingGroups: input.AutoScalingGroupNames ? (g ? [g] : []) : [...(g ? [g] : []), ...others] }),
    DescribeLaunchTemplateVersions: (input) => ({ LaunchTemplateVersions: [version(input.Versions[0] === '4' ? 4 : 3, input.Versions[0] === '4' ? 'm5.large' : 'm5.xlarge')] }),
    DescribeInstanceTypeOfferings: () => ({ InstanceTypeOfferings: [{ InstanceType: 'm5.large', Location: 'us-east-1a', LocationType: 'availability-zone' }] }),
    CreateLaunchTemplateVersion: () => ({ LaunchTemplateVersion: { VersionNumber: 4 } }),
    UpdateAutoScalingGroup: () => ({}),
    StartInstanceRefresh: () => ({ InstanceRefreshId: 'ir-1' }),
    DeleteLaunchTemplateVersions: () => ({ SuccessfullyDeletedLaunchTemplateVersions: [{ VersionNumber: 4 }], UnsuccessfullyDeletedLaunchTemplateVersions: [] }),
    DescribeInstanceRefreshes: () => ({ InstanceRefreshes: [] }),
    ...extra,
  });
}
function env(progress: StepProgress[] = []): ApplyEnv & { recorded: StepProgress[] } {
  const recorded: StepProgress[] = [];
  return { progress, recorded, record: async (s) => void recorded.push(s), remainingMs: () => 600_000 };
}
const STATE3: RightsizeState = { launchTemplateId: LT, launchTemplateName: 'tmpl', version: '3', versionNumber: 3, instanceType: 'm5.xlarge' };
const WRITES = ['CreateLaunchTemplateVersion', 'UpdateAutoScalingGroup', 'StartInstanceRefresh', 'DeleteLaunchTemplateVersions'];

describe('rightsize-launch-template: what it is', () => {
  it('asks for approval, is undoable, and names every permission it uses', () => {
    expect([rightsizeLaunchTemplate.id, rightsizeLaunchTemplate.resource, rightsizeLaunchTemplate.defaultMode, rightsizeLaunchTemplate.undoable]).toEqual(['rightsize-launch-template', 'asg', 'approval', 'yes']);
    expect(rightsizeLaunchTemplate.permissions).toEqual([
      'autoscaling:DescribeAutoScalingGroups', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:StartInstanceRefresh', 'autoscaling:DescribeInstanceRefreshes',
      'ec2:DescribeLaunchTemplateVersions', 'ec2:CreateLaunchTemplateVersion', 'ec2:DeleteLaunchTemplateVersions', 'ec2:DescribeInstanceTypeOfferings', 'ec2:DescribeInstanceTypes', 'ec2:RunInstances',
    ]);
    expect(REFRESH_PREFERENCES).toEqual({ ScaleInProtectedInstances: 'Ignore', StandbyInstances: 'Ignore' });
  });

  it('defaults to no instance refresh and 90 % healthy, and refuses a share over 100', () => {
    expect(rightsizeLaunchTemplate.options.parse({})).toEqual({ instanceRefresh: false, minHealthyPercentage: 90 });
    expect(rightsizeLaunchTemplate.options.safeParse({ minHealthyPercentage: 101 }).success).toBe(false);
    expect(rightsizeLaunchTemplate.options.safeParse({ minHealthyPercentage: -1 }).success).toBe(false);
  });
});

describe('rightsize-launch-template plan', () => {
  it('binds the group ARN, template id and Version, and says running instances keep their type', () => {
    const p = plan();
    expect(p.params).toEqual({ group: NAME, groupArn: ARN, launchTemplateId: LT, version: '3', fromType: 'm5.xlarge', toType: 'm5.large', instanceRefresh: false, minHealthyPercentage: 90 });
    expect(p.summary).toBe('Write a new launch template version for web with m5.large instead of m5.xlarge and point the group at it (running instances keep their type until replaced).');
    expect(p.undo).toBe('Point the group back at the recorded launch template version; instances launched meanwhile keep the new type unless a refresh is run.');
  });

  it('with a refresh on a $Latest group, says so and warns that later versions do not reach it until undo', () => {
    const p = plan(before({ launchTemplateVersion: '$Latest', launchTemplateId: null }), { instanceRefresh: true, minHealthyPercentage: 50 });
    expect(p.params).toEqual({ group: NAME, groupArn: ARN, version: '$Latest', fromType: 'm5.xlarge', toType: 'm5.large', instanceRefresh: true, minHealthyPercentage: 50 });
    expect(p.summary).toBe('Write a new launch template version for web with m5.large instead of m5.xlarge and point the group at it, then start an instance refresh (scale-in-protected and standby instances are left as they are). The group names $Latest today; it will name the new version by number, so later versions of the template do not reach it until undo, which names $Latest again.');
  });

  it('says the same for $Default and nothing for a group without a Version', () => {
    expect(plan(before({ launchTemplateVersion: '$Default' })).summary).toContain(' The group names $Default today;');
    const p = plan(before({ launchTemplateVersion: null }));
    expect(p.params.version).toBeUndefined();
    expect('version' in p.params).toBe(false);
    expect(p.summary.endsWith('(running instances keep their type until replaced).')).toBe(true);
  });

  it('is a conflict for a finding without a candidate type', () => {
    const f = findingOf('asg', NAME, { group: NAME }, { detector: 'flapping' });
    expect(rightsizeLaunchTemplate.plan(f, { instanceRefresh: false, minHealthyPercentage: 90 }, planCtx)).toEqual({ kind: 'conflict', reason: "Finding from detector 'flapping' has no candidate type; use 'oversized-group-instances' with this action." });
    expect(rightsizeLaunchTemplate.plan(findingOf('asg', NAME, undefined), { instanceRefresh: false, minHealthyPercentage: 90 }, planCtx).kind).toBe('conflict');
  });
});

describe('rightsize-launch-template apply: the re-checks right before the first write', () => {
  it('refuses a group tagged trimtab:skip since the finding, and writes nothing', async () => {
    // Prepare: the finding was untagged; someone tagged the group before the approval was applied.
    const a = aws(group({ Tags: [{ Key: 'team', Value: 'x' }, { Key: 'trimtab:skip', Value: '' }] }));
    // Act
    const out = rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()));
    // Assess
    await expect(out).rejects.toThrow(new ProtectedResourceError('web is tagged trimtab:skip; nothing was changed.'));
    await expect(out).rejects.toBeInstanceOf(ProtectedResourceError);
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups']);
  });

  it('refuses a group that has a mixed instances policy now', async () => {
    const a = aws(group({ MixedInstancesPolicy: { LaunchTemplate: {} } }));
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new ProtectedResourceError('web has a mixed instances policy: its types come from the overrides; nothing was changed.'));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a group on a launch configuration, naming it, and one with neither', async () => {
    const a = aws(group({ LaunchTemplate: undefined, LaunchConfigurationName: 'lc-1' }));
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new ProtectedResourceError('web uses launch configuration lc-1 (immutable); nothing was changed.'));
    const b = aws(group({ LaunchTemplate: undefined }));
    const out = rightsizeLaunchTemplate.apply(b.ctx, plan(), findingOf('asg', NAME, before()));
    await expect(out).rejects.toThrow(new ProtectedResourceError('web names no launch template; nothing was changed.'));
    await expect(out).rejects.toBeInstanceOf(ProtectedResourceError);
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('refuses a re-created group (another ARN)', async () => {
    const a = aws(group({ AutoScalingGroupARN: 'arn:other' }));
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError(`web is not the group the plan was made on (ARN arn:other, planned ${ARN}): it was re-created; nothing was changed.`));
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups']);
  });

  it('goes on when AWS reports no ARN for the group', async () => {
    const a = aws(group({ AutoScalingGroupARN: undefined }));
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()));
    expect(out.after).toEqual({ launchTemplateId: LT, launchTemplateName: 'tmpl', version: '4', versionNumber: 4, instanceType: 'm5.large' });
  });

  it('refuses a group that launches from another template now', async () => {
    const a = aws(group(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [{ ...version(3, 'm5.xlarge'), LaunchTemplateId: 'lt-2' }] }) });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError('web launches from launch template lt-2 now, not lt-1 as when planned; nothing was changed.'));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a group that names another Version now', async () => {
    const a = aws(group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '$Latest' } }));
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError('web names launch template version $Latest now, not 3 as when planned; nothing was changed.'));
    expect(a.calls.find((c) => c.op === 'DescribeLaunchTemplateVersions')?.input).toEqual({ LaunchTemplateId: LT, Versions: ['$Latest'] });
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('reads $Default when the group names no Version', async () => {
    const a = aws(group({ LaunchTemplate: { LaunchTemplateId: LT } }));
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow('web names launch template version $Default now, not 3 as when planned; nothing was changed.');
    expect(a.calls.find((c) => c.op === 'DescribeLaunchTemplateVersions')?.input).toEqual({ LaunchTemplateId: LT, Versions: ['$Default'] });
  });

  it('finds the template id by name when the group names only the template name', async () => {
    const a = aws(group({ LaunchTemplate: { LaunchTemplateName: 'tmpl', Version: '3' } }));
    await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()));
    expect(a.calls.filter((c) => c.op === 'DescribeLaunchTemplateVersions').map((c) => c.input)).toEqual([
      { LaunchTemplateName: 'tmpl', Versions: ['$Default'] },
      { LaunchTemplateId: LT, Versions: ['3'] },
    ]);
  });

  it('refuses a template version AWS cannot read, and passes other errors on', async () => {
    const a = aws(group(), { DescribeLaunchTemplateVersions: () => { throw awsError('InvalidLaunchTemplateId.VersionNotFound'); } });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError("web's launch template lt-1 version 3 cannot be read (InvalidLaunchTemplateId.VersionNotFound); nothing was changed."));
    const b = aws(group({ LaunchTemplate: { LaunchTemplateName: 'tmpl', Version: '3' } }), { DescribeLaunchTemplateVersions: () => { throw awsError('InvalidLaunchTemplateName.NotFoundException'); } });
    await expect(rightsizeLaunchTemplate.apply(b.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow("web's launch template tmpl version 3 cannot be read (InvalidLaunchTemplateName.NotFoundException); nothing was changed.");
    const c = aws(group(), { DescribeLaunchTemplateVersions: () => { throw awsError('Throttling'); } });
    await expect(rightsizeLaunchTemplate.apply(c.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow('Throttling (scripted)');
  });

  it('passes on something thrown that is not an Error as it is', async () => {
    const a = aws(group(), { DescribeLaunchTemplateVersions: () => { throw 'socket closed'; } });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toBe('socket closed');
  });

  it('reads a group AWS answers without Tags as untagged, and a version without LaunchTemplateData as having no type', async () => {
    const a = aws(group({ Tags: undefined }), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [{ LaunchTemplateId: LT, VersionNumber: 3 }] }) });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError("web's launch template version 3 has no InstanceType now, not m5.xlarge as when detected; nothing was changed."));
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a version AWS answers empty', async () => {
    const a = aws(group(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [] }) });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError('Launch template lt-1 has no version 3.'));
  });

  it('counts a version that already has the target type as done, writing nothing', async () => {
    const a = aws(group(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(3, 'm5.large')] }) });
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()));
    expect(out).toEqual({ before: { ...STATE3, instanceType: 'm5.large' }, after: { ...STATE3, instanceType: 'm5.large', alreadyDone: 'version 3 already has m5.large' }, detail: 'already done' });
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('refuses a version whose type changed since the finding, or that has none', async () => {
    const a = aws(group(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(3, 'c5.xlarge')] }) });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError("web's launch template version 3 has c5.xlarge now, not m5.xlarge as when detected; nothing was changed."));
    const b = aws(group(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(3, undefined)] }) });
    await expect(rightsizeLaunchTemplate.apply(b.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow("web's launch template version 3 has no InstanceType now, not m5.xlarge as when detected; nothing was changed.");
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('refuses when another group launches from the template $Latest (by id or by name, also through a mixed instances policy)', async () => {
    const others = [
      { AutoScalingGroupName: 'api', LaunchTemplate: { LaunchTemplateId: LT, Version: '$Latest' } },
      { AutoScalingGroupName: 'batch', MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateName: 'tmpl', Version: '$Latest' } } } },
      { AutoScalingGroupName: 'elsewhere', LaunchTemplate: { LaunchTemplateId: 'lt-9', LaunchTemplateName: 'other', Version: '$Latest' } },
      { AutoScalingGroupName: 'old', LaunchConfigurationName: 'lc' },
    ];
    const a = aws(group(), {}, others);
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError('api, batch also launch from lt-1 $Latest: a new version would change them at once; nothing was changed.'));
    expect(a.calls.filter((c) => c.op === 'DescribeAutoScalingGroups').map((c) => c.input)).toEqual([{ AutoScalingGroupNames: [NAME] }, { MaxRecords: 100 }]);
    const b = aws(group(), {}, [others[0]]);
    await expect(rightsizeLaunchTemplate.apply(b.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow('api also launches from lt-1 $Latest: a new version would change it at once; nothing was changed.');
    expect([...a.writes(...WRITES), ...b.writes(...WRITES)]).toEqual([]);
  });

  it('reads every page of the other groups', async () => {
    const a = aws(group(), {
      DescribeAutoScalingGroups: (input) => input.AutoScalingGroupNames ? { AutoScalingGroups: [group()] } : input.NextToken ? { AutoScalingGroups: [{ AutoScalingGroupName: 'p2', LaunchTemplate: { LaunchTemplateId: LT, Version: '$Latest' } }] } : { AutoScalingGroups: [group()], NextToken: 't2' },
    });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow('p2 also launches from lt-1 $Latest');
  });

  it('goes on beside groups on other versions of the template, and says they keep theirs', async () => {
    const others = [{ AutoScalingGroupName: 'api', LaunchTemplate: { LaunchTemplateId: LT, Version: '2' } }, { AutoScalingGroupName: 'jobs', LaunchTemplate: { LaunchTemplateName: 'tmpl' } }];
    const a = aws(group(), {}, others);
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()));
    expect(out.detail).toBe('launch template lt-1 version 3 (m5.xlarge) → 4 (m5.large); running instances keep their type until replaced. Other groups on this template (api 2, jobs $Default) keep their versions: the default version is not changed.');
  });

  it('refuses a type not offered in every zone of the group, naming the missing zones', async () => {
    const a = aws(group({ AvailabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }), {
      DescribeInstanceTypeOfferings: () => ({ InstanceTypeOfferings: [{ InstanceType: 'm5.large', Location: 'us-east-1a' }, { InstanceType: 'm5.xlarge', Location: 'us-east-1b' }, { InstanceType: 'm5.large' }] }),
    });
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow(new PlanConstraintError('web: m5.large is not offered in us-east-1b, us-east-1c (DescribeInstanceTypeOfferings), where the group launches; AWS would accept the version and fail the launches; nothing was changed.'));
    expect(a.calls.find((c) => c.op === 'DescribeInstanceTypeOfferings')?.input).toEqual({ LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['m5.large'] }, { Name: 'location', Values: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }] });
    expect(a.writes(...WRITES)).toEqual([]);
  });

  it('asks for no offerings when AWS reports no zones, and no type details when the template sets no CPU options and one interface', async () => {
    const a = aws(group({ AvailabilityZones: undefined }), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(3, 'm5.xlarge', { NetworkInterfaces: [{}] })] }) });
    await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()));
    expect(a.ops()).not.toContain('DescribeInstanceTypeOfferings');
    expect(a.ops()).not.toContain('DescribeInstanceTypes');
  });

  it('refuses CPU options or network interfaces the new type does not take', async () => {
    const info = { InstanceType: 'm5.large', VCpuInfo: { ValidCores: [1], ValidThreadsPerCore: [1, 2] }, NetworkInfo: { MaximumNetworkInterfaces: 3 } };
    const run = async (data: Record<string, unknown>, types: unknown[] = [info]) => {
      const a = aws(group(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(3, 'm5.xlarge', data)] }), DescribeInstanceTypes: () => ({ InstanceTypes: types }) });
      const out = rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before())).then(() => 'applied', (e: Error) => e.message);
      return { message: await out, a };
    };
    const suffix = '; AWS would accept the version and fail the launches; nothing was changed.';
    const cores = await run({ CpuOptions: { CoreCount: 2 } });
    expect(cores.message).toBe(`web: the template sets CpuOptions.CoreCount 2, which m5.large does not support (valid: 1)${suffix}`);
    expect(cores.a.calls.find((c) => c.op === 'DescribeInstanceTypes')?.input).toEqual({ InstanceTypes: ['m5.large'] });
    expect((await run({ CpuOptions: { CoreCount: 2 } }, [{ InstanceType: 'm5.large' }])).message).toBe(`web: the template sets CpuOptions.CoreCount 2, which m5.large does not support (valid: none)${suffix}`);
    expect((await run({ CpuOptions: { ThreadsPerCore: 3 } })).message).toBe(`web: the template sets CpuOptions.ThreadsPerCore 3, which m5.large does not support (valid: 1, 2)${suffix}`);
    expect((await run({ CpuOptions: { ThreadsPerCore: 1 } }, [{ InstanceType: 'm5.large' }])).message).toBe(`web: the template sets CpuOptions.ThreadsPerCore 1, which m5.large does not support (valid: none)${suffix}`);
    expect((await run({ NetworkInterfaces: [{}, {}, {}, {}] })).message).toBe(`web: the template attaches 4 network interfaces; m5.large takes at most 3${suffix}`);
    expect((await run({ NetworkInterfaces: [{}, {}] }, [])).message).toBe(`web: m5.large is unknown to DescribeInstanceTypes${suffix}`);
    expect((await run({ CpuOptions: { CoreCount: 1, ThreadsPerCore: 2 }, NetworkInterfaces: [{}, {}, {}] })).message).toBe('applied');
    expect((await run({ NetworkInterfaces: [{}, {}] }, [{ InstanceType: 'm5.large' }])).message).toBe('applied');
  });
});

describe('rightsize-launch-template apply: the writes', () => {
  it('creates the version from the old one with only the type, points the group at it, and records each step', async () => {
    // Prepare
    const a = aws();
    const e = env();
    // Act
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()), e);
    // Assess
    expect(a.writes(...WRITES).map((c) => [c.op, c.input])).toEqual([
      ['CreateLaunchTemplateVersion', { LaunchTemplateId: LT, SourceVersion: '3', VersionDescription: 'trimtab: m5.xlarge -> m5.large (from version 3)', LaunchTemplateData: { InstanceType: 'm5.large' }, ClientToken: 'trimtab-h1' }],
      ['UpdateAutoScalingGroup', { AutoScalingGroupName: NAME, LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } }],
    ]);
    expect(e.recorded).toEqual([
      { step: 'version-created', at: '2026-11-01T00:00:00.000Z', state: { version: 4, before: STATE3 } },
      { step: 'group-updated', at: '2026-11-01T00:00:00.000Z', state: { version: 4 } },
    ]);
    expect(out).toEqual({ before: STATE3, after: { ...STATE3, version: '4', versionNumber: 4, instanceType: 'm5.large' }, detail: 'launch template lt-1 version 3 (m5.xlarge) → 4 (m5.large); running instances keep their type until replaced.' });
  });

  it('cuts the client token to 64 characters', async () => {
    const a = aws();
    const p = { ...plan(), hash: 'x'.repeat(80) };
    await rightsizeLaunchTemplate.apply(a.ctx, p, findingOf('asg', NAME, before()));
    expect(a.calls.find((c) => c.op === 'CreateLaunchTemplateVersion')?.input.ClientToken).toBe(`trimtab-${'x'.repeat(56)}`);
  });

  it('with a refresh, starts it with the healthy share and the preferences, and records it', async () => {
    const a = aws();
    const e = env();
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(before(), { instanceRefresh: true, minHealthyPercentage: 75 }), findingOf('asg', NAME, before()), e);
    expect(a.calls.find((c) => c.op === 'StartInstanceRefresh')?.input).toEqual({ AutoScalingGroupName: NAME, Preferences: { MinHealthyPercentage: 75, ScaleInProtectedInstances: 'Ignore', StandbyInstances: 'Ignore' } });
    expect(e.recorded.map((s) => [s.step, s.state])).toEqual([['version-created', { version: 4, before: STATE3 }], ['group-updated', { version: 4 }], ['refresh-started', { instanceRefreshId: 'ir-1' }]]);
    expect((out.after as RightsizeState).instanceRefreshId).toBe('ir-1');
    expect(out.detail).toBe('launch template lt-1 version 3 (m5.xlarge) → 4 (m5.large); instance refresh ir-1 started (scale-in-protected and standby instances are left on m5.xlarge).');
  });

  it('says when a refresh was already in progress (either name of the code), or why none started, and still succeeds', async () => {
    for (const [code, note] of [
      ['InstanceRefreshInProgress', 'an instance refresh was already in progress, so none was started'],
      ['InstanceRefreshInProgressFault', 'an instance refresh was already in progress, so none was started'],
      ['LimitExceeded', 'no instance refresh was started (LimitExceeded: LimitExceeded (scripted)); new launches use m5.large'],
    ]) {
      const a = aws(group(), { StartInstanceRefresh: () => { throw awsError(code); } });
      const e = env();
      const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(before(), { instanceRefresh: true, minHealthyPercentage: 90 }), findingOf('asg', NAME, before()), e);
      expect(out.detail).toBe(`launch template lt-1 version 3 (m5.xlarge) → 4 (m5.large); ${note}.`);
      expect((out.after as RightsizeState).instanceRefreshId).toBeUndefined();
      expect(e.recorded.map((s) => s.step)).toEqual(['version-created', 'group-updated']);
    }
  });

  it('on a $Latest group, says it now names the version by number', async () => {
    const a = aws(group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '$Latest' } }));
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(before({ launchTemplateVersion: '$Latest' })), findingOf('asg', NAME, before()));
    expect(out.detail).toBe('launch template lt-1 version 3 (m5.xlarge) → 4 (m5.large); running instances keep their type until replaced. The group named $Latest; it now names version 4 (undo names $Latest again).');
  });

  it('works from a plan made before the template and Version were bound', async () => {
    const a = aws();
    const p = plan(before({ launchTemplateId: null, launchTemplateVersion: null }));
    p.params.groupArn = undefined;
    const out = await rightsizeLaunchTemplate.apply(a.ctx, p, findingOf('asg', NAME, before()));
    expect((out.after as RightsizeState).version).toBe('4');
  });

  it('when the group update fails, deletes the version it created, records that, and says why', async () => {
    // Prepare
    const a = aws(group(), { UpdateAutoScalingGroup: () => { throw awsError('AccessDenied', 'not allowed'); } });
    const e = env();
    // Act
    const out = rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()), e);
    // Assess
    await expect(out).rejects.toThrow(new PlanConstraintError('UpdateAutoScalingGroup failed on web (AccessDenied: not allowed); launch template version 4 that trimtab had created was deleted; the group still launches m5.xlarge from lt-1 version 3. Auto Scaling checks that the caller may launch from the template: ec2:RunInstances, iam:PassRole for its instance profile, ec2:CreateTags for its tag specifications.'));
    expect(a.calls.find((c) => c.op === 'DeleteLaunchTemplateVersions')?.input).toEqual({ LaunchTemplateId: LT, Versions: ['4'] });
    await expect(out).rejects.toHaveProperty('cause.name', 'AccessDenied');
    expect(e.recorded.map((s) => [s.step, s.state])).toEqual([['version-created', { version: 4, before: STATE3 }], ['version-deleted', { version: 4, detail: 'launch template version 4 that trimtab had created was deleted' }]]);
  });

  it('keeps the version when another group names it, and says when AWS could not delete it', async () => {
    const failing = { UpdateAutoScalingGroup: () => { throw awsError('ValidationError', 'bad'); } };
    const kept = aws(group(), failing, [{ AutoScalingGroupName: 'api', LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } }, { AutoScalingGroupName: 'jobs', LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } }]);
    await expect(rightsizeLaunchTemplate.apply(kept.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow('(ValidationError: bad); launch template version 4 is kept: api, jobs name it; the group');
    expect(kept.ops()).not.toContain('DeleteLaunchTemplateVersions');
    const refused = aws(group(), { ...failing, DeleteLaunchTemplateVersions: () => ({ UnsuccessfullyDeletedLaunchTemplateVersions: [{ VersionNumber: 4, ResponseError: { Code: 'launchTemplateVersionIsDefault', Message: 'is default' } }] }) });
    await expect(rightsizeLaunchTemplate.apply(refused.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow('launch template version 4 could not be deleted (launchTemplateVersionIsDefault: is default); delete it by hand; the group');
    const thrown = aws(group(), { ...failing, DeleteLaunchTemplateVersions: () => { throw awsError('UnauthorizedOperation', 'no'); } });
    await expect(rightsizeLaunchTemplate.apply(thrown.ctx, plan(), findingOf('asg', NAME, before()))).rejects.toThrow('launch template version 4 could not be deleted (UnauthorizedOperation: no); delete it by hand; the group');
  });
});

describe('rightsize-launch-template apply: resuming from recorded steps', () => {
  const created: StepProgress = { step: 'version-created', at: '2026-11-01T00:00:00.000Z', state: { version: 4, before: STATE3 } };
  const updated: StepProgress = { step: 'group-updated', at: '2026-11-01T00:00:00.000Z', state: { version: 4 } };

  it('after version-created, does not re-check the template or create another version, and only points the group', async () => {
    const a = aws(group({ Tags: [{ Key: 'trimtab:skip', Value: '' }] }));
    const e = env([created]);
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()), e);
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups', 'UpdateAutoScalingGroup']);
    expect(e.recorded.map((s) => s.step)).toEqual(['group-updated']);
    expect(out.before).toEqual(STATE3);
  });

  it('after group-updated and refresh-started, writes nothing and reports the recorded refresh', async () => {
    const a = aws();
    const e = env([created, updated, { step: 'refresh-started', at: '2026-11-01T00:00:00.000Z', state: { instanceRefreshId: 'ir-7' } }]);
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(before(), { instanceRefresh: true, minHealthyPercentage: 90 }), findingOf('asg', NAME, before()), e);
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups']);
    expect((out.after as RightsizeState).instanceRefreshId).toBe('ir-7');
    expect(out.detail).toBe('launch template lt-1 version 3 (m5.xlarge) → 4 (m5.large); instance refresh ir-7 started.');
  });

  it('after group-updated with a refresh asked, starts only the refresh', async () => {
    const a = aws();
    await rightsizeLaunchTemplate.apply(a.ctx, plan(before(), { instanceRefresh: true, minHealthyPercentage: 90 }), findingOf('asg', NAME, before()), env([created, updated]));
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups', 'StartInstanceRefresh']);
  });

  it('after a rollback, does nothing more', async () => {
    const a = aws();
    const e = env([created, { step: 'version-deleted', at: '2026-11-01T00:00:00.000Z', state: { version: 4, detail: 'launch template version 4 that trimtab had created was deleted' } }]);
    await expect(rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()), e)).rejects.toThrow(new PlanConstraintError('An earlier attempt on web failed and was rolled back (launch template version 4 that trimtab had created was deleted); nothing more is done.'));
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups']);
  });

  it('a group gone before anything was written counts as done; gone after the version was created is an error naming it', async () => {
    const a = aws(null);
    expect(await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).toEqual({ after: { alreadyDone: 'web no longer exists' }, detail: 'group gone; nothing changed' });
    const b = aws(null);
    await expect(rightsizeLaunchTemplate.apply(b.ctx, plan(), findingOf('asg', NAME, before()), env([created]))).rejects.toThrow(new PlanConstraintError("web no longer exists; launch template version 4 that trimtab created stays in the template's history."));
    expect(b.ops()).toEqual(['DescribeAutoScalingGroups']);
  });

  it('ignores a listed group of another name', async () => {
    const a = fakeAws({ DescribeAutoScalingGroups: () => ({ AutoScalingGroups: [{ ...group(), AutoScalingGroupName: 'web2' }] }) });
    expect((await rightsizeLaunchTemplate.apply(a.ctx, plan(), findingOf('asg', NAME, before()))).detail).toBe('group gone; nothing changed');
  });
});

const AFTER4: RightsizeState = { ...STATE3, version: '4', versionNumber: 4, instanceType: 'm5.large' };
const applied = (after: RightsizeState | Record<string, unknown> = AFTER4) => ({ before: STATE3, after, detail: '' });

describe('rightsize-launch-template verify', () => {
  it('is ok when the group names the new version and it has the new type', async () => {
    const a = aws(group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } }));
    expect(await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied())).toEqual({ ok: true, detail: 'web launches m5.large from lt-1 version 4' });
    expect(a.calls.find((c) => c.op === 'DescribeLaunchTemplateVersions')?.input).toEqual({ LaunchTemplateId: LT, Versions: ['4'] });
  });

  it('reports the refresh status, or that it was not found', async () => {
    const a = aws(group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } }), { DescribeInstanceRefreshes: () => ({ InstanceRefreshes: [{ InstanceRefreshId: 'ir-1', Status: 'InProgress' }] }) });
    expect(await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied({ ...AFTER4, instanceRefreshId: 'ir-1' }))).toEqual({ ok: true, detail: 'web launches m5.large from lt-1 version 4; instance refresh InProgress' });
    expect(a.calls.find((c) => c.op === 'DescribeInstanceRefreshes')?.input).toEqual({ AutoScalingGroupName: NAME, InstanceRefreshIds: ['ir-1'] });
    const b = aws(group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } }));
    expect((await rightsizeLaunchTemplate.verify(b.ctx, plan(), applied({ ...AFTER4, instanceRefreshId: 'ir-1' }))).detail).toBe('web launches m5.large from lt-1 version 4; instance refresh not found');
  });

  it('fails when the group names another version or template, or none', async () => {
    const a = aws(group());
    expect(await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied())).toEqual({ ok: false, detail: 'web points at lt-1 version 3, expected lt-1 version 4' });
    const b = aws(group({ LaunchTemplate: { LaunchTemplateId: 'lt-2', Version: '4' } }));
    expect(await rightsizeLaunchTemplate.verify(b.ctx, plan(), applied())).toEqual({ ok: false, detail: 'web points at lt-2 version 4, expected lt-1 version 4' });
    const c = aws(group({ LaunchTemplate: undefined }));
    expect(await rightsizeLaunchTemplate.verify(c.ctx, plan(), applied())).toEqual({ ok: false, detail: 'web points at no launch template, expected lt-1 version 4' });
    expect([...a.ops(), ...b.ops(), ...c.ops()]).not.toContain('DescribeLaunchTemplateVersions');
  });

  it('fails when the version has another type', async () => {
    const a = aws(group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } }), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(4, 'm5.2xlarge')] }) });
    expect(await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied())).toEqual({ ok: false, detail: 'version 4 has m5.2xlarge, expected m5.large' });
  });

  it('is ok without reading anything when nothing was changed', async () => {
    const a = aws();
    expect(await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied({ alreadyDone: 'web no longer exists' }))).toEqual({ ok: true, detail: 'Nothing to change: web no longer exists' });
    expect(a.calls).toEqual([]);
  });
});

describe('rightsize-launch-template undo', () => {
  const rec = (b: RightsizeState = STATE3, after: RightsizeState | Record<string, unknown> = AFTER4) => recordOf('asg', NAME, 'rightsize-launch-template', plan().params, b, after);
  const at4 = () => group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } });

  it('points the group back at the recorded version after checking no refresh runs', async () => {
    const a = aws(at4());
    const out = await rightsizeLaunchTemplate.undo!(a.ctx, rec());
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeAutoScalingGroups', { AutoScalingGroupNames: [NAME] }],
      ['DescribeInstanceRefreshes', { AutoScalingGroupName: NAME }],
      ['UpdateAutoScalingGroup', { AutoScalingGroupName: NAME, LaunchTemplate: { LaunchTemplateId: LT, Version: '3' } }],
    ]);
    expect(out).toEqual({ detail: "web points at lt-1 version 3 (m5.xlarge) again; instances launched meanwhile keep m5.large unless a refresh is run. Version 4 stays in the template's history.", after: { launchTemplateId: LT, version: '3' } });
  });

  it('refuses while a refresh is pending or in progress, and goes on past finished ones', async () => {
    for (const Status of ['Pending', 'InProgress']) {
      const a = aws(at4(), { DescribeInstanceRefreshes: () => ({ InstanceRefreshes: [{ InstanceRefreshId: 'ir-0', Status: 'Successful' }, { InstanceRefreshId: 'ir-1', Status }] }) });
      await expect(rightsizeLaunchTemplate.undo!(a.ctx, rec())).rejects.toThrow(new UndoRefusedError(`web has instance refresh ir-1 ${Status}: wait for it to end (or cancel it), then undo.`));
      expect(a.ops()).not.toContain('UpdateAutoScalingGroup');
    }
    const done = aws(at4(), { DescribeInstanceRefreshes: () => ({ InstanceRefreshes: [{ InstanceRefreshId: 'ir-0', Status: 'Successful' }] }) });
    await rightsizeLaunchTemplate.undo!(done.ctx, rec());
    expect(done.ops()).toContain('UpdateAutoScalingGroup');
  });

  it('refuses when trimtab changed nothing, the group is gone, or it names something else now', async () => {
    const a = aws(at4());
    await expect(rightsizeLaunchTemplate.undo!(a.ctx, rec(STATE3, { alreadyDone: 'version 3 already has m5.large' }))).rejects.toThrow(new UndoRefusedError('trimtab changed nothing on web, so there is nothing to undo.'));
    await expect(rightsizeLaunchTemplate.undo!(a.ctx, rec({} as RightsizeState, AFTER4))).rejects.toThrow('trimtab changed nothing on web, so there is nothing to undo.');
    expect(a.calls).toEqual([]);
    await expect(rightsizeLaunchTemplate.undo!(aws(null).ctx, rec())).rejects.toThrow(new UndoRefusedError('web no longer exists.'));
    await expect(rightsizeLaunchTemplate.undo!(aws(group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '5' } })).ctx, rec())).rejects.toThrow(new UndoRefusedError('web points at lt-1 version 5, not version 4 as trimtab left it: someone changed it since, so trimtab leaves it alone.'));
    await expect(rightsizeLaunchTemplate.undo!(aws(group({ LaunchTemplate: { LaunchTemplateId: 'lt-2', Version: '4' } })).ctx, rec())).rejects.toThrow('web points at lt-2 version 4, not version 4 as trimtab left it');
    await expect(rightsizeLaunchTemplate.undo!(aws(group({ LaunchTemplate: undefined })).ctx, rec())).rejects.toThrow('web points at no launch template, not version 4 as trimtab left it');
  });

  it('for a $Latest group: names the old number, deletes its own version, then names $Latest again', async () => {
    const a = aws(at4(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(3, 'm5.xlarge')] }) });
    const out = await rightsizeLaunchTemplate.undo!(a.ctx, rec({ ...STATE3, version: '$Latest' }));
    expect(a.writes(...WRITES, 'DescribeLaunchTemplateVersions').map((c) => [c.op, c.input])).toEqual([
      ['UpdateAutoScalingGroup', { AutoScalingGroupName: NAME, LaunchTemplate: { LaunchTemplateId: LT, Version: '3' } }],
      ['DeleteLaunchTemplateVersions', { LaunchTemplateId: LT, Versions: ['4'] }],
      ['DescribeLaunchTemplateVersions', { LaunchTemplateId: LT, Versions: ['$Latest'] }],
      ['UpdateAutoScalingGroup', { AutoScalingGroupName: NAME, LaunchTemplate: { LaunchTemplateId: LT, Version: '$Latest' } }],
    ]);
    expect(out).toEqual({ detail: 'web points at lt-1 version $Latest (m5.xlarge) again; instances launched meanwhile keep m5.large unless a refresh is run. Launch template version 4 that trimtab had created was deleted, so $Latest is version 3 again.', after: { launchTemplateId: LT, version: '$Latest' } });
  });

  it('for a $Latest group whose $Latest is another version now, leaves it on the old number and says why', async () => {
    const a = aws(at4(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [version(5, 'm5.xlarge')] }) });
    const out = await rightsizeLaunchTemplate.undo!(a.ctx, rec({ ...STATE3, version: '$Latest' }));
    expect(a.writes('UpdateAutoScalingGroup').map((c) => c.input.LaunchTemplate.Version)).toEqual(['3']);
    expect(out).toEqual({ detail: 'web names lt-1 version 3 (m5.xlarge) explicitly: it named $Latest, which now resolves to version 5 (launch template version 4 that trimtab had created was deleted). Instances launched meanwhile keep m5.large unless a refresh is run.', after: { launchTemplateId: LT, version: '3' } });
  });
});

describe('rightsize-launch-template verify and undo: answers without the optional members', () => {
  const at4 = () => group({ LaunchTemplate: { LaunchTemplateId: LT, Version: '4' } });

  it('verify says the refresh was not found when AWS answers without a refresh list', async () => {
    // Prepare
    const a = aws(at4(), { DescribeInstanceRefreshes: () => ({}) });

    // Act
    const out = await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied({ ...AFTER4, instanceRefreshId: 'ir-1' }));

    // Assess
    expect(out).toEqual({ ok: true, detail: 'web launches m5.large from lt-1 version 4; instance refresh not found' });
  });

  it('verify fails for a group that is gone, reading no version', async () => {
    // Prepare
    const a = aws(null);

    // Act
    const out = await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied());

    // Assess
    expect(out).toEqual({ ok: false, detail: 'web points at no launch template, expected lt-1 version 4' });
    expect(a.ops()).toEqual(['DescribeAutoScalingGroups']);
  });

  it('verify fails, naming no type, for a version AWS answers without launch template data', async () => {
    // Prepare
    const a = aws(at4(), { DescribeLaunchTemplateVersions: () => ({ LaunchTemplateVersions: [{ LaunchTemplateId: LT, VersionNumber: 4 }] }) });

    // Act
    const out = await rightsizeLaunchTemplate.verify(a.ctx, plan(), applied());

    // Assess
    expect(out).toEqual({ ok: false, detail: 'version 4 has undefined, expected m5.large' });
  });

  it('undo goes on when AWS answers without a refresh list', async () => {
    // Prepare
    const a = aws(at4(), { DescribeInstanceRefreshes: () => ({}) });

    // Act
    const out = await rightsizeLaunchTemplate.undo!(a.ctx, recordOf('asg', NAME, 'rightsize-launch-template', plan().params, STATE3, AFTER4));

    // Assess
    expect(a.writes(...WRITES).map((c) => c.input)).toEqual([{ AutoScalingGroupName: NAME, LaunchTemplate: { LaunchTemplateId: LT, Version: '3' } }]);
    expect(out.after).toEqual({ launchTemplateId: LT, version: '3' });
  });

  it('undo refuses a record without a before or an after state, naming what is missing and reading nothing', async () => {
    // Prepare
    const a = aws(at4());

    // Act
    const noAfter = rightsizeLaunchTemplate.undo!(a.ctx, recordOf('asg', NAME, 'rightsize-launch-template', plan().params, STATE3, undefined));
    const noBefore = rightsizeLaunchTemplate.undo!(a.ctx, recordOf('asg', NAME, 'rightsize-launch-template', plan().params, undefined, AFTER4));

    // Assess
    await expect(noAfter).rejects.toThrow(new UndoRefusedError('The record of a1 has no launch template version trimtab left web on, so there is nothing to compare the group with; not undone.'));
    await expect(noBefore).rejects.toThrow(new UndoRefusedError('trimtab changed nothing on web, so there is nothing to undo.'));
    expect(a.calls).toEqual([]);
  });
});

describe('rightsize-launch-template plan and refresh: what the earlier tests left open', () => {
  it("plan carries the finding's saving and its basis unchanged", () => {
    // Prepare
    const f = findingOf('asg', NAME, before());
    f.savings = { monthlyUsd: 70.08, basis: ['m5.xlarge → m5.large', 'Group CPU p95 20%'] };

    // Act
    const p = rightsizeLaunchTemplate.plan(f, { instanceRefresh: false, minHealthyPercentage: 90 }, planCtx);

    // Assess
    expect(p.kind === 'change' && p.savings).toEqual({ monthlyUsd: 70.08, basis: ['m5.xlarge → m5.large', 'Group CPU p95 20%'] });
  });

  it('says no refresh was started, with an empty code, when the refresh fails with something that has no error name', async () => {
    // Prepare: the refresh throws a bare string (no error name).
    const a = aws(group(), { StartInstanceRefresh: () => { throw 'socket hang up'; } });

    // Act
    const out = await rightsizeLaunchTemplate.apply(a.ctx, plan(before(), { instanceRefresh: true, minHealthyPercentage: 90 }), findingOf('asg', NAME, before()), env());

    // Assess
    expect(out.detail).toBe('launch template lt-1 version 3 (m5.xlarge) → 4 (m5.large); no instance refresh was started (: socket hang up); new launches use m5.large.');
  });
});
