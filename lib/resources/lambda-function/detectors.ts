/**
 * Lambda function detectors.
 *
 * The CPU rule. Lambda allocates CPU in proportion to memory: 1,769 MB is one vCPU (Lambda
 * developer guide, "Memory and computing power"). Lowering memory lowers CPU, so a function
 * whose duration is spent computing gets slower in proportion and saves nothing (GB-seconds =
 * memory × duration stay the same) while its users wait longer. memory-oversized therefore
 * shrinks a function only when CPU use is measured (Lambda Insights `cpu_total_time`) and the
 * candidate's CPU share still covers it with headroom:
 *     vCPU used = cpu_total_time / Duration (both per invocation, averaged over the window);
 *     candidate ≥ vCPU used × 1,769 MB / maxCpuShare (default 0.7).
 * Without a CPU measurement the finding is made but protected ("CPU use unknown"), unless the
 * policy sets `allowUnmeasuredCpu` (then the projected worst case, duration × M / candidate,
 * must stay under half the timeout).
 *
 * Savings from GB-seconds: invocations a month × average duration (s) × (memory now − candidate)
 * (GB) × the $/GB-second of the function's architecture (one price table). Requests cost the
 * same at any size and are left out.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detection, Detector } from '../../engine/types.ts';
import type { PriceTable } from '../../savings/prices.ts';
import { usd } from '../../savings/prices.ts';
import { MAX_MEMORY_MB, MIN_MEMORY_MB } from './limits.ts';
import { aliasesOverNeed, aliasesUnderNeed, usageNeed, type LambdaAliasInfo, type LambdaFunction } from './resource.ts';

/** Memory that buys one full vCPU (Lambda developer guide). */
export const MB_PER_VCPU = 1769;
const DAYS_PER_MONTH = 730 / 24;
/** Function names trimtab deploys with (serverless.yml: service `trimtab`, `<service>-<stage>-<function>`). */
export const TRIMTAB_FUNCTION_PREFIX = 'trimtab-';

export const gbSecondPrice = (f: Pick<LambdaFunction, 'architecture'>, prices: PriceTable) => (f.architecture === 'arm64' ? prices.lambdaGbSecondArm64 : prices.lambdaGbSecondX86);

/** Memory sizes are proposed in 64 MB steps (any 1 MB multiple is allowed; round numbers are easier to read). */
export const roundUpMb = (mb: number) => Math.min(MAX_MEMORY_MB, Math.max(MIN_MEMORY_MB, Math.ceil(mb / 64) * 64));

/** Monthly duration cost at a memory size, with the duration unchanged. */
export function monthlyDurationCost(f: LambdaFunction, memoryMb: number, prices: PriceTable): { usd: number; gbSeconds: number; invocationsPerMonth: number } {
  const u = f.usage!;
  const invocationsPerMonth = (u.invocations / u.days) * DAYS_PER_MONTH;
  const gbSeconds = invocationsPerMonth * ((u.durationAvgMs ?? 0) / 1000) * (memoryMb / 1024);
  return { usd: gbSeconds * gbSecondPrice(f, prices), gbSeconds, invocationsPerMonth };
}

/** Why trimtab must not touch this function (its own), or undefined. */
export function ownFunction(f: Pick<LambdaFunction, 'name' | 'tags'>, prefix = TRIMTAB_FUNCTION_PREFIX): string | undefined {
  if (f.name.startsWith(prefix)) return `trimtab's own function (name starts with ${prefix})`;
  const stack = f.tags['aws:cloudformation:stack-name'];
  if (stack?.startsWith(prefix)) return `trimtab's own function (stack ${stack})`;
  return undefined;
}

/** What the aliases serve, in words, and whether any holds provisioned concurrency on a published version. */
export function aliasSummary(aliases: LambdaAliasInfo[] | undefined): { text: string; pinned: LambdaAliasInfo[]; provisioned: LambdaAliasInfo[] } {
  if (!aliases?.length) return { text: 'no aliases', pinned: [], provisioned: [] };
  const pinned = aliases.filter((a) => a.version !== '$LATEST');
  const provisioned = aliases.filter((a) => (a.provisionedConcurrency ?? 0) > 0);
  const text = aliases
    .map((a) => `${a.name} → ${a.version === '$LATEST' ? '$LATEST' : `version ${a.version}`}${a.weights ? ` (+ ${Object.entries(a.weights).map(([v, w]) => `${Math.round(w * 100)} % to ${v}`).join(', ')})` : ''}${a.provisionedConcurrency ? `, ${a.provisionedConcurrency} provisioned` : ''}`)
    .join('; ');
  return { text, pinned, provisioned };
}

