/**
 * Scan-scale cases: a sandbox account seeded with many resources of one type, scanned by the
 * policies a daily sweep runs on that type (read-only). Each case reports wall time, calls by
 * operation, calls per 1,000 resources and the minimum the same listing could take
 * (minimum.ts). `runScanCase` runs in a child process (main.ts --case) so its peak RSS is its own.
 */
import { runPolicies, type SweepCheckpoint } from '../engine/run.ts';
import type { CheckpointStore } from '../engine/checkpoint.ts';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { reportStream } from '../report/stream.ts';
import { ASG_NEEDS, windowDaysOf } from '../resources/asg/resource.ts';
import { seedAutoScalingGroups } from '../resources/asg/sandbox-seed.ts';
import { seedCapacityGroups } from '../resources/asg/capacity-seed.ts';
import { seedGeneratedSnapshots, seedSnapshots } from '../resources/ebs-snapshot/sandbox-seed.ts';
import { EC2_NEEDS, isBurstable } from '../resources/ec2-instance/resource.ts';
import { seedInstances } from '../resources/ec2-instance/sandbox-seed.ts';
import { QUERIES_PER_BUCKET } from '../resources/s3-bucket/metrics.ts';
import { S3_NEEDS } from '../resources/s3-bucket/resource.ts';
import { seedBuckets } from '../resources/s3-bucket/sandbox-seed.ts';
import { seedAuroraCluster, seedDbInstance } from '../resources/rds-instance/sandbox-seed.ts';
import { rdsState } from '../sandbox/services/rds.ts';
import { LAMBDA_QUERIES_PER_FUNCTION } from '../resources/lambda-function/resource.ts';
import { seedFunctions } from '../resources/lambda-function/sandbox-seed.ts';
import { appAutoScalingState } from '../sandbox/services/application-auto-scaling.ts';
import { DYNAMO_NEEDS, windowDaysOf as dynamoWindowDays } from '../resources/dynamodb-table/resource.ts';
import { addDynamoTable } from '../resources/dynamodb-table/sandbox-seed.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { SANDBOX_ACCOUNT } from '../sandbox/sandbox.ts';
import { autoscalingState } from '../sandbox/services/autoscaling.ts';
import { ec2State } from '../sandbox/services/ec2.ts';
import { ec2InstancesState } from '../sandbox/services/ec2-instances.ts';
import { rbinState } from '../sandbox/services/rbin.ts';
import { BENCH_NOW, BENCH_REGION, benchDeps, benchSandbox, needsOf, sweepPolicies } from './account.ts';
import { estimatedLambdaS, type FitVerdict } from './fit.ts';
import { getHeapStatistics } from 'node:v8';
import { callsPerThousand, compareCalls, computeOptimizerListing, minimumCalls, perItemOperations, type CallComparison, type CallModel } from './minimum.ts';
import { COMPUTE_OPTIMIZER_TYPES } from '../compute-optimizer/recommendations.ts';
import { computeOptimizerState, setComputeOptimizerEnrollment } from '../sandbox/services/compute-optimizer.ts';

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
  /** CPU time of the scan (user + system), ms: what the function's share of a vCPU scales (fit.ts). */
  cpuMs?: number;
  /** Of cpuMs, the sandbox's answering (Sandbox.answerCpuUs): AWS's work, left out of the function's estimate. */
  sandboxCpuMs?: number;
  /** V8's heap limit in the child, MiB (v8.getHeapStatistics): shows the Lambda cap was in effect. */
  heapLimitMiB?: number;
  /** Whether the case fits the deployed function's memory and timeout (main.ts runs it capped; fit.ts). */
  fit?: FitVerdict;
  /** The capped child did not finish: out of heap, or stopped at the timeout. */
  failed?: 'out-of-memory' | 'timed-out' | 'error';
  /** The operations the minimum counts per item (left out of vsMinimum.withoutPerItem). */
  perItemOperations?: string[];
  /** Run as the sweep runs it (resume mode): where this invocation stopped, for the next one; absent: the case is done. */
  checkpoint?: SweepCheckpoint;
  /** Resume mode, in the parent: one row per invocation (the case's figures are their sums and maxima). */
  invocations?: InvocationFigures[];
}

