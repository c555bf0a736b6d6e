/**
 * Action records. The CLI keeps them in a local JSON Lines file: one line per transition,
 * the newest line for an id wins, so an interrupted run never loses what it already did.
 * The Lambda side stores them in DynamoDB (see lib/audit/dynamodb.ts when present).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ActionRecord, ActionStatus } from '../engine/types.ts';

export interface HistoryFilter {
  resource?: string;
  policy?: string;
  since?: Date;
  status?: ActionStatus;
}

export interface ActionStore {
  put(record: ActionRecord): Promise<void>;
  get(id: string): Promise<ActionRecord | undefined>;
  list(filter?: HistoryFilter): Promise<ActionRecord[]>;
}

/** Ids sort by time: "act-<ms since epoch, base36>-<random>". */
export const newActionId = (now = new Date()) => `act-${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;

export function matches(record: ActionRecord, filter: HistoryFilter = {}): boolean {
  if (filter.resource && record.resource.id !== filter.resource && record.resource.arn !== filter.resource) return false;
  if (filter.policy && record.policy !== filter.policy) return false;
  if (filter.status && record.status !== filter.status) return false;
  if (filter.since && Date.parse(record.transitions[0]?.at ?? '') < filter.since.getTime()) return false;
  return true;
}

const byTime = (a: ActionRecord, b: ActionRecord) => (a.transitions[0]?.at ?? '').localeCompare(b.transitions[0]?.at ?? '');

export class MemoryActionStore implements ActionStore {
  readonly records = new Map<string, ActionRecord>();
  async put(record: ActionRecord) {
    this.records.set(record.id, structuredClone(record));
  }
  async get(id: string) {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }
  async list(filter?: HistoryFilter) {
    return [...this.records.values()].filter((r) => matches(r, filter)).sort(byTime).map((r) => structuredClone(r));
  }
}

export const defaultHistoryFile = () => resolve(process.env.TRIMTAB_HISTORY_FILE ?? '.trimtab/actions.jsonl');

export class JsonlActionStore implements ActionStore {
  constructor(readonly file = defaultHistoryFile()) {}

  async put(record: ActionRecord) {
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  private readAll(): Map<string, ActionRecord> {
    const records = new Map<string, ActionRecord>();
    if (!existsSync(this.file)) return records;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line) as ActionRecord;
        records.set(record.id, record);
      } catch {
        // A torn last line (crash mid-write) is skipped, never fatal.
      }
    }
    return records;
  }

  async get(id: string) {
    return this.readAll().get(id);
  }

  async list(filter?: HistoryFilter) {
    return [...this.readAll().values()].filter((r) => matches(r, filter)).sort(byTime);
  }
}
