/**
 * Sandbox CloudFormation (awsQuery, XML on the wire): stacks with a JSON template, parameters and
 * resources bound to the sandbox's real resources (Auto Scaling groups, Lambda functions,
 * DynamoDB tables), as lib/ownership uses them.
 *
 * - DescribeStacks, DescribeStackResources (by StackName or PhysicalResourceId, never both:
 *   ValidationError), GetTemplate.
 * - CreateChangeSet computes the changes between the stack and the submitted template and
 *   parameters (Modify with Replacement True for a property whose update requires replacement,
 *   per REPLACING below; Add; Remove). Status CREATE_PENDING → CREATE_IN_PROGRESS → CREATE_COMPLETE
 *   (ExecutionStatus AVAILABLE) after an AWS-like few seconds, or FAILED with AWS's reason when the
 *   submission contains no changes. A name already used on the stack: AlreadyExistsException.
 * - ExecuteChangeSet only when the change set is CREATE_COMPLETE / AVAILABLE and the stack is not
 *   in progress (InvalidChangeSetStatus otherwise); the stack is UPDATE_IN_PROGRESS, then
 *   UPDATE_COMPLETE with the new properties written to the bound resources; the change set
 *   EXECUTE_IN_PROGRESS → EXECUTE_COMPLETE; the stack's other change sets are deleted, as AWS does.
 * - DetectStackResourceDrift compares the template's properties (resolved with the parameters)
 *   with the bound resource: IN_SYNC or MODIFIED with the differences.
 * - DeleteChangeSet; ChangeSetNotFound (404) for an unknown change set.
 */
import { awsError, paginate, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';
import { autoscalingState } from './autoscaling.ts';
import { dynamoControlState } from './dynamodb-control.ts';
import { lambdaState } from './lambda.ts';

export interface SandboxStackResource {
  type: string;
  physicalId: string;
}

export interface SandboxChangeSet {
  id: string;
  name: string;
  createdAt: string;
  /** CREATE_COMPLETE (or FAILED) from this instant. */
  readyAt: string;
  failedReason?: string;
  template: string;
  parameters: Record<string, string>;
  changes: any[];
  execution: 'UNAVAILABLE' | 'AVAILABLE' | 'EXECUTE_IN_PROGRESS' | 'EXECUTE_COMPLETE' | 'EXECUTE_FAILED' | 'OBSOLETE';
}

export interface SandboxStack {
  name: string;
  id: string;
  createdAt: string;
  updatedAt?: string;
  status: string;
  /** The template as a JSON string (GetTemplate's TemplateBody). */
  template: string;
  parameters: Record<string, string>;
  capabilities: string[];
  resources: Record<string, SandboxStackResource>;
  changeSets: SandboxChangeSet[];
  /** A nested stack: the parent's and the root's stack ids (DescribeStacks ParentId, RootId). */
  parentId?: string;
  rootId?: string;
  /** Stack-level tags (DescribeStacks Tags). */
  tags?: Record<string, string>;
  /** A running update: UPDATE_IN_PROGRESS until this instant, then these are applied. */
  update?: { doneAt: string; changeSetId: string };
}

export interface CloudFormationState {
  stacks: Record<string, SandboxStack>;
}

export const cloudformationState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<CloudFormationState>(account, region, 'cloudformation', () => ({ stacks: {} }));

/** AWS-like durations: a change set is computed in seconds; a small update takes about a minute. */
export const CHANGE_SET_MS = 5_000;
export const UPDATE_MS = 60_000;

/**
 * Properties whose update replaces the resource ("Update requires: Replacement" in the
 * CloudFormation template reference of each type). Only the ones the sandbox's stacks use.
 */
export const REPLACING: Record<string, string[]> = {
  'AWS::AutoScaling::AutoScalingGroup': ['AutoScalingGroupName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::DynamoDB::Table': ['TableName', 'KeySchema'],
};

const validation = (message: string) => awsError('ValidationError', message, 400);
const changeSetNotFound = (name: string) => awsError('ChangeSetNotFound', `ChangeSet [${name}] does not exist`, 404);

/** Seeds a stack whose resources already exist in the sandbox (the caller creates them). */
export function addStack(sandbox: Sandbox, accountId: string, region: string, stack: { name: string; template: Record<string, any>; parameters?: Record<string, string>; physicalIds: Record<string, string>; capabilities?: string[] }): SandboxStack {
  const account = sandbox.account(accountId);
  const state = cloudformationState(sandbox, account, region);
  const id = `arn:aws:cloudformation:${region}:${accountId}:stack/${stack.name}/${sandbox.mintId('st').slice(3).padStart(8, '0').slice(-8)}-0000-4000-8000-${'0'.repeat(12)}`;
  const resources: Record<string, SandboxStackResource> = {};
  for (const [logical, r] of Object.entries<any>(stack.template.Resources ?? {})) {
    resources[logical] = { type: r.Type, physicalId: stack.physicalIds[logical] ?? `${stack.name}-${logical}` };
  }
  const created: SandboxStack = { name: stack.name, id, createdAt: sandbox.now().toISOString(), status: 'CREATE_COMPLETE', template: JSON.stringify(stack.template, null, 2), parameters: withDefaults(stack.template, stack.parameters ?? {}), capabilities: stack.capabilities ?? [], resources, changeSets: [] };
  state.stacks[stack.name] = created;
  return created;
}

function withDefaults(template: Record<string, any>, given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries<any>(template.Parameters ?? {})) {
    if (key in given) out[key] = given[key];
    else if (spec.Default !== undefined) out[key] = String(spec.Default);
  }
  return out;
}

/** A property's value with parameter references resolved; anything else computed stays as written (compared as JSON). */
function resolve(value: unknown, parameters: Record<string, string>): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref' && typeof (value as any).Ref === 'string' && (value as any).Ref in parameters) return parameters[(value as any).Ref];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, parameters)]));
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, parameters));
  return value;
}

