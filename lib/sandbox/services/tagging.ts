/**
 * Sandbox Resource Groups Tagging API (service key `resourcegroupstaggingapi`, awsJson1_1):
 * GetResources over the sandbox's S3 buckets, Lambda functions and DynamoDB tables, derived from
 * their own tags in the S3, Lambda and DynamoDB state (one truth: a tag written through S3, Lambda
 * or DynamoDB's TagResource is what GetResources shows).
 *
 * What the GetResources reference says, and the sandbox does:
 * - it returns the tagged resources *located in the Region called*; a bucket lives in one
 *   Region, so a call in us-east-1 never shows an eu-west-1 bucket;
 * - untagged resources are not returned (a bucket GetResources does not return has no tags);
 * - `ResourceARNList` cannot be combined with `TagFilters`, `ResourceTypeFilters` or any
 *   pagination parameter (`ResourcesPerPage`, `TagsPerPage`, `PaginationToken`): Invalid
 *   Parameter; an ARN that does not exist is simply left out;
 * - `ResourcesPerPage` is 1 to 100; `PaginationToken` is opaque.
 * Not modelled: resources other than S3 buckets, Lambda functions and DynamoDB tables, "previously
 * tagged" resources shown with `Tags: []`, tag-policy compliance details.
 */
import { awsError, paginate, tagList, type SandboxService } from '../sandbox.ts';
import type { LambdaState } from './lambda.ts';
import { s3State } from './s3.ts';
import { dynamoControlState, tableArn } from './dynamodb-control.ts';
import { partitionOf } from '../../aws/regions.ts';

/** ARNs one GetResources call takes in ResourceARNList (the API's length constraint). */
export const MAX_ARNS_PER_CALL = 100;
/** ResourcesPerPage: 1 to 100. */
const MAX_RESOURCES_PER_PAGE = 100;

/** As AWS writes it: in the partition of the bucket's region (arn:aws-cn:s3:::… in China). */
const bucketArn = (name: string, region: string) => `arn:${partitionOf(region)}:s3:::${name}`;

/** A taggable resource of the Region called: its ARN, its tags and its `service:resourceType`. */
interface Tagged {
  arn: string;
  tags: Record<string, string>;
  service: string;
  type: string;
}

const invalid = (message: string) => awsError('InvalidParameterException', message);

/** Whether a resource-type filter (`service[:resourceType]`) selects the resource. */
const selects = (filter: string, r: Tagged) => filter === r.service || filter === `${r.service}:${r.type}`;

function matchesTagFilters(tags: Record<string, string>, filters: { Key?: string; Values?: string[] }[] | undefined): boolean {
  // Every filter must hold; within one, any of its values (none given: any value).
  return (filters ?? []).every((f) => f.Key !== undefined && f.Key in tags && (!f.Values?.length || f.Values.includes(tags[f.Key])));
}


export const taggingService: SandboxService = {
  id: 'resourcegroupstaggingapi',
  operations: {
    GetResources(input, { sandbox, account, region }) {
      const resources: Tagged[] = [
        ...Object.values(s3State(sandbox, account).buckets)
          .filter((b) => b.region === region)
          .map((b) => ({ arn: bucketArn(b.name, region), tags: b.tags ?? {}, service: 's3', type: 'bucket' })),
        ...Object.values((account.regions[region]?.lambda as LambdaState | undefined)?.functions ?? {}).map((f) => ({ arn: `arn:aws:lambda:${region}:${account.id}:function:${f.name}`, tags: f.tags, service: 'lambda', type: 'function' })),
        ...(account.regions[region]?.['dynamodb-control'] ? Object.values(dynamoControlState(sandbox, account, region).tables).map((t) => ({ arn: tableArn(region, account.id, t.name), tags: t.tags, service: 'dynamodb', type: 'table' })) : []),
      ]
        .filter((r) => Object.keys(r.tags).length > 0)
        .sort((a, b) => a.arn.localeCompare(b.arn));
      const mapping = (r: Tagged) => ({ ResourceARN: r.arn, Tags: tagList(r.tags) });

      if (input.ResourceARNList !== undefined) {
        const arns: string[] = input.ResourceARNList;
        if (input.TagFilters?.length || input.ResourceTypeFilters?.length) throw invalid("You can't specify ResourceARNList together with TagFilters or ResourceTypeFilters.");
        if (input.ResourcesPerPage !== undefined || input.TagsPerPage !== undefined || input.PaginationToken) {
          throw invalid("You can't specify ResourceARNList together with the pagination parameters (ResourcesPerPage, TagsPerPage, PaginationToken).");
        }
        if (arns.length < 1 || arns.length > MAX_ARNS_PER_CALL) throw invalid(`ResourceARNList must hold 1 to ${MAX_ARNS_PER_CALL} ARNs, not ${arns.length}.`);
        const wanted = new Set(arns);
        return { ResourceTagMappingList: resources.filter((r) => wanted.has(r.arn)).map(mapping), PaginationToken: '' };
      }

      const perPage = input.ResourcesPerPage ?? MAX_RESOURCES_PER_PAGE;
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_RESOURCES_PER_PAGE) throw invalid(`ResourcesPerPage must be 1 to ${MAX_RESOURCES_PER_PAGE}, not ${perPage}.`);
      const types: string[] | undefined = input.ResourceTypeFilters;
      const selected = resources.filter((r) => (!types?.length || types.some((t) => selects(t, r))) && matchesTagFilters(r.tags, input.TagFilters));
      const { page, nextToken } = paginate(
        selected,
        { token: input.PaginationToken || undefined, max: perPage },
        { defaultMax: MAX_RESOURCES_PER_PAGE, maxMax: MAX_RESOURCES_PER_PAGE, operation: 'GetResources', invalidTokenCode: 'InvalidParameterException' },
      );
      // The last page carries an empty token (the SDK paginator stops on it).
      return { ResourceTagMappingList: page.map(mapping), PaginationToken: nextToken ?? '' };
    },
  },
};
