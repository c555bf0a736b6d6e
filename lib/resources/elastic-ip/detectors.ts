/**
 * Unassociated Elastic IPs: billed $0.005/hour (publicIpv4Hour) while attached to nothing.
 * Module protections: addresses an AWS service manages (ServiceManaged: alb, nlb, …), which the
 * owner cannot release. `trimtab:skip` is the core's.
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detection, Detector } from '../../engine/types.ts';
import { usd } from '../../savings/prices.ts';
import type { ElasticIp } from './resource.ts';

export interface EipBefore {
  address: ElasticIp;
}

export const unassociated: Detector<ElasticIp, { includeByoip: boolean }> = {
  id: 'unassociated',
  resource: 'elastic-ip',
  title: 'Elastic IP associated with nothing',
  options: z.object({
    /** BYOIP addresses cost nothing idle (no public IPv4 charge for your own range); report them only when true. */
    includeByoip: z.boolean().default(false),
  }),
  detect(a, options, { ctx }): Detection | undefined {
    if (a.associationId || a.instanceId || a.networkInterfaceId) return undefined;
    const byoip = a.pool !== 'amazon';
    if (byoip && !options.includeByoip) return undefined;
    const monthly = byoip ? 0 : ctx.prices.publicIpv4Hour * ctx.prices.hoursPerMonth;
    const protection = a.serviceManaged ? `managed by ${a.serviceManaged}; only that service can release it` : undefined;
    const undo = byoip
      ? `a BYOIP address goes back to your pool ${a.pool}, so trimtab undo can allocate it again`
      : 'undo is best effort: trimtab undo asks AWS to allocate the same address again, which works only if no other account has taken it since';
    return {
      reason: `Elastic IP ${a.publicIp} is associated with nothing and costs $${usd(monthly)}/month; ${undo}.${protection ? ` Protected: ${protection}.` : ''}`,
      status: protection ? 'protected' : 'actionable',
      evidence: {
        publicIp: a.publicIp,
        allocationId: a.allocationId,
        pool: a.pool,
        ...(a.networkBorderGroup ? { networkBorderGroup: a.networkBorderGroup } : {}),
        associated: false,
        tags: a.tags,
        undo: byoip ? 'yes (BYOIP pool)' : 'best effort (re-allocating the same address is not guaranteed)',
        ...(protection ? { protection } : {}),
      },
      savings: {
        monthlyUsd: monthly,
        basis: byoip
          ? [`BYOIP address from ${a.pool}: no public IPv4 charge, so no saving.`]
          : [`$${ctx.prices.publicIpv4Hour}/hour public IPv4 × ${ctx.prices.hoursPerMonth} hours = $${usd(monthly)}/month.`],
      },
      before: { address: a } satisfies EipBefore,
    };
  },
};
