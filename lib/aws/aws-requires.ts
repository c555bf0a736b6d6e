/**
 * "What AWS requires" rows for the calls and names every module shares (lib/aws, lib/org, lib/approval,
 * lib/compute-optimizer, the packaged template): an ARN's partition, GetMetricData's Period, and which
 * Compute Optimizer errors refuse the whole account. Not a resource type's call, so the rows render into
 * docs/architecture.md (lib/reference/aws-requires-pages.ts, AWS_REQUIRES_TOPIC_PAGES) and
 * test/unit/aws/aws-requires.test.ts checks them like the modules' rows.
 *
 * Elements: `tags-by-arn` (lib/aws/tagging.ts readTagsByArn), `member-role` (lib/org/roles.ts),
 * `approval-start` (the approval state machine's ARN, lib/lambda/deps.ts), `state-machine-integrations`
 * (lib/deploy/partition-plugin.cjs), `role-policies` (the deployed roles and the member template),
 * `metric-data` (every module's GetMetricData queries), `compute-optimizer` (lib/compute-optimizer).
 */
import type { AwsRequirement } from '../resources/aws-requires.ts';

export const SHARED_ELEMENTS = ['tags-by-arn', 'member-role', 'approval-start', 'state-machine-integrations', 'role-policies', 'metric-data', 'compute-optimizer'];