/** One invocation of a case run through the sweep's checkpoints. */
export interface InvocationFigures {
  wallMs: number;
  cpuMs: number;
  /** Of cpuMs, the sandbox's answering. */
  sandboxCpuMs: number;
  calls: number;
  findings: number;
  peakRssMiB: number;
  scanRssMiB: number;
  estimatedS: number;
  /** The estimate with the sandbox's CPU counted as the function's. */
  estimatedWithSandboxS: number;
  /** The checkpoint it handed on: the unit stopped part-way, and the size of its detectors' saved state. */
  stoppedAt?: string;
  stateChars?: number;
}

/** The detector state of a split unit, one file per SHA-256 (the bench's checkpoint store: one child process per invocation). */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  async put(key: string, chunks: Iterable<string>) {
    const fd = openSync(join(this.dir, `${key}.json`), 'w');
    try {
      for (const chunk of chunks) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }
  async get(key: string) {
    const file = join(this.dir, `${key}.json`);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }
}

/** Resume mode: the run is resumable as the scheduled sweep's (lib/lambda/sweep.ts), from `checkpoint`, its state in `storeDir`. */
export interface CaseResume {
  checkpoint?: SweepCheckpoint;
  storeDir: string;
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

/** S3 reads that AWS answers per bucket only, by the need that asks for them (tags are batched: GetResources). */
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
        listings: [
          { operation: 's3:ListBuckets', items: buckets },
          // Tags of every listed bucket, 100 ARNs a call.
          { operation: 'resourcegroupstaggingapi:GetResources', items: buckets },
        ],
        metricQueries: needs.has(S3_NEEDS.sizes) ? buckets * QUERIES_PER_BUCKET : 0,
        perItem: [
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
    // Opted in to Compute Optimizer: its second opinion is part of what a sweep costs (runScanCase counts its minimum).
    seed: (sandbox) => {
      seedAutoScalingGroups(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, { groups });
      setComputeOptimizerEnrollment(sandbox, SANDBOX_ACCOUNT, 'Active');
    },
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
        // CPU and in-service count per group, hourly over the window.
        metricQueries: needs.has(ASG_NEEDS.usage) ? Object.keys(state.groups).length * 2 : 0,
        metricDatapoints: needs.has(ASG_NEEDS.usage) ? Object.keys(state.groups).length * 2 * windowDaysOf(needs) * 24 : 0,
      };
    },
  };
}

/**
 * Under-provisioned capacity: half the groups sit at their MaxSize above the CPU target (a
 * finding with a MaxSize candidate each), the account is opted in. Compute Optimizer has no
 * opinion on MaxSize, so it is not asked at all.
 */
export function capacityCase(groups: number): ScanCase {
  const pinned = Math.ceil(groups / 2);
  return {
    id: `asg-capacity-${groups}`,
    title: `${groups} Auto Scaling groups, ${pinned} pinned at MaxSize, Compute Optimizer opted in`,
    resource: 'asg',
    resources: groups,
    seed: (sandbox) => seedCapacityGroups(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, groups),
    // Compute Optimizer recommends a group's instance type, never its MaxSize: a MaxSize finding gets
    // `not-applicable` without a call (lib/compute-optimizer/second-opinion.ts), so the minimum has none.
    model: (sandbox, needs) => asgCase(groups).model(sandbox, needs),
  };
}

/** RDS: instances (a tenth stopped, a fifth idle) and Serverless v2 clusters of two instances. */
function rdsCase(instances: number): ScanCase {
  const clusters = Math.max(1, Math.floor(instances / 50));
  return {
    id: `rds-${instances / 1000}k`,
    title: `${instances.toLocaleString('en-US')} DB instances and ${clusters} Aurora Serverless v2 clusters (${clusters * 2} more instances), 14 days of metrics`,
    resource: 'rds-instance',
    resources: instances + clusters,
    seed(sandbox) {
      for (let i = 0; i < instances; i++) {
        const db = seedDbInstance(sandbox, SANDBOX_ACCOUNT, { id: `db-${i}`, dbClass: i % 3 ? 'db.m5.large' : 'db.r5.xlarge', storageType: i % 4 ? 'gp3' : 'gp2', connections: i % 5 ? 10 : 0, cpu: 20, region: BENCH_REGION });
        if (i % 10 === 0) db.status = 'stopped';
      }
      for (let c = 0; c < clusters; c++) {
        seedAuroraCluster(sandbox, SANDBOX_ACCOUNT, { id: `aurora-${c}`, minAcu: 4, maxAcu: 16, capacity: 4, members: [{ id: `aurora-${c}-1`, writer: true, dbClass: 'db.serverless' }, { id: `aurora-${c}-2`, writer: false, dbClass: 'db.serverless' }], region: BENCH_REGION });
      }
    },
    model(sandbox, needs) {
      const state = rdsState(sandbox, sandbox.account(SANDBOX_ACCOUNT), BENCH_REGION);
      const all = Object.values(state.instances);
      const metrics = [...needs].some((n) => n.startsWith('metrics:'));
      const serverless = Object.values(state.clusters).filter((c) => c.minAcu !== undefined).length;
      return {
        listings: [
          { operation: 'rds:DescribeDBInstances', items: all.length },
          { operation: 'rds:DescribeDBClusters', items: Object.keys(state.clusters).length },
        ],
        // Five daily queries per running instance, two per Serverless v2 cluster (stopped instances publish nothing).
        metricQueries: metrics ? all.filter((i) => i.status !== 'stopped').length * 5 + serverless * 2 : 0,
      };
    },
  };
}

