import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ComputeOptimizerClient,
  GetAutoScalingGroupRecommendationsCommand,
  GetEC2InstanceRecommendationsCommand,
  GetEnrollmentStatusCommand,
  GetLambdaFunctionRecommendationsCommand,
  MissingAuthenticationToken,
  OptInRequiredException,
} from '@aws-sdk/client-compute-optimizer';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { ARN_CALLS_BEFORE_LISTING, ARNS_PER_CALL, computeOptimizerPermissions, lambdaRecommendationArn, MAX_RESULTS, recommendationsFor } from '../../../lib/compute-optimizer/recommendations.ts';
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
  it('sends at most ARNS_PER_CALL ARNs a call with the largest page, follows nextToken, and keeps the rank-1 option', async () => {
    // Prepare: 1,500 ARNs → 2 batches; the first answers in two pages
    co.on(GetEC2InstanceRecommendationsCommand)
      .resolvesOnce({ instanceRecommendations: [{ instanceArn: arn(0), currentInstanceType: 'm5.xlarge', finding: 'Overprovisioned', recommendationOptions: [{ instanceType: 't3.large', rank: 2 }, { instanceType: 'm5.large', rank: 1 }] }], nextToken: 't1' })
      .resolvesOnce({ instanceRecommendations: [{ instanceArn: arn(1), currentInstanceType: 'm5.large', finding: 'Optimized', recommendationOptions: [{ instanceType: 'm5.large', rank: 1 }] }] })
      .resolves({ instanceRecommendations: [] });

    // Act
    const recs = await recommendationsFor(clients(), 'us-east-1', 'ec2-instance', Array.from({ length: 1500 }, (_, i) => arn(i)));

    // Assess
    const calls = co.commandCalls(GetEC2InstanceRecommendationsCommand).map((c) => c.args[0].input);
    expect(ARNS_PER_CALL).toBe(1000);
    expect(calls.map((c) => [c.instanceArns!.length, c.nextToken, c.maxResults])).toEqual([[ARNS_PER_CALL, undefined, 1000], [ARNS_PER_CALL, 't1', 1000], [500, undefined, 1000]]);
    expect(recs.get(arn(0))).toEqual({ arn: arn(0), finding: 'Overprovisioned', current: 'm5.xlarge', recommended: 'm5.large', options: ['m5.large', 't3.large'] });
  });

  it("matches Lambda recommendations for $LATEST to the function's ARN", async () => {
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:orders';
    co.on(GetLambdaFunctionRecommendationsCommand).resolves({ lambdaFunctionRecommendations: [{ functionArn: `${fn}:$LATEST`, currentMemorySize: 2048, finding: 'NotOptimized', memorySizeRecommendationOptions: [{ memorySize: 1024, rank: 1 }] }] });
    const recs = await recommendationsFor(clients(), 'us-east-1', 'lambda-function', [fn]);
    expect(recs.get(fn)).toMatchObject({ current: 2048, recommended: 1024 });
  });

  it("does not take a published version's recommendation in the region's listing for the function's own, even when its ARN has no version suffix", async () => {
    // Prepare: the listing holds the function's $LATEST recommendation, then version 3's (unqualified ARN, functionVersion 3) and version 4's
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:orders';
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetLambdaFunctionRecommendationsCommand).resolves({
      lambdaFunctionRecommendations: [
        { functionArn: `${fn}:$LATEST`, functionVersion: '$LATEST', currentMemorySize: 2048, finding: 'NotOptimized', memorySizeRecommendationOptions: [{ memorySize: 1024, rank: 1 }] },
        { functionArn: fn, functionVersion: '3', currentMemorySize: 512, finding: 'NotOptimized', memorySizeRecommendationOptions: [{ memorySize: 4096, rank: 1 }] },
        { functionArn: `${fn}:4`, functionVersion: '4', currentMemorySize: 256, finding: 'NotOptimized', memorySizeRecommendationOptions: [{ memorySize: 8192, rank: 1 }] },
      ],
    });
    const f = { ...finding(1, 1024), detector: 'lambda-memory', resource: { type: 'lambda-function', id: 'orders', arn: fn, account: '123456789012', region: 'us-east-1', tags: {} } } as Finding;

    // Act
    await attachSecondOpinion([f], [policy('p')], ctx(clients()), newSecondOpinionRun());

    // Assess: the $LATEST recommendation (2,048 → 1,024 MB), not version 3's or 4's
    expect(f.evidence.computeOptimizer).toMatchObject({ agreement: 'agrees', current: 2048, recommended: 1024 });
    expect(lambdaRecommendationArn(fn, '3')).toBe(`${fn}:3`);
    expect(lambdaRecommendationArn(`${fn}:4`)).toBe(`${fn}:4`);
    expect(lambdaRecommendationArn(`${fn}:$LATEST`, '$LATEST')).toBe(fn);
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
    // One read for the group with a type proposal: the region's listing (one page, so no ARN request).
    expect(co.commandCalls(GetAutoScalingGroupRecommendationsCommand).map((c) => c.args[0].input)).toEqual([{ maxResults: 1000 }]);
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

  it('asks once a run when the recommendations request fails, not once more for every page of findings, and says why on every page', async () => {
    // Prepare: enrolled, but the role may not read EC2 recommendations
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetEC2InstanceRecommendationsCommand).rejects(Object.assign(new Error('not authorized to perform GetEC2InstanceRecommendations'), { name: 'AccessDeniedException' }));
    const run = newSecondOpinionRun();
    const logged: string[] = [];
    const pages = [[finding(1, 'm5.large')], [finding(2, 'm5.large')], [finding(3, 'm5.large')]];

    // Act: three pages of findings in one region
    for (const page of pages) await attachSecondOpinion(page, [policy('p')], { ...ctx(clients()), log: (m: string) => logged.push(m) } as never, run);

    // Assess
    expect(co.commandCalls(GetEC2InstanceRecommendationsCommand)).toHaveLength(1);
    for (const [f] of pages) expect(f.evidence.computeOptimizer).toMatchObject({ agreement: 'missing', why: 'GetEC2InstanceRecommendations failed: not authorized to perform GetEC2InstanceRecommendations' });
    expect(logged).toHaveLength(1);
  });
});

