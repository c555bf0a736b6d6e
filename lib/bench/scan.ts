/**
 * Scan-scale cases: a sandbox account seeded with many resources of one type, scanned by the
 * policies a daily sweep runs on that type (read-only). Each case reports wall time, calls by
 * operation, calls per 1,000 resources and the minimum the same listing could take
 * (minimum.ts). `runScanCase` runs in a child process (main.ts --case) so its peak RSS is its own.
 */
import { runPolicies } from '../engine/run.ts';
import { reportStream } from '../report/stream.ts';
import { ASG_NEEDS, windowDaysOf } from '../resources/asg/resource.ts';
import { seedAutoScalingGroups } from '../resources/asg/sandbox-seed.ts';
import { seedGeneratedSnapshots, seedSnapshots } from '../resources/ebs-snapshot/sandbox-seed.ts';
import { QUERIES_PER_BUCKET } from '../resources/s3-bucket/metrics.ts';
import { S3_NEEDS } from '../resources/s3-bucket/resource.ts';
import { seedBuckets } from '../resources/s3-bucket/sandbox-seed.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { SANDBOX_ACCOUNT } from '../sandbox/sandbox.ts';
import { autoscalingState } from '../sandbox/services/autoscaling.ts';
import { ec2State } from '../sandbox/services/ec2.ts';
import { rbinState } from '../sandbox/services/rbin.ts';
import { BENCH_NOW, BENCH_REGION, benchDeps, benchSandbox, needsOf, sweepPolicies } from './account.ts';
import { callsPerThousand, compareCalls, minimumCalls, type CallComparison, type CallModel } from './minimum.ts';

export interface ScanCase {
  id: string;
  title: string;
  resource: string;
  resources: number;
  seed(sandbox: Sandbox): void;
  /** The fewest calls, from the seeded state and the needs of the policies. */
  model(sandbox: Sandbox, needs: Set<string>): CallModel;
}

export interface ScanResult {
  id: string;
  title: string;
  resource: string;
  resources: number;
  latencyMs: number;
  policies: string[];
  wallMs: number;
  seedMs: number;
  calls: Record<string, number>;
  callsPer1000: number;
  vsMinimum: CallComparison;
  /** Every finding of the run (protected included), as the engine counted them. */
  findings: number;
  /** Findings the engine kept in memory (those it acts on; none in a scan). Absent in results from before streaming. */
  retained?: number;
  /** The CSV report the findings streamed into, characters (counted, not stored). */
  reportBytes?: number;
  /** Wall time per 1,000 resources, ms. */
  msPer1k?: number;
  /** Peak RSS of the child process, MiB (includes the sandbox's own copy of the inventory). */
  peakRssMiB: number;
  /** RSS once seeded, before the scan, MiB (code + the sandbox's inventory). */
  seededRssMiB: number;
  /** RSS before seeding, MiB: Node, tsx and the loaded code. */
  startRssMiB: number;
  /** The scan's own footprint: start RSS + (peak − seeded), i.e. without the sandbox's copy of the inventory. */
  scanRssMiB: number;
  errors: string[];
  /** 'bundle': measured on the esbuild bundle (scan-child.ts); absent: under tsx. */
  runtime?: 'bundle';
}

