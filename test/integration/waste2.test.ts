import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { undoAction } from '../../lib/engine/undo.ts';
import { applyOne } from '../../lib/engine/run.ts';
import { seedInstances } from '../../lib/resources/ec2-instance/sandbox-seed.ts';
import { addNatGateway } from '../../lib/resources/nat-gateway/sandbox-seed.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { ec2InstancesState } from '../../lib/sandbox/services/ec2-instances.ts';
import { stopInstance } from '../../lib/resources/ec2-instance/remediators.ts';
import { VirtualClock } from '../../lib/util/clock.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../lib/util/errors.ts';
import { emptySandbox, envFor, policiesFrom, testEnv } from '../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

const stopPolicy = (mode = 'auto', detector = '') => `
version: 1
policies:
  - id: stop-idle
    resource: ec2-instance
    detector: { type: idle-instance${detector} }
    action: { type: stop-instance }
    mode: ${mode}
    limits: { maxActionsPerRun: 1000, cooldownHours: 0 }
    approval: { approvers: [ops@example.com] }
`;

const instancesOf = (env: ReturnType<typeof testEnv>) => ec2InstancesState(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').instances;
const stoppedIds = (env: ReturnType<typeof testEnv>) => env.sandbox.successfulWrites('StopInstances').flatMap((w) => (w.input as { InstanceIds: string[] }).InstanceIds).sort();

describe('ec2-instance idle-instance and stop-instance on the small-company sandbox', () => {
  it('stops exactly the idle EBS-backed instances outside Auto Scaling groups and never a trap', async () => {
    // Prepare: the idle instances are those the seed names acme-old-jenkins and acme-dev-sandbox-*.
    // Instant transitions: this test reads the raw sandbox states (the timed stopping → stopped path has its own test).
    const env = testEnv('small-company', { clock, kind: true });
    const instances = instancesOf(env);
    const idle = Object.values(instances).filter((i) => /^acme-(old-jenkins|dev-sandbox)/.test(i.tags?.Name ?? '')).map((i) => i.id).sort();
    // Act
    const result = await env.run(stopPolicy());
    // Assess
    expect(stoppedIds(env)).toEqual(idle);
    for (const id of idle) expect(instances[id].state).toBe('stopped');
    const byName = (name: string) => result.findings.find((f) => f.resource.tags.Name === name);
    expect(byName('acme-web-asg-member')!.outcomeDetail).toMatch(/Auto Scaling group acme-web/);
    expect(byName('acme-scratch-cache')!.outcomeDetail).toMatch(/instance-store/);
    // EBS-backed m5d.xlarge: its 150 GB NVMe instance store would be erased by a stop.
    expect(byName('acme-build-cache-nvme')!.status).toBe('protected');
    expect(byName('acme-build-cache-nvme')!.outcomeDetail).toBe('m5d.xlarge has 150 GB of instance-store volumes: stopping erases their data (set allowInstanceStoreLoss to stop it anyway)');
    expect(byName('acme-dr-standby')!.outcomeDetail).toBe('tagged trimtab:skip');
    expect(byName('acme-spot-worker')!.outcomeDetail).toMatch(/spot/);
    expect(byName('acme-new-service')!.outcomeDetail).toMatch(/too little data/);
    expect(byName('acme-api-1')).toBeUndefined(); // busy CPU
    expect(byName('acme-egress-proxy')).toBeUndefined(); // low CPU, heavy network
    for (const trap of ['acme-web-asg-member', 'acme-scratch-cache', 'acme-build-cache-nvme', 'acme-dr-standby', 'acme-spot-worker', 'acme-new-service', 'acme-api-1', 'acme-egress-proxy']) {
      expect(Object.values(instances).find((i) => i.tags?.Name === trap)!.state).toBe('running');
    }
    expect(result.actions.map((a) => a.status)).toEqual(['verified', 'verified']);
    // m5.xlarge $0.192/h × 730 and t3.large $0.0832/h × 730
    expect(result.actions.map((a) => a.estimatedMonthlySavingsUsd).sort()).toEqual([140.16, 60.74].sort());
  });

  it('makes no write in a scan, in dry-run or in approval mode', async () => {
    const env = testEnv('small-company', { clock });
    const scan = await env.run(stopPolicy(), { forceDryRun: true });
    const approval = await env.run(stopPolicy('approval'));
    expect(scan.findings.filter((f) => f.outcome === 'would-apply')).toHaveLength(2);
    expect(approval.summary.awaitingApproval).toBe(2);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('re-checks right before the stop: an instance tagged trimtab:skip since the scan is skipped as protected', async () => {
    // Prepare: someone tags the CI server between the listing and the apply-time read.
    const env = testEnv('small-company', { clock });
    const jenkins = Object.values(instancesOf(env)).find((i) => i.tags?.Name === 'acme-old-jenkins')!;
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'DescribeInstances' && input.InstanceIds?.includes(jenkins.id)) jenkins.tags = { ...jenkins.tags, 'trimtab:skip': 'still needed' };
      return undefined;
    };
    // Act
    const result = await env.run(stopPolicy());
    // Assess
    const finding = result.findings.find((f) => f.resource.id === jenkins.id)!;
    expect(finding.status).toBe('protected');
    expect(finding.outcomeDetail).toContain('now tagged trimtab:skip');
    expect(jenkins.state).toBe('running');
    expect(stoppedIds(env)).not.toContain(jenkins.id);
  });

  it('undo starts the instance again, and refuses once its state changed since', async () => {
    // Prepare: instant transitions (undo while still 'stopping' is refused; the timed path has its own test)
    const env = testEnv('small-company', { clock, kind: true });
    const result = await env.run(stopPolicy());
    const [first, second] = result.actions;
    const instances = instancesOf(env);
    // Act + Assess: a plain undo starts it.
    const undone = await undoAction(first.id, env.deps);
    expect(undone.status).toBe('undone');
    expect(instances[first.resource.id].state).toBe('running');
    expect(env.sandbox.successfulWrites('StartInstances')).toHaveLength(1);
    // Someone terminated the other one: undo refuses and writes nothing.
    instances[second.resource.id].state = 'terminated';
    await expect(undoAction(second.id, env.deps)).rejects.toThrow(UndoRefusedError);
    await expect(undoAction(second.id, env.deps)).rejects.toThrow(/terminated since trimtab stopped it/);
    // Started by a person since: undo refuses too.
    instances[second.resource.id].state = 'running';
    await expect(undoAction(second.id, env.deps)).rejects.toThrow(/running, not stopped as trimtab left it/);
    expect(env.sandbox.successfulWrites('StartInstances')).toHaveLength(1);
  });

  it('counts an instance already stopped at apply time as done, and undo then refuses', async () => {
    const env = testEnv('small-company', { clock });
    const sandboxDev = Object.values(instancesOf(env)).find((i) => i.tags?.Name === 'acme-dev-sandbox-maria')!;
    env.sandbox.faults.failWhen = ({ operation, input }) => {
      if (operation === 'DescribeInstances' && input.InstanceIds?.includes(sandboxDev.id)) sandboxDev.state = 'stopped';
      return undefined;
    };
    const result = await env.run(stopPolicy());
    const action = result.actions.find((a) => a.resource.id === sandboxDev.id)!;
    expect(action.status).toBe('verified');
    expect(action.transitions.find((t) => t.status === 'applied')!.detail).toMatch(/already stopped: counts as done/);
    await expect(undoAction(action.id, env.deps)).rejects.toThrow(/trimtab stopped nothing/);
  });
});

describe('instance-store volumes and AWS-like instance transitions', () => {
  it('stops an instance with instance-store volumes only when the policy allows the loss, through stopping to stopped, and undo waits for stopped', async () => {
    // Prepare: transitions take AWS-like time (stopping 1 min, pending 30 s)
    const time = new VirtualClock('2026-11-01T00:00:00Z');
    const env = testEnv('small-company', { clock: time, timing: { scale: 1, consistencyMs: 2000 } });
    const nvme = Object.values(instancesOf(env)).find((i) => i.tags?.Name === 'acme-build-cache-nvme')!;
    // Act
    const result = await env.run(stopPolicy('auto', ', allowInstanceStoreLoss: true'));
    const action = result.actions.find((a) => a.resource.id === nvme.id)!;
    const stateRightAfter = instancesOf(env)[nvme.id].state;
    const whileStopping = undoAction(action.id, env.deps);
    await expect(whileStopping).rejects.toThrow(/is still stopping after trimtab's stop: try the undo again in a minute or two/);
    time.advance(60_000);
    const undone = await undoAction(action.id, env.deps);
    const stateAfterStart = instancesOf(env)[nvme.id].state;
    // Assess
    expect(action.status).toBe('verified');
    expect(action.verification!.detail).toBe(`${nvme.id} is stopping`);
    expect(stateRightAfter).toBe('stopping');
    expect(undone.status).toBe('undone');
    expect(stateAfterStart).toBe('pending');
    expect(env.sandbox.successfulWrites('StartInstances')).toHaveLength(1);
  });

  it('re-checks the instance type right before the stop and refuses when it has instance-store volumes the finding did not know of', async () => {
    // Prepare: a plan made without instance-storage facts (as an older finding would be)
    const env = testEnv('small-company', { clock });
    const nvme = Object.values(instancesOf(env)).find((i) => i.tags?.Name === 'acme-build-cache-nvme')!;
    const ctx = { account: SANDBOX_ACCOUNT, region: 'us-east-1', clients: env.clients.withWrites(true), now: clock(), clock: env.sandbox.clock, prices: {} as never, log: () => {} };
    const plan = { kind: 'change', summary: '', params: { instanceId: nvme.id, instanceType: 'm5d.xlarge' }, undo: '', hash: 'h' } as never;
    // Act
    const apply = stopInstance.apply(ctx, plan, {} as never);
    // Assess
    await expect(apply).rejects.toThrow(ProtectedResourceError);
    await expect(stopInstance.apply(ctx, plan, {} as never)).rejects.toThrow(/m5d.xlarge has 150 GB of instance-store volumes: stopping erases their data/);
    expect(env.sandbox.callsByOperation()['ec2:DescribeInstanceTypes']).toBe(2);
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(nvme.state).toBe('running');
  });
});

describe('stop-instance is bound to the instance and the state that were approved', () => {
  it('refuses, right before the stop, an approved plan whose instance was started again or resized since the finding, and writes nothing', async () => {
    // Prepare: the scan's findings, as an approval stores them; then one idle instance is stopped and
    // started again (a new LaunchTime: its idle days were measured on an earlier run), another resized.
    const env = testEnv('small-company', { clock, kind: true });
    const [policy] = policiesFrom(stopPolicy('approval'));
    const scan = await env.run([policy], { forceDryRun: true });
    const [first, second] = scan.findings.filter((f) => f.status === 'actionable');
    const instances = instancesOf(env);
    instances[first.resource.id].launchTime = '2026-10-31T23:00:00.000Z';
    instances[second.resource.id].instanceType = 'm5.4xlarge';
    // Act: apply the stored findings directly, as the approval path does (no re-listing).
    const restarted = await applyOne(policy, first, 'ops@example.com', env.deps, 'approval');
    const resized = await applyOne(policy, second, 'ops@example.com', env.deps, 'approval');
    // Assess
    expect(restarted.status).toBe('skipped');
    expect(restarted.error!.message).toMatch(new RegExp(`^${first.resource.id} was launched again at 2026-10-31T23:00:00.000Z since the finding \\(planned on LaunchTime 20\\d\\d-.*\\): the idle days were measured before, so trimtab leaves it alone$`));
    expect(resized.status).toBe('skipped');
    expect(resized.error!.message).toBe(`${second.resource.id} now runs m5.4xlarge, not ${(second.plan!.params as { instanceType: string }).instanceType} as planned: someone changed it since, so trimtab leaves it alone`);
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect([instances[first.resource.id].state, instances[second.resource.id].state]).toEqual(['running', 'running']);
  });
});

describe('instance types AWS will not describe', () => {
  it('asks type by type after InvalidInstanceType, and protects the instance whose type stays unknown', async () => {
    // Prepare: two idle instances, one of a type name DescribeInstanceTypes refuses
    const sandbox = emptySandbox({ clock });
    const { addInstance } = await import('../../lib/resources/ec2-instance/sandbox-seed.ts');
    const idle = { cpu: { base: 2, noise: 1 }, networkIn: { base: 1_500 }, networkOut: { base: 1_000 } };
    addInstance(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-00000000000000001', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 60, tags: {}, ...idle });
    addInstance(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: 'i-00000000000000002', instanceType: 'legacy', rootDeviceType: 'ebs', ageDays: 60, tags: {}, ...idle });
    const env = envFor(sandbox, ['us-east-1']);
    // Act
    const result = await env.run(stopPolicy(), { forceDryRun: true });
    // Assess: one batched call fails, then one call per type
    expect(sandbox.callsByOperation()['ec2:DescribeInstanceTypes']).toBe(3);
    const byId = (id: string) => result.findings.find((f) => f.resource.id === id)!;
    expect(byId('i-00000000000000001').status).toBe('actionable');
    expect(byId('i-00000000000000002').status).toBe('protected');
    expect(byId('i-00000000000000002').outcomeDetail).toBe('DescribeInstanceTypes did not describe legacy, so instance-store volumes (erased by a stop) cannot be ruled out (set allowInstanceStoreLoss to stop it anyway)');
  });
});

describe('report-only: previous generations and idle NAT gateways on the small-company sandbox', () => {
  it('reports previous-generation types and volumes and idle NAT gateways with savings, writing nothing', async () => {
    // Act
    const env = testEnv('small-company', { clock });
    const result = await env.run(`
version: 1
defaults: { mode: auto }
policies:
  - { id: types, resource: ec2-instance, detector: { type: previous-generation-type } }
  - { id: volumes, resource: ec2-instance, detector: { type: previous-generation-volumes } }
  - { id: nat, resource: nat-gateway, detector: { type: idle-nat-gateway } }
`);
    // Assess
    const of = (policy: string) => result.findings.filter((f) => f.policy === policy);
    expect(of('types').map((f) => f.evidence.instanceType).sort()).toEqual(['m4.xlarge', 'r4.large', 't2.medium']);
    expect(of('types').every((f) => f.status === 'report-only')).toBe(true);
    const volumes = of('volumes');
    expect(volumes).toHaveLength(1);
    expect((volumes[0].evidence.volumes as { from: string; to: string }[]).map((v) => `${v.from}→${v.to}`)).toEqual(['io1→io2', 'standard→gp3']);
    const nat = Object.fromEntries(of('nat').map((f) => [f.resource.tags.Name, f]));
    expect(Object.keys(nat).sort()).toEqual(['acme-dr-nat', 'acme-ml-nat', 'acme-staging-nat']); // the busy prod gateway is not flagged
    expect(nat['acme-staging-nat'].status).toBe('report-only');
    expect(nat['acme-staging-nat'].savings.monthlyUsd).toBeCloseTo(32.85, 6);
    expect(nat['acme-dr-nat'].outcomeDetail).toBe('tagged trimtab:skip');
    expect(nat['acme-ml-nat'].outcomeDetail).toMatch(/too little data/);
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(result.errors).toEqual([]);
  });
});

describe('listing cost: list calls and batched metrics, never a call per resource', () => {
  it('scans 500 instances and 300 NAT gateways with one list call each, metric queries in whole GetMetricData calls and one attached-volume listing', async () => {
    // Prepare
    const sandbox = emptySandbox({ clock, pageCap: undefined }); // counts calls at full page size
    seedInstances(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { instances: 500 });
    for (let n = 0; n < 300; n++) {
      addNatGateway(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { id: `nat-${n.toString(16).padStart(17, '0')}`, vpcId: 'vpc-1', subnetId: 'subnet-1', ageDays: 30, tags: {}, bytesOut: { base: n % 2 ? 0 : 1_000_000 }, connections: { base: n % 2 ? 0 : 10 } });
    }
    const env = envFor(sandbox, ['us-east-1']);
    // Act: three instance policies share one listing.
    const result = await env.run(
      `
version: 1
policies:
  - { id: idle, resource: ec2-instance, detector: { type: idle-instance, minIdleDays: 4 }, action: { type: stop-instance } }
  - { id: types, resource: ec2-instance, detector: { type: previous-generation-type } }
  - { id: volumes, resource: ec2-instance, detector: { type: previous-generation-volumes } }
  - { id: nat, resource: nat-gateway, detector: { type: idle-nat-gateway } }
`,
      { forceDryRun: true },
    );
    // Assess: 500 instances = one page of ≤1,000 whose 1,500 queries fill 3 calls of 500 (issue 29 §2);
    // 300 gateways = 2 pages of ≤250; the region's attached volumes in one listing.
    expect(sandbox.callsByOperation()).toEqual({
      'cloudwatch:GetMetricData': 3 + 2,
      'ec2:DescribeInstances': 1,
      // Instance storage per type: the four types of 500 instances in one call for the run.
      'ec2:DescribeInstanceTypes': 1,
      'ec2:DescribeNatGateways': 1,
      'ec2:DescribeVolumes': 1,
    });
    const idle = result.findings.filter((f) => f.policy === 'idle');
    expect(idle).toHaveLength(125); // every 4th instance
    // Protected: the idle ones with an ASG tag (n % 20 = 0: 25), which include the instance-store ones (n % 100 = 0).
    expect(idle.filter((f) => f.status === 'protected')).toHaveLength(25);
    expect(idle.filter((f) => f.status === 'actionable')).toHaveLength(100);
    expect(result.findings.filter((f) => f.policy === 'nat')).toHaveLength(150);
    expect(result.findings.filter((f) => f.policy === 'types')).toHaveLength(125); // every 4th is m4.large
  });
});

describe('trimtab CLI on the sandbox', () => {
  it('run --yes stops an idle instance and undo starts it again', async () => {
    // Prepare: a policy file in auto mode, the real CLI in a child process with its own sandbox file.
    const dir = mkdtempSync(join(tmpdir(), 'trimtab-waste2-'));
    const policies = join(dir, 'p.yml');
    writeFileSync(policies, stopPolicy('auto').replace('limits: { maxActionsPerRun: 1000, cooldownHours: 0 }', 'limits: { maxActionsPerRun: 1, cooldownHours: 0 }'));
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, [resolve('lib/cli/trimtab.mjs'), ...args], {
        env: { PATH: process.env.PATH!, HOME: dir, TRIMTAB_SANDBOX_FILE: join(dir, 'sandbox.json'), TRIMTAB_SANDBOX_HISTORY_FILE: join(dir, 'h.jsonl'), TRIMTAB_HISTORY_FILE: join(dir, 'a.jsonl'), AWS_EC2_METADATA_DISABLED: 'true' },
        timeout: 60_000,
      });
    // Act
    const run = await cli(['run', '--sandbox', '--yes', '--policies', policies, '--output', 'json']);
    const out = JSON.parse(run.stdout);
    const action = out.actions[0];
    const undo = await cli(['undo', action.id, '--sandbox']);
    // Assess
    expect(out.actions).toHaveLength(1);
    expect(action.status).toBe('verified');
    expect(action.action).toBe('stop-instance');
    expect(undo.stdout).toMatch(/Started i-/);
  }, 60_000);
});