const scalarsAsStrings = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(scalarsAsStrings) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scalarsAsStrings(x)])) : v === undefined || v === null ? v : String(v);

const refsParameter = (value: unknown, parameters: Record<string, string>): boolean =>
  JSON.stringify(value ?? null).match(/"Ref":"([^"]+)"/g)?.some((m) => m.slice(7, -1) in parameters) ?? false;

function parseTemplate(body: string): Record<string, any> {
  try {
    const t = JSON.parse(body);
    if (!t || typeof t !== 'object' || !t.Resources) throw new Error('no Resources');
    return t;
  } catch {
    // The sandbox models JSON templates only (docs/limitations.md).
    throw validation('Template format error: JSON not well-formed or missing Resources (the trimtab sandbox models JSON templates only)');
  }
}

function computeChanges(stack: SandboxStack, template: Record<string, any>, parameters: Record<string, string>) {
  const old = JSON.parse(stack.template);
  const changes: any[] = [];
  const names = new Set([...Object.keys(old.Resources ?? {}), ...Object.keys(template.Resources ?? {})]);
  for (const logical of [...names].sort()) {
    const before = old.Resources?.[logical];
    const after = template.Resources?.[logical];
    const physical = stack.resources[logical]?.physicalId;
    if (!before) {
      changes.push({ Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: logical, ResourceType: after.Type, Scope: [], Details: [] } });
      continue;
    }
    if (!after) {
      changes.push({ Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: logical, PhysicalResourceId: physical, ResourceType: before.Type, Scope: [], Details: [] } });
      continue;
    }
    const details: any[] = [];
    const props = new Set([...Object.keys(before.Properties ?? {}), ...Object.keys(after.Properties ?? {})]);
    for (const prop of [...props].sort()) {
      const a = JSON.stringify(resolve(before.Properties?.[prop], stack.parameters));
      const b = JSON.stringify(resolve(after.Properties?.[prop], parameters));
      if (a === b) continue;
      const replaces = (REPLACING[after.Type] ?? []).includes(prop) || before.Type !== after.Type;
      const viaParameter = JSON.stringify(before.Properties?.[prop]) === JSON.stringify(after.Properties?.[prop]) && refsParameter(after.Properties?.[prop], parameters);
      details.push({ Target: { Attribute: 'Properties', Name: prop, RequiresRecreation: replaces ? 'Always' : 'Never' }, Evaluation: 'Static', ChangeSource: viaParameter ? 'ParameterReference' : 'DirectModification', ...(viaParameter ? { CausingEntity: JSON.stringify(after.Properties?.[prop]).match(/"Ref":"([^"]+)"/)![1] } : {}) });
    }
    if (!details.length) continue;
    const replacement = details.some((d) => d.Target.RequiresRecreation === 'Always') ? 'True' : 'False';
    changes.push({ Type: 'Resource', ResourceChange: { Action: 'Modify', LogicalResourceId: logical, PhysicalResourceId: physical, ResourceType: after.Type, Replacement: replacement, Scope: ['Properties'], Details: details } });
  }
  return changes;
}

/** The bound resource's current value of a template property (drift detection), or undefined when unbound. */
function actualValue(sandbox: Sandbox, account: AccountState, region: string, r: SandboxStackResource, prop: string): unknown {
  switch (r.type) {
    case 'AWS::AutoScaling::AutoScalingGroup': {
      const g = autoscalingState(sandbox, account, region).groups[r.physicalId];
      if (!g) return undefined;
      return { MinSize: String(g.minSize), MaxSize: String(g.maxSize), DesiredCapacity: String(g.desiredCapacity) }[prop];
    }
    case 'AWS::Lambda::Function': {
      const f = lambdaState(sandbox, account, region).functions[r.physicalId];
      if (!f) return undefined;
      return { MemorySize: f.memoryMb, Timeout: f.timeoutS }[prop];
    }
    case 'AWS::DynamoDB::Table': {
      const t = dynamoControlState(sandbox, account, region).tables[r.physicalId];
      if (!t) return undefined;
      return { TableClass: t.tableClass, BillingMode: t.billingMode, ProvisionedThroughput: t.billingMode === 'PROVISIONED' ? { ReadCapacityUnits: t.read, WriteCapacityUnits: t.write } : undefined }[prop];
    }
    default:
      return undefined;
  }
}

/** Writes a template property to the bound resource (an executed change set). */
function writeValue(sandbox: Sandbox, account: AccountState, region: string, r: SandboxStackResource, prop: string, value: any) {
  if (r.type === 'AWS::AutoScaling::AutoScalingGroup') {
    const g = autoscalingState(sandbox, account, region).groups[r.physicalId];
    if (!g) return;
    if (prop === 'MinSize') g.minSize = Number(value);
    if (prop === 'MaxSize') g.maxSize = Number(value);
    if (prop === 'DesiredCapacity') g.desiredCapacity = Number(value);
    g.desiredCapacity = Math.min(g.maxSize, Math.max(g.minSize, g.desiredCapacity));
  } else if (r.type === 'AWS::Lambda::Function') {
    const f = lambdaState(sandbox, account, region).functions[r.physicalId];
    if (!f) return;
    if (prop === 'MemorySize') f.memoryMb = Number(value);
    if (prop === 'Timeout') f.timeoutS = Number(value);
    f.revision += 1;
  } else if (r.type === 'AWS::DynamoDB::Table') {
    const t = dynamoControlState(sandbox, account, region).tables[r.physicalId];
    if (!t) return;
    if (prop === 'TableClass') t.tableClass = value;
    if (prop === 'BillingMode') t.billingMode = value;
    if (prop === 'ProvisionedThroughput' && value) {
      t.read = Number(value.ReadCapacityUnits);
      t.write = Number(value.WriteCapacityUnits);
    }
  }
}

/** Lazily moves change sets and stack updates through their states by the sandbox's clock. */
function settle(sandbox: Sandbox, account: AccountState, region: string, stack: SandboxStack, now: Date) {
  for (const cs of stack.changeSets) {
    if (cs.execution === 'UNAVAILABLE' && !cs.failedReason && Date.parse(cs.readyAt) <= now.getTime()) cs.execution = 'AVAILABLE';
  }
  if (stack.update && Date.parse(stack.update.doneAt) <= now.getTime()) {
    const cs = stack.changeSets.find((c) => c.id === stack.update!.changeSetId)!;
    const template = JSON.parse(cs.template);
    for (const change of cs.changes) {
      const rc = change.ResourceChange;
      if (rc.Action !== 'Modify') continue;
      const r = stack.resources[rc.LogicalResourceId];
      for (const d of rc.Details) writeValue(sandbox, account, region, r, d.Target.Name, resolve(template.Resources[rc.LogicalResourceId].Properties?.[d.Target.Name], cs.parameters));
    }
    stack.template = cs.template;
    stack.parameters = cs.parameters;
    stack.status = 'UPDATE_COMPLETE';
    stack.updatedAt = stack.update.doneAt;
    cs.execution = 'EXECUTE_COMPLETE';
    delete stack.update;
    // "When you execute a change set, CloudFormation deletes all other change sets associated with the stack."
    stack.changeSets = [cs];
  }
}

function changeSetStatus(cs: SandboxChangeSet, now: Date): string {
  if (now.getTime() < Date.parse(cs.createdAt) + 1) return 'CREATE_PENDING';
  if (now.getTime() < Date.parse(cs.readyAt)) return 'CREATE_IN_PROGRESS';
  return cs.failedReason ? 'FAILED' : 'CREATE_COMPLETE';
}

export const cloudformationService: SandboxService = {
  id: 'cloudformation',
  operations: {
    DescribeStacks(input, { sandbox, account, region, now }) {
      const state = cloudformationState(sandbox, account, region);
      const all = Object.values(state.stacks);
      const wanted = input.StackName ? all.filter((s) => s.name === input.StackName || s.id === input.StackName) : all;
      if (input.StackName && !wanted.length) throw validation(`Stack with id ${input.StackName} does not exist`);
      for (const s of wanted) settle(sandbox, account, region, s, now);
      return {
        Stacks: wanted.map((s) => ({
          StackId: s.id,
          StackName: s.name,
          CreationTime: new Date(s.createdAt),
          ...(s.updatedAt ? { LastUpdatedTime: new Date(s.updatedAt) } : {}),
          StackStatus: s.status,
          Parameters: Object.entries(s.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
          Capabilities: s.capabilities,
          ...(s.parentId ? { ParentId: s.parentId, RootId: s.rootId ?? s.parentId } : {}),
          ...(s.tags ? { Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
        })),
      };
    },

    ListStacks(input, { sandbox, account, region, now }) {
      const all = Object.values(cloudformationState(sandbox, account, region).stacks).sort((a, b) => a.name.localeCompare(b.name));
      for (const s of all) settle(sandbox, account, region, s, now);
      const wanted = input.StackStatusFilter?.length ? all.filter((s) => input.StackStatusFilter.includes(s.status)) : all;
      const { page, nextToken } = paginate(wanted, { token: input.NextToken }, { defaultMax: 100, maxMax: 100, operation: 'ListStacks' });
      return { StackSummaries: page.map((s) => ({ StackId: s.id, StackName: s.name, CreationTime: new Date(s.createdAt), StackStatus: s.status })), ...(nextToken ? { NextToken: nextToken } : {}) };
    },

    ListStackResources(input, { sandbox, account, region, now }) {
      const stack = findStack(sandbox, account, region, input.StackName);
      settle(sandbox, account, region, stack, now);
      const rows = Object.entries(stack.resources).sort(([a], [b]) => a.localeCompare(b));
      const { page, nextToken } = paginate(rows, { token: input.NextToken }, { defaultMax: 100, maxMax: 100, operation: 'ListStackResources' });
      return {
        StackResourceSummaries: page.map(([logical, r]) => ({ LogicalResourceId: logical, PhysicalResourceId: r.physicalId, ResourceType: r.type, LastUpdatedTimestamp: new Date(stack.updatedAt ?? stack.createdAt), ResourceStatus: stack.updatedAt ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE' })),
        ...(nextToken ? { NextToken: nextToken } : {}),
      };
    },

    DescribeStackResources(input, { sandbox, account, region, now }) {
      if (input.StackName && input.PhysicalResourceId) throw validation('Cannot specify both StackName and PhysicalResourceId');
      if (!input.StackName && !input.PhysicalResourceId) throw validation('Either StackName or PhysicalResourceId must be specified');
      const stacks = Object.values(cloudformationState(sandbox, account, region).stacks);
      const stack = input.StackName
        ? stacks.find((s) => s.name === input.StackName || s.id === input.StackName)
        : stacks.find((s) => Object.values(s.resources).some((r) => r.physicalId === input.PhysicalResourceId));
      if (!stack) throw validation(input.StackName ? `Stack with id ${input.StackName} does not exist` : `Stack for ${input.PhysicalResourceId} does not exist`);
      settle(sandbox, account, region, stack, now);
      const rows = Object.entries(stack.resources).filter(([logical]) => !input.LogicalResourceId || logical === input.LogicalResourceId);
      return {
        StackResources: rows.map(([logical, r]) => ({
          StackName: stack.name,
          StackId: stack.id,
          LogicalResourceId: logical,
          PhysicalResourceId: r.physicalId,
          ResourceType: r.type,
          Timestamp: new Date(stack.updatedAt ?? stack.createdAt),
          ResourceStatus: stack.updatedAt ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE',
        })),
      };
    },

    GetTemplate(input, { sandbox, account, region, now }) {
      const stack = findStack(sandbox, account, region, input.StackName);
      settle(sandbox, account, region, stack, now);
      if (input.ChangeSetName) {
        const cs = stack.changeSets.find((c) => c.id === input.ChangeSetName || c.name === input.ChangeSetName);
        if (!cs) throw changeSetNotFound(input.ChangeSetName);
        return { TemplateBody: cs.template, StagesAvailable: ['Original', 'Processed'] };
      }
      return { TemplateBody: stack.template, StagesAvailable: ['Original', 'Processed'] };
    },

    CreateChangeSet(input, { sandbox, account, region, now }) {
      if ((input.ChangeSetType ?? 'UPDATE') !== 'UPDATE') throw validation(`The trimtab sandbox models UPDATE change sets only, not ${input.ChangeSetType}`);
      const stack = findStack(sandbox, account, region, input.StackName);
      settle(sandbox, account, region, stack, now);
      if (!/^[a-zA-Z][-a-zA-Z0-9]*$/.test(input.ChangeSetName ?? '') || String(input.ChangeSetName).length > 128) throw validation(`1 validation error detected: Value '${input.ChangeSetName}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
      if (/_IN_PROGRESS$/.test(stack.status)) throw validation(`Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
      if (stack.changeSets.some((c) => c.name === input.ChangeSetName)) throw awsError('AlreadyExistsException', `ChangeSet ${input.ChangeSetName} already exists`, 400);
      if (input.TemplateBody !== undefined && input.UsePreviousTemplate) throw validation('Specify either TemplateBody, TemplateURL or UsePreviousTemplate, not more than one');
      if (input.TemplateBody !== undefined && Buffer.byteLength(String(input.TemplateBody)) > 51_200) throw validation("1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200");
      if (input.TemplateBody === undefined && !input.UsePreviousTemplate) throw validation('Either Template URL or Template Body must be specified.');
      const body = input.UsePreviousTemplate ? stack.template : String(input.TemplateBody);
      const template = parseTemplate(body);
      const parameters: Record<string, string> = {};
      for (const p of input.Parameters ?? []) {
        if (!(p.ParameterKey in (template.Parameters ?? {}))) throw validation(`Parameters: [${p.ParameterKey}] do not exist in the template`);
        if (p.UsePreviousValue && p.ParameterValue !== undefined) throw validation(`Invalid input for parameter key ${p.ParameterKey}. Cannot specify usePreviousValue as true and non empty value for a parameter`);
        if (p.UsePreviousValue) {
          if (!(p.ParameterKey in stack.parameters)) throw validation(`Invalid input for parameter key ${p.ParameterKey}. Need to specify either usePreviousValue as true or a value for the parameter`);
          parameters[p.ParameterKey] = stack.parameters[p.ParameterKey];
        } else parameters[p.ParameterKey] = String(p.ParameterValue);
      }
      const resolved = withDefaults(template, parameters);
      const missing = Object.keys(template.Parameters ?? {}).filter((k) => !(k in resolved));
      if (missing.length) throw validation(`Parameters: [${missing.join(', ')}] must have values`);
      const needsIam = Object.values<any>(template.Resources).some((r) => String(r.Type).startsWith('AWS::IAM::'));
      if (needsIam && !(input.Capabilities ?? []).some((c: string) => c === 'CAPABILITY_IAM' || c === 'CAPABILITY_NAMED_IAM')) throw awsError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_IAM]', 400);
      const changes = computeChanges(stack, template, resolved);
      const id = `arn:aws:cloudformation:${region}:${account.id}:changeSet/${input.ChangeSetName}/${sandbox.mintId('cs').slice(3)}`;
      const readyAt = new Date(now.getTime() + Math.max(1, sandbox.duration(CHANGE_SET_MS))).toISOString();
      stack.changeSets.push({
        id,
        name: input.ChangeSetName,
        createdAt: now.toISOString(),
        readyAt,
        template: body,
        parameters: resolved,
        changes,
        execution: 'UNAVAILABLE',
        ...(changes.length ? {} : { failedReason: "The submitted information didn't contain changes. Submit different information to create a change set." }),
      });
      return { Id: id, StackId: stack.id };
    },

    DescribeChangeSet(input, { sandbox, account, region, now }) {
      const { stack, cs } = findChangeSet(sandbox, account, region, input.ChangeSetName, input.StackName);
      settle(sandbox, account, region, stack, now);
      const status = changeSetStatus(cs, now);
      const ready = status === 'CREATE_COMPLETE';
      return {
        ChangeSetName: cs.name,
        ChangeSetId: cs.id,
        StackId: stack.id,
        StackName: stack.name,
        CreationTime: new Date(cs.createdAt),
        Status: status,
        ExecutionStatus: cs.execution,
        ...(cs.failedReason && status === 'FAILED' ? { StatusReason: cs.failedReason } : {}),
        Parameters: Object.entries(cs.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        Capabilities: stack.capabilities,
        // The changes are listed once the change set is computed.
        Changes: ready || status === 'FAILED' ? cs.changes : [],
      };
    },

    ExecuteChangeSet(input, { sandbox, account, region, now }) {
      const { stack, cs } = findChangeSet(sandbox, account, region, input.ChangeSetName, input.StackName);
      settle(sandbox, account, region, stack, now);
      const status = changeSetStatus(cs, now);
      if (status !== 'CREATE_COMPLETE' || cs.execution !== 'AVAILABLE') throw awsError('InvalidChangeSetStatus', `ChangeSet [${cs.id}] cannot be executed in its current status of [${status}] and execution status of [${cs.execution}]`, 400);
      if (/_IN_PROGRESS$/.test(stack.status)) throw awsError('InvalidChangeSetStatus', `ChangeSet [${cs.id}] cannot be executed: stack [${stack.name}] is in ${stack.status} state`, 400);
      cs.execution = 'EXECUTE_IN_PROGRESS';
      stack.status = 'UPDATE_IN_PROGRESS';
      stack.update = { changeSetId: cs.id, doneAt: new Date(now.getTime() + sandbox.duration(UPDATE_MS)).toISOString() };
      settle(sandbox, account, region, stack, now);
      return {};
    },

    DeleteChangeSet(input, { sandbox, account, region, now }) {
      const { stack, cs } = findChangeSet(sandbox, account, region, input.ChangeSetName, input.StackName);
      settle(sandbox, account, region, stack, now);
      if (cs.execution === 'EXECUTE_IN_PROGRESS') throw awsError('InvalidChangeSetStatus', `ChangeSet [${cs.id}] cannot be deleted while it is executing`, 400);
      stack.changeSets = stack.changeSets.filter((c) => c !== cs);
      return {};
    },

    DetectStackResourceDrift(input, { sandbox, account, region, now }) {
      const stack = findStack(sandbox, account, region, input.StackName);
      settle(sandbox, account, region, stack, now);
      if (/_IN_PROGRESS$/.test(stack.status)) throw validation(`Drift detection cannot be performed on stack [${stack.name}] while it is in ${stack.status} state`);
      const r = stack.resources[input.LogicalResourceId];
      if (!r) throw validation(`Resource ${input.LogicalResourceId} does not exist for stack ${stack.name}`);
      const template = JSON.parse(stack.template);
      const expected: Record<string, unknown> = {};
      const actual: Record<string, unknown> = {};
      const differences: any[] = [];
      for (const [prop, raw] of Object.entries(template.Resources[input.LogicalResourceId].Properties ?? {})) {
        const have = actualValue(sandbox, account, region, r, prop);
        if (have === undefined) continue; // only bound properties are checked
        const want = resolve(raw, stack.parameters);
        expected[prop] = want;
        actual[prop] = have;
        // Compared by the property's schema type, as AWS does: a Number parameter "512" equals 512.
        if (JSON.stringify(scalarsAsStrings(want)) !== JSON.stringify(scalarsAsStrings(have))) differences.push({ PropertyPath: `/${prop}`, ExpectedValue: JSON.stringify(want), ActualValue: JSON.stringify(have), DifferenceType: 'NOT_EQUAL' });
      }
      return {
        StackResourceDrift: {
          StackId: stack.id,
          LogicalResourceId: input.LogicalResourceId,
          PhysicalResourceId: r.physicalId,
          ResourceType: r.type,
          ExpectedProperties: JSON.stringify(expected),
          ActualProperties: JSON.stringify(actual),
          PropertyDifferences: differences,
          StackResourceDriftStatus: differences.length ? 'MODIFIED' : 'IN_SYNC',
          Timestamp: now,
        },
      };
    },
  },
};

function findStack(sandbox: Sandbox, account: AccountState, region: string, name: string | undefined): SandboxStack {
  const stack = Object.values(cloudformationState(sandbox, account, region).stacks).find((s) => s.name === name || s.id === name);
  if (!stack) throw validation(`Stack with id ${name} does not exist`);
  return stack;
}

function findChangeSet(sandbox: Sandbox, account: AccountState, region: string, name: string, stackName?: string) {
  const arn = /^arn:/.test(name ?? '');
  if (!arn && !stackName) throw validation('StackName must be specified if ChangeSetName is not specified as an ARN.');
  for (const stack of Object.values(cloudformationState(sandbox, account, region).stacks)) {
    if (!arn && stack.name !== stackName && stack.id !== stackName) continue;
    const cs = stack.changeSets.find((c) => (arn ? c.id === name : c.name === name));
    if (cs) return { stack, cs };
  }
  throw changeSetNotFound(name);
}
