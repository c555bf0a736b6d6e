/** Sandbox STS: who am I, and assuming a role in another sandbox account. */
import { awsError, type SandboxService } from '../sandbox.ts';

export const stsService: SandboxService = {
  id: 'sts',
  operations: {
    GetCallerIdentity(_input, { account }) {
      return { Account: account.id, Arn: `arn:aws:sts::${account.id}:assumed-role/trimtab/sandbox`, UserId: 'AROASANDBOX:trimtab' };
    },
    AssumeRole(input, { sandbox }) {
      const match = /^arn:aws:iam::(\d{12}):role\/.+$/.exec(input.RoleArn ?? '');
      if (!match) throw awsError('ValidationError', `RoleArn '${input.RoleArn}' is not a valid IAM role ARN.`);
      if (!sandbox.state.accounts[match[1]]) throw awsError('AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`, 403);
      return {
        Credentials: { AccessKeyId: 'SANDBOX', SecretAccessKey: 'SANDBOX', SessionToken: match[1], Expiration: new Date(Date.now() + 3_600_000) },
        AssumedRoleUser: { Arn: `${input.RoleArn}/${input.RoleSessionName}`, AssumedRoleId: `AROASANDBOX:${input.RoleSessionName}` },
      };
    },
  },
};
