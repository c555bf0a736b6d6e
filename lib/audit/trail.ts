/**
 * The audit trail as engine listeners: every finding and every action transition is recorded
 * in the store, published as an EventBridge event and counted for metrics. One place, so
 * the CLI, the sweep, event-triggered runs and approved plans all record the same way.
 */
import type { EngineDeps, FindingResult, UnevaluatedListener } from '../engine/run.ts';
import { failureText } from '../engine/partial.ts';
import { shortHash } from '../util/hash.ts';
import type { ActionRecord, Finding } from '../engine/types.ts';
import { findingEvent, transitionEvent, type EventPublisher, type PublishReport } from './events.ts';
import { findingRecord, type ActionStore } from './store.ts';

/** Counts what happened (lib/lambda/metrics.ts publishes it through Powertools). */
export interface AuditCounter {
  findings(findings: Finding[]): void;
  transition(record: ActionRecord): void;
}

export interface AuditTrailOptions {
  store: ActionStore;
  events?: EventPublisher;
  counter?: AuditCounter;
  now?: () => Date;
}

export class AuditTrail {
  constructor(readonly options: AuditTrailOptions) {}

  /** Findings: all recorded (protected ones too: the record says why nothing was done); events for the rest. */
  readonly onFindings = async (findings: FindingResult[]) => {
    const at = this.options.now?.() ?? new Date();
    await this.options.store.putFindings?.(findings.map((f) => findingRecord(f, at)));
    this.options.counter?.findings(findings);
    if (!this.options.events) return;
    for (const finding of findings) if (finding.status !== 'protected') await this.options.events.add(findingEvent(finding, at));
  };

  /**
   * Detectors a run could not evaluate (a read they need failed): one record per policy,
   * detector and resource, with status `not-evaluated`, the reason and what failed, so the
   * history says which resources a run did not judge and why (lib/engine/partial.ts).
   */
  readonly onUnevaluated: UnevaluatedListener = async (pairs) => {
    const at = (this.options.now?.() ?? new Date()).toISOString();
    await this.options.store.putFindings?.(
      pairs.map((p) => ({
        // The id a finding of this policy, resource and detector would have (lib/engine/run.ts toFinding).
        id: shortHash({ policy: p.policy, arn: p.resource.arn, detector: p.detector }),
        at,
        policy: p.policy,
        detector: p.detector,
        resource: p.resource,
        status: 'not-evaluated' as const,
        reason: `Not evaluated: ${failureText(p.reason)}`,
        evidence: { needs: p.needs, failure: { ...p.reason } },
        mode: 'dry-run' as const,
        estimatedMonthlySavingsUsd: 0,
        savingsBasis: [],
      })),
    );
  };

  /** The engine already saved the record (transition() puts before it calls listeners). */
  readonly onTransition = async (record: ActionRecord) => {
    this.options.counter?.transition(record);
    await this.options.events?.add(transitionEvent(record));
  };

  /** The engine deps that wire this trail in. */
  engineDeps(): Pick<EngineDeps, 'store' | 'onFindings' | 'onTransition' | 'onUnevaluated'> {
    return { store: this.options.store, onFindings: this.onFindings, onTransition: this.onTransition, onUnevaluated: this.onUnevaluated };
  }

  /** Send the queued events (call at the end of every invocation or command). */
  async flush(): Promise<PublishReport> {
    return (await this.options.events?.flush()) ?? { published: 0, failed: [] };
  }
}
