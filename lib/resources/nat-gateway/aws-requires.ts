/** "What AWS requires" for `nat-gateway`: see lib/resources/aws-requires.ts and docs/resources/nat-gateway.md. */
import type { AwsRequirement } from '../aws-requires.ts';

const SANDBOX_TEST = 'test/unit/sandbox/ec2-instances.test.ts';
const DETECTOR_TEST = 'test/unit/resources/nat-gateway/detectors.test.ts';
const RUN_TEST = 'test/integration/waste2.test.ts';

const R = 'fresh-context review 2026-12-07: ';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'ec2:DescribeNatGateways',
    elements: ['idle-nat-gateway'],
    rule: 'a gateway is pending, failed, available, deleting or deleted; deleted (and failed) gateways stay in the answer for a while after they stop being billed',
    awsAnswers: 'no error: the deleted gateway is listed with State deleted',
    source: 'client-ec2 models_1.d.ts NatGateway.State ("deleted: The NAT gateway has been terminated and is no longer processing traffic"); DescribeNatGatewaysRequest.Filter `state`; belief: how long a deleted gateway stays listed (about an hour in the console) is not stated in the API text',
    trimtabDoes: 'lists with the filter state=available, and the detector judges only State available: a deleting, deleted, failed or pending gateway (no hourly charge, or not yet in use) is never reported',
    sandbox: 'lib/sandbox/services/ec2-instances.ts DescribeNatGateways (lists every state, filters by `state`)',
    test: { file: SANDBOX_TEST, name: 'keeps a deleted NAT gateway in DescribeNatGateways unless the state filter leaves it out, and pages with MaxResults 5 to 1000 only' },
    reviewed: `${R}against client-ec2 models_1.d.ts NatGateway.State (five states, deleted = no longer processing traffic) and models_4.d.ts DescribeNatGatewaysRequest.Filter "state"; resource.ts sends Filter state=available and detectors.ts judges only available; ran the sandbox test. The belief (how long a deleted gateway stays listed) stays a belief: neither the .d.ts nor the guides found by search (docs, pages) state a duration; it does not matter to trimtab, which filters by state; agrees`,
  },
  {
    operation: 'ec2:DescribeNatGateways',
    elements: ['idle-nat-gateway'],
    rule: 'MaxResults is 5 to 1000; NextToken pages the rest; the filter list is named `Filter` (singular), unlike most EC2 calls',
    awsAnswers: 'InvalidParameterValue (400) for MaxResults out of range or an unknown filter name',
    source: 'client-ec2 models_4.d.ts DescribeNatGatewaysRequest (Filter, MaxResults, NextToken); botocore ec2 DescribeNatGatewaysMaxResults (min 5, max 1000)',
    trimtabDoes: 'paginateDescribeNatGateways with pageSize 1000 and Filter; an event-driven run narrows by a `nat-gateway-id` filter (200 ids a call), not NatGatewayIds, so a gateway deleted since the event is an empty answer, not NatGatewayNotFound',
    sandbox: 'lib/sandbox/services/ec2-instances.ts DescribeNatGateways (MaxResults 5..1000, InvalidParameterValue for an unknown filter)',
    test: { file: SANDBOX_TEST, name: 'keeps a deleted NAT gateway in DescribeNatGateways unless the state filter leaves it out, and pages with MaxResults 5 to 1000 only' },
    reviewed: `${R}against client-ec2 models_4.d.ts DescribeNatGatewaysRequest (Filter singular, MaxResults, NextToken, NatGatewayIds) and resource.ts (pageSize 1000, 200 ids a nat-gateway-id filter); the 5..1000 range is from botocore as the author cites (not re-read in this review: the .d.ts gives no range); ran the sandbox test; agrees`,
  },
  {
    operation: 'ec2:DescribeNatGateways',
    elements: ['idle-nat-gateway'],
    rule: 'NatGatewayIds naming a gateway that does not exist fails the whole call',
    awsAnswers: 'NatGatewayNotFound (400)',
    source: 'EC2 API reference, "Error codes" (NatGatewayNotFound)',
    trimtabDoes: 'never sends NatGatewayIds (uses the nat-gateway-id filter instead)',
    sandbox: 'lib/sandbox/services/ec2-instances.ts DescribeNatGateways (NatGatewayNotFound for an unknown id)',
    test: { file: SANDBOX_TEST, name: 'fails the whole DescribeNatGateways call with NatGatewayNotFound when NatGatewayIds names a gateway that does not exist' },
    reviewed: `${R}against EC2 API error codes (NatGatewayNotFound, 400) and resource.ts (no NatGatewayIds sent); the named test used to be one that never sent NatGatewayIds: pointed the row at a new sandbox test that does (known id answered, one unknown id fails the call with 400); agrees`,
  },
  {
    operation: 'cloudwatch:GetMetricData',
    elements: ['idle-nat-gateway'],
    rule: 'NAT gateway metrics are in namespace AWS/NATGateway with the single dimension NatGatewayId; BytesOutToDestination (bytes sent from the gateway to destinations; Sum) and ActiveConnectionCount (concurrent active TCP connections; Maximum, 0 = none) are published every minute',
    awsAnswers: 'no error for a wrong name or dimension: an empty series (StatusCode Complete, no datapoints)',
    source: 'VPC User Guide, "Monitor NAT gateways with Amazon CloudWatch" (NAT gateway metrics and dimensions); client-cloudwatch GetMetricDataCommand.d.ts',
    trimtabDoes: 'queries exactly these names and dimension; a gateway with fewer than minDaysWithData days of datapoints is protected (too little data), so an empty series never reports a gateway as idle',
    sandbox: 'lib/sandbox/services/cloudwatch.ts GetMetricData (matches namespace, name and dimensions exactly; an unknown metric answers no datapoints)',
    test: { file: DETECTOR_TEST, name: 'protects a gateway with too few days of metrics' },
    reviewed: `${R}against the VPC User Guide NAT gateway metrics (namespace AWS/NATGateway, dimension NatGatewayId, BytesOutToDestination, ActiveConnectionCount) and resource.ts metric() (Period 86,400, exact names); ran the detector test; agrees`,
  },
  {
    operation: 'cloudwatch:GetMetricData',
    elements: ['idle-nat-gateway'],
    rule: 'BytesInFromSource, BytesInFromDestination, BytesOutToSource, PacketsDropCount and ErrorPortAllocation are also published; a gateway whose clients upload but get nothing back still shows BytesOutToDestination',
    awsAnswers: 'not an error: a modelling choice',
    source: 'VPC User Guide, "Monitor NAT gateways with Amazon CloudWatch"',
    trimtabDoes: 'judges on BytesOutToDestination Sum and ActiveConnectionCount Maximum only (every connection through the gateway sends bytes to a destination); ProcessedBytes-style totals are not read',
    sandbox: 'not enforced: a modelling choice, no AWS rule to break',
    reviewed: `${R}against the VPC User Guide NAT gateway metric list; a modelling choice, read detectors.ts (Sum of bytes out, Maximum of connections); agrees`,
  },
  {
    operation: 'cloudwatch:GetMetricData',
    elements: ['idle-nat-gateway'],
    rule: 'at most 500 MetricDataQueries a call; Period a multiple of 60; 1-minute data is kept 15 days, 5-minute 63 days, 1-hour 455 days, so daily (86,400 s) periods over up to 63 days are answered from retained data',
    awsAnswers: 'ValidationError (400) above 500 queries; datapoints older than the retention of a finer period are simply absent',
    source: 'client-cloudwatch GetMetricDataCommand.d.ts and models_0.d.ts MetricStat.Period ("data points with a period of 60 seconds … available for 15 days …"); CloudWatch User Guide, "Amazon CloudWatch concepts" (metric retention)',
    trimtabDoes: 'two queries per gateway, 250 gateways a page, so one call per page; Period 86,400; whole UTC days ending at midnight; windowDays at most 63',
    sandbox: 'lib/sandbox/services/cloudwatch.ts GetMetricData (ValidationError above 500 queries)',
    test: { file: RUN_TEST, name: 'scans 500 instances and 300 NAT gateways with one list call each, metric queries in whole GetMetricData calls and one attached-volume listing' },
    reviewed: `${R}against client-cloudwatch GetMetricDataCommand.d.ts (500 queries) and MetricStat.Period retention text; resource.ts batches 250 gateways x 2 queries; ran the run test; agrees`,
  },
  {
    operation: 'ec2:DescribeNatGateways',
    elements: ['idle-nat-gateway'],
    rule: 'a gateway\'s tags (trimtab:skip) are returned in Tags by DescribeNatGateways; they are account-controlled',
    awsAnswers: 'no error',
    source: 'client-ec2 models_1.d.ts NatGateway.Tags; belief: tags are attacker input (design.md safety rules)',
    trimtabDoes: 'reads tags from the listing; trimtab:skip marks the finding protected; the module is report-only, so a tag never causes a write',
    sandbox: 'lib/sandbox/services/ec2-instances.ts DescribeNatGateways (answers Tags)',
    test: { file: RUN_TEST, name: 'reports previous-generation types and volumes and idle NAT gateways with savings, writing nothing' },
    reviewed: `${R}against client-ec2 models_1.d.ts NatGateway.Tags and detectors.ts (trimtab:skip -> protected, no write path in the module); ran the run test; agrees`,
  },
  {
    operation: 'ec2:DescribeNatGateways',
    elements: ['idle-nat-gateway'],
    rule: 'a public NAT gateway keeps its Elastic IP allocations after DeleteNatGateway; they stay billed until released',
    awsAnswers: 'no error: the addresses stay allocated',
    source: 'EC2 API reference DeleteNatGateway / client-ec2 DeleteNatGatewayCommand.d.ts ("Deleting a public NAT gateway disassociates its Elastic IP address, but does not release the address from your account")',
    trimtabDoes: 'names the allocations in the savings basis and does not count them; trimtab never deletes a gateway',
    sandbox: 'not enforced: report-only, the sandbox has no DeleteNatGateway',
    test: { file: DETECTOR_TEST, name: 'flags a gateway with no bytes out and no connections, saving its hourly charge' },
    reviewed: `${R}against client-ec2 DeleteNatGatewayCommand.d.ts (Elastic IP disassociated, not released); the module has no delete; the detector names allocations in the basis; agrees`,
  },
];