function ebsCase(snapshots: number): ScanCase {
  const amis = Math.max(10, Math.floor(snapshots / 100));
  const volumes = Math.max(1, Math.floor(snapshots / 20));
  return {
    id: `ebs-${snapshots / 1000}k`,
    title: `${snapshots.toLocaleString('en-US')} EBS snapshots, ${amis} AMIs, ${volumes * 2} volumes (half deleted)`,
    resource: 'ebs-snapshot',
    resources: snapshots,
    // Generated on demand (ec2-generated.ts): the sandbox does not hold the inventory, so the child's RSS is the scan's.
    seed: (sandbox) => void seedGeneratedSnapshots(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, { snapshots, amis, volumes }),
    model(sandbox) {
      const ec2 = ec2State(sandbox, sandbox.account(SANDBOX_ACCOUNT), BENCH_REGION);
      // Generated snapshots are never shared; explicit ones (none in a bench case) may be.
      const all = Object.values(ec2.snapshots);
      const listed = all.length + (ec2.generated?.count ?? 0);
      const rules = Object.keys(rbinState(sandbox, sandbox.account(SANDBOX_ACCOUNT), BENCH_REGION).rules).length;
      return {
        listings: [
          { operation: 'ec2:DescribeSnapshots', items: listed },
          // Public snapshots: a filtered listing is the only way to learn createVolumePermission in bulk.
          { operation: 'ec2:DescribeSnapshots', items: all.filter((s) => s.createVolumePermissions?.some((p) => p.group === 'all')).length },
          { operation: 'ec2:DescribeImages', items: Object.keys(ec2.images).length },
          { operation: 'ec2:DescribeVolumes', items: Object.keys(ec2.volumes).length },
          // One unfiltered listing shows every rule.
          { operation: 'rbin:ListRules', items: rules },
        ],
      };
    },
  };
}

/** S3 reads that AWS answers per bucket only, by the need that asks for them (tags are always read). */
const S3_PER_BUCKET: Record<string, string> = {
  [S3_NEEDS.lifecycle]: 's3:GetBucketLifecycleConfiguration',
  [S3_NEEDS.versioning]: 's3:GetBucketVersioning',
  [S3_NEEDS.multipart]: 's3:ListMultipartUploads',
};

function s3Case(buckets: number): ScanCase {
  return {
    id: `s3-${buckets / 1000}k`,
    title: `${buckets.toLocaleString('en-US')} S3 buckets with BucketSizeBytes metrics`,
    resource: 's3-bucket',
    resources: buckets,
    seed: (sandbox) => void seedBuckets(sandbox, SANDBOX_ACCOUNT, { buckets, region: BENCH_REGION }),
    model(_sandbox, needs) {
      return {
        listings: [{ operation: 's3:ListBuckets', items: buckets }],
        metricQueries: needs.has(S3_NEEDS.sizes) ? buckets * QUERIES_PER_BUCKET : 0,
        perItem: [
          { operation: 's3:GetBucketTagging', items: buckets },
          ...Object.entries(S3_PER_BUCKET).filter(([need]) => needs.has(need)).map(([, operation]) => ({ operation, items: buckets })),
        ],
      };
    },
  };
}

function asgCase(groups: number): ScanCase {
  return {
    id: `asg-${groups}`,
    title: `${groups} Auto Scaling groups, 14 days of metrics`,
    resource: 'asg',
    resources: groups,
    seed: (sandbox) => seedAutoScalingGroups(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, { groups }),
    model(sandbox, needs) {
      const state = autoscalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), BENCH_REGION);
      const since = sandbox.now().getTime() - windowDaysOf(needs) * 86_400_000;
      return {
        listings: [
          { operation: 'autoscaling:DescribeAutoScalingGroups', items: Object.keys(state.groups).length },
          ...(needs.has(ASG_NEEDS.policies) ? [{ operation: 'autoscaling:DescribePolicies' as const, items: state.policies.length }] : []),
          ...(needs.has(ASG_NEEDS.activities)
            ? [{ operation: 'autoscaling:DescribeScalingActivities' as const, items: state.activities.filter((a) => Date.parse(a.startTime) >= since).length }]
            : []),
        ],
        // CPU and in-service count per group.
        metricQueries: needs.has(ASG_NEEDS.usage) ? Object.keys(state.groups).length * 2 : 0,
      };
    },
  };
}

export const SCAN_CASES: ScanCase[] = [ebsCase(1_000), ebsCase(10_000), ebsCase(100_000), ebsCase(1_000_000), s3Case(1_000), s3Case(5_000), asgCase(500)];
/** --quick: the small cases only. */
export const QUICK_CASES = ['ebs-1k', 'ebs-10k', 's3-1k', 'asg-500'];
/** Minutes, not seconds: only with --million (main.ts). */
export const MILLION_CASES = ['ebs-1000k'];

const mib = (kb: number) => Math.round(kb / 1024);

