/**
 * The EC2 instance part of the sandbox: idle instances to stop, and traps that look idle but
 * must not be stopped (in an Auto Scaling group, instance-store-backed, EBS-backed with
 * instance-store volumes (m5d), spot, tagged
 * trimtab:skip, too new to judge), busy ones (CPU, or network only), previous-generation types
 * and volumes. `seedInstances` generates many for the listing-cost tests.
 */
import { daysAgo, type Sandbox } from '../../sandbox/sandbox.ts';
import { cloudwatchState, type SeriesSpec } from '../../sandbox/services/cloudwatch.ts';
import { ec2State } from '../../sandbox/services/ec2.ts';
import { ec2InstancesState, type SandboxInstance } from '../../sandbox/services/ec2-instances.ts';

type Series = Omit<SeriesSpec, 'resolutionSeconds'> & { resolutionSeconds?: number };

export interface InstanceSeed extends Omit<SandboxInstance, 'reservationId' | 'launchTime' | 'volumeIds' | 'availabilityZone' | 'state'> {
  ageDays: number;
  state?: SandboxInstance['state'];
  /** CPUUtilization, percent. */
  cpu?: Series;
  /** NetworkIn and NetworkOut, bytes per datapoint (5 minutes). */
  networkIn?: Series;
  networkOut?: Series;
  /** CWAgent mem_used_percent (dimension InstanceId); absent: the agent does not publish memory. */
  memory?: Series;
  /** Burstable: CPUCreditBalance and CPUSurplusCreditsCharged. */
  creditBalance?: Series;
  surplusCharged?: Series;
  /** EBS volumes to create and attach (none for instance-store-backed instances). */
  volumes?: { type: string; sizeGb: number }[];
  reservationId?: string;
}

const seedOf = (text: string) => [...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000, 11);

/** Adds one instance with its volumes and CloudWatch series. */
export function addInstance(sandbox: Sandbox, accountId: string, region: string, seed: InstanceSeed): SandboxInstance {
  const account = sandbox.account(accountId);
  const now = sandbox.now();
  const { ageDays, cpu, networkIn, networkOut, memory, creditBalance, surplusCharged, volumes = [{ type: 'gp3', sizeGb: 30 }], reservationId, state = 'running', ...rest } = seed;
  const launchTime = daysAgo(now, ageDays).toISOString();
  const availabilityZone = `${region}a`;
  const ec2 = ec2State(sandbox, account, region);
  // Attached volumes live in the EC2 volume state (in-use), so DescribeVolumes answers for them.
  const volumeIds = (rest.rootDeviceType === 'instance-store' ? [] : volumes).map((v) => {
    const id = sandbox.mintId('vol');
    ec2.volumes[id] = { id, sizeGb: v.sizeGb, volumeType: v.type, state: 'in-use', createTime: launchTime, availabilityZone, tags: { attachedTo: rest.id } };
    return id;
  });
  const instance: SandboxInstance = { ...rest, state, reservationId: reservationId ?? `r-${rest.id.slice(2)}`, launchTime, availabilityZone, volumeIds };
  ec2InstancesState(sandbox, account, region).instances[instance.id] = instance;
  const metrics = cloudwatchState(sandbox, account, region).metrics;
  const dimensions = { InstanceId: instance.id };
  const base = { resolutionSeconds: 300, min: 0, seed: seedOf(instance.id), startsAt: launchTime };
  if (cpu) metrics.push({ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions, series: { ...base, max: 100, ...cpu } });
  if (networkIn) metrics.push({ namespace: 'AWS/EC2', metricName: 'NetworkIn', dimensions, series: { ...base, ...networkIn } });
  if (networkOut) metrics.push({ namespace: 'AWS/EC2', metricName: 'NetworkOut', dimensions, series: { ...base, ...networkOut } });
  if (memory) metrics.push({ namespace: 'CWAgent', metricName: 'mem_used_percent', dimensions, series: { ...base, max: 100, ...memory } });
  if (creditBalance) metrics.push({ namespace: 'AWS/EC2', metricName: 'CPUCreditBalance', dimensions, series: { ...base, ...creditBalance } });
  if (surplusCharged) metrics.push({ namespace: 'AWS/EC2', metricName: 'CPUSurplusCreditsCharged', dimensions, series: { ...base, ...surplusCharged } });
  return instance;
}

/** Idle: ~2% CPU and ~0.7 MB of network a day. */
const IDLE = { cpu: { base: 2, noise: 1 }, networkIn: { base: 1_500, noise: 300 }, networkOut: { base: 1_000, noise: 200 } };
/** Busy: diurnal CPU around 45%. */
const BUSY = { cpu: { base: 45, amplitude: 15, noise: 5 }, networkIn: { base: 3_000_000, noise: 500_000 }, networkOut: { base: 2_000_000, noise: 300_000 } };