/**
 * EC2 instances with the ec2-instance sweep policies (idle, previous generation, right-sizing both
 * ways). The minimum: one DescribeInstances listing, the attached volumes, the distinct types, the
 * unlimited-credit listing, and the metric queries: 3 daily ones per running instance for usage,
 * 6 for right-sizing, 2 more per T-family instance for credits.
 */
export function ec2Case(instances: number): ScanCase {
  return {
    id: `ec2-${instances / 1000}k`,
    title: `${instances} EC2 instances, 14 days of metrics`,
    resource: 'ec2-instance',
    resources: instances,
    seed: (sandbox) => {
      seedInstances(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, { instances });
      setComputeOptimizerEnrollment(sandbox, SANDBOX_ACCOUNT, 'Active');
    },
    model(sandbox, needs) {
      const all = Object.values(ec2InstancesState(sandbox, sandbox.account(SANDBOX_ACCOUNT), BENCH_REGION).instances);
      const running = all.filter((i) => i.state === 'running');
      const burstable = running.filter((i) => isBurstable(i.instanceType)).length;
      const volumes = all.reduce((n, i) => n + i.volumeIds.length, 0);
      return {
        listings: [
          { operation: 'ec2:DescribeInstances', items: all.length },
          ...(needs.has(EC2_NEEDS.volumes) ? [{ operation: 'ec2:DescribeVolumes' as const, items: volumes }] : []),
          ...(needs.has(EC2_NEEDS.instanceStorage) ? [{ operation: 'ec2:DescribeInstanceTypes' as const, items: new Set(all.map((i) => i.instanceType)).size }] : []),
          ...(needs.has(EC2_NEEDS.credits) ? [{ operation: 'ec2:DescribeInstanceCreditSpecifications' as const, items: 0 }] : []),
        ],
        metricQueries:
          (needs.has(EC2_NEEDS.usage) ? running.length * 3 : 0) +
          (needs.has(EC2_NEEDS.utilization) || needs.has(EC2_NEEDS.credits) ? running.length * 6 + (needs.has(EC2_NEEDS.credits) ? burstable * 2 : 0) : 0),
      };
    },
  };
}

/**
 * Lambda functions: every 10th using a fifth of its memory, every 20th with an alias; half with
 * Lambda Insights, half logging REPORT lines. Aliases and provisioned concurrency are read only
 * for the functions a memory detector flags (none here: the savings are under the policies'
 * minimum), so the minimum counts none of them.
 */
export function lambdaCase(functions: number): ScanCase {
  return {
    id: `lambda-${functions / 1000}k`,
    title: `${functions.toLocaleString('en-US')} Lambda functions, 14 days of metrics, half with Lambda Insights`,
    resource: 'lambda-function',
    resources: functions,
    seed: (sandbox) => {
      seedFunctions(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, functions);
      setComputeOptimizerEnrollment(sandbox, SANDBOX_ACCOUNT, 'Active');
    },
    model(_sandbox, needs) {
      const days = [...needs].some((n) => n.startsWith('usage:'));
      const reportLines = Math.ceil(functions / 2);
      const queries = Math.ceil(reportLines / 50);
      return {
        listings: [{ operation: 'lambda:ListFunctions', items: functions }, { operation: 'resourcegroupstaggingapi:GetResources', items: functions }, ...(days ? [{ operation: 'cloudwatchlogs:StartQuery' as const, items: reportLines }] : [])],
        metricQueries: days ? functions * LAMBDA_QUERIES_PER_FUNCTION : 0,
        // At least one GetQueryResults poll per query.
        perItem: days ? [{ operation: 'cloudwatchlogs:GetQueryResults', items: queries }] : [],
      };
    },
  };
}

