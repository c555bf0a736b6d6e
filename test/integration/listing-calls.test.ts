/**
 * The listings of the newer modules at their call minimum, with the findings they had before
 * the calls were cut (issue 29 §2): the fingerprints below were taken from the code before
 * (commit b658170) on the same seeds, so any change in what is found, its status (protection by
 * tags included), reason, evidence or plan fails here. Re-taken once, after the merge that gave every
 * plan its "Cannot bring back" text (issue 26): diffed finding by finding against the branch's own
 * code, the only change was plan.undoLimits and the undo text it ends.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { benchDeps, benchSandbox, needsOf, sweepPolicies } from '../../lib/bench/account.ts';
import { compareCalls, minimumCalls, perItemOperations } from '../../lib/bench/minimum.ts';
import { dynamodbCase, ec2Case, type ScanCase } from '../../lib/bench/scan.ts';
import { runPolicies } from '../../lib/engine/run.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { dynamoControlState } from '../../lib/sandbox/services/dynamodb-control.ts';
import type { Sandbox } from '../../lib/sandbox/sandbox.ts';

/** Every finding, order-free: policy, resource, status, reason, evidence, plan and the tags it was judged on. */
function fingerprint(findings: { policy: string; resource: { id: string; tags?: Record<string, string> }; status: string; reason: string; evidence: unknown; plan?: unknown }[]) {
  const lines = findings.map((f) => JSON.stringify([f.policy, f.resource.id, f.status, f.reason, f.evidence, f.plan ?? null, f.resource.tags])).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

async function sweep(spec: ScanCase, extra?: (sandbox: Sandbox) => void) {
  const sandbox = benchSandbox(0);
  spec.seed(sandbox);
  extra?.(sandbox);
  const policies = sweepPolicies(spec.resource);
  sandbox.resetCounters();
  const result = await runPolicies({ policies, forceDryRun: true }, benchDeps(sandbox));
  const model = spec.model(sandbox, needsOf(policies));
  return { result, calls: sandbox.callsByOperation(), vs: compareCalls(sandbox.callsByOperation(), minimumCalls(model), perItemOperations(model)) };
}

describe('listing calls at their minimum, findings unchanged', () => {
  it('scans 400 EC2 instances in 14 calls (one page: metrics 500 queries a call, one attached-volume listing), the minimum, with the same 200 findings as before', async () => {
    // Act
    const { result, calls, vs } = await sweep(ec2Case(400));

    // Assess: before, 16 calls (metrics per 166-instance page, DescribeVolumes per 200-id filter).
    expect(calls).toEqual({
      'cloudwatch:GetMetricData': 8,
      'ec2:DescribeInstanceCreditSpecifications': 1,
      'ec2:DescribeInstanceTypes': 1,
      'ec2:DescribeInstances': 1,
      'ec2:DescribeVolumes': 1,
    });
    expect(vs.ratio).toBe(1);
    expect(result.errors).toEqual([]);
    expect(result.findings).toHaveLength(200);
    expect(fingerprint(result.findings)).toBe('f735932e41fe6c1b8cbf46c4cef6920961fd0bdeab9989b0fca045929528a6b8');
  });

  it('scans 150 DynamoDB tables with their tags in 2 GetResources calls instead of 150 ListTagsOfResource, the same findings and the same tables protected by trimtab:skip', async () => {
    // Prepare: tags on a third of the tables, trimtab:skip on every 7th (the protection must see them as before).
    const tag = (sandbox: Sandbox) => {
      const tables = dynamoControlState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').tables;
      Object.values(tables).forEach((t, n) => {
        if (n % 3 === 0) t.tags = { team: `team-${n % 4}` };
        if (n % 7 === 0) t.tags = { ...t.tags, 'trimtab:skip': 'load test' };
      });
    };

    // Act
    const { result, calls, vs } = await sweep(dynamodbCase(150), tag);

    // Assess
    expect(calls['resourcegroupstaggingapi:GetResources']).toBe(2);
    expect(calls['dynamodb:ListTagsOfResource']).toBeUndefined();
    expect(calls['dynamodb:DescribeTable']).toBe(150);
    expect(vs.withoutPerItem!.ratio).toBeLessThanOrEqual(1.1);
    expect(result.errors).toEqual([]);
    expect(result.findings.filter((f) => f.status === 'protected')).toHaveLength(18);
    expect(result.findings).toHaveLength(122);
    expect(fingerprint(result.findings)).toBe('4c58f7c73d43243d4ca58a043b8b214813c52fe82ab9f09847c8debac064fc74');
  });
});
