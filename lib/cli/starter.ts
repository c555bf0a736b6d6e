/**
 * The starter trimtab.yml `trimtab init` writes for a real account: one policy per detector
 * worth running, every one in dry-run (findings only, nothing written), no approvers until the
 * user names them, and a comment above each policy saying what it looks for, what its action
 * would do, whether that can be undone and the mode to promote it to. The comments come from
 * the registries, so they follow the code.
 */
import '../resources/index.ts';
import { detectors, remediators, resourceTypes } from '../resources/registry.ts';

interface StarterPolicy {
  id: string;
  resource: string;
  description: string;
  detector: string;
  detectorOptions?: Record<string, unknown>;
  action?: string;
  actionOptions?: Record<string, unknown>;
  excludeNames?: string[];
  /** The mode to promote the policy to once its findings look right. */
  promoteTo?: 'auto' | 'approval';
}

/** The starter policies: the shipped trimtab.yml's, minus the event and alarm triggers (those need a deployed stack). */
export const STARTER_POLICIES: StarterPolicy[] = [
  { id: 's3-abort-incomplete-uploads', resource: 's3-bucket', description: 'Abort incomplete multipart uploads after 7 days; they are billed until aborted.', detector: 'missing-abort-multipart-rule', action: 'add-lifecycle-rules', actionOptions: { abortIncompleteMultipartUploadDays: 7 }, promoteTo: 'auto' },
  { id: 's3-no-lifecycle', resource: 's3-bucket', description: 'Report buckets with no lifecycle configuration at all.', detector: 'missing-lifecycle' },
  { id: 's3-expire-noncurrent-versions', resource: 's3-bucket', description: 'Expire noncurrent versions after 90 days in versioned buckets.', detector: 'missing-noncurrent-version-rule', action: 'add-lifecycle-rules', actionOptions: { noncurrentVersionExpirationDays: 90 }, excludeNames: ['*-terraform-state', '*-tfstate'], promoteTo: 'approval' },
  { id: 's3-transition-large-standard', resource: 's3-bucket', description: 'Move objects over 128 KB from Standard to Intelligent-Tiering after 30 days where it pays.', detector: 'large-standard-without-transition', detectorOptions: { minStandardGb: 100 }, action: 'add-lifecycle-rules', actionOptions: { transition: { storageClass: 'INTELLIGENT_TIERING', afterDays: 30 } }, promoteTo: 'approval' },
  { id: 'ebs-orphaned-snapshots', resource: 'ebs-snapshot', description: 'Delete snapshots whose source volume has been gone for 30+ days.', detector: 'orphaned', detectorOptions: { minAgeDays: 30 }, action: 'delete-snapshot', promoteTo: 'approval' },
  { id: 'ebs-too-many-snapshots', resource: 'ebs-snapshot', description: 'Keep the newest 7 snapshots of each volume.', detector: 'too-many-per-volume', detectorOptions: { keep: 7 }, action: 'delete-snapshot', promoteTo: 'approval' },
  { id: 'ebs-unattached-volumes', resource: 'ebs-volume', description: 'Snapshot, then delete volumes unattached for 30+ days.', detector: 'unattached', detectorOptions: { days: 30 }, action: 'snapshot-and-delete', promoteTo: 'approval' },
  { id: 'ebs-gp2-to-gp3', resource: 'ebs-volume', description: 'Move gp2 volumes to gp3 at equal or better performance, for less.', detector: 'gp2-to-gp3', action: 'modify-to-gp3', promoteTo: 'auto' },
  { id: 'asg-raise-low-targets', resource: 'asg', description: 'Raise CPU target-tracking targets that keep the fleet mostly idle.', detector: 'over-provisioned-target-tracking', action: 'raise-target', actionOptions: { maxTarget: 70, maxStepPoints: 10 }, promoteTo: 'auto' },
  { id: 'asg-lower-min-size', resource: 'asg', description: 'Lower MinSize where p95 demand never needs it.', detector: 'min-size-unneeded', action: 'lower-min-size', actionOptions: { floor: 1, maxReductionPercent: 50 }, promoteTo: 'approval' },
  { id: 'asg-flapping-warmup', resource: 'asg', description: 'Lengthen instance warm-up on groups that scale out and back in many times a day.', detector: 'flapping', action: 'lengthen-warmup', promoteTo: 'auto' },
  { id: 'asg-step-policies', resource: 'asg', description: 'Report step and simple scaling policies that target tracking would serve better.', detector: 'step-scaling-policies' },
  { id: 'ec2-stop-idle-instances', resource: 'ec2-instance', description: 'Stop instances idle (CPU and network) on 10 of the last 14 days.', detector: 'idle-instance', action: 'stop-instance', promoteTo: 'approval' },
  { id: 'ec2-previous-generation-types', resource: 'ec2-instance', description: 'Report previous-generation instance types and their successors.', detector: 'previous-generation-type' },
  { id: 'ec2-previous-generation-volumes', resource: 'ec2-instance', description: 'Report io1 and magnetic volumes attached to instances.', detector: 'previous-generation-volumes' },
  { id: 'eip-unassociated', resource: 'elastic-ip', description: 'Release Elastic IPs associated with nothing ($3.65 a month each).', detector: 'unassociated', action: 'release-address', promoteTo: 'approval' },
  { id: 'logs-no-retention', resource: 'log-group', description: 'Set a 90-day retention on log groups that keep events forever.', detector: 'no-retention', detectorOptions: { minStoredGb: 1 }, action: 'set-retention', actionOptions: { retentionDays: 90 }, promoteTo: 'approval' },
  { id: 'nat-idle-gateways', resource: 'nat-gateway', description: 'Report NAT gateways with no traffic for 14 days.', detector: 'idle-nat-gateway' },
  { id: 'elb-idle-load-balancers', resource: 'load-balancer', description: 'Report load balancers with no traffic, or no targets.', detector: 'idle-load-balancer' },
  // RDS and Aurora (rds-instance).
  { id: 'rds-idle-stop', resource: 'rds-instance', description: 'Stop DB instances with no connections for 14 days (AWS starts them again after 7 days; rds-restop-auto-started keeps them stopped).', detector: 'idle-db-instance', detectorOptions: { days: 14 }, action: 'stop-db-instance', promoteTo: 'approval' },
  { id: 'rds-restop-auto-started', resource: 'rds-instance', description: 'Stop again the instances trimtab stopped that AWS restarted after 7 days, under the approved decision verified in the audit trail (a person approves each re-stop).', detector: 'auto-started-db-instance', action: 'restop-db-instance', promoteTo: 'approval' },
  { id: 'rds-gp2-to-gp3', resource: 'rds-instance', description: 'Move RDS gp2 storage to gp3 (same price, higher baseline IOPS).', detector: 'gp2-storage', action: 'modify-storage-gp3', promoteTo: 'approval' },
  { id: 'rds-oversized', resource: 'rds-instance', description: 'Move DB instances with low CPU and ample memory one size down at their maintenance window.', detector: 'oversized-db-instance', action: 'downsize-db-instance', promoteTo: 'approval' },
  { id: 'rds-previous-generation', resource: 'rds-instance', description: 'Report DB instances on previous-generation classes.', detector: 'previous-generation-class' },
  { id: 'lambda-memory-oversized', resource: 'lambda-function', description: 'Set $LATEST memory to max used + 40 % where Lambda Insights shows spare memory and CPU.', detector: 'memory-oversized', action: 'set-memory', promoteTo: 'approval' },
  { id: 'dynamodb-over-provisioned', resource: 'dynamodb-table', description: 'Switch provisioned tables using under 30% of their capacity at p95 to on-demand.', detector: 'over-provisioned', action: 'switch-to-on-demand', promoteTo: 'approval' },
  { id: 'elasticache-idle-clusters', resource: 'elasticache-cluster', description: 'Report ElastiCache clusters with no connections and almost no commands for 14 days.', detector: 'idle-cluster' },
];

