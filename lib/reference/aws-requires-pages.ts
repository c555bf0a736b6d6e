/** Writes each module's "What AWS requires" rows into its docs page (docs/resources/<type>.md). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withAwsRequiresSection } from '../resources/aws-requires.ts';
import { awsRequiresByResource } from '../resources/aws-requires-index.ts';
import type { AwsRequirement } from '../resources/aws-requires.ts';
import { awsRequires as ownership } from '../ownership/aws-requires.ts';
import { awsRequires as pricingRequires } from '../pricing/aws-requires.ts';
import { awsRequires as auditRequires } from '../audit/aws-requires.ts';
import { awsRequires as sharedRequires } from '../aws/aws-requires.ts';

/**
 * Topic pages that carry a table of their own, rows that belong to no resource type (checked by their
 * topic's tests): ownership (#28), the price lookup (#27), trimtab's own stores on the alarm path (#30) and the
 * calls and names every module shares (ARN partitions, GetMetricData's Period, Compute Optimizer's account-wide errors).
 */
export const AWS_REQUIRES_TOPIC_PAGES: Record<string, AwsRequirement[]> = {
  'docs/ownership.md': ownership,
  'docs/prices.md': pricingRequires,
  'docs/audit-and-undo.md': auditRequires,
  'docs/architecture.md': sharedRequires,
};
export const TOPIC_REQUIRES = AWS_REQUIRES_TOPIC_PAGES;

export const RESOURCE_DOCS_DIR = 'docs/resources';

/** The page of each resource type as it should read, keyed by file path. */
export function awsRequiresPages(): Record<string, string> {
  const pages: Record<string, string> = {};
  for (const [type, rows] of Object.entries(awsRequiresByResource)) {
    if (!rows.length) continue;
    const file = join(RESOURCE_DOCS_DIR, `${type}.md`);
    pages[file] = withAwsRequiresSection(readFileSync(file, 'utf8'), rows);
  }
  for (const [file, rows] of Object.entries(AWS_REQUIRES_TOPIC_PAGES)) pages[file] = withAwsRequiresSection(readFileSync(file, 'utf8'), rows);
  return pages;
}

/** Rewrites the pages whose section is stale; returns how many pages carry a table. */
export function writeAwsRequiresSections(): number {
  const pages = awsRequiresPages();
  for (const [file, text] of Object.entries(pages)) if (readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  return Object.keys(pages).length;
}
