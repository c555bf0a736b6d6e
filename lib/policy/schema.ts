/**
 * The policy schema, composed from the registries: each resource type contributes a policy
 * variant whose `detector` and `action` are unions of its registered detectors and
 * remediators. Unknown keys are errors that name the key, suggest the nearest valid one and
 * list them all.
 *
 * The schema reads the registries it is handed, and does not load the resource modules itself
 * (the modules sit above the engine, which reads policies: loading them here made one import
 * cycle of the whole house). Whoever validates a policy file imports lib/resources/index.ts
 * first: the CLI, lib/policy/compile.ts, lib/lambda/bundle.ts, the bench and org entries.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { isKnownRegion, unknownRegionMessage } from '../aws/regions.ts';
import { detectors, remediators, resourceTypes } from '../resources/registry.ts';
import { alarmCreateSchema } from '../triggers/alarm-spec.ts';
import { patternProblems } from '../triggers/pattern.ts';
import { organizationSchema } from '../org/config.ts';
import { closest } from '../util/closest.ts';
import { TrimtabError } from '../util/errors.ts';

export { closest } from '../util/closest.ts';

/** An object that rejects unknown keys with a message naming them and the valid ones. */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const valid = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const hint = closest(key, valid);
          return `unknown key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}. Valid keys: ${valid.join(', ')}`;
        })
        .join('; ');
    },
  });
}

/** A union keyed by `type`, whose error for an unknown type lists the valid ones. */
function typedUnion(kind: string, resource: string, options: z.ZodObject<any>[]) {
  const valid = options.map((o) => (o.shape.type as z.ZodLiteral<string>).value);
  const onError = (issue: { input?: unknown }) => {
    const type = (issue.input as { type?: unknown } | undefined)?.type;
    const hint = typeof type === 'string' ? closest(type, valid) : undefined;
    return type === undefined
      ? `a ${kind} needs a 'type'. Valid ${kind}s for ${resource}: ${valid.join(', ')}`
      : `unknown ${kind} '${String(type)}' for resource ${resource}${hint ? ` (did you mean '${hint}'?)` : ''}. Valid ${kind}s: ${valid.join(', ')}`;
  };
  return z.discriminatedUnion('type', options as [z.ZodObject<any>, ...z.ZodObject<any>[]], { error: onError });
}

export const modeSchema = z.enum(['dry-run', 'auto', 'approval']);

const RATE_OR_CRON = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/;

export const triggerSchema = z.union(
  [
    strictObject({ schedule: z.string().regex(RATE_OR_CRON, "a schedule is 'rate(N unit)' or 'cron(6 fields)', as EventBridge takes it") }),
    strictObject({
      event: z
        .record(z.string(), z.unknown())
        .refine((p) => 'source' in p || 'detail-type' in p, "an event pattern needs at least 'source' or 'detail-type'")
        // The operators the handler can re-check (lib/triggers/pattern.ts); anything else is named here.
        .superRefine((p, ctx) => patternProblems(p).forEach((message) => ctx.addIssue({ code: 'custom', message }))),
    }),
    strictObject({
      // `create`: trimtab keeps an alarm named prefix + resource id for each in-scope resource (lib/triggers/alarms.ts).
      alarm: z.union([z.string().min(1), strictObject({ prefix: z.string().min(1), create: alarmCreateSchema.optional() })]),
    }),
  ],
  { error: () => "a trigger is one of { schedule: 'rate(1 day)' }, { event: { source: [...], ... } } or { alarm: 'name' | { prefix: 'name-' } }" },
);

const tagMap = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

export const scopeSchema = strictObject({
  regions: z
    .array(
      z
        .string()
        .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'a region looks like us-east-1')
        // A well-formed but unknown region (eu-wst-1) would scan nothing and report "No findings".
        .superRefine((r, ctx) => {
          if (/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(r) && !isKnownRegion(r)) ctx.addIssue({ code: 'custom', message: unknownRegionMessage(r) });
        }),
    )
    .min(1)
    .optional(),
  accounts: z.array(z.string().regex(/^\d{12}$/, 'an account id is 12 digits')).min(1).optional(),
  organizationalUnits: z.array(z.string().regex(/^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/, 'an OU id looks like ou-ab12-cd34ef56')).optional(),
  /** Act only on resources carrying all these tags (a list means any of the values). */
  includeTags: tagMap.optional(),
  /** Never act on resources carrying any of these tags. */
  excludeTags: tagMap.optional(),
  /** Glob patterns (* and ?) on the resource id: include only / exclude. */
  includeNames: z.array(z.string().min(1)).optional(),
  excludeNames: z.array(z.string().min(1)).optional(),
});

export const limitsSchema = strictObject({
  maxActionsPerRun: z.number().int().min(0).max(10_000).default(25),
  /** Hours before trimtab acts on the same resource again under the same policy. */
  cooldownHours: z.number().min(0).max(24 * 365).default(24),
});

