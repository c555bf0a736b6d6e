import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../lib/engine/types.ts';
import type { ElasticIp } from '../../../../lib/resources/elastic-ip/resource.ts';
import { releaseAddress, type ReleaseParams } from '../../../../lib/resources/elastic-ip/remediators.ts';
import { ProtectedResourceError, UndoRefusedError } from '../../../../lib/util/errors.ts';
import { awsError, fakeAws, findingOf, planCtx, recordOf } from '../fake-aws.ts';

const ID = 'eipalloc-1';
function address(extra: Partial<ElasticIp> = {}): ElasticIp {
  return { allocationId: ID, publicIp: '203.0.113.7', domain: 'vpc', pool: 'amazon', tags: {}, ...extra };
}
function plan(a: ElasticIp = address()): Plan<ReleaseParams> {
  const p = releaseAddress.plan(findingOf('elastic-ip', ID, { address: a }), {}, planCtx);
  if (p.kind !== 'change') throw new Error('expected a change');
  return p as unknown as Plan<ReleaseParams>;
}
/** DescribeAddresses answers `a` (AWS's shape), ReleaseAddress succeeds. */
function aws(a: Record<string, unknown> | null = { AllocationId: ID, PublicIp: '203.0.113.7', Domain: 'vpc' }, release: () => unknown = () => ({})) {
  return fakeAws({ DescribeAddresses: () => ({ Addresses: a ? [a] : [] }), ReleaseAddress: release, AllocateAddress: () => ({ AllocationId: 'eipalloc-2', PublicIp: '203.0.113.7' }) });
}

describe('release-address: what it is', () => {
  it('starts in approval mode, is best effort to undo, and needs exactly describe, release, allocate and tag', () => {
    expect([releaseAddress.id, releaseAddress.resource, releaseAddress.title]).toEqual(['release-address', 'elastic-ip', 'Release the Elastic IP (undo is best effort)']);
    expect(releaseAddress.defaultMode).toBe('approval');
    expect(releaseAddress.undoable).toBe('best-effort');
    expect(releaseAddress.permissions).toEqual(['ec2:DescribeAddresses', 'ec2:ReleaseAddress', 'ec2:AllocateAddress', 'ec2:CreateTags']);
    expect(releaseAddress.undoLimits).toContain('any AWS account may be given it');
  });
});

describe('release-address plan', () => {
  it('names the address and its allocation id, and promises an AllocateAddress of the same address for an Amazon address', () => {
    // Act
    const p = plan();
    // Assess
    expect(p.summary).toBe('Release Elastic IP 203.0.113.7 (eipalloc-1), associated with nothing. Check DNS records and allow-lists that name it.');
    expect(p.params).toEqual({ allocationId: ID, publicIp: '203.0.113.7', pool: 'amazon' });
    expect(p.undo).toBe('Best effort: trimtab undo asks AWS to allocate 203.0.113.7 again (AllocateAddress Address=203.0.113.7); this fails if another account has taken the address since.');
    expect(p.undoLimits).toBeUndefined();
  });

  it('for a BYOIP address, promises the address back from the pool under a new allocation id, and keeps its border group', () => {
    const p = plan(address({ pool: 'ipv4pool-ec2-1', networkBorderGroup: 'us-east-1-wl1' }));
    expect(p.params).toEqual({ allocationId: ID, publicIp: '203.0.113.7', pool: 'ipv4pool-ec2-1', networkBorderGroup: 'us-east-1-wl1' });
    expect(p.undo).toBe('trimtab undo allocates 203.0.113.7 again from your BYOIP pool ipv4pool-ec2-1 (new allocation id).');
    expect(p.undoLimits).toBe('The allocation id eipalloc-1, its tags and reverse DNS record: the address comes back from your pool under a new allocation id.');
  });
});

