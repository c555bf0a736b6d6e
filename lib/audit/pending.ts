/**
 * Writes that may finish after the fix, but never be lost: started when they are due, sent while the
 * invocation goes on, and awaited together at its end (LambdaDeps.finish, lib/lambda/triggers.ts).
 *
 * Deferring is scoped: between `open()` (LambdaDeps.begin) and `settle()` (LambdaDeps.finish); outside
 * that scope (the CLI, the approval workflow's steps, which never call finish) every write is awaited
 * where it is made, as before.
 *
 * What goes here: the completion of an idempotency record (DeferredCompletionLayer below) and the
 * `verified` action record (lib/audit/dynamodb.ts put): the last writes of a fix that worked. The claim
 * (the conditional write that makes an action happen at most once) and every earlier record (planned,
 * the applied record with the before-state) are always awaited before the next step. Until its completion lands, the key stays INPROGRESS, which blocks every other delivery
 * just as a completed record does; if the completion fails, `settle` throws and the invocation fails,
 * as it does when Powertools' own completion write fails (IdempotencyPersistenceLayerError).
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { TrimtabError } from '../util/errors.ts';

export class PendingWrites {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failures: Array<{ what: string; error: unknown }> = [];
  private deferring = false;

  /** From now until `settle()`, writes given to `defer` are sent without waiting. */
  open(): void {
    this.deferring = true;
  }

  /** Send a write: without waiting inside an open scope (tracked for `settle`), awaited outside one. */
  async defer(what: string, write: () => Promise<unknown>): Promise<void> {
    if (!this.deferring) {
      await write();
      return;
    }
    this.add(what, write());
  }

  /** Start tracking a write already sent; its failure is kept for `settle`, never unhandled. */
  add(what: string, write: Promise<unknown>): void {
    const tracked: Promise<void> = write.then(
      () => {
        this.inFlight.delete(tracked);
      },
      (error: unknown) => {
        this.inFlight.delete(tracked);
        this.failures.push({ what, error });
      },
    );
    this.inFlight.add(tracked);
  }

  /** How many writes are still in flight. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Wait for every write sent so far; throws (naming the first failure and how many failed) if any failed. */
  async settle(): Promise<void> {
    this.deferring = false;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    if (this.failures.length === 0) return;
    const failed = this.failures.splice(0);
    const first = failed[0];
    throw new TrimtabError(`${failed.length} deferred write(s) failed; the first: ${first.what}: ${(first.error as Error)?.message ?? String(first.error)}`, { cause: first.error });
  }
}

/**
 * Powertools' DynamoDB persistence whose completion (`saveSuccess` → UpdateItem, status COMPLETED with
 * the result) is sent without waiting: the claim and the release on failure stay awaited.
 */
export class DeferredCompletionLayer extends DynamoDBPersistenceLayer {
  constructor(
    options: ConstructorParameters<typeof DynamoDBPersistenceLayer>[0],
    private readonly pending: PendingWrites,
  ) {
    super(options);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    await this.pending.defer(`completing idempotency record ${record.idempotencyKey}`, () => super._updateRecord(record));
  }
}
