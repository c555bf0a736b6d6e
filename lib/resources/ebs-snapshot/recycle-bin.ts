/**
 * Recycle Bin coverage of trimtab's snapshot deletes, judged per snapshot. Right before it
 * deletes, delete-snapshot tags the snapshot `trimtab:deleted-by=trimtab`. AWS then retains
 * the deleted snapshot when an `available` rule matches it (Recycle Bin User Guide, "Work with
 * retention rules"; CreateRule):
 * - a tag-level rule, when the snapshot carries at least one of the rule's resource tags
 *   (trimtab's own tag included);
 * - a region-level rule (no resource tags), unless the snapshot carries one of the rule's
 *   exclusion tags (`ExcludeResourceTags`).
 * A `pending` rule retains nothing yet. When several rules match, the longest retention applies.
 * Without a matching rule a delete is final, and trimtab must never promise an undo for it.
 *
 * Cost: ListRules returns summaries only (no resource tags, exclusions or status; see the
 * rbin ListRules/RuleSummary reference), so the rules are read with one paginated ListRules
 * and one GetRule per rule, once per account, region and run (cached for RULES_TTL_MS of the
 * run's clock), however many snapshots there are.
 */
import { CreateRuleCommand, GetRuleCommand, ListRulesCommand, RbinClient, type GetRuleCommandOutput, type ResourceTag } from '@aws-sdk/client-rbin';
import type { RegionContext } from '../../engine/types.ts';
import { readUntil } from '../../aws/consistency.ts';
import { awsErrorName, errorMessage } from '../../util/errors.ts';

export const DELETED_BY_TAG = 'trimtab:deleted-by';
export const DELETED_BY_VALUE = 'trimtab';
export const TRIMTAB_RESOURCE_TAG: ResourceTag = { ResourceTagKey: DELETED_BY_TAG, ResourceTagValue: DELETED_BY_VALUE };

/** One retention rule for EBS snapshots, as GetRule describes it. */
export interface RecycleBinRule {
  id: string;
  retentionDays: number;
  /** Tag-level rule: the tags that select what it retains. Empty: a region-level rule. */
  resourceTags: ResourceTag[];
  /** Region-level rule: deleted snapshots with one of these tags are not retained. */
  excludeTags: ResourceTag[];
  status: string;
  lockState?: string;
}

/** The region's rules, read once per run; `unknown` when they could not be read. */
export interface RecycleBinRules {
  rules: RecycleBinRule[];
  unknown?: string;
}

export interface RecycleBinCoverage {
  covered: boolean;
  /** 'tag': a tag-level rule matches; 'region': a region-level rule that does not exclude the snapshot. */
  kind?: 'tag' | 'region';
  ruleId?: string;
  retentionDays?: number;
  /** The covering rule's lock state (a locked rule cannot be deleted or shortened before the delete). */
  lockState?: string;
  /** Why no rule covers the snapshot (excluded by a tag, rule still pending, …). */
  reason?: string;
  /** Set when the rules could not be read (e.g. no rbin:ListRules permission). */
  unknown?: string;
}

const days = (period: { RetentionPeriodValue?: number } | undefined) => period?.RetentionPeriodValue ?? 0;

/**
 * `ExcludeResourceTags` of a GetRule answer. @aws-sdk/client-rbin 3.523 (the newest on npm here)
 * predates exclusion tags: its parser drops the member. `withRawExclusions` reads it from the
 * raw JSON body before the SDK parses it, so trimtab sees exclusions on AWS too.
 */
const EXCLUSIONS = Symbol('trimtab.excludeResourceTags');
type RuleOutput = GetRuleCommandOutput & { ExcludeResourceTags?: ResourceTag[]; [EXCLUSIONS]?: ResourceTag[] };

function withRawExclusions(command: GetRuleCommand): { command: GetRuleCommand; exclusions: () => ResourceTag[] | undefined } {
  let captured: ResourceTag[] | undefined;
  command.middlewareStack.add(
    (next: any) => async (args: any) => {
      const result = await next(args);
      const body = result?.response?.body;
      if (body && typeof body !== 'string') {
        const bytes = await collect(body);
        result.response.body = bytes; // the SDK parser accepts a byte array in place of the stream
        try {
          const parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
          if (Array.isArray(parsed?.ExcludeResourceTags)) captured = parsed.ExcludeResourceTags;
        } catch {
          // Not JSON (an error page): the SDK's own parser reports it.
        }
      }
      return result;
    },
    // Inside the deserializer: this sees the raw HTTP response before the SDK parses it.
    { step: 'deserialize', priority: 'low', name: 'trimtabRawExcludeResourceTags' },
  );
  return { command, exclusions: () => captured };
}

