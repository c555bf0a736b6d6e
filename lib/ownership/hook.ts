/**
 * The engine's ownership hook (lib/engine/run.ts calls it on every planned page, before anything
 * is recorded or acted on): finds each planned finding's owner and applies the policy's
 * `owned.choice`.
 *
 * - report (the default): no write; the finding says where the change belongs (stack, logical id,
 *   property path and the new value; or the node group, the environment, the Terraform tag).
 * - skip: no write; the finding is protected, naming the owner.
 * - direct: the plan stays; the finding, the plan summary (so the action record and the approval)
 *   and the report carry the warning that the owner will revert it.
 * - via-owner: the plan is rewritten to go through the owner's API (lib/ownership/via-owner.ts),
 *   where trimtab knows exactly the one property; otherwise reported.
 *
 * A tag only makes trimtab more careful: any claimed owner turns a write into report/skip, or
 * into a via-owner plan that confirms the owner with the owner's API before it writes.
 */
import type { Finding, RegionContext } from '../engine/types.ts';
import type { Policy } from '../policy/load.ts';
import { errorMessage } from '../util/errors.ts';
import { shortHash } from '../util/hash.ts';
import { managedStackProblem, planStackEdit, prepareStackChange, stackIndex, stackOwnerOf, type StackResourceOwner } from './cloudformation.ts';
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { CFN_TYPE_OF, DEFAULT_OWNED_CHOICE, ownerFromTags, physicalIdOf, UNTAGGED_BY_CLOUDFORMATION, type Owner, type OwnedChoice } from './owners.ts';
import { beanstalkSetting, nodegroupChange, propertyPath, settingName, templateChanges, terraformArguments } from './properties.ts';
import { readTerraformState, terraformOwnerOf, type TerraformStateIndex } from './terraform-state.ts';
import { beanstalkProblem } from './beanstalk.ts';
import type { ViaOwner } from './via-owner.ts';

type Planned = Finding & { outcomeDetail?: string };

/** Where the change belongs, in one sentence a person can act on. */
export function whereToChange(owner: Owner, finding: Pick<Finding, 'resource' | 'plan'>): string {
  const plan = finding.plan!;
  const by = `${owner.name}, from ${owner.signal}${owner.stateFile ? ' (listed in the state file)' : owner.confirmed ? ' (confirmed by its API)' : ' (a tag: a claim, not checked)'}`;
  if (owner.kind === 'cloudformation') {
    const changes = templateChanges(finding.resource.type, plan);
    const what = changes?.length
      ? changes.map((c) => `set ${propertyPath(c)} of ${owner.logicalId ?? 'its logical id'} to ${JSON.stringify(c.to)} (now ${JSON.stringify(c.from)})`).join(' and ')
      : `make this change in the template of ${owner.logicalId ?? 'the resource'}: ${plan.summary}`;
    return `Owned by ${by}. Change it in stack ${owner.stackName}, not on the resource: ${what}, then deploy the stack.`;
  }
  if (owner.kind === 'eks-nodegroup') {
    const types = nodegroupInstanceTypes(finding.resource.type, plan);
    if (types) return `Owned by ${by}. ${types}`;
    const c = nodegroupChange(finding.resource.type, plan);
    return `Owned by ${by}. Change it on the node group, not its Auto Scaling group: ${c ? `set scalingConfig.${c.field} to ${c.to} (now ${c.from}) with UpdateNodegroupConfig or the node group's IaC` : plan.summary}.`;
  }
  if (owner.kind === 'elastic-beanstalk') {
    const s = beanstalkSetting(finding.resource.type, plan);
    const what = s ? `set option ${s.option} in namespace ${s.namespace} to ${JSON.stringify(s.to)} (now ${JSON.stringify(s.from)})${finding.resource.type === 'ec2-instance' ? ' (the type of every instance of the environment)' : ''}` : plan.summary;
    return `Owned by ${by}. Change it in the option settings of environment ${owner.environment} (UpdateEnvironment, the console, .ebextensions or a saved configuration), not on the resource: ${what}.`;
  }
  if (owner.kind === 'autoscaling-group') {
    const p = finding.plan!.params as { fromType?: string; toType?: string };
    const what = finding.plan!.action === 'change-instance-type' && p.toType
      ? `set the instance type of the launch template (or launch configuration) that ${owner.logicalId ?? owner.group} uses to ${p.toType} (now ${p.fromType})`
      : plan.summary;
    return `Owned by ${by}. The group replaces this instance from its launch template: change the group's launch template or launch configuration in stack ${owner.stackName}${owner.logicalId ? ` (group ${owner.logicalId})` : ''}, not the instance: ${what}, then deploy the stack.`;
  }
  if (owner.kind === 'terraform' && owner.address) {
    const args = terraformArguments(finding.resource.type, plan);
    const what = args?.length
      ? args.map((a) => `set ${a.attribute}${a.on ? ` of the ${a.on}` : ''} to ${JSON.stringify(a.to)} (now ${JSON.stringify(a.from)})`).join(' and ')
      : plan.summary;
    return `Owned by ${by}. Change it in the Terraform configuration of ${owner.address}, not on the resource: ${what}, then terraform apply.`;
  }
  if (owner.kind === 'terraform') return `Owned by ${by}. Change it in the Terraform configuration that manages ${finding.resource.id}, not on the resource: ${plan.summary}`;
  return `Owned by ${by}. Change it in the owner's configuration, not on the resource: ${plan.summary}`;
}