describe('recommendations read once per account, region and type (RegionRecommendations)', () => {
  const rec = (i: number) => ({ instanceArn: arn(i), currentInstanceType: 'm5.xlarge', finding: 'Overprovisioned' as const, recommendationOptions: [{ instanceType: 'm5.large', rank: 1 }] });
  const inputs = () => co.commandCalls(GetEC2InstanceRecommendationsCommand).map((c) => c.args[0].input);

  it('lists a region of at most 1,000 recommendations once, without ARNs, and answers every later page and policy from it', async () => {
    // Prepare: the region's listing answers in one page (no nextToken)
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetEC2InstanceRecommendationsCommand).resolves({ instanceRecommendations: [rec(1), rec(2), rec(3)] });
    const run = newSecondOpinionRun();
    const pageOne = [finding(1, 'm5.large', 'a'), finding(2, 'm5.large', 'a')];
    const pageTwo = [finding(3, 'm5.large', 'b'), finding(4, 'm5.large', 'b')];
    const otherPolicy = [finding(1, 't3.large', 'c')];

    // Act: two pages of one policy, then another policy on the same instance
    await attachSecondOpinion(pageOne, [policy('a')], ctx(clients()), run);
    await attachSecondOpinion(pageTwo, [policy('b')], ctx(clients()), run);
    await attachSecondOpinion(otherPolicy, [policy('c')], ctx(clients()), run);

    // Assess
    expect(inputs()).toEqual([{ maxResults: MAX_RESULTS }]);
    expect([...pageOne, ...pageTwo, ...otherPolicy].map((f) => (f.evidence.computeOptimizer as { agreement: string }).agreement)).toEqual(['agrees', 'agrees', 'agrees', 'missing', 'disagrees']);
  });

  it('after a denied ARN request (or one without credentials) answers what the listing already gave, asks nothing more, and does not remember an error about one request', async () => {
    // Prepare: the listing's first page holds instance 0 and says there is more; an ARN request for instance 1
    // is denied (account-wide) in one run, and refused as a bad parameter (one request) in another
    const arnRequests = (error: string) => {
      co.reset();
      co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
      co.on(GetEC2InstanceRecommendationsCommand).callsFake((input: { instanceArns?: string[] }) => {
        if (!input.instanceArns) return { instanceRecommendations: [rec(0)], nextToken: 'more' };
        if (input.instanceArns.includes(arn(1))) throw Object.assign(new Error(`${error} for the request`), { name: error });
        return { instanceRecommendations: input.instanceArns.map((a) => rec(Number(a.split('-').pop()))) };
      });
    };
    const sweep = async () => {
      const run = newSecondOpinionRun();
      const pages = [[finding(1, 'm5.large')], [finding(0, 'm5.large')], [finding(2, 'm5.large')]];
      for (const p of pages) await attachSecondOpinion(p, [policy('p')], ctx(clients()), run);
      const withArns = co.commandCalls(GetEC2InstanceRecommendationsCommand).filter((c) => c.args[0].input.instanceArns).length;
      return { agreements: pages.map(([f]) => (f.evidence.computeOptimizer as { agreement: string }).agreement), withArns };
    };

    // Act
    arnRequests('AccessDeniedException');
    const denied = await sweep();
    arnRequests('InvalidParameterValueException');
    const badParameter = await sweep();
    arnRequests(new MissingAuthenticationToken({ message: 'no token', $metadata: {} }).name);
    const noToken = await sweep();

    // Assess: denied, instance 0 still agrees from the listing and instance 2 is not asked for; a bad parameter
    // fails only its own request, and instance 2 is asked for and agrees
    expect(denied).toEqual({ agreements: ['missing', 'agrees', 'missing'], withArns: 1 });
    expect(badParameter).toEqual({ agreements: ['missing', 'agrees', 'agrees'], withArns: 2 });
    // Compute Optimizer's own name for missing credentials (not "…Exception") is account-wide too
    expect(noToken).toEqual({ agreements: ['missing', 'agrees', 'missing'], withArns: 1 });
  });

  it('in a long region asks only the missing ARNs, each once, and lists the rest of the region after ARN_CALLS_BEFORE_LISTING requests', async () => {
    // Prepare: the listing's first page holds instance 0 and says there is more; ARN requests answer for what they ask
    co.on(GetEnrollmentStatusCommand).resolves({ status: 'Active' });
    co.on(GetEC2InstanceRecommendationsCommand).callsFake((input: { instanceArns?: string[]; nextToken?: string }) => {
      if (input.instanceArns) return { instanceRecommendations: input.instanceArns.map((a) => rec(Number(a.split('-').pop()))) };
      return input.nextToken === 'more' ? { instanceRecommendations: [rec(90), rec(91)] } : { instanceRecommendations: [rec(0)], nextToken: 'more' };
    });
    const run = newSecondOpinionRun();
    const page = (...ids: number[]) => ids.map((i) => finding(i, 'm5.large'));
    const pages = [page(0, 1), page(1, 2), page(3), page(4), page(5), page(90, 6), page(91)];

    // Act
    for (const p of pages) await attachSecondOpinion(p, [policy('p')], ctx(clients()), run);

    // Assess: listing page 1; ARN requests for 1, 2, 3, 4 (instance 1 asked once); then the rest of the listing, and nothing more
    expect(ARN_CALLS_BEFORE_LISTING).toBe(4);
    expect(inputs()).toEqual([
      { maxResults: 1000 },
      { instanceArns: [arn(1)], maxResults: 1000 },
      { instanceArns: [arn(2)], maxResults: 1000 },
      { instanceArns: [arn(3)], maxResults: 1000 },
      { instanceArns: [arn(4)], maxResults: 1000 },
      { maxResults: 1000, nextToken: 'more' },
    ]);
    // Instances 5 and 6 are in no answer once the whole region is listed: no recommendation, no request of their own.
    expect(pages.flat().map((f) => [Number(f.resource.id.slice(2)), (f.evidence.computeOptimizer as { agreement: string }).agreement])).toEqual([
      [0, 'agrees'], [1, 'agrees'], [1, 'agrees'], [2, 'agrees'], [3, 'agrees'], [4, 'agrees'], [5, 'missing'], [90, 'agrees'], [6, 'missing'], [91, 'agrees'],
    ]);
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