async function collect(body: any): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** GetRule with its exclusion tags (from the parsed answer when the SDK knows them, else from the raw body). */
export async function getRule(rbin: RbinClient, id: string): Promise<RuleOutput> {
  const { command, exclusions } = withRawExclusions(new GetRuleCommand({ Identifier: id }));
  const out = (await rbin.send(command)) as RuleOutput;
  const excluded = out.ExcludeResourceTags ?? exclusions();
  return excluded ? { ...out, ExcludeResourceTags: excluded } : out;
}

const toRule = (id: string, r: RuleOutput): RecycleBinRule => ({
  id,
  retentionDays: days(r.RetentionPeriod),
  resourceTags: r.ResourceTags ?? [],
  excludeTags: r.ExcludeResourceTags ?? [],
  status: r.Status ?? 'unknown',
  ...(r.LockState ? { lockState: r.LockState } : {}),
});

/** How long one read of the rules serves a run (apply re-uses the scan's read within it). */
export const RULES_TTL_MS = 10 * 60_000;
const cache = new WeakMap<object, Map<string, { at: number; rules: Promise<RecycleBinRules> }>>();

/**
 * The region's EBS-snapshot rules: one paginated ListRules, one GetRule per rule. Cached per
 * client factory (shared by a run's read and write views), account and region for RULES_TTL_MS.
 */
export function readRecycleBinRules(ctx: RegionContext): Promise<RecycleBinRules> {
  const byFactory = cache.get(ctx.clients.calls) ?? new Map();
  cache.set(ctx.clients.calls, byFactory);
  const key = `${ctx.account}:${ctx.region}`;
  const now = ctx.clock.now().getTime();
  const hit = byFactory.get(key);
  if (hit && now - hit.at < RULES_TTL_MS && now >= hit.at) return hit.rules;
  const rules = readRules(ctx);
  byFactory.set(key, { at: now, rules });
  return rules;
}

/** Forget the cached rules of this region (after trimtab created one). */
export function forgetRecycleBinRules(ctx: RegionContext) {
  cache.get(ctx.clients.calls)?.delete(`${ctx.account}:${ctx.region}`);
}

async function readRules(ctx: RegionContext): Promise<RecycleBinRules> {
  const rbin = ctx.clients.get(RbinClient, ctx.region);
  try {
    const rules: RecycleBinRule[] = [];
    let token: string | undefined;
    do {
      const page = await rbin.send(new ListRulesCommand({ ResourceType: 'EBS_SNAPSHOT', NextToken: token }));
      for (const summary of page.Rules ?? []) {
        if (!summary.Identifier) continue;
        try {
          rules.push(toRule(summary.Identifier, await getRule(rbin, summary.Identifier)));
        } catch (error) {
          // Deleted between ListRules and GetRule: it retains nothing.
          if (awsErrorName(error) !== 'ResourceNotFoundException') throw error;
        }
      }
      token = page.NextToken;
    } while (token);
    return { rules };
  } catch (error) {
    ctx.log('recycle bin rules unreadable', { region: ctx.region, error: errorMessage(error) });
    return { rules: [], unknown: `${awsErrorName(error) ?? 'Error'}: ${errorMessage(error)}` };
  }
}

/** Whether a snapshot with these tags carries one of the rule's tags (a tag without a value matches any value). */
const carries = (tags: Record<string, string>, t: ResourceTag) =>
  t.ResourceTagKey !== undefined && t.ResourceTagKey in tags && (!t.ResourceTagValue || tags[t.ResourceTagKey] === t.ResourceTagValue);

const tagText = (t: ResourceTag) => `${t.ResourceTagKey}${t.ResourceTagValue ? `=${t.ResourceTagValue}` : ''}`;

/** The tags a snapshot will carry when trimtab deletes it: its own plus trimtab's marker tag. */
export const tagsAtDelete = (tags: Record<string, string>) => ({ ...tags, [DELETED_BY_TAG]: DELETED_BY_VALUE });