/**
 * An EKS managed node group's instance type, in words: not a setting UpdateNodegroupConfig changes.
 * A node group made with `instanceTypes` keeps them for life (CreateNodegroup; UpdateNodegroupConfig
 * has no instance type); one made from a launch template takes a new launch template version with
 * the type, rolled out by UpdateNodegroupVersion (which replaces every node). Reported, never via-owner.
 * The Auto Scaling group's own launch template (the one the finding names) is EKS's copy of the node
 * group's, or one EKS generated: it is not the one to version (UpdateNodegroupVersion takes only the
 * launch template the node group was created with, DescribeNodegroup launchTemplate), and an
 * instance type in the launch template and instanceTypes on the node group cannot both be set
 * (CreateNodegroupRequest.instanceTypes; EKS User Guide, "Customize managed nodes with launch templates").
 */
export function nodegroupInstanceTypes(resourceType: string, plan: NonNullable<Finding['plan']>): string | undefined {
  if (`${resourceType}/${plan.action}` !== 'asg/rightsize-launch-template') return undefined;
  const p = plan.params as { fromType?: string; toType?: string; launchTemplateId?: string; version?: string };
  const lt = p.launchTemplateId ? `launch template ${p.launchTemplateId}${p.version ? ` (version ${p.version})` : ''}` : 'launch template';
  return `Change the instance type on the node group, not its Auto Scaling group: ${p.fromType} → ${p.toType}. The group's ${lt} is EKS's copy: do not edit it. If the node group was made from your own launch template (DescribeNodegroup launchTemplate) with no instanceTypes on the node group, create a new version of that launch template with InstanceType ${p.toType} and roll it out with UpdateNodegroupVersion (the same launch template id and the new version; every node is replaced); if the node group has instanceTypes [${p.fromType}] (with or without a launch template), they cannot be changed: create a node group with instanceTypes [${p.toType}] and move the workloads.`;
}

/** The `direct` warning: what the owner does to a change made behind its back. */
export function directWarning(owner: Owner): string {
  switch (owner.kind) {
    case 'cloudformation':
      return `owned by ${owner.name}: CloudFormation reports drift on it from now on, and the next deploy of ${owner.stackName} reverts this change`;
    case 'terraform':
      return `owned by ${owner.name}: the next terraform apply reverts this change`;
    case 'autoscaling-group':
      return `owned by ${owner.name}: the group launches its replacements from its launch template, without this change`;
    default:
      return `owned by ${owner.name}: the owner may revert this change or fight it`;
  }
}

/** The plan rewritten to go through the owner, or a reason why it cannot. */
function viaOwnerPlan(owner: Owner, finding: Planned): ViaOwner | string {
  const plan = finding.plan!;
  if (owner.kind === 'cloudformation') {
    if (!owner.stackName || !owner.logicalId) return 'the owner names no stack and logical id';
    const changes = templateChanges(finding.resource.type, plan);
    if (!changes || changes.length !== 1) return `trimtab changes a stack only for exactly one known property (${plan.action} is ${changes ? `${changes.length} properties` : 'not mapped to a template property'})`;
    return { kind: 'cloudformation', stackName: owner.stackName, logicalId: owner.logicalId, physicalId: physicalIdOf(finding.resource), change: changes[0], changeSetName: `trimtab-${plan.hash}` };
  }
  if (owner.kind === 'eks-nodegroup') {
    if (nodegroupInstanceTypes(finding.resource.type, plan)) return 'an EKS node group\'s instance type is not changed by UpdateNodegroupConfig: it takes a new launch template version rolled out by UpdateNodegroupVersion, which replaces every node, or a new node group when it was made with instanceTypes (immutable); trimtab does not make either';
    const c = nodegroupChange(finding.resource.type, plan);
    if (!c) return `${plan.action} has no node group setting`;
    return { kind: 'eks-nodegroup', cluster: owner.cluster!, nodegroup: owner.nodegroup!, asg: finding.resource.id, change: c };
  }
  if (owner.kind === 'elastic-beanstalk') {
    const setting = beanstalkSetting(finding.resource.type, plan);
    if (!setting || !owner.environment) return `${plan.action} has no Elastic Beanstalk option setting`;
    return { kind: 'elastic-beanstalk', environment: owner.environment, application: '', resourceId: finding.resource.id, resourceKind: finding.resource.type === 'asg' ? 'asg' : 'instance', setting };
  }
  if (owner.kind === 'autoscaling-group') return `${finding.resource.id} is an instance of Auto Scaling group ${owner.group}, in no stack itself: change the group's launch template (rightsize-launch-template on the group), which its stack defines`;
  return `via-owner is not available for ${owner.kind} owners`;
}

