/**
 * The resource types, detectors and actions trimtab has, by id: what a compiled policy file may
 * name (lib/policy/compiled.ts checks it at load). Plain data, so every Lambda function can carry
 * it without the registries, their SDK clients or the zod schema. test/unit/policy/compiled.test.ts
 * fails when it differs from the registries (lib/resources/*): add a new detector or action here too.
 */
export const POLICY_CATALOGUE: Readonly<Record<string, { readonly detectors: readonly string[]; readonly actions: readonly string[] }>> = {
  'asg': { detectors: ['flapping', 'min-size-unneeded', 'over-provisioned-target-tracking', 'oversized-group-instances', 'step-scaling-policies', 'under-provisioned-at-max'], actions: ['lengthen-warmup', 'lower-min-size', 'raise-max-size', 'raise-target', 'rightsize-launch-template'] },
  'dynamodb-table': { detectors: ['autoscaling-target-low', 'over-provisioned', 'table-class', 'throttled', 'unused-table'], actions: ['lower-provisioned', 'raise-max', 'raise-target', 'set-table-class', 'switch-to-on-demand'] },
  'ebs-snapshot': { detectors: ['older-than', 'orphaned', 'too-many-per-volume'], actions: ['archive-snapshot', 'delete-snapshot'] },
  'ebs-volume': { detectors: ['gp2-to-gp3', 'iops-over-provisioned', 'unattached', 'volume-at-ceiling'], actions: ['lower-volume-iops', 'modify-to-gp3', 'raise-volume-performance', 'snapshot-and-delete'] },
  'ec2-instance': { detectors: ['idle-instance', 'oversized-instance', 'previous-generation-type', 'previous-generation-volumes', 'undersized-instance'], actions: ['change-instance-type', 'stop-instance'] },
  'elastic-ip': { detectors: ['unassociated'], actions: ['release-address'] },
  'elasticache-cluster': { detectors: ['idle-cluster', 'previous-generation-node'], actions: [] },
  'lambda-function': { detectors: ['memory-oversized', 'memory-undersized', 'x86-to-arm64'], actions: ['set-memory'] },
  'load-balancer': { detectors: ['idle-load-balancer'], actions: [] },
  'log-group': { detectors: ['no-retention'], actions: ['set-retention'] },
  'nat-gateway': { detectors: ['idle-nat-gateway'], actions: [] },
  'rds-instance': { detectors: ['aurora-serverless-min-capacity', 'auto-started-db-instance', 'gp2-storage', 'idle-db-instance', 'oversized-db-instance', 'previous-generation-class', 'saturated-db-instance'], actions: ['downsize-db-instance', 'lower-min-capacity', 'modify-storage-gp3', 'restop-db-instance', 'snapshot-and-delete', 'stop-db-instance'] },
  's3-bucket': { detectors: ['large-standard-without-transition', 'missing-abort-multipart-rule', 'missing-lifecycle', 'missing-noncurrent-version-rule'], actions: ['add-lifecycle-rules'] },
};
