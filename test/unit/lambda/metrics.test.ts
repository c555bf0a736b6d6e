import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunMetrics } from '../../../lib/lambda/metrics.ts';
import type { ActionRecord, Finding } from '../../../lib/engine/types.ts';

const finding = (policy: string, status: Finding['status'], usd: number) => ({ policy, status, savings: { monthlyUsd: usd, basis: [] } }) as unknown as Finding;
const action = (policy: string, status: ActionRecord['status']) => ({ policy, status }) as ActionRecord;

describe('RunMetrics', () => {
  let logs: string[];
  beforeEach(() => {
    // Dev mode disables metrics; enable them and read the EMF documents from the console.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    logs = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('publishes one EMF document per policy with all four metrics under the policy dimension, and the totals', () => {
    // Prepare
    const metrics = new RunMetrics();
    metrics.policies(['p-idle']);
    metrics.findings([finding('p1', 'actionable', 10.005), finding('p1', 'report-only', 2), finding('p1', 'protected', 99), finding('p2', 'actionable', 1)]);
    metrics.transition(action('p1', 'applied'));
    metrics.transition(action('p1', 'verified'));
    metrics.transition(action('p2', 'failed'));

    // Act
    const documents = metrics.publish(() => new Metrics({ namespace: 'trimtab', serviceName: 'trimtab' }));

    // Assess
    expect(documents).toBe(4);
    const emf = logs.map((l) => JSON.parse(l));
    const byPolicy = Object.fromEntries(emf.filter((d) => d.policy).map((d) => [d.policy, d]));
    expect(byPolicy.p1).toMatchObject({ service: 'trimtab', FindingsDetected: 2, EstimatedMonthlySavingsUsd: 12.01, RemediationsApplied: 1, RemediationsFailed: 0 });
    expect(byPolicy.p2).toMatchObject({ FindingsDetected: 1, RemediationsApplied: 0, RemediationsFailed: 1 });
    expect(byPolicy['p-idle']).toMatchObject({ FindingsDetected: 0, EstimatedMonthlySavingsUsd: 0 });
    expect(byPolicy.p1._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'policy']]);
    expect(byPolicy.p1._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual(['EstimatedMonthlySavingsUsd', 'FindingsDetected', 'RemediationsApplied', 'RemediationsFailed']);
    const totals = emf.find((d) => !d.policy);
    expect(totals).toMatchObject({ FindingsDetected: 3, EstimatedMonthlySavingsUsd: 13.01, RemediationsApplied: 1, RemediationsFailed: 1 });
    expect(totals._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
  });

  it('resets after publishing, and publishes nothing when nothing ran', () => {
    const metrics = new RunMetrics();
    metrics.findings([finding('p1', 'actionable', 1)]);
    metrics.publish(() => new Metrics({ namespace: 'trimtab', serviceName: 'trimtab' }));
    expect(metrics.publish(() => new Metrics({ namespace: 'trimtab', serviceName: 'trimtab' }))).toBe(0);
    expect(logs).toHaveLength(2);
  });
});