/**
 * DynamoDB tables: ListTables pages; DescribeTable has no batch form (one call per table:
 * per-item in the minimum); tags come from the Resource Groups Tagging API, 100 tables a
 * GetResources call. Metrics: 6 hourly queries per table over the longest window the policies
 * ask for; GetMetricData also pages at 100,800 datapoints, so a 30-day hourly window costs more
 * calls than the query count alone says.
 */
export function dynamodbCase(tables: number): ScanCase {
  return {
    id: `dynamodb-${tables}`,
    title: `${tables} DynamoDB tables, a tenth with auto scaling, hourly metrics`,
    resource: 'dynamodb-table',
    resources: tables,
    seed(sandbox) {
      for (let n = 0; n < tables; n++) {
        addDynamoTable(sandbox, SANDBOX_ACCOUNT, BENCH_REGION, {
          name: `table-${String(n).padStart(5, '0')}`, ageDays: 90, billingMode: n % 4 ? 'PROVISIONED' : 'PAY_PER_REQUEST', read: 50, write: 20, sizeGb: n % 50 ? 1 : 500,
          reads: { base: n % 7, amplitude: 1, seed: n }, writes: { base: n % 3, seed: n + 1 }, ...(n % 10 === 0 ? { scaling: { read: { min: 5, max: 100, target: 30 } } } : {}),
        });
      }
    },
    model(sandbox, needs) {
      const aas = appAutoScalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), BENCH_REGION);
      return {
        listings: [
          { operation: 'dynamodb:ListTables', items: tables },
          ...(needs.has(DYNAMO_NEEDS.tags) ? [{ operation: 'resourcegroupstaggingapi:GetResources' as const, items: tables }] : []),
          ...(needs.has(DYNAMO_NEEDS.scaling)
            ? [{ operation: 'applicationautoscaling:DescribeScalableTargets' as const, items: aas.targets.length }, { operation: 'applicationautoscaling:DescribeScalingPolicies' as const, items: aas.policies.length }]
            : []),
        ],
        metricQueries: needs.has(DYNAMO_NEEDS.usage) ? tables * 6 : 0,
        metricDatapoints: needs.has(DYNAMO_NEEDS.usage) ? tables * 6 * dynamoWindowDays(needs) * 24 : 0,
        perItem: [{ operation: 'dynamodb:DescribeTable', items: tables }],
      };
    },
  };
}

export const SCAN_CASES: ScanCase[] = [
  ebsCase(1_000), ebsCase(10_000), ebsCase(100_000), ebsCase(1_000_000),
  s3Case(1_000), s3Case(5_000), s3Case(10_000),
  asgCase(500), asgCase(5_000), capacityCase(500),
  rdsCase(1_000), ec2Case(1_000),
  lambdaCase(1_000), lambdaCase(5_000),
  dynamodbCase(500), dynamodbCase(2_000),
];
/** --quick: the small cases only. */
export const QUICK_CASES = ['ebs-1k', 'ebs-10k', 's3-1k', 'asg-500', 'asg-capacity-500', 'rds-1k', 'ec2-1k', 'lambda-1k', 'dynamodb-500'];
/** Minutes, not seconds: only with --million (main.ts). */
export const MILLION_CASES = ['ebs-1000k'];

const mib = (kb: number) => Math.round(kb / 1024);

/** What a case is run against (main.ts passes the scan function's; fit.ts). */
export interface CaseBudget {
  timeoutS: number;
  memoryMb: number;
}

/** Printed (one JSON line) by a child that stopped itself: its estimated time on the function passed the timeout. */
export interface OverBudget {
  id: string;
  overBudget: true;
  estimatedS: number;
  wallMs: number;
  cpuMs: number;
  sandboxCpuMs: number;
  calls: number;
}

/**
 * A case's model with Compute Optimizer's share (lib/bench/minimum.ts computeOptimizerListing): per
 * type whose findings asked it about N resources, ⌈N / 1,000⌉ Get*Recommendations and one
 * GetEnrollmentStatus per account when opted in; one call (learning it is not) otherwise.
 */
