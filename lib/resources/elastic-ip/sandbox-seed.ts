/**
 * The Elastic IP part of the "small company" scenario. Waste: addresses associated with
 * nothing. Traps: an associated address (in the default VPC, where ReleaseAddress would
 * disassociate it rather than fail), one tagged trimtab:skip, one a load balancer manages,
 * and a BYOIP address (no public IPv4 charge, not reported by default).
 */
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { ec2VolumeState, type SandboxAddress } from '../../sandbox/services/ec2-volumes.ts';

export function seedAddress(sandbox: Sandbox, accountId: string, region: string, address: Omit<SandboxAddress, 'allocationId' | 'domain' | 'networkBorderGroup' | 'publicIpv4Pool'> & { publicIpv4Pool?: string }): string {
  const allocationId = sandbox.mintId('eipalloc');
  ec2VolumeState(sandbox, sandbox.account(accountId), region).addresses[allocationId] = { allocationId, domain: 'vpc', networkBorderGroup: region, publicIpv4Pool: 'amazon', ...address };
  return allocationId;
}

export function seedElasticIpSmallCompany(sandbox: Sandbox, accountId: string) {
  const us = (a: Parameters<typeof seedAddress>[3]) => seedAddress(sandbox, accountId, 'us-east-1', a);
  us({ publicIp: '3.210.14.7', tags: { Name: 'old-bastion-eip' } });
  us({ publicIp: '18.232.90.41' });
  us({ publicIp: '54.88.21.5', associationId: 'eipassoc-0web1', instanceId: 'i-0web1', networkInterfaceId: 'eni-0web1', privateIpAddress: '10.0.1.15', defaultVpc: true, tags: { Name: 'web-1' } });
  us({ publicIp: '52.4.77.120', tags: { Name: 'partner-allowlisted', 'trimtab:skip': 'in partner firewall allow-list' } });
  us({ publicIp: '34.192.8.9', serviceManaged: 'nlb', tags: { Name: 'nlb-static-ip' } });
  us({ publicIp: '203.0.113.25', publicIpv4Pool: 'ipv4pool-ec2-0123456789abcdef0', tags: { Name: 'byoip-spare' } });
  seedAddress(sandbox, accountId, 'eu-west-1', { publicIp: '34.240.11.3', tags: { Name: 'eu-nat-old' } });
}
