import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ComputeOptimizerClient,
  GetAutoScalingGroupRecommendationsCommand,
  GetEC2InstanceRecommendationsCommand,
  GetEnrollmentStatusCommand,
  GetLambdaFunctionRecommendationsCommand,
  OptInRequiredException,
} from '@aws-sdk/client-compute-optimizer';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { ARNS_PER_CALL, computeOptimizerPermissions, recommendationsFor } from '../../../lib/compute-optimizer/recommendations.ts';
import { attachSecondOpinion, compare, newSecondOpinionRun } from '../../../lib/compute-optimizer/second-opinion.ts';
import type { Finding } from '../../../lib/engine/types.ts';
import type { Policy } from '../../../lib/policy/load.ts';

const co = mockClient(ComputeOptimizerClient);
afterEach(() => co.reset());
// The suite shares one module graph per worker (vitest.config.ts): uninstall the mock so later files
// in this worker send to the sandbox again.
afterAll(() => co.restore());

const clients = () => new AwsClients({ allowWrites: false, writePacing: false });
const arn = (i: number) => `arn:aws:ec2:us-east-1:123456789012:instance/i-${String(i).padStart(17, '0')}`;

function finding(i: number, candidate: string | number | undefined, policy = 'p'): Finding {
  return {
    id: `f${i}`, policy, detector: 'oversized-instance', mode: 'dry-run', status: 'actionable', reason: 'Oversized.',
    resource: { type: 'ec2-instance', id: `i-${i}`, arn: arn(i), account: '123456789012', region: 'us-east-1', tags: {} },
    evidence: candidate === undefined ? {} : { candidate }, savings: { monthlyUsd: 10, basis: [] },
  };
}
const policy = (id: string, requireComputeOptimizer?: boolean) => ({ id, resource: 'ec2-instance', requireComputeOptimizer }) as unknown as Policy;
const ctx = (c: AwsClients) => ({ account: '123456789012', region: 'us-east-1', clients: c });

describe('compare', () => {
  it('agrees on the same instance type and disagrees on another', () => {
    expect(compare('m5.large', { arn: 'a', finding: 'Overprovisioned', current: 'm5.xlarge', recommended: 'm5.large', options: [] })).toBe('agrees');
    expect(compare('m5.large', { arn: 'a', finding: 'Overprovisioned', current: 'm5.xlarge', recommended: 't3.large', options: [] })).toBe('disagrees');
  });

  it('agrees on numbers that move the same way from the current value', () => {
    expect(compare(8, { arn: 'a', finding: 'Underprovisioned', current: 6, recommended: 9, options: [] })).toBe('agrees');
    expect(compare(1024, { arn: 'a', finding: 'NotOptimized', current: 2048, recommended: 512, options: [] })).toBe('agrees');
    expect(compare(8, { arn: 'a', finding: 'Optimized', current: 6, recommended: 6, options: [] })).toBe('disagrees');
    expect(compare(8, { arn: 'a', finding: 'Overprovisioned', current: 6, recommended: 4, options: [] })).toBe('disagrees');
  });

  it('is missing without a recommendation', () => {
    expect(compare(8, undefined)).toBe('missing');
  });
});

