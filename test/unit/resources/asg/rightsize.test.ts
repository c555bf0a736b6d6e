import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { Finding, RegionContext } from '../../../../lib/engine/types.ts';
import { undoAction } from '../../../../lib/engine/undo.ts';
import type { Group } from '../../../../lib/resources/asg/resource.ts';
import { oversizedGroupInstances, rightsizeLaunchTemplate } from '../../../../lib/resources/asg/rightsize.ts';
import { toGroup } from '../../../../lib/resources/asg/resource.ts';
import { addLaunchTemplateGroup } from '../../../../lib/resources/asg/rightsize-seed.ts';
import { setSandboxRolePolicy } from '../../../../lib/sandbox/services/iam.ts';
import type { ApplyEnv, StepProgress } from '../../../../lib/engine/types.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { autoscalingState } from '../../../../lib/sandbox/services/autoscaling.ts';
import { launchTemplatesState } from '../../../../lib/sandbox/services/ec2-launch-templates.ts';
import { VirtualClock } from '../../../../lib/util/clock.ts';
import { policiesFrom, testEnv, TEST_START } from '../../../helpers.ts';

const REGION = 'us-east-1';
const ctx = { now: new Date(TEST_START), prices: DEFAULT_PRICES } as unknown as RegionContext;
const options = (o: Record<string, unknown> = {}) => oversizedGroupInstances.options.parse(o) as never;

function group(extra: Partial<Group> = {}, cpu = 10, hours = 14 * 24): Group {
  return {
    name: 'web', arn: 'arn:web', region: REGION, tags: {}, minSize: 2, maxSize: 8, desiredCapacity: 4, defaultCooldown: 300, inServiceNow: 4, enabledMetrics: [],
    launchTemplate: 'web-lt', instanceType: 'c5.2xlarge', instanceTypeSource: 'instances',
    usage: { windowDays: 14, cpu: Array(hours).fill(cpu), inService: Array(hours).fill(4), inServiceSource: 'GroupInServiceInstances' },
    ...extra,
  };
}

describe('oversized-group-instances', () => {
  it('proposes the cheaper type of the same architecture whose projected CPU p95 stays under the target, with savings × desired capacity × 730 h', () => {
    // Act
    const d = oversizedGroupInstances.detect!(group(), options(), { ctx, prepared: {} }) as Finding;
    // Assess: 10% of 8 vCPU projects to 20% on 4 vCPU; memory unknown, so it keeps 16 GiB: c5.2xlarge → m6i.xlarge? The candidate is the cheapest that fits.
    const candidate = d.evidence.candidate as string;
    const from = DEFAULT_PRICES.ec2OnDemandHourly['c5.2xlarge'];
    const to = DEFAULT_PRICES.ec2OnDemandHourly[candidate];
    expect(to).toBeLessThan(from);
    expect(d.status).toBeUndefined();
    expect(d.savings!.monthlyUsd).toBeCloseTo((from - to) * 4 * 730, 6);
    expect(d.before).toEqual({ group: 'web', launchTemplate: 'web-lt', launchTemplateId: null, launchTemplateVersion: null, fromType: 'c5.2xlarge', candidate, desiredCapacity: 4 });
    expect(d.benefit).toEqual(['cost']);
  });

  it('never crosses architecture: a Graviton group stays on arm64', () => {
    const d = oversizedGroupInstances.detect!(group({ instanceType: 'm6g.2xlarge' }), options(), { ctx, prepared: {} }) as Finding;
    expect(d.evidence.candidate).toMatch(/^[a-z]+\d+g[a-z]*\./);
    expect(d.evidence.architecture).toBe('arm64');
  });

  it('finds nothing when the CPU p95 would exceed the target on every cheaper type', () => {
    expect(oversizedGroupInstances.detect!(group({}, 60), options(), { ctx, prepared: {} })).toBeUndefined();
  });

  it('reports launch-configuration and mixed-instances groups, and too little data, as not actionable with the reason', () => {
    const lc = oversizedGroupInstances.detect!(group({ launchTemplate: undefined, launchConfigurationName: 'old-lc' }), options(), { ctx, prepared: {} }) as Finding;
    const mixed = oversizedGroupInstances.detect!(group({ instanceTypeSource: 'mixed-instances-policy' }), options(), { ctx, prepared: {} }) as Finding;
    const young = oversizedGroupInstances.detect!(group({}, 10, 20), options(), { ctx, prepared: {} }) as Finding;
    expect(lc.status).toBe('protected');
    expect(lc.evidence.protection).toMatch(/launch configuration old-lc: launch configurations cannot be changed/);
    expect(mixed.status).toBe('protected');
    expect(mixed.evidence.protection).toMatch(/mixed instances policy/);
    expect(young.status).toBe('protected');
    expect(young.evidence.protection).toBe('too little data: 20 hourly CPU datapoints, 30 needed');
  });
});

