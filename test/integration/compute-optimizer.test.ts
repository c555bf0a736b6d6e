import { describe, expect, it } from 'vitest';
import { ComputeOptimizerClient, GetEBSVolumeRecommendationsCommand, GetEC2InstanceRecommendationsCommand, OptInRequiredException, PutRecommendationPreferencesCommand } from '@aws-sdk/client-compute-optimizer';
import type { SecondOpinion } from '../../lib/compute-optimizer/second-opinion.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { setComputeOptimizerEnrollment, setSavingsEstimationMode } from '../../lib/sandbox/services/compute-optimizer.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { testEnv } from '../helpers.ts';

const START = new Date('2026-11-01T00:00:00Z');

const POLICIES = (extra = '') => `
policies:
  - id: asg-max
    resource: asg
    detector: { type: under-provisioned-at-max }
    action: { type: raise-max-size }
    mode: auto${extra}
  - id: asg-type
    resource: asg
    detector: { type: oversized-group-instances }
    action: { type: rightsize-launch-template }
    mode: auto${extra}
  - id: ebs-raise
    resource: ebs-volume
    detector: { type: volume-at-ceiling }
    action: { type: raise-volume-performance }
    mode: auto${extra}
`;

function envWithNames(options: { pageCap?: number } = {}) {
  const env = testEnv('small-company', { clock: () => START, regions: ['us-east-1'], ...('pageCap' in options ? { pageCap: options.pageCap } : {}) });
  const volumes = ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes;
  const name = (id: string) => volumes[id]?.tags?.Name ?? id;
  return { env, name };
}
const opinion = (f: { evidence: Record<string, unknown> }) => f.evidence.computeOptimizer as SecondOpinion | undefined;

