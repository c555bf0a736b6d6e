/**
 * The approval record: the plan and its findings under a short approval id, the task token
 * (kept here, never sent anywhere), the decision and the outcome.
 *
 * Every state change is a conditional update on `status`, so a link works once, a late click
 * after a timeout changes nothing, and a retried Lambda never moves a record backwards.
 * DynamoDB in AWS; an in-memory store with the same conditional semantics in tests and locally.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { FindingResult } from '../engine/run.ts';
import type { ActionStatus } from '../engine/types.ts';
import type { Policy } from '../policy/load.ts';
import { TrimtabError } from '../util/errors.ts';

export type ApprovalStatus =
  | 'requested' // stored by the requester, execution starting
  | 'recorded' // "Record the plan" ran
  | 'waiting' // "Ask the approvers" stored the token and sent the email
  | 'approved'
  | 'rejected'
  | 'applying'
  | 'applied'
  | 'fixed' // every approved change verified
  | 'not-approved' // rejected or timed out, recorded
  | 'failed';

/** What Ask signed of the approval (lib/approval/seal.ts computes and checks it). */
export interface ApprovalSeal {
  /** The key of the link secret's ring that signed it. */
  kid: string;
  /** HMAC-SHA256, base64url. */
  mac: string;
}

export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  /** The approver's address (from the signed link) or `cli:<user>`. */
  actor: string;
  at: string;
  /** Findings the approver opted out of. */
  excluded: string[];
  via: 'link' | 'cli';
  reason?: string;
  /** Where the decision came from: the caller's IP (HTTP API `requestContext.http.sourceIp`, the local server's socket), or the CLI's host. */
  sourceIp?: string;
  /** The caller's User-Agent header (or `trimtab CLI`). */
  userAgent?: string;
}

/**
 * The statuses each status may follow: a record only moves forward. Every update that sets a
 * status is conditional on this (a DynamoDB ConditionExpression in AWS, the same rule in
 * memory), so a late or retried writer can never move, say, `fixed` back to `not-approved`.
 */
export const MAY_FOLLOW: Readonly<Record<ApprovalStatus, readonly ApprovalStatus[]>> = {
  requested: [],
  recorded: ['requested', 'recorded'],
  // approved/rejected → waiting: decide() gives its claim back when the workflow could not be resumed.
  waiting: ['recorded', 'waiting', 'approved', 'rejected'],
  approved: ['waiting'],
  rejected: ['waiting'],
  applying: ['approved', 'applying'],
  applied: ['applying', 'applied'],
  fixed: ['applied', 'fixed'],
  // approved → not-approved: the wait timed out while a late click was being delivered.
  'not-approved': ['recorded', 'waiting', 'approved', 'rejected', 'not-approved'],
  failed: ['requested', 'recorded', 'waiting', 'approved', 'rejected', 'applying', 'applied', 'failed'],
};

/**
 * The statuses an update may apply to: `when` (which must be allowed by MAY_FOLLOW) or, when
 * it sets a status, every status that status may follow. undefined: no condition (no status change).
 */
export function allowedFrom(changes: { status?: ApprovalStatus }, when?: readonly ApprovalStatus[]): readonly ApprovalStatus[] | undefined {
  if (!changes.status) return when;
  const table = MAY_FOLLOW[changes.status];
  const illegal = (when ?? []).filter((s) => !table.includes(s));
  if (illegal.length) throw new TrimtabError(`An approval cannot move from '${illegal.join("', '")}' to '${changes.status}' (allowed from: ${table.join(', ') || 'nothing'}).`);
  return when ?? table;
}

export interface ActionSummary {
  findingId: string;
  actionId: string;
  resourceId: string;
  region: string;
  status: ActionStatus;
  detail: string;
  undo: { supported: string; how: string; limits?: string };
  before?: unknown;
  after?: unknown;
}

export interface ApprovalRecord {
  approvalId: string;
  status: ApprovalStatus;
  createdAt: string;
  updatedAt: string;
  account: string;
  policy: Policy;
  findings: FindingResult[];
  approvers: string[];
  timeoutSeconds: number;
  executionArn?: string;
  /** The Step Functions task token: read by the page and the CLI, never rendered or logged. */
  taskToken?: string;
  askedAt?: string;
  /** When the links (and the wait) expire. */
  expiresAt?: string;
  /** What the approvers were asked to approve, signed at Ask (lib/approval/seal.ts); Apply refuses a record that no longer matches. */
  seal?: ApprovalSeal;
  /** null after a decision was rolled back (the task token could not be sent). */
  decision?: ApprovalDecision | null;
  /**
   * One entry per approved change, written as each is applied (a retried Apply skips them) and
   * updated by Verify. Kept here, not only in the audit store, so every step function reads it.
   */
  actions?: ActionSummary[];
  /**
   * The change Apply is part-way through (one change, or one step of it, per invocation): named
   * before the engine writes anything, so a retried or resumed Apply continues this same action
   * record and never starts a second one.
   */
  inProgress?: { findingId: string; actionId: string; resumeAt?: string } | null;
  verification?: { verified: number; failed: number };
  notApproved?: { reason: 'rejected' | 'timed-out'; detail: string };
  error?: { Error: string; Cause: string };
  notified?: string[];
  /** DynamoDB TTL: records are kept 400 days (the audit trail keeps the actions themselves). */
  ttl: number;
}