describe('rightsize-launch-template plan', () => {
  it('plans the candidate from the finding, with the refresh option and the savings', () => {
    const d = oversizedGroupInstances.detect!(group(), options(), { ctx, prepared: {} })!;
    const finding = { ...d, detector: 'oversized-group-instances', resource: { type: 'asg', id: 'web' } } as unknown as Finding;
    const plan = rightsizeLaunchTemplate.plan(finding, rightsizeLaunchTemplate.options.parse({ instanceRefresh: true }) as never, ctx);
    expect(plan).toMatchObject({ kind: 'change', params: { group: 'web', fromType: 'c5.2xlarge', toType: (d as Finding).evidence.candidate, instanceRefresh: true, minHealthyPercentage: 90 } });
    expect(rightsizeLaunchTemplate.plan({ ...finding, before: {} } as Finding, rightsizeLaunchTemplate.options.parse({}) as never, ctx)).toMatchObject({ kind: 'conflict' });
  });
});

// ── on the sandbox ──────────────────────────────────────────────────────────────────────

const awsLike = () => {
  const env = testEnv('empty', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
  const seed = { ageDays: 60, minSize: 2, maxSize: 8, desiredCapacity: 4, defaultCooldown: 300, cpu: { base: 10, noise: 2 }, inService: { base: 4 } };
  addLaunchTemplateGroup(env.sandbox, SANDBOX_ACCOUNT, REGION, { ...seed, name: 'acme-render', instanceType: 'c5.2xlarge', tags: { team: 'media' } });
  addLaunchTemplateGroup(env.sandbox, SANDBOX_ACCOUNT, REGION, { ...seed, name: 'acme-frozen', instanceType: 'c5.2xlarge', tags: { 'trimtab:skip': 'freeze' } });
  addLaunchTemplateGroup(env.sandbox, SANDBOX_ACCOUNT, REGION, { ...seed, name: 'acme-busy', instanceType: 'c5.2xlarge', cpu: { base: 70, noise: 5 } });
  return env;
};
const account = (env: ReturnType<typeof testEnv>) => env.sandbox.account(SANDBOX_ACCOUNT);
const groupsOf = (env: ReturnType<typeof testEnv>) => autoscalingState(env.sandbox, account(env), REGION).groups;
const templateOf = (env: ReturnType<typeof testEnv>, name: string) => Object.values(launchTemplatesState(env.sandbox, account(env), REGION).templates).find((t) => t.name === `${name}-lt`)!;
const writes = (env: ReturnType<typeof testEnv>) => env.sandbox.successfulWrites().map((w) => w.operation);

const policy = (mode = 'auto', action = '{ type: rightsize-launch-template }') => `
version: 1
policies:
  - id: rightsize-groups
    resource: asg
    detector: { type: oversized-group-instances }
    action: ${action}
    mode: ${mode}
    limits: { maxActionsPerRun: 10, cooldownHours: 0 }
    approval: { approvers: [ops@example.com] }
`;

describe('the sandbox launch templates and instance refreshes', () => {
  const send = (env: ReturnType<typeof testEnv>) => ({ ec2: env.clients.withWrites(true).get(EC2Client, REGION), asg: env.clients.withWrites(true).get(AutoScalingClient, REGION) });

  it('creates a version from a source version (inheriting the rest), returns the same version for the same ClientToken, and answers EC2 error codes', async () => {
    const env = awsLike();
    const { ec2 } = send(env);
    const lt = templateOf(env, 'acme-render');
    const input = { LaunchTemplateId: lt.id, SourceVersion: '1', LaunchTemplateData: { InstanceType: 'c6i.xlarge' as never }, ClientToken: 'tok-1' };
    const first = await ec2.send(new CreateLaunchTemplateVersionCommand(input));
    const again = await ec2.send(new CreateLaunchTemplateVersionCommand(input));
    expect(first.LaunchTemplateVersion).toMatchObject({ VersionNumber: 2, DefaultVersion: false, LaunchTemplateData: { InstanceType: 'c6i.xlarge', ImageId: 'ami-0abcdef1234567890', KeyName: 'ops' } });
    expect(again.LaunchTemplateVersion!.VersionNumber).toBe(2);
    const latest = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.id, Versions: ['$Latest', '$Default'] }));
    expect(latest.LaunchTemplateVersions!.map((v) => [v.VersionNumber, v.DefaultVersion])).toEqual([[2, false], [1, true]]);
    const templates = await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [lt.id] }));
    expect(templates.LaunchTemplates).toMatchObject([{ LaunchTemplateId: lt.id, LaunchTemplateName: 'acme-render-lt', DefaultVersionNumber: 1, LatestVersionNumber: 2 }]);
    await expect(ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-00000000000000000', Versions: ['1'] }))).rejects.toMatchObject({ name: 'InvalidLaunchTemplateId.NotFound' });
    await expect(ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt.id, SourceVersion: '9', LaunchTemplateData: {} }))).rejects.toMatchObject({ name: 'InvalidLaunchTemplateId.VersionNotFound' });
  });

  it('refuses to point a group at a missing version; a refresh goes Pending → InProgress → Successful in AWS-like time, one at a time', async () => {
    const env = awsLike();
    const { asg, ec2 } = send(env);
    const lt = templateOf(env, 'acme-render');
    await expect(asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'acme-render', LaunchTemplate: { LaunchTemplateId: lt.id, Version: '7' } }))).rejects.toMatchObject({ name: 'InvalidLaunchTemplateId.VersionNotFound' });
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt.id, SourceVersion: '1', LaunchTemplateData: { InstanceType: 'c6i.xlarge' as never } }));
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'acme-render', LaunchTemplate: { LaunchTemplateId: lt.id, Version: '2' } }));
    expect(groupsOf(env)['acme-render'].instanceType).toBe('c5.2xlarge'); // running instances keep their type
    const { InstanceRefreshId } = await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'acme-render' }));
    await expect(asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'acme-render' }))).rejects.toMatchObject({ name: 'InstanceRefreshInProgressFault' });
    const status = async () => (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'acme-render', InstanceRefreshIds: [InstanceRefreshId!] }))).InstanceRefreshes![0].Status;
    expect(await status()).toBe('Pending');
    await env.sandbox.clock.sleep(61_000);
    expect(await status()).toBe('InProgress');
    await env.sandbox.clock.sleep(4 * 300_000);
    expect(await status()).toBe('Successful');
    expect(groupsOf(env)['acme-render'].instanceType).toBe('c6i.xlarge');
  });
});

