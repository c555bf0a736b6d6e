/**
 * A packaged state machine's definition as CloudFormation would resolve it: its DefinitionString is an
 * Fn::Sub whose `${AWS::Partition}` is the stack's partition and whose other placeholders are the
 * functions' ARNs (made up here, in that partition).
 */
export function deployedDefinition(resources: Record<string, any>, logicalId: string, partition = 'aws') {
  const sub = resources[logicalId].Properties.DefinitionString['Fn::Sub'];
  const text: string = Array.isArray(sub) ? sub[0] : sub;
  return JSON.parse(text.replace(/\$\{([^}]+)\}/g, (_, name: string) => (name === 'AWS::Partition' ? partition : `arn:${partition}:lambda:us-east-1:123456789012:function:trimtab-dev-fn`)));
}

/** Every Task's Resource in a definition, Map item processors included. */
export function taskResources(definition: { States: Record<string, any> }): string[] {
  return Object.values(definition.States).flatMap((state: any) => [
    ...(state.Type === 'Task' ? [state.Resource] : []),
    ...(state.ItemProcessor ? taskResources(state.ItemProcessor) : []),
    ...(state.Iterator ? taskResources(state.Iterator) : []),
    ...(state.Branches ?? []).flatMap((branch: any) => taskResources(branch)),
  ]);
}