describe('recommendationsFor', () => {
  it('sends at most ARNS_PER_CALL ARNs a call, follows nextToken, and keeps the rank-1 option', async () => {
    // Prepare: 150 ARNs → 2 batches; the first answers in two pages
    co.on(GetEC2InstanceRecommendationsCommand)
      .resolvesOnce({ instanceRecommendations: [{ instanceArn: arn(0), currentInstanceType: 'm5.xlarge', finding: 'Overprovisioned', recommendationOptions: [{ instanceType: 't3.large', rank: 2 }, { instanceType: 'm5.large', rank: 1 }] }], nextToken: 't1' })
      .resolvesOnce({ instanceRecommendations: [{ instanceArn: arn(1), currentInstanceType: 'm5.large', finding: 'Optimized', recommendationOptions: [{ instanceType: 'm5.large', rank: 1 }] }] })
      .resolves({ instanceRecommendations: [] });

    // Act
    const recs = await recommendationsFor(clients(), 'us-east-1', 'ec2-instance', Array.from({ length: 150 }, (_, i) => arn(i)));

    // Assess
    const calls = co.commandCalls(GetEC2InstanceRecommendationsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.instanceArns!.length, c.nextToken])).toEqual([[ARNS_PER_CALL, undefined], [ARNS_PER_CALL, 't1'], [50, undefined]]);
    expect(recs.get(arn(0))).toEqual({ arn: arn(0), finding: 'Overprovisioned', current: 'm5.xlarge', recommended: 'm5.large', options: ['m5.large', 't3.large'] });
  });

  it("matches Lambda recommendations for $LATEST to the function's ARN", async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:orders';
    co.on(GetLambdaFunctionRecommendationsCommand).resolves({ lambdaFunctionRecommendations: [{ functionArn: `${fn}:$LATEST`, currentMemorySize: 2048, finding: 'NotOptimized', memorySizeRecommendationOptions: [{ memorySize: 1024, rank: 1 }] }] });
    const recs = await recommendationsFor(clients(), 'us-east-1', 'lambda-function', [fn]);
    expect(recs.get(fn)).toMatchObject({ current: 2048, recommended: 1024 });
  });

  it('declares the IAM actions per resource type', () => {
    expect(computeOptimizerPermissions('asg')).toEqual(['compute-optimizer:GetEnrollmentStatus', 'compute-optimizer:GetAutoScalingGroupRecommendations']);
    expect(computeOptimizerPermissions('s3-bucket')).toEqual([]);
  });
});

const groupArn = (name: string) => `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0a1b2c3d-0000-4000-8000-000000000000:autoScalingGroupName/${name}`;
function groupFinding(name: string, candidate: string | number, policyId: string, detector: string): Finding {
  return {
    id: `f-${name}-${detector}`, policy: policyId, detector, mode: 'dry-run', status: 'actionable', reason: 'Group.',
    resource: { type: 'asg', id: name, arn: groupArn(name), account: '123456789012', region: 'us-east-1', tags: {} },
    evidence: { candidate }, savings: { monthlyUsd: 10, basis: [] },
  };
}