describe('rightsize-launch-template on the sandbox', () => {
  it('writes a new version from the current one with only the type changed, points the group at it and verifies; traps untouched', async () => {
    // Prepare
    const env = awsLike();
    // Act
    const result = await env.run(policiesFrom(policy()));
    // Assess
    const actions = result.actions;
    expect(actions.map((a) => [a.resource.id, a.status])).toEqual([['acme-render', 'verified']]);
    const lt = templateOf(env, 'acme-render');
    const toType = (actions[0].params as { toType: string }).toType;
    expect(lt.versions.map((v) => v.number)).toEqual([1, 2]);
    expect(lt.versions[1].data).toEqual({ ImageId: 'ami-0abcdef1234567890', InstanceType: toType, KeyName: 'ops' });
    expect(lt.defaultVersion).toBe(1);
    expect(groupsOf(env)['acme-render'].launchTemplate).toMatchObject({ LaunchTemplateId: lt.id, Version: '2' });
    expect(actions[0].before).toMatchObject({ launchTemplateId: lt.id, version: '$Default', versionNumber: 1, instanceType: 'c5.2xlarge' });
    expect(actions[0].verification).toEqual({ ok: true, detail: `acme-render launches ${toType} from ${lt.id} version 2` });
    expect(writes(env)).toEqual(['CreateLaunchTemplateVersion', 'UpdateAutoScalingGroup']);
    expect(groupsOf(env)['acme-frozen'].launchTemplate!.Version).toBe('$Default');
    expect(groupsOf(env)['acme-busy'].launchTemplate!.Version).toBe('$Default');
  });

  it('makes no write in dry-run, and approval mode waits for a person', async () => {
    const env = awsLike();
    const scan = await env.run(policiesFrom(policy('approval')), { forceDryRun: true });
    const approval = await env.run(policiesFrom(policy('approval')));
    expect(scan.findings.filter((f) => f.outcome === 'would-apply').map((f) => f.resource.id)).toEqual(['acme-render']);
    expect(approval.summary.awaitingApproval).toBe(1);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('starts an instance refresh when asked; verify reports its status', async () => {
    const env = awsLike();
    const result = await env.run(policiesFrom(policy('auto', '{ type: rightsize-launch-template, instanceRefresh: true }')));
    expect(writes(env)).toEqual(['CreateLaunchTemplateVersion', 'UpdateAutoScalingGroup', 'StartInstanceRefresh']);
    expect(result.actions[0].verification!.detail).toMatch(/; instance refresh Pending$/);
  });

  it('undo points the group back at the recorded version, says new instances keep the new type, and refuses a second time', async () => {
    const env = awsLike();
    const result = await env.run(policiesFrom(policy()));
    const action = result.actions[0];
    const undone = await undoAction(action.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(groupsOf(env)['acme-render'].launchTemplate!.Version).toBe('$Default');
    expect(undone.transitions.at(-1)!.detail).toMatch(/instances launched meanwhile keep .* unless a refresh is run/);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/already undone/);
  });

  it('refuses undo when someone repointed the group since, and while a refresh runs', async () => {
    const env = awsLike();
    const result = await env.run(policiesFrom(policy('auto', '{ type: rightsize-launch-template, instanceRefresh: true }')));
    await expect(undoAction(result.actions[0].id, env.deps)).rejects.toThrow(/instance refresh .* (Pending|InProgress): wait for it to end/);
    groupsOf(env)['acme-render'].launchTemplate!.Version = '1';
    await expect(undoAction(result.actions[0].id, env.deps)).rejects.toThrow(/not version 2 as trimtab left it: someone changed it since/);
  });

  it('apply refuses a group whose template type changed since the plan, writing nothing', async () => {
    const env = awsLike();
    const scan = await env.run(policiesFrom(policy('approval')));
    const lt = templateOf(env, 'acme-render');
    lt.versions[0].data.InstanceType = 'c5.4xlarge';
    const plan = { action: 'rightsize-launch-template', summary: '', undo: '', hash: 'h', params: { group: 'acme-render', launchTemplateId: lt.id, version: '$Default', fromType: 'c5.2xlarge', toType: 'c6i.xlarge', instanceRefresh: false, minHealthyPercentage: 90 } };
    const rctx: RegionContext = { account: SANDBOX_ACCOUNT, region: REGION, clients: env.clients.withWrites(true), now: env.sandbox.now(), clock: env.sandbox.clock, prices: DEFAULT_PRICES, log: () => {} } as RegionContext;
    await expect(rightsizeLaunchTemplate.apply(rctx, plan, scan.findings[0])).rejects.toThrow("acme-render's launch template version 1 has c5.4xlarge now, not c5.2xlarge as when detected; nothing was changed.");
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });
});

// ── issue 25 point 5, issue 24 point 7, issue 30: the writes bound, compensated and AWS-checked ───────────

const regionCtx = (env: ReturnType<typeof testEnv>): RegionContext =>
  ({ account: SANDBOX_ACCOUNT, region: REGION, clients: env.clients.withWrites(true), now: env.sandbox.now(), clock: env.sandbox.clock, prices: DEFAULT_PRICES, log: () => {} }) as RegionContext;

/** The plan an approval-mode run made for acme-render (nothing written), to apply by hand after changing the world. */
async function plannedRender(env: ReturnType<typeof testEnv>, action = '{ type: rightsize-launch-template }') {
  const scan = await env.run(policiesFrom(policy('approval', action)));
  const finding = scan.findings.find((f) => f.resource.id === 'acme-render')!;
  return { finding, plan: finding.plan as never as Parameters<typeof rightsizeLaunchTemplate.apply>[1] };
}

describe('rightsize-launch-template: what other users of the template see', () => {
  it('refuses when another group launches from the same template at $Latest, naming it, and writes nothing', async () => {
    // Prepare: acme-batch shares acme-render's template at $Latest: a new version would reach it at once.
    const env = awsLike();
    const lt = templateOf(env, 'acme-render');
    groupsOf(env)['acme-batch'] = { ...structuredClone(groupsOf(env)['acme-busy']), name: 'acme-batch', launchTemplate: { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, Version: '$Latest' } };
    // Act
    const result = await env.run(policiesFrom(policy()));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'acme-render')!;
    expect(action.status).toBe('failed');
    expect(action.error!.message).toBe(`acme-batch also launches from ${lt.id} $Latest: a new version would change it at once; nothing was changed.`);
    expect(writes(env)).toEqual([]);
    expect(lt.versions.map((v) => v.number)).toEqual([1]);
  });

  it('creates the version without changing the default, so a group on $Default of the same template keeps launching the old type, and says so', async () => {
    const env = awsLike();
    const lt = templateOf(env, 'acme-render');
    groupsOf(env)['acme-batch'] = { ...structuredClone(groupsOf(env)['acme-busy']), name: 'acme-batch', launchTemplate: { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, Version: '$Default' } };
    const result = await env.run(policiesFrom(policy()));
    const action = result.actions.find((a) => a.resource.id === 'acme-render')!;
    expect(action.status).toBe('verified');
    expect(lt.defaultVersion).toBe(1);
    expect(groupsOf(env)['acme-batch'].launchTemplate!.Version).toBe('$Default');
    expect(action.transitions.find((t) => t.status === 'applied')!.detail).toMatch(/Other groups on this template \(acme-batch \$Default\) keep their versions: the default version is not changed\./);
  });
});

describe('rightsize-launch-template: a failed group update is compensated and recorded', () => {
  it('without iam:PassRole for the instance profile, UpdateAutoScalingGroup is denied; trimtab deletes the version it created and records the failure saying so', async () => {
    // Prepare: the template passes an instance profile; trimtab's role may do everything but iam:PassRole.
    const env = awsLike();
    const lt = templateOf(env, 'acme-render');
    lt.versions[0].data.IamInstanceProfile = { Arn: `arn:aws:iam::${SANDBOX_ACCOUNT}:instance-profile/render` };
    setSandboxRolePolicy(env.sandbox, SANDBOX_ACCOUNT, 'trimtab', [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'iam:PassRole', Resource: '*' }]);
    // Act
    const result = await env.run(policiesFrom(policy()));
    // Assess
    const action = result.actions.find((a) => a.resource.id === 'acme-render')!;
    expect(action.status).toBe('failed');
    expect(action.error!.message).toMatch(
      new RegExp(`^UpdateAutoScalingGroup failed on acme-render \\(AccessDenied: You are not authorized to use launch template: ${lt.id}\\); launch template version 2 that trimtab had created was deleted; the group still launches c5\\.2xlarge from ${lt.id} version \\$Default\\.`),
    );
    expect(lt.versions.map((v) => v.number)).toEqual([1]);
    expect(groupsOf(env)['acme-render'].launchTemplate!.Version).toBe('$Default');
    expect(writes(env)).toEqual(['CreateLaunchTemplateVersion', 'DeleteLaunchTemplateVersions']);
  });

  it('records each step through ApplyEnv before the next, and the compensation when the group update fails', async () => {
    const env = awsLike();
    const { plan, finding } = await plannedRender(env, '{ type: rightsize-launch-template, instanceRefresh: true }');
    const steps: StepProgress[] = [];
    const applyEnv: ApplyEnv = { progress: [], record: async (s) => void steps.push(s), remainingMs: () => 600_000 };
    await rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding, applyEnv);
    expect(steps.map((s) => [s.step, s.state?.version ?? s.state?.instanceRefreshId !== undefined])).toEqual([['version-created', 2], ['group-updated', 2], ['refresh-started', true]]);

    // A second group whose update is denied: version-created, then version-deleted, nothing else.
    const denied = awsLike();
    templateOf(denied, 'acme-render').versions[0].data.TagSpecifications = [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'media' }] }];
    setSandboxRolePolicy(denied.sandbox, SANDBOX_ACCOUNT, 'trimtab', [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'ec2:CreateTags', Resource: '*' }]);
    const second = await plannedRender(denied);
    const deniedSteps: StepProgress[] = [];
    await expect(rightsizeLaunchTemplate.apply(regionCtx(denied), second.plan, second.finding, { progress: [], record: async (s) => void deniedSteps.push(s), remainingMs: () => 600_000 })).rejects.toThrow(/AccessDenied/);
    expect(deniedSteps.map((s) => s.step)).toEqual(['version-created', 'version-deleted']);
  });

  it('resumes from recorded progress: a version already created is not created again', async () => {
    const env = awsLike();
    const { plan, finding } = await plannedRender(env);
    const first: StepProgress[] = [];
    // The first invocation created the version and stopped (its record is all the next one has).
    await rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding, { progress: [], record: async (s) => { first.push(s); if (s.step === 'version-created') throw new Error('invocation ended'); }, remainingMs: () => 600_000 }).catch(() => undefined);
    const before = templateOf(env, 'acme-render').versions.length;
    const resumed = await rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding, { progress: [{ ...first[0] }], record: async () => {}, remainingMs: () => 600_000 });
    expect(templateOf(env, 'acme-render').versions.length).toBe(before);
    expect((resumed.after as { version: string }).version).toBe('2');
    expect(groupsOf(env)['acme-render'].launchTemplate!.Version).toBe('2');
  });
});