/** One case, in this process: seed, scan, count. */
export async function runScanCase(id: string, latencyMs: number): Promise<ScanResult> {
  const spec = SCAN_CASES.find((c) => c.id === id);
  if (!spec) throw new Error(`unknown scan case '${id}'; cases: ${SCAN_CASES.map((c) => c.id).join(', ')}`);
  const startRssMiB = mib(process.memoryUsage.rss() / 1024);
  const sandbox = benchSandbox(0);
  const seedStart = performance.now();
  spec.seed(sandbox);
  const seedMs = performance.now() - seedStart;
  const seededRssMiB = mib(process.memoryUsage.rss() / 1024);
  const policies = sweepPolicies(spec.resource);
  const deps = benchDeps(sandbox);
  sandbox.resetCounters();
  sandbox.latencyMs = latencyMs;
  // The findings stream into a CSV report as a scan with --output csv does (serialised, counted,
  // not stored): the engine keeps none of them, so memory does not grow with the account.
  let reportBytes = 0;
  const sink = reportStream('csv', (text) => void (reportBytes += text.length), { account: SANDBOX_ACCOUNT, regions: [BENCH_REGION], generatedAt: BENCH_NOW, command: 'scan' }, { verbose: true });
  const start = performance.now();
  const result = await runPolicies({ policies, forceDryRun: true, sink }, deps);
  sink.finish(result, sandbox.callCount());
  const wallMs = performance.now() - start;
  const calls = sandbox.callsByOperation();
  const minimum = minimumCalls(spec.model(sandbox, needsOf(policies)));
  const vsMinimum = compareCalls(calls, minimum);
  return {
    id: spec.id,
    title: spec.title,
    resource: spec.resource,
    resources: spec.resources,
    latencyMs,
    policies: policies.map((p) => p.id),
    wallMs: Math.round(wallMs),
    seedMs: Math.round(seedMs),
    calls,
    callsPer1000: callsPerThousand(vsMinimum.actual, spec.resources),
    vsMinimum,
    findings: result.summary.findings + result.summary.protected,
    retained: result.findings.length,
    reportBytes,
    msPer1k: Math.round((wallMs / spec.resources) * 1000 * 10) / 10,
    peakRssMiB: mib(process.resourceUsage().maxRSS),
    seededRssMiB,
    startRssMiB,
    scanRssMiB: startRssMiB + Math.max(0, mib(process.resourceUsage().maxRSS) - seededRssMiB),
    errors: result.errors.map((e) => `${e.resourceType} ${e.region}: ${e.error}`),
  };
}

export interface SweepResult {
  resources: Record<string, number>;
  latencyMs: number;
  wallMs: number;
  calls: number;
  /** Approval-mode policies with actionable findings: each starts one approval execution. */
  approvalExecutions: number;
  peakRssMiB: number;
}

/** The running-cost account: a daily sweep (every scheduled policy, read-only) over 10k snapshots, 1k buckets, 100 groups. */
export async function runSweepCase(latencyMs: number): Promise<SweepResult> {
  const resources = { 'ebs-snapshot': 10_000, 's3-bucket': 1_000, asg: 100 };
  const sandbox = benchSandbox(0);
  seedSnapshots(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, { snapshots: resources['ebs-snapshot'], amis: 100, volumes: 500 });
  seedBuckets(sandbox, SANDBOX_ACCOUNT, { buckets: resources['s3-bucket'], region: BENCH_REGION });
  seedAutoScalingGroups(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, { groups: resources.asg });
  const policies = sweepPolicies();
  sandbox.resetCounters();
  sandbox.latencyMs = latencyMs;
  const start = performance.now();
  const result = await runPolicies({ policies, forceDryRun: true }, benchDeps(sandbox));
  const wallMs = Math.round(performance.now() - start);
  const approvalExecutions = policies.filter((p) => p.mode === 'approval' && result.findings.some((f) => f.policy === p.id && f.status === 'actionable')).length;
  return { resources, latencyMs, wallMs, calls: sandbox.callCount(), approvalExecutions, peakRssMiB: mib(process.resourceUsage().maxRSS) };
}