/**
 * Why the stack cannot make this change, read-only (DescribeStackResources, DescribeStacks,
 * GetTemplate), or undefined when it can. The change set itself (a write, though nothing changes
 * until it is executed) is made in approval mode when approval is asked (consultOwners'
 * `approvalContext`), in auto mode when the change is applied; never in dry-run.
 */
async function stackEditProblem(ctx: RegionContext, via: Extract<ViaOwner, { kind: 'cloudformation' }>): Promise<string | undefined> {
  try {
    const real = await stackOwnerOf(ctx, via.physicalId, via.change.cfnType);
    if (!real || real.stackName !== via.stackName || real.logicalId !== via.logicalId) {
      return `CloudFormation does not confirm the owner its tags claim: ${via.physicalId} is ${real ? `${real.logicalId} of stack ${real.stackName}` : 'in no stack'}`;
    }
    const client = ctx.clients.get(CloudFormationClient, ctx.region);
    const stack = (await client.send(new DescribeStacksCommand({ StackName: via.stackName }))).Stacks?.[0];
    const nested = stack && managedStackProblem(stack);
    if (nested) return nested;
    const parameters = Object.fromEntries((stack?.Parameters ?? []).map((x) => [x.ParameterKey!, x.ParameterValue ?? '']));
    const template = await client.send(new GetTemplateCommand({ StackName: via.stackName, TemplateStage: 'Original' }));
    const edit = planStackEdit(template.TemplateBody ?? '', parameters, via.logicalId, via.change);
    return typeof edit === 'string' ? edit : undefined;
  } catch (error) {
    return `the stack could not be read (${errorMessage(error)})`;
  }
}

/** Per run: the stack index of each account and region, built on first need (stackIndex). */
export type OwnerLookups = Map<string, Promise<Map<string, StackResourceOwner>> | Promise<TerraformStateIndex>>;
export const newOwnerLookups = (): OwnerLookups => new Map();

const UNTAGGED_CFN_TYPES: ReadonlySet<string> = new Set([...UNTAGGED_BY_CLOUDFORMATION].map((t) => CFN_TYPE_OF[t]));

/** Finds the owner of every planned finding in a page and applies the policy's choice. */
/**
 * `approvalContext` answers, for a policy in approval mode (never dry-run), a context that may write:
 * the via-owner CloudFormation change set is then created now, when approval is asked, and checked
 * (one Modify of the resource, Replacement False); one that would replace or remove is refused here,
 * with why, and nobody is asked. The plan carries its ChangeSetId, which the apply executes.
 */