describe('Compute Optimizer for Auto Scaling groups', () => {
  it("reduces a group recommendation to its instance type (recommendationOptions[].configuration.instanceType), not its MaxSize", async () => {
    // Prepare: the option repeats the group's sizes and recommends a type.
    co.on(GetAutoScalingGroupRecommendationsCommand).resolves({
      autoScalingGroupRecommendations: [{
        autoScalingGroupArn: groupArn('render'), finding: 'Overprovisioned',
        currentConfiguration: { desiredCapacity: 4, minSize: 2, maxSize: 8, instanceType: 'c5.2xlarge' },
        recommendationOptions: [
          { configuration: { desiredCapacity: 4, minSize: 2, maxSize: 8, instanceType: 'm5.xlarge' }, rank: 2 },
          { configuration: { desiredCapacity: 4, minSize: 2, maxSize: 8, instanceType: 'c5.xlarge' }, rank: 1 },
        ],
      }],
    });
    // Act
    const recs = await recommendationsFor(clients(), 'us-east-1', 'asg', [groupArn('render')]);
    // Assess
    expect(recs.get(groupArn('render'))).toEqual({ arn: groupArn('render'), finding: 'Overprovisioned', current: 'c5.2xlarge', recommended: 'c5.xlarge', instanceType: 'c5.xlarge', options: ['c5.xlarge', 'm5.xlarge'] });
  });

  it('agrees with oversized-group-instances on the same type, and says a MaxSize finding has no opinion (a conflict only where the policy requires one)', async () => {
    // Prepare
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetAutoScalingGroupRecommendationsCommand).resolves({
      autoScalingGroupRecommendations: [{
        autoScalingGroupArn: groupArn('render'), finding: 'Overprovisioned',
        currentConfiguration: { desiredCapacity: 4, minSize: 2, maxSize: 8, instanceType: 'c5.2xlarge' },
        recommendationOptions: [{ configuration: { desiredCapacity: 4, minSize: 2, maxSize: 8, instanceType: 'c5.xlarge' }, rank: 1 }],
      }],
    });
    const rightsize = groupFinding('render', 'c5.xlarge', 'strict-type', 'oversized-group-instances');
    const capacity = groupFinding('checkout', 8, 'open-max', 'under-provisioned-at-max');
    const strictCapacity = groupFinding('orders', 6, 'strict-max', 'under-provisioned-at-max');
    // Act
    await attachSecondOpinion([rightsize, capacity, strictCapacity], [policy('strict-type', true), policy('open-max'), policy('strict-max', true)], ctx(clients()), newSecondOpinionRun());
    // Assess
    expect(rightsize.status).toBe('actionable');
    expect(rightsize.evidence.computeOptimizer).toEqual({ agreement: 'agrees', candidate: 'c5.xlarge', finding: 'Overprovisioned', current: 'c5.2xlarge', recommended: 'c5.xlarge' });
    expect(capacity.status).toBe('actionable');
    expect(capacity.evidence.computeOptimizer).toEqual({ agreement: 'not-applicable', candidate: 8, why: 'Compute Optimizer recommends only the instance type for asg resources, not the value proposed' });
    expect(strictCapacity.status).toBe('conflict');
    expect((strictCapacity as Finding & { outcomeDetail?: string }).outcomeDetail).toBe(
      'requireComputeOptimizer: Compute Optimizer recommends only the instance type for asg resources, not the value proposed, so it can never agree; not acted on (drop requireComputeOptimizer from policy strict-max to act on these findings).',
    );
    // Only the group with a type proposal was asked about.
    expect(co.commandCalls(GetAutoScalingGroupRecommendationsCommand).map((c) => c.args[0].input.autoScalingGroupArns)).toEqual([[groupArn('render')]]);
  });
});

describe('attachSecondOpinion', () => {
  it('calls nothing when no finding carries a candidate', async () => {
    await attachSecondOpinion([finding(1, undefined)], [policy('p')], ctx(clients()), newSecondOpinionRun());
    expect(co.calls()).toHaveLength(0);
  });

  it('treats OptInRequiredException as not opted in, once for the run, and makes required findings conflicts', async () => {
    // Prepare
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetEC2InstanceRecommendationsCommand).rejects(new OptInRequiredException({ message: 'not opted in', $metadata: {} }));
    const run = newSecondOpinionRun();
    const logged: string[] = [];
    const findings = [finding(1, 'm5.large', 'strict'), finding(2, 'm5.large', 'open')];

    // Act
    await attachSecondOpinion(findings, [policy('strict', true), policy('open')], { ...ctx(clients()), log: (m) => void logged.push(m) }, run);
    await attachSecondOpinion([finding(3, 'm5.large')], [policy('p')], { ...ctx(clients()), log: (m) => void logged.push(m) }, run);

    // Assess
    expect(findings.map((f) => f.status)).toEqual(['conflict', 'actionable']);
    expect(findings[0].evidence.computeOptimizer).toEqual({ agreement: 'missing', candidate: 'm5.large', why: 'not opted in (OptInRequiredException)' });
    expect(logged).toHaveLength(1);
    expect(co.commandCalls(GetEC2InstanceRecommendationsCommand)).toHaveLength(1);
  });

  it('carries on when Compute Optimizer fails for another reason', async () => {
    co.on(GetEnrollmentStatusCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const f = finding(1, 'm5.large');
    await attachSecondOpinion([f], [policy('p')], ctx(clients()), newSecondOpinionRun());
    expect(f.status).toBe('actionable');
    expect(f.evidence.computeOptimizer).toMatchObject({ agreement: 'missing', why: expect.stringContaining('unreachable') });
  });
});

