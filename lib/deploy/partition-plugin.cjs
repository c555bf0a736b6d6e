// The state machines' service integrations in the stack's own partition.
//
// A Task names its integration by ARN (`arn:aws:states:::lambda:invoke`). In aws-cn or aws-us-gov
// an execution that reaches a Task named in another partition fails with States.Runtime, "The
// resource belongs to a different partition from the running execution" (aws/aws-cdk#4597, the
// same fault in CDK's tasks). The definitions are written in lib/ with `arn:aws:` because
// serverless-step-functions validates them with asl-validator (which refuses `arn:${…}:` and
// `arn:#{…}:`) and derives each state machine's role from those exact strings, and because the
// local runners read them. So this plugin rewrites them only in the packaged template, after the
// step functions plugin compiled them, to `arn:${AWS::Partition}:states:::…`, which CloudFormation
// fills in: every trimtab DefinitionString is an Fn::Sub (its functions are Fn::GetAtt
// placeholders). A definition that is not one is refused here: wrapping a plain string in an
// Fn::Sub could change what it says.
'use strict';

const INTEGRATION = /"arn:aws:states:::/g;
const IN_STACK_PARTITION = '"arn:${AWS::Partition}:states:::';

/** The definition string with every `arn:aws:states:::` integration in the stack's partition. */
function inStackPartition(definitionString, logicalId) {
  const sub = definitionString && definitionString['Fn::Sub'];
  if (typeof sub === 'string') return { 'Fn::Sub': sub.replace(INTEGRATION, IN_STACK_PARTITION) };
  if (Array.isArray(sub) && typeof sub[0] === 'string') return { 'Fn::Sub': [sub[0].replace(INTEGRATION, IN_STACK_PARTITION), ...sub.slice(1)] };
  throw new Error(`State machine ${logicalId}: its DefinitionString is not an Fn::Sub, so its service integrations cannot be named in the stack's partition (arn:\${AWS::Partition}:states:::…).`);
}

class TrimtabPartition {
  constructor(serverless) {
    this.serverless = serverless;
    // serverless-step-functions compiles the state machines at package:compileFunctions.
    this.hooks = { 'after:package:compileEvents': () => this.rewrite() };
  }

  rewrite() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
      resource.Properties.DefinitionString = inStackPartition(resource.Properties.DefinitionString, logicalId);
    }
  }
}

module.exports = TrimtabPartition;
module.exports.inStackPartition = inStackPartition;
