/**
 * Typed errors. Each has a stable `name` so Step Functions Retry/Catch, the CLI and tests
 * can match on it; the original error travels as `cause`.
 */
export class TrimtabError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A policy file (or one policy in it) is invalid. */
export class PolicyValidationError extends TrimtabError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not a valid trimtab policy file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** An id that is not in a registry; the message lists the valid ones. */
export class UnknownElementError extends TrimtabError {
  constructor(
    readonly kind: string,
    readonly id: string,
    readonly valid: string[],
  ) {
    super(`Unknown ${kind} '${id}'. Valid ${kind}s: ${valid.join(', ') || '(none registered)'}`);
  }
}

/** The dry-run guard refused a mutating AWS call. */
export class DryRunViolationError extends TrimtabError {
  constructor(
    readonly service: string,
    readonly operation: string,
  ) {
    super(
      `Refused ${service}:${operation}: trimtab is in dry-run, and dry-run never writes to AWS. ` +
        `Run the policy in 'auto' or 'approval' mode (trimtab run) to allow changes.`,
    );
  }
}

/** No AWS credentials and no sandbox: nothing to talk to. */
export class NoCredentialsError extends TrimtabError {
  constructor(cause?: unknown) {
    super(
      'No AWS credentials found. Use --sandbox to run against the simulated account, ' +
        'or set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) for a real account.',
      { cause },
    );
  }
}

/** A remediator's plan broke an AWS API constraint; nothing was sent. */
export class PlanConstraintError extends TrimtabError {}

/** Undo was refused; the message says why (e.g. the resource changed since the action). */
export class UndoRefusedError extends TrimtabError {}

/**
 * apply() found, right before writing, that the resource must not be touched (e.g. AWS said
 * the snapshot is in use by an AMI). The engine records the finding as protected, the action
 * as skipped (not failed), and never retries it in that run.
 */
export class ProtectedResourceError extends TrimtabError {}

/** Verification re-read the resource and did not find the state the action should have left. */
export class VerificationFailedError extends TrimtabError {}

/** An incoming event could not be parsed or is not for trimtab. */
export class InvalidEventError extends TrimtabError {}

/** The name of an AWS SDK error (service exceptions carry it as `name`). */
export function awsErrorName(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string') {
    return (error as { Code?: string }).Code ?? error.name;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Another invocation is applying the very same change right now (idempotency key in progress); retry later. */
export class ActionInProgressError extends TrimtabError {}
