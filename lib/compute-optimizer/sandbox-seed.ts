/**
 * Compute Optimizer in the "small company" scenario: the account is opted in, so the
 * sandbox's Compute Optimizer (lib/sandbox/services/compute-optimizer.ts) recommends from the
 * account's own metrics: it agrees with trimtab about 'acme-checkout' and 'orders-db data'
 * (both under-provisioned) and disagrees about 'media-transcode scratch' (it judges volumes
 * by IOPS only). Other sandbox accounts (the organization's members) are not opted in.
 */
import type { Sandbox } from '../sandbox/sandbox.ts';
import { setComputeOptimizerEnrollment } from '../sandbox/services/compute-optimizer.ts';

export function seedComputeOptimizerSmallCompany(sandbox: Sandbox, accountId: string) {
  setComputeOptimizerEnrollment(sandbox, accountId, 'Active');
}