describe('rightsize-launch-template: what AWS checks only at launch', () => {
  it("refuses a type not offered in one of the group's Availability Zones, writing nothing", async () => {
    const env = awsLike();
    const { plan, finding } = await plannedRender(env);
    const toType = (plan.params as { toType: string }).toType;
    launchTemplatesState(env.sandbox, account(env), REGION).notOffered = { [`${REGION}b`]: [toType] };
    await expect(rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding)).rejects.toThrow(`acme-render: ${toType} is not offered in ${REGION}b (DescribeInstanceTypeOfferings), where the group launches; AWS would accept the version and fail the launches; nothing was changed.`);
    expect(writes(env)).toEqual([]);
  });

  it('refuses when the template sets a CPU core count or more network interfaces than the new type takes, writing nothing', async () => {
    const env = awsLike();
    const { plan, finding } = await plannedRender(env);
    const toType = (plan.params as { toType: string }).toType;
    const lt = templateOf(env, 'acme-render');
    lt.versions[0].data.CpuOptions = { CoreCount: 4, ThreadsPerCore: 2 };
    await expect(rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding)).rejects.toThrow(new RegExp(`the template sets CpuOptions.CoreCount 4, which ${toType.replace('.', '\\.')} does not support`));
    lt.versions[0].data.CpuOptions = undefined;
    lt.versions[0].data.NetworkInterfaces = Array.from({ length: 5 }, (_, i) => ({ DeviceIndex: i }));
    await expect(rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding)).rejects.toThrow(/the template attaches 5 network interfaces; .* takes at most [34]/);
    expect(writes(env)).toEqual([]);
  });

  it('the sandbox fails a refresh whose launches AWS would refuse (CPU options the type does not take), with the reason', async () => {
    const env = awsLike();
    const lt = templateOf(env, 'acme-render');
    const asg = env.clients.withWrites(true).get(AutoScalingClient, REGION);
    const ec2 = env.clients.withWrites(true).get(EC2Client, REGION);
    await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: lt.id, SourceVersion: '1', LaunchTemplateData: { InstanceType: 'c6i.large' as never, CpuOptions: { CoreCount: 4 } } }));
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'acme-render', LaunchTemplate: { LaunchTemplateId: lt.id, Version: '2' } }));
    const { InstanceRefreshId } = await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'acme-render', Preferences: { ScaleInProtectedInstances: 'Ignore', StandbyInstances: 'Ignore' } }));
    await env.sandbox.clock.sleep(61_000);
    const r = (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'acme-render', InstanceRefreshIds: [InstanceRefreshId!] }))).InstanceRefreshes![0];
    expect([r.Status, r.StatusReason]).toEqual(['Failed', 'The specified CPU options are not supported by the instance type c6i.large. Launching EC2 instance failed.']);
    expect(groupsOf(env)['acme-render'].instanceType).toBe('c5.2xlarge');
  });
});

