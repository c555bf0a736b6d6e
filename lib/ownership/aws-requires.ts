/**
 * "What AWS requires" for ownership (lib/ownership): every CloudFormation and EKS call trimtab makes
 * to find an owner or change a resource through it. Rendered into docs/ownership.md by
 * `npm run docs:reference` (lib/reference/aws-requires-pages.ts, topic pages); checked by
 * test/unit/ownership/aws-requires.test.ts. Elements are the ids in OWNERSHIP_ELEMENTS.
 */
import type { AwsRequirement } from '../resources/aws-requires.ts';

/** The parts of lib/ownership a row can constrain. */
export const OWNERSHIP_ELEMENTS = ['owner-from-tags', 'owner-by-physical-id', 'via-owner-cloudformation', 'via-owner-eks'] as const;

const CFN_TEST = 'test/unit/ownership/cloudformation.test.ts';
const ENGINE_TEST = 'test/unit/ownership/engine.test.ts';
const SANDBOX = 'lib/sandbox/services/cloudformation.ts';
const EKS_SANDBOX = 'lib/sandbox/services/eks.ts';

export const awsRequires: AwsRequirement[] = [
  {
    operation: 'tags (aws:cloudformation:*)',
    elements: ['owner-from-tags', 'owner-by-physical-id'],
    rule: 'CloudFormation adds aws:cloudformation:stack-name, stack-id and logical-id to the resources it creates; propagation varies by resource type. Auto Scaling groups, EC2 instances and Lambda functions carry them; DynamoDB tables do not (DynamoDB supports no system tags).',
    awsAnswers: 'no error: the tags are simply absent on a stack-made DynamoDB table',
    source: 'CloudFormation Template Reference, "CloudFormation resource tagging"; aws-cloudformation/cloudformation-coverage-roadmap issues 1360 and 2065 (AWS::DynamoDB::Table does not propagate stack-level tags, open)',
    trimtabDoes: 'reads the tags for asg, ec2-instance and lambda-function; asks DescribeStackResources by physical id for dynamodb-table (UNTAGGED_BY_CLOUDFORMATION)',
    sandbox: 'lib/ownership/sandbox-seed.ts seeds the group and function with the tags and the table without',
    test: { file: ENGINE_TEST, name: 'reports a stack-owned group by default with the stack, logical id, property path and new value, and writes nothing' },
  },
  {
    operation: 'tags (owner claims)',
    elements: ['owner-from-tags', 'via-owner-cloudformation'],
    rule: 'Anyone allowed to tag a resource can write eks:*, elasticbeanstalk:*, karpenter.sh/*, ManagedBy or a copy of another stack\'s tags on it (the aws: prefix is reserved only where the tagging API enforces it): a tag is a claim, not proof.',
    awsAnswers: 'no error: the forged tag is stored like any other',
    source: 'belief: tagging APIs accept any non-aws: key; trimtab never lets a tag widen what it does (design.md, "a tag is never proof of a decision")',
    trimtabDoes: 'a claimed owner only turns a write into report, skip or a via-owner plan; via-owner confirms the owner with DescribeStackResources (and DescribeNodegroup) before approval and again before the change set',
    sandbox: 'lib/ownership/sandbox-seed.ts seeds forged-claim, tagged as WebGroup of shop-prod but in no stack',
    test: { file: ENGINE_TEST, name: 'reports, and never writes, a group whose tags claim a stack that CloudFormation does not confirm' },
  },
  {
    operation: 'cloudformation:DescribeStackResources',
    elements: ['owner-by-physical-id', 'via-owner-cloudformation'],
    rule: 'Specify either StackName or PhysicalResourceId, not both; with PhysicalResourceId, the resources of the stack the resource belongs to are returned (all of them, not only the one asked for).',
    awsAnswers: 'ValidationError (400) for both; for a physical id that is in no stack: ValidationError "Stack for <id> does not exist"',
    source: 'client-cloudformation DescribeStackResourcesCommand.d.ts; the "does not exist" message: belief (observed wording, the .d.ts names no error)',
    trimtabDoes: 'sends PhysicalResourceId only; picks the row whose PhysicalResourceId and ResourceType both match (names are unique only within a type); "does not exist" means no stack owner; any other failure leaves the finding un-acted-on',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: 'answers DescribeStackResources by physical id (matched with the type: the function and the table share a name), ValidationError for a resource in no stack and for both StackName and PhysicalResourceId' },
  },
  {
    operation: 'cloudformation:DescribeStackResources',
    elements: ['owner-by-physical-id'],
    rule: 'Only the first 100 resources are returned; larger stacks need ListStackResources.',
    awsAnswers: 'no error: a resource past the 100th is missing from the answer',
    source: 'client-cloudformation DescribeStackResourcesCommand.d.ts',
    trimtabDoes: 'nothing yet: a table in a stack of more than 100 resources is not found as owned (docs/ownership.md, what is not done)',
    sandbox: 'not enforced: the sandbox stacks have three resources',
  },
  {
    operation: 'cloudformation:GetTemplate',
    elements: ['via-owner-cloudformation'],
    rule: 'TemplateBody is the template as submitted, JSON or YAML (YAML may use short-form intrinsic functions such as !Ref).',
    awsAnswers: 'no error: the body is returned as it was written',
    source: 'client-cloudformation GetTemplateCommand.d.ts (GetTemplateOutput.TemplateBody)',
    trimtabDoes: 'edits JSON templates only; a YAML template, a computed value (Ref to a resource, Fn::*), a parameter used elsewhere or a value that drifted is refused with why, and reported',
    sandbox: 'not enforced: the sandbox holds JSON templates only (docs/limitations.md); planStackEdit is tested on YAML directly',
    test: { file: CFN_TEST, name: 'edits a literal, changes a parameter used once, and refuses computed values, drift and YAML with why' },
  },
  {
    operation: 'cloudformation:CreateChangeSet',
    elements: ['via-owner-cloudformation'],
    rule: 'A change set name is unique per stack; a submission with no changes makes a change set that fails.',
    awsAnswers: 'AlreadyExistsException (400); no changes: Status FAILED, StatusReason "The submitted information didn\'t contain changes. Submit different information to create a change set."',
    source: 'client-cloudformation CreateChangeSetCommand.d.ts (AlreadyExistsException); the FAILED reason: belief (observed wording)',
    trimtabDoes: 'names the change set trimtab-<plan hash>, so a retried apply finds its own; a FAILED change set is deleted and the change refused',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: "fails a change set without changes with the reason AWS gives, and refuses to execute it with InvalidChangeSetStatus" },
  },
  {
    operation: 'cloudformation:CreateChangeSet',
    elements: ['via-owner-cloudformation'],
    rule: 'A stack whose status is *_IN_PROGRESS cannot be updated; a template with IAM resources needs CAPABILITY_IAM or CAPABILITY_NAMED_IAM.',
    awsAnswers: 'ValidationError "... is in UPDATE_IN_PROGRESS state and can not be updated."; InsufficientCapabilitiesException (400)',
    source: 'client-cloudformation CreateChangeSetCommand.d.ts (InsufficientCapabilitiesException); the in-progress rule: belief (observed wording)',
    trimtabDoes: 'reads DescribeStacks first and refuses a stack that is not *_COMPLETE (or is in a rollback); passes the stack\'s own Capabilities',
    sandbox: 'not enforced by a test yet: lib/sandbox/services/cloudformation.ts answers both, no test breaks them on purpose',
  },
  {
    operation: 'cloudformation:DescribeStacks',
    elements: ['via-owner-cloudformation'],
    rule: 'A stack name that does not exist is an error, not an empty list.',
    awsAnswers: 'ValidationError (400) "Stack with id <name> does not exist"',
    source: 'client-cloudformation DescribeStacksCommand.d.ts; the error wording: belief (observed)',
    trimtabDoes: 'reads the stack\'s status, parameters and capabilities before the change set, and polls it after execution; an error fails or refuses the change, nothing is executed',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: 'changes a parameter-referenced property through the parameter alone, and drift detection then finds the function in sync' },
  },
  {
    operation: 'cloudformation:DeleteChangeSet',
    elements: ['via-owner-cloudformation'],
    rule: 'A change set that is executing cannot be deleted.',
    awsAnswers: 'InvalidChangeSetStatus (400)',
    source: 'client-cloudformation DeleteChangeSetCommand.d.ts (InvalidChangeSetStatusException)',
    trimtabDoes: 'deletes only the change sets it refused (never executed); a failed delete is ignored: an unexecuted change set changes nothing',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: 'refuses a change set that would replace a resource before executing it, with why, and deletes it' },
  },
  {
    operation: 'cloudformation:DescribeChangeSet',
    elements: ['via-owner-cloudformation'],
    rule: 'A change set is CREATE_PENDING, CREATE_IN_PROGRESS, then CREATE_COMPLETE (or FAILED); each change has Action (Add, Modify, Remove) and, for Modify, Replacement True, False or Conditional.',
    awsAnswers: 'ChangeSetNotFound (404) for an unknown change set; a replacing change is described, never refused, by AWS',
    source: 'client-cloudformation DescribeChangeSetCommand.d.ts; models_0.d.ts ResourceChange.Replacement, ChangeSetStatus',
    trimtabDoes: 'polls until CREATE_COMPLETE or FAILED; executes only one Modify of the logical id, Replacement False, of that one property; anything else is deleted and refused before execution, with why',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: 'refuses a change set that would replace a resource before executing it, with why, and deletes it' },
  },
  {
    operation: 'cloudformation:ExecuteChangeSet',
    elements: ['via-owner-cloudformation'],
    rule: 'Only a change set in CREATE_COMPLETE with ExecutionStatus AVAILABLE, on a stack not in progress, can be executed.',
    awsAnswers: 'InvalidChangeSetStatus (400)',
    source: 'client-cloudformation ExecuteChangeSetCommand.d.ts (InvalidChangeSetStatusException)',
    trimtabDoes: 'executes only after DescribeChangeSet shows AVAILABLE; an already executing or executed change set is waited for, not executed again',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: "fails a change set without changes with the reason AWS gives, and refuses to execute it with InvalidChangeSetStatus" },
  },
  {
    operation: 'cloudformation:ExecuteChangeSet',
    elements: ['via-owner-cloudformation'],
    rule: 'CloudFormation starts updating the stack (DescribeStacks shows the status); a failed update rolls back.',
    awsAnswers: 'StackStatus UPDATE_IN_PROGRESS, then UPDATE_COMPLETE, or UPDATE_ROLLBACK_* on failure',
    source: 'client-cloudformation ExecuteChangeSetCommand.d.ts',
    trimtabDoes: 'polls DescribeStacks every 5 s (on the run\'s clock) until UPDATE_COMPLETE; a rollback or failure fails the action with the stack\'s reason',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: 'changes a parameter-referenced property through the parameter alone, and drift detection then finds the function in sync' },
  },
  {
    operation: 'cloudformation:DetectStackResourceDrift',
    elements: ['via-owner-cloudformation'],
    rule: 'Only properties explicitly defined in the template are checked; the answer is IN_SYNC, MODIFIED (with PropertyDifferences), DELETED or NOT_CHECKED.',
    awsAnswers: 'StackResourceDriftStatus MODIFIED with the expected and actual values',
    source: 'client-cloudformation DetectStackResourceDriftCommand.d.ts',
    trimtabDoes: 'verify of a via-owner change requires IN_SYNC; anything else fails the verification with the differences. Its name is not Describe/Get/List, so the dry-run guard counts it as a write: it runs only in verify, after a write',
    sandbox: SANDBOX,
    test: { file: CFN_TEST, name: 'reports drift on a resource changed behind its stack' },
  },
  {
    operation: 'eks:DescribeNodegroup',
    elements: ['via-owner-eks'],
    rule: 'An unknown cluster or node group is not found; resources.autoScalingGroups names the groups EKS made for the node group.',
    awsAnswers: 'ResourceNotFoundException (404)',
    source: 'client-eks DescribeNodegroupCommand.d.ts; models_0.d.ts NodegroupResources.autoScalingGroups',
    trimtabDoes: 'confirms the node group its tags name exists and lists this Auto Scaling group, and is ACTIVE, before UpdateNodegroupConfig; otherwise refuses, nothing changed',
    sandbox: EKS_SANDBOX,
    test: { file: CFN_TEST, name: 'keeps minSize <= desiredSize <= maxSize (InvalidParameterException) and one update at a time (ResourceInUseException)' },
  },
  {
    operation: 'eks:UpdateNodegroupConfig',
    elements: ['via-owner-eks'],
    rule: 'scalingConfig keeps minSize <= desiredSize <= maxSize; one update at a time per node group.',
    awsAnswers: 'InvalidParameterException (400); ResourceInUseException (409) while an update runs',
    source: 'client-eks UpdateNodegroupConfigCommand.d.ts (InvalidParameterException, ResourceInUseException); models_0.d.ts NodegroupScalingConfig; the exact code per rule: belief',
    trimtabDoes: 'sends all three sizes with only the planned one changed; lowering minSize never goes above desiredSize; waits for ACTIVE; verify re-reads scalingConfig',
    sandbox: EKS_SANDBOX,
    test: { file: CFN_TEST, name: 'keeps minSize <= desiredSize <= maxSize (InvalidParameterException) and one update at a time (ResourceInUseException)' },
  },
];
