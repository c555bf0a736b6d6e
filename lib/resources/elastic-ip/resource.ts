/**
 * Elastic IP addresses. DescribeAddresses is not paginated: EC2 returns every address of the
 * region in one answer (the default quota is 5 per region), so one call lists them all.
 */
import { DescribeAddressesCommand, EC2Client, type Address } from '@aws-sdk/client-ec2';
import type { ResourceType } from '../../engine/types.ts';
import { batches } from '../../util/async.ts';
import { partitionOf } from '../../aws/regions.ts';

export interface ElasticIp {
  allocationId: string;
  publicIp: string;
  domain: string;
  /** 'amazon', or a BYOIP pool id: released BYOIP addresses go back to your own pool. */
  pool: string;
  networkBorderGroup?: string;
  associationId?: string;
  instanceId?: string;
  networkInterfaceId?: string;
  /** Set when an AWS service manages the address (e.g. 'alb', 'nlb'). */
  serviceManaged?: string;
  tags: Record<string, string>;
}

export function toElasticIp(a: Address): ElasticIp {
  const tags: Record<string, string> = {};
  for (const t of a.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    allocationId: a.AllocationId ?? a.PublicIp!,
    publicIp: a.PublicIp ?? '',
    domain: a.Domain ?? 'vpc',
    pool: a.PublicIpv4Pool ?? 'amazon',
    ...(a.NetworkBorderGroup ? { networkBorderGroup: a.NetworkBorderGroup } : {}),
    ...(a.AssociationId ? { associationId: a.AssociationId } : {}),
    ...(a.InstanceId ? { instanceId: a.InstanceId } : {}),
    ...(a.NetworkInterfaceId ? { networkInterfaceId: a.NetworkInterfaceId } : {}),
    ...(a.ServiceManaged ? { serviceManaged: a.ServiceManaged } : {}),
    tags,
  };
}

export const elasticIpResource: ResourceType<ElasticIp> = {
  id: 'elastic-ip',
  title: 'Elastic IP address',
  permissions: ['ec2:DescribeAddresses'],

  async *list(ctx, _prepared, ids) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const inputs = ids?.length ? batches(ids, 200).map((chunk) => ({ Filters: [{ Name: 'allocation-id', Values: chunk }] })) : [{}];
    for (const input of inputs) {
      const out = await ec2.send(new DescribeAddressesCommand(input));
      const addresses = (out.Addresses ?? []).filter((a) => a.AllocationId || a.PublicIp).map(toElasticIp);
      if (addresses.length) yield addresses;
    }
  },

  ref(a, ctx) {
    return { type: 'elastic-ip', id: a.allocationId, arn: `arn:${partitionOf(ctx.region)}:ec2:${ctx.region}:${ctx.account}:elastic-ip/${a.allocationId}`, account: ctx.account, region: ctx.region, tags: { ...a.tags } };
  },
};