describe('rightsize-launch-template: the instance refresh and alias versions', () => {
  it('sends Ignore for scale-in-protected and standby instances, so the refresh completes instead of failing after an hour', async () => {
    // Prepare: one protected and one standby instance in the group.
    const env = awsLike();
    Object.assign(groupsOf(env)['acme-render'], { protectedInstances: 1, standbyInstances: 1 });
    // Act
    const result = await env.run(policiesFrom(policy('auto', '{ type: rightsize-launch-template, instanceRefresh: true }')));
    await env.sandbox.clock.sleep(61_000 + 4 * 300_000);
    // Assess
    const refreshId = (result.actions[0].after as { instanceRefreshId: string }).instanceRefreshId;
    const asg = env.clients.get(AutoScalingClient, REGION);
    const status = (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'acme-render', InstanceRefreshIds: [refreshId] }))).InstanceRefreshes![0].Status;
    expect(status).toBe('Successful');
    expect((env.sandbox.successfulWrites('StartInstanceRefresh')[0].input as { Preferences: unknown }).Preferences).toEqual({ MinHealthyPercentage: 90, ScaleInProtectedInstances: 'Ignore', StandbyInstances: 'Ignore' });
  });

  it('the sandbox fails a refresh that meets protected instances with the default Wait, after one hour', async () => {
    const env = awsLike();
    Object.assign(groupsOf(env)['acme-render'], { protectedInstances: 1 });
    const asg = env.clients.withWrites(true).get(AutoScalingClient, REGION);
    const { InstanceRefreshId } = await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'acme-render' }));
    const status = async () => (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'acme-render', InstanceRefreshIds: [InstanceRefreshId!] }))).InstanceRefreshes![0].Status;
    await env.sandbox.clock.sleep(60_000 + 59 * 60_000);
    expect(await status()).toBe('InProgress');
    await env.sandbox.clock.sleep(2 * 60_000);
    expect(await status()).toBe('Failed');
  });

  it('a group on $Latest: apply says it now names the version number, and undo deletes that version so $Latest is the old version again', async () => {
    // Prepare
    const env = testEnv('empty', { clock: new VirtualClock(TEST_START), timing: { scale: 1, consistencyMs: 2000 } });
    addLaunchTemplateGroup(env.sandbox, SANDBOX_ACCOUNT, REGION, { name: 'acme-render', ageDays: 60, minSize: 2, maxSize: 8, desiredCapacity: 4, defaultCooldown: 300, cpu: { base: 10, noise: 2 }, inService: { base: 4 }, instanceType: 'c5.2xlarge', version: '$Latest' });
    // Act
    const result = await env.run(policiesFrom(policy()));
    const action = result.actions[0];
    // Assess
    expect(action.status).toBe('verified');
    expect(action.transitions.find((t) => t.status === 'applied')!.detail).toMatch(/The group named \$Latest; it now names version 2 \(undo names \$Latest again\)\./);
    expect((action as unknown as { summary?: string }).summary ?? result.findings[0].plan!.summary).toMatch(/names \$Latest today; it will name the new version by number/);
    const undone = await undoAction(action.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(groupsOf(env)['acme-render'].launchTemplate!.Version).toBe('$Latest');
    expect(templateOf(env, 'acme-render').versions.map((v) => v.number)).toEqual([1]);
    expect(undone.transitions.at(-1)!.detail).toMatch(/Launch template version 2 that trimtab had created was deleted, so \$Latest is version 1 again\./);
  });
});

