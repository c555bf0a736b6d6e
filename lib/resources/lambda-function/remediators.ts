/**
 * set-memory: UpdateFunctionConfiguration of $LATEST's MemorySize.
 *
 * Published versions are immutable ("You can't modify the configuration of a published
 * version, only the unpublished version", UpdateFunctionConfiguration API reference): aliases
 * that point at a version keep its memory, and so do the provisioned-concurrency instances on
 * them, until a new version is published from $LATEST and the alias moves. The plan says so.
 *
 * apply re-reads the function right before the write (GetFunctionConfiguration, then ListTags:
 * GetFunction returns Tags only to a caller with an explicit allow for lambda:ListTags, and
 * silently omits them otherwise, so an explicit tag read is the only one that fails loudly when
 * the permission is missing) and refuses `trimtab:skip`, trimtab's own functions (name prefix or
 * stack tag) and a function whose memory changed since the scan. It waits for an update in progress to finish
 * (another update meanwhile is ResourceConflictException), writes with the RevisionId it read
 * (PreconditionFailedException if anyone changed the function in between), then polls
 * GetFunctionConfiguration through ctx.clock until LastUpdateStatus leaves InProgress:
 * Successful is done, Failed fails the action (AWS keeps the previous configuration), and a
 * wait past the deadline leaves the action applied with verification pending.
 * Undo sets the recorded size back the same way, only if nobody changed it since.
 */