/** What set-memory needs from a memory finding (kept in `before`). */
export interface MemoryBefore {
  functionName: string;
  memoryMb: number;
  candidateMb: number;
  architecture: string;
  aliases: LambdaAliasInfo[];
  revisionId?: string;
}

const usageEvidence = (f: LambdaFunction) => ({
  runtime: f.runtime ?? `container image (${f.packageType})`,
  architecture: f.architecture,
  memoryMb: f.memoryMb,
  timeoutS: f.timeoutS,
  ...(f.usage ? { usage: f.usage } : {}),
  ...(f.memory ? { memoryUse: f.memory } : {}),
});

export interface OversizedOptions {
  days: number;
  minInvocations: number;
  maxUsedShare: number;
  headroomPercent: number;
  maxCpuShare: number;
  allowUnmeasuredCpu: boolean;
  minMonthlySavingsUsd: number;
}

export const memoryOversized: Detector<LambdaFunction, OversizedOptions> = {
  id: 'memory-oversized',
  resource: 'lambda-function',
  title: 'Function whose maximum memory used is far below its memory size, and whose duration is not CPU-bound',
  options: z.object({
    /** Days of metrics and REPORT lines to read. */
    days: z.number().int().min(1).max(63).default(14),
    /** Too few invocations say nothing: no finding below this many in the window. */
    minInvocations: z.number().int().min(1).default(100),
    /** Flag only when the maximum memory used is at most this share of the memory size. */
    maxUsedShare: z.number().gt(0).lt(1).default(0.5),
    /** The candidate keeps this much memory above the maximum used, percent. */
    headroomPercent: z.number().min(10).max(200).default(40),
    /** The candidate's vCPU share must stay at least measured CPU use / this. */
    maxCpuShare: z.number().gt(0).max(1).default(0.7),
    /** Act without a CPU measurement (Lambda Insights); the worst case must then stay under half the timeout. */
    allowUnmeasuredCpu: z.boolean().default(false),
    /** Flag only functions where the smaller size saves at least this many USD a month. */
    minMonthlySavingsUsd: z.number().min(0).default(1),
  }),
  needs: (o) => [usageNeed(o.days), aliasesOverNeed(o.maxUsedShare)],
  permissions: ['cloudwatch:GetMetricData', 'logs:StartQuery', 'logs:GetQueryResults', 'lambda:ListAliases', 'lambda:ListProvisionedConcurrencyConfigs'],
  detect(f, o, { ctx }): Detection | undefined {
    const u = f.usage;
    if (!u || !f.memory || u.invocations < o.minInvocations || u.durationAvgMs === undefined) return undefined;
    if ((f.memory.runtimeExits ?? 0) > 0 || (f.memory.timeouts ?? 0) > 0) return undefined;
    if (f.memory.maxUsedMb > f.memoryMb * o.maxUsedShare) return undefined;
    const byMemory = f.memory.maxUsedMb * (1 + o.headroomPercent / 100);
    const cpuVcpu = u.insightsCpuAvgMs !== undefined && u.durationAvgMs > 0 ? u.insightsCpuAvgMs / u.durationAvgMs : undefined;
    const byCpu = cpuVcpu !== undefined ? (cpuVcpu * MB_PER_VCPU) / o.maxCpuShare : 0;
    const candidate = roundUpMb(Math.max(byMemory, byCpu));
    if (candidate >= f.memoryMb) return undefined;
    const now = monthlyDurationCost(f, f.memoryMb, ctx.prices);
    const after = monthlyDurationCost(f, candidate, ctx.prices);
    const saving = now.usd - after.usd;
    if (saving < o.minMonthlySavingsUsd) return undefined;

    const worstP99 = ((u.durationP99Ms ?? u.durationAvgMs) * f.memoryMb) / candidate;
    let protection = ownFunction(f);
    if (!protection && cpuVcpu === undefined) {
      if (!o.allowUnmeasuredCpu) protection = 'CPU use unknown (no Lambda Insights cpu_total_time): CPU scales with memory, so a smaller size could slow the function and save nothing; install Lambda Insights or set allowUnmeasuredCpu';
      else if (worstP99 > f.timeoutS * 1000 * 0.5) protection = `if CPU-bound, p99 duration could grow to ${Math.round(worstP99)} ms, over half the ${f.timeoutS} s timeout`;
    }
    const aliases = aliasSummary(f.aliases);
    // Provisioned concurrency keeps instances of the published version warm at its memory: a
    // $LATEST change neither shrinks them nor their bill.
    const conflict = !protection && aliases.provisioned.some((a) => a.version !== '$LATEST')
      ? `provisioned concurrency on ${aliases.provisioned.map((a) => `${a.name} (version ${a.version}, ${a.provisionedConcurrency})`).join(', ')} keeps that version's ${f.memoryMb} MB: changing $LATEST saves nothing until your deployment publishes a version and moves the alias`
      : undefined;
    const cpuText = cpuVcpu !== undefined ? `CPU ${cpuVcpu.toFixed(2)} vCPU measured, the candidate gives ${(candidate / MB_PER_VCPU).toFixed(2)}` : 'CPU not measured';
    return {
      reason: `Max memory used ${f.memory.maxUsedMb} MB of ${f.memoryMb} MB over ${u.days} days (${f.memory.source}); ${candidate} MB keeps ${o.headroomPercent} % headroom (${cpuText}) and saves about $${usd(saving)}/month.${protection ? ` Protected: ${protection}.` : ''}`,
      status: protection ? 'protected' : conflict ? 'conflict' : 'actionable',
      evidence: {
        ...usageEvidence(f),
        candidate,
        cpu: cpuVcpu !== undefined ? { vcpuUsed: Math.round(cpuVcpu * 100) / 100, vcpuNow: Math.round((f.memoryMb / MB_PER_VCPU) * 100) / 100, vcpuCandidate: Math.round((candidate / MB_PER_VCPU) * 100) / 100 } : 'unknown',
        aliases: aliases.text,
        ...(protection ? { protection } : {}),
        ...(conflict ? { conflict } : {}),
      },
      savings: {
        monthlyUsd: saving,
        basis: [
          `${Math.round(now.invocationsPerMonth)} invocations a month × ${u.durationAvgMs} ms average.`,
          `Now: ${Math.round(now.gbSeconds)} GB-s × $${gbSecondPrice(f, ctx.prices)}/GB-s (${f.architecture}) = $${usd(now.usd)}/month; at ${candidate} MB: ${Math.round(after.gbSeconds)} GB-s = $${usd(after.usd)}/month (duration unchanged: not CPU-bound).`,
          ...(aliases.pinned.length ? [`Aliases on published versions (${aliases.pinned.map((a) => `${a.name} → ${a.version}`).join(', ')}) keep their memory until the next version is published from $LATEST.`] : []),
        ],
      },
      before: { functionName: f.name, memoryMb: f.memoryMb, candidateMb: candidate, architecture: f.architecture, aliases: f.aliases ?? [], ...(f.revisionId ? { revisionId: f.revisionId } : {}) } satisfies MemoryBefore,
      benefit: ['cost'],
    };
  },
};