describe('release-address apply', () => {
  it('re-reads exactly this allocation id, then releases it, and records what it read', async () => {
    // Prepare
    const a = aws();
    // Act
    const out = await releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {}));
    // Assess
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['DescribeAddresses', { AllocationIds: [ID] }],
      ['ReleaseAddress', { AllocationId: ID }],
    ]);
    expect(out).toEqual({ before: { address: address() }, after: { released: true }, detail: '203.0.113.7 released' });
  });

  it('releases in the border group AWS reports now', async () => {
    const a = aws({ AllocationId: ID, PublicIp: '203.0.113.7', NetworkBorderGroup: 'us-east-1-wl1' });
    await releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {}));
    expect(a.writes('ReleaseAddress').map((c) => c.input)).toEqual([{ AllocationId: ID, NetworkBorderGroup: 'us-east-1-wl1' }]);
  });

  it('counts an address that is no longer listed as done, releasing nothing', async () => {
    const a = aws(null);
    const out = await releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {}));
    expect(out).toEqual({ after: { released: true, alreadyGone: true }, detail: 'eipalloc-1 was already released (InvalidAllocationID.NotFound): counts as done' });
    expect(a.ops()).toEqual(['DescribeAddresses']);
  });

  it('counts InvalidAllocationID.NotFound on the re-read as done, releasing nothing', async () => {
    const a = fakeAws({ DescribeAddresses: () => { throw awsError('InvalidAllocationID.NotFound'); } });
    const out = await releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {}));
    expect(out.after).toEqual({ released: true, alreadyGone: true });
    expect(a.ops()).toEqual(['DescribeAddresses']);
  });

  it('counts an answer with no Addresses member as already released, releasing nothing', async () => {
    const a = fakeAws({ DescribeAddresses: () => ({}) });
    expect((await releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {}))).after).toEqual({ released: true, alreadyGone: true });
    expect(a.ops()).toEqual(['DescribeAddresses']);
  });

  it('fails on any other error of the re-read, releasing nothing', async () => {
    const a = fakeAws({ DescribeAddresses: () => { throw awsError('UnauthorizedOperation'); } });
    await expect(releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {}))).rejects.toThrow('UnauthorizedOperation');
    expect(a.ops()).toEqual(['DescribeAddresses']);
  });

  it('refuses an address tagged trimtab:skip since the scan, releasing nothing', async () => {
    const a = aws({ AllocationId: ID, PublicIp: '203.0.113.7', Tags: [{ Key: 'trimtab:skip', Value: '' }] });
    const err = await releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect((err as Error).message).toBe('eipalloc-1 is now tagged trimtab:skip');
    expect(a.ops()).toEqual(['DescribeAddresses']);
  });

  it.each([
    ['an association', { AssociationId: 'eipassoc-1' }, 'eipassoc-1'],
    ['an instance', { InstanceId: 'i-1' }, 'i-1'],
    ['a network interface', { NetworkInterfaceId: 'eni-1' }, 'eni-1'],
  ])('refuses an address that has %s since the scan (a default VPC would disassociate it), releasing nothing', async (_what, extra, usedBy) => {
    const a = aws({ AllocationId: ID, PublicIp: '203.0.113.7', ...extra });
    const err = await releaseAddress.apply(a.ctx, plan(), findingOf('elastic-ip', ID, {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect((err as Error).message).toBe(`203.0.113.7 is now associated (${usedBy}); releasing it would disassociate it (default VPC) or fail; nothing was changed`);
    expect(a.ops()).toEqual(['DescribeAddresses']);
  });

  it('counts InvalidAllocationID.NotFound on the release as done, with what it read', async () => {
    const b = aws({ AllocationId: ID, PublicIp: '203.0.113.7' }, () => { throw awsError('InvalidAllocationID.NotFound'); });
    const out = await releaseAddress.apply(b.ctx, plan(), findingOf('elastic-ip', ID, {}));
    expect(out).toEqual({ before: { address: address() }, after: { released: true, alreadyGone: true }, detail: 'eipalloc-1 vanished: counts as done' });
  });

  it('records InvalidIPAddress.InUse on the release as protected, naming AWS’s answer', async () => {
    const b = aws({ AllocationId: ID, PublicIp: '203.0.113.7' }, () => { throw awsError('InvalidIPAddress.InUse', 'Address is in use'); });
    const err = await releaseAddress.apply(b.ctx, plan(), findingOf('elastic-ip', ID, {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtectedResourceError);
    expect((err as Error).message).toBe('InvalidIPAddress.InUse: Address is in use');
    expect((err as Error).cause).toMatchObject({ name: 'InvalidIPAddress.InUse' });
  });

  it('fails on any other error of the release', async () => {
    const b = aws({ AllocationId: ID, PublicIp: '203.0.113.7' }, () => { throw awsError('AuthFailure', 'no'); });
    const err = await releaseAddress.apply(b.ctx, plan(), findingOf('elastic-ip', ID, {})).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ProtectedResourceError);
    expect((err as Error).name).toBe('AuthFailure');
  });
});

describe('release-address verify', () => {
  it('fails while the allocation id is still listed, naming it and its address', async () => {
    const a = aws({ AllocationId: ID, PublicIp: '198.51.100.1' });
    const v = await releaseAddress.verify(a.ctx, plan(), { after: {} });
    expect(v).toEqual({ ok: false, detail: 'eipalloc-1 (198.51.100.1) is still allocated' });
    expect(a.calls.map((c) => c.input)).toEqual([{ AllocationIds: [ID] }]);
  });

  it('passes once the address is gone', async () => {
    const a = fakeAws({ DescribeAddresses: () => { throw awsError('InvalidAllocationID.NotFound'); } });
    expect(await releaseAddress.verify(a.ctx, plan(), { after: {} })).toEqual({ ok: true, detail: '203.0.113.7 is released' });
  });
});

describe('release-address undo', () => {
  const record = (params: ReleaseParams, before: unknown, after: unknown, tags: Record<string, string> = {}) => recordOf('elastic-ip', ID, 'release-address', params, before, after, tags);

  it('asks AWS for the same address in a VPC with its tags (not the aws: ones), and returns the new allocation id', async () => {
    // Prepare
    const a = aws();
    const before = { address: address({ tags: { team: 'web', 'aws:cloudformation:stack-name': 's' } }) };
    // Act
    const out = await releaseAddress.undo!(a.ctx, record({ allocationId: ID, publicIp: '203.0.113.7', pool: 'amazon' }, before, { released: true }));
    // Assess
    expect(a.calls.map((c) => [c.op, c.input])).toEqual([
      ['AllocateAddress', { Domain: 'vpc', Address: '203.0.113.7', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'team', Value: 'web' }] }] }],
    ]);
    expect(out).toEqual({ detail: 'Recovered 203.0.113.7 as eipalloc-2 (a new allocation id; re-associate it where it was used).', after: { allocationId: 'eipalloc-2', publicIp: '203.0.113.7' } });
  });

  it('asks the BYOIP pool and border group, with the resource’s tags when no before-state was read, and no tags when there are none', async () => {
    const a = aws();
    await releaseAddress.undo!(a.ctx, record({ allocationId: ID, publicIp: '203.0.113.7', pool: 'ipv4pool-ec2-1', networkBorderGroup: 'nbg' }, null, { released: true }, { owner: 'ops' }));
    await releaseAddress.undo!(a.ctx, record({ allocationId: ID, publicIp: '203.0.113.7', pool: 'amazon' }, { address: address() }, { released: true }, { owner: 'ops' }));
    expect(a.calls.map((c) => c.input)).toEqual([
      { Domain: 'vpc', Address: '203.0.113.7', PublicIpv4Pool: 'ipv4pool-ec2-1', NetworkBorderGroup: 'nbg', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'owner', Value: 'ops' }] }] },
      { Domain: 'vpc', Address: '203.0.113.7' },
    ]);
  });

  it('refuses when the address was already gone when trimtab acted, asking AWS nothing', async () => {
    const a = aws();
    const err = await releaseAddress.undo!(a.ctx, record({ allocationId: ID, publicIp: '203.0.113.7', pool: 'amazon' }, null, { released: true, alreadyGone: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect((err as Error).message).toBe("203.0.113.7 was already released when trimtab acted; there is nothing of trimtab's to recover.");
    expect(a.calls).toEqual([]);
  });

  it('refuses with AWS’s answer when the address cannot be given back', async () => {
    const a = fakeAws({ AllocateAddress: () => { throw awsError('InvalidAddress.NotFound', 'taken'); } });
    const err = await releaseAddress.undo!(a.ctx, record({ allocationId: ID, publicIp: '203.0.113.7', pool: 'amazon' }, null, undefined)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UndoRefusedError);
    expect((err as Error).message).toBe('AWS could not give 203.0.113.7 back (InvalidAddress.NotFound: taken). The release was best effort to undo, and this address is gone.');
    expect((err as Error).cause).toMatchObject({ name: 'InvalidAddress.NotFound', message: 'taken' });
  });
});