import { GetFunctionConfigurationCommand, LambdaClient, ListTagsCommand, UpdateFunctionConfigurationCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import { SKIP_TAG } from '../protection.ts';
import type { ActionRecord, Remediator, RegionContext } from '../../engine/types.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import { aliasSummary, ownFunction, type MemoryBefore } from './detectors.ts';
import { MAX_MEMORY_MB, MIN_MEMORY_MB } from './limits.ts';

const NOT_FOUND = 'ResourceNotFoundException';
const CONFLICT = 'ResourceConflictException';

export interface SetMemoryParams {
  functionName: string;
  fromMb: number;
  toMb: number;
  waitSeconds: number;
  pollSeconds: number;
}

interface SetMemoryAfter {
  memoryMb: number;
  lastUpdateStatus?: string;
  alreadyGone?: boolean;
  alreadySet?: boolean;
}

interface SetMemoryOptions {
  waitSeconds: number;
  pollSeconds: number;
}

async function readFunction(lambda: LambdaClient, name: string, withTags = true): Promise<{ config: FunctionConfiguration; tags: Record<string, string> } | undefined> {
  try {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    // ListTags takes the function's ARN; AccessDeniedException here fails the action (nothing written).
    if (!withTags) return { config, tags: {} };
    const tags = await lambda.send(new ListTagsCommand({ Resource: config.FunctionArn ?? name }));
    return { config, tags: tags.Tags ?? {} };
  } catch (error) {
    if (awsErrorName(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

/** Polls $LATEST until LastUpdateStatus is no longer InProgress, or the deadline passes. */
async function waitForUpdate(ctx: RegionContext, lambda: LambdaClient, name: string, waitSeconds: number, pollSeconds: number): Promise<FunctionConfiguration> {
  const deadline = ctx.clock.now().getTime() + waitSeconds * 1000;
  for (;;) {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (config.LastUpdateStatus !== 'InProgress' || ctx.clock.now().getTime() >= deadline) return config;
    await ctx.clock.sleep(pollSeconds * 1000);
  }
}

/** The write, retried while another update is in progress (ResourceConflictException), then waited for. */
async function setMemory(ctx: RegionContext, lambda: LambdaClient, name: string, memoryMb: number, revisionId: string | undefined, p: Pick<SetMemoryParams, 'waitSeconds' | 'pollSeconds'>): Promise<FunctionConfiguration> {
  const deadline = ctx.clock.now().getTime() + p.waitSeconds * 1000;
  for (;;) {
    try {
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, MemorySize: memoryMb, ...(revisionId ? { RevisionId: revisionId } : {}) }));
      break;
    } catch (error) {
      if (awsErrorName(error) !== CONFLICT || ctx.clock.now().getTime() >= deadline) throw error;
      await ctx.clock.sleep(p.pollSeconds * 1000);
    }
  }
  return waitForUpdate(ctx, lambda, name, Math.max(0, (deadline - ctx.clock.now().getTime()) / 1000), p.pollSeconds);
}

function refusal(name: string, tags: Record<string, string>): string | undefined {
  if (SKIP_TAG in tags) return `${name} is tagged ${SKIP_TAG}`;
  return ownFunction({ name, tags });
}

export const setMemoryAction: Remediator<SetMemoryParams, SetMemoryOptions> = {
  id: 'set-memory',
  resource: 'lambda-function',
  title: "Set the memory size of the function's $LATEST (published versions are immutable)",
  options: z.object({
    /** How long apply waits for LastUpdateStatus to leave InProgress (seconds; in a VPC an update can take a minute). */
    waitSeconds: z.number().int().min(0).max(600).default(120),
    /** How often apply re-reads the function while it waits, seconds. */
    pollSeconds: z.number().min(0).max(30).default(2),
  }),
  permissions: ['lambda:GetFunctionConfiguration', 'lambda:ListTags', 'lambda:UpdateFunctionConfiguration'],
  // Memory changes the function's speed and its CPU: a person approves it by default.
  defaultMode: 'approval',
  undoable: 'yes',
  undoLimits: "Invocations that ran at the other memory size (slower, or out of memory) are not re-run; published versions are not changed by either step.",

  plan(finding, options) {
    const b = finding.before as MemoryBefore | undefined;
    // x86-to-arm64 proposes no memory size: set-memory has nothing to set for it.
    if (!b?.candidateMb) return { kind: 'conflict', reason: `detector ${finding.detector} proposes no memory size; set-memory goes with memory-oversized or memory-undersized` };
    if (b.candidateMb < MIN_MEMORY_MB || b.candidateMb > MAX_MEMORY_MB) return { kind: 'conflict', reason: `${b.candidateMb} MB is outside Lambda's ${MIN_MEMORY_MB}–${MAX_MEMORY_MB} MB` };
    if (b.candidateMb === b.memoryMb) return { kind: 'noop', reason: `${b.functionName} already has ${b.memoryMb} MB` };
    const aliases = aliasSummary(b.aliases);
    const versions = aliases.pinned.length
      ? ` Published versions are immutable: ${aliases.text}; those keep their memory${aliases.provisioned.length ? ' (and their provisioned-concurrency instances stay at the old size)' : ''} until a version is published from $LATEST and the alias moves to it.`
      : b.aliases.length
        ? ` Aliases: ${aliases.text}.`
        : '';
    return {
      kind: 'change',
      summary: `Set ${b.functionName} ($LATEST) memory from ${b.memoryMb} MB to ${b.candidateMb} MB (CPU scales with it: ${(b.candidateMb / b.memoryMb).toFixed(2)}×), wait for LastUpdateStatus Successful.${versions}`,
      params: { functionName: b.functionName, fromMb: b.memoryMb, toMb: b.candidateMb, ...options },
      undo: `trimtab undo sets $LATEST back to ${b.memoryMb} MB, if nobody changed its memory since.`,
    };
  },

  async apply(ctx, plan) {
    const lambda = ctx.clients.get(LambdaClient, ctx.region);
    const { functionName: name, fromMb, toMb } = plan.params;
    const current = await readFunction(lambda, name);
    if (!current) return { after: { memoryMb: toMb, alreadyGone: true } satisfies SetMemoryAfter, detail: `${name} no longer exists: counts as done` };
    const refused = refusal(name, current.tags);
    if (refused) throw new ProtectedResourceError(`${refused}; nothing was changed`);
    const before = { memoryMb: current.config.MemorySize, lastUpdateStatus: current.config.LastUpdateStatus };
    if (current.config.MemorySize === toMb) return { before, after: { memoryMb: toMb, alreadySet: true } satisfies SetMemoryAfter, detail: `${name} already has ${toMb} MB` };
    if (current.config.MemorySize !== fromMb) throw new ProtectedResourceError(`${name} now has ${current.config.MemorySize} MB, not the ${fromMb} MB the plan was made for: someone changed it since the scan; nothing was changed`);
    let revisionId = current.config.RevisionId;
    if (current.config.LastUpdateStatus === 'InProgress') {
      // An update someone else started: wait for it, then re-check that it did not change the memory.
      const settled = await waitForUpdate(ctx, lambda, name, plan.params.waitSeconds, plan.params.pollSeconds);
      if (settled.MemorySize !== fromMb) throw new ProtectedResourceError(`${name} now has ${settled.MemorySize} MB after an update in progress; nothing was changed`);
      revisionId = settled.RevisionId;
    }
    let result: FunctionConfiguration;
    try {
      result = await setMemory(ctx, lambda, name, toMb, revisionId, plan.params);
    } catch (error) {
      const code = awsErrorName(error);
      if (code === NOT_FOUND) return { before, after: { memoryMb: toMb, alreadyGone: true } satisfies SetMemoryAfter, detail: `${name} vanished: counts as done` };
      if (code === 'PreconditionFailedException') throw new ProtectedResourceError(`${name} changed between the read and the write (${code}); nothing was changed, a later run retries`, { cause: error });
      if (code === CONFLICT) throw new ProtectedResourceError(`${name}: another update stayed in progress for ${plan.params.waitSeconds} s (${code}: ${errorMessage(error)}); a later run retries`, { cause: error });
      throw error;
    }
    if (result.LastUpdateStatus === 'Failed') {
      throw new Error(`${name}: the update to ${toMb} MB failed (${result.LastUpdateStatusReasonCode ?? '?'}: ${result.LastUpdateStatusReason ?? 'no reason given'}); AWS keeps the previous configuration (${result.MemorySize} MB).`);
    }
    return {
      before,
      after: { memoryMb: toMb, lastUpdateStatus: result.LastUpdateStatus } satisfies SetMemoryAfter,
      detail: `${name}: memory ${fromMb} → ${toMb} MB, LastUpdateStatus ${result.LastUpdateStatus}`,
    };
  },

  async verify(ctx, plan, applied) {
    const after = applied.after as SetMemoryAfter;
    const name = plan.params.functionName;
    if (after.alreadyGone) return { ok: true, detail: `${name} is gone` };
    const lambda = ctx.clients.get(LambdaClient, ctx.region);
    let config: FunctionConfiguration;
    try {
      config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    } catch (error) {
      if (awsErrorName(error) === NOT_FOUND) return { ok: true, detail: `${name} is gone` };
      throw error;
    }
    if (config.LastUpdateStatus === 'InProgress') return { ok: false, pending: true, detail: `${name}: the update to ${plan.params.toMb} MB is still InProgress; re-verify in a minute` };
    if (config.LastUpdateStatus === 'Failed') return { ok: false, detail: `${name}: LastUpdateStatus Failed (${config.LastUpdateStatusReason ?? '?'}); memory is ${config.MemorySize} MB` };
    if (config.MemorySize !== plan.params.toMb) return { ok: false, detail: `${name} has ${config.MemorySize} MB, not the ${plan.params.toMb} MB set` };
    return { ok: true, detail: `${name} ($LATEST) has ${config.MemorySize} MB, LastUpdateStatus ${config.LastUpdateStatus ?? 'Successful'}` };
  },

  async undo(ctx, record: ActionRecord) {
    const lambda = ctx.clients.get(LambdaClient, ctx.region);
    const params = record.params as SetMemoryParams;
    const after = record.after as SetMemoryAfter | undefined;
    const name = params.functionName;
    if (!after || after.alreadyGone) throw new UndoRefusedError(`${name} no longer existed when trimtab acted; nothing to undo.`);
    if (after.alreadySet) throw new UndoRefusedError(`${name} already had ${params.toMb} MB when trimtab acted; trimtab changed nothing to undo.`);
    const current = await readFunction(lambda, name, false);
    if (!current) throw new UndoRefusedError(`${name} no longer exists.`);
    if (current.config.MemorySize !== params.toMb) throw new UndoRefusedError(`${name} has ${current.config.MemorySize} MB now, not the ${params.toMb} MB trimtab set: someone changed it since; not undone.`);
    let result: FunctionConfiguration;
    try {
      result = await setMemory(ctx, lambda, name, params.fromMb, current.config.RevisionId, params);
    } catch (error) {
      const code = awsErrorName(error);
      if (code === CONFLICT || code === 'PreconditionFailedException') throw new UndoRefusedError(`${name}: AWS refused the change back to ${params.fromMb} MB (${code}: ${errorMessage(error)}); nothing was changed, try again.`, { cause: error });
      throw error;
    }
    if (result.LastUpdateStatus === 'Failed') throw new UndoRefusedError(`${name}: the update back to ${params.fromMb} MB failed (${result.LastUpdateStatusReason ?? '?'}); it still has ${result.MemorySize} MB.`);
    return { detail: `${name} ($LATEST) memory set back to ${params.fromMb} MB (LastUpdateStatus ${result.LastUpdateStatus}).`, after: { memoryMb: params.fromMb } };
  },
};
