import { systemClock } from '../../../../lib/util/clock.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../../lib/aws/clients.ts';
import type { DetectEnv, RegionContext } from '../../../../lib/engine/types.ts';
import { unassociated } from '../../../../lib/resources/elastic-ip/detectors.ts';
import { toElasticIp } from '../../../../lib/resources/elastic-ip/resource.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';

const env: DetectEnv = {
  ctx: { account: '123456789012', region: 'us-east-1', now: new Date('2026-11-01T00:00:00Z'), prices: DEFAULT_PRICES, clock: systemClock, clients: new AwsClients({ allowWrites: false }), log: () => {} } as RegionContext,
  prepared: undefined,
};
const load = (file: string) => JSON.parse(readFileSync(`test/fixtures/ec2/${file}`, 'utf8')).data.Addresses.map(toElasticIp);

describe('unassociated Elastic IP detector', () => {
  it('flags the recorded unassociated addresses at $3.65 a month and says undo is best effort', () => {
    const found = load('DescribeAddresses-unassociated.json').map((a: any) => unassociated.detect!(a, { includeByoip: false }, env));
    expect(found).toHaveLength(2);
    expect(found[0].savings.monthlyUsd).toBeCloseTo(3.65, 6);
    expect(found[0].reason).toContain('undo is best effort');
    expect(found[0].evidence.undo).toMatch(/best effort/);
  });

  it('leaves every recorded associated address alone', () => {
    expect(load('DescribeAddresses-associated.json').map((a: any) => unassociated.detect!(a, { includeByoip: false }, env)).filter(Boolean)).toEqual([]);
  });

  it('reports BYOIP addresses only when asked, with no saving, and protects service-managed ones', () => {
    const byoip = toElasticIp({ AllocationId: 'eipalloc-b', PublicIp: '203.0.113.1', PublicIpv4Pool: 'ipv4pool-ec2-1' });
    expect(unassociated.detect!(byoip, { includeByoip: false }, env)).toBeUndefined();
    expect((unassociated.detect!(byoip, { includeByoip: true }, env) as any).savings.monthlyUsd).toBe(0);
    const nlb = toElasticIp({ AllocationId: 'eipalloc-n', PublicIp: '1.2.3.4', ServiceManaged: 'nlb' });
    expect((unassociated.detect!(nlb, { includeByoip: false }, env) as any).status).toBe('protected');
  });
});
