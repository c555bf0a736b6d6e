/**
 * The reference model: every resource type, detector, action and option, read from the
 * registries and their zod schemas (the same schemas that validate trimtab.yml), with the IAM
 * each element declares and whether its change can be undone. docs/reference/ and
 * `trimtab resources` are both rendered from it, so they cannot disagree with the code.
 */
import * as z from 'zod';
import '../resources/index.ts';
import { detectors, remediators, resourceTypes } from '../resources/registry.ts';
import { isReadOnlyOperation } from '../aws/operations.ts';
import { RESOURCE_ARNS } from '../deploy/iam.ts';
import type { Detector, Mode, Remediator } from '../engine/types.ts';
import { OPTION_DOCS } from './option-docs.generated.ts';
import { optionKey } from './option-key.ts';

export interface OptionDoc {
  /** The key in the policy's `detector:` / `action:` block; nested keys as `a.b`. */
  name: string;
  type: string;
  /** JSON of the default, when the option has one. */
  default?: string;
  required: boolean;
  description: string;
}

export interface PermissionDoc {
  action: string;
  access: 'read' | 'write';
  /** The resource ARN trimtab's roles grant it on ("*" for most reads). */
  resource: string;
}

export interface ElementDoc {
  kind: 'detector' | 'action';
  id: string;
  title: string;
  options: OptionDoc[];
  permissions: PermissionDoc[];
  /** Actions: the mode a policy with this action should start in. */
  defaultMode?: Mode;
  /** Actions: whether AWS lets trimtab undo the change. */
  undo?: 'yes' | 'best-effort' | 'no';
  /** What no undo of the action brings back (Remediator.undoLimits). */
  undoLimits?: string;
}

export interface ResourceDoc {
  id: string;
  title: string;
  /** Listed once per account (S3 buckets), not once per region. */
  global: boolean;
  /** Listing permissions: every policy on this type needs them. */
  permissions: PermissionDoc[];
  detectors: ElementDoc[];
  actions: ElementDoc[];
}

const arnText = (arn: unknown): string => {
  if (arn === undefined) return '*';
  if (Array.isArray(arn)) return arn.map(arnText).join(', ');
  if (typeof arn === 'object' && arn && 'Fn::Sub' in arn) return String((arn as { 'Fn::Sub': string })['Fn::Sub']);
  return String(arn);
};

export function permissionDocs(actions: readonly string[]): PermissionDoc[] {
  return [...new Set(actions)].sort().map((action) => {
    const [service, operation] = action.split(':');
    return { action, access: isReadOnlyOperation(service, operation) ? 'read' : 'write', resource: arnText(RESOURCE_ARNS[action]) };
  });
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
};

const SAFE = Number.MAX_SAFE_INTEGER;

/** "integer, 1–63", "one of `A`, `B`", "list of `x`, `y` (at least 1)". */
export function typeText(schema: JsonSchema): string {
  if (schema.enum) return `one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (schema.anyOf) return schema.anyOf.map(typeText).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  if (type === 'integer' || type === 'number') {
    const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : undefined);
    const lo = min !== undefined && min > -SAFE ? min : undefined;
    const hi = schema.maximum !== undefined && schema.maximum < SAFE ? schema.maximum : undefined;
    const gt = schema.exclusiveMinimum !== undefined && schema.minimum === undefined ? '>' : '≥';
    const range = lo !== undefined && hi !== undefined ? `${lo}–${hi}` : lo !== undefined ? `${gt} ${lo}` : hi !== undefined ? `≤ ${hi}` : '';
    return range ? `${type}, ${range}` : type;
  }
  if (type === 'array') {
    const items = schema.items ? (schema.items.enum ? schema.items.enum.map((v) => `\`${String(v)}\``).join(', ') : typeText(schema.items)) : 'any';
    return `list of ${items}${schema.minItems ? ` (at least ${schema.minItems})` : ''}`;
  }
  return type;
}

function optionDocs(schema: JsonSchema, docOf: (path: string) => string | undefined, prefix = ''): OptionDoc[] {
  const out: OptionDoc[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix + name;
    const nested = prop.type === 'object' && prop.properties && Object.keys(prop.properties).length > 0;
    const hasDefault = prop.default !== undefined && !(nested && JSON.stringify(prop.default) === '{}');
    out.push({
      name: path,
      type: nested ? 'object' : typeText(prop),
      ...(hasDefault ? { default: JSON.stringify(prop.default) } : {}),
      required: (schema.required ?? []).includes(name) && prop.default === undefined,
      description: prop.description ?? docOf(path) ?? '',
    });
    if (nested) out.push(...optionDocs(prop, docOf, `${path}.`));
  }
  return out;
}

function elementDoc(resource: string, kind: 'detector' | 'action', element: Detector | Remediator, docs: Record<string, string>): ElementDoc {
  // Input view: a default makes an option optional in trimtab.yml.
  const schema = z.toJSONSchema(element.options, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const base: ElementDoc = {
    kind,
    id: element.id,
    title: element.title,
    options: optionDocs(schema, (path) => docs[optionKey(resource, kind, element.id, path)]),
    permissions: permissionDocs(element.permissions ?? []),
  };
  if (kind === 'action') {
    const action = element as Remediator;
    return { ...base, defaultMode: action.defaultMode ?? 'dry-run', undo: action.undo ? action.undoable : 'no', ...(action.undo && action.undoLimits ? { undoLimits: action.undoLimits } : {}) };
  }
  return base;
}

/** The whole reference, resource types in registry id order. */
export function referenceModel(docs: Record<string, string> = OPTION_DOCS): ResourceDoc[] {
  return resourceTypes.ids().map((id) => {
    const type = resourceTypes.get(id);
    return {
      id,
      title: type.title,
      global: Boolean(type.global),
      permissions: permissionDocs(type.permissions),
      detectors: detectors(id).ids().map((d) => elementDoc(id, 'detector', detectors(id).get(d), docs)),
      actions: remediators(id).ids().map((a) => elementDoc(id, 'action', remediators(id).get(a), docs)),
    };
  });
}

/** One resource type, or an error listing the valid ids (the registry's own message). */
export function resourceDoc(id: string, docs: Record<string, string> = OPTION_DOCS): ResourceDoc {
  resourceTypes.get(id);
  return referenceModel(docs).find((r) => r.id === id)!;
}
