/**
 * Which AWS operations only read. The dry-run guard refuses everything else: a new
 * operation is treated as a write until it is known to be read-only (fail closed).
 */
const READ_ONLY_PREFIX = /^(Describe|Get|List|Head|Lookup|BatchGet|Query|Scan)[A-Z]/;

/** Operations that start with another verb but change nothing in the account. */
// iam:SimulatePrincipalPolicy only evaluates policies (`trimtab doctor`).
// cloudwatchlogs:StartQuery runs a Logs Insights query (reads log events; lambda-function's memory use).
// dynamodb:Query and dynamodb:Scan are whole names, so the prefix pattern (a verb then a capital) misses them.
const READ_ONLY_EXCEPTIONS = new Set(['sts:AssumeRole', 'sts:GetCallerIdentity', 'iam:SimulatePrincipalPolicy', 'cloudwatchlogs:StartQuery', 'logs:StartQuery', 'dynamodb:Query', 'dynamodb:Scan']);

export function isReadOnlyOperation(service: string, operation: string): boolean {
  return READ_ONLY_PREFIX.test(operation) || READ_ONLY_EXCEPTIONS.has(`${service}:${operation}`);
}

/** "Auto Scaling" → "autoscaling", "SESv2" → "sesv2": the key used by the sandbox and metrics. */
export function serviceKey(serviceId: string): string {
  return serviceId.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** "DescribeSnapshotsCommand" → "DescribeSnapshots". */
export function operationName(commandName: string | undefined): string {
  return (commandName ?? 'UnknownCommand').replace(/Command$/, '');
}