function withComputeOptimizer(model: CallModel, sandbox: Sandbox, asked: Map<string, Set<string>>): CallModel {
  const optedIn = computeOptimizerState(sandbox, sandbox.account(SANDBOX_ACCOUNT)).status === 'Active';
  const extra = [...asked].flatMap(([type, arns]) => {
    const operation = `computeoptimizer:${COMPUTE_OPTIMIZER_TYPES[type]?.operation}` as Parameters<typeof computeOptimizerListing>[0];
    return optedIn ? computeOptimizerListing(operation, arns.size) : [{ operation: 'computeoptimizer:GetEnrollmentStatus' as const, items: 1 }];
  });
  // One enrollment read per account, however many types.
  const enrollment = extra.filter((l) => l.operation === 'computeoptimizer:GetEnrollmentStatus').slice(0, 1);
  return { ...model, listings: [...model.listings, ...extra.filter((l) => l.operation !== 'computeoptimizer:GetEnrollmentStatus'), ...enrollment] };
}

/** One case, in this process: seed, scan, count. With a budget, the case stops itself (exit 3) once its estimated function time passes the timeout. */
export async function runScanCase(id: string, latencyMs: number, budget?: CaseBudget, resume?: CaseResume): Promise<ScanResult> {
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
  // The resources whose findings Compute Optimizer is asked about (a comparable candidate), for its minimum.
  const secondOpinions = new Map<string, Set<string>>();
  const write = sink.write.bind(sink);
  sink.write = (f) => {
    const opinion = (f.evidence as { computeOptimizer?: { agreement?: string } }).computeOptimizer;
    if (opinion && opinion.agreement !== 'not-applicable') {
      const arns = secondOpinions.get(f.resource.type) ?? new Set<string>();
      secondOpinions.set(f.resource.type, arns.add(f.resource.arn));
    }
    return write(f);
  };
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  // The function's clock, estimated from this machine's CPU and the calls' latency (fit.ts), not this
  // shared machine's wall clock: a loaded machine must not fail a case a function would finish.
  const estimateNow = (b: CaseBudget) => {
    const cpuNow = process.cpuUsage(cpuStart);
    const cpuMs = (cpuNow.user + cpuNow.system) / 1000;
    const wallMs = performance.now() - start;
    const sandboxCpuMs = sandbox.answerCpuUs / 1000;
    return { cpuMs, wallMs, sandboxCpuMs, estimatedS: estimatedLambdaS(wallMs, cpuMs, b.memoryMb, sandbox.callCount() * latencyMs, sandboxCpuMs) };
  };
  const watchdog = budget
    ? setInterval(() => {
        const { cpuMs, wallMs, sandboxCpuMs, estimatedS } = estimateNow(budget);
        if (estimatedS <= budget.timeoutS) return;
        const over: OverBudget = { id, overBudget: true, estimatedS, wallMs: Math.round(wallMs), cpuMs: Math.round(cpuMs), sandboxCpuMs: Math.round(sandboxCpuMs), calls: sandbox.callCount() };
        process.stdout.write(`${JSON.stringify(over)}\n`, () => process.exit(3));
      }, 500)
    : undefined;
  // Resume mode: the function's remaining time is the timeout less the estimated time so far (the
  // function's clock, as above), so the engine stops a unit after a page as the deployed sweep does.
  const resumeDeps = resume && budget ? { remainingMs: () => budget.timeoutS * 1000 - estimateNow(budget).estimatedS * 1000, checkpoints: new FileCheckpointStore(resume.storeDir) } : {};
  const result = await runPolicies({ policies, forceDryRun: true, sink, ...(resume ? { resumable: { checkpoint: resume.checkpoint } } : {}) }, { ...deps, ...resumeDeps });
  if (watchdog) clearInterval(watchdog);
  sink.finish(result, sandbox.callCount());
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const calls = sandbox.callsByOperation();
  const model = withComputeOptimizer(spec.model(sandbox, needsOf(policies)), sandbox, secondOpinions);
  const vsMinimum = compareCalls(calls, minimumCalls(model), perItemOperations(model));
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
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    sandboxCpuMs: Math.round(sandbox.answerCpuUs / 1000),
    heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 1048576),
    perItemOperations: perItemOperations(model),
    ...(result.checkpoint ? { checkpoint: result.checkpoint } : {}),
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
