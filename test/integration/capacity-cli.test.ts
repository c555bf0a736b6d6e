import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runTrimtab } from '../cli-helpers.ts';

let dir: string;
const trimtab = (args: string[]) => runTrimtab(dir, args);

vi.setConfig({ testTimeout: 120_000 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-capacity-cli-'));
});

const POLICIES = `
policies:
  - id: asg-max
    resource: asg
    detector: { type: under-provisioned-at-max }
    action: { type: raise-max-size }
    mode: auto
  - id: ebs-raise
    resource: ebs-volume
    detector: { type: volume-at-ceiling }
    action: { type: raise-volume-performance }
    mode: auto
    requireComputeOptimizer: true
`;

describe('trimtab CLI on the sandbox: capacity findings', () => {
  it('scan shows the performance findings with their risk, added cost and Compute Optimizer opinion', async () => {
    // Prepare
    const file = join(dir, 'capacity.yml');
    writeFileSync(file, POLICIES);

    // Act
    const { code, stdout } = await trimtab(['scan', '--sandbox', '--policies', file, '--output', 'json']);

    // Assess
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    const checkout = out.findings.find((f: { resourceId: string }) => f.resourceId === 'acme-checkout');
    expect(checkout).toMatchObject({ policy: 'asg-max', action: 'raise-max-size', evidence: { candidate: 8, computeOptimizer: { agreement: 'not-applicable', why: 'Compute Optimizer recommends only the instance type for asg resources, not the value proposed' } } });
    expect(checkout.estimatedMonthlySavingsUsd).toBeLessThan(0);
    expect(JSON.stringify(checkout)).toContain('at MaxSize 6 with CPU above the 50 % target for');
    const conflicts = out.findings.filter((f: { evidence: { computeOptimizer?: { agreement: string } } }) => f.evidence.computeOptimizer?.agreement === 'disagrees');
    expect(conflicts).toHaveLength(1);
    expect(JSON.stringify(conflicts[0])).toContain('requireComputeOptimizer');
  });

  it('run --yes raises MaxSize, and IOPS where Compute Optimizer agrees, and undo restores MaxSize', async () => {
    // Prepare
    const file = join(dir, 'capacity.yml');
    writeFileSync(file, POLICIES);

    // Act
    const run = JSON.parse((await trimtab(['run', '--sandbox', '--yes', '--policies', file, '--output', 'json'])).stdout);

    // Assess
    expect(run.actions.map((a: { action: string; status: string }) => [a.action, a.status]).sort()).toEqual([
      ['raise-max-size', 'verified'],
      ['raise-volume-performance', 'verified'],
    ]);
    const raise = run.actions.find((a: { action: string }) => a.action === 'raise-max-size');
    const undo = await trimtab(['undo', raise.id, '--sandbox']);
    expect(undo.code).toBe(0);
    const after = JSON.parse((await trimtab(['scan', '--sandbox', '--policies', file, '--output', 'json'])).stdout);
    expect(after.findings.find((f: { resourceId: string }) => f.resourceId === 'acme-checkout')).toMatchObject({ evidence: { maxSize: 6 } });
  });
});
