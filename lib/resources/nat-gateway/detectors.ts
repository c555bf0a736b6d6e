/**
 * idle-nat-gateway: an available NAT gateway that sent (almost) nothing to destinations and held
 * (almost) no connections over the window (AWS/NATGateway BytesOutToDestination Sum and
 * ActiveConnectionCount Maximum, daily). Report only: deleting a NAT gateway breaks routes that
 * point at it, so a person decides. Too few days with metrics: protected (cannot judge).
 */
import * as z from 'zod'; // namespace import: lets esbuild drop unused zod (locales, JSON Schema) from Lambda bundles
import type { Detector } from '../../engine/types.ts';
import { usd, type PriceTable } from '../../savings/prices.ts';
import { NAT_NEEDS, natGatewayResource, windowNeed, type NatGateway } from './resource.ts';

const MB = 1_000_000;

export interface IdleNatOptions {
  windowDays: number;
  maxBytesOutMb: number;
  maxPeakConnections: number;
  minDaysWithData: number;
}

/** The gateway's hourly charge for a month; its Elastic IPs are billed until released. */
export function natMonthly(g: Pick<NatGateway, 'allocationIds'>, prices: PriceTable): { monthlyUsd: number; basis: string[] } {
  const monthlyUsd = prices.natGatewayHour * prices.hoursPerMonth;
  const basis = [`NAT gateway $${prices.natGatewayHour}/h × ${prices.hoursPerMonth} h = $${usd(monthlyUsd)}/month (data processing is ~$0 when idle).`];
  if (g.allocationIds.length) {
    const eip = g.allocationIds.length * prices.publicIpv4Hour * prices.hoursPerMonth;
    basis.push(`Its ${g.allocationIds.length} Elastic IP${g.allocationIds.length === 1 ? '' : 's'} (${g.allocationIds.join(', ')}) stay allocated after a delete: releasing ${g.allocationIds.length === 1 ? 'it' : 'them'} saves another $${usd(eip)}/month ($${prices.publicIpv4Hour}/h each), not counted here.`);
  }
  return { monthlyUsd, basis };
}

export const idleNatGateway: Detector<NatGateway, IdleNatOptions> = {
  id: 'idle-nat-gateway',
  resource: natGatewayResource.id,
  title: 'NAT gateways that carried (almost) no traffic and no connections over the window',
  options: z.object({
    /** Whole UTC days of CloudWatch metrics to judge by, ending at midnight. */
    windowDays: z.number().int().min(1).max(63).default(14),
    /** BytesOutToDestination over the whole window, MB (10^6 bytes). */
    maxBytesOutMb: z.number().min(0).default(1),
    /** Highest daily ActiveConnectionCount Maximum allowed. */
    maxPeakConnections: z.number().min(0).default(1),
    /** Days with metrics needed to judge; fewer: protected (too little data). */
    minDaysWithData: z.number().int().min(1).default(7),
  }),
  needs: (o) => [NAT_NEEDS.traffic, windowNeed(o.windowDays)],
  permissions: ['cloudwatch:GetMetricData'],

  detect(g, o, { ctx }) {
    if (g.state !== 'available' || !g.traffic) return undefined;
    const days = g.traffic.days.slice(-o.windowDays);
    const known = days.filter((d) => d.bytesOut !== null || d.peakConnections !== null);
    const bytesOut = known.reduce((sum, d) => sum + (d.bytesOut ?? 0), 0);
    const peak = Math.max(0, ...known.map((d) => d.peakConnections ?? 0));
    if (bytesOut > o.maxBytesOutMb * MB || peak > o.maxPeakConnections) return undefined;
    const evidence: Record<string, unknown> = {
      windowDays: o.windowDays,
      daysWithData: known.length,
      bytesOutToDestinationMb: Math.round((bytesOut / MB) * 1000) / 1000,
      peakActiveConnections: peak,
      thresholds: { maxBytesOutMb: o.maxBytesOutMb, maxPeakConnections: o.maxPeakConnections },
      vpcId: g.vpcId,
      subnetId: g.subnetId,
      connectivityType: g.connectivityType,
      createTime: g.createTime,
    };
    if (known.length < o.minDaysWithData) {
      const protection = `too little data: ${known.length} of ${o.windowDays} days have metrics, ${o.minDaysWithData} are needed`;
      return { reason: `${g.id} looks idle but has only ${known.length} days of metrics.`, evidence: { ...evidence, protection }, status: 'protected' };
    }
    return {
      reason: `${g.id} sent ${evidence.bytesOutToDestinationMb} MB to destinations with at most ${peak} active connection${peak === 1 ? '' : 's'} over ${o.windowDays} days: delete it (and the routes to it) if nothing needs it.`,
      evidence,
      savings: natMonthly(g, ctx.prices),
    };
  },
};