/**
 * Whether a delete of a snapshot with these tags (as they are at the delete: see tagsAtDelete)
 * lands in the Recycle Bin, and for how long. Pure.
 */
export function coverageFor(read: RecycleBinRules, tags: Record<string, string>): RecycleBinCoverage {
  if (read.unknown) return { covered: false, unknown: read.unknown };
  const matching: Array<{ rule: RecycleBinRule; kind: 'tag' | 'region' }> = [];
  const notes: string[] = [];
  for (const rule of read.rules) {
    const kind = rule.resourceTags.length ? 'tag' : 'region';
    const matches = kind === 'tag' ? rule.resourceTags.some((t) => carries(tags, t)) : true;
    if (!matches) continue;
    const excludedBy = kind === 'region' ? rule.excludeTags.find((t) => carries(tags, t)) : undefined;
    if (excludedBy) {
      notes.push(`region-level rule ${rule.id} excludes snapshots tagged ${tagText(excludedBy)}`);
      continue;
    }
    if (rule.status !== 'available') {
      notes.push(`rule ${rule.id} is '${rule.status}' and retains nothing yet`);
      continue;
    }
    matching.push({ rule, kind });
  }
  if (!matching.length) return { covered: false, ...(notes.length ? { reason: notes.join('; ') } : {}) };
  // "If a resource matches more than one retention rule, the longest retention period applies."
  const best = matching.sort((a, b) => b.rule.retentionDays - a.rule.retentionDays)[0];
  return { covered: true, kind: best.kind, ruleId: best.rule.id, retentionDays: best.rule.retentionDays, ...(best.rule.lockState ? { lockState: best.rule.lockState } : {}) };
}

/** A pending tag-level rule for trimtab's tag (created by an earlier run), if any. */
export const pendingTrimtabRule = (read: RecycleBinRules) =>
  read.rules.find((r) => r.status === 'pending' && r.resourceTags.some((t) => t.ResourceTagKey === DELETED_BY_TAG && (!t.ResourceTagValue || t.ResourceTagValue === DELETED_BY_VALUE)));

/** How long trimtab waits for a new rule to become available (bounded backoff on ctx.clock). */
const RULE_WAIT = { attempts: 8, baseDelayMs: 2_000, maxDelayMs: 30_000 };

/**
 * Makes sure a tag-level rule covers trimtab's deletes: waits for a pending one, or creates one
 * (only from apply, only when the policy asks). New rules are `pending` for a while, and a
 * delete before the rule is `available` would be final, so this waits through ctx.clock.
 */
export async function ensureTrimtabRule(ctx: RegionContext, read: RecycleBinRules, retentionDays: number): Promise<RecycleBinCoverage> {
  const rbin = ctx.clients.get(RbinClient, ctx.region);
  let id = pendingTrimtabRule(read)?.id;
  let retention = pendingTrimtabRule(read)?.retentionDays ?? retentionDays;
  if (!id) {
    const out = await rbin.send(
      new CreateRuleCommand({
        ResourceType: 'EBS_SNAPSHOT',
        RetentionPeriod: { RetentionPeriodValue: retentionDays, RetentionPeriodUnit: 'DAYS' },
        ResourceTags: [TRIMTAB_RESOURCE_TAG],
        Description: `trimtab: keeps snapshots deleted by trimtab recoverable for ${retentionDays} days (trimtab undo)`,
        Tags: [{ Key: 'managed-by', Value: 'trimtab' }],
      }),
    );
    id = out.Identifier!;
    retention = retentionDays;
    forgetRecycleBinRules(ctx);
    if (out.Status === 'available') return { covered: true, kind: 'tag', ruleId: id, retentionDays: retention };
  }
  const ruleId = id;
  const settled = await readUntil(ctx.clock, () => getRule(rbin, ruleId), (r) => r.Status === 'available', RULE_WAIT);
  forgetRecycleBinRules(ctx);
  if (!settled.settled) throw new Error(`Recycle Bin rule ${ruleId} is still '${settled.value.Status}'; nothing was deleted (a delete before the rule is available would be final). Retry later.`);
  return { covered: true, kind: 'tag', ruleId, retentionDays: days(settled.value.RetentionPeriod) || retention };
}