describe('rightsize-launch-template: the plan is bound to the group and template it was made on', () => {
  it('apply refuses a group tagged trimtab:skip since the plan, writing nothing', async () => {
    const env = awsLike();
    const { plan, finding } = await plannedRender(env);
    groupsOf(env)['acme-render'].tags = { ...groupsOf(env)['acme-render'].tags, 'trimtab:skip': 'incident' };
    await expect(rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding)).rejects.toThrow('acme-render is tagged trimtab:skip; nothing was changed.');
    expect(writes(env)).toEqual([]);
  });

  it('apply refuses when the group was pointed at another launch template since the plan, even one with the same type', async () => {
    const env = awsLike();
    const { plan, finding } = await plannedRender(env);
    expect(plan.params).toMatchObject({ launchTemplateId: templateOf(env, 'acme-render').id, version: '$Default', groupArn: finding.resource.arn });
    const other = templateOf(env, 'acme-busy');
    groupsOf(env)['acme-render'].launchTemplate = { LaunchTemplateId: other.id, LaunchTemplateName: other.name, Version: '$Default' };
    await expect(rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding)).rejects.toThrow(`acme-render launches from launch template ${other.id} now, not ${templateOf(env, 'acme-render').id} as when planned; nothing was changed.`);
    expect(writes(env)).toEqual([]);
  });

  it('apply refuses when the group names another version than when planned, or is another group under the same name', async () => {
    const env = awsLike();
    const { plan, finding } = await plannedRender(env);
    groupsOf(env)['acme-render'].launchTemplate!.Version = '1';
    await expect(rightsizeLaunchTemplate.apply(regionCtx(env), plan, finding)).rejects.toThrow('acme-render names launch template version 1 now, not $Default as when planned; nothing was changed.');
    groupsOf(env)['acme-render'].launchTemplate!.Version = '$Default';
    const replaced = { ...plan, params: { ...(plan.params as object), groupArn: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/acme-render' } } as typeof plan;
    await expect(rightsizeLaunchTemplate.apply(regionCtx(env), replaced, finding)).rejects.toThrow(/acme-render is not the group the plan was made on .*: it was re-created; nothing was changed\./);
    expect(writes(env)).toEqual([]);
  });
});

