/**
 * Action records and finding records. The CLI keeps them in local JSON Lines files: one line
 * per transition, the newest line for an id wins, so an interrupted run never loses what it
 * already did. The Lambda side (and the CLI with --stage) stores them in DynamoDB
 * (lib/audit/dynamodb.ts).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ActionRecord, ActionStatus, AuditReader, Finding, FindingStatus, Mode, ResourceRef } from '../engine/types.ts';

export interface HistoryFilter {
  resource?: string;
  policy?: string;
  since?: Date;
  status?: ActionStatus;
}

export interface ActionStore {
  put(record: ActionRecord): Promise<void>;
  get(id: string): Promise<ActionRecord | undefined>;
  /** Several records at once (absent ids left out). Optional: without it, `get` is called for each id. */
  getMany?(ids: readonly string[]): Promise<Map<string, ActionRecord>>;
  list(filter?: HistoryFilter): Promise<ActionRecord[]>;
  /** Record what a run detected (one record per finding per run). Optional: older stores only keep actions. */
  putFindings?(records: FindingRecord[]): Promise<void>;
  listFindings?(filter?: Omit<HistoryFilter, 'status'>): Promise<FindingRecord[]>;
}

/** The audit record of one finding in one run: what was seen, why, and what was planned. */
export interface FindingRecord {
  /** The finding's stable id (policy + resource + detector): the same resource found again keeps it. */
  id: string;
  /** When the run detected it. */
  at: string;
  policy: string;
  detector: string;
  resource: ResourceRef;
  /** `not-evaluated`: the detector could not run on this resource because a read it needs failed (lib/engine/partial.ts). */
  status: FindingStatus | 'not-evaluated';
  reason: string;
  evidence: Record<string, unknown>;
  mode: Mode;
  plan?: { action: string; summary: string; hash: string; undo: string };
  estimatedMonthlySavingsUsd: number;
  savingsBasis: string[];
}

export function findingRecord(finding: Finding, at: Date): FindingRecord {
  return {
    id: finding.id,
    at: at.toISOString(),
    policy: finding.policy,
    detector: finding.detector,
    resource: finding.resource,
    status: finding.status,
    reason: finding.reason,
    evidence: finding.evidence,
    mode: finding.mode,
    ...(finding.plan ? { plan: { action: finding.plan.action, summary: finding.plan.summary, hash: finding.plan.hash, undo: finding.plan.undo } } : {}),
    estimatedMonthlySavingsUsd: finding.savings.monthlyUsd,
    savingsBasis: finding.savings.basis,
  };
}

export function findingMatches(record: FindingRecord, filter: Omit<HistoryFilter, 'status'> = {}): boolean {
  if (filter.resource && record.resource.id !== filter.resource && record.resource.arn !== filter.resource) return false;
  if (filter.policy && record.policy !== filter.policy) return false;
  if (filter.since && Date.parse(record.at) < filter.since.getTime()) return false;
  return true;
}

/** Ids sort by time: "act-<ms since epoch, base36>-<random>". */
export const newActionId = (now = new Date()) => `act-${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;

/** The shape of an id newActionId makes: anything else a tag names is not a trimtab action (no read). */
export const ACTION_ID_PATTERN = /^act-[0-9a-z]{1,12}-[0-9a-f]{8}$/;

/**
 * The read-only view of a store that modules get (RegionContext.audit): ids are deduplicated, ids
 * that cannot be trimtab action ids are never looked up, and a store with `getMany` is read once.
 */
export function auditReader(store: ActionStore): AuditReader {
  return {
    async actions(ids) {
      const wanted = [...new Set(ids)].filter((id) => ACTION_ID_PATTERN.test(id));
      if (wanted.length === 0) return new Map();
      if (store.getMany) return store.getMany(wanted);
      const found = new Map<string, ActionRecord>();
      // Without a batch read: a few at a time (only resources that carry a decision tag get here).
      for (let i = 0; i < wanted.length; i += 10) {
        const chunk = wanted.slice(i, i + 10);
        const records = await Promise.all(chunk.map((id) => store.get(id)));
        records.forEach((r, j) => r && r.id === chunk[j] && found.set(r.id, r));
      }
      return found;
    },
  };
}

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
  readonly findings: FindingRecord[] = [];
  async putFindings(records: FindingRecord[]) {
    this.findings.push(...structuredClone(records));
  }
  async listFindings(filter?: Omit<HistoryFilter, 'status'>) {
    return structuredClone(this.findings.filter((f) => findingMatches(f, filter)).sort((a, b) => a.at.localeCompare(b.at)));
  }
  async put(record: ActionRecord) {
    this.records.set(record.id, structuredClone(record));
  }
  async get(id: string) {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }
  async getMany(ids: readonly string[]) {
    return new Map(ids.flatMap((id) => (this.records.has(id) ? [[id, structuredClone(this.records.get(id)!)] as const] : [])));
  }
  async list(filter?: HistoryFilter) {
    return [...this.records.values()].filter((r) => matches(r, filter)).sort(byTime).map((r) => structuredClone(r));
  }
}

export const defaultHistoryFile = () => resolve(process.env.TRIMTAB_HISTORY_FILE ?? '.trimtab/actions.jsonl');

export class JsonlActionStore implements ActionStore {
  constructor(readonly file = defaultHistoryFile()) {}

  /** Findings go to a sibling file (actions.jsonl → actions.findings.jsonl), one line each. */
  get findingsFile(): string {
    return this.file.replace(/(\.jsonl)?$/, '.findings.jsonl');
  }

  async putFindings(records: FindingRecord[]) {
    if (records.length === 0) return;
    mkdirSync(dirname(this.findingsFile), { recursive: true });
    appendFileSync(this.findingsFile, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  async listFindings(filter?: Omit<HistoryFilter, 'status'>) {
    if (!existsSync(this.findingsFile)) return [];
    const records: FindingRecord[] = [];
    for (const line of readFileSync(this.findingsFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as FindingRecord);
      } catch {
        // A torn last line is skipped, as for actions.
      }
    }
    return records.filter((f) => findingMatches(f, filter)).sort((a, b) => a.at.localeCompare(b.at));
  }

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

  async getMany(ids: readonly string[]) {
    const all = this.readAll();
    return new Map(ids.flatMap((id) => (all.has(id) ? [[id, all.get(id)!] as const] : [])));
  }

  async list(filter?: HistoryFilter) {
    return [...this.readAll().values()].filter((r) => matches(r, filter)).sort(byTime);
  }
}
