/**
 * A decision is a record, never a tag. `trimtab:stop-decision` on a database only points to an
 * action record in trimtab's audit trail; the re-stop and the snapshot-and-delete that follow a
 * stop act only when that record:
 * - exists (a tag naming no record, or naming a record of another kind, proves nothing);
 * - is a `stop-db-instance` action, approved by a person (mode `approval`, actor an address) or
 *   authorised by an auto policy (mode `auto`), and `verified` (not failed, skipped or `undone`);
 * - was made for this database: the same ARN and the same DbiResourceId (the immutable identity,
 *   so a decision tag copied to another database, or carried by a database restored from a
 *   snapshot or re-created under the same name, does not match);
 * - has a parseable time (the decision's age comes from the record, not from a tag).
 * Anything else protects the database, and the reason says which check failed.
 */
import type { ActionRecord } from '../../engine/types.ts';
import type { RdsInstance } from './resource.ts';

export const STOP_ACTION = 'stop-db-instance';

export type DecisionCheck =
  | { ok: true; id: string; decidedAt: string; actor: string; mode: string }
  | { ok: false; why: string };

/** The DbiResourceId the stop was made on: its plan's params (what was approved), else the recorded before-state. */
export function decisionResourceId(record: ActionRecord): string | undefined {
  const params = record.params as { dbiResourceId?: unknown } | null | undefined;
  if (typeof params?.dbiResourceId === 'string') return params.dbiResourceId;
  const before = (record.before as { instance?: { resourceId?: unknown } } | null | undefined)?.instance;
  return typeof before?.resourceId === 'string' ? before.resourceId : undefined;
}

/** When the stop was decided: the record's first transition (planned, which follows the approval). */
export function decisionTime(record: ActionRecord): number {
  return Date.parse(record.transitions?.[0]?.at ?? '');
}

/** Checks the record the database's decision tag points to. Pure. */
export function checkStopDecision(db: Pick<RdsInstance, 'id' | 'arn' | 'resourceId'>, id: string | undefined, record: ActionRecord | null | undefined, readError?: string): DecisionCheck {
  if (!id) return { ok: false, why: `${db.id} carries no trimtab:stop-decision` };
  if (readError) return { ok: false, why: `stop decision ${id} could not be checked: ${readError}` };
  if (!record) return { ok: false, why: `trimtab:stop-decision names ${id}, but the audit trail holds no such action: a tag alone is never a decision` };
  if (record.action !== STOP_ACTION) return { ok: false, why: `decision ${id} is a ${record.action} action, not a ${STOP_ACTION}` };
  if (record.status === 'undone') return { ok: false, why: `decision ${id} was undone by a person` };
  if (record.status !== 'verified') return { ok: false, why: `decision ${id} is ${record.status}, not a verified stop` };
  // Approved: the approver's address, or `cli:<who>` for a CLI approval; never the scheduler's 'auto'.
  const human = record.mode === 'approval' && typeof record.actor === 'string' && record.actor !== '' && record.actor !== 'auto';
  if (!human && record.mode !== 'auto') return { ok: false, why: `decision ${id} was neither approved by a person nor made by an auto policy (mode ${record.mode}, actor ${record.actor})` };
  if (!db.arn || record.resource?.arn !== db.arn) return { ok: false, why: `decision ${id} was made for ${record.resource?.arn ?? 'another resource'}, not ${db.arn || db.id}` };
  const approvedId = decisionResourceId(record);
  if (!approvedId || !db.resourceId || approvedId !== db.resourceId) {
    return {
      ok: false,
      why: approvedId
        ? `decision ${id} was made for the database with DbiResourceId ${approvedId}; ${db.id} is now ${db.resourceId ?? 'of unknown identity'} (re-created or restored under the same name)`
        : `decision ${id} does not record which database (DbiResourceId) it was made on: a person decides again`,
    };
  }
  const at = decisionTime(record);
  if (Number.isNaN(at)) return { ok: false, why: `decision ${id} has no readable time` };
  return { ok: true, id, decidedAt: new Date(at).toISOString(), actor: record.actor, mode: record.mode };
}

/** A tag's date, or the reason it protects the resource. Never NaN, never a throw. */
export function tagDate(tags: Record<string, string>, key: string, now: Date): { at: number } | { why: string } | undefined {
  const raw = tags[key];
  if (raw === undefined) return undefined;
  const at = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(at)) return { why: `${key} is ${JSON.stringify(raw.slice(0, 40))}, not a date: trimtab cannot tell when it was stopped` };
  if (at > now.getTime() + 60_000) return { why: `${key} is ${raw}, in the future` };
  return { at };
}