describe('oversized-group-instances: mixed instances policy', () => {
  it('reports a mixed-instances group with running instances as not actionable at detection', () => {
    // Prepare: as DescribeAutoScalingGroups answers it: a mixed instances policy and instances running c5.2xlarge.
    const raw = {
      AutoScalingGroupName: 'web', AutoScalingGroupARN: 'arn:web', MinSize: 2, MaxSize: 8, DesiredCapacity: 4, DefaultCooldown: 300,
      MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', LaunchTemplateName: 'web-lt', Version: '$Default' }, Overrides: [{ InstanceType: 'c5.2xlarge' }, { InstanceType: 'c5a.2xlarge' }] } },
      Instances: Array.from({ length: 4 }, (_, i) => ({ InstanceId: `i-${i}`, InstanceType: 'c5.2xlarge', LifecycleState: 'InService' as const, AvailabilityZone: 'us-east-1a', HealthStatus: 'Healthy', ProtectedFromScaleIn: false })),
    };
    const g = { ...toGroup(raw as never, REGION), usage: group().usage };
    // Act
    const d = oversizedGroupInstances.detect!(g, options(), { ctx, prepared: {} }) as Finding;
    // Assess
    expect(g.instanceTypeSource).toBe('instances');
    expect(d.status).toBe('protected');
    expect(d.evidence.protection).toMatch(/mixed instances policy/);
  });

  it('on the sandbox, a mixed-instances group with running instances is a protected finding and nothing is written', async () => {
    const env = awsLike();
    groupsOf(env)['acme-render'].mixedInstancesPolicy = { overrides: ['c5.2xlarge', 'c5a.2xlarge'] };
    const result = await env.run(policiesFrom(policy()));
    const finding = result.findings.find((f) => f.resource.id === 'acme-render')!;
    expect([finding.status, finding.evidence.protection]).toEqual(['protected', 'the group has a mixed instances policy: its types come from the policy overrides, not one launch template InstanceType']);
    expect(result.actions.filter((a) => a.resource.id === 'acme-render')).toEqual([]);
    expect(writes(env)).toEqual([]);
  });
});
