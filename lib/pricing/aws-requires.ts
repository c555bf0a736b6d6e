/**
 * "What AWS requires" rows for the price lookup (issue 27): pricing:GetProducts is not a resource
 * type's call, so its rows render into docs/prices.md (lib/reference/aws-requires-pages.ts,
 * TOPIC_REQUIRES) and test/unit/pricing/aws-requires.test.ts checks them like the modules' rows.
 * Elements name the parts of lib/pricing that make the call: `price-lookup` (PriceBook.fetch),
 * `prices-refresh` (the `trimtab prices refresh` command).
 */
import type { AwsRequirement } from '../resources/aws-requires.ts';

const SANDBOX_TEST = 'test/unit/pricing/sandbox-pricing.test.ts';
const LOOKUP_TEST = 'test/unit/pricing/lookup.test.ts';
const SCAN_TEST = 'test/integration/prices.test.ts';
const DTS = 'client-pricing GetProductsCommand.d.ts';

export const PRICING_ELEMENTS = ['price-lookup', 'prices-refresh'];

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup', 'prices-refresh'],
    rule: 'The Price List Query API has endpoints in a few regions only (us-east-1, ap-south-1; eu-central-1 too in current lists): the client region is not the scanned region, which is a regionCode filter.',
    awsAnswers: 'No endpoint: the SDK fails to resolve api.pricing.<region>.amazonaws.com (a network error, not an AWS error code).',
    source: 'belief: AWS Price List guide "Price List Query API endpoints" as quoted on re:Post (us-east-1, ap-south-1); eu-central-1 from the brief, not checked. botocore pricing/2017-10-15 metadata endpointPrefix api.pricing.',
    trimtabDoes: 'PriceBook sends every call to endpointRegion (default us-east-1) and filters by regionCode = the scanned region; an unreachable endpoint falls back to the price file, else the embedded table, and the finding says so.',
    sandbox: 'lib/sandbox/services/pricing.ts GetProducts: PRICING_ENDPOINT_REGIONS, ENOTFOUND elsewhere',
    test: { file: SANDBOX_TEST, name: 'has no endpoint in eu-west-1: the client region must be one of the Price List API regions' },
  },
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup'],
    rule: 'PriceList is a list of JSON strings, one product each: product.attributes, terms.OnDemand.<sku>.<offerTermCode>.priceDimensions.<rateCode>.pricePerUnit.USD (a decimal string), unit, beginRange.',
    awsAnswers: 'Strings to parse (the SDK hands each one over as a LazyJsonString).',
    source: `botocore pricing/2017-10-15 shape PriceListJsonItems (jsonvalue: true); ${DTS} GetProductsResponse.PriceList; AWS Price List guide "Reading the price list files" (terms, priceDimensions)`,
    trimtabDoes: 'lookup.ts parses String(item), takes the OnDemand dimension that starts at 0 (onDemandUsd) and maps the product to the table field its attributes name (pathsOf).',
    sandbox: 'lib/pricing/catalog.ts toProduct (the product shape); lib/sandbox/services/pricing.ts returns JSON.stringify per product',
    test: { file: SANDBOX_TEST, name: 'answers a product in the price list file shape, a JSON string per product, for the region asked' },
  },
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup'],
    rule: 'MaxResults is 1..100; more products come with NextToken, asked again with the same ServiceCode and Filters.',
    awsAnswers: 'Out of range: InvalidParameterException (400, belief on the code: the model lists it for invalid parameters).',
    source: 'botocore pricing/2017-10-15 shape GetProductsMaxResults (min 1, max 100); GetProductsResponse.NextToken',
    trimtabDoes: 'asks MaxResults 100 and follows NextToken to the end, every page one call (PriceBook.calls counts them).',
    sandbox: 'lib/sandbox/services/pricing.ts validate() and NextToken paging',
    test: { file: SANDBOX_TEST, name: 'pages with NextToken and MaxResults, every product once' },
  },
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup'],
    rule: 'Filters: Type TERM_MATCH, EQUALS, CONTAINS, ANY_OF (comma-separated values), NONE_OF; Field is ServiceCode or any attribute name; every filter must match.',
    awsAnswers: 'An unknown Type: InvalidParameterException (400).',
    source: 'botocore pricing/2017-10-15 shapes Filter, FilterType (enum), Filters ("only products that match all filters are returned")',
    trimtabDoes: 'one query per product family: regionCode and productFamily TERM_MATCH, plus the price-setting attributes (tenancy Shared, OS ANY_OF, Single-AZ, engines ANY_OF, cacheEngine ANY_OF).',
    sandbox: 'lib/sandbox/services/pricing.ts matches()',
    test: { file: SANDBOX_TEST, name: 'answers ANY_OF, NONE_OF and CONTAINS filters' },
  },
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup'],
    rule: 'A NextToken expires; one from another query is invalid.',
    awsAnswers: 'ExpiredNextTokenException (400) / InvalidNextTokenException (400). The lifetime is not documented (the sandbox uses 15 minutes: belief).',
    source: `${DTS} @throws ExpiredNextTokenException, InvalidNextTokenException; botocore GetProducts errors`,
    trimtabDoes: 'pages straight through in one go; a failed page fails that region\'s lookup, which falls back (price file, else embedded) and says why.',
    sandbox: 'lib/sandbox/services/pricing.ts pageStart()',
    test: { file: SANDBOX_TEST, name: 'answers ExpiredNextTokenException for a token older than its lifetime and InvalidNextTokenException for another query' },
  },
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup'],
    rule: 'The caller needs pricing:GetProducts (no resource-level permissions: Resource "*").',
    awsAnswers: 'AccessDeniedException (400).',
    source: `${DTS} @throws AccessDeniedException; Service Authorization Reference, "AWS Price List" (GetProducts, no resource types)`,
    trimtabDoes: 'the scan goes on with the embedded us-east-1 table; every finding says "embedded table (2026-01), us-east-1 list price; <region> not priced (pricing:GetProducts denied)". The deployed roles and `trimtab permissions` include the action.',
    sandbox: 'lib/sandbox/faults.ts rule pricing:GetProducts denied → AccessDeniedException',
    test: { file: SCAN_TEST, name: 'with pricing:GetProducts denied still prices from the embedded table and says so' },
  },
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup'],
    rule: 'Calls are rate-limited per account.',
    awsAnswers: 'ThrottlingException (400, retryable: throttling in the model).',
    source: `${DTS} @throws ThrottlingException; botocore ThrottlingException retryable.throttling`,
    trimtabDoes: 'the SDK\'s adaptive retry; after it, the region falls back like a denial. One query set per region per run, and none while the price file is fresh (7 days).',
    sandbox: 'lib/sandbox/faults.ts throttled → ThrottlingException (default code)',
    test: { file: LOOKUP_TEST, name: 'uses a stale price file when the refresh is denied, and says so' },
  },
  {
    operation: 'pricing:GetProducts',
    elements: ['price-lookup'],
    rule: 'Each product carries its price list publicationDate; prices change when a new list is published.',
    awsAnswers: 'The newest list\'s products.',
    source: 'AWS Price List guide "Reading the price list files" (publicationDate, version); belief: GetProducts products carry publicationDate like the offer files',
    trimtabDoes: 'the price file stores each region\'s publication date and fetch time; older than maxAgeDays (7) it is asked again; the basis names the date.',
    sandbox: 'lib/pricing/catalog.ts SANDBOX_PUBLICATION_DATE on every product',
    test: { file: LOOKUP_TEST, name: 'asks again when the price file is older than maxAgeDays' },
  },
];