export async function consultOwners(findings: Planned[], policyOf: (id: string) => Policy, ctx: RegionContext, lookups: OwnerLookups = newOwnerLookups(), approvalContext?: (policyId: string) => RegionContext | undefined): Promise<void> {
  for (const finding of findings) {
    if (finding.status !== 'actionable' || !finding.plan) continue;
    const policy = policyOf(finding.policy);
    let owner: Owner | undefined;
    // Terraform state files the policy names: a resource they list is Terraform's, whatever its tags say.
    if (policy.owned?.terraformState?.length) {
      try {
        const indexes = await Promise.all(policy.owned.terraformState.map((ref) => {
          const key = `tfstate|${ctx.account}|${ref.region ?? ''}|${ref.bucket}|${ref.key}`;
          if (!lookups.has(key)) lookups.set(key, readTerraformState(ctx, ref));
          return lookups.get(key) as Promise<TerraformStateIndex>;
        }));
        owner = terraformOwnerOf(indexes, finding.resource);
      } catch (error) {
        finding.status = 'report-only';
        finding.outcomeDetail = `not acted on: the policy names Terraform state files and ${errorMessage(error)}; whether Terraform manages ${finding.resource.id} is unknown`;
        delete finding.plan;
        continue;
      }
    }
    owner ??= ownerFromTags(finding.resource.tags, { terraformTag: policy.owned?.terraformTag });
    if (!owner && UNTAGGED_BY_CLOUDFORMATION.has(finding.resource.type)) {
      try {
        const key = `${ctx.account}|${ctx.region}`;
        if (!lookups.has(key)) lookups.set(key, stackIndex(ctx, UNTAGGED_CFN_TYPES));
        owner = (await (lookups.get(key) as Promise<Map<string, StackResourceOwner>>)).get(`${CFN_TYPE_OF[finding.resource.type]}|${physicalIdOf(finding.resource)}`);
      } catch (error) {
        // Unknown owner: never act as if it had none.
        finding.status = 'report-only';
        finding.outcomeDetail = `not acted on: whether a CloudFormation stack owns ${finding.resource.id} could not be read (ListStacks / ListStackResources: ${errorMessage(error)})`;
        delete finding.plan;
        continue;
      }
    }
    if (!owner) continue;
    finding.owner = owner;
    const choice: OwnedChoice = policy.owned?.choice ?? DEFAULT_OWNED_CHOICE;
    if (choice === 'skip') {
      finding.status = 'protected';
      finding.outcomeDetail = `owned by ${owner.name} (${owner.signal}); the policy's owned.choice is skip`;
      delete finding.plan;
    } else if (choice === 'direct') {
      finding.ownerWarning = directWarning(owner);
      finding.plan.summary = `${finding.plan.summary} Drift warning: ${finding.ownerWarning}.`;
    } else {
      let via = choice === 'via-owner' ? viaOwnerPlan(owner, finding) : undefined;
      // Read-only checks before anything is approved: the owner confirmed by CloudFormation, the value a literal or a parameter.
      if (via && typeof via !== 'string' && via.kind === 'cloudformation') via = (await stackEditProblem(ctx, via)) ?? via;
      // …Beanstalk: the environment Ready, listing this group, with the setting the finding saw; the application name for the apply.
      if (via && typeof via !== 'string' && via.kind === 'elastic-beanstalk') {
        const checked = await beanstalkProblem(ctx, via).catch((error) => `the environment could not be read (${errorMessage(error)})`);
        via = typeof checked === 'string' ? checked : { ...via, application: checked.application };
      }
      let changeSet: string | undefined;
      const writable = approvalContext?.(finding.policy);
      if (via && typeof via !== 'string' && via.kind === 'cloudformation' && writable) {
        // Approval mode: the change set is made and checked before anyone is asked (it changes nothing until executed).
        try {
          const prepared = await prepareStackChange(writable, via);
          via = { ...via, changeSetId: prepared.changeSetId, templateHash: prepared.templateHash };
          changeSet = `${prepared.summary} (ChangeSetId ${prepared.changeSetId}); the apply executes exactly this change set after re-checking it.`;
        } catch (error) {
          via = `refused before approval: ${errorMessage(error)}`;
        }
      }
      if (via && typeof via !== 'string') {
        const plan = finding.plan;
        const params = { ...plan.params, viaOwner: via };
        const what = via.kind === 'cloudformation'
          ? `Through CloudFormation stack ${via.stackName}: a change set setting ${propertyPath(via.change)} of ${via.logicalId} from ${JSON.stringify(via.change.from)} to ${JSON.stringify(via.change.to)}, executed only if it modifies ${via.logicalId} alone without replacement; then drift detection must find it IN_SYNC.`
            + (changeSet ? ` Prepared for approval: ${changeSet}` : '')
          : via.kind === 'eks-nodegroup'
            ? `Through EKS node group ${via.nodegroup} (${via.cluster}): UpdateNodegroupConfig scalingConfig.${via.change.field} ${via.change.from} → ${via.change.to}.`
            : `Through Elastic Beanstalk environment ${via.environment}: UpdateEnvironment setting ${settingName(via.setting)} from ${JSON.stringify(via.setting.from)} to ${JSON.stringify(via.setting.to)} (only if the environment is Ready and still has ${JSON.stringify(via.setting.from)}); then the environment must be Ready and Green with the new value.`;
        const undo = via.kind === 'cloudformation'
          ? `trimtab undo runs the reverse change set (${propertyPath(via.change)} back to ${JSON.stringify(via.change.from)}) through stack ${via.stackName}.`
          : via.kind === 'eks-nodegroup'
            ? `trimtab undo sets scalingConfig.${via.change.field} back to ${via.change.from} through EKS.`
            : `trimtab undo sets ${settingName(via.setting)} back to ${JSON.stringify(via.setting.from)} through UpdateEnvironment.`;
        finding.plan = {
          ...plan,
          summary: `${what} (${plan.summary})`,
          params,
          undo,
          hash: shortHash({ policy: finding.policy, arn: finding.resource.arn, action: plan.action, params }),
        };
        continue;
      }
      finding.status = 'report-only';
      finding.outcomeDetail = `${typeof via === 'string' ? `via-owner not possible (${via}); reported instead. ` : ''}${whereToChange(owner, finding)}`;
      delete finding.plan;
    }
  }
}
