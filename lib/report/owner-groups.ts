/**
 * Findings grouped by owner (the stack, the node group, the Beanstalk environment, Terraform, or
 * no owner), so a team sees its own changes together: the approval emails, the approval page, the
 * HTML report and the CLI's findings table use it. Owned groups come in the order their first
 * finding comes; "No owner" is last; within a group the findings keep the order they were given.
 *
 * The labels carry account-controlled text (a stack name is whatever the tag says): callers escape
 * them for HTML or neutralise them for text, as they do resource ids.
 */
import type { Owner } from '../ownership/owners.ts';

export const NO_OWNER = 'No owner';

interface Ownable {
  owner?: Owner;
  resource: { account: string; region: string };
}

export interface OwnerGroup<T> {
  /** Unique per group: the owner within its account and region (a stack is regional). */
  key: string;
  label: string;
  owner?: Owner;
  items: T[];
}

/** The owner as a group's heading: the stack, not the logical id (every resource of the stack together). */
export function ownerLabel(owner: Owner | undefined): string {
  if (!owner) return NO_OWNER;
  switch (owner.kind) {
    case 'cloudformation':
      return owner.stackName ? `CloudFormation stack ${owner.stackName}` : owner.name;
    case 'eks-nodegroup':
      return owner.nodegroup ? `EKS node group ${owner.nodegroup} (cluster ${owner.cluster})` : owner.name;
    case 'elastic-beanstalk':
      return owner.environment ? `Elastic Beanstalk environment ${owner.environment}` : owner.name;
    case 'autoscaling-group':
      // An instance of a stack-made group: the change is made in that stack, so it goes with the stack's team.
      return owner.stackName ? `CloudFormation stack ${owner.stackName}` : owner.name;
    case 'terraform':
      return owner.stateFile ? `Terraform state ${owner.stateFile}` : `Terraform (${owner.tag ?? owner.signal})`;
    default:
      return owner.name;
  }
}

/** Whether any finding has an owner: otherwise nothing is grouped and every view looks as before. */
export const hasOwners = (items: readonly Ownable[]) => items.some((f) => f.owner);

export function groupByOwner<T extends Ownable>(items: readonly T[]): OwnerGroup<T>[] {
  const groups = new Map<string, OwnerGroup<T>>();
  const none: OwnerGroup<T> = { key: 'none', label: NO_OWNER, items: [] };
  for (const item of items) {
    if (!item.owner) {
      none.items.push(item);
      continue;
    }
    const label = ownerLabel(item.owner);
    const key = `${item.resource.account}|${item.resource.region}|${label}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, label, owner: item.owner, items: [] }));
    group.items.push(item);
  }
  const owned = [...groups.values()];
  // The same name in two accounts or regions is two owners: say where each is.
  const twice = new Set(owned.filter((g) => owned.some((o) => o !== g && o.label === g.label)));
  for (const g of twice) {
    const [account, region] = g.key.split('|');
    g.label = `${g.label} (${account} ${region})`;
  }
  return none.items.length ? [...owned, none] : owned;
}
