/**
 * EventBridge events for every finding and every action transition (`source: trimtab`), so
 * other systems can subscribe: chat notifications, ticketing, FinOps dashboards.
 *
 * Events are queued and sent with PutEvents in batches of at most 10 entries and 256 KB per
 * request (AWS's limits). An entry that alone would pass 256 KB loses its `evidence` and is
 * marked `truncated` rather than dropped. Entries AWS refuses with a transient error are
 * retried once. The detail schema is documented in docs/audit-and-undo.md.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { AwsClients } from '../aws/clients.ts';
import type { ActionRecord, ActionStatus, Finding } from '../engine/types.ts';
import { usd } from '../savings/prices.ts';

export const EVENT_SOURCE = 'trimtab';

/** AWS's limits on one PutEvents request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** The size AWS counts for one entry (EventBridge user guide, "Calculating PutEvents event entry size"). */
export function putEventsEntrySize(entry: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; Time?: unknown }): number {
  let size = entry.Time ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) if (text) size += Buffer.byteLength(text, 'utf8');
  return size;
}
/** Bumped when a field changes meaning or disappears; new fields do not bump it. */
export const EVENT_SCHEMA_VERSION = '1';

export const DETAIL_TYPES = {
  finding: 'Finding Detected',
  planned: 'Remediation Planned',
  'in-progress': 'Remediation In Progress',
  'awaiting-approval': 'Approval Requested',
  approved: 'Approval Decided',
  rejected: 'Approval Decided',
  applied: 'Remediation Applied',
  verified: 'Remediation Verified',
  failed: 'Remediation Failed',
  skipped: 'Remediation Skipped',
  undone: 'Remediation Undone',
} as const satisfies Record<ActionStatus | 'finding', string>;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

export interface TrimtabEvent {
  detailType: DetailType;
  detail: Record<string, unknown>;
  /** ARNs the event is about (EventBridge `resources`: rules can match on them). */
  resources: string[];
  time: Date;
}

const resourceOf = (r: Finding['resource']) => ({ type: r.type, id: r.id, arn: r.arn, account: r.account, region: r.region });

/** "Finding Detected": what was found, why, and what trimtab plans (or why it will not act). */
export function findingEvent(finding: Finding & { outcome?: string }, at: Date): TrimtabEvent {
  return {
    detailType: DETAIL_TYPES.finding,
    resources: [finding.resource.arn],
    time: at,
    detail: {
      version: EVENT_SCHEMA_VERSION,
      findingId: finding.id,
      policy: finding.policy,
      detector: finding.detector,
      mode: finding.mode,
      status: finding.status,
      resource: resourceOf(finding.resource),
      reason: finding.reason,
      evidence: finding.evidence,
      plan: finding.plan ? { action: finding.plan.action, summary: finding.plan.summary, hash: finding.plan.hash, undo: finding.plan.undo } : null,
      estimatedMonthlySavingsUsd: usd(finding.savings.monthlyUsd),
      at: at.toISOString(),
    },
  };
}

/** One event per action transition; the detail type names the transition. */
export function transitionEvent(record: ActionRecord): TrimtabEvent {
  const last = record.transitions.at(-1)!;
  return {
    detailType: DETAIL_TYPES[record.status],
    resources: [record.resource.arn],
    time: new Date(last.at),
    detail: {
      version: EVENT_SCHEMA_VERSION,
      actionId: record.id,
      findingId: record.findingId,
      policy: record.policy,
      status: record.status,
      mode: record.mode,
      actor: record.actor,
      action: record.action,
      summary: record.summary,
      planHash: record.planHash,
      resource: resourceOf(record.resource),
      estimatedMonthlySavingsUsd: record.estimatedMonthlySavingsUsd,
      at: last.at,
      ...(last.detail ? { detail: last.detail } : {}),
      ...(record.verification ? { verification: record.verification } : {}),
      ...(record.error ? { error: record.error } : {}),
      ...(record.status === 'approved' || record.status === 'rejected' ? { decision: record.status } : {}),
      undo: { supported: record.undo.supported, how: record.undo.how, ...(record.undo.supported !== 'no' ? { command: `trimtab undo ${record.id}` } : {}) },
    },
  };
}

export interface EventPublisherOptions {
  clients: AwsClients;
  region: string;
  /** The bus name or ARN; "default" (or empty) is the account's default bus. */
  busName?: string;
  log?: (message: string, data?: Record<string, unknown>) => void;
}

export interface PublishReport {
  published: number;
  failed: Array<{ detailType: string; errorCode?: string; errorMessage?: string }>;
}

const RETRYABLE = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

export class EventPublisher {
  private queue: PutEventsRequestEntry[] = [];
  private readonly report: PublishReport = { published: 0, failed: [] };

  constructor(private readonly options: EventPublisherOptions) {}

  get busName(): string {
    return this.options.busName || 'default';
  }

  /** Queue an event; a full batch (10 entries) is sent right away. */
  async add(event: TrimtabEvent): Promise<void> {
    this.queue.push(this.entry(event));
    if (this.queue.length >= PUT_EVENTS_MAX_ENTRIES) await this.flush();
  }

  /** Send everything queued; returns what was published and what AWS refused since the start. */
  async flush(): Promise<PublishReport> {
    while (this.queue.length > 0) {
      const batch = takeBatch(this.queue);
      let pending = batch;
      for (let attempt = 1; pending.length > 0 && attempt <= 2; attempt++) {
        const out = await this.options.clients.get(EventBridgeClient, this.options.region).send(new PutEventsCommand({ Entries: pending }));
        const results = out.Entries ?? [];
        const retry: PutEventsRequestEntry[] = [];
        pending.forEach((entry, i) => {
          const result = results[i];
          if (result && !result.ErrorCode) this.report.published += 1;
          else if (attempt === 1 && RETRYABLE.has(result?.ErrorCode ?? '')) retry.push(entry);
          else {
            this.report.failed.push({ detailType: entry.DetailType!, errorCode: result?.ErrorCode, errorMessage: result?.ErrorMessage });
            this.options.log?.('event not published', { detailType: entry.DetailType, errorCode: result?.ErrorCode, errorMessage: result?.ErrorMessage });
          }
        });
        pending = retry;
      }
    }
    return { published: this.report.published, failed: [...this.report.failed] };
  }

  private entry(event: TrimtabEvent): PutEventsRequestEntry {
    const entry: PutEventsRequestEntry = {
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Resources: event.resources,
      Time: event.time,
      ...(this.busName !== 'default' ? { EventBusName: this.busName } : {}),
    };
    if (putEventsEntrySize(entry) > PUT_EVENTS_MAX_BYTES) {
      // Evidence is the only open-ended part; the audit table keeps the full record.
      entry.Detail = JSON.stringify({ ...event.detail, evidence: undefined, truncated: true });
    }
    return entry;
  }
}

/** Take the longest head of the queue that fits one PutEvents request (≤10 entries, ≤256 KB). */
function takeBatch(queue: PutEventsRequestEntry[]): PutEventsRequestEntry[] {
  let bytes = 0;
  let count = 0;
  while (count < queue.length && count < PUT_EVENTS_MAX_ENTRIES) {
    const size = putEventsEntrySize(queue[count]);
    if (count > 0 && bytes + size > PUT_EVENTS_MAX_BYTES) break;
    bytes += size;
    count += 1;
  }
  return queue.splice(0, count);
}