export const approvalSchema = strictObject({
  approvers: z.array(z.email('an approver is an email address')).min(1),
  timeoutHours: z.number().min(0.01).max(24 * 365).default(72),
});

const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a policy id is lowercase letters, digits and dashes (at most 63)'),
  description: z.string().optional(),
  mode: modeSchema.optional(),
  triggers: z.array(triggerSchema).optional(),
  scope: scopeSchema.optional(),
  limits: limitsSchema.partial().optional(),
  approval: approvalSchema.optional(),
  prices: z.record(z.string(), z.union([z.number().min(0), z.record(z.string(), z.number().min(0))])).optional(),
  /** Act only where AWS Compute Optimizer agrees with the proposed size (docs/compute-optimizer.md). */
  requireComputeOptimizer: z.boolean().optional(),
  /**
   * Resources owned by a stack, a node group, Beanstalk, Terraform, … (docs/ownership.md). `choice`:
   * report (default: say where the change belongs), via-owner (change it through the owner's API),
   * direct (write the resource itself, with a drift warning; only when named here), skip.
   */
  owned: strictObject({
    choice: z.enum(['report', 'via-owner', 'direct', 'skip']).optional(),
    /** The tag that marks Terraform-managed resources: `Key=value` or just `Key` (default ManagedBy=terraform). */
    terraformTag: z.string().regex(/^[^=]+(=.+)?$/, "a tag is 'Key=value' or 'Key'").optional(),
    /** Terraform state files in S3 (read-only, s3:GetObject on exactly these objects): a resource they list is reported with its Terraform address. */
    terraformState: z.array(strictObject({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
      key: z.string().min(1).max(1024).refine((k) => !/[*?]/.test(k), 'one object key, no wildcards'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region such as eu-west-1').optional(),
    })).min(1).max(20).optional(),
  }).optional(),
};

/** One policy variant per registered resource type. */
function policyVariants() {
  return resourceTypes.all().map((resource) => {
    const detectorOptions = detectors(resource.id)
      .all()
      .map((d) => strictObject({ ...d.options.shape, type: z.literal(d.id) }));
    const actionOptions = remediators(resource.id)
      .all()
      .map((r) => strictObject({ ...r.options.shape, type: z.literal(r.id) }));
    return strictObject({
      ...common,
      resource: z.literal(resource.id),
      detector: typedUnion('detector', resource.id, detectorOptions),
      // A report-only resource type (no remediators) takes no action; zod 4 needs .optional() for the key to be absent.
      action: actionOptions.length ? typedUnion('action', resource.id, actionOptions).optional() : z.undefined().optional(),
    });
  });
}

export function buildPolicySchema() {
  const valid = resourceTypes.ids();
  // An entry point that forgot the modules would reject every policy as an unknown resource: say why instead.
  if (valid.length === 0) throw new TrimtabError("No resource modules are registered, so no policy can be validated: import 'lib/resources/index.ts' before loading policies.");
  const variants = policyVariants();
  return z.discriminatedUnion('resource', variants as any, {
    error: (issue) => {
      const resource = (issue.input as { resource?: unknown } | undefined)?.resource;
      const hint = typeof resource === 'string' ? closest(resource, valid) : undefined;
      return resource === undefined
        ? `a policy needs a 'resource'. Valid resources: ${valid.join(', ')}`
        : `unknown resource '${String(resource)}'${hint ? ` (did you mean '${hint}'?)` : ''}. Valid resources: ${valid.join(', ')}`;
    },
  });
}

export function buildPolicyFileSchema() {
  return strictObject({
    version: z.literal(1, 'version must be 1').default(1),
    defaults: strictObject({
      mode: modeSchema.optional(),
      scope: scopeSchema.optional(),
      limits: limitsSchema.partial().optional(),
      triggers: z.array(triggerSchema).optional(),
      approval: approvalSchema.optional(),
    }).optional(),
    policies: z.array(buildPolicySchema()).min(1, 'a policy file needs at least one policy'),
    // Hub and spokes (lib/org, docs/organizations.md): the member accounts and OUs the hub sweeps.
    organization: organizationSchema.optional(),
  }).superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.policies.forEach((policy: { id: string }, index: number) => {
      if (seen.has(policy.id)) ctx.addIssue({ code: 'custom', path: ['policies', index, 'id'], message: `duplicate policy id '${policy.id}' (also policies[${seen.get(policy.id)}])` });
      seen.set(policy.id, index);
    });
  });
}

/** JSON Schema for editors (yaml-language-server, VS Code). */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(buildPolicyFileSchema(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { $id: 'https://trimtab.dev/schema/policies.json', title: 'trimtab policies', ...schema };
}
