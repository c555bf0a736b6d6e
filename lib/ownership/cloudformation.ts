/**
 * CloudFormation as an owner: confirming a claimed owner by physical id, planning the one-property
 * template or parameter edit, and changing the stack through a checked change set.
 *
 * Order of a change through the stack (docs/ownership.md):
 *  1. DescribeStackResources(PhysicalResourceId): the stack and logical id AWS records for the
 *     resource; a tag that names another stack (or a resource in no stack) is refused.
 *  2. DescribeStacks: the stack is in a *_COMPLETE state, not *_IN_PROGRESS; its parameters and
 *     capabilities.
 *  3. GetTemplate: the property is a literal equal to the resource's current value (edit the
 *     template) or a `Ref` to a parameter used by nothing else (change the parameter); any other
 *     value is computed (Ref to a resource, Fn::*): refused, reported instead.
 *  4. CreateChangeSet, then DescribeChangeSet until CREATE_COMPLETE: exactly one change, Modify of
 *     that logical id, Replacement False, only that property. Anything else: the change set is
 *     deleted and the change refused with why. Nothing is executed.
 *  5. ExecuteChangeSet; DescribeStacks until UPDATE_COMPLETE (a rollback fails the action).
 *  6. verify: DetectStackResourceDrift finds the resource IN_SYNC.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  DetectStackResourceDriftCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  paginateListStackResources,
  paginateListStacks,
  type Change,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import type { RegionContext } from '../engine/types.ts';
import { awsErrorName, errorMessage, ProtectedResourceError, TrimtabError } from '../util/errors.ts';
import type { Owner } from './owners.ts';
import { propertyPath, type TemplateChange } from './properties.ts';
import { shortHash } from '../util/hash.ts';
import { pollUntilDeadline, type Polled, type WaitBudget } from '../aws/wait.ts';

export interface StackResourceOwner extends Owner {
  kind: 'cloudformation';
  stackName: string;
  stackId: string;
  logicalId: string;
  resourceType: string;
}

const cfn = (ctx: Pick<RegionContext, 'clients' | 'region'>) => ctx.clients.get(CloudFormationClient, ctx.region);

/**
 * The stack AWS records for a physical id, or undefined when the resource is in no stack
 * (DescribeStackResources answers ValidationError "Stack for <id> does not exist").
 */
