/**
 * trimtab's business metrics, by policy, through Powertools (CloudWatch EMF):
 * FindingsDetected, EstimatedMonthlySavingsUsd, RemediationsApplied, RemediationsFailed.
 *
 * They are counted from the audit trail's listeners (so the sweep, event-triggered runs and
 * approved plans count the same way) and published once per invocation: one EMF document per
 * policy with the `policy` dimension, and one with the totals (only the `service` dimension,
 * which the alarms and the dashboard's totals use). A Powertools single-metric instance cannot
 * be used here: it publishes at every addMetric and then drops its dimensions.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AuditCounter } from '../audit/trail.ts';
import type { ActionRecord, Finding } from '../engine/types.ts';
import { usd } from '../savings/prices.ts';

export const METRIC_NAMES = ['FindingsDetected', 'EstimatedMonthlySavingsUsd', 'RemediationsApplied', 'RemediationsFailed'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type PolicyMetrics = Record<MetricName, number>;

const zero = (): PolicyMetrics => ({ FindingsDetected: 0, EstimatedMonthlySavingsUsd: 0, RemediationsApplied: 0, RemediationsFailed: 0 });

export class RunMetrics implements AuditCounter {
  readonly byPolicy = new Map<string, PolicyMetrics>();

  private of(policy: string): PolicyMetrics {
    let m = this.byPolicy.get(policy);
    if (!m) this.byPolicy.set(policy, (m = zero()));
    return m;
  }

  /** Policies that ran report zeros rather than nothing, so dashboards show 0 and not a gap. */
  policies(ids: string[]) {
    for (const id of ids) this.of(id);
  }

  /** Protected resources are not waste trimtab may remove: not counted, as in the run summary. */
  findings(findings: Finding[]) {
    for (const f of findings) {
      const m = this.of(f.policy);
      if (f.status === 'protected') continue;
      m.FindingsDetected += 1;
      m.EstimatedMonthlySavingsUsd = usd(m.EstimatedMonthlySavingsUsd + f.savings.monthlyUsd);
    }
  }

  /** Applied means applied and verified; a failed verification counts as failed. */
  transition(record: ActionRecord) {
    if (record.status === 'verified') this.of(record.policy).RemediationsApplied += 1;
    if (record.status === 'failed') this.of(record.policy).RemediationsFailed += 1;
  }

  totals(): PolicyMetrics {
    const total = zero();
    for (const m of this.byPolicy.values()) for (const name of METRIC_NAMES) total[name] = name === 'EstimatedMonthlySavingsUsd' ? usd(total[name] + m[name]) : total[name] + m[name];
    return total;
  }

  /**
   * Publish and reset. `newMetrics` makes one Powertools Metrics instance per EMF document
   * (tests pass their own to read the output).
   */
  publish(newMetrics: () => Metrics = defaultMetrics): number {
    let documents = 0;
    const emit = (values: PolicyMetrics, policy?: string) => {
      const m = newMetrics();
      if (policy) m.addDimension('policy', policy);
      m.addMetric('FindingsDetected', MetricUnit.Count, values.FindingsDetected);
      m.addMetric('EstimatedMonthlySavingsUsd', MetricUnit.NoUnit, values.EstimatedMonthlySavingsUsd);
      m.addMetric('RemediationsApplied', MetricUnit.Count, values.RemediationsApplied);
      m.addMetric('RemediationsFailed', MetricUnit.Count, values.RemediationsFailed);
      m.publishStoredMetrics();
      documents += 1;
    };
    if (this.byPolicy.size === 0) return 0;
    for (const [policy, values] of [...this.byPolicy.entries()].sort(([a], [b]) => a.localeCompare(b))) emit(values, policy);
    emit(this.totals());
    this.byPolicy.clear();
    return documents;
  }
}

const defaultMetrics = () => new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'trimtab', serviceName: 'trimtab' });
