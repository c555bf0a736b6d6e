/** Undoing a recorded action, where its remediator supports it. */
import type { ActionStore } from '../audit/store.ts';
import { remediators } from '../resources/registry.ts';
import { UndoRefusedError, errorMessage } from '../util/errors.ts';
import { clientsForAccount, regionContext, transition, type EngineDeps } from './run.ts';
import type { ActionRecord } from './types.ts';
import { undoViaOwner, viaOwnerOf } from '../ownership/via-owner.ts';

export async function undoAction(id: string, deps: EngineDeps & { store: ActionStore }, actor = 'cli'): Promise<ActionRecord> {
  const record = await deps.store.get(id);
  if (!record) throw new UndoRefusedError(`No action '${id}' in the history. 'trimtab history' lists the action ids.`);
  if (record.status === 'undone') throw new UndoRefusedError(`Action ${id} was already undone.`);
  if (record.status !== 'verified' && record.status !== 'applied') {
    throw new UndoRefusedError(`Action ${id} is '${record.status}': only an applied action can be undone.`);
  }
  const remediator = remediators(record.resource.type).get(record.action);
  const via = viaOwnerOf(record) !== undefined;
  if (!via && (!remediator.undo || remediator.undoable === 'no')) {
    throw new UndoRefusedError(`'${record.action}' cannot be undone: ${record.undo.how}`);
  }
  let result: { detail: string; after?: unknown };
  try {
    // Undo in a member account assumes that account's role (deps.accountClients), never the hub's own clients.
    const clients = (await clientsForAccount(deps, record.resource.account)).withWrites(true);
    const ctx = regionContext(deps, record.resource.region, clients, deps.now?.() ?? new Date(), record.resource.account);
    // A change made through the owner is undone through the owner (a reverse change set), never on the resource.
    result = via ? await undoViaOwner(ctx, record) : await remediator.undo!(ctx, record);
  } catch (error) {
    if (error instanceof UndoRefusedError) throw error;
    throw new UndoRefusedError(`Undo of ${id} failed: ${errorMessage(error)}`, { cause: error });
  }
  await transition(record, 'undone', deps, `${result.detail} (by ${actor})`);
  return record;
}