export interface UndersizedOptions {
  days: number;
  minInvocations: number;
  timeoutShare: number;
  memoryShare: number;
  stepFactor: number;
}

export const memoryUndersized: Detector<LambdaFunction, UndersizedOptions> = {
  id: 'memory-undersized',
  resource: 'lambda-function',
  title: 'Function near its timeout, near its memory limit, or exiting out of memory (performance)',
  options: z.object({
    /** Days of metrics and REPORT lines to read. */
    days: z.number().int().min(1).max(63).default(14),
    /** Too few invocations say nothing: no finding below this many in the window. */
    minInvocations: z.number().int().min(1).default(50),
    /** p99 duration at or above this share of the timeout. */
    timeoutShare: z.number().gt(0).max(1).default(0.8),
    /** Maximum memory used at or above this share of the memory size. */
    memoryShare: z.number().gt(0).max(1).default(0.9),
    /** The candidate is the memory size × this (and at least max used + 30 %). */
    stepFactor: z.number().gt(1).max(4).default(1.5),
  }),
  needs: (o) => [usageNeed(o.days), aliasesUnderNeed(o.memoryShare, o.timeoutShare)],
  permissions: ['cloudwatch:GetMetricData', 'logs:StartQuery', 'logs:GetQueryResults', 'lambda:ListAliases', 'lambda:ListProvisionedConcurrencyConfigs'],
  detect(f, o, { ctx }): Detection | undefined {
    const u = f.usage;
    if (!u || u.invocations < o.minInvocations || f.memoryMb >= MAX_MEMORY_MB) return undefined;
    const risks: string[] = [];
    const p99 = u.durationP99Ms ?? 0;
    if (p99 >= f.timeoutS * 1000 * o.timeoutShare) risks.push(`p99 duration ${Math.round(p99)} ms is ${Math.round((p99 / (f.timeoutS * 1000)) * 100)} % of the ${f.timeoutS} s timeout`);
    if ((f.memory?.timeouts ?? 0) > 0) risks.push(`${f.memory!.timeouts} invocations timed out`);
    if (f.memory && f.memory.maxUsedMb >= f.memoryMb * o.memoryShare) risks.push(`max memory used ${f.memory.maxUsedMb} MB is ${Math.round((f.memory.maxUsedMb / f.memoryMb) * 100)} % of ${f.memoryMb} MB`);
    if ((f.memory?.runtimeExits ?? 0) > 0) risks.push(`${f.memory!.runtimeExits} "Runtime exited" / out-of-memory exits`);
    if (!risks.length) return undefined;
    const candidate = roundUpMb(Math.max(f.memoryMb * o.stepFactor, (f.memory?.maxUsedMb ?? 0) * 1.3));
    if (candidate <= f.memoryMb) return undefined;
    const now = monthlyDurationCost(f, f.memoryMb, ctx.prices);
    const after = monthlyDurationCost(f, candidate, ctx.prices);
    const protection = ownFunction(f);
    const aliases = aliasSummary(f.aliases);
    const summary = `${risks.join('; ')} over ${u.days} days`;
    return {
      reason: `${summary}: ${candidate} MB gives it ${(candidate / f.memoryMb).toFixed(1)}× the memory and CPU (at most +$${usd(after.usd - now.usd)}/month if duration does not fall).${protection ? ` Protected: ${protection}.` : ''}`,
      status: protection ? 'protected' : 'actionable',
      evidence: { ...usageEvidence(f), candidate, risks, aliases: aliases.text, ...(protection ? { protection } : {}) },
      // A cost increase at most (more CPU usually shortens the duration): stated, not counted as a saving.
      savings: {
        monthlyUsd: 0,
        basis: [`Performance fix: at ${candidate} MB the duration cost is at most $${usd(after.usd)} instead of $${usd(now.usd)}/month (GB-s × $${gbSecondPrice(f, ctx.prices)}; less if the extra CPU shortens the duration).`],
      },
      before: { functionName: f.name, memoryMb: f.memoryMb, candidateMb: candidate, architecture: f.architecture, aliases: f.aliases ?? [], ...(f.revisionId ? { revisionId: f.revisionId } : {}) } satisfies MemoryBefore,
      benefit: ['performance'],
      risk: { summary, evidence: { durationP99Ms: u.durationP99Ms, timeoutS: f.timeoutS, maxMemoryUsedMb: f.memory?.maxUsedMb, memoryMb: f.memoryMb, runtimeExits: f.memory?.runtimeExits ?? 0, timeouts: f.memory?.timeouts ?? 0, errors: u.errors } },
    };
  },
};