export class ApprovalNotFoundError extends TrimtabError {
  constructor(readonly approvalId: string) {
    super(`No approval '${approvalId}'. List them with 'trimtab approvals list'.`);
  }
}

/** Short, unguessable, URL-safe: apr-<10 base32 chars>. Deterministic when given a seed (dedupes re-runs). */
export function newApprovalId(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  return `apr-${[...randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export const APPROVAL_ID = /^apr-[a-z0-9]{6,32}$/;

export interface ApprovalStore {
  /** false when the id exists already (nothing is overwritten). */
  create(record: ApprovalRecord): Promise<boolean>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /**
   * Set fields, only if the record's status is one of `when`. A status change is always
   * conditional: without `when`, on every status it may follow (MAY_FOLLOW); a `when` outside
   * that table throws. Returns false when the condition fails; throws ApprovalNotFoundError
   * when there is no record.
   */
  update(id: string, changes: Partial<Omit<ApprovalRecord, 'approvalId'>>, when?: ApprovalStatus[]): Promise<boolean>;
  list(): Promise<ApprovalRecord[]>;
}

const stamp = (changes: Partial<ApprovalRecord>, now: Date) => ({ ...changes, updatedAt: now.toISOString() });

/** In memory, with DynamoDB's conditional semantics (tests, the local stack). */
export class MemoryApprovalStore implements ApprovalStore {
  readonly records = new Map<string, ApprovalRecord>();
  constructor(protected readonly now: () => Date = () => new Date()) {}

  protected load(): Map<string, ApprovalRecord> {
    return this.records;
  }
  protected save(_records: Map<string, ApprovalRecord>): void {}

  async create(record: ApprovalRecord) {
    const records = this.load();
    if (records.has(record.approvalId)) return false;
    records.set(record.approvalId, structuredClone(record));
    this.save(records);
    return true;
  }
  async get(id: string) {
    const record = this.load().get(id);
    return record && structuredClone(record);
  }
  async update(id: string, changes: Partial<ApprovalRecord>, when?: ApprovalStatus[]) {
    const records = this.load();
    const record = records.get(id);
    if (!record) throw new ApprovalNotFoundError(id);
    const from = allowedFrom(changes, when);
    if (from && !from.includes(record.status)) return false;
    records.set(id, { ...record, ...structuredClone(stamp(changes, this.now())) });
    this.save(records);
    return true;
  }
  async list() {
    return [...this.load().values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((r) => structuredClone(r));
  }
}

/**
 * A JSON file (the sandbox: the local stack and `trimtab approvals --sandbox` in another
 * process share it). Read-modify-write with an atomic rename; one machine, one user.
 */
export class FileApprovalStore extends MemoryApprovalStore {
  constructor(
    readonly file: string,
    now?: () => Date,
  ) {
    super(now);
  }
  protected override load() {
    const records = new Map<string, ApprovalRecord>();
    if (!existsSync(this.file)) return records;
    for (const record of JSON.parse(readFileSync(this.file, 'utf8')) as ApprovalRecord[]) records.set(record.approvalId, record);
    return records;
  }
  protected override save(records: Map<string, ApprovalRecord>) {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify([...records.values()], null, 1));
    renameSync(tmp, this.file);
  }
}

/** DynamoDB: one item per approval, conditional updates on `status`. */
export class DynamoApprovalStore implements ApprovalStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(
    readonly table: string,
    client: DynamoDBClient,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } });
  }

  async create(record: ApprovalRecord) {
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: record, ConditionExpression: 'attribute_not_exists(approvalId)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async get(id: string) {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { approvalId: id }, ConsistentRead: true }));
    return Item as ApprovalRecord | undefined;
  }

  async update(id: string, changes: Partial<ApprovalRecord>, when?: ApprovalStatus[]) {
    const fields = Object.entries(stamp(changes, this.now())).filter(([, v]) => v !== undefined);
    const names: Record<string, string> = { '#id': 'approvalId' };
    const values: Record<string, unknown> = {};
    const sets = fields.map(([key, value], i) => {
      names[`#f${i}`] = key;
      values[`:v${i}`] = value;
      return `#f${i} = :v${i}`;
    });
    const from = allowedFrom(changes, when);
    // A status no state may precede (an empty list) can never be set by an update.
    if (from && from.length === 0) return false;
    // DynamoDB refuses a name or value the expressions do not use (ValidationException), so #status only when conditioned on.
    if (from) names['#status'] = 'status';
    const allowed = (from ?? []).map((status, i) => {
      values[`:s${i}`] = status;
      return `:s${i}`;
    });
    const condition = `attribute_exists(#id)${from ? ` AND #status IN (${allowed.join(', ')})` : ''}`;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { approvalId: id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // No item at all is a different problem from "not in that status any more".
      if (!(error as { Item?: unknown }).Item) throw new ApprovalNotFoundError(id);
      return false;
    }
  }

  async list() {
    const records: ApprovalRecord[] = [];
    // Operators list rarely and the table holds at most a few hundred items: a scan is fine here.
    for await (const page of paginateScan({ client: this.doc }, { TableName: this.table, ProjectionExpression: '#id, #status, createdAt, updatedAt, policy, approvers, findings, decision, expiresAt, notApproved, #err', ExpressionAttributeNames: { '#id': 'approvalId', '#status': 'status', '#err': 'error' } })) {
      records.push(...((page.Items ?? []) as ApprovalRecord[]));
    }
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}