describe('Compute Optimizer as a second opinion', () => {
  it('attaches the recommendation, agrees where both raise, and shows both where it disagrees', async () => {
    // Prepare
    const { env, name } = envWithNames();

    // Act
    const result = await env.run(POLICIES(), { forceDryRun: true });

    // Assess
    const by = Object.fromEntries(result.findings.map((f) => [name(f.resource.id), f]));
    // Compute Optimizer recommends a group's instance type, never its MaxSize: no opinion on the raise.
    expect(opinion(by['acme-checkout'])).toEqual({ agreement: 'not-applicable', candidate: 8, why: 'Compute Optimizer recommends only the instance type for asg resources, not the value proposed' });
    // A group's instance type is compared with Compute Optimizer's (here both lower it, to different types).
    expect(opinion(by['acme-render'])).toEqual({ agreement: 'disagrees', candidate: 'r6i.large', finding: 'Overprovisioned', current: 'c5.2xlarge', recommended: 'c5.xlarge' });
    expect(opinion(by['orders-db data'])).toMatchObject({ agreement: 'agrees', candidate: 4500, finding: 'NotOptimized', current: 3000, recommended: 4700 });
    expect(opinion(by['media-transcode scratch'])).toMatchObject({ agreement: 'disagrees', candidate: 3000, finding: 'Optimized', current: 3000, recommended: 3000 });
    expect(by['media-transcode scratch'].reason).toContain('Compute Optimizer disagrees: it recommends baseline IOPS 3000 (Optimized, now 3000); trimtab proposes 3,000 IOPS, 188 MiB/s.');
    // Not required: a disagreement is shown, the finding stays actionable.
    expect(by['media-transcode scratch']).toMatchObject({ status: 'actionable', outcome: 'would-apply' });
  });

  it('calls Compute Optimizer once per resource type with findings, and never for findings without a candidate', async () => {
    // Prepare
    const { env } = envWithNames({ pageCap: undefined });

    // Act
    await env.run(POLICIES(), { forceDryRun: true });
    const calls = env.sandbox.callsByOperation();
    env.sandbox.resetCounters();
    await env.run(`policies:\n  - id: gp3\n    resource: ebs-volume\n    detector: { type: gp2-to-gp3 }\n    action: { type: modify-to-gp3 }\n`, { forceDryRun: true });

    // Assess
    expect(calls['computeoptimizer:GetEnrollmentStatus']).toBe(1);
    expect(calls['computeoptimizer:GetAutoScalingGroupRecommendations']).toBe(1);
    expect(calls['computeoptimizer:GetEBSVolumeRecommendations']).toBe(1);
    expect(Object.keys(env.sandbox.callsByOperation()).filter((k) => k.startsWith('computeoptimizer:'))).toEqual([]);
  });

  it('follows nextToken when Compute Optimizer pages its answer', async () => {
    const { env, name } = envWithNames({ pageCap: 1 });
    const result = await env.run(POLICIES(), { forceDryRun: true });
    expect(env.sandbox.callsByOperation()['computeoptimizer:GetEBSVolumeRecommendations']).toBe(2);
    expect(result.findings.filter((f) => f.resource.type === 'ebs-volume').map((f) => [name(f.resource.id), opinion(f)?.agreement]).sort()).toEqual([
      ['media-transcode scratch', 'disagrees'],
      ['orders-db data', 'agrees'],
    ]);
  });

  it('with requireComputeOptimizer, acts only where Compute Optimizer agrees', async () => {
    // Prepare
    const { env, name } = envWithNames();

    // Act
    const result = await env.run(POLICIES('\n    requireComputeOptimizer: true'));

    // Assess
    const by = Object.fromEntries(result.findings.map((f) => [name(f.resource.id), f]));
    expect(by['media-transcode scratch']).toMatchObject({ status: 'conflict', outcomeDetail: expect.stringContaining('requireComputeOptimizer: Compute Optimizer recommends baseline IOPS 3000 (Optimized)') });
    expect(by['media-transcode scratch'].plan).toBeUndefined();
    expect(by['acme-checkout']).toMatchObject({ status: 'conflict', outcomeDetail: expect.stringContaining('requireComputeOptimizer: Compute Optimizer recommends only the instance type for asg resources') });
    expect(by['acme-render']).toMatchObject({ status: 'conflict', outcomeDetail: 'requireComputeOptimizer: Compute Optimizer recommends instance type c5.xlarge (Overprovisioned), trimtab r6i.large; not acted on.' });
    expect(result.actions.map((a) => [name(a.resource.id), a.status]).sort()).toEqual([['orders-db data', 'verified']]);
    const media = Object.values(ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes).find((v) => v.tags?.Name === 'media-transcode scratch')!;
    expect(media.throughput).toBe(125);
  });

  it('says once that the account is not opted in, carries on, and a requiring policy acts on nothing', async () => {
    // Prepare
    const { env } = envWithNames({ pageCap: undefined });
    setComputeOptimizerEnrollment(env.sandbox, SANDBOX_ACCOUNT, 'Inactive');
    const logged: string[] = [];
    env.deps.log = (message) => void logged.push(message);

    // Act
    const open = await env.run(POLICIES(), { forceDryRun: true });
    const strict = await env.run(POLICIES('\n    requireComputeOptimizer: true'));

    // Assess
    expect(open.findings.filter((f) => f.status === 'actionable')).toHaveLength(4);
    expect(open.findings.map((f) => [f.resource.id, opinion(f)?.agreement]).sort()).toEqual([
      ['acme-checkout', 'not-applicable'],
      ['acme-render', 'missing'],
      ...open.findings.filter((f) => f.resource.type === 'ebs-volume').map((f) => [f.resource.id, 'missing']),
    ].sort());
    expect(opinion(open.findings.find((f) => f.resource.id === 'acme-render')!)!.why).toBe('not opted in (GetEnrollmentStatus: Inactive)');
    expect(logged.filter((m) => m.includes('not opted in'))).toHaveLength(2); // once per run
    expect(strict.findings.every((f) => f.status === 'conflict')).toBe(true);
    expect(strict.actions).toEqual([]);
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(env.sandbox.callsByOperation()['computeoptimizer:GetEBSVolumeRecommendations']).toBeUndefined();
  });

  it("puts Compute Optimizer's after-discounts figure beside the list price only when the account's savings estimation mode is AfterDiscounts", async () => {
    // Prepare: the same account twice, mode off and mode on (its discounts take 30 % off list)
    const off = envWithNames();
    const on = envWithNames();
    setSavingsEstimationMode(on.env.sandbox, SANDBOX_ACCOUNT, 'AfterDiscounts', 0.3);

    // Act
    const before = await off.env.run(POLICIES(), { forceDryRun: true });
    const after = await on.env.run(POLICIES(), { forceDryRun: true });

    // Assess: gp3 3,000 → 4,700 IOPS costs 1,700 × $0.005 = $8.50 at list, $5.95 after 30 % off;
    // that is Compute Optimizer's own option (trimtab proposes 4,500), so it is labelled not comparable.
    const data = (r: typeof after) => r.findings.find((f) => on.name(f.resource.id) === 'orders-db data')!;
    expect(opinion(data(after))!.afterDiscounts).toEqual({ monthly: -5.95, currency: 'USD', option: 4700, forProposal: false, listMonthly: -8.5 });
    expect(data(after).savings.monthlyUsd).toBe(-7.5);
    expect(data(after).savings.basis).toContain(
      `list price -$7.50/month (trimtab, the figure findings are ranked and approved on); Compute Optimizer's after-discounts figure -$5.95/month is for its own recommendation (baseline IOPS 4700), not for trimtab's proposal, so the two are not comparable.`,
    );
    expect(data(after).savings.monthlyUsd).toBe(data(before).savings.monthlyUsd);
    expect(opinion(data(before))!.afterDiscounts).toBeUndefined();
    expect(before.findings.flatMap((f) => f.savings.basis).filter((b) => b.includes('after'))).toEqual([]);
  });

  it('answers PutRecommendationPreferences with InvalidParameterValueException for an unknown savings estimation mode', async () => {
    const { env } = envWithNames();
    const client = env.clients.withWrites(true).get(ComputeOptimizerClient, 'us-east-1');
    await expect(client.send(new PutRecommendationPreferencesCommand({ resourceType: 'Ec2Instance', savingsEstimationMode: 'Sometimes' as never }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await client.send(new PutRecommendationPreferencesCommand({ resourceType: 'Ec2Instance', savingsEstimationMode: 'AfterDiscounts' }));
    const rec = await client.send(new GetEBSVolumeRecommendationsCommand({ volumeArns: Object.keys(ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes).map((id) => `arn:aws:ec2:us-east-1:${SANDBOX_ACCOUNT}:volume/${id}`) }));
    expect(new Set(rec.volumeRecommendations!.map((r) => r.effectiveRecommendationPreferences?.savingsEstimationMode?.source))).toEqual(new Set(['CostOptimizationHub']));
  });

  it('answers a not-opted-in account with OptInRequiredException on the wire', async () => {
    const { env } = envWithNames();
    setComputeOptimizerEnrollment(env.sandbox, SANDBOX_ACCOUNT, 'Inactive');
    const client = env.clients.get(ComputeOptimizerClient, 'us-east-1');
    await expect(client.send(new GetEBSVolumeRecommendationsCommand({ volumeArns: ['arn:aws:ec2:us-east-1:123456789012:volume/vol-1'] }))).rejects.toBeInstanceOf(OptInRequiredException);
  });

  it("answers the form without ARNs with the region's recommendations page by page, and maxResults above 1,000 with InvalidParameterValueException", async () => {
    // Prepare
    const { env } = envWithNames();
    const client = env.clients.get(ComputeOptimizerClient, 'us-east-1');
    const byArn = await client.send(new GetEBSVolumeRecommendationsCommand({ volumeArns: Object.keys(ec2State(env.sandbox, env.sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').volumes).map((id) => `arn:aws:ec2:us-east-1:${SANDBOX_ACCOUNT}:volume/${id}`) }));

    // Act
    const first = await client.send(new GetEBSVolumeRecommendationsCommand({ maxResults: 1 }));
    const second = await client.send(new GetEBSVolumeRecommendationsCommand({ maxResults: 1000, nextToken: first.nextToken }));

    // Assess
    const arns = (r: { volumeRecommendations?: { volumeArn?: string }[] }) => (r.volumeRecommendations ?? []).map((v) => v.volumeArn);
    expect(arns(byArn)).toHaveLength(4);
    expect(first.volumeRecommendations).toHaveLength(1);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.nextToken).toBeUndefined();
    expect([...arns(first), ...arns(second)].sort()).toEqual(arns(byArn).sort());
    await expect(client.send(new GetEC2InstanceRecommendationsCommand({ maxResults: 1001 }))).rejects.toMatchObject({ name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new GetEBSVolumeRecommendationsCommand({ maxResults: -1 }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });

  it('answers an ARN of another account, region or partition with no recommendation, even with the id of one of the caller volumes', async () => {
    // Prepare: the ARN of one of the caller's volumes, and the same volume id under another account, region and partition
    const { env } = envWithNames();
    const client = env.clients.get(ComputeOptimizerClient, 'us-east-1');
    const own = (await client.send(new GetEBSVolumeRecommendationsCommand({}))).volumeRecommendations![0].volumeArn!;
    const id = own.split('/').pop();
    const foreign = [`arn:aws:ec2:us-east-1:210987654321:volume/${id}`, `arn:aws:ec2:eu-west-1:${SANDBOX_ACCOUNT}:volume/${id}`, `arn:aws-cn:ec2:us-east-1:${SANDBOX_ACCOUNT}:volume/${id}`];

    // Act
    const answer = await client.send(new GetEBSVolumeRecommendationsCommand({ volumeArns: [...foreign, own] }));

    // Assess: only the caller's own ARN is answered
    expect((answer.volumeRecommendations ?? []).map((v) => v.volumeArn)).toEqual([own]);
  });
});