describe('savings after discounts (savings estimation mode)', () => {
  const afterDiscountsAnswer = (source: string) => ({
    instanceRecommendations: [{
      instanceArn: arn(7),
      currentInstanceType: 'm5.xlarge',
      finding: 'Overprovisioned',
      effectiveRecommendationPreferences: { savingsEstimationMode: { source } },
      recommendationOptions: [
        { instanceType: 't3.large', rank: 1, savingsOpportunity: { estimatedMonthlySavings: { currency: 'USD', value: 79.57 } }, savingsOpportunityAfterDiscounts: { estimatedMonthlySavings: { currency: 'USD', value: 41.2 } } },
        { instanceType: 'm5.large', rank: 2, savingsOpportunity: { estimatedMonthlySavings: { currency: 'USD', value: 70.08 } }, savingsOpportunityAfterDiscounts: { estimatedMonthlySavings: { currency: 'USD', value: 35.04 } } },
      ],
    }],
  });

  it("shows Compute Optimizer's after-discounts figure for trimtab's own proposal beside the list price, and ranks on the list price", async () => {
    // Prepare: the account's mode is AfterDiscounts; trimtab proposes m5.large, Compute Optimizer's second option
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetEC2InstanceRecommendationsCommand).resolves(afterDiscountsAnswer('CostOptimizationHub') as never);
    const f = finding(7, 'm5.large');
    f.savings = { monthlyUsd: 70.08, basis: ['AWS Price List, us-east-1: m5.xlarge $0.192/h → m5.large $0.096/h'] };

    // Act
    await attachSecondOpinion([f], [policy('p')], ctx(clients()), newSecondOpinionRun());

    // Assess
    expect(f.savings.monthlyUsd).toBe(70.08);
    expect(f.savings.basis).toEqual([
      'AWS Price List, us-east-1: m5.xlarge $0.192/h → m5.large $0.096/h',
      'list price $70.08/month (trimtab, the figure findings are ranked and approved on); after your discounts (Compute Optimizer, Savings Plans and Reserved Instances) $35.04/month.',
    ]);
    expect((f.evidence.computeOptimizer as { afterDiscounts?: unknown }).afterDiscounts).toEqual({ monthly: 35.04, currency: 'USD', option: 'm5.large', forProposal: true, listMonthly: 70.08 });
  });

  it("labels a figure for Compute Optimizer's own recommendation as not comparable with trimtab's proposal", async () => {
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetEC2InstanceRecommendationsCommand).resolves(afterDiscountsAnswer('CostOptimizationHub') as never);
    const f = finding(7, 'm6i.large');
    f.savings = { monthlyUsd: 69.35, basis: [] };

    await attachSecondOpinion([f], [policy('p')], ctx(clients()), newSecondOpinionRun());

    expect(f.savings.monthlyUsd).toBe(69.35);
    expect(f.savings.basis).toEqual([
      "list price $69.35/month (trimtab, the figure findings are ranked and approved on); Compute Optimizer's after-discounts figure $41.20/month is for its own recommendation (instance type t3.large), not for trimtab's proposal, so the two are not comparable.",
    ]);
  });

  it('shows no after-discounts figure when the account did not turn the mode on (source PublicPricing)', async () => {
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetEC2InstanceRecommendationsCommand).resolves(afterDiscountsAnswer('PublicPricing') as never);
    const f = finding(7, 'm5.large');

    await attachSecondOpinion([f], [policy('p')], ctx(clients()), newSecondOpinionRun());

    expect(f.savings).toEqual({ monthlyUsd: 10, basis: [] });
    expect(f.evidence.computeOptimizer).toEqual({ agreement: 'disagrees', candidate: 'm5.large', finding: 'Overprovisioned', current: 'm5.xlarge', recommended: 't3.large' });
  });
});
