/**
 * Tags of many resources at once through the Resource Groups Tagging API: GetResources with a
 * ResourceARNList of at most 100 ARNs (no pagination with it), so n resources cost ⌈n/100⌉ calls.
 * A resource the API does not return is untagged (GetResources never returns untagged
 * resources). Used by the S3, Lambda and DynamoDB listings. The tags are account-controlled
 * input, exactly as the service's own tag read would return them.
 */
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { RegionContext } from '../engine/types.ts';
import { batches } from '../util/async.ts';

/** ARNs one GetResources call takes (ResourceARNList: 1 to 100; no pagination with it). */
export const TAGGING_ARNS_PER_CALL = 100;

/** Tags by ARN for every ARN asked (`{}` for an untagged one), ⌈n/100⌉ GetResources calls in `ctx.region`. */
export async function readTagsByArn(ctx: Pick<RegionContext, 'clients' | 'region'>, arns: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const tagging = ctx.clients.get(ResourceGroupsTaggingAPIClient, ctx.region);
  const byArn = new Map<string, Record<string, string>>();
  for (const batch of batches([...new Set(arns)], TAGGING_ARNS_PER_CALL)) {
    const out = await tagging.send(new GetResourcesCommand({ ResourceARNList: batch }));
    for (const m of out.ResourceTagMappingList ?? []) {
      // Trimmed: the documented example shows an ARN with a stray leading space.
      if (m.ResourceARN) byArn.set(m.ResourceARN.trim(), Object.fromEntries((m.Tags ?? []).map((t) => [t.Key!, t.Value ?? ''])));
    }
  }
  return new Map(arns.map((arn) => [arn, byArn.get(arn) ?? {}]));
}
