/**
 * Sandbox EventBridge: PutEvents onto the default bus or a named one, with AWS's limits
 * (at most 10 entries a call, 256 KB a request) and per-entry validation. Accepted events
 * are kept per region so tests and the demo can read what trimtab published.
 */
import { randomUUID } from 'node:crypto';
import { PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES, putEventsEntrySize } from '../../audit/events.ts';
import { awsError, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface PublishedEvent {
  id: string;
  bus: string;
  source: string;
  detailType: string;
  detail: unknown;
  resources: string[];
  time: string;
}

export interface EventBridgeState {
  /** Named buses besides "default" (created by the scenario or a test). */
  buses: string[];
  events: PublishedEvent[];
}


export const eventBridgeState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<EventBridgeState>(account, region, 'eventbridge', () => ({ buses: [], events: [] }));


const busName = (value: string | undefined) => (value ? (value.startsWith('arn:') ? value.split('/').at(-1)! : value) : 'default');

export const eventBridgeService: SandboxService = {
  id: 'eventbridge',
  operations: {
    PutEvents(input, { sandbox, account, region, now }) {
      const entries: any[] = input.Entries ?? [];
      if (entries.length === 0 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
        throw awsError('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_MAX_ENTRIES}`);
      }
      const total = entries.reduce((sum, e) => sum + putEventsEntrySize(e), 0);
      if (total > PUT_EVENTS_MAX_BYTES) throw awsError('ValidationException', 'Total size of the entries in the request is over the limit.', 413);
      const state = eventBridgeState(sandbox, account, region);
      const results = entries.map((entry) => {
        const bus = busName(entry.EventBusName);
        if (bus !== 'default' && !state.buses.includes(bus)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
        if (!entry.Source || !entry.DetailType || !entry.Detail) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        const id = randomUUID();
        state.events.push({ id, bus, source: entry.Source, detailType: entry.DetailType, detail, resources: entry.Resources ?? [], time: (entry.Time ? new Date(entry.Time) : now).toISOString() });
        return { EventId: id };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },
  },
};
