/**
 * Sandbox STS: who am I, and assuming a role in another sandbox account. Every sandbox caller
 * holds role credentials (GetCallerIdentity says assumed-role, as a Lambda's execution role
 * does), so every AssumeRole is role chaining: STS caps those sessions at one hour.
 */
import { awsError, type SandboxService } from '../sandbox.ts';

export const stsService: SandboxService = {
  id: 'sts',
  operations: {
    GetCallerIdentity(_input, { account }) {
      return { Account: account.id, Arn: `arn:aws:sts::${account.id}:assumed-role/trimtab/sandbox`, UserId: 'AROASANDBOX:trimtab' };
    },
    AssumeRole(input, { sandbox, account, now }) {
      const match = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/.+$/.exec(input.RoleArn ?? '');
      if (!match) throw awsError('ValidationError', `RoleArn '${input.RoleArn}' is not a valid IAM role ARN.`);
      const [, partition, roleAccount] = match;
      // STS API reference, AssumeRole DurationSeconds: 900 s up to the role's maximum (≤ 43,200 s);
      // "if you assume a role using role chaining and provide a DurationSeconds parameter value
      // greater than one hour, the operation fails" (ValidationError, text as STS sends it).
      const duration = input.DurationSeconds ?? 3600;
      if (duration < 900) throw awsError('ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
      if (duration > 43_200) throw awsError('ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`);
      if (duration > 3600) throw awsError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
      // The sandbox's accounts are in aws. A well-formed role ARN of another partition names no role the caller can
      // reach: STS answers AccessDenied (403), as it does for arn:aws:iam:: from an aws-cn caller (corymhall/cdk-diff-action#79).
      if (partition !== 'aws' || !sandbox.state.accounts[roleAccount]) {
        throw awsError('AccessDenied', `User: arn:aws:sts::${account.id}:assumed-role/trimtab/sandbox is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`, 403);
      }
      return {
        // Expiration in the sandbox's time, so a long sweep on a virtual clock outlives it as on AWS.
        Credentials: { AccessKeyId: 'SANDBOX', SecretAccessKey: 'SANDBOX', SessionToken: roleAccount, Expiration: new Date(now.getTime() + duration * 1000) },
        AssumedRoleUser: { Arn: `${input.RoleArn}/${input.RoleSessionName}`, AssumedRoleId: `AROASANDBOX:${input.RoleSessionName}` },
      };
    },
  },
};
