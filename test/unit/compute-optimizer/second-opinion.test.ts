import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ComputeOptimizerClient,
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
