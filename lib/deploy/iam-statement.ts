/** One IAM policy statement as trimtab writes it into the template (its own file: lib/ownership and lib/deploy/iam.ts both use it). */
export interface IamStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
