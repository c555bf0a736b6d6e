/**
 * The AWS regions trimtab knows, to refuse a misspelt one (`eu-wst-1`) instead of scanning
 * nothing. From the S3 client's BucketLocationConstraint (plus us-east-1, which has none, and the
 * GovCloud regions). A region AWS opens later is added here; until then it is refused with this list.
 */
export const AWS_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ca-central-1', 'ca-west-1', 'cn-north-1', 'cn-northwest-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1',
  'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1',
  'sa-east-1', 'us-east-1', 'us-east-2', 'us-gov-east-1', 'us-gov-west-1', 'us-west-1', 'us-west-2',
] as const;

const KNOWN = new Set<string>(AWS_REGIONS);

export const isKnownRegion = (region: string) => KNOWN.has(region);

/**
 * The partition a region's ARNs are in: `aws-cn` for the China regions, `aws-us-gov` for GovCloud,
 * `aws` elsewhere (the ARN reference, "Amazon Resource Names (ARNs)": partition). An ARN built with
 * the wrong partition names no resource: the Resource Groups Tagging API would return no tags for it
 * (a `trimtab:skip` bucket would look untagged) and Step Functions no state machine.
 */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** "unknown region 'eu-wst-1' (did you mean eu-west-1?); the regions are …" */
export function unknownRegionMessage(region: string): string {
  const [best] = [...AWS_REGIONS].map((r) => [r, distance(region, r)] as const).sort((x, y) => x[1] - y[1]);
  const hint = best && best[1] <= 2 ? ` (did you mean ${best[0]}?)` : '';
  return `unknown region '${region.slice(0, 40)}'${hint}; the regions are ${AWS_REGIONS.join(', ')}`;
}