export async function stackOwnerOf(ctx: Pick<RegionContext, 'clients' | 'region'>, physicalId: string, cfnType: string | undefined): Promise<StackResourceOwner | undefined> {
  let out;
  try {
    out = await cfn(ctx).send(new DescribeStackResourcesCommand({ PhysicalResourceId: physicalId }));
  } catch (error) {
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
  // By physical id AWS answers every resource of the stack; a name is unique only within a type
  // (a function and a table may both be called shop-orders), so the type must match too.
  const row = out.StackResources?.find((r) => r.PhysicalResourceId === physicalId && (!cfnType || r.ResourceType === cfnType));
  if (!row?.StackName || !row.LogicalResourceId) return undefined;
  return {
    kind: 'cloudformation',
    name: `CloudFormation stack ${row.StackName} (logical id ${row.LogicalResourceId})`,
    signal: 'cloudformation:DescribeStackResources',
    confirmed: true,
    stackName: row.StackName,
    stackId: row.StackId ?? '',
    logicalId: row.LogicalResourceId,
    resourceType: row.ResourceType ?? '',
  };
}

/** Stack statuses whose resources exist (every status but DELETE_COMPLETE). */
const LIVE_STATUSES: StackStatus[] = ['CREATE_IN_PROGRESS', 'CREATE_FAILED', 'CREATE_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_FAILED', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'IMPORT_IN_PROGRESS', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_COMPLETE'];

/**
 * Every resource of the given CloudFormation types in the region's stacks, by `type|physical id`:
 * one ListStacks listing and one ListStackResources listing per stack, instead of one
 * DescribeStackResources per resource (an account with hundreds of tables would spend minutes and
 * hit CloudFormation's throttling). Built once per run and region (the engine keeps it).
 */
export async function stackIndex(ctx: Pick<RegionContext, 'clients' | 'region'>, cfnTypes: ReadonlySet<string>): Promise<Map<string, StackResourceOwner>> {
  const index = new Map<string, StackResourceOwner>();
  const client = cfn(ctx);
  for await (const page of paginateListStacks({ client }, { StackStatusFilter: LIVE_STATUSES })) {
    for (const stack of page.StackSummaries ?? []) {
      for await (const rows of paginateListStackResources({ client }, { StackName: stack.StackId ?? stack.StackName })) {
        for (const r of rows.StackResourceSummaries ?? []) {
          if (!r.PhysicalResourceId || !r.ResourceType || !cfnTypes.has(r.ResourceType)) continue;
          index.set(`${r.ResourceType}|${r.PhysicalResourceId}`, {
            kind: 'cloudformation',
            name: `CloudFormation stack ${stack.StackName} (logical id ${r.LogicalResourceId})`,
            signal: 'cloudformation:ListStackResources',
            confirmed: true,
            stackName: stack.StackName!,
            stackId: stack.StackId ?? '',
            logicalId: r.LogicalResourceId!,
            resourceType: r.ResourceType,
          });
        }
      }
    }
  }
  return index;
}

/** How the one change is made in the stack: a new template body, or a new parameter value. */
export type StackEdit =
  | { kind: 'template'; body: string; where: string }
  | { kind: 'parameter'; parameter: string; value: string; where: string };

/** CreateChangeSetInput.TemplateBody: at most 51,200 bytes (client-cloudformation models_0.d.ts CreateChangeSetInput.TemplateBody). */
export const TEMPLATE_BODY_MAX_BYTES = 51_200;

const isLiteral = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Pure: the edit that sets one property of one resource, or a refusal (a string saying why).
 * `parameters` are the stack's current values (DescribeStacks).
 */
export function planStackEdit(templateBody: string, parameters: Record<string, string>, logicalId: string, change: TemplateChange): StackEdit | string {
  let template: any;
  try {
    template = JSON.parse(templateBody);
  } catch {
    return 'the template is not JSON (trimtab edits JSON templates only; a YAML template with short-form functions such as !Ref cannot be read safely): change it in the template';
  }
  const resource = template?.Resources?.[logicalId];
  if (!resource) return `the template has no resource ${logicalId}`;
  if (resource.Type !== change.cfnType) return `${logicalId} is a ${resource.Type}, not a ${change.cfnType}`;
  let parent: any = resource.Properties ?? {};
  for (const key of change.path.slice(0, -1)) {
    parent = parent?.[key];
    if (!parent || typeof parent !== 'object' || Object.keys(parent).some((k) => k === 'Ref' || k.startsWith('Fn::'))) {
      return `${propertyPath({ path: change.path })} of ${logicalId} is computed (${JSON.stringify(parent ?? null)}), not a literal`;
    }
  }
  const last = change.path[change.path.length - 1];
  const value = parent[last];
  const where = `${propertyPath(change)} of ${logicalId}`;
  if (value === undefined) return `${where} is not set in the template (the type's default applies): add it there`;
  if (isLiteral(value)) {
    if (String(value) !== String(change.from)) return `${where} is ${JSON.stringify(value)} in the template but ${JSON.stringify(change.from)} on the resource: it has drifted; resolve the drift first`;
    parent[last] = typeof value === 'number' ? Number(change.to) : typeof value === 'string' ? String(change.to) : change.to;
    // CreateChangeSet takes a TemplateBody of at most 51,200 bytes (larger ones only by TemplateURL, from S3).
    const pretty = JSON.stringify(template, null, 2);
    const body = Buffer.byteLength(pretty) <= TEMPLATE_BODY_MAX_BYTES ? pretty : JSON.stringify(template);
    if (Buffer.byteLength(body) > TEMPLATE_BODY_MAX_BYTES) return `the edited template is ${Buffer.byteLength(body)} bytes, over the ${TEMPLATE_BODY_MAX_BYTES} bytes CreateChangeSet accepts as TemplateBody (larger templates need TemplateURL, an S3 upload trimtab does not make): change it in the template`;
    return { kind: 'template', body, where };
  }
  const keys = value && typeof value === 'object' ? Object.keys(value) : [];
  if (keys.length === 1 && keys[0] === 'Ref' && typeof value.Ref === 'string' && value.Ref in (template.Parameters ?? {})) {
    const parameter = value.Ref;
    const uses = JSON.stringify(template.Resources).split(`{"Ref":"${parameter}"}`).length - 1 + (JSON.stringify(template.Outputs ?? {}).includes(`"${parameter}"`) ? 1 : 0) + (JSON.stringify(template.Conditions ?? {}).includes(`"${parameter}"`) ? 1 : 0);
    if (uses !== 1) return `${where} is the parameter ${parameter}, which ${uses} places in the template use: changing it would change more than this property`;
    const current = parameters[parameter];
    if (current !== undefined && String(current) !== String(change.from)) return `${where} is the parameter ${parameter} = ${current}, but the resource has ${change.from}: it has drifted; resolve the drift first`;
    return { kind: 'parameter', parameter, value: String(change.to), where: `${where} (parameter ${parameter})` };
  }
  return `${where} is computed (${JSON.stringify(value)}): a Ref to a resource or an Fn:: function; change it in the template`;
}

/** Why a change set is not the one change asked for, or undefined when it is. */
export function changeSetProblem(changes: Change[] | undefined, logicalId: string, change: TemplateChange): string | undefined {
  const list = changes ?? [];
  if (list.length !== 1) return `the change set changes ${list.length} resources (${list.map((c) => `${c.ResourceChange?.Action} ${c.ResourceChange?.LogicalResourceId}`).join(', ') || 'none'}), not only ${logicalId}`;
  const rc = list[0].ResourceChange;
  if (rc?.Action !== 'Modify' || rc.LogicalResourceId !== logicalId) return `the change set would ${rc?.Action} ${rc?.LogicalResourceId}, not modify ${logicalId}`;
  if (rc.Replacement !== 'False') return `the change set would replace ${logicalId} (Replacement ${rc.Replacement}${rc.Details?.filter((d) => d.Target?.RequiresRecreation !== 'Never').map((d) => `: ${d.Target?.Name} requires recreation ${d.Target?.RequiresRecreation}`).join('') ?? ''}); trimtab never executes a change set that replaces or deletes a resource`;
  const props = new Set((rc.Details ?? []).map((d) => d.Target?.Name));
  if (props.size !== 1 || !props.has(change.path[0])) return `the change set changes ${[...props].join(', ')} of ${logicalId}, not only ${change.path[0]}`;
  return undefined;
}

export interface StackChangeParams {
  stackName: string;
  logicalId: string;
  physicalId: string;
  change: TemplateChange;
  /** Deterministic per plan: a retried apply finds its own change set instead of making a second. */
  changeSetName: string;
}

export interface StackChangeResult {
  changeSetId: string;
  summary: string;
  edit: StackEdit;
  /** shortHash of the stack's original template when the change set was made: the apply re-checks it. */
  templateHash: string;
}

const COMPLETE = /_COMPLETE$/;
const POLL_MS = 5_000;
const MAX_POLLS = 180;

async function stackOf(ctx: RegionContext, name: string) {
  const out = await cfn(ctx).send(new DescribeStacksCommand({ StackName: name }));
  const stack = out.Stacks?.[0];
  if (!stack) throw new TrimtabError(`DescribeStacks answered no stack ${name}`);
  return stack;
}

/**
 * Why a stack must not be changed directly, or undefined. A nested stack (DescribeStacks ParentId)
 * is changed through its root stack: an update made on the nested stack itself is reverted by the
 * next update of the root, which re-applies the nested template it holds.
 */
export function managedStackProblem(stack: { StackName?: string; ParentId?: string; RootId?: string; Tags?: { Key?: string; Value?: string }[] }): string | undefined {
  if (stack.ParentId) return `stack ${stack.StackName} is a nested stack of ${stack.RootId ?? stack.ParentId}: change it through its root stack, not directly`;
  // Stacks another service made and keeps: Elastic Beanstalk environments (awseb-e-…-stack, stack
  // tags elasticbeanstalk:*), Service Catalog products (aws:servicecatalog:*), StackSet instances
  // (StackSet-…). Their owner re-applies its own template; the stack's tags are set by that service.
  // A resource of such a stack that lost its own owner tag must not be changed through the stack.
  const service = (stack.Tags ?? []).find((t) => /^(elasticbeanstalk:|aws:servicecatalog:)/.test(t.Key ?? ''));
  if (service) return `stack ${stack.StackName} is managed by ${service.Key!.startsWith('elasticbeanstalk:') ? 'Elastic Beanstalk' : 'Service Catalog'} (stack tag ${service.Key}=${service.Value}): change it through that service, not the stack`;
  if (/^StackSet-/.test(stack.StackName ?? '')) return `stack ${stack.StackName} is a StackSet instance: change it through its StackSet, not the stack`;
  return undefined;
}

/** Canonical JSON of a template body, or the body itself when it is not JSON. */
const canonical = (body: string | undefined) => {
  try {
    return JSON.stringify(JSON.parse(body ?? ''));
  } catch {
    return body ?? '';
  }
};

/**
 * Why a change set's own settings are not the ones trimtab submits (none): a deployment mode
 * (REVERT_DRIFT), nested change sets, imports of existing resources, or stack tags other than the
 * stack's (they would be written to the stack and propagated to its resources), or undefined.
 * Not visible in DescribeChangeSet, so not checked: the RoleARN the change set was created with.
 */
export function changeSetSettingsProblem(described: { DeploymentMode?: string; IncludeNestedStacks?: boolean; ImportExistingResources?: boolean; Tags?: { Key?: string; Value?: string }[] }, stackTags: { Key?: string; Value?: string }[] | undefined): string | undefined {
  const asText = (tags: { Key?: string; Value?: string }[] | undefined) => JSON.stringify((tags ?? []).map((t) => `${t.Key}=${t.Value}`).sort());
  const odd = [
    described.DeploymentMode ? `DeploymentMode ${described.DeploymentMode}` : '',
    described.IncludeNestedStacks ? 'IncludeNestedStacks' : '',
    described.ImportExistingResources ? 'ImportExistingResources' : '',
    described.Tags?.length && asText(described.Tags) !== asText(stackTags) ? `stack tags ${asText(described.Tags)}` : '',
  ].filter(Boolean);
  return odd.length ? `it sets ${odd.join(', ')}, which trimtab never submits` : undefined;
}

/**
 * Why an existing change set is not exactly the submission trimtab made (template and every
 * parameter value), or undefined. The name trimtab-<plan hash> is predictable: a change set of that
 * name made by someone else (AlreadyExistsException on a first apply) must never be executed.
 */
export function changeSetContentProblem(templateBody: string | undefined, parameters: { ParameterKey?: string; ParameterValue?: string }[] | undefined, wantBody: string, wantParameters: Record<string, string>): string | undefined {
  if (canonical(templateBody) !== canonical(wantBody)) return 'its template is not the one trimtab submitted';
  const have = Object.fromEntries((parameters ?? []).map((x) => [x.ParameterKey ?? '', x.ParameterValue ?? '']));
  const keys = new Set([...Object.keys(have), ...Object.keys(wantParameters)]);
  const differ = [...keys].filter((k) => have[k] !== wantParameters[k]);
  return differ.length ? `its parameters ${differ.join(', ')} are not the values trimtab submitted` : undefined;
}

/** Steps 1-4: confirm, read, create and check the change set. Throws ProtectedResourceError (nothing executed) on any refusal. */
export async function prepareStackChange(ctx: RegionContext, p: StackChangeParams): Promise<StackChangeResult> {
  const owner = await stackOwnerOf(ctx, p.physicalId, p.change.cfnType);
  if (!owner || owner.stackName !== p.stackName || owner.logicalId !== p.logicalId) {
    throw new ProtectedResourceError(`${p.physicalId} is not ${p.logicalId} of stack ${p.stackName} according to CloudFormation (${owner ? `it is ${owner.logicalId} of ${owner.stackName}` : 'it is in no stack'}); the owner claimed by its tags is not confirmed, nothing was changed`);
  }
  const stack = await stackOf(ctx, p.stackName);
  if (!COMPLETE.test(stack.StackStatus ?? '') || /IN_PROGRESS|ROLLBACK|FAILED/.test(stack.StackStatus ?? '')) {
    throw new ProtectedResourceError(`stack ${p.stackName} is ${stack.StackStatus}, not settled: nothing was changed; the next run tries again`);
  }
  const nested = managedStackProblem(stack);
  if (nested) throw new ProtectedResourceError(`not changed: ${nested}`);
  const parameters = Object.fromEntries((stack.Parameters ?? []).map((x) => [x.ParameterKey!, x.ParameterValue ?? '']));
  const template = await cfn(ctx).send(new GetTemplateCommand({ StackName: p.stackName, TemplateStage: 'Original' }));
  const edit = planStackEdit(template.TemplateBody ?? '', parameters, p.logicalId, p.change);
  if (typeof edit === 'string') throw new ProtectedResourceError(`not changed through stack ${p.stackName}: ${edit}`);
  const client = cfn(ctx);
  let id: string | undefined;
  try {
    const created = await client.send(new CreateChangeSetCommand({
      StackName: p.stackName,
      ChangeSetName: p.changeSetName,
      ChangeSetType: 'UPDATE',
      Description: `trimtab: ${edit.where} ${p.change.from} -> ${p.change.to}`,
      ...(edit.kind === 'template' ? { TemplateBody: edit.body } : { UsePreviousTemplate: true }),
      Parameters: Object.keys(parameters).map((key) => (edit.kind === 'parameter' && key === edit.parameter ? { ParameterKey: key, ParameterValue: edit.value } : { ParameterKey: key, UsePreviousValue: true })),
      Capabilities: stack.Capabilities,
    }));
    id = created.Id;
  } catch (error) {
    if ((error as Error).name !== 'AlreadyExistsException') throw error;
    // A retried apply: the change set this plan made before.
  }
  const name = id ?? p.changeSetName;
  let described;
  for (let i = 0; ; i++) {
    described = await client.send(new DescribeChangeSetCommand({ ChangeSetName: name, StackName: p.stackName }));
    // CREATE_COMPLETE, FAILED, or a DELETE_* status (someone is deleting it): only the first is executable.
    if (described.Status !== 'CREATE_PENDING' && described.Status !== 'CREATE_IN_PROGRESS') break;
    if (i >= MAX_POLLS) throw new TrimtabError(`change set ${name} is still ${described.Status} after ${(MAX_POLLS * POLL_MS) / 1000} s; nothing was executed`);
    await ctx.clock.sleep(POLL_MS);
  }
  // Bound to what trimtab submitted: a change set of this name it did not make (or one with more changes on a next page) is never executed.
  const wantParameters = edit.kind === 'parameter' ? { ...parameters, [edit.parameter]: edit.value } : parameters;
  const wantBody = edit.kind === 'template' ? edit.body : template.TemplateBody ?? '';
  const submitted = described.Status !== 'CREATE_COMPLETE' ? undefined
    : changeSetContentProblem((await client.send(new GetTemplateCommand({ StackName: p.stackName, ChangeSetName: described.ChangeSetId ?? name, TemplateStage: 'Original' }))).TemplateBody, described.Parameters, wantBody, wantParameters)
      ?? changeSetSettingsProblem(described, stack.Tags);
  if (submitted && !id) throw new ProtectedResourceError(`change set ${name} already exists on stack ${p.stackName} and is not trimtab's submission (${submitted}); it was neither executed nor deleted, nothing was changed`);
  if (described.Status !== 'CREATE_COMPLETE' && described.Status !== 'FAILED') throw new ProtectedResourceError(`change set ${name} is ${described.Status}, not CREATE_COMPLETE: nothing was executed`);
  const problem = described.Status === 'FAILED' ? `the change set failed: ${described.StatusReason}`
    : submitted ?? (described.NextToken ? 'the change set lists more changes on a next page' : changeSetProblem(described.Changes, p.logicalId, p.change));
  if (problem) {
    await client.send(new DeleteChangeSetCommand({ ChangeSetName: described.ChangeSetId ?? name, StackName: p.stackName })).catch(() => undefined);
    throw new ProtectedResourceError(`change set refused, nothing was executed: ${problem}`);
  }
  const rc = described.Changes![0].ResourceChange!;
  const summary = `change set ${described.ChangeSetName} on stack ${p.stackName}: Modify ${rc.LogicalResourceId} (${rc.ResourceType}), Replacement ${rc.Replacement}, ${edit.where}: ${p.change.from} → ${p.change.to}`;
  return { changeSetId: described.ChangeSetId ?? name, summary, edit, templateHash: shortHash(template.TemplateBody ?? '') };
}

/**
 * At apply, for a change set made and checked when approval was asked: re-checks that it is still
 * exactly what was approved (CREATE_COMPLETE and AVAILABLE, the one Modify without replacement, the
 * stack settled in UPDATE_COMPLETE or CREATE_COMPLETE, its template unchanged), then executes that
 * change set id — never a new one (the wait for UPDATE_COMPLETE is waitStackChange). Throws
 * ProtectedResourceError (nothing executed) on any difference.
 */
export async function startApprovedStackChange(ctx: RegionContext, p: StackChangeParams & { changeSetId: string; templateHash: string }): Promise<{ before?: string; summary: string }> {
  const owner = await stackOwnerOf(ctx, p.physicalId, p.change.cfnType);
  if (!owner || owner.stackName !== p.stackName || owner.logicalId !== p.logicalId) {
    throw new ProtectedResourceError(`${p.physicalId} is no longer ${p.logicalId} of stack ${p.stackName} according to CloudFormation: the approved change set ${p.changeSetId} was not executed`);
  }
  // Executing any change set of a stack deletes its other change sets (ExecuteChangeSetCommand.d.ts): another approved
  // change to the same stack, or a deploy through a change set, applied first leaves this one gone.
  const described = await cfn(ctx).send(new DescribeChangeSetCommand({ ChangeSetName: p.changeSetId, StackName: p.stackName })).catch((error: Error) => {
    if (!/^ChangeSetNotFound(Exception)?$/.test(error.name)) throw error;
    throw new ProtectedResourceError(`the approved change set ${p.changeSetId} no longer exists on stack ${p.stackName} (executing another change set of the stack deletes the others, or it was deleted): nothing was executed; a new run asks again`);
  });
  const executedBefore = described.ExecutionStatus === 'EXECUTE_IN_PROGRESS' || described.ExecutionStatus === 'EXECUTE_COMPLETE';
  if (!executedBefore) {
    if (described.Status !== 'CREATE_COMPLETE' || described.ExecutionStatus !== 'AVAILABLE') {
      throw new ProtectedResourceError(`the approved change set ${p.changeSetId} is ${described.Status} / ${described.ExecutionStatus}, not CREATE_COMPLETE / AVAILABLE: nothing was executed; a new run asks again`);
    }
    const problem = changeSetProblem(described.Changes, p.logicalId, p.change);
    if (problem) throw new ProtectedResourceError(`the approved change set ${p.changeSetId} is refused, nothing was executed: ${problem}`);
    const stack = await stackOf(ctx, p.stackName);
    if (stack.StackStatus !== 'UPDATE_COMPLETE' && stack.StackStatus !== 'CREATE_COMPLETE') {
      throw new ProtectedResourceError(`stack ${p.stackName} is ${stack.StackStatus}, not UPDATE_COMPLETE or CREATE_COMPLETE: the approved change set ${p.changeSetId} was not executed`);
    }
    const template = await cfn(ctx).send(new GetTemplateCommand({ StackName: p.stackName, TemplateStage: 'Original' }));
    if (shortHash(template.TemplateBody ?? '') !== p.templateHash) {
      throw new ProtectedResourceError(`the template of stack ${p.stackName} changed since the change set ${p.changeSetId} was approved: nothing was executed; a new run asks again`);
    }
  }
  const rc = described.Changes?.[0]?.ResourceChange;
  const { before } = await startStackChange(ctx, p.stackName, p.changeSetId);
  return { ...(before ? { before } : {}), summary: `approved change set ${described.ChangeSetName} (${p.changeSetId}) on stack ${p.stackName}: Modify ${rc?.LogicalResourceId} (${rc?.ResourceType}), Replacement ${rc?.Replacement}, ${propertyPath(p.change)}: ${p.change.from} → ${p.change.to}` };
}

/**
 * Step 5a: executes the checked change set (unless it is already executing or executed) and answers
 * the stack's LastUpdatedTime read right before, which the wait compares against.
 */
export async function startStackChange(ctx: RegionContext, stackName: string, changeSetId: string): Promise<{ before?: string }> {
  const described = await cfn(ctx).send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName }));
  // The stack's last update before this one: right after ExecuteChangeSet, DescribeStacks may still
  // answer the previous UPDATE_COMPLETE (eventual consistency), which must not count as this update's.
  if (described.ExecutionStatus === 'AVAILABLE') {
    const before = (await stackOf(ctx, stackName)).LastUpdatedTime?.toISOString() ?? 'never';
    await cfn(ctx).send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName }));
    return { before };
  }
  if (described.ExecutionStatus !== 'EXECUTE_IN_PROGRESS' && described.ExecutionStatus !== 'EXECUTE_COMPLETE') {
    throw new TrimtabError(`change set ${changeSetId} is ${described.Status} / ${described.ExecutionStatus}: it cannot be executed`);
  }
  return {};
}