const UNDO = { yes: 'undoable with `trimtab undo`', 'best-effort': 'undo is best effort', no: 'cannot be undone' } as const;

/** A YAML flow value: strings quoted only where YAML needs it. */
function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (value && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${flow(v)}`).join(', ')} }`;
  if (typeof value === 'string' && !/^[A-Za-z0-9_.\-/]+$/.test(value)) return `'${value.replaceAll("'", "''")}'`;
  return String(value);
}

/** A block-context YAML string: plain unless YAML would read it otherwise. */
const plain = (text: string) => (/: | #|^[-?:,[\]{}#&*!|>'"%@`]/.test(text) ? `'${text.replaceAll("'", "''")}'` : text);

function block(kind: 'detector' | 'action', type: string, options: Record<string, unknown> = {}): string[] {
  return [`    ${kind}:`, `      type: ${type}`, ...Object.entries(options).map(([k, v]) => `      ${k}: ${flow(v)}`)];
}

function policyText(p: StarterPolicy): string[] {
  const detector = detectors(p.resource).get(p.detector);
  const lines = [`  # ${resourceTypes.get(p.resource).title}: ${detector.title}.`];
  if (p.action) {
    const action = remediators(p.resource).get(p.action);
    const promote = p.promoteTo ?? (action.defaultMode === 'auto' ? 'auto' : 'approval');
    lines.push(`  # Action: ${action.title}; ${UNDO[action.undo ? action.undoable : 'no']}.`, `  # Promote to \`mode: ${promote}\` once the findings look right.`);
  } else lines.push('  # Reports only: there is no action to promote.');
  lines.push(`  - id: ${p.id}`, `    description: ${plain(p.description)}`, `    resource: ${p.resource}`, ...block('detector', p.detector, p.detectorOptions));
  if (p.action) lines.push(...block('action', p.action, p.actionOptions));
  lines.push('    mode: dry-run');
  if (p.excludeNames) lines.push('    scope:', `      excludeNames: ${flow(p.excludeNames)}`);
  return lines;
}

export function starterPolicyFile(options: { regions?: string[] } = {}): string {
  const regions = options.regions?.length ? options.regions : undefined;
  return [
    '# trimtab policies: a starter for a real account, written by `trimtab init`.',
    '#',
    '# Every policy is in dry-run: trimtab reports what it finds and what it would change, and writes',
    '# nothing. Read the findings first:',
    '#',
    '#   npx trimtab validate          # check this file',
    '#   npx trimtab scan              # read-only, with your AWS credentials (AWS_PROFILE, SSO, …)',
    '#   npx trimtab permissions       # the least-privilege IAM policy that scan needs',
    '#   npx trimtab doctor            # credentials, region, this file and those permissions',
    '#',
    '# Then promote a policy one step at a time: `mode: approval` (a person approves each change from an',
    '# email; set the approvers below first) or `mode: auto` (fixed at once). Options of every detector',
    '# and action: `npx trimtab resources <resource>` or docs/reference/.',
    'version: 1',
    '',
    'defaults:',
    '  mode: dry-run',
    '  triggers:',
    '    - schedule: rate(1 day)      # the deployed sweep; the CLI runs when you run it',
    '  limits:',
    '    maxActionsPerRun: 25         # at most this many changes per policy and run',
    '    cooldownHours: 24            # no second change to the same resource sooner',
    ...(regions ? ['  scope:', `    regions: ${flow(regions)}`] : ['  # scope:', '  #   regions: [us-east-1, eu-west-1]   # default: the region of your AWS profile (or --region)']),
    '  # No approvers yet: a policy in `mode: approval` needs them. Uncomment and name real people:',
    '  # approval:',
    '  #   approvers: [finops@example.com]',
    '  #   timeoutHours: 72',
    '',
    'policies:',
    ...STARTER_POLICIES.flatMap((p, i) => [...(i ? [''] : []), ...policyText(p)]),
    '',
  ].join('\n');
}
