/**
 * release-address. apply re-reads the address (still unassociated, not tagged trimtab:skip),
 * then ReleaseAddress with nothing awaited in between. That re-read is the only guard: in a
 * default VPC ReleaseAddress does not fail on an associated address, it disassociates and
 * releases it (EC2 API reference, ReleaseAddress; only a nondefault VPC answers
 * InvalidIPAddress.InUse), and EC2 has no conditional release. InvalidAllocationID.NotFound counts as done; InvalidIPAddress.InUse (it
 * was associated after the scan) is recorded as protected. Undo is best effort: AllocateAddress
 * with the same Address recovers it only if no other AWS account has taken it since (BYOIP
 * addresses return to your own pool and can always be allocated again).
 */
import { AllocateAddressCommand, DescribeAddressesCommand, EC2Client, ReleaseAddressCommand } from '@aws-sdk/client-ec2';
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import { SKIP_TAG } from '../protection.ts';
import type { Remediator } from '../../engine/types.ts';
import { ProtectedResourceError, UndoRefusedError, awsErrorName, errorMessage } from '../../util/errors.ts';
import type { EipBefore } from './detectors.ts';
import { toElasticIp, type ElasticIp } from './resource.ts';

const NOT_FOUND = 'InvalidAllocationID.NotFound';

async function describeAddress(ec2: EC2Client, allocationId: string): Promise<ElasticIp | undefined> {
  try {
    const a = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }))).Addresses?.[0];
    return a ? toElasticIp(a) : undefined;
  } catch (error) {
    if (awsErrorName(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

export interface ReleaseParams {
  allocationId: string;
  publicIp: string;
  pool: string;
  networkBorderGroup?: string;
}

interface ReleaseAfter {
  released: true;
  alreadyGone?: boolean;
}

export const releaseAddress: Remediator<ReleaseParams, Record<string, never>> = {
  id: 'release-address',
  resource: 'elastic-ip',
  title: 'Release the Elastic IP (undo is best effort)',
  options: z.object({}),
  permissions: ['ec2:DescribeAddresses', 'ec2:ReleaseAddress', 'ec2:AllocateAddress', 'ec2:CreateTags'],
  // Someone may have the address in DNS or an allow-list: a person approves.
  defaultMode: 'approval',
  undoable: 'best-effort',
  undoLimits: "The address itself: once released, any AWS account may be given it, and AWS then refuses to give it back. A re-allocated address has a new allocation id; its association, tags and reverse DNS record are not restored.",

  plan(finding) {
    const a = (finding.before as EipBefore).address;
    const byoip = a.pool !== 'amazon';
    return {
      kind: 'change',
      summary: `Release Elastic IP ${a.publicIp} (${a.allocationId}), associated with nothing. Check DNS records and allow-lists that name it.`,
      params: { allocationId: a.allocationId, publicIp: a.publicIp, pool: a.pool, ...(a.networkBorderGroup ? { networkBorderGroup: a.networkBorderGroup } : {}) },
      undo: byoip
        ? `trimtab undo allocates ${a.publicIp} again from your BYOIP pool ${a.pool} (new allocation id).`
        : `Best effort: trimtab undo asks AWS to allocate ${a.publicIp} again (AllocateAddress Address=${a.publicIp}); this fails if another account has taken the address since.`,
      ...(byoip ? { undoLimits: `The allocation id ${a.allocationId}, its tags and reverse DNS record: the address comes back from your pool under a new allocation id.` } : {}),
    };
  },

  async apply(ctx, plan) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const id = plan.params.allocationId;
    const current = await describeAddress(ec2, id);
    if (!current) return { after: { released: true, alreadyGone: true } satisfies ReleaseAfter, detail: `${id} was already released (${NOT_FOUND}): counts as done` };
    if (SKIP_TAG in current.tags) throw new ProtectedResourceError(`${id} is now tagged ${SKIP_TAG}`);
    // Any sign of use: in a default VPC, AWS would silently disassociate it.
    const usedBy = current.associationId ?? current.instanceId ?? current.networkInterfaceId;
    if (usedBy) throw new ProtectedResourceError(`${current.publicIp} is now associated (${usedBy}); releasing it would disassociate it (default VPC) or fail; nothing was changed`);
    try {
      await ec2.send(new ReleaseAddressCommand({ AllocationId: id, ...(current.networkBorderGroup ? { NetworkBorderGroup: current.networkBorderGroup } : {}) }));
    } catch (error) {
      const name = awsErrorName(error);
      if (name === NOT_FOUND) return { before: { address: current }, after: { released: true, alreadyGone: true } satisfies ReleaseAfter, detail: `${id} vanished: counts as done` };
      if (name === 'InvalidIPAddress.InUse') throw new ProtectedResourceError(`${name}: ${errorMessage(error)}`, { cause: error });
      throw error;
    }
    return { before: { address: current }, after: { released: true } satisfies ReleaseAfter, detail: `${current.publicIp} released` };
  },

  async verify(ctx, plan) {
    const still = await describeAddress(ctx.clients.get(EC2Client, ctx.region), plan.params.allocationId);
    return still ? { ok: false, detail: `${plan.params.allocationId} (${still.publicIp}) is still allocated` } : { ok: true, detail: `${plan.params.publicIp} is released` };
  },

  async undo(ctx, record) {
    const ec2 = ctx.clients.get(EC2Client, ctx.region);
    const params = record.params as ReleaseParams;
    if ((record.after as ReleaseAfter | undefined)?.alreadyGone) throw new UndoRefusedError(`${params.publicIp} was already released when trimtab acted; there is nothing of trimtab's to recover.`);
    const tags = Object.entries((record.before as EipBefore | null)?.address.tags ?? record.resource.tags).filter(([k]) => !k.startsWith('aws:'));
    try {
      const out = await ec2.send(
        new AllocateAddressCommand({
          Domain: 'vpc',
          Address: params.publicIp,
          ...(params.pool !== 'amazon' ? { PublicIpv4Pool: params.pool } : {}),
          ...(params.networkBorderGroup ? { NetworkBorderGroup: params.networkBorderGroup } : {}),
          ...(tags.length ? { TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tags.map(([Key, Value]) => ({ Key, Value })) }] } : {}),
        }),
      );
      return { detail: `Recovered ${out.PublicIp} as ${out.AllocationId} (a new allocation id; re-associate it where it was used).`, after: { allocationId: out.AllocationId, publicIp: out.PublicIp } };
    } catch (error) {
      throw new UndoRefusedError(`AWS could not give ${params.publicIp} back (${awsErrorName(error)}: ${errorMessage(error)}). The release was best effort to undo, and this address is gone.`, { cause: error });
    }
  },
};