const ARN_GUIDE = 'AWS General Reference, "Amazon Resource Names (ARNs)" (arn:partition:service:region:account-id:…; the partitions aws, aws-cn for the China Regions, aws-us-gov for GovCloud)';
const PARTITION_TEST = 'test/unit/aws/partition.test.ts';
const TEMPLATE_TEST = 'test/package/template.test.ts';
const R = 'fresh-context review 2026-12-08: ';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'tag:GetResources',
    elements: ['tags-by-arn'],
    rule: 'An ARN names a resource only in its own partition: an S3 bucket in cn-north-1 is arn:aws-cn:s3:::<bucket>. GetResources with a ResourceARNList leaves out an ARN that names nothing, as it leaves out untagged resources.',
    awsAnswers: 'No error: the ARN is missing from ResourceTagMappingList, so the resource reads as untagged (a bucket tagged trimtab:skip would look unprotected).',
    source: `${ARN_GUIDE}; client-resource-groups-tagging-api GetResourcesCommand.d.ts ("GetResources does not return untagged resources") and models_0.d.ts GetResourcesInput.ResourceARNList ("If a resource specified by this parameter doesn't exist, it doesn't generate an error; it simply isn't included in the response")`,
    trimtabDoes: 'Builds every ARN it asks about in the partition of the resource\'s region (partitionOf, lib/aws/regions.ts): S3 buckets, the ARNs asked of Compute Optimizer.',
    sandbox: 'lib/sandbox/services/tagging.ts (bucketArn: a bucket answers only under its region\'s partition)',
    test: { file: PARTITION_TEST, name: 'reads the tags of buckets in China and GovCloud, trimtab:skip included, under their own partition\'s ARNs' },
    reviewed: `${R}checked against client-resource-groups-tagging-api models_0.d.ts ResourceARNList (a missing resource is left out, no error; added to the source) and the ARN guide; read lib/aws/tagging.ts and its three callers (s3-bucket bucketArn with partitionOf; lambda-function and dynamodb-table pass AWS's own ARNs, TableArn first) and the sandbox tagging.ts bucketArn; ran the test; agrees. Belief kept: that a well-formed ARN of another partition counts as "doesn't exist" rather than InvalidParameterException`,
  },
  {
    operation: 'sts:AssumeRole',
    elements: ['member-role'],
    rule: 'RoleArn names an IAM role of the caller\'s partition (arn:aws-cn:iam::<account>:role/<name> from a China Region).',
    awsAnswers: 'AccessDenied (403): "User: arn:aws-cn:sts::…:assumed-role/… is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::…:role/…"; no role of another partition can be assumed.',
    source: `${ARN_GUIDE}; client-sts AssumeRoleCommand.d.ts (RoleArn: "The Amazon Resource Name (ARN) of the role to assume"); the error as STS sent it for an arn:aws: role from aws-cn: corymhall/cdk-diff-action issue 79`,
    trimtabDoes: 'Names the member role in the hub region\'s partition (MemberRoles.roleArn).',
    sandbox: 'lib/sandbox/services/sts.ts (the sandbox accounts are in aws: a well-formed role ARN of another partition is AccessDenied, 403; a malformed one a ValidationError)',
    test: { file: PARTITION_TEST, name: 'is refused AccessDenied (403), not a validation error, when it names a role of another partition than the caller\'s' },
    reviewed: `${R}read lib/org/roles.ts roleArn (memberRoleArn in partitionOf(hub region); a --role-arn override is taken as given, lib/org/cli.ts accepts any arn:aws*: partition) and the sandbox sts.ts; the answer was a belief (ValidationError or AccessDenied) and the sandbox answered ValidationError: STS answers AccessDenied 403 (issue cited in the source). Fixed: row, sandbox (AccessDenied for another partition) and a new test that fails on the old sandbox; the roleArn test (assumes the member role under the hub region's partition) still passes`,
  },
  {
    operation: 'states:StartExecution',
    elements: ['approval-start'],
    rule: 'stateMachineArn is arn:<partition>:states:<region>:<account>:stateMachine:<name>, in the partition of the state machine\'s region.',
    awsAnswers: 'belief: a state machine ARN of another partition names nothing: InvalidArn or StateMachineDoesNotExist (400).',
    source: `${ARN_GUIDE}; client-sfn StartExecutionCommand.d.ts (@throws InvalidArn, StateMachineDoesNotExist)`,
    trimtabDoes: 'Names the approval state machine in the function region\'s partition (stateMachineArn, lib/lambda/deps.ts).',
    sandbox: 'not enforced: the local approval workflow (lib/approval/local.ts) is started by name, not by ARN; the unit test checks the ARN built',
    test: { file: PARTITION_TEST, name: 'starts executions of the state machine named in the function region\'s partition' },
    reviewed: `${R}checked against client-sfn StartExecutionCommand.d.ts (@throws InvalidArn, StateMachineDoesNotExist) and the Step Functions guide's China-Region policy examples (arn:aws-cn:states:…:stateMachine:…); read lib/lambda/deps.ts stateMachineArn (region = the function's AWS_REGION, account from its own ARN) and ran the test; agrees. The answer stays a belief (no recorded response); the sandbox does not enforce it, as stated`,
  },
  {
    operation: 'states:CreateStateMachine',
    elements: ['state-machine-integrations'],
    rule: 'A Task\'s service integration is named in the partition the execution runs in (arn:aws-cn:states:::lambda:invoke in China).',
    awsAnswers: 'The state machine is created, but the execution fails at the Task: States.Runtime "The resource belongs to a different partition from the running execution."',
    source: 'aws/aws-cdk issue 4597 (the same fault in CDK\'s tasks, with the execution\'s error); serverless-step-functions\' IAM strategies (iamStrategies/index.js normalizeArn) read arn:${AWS::Partition}:states::: as the same integration',
    trimtabDoes: 'lib/deploy/partition-plugin.cjs rewrites every arn:aws:states::: integration of the packaged definitions to arn:${AWS::Partition}:states:::, which CloudFormation fills in (the DefinitionString is an Fn::Sub); a definition that is not an Fn::Sub fails the package.',
    sandbox: 'not enforced: no Step Functions service in the sandbox; the local runners (lib/approval/local.ts, lib/org/local.ts) run the lib definitions and know one partition. The template test resolves each packaged definition in aws, aws-cn and aws-us-gov',
    test: { file: TEMPLATE_TEST, name: 'names every state machine\'s service integrations in the stack\'s partition, so an execution in China or GovCloud reaches them' },
    reviewed: `${R}checked aws/aws-cdk issue 4597 (the States.Runtime text) and the CloudFormation Fn::Sub reference (a variable map does not stop pseudo parameters: serverless-step-functions' own lambda.js strategy relies on it, 'arn:\${AWS::Partition}:lambda:…:\${functionArn}' with a map); read the plugin and serverless-step-functions index.js (state machines and their roles compiled at package:compileFunctions, so compileIamRole derives each role from the unrewritten arn:aws: definitions and this after:package:compileEvents hook rewrites only the DefinitionString); ran osls package and read the three roles (lambda:InvokeFunction on Fn::GetAtt function ARNs, the Distributed Map's states:StartExecution/DescribeExecution and events rule in arn:\${AWS::Partition}, trust states.\${AWS::Region}.amazonaws.com, the principal that region-info tables in public code give for cn-north-1 too, not checked in an AWS guide) and the template (no literal arn:aws: left); ran the plugin unit tests and the three package tests; agrees`,
  },
  {
    operation: 'iam:PutRolePolicy',
    elements: ['role-policies'],
    rule: 'A policy statement\'s Resource matches only ARNs of the account\'s own partition: arn:aws:s3:::* grants nothing in aws-cn or aws-us-gov.',
    awsAnswers: 'The policy is refused when written: MalformedPolicyDocument (400), \'Partition "aws" is not valid for resource "arn:aws:s3:::<bucket>/*"\'; under CloudFormation the role fails CREATE_FAILED and the stack rolls back.',
    source: `${ARN_GUIDE}; IAM User Guide, "IAM JSON policy elements: Resource" (the ARN format, partition included); the error as IAM sent it in aws-cn: aws/aws-cdk issue 14846 and awslabs/cdk-eks-blueprints issue 1207`,
    trimtabDoes: 'Writes every role resource as arn:${AWS::Partition}:… (Fn::Sub) in the deployed roles and the member template (lib/deploy/iam.ts, lib/deploy/audit-stack.ts, lib/deploy/triggers.ts, lib/org/deploy.ts).',
    sandbox: 'not enforced: the sandbox does not evaluate IAM policies; the template test reads every ARN in the roles\' policies',
    test: { file: TEMPLATE_TEST, name: 'names every resource in its roles\' policies in the stack\'s partition, never with a literal arn:aws: (China, GovCloud)' },
    reviewed: `${R}the answer said the policy is written and calls are then denied; IAM refuses the document at write time (MalformedPolicyDocument 400, issues cited in the source): row fixed (awsAnswers, source); the code was right either way. Ran osls package: no literal arn:aws: anywhere in the packaged template (not only the roles' policies) nor in lib/org/member-role.template.json; ran the test; agrees`,
  },
  {
    operation: 'cloudwatch:GetMetricData',
    elements: ['metric-data'],
    rule: 'MetricStat.Period is a whole number of seconds, at least 1 (regular-resolution metrics: a multiple of 60).',
    awsAnswers: 'ValidationError (400) naming the Period parameter.',
    source: 'client-cloudwatch models_0.d.ts MetricStat.Period ("The granularity, in seconds, of the returned data points … must be a multiple of 60"); botocore cloudwatch/2010-08-01 Period (integer, min 1)',
    trimtabDoes: 'Asks only for periods of 3600 s (DynamoDB, Auto Scaling, EBS I/O) or 86400 s (every other module): constants, never computed.',
    sandbox: 'lib/sandbox/services/cloudwatch.ts GetMetricData (Number.isInteger(Period) and Period ≥ 1, else ValidationError)',
    test: { file: 'test/unit/sandbox/cloudwatch-metric-data.test.ts', name: 'refuses a Period that is not a whole number of seconds of at least 1, with a validation error' },
    reviewed: `${R}checked against client-cloudwatch models_0.d.ts MetricStat.Period (regular resolution: multiple of 60; high resolution: 1, 5, 10, 20, 30, 60 or a multiple of 60); the botocore min 1 not re-read. Grepped every MetricStat in lib/: Period 3600 (dynamodb-table, asg, ebs-volume io-usage) or 86 400 (every other, s3-bucket DAY_S) as the row says (ec2-instance networkPeriodSeconds 60/300 only divides datapoints, is never a Period). Sandbox check read, test run; agrees. Not enforced, harmless to trimtab: a regular-resolution Period that is not a multiple of 60 within 3 hours`,
  },
  {
    operation: 'cloudwatch:GetMetricData',
    elements: ['metric-data'],
    rule: 'CloudWatch keeps coarser datapoints as they age: a StartTime between 3 hours and 15 days ago needs a Period that is a multiple of 60 s, between 15 and 63 days of 300 s, older than 63 days of 3600 s.',
    awsAnswers: 'No error: "no data points in that time range is returned", so a finer Period reads as no usage.',
    source: 'client-cloudwatch models_0.d.ts MetricStat.Period (the three StartTime ranges)',
    trimtabDoes: 'Its periods (3600 s, 86400 s) are multiples of 3600 s, kept at every age; the detectors\' metric windows are at most 63 days (their option schemas).',
    sandbox: 'lib/sandbox/services/cloudwatch.ts periodKeptFor (answers no datapoints for a finer Period)',
    test: { file: 'test/unit/sandbox/cloudwatch-metric-data.test.ts', name: 'answers no datapoints, without an error, for a Period finer than CloudWatch keeps for the start time\'s age' },
    reviewed: `${R}checked against client-cloudwatch models_0.d.ts MetricStat.Period ("greater than 3 hours ago": 3 h–15 d multiple of 60, 15–63 d of 300, over 63 d of 3600). periodKeptFor uses strict > at 3 h, 15 d and 63 d on the StartTime's age against the sandbox clock: the guide does not say which side an exact 15 or 63 days falls on; trimtab's periods (multiples of 3600) are kept on either side, so the boundary cannot change a trimtab answer. Windows: every windowDays schema in lib/resources caps at 63 days or less (rds-instance 60, one asg 42). Test run (2, 20, 70 days; 60, 90, 300, 3600, 86 400 s); agrees`,
  },
  {
    operation: 'compute-optimizer:GetEC2InstanceRecommendations',
    elements: ['compute-optimizer'],
    rule: 'Some errors refuse every request of the account in the Region, whatever it asks: AccessDeniedException, OptInRequiredException ("The account is not opted in"), MissingAuthenticationToken; others are about one request (InvalidParameterValueException, ResourceNotFoundException) or transient (ThrottlingException, ServiceUnavailableException, InternalServerException).',
    awsAnswers: 'The same account-wide error (403: AccessDeniedException, OptInRequiredException and MissingAuthenticationToken are all 403 in the model) for every further request of the run.',
    source: 'client-compute-optimizer GetEC2InstanceRecommendationsCommand.d.ts (@throws, the same list for the Auto Scaling group and Lambda function operations), models/errors.d.ts (the names, MissingAuthenticationToken without "Exception") and dist-cjs/schemas (HTTP status: 403 for the three, 400 InvalidParameterValueException, 404 ResourceNotFoundException)',
    trimtabDoes: 'Remembers an account-wide error for the run and the Region (ACCOUNT_WIDE_ERRORS, RegionRecommendations): no further request, and ARNs the listing already returned are still answered; an error about one request fails only that request; throttling is retried by the SDK.',
    sandbox: 'lib/sandbox/services/compute-optimizer.ts (OptInRequiredException, 403, from every Get*Recommendations of an account that is not enrolled); it never answers AccessDeniedException or MissingAuthenticationToken, so the unit test scripts those with aws-sdk-client-mock',
    test: { file: 'test/unit/compute-optimizer/second-opinion.test.ts', name: 'after a denied ARN request (or one without credentials) answers what the listing already gave, asks nothing more, and does not remember an error about one request' },
    reviewed: `${R}checked the @throws list and models/errors.d.ts (LimitExceededException is only the export operations') and the SDK schemas' HTTP statuses (403 for the three account-wide errors: the row said 400/403, fixed). Read ACCOUNT_WIDE_ERRORS and RegionRecommendations (one per account, region and resource type, so an AccessDenied on one Get*Recommendations action does not silence another type's); ran the test; agrees. Open (minor): ExpiredTokenException is remembered for the run; with member-role sessions refreshed 5 min before expiry (lib/org/roles.ts) it should not occur, and if it did the rest of that run would read no recommendations for that account and region`,
  },
];