/** Deadline of the wait for UPDATE_COMPLETE, from the moment the change set was executed. */
export const STACK_UPDATE_WAIT_MS = MAX_POLLS * POLL_MS;

/**
 * Step 5b: waits for UPDATE_COMPLETE of this update (a new LastUpdatedTime than `before`, or an
 * *_IN_PROGRESS seen first); a rollback or failure throws. With a budget (ApplyEnv) it polls a
 * while and answers `{ resumeAt }`; the deadline counts from `since` (when it was executed).
 */
export async function waitStackChange(ctx: RegionContext, stackName: string, before: string | undefined, since: number, budget?: WaitBudget): Promise<Polled<string>> {
  let moved = false;
  return pollUntilDeadline({
    clock: ctx.clock,
    deadline: since + STACK_UPDATE_WAIT_MS,
    pollMs: POLL_MS,
    ...(budget ? { budget } : {}),
    check: async () => {
      const stack = await stackOf(ctx, stackName);
      moved ||= before === undefined || /IN_PROGRESS/.test(stack.StackStatus ?? '') || (stack.LastUpdatedTime?.toISOString() ?? 'never') !== before;
      if (stack.StackStatus === 'UPDATE_COMPLETE' && moved) return stack.StackStatus;
      if (/ROLLBACK|FAILED/.test(stack.StackStatus ?? '')) throw new TrimtabError(`stack ${stackName} ended ${stack.StackStatus}${stack.StackStatusReason ? `: ${stack.StackStatusReason}` : ''}; CloudFormation rolled the change back`);
      return undefined;
    },
    timeout: () => new TrimtabError(`stack ${stackName} is not UPDATE_COMPLETE ${STACK_UPDATE_WAIT_MS / 1000} s after the change set was executed`),
  });
}