export function seedEc2InstancesSmallCompany(sandbox: Sandbox, accountId: string) {
  const region = 'us-east-1';
  const add = (seed: InstanceSeed) => addInstance(sandbox, accountId, region, seed);
  // Waste: a forgotten CI server and a developer's sandbox, idle for weeks. Stop them.
  add({ id: 'i-0a11e0000000000a1', instanceType: 'm5.xlarge', rootDeviceType: 'ebs', ageDays: 400, tags: { Name: 'acme-old-jenkins', team: 'platform' }, ...IDLE, volumes: [{ type: 'gp3', sizeGb: 100 }, { type: 'gp3', sizeGb: 500 }] });
  add({ id: 'i-0a11e0000000000a2', instanceType: 't3.large', rootDeviceType: 'ebs', ageDays: 90, tags: { Name: 'acme-dev-sandbox-maria', team: 'web' }, ...IDLE });
  // Traps: idle, but stopping would be wrong or impossible.
  add({ id: 'i-0a11e0000000000b1', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 60, tags: { Name: 'acme-web-asg-member', 'aws:autoscaling:groupName': 'acme-web' }, ...IDLE });
  add({ id: 'i-0a11e0000000000b2', instanceType: 'c5d.large', rootDeviceType: 'instance-store', ageDays: 200, tags: { Name: 'acme-scratch-cache' }, ...IDLE, volumes: [] });
  add({ id: 'i-0a11e0000000000b3', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 300, tags: { Name: 'acme-dr-standby', 'trimtab:skip': 'warm standby for disaster recovery' }, ...IDLE });
  add({ id: 'i-0a11e0000000000b4', instanceType: 'm5.large', rootDeviceType: 'ebs', lifecycle: 'spot', ageDays: 20, tags: { Name: 'acme-spot-worker' }, ...IDLE });
  add({ id: 'i-0a11e0000000000b5', instanceType: 't3.medium', rootDeviceType: 'ebs', ageDays: 3, tags: { Name: 'acme-new-service' }, ...IDLE });
  // EBS-backed, but its type has a 150 GB NVMe instance store (a build cache): stopping erases it.
  add({ id: 'i-0a11e0000000000b6', instanceType: 'm5d.xlarge', rootDeviceType: 'ebs', ageDays: 120, tags: { Name: 'acme-build-cache-nvme' }, ...IDLE });
  // Busy: real CPU load; and a proxy with low CPU but heavy network (not idle by TA's test).
  add({ id: 'i-0a11e0000000000c1', instanceType: 'm5.large', rootDeviceType: 'ebs', ageDays: 500, tags: { Name: 'acme-api-1', team: 'api' }, ...BUSY });
  add({ id: 'i-0a11e0000000000c2', instanceType: 't3.small', rootDeviceType: 'ebs', ageDays: 500, tags: { Name: 'acme-egress-proxy', team: 'platform' }, cpu: { base: 3, noise: 1 }, networkIn: { base: 20_000_000 }, networkOut: { base: 20_000_000 } });
  // Previous generation: busy m4, t2 and r4 (with io1 and magnetic volumes); a stopped c4 (no compute bill).
  add({ id: 'i-0a11e0000000000d1', instanceType: 'm4.xlarge', rootDeviceType: 'ebs', ageDays: 1500, tags: { Name: 'acme-billing', team: 'finance' }, ...BUSY });
  add({ id: 'i-0a11e0000000000d2', instanceType: 't2.medium', rootDeviceType: 'ebs', ageDays: 1200, tags: { Name: 'acme-bastion', team: 'ops' }, cpu: { base: 15, noise: 3 }, networkIn: { base: 500_000 }, networkOut: { base: 500_000 } });
  add({
    id: 'i-0a11e0000000000d3', instanceType: 'r4.large', rootDeviceType: 'ebs', ageDays: 1400, tags: { Name: 'acme-legacy-db', team: 'data' }, ...BUSY,
    volumes: [{ type: 'gp2', sizeGb: 50 }, { type: 'io1', sizeGb: 500 }, { type: 'standard', sizeGb: 200 }],
  });
  add({ id: 'i-0a11e0000000000d4', instanceType: 'c4.large', rootDeviceType: 'ebs', state: 'stopped', ageDays: 900, tags: { Name: 'acme-old-build-agent' } });
  seedRightsizing(add);
}

