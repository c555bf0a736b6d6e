/**
 * The partial-failure mechanism itself (lib/engine/partial.ts): how a failed read is described,
 * and how the engine treats a module whose enrichment throws without `enrichmentRead` and a
 * stateful pass that did not see every resource.
 */
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { MemoryActionStore } from '../../../lib/audit/store.ts';
import { describeFailure, enrichmentRead, isReadFailure, ReadGaps } from '../../../lib/engine/partial.ts';
import { runPolicies, type EngineDeps } from '../../../lib/engine/run.ts';
import type { Detection, Detector, ResourceType } from '../../../lib/engine/types.ts';
import type { Policy } from '../../../lib/policy/load.ts';
import { detectors, registerDetector, resourceTypes } from '../../../lib/resources/registry.ts';
import { awsError } from '../../../lib/sandbox/sandbox.ts';
import { DryRunViolationError } from '../../../lib/util/errors.ts';

describe('describeFailure', () => {
  it('names the denied IAM action from AWS message, else from the failed operation', () => {
    // Prepare
    const named = awsError('AccessDeniedException', 'User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: logs:StartQuery on resource: arn:aws:logs:…', 400);
    const unnamed = Object.defineProperty(awsError('AccessDenied', 'Access Denied', 403), '$trimtabOperation', { value: 's3:GetBucketLifecycleConfiguration' });

    // Act
    const a = describeFailure(named, 'logs:StartQuery');
    const b = describeFailure(unnamed, 'fallback:Op');

    // Assess
    expect(a).toMatchObject({ kind: 'denied', code: 'AccessDeniedException', missingPermission: 'logs:StartQuery', operation: 'logs:StartQuery' });
    expect(b).toMatchObject({ kind: 'denied', code: 'AccessDenied', httpStatus: 403, operation: 's3:GetBucketLifecycleConfiguration', missingPermission: 's3:GetLifecycleConfiguration' });
  });

  it('tells throttling, timeouts and server errors apart, and maps the SDK service key to the IAM prefix', () => {
    // Prepare
    const throttled = Object.defineProperty(awsError('ThrottlingException', 'Rate exceeded'), '$trimtabOperation', { value: 'cloudwatchlogs:GetQueryResults' });
    const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
    const server = awsError('InternalFailure', 'boom', 500);

    // Act / Assess
    expect(describeFailure(throttled, 'x:Y')).toMatchObject({ kind: 'throttled', operation: 'logs:GetQueryResults' });
    expect(describeFailure(timeout, 'ec2:DescribeInstanceTypes')).toMatchObject({ kind: 'timeout', code: 'TimeoutError', operation: 'ec2:DescribeInstanceTypes' });
    expect(describeFailure(server, 'cloudwatch:GetMetricData')).toMatchObject({ kind: 'server-error', httpStatus: 500 });
    expect(describeFailure(server, 'cloudwatch:GetMetricData').missingPermission).toBeUndefined();
  });

  it('never treats a bug or the dry-run guard as a failed read', async () => {
    // Prepare
    const gaps = new ReadGaps((item) => String(item));
    const ctx = { gaps };

    // Act / Assess
    expect(isReadFailure(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(false);
    expect(isReadFailure(new DryRunViolationError('ec2', 'StopInstances'))).toBe(false);
    await expect(enrichmentRead(ctx, { provides: ['usage'], items: ['a'], operation: 'cloudwatch:GetMetricData' }, async () => { throw new TypeError('bug'); })).rejects.toThrow('bug');
    expect(gaps.empty).toBe(true);
    // Outside an engine run (no gaps), a failed read throws as before.
    await expect(enrichmentRead({}, { provides: ['usage'], operation: 'cloudwatch:GetMetricData' }, async () => { throw awsError('Throttling', 'Rate exceeded'); })).rejects.toThrow('Rate exceeded');
  });
});

// A resource type that reads without enrichmentRead, and detectors with and without needs.
interface Thing {
  id: string;
  usage?: number;
}
const THINGS = ['t-1', 't-2', 't-3'];
let failEnrich: Error | undefined;
const thingType: ResourceType<Thing> = {
  id: 'test-partial-thing',
  title: 'test thing',
  permissions: [],
  async *list() {
    yield THINGS.map((id) => ({ id }));
  },
  async enrich(_ctx, page, _prepared, needs) {
    if (failEnrich && needs.has('usage')) throw failEnrich;
    return page.map((t) => ({ ...t, usage: needs.has('usage') ? 0 : undefined }));
  },
  ref: (t, ctx) => ({ type: 'test-partial-thing', id: t.id, arn: `arn:test:${t.id}`, account: ctx.account, region: ctx.region, tags: {} }),
};
resourceTypes.register(thingType);
const detection = (t: Thing): Detection => ({ reason: `flagged ${t.id}`, evidence: {} });
registerDetector({ id: 'always', resource: thingType.id, title: 'needs nothing', options: z.object({}), detect: (t: Thing) => detection(t) } as Detector);
registerDetector({ id: 'idle', resource: thingType.id, title: 'needs usage', options: z.object({}), needs: ['usage'], detect: (t: Thing) => (t.usage === 0 ? detection(t) : undefined) } as Detector);
registerDetector({
  id: 'compare',
  resource: thingType.id,
  title: 'stateful, needs usage',
  options: z.object({}),
  needs: ['usage'],
  pass: () => {
    const seen: Thing[] = [];
    return { observe: (t: Thing) => (seen.push(t), []), finish: () => seen.map((t) => ({ ...detection(t), resource: thingType.ref(t, { account: '1', region: 'us-east-1' } as never) })) };
  },
} as Detector);

const policy = (id: string, detector: string): Policy => ({ id, resource: thingType.id, detector: { type: detector }, mode: 'dry-run', triggers: [], scope: {}, limits: { maxActionsPerRun: 10, cooldownHours: 0 } });
const deps = (): EngineDeps => ({ account: '111111111111', clients: new AwsClients({ allowWrites: false }), store: new MemoryActionStore(), defaultRegions: ['us-east-1'] });

describe('the engine when a module read fails', () => {
  it('without enrichmentRead, a failed read costs every need of the page, and detectors that need nothing still run', async () => {
    // Prepare
    expect(detectors(thingType.id).ids()).toEqual(['always', 'compare', 'idle']);
    failEnrich = Object.defineProperty(awsError('AccessDenied', 'User: x is not authorized to perform: cloudwatch:GetMetricData', 403), '$trimtabOperation', { value: 'cloudwatch:GetMetricData' });

    // Act
    const result = await runPolicies({ policies: [policy('p-always', 'always'), policy('p-idle', 'idle'), policy('p-compare', 'compare')] }, deps());

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.findings.map((f) => `${f.policy}:${f.resource.id}`).sort()).toEqual(['p-always:t-1', 'p-always:t-2', 'p-always:t-3']);
    expect(result.unevaluated?.map((u) => [u.policy, u.count, u.sample, u.needs, u.reason.operation, u.reason.missingPermission])).toEqual([
      ['p-idle', 3, THINGS, ['usage'], 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricData'],
      ['p-compare', 3, THINGS, ['usage'], 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricData'],
    ]);
    expect(result.summary.notEvaluated).toBe(6);
  });

  it('a bug in enrichment still fails the listing (never hidden as a failed read)', async () => {
    // Prepare
    failEnrich = new TypeError('bug in the module');

    // Act
    const result = await runPolicies({ policies: [policy('p-always', 'always'), policy('p-idle', 'idle')] }, deps());

    // Assess
    expect(result.errors.map((e) => e.error)).toEqual(['bug in the module']);
    expect(result.unevaluated).toEqual([]);
  });

  it('without a failure, every detector runs and nothing is reported as not evaluated', async () => {
    // Prepare
    failEnrich = undefined;

    // Act
    const result = await runPolicies({ policies: [policy('p-idle', 'idle'), policy('p-compare', 'compare')] }, deps());

    // Assess
    expect(result.findings.map((f) => `${f.policy}:${f.resource.id}`).sort()).toEqual(['p-compare:t-1', 'p-compare:t-2', 'p-compare:t-3', 'p-idle:t-1', 'p-idle:t-2', 'p-idle:t-3']);
    expect(result.unevaluated).toEqual([]);
    expect(result.summary.notEvaluated).toBe(0);
  });
});