/** Step 5: execute the checked change set and wait for UPDATE_COMPLETE (inline: undo and old callers). */
export async function executeStackChange(ctx: RegionContext, stackName: string, changeSetId: string): Promise<string> {
  const { before } = await startStackChange(ctx, stackName, changeSetId);
  const done = await waitStackChange(ctx, stackName, before, ctx.clock.now().getTime());
  if ('resumeAt' in done) throw new TrimtabError('unreachable: an inline wait answered a resume time');
  return done.value;
}

/**
 * After a `direct` change to a resource its tags say a stack owns (issue 28): what CloudFormation's
 * drift detection now says about it, for the record and the report. The tags are only a claim, so
 * the answer counts only when the stack's resource is this very resource (its physical id); any
 * failure is said, never thrown: the change is made and verified either way.
 */
export async function driftAfterDirect(ctx: RegionContext, stackName: string, logicalId: string, physicalId: string): Promise<string> {
  try {
    const d = await readDrift(ctx, stackName, logicalId);
    if (d.physicalId !== physicalId) return `drift not reported: ${logicalId} of stack ${stackName} is ${d.physicalId ?? 'no resource'}, not ${physicalId}`;
    const differences = d.properties.map((x) => `${x.path}: template ${x.expected}, actual ${x.actual}`);
    // Only MODIFIED says the template sets what was changed; the other answers say less (review rev4).
    if (d.status === 'MODIFIED') return `drift detection finds ${logicalId} MODIFIED${differences.length ? ` (${differences.join('; ')})` : ''}: the next deploy of ${stackName} reverts this change`;
    if (d.status === 'IN_SYNC') return `drift detection finds ${logicalId} IN_SYNC with stack ${stackName}: the template does not set the changed property, so a deploy does not revert it`;
    return `drift detection could not tell (${logicalId} ${d.status}${d.reason ? `: ${d.reason}` : ''}); a deploy of ${stackName} may revert this change`;
  } catch (error) {
    return `drift detection not run (${awsErrorName(error) ?? 'error'}: ${errorMessage(error).split('\n')[0]}); a deploy of ${stackName} may revert this change`;
  }
}

/** One DetectStackResourceDrift answer, read once for both callers (verify of via-owner, the note after a direct change). */
async function readDrift(ctx: RegionContext, stackName: string, logicalId: string) {
  const out = await cfn(ctx).send(new DetectStackResourceDriftCommand({ StackName: stackName, LogicalResourceId: logicalId }));
  const d = out.StackResourceDrift;
  return {
    status: d?.StackResourceDriftStatus ?? 'UNKNOWN',
    physicalId: d?.PhysicalResourceId,
    reason: d?.DriftStatusReason,
    properties: (d?.PropertyDifferences ?? []).map((x) => ({ path: x.PropertyPath, expected: x.ExpectedValue, actual: x.ActualValue })),
  };
}

/** Step 6: the resource is in sync with its stack (DetectStackResourceDrift). */
export async function driftOf(ctx: RegionContext, stackName: string, logicalId: string): Promise<{ status: string; differences: string[] }> {
  const d = await readDrift(ctx, stackName, logicalId);
  return { status: d.status, differences: d.properties.map((x) => `${x.path}: expected ${x.expected}, actual ${x.actual}`) };
}