/**
 * Runtimes with an arm64 build whose code is architecture-neutral unless it ships native
 * modules: interpreted or bytecode runtimes. Custom runtimes (provided.*) and go1.x run a
 * binary compiled for one architecture; container images are built for one.
 */
const PORTABLE_RUNTIME = /^(nodejs|python|ruby|java|dotnet)/;

export interface ArmOptions {
  days: number;
  minMonthlySavingsUsd: number;
}

export const x86ToArm64: Detector<LambdaFunction, ArmOptions> = {
  id: 'x86-to-arm64',
  resource: 'lambda-function',
  title: 'x86_64 function with no sign of native code that would cost about 20 % less on arm64 (Graviton); report only',
  options: z.object({
    /** Days of metrics to read. */
    days: z.number().int().min(1).max(63).default(14),
    /** Report only functions where arm64 saves at least this many USD a month. */
    minMonthlySavingsUsd: z.number().min(0).default(0.5),
  }),
  needs: (o) => [usageNeed(o.days)],
  permissions: ['cloudwatch:GetMetricData'],
  detect(f, o, { ctx }): Detection | undefined {
    if (f.architecture !== 'x86_64' || !f.usage || f.usage.durationAvgMs === undefined) return undefined;
    // Signs of native code: a custom runtime or go1.x binary, a container image, or layers (often native libraries).
    if (f.packageType !== 'Zip' || !f.runtime || !PORTABLE_RUNTIME.test(f.runtime) || f.layers.length) return undefined;
    const cost = monthlyDurationCost(f, f.memoryMb, ctx.prices);
    const saving = cost.gbSeconds * (ctx.prices.lambdaGbSecondX86 - ctx.prices.lambdaGbSecondArm64);
    if (saving < o.minMonthlySavingsUsd) return undefined;
    return {
      reason: `${f.runtime} on x86_64 with no layers and no custom runtime: on arm64 its ${Math.round(cost.gbSeconds)} GB-s a month would cost $${usd(saving)} less. Check its package for native modules (.node, .so, wheels) and test before switching.`,
      status: 'actionable',
      evidence: { ...usageEvidence(f), layers: f.layers, packageType: f.packageType, caveat: 'the deployment package itself may hold native modules; the API cannot show them' },
      savings: {
        monthlyUsd: saving,
        basis: [`${Math.round(cost.gbSeconds)} GB-s a month × ($${ctx.prices.lambdaGbSecondX86} x86_64 − $${ctx.prices.lambdaGbSecondArm64} arm64 per GB-s); same duration assumed.`],
      },
      benefit: ['cost'],
    };
  },
};