/** Quiet but not idle: ~6% CPU, ~1.5 MB of network per 5 minutes (hundreds of MB a day). */
const QUIET = { cpu: { base: 6, noise: 2 }, networkIn: { base: 1_500_000, noise: 200_000 }, networkOut: { base: 1_000_000, noise: 200_000 } };
const LOW_MEMORY = { memory: { base: 16, noise: 3 } };

/**
 * Right-sizing (issue 19): an oversized m5.2xlarge with agent memory data (→ m6i.large), a
 * saturated c5.large (→ the next size up), and the traps: an oversized member of an Auto
 * Scaling group, an oversized m5d (instance store), a t3.large held at its baseline with no
 * credits left (looks quiet; must not shrink, it is undersized), an arm64 m6g.2xlarge (its
 * candidate stays arm64), and a memory-unknown m5.xlarge (memory never shrinks).
 */
function seedRightsizing(add: (seed: InstanceSeed) => SandboxInstance) {
  add({ id: 'i-0a11e00000000e001', instanceType: 'm5.2xlarge', rootDeviceType: 'ebs', ageDays: 300, tags: { Name: 'acme-reporting', team: 'data' }, ...QUIET, ...LOW_MEMORY });
  add({ id: 'i-0a11e00000000e002', instanceType: 'c5.large', rootDeviceType: 'ebs', ageDays: 300, tags: { Name: 'acme-image-resizer', team: 'web' }, cpu: { base: 94, noise: 4 }, networkIn: { base: 3_000_000 }, networkOut: { base: 3_000_000 }, memory: { base: 55, noise: 5 } });
  add({ id: 'i-0a11e00000000e003', instanceType: 'm5.2xlarge', rootDeviceType: 'ebs', ageDays: 120, tags: { Name: 'acme-batch-asg-member', 'aws:autoscaling:groupName': 'acme-batch' }, ...QUIET, ...LOW_MEMORY });
  add({ id: 'i-0a11e00000000e004', instanceType: 'm5d.2xlarge', rootDeviceType: 'ebs', ageDays: 200, tags: { Name: 'acme-render-scratch' }, ...QUIET, ...LOW_MEMORY });
  add({
    id: 'i-0a11e00000000e005', instanceType: 't3.large', rootDeviceType: 'ebs', cpuCredits: 'standard', ageDays: 200, tags: { Name: 'acme-queue-worker', team: 'api' },
    cpu: { base: 29.5, noise: 0.4 }, networkIn: { base: 800_000 }, networkOut: { base: 600_000 }, memory: { base: 20, noise: 2 }, creditBalance: { base: 0 },
  });
  add({ id: 'i-0a11e00000000e006', instanceType: 'm6g.2xlarge', rootDeviceType: 'ebs', architecture: 'arm64', ageDays: 300, tags: { Name: 'acme-search-arm', team: 'search' }, ...QUIET, ...LOW_MEMORY });
  add({ id: 'i-0a11e00000000e007', instanceType: 'm5.xlarge', rootDeviceType: 'ebs', ageDays: 300, tags: { Name: 'acme-legacy-cron', team: 'ops' }, ...QUIET });
}

/**
 * Many instances for the listing-cost tests: every 4th idle, every 10th in an Auto Scaling
 * group, every 25th instance-store-backed. Hourly series keep GetMetricData cheap. Deterministic.
 */
export function seedInstances(sandbox: Sandbox, accountId: string, region: string, options: { instances: number }) {
  const hourly = (s: Series): Series => ({ ...s, resolutionSeconds: 3600, base: (s.base ?? 0) * 12 });
  for (let n = 0; n < options.instances; n++) {
    const idle = n % 4 === 0;
    const shape = idle ? IDLE : BUSY;
    addInstance(sandbox, accountId, region, {
      id: `i-${n.toString(16).padStart(17, '0')}`,
      instanceType: ['m5.large', 't3.medium', 'm4.large', 'c5.large'][n % 4],
      rootDeviceType: n % 25 === 0 ? 'instance-store' : 'ebs',
      ageDays: 100,
      reservationId: `r-${Math.floor(n / 3).toString(16).padStart(17, '0')}`,
      tags: { bench: 'true', ...(n % 10 === 0 ? { 'aws:autoscaling:groupName': 'bench-asg' } : {}) },
      cpu: { ...shape.cpu, resolutionSeconds: 3600 },
      networkIn: hourly(shape.networkIn),
      networkOut: hourly(shape.networkOut),
      volumes: n % 25 === 0 ? [] : [{ type: 'gp3', sizeGb: 20 }],
    });
  }
}
